"""Build the Arrow splits from a Label Studio export: validate, tokenize, tag, split, write.

One streaming read of the export keeps memory small: each task is validated, what splitting needs is
kept (:class:`~vna_ner.dataset.split.CorpusSummary`, packed columns), and the document is tokenized,
packed into Arrow columns (:mod:`~vna_ner.dataset.encode`) and staged on disk in export order. Once
the splits are assigned, the staged rows are streamed into their split's files, in small batches,
while the manifest's entries go to temporary files. The per-document work (tokenizing, tagging,
hashing, packing) can run in worker processes (``workers``); the output is the same for any number.
Everything is written to a staging folder that replaces
``out`` only on success, so a failed build leaves nothing half-written; which folders ``out`` may be,
and the swap, are :mod:`vna_ner.dataset.build_folder`'s.

The folder is a Hugging Face dataset: Arrow files (or Parquet, the Hub viewer's format), and a card
(``README.md``) whose YAML names each configuration's files and features, so that plain
``datasets.load_dataset(out, "sentences")`` reads it. A card already in ``out`` that a build did not
write (the project's own, from ``vna-ner card``) is kept.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import tempfile
import threading
import warnings
from collections.abc import Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any, TextIO

import ijson
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from datasets import Features
from datasets.arrow_writer import ArrowWriter, ParquetWriter
from tqdm.auto import tqdm

from vna_ner.dataset.align import LANGUAGE, pipeline
from vna_ner.dataset.build_folder import (
    CARD,
    MANIFEST,
    check_out,
    manifest_entries,
    remove_dead_staging,
    staged,
)
from vna_ner.dataset.card import generic_card
from vna_ner.dataset.encode import HASH, Encoding, aligned, compact, document_batch, sentence_table
from vna_ner.dataset.features import FORMATS, SPLITS, document_features, features_for
from vna_ner.dataset.folds import FOLDS, FoldAssignment, KeptFolds, assign_folds
from vna_ner.dataset.split import RATIOS, Assignment, CorpusSummary, KeptSplits, assign_splits, missing_labels
from vna_ner.dataset.stats import Tally
from vna_ner.dataset.workers import Job, fork_context, read_in_workers
from vna_ner.documents import Document
from vna_ner.errors import InputError, Problem
from vna_ner.labelstudio.account import Account
from vna_ner.labelstudio.export import ExportReading, OffsetPolicy, Unannotated, iter_documents
from vna_ner.labelstudio.schema import Schema

WRITER_BATCH = 100  # rows of each record batch (Parquet: row group) of a split file
FOLD = pa.field("fold", pa.int32())  # assigned once every document is read: added as the rows are written
STAGED = 256  # documents tokenized, packed and staged together (the unit of work of a worker process)


def previous_splits(out: Path) -> KeptSplits:
    """The split of each document of the build in ``out``, streamed from its manifest; empty if none."""
    manifest = Path(out) / MANIFEST
    if not manifest.exists():
        return KeptSplits.of([])
    try:
        with manifest.open("rb") as stream:
            return KeptSplits.of((document, split) for document, split, _ in manifest_entries(stream))
    except (OSError, ValueError, ijson.JSONError) as error:
        reason = " ".join(str(error).split())
        raise InputError([Problem(str(manifest), f"not a vna-ner manifest: {reason}")]) from None


def previous_folds(out: Path, count: int = FOLDS) -> KeptFolds:
    """The fold of each document of the build in ``out``, streamed from its manifest; empty if there is
    none, if it has no folds (a build older than folds) or if it has another number of folds than ``count``.
    """
    manifest = Path(out) / MANIFEST
    if not manifest.exists():
        return KeptFolds.of([], count)
    try:
        with manifest.open("rb") as stream:  # checked first: the header is then read as a build wrote it
            for _ in manifest_entries(stream):
                pass
        folds = read_folds(out)
        if folds is None or folds.get("count") != count:
            return KeptFolds.of([], count)
        with manifest.open("rb") as stream:
            entries = manifest_entries(stream)
            return KeptFolds.of(
                ((document, fold) for document, _, fold in entries if fold is not None), count
            )
    except (OSError, ValueError, ijson.JSONError) as error:
        reason = " ".join(str(error).split())
        raise InputError([Problem(str(manifest), f"not a vna-ner manifest: {reason}")]) from None


def read_assignment(out: Path) -> dict[str, Any]:
    """How the build in ``out`` assigned its documents (the manifest's ``assignment``), read without
    reading the document list after it.
    """
    with (Path(out) / MANIFEST).open("rb") as stream:
        return next(ijson.items(stream, "assignment", use_float=True))


def read_folds(out: Path) -> dict[str, Any] | None:
    """How the build in ``out`` assigned its documents to folds (the manifest's ``folds``), or None for a
    build without folds; the document list is not read.
    """
    with (Path(out) / MANIFEST).open("rb") as stream:
        return next(ijson.items(stream, "folds", use_float=True), None)


def document_rows(
    document: Document, language: str = LANGUAGE, fold: int = 0
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ``documents`` row and the ``sentences`` rows of one document, tokenized for ``language``,
    both carrying the document's cross-validation ``fold``, as Python values (labels as names).

    Raises :class:`InputError` if the tags do not give back exactly the gold entities.
    """
    labels = sorted({span.label for span in document.entities})
    tag_names = ["O", *(f"{p}-{label}" for label in labels for p in ("B", "I"))]
    tagged, failure = aligned([document], labels, language)
    if failure is not None:
        raise failure
    starts, ends, firsts = tagged.tokens.of(0)
    offsets = list(zip(starts.tolist(), ends.tolist(), strict=True))
    tags = [tag_names[code] for code in tagged.tags.tolist()]
    sentence_starts = firsts.tolist()
    tokens = [document.text[start:end] for start, end in offsets]
    row = {
        "id": document.id,
        "fold": fold,
        "text": document.text,
        "tokens": tokens,
        "token_offsets": [{"start": start, "end": end} for start, end in offsets],
        "ner_tags": tags,
        "sentence_starts": sentence_starts,
        "entities": [
            {"id": s.id, "start": s.start, "end": s.end, "label": s.label, "text": s.text}
            for s in sorted(document.entities)
        ],
        "relations": [{"head": r.head, "tail": r.tail, "label": r.label} for r in sorted(document.relations)],
        "provenance": [{"source": p.source, "offset": p.offset} for p in document.provenance],
    }
    bounds = [*sentence_starts, len(tokens)]
    sentences = [
        {
            "id": f"{document.id}:s{number:03d}",
            "document_id": document.id,
            "fold": fold,
            "tokens": tokens[first:last],
            "ner_tags": tags[first:last],
        }
        for number, (first, last) in enumerate(itertools.pairwise(bounds))
    ]
    return row, sentences


class _SplitWriters:
    """One Arrow (or Parquet) writer per split of one configuration, under one folder, fed with Arrow
    tables and writing record batches of exactly :data:`WRITER_BATCH` rows (the last one fewer), as
    ``ArrowWriter`` fed one encoded row at a time would.
    """

    def __init__(self, folder: Path, schema: Schema, config: str, fmt: str = "arrow"):
        self.writers: dict[str, ArrowWriter] = {}
        self.pending: dict[str, list[pa.Table]] = {}
        self.sizes: dict[str, tuple[int, int]] = {}  # (rows, bytes) of each split, once closed
        writer_class = ParquetWriter if fmt == "parquet" else ArrowWriter
        (folder / config).mkdir(parents=True)
        features: Features = features_for(config, schema)
        for split in SPLITS:
            self.writers[split] = writer_class(
                features=features,
                path=str(folder / config / f"{split}.{fmt}"),
                writer_batch_size=WRITER_BATCH,
            )
            self.pending[split] = []

    def write(self, split: str, rows: pa.Table) -> None:
        """Append ``rows`` to the split's file; whole batches are written, the rest is held."""
        pending = self.pending[split]
        pending.append(rows)
        held = sum(len(table) for table in pending)
        if held < WRITER_BATCH:
            return
        table = pa.concat_tables(pending).combine_chunks()
        full = held - held % WRITER_BATCH
        for first in range(0, full, WRITER_BATCH):
            self._write(split, table.slice(first, WRITER_BATCH))
        pending[:] = [table.slice(full)] if held > full else []

    def _write(self, split: str, rows: pa.Table) -> None:
        columns = [compact(column.combine_chunks()) for column in rows.columns]
        self.writers[split].write_table(pa.Table.from_arrays(columns, schema=rows.schema))

    def close(self) -> None:
        for split, writer in self.writers.items():
            pending = self.pending[split]
            if pending:
                self._write(split, pa.concat_tables(pending))
                pending.clear()
            self.sizes[split] = writer.finalize()
            writer.close()


def build(
    export: Path,
    schema: Schema,
    out: Path,
    *,
    offsets: OffsetPolicy = "convert",
    progress: bool = True,
    keep: KeptSplits | None = None,
    unannotated: Unannotated = "leave-out",
    account: Account | None = None,
    ratios: tuple[float, ...] = RATIOS,
    seed: int = 0,
    split_field: str | None = None,
    language: str = LANGUAGE,
    fmt: str = "arrow",
    folds: int = FOLDS,
    keep_folds: KeptFolds | None = None,
    workers: int = 1,
) -> dict[str, dict[str, Any]]:
    """Build ``out/<config>/<split>.<fmt>``, ``out/manifest.json`` and the card from ``export``; return
    the statistics (those of :func:`~vna_ner.dataset.stats.split_statistics`, counted while writing).

    Documents in ``keep`` (e.g. :func:`previous_splits` of the last build) stay in their split; the
    others are assigned by :func:`~vna_ner.dataset.split.assign_splits` with ``ratios`` and ``seed``.
    With ``split_field``, every document goes where its task's ``data[split_field]`` says instead.
    Every document also gets one of ``folds`` cross-validation folds, whatever its split
    (:func:`~vna_ner.dataset.folds.assign_folds` with ``seed``); those in ``keep_folds`` keep theirs.
    The manifest records how documents were assigned, what gave way and which labels each split lacks.
    Scratch files (sentence digests, manifest entries) live in the staging folder next to ``out``, not
    in the system's temporary folder.
    ``unannotated`` and ``account`` are those of :func:`~vna_ner.labelstudio.export.iter_documents`.
    With ``workers`` above 1, that many processes validate, tokenize and pack the tasks while this one
    parses the export (:mod:`~vna_ner.dataset.workers`; each holds a copy of the tokenizer: about 190 MB
    more per worker); the files, the account and any error are the same for any number.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    pipeline(language)  # an unknown language fails here, before any work (workers are forked with it)
    reading = {"offsets": offsets, "unannotated": unannotated, "split_field": split_field}
    out = check_out(out, [export])  # before any work: refused unless empty, absent or an earlier build
    created = next((p for p in reversed([out.parent, *out.parent.parents]) if not p.exists()), None)
    out.parent.mkdir(parents=True, exist_ok=True)
    export_digest = _Digest(export)  # hashed in a thread while the export is read: hashlib frees the GIL
    columns = pa.schema(document_features(schema).type)
    staged_columns = columns.remove(columns.get_field_index(FOLD.name))
    encoding = Encoding(language, schema.entity_labels, schema.relation_labels, staged_columns)
    built = False
    try:
        with staged(out) as folder:
            with (
                CorpusSummary(schema.entity_labels, scratch=folder.parent) as corpus,  # beside the build
                _Staging(folder.parent, encoding) as staging,
            ):
                chosen = _FieldSplits(split_field)
                if workers > 1:
                    job = Job(schema, reading, encoding)
                    _read_in_workers(export, job, account, workers, progress, corpus, chosen, staging)
                else:
                    for document in _documents(export, schema, {**reading, "account": account}, progress):
                        corpus.add(document)
                        chosen.add(document.id, document.task_id, document.split)
                        staging.add(document)
                staging.finish()
                remove_dead_staging(out, keep=folder.parent)  # the input is valid: the build will write
                if split_field:
                    assignment = chosen.assignment(corpus)
                else:
                    assignment = assign_splits(corpus, ratios, fixed=keep, seed=seed)
                fold_assignment = assign_folds(corpus, folds, fixed=keep_folds, seed=seed)
                if staging.failure is not None:
                    raise staging.failure
                how = _assignment_record(assignment, split_field, ratios, seed)
                folds_how = _folds_record(fold_assignment, seed)
                header = {
                    "assignment": how,
                    "export_sha256": export_digest,
                    "folds": folds_how,
                    "format": fmt,
                    "language": language,
                }
                codes = (assignment.splits, fold_assignment.folds)
                statistics, sizes = _write(staging.path, codes, folder, schema, header, workers)
            card = generic_card(
                schema, sizes, statistics, language=language, fmt=fmt, assignment=how, folds=folds_how
            )
            (folder / CARD).write_text(card, encoding="utf-8")
        built = True
    finally:
        if created is not None and not built:
            shutil.rmtree(created, ignore_errors=True)  # the folders made for ``out`` go with it
    return statistics


def _documents(export: Path, schema: Schema, reading: dict[str, Any], progress: bool) -> Iterator[Document]:
    return tqdm(
        iter_documents(export, schema, **reading), desc="building", unit=" docs", disable=not progress
    )


class _Digest(threading.Thread):
    """The SHA-256 of a file, computed in a thread (hashlib releases the GIL on large reads)."""

    def __init__(self, path: Path):
        super().__init__(daemon=True)
        self.path = path
        self.digest: str | None = None
        self.error: OSError | None = None
        self.start()

    def run(self) -> None:
        try:
            with Path(self.path).open("rb") as stream:
                self.digest = hashlib.file_digest(stream, "sha256").hexdigest()
        except OSError as error:
            self.error = error

    def hexdigest(self) -> str:
        self.join()
        if self.error is not None:
            raise self.error
        assert self.digest is not None
        return self.digest


class _Staging:
    """Documents tokenized and packed (:func:`~vna_ner.dataset.encode.document_batch`) in batches of
    :data:`STAGED`, in export order, into an Arrow stream in ``scratch``; read back by :meth:`read`.

    Batches packed elsewhere (by worker processes) are staged in order by :meth:`stage`. ``failure`` is
    the error of the first document that could not be tagged; nothing after it is staged.
    """

    def __init__(self, scratch: Path, encoding: Encoding):
        self.encoding = encoding
        self.failure: InputError | None = None
        self._waiting: list[Document] = []
        descriptor, name = tempfile.mkstemp(prefix="staged-", suffix=".arrow", dir=scratch)
        os.close(descriptor)
        self.path = Path(name)
        self._sink = pa.OSFile(name, "wb")
        self._stream = pa.ipc.new_stream(self._sink, encoding.schema.append(pa.field(HASH, pa.string())))

    def add(self, document: Document) -> None:
        if self.failure is not None:
            return
        self._waiting.append(document)
        if len(self._waiting) == STAGED:
            self._pack()

    def stage(self, batch: pa.RecordBatch, failure: InputError | None) -> None:
        """Stage the next packed batch, unless a document before it failed."""
        if self.failure is not None:
            return
        self.failure = failure
        if len(batch):
            self._stream.write_batch(batch)

    def finish(self) -> None:
        """Stage the documents still waiting."""
        if self._waiting and self.failure is None:
            self._pack()
        self._stream.close()
        self._sink.close()

    @staticmethod
    def read(path: Path) -> Iterator[pa.RecordBatch]:
        """The batches staged in ``path``, in export order, read one at a time."""
        with pa.OSFile(str(path), "rb") as source:
            yield from pa.ipc.open_stream(source)

    def _pack(self) -> None:
        documents, self._waiting = self._waiting, []
        self.stage(*document_batch(documents, self.encoding))

    def __enter__(self) -> _Staging:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._sink.close()
        self.path.unlink(missing_ok=True)


def _read_in_workers(
    export: Path,
    job: Job,
    account: Account | None,
    workers: int,
    progress: bool,
    corpus: CorpusSummary,
    chosen: _FieldSplits,
    staging: _Staging,
) -> None:
    """Read the export as :func:`_documents` does, its tasks validated and packed by ``workers`` processes."""
    reading = ExportReading(job.schema, **job.reading, account=account)
    with tqdm(desc="building", unit=" docs", disable=not progress) as bar:
        for batch in read_in_workers(export, job, workers, STAGED):
            for message, category in batch.warnings:
                warnings.warn(message, category, stacklevel=2)
            if reading.merge(batch.piece):
                for facts in batch.facts:
                    corpus.add_facts(facts)
                for fields in batch.fields:
                    chosen.add(*fields)
                staging.stage(batch.rows, batch.failure)
                bar.update(len(batch.facts))
    reading.finish(export)
    reading.account.check_documents(str(export))


class _FieldSplits:
    """The split each task's data names (``--split-field``): one byte per document, problems listed."""

    def __init__(self, field: str | None):
        self.field = field
        self.codes = bytearray()
        self.problems: list[Problem] = []

    def add(self, document_id: str, task_id: Any, split: Any) -> None:
        """Note the split a document's task names (its ``document.split``)."""
        if not self.field:
            return
        if split not in SPLITS:
            found = "missing" if split is None else f"{split!r}"
            self.problems.append(
                Problem(
                    f"task {task_id} (document {document_id})",
                    f"data.{self.field} is {found:.60}; it must be one of {', '.join(SPLITS)}",
                )
            )
            return
        self.codes.append(SPLITS.index(split))

    def assignment(self, corpus: CorpusSummary) -> Assignment:
        if self.problems:
            raise InputError(self.problems)
        splits = np.frombuffer(bytes(self.codes), dtype=np.uint8)
        return Assignment(splits, missing=missing_labels(corpus, splits))


def _assignment_record(
    assignment: Assignment, split_field: str | None, ratios: tuple[float, ...], seed: int
) -> dict[str, Any]:
    """How the documents were assigned, for the manifest and the card."""
    missing = {split: list(labels) for split, labels in assignment.missing.items()}
    if split_field:
        return {"by": f"data.{split_field}", "missing": missing}
    return {
        "by": "balance",
        "missing": missing,
        "ratios": list(ratios),
        "relaxed": list(assignment.relaxed),
        "seed": seed,
    }


def _folds_record(assignment: FoldAssignment, seed: int) -> dict[str, Any]:
    """How the documents were assigned to folds, for the manifest and the card."""
    return {
        "count": assignment.count,
        "missing": {fold: list(labels) for fold, labels in assignment.missing.items()},
        "relaxed": list(assignment.relaxed),
        "seed": seed,
    }


def _write(
    staged: Path,
    codes: tuple[np.ndarray, np.ndarray],
    folder: Path,
    schema: Schema,
    header: dict[str, Any],
    workers: int = 1,
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, tuple[int, int]]]]:
    """Stream the staged rows into their split's files with their fold (``codes``: split and fold of each
    document, in export order); list them in the manifest; count them. With ``workers`` above 1, the
    ``sentences`` files are written by another process meanwhile (the same files: each is written by
    one writer, fed the same rows in the same order).

    ``header`` is the manifest's (its ``export_sha256`` a :class:`_Digest`). Returns the statistics
    and, per configuration and split, the rows and bytes written.
    """
    if workers == 1:
        sentences = _write_sentences(staged, codes, folder, schema, header["format"])
        statistics, documents = _write_documents(staged, codes, folder, schema, header)
    else:
        with ProcessPoolExecutor(1, mp_context=fork_context()) as process:
            beside = process.submit(_write_sentences, staged, codes, folder, schema, header["format"])
            statistics, documents = _write_documents(staged, codes, folder, schema, header)
            sentences = beside.result()
    return statistics, {"documents": documents, "sentences": sentences}


