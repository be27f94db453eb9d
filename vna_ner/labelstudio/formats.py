"""The files read as Label Studio exports: JSON (an array of tasks), JSON-MIN, and JSONL (a task per line).

Items are decoded one at a time with the standard library's C decoder over a growing buffer, so memory
follows the largest task, not the file. JSON-MIN records (one per annotation, without region ids) become
tasks of the JSON format, so one reader validates every format. Any other file is refused in one line
that says which export to choose.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from vna_ner.errors import InputError, Problem
from vna_ner.labelstudio.schema import Schema
from vna_ner.spans import shown

CHOOSE = (
    "export the project from Label Studio as JSON or JSON-MIN, or give a JSONL file with one task per line"
)
CHUNK = 1 << 16  # bytes decoded at a time; a larger item grows the buffer as needed
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")
JSON_MIN_META = frozenset(
    {"id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time", "agreement", "history"}
)


def _refuse(path: Path, message: str) -> InputError:
    return InputError([Problem(str(path), message)])


class _Items:
    """The top-level values of a UTF-8 JSON file: an array's items, or whitespace-separated values (JSONL)."""

    def __init__(self, stream: BinaryIO, path: Path):
        self.stream, self.path = stream, path
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.buffer, self.pos, self.eof = "", 0, False
        self.bytes_read, self.consumed_chars, self.consumed_lines = 0, 0, 0
        self.json = json.JSONDecoder()

    def read(self, size: int = CHUNK) -> bool:
        """Append up to ``size`` more bytes to the buffer (dropping what was consumed); False at the end."""
        if self.eof:
            return False
        data = self.stream.read(size)
        self.eof = not data
        try:
            text = self.decoder.decode(data, final=self.eof)
        except UnicodeDecodeError as error:
            at = self.bytes_read + error.start
            raise _refuse(self.path, f"not UTF-8 at byte {at}: {self._utf8_only}") from None
        self.bytes_read += len(data)
        self.consumed_chars += self.pos
        self.consumed_lines += self.buffer.count("\n", 0, self.pos)
        self.buffer, self.pos = self.buffer[self.pos :] + text, 0
        return not self.eof or bool(text)

    _utf8_only = "vna-ner reads UTF-8 JSON; re-save the file as UTF-8 or export it again from Label Studio"

    def next_char(self) -> str:
        """The next character that is not whitespace ('' at the end of the file), not consumed."""
        while True:
            self.pos = _WHITESPACE.match(self.buffer, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buffer) or not self.read():
                return self.buffer[self.pos : self.pos + 1]

    def value(self, number: int) -> tuple[Any, bool, str]:
        """The next value, whether its source holds an escaped surrogate (which may be a lone one), and
        its source (the JSON text)."""
        self.next_char()
        size = CHUNK
        while True:
            try:
                value, end = self.json.raw_decode(self.buffer, self.pos)
                break
            except json.JSONDecodeError as error:
                if self.read(size):
                    size *= 2  # a large item: grow the buffer geometrically, not one chunk at a time
                    continue
                raise self._invalid(error.pos, error.msg) from None
            except RecursionError:
                raise self._invalid(self.pos, f"item #{number} is nested too deeply") from None
            except ValueError:  # an integer of more digits than Python converts
                raise self._invalid(self.pos, f"item #{number} holds a number too long to read") from None
        suspect = _SURROGATE_ESCAPE.search(self.buffer, self.pos, end) is not None
        source, self.pos = self.buffer[self.pos : end], end
        return value, suspect, source

    def _invalid(self, position: int, message: str) -> InputError:
        line = self.consumed_lines + self.buffer.count("\n", 0, position) + 1
        where = f"line {line}, character {self.consumed_chars + position}"
        return _refuse(self.path, f"not valid JSON at {where}: {message}")

    def items(self) -> Iterator[tuple[Any, bool, str]]:
        first = self.next_char()
        if first == "[":
            self.pos += 1
            if self.next_char() == "]":
                return
            for number in range(1, 1 << 62):
                yield self.value(number)
                separator = self.next_char()
                self.pos += 1
                if separator == "]":
                    break
                if separator != ",":
                    raise self._invalid(self.pos - 1, "',' or ']' expected after an item of the array")
            if self.next_char():
                raise self._invalid(self.pos, "text after the end of the array")
        elif first == "{":
            number = 0
            while self.next_char():
                number += 1
                yield self.value(number)
        else:
            found = "an empty file" if not first else f"a file starting with {first!r}"
            raise _refuse(self.path, f"not a Label Studio export ({found}): {CHOOSE}")


