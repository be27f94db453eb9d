"""What changed between two releases of the gold: per document, entities and relations.

Entities are compared by their character spans: the same span and label is unchanged; the same span with
another label is *relabelled*; a new span that overlaps an old one with the same label is *re-bounded*
(each old span pairs with at most one new span, in text order, so two names merged into one give one
re-bounded entity and one removed); everything else is *added* or *removed*. Relations are compared by
their argument spans (offsets), never by region ids or argument labels: an old relation whose arguments were
re-bounded is followed to the new spans; the same arguments with another label are *relabelled*, the same
label with moved arguments *re-bounded*.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tabulate import tabulate

from vna_ner.documents import Document
from vna_ner.errors import InputError, Problem
from vna_ner.json_files import read_json

KINDS = ("entity", "relation")
CHANGES = ("added", "removed", "relabelled", "re-bounded")

EntityKey = tuple[int, int, str]
Bounds = tuple[int, int]
RelationKey = tuple[Bounds, Bounds, str]


@dataclass(frozen=True, order=True)
class Change:
    """One change of one document: ``old`` and ``new`` describe the item before and after (or ``None``)."""

    document: str
    kind: str
    change: str
    old: str | None
    new: str | None

    def describe(self) -> str:
        """One line: ``old ⇒ new``, or the one side that exists."""
        if self.old and self.new:
            return f"{self.old} ⇒ {self.new}"
        return self.old or self.new or ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "document": self.document,
            "kind": self.kind,
            "change": self.change,
            "old": self.old,
            "new": self.new,
        }


def _entity(key: EntityKey, text: str) -> str:
    start, end, label = key
    return f'{label} "{text[start:end]}" [{start}, {end})'


def _relation(key: RelationKey, text: str) -> str:
    (head_start, head_end), (tail_start, tail_end), label = key
    return f'{label} "{text[head_start:head_end]}"@{head_start} → "{text[tail_start:tail_end]}"@{tail_start}'


def _pair_entities(
    old: set[EntityKey], new: set[EntityKey]
) -> tuple[dict[EntityKey, EntityKey], dict[EntityKey, EntityKey]]:
    """(relabelled, re-bounded): old span -> new span, for spans not kept unchanged."""
    gone, came = sorted(old - new), sorted(new - old)
    by_bounds = {(start, end): (start, end, label) for start, end, label in came}
    relabelled = {o: by_bounds[o[:2]] for o in gone if o[:2] in by_bounds}
    taken = set(relabelled.values())
    rebounded: dict[EntityKey, EntityKey] = {}
    for o in gone:
        if o in relabelled:
            continue
        match = next(
            (n for n in came if n not in taken and n[2] == o[2] and n[0] < o[1] and o[0] < n[1]), None
        )
        if match is not None:
            rebounded[o] = match
            taken.add(match)
    return relabelled, rebounded


def _relation_keys(document: Document) -> Counter[RelationKey]:
    spans = document.span_by_id()
    return Counter(
        (
            (spans[r.head].start, spans[r.head].end),
            (spans[r.tail].start, spans[r.tail].end),
            r.label,
        )
        for r in document.relations
    )


def diff_document(old: Document, new: Document) -> list[Change]:
    """Every entity and relation change from ``old`` to ``new``, two versions of one document."""
    doc, text = new.id, new.text
    old_entities = {(s.start, s.end, s.label) for s in old.entities}
    new_entities = {(s.start, s.end, s.label) for s in new.entities}
    relabelled, rebounded = _pair_entities(old_entities, new_entities)
    paired = {**relabelled, **rebounded}
    moved_to = {o[:2]: n[:2] for o, n in rebounded.items()}
    changes = [
        Change(doc, "entity", "relabelled", _entity(o, text), _entity(n, text)) for o, n in relabelled.items()
    ]
    changes += [
        Change(doc, "entity", "re-bounded", _entity(o, old.text), _entity(n, text))
        for o, n in rebounded.items()
    ]
    changes += [
        Change(doc, "entity", "removed", _entity(o, old.text), None)
        for o in old_entities - new_entities - set(paired)
    ]
    changes += [
        Change(doc, "entity", "added", None, _entity(n, text))
        for n in new_entities - old_entities - set(paired.values())
    ]

    new_relations = _relation_keys(new)
    unmatched_old: list[RelationKey] = []
    for key, count in sorted(_relation_keys(old).items()):
        kept = min(count, new_relations[key])
        new_relations[key] -= kept
        unmatched_old += [key] * (count - kept)
    remaining_new = list(new_relations.elements())
    for key in unmatched_old:
        head, tail, label = key
        moved = (moved_to.get(head, head), moved_to.get(tail, tail))
        same_label = (*moved, label)
        other_label = next((n for n in remaining_new if n[:2] == moved and n[2] != label), None)
        if moved != (head, tail) and same_label in remaining_new:
            remaining_new.remove(same_label)
            changes.append(
                Change(doc, "relation", "re-bounded", _relation(key, old.text), _relation(same_label, text))
            )
        elif other_label is not None:
            remaining_new.remove(other_label)
            changes.append(
                Change(doc, "relation", "relabelled", _relation(key, old.text), _relation(other_label, text))
            )
        else:
            changes.append(Change(doc, "relation", "removed", _relation(key, old.text), None))
    changes += [Change(doc, "relation", "added", None, _relation(key, text)) for key in remaining_new]
    return sorted(changes, key=lambda c: (KINDS.index(c.kind), CHANGES.index(c.change), c.old or c.new or ""))


def diff_releases(old: Sequence[Document], new: Sequence[Document]) -> list[Change]:
    """Changes of every document, in document-id order; a document present on one side only is all added or
    all removed. Raises :class:`InputError` if a document's text differs between the two (not comparable)."""
    before = {d.id: d for d in old}
    after = {d.id: d for d in new}
    problems = [
        Problem(f"document {doc_id}", "its text differs between the two releases; spans cannot be compared")
        for doc_id in sorted(before.keys() & after.keys())
        if before[doc_id].text != after[doc_id].text
    ]
    if problems:
        raise InputError(problems)
    changes: list[Change] = []
    for doc_id in sorted(before.keys() | after.keys()):
        empty = Document(doc_id, (after.get(doc_id) or before[doc_id]).text)
        changes += diff_document(before.get(doc_id, empty), after.get(doc_id, empty))
    return changes