def _coded(
    staged: Path, codes: tuple[np.ndarray, np.ndarray]
) -> Iterator[tuple[pa.RecordBatch, np.ndarray, np.ndarray, np.ndarray]]:
    """The staged batches, each with the split and the fold (as int32) of its documents, and how many
    sentences each has."""
    splits, folds = codes
    first = 0
    for batch in _Staging.read(staged):
        last = first + len(batch)
        per_document = pc.list_value_length(batch["sentence_starts"]).to_numpy(zero_copy_only=False)
        yield batch, splits[first:last], folds[first:last].astype(np.int32), per_document
        first = last


def _write_sentences(
    staged: Path, codes: tuple[np.ndarray, np.ndarray], folder: Path, schema: Schema, fmt: str
) -> dict[str, tuple[int, int]]:
    """The ``sentences`` files of the staged rows (:func:`_write`); the rows and bytes of each split."""
    writers = _SplitWriters(folder, schema, "sentences", fmt)
    with ExitStack() as stack:
        stack.callback(writers.close)
        for batch, batch_splits, batch_folds, per_document in _coded(staged, codes):
            sentence_splits = np.repeat(batch_splits, per_document)
            sentences = sentence_table(batch).add_column(
                2, FOLD, pa.array(np.repeat(batch_folds, per_document))
            )
            for number, split in enumerate(SPLITS):
                if (batch_splits == number).any():
                    writers.write(split, sentences.filter(pa.array(sentence_splits == number)))
    return writers.sizes


