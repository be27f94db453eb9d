"""The export reader's formats, offsets, gold choice and account, on small exports built by hand."""

from __future__ import annotations

import json
import os
import re

import pytest
from click.testing import CliRunner

from helpers import CONFIG, REPO, region, relation, task, write_export
from vna_ner.cli import main
from vna_ner.documents import Relation, Span
from vna_ner.errors import InputError
from vna_ner.labelstudio import formats
from vna_ner.labelstudio.account import Account
from vna_ner.labelstudio.export import Annotation, choose_gold, gold_rule, read_documents
from vna_ner.labelstudio.schema import load_schema, parse_schema

SCHEMA = load_schema(CONFIG)
TEXT = "M. Giang, vice-ministre, a reçu Mme Teo à Hanoi."
GOLD = REPO / "annotations" / "gold.json"


def _annotation(aid, updated_at, ground_truth=False):
    return Annotation(aid, [], [], ground_truth=ground_truth, updated_at=updated_at)


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        ("2026-11-25T09:41:00Z", "2026-11-25T09:41:00.5Z"),  # as text, "00Z" sorts after "00.5Z"
        ("2026-11-25T09:41:43.298807Z", "2026-11-25T09:41:43.2989Z"),  # fractions of different lengths
        ("2026-11-25T10:00:00+02:00", "2026-11-25T09:00:00Z"),  # 08:00 UTC is before 09:00 UTC
        ("", "2026-01-01T00:00:00Z"),  # no timestamp is the earliest
    ],
)
def test_gold_is_the_latest_annotation_by_real_time_not_by_text(earlier, later):
    annotations = [_annotation(1, later), _annotation(2, earlier)]
    assert choose_gold(annotations).id == 1
    assert gold_rule(annotations) == "latest updated_at"


def test_annotation_ids_of_mixed_types_are_compared_without_error():
    same = "2026-11-25T09:41:43.298807Z"
    annotations = [_annotation("x1", same), _annotation(7, same), _annotation(None, same)]
    assert choose_gold(annotations).id == "x1"  # integers before strings, then the highest
    assert gold_rule(annotations) == "highest annotation id"
    assert gold_rule([_annotation(1, same, ground_truth=True), _annotation(2, same)]) == "ground truth"
    assert gold_rule([_annotation(1, same)]) is None


def _account(path, **options) -> Account:
    account = Account()
    read_documents(path, SCHEMA, account=account, **options)
    return account


def test_the_account_of_the_shipped_gold_adds_up():
    raw = json.loads(GOLD.read_text("utf-8"))
    chosen = [next((a for a in t["annotations"] if a["ground_truth"]), t["annotations"][0]) for t in raw]
    results = [r for a in chosen for r in a["result"]]
    account = _account(GOLD)
    assert (account.tasks, account.documents, account.results) == (len(raw), len(raw), len(results))
    assert account.regions == sum(r["type"] == "labels" for r in results)
    assert account.relations == sum(r["type"] == "relation" for r in results)
    several = sum(len(t["annotations"]) > 1 for t in raw)
    assert dict(account.gold_rules) == {"ground truth": several} and account.adds_up()


def _mixed_export(tmp_path):
    choice = {
        "id": "c",
        "from_name": "mood",
        "to_name": "text",
        "type": "choices",
        "value": {"choices": ["x"]},
    }
    note = {"id": "n", "from_name": "note", "to_name": "text", "type": "textarea", "value": {"text": ["y"]}}
    annotated = task(1, TEXT, [region("a", 3, 8, "Giang"), choice, note, choice | {"id": "c2"}])
    two = task(6, TEXT, [region("a", 3, 8, "Giang")], updated_at="2026-11-25T09:41:00Z")
    two["annotations"].append(
        {"id": 61, "updated_at": "2026-11-25T09:41:00.5Z", "result": [region("t", 36, 39, "Teo")]}
    )
    bare = {"id": 2, "data": {"text": TEXT}, "annotations": []}
    cancelled = task(3, TEXT, [region("a", 3, 8, "Giang")], was_cancelled=True)
    drafts = {"id": 4, "data": {"text": TEXT}, "annotations": [], "drafts": [{"result": []}]}
    predicted = {"id": 5, "data": {"text": TEXT}, "predictions": [7]}
    return write_export(tmp_path / "mixed.json", [annotated, bare, cancelled, drafts, predicted, two])


