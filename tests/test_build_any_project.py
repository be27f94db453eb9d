"""Building another team's Label Studio project: any size, its own config, language and file format.

The export is English, with labels containing spaces ("Named Person") and other control names than
this corpus's; the built folder must load with plain ``datasets``, offline.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from helpers import CONFIG as GOLD_CONFIG
from helpers import REPO
from vna_ner.cli import main
from vna_ner.dataset.build import build
from vna_ner.dataset.features import SPLITS
from vna_ner.dataset.load import documents_of, load
from vna_ner.dataset.split import RELAXATIONS, CorpusSummary, assign_splits
from vna_ner.labelstudio.export import read_documents
from vna_ner.labelstudio.schema import load_schema, parse_schema

FOREIGN_CONFIG = """<View>
  <Labels name="ner" toName="doc">
    <Label value="Named Person"/>
    <Label value="Organization"/>
    <Label value="Location"/>
    <Label value="Misc"/>
  </Labels>
  <Text name="doc" value="$text"/>
  <Relations>
    <Relation value="works at"/>
  </Relations>
</View>
"""
SCHEMA = parse_schema(FOREIGN_CONFIG)
PER, ORG, LOC, MISC = SCHEMA.entity_labels

# Ten small English news items: plain strings between (surface, label) entities.
STORIES: list[list[Any]] = [
    [("Marie Curie", PER), " worked at ", ("the University of Paris", ORG), ". ", ("Curie", PER),
     "'s lab was in ", ("Paris", LOC), "."],
    [("Acme Corp", ORG), " opened an office in ", ("Lyon", LOC), " on Monday."],
    [("John Smith", PER), " visited ", ("Berlin", LOC), " for the ", ("Expo 2026", MISC), " fair."],
    [("The Red Cross", ORG), " sent aid to ", ("Haiti", LOC), " after the storm."],
    [("Ada Lovelace", PER), " wrote the first program."],
    [("Globex", ORG), " and ", ("Initech", ORG), " merged, said ", ("Jane Doe", PER), "."],
    [("Rome", LOC), " hosted the ", ("World Cup", MISC), " final."],
    [("Alan Turing", PER), " joined ", ("Bletchley Park", ORG), " near ", ("London", LOC), "."],
    [("Oslo", LOC), " and ", ("Bergen", LOC), " saw snow."],
    [("NASA", ORG), " launched ", ("Artemis", MISC), " with ", ("Sally Ride", PER), "'s team watching."],
]  # fmt: skip


def story_task(number: int, parts: list[Any], **data: Any) -> dict[str, Any]:
    """A task with one submitted annotation of ``parts``' entities."""
    text, regions = "", []
    for part in parts:
        if isinstance(part, tuple):
            surface, label = part
            value = {"start": len(text), "end": len(text) + len(surface), "text": surface, "labels": [label]}
            regions.append(
                {"id": f"r{number}-{len(regions)}", "from_name": "ner", "to_name": "doc", "type": "labels",
                 "value": value}
            )  # fmt: skip
            part = surface
        text += part
    return {
        "id": number,
        "data": {"text": text, "doc_id": f"story-{number:02d}", **data},
        "annotations": [{"id": 100 + number, "result": regions}],
    }


def write_project(folder: Path, count: int, **data_of: dict[str, Any]) -> tuple[Path, Path]:
    """The config and an export of the first ``count`` stories; ``data_of[doc_id]`` adds data fields."""
    config = folder / "config.xml"
    config.write_text(FOREIGN_CONFIG, encoding="utf-8")
    tasks = [
        story_task(n, parts, **data_of.get(f"story-{n:02d}", {}))
        for n, parts in enumerate(STORIES[:count], start=1)
    ]
    export = folder / "export.json"
    export.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    return config, export


def run(*args: str) -> Any:
    return CliRunner().invoke(main, [str(arg) for arg in args])


