"""The dataset card: valid Hugging Face metadata, and numbers that match the built data."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner
from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCard

from helpers import CONFIG, REPO
from vna_ner.cli import main
from vna_ner.dataset.load import load

CARD = REPO / "DATASET_CARD.md"
SPLITS = REPO / "splits"


def test_the_card_is_not_stale():
    result = CliRunner().invoke(
        main,
        ["card", str(REPO / "annotations/gold.json"), "--config", str(CONFIG), "--card", str(CARD),
         "--data-dir", str(SPLITS), "--check"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output


def test_a_changed_number_makes_the_card_stale(tmp_path):
    stale = tmp_path / "CARD.md"
    card = CARD.read_text()
    row = re.search(r"\| documents +\| +(\d+) \|", card)
    stale.write_text(
        card.replace(row.group(0), row.group(0).replace(row.group(1), str(int(row.group(1)) + 1)))
    )
    data = tmp_path / "splits"
    data.symlink_to(SPLITS)
    result = CliRunner().invoke(
        main,
        ["card", str(REPO / "annotations/gold.json"), "--config", str(CONFIG), "--card", str(stale),
         "--data-dir", str(data), "--check"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "stale:" in result.output


def test_the_yaml_is_valid_hub_dataset_card_metadata():
    card = DatasetCard.load(CARD)
    data = card.data.to_dict()
    for field in ("pretty_name", "language", "license", "task_categories", "task_ids", "size_categories"):
        assert data[field], field
    assert data["task_ids"] == ["named-entity-recognition"]
    configs = MetadataConfigs.from_dataset_card_data(card.data)
    assert set(configs) == {"documents", "sentences"}
    assert configs["documents"]["data_files"][0] == {"split": "train", "path": "documents/train.arrow"}


def test_dataset_info_in_the_card_declares_the_shipped_features_and_sizes():
    infos = DatasetInfosDict.from_dataset_card_data(DatasetCard.load(CARD).data)
    for config in ("documents", "sentences"):
        shipped = load(config)
        assert infos[config].features == shipped["train"].features
        assert {name: split.num_examples for name, split in infos[config].splits.items()} == {
            name: len(dataset) for name, dataset in shipped.items()
        }


def test_the_splits_folder_carries_the_card_as_its_readme():
    assert (SPLITS / "README.md").read_text() == CARD.read_text()


def test_a_changed_leaderboard_makes_the_headroom_table_stale(tmp_path):
    board = json.loads((REPO / "eval" / "leaderboard.json").read_text("utf-8"))
    best = max(
        (e for e in board["entries"] if e["view"] == "full" and not e["gold_entities"]),
        key=lambda e: (e["split"] == "all", e["split"] == "test", e["scores"]["entities"]["strict"]["f1"]),
    )
    best["scores"]["entities"]["strict"]["f1"] = 0.5
    changed = tmp_path / "leaderboard.json"
    changed.write_text(json.dumps(board), "utf-8")
    result = CliRunner().invoke(
        main,
        ["card", str(REPO / "annotations/gold.json"), "--config", str(CONFIG), "--card", str(CARD),
         "--data-dir", str(SPLITS), "--board", str(changed), "--check"],
    )  # fmt: skip
    assert result.exit_code == 1 and "stale:" in result.output
