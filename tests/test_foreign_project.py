"""Another team's Label Studio project, end to end: build, plain ``datasets``, eval, and the real server.

The project is English, with its own control names (``ner`` on ``doc``), labels with spaces, its text under
``$content`` and unlabelled relations (no ``<Relations>`` in its config). Its three-task export has a task
annotated twice (the latest ``updated_at`` is the gold) and a task nobody annotated (left out, counted).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from vna_ner.cli import main
from vna_ner.dataset.features import SPLITS
from vna_ner.dataset.load import load
from vna_ner.labelstudio.schema import load_schema, parse_schema

CONFIG = """<View>
  <Labels name="ner" toName="doc">
    <Label value="Named Person"/>
    <Label value="Organization"/>
    <Label value="Location"/>
    <Label value="Misc"/>
  </Labels>
  <Text name="doc" value="$content"/>
</View>
"""
PER, ORG, LOC, MISC = parse_schema(CONFIG).entity_labels
TAGS = ["O", "B-Named Person", "I-Named Person", "B-Organization", "I-Organization", "B-Location",
        "I-Location", "B-Misc", "I-Misc"]  # fmt: skip


def annotated(text: str, entities: list[tuple[str, str]], relations: list[tuple[int, int]], **extra: Any):
    """An annotation of ``text``: each (surface, label) found left to right; relations by entity number."""
    result, at = [], 0
    for number, (surface, label) in enumerate(entities):
        start = text.index(surface, at)
        at = start + len(surface)
        value = {"start": start, "end": at, "text": surface, "labels": [label]}
        result.append(
            {"id": f"e{number}", "from_name": "ner", "to_name": "doc", "type": "labels", "value": value}
        )
    result += [
        {"type": "relation", "from_id": f"e{head}", "to_id": f"e{tail}", "direction": "right", "labels": []}
        for head, tail in relations
    ]
    return {"result": result, **extra}


CURIE = "Marie Curie worked at the University of Paris with Pierre Curie in Paris."
CURIE_GOLD = [("Marie Curie", PER), ("University of Paris", ORG), ("Pierre Curie", PER), ("Paris", LOC)]
TWICE = {  # two annotators: the later one is the gold
    "id": 1,
    "data": {"content": CURIE, "doc_id": "curie"},
    "annotations": [
        annotated(CURIE, CURIE_GOLD[:1], [], id=11, updated_at="2026-01-01T10:00:00Z"),
        annotated(CURIE, CURIE_GOLD, [(0, 1)], id=12, updated_at="2026-02-01T10:00:00Z"),
    ],
}
ACME = "Acme Corp opened an office in Lyon for the Expo 2026 fair."
ONCE = {
    "id": 2,
    "data": {"content": ACME, "doc_id": "acme"},
    "annotations": [
        annotated(ACME, [("Acme Corp", ORG), ("Lyon", LOC), ("Expo 2026", MISC)], [(0, 1)], id=21)
    ],
}
SMITH = "John Smith visited Berlin."
THIRD = {
    "id": 3,
    "data": {"content": SMITH, "doc_id": "smith"},
    "annotations": [annotated(SMITH, [("John Smith", PER), ("Berlin", LOC)], [], id=31)],
}
NOBODY = {"id": 4, "data": {"content": "Nobody annotated this one.", "doc_id": "nobody"}, "annotations": []}


def run(*args: Any) -> Any:
    result = CliRunner().invoke(main, [str(arg) for arg in args])
    assert result.exit_code == 0, result.output
    return result


def write(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=False), "utf-8")
    return path


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "config.xml").write_text(CONFIG, "utf-8")
    write(tmp_path / "one.json", [TWICE])
    write(tmp_path / "three.json", [TWICE, ONCE, THIRD, NOBODY])
    return tmp_path


def build(folder: Path, export: str, out: str) -> str:
    return run("build", folder / export, "--config", folder / "config.xml", "--out", folder / out, "--quiet",
               "--language", "en").output  # fmt: skip


def arrow_files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.glob("*/*.arrow"))}


@pytest.mark.parametrize(("export", "documents"), [("one.json", 1), ("three.json", 3)])
def test_a_foreign_export_builds_and_loads_with_plain_datasets(project, monkeypatch, export, documents):
    output = build(project, export, "built")
    assert "gold chosen among several annotations by latest updated_at: 1 task(s)" in output
    if documents == 3:
        assert "left out, no annotation: 1 (task 4)" in output
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    import datasets

    loaded = {
        name: datasets.load_dataset(str(project / "built"), name, cache_dir=str(project / "cache"))
        for name in ("documents", "sentences")
    }
    rows = {row["id"]: row for split in loaded["documents"].values() for row in split}
    assert sorted(rows) == sorted(["curie", "acme", "smith"][:documents])
    assert loaded["documents"]["train"].features["ner_tags"].feature.names == TAGS
    curie = rows["curie"]  # the later annotation, with its unlabelled relation under the default name
    assert [(e["text"], e["label"]) for e in curie["entities"]] == [
        ("Marie Curie", 0),
        ("University of Paris", 1),
        ("Pierre Curie", 0),
        ("Paris", 2),
    ]
    assert [r["label"] for r in curie["relations"]] == [0]
    assert loaded["documents"]["train"].features["relations"].feature["label"].names == ["related"]
    ours = load("documents", data_dir=project / "built")
    assert {s: len(r) for s, r in ours.items() if len(r)} == {
        s: len(r) for s, r in loaded["documents"].items()
    }
    assert sum(len(split) for split in loaded["sentences"].values()) == documents  # one sentence each


def test_eval_on_a_foreign_build_gives_the_hand_derived_scores(project):
    build(project, "one.json", "built")
    assert [row["id"] for row in load(split="train", data_dir=project / "built")] == ["curie"]
    # Against the 4 gold entities: 2 right, 'Pierre Curie' with the wrong label, 'worked' spurious,
    # 'Paris' missed. TP 2, FP 2, FN 2: P = R = F1 = 2/4.
    predicted = [(0, 11, PER), (12, 18, MISC), (26, 45, ORG), (51, 63, LOC)]
    line = {"id": "curie", "entities": [{"start": s, "end": e, "label": label} for s, e, label in predicted]}
    predictions = project / "predictions.jsonl"
    predictions.write_text(json.dumps(line) + "\n", "utf-8")
    run("eval", "--predictions", predictions, "--data-dir", project / "built", "--split", "train",
        "--bootstrap", 0, "--output", project / "report.json")  # fmt: skip
    micro = json.loads((project / "report.json").read_text("utf-8"))["entities"]["strict"]["micro"]
    assert micro == {"p": 0.5, "r": 0.5, "f1": 0.5, "support": 4, "tp": 2, "fp": 2, "fn": 2}


def test_vna_ner_config_writes_a_config_that_validates_the_export(project):
    run("config", project / "three.json", "--output", project / "written.xml")
    schema = load_schema(project / "written.xml")
    assert schema.entity_labels == (LOC, MISC, PER, ORG)  # sorted
    assert (schema.from_name, schema.to_name, schema.text_key) == ("ner", "doc", "content")
    assert not schema.relations_labelled
    assert (
        "no problem found"
        in run("validate", project / "three.json", "--config", project / "written.xml").output
    )


@pytest.mark.labelstudio
def test_a_foreign_build_round_trips_through_label_studio(project, label_studio):
    build(project, "three.json", "built")
    run("to-labelstudio", project / "tasks.json", "--data-dir", project / "built", "--config",
        project / "config.xml")  # fmt: skip
    client = label_studio.client
    created = client.projects.create(title="foreign project round trip", label_config=CONFIG)
    try:
        tasks = json.loads((project / "tasks.json").read_text("utf-8"))
        client.projects.import_tasks(id=created.id, request=tasks, return_task_ids=True)
        write(project / "exported.json", label_studio.export_json(created.id))
    finally:
        client.projects.delete(id=created.id)
    build(project, "exported.json", "rebuilt")
    assert len(arrow_files(project / "built")) == 2 * len(SPLITS)
    assert arrow_files(project / "rebuilt") == arrow_files(project / "built")
    run("config", project / "exported.json", "--output", project / "written.xml")
    assert load_schema(project / "written.xml").entity_labels == (LOC, MISC, PER, ORG)
    run("validate", project / "exported.json", "--config", project / "written.xml")
