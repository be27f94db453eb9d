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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

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
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_TEST = SPLITS.index("test")


class SplitError(ValueError):
    """No assignment satisfies the split constraints."""


def sentence_digests(text: str) -> Iterator[int]:
    """64-bit digests of the long sentences of ``text``, case- and space-insensitive, for grouping duplicates.

    >>> list(sentence_digests("Court.")) == []
    True
    """
    for part in _SENTENCE_END.split(text):
        part = " ".join(part.split()).casefold()
        if len(part) >= MIN_SHARED_CHARS:
            yield int.from_bytes(hashlib.blake2b(part.encode(), digest_size=8).digest(), "big")


def is_main_article(document: Document) -> bool:
    """A document that opens its source page (offset 0) and carries relations."""
    return bool(document.relations) and any(p.offset == 0 for p in document.provenance)


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
        ids, splits = PackedStrings(), array("B")
        for document, split in pairs:
            if split not in SPLITS:
                raise ValueError(
                    f"document {document}: unknown split {split!r}; splits are {', '.join(SPLITS)}"
                )
            ids.append(document)
            splits.append(SPLITS.index(split))
        kept = cls(ids.array(), np.frombuffer(splits, dtype=np.uint8))
        if pc.count_distinct(kept.ids).as_py() != len(kept):
            counts = pc.value_counts(kept.ids)
            repeated = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
            raise ValueError(f"documents listed more than once: {', '.join(repeated.to_pylist()[:5])}")
        return kept

    def __len__(self) -> int:
        return len(self.splits)


class CorpusSummary:
    """What splitting needs of every document, in add order: id, label counts, main flag, sentence digests.

    Kept as packed columns (an Arrow string array, machine-integer arrays): a corpus of any size costs
    its ids plus 4 bytes per label and 1 per document. Sentence digests go to a temporary folder (under
    ``scratch`` if given), removed by :meth:`close` or when the summary is garbage-collected.
    """

    def __init__(self, labels: Sequence[str], scratch: Path | None = None):
        self.labels = tuple(labels)
        self._column = {label: i for i, label in enumerate(self.labels)}
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
        counts = [0] * len(self.labels)
        for span in document.entities:
            if span.label not in self._column:
                raise ValueError(f"document {document.id}: label {span.label!r} is not one of {self.labels}")
            counts[self._column[span.label]] += 1
        index = len(self)
        self._label_counts.extend(counts)
        self._main.append(is_main_article(document))
        for digest in sentence_digests(document.text):
            self._sentences.add(digest, index)
        self._ids.append(document.id)

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


def assign_splits(
    corpus: CorpusSummary, ratios: Sequence[float] = RATIOS, fixed: KeptSplits | None = None
) -> np.ndarray:
    """The split of each document in add order, as indices into ``SPLITS``; see the module docstring.

    The result depends on the documents, not on their order. Documents in ``fixed`` keep the split
    given there (and pull their duplicate group with them); only the others are assigned.
    """
    if not len(corpus):
        return np.zeros(0, dtype=np.uint8)
    groups = duplicate_groups(corpus)
    count = int(groups.max()) + 1
    group_weights, required, present = _label_facts(corpus, groups, count)
    weights = array("q", group_weights.tobytes())  # Python ints on access, 8 bytes each in memory
    sizes = np.bincount(groups, minlength=count)
    group_main = np.zeros(count, dtype=np.bool_)
    group_main[groups[corpus.main_articles]] = True
    total = int(group_weights.sum()) or 1
    pinned = _pinned_splits(corpus, groups, count, fixed)
    need_main = bool(group_main.any())
    held = pinned >= 0
    pinned_load = np.bincount(pinned[held], weights=group_weights[held], minlength=len(SPLITS)).tolist()
    free = array("I", np.flatnonzero(~held).astype(np.uintc).tobytes())
    start = np.where(held, pinned, 0).astype(np.uint8).tobytes()
    best: tuple[float, bytearray] | None = None
    for seed in range(TRIES if free else 1):
        assigned = bytearray(start)
        load = list(pinned_load)
        order = array("I", free)
        random.Random(seed).shuffle(order)
        for g in order:
            target = max(range(len(SPLITS)), key=lambda s: ratios[s] * total - load[s])
            assigned[g] = target
            load[target] += weights[g]
        by_split = np.frombuffer(assigned, dtype=np.uint8)
        if not _valid(by_split, present, group_main, need_main):
            continue
        split_sizes = np.bincount(by_split, weights=sizes, minlength=len(SPLITS)).tolist()
        deviation = max(abs(load[s] / total - ratios[s]) for s in range(len(SPLITS))) + DOCUMENT_WEIGHT * max(
            abs(split_sizes[s] / len(corpus) - ratios[s]) for s in range(len(SPLITS))
        )
        if best is None or deviation < best[0]:
            best = (deviation, assigned)
        if deviation < GOOD_ENOUGH:
            break
    if best is None:
        names = [label for label, needed in zip(corpus.labels, required, strict=True) if needed]
        raise SplitError(
            f"no assignment in {TRIES} tries puts {', '.join(sorted(names)) or 'the labels'} "
            "in every split"
            + (" and a main article with relations in test" if need_main else "")
            + (" with the splits kept from the previous build (--reassign to redo them)" if fixed else "")
        )
    return np.frombuffer(best[1], dtype=np.uint8)[groups]


def _label_facts(corpus: CorpusSummary, groups: np.ndarray, count: int) -> tuple[np.ndarray, ...]:
    """Entities per group; which labels must be in every split (found in as many groups as there are
    splits); and, per group, which of those it has.
    """
    weights = np.zeros(count, dtype=np.int64)
    present = np.zeros((count, len(corpus.labels)), dtype=np.bool_)
    for column in range(len(corpus.labels)):
        per_group = np.bincount(groups, weights=corpus.label_counts[:, column], minlength=count)
        weights += per_group.astype(np.int64)
        present[:, column] = per_group > 0
    required = present.sum(axis=0) >= len(SPLITS)
    return weights, required, present[:, required]


def _pinned_splits(
    corpus: CorpusSummary, groups: np.ndarray, count: int, fixed: KeptSplits | None
) -> np.ndarray:
    """The split index that ``fixed`` imposes on each duplicate group, or -1."""
    pinned = np.full(count, -1, dtype=np.int8)
    if not fixed:
        return pinned
    found = pc.index_in(corpus.ids, value_set=fixed.ids).fill_null(-1).to_numpy()
    listed = np.flatnonzero(found >= 0)
    codes, listed_groups = fixed.splits[found[listed]], groups[listed]
    order = np.lexsort((codes, listed_groups))
    codes, listed_groups = codes[order], listed_groups[order]
    same_group = listed_groups[1:] == listed_groups[:-1]
    pinned[listed_groups] = codes  # one code per group, unless it clashes (refused below)
    clashes = listed_groups[1:][same_group & (codes[1:] != codes[:-1])]
    if len(clashes):
        g = int(clashes.min())
        members = np.flatnonzero(groups == g)
        ids = sorted(corpus.ids.take(pa.array(members)).to_pylist())
        splits = sorted({SPLITS[code] for code in codes[listed_groups == g].tolist()})
        raise SplitError(f"documents {', '.join(ids)} share text but are fixed to different splits {splits}")
    return pinned


def _valid(
    assigned: np.ndarray, required_counts: np.ndarray, group_main: np.ndarray, need_main: bool
) -> bool:
    """Every required label in every split, and a main article in test if the corpus has one."""
    if need_main and not group_main[assigned == _TEST].any():
        return False
    return all(required_counts[assigned == s].sum(axis=0).all() for s in range(len(SPLITS)))
