"""`build --workers N`: worker processes validate, tokenize and pack the tasks, and the build says and
writes exactly what one process does: the same files, account, warnings and errors, whatever the batches."""

from __future__ import annotations

import copy
import json
from dataclasses import fields

import pytest
from click.testing import CliRunner

from helpers import CONFIG, REPO, region, relation, task, write_export
from vna_ner.cli import main
from vna_ner.errors import InputError, OutputError
from vna_ner.labelstudio.account import SHOWN_TASKS, Account
from vna_ner.labelstudio.export import ExportReading, iter_tasks
from vna_ner.labelstudio.formats import iter_raw_tasks
from vna_ner.labelstudio.schema import load_schema

SCHEMA = load_schema(CONFIG)
BATTERY = REPO / "tests" / "fixtures" / "bad_exports"
INDEX = json.loads((BATTERY / "index.json").read_text("utf-8"))


def _build(arguments: list[str], out, workers: int) -> tuple[int, str, str, dict[str, bytes]]:
    """Exit code, stdout, stderr and the files written by one build."""
    command = ["build", *arguments, "--quiet", "--out", str(out), "--workers", str(workers)]
    result = CliRunner().invoke(main, command, env={"VNA_NER_DEBUG": "1"})  # a crash stays a crash
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    written = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    return result.exit_code, result.stdout, result.stderr, written


def _alike(arguments: list[str], tmp_path, monkeypatch, batch: int) -> tuple[int, str, str, dict[str, bytes]]:
    """The build in one process and with two workers given batches of ``batch`` tasks: must be the same."""
    one = _build(arguments, tmp_path / "one", 1)
    monkeypatch.setattr("vna_ner.dataset.build.STAGED", batch)
    two = _build(arguments, tmp_path / "two", 2)
    assert two == one
    return one


def _mixed_export() -> list[dict]:
    """Tasks in every state: documents, tasks left out for each reason (more than are named), a UTF-16
    region converted (a warning), several relations."""
    emoji = "Hanoi 🇻🇳 accueille Nguyen Van A."
    start = emoji.index("Nguyen")
    # The flag is 2 code points and 4 UTF-16 code units: a browser's offsets are 2 further.
    utf16 = region("u", start + 2, start + 14, "Nguyen Van A", "PER")
    tasks = [task(1, emoji, [region("h", 0, 5, "Hanoi", "LOC"), utf16])]
    for number in range(2, 40):
        text = f"Le ministre Tran Van {number} visite Hué le {number} mai."
        name = f"Tran Van {number}"
        tasks.append(
            task(
                number,
                text,
                [
                    region("t", 3, 11, "ministre", "TITLE"),
                    region("p", 12, 12 + len(name), name, "PER"),
                    relation("p", "t"),
                ],
            )
        )
    for number in range(40, 40 + SHOWN_TASKS + 3):
        left = task(number, "Rien à annoter ici.", [])
        left["annotations"][0]["was_cancelled"] = number % 2 == 0
        if number % 3 == 0:
            left["annotations"] = []
        tasks.append(left)
    return tasks


@pytest.mark.parametrize("batch", [1, 3, 256])
def test_two_workers_build_what_one_process_builds(tmp_path, monkeypatch, batch):
    export = write_export(tmp_path / "e.json", _mixed_export())
    code, out, err, written = _alike([str(export)], tmp_path, monkeypatch, batch)
    assert code == 0, err
    assert "left out, only cancelled annotations" in out and "(1 from UTF-16 offsets)" in out
    assert "UTF-16 offsets [21, 33) converted to code points [19, 31)" in err
    assert "manifest.json" in written


@pytest.mark.parametrize("batch", [1, 4])
def test_problems_spread_over_batches_are_said_as_one_process_says_them(tmp_path, monkeypatch, batch):
    tasks = _mixed_export()
    tasks[3]["annotations"][0]["result"][1]["value"]["labels"] = ["CITY"]  # said once, for every task
    tasks[9]["annotations"][0]["result"][1]["value"]["labels"] = ["CITY"]
    tasks[12]["annotations"][0]["result"][1]["value"]["labels"] = ["TOWN"]
    tasks[5]["annotations"][0]["result"][0]["value"]["end"] = 99  # out of range
    tasks[20]["id"] = tasks[2]["id"]  # a repeated task id, found across batches
    tasks[30]["data"]["doc_id"] = "doc-7"  # a repeated document id
    tasks[33]["annotations"][0]["ground_truth"] = "yes"
    export = write_export(tmp_path / "e.json", tasks)
    code, _, err, written = _alike([str(export)], tmp_path, monkeypatch, batch)
    assert code == 1 and written == {}
    for said in (
        "unknown labels 'CITY', 'TOWN' (3 region(s) in 3 task(s))",
        "duplicate task id",
        "out of range",
    ):
        assert said in err, err


