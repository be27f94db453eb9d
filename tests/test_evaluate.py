"""Scoring: the harness gives exactly seqeval's numbers, hand-checked conlleval counts, coarse view,
relations, bootstrap intervals, and the ``vna-ner eval`` command end to end, on one split or on every
document (``--split all``: the per-fold spread, out-of-fold declarations)."""

from __future__ import annotations

import itertools
import json
import math
import random
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from datasets import Dataset, NamedSplit
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.metrics import classification_report, f1_score
from seqeval.metrics.sequence_labeling import get_entities
from seqeval.scheme import IOB2, Entities

from vna_ner.benchmark.evaluate import Report, evaluate, format_report, score_tags
from vna_ner.benchmark.predictions import predicted_documents, read_predictions
from vna_ner.cli import main
from vna_ner.dataset.features import document_features
from vna_ner.dataset.load import documents_of, load
from vna_ner.errors import InputError
from vna_ner.labelstudio.schema import load_schema

REPO = Path(__file__).resolve().parent.parent
FEATURES = document_features(load_schema(REPO / "annotations/labeling_config.xml"))
Entity = tuple[str, int, int, str]


def document(
    doc_id: str,
    sentences: list[list[str]],
    entities: tuple[Entity, ...] = (),
    relations: tuple = (),
    fold: int = 0,
) -> dict[str, Any]:
    """A gold row with tags ``sentences`` over words ``w0 w1 …``; entities ``(id, first, end, label)``;
    in cross-validation fold ``fold``.
    """
    tags = [tag for sentence in sentences for tag in sentence]
    words = [f"w{i}" for i in range(len(tags))]
    starts = [sum(len(w) + 1 for w in words[:i]) for i in range(len(words))]
    offsets = [{"start": s, "end": s + len(w)} for s, w in zip(starts, words, strict=True)]
    lengths = [len(sentence) for sentence in sentences]
    return {
        "id": doc_id,
        "fold": fold,
        "text": " ".join(words),
        "tokens": words,
        "token_offsets": offsets,
        "ner_tags": tags,
        "sentence_starts": [sum(lengths[:i]) for i in range(len(lengths))],
        "entities": [
            {"id": i, "start": offsets[a]["start"], "end": offsets[b - 1]["end"], "label": label, "text": ""}
            for i, a, b, label in entities
        ],
        "relations": [{"head": h, "tail": t, "label": label} for h, t, label in relations],
        "provenance": [],
    }


def flat(nested: Iterable[list[Any]]) -> list[Any]:
    return [item for inner in nested for item in inner]


def report(gold: dict[str, list[list[str]]], predicted: dict[str, list[list[str]]], **options: Any) -> Report:
    """The harness's report for gold and predicted tags given per document and sentence."""
    reference = Dataset.from_list([document(i, s) for i, s in gold.items()], features=FEATURES)
    tags = {"id": list(predicted), "pred_tags": [flat(s) for s in predicted.values()]}
    return evaluate(reference, read_predictions(Dataset.from_dict(tags), reference), **options)


def score(gold: dict[str, list[list[str]]], predicted: dict[str, list[list[str]]], **options: Any) -> dict:
    return report(gold, predicted, **options).to_dict()


def seqeval(gold: dict[str, list[list[str]]], predicted: dict[str, list[list[str]]], **mode: Any) -> dict:
    with warnings.catch_warnings():  # its macro mean over no label warns
        warnings.simplefilter("ignore", RuntimeWarning)
        return classification_report(
            flat(gold.values()), flat(predicted.values()), output_dict=True, zero_division=0, **mode
        )


def assert_same_as_seqeval(table: dict[str, Any], direct: dict[str, dict[str, Any]]) -> None:
    """Every number of a harness table equals seqeval's, and its TP/FP/FN give seqeval's numbers back."""
    names = {"micro": "micro avg", "macro": "macro avg", **{label: label for label in table["per_label"]}}
    assert set(table["per_label"]) == set(direct) - {"micro avg", "macro avg", "weighted avg"}
    for ours, theirs in names.items():
        row = table[ours] if ours in ("micro", "macro") else table["per_label"][ours]
        expected = {key: None if value != value else value for key, value in direct[theirs].items()}  # NaN
        assert (row["p"], row["r"], row["f1"], row["support"]) == (
            expected["precision"],
            expected["recall"],
            expected["f1-score"],
            expected["support"],
        ), ours
        if ours != "macro":
            assert row["tp"] + row["fn"] == row["support"]
            assert row["p"] == (row["tp"] / (row["tp"] + row["fp"]) if row["tp"] + row["fp"] else 0.0)


# Gold is well-formed IOB2; predictions have an I- after O, an I- after another type, IOB1-style runs.
GOLD = {
    "d1": [["B-PER", "I-PER", "O", "B-LOC", "O"], ["B-ORG", "I-ORG", "I-ORG", "O"]],
    "d2": [["O", "B-MISC", "B-PER", "I-PER"], ["B-LOC", "I-LOC", "O"], ["O", "O"]],
}
PREDICTED = {
    "d1": [["B-PER", "I-PER", "O", "I-LOC", "O"], ["B-ORG", "I-ORG", "O", "O"]],
    "d2": [["O", "B-MISC", "I-PER", "I-PER"], ["I-LOC", "I-LOC", "O"], ["B-DATE", "O"]],
}


