"""The schema comes from the labeling config through label_studio_sdk's label interface."""

from __future__ import annotations

import json
import re

import pytest
from label_studio_sdk.label_interface import LabelInterface

from helpers import CONFIG
from vna_ner.labelstudio.schema import SchemaError, load_schema, parse_schema


def test_the_project_config_declares_the_seven_entity_and_seven_relation_labels():
    schema = load_schema(CONFIG)
    assert schema.entity_labels == ("PER", "ORG", "LOC", "TITLE", "DATE", "EVENT", "MISC")
    assert schema.relation_labels == (
        "HAS_TITLE", "WORKS_FOR", "PART_OF", "LOCATED_IN", "MEETS", "VISITS", "ALIAS_OF",
    )  # fmt: skip
    assert (schema.from_name, schema.to_name, schema.text_key) == ("label", "text", "text")


def test_the_config_is_valid_for_label_studio():
    interface = LabelInterface(CONFIG.read_text())
    (control,) = interface.controls
    assert control.tag == "Labels" and control.to_name == ["text"]


def test_iob_tags_follow_the_config_order():
    assert load_schema(CONFIG).iob_tags[:5] == ("O", "B-PER", "I-PER", "B-ORG", "I-ORG")


def test_relation_argument_types_come_from_the_file_beside_the_config():
    schema = load_schema(CONFIG)
    assert schema.relation_violation("HAS_TITLE", "PER", "TITLE") is None
    assert schema.relation_violation("LOCATED_IN", "EVENT", "LOC") is None
    assert schema.relation_violation("VISITS", "LOC", "LOC") == "head must be ORG/PER, not LOC"
    assert schema.relation_violation("ALIAS_OF", "ORG", "ORG") is None


def test_another_project_keeps_its_own_names_and_labels():
    config = """<View><Labels name="ner" toName="doc"><Label value="GENE"/><Label value="DRUG"/></Labels>
    <Text name="doc" value="$content"/></View>"""
    schema = parse_schema(config)
    assert (schema.entity_labels, schema.relation_labels) == (("GENE", "DRUG"), ("related",))
    assert not schema.relations_labelled  # no <Relations>: relations are unlabelled, read as "related"
    assert (schema.from_name, schema.to_name, schema.text_key) == ("ner", "doc", "content")


def test_a_config_without_span_labels_is_refused():
    with pytest.raises(SchemaError, match=r"exactly one <Labels> control on a <Text> object, found 0"):
        parse_schema('<View><Text name="t" value="$text"/></View>')


def test_argument_types_for_an_unknown_relation_are_refused():
    config = (
        '<View><Labels name="l" toName="t"><Label value="A"/></Labels><Text name="t" value="$text"/></View>'
    )
    with pytest.raises(SchemaError, match="'LIKES', which the config does not have"):
        parse_schema(config, {"LIKES": {"head": ["A"], "tail": ["A"]}})


def test_relations_are_found_in_nested_views_and_several_blocks():
    config = """<View><View><Relations><Relation value="A_OF"/></Relations></View>
    <Relations><Relation value="B_OF"/><Relation value="C_OF"/></Relations>
    <Labels name="l" toName="t"><Label value="X"/></Labels><Text name="t" value="$text"/></View>"""
    assert parse_schema(config).relation_labels == ("A_OF", "B_OF", "C_OF")  # in the order written


def test_relation_labels_are_the_strings_written_even_when_they_look_like_numbers():
    config = """<View><Labels name="l" toName="t"><Label value="0"/></Labels><Text name="t" value="$text"/>
    <Relations><Relation value="0"/><Relation value="01"/><Relation value="true"/></Relations></View>"""
    schema = parse_schema(config)
    assert (schema.entity_labels, schema.relation_labels) == (("0",), ("0", "01", "true"))


@pytest.mark.parametrize("config", ['<View><Labels name="x"', "hello", ""])
def test_a_malformed_config_is_one_line_naming_the_file(tmp_path, config):
    path = tmp_path / "config.xml"
    path.write_text(config, encoding="utf-8")
    with pytest.raises(SchemaError, match=r"config.xml: not a valid labeling config") as caught:
        load_schema(path)
    assert "\n" not in str(caught.value)


def _config(labels: str = '<Label value="PER"/><Label value="TITLE"/>', relations: str = "") -> str:
    return (
        f'<View><Labels name="label" toName="text">{labels}</Labels>{relations}'
        '<Text name="text" value="$text"/></View>'
    )


def test_a_relation_without_value_is_refused():
    with pytest.raises(SchemaError, match=r"a <Relation> of <Relations> has no value attribute"):
        parse_schema(_config(relations="<Relations><Relation/></Relations>"))


@pytest.mark.parametrize(
    ("label", "shown"), [('value=""', "an entity <Label> has an empty value"), ('value="O"', "'O'"),
                         ('value="B-PER"', "'B-PER'"), ('value="I-X"', "'I-X'")]
)  # fmt: skip
def test_labels_that_make_the_iob_tags_ambiguous_are_refused(label, shown):
    with pytest.raises(SchemaError, match=re.escape(shown)):
        parse_schema(_config(f'<Label value="PER"/><Label {label}/>'))


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"HAS_TITLE": {"head": [{}], "tail": ["TITLE"]}}, "'head' must be a list of entity labels"),
        ({"HAS_TITLE": {"head": [["PER"]], "tail": ["TITLE"]}}, "'head' must be a list of entity labels"),
        ({"HAS_TITLE": {"head": "PER", "tail": ["TITLE"]}}, "'head' must be a list of entity labels"),
        ({"HAS_TITLE": {"head": ["PER"], "tail": ["TITLE"], "same_type": "no"}}, "'same_type' must be true"),
        ({"HAS_TITLE": {"head": ["PER"], "tail": ["TITLE"], "same_typ": True}}, "unknown key 'same_typ'"),
        ({"HAS_TITLE": 5}, "must be an object with 'head' and 'tail'"),
    ],
)
def test_a_malformed_relation_argument_file_is_refused_naming_file_and_key(tmp_path, arguments, problem):
    config = tmp_path / "config.xml"
    config.write_text(_config(relations='<Relations><Relation value="HAS_TITLE"/></Relations>'))
    (tmp_path / "relation_arguments.json").write_text(json.dumps(arguments))
    with pytest.raises(
        SchemaError, match=r"relation_arguments.json: relation arguments of 'HAS_TITLE'"
    ) as caught:
        load_schema(config)
    assert problem in str(caught.value)


def test_a_relation_argument_path_that_is_a_folder_is_refused(tmp_path):
    config = tmp_path / "config.xml"
    config.write_text(_config())
    (tmp_path / "relation_arguments.json").mkdir()
    with pytest.raises(SchemaError, match=r"relation_arguments.json: cannot be read: Is a directory"):
        load_schema(config)