def test_the_account_names_every_task_left_out_and_every_result_ignored(tmp_path):
    path = _mixed_export(tmp_path)
    documents = read_documents(path, SCHEMA)
    assert [d.id for d in documents] == ["doc-1", "doc-6"]
    assert documents[1].entities == [Span(36, 39, "PER", "Teo", "t")]  # 00.5Z is later than 00Z
    account = _account(path)
    assert (account.tasks, account.documents, account.results, account.regions, account.relations) == (
        6, 2, 5, 2, 0
    )  # fmt: skip
    assert dict(account.left_out) == {
        "no annotation": 1,
        "only cancelled annotations": 1,
        "only drafts, not submitted": 1,
        "only predictions": 1,
    }
    assert dict(account.ignored) == {
        "choices results of 'mood' (a control the dataset does not hold)": 2,
        "textarea results of 'note' (a control the dataset does not hold)": 1,
    }
    assert dict(account.gold_rules) == {"latest updated_at": 1} and account.adds_up()
    assert "  left out, no annotation: 1 (task 2)" in account.lines()


def test_validate_prints_the_account_and_unannotated_tasks_can_be_refused(tmp_path):
    path = _mixed_export(tmp_path)
    result = CliRunner().invoke(main, ["validate", str(path), "--config", str(CONFIG)])
    assert result.exit_code == 0, result.output
    assert "left out, only cancelled annotations: 1 (task 3)" in result.output
    assert "ignored, choices results of 'mood'" in result.output
    refused = CliRunner().invoke(
        main, ["validate", str(path), "--config", str(CONFIG), "--unannotated", "error"]
    )
    assert refused.exit_code == 1
    assert refused.output.count("no submitted annotation") == 4


EMOJI = "📝 Quang Trung est là"


def test_utf16_offsets_are_converted_before_the_whitespace_check(tmp_path):
    # In code points, [3, 14) would be "uang Trung " and end with a space; in UTF-16 units it is the entity.
    export = [task(1, EMOJI, [region("q", 3, 14, "Quang Trung", "EVENT")])]
    with pytest.warns(UserWarning, match="UTF-16 offsets"):
        (document,) = read_documents(write_export(tmp_path / "e.json", export), SCHEMA)
    assert document.entities == [Span(2, 13, "EVENT", "Quang Trung", "q")]


def test_the_shipped_emoji_fixture_builds_under_the_default_options(tmp_path):
    fixture = REPO / "tests" / "fixtures" / "labelstudio_emoji_export.json"
    result = CliRunner().invoke(main, ["validate", str(fixture), "--config", str(CONFIG)])
    assert result.exit_code == 0 and "entity regions converted: 4" in result.output, result.output


def _without_text(start, end, text=EMOJI):
    found = region("q", start, end, "", "EVENT")
    del found["value"]["text"]
    return [task(1, text, [found])]


@pytest.mark.parametrize(
    ("offsets", "start", "end", "expected"),
    [("assume-utf16", 3, 14, (2, 13)), ("assume-code-points", 2, 13, (2, 13))],
)
def test_offsets_without_value_text_after_an_emoji_are_read_in_the_stated_unit(
    tmp_path, offsets, start, end, expected
):
    path = write_export(tmp_path / "e.json", _without_text(start, end))
    (document,) = read_documents(path, SCHEMA, offsets=offsets)
    assert (document.entities[0].start, document.entities[0].end, document.entities[0].text) == (
        *expected,
        "Quang Trung",
    )
    with pytest.raises(
        InputError, match="--utf16-offsets assume-code-points or --utf16-offsets assume-utf16"
    ):
        read_documents(path, SCHEMA)


def test_offsets_without_value_text_before_any_emoji_are_not_ambiguous(tmp_path):
    path = write_export(tmp_path / "e.json", _without_text(0, 5, "Quang est là 📝"))
    (document,) = read_documents(path, SCHEMA)
    assert document.entities[0].text == "Quang"


