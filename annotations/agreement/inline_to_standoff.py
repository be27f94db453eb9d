"""Convert the second pass, annotated inline as ``⟦surface|LABEL|N⟧``, to the standoff files beside it.

The second annotator worked in another format than the first (the full text with inline markup, then a
``=====RELATIONS=====`` line and ``LABEL HEAD TAIL`` lines), so that the two passes share nothing but the
guidelines. This script checks that removing the markup gives back each document's exact text and writes
``second_pass/<document>.ann`` with pinned offsets (``@N``), which ``make_gold.py`` imports.

Usage: python annotations/agreement/inline_to_standoff.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from vna_ner.corpus.segment import segment_directory

HERE = Path(__file__).resolve().parent
MARK = re.compile(r"⟦(.*?)\|([A-Z]+)\|(\d+)⟧", re.S)
SEPARATOR = "\n=====RELATIONS=====\n"


def to_standoff(marked: str, text: str, doc_id: str) -> str:
    """Standoff lines of one inline-marked document; raises if the markup does not sit on ``text``."""
    body, _, relations = marked.partition(SEPARATOR)
    plain, lines, position, last = [], [], 0, 0
    for match in MARK.finditer(body):
        plain.append(body[last : match.start()])
        position += match.start() - last
        surface, label, number = match.groups()
        lines.append(f"T{number}\t{label}\t{surface}\t@{position}")
        plain.append(surface)
        position += len(surface)
        last = match.end()
    plain.append(body[last:])
    if "".join(plain) != text:
        raise ValueError(f"{doc_id}: the text without markup differs from the document")
    lines += [
        f"R\t{label}\tT{head}\tT{tail}"
        for label, head, tail in (r.split() for r in relations.splitlines() if r.strip())
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    texts = {d.id: d.text for d in segment_directory(HERE.parent / "source")}
    for path in sorted((HERE / "second_pass_inline").glob("*.md")):
        standoff = to_standoff(path.read_text("utf-8"), texts[path.stem], path.stem)
        (HERE / "second_pass" / f"{path.stem}.ann").write_text(standoff, "utf-8")
    print(f"wrote {len(list((HERE / 'second_pass_inline').glob('*.md')))} standoff files", file=sys.stderr)


if __name__ == "__main__":
    main()
