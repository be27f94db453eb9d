"""Tokenization aligned to gold boundaries, and span <-> IOB2 conversion."""

from __future__ import annotations

import re
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vna_ner.dataset.align import (
    MisalignmentError,
    iob2_to_spans,
    pieces,
    spans_to_iob2,
    split_at,
    tokenize,
)


def words(text: str, spans=(), language: str = "fr") -> list[str]:
    offsets, _ = tokenize(text, spans, language)
    return [text[start:end] for start, end in offsets]


def test_french_elisions_brackets_and_hyphens_are_split():
    assert words("l’ASEAN et l'ONU") == ["l’", "ASEAN", "et", "l'", "ONU"]
    assert words("Hanoi (VNA) - M. Giang") == ["Hanoi", "(", "VNA", ")", "-", "M.", "Giang"]
    assert words("Vietnam-Cuba") == ["Vietnam", "-", "Cuba"]


def test_a_gold_boundary_inside_a_glued_word_cuts_the_token():
    text = "Le président Nguyen Xuan Phuceffectuera une visite"
    assert "Phuceffectuera" in words(text)
    cut = text.index("effectuera")
    assert words(text, [(cut, len(text))])[3:6] == ["Xuan", "Phuc", "effectuera"]


def test_whitespace_never_becomes_a_token():
    assert words("Cuba\n\n \u00a0\nLaos") == ["Cuba", "Laos"]


def test_sentences_end_at_punctuation_and_at_line_breaks():
    text = "Titre sans point\n\nLe 15 janvier. M. Giang a dit.\nPhoto : VNA"
    offsets, starts = tokenize(text)
    assert [text[offsets[i][0] :].split()[0] for i in starts] == ["Titre", "Le", "M.", "Photo"]


def test_the_emoji_is_its_own_token():
    assert words("📝Édito: Campagne")[:2] == ["📝", "Édito"]


def test_split_at_cuts_only_inside_tokens():
    assert split_at([(0, 5), (6, 10)], [0, 2, 5, 6, 8]) == [(0, 2), (2, 5), (6, 8), (8, 10)]


def test_spans_to_iob2_and_back_is_the_identity():
    offsets = [(0, 2), (3, 8), (9, 14), (15, 20)]
    spans = [(3, 14, "PER"), (15, 20, "LOC")]
    tags = spans_to_iob2(offsets, spans)
    assert tags == ["O", "B-PER", "I-PER", "B-LOC"]
    assert iob2_to_spans(offsets, tags, [0]) == spans


def test_adjacent_entities_of_one_label_stay_two_entities():
    offsets = [(0, 4), (4, 8)]
    assert iob2_to_spans(offsets, spans_to_iob2(offsets, [(0, 4, "LOC"), (4, 8, "LOC")]), [0]) == [
        (0, 4, "LOC"),
        (4, 8, "LOC"),
    ]


def test_a_span_off_the_token_boundaries_is_reported_not_dropped():
    with pytest.raises(MisalignmentError, match=r"span \[1, 8\) PER"):
        spans_to_iob2([(0, 2), (3, 8)], [(1, 8, "PER")])


def test_an_i_tag_after_o_starts_an_entity():
    assert iob2_to_spans([(0, 1), (2, 3), (4, 5)], ["O", "I-ORG", "I-ORG"], [0]) == [(2, 5, "ORG")]


def test_english_uses_the_english_rules():
    assert words("Curie's lab", language="en") == ["Curie", "'s", "lab"]
    assert words("Curie's lab") == ["Curie'", "s", "lab"]  # the French rules (elision), the default


def test_vietnamese_with_diacritics_keeps_every_entity_in_the_token_view():
    text = "Thủ tướng Nguyễn Xuân Phúc đến Hà Nội.\nÔng Phúc gặp đoàn Hà Nội (TTXVN)."
    spans = [
        (text.index("Nguyễn"), text.index(" đến"), "PER"),
        (text.index("Hà Nội."), text.index("Hà Nội.") + 6, "LOC"),
        (text.index("Phúc gặp"), text.index(" gặp"), "PER"),
        (text.rindex("Hà Nội"), text.rindex("Hà Nội") + 6, "LOC"),
        (text.index("TTXVN"), text.index("TTXVN") + 5, "ORG"),
    ]
    offsets, starts = tokenize(text, [(start, end) for start, end, _ in spans], "vi")
    assert [text[s:e] for s, e in offsets][:8] == [
        "Thủ",
        "tướng",
        "Nguyễn",
        "Xuân",
        "Phúc",
        "đến",
        "Hà",
        "Nội",
    ]
    assert iob2_to_spans(offsets, spans_to_iob2(offsets, spans), starts) == sorted(spans)


