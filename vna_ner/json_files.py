"""Small JSON files a user gives besides exports and predictions (a leaderboard, a throughput record,
accepted findings, errata reasons): read whole; any failure is one problem naming the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

from vna_ner.errors import InputError, Problem


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def read_json(path: Path) -> Any:
    """The JSON value in ``path``; :class:`InputError` if it cannot be read, is not UTF-8 JSON, is nested
    too deeply, holds a number Python does not convert (NaN, too many digits) or a lone surrogate."""

    def refuse(reason: str) -> InputError:
        return InputError([Problem(str(path), reason)])

    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
        value = json.loads(text, parse_constant=_no_constant)
        json.dumps(value, ensure_ascii=False).encode("utf-8")  # a lone surrogate cannot be written back
    except OSError as error:
        raise refuse(f"cannot be read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise refuse("not UTF-8 text") from None
    except UnicodeEncodeError:
        raise refuse("holds a lone surrogate (\\ud800-\\udfff), which is not valid Unicode") from None
    except json.JSONDecodeError as error:
        raise refuse(f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}") from None
    except RecursionError:
        raise refuse("not usable JSON: nested too deeply") from None
    except ValueError as error:  # NaN or Infinity, or an integer of more digits than Python converts
        raise refuse(f"not usable JSON: {' '.join(str(error).split())[:120]}") from None
    return value
