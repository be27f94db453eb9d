"""The account of one reading of an export: what was read, what was converted, what was left out and why.

Its numbers add up: every task read is a document or left out by a reason, and every result of every chosen
annotation is a region, a relation, or ignored by a reason (see :meth:`Account.adds_up`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from vna_ner.errors import InputError, Problem, one_line

SHOWN_TASKS = 10  # tasks named per reason they were left out


class NothingToBuild(InputError):
    """Every task of an export was left out: refused by every command that reads its documents; the
    command line prints ``account`` before the error."""

    def __init__(self, problems: list[Problem], account: Account):
        super().__init__(problems)
        self.account = account


@dataclass
class Account:
    """Counts of one pass over an export; ``validate`` and ``build`` print it."""

    tasks: int = 0
    documents: int = 0
    left_out: Counter[str] = field(default_factory=Counter)
    left_out_tasks: dict[str, list[str]] = field(default_factory=dict)
    results: int = 0
    regions: int = 0
    relations: int = 0
    ignored: Counter[str] = field(default_factory=Counter)
    utf16_converted: int = 0
    gold_rules: Counter[str] = field(default_factory=Counter)

    def leave_out(self, task: str, reason: str) -> None:
        """Count a task that is not a document of the dataset, and why."""
        self.left_out[reason] += 1
        named = self.left_out_tasks.setdefault(reason, [])
        if len(named) < SHOWN_TASKS:
            named.append(one_line(task))

    def merge(self, other: Account) -> None:
        """Add the counts of a reading of the tasks that follow this one's."""
        self.tasks += other.tasks
        self.documents += other.documents
        self.left_out.update(other.left_out)
        for reason, named in other.left_out_tasks.items():
            mine = self.left_out_tasks.setdefault(reason, [])
            mine += named[: SHOWN_TASKS - len(mine)]
        self.results += other.results
        self.regions += other.regions
        self.relations += other.relations
        self.ignored.update(other.ignored)
        self.utf16_converted += other.utf16_converted
        self.gold_rules.update(other.gold_rules)

    def adds_up(self) -> bool:
        """Whether every task and every result of a chosen annotation is accounted for exactly once."""
        tasks = self.documents + sum(self.left_out.values()) == self.tasks
        results = self.regions + self.relations + sum(self.ignored.values()) == self.results
        return tasks and results

    def check_documents(self, source: str) -> None:
        """Raise :class:`NothingToBuild` if tasks were read but none gave a document."""
        if self.tasks and not self.documents:
            reasons = "; ".join(f"{reason}: {count}" for reason, count in sorted(self.left_out.items()))
            problem = f"every task is left out ({reasons}): the export holds no annotated document"
            raise NothingToBuild([Problem(source, problem)], self)

    def lines(self) -> list[str]:
        """The account as lines a user reads at the end of ``validate`` or ``build``."""
        lines = [f"tasks read: {self.tasks}", f"  documents built: {self.documents}"]
        for reason, count in sorted(self.left_out.items()):
            named = self.left_out_tasks.get(reason, [])
            more = ", …" if count > len(named) else ""
            lines.append(f"  left out, {reason}: {count} ({', '.join(named)}{more})")
        lines.append(f"results of the chosen annotations: {self.results}")
        converted = f" ({self.utf16_converted} from UTF-16 offsets)" if self.utf16_converted else ""
        lines.append(f"  entity regions converted: {self.regions}{converted}")
        lines.append(f"  relations converted: {self.relations}")
        lines += [f"  ignored, {reason}: {count}" for reason, count in sorted(self.ignored.items())]
        lines += [
            f"gold chosen among several annotations by {rule}: {count} task(s)"
            for rule, count in sorted(self.gold_rules.items())
        ]
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())
