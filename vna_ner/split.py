"""Deterministic train/validation/test assignment of documents, grouped and balanced by entity count.

Documents that share a sentence (40+ characters, compared case- and space-insensitively) form one
group and go to the same split, so duplicated text never crosses splits. Among a fixed number of
seeded shuffles, the assignment closest to the target ratios wins (distance: the largest gap between
a split's share of entities and its target, plus half the largest such gap for documents, so that a
small split is not a couple of long articles), provided every entity label occurs in every split and
the test split holds a main article with relations.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from vna_ner.documents import Document
from vna_ner.features import SPLITS

RATIOS = (0.6, 0.2, 0.2)
TRIES = 500
DOCUMENT_WEIGHT = 0.5
MIN_SHARED_CHARS = 40
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


class SplitError(ValueError):
    """No assignment satisfies the split constraints."""


@dataclass(frozen=True)
class DocumentSummary:
    """What splitting needs of a document, small enough to keep for every document of a large export."""

    id: str
    labels: Counter
    sentence_keys: frozenset[str]
    main_article: bool


def summarize(document: Document) -> DocumentSummary:
    """The split-relevant facts of a document: label counts, long-sentence digests, main-article flag."""
    parts = (" ".join(part.split()).casefold() for part in _SENTENCE_END.split(document.text))
    keys = frozenset(
        hashlib.blake2b(part.encode(), digest_size=8).hexdigest()
        for part in parts
        if len(part) >= MIN_SHARED_CHARS
    )
    return DocumentSummary(
        id=document.id,
        labels=Counter(span.label for span in document.entities),
        sentence_keys=keys,
        main_article=is_main_article(document),
    )


def duplicate_groups(documents: Sequence[DocumentSummary]) -> list[list[int]]:
    """Indices of documents grouped by shared sentences (union-find), in first-document order."""
    parent = list(range(len(documents)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_seen: dict[str, int] = {}
    for index, document in enumerate(documents):
        for sentence in sorted(document.sentence_keys):
            other = first_seen.setdefault(sentence, index)
            parent[root(index)] = root(other)
    groups: dict[int, list[int]] = {}
    for index in range(len(documents)):
        groups.setdefault(root(index), []).append(index)
    return list(groups.values())


def is_main_article(document: Document) -> bool:
    """A document that opens its source page (offset 0) and carries relations."""
    return bool(document.relations) and any(p.offset == 0 for p in document.provenance)


def assign_splits(
    documents: Sequence[DocumentSummary], labels: Sequence[str], ratios: Sequence[float] = RATIOS
) -> dict[str, str]:
    """Map each document id to ``train``, ``validation`` or ``test``; see the module docstring."""
    groups = duplicate_groups(documents)
    weights = [sum(documents[i].labels.total() for i in group) for group in groups]
    total = sum(weights) or 1
    best: tuple[float, list[int]] | None = None
    for seed in range(TRIES):
        order = list(range(len(groups)))
        random.Random(seed).shuffle(order)
        assigned = [0] * len(groups)
        load = [0.0] * len(SPLITS)
        for g in order:
            target = max(range(len(SPLITS)), key=lambda s: ratios[s] * total - load[s])
            assigned[g] = target
            load[target] += weights[g]
        if not _valid(documents, groups, assigned, labels):
            continue
        sizes = [
            sum(len(group) for g, group in enumerate(groups) if assigned[g] == s) for s in range(len(SPLITS))
        ]
        deviation = max(abs(load[s] / total - ratios[s]) for s in range(len(SPLITS))) + DOCUMENT_WEIGHT * max(
            abs(sizes[s] / len(documents) - ratios[s]) for s in range(len(SPLITS))
        )
        if best is None or deviation < best[0]:
            best = (deviation, assigned)
    if best is None:
        raise SplitError(
            f"no assignment in {TRIES} tries puts every label in every split "
            "and a main article with relations in test"
        )
    return {documents[i].id: SPLITS[best[1][g]] for g, group in enumerate(groups) for i in group}


def _valid(
    documents: Sequence[DocumentSummary],
    groups: list[list[int]],
    assigned: list[int],
    labels: Sequence[str],
) -> bool:
    seen = [Counter() for _ in SPLITS]
    main_in_test = False
    for g, group in enumerate(groups):
        for i in group:
            seen[assigned[g]].update(documents[i].labels)
            main_in_test |= SPLITS[assigned[g]] == "test" and documents[i].main_article
    return main_in_test and all(label in counts for counts in seen for label in labels)