def test_a_document_the_tags_cannot_give_back_stops_the_build_alike(tmp_path, monkeypatch):
    tasks = _mixed_export()
    tasks[25] = task(26, "Nguyen\nXuan Phuc arrive.", [region("r1", 0, 16, "Nguyen\nXuan Phuc", "PER")])
    export = write_export(tmp_path / "e.json", tasks)
    code, _, err, written = _alike([str(export)], tmp_path, monkeypatch, 2)
    assert code == 1 and "is not given back" in err and written == {}


def _sentences_not_written(*_: object) -> None:
    raise OutputError("cannot write the sentences files: the disk is full")


def test_a_sentences_file_that_cannot_be_written_fails_the_build_alike(tmp_path, monkeypatch):
    """With workers, another process writes the sentences files: its error is the build's."""
    export = write_export(tmp_path / "e.json", _mixed_export())
    monkeypatch.setattr("vna_ner.dataset.build._write_sentences", _sentences_not_written)
    code, _, err, written = _alike([str(export)], tmp_path, monkeypatch, 4)
    assert code == 1 and "error: cannot write the sentences files: the disk is full" in err and written == {}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.json"]


def test_split_fields_are_read_alike(tmp_path, monkeypatch):
    tasks = _mixed_export()
    for number, raw in enumerate(tasks):
        raw["data"]["split"] = ["train", "validation", "test"][number % 3]
    export = write_export(tmp_path / "e.json", tasks)
    assert _alike([str(export), "--split-field", "split"], tmp_path, monkeypatch, 5)[0] == 0
    tasks[7]["data"]["split"] = "dev"
    export = write_export(tmp_path / "e.json", tasks)
    code, _, err, _ = _alike([str(export), "--split-field", "split"], tmp_path, monkeypatch, 5)
    assert code == 1 and "data.split is 'dev'" in err


@pytest.mark.parametrize("name", sorted(INDEX))
def test_every_bad_export_of_the_battery_is_refused_alike_with_workers(name, tmp_path, monkeypatch):
    case = INDEX[name]
    config = BATTERY / case["config"] if "config" in case else CONFIG
    arguments = [str(BATTERY / name), "--config", str(config), *case.get("options", [])]
    code, _, err, written = _alike(arguments, tmp_path, monkeypatch, 1)
    assert code == 1 and case["expected"] in err and written == {}


def test_merging_the_pieces_of_an_export_gives_the_reading_of_the_whole(tmp_path):
    tasks = _mixed_export()
    tasks[4]["annotations"][0]["result"][0]["value"]["labels"] = ["CITY"]
    export = write_export(tmp_path / "e.json", tasks)
    whole = ExportReading(SCHEMA)
    merged = ExportReading(SCHEMA)
    raws = list(iter_raw_tasks(export, SCHEMA))
    for first in range(0, len(raws), 7):
        piece = ExportReading(SCHEMA, piece=True)
        for number, (raw, unreadable) in enumerate(raws[first : first + 7], start=first + 1):
            piece.document(raw, number, unreadable)
        merged.merge(piece.piece())
    for number, (raw, unreadable) in enumerate(raws, start=1):
        whole.document(raw, number, unreadable)
    assert merged.account == whole.account
    assert merged.reader.said_once_problems() == whole.reader.said_once_problems()
    assert merged.reader.problems == whole.reader.problems
    assert merged.count == whole.count == len(tasks)
    said = []
    for reading in (whole, merged):
        with pytest.raises(InputError) as raised:
            reading.finish(export)
        said.append(str(raised.value))
    assert said[0] == said[1]
    given = []
    with pytest.raises(InputError):
        given.extend(iter_tasks(export, SCHEMA))
    assert len(given) == 4  # the tasks before the first problem


def test_merging_an_account_adds_every_count():
    account = Account(tasks=3, documents=1, results=7, regions=4, relations=2, utf16_converted=1)
    account.left_out.update({"no annotation": 2})
    account.left_out_tasks["no annotation"] = ["task 1", "task 2"]
    account.ignored.update({"choices": 1})
    account.gold_rules.update({"latest": 1})
    total = Account()
    total.merge(account)
    assert total == account
    total.merge(copy.deepcopy(account))
    for field in fields(Account):
        value = getattr(total, field.name)
        if isinstance(value, int):
            assert value == 2 * getattr(account, field.name), field.name
    assert total.left_out_tasks == {"no annotation": ["task 1", "task 2", "task 1", "task 2"]}
    for _ in range(SHOWN_TASKS):
        total.merge(copy.deepcopy(account))
    assert len(total.left_out_tasks["no annotation"]) == SHOWN_TASKS