def counts(table: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    return {label: (row["tp"], row["fp"], row["fn"]) for label, row in table["per_label"].items()}


def test_default_mode_counts_chunks_as_conlleval_does() -> None:
    entities = score(GOLD, PREDICTED, bootstrap=0)["entities"]

    # I-LOC after O and I-PER after B-MISC start chunks; a short ORG is one FP and one FN.
    assert counts(entities["default"]) == {
        "PER": (2, 0, 0),
        "LOC": (2, 0, 0),
        "ORG": (0, 1, 1),
        "MISC": (1, 0, 0),
        "DATE": (0, 1, 0),
    }
    assert (entities["default"]["micro"]["tp"], entities["default"]["micro"]["fp"]) == (5, 2)
    assert entities["default"]["micro"]["fn"] == 1


def test_strict_mode_counts_only_chunks_opened_by_b() -> None:
    strict = score(GOLD, PREDICTED, bootstrap=0)["entities"]["strict"]

    assert counts(strict) == {
        "PER": (1, 0, 1),
        "LOC": (0, 0, 2),
        "ORG": (0, 1, 1),
        "MISC": (1, 0, 0),
        "DATE": (0, 1, 0),
    }
    assert strict["micro"]["p"] == 2 / 4
    assert strict["micro"]["r"] == 2 / 6


def test_the_harness_reports_exactly_what_seqeval_says_in_both_modes() -> None:
    entities = score(GOLD, PREDICTED, bootstrap=0)["entities"]

    assert_same_as_seqeval(entities["default"], seqeval(GOLD, PREDICTED))
    assert_same_as_seqeval(entities["strict"], seqeval(GOLD, PREDICTED, mode="strict", scheme=IOB2))


def test_sequences_are_gold_sentences_so_a_span_across_a_break_is_cut() -> None:
    gold = {"d": [["O", "B-PER"], ["B-PER", "O"]]}
    predicted = {"d": [["O", "B-PER"], ["I-PER", "O"]]}

    entities = score(gold, predicted, bootstrap=0)["entities"]

    assert counts(entities["default"]) == {"PER": (2, 0, 0)}
    assert counts(entities["strict"]) == {"PER": (1, 0, 1)}


TAGS = st.sampled_from(["O", "O", "O", "B-PER", "I-PER", "B-LOC", "I-LOC", "I-ORG"])


@st.composite
def tagged_documents(draw: st.DrawFn) -> tuple[dict[str, list[list[str]]], dict[str, list[list[str]]]]:
    shapes = draw(st.lists(st.lists(st.integers(1, 7), min_size=1, max_size=3), min_size=1, max_size=4))
    gold = {
        f"d{i}": [draw(st.lists(TAGS, min_size=n, max_size=n)) for n in shape]
        for i, shape in enumerate(shapes)
    }
    predicted = {
        doc: [draw(st.lists(TAGS, min_size=len(s), max_size=len(s))) for s in gold[doc]] for doc in gold
    }
    return gold, predicted


@settings(max_examples=60, deadline=None)
@given(tagged_documents())
def test_any_tags_well_formed_or_not_score_as_in_seqeval(documents: tuple[dict, dict]) -> None:
    gold, predicted = documents
    entities = score(gold, predicted, bootstrap=0)["entities"]

    assert_same_as_seqeval(entities["default"], seqeval(gold, predicted))
    assert_same_as_seqeval(entities["strict"], seqeval(gold, predicted, mode="strict", scheme=IOB2))


def seqeval_chunks(sentences: list[list[str]], strict: bool) -> set[tuple[Any, ...]]:
    """Seqeval's own chunks: ``get_entities`` (default mode) or ``Entities`` with IOB2 (strict mode)."""
    if not strict:
        return set(get_entities(sentences))
    return {(e.tag, e.sent_id, e.start, e.end) for found in Entities(sentences, IOB2).entities for e in found}


@settings(max_examples=60, deadline=None)
@given(tagged_documents())
def test_per_document_counts_are_seqevals_chunks_document_by_document(documents: tuple[dict, dict]) -> None:
    gold, predicted = documents
    counts = report(gold, predicted, bootstrap=0).counts
    labels = list(FEATURES["entities"].feature["label"].names)

    for mode in ("default", "strict"):
        for number, doc_id in enumerate(gold):
            true = seqeval_chunks(gold[doc_id], mode == "strict")
            pred = seqeval_chunks(predicted[doc_id], mode == "strict")
            expected = [[0, 0, 0] for _ in labels]
            for column, chunks in enumerate((true & pred, pred, true)):
                for chunk in chunks:
                    expected[labels.index(chunk[0])][column] += 1
            assert counts[mode][number].tolist() == expected, (mode, doc_id)


def test_without_any_entity_scores_are_zero_and_macro_is_null() -> None:
    report = score({"d": [["O", "O"]]}, {"d": [["O", "O"]]}, bootstrap=10)

    default = report["entities"]["default"]
    assert default["per_label"] == {}
    assert (default["micro"]["f1"], default["micro"]["support"]) == (0.0, 0)
    assert default["macro"]["f1"] is None
    json.dumps(report, allow_nan=False)


def test_the_coarse_view_merges_event_into_misc_and_drops_title_and_date() -> None:
    gold = {"d": [["B-EVENT", "I-EVENT", "O", "B-TITLE", "B-PER", "O", "B-DATE", "B-MISC"]]}
    predicted = {"d": [["B-MISC", "I-MISC", "O", "O", "B-PER", "O", "O", "B-EVENT"]]}

    full = score(gold, predicted, bootstrap=0)
    coarse = score(gold, predicted, coarse=True, bootstrap=0)

    assert coarse["view"] == "coarse"
    assert counts(coarse["entities"]["strict"]) == {"MISC": (2, 0, 0), "PER": (1, 0, 0)}
    assert counts(coarse["entities"]["default"]) == {"MISC": (2, 0, 0), "PER": (1, 0, 0)}
    assert counts(full["entities"]["strict"]) == {
        "DATE": (0, 0, 1),
        "EVENT": (0, 1, 1),
        "MISC": (0, 1, 1),
        "PER": (1, 0, 0),
        "TITLE": (0, 0, 1),
    }


def many_documents(seed: int) -> tuple[dict[str, list[list[str]]], dict[str, list[list[str]]]]:
    """Twenty documents with a PER per sentence; the prediction misses or mislabels some."""
    rng = random.Random(seed)
    gold, predicted = {}, {}
    for d in range(20):
        gold[f"d{d}"] = [["O", "B-PER", "I-PER", "O"] for _ in range(rng.randint(1, 4))]
        predicted[f"d{d}"] = [
            ["O", rng.choice(["B-PER", "B-PER", "B-LOC", "O"]), "I-PER", "O"] for _ in gold[f"d{d}"]
        ]
    return gold, predicted


def test_bootstrap_intervals_are_seeded_and_hold_the_point_estimate() -> None:
    gold, predicted = many_documents(0)

    first, again = score(gold, predicted, seed=7), score(gold, predicted, seed=7)
    other = score(gold, predicted, seed=8)

    for mode in ("default", "strict"):
        table = first["entities"][mode]
        low, high = table["micro_f1_ci95"]
        assert low <= table["micro"]["f1"] <= high
        assert low < high
        assert table["micro_f1_ci95"] == again["entities"][mode]["micro_f1_ci95"]
    assert first["entities"]["strict"]["micro_f1_ci95"] != other["entities"]["strict"]["micro_f1_ci95"]
    assert score(gold, predicted, bootstrap=0)["entities"]["strict"]["micro_f1_ci95"] is None


RELATION_GOLD = document(
    "r",
    [["B-TITLE", "B-PER", "I-PER", "O", "B-LOC"]],
    entities=(("T1", 0, 1, "TITLE"), ("T2", 1, 3, "PER"), ("T3", 4, 5, "LOC")),
    relations=(("T2", "T1", "HAS_TITLE"), ("T2", "T3", "VISITS")),
)


def test_a_relation_counts_only_with_its_label_and_both_spans_and_types_right(tmp_path: Path) -> None:
    reference = Dataset.from_list([RELATION_GOLD, {**RELATION_GOLD, "id": "s"}], features=FEATURES)
    title, per, loc = (
        {"start": e["start"], "end": e["end"], "label": e["label"]} for e in RELATION_GOLD["entities"]
    )
    lines = [
        # right VISITS; the reversed one is wrong; HAS_TITLE is missed
        {"id": "r", "entities": [title, per, loc], "relations": [{"head": 1, "tail": 2, "label": "VISITS"}]},
        # the head is typed ORG: both relations are wrong; "relations" absent for no relation is fine too
        {
            "id": "s",
            "entities": [title, {**per, "label": "ORG"}, loc],
            "relations": [
                {"head": 1, "tail": 2, "label": "VISITS"},
                {"head": 2, "tail": 1, "label": "VISITS"},
            ],
        },
    ]
    path = tmp_path / "predictions.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")

    relations = evaluate(reference, read_predictions(path, reference), bootstrap=0).to_dict()["relations"]

    assert counts(relations) == {"HAS_TITLE": (0, 0, 2), "VISITS": (1, 2, 1)}
    assert relations["per_label"]["VISITS"]["p"] == pytest.approx(1 / 3)
    assert relations["per_label"]["VISITS"]["r"] == 0.5
    assert (relations["micro"]["p"], relations["micro"]["r"]) == (pytest.approx(1 / 3), 0.25)
    assert relations["micro"]["f1"] == pytest.approx(2 * (1 / 3) * 0.25 / (1 / 3 + 0.25))


