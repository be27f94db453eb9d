"""The one rule for offsets and overlaps, shared by the export reader and the prediction reader."""

from __future__ import annotations

import pytest
from datasets import Dataset

from helpers import CONFIG
from vna_ner.benchmark.predictions import read_predictions
from vna_ner.dataset.build import document_rows
from vna_ner.dataset.features import document_features
from vna_ner.documents import Document
from vna_ner.errors import InputError
from vna_ner.labelstudio.schema import load_schema
from vna_ner.spans import offsets_problem, overlaps


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (True, 3, "start/end must be integers, got True/3"),
        (0, 2.0, "start/end must be integers, got 0/2.0"),
        (-1, 2, "negative offsets [-1, 2)"),
        (2, 2, "empty or reversed span [2, 2)"),
        (1, 9, "span [1, 9) is out of range for a text of 5 characters"),
        (1, 5, None),
    ],
)
def test_offsets_are_integers_not_booleans_in_order_and_in_range(start, end, expected):
    assert offsets_problem(start, end, 5) == expected


def test_an_overlap_is_found_past_a_span_nested_in_a_long_one():
    spans = [(0, 10, "long"), (2, 3, "nested"), (5, 12, "late"), (12, 14, "after")]
    assert list(overlaps(spans)) == [("long", "nested"), ("long", "late")]


def test_a_deeply_nested_prediction_line_is_a_problem_not_a_traceback(tmp_path):
    path = tmp_path / "predictions.jsonl"
    path.write_text('{"id": "d1", "entities": ' + "[" * 100_000 + "]" * 100_000 + "}\n", "utf-8")
    row, _ = document_rows(Document(id="d1", text="Hanoi."))
    gold = Dataset.from_list([row], features=document_features(load_schema(CONFIG)))
    with pytest.raises(InputError, match=r"predictions\.jsonl:1: not usable JSON: nested too deeply"):
        read_predictions(path, gold)
