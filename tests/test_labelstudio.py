"""Reading Label Studio exports: every kind of bad input is refused with task, region and reason."""

from __future__ import annotations

import json

import pytest

from helpers import CONFIG, REPO, region, relation, task, write_export
from vna_ner.documents import Document, Provenance, Relation, Span
from vna_ner.errors import InputError
from vna_ner.labelstudio import export as labelstudio_export
from vna_ner.labelstudio.export import (
    Annotation,
    Utf16Offsets,
    Utf16OffsetWarning,
    choose_gold,
    iter_tasks,
    read_documents,
)
from vna_ner.labelstudio.schema import load_schema
from vna_ner.labelstudio.tasks import document_to_task

SCHEMA = load_schema(CONFIG)
TEXT = "M. Giang, vice-ministre, a reçu Mme Teo à Hanoi."


def problems_of(tmp_path, tasks, **kwargs) -> list[str]:
    with pytest.raises(InputError) as caught:
        read_documents(write_export(tmp_path / "export.json", tasks), SCHEMA, **kwargs)
    return [str(problem) for problem in caught.value.problems]


def test_a_valid_export_gives_documents_with_spans_and_relations(tmp_path):
    result = [region("a", 3, 8, "Giang"), region("b", 10, 23, "vice-ministre", "TITLE"), relation("a", "b")]
    (document,) = read_documents(write_export(tmp_path / "e.json", [task(1, TEXT, result)]), SCHEMA)
    assert document.id == "doc-1"
    assert document.entities == [Span(3, 8, "PER", "Giang", "a"), Span(10, 23, "TITLE", "vice-ministre", "b")]
    assert document.relations == [Relation("a", "b", "HAS_TITLE")]


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (
            [region("a", 3, 99, "Giang")],
            "task 1 (document doc-1) annotation 10, region a: span [3, 99) is out of range",
        ),
        ([region("a", 3, 8, "Gianx")], "region a: value.text 'Gianx' differs from text[3:8] = 'Giang'"),
        ([region("a", 3, 8, "Giang"), region("b", 6, 12, "ng, vi")], "region b: overlaps region a"),
        ([region("a", 8, 8, "")], "region a: empty or reversed span [8, 8)"),
        (
            [region("a", 3, 8, "Giang", "PERSON")],
            "region a: unknown label 'PERSON' (1 region(s) in 1 task(s))",
        ),
        (
            [region("a", 3, 8, "Giang"), relation("a", "zz")],
            "relation a->zz: points to missing region(s) ['zz']",
        ),
        (
            [region("a", 3, 8, "Giang"), region("b", 42, 47, "Hanoi", "LOC"), relation("a", "b")],
            "relation a->b: HAS_TITLE: tail must be TITLE, not LOC",
        ),
        (
            [region("a", 3, 8, "Giang"), region("b", 42, 47, "Hanoi", "LOC"), relation("a", "b", "LIKES")],
            "relation a->b: unknown relation label 'LIKES' (1 region(s) in 1 task(s))",
        ),
        (
            [region("a", 3, 8, "Giang"), region("b", 42, 47, "Hanoi", "LOC"), relation("a", "b", "ALIAS_OF")],
            "ALIAS_OF: head and tail must have the same type, not PER and LOC",
        ),
        (
            [region("a", 3, 8, "Giang"), region("b", 36, 39, "Teo"), relation("a", "b", "MEETS", "bi")],
            "direction 'bi' is not directed",
        ),
    ],
)
def test_bad_regions_are_reported_with_task_region_and_reason(tmp_path, result, expected):
    problems = problems_of(tmp_path, [task(1, TEXT, result)])
    assert any(expected in problem for problem in problems), problems


def test_every_problem_is_listed_not_just_the_first(tmp_path):
    tasks = [task(1, TEXT, [region("a", 3, 99, "x")]), task(2, TEXT, [region("b", 0, 1, "M", "FOO")])]
    problems = problems_of(tmp_path, tasks)
    assert len(problems) == 2 and "task 1" in problems[0] and "task 2" in problems[1]


