"""`vna-ner config EXPORT --output FILE`: a labeling config written from what an export uses.

What it writes must be accepted by `validate`/`build --config` on the same export (a property over control
names, text keys and labels with spaces and XML-special characters) and by Label Studio's own server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import CONFIG
from vna_ner.cli import main
from vna_ner.labelstudio.schema import UNLABELLED, load_schema


def span(rid: str, text: str, surface: str, label: str, control: tuple[str, str] = ("ner", "doc")):
    start = text.index(surface)
    value = {"start": start, "end": start + len(surface), "text": surface, "labels": [label]}
    return {"id": rid, "from_name": control[0], "to_name": control[1], "type": "labels", "value": value}


def link(head: str, tail: str, *labels: str) -> dict[str, Any]:
    return {"type": "relation", "from_id": head, "to_id": tail, "direction": "right", "labels": list(labels)}


TEXT = "Dr. Ana Ruiz leads R&D <lab> at Café Soleil in Sevilla."
FIRST = {  # with a title field longer than nothing but shorter than the text, and a prediction
    "id": 1,
    "data": {"title": "Ruiz", "body": TEXT},
    "annotations": [
        {
            "id": 10,
            "result": [
                span("a", TEXT, "Ana Ruiz", "Named Person"),
                span("b", TEXT, "R&D <lab>", 'R&D "unit"'),
                link("a", "b", "works for"),
            ],
        }
    ],
    "predictions": [{"result": [span("p", TEXT, "Sevilla", "Place")]}],
}
SECOND = {
    "id": 2,
    "data": {"title": "Café", "body": "Café Soleil, Sevilla."},
    "annotations": [
        {
            "id": 20,
            "result": [
                span("c", "Café Soleil, Sevilla.", "Café Soleil", "Café & Bar"),
                span("d", "Café Soleil, Sevilla.", "Sevilla", "Place"),
                link("c", "d", "in <city>"),
            ],
        }
    ],
}
EXPECTED = """<View>
  <Labels name="ner" toName="doc">
    <Label value="Café &amp; Bar" />
    <Label value="Named Person" />
    <Label value="Place" />
    <Label value="R&amp;D &quot;unit&quot;" />
  </Labels>
  <Text name="doc" value="$body" />
  <Relations>
    <Relation value="in &lt;city&gt;" />
    <Relation value="works for" />
  </Relations>
