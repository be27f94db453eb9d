"""Load the built splits: offline, from the Arrow files shipped inside the package or a built folder
(Arrow or Parquet files).

Each split is read into memory, so ``.map()`` and the other transforms of ``datasets`` keep their results
in memory too: nothing is ever written beside the Arrow files (an installed package may be read-only,
and is not a cache). To cache transforms on disk, use ``datasets.load_dataset(DIR, CONFIG)``, which
writes to the Hugging Face cache.
"""

from __future__ import annotations

import hashlib
import weakref
from pathlib import Path

from datasets import Dataset, DatasetDict, NamedSplit, concatenate_datasets
from datasets.table import InMemoryTable

from vna_ner.dataset.features import ALL, CONFIGS, SPLITS
from vna_ner.dataset.split_table import read_split_file, split_table, splits_dir, unreadable
from vna_ner.documents import Document, Provenance, Relation, Span

_SOURCES: weakref.WeakKeyDictionary[Dataset, Path] = weakref.WeakKeyDictionary()


def load(
    config: str = "documents", split: str | None = None, *, data_dir: Path | None = None
) -> DatasetDict | Dataset:
    """The ``documents`` (default) or ``sentences`` configuration, as a DatasetDict or one split.

    ``split="all"`` gives every document (or sentence) of the three splits in one dataset, train first:
    with its ``fold`` column, what cross-validation trains on (``fold != k``) and predicts (``fold == k``).

    >>> load("sentences", split="test")  # doctest: +SKIP
    Dataset({features: ['id', 'document_id', 'fold', 'tokens', 'ner_tags'], ...})
    """
    if config not in CONFIGS:
        raise ValueError(f"unknown configuration {config!r}; choose one of {', '.join(CONFIGS)}")
    if split is not None and split not in (*SPLITS, ALL):
        raise ValueError(f"unknown split {split!r}; choose one of {', '.join((*SPLITS, ALL))}")
    folder = Path(data_dir) if data_dir is not None else splits_dir()
    if split == ALL:
        return concatenate_datasets([_read(folder / config / name) for name in SPLITS], split=NamedSplit(ALL))
    if split is not None:
        return _read(folder / config / split)
    return DatasetDict({name: _read(folder / config / name) for name in SPLITS})


def _read(stem: Path) -> Dataset:
    """One split, in memory: a dataset without cache files never writes any (see the module docstring).

    Read from ``stem`` + ``.arrow`` or, failing that, ``.parquet`` (the features come back from the
    file's schema metadata). The fingerprint ``datasets`` would compute for a table in memory pickles
    all of it (three times the time of reading it); the digest of the file's bytes names the same
    content for a fraction of that.
    """
    path, data, table = read_split_file(stem)
    fingerprint = hashlib.sha256(data).hexdigest()[:16]
    try:
        dataset = Dataset(InMemoryTable(table), split=NamedSplit(stem.name), fingerprint=fingerprint)
    except ValueError as error:  # features in the schema that datasets cannot read
        raise unreadable(path, error) from None
    _SOURCES[dataset] = path
    return dataset


def source_file(dataset: Dataset) -> Path | None:
    """The Arrow file a split was read from (by :func:`load`, or memory-mapped by ``datasets``), if any."""
    if dataset.cache_files:
        return Path(dataset.cache_files[0]["filename"])
    return _SOURCES.get(dataset)


def documents_of(dataset: Dataset) -> list[Document]:
    """The :class:`Document` objects of a ``documents``-configuration split, labels as names."""
    labels = split_table(dataset)
    entity_names, relation_names = labels.entity_labels, labels.relation_labels
    return [
        Document(
            id=row["id"],
            text=row["text"],
            entities=[
                Span(e["start"], e["end"], entity_names[e["label"]], e["text"], e["id"])
                for e in row["entities"]
            ],
            relations=[Relation(r["head"], r["tail"], relation_names[r["label"]]) for r in row["relations"]],
            provenance=[Provenance(p["source"], p["offset"]) for p in row["provenance"]],
        )
        for row in dataset
    ]