def test_boundaries_mode_ignores_argument_types_but_not_argument_spans(tmp_path: Path) -> None:
    reference = Dataset.from_list(
        [{**RELATION_GOLD, "id": doc_id} for doc_id in ("r", "s", "t")], features=FEATURES
    )
    title, per, loc = (
        {"start": e["start"], "end": e["end"], "label": e["label"]} for e in RELATION_GOLD["entities"]
    )
    short_per = {**per, "end": per["start"] + 2}  # "w1" of "w1 w2": one token of the gold's two
    lines = [
        # both right in both modes
        {
            "id": "r",
            "entities": [title, per, loc],
            "relations": [
                {"head": 1, "tail": 0, "label": "HAS_TITLE"},
                {"head": 1, "tail": 2, "label": "VISITS"},
            ],
        },
        # spans right, head typed ORG: right in boundaries mode only; the reversed VISITS is wrong in both
        {
            "id": "s",
            "entities": [title, {**per, "label": "ORG"}, loc],
            "relations": [
                {"head": 1, "tail": 2, "label": "VISITS"},
                {"head": 2, "tail": 1, "label": "VISITS"},
            ],
        },
        # head span one token short: wrong in both modes, with right types (HAS_TITLE) or not (VISITS)
        {
            "id": "t",
            "entities": [title, short_per, {**loc, "label": "ORG"}],
            "relations": [
                {"head": 1, "tail": 0, "label": "HAS_TITLE"},
                {"head": 1, "tail": 2, "label": "VISITS"},
            ],
        },
    ]
    path = tmp_path / "predictions.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")

    report = evaluate(reference, read_predictions(path, reference), bootstrap=0).to_dict()
    strict, boundaries = report["relations"], report["relations_boundaries"]

    # by hand: gold 3 x (HAS_TITLE, VISITS); strict right: r's two; boundaries right: also s's VISITS
    assert counts(strict) == {"HAS_TITLE": (1, 1, 2), "VISITS": (1, 3, 2)}
    assert counts(boundaries) == {"HAS_TITLE": (1, 1, 2), "VISITS": (2, 2, 1)}
    assert (strict["micro"]["tp"], strict["micro"]["fp"], strict["micro"]["fn"]) == (2, 4, 4)
    assert boundaries["micro"]["f1"] == pytest.approx(2 * 3 / (6 + 6))
    assert strict["micro"]["f1"] == pytest.approx(2 * 2 / (6 + 6))

    # a direct count over the character spans of the lines and of the gold gives the same true positives
    def key(head: dict, tail: dict, label: str, typed: bool) -> tuple:
        types = (head["label"], tail["label"]) if typed else ()
        return (head["start"], head["end"], tail["start"], tail["end"], label, *types)

    entity = {e["id"]: e for e in RELATION_GOLD["entities"]}
    for typed, table in ((True, strict), (False, boundaries)):
        gold = [
            key(entity[r["head"]], entity[r["tail"]], r["label"], typed) for r in RELATION_GOLD["relations"]
        ]
        right = sum(
            key(line["entities"][r["head"]], line["entities"][r["tail"]], r["label"], typed) in gold
            for line in lines
            for r in line["relations"]
        )
        assert table["micro"]["tp"] == right


