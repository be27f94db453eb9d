"""SemEval-2013 error analysis: classes derived by hand, their schema counts equal nervaluate's (random spans,
every committed prediction file), the confusion table, and the error analysis in `vna-ner eval`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from vna_ner.benchmark.document_spans import document_spans, entity_labels
from vna_ner.benchmark.error_analysis import (
    ERROR_CLASSES,
    OUTCOMES,
    SCHEMAS,
    Mention,
    analyse,
    classify,
    overlaps,
    schema_counts,
)
from vna_ner.benchmark.evaluate import evaluate
from vna_ner.benchmark.predictions import read_predictions
from vna_ner.cli import main
from vna_ner.dataset.load import load

REPO = Path(__file__).resolve().parent.parent
PREDICTIONS = sorted((REPO / "eval" / "predictions").glob("*.jsonl"))

# One of each class: PER correct, LOC predicted ORG (wrong type), ORG cut short (wrong boundary),
# TITLE predicted PER and too long (wrong type and boundary), DATE missed, MISC spurious.
GOLD = [Mention("PER", 0, 3), Mention("LOC", 4, 5), Mention("ORG", 6, 8), Mention("TITLE", 9, 10)]
GOLD.append(Mention("DATE", 12, 13))
PREDICTED = [Mention("PER", 0, 3), Mention("ORG", 4, 5), Mention("ORG", 6, 7), Mention("PER", 9, 11)]
PREDICTED.append(Mention("MISC", 15, 16))
LABELS = ("PER", "ORG", "LOC", "TITLE", "DATE", "EVENT", "MISC")


def outcomes(scores: object) -> dict[str, int]:
    return {outcome: getattr(scores, outcome) for outcome in OUTCOMES}


def test_each_class_by_hand():
    matches = classify(GOLD, list(reversed(PREDICTED)))
    assert [(m.error, m.gold, m.predicted) for m in matches] == [
        ("correct", GOLD[0], PREDICTED[0]),
        ("wrong_type", GOLD[1], PREDICTED[1]),
        ("wrong_boundary", GOLD[2], PREDICTED[2]),
        ("wrong_type_and_boundary", GOLD[3], PREDICTED[3]),
        ("missed", GOLD[4], None),
        ("spurious", None, PREDICTED[4]),
    ]


def test_schemas_by_hand_equal_nervaluate():
    analysis = analyse([(GOLD, PREDICTED)], LABELS)
    assert analysis.classes["overall"] == dict.fromkeys(ERROR_CLASSES, 1)
    assert analysis.classes["LOC"] == {**dict.fromkeys(ERROR_CLASSES, 0), "wrong_type": 1}
    assert analysis.classes["MISC"] == {**dict.fromkeys(ERROR_CLASSES, 0), "spurious": 1}
    # 5 predictions (actual) and 5 gold spans (possible) in every schema.
    expected = {
        "strict": ({"correct": 1, "incorrect": 3, "partial": 0}, 1 / 5),
        "exact": ({"correct": 2, "incorrect": 2, "partial": 0}, 2 / 5),
        "partial": ({"correct": 2, "incorrect": 0, "partial": 2}, (2 + 0.5 * 2) / 5),
        "type": ({"correct": 2, "incorrect": 2, "partial": 0}, 2 / 5),
    }
    for schema, (counts, precision) in expected.items():
        scores = analysis.schemas["overall"][schema]
        assert outcomes(scores) == {**counts, "missed": 1, "spurious": 1}, schema
        assert (scores.precision, scores.recall, scores.f1) == pytest.approx((precision,) * 3), schema
    assert schema_counts(analysis.classes["overall"]) == {
        schema: outcomes(analysis.schemas["overall"][schema]) for schema in SCHEMAS
    }
    # Per label nervaluate keeps only that label's spans: ORG(4, 5) then overlaps no gold ORG.
    assert outcomes(analysis.schemas["ORG"]["strict"]) == {
        "correct": 0,
        "incorrect": 1,
        "partial": 0,
        "missed": 0,
        "spurious": 1,
    }
    assert analysis.schemas["ORG"]["partial"].f1 == pytest.approx(2 * 0.25 * 0.5 / 0.75)


def test_confusion_pairs_gold_and_predicted_types():
    confusion = analyse([(GOLD, PREDICTED)], LABELS).confusion
    found = {(g, p): n for g, row in confusion.items() for p, n in row.items() if n}
    assert found == {
        ("PER", "PER"): 1,
        ("LOC", "ORG"): 1,
        ("ORG", "ORG"): 1,
        ("TITLE", "PER"): 1,
        ("DATE", "O"): 1,
        ("O", "MISC"): 1,
    }


def test_a_prediction_over_two_gold_spans_pairs_with_its_own_type():
    """The documented case where nervaluate's schemas pair differently: strict takes the first gold span,
    type (and these classes) the one of the prediction's type."""
    gold = [Mention("TITLE", 0, 2), Mention("PER", 2, 4)]
    predicted = [Mention("PER", 0, 3), Mention("PER", 3, 4)]
    analysis = analyse([(gold, predicted)], LABELS)
    assert [m.error for m in analysis.matches[0]] == ["missed", "wrong_boundary", "spurious"]
    derived = schema_counts(analysis.classes["overall"])
    assert outcomes(analysis.schemas["overall"]["type"]) == derived["type"]
    assert outcomes(analysis.schemas["overall"]["strict"]) == {
        "correct": 0,
        "incorrect": 2,
        "partial": 0,
        "missed": 0,
        "spurious": 0,
    }


