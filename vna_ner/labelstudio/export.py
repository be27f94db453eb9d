"""Label Studio JSON exports in and task files out, validated against the project's schema.

Reading streams the export (``ijson``), so memory does not grow with the number of tasks. Predictions
are read when the export holds them as objects; Label Studio's own JSON export lists them by id only.
Drafts (unsubmitted work) are not annotations and are ignored.
Each task's gold annotation is chosen by :func:`choose_gold`; the others stay available
for agreement figures through :func:`iter_tasks`.
"""

from __future__ import annotations

import warnings
from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import ijson
import numpy as np

from vna_ner.documents import Document, Provenance, Relation, Span
from vna_ner.errors import InputError, Problem
from vna_ner.labelstudio.schema import Schema

OffsetPolicy = Literal["convert", "refuse"]


class Utf16OffsetWarning(UserWarning):
    """Region offsets counted in UTF-16 code units were converted to code points."""


@dataclass
class Annotation:
    """One annotator's (or one model's) regions and relations on a task."""

    id: int | None
    entities: list[Span]
    relations: list[Relation]
    ground_truth: bool = False
    cancelled: bool = False
    updated_at: str = ""


@dataclass
class Task:
    """A task of an export: the document it holds and every annotation and prediction on it."""

    document: Document
    annotations: list[Annotation] = field(default_factory=list)
    predictions: list[Annotation] = field(default_factory=list)


def choose_gold(annotations: list[Annotation]) -> Annotation | None:
    """The gold annotation: not cancelled; ground truth first; then the most recent; then highest id."""
    candidates = [a for a in annotations if not a.cancelled]
    if not candidates:
        return None
    return max(candidates, key=lambda a: (a.ground_truth, a.updated_at, a.id or 0))


def utf16_to_code_points(text: str) -> dict[int, int]:
    """Map every UTF-16 code-unit offset of ``text`` that falls between characters to its code-point offset.

    >>> utf16_to_code_points("📝a")
    {0: 0, 2: 1, 3: 2}
    """
    mapping, units = {}, 0
    for index, char in enumerate(text):
        mapping[units] = index
        units += 2 if ord(char) > 0xFFFF else 1
    mapping[units] = len(text)
    return mapping


def _task_where(task: dict[str, Any], doc_id: str | None) -> str:
    doc = f" (document {doc_id})" if doc_id else ""
    return f"task {task.get('id', '?')}{doc}"