def test_relations_are_null_without_a_format_for_them_or_in_the_coarse_view(tmp_path: Path) -> None:
    reference = Dataset.from_list([RELATION_GOLD], features=FEATURES)
    tags = Dataset.from_dict({"id": ["r"], "pred_tags": [["O"] * 5]})
    path = tmp_path / "predictions.jsonl"
    path.write_text('{"id": "r", "entities": []}\n', "utf-8")

    assert evaluate(reference, read_predictions(tags, reference)).relations is None
    assert evaluate(reference, read_predictions(path, reference), coarse=True).relations is None
    assert evaluate(reference, read_predictions(path, reference)).relations is not None


def test_predictions_read_against_another_split_are_refused() -> None:
    one = Dataset.from_list([document("a", [["O"]])], features=FEATURES)
    other = Dataset.from_list([document("b", [["O"]])], features=FEATURES)
    predicted = read_predictions(Dataset.from_dict({"id": ["a"], "pred_tags": [["O"]]}), one)

    with pytest.raises(ValueError, match="read against another gold split"):
        evaluate(other, predicted)


def gold_as_jsonl(path: Path, split: str) -> Path:
    """The gold of a shipped split written as a prediction file."""
    lines = []
    for doc in documents_of(load(split=split)):
        index = {span.id: k for k, span in enumerate(doc.entities)}
        lines.append(
            {
                "id": doc.id,
                "entities": [{"start": s.start, "end": s.end, "label": s.label} for s in doc.entities],
                "relations": [
                    {"head": index[r.head], "tail": index[r.tail], "label": r.label} for r in doc.relations
                ],
            }
        )
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")
    return path


def test_the_gold_of_the_test_split_scores_one_everywhere(tmp_path: Path) -> None:
    gold = load(split="test")
    report = evaluate(
        gold, read_predictions(gold_as_jsonl(tmp_path / "gold.jsonl", "test"), gold), bootstrap=50
    )

    for table in (*report.entities.values(), report.relations):
        assert table is not None
        assert (table.micro.p, table.micro.r, table.micro.f1) == (1.0, 1.0, 1.0)
        assert table.micro_f1_ci95 == (1.0, 1.0)
        assert all(row.f1 == 1.0 for row in table.per_label.values())
    assert (report.split, report.widened_spans, report.cut_spans, report.tokens) == (
        "test",
        0,
        0,
        sum(map(len, gold["tokens"])),
    )
    assert "Entities, strict mode (IOB2)" in format_report(report)


