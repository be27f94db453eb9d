"""The click groups of vna-ner's commands: every error a command raises turned into a message, and the
top-level commands loaded from a table only when one is run or asked for its own help."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

import click

EXIT_INVALID = 1
# Commands needing every package of an extra, named whichever of its modules is found missing first.
_EXTRA_OF_COMMAND = {"build": "build", "check": "build"}
DEBUG = "VNA_NER_DEBUG"


class Commands(click.Group):
    """The command groups: every error a command raises ends as ``error: ...`` on stderr and exit code 1.

    Input and output errors are the user's to fix, and so is a missing extra (named with how to install
    it); any other exception is a failure of vna-ner, reported in one line as a bug (with
    ``VNA_NER_DEBUG=1``, re-raised for its traceback). Usage errors keep click's exit code 2.
    """

    group_class = type  # subgroups (``leaderboard``) are Commands too, so they name their subcommand

    def invoke(self, ctx: click.Context) -> Any:
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a closed pipe is found here, not at exit
            return result
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:  # the reader went away (``vna-ner eval | head``): stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(EXIT_INVALID)
        except Exception as error:
            # Imported only now, so that --help imports none of the library (SplitError: numpy and Arrow)
            from vna_ner.dataset.split import SplitError
            from vna_ner.errors import InputError, OutputError, missing_extra, one_line
            from vna_ner.labelstudio.account import NothingToBuild
            from vna_ner.labelstudio.schema import SchemaError

            command = " ".join(["vna-ner", *ctx.command_path.split()[1:], ctx.invoked_subcommand or ""])
            extra = (
                missing_extra(error, command, _EXTRA_OF_COMMAND.get(ctx.invoked_subcommand or ""))
                if isinstance(error, ModuleNotFoundError)
                else None
            )
            if isinstance(error, NothingToBuild):
                click.echo(str(error.account))  # the account says why each task was left out
            if (
                isinstance(error, (InputError, OutputError, SchemaError, FileNotFoundError, SplitError))
                or extra
            ):
                said = str(extra or error)  # an InputError's problems are one line each, each escaped
                click.echo(f"error: {said if isinstance(error, InputError) else one_line(said)}", err=True)
                ctx.exit(EXIT_INVALID)
            if os.environ.get(DEBUG) == "1":
                raise
            what = " ".join(str(error).split())
            what = f"{what[:300]}…" if len(what) > 300 else what
            click.echo(
                f"error: {command} failed: {type(error).__name__}{': ' if what else ''}{what}. "
                f"If the input is valid, this is a bug in vna-ner: please report it ({DEBUG}=1 traces it).",
                err=True,
            )
            ctx.exit(EXIT_INVALID)


class CommandTable(MutableMapping[str, click.Command]):
    """A group's commands by name, those of ``table`` (name -> import path of the command, short help)
    imported from their modules only when asked for; listing or testing names imports nothing."""

    def __init__(self, table: Mapping[str, tuple[str, str]]) -> None:
        self.table = table
        self._commands: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._commands:
            module, _, attribute = self.table[name][0].rpartition(".")
            self._commands[name] = getattr(importlib.import_module(module), attribute)
        return self._commands[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._commands[name] = command

    def __delitem__(self, name: str) -> None:
        del self._commands[name]

    def __contains__(self, name: object) -> bool:
        return name in self.table or name in self._commands

    def __iter__(self) -> Iterator[str]:
        return iter({**dict.fromkeys(self.table), **self._commands})

    def __len__(self) -> int:
        return len(self.table.keys() | self._commands.keys())


class LazyCommands(Commands):
    """The top-level group: its commands are a :class:`CommandTable`, so click's own ``list_commands``
    lists them from the table and ``get_command`` imports only the one that runs or shows its own help
    (click's "lazily loading subcommands"); ``--help`` lists them with the table's short help."""

    def __init__(self, *args: Any, table: Mapping[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands: CommandTable = CommandTable(table)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Click's list of commands, a stand-in with the table's short help for each command of the table."""
        table = self.commands.table
        listed = [
            click.Command(n, help=table[n][1]) if n in table else self.commands[n] for n in self.commands
        ]
        click.Group(commands=listed).format_commands(ctx, formatter)
