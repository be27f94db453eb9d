"""The training hook: label ids and logits, as a Trainer passes them, give the scores `vna-ner eval` gives."""

from __future__ import annotations

import itertools
import sys
from typing import Any, NamedTuple

import numpy as np
import pytest
from datasets import Dataset

import vna_ner
from vna_ner.benchmark.metrics import IGNORED, seqeval_metrics
from vna_ner.dataset.load import load

NAMES = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


class EvalPrediction(NamedTuple):
    """What transformers.EvalPrediction holds, without importing transformers."""

    predictions: Any
    label_ids: Any


def one_hot(ids: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Logits whose argmax is ``ids``: noise below 1, and 5 at the chosen id."""
    logits = rng.random((*ids.shape, size))
    np.put_along_axis(logits, np.clip(ids, 0, None)[..., None], 5.0, axis=-1)
    return logits


def test_ignored_positions_are_skipped_and_both_modes_scored_as_counted_by_hand():
    # Two sentences, with [CLS]/[SEP], a second sub-word and padding marked -100.
    # Gold:  Nguyen(B-PER) Phu(I-PER) a Hanoi(B-LOC)  |  Hue(B-LOC)
    # Pred:  B-PER         I-PER      O I-LOC         |  B-LOC, and B-PER on every ignored position
    labels = np.array([[-100, 1, 2, -100, 0, 3, -100], [-100, 3, -100, -100, -100, -100, -100]])
    predicted = np.array([[1, 1, 2, 1, 0, 4, 1], [1, 3, 1, 1, 1, 1, 1]])
    logits = one_hot(predicted, len(NAMES), np.random.default_rng(0))

    metrics = seqeval_metrics(NAMES)(EvalPrediction(logits, labels))

    # Default mode: I-LOC after O opens a LOC chunk, so PER, LOC and LOC are all found: 3/3.
    assert (metrics["default_precision"], metrics["default_recall"], metrics["default_f1"]) == (1.0, 1.0, 1.0)
    # Strict IOB2: only B- opens a chunk, so the first LOC is missed: TP 2, predicted 2, gold 3.
    assert (metrics["strict_precision"], metrics["strict_recall"]) == (1.0, 2 / 3)
    assert metrics["strict_f1"] == pytest.approx(0.8)
    assert (metrics["strict_f1_PER"], metrics["strict_f1_LOC"]) == (1.0, pytest.approx(2 / 3))
    assert metrics["strict_macro_f1"] == pytest.approx((1.0 + 2 / 3) / 2)


def test_tag_ids_a_plain_pair_and_several_model_outputs_are_accepted():
    labels = np.array([[0, 1, 2, IGNORED]])
    ids = np.array([[0, 1, 2, 0]])
    logits = one_hot(ids, len(NAMES), np.random.default_rng(1))
    compute = seqeval_metrics(NAMES)

    results = [
        compute((ids, labels)),
        compute(((logits, "hidden states"), labels)),
        compute((logits, labels)),
    ]

    assert results[0] == results[1] == results[2]
    assert results[0]["strict_f1"] == 1.0


def test_shapes_that_do_not_match_are_refused():
    with pytest.raises(ValueError, match="do not match"):
        seqeval_metrics(NAMES)((np.zeros((1, 3, len(NAMES))), np.zeros((1, 4), dtype=int)))


def _perturbed(tags: list[int], names: list[str]) -> list[str]:
    """A system's tags: every B- of a third of the entities made I-, every fifth entity token relabelled."""
    labels = sorted({name[2:] for name in names if name != "O"})
    result = []
    for i, tag in enumerate(tags):
        name = names[tag]
        if name.startswith("B-") and i % 3 == 0:
            name = "I-" + name[2:]
        if name != "O" and i % 5 == 0:
            name = f"{name[:2]}{labels[(labels.index(name[2:]) + 1) % len(labels)]}"
        result.append(name)
    return result


def test_the_hook_gives_the_numbers_of_vna_ner_eval_on_the_test_split():
    gold = load(split="test")
    names = gold.features["ner_tags"].feature.names
    predicted = {row["id"]: _perturbed(row["ner_tags"], names) for row in gold}
    system = Dataset.from_dict({"id": list(predicted), "pred_tags": list(predicted.values())})
    report = vna_ner.evaluate(gold, vna_ner.read_predictions(system, gold), bootstrap=0)

    # One row per gold sentence, as a Trainer over the sentences configuration sees them: a -100 before
    # each token (a [CLS] or a second sub-word) and padding to the longest row.
    rows, predictions = [], []
    for row in gold:
        tags, system_tags = row["ner_tags"], [names.index(name) for name in predicted[row["id"]]]
        for start, end in itertools.pairwise([*row["sentence_starts"], len(tags)]):
            rows.append([value for tag in tags[start:end] for value in (IGNORED, tag)])
            predictions.append([value for tag in system_tags[start:end] for value in (0, tag)])
    width = max(map(len, rows)) + 1
    labels = np.array([row + [IGNORED] * (width - len(row)) for row in rows])
    ids = np.array([row + [0] * (width - len(row)) for row in predictions])

    metrics = vna_ner.seqeval_metrics(names)(
        EvalPrediction(one_hot(ids, len(names), np.random.default_rng(2)), labels)
    )

    for mode, table in report.entities.items():
        assert 0 < table.micro.f1 < 1  # the perturbation leaves something to score
        assert metrics[f"{mode}_precision"] == table.micro.p
        assert metrics[f"{mode}_recall"] == table.micro.r
        assert metrics[f"{mode}_f1"] == table.micro.f1
        assert metrics[f"{mode}_macro_f1"] == table.macro.f1
        assert {k: v for k, v in metrics.items() if k.startswith(f"{mode}_f1_")} == {
            f"{mode}_f1_{label}": row.f1 for label, row in table.per_label.items()
        }
    assert report.entities["strict"].micro.f1 != report.entities["default"].micro.f1
    assert "transformers" not in sys.modules
