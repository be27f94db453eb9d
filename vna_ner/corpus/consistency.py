"""Mechanical consistency checks of a gold corpus.

Three kinds of findings:

- ``label``: the same surface string annotated with different labels in different places;
- ``missed``: a string annotated somewhere that occurs elsewhere, as a whole word, not covered by any span;
- ``relation``: a relation whose argument types the schema does not allow, or an ``ALIAS_OF`` between
  identical strings (a repeat is not an alias);
- ``exception``: an accepted-finding entry that no longer matches anything (stale, to remove).

A finding may be accepted by an entry in an exceptions file (JSON list of objects with ``kind``,
``text``, optional ``document`` and ``start``, and a ``reason`` that cites the guidelines); the rest
are reported.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from vna_ner.documents import Document
from vna_ner.errors import InputError, Problem
from vna_ner.labelstudio.schema import Schema


@dataclass(frozen=True, order=True)
class Finding:
    """One inconsistency: its kind, the surface text, where it is and what is wrong."""

    kind: str
    text: str
    document: str
    start: int
    message: str

    def __str__(self) -> str:
        return f"[{self.kind}] {self.document}@{self.start} {self.text!r}: {self.message}"


@dataclass(frozen=True)
class Exception_:
    """An accepted finding: matches on kind, text and, if given, document and start offset."""

    kind: str
    text: str
    reason: str
    document: str | None = None
    start: int | None = None

    def accepts(self, finding: Finding) -> bool:
        return (
            finding.kind == self.kind
            and finding.text == self.text
            and self.document in (None, finding.document)
            and self.start in (None, finding.start)
        )


def read_exceptions(path: Path) -> list[Exception_]:
    """Accepted findings from a JSON file; every entry needs a kind, a text and a reason."""
    try:
        entries = json.loads(Path(path).read_text("utf-8"))
    except json.JSONDecodeError as error:
        raise InputError([Problem(str(path), f"not valid JSON: {error}")]) from error
    problems = [
        Problem(str(path), f"entry {number} needs 'kind', 'text' and a non-empty 'reason': {entry!r:.80}")
        for number, entry in enumerate(entries if isinstance(entries, list) else [entries], start=1)
        if not isinstance(entry, dict) or not all(entry.get(key) for key in ("kind", "text", "reason"))
    ]
    if problems or not isinstance(entries, list):
        raise InputError(problems or [Problem(str(path), "expected a JSON list of exceptions")])
    return [
        Exception_(entry["kind"], entry["text"], entry["reason"], entry.get("document"), entry.get("start"))
        for entry in entries
    ]


def _label_findings(documents: Sequence[Document]) -> Iterable[Finding]:
    labels: dict[str, dict[str, list[tuple[str, int]]]] = defaultdict(lambda: defaultdict(list))
    for document in documents:
        for span in document.entities:
            labels[span.text][span.label].append((document.id, span.start))
    for text, by_label in sorted(labels.items()):
        if len(by_label) < 2:
            continue
        summary = ", ".join(f"{label} x{len(places)}" for label, places in sorted(by_label.items()))
        for label, places in sorted(by_label.items()):
            for doc_id, start in places:
                yield Finding("label", text, doc_id, start, f"labelled {label} here; overall {summary}")


def _missed_findings(documents: Sequence[Document]) -> Iterable[Finding]:
    annotated: dict[str, set[str]] = defaultdict(set)
    for document in documents:
        for span in document.entities:
            annotated[span.text].add(span.label)
    for text in sorted(annotated):
        pattern = re.compile(rf"(?<!\w){re.escape(text)}(?!\w)")
        labels = "/".join(sorted(annotated[text]))
        for document in documents:
            covered = [(span.start, span.end) for span in document.entities]
            for match in pattern.finditer(document.text):
                if not any(start < match.end() and match.start() < end for start, end in covered):
                    yield Finding(
                        "missed", text, document.id, match.start(), f"annotated {labels} elsewhere, not here"
                    )


def _relation_findings(documents: Sequence[Document], schema: Schema) -> Iterable[Finding]:
    for document in documents:
        spans = document.span_by_id()
        for relation in document.relations:
            head, tail = spans[relation.head], spans[relation.tail]
            violation = schema.relation_violation(relation.label, head.label, tail.label)
            if violation:
                yield Finding(
                    "relation", head.text, document.id, head.start, f"{relation.label}: {violation}"
                )
            if relation.label == "ALIAS_OF" and head.text == tail.text:
                yield Finding(
                    "relation", head.text, document.id, head.start, "ALIAS_OF between identical strings"
                )


def check_consistency(
    documents: Sequence[Document], schema: Schema, exceptions: Sequence[Exception_] = ()
) -> tuple[list[Finding], list[Finding]]:
    """All findings, split into (reported, accepted by an exception)."""
    findings = sorted(
        {
            *_label_findings(documents),
            *_missed_findings(documents),
            *_relation_findings(documents, schema),
        }
    )
    accepted = [f for f in findings if any(e.accepts(f) for e in exceptions)]
    reported = [f for f in findings if f not in accepted]
    reported += [
        Finding(
            "exception",
            e.text,
            e.document or "*",
            e.start or 0,
            "this exception accepts no finding: remove it",
        )
        for e in exceptions
        if not any(e.accepts(f) for f in findings)
    ]
    return reported, accepted
