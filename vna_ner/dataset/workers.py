"""An export's tasks validated, tokenized and packed by worker processes (``vna-ner build --workers N``).

The main process only parses the export's JSON and hands out batches of tasks as their JSON text (a
worker decodes it again in less time than it would take to unpickle the parsed task, and no task is
nested deeper for a worker than for the reader). Each worker reads
its batch as a piece of the export (:class:`~vna_ner.labelstudio.export.ExportReading`), tokenizes and
packs its documents (:func:`~vna_ner.dataset.encode.document_batch`) and finds what splitting needs of
them (:func:`~vna_ner.dataset.split.document_facts`). The results come back in export order and are
merged as one pass would have made them, so a build is the same for any number of workers.
"""

from __future__ import annotations

import json
import multiprocessing
import warnings
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from vna_ner.dataset.align import pipeline
from vna_ner.dataset.encode import Encoding, document_batch
from vna_ner.dataset.split import DocumentFacts, document_facts
from vna_ner.errors import InputError, Problem
from vna_ner.labelstudio.export import ExportReading, ReadPiece
from vna_ner.labelstudio.formats import iter_sourced_tasks
from vna_ner.labelstudio.schema import Schema
from vna_ner.spans import shown

RawTask = tuple[int, str, str | None]  # position in the export, the task's JSON text, why it is unreadable


@dataclass(frozen=True, slots=True)
class Job:
    """What every batch of one build needs: sent to each worker once, when it starts."""

    schema: Schema
    reading: dict[str, Any]  # the options of ExportReading: offsets, unannotated, split_field
    encoding: Encoding


@dataclass(slots=True)
class Batch:
    """A batch of tasks read, tokenized and packed, in export order."""

    piece: ReadPiece
    facts: list[DocumentFacts]  # of each document given back, in order
    fields: list[tuple[str, Any, Any]]  # each document's id, task id and split (``--split-field``)
    rows: pa.RecordBatch
    failure: InputError | None  # the first document that cannot be tagged; ``rows`` stop before it
    warnings: list[tuple[str, type[Warning]]]  # said while reading, to be said again by the build


_job: Job | None = None  # the worker's, set by _start


def _start(job: Job) -> None:
    global _job
    _job = job


def read_batch(tasks: list[RawTask]) -> Batch:
    """Read, tokenize and pack ``tasks`` (in a worker process)."""
    job = _job
    assert job is not None, "read_batch runs in a worker started by read_in_workers"
    pipeline(job.encoding.language)  # built by the build before the workers were forked, if they were
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        reading = ExportReading(job.schema, **job.reading, piece=True)
        documents = []
        for number, source, unreadable in tasks:
            document = reading.document(json.loads(source), number, unreadable)  # the main process's decoder
            if document is not None:
                documents.append(document)
    labels = job.schema.entity_labels
    rows, failure = document_batch(documents, job.encoding)
    return Batch(
        reading.piece(),
        [document_facts(document, labels) for document in documents],
        [(document.id, document.task_id, document.split) for document in documents],
        rows,
        failure,
        [(str(warning.message), warning.category) for warning in said],
    )


def fork_context() -> multiprocessing.context.BaseContext:
    """Processes forked where the system can (they start at once, with the tokenizer already built)."""
    return multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)


def read_in_workers(export: Path, job: Job, workers: int, size: int) -> Iterator[Batch]:
    """The export's tasks in batches of ``size``, each read by one of ``workers`` processes, in order.

    At most two batches per worker are in flight, so memory does not grow with the export.
    """
    running: deque[Future[Batch]] = deque()
    waiting: list[RawTask] = []
    with ProcessPoolExecutor(workers, mp_context=fork_context(), initializer=_start, initargs=(job,)) as pool:
        try:
            try:
                tasks = iter_sourced_tasks(export, job.schema)
                for number, (raw, unreadable, source) in enumerate(tasks, start=1):
                    waiting.append((number, source if source is not None else _text(raw, export), unreadable))
                    if len(waiting) == size:
                        running.append(pool.submit(read_batch, waiting))
                        waiting = []
                    while len(running) >= 2 * workers or (running and running[0].done()):
                        yield running.popleft().result()
            except InputError:  # the file breaks off: what was read before says its warnings first
                yield from _read_now(pool, running, waiting)
                raise
            yield from _read_now(pool, running, waiting)
        finally:
            pool.shutdown(cancel_futures=True)


def _text(task: Any, export: Path) -> str:
    """The JSON text of a task merged from JSON-MIN records: sent as text like every task, so that no
    task is pickled (pickling nests twice as deep as the JSON reader, which read every record)."""
    try:
        return json.dumps(task, ensure_ascii=False)
    except RecursionError:
        raise InputError(
            [Problem(str(export), f"task {shown(task.get('id'))} is nested too deeply")]
        ) from None


def _read_now(
    pool: ProcessPoolExecutor, running: deque[Future[Batch]], waiting: list[RawTask]
) -> Iterator[Batch]:
    """The batches in flight and the one still being filled, in order."""
    if waiting:
        running.append(pool.submit(read_batch, waiting))
    while running:
        yield running.popleft().result()
