"""The consistency checker finds what a reviewer would, and the gold passes it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from helpers import CONFIG, REPO
from vna_ner.cli import main
from vna_ner.corpus.consistency import check_consistency, read_exceptions
from vna_ner.dataset.align import tokenize
from vna_ner.documents import Document, Relation, Span
from vna_ner.errors import InputError
from vna_ner.labelstudio.export import read_documents
from vna_ner.labelstudio.schema import load_schema

SCHEMA = load_schema(CONFIG)


def _sentence_starts(text: str) -> list[int]:
    """The dataset's sentences, as ``vna-ner check`` gives them to the checker."""
    offsets, firsts = tokenize(text)
    return [offsets[i][0] for i in firsts]


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
    reported, accepted = check_consistency(documents, SCHEMA, exceptions, _sentence_starts)
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


def _relation_messages(document: Document) -> list[str]:
    reported, _ = check_consistency([document], SCHEMA, sentence_starts=_sentence_starts)
    return [f.message for f in reported if f.kind in ("relation", "span")]


def _spans(text: str, *items: tuple[str, str]) -> list[Span]:
    """Spans for ``(surface, label)`` pairs, each found after the previous one; ids 1, 2, …"""
    spans, cursor = [], 0
    for number, (surface, label) in enumerate(items, start=1):
        start = text.index(surface, cursor)
        cursor = start + len(surface)
        spans.append(Span(start, cursor, label, surface, str(number)))
    return spans


def test_an_anniversary_annotated_as_an_event_is_reported():
    text = "le 96e anniversaire de la fondation du Parti et le 14e Congrès national du Parti"
    spans = _spans(
        text, ("96e anniversaire de la fondation du Parti", "EVENT"), ("14e Congrès national", "EVENT")
    )
    assert _relation_messages(Document("a", text, spans)) == ["an anniversary is not an EVENT"]
    assert _relation_messages(Document("a", text, spans[1:])) == []


@pytest.mark.parametrize(
    ("text", "surface", "message"),
    [
        ("la 14e Conférence des ministres", "Conférence des ministres", "starts after its ordinal"),
        ("le XIVᵉ Congrès national du Parti", "Congrès national du Parti", "starts after its ordinal"),
        ("le 47e Sommet de l'ASEAN à Vientiane", "47e Sommet de l'ASEAN à Vientiane", "reaches into a place"),
        ("la 92ᵉ session du Comité le 3 février 2026", "92ᵉ session du Comité le 3 février", "holds a date"),
        (
            "le 47e Sommet et des sommets connexes",
            "47e Sommet et des sommets connexes",
            "over a coordination",
        ),
    ],
)
def test_an_event_that_misses_its_ordinal_or_reaches_too_far_is_reported(text, surface, message):
    (reported,) = _relation_messages(Document("a", text, _spans(text, (surface, "EVENT"))))
    assert message in reported


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        ("Le 7e Dialogue sur la politique de défense Vietnam – Philippines.", "7e Dialogue sur la politique"),
        ("le XIVᵉ Congrès national du Parti à Hanoï", "XIVᵉ Congrès national du Parti"),
        ("le Forum économique d’automne 2025 et des sommets", "Forum économique d’automne 2025"),
        ("La Conférence de dialogue politique", "Conférence de dialogue politique"),
    ],
)
def test_an_event_from_its_ordinal_to_its_name_passes(text, surface):
    assert _relation_messages(Document("a", text, _spans(text, (surface, "EVENT")))) == []


def test_alias_of_between_titles_is_reported():
    text = "Le PM Pham Minh Chinh, Premier ministre, au WEF, Forum économique mondial."
    spans = _spans(
        text,
        ("PM", "TITLE"),
        ("Premier ministre", "TITLE"),
        ("WEF", "ORG"),
        ("Forum économique mondial", "ORG"),
    )
    titles = Document("a", text, spans, [Relation("1", "2", "ALIAS_OF")])
    organisations = Document("a", text, spans, [Relation("3", "4", "ALIAS_OF")])
    assert _relation_messages(titles) == ["ALIAS_OF between titles"]
    assert _relation_messages(organisations) == []


def test_alias_of_goes_to_the_nearest_earlier_full_form_or_else_the_first_later_one():
    text = "Photo : VNA. Agence vietnamienne d’Information (VNA). Agence vietnamienne d’Information. VNA"
    spans = _spans(
        text,
        ("VNA", "ORG"),
        ("Agence vietnamienne d’Information", "ORG"),
        ("VNA", "ORG"),
        ("Agence vietnamienne d’Information", "ORG"),
        ("VNA", "ORG"),
    )
    right = [Relation("1", "2", "ALIAS_OF"), Relation("3", "2", "ALIAS_OF"), Relation("5", "4", "ALIAS_OF")]
    assert _relation_messages(Document("a", text, spans, right)) == []
    wrong = [Relation("1", "4", "ALIAS_OF"), Relation("3", "2", "ALIAS_OF"), Relation("5", "2", "ALIAS_OF")]
    assert _relation_messages(Document("a", text, spans, wrong)) == [
        f"ALIAS_OF goes to 'Agence vietnamienne d’Information'@{spans[3].start}, not to its nearest earlier "
        f"(or first later) mention @{spans[1].start}",
        f"ALIAS_OF goes to 'Agence vietnamienne d’Information'@{spans[1].start}, not to its nearest earlier "
        f"(or first later) mention @{spans[3].start}",
    ]


