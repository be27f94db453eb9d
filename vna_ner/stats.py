"""Counts of the built dataset per split: documents, sentences, tokens, entities and relations by label."""

from __future__ import annotations

from collections import Counter
from typing import Any

from datasets import DatasetDict
from tabulate import tabulate


def split_statistics(documents: DatasetDict) -> dict[str, dict[str, Any]]:
    """Counts for each split of the ``documents`` configuration, plus a ``total`` column."""
    entity_names = documents["train"].features["entities"].feature["label"].names
    relation_names = documents["train"].features["relations"].feature["label"].names
    table: dict[str, dict[str, Any]] = {}
    for name, split in documents.items():
        entities = Counter(e["label"] for row in split["entities"] for e in row)
        relations = Counter(r["label"] for row in split["relations"] for r in row)
        table[name] = {
            "documents": len(split),
            "sentences": sum(len(starts) for starts in split["sentence_starts"]),
            "tokens": sum(len(tokens) for tokens in split["tokens"]),
            "entities": {label: entities[i] for i, label in enumerate(entity_names)},
            "relations": {label: relations[i] for i, label in enumerate(relation_names)},
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


def format_statistics(statistics: dict[str, dict[str, Any]], fmt: str = "simple") -> str:
    """A table with one column per split: sizes, then entities and relations by label."""
    columns = list(statistics)
    first = statistics[columns[0]]
    rows = [[key] + [statistics[c][key] for c in columns] for key in ("documents", "sentences", "tokens")]
    for group in ("entities", "relations"):
        rows.append([f"{group}"] + [sum(statistics[c][group].values()) for c in columns])
        rows += [[f"- {label}"] + [statistics[c][group][label] for c in columns] for label in first[group]]
    return tabulate(rows, headers=["", *columns], tablefmt=fmt, colalign=("left",))
