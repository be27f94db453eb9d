"""A built split read with pyarrow alone: its table and class-label names, what scoring needs.

``vna-ner eval`` and ``compare`` read the gold this way: importing ``datasets`` (it brings pandas) takes
longer than reading and scoring a split. :func:`vna_ner.load` reads the same files with the same
function and wraps them in a ``datasets.Dataset``; scoring takes either (:func:`split_table`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from vna_ner.dataset.features import ALL, CONFIGS, SPLITS
from vna_ner.errors import InputError, Problem

if TYPE_CHECKING:
    from datasets import Dataset

_PACKAGE = Path(__file__).resolve().parent.parent  # the vna_ner package folder


def splits_dir() -> Path:
    """The folder of built splits: inside an installed wheel, else the source checkout's ``splits/``."""
    for candidate in (_PACKAGE / "splits", _PACKAGE.parent / "splits"):
        if (candidate / "documents").is_dir():
            return candidate
    raise FileNotFoundError(
        "no built splits found next to the vna_ner package; run `vna-ner build` in a source checkout"
    )


def read_split_file(stem: Path) -> tuple[Path, bytes, pa.Table]:
    """The file of a split (``stem`` + ``.arrow`` or, failing that, ``.parquet``), its bytes and its table.

    A truncated or foreign file is an :class:`InputError` naming it.
    """
    path, parquet = stem.with_suffix(".arrow"), stem.with_suffix(".parquet")
    if not path.exists() and parquet.exists():
        path = parquet
    try:
        data = path.read_bytes()
        buffer = pa.BufferReader(data)
        if path == parquet:
            import pyarrow.parquet as pq

            table = pq.read_table(buffer)
        else:
            table = pa.ipc.open_stream(buffer).read_all()
    except (pa.ArrowException, OSError, ValueError) as error:
        raise unreadable(path, error) from None
    return path, data, table


def unreadable(path: Path, error: Exception) -> InputError:
    """The error for a split file that is truncated or not one of a build, with the reader's reason."""
    reason = " ".join(str(error).split())[:200]
    return InputError(
        [Problem(str(path), f"cannot be read as a split of a vna-ner build ({reason}); build it again")]
    )


@dataclass(frozen=True, eq=False)
class SplitTable:
    """One split of the ``documents`` configuration: its rows and the names of its class labels."""

    table: pa.Table
    split: str | None
    source: Path | None  # the file it was read from, if one
    tag_names: tuple[str, ...]
    entity_labels: tuple[str, ...]
    relation_labels: tuple[str, ...]


def read_split_table(split: str, data_dir: Path | None = None) -> SplitTable:
    """The ``documents`` rows of ``split`` (``all``: the three splits in a row, train first), as
    :func:`vna_ner.load` reads them, without ``datasets``."""
    if split not in (*SPLITS, ALL):
        raise ValueError(f"unknown split {split!r}; choose one of {', '.join((*SPLITS, ALL))}")
    folder = (Path(data_dir) if data_dir is not None else splits_dir()) / CONFIGS[0]
    files = [read_split_file(folder / name) for name in (SPLITS if split == ALL else [split])]
    table = pa.concat_tables([table for _, _, table in files])
    source = files[0][0] if split != ALL else None
    names = []
    for path, _, part in files:
        try:
            names.append(_class_names(part.schema))
        except ValueError as error:  # a table of another tool: bad input, said as a corrupt file is
            raise unreadable(path, error) from None
        if names[-1] != names[0]:
            error = ValueError(
                f"its class labels differ from those of {files[0][0].name}: build the splits again"
            )
            raise unreadable(path, error)
    return SplitTable(table, split, source, *names[0])


def split_table(gold: SplitTable | Dataset) -> SplitTable:
    """``gold`` as a :class:`SplitTable`: itself, or a ``documents`` ``Dataset``'s rows and label names."""
    if isinstance(gold, SplitTable):
        return gold
    from vna_ner.dataset.load import source_file

    source = source_file(gold)
    split = str(gold.split) if gold.split is not None else None
    if split is None and source is not None and source.stem in SPLITS:
        split = source.stem
    return SplitTable(
        gold.with_format("arrow")[:],
        split,
        source,
        tuple(gold.features["ner_tags"].feature.names),
        tuple(gold.features["entities"].feature["label"].names),
        tuple(gold.features["relations"].feature["label"].names),
    )


def _class_names(schema: pa.Schema) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The tag, entity and relation label names of the ``datasets`` features stored in ``schema``."""
    try:
        features = json.loads((schema.metadata or {})[b"huggingface"])["info"]["features"]
        return (
            _names(features["ner_tags"]),
            _names(features["entities"], "label"),
            _names(features["relations"], "label"),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"no class labels in its schema metadata: {error!r}") from None


def _names(feature: Any, field: str | None = None) -> tuple[str, ...]:
    """The names of the ClassLabel of a list ``feature`` (of its struct's ``field``, if given)."""
    item = feature["feature"] if isinstance(feature, dict) else feature[0]  # List, or a list of one item
    item = item[field] if field is not None else item
    if item.get("_type") != "ClassLabel":
        raise TypeError(f"{item.get('_type')!r} is not a ClassLabel")
    return tuple(item["names"])