def _write_documents(
    staged: Path, codes: tuple[np.ndarray, np.ndarray], folder: Path, schema: Schema, header: dict[str, Any]
) -> tuple[dict[str, dict[str, Any]], dict[str, tuple[int, int]]]:
    """The ``documents`` files of the staged rows, the manifest and the statistics (:func:`_write`)."""
    writers = _SplitWriters(folder, schema, "documents", header["format"])
    tally = Tally(SPLITS, schema.entity_labels, schema.relation_labels)
    with ExitStack() as stack:
        stack.callback(writers.close)
        listed = {
            split: stack.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8", dir=folder))
            for split in SPLITS
        }
        for batch, batch_splits, batch_folds, per_document in _coded(staged, codes):
            documents = pa.Table.from_batches([batch]).add_column(1, FOLD, pa.array(batch_folds))
            for number, split in enumerate(SPLITS):
                chosen = batch_splits == number
                if not chosen.any():
                    continue
                rows = documents.filter(pa.array(chosen))
                writers.write(split, rows.drop_columns([HASH]))
                entries = zip(
                    rows["fold"].to_pylist(), rows["id"].to_pylist(), rows[HASH].to_pylist(), strict=True
                )
                listed[split].writelines(
                    json.dumps({"fold": fold, "id": i, "sha256": h}) + "\n" for fold, i, h in entries
                )
                tally.add(
                    split,
                    documents=len(rows),
                    sentences=int(per_document[chosen].sum()),
                    tokens=int(pc.sum(pc.list_value_length(rows["tokens"])).as_py() or 0),
                    entities=_label_counts(rows["entities"], schema.entity_labels),
                    relations=_label_counts(rows["relations"], schema.relation_labels),
                )
        header = {**header, "export_sha256": header["export_sha256"].hexdigest()}
        with (folder / MANIFEST).open("w", encoding="utf-8") as manifest:
            write_manifest(manifest, header, listed, version=package_version("vna-ner"))
    return tally.statistics(), writers.sizes


