"""Paired significance tests of the difference in micro F1 between two systems on the same documents.

Input: TP, FP and FN per document for each system (documents x 3, same documents in the same order); for
prediction files, the per-document counts of `vna-ner eval`'s own report, so both score the same chunks.
Micro F1 = 2 TP / (2 TP + FP + FN) over the summed counts, 0 when there is nothing to count;
ΔF1 = F1(A) − F1(B).

- Paired bootstrap over documents: ``resamples`` samples of the documents with replacement, the same
  sample for both systems; the 95% interval is the 2.5th and 97.5th percentiles of ΔF1 over them, and the
  two-sided p-value that of the shifted null, p = (1 + #{|Δ* − Δ| ≥ |Δ|}) / (resamples + 1).
- Approximate randomization: ``permutations`` times, each document's A and B counts are swapped with
  probability 1/2; p = (1 + #{|Δ'| ≥ |Δ|}) / (permutations + 1).

Both draw from numpy generators spawned from ``default_rng(seed)``, one each, so the same seed gives the
same numbers and changing one test's count leaves the other's draws alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vna_ner.benchmark.evaluate import Report, evaluate
from vna_ner.benchmark.predictions import Predictions
from vna_ner.dataset.split_table import SplitTable
from vna_ner.files import write_text_atomically

if TYPE_CHECKING:
    from datasets import Dataset

_BLOCK = 1000  # resamples drawn at once, to bound memory on large splits


@dataclass(frozen=True)
class Comparison:
    """System A against system B: both F1, ΔF1 = F1(A) − F1(B), its interval and two p-values."""

    documents: int
    f1_a: float
    f1_b: float
    delta: float
    delta_ci95: tuple[float, float] | None
    p_bootstrap: float | None
    p_randomization: float | None
    resamples: int
    permutations: int
    seed: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "f1_a": self.f1_a,
            "f1_b": self.f1_b,
            "delta_f1": self.delta,
            "delta_f1_ci95": list(self.delta_ci95) if self.delta_ci95 else None,
            "p_bootstrap": self.p_bootstrap,
            "p_randomization": self.p_randomization,
            "bootstrap": {"resamples": self.resamples, "method": "paired, over documents", "seed": self.seed},
            "randomization": {"permutations": self.permutations, "method": "approximate, per document swap"},
        }


def micro_f1(counts: np.ndarray) -> np.ndarray:
    """Micro F1 of summed ``(TP, FP, FN)`` in the last axis; 0 where TP, FP and FN are all 0."""
    total = 2 * counts[..., 0] + counts[..., 1] + counts[..., 2]
    return np.divide(2 * counts[..., 0], total, out=np.zeros(total.shape), where=total > 0)


def compare_counts(
    a: np.ndarray, b: np.ndarray, *, resamples: int = 10000, permutations: int = 10000, seed: int = 0
) -> Comparison:
    """Compare per-document ``(TP, FP, FN)`` counts of systems A and B; see the module docstring."""
    a, b = np.asarray(a, dtype=np.int64).reshape(-1, 3), np.asarray(b, dtype=np.int64).reshape(-1, 3)
    if a.shape != b.shape:
        raise ValueError(f"counts for {len(a)} and {len(b)} documents: compare the same documents")
    f1_a, f1_b = (float(f) for f in micro_f1(np.stack([a.sum(axis=0), b.sum(axis=0)])))
    delta = f1_a - f1_b
    bootstrap_rng, permutation_rng = np.random.default_rng(seed).spawn(2)
    interval, p_bootstrap = None, None
    if resamples and len(a):
        deltas = _bootstrap_deltas(a, b, resamples, bootstrap_rng)
        low, high = np.percentile(deltas, [2.5, 97.5])
        interval = (float(low), float(high))
        p_bootstrap = _p_value(np.abs(deltas - delta) >= abs(delta))
    p_randomization = None
    if permutations and len(a):
        p_randomization = _p_value(np.abs(_swapped_deltas(a, b, permutations, permutation_rng)) >= abs(delta))
    return Comparison(
        documents=len(a),
        f1_a=f1_a,
        f1_b=f1_b,
        delta=delta,
        delta_ci95=interval,
        p_bootstrap=p_bootstrap,
        p_randomization=p_randomization,
        resamples=resamples,
        permutations=permutations,
        seed=seed,
    )


def compare_predictions(
    gold: SplitTable | Dataset,
    a: Predictions,
    b: Predictions,
    *,
    mode: str = "strict",
    coarse: bool = False,
    resamples: int = 10000,
    permutations: int = 10000,
    seed: int = 0,
) -> Comparison:
    """Compare two systems' predictions for the split ``gold`` on the per-document counts `vna-ner eval`
    scores (``Report.counts``) in entity ``mode``."""
    a_counts, b_counts = (
        document_counts(evaluate(gold, p, coarse=coarse, bootstrap=0), mode) for p in (a, b)
    )
    return compare_counts(a_counts, b_counts, resamples=resamples, permutations=permutations, seed=seed)


def document_counts(report: Report, mode: str) -> np.ndarray:
    """TP, FP and FN per document (documents x 3) of a report's entity ``mode``."""
    tp, predicted, gold = report.counts[mode].sum(axis=1).T
    return np.stack([tp, predicted - tp, gold - tp], axis=1)


