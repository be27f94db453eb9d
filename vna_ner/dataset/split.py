"""Deterministic train/validation/test assignment of documents, grouped and balanced by entity count.

Documents that share a sentence (40+ characters, compared case- and space-insensitively) form one
group and go to the same split, so duplicated text never crosses splits. Among a fixed number of
seeded shuffles, the assignment closest to the target ratios wins (distance: the largest gap between
a split's share of entities and its target, plus half the largest such gap for documents, so that a
small split is not a couple of long articles; the search stops early below 0.005), provided every
entity label found in at least three groups occurs in every split and, when the corpus has main
articles (documents that open their source page and carry relations), the test split holds one, and
no split is empty. When no try meets every constraint (a small corpus), they give way one at a time in
the order of :data:`RELAXATIONS`, and the result says which gave way and which labels each split lacks.
The ratios and the seed of the tries can be chosen; the defaults give the shipped splits.
The assignment depends on the set of documents, not on their order in the export; documents already
assigned (a previous manifest) can be kept where they are, so that correcting or adding documents
never moves test data into training.

The split needs every document at once, so what it keeps of each is a few packed columns
(:class:`CorpusSummary`: its id, 4 bytes per label, a flag) and, on disk, the digests of its long
sentences; never the documents themselves. While it assigns, it holds a few dozen bytes per
document more in numpy arrays.
"""

from __future__ import annotations

import hashlib
import random
import re
import shutil
import tempfile
import weakref
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vna_ner.dataset.features import SPLITS
from vna_ner.documents import Document

RATIOS = (0.6, 0.2, 0.2)
TRIES = 500
DOCUMENT_WEIGHT = 0.5
GOOD_ENOUGH = 0.005  # a distance below which further tries cannot matter at this corpus size
MIN_SHARED_CHARS = 40
# A sentence ends at whitespace after . ! or ? (the mark stays with its sentence) and at line breaks:
# re.split(r"(?<=[.!?])\s+|\n+", text). :func:`sentences` finds the marks and breaks with one character
# class, which ``re`` scans for quickly, instead of trying the look-behind at every position.
_MARK = re.compile(r"[.!?\n]")
_SPACES = re.compile(r"\s*")
_BREAKS = re.compile(r"\n*")
_TEST = SPLITS.index("test")

RELAXATIONS = (
    "every label in every split",
    "the target ratios",
    "a document in every split",
)
"""The split constraints in the order they give way when no assignment meets them all.

1. Every label found in at least as many duplicate groups as there are splits occurs in every split
   (and a main article is in test): relaxed to the fewest (label, split) pairs missing.
2. Groups go where the ratios want them most (the balanced, greedy tries): relaxed by first giving one
   group to each empty split (train, then test, then validation), then balancing the rest.
3. No split is empty: relaxed only when there are fewer duplicate groups than splits.
"""


class SplitError(ValueError):
    """Kept splits that cannot hold: documents sharing text kept in different splits."""


def sentences(text: str) -> Iterator[str]:
    """The sentences of ``text`` in order, empty ones included: ``re.split(r"(?<=[.!?])\\s+|\\n+", text)``.

    >>> list(sentences("Un. Deux !\\nTrois"))
    ['Un.', 'Deux !', 'Trois']
    """
    start = 0
    for mark in _MARK.finditer(text):
        at = mark.start()
        if at < start:  # a line break inside the whitespace just cut
            continue
        if text[at] == "\n":
            yield text[start:at]
            start = _BREAKS.match(text, at).end()  # type: ignore[union-attr]
        elif at + 1 < len(text) and text[at + 1].isspace():  # str.isspace is what \s matches
            yield text[start : at + 1]
            start = _SPACES.match(text, at + 1).end()  # type: ignore[union-attr]
    yield text[start:]


def sentence_digests(text: str) -> Iterator[int]:
    """64-bit digests of the long sentences of ``text``, case- and space-insensitive, for grouping duplicates.

    >>> list(sentence_digests("Court.")) == []
    True
    """
    for part in sentences(text):
        part = " ".join(part.split()).casefold()
        if len(part) >= MIN_SHARED_CHARS:
            yield int.from_bytes(hashlib.blake2b(part.encode(), digest_size=8).digest(), "big")


def is_main_article(document: Document) -> bool:
    """A document that opens its source page (offset 0) and carries relations."""
    return bool(document.relations) and any(p.offset == 0 for p in document.provenance)


DocumentFacts = tuple[str, list[int], bool, list[int]]  # id, entities per label, main article, digests