@pytest.mark.parametrize("count", range(1, len(STORIES) + 1))
def test_every_prefix_of_a_small_project_gets_splits_and_says_what_each_lacks(tmp_path, count):
    _, export = write_project(tmp_path, count)
    documents = read_documents(export, SCHEMA)
    assignment = assign_splits(CorpusSummary.of(documents, SCHEMA.entity_labels))
    split_of = dict(
        zip((d.id for d in documents), (SPLITS[c] for c in assignment.splits.tolist()), strict=True)
    )
    used = set(split_of.values())
    assert len(used) == min(count, len(SPLITS)), split_of  # every split filled once there are 3 tasks
    for split in SPLITS:
        labels_in = {s.label for d in documents if split_of[d.id] == split for s in d.entities}
        lacking = tuple(label for label in SCHEMA.entity_labels if label not in labels_in)
        lacking = tuple(
            label for label in lacking if any(s.label == label for d in documents for s in d.entities)
        )
        assert assignment.missing.get(split, ()) == lacking, (split, split_of)
    assert set(assignment.relaxed) <= set(RELAXATIONS)
    assert (RELAXATIONS[2] in assignment.relaxed) == (count < len(SPLITS))


@pytest.mark.parametrize(("count", "fmt"), [(1, "arrow"), (3, "arrow"), (3, "parquet")])
def test_a_built_foreign_project_loads_with_plain_datasets_offline(tmp_path, monkeypatch, count, fmt):
    config, export = write_project(tmp_path, count)
    out = tmp_path / "built"
    result = run("build", export, "--config", config, "--out", out, "--quiet", "--language", "en",
                 "--format", fmt)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "sentences").iterdir()) == sorted(f"{s}.{fmt}" for s in SPLITS)
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    import datasets

    for config_name in ("documents", "sentences"):
        loaded = datasets.load_dataset(str(out), config_name, cache_dir=str(tmp_path / "cache"))
        ours = load(config_name, data_dir=out)
        # datasets cannot load an empty split: the card lists only the filled ones
        assert {split: len(rows) for split, rows in loaded.items()} == {
            split: len(rows) for split, rows in ours.items() if len(rows)
        }
        assert len(loaded) == min(count, len(SPLITS))
        assert loaded["train"].features == ours["train"].features
        names = loaded["train"].features["ner_tags"].feature.names
        assert names == ["O", "B-Named Person", "I-Named Person", "B-Organization", "I-Organization",
                         "B-Location", "I-Location", "B-Misc", "I-Misc"]  # fmt: skip
    train = load("documents", split="train", data_dir=out)
    tokens = [t for row in train["tokens"] for t in row]
    assert tokens[tokens.index("lab") - 2 : tokens.index("lab")] == ["Curie", "'s"]
    card = (out / "README.md").read_text("utf-8")
    assert "language:\n- en\n" in card and f"sentences/train.{fmt}" in card
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert (manifest["language"], manifest["format"]) == ("en", fmt)


def test_a_one_task_build_says_which_constraints_gave_way(tmp_path):
    config, export = write_project(tmp_path, 1)
    result = run(
        "build", export, "--config", config, "--out", tmp_path / "out", "--quiet", "--language", "en"
    )
    assert result.exit_code == 0, result.output
    assert "relaxed, as no assignment could meet it: a document in every split" in result.output
    assert "validation has no entity labelled Named Person, Organization, Location" in result.output
    assert "test has no entity labelled Named Person, Organization, Location" in result.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text("utf-8"))
    assert manifest["assignment"]["relaxed"] == ["a document in every split"]
    assert manifest["assignment"]["missing"] == {
        "validation": ["Named Person", "Organization", "Location"],
        "test": ["Named Person", "Organization", "Location"],
    }
    assert [len(load(split=s, data_dir=tmp_path / "out")) for s in SPLITS] == [1, 0, 0]


