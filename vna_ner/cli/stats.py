"""``vna-ner stats``: documents, sentences, tokens, entities and relations per split."""

from __future__ import annotations

import json
from pathlib import Path

import click

from vna_ner.cli.options import data_dir_option


@click.command()
@data_dir_option
@click.option(
    "--format",
    "fmt",
    default="simple",
    show_default=True,
    type=click.Choice(["simple", "github", "json"]),
    help="Table style, or JSON.",
)
def stats(data_dir: str | None, fmt: str) -> None:
    """Load the dataset and print documents, sentences, tokens, entities and relations per split."""
    from vna_ner.dataset.load import load
    from vna_ner.dataset.stats import format_statistics, split_statistics

    table = split_statistics(load(data_dir=Path(data_dir) if data_dir else None))
    click.echo(json.dumps(table, indent=2) if fmt == "json" else format_statistics(table, fmt))
