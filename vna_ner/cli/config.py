"""``vna-ner config``: write the labeling config an export was made with."""

from __future__ import annotations

import os
from pathlib import Path

import click

from vna_ner.errors import OutputError
from vna_ner.files import check_output, write_text_atomically
from vna_ner.labelstudio.schema import parse_schema


@click.command("config")
@click.argument("export", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="The labeling config to write (e.g. labeling_config.xml).",
)
def write_config(export: str, output: str) -> None:
    """Write the Label Studio labeling config EXPORT (JSON, JSON-MIN or JSONL) was made with, as far as it
    shows: its span control's names, the text field its regions point into, every label it uses.

    Labels are sorted; <Relations> only if its relations carry labels. An export whose
    regions come from several controls, or that has none, is refused. The config is written only if EXPORT
    validates against it, so `validate`/`build --config OUTPUT EXPORT` accept it.
    """
    from vna_ner.labelstudio.export_config import config_of_export

    if check_output(Path(output)).exists() and os.path.samefile(output, export):
        raise OutputError(f"cannot write {output}: it is the export EXPORT; choose another --output")
    config = config_of_export(Path(export))
    write_text_atomically(Path(output), config)
    schema = parse_schema(config)
    relations = ", ".join(schema.relation_labels) if schema.relations_labelled else "unlabelled"
    click.echo(
        f"{output}: {schema.span_control}, {len(schema.entity_labels)} label(s) "
        f"({', '.join(schema.entity_labels)}); relations: {relations}"
    )
