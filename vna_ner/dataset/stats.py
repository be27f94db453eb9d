"""Counts of the built dataset per split: documents, sentences, tokens, entities and relations by label.

A built dataset is counted with Arrow compute functions on its tables, so no row becomes a Python
object; the build counts what it writes as it goes, so its summary needs no second read.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from datasets import DatasetDict
from tabulate import tabulate


class Tally:
    """The summary table's numbers, added up per split: documents, sentences, tokens, labels of entities
    and relations. The build fills it document by document; :func:`split_statistics` from Arrow columns.
    """

    def __init__(self, splits: Iterable[str], entity_labels: Sequence[str], relation_labels: Sequence[str]):
        self.counts: dict[str, dict[str, Any]] = {
            split: {
                "documents": 0,
                "sentences": 0,
                "tokens": 0,
                "entities": dict.fromkeys(entity_labels, 0),
                "relations": dict.fromkeys(relation_labels, 0),
            }
            for split in splits
        }

    def add(
        self,
        split: str,
        *,
        documents: int,
        sentences: int,
        tokens: int,
        entities: Mapping[str, int],
        relations: Mapping[str, int],
    ) -> None:
        counts = self.counts[split]
        counts["documents"] += documents
        counts["sentences"] += sentences
        counts["tokens"] += tokens
        for group, labels in (("entities", entities), ("relations", relations)):
            for label, number in labels.items():
                counts[group][label] += number

    def statistics(self) -> dict[str, dict[str, Any]]:
        """Counts for each split, plus a ``total`` column."""
        table = copy.deepcopy(self.counts)
        first = next(iter(table.values()))
        table["total"] = {
            key: (
                {label: sum(table[s][key][label] for s in self.counts) for label in first[key]}
                if isinstance(first[key], dict)
                else sum(table[s][key] for s in self.counts)
            )
            for key in first
        }
        return table


def split_statistics(documents: DatasetDict) -> dict[str, dict[str, Any]]:
    """Counts for each split of the ``documents`` configuration, plus a ``total`` column."""
    entity_names = documents["train"].features["entities"].feature["label"].names
    relation_names = documents["train"].features["relations"].feature["label"].names
    tally = Tally(documents, entity_names, relation_names)
    for name, split in documents.items():
        rows = split.with_format("arrow")[:]
        tally.add(
            name,
            documents=len(split),
            sentences=_total_length(rows["sentence_starts"]),
            tokens=_total_length(rows["tokens"]),
            entities=_label_counts(rows["entities"], entity_names),
            relations=_label_counts(rows["relations"], relation_names),
        )
    return tally.statistics()


def _total_length(lists: pa.ChunkedArray) -> int:
    return pc.sum(pc.list_value_length(lists)).as_py() or 0


def _label_counts(lists: pa.ChunkedArray, names: Sequence[str]) -> dict[str, int]:
    """Label name -> occurrences, over a column of lists of structs with a class-label ``label`` field."""
    counts = pc.value_counts(pc.struct_field(pc.list_flatten(lists), "label"))
    indices, numbers = counts.field("values").to_pylist(), counts.field("counts").to_pylist()
    return {names[index]: number for index, number in zip(indices, numbers, strict=True)}


def format_statistics(statistics: dict[str, dict[str, Any]], fmt: str = "simple") -> str:
    """A table with one column per split: sizes, then entities and relations by label."""
    columns = list(statistics)
    first = statistics[columns[0]]
    rows = [[key] + [statistics[c][key] for c in columns] for key in ("documents", "sentences", "tokens")]
    for group in ("entities", "relations"):
        rows.append([f"{group}"] + [sum(statistics[c][group].values()) for c in columns])
        rows += [[f"- {label}"] + [statistics[c][group][label] for c in columns] for label in first[group]]
    return tabulate(rows, headers=["", *columns], tablefmt=fmt, colalign=("left",))
