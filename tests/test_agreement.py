"""Agreement figures: exact-match entity F1 and strict relation F1, per label and micro."""

from __future__ import annotations

from click.testing import CliRunner

from helpers import CONFIG, REPO
from vna_ner.cli import main
from vna_ner.corpus.agreement import agreement
from vna_ner.documents import Relation, Span

GIANG = Span(3, 8, "PER", "Giang", "a")
TITLE = Span(10, 23, "TITLE", "vice-ministre", "b")
HANOI = Span(42, 47, "LOC", "Hanoi", "c")


def test_identical_annotations_agree_perfectly():
    figures = agreement([([GIANG, TITLE], [Relation("a", "b", "HAS_TITLE")]) * 2])
    assert figures["entities"]["micro"] == {"agreed": 2, "only_first": 0, "only_second": 0, "f1": 1.0}
    assert figures["relations"]["micro"]["f1"] == 1.0


def test_a_boundary_or_label_difference_is_a_disagreement_on_both_sides():
    shifted = Span(3, 9, "PER", "Giang,", "a")
    figures = agreement([([GIANG, HANOI], [], [shifted, Span(42, 47, "ORG", "Hanoi", "c")], [])])
    assert figures["entities"]["PER"] == {"agreed": 0, "only_first": 1, "only_second": 1, "f1": 0.0}
    assert figures["entities"]["micro"] == {"agreed": 0, "only_first": 2, "only_second": 2, "f1": 0.0}


def test_relations_must_match_both_arguments_and_the_label():
    first = ([GIANG, TITLE, HANOI], [Relation("a", "b", "HAS_TITLE"), Relation("a", "c", "VISITS")])
    second = ([GIANG, TITLE, HANOI], [Relation("a", "b", "HAS_TITLE")])
    figures = agreement([(*first, *second)])
    assert figures["relations"]["micro"] == {"agreed": 1, "only_first": 1, "only_second": 0, "f1": 0.6667}
    assert figures["relations"]["VISITS"]["f1"] == 0.0


def test_the_gold_export_reports_agreement_of_the_two_passes_and_with_the_gold(tmp_path):
    output = tmp_path / "agreement.json"
    result = CliRunner().invoke(
        main,
        [
            "agreement",
            str(REPO / "annotations" / "gold.json"),
            "--config",
            str(CONFIG),
            "--output",
            str(output),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "pass1_vs_pass2 (16 documents)" in result.output
    assert "pass2_vs_gold (16 documents)" in result.output
