"""Round trips through a real Label Studio 1.23.2 server, and an offline property test of the same path.

Server part (the ``label_studio`` session fixture): the shipped splits written by ``vna-ner to-labelstudio``,
the raw gold export ``annotations/gold.json``, and a task holding predictions each go into a project and
come back out of its JSON export unchanged in everything vna-ner reads. Offline part: any document with
accents, emoji, combining marks, odd spaces and glued words survives ``document_to_task`` -> JSON ->
``read_documents``, and its IOB2 tags give back exactly its entities.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import json
import string
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from label_studio_sdk.core.api_error import ApiError

from helpers import CONFIG, REPO
from vna_ner.cli import main
from vna_ner.dataset.align import iob2_to_spans, tokenize
from vna_ner.dataset.build import build, document_rows, previous_splits
from vna_ner.dataset.features import SPLITS
from vna_ner.dataset.load import documents_of, load
from vna_ner.documents import Document, Provenance, Relation, Span
from vna_ner.errors import InputError
from vna_ner.labelstudio.account import NothingToBuild
from vna_ner.labelstudio.export import iter_tasks, read_documents
from vna_ner.labelstudio.schema import load_schema
from vna_ner.labelstudio.tasks import document_to_task, write_tasks

SCHEMA = load_schema(CONFIG)
GOLD = REPO / "annotations" / "gold.json"
SHIPPED_MANIFEST = REPO / "splits" / "manifest.json"
RELEASE_1_0 = REPO / "annotations" / "releases" / "1.0"  # the splits every later release keeps

# Keys of an export that Label Studio assigns itself on import (measured on 1.23.2): everything else of a
# task or an annotation comes back exactly as it was imported.
SERVER_TASK_KEYS = {"id", "project", "created_at", "updated_at", "annotations"}
SERVER_ANNOTATION_KEYS = {"id", "task", "project", "created_at", "updated_at", "unique_id", "import_id"}
# What Label Studio refuses on re-import: `completed_by` must be a member of the importing organization
# ("Import data contains completed_by=... which is not a valid annotator's email or ID").
REFUSED_ANNOTATION_KEYS = {"completed_by"}


def fields(document: Document) -> tuple:
    """Everything a document carries except the Label Studio task id, which the server reassigns."""
    return document.id, document.text, document.entities, document.relations, document.provenance


def shipped_documents() -> dict[str, Document]:
    return {d.id: d for split in SPLITS for d in documents_of(load(split=split))}


def rows_by_id(data_dir: Path | None) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for split in SPLITS for row in load(split=split, data_dir=data_dir)}


def import_and_export(label_studio: Any, title: str, tasks: list[dict[str, Any]]) -> tuple[Any, list, int]:
    """Import ``tasks`` into a new project; return the import response, the JSON export and the project id."""
    client = label_studio.client
    project = client.projects.create(title=title, label_config=CONFIG.read_text("utf-8"))
    try:
        response = client.projects.import_tasks(id=project.id, request=tasks, return_task_ids=True)
        return response, label_studio.export_json(project.id), project.id
    except BaseException:
        client.projects.delete(id=project.id)
        raise


def write_json(path: Path, tasks: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(tasks, ensure_ascii=False), "utf-8")
    return path


# --- 1. the shipped splits, through `vna-ner to-labelstudio`, the server and `build` -----------------


@pytest.fixture(scope="module")
def shipped_round_trip(label_studio, tmp_path_factory) -> Iterator[SimpleNamespace]:
    folder = tmp_path_factory.mktemp("shipped-round-trip")
    tasks_path = folder / "tasks.json"
    cli = CliRunner().invoke(main, ["to-labelstudio", str(tasks_path), "--config", str(CONFIG)])
    assert cli.exit_code == 0, cli.output
    tasks = json.loads(tasks_path.read_text("utf-8"))
    response, exported, project_id = import_and_export(label_studio, "shipped splits round trip", tasks)
    try:
        export_path = write_json(folder / "export.json", exported)
        build(export_path, SCHEMA, folder / "built", progress=False, keep=previous_splits(RELEASE_1_0))
        yield SimpleNamespace(
            cli_output=cli.output,
            tasks=tasks,
            response=response,
            exported=exported,
            export_path=export_path,
            built=folder / "built",
            manifest=json.loads((folder / "built" / "manifest.json").read_text("utf-8")),
        )
    finally:
        label_studio.client.projects.delete(id=project_id)


def test_to_labelstudio_writes_one_task_per_shipped_document_and_all_are_imported(shipped_round_trip):
    shipped = shipped_documents()
    assert shipped_round_trip.cli_output.endswith(f": {len(shipped)} tasks\n")
    assert sorted(t["data"]["doc_id"] for t in shipped_round_trip.tasks) == sorted(shipped)
    assert shipped_round_trip.response.task_count == len(shipped)
    assert shipped_round_trip.response.annotation_count == len(shipped)
    assert len(shipped_round_trip.exported) == len(shipped)


def test_shipped_documents_read_back_identically_from_the_export(shipped_round_trip):
    shipped = shipped_documents()
    read_back = read_documents(shipped_round_trip.export_path, SCHEMA)
    assert sorted(d.id for d in read_back) == sorted(shipped)
    for document in read_back:
        assert fields(document) == fields(shipped[document.id]), document.id
    # Real corpus checks that matter here: an emoji before a span, glued words, non-breaking spaces.
    by_id = {d.id: d for d in read_back}
    assert "📝" in by_id["001-t02"].text
    assert any(
        e.text == "Nguyen Xuan Phuc" and by_id["002-main"].text[e.end] == "e"
        for e in by_id["002-main"].entities
    )
    # The task id is the one Label Studio assigned, not one we sent (to-labelstudio sends none).
    assert "id" not in shipped_round_trip.tasks[0]
    assert {d.task_id for d in read_back} == {t["id"] for t in shipped_round_trip.exported}


def test_splits_built_from_the_export_hold_the_shipped_rows(shipped_round_trip):
    built = rows_by_id(shipped_round_trip.built)
    shipped = rows_by_id(None)
    assert load(split="train", data_dir=shipped_round_trip.built).features == load(split="train").features
    assert sorted(built) == sorted(shipped)
    for doc_id, row in built.items():
        expected = shipped[doc_id]
        for column in ("tokens", "token_offsets", "ner_tags", "sentence_starts", "entities", "relations"):
            assert row[column] == expected[column], (doc_id, column)
        assert row == expected, doc_id


def test_rebuilding_from_the_export_keeps_every_document_in_its_split(shipped_round_trip):
    shipped = json.loads(SHIPPED_MANIFEST.read_text("utf-8"))["splits"]
    where = {entry["id"]: split for split, entries in shipped.items() for entry in entries}
    rebuilt = {
        entry["id"]: split
        for split, entries in shipped_round_trip.manifest["splits"].items()
        for entry in entries
    }
    moved = {doc_id: (where[doc_id], rebuilt[doc_id]) for doc_id in where if rebuilt[doc_id] != where[doc_id]}
    assert moved == {}


# --- 2. the raw gold export re-imports as it is ------------------------------------------------------


def without_refused_keys(export: list[dict[str, Any]]) -> list[dict[str, Any]]:
    tasks = copy.deepcopy(export)
    for task in tasks:
        for annotation in task["annotations"]:
            for key in REFUSED_ANNOTATION_KEYS:
                annotation.pop(key, None)
    return tasks


@pytest.fixture(scope="module")
def gold_round_trip(label_studio, tmp_path_factory) -> Iterator[SimpleNamespace]:
    folder = tmp_path_factory.mktemp("gold-round-trip")
    gold = json.loads(GOLD.read_text("utf-8"))
    sent = without_refused_keys(gold)
    response, exported, project_id = import_and_export(label_studio, "gold export round trip", sent)
    try:
        yield SimpleNamespace(
            gold=gold,
            sent=sent,
            response=response,
            exported=exported,
            path=write_json(folder / "e.json", exported),
        )
    finally:
        label_studio.client.projects.delete(id=project_id)


def test_label_studio_refuses_a_completed_by_that_is_not_a_member(label_studio):
    task = without_refused_keys(json.loads(GOLD.read_text("utf-8"))[:1])
    task[0]["annotations"][0]["completed_by"] = 987654
    client = label_studio.client
    project = client.projects.create(title="foreign completed_by", label_config=CONFIG.read_text("utf-8"))
    try:
        with pytest.raises(ApiError, match="completed_by=987654") as refused:
            client.projects.import_tasks(id=project.id, request=task)
        assert refused.value.status_code == 400
        assert label_studio.export_json(project.id) == []
    finally:
        client.projects.delete(id=project.id)


def test_gold_export_reimports_with_every_task_and_annotation(gold_round_trip):
    gold = gold_round_trip.gold
    assert gold_round_trip.response.task_count == len(gold) == 31
    assert gold_round_trip.response.annotation_count == sum(len(t["annotations"]) for t in gold) == 63
    # Label Studio exports tasks in import order, annotations in their order on the task.
    assert [t["data"]["doc_id"] for t in gold_round_trip.exported] == [t["data"]["doc_id"] for t in gold]


def test_gold_export_comes_back_unchanged_but_for_server_assigned_keys(gold_round_trip):
    for sent, back in zip(gold_round_trip.sent, gold_round_trip.exported, strict=True):
        where = sent["data"]["doc_id"]
        assert set(back) == set(sent), where
        assert {k: v for k, v in back.items() if k not in SERVER_TASK_KEYS} == {
            k: v for k, v in sent.items() if k not in SERVER_TASK_KEYS
        }, where
        assert len(back["annotations"]) == len(sent["annotations"]), where
        for original, annotation in zip(sent["annotations"], back["annotations"], strict=True):
            kept = set(original) - SERVER_ANNOTATION_KEYS
            assert {k: annotation[k] for k in kept} == {k: original[k] for k in kept}, where
            # Server-assigned: the importing user, and the id the annotation was imported with.
            assert isinstance(annotation["completed_by"], int)
            assert annotation["import_id"] == original["id"]


def test_gold_documents_and_agreement_passes_read_back_identically(gold_round_trip):
    expected = read_documents(GOLD, SCHEMA)
    read_back = read_documents(gold_round_trip.path, SCHEMA)
    assert [fields(d) for d in read_back] == [fields(d) for d in expected]
    passes = lambda path: [  # noqa: E731
        [(a.entities, a.relations, a.ground_truth, a.cancelled) for a in task.annotations]
        for task in iter_tasks(path, SCHEMA)
    ]
    assert passes(gold_round_trip.path) == passes(GOLD)


def test_splits_built_from_the_reimported_gold_are_the_shipped_splits(gold_round_trip, tmp_path):
    build(gold_round_trip.path, SCHEMA, tmp_path / "built", progress=False, keep=previous_splits(RELEASE_1_0))
    manifest = json.loads((tmp_path / "built" / "manifest.json").read_text("utf-8"))
    assert manifest["splits"] == json.loads(SHIPPED_MANIFEST.read_text("utf-8"))["splits"]
    assert rows_by_id(tmp_path / "built") == rows_by_id(None)


# --- 3. predictions as pre-annotations ---------------------------------------------------------------

MODEL_VERSION = "vna-ner-roundtrip-test"


@pytest.fixture(scope="module")
def prediction_round_trip(label_studio, tmp_path_factory) -> Iterator[SimpleNamespace]:
    document = shipped_documents()["002-main"]
    task = document_to_task(document, SCHEMA, as_predictions=True, model_version=MODEL_VERSION)
    response, exported, project_id = import_and_export(label_studio, "predictions round trip", [task])
    try:
        path = write_json(tmp_path_factory.mktemp("predictions") / "export.json", exported)
        yield SimpleNamespace(document=document, task=task, response=response, exported=exported, path=path)
    finally:
        label_studio.client.projects.delete(id=project_id)


def test_predictions_import_as_pre_annotations_and_the_export_lists_them_by_id(
    label_studio, prediction_round_trip
):
    assert prediction_round_trip.document.relations  # a real document with entities and relations
    assert prediction_round_trip.response.task_count == 1
    assert prediction_round_trip.response.prediction_count == 1
    assert prediction_round_trip.response.annotation_count == 0
    (exported,) = prediction_round_trip.exported
    assert exported["annotations"] == []
    assert exported["total_predictions"] == 1
    # LS 1.23.2's JSON export gives only the prediction ids, not the predictions themselves.
    (prediction_id,) = exported["predictions"]
    assert isinstance(prediction_id, int)
    (prediction,) = label_studio.client.predictions.list(task=exported["id"])
    assert prediction.id == prediction_id
    assert prediction.model_version == MODEL_VERSION
    assert prediction.result == prediction_round_trip.task["predictions"][0]["result"]


def test_a_fetched_prediction_reads_back_as_the_document_entities_and_relations(
    label_studio, prediction_round_trip, tmp_path
):
    (exported,) = prediction_round_trip.exported
    (prediction,) = label_studio.client.predictions.list(task=exported["id"])
    with_objects = {**exported, "predictions": [{"id": prediction.id, "result": prediction.result}]}
    (task,) = iter_tasks(write_json(tmp_path / "export.json", [with_objects]), SCHEMA)
    document = prediction_round_trip.document
    assert task.annotations == []
    (read,) = task.predictions
    assert (read.entities, read.relations) == (document.entities, document.relations)


def test_an_export_with_only_predictions_is_no_gold_and_is_refused(prediction_round_trip):
    with pytest.raises(NothingToBuild, match=r"every task is left out \(only predictions: 1\)") as caught:
        read_documents(prediction_round_trip.path, SCHEMA)
    account = caught.value.account
    assert (account.tasks, account.documents, dict(account.left_out)) == (1, 0, {"only predictions": 1})


# --- 4. offline: any document survives the task file and the IOB2 tags ----------------------------------

WORDS = [
    "Nguyễn", "Phúc", "Trường", "Hạ", "Long", "Hô", "Chi", "Minh-Ville", "Comité", "côte", "président",
    "l’ONU", "aujourd'hui", "Việt", "ưu", "2024", "15", "(VNA)", "–", "«", "»", ".", ",", ":", "?",
    "📝", "👨‍👩‍👧", "🇻🇳", "e\u0301te\u0301", "Vie\u0323\u0302t", "a\u0300",
]  # fmt: skip
LETTERS = "aeiouyAEIOUbcdghklmnpqrstvxNPTéèêôơưạảãđĐÉÔ\u0301\u0300\u0323\u0309\u200d📝👨👩👧-’'.,"
SEPARATORS = [" ", " ", " ", "", "", "\xa0", "\u202f", "\n", "\n\n", " \n", "\t", " - ", ", ", ". "]
SPAN_ID = st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=1, max_size=10)


@st.composite
def documents(draw: st.DrawFn) -> Document:
    """Random text; flat non-empty spans that neither start nor end on whitespace; typed relations."""
    words = draw(
        st.lists(
            st.one_of(st.sampled_from(WORDS), st.text(alphabet=LETTERS, min_size=1, max_size=8)),
            min_size=1,
            max_size=25,
        )
    )
    separators = draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(words), max_size=len(words)))
    text = "".join(w + s for w, s in zip(words, separators, strict=True))
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), unique=True, max_size=16)))
    bounds = []
    for start, end in zip(cuts[::2], cuts[1::2], strict=False):
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            bounds.append((start, end))
    ids = draw(st.lists(SPAN_ID, min_size=len(bounds), max_size=len(bounds), unique=True))
    entities = [
        Span(start, end, draw(st.sampled_from(SCHEMA.entity_labels)), text[start:end], rid)
        for (start, end), rid in zip(bounds, ids, strict=True)
    ]
    candidates = [
        Relation(head.id, tail.id, label)
        for head in entities
        for tail in entities
        if head is not tail
        for label in SCHEMA.relation_labels
        if SCHEMA.relation_violation(label, head.label, tail.label) is None
    ]
    relations = draw(st.lists(st.sampled_from(candidates), unique=True, max_size=6)) if candidates else []
    provenance = draw(
        st.lists(
            st.builds(Provenance, st.text(min_size=1, max_size=20), st.integers(0, 2**31 - 1)), max_size=2
        )
    )
    return Document(
        id=draw(st.text(min_size=1, max_size=20)),
        text=text,
        entities=sorted(entities),
        relations=sorted(relations),
        provenance=provenance,
    )


GOLD_DOCUMENTS = {d.id: dataclasses.replace(d, task_id=None) for d in read_documents(GOLD, SCHEMA)}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=documents())
@example(document=GOLD_DOCUMENTS["002-main"])  # glued: "Phuceffectuera", "etCuba", "leVietnam", "auConseil"
@example(document=GOLD_DOCUMENTS["001-t02"])  # "📝Édito", non-breaking spaces, blank lines
@example(document=GOLD_DOCUMENTS["001-main"])  # glued: "ảnh 2Hoang Trung Hai", non-breaking spaces
def test_any_document_survives_the_task_file_and_the_iob2_tags(document, tmp_path_factory):
    # Every relation respects relation_arguments.json, so the reader must accept the document as it is.
    assert all(
        SCHEMA.relation_violation(r.label, s[r.head].label, s[r.tail].label) is None
        for s in [document.span_by_id()]
        for r in document.relations
    )
    path = tmp_path_factory.getbasetemp() / "property-tasks.json"
    write_tasks([document_to_task(document, SCHEMA)], path)
    assert read_documents(path, SCHEMA) == [document]

    offsets, starts = tokenize(document.text, [(s.start, s.end) for s in document.entities])
    if any(s.start < offsets[first][0] < s.end for s in document.entities for first in starts):
        # Sequences are cut at sentence starts, so an entity across one cannot be shipped: refused.
        with pytest.raises(InputError, match="not given back by the IOB2 tags cut at sentence starts"):
            document_rows(document)
        return
    row, sentences = document_rows(document)
    offsets = [(o["start"], o["end"]) for o in row["token_offsets"]]
    text = document.text
    assert iob2_to_spans(offsets, row["ner_tags"], row["sentence_starts"]) == [
        (s.start, s.end, s.label) for s in document.entities
    ]
    assert row["tokens"] == [text[start:end] for start, end in offsets]
    assert all(start < end for start, end in offsets)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(offsets))
    assert not any(token.isspace() for token in row["tokens"])
    # Nothing but whitespace is left out of the tokens.
    assert "".join("".join(row["tokens"]).split()) == "".join(text.split())
    # Sentences partition the tokens, and a line break always starts a new sentence.
    assert [token for sentence in sentences for token in sentence["tokens"]] == row["tokens"]
    assert [tag for sentence in sentences for tag in sentence["ner_tags"]] == row["ner_tags"]
    assert row["sentence_starts"][0] == 0
    after_line_break = [i for i in range(1, len(offsets)) if "\n" in text[offsets[i - 1][1] : offsets[i][0]]]
    assert set(after_line_break) <= set(row["sentence_starts"])