def test_an_unknown_language_is_said_first_alike(tmp_path, monkeypatch):
    empty = tmp_path / "empty.json"
    empty.write_text("[]", encoding="utf-8")
    code, _, err, _ = _alike([str(empty), "--language", "zz"], tmp_path, monkeypatch, 1)
    assert code == 2 and "Invalid value for --language" in err


@pytest.mark.parametrize("depth", [1500, 3000])
def test_a_task_nested_deeper_than_the_reader_allows_is_refused_alike(tmp_path, monkeypatch, depth):
    tasks = _mixed_export()[:3]
    tasks[1]["data"]["extra"] = "DEEP"
    text = json.dumps(tasks).replace('"DEEP"', "[" * depth + "]" * depth)
    export = tmp_path / "deep.json"
    export.write_text(text, encoding="utf-8")
    code, _, err, written = _alike([str(export)], tmp_path, monkeypatch, 1)
    assert (code, written) == (1, {}) and "item #2 is nested too deeply" in err


def test_a_task_nested_as_deeply_as_the_reader_allows_is_sent_to_a_worker(tmp_path, monkeypatch):
    tasks = _mixed_export()[:3]
    tasks[1]["data"]["extra"] = "DEEP"
    text = json.dumps(tasks).replace('"DEEP"', "[" * 900 + "]" * 900)
    export = tmp_path / "deep.json"
    export.write_text(text, encoding="utf-8")
    assert _alike([str(export)], tmp_path, monkeypatch, 1)[0] == 0


@pytest.mark.parametrize("breakage", ["]", "] x", ", {oops}]"])
def test_an_export_that_breaks_off_says_the_warnings_of_what_came_before_alike(
    tmp_path, monkeypatch, breakage
):
    tasks = _mixed_export()[:12]
    for number in range(1, 12):
        tasks[number] = copy.deepcopy(tasks[0])
        tasks[number]["id"] = tasks[number]["data"]["doc_id"] = f"t{number}"
    text = json.dumps(tasks, ensure_ascii=False)
    export = tmp_path / "broken.json"
    export.write_text(text[:-40] if breakage == "]" else text[:-1] + breakage, encoding="utf-8")
    code, _, err, written = _alike([str(export)], tmp_path, monkeypatch, 3)
    assert code == 1 and written == {} and "not valid JSON" in err
    assert err.count("UTF-16 offsets [21, 33) converted") >= 11


def test_nan_task_ids_repeat_alike(tmp_path, monkeypatch):
    tasks = _mixed_export()[:4]
    text = json.dumps(tasks).replace('"id": 2,', '"id": NaN,').replace('"id": 3,', '"id": NaN,')
    export = tmp_path / "nan.json"
    export.write_text(text, encoding="utf-8")
    code, _, err, _ = _alike([str(export)], tmp_path, monkeypatch, 1)
    assert code == 1 and "task nan (document doc-3): duplicate task id (first at task #2" in err


def test_json_min_records_and_jsonl_tasks_are_built_alike(tmp_path, monkeypatch):
    """Tasks of one item go to a worker as their JSON text, tasks merged from JSON-MIN records as parsed."""
    text = "Le ministre Giang visite Hué en été 🇻🇳."
    records = []
    for number in range(1, 8):
        label = [{"start": 12, "end": 17, "text": "Giang", "labels": ["PER"]}]
        common = {"id": number, "text": f"{text} {number}", "doc_id": f"d{number}"}
        records += [{**common, "label": label, "annotation_id": 10 * number, "updated_at": "2026-01-01"}]
        records += [
            {**common, "label": label[:0], "annotation_id": 10 * number + 1, "updated_at": "2025-01-01"}
        ]
    minimal = tmp_path / "min.json"
    minimal.write_text(json.dumps(records), encoding="utf-8")
    _alike([str(minimal)], tmp_path / "min", monkeypatch, 3)
    lines = tmp_path / "tasks.jsonl"
    escaped = [json.dumps(t) for t in _mixed_export()]  # non-ASCII as \\u escapes, decoded by the worker
    lines.write_text("\n".join(escaped), encoding="utf-8")
    _, _, _, written = _alike([str(lines)], tmp_path / "jsonl", monkeypatch, 5)
    assert "documents/train.arrow" in written