</View>
"""


def invoke(*args: Any) -> Any:
    return CliRunner().invoke(main, [str(arg) for arg in args])


def write(path: Path, tasks: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(tasks, ensure_ascii=False), "utf-8")
    return path


def test_the_config_names_controls_text_and_labels_sorted_escaped(tmp_path):
    export = write(tmp_path / "export.json", [FIRST, SECOND])
    result = invoke("config", export, "--output", tmp_path / "config.xml")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "config.xml").read_text("utf-8") == EXPECTED
    assert '4 label(s) (Café & Bar, Named Person, Place, R&D "unit"); relations: in <city>, works for' in (
        result.output
    )
    assert invoke("validate", export, "--config", tmp_path / "config.xml").exit_code == 0
    (tmp_path / "export.jsonl").write_text("".join(json.dumps(t) + "\n" for t in [FIRST, SECOND]), "utf-8")
    assert invoke("config", tmp_path / "export.jsonl", "--output", tmp_path / "again.xml").exit_code == 0
    assert (tmp_path / "again.xml").read_text("utf-8") == EXPECTED


def test_unlabelled_relations_give_a_config_without_relations(tmp_path):
    text = "Ana Ruiz met Luis Gil."
    result = [span("a", text, "Ana Ruiz", "PER"), span("b", text, "Luis Gil", "PER"), link("a", "b")]
    export = write(
        tmp_path / "export.json", [{"id": 1, "data": {"text": text}, "annotations": [{"result": result}]}]
    )
    assert invoke("config", export, "--output", tmp_path / "config.xml").exit_code == 0
    schema = load_schema(tmp_path / "config.xml")
    assert "<Relations" not in (tmp_path / "config.xml").read_text("utf-8")
    assert (schema.entity_labels, schema.relation_labels, schema.text_key) == (
        ("PER",),
        (UNLABELLED,),
        "text",
    )
    assert invoke("validate", export, "--config", tmp_path / "config.xml").exit_code == 0


def test_a_json_min_export_gets_the_config_of_its_fields(tmp_path):
    text = "Ana Ruiz vive en Sevilla."
    records = [
        {
            "id": 1,
            "content": text,
            "entities": [
                {"start": 0, "end": 8, "text": "Ana Ruiz", "labels": ["Persona"]},
                {"start": 17, "end": 24, "text": "Sevilla", "labels": ["Lugar geográfico"]},
            ],
            "annotator": 3,
            "annotation_id": 11,
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "lead_time": 4.5,
        }
    ]
    export = write(tmp_path / "min.json", records)
    result = invoke("config", export, "--output", tmp_path / "config.xml")
    assert result.exit_code == 0, result.output
    schema = load_schema(tmp_path / "config.xml")
    assert (schema.from_name, schema.text_key) == ("entities", "content")
    assert schema.entity_labels == ("Lugar geográfico", "Persona")
    assert invoke("validate", export, "--config", tmp_path / "config.xml").exit_code == 0


@pytest.mark.parametrize(
    ("tasks", "message"),
    [
        ([{"id": 1, "data": {"text": "Nothing."}, "annotations": []}], "no labelled span region"),
        (
            [
                {
                    "id": 1,
                    "data": {"text": "Ana."},
                    "annotations": [{"result": [{**span("a", "Ana.", "Ana", "PER"), "from_name": None}]}],
                }
            ],
            "no span region names its control (from_name and to_name)",
        ),
        (
            [
                {
                    "id": 1,
                    "data": {"text": "Ana Ruiz, Sevilla.", "title": "Ana Ruiz, Sevilla."},
                    "annotations": [
                        {
                            "result": [
                                span("a", "Ana Ruiz, Sevilla.", "Ana Ruiz", "PER", ("ner", "text")),
                                span("b", "Ana Ruiz, Sevilla.", "Sevilla", "LOC", ("place", "title")),
                            ]
                        }
                    ],
                }
            ],
            "span regions of 2 controls (ner -> text, place -> title); vna-ner reads one",
        ),
    ],
)
def test_exports_no_single_config_describes_are_refused_in_one_line(tmp_path, tasks, message):
    result = invoke("config", write(tmp_path / "export.json", tasks), "--output", tmp_path / "config.xml")
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "config.xml").exists()


def test_an_export_with_problems_no_config_fixes_gets_no_config(tmp_path):
    text = "Ana Ruiz, Sevilla."
    wrong = span("b", text, "Sevilla", "LOC")
    wrong["value"]["text"] = "Granada"
    export = write(tmp_path / "export.json", [{"id": 1, "data": {"text": text}, "annotations": [
        {"result": [span("a", text, "Ana Ruiz", "PER"), wrong]}]}])  # fmt: skip
    result = invoke("config", export, "--output", tmp_path / "config.xml")
    assert result.exit_code == 1
    assert "no config written: the export has problems that no labeling config fixes" in result.output
    assert "region b" in result.output
    assert not (tmp_path / "config.xml").exists()


def test_config_writes_safely(tmp_path):
    export = write(tmp_path / "export.json", [FIRST])
    before = export.read_bytes()
    result = invoke("config", export, "--output", export)
    assert result.exit_code == 1
    assert f"cannot write {export}: it is the export EXPORT" in result.output
    assert export.read_bytes() == before
    (tmp_path / "file").write_text("", "utf-8")
    result = invoke("config", export, "--output", tmp_path / "file" / "config.xml")
    assert result.exit_code == 1
    assert f"{tmp_path / 'file'} is not a folder" in result.output
    assert invoke("config", export, "--output", tmp_path / "new" / "config.xml").exit_code == 0
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["config.xml", "export.json", "file", "new"]


def test_the_messages_about_another_config_point_to_config_and_to_the_command(tmp_path):
    text = "Ana Ruiz, Sevilla."
    result = [span("a", text, "Ana Ruiz", "Persona", ("label", "text"))]
    export = write(
        tmp_path / "export.json", [{"id": 1, "data": {"text": text}, "annotations": [{"result": result}]}]
    )
    foreign = write(tmp_path / "foreign.json", [FIRST, SECOND])
    for path, problem in ((export, "unknown label 'Persona'"), (foreign, "data has no 'text'")):
        output = invoke("validate", path, "--config", CONFIG).output
        assert output.count(problem) == 1, output
        assert (
            "pass that config with --config (`vna-ner config EXPORT --output labeling_config.xml`" in output
        )


names = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,8}", fullmatch=True)
# Labels as teams write them: any printable characters (XML-special ones included), not blank, no B-/I-/O.
labels = st.text(
    st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), min_size=1, max_size=12
).filter(lambda label: label.strip() and label != "O" and not label.startswith(("B-", "I-")))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    control=st.tuples(names, names).filter(lambda pair: pair[0] != pair[1]),
    text_key=st.sampled_from(["text", "content", "body", "texto", "văn_bản"]),
    entity_labels=st.lists(labels, min_size=1, max_size=5, unique=True),
    relation_labels=st.lists(labels, max_size=3, unique=True),
    tasks=st.integers(min_value=1, max_value=3),
)
def test_property_the_written_config_validates_the_export_it_came_from(
    tmp_path_factory, control, text_key, entity_labels, relation_labels, tasks
):
    folder = tmp_path_factory.mktemp("property")
    text = " ".join(f"w{n}" for n in range(len(entity_labels) + 1))
    words = text.split()
    exported = []
    for number in range(1, tasks + 1):
        result = [span(f"r{i}", text, words[i], label, control) for i, label in enumerate(entity_labels)]
        result += [
            link(f"r{i}", f"r{i + 1}", label) for i, label in enumerate(relation_labels[: len(result) - 1])
        ]
        exported.append(
            {"id": number, "data": {text_key: text, "other": "w0"}, "annotations": [{"result": result}]}
        )
    if not relation_labels and len(entity_labels) > 1:
        exported[0]["annotations"][0]["result"].append(link("r0", "r1"))
    export = write(folder / "export.json", exported)
    written = invoke("config", export, "--output", folder / "config.xml")
    assert written.exit_code == 0, written.output
    schema = load_schema(folder / "config.xml")
    assert (schema.from_name, schema.to_name, schema.text_key) == (*control, text_key)
    assert schema.entity_labels == tuple(sorted(entity_labels))
    used = relation_labels[: len(entity_labels) - 1]
    assert schema.relation_labels == (tuple(sorted(used)) if used else (UNLABELLED,))
    validated = invoke("validate", export, "--config", folder / "config.xml")
    assert validated.exit_code == 0, validated.output


def test_label_studio_accepts_the_written_config_and_its_export_validates_it(tmp_path, label_studio):
    export = write(tmp_path / "export.json", [FIRST, SECOND])
    assert invoke("config", export, "--output", tmp_path / "config.xml").exit_code == 0
    client = label_studio.client
    created = client.projects.create(
        title="a config written by vna-ner config", label_config=(tmp_path / "config.xml").read_text("utf-8")
    )
    try:
        client.projects.import_tasks(id=created.id, request=[FIRST, SECOND], return_task_ids=True)
        exported = write(tmp_path / "exported.json", label_studio.export_json(created.id))
    finally:
        client.projects.delete(id=created.id)
    result = invoke("validate", exported, "--config", tmp_path / "config.xml")
    assert result.exit_code == 0, result.output
    assert "2 tasks, no problem found" in result.output