class _TaskReader:
    """Turns one raw task dict into a :class:`Task`, collecting problems instead of stopping."""

    def __init__(self, schema: Schema, offsets: OffsetPolicy):
        self.schema = schema
        self.offsets = offsets
        self.problems: list[Problem] = []

    def read(self, raw: Any, number: int) -> Task | None:
        if not isinstance(raw, dict) or not isinstance(raw.get("data"), dict):
            self.problems.append(
                Problem(f"task #{number} of the export", "must be an object with a 'data' object")
            )
            return None
        data = raw["data"]
        doc_id = _doc_id(raw)
        where = _task_where(raw, doc_id)
        text = data.get(self.schema.text_key)
        if not isinstance(text, str) or not text.strip():
            self.problems.append(
                Problem(where, f"data.{self.schema.text_key} must be a non-blank string, got {text!r:.40}")
            )
            return None
        provenance = self._provenance(data.get("provenance", []), where)
        if provenance is None:
            return None
        document = Document(id=doc_id, text=text, provenance=provenance, task_id=raw.get("id"))
        task = Task(document=document)
        for key, target in (("annotations", task.annotations), ("predictions", task.predictions)):
            for record in raw.get(key) or []:
                if key == "predictions" and isinstance(record, int):
                    continue  # Label Studio's JSON export lists predictions by id only
                if not isinstance(record, dict):
                    self.problems.append(
                        Problem(where, f"every item of '{key}' must be an object, got {record!r:.40}")
                    )
                    continue
                annotation = self._annotation(record, text, f"{where} {key[:-1]} {record.get('id')}")
                if annotation is not None:
                    target.append(annotation)
        return task

    def _provenance(self, items: Any, where: str) -> list[Provenance] | None:
        valid = isinstance(items, list) and all(
            isinstance(p, dict) and isinstance(p.get("source"), str) and isinstance(p.get("offset"), int)
            for p in items
        )
        if not valid:
            self.problems.append(
                Problem(
                    where,
                    f"data.provenance must be a list of {{source: str, offset: int}}, got {items!r:.60}",
                )
            )
            return None
        return [Provenance(source=p["source"], offset=p["offset"]) for p in items]

    def _annotation(self, record: dict[str, Any], text: str, where: str) -> Annotation | None:
        result = record.get("result")
        if not isinstance(result, list):
            self.problems.append(Problem(where, "'result' must be a list of regions"))
            return None
        before = len(self.problems)
        if not all(isinstance(region, dict) for region in result):
            self.problems.append(Problem(where, "every item of 'result' must be an object"))
            return None
        spans = [
            span
            for region in result
            if region.get("type") == "labels" and region.get("from_name") == self.schema.from_name
            for span in [self._span(region, text, where)]
            if span is not None
        ]
        ids = Counter(span.id for span in spans)
        for region_id in sorted(rid for rid, count in ids.items() if count > 1):
            self.problems.append(Problem(where, f"{ids[region_id]} regions share this id", region_id))
        self._check_overlaps(spans, where)
        relations = self._relations(result, {s.id: s for s in spans}, where)
        if len(self.problems) > before:
            return None
        return Annotation(
            id=record.get("id"),
            entities=sorted(spans),
            relations=relations,
            ground_truth=bool(record.get("ground_truth")),
            cancelled=bool(record.get("was_cancelled")),
            updated_at=str(record.get("updated_at") or record.get("created_at") or ""),
        )

    def _span(self, region: dict[str, Any], text: str, where: str) -> Span | None:
        region_id = str(region.get("id", "?"))
        value = region.get("value") or {}
        start, end, labels = value.get("start"), value.get("end"), value.get("labels")
        report = lambda message: self.problems.append(Problem(where, message, region_id))  # noqa: E731
        if not isinstance(start, int) or not isinstance(end, int):
            report(f"start/end must be integers, got {start!r}/{end!r}")
            return None
        if not isinstance(labels, list) or len(labels) != 1:
            report(f"a region needs exactly one label, got {labels!r}")
            return None
        label = labels[0]
        if label not in self.schema.entity_labels:
            report(f"unknown label {label!r} (config has {', '.join(self.schema.entity_labels)})")
            return None
        if start >= end:
            report(f"empty or reversed span [{start}, {end})")
            return None
        if 0 <= start < end <= len(text) and (text[start].isspace() or text[end - 1].isspace()):
            report(f"span [{start}, {end}) {text[start:end]!r} starts or ends with whitespace")
            return None
        surface = value.get("text")
        if end <= len(text) and surface in (None, text[start:end]):
            return Span(start, end, label, text[start:end], region_id)
        mapping = utf16_to_code_points(text)
        if start in mapping and end in mapping and text[mapping[start] : mapping[end]] == surface:
            if self.offsets == "refuse":
                report(
                    f"offsets [{start}, {end}) are UTF-16 code units, not code points "
                    f"(they match {surface!r} only when counted as a browser counts); "
                    "re-run with --utf16-offsets convert"
                )
                return None
            warnings.warn(
                f"{where}, region {region_id}: UTF-16 offsets [{start}, {end}) converted to "
                f"code points [{mapping[start]}, {mapping[end]})",
                Utf16OffsetWarning,
                stacklevel=2,
            )
            return Span(mapping[start], mapping[end], label, surface, region_id)
        if end > len(text):
            report(f"span [{start}, {end}) is out of range for a text of {len(text)} characters")
        else:
            report(f"value.text {surface!r} differs from text[{start}:{end}] = {text[start:end]!r}")
        return None

    def _check_overlaps(self, spans: list[Span], where: str) -> None:
        furthest: Span | None = None  # the span reaching furthest right among those before
        for span in sorted(spans):
            if furthest is not None and span.start < furthest.end:
                self.problems.append(
                    Problem(
                        where,
                        f"overlaps region {furthest.id} ({furthest.text!r} [{furthest.start}, "
                        f"{furthest.end})): spans must be flat",
                        span.id,
                    )
                )
            if furthest is None or span.end > furthest.end:
                furthest = span

    def _relations(self, result: list[dict[str, Any]], spans: dict[str, Span], where: str) -> list[Relation]:
        relations = []
        for region in result:
            if region.get("type") != "relation":
                continue
            head, tail = str(region.get("from_id")), str(region.get("to_id"))
            name = f"relation {head}->{tail}"
            labels = region.get("labels") or []
            direction = region.get("direction", "right")
            if direction == "left":
                head, tail = tail, head
            elif direction != "right":
                self.problems.append(Problem(where, f"direction {direction!r} is not directed", name))
                continue
            missing = [rid for rid in (head, tail) if rid not in spans]
            if missing:
                self.problems.append(Problem(where, f"points to missing region(s) {missing}", name))
                continue
            if len(labels) != 1:
                self.problems.append(Problem(where, f"needs exactly one label, got {labels!r}", name))
                continue
            violation = self.schema.relation_violation(labels[0], spans[head].label, spans[tail].label)
            if violation:
                self.problems.append(Problem(where, f"{labels[0]}: {violation}", name))
                continue
            relation = Relation(head=head, tail=tail, label=labels[0])
            if relation in relations:
                self.problems.append(Problem(where, f"{labels[0]} is given twice", name))
                continue
            relations.append(relation)
        return sorted(relations)


