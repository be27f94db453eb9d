"""The annotation schema of a Label Studio project: entity and relation labels, argument types.

Labels come from the labeling config through ``label_studio_sdk``'s label interface, never from
code; which entity types a relation may link comes from an optional JSON file beside it. The SDK is
imported only when a config is parsed, so a :class:`Schema` costs nothing to import (loading and
scoring need it, not the SDK).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ANY = "*"
UNLABELLED = "related"  # the label of relations read under a config without <Relations>
CONFIG_NAME = "labeling_config.xml"
_PACKAGE = Path(__file__).resolve().parent.parent  # the vna_ner package folder


class SchemaError(ValueError):
    """A labeling config or relation-argument file that vna-ner cannot use."""


@dataclass(frozen=True)
class ArgumentTypes:
    """Entity labels allowed as head and tail of one relation label (``*`` allows any)."""

    head: frozenset[str]
    tail: frozenset[str]
    same_type: bool = False

    def violation(self, head: str, tail: str) -> str | None:
        """Why ``head -> tail`` is not allowed, or None when it is."""
        if ANY not in self.head and head not in self.head:
            return f"head must be {'/'.join(sorted(self.head))}, not {head}"
        if ANY not in self.tail and tail not in self.tail:
            return f"tail must be {'/'.join(sorted(self.tail))}, not {tail}"
        if self.same_type and head != tail:
            return f"head and tail must have the same type, not {head} and {tail}"
        return None


@dataclass(frozen=True)
class Schema:
    """What a project may contain: entity labels (config order), relation labels, and their names.

    A config without ``<Relations>`` has unlabelled relations (``relations_labelled`` is False), read as
    :data:`UNLABELLED`.
    """

    entity_labels: tuple[str, ...]
    relation_labels: tuple[str, ...]
    from_name: str = "label"
    to_name: str = "text"
    text_key: str = "text"
    arguments: dict[str, ArgumentTypes] = field(default_factory=dict)
    relations_labelled: bool = True

    @property
    def span_control(self) -> str:
        """The config's span control as written in XML, for messages."""
        return f'<Labels name="{self.from_name}" toName="{self.to_name}"> on <Text value="${self.text_key}">'

    @property
    def iob_tags(self) -> tuple[str, ...]:
        """IOB2 tag names, ``O`` first, then ``B-``/``I-`` per entity label in config order."""
        return ("O", *tuple(f"{p}-{label}" for label in self.entity_labels for p in ("B", "I")))

    def relation_violation(self, label: str, head: str, tail: str) -> str | None:
        """Why relation ``label`` cannot link entity types ``head -> tail``, or None."""
        if label not in self.relation_labels:
            return f"unknown relation label {label!r} (config has {', '.join(self.relation_labels)})"
        arguments = self.arguments.get(label)
        return arguments.violation(head, tail) if arguments else None


def _relation_labels(config: str) -> tuple[str, ...]:
    """Relation labels of every ``<Relations>`` block, wherever it sits (the label interface skips them).

    Read from the XML as written: the SDK's JSON form of a config turns a value like ``0`` or ``true``
    into a number or a boolean.
    """
    import xml.etree.ElementTree as ElementTree  # here: --help and loading parse no config

    root = ElementTree.fromstring(config)
    values = [
        relation.get("value", "")
        for block in root.iter("Relations")
        for relation in block.findall("Relation")
    ]
    if not all(value.strip() for value in values):
        raise SchemaError(
            'a <Relation> of <Relations> has no value attribute (e.g. <Relation value="located_in"/>)'
        )
    return tuple(dict.fromkeys(values))


def _check_entity_labels(labels: list[str]) -> None:
    """Refuse labels that would make the IOB2 tags ambiguous: empty, ``O``, or starting ``B-``/``I-``."""
    for label in labels:
        if not label.strip():
            raise SchemaError("an entity <Label> has an empty value")
        if label == "O" or label.startswith(("B-", "I-")):
            raise SchemaError(
                f"entity label {label!r} would make the IOB2 tags ambiguous "
                "(O is outside, B-/I- prefix a label)"
            )


