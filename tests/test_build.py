"""Building the Arrow splits: no gold entity lost, deterministic, nothing half-written on bad input."""

from __future__ import annotations

import gc
import io
import json
import re

import pyarrow as pa
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import CONFIG, REPO, region, task, write_export
from vna_ner.cli import main
from vna_ner.dataset.align import iob2_to_spans
from vna_ner.dataset.build import build, document_rows, previous_splits, write_manifest
from vna_ner.dataset.build_folder import check_out, is_build
from vna_ner.dataset.encode import content_hash
from vna_ner.dataset.features import SPLITS
from vna_ner.dataset.load import load
from vna_ner.dataset.stats import split_statistics
from vna_ner.documents import Document, Span
from vna_ner.errors import InputError, OutputError
from vna_ner.labelstudio.export import iter_documents, read_documents
from vna_ner.labelstudio.schema import load_schema

SCHEMA = load_schema(CONFIG)
GOLD = REPO / "annotations" / "gold.json"
SHIPPED = REPO / "splits"


@pytest.fixture(scope="module")
def gold_documents():
    return read_documents(GOLD, SCHEMA)


RELEASE_1_0 = REPO / "annotations" / "releases" / "1.0"  # the splits every later release keeps


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    out = tmp_path_factory.mktemp("build") / "splits"
    build(GOLD, SCHEMA, out, progress=False, keep=previous_splits(RELEASE_1_0))  # as `vna-ner build` does
    return out


def test_entities_recovered_from_the_tags_equal_the_gold_in_every_document(gold_documents):
    for document in gold_documents:
        row, _ = document_rows(document)
        offsets = [(t["start"], t["end"]) for t in row["token_offsets"]]
        gold = [(s.start, s.end, s.label) for s in sorted(document.entities)]
        assert iob2_to_spans(offsets, row["ner_tags"], row["sentence_starts"]) == gold, document.id


def test_glued_words_are_cut_at_the_gold_boundary(gold_documents):
    (document,) = [d for d in gold_documents if d.id == "002-main"]
    row, _ = document_rows(document)
    phuc = row["tokens"].index("Phuc")
    assert row["tokens"][phuc - 2 : phuc + 2] == ["Nguyen", "Xuan", "Phuc", "effectuera"]


def test_sentences_partition_the_document_tokens(gold_documents):
    for document in gold_documents[:5]:
        row, sentences = document_rows(document)
        assert [t for s in sentences for t in s["tokens"]] == row["tokens"]
        assert [t for s in sentences for t in s["ner_tags"]] == row["ner_tags"]
        assert all(not s["ner_tags"][0].startswith("I-") for s in sentences), "a sentence cuts an entity"


