"""The `vna-ner` command line: every subcommand has help and starts light (the top-level help lists the
commands from a table, importing none), a light install runs what it can and names the extra for the
rest, defaults that are repository files stay in the repository, and the Label Studio task writer works
both ways."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import shutil
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

import vna_ner.cli
from helpers import CONFIG, REPO
from vna_ner.cli import main
from vna_ner.dataset.load import documents_of, load
from vna_ner.labelstudio.export import iter_tasks
from vna_ner.labelstudio.schema import load_schema

SCHEMA = load_schema(CONFIG)


@pytest.mark.parametrize(
    "command",
    [
        "validate",
        "build",
        "stats",
        "to-labelstudio",
        "check",
        "diff",
        "agreement",
        "card",
        "eval",
        "leaderboard",
    ],
)
def test_every_subcommand_explains_itself(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


TABLE = vna_ner.cli.COMMANDS


def _defined_commands() -> dict[str, click.Command]:
    """The top-level commands the modules of vna_ner.cli define: every command but the subcommands of a
    group and the command line itself."""
    defined, subcommands = [], []
    for module in pkgutil.iter_modules(vna_ner.cli.__path__, "vna_ner.cli."):
        for value in vars(importlib.import_module(module.name)).values():
            if isinstance(value, click.Command):
                defined.append(value)
            if isinstance(value, click.Group):
                subcommands.extend(value.commands.values())
    return {c.name: c for c in defined if c not in subcommands and c is not main}


def test_the_command_table_is_the_commands_with_their_short_help():
    context = click.Context(main)
    defined = _defined_commands()
    assert sorted(TABLE) == sorted(defined) == main.list_commands(context)
    for name, (_, short_help) in TABLE.items():
        assert main.get_command(context, name) is defined[name]
        assert short_help == defined[name].get_short_help_str(limit=1000)


@pytest.mark.parametrize("width", [50, 80, 200])
def test_the_help_lists_the_commands_as_click_would_from_the_commands_themselves(width):
    context = click.Context(main, info_name="vna-ner")
    from_table, from_commands = click.HelpFormatter(width=width), click.HelpFormatter(width=width)
    main.format_commands(context, from_table)
    click.Group.format_commands(main, context, from_commands)  # imports and asks every command
    assert from_table.getvalue() == from_commands.getvalue()
    assert from_table.getvalue().count("\n") == len(TABLE) + 1  # "Commands:" and one line each


def test_the_help_imports_no_command_and_nothing_of_the_library():
    script = (
        "import sys\nfrom vna_ner.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('vna_ner')))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines()[-1] == "['vna_ner', 'vna_ner.cli', 'vna_ner.cli.group']"


def test_a_mistyped_command_is_a_usage_error_that_suggests_the_command():
    result = CliRunner().invoke(main, ["buil"])
    assert result.exit_code == 2 and "No such command 'buil'. Did you mean 'build'?" in result.output


def _entities(document):
    return [(s.start, s.end, s.label) for s in document.entities]


def _relations(document):
    spans = {s.id: (s.start, s.end, s.label) for s in document.entities}
    return sorted((spans[r.head], spans[r.tail], r.label) for r in document.relations)


def test_gold_goes_to_label_studio_as_annotations(tmp_path):
    output = tmp_path / "tasks.json"
    result = CliRunner().invoke(
        main, ["to-labelstudio", str(output), "--split", "validation", "--config", str(CONFIG)]
    )
    assert result.exit_code == 0, result.output
    tasks = json.loads(output.read_text())
    gold = documents_of(load(split="validation"))
    assert [t["data"]["doc_id"] for t in tasks] == [d.id for d in gold]
    assert all("predictions" not in t and t["annotations"][0]["ground_truth"] for t in tasks)


def test_predictions_go_to_label_studio_as_pre_annotations(tmp_path):
    gold = documents_of(load(split="test"))
    predictions = tmp_path / "system.test.jsonl"
    with predictions.open("w") as stream:
        for document in gold:
            index = {span.id: i for i, span in enumerate(document.entities)}
            entities = [{"start": s.start, "end": s.end, "label": s.label} for s in document.entities]
            relations = [
                {"head": index[r.head], "tail": index[r.tail], "label": r.label} for r in document.relations
            ]
            stream.write(json.dumps({"id": document.id, "entities": entities, "relations": relations}) + "\n")
    output = tmp_path / "tasks.json"
    result = CliRunner().invoke(
        main,
        ["to-labelstudio", str(output), "--split", "test", "--predictions", str(predictions),
         "--model-version", "copy-of-gold", "--config", str(CONFIG)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    exported = json.loads(output.read_text())
    assert all(t["predictions"][0]["model_version"] == "copy-of-gold" for t in exported)
    output.write_text(json.dumps([{"id": i, **t} for i, t in enumerate(exported, start=1)]))
    for task, expected in zip(iter_tasks(output, SCHEMA), gold, strict=True):
        (prediction,) = task.predictions
        assert _entities(prediction) == _entities(expected)
        assert _relations(prediction) == _relations(expected)


def test_predictions_need_a_split(tmp_path):
    (tmp_path / "p.jsonl").write_text("")
    result = CliRunner().invoke(
        main, ["to-labelstudio", str(tmp_path / "t.json"), "--predictions", str(tmp_path / "p.jsonl")]
    )
    assert result.exit_code == 2
    assert "--predictions needs --split" in result.output


COMMANDS = [
    [],
    *[
        [name]
        for name in (
            "validate",
            "build",
            "stats",
            "to-labelstudio",
            "check",
            "agreement",
            "card",
            "eval",
            "compare",
        )
    ],
    *[["leaderboard", name] for name in ("add", "check", "render")],
]
HEAVY = ("label_studio_sdk", "spacy", "pandas", "matplotlib", "datasets", "pyarrow", "seqeval", "sklearn")
LIGHT_INSTALL_LACKS = ("label_studio_sdk", "ijson", "spacy", "matplotlib")  # the extras' modules


# Runs the command line with some modules not installed, then prints the heavy modules it imported.
_RUN = """
import importlib.abc, json, sys

