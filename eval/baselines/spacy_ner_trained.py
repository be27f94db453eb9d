"""Trained spaCy NER: fr_core_news_md's NER (its tok2vec and vectors) fine-tuned to the 7 labels.

Training follows ``spacy_ner_trained.cfg`` (fixed seed, CPU). On the train split (the model that predicts
validation and test), the checkpoint with the best validation entity F1 is kept (early stopping). Out of
fold (``all``), each fold's number of steps is chosen inside its own training folds: a model trained on
three of them, early-stopped on the fourth, gives the step of its best checkpoint, and the fold's model
trains that many steps on all four (last checkpoint). No held-out document chooses anything. Models are
trained in temporary folders and deleted (``--keep-model DIR`` keeps the train split's); only the
predictions are committed.

    python eval/baselines/spacy_ner_trained.py [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import spacy
from baseline_io import TokenizedDocument, load_documents, prediction_line, run
from spacy.cli.train import train
from spacy.language import Language
from spacy.tokens import DocBin
from spacy_docs import entity_spans, to_doc

SYSTEM = "spacy_ner_trained"
CONFIG = Path(__file__).with_name("spacy_ner_trained.cfg")


def write_corpus(documents: list[TokenizedDocument], path: Path) -> Path:
    """A DocBin of the documents' tokens with their gold entities, for spaCy's trainer."""
    vocab = spacy.blank("fr").vocab
    DocBin(docs=[to_doc(vocab, document, gold=True) for document in documents]).to_disk(path)
    return path


def train_model(
    documents: list[TokenizedDocument],
    folder: Path,
    dev: list[TokenizedDocument] | None = None,
    steps: int = 0,
) -> Path:
    """Train on ``documents`` in ``folder``: with ``dev``, early stopping on it (its best checkpoint); else
    ``steps`` steps (the last checkpoint). The model's folder."""
    overrides = {
        "paths.train": str(write_corpus(documents, folder / "train.spacy")),
        "paths.dev": str(write_corpus(dev or documents, folder / "dev.spacy")),
        "paths.log": str(folder / "log.jsonl"),
    }
    if dev is None:  # fixed steps, one evaluation (on the training documents, which chooses nothing)
        overrides |= {"training.max_steps": steps, "training.eval_frequency": steps, "training.patience": 0}
    train(CONFIG, folder / "model", overrides=overrides, use_gpu=-1)
    return folder / "model" / ("model-best" if dev is not None else "model-last")


def best_step(log: Path) -> int:
    """The step of the best checkpoint in a training log (the earliest of equal scores, as spaCy keeps it)."""
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    return max(records, key=lambda record: (record["score"], -record["step"]))["step"]


def fit(documents: list[TokenizedDocument]) -> Language:
    """A fold's model: steps chosen by early stopping on one of ``documents``' folds (a model of the other
    three), then that many steps on all of ``documents``; trained in temporary folders."""
    folds = sorted({document.fold for document in documents})
    held_out = min(set(range(folds[-1] + 2)) - set(folds))
    inner_dev = next((fold for fold in folds if fold > held_out), folds[0])
    with tempfile.TemporaryDirectory(prefix=f"{SYSTEM}-") as folder:
        train_model(
            [document for document in documents if document.fold != inner_dev],
            Path(folder),
            dev=[document for document in documents if document.fold == inner_dev],
        )
        steps = best_step(Path(folder) / "log.jsonl")
    print(f"{SYSTEM}: fold {held_out}: {steps} steps, chosen on fold {inner_dev}", flush=True)
    with tempfile.TemporaryDirectory(prefix=f"{SYSTEM}-") as folder:
        return spacy.load(train_model(documents, Path(folder), steps=max(steps, 1)))


def predict_lines(nlp: Language, documents: list[TokenizedDocument]) -> list[dict]:
    """The prediction lines of ``documents``."""
    docs = nlp.pipe(to_doc(nlp.vocab, document) for document in documents)
    return [
        prediction_line(document.id, entity_spans(document, doc))
        for document, doc in zip(documents, docs, strict=True)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--keep-model",
        type=Path,
        help="Folder to train the train split's model in and keep it (default: temp).",
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="Folds trained at once, in forked processes (same predictions)."
    )
    arguments = parser.parse_args()
    keep = arguments.keep_model

    def fit_train(documents: list[TokenizedDocument]) -> Language:
        """The train split's model, its checkpoint chosen on validation."""
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            return spacy.load(train_model(documents, keep, load_documents("validation")))
        with tempfile.TemporaryDirectory(prefix=f"{SYSTEM}-") as folder:
            return spacy.load(train_model(documents, Path(folder), load_documents("validation")))

    run(SYSTEM, fit, predict_lines, fit_train, arguments.jobs)


if __name__ == "__main__":
    main()
