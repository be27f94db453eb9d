"""Reading predictions: the three formats, the projection rule for JSONL spans, and every refusal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from datasets import Dataset
from datasets.arrow_writer import ArrowWriter

from vna_ner.benchmark.predictions import RelationKey, TokenSpan, read_predictions
from vna_ner.dataset.features import document_features
from vna_ner.dataset.load import load
from vna_ner.errors import InputError
from vna_ner.labelstudio.schema import load_schema

FEATURES = document_features(
    load_schema(Path(__file__).resolve().parent.parent / "annotations/labeling_config.xml")
)

# "Le président Nguyen Xuan Phuc visite Cuba ." : tokens at characters
#  Le 0-2, président 3-12, Nguyen 13-19, Xuan 20-24, Phuc 25-29, visite 30-36, Cuba 37-41, . 42-43
WORDS = ["Le", "président", "Nguyen", "Xuan", "Phuc", "visite", "Cuba", "."]
PHUC = {"start": 13, "end": 29, "label": "PER"}
CUBA = {"start": 37, "end": 41, "label": "LOC"}


def document(doc_id: str) -> dict:
    """A gold row over ``WORDS`` joined by spaces: one sentence, no entity."""
    starts = [sum(len(w) + 1 for w in WORDS[:i]) for i in range(len(WORDS))]
    return {
        "id": doc_id,
        "fold": 0,
        "text": " ".join(WORDS),
        "tokens": WORDS,
        "token_offsets": [{"start": s, "end": s + len(w)} for s, w in zip(starts, WORDS, strict=True)],
        "ner_tags": ["O"] * len(WORDS),
        "sentence_starts": [0],
        "entities": [],
        "relations": [],
        "provenance": [],
    }


def gold(*ids: str) -> Dataset:
    return Dataset.from_list([document(doc_id) for doc_id in ids], features=FEATURES)


def jsonl(tmp_path: Path, *records: dict[str, Any], name: str = "predictions.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(record) + "\n" for record in records), "utf-8")
    return path


def problems(source: Path | Dataset, reference: Dataset, **options: Any) -> str:
    with pytest.raises(InputError) as caught:
        read_predictions(source, reference, **options)
    return "\n".join(str(problem) for problem in caught.value.problems)


def test_jsonl_spans_become_iob2_tags_over_the_gold_tokens(tmp_path: Path) -> None:
    path = jsonl(tmp_path, {"id": "d1", "entities": [PHUC, CUBA]}, {"id": "d2", "entities": []})

    read = read_predictions(path, gold("d1", "d2"))

    assert read.format == "jsonl"
    assert read.document_tags(0) == ["O", "O", "B-PER", "I-PER", "I-PER", "O", "B-LOC", "O"]
    assert read.document_tags(1) == ["O"] * 8
    assert read.widened_spans == 0
    assert read.relations == (frozenset(), frozenset())


def test_a_span_covers_every_token_it_overlaps_and_is_counted_when_inexact(tmp_path: Path) -> None:
    # "uyen Xu" (14-22) touches Nguyen and Xuan; "  Cuba" (35-41) starts inside "visite" (30-36).
    inside = {"start": 14, "end": 22, "label": "PER"}
    across = {"start": 35, "end": 41, "label": "LOC"}
    exact = {"start": 0, "end": 2, "label": "MISC"}
    path = jsonl(tmp_path, {"id": "d1", "entities": [inside, across, exact]})

    read = read_predictions(path, gold("d1"))

    assert read.document_tags(0) == ["B-MISC", "O", "B-PER", "I-PER", "O", "B-LOC", "I-LOC", "O"]
    assert read.widened_spans == 2
    assert read.widened.nonzero()[0].tolist() == [2, 5]  # the first tokens of the two widened spans


def test_a_span_from_whitespace_to_whitespace_covers_the_tokens_inside(tmp_path: Path) -> None:
    path = jsonl(tmp_path, {"id": "d1", "entities": [{"start": 12, "end": 30, "label": "PER"}]})

    read = read_predictions(path, gold("d1"))

    assert read.document_tags(0)[2:5] == ["B-PER", "I-PER", "I-PER"]
    assert read.widened_spans == 1


def test_relations_link_projected_spans_with_their_types(tmp_path: Path) -> None:
    relation = {"head": 0, "tail": 1, "label": "VISITS"}
    path = jsonl(tmp_path, {"id": "d1", "entities": [PHUC, CUBA], "relations": [relation]})

    read = read_predictions(path, gold("d1"))

    assert read.relations == (
        frozenset({RelationKey(TokenSpan(2, 5, "PER"), TokenSpan(6, 7, "LOC"), "VISITS")}),
    )


def test_conll_columns_are_read_against_the_gold_tokens(tmp_path: Path) -> None:
    tags = ["O", "B-TITLE", "B-PER", "I-PER", "I-PER", "O", "B-LOC", "O"]
    lines = ["# id = d1", *(f"{w}\t{t}" for w, t in zip(WORDS[:4], tags[:4], strict=True)), ""]
    lines += [f"{w}\tO\t{t}" for w, t in zip(WORDS[4:], tags[4:], strict=True)]
    path = tmp_path / "predictions.conll"
    path.write_text("\n".join(lines) + "\n", "utf-8")

    read = read_predictions(path, gold("d1"))

    assert read.format == "conll"
    assert read.document_tags(0) == tags
    assert read.relations is None


@pytest.mark.parametrize("suffix", [".txt", ".tsv"])
def test_txt_and_tsv_are_conll_too(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"predictions{suffix}"
    path.write_text("# id = d1\n" + "".join(f"{w}\tO\n" for w in WORDS), "utf-8")

    assert read_predictions(path, gold("d1")).format == "conll"


def test_an_arrow_file_or_a_dataset_with_pred_tags_is_read(tmp_path: Path) -> None:
    tags = ["O", "I-TITLE", "O", "I-PER", "I-PER", "O", "B-LOC", "O"]
    predictions = Dataset.from_dict({"id": ["d1"], "pred_tags": [tags]})
    path = tmp_path / "predictions.arrow"
    with ArrowWriter(path=str(path), features=predictions.features) as writer:
        writer.write_table(predictions.data.table)
        writer.finalize()

    from_file, from_object = read_predictions(path, gold("d1")), read_predictions(predictions, gold("d1"))

    assert from_file.format == from_object.format == "arrow"
    assert from_file.document_tags(0) == from_object.document_tags(0) == tags


def test_an_unknown_suffix_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "predictions.csv"
    path.write_text("id,tags\n", "utf-8")

    assert "unknown prediction format '.csv'" in problems(path, gold("d1"))


def test_unknown_and_duplicate_ids_are_each_named(tmp_path: Path) -> None:
    record = {"id": "d1", "entities": []}
    path = jsonl(tmp_path, record, {"id": "nope", "entities": []}, record)

    found = problems(path, gold("d1"))

    assert "predictions.jsonl:2: unknown document id 'nope': not in the gold split" in found
    assert "predictions.jsonl:3: duplicate document id 'd1', first at" in found


def test_missing_documents_are_refused_unless_allowed_then_predict_nothing(tmp_path: Path) -> None:
    path = jsonl(tmp_path, {"id": "d1", "entities": [PHUC]})

    assert "1 document(s) of the gold split have no prediction: d2" in problems(path, gold("d1", "d2"))
    read = read_predictions(path, gold("d1", "d2"), allow_missing=True)
    assert read.missing == ("d2",)
    assert read.document_tags(1) == ["O"] * 8


def test_spans_out_of_range_empty_or_on_whitespace_only_are_refused(tmp_path: Path) -> None:
    spans = [
        {"start": 40, "end": 44, "label": "LOC"},
        {"start": 5, "end": 5, "label": "LOC"},
        {"start": -1, "end": 2, "label": "LOC"},
        {"start": 2, "end": 3, "label": "LOC"},
        {"start": "0", "end": 2, "label": "LOC"},
    ]
    found = problems(jsonl(tmp_path, {"id": "d1", "entities": spans}), gold("d1"))

    assert found.count("span out of range or empty (the text has 43 characters)") == 3
    assert "entity 3 [2, 3) LOC: span covers no token (only whitespace)" in found
    assert 'entity 4: an entity needs integer "start" and "end"' in found


def test_spans_sharing_a_token_after_projection_are_named(tmp_path: Path) -> None:
    spans = [{"start": 13, "end": 21, "label": "PER"}, {"start": 22, "end": 29, "label": "PER"}]

    found = problems(jsonl(tmp_path, {"id": "d1", "entities": spans}), gold("d1"))

    assert (
        "(document d1), region entities 0 and 1: spans [13, 21) PER and [22, 29) PER share a token" in found
    )


def test_unknown_entity_and_relation_labels_and_bad_relation_indices_are_refused(tmp_path: Path) -> None:
    relations = [{"head": 0, "tail": 2, "label": "VISITS"}, {"head": 0, "tail": 1, "label": "LIKES"}]
    record = {"id": "d1", "entities": [PHUC, {**CUBA, "label": "COUNTRY"}], "relations": relations}

    found = problems(jsonl(tmp_path, record), gold("d1"))

    assert "entity 1 [37, 41): unknown label 'COUNTRY'" in found
    assert "relation 0: head 0 or tail 2 is not an entity index (0 to 1)" in found
    assert "relation 1: unknown relation label 'LIKES'" in found


def test_lines_that_are_not_json_objects_with_an_id_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "predictions.jsonl"
    path.write_text('{"id": "d1", "entities": []}\n{oops\n["d2"]\n{"id": "d2", "entities": {}}\n', "utf-8")

    found = problems(path, gold("d1", "d2"))

    assert "predictions.jsonl:2: not valid JSON" in found
    assert 'predictions.jsonl:3: expected a JSON object with a string "id"' in found
    assert 'predictions.jsonl:4 (document d2): "entities" must be a list' in found


def test_a_number_too_long_for_python_is_a_problem_of_its_line(tmp_path: Path) -> None:
    path = tmp_path / "predictions.jsonl"
    path.write_text('{"id": "d1", "entities": []}\n{"id": "d2", "n": ' + "9" * 5000 + "}\n", "utf-8")

    assert "predictions.jsonl:2: not usable JSON: a number too long to read" in problems(
        path, gold("d1", "d2")
    )


def test_arrow_rows_with_an_id_that_is_not_a_string_or_null_tags_are_problems_of_their_row() -> None:
    ids = Dataset.from_dict({"id": [["d1"], None], "pred_tags": [["O"] * 8, ["O"] * 8]})
    tags = Dataset.from_dict({"id": ["d1", "d2"], "pred_tags": [["O", None, *["O"] * 6], None]})

    found = problems(ids, gold("d1", "d2"), allow_missing=True)
    assert "row 0: 'id' must be a document id string, not ['d1']" in found
    assert "row 1: 'id' must be a document id string, not None" in found
    found = problems(tags, gold("d1", "d2"))
    assert "row 0 (document d1): invalid tag None: IOB2 tags are strings, at token 1" in found
    assert "row 1 (document d2): 'pred_tags' is null" in found


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "predictions.conll"
    path.write_bytes("# id = d1\nprésident\tO\n".encode("latin-1"))

    assert "predictions.conll: not UTF-8 text" in problems(path, gold("d1"))


def test_invalid_tags_are_refused_with_their_positions(tmp_path: Path) -> None:
    tags = ["O", "B-PERSON", "PER", "O", "b-per", "O", "B-PERSON", "O"]

    found = problems(Dataset.from_dict({"id": ["d1"], "pred_tags": [tags]}), gold("d1"))

    assert "invalid tag 'B-PERSON': unknown label 'PERSON' (labels: PER, ORG" in found
    assert "at token 1, 6" in found
    assert "invalid tag 'PER': IOB2 tags are O, B-<label> and I-<label>, at token 2" in found
    assert "invalid tag 'b-per'" in found


def test_token_counts_and_tokens_must_be_the_gold_ones(tmp_path: Path) -> None:
    short = Dataset.from_dict({"id": ["d1"], "pred_tags": [["O"] * 7]})
    path = tmp_path / "predictions.conll"
    path.write_text("# id = d1\n" + "".join(f"{w}\tO\n" for w in ["La", *WORDS[1:]]), "utf-8")
    orphan = tmp_path / "orphan.conll"
    orphan.write_text("Le\tO\n# id = d1\n" + "".join(f"{w} O\n" for w in WORDS), "utf-8")

    assert "7 tags for a gold document of 8 tokens" in problems(short, gold("d1"))
    assert "tokens differ from the gold tokens at 0: 'La' for 'Le'" in problems(path, gold("d1"))
    found = problems(orphan, gold("d1"))
    assert "orphan.conll:1: 1 token line(s) before any '# id = <document id>' line" in found
    assert "orphan.conll:3: expected token<TAB>tag, got 'Le O'" in found


def test_a_dataset_without_pred_tags_strings_is_refused() -> None:
    wrong = Dataset.from_dict({"id": ["d1"], "tags": [["O"] * 8]})

    assert "need an 'id' column and a 'pred_tags' column of tag strings" in problems(wrong, gold("d1"))


def write_splits(folder: Path, splits: dict[str, list[str]]) -> None:
    (folder / "documents").mkdir(parents=True)
    for split, ids in splits.items():
        with ArrowWriter(path=str(folder / "documents" / f"{split}.arrow"), features=FEATURES) as writer:
            for doc_id in ids:
                writer.write(FEATURES.encode_example(document(doc_id)))
            writer.finalize()


def test_a_prediction_file_for_another_split_is_named_as_such(tmp_path: Path) -> None:
    write_splits(tmp_path, {"train": ["t1", "t2"], "validation": ["v1"], "test": ["x1"]})
    test = load(split="test", data_dir=tmp_path)
    whole = jsonl(tmp_path, {"id": "t1", "entities": []}, {"id": "t2", "entities": []}, name="train.jsonl")
    mixed = jsonl(
        tmp_path, {"id": "x1", "entities": []}, {"id": "v1", "entities": []}, {"id": "zz", "entities": []}
    )

    found = problems(whole, test)
    assert "these ids are in the train split, not test: t1, t2 (all 2 documents read: a prediction" in found
    found = problems(mixed, test)
    assert "these ids are in the validation split, not test: v1" in found
    assert "unknown document id 'zz': not in the test split" in found


def test_another_split_is_named_from_a_parquet_build_too(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from vna_ner.dataset.split_table import read_split_table

    write_splits(tmp_path, {"train": ["t1", "t2"], "validation": ["v1"], "test": ["x1"]})
    for split in ("train", "validation", "test"):
        arrow = tmp_path / "documents" / f"{split}.arrow"
        pq.write_table(pa.ipc.open_stream(arrow.read_bytes()).read_all(), arrow.with_suffix(".parquet"))
        arrow.unlink()
    whole = jsonl(tmp_path, {"id": "t1", "entities": []}, name="train.jsonl")
    assert "these ids are in the train split, not test: t1" in problems(
        whole, read_split_table("test", tmp_path)
    )
