"""Score predictions against a gold split with seqeval: conlleval-compatible and strict IOB2 entity scores,
strict relation scores, and bootstrap confidence intervals.

Sequences: one per gold sentence (``sentence_starts``), so a span across a sentence break counts as two
chunks, as in CoNLL. Each entity mode is one ``seqeval.metrics.classification_report(output_dict=True)``
call: default (conlleval-compatible: an ``I-`` after ``O`` or after another type starts a chunk) and
``mode="strict", scheme=IOB2`` (only ``B-`` starts a chunk). Per label, micro and macro (over the labels in
gold or predictions, seqeval's rule); a zero division counts as 0. TP/FP/FN per label and document, for
the table and the bootstrap, come from a vectorised form of the same chunk rules (a chunk is a non-``O``
token and the ``I-`` tokens of its type after it in its sentence; strict keeps those opened by ``B-``);
tests check them document by document against seqeval's own chunkers.

Before seqeval sees them, runs of tokens that are ``O`` in both gold and prediction are cut to one ``O``:
in both modes a chunk depends only on neighbouring tags and an ``O`` after an ``O`` starts or ends
nothing, so every count is unchanged while seqeval reads far fewer tokens.

Coarse view (``coarse=True``), applied to gold and predictions alike: PER, ORG, LOC kept, EVENT and MISC
become MISC, TITLE and DATE become O. It scores entities only (relations need TITLE arguments).

Relations (JSONL predictions only): a predicted relation is right when its label, its head span (tokens
and type) and its tail span (tokens and type) all equal a gold relation's; per label and micro.

Confidence intervals: 95% percentile bootstrap of micro F1 over documents: ``bootstrap`` resamples of
the documents with replacement (numpy ``default_rng(seed)``), the same resamples for every score.
"""

from __future__ import annotations

import itertools
import json
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.compute as pc
from datasets import Dataset
from seqeval.metrics import classification_report
from seqeval.scheme import IOB2
from tabulate import tabulate

from vna_ner.benchmark.predictions import GoldTokens, Predictions, RelationKey, TokenSpan, project
from vna_ner.files import write_text_atomically

COARSE = {"PER": "PER", "ORG": "ORG", "LOC": "LOC", "EVENT": "MISC", "MISC": "MISC"}
MODES: dict[str, dict[str, Any]] = {"default": {}, "strict": {"mode": "strict", "scheme": IOB2}}
MODE_TITLES = {"default": "default mode (conlleval-compatible)", "strict": "strict mode (IOB2)"}
_AVERAGES = ("micro avg", "macro avg", "weighted avg")


@dataclass(frozen=True)
class Scores:
    """Precision, recall, F1 and support of one row; TP/FP/FN when the row is a count, not a mean."""

    p: float
    r: float
    f1: float
    support: int
    tp: int | None = None
    fp: int | None = None
    fn: int | None = None

    def to_dict(self) -> dict[str, Any]:
        row = {"p": _finite(self.p), "r": _finite(self.r), "f1": _finite(self.f1), "support": self.support}
        if self.tp is not None:
            row.update(tp=self.tp, fp=self.fp, fn=self.fn)
        return row


@dataclass(frozen=True)
class ScoreTable:
    """The scores of one kind of prediction in one mode: per label, micro, macro (entities) and CI."""

    per_label: dict[str, Scores]
    micro: Scores
    macro: Scores | None
    micro_f1_ci95: tuple[float, float] | None

    def to_dict(self) -> dict[str, Any]:
        table: dict[str, Any] = {"micro": self.micro.to_dict()}
        if self.macro is not None:
            table["macro"] = self.macro.to_dict()
        table["per_label"] = {label: row.to_dict() for label, row in self.per_label.items()}
        table["micro_f1_ci95"] = list(self.micro_f1_ci95) if self.micro_f1_ci95 else None
        return table


@dataclass(frozen=True)
class Report:
    """Everything one evaluation found, with what it was computed on.

    ``counts`` (not in :meth:`to_dict`) holds, for "default", "strict" and "relations" when scored, TP,
    predicted and gold counts per document and label (documents x labels x 3), e.g. for paired tests.
    """

    split: str | None
    view: str
    format: str
    documents: int
    tokens: int
    unprojected_spans: int
    missing_documents: int
    entities: dict[str, ScoreTable]
    relations: ScoreTable | None
    bootstrap: int
    seed: int
    counts: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "view": self.view,
            "format": self.format,
            "sequences": "gold sentences",
            "documents": self.documents,
            "tokens": self.tokens,
            "unprojected_spans": self.unprojected_spans,
            "missing_documents": self.missing_documents,
            "bootstrap": {
                "resamples": self.bootstrap,
                "seed": self.seed,
                "method": "percentile, over documents",
            },
            "entities": {mode: table.to_dict() for mode, table in self.entities.items()},
            "relations": self.relations.to_dict() if self.relations else None,
        }