def test_building_twice_gives_identical_files(rebuilt, tmp_path):
    again = tmp_path / "again"
    build(GOLD, SCHEMA, again, progress=False, keep=previous_splits(RELEASE_1_0))
    files = sorted(p.relative_to(rebuilt) for p in rebuilt.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert all((rebuilt / f).read_bytes() == (again / f).read_bytes() for f in files)


def test_the_shipped_splits_are_what_the_gold_builds(rebuilt):
    built = sorted(
        p.relative_to(rebuilt) for p in rebuilt.rglob("*") if p.is_file() and p.name != "README.md"
    )
    assert built == sorted(
        p.relative_to(SHIPPED) for p in SHIPPED.rglob("*") if p.is_file() and p.name != "README.md"
    )
    for path in built:
        assert (rebuilt / path).read_bytes() == (SHIPPED / path).read_bytes(), path
    # a fresh folder gets a generic card; the shipped one is the project's (`vna-ner card`)


def test_splits_are_balanced_by_entities_and_keep_every_label(rebuilt):
    documents = load(data_dir=rebuilt)
    counts = {name: sum(len(row) for row in split["entities"]) for name, split in documents.items()}
    total = sum(counts.values())
    for name, target in (("train", 0.6), ("validation", 0.2), ("test", 0.2)):
        assert abs(counts[name] / total - target) < 0.05, counts
    names = documents["train"].features["entities"].feature["label"].names
    for split in documents.values():
        assert {e["label"] for row in split["entities"] for e in row} == set(range(len(names)))
    test_ids = set(documents["test"]["id"])
    assert any(i.endswith("-main") for i in test_ids)
    assert any(row for row in documents["test"]["relations"])


def test_manifest_lists_every_document_once_with_its_content_hash(rebuilt, gold_documents):
    manifest = json.loads((rebuilt / "manifest.json").read_text())
    listed = {item["id"]: item["sha256"] for split in manifest["splits"].values() for item in split}
    assert listed == {d.id: content_hash(d) for d in gold_documents}


def test_a_bad_export_fails_the_build_and_leaves_the_old_splits_untouched(tmp_path):
    out = tmp_path / "splits"
    out.mkdir()
    (out / "manifest.json").write_text('{"export_sha256": "0", "splits": {}}')  # an earlier build's
    bad = write_export(tmp_path / "bad.json", [task(1, "Hanoi et Cuba", [region("r", 0, 5, "Hanio", "LOC")])])
    with pytest.raises(InputError, match=r"region r: value\.text 'Hanio' differs"):
        build(bad, SCHEMA, out, progress=False)
    assert [p.name for p in out.iterdir()] == ["manifest.json"]
    assert (out / "manifest.json").read_text() == '{"export_sha256": "0", "splits": {}}'
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_failed_build_removes_the_folders_it_made_for_out(tmp_path):
    bad = write_export(tmp_path / "bad.json", [task(1, "Hanoi", [region("r", 0, 5, "Hanio", "LOC")])])
    with pytest.raises(InputError):
        build(bad, SCHEMA, tmp_path / "new" / "sub" / "splits", progress=False)
    assert [p.name for p in tmp_path.iterdir()] == ["bad.json"]


def test_the_cli_reports_bad_input_on_stderr_with_exit_code_1(tmp_path):
    bad = write_export(tmp_path / "bad.json", [task(3, "Hanoi", [region("r9", 0, 5, "Hanoi", "CITY")])])
    result = CliRunner().invoke(
        main, ["build", str(bad), "--config", str(CONFIG), "--out", str(tmp_path / "out"), "--quiet"]
    )
    assert result.exit_code == 1
    assert "task 3 (document doc-3) annotation 30, region r9: unknown label 'CITY'" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("option", "value", "code"),
    [("--seed", "0", 0), ("--language", "zz", 2), ("--config", "not-a-config.xml", 1), ("--out", "taken", 1)],
)
def test_the_build_command_leaves_the_cyclic_collector_as_it_found_it(tmp_path, option, value, code):
    """It pauses the collector during its set-up and freezes what the set-up made, for the build only."""
    good = write_export(
        tmp_path / "good.json", [task(1, "Hanoi et Cuba", [region("r", 0, 5, "Hanoi", "LOC")])]
    )
    (tmp_path / "not-a-config.xml").write_text("<View></View>")
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("not a build")
    frozen = gc.get_freeze_count()
    arguments = ["build", str(good), "--out", str(tmp_path / "out"), "--quiet", option]
    arguments.append(str(tmp_path / value) if option in ("--config", "--out") else value)
    result = CliRunner().invoke(main, arguments, catch_exceptions=False)
    assert result.exit_code == code, result.output
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen


