"""Builders of small Label Studio exports for tests, so each test states only what it is about."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vna_ner.documents import Document, Provenance, Relation, Span

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "annotations" / "labeling_config.xml"
SHARED = "Le vice-Premier ministre Le Thanh Long a reçu le 26 novembre June Kunugi à Hanoï."


def labelled_document(doc_id: str, text: str, labels: str, *, main: bool = False) -> Document:
    """One-character entities at the positions of ``labels`` (P: PER, L: LOC); a main article holds a
    relation and comes first in its source file (split and fold assignment tests)."""
    spans = [Span(i, i + 1, {"P": "PER", "L": "LOC"}[c], text[i], f"e{i}") for i, c in enumerate(labels)]
    relations = [Relation("e0", "e1", "MEETS")] if main else []
    return Document(doc_id, text, spans, relations, [Provenance(f"{doc_id}.txt", 0 if main else 9)])


def region(rid: str, start: int, end: int, text: str, label: str = "PER") -> dict[str, Any]:
    return {
        "id": rid,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": end, "text": text, "labels": [label]},
    }


def relation(head: str, tail: str, label: str = "HAS_TITLE", direction: str = "right") -> dict[str, Any]:
    return {"type": "relation", "from_id": head, "to_id": tail, "direction": direction, "labels": [label]}


def task(tid: int, text: str, result: list[dict[str, Any]], **annotation: Any) -> dict[str, Any]:
    return {
        "id": tid,
        "data": {"text": text, "doc_id": f"doc-{tid}"},
        "annotations": [{"id": tid * 10, "result": result, **annotation}],
    }


def write_export(path: Path, tasks: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    return path
