"""The ``vna-ner`` command: parses arguments and calls the library, nothing more.

Exit codes: 0 success; 1 invalid input, unwritable output (every problem on stderr, nothing written) or a
missing extra (named on stderr); 2 usage error (click's own). Errors are turned into messages in one
place, :class:`_Commands`. The library is imported by each command when it runs, so ``--help`` starts
fast and a light install runs the commands it has the packages for.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from vna_ner.dataset.features import SPLITS
from vna_ner.errors import InputError, OutputError, missing_extra, one_line
from vna_ner.files import check_output, write_text_atomically
from vna_ner.labelstudio.account import NothingToBuild
from vna_ner.labelstudio.schema import Schema, SchemaError, default_config, load_schema, parse_schema

if TYPE_CHECKING:
    from vna_ner.documents import Document

EXIT_INVALID = 1
_EXPORT = "annotations/gold.json"
_EXCEPTIONS_NAME = "consistency_exceptions.json"
_PREVIOUS_RELEASE = "annotations/releases/1.0/gold.json"
_ERRATA_REASONS = "annotations/releases/1.1-errata.json"
# Commands needing every package of an extra, named whichever of its modules is found missing first.
_EXTRA_OF_COMMAND = {"build": "build", "check": "build"}


_REPORTED = (InputError, OutputError, SchemaError, FileNotFoundError)  # and SplitError, imported late
_DEBUG = "VNA_NER_DEBUG"
_EPILOG = (
    "Exit codes: 0 success, 1 invalid input or an output that cannot be written (one message per problem "
    f"on stderr, nothing written), 2 usage error. {_DEBUG}=1 shows the traceback of an unexpected error."
)


class _Commands(click.Group):
    """The command groups: every error a command raises ends as ``error: ...`` on stderr and exit code 1.

    Input and output errors are the user's to fix, and so is a missing extra (named with how to install
    it); any other exception is a failure of vna-ner, reported in one line as a bug (with
    ``VNA_NER_DEBUG=1``, re-raised for its traceback). Usage errors keep click's exit code 2.
    """

    group_class = type  # subgroups (``leaderboard``) are _Commands too, so they name their subcommand

    def invoke(self, ctx: click.Context) -> Any:
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a closed pipe is found here, not at exit
            return result
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:  # the reader went away (``vna-ner eval | head``): stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(EXIT_INVALID)
        except Exception as error:
            from vna_ner.dataset.split import SplitError  # numpy and Arrow: not imported for --help

            command = " ".join(["vna-ner", *ctx.command_path.split()[1:], ctx.invoked_subcommand or ""])
            extra = (
                missing_extra(error, command, _EXTRA_OF_COMMAND.get(ctx.invoked_subcommand or ""))
                if isinstance(error, ModuleNotFoundError)
                else None
            )
            if isinstance(error, NothingToBuild):
                click.echo(str(error.account))  # the account says why each task was left out
            if isinstance(error, (*_REPORTED, SplitError)) or extra:
                said = str(extra or error)  # an InputError's problems are one line each, each escaped
                click.echo(f"error: {said if isinstance(error, InputError) else one_line(said)}", err=True)
                ctx.exit(EXIT_INVALID)
            if os.environ.get(_DEBUG) == "1":
                raise
            what = " ".join(str(error).split())
            what = f"{what[:300]}…" if len(what) > 300 else what
            click.echo(
                f"error: {command} failed: {type(error).__name__}{': ' if what else ''}{what}. "
                f"If the input is valid, this is a bug in vna-ner: please report it ({_DEBUG}=1 traces it).",
                err=True,
            )
            ctx.exit(EXIT_INVALID)


def _in_checkout() -> bool:
    """Whether the current folder is the root of a vna-ner source checkout (its pyproject.toml says so)."""
    import tomllib

    try:
        project = tomllib.loads(Path("pyproject.toml").read_text("utf-8")).get("project", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return isinstance(project, dict) and project.get("name") == "vna-ner"


def _repository_file(kind: click.Path) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A callback refusing a default that names a file of this repository outside a checkout (where it
    would be missing or, worse, created), then checking the path as ``kind``.

    The parameter's type must not check existence itself: click converts before the callback runs.
    """

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if ctx.get_parameter_source(param.name or "") is ParameterSource.DEFAULT and not _in_checkout():
            raise click.BadParameter(
                f"defaults to {value} of a vna-ner checkout, and {Path.cwd()} is not one; "
                "run inside the checkout or give it explicitly",
                ctx,
                param,
            )
        return kind.convert(value, param, ctx)

    return callback


