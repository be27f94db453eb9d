"""French tokenization aligned to gold span boundaries, and span <-> IOB2 tag conversion.

Tokens come from spaCy's rule-based French tokenizer (elisions, hyphens, brackets), then any
token that crosses a gold boundary is cut there, so no gold entity is lost or shifted in the
token view, even inside glued words such as ``Phuceffectuera``. Whitespace is never a token.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language

Offsets = tuple[int, int]


class MisalignmentError(ValueError):
    """A span whose boundaries do not fall on token boundaries."""


@lru_cache(maxsize=1)
def french_pipeline() -> Language:
    """spaCy's blank French pipeline (tokenizer rules only, no model) with a punctuation sentencizer.

    spaCy is imported here, not with the module: scoring uses the tag conversions below without it.
    """
    import spacy

    nlp = spacy.blank("fr")
    nlp.add_pipe("sentencizer")
    return nlp


def split_at(offsets: Iterable[Offsets], boundaries: Iterable[int]) -> list[Offsets]:
    """Cut every token that contains a boundary strictly inside it.

    >>> split_at([(0, 14)], [4])
    [(0, 4), (4, 14)]
    """
    cuts = sorted(set(boundaries))
    result: list[Offsets] = []
    for start, end in offsets:
        inner = [b for b in cuts if start < b < end]
        edges = [start, *inner, end]
        result.extend(itertools.pairwise(edges))
    return result


def tokenize(text: str, boundaries: Iterable[int] = ()) -> tuple[list[Offsets], list[int]]:
    """Token character offsets of ``text`` cut at ``boundaries``, and the indices of sentence-first tokens.

    A sentence ends at sentence-final punctuation (spaCy's sentencizer) and at every line break.

    >>> tokenize("Nguyen Xuan Phuceffectuera", [16])[0]
    [(0, 6), (7, 11), (12, 16), (16, 26)]
    """
    doc = french_pipeline()(text)
    raw: list[tuple[int, int, bool]] = []
    new_sentence = True
    for token in doc:
        if token.is_sent_start:
            new_sentence = True
        if token.text.isspace():
            new_sentence = new_sentence or "\n" in token.text
            continue
        start = token.idx
        end = start + len(token.text)
        raw.append((start, end, new_sentence))
        new_sentence = False
    starts = {start for start, _, first in raw if first}
    offsets = split_at(((s, e) for s, e, _ in raw), boundaries)
    sentence_starts = [i for i, (start, _) in enumerate(offsets) if start in starts]
    return offsets, sentence_starts


def spans_to_iob2(offsets: Sequence[Offsets], spans: Iterable[tuple[int, int, str]]) -> list[str]:
    """IOB2 tags for character spans ``(start, end, label)`` over tokens at ``offsets``.

    >>> spans_to_iob2([(0, 2), (3, 8), (9, 14)], [(3, 14, "PER")])
    ['O', 'B-PER', 'I-PER']
    """
    starts = {start: i for i, (start, _) in enumerate(offsets)}
    ends = {end: i for i, (_, end) in enumerate(offsets)}
    tags = ["O"] * len(offsets)
    for start, end, label in spans:
        if start not in starts or end not in ends:
            raise MisalignmentError(f"span [{start}, {end}) {label} does not fall on token boundaries")
        first, last = starts[start], ends[end]
        tags[first] = f"B-{label}"
        for i in range(first + 1, last + 1):
            tags[i] = f"I-{label}"
    return tags


def iob2_to_spans(offsets: Sequence[Offsets], tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """Character spans ``(start, end, label)`` of IOB2 ``tags``; an ``I-`` without its ``B-`` starts a span.

    >>> iob2_to_spans([(0, 2), (3, 8), (9, 14)], ["O", "B-PER", "I-PER"])
    [(3, 14, 'PER')]
    """
    spans: list[tuple[int, int, str]] = []
    current: list = []
    for (start, end), tag in zip(offsets, tags, strict=True):
        prefix, _, label = tag.partition("-")
        if current and (prefix != "I" or label != current[2]):
            spans.append(tuple(current))
            current = []
        if prefix == "B" or (prefix == "I" and not current):
            current = [start, end, label]
        elif prefix == "I":
            current[1] = end
    if current:
        spans.append(tuple(current))
    return spans
