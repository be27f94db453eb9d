"""Read a system's predictions for one split and put them on the gold tokens, refusing anything doubtful.

Formats, chosen by suffix: ``.jsonl`` (character spans and optional relations, one line per document),
``.conll``/``.txt``/``.tsv`` (``token<TAB>tag`` lines, a ``# id = <document id>`` line before each
document; its blank lines are ignored, the gold's sentences are used), ``.arrow`` (a ``datasets`` Arrow
file with ``id`` and ``pred_tags``, IOB2 tag strings over the gold tokens); a ``datasets.Dataset`` is read
like an Arrow file. Only JSONL carries relations.

Projection rule for JSONL spans: a span ``[start, end)`` covers every gold token it overlaps by at least
one character, i.e. the smallest run of whole tokens holding every token character it touches. A span
whose ``start`` is not its first token's start or whose ``end`` is not its last token's end is scored on
those tokens, widened to their edges, and marked in ``Predictions.widened`` (scoring counts it, and
``--strict-spans`` scores it wrong). A span touching no token (only whitespace) is an error, and so are
two spans sharing a token after projection. Relations link the projected spans.

Out-of-fold predictions: a JSONL line (``"fold": k``) or an Arrow row (a ``fold`` column) may declare the
fold whose documents the predicting model was trained without. It must be the document's own fold (the
gold's ``fold`` column): each document predicted by the model that never saw its fold. Declaring it is
optional (a system that does not train predicts every document with one model); a wrong one is refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vna_ner.dataset.chunks import chunks
from vna_ner.dataset.features import SPLITS
from vna_ner.dataset.split_table import SplitTable, read_split_file, split_table
from vna_ner.documents import Document, Relation, Span
from vna_ner.errors import InputError, Problem
from vna_ner.spans import is_integer, offsets_problem, overlaps

if TYPE_CHECKING:
    from datasets import Dataset

CONLL_SUFFIXES = (".conll", ".txt", ".tsv")
_SHOWN = 5
_CONLL_ID = re.compile(r"#\s*id\s*=\s*(\S.*?)\s*$")


class TokenSpan(NamedTuple):
    """An entity over tokens ``first`` to ``end - 1`` of its document."""

    first: int
    end: int
    label: str


class RelationKey(NamedTuple):
    """A relation as strict scoring compares it: both argument spans with their types, and its label."""

    head: TokenSpan
    tail: TokenSpan
    label: str

    def untyped(self) -> RelationKey:
        """The key with both argument types blanked: what boundaries-mode scoring compares."""
        return RelationKey(self.head._replace(label=""), self.tail._replace(label=""), self.label)


@dataclass(frozen=True, eq=False)
class GoldTokens:
    """What reading and scoring need of a gold split; token arrays are flat over all its documents."""

    ids: tuple[str, ...]
    tag_names: tuple[str, ...]
    entity_labels: tuple[str, ...]
    relation_labels: tuple[str, ...]
    bounds: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    text_lengths: np.ndarray
    tokens: pa.ListArray
    split: str | None
    folder: Path | None
    folds: np.ndarray | None = None  # each document's cross-validation fold, if the gold has them

    def token_strings(self, document: int) -> list[str]:
        """The token strings of document number ``document``."""
        return self.tokens[document].as_py()

    def offsets(self, document: int) -> tuple[np.ndarray, np.ndarray]:
        """Start and end character offsets of the tokens of document number ``document``."""
        first, last = self.bounds[document], self.bounds[document + 1]
        return self.starts[first:last], self.ends[first:last]


def gold_tokens(gold: SplitTable | Dataset) -> GoldTokens:
    """The ids, label names, token offsets and text lengths of a ``documents``-configuration split."""
    gold = split_table(gold)
    table = gold.table
    offsets = table.column("token_offsets").combine_chunks()
    lengths = pc.list_value_length(offsets).to_numpy(zero_copy_only=False)
    flat = pc.list_flatten(offsets)
    return GoldTokens(
        ids=tuple(table.column("id").to_pylist()),
        tag_names=gold.tag_names,
        entity_labels=gold.entity_labels,
        relation_labels=gold.relation_labels,
        bounds=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        starts=flat.field("start").to_numpy(zero_copy_only=False).astype(np.int64),
        ends=flat.field("end").to_numpy(zero_copy_only=False).astype(np.int64),
        text_lengths=pc.utf8_length(table.column("text")).to_numpy(),
        tokens=table.column("tokens").combine_chunks(),
        split=gold.split,
        folder=gold.source.parent if gold.source is not None else None,
        folds=table.column("fold").to_numpy() if "fold" in table.column_names else None,
    )


def project(starts: np.ndarray, ends: np.ndarray, spans: Sequence[tuple[int, int]]) -> np.ndarray:
    """``(first, end)`` token range of each character span under the module's projection rule.

    >>> project(np.array([0, 5, 11]), np.array([4, 10, 14]), [(5, 10), (6, 12), (4, 5)]).tolist()
    [[1, 2], [1, 3], [1, 1]]
    """
    chars = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    first = np.searchsorted(ends, chars[:, 0], side="right")
    end = np.searchsorted(starts, chars[:, 1], side="left")
    return np.stack([first, end], axis=1)


@dataclass(frozen=True, eq=False)
class Predictions:
    """Predicted IOB2 tags over a gold split's tokens (documents concatenated in gold order), and relations.

    ``gold`` is the split's tokens the predictions were read against; ``tags`` holds indices into its
    ``tag_names``, document ``i``'s being ``tags[gold.bounds[i]:gold.bounds[i + 1]]``. ``widened`` is True
    on the first token of each JSONL span widened to token edges (see the module docstring). ``relations`` is
    None for formats that cannot carry relations. ``missing`` lists gold documents the source had no
    prediction for (read with ``allow_missing``); they predict nothing. ``folds_declared`` counts the
    documents whose prediction declared its fold (out-of-fold, see the module docstring).
    """

    gold: GoldTokens
    tags: np.ndarray
    relations: tuple[frozenset[RelationKey], ...] | None
    widened: np.ndarray
    missing: tuple[str, ...]
    format: str
    folds_declared: int = 0

    @property
    def widened_spans(self) -> int:
        """How many JSONL spans were widened to token edges when read."""
        return int(self.widened.sum())

    def document_tags(self, index: int) -> list[str]:
        """The predicted tag names of document number ``index``."""
        names, bounds = self.gold.tag_names, self.gold.bounds
        return [names[t] for t in self.tags[bounds[index] : bounds[index + 1]]]


def read_predictions(
    source: Path | str | Dataset, gold: SplitTable | Dataset, *, allow_missing: bool = False
) -> Predictions:
    """Read predictions for the split ``gold`` from a file (format by suffix) or a ``Dataset``.

    Raises :class:`InputError` listing every problem: unknown, duplicate or missing documents (missing
    ones are allowed, and predict nothing, with ``allow_missing``), ids of another split, bad spans,
    labels, tags, token counts or relations.
    """
    from_file = isinstance(source, str | Path)
    reading = _Reading(gold_tokens(gold), str(source) if from_file else "<dataset>")
    if not from_file:
        fmt = "arrow"
        _read_dataset(source, reading)
    else:
        path = Path(source)
        suffix = path.suffix.lower()
        if suffix in (".jsonl", *CONLL_SUFFIXES):
            fmt = "jsonl" if suffix == ".jsonl" else "conll"
            try:
                (_read_jsonl if fmt == "jsonl" else _read_conll)(path, reading)
            except UnicodeDecodeError as error:
                raise InputError([Problem(str(path), f"not UTF-8 text: {error}")]) from None
        elif suffix == ".arrow":
            fmt = "arrow"
            _read_arrow_file(path, reading)
        else:
            raise InputError(
                [
                    Problem(
                        str(path),
                        f"unknown prediction format {suffix!r}: use .jsonl, .conll/.txt/.tsv or .arrow",
                    )
                ]
            )
    return reading.finish(fmt, allow_missing=allow_missing)


@dataclass
class _Reading:
    """Documents read so far from one source, checked against the gold split, and every problem met."""

    gold: GoldTokens
    source: str
    problems: list[Problem] = field(default_factory=list)
    seen: dict[str, str] = field(default_factory=dict)
    unknown: dict[str, str] = field(default_factory=dict)
    relations: dict[int, frozenset[RelationKey]] = field(default_factory=dict)
    folds_declared: int = 0
    index: dict[str, int] = field(init=False)
    tag_index: dict[str, int] = field(init=False)
    tags: np.ndarray = field(init=False)
    widened: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.index = {doc_id: number for number, doc_id in enumerate(self.gold.ids)}
        self.tag_index = {tag: number for number, tag in enumerate(self.gold.tag_names)}
        self.tags = np.full(int(self.gold.bounds[-1]), self.tag_index["O"], dtype=np.int16)
        self.widened = np.zeros(int(self.gold.bounds[-1]), dtype=bool)

    def problem(self, where: str, message: str, region: str | None = None) -> None:
        self.problems.append(Problem(where, message, region))

    def document(self, doc_id: str, where: str) -> int | None:
        """Gold number of ``doc_id``, or None (a problem noted) when it is unknown or was seen before."""
        if doc_id in self.seen:
            self.problem(where, f"duplicate document id {doc_id!r}, first at {self.seen[doc_id]}")
            return None
        self.seen[doc_id] = where
        if doc_id not in self.index:
            self.unknown[doc_id] = where
            return None
        return self.index[doc_id]

    def declare_fold(self, document: int, fold: Any, where: str) -> None:
        """Check a declared out-of-fold ``fold`` (None: not declared) against the document's gold fold."""
        if fold is None:
            return
        folds = self.gold.folds
        if folds is None:
            self.problem(where, f"fold {fold!r} declared, but the gold has no folds (build it again)")
        elif not is_integer(fold) or int(fold) != int(folds[document]):
            self.problem(
                where,
                f"fold {fold!r} declared, but the document is in fold {int(folds[document])}: out-of-fold "
                "predictions of a document come from the model trained without its own fold",
            )
        else:
            self.folds_declared += 1

    def set_tags(self, document: int, tags: list[str], where: str) -> None:
        """Check tag strings against the gold tag set and token count, and record them."""
        first, last = int(self.gold.bounds[document]), int(self.gold.bounds[document + 1])
        if len(tags) != last - first:
            self.problem(where, f"{len(tags)} tags for a gold document of {last - first} tokens")
            return
        try:
            self.tags[first:last] = [self.tag_index[tag] for tag in tags]
        except KeyError:
            for tag in dict.fromkeys(t for t in tags if t not in self.tag_index):
                positions = [i for i, t in enumerate(tags) if t == tag]
                self.problem(where, f"{self._why_invalid(tag)}, at token {_listed(positions)}")

    def _why_invalid(self, tag: Any) -> str:
        if not isinstance(tag, str):
            return f"invalid tag {tag!r}: IOB2 tags are strings"
        prefix, dash, label = tag.partition("-")
        if prefix in ("B", "I") and dash and label:
            return (
                f"invalid tag {tag!r}: unknown label {label!r} (labels: {', '.join(self.gold.entity_labels)})"
            )
        return f"invalid tag {tag!r}: IOB2 tags are O, B-<label> and I-<label>"

    def finish(self, fmt: str, *, allow_missing: bool) -> Predictions:
        problems = self._unknown_problems() + self.problems
        missing = tuple(doc_id for doc_id in self.gold.ids if doc_id not in self.seen)
        if missing and not allow_missing:
            whole = "every document of every split (--split all) needs one; " if self._split == "all" else ""
            problems.append(
                Problem(
                    self.source,
                    f"{len(missing)} document(s) of the {self._split} split have no prediction: "
                    f"{_listed(missing)} ({whole}--allow-missing scores them as predicting nothing)",
                )
            )
        if problems:
            raise InputError(problems)
        relations = None
        if fmt == "jsonl":
            relations = tuple(self.relations.get(number, frozenset()) for number in range(len(self.gold.ids)))
        return Predictions(
            gold=self.gold,
            tags=self.tags,
            relations=relations,
            widened=self.widened,
            missing=missing,
            format=fmt,
            folds_declared=self.folds_declared,
        )

    @property
    def _split(self) -> str:
        return self.gold.split or "gold"

    def _unknown_problems(self) -> list[Problem]:
        """Unknown ids, grouped by the other split of the same data folder that holds them, if any."""
        left = dict(self.unknown)
        problems = []
        for split, ids in _other_splits(self.gold).items():
            found = [doc_id for doc_id in left if doc_id in ids]
            if not found:
                continue
            whole = len(found) == len(self.seen)
            guess = f" (all {len(found)} documents read: a prediction file for {split}?)" if whole else ""
            problems.append(
                Problem(
                    self.source,
                    f"these ids are in the {split} split, not {self._split}: {_listed(found)}{guess}",
                )
            )
            for doc_id in found:
                del left[doc_id]
        problems += [
            Problem(where, f"unknown document id {doc_id!r}: not in the {self._split} split")
            for doc_id, where in left.items()
        ]
        return problems


