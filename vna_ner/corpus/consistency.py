"""Mechanical consistency checks of a gold corpus: every guideline decision a program can verify.

Kinds of findings:

- ``label``: the same surface string annotated with different labels in different places;
- ``missed``: a string annotated somewhere that occurs elsewhere, as a whole word, not covered by any span;
- ``span``: an EVENT span that is an anniversary (GUIDELINES §3.18), or that starts after its ordinal or
  reaches into a place, a date or a coordination (§3.19);
- ``relation``: a relation whose argument types the schema does not allow; an ``ALIAS_OF`` between identical
  strings (a repeat is not an alias) or between titles, or one that skips the nearest earlier full form
  (the first later one if there is none; §3.16, §3.20); a spelling variant with no ``ALIAS_OF`` (§3.16); a
  relation other than ``HAS_TITLE``/``ALIAS_OF`` across sentences (§3.21); a ``VISITS`` whose sentence holds
  no travel or visit word (§3.17); a ``WORKS_FOR`` that goes on through a unit to its party (§3.15);
- ``exception``: an accepted-finding entry that no longer matches anything (stale, to remove).

Sentence boundaries come from the caller (``sentence_starts``), so the checker sees the dataset's sentences
without depending on the tokenizer; without them the sentence rules are skipped.

A finding may be accepted by an entry in an exceptions file (JSON list of objects with ``kind``,
``text``, optional ``document`` and ``start``, and a ``reason`` that cites the guidelines); the rest
are reported.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from vna_ner.documents import Document, Span
from vna_ner.errors import InputError, Problem, one_line
from vna_ner.json_files import read_json
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
        return one_line(f"[{self.kind}] {self.document}@{self.start} {self.text!r}: {self.message}")


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
    entries = read_json(path)
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


_ORDINAL_BEFORE = re.compile(r"(?<!\w)(\d+(e|ᵉ|er|ère|ème)|[IVXLC]+(ᵉ|er|ème))\s+$")
_MONTHS = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
_EVENT_OVERREACH = (
    (re.compile(r"\s(à|au|aux)\s+[A-ZÀ-Ý]\w*$"), "reaches into a place (§3.19: it stops before `à …`)"),
    (re.compile(rf"(?<!\w)\d{{1,2}}(er)?\s+({_MONTHS})(?!\w)", re.IGNORECASE), "holds a date (§3.19)"),
    (re.compile(r"\set\s+(des|les|du|de la|la|le)\s"), "reaches over a coordination (§3.19)"),
)


def _event_findings(documents: Sequence[Document]) -> Iterable[Finding]:
    for document in documents:
        for span in document.entities:
            if span.label != "EVENT":
                continue
            if "anniversaire" in span.text.casefold():
                yield Finding("span", span.text, document.id, span.start, "an anniversary is not an EVENT")
            if _ORDINAL_BEFORE.search(document.text[max(0, span.start - 12) : span.start]):
                yield Finding(
                    "span",
                    span.text,
                    document.id,
                    span.start,
                    "starts after its ordinal (§3.19: it starts at it)",
                )
            for pattern, message in _EVENT_OVERREACH:
                if pattern.search(span.text):
                    yield Finding("span", span.text, document.id, span.start, f"EVENT {message}")


_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―"), "-") | dict.fromkeys(map(ord, "’ʼ‘`"), "'")


def variant_form(text: str) -> str:
    """``text`` without case, accents, whitespace and dash or apostrophe style: equal forms are variants.

    >>> variant_form("76e sessionde l’ONU") == variant_form("76e session de l'ONU")
    True
    """
    decomposed = unicodedata.normalize("NFD", text.casefold().translate(_DASHES))
    return "".join(c for c in decomposed if not unicodedata.combining(c) and not c.isspace())


def _alias_findings(documents: Sequence[Document]) -> Iterable[Finding]:
    for document in documents:
        spans = document.span_by_id()
        aliased = {relation.head for relation in document.relations if relation.label == "ALIAS_OF"}
        for relation in document.relations:
            if relation.label != "ALIAS_OF":
                continue
            head, tail = spans[relation.head], spans[relation.tail]
            if head.label == "TITLE":
                yield Finding("relation", head.text, document.id, head.start, "ALIAS_OF between titles")
            forms = sorted(s.start for s in document.entities if (s.text, s.label) == (tail.text, tail.label))
            earlier = [start for start in forms if start < head.start]
            expected = earlier[-1] if earlier else forms[0]
            if tail.start != expected:
                yield Finding(
                    "relation",
                    head.text,
                    document.id,
                    head.start,
                    f"ALIAS_OF goes to {tail.text!r}@{tail.start}, not to its nearest earlier "
                    f"(or first later) mention @{expected}",
                )
        first: dict[tuple[str, str], Span] = {}
        for span in sorted(document.entities):
            if span.label == "TITLE":
                continue
            key = (variant_form(span.text), span.label)
            if key in first and first[key].text != span.text and span.id not in aliased:
                yield Finding(
                    "relation",
                    span.text,
                    document.id,
                    span.start,
                    f"spelling variant of {first[key].text!r}@{first[key].start} without ALIAS_OF",
                )
            first.setdefault(key, span)


_TRAVEL = re.compile(
    r"(?<!\w)(visit\w*|se rend\w*|s[’']est rendu\w*|venu\w*|attendu\w*|séjour\w*|destinations?|voyage\w*"
    r"|arriv\w*)",
    re.IGNORECASE,
)
SAME_SENTENCE = ("WORKS_FOR", "PART_OF", "LOCATED_IN", "MEETS", "VISITS")


def _sentence_findings(
    documents: Sequence[Document], sentence_starts: Callable[[str], Sequence[int]]
) -> Iterable[Finding]:
    for document in documents:
        starts = list(sentence_starts(document.text))
        bounds = [*starts, len(document.text)]
        spans = document.span_by_id()
        for relation in document.relations:
            head, tail = spans[relation.head], spans[relation.tail]
            sentence = bisect.bisect_right(starts, head.start)
            if relation.label in SAME_SENTENCE and sentence != bisect.bisect_right(starts, tail.start):
                yield Finding(
                    "relation",
                    head.text,
                    document.id,
                    head.start,
                    f"{relation.label} to {tail.text!r}@{tail.start} in another sentence",
                )
            elif relation.label == "VISITS":
                text = document.text[bounds[sentence - 1] if sentence else 0 : bounds[sentence]]
                if not _TRAVEL.search(text):
                    yield Finding(
                        "relation",
                        head.text,
                        document.id,
                        head.start,
                        f"VISITS {tail.text!r}: the sentence holds no travel or visit word",
                    )


def _works_for_findings(documents: Sequence[Document]) -> Iterable[Finding]:
    for document in documents:
        spans = document.span_by_id()
        parents = {(r.head, r.tail) for r in document.relations if r.label == "PART_OF"}
        employers = defaultdict(set)
        for relation in document.relations:
            if relation.label == "WORKS_FOR":
                employers[relation.head].add(relation.tail)
        for person, organisations in sorted(employers.items()):
            for unit, party in sorted(parents):
                if unit in organisations and party in organisations:
                    head = spans[person]
                    yield Finding(
                        "relation",
                        head.text,
                        document.id,
                        head.start,
                        f"WORKS_FOR both {spans[unit].text!r} and the organisation it is PART_OF, "
                        f"{spans[party].text!r}",
                    )


def check_consistency(
    documents: Sequence[Document],
    schema: Schema,
    exceptions: Sequence[Exception_] = (),
    sentence_starts: Callable[[str], Sequence[int]] | None = None,
) -> tuple[list[Finding], list[Finding]]:
    """All findings, split into (reported, accepted by an exception).

    ``sentence_starts`` gives the character offsets where the sentences of a text start.
    """
    findings = sorted(
        {
            *_label_findings(documents),
            *_missed_findings(documents),
            *_relation_findings(documents, schema),
            *_event_findings(documents),
            *_alias_findings(documents),
            *_works_for_findings(documents),
            *(_sentence_findings(documents, sentence_starts) if sentence_starts else ()),
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
