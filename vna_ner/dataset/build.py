"""Build the Arrow splits from a Label Studio export: validate, tokenize, tag, split, write.

Two streaming passes over the export keep memory small: the first validates every task and keeps
only what splitting needs (:class:`~vna_ner.dataset.split.CorpusSummary`, packed columns), the second
tokenizes each document and appends it to its split's Arrow file, in small batches, while the
manifest's entries go to temporary files. Everything is written to a staging folder that replaces
``out`` only on success, so a failed build leaves nothing half-written; which folders ``out`` may be,
and the swap, are :mod:`vna_ner.dataset.build_folder`'s.
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
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import ijson
import numpy as np
import pyarrow as pa
from datasets import Features
from datasets.arrow_writer import ArrowWriter
from tqdm.auto import tqdm

from vna_ner.dataset.align import MisalignmentError, iob2_to_spans, spans_to_iob2, tokenize
from vna_ner.dataset.build_folder import MANIFEST, check_out, staged
from vna_ner.dataset.features import CONFIGS, SPLITS, features_for
from vna_ner.dataset.split import CorpusSummary, KeptSplits, assign_splits
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
    with manifest.open("rb") as stream:
        try:
            return KeptSplits.of(_listed(stream))
        except (ValueError, ijson.JSONError) as error:
            raise InputError([Problem(str(manifest), f"not a vna-ner manifest: {error}")]) from error


def _listed(stream: BinaryIO) -> Iterator[tuple[str, str]]:
    """(document id, split) pairs of a manifest, as they come."""
    for prefix, event, value in ijson.parse(stream):
        if event == "string" and prefix.startswith("splits.") and prefix.endswith(".item.id"):
            yield value, prefix.split(".")[1]


def content_hash(document: Document) -> str:
    """SHA-256 of a document's text, entities and relations in canonical JSON."""
    payload = {
        "text": document.text,
        "entities": [[s.start, s.end, s.label] for s in sorted(document.entities)],
        "relations": sorted([r.head, r.tail, r.label] for r in document.relations),
    }
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def document_rows(document: Document) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ``documents`` row and the ``sentences`` rows of one document.

    Raises :class:`InputError` if the tags do not give back exactly the gold entities.
    """
    boundaries = [b for span in document.entities for b in (span.start, span.end)]
    offsets, sentence_starts = tokenize(document.text, boundaries)
    gold = [(span.start, span.end, span.label) for span in sorted(document.entities)]
    try:
        tags = spans_to_iob2(offsets, gold)
    except MisalignmentError as error:
        raise InputError([Problem(f"document {document.id}", str(error))]) from error
    if iob2_to_spans(offsets, tags) != gold:
        raise InputError([Problem(f"document {document.id}", "IOB2 tags do not give back the gold spans")])
    tokens = [document.text[start:end] for start, end in offsets]
    row = {
        "id": document.id,
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
            "tokens": tokens[first:last],
            "ner_tags": tags[first:last],
        }
        for number, (first, last) in enumerate(itertools.pairwise(bounds))
    ]
    return row, sentences


class _SplitWriters:
    """One Arrow writer per (configuration, split), all under one folder."""

    def __init__(self, folder: Path, schema: Schema):
        self.features: dict[str, Features] = {c: features_for(c, schema) for c in CONFIGS}
        self.writers: dict[tuple[str, str], ArrowWriter] = {}
        for config in CONFIGS:
            (folder / config).mkdir(parents=True)
            for split in SPLITS:
                self.writers[config, split] = ArrowWriter(
                    features=self.features[config],
                    path=str(folder / config / f"{split}.arrow"),
                    writer_batch_size=WRITER_BATCH,
                )

    def write(self, config: str, split: str, row: dict[str, Any]) -> None:
        self.writers[config, split].write(self.features[config].encode_example(row))

    def close(self) -> None:
        for writer in self.writers.values():
            writer.finalize()
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
) -> dict[str, dict[str, Any]]:
    """Build ``out/<config>/<split>.arrow`` and ``out/manifest.json`` from ``export``; return the statistics.

    The statistics are those of :func:`~vna_ner.dataset.stats.split_statistics`, counted while writing.

    Documents in ``keep`` (e.g. :func:`previous_splits` of the last build) stay in their split; the
    others are assigned by :func:`~vna_ner.dataset.split.assign_splits`. Scratch files (sentence digests,
    manifest entries) live in the staging folder next to ``out``, not in the system's temporary folder.
    ``unannotated`` and ``account`` are those of :func:`~vna_ner.labelstudio.export.iter_documents`; the
    account counts the first pass only.
    """
    reading = {"offsets": offsets, "unannotated": unannotated}
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
                for document in first_pass:
                    corpus.add(document)
                if not len(corpus):
                    raise InputError([Problem(str(export), "the export holds no task")])
                assignment = assign_splits(corpus, fixed=keep)
                ids = corpus.ids
            statistics = _write(export, schema, reading, progress, ids, assignment, folder)
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


def _write(
    export: Path,
    schema: Schema,
    reading: dict[str, Any],
    progress: bool,
    ids: pa.ChunkedArray,
    assignment: np.ndarray,
    folder: Path,
) -> dict[str, dict[str, Any]]:
    """Pass 2: tokenize each document into its split's Arrow files; list it in the manifest; count it."""
    writers = _SplitWriters(folder, schema)
    tally = Tally(SPLITS, schema.entity_labels, schema.relation_labels)
    with ExitStack() as stack:
        stack.callback(writers.close)
        listed = {
            split: stack.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8", dir=folder))
            for split in SPLITS
        }
        documents = _documents(export, schema, reading, progress, "building", len(assignment))
        first_read = (doc_id for chunk in ids.iterchunks() for doc_id in chunk.to_pylist())
        written = 0
        for document in documents:
            first = next(first_read, None)
            if first is None:
                raise _changed(export, f"more than the {len(ids)} documents there were")
            if document.id != first:
                raise _changed(export, f"document #{written + 1} is {document.id!r}, it was {first!r}")
            split = SPLITS[assignment[written]]
            row, sentences = document_rows(document)
            writers.write("documents", split, row)
            for sentence in sentences:
                writers.write("sentences", split, sentence)
            listed[split].write(json.dumps({"id": document.id, "sha256": content_hash(document)}) + "\n")
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
        with (folder / MANIFEST).open("w", encoding="utf-8") as manifest:
            write_manifest(manifest, export_digest, listed, version=package_version("vna-ner"))
    return tally.statistics()


def _changed(export: Path, difference: str) -> InputError:
    return InputError(
        [Problem(str(export), f"the export changed between the build's two reads: {difference}")]
    )


def write_manifest(
    out: TextIO, export_digest: str, listed: Mapping[str, TextIO], *, version: str | None = None
) -> None:
    """Write the manifest as ``json.dumps(..., indent=2, sort_keys=True)`` would, streaming its entries.

    ``listed`` maps each split to a file of its entries, one JSON object per line, in build order;
    ``version``, the release the splits belong to (the package's version), is written if given.
    """
    out.write(f'{{\n  "export_sha256": {json.dumps(export_digest)},\n  "splits": {{')
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
