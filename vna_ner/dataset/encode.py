"""Documents straight to Arrow record batches of the dataset's schema, without ``Features.encode_example``.

The build tokenizes each document once (:func:`aligned`), packs a batch of documents into the columns
of the ``documents`` configuration (:func:`document_batch`, plus each document's content hash), and
derives the ``sentences`` rows from those columns (:func:`sentence_table`). The arrays are the ones
``datasets`` builds from the same rows (same types, same buffers), so the files written are byte for
byte those of ``ArrowWriter.write(features.encode_example(row))``; ``tests/test_encode.py`` compares
the two writers on random corpora. Class labels are stored as their index, as ``datasets`` does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from vna_ner.dataset.align import (
    LANGUAGE,
    MisalignmentError,
    Tokens,
    code_points,
    iob2_to_spans,
    spans_to_iob2,
    tokens_of,
)
from vna_ner.documents import Document
from vna_ner.errors import InputError, Problem

HASH = "sha256"  # the staged column holding each document's content hash (not written to the splits)


def content_hash(document: Document) -> str:
    """SHA-256 of a document's text, entities and relations in canonical JSON (sorted keys, no spaces,
    UTF-8), as ``json.dumps(..., ensure_ascii=False, sort_keys=True, separators=(",", ":"))`` writes it.
    """
    payload = {
        "entities": [[s.start, s.end, s.label] for s in sorted(document.entities)],
        "relations": sorted([r.head, r.tail, r.label] for r in document.relations),
        "text": document.text,
    }
    return hashlib.sha256(orjson.dumps(payload)).hexdigest()


@dataclass(frozen=True)
class Aligned:
    """Documents tokenized for their language (:class:`~vna_ner.dataset.align.Tokens`) and IOB2 tag codes
    of all their tokens in a row.

    Tag code 0 is ``O``; label number ``k`` of ``labels`` is ``B-`` at ``2k + 1`` and ``I-`` at ``2k + 2``
    (the order of :attr:`~vna_ner.labelstudio.schema.Schema.iob_tags`).
    """

    tokens: Tokens
    tags: np.ndarray


def aligned(
    documents: Sequence[Document], labels: Sequence[str], language: str = LANGUAGE
) -> tuple[Aligned, InputError | None]:
    """Tokenize and tag the documents up to the first whose tags do not give back its entities, and
    that document's error (None if there is none).

    The tags are :func:`~vna_ner.dataset.align.spans_to_iob2`'s. For flat entities, which is what the
    export reader gives, the tags give back every entity unless one crosses a sentence start; only then
    (or for entities that overlap) does :func:`~vna_ner.dataset.align.iob2_to_spans` find which was lost.
    """
    golds = [sorted(document.entities) for document in documents]
    tokens = tokens_of([d.text for d in documents], [[(s.start, s.end) for s in g] for g in golds], language)
    code = {label: 2 * k + 1 for k, label in enumerate(labels)}
    owner = np.repeat(np.arange(len(documents)), [len(gold) for gold in golds])
    span_starts = np.array([s.start for gold in golds for s in gold], dtype=np.int64) + tokens.bases[owner]
    span_ends = np.array([s.end for gold in golds for s in gold], dtype=np.int64) + tokens.bases[owner]
    starts, ends = tokens.starts, tokens.ends
    firsts = np.searchsorted(starts, span_starts)
    lasts = np.searchsorted(ends, span_ends)
    fits = (firsts < len(starts)) & (lasts < len(ends))
    fits[fits] &= (starts[firsts[fits]] == span_starts[fits]) & (ends[lasts[fits]] == span_ends[fits])
    limit, failure = len(documents), None
    if not fits.all():
        misfit = int(np.argmin(fits))
        limit = int(owner[misfit])
        span = golds[limit][misfit - int(np.searchsorted(owner, limit))]
        error = f"span [{span.start}, {span.end}) {span.label} does not fall on token boundaries"
        failure = InputError([Problem(f"document {documents[limit].id}", error)])
    sentences = tokens.sentence_starts
    crossing = np.searchsorted(sentences, lasts, "right") > np.searchsorted(sentences, firsts, "right")
    overlapping = span_starts[1:] < span_ends[:-1]  # never across documents: they follow one another
    checked = np.union1d(owner[crossing], owner[1:][overlapping])
    good = owner < limit
    firsts, lasts, lengths = firsts[good], lasts[good], (lasts - firsts + 1)[good]
    covered = np.repeat(firsts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    span_codes = np.array([code[s.label] for gold in golds for s in gold], dtype=np.int64)[good]
    tags = np.zeros(len(starts), dtype=np.int64)
    tags[covered + np.arange(len(covered))] = np.repeat(span_codes + 1, lengths)  # I- of the label
    tags[firsts] = span_codes  # B-
    for number in checked[checked < limit].tolist():
        try:
            first, last = tokens.bounds[number : number + 2]
            tags[first:last] = _checked(documents[number], golds[number], *tokens.of(number), labels)
        except InputError as error:
            limit, failure = number, error
            break
    return Aligned(tokens.up_to(limit), tags[: tokens.bounds[limit]]), failure


def _checked(
    document: Document,
    gold: list,
    starts: np.ndarray,
    ends: np.ndarray,
    sentence_starts: np.ndarray,
    labels: Sequence[str],
) -> np.ndarray:
    """The tag codes by :func:`spans_to_iob2`, and the entity the chunker does not give back, if any,
    refused."""
    offsets = list(zip(starts.tolist(), ends.tolist(), strict=True))
    spans = [(s.start, s.end, s.label) for s in gold]
    try:
        names = spans_to_iob2(offsets, spans)
    except MisalignmentError as error:
        raise InputError([Problem(f"document {document.id}", str(error))]) from error
    lost = sorted(set(spans) - set(iob2_to_spans(offsets, names, sentence_starts.tolist())))
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
    tag_code = {
        "O": 0,
        **{f"{p}-{label}": 2 * k + 1 + (p == "I") for k, label in enumerate(labels) for p in "BI"},
    }
    return np.array([tag_code[t] for t in names], dtype=np.int64)


@dataclass(frozen=True)
class Encoding:
    """What packing documents into Arrow needs: the language and the class-label names, in order."""

    language: str
    entity_labels: tuple[str, ...]
    relation_labels: tuple[str, ...]
    schema: pa.Schema  # the ``documents`` columns staged: all but the fold, known once all are read


def substrings(texts: Sequence[str], first: np.ndarray, last: np.ndarray) -> pa.Array:
    """``joined[start:end]`` for each ``(start, end)`` of ``first`` and ``last``, in order, as one Arrow
    string array, where ``joined`` is the texts joined end to end.

    Cut from the texts' UTF-8 bytes (code-point offsets mapped to byte offsets) rather than made one
    Python string per token; the array is the one ``pa.array`` makes of those strings.
    """
    joined = "".join(texts)
    data = joined.encode("utf-8")
    if len(data) != len(joined):  # multi-byte characters: a code point's byte offset
        points = code_points(joined)
        widths = 1 + (points >= 0x80).astype(np.int64) + (points >= 0x800) + (points >= 0x10000)
        byte = np.concatenate(([0], np.cumsum(widths)))
        first, last = byte[first], byte[last]
    lengths = last - first
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    gather = np.repeat(first - offsets[:-1], lengths) + np.arange(offsets[-1])
    values = np.frombuffer(data, dtype=np.uint8)[gather]
    return pa.StringArray.from_buffers(
        len(lengths), pa.array(offsets, type=pa.int32()).buffers()[1], pa.py_buffer(values)
    )


def _lists(offsets: Sequence[int] | np.ndarray, values: pa.Array) -> pa.ListArray:
    return pa.ListArray.from_arrays(pa.array(offsets, type=pa.int32()), values)


def _structs(fields: pa.DataType, columns: list[list]) -> pa.StructArray:
    return pa.StructArray.from_arrays(
        [pa.array(column, type=field.type) for field, column in zip(fields, columns, strict=True)],
        fields=list(fields),
    )


def document_batch(
    documents: Sequence[Document], encoding: Encoding
) -> tuple[pa.RecordBatch, InputError | None]:
    """The ``documents`` rows of ``documents`` and a column of their content hashes, as one record batch,
    and the error of the first document that cannot be tagged (the batch then stops before it).
    """
    tagged, failure = aligned(documents, encoding.entity_labels, encoding.language)
    tokens = tagged.tokens
    documents = documents[: len(tokens.bounds) - 1]
    entity_code = {label: k for k, label in enumerate(encoding.entity_labels)}
    relation_code = {label: k for k, label in enumerate(encoding.relation_labels)}
    texts = [document.text for document in documents]
    entities: list[list] = [[], [], [], [], []]
    relations: list[list] = [[], [], []]
    provenance: list[list] = [[], []]
    entity_offsets, relation_offsets, provenance_offsets = [0], [0], [0]
    for document in documents:
        for span in sorted(document.entities):
            for column, value in zip(
                entities, (span.id, span.start, span.end, entity_code[span.label], span.text), strict=True
            ):
                column.append(value)
        entity_offsets.append(len(entities[0]))
        for relation in sorted(document.relations):
            for column, value in zip(
                relations, (relation.head, relation.tail, relation_code[relation.label]), strict=True
            ):
                column.append(value)
        relation_offsets.append(len(relations[0]))
        for source in document.provenance:
            provenance[0].append(source.source)
            provenance[1].append(source.offset)
        provenance_offsets.append(len(provenance[0]))
    schema = encoding.schema
    starts, ends, sentence_starts = tokens.local()
    offset_type = schema.field("token_offsets").type.value_type
    columns = [
        pa.array([document.id for document in documents], type=pa.string()),
        pa.array(texts, type=pa.string()),
        _lists(tokens.bounds, substrings(texts, tokens.starts, tokens.ends)),
        _lists(
            tokens.bounds,
            pa.StructArray.from_arrays(
                [pa.array(starts, type=pa.int32()), pa.array(ends, type=pa.int32())], fields=list(offset_type)
            ),
        ),
        _lists(tokens.bounds, pa.array(tagged.tags, type=pa.int64())),
        _lists(tokens.sentence_bounds, pa.array(sentence_starts, type=pa.int32())),
        _lists(entity_offsets, _structs(schema.field("entities").type.value_type, entities)),
        _lists(relation_offsets, _structs(schema.field("relations").type.value_type, relations)),
        _lists(provenance_offsets, _structs(schema.field("provenance").type.value_type, provenance)),
        pa.array([content_hash(document) for document in documents], type=pa.string()),
    ]
    staged = schema.append(pa.field(HASH, pa.string()))
    return pa.RecordBatch.from_arrays(columns, schema=staged), failure


def sentence_table(documents: pa.RecordBatch | pa.Table) -> pa.Table:
    """The ``sentences`` rows of ``documents`` rows, in order: each document's tokens and tags cut at its
    sentence starts, with ids ``<document id>:s<number, 3 digits>``.
    """
    tokens = pc.list_flatten(documents["tokens"])
    tags = pc.list_flatten(documents["ner_tags"])
    lengths = pc.list_value_length(documents["tokens"]).to_numpy(zero_copy_only=False)
    counts = pc.list_value_length(documents["sentence_starts"]).to_numpy(zero_copy_only=False)
    owner = np.repeat(np.arange(len(counts)), counts)
    firsts = pc.list_flatten(documents["sentence_starts"]).to_numpy(zero_copy_only=False).astype(np.int64)
    base = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    bounds = np.concatenate((firsts + base[owner], [int(lengths.sum())])).astype(np.int32)
    document_ids = documents["id"].to_pylist()
    ids = [f"{document_ids[d]}:s{n:03d}" for d, count in enumerate(counts.tolist()) for n in range(count)]
    return pa.table(
        {
            "id": pa.array(ids, type=pa.string()),
            "document_id": pa.array([document_ids[d] for d in owner.tolist()], type=pa.string()),
            "tokens": pa.ListArray.from_arrays(pa.array(bounds), tokens),
            "ner_tags": pa.ListArray.from_arrays(pa.array(bounds), tags),
        }
    )


def compact(array: pa.Array) -> pa.Array:
    """``array`` with offset 0 and every buffer exactly as long as its values, as a builder makes it.

    Filtering, concatenating and slicing leave buffers longer than their values (allocations are
    rounded up) or shared with other rows; an Arrow file stores the buffers as they are, so without
    this the files would hold the same values in other bytes than ``datasets``' writer gives them.
    Arrays without nulls only (the dataset has none).
    """
    if array.null_count:
        raise ValueError("compact() takes arrays without nulls")
    kind, length, first = array.type, len(array), array.offset
    if pa.types.is_struct(kind):
        children = [compact(array.field(i).slice(first, length)) for i in range(kind.num_fields)]
        return pa.StructArray.from_arrays(children, fields=list(kind))
    buffers = array.buffers()
    if pa.types.is_string(kind) or pa.types.is_list(kind):
        offsets = np.frombuffer(buffers[1], dtype=np.int32, count=first + length + 1)[first:]
        start, end = int(offsets[0]), int(offsets[-1])
        rebased = pa.py_buffer((offsets - start).astype(np.int32))
        if pa.types.is_string(kind):
            return pa.StringArray.from_buffers(length, rebased, buffers[2].slice(start, end - start))
        return pa.ListArray.from_buffers(
            kind, length, [None, rebased], children=[compact(array.values.slice(start, end - start))]
        )
    width = kind.bit_width // 8
    return pa.Array.from_buffers(kind, length, [None, buffers[1].slice(first * width, length * width)])
