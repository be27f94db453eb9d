"""Build the Arrow splits from a Label Studio export: validate, tokenize, tag, split, write.

Two streaming passes over the export keep memory small: the first validates every task and keeps
only what splitting needs (:class:`~vna_ner.dataset.split.CorpusSummary`, packed columns), the second
tokenizes each document and appends it to its split's Arrow file, in small batches, while the
manifest's entries go to temporary files. Everything is written to a staging folder that replaces
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
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any, TextIO

import ijson
import numpy as np
import pyarrow as pa
from datasets import Features
from datasets.arrow_writer import ArrowWriter, ParquetWriter
from tqdm.auto import tqdm

from vna_ner.dataset.align import (
    LANGUAGE,
    MisalignmentError,
    iob2_to_spans,
    pipeline,
    spans_to_iob2,
    tokenize,
)
from vna_ner.dataset.build_folder import (
    CARD,
    MANIFEST,
    check_out,
    manifest_entries,
    remove_dead_staging,
    staged,
)
from vna_ner.dataset.card import generic_card
from vna_ner.dataset.features import CONFIGS, FORMATS, SPLITS, features_for
from vna_ner.dataset.folds import FOLDS, FoldAssignment, KeptFolds, assign_folds
from vna_ner.dataset.split import RATIOS, Assignment, CorpusSummary, KeptSplits, assign_splits, missing_labels
from vna_ner.dataset.stats import Tally
from vna_ner.documents import Document
from vna_ner.errors import InputError, Problem
from vna_ner.labelstudio.account import Account
from vna_ner.labelstudio.export import OffsetPolicy, Unannotated, iter_documents
from vna_ner.labelstudio.schema import Schema

WRITER_BATCH = 100  # rows held per Arrow writer before a record batch is written


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


def content_hash(document: Document) -> str:
    """SHA-256 of a document's text, entities and relations in canonical JSON."""
    payload = {
        "text": document.text,
        "entities": [[s.start, s.end, s.label] for s in sorted(document.entities)],
        "relations": sorted([r.head, r.tail, r.label] for r in document.relations),
    }
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def document_rows(
    document: Document, language: str = LANGUAGE, fold: int = 0
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ``documents`` row and the ``sentences`` rows of one document, tokenized for ``language``,
    both carrying the document's cross-validation ``fold``.

    Raises :class:`InputError` if the tags do not give back exactly the gold entities.
    """
    offsets, sentence_starts = tokenize(
        document.text, [(s.start, s.end) for s in document.entities], language
    )
    gold = [(span.start, span.end, span.label) for span in sorted(document.entities)]
    try:
        tags = spans_to_iob2(offsets, gold)
    except MisalignmentError as error:
        raise InputError([Problem(f"document {document.id}", str(error))]) from error
    lost = sorted(set(gold) - set(iob2_to_spans(offsets, tags, sentence_starts)))
    if lost:
        start, end, label = lost[0]
        raise InputError(
            [
                Problem(
                    f"document {document.id}",
                    f"entity [{start}, {end}) {label} {document.text[start:end]!r} is not given back by the "
                    "IOB2 tags cut at sentence starts (it crosses a sentence break or overlaps an entity)",
                )
            ]
        )
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
    """One Arrow (or Parquet) writer per (configuration, split), all under one folder."""

    def __init__(self, folder: Path, schema: Schema, fmt: str = "arrow"):
        self.features: dict[str, Features] = {c: features_for(c, schema) for c in CONFIGS}
        self.writers: dict[tuple[str, str], ArrowWriter] = {}
        self.sizes: dict[str, dict[str, tuple[int, int]]] = {}  # (rows, bytes), once closed
        writer_class = ParquetWriter if fmt == "parquet" else ArrowWriter
        for config in CONFIGS:
            (folder / config).mkdir(parents=True)
            for split in SPLITS:
                self.writers[config, split] = writer_class(
                    features=self.features[config],
                    path=str(folder / config / f"{split}.{fmt}"),
                    writer_batch_size=WRITER_BATCH,
                )

    def write(self, config: str, split: str, row: dict[str, Any]) -> None:
        self.writers[config, split].write(self.features[config].encode_example(row))

    def close(self) -> None:
        for (config, split), writer in self.writers.items():
            self.sizes.setdefault(config, {})[split] = writer.finalize()
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
    ``unannotated`` and ``account`` are those of :func:`~vna_ner.labelstudio.export.iter_documents`; the
    account counts the first pass only.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    pipeline(language)  # an unknown language fails here, before any work
    reading = {"offsets": offsets, "unannotated": unannotated, "split_field": split_field}
    out = check_out(out, [export])  # before any work: refused unless empty, absent or an earlier build
    created = next((p for p in reversed([out.parent, *out.parent.parents]) if not p.exists()), None)
    out.parent.mkdir(parents=True, exist_ok=True)
    built = False
    try:
        with staged(out) as folder:
            with CorpusSummary(schema.entity_labels, scratch=folder.parent) as corpus:  # beside the build
                first_pass = _documents(
                    export, schema, {**reading, "account": account}, progress, "validating"
                )
                chosen = _FieldSplits(split_field)
                for document in first_pass:
                    corpus.add(document)
                    chosen.add(document)
                remove_dead_staging(out, keep=folder.parent)  # the input is valid: the build will write
                if split_field:
                    assignment = chosen.assignment(corpus)
                else:
                    assignment = assign_splits(corpus, ratios, fixed=keep, seed=seed)
                fold_assignment = assign_folds(corpus, folds, fixed=keep_folds, seed=seed)
                ids = corpus.ids
            how = _assignment_record(assignment, split_field, ratios, seed)
            folds_how = _folds_record(fold_assignment, seed)
            written = _Written(how, folds_how, language, fmt)
            statistics, sizes = _write(
                export,
                schema,
                reading,
                progress,
                ids,
                (assignment.splits, fold_assignment.folds),
                folder,
                written,
            )
            card = generic_card(
                schema, sizes, statistics, language=language, fmt=fmt, assignment=how, folds=folds_how
            )
            (folder / CARD).write_text(card, encoding="utf-8")
        built = True
    finally:
        if created is not None and not built:
            shutil.rmtree(created, ignore_errors=True)  # the folders made for ``out`` go with it
    return statistics


def _documents(
    export: Path, schema: Schema, reading: dict[str, Any], progress: bool, what: str, total: int | None = None
) -> Iterator[Document]:
    return tqdm(
        iter_documents(export, schema, **reading),
        desc=what,
        unit=" docs",
        total=total,
        disable=not progress,
    )


class _FieldSplits:
    """The split each task's data names (``--split-field``): one byte per document, problems listed."""

    def __init__(self, field: str | None):
        self.field = field
        self.codes = bytearray()
        self.problems: list[Problem] = []

    def add(self, document: Document) -> None:
        if not self.field:
            return
        if document.split not in SPLITS:
            found = "missing" if document.split is None else f"{document.split!r}"
            self.problems.append(
                Problem(
                    f"task {document.task_id} (document {document.id})",
                    f"data.{self.field} is {found:.60}; it must be one of {', '.join(SPLITS)}",
                )
            )
            return
        self.codes.append(SPLITS.index(document.split))

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


@dataclass(frozen=True)
class _Written:
    """What the second pass writes besides the documents: how they were split and put in folds, their
    language, the format.
    """

    assignment: dict[str, Any]
    folds: dict[str, Any]
    language: str
    fmt: str


def _write(
    export: Path,
    schema: Schema,
    reading: dict[str, Any],
    progress: bool,
    ids: pa.ChunkedArray,
    codes: tuple[np.ndarray, np.ndarray],
    folder: Path,
    written_as: _Written,
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, tuple[int, int]]]]:
    """Pass 2: tokenize each document into its split's files with its fold (``codes``: split and fold of
    each document); list it in the manifest; count it.

    Returns the statistics and, per configuration and split, the rows and bytes written.
    """
    writers = _SplitWriters(folder, schema, written_as.fmt)
    tally = Tally(SPLITS, schema.entity_labels, schema.relation_labels)
    with ExitStack() as stack:
        stack.callback(writers.close)
        listed = {
            split: stack.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8", dir=folder))
            for split in SPLITS
        }
        splits, folds = codes
        documents = _documents(export, schema, reading, progress, "building", len(splits))
        first_read = (doc_id for chunk in ids.iterchunks() for doc_id in chunk.to_pylist())
        written = 0
        for document in documents:
            first = next(first_read, None)
            if first is None:
                raise _changed(export, f"more than the {len(ids)} documents there were")
            if document.id != first:
                raise _changed(export, f"document #{written + 1} is {document.id!r}, it was {first!r}")
            split, fold = SPLITS[splits[written]], int(folds[written])
            row, sentences = document_rows(document, written_as.language, fold)
            writers.write("documents", split, row)
            for sentence in sentences:
                writers.write("sentences", split, sentence)
            entry = {"fold": fold, "id": document.id, "sha256": content_hash(document)}
            listed[split].write(json.dumps(entry) + "\n")
            tally.add(
                split,
                documents=1,
                sentences=len(sentences),
                tokens=len(row["tokens"]),
                entities=Counter(span.label for span in document.entities),
                relations=Counter(relation.label for relation in document.relations),
            )
            written += 1
        if written != len(ids):
            raise _changed(export, f"{written} documents, there were {len(ids)}")
        with Path(export).open("rb") as stream:
            export_digest = hashlib.file_digest(stream, "sha256").hexdigest()
        header = {
            "assignment": written_as.assignment,
            "export_sha256": export_digest,
            "folds": written_as.folds,
            "format": written_as.fmt,
            "language": written_as.language,
        }
        with (folder / MANIFEST).open("w", encoding="utf-8") as manifest:
            write_manifest(manifest, header, listed, version=package_version("vna-ner"))
    return tally.statistics(), writers.sizes


def _changed(export: Path, difference: str) -> InputError:
    return InputError(
        [Problem(str(export), f"the export changed between the build's two reads: {difference}")]
    )


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
            entry = json.dumps(json.loads(line), indent=2, sort_keys=True).replace("\n", "\n      ")
            out.write(f"{',' if written else ''}\n      {entry}")
            written += 1
        out.write("\n    ]" if written else "]")
    out.write("\n  }" + (f',\n  "version": {json.dumps(version)}' if version else "") + "\n}\n")
