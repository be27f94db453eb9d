"""Label Studio exports in: every task validated against the project's schema, every region accounted for.

Reading streams the export (:mod:`~vna_ner.labelstudio.formats`: JSON, JSON-MIN or JSONL), so memory does
not grow with the number of tasks. Every result of an annotation is a converted entity region, a converted
relation, a result of a control the dataset does not hold (ignored, and counted), or a problem. Problems are
collected, never raised one by one: :class:`~vna_ner.errors.InputError` lists all of them at the end, with
the task, the region and what is wrong. Problems that concern the whole export (labels or control names
that are not the config's) are said once, with how many regions they touch.

Predictions are read when the export holds them as objects; Label Studio's own JSON export lists them by id
only. Drafts (unsubmitted work) are not annotations and are ignored. Each task's gold annotation is chosen
by :func:`choose_gold`; a task without one is left out of the dataset (see :func:`iter_documents`).
"""

from __future__ import annotations

import bisect
import re
import warnings
from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np

from vna_ner.documents import Document, Provenance, Relation, Span
from vna_ner.errors import InputError, Problem
from vna_ner.labelstudio.account import Account
from vna_ner.labelstudio.formats import iter_raw_tasks
from vna_ner.labelstudio.schema import UNLABELLED, Schema
from vna_ner.spans import offsets_problem, overlaps, shown

OffsetPolicy = Literal["convert", "refuse", "assume-code-points", "assume-utf16"]
Unannotated = Literal["leave-out", "error"]
FIX_CONFIG = (
    "if the export was made with another labeling config, pass that config with --config "
    "(`vna-ner config EXPORT --output labeling_config.xml` writes one from the labels the export uses)"
)
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_EARLIEST = datetime.min.replace(tzinfo=UTC)


class Utf16OffsetWarning(UserWarning):
    """Region offsets counted in UTF-16 code units were converted to code points."""


@dataclass
class Annotation:
    """One annotator's (or one model's) regions and relations on a task, and what its results became."""

    id: int | str | None
    entities: list[Span]
    relations: list[Relation]
    ground_truth: bool = False
    cancelled: bool = False
    updated_at: str = ""
    results: int = 0
    ignored: Counter[str] = field(default_factory=Counter)
    utf16_converted: int = 0


@dataclass
class Task:
    """A task of an export: the document it holds and every annotation and prediction on it."""

    document: Document
    annotations: list[Annotation] = field(default_factory=list)
    predictions: list[Annotation] = field(default_factory=list)
    drafts: int = 0
    predictions_by_id: int = 0


