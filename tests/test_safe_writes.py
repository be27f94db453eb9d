"""Nothing deleted, nothing half-written: what ``build --out`` may replace, and how every command refuses an
output it cannot write, in one ``error:`` line, exit code 1, no traceback, nothing written or removed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import vna_ner
from helpers import CONFIG, REPO, region, task, write_export
from vna_ner.cli import main
from vna_ner.dataset.build_folder import MARK, check_out, mark_text, remove_dead_staging

GOLD = REPO / "annotations" / "gold.json"
SHIPPED = REPO / "splits"


def run(*args: object, env: dict[str, str] | None = None) -> Result:
    """``vna-ner ARGS``; fails the test if an exception escaped as a traceback instead of a message."""
    result = CliRunner().invoke(main, [str(a) for a in args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return result


def tree(folder: Path) -> dict[str, object]:
    """Every path under ``folder`` (hidden ones too) with its content, or its target for a symlink."""
    snapshot: dict[str, object] = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_symlink():
            snapshot[name] = f"-> {os.readlink(path)}"
        elif path.is_file():
            snapshot[name] = path.read_bytes()
        else:
            snapshot[name] = "folder"
    return snapshot


def small_export(path: Path, count: int = 6, repeat: int = 1) -> Path:
    text = "Hanoi et Paris. " * repeat
    return write_export(path, [task(n, text, [region(f"r{n}", 0, 5, "Hanoi", "LOC")]) for n in range(count)])


def build(export: Path, out: Path | str, *more: object) -> Result:
    return run("build", export, "--config", CONFIG, "--out", out, "--quiet", *more)


def refused(result: Result, *phrases: str) -> None:
    assert result.exit_code == 1, result.output
    (line,) = result.output.splitlines()
    assert line.startswith("error: ")
    for phrase in phrases:
        assert phrase in line, line


@pytest.fixture
def export(tmp_path_factory) -> Path:
    return small_export(tmp_path_factory.mktemp("export") / "export.json")


@pytest.fixture
def earlier_build(tmp_path, export) -> Path:
    out = tmp_path / "splits"
    assert build(export, out).exit_code == 0
    (out / "README.md").write_text("the card")
    return out


# --- build --out: what it replaces -----------------------------------------------------------------


def test_build_replaces_an_earlier_build_and_keeps_its_card(tmp_path, earlier_build):
    bigger = small_export(tmp_path / "bigger.json", count=9)
    result = build(bigger, earlier_build)
    assert result.exit_code == 0, result.output
    manifest = json.loads((earlier_build / "manifest.json").read_text())
    assert sum(len(entries) for entries in manifest["splits"].values()) == 9
    assert (earlier_build / "README.md").read_text() == "the card"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bigger.json", "splits"]  # no staging, no -old


def test_build_writes_into_an_empty_or_absent_folder(tmp_path, export):
    (tmp_path / "empty").mkdir()
    for out in (tmp_path / "empty", tmp_path / "new" / "deeper"):
        assert build(export, out).exit_code == 0
        assert sorted(p.name for p in out.iterdir()) == [
            "README.md",
            "documents",
            "manifest.json",
            "sentences",
        ]


def test_build_out_over_a_folder_holding_a_users_file_leaves_that_file_in_place(tmp_path, export):
    folder = tmp_path / "annotations"
    folder.mkdir()
    (folder / "GUIDELINES.md").write_text("the guidelines")
    (folder / "gold.json").write_text("[]")
    before = tree(tmp_path)
    refused(build(export, folder), f"refusing to build into {folder}", "GUIDELINES.md, gold.json")
    assert tree(tmp_path) == before


def test_an_earlier_build_that_also_holds_a_users_file_is_refused_and_kept(earlier_build, export):
    (earlier_build / "notes.txt").write_text("mine")
    (earlier_build / "documents" / "cache-0a1b.arrow").write_bytes(b"a datasets cache")
    before = tree(earlier_build.parent)
    refused(
        build(export, earlier_build),
        "it is an earlier build but also holds documents/cache-0a1b.arrow, notes.txt",
        "move them out first",
    )
    assert tree(earlier_build.parent) == before


def test_a_folder_whose_manifest_is_not_a_vna_ner_one_is_refused(tmp_path, export):
    out = tmp_path / "other"
    out.mkdir()
    (out / "manifest.json").write_text('{"name": "someone else\'s", "version": 2}')
    before = tree(tmp_path)
    refused(build(export, out), "it holds manifest.json and is not an earlier vna-ner build")
    assert tree(tmp_path) == before


def test_a_build_does_not_delete_the_export_it_reads(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    export = small_export(folder / "export.json")
    before = tree(tmp_path)
    refused(build(export, folder), f"it holds {export}, an input of the build")
    assert tree(tmp_path) == before


def test_a_build_does_not_delete_its_config(tmp_path, export):
    # The folder is an earlier build holding nothing else, but the config is named like a build file.
    out = tmp_path / "splits"
    assert build(export, out).exit_code == 0
    config = out / "README.md"
    config.write_bytes(CONFIG.read_bytes())
    before = tree(tmp_path)
    result = run("build", export, "--config", config, "--out", out, "--quiet")
    refused(result, "an input of the build, which replacing it would delete")
    assert tree(tmp_path) == before


@pytest.mark.parametrize("where", ["package", "inside", "around"])
def test_a_build_never_goes_in_or_around_the_installed_package(where, export):
    package = Path(vna_ner.__file__).resolve().parent
    out = {"package": package, "inside": package / "splits", "around": package.parent}[where]
    before = tree(package)
    refused(build(export, out), "it lies in or around the installed vna_ner package")
    assert tree(package) == before
    assert not (package / "splits").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["config", "{export}", "--output", "{package}/new.xml"],
        ["diff", "{export}", "{export}", "--config", str(CONFIG), "--json", "{package}/new.json"],
        ["agreement", "{export}", "--config", str(CONFIG), "--output", "{package}/new.json"],
        [
            "eval",
            "--predictions",
            str(REPO / "eval/predictions/dictionary.test.jsonl"),
            "--output",
            "{package}/r.json",
        ],
    ],
)
def test_no_command_writes_a_file_into_the_installed_package(command, export):
    package = Path(vna_ner.__file__).resolve().parent
    before = tree(package)
    result = run(*(part.format(export=export, package=package) for part in command))
    refused(result, "refusing to write", f"it lies in the installed vna_ner package ({package})")
    assert tree(package) == before


def test_the_repositorys_own_splits_stay_buildable_by_default():
    assert check_out(SHIPPED) == SHIPPED.resolve()  # an earlier build, holding nothing else


def test_the_root_and_the_home_folder_are_refused(tmp_path, export, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    refused(build(export, "/"), "refusing to build into /: it is the root folder")
    refused(build(export, home), "it is your home folder")
    assert list(home.iterdir()) == []


def test_the_current_folder_is_refused_unless_it_is_an_earlier_build(tmp_path, export, monkeypatch):
    empty = tmp_path / "here"
    empty.mkdir()
    monkeypatch.chdir(empty)
    refused(build(export, "."), "refusing to build into .", "it is the current folder")
    assert list(tmp_path.iterdir()) == [empty] and list(empty.iterdir()) == []
    out = tmp_path / "splits"
    assert build(export, out).exit_code == 0
    monkeypatch.chdir(out)
    assert build(export, ".").exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here", "splits"]
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "documents", "manifest.json", "sentences"]


def test_a_symlinked_out_is_followed_and_stays_a_symlink(tmp_path, export):
    (tmp_path / "real").mkdir()
    link = tmp_path / "splits"
    link.symlink_to("real")
    for _ in range(2):  # the first build fills the empty target, the second replaces it
        assert build(export, link).exit_code == 0
        assert link.is_symlink() and os.readlink(link) == "real"
        assert sorted(p.name for p in (tmp_path / "real").iterdir()) == [
            "README.md",
            "documents",
            "manifest.json",
            "sentences",
        ]
        assert sorted(p.name for p in tmp_path.iterdir()) == ["real", "splits"]


def test_a_symlink_to_a_folder_that_is_not_a_build_is_refused_before_any_change(tmp_path, export):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("years of work")
    (tmp_path / "splits").symlink_to("mine")
    before = tree(tmp_path)
    refused(build(export, tmp_path / "splits"), f"(= {tmp_path}/mine)", "thesis.tex")
    assert tree(tmp_path) == before


def test_an_out_under_a_file_is_refused(tmp_path, export):
    (tmp_path / "afile").write_text("mine")
    before = tree(tmp_path)
    refused(build(export, tmp_path / "afile" / "out"), f"{tmp_path}/afile is not a folder")
    assert tree(tmp_path) == before


def test_a_refused_out_is_refused_before_the_export_is_read(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    unreadable = tmp_path / "export.json"
    unreadable.write_text("this is not JSON")
    refused(build(unreadable, tmp_path / "mine"), "refusing to build into")


# --- staging folders ------------------------------------------------------------------------------


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_staging_folders_of_killed_builds_are_removed_and_others_kept(tmp_path):
    out = tmp_path / "splits"
    dead = tmp_path / ".splits-staging-0dead000"
    (dead / "new" / "documents").mkdir(parents=True)
    (dead / MARK).write_text(mark_text(_dead_pid()))
    running = tmp_path / ".splits-staging-1live000"
    running.mkdir()
    (running / MARK).write_text(mark_text(os.getpid()))
    unmarked = tmp_path / ".splits-staging-mine"  # not made by vna-ner: no mark
    unmarked.mkdir()
    foreign = tmp_path / ".splits-staging-user"  # a mark of another shape, e.g. a bare dead pid
    foreign.mkdir()
    (foreign / MARK).write_text(f"{_dead_pid()}\n")
    remove_dead_staging(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == [running.name, unmarked.name, foreign.name]


def test_a_build_whose_input_is_refused_removes_no_staging_folder(tmp_path):
    dead = tmp_path / ".splits-staging-0dead000"
    dead.mkdir()
    (dead / MARK).write_text(mark_text(_dead_pid()))
    bad = tmp_path / "bad.json"
    bad.write_text("[1]")
    result = build(bad, tmp_path / "splits")
    assert result.exit_code == 1 and "the first item is not a task" in result.output, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [dead.name, "bad.json"]


def test_a_build_killed_between_the_two_renames_gets_the_previous_build_back(earlier_build, export):
    before = tree(earlier_build)
    staging = earlier_build.with_name(".splits-staging-0dead000")
    staging.mkdir()
    (staging / MARK).write_text(mark_text(_dead_pid()))
    earlier_build.rename(staging / "old")
    assert build(export, earlier_build, "--reassign").exit_code == 0
    assert tree(earlier_build) == before  # the same export builds the same files; the card came back
    assert sorted(p.name for p in earlier_build.parent.iterdir()) == ["splits"]


def test_a_build_killed_mid_way_leaves_the_earlier_build_and_the_next_one_cleans_up(
    tmp_path, earlier_build, export
):
    big = small_export(tmp_path / "big.json", count=3000, repeat=8)
    before = tree(earlier_build)
    command = [sys.executable, "-c", "from vna_ner.cli import main; main()", "build", str(big)]
    process = subprocess.Popen(
        [*command, "--config", str(CONFIG), "--out", str(earlier_build), "--quiet"],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 600
        while not list(tmp_path.glob(".splits-staging-*/new/documents")):  # pass 2 has begun
            assert process.poll() is None, "the build ended before it could be killed"
            assert time.monotonic() < deadline, "the build never began writing"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    (left,) = tmp_path.glob(".splits-staging-*")
    assert (left / MARK).read_text() == mark_text(process.pid)
    assert tree(earlier_build) == before
    assert build(export, earlier_build).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.json", "splits"]


# --- every command that writes a file -------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["to-labelstudio", "{bad}/tasks.json"],
        ["eval", "--predictions", "{file}", "--output", "{bad}/report.json"],
        ["eval", "--predictions", "{file}", "--html", "{bad}/report.html"],
        ["compare", "{file}", "{file}", "--output", "{bad}/comparison.json"],
        ["agreement", str(GOLD), "--config", str(CONFIG), "--output", "{bad}/agreement.json"],
        ["card", str(GOLD), "--card", "{bad}/CARD.md", "--data-dir", "{empty}"],
        ["leaderboard", "render", "--board", "{bad}/board.json", "--readme", "{empty}/README.md"],
        ["leaderboard", "render", "--board", "{file}", "--readme", "{bad}/README.md"],
        [
            "leaderboard", "add", "--name", "x", "--predictions", "{file}", "--split", "test",
            "--description", "x", "--data-seen", "x",
            "--board", "{bad}/board.json", "--readme", "{empty}/README.md",
        ],
    ],
)  # fmt: skip
def test_every_command_refuses_an_output_under_a_file_in_one_line(tmp_path, command):
    afile = tmp_path / "afile"
    afile.write_text("mine")
    (tmp_path / "empty").mkdir()
    names = {"bad": f"{afile}/sub", "file": str(afile), "empty": str(tmp_path / "empty")}
    before = tree(tmp_path)
    refused(run(*(part.format(**names) for part in command)), "cannot write", f"{afile} is not a folder")
    assert tree(tmp_path) == before


LEADERBOARD_ADD = [
    "leaderboard",
    "add",
    "--name",
    "x",
    "--split",
    "test",
    "--description",
    "x",
    "--data-seen",
    "x",
]


@pytest.mark.parametrize(
    ("command", "written", "read"),
    [
        (["eval", "--predictions", "{pred}", "--output", "{pred}"], "{pred}", "{pred}"),
        (["eval", "--predictions", "{pred}", "--output", "{link}"], "{link}", "{pred}"),
        (["eval", "--predictions", "{pred}", "--html", "{data}/manifest.json"], "{data}/manifest.json",
         "{data}"),
        (["compare", "{other}", "{pred}", "--output", "{pred}"], "{pred}", "{pred}"),
        (["to-labelstudio", "{pred}", "--split", "test", "--predictions", "{pred}"], "{pred}", "{pred}"),
        (["diff", "{export}", "{export}", "--json", "{export}"], "{export}", "{export}"),
        (["agreement", "{export}", "--output", "{export}"], "{export}", "{export}"),
        ([*LEADERBOARD_ADD, "--predictions", "{pred}", "--board", "{pred}"], "{pred}", "{pred}"),
        (
            [*LEADERBOARD_ADD, "--predictions", "{dir}/LEADERBOARD.md", "--board", "{dir}/board.json"],
            "{dir}/LEADERBOARD.md",
            "{dir}/LEADERBOARD.md",
        ),
    ],
)  # fmt: skip
def test_no_command_overwrites_one_of_its_own_inputs(tmp_path, command, written, read):
    (tmp_path / "data").mkdir()
    for path in SHIPPED.rglob("*"):
        if path.is_file():
            (tmp_path / "data" / path.relative_to(SHIPPED)).parent.mkdir(exist_ok=True)
            (tmp_path / "data" / path.relative_to(SHIPPED)).write_bytes(path.read_bytes())
    predictions = (REPO / "eval" / "predictions" / "dictionary.test.jsonl").read_bytes()
    for name in ("pred.jsonl", "other.jsonl", "LEADERBOARD.md"):
        (tmp_path / name).write_bytes(predictions)
    (tmp_path / "link.json").symlink_to(tmp_path / "pred.jsonl")
    small_export(tmp_path / "export.json")
    names = {
        "pred": tmp_path / "pred.jsonl",
        "other": tmp_path / "other.jsonl",
        "link": tmp_path / "link.json",
        "data": tmp_path / "data",
        "export": tmp_path / "export.json",
        "dir": tmp_path,
    }
    before = tree(tmp_path)
    arguments = [part.format(**names) for part in command]
    more = (
        ["--data-dir", names["data"], "--readme", tmp_path / "README.md"] if "leaderboard" in command else []
    )
    more += ["--config", CONFIG] if command[0] in ("diff", "agreement", "to-labelstudio") else []
    more += ["--data-dir", names["data"]] if command[0] in ("eval", "compare", "to-labelstudio") else []
    result = run(*arguments, *more)
    refused(
        result, f"refusing to write {written.format(**names)}: it is ", f"{read.format(**names)}, an input"
    )
    assert tree(tmp_path) == before


def test_a_command_refuses_to_write_one_file_as_two_of_its_outputs(tmp_path):
    predictions = REPO / "eval" / "predictions" / "dictionary.test.jsonl"
    report, same = tmp_path / "report", tmp_path / "sub" / ".." / "report"
    result = run("eval", "--predictions", predictions, "--output", report, "--html", same)
    refused(result, f"refusing to write {same}: {report} is another output of this command")
    assert list(tmp_path.iterdir()) == []


def test_commands_write_files_with_the_usual_permissions(tmp_path):
    previous = os.umask(0o022)
    try:
        result = run("to-labelstudio", tmp_path / "tasks.json", "--split", "test", "--config", CONFIG)
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "tasks.json").stat().st_mode & 0o777 == 0o644


# --- the last-resort guard ------------------------------------------------------------------------


def test_eval_on_a_deeply_nested_prediction_line_is_an_error_not_a_traceback(tmp_path):
    predictions = tmp_path / "system.test.jsonl"
    predictions.write_text("[" * 100_000 + "]" * 100_000 + "\n")
    result = run("eval", "--predictions", predictions, "--output", tmp_path / "report.json")
    assert result.exit_code == 1 and result.output.startswith("error: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["system.test.jsonl"]


@pytest.fixture
def failing_commands():
    """A top-level command and a leaderboard subcommand that fail as a bug would, removed afterwards."""
    leaderboard = main.commands["leaderboard"]

    @main.command("fail-deep")
    def fail_deep() -> None:
        def deeper(n: int) -> int:
            return deeper(n + 1)

        deeper(0)

    @leaderboard.command("fail-memory")
    def fail_memory() -> None:
        raise MemoryError

    yield
    del main.commands["fail-deep"], leaderboard.commands["fail-memory"]


def test_an_unexpected_error_is_one_line_that_asks_for_a_report(failing_commands):
    refused(
        run("fail-deep"),
        "error: vna-ner fail-deep failed: RecursionError: maximum recursion depth exceeded",
        "If the input is valid, this is a bug in vna-ner: please report it (VNA_NER_DEBUG=1 traces it).",
    )
    refused(run("leaderboard", "fail-memory"), "error: vna-ner leaderboard fail-memory failed: MemoryError. ")


def test_vna_ner_debug_lets_the_traceback_through(failing_commands):
    result = CliRunner().invoke(main, ["fail-deep"], env={"VNA_NER_DEBUG": "1"})
    assert result.exit_code == 1 and isinstance(result.exception, RecursionError)
    assert "VNA_NER_DEBUG=1" in run("--help").output


def test_a_corrupt_arrow_file_is_an_error_not_a_traceback(tmp_path):
    splits = tmp_path / "splits"
    for config in ("documents", "sentences"):
        (splits / config).mkdir(parents=True)
        for split in ("train", "validation", "test"):
            (splits / config / f"{split}.arrow").write_bytes(b"not an Arrow stream")
    result = run("stats", "--data-dir", splits, env={"VNA_NER_DEBUG": "1"})  # a crash stays a crash
    assert result.exit_code == 1
    assert "documents/train.arrow: cannot be read as a split of a vna-ner build (" in result.output
    truncated = tmp_path / "truncated"
    shutil.copytree(SHIPPED, truncated)
    whole = (truncated / "documents" / "test.arrow").read_bytes()
    (truncated / "documents" / "test.arrow").write_bytes(whole[: len(whole) // 2])
    predictions = REPO / "eval" / "predictions" / "dictionary.test.jsonl"
    result = run("eval", "--predictions", predictions, "--data-dir", truncated, env={"VNA_NER_DEBUG": "1"})
    assert result.exit_code == 1
    assert "documents/test.arrow: cannot be read as a split of a vna-ner build (" in result.output


def test_a_split_without_class_labels_is_an_error_naming_it_not_a_bug(tmp_path):
    """An Arrow file of the right columns but written without ``datasets``' features (another tool's)."""
    import pyarrow as pa

    splits = tmp_path / "splits"
    shutil.copytree(SHIPPED, splits)
    for split in ("train", "validation", "test"):
        path = splits / "documents" / f"{split}.arrow"
        table = pa.ipc.open_stream(path.read_bytes()).read_all().replace_schema_metadata(None)
        with pa.ipc.new_stream(str(path), table.schema) as writer:
            writer.write_table(table)
    predictions = REPO / "eval" / "predictions" / "dictionary.test.jsonl"
    for command in (["eval", "--predictions", predictions], ["compare", predictions, predictions]):
        result = run(*command, "--data-dir", splits, env={"VNA_NER_DEBUG": "1"})  # a crash stays a crash
        assert result.exit_code == 1, result.output
        assert "documents/test.arrow: cannot be read as a split of a vna-ner build (no class labels" in (
            result.output
        )


def test_splits_of_other_class_labels_are_not_scored_together(tmp_path):
    """``--split all`` joins the three splits: one built with other labels is named, not read as train's."""
    import json

    import pyarrow as pa

    splits = tmp_path / "splits"
    shutil.copytree(SHIPPED, splits)
    path = splits / "documents" / "validation.arrow"
    table = pa.ipc.open_stream(path.read_bytes()).read_all()
    metadata = json.loads(table.schema.metadata[b"huggingface"])
    metadata["info"]["features"]["entities"]["feature"]["label"]["names"][0] = "PERSON"
    table = table.replace_schema_metadata({b"huggingface": json.dumps(metadata).encode()})
    with pa.ipc.new_stream(str(path), table.schema) as writer:
        writer.write_table(table)
    predictions = REPO / "eval" / "predictions" / "dictionary.all.jsonl"
    result = run("eval", "--predictions", predictions, "--split", "all", "--data-dir", splits)
    assert result.exit_code == 1, result.output
    assert "documents/validation.arrow: cannot be read as a split of a vna-ner build (its class labels" in (
        result.output
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("[" * 100_000 + "]" * 100_000, "not usable JSON: nested too deeply"),
        ('{"tokens_per_second": NaN}', "not usable JSON: NaN is not a JSON number"),
        ('{"tokens_per_second": ' + "9" * 5000 + "}", "not usable JSON: Exceeds the limit"),
        ('{"how": "\\ud800"}', "holds a lone surrogate"),
        ('{"tokens_per_second": "fast"}', "tokens_per_second must be a positive number, not 'fast'"),
        ("[1]", "throughput must be an object with tokens_per_second"),
        ('{"tokens_per_second": 5', "not valid JSON: Expecting ',' delimiter at line 1, column 24"),
    ],
)
def test_malformed_json_inputs_of_the_leaderboard_and_check_are_refused_naming_the_file(
    tmp_path, content, reason
):
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    (tmp_path / "README.md").write_text((REPO / "README.md").read_text("utf-8"), encoding="utf-8")
    predictions = REPO / "eval" / "predictions" / "dictionary.test.jsonl"
    before = tree(tmp_path)
    board = ["--board", tmp_path / "board.json", "--readme", tmp_path / "README.md"]
    result = run("leaderboard", "add", "--name", "x", "--predictions", predictions, "--split", "test",
                 "--description", "x", "--data-seen", "x", "--throughput", bad, *board)  # fmt: skip
    assert result.exit_code == 1 and f"  - {bad}: {reason}" in result.output, result.output
    if reason.startswith("not"):
        export = small_export(tmp_path / "export.json")
        before = tree(tmp_path)
        for command in (
            ["leaderboard", "render", "--board", bad, "--readme", tmp_path / "README.md"],
            ["check", export, "--config", CONFIG, "--exceptions", bad],
        ):
            result = run(*command)
            assert result.exit_code == 1 and f"  - {bad}: {reason}" in result.output, result.output
    assert tree(tmp_path) == before


