"""spaCy Docs over the dataset's own tokens, so that predicted entities fall on its token boundaries."""

from __future__ import annotations

from baseline_io import CharSpan, TokenizedDocument
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab


def to_doc(vocab: Vocab, document: TokenizedDocument, *, gold: bool = False) -> Doc:
    """A Doc of ``document``'s tokens, whitespace from the token offsets; with ``gold``, its gold entities."""
    doc = Doc(vocab, words=document.tokens, spaces=document.spaces)
    if gold:
        firsts = {start: i for i, (start, _) in enumerate(document.offsets)}
        lasts = {end: i + 1 for i, (_, end) in enumerate(document.offsets)}
        doc.ents = [Span(doc, firsts[s], lasts[e], label) for s, e, label in document.entities]
    return doc


def entity_spans(
    document: TokenizedDocument, doc: Doc, labels: dict[str, str] | None = None
) -> list[CharSpan]:
    """``doc``'s entities as character spans of ``document``; with ``labels``, mapped (others dropped)."""
    spans = []
    for ent in doc.ents:
        label = ent.label_ if labels is None else labels.get(ent.label_)
        if label is not None:
            spans.append((document.offsets[ent.start][0], document.offsets[ent.end - 1][1], label))
    return spans