def test_the_readme_round_trip_of_the_test_split_builds(tmp_path):
    tasks = tmp_path / "tasks.json"
    assert run("to-labelstudio", tasks, "--split", "test").exit_code == 0
    result = run("build", tasks, "--out", tmp_path / "out", "--quiet")
    assert result.exit_code == 0, result.output
    assert sum(len(load(split=s, data_dir=tmp_path / "out")) for s in SPLITS) == len(
        json.loads(tasks.read_text())
    )


def test_splits_can_come_from_a_field_of_each_task(tmp_path):
    chosen = {f"story-{n:02d}": {"split": SPLITS[n % 3]} for n in range(1, 8)}
    config, export = write_project(tmp_path, 7, **chosen)
    result = run("build", export, "--config", config, "--out", tmp_path / "out", "--quiet", "--split-field",
                 "split")  # fmt: skip
    assert result.exit_code == 0, result.output
    for split in SPLITS:
        ids = load(split=split, data_dir=tmp_path / "out")["id"]
        assert sorted(ids) == sorted(doc for doc, data in chosen.items() if data["split"] == split)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text("utf-8"))
    assert manifest["assignment"]["by"] == "data.split"


def test_a_split_field_with_another_value_is_refused_naming_the_task(tmp_path):
    chosen = {"story-01": {"split": "train"}, "story-02": {"split": "dev"}}
    config, export = write_project(tmp_path, 3, **chosen)
    result = run("build", export, "--config", config, "--out", tmp_path / "out", "--quiet", "--split-field",
                 "split")  # fmt: skip
    assert result.exit_code == 1
    assert "task 2 (document story-02): data.split is 'dev'; it must be one of train, validation, test" in (
        result.output
    )
    assert "task 3 (document story-03): data.split is missing" in result.output
    assert not (tmp_path / "out").exists()


def test_ratios_and_seed_are_options_recorded_in_the_manifest(tmp_path):
    config, export = write_project(tmp_path, 10)
    out = tmp_path / "out"
    result = run("build", export, "--config", config, "--out", out, "--quiet", "--ratios", "0.5,0.25,0.25",
                 "--seed", "3")  # fmt: skip
    assert result.exit_code == 0, result.output
    assignment = json.loads((out / "manifest.json").read_text("utf-8"))["assignment"]
    assert (assignment["ratios"], assignment["seed"]) == ([0.5, 0.25, 0.25], 3)
    for bad in ("0.5,0.5", "0.7,0.2,0.2", "a,b,c"):
        result = run("build", export, "--config", config, "--out", tmp_path / "o2", "--ratios", bad)
        assert result.exit_code == 2 and "--ratios" in result.output, result.output


def test_an_unknown_language_is_a_usage_error_before_any_work(tmp_path):
    config, export = write_project(tmp_path, 3)
    result = run("build", export, "--config", config, "--out", tmp_path / "out", "--language", "zz")
    assert result.exit_code == 2
    assert "no rule-based spaCy tokenizer for language 'zz'" in result.output
    assert not (tmp_path / "out").exists()


def test_a_rebuild_replaces_the_generated_card_but_keeps_a_written_one(tmp_path):
    config, export = write_project(tmp_path, 3)
    out = tmp_path / "out"
    assert run("build", export, "--config", config, "--out", out, "--quiet").exit_code == 0
    first = (out / "README.md").read_text("utf-8")
    config, export = write_project(tmp_path, 4)
    assert run("build", export, "--config", config, "--out", out, "--quiet").exit_code == 0
    second = (out / "README.md").read_text("utf-8")
    assert second != first and re.search(r"\| documents +\| +2 \| +1 \| +1 \| +4 \|", second), second
    (out / "README.md").write_text("our own card", encoding="utf-8")
    assert run("build", export, "--config", config, "--out", out, "--quiet").exit_code == 0
    assert (out / "README.md").read_text("utf-8") == "our own card"