@pytest.mark.parametrize("text", ["Quang est là", "Quang est là 📝"])
def test_offsets_past_the_end_in_either_unit_are_out_of_range_not_ambiguous(tmp_path, text):
    path = write_export(tmp_path / "e.json", _without_text(20, 24, text))
    with pytest.raises(InputError) as caught:
        read_documents(path, SCHEMA)
    (problem,) = caught.value.problems
    assert problem.message == f"span [20, 24) is out of range for a text of {len(text)} characters"


def test_per_region_results_of_other_controls_are_ignored_and_their_span_converted(tmp_path):
    note = {"id": "a", "from_name": "note", "to_name": "text", "type": "textarea"}
    mood = {"id": "a", "from_name": "mood", "to_name": "text", "type": "choices"}
    result = [
        region("a", 3, 8, "Giang"),
        note | {"value": {"start": 3, "end": 8, "text": ["a note"]}},
        mood | {"value": {"start": 3, "end": 8, "text": "Giang", "choices": ["sure"]}},
    ]
    account = Account()
    (document,) = read_documents(
        write_export(tmp_path / "e.json", [task(1, TEXT, result)]), SCHEMA, account=account
    )
    assert document.entities == [Span(3, 8, "PER", "Giang", "a")]
    assert dict(account.ignored) == {
        "choices results of 'mood' (a control the dataset does not hold)": 1,
        "textarea results of 'note' (a control the dataset does not hold)": 1,
    }
    assert (account.results, account.regions) == (3, 1) and account.adds_up()


@pytest.mark.parametrize("label", ["", "O", "B-PER", "I-PER"])
def test_an_export_label_that_would_make_iob2_tags_ambiguous_is_an_unknown_label(tmp_path, label):
    path = write_export(tmp_path / "e.json", [task(1, TEXT, [region("a", 3, 8, "Giang", label)])])
    with pytest.raises(InputError, match=rf"unknown label {re.escape(repr(label))} \(1 region"):
        read_documents(path, SCHEMA)


def test_json_min_records_of_one_task_become_its_annotations(tmp_path):
    spans = [{"start": 3, "end": 8, "text": "Giang", "labels": ["PER"]}]
    records = [
        {
            "id": 1,
            "text": TEXT,
            "doc_id": "d1",
            "label": spans,
            "annotation_id": 11,
            "updated_at": "2026-01-01",
        },
        {"id": 1, "text": TEXT, "doc_id": "d1", "annotation_id": 12, "updated_at": "2026-01-02"},
        {"id": 2, "text": TEXT, "doc_id": "d2", "annotator": None, "annotation_id": None},
    ]
    path = tmp_path / "min.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    account = Account()
    (document,) = read_documents(path, SCHEMA, account=account)
    assert (document.id, document.entities) == ("d1", [])  # annotation 12 is the later one
    assert (dict(account.left_out), dict(account.gold_rules)) == (
        {"no annotation": 1},
        {"latest updated_at": 1},
    )
    records[1]["updated_at"] = "2025-12-31"
    path.write_text(json.dumps(records), encoding="utf-8")
    (document,) = read_documents(path, SCHEMA)
    assert document.entities == [Span(3, 8, "PER", "Giang", "r1")]


def test_jsonl_tasks_and_a_utf8_bom_are_read(tmp_path):
    tasks = [task(n, TEXT, [region("a", 3, 8, "Giang")]) for n in (1, 2)]
    path = tmp_path / "tasks.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(json.dumps(t, ensure_ascii=False) for t in tasks).encode())
    assert [d.id for d in read_documents(path, SCHEMA)] == ["doc-1", "doc-2"]


def test_an_export_read_in_tiny_chunks_gives_the_same_documents(monkeypatch):
    expected = read_documents(GOLD, SCHEMA)
    monkeypatch.setattr(formats, "CHUNK", 7)
    assert read_documents(GOLD, SCHEMA) == expected


NO_RELATIONS = parse_schema(
    '<View><Labels name="label" toName="text"><Label value="PER"/><Label value="TITLE"/></Labels>'
    '<Text name="text" value="$text"/></View>'
)


