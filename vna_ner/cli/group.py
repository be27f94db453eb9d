"""The click group of vna-ner's commands, which turns every error a command raises into a message."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from vna_ner.errors import InputError, OutputError, missing_extra, one_line
from vna_ner.labelstudio.account import NothingToBuild
from vna_ner.labelstudio.schema import SchemaError

EXIT_INVALID = 1
# Commands needing every package of an extra, named whichever of its modules is found missing first.
_EXTRA_OF_COMMAND = {"build": "build", "check": "build"}
_REPORTED = (InputError, OutputError, SchemaError, FileNotFoundError)  # and SplitError, imported late
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
            from vna_ner.dataset.split import SplitError  # numpy and Arrow: not imported for --help

            command = " ".join(["vna-ner", *ctx.command_path.split()[1:], ctx.invoked_subcommand or ""])
            extra = (
                missing_extra(error, command, _EXTRA_OF_COMMAND.get(ctx.invoked_subcommand or ""))
                if isinstance(error, ModuleNotFoundError)
                else None
            )
            if isinstance(error, NothingToBuild):
                click.echo(str(error.account))  # the account says why each task was left out
            if isinstance(error, (*_REPORTED, SplitError)) or extra:
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