def test_duplicate_task_and_document_ids_are_refused_naming_both_tasks(tmp_path):
    tasks = [task(1, TEXT, []), task(2, TEXT, []), task(1, TEXT, []), task(3, TEXT, [])]
    tasks[3]["data"]["doc_id"] = "doc-2"
    assert problems_of(tmp_path, tasks) == [
        "task 1 (document doc-1): duplicate task id (first at task #1 of the export)",
        "task 1 (document doc-1): duplicate document id (first at task #1 of the export)",
        "task 3 (document doc-2): duplicate document id (first at task #2 of the export)",
    ]


def test_duplicate_ids_are_listed_in_export_order_among_the_other_problems(tmp_path):
    tasks = [task(1, TEXT, []), task(1, TEXT, []), *({"id": n, "data": {"text": ""}} for n in range(2, 60))]
    problems = problems_of(tmp_path, tasks)
    assert len(problems) == 2 + 58
    assert problems[0].startswith("task 1 (document doc-1): duplicate task id")
    assert problems[2].startswith("task 2 (document task-2): data.text must be a non-blank string")


def test_ids_equal_as_numbers_are_duplicates(tmp_path):
    path = tmp_path / "e.json"
    path.write_text(json.dumps([task(1, TEXT, []), task(2, TEXT, [])]).replace('"id": 2,', '"id": 1.0,'))
    with pytest.raises(InputError) as caught:
        read_documents(path, SCHEMA)
    assert [str(p) for p in caught.value.problems] == [
        "task 1.0 (document doc-2): duplicate task id (first at task #1 of the export)"
    ]


def test_colliding_hashes_of_distinct_ids_are_not_duplicates(tmp_path, monkeypatch):
    monkeypatch.setattr(labelstudio_export, "hash", lambda value: 0, raising=False)
    tasks = [task(n, TEXT, []) for n in range(1, 6)]
    assert len(read_documents(write_export(tmp_path / "e.json", tasks), SCHEMA)) == 5
    tasks.append(task(3, TEXT, []))
    assert problems_of(tmp_path, tasks) == [
        "task 3 (document doc-3): duplicate task id (first at task #3 of the export)",
        "task 3 (document doc-3): duplicate document id (first at task #3 of the export)",
    ]


@pytest.mark.parametrize("text", ["", " \n ", None, 42])
def test_text_must_be_a_non_blank_string(tmp_path, text):
    bad = {"id": 7, "data": {"text": text}, "annotations": []}
    assert any(
        "task 7 (document task-7): data.text must be a non-blank string" in p
        for p in problems_of(tmp_path, [bad])
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"tasks": []}', "the first item is not a task (an object with tasks, but no 'data' object"),
        ("[]", "the export holds no task"),
        ('"text"', "not a Label Studio export (a file starting with '\"')"),
        ("id,text\n1,Hanoi\n", "not a Label Studio export (a file starting with 'i'): export the project"),
    ],
)
def test_an_export_must_hold_tasks_and_other_files_get_one_line_saying_what_to_export(
    tmp_path, content, expected
):
    path = tmp_path / "export.json"
    path.write_text(content)
    with pytest.raises(InputError) as caught:
        read_documents(path, SCHEMA)
    assert len(caught.value.problems) == 1 and expected in str(caught.value.problems[0])


def test_a_task_that_is_not_an_object_is_named_by_its_position(tmp_path):
    problems = problems_of(tmp_path, [task(1, TEXT, []), "oops"])
    assert problems == ["task #2 of the export: must be an object with a 'data' object"]


@pytest.mark.parametrize("provenance", ["x", [{"source": "x"}], [{"source": "p.txt", "offset": "12"}]])
def test_provenance_must_list_sources_and_offsets(tmp_path, provenance):
    raw = task(1, TEXT, [])
    raw["data"]["provenance"] = provenance
    assert any(
        "data.provenance must be a list of {source: str, offset: int}" in p
        for p in problems_of(tmp_path, [raw])
    )