def _bootstrap_deltas(a: np.ndarray, b: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """ΔF1 on each resample of the documents with replacement, the same resample for A and B."""
    n, deltas = len(a), []
    for size in _blocks(resamples):
        picks = rng.integers(0, n, size=(size, n))
        weights = np.zeros((size, n), dtype=np.int64)
        np.add.at(weights, (np.repeat(np.arange(size), n), picks.ravel()), 1)
        deltas.append(micro_f1(weights @ a) - micro_f1(weights @ b))
    return np.concatenate(deltas)


def _swapped_deltas(a: np.ndarray, b: np.ndarray, permutations: int, rng: np.random.Generator) -> np.ndarray:
    """ΔF1 after swapping each document's A and B counts with probability 1/2, ``permutations`` times."""
    total_a, total_b, difference = a.sum(axis=0), b.sum(axis=0), b - a
    deltas = []
    for size in _blocks(permutations):
        moved = (rng.random((size, len(a))) < 0.5).astype(np.int64) @ difference
        deltas.append(micro_f1(total_a + moved) - micro_f1(total_b - moved))
    return np.concatenate(deltas)


def _blocks(total: int) -> list[int]:
    return [min(_BLOCK, total - start) for start in range(0, total, _BLOCK)]


def _p_value(extreme: np.ndarray) -> float:
    """(1 + number of draws at least as extreme as observed) / (1 + number of draws)."""
    return float((1 + int(extreme.sum())) / (1 + len(extreme)))


def format_comparison(comparison: Comparison, name_a: str, name_b: str, heading: str) -> str:
    """The comparison as a few lines of text."""
    c = comparison
    lines = [
        heading,
        f"A  {name_a}: micro F1 {c.f1_a:.4f}",
        f"B  {name_b}: micro F1 {c.f1_b:.4f}",
        f"ΔF1 = F1(A) − F1(B) = {c.delta:+.4f}",
    ]
    if c.delta_ci95 is not None:
        low, high = c.delta_ci95
        lines.append(
            f"  95% CI [{low:+.4f}, {high:+.4f}], p = {c.p_bootstrap:.4f} "
            f"(paired bootstrap over {c.documents} documents, {c.resamples} resamples, seed {c.seed})"
        )
    if c.p_randomization is not None:
        lines.append(
            f"  p = {c.p_randomization:.4f} "
            f"(approximate randomization, {c.permutations} shuffles, seed {c.seed})"
        )
    return "\n".join(lines)


def write_comparison(comparison: Comparison, extra: dict[str, Any], path: Path) -> None:
    """Write the comparison, with ``extra`` fields first, as JSON to ``path`` atomically."""
    text = json.dumps({**extra, **comparison.to_dict()}, indent=2, ensure_ascii=False, allow_nan=False)
    write_text_atomically(Path(path), text + "\n")