def test_eval_prints_the_tables_and_writes_the_json_report(tmp_path: Path) -> None:
    predictions = gold_as_jsonl(tmp_path / "gold.jsonl", "test")
    output = tmp_path / "out" / "report.json"

    result = CliRunner().invoke(
        main, ["eval", "--predictions", str(predictions), "--split", "test", "--output", str(output)]
    )

    assert result.exit_code == 0, result.output
    assert "Entities, default mode (conlleval-compatible)" in result.output
    assert "micro F1 95% CI [1.0000, 1.0000]" in result.output
    written = json.loads(output.read_text("utf-8"))
    assert written["entities"]["strict"]["micro"]["f1"] == 1.0
    assert written["relations"]["micro"]["f1"] == 1.0
    assert [path.name for path in output.parent.iterdir()] == ["report.json"]


def test_eval_on_bad_predictions_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    predictions = tmp_path / "predictions.jsonl"
    predictions.write_text('{"id": "no-such-document", "entities": []}\n', "utf-8")
    output = tmp_path / "report.json"

    result = CliRunner().invoke(main, ["eval", "--predictions", str(predictions), "--output", str(output)])

    assert result.exit_code == 1
    assert "unknown document id 'no-such-document': not in the test split" in result.output
    assert not output.exists()


def test_report_dict_has_the_contract_keys() -> None:
    report = score(GOLD, PREDICTED, bootstrap=20)

    assert {"split", "view", "documents", "tokens", "adjusted_spans", "entities", "relations"} <= set(report)
    assert report["adjusted_spans"] == {
        "widened_to_token_edges": 0,
        "cut_at_sentence_breaks": 0,
        "scored_as": "adjusted",
    }
    for mode in ("default", "strict"):
        assert set(report["entities"][mode]) == {"micro", "macro", "per_label", "micro_f1_ci95"}
        assert {"p", "r", "f1", "support"} <= set(report["entities"][mode]["micro"])
    assert (report["documents"], report["tokens"], report["relations"]) == (2, 18, None)


# One chunker, every adjustment counted


def test_the_coarse_view_maps_labels_before_chunking() -> None:
    gold = {"d": [["B-EVENT", "I-MISC", "O"]]}

    full = score(gold, gold, bootstrap=0)["entities"]
    coarse = score(gold, gold, coarse=True, bootstrap=0)["entities"]

    # Full view: I-MISC after B-EVENT opens a second chunk (default) or is no chunk (strict).
    assert counts(full["default"]) == {"EVENT": (1, 0, 0), "MISC": (1, 0, 0)}
    assert counts(full["strict"]) == {"EVENT": (1, 0, 0)}
    # Coarse view: B-MISC I-MISC, one chunk in both modes.
    assert counts(coarse["default"]) == counts(coarse["strict"]) == {"MISC": (1, 0, 0)}


def jsonl_report(tmp_path: Path, entities: list[dict[str, Any]], **options: Any) -> Report:
    """Gold: one document, sentences [w0 w1 w2] [w3 w4], PER over w0-w1 and LOC over w3; JSONL predictions."""
    gold = Dataset.from_list(
        [
            document(
                "d", [["B-PER", "I-PER", "O"], ["B-LOC", "O"]], (("T1", 0, 2, "PER"), ("T2", 3, 4, "LOC"))
            )
        ],
        features=FEATURES,
    )
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"id": "d", "entities": entities}) + "\n", "utf-8")
    return evaluate(gold, read_predictions(path, gold), bootstrap=0, **options)


def test_widened_and_cut_spans_are_counted_and_scored_wrong_with_strict_spans(tmp_path: Path) -> None:
    # Text "w0 w1 w2 w3 w4": w0 = [0, 2), w1 = [3, 5), w2 = [6, 8), w3 = [9, 11), w4 = [12, 14).
    # PER [1, 5) cuts into w0: widened to w0-w1, then an exact match. LOC [6, 11) covers w2 w3 across the
    # sentence break: cut into LOC(w2) and, in default mode, LOC(w3), a match; strict mode drops I-LOC(w3).
    entities = [{"start": 1, "end": 5, "label": "PER"}, {"start": 6, "end": 11, "label": "LOC"}]

    adjusted = jsonl_report(tmp_path, entities)
    wrong = jsonl_report(tmp_path, entities, strict_spans=True)

    assert (adjusted.widened_spans, adjusted.cut_spans) == (wrong.widened_spans, wrong.cut_spans) == (1, 1)
    # Default: predicted PER(w0-w1), LOC(w2), LOC(w3); gold PER(w0-w1), LOC(w3).
    assert counts(adjusted.to_dict()["entities"]["default"]) == {"PER": (1, 0, 0), "LOC": (1, 1, 0)}
    assert counts(adjusted.to_dict()["entities"]["strict"]) == {"PER": (1, 0, 0), "LOC": (0, 1, 1)}
    # Strict spans: the pieces of both adjusted spans are never true positives.
    assert counts(wrong.to_dict()["entities"]["default"]) == {"PER": (0, 1, 1), "LOC": (0, 2, 1)}
    assert counts(wrong.to_dict()["entities"]["strict"]) == {"PER": (0, 1, 1), "LOC": (0, 1, 1)}
    assert wrong.to_dict()["adjusted_spans"] == {
        "widened_to_token_edges": 1,
        "cut_at_sentence_breaks": 1,
        "scored_as": "wrong",
    }
    assert "1 widened to token edges, 1 cut at sentence breaks (scored as wrong)" in format_report(wrong)


