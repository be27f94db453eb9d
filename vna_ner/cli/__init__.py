"""The ``vna-ner`` command: parses arguments and calls the library, nothing more.

Exit codes: 0 success; 1 invalid input, unwritable output (every problem on stderr, nothing written) or a
missing extra (named on stderr); 2 usage error (click's own). Errors are turned into messages in one
place, :class:`vna_ner.cli.group.Commands`. Each command is defined in the module of this package named
after it; the library is imported by each command when it runs, so ``--help`` starts fast and a light
install runs the commands it has the packages for.
"""

from __future__ import annotations

import warnings
from typing import Any

import click

from vna_ner.cli.agreement import agreement
from vna_ner.cli.build import build
from vna_ner.cli.card import card
from vna_ner.cli.check import check
from vna_ner.cli.compare import compare
from vna_ner.cli.config import write_config
from vna_ner.cli.diff import diff
from vna_ner.cli.eval import evaluate_predictions
from vna_ner.cli.group import DEBUG, Commands
from vna_ner.cli.leaderboard import leaderboard
from vna_ner.cli.stats import stats
from vna_ner.cli.to_labelstudio import to_labelstudio
from vna_ner.cli.validate import validate
from vna_ner.errors import one_line

_EPILOG = (
    "Exit codes: 0 success, 1 invalid input or an output that cannot be written (one message per problem "
    f"on stderr, nothing written), 2 usage error. {DEBUG}=1 shows the traceback of an unexpected error."
)


@click.group(cls=Commands, epilog=_EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vna-ner")
def main() -> None:
    """vna-ner: the VNA French NER and relation dataset, its tools and its benchmark."""
    warnings.simplefilter("default")
    warnings.showwarning = _show_warning


def _show_warning(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
    """A warning as one ``warning: ...`` line on stderr, like the errors; another package's names its kind."""
    ours = category.__module__.startswith("vna_ner")
    click.echo(f"warning: {'' if ours else f'{category.__name__}: '}{one_line(str(message))}", err=True)


for _command in (
    validate,
    write_config,
    build,
    stats,
    to_labelstudio,
    check,
    diff,
    agreement,
    leaderboard,
    card,
    evaluate_predictions,
    compare,
):
    main.add_command(_command)
