"""Compile spaCy's tokenizer patterns with each distinct character class worked out once.

Importing a spaCy language compiles its tokenizer's regular expressions at import time. French's
``TOKEN_MATCH`` is one case-insensitive pattern of about 260 alternatives that repeat the same large
Unicode letter classes, and ``re`` case-folds each class anew every time it meets it: most of the French
set-up (several seconds per build). :func:`charsets_once` memoizes ``re``'s charset optimizer, a pure
function of its arguments, while spaCy's modules are imported: the compiled patterns are the same
(tested: the same compiled code), only the repeated work goes. Where ``re`` has no such function (a
Python that changed its internals), nothing is patched.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_PATCHING = threading.RLock()  # one block at a time: each restores what it found, so blocks must nest


def _frozen(value: Any) -> Any:
    """A hashable stand-in for an argument of the optimizer, equal for equal values (lists, dicts)."""
    if isinstance(value, list):
        return ("list", tuple(value))
    if isinstance(value, dict):
        return ("dict", tuple(value.items()))
    return value


@contextmanager
def charsets_once() -> Iterator[dict[Any, Any]]:
    """Within the block, ``re`` optimizes each distinct character class once; yields the memo."""
    compiler = getattr(re, "_compiler", None)
    memo: dict[Any, Any] = {}
    if getattr(compiler, "_optimize_charset", None) is None:
        yield memo
        return
    with _PATCHING:
        optimize = compiler._optimize_charset  # type: ignore[union-attr]

        def memoized(*args: Any, **kwargs: Any) -> Any:
            key = (tuple(map(_frozen, args)), tuple(sorted((k, _frozen(v)) for k, v in kwargs.items())))
            try:
                found = memo.get(key)
            except TypeError:  # an argument that cannot be hashed: not memoized
                return optimize(*args, **kwargs)
            if found is None:
                found = memo[key] = optimize(*args, **kwargs)
            charset, *rest = found
            return (list(charset), *rest)  # a fresh list, as the optimizer returns

        compiler._optimize_charset = memoized  # type: ignore[union-attr]
        try:
            yield memo
        finally:
            compiler._optimize_charset = optimize  # type: ignore[union-attr]
