"""``vna-ner compare``: paired significance tests between two systems' predictions."""

from __future__ import annotations

from pathlib import Path

import click

from vna_ner.cli.options import check_outputs, data_dir_option, data_folder
from vna_ner.dataset.features import SPLITS


@click.command()
@click.argument("system_a", type=click.Path(exists=True, dir_okay=False))
@click.argument("system_b", type=click.Path(exists=True, dir_okay=False))
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
    "--mode",
    default="strict",
    show_default=True,
    type=click.Choice(["strict", "default"]),
    help="seqeval chunking: strict IOB2, or default (conlleval-compatible), as `vna-ner eval` reports them.",
)
@click.option(
    "--allow-missing", is_flag=True, help="Score documents without a prediction as predicting nothing."
)
@click.option("--resamples", default=10000, show_default=True, type=click.IntRange(min=0))
@click.option(
    "--permutations",
    default=10000,
    show_default=True,
    type=click.IntRange(min=0),
    help="Shuffles of the approximate randomization test.",
)
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of both tests' draws.")
@click.option("--output", type=click.Path(dir_okay=False), help="Also write the comparison as JSON here.")
def compare(
    system_a: str,
    system_b: str,
    split: str,
    data_dir: str | None,
    coarse: bool,
    mode: str,
    allow_missing: bool,
    resamples: int,
    permutations: int,
    seed: int,
    output: str | None,
) -> None:
    """Is SYSTEM_A's micro entity F1 on SPLIT different from SYSTEM_B's? Paired tests over documents.

    Entities only: relations (strict or boundaries mode) are not compared.

    Prints ΔF1 = F1(A) − F1(B), its 95% paired-bootstrap interval and p-value, and the p-value of
    approximate randomization (each document's predictions swapped between A and B with probability 1/2).
    """
    from vna_ner.benchmark.compare import compare_predictions, format_comparison, write_comparison
    from vna_ner.benchmark.predictions import read_predictions
    from vna_ner.dataset.split_table import read_split_table

    check_outputs([output], [system_a, system_b, data_folder(data_dir)])
    gold = read_split_table(split, Path(data_dir) if data_dir else None)
    a, b = (read_predictions(Path(p), gold, allow_missing=allow_missing) for p in (system_a, system_b))
    comparison = compare_predictions(
        gold, a, b, mode=mode, coarse=coarse, resamples=resamples, permutations=permutations, seed=seed
    )
    view = "coarse" if coarse else "full"
    click.echo(format_comparison(comparison, system_a, system_b, f"{split} split, {view} view, {mode} mode"))
    if output:
        extra = {"a": system_a, "b": system_b, "split": split, "view": view, "mode": mode}
        write_comparison(comparison, extra, Path(output))
        click.echo(f"\ncomparison written to {output}")
