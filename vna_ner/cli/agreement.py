"""``vna-ner agreement``: agreement between the annotation passes of an export, and with the gold."""

from __future__ import annotations

import json
from pathlib import Path

import click

from vna_ner.cli.options import check_outputs, config_option, config_schema, export_argument
from vna_ner.files import write_text_atomically


@click.command()
@export_argument
@config_option
@click.option("--output", type=click.Path(dir_okay=False), help="Write the figures as JSON here.")
def agreement(export: str, config: str | None, output: str | None) -> None:
    """Agreement between the independent passes of EXPORT, and of each pass with the gold.

    EXPORT defaults to annotations/gold.json of a vna-ner checkout (refused outside one).
    """
    from vna_ner.corpus.agreement import pass_agreement
    from vna_ner.labelstudio.export import iter_tasks

    check_outputs([output], [export, config])
    figures = pass_agreement(iter_tasks(Path(export), config_schema(config)))
    for name, comparison in figures.items():
        click.echo(f"{name} ({comparison['documents']} documents)")
        for kind in ("entities", "relations"):
            for label, row in comparison[kind].items():
                click.echo(
                    f"  {kind:9} {label:10} F1 {row['f1']:.4f}  agreed {row['agreed']:4}  "
                    f"only first {row['only_first']:3}  only second {row['only_second']:3}"
                )
    if output:
        write_text_atomically(Path(output), json.dumps(figures, indent=2, sort_keys=True) + "\n")