def test_regions_must_be_objects_with_unique_ids(tmp_path):
    assert any(
        "every item of 'result' must be an object" in p
        for p in problems_of(tmp_path, [task(1, TEXT, ["oops"])])
    )
    twice = [region("a", 3, 8, "Giang"), region("a", 42, 47, "Hanoi", "LOC")]
    assert any(
        "region a: 2 regions share this id" in p for p in problems_of(tmp_path, [task(2, TEXT, twice)])
    )


def test_a_span_may_not_start_or_end_with_whitespace(tmp_path):
    problems = problems_of(tmp_path, [task(1, TEXT, [region("a", 2, 8, " Giang")])])
    assert any("region a: span [2, 8) ' Giang' starts or ends with whitespace" in p for p in problems)


def test_an_overlap_with_an_earlier_long_span_is_found_past_a_nested_one(tmp_path):
    spans = [region("a", 0, 23, TEXT[0:23]), region("b", 3, 5, TEXT[3:5]), region("c", 10, 14, TEXT[10:14])]
    problems = problems_of(tmp_path, [task(1, TEXT, spans)])
    assert sum("overlaps region a" in p for p in problems) == 2


def test_a_relation_given_twice_is_reported(tmp_path):
    result = [
        region("a", 3, 8, "Giang"),
        region("b", 10, 23, "vice-ministre", "TITLE"),
        relation("a", "b"),
        relation("a", "b"),
    ]
    assert any(
        "relation a->b: HAS_TITLE is given twice" in p for p in problems_of(tmp_path, [task(1, TEXT, result)])
    )