def timestamp(text: str) -> datetime | None:
    """An ISO 8601 timestamp as Label Studio writes it (``Z``, fractions, offsets); naive ones are UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _gold_key(annotation: Annotation) -> tuple[bool, datetime, tuple[int, Any]]:
    moment = timestamp(annotation.updated_at) or _EARLIEST
    number = annotation.id
    ordered_id = (1, number) if isinstance(number, str) else (0, number or 0)  # ints before strings
    return annotation.ground_truth, moment, ordered_id


def choose_gold(annotations: list[Annotation]) -> Annotation | None:
    """The gold annotation: not cancelled; ground truth first; then the latest ``updated_at``; then the id."""
    candidates = [a for a in annotations if not a.cancelled]
    return max(candidates, key=_gold_key) if candidates else None


def gold_rule(annotations: list[Annotation]) -> str | None:
    """The rule by which :func:`choose_gold` decided among several annotations, or None if there was one."""
    ranked = sorted((_gold_key(a) for a in annotations if not a.cancelled), reverse=True)
    if len(ranked) < 2:
        return None
    first, second = ranked[:2]
    if first[0] != second[0]:
        return "ground truth"
    return "latest updated_at" if first[1] != second[1] else "highest annotation id"


class Utf16Offsets:
    """Converts UTF-16 code-unit offsets (a browser's count) of a text to code points.

    >>> units = Utf16Offsets("📝a")
    >>> [units.code_point(u) for u in range(4)]
    [0, None, 1, 2]
    """

    def __init__(self, text: str):
        astral = [found.start() for found in _ASTRAL.finditer(text)]
        self.first_astral = astral[0] if astral else len(text)
        self.units = [point + number for number, point in enumerate(astral)]  # where each one starts
        self.length = len(text)

    def code_point(self, unit: int) -> int | None:
        """The code-point offset of code unit ``unit``; None inside a surrogate pair or past the end."""
        before = bisect.bisect_left(self.units, unit)
        if before and self.units[before - 1] + 1 == unit:
            return None
        point = unit - before
        return point if point <= self.length else None


def _is_id(value: Any) -> bool:
    return type(value) in (int, str)


def _task_where(task: dict[str, Any], doc_id: str | None) -> str:
    doc = f" (document {doc_id})" if doc_id else ""
    return f"task {task.get('id', '?')}{doc}"


@dataclass
class _Once:
    """A problem concerning the whole export, said once at its first place with how often it occurs."""

    position: int
    where: str
    region: str | None
    regions: int = 0
    tasks: set[int] = field(default_factory=set)
    values: Counter[str] = field(default_factory=Counter)


class _TaskReader:
    """Turns one raw task dict into a :class:`Task`, collecting problems instead of stopping."""

    def __init__(
        self, schema: Schema, offsets: OffsetPolicy, unannotated: Unannotated, split_field: str | None = None
    ):
        self.schema = schema
        self.offsets = offsets
        self.unannotated = unannotated
        self.split_field = split_field
        self.problems: list[tuple[int, Problem]] = []
        self.once: dict[tuple[str, ...], _Once] = {}
        self.entity_labels: Counter[str] = Counter()
        self.relation_labels: Counter[str] = Counter()
        self.position = 0
        self._units: tuple[str, Utf16Offsets] | None = None

    @property
    def failed(self) -> bool:
        return bool(self.problems or self.once)

    def _found(self) -> tuple[int, int]:
        """A mark that changes whenever a problem is found."""
        return len(self.problems), sum(once.regions for once in self.once.values())

    def problem(self, where: str, message: str, region: str | None = None) -> None:
        self.problems.append((self.position, Problem(where, message, region)))

    def said_once(self, key: tuple[str, ...], where: str, region: str | None, value: str = "") -> None:
        once = self.once.setdefault(key, _Once(self.position, where, region))
        once.regions += 1
        once.tasks.add(self.position)
        once.values[value] += 1

    def read(self, raw: Any, number: int, unreadable: str | None = None) -> Task | None:
        self.position = number
        if not isinstance(raw, dict) or not isinstance(raw.get("data"), dict):
            self.problem(f"task #{number} of the export", "must be an object with a 'data' object")
            return None
        if "id" in raw and type(raw["id"]) not in (int, float, str):
            self.problem(
                f"task #{number} of the export", f"'id' must be a number or a string, not {shown(raw['id'])}"
            )
            return None
        data = raw["data"]
        if "doc_id" in data and not _is_id(data["doc_id"]):
            self.problem(
                _task_where(raw, None),
                f"data.doc_id must be a string or an integer, not {shown(data['doc_id'])}",
            )
            return None
        doc_id = _doc_id(raw)
        where = _task_where(raw, doc_id)
        if unreadable:  # a problem found while reading the file (see formats.iter_raw_tasks)
            self.problem(where, unreadable)
            return None
        key = self.schema.text_key
        if key not in data:
            self.said_once(("text",), where, None, ", ".join(sorted(map(str, data))[:8]) or "no key")
            return None
        text = data[key]
        if not isinstance(text, str) or not text.strip():
            self.problem(where, f"data.{key} must be a non-blank string, got {shown(text)}")
            return None
        provenance = self._provenance(data.get("provenance", []), where)
        if provenance is None:
            return None
        document = Document(id=doc_id, text=text, provenance=provenance, task_id=raw.get("id"))
        document.split = data.get(self.split_field) if self.split_field else None
        task = Task(document=document)
        found_before = self._found()
        for kind, target in (("annotations", task.annotations), ("predictions", task.predictions)):
            records = raw.get(kind)
            if records is None:
                continue
            if not isinstance(records, list):
                self.problem(where, f"'{kind}' must be a list, got {shown(records)}")
                continue
            for record in records:
                if kind == "predictions" and type(record) is int:
                    task.predictions_by_id += 1  # Label Studio's JSON export lists predictions by id only
                    continue
                if not isinstance(record, dict):
                    self.problem(where, f"every item of '{kind}' must be an object, got {shown(record)}")
                    continue
                record_id = record.get("id")
                shown_id = (
                    "" if record_id is None else f" {record_id if _is_id(record_id) else shown(record_id)}"
                )
                name = f"{where} {kind[:-1]}{shown_id}"
                annotation = self._annotation(record, text, name)
                if annotation is not None:
                    target.append(annotation)
        drafts = raw.get("drafts")
        task.drafts = len(drafts) if isinstance(drafts, list) else 0
        unread = self._found() != found_before  # an annotation with problems is no gold, and said so
        if self.unannotated == "error" and choose_gold(task.annotations) is None and not unread:
            self.problem(
                where,
                f"no submitted annotation ({unannotated_reason(task)}); "
                "annotate it, or leave such tasks out with --unannotated leave-out",
            )
        return task

    def _provenance(self, items: Any, where: str) -> list[Provenance] | None:
        valid = isinstance(items, list) and all(
            isinstance(p, dict)
            and isinstance(p.get("source"), str)
            and type(p.get("offset")) is int
            and 0 <= p["offset"] < 2**31
            for p in items
        )
        if not valid:
            self.problem(
                where, f"data.provenance must be a list of {{source: str, offset: int}}, got {shown(items)}"
            )
            return None
        return [Provenance(source=p["source"], offset=p["offset"]) for p in items]

    def _annotation(self, record: dict[str, Any], text: str, where: str) -> Annotation | None:
        before = self._found()
        if "id" in record and record["id"] is not None and not _is_id(record["id"]):
            self.problem(where, f"'id' must be a string or an integer, not {shown(record['id'])}")
        for flag in ("ground_truth", "was_cancelled"):
            if record.get(flag) is not None and type(record[flag]) is not bool:
                self.problem(where, f"'{flag}' must be true or false, not {shown(record[flag])}")
        stamps = {key: record.get(key) for key in ("updated_at", "created_at")}  # the first one set counts
        for key, stamp in stamps.items():
            if stamp is not None and not (isinstance(stamp, str) and (not stamp or timestamp(stamp))):
                self.problem(where, f"{key} must be an ISO 8601 timestamp or null, not {shown(stamp)}")
        updated_at = next((stamp for stamp in stamps.values() if isinstance(stamp, str) and stamp), "")
        result = record.get("result")
        if not isinstance(result, list):
            self.problem(where, f"'result' must be a list of regions, got {shown(result)}")
            return None
        annotation = Annotation(
            id=record.get("id"),
            entities=[],
            relations=[],
            ground_truth=record.get("ground_truth") is True,
            cancelled=record.get("was_cancelled") is True,
            updated_at=updated_at,
            results=len(result),
        )
        spans: list[Span] = []
        relations: list[tuple[int, dict[str, Any]]] = []
        refused: set[str] = set()
        for number, region in enumerate(result, start=1):
            if not isinstance(region, dict):
                self.problem(
                    where, f"every item of 'result' must be an object, got {shown(region)}", f"#{number}"
                )
                continue
            kind = self._kind(region, where, number)
            span = self._span(region, text, where, number, annotation) if kind == "span" else None
            if kind == "relation":
                relations.append((number, region))
            elif span is not None:
                spans.append(span)
            elif kind is not None and kind != "span":
                annotation.ignored[kind] += 1
            elif _is_id(region.get("id")):
                refused.add(str(region["id"]))  # reported: relations to it are not reported again
        ids = Counter(span.id for span in spans)
        for region_id in sorted(rid for rid, count in ids.items() if count > 1):
            self.problem(where, f"{ids[region_id]} regions share this id", region_id)
        ordered = sorted(spans)
        for earlier, later in overlaps((s.start, s.end, n) for n, s in enumerate(ordered)):
            first, span = ordered[earlier], ordered[later]
            self.problem(
                where,
                f"overlaps region {first.id} ({first.text!r} [{first.start}, {first.end})): "
                "spans must be flat",
                span.id,
            )
        annotation.entities = ordered
        annotation.relations = self._relations(relations, {s.id: s for s in spans}, refused, where)
        if self._found() != before:
            return None
        return annotation

    def _kind(self, region: dict[str, Any], where: str, number: int) -> str | None:
        """``span``, ``relation``, the reason a result is ignored, or None after noting a problem."""
        kind, source, target = region.get("type"), region.get("from_name"), region.get("to_name")
        if kind == "relation":
            return "relation"
        schema = self.schema
        if kind == "labels" and source == schema.from_name and target == schema.to_name:
            return "span"
        value = region.get("value")
        # Start and end alone do not make a span region: per-region results of other controls
        # (a TextArea or Choices with perRegion="true") carry their region's offsets too.
        labelled = isinstance(value, dict) and "labels" in value
        if (
            not isinstance(kind, str)
            or kind.lower().endswith("labels")
            or labelled
            or source == schema.from_name
        ):
            region_id = region.get("id")
            name = str(region_id) if _is_id(region_id) else f"#{number}"
            self.said_once(("control", shown(kind), shown(source), shown(target)), where, name)
            return None
        return f"{kind} results of {shown(source)} (a control the dataset does not hold)"

    def _span(
        self, region: dict[str, Any], text: str, where: str, number: int, annotation: Annotation
    ) -> Span | None:
        region_id = str(region["id"]) if _is_id(region.get("id")) else f"#{number}"

        def report(message: str) -> None:
            self.problem(where, message, region_id)

        if not _is_id(region.get("id")):
            report(f"a region needs an id (a string or an integer), got {shown(region.get('id'))}")
            return None
        value = region.get("value")
        if not isinstance(value, dict):
            report(f"'value' must be an object, got {shown(value)}")
            return None
        start, end, labels, surface = (
            value.get("start"),
            value.get("end"),
            value.get("labels"),
            value.get("text"),
        )
        if not isinstance(labels, list) or len(labels) != 1 or not isinstance(labels[0], str):
            got = f"{labels!r:.80}" if isinstance(labels, list) else shown(labels)
            report(f"a region needs exactly one label, got {got}")
            return None
        label = labels[0]
        self.entity_labels[label] += 1
        if label not in self.schema.entity_labels:
            self.said_once(("labels",), where, region_id, label)
            return None
        problem = offsets_problem(start, end)
        if problem:
            report(problem)
            return None
        if surface is not None and not isinstance(surface, str):
            report(f"value.text must be a string, got {shown(surface)}")
            return None
        resolved = self._code_points(start, end, surface, text, report)
        if resolved is None:
            return None
        first, last, converted = resolved
        if text[first].isspace() or text[last - 1].isspace():
            report(f"span [{first}, {last}) {text[first:last]!r} starts or ends with whitespace")
            return None
        if converted:
            annotation.utf16_converted += 1
            warnings.warn(
                f"{where}, region {region_id}: UTF-16 offsets [{start}, {end}) converted to "
                f"code points [{first}, {last})",
                Utf16OffsetWarning,
                stacklevel=2,
            )
        return Span(first, last, label, text[first:last], region_id)

    def _utf16(self, text: str) -> Utf16Offsets:
        if self._units is None or self._units[0] is not text:
            self._units = (text, Utf16Offsets(text))
        return self._units[1]

    def _code_points(
        self, start: int, end: int, surface: str | None, text: str, report: Any
    ) -> tuple[int, int, bool] | None:
        """``[start, end)`` in code points, and whether it was converted from UTF-16 code units.

        ``value.text`` tells the unit; without it, offsets past a character outside the Basic Multilingual
        Plane are ambiguous unless ``--utf16-offsets`` states the unit.
        """
        if surface is not None and end <= len(text) and text[start:end] == surface:
            return start, end, False
        units = self._utf16(text)
        converted = units.code_point(start), units.code_point(end)
        if surface is not None:
            if None not in converted and text[converted[0] : converted[1]] == surface:  # type: ignore[misc]
                if self.offsets == "refuse":
                    report(
                        f"offsets [{start}, {end}) are UTF-16 code units, not code points "
                        f"(they match {surface!r} only when counted as a browser counts); "
                        "re-run with --utf16-offsets convert"
                    )
                    return None
                return converted[0], converted[1], True  # type: ignore[return-value]
            if end > len(text):
                report(f"span [{start}, {end}) is out of range for a text of {len(text)} characters")
            else:
                report(f"value.text {surface!r} differs from text[{start}:{end}] = {text[start:end]!r}")
            return None
        if end > len(text) + len(units.units):  # past the end whichever the unit: not ambiguous
            report(f"span [{start}, {end}) is out of range for a text of {len(text)} characters")
            return None
        if self.offsets == "assume-utf16" and end > units.first_astral:
            if None in converted:
                report(f"UTF-16 offsets [{start}, {end}) fall inside a character or past the end of the text")
                return None
            return converted[0], converted[1], True  # type: ignore[return-value]
        if end > units.first_astral and self.offsets != "assume-code-points":
            report(
                f"offsets [{start}, {end}) have no value.text to check them against, and the text has a "
                f"character outside the Basic Multilingual Plane (an emoji?) at {units.first_astral}, "
                "which code points count once and UTF-16 code units twice: state the unit with "
                "--utf16-offsets assume-code-points or --utf16-offsets assume-utf16"
            )
            return None
        if end > len(text):
            report(f"span [{start}, {end}) is out of range for a text of {len(text)} characters")
            return None
        return start, end, False

    def _relations(
        self, regions: list[tuple[int, dict[str, Any]]], spans: dict[str, Span], refused: set[str], where: str
    ) -> list[Relation]:
        relations: set[Relation] = set()
        schema = self.schema
        for number, region in regions:
            head, tail = region.get("from_id"), region.get("to_id")
            if not _is_id(head) or not _is_id(tail):
                self.problem(
                    where, "a relation needs from_id and to_id naming regions", f"relation #{number}"
                )
                continue
            head, tail = str(head), str(tail)
            name = f"relation {head}->{tail}"
            labels = region.get("labels")
            labels = [] if labels is None else labels
            direction = region.get("direction", "right")
            if direction == "left":
                head, tail = tail, head
            elif direction != "right":
                self.problem(where, f"direction {shown(direction)} is not directed", name)
                continue
            if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
                self.problem(where, f"'labels' must be a list of strings, got {shown(labels)}", name)
                continue
            missing = [rid for rid in (head, tail) if rid not in spans]
            if set(missing) & refused:
                continue  # its region was refused, and said so
            if missing:
                self.problem(where, f"points to missing region(s) {missing}", name)
                continue
            if head == tail:
                self.problem(where, "a relation from a region to itself", name)
                continue
            if not schema.relations_labelled:
                if labels:
                    self.problem(
                        where,
                        f"labelled {labels!r:.60}, but the config has no <Relations>, so relations are "
                        f"unlabelled ({UNLABELLED!r}); {FIX_CONFIG}",
                        name,
                    )
                    continue
                label = UNLABELLED
            elif len(labels) != 1:
                self.problem(
                    where,
                    f"needs exactly one label (config has {', '.join(schema.relation_labels)}), "
                    f"got {labels!r:.60}",
                    name,
                )
                continue
            else:
                label = labels[0]
                self.relation_labels[label] += 1
                if label not in schema.relation_labels:
                    self.said_once(("relation labels",), where, name, label)
                    continue
                violation = schema.relation_violation(label, spans[head].label, spans[tail].label)
                if violation:
                    self.problem(where, f"{label}: {violation}", name)
                    continue
            relation = Relation(head=head, tail=tail, label=label)
            if relation in relations:
                self.problem(where, f"{label} is given twice", name)
                continue
            relations.add(relation)
        return sorted(relations)

    def said_once_problems(self) -> list[tuple[int, Problem]]:
        """The problems concerning the whole export, each said once."""
        schema = self.schema
        found = []
        for key, once in self.once.items():
            spread = f"{once.regions} region(s) in {len(once.tasks)} task(s)"
            if key[0] == "labels":
                message = (
                    f"unknown label{_s(once.values)} {_listed(once.values)} ({spread}): "
                    f"the export's labels are {_listed(self.entity_labels)}, "
                    f"the config's are {', '.join(schema.entity_labels)}; {FIX_CONFIG}"
                )
            elif key[0] == "relation labels":
                message = (
                    f"unknown relation label{_s(once.values)} {_listed(once.values)} ({spread}): "
                    f"the export's are {_listed(self.relation_labels)}, "
                    f"the config's are {', '.join(schema.relation_labels)}; {FIX_CONFIG}"
                )
            elif key[0] == "text":
                message = (
                    f"data has no {schema.text_key!r} ({len(once.tasks)} task(s); this one has "
                    f"{_listed(once.values)}), the text the config's {schema.span_control} reads; "
                    f"{FIX_CONFIG}"
                )
            else:
                _, kind, source, target = key
                message = (
                    f"span regions of type {kind} from {source} to {target} ({spread}) do not match the "
                    f"config's span control {schema.span_control}, whose regions are of type 'labels'; "
                    f"{FIX_CONFIG}, or correct the regions"
                )
            found.append((once.position, Problem(once.where, message, once.region)))
        return found


def _s(counts: Counter[str]) -> str:
    return "s" if len(counts) > 1 else ""


def _listed(counts: Counter[str], most: int = 20) -> str:
    names = sorted(counts)
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(repr(name) for name in names[:most]) + more


def unannotated_reason(task: Task) -> str:
    """Why a task has no gold annotation: only cancelled ones, only drafts, only predictions, or none."""
    if task.annotations:
        return "only cancelled annotations"
    if task.drafts:
        return "only drafts, not submitted"
    if task.predictions or task.predictions_by_id:
        return "only predictions"
    return "no annotation"


class ExportReading:
    """One pass over an export's tasks, in export order: validates each, accounts for it, and collects
    every problem until :meth:`finish` raises them together.

    A task is given back only while no problem has been found (a build stops using documents at the
    first problem but goes on validating). Pieces of one export read apart (``piece=True``, e.g. batches
    read by worker processes) are combined by :meth:`merge` in export order, which gives what one pass
    would.
    """

    def __init__(
        self,
        schema: Schema,
        *,
        offsets: OffsetPolicy = "convert",
        unannotated: Unannotated = "leave-out",
        split_field: str | None = None,
        account: Account | None = None,
        piece: bool = False,
    ):
        self.reader = _TaskReader(schema, offsets, unannotated, split_field)
        self.account = account if account is not None else Account()
        self.count = 0
        # The whole export keeps its ids hashed; a piece lists them (position, task id, document id), as
        # another process's hashes of strings differ.
        self.repeats = None if piece else _RepeatedIds()
        self.read_ids: list[tuple[int, Any, str]] = []

    def task(self, raw: Any, number: int, unreadable: str | None = None) -> Task | None:
        """The validated task at ``number`` (1-based) of the export, or None after noting its problems
        (or while problems found earlier stop tasks from being given back)."""
        self.count = max(self.count, number)
        task = self.reader.read(raw, number, unreadable)
        if task is None:
            return None
        if self.repeats is None:
            self.read_ids.append((number, task.document.task_id, task.document.id))
        else:
            self.repeats.add(number, task.document.task_id, task.document.id)
        return None if self.reader.failed else task

    def document(self, raw: Any, number: int, unreadable: str | None = None) -> Document | None:
        """The document of the task at ``number``, carrying its gold annotation (:func:`choose_gold`) and
        counted in the account; None for a task :meth:`task` gives no task for, or left out (counted by
        reason)."""
        task = self.task(raw, number, unreadable)
        return None if task is None else self._gold(task)

    def _gold(self, task: Task) -> Document | None:
        account = self.account
        account.tasks += 1
        gold = choose_gold(task.annotations)
        if gold is None:
            account.leave_out(f"task {task.document.task_id}", unannotated_reason(task))
            return None
        rule = gold_rule(task.annotations)
        if rule:
            account.gold_rules[rule] += 1
        account.documents += 1
        account.results += gold.results
        account.regions += len(gold.entities)
        account.relations += len(gold.relations)
        account.ignored.update(gold.ignored)
        account.utf16_converted += gold.utf16_converted
        task.document.entities = gold.entities
        task.document.relations = gold.relations
        return task.document

    def piece(self) -> ReadPiece:
        """What this reading found, to be merged into the reading of the whole export."""
        reader = self.reader
        return ReadPiece(
            reader.problems,
            reader.once,
            reader.entity_labels,
            reader.relation_labels,
            self.read_ids,
            self.account,
            self.count,
        )

    def merge(self, piece: ReadPiece) -> bool:
        """Add what a reading of the next tasks found; whether its documents count (no earlier problem)."""
        reader = self.reader
        assert self.repeats is not None, "pieces are merged into the reading of the whole export"
        counts = not reader.failed
        reader.problems += piece.problems
        for key, once in piece.once.items():
            mine = reader.once.setdefault(key, once)
            if mine is not once:
                mine.regions += once.regions
                mine.tasks |= once.tasks
                mine.values.update(once.values)
        reader.entity_labels.update(piece.entity_labels)
        reader.relation_labels.update(piece.relation_labels)
        for number, task_id, doc_id in piece.ids:
            self.repeats.add(number, task_id, doc_id)
        self.count = max(self.count, piece.count)
        if counts:
            self.account.merge(piece.account)
        return counts

    def finish(self, path: Path) -> None:
        """Raise :class:`InputError` listing every problem found, in export order; nothing if none."""
        if self.count == 0:
            raise InputError([Problem(str(path), "the export holds no task")])
        reader = self.reader
        assert self.repeats is not None, "a piece is merged, not finished"
        problems = [
            *reader.problems,
            *reader.said_once_problems(),
            *self.repeats.problems(path, reader.schema),
        ]
        if problems:
            raise InputError([problem for _, problem in sorted(problems, key=lambda item: item[0])])


@dataclass(slots=True)
class ReadPiece:
    """What reading some consecutive tasks of an export found (see :meth:`ExportReading.merge`)."""

    problems: list[tuple[int, Problem]]
    once: dict[tuple[str, ...], _Once]
    entity_labels: Counter[str]
    relation_labels: Counter[str]
    ids: list[tuple[int, Any, str]]
    account: Account
    count: int  # the position of its last task in the export


def iter_tasks(
    path: Path,
    schema: Schema,
    *,
    offsets: OffsetPolicy = "convert",
    unannotated: Unannotated = "leave-out",
    split_field: str | None = None,
) -> Iterator[Task]:
    """Validated tasks of an export; raises :class:`InputError` listing every problem at the end.

    With ``unannotated="error"``, a task without a submitted, non-cancelled annotation is a problem.
    With ``split_field``, each document's ``split`` is its task's ``data[split_field]`` (unchecked).
    """
    reading = ExportReading(schema, offsets=offsets, unannotated=unannotated, split_field=split_field)
    for number, (raw, unreadable) in enumerate(iter_raw_tasks(path, schema), start=1):
        task = reading.task(raw, number, unreadable)
        if task is not None:
            yield task
    reading.finish(path)


class _RepeatedIds:
    """Finds repeated task and document ids in 24 bytes per task instead of sets of every id.

    Each id is kept as its 64-bit hash with the task's position in the export; at the end, the tasks
    whose hashes repeat are read again from the export to confirm and name the repeated ids.
    """

    KINDS = ("task", "document")

    def __init__(self) -> None:
        self.positions = {kind: array("I") for kind in self.KINDS}
        self.hashes = {kind: array("q") for kind in self.KINDS}

    def add(self, position: int, task_id: Any, doc_id: str) -> None:
        for kind, value in zip(self.KINDS, (task_id, doc_id), strict=True):
            if value is not None:
                self.positions[kind].append(position)
                self.hashes[kind].append(hash(_hashable(value)))

    def problems(self, path: Path, schema: Schema) -> list[tuple[int, Problem]]:
        """(export position, problem) for every task whose task or document id an earlier task has."""
        suspects = {kind: self._sharing_a_hash(kind) for kind in self.KINDS}
        wanted = suspects["task"] | suspects["document"]
        if not wanted:
            return []
        ids = {
            position: (raw.get("id"), _doc_id(raw))
            for position, (raw, _) in enumerate(iter_raw_tasks(path, schema), start=1)
            if position in wanted
        }
        found: list[tuple[int, Problem]] = []
        for column, kind in enumerate(self.KINDS):
            first: dict[Any, int] = {}
            for position in sorted(suspects[kind]):
                value = _hashable(ids[position][column])
                if first.setdefault(value, position) != position:
                    where = _task_where({"id": ids[position][0]}, ids[position][1])
                    message = f"duplicate {kind} id (first at task #{first[value]} of the export)"
                    found.append((position, Problem(where, message)))
        return sorted(found, key=lambda item: item[0])

    def _sharing_a_hash(self, kind: str) -> set[int]:
        hashes = np.frombuffer(self.hashes[kind], dtype=np.longlong)
        positions = np.frombuffer(self.positions[kind], dtype=np.uintc)
        order = np.argsort(hashes, kind="stable")
        ordered = hashes[order]
        repeat = ordered[1:] == ordered[:-1]
        shared = np.zeros(len(ordered), dtype=bool)
        shared[1:] |= repeat
        shared[:-1] |= repeat
        return set(positions[order[shared]].tolist())


_NAN = ("NaN",)  # the key of every NaN id: no JSON value reads as a tuple


def _hashable(value: Any) -> Any:
    """``value`` itself if it can be hashed (equal ids compare as Python compares them), else its repr.

    Every NaN (``NaN`` in the export, which Python's JSON reader accepts) is one id: NaN equals nothing,
    not even itself, so only the object's identity would tie two of them, and that depends on how the
    export was read.
    """
    if isinstance(value, float) and value != value:
        return _NAN
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def _doc_id(raw: dict[str, Any]) -> str:
    """A task's document id: ``data.doc_id``, else ``task-<task id>``."""
    doc_id = raw["data"].get("doc_id")
    return str(doc_id) if doc_id is not None else f"task-{raw.get('id')}"


def iter_documents(
    path: Path,
    schema: Schema,
    *,
    offsets: OffsetPolicy = "convert",
    unannotated: Unannotated = "leave-out",
    account: Account | None = None,
    split_field: str | None = None,
) -> Iterator[Document]:
    """Documents of an export, each carrying its gold annotation (see :func:`choose_gold`).

    A task without a submitted, non-cancelled annotation is no document: it is left out and counted in
    ``account`` (or, with ``unannotated="error"``, refused); an export whose every task is left out is
    refused (:class:`~vna_ner.labelstudio.account.NothingToBuild`). ``account`` counts what the reading did.
    """
    reading = ExportReading(
        schema, offsets=offsets, unannotated=unannotated, split_field=split_field, account=account
    )
    for number, (raw, unreadable) in enumerate(iter_raw_tasks(path, schema), start=1):
        document = reading.document(raw, number, unreadable)
        if document is not None:
            yield document
    reading.finish(path)
    reading.account.check_documents(str(path))


def read_documents(path: Path, schema: Schema, **options: Any) -> list[Document]:
    """All documents of an export, validated; see :func:`iter_documents` for the options."""
    return list(iter_documents(path, schema, **options))
