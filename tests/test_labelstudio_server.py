"""Smoke test of a real Label Studio server: import annotated tasks, export them, compare.

Besides proving the fixture works, this pins down what Label Studio 1.23.2 does to
data on the way in and out (see the asserts marked "LS changes" / "LS keeps").
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

pytestmark = pytest.mark.labelstudio

LABELING_CONFIG = Path(__file__).resolve().parent.parent / "annotations" / "labeling_config.xml"

TEXT_1 = "Le ministre Nguyễn Văn An a rencontré le Comité populaire de Hanoï le 2 septembre."
TEXT_2 = "📝Édito : Campagne Quang Trung à Hô Chi Minh-Ville"


def _region(region_id: str, text: str, fragment: str, label: str) -> dict:
    start = text.index(fragment)
    return {
        "id": region_id,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": start + len(fragment), "text": fragment, "labels": [label]},
    }


TASKS = [
    {
        "data": {
            "text": TEXT_1,
            "doc_id": "vna-0001",
            "source": {"url": "https://example.org/a", "tags": ["politique", "Hanoï"], "n": 3},
            "sentences": [[0, 40], [41, 84]],
        },
        "meta": {"split": "train", "origin_file": "000_690ecaeb1208b8cd.txt"},
        "annotations": [
            {
                "result": [
                    _region("per1", TEXT_1, "Nguyễn Văn An", "PER"),
                    _region("org1", TEXT_1, "Comité populaire de Hanoï", "ORG"),
                    _region("date1", TEXT_1, "2 septembre", "DATE"),
                    {
                        "from_id": "per1",
                        "to_id": "org1",
                        "type": "relation",
                        "direction": "right",
                        "labels": ["MEETS"],
                    },
                ],
                "lead_time": 12.5,
            }
        ],
    },
    {
        "data": {"text": TEXT_2, "doc_id": "vna-0002"},
        "annotations": [
            {
                "result": [
                    _region("evt1", TEXT_2, "Campagne Quang Trung", "EVENT"),
                    _region("loc1", TEXT_2, "Hô Chi Minh-Ville", "LOC"),
                ]
            }
        ],
    },
]


def _regions(result: list[dict]) -> dict[str, dict]:
    return {r["id"]: r["value"] for r in result if r.get("type") == "labels"}


def _relations(result: list[dict]) -> list[tuple[str, str, list[str]]]:
    return [(r["from_id"], r["to_id"], r["labels"]) for r in result if r.get("type") == "relation"]


def test_import_export_round_trip(label_studio) -> None:
    client = label_studio.client
    project = client.projects.create(title="smoke round trip", label_config=LABELING_CONFIG.read_text())
    try:
        sent = copy.deepcopy(TASKS)
        response = client.projects.import_tasks(id=project.id, request=sent, return_task_ids=True)
        assert response.task_count == 2
        assert response.annotation_count == 2

        exported = label_studio.export_json(project.id)
        by_doc = {task["data"]["doc_id"]: task for task in exported}
        assert set(by_doc) == {"vna-0001", "vna-0002"}

        for original in TASKS:
            task = by_doc[original["data"]["doc_id"]]
            (annotation,) = task["annotations"]
            original_result = original["annotations"][0]["result"]

            # Regions: start/end/text/labels and the region ids are kept as sent.
            assert _regions(annotation["result"]) == _regions(original_result)
            # Relations: from_id/to_id and the relation labels are kept.
            assert _relations(annotation["result"]) == _relations(original_result)
            # LS keeps each result item exactly as imported: it adds no key (no "origin", no score).
            assert annotation["result"] == original_result

            # LS keeps `data` (nested objects and lists included) and `meta` unchanged.
            assert task["data"] == original["data"]
            assert task["meta"] == original.get("meta", {})

            # LS changes: server-assigned task/annotation ids and timestamps, the importing user as
            # completed_by (an int id), ground_truth defaulting to True for imported annotations.
            assert isinstance(task["id"], int)
            assert isinstance(annotation["id"], int)
            assert annotation["created_at"] and task["created_at"]
            assert isinstance(annotation["completed_by"], int)
            assert annotation["ground_truth"] is True
            assert annotation["was_cancelled"] is False
            assert task["project"] == project.id

        assert by_doc["vna-0001"]["annotations"][0]["lead_time"] == 12.5
    finally:
        client.projects.delete(id=project.id)
