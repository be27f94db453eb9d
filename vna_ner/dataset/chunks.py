"""The package's one IOB2 chunker: seqeval's own entity extraction, run sentence by sentence.

Every chunk the package extracts (scoring and its bootstrap, pre-annotations, the build's check that the
tags give back the gold) comes from :func:`chunks`, so what is scored, sent to Label Studio and shipped
is the same thing. A sequence is cut at every sentence start, as in CoNLL: no chunk crosses a sentence.

- default mode (conlleval-compatible): ``seqeval.metrics.sequence_labeling.get_entities``; an ``I-``
  after ``O`` or after another type opens a chunk.
- strict mode: ``seqeval.scheme.Entities(..., IOB2)``; only ``B-`` opens a chunk, and ``I-`` tokens that
  do not continue one are no chunk at all.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from seqeval.metrics.sequence_labeling import get_entities
from seqeval.scheme import IOB2, Entities


class Chunk(NamedTuple):
    """Tokens ``first`` to ``end - 1`` of a sequence, labelled ``label``."""

    first: int
    end: int
    label: str


def sentences(tags: Sequence[str], sentence_starts: Iterable[int]) -> list[tuple[int, list[str]]]:
    """``(first token, tags)`` of each sentence; token 0 always starts one.

    >>> sentences(["B-PER", "I-PER", "O"], [1])
    [(0, ['B-PER']), (1, ['I-PER', 'O'])]
    """
    firsts = sorted({0, *(start for start in sentence_starts if 0 < start < len(tags))})
    return [(first, list(tags[first:end])) for first, end in itertools.pairwise([*firsts, len(tags)])]


def chunks(tags: Sequence[str], sentence_starts: Iterable[int], *, strict: bool = False) -> list[Chunk]:
    """The chunks of IOB2 ``tags`` cut at ``sentence_starts``, in order, by seqeval's rule for the mode.

    >>> [tuple(c) for c in chunks(["B-PER", "I-PER", "I-PER", "O", "I-LOC"], [2])]
    [(0, 2, 'PER'), (2, 3, 'PER'), (4, 5, 'LOC')]
    >>> [tuple(c) for c in chunks(["B-PER", "I-PER", "I-PER", "O", "I-LOC"], [2], strict=True)]
    [(0, 2, 'PER')]
    """
    parts = sentences(tags, sentence_starts) if len(tags) else []
    if strict:
        found = Entities([part for _, part in parts], IOB2).entities
        return [
            Chunk(first + entity.start, first + entity.end, entity.tag)
            for (first, _), entities in zip(parts, found, strict=True)
            for entity in entities
        ]
    return [
        Chunk(first + start, first + last + 1, label)
        for first, part in parts
        for label, start, last in get_entities(part)
    ]