def evaluate(
    gold: Dataset, predictions: Predictions, *, coarse: bool = False, bootstrap: int = 1000, seed: int = 0
) -> Report:
    """Score ``predictions`` (read against ``gold``) on the full or coarse view; see the module docstring."""
    tokens, table, tags = _prepare(gold, predictions, coarse)
    true, pred = tags.sequences()
    reports: dict[str, dict[str, Any]] = {}
    counts: dict[str, np.ndarray] = {}
    for mode, options in MODES.items():
        with warnings.catch_warnings():  # seqeval's macro mean over no label: NaN, reported as null
            warnings.simplefilter("ignore", RuntimeWarning)
            reports[mode] = classification_report(true, pred, output_dict=True, zero_division=0, **options)
        counts[mode] = tags.chunk_counts(strict=mode == "strict")
    if predictions.relations is not None and not coarse:
        counts["relations"] = _relation_counts(table, tokens, predictions.relations)
    micro = np.stack([per_document.sum(axis=1) for per_document in counts.values()], axis=1)
    intervals = dict(zip(counts, _bootstrap_f1(micro, bootstrap, seed), strict=True))
    return Report(
        split=tokens.split,
        view="coarse" if coarse else "full",
        format=predictions.format,
        documents=len(tokens.ids),
        tokens=int(tokens.bounds[-1]),
        unprojected_spans=predictions.unprojected_spans,
        missing_documents=len(predictions.missing),
        entities={
            mode: _entity_table(reports[mode], counts[mode].sum(axis=0), tags.labels, intervals[mode])
            for mode in MODES
        },
        relations=(
            _count_table(counts["relations"].sum(axis=0), tokens.relation_labels, intervals["relations"])
            if "relations" in counts
            else None
        ),
        bootstrap=bootstrap,
        seed=seed,
        counts=counts,
    )


def _view(tokens: GoldTokens, coarse: bool) -> tuple[np.ndarray, tuple[str, ...]]:
    """Tag number -> tag number in the view, and the view's entity labels."""
    names = tokens.tag_names
    if not coarse:
        return np.arange(len(names)), tokens.entity_labels
    number = {name: i for i, name in enumerate(names)}
    mapped = []
    for name in names:
        prefix, _, label = name.partition("-")
        mapped.append(number[f"{prefix}-{COARSE[label]}"] if label in COARSE else number["O"])
    return np.array(mapped), tuple(dict.fromkeys(COARSE.values()))


_O, _B, _I = 0, 1, 2


@dataclass(frozen=True, eq=False)
class _Tags:
    """Gold and predicted tag numbers of the view over all tokens, sentence starts and document bounds.

    ``prefix`` and ``kind`` give each tag number's O/B/I prefix and the index of its label (-1 for O).
    """

    names: tuple[str, ...]
    labels: tuple[str, ...]
    gold: np.ndarray
    pred: np.ndarray
    first: np.ndarray
    bounds: np.ndarray
    prefix: np.ndarray
    kind: np.ndarray

    def sequences(self) -> tuple[list[list[str]], list[list[str]]]:
        """Gold and predicted tag names per sentence for seqeval, runs of ``O`` in both cut to one ``O``."""
        both = (self.gold == self.names.index("O")) & (self.pred == self.names.index("O"))
        keep = ~(both & np.concatenate([[False], both[:-1]])) | self.first
        edges = [*(np.cumsum(keep)[self.first] - 1).tolist(), int(keep.sum())]
        names = np.array(self.names, dtype=object)
        true, pred = names[self.gold[keep]].tolist(), names[self.pred[keep]].tolist()
        return (
            [true[a:b] for a, b in itertools.pairwise(edges)],
            [pred[a:b] for a, b in itertools.pairwise(edges)],
        )

    def chunk_counts(self, *, strict: bool) -> np.ndarray:
        """TP, predicted and gold chunk counts per document and label (documents x labels x 3)."""
        true, pred = self._chunks(self.gold, strict), self._chunks(self.pred, strict)
        counts = np.zeros((len(self.bounds) - 1, len(self.labels), 3), dtype=np.int64)
        for column, keys in enumerate((np.intersect1d(true, pred, assume_unique=True), pred, true)):
            first = keys // len(self.labels) // (len(self.gold) + 1)
            document = np.searchsorted(self.bounds, first, side="right") - 1
            np.add.at(counts, (document, keys % len(self.labels), column), 1)
        return counts

    def _chunks(self, tags: np.ndarray, strict: bool) -> np.ndarray:
        """One key ``(first * (tokens + 1) + last) * labels + label`` per chunk of ``tags``."""
        prefix, kind = self.prefix[tags], self.kind[tags]
        inside = (prefix == _I) & ~self.first & (kind == np.concatenate([[-1], kind[:-1]]))
        opens = (prefix == _B) if strict else (prefix != _O) & ~inside
        firsts = np.flatnonzero(opens)
        stops = np.append(np.flatnonzero(~inside), len(tags))
        lasts = stops[np.searchsorted(stops, firsts, side="right")] - 1
        return (firsts * (len(tags) + 1) + lasts) * len(self.labels) + kind[firsts]