def test_a_long_text_tokenized_in_pieces_gives_the_tokens_of_the_whole(monkeypatch):
    paragraph = (
        "Le président Nguyen Xuan Phuc a reçu l’ambassadeur de Cuba à Hanoi (VNA). M. Giang a dit : « oui »."
    )
    text = "\n".join(f"{paragraph} Numéro {i}, Vietnam-Cuba." for i in range(3000))  # ~330,000 characters
    spans = [
        (m, m + len("Nguyen Xuan Phuc")) for m in range(text.index("Nguyen"), len(text), len(paragraph) * 50)
    ]
    whole = tokenize(text, spans, piece=len(text))
    cut = tokenize(text, spans, piece=10_000)
    assert len(list(pieces(text, spans, 10_000))) > 30
    assert cut == whole


def test_pieces_never_cut_a_gold_span_and_cut_at_whitespace_when_there_is_some():
    text = ("mot " * 50 + "\n") * 40
    spans = sorted({(i, i + 30) for i in range(0, len(text) - 30, 97)})
    cuts = [end for _, end in pieces(text, spans, 300)][:-1]
    assert all(not start < cut < end for cut in cuts for start, end in spans)
    assert all(text[cut - 1].isspace() for cut in cuts)
    glued = "x" * 1000  # no whitespace at all: cut anywhere outside the spans
    assert [end for _, end in pieces(glued, [(90, 260)], 100)] == [90, 260, *range(360, 1000, 100), 1000]


def test_no_span_crosses_a_sentence_start():
    assert iob2_to_spans([(0, 1), (2, 3), (4, 5)], ["B-ORG", "I-ORG", "I-ORG"], [0, 2]) == [
        (0, 3, "ORG"),
        (4, 5, "ORG"),
    ]


def _token_by_token(text: str, spans: list[tuple[int, int]]) -> tuple[list[tuple[int, int]], list[int]]:
    """How tokenize read spaCy's tokens before ``Doc.to_array``: one Python object at a time, cut after."""
    from vna_ner.dataset.align import pipeline

    nlp, raw, new_sentence = pipeline("fr"), [], True
    for token in nlp(text):
        new_sentence = new_sentence or token.is_sent_start
        if token.text.isspace():
            new_sentence = new_sentence or "\n" in token.text
            continue
        raw.append((token.idx, token.idx + len(token.text), new_sentence))
        new_sentence = False
    cuts = sorted({edge for span in spans for edge in span})
    offsets = []
    for start, end in ((s, e) for s, e, _ in raw):
        inner = [cut for cut in cuts if start < cut < end]
        offsets += list(zip([start, *inner], [*inner, end], strict=True))
    firsts = {start for start, _, first in raw if first}
    return offsets, [i for i, (start, _) in enumerate(offsets) if start in firsts]


def test_tokens_and_sentences_read_as_arrays_are_those_read_token_by_token():
    import random

    rng = random.Random(7)
    pieces_of_text = [*"abcéXY .!?,;'’-\n\t()«»09", "  ", "\n\n", " \n ", "📝", "l'", "M.", "etc.", "\u00a0"]
    for _ in range(400):
        text = "".join(rng.choice(pieces_of_text) for _ in range(rng.randint(1, 60)))
        spans, position = [], 0
        while position < len(text) - 1 and rng.random() < 0.7:
            start = rng.randint(position, len(text) - 1)
            position = rng.randint(start + 1, len(text))
            spans.append((start, position))
        assert tokenize(text, spans) == _token_by_token(text, spans), (text, spans)


# The French set-up: each character class of spaCy's patterns worked out once, the same compiled code


def _code(pattern: str | bytes, flags: int = 0) -> list[int]:
    """The compiled code of ``pattern`` as ``re.compile`` makes it (``re`` keeps it inside the pattern)."""
    from re import _compiler, _parser  # type: ignore[attr-defined]

    return _compiler._code(_parser.parse(pattern, flags), flags)


def test_the_french_token_match_compiles_to_the_same_code_with_each_charset_worked_out_once():
    import re

    from spacy.lang.fr.tokenizer_exceptions import TOKEN_MATCH

    from vna_ner.dataset.charsets import charsets_once

    pattern = TOKEN_MATCH.__self__.pattern  # type: ignore[attr-defined]
    optimizer = re._compiler._optimize_charset  # type: ignore[attr-defined]
    parse = re._parser.parse  # type: ignore[attr-defined]
    assert pattern.count("\\u") > 100_000  # escapes the block writes as characters before parsing
    plain = _code(pattern)
    with charsets_once() as memo:
        once = _code(pattern)
        again = _code(pattern)  # every class now from the memo
    assert once == again == plain
    assert 0 < len(memo) < pattern.count("(?:") / 4  # the alternatives share a few classes
    assert re._compiler._optimize_charset is optimizer  # type: ignore[attr-defined]
    assert re._parser.parse is parse  # type: ignore[attr-defined]