@pytest.mark.parametrize("state", ["disabled", "frozen"])
def test_the_build_command_leaves_a_paused_or_frozen_collector_so(tmp_path, state):
    """Run in a process that paused the collector or froze objects of its own (a notebook, a server that
    forks workers), the command neither turns the collector back on nor thaws what the caller froze."""
    good = write_export(
        tmp_path / "good.json", [task(1, "Hanoi et Cuba", [region("r", 0, 5, "Hanoi", "LOC")])]
    )
    arguments = ["build", str(good), "--out", str(tmp_path / "out"), "--quiet"]
    callers = [[number] for number in range(10)]
    if state == "disabled":
        gc.disable()
    else:
        gc.freeze()
    frozen = gc.get_freeze_count()
    try:
        result = CliRunner().invoke(main, arguments, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert gc.isenabled() == (state == "frozen")
        if state == "disabled":
            assert gc.get_freeze_count() == frozen == 0
        else:  # frozen objects are in no generation gc.get_objects lists
            assert not any(found is callers for found in gc.get_objects())
    finally:
        gc.enable()
        gc.unfreeze()


def test_a_rebuild_keeps_the_previous_splits_unless_asked_to_reassign(tmp_path):
    out = tmp_path / "splits"
    build(GOLD, SCHEMA, out, progress=False)
    manifest = json.loads((out / "manifest.json").read_text())
    # Pretend an earlier release had put one validation document in test: a rebuild must not move it.
    moved = manifest["splits"]["validation"].pop(0)
    manifest["splits"]["test"].append(moved)
    (out / "manifest.json").write_text(json.dumps(manifest))
    (out / "README.md").write_text("the card")
    result = CliRunner().invoke(
        main, ["build", str(GOLD), "--config", str(CONFIG), "--out", str(out), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    assert "kept the split of the 31 documents" in result.output
    assert moved["id"] in load(split="test", data_dir=out)["id"]
    assert (out / "README.md").read_text() == "the card"  # the card copy survives the rebuild
    result = CliRunner().invoke(
        main, ["build", str(GOLD), "--config", str(CONFIG), "--out", str(out), "--quiet", "--reassign"]
    )
    assert moved["id"] in load(split="validation", data_dir=out)["id"]


JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
MANIFEST_ENTRIES = st.dictionaries(
    st.text(max_size=6),
    JSON_SCALARS
    | st.lists(JSON_SCALARS, max_size=2)
    | st.dictionaries(st.text(max_size=2), JSON_SCALARS, max_size=2),
    max_size=4,
)


@settings(max_examples=200, deadline=None)
@given(
    entries=st.fixed_dictionaries(
        {
            split: st.lists(MANIFEST_ENTRIES | st.just({"id": "é-1", "sha256": "ab", "fold": 3}), max_size=3)
            for split in ("train", "validation", "test")
        }
    )
)
def test_the_streamed_manifest_is_what_json_dumps_writes(entries):
    listed = {}
    for split, items in entries.items():
        listed[split] = io.StringIO()
        listed[split].writelines(json.dumps(item) + "\n" for item in items)
    streamed = io.StringIO()
    header = {
        "export_sha256": "0f",
        "assignment": {"by": "balance", "ratios": [0.6, 0.2, 0.2]},
        "language": "fr",
    }
    write_manifest(streamed, header, listed)
    expected = {**header, "splits": entries}
    assert streamed.getvalue() == json.dumps(expected, indent=2, sort_keys=True) + "\n"


def test_the_build_reads_the_export_once_and_stages_its_rows_for_the_split_files(tmp_path, monkeypatch):
    reads = []

    def counted(path, schema, **options):
        reads.append(path)
        return iter_documents(path, schema, **options)

    monkeypatch.setattr("vna_ner.dataset.build.iter_documents", counted)
    build(GOLD, SCHEMA, tmp_path / "out", progress=False)
    assert reads == [GOLD]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging folder, no scratch file left


def test_every_number_of_workers_writes_the_same_files(rebuilt, tmp_path):
    out = tmp_path / "two"
    build(GOLD, SCHEMA, out, progress=False, keep=previous_splits(RELEASE_1_0), workers=2)
    files = sorted(p.relative_to(rebuilt) for p in rebuilt.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    for path in files:
        assert (out / path).read_bytes() == (rebuilt / path).read_bytes(), path


@pytest.mark.parametrize("workers", [1, 2])
def test_a_document_the_tags_cannot_give_back_fails_after_the_export_is_validated(tmp_path, workers):
    crossing = task(2, "Nguyen\nXuan Phuc arrive.", [region("r1", 0, 16, "Nguyen\nXuan Phuc", "PER")])
    export = write_export(tmp_path / "e.json", [task(1, "Hanoi", []), crossing, task(3, "Hué", [])])
    with pytest.raises(InputError, match=r"document doc-2: entity \[0, 16\) PER .* is not given back"):
        build(export, SCHEMA, tmp_path / "out", progress=False, workers=workers)
    assert list(tmp_path.iterdir()) == [export]
    bad = task(4, "Hanoi", [region("r9", 0, 5, "Hanoi", "CITY")])
    export = write_export(tmp_path / "e.json", [crossing, bad])
    with pytest.raises(InputError, match="unknown label 'CITY'"):  # the reader's problems come first
        build(export, SCHEMA, tmp_path / "out", progress=False, workers=workers)


def test_previous_splits_streams_the_manifest_and_refuses_a_foreign_one(rebuilt, tmp_path):
    kept = previous_splits(rebuilt)
    manifest = json.loads((rebuilt / "manifest.json").read_text())
    listed = {item["id"]: split for split, items in manifest["splits"].items() for item in items}
    assert dict(zip(kept.ids.to_pylist(), (SPLITS[code] for code in kept.splits), strict=True)) == listed
    assert len(previous_splits(tmp_path)) == 0  # no build there yet
    (tmp_path / "manifest.json").write_text('{"splits": {"dev": [{"id": "a", "sha256": "0"}]}}')
    with pytest.raises(InputError, match=r"manifest.json: not a vna-ner manifest: .*unknown split 'dev'"):
        previous_splits(tmp_path)


def test_the_build_counts_what_it_writes_as_the_statistics_of_the_loaded_splits(tmp_path):
    statistics = build(GOLD, SCHEMA, tmp_path / "splits", progress=False)
    assert statistics == split_statistics(load(data_dir=tmp_path / "splits"))
    assert statistics["total"]["entities"]["PER"] == sum(
        span.label == "PER" for d in read_documents(GOLD, SCHEMA) for span in d.entities
    )


def test_the_build_command_gives_back_arrows_memory_pool(tmp_path):
    before = pa.default_memory_pool().backend_name
    result = CliRunner().invoke(
        main, ["build", str(GOLD), "--config", str(CONFIG), "--out", str(tmp_path / "out"), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    assert pa.default_memory_pool().backend_name == before


def test_an_entity_across_a_sentence_break_is_refused_not_cut():
    text = "Nguyen\nXuan Phuc arrive."
    document = Document(id="d", text=text, entities=[Span(0, 16, "PER", text[:16], "T1")])

    with pytest.raises(InputError, match=r"entity \[0, 16\) PER 'Nguyen\\nXuan Phuc' is not given back"):
        document_rows(document)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"export_sha256": "x", "splits": {"train": [' + "[" * 100_000, "an entry must be an object"),
        ('{"export_sha256": "x", "splits": 5}', "splits: an object expected, found a number"),
        ('{"export_sha256": "x", "splits": {"train": [{"id": 5}]}}', "entry 'id': a string expected"),
        ('{"export_sha256": "x", "splits": {"dev": []}}', "unknown split 'dev'"),
        ('{"export_sha256": "x", "splits": {}, "notes": 1}', "unexpected key 'notes'"),
        ('{"splits": {}}', "no export_sha256"),
        ('{"assignment": {"missing": {"train": [[' + "[" * 100_000, "assignment: nested deeper than a build"),
    ],
)
def test_a_manifest_not_of_the_shape_a_build_writes_is_refused_and_not_taken_for_a_build(
    tmp_path, text, reason
):
    (tmp_path / "manifest.json").write_text(text)
    with pytest.raises(InputError, match=rf"manifest.json: not a vna-ner manifest: .*{re.escape(reason)}"):
        previous_splits(tmp_path)
    assert not is_build(tmp_path)
    with pytest.raises(OutputError, match="is not an earlier vna-ner build"):
        check_out(tmp_path)