def _other_splits(gold: GoldTokens) -> dict[str, set[str]]:
    """Document ids of the other splits beside the gold split's file, when it has one."""
    if gold.folder is None or gold.split is None:
        return {}
    found = {}
    for split in SPLITS:
        if split != gold.split:
            try:
                found[split] = set(read_split_file(gold.folder / split)[2].column("id").to_pylist())
            except InputError:  # absent or unreadable: it names no split
                continue
    return found


def _listed(items: Sequence[Any]) -> str:
    shown = ", ".join(str(item) for item in items[:_SHOWN])
    return shown + (f" … ({len(items)} in all)" if len(items) > _SHOWN else "")


def _read_jsonl(path: Path, reading: _Reading) -> None:
    with path.open(encoding="utf-8") as stream:
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                reading.problem(where, f"not valid JSON: {error.msg} at column {error.colno}")
                continue
            except RecursionError:
                reading.problem(where, "not usable JSON: nested too deeply")
                continue
            except ValueError:  # an integer of more digits than Python converts
                reading.problem(where, "not usable JSON: a number too long to read")
                continue
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                reading.problem(where, 'expected a JSON object with a string "id"')
                continue
            document = reading.document(record["id"], where)
            if document is not None:
                reading.declare_fold(document, record.get("fold"), f"{where} (document {record['id']})")
                _jsonl_document(record, document, f"{where} (document {record['id']})", reading)


