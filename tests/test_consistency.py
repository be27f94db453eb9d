"""The consistency checker finds what a reviewer would, and the gold passes it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from helpers import CONFIG, REPO
from vna_ner.cli import main
from vna_ner.corpus.consistency import check_consistency, read_exceptions
from vna_ner.documents import Document, Relation, Span
from vna_ner.errors import InputError
from vna_ner.labelstudio.export import read_documents
from vna_ner.labelstudio.schema import load_schema

SCHEMA = load_schema(CONFIG)


def test_the_same_string_with_two_labels_is_reported_in_every_place():
    documents = [
        Document("a", "Cuba et Hanoi", [Span(0, 4, "LOC", "Cuba", "1"), Span(8, 13, "LOC", "Hanoi", "2")]),
        Document("b", "Cuba", [Span(0, 4, "ORG", "Cuba", "1")]),
    ]
    reported, _ = check_consistency(documents, SCHEMA)
    assert [(f.kind, f.document, f.text) for f in reported] == [
        ("label", "a", "Cuba"),
        ("label", "b", "Cuba"),
    ]
    assert "overall LOC x1, ORG x1" in reported[0].message


def test_a_name_annotated_once_and_missed_elsewhere_is_reported():
    documents = [
        Document(
            "a", "Le Vietnam et Cuba", [Span(3, 10, "LOC", "Vietnam", "1"), Span(14, 18, "LOC", "Cuba", "2")]
        ),
        Document("b", "Le Vietnam, Cuba et les Vietnamiens", [Span(12, 16, "LOC", "Cuba", "1")]),
    ]
    reported, _ = check_consistency(documents, SCHEMA)
    # "Vietnamiens" is another word: only the whole-word "Vietnam" counts as missed.
    assert [(f.kind, f.document, f.start, f.text) for f in reported] == [("missed", "b", 3, "Vietnam")]


def test_an_occurrence_inside_a_larger_span_is_not_missed():
    text = "Hanoi et le Comité du Parti pour Hanoi"
    documents = [
        Document("a", text, [Span(0, 5, "LOC", "Hanoi", "1"), Span(12, 38, "ORG", text[12:38], "2")]),
    ]
    assert check_consistency(documents, SCHEMA)[0] == []


def test_relations_with_forbidden_argument_types_or_self_aliases_are_reported():
    text = "Giang Giang Hanoi"
    spans = [
        Span(0, 5, "PER", "Giang", "1"),
        Span(6, 11, "PER", "Giang", "2"),
        Span(12, 17, "LOC", "Hanoi", "3"),
    ]
    documents = [
        Document("a", text, spans, [Relation("1", "3", "HAS_TITLE"), Relation("2", "1", "ALIAS_OF")])
    ]
    messages = [f.message for f in check_consistency(documents, SCHEMA)[0] if f.kind == "relation"]
    assert sorted(messages) == [
        "ALIAS_OF between identical strings",
        "HAS_TITLE: tail must be TITLE, not LOC",
    ]


def test_exceptions_accept_exactly_the_findings_they_name(tmp_path):
    documents = [
        Document("a", "en général et un général", []),
        Document("b", "le général Giang", [Span(3, 10, "TITLE", "général", "1")]),
        Document("c", "un général", []),
    ]
    exceptions_file = tmp_path / "exceptions.json"
    exceptions_file.write_text(
        '[{"kind": "missed", "text": "général", "document": "a", "start": 3, "reason": "idiom"}]'
    )
    reported, accepted = check_consistency(documents, SCHEMA, read_exceptions(exceptions_file))
    assert [(f.document, f.start) for f in accepted] == [("a", 3)]
    assert [(f.document, f.start) for f in reported] == [("a", 17), ("c", 3)]


def test_an_exception_that_accepts_nothing_is_reported_as_stale(tmp_path):
    exceptions_file = tmp_path / "exceptions.json"
    exceptions_file.write_text('[{"kind": "missed", "text": "Cuba", "document": "a", "reason": "old"}]')
    reported, _ = check_consistency([Document("a", "Hanoi", [])], SCHEMA, read_exceptions(exceptions_file))
    assert [(f.kind, f.message) for f in reported] == [
        ("exception", "this exception accepts no finding: remove it")
    ]


def test_an_exception_without_a_reason_is_refused(tmp_path):
    exceptions_file = tmp_path / "exceptions.json"
    exceptions_file.write_text('[{"kind": "missed", "text": "Cuba"}]')
    with pytest.raises(InputError, match="entry 1 needs 'kind', 'text' and a non-empty 'reason'"):
        read_exceptions(exceptions_file)


def test_the_gold_passes_the_checker_with_only_its_documented_exceptions():
    documents = read_documents(REPO / "annotations" / "gold.json", SCHEMA)
    exceptions = read_exceptions(REPO / "annotations" / "consistency_exceptions.json")
    reported, accepted = check_consistency(documents, SCHEMA, exceptions)
    assert reported == []
    assert len(accepted) == len(exceptions)
    guidelines = (REPO / "annotations" / "GUIDELINES.md").read_text()
    assert all(e.reason.split(":")[0].removeprefix("GUIDELINES ") in guidelines for e in exceptions)


def test_the_check_command_exits_1_on_findings(tmp_path):
    export = tmp_path / "export.json"
    export.write_text(
        '[{"id": 1, "data": {"text": "Cuba, Cuba"}, "annotations": [{"id": 2, "result": ['
        '{"id": "r", "from_name": "label", "to_name": "text", "type": "labels",'
        ' "value": {"start": 0, "end": 4, "text": "Cuba", "labels": ["LOC"]}}]}]}]'
    )
    result = CliRunner().invoke(main, ["check", str(export), "--config", str(CONFIG)])
    assert result.exit_code == 1
    assert "[missed] task-1@6 'Cuba': annotated LOC elsewhere, not here" in result.output
