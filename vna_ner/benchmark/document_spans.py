"""Per-document gold and predicted entity spans, in characters, as `vna-ner eval` chunks them, for the
error analysis and the HTML report.

The chunks are the scorer's own: :func:`vna_ner.dataset.chunks.chunks` over the gold sentences in the
mode asked, after mapping labels to the coarse view when asked, as evaluate.py does. Tests check its
counts against evaluate's.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vna_ner.benchmark.error_analysis import ErrorAnalysis, Mention, analyse
from vna_ner.benchmark.evaluate import COARSE, MODES
from vna_ner.benchmark.predictions import Predictions
from vna_ner.dataset.chunks import chunks
from vna_ner.dataset.split_table import SplitTable, split_table

if TYPE_CHECKING:
    from datasets import Dataset


@dataclass(frozen=True)
class DocumentSpans:
    """One document's text, its sentences and its gold and predicted spans, in characters, sorted."""

    id: str
    text: str
    sentences: tuple[tuple[int, int], ...]
    gold: tuple[Mention, ...]
    predicted: tuple[Mention, ...]


def entity_labels(gold: SplitTable | Dataset, *, coarse: bool = False) -> tuple[str, ...]:
    """The labels of the full or coarse view, in the dataset's order."""
    return tuple(dict.fromkeys(COARSE.values())) if coarse else split_table(gold).entity_labels


def document_spans(
    gold: SplitTable | Dataset, predictions: Predictions, *, mode: str = "strict", coarse: bool = False
) -> list[DocumentSpans]:
    """Gold and predicted chunks of every document of ``gold`` in ``mode`` ("strict" or "default")."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: {', '.join(MODES)}")
    gold = split_table(gold)
    names = gold.tag_names
    columns = gold.table.select(["id", "text", "token_offsets", "ner_tags", "sentence_starts"])
    documents = []
    for index, row in enumerate(columns.to_pylist()):
        offsets = [(t["start"], t["end"]) for t in row["token_offsets"]]
        edges = [*row["sentence_starts"], len(offsets)]
        if edges[0] != 0:
            edges.insert(0, 0)
        sentences = list(itertools.pairwise(edges))
        true = [_view(names[t], coarse) for t in row["ner_tags"]]
        pred = [_view(t, coarse) for t in predictions.document_tags(index)]
        documents.append(
            DocumentSpans(
                id=row["id"],
                text=row["text"],
                sentences=tuple((offsets[a][0], offsets[b - 1][1]) for a, b in sentences if b > a),
                gold=_chunks(true, sentences, offsets, mode),
                predicted=_chunks(pred, sentences, offsets, mode),
            )
        )
    return documents


def error_analyses(
    gold: SplitTable | Dataset, predictions: Predictions, *, coarse: bool = False
) -> dict[str, tuple[list[DocumentSpans], ErrorAnalysis]]:
    """Per entity mode, the documents' spans and their error analysis."""
    found = {}
    for mode in MODES:
        documents = document_spans(gold, predictions, mode=mode, coarse=coarse)
        labels = entity_labels(gold, coarse=coarse)
        found[mode] = documents, analyse([(d.gold, d.predicted) for d in documents], labels)
    return found


def _view(tag: str, coarse: bool) -> str:
    if not coarse or tag == "O":
        return tag
    prefix, _, label = tag.partition("-")
    return f"{prefix}-{COARSE[label]}" if label in COARSE else "O"


def _chunks(
    tags: list[str], sentences: list[tuple[int, int]], offsets: list[tuple[int, int]], mode: str
) -> tuple[Mention, ...]:
    """The scorer's chunks of ``tags`` (cut at the ``sentences``), as character spans."""
    found = chunks(tags, [first for first, _ in sentences], strict=mode == "strict")
    spans = [Mention(c.label, offsets[c.first][0], offsets[c.end - 1][1]) for c in found]
    return tuple(sorted(spans, key=lambda s: (s.start, s.end, s.label)))
