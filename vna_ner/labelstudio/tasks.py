"""Label Studio task files out: documents as importable tasks, with gold annotations or predictions."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from vna_ner.documents import Document, Relation, Span
from vna_ner.errors import InputError, Problem
from vna_ner.files import write_text_atomically
from vna_ner.labelstudio.schema import Schema


def annotation_result(
    entities: Iterable[Span], relations: Iterable[Relation], schema: Schema
) -> list[dict[str, Any]]:
    """Label Studio ``result`` regions for spans (region id = span id) and their relations."""
    result: list[dict[str, Any]] = [
        {
            "id": span.id,
            "from_name": schema.from_name,
            "to_name": schema.to_name,
            "type": "labels",
            "value": {"start": span.start, "end": span.end, "text": span.text, "labels": [span.label]},
        }
        for span in entities
    ]
    result += [
        {
            "type": "relation",
            "from_id": relation.head,
            "to_id": relation.tail,
            "direction": "right",
            "labels": [relation.label] if schema.relations_labelled else [],
        }
        for relation in relations
    ]
    return result


def check_labels(documents: Iterable[Document], schema: Schema, source: str) -> None:
    """Refuse documents holding a label the config does not have: the Label Studio project the tasks are
    for could not show those regions. Each such label is said once, at its first document, with its count.
    """
    found: dict[tuple[str, str], tuple[str, str]] = {}  # (kind, label) -> (first document, first region)
    counts: Counter[tuple[str, str]] = Counter()
    for document in documents:
        named = [("entity", span.label, span.id) for span in document.entities]
        named += [("relation", r.label, f"relation {r.head}->{r.tail}") for r in document.relations]
        for kind, label, region in named:
            known = schema.entity_labels if kind == "entity" else schema.relation_labels
            if label not in known:
                found.setdefault((kind, label), (document.id, region))
                counts[kind, label] += 1
    problems = [
        Problem(
            f"{source}, document {document}",
            f"{kind} label {label!r} ({counts[kind, label]} in all) is not one of the config's "
            f"({', '.join(schema.entity_labels if kind == 'entity' else schema.relation_labels)}): pass "
            "the labeling config of the Label Studio project with --config",
            region,
        )
        for (kind, label), (document, region) in found.items()
    ]
    if problems:
        raise InputError(problems)


def document_to_task(
    document: Document, schema: Schema, *, as_predictions: bool = False, model_version: str = ""
) -> dict[str, Any]:
    """One importable Label Studio task holding the document as an annotation or a prediction."""
    data: dict[str, Any] = {schema.text_key: document.text, "doc_id": document.id}
    if document.provenance:
        data["provenance"] = [{"source": p.source, "offset": p.offset} for p in document.provenance]
    result = annotation_result(document.entities, document.relations, schema)
    if as_predictions:
        return {"data": data, "predictions": [{"model_version": model_version, "result": result}]}
    return {"data": data, "annotations": [{"result": result, "ground_truth": True}]}


def write_tasks(tasks: list[dict[str, Any]], path: Path) -> None:
    """Write tasks as pretty, key-sorted JSON, atomically."""
    write_text_atomically(Path(path), json.dumps(tasks, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
