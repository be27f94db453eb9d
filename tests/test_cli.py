"""The `vna-ner` command line: every subcommand has help, and the Label Studio task writer works both ways."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from helpers import CONFIG
from vna_ner.cli import main
from vna_ner.dataset.load import documents_of, load
from vna_ner.labelstudio.export import iter_tasks
from vna_ner.labelstudio.schema import load_schema

SCHEMA = load_schema(CONFIG)


@pytest.mark.parametrize(
    "command",
    [
        "validate",
        "build",
        "stats",
        "to-labelstudio",
        "check",
        "diff",
        "agreement",
        "card",
        "eval",
        "leaderboard",
    ],
)
def test_every_subcommand_explains_itself(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def _entities(document):
    return [(s.start, s.end, s.label) for s in document.entities]


def _relations(document):
    spans = {s.id: (s.start, s.end, s.label) for s in document.entities}
    return sorted((spans[r.head], spans[r.tail], r.label) for r in document.relations)


def test_gold_goes_to_label_studio_as_annotations(tmp_path):
    output = tmp_path / "tasks.json"
    result = CliRunner().invoke(
        main, ["to-labelstudio", str(output), "--split", "validation", "--config", str(CONFIG)]
    )
    assert result.exit_code == 0, result.output
    tasks = json.loads(output.read_text())
    gold = documents_of(load(split="validation"))
    assert [t["data"]["doc_id"] for t in tasks] == [d.id for d in gold]
    assert all("predictions" not in t and t["annotations"][0]["ground_truth"] for t in tasks)


def test_predictions_go_to_label_studio_as_pre_annotations(tmp_path):
    gold = documents_of(load(split="test"))
    predictions = tmp_path / "system.test.jsonl"
    with predictions.open("w") as stream:
        for document in gold:
            index = {span.id: i for i, span in enumerate(document.entities)}
            entities = [{"start": s.start, "end": s.end, "label": s.label} for s in document.entities]
            relations = [
                {"head": index[r.head], "tail": index[r.tail], "label": r.label} for r in document.relations
            ]
            stream.write(json.dumps({"id": document.id, "entities": entities, "relations": relations}) + "\n")
    output = tmp_path / "tasks.json"
    result = CliRunner().invoke(
        main,
        ["to-labelstudio", str(output), "--split", "test", "--predictions", str(predictions),
         "--model-version", "copy-of-gold", "--config", str(CONFIG)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    exported = json.loads(output.read_text())
    assert all(t["predictions"][0]["model_version"] == "copy-of-gold" for t in exported)
    output.write_text(json.dumps([{"id": i, **t} for i, t in enumerate(exported, start=1)]))
    for task, expected in zip(iter_tasks(output, SCHEMA), gold, strict=True):
        (prediction,) = task.predictions
        assert _entities(prediction) == _entities(expected)
        assert _relations(prediction) == _relations(expected)


def test_predictions_need_a_split(tmp_path):
    (tmp_path / "p.jsonl").write_text("")
    result = CliRunner().invoke(
        main, ["to-labelstudio", str(tmp_path / "t.json"), "--predictions", str(tmp_path / "p.jsonl")]
    )
    assert result.exit_code == 2
    assert "--predictions needs --split" in result.output
