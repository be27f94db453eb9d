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
from dataclasses import dataclass
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


def sentence_marks(
    orths: np.ndarray, punct: np.ndarray, final: np.ndarray, docs: np.ndarray | None = None
) -> np.ndarray:
    """Whether each token opens a sentence, as spaCy's ``Sentencizer`` decides, from a doc's arrays.

    ``orths``: the tokens' ``ORTH`` hashes (spaCy's identity of a token's text: ``token.text`` is the
    string stored under it); ``punct``: their ``IS_PUNCT``; ``final``: the sorted hashes of the
    sentence-final characters (:func:`_sentence_final`); ``docs``: for the tokens of several docs in a
    row, each token's doc number (non-decreasing; default: one doc). The rule of ``Sentencizer.predict``,
    without a Python step per token: a doc's first token opens a sentence, and so does the first token
    after a sentence-final one that is neither punctuation nor sentence-final itself, in the same doc.
    """
    docs = np.zeros(len(orths), dtype=np.int64) if docs is None else docs
    is_final = final[np.minimum(np.searchsorted(final, orths), len(final) - 1)] == orths
    words = np.flatnonzero(~(punct | is_final))
    finals = np.flatnonzero(is_final)
    after = np.searchsorted(words, finals, "right")  # the first word after each
    found = after < len(words)
    opened, closed = words[after[found]], finals[found]
    marks = np.zeros(len(orths), dtype=bool)
    marks[opened[docs[opened] == docs[closed]]] = True
    marks[np.flatnonzero(np.diff(docs, prepend=-1))] = True  # each doc's first token
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


@dataclass(frozen=True)
class Tokens:
    """Texts tokenized one after another (:func:`tokens_of`), as arrays over all of them.

    Offsets are into the texts joined end to end (text ``d`` starts at ``bases[d]``); text ``d``'s tokens
    are ``bounds[d]:bounds[d + 1]`` and its sentence-first tokens (indices among all tokens)
    ``sentence_starts[sentence_bounds[d]:sentence_bounds[d + 1]]``.
    """

    starts: np.ndarray
    ends: np.ndarray
    bases: np.ndarray
    bounds: np.ndarray
    sentence_starts: np.ndarray
    sentence_bounds: np.ndarray

    def of(self, text: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Text ``text``'s token starts and ends in it, and the indices of its sentence-first tokens."""
        first, last = self.bounds[text : text + 2]
        base = self.bases[text]
        sentences = self.sentence_starts[self.sentence_bounds[text] : self.sentence_bounds[text + 1]]
        return self.starts[first:last] - base, self.ends[first:last] - base, sentences - first

    def local(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`of` every text, concatenated."""
        texts = np.arange(len(self.bounds) - 1)
        owner = np.repeat(texts, np.diff(self.bounds))
        sentence_owner = np.repeat(texts, np.diff(self.sentence_bounds))
        base = self.bases[owner]
        return self.starts - base, self.ends - base, self.sentence_starts - self.bounds[sentence_owner]

    def up_to(self, text: int) -> Tokens:
        """The texts before number ``text``."""
        last = self.bounds[text]
        return Tokens(
            self.starts[:last],
            self.ends[:last],
            self.bases[: text + 1],
            self.bounds[: text + 1],
            self.sentence_starts[: self.sentence_bounds[text]],
            self.sentence_bounds[: text + 1],
        )


def tokens_of(
    texts: Sequence[str],
    spans: Sequence[Iterable[Offsets]],
    language: str = LANGUAGE,
    piece: int = PIECE,
) -> Tokens:
    """:func:`tokenize` of each text with its gold ``spans``, as arrays over all the texts.

    spaCy's tokens are read with ``Doc.to_array`` (text hash, punctuation, offset, length, whitespace)
    instead of one Python object per token, and the sentencizer's rule is applied to those arrays
    (:func:`sentence_marks`) instead of running it token by token; everything after spaCy's tokenizer
    runs once over all the texts rather than once per text.
    """
    from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LENGTH, ORTH

    nlp = pipeline(language)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    bases = np.concatenate(([0], np.cumsum(lengths)))
    arrays, firsts, edges, owners = [], [], [], []
    for number, (base, text, text_spans) in enumerate(zip(bases[:-1].tolist(), texts, spans, strict=True)):
        sorted_spans = sorted(text_spans)
        edges += [edge for span in sorted_spans for edge in span]
        owners += [number] * (2 * len(sorted_spans))
        for first, last in pieces(text, sorted_spans, piece):
            doc = nlp.tokenizer(text[first:last])  # not nlp(): it refuses texts over nlp.max_length
            arrays.append(doc.to_array([ORTH, IS_PUNCT, IDX, LENGTH, IS_SPACE]).reshape(-1, 5))
            firsts.append(base + first)
    table = np.concatenate(arrays) if arrays else np.zeros((0, 5), dtype=np.uint64)
    piece_of = np.repeat(np.arange(len(arrays)), [len(array) for array in arrays])
    starts = np.array(firsts, dtype=np.int64)[piece_of] + table[:, 2].astype(np.int64)
    ends = starts + table[:, 3].astype(np.int64)
    space = table[:, 4] == 1
    marks = sentence_marks(table[:, 0], table[:, 1] == 1, _sentence_final(language), piece_of)
    # A sentence opens at a piece's start (pieces are cut at line breaks where possible), at a token the
    # sentencizer marks and at a line break: its first token that is not whitespace.
    breaks = np.flatnonzero(code_points("".join(texts)) == 10)
    marks[space] |= np.searchsorted(breaks, ends[space]) > np.searchsorted(breaks, starts[space])
    seen = np.cumsum(marks)
    words = np.flatnonzero(~space)
    opens = np.diff(seen[words], prepend=0) > 0  # a mark since the word before (each piece's first is one)
    owner = np.array(owners, dtype=np.int64)
    # An edge outside its text cuts no token of it (nor, clipped, of its neighbours)
    cuts = np.unique(np.clip(np.array(edges, dtype=np.int64), 0, lengths[owner]) + bases[owner])
    cut_starts, cut_ends = _cut_tokens(starts[words], ends[words], cuts)
    sentence_starts = np.searchsorted(cut_starts, starts[words][opens])  # a token's first piece
    bounds = np.searchsorted(cut_starts, bases)
    return Tokens(
        cut_starts, cut_ends, bases, bounds, sentence_starts, np.searchsorted(sentence_starts, bounds)
    )


def token_arrays(
    text: str, spans: Iterable[Offsets] = (), language: str = LANGUAGE, piece: int = PIECE
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`tokenize` as arrays (int64): token starts, token ends, indices of sentence-first tokens."""
    return tokens_of([text], [spans], language, piece).of(0)


def code_points(text: str) -> np.ndarray:
    """The code points of ``text`` (uint32; a lone surrogate as its own value)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


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