def _schema(config: str | None) -> Schema:
    return load_schema(Path(config) if config else default_config())


def _check_outputs(outputs: Sequence[str | Path | None], inputs: Sequence[str | Path | None]) -> None:
    """Refuse, before any work, an output that cannot be written, that would overwrite one of the
    command's inputs, or that is the same file as another output of the command."""
    written: dict[Path, Path] = {}
    for output in (Path(o) for o in outputs if o):
        target = check_output(output, [Path(i) for i in inputs if i])
        key = Path(os.path.abspath(target)).resolve()
        if key in written:
            raise OutputError(f"refusing to write {output}: {written[key]} is another output of this command")
        written[key] = output


def _data_folder(data_dir: str | None) -> Path:
    """The built splits a command reads: --data-dir, else the shipped ones."""
    from vna_ner.dataset.load import splits_dir

    return Path(data_dir) if data_dir else splits_dir()


config_option = click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False),
    help="Label Studio labeling config; relation_arguments.json beside it is used if present "
    "[default: the project's config, shipped with the package].",
)
# Each command taking it says in its help: "EXPORT defaults to annotations/gold.json of a vna-ner checkout."
export_argument = click.argument(
    "export",
    default=_EXPORT,
    type=click.Path(dir_okay=False),
    callback=_repository_file(click.Path(exists=True, dir_okay=False)),
)
data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, exists=True),
    help="Built splits folder (default: the splits shipped with the package).",
)
offsets_option = click.option(
    "--utf16-offsets",
    "offsets",
    type=click.Choice(["convert", "refuse", "assume-code-points", "assume-utf16"]),
    default="convert",
    show_default=True,
    help="Region offsets counted in UTF-16 code units (a browser's count, emoji count twice): 'convert' "
    "those that value.text shows to be UTF-16, 'refuse' them. A region without value.text on a text with "
    "emoji is ambiguous and refused unless its unit is stated: 'assume-code-points' or 'assume-utf16'.",
)
unannotated_option = click.option(
    "--unannotated",
    type=click.Choice(["leave-out", "error"]),
    default="leave-out",
    show_default=True,
    help="Tasks without a submitted, non-cancelled annotation (none, only cancelled, drafts or "
    "predictions): leave them out of the dataset (listed in the account) or refuse the export.",
)


