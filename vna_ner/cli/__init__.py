"""The ``vna-ner`` command: parses arguments and calls the library, nothing more.

Exit codes: 0 success; 1 invalid input, unwritable output (every problem on stderr, nothing written) or a
missing extra (named on stderr); 2 usage error (click's own). Errors are turned into messages in one
place, :class:`vna_ner.cli.group.Commands`. Each command is defined in the module of this package named
after it, imported only when the command runs or shows its own help; the library is imported by each
command when it runs. So ``vna-ner --help`` starts fast and a light install runs the commands it has the
packages for.
"""

from __future__ import annotations

import warnings
from typing import Any

import click

from vna_ner.cli.group import DEBUG, LazyCommands

# Every command: its object, and its short help as `vna-ner --help` lists it without importing the command
# (the first sentence of the command's docstring; tests/test_cli.py checks that the two agree).
COMMANDS = {
    "agreement": (
        "vna_ner.cli.agreement.agreement",
        "Agreement between the independent passes of EXPORT, and of each pass with the gold.",
    ),
    "build": (
        "vna_ner.cli.build.build",
        "Build the splits from EXPORT, write their card, and print the summary table.",
    ),
    "card": (
        "vna_ner.cli.card.card",
        "Regenerate the dataset card's YAML, statistics, agreement, headroom and errata from the built "
        "splits, the gold EXPORT and the leaderboard.",
    ),
    "check": (
        "vna_ner.cli.check.check",
        "List inconsistencies in the gold of EXPORT; exit 1 if any is not accepted.",
    ),
    "compare": (
        "vna_ner.cli.compare.compare",
        "Is SYSTEM_A's micro entity F1 on SPLIT different from SYSTEM_B's? Paired tests over documents.",
    ),
    "config": (
        "vna_ner.cli.config.write_config",
        "Write the Label Studio labeling config EXPORT (JSON, JSON-MIN or JSONL) was made with, as far as it "
        "shows: its span control's names, the text field its regions point into, every label it uses.",
    ),
    "diff": (
        "vna_ner.cli.diff.diff",
        "What changed from OLD to NEW (two Label Studio exports or two built splits folders), per document.",
    ),
    "eval": (
        "vna_ner.cli.eval.evaluate_predictions",
        "Score the PREDICTIONS file against the gold of SPLIT with seqeval and print the tables.",
    ),
    "leaderboard": (
        "vna_ner.cli.leaderboard.leaderboard",
        "The benchmark leaderboard: add a system's predictions, rescore or check the board, render it.",
    ),
    "stats": (
        "vna_ner.cli.stats.stats",
        "Load the dataset and print documents, sentences, tokens, entities and relations per split.",
    ),
    "to-labelstudio": (
        "vna_ner.cli.to_labelstudio.to_labelstudio",
        "Write the dataset's documents as Label Studio tasks to OUTPUT: gold as annotations, or predictions.",
    ),
    "validate": (
        "vna_ner.cli.validate.validate",
        "Check a Label Studio EXPORT (JSON, JSON-MIN or JSONL) against the config; list every problem found.",
    ),
}
_EPILOG = (
    "Exit codes: 0 success, 1 invalid input or an output that cannot be written (one message per problem "
    f"on stderr, nothing written), 2 usage error. {DEBUG}=1 shows the traceback of an unexpected error."
)


@click.group(
    cls=LazyCommands,
    table=COMMANDS,
    epilog=_EPILOG,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="vna-ner")
def main() -> None:
    """vna-ner: the VNA French NER and relation dataset, its tools and its benchmark."""
    warnings.simplefilter("default")
    warnings.showwarning = _show_warning


def _show_warning(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
    """A warning as one ``warning: ...`` line on stderr, like the errors; another package's names its kind."""
    from vna_ner.errors import one_line

    ours = category.__module__.startswith("vna_ner")
    click.echo(f"warning: {'' if ours else f'{category.__name__}: '}{one_line(str(message))}", err=True)
