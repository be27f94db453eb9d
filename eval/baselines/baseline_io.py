"""Plumbing shared by the baseline scripts: the documents they read, the prediction JSONL they write, timing,
and the two protocols they follow (:func:`run`).

Every baseline writes ``eval/predictions/<system>.<split>.jsonl`` (the format that
``vna_ner.benchmark.predictions`` reads) and ``<system>.<split>.throughput.json`` beside it, for the
validation and test splits (a model made from the train split) and for ``all`` (every document predicted
out of fold: by a model made from the other folds' documents only).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import multiprocessing
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from datasets import Dataset

ROOT = Path(__file__).resolve().parents[2]
PREDICTIONS = ROOT / "eval" / "predictions"
PREDICTED_SPLITS = ("validation", "test")
ALL = "all"
TIMING_REPEATS = 3

CharSpan = tuple[int, int, str]
T = TypeVar("T")
Model = TypeVar("Model")


@dataclass(frozen=True)
class TokenizedDocument:
    """One document of a split as the baselines see it: the dataset's own tokens and the gold spans."""

    id: str
    text: str
    tokens: list[str]
    offsets: list[tuple[int, int]]
    sentence_starts: list[int]
    entities: list[CharSpan]
    relations: list[tuple[int, int, str]] = dataclasses.field(default_factory=list)
    fold: int = 0

    @property
    def spaces(self) -> list[bool]:
        """Whether whitespace follows each token, as spaCy's ``Doc(words, spaces)`` wants it."""
        ends = [end for _, end in self.offsets]
        starts = [start for start, _ in self.offsets[1:]]
        return [start > end for start, end in zip(starts, ends, strict=False)] + [False]

    def sentences(self) -> list[tuple[int, int]]:
        """Character range ``[start, end)`` of each sentence, from its first to its last token."""
        firsts = [*self.sentence_starts, len(self.tokens)]
        return [
            (self.offsets[first][0], self.offsets[last - 1][1])
            for first, last in itertools.pairwise(firsts)
            if last > first
        ]


def tokenized_documents(dataset: Dataset) -> list[TokenizedDocument]:
    """The documents of a ``documents``-configuration split, labels as names; relations index ``entities``."""
    names = dataset.features["entities"].feature["label"].names
    relation_names = dataset.features["relations"].feature["label"].names
    documents = []
    for row in dataset:
        index = {entity["id"]: number for number, entity in enumerate(row["entities"])}
        documents.append(
            TokenizedDocument(
                id=row["id"],
                text=row["text"],
                tokens=list(row["tokens"]),
                offsets=[(o["start"], o["end"]) for o in row["token_offsets"]],
                sentence_starts=list(row["sentence_starts"]),
                entities=[(e["start"], e["end"], names[e["label"]]) for e in row["entities"]],
                relations=[
                    (index[r["head"]], index[r["tail"]], relation_names[r["label"]]) for r in row["relations"]
                ],
                fold=row["fold"],
            )
        )
    return documents


def sentence_bounds(document: TokenizedDocument) -> list[tuple[int, int]]:
    """Token range ``[first, end)`` of each sentence of ``document``."""
    firsts = sorted({0, *document.sentence_starts})
    return [(a, b) for a, b in itertools.pairwise([*firsts, len(document.tokens)]) if b > a]


def gold_tags(document: TokenizedDocument) -> list[str]:
    """IOB2 tags of ``document``'s tokens from its gold entities (tokens never cross a gold boundary)."""
    tags = ["O"] * len(document.tokens)
    for start, end, label in document.entities:
        inside = [i for i, (s, e) in enumerate(document.offsets) if s >= start and e <= end]
        for n, i in enumerate(inside):
            tags[i] = f"{'B' if n == 0 else 'I'}-{label}"
    return tags


def load_documents(split: str) -> list[TokenizedDocument]:
    """The documents of a split of the shipped dataset; ``all``: every document, train first."""
    import vna_ner

    return tokenized_documents(vna_ner.load(split=split))


def prediction_line(
    document_id: str, entities: Iterable[CharSpan], relations: Iterable[tuple[int, int, str]] | None = None
) -> dict:
    """One JSONL line; relations (if any) are ``(head, tail, label)`` indices into ``entities`` as given."""
    line: dict = {
        "id": document_id,
        "entities": [{"start": s, "end": e, "label": label} for s, e, label in entities],
    }
    if relations is not None:
        line["relations"] = [{"head": h, "tail": t, "label": label} for h, t, label in relations]
    return line


def write_predictions(system: str, split: str, lines: list[dict]) -> Path:
    """Write ``eval/predictions/<system>.<split>.jsonl``, one document per line, byte-stable."""
    path = PREDICTIONS / f"{system}.{split}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for line in lines:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    return path