def lone_surrogate(value: Any) -> str | None:
    """The first place ``value`` holds a lone surrogate (invalid Unicode), as ``data.text, character 12``."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            found = _SURROGATE.search(item)
            if found:
                return f"{path or 'the task'}, character {found.start()} (\\u{ord(found.group()):04x})"
        elif isinstance(item, list):
            stack += reversed([(f"{path}[{index}]", child) for index, child in enumerate(item)])
        elif isinstance(item, dict):
            if any(_SURROGATE.search(key) for key in item):
                return f"a key of {path or 'the task'}"
            stack += reversed([(f"{path}.{key}" if path else key, child) for key, child in item.items()])
    return None


def iter_raw_items(path: Path) -> Iterator[tuple[Any, bool, str]]:
    """Each top-level item of an export file, with whether it may hold a lone surrogate, and its JSON text.

    A UTF-8 byte-order mark is skipped; UTF-16 and UTF-32 files are refused in one line, and so is
    anything but a regular file (a pipe, a folder): an export is read more than once.
    """
    if Path(path).exists() and not stat.S_ISREG(os.stat(path).st_mode):
        raise _refuse(path, "not a regular file (a pipe?); an export is read twice: save it to a file first")
    with Path(path).open("rb") as stream:
        head = stream.read(4)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(head) >= 2 and 0 in head[:2]):
            raise _refuse(path, "the file is UTF-16 or UTF-32 text; vna-ner reads UTF-8 JSON: " + CHOOSE)
        stream.seek(3 if head.startswith(codecs.BOM_UTF8) else 0)
        yield from _Items(stream, path).items()


def is_json_min(item: Any, schema: Schema) -> bool:
    """Whether ``item`` is a JSON-MIN record: a flat object holding the text, without a ``data`` object."""
    return isinstance(item, dict) and "data" not in item and schema.text_key in item


def iter_raw_tasks(path: Path, schema: Schema) -> Iterator[tuple[Any, str | None]]:
    """Each task of an export in Label Studio's JSON shape, with the problem that makes it unreadable, if any
    (a lone surrogate; JSON-MIN records of one task that disagree on its data).

    Consecutive JSON-MIN records of one task id (one per annotation) become one task.
    """
    for task, unreadable, _ in iter_sourced_tasks(path, schema):
        yield task, unreadable


def iter_sourced_tasks(path: Path, schema: Schema) -> Iterator[tuple[Any, str | None, str | None]]:
    """:func:`iter_raw_tasks`, with each task's JSON text when it is one item of the file (None for a task
    made of JSON-MIN records): a worker process decodes that text faster than it unpickles the task."""
    pending: list[dict[str, Any]] = []
    pending_suspect = False
    for number, (item, suspect, source) in enumerate(iter_raw_items(path), start=1):
        if number == 1 and not (isinstance(item, dict) and ("data" in item or is_json_min(item, schema))):
            raise _refuse(path, f"the first item is not a task ({_described(item, schema)}): {CHOOSE}")
        same_task = is_json_min(item, schema) and _task_id(item) == _task_id(pending[0]) if pending else False
        if pending and not same_task:
            yield *_task_of_json_min(pending, schema, pending_suspect), None
            pending, pending_suspect = [], False
        if is_json_min(item, schema):
            pending.append(item)
            pending_suspect |= suspect
        else:
            yield item, _surrogate_problem(item) if suspect else None, source
    if pending:
        yield *_task_of_json_min(pending, schema, pending_suspect), None


def _task_id(record: dict[str, Any]) -> Any:
    """A JSON-MIN record's task id; records without one never group."""
    return record.get("id", object())


def _surrogate_problem(value: Any) -> str | None:
    place = lone_surrogate(value)
    return f"a lone surrogate at {place} is not valid Unicode: fix the text of the export" if place else None


def _described(item: Any, schema: Schema) -> str:
    if not isinstance(item, dict):
        return f"a JSON {type(item).__name__.replace('dict', 'object').replace('str', 'string')}"
    keys = ", ".join(sorted(map(str, item))[:8]) or "no key"
    return f"an object with {keys}, but no 'data' object (JSON) nor '{schema.text_key}' (JSON-MIN)"


def holds_regions(value: Any) -> bool:
    """Whether a JSON-MIN field holds span regions: a list of objects with start and end."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(r, dict) and "start" in r and "end" in r for r in value)
    )


def _task_of_json_min(
    records: list[dict[str, Any]], schema: Schema, suspect: bool
) -> tuple[dict[str, Any], str | None]:
    """One task of the JSON format from the JSON-MIN records of its annotations, and its problem if any.

    Region ids, which JSON-MIN drops, are numbered ``r1``, ``r2``… per annotation; JSON-MIN has no relations.
    The records must agree on the task's data (its text above all): a task has one.
    """
    first = records[0]
    controls = {key for record in records for key, value in record.items() if _is_control(key, value, schema)}
    data = {key: value for key, value in first.items() if key not in JSON_MIN_META and key not in controls}
    problem = _surrogate_problem(records) if suspect else _disagreement(records, data, controls)
    annotations = []
    for record in records:
        if record.get("annotation_id") is None and not controls & record.keys():
            continue  # JSON-MIN's record of a task without annotation
        result = [
            {
                "id": f"r{number}",
                "from_name": key,
                "to_name": schema.to_name,
                "type": "labels",
                "value": region,
            }
            for number, (key, region) in enumerate(
                (
                    (key, region)
                    for key in sorted(controls & record.keys())
                    for region in _listed(record[key])
                ),
                start=1,
            )
        ]
        annotation = {"id": record.get("annotation_id"), "result": result}
        annotation |= {key: record[key] for key in ("created_at", "updated_at") if key in record}
        annotations.append(annotation)
    return {"id": first.get("id"), "data": data, "annotations": annotations}, problem


def _disagreement(records: list[dict[str, Any]], data: dict[str, Any], controls: set[str]) -> str | None:
    """How the JSON-MIN records of one task give it different data (a task has one text), or None."""
    for number, record in enumerate(records[1:], start=2):
        fields = data.keys() | (record.keys() - JSON_MIN_META - controls)
        differs = sorted(key for key in fields if record.get(key) != data.get(key))
        if differs:
            first, other = (shown(r.get("annotation_id")) for r in (records[0], record))
            return (
                f"its JSON-MIN records #1 and #{number} (annotations {first} and {other}) give different "
                f"{shown(differs[0])}: "
                "the records of one task must hold the same data; export the project again"
            )
    return None


def _is_control(key: str, value: Any, schema: Schema) -> bool:
    return key == schema.from_name or (
        key != schema.text_key and key not in JSON_MIN_META and holds_regions(value)
    )


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