def _argument_types(label: str, spec: Any) -> ArgumentTypes:
    """One relation's argument types from its entry in the relation-argument file, checked."""
    if not isinstance(spec, dict):
        raise SchemaError(f"relation arguments of {label!r}: must be an object with 'head' and 'tail' lists")
    unknown = sorted(set(spec) - {"head", "tail", "same_type"})
    if unknown:
        raise SchemaError(
            f"relation arguments of {label!r}: unknown key {unknown[0]!r} (head, tail, same_type)"
        )
    for key in ("head", "tail"):
        value = spec.get(key)
        if not (isinstance(value, list) and all(isinstance(item, str) for item in value)):
            raise SchemaError(
                f"relation arguments of {label!r}: {key!r} must be a list of entity labels (strings)"
            )
    same_type = spec.get("same_type", False)
    if not isinstance(same_type, bool):
        raise SchemaError(
            f"relation arguments of {label!r}: 'same_type' must be true or false, not {same_type!r}"
        )
    return ArgumentTypes(head=frozenset(spec["head"]), tail=frozenset(spec["tail"]), same_type=same_type)


def parse_schema(config: str, arguments: dict[str, dict] | None = None) -> Schema:
    """Schema of a labeling config string, with optional relation argument types."""
    from label_studio_sdk.label_interface import LabelInterface
    from label_studio_sdk.label_interface.control_tags import LabelsTag

    try:
        interface = LabelInterface(config)
    except Exception as error:  # the SDK raises its own exception classes for every kind of bad XML
        raise SchemaError(f"not a valid labeling config: {' '.join(str(error).split())}") from None
    span_controls = [
        control
        for control in interface.controls
        if isinstance(control, LabelsTag) and any(obj.tag == "Text" for obj in control.objects)
    ]
    if len(span_controls) != 1:
        raise SchemaError(
            f"the labeling config needs exactly one <Labels> control on a <Text> object, "
            f"found {len(span_controls)}"
        )
    control = span_controls[0]
    text_object = control.objects[0]
    _check_entity_labels(control.labels)
    relation_labels = _relation_labels(config)
    argument_types = {}
    for label, spec in (arguments or {}).items():
        if label not in relation_labels:
            raise SchemaError(f"relation arguments name {label!r}, which the config does not have")
        argument_types[label] = _argument_types(label, spec)
    return Schema(
        entity_labels=tuple(control.labels),
        relation_labels=relation_labels or (UNLABELLED,),
        relations_labelled=bool(relation_labels),
        from_name=control.name,
        to_name=text_object.name,
        text_key=text_object.value.lstrip("$"),
        arguments=argument_types,
    )


def load_schema(config_path: Path, arguments_path: Path | None = None) -> Schema:
    """Schema of the labeling config at ``config_path``; argument types from ``arguments_path``.

    When ``arguments_path`` is None, ``relation_arguments.json`` beside the config is used if present.
    """
    config_path = Path(config_path)
    if arguments_path is None and (config_path.parent / "relation_arguments.json").exists():
        arguments_path = config_path.parent / "relation_arguments.json"
    try:
        arguments = json.loads(Path(arguments_path).read_text("utf-8")) if arguments_path else None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError, ValueError) as error:
        raise SchemaError(f"{arguments_path}: not valid JSON: {' '.join(str(error).split())}") from None
    except OSError as error:
        raise SchemaError(f"{arguments_path}: cannot be read: {error.strerror or error}") from None
    if arguments is not None and not isinstance(arguments, dict):
        raise SchemaError(f"{arguments_path}: must be an object mapping relation labels to argument types")
    try:
        config = config_path.read_text("utf-8")
    except UnicodeDecodeError:
        raise SchemaError(f"{config_path}: not UTF-8 text") from None
    try:
        return parse_schema(config, arguments)
    except SchemaError as error:
        where = config_path if "relation arguments" not in str(error) else arguments_path
        raise SchemaError(f"{where}: {error}") from None


def default_config() -> Path:
    """The project's labeling config: in an installed wheel, else the source checkout's ``annotations/``."""
    for candidate in (_PACKAGE / "config" / CONFIG_NAME, _PACKAGE.parent / "annotations" / CONFIG_NAME):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"no {CONFIG_NAME} next to the vna_ner package; pass --config")
