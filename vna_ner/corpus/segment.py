"""Cut VNA source pages into documents: the main article, then one document per teaser.

A page holds the main article, a ``Voir plus`` line, then teasers of three paragraphs each
(photo caption, headline, summary). A teaser found on several pages becomes one document
listing every provenance. Document ids are ``<page prefix>-main`` and ``<page prefix>-tNN``,
taken from the first page (in file-name order) that holds the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from vna_ner.documents import Document, Provenance

MORE_MARKER = "Voir plus"
TEASER_PARAGRAPHS = 3
_PARAGRAPH = re.compile(r"\S(?:.*?\S)?(?=\s*\n\s*\n|\s*\Z)", re.DOTALL)


class SegmentationError(ValueError):
    """A source page that does not have the expected main-article / teaser layout."""


def _paragraphs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of every blank-line-separated paragraph in ``text[start:end]``, stripped."""
    return [(start + m.start(), start + m.end()) for m in _PARAGRAPH.finditer(text[start:end])]


def segment_page(name: str, text: str) -> list[tuple[str, int, int]]:
    """Split one page into ``(kind, start, end)`` ranges: ``("main", …)`` then ``("teaser", …)``.

    >>> segment_page("p.txt", "Titre\\n\\nCorps.\\n\\nVoir plus\\n\\nLégende\\n\\nTitre 2\\n\\nRésumé.")
    [('main', 0, 13), ('teaser', 26, 51)]
    """
    if text.count(MORE_MARKER) != 1:
        raise SegmentationError(f"{name}: expected exactly one {MORE_MARKER!r} line")
    marker = text.index(MORE_MARKER)
    main = _paragraphs(text, 0, marker)
    if not main:
        raise SegmentationError(f"{name}: no main article before {MORE_MARKER!r}")
    teasers = _paragraphs(text, marker + len(MORE_MARKER), len(text))
    if len(teasers) % TEASER_PARAGRAPHS:
        raise SegmentationError(
            f"{name}: {len(teasers)} paragraphs after {MORE_MARKER!r}, "
            f"not a multiple of {TEASER_PARAGRAPHS} (caption, headline, summary)"
        )
    ranges = [("main", main[0][0], main[-1][1])]
    for i in range(0, len(teasers), TEASER_PARAGRAPHS):
        ranges.append(("teaser", teasers[i][0], teasers[i + TEASER_PARAGRAPHS - 1][1]))
    return ranges


def segment_pages(pages: Iterable[tuple[str, str]]) -> list[Document]:
    """Documents of all ``(file name, text)`` pages, duplicated teasers merged into one."""
    by_text: dict[str, Document] = {}
    for name, text in sorted(pages):
        prefix = name.split("_", 1)[0]
        teaser_number = 0
        for kind, start, end in segment_page(name, text):
            body = text[start:end]
            if kind == "teaser":
                teaser_number += 1
            doc_id = f"{prefix}-main" if kind == "main" else f"{prefix}-t{teaser_number:02d}"
            document = by_text.setdefault(body, Document(id=doc_id, text=body))
            document.provenance.append(Provenance(source=name, offset=start))
    return list(by_text.values())


def segment_directory(directory: Path) -> list[Document]:
    """Documents of every ``*.txt`` page in ``directory``."""
    return segment_pages(
        (path.name, path.read_text(encoding="utf-8")) for path in sorted(directory.glob("*.txt"))
    )
