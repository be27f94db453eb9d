"""Deterministic train/validation/test assignment of documents, grouped and balanced by entity count.

Documents that share a sentence (40+ characters, compared case- and space-insensitively) form one
group and go to the same split, so duplicated text never crosses splits. Among a fixed number of
seeded shuffles, the assignment closest to the target ratios wins (distance: the largest gap between
a split's share of entities and its target, plus half the largest such gap for documents, so that a
small split is not a couple of long articles; the search stops early below 0.005), provided every
entity label found in at least three groups occurs in every split and, when the corpus has main
articles (documents that open their source page and carry relations), the test split holds one.
The assignment depends on the set of documents, not on their order in the export; documents already
assigned (a previous manifest) can be kept where they are, so that correcting or adding documents
never moves test data into training.
"""

from __future__ import annotations

import hashlib
import random
import re
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from vna_ner.documents import Document
from vna_ner.features import SPLITS

RATIOS = (0.6, 0.2, 0.2)
TRIES = 500
DOCUMENT_WEIGHT = 0.5
GOOD_ENOUGH = 0.005  # a distance below which further tries cannot matter at this corpus size
MIN_SHARED_CHARS = 40
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


class SplitError(ValueError):
    """No assignment satisfies the split constraints."""


@dataclass(frozen=True)
class DocumentSummary:
    """What splitting needs of a document, small enough to keep for every document of a large export."""

    id: str
    labels: Counter
    sentence_keys: frozenset[int]
    main_article: bool


def summarize(document: Document) -> DocumentSummary:
    """The split-relevant facts of a document: label counts, long-sentence digests, main-article flag."""
    parts = (" ".join(part.split()).casefold() for part in _SENTENCE_END.split(document.text))
    keys = frozenset(
        int.from_bytes(hashlib.blake2b(part.encode(), digest_size=8).digest(), "big")
        for part in parts
        if len(part) >= MIN_SHARED_CHARS
    )
    return DocumentSummary(
        id=document.id,
        labels=Counter(sys.intern(span.label) for span in document.entities),
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

    first_seen: dict[int, int] = {}
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
    documents: Sequence[DocumentSummary],
    labels: Sequence[str],
    ratios: Sequence[float] = RATIOS,
    fixed: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Map each document id to ``train``, ``validation`` or ``test``; see the module docstring.

    The result depends on the documents, not on their order. Documents named in ``fixed`` keep the split
    given there (and pull their duplicate group with them); only the others are assigned.
    """
    documents = sorted(documents, key=lambda d: d.id)
    fixed = fixed or {}
    groups = duplicate_groups(documents)
    weights = [sum(documents[i].labels.total() for i in group) for group in groups]
    total = sum(weights) or 1
    pinned = {g: _pinned_split(documents, group, fixed) for g, group in enumerate(groups)}
    required = _required_labels(documents, groups, labels)
    need_main = any(d.main_article for d in documents)
    best: tuple[float, list[int]] | None = None
    for seed in range(TRIES if any(p is None for p in pinned.values()) else 1):
        assigned = [SPLITS.index(pinned[g]) if pinned[g] else 0 for g in range(len(groups))]
        load = [0.0] * len(SPLITS)
        for g in range(len(groups)):
            if pinned[g]:
                load[assigned[g]] += weights[g]
        order = [g for g in range(len(groups)) if not pinned[g]]
        random.Random(seed).shuffle(order)
        for g in order:
            target = max(range(len(SPLITS)), key=lambda s: ratios[s] * total - load[s])
            assigned[g] = target
            load[target] += weights[g]
        if not _valid(documents, groups, assigned, required, need_main):
            continue
        sizes = [
            sum(len(group) for g, group in enumerate(groups) if assigned[g] == s) for s in range(len(SPLITS))
        ]
        deviation = max(abs(load[s] / total - ratios[s]) for s in range(len(SPLITS))) + DOCUMENT_WEIGHT * max(
            abs(sizes[s] / len(documents) - ratios[s]) for s in range(len(SPLITS))
        )
        if best is None or deviation < best[0]:
            best = (deviation, assigned)
        if deviation < GOOD_ENOUGH:
            break
    if best is None:
        raise SplitError(
            f"no assignment in {TRIES} tries puts {', '.join(sorted(required)) or 'the labels'} "
            "in every split"
            + (" and a main article with relations in test" if need_main else "")
            + (" with the splits kept from the previous build (--reassign to redo them)" if fixed else "")
        )
    return {documents[i].id: SPLITS[best[1][g]] for g, group in enumerate(groups) for i in group}


def _pinned_split(
    documents: Sequence[DocumentSummary], group: list[int], fixed: Mapping[str, str]
) -> str | None:
    """The split that ``fixed`` imposes on a duplicate group, if any."""
    splits = {fixed[documents[i].id] for i in group if documents[i].id in fixed}
    if len(splits) > 1:
        names = ", ".join(documents[i].id for i in group)
        raise SplitError(f"documents {names} share text but are fixed to different splits {sorted(splits)}")
    return splits.pop() if splits else None


def _required_labels(
    documents: Sequence[DocumentSummary], groups: list[list[int]], labels: Sequence[str]
) -> set[str]:
    """Labels that can be in every split: those found in at least as many groups as there are splits."""
    spread = Counter(label for group in groups for label in {lb for i in group for lb in documents[i].labels})
    return {label for label in labels if spread[label] >= len(SPLITS)}


def _valid(
    documents: Sequence[DocumentSummary],
    groups: list[list[int]],
    assigned: list[int],
    labels: set[str],
    need_main: bool,
) -> bool:
    seen = [Counter() for _ in SPLITS]
    main_in_test = False
    for g, group in enumerate(groups):
        for i in group:
            seen[assigned[g]].update(documents[i].labels)
            main_in_test |= SPLITS[assigned[g]] == "test" and documents[i].main_article
    return (main_in_test or not need_main) and all(label in counts for counts in seen for label in labels)