def test_a_spelling_variant_without_alias_of_is_reported_but_not_a_title_or_a_new_wording():
    # 002-main: the glued, curly-apostrophe repeat of the session's name is a typo variant (GUIDELINES §3.16).
    text = (
        "la 76e session de l'Assemblée générale. Le Secrétaire général. "
        "La 76e sessionde l’Assemblée générale. Le secrétaire général. "
        "Comité pour l’intégration, Comité de l’intégration."
    )
    spans = _spans(
        text,
        ("76e session de l'Assemblée générale", "EVENT"),
        ("Secrétaire général", "TITLE"),
        ("76e sessionde l’Assemblée générale", "EVENT"),
        ("secrétaire général", "TITLE"),
        ("Comité pour l’intégration", "ORG"),
        ("Comité de l’intégration", "ORG"),
    )
    assert _relation_messages(Document("a", text, spans)) == [
        f'spelling variant of "76e session de l\'Assemblée générale"@{spans[0].start} without ALIAS_OF'
    ]
    assert _relation_messages(Document("a", text, spans, [Relation("3", "1", "ALIAS_OF")])) == []


def test_only_has_title_and_alias_of_reach_into_another_sentence():
    text = "Hoang Trung Hai est arrivé.\nLe secrétaire a reçu Luis Torres."
    spans = _spans(text, ("Hoang Trung Hai", "PER"), ("secrétaire", "TITLE"), ("Luis Torres", "PER"))
    across = Document("a", text, spans, [Relation("1", "2", "HAS_TITLE"), Relation("1", "3", "MEETS")])
    assert _relation_messages(across) == ["MEETS to 'Luis Torres'@49 in another sentence"]
    assert _relation_messages(Document("a", text, spans, [Relation("1", "2", "HAS_TITLE")])) == []


def test_visits_needs_a_travel_or_visit_word_in_its_sentence():
    # 002-t05 in 1.0: activity at a session in Geneva, no travel verb (GUIDELINES §3.17).
    activity = "Nguyen Thi Ha a défendu le rapport au siège des Nations unies à Genève."
    travel = "Hoang Trung Hai a effectué une visite de travail à Cuba."
    for text, expected in (
        (activity, ["VISITS 'Genève': the sentence holds no travel or visit word"]),
        (travel, []),
    ):
        head, tail = text.split(" a ")[0], text.rstrip(".").split(" à ")[-1]
        spans = _spans(text, (head, "PER"), (tail, "LOC"))
        assert _relation_messages(Document("a", text, spans, [Relation("1", "2", "VISITS")])) == expected


def test_works_for_that_goes_on_through_a_unit_to_its_party_is_reported():
    # 003-main in 1.0: To Lam worked for the Comité central (CC) and for the Parti communiste du Vietnam.
    text = "secrétaire général du Comité central (CC) du Parti communiste du Vietnam (PCV), To Lam"
    spans = _spans(text, ("Comité central", "ORG"), ("Parti communiste du Vietnam", "ORG"), ("To Lam", "PER"))
    unit = [Relation("1", "2", "PART_OF"), Relation("3", "1", "WORKS_FOR")]
    assert _relation_messages(Document("a", text, spans, unit)) == []
    both = [*unit, Relation("3", "2", "WORKS_FOR")]
    assert _relation_messages(Document("a", text, spans, both)) == [
        "WORKS_FOR both 'Comité central' and the organisation it is PART_OF, 'Parti communiste du Vietnam'"
    ]


def test_the_check_command_applies_the_sentence_rules(tmp_path):
    export = tmp_path / "export.json"
    region = '{{"id": "{0}", "from_name": "label", "to_name": "text", "type": "labels", "value": {1}}}'
    results = [
        region.format("p", '{"start": 0, "end": 2, "text": "Ha", "labels": ["PER"]}'),
        region.format("l", '{"start": 13, "end": 19, "text": "Genève", "labels": ["LOC"]}'),
        '{"from_id": "p", "to_id": "l", "type": "relation", "direction": "right", "labels": ["VISITS"]}',
    ]
    export.write_text(
        '[{"id": 1, "data": {"text": "Ha a parlé à\\nGenève"}, "annotations": [{"id": 2, "result": ['
        + ", ".join(results)
        + "]}]}]"
    )
    result = CliRunner().invoke(main, ["check", str(export), "--config", str(CONFIG)])
    assert "[relation] task-1@0 'Ha': VISITS to 'Genève'@13 in another sentence" in result.output
    assert result.exit_code == 1
