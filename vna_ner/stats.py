"""Counts of the built dataset per split: documents, sentences, tokens, entities and relations by label.

Counted with Arrow compute functions on the (memory-mapped) tables, so no row becomes a Python object
and a large dataset costs no more memory than a small one.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from datasets import DatasetDict
from tabulate import tabulate


def split_statistics(documents: DatasetDict) -> dict[str, dict[str, Any]]:
    """Counts for each split of the ``documents`` configuration, plus a ``total`` column."""
    entity_names = documents["train"].features["entities"].feature["label"].names
    relation_names = documents["train"].features["relations"].feature["label"].names
    table: dict[str, dict[str, Any]] = {}
    for name, split in documents.items():
        rows = split.with_format("arrow")[:]
        entities = _label_counts(rows["entities"])
        relations = _label_counts(rows["relations"])
        table[name] = {
            "documents": len(split),
            "sentences": _total_length(rows["sentence_starts"]),
            "tokens": _total_length(rows["tokens"]),
            "entities": {label: entities.get(i, 0) for i, label in enumerate(entity_names)},
            "relations": {label: relations.get(i, 0) for i, label in enumerate(relation_names)},
        }
    table["total"] = {
        key: (
            {label: sum(table[s][key][label] for s in documents) for label in table["train"][key]}
            if isinstance(table["train"][key], dict)
            else sum(table[s][key] for s in documents)
        )
        for key in table["train"]
    }
    return table


def _total_length(lists: pa.ChunkedArray) -> int:
    return pc.sum(pc.list_value_length(lists)).as_py() or 0


def _label_counts(lists: pa.ChunkedArray) -> dict[int, int]:
    """Class-label index -> occurrences, over a column of lists of structs with a ``label`` field."""
    counts = pc.value_counts(pc.struct_field(pc.list_flatten(lists), "label"))
    return dict(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True))


def format_statistics(statistics: dict[str, dict[str, Any]], fmt: str = "simple") -> str:
    """A table with one column per split: sizes, then entities and relations by label."""
    columns = list(statistics)
    first = statistics[columns[0]]
    rows = [[key] + [statistics[c][key] for c in columns] for key in ("documents", "sentences", "tokens")]
    for group in ("entities", "relations"):
        rows.append([f"{group}"] + [sum(statistics[c][group].values()) for c in columns])
        rows += [[f"- {label}"] + [statistics[c][group][label] for c in columns] for label in first[group]]
    return tabulate(rows, headers=["", *columns], tablefmt=fmt, colalign=("left",))