def iter_raw_tasks(path: Path) -> Iterator[Any]:
    """Stream the tasks of a Label Studio JSON export (a top-level array) one at a time."""
    with Path(path).open("rb") as stream:
        head = stream.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
        if not head.startswith(b"["):
            raise InputError(
                [Problem(str(path), "a Label Studio JSON export is an array of tasks: '[' expected")]
            )
        stream.seek(0)
        try:
            yield from ijson.items(stream, "item", use_float=True)
        except ijson.JSONError as error:
            raise InputError([Problem(str(path), f"not a valid JSON export: {error}")]) from error


def iter_tasks(path: Path, schema: Schema, *, offsets: OffsetPolicy = "convert") -> Iterator[Task]:
    """Validated tasks of an export; raises :class:`InputError` listing every problem at the end."""
    reader = _TaskReader(schema, offsets)
    repeats = _RepeatedIds()
    found_at: list[int] = []  # the export position of each problem the reader found
    count = 0
    for count, raw in enumerate(iter_raw_tasks(path), start=1):
        task = reader.read(raw, count)
        found_at += [count] * (len(reader.problems) - len(found_at))
        if task is None:
            continue
        repeats.add(count, task.document.task_id, task.document.id)
        if not reader.problems:
            yield task
    if count == 0:
        raise InputError([Problem(str(path), "the export holds no task")])
    problems = [*zip(found_at, reader.problems, strict=True), *repeats.problems(path)]
    if problems:
        raise InputError([problem for _, problem in sorted(problems, key=lambda item: item[0])])


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

    def problems(self, path: Path) -> list[tuple[int, Problem]]:
        """(export position, problem) for every task whose task or document id an earlier task has."""
        suspects = {kind: self._sharing_a_hash(kind) for kind in self.KINDS}
        wanted = suspects["task"] | suspects["document"]
        if not wanted:
            return []
        ids = {
            position: (raw.get("id"), _doc_id(raw))
            for position, raw in enumerate(iter_raw_tasks(path), start=1)
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


def _hashable(value: Any) -> Any:
    """``value`` itself if it can be hashed (equal ids compare as Python compares them), else its repr."""
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def _doc_id(raw: dict[str, Any]) -> str:
    """A task's document id: ``data.doc_id``, else ``task-<task id>``."""
    doc_id = raw["data"].get("doc_id")
    return str(doc_id) if doc_id is not None else f"task-{raw.get('id')}"


def iter_documents(path: Path, schema: Schema, *, offsets: OffsetPolicy = "convert") -> Iterator[Document]:
    """Documents of an export, each carrying its gold annotation (see :func:`choose_gold`)."""
    for task in iter_tasks(path, schema, offsets=offsets):
        gold = choose_gold(task.annotations)
        if gold is not None:
            task.document.entities = gold.entities
            task.document.relations = gold.relations
        yield task.document


def read_documents(path: Path, schema: Schema, *, offsets: OffsetPolicy = "convert") -> list[Document]:
    """All documents of an export, validated; see :func:`iter_documents`."""
    return list(iter_documents(path, schema, offsets=offsets))
