"""Cross-validation folds: built like the splits, stored in the data and the manifest, kept by rebuilds."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence

import pytest
from click.testing import CliRunner

from helpers import CONFIG, REPO, SHARED, region, task, write_export
from helpers import labelled_document as document
from vna_ner.cli import main
from vna_ner.dataset.build import build, previous_folds
from vna_ner.dataset.features import SPLITS
from vna_ner.dataset.folds import RELAXATIONS, KeptFolds, assign_folds
from vna_ner.dataset.load import load
from vna_ner.dataset.split import CorpusSummary, SplitError
from vna_ner.documents import Document
from vna_ner.labelstudio.schema import load_schema

SHIPPED = REPO / "splits"
GOLD = REPO / "annotations" / "gold.json"
LABELS = ("PER", "LOC")


def corpus() -> list[Document]:
    documents = [document(f"main{i}", f"Article {i}. " + "x" * 30, "PLPL" * 3, main=True) for i in range(5)]
    documents += [document(f"t{i}", f"Teaser {i} " + "y" * 30, "PL") for i in range(10)]
    return documents


def folds_of(
    documents: Sequence[Document], count: int = 5, fixed: Mapping[str, int] | None = None, seed: int = 0
) -> dict[str, int]:
    """Document id -> fold, as :func:`assign_folds` decides for ``documents`` in this order."""
    kept = KeptFolds.of(fixed.items(), count) if fixed is not None else None
    assignment = assign_folds(CorpusSummary.of(documents, LABELS), count, fixed=kept, seed=seed)
    return dict(zip((d.id for d in documents), assignment.folds.tolist(), strict=True))


def folds_in(out) -> dict[str, int]:
    whole = load(split="all", data_dir=out)
    return dict(zip(whole["id"], whole["fold"], strict=True))


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_folds_balance_entities_and_documents_and_hold_every_label():
    # 5 mains of 12 entities and 10 teasers of 2: 80 entities, 16 per fold, 3 documents per fold.
    folds = folds_of(corpus())
    entities = Counter()
    for d in corpus():
        entities[folds[d.id]] += len(d.entities)
    assert sorted(entities.values()) == [16] * 5
    assert sorted(Counter(folds.values()).values()) == [3] * 5
    for fold in range(5):
        assert {s.label for d in corpus() if folds[d.id] == fold for s in d.entities} == set(LABELS)


def test_folds_are_deterministic_seeded_and_independent_of_the_order():
    documents = corpus()
    assert folds_of(documents) == folds_of(list(reversed(documents))) == folds_of(documents)
    assert any(folds_of(documents, seed=seed) != folds_of(documents) for seed in range(1, 5))


def test_documents_sharing_a_long_sentence_share_a_fold():
    documents = [*corpus(), document("dup-a", SHARED, "PL"), document("dup-b", "Titre.\n" + SHARED, "PL")]
    folds = folds_of(documents)
    assert folds["dup-a"] == folds["dup-b"]


def test_kept_folds_stay_and_pull_their_duplicates_and_a_clash_is_an_error():
    documents = [*corpus(), document("dup-a", SHARED, "PL"), document("dup-b", "Titre.\n" + SHARED, "PL")]
    folds = folds_of(documents)
    moved = {doc: fold for doc, fold in folds.items() if doc != "t3"} | {"t3": (folds["t3"] + 1) % 5}
    assert folds_of(documents, fixed=moved) == moved
    pulled = folds_of(documents, fixed={"dup-a": 4})
    assert pulled["dup-a"] == pulled["dup-b"] == 4
    with pytest.raises(SplitError, match="dup-a, dup-b share text but are fixed to different folds"):
        folds_of(documents, fixed={"dup-a": 1, "dup-b": 2})


def test_kept_folds_refuse_a_fold_out_of_range_and_an_id_listed_twice():
    with pytest.raises(ValueError, match="document d: fold 5 is not one of 0 to 4"):
        KeptFolds.of([("d", 5)], 5)
    with pytest.raises(ValueError, match="documents listed more than once: d"):
        KeptFolds.of([("d", 1), ("d", 2)], 5)


def test_fewer_groups_than_folds_leave_folds_empty_and_say_so():
    # Three one-entity documents, five folds: three folds get one document each, two stay empty.
    documents = [document(f"d{i}", f"Document {i}. " + "d" * 30, "P") for i in range(3)]
    assignment = assign_folds(CorpusSummary.of(documents, LABELS), 5)
    assert sorted(assignment.folds.tolist()) == [0, 1, 2]
    # PER is in 3 groups, fewer than 5 folds: never required, so only the empty folds gave way
    assert assignment.relaxed == (RELAXATIONS[1],)
    assert assignment.missing == {"3": ("PER",), "4": ("PER",)}


def test_a_label_in_fewer_groups_than_folds_is_not_required():
    # LOC is in two documents only: it cannot be in 3 folds, so nothing gives way for it.
    documents = [document(f"p{i}", f"Personne {i}. " + "c" * 30, "P") for i in range(6)]
    documents += [document(f"l{i}", f"Lieu {i}. " + "l" * 30, "L") for i in range(2)]
    assignment = assign_folds(CorpusSummary.of(documents, LABELS), 3)
    assert assignment.relaxed == ()
    assert set(assignment.missing.values()) == {("LOC",)}  # one or two folds lack it, said, not relaxed


def test_the_shipped_folds_cut_all_31_documents_into_5_balanced_folds_with_every_label():
    documents = load(split="all")
    manifest = json.loads((SHIPPED / "manifest.json").read_text("utf-8"))
    assert manifest["folds"] == {"count": 5, "missing": {}, "relaxed": [], "seed": 0}
    listed = {e["id"]: e["fold"] for entries in manifest["splits"].values() for e in entries}
    assert dict(zip(documents["id"], documents["fold"], strict=True)) == listed
    assert len(listed) == 31 and sorted(Counter(listed.values()).values()) == [6, 6, 6, 6, 7]
    names = documents.features["entities"].feature["label"].names
    per_fold = {fold: Counter() for fold in range(5)}
    for fold, entities in zip(documents["fold"], documents["entities"], strict=True):
        per_fold[fold].update(names[e["label"]] for e in entities)
    assert all(set(counts) == set(names) for counts in per_fold.values())
    totals = [sum(counts.values()) for counts in per_fold.values()]
    assert sum(totals) == 655 and max(totals) - min(totals) <= 0.05 * 655, totals
    # every fold holds a main article (relations); the sentences carry their document's fold
    assert all(any(d.endswith("-main") and f == fold for d, f in listed.items()) for fold in range(5))
    sentences = load("sentences", split="all")
    assert all(listed[d] == f for d, f in zip(sentences["document_id"], sentences["fold"], strict=True))


def test_load_all_concatenates_the_splits_in_order():
    whole = load("documents", split="all")
    assert whole["id"] == [i for split in SPLITS for i in load(split=split)["id"]]
    assert str(whole.split) == "all"
    with pytest.raises(ValueError, match="choose one of train, validation, test, all"):
        load(split="dev")


def test_a_rebuild_keeps_each_documents_fold_unless_reassigned_or_the_count_changes(tmp_path):
    out = tmp_path / "splits"
    build(GOLD, load_schema(CONFIG), out, progress=False)
    manifest = json.loads((out / "manifest.json").read_text())
    entry = manifest["splits"]["train"][0]
    original = entry["fold"]
    entry["fold"] = (original + 1) % 5  # as if an earlier release had put it elsewhere: it must stay there
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert len(previous_folds(out)) == 31 and len(previous_folds(out, 3)) == 0
    args = ("build", GOLD, "--config", CONFIG, "--out", out, "--quiet")
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert "kept the fold of the 31 documents of the previous build" in result.output
    assert folds_in(out)[entry["id"]] == (original + 1) % 5
    result = run(*args, "--folds", "3")
    assert "the previous build had 5 folds: every document's fold assigned afresh" in result.output
    assert set(load(split="all", data_dir=out)["fold"]) == {0, 1, 2}
    assert json.loads((out / "manifest.json").read_text())["folds"]["count"] == 3
    run(*args, "--folds", "5", "--reassign")
    assert folds_in(out)[entry["id"]] == original


def test_a_small_project_with_fewer_documents_than_folds_builds_and_says_which_folds_are_empty(tmp_path):
    texts = ["Hanoi reçoit Cuba.", "Phuc part.", "Lao et Hue."]
    tasks = [task(n, text, [region(f"r{n}", 0, 3, text[:3], "LOC")]) for n, text in enumerate(texts, 1)]
    export, config = write_export(tmp_path / "export.json", tasks), CONFIG
    out = tmp_path / "out"
    result = run("build", export, "--config", config, "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    assert "relaxed, as no assignment could meet it: a document in every fold" in result.output
    assert "fold 3 has no entity labelled" in result.output and "fold 4 has no entity" in result.output
    assert sorted(load(split="all", data_dir=out)["fold"]) == [0, 1, 2]
    card = (out / "README.md").read_text("utf-8")
    assert "one of 5 cross-validation folds (the `fold` column, 0 to 4" in card
    assert "relaxed: a document in every fold" in card
    result = run("build", export, "--config", config, "--out", tmp_path / "o3", "--quiet", "--folds", "3")
    assert result.exit_code == 0 and "a document in every fold" not in result.output, result.output
    for bad in ("1", "256", "x"):
        result = run("build", export, "--config", config, "--out", tmp_path / "o4", "--folds", bad)
        assert result.exit_code == 2 and "--folds" in result.output, result.output
