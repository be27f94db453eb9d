"""The build's direct Arrow writer against ``datasets``' own: the same bytes for the same documents.

The reference below is how the build wrote before: each row as Python values, encoded by
``Features.encode_example`` and appended to an ``ArrowWriter`` (or ``ParquetWriter``) flushing every 100
rows. Random corpora (seeded) are built by ``build`` and written again by the reference from the
documents of the export and the splits of the manifest; every file and every size in the card must match.
"""

from __future__ import annotations

import hashlib
import json
import random

import numpy as np
import pyarrow as pa
import pytest
import yaml
from datasets.arrow_writer import ArrowWriter, ParquetWriter
from hypothesis import given, settings
from hypothesis import strategies as st

import vna_ner.dataset.build as build_module
from helpers import CONFIG, region, relation, task, write_export
from vna_ner.dataset.align import token_arrays, tokens_of
from vna_ner.dataset.build import build, document_rows
from vna_ner.dataset.encode import aligned, content_hash, substrings
from vna_ner.dataset.features import CONFIGS, SPLITS, features_for
from vna_ner.documents import Document, Relation, Span
from vna_ner.labelstudio.export import read_documents
from vna_ner.labelstudio.schema import load_schema

SCHEMA = load_schema(CONFIG)
WORDS = ["le", "Hanoï", "délégation", "Phuceffectuera", "l'accord", "vice-ministre", "2024", "📝", "ASEAN"]
PUNCTUATION = [".", ",", " !", " (", ")", "…"]


def random_task(rng: random.Random, number: int) -> dict:
    """A task of a few lines of words, with entities over whole words or word prefixes (glued words)."""
    text, regions = "", []
    for line in range(rng.randint(1, 4)):
        if line:
            text += rng.choice(["\n", "\n\n", " \n"])
        for word_number in range(rng.randint(1, 14)):
            if word_number:
                text += rng.choice([" ", " ", "  "])
            word = rng.choice(WORDS)
            if rng.random() < 0.3 and word != "📝":
                end = len(text) + rng.randint(1, len(word))
                label = rng.choice(SCHEMA.entity_labels)
                regions.append(
                    region(f"r{len(regions)}", len(text), end, (text + word)[len(text) : end], label)
                )
            text += word
            if rng.random() < 0.15:
                text += rng.choice(PUNCTUATION)
    if len(regions) >= 2:
        head, tail = (r["value"]["labels"][0] for r in regions[:2])
        allowed = [name for name in SCHEMA.relation_labels if not SCHEMA.relation_violation(name, head, tail)]
        if allowed:
            regions.append(relation("r0", "r1", rng.choice(allowed)))
    return task(number, text, regions)


def reference_files(documents: list[Document], manifest: dict, fmt: str, folder) -> dict:
    """Write the splits the way the build did before; return (rows, bytes) per configuration and split."""
    split_of = {item["id"]: split for split, items in manifest["splits"].items() for item in items}
    fold_of = {item["id"]: item["fold"] for items in manifest["splits"].values() for item in items}
    writer_class = ParquetWriter if fmt == "parquet" else ArrowWriter
    features = {config: features_for(config, SCHEMA) for config in CONFIGS}
    writers = {
        (config, split): writer_class(
            features=features[config], path=str(folder / f"{config}-{split}.{fmt}"), writer_batch_size=100
        )
        for config in CONFIGS
        for split in SPLITS
    }
    for document in documents:
        row, sentences = document_rows(document, fold=fold_of[document.id])
        split = split_of[document.id]
        writers["documents", split].write(features["documents"].encode_example(row))
        for sentence in sentences:
            writers["sentences", split].write(features["sentences"].encode_example(sentence))
    sizes = {}
    for key, writer in writers.items():
        sizes[key] = writer.finalize()
        writer.close()
    return sizes


@pytest.mark.parametrize(
    ("seed", "fmt", "staged", "workers"), [(0, "arrow", 7, 1), (1, "arrow", 256, 2), (2, "parquet", 5, 1)]
)
def test_the_direct_writer_writes_the_bytes_of_datasets_writer(
    tmp_path, monkeypatch, seed, fmt, staged, workers
):
    rng = random.Random(seed)
    export = write_export(tmp_path / "export.json", [random_task(rng, n) for n in range(1, 331)])
    monkeypatch.setattr(build_module, "STAGED", staged)  # batches of the staging file end anywhere
    out = tmp_path / "out"
    build(export, SCHEMA, out, progress=False, fmt=fmt, workers=workers)
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    expected = reference_files(read_documents(export, SCHEMA), manifest, fmt, tmp_path)
    card = yaml.safe_load((out / "README.md").read_text("utf-8").split("---")[1])
    for info in card["dataset_info"]:
        for split in info["splits"]:
            key = (info["config_name"], split["name"])
            assert (split["num_examples"], split["num_bytes"]) == expected[key], key
            written = (out / key[0] / f"{key[1]}.{fmt}").read_bytes()
            assert written == (tmp_path / f"{key[0]}-{key[1]}.{fmt}").read_bytes(), key
    assert sum(rows for rows, _ in expected.values()) > 330  # documents and sentences were written