def document_facts(document: Document, labels: Sequence[str]) -> DocumentFacts:
    """What splitting needs of ``document``: its id, its entities per label (in ``labels`` order),
    whether it is a main article, and the digests of its long sentences."""
    counts = [0] * len(labels)
    column = {label: i for i, label in enumerate(labels)}
    for span in document.entities:
        if span.label not in column:
            raise ValueError(f"document {document.id}: label {span.label!r} is not one of {tuple(labels)}")
        counts[column[span.label]] += 1
    return document.id, counts, is_main_article(document), list(sentence_digests(document.text))


class PackedStrings:
    """Strings appended one at a time and packed into Arrow arrays every 4,096, instead of Python objects.

    The chunks are never concatenated: a copy of every string at once would cost memory that Arrow's
    allocator keeps (measured: +8 MB of peak at 50,000 documents).
    """

    CHUNK = 4096

    def __init__(self) -> None:
        self._chunks: list[pa.Array] = []
        self._new: list[str] = []

    def append(self, value: str) -> None:
        self._new.append(value)
        if len(self._new) == self.CHUNK:
            self._pack()

    def array(self) -> pa.ChunkedArray:
        """Every string appended so far, as one chunked Arrow array."""
        self._pack()
        return pa.chunked_array(self._chunks, type=pa.string())

    def _pack(self) -> None:
        if self._new:
            self._chunks.append(pa.array(self._new, type=pa.string()))
            self._new = []


@dataclass(frozen=True, eq=False)
class KeptSplits:
    """Documents that keep the split of an earlier build: their ids and split indices into ``SPLITS``."""

    ids: pa.ChunkedArray
    splits: np.ndarray

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]]) -> KeptSplits:
        """From ``(document id, split name)`` pairs, e.g. ``mapping.items()`` or a streamed manifest."""

        def code(document: str, split: str) -> int:
            if split not in SPLITS:
                raise ValueError(
                    f"document {document}: unknown split {split!r}; splits are {', '.join(SPLITS)}"
                )
            return SPLITS.index(split)

        return cls(*packed_codes(pairs, code))

    def __len__(self) -> int:
        return len(self.splits)


def packed_codes(
    pairs: Iterable[tuple[str, Any]], code: Callable[[str, Any], int]
) -> tuple[pa.ChunkedArray, np.ndarray]:
    """Document ids and one byte per document, ``code(id, value)``, from ``(id, value)`` pairs;
    ValueError if an id is listed twice (or if ``code`` refuses a value).
    """
    ids, codes = PackedStrings(), array("B")
    for document, value in pairs:
        ids.append(document)
        codes.append(code(document, value))
    packed = ids.array()
    if pc.count_distinct(packed).as_py() != len(packed):
        counts = pc.value_counts(packed)
        repeated = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
        raise ValueError(f"documents listed more than once: {', '.join(repeated.to_pylist()[:5])}")
    return packed, np.frombuffer(codes, dtype=np.uint8)


class CorpusSummary:
    """What splitting needs of every document, in add order: id, label counts, main flag, sentence digests.

    Kept as packed columns (an Arrow string array, machine-integer arrays): a corpus of any size costs
    its ids plus 4 bytes per label and 1 per document. Sentence digests go to a temporary folder (under
    ``scratch`` if given), removed by :meth:`close` or when the summary is garbage-collected.
    """

    def __init__(self, labels: Sequence[str], scratch: Path | None = None):
        self.labels = tuple(labels)
        self._ids = PackedStrings()
        self._label_counts = array("I")  # len(labels) counts per document, one document after another
        self._main = bytearray()
        self._sentences = _SentenceIndex(scratch)

    @classmethod
    def of(cls, documents: Iterable[Document], labels: Sequence[str]) -> CorpusSummary:
        """The summary of ``documents``, in their order."""
        summary = cls(labels)
        for document in documents:
            summary.add(document)
        return summary

    def add(self, document: Document) -> None:
        """Append one document's split-relevant facts."""
        self.add_facts(document_facts(document, self.labels))

    def add_facts(self, facts: DocumentFacts) -> None:
        """Append the facts :func:`document_facts` found of one document (in a worker process, say)."""
        document_id, counts, main, digests = facts
        index = len(self)
        self._label_counts.extend(counts)
        self._main.append(main)
        for digest in digests:
            self._sentences.add(digest, index)
        self._ids.append(document_id)

    def close(self) -> None:
        """Remove the sentence digests from disk; grouping documents needs them, so do this after it."""
        self._sentences.close()

    def __enter__(self) -> CorpusSummary:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __len__(self) -> int:
        return len(self._main)

    @property
    def ids(self) -> pa.ChunkedArray:
        """Document ids, in add order."""
        return self._ids.array()

    @property
    def label_counts(self) -> np.ndarray:
        """Entities per document (rows, add order) and label (columns, in ``labels`` order).

        A read-only view, not a copy: drop it before adding documents (adding would need to move it).
        """
        view = np.frombuffer(self._label_counts, dtype=np.uintc).reshape(len(self), len(self.labels))
        view.flags.writeable = False
        return view

    @property
    def main_articles(self) -> np.ndarray:
        """Whether each document is a main article (:func:`is_main_article`); a read-only view, as above."""
        view = np.frombuffer(self._main, dtype=np.bool_)
        view.flags.writeable = False
        return view

    def _ranks(self) -> np.ndarray:
        """Each document's position in id order (code-point order, as Python sorts strings)."""
        ranks = np.empty(len(self), dtype=np.int32)
        ranks[pc.sort_indices(self.ids).to_numpy()] = np.arange(len(self), dtype=np.int32)
        return ranks


