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
import re
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from spacy.language import Language

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

    from vna_ner.dataset.charsets import charsets_once

    try:
        with charsets_once():  # the language's patterns compile at its import
            nlp = spacy.blank(_RULE_BASED.get(language, language))
    except (ImportError, KeyError, ValueError) as error:
        raise LanguageError(
            f"no rule-based spaCy tokenizer for language {language!r}: {error} "
            "(use an ISO 639-1 code spaCy supports, e.g. fr, en, vi, or xx for any language)"
        ) from error
    nlp.add_pipe("sentencizer")
    return nlp


@cache
def _sentence_final(language: str) -> np.ndarray:
    """The sorted string hashes of ``pipeline(language)``'s sentencizer's sentence-final characters."""
    from spacy.strings import hash_string

    characters = pipeline(language).get_pipe("sentencizer").punct_chars
    return np.array(sorted({hash_string(c) for c in characters}), dtype=np.uint64)


def sentence_marks(orths: np.ndarray, punct: np.ndarray, final: np.ndarray) -> np.ndarray:
    """Whether each token opens a sentence, as spaCy's ``Sentencizer`` decides, from a doc's arrays.

    ``orths``: the tokens' ``ORTH`` hashes (spaCy's identity of a token's text: ``token.text`` is the
    string stored under it); ``punct``: their ``IS_PUNCT``; ``final``: the sorted hashes of the
    sentence-final characters (:func:`_sentence_final`). The rule of ``Sentencizer.predict``, without a
    Python step per token: the first token opens a sentence, and so does the first token after a
    sentence-final one that is neither punctuation nor sentence-final itself.
    """
    is_final = final[np.minimum(np.searchsorted(final, orths), len(final) - 1)] == orths
    words = np.flatnonzero(~(punct | is_final))
    after = np.searchsorted(words, np.flatnonzero(is_final), "right")  # the first word after each
    marks = np.zeros(len(orths), dtype=bool)
    marks[words[after[after < len(words)]]] = True
    marks[:1] = True
    return marks


def split_at(offsets: Iterable[Offsets], boundaries: Iterable[int]) -> list[Offsets]:
    """Cut every token that contains a boundary strictly inside it.

    >>> split_at([(0, 14)], [4])
    [(0, 4), (4, 14)]
    """
    pairs = np.array(list(offsets), dtype=np.int64).reshape(-1, 2)
    cuts = np.array(sorted(set(boundaries)), dtype=np.int64)
    starts, ends = _cut_tokens(pairs[:, 0], pairs[:, 1], cuts)
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _cut_tokens(starts: np.ndarray, ends: np.ndarray, cuts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`split_at` on arrays, in one ordered pass: tokens in text order, ``cuts`` sorted and unique.

    Each cut strictly inside a token (at most one: tokens do not overlap) ends a piece of it and starts
    the next.
    """
    if not len(cuts) or not len(starts):
        return starts, ends
    owner = np.searchsorted(starts, cuts, side="right") - 1  # the last token starting at or before each cut
    clipped = np.maximum(owner, 0)
    inside = (owner >= 0) & (starts[clipped] < cuts) & (cuts < ends[clipped])
    if not inside.any():
        return starts, ends
    inner = cuts[inside]
    per_token = np.bincount(owner[inside], minlength=len(starts))
    first = np.arange(len(starts)) + np.concatenate(([0], np.cumsum(per_token)[:-1]))
    total = len(starts) + len(inner)
    is_first, is_last = np.zeros(total, dtype=bool), np.zeros(total, dtype=bool)
    is_first[first], is_last[first + per_token] = True, True
    new_starts, new_ends = np.empty(total, dtype=np.int64), np.empty(total, dtype=np.int64)
    new_starts[is_first], new_starts[~is_first] = starts, inner
    new_ends[is_last], new_ends[~is_last] = ends, inner
    return new_starts, new_ends


def tokenize(
    text: str, spans: Iterable[Offsets] = (), language: str = LANGUAGE, piece: int = PIECE
) -> tuple[list[Offsets], list[int]]:
    """Token character offsets of ``text`` cut at the edges of the gold ``spans``, and the indices of
    sentence-first tokens.

    A sentence ends at sentence-final punctuation (spaCy's sentencizer) and at every line break.

    >>> tokenize("Nguyen Xuan Phuceffectuera", [(0, 16)])[0]
    [(0, 6), (7, 11), (12, 16), (16, 26)]
    """
    starts, ends, sentence_starts = token_arrays(text, spans, language, piece)
    return list(zip(starts.tolist(), ends.tolist(), strict=True)), sentence_starts.tolist()


def token_arrays(
    text: str, spans: Iterable[Offsets] = (), language: str = LANGUAGE, piece: int = PIECE
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`tokenize` as arrays (int64): token starts, token ends, indices of sentence-first tokens.

    spaCy's tokens are read with ``Doc.to_array`` (text hash, punctuation, offset, length, whitespace)
    instead of one Python object per token, and the sentencizer's rule is applied to those arrays
    (:func:`sentence_marks`) instead of running it token by token.
    """
    from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LENGTH, ORTH

    spans = sorted(spans)
    nlp = pipeline(language)
    ends_sentence = _sentence_final(language)
    parts = []
    for first, last in pieces(text, spans, piece):
        doc = nlp.tokenizer(text[first:last])  # not nlp(): it refuses texts over nlp.max_length
        array = doc.to_array([ORTH, IS_PUNCT, IDX, LENGTH, IS_SPACE])
        marks = sentence_marks(array[:, 0], array[:, 1] == 1, ends_sentence)
        starts, lengths = first + array[:, 2].astype(np.int64), array[:, 3].astype(np.int64)
        space = array[:, 4] == 1
        # A sentence opens at the piece's start (pieces are cut at line breaks where possible), at a
        # token the sentencizer marks and at a line break: its first token that is not whitespace.
        for i in np.flatnonzero(space).tolist():
            marks[i] |= "\n" in text[starts[i] : starts[i] + lengths[i]]
        seen = np.cumsum(marks)
        words = np.flatnonzero(~space)
        since = np.concatenate(([-1], seen[words[:-1]]))  # marks seen up to the previous word token
        parts.append((starts[words], starts[words] + lengths[words], seen[words] > since[: len(words)]))
    starts, ends, opens = (np.concatenate(column) for column in zip(*parts, strict=True))
    cuts = np.unique(np.array([edge for span in spans for edge in span], dtype=np.int64))
    cut_starts, cut_ends = _cut_tokens(starts, ends, cuts)
    return cut_starts, cut_ends, np.searchsorted(cut_starts, starts[opens])  # a token's first piece


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
    from vna_ner.dataset.chunks import chunks  # seqeval brings scikit-learn: imported only when needed

    return [
        (offsets[chunk.first][0], offsets[chunk.end - 1][1], chunk.label)
        for chunk in chunks(tags, sentence_starts)
    ]