def _prepare(gold: Dataset, predictions: Predictions, coarse: bool) -> tuple[GoldTokens, Any, _Tags]:
    """The gold's token columns, its Arrow table, and both tag arrays in the chosen view."""
    tokens = predictions.gold
    table = gold.with_format("arrow")[:]
    if tuple(table.column("id").to_pylist()) != tokens.ids or table.num_rows != len(tokens.bounds) - 1:
        raise ValueError("these predictions were read against another gold split")
    view, labels = _view(tokens, coarse)
    column = table.column("sentence_starts").combine_chunks()
    per_document = pc.list_value_length(column).to_numpy(zero_copy_only=False)
    first = np.zeros(int(tokens.bounds[-1]), dtype=bool)
    first[pc.list_flatten(column).to_numpy() + np.repeat(tokens.bounds[:-1], per_document)] = True
    first[tokens.bounds[:-1][np.diff(tokens.bounds) > 0]] = True
    names = tokens.tag_names
    return (
        tokens,
        table,
        _Tags(
            names=names,
            labels=labels,
            gold=view[pc.list_flatten(table.column("ner_tags")).to_numpy()],
            pred=view[predictions.tags],
            first=first,
            bounds=tokens.bounds,
            prefix=np.array(["OBI".index(name[0]) for name in names]),
            kind=np.array([labels.index(name[2:]) if name[2:] in labels else -1 for name in names]),
        ),
    )


def _relation_counts(
    table: Any, tokens: GoldTokens, predicted: tuple[frozenset[RelationKey], ...]
) -> np.ndarray:
    """TP, predicted and gold relation counts per document and relation label."""
    labels = tokens.relation_labels
    counts = np.zeros((len(tokens.ids), len(labels), 3), dtype=np.int64)
    rows = zip(table.column("entities").to_pylist(), table.column("relations").to_pylist(), strict=True)
    for document, (entities, relations) in enumerate(rows):
        true = _gold_relations(tokens, document, entities, relations)
        for kind, keys in enumerate((true & predicted[document], predicted[document], true)):
            for key in keys:
                counts[document, labels.index(key.label), kind] += 1
    return counts


def _gold_relations(
    tokens: GoldTokens, document: int, entities: list[dict[str, Any]], relations: list[dict[str, Any]]
) -> frozenset[RelationKey]:
    if not relations:
        return frozenset()
    starts, ends = tokens.offsets(document)
    ranges = project(starts, ends, [(e["start"], e["end"]) for e in entities]).tolist()
    spans = {
        e["id"]: TokenSpan(first, end, tokens.entity_labels[e["label"]])
        for e, (first, end) in zip(entities, ranges, strict=True)
    }
    return frozenset(
        RelationKey(spans[r["head"]], spans[r["tail"]], tokens.relation_labels[r["label"]]) for r in relations
    )


def _bootstrap_f1(counts: np.ndarray, resamples: int, seed: int) -> list[tuple[float, float] | None]:
    """95% percentile interval of micro F1 per score; ``counts``: documents x scores x (TP, pred, gold)."""
    if resamples == 0 or len(counts) == 0:
        return [None] * counts.shape[1]
    rng = np.random.default_rng(seed)
    f1 = np.empty((resamples, counts.shape[1]))
    for b in range(resamples):
        f1[b] = _f1(counts[rng.integers(0, len(counts), len(counts))].sum(axis=0))
    low, high = np.percentile(f1, [2.5, 97.5], axis=0)
    return [(float(lo), float(hi)) for lo, hi in zip(low, high, strict=True)]