@pytest.mark.parametrize(
    ("board", "reason"),
    [
        ("[]", "board.json: not a leaderboard: an object with an 'entries' list expected"),
        ('{"entries": [5]}', "board.json entry #1: not a leaderboard entry: an object expected"),
        ('{"entries": [{"name": 1}]}', "entry #1: not a leaderboard entry: name, split, view, description"),
    ],
)
def test_a_board_not_written_by_leaderboard_add_is_refused(tmp_path, board, reason):
    (tmp_path / "board.json").write_text(board, encoding="utf-8")
    (tmp_path / "README.md").write_text((REPO / "README.md").read_text("utf-8"), encoding="utf-8")
    before = tree(tmp_path)
    result = run(
        "leaderboard", "render", "--board", tmp_path / "board.json", "--readme", tmp_path / "README.md"
    )
    assert result.exit_code == 1 and reason in result.output, result.output
    assert tree(tmp_path) == before


def test_usage_errors_keep_exit_code_2():
    assert run("build", "--no-such-option").exit_code == 2


def _broken_board(path: tuple[Any, ...], value: Any) -> str:
    """The committed board with the value at ``path`` replaced."""
    board = json.loads((REPO / "eval" / "leaderboard.json").read_text("utf-8"))
    parent = board
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return json.dumps(board)


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        (("entries", 0, "scores", "entities"), [], "scores.entities must be an object, not []"),
        (
            ("entries", 0, "scores", "entities", "strict", "f1"),
            "x",
            "scores.entities.strict.f1 must be a number",
        ),
        (
            ("entries", 0, "scores", "entities", "strict", "f1_ci95"),
            None,
            "f1_ci95 must be a list of 2, not None",
        ),
        (
            ("entries", 0, "scores", "adjusted_spans", "cut"),
            True,
            "scores.adjusted_spans.cut must be an integer",
        ),
        (("entries", 1, "scores", "relations"), 0, "scores.relations must be an object, not 0"),
        (("entries", 0, "scores", "folds", "min"), None, "scores.folds.min must be a number, not None"),
        (("rank_groups", "full", 0, "next"), {}, "rank_groups.full[0].next has no 'name'"),
        (("protocol", "metric"), 7, "protocol.metric must be a string, not 7"),
        (("rank_groups", "full", 1, "next", "p_bootstrap"), None, "p_bootstrap must be a number, not None"),
        (
            ("rank_groups", "full", 1, "name"),
            "x",
            "rank_groups.full names 'x', which has no entry of that view",
        ),
    ],
)
def test_a_board_with_scores_of_another_shape_is_refused_naming_the_key(tmp_path, path, value, reason):
    (tmp_path / "board.json").write_text(_broken_board(path, value), encoding="utf-8")
    (tmp_path / "README.md").write_text((REPO / "README.md").read_text("utf-8"), encoding="utf-8")
    before = tree(tmp_path)
    for command in ("render", "check"):
        result = run(
            "leaderboard", command, "--board", tmp_path / "board.json", "--readme", tmp_path / "README.md"
        )
        assert result.exit_code == 1 and reason in result.output, result.output
        assert "bug" not in result.output
    assert tree(tmp_path) == before
