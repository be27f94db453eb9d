"""Read the hand-written standoff files the gold was authored in.

One ``<document id>.ann`` file per document, one tab-separated line per item::

    T1  PER    Ngô Thi Thanh Hang
    T2  TITLE  secrétaire adjointe permanente
    R   HAS_TITLE  T1  T2

Entities are listed in text order and each surface string is found by searching forward
from the end of the previous entity, so annotators write text, never offsets; an optional
fourth column ``@N`` pins an entity to start at character ``N``. Lines starting with ``#``
are comments.
"""

from __future__ import annotations

from pathlib import Path

from vna_ner.documents import Relation, Span


class StandoffError(ValueError):
    """A standoff line that cannot be resolved against its document's text."""


def parse_standoff(doc_id: str, text: str, source: str) -> tuple[list[Span], list[Relation]]:
    """Resolve a standoff file's ``source`` against ``text`` into spans and relations.

    >>> spans, _ = parse_standoff("d", "M. Giang et M. Giang", "T1\\tPER\\tGiang\\nT2\\tPER\\tGiang")
    >>> [(span.start, span.end, span.id) for span in spans]
    [(3, 8, 'T1'), (15, 20, 'T2')]
    """
    spans: list[Span] = []
    relations: list[Relation] = []
    cursor = 0
    for number, line in enumerate(source.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        where = f"{doc_id}.ann line {number}"
        fields = line.rstrip("\n").split("\t")
        if fields[0] == "R":
            if len(fields) != 4:
                raise StandoffError(f"{where}: a relation line is 'R<TAB>LABEL<TAB>HEAD<TAB>TAIL'")
            relations.append(Relation(head=fields[2], tail=fields[3], label=fields[1]))
            continue
        if len(fields) not in (3, 4) or not fields[0].startswith("T"):
            raise StandoffError(f"{where}: an entity line is 'Tn<TAB>LABEL<TAB>surface[<TAB>@offset]'")
        region, label, surface = fields[:3]
        if len(fields) == 4:
            if not fields[3].startswith("@") or not fields[3][1:].isdigit():
                raise StandoffError(f"{where}: the offset column must look like @123")
            start = int(fields[3][1:])
            if text[start : start + len(surface)] != surface:
                raise StandoffError(f"{where}: {surface!r} is not at offset {start}")
        else:
            start = text.find(surface, cursor)
            if start < 0:
                raise StandoffError(
                    f"{where}: {surface!r} not found after offset {cursor} "
                    "(entities must be listed in text order)"
                )
        cursor = start + len(surface)
        spans.append(Span(start=start, end=cursor, label=label, text=surface, id=region))
    return spans, relations


def read_standoff(doc_id: str, text: str, path: Path) -> tuple[list[Span], list[Relation]]:
    """Spans and relations of the standoff file at ``path`` for the document ``doc_id``."""
    return parse_standoff(doc_id, text, path.read_text(encoding="utf-8"))
