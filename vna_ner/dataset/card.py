"""Keep the dataset card true: its YAML header and statistics blocks are generated from the built data.

The card's prose is written by hand; everything between ``<!-- generated:NAME:start -->`` and
``<!-- generated:NAME:end -->`` and the YAML front matter are rewritten by :func:`render_card`, so
a card whose numbers no longer match the splits is detected by comparing it with its re-rendering.
The YAML follows the Hugging Face dataset-card format; ``data_files`` are relative to the splits
folder, which is the folder to publish (it receives a copy of the card as its ``README.md``).
A build of another project writes a generic card (:func:`generic_card`) from the same parts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from datasets import DatasetDict, Features
from datasets.info import DatasetInfo, DatasetInfosDict
from datasets.splits import SplitDict, SplitInfo
from huggingface_hub import DatasetCardData
from tabulate import tabulate

from vna_ner.dataset.features import CONFIGS, SPLITS, features_for
from vna_ner.dataset.load import load
from vna_ner.dataset.stats import format_statistics, split_statistics
from vna_ner.errors import InputError, Problem
from vna_ner.labelstudio.schema import Schema

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
    """The project card's YAML: static fields, ``configs`` with ``data_files``, and ``dataset_info``."""
    return dataset_metadata(
        STATIC_METADATA,
        {config: dataset[SPLITS[0]].features for config, dataset in splits.items()},
        {
            config: {split: (len(dataset[split]), dataset[split].data.nbytes) for split in SPLITS}
            for config, dataset in splits.items()
        },
    )


def dataset_metadata(
    static: Mapping[str, Any],
    features: Mapping[str, Features],
    sizes: Mapping[str, Mapping[str, tuple[int, int]]],
    fmt: str = "arrow",
) -> DatasetCardData:
    """A card's YAML: ``static`` fields, ``configs`` whose ``data_files`` are ``<config>/<split>.<fmt>``,
    and ``dataset_info`` derived from each configuration's ``features`` and its splits' (rows, bytes).

    An empty split (a project of one or two documents) is left out: ``datasets`` cannot load one.
    """
    filled = {config: [split for split in SPLITS if sizes[config][split][0]] for config in CONFIGS}
    data = DatasetCardData(
        **static,
        configs=[
            {
                "config_name": config,
                **({"default": True} if config == CONFIGS[0] else {}),
                "data_files": [
                    {"split": split, "path": f"{config}/{split}.{fmt}"} for split in filled[config]
                ],
            }
            for config in CONFIGS
        ],
    )
    infos = {
        config: DatasetInfo(
            config_name=config,
            features=features[config],
            splits=SplitDict(
                {
                    split: SplitInfo(
                        name=split, num_bytes=sizes[config][split][1], num_examples=sizes[config][split][0]
                    )
                    for split in filled[config]
                }
            ),
        )
        for config in features
    }
    DatasetInfosDict(infos).to_dataset_card_data(data)
    return data


GENERATED_MARK = "<!-- written by vna-ner build: the next build replaces this card -->"
_GENERIC_CARD = """{mark}

# Named entities from a Label Studio project

Built by `vna-ner build` from a Label Studio export. Two configurations:

- `documents`: one row per document: `text`, `tokens` with their character `token_offsets`, IOB2
  `ner_tags`, `sentence_starts`, `entities` (character spans), `relations` and `provenance`;
- `sentences`: one row per sentence: `tokens` and `ner_tags`, as token-classification scripts expect.

Tokens come from spaCy's rule-based tokenizer for language `{language}`, cut at every gold entity
boundary so that no entity is lost in the token view.

{assignment}

```python
from datasets import load_dataset

sentences = load_dataset("path/to/this/folder", "sentences")
```

## Statistics

<!-- generated:statistics:start -->
<!-- generated:statistics:end -->
"""


def generic_card(
    schema: Schema,
    sizes: Mapping[str, Mapping[str, tuple[int, int]]],
    statistics: dict[str, dict[str, Any]],
    *,
    language: str,
    fmt: str,
    assignment: Mapping[str, Any],
    folds: Mapping[str, Any],
) -> str:
    """The card a build writes for any project: YAML from the features, how it was split, statistics."""
    static = {
        "language": [language],
        "task_categories": ["token-classification"],
        "task_ids": ["named-entity-recognition"],
        "tags": ["label-studio", "vna-ner"],
    }
    metadata = dataset_metadata(static, {c: features_for(c, schema) for c in CONFIGS}, sizes, fmt)
    body = _GENERIC_CARD.format(
        mark=GENERATED_MARK,
        language=language,
        assignment=f"{_splits_sentence(assignment)} {_folds_sentence(folds)}",
    )
    return render_card(body, {"statistics": lambda: format_statistics(statistics, "github")}, metadata)


def _splits_sentence(assignment: Mapping[str, Any]) -> str:
    """How documents were put in splits, and which labels a split lacks, in a sentence or two."""
    if assignment["by"] == "balance":
        ratios = "/".join(f"{r:g}" for r in assignment["ratios"])
        said = f"Documents were put in splits by entity balance (ratios {ratios}, seed {assignment['seed']})"
        if assignment["relaxed"]:
            said += f"; relaxed: {', '.join(assignment['relaxed'])}"
    else:
        said = f"Each document is in the split its task's `{assignment['by']}` names"
    lacking = "; ".join(f"{split}: {', '.join(labels)}" for split, labels in assignment["missing"].items())
    return said + (f". Labels missing from a split: {lacking}." if lacking else ".")


def _folds_sentence(folds: Mapping[str, Any]) -> str:
    """How documents were put in cross-validation folds (the ``fold`` column), and what gave way."""
    said = (
        f"Every document, whatever its split, is also in one of {folds['count']} cross-validation folds "
        f"(the `fold` column, 0 to {folds['count'] - 1}; by entity balance, duplicates together, seed "
        f"{folds['seed']})"
    )
    if folds["relaxed"]:
        said += f"; relaxed: {', '.join(folds['relaxed'])}"
    lacking = "; ".join(f"fold {fold}: {', '.join(labels)}" for fold, labels in folds["missing"].items())
    return said + (f". Labels missing from a fold: {lacking}." if lacking else ".")


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
