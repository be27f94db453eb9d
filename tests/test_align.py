"""Tokenization aligned to gold boundaries, and span <-> IOB2 conversion."""

from __future__ import annotations

import pytest

from vna_ner.dataset.align import MisalignmentError, iob2_to_spans, spans_to_iob2, split_at, tokenize


def words(text: str, spans=()) -> list[str]:
    offsets, _ = tokenize(text, spans)
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
    assert iob2_to_spans(offsets, tags) == spans


def test_adjacent_entities_of_one_label_stay_two_entities():
    offsets = [(0, 4), (4, 8)]
    assert iob2_to_spans(offsets, spans_to_iob2(offsets, [(0, 4, "LOC"), (4, 8, "LOC")])) == [
        (0, 4, "LOC"),
        (4, 8, "LOC"),
    ]


def test_a_span_off_the_token_boundaries_is_reported_not_dropped():
    with pytest.raises(MisalignmentError, match=r"span \[1, 8\) PER"):
        spans_to_iob2([(0, 2), (3, 8)], [(1, 8, "PER")])


def test_an_i_tag_after_o_starts_an_entity():
    assert iob2_to_spans([(0, 1), (2, 3), (4, 5)], ["O", "I-ORG", "I-ORG"]) == [(2, 5, "ORG")]
