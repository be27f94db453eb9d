"""A labeling config written from what an export uses: its control names, text key and labels.

For a team whose export vna-ner's default config does not describe (``vna-ner config EXPORT``). The export
is read by :mod:`~vna_ner.labelstudio.formats` (JSON, JSON-MIN or JSONL), so an unreadable file is refused
in the same line as by ``validate``. Names come from the span regions (``type`` ``labels``): their
``from_name`` and ``to_name``, and the ``data`` key whose text their offsets fit; labels are sorted, so
that the same labels give the same config (and tag ids) whatever the order of the tasks;
``<Relations>`` is written only when relations carry labels. The export is then
validated against the written config exactly as ``validate`` does, so a config is returned only if it
describes the export.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from vna_ner.errors import InputError, Problem
from vna_ner.labelstudio.export import iter_tasks
from vna_ner.labelstudio.formats import JSON_MIN_META, holds_regions, iter_raw_items, iter_raw_tasks
from vna_ner.labelstudio.schema import Schema, SchemaError, parse_schema


@dataclass
class _Used:
    """What the tasks of an export use; controls in the order first seen (dicts keep insertion order)."""

    controls: dict[tuple[str, str], None] = field(default_factory=dict)
    text_key: str | None = None
    entity_labels: dict[str, None] = field(default_factory=dict)
    relation_labels: dict[str, None] = field(default_factory=dict)

    def add(self, task: dict[str, Any]) -> None:
        data = task.get("data")
        records = [
            record
            for kind in ("annotations", "predictions")
            if isinstance(task.get(kind), list)
            for record in task[kind]
            if isinstance(record, dict) and isinstance(record.get("result"), list)
        ]
        results = [r for record in records for r in record["result"] if isinstance(r, dict)]
        spans = [r for r in results if r.get("type") == "labels" and isinstance(r.get("value"), dict)]
        for region in spans:
            names = (region.get("from_name"), region.get("to_name"))
            if all(isinstance(name, str) and name for name in names):  # else validate says what is wrong
                self.controls.setdefault(names)
            labels = region["value"].get("labels")
            for label in labels if isinstance(labels, list) else []:
                if isinstance(label, str):
                    self.entity_labels.setdefault(label)
        for region in results:
            labels = region.get("labels") if region.get("type") == "relation" else None
            for label in labels if isinstance(labels, list) else []:
                if isinstance(label, str):
                    self.relation_labels.setdefault(label)
        if self.text_key is None and spans and isinstance(data, dict):
            self.text_key = text_key(data, [region["value"] for region in spans])


def text_key(fields: dict[str, Any], regions: list[dict[str, Any]]) -> str | None:
    """The key of ``fields`` holding the text that ``regions`` (span values) point into.

    Among the non-blank strings, those every region fits (offsets in range, ``text`` equal to the slice);
    of these (or, if none fits, of all) the longest, the first on a tie.
    """
    texts = {k: v for k, v in fields.items() if isinstance(v, str) and v.strip() and k not in JSON_MIN_META}

    def fits(text: str, value: dict[str, Any]) -> bool:
        start, end = value.get("start"), value.get("end")
        if type(start) is not int or type(end) is not int or not 0 <= start < end <= len(text):
            return False
        return value.get("text") in (None, text[start:end])

    fitting = [key for key, text in texts.items() if all(fits(text, value) for value in regions)]
    return max(fitting or texts, key=lambda key: len(texts[key]), default=None)


def _provisional_schema(path: Path) -> Schema:
    """Names under which :func:`~vna_ner.labelstudio.formats.iter_raw_tasks` reads the export's format.

    Only JSON-MIN needs them (its records have no ``data``): the span control is the field holding
    regions, the text the field they fit.
    """
    first = next(islice(iter_raw_items(path), 1), (None, False, ""))[0]
    if not isinstance(first, dict) or "data" in first:
        return Schema((), ())
    controls = [k for k, v in first.items() if k not in JSON_MIN_META and holds_regions(v)]
    fields = {k: v for k, v in first.items() if k not in controls}
    key = text_key(fields, [r for c in controls for r in first[c]]) or "text"
    control = controls[0] if controls else "label"
    return Schema((), (), from_name=control, to_name="text" if control != "text" else "doc", text_key=key)


def config_xml(schema: Schema) -> str:
    """The labeling config of ``schema``'s names and labels, its values escaped by the XML writer."""
    view = ET.Element("View")
    labels = ET.SubElement(view, "Labels", name=schema.from_name, toName=schema.to_name)
    for label in schema.entity_labels:
        ET.SubElement(labels, "Label", value=label)
    ET.SubElement(view, "Text", name=schema.to_name, value=f"${schema.text_key}")
    if schema.relations_labelled:
        relations = ET.SubElement(view, "Relations")
        for label in schema.relation_labels:
            ET.SubElement(relations, "Relation", value=label)
    ET.indent(view)
    return ET.tostring(view, encoding="unicode") + "\n"


def config_of_export(path: Path) -> str:
    """A labeling config describing the export at ``path``; raises :class:`InputError` if none can.

    The export must use one span control; every problem ``validate`` finds with the written config is
    raised, so the config returned always validates the export.
    """
    path = Path(path)
    provisional = _provisional_schema(path)
    used = _Used()
    for raw, _ in iter_raw_tasks(path, provisional):
        if isinstance(raw, dict):
            used.add(raw)
    if not used.entity_labels:
        raise InputError(
            [Problem(str(path), "no labelled span region: there is no label to write a config of")]
        )
    if not used.controls:
        raise InputError([Problem(str(path), "no span region names its control (from_name and to_name)")])
    if len(used.controls) > 1:
        found = ", ".join(f"{source} -> {target}" for source, target in used.controls)
        raise InputError(
            [
                Problem(
                    str(path), f"span regions of {len(used.controls)} controls ({found}); vna-ner reads one"
                )
            ]
        )
    ((from_name, to_name),) = used.controls
    schema = Schema(
        entity_labels=tuple(sorted(used.entity_labels)),
        relation_labels=tuple(sorted(used.relation_labels)),
        from_name=from_name,
        to_name=to_name,
        text_key=used.text_key or provisional.text_key,
        relations_labelled=bool(used.relation_labels),
    )
    config = config_xml(schema)
    try:
        parsed = parse_schema(config)
    except SchemaError as error:
        raise InputError(
            [Problem(str(path), f"its labels and names make no usable config: {error}")]
        ) from None
    try:
        for _ in iter_tasks(path, parsed):
            pass
    except InputError as error:
        why = (
            "no config written: the export has problems that no labeling config fixes; fix them and run again"
        )
        raise InputError([Problem(str(path), why), *error.problems]) from None
    return config
