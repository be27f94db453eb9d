"""Score predictions against a gold split: seqeval's entity scores in conlleval-compatible and strict IOB2
mode, relation scores in strict and boundaries mode, bootstrap confidence intervals, and every adjustment
made to the predictions.

Chunks: :func:`vna_ner.dataset.chunks.chunks`, i.e. seqeval's own extraction (``get_entities`` in default
mode, ``Entities(..., IOB2)`` in strict mode) over each gold sentence, so a chunk never crosses a sentence
break, as in CoNLL. TP, predicted and gold chunks are counted per document and label; precision, recall and
F1 follow seqeval's ``classification_report`` with ``zero_division=0``: per label, micro, and macro over
the labels in gold or predictions. The numbers equal that function's on the same sentences (the tests check
it on every committed prediction file). :func:`score_tags` is the same scoring for lists of tag sequences.

Adjustments, counted in every report: a JSONL span cutting through a token is widened to the token's edges
when read (``widened``), and a predicted span crossing a gold sentence break (a default-mode chunk of the
predicted tags read over the whole document) is cut there (``cut``). With ``strict_spans`` the chunks of
both kinds, and relations with such an argument, never count as true positives.

Coarse view (``coarse=True``), applied to gold and predictions alike: PER, ORG, LOC kept, EVENT and MISC
become MISC, TITLE and DATE become O. Labels are mapped on the tags BEFORE chunking, so ``B-EVENT I-MISC`` is
one MISC chunk in the coarse view and two in the full view (EVENT and MISC; strict mode: EVENT alone).
It scores entities only (relations need TITLE arguments). It is the project's: a dataset with any other
label is refused (another project's labels would all become O and score nothing).

Relations (JSONL predictions only), in the two modes of Taillé et al. (2020), per label and micro: in
strict mode a predicted relation is right when its label, its head span (tokens and type) and its tail span
(tokens and type) all equal a gold relation's; in boundaries mode when its label and its head and tail
token spans do, entity types ignored (each gold relation matches one prediction at most).

Confidence intervals: 95% percentile bootstrap of micro F1 over documents: ``bootstrap`` resamples of
the documents with replacement (numpy ``default_rng(seed)``), the same resamples for every score.

Cross-validation (``--split all``, a gold with a ``fold`` column): every document of every split is
scored at once (the micro scores and intervals above, over all documents), and the per-fold spread is
reported: each fold's micro F1 over its own documents, and their minimum, maximum, mean and sample
standard deviation (n - 1). With out-of-fold predictions each fold's score is that of one trained model.
A prediction file holding no relation at all is reported as "no relations predicted", not as zeros.
"""

from __future__ import annotations

import bisect
import json
import math
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow.compute as pc
from tabulate import tabulate

from vna_ner.benchmark.predictions import GoldTokens, Predictions, RelationKey, TokenSpan, project
from vna_ner.dataset.chunks import Chunk, chunks
from vna_ner.dataset.features import ALL
from vna_ner.dataset.split_table import SplitTable, split_table
from vna_ner.errors import InputError, Problem
from vna_ner.files import write_text_atomically

if TYPE_CHECKING:
    from datasets import Dataset

