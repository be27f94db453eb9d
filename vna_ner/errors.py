"""Problems found in user input, reported all at once with where they are and what is wrong."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # characters that break or hide a line


def one_line(text: str) -> str:
    """``text`` with its control characters (a newline in an id, …) escaped as Python's ``repr`` writes
    them, so that a message read from the input stays one line.

    >>> one_line("doc\\n1")
    'doc\\\\n1'
    """
    return _CONTROL.sub(lambda found: repr(found.group())[1:-1], text)


@dataclass(frozen=True)
class Problem:
    """One problem: the task or document, the region (if any) and a sentence a user can act on."""

    where: str
    message: str
    region: str | None = None

    def __str__(self) -> str:
        region = f", region {self.region}" if self.region else ""
        return one_line(f"{self.where}{region}: {self.message}")


class InputError(ValueError):
    """Input that vna-ner refuses; ``problems`` lists every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        shown = "\n".join(f"  - {problem}" for problem in self.problems[:50])
        more = len(self.problems) - 50
        tail = f"\n  … and {more} more" if more > 0 else ""
        super().__init__(f"{len(self.problems)} problem(s):\n{shown}{tail}")

    def __reduce__(self) -> tuple[type[InputError], tuple[list[Problem]]]:
        return InputError, (self.problems,)  # pickled whole, e.g. from a build's worker process


class OutputError(OSError):
    """An output path vna-ner cannot or will not write; the message is one line a user can act on."""


# Modules of the optional dependencies, and the extra of pyproject.toml that installs each.
EXTRAS = {"label_studio_sdk": "labelstudio", "ijson": "labelstudio", "spacy": "build", "matplotlib": "plot"}


def missing_extra(error: ModuleNotFoundError, what: str, extra: str | None = None) -> str | None:
    """One line telling how to install the extra that ``what`` lacks (``extra``, or the one of the missing
    module), or None if the missing module is not an optional dependency.

    >>> missing_extra(ModuleNotFoundError(name="spacy.lang"), "vna-ner build")
    "vna-ner build needs the 'build' extra (spacy is not installed): pip install 'vna-ner[build]'"
    """
    module = (error.name or "").partition(".")[0]
    if module not in EXTRAS:
        return None
    extra = extra or EXTRAS[module]
    return f"{what} needs the '{extra}' extra ({module} is not installed): pip install 'vna-ner[{extra}]'"
