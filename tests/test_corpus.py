"""The raw corpus, its segmentation into documents, and the gold export as the source of truth."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import tomllib
from pathlib import Path

import pytest

from helpers import CONFIG, REPO
from vna_ner.corpus.segment import MORE_MARKER, segment_directory
from vna_ner.labelstudio.export import read_documents
from vna_ner.labelstudio.schema import load_schema

SOURCE = REPO / "annotations" / "source"
GOLD = REPO / "annotations" / "gold.json"
AGREEMENT = REPO / "annotations" / "agreement"
SHA256 = {
    "000_690ecaeb1208b8cd.txt": "fcff5dc56b03eb469f56184b99b257dad4b45c8a056a88340e46e9c473f2c0fd",
    "001_92abf839e41b491a.txt": "39fd319599d8b706d4d9723808eed03e08755ac4b9ae2e1a3bc6b3ebba23142b",
    "002_3820ae6c89d60f20.txt": "d7aecab182864fd13d95aa4f577dd1ab97db0e7b91ab367791419725475c9211",
    "003_9373020ada61e75f.txt": "1e6a9f47ee1c1f74a5675a3498cf95b84d8bc68be3a59bb65e32f7aaaaba7a66",
    "004_3f9ce869d2ecad74.txt": "0e4213b732afb07d25aace1251aeeee8f6ac17f0f730961d572827c04a6741cd",
}


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(SOURCE.glob("*.txt"))}


@pytest.fixture(scope="module")
def gold():
    return read_documents(GOLD, load_schema(CONFIG))


def test_source_pages_are_the_verbatim_vna_pages():
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in SOURCE.glob("*.txt")} == SHA256


def test_documents_and_their_provenance_cover_every_character(pages):
    covered = {name: [False] * len(text) for name, text in pages.items()}
    for document in segment_directory(SOURCE):
        for provenance in document.provenance:
            page = pages[provenance.source]
            end = provenance.offset + len(document.text)
            assert page[provenance.offset : end] == document.text
            covered[provenance.source][provenance.offset : end] = [True] * len(document.text)
    for name, text in pages.items():
        gaps = "".join(" " if done else char for char, done in zip(text, covered[name], strict=True))
        # What no document holds is whitespace and the single "Voir plus" line between article and teasers.
        assert gaps.strip() == MORE_MARKER, name


def test_a_teaser_found_on_several_pages_is_one_document_listing_every_page():
    documents = segment_directory(SOURCE)
    assert len({d.text for d in documents}) == len(documents)
    shared = {d.id: sorted(p.source[:3] for p in d.provenance) for d in documents if len(d.provenance) > 1}
    assert shared["001-t05"] == ["001", "004"]
    assert all(pages == ["002", "003"] for doc, pages in shared.items() if doc.startswith("002-t"))
    assert len(shared) == 8


def test_gold_export_holds_exactly_the_segmented_documents(gold):
    segmented = {d.id: (d.text, d.provenance) for d in segment_directory(SOURCE)}
    assert {d.id: (d.text, d.provenance) for d in gold} == segmented


def test_every_gold_span_maps_back_to_the_exact_source_characters(gold, pages):
    checked = 0
    for document in gold:
        for provenance in document.provenance:
            for span in document.entities:
                source = pages[provenance.source]
                assert source[provenance.offset + span.start : provenance.offset + span.end] == span.text
                checked += 1
    assert checked > 600


def test_every_document_is_annotated_with_entities(gold):
    assert all(document.entities for document in gold)
    assert sum(len(d.relations) for d in gold) > 200


@pytest.mark.parametrize(
    ("document", "surface", "label"),
    [
        ("002-main", "Nguyen Xuan Phuc", "PER"),  # inside the glued "Phuceffectuera"
        ("001-t04", "ASEAN", "ORG"),  # after the elided article in "l’ASEAN"
        ("000-main", "VNA", "ORG"),  # dateline "Hanoi (VNA)"
        ("001-t02", "campagne Quang Trung", "EVENT"),  # the page with the 📝 emoji
        ("001-t03", "Laos", "LOC"),  # inside the glued "Laosa"
    ],
)
def test_gold_keeps_the_corpus_edge_cases(gold, document, surface, label):
    spans = {(s.text, s.label) for d in gold if d.id == document for s in d.entities}
    assert (surface, label) in spans


def test_the_second_pass_standoff_is_converted_from_the_annotators_inline_files():
    spec = importlib.util.spec_from_file_location("inline_to_standoff", AGREEMENT / "inline_to_standoff.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    texts = {d.id: d.text for d in segment_directory(SOURCE)}
    inline = sorted((AGREEMENT / "second_pass_inline").glob("*.md"))
    assert len(inline) == 16
    for path in inline:
        expected = (AGREEMENT / "second_pass" / f"{path.stem}.ann").read_text("utf-8")
        assert module.to_standoff(path.read_text("utf-8"), texts[path.stem], path.stem) == expected


RELEASES = REPO / "annotations" / "releases"


def _splits_of(manifest: Path) -> dict[str, str]:
    listed = json.loads(manifest.read_text("utf-8"))["splits"]
    return {entry["id"]: split for split, entries in listed.items() for entry in entries}


def test_no_1_0_document_changes_split_in_1_1():
    before = _splits_of(RELEASES / "1.0" / "manifest.json")
    after = _splits_of(REPO / "splits" / "manifest.json")
    assert len(before) == 31
    assert {doc: after.get(doc) for doc in before} == before


def test_the_release_version_is_one_in_the_package_manifest_card_guidelines_and_citation():
    version = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["version"]
    assert version == "1.1.0"
    assert json.loads((REPO / "splits" / "manifest.json").read_text("utf-8"))["version"] == version
    assert f"release **{version}**" in (REPO / "DATASET_CARD.md").read_text("utf-8")
    assert f"version {version}}}" in (REPO / "README.md").read_text("utf-8")
    major_minor = version.rsplit(".", 1)[0]
    guidelines = (REPO / "annotations" / "GUIDELINES.md").read_text("utf-8")
    assert f"Version: **{major_minor}**" in guidelines
    assert f"- **{major_minor}** (" in guidelines  # its changelog entry
