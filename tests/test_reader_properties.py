"""Property: any JSON value in any position of a task gives exit 0 or 1, never a traceback, and on exit 0
`build` writes exactly the export's entities and relations."""

from __future__ import annotations

import copy
import json
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import CONFIG, region, relation, task
from vna_ner.cli import main
from vna_ner.dataset.features import SPLITS
from vna_ner.dataset.load import documents_of, load

TEXT = "M. Giang, vice-ministre, a reçu Mme Teo à Hanoi."
DEEP, HUGE, DELETE = "\x00deep\x00", "\x00huge\x00", object()
BASE = [
    task(
        n,
        TEXT,
        [region("a", 3, 8, "Giang"), region("b", 10, 23, "vice-ministre", "TITLE"), relation("a", "b")],
    )
    for n in (1, 2, 3)
]
RESULT = ["annotations", 0, "result"]
PATHS = [
    ["id"],
    ["data"],
    ["data", "text"],
    ["data", "doc_id"],
    ["data", "provenance"],
    ["annotations"],
    ["annotations", 0],
    ["annotations", 0, "id"],
    ["annotations", 0, "was_cancelled"],
    ["annotations", 0, "ground_truth"],
    ["annotations", 0, "updated_at"],
    RESULT,
    [*RESULT, 0],
    *([*RESULT, 0, key] for key in ("id", "type", "from_name", "to_name", "value")),
    *([*RESULT, 0, "value", key] for key in ("start", "end", "text", "labels")),
    [*RESULT, 0, "value", "labels", 0],
    *([*RESULT, 2, key] for key in ("type", "from_id", "to_id", "labels", "direction")),
    ["predictions"],
    ["drafts"],
    ["meta"],
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-3, max_value=60)
    | st.integers()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["PER", "TITLE", "labels", "relation", "left", "label", "text", "a", "b", "2026-01-01"])
    | st.sampled_from(["\ud800", "Gi\udfffang", "\ud83d", DEEP, HUGE])
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
)


def _export(path: list[Any], value: Any) -> tuple[list[dict[str, Any]], bytes]:
    tasks = copy.deepcopy(BASE)
    node: Any = tasks[0]
    for key in path[:-1]:
        node = node[key]
    if value is DELETE:
        node.pop(path[-1], None) if isinstance(node, dict) else node.pop(path[-1])
    else:
        node[path[-1]] = value
    raw = json.dumps(tasks)  # ensure_ascii: lone surrogates are written as \ud800 escapes
    raw = raw.replace(json.dumps(DEEP), "[" * 50_000 + "]" * 50_000).replace(json.dumps(HUGE), "9" * 5000)
    return tasks, raw.encode()


def _expected(tasks: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    """Each document the export should give: its text, entities and relations, derived from the raw tasks."""
    expected = {}
    for raw in tasks:
        annotations = [a for a in raw.get("annotations") or [] if a.get("was_cancelled") is not True]
        if not annotations:
            continue
        result = annotations[0]["result"]
        entities = sorted(
            (r["value"]["start"], r["value"]["end"], r["value"]["labels"][0], str(r["id"]))
            for r in result
            if r.get("type") == "labels"
        )
        relations = sorted(
            (str(r["from_id"]), str(r["to_id"]), r["labels"][0])
            if r.get("direction", "right") == "right"
            else (str(r["to_id"]), str(r["from_id"]), r["labels"][0])
            for r in result
            if r.get("type") == "relation"
        )
        doc_id = raw["data"].get("doc_id")
        expected[str(doc_id) if doc_id is not None else f"task-{raw.get('id')}"] = (
            raw["data"]["text"],
            entities,
            relations,
        )
    return expected


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(path=st.sampled_from(PATHS), value=values | st.just(DELETE))
def test_any_value_anywhere_is_converted_exactly_or_refused_without_traceback(tmp_path_factory, path, value):
    folder = tmp_path_factory.mktemp("export")
    tasks, raw = _export(path, value)
    export = folder / "export.json"
    export.write_bytes(raw)
    out = folder / "out"
    codes = []
    for command in (["validate"], ["build", "--quiet", "--out", str(out)]):
        arguments = [*command, str(export), "--config", str(CONFIG)]
        result = CliRunner().invoke(main, arguments, env={"VNA_NER_DEBUG": "1"})  # a crash stays a crash
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert result.exit_code in (0, 1) and "Traceback" not in result.output
        codes.append(result.exit_code)
    assert codes[0] == codes[1], "validate and build must give one verdict"
    if codes[0] == 1:
        assert not out.exists()
        return
    built = {
        d.id: (
            d.text,
            sorted((s.start, s.end, s.label, s.id) for s in d.entities),
            sorted((r.head, r.tail, r.label) for r in d.relations),
        )
        for split in SPLITS
        for d in documents_of(load(split=split, data_dir=out))
    }
    assert built == _expected(tasks)
