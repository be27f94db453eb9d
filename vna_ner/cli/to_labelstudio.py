"""``vna-ner to-labelstudio``: the dataset as Label Studio tasks, gold or a system's predictions."""

from __future__ import annotations

from pathlib import Path

import click

from vna_ner.cli.options import check_outputs, config_option, config_schema, data_dir_option, data_folder
from vna_ner.dataset.features import SPLITS


@click.command("to-labelstudio")
@click.argument("output", type=click.Path(dir_okay=False))
@click.option(
    "--split",
    type=click.Choice(SPLITS),
    help="Only this split (default: all splits; required with --predictions).",
)
@data_dir_option
@click.option(
    "--predictions",
    type=click.Path(exists=True, dir_okay=False),
    help="A system's predictions for --split (JSONL, CoNLL or Arrow), sent as pre-annotations, not the gold.",
)
@click.option("--model-version", default="", help="model_version recorded with the predictions.")
@config_option
def to_labelstudio(
    output: str,
    split: str | None,
    data_dir: str | None,
    predictions: str | None,
    model_version: str,
    config: str | None,
) -> None:
    """Write the dataset's documents as Label Studio tasks to OUTPUT: gold as annotations, or predictions.

    The tasks are for the Label Studio project of --config: a label (gold or predicted) that its config does
    not have is refused, and so is a predicted label the dataset does not have, on its line.
    """
    from vna_ner.dataset.load import documents_of, load
    from vna_ner.labelstudio.tasks import check_labels, document_to_task, write_tasks

    folder = Path(data_dir) if data_dir else None
    check_outputs([output], [data_folder(data_dir), predictions, config])
    schema = config_schema(config)
    if predictions:
        from vna_ner.benchmark.predictions import predicted_documents, read_predictions

        if split is None:
            raise click.UsageError("--predictions needs --split")
        gold = load(split=split, data_dir=folder)
        documents = predicted_documents(gold, read_predictions(Path(predictions), gold))
    else:
        splits = [split] if split else list(SPLITS)
        documents = [d for name in splits for d in documents_of(load(split=name, data_dir=folder))]
    check_labels(documents, schema, predictions or str(data_folder(data_dir)))
    tasks = [
        document_to_task(d, schema, as_predictions=bool(predictions), model_version=model_version)
        for d in documents
    ]
    write_tasks(tasks, Path(output))
    click.echo(f"{output}: {len(tasks)} tasks")
