"""Options, arguments and checks that several commands share."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

if TYPE_CHECKING:
    from vna_ner.labelstudio.schema import Schema

_EXPORT = "annotations/gold.json"


def _in_checkout() -> bool:
    """Whether the current folder is the root of a vna-ner source checkout (its pyproject.toml says so)."""
    import tomllib

    try:
        project = tomllib.loads(Path("pyproject.toml").read_text("utf-8")).get("project", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return isinstance(project, dict) and project.get("name") == "vna-ner"


def repository_file(kind: click.Path) -> Callable[[click.Context, click.Parameter, Any], Any]:
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


def config_schema(config: str | None) -> Schema:
    """The schema of the labeling config: --config, else the project's, shipped with the package."""
    from vna_ner.labelstudio.schema import default_config, load_schema  # the library: not for --help

    return load_schema(Path(config) if config else default_config())


def check_outputs(outputs: Sequence[str | Path | None], inputs: Sequence[str | Path | None]) -> None:
    """Refuse, before any work, an output that cannot be written, that would overwrite one of the
    command's inputs, or that is the same file as another output of the command."""
    from vna_ner.errors import OutputError
    from vna_ner.files import check_output

    written: dict[Path, Path] = {}
    for output in (Path(o) for o in outputs if o):
        target = check_output(output, [Path(i) for i in inputs if i])
        key = Path(os.path.abspath(target)).resolve()
        if key in written:
            raise OutputError(f"refusing to write {output}: {written[key]} is another output of this command")
        written[key] = output


def data_folder(data_dir: str | None) -> Path:
    """The built splits a command reads: --data-dir, else the shipped ones."""
    from vna_ner.dataset.split_table import splits_dir

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
    callback=repository_file(click.Path(exists=True, dir_okay=False)),
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