def timed(predict: Callable[[], T], repeats: int = TIMING_REPEATS) -> tuple[T, float]:
    """Run ``predict`` ``repeats`` times: its (deterministic) result, and the median wall-clock seconds."""
    seconds = []
    result: T
    for _ in range(repeats):
        started = time.perf_counter()
        result = predict()
        seconds.append(time.perf_counter() - started)
    return result, statistics.median(seconds)


def write_throughput(system: str, split: str, documents: list[TokenizedDocument], seconds: float) -> Path:
    """Write ``<system>.<split>.throughput.json``: tokens per second of the prediction step over the split."""
    tokens = sum(len(document.tokens) for document in documents)
    record = {
        "tokens": tokens,
        "seconds": round(seconds, 4),
        "tokens_per_second": round(tokens / seconds) if seconds > 0 else None,
        "protocol": (
            f"prediction step only (model loading excluded), wall clock over the whole split, "
            f"median of {TIMING_REPEATS} runs, CPU only, {os.cpu_count()} cores"
        ),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    path = PREDICTIONS / f"{system}.{split}.throughput.json"
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path


def fold_predictions(
    documents: list[TokenizedDocument],
    fold: int,
    fit: Callable[[list[TokenizedDocument]], Model],
    predict: Callable[[Model, list[TokenizedDocument]], list[dict]],
) -> tuple[list[dict], float]:
    """The lines of ``fold``'s documents predicted by ``fit`` of the other folds' documents, each declaring
    the fold its model was made without (``"fold"``, which ``vna-ner eval`` checks); and its seconds."""
    held_out = [document for document in documents if document.fold == fold]
    model = fit([document for document in documents if document.fold != fold])
    predicted, seconds = timed(lambda: predict(model, held_out))
    if [line["id"] for line in predicted] != [document.id for document in held_out]:
        raise ValueError(f"fold {fold}: the prediction lines are not the fold's documents, in order")
    return [{"id": line["id"], "fold": fold} | line for line in predicted], seconds


_fold_work: Callable[[int], tuple[list[dict], float]] | None = None
"""The work of one fold, set before :func:`out_of_fold` forks its processes, which inherit it (closures
cannot be pickled; only the fold number and the results cross between processes)."""


def _forked_fold(fold: int) -> tuple[list[dict], float]:
    """:data:`_fold_work` of ``fold``, in a forked process."""
    assert _fold_work is not None
    return _fold_work(fold)


def out_of_fold(
    documents: list[TokenizedDocument],
    fit: Callable[[list[TokenizedDocument]], Model],
    predict: Callable[[Model, list[TokenizedDocument]], list[dict]],
    jobs: int = 1,
) -> tuple[list[dict], float]:
    """Each fold's documents predicted by ``fit`` of the other folds' documents (never of their own).

    The prediction lines in the order of ``documents`` and the prediction seconds summed over the folds.
    ``jobs`` > 1 runs that many folds at once in forked processes; each fit seeds itself, so the lines are
    the same for any ``jobs`` (the seconds, measured beside another fold's training, are not comparable).
    """
    global _fold_work
    folds = sorted({document.fold for document in documents})
    work = functools.partial(fold_predictions, documents, fit=fit, predict=predict)
    if jobs > 1:
        previous, _fold_work = _fold_work, work  # restored after: a fit may itself run out_of_fold
        try:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
                results = list(pool.map(_forked_fold, folds))
        finally:
            _fold_work = previous
    else:
        results = [work(fold) for fold in folds]
    lines = {line["id"]: line for fold_lines, _ in results for line in fold_lines}
    return [lines[document.id] for document in documents], sum(seconds for _, seconds in results)


def run(
    system: str,
    fit: Callable[[list[TokenizedDocument]], Model],
    predict: Callable[[Model, list[TokenizedDocument]], list[dict]],
    fit_train: Callable[[list[TokenizedDocument]], Model] | None = None,
    jobs: int = 1,
) -> None:
    """Write ``system``'s predictions: validation and test by a model of the train split (``fit_train``,
    default ``fit``), and ``all`` out of fold (:func:`out_of_fold`, with ``fit``, ``jobs`` folds at once)."""
    model = (fit_train or fit)(load_documents("train"))
    for split in PREDICTED_SPLITS:
        documents = load_documents(split)
        lines, seconds = timed(lambda documents=documents: predict(model, documents))
        print(write_predictions(system, split, lines), write_throughput(system, split, documents, seconds))
    documents = load_documents(ALL)
    lines, seconds = out_of_fold(documents, fit, predict, jobs)
    print(write_predictions(system, ALL, lines), write_throughput(system, ALL, documents, seconds))