class _SentenceIndex:
    """(sentence digest, document index) pairs, kept on disk in 64 files bucketed by digest.

    The pairs grow with the corpus and are needed only once, to find shared sentences; that is done
    one bucket at a time, so memory holds a 64th of the pairs at once instead of all of them.
    """

    _PAIR = np.dtype([("digest", "<u8"), ("document", "<u4")])
    _BUCKET_BITS = 6  # 64 bucket files, chosen by the top bits of the digest
    _BUFFER = 1 << 16  # pairs held in memory before they are appended to their bucket files

    def __init__(self, scratch: Path | None) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="vna-ner-sentences-", dir=scratch))
        self.close = weakref.finalize(self, shutil.rmtree, self._folder, ignore_errors=True)
        self._digests = array("Q")
        self._documents = array("I")

    def add(self, digest: int, document: int) -> None:
        self._digests.append(digest)
        self._documents.append(document)
        if len(self._digests) == self._BUFFER:
            self._flush()

    def links(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Pairs of document indices (two arrays) that share a sentence; together they connect every group."""
        self._flush()
        for path in sorted(self._folder.iterdir()):
            pairs = np.fromfile(path, dtype=self._PAIR)
            pairs = pairs[np.lexsort((pairs["document"], pairs["digest"]))]
            shared = pairs["digest"][1:] == pairs["digest"][:-1]
            yield pairs["document"][:-1][shared], pairs["document"][1:][shared]

    def _flush(self) -> None:
        pairs = np.empty(len(self._digests), dtype=self._PAIR)
        pairs["digest"] = np.frombuffer(self._digests, dtype=np.ulonglong)
        pairs["document"] = np.frombuffer(self._documents, dtype=np.uintc)
        buckets = pairs["digest"] >> np.uint64(64 - self._BUCKET_BITS)
        for bucket in np.unique(buckets).tolist():
            with (self._folder / f"{bucket:02x}").open("ab") as out:
                pairs[buckets == bucket].tofile(out)
        self._digests, self._documents = array("Q"), array("I")


def duplicate_groups(corpus: CorpusSummary) -> np.ndarray:
    """The group number of each document (add order); groups share sentences, numbered by first id."""
    ranks = corpus._ranks()
    parent = np.arange(len(corpus), dtype=np.int32)  # by rank; every root is the smallest rank of its group

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = int(parent[i])
        return i

    for first, second in corpus._sentences.links():
        for a, b in zip(ranks[first].tolist(), ranks[second].tolist(), strict=True):
            ra, rb = root(a), root(b)
            parent[max(ra, rb)] = min(ra, rb)
    while not np.array_equal(parent, parent[parent]):
        parent = parent[parent]
    roots = parent == np.arange(len(corpus), dtype=np.int32)  # in rank order, so numbered by first id
    group_of_root = np.cumsum(roots, dtype=np.int32) - 1
    return group_of_root[parent][ranks]


@dataclass(frozen=True, eq=False)
class Assignment:
    """The split of each document (indices into ``SPLITS``, add order), and what the split had to give up.

    ``relaxed`` names the constraints of :data:`RELAXATIONS` that no assignment could meet; ``missing``
    maps each split to the labels of the corpus it has no entity of (rare labels can be missing even
    when nothing was relaxed: a label found in fewer groups than there are splits is never required).
    """

    splits: np.ndarray
    relaxed: tuple[str, ...] = ()
    missing: dict[str, tuple[str, ...]] = field(default_factory=dict)


def check_ratios(ratios: Sequence[float]) -> tuple[float, ...]:
    """``ratios`` as a tuple if they are one non-negative share per split summing to 1, else ValueError."""
    values = tuple(float(r) for r in ratios)
    if len(values) != len(SPLITS) or any(not 0 <= r <= 1 for r in values) or abs(sum(values) - 1) > 1e-6:
        raise ValueError(
            f"ratios must be {len(SPLITS)} shares ({', '.join(SPLITS)}) between 0 and 1 that sum to 1, "
            f"got {', '.join(map(str, ratios))}"
        )
    return values


def assign_splits(
    corpus: CorpusSummary,
    ratios: Sequence[float] = RATIOS,
    fixed: KeptSplits | None = None,
    seed: int = 0,
) -> Assignment:
    """The split of each document in add order; see the module docstring.

    The result depends on the documents, not on their order. Documents in ``fixed`` keep the split
    given there (and pull their duplicate group with them); only the others are assigned. It always
    succeeds: when no try meets every constraint, they give way in the order of :data:`RELAXATIONS`.
    """
    ratios = check_ratios(ratios)
    if not len(corpus):
        return Assignment(np.zeros(0, dtype=np.uint8))
    groups = duplicate_groups(corpus)
    count = int(groups.max()) + 1
    group_weights, present = label_facts(corpus, groups, count)
    sizes = np.bincount(groups, minlength=count)
    if not group_weights.any():
        group_weights = sizes.astype(np.int64)  # no entity at all: balance documents instead
    weights = array("q", group_weights.tobytes())  # Python ints on access, 8 bytes each in memory
    group_main = np.zeros(count, dtype=np.bool_)
    group_main[groups[corpus.main_articles]] = True
    total = int(group_weights.sum()) or 1
    pinned = pinned_codes(corpus, groups, count, (fixed.ids, fixed.splits) if fixed else None)
    need_main = bool(group_main.any())
    held = pinned >= 0
    pinned_load = np.bincount(pinned[held], weights=group_weights[held], minlength=len(SPLITS)).tolist()
    free = array("I", np.flatnonzero(~held).astype(np.uintc).tobytes())
    start = np.where(held, pinned, 0).astype(np.uint8).tobytes()
    facts = _Facts(present, group_main, need_main, sizes, len(corpus), ratios)

    def greedy(order: Iterable[int], assigned: bytearray, load: list[float]) -> bytearray:
        for g in order:
            target = max(range(len(SPLITS)), key=lambda s: ratios[s] * total - load[s])
            assigned[g] = target
            load[target] += weights[g]
        return assigned

    best: tuple[tuple[float, ...], bytearray, bool] | None = None
    for covering in (False, True):
        if covering and best is not None and best[0][0] <= 1:
            break  # a balanced assignment with every split filled: the ratios need not give way
        for attempt in range(TRIES if free else 1):
            order = array("I", free)
            random.Random(seed * TRIES + attempt).shuffle(order)
            assigned, load = bytearray(start), list(pinned_load)
            if covering:
                order = _fill_empty_splits(
                    order, assigned, load, held, pinned, weights, group_main, need_main
                )
            rank = facts.rank(
                np.frombuffer(greedy(order, assigned, load), dtype=np.uint8), load, total, covering
            )
            if best is None or rank < best[0]:
                best = (rank, assigned, covering)
            if rank[0] == 0 and rank[-1] < GOOD_ENOUGH:
                break
    assert best is not None
    (_, empty, lacking, _), chosen, covering = best
    by_document = np.frombuffer(chosen, dtype=np.uint8)[groups]
    relaxed = [RELAXATIONS[0]] * bool(lacking) + [RELAXATIONS[1]] * covering + [RELAXATIONS[2]] * bool(empty)
    return Assignment(by_document, tuple(relaxed), missing_labels(corpus, by_document))


@dataclass(frozen=True)
class _Facts:
    """What :meth:`rank` needs to judge a try: per-group labels and main flags, sizes, targets."""

    present: np.ndarray
    group_main: np.ndarray
    need_main: bool
    sizes: np.ndarray
    documents: int
    ratios: tuple[float, ...]

    def rank(self, assigned: np.ndarray, load: list[float], total: int, covering: bool) -> tuple[float, ...]:
        """(level, empty splits, missing label/split pairs, deviation); smaller is better.

        Level 0 meets every constraint; 1 misses labels; 2 needed the covering tries; 3 leaves a split
        empty. Within level 0, the deviation alone orders the tries, as it always has.
        """
        split_sizes = np.bincount(assigned, weights=self.sizes, minlength=len(SPLITS)).tolist()
        empty = sum(size == 0 for size in split_sizes)
        lacking = sum(int((self.present[assigned == s].sum(axis=0) == 0).sum()) for s in range(len(SPLITS)))
        if self.need_main and not self.group_main[assigned == _TEST].any():
            lacking += 1
        deviation = max(
            abs(load[s] / total - self.ratios[s]) for s in range(len(SPLITS))
        ) + DOCUMENT_WEIGHT * max(
            abs(split_sizes[s] / self.documents - self.ratios[s]) for s in range(len(SPLITS))
        )
        level = 3 if empty else 2 if covering else 1 if lacking else 0
        return (level, empty, lacking, deviation)


def _fill_empty_splits(
    order: array,
    assigned: bytearray,
    load: list[float],
    held: np.ndarray,
    pinned: np.ndarray,
    weights: array,
    group_main: np.ndarray,
    need_main: bool,
) -> list[int]:
    """Give one group of ``order`` to each split no kept group fills (a main article to test if any);
    return the groups left to balance.
    """
    rest = list(order)
    filled = set(pinned[held].tolist())
    for split in (SPLITS.index("train"), _TEST, SPLITS.index("validation")):
        if split in filled or not rest:
            continue
        mains = [g for g in rest if group_main[g]] if split == _TEST and need_main else []
        g = mains[0] if mains else rest[0]
        rest.remove(g)
        assigned[g] = split
        load[split] += weights[g]
    return rest


def missing_labels(
    corpus: CorpusSummary, by_document: np.ndarray, names: Sequence[str] = SPLITS
) -> dict[str, tuple[str, ...]]:
    """Per split (or fold: ``names`` of the codes), the labels of the corpus it has no entity of; those
    that lack none are left out.
    """
    counts = corpus.label_counts
    in_corpus = counts.sum(axis=0) > 0
    missing = {}
    for s, name in enumerate(names):
        absent = in_corpus & (counts[by_document == s].sum(axis=0) == 0)
        if absent.any():
            missing[name] = tuple(label for label, a in zip(corpus.labels, absent, strict=True) if a)
    return missing


def label_facts(
    corpus: CorpusSummary, groups: np.ndarray, count: int, parts: int = len(SPLITS)
) -> tuple[np.ndarray, np.ndarray]:
    """Entities per group, and per group which of the required labels it has (the labels found in as
    many groups as there are ``parts``, splits or folds: only those can be in every part).
    """
    weights = np.zeros(count, dtype=np.int64)
    present = np.zeros((count, len(corpus.labels)), dtype=np.bool_)
    for column in range(len(corpus.labels)):
        per_group = np.bincount(groups, weights=corpus.label_counts[:, column], minlength=count)
        weights += per_group.astype(np.int64)
        present[:, column] = per_group > 0
    required = present.sum(axis=0) >= parts
    return weights, present[:, required]


def pinned_codes(
    corpus: CorpusSummary,
    groups: np.ndarray,
    count: int,
    fixed: tuple[pa.ChunkedArray, np.ndarray] | None,
    names: Sequence[str] = SPLITS,
    what: str = "splits",
) -> np.ndarray:
    """The code (a split or a fold, as ``what`` says, named by ``names``) that ``fixed`` (ids, codes)
    imposes on each duplicate group, or -1; SplitError if members of one group are fixed to different codes.
    """
    pinned = np.full(count, -1, dtype=np.int8)
    if not fixed or not len(fixed[1]):
        return pinned
    fixed_ids, fixed_codes = fixed
    found = pc.index_in(corpus.ids, value_set=fixed_ids).fill_null(-1).to_numpy()
    listed = np.flatnonzero(found >= 0)
    codes, listed_groups = fixed_codes[found[listed]], groups[listed]
    order = np.lexsort((codes, listed_groups))
    codes, listed_groups = codes[order], listed_groups[order]
    same_group = listed_groups[1:] == listed_groups[:-1]
    pinned[listed_groups] = codes  # one code per group, unless it clashes (refused below)
    clashes = listed_groups[1:][same_group & (codes[1:] != codes[:-1])]
    if len(clashes):
        g = int(clashes.min())
        members = np.flatnonzero(groups == g)
        ids = sorted(corpus.ids.take(pa.array(members)).to_pylist())
        named = sorted({names[code] for code in codes[listed_groups == g].tolist()})
        raise SplitError(f"documents {', '.join(ids)} share text but are fixed to different {what} {named}")
    return pinned
