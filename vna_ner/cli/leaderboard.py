"""``vna-ner leaderboard``: add a system, rescore or check the board, render it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from vna_ner.cli.group import Commands
from vna_ner.cli.options import check_outputs, data_dir_option, repository_file

board_option = click.option(
    "--board",
    default="eval/leaderboard.json",
    show_default=True,
    type=click.Path(dir_okay=False),
    callback=repository_file(click.Path(dir_okay=False)),
    help="The leaderboard JSON; LEADERBOARD.md and the chart are written beside it. The default is the "
    "board of a vna-ner checkout (refused outside one).",
)
readme_option = click.option(
    "--readme",
    default="README.md",
    show_default=True,
    type=click.Path(dir_okay=False),
    callback=repository_file(click.Path(dir_okay=False)),
    help="README whose leaderboard section, between its leaderboard markers, is regenerated (one without "
    "them is refused). The default is the README of a vna-ner checkout (refused outside one).",
)


def _check_board_outputs(board: str, readme: str, inputs: Sequence[str | Path | None]) -> None:
    """Refuse, before any work, a board, README or rendering beside the board that cannot be written or
    would overwrite one of ``inputs``."""
    from vna_ner.benchmark.leaderboard import CHART_NAME, MARKDOWN_NAME

    beside = [Path(board).parent / name for name in (MARKDOWN_NAME, CHART_NAME)]
    check_outputs([board, readme, *beside], inputs)


@click.group(cls=Commands)
def leaderboard() -> None:
    """The benchmark leaderboard: add a system's predictions, rescore or check the board, render it."""


@leaderboard.command("add")
@click.option("--name", required=True, help="System name, unique per split (adding it again updates it).")
@click.option("--predictions", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--split",
    required=True,
    type=click.Choice(["all", "validation", "test"]),
    help="all: every document (the headline), out-of-fold predictions for a system that trains.",
)
@click.option("--coarse", is_flag=True, help="Score on the coarse view (PER/ORG/LOC/MISC).")
@click.option("--description", required=True, help="One sentence: what the system is.")
@click.option("--link", default="", help="URL, or a path from the repository root, describing the system.")
@click.option(
    "--throughput",
    type=click.Path(exists=True, dir_okay=False),
    help="JSON with tokens_per_second (and how it was measured), as the baseline scripts write it.",
)
@click.option("--gold-entities", is_flag=True, help="The system was given the gold entities.")
@click.option(
    "--data-seen",
    required=True,
    help="What data the system saw and how: e.g. 'train (gazetteer); nothing else'.",
)
@click.option("--date", help="Date of the entry, YYYY-MM-DD (default: today).")
@data_dir_option
@board_option
@readme_option
def leaderboard_add(
    name: str,
    predictions: str,
    split: str,
    coarse: bool,
    description: str,
    link: str,
    throughput: str | None,
    gold_entities: bool,
    data_seen: str,
    date: str | None,
    data_dir: str | None,
    board: str,
    readme: str,
) -> None:
    """Score PREDICTIONS with `vna-ner eval`'s harness, add or update the entry, and re-render the board."""
    import datetime

    from vna_ner.benchmark.leaderboard import Submission, add, check_renderable, read_throughput, render

    _check_board_outputs(board, readme, [predictions, throughput, data_dir])
    check_renderable(Path(readme))  # before the board is written

    submission = Submission(
        name=name,
        split=split,
        predictions=Path(predictions),
        coarse=coarse,
        description=description,
        link=link,
        date=date or datetime.date.today().isoformat(),
        gold_entities=gold_entities,
        data_seen=data_seen,
        throughput=read_throughput(Path(throughput)) if throughput else None,
    )
    _, entry = add(Path(board), submission, data_dir=Path(data_dir) if data_dir else None)
    strict = entry["scores"]["entities"]["strict"]
    click.echo(f"{name} ({split}, {entry['view']} view): strict micro F1 {strict['f1']:.4f}")
    for path in render(Path(board), Path(readme)):
        click.echo(f"wrote {path}")


@leaderboard.command("check")
@data_dir_option
@board_option
@readme_option
def leaderboard_check(data_dir: str | None, board: str, readme: str) -> None:
    """Rescore every entry from its predictions; exit 1 if any score or rendering differs from the board."""
    from vna_ner.benchmark.leaderboard import check
    from vna_ner.errors import InputError

    problems = check(Path(board), Path(readme), data_dir=Path(data_dir) if data_dir else None)
    if problems:
        raise InputError(problems)
    click.echo(f"{board}: every entry matches its predictions")


@leaderboard.command("rescore")
@data_dir_option
@board_option
@readme_option
def leaderboard_rescore(data_dir: str | None, board: str, readme: str) -> None:
    """Rescore every entry from its committed predictions (nothing retrained, all else kept), then render.

    For a change of the scoring or of the board's format; new predictions go through `add`.
    """
    from vna_ner.benchmark.leaderboard import check_renderable, render, rescore

    _check_board_outputs(board, readme, [data_dir])
    check_renderable(Path(readme))
    rescored = rescore(Path(board), data_dir=Path(data_dir) if data_dir else None)
    click.echo(f"{board}: {len(rescored['entries'])} entries rescored")
    for path in render(Path(board), Path(readme)):
        click.echo(f"wrote {path}")


@leaderboard.command("render")
@board_option
@readme_option
def leaderboard_render(board: str, readme: str) -> None:
    """Rebuild LEADERBOARD.md, the README's leaderboard section and the per-label F1 chart from the board."""
    from vna_ner.benchmark.leaderboard import render

    _check_board_outputs(board, readme, [])
    for path in render(Path(board), Path(readme)):
        click.echo(f"wrote {path}")
