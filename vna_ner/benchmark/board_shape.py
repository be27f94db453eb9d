"""The shape of a leaderboard file, checked before anything reads it: a hand-edited or foreign board is one
problem naming the key and what it should be, never a crash in the middle of a rendering."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Maybe:
    """``shape`` or null."""

    shape: Any


@dataclass(frozen=True)
class ListOf:
    """A list of ``shape``; exactly ``length`` items when given."""

    shape: Any
    length: int | None = None


@dataclass(frozen=True)
class MapOf:
    """An object whose values all have ``shape`` (any keys)."""

    shape: Any


NUMBER, INTEGER, TEXT, FLAG = "number", "integer", "string", "boolean"
_NAMES = {NUMBER: "a number", INTEGER: "an integer", TEXT: "a string", FLAG: "true or false"}

_SUMMARY = {
    "precision": NUMBER,
    "recall": NUMBER,
    "f1": NUMBER,
    "f1_ci95": ListOf(NUMBER, 2),  # the board always bootstraps
    "support": INTEGER,
}
_PER_LABEL = MapOf({"f1": NUMBER, "support": INTEGER})
_RELATIONS = Maybe({**_SUMMARY, "per_label": _PER_LABEL})
SCORES = {
    "adjusted_spans": {"widened": INTEGER, "cut": INTEGER},
    "entities": {"strict": _SUMMARY, "default": _SUMMARY, "per_label": _PER_LABEL},
    "relations": _RELATIONS,
    "relations_boundaries?": _RELATIONS,  # boards written before boundaries mode lack it
    "folds?": {
        "min": NUMBER,
        "max": NUMBER,
        "std": Maybe(NUMBER),  # one fold has no spread
        "per_fold": MapOf(NUMBER),
    },
    "out_of_fold?": INTEGER,
}
_NEXT = {"name": TEXT, "delta_f1": NUMBER, "p_bootstrap": NUMBER, "significant": FLAG}
RANK_GROUPS = MapOf(ListOf({"name": TEXT, "group": INTEGER, "next?": _NEXT}))
PROTOCOL = MapOf(TEXT)


def _is(value: Any, kind: str) -> bool:
    if kind == FLAG:
        return type(value) is bool
    if kind == INTEGER:
        return type(value) is int
    if kind == NUMBER:
        return type(value) in (int, float)
    return isinstance(value, str)


def shape_problem(value: Any, shape: Any, where: str) -> str | None:
    """Where and how ``value`` departs from ``shape`` (first departure), or None.

    >>> shape_problem({"a": [1, "x"]}, {"a": ListOf(INTEGER)}, "scores")
    "scores.a[1] must be an integer, not 'x'"
    """
    if isinstance(shape, Maybe):
        return None if value is None else shape_problem(value, shape.shape, where)
    if isinstance(shape, str):
        return None if _is(value, shape) else f"{where} must be {_NAMES[shape]}, not {value!r:.40}"
    if isinstance(shape, ListOf):
        if not isinstance(value, list) or (shape.length is not None and len(value) != shape.length):
            items = "a list" if shape.length is None else f"a list of {shape.length}"
            return f"{where} must be {items}, not {value!r:.40}"
        problems = (shape_problem(item, shape.shape, f"{where}[{i}]") for i, item in enumerate(value))
        return next((p for p in problems if p), None)
    if not isinstance(value, dict):
        return f"{where} must be an object, not {value!r:.40}"
    if isinstance(shape, MapOf):
        problems = (shape_problem(item, shape.shape, f"{where}.{key}") for key, item in value.items())
        return next((p for p in problems if p), None)
    for key, part in shape.items():
        name = key.removesuffix("?")
        if name not in value:
            if key.endswith("?"):
                continue
            return f"{where} has no {name!r}"
        problem = shape_problem(value[name], part, f"{where}.{name}")
        if problem:
            return problem
    return None