@pytest.mark.parametrize(
    "text",
    [
        "Hanoï",
        "tab\there",
        'quote " and \\ backslash',
        "\x00\x01\x1f\x7f",
        "é\u2028\u2029",
        "📝 emoji",
        "\ud7ff\ue000",
    ],
)
def test_the_content_hash_is_that_of_canonical_json(text):
    document = Document(
        id="d",
        text=text + " Hué",
        entities=[Span(len(text) + 1, len(text) + 4, "LOC", "Hué", "r1"), Span(0, 1, "PER", text[0], "r0")],
        relations=[Relation("r1", "r0", "LOCATED_IN"), Relation("r0", "r1", "HAS_TITLE")],
    )
    payload = {
        "text": document.text,
        "entities": [[s.start, s.end, s.label] for s in sorted(document.entities)],
        "relations": sorted([r.head, r.tail, r.label] for r in document.relations),
    }
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert content_hash(document) == hashlib.sha256(canonical.encode()).hexdigest()


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(
        st.lists(st.tuples(st.text(alphabet="aé€📝 \n\x00ß", max_size=4), st.booleans()), max_size=6),
        max_size=4,
    )
)
def test_substrings_are_the_strings_pa_array_makes(pieces):
    """Texts made of pieces, some of them tokens: cut from the UTF-8 bytes, the same array as from str."""
    texts, starts, ends, expected, base = [], [], [], [], 0
    for parts in pieces:
        text = ""
        for piece, is_token in parts:
            if is_token and piece:
                starts.append(base + len(text))
                ends.append(base + len(text) + len(piece))
                expected.append(piece)
            text += piece
        texts.append(text)
        base += len(text)
    made = substrings(texts, np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64))
    reference = pa.array(expected, type=pa.string())
    assert made.equals(reference)
    assert made.buffers()[1:] == reference.buffers()[1:]


# Documents tokenized and tagged together: what each gives alone, up to the first that fails

_TEXT_PARTS = st.sampled_from([*"ab Zé.!?,'’-\n\t()«»", "  ", "\n\n", "📝", "l'", "M.", "Hanoï", "\u00a0"])


@st.composite
def _document(draw, number: int) -> Document:
    """A short text with random spans: some cross a sentence break, overlap or start on whitespace."""
    text = "".join(draw(st.lists(_TEXT_PARTS, max_size=25)))
    spans = set()
    for _ in range(draw(st.integers(0, 2)) if len(text) > 1 else 0):
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start + 1, len(text)))
        spans.add(Span(start, end, draw(st.sampled_from(SCHEMA.entity_labels)), text[start:end]))
    return Document(f"d{number}", text, sorted(spans))


@settings(max_examples=300, deadline=None)
@given(data=st.data(), size=st.integers(1, 8))
def test_texts_tokenized_together_are_tokenized_as_one_at_a_time(data, size):
    documents = [data.draw(_document(number)) for number in range(size)]
    spans = [[(s.start, s.end) for s in document.entities] for document in documents]
    together = tokens_of([document.text for document in documents], spans)
    for number, document in enumerate(documents):
        alone = token_arrays(document.text, spans[number])
        assert [part.tolist() for part in together.of(number)] == [part.tolist() for part in alone]
    assert together.bounds[-1] == len(together.starts)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), size=st.integers(1, 8))
def test_documents_tagged_together_are_tagged_as_one_at_a_time(data, size):
    documents = [data.draw(_document(number)) for number in range(size)]
    alone = [aligned([document], SCHEMA.entity_labels) for document in documents]
    together, failure = aligned(documents, SCHEMA.entity_labels)
    failed = next((n for n, (_, error) in enumerate(alone) if error is not None), len(documents))
    assert len(together.tokens.bounds) - 1 == failed
    assert str(failure) == str(alone[failed][1] if failed < len(documents) else None)
    for number in range(failed):
        tagged = alone[number][0]
        first, last = together.tokens.bounds[number : number + 2]
        assert together.tags[first:last].tolist() == tagged.tags.tolist()
        assert [part.tolist() for part in together.tokens.of(number)] == [
            part.tolist() for part in tagged.tokens.of(0)
        ]
    assert len(together.tags) == together.tokens.bounds[-1]


def test_documents_tagged_together_stop_at_the_first_that_fails_and_name_its_span():
    fine = Document("fine", "Hanoï et Cuba", [Span(0, 5, "LOC", "Hanoï")])
    off = Document("off", "ab cd", [Span(0, 2, "ORG", "ab"), Span(2, 4, "ORG", " c")])  # starts on a space
    crossing = Document("crossing", "Un. Deux", [Span(0, 8, "ORG", "Un. Deux")])
    together, failure = aligned([fine, off, crossing], SCHEMA.entity_labels)
    assert [str(problem) for problem in failure.problems] == [
        "document off: span [2, 4) ORG does not fall on token boundaries"
    ]
    assert together.tokens.bounds.tolist() == [0, 3]
    assert together.tags.tolist() == [SCHEMA.iob_tags.index("B-LOC"), 0, 0]
    _, failure = aligned([fine, crossing, off], SCHEMA.entity_labels)
    assert str(failure.problems[0]).startswith("document crossing: entity [0, 8) ORG 'Un. Deux' is not given")


def test_an_edge_outside_its_text_cuts_no_token_of_the_texts_beside_it():
    """Texts are tokenized joined end to end: an edge before its text's start cuts nothing before it."""
    together = tokens_of(["abc def", "xy", "uv"], [[], [(-6, 1)], [(1, 9)]])
    for number, text in enumerate(["abc def", "xy", "uv"]):
        alone = tokens_of([text], [[(-6, 1)] if number == 1 else [(1, 9)] if number == 2 else []]).of(0)
        assert [part.tolist() for part in together.of(number)] == [part.tolist() for part in alone]
    assert together.of(0)[0].tolist() == [0, 4]