def test_exact_spans_are_not_adjusted(tmp_path: Path) -> None:
    report = jsonl_report(tmp_path, [{"start": 0, "end": 5, "label": "PER"}], strict_spans=True)

    assert (report.widened_spans, report.cut_spans) == (0, 0)
    assert counts(report.to_dict()["entities"]["strict"]) == {"PER": (1, 0, 0), "LOC": (0, 0, 1)}


def test_score_tags_is_seqeval_on_sequences_cut_at_their_sentence_starts() -> None:
    gold = [flat(GOLD["d1"]), flat(GOLD["d2"])]
    predicted = [flat(PREDICTED["d1"]), flat(PREDICTED["d2"])]
    starts = [[0, 5], [0, 4, 7]]

    tables = score_tags(gold, predicted, starts)

    assert_same_as_seqeval(tables["default"].to_dict(), seqeval(GOLD, PREDICTED))
    assert_same_as_seqeval(tables["strict"].to_dict(), seqeval(GOLD, PREDICTED, mode="strict", scheme=IOB2))


COMMITTED = sorted((REPO / "eval" / "predictions").glob("*.jsonl"))


@pytest.mark.parametrize("path", COMMITTED, ids=lambda path: path.name)
def test_every_committed_prediction_file_scores_exactly_as_seqeval_called_directly(path: Path) -> None:
    split = path.name.split(".")[-2]
    gold = load(split=split)
    predicted = read_predictions(path, gold)
    names = gold.features["ner_tags"].feature.names
    true, pred = [], []
    for number, row in enumerate(gold):
        tags = predicted.document_tags(number)
        bounds = [*row["sentence_starts"], len(tags)]
        true += [[names[t] for t in row["ner_tags"][a:b]] for a, b in itertools.pairwise(bounds)]
        pred += [tags[a:b] for a, b in itertools.pairwise(bounds)]

    entities = evaluate(gold, predicted, bootstrap=0).to_dict()["entities"]

    for mode, options in (("default", {}), ("strict", {"mode": "strict", "scheme": IOB2})):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            direct = classification_report(true, pred, output_dict=True, zero_division=0, **options)
        assert_same_as_seqeval(entities[mode], direct)
        assert entities[mode]["micro"]["f1"] == f1_score(true, pred, zero_division=0, **options)


@pytest.mark.parametrize("path", COMMITTED, ids=lambda path: path.name)
def test_the_pre_annotations_of_a_prediction_file_are_the_chunks_scored(path: Path) -> None:
    gold = load(split=path.name.split(".")[-2])
    predicted = read_predictions(path, gold)
    report = evaluate(gold, predicted, bootstrap=0)

    for number, (row, document) in enumerate(zip(gold, predicted_documents(gold, predicted), strict=True)):
        tags = predicted.document_tags(number)
        bounds = [*row["sentence_starts"], len(tags)]
        scored = [  # seqeval's default-mode chunks, sentence by sentence, as character spans
            (row["token_offsets"][a + first]["start"], row["token_offsets"][a + last]["end"], label)
            for a, b in itertools.pairwise(bounds)
            for label, first, last in get_entities(tags[a:b])
        ]
        assert [(s.start, s.end, s.label) for s in document.entities] == scored
        assert len(scored) == report.counts["default"][number, :, 1].sum()


# Every document at once: --split all

# Three documents, folds 0, 0 and 1, one sentence each.
FOLD_GOLD = {
    "d1": (0, ["B-PER", "I-PER", "O", "B-LOC"]),
    "d2": (0, ["B-ORG", "O"]),
    "d3": (1, ["B-PER", "O", "B-LOC"]),
}
FOLD_PREDICTED = {
    "d1": ["B-PER", "I-PER", "O", "O"],  # TP 1, FN 1
    "d2": ["B-ORG", "O"],  # TP 1
    "d3": ["B-LOC", "O", "O"],  # FP 1, FN 2
}


def all_split(gold: dict[str, tuple[int, list[str]]]) -> Dataset:
    rows = [document(i, [tags], fold=fold) for i, (fold, tags) in gold.items()]
    return Dataset.from_list(rows, features=FEATURES, split=NamedSplit("all"))


def tagged(predicted: dict[str, list[str]], **columns: list) -> Dataset:
    return Dataset.from_dict({"id": list(predicted), "pred_tags": list(predicted.values()), **columns})