def test_unlabelled_relations_are_kept_as_related_under_a_config_without_relations(tmp_path):
    unlabelled = relation("a", "b") | {"labels": []}
    missing = {key: value for key, value in relation("b", "a").items() if key != "labels"}
    result = [region("a", 3, 8, "Giang"), region("b", 10, 23, "vice-ministre", "TITLE"), unlabelled, missing]
    (document,) = read_documents(write_export(tmp_path / "e.json", [task(1, TEXT, result)]), NO_RELATIONS)
    assert document.relations == [Relation("a", "b", "related"), Relation("b", "a", "related")]


def test_control_names_of_another_config_are_said_once_with_the_fix(tmp_path):
    tasks = [
        task(n, TEXT, [region(f"r{k}", 3, 8, "Giang") | {"from_name": "ner"} for k in range(3)])
        for n in (1, 2)
    ]
    with pytest.raises(InputError) as caught:
        read_documents(write_export(tmp_path / "e.json", tasks), SCHEMA)
    (problem,) = caught.value.problems
    assert str(problem).startswith(
        "task 1 (document doc-1) annotation 10, region r0: span regions of type 'labels'"
    )
    assert (
        "(6 region(s) in 2 task(s))" in problem.message
        and "pass that config with --config" in problem.message
    )


def test_an_export_given_through_a_pipe_is_refused_in_one_line(tmp_path):
    fifo = tmp_path / "export.json"
    os.mkfifo(fifo)
    with pytest.raises(
        InputError, match=r"export.json: not a regular file \(a pipe\?\); an export is read twice"
    ):
        read_documents(fifo, load_schema(CONFIG))


@pytest.mark.parametrize("command", ["validate", "check", "build"])
def test_validate_check_and_build_refuse_alike_an_export_whose_every_task_is_left_out(tmp_path, command):
    unannotated = [{"id": tid, "data": {"text": "Hanoi"}, "annotations": []} for tid in (1, 2, 3)]
    path = write_export(tmp_path / "export.json", unannotated)
    out = ["--out", str(tmp_path / "out"), "--quiet"] if command == "build" else []
    result = CliRunner().invoke(main, [command, str(path), "--config", str(CONFIG), *out])
    assert result.exit_code == 1
    assert (
        "every task is left out (no annotation: 3): the export holds no annotated document" in result.stderr
    )
    assert "left out, no annotation: 3 (task 1, task 2, task 3)" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.json"]


def test_a_utf16_conversion_is_one_warning_line_like_the_other_messages(tmp_path):
    path = write_export(tmp_path / "e.json", [task(1, EMOJI, [region("q", 3, 14, "Quang Trung", "EVENT")])])
    result = CliRunner().invoke(main, ["validate", str(path), "--config", str(CONFIG)])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "warning: task 1 (document doc-1) annotation 10, region q: "
        "UTF-16 offsets [3, 14) converted to code points [2, 13)\n"
    )


def test_ids_holding_control_characters_are_escaped_so_each_message_stays_one_line(tmp_path):
    bad = task(
        1, TEXT, [region("r\n1", 3, 8, "Giang") | {"value": {"start": -1, "end": 8, "labels": ["PER"]}}]
    )
    bad["data"]["doc_id"] = "d1\neverything is fine"
    bad["annotations"][0]["id"] = "a\u2028b"
    left_out = {"id": "t\x00", "data": {"text": TEXT}}
    path = write_export(tmp_path / "e.json", [bad, left_out])
    result = CliRunner().invoke(main, ["validate", str(path), "--config", str(CONFIG)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: 1 problem(s):",
        "  - task 1 (document d1\\neverything is fine) annotation a\\u2028b, region r\\n1: "
        "negative offsets [-1, 8)",
    ]
    del bad["annotations"][0]["result"][0]["value"]["start"]
    bad["annotations"][0]["result"] = []
    result = CliRunner().invoke(
        main, ["validate", str(write_export(path, [bad, left_out])), "--config", str(CONFIG)]
    )
    assert "  left out, no annotation: 1 (task t\\x00)" in result.stdout.splitlines()