COARSE = {"PER": "PER", "ORG": "ORG", "LOC": "LOC", "EVENT": "MISC", "MISC": "MISC"}
COARSE_DROPPED = ("TITLE", "DATE")  # the project's other labels, O in the coarse view
MODES = ("default", "strict")
MODE_TITLES = {"default": "default mode (conlleval-compatible)", "strict": "strict mode (IOB2)"}
RELATION_MODES = {"relations": "strict", "relations_boundaries": "boundaries"}  # report key -> mode
RELATION_TITLES = {
    "relations": "Relations, strict mode (label, head and tail spans with their entity types)",
    "relations_boundaries": "Relations, boundaries mode (label, head and tail spans; entity types ignored)",
}


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

    ``widened_spans`` and ``cut_spans`` count the adjusted predicted spans of the view (see the module
    docstring) and ``strict_spans`` says whether they were scored as wrong. ``counts`` (not in
    :meth:`to_dict`) holds, for "default", "strict", and "relations" and "relations_boundaries" when
    scored, TP, predicted and gold counts per document and label (documents x labels x 3), e.g. for
    paired tests. ``relations`` is strict mode, ``relations_boundaries`` boundaries mode.
    """

    split: str | None
    view: str
    format: str
    documents: int
    tokens: int
    widened_spans: int
    cut_spans: int
    strict_spans: bool
    missing_documents: int
    entities: dict[str, ScoreTable]
    relations: ScoreTable | None
    bootstrap: int
    seed: int
    counts: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    relations_boundaries: ScoreTable | None = None
    relations_predicted: int | None = None
    folds: FoldSpread | None = None
    folds_declared: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "view": self.view,
            "format": self.format,
            "sequences": "gold sentences",
            "documents": self.documents,
            "tokens": self.tokens,
            "adjusted_spans": {
                "widened_to_token_edges": self.widened_spans,
                "cut_at_sentence_breaks": self.cut_spans,
                "scored_as": "wrong" if self.strict_spans else "adjusted",
            },
            "missing_documents": self.missing_documents,
            "bootstrap": {
                "resamples": self.bootstrap,
                "seed": self.seed,
                "method": "percentile, over documents",
            },
            "entities": {mode: table.to_dict() for mode, table in self.entities.items()},
            "relations": self.relations.to_dict() if self.relations else None,
            "relations_boundaries": self.relations_boundaries.to_dict()
            if self.relations_boundaries
            else None,
            "relations_predicted": self.relations_predicted,
            "folds": self.folds.to_dict() if self.folds else None,
            "out_of_fold_declared": self.folds_declared,
        }


@dataclass(frozen=True)
class FoldSpread:
    """Micro F1 of each fold's documents, per score (the keys of ``Report.counts``), and the documents of
    each fold; :meth:`summary` gives min, max, mean and the sample standard deviation.
    """

    documents: dict[int, int]
    f1: dict[str, dict[int, float]]

    @staticmethod
    def summary(scores: dict[int, float]) -> dict[str, float | None]:
        values = np.array(list(scores.values()), dtype=float)
        return {
            "min": float(values.min()),
            "max": float(values.max()),
            "mean": float(values.mean()),
            "std": float(values.std(ddof=1)) if len(values) > 1 else None,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": {str(fold): n for fold, n in self.documents.items()},
            "std": "sample standard deviation (n - 1) of the per-fold micro F1",
            **{
                score: {"per_fold": {str(fold): f for fold, f in f1.items()}, **self.summary(f1)}
                for score, f1 in self.f1.items()
            },
        }


def fold_spread(counts: dict[str, np.ndarray], folds: np.ndarray) -> FoldSpread:
    """Per fold, the micro F1 of each score's per-document ``counts`` (documents x labels x 3) summed over
    the fold's documents; folds in increasing order, empty ones left out.
    """
    present = sorted(int(f) for f in np.unique(folds))
    return FoldSpread(
        documents={fold: int((folds == fold).sum()) for fold in present},
        f1={
            score: {fold: float(_f1(per_document[folds == fold].sum(axis=(0, 1)))) for fold in present}
            for score, per_document in counts.items()
        },
    )


def score_tags(
    gold: Sequence[Sequence[str]],
    predicted: Sequence[Sequence[str]],
    sentence_starts: Sequence[Sequence[int]],
) -> dict[str, ScoreTable]:
    """Entity scores of ``predicted`` IOB2 tag sequences against ``gold``, per mode, without intervals.

    Each sequence (e.g. a document) is cut at its ``sentence_starts``: the numbers are seqeval's
    ``classification_report`` on the resulting sentences, in default and in strict IOB2 mode.
    """
    labels = tuple(sorted({tag[2:] for tags in (*gold, *predicted) for tag in tags if tag != "O"}))
    rows = list(zip(gold, predicted, sentence_starts, strict=True))
    tables = {}
    for mode in MODES:
        counts = np.zeros((len(labels), 3), dtype=np.int64)
        for true, pred, starts in rows:
            counts += chunk_counts(true, pred, starts, labels, strict=mode == "strict")
        tables[mode] = _table(counts, labels, None, macro=True)
    return tables


def chunk_counts(
    gold: Sequence[str],
    predicted: Sequence[str],
    sentence_starts: Sequence[int],
    labels: Sequence[str],
    *,
    strict: bool,
    wrong: Collection[int] = (),
) -> np.ndarray:
    """TP, predicted and gold chunk counts per label (labels x 3) of one tag sequence cut at its sentences.

    A predicted chunk whose first token is in ``wrong`` is never a true positive.
    """
    index = {label: number for number, label in enumerate(labels)}
    true = chunks(gold, sentence_starts, strict=strict)
    found = set(true)
    counts = np.zeros((len(labels), 3), dtype=np.int64)
    for chunk in chunks(predicted, sentence_starts, strict=strict):
        counts[index[chunk.label], 0] += chunk in found and chunk.first not in wrong
        counts[index[chunk.label], 1] += 1
    for chunk in true:
        counts[index[chunk.label], 2] += 1
    return counts


def evaluate(
    gold: SplitTable | Dataset,
    predictions: Predictions,
    *,
    coarse: bool = False,
    strict_spans: bool = False,
    bootstrap: int = 1000,
    seed: int = 0,
) -> Report:
    """Score ``predictions`` (read against ``gold``) on the full or coarse view; see the module docstring."""
    tokens = predictions.gold
    table = split_table(gold).table
    if tuple(table.column("id").to_pylist()) != tokens.ids or table.num_rows != len(tokens.bounds) - 1:
        raise ValueError("these predictions were read against another gold split")
    if coarse:
        check_coarse(tokens.entity_labels, tokens.split)
    names, labels = _view(tokens.tag_names, coarse)
    true_tags = names[pc.list_flatten(table.column("ner_tags")).to_numpy()]
    pred_tags = names[predictions.tags]
    counts = {mode: np.zeros((len(tokens.ids), len(labels), 3), dtype=np.int64) for mode in MODES}
    adjusted: list[set[int]] = []
    widened = cut = 0
    for document, starts in enumerate(table.column("sentence_starts").to_pylist()):
        first, last = int(tokens.bounds[document]), int(tokens.bounds[document + 1])
        true, pred = true_tags[first:last].tolist(), pred_tags[first:last].tolist()
        spans = chunks(pred, [0])
        stretched = [span for span in spans if predictions.widened[first + span.first]]
        broken = [span for span in spans if _crosses(span, starts)]
        widened, cut = widened + len(stretched), cut + len(broken)
        adjusted.append({i for span in {*stretched, *broken} for i in range(span.first, span.end)})
        wrong = adjusted[-1] if strict_spans else set()
        for mode in MODES:
            counts[mode][document] = chunk_counts(
                true, pred, starts, labels, strict=mode == "strict", wrong=wrong
            )
    if predictions.relations is not None and not coarse:
        wrong_arguments = adjusted if strict_spans else [set() for _ in adjusted]
        for key, mode in RELATION_MODES.items():
            counts[key] = _relation_counts(
                table, tokens, predictions.relations, wrong_arguments, boundaries=mode == "boundaries"
            )
    micro = np.stack([per_document.sum(axis=1) for per_document in counts.values()], axis=1)
    intervals = dict(zip(counts, _bootstrap_f1(micro, bootstrap, seed), strict=True))
    folds = None
    if tokens.split == ALL and tokens.folds is not None and len(tokens.ids):
        folds = fold_spread(counts, tokens.folds)
    return Report(
        split=tokens.split,
        view="coarse" if coarse else "full",
        format=predictions.format,
        documents=len(tokens.ids),
        tokens=int(tokens.bounds[-1]),
        widened_spans=widened,
        cut_spans=cut,
        strict_spans=strict_spans,
        missing_documents=len(predictions.missing),
        entities={
            mode: _table(counts[mode].sum(axis=0), labels, intervals[mode], macro=True) for mode in MODES
        },
        relations=_relation_table(counts, "relations", tokens.relation_labels, intervals),
        bootstrap=bootstrap,
        seed=seed,
        counts=counts,
        relations_boundaries=_relation_table(
            counts, "relations_boundaries", tokens.relation_labels, intervals
        ),
        relations_predicted=(
            sum(len(keys) for keys in predictions.relations) if "relations" in counts else None
        ),
        folds=folds,
        folds_declared=predictions.folds_declared,
    )


def check_coarse(labels: Sequence[str], split: str | None) -> None:
    """Refuse the coarse view of a split with labels it does not know (:class:`InputError`)."""
    unknown = [label for label in labels if label not in COARSE and label not in COARSE_DROPPED]
    if unknown:
        message = (
            f"--coarse maps the project's labels ({', '.join([*COARSE, *COARSE_DROPPED])}), and this "
            f"dataset also has {', '.join(unknown)}, which it would score as nothing; score the full view"
        )
        raise InputError([Problem(f"the {split or 'gold'} split", message)])


def _view(tag_names: Sequence[str], coarse: bool) -> tuple[np.ndarray, tuple[str, ...]]:
    """Tag number -> tag name in the view (an object array), and the view's entity labels."""
    labels = tuple(dict.fromkeys(name[2:] for name in tag_names if name != "O"))
    if not coarse:
        return np.array(tag_names, dtype=object), labels
    mapped = []
    for name in tag_names:
        prefix, _, label = name.partition("-")
        mapped.append(f"{prefix}-{COARSE[label]}" if label in COARSE else "O")
    return np.array(mapped, dtype=object), tuple(dict.fromkeys(COARSE.values()))