@st.composite
def documents(draw: st.DrawFn) -> list[tuple[list[Mention], list[Mention]]]:
    def side() -> list[Mention]:
        spans, position = [], 0
        for gap, length, label in draw(
            st.lists(st.tuples(st.integers(0, 3), st.integers(1, 4), st.sampled_from("AB")), max_size=8)
        ):
            spans.append(Mention(label, position + gap, position + gap + length))
            position += gap + length
        return spans

    return [(side(), side()) for _ in range(draw(st.integers(1, 3)))]


def chained(gold: list[Mention], predicted: list[Mention]) -> bool:
    """A prediction overlaps several gold spans, one of which another prediction overlaps too."""
    return any(
        len(over := [g for g in gold if overlaps(g, p)]) > 1
        and any(overlaps(g, q) for g in over for q in predicted if q != p)
        for p in predicted
    )


@settings(max_examples=100, deadline=None)
@given(documents())
def test_class_counts_equal_nervaluate_on_random_spans(docs):
    analysis = analyse(docs, ("A", "B"))
    exact_for_all = not any(chained(g, p) for g, p in docs)
    for name in ("overall", "A", "B"):
        kept = (
            docs
            if name == "overall"
            else [([s for s in g if s.label == name], [s for s in p if s.label == name]) for g, p in docs]
        )
        derived = schema_counts(analyse(kept, ("A", "B")).classes["overall"])
        for schema in SCHEMAS:
            if schema == "type" or exact_for_all:
                assert outcomes(analysis.schemas[name][schema]) == derived[schema], (name, schema)


@pytest.mark.parametrize("path", PREDICTIONS, ids=lambda p: p.name)
def test_committed_predictions_agree_with_nervaluate_and_seqeval(path):
    """On every committed system, mode and view: the per-document counts are evaluate's, nervaluate's
    strict F1 is seqeval's micro F1, and the classes give nervaluate's counts in every schema."""
    gold = load(split=path.name.split(".")[-2])
    predictions = read_predictions(path, gold)
    for coarse in (False, True):
        report = evaluate(gold, predictions, coarse=coarse, bootstrap=0)
        labels = entity_labels(gold, coarse=coarse)
        for mode in ("default", "strict"):
            docs = document_spans(gold, predictions, mode=mode, coarse=coarse)
            tp = [len(set(d.gold) & set(d.predicted)) for d in docs]
            counted = [[t, len(d.predicted), len(d.gold)] for t, d in zip(tp, docs, strict=True)]
            np.testing.assert_array_equal(counted, report.counts[mode].sum(axis=1))
            analysis = analyse([(d.gold, d.predicted) for d in docs], labels)
            assert analysis.schemas["overall"]["strict"].f1 == pytest.approx(report.entities[mode].micro.f1)
            for name in ("overall", *labels):
                kept = [
                    (d.gold, d.predicted)
                    if name == "overall"
                    else ([s for s in d.gold if s.label == name], [s for s in d.predicted if s.label == name])
                    for d in docs
                ]
                derived = schema_counts(analyse(kept, labels).classes["overall"])
                for schema in SCHEMAS:
                    assert outcomes(analysis.schemas[name][schema]) == derived[schema], (coarse, mode, name)


def test_eval_prints_and_writes_the_error_analysis(tmp_path):
    output = tmp_path / "report.json"
    predictions = REPO / "eval" / "predictions" / "spacy_ner_trained.test.jsonl"
    result = CliRunner().invoke(
        main, ["eval", "--predictions", str(predictions), "--bootstrap", "0", "--output", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert "error classes (SemEval-2013)" in result.output
    assert "SemEval-2013 schemas (nervaluate)" in result.output
    analysis = json.loads(output.read_text())["error_analysis"]
    assert set(analysis) == {"default", "strict"}
    strict = analysis["strict"]
    classes = strict["classes"]["overall"]
    assert sum(classes[c] for c in ERROR_CLASSES if c != "spurious") == 134  # every gold entity of test
    assert classes == {
        c: sum(row[c] for row in strict["classes"]["per_label"].values()) for c in ERROR_CLASSES
    }
    assert strict["schemas"]["overall"]["strict"]["correct"] == classes["correct"]
    assert sum(strict["confusion"]["O"].values()) == classes["spurious"]
    assert sum(row["O"] for row in strict["confusion"].values()) == classes["missed"]
