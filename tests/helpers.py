"""Builders of small Label Studio exports for tests, so each test states only what it is about."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "annotations" / "labeling_config.xml"


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