def _jsonl_document(record: dict[str, Any], document: int, where: str, reading: _Reading) -> None:
    entities, relations = record.get("entities"), record.get("relations", [])
    if not isinstance(entities, list) or not isinstance(relations, list):
        reading.problem(where, '"entities" must be a list, and "relations" a list when present')
        return
    spans = _checked_spans(entities, document, where, reading)
    projected = _projected(spans, document, where, reading)
    first_token = int(reading.gold.bounds[document])
    for span in projected.values():
        reading.tags[first_token + span.first] = reading.tag_index[f"B-{span.label}"]
        reading.tags[first_token + span.first + 1 : first_token + span.end] = reading.tag_index[
            f"I-{span.label}"
        ]
    reading.relations[document] = _checked_relations(relations, len(entities), projected, where, reading)


def _checked_spans(
    entities: list[Any], document: int, where: str, reading: _Reading
) -> dict[int, tuple[int, int, str]]:
    """Entity number -> ``(start, end, label)`` of the well-formed entities; a problem for each other."""
    length = int(reading.gold.text_lengths[document])
    spans = {}
    for number, entity in enumerate(entities):
        start, end, label = (
            (entity.get(key) for key in ("start", "end", "label"))
            if isinstance(entity, dict)
            else (None,) * 3
        )
        if not (is_integer(start) and is_integer(end)) or not isinstance(label, str):
            reading.problem(
                where, 'an entity needs integer "start" and "end" and a string "label"', f"entity {number}"
            )
        elif label not in reading.gold.entity_labels:
            reading.problem(
                where,
                f"unknown label {label!r} (labels: {', '.join(reading.gold.entity_labels)})",
                f"entity {number} [{start}, {end})",
            )
        elif offsets_problem(start, end, length):
            reading.problem(
                where,
                f"span out of range or empty (the text has {length} characters)",
                f"entity {number} [{start}, {end}) {label}",
            )
        else:
            spans[number] = (start, end, label)
    return spans


