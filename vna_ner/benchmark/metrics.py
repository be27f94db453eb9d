"""Scores for training loops: a ``compute_metrics`` for ``transformers.Trainer`` token classification
that gives, for the same tags, the numbers ``vna-ner eval`` gives.

The callable takes what the Trainer passes (an ``EvalPrediction``, or a ``(predictions, label_ids)``
pair): logits (``batch x length x tags``) or tag ids (``batch x length``), and label ids in which
``-100`` marks positions to skip (special tokens, sub-words after the first, padding). Each row is one
sequence, as each gold sentence is one in ``vna-ner eval``; ids become tag names through ``label_names``
(``dataset.features["ner_tags"].feature.names``), and both seqeval modes of
:mod:`vna_ner.benchmark.evaluate` score them. It works on plain arrays: transformers is not imported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from vna_ner.benchmark.evaluate import score_tags

IGNORED = -100  # the label id Hugging Face's token-classification recipes give positions not to score


def seqeval_metrics(label_names: Sequence[str]) -> Callable[[Any], dict[str, float]]:
    """A ``compute_metrics(eval_prediction)`` returning, per mode (``strict``, ``default``), micro
    precision, recall and F1, macro F1 and each label's F1, keyed ``strict_f1``, ``default_f1_PER``…

    >>> compute = seqeval_metrics(["O", "B-PER", "I-PER"])
    >>> logits = np.array([[[0.0, 0.0, 0.0], [0.1, 0.9, 0.0], [0.0, 0.2, 0.8], [0.9, 0.0, 0.0]]])
    >>> compute((logits, np.array([[-100, 1, 2, 0]])))["strict_f1"]
    1.0
    """
    names = np.array(label_names, dtype=object)

    def compute_metrics(eval_prediction: Any) -> dict[str, float]:
        predictions, label_ids = _arrays(eval_prediction)
        true, pred = tag_sequences(predictions, label_ids, names)
        return scores(true, pred)

    return compute_metrics


def _arrays(eval_prediction: Any) -> tuple[np.ndarray, np.ndarray]:
    """Predictions (the first output when the model returns several) and label ids, as numpy arrays."""
    if hasattr(eval_prediction, "label_ids"):
        predictions, label_ids = eval_prediction.predictions, eval_prediction.label_ids
    else:
        predictions, label_ids = eval_prediction[:2]
    if isinstance(predictions, tuple | list):
        predictions = predictions[0]
    return np.asarray(predictions), np.asarray(label_ids)


def tag_sequences(
    predictions: np.ndarray, label_ids: np.ndarray, names: np.ndarray
) -> tuple[list[list[str]], list[list[str]]]:
    """Gold and predicted tag names per row, over the positions whose label id is not ``-100``.

    ``predictions`` holds logits (argmaxed over the last axis) or, with one axis less, tag ids.
    """
    predicted = predictions.argmax(axis=-1) if predictions.ndim == label_ids.ndim + 1 else predictions
    if predicted.shape != label_ids.shape:
        raise ValueError(f"predictions of shape {predictions.shape} do not match labels {label_ids.shape}")
    kept = label_ids != IGNORED
    true = [names[row[keep]].tolist() for row, keep in zip(label_ids, kept, strict=True)]
    pred = [names[row[keep]].tolist() for row, keep in zip(predicted, kept, strict=True)]
    return true, pred


def scores(true: list[list[str]], pred: list[list[str]]) -> dict[str, float]:
    """Micro P/R/F1, macro F1 and per-label F1 of each mode, from :func:`evaluate.score_tags` (one
    sequence per row), so computed exactly as ``vna-ner eval`` computes them."""
    metrics: dict[str, float] = {}
    for mode, table in score_tags(true, pred, [[0]] * len(true)).items():
        assert table.macro is not None
        metrics[f"{mode}_precision"] = table.micro.p
        metrics[f"{mode}_recall"] = table.micro.r
        metrics[f"{mode}_f1"] = table.micro.f1
        metrics[f"{mode}_macro_f1"] = table.macro.f1
        metrics.update({f"{mode}_f1_{label}": row.f1 for label, row in table.per_label.items()})
    return metrics
