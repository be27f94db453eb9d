"""``vna-ner build``: the splits, their card and the summary table from an export."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import click

from vna_ner.cli.options import (
    config_option,
    config_schema,
    export_argument,
    offsets_option,
    unannotated_option,
)
from vna_ner.dataset.features import SPLITS


@click.command()
@export_argument
@config_option
@offsets_option
@unannotated_option
@click.option(
    "--out",
    default="splits",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder to write <config>/<split>.arrow and manifest.json into: an empty or new folder, or an "
    "earlier build (replaced); any other folder is refused.",
)
@click.option("--quiet", is_flag=True, help="No progress bars.")
@click.option(
    "--reassign",
    is_flag=True,
    help="Assign every document afresh, ignoring the splits of the previous build in --out.",
)
@click.option(
    "--ratios",
    default="0.6,0.2,0.2",
    show_default=True,
    callback=lambda _ctx, _param, value: _ratios(value),
    help="Target shares of entities for train,validation,test.",
)
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0), help="Seed of the tries.")
@click.option(
    "--folds",
    default=5,
    show_default=True,
    type=click.IntRange(2, 255),
    help="Cross-validation folds over all documents (the `fold` column); with fewer duplicate groups "
    "than folds, some folds stay empty.",
)
@click.option(
    "--split-field",
    metavar="FIELD",
    help="Take each task's split from its data.FIELD (train, validation or test) instead of assigning it.",
)
@click.option(
    "--language",
    default="fr",
    show_default=True,
    help="Language of the texts: spaCy's rule-based tokenizer for this ISO code (en, vi, xx for any, ...).",
)
@click.option(
    "--format",
    "fmt",
    default="arrow",
    show_default=True,
    type=click.Choice(["arrow", "parquet"]),
    help="File format of the splits (Parquet is the Hub viewer's).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Processes that tokenize the documents while the export is read; the splits are the same for "
    "any number. Each worker costs about 100 MB of memory.",
)
def build(
    export: str,
    config: str | None,
    offsets: str,
    unannotated: str,
    out: str,
    quiet: bool,
    reassign: bool,
    ratios: tuple[float, ...],
    seed: int,
    folds: int,
    split_field: str | None,
    language: str,
    fmt: str,
    workers: int,
) -> None:
    """Build the splits from EXPORT, write their card, and print the summary table.

    Documents of the previous build in --out keep their split; new documents are assigned by entity
    balance. When a small export cannot meet every split constraint, they give way in this order:
    every label in every split, then the ratios, then a document in every split; what gave way and
    which labels a split lacks are printed and recorded in manifest.json.

    Every document is also put in one of --folds cross-validation folds, built the same way (duplicates
    together, entities balanced, every label in every fold where possible) and kept by rebuilds like the
    splits (unless --reassign, or --folds changed). With fewer duplicate groups than folds, some folds
    stay empty (said, and recorded as relaxed).

    EXPORT defaults to annotations/gold.json of a vna-ner checkout (refused outside one).
    """
    # The imports, the tokenizer and the config's schema make objects that live as long as the build: the
    # cyclic collector, run over them again and again while they are made, took a tenth of the set-up.
    # A caller that paused it (the command run in its process) finds it paused still.
    collecting = gc.isenabled()
    gc.disable()
    try:
        import pyarrow as pa

        from vna_ner.dataset.align import LanguageError, pipeline
        from vna_ner.dataset.build import build as build_splits
        from vna_ner.dataset.build import previous_folds, previous_splits, read_assignment, read_folds
        from vna_ner.dataset.build_folder import check_out, is_build
        from vna_ner.dataset.stats import format_statistics
        from vna_ner.labelstudio.account import Account
        from vna_ner.labelstudio.schema import default_config

        try:
            pipeline(language)
        except LanguageError as error:
            raise click.BadParameter(str(error), param_hint="--language") from error
        config_path = Path(config) if config else default_config()
        check_out(Path(out), [Path(export), config_path, config_path.parent / "relation_arguments.json"])
        schema = config_schema(config)
    finally:
        if collecting:
            gc.enable()
    # Arrow's default allocator (mimalloc) keeps freed memory for reuse; in this long batch job that
    # raised the peak by about 10 MB and made it depend on allocation order (benchmarks/README.md).
    # A pool chosen with ARROW_DEFAULT_MEMORY_POOL is left alone; the previous pool comes back after.
    target = Path(os.path.abspath(out))  # found again after the swap, even when --out is the current folder
    account = Account()
    pool = pa.default_memory_pool()
    if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
        pa.set_memory_pool(pa.system_memory_pool())
    # What the set-up left is frozen: no collection during the build, nor in a worker forked by it (which
    # would copy their memory), walks those objects again. Not if the caller froze objects of its own:
    # unfreezing after the build would thaw them too.
    freezing = gc.get_freeze_count() == 0
    if freezing:
        gc.collect()
        gc.freeze()
    try:
        keep = None if reassign or split_field else previous_splits(Path(out))
        earlier = read_folds(Path(out)) if is_build(Path(out)) else None
        keep_folds = None if reassign else previous_folds(Path(out), folds)
        statistics = build_splits(
            Path(export),
            schema,
            Path(out),
            offsets=offsets,
            progress=not quiet,
            keep=keep,
            unannotated=unannotated,
            account=account,
            ratios=ratios,
            seed=seed,
            split_field=split_field,
            language=language,
            fmt=fmt,
            folds=folds,
            keep_folds=keep_folds,
            workers=workers,
        )
    finally:
        pa.set_memory_pool(pool)
        if freezing:
            gc.unfreeze()
    if keep:
        click.echo(f"kept the split of the {len(keep)} documents of the previous build (--reassign to redo)")
    if keep_folds:
        click.echo(f"kept the fold of the {len(keep_folds)} documents of the previous build")
    elif earlier and earlier["count"] != folds and not reassign:
        click.echo(f"the previous build had {earlier['count']} folds: every document's fold assigned afresh")
    click.echo(str(account))
    how, folds_how = read_assignment(target), read_folds(target)
    for constraint in [*how.get("relaxed", []), *folds_how["relaxed"]]:
        click.echo(f"relaxed, as no assignment could meet it: {constraint}")
    for split in (split for split in SPLITS if split in how["missing"]):
        click.echo(f"{split} has no entity labelled {', '.join(how['missing'][split])}")
    for fold, labels in folds_how["missing"].items():
        click.echo(f"fold {fold} has no entity labelled {', '.join(labels)}")
    click.echo(format_statistics(statistics))


def _ratios(value: str) -> tuple[float, ...]:
    from vna_ner.dataset.split import check_ratios

    try:
        return check_ratios([float(part) for part in value.split(",")])
    except ValueError as error:
        raise click.BadParameter(str(error)) from error