def summary(changes: Iterable[Change]) -> list[dict[str, Any]]:
    """One row per changed document, then a total row: counts per kind and change."""
    columns = [f"{kind} {change}" for kind in KINDS for change in CHANGES]
    counts: dict[str, Counter[str]] = {}
    for change in changes:
        counts.setdefault(change.document, Counter())[f"{change.kind} {change.change}"] += 1
    rows = [{"document": doc_id, **{c: counts[doc_id][c] for c in columns}} for doc_id in sorted(counts)]
    rows.append({"document": "total", **{c: sum(row[c] for row in rows) for c in columns}})
    return rows


def format_diff(changes: Sequence[Change]) -> str:
    """The summary table, then every change, one line each, grouped by document."""
    rows = summary(changes)
    table = tabulate([list(row.values()) for row in rows], headers=list(rows[0]), tablefmt="simple")
    lines = [table, ""]
    document = None
    for change in changes:
        if change.document != document:
            document = change.document
            lines.append(document)
        lines.append(f"  {change.kind} {change.change}: {change.describe()}")
    return "\n".join(lines)


def diff_json(changes: Sequence[Change]) -> dict[str, Any]:
    """The diff as JSON-ready data: the summary rows and the list of changes."""
    return {"summary": summary(changes), "changes": [c.to_dict() for c in changes]}


def errata_markdown(changes: Sequence[Change], reasons: Mapping[tuple[str, str, str, str], str]) -> str:
    """A Markdown list of every change with its reason, keyed by (document, kind, change, description).

    Raises :class:`InputError` naming every change without a reason and every reason without a change, so
    the errata cannot drift from the data.
    """
    keys = {(c.document, c.kind, c.change, c.describe()): c for c in changes}
    problems = [
        Problem(f"document {key[0]}", f"no reason given for the {key[1]} {key[2]}: {key[3]}")
        for key in keys
        if key not in reasons
    ]
    problems += [
        Problem(
            f"document {key[0]}",
            f"reason given for a change that is not in the diff: {key[1]} {key[2]}: {key[3]}",
        )
        for key in reasons
        if key not in keys
    ]
    if problems:
        raise InputError(problems)
    lines = []
    for key in keys:
        document, kind, change, description = key
        lines.append(f"- `{document}` {kind} {change}: {description} — {reasons[key]}")
    return "\n".join(lines)


def read_reasons(path: Path) -> dict[tuple[str, str, str, str], str]:
    """Reasons for the changes of a release: a JSON list of objects with ``document``, ``kind``, ``change``,
    ``description`` (as :meth:`Change.describe` gives it) and a non-empty ``reason``."""
    entries = read_json(path)
    fields = ("document", "kind", "change", "description", "reason")
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and all(isinstance(e.get(f), str) and e[f] for f in fields) for e in entries
    ):
        raise InputError([Problem(str(path), f"expected a JSON list of objects with {', '.join(fields)}")])
    return {(e["document"], e["kind"], e["change"], e["description"]): e["reason"] for e in entries}
