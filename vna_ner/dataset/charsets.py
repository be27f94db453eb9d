"""Compile spaCy's tokenizer patterns with each distinct character class worked out once.

Importing a spaCy language compiles its tokenizer's regular expressions at import time. French's
``TOKEN_MATCH`` is one case-insensitive pattern of about 260 alternatives that repeat the same large
Unicode letter classes, and ``re`` case-folds each class anew every time it meets it: most of the French
set-up (several seconds per build). :func:`charsets_once` memoizes ``re``'s charset optimizer, a pure
function of its arguments, while spaCy's modules are imported. It also hands ``re``'s parser each
pattern with its ``\\uXXXX`` escapes of non-ASCII characters written as the characters (1.4 MB of
escapes in French, parsed a character at a time), which ``re`` reads as the same literals. The compiled
patterns are the same (tested: the same compiled code), only the repeated work goes. Where ``re`` has no
such functions (a Python that changed its internals), nothing is patched.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_PATCHING = threading.RLock()  # one block at a time: each restores what it found, so blocks must nest
# An escaped backslash (kept, so that what follows it is no escape), or the escape of one code point.
_ESCAPES = re.compile(r"(\\\\|\\u[0-9a-fA-F]{4}|\\U[0-9a-fA-F]{8})")


def literal_escapes(pattern: str) -> str:
    r"""``pattern`` with each ``\uXXXX`` or ``\UXXXXXXXX`` escape of a character beyond ASCII written as that
    character: a literal to ``re`` either way, anywhere in a pattern (no such character is special to
    it, not even in verbose mode), but parsed much faster. A pattern naming groups is left as it is (an
    escape is no identifier in a group's name, where the character would be one).

    >>> literal_escapes(r"[\u00e0-\u00ff\u002d]\\u00e9")
    '[à-ÿ\\u002d]\\\\u00e9'
    """
    if ("\\u" not in pattern and "\\U" not in pattern) or "(?P" in pattern or "(?(" in pattern:
        return pattern
    parts = _ESCAPES.split(pattern)
    written = {}
    for escape in set(parts[1::2]):
        point = int(escape[2:], 16) if escape[1] in "uU" else 0
        written[escape] = chr(point) if 0x80 <= point <= 0x10FFFF else escape
    parts[1::2] = [written[escape] for escape in parts[1::2]]
    return "".join(parts)


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
    compiler, parser = getattr(re, "_compiler", None), getattr(re, "_parser", None)
    memo: dict[Any, Any] = {}
    if getattr(compiler, "_optimize_charset", None) is None or getattr(parser, "parse", None) is None:
        yield memo
        return
    with _PATCHING:
        optimize = compiler._optimize_charset  # type: ignore[union-attr]
        parse = parser.parse  # type: ignore[union-attr]

        def parse_literally(string: Any, flags: int = 0, state: Any = None) -> Any:
            return parse(literal_escapes(string) if isinstance(string, str) else string, flags, state)

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
        parser.parse = parse_literally  # type: ignore[union-attr]
        try:
            yield memo
        finally:
            compiler._optimize_charset = optimize  # type: ignore[union-attr]
            parser.parse = parse  # type: ignore[union-attr]
