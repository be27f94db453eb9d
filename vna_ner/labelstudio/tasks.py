"""Label Studio task files out: documents as importable tasks, with gold annotations or predictions."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from vna_ner.documents import Document, Relation, Span
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
