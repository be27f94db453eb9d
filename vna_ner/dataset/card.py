"""Keep the dataset card true: its YAML header and statistics blocks are generated from the built data.

The card's prose is written by hand; everything between ``<!-- generated:NAME:start -->`` and
``<!-- generated:NAME:end -->`` and the YAML front matter are rewritten by :func:`render_card`, so
a card whose numbers no longer match the splits is detected by comparing it with its re-rendering.
The YAML follows the Hugging Face dataset-card format; ``data_files`` are relative to the splits
folder, which is the folder to publish (it receives a copy of the card as its ``README.md``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from datasets import DatasetDict
from datasets.info import DatasetInfo, DatasetInfosDict
from datasets.splits import SplitDict, SplitInfo
from huggingface_hub import DatasetCardData
from tabulate import tabulate

from vna_ner.dataset.features import CONFIGS, SPLITS
from vna_ner.dataset.load import load
from vna_ner.dataset.stats import format_statistics, split_statistics
from vna_ner.errors import InputError, Problem

_BLOCK = re.compile(
    r"(<!-- generated:(?P<name>[a-z_]+):start -->\n)(?:.*?\n)??(<!-- generated:(?P=name):end -->)", re.S
)
_FRONT_MATTER = re.compile(r"\A---\n(?:.*?\n)??---\n", re.S)

STATIC_METADATA: dict[str, Any] = {
    "pretty_name": "vna-ner: French named entities and relations in Vietnam News Agency news",
    "language": ["fr"],
    "license": "other",
    "license_name": "annotations-cc-by-4.0-source-texts-vna",
    "license_link": "LICENSE",
    "annotations_creators": ["machine-generated"],
    "language_creators": ["found"],
    "multilinguality": ["monolingual"],
    "source_datasets": ["original"],
    "task_categories": ["token-classification"],
    "task_ids": ["named-entity-recognition"],
    "size_categories": ["n<1K"],
    "tags": ["relation-extraction", "news", "vietnam", "label-studio"],
}


def card_metadata(splits: dict[str, DatasetDict]) -> DatasetCardData:
    """The card's YAML: static fields, ``configs`` with ``data_files``, and ``dataset_info`` per config."""
    data = DatasetCardData(
        **STATIC_METADATA,
        configs=[
            {
                "config_name": config,
                **({"default": True} if config == CONFIGS[0] else {}),
                "data_files": [{"split": split, "path": f"{config}/{split}.arrow"} for split in SPLITS],
            }
            for config in CONFIGS
        ],
    )
    infos = {
        config: DatasetInfo(
            config_name=config,
            features=dataset[SPLITS[0]].features,
            splits=SplitDict(
                {
                    split: SplitInfo(
                        name=split, num_bytes=dataset[split].data.nbytes, num_examples=len(dataset[split])
                    )
                    for split in SPLITS
                }
            ),
        )
        for config, dataset in splits.items()
    }
    DatasetInfosDict(infos).to_dataset_card_data(data)
    return data


def statistics_block(splits: dict[str, DatasetDict]) -> str:
    """Documents, sentences, tokens, entities and relations per label and split, as a Markdown table."""
    return format_statistics(split_statistics(splits["documents"]), "github")


def agreement_block(figures: dict[str, dict]) -> str:
    """Agreement of the annotation passes (:func:`vna_ner.corpus.agreement.pass_agreement`) as Markdown."""
    comparisons = list(figures)
    labels = sorted({label for c in figures.values() for label in c["entities"]} - {"micro"})
    relations = sorted({label for c in figures.values() for label in c["relations"]} - {"micro"})
    header = ["F1", *[f"{name} ({figures[name]['documents']} docs)" for name in comparisons]]
    rows = [["entities, micro", *[figures[c]["entities"]["micro"]["f1"] for c in comparisons]]]
    rows += [
        [f"- {label}", *[figures[c]["entities"].get(label, {}).get("f1", "") for c in comparisons]]
        for label in labels
    ]
    rows += [["relations, micro", *[figures[c]["relations"]["micro"]["f1"] for c in comparisons]]]
    rows += [
        [f"- {label}", *[figures[c]["relations"].get(label, {}).get("f1", "") for c in comparisons]]
        for label in relations
    ]
    return tabulate(rows, headers=header, tablefmt="github", floatfmt=".3f")


def render_card(card: str, blocks: dict[str, Callable[[], str]], metadata: DatasetCardData) -> str:
    """``card`` with its front matter replaced by ``metadata`` and each generated block re-rendered."""
    missing = set(blocks) - {m.group("name") for m in _BLOCK.finditer(card)}
    if missing:
        raise InputError([Problem("dataset card", f"no generated block(s) {sorted(missing)}")])
    body = _BLOCK.sub(lambda m: f"{m.group(1)}{blocks[m.group('name')]().rstrip()}\n{m.group(3)}", card)
    return f"---\n{metadata.to_yaml()}\n---\n" + _FRONT_MATTER.sub("", body, count=1)


def load_all(data_dir: Path | None = None) -> dict[str, DatasetDict]:
    """Every configuration of the built splits."""
    return {config: load(config, data_dir=data_dir) for config in CONFIGS}