def _crosses(span: Chunk, sentence_starts: Sequence[int]) -> bool:
    """Whether a sentence starts strictly inside ``span`` (``sentence_starts`` sorted)."""
    after = bisect.bisect_right(sentence_starts, span.first)
    return after < len(sentence_starts) and sentence_starts[after] < span.end


def _relation_table(
    counts: dict[str, np.ndarray],
    key: str,
    labels: Sequence[str],
    intervals: dict[str, tuple[float, float] | None],
) -> ScoreTable | None:
    """The relation scores of ``counts[key]`` (None when relations were not scored)."""
    if key not in counts:
        return None
    return _table(counts[key].sum(axis=0), labels, intervals[key], macro=False)


def _relation_counts(
    table: Any,
    tokens: GoldTokens,
    predicted: tuple[frozenset[RelationKey], ...],
    wrong: Sequence[Collection[int]],
    *,
    boundaries: bool,
) -> np.ndarray:
    """TP, predicted and gold relation counts per document and relation label, in strict mode or, with
    ``boundaries``, in boundaries mode (argument types ignored; a gold relation matches one prediction).

    A relation with an argument starting at a token in its document's ``wrong`` is never a true positive.
    """
    labels = tokens.relation_labels
    counts = np.zeros((len(tokens.ids), len(labels), 3), dtype=np.int64)
    rows = zip(table.column("entities").to_pylist(), table.column("relations").to_pylist(), strict=True)
    for document, (entities, relations) in enumerate(rows):
        true = _gold_relations(tokens, document, entities, relations)
        scorable = [
            key
            for key in predicted[document]
            if key.head.first not in wrong[document] and key.tail.first not in wrong[document]
        ]

        def compared(keys: Collection[RelationKey]) -> Counter[RelationKey]:
            return Counter(key.untyped() if boundaries else key for key in keys)

        right = compared(scorable) & compared(true)
        counts[document, :, 0] = [
            sum(n for key, n in right.items() if key.label == label) for label in labels
        ]
        for key in predicted[document]:
            counts[document, labels.index(key.label), 1] += 1
        for key in true:
            counts[document, labels.index(key.label), 2] += 1
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