def test_a_file_that_is_not_json_is_refused(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[{"id": 1, "data": ', encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON at line 1, character 20: Expecting value"):
        read_documents(path, SCHEMA)


EMOJI_TEXT = "📝Édito: Campagne Quang Trung"


def test_code_point_offsets_after_an_emoji_are_read_as_they_are(tmp_path):
    start = EMOJI_TEXT.index("Quang")
    export = [task(1, EMOJI_TEXT, [region("a", start, start + 11, "Quang Trung", "EVENT")])]
    (document,) = read_documents(write_export(tmp_path / "e.json", export), SCHEMA)
    assert document.entities[0].text == "Quang Trung"


def test_utf16_offsets_after_an_emoji_are_converted_with_a_warning(tmp_path):
    start = EMOJI_TEXT.index("Quang") + 1  # the emoji counts as two UTF-16 code units
    export = [task(1, EMOJI_TEXT, [region("a", start, start + 11, "Quang Trung", "EVENT")])]
    with pytest.warns(Utf16OffsetWarning, match=r"region a: UTF-16 offsets \[18, 29\) converted"):
        (document,) = read_documents(write_export(tmp_path / "e.json", export), SCHEMA)
    assert (document.entities[0].start, document.entities[0].text) == (start - 1, "Quang Trung")


def test_utf16_offsets_can_be_refused_instead(tmp_path):
    start = EMOJI_TEXT.index("Quang") + 1
    export = [task(1, EMOJI_TEXT, [region("a", start, start + 11, "Quang Trung", "EVENT")])]
    problems = problems_of(tmp_path, export, offsets="refuse")
    assert any("UTF-16 code units, not code points" in p and "--utf16-offsets convert" in p for p in problems)


def test_utf16_mapping_counts_astral_characters_twice():
    units = Utf16Offsets("a📝b")
    assert [units.code_point(unit) for unit in range(6)] == [0, 1, None, 2, 3, None]


def test_a_left_pointing_relation_is_stored_head_to_tail(tmp_path):
    result = [
        region("a", 3, 8, "Giang"),
        region("b", 10, 23, "vice-ministre", "TITLE"),
        relation("b", "a", direction="left"),
    ]
    (document,) = read_documents(write_export(tmp_path / "e.json", [task(1, TEXT, result)]), SCHEMA)
    assert document.relations == [Relation("a", "b", "HAS_TITLE")]


def _annotation(aid, *, ground_truth=False, cancelled=False, updated_at=""):
    return Annotation(aid, [], [], ground_truth=ground_truth, cancelled=cancelled, updated_at=updated_at)


def test_gold_is_the_ground_truth_annotation_first():
    chosen = choose_gold(
        [_annotation(1, updated_at="2026-02"), _annotation(2, ground_truth=True, updated_at="2026-01")]
    )
    assert chosen.id == 2


def test_gold_is_otherwise_the_most_recent_non_cancelled_annotation():
    annotations = [
        _annotation(1, updated_at="2026-01-01"),
        _annotation(2, updated_at="2026-03-01", cancelled=True),
        _annotation(3, updated_at="2026-02-01"),
    ]
    assert choose_gold(annotations).id == 3
    assert choose_gold([_annotation(4, cancelled=True)]) is None


def test_other_annotations_and_predictions_stay_available(tmp_path):
    raw = task(1, TEXT, [region("a", 3, 8, "Giang")], ground_truth=True)
    raw["annotations"].append({"id": 11, "result": [], "was_cancelled": False})
    raw["predictions"] = [{"id": 5, "model_version": "m", "result": [region("p", 42, 47, "Hanoi", "LOC")]}]
    (read,) = iter_tasks(write_export(tmp_path / "e.json", [raw]), SCHEMA)
    assert [a.id for a in read.annotations] == [10, 11]
    assert read.predictions[0].entities == [Span(42, 47, "LOC", "Hanoi", "p")]


def test_a_document_becomes_a_task_that_reads_back_identically(tmp_path):
    document = Document(
        id="d",
        text=TEXT,
        entities=[Span(3, 8, "PER", "Giang", "e1"), Span(10, 23, "TITLE", "vice-ministre", "e2")],
        relations=[Relation("e1", "e2", "HAS_TITLE")],
        provenance=[Provenance("page.txt", 120)],
    )
    exported = document_to_task(document, SCHEMA)
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps([{"id": 1, **exported}]), encoding="utf-8")
    (read,) = read_documents(path, SCHEMA)
    assert (read.id, read.text, read.entities, read.relations, read.provenance) == (
        document.id,
        document.text,
        document.entities,
        document.relations,
        document.provenance,
    )


def test_predictions_become_prediction_results():
    document = Document(id="d", text=TEXT, entities=[Span(3, 8, "PER", "Giang", "e1")])
    exported = document_to_task(document, SCHEMA, as_predictions=True, model_version="dict-v1")
    assert "annotations" not in exported
    assert exported["predictions"][0]["model_version"] == "dict-v1"
    assert exported["predictions"][0]["result"][0]["value"]["labels"] == ["PER"]


def test_a_real_label_studio_export_with_emoji_reads_as_code_points_without_conversion(recwarn):
    # Made by selecting text with the mouse in the Label Studio 1.23.2 UI: it writes code-point offsets.
    export = REPO / "tests" / "fixtures" / "labelstudio_emoji_export.json"
    documents = read_documents(export, SCHEMA)
    assert [[(s.text, s.label) for s in d.entities] for d in documents] == [
        [("Quang Trung", "LOC")],
        [("📝", "MISC"), ("Cafe\u0301", "MISC"), ("Quang Trung", "LOC")],  # e + combining acute
    ]
    assert not [w for w in recwarn if issubclass(w.category, Utf16OffsetWarning)]


def test_drafts_are_not_annotations_and_are_ignored(tmp_path):
    raw = task(1, TEXT, [region("a", 3, 8, "Giang")])
    raw["drafts"] = [{"id": 99, "result": [region("d", 0, 99, "broken", "NOPE")]}]
    (document,) = read_documents(write_export(tmp_path / "e.json", [raw]), SCHEMA)
    assert [span.id for span in document.entities] == ["a"]
