"""``vna-ner validate``: check a Label Studio export against the labeling config."""

from __future__ import annotations

from pathlib import Path

import click

from vna_ner.cli.options import (
    config_option,
    config_schema,
    export_argument,
    offsets_option,
    unannotated_option,
)


@click.command()
@export_argument
@config_option
@offsets_option
@unannotated_option
def validate(export: str, config: str | None, offsets: str, unannotated: str) -> None:
    """Check a Label Studio EXPORT (JSON, JSON-MIN or JSONL) against the config; list every problem found.

    It reads and checks exactly as `build` does, and ends with the account of what a build would convert.
    EXPORT defaults to annotations/gold.json of a vna-ner checkout (refused outside one).
    """
    from vna_ner.labelstudio.account import Account
    from vna_ner.labelstudio.export import iter_documents

    account = Account()
    for _ in iter_documents(
        Path(export), config_schema(config), offsets=offsets, unannotated=unannotated, account=account
    ):
        pass
    click.echo(f"{export}: {account.tasks} tasks, no problem found")
    click.echo(str(account))