class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, NotInstalled())
from click.testing import CliRunner
from vna_ner.cli import main
try:
    if HELPS:
        print(json.dumps([CliRunner().invoke(main, [*c, "--help"]).exit_code for c in HELPS]))
    else:
        main(sys.argv[1:], prog_name="vna-ner")
finally:
    print(json.dumps(sorted({m.partition(".")[0] for m in sys.modules} & set(HEAVY))))
"""


def run_cli(*arguments: str, blocked=(), helps=(), cwd=REPO) -> subprocess.CompletedProcess:
    """`vna-ner ARGUMENTS`, or each of ``helps`` with --help, in a fresh interpreter where the ``blocked``
    modules are not installed; it prints, last, the heavy modules imported."""
    script = f"BLOCKED, HELPS, HEAVY = {list(blocked)!r}, {list(helps)!r}, {list(HEAVY)!r}\n{_RUN}"
    return subprocess.run([sys.executable, "-c", script, *arguments], cwd=cwd, capture_output=True, text=True)


def test_help_imports_no_heavy_library():
    result = run_cli(helps=COMMANDS)
    assert result.returncode == 0, result.stderr
    assert [json.loads(line) for line in result.stdout.splitlines()] == [[0] * len(COMMANDS), []]


def test_a_light_install_loads_and_scores(tmp_path):
    stats = run_cli("stats", "--format", "json", blocked=LIGHT_INSTALL_LACKS)
    assert stats.returncode == 0, stats.stderr
    assert "spacy" not in stats.stdout.splitlines()[-1]
    predictions = REPO / "eval" / "predictions" / "dictionary.test.jsonl"
    scored = run_cli(
        "eval", "--predictions", str(predictions), "--bootstrap", "10", blocked=LIGHT_INSTALL_LACKS
    )
    assert scored.returncode == 0, scored.stderr
    assert "strict mode (IOB2)" in scored.stdout


@pytest.mark.parametrize(
    "arguments",
    [
        ["eval", "--predictions", "eval/predictions/crf.all.jsonl", "--split", "all", "--bootstrap", "10"],
        [
            "compare",
            *(f"eval/predictions/{s}.test.jsonl" for s in ("crf", "dictionary")),
            "--resamples",
            "99",
        ],
    ],
)
def test_scoring_reads_the_gold_without_datasets(arguments):
    """`datasets` (with pandas) takes longer to import than a split takes to read and score."""
    result = run_cli(*arguments)
    assert result.returncode == 0, result.stderr
    assert "datasets" not in json.loads(result.stdout.splitlines()[-1])


@pytest.mark.parametrize(
    ("arguments", "blocked", "extra"),
    [
        (["build", "--out", "{tmp}/out", "--quiet"], LIGHT_INSTALL_LACKS, "build"),
        (["build", "--out", "{tmp}/out", "--quiet"], ("spacy",), "build"),
        (["validate"], LIGHT_INSTALL_LACKS, "labelstudio"),
        (["check"], LIGHT_INSTALL_LACKS, "build"),  # its sentence rules tokenize
        (["to-labelstudio", "{tmp}/tasks.json", "--split", "test"], ("label_studio_sdk",), "labelstudio"),
        (
            ["leaderboard", "render", "--board", "{tmp}/board.json", "--readme", "{tmp}/README.md"],
            ("matplotlib",),
            "plot",
        ),
    ],
)
def test_a_missing_extra_is_named_in_one_line_and_nothing_is_written(tmp_path, arguments, blocked, extra):
    (tmp_path / "board.json").write_text('{"entries": []}')
    (tmp_path / "README.md").write_text("<!-- leaderboard:start -->\n<!-- leaderboard:end -->\n")
    before = {path: path.read_bytes() for path in tmp_path.iterdir()}

    result = run_cli(*(a.format(tmp=tmp_path) for a in arguments), blocked=blocked)

    command = " ".join(arguments[:2] if arguments[0] == "leaderboard" else arguments[:1])
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: vna-ner {command} needs the '{extra}' extra (")
    assert line.endswith(f" is not installed): pip install 'vna-ner[{extra}]'")
    assert {path: path.read_bytes() for path in tmp_path.iterdir()} == before


def test_a_missing_module_that_is_no_extra_is_not_disguised():
    result = run_cli("stats", blocked=("tabulate",))
    assert result.returncode == 1
    assert "failed: ModuleNotFoundError: No module named 'tabulate'" in result.stderr  # a broken install
    assert "extra" not in result.stderr


@pytest.mark.parametrize(
    ("arguments", "default"),
    [
        (["check"], "annotations/gold.json"),
        (["validate"], "annotations/gold.json"),
        (["build", "--out", "out"], "annotations/gold.json"),
        (["card", "annotations.json"], "DATASET_CARD.md"),
        (["leaderboard", "check"], "eval/leaderboard.json"),
        (["leaderboard", "render", "--board", "board.json"], "README.md"),
    ],
)
def test_defaults_that_are_repository_files_are_refused_outside_a_checkout(
    tmp_path, monkeypatch, arguments, default
):
    monkeypatch.chdir(tmp_path)
    for name in ("annotations.json", "board.json"):
        (tmp_path / name).write_text("[]")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "another-project"\n')

    result = CliRunner().invoke(main, arguments)

    assert result.exit_code == 2
    assert f"defaults to {default} of a vna-ner checkout, and {tmp_path} is not one" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["annotations.json", "board.json", "pyproject.toml"]


def test_the_help_of_commands_with_repository_defaults_shows_them():
    for command in (["check"], ["validate"], ["build"], ["agreement"], ["card"]):
        assert (
            "EXPORT defaults to annotations/gold.json"
            in CliRunner().invoke(main, [*command, "--help"]).output
        )
    for command in ("add", "check", "render"):
        output = " ".join(CliRunner().invoke(main, ["leaderboard", command, "--help"]).output.split())
        assert "[default: eval/leaderboard.json]" in output and "[default: README.md]" in output
    assert "[default: DATASET_CARD.md]" in " ".join(
        CliRunner().invoke(main, ["card", "--help"]).output.split()
    )


def test_check_finds_the_exceptions_file_beside_any_export(tmp_path):
    export = tmp_path / "project" / "export.json"
    export.parent.mkdir()
    shutil.copy(REPO / "annotations" / "gold.json", export)

    without = CliRunner().invoke(main, ["check", str(export)])
    shutil.copy(REPO / "annotations" / "consistency_exceptions.json", export.parent)
    beside = CliRunner().invoke(main, ["check", str(export)])

    accepted = len(json.loads((export.parent / "consistency_exceptions.json").read_text()))
    assert without.exit_code == 1 and f"{accepted} finding(s) reported, 0 accepted" in without.output
    assert beside.exit_code == 0 and f"0 finding(s) reported, {accepted} accepted" in beside.output


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path):
    read, write = os.pipe()
    os.close(read)  # like `vna-ner validate | head` once head has its lines
    with os.fdopen(write, "wb") as closed:
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "from vna_ner.cli import main; main()",
                "validate",
                str(REPO / "annotations" / "gold.json"),
            ],
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=closed,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert (done.returncode, done.stderr) == (1, "")
