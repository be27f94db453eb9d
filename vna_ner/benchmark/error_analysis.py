"""SemEval-2013 error analysis of entity predictions: each span's error class, the four schemas scored by
nervaluate, and a gold x predicted type confusion table.

Input: per document, the gold and the predicted spans ``(label, start, end)``, ``end`` exclusive, in any
one unit (tokens or characters); spans on one side do not overlap each other, as chunks never do.

Error classes (Segura-Bedmar et al., 2013, as nervaluate names them). Each prediction, in text order, is
paired with at most one still unpaired gold span it overlaps: the one of its type with the closest
boundaries (smallest sum of start and end distances, first on ties), else the first one — nervaluate's
pairing for its type schema. A paired prediction is *correct* (same boundaries and type), *wrong type*
(same boundaries), *wrong boundary* (same type) or *wrong type and boundary*; an unpaired prediction is
*spurious*, an unpaired gold span *missed*. Per label, classes count under the gold span's label
(spurious ones under the predicted label).

Schemas, scored by ``nervaluate.Evaluator`` over all labels and per label (per label nervaluate keeps only
the spans of that label on both sides): strict (boundaries and type), exact (boundaries), partial
(boundaries, overlap counting half) and type (overlap and type). In classes: strict counts correct as
correct and the three wrong classes as incorrect; exact counts wrong type as correct and the boundary
errors as incorrect; partial counts them as partial instead; type counts wrong boundary as correct and the
type errors as incorrect. These counts equal nervaluate's unless a prediction overlaps several gold spans
one of which another prediction also overlaps (then nervaluate pairs differently per schema).

Confusion: for each pair, gold label x predicted label; ``O`` stands for no span (the ``O`` row counts
spurious predictions by predicted label, the ``O`` column missed gold spans by gold label).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from nervaluate import Evaluator
from tabulate import tabulate

ERROR_CLASSES = ("correct", "wrong_type", "wrong_boundary", "wrong_type_and_boundary", "missed", "spurious")
ERROR_TITLES = {
    "correct": "correct",
    "wrong_type": "wrong type",
    "wrong_boundary": "wrong boundary",
    "wrong_type_and_boundary": "wrong type and boundary",
    "missed": "missed",
    "spurious": "spurious",
}
SCHEMAS = {"strict": "strict", "exact": "exact", "partial": "partial", "type": "ent_type"}
OUTCOMES = ("correct", "incorrect", "partial", "missed", "spurious")
NONE = "O"
_PAIRED = {  # (same boundaries, same type) -> class
    (True, True): "correct",
    (True, False): "wrong_type",
    (False, True): "wrong_boundary",
    (False, False): "wrong_type_and_boundary",
}


class Mention(NamedTuple):
    """An entity span: ``label`` over ``[start, end)``."""

    label: str
    start: int
    end: int


@dataclass(frozen=True)
class Match:
    """One gold span, one prediction, or a pair of them, with its error class."""

    error: str
    gold: Mention | None
    predicted: Mention | None


@dataclass(frozen=True)
class SchemaScores:
    """nervaluate's counts and scores of one schema."""

    correct: int
    incorrect: int
    partial: int
    missed: int
    spurious: int
    precision: float
    recall: float
    f1: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class ErrorAnalysis:
    """Error classes, schema scores and type confusion over some documents; ``matches`` per document."""

    labels: tuple[str, ...]
    classes: dict[str, dict[str, int]]
    schemas: dict[str, dict[str, SchemaScores]]
    confusion: dict[str, dict[str, int]]
    matches: list[list[Match]] = field(repr=False)

    def confusion_labels(self) -> list[str]:
        """The labels (and ``O``) with a count in the confusion table's row or column."""
        return [
            label
            for label in (*self.labels, NONE)
            if any(self.confusion[label].values()) or any(row[label] for row in self.confusion.values())
        ]

    def to_dict(self) -> dict[str, Any]:
        def split(table: dict[str, Any]) -> dict[str, Any]:
            return {
                "overall": table["overall"],
                "per_label": {k: v for k, v in table.items() if k != "overall"},
            }

        return {
            "classes": split(self.classes),
            "schemas": split(
                {
                    name: {s: scores.to_dict() for s, scores in row.items()}
                    for name, row in self.schemas.items()
                }
            ),
            "confusion": self.confusion,
        }


def overlaps(a: Mention, b: Mention) -> bool:
    """Whether two spans share at least one position."""
    return a.start < b.end and b.start < a.end


def classify(gold: Sequence[Mention], predicted: Sequence[Mention]) -> list[Match]:
    """The error class of every span of one document, pairing as the module docstring says.

    >>> gold = [Mention("PER", 0, 3), Mention("LOC", 5, 6)]
    >>> [m.error for m in classify(gold, [Mention("PER", 0, 2), Mention("ORG", 7, 8)])]
    ['wrong_boundary', 'missed', 'spurious']
    """
    unpaired = sorted(gold, key=_order)
    matches = []
    for span in sorted(predicted, key=_order):
        candidates = [g for g in unpaired if overlaps(g, span)]
        if not candidates:
            matches.append(Match("spurious", None, span))
            continue
        same = [g for g in candidates if g.label == span.label]
        pair = (
            min(same, key=lambda g: abs(g.start - span.start) + abs(g.end - span.end))
            if same
            else candidates[0]
        )
        unpaired.remove(pair)
        error = _PAIRED[(pair.start, pair.end) == (span.start, span.end), pair.label == span.label]
        matches.append(Match(error, pair, span))
    matches += [Match("missed", g, None) for g in unpaired]
    return sorted(matches, key=lambda m: _order(m.gold or m.predicted))  # type: ignore[arg-type]