def test_charset_memo_blocks_in_two_threads_leave_re_as_they_found_it():
    import threading

    from vna_ner.dataset.charsets import charsets_once

    optimizer = re._compiler._optimize_charset  # type: ignore[attr-defined]
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with charsets_once():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    inside.wait(5)
    entered = threading.Event()

    def mine() -> None:
        with charsets_once():  # waits for the other block, then patches and restores in turn
            entered.set()

    second = threading.Thread(target=mine)
    second.start()
    assert not entered.wait(0.2)  # blocked while the first block runs
    release.set()
    thread.join(5)
    second.join(5)
    assert entered.is_set()
    assert re._compiler._optimize_charset is optimizer  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("pattern", "flags"),
    [
        ("(?i)[a-zà-ÿ]+[-‐][^\\W\\d_]*", 0),
        ("[^a-c\\s]x[ſk]", re.IGNORECASE),
        ("(?iu)[\\w'’]|[Σσς]|[^Kk]", 0),
        (b"(?i)[a-z\\x80-\\xff]+", 0),
        ("[\\d\\-–—]{2,}|[a-z]", re.ASCII | re.IGNORECASE),
        ("[\U0001f300-\U0001faff]|[ÉéÈè]", 0),
    ],
)
def test_any_pattern_compiles_to_the_same_code_with_the_charset_memo(pattern: str | bytes, flags: int):
    from vna_ner.dataset.charsets import charsets_once

    plain = _code(pattern, flags)
    with charsets_once():
        assert _code(pattern, flags) == plain
        assert _code(pattern, flags) == plain  # from the memo


# The sentencizer's rule on arrays gives what spaCy's Sentencizer gives

SENTENCE_PARTS = [*"ab Zé1.!?…;:,-'’\"«»()[]\n\t\u00a0。！？؟।", "...", "?!", " . ", "M.", "\r\n", "Hanoi"]
SENTENCE_TEXT = st.lists(st.sampled_from(SENTENCE_PARTS), max_size=40).map("".join)


def _sentencizer_marks(language: str, text: str) -> list[bool]:
    from spacy.attrs import IS_PUNCT, ORTH

    from vna_ner.dataset.align import _sentence_final, pipeline, sentence_marks

    nlp = pipeline(language)
    doc = nlp.tokenizer(text)
    array = doc.to_array([ORTH, IS_PUNCT])
    ours = sentence_marks(array[:, 0], array[:, 1] == 1, _sentence_final(language))
    theirs = [token.is_sent_start for token in nlp.get_pipe("sentencizer")(doc)]
    assert ours.tolist() == theirs
    return theirs


@settings(max_examples=300, deadline=None)
@given(text=SENTENCE_TEXT, language=st.sampled_from(["fr", "en", "xx"]))
def test_sentence_marks_are_the_sentencizers(text: str, language: str):
    _sentencizer_marks(language, text)


def test_sentence_marks_are_the_sentencizers_on_the_corpus():
    import vna_ner

    texts = vna_ner.load("documents", split="all")["text"]
    opened = sum(sum(_sentencizer_marks("fr", text)) for text in texts)
    assert opened > len(texts)  # documents of several sentences


_PIECES = st.sampled_from(
    [
        "a",
        "é",
        "\\\\",
        "\\\\\\\\",
        "-",
        "]",
        "[",
        "^",
        "(",
        ")",
        "|",
        "*",
        "?",
        " ",
        "#",
        "\n",
        "\\s",
        "\\w",
        "x{2}",
    ]
) | st.builds(
    lambda escape, point: f"\\{escape}{point:0{4 if escape == 'u' else 8}x}",
    st.sampled_from(["u", "U"]),
    st.sampled_from([0x2D, 0x5D, 0x5C, 0x20, 0x23, 0x41, 0x61])
    | st.integers(0x80, 0xFFFF)
    | st.integers(0x10000, 0x10FFFF),
)
_PATTERNS = st.lists(
    _PIECES | st.lists(_PIECES, max_size=6).map(lambda p: "[" + "".join(p) + "]"), max_size=12
)


@settings(max_examples=500, deadline=None)
@given(parts=_PATTERNS, flags=st.sampled_from([0, re.IGNORECASE, re.VERBOSE, re.IGNORECASE | re.VERBOSE]))
def test_escapes_written_as_characters_compile_to_the_same_code_or_fail_alike(parts: list[str], flags: int):
    from vna_ner.dataset.charsets import literal_escapes

    pattern = "".join(parts)
    outcomes = []
    for text in (pattern, literal_escapes(pattern)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)  # "possible nested set": either way
                outcomes.append(_code(text, flags))
        except (re.error, OverflowError, RecursionError) as error:
            outcomes.append(type(error).__name__)
    assert outcomes[0] == outcomes[1], (pattern, literal_escapes(pattern))
