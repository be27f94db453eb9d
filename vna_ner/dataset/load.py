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

import pyarrow as pa
import pyarrow.parquet as pq
from datasets import Dataset, DatasetDict, NamedSplit, concatenate_datasets
from datasets.table import InMemoryTable

from vna_ner.dataset.features import ALL, CONFIGS, SPLITS
from vna_ner.documents import Document, Provenance, Relation, Span
from vna_ner.errors import InputError, Problem

_PACKAGE = Path(__file__).resolve().parent.parent  # the vna_ner package folder
_SOURCES: weakref.WeakKeyDictionary[Dataset, Path] = weakref.WeakKeyDictionary()


def splits_dir() -> Path:
    """The folder of built splits: inside an installed wheel, else the source checkout's ``splits/``."""
    for candidate in (_PACKAGE / "splits", _PACKAGE.parent / "splits"):
        if (candidate / "documents").is_dir():
            return candidate
    raise FileNotFoundError(
        "no built splits found next to the vna_ner package; run `vna-ner build` in a source checkout"
    )


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
    path, parquet = stem.with_suffix(".arrow"), stem.with_suffix(".parquet")
    if not path.exists() and parquet.exists():
        path = parquet
    try:
        data = path.read_bytes()
        buffer = pa.BufferReader(data)
        table = pq.read_table(buffer) if path == parquet else pa.ipc.open_stream(buffer).read_all()
        fingerprint = hashlib.sha256(data).hexdigest()[:16]
        dataset = Dataset(InMemoryTable(table), split=NamedSplit(stem.name), fingerprint=fingerprint)
    except (pa.ArrowException, OSError, ValueError) as error:  # a truncated or foreign file
        reason = " ".join(str(error).split())[:200]
        problem = f"cannot be read as a split of a vna-ner build ({reason}); build it again"
        raise InputError([Problem(str(path), problem)]) from None
    _SOURCES[dataset] = path
    return dataset


def source_file(dataset: Dataset) -> Path | None:
    """The Arrow file a split was read from (by :func:`load`, or memory-mapped by ``datasets``), if any."""
    if dataset.cache_files:
        return Path(dataset.cache_files[0]["filename"])
    return _SOURCES.get(dataset)


def documents_of(dataset: Dataset) -> list[Document]:
    """The :class:`Document` objects of a ``documents``-configuration split, labels as names."""
    entity_names = dataset.features["entities"].feature["label"].names
    relation_names = dataset.features["relations"].feature["label"].names
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
