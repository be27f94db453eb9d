"""``vna-ner eval``: score a system's predictions against a split's gold."""

from __future__ import annotations

from pathlib import Path

import click

from vna_ner.cli.options import check_outputs, data_dir_option, data_folder
from vna_ner.dataset.features import SPLITS
from vna_ner.files import write_text_atomically


@click.command("eval")
@click.option(
    "--predictions",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Predictions: .jsonl (character spans), .conll/.txt/.tsv (token<TAB>tag) or .arrow (pred_tags).",
)
@click.option(
    "--split",
    default="test",
    show_default=True,
    type=click.Choice([*SPLITS, "all"]),
    help="The split to score; all: every document of every split, with the per-fold spread.",
)
@data_dir_option
@click.option("--coarse", is_flag=True, help="PER/ORG/LOC/MISC view: EVENT->MISC, TITLE and DATE dropped.")
@click.option(
    "--allow-missing", is_flag=True, help="Score documents without a prediction as predicting nothing."
)
@click.option(
    "--bootstrap", default=1000, show_default=True, type=click.IntRange(min=0), help="CI resamples."
)
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the bootstrap resampling.")
@click.option(
    "--strict-spans",
    is_flag=True,
    help="Score spans widened to token edges or cut at sentence breaks as wrong (default: as adjusted).",
)
@click.option("--output", type=click.Path(dir_okay=False), help="Also write the report as JSON here.")
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False),
    help="Also write an HTML page of every document, gold and predicted spans side by side, errors marked.",
)
def evaluate_predictions(
    predictions: str,
    split: str,
    data_dir: str | None,
    coarse: bool,
    allow_missing: bool,
    bootstrap: int,
    seed: int,
    strict_spans: bool,
    output: str | None,
    html_path: str | None,
) -> None:
    """Score the PREDICTIONS file against the gold of SPLIT with seqeval and print the tables.

    The SemEval-2013 error analysis (error classes, schemas by nervaluate, type confusion) follows, for
    strict-mode chunks; the JSON report holds it for both modes.
    """
    from vna_ner.benchmark.document_spans import error_analyses
    from vna_ner.benchmark.error_analysis import format_error_analysis
    from vna_ner.benchmark.evaluate import MODE_TITLES, evaluate, format_report, write_report
    from vna_ner.benchmark.predictions import read_predictions
    from vna_ner.dataset.split_table import read_split_table

    check_outputs([output, html_path], [predictions, data_folder(data_dir)])
    gold = read_split_table(split, Path(data_dir) if data_dir else None)
    read = read_predictions(Path(predictions), gold, allow_missing=allow_missing)
    report = evaluate(gold, read, coarse=coarse, strict_spans=strict_spans, bootstrap=bootstrap, seed=seed)
    analyses = error_analyses(gold, read, coarse=coarse)
    click.echo(format_report(report))
    click.echo("\n" + format_error_analysis(analyses["strict"][1], f"Entities, {MODE_TITLES['strict']}"))
    if output:
        extra = {"error_analysis": {mode: analysis.to_dict() for mode, (_, analysis) in analyses.items()}}
        write_report(report, Path(output), extra)
        click.echo(f"\nreport written to {output}")
    if html_path:
        from vna_ner.benchmark.html_report import LabelScores, render_html

        table = report.entities["strict"]
        scores = [LabelScores(label, r.p, r.r, r.f1, r.support) for label, r in table.per_label.items()]
        scores.append(LabelScores("micro", table.micro.p, table.micro.r, table.micro.f1, table.micro.support))
        documents, analysis = analyses["strict"]
        page = render_html(
            documents,
            analysis,
            scores,
            title=f"{Path(predictions).name} on {split}",
            summary=f"{report.documents} documents, {report.tokens} tokens, {report.view} view; "
            f"seqeval chunks in {MODE_TITLES['strict']}, one sequence per gold sentence.",
        )
        write_text_atomically(Path(html_path), page)
        click.echo(f"HTML report written to {html_path}")