def _projected(
    spans: dict[int, tuple[int, int, str]], document: int, where: str, reading: _Reading
) -> dict[int, TokenSpan]:
    """Entity number -> token span; counts inexact spans, notes spans on no token and overlaps."""
    if not spans:
        return {}
    starts, ends = reading.gold.offsets(document)
    ranges = project(starts, ends, [(start, end) for start, end, _ in spans.values()])
    projected = {}
    for (number, (start, end, label)), (first, last) in zip(spans.items(), ranges.tolist(), strict=True):
        if first >= last:
            reading.problem(
                where, "span covers no token (only whitespace)", f"entity {number} [{start}, {end}) {label}"
            )
            continue
        if starts[first] != start or ends[last - 1] != end:
            reading.widened[reading.gold.bounds[document] + first] = True
        projected[number] = TokenSpan(first, last, label)
    in_order = sorted(projected, key=lambda n: projected[n].first)
    for widest, number in overlaps((projected[n].first, projected[n].end, n) for n in in_order):
        a, b = spans[widest], spans[number]
        reading.problem(
            where,
            f"spans [{a[0]}, {a[1]}) {a[2]} and [{b[0]}, {b[1]}) {b[2]} share a token after projection",
            f"entities {widest} and {number}",
        )
    return projected


def _checked_relations(
    relations: list[Any], count: int, projected: dict[int, TokenSpan], where: str, reading: _Reading
) -> frozenset[RelationKey]:
    """The well-formed relations between projected spans; a problem for each other."""
    keys = set()
    for number, relation in enumerate(relations):
        region = f"relation {number}"
        head, tail, label = (
            (relation.get(key) for key in ("head", "tail", "label"))
            if isinstance(relation, dict)
            else (None,) * 3
        )
        if type(head) is not int or type(tail) is not int or not isinstance(label, str):
            reading.problem(where, 'a relation needs integer "head" and "tail" and a string "label"', region)
        elif not (0 <= head < count and 0 <= tail < count):
            reading.problem(
                where, f"head {head} or tail {tail} is not an entity index (0 to {count - 1})", region
            )
        elif label not in reading.gold.relation_labels:
            reading.problem(
                where,
                f"unknown relation label {label!r} (labels: {', '.join(reading.gold.relation_labels)})",
                region,
            )
        elif head in projected and tail in projected:
            keys.add(RelationKey(projected[head], projected[tail], label))
    return frozenset(keys)


