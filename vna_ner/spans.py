"""The checks every reader of character spans applies: integer offsets and flat (non-overlapping) spans.

The export reader and the prediction reader both use these, so an offset or an overlap is judged by one rule.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from typing import Any, TypeVar

K = TypeVar("K", bound=Hashable)


def is_integer(value: Any) -> bool:
    """Whether a JSON value is an integer: an ``int`` (``True`` and ``3.0`` are not)."""
    return type(value) is int


def offsets_problem(start: Any, end: Any, length: int | None = None) -> str | None:
    """Why ``[start, end)`` is not a span (of a text of ``length`` characters, when given), or None."""
    if not (is_integer(start) and is_integer(end)):
        return f"start/end must be integers, got {shown(start)}/{shown(end)}"
    if start < 0 or end < 0:
        return f"negative offsets [{start}, {end})"
    if start >= end:
        return f"empty or reversed span [{start}, {end})"
    if length is not None and end > length:
        return f"span [{start}, {end}) is out of range for a text of {length} characters"
    return None


def overlaps(spans: Iterable[tuple[int, int, K]]) -> Iterator[tuple[K, K]]:
    """``(earlier, later)`` keys of spans that overlap, given ``(start, end, key)`` in order of start.

    ``earlier`` is the span reaching furthest right among those before ``later``, so a span nested in a
    long one does not hide a later overlap with the long one.
    """
    furthest: tuple[int, int, K] | None = None
    for span in spans:
        if furthest is not None and span[0] < furthest[1]:
            yield furthest[2], span[2]
        if furthest is None or span[1] > furthest[1]:
            furthest = span


def shown(value: Any, width: int = 40) -> str:
    """A short, always printable rendering of any JSON value for a message."""
    if isinstance(value, str):
        text = repr(value[:width]) + ("…" if len(value) > width else "")
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list):
        return f"a list of {len(value)} item(s)"
    if isinstance(value, dict):
        return f"an object with {len(value)} key(s)"
    if type(value) is int and abs(value) > 10**12:
        return "a huge integer"
    return repr(value)
