"""`vna-ner diff`: what changed between two releases, per document, and the 1.0 -> 1.1 errata."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from helpers import CONFIG, REPO, region, task, write_export
from vna_ner.cli import main
from vna_ner.corpus.diff import diff_releases, errata_markdown, read_reasons, summary
from vna_ner.dataset.build import build, previous_splits
from vna_ner.documents import Document, Relation, Span
from vna_ner.errors import InputError
from vna_ner.labelstudio.export import read_documents
from vna_ner.labelstudio.schema import load_schema

SCHEMA = load_schema(CONFIG)
RELEASE_1_0 = REPO / "annotations" / "releases" / "1.0" / "gold.json"
GOLD = REPO / "annotations" / "gold.json"
REASONS = REPO / "annotations" / "releases" / "1.1-errata.json"

TEXT = "secrétaire général du Comité central du Parti communiste du Vietnam (PCV), To Lam"
#       0         1         2         3         4         5         6         7         8
#       0123456789012345678901234567890123456789012345678901234567890123456789012345678901


def _changes(old: Document, new: Document) -> list[tuple[str, str, str]]:
    return [(c.kind, c.change, c.describe()) for c in diff_releases([old], [new])]


def test_two_names_merged_into_one_give_one_re_bounded_and_one_removed_entity_and_their_relations_follow():
    # 002-t03, 1.0 -> 1.1: the acronym after the whole name does not cut it (GUIDELINES §3.9).
    old = Document(
        "d",
        TEXT,
        [
            Span(22, 36, "ORG", "Comité central", "T1"),
            Span(40, 67, "ORG", "Parti communiste du Vietnam", "T2"),
            Span(69, 72, "ORG", "PCV", "T3"),
            Span(75, 81, "PER", "To Lam", "T4"),
        ],
        [
            Relation("T1", "T2", "PART_OF"),
            Relation("T4", "T1", "WORKS_FOR"),
            Relation("T4", "T2", "WORKS_FOR"),
        ],
    )
    new = Document(
        "d",
        TEXT,
        [
            Span(22, 67, "ORG", TEXT[22:67], "r1"),
            Span(69, 72, "ORG", "PCV", "r2"),
            Span(75, 81, "PER", "To Lam", "r3"),
        ],
        [Relation("r3", "r1", "WORKS_FOR")],
    )
    assert _changes(old, new) == [
        ("entity", "removed", 'ORG "Parti communiste du Vietnam" [40, 67)'),
        (
            "entity",
            "re-bounded",
            'ORG "Comité central" [22, 36) ⇒ ORG "Comité central du Parti communiste du Vietnam" [22, 67)',
        ),
        ("relation", "removed", 'PART_OF "Comité central"@22 → "Parti communiste du Vietnam"@40'),
        ("relation", "removed", 'WORKS_FOR "To Lam"@75 → "Parti communiste du Vietnam"@40'),
        (
            "relation",
            "re-bounded",
            'WORKS_FOR "To Lam"@75 → "Comité central"@22 ⇒ '
            'WORKS_FOR "To Lam"@75 → "Comité central du Parti communiste du Vietnam"@22',
        ),
    ]


def test_relabelled_added_and_removed_entities_and_relations_compared_by_spans_not_region_ids():
    text = "le Centre Fidel Castro à La Havane, Cuba"
    old = Document(
        "d",
        text,
        [Span(3, 22, "ORG", "Centre Fidel Castro", "1"), Span(25, 34, "LOC", "La Havane", "2")],
        [Relation("1", "2", "LOCATED_IN"), Relation("1", "2", "LOCATED_IN")],  # a repeat: one is removed
    )
    new = Document(
        "d",
        text,
        [
            Span(25, 34, "LOC", "La Havane", "a"),  # other region ids, other order: unchanged
            Span(3, 22, "LOC", "Centre Fidel Castro", "b"),
            Span(36, 40, "LOC", "Cuba", "c"),
        ],
        [Relation("b", "a", "LOCATED_IN"), Relation("a", "c", "LOCATED_IN")],
    )
    assert _changes(old, new) == [
        ("entity", "added", 'LOC "Cuba" [36, 40)'),
        ("entity", "relabelled", 'ORG "Centre Fidel Castro" [3, 22) ⇒ LOC "Centre Fidel Castro" [3, 22)'),
        ("relation", "added", 'LOCATED_IN "La Havane"@25 → "Cuba"@36'),
        ("relation", "removed", 'LOCATED_IN "Centre Fidel Castro"@3 → "La Havane"@25'),
    ]


def test_a_relation_with_the_same_arguments_and_a_new_label_is_relabelled():
    text = "Giang reçoit Espino"
    spans = [Span(0, 5, "PER", "Giang", "1"), Span(13, 19, "PER", "Espino", "2")]
    old = Document("d", text, spans, [Relation("1", "2", "ALIAS_OF")])
    new = Document("d", text, spans, [Relation("1", "2", "MEETS")])
    assert _changes(old, new) == [
        ("relation", "relabelled", 'ALIAS_OF "Giang"@0 → "Espino"@13 ⇒ MEETS "Giang"@0 → "Espino"@13')
    ]


def test_a_document_on_one_side_only_is_all_added_and_a_changed_text_is_refused():
    added = Document("new", "Cuba", [Span(0, 4, "LOC", "Cuba", "1")])
    changes = diff_releases([], [added])
    assert [(c.document, c.kind, c.change) for c in changes] == [("new", "entity", "added")]
    assert summary(changes)[-1]["entity added"] == 1
    with pytest.raises(InputError, match="document d: its text differs"):
        diff_releases([Document("d", "Cuba")], [Document("d", "Cuba.")])


def test_the_diff_command_prints_a_summary_table_and_writes_json(tmp_path):
    old = write_export(tmp_path / "old.json", [task(1, "Cuba", [region("a", 0, 4, "Cuba", "LOC")])])
    new = write_export(tmp_path / "new.json", [task(1, "Cuba", [region("b", 0, 4, "Cuba", "ORG")])])
    output = tmp_path / "diff.json"
    result = CliRunner().invoke(
        main, ["diff", str(old), str(new), "--config", str(CONFIG), "--json", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert "entity relabelled" in result.output.splitlines()[0]
    assert 'doc-1\n  entity relabelled: LOC "Cuba" [0, 4) ⇒ ORG "Cuba" [0, 4)' in result.output
    written = json.loads(output.read_text())
    assert written["changes"] == [
        {
            "document": "doc-1",
            "kind": "entity",
            "change": "relabelled",
            "old": 'LOC "Cuba" [0, 4)',
            "new": 'ORG "Cuba" [0, 4)',
        }
    ]
    assert written["summary"][-1]["document"] == "total"


def test_1_0_to_1_1_shows_exactly_the_intended_corrections():
    changes = diff_releases(read_documents(RELEASE_1_0, SCHEMA), read_documents(GOLD, SCHEMA))
    counted = {(c.document, c.kind, c.change) for c in changes}
    assert len(changes) == 23
    assert {c.document for c in changes} == {
        "002-main",
        "002-t03",
        "002-t04",
        "002-t05",
        "002-t06",
        "003-main",
        "004-main",
    }
    # Error 1 (GUIDELINES §3.9): one ORG each, the inner name's PART_OF and ALIAS_OF gone, WORKS_FOR moved.
    for document, merged in (
        ("002-t03", "Comité central du Parti communiste du Vietnam"),
        ("002-t04", "Comité central du Parti populaire révolutionnaire lao"),
        ("002-t06", "Comité central du Parti populaire révolutionnaire lao"),
    ):
        assert any(c.change == "re-bounded" and f'ORG "{merged}"' in (c.new or "") for c in changes)
        assert {(document, "entity", "removed"), (document, "entity", "re-bounded")} <= counted
        removed = [
            c.old
            for c in changes
            if c.document == document and c.change == "removed" and c.kind == "relation"
        ]
        assert sorted(r.split()[0] for r in removed) in (
            ["ALIAS_OF", "PART_OF"],
            ["ALIAS_OF", "PART_OF", "WORKS_FOR"],
        )
    # Error 2 and its kind (§3.17): no VISITS for activity in a place.
    visits = sorted(c.old for c in changes if c.change == "removed" and (c.old or "").startswith("VISITS"))
    assert visits == [
        'VISITS "Nguyen Thi Ha"@268 → "Genève"@604',
        'VISITS "Nguyen Xuan Phuc"@2482 → "États-Unis"@2554',
        'VISITS "Nguyen Xuan Phuc"@501 → "États-Unis"@743',
    ]
    # Decisions applied everywhere: §3.13, §3.15, §3.16.
    assert ("004-main", "entity", "relabelled") in counted
    assert [c.new for c in changes if c.change == "added"] == [
        'ALIAS_OF "76e sessionde l’Assemblée générale de l’ONU"@1602 → '
        '"76e session de l\'Assemblée générale de l’ONU"@657'
    ]
    assert sum(c.document == "003-main" and c.old.startswith("WORKS_FOR") for c in changes) == 2


def test_the_card_errata_list_every_change_with_a_reason_and_nothing_else():
    changes = diff_releases(read_documents(RELEASE_1_0, SCHEMA), read_documents(GOLD, SCHEMA))
    reasons = read_reasons(REASONS)
    errata = errata_markdown(changes, reasons)
    assert len(errata.splitlines()) == len(changes) == len(reasons)
    card = (REPO / "DATASET_CARD.md").read_text()
    assert errata in card
    with pytest.raises(InputError, match="no reason given for the relation removed"):
        errata_markdown(
            changes, {k: v for k, v in reasons.items() if k[2] != "removed" or k[1] != "relation"}
        )
    with pytest.raises(InputError, match="reason given for a change that is not in the diff"):
        errata_markdown(changes[1:], reasons)


def test_the_diff_command_compares_two_built_folders_as_it_compares_their_exports(tmp_path):
    # 1.0 rebuilt with its own splits, against the shipped 1.1 splits: what the exports show.
    old = tmp_path / "1.0"
    build(RELEASE_1_0, SCHEMA, old, progress=False, keep=previous_splits(RELEASE_1_0.parent))
    folders = CliRunner().invoke(main, ["diff", str(old), str(REPO / "splits"), "--config", str(CONFIG)])
    exports = CliRunner().invoke(main, ["diff", str(RELEASE_1_0), str(GOLD), "--config", str(CONFIG)])
    assert folders.exit_code == exports.exit_code == 0, folders.output
    assert folders.output == exports.output
    assert "total" in folders.output