def _read_conll(path: Path, reading: _Reading) -> None:
    current: tuple[str, str] | None = None
    tokens: list[str] = []
    tags: list[str] = []
    orphans: list[int] = []

    def close() -> None:
        if current is not None:
            _conll_document(current[0], current[1], tokens, tags, reading)

    with path.open(encoding="utf-8") as stream:
        for number, raw in enumerate(stream, 1):
            line = raw.rstrip("\r\n")
            header = _CONLL_ID.fullmatch(line)
            if header:
                close()
                current, tokens, tags = (header.group(1), f"{path}:{number}"), [], []
            elif not line.strip() or (line.startswith("#") and "\t" not in line):
                continue
            elif "\t" not in line:
                reading.problem(f"{path}:{number}", f"expected token<TAB>tag, got {line[:40]!r}")
            elif current is None:
                orphans.append(number)
            else:
                columns = line.split("\t")
                tokens.append(columns[0])
                tags.append(columns[-1])
    close()
    if orphans:
        reading.problem(
            f"{path}:{orphans[0]}", f"{len(orphans)} token line(s) before any '# id = <document id>' line"
        )


def _conll_document(doc_id: str, where: str, tokens: list[str], tags: list[str], reading: _Reading) -> None:
    document = reading.document(doc_id, where)
    if document is None:
        return
    where = f"{where} (document {doc_id})"
    gold = reading.gold.token_strings(document)
    if len(tokens) != len(gold):
        reading.problem(where, f"{len(tokens)} tokens, the gold document has {len(gold)}")
        return
    differ = [i for i, (mine, theirs) in enumerate(zip(tokens, gold, strict=True)) if mine != theirs]
    if differ:
        i = differ[0]
        reading.problem(
            where, f"tokens differ from the gold tokens at {_listed(differ)}: {tokens[i]!r} for {gold[i]!r}"
        )
        return
    reading.set_tags(document, tags, where)


