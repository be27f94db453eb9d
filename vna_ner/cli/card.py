"""``vna-ner card``: regenerate the dataset card from the splits, the gold export and the leaderboard."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from vna_ner.cli.group import EXIT_INVALID
from vna_ner.cli.options import check_outputs, config_option, config_schema, export_argument, repository_file
from vna_ner.files import write_text_atomically

_PREVIOUS_RELEASE = "annotations/releases/1.0/gold.json"
_ERRATA_REASONS = "annotations/releases/1.1-errata.json"


@click.command()
@export_argument
@config_option
@click.option(
    "--card",
    "card_path",
    default="DATASET_CARD.md",
    show_default=True,
    type=click.Path(dir_okay=False),
    callback=repository_file(click.Path(dir_okay=False)),
    help="The card to regenerate; the default is the card of a vna-ner checkout (refused outside one).",
)
@click.option(
    "--data-dir",
    default="splits",
    show_default=True,
    type=click.Path(file_okay=False),
    callback=repository_file(click.Path(exists=True, file_okay=False)),
    help="The built splits; the default is the splits of a vna-ner checkout (refused outside one).",
)
@click.option(
    "--previous",
    default=_PREVIOUS_RELEASE,
    show_default=True,
    type=click.Path(dir_okay=False),
    callback=repository_file(click.Path(exists=True, dir_okay=False)),
    help="The previous release's export; the card's errata list the changes from it to EXPORT.",
)
@click.option(
    "--errata-reasons",
    default=_ERRATA_REASONS,
    show_default=True,
    type=click.Path(dir_okay=False),
    callback=repository_file(click.Path(exists=True, dir_okay=False)),
    help="The reason of each change (JSON); a change without a reason is an error.",
)
@click.option(
    "--board",
    default="eval/leaderboard.json",
    show_default=True,
    type=click.Path(dir_okay=False),
    callback=repository_file(click.Path(exists=True, dir_okay=False)),
    help="The leaderboard whose best systems the card's headroom table sets against the agreement ceiling.",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if the card is not what the data gives.")
def card(
    export: str,
    config: str | None,
    card_path: str,
    data_dir: str,
    previous: str,
    errata_reasons: str,
    board: str,
    check: bool,
) -> None:
    """Regenerate the dataset card's YAML, statistics, agreement, headroom and errata from the built
    splits, the gold EXPORT and the leaderboard.

    The card is also copied to DATA_DIR/README.md, so the splits folder is a Hub-style dataset.
    EXPORT defaults to annotations/gold.json of a vna-ner checkout (refused outside one).
    """
    from vna_ner.benchmark.leaderboard import headroom_markdown, read_board
    from vna_ner.corpus.agreement import pass_agreement
    from vna_ner.corpus.diff import diff_releases, errata_markdown, read_reasons
    from vna_ner.dataset.card import agreement_block, card_metadata, load_all, render_card, statistics_block
    from vna_ner.labelstudio.export import iter_tasks, read_documents

    targets = [Path(card_path), Path(data_dir) / "README.md"]
    if not check:  # the card is read and rewritten, as is the splits folder's copy of it
        check_outputs(targets, [export, config, previous, errata_reasons, board])
    schema = config_schema(config)
    splits = load_all(Path(data_dir))
    figures = pass_agreement(iter_tasks(Path(export), schema))
    blocks = {
        "statistics": lambda: statistics_block(splits),
        "agreement": lambda: agreement_block(figures),
        "headroom": lambda: headroom_markdown(read_board(Path(board)), figures, "pass1_vs_pass2"),
        "errata": lambda: errata_markdown(
            diff_releases(read_documents(Path(previous), schema), read_documents(Path(export), schema)),
            read_reasons(Path(errata_reasons)),
        ),
    }
    rendered = render_card(Path(card_path).read_text("utf-8"), blocks, card_metadata(splits))
    if check:
        stale = [str(t) for t in targets if not t.exists() or t.read_text("utf-8") != rendered]
        if stale:
            click.echo(f"stale: {', '.join(stale)}; run `vna-ner card`", err=True)
            sys.exit(EXIT_INVALID)
        click.echo("the card matches the data")
        return
    for target in targets:
        write_text_atomically(target, rendered)
    click.echo(f"wrote {', '.join(map(str, targets))}")