def schema_counts(classes: dict[str, int]) -> dict[str, dict[str, int]]:
    """What each schema counts as correct, incorrect, partial, missed and spurious, from class counts."""
    boundary = classes["wrong_boundary"] + classes["wrong_type_and_boundary"]
    kept = {"missed": classes["missed"], "spurious": classes["spurious"]}
    return {
        "strict": {
            "correct": classes["correct"],
            "incorrect": classes["wrong_type"] + boundary,
            "partial": 0,
            **kept,
        },
        "exact": {
            "correct": classes["correct"] + classes["wrong_type"],
            "incorrect": boundary,
            "partial": 0,
            **kept,
        },
        "partial": {
            "correct": classes["correct"] + classes["wrong_type"],
            "incorrect": 0,
            "partial": boundary,
            **kept,
        },
        "type": {
            "correct": classes["correct"] + classes["wrong_boundary"],
            "incorrect": classes["wrong_type"] + classes["wrong_type_and_boundary"],
            "partial": 0,
            **kept,
        },
    }


def analyse(
    documents: Sequence[tuple[Sequence[Mention], Sequence[Mention]]], labels: Sequence[str]
) -> ErrorAnalysis:
    """Classes, schemas and confusion over ``documents`` (gold spans, predicted spans) with ``labels``."""
    matches = [classify(gold, predicted) for gold, predicted in documents]
    classes = {name: dict.fromkeys(ERROR_CLASSES, 0) for name in ("overall", *labels)}
    confusion = {row: dict.fromkeys((*labels, NONE), 0) for row in (*labels, NONE)}
    for match in (m for document in matches for m in document):
        label = (match.gold or match.predicted).label  # type: ignore[union-attr]
        classes["overall"][match.error] += 1
        classes[label][match.error] += 1
        confusion[match.gold.label if match.gold else NONE][
            match.predicted.label if match.predicted else NONE
        ] += 1
    return ErrorAnalysis(
        labels=tuple(labels),
        classes=classes,
        schemas=nervaluate_scores(
            [
                (
                    [_inclusive(s) for s in sorted(gold, key=_order)],
                    [_inclusive(s) for s in sorted(pred, key=_order)],
                )
                for gold, pred in documents
            ],
            labels,
        ),
        confusion=confusion,
        matches=matches,
    )


def nervaluate_scores(
    documents: Sequence[tuple[list[dict[str, Any]], list[dict[str, Any]]]], labels: Sequence[str]
) -> dict[str, dict[str, SchemaScores]]:
    """nervaluate's scores per schema, over all labels and per label (zeros for a label with no span)."""
    results: dict[str, Any] = {}
    if documents:
        true, pred = zip(*documents, strict=True)
        results = Evaluator(list(true), list(pred), tags=list(labels), loader="dict").evaluate()
    rows = {
        "overall": results.get("overall", {}),
        **{label: results.get("entities", {}).get(label, {}) for label in labels},
    }
    return {
        name: {schema: _schema_scores(row.get(key)) for schema, key in SCHEMAS.items()}
        for name, row in rows.items()
    }


def _schema_scores(result: Any) -> SchemaScores:
    if result is None:
        return SchemaScores(0, 0, 0, 0, 0, 0.0, 0.0, 0.0)
    return SchemaScores(
        *(int(getattr(result, outcome)) for outcome in OUTCOMES),
        float(result.precision),
        float(result.recall),
        float(result.f1),
    )


def _inclusive(span: Mention) -> dict[str, Any]:
    """A span as nervaluate reads it: ``end`` is its last position."""
    return {"label": span.label, "start": span.start, "end": span.end - 1}


def _order(span: Mention) -> tuple[int, int, str]:
    return span.start, span.end, span.label


def format_error_analysis(analysis: ErrorAnalysis, title: str = "") -> str:
    """Terminal tables: error classes per label, schema scores overall and per label, type confusion."""
    names = ("overall", *analysis.labels)
    classes = tabulate(
        [[name, *analysis.classes[name].values()] for name in names if any(analysis.classes[name].values())],
        headers=["label", *(ERROR_TITLES[c] for c in ERROR_CLASSES)],
    )
    overall = analysis.schemas["overall"]
    schemas = tabulate(
        [
            [schema, *(getattr(s, o) for o in OUTCOMES), s.precision, s.recall, s.f1]
            for schema, s in overall.items()
        ],
        headers=["schema", *OUTCOMES, "P", "R", "F1"],
        floatfmt=".4f",
    )
    per_label = tabulate(
        [
            [label, *(analysis.schemas[label][schema].f1 for schema in SCHEMAS)]
            for label in analysis.labels
            if any(analysis.classes[label].values())
        ],
        headers=["label", *(f"{schema} F1" for schema in SCHEMAS)],
        floatfmt=".4f",
    )
    shown = analysis.confusion_labels()
    confusion = tabulate(
        [[f"gold {row}", *(analysis.confusion[row][column] for column in shown)] for row in shown],
        headers=["", *(f"pred {column}" for column in shown)],
    )
    heading = f"{title}: " if title else ""
    return "\n\n".join(
        [
            f"{heading}error classes (SemEval-2013), per gold label (spurious: per predicted label)\n"
            f"{classes}",
            f"{heading}SemEval-2013 schemas (nervaluate)\n{schemas}",
            f"{heading}schema F1 per label (nervaluate: spans of that label only)\n{per_label}",
            f"{heading}type confusion over paired spans (O: no span; gold O = spurious, pred O = missed)\n"
            f"{confusion}",
        ]
    )
