"""Time the evaluation harness on ~1,000,000 synthetic tokens against one bare seqeval call on the same tags.

Builds a seeded synthetic gold split and a noisy JSONL prediction file for it, then times, in one run:
the harness (``read_predictions`` + ``evaluate`` without bootstrap: both entity modes, relations), the
bootstrap alone, and ``seqeval.metrics.classification_report(output_dict=True)`` on the same per-sentence
tag sequences, default mode (the target: harness / bare < 1.5) and strict mode (for reference).

    python benchmarks/eval_scale.py [--tokens 1000000] [--seed 0] [--resamples 1000]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from datasets import Dataset
from seqeval.metrics import classification_report
from seqeval.scheme import IOB2

from vna_ner.benchmark.evaluate import evaluate
from vna_ner.benchmark.predictions import read_predictions
from vna_ner.dataset.features import document_features
from vna_ner.labelstudio.schema import load_schema

ROOT = Path(__file__).resolve().parent.parent
SENTENCE, SENTENCES = 25, 10
WORDS = [
    "le",
    "président",
    "Nguyen",
    "a",
    "visité",
    "Hanoï",
    "du",
    "18",
    "septembre",
    "avec",
    "la",
    "délégation",
]


def synthetic_document(rng: random.Random, doc_id: str, labels: tuple[str, ...]) -> tuple[dict, dict]:
    """A gold row and its prediction line: entities kept, cut, relabelled, missed, or invented."""
    words = [rng.choice(WORDS) for _ in range(SENTENCE * SENTENCES)]
    starts = list(itertools.accumulate((len(w) + 1 for w in words[:-1]), initial=0))
    ends = [s + len(w) for s, w in zip(starts, words, strict=True)]
    tags, entities, predicted = ["O"] * len(words), [], []
    i = 0
    while i < len(words):
        sentence_end = (i // SENTENCE + 1) * SENTENCE
        if rng.random() < 0.12:
            end = min(i + rng.choice((1, 1, 2, 3)), sentence_end)
            label = rng.choice(labels)
            tags[i:end] = [f"B-{label}"] + [f"I-{label}"] * (end - i - 1)
            entities.append(
                {"id": f"T{len(entities)}", "start": starts[i], "end": ends[end - 1], "label": label}
            )
            fate = rng.random()
            if fate < 0.70:
                predicted.append({"start": starts[i], "end": ends[end - 1], "label": label})
            elif fate < 0.78:
                cut = ends[max(i, end - 2)]
                predicted.append({"start": min(starts[i] + 1, cut - 1), "end": cut, "label": label})
            elif fate < 0.88:
                predicted.append({"start": starts[i], "end": ends[end - 1], "label": rng.choice(labels)})
            i = end + 1
        else:
            if rng.random() < 0.01:
                predicted.append({"start": starts[i], "end": ends[i], "label": rng.choice(labels)})
            i += 1
    relations = [
        {"head": f"T{k}", "tail": f"T{k + 1}", "label": "MEETS"} for k in range(0, len(entities) - 1, 4)
    ]
    row = {
        "id": doc_id,
        "fold": 0,
        "text": " ".join(words),
        "tokens": words,
        "token_offsets": [{"start": s, "end": e} for s, e in zip(starts, ends, strict=True)],
        "ner_tags": tags,
        "sentence_starts": list(range(0, len(words), SENTENCE)),
        "entities": [{**e, "text": ""} for e in entities],
        "relations": relations,
        "provenance": [],
    }
    line = {
        "id": doc_id,
        "entities": predicted,
        "relations": [{"head": k, "tail": k + 1, "label": "MEETS"} for k in range(0, len(predicted) - 1, 4)],
    }
    return row, line


def timed(function: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()

    schema = load_schema(ROOT / "annotations" / "labeling_config.xml")
    rng = random.Random(args.seed)
    count = max(1, args.tokens // (SENTENCE * SENTENCES))
    rows, lines = zip(
        *(synthetic_document(rng, f"doc{n:06d}", schema.entity_labels) for n in range(count)), strict=True
    )
    gold = Dataset.from_list(list(rows), features=document_features(schema))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "predictions.jsonl"
        path.write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")

        predictions, read_time = timed(read_predictions, path, gold)
        report, evaluate_time = timed(evaluate, gold, predictions, bootstrap=0)
        _, with_bootstrap = timed(evaluate, gold, predictions, bootstrap=args.resamples, seed=args.seed)

    names = gold.features["ner_tags"].feature.names
    y_true, y_pred = [], []
    for number, tags in enumerate(gold["ner_tags"]):
        predicted = predictions.document_tags(number)
        for first in range(0, len(tags), SENTENCE):
            y_true.append([names[t] for t in tags[first : first + SENTENCE]])
            y_pred.append(predicted[first : first + SENTENCE])
    bare, bare_time = timed(classification_report, y_true, y_pred, output_dict=True, zero_division=0)
    _, strict_time = timed(
        classification_report, y_true, y_pred, output_dict=True, zero_division=0, mode="strict", scheme=IOB2
    )
    assert report.entities["default"].micro.f1 == bare["micro avg"]["f1-score"], (
        "harness and seqeval disagree"
    )

    harness = read_time + evaluate_time
    tokens = sum(map(len, y_true))
    print(f"{count} documents, {tokens} tokens, seed {args.seed}, {predictions.widened_spans} widened spans")
    print(
        f"harness: read {read_time:.2f} s + evaluate {evaluate_time:.2f} s = {harness:.2f} s (no bootstrap)"
    )
    print(f"evaluate with a {args.resamples}-resample bootstrap: {with_bootstrap:.2f} s")
    print(f"bare seqeval classification_report: default {bare_time:.2f} s, strict {strict_time:.2f} s")
    print(f"ratio harness / one bare default call: {harness / bare_time:.2f} (target < 1.5)")
    print(f"ratio harness / bare default + strict calls: {harness / (bare_time + strict_time):.2f}")


if __name__ == "__main__":
    main()