def _read_arrow_file(path: Path, reading: _Reading) -> None:
    from datasets import Dataset

    try:
        dataset = Dataset.from_file(str(path))
    except Exception as error:  # pyarrow raises several types for a file that is not Arrow
        reading.problem(str(path), f"not a datasets Arrow file: {error}")
        return
    _read_dataset(dataset, reading)


def _read_dataset(dataset: Dataset, reading: _Reading) -> None:
    from datasets import List, Value

    feature = dataset.features.get("pred_tags")
    if "id" not in dataset.features or not (isinstance(feature, List) and feature.feature == Value("string")):
        reading.problem(
            reading.source,
            f"need an 'id' column and a 'pred_tags' column of tag strings, got {dataset.features}",
        )
        return
    table = dataset.with_format("arrow")[:]
    ids = table.column("id").to_pylist()
    folds = table.column("fold").to_pylist() if "fold" in table.column_names else [None] * len(ids)
    for row, (doc_id, tags, fold) in enumerate(
        zip(ids, table.column("pred_tags").to_pylist(), folds, strict=True)
    ):
        where = f"{reading.source}, row {row}"
        if not isinstance(doc_id, str):
            reading.problem(where, f"'id' must be a document id string, not {doc_id!r}")
            continue
        document = reading.document(doc_id, where)
        if document is not None:
            reading.declare_fold(document, fold, f"{where} (document {doc_id})")
        if document is not None and tags is None:
            reading.problem(f"{where} (document {doc_id})", "'pred_tags' is null")
        elif document is not None:
            reading.set_tags(document, tags, f"{where} (document {doc_id})")


def predicted_documents(gold: Dataset, predictions: Predictions) -> list[Document]:
    """The gold split's documents carrying the predicted entities and relations instead of the gold.

    Entities are exactly the chunks default-mode scoring counts (:func:`vna_ner.dataset.chunks.chunks` over
    the gold sentences), as character spans of the gold tokens (region ids ``p1``, ``p2`` …), ready to send
    to Label Studio as pre-annotations. A span cut at a sentence break is therefore two regions, and a
    relation with such an argument, which cannot be right, is left out.
    """
    from vna_ner.dataset.load import documents_of

    documents = documents_of(gold)
    for index, document in enumerate(documents):
        offsets = [(t["start"], t["end"]) for t in gold[index]["token_offsets"]]
        starts = gold[index]["sentence_starts"]
        found = chunks(predictions.document_tags(index), starts)
        characters = [(offsets[c.first][0], offsets[c.end - 1][1], c.label) for c in found]
        document.entities = [
            Span(start, end, label, document.text[start:end], f"p{number}")
            for number, (start, end, label) in enumerate(characters, start=1)
        ]
        region = {chunk: span.id for chunk, span in zip(found, document.entities, strict=True)}
        keys = predictions.relations[index] if predictions.relations else ()
        document.relations = sorted(
            Relation(region[key.head], region[key.tail], key.label)
            for key in keys
            if key.head in region and key.tail in region
        )
    return documents