def test_the_shipped_card_is_not_touched_by_a_rebuild_of_the_gold(tmp_path):
    out = tmp_path / "splits"
    shutil.copytree(REPO / "splits", out)
    build(REPO / "annotations" / "gold.json", load_schema(GOLD_CONFIG), out, progress=False)
    assert (out / "README.md").read_bytes() == (REPO / "splits" / "README.md").read_bytes()


def test_the_coarse_view_of_another_projects_labels_is_refused_not_scored_as_nothing(tmp_path):
    config, export = write_project(tmp_path, len(STORIES))
    out = tmp_path / "out"
    assert (
        run("build", export, "--config", config, "--out", out, "--quiet", "--language", "en").exit_code == 0
    )
    predictions = tmp_path / "gold.test.jsonl"
    lines = [
        {"id": doc.id, "entities": [{"start": e.start, "end": e.end, "label": e.label} for e in doc.entities]}
        for doc in documents_of(load(split="test", data_dir=out))
    ]
    predictions.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    full = run("eval", "--predictions", predictions, "--data-dir", out, "--bootstrap", "0")
    assert full.exit_code == 0 and re.search(r"micro\s+1\.0000", full.output), full.output
    coarse = run("eval", "--predictions", predictions, "--data-dir", out, "--coarse")
    assert coarse.exit_code == 1
    assert coarse.output == (
        "error: 1 problem(s):\n  - the test split: --coarse maps the project's labels (PER, ORG, LOC, EVENT, "
        "MISC, TITLE, DATE), and this dataset also has Named Person, Organization, Location, Misc, which it "
        "would score as nothing; score the full view\n"
    )


def test_to_labelstudio_writes_only_labels_the_projects_config_has(tmp_path):
    config, export = write_project(tmp_path, len(STORIES))
    out = tmp_path / "out"
    assert (
        run("build", export, "--config", config, "--out", out, "--quiet", "--language", "en").exit_code == 0
    )
    (story_09, story_10) = documents_of(load(split="test", data_dir=out))
    predictions = tmp_path / "system.test.jsonl"
    lines = [
        {"id": story_09.id, "entities": [{"start": 0, "end": 4, "label": LOC}]},
        {"id": story_10.id, "entities": [{"start": 0, "end": 4, "label": ORG}, {"start": 14, "end": 21,
                                                                                 "label": MISC}]},
    ]  # fmt: skip
    predictions.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    tasks = tmp_path / "tasks.json"
    written = run("to-labelstudio", tasks, "--split", "test", "--predictions", predictions, "--data-dir", out,
                  "--config", config)  # fmt: skip
    assert written.exit_code == 0, written.output
    results = [task["predictions"][0]["result"] for task in json.loads(tasks.read_text("utf-8"))]
    assert [[r["value"]["labels"] for r in result] for result in results] == [[[LOC]], [[ORG], [MISC]]]
    tasks.unlink()
    fix = (
        "is not one of the config's (PER, ORG, LOC, TITLE, DATE, EVENT, MISC): "
        "pass the labeling config of the Label Studio project with --config"
    )
    refused = run("to-labelstudio", tasks, "--split", "test", "--predictions", predictions, "--data-dir", out)
    assert refused.exit_code == 1 and not tasks.exists()
    assert refused.output.splitlines()[1:] == [
        f"  - {predictions}, document {story_09.id}, region p1: entity label 'Location' (1 in all) {fix}",
        f"  - {predictions}, document {story_10.id}, region p1: entity label 'Organization' (1 in all) {fix}",
        f"  - {predictions}, document {story_10.id}, region p2: entity label 'Misc' (1 in all) {fix}",
    ]
    lines[0]["entities"][0]["label"] = "LOC"  # the vna-ner config's label, not the dataset's
    predictions.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    unknown = run("to-labelstudio", tasks, "--split", "test", "--predictions", predictions, "--data-dir", out,
                  "--config", config)  # fmt: skip
    assert unknown.exit_code == 1 and not tasks.exists()
    assert f"{predictions}:1 (document {story_09.id}), region entity 0 [0, 4): unknown label 'LOC'" in (
        unknown.output
    )