def _precision_recall_f1(tp: np.ndarray, pred: np.ndarray, true: np.ndarray) -> tuple[np.ndarray, ...]:
    """Seqeval's arithmetic (``_prf_divide``, beta 1) with ``zero_division=0``, operation for operation."""
    p = tp / np.where(pred == 0, 1, pred)
    r = tp / np.where(true == 0, 1, true)
    denominator = 1.0 * p + r
    denominator[denominator == 0.0] = 1
    return p, r, (1 + 1.0) * p * r / denominator


def _table(
    counts: np.ndarray, labels: Sequence[str], interval: tuple[float, float] | None, *, macro: bool
) -> ScoreTable:
    """Per-label, micro and (if ``macro``) macro rows of (TP, predicted, gold) ``counts`` (labels x 3).

    Rows are the labels in gold or predictions, sorted by name, as in seqeval's report.
    """
    order = sorted((label, i) for i, label in enumerate(labels) if counts[i, 1:].any())
    tp, pred, true = counts[[i for _, i in order]].reshape(-1, 3).T
    p, r, f1 = _precision_recall_f1(tp, pred, true)
    per_label = {
        label: Scores(
            float(p[k]),
            float(r[k]),
            float(f1[k]),
            int(true[k]),
            int(tp[k]),
            int(pred[k] - tp[k]),
            int(true[k] - tp[k]),
        )
        for k, (label, _) in enumerate(order)
    }
    total = counts.sum(axis=0)
    mp, mr, mf = (float(x[0]) for x in _precision_recall_f1(*(np.array([n]) for n in total)))
    means = (float(p.mean()), float(r.mean()), float(f1.mean())) if order else (math.nan,) * 3
    return ScoreTable(
        per_label=per_label,
        micro=Scores(
            mp, mr, mf, int(total[2]), int(total[0]), int(total[1] - total[0]), int(total[2] - total[0])
        ),
        macro=Scores(*means, int(true.sum())) if macro else None,
        micro_f1_ci95=interval,
    )


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def format_report(report: Report) -> str:
    """The report as terminal tables: per label, micro and macro, for each entity mode and relations."""
    scored = (
        "scored as wrong" if report.strict_spans else "scored as adjusted; --strict-spans scores them wrong"
    )
    head = (
        f"{report.split or 'gold'} split, {report.view} view, {report.format} predictions: "
        f"{report.documents} documents, {report.tokens} tokens, one sequence per gold sentence\n"
        f"adjusted spans: {report.widened_spans} widened to token edges, {report.cut_spans} cut at sentence "
        f"breaks ({scored}); missing documents: {report.missing_documents}"
    )
    if report.folds is not None:
        head += (
            f"\nout-of-fold: {report.folds_declared} of {report.documents} predictions declared the fold "
            "their model was trained without"
        )
    parts = [head]
    for mode, table in report.entities.items():
        parts.append(_format_table(f"Entities, {MODE_TITLES[mode]}", table, report))
    if report.relations is not None and report.relations_predicted == 0:
        gold = report.relations.micro.support
        parts.append(
            f"Relations, strict and boundaries modes\nno relations predicted ({gold} gold relations)"
        )
    elif report.relations is not None and report.relations_boundaries is not None:
        parts.append(_format_table(RELATION_TITLES["relations"], report.relations, report))
        parts.append(
            _format_table(RELATION_TITLES["relations_boundaries"], report.relations_boundaries, report)
        )
    if report.folds is not None:
        parts.append(format_fold_spread(report.folds, report.relations_predicted == 0))
    return "\n\n".join(parts)


def format_fold_spread(spread: FoldSpread, hide_relations: bool) -> str:
    """The per-fold micro F1 table: one row per fold, then min, max, mean and standard deviation."""
    scores = [s for s in ("strict", "default") if s in spread.f1]
    if not hide_relations:
        scores += [s for s in RELATION_MODES if s in spread.f1]
    headers = [
        "fold",
        "documents",
        *[f"relations {RELATION_MODES[s]} F1" if s in RELATION_MODES else f"entities {s} F1" for s in scores],
    ]
    rows: list[list[Any]] = [
        [fold, n, *[spread.f1[s][fold] for s in scores]] for fold, n in spread.documents.items()
    ]
    summaries = {s: FoldSpread.summary(spread.f1[s]) for s in scores}
    for statistic in ("min", "max", "mean", "std"):
        rows.append([statistic, "", *[summaries[s][statistic] for s in scores]])
    return "Per-fold micro F1 (each fold's documents; std: sample, n - 1)\n" + tabulate(
        rows, headers=headers, floatfmt=".4f"
    )


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
