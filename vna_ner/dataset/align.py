"""Tokenization aligned to gold span boundaries, and span <-> IOB2 tag conversion.

Tokens come from spaCy's rule-based tokenizer for the document's language (French by default:
elisions, hyphens, brackets), then any token that crosses a gold boundary is cut there, so no gold
entity is lost or shifted in the token view, even inside glued words such as ``Phuceffectuera``.
Whitespace is never a token. Long texts are tokenized in pieces of at most :data:`PIECE` characters,
cut at line breaks or sentence ends where possible and never inside a gold span, so a text of any
length is tokenized in bounded memory (spaCy refuses texts over a million characters at once).
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language

from vna_ner.dataset.chunks import chunks

Offsets = tuple[int, int]
LANGUAGE = "fr"
PIECE = 200_000  # characters tokenized at once; any text up to this length is tokenized whole
# spaCy's Vietnamese tokenizer is the pyvi word segmenter (a statistical model); without it, it only
# splits at whitespace. Vietnamese is written with a space between syllables, so the multi-language
# rule-based tokenizer (syllables and punctuation) stands in for it.
_RULE_BASED = {"vi": "xx"}
_SENTENCE_END = re.compile(r"[.!?]\s")


class MisalignmentError(ValueError):
    """A span whose boundaries do not fall on token boundaries."""


class LanguageError(ValueError):
    """A language code for which spaCy has no rule-based tokenizer that runs here."""


@cache
def pipeline(language: str = LANGUAGE) -> Language:
    """spaCy's blank pipeline for ``language`` (tokenizer rules, no model) with a punctuation sentencizer.

    spaCy is imported here, not with the module: scoring uses the tag conversions below without it.

    >>> [t.text for t in pipeline("en")("Curie's lab")]
    ['Curie', "'s", 'lab']
    """
    import spacy

    try:
        nlp = spacy.blank(_RULE_BASED.get(language, language))
    except (ImportError, KeyError, ValueError) as error:
        raise LanguageError(
            f"no rule-based spaCy tokenizer for language {language!r}: {error} "
            "(use an ISO 639-1 code spaCy supports, e.g. fr, en, vi, or xx for any language)"
        ) from error
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
        inner = cuts[bisect.bisect_right(cuts, start) : bisect.bisect_left(cuts, end)]
        result.extend(itertools.pairwise([start, *inner, end]) if inner else [(start, end)])
    return result


def tokenize(
    text: str, spans: Iterable[Offsets] = (), language: str = LANGUAGE, piece: int = PIECE
) -> tuple[list[Offsets], list[int]]:
    """Token character offsets of ``text`` cut at the edges of the gold ``spans``, and the indices of
    sentence-first tokens.

    A sentence ends at sentence-final punctuation (spaCy's sentencizer) and at every line break.

    >>> tokenize("Nguyen Xuan Phuceffectuera", [(0, 16)])[0]
    [(0, 6), (7, 11), (12, 16), (16, 26)]
    """
    spans = sorted(spans)
    nlp = pipeline(language)
    raw: list[tuple[int, int, bool]] = []
    new_sentence = True
    for first, last in pieces(text, spans, piece):
        doc = nlp.tokenizer(text[first:last])  # not nlp(): it refuses texts over nlp.max_length
        for _, component in nlp.pipeline:
            doc = component(doc)
        new_sentence = True  # a piece starts a sentence: pieces are cut at line breaks where possible
        for token in doc:
            if token.is_sent_start:
                new_sentence = True
            if token.text.isspace():
                new_sentence = new_sentence or "\n" in token.text
                continue
            start = first + token.idx
            raw.append((start, start + len(token.text), new_sentence))
            new_sentence = False
    starts = {start for start, _, first in raw if first}
    offsets = split_at(((s, e) for s, e, _ in raw), [edge for span in spans for edge in span])
    sentence_starts = [i for i, (start, _) in enumerate(offsets) if start in starts]
    return offsets, sentence_starts


def pieces(text: str, spans: Sequence[Offsets], size: int = PIECE) -> Iterator[Offsets]:
    """Consecutive ``(start, end)`` pieces of ``text``, each at most ``size`` characters unless a gold span
    is longer, never cutting one of the (sorted) gold ``spans``.

    A piece ends, by preference, after the last line break of its second half; else after the last
    sentence-final punctuation and space; else after the last whitespace; else anywhere outside a span.
    spaCy splits text at whitespace before applying its rules, so cutting there gives the same tokens.

    >>> list(pieces("Un. Deux trois.\\nQuatre", [], 12))
    [(0, 9), (9, 16), (16, 22)]
    """
    starts, ends = [s for s, _ in spans], [e for _, e in spans]

    def inside(cut: int) -> Offsets | None:
        """The span that strictly contains ``cut`` (gold spans are flat), or None."""
        i = bisect.bisect_left(starts, cut) - 1  # the last span starting before cut
        return (starts[i], ends[i]) if i >= 0 and ends[i] > cut else None

    first = 0
    while len(text) - first > size:
        cut = _cut(text, first + size // 2, first + size, inside) or _cut(
            text, first + 1, first + size, inside
        )
        if cut is None:  # no whitespace: cut at the size, or before (else after) the span there
            cut = first + size
            if (span := inside(cut)) is not None:
                cut = span[0] if span[0] > first else span[1]
        yield first, cut
        first = cut
    yield first, len(text)


def _cut(text: str, low: int, high: int, inside) -> int | None:
    """The best cut in ``text[low:high]`` (see :func:`pieces`) that is not inside a span, or None."""
    window = text[low:high]
    candidates = (
        (low + m.start() + 1 for m in _reversed(re.finditer("\n", window))),
        (low + m.end() for m in _reversed(_SENTENCE_END.finditer(window))),
        (low + m.end() for m in _reversed(re.finditer(r"\s", window))),
    )
    for kind in candidates:
        for cut in kind:
            if low < cut < high + 1 and inside(cut) is None:
                return cut
    return None


def _reversed(matches: Iterator[re.Match[str]]) -> list[re.Match[str]]:
    return list(matches)[::-1]


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


def iob2_to_spans(
    offsets: Sequence[Offsets], tags: Sequence[str], sentence_starts: Iterable[int]
) -> list[tuple[int, int, str]]:
    """Character spans ``(start, end, label)`` of IOB2 ``tags``: the default-mode :func:`chunks.chunks`.

    An ``I-`` without its ``B-`` starts a span, and no span crosses a sentence start.

    >>> iob2_to_spans([(0, 2), (3, 8), (9, 14)], ["O", "B-PER", "I-PER"], [0])
    [(3, 14, 'PER')]
    >>> iob2_to_spans([(0, 2), (3, 8), (9, 14)], ["O", "B-PER", "I-PER"], [0, 2])
    [(3, 8, 'PER'), (9, 14, 'PER')]
    """
    return [
        (offsets[chunk.first][0], offsets[chunk.end - 1][1], chunk.label)
        for chunk in chunks(tags, sentence_starts)
    ]