def _f1(counts: np.ndarray) -> np.ndarray:
    """F1 = 2 TP / (predicted + gold), 0 when both are 0; ``counts[..., :]`` is (TP, predicted, gold)."""
    total = counts[..., 1] + counts[..., 2]
    return np.divide(2 * counts[..., 0], total, out=np.zeros(total.shape), where=total > 0)


def _entity_table(
    report: dict[str, dict[str, Any]],
    counts: np.ndarray,
    labels: tuple[str, ...],
    interval: tuple[float, float] | None,
) -> ScoreTable:
    """Seqeval's report as a table, with TP/FP/FN from the per-document counts."""

    def row(name: str, tp: int | None = None, pred: int = 0, true: int = 0) -> Scores:
        cells = report[name]
        counted = {} if tp is None else {"tp": tp, "fp": pred - tp, "fn": true - tp}
        return Scores(
            float(cells["precision"]),
            float(cells["recall"]),
            float(cells["f1-score"]),
            int(cells["support"]),
            **counted,
        )

    per_label = {
        label: row(label, *map(int, counts[labels.index(label)]))
        for label in report
        if label not in _AVERAGES
    }
    return ScoreTable(
        per_label=per_label,
        micro=row("micro avg", *map(int, counts.sum(axis=0))),
        macro=row("macro avg"),
        micro_f1_ci95=interval,
    )


def _count_table(
    counts: np.ndarray, labels: tuple[str, ...], interval: tuple[float, float] | None
) -> ScoreTable:
    """Per-label and micro scores from (TP, predicted, gold) counts, for labels predicted or in gold."""

    def row(tp: int, pred: int, true: int) -> Scores:
        p, r = (tp / pred if pred else 0.0), (tp / true if true else 0.0)
        return Scores(p, r, 2 * p * r / (p + r) if p + r else 0.0, true, tp, pred - tp, true - tp)

    per_label = {
        label: row(*map(int, counts[i]))
        for i, label in sorted(enumerate(labels), key=lambda x: x[1])
        if counts[i, 1:].any()
    }
    return ScoreTable(
        per_label=per_label, micro=row(*map(int, counts.sum(axis=0))), macro=None, micro_f1_ci95=interval
    )


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def format_report(report: Report) -> str:
    """The report as terminal tables: per label, micro and macro, for each entity mode and relations."""
    head = (
        f"{report.split or 'gold'} split, {report.view} view, {report.format} predictions: "
        f"{report.documents} documents, {report.tokens} tokens, one sequence per gold sentence\n"
        f"unprojected spans: {report.unprojected_spans}, missing documents: {report.missing_documents}"
    )
    parts = [head]
    for mode, table in report.entities.items():
        parts.append(_format_table(f"Entities, {MODE_TITLES[mode]}", table, report))
    if report.relations is not None:
        parts.append(
            _format_table(
                "Relations (strict: label, head and tail spans with types)", report.relations, report
            )
        )
    return "\n\n".join(parts)


def _format_table(title: str, table: ScoreTable, report: Report) -> str:
    rows = [
        [label, row.p, row.r, row.f1, row.support, row.tp, row.fp, row.fn]
        for label, row in table.per_label.items()
    ]
    rows.append(
        [
            "micro",
            table.micro.p,
            table.micro.r,
            table.micro.f1,
            table.micro.support,
            table.micro.tp,
            table.micro.fp,
            table.micro.fn,
        ]
    )
    if table.macro is not None:
        rows.append(["macro", table.macro.p, table.macro.r, table.macro.f1, table.macro.support, "", "", ""])
    text = tabulate(rows, headers=["label", "P", "R", "F1", "support", "TP", "FP", "FN"], floatfmt=".4f")
    if table.micro_f1_ci95 is not None:
        low, high = table.micro_f1_ci95
        text += (
            f"\nmicro F1 95% CI [{low:.4f}, {high:.4f}] "
            f"(percentile bootstrap over documents, {report.bootstrap} resamples, seed {report.seed})"
        )
    return f"{title}\n{text}"


def write_report(report: Report, path: Path, extra: dict[str, Any] | None = None) -> None:
    """Write the report, and ``extra`` sections after it, as JSON to ``path`` atomically."""
    data = {**report.to_dict(), **(extra or {})}
    write_text_atomically(Path(path), json.dumps(data, indent=2, allow_nan=False) + "\n")
