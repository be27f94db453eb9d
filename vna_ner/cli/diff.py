"""``vna-ner diff``: what changed between two releases (exports or built splits), per document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from vna_ner.cli.options import check_outputs, config_option, config_schema
from vna_ner.dataset.features import SPLITS
from vna_ner.files import write_text_atomically
from vna_ner.labelstudio.schema import Schema

if TYPE_CHECKING:
    from vna_ner.documents import Document


def _release_documents(path: Path, schema: Schema) -> list[Document]:
    """The gold documents of a Label Studio export, or of every split of a built folder."""
    if path.is_dir():
        from vna_ner.dataset.load import documents_of, load

        return [d for split in SPLITS for d in documents_of(load(split=split, data_dir=path))]
    from vna_ner.labelstudio.export import read_documents

    return read_documents(path, schema)


@click.command()
@click.argument("old", type=click.Path(exists=True))
@click.argument("new", type=click.Path(exists=True))
@config_option
@click.option(
    "--json", "json_output", type=click.Path(dir_okay=False), help="Also write the diff as JSON here."
)
def diff(old: str, new: str, config: str | None, json_output: str | None) -> None:
    """What changed from OLD to NEW (two Label Studio exports or two built splits folders), per document.

    Entities and relations added, removed, relabelled (same span, new label) or re-bounded (overlapping,
    same label); relations are compared by their argument spans. Prints a summary table, then each change.
    """
    from vna_ner.corpus.diff import diff_json, diff_releases, format_diff

    check_outputs([json_output], [old, new, config])
    schema = config_schema(config)
    changes = diff_releases(_release_documents(Path(old), schema), _release_documents(Path(new), schema))
    click.echo(format_diff(changes))
    if json_output:
        write_text_atomically(
            Path(json_output), json.dumps(diff_json(changes), indent=2, ensure_ascii=False) + "\n"
        )
