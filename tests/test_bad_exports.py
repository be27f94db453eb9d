"""The battery of bad exports: each is refused by `validate`, `check` and `build` alike, with the same
message naming task and region, exit code 1, no traceback, and nothing written."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from helpers import CONFIG, REPO
from vna_ner.cli import main

BATTERY = REPO / "tests" / "fixtures" / "bad_exports"
INDEX = json.loads((BATTERY / "index.json").read_text("utf-8"))


def test_the_battery_holds_at_least_sixty_bad_exports():
    assert len(INDEX) >= 60
    assert {path.name for path in BATTERY.glob("*.json")} == {*INDEX, "index.json"}


def _run(command: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, command, env={"VNA_NER_DEBUG": "1"})  # a crash stays a crash
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.mark.parametrize("name", sorted(INDEX))
def test_a_bad_export_is_refused_alike_by_validate_check_and_build(name, tmp_path):
    case = INDEX[name]
    config = BATTERY / case.get("config", "") if "config" in case else CONFIG
    arguments = [str(BATTERY / name), "--config", str(config), *case.get("options", [])]
    out = tmp_path / "out"
    messages = {}
    for command in (["validate"], ["check"], ["build", "--quiet", "--out", str(out)]):
        code, output = _run([*command, *arguments])
        assert code == 1, (command, output)
        assert "Traceback" not in output
        assert case["expected"] in output, (command, output)
        if case["region"]:
            assert f"region {case['region']}: " in output, output
        messages[command[0]] = output
    assert messages["validate"] == messages["check"] == messages["build"]
    assert list(tmp_path.iterdir()) == []  # nothing written, not even the --out folder