def test_the_per_fold_spread_is_each_folds_micro_f1_and_their_summary():
    gold = all_split(FOLD_GOLD)
    report = evaluate(gold, read_predictions(tagged(FOLD_PREDICTED), gold), bootstrap=0)
    # Fold 0: TP 2, FP 0, FN 1: F1 = 4 / 5. Fold 1: TP 0, FP 1, FN 2: F1 = 0. All: TP 2, FP 1, FN 3: 4 / 8.
    assert report.entities["strict"].micro.f1 == 0.5
    assert report.entities["strict"].micro.f1 == f1_score(
        [t for _, t in FOLD_GOLD.values()], list(FOLD_PREDICTED.values())
    )
    spread = report.to_dict()["folds"]
    assert spread["documents"] == {"0": 2, "1": 1}
    strict = spread["strict"]
    assert strict["per_fold"] == {"0": 0.8, "1": 0.0}
    assert (strict["min"], strict["max"], strict["mean"]) == (0.0, 0.8, 0.4)
    assert strict["std"] == pytest.approx(math.sqrt((0.4**2 + 0.4**2) / 1))  # sample std, n - 1 = 1
    printed = format_report(report)
    assert "Per-fold micro F1 (each fold's documents; std: sample, n - 1)" in printed
    assert "std                                0.5657" in printed
    assert report.to_dict()["out_of_fold_declared"] == 0


def test_a_single_split_has_no_fold_spread():
    gold = Dataset.from_list([document("d1", [["B-PER"]])], features=FEATURES, split=NamedSplit("test"))
    report = evaluate(gold, read_predictions(tagged({"d1": ["B-PER"]}), gold), bootstrap=0)
    assert report.folds is None and report.to_dict()["folds"] is None
    assert "Per-fold" not in format_report(report)


def test_declared_folds_must_be_each_documents_own_fold(tmp_path: Path):
    gold = all_split(FOLD_GOLD)
    right = read_predictions(tagged(FOLD_PREDICTED, fold=[0, 0, 1]), gold)
    assert right.folds_declared == 3
    assert "out-of-fold: 3 of 3 predictions declared" in format_report(evaluate(gold, right, bootstrap=0))
    with pytest.raises(InputError) as error:
        read_predictions(tagged(FOLD_PREDICTED, fold=[0, 1, 1]), gold)
    assert str(error.value.problems[0]).endswith(
        "row 1 (document d2): fold 1 declared, but the document is in fold 0: out-of-fold predictions of "
        "a document come from the model trained without its own fold"
    )
    path = tmp_path / "p.jsonl"
    path.write_text(
        '{"id": "d1", "fold": 0, "entities": []}\n{"id": "d2", "entities": []}\n'
        '{"id": "d3", "fold": "1", "entities": []}\n',
        "utf-8",
    )
    with pytest.raises(InputError, match=r"p.jsonl:3 \(document d3\): fold '1' declared"):
        read_predictions(path, gold)
    path.write_text(path.read_text().replace('"1"', "1"), "utf-8")
    assert read_predictions(path, gold).folds_declared == 2  # declaring is optional, line by line


def gold_all_jsonl(path: Path, *, relations: bool = True, folds: bool = True) -> Path:
    """Every shipped document's gold as a prediction line, with its fold."""
    lines = []
    whole = load(split="all")
    for doc, fold in zip(documents_of(whole), whole["fold"], strict=True):
        index = {span.id: k for k, span in enumerate(doc.entities)}
        line = {
            "id": doc.id,
            "entities": [{"start": s.start, "end": s.end, "label": s.label} for s in doc.entities],
        }
        if folds:
            line["fold"] = fold
        if relations:
            line["relations"] = [
                {"head": index[r.head], "tail": index[r.tail], "label": r.label} for r in doc.relations
            ]
        lines.append(line)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")
    return path