@click.group(cls=_Commands, epilog=_EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vna-ner")
def main() -> None:
    """vna-ner: the VNA French NER and relation dataset, its tools and its benchmark."""
    warnings.simplefilter("default")
    warnings.showwarning = _show_warning


def _show_warning(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
    """A warning as one ``warning: ...`` line on stderr, like the errors; another package's names its kind."""
    ours = category.__module__.startswith("vna_ner")
    click.echo(f"warning: {'' if ours else f'{category.__name__}: '}{one_line(str(message))}", err=True)


@main.command()
@export_argument
@config_option
@offsets_option
@unannotated_option
def validate(export: str, config: str | None, offsets: str, unannotated: str) -> None:
    """Check a Label Studio EXPORT (JSON, JSON-MIN or JSONL) against the config; list every problem found.

    It reads and checks exactly as `build` does, and ends with the account of what a build would convert.
    EXPORT defaults to annotations/gold.json of a vna-ner checkout (refused outside one).
    """
    from vna_ner.labelstudio.account import Account
    from vna_ner.labelstudio.export import iter_documents

    account = Account()
    for _ in iter_documents(
        Path(export), _schema(config), offsets=offsets, unannotated=unannotated, account=account
    ):
        pass
    click.echo(f"{export}: {account.tasks} tasks, no problem found")
    click.echo(str(account))


@main.command("config")
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


@main.command()
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
    import pyarrow as pa

    from vna_ner.dataset.align import LanguageError, pipeline
    from vna_ner.dataset.build import build as build_splits
    from vna_ner.dataset.build import previous_folds, previous_splits, read_assignment, read_folds
    from vna_ner.dataset.build_folder import check_out, is_build
    from vna_ner.dataset.stats import format_statistics
    from vna_ner.labelstudio.account import Account

    try:
        pipeline(language)
    except LanguageError as error:
        raise click.BadParameter(str(error), param_hint="--language") from error
    config_path = Path(config) if config else default_config()
    check_out(Path(out), [Path(export), config_path, config_path.parent / "relation_arguments.json"])
    # Arrow's default allocator (mimalloc) keeps freed memory for reuse; in this long batch job that
    # raised the peak by about 10 MB and made it depend on allocation order (benchmarks/README.md).
    # A pool chosen with ARROW_DEFAULT_MEMORY_POOL is left alone; the previous pool comes back after.
    target = Path(os.path.abspath(out))  # found again after the swap, even when --out is the current folder
    account = Account()
    pool = pa.default_memory_pool()
    if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
        pa.set_memory_pool(pa.system_memory_pool())
    try:
        keep = None if reassign or split_field else previous_splits(Path(out))
        earlier = read_folds(Path(out)) if is_build(Path(out)) else None
        keep_folds = None if reassign else previous_folds(Path(out), folds)
        statistics = build_splits(
            Path(export),
            _schema(config),
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


@main.command()
@data_dir_option
@click.option(
    "--format",
    "fmt",
    default="simple",
    show_default=True,
    type=click.Choice(["simple", "github", "json"]),
    help="Table style, or JSON.",
)
def stats(data_dir: str | None, fmt: str) -> None:
    """Load the dataset and print documents, sentences, tokens, entities and relations per split."""
    from vna_ner.dataset.load import load
    from vna_ner.dataset.stats import format_statistics, split_statistics

    table = split_statistics(load(data_dir=Path(data_dir) if data_dir else None))
    click.echo(json.dumps(table, indent=2) if fmt == "json" else format_statistics(table, fmt))


@main.command("to-labelstudio")
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
    _check_outputs([output], [_data_folder(data_dir), predictions, config])
    schema = _schema(config)
    if predictions:
        from vna_ner.benchmark.predictions import predicted_documents, read_predictions

        if split is None:
            raise click.UsageError("--predictions needs --split")
        gold = load(split=split, data_dir=folder)
        documents = predicted_documents(gold, read_predictions(Path(predictions), gold))
    else:
        splits = [split] if split else list(SPLITS)
        documents = [d for name in splits for d in documents_of(load(split=name, data_dir=folder))]
    check_labels(documents, schema, predictions or str(_data_folder(data_dir)))
    tasks = [
        document_to_task(d, schema, as_predictions=bool(predictions), model_version=model_version)
        for d in documents
    ]
    write_tasks(tasks, Path(output))
    click.echo(f"{output}: {len(tasks)} tasks")


@main.command()
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

    schema = _schema(config)
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


def _release_documents(path: Path, schema: Schema) -> list[Document]:
    """The gold documents of a Label Studio export, or of every split of a built folder."""
    if path.is_dir():
        from vna_ner.dataset.load import documents_of, load

        return [d for split in SPLITS for d in documents_of(load(split=split, data_dir=path))]
    from vna_ner.labelstudio.export import read_documents

    return read_documents(path, schema)


@main.command()
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

    _check_outputs([json_output], [old, new, config])
    schema = _schema(config)
    changes = diff_releases(_release_documents(Path(old), schema), _release_documents(Path(new), schema))
    click.echo(format_diff(changes))
    if json_output:
        write_text_atomically(
            Path(json_output), json.dumps(diff_json(changes), indent=2, ensure_ascii=False) + "\n"
        )


@main.command()
@export_argument
@config_option
@click.option("--output", type=click.Path(dir_okay=False), help="Write the figures as JSON here.")
def agreement(export: str, config: str | None, output: str | None) -> None:
    """Agreement between the independent passes of EXPORT, and of each pass with the gold.

    EXPORT defaults to annotations/gold.json of a vna-ner checkout (refused outside one).
    """
    from vna_ner.corpus.agreement import pass_agreement
    from vna_ner.labelstudio.export import iter_tasks

    _check_outputs([output], [export, config])
    figures = pass_agreement(iter_tasks(Path(export), _schema(config)))
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


board_option = click.option(
    "--board",
    default="eval/leaderboard.json",
    show_default=True,
    type=click.Path(dir_okay=False),
    callback=_repository_file(click.Path(dir_okay=False)),
    help="The leaderboard JSON; LEADERBOARD.md and the chart are written beside it. The default is the "
    "board of a vna-ner checkout (refused outside one).",
)
readme_option = click.option(
    "--readme",
    default="README.md",
    show_default=True,
    type=click.Path(dir_okay=False),
    callback=_repository_file(click.Path(dir_okay=False)),
    help="README whose leaderboard section, between its leaderboard markers, is regenerated (one without "
    "them is refused). The default is the README of a vna-ner checkout (refused outside one).",
)


def _check_board_outputs(board: str, readme: str, inputs: Sequence[str | Path | None]) -> None:
    """Refuse, before any work, a board, README or rendering beside the board that cannot be written or
    would overwrite one of ``inputs``."""
    from vna_ner.benchmark.leaderboard import CHART_NAME, MARKDOWN_NAME

    beside = [Path(board).parent / name for name in (MARKDOWN_NAME, CHART_NAME)]
    _check_outputs([board, readme, *beside], inputs)


@main.group()
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


@main.command()
@export_argument
@config_option
@click.option(
    "--card",
    "card_path",
    default="DATASET_CARD.md",
    show_default=True,
    type=click.Path(dir_okay=False),
    callback=_repository_file(click.Path(dir_okay=False)),
    help="The card to regenerate; the default is the card of a vna-ner checkout (refused outside one).",
)
@click.option(
    "--data-dir",
    default="splits",
    show_default=True,
    type=click.Path(file_okay=False),
    callback=_repository_file(click.Path(exists=True, file_okay=False)),
    help="The built splits; the default is the splits of a vna-ner checkout (refused outside one).",
)
@click.option(
    "--previous",
    default=_PREVIOUS_RELEASE,
    show_default=True,
    type=click.Path(dir_okay=False),
    callback=_repository_file(click.Path(exists=True, dir_okay=False)),
    help="The previous release's export; the card's errata list the changes from it to EXPORT.",
)
@click.option(
    "--errata-reasons",
    default=_ERRATA_REASONS,
    show_default=True,
    type=click.Path(dir_okay=False),
    callback=_repository_file(click.Path(exists=True, dir_okay=False)),
    help="The reason of each change (JSON); a change without a reason is an error.",
)
@click.option(
    "--board",
    default="eval/leaderboard.json",
    show_default=True,
    type=click.Path(dir_okay=False),
    callback=_repository_file(click.Path(exists=True, dir_okay=False)),
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
        _check_outputs(targets, [export, config, previous, errata_reasons, board])
    schema = _schema(config)
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


@main.command("eval")
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
    from vna_ner.dataset.load import load

    _check_outputs([output, html_path], [predictions, _data_folder(data_dir)])
    gold = load(split=split, data_dir=Path(data_dir) if data_dir else None)
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


@main.command()
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
    from vna_ner.dataset.load import load

    _check_outputs([output], [system_a, system_b, _data_folder(data_dir)])
    gold = load(split=split, data_dir=Path(data_dir) if data_dir else None)
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
