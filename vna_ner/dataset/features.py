"""The dataset's schema, declared once as ``datasets.Features`` for each configuration.

Label names come from the project :class:`~vna_ner.labelstudio.schema.Schema`; Arrow types, the card's
``dataset_info`` and the loaders all derive from these declarations. ``datasets`` is imported by the
functions, so the command line can name the splits without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vna_ner.labelstudio.schema import Schema

if TYPE_CHECKING:
    from datasets import Features

CONFIGS = ("documents", "sentences")
SPLITS = ("train", "validation", "test")
ALL = "all"  # every document of every split, in split order: what cross-validation scores
FORMATS = ("arrow", "parquet")  # file formats of a built folder: <config>/<split>.<format>


def document_features(schema: Schema) -> Features:
    """One row per document: its cross-validation fold, text, tokens with offsets, IOB2 tags, entities,
    relations, provenance.
    """
    from datasets import ClassLabel, Features, List, Value

    return Features(
        {
            "id": Value("string"),
            "fold": Value("int32"),
            "text": Value("string"),
            "tokens": List(Value("string")),
            "token_offsets": List({"start": Value("int32"), "end": Value("int32")}),
            "ner_tags": List(ClassLabel(names=list(schema.iob_tags))),
            "sentence_starts": List(Value("int32")),
            "entities": List(
                {
                    "id": Value("string"),
                    "start": Value("int32"),
                    "end": Value("int32"),
                    "label": ClassLabel(names=list(schema.entity_labels)),
                    "text": Value("string"),
                }
            ),
            "relations": List(
                {
                    "head": Value("string"),
                    "tail": Value("string"),
                    "label": ClassLabel(names=list(schema.relation_labels)),
                }
            ),
            "provenance": List({"source": Value("string"), "offset": Value("int32")}),
        }
    )


def sentence_features(schema: Schema) -> Features:
    """One row per sentence: the columns standard token-classification scripts expect, and the fold."""
    from datasets import ClassLabel, Features, List, Value

    return Features(
        {
            "id": Value("string"),
            "document_id": Value("string"),
            "fold": Value("int32"),
            "tokens": List(Value("string")),
            "ner_tags": List(ClassLabel(names=list(schema.iob_tags))),
        }
    )


def features_for(config: str, schema: Schema) -> Features:
    """Features of configuration ``config`` (``documents`` or ``sentences``)."""
    return {"documents": document_features, "sentences": sentence_features}[config](schema)
