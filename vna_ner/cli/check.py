"""``vna-ner check``: inconsistencies in the gold of an export."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from vna_ner.cli.group import EXIT_INVALID
from vna_ner.cli.options import (
    config_option,
    config_schema,
    export_argument,
    offsets_option,
    unannotated_option,
)

_EXCEPTIONS_NAME = "consistency_exceptions.json"


@click.command()
@export_argument
@config_option
@offsets_option
@unannotated_option
@click.option(
    "--exceptions",
    type=click.Path(exists=True, dir_okay=False),
    help=f"Accepted findings (JSON, each with a reason) [default: {_EXCEPTIONS_NAME} beside EXPORT, if any].",
)
def check(export: str, config: str | None, offsets: str, unannotated: str, exceptions: str | None) -> None:
    """List inconsistencies in the gold of EXPORT; exit 1 if any is not accepted.

    EXPORT defaults to annotations/gold.json of a vna-ner checkout (refused outside one).
    """
    from vna_ner.corpus.consistency import check_consistency, read_exceptions
    from vna_ner.dataset.align import tokenize
    from vna_ner.labelstudio.export import read_documents

    def sentence_starts(text: str) -> list[int]:
        offsets, firsts = tokenize(text)
        return [offsets[i][0] for i in firsts]

    schema = config_schema(config)
    beside = Path(export).parent / _EXCEPTIONS_NAME
    if exceptions is None and beside.exists():
        exceptions = str(beside)
    accepted_list = read_exceptions(Path(exceptions)) if exceptions else []
    documents = read_documents(Path(export), schema, offsets=offsets, unannotated=unannotated)
    reported, accepted = check_consistency(documents, schema, accepted_list, sentence_starts)
    for finding in reported:
        click.echo(str(finding))
    click.echo(f"{len(reported)} finding(s) reported, {len(accepted)} accepted by exceptions")
    if reported:
        sys.exit(EXIT_INVALID)