def test_eval_split_all_scores_every_entity_and_relation_of_the_corpus(tmp_path: Path):
    output = tmp_path / "report.json"
    result = CliRunner().invoke(
        main,
        [
            "eval",
            "--predictions",
            gold_all_jsonl(tmp_path / "all.jsonl"),
            "--split",
            "all",
            "--output",
            output,
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(output.read_text("utf-8"))
    assert (report["split"], report["documents"]) == ("all", 31)
    assert report["entities"]["strict"]["micro"]["support"] == 655  # the 1.1 gold: 392 + 129 + 134
    assert report["relations"]["micro"]["support"] == 259
    assert report["relations_boundaries"]["micro"]["support"] == 259
    assert report["folds"]["documents"] == {"0": 6, "1": 6, "2": 6, "3": 7, "4": 6}
    for score in ("strict", "relations", "relations_boundaries"):
        assert report["folds"][score]["per_fold"] == {str(f): 1.0 for f in range(5)}
    assert report["relations_boundaries"]["micro_f1_ci95"] == [1.0, 1.0]
    assert "Relations, strict mode (label, head and tail spans with their entity types)\n" in result.output
    assert "Relations, boundaries mode (label, head and tail spans; entity types ignored)\n" in result.output
    assert "relations strict F1    relations boundaries F1" in result.output
    assert report["out_of_fold_declared"] == 31
    assert "out-of-fold: 31 of 31 predictions declared" in result.output


def test_a_file_for_split_all_must_cover_every_document(tmp_path: Path):
    path = gold_all_jsonl(tmp_path / "all.jsonl")
    lines = path.read_text("utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-2]), "utf-8")
    missing = [json.loads(line)["id"] for line in lines[-2:]]
    result = CliRunner().invoke(main, ["eval", "--predictions", path, "--split", "all"])
    assert result.exit_code == 1
    assert (
        f"2 document(s) of the all split have no prediction: {', '.join(missing)} (every document of every "
        "split (--split all) needs one" in result.output
    )


def test_a_file_without_relations_says_no_relations_predicted_in_eval_and_compare(tmp_path: Path):
    path = gold_all_jsonl(tmp_path / "norel.all.jsonl", relations=False, folds=False)
    output = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["eval", "--predictions", path, "--split", "all", "--output", output])
    assert result.exit_code == 0, result.output
    assert "Relations, strict and boundaries modes\nno relations predicted (259 gold" in result.output
    assert "HAS_TITLE" not in result.output and "relations strict F1" not in result.output
    assert json.loads(output.read_text("utf-8"))["relations_predicted"] == 0
    compared = CliRunner().invoke(
        main,
        ["compare", str(path), str(path), "--split", "all", "--resamples", "100", "--permutations", "100"],
    )
    assert compared.exit_code == 0, compared.output
    # compare scores entities only: no table of zeros
    assert "relation" not in compared.output.replace(str(tmp_path), "").lower()
    assert "ΔF1 = F1(A) − F1(B) = +0.0000" in compared.output


def test_each_folds_score_is_seqevals_on_that_folds_sentences(tmp_path: Path):
    # The gold of every document, every second entity dropped and every third relabelled.
    whole = load(split="all")
    lines = []
    for doc in documents_of(whole):
        spans = [
            {"start": s.start, "end": s.end, "label": "MISC" if k % 3 == 0 else s.label}
            for k, s in enumerate(doc.entities)
            if k % 2
        ]
        lines.append(json.dumps({"id": doc.id, "entities": spans}))
    path = tmp_path / "p.all.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    predicted = read_predictions(path, whole)
    report = evaluate(whole, predicted, bootstrap=0)
    names = whole.features["ner_tags"].feature.names
    per_fold: dict[int, tuple[list, list]] = {}
    for number, row in enumerate(whole):
        tags = predicted.document_tags(number)
        bounds = [*row["sentence_starts"], len(tags)]
        true, pred = per_fold.setdefault(row["fold"], ([], []))
        true += [[names[t] for t in row["ner_tags"][a:b]] for a, b in itertools.pairwise(bounds)]
        pred += [tags[a:b] for a, b in itertools.pairwise(bounds)]
    assert report.folds is not None
    for mode, options in (("default", {}), ("strict", {"mode": "strict", "scheme": IOB2})):
        expected = {fold: f1_score(t, p, zero_division=0, **options) for fold, (t, p) in per_fold.items()}
        assert report.folds.f1[mode] == pytest.approx(expected, abs=1e-12)
        assert 0 < min(expected.values()) < max(expected.values()) < 1


# The command line scores the gold read with pyarrow alone; a library user passes load()'s Dataset


@pytest.mark.parametrize(
    ("system", "split", "coarse"),
    [
        ("crf", "test", False),
        ("relations_nearest", "validation", False),
        ("spacy_fr_core_news_sm", "test", True),
        ("spacy_ner_trained", "all", False),
    ],
)
def test_the_gold_read_without_datasets_scores_as_loads_dataset(
    system: str, split: str, coarse: bool
) -> None:
    from vna_ner.benchmark.document_spans import error_analyses
    from vna_ner.dataset.split_table import read_split_table

    path = Path(__file__).parent.parent / "eval" / "predictions" / f"{system}.{split}.jsonl"
    scored = []
    for gold in (load(split=split), read_split_table(split)):
        predictions = read_predictions(path, gold)
        report = evaluate(gold, predictions, coarse=coarse, bootstrap=50)
        analyses = error_analyses(gold, predictions, coarse=coarse)
        scored.append((report.to_dict(), {mode: a.to_dict() for mode, (_, a) in analyses.items()}))
    assert scored[0] == scored[1]
    assert scored[0][0]["entities"]["strict"]["micro"]["support"] > 0


def test_the_label_names_read_from_the_schema_are_the_features():
    from vna_ner.dataset.split_table import read_split_table, split_table

    for split in ("train", "all"):
        dataset = load(split=split)
        mine, theirs = read_split_table(split), split_table(dataset)
        assert (mine.tag_names, mine.entity_labels, mine.relation_labels) == (
            tuple(dataset.features["ner_tags"].feature.names),
            tuple(dataset.features["entities"].feature["label"].names),
            tuple(dataset.features["relations"].feature["label"].names),
        )
        assert mine.table.equals(theirs.table)
        assert (mine.split, theirs.split) == (split, split)