def _label_counts(lists: pa.ChunkedArray, names: tuple[str, ...]) -> dict[str, int]:
    """Label name -> occurrences in a column of lists of structs with a class-label ``label`` field."""
    codes = pc.struct_field(pc.list_flatten(lists), "label").to_numpy()
    return dict(zip(names, np.bincount(codes, minlength=len(names)).tolist(), strict=True))


def _indented(entry: Any) -> str:
    """``json.dumps(entry, indent=2, sort_keys=True)`` indented by 6 more spaces. A flat object (every
    manifest entry) is written member by member with the C encoder; ``indent`` alone selects the
    pure-Python one, which took several percent of a build."""
    if not isinstance(entry, dict) or not entry or any(isinstance(v, (dict, list)) for v in entry.values()):
        return json.dumps(entry, indent=2, sort_keys=True).replace("\n", "\n      ")
    members = ",\n        ".join(
        f"{json.dumps(key)}: {json.dumps(value)}" for key, value in sorted(entry.items())
    )
    return "{\n        " + members + "\n      }"


def write_manifest(
    out: TextIO, header: Mapping[str, Any], listed: Mapping[str, TextIO], *, version: str | None = None
) -> None:
    """Write the manifest as ``json.dumps(..., indent=2, sort_keys=True)`` would, streaming its entries.

    ``header`` holds the keys that sort before ``splits`` (the export's digest, how documents were
    assigned, ...); ``listed`` maps each split to a file of its entries, one JSON object per line, in
    build order; ``version``, the release the splits belong to (the package's version), is written if given.
    """
    if not header or max(header) >= "splits":
        raise ValueError(f"manifest header keys must sort before 'splits', got {sorted(header)}")
    out.write(json.dumps(dict(header), indent=2, sort_keys=True)[:-2] + ',\n  "splits": {')
    for number, split in enumerate(sorted(listed)):
        out.write(f"{',' if number else ''}\n    {json.dumps(split)}: [")
        entries = listed[split]
        entries.seek(0)
        written = 0
        for line in entries:
            out.write(f"{',' if written else ''}\n      {_indented(json.loads(line))}")
            written += 1
        out.write("\n    ]" if written else "]")
    out.write("\n  }" + (f',\n  "version": {json.dumps(version)}' if version else "") + "\n}\n")
