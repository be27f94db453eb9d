"""Deterministic assignment of every document to one of k cross-validation folds, built like the splits.

Folds cut the whole corpus, across the train/validation/test splits, so that every document can be
scored by a model that never saw it (out-of-fold). As for the splits (:mod:`vna_ner.dataset.split`):
documents sharing a long sentence form one group and go to the same fold; among seeded shuffles of the
groups, each dealt greedily to the fold furthest below an equal share of the entities, the try closest
to equal shares (of entities, and half as much of documents) wins, provided every entity label found in
at least k groups occurs in every fold. When no try meets that, it gives way (the fewest (label, fold)
pairs missing); a corpus of fewer than k groups leaves folds empty. What gave way is recorded, as for
the splits, in the order of :data:`RELAXATIONS`. Documents already assigned (the previous build's
manifest) keep their fold, so a rebuild never moves a document to another fold.
"""

from __future__ import annotations

import random
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from vna_ner.dataset.split import (
    DOCUMENT_WEIGHT,
    GOOD_ENOUGH,
    TRIES,
    CorpusSummary,
    duplicate_groups,
    label_facts,
    missing_labels,
    packed_codes,
    pinned_codes,
)

FOLDS = 5
RELAXATIONS = ("every label in every fold", "a document in every fold")
"""The fold constraints that give way when no assignment meets them: the labels first (fewest missing
pairs), then, with fewer duplicate groups than folds, a document in every fold (some folds stay empty).
"""


@dataclass(frozen=True, eq=False)
class KeptFolds:
    """Documents that keep the fold of an earlier build: their ids and fold numbers (0 to count - 1)."""

    ids: pa.ChunkedArray
    folds: np.ndarray

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, int]], count: int) -> KeptFolds:
        """From ``(document id, fold)`` pairs; ValueError for a fold outside ``0 .. count - 1``."""

        def code(document: str, fold: int) -> int:
            if not isinstance(fold, int) or not 0 <= fold < count:
                raise ValueError(f"document {document}: fold {fold!r} is not one of 0 to {count - 1}")
            return fold

        return cls(*packed_codes(pairs, code))

    def __len__(self) -> int:
        return len(self.folds)


@dataclass(frozen=True, eq=False)
class FoldAssignment:
    """The fold of each document (add order), what gave way (:data:`RELAXATIONS`), and per fold the
    labels of the corpus it has no entity of (keys are fold numbers as strings, as in the manifest).
    """

    folds: np.ndarray
    count: int
    relaxed: tuple[str, ...] = ()
    missing: dict[str, tuple[str, ...]] = field(default_factory=dict)


def check_fold_count(count: int) -> int:
    """``count`` if it is a usable number of folds (2 to 255), else ValueError."""
    if not 2 <= count <= 255:
        raise ValueError(f"the number of folds must be between 2 and 255, got {count}")
    return count


def assign_folds(
    corpus: CorpusSummary, count: int = FOLDS, fixed: KeptFolds | None = None, seed: int = 0
) -> FoldAssignment:
    """The fold of each document in add order; see the module docstring.

    The result depends on the documents, not on their order. Documents in ``fixed`` keep their fold (and
    pull their duplicate group with them); only the others are assigned.
    """
    check_fold_count(count)
    names = [str(fold) for fold in range(count)]
    if not len(corpus):
        return FoldAssignment(np.zeros(0, dtype=np.uint8), count)
    groups = duplicate_groups(corpus)
    groups_count = int(groups.max()) + 1
    group_weights, present = label_facts(corpus, groups, groups_count, parts=count)
    sizes = np.bincount(groups, minlength=groups_count)
    group_sizes = array("q", sizes.astype(np.int64).tobytes())
    if not group_weights.any():
        group_weights = sizes.astype(np.int64)  # no entity at all: balance documents instead
    pinned = pinned_codes(
        corpus, groups, groups_count, (fixed.ids, fixed.folds) if fixed else None, names, "folds"
    )
    held = pinned >= 0
    weights = array("q", group_weights.tobytes())  # Python ints on access, 8 bytes each in memory
    total = int(group_weights.sum()) or 1
    start_load = np.bincount(pinned[held], weights=group_weights[held], minlength=count).tolist()
    start_size = np.bincount(pinned[held], weights=sizes[held], minlength=count).tolist()
    free = array("I", np.flatnonzero(~held).astype(np.uintc).tobytes())
    start = np.where(held, pinned, 0).astype(np.uint8).tobytes()
    best: tuple[tuple[float, ...], bytearray] | None = None
    for attempt in range(TRIES if free else 1):
        order = array("I", free)
        random.Random(seed * TRIES + attempt).shuffle(order)
        assigned, load, size = bytearray(start), list(start_load), list(start_size)
        for g in order:
            # furthest below an equal share of entities; among equals, the fold of fewest documents
            target = max(range(count), key=lambda f: (total / count - load[f], -size[f]))
            assigned[g] = target
            load[target] += weights[g]
            size[target] += group_sizes[g]
        codes = np.frombuffer(assigned, dtype=np.uint8)
        empty = sum(s == 0 for s in size)
        lacking = sum(int((present[codes == f].sum(axis=0) == 0).sum()) for f in range(count))
        deviation = max(abs(load[f] / total - 1 / count) for f in range(count)) + DOCUMENT_WEIGHT * max(
            abs(size[f] / len(corpus) - 1 / count) for f in range(count)
        )
        rank = (empty, lacking, deviation)
        if best is None or rank < best[0]:
            best = (rank, assigned)
        if empty == lacking == 0 and deviation < GOOD_ENOUGH:
            break
    assert best is not None
    (empty, lacking, _), chosen = best
    by_document = np.frombuffer(chosen, dtype=np.uint8)[groups]
    relaxed = [RELAXATIONS[0]] * bool(lacking) + [RELAXATIONS[1]] * bool(empty)
    return FoldAssignment(by_document, count, tuple(relaxed), missing_labels(corpus, by_document, names))
