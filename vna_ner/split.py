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
(:class:`CorpusSummary`, about 50 bytes per document plus its id) and, on disk, the digests of its
long sentences; never the documents themselves.
"""

from __future__ import annotations

import hashlib
import random
import re
import shutil
import tempfile
import weakref
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vna_ner.documents import Document
from vna_ner.features import SPLITS

RATIOS = (0.6, 0.2, 0.2)
TRIES = 500
DOCUMENT_WEIGHT = 0.5
GOOD_ENOUGH = 0.005  # a distance below which further tries cannot matter at this corpus size
MIN_SHARED_CHARS = 40
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_ID_CHUNK = 4096  # document ids held as Python strings before they are packed into an Arrow array
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


class CorpusSummary:
    """What splitting needs of every document, in add order: id, label counts, main flag, sentence digests.

    Kept as packed columns (an Arrow string array, machine-integer arrays), so a corpus of any size costs
    its ids plus about 40 bytes per document; sentence digests go to temporary files.
    """

    def __init__(self, labels: Sequence[str]):
        self.labels = tuple(labels)
        self._column = {label: i for i, label in enumerate(self.labels)}
        self._id_chunks: list[pa.Array] = []
        self._new_ids: list[str] = []
        self._label_counts = array("I")  # len(labels) counts per document, one document after another
        self._main = bytearray()
        self._sentences = _SentenceIndex()

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
        self._new_ids.append(document.id)
        if len(self._new_ids) == _ID_CHUNK:
            self._pack_ids()

    def __len__(self) -> int:
        return len(self._main)

    @property
    def ids(self) -> pa.ChunkedArray:
        """Document ids, in add order."""
        self._pack_ids()
        return pa.chunked_array(self._id_chunks, type=pa.string())

    @property
    def label_counts(self) -> np.ndarray:
        """Entities per document (rows, add order) and label (columns, in ``labels`` order)."""
        return np.frombuffer(self._label_counts, dtype=np.uintc).reshape(len(self), len(self.labels))

    @property
    def main_articles(self) -> np.ndarray:
        """Whether each document is a main article (:func:`is_main_article`)."""
        return np.frombuffer(self._main, dtype=np.bool_)

    def _pack_ids(self) -> None:
        if self._new_ids:
            self._id_chunks.append(pa.array(self._new_ids, type=pa.string()))
            self._new_ids = []

    def _ranks(self) -> np.ndarray:
        """Each document's position in id order (code-point order, as Python sorts strings)."""
        ranks = np.empty(len(self), dtype=np.int64)
        ranks[pc.sort_indices(self.ids).to_numpy()] = np.arange(len(self))
        return ranks


class _SentenceIndex:
    """(sentence digest, document index) pairs, kept on disk in files bucketed by digest.

    The pairs grow with the corpus and are needed only once, to find shared sentences; that is done
    one bucket at a time, so memory holds one bucket, not every sentence of the corpus.
    """

    _PAIR = np.dtype([("digest", "<u8"), ("document", "<u4")])
    _BUCKET_BITS = 6  # 64 bucket files, chosen by the top bits of the digest
    _BUFFER = 1 << 16  # pairs held in memory before they are appended to their bucket files

    def __init__(self) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="vna-ner-sentences-"))
        weakref.finalize(self, shutil.rmtree, self._folder, ignore_errors=True)  # removed with the index
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
    parent = np.arange(len(corpus))  # indexed by rank; every root is the smallest rank of its group

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
    group_by_rank = np.unique(parent, return_inverse=True)[1]
    return group_by_rank[ranks]


def assign_splits(
    corpus: CorpusSummary, ratios: Sequence[float] = RATIOS, fixed: Mapping[str, str] | None = None
) -> list[str]:
    """The split (``train``, ``validation`` or ``test``) of each document in add order; see the module.

    The result depends on the documents, not on their order. Documents named in ``fixed`` keep the split
    given there (and pull their duplicate group with them); only the others are assigned.
    """
    if not len(corpus):
        return []
    groups = duplicate_groups(corpus)
    count = int(groups.max()) + 1
    group_labels = np.zeros((count, len(corpus.labels)), dtype=np.int64)
    np.add.at(group_labels, groups, corpus.label_counts)
    weights = group_labels.sum(axis=1).tolist()
    sizes = np.bincount(groups, minlength=count)
    group_main = np.bincount(groups, weights=corpus.main_articles, minlength=count) > 0
    total = sum(weights) or 1
    pinned = _pinned_splits(corpus, groups, count, fixed or {})
    required = (group_labels > 0).sum(axis=0) >= len(SPLITS)
    need_main = bool(group_main.any())
    pinned_load = [0.0] * len(SPLITS)
    for g in range(count):
        if pinned[g] >= 0:
            pinned_load[pinned[g]] += weights[g]
    free = [g for g in range(count) if pinned[g] < 0]
    required_counts = group_labels[:, required]
    best: tuple[float, list[int]] | None = None
    for seed in range(TRIES if free else 1):
        assigned = [max(p, 0) for p in pinned]
        load = list(pinned_load)
        order = list(free)
        random.Random(seed).shuffle(order)
        for g in order:
            target = max(range(len(SPLITS)), key=lambda s: ratios[s] * total - load[s])
            assigned[g] = target
            load[target] += weights[g]
        by_split = np.asarray(assigned)
        if not _valid(by_split, required_counts, group_main, need_main):
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
    split_of_group = [SPLITS[s] for s in best[1]]
    return [split_of_group[g] for g in groups.tolist()]


def _pinned_splits(
    corpus: CorpusSummary, groups: np.ndarray, count: int, fixed: Mapping[str, str]
) -> list[int]:
    """The split index that ``fixed`` imposes on each duplicate group, or -1."""
    pinned = [-1] * count
    if not fixed:
        return pinned
    names = list(fixed)
    codes = [SPLITS.index(fixed[name]) for name in names]
    found = pc.index_in(corpus.ids, value_set=pa.array(names, type=pa.string())).fill_null(-1).to_numpy()
    listed = np.flatnonzero(found >= 0)
    clashes: set[int] = set()
    for g, name in zip(groups[listed].tolist(), found[listed].tolist(), strict=True):
        code = codes[name]
        if pinned[g] >= 0 and pinned[g] != code:
            clashes.add(g)
        pinned[g] = code if pinned[g] < 0 else pinned[g]
    if clashes:
        g = min(clashes)
        members = np.flatnonzero(groups == g)
        ids = sorted(corpus.ids.take(pa.array(members)).to_pylist())
        splits = sorted({fixed[i] for i in ids if i in fixed})
        raise SplitError(f"documents {', '.join(ids)} share text but are fixed to different splits {splits}")
    return pinned


def _valid(
    assigned: np.ndarray, required_counts: np.ndarray, group_main: np.ndarray, need_main: bool
) -> bool:
    """Every required label in every split, and a main article in test if the corpus has one."""
    if need_main and not group_main[assigned == _TEST].any():
        return False
    return all(required_counts[assigned == s].sum(axis=0).all() for s in range(len(SPLITS)))
