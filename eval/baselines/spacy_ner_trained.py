"""Trained spaCy NER: fr_core_news_md's NER (its tok2vec and vectors) fine-tuned to the 7 labels.

Training follows ``spacy_ner_trained.cfg`` (fixed seed, CPU). On the train split (the model that predicts
validation and test), the checkpoint with the best validation entity F1 is kept (early stopping). Out of
fold (``all``), each fold's model trains on the other four folds for a fixed ``FOLD_STEPS`` steps and the
last checkpoint is kept: no held-out document chooses anything. Models are trained in temporary folders and
deleted (``--keep-model DIR`` keeps the train split's); only the predictions are committed.

    python eval/baselines/spacy_ner_trained.py [--jobs 2]
"""

from __future__ import annotations

import argparse
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
FOLD_STEPS = 400
"""Training steps of each fold's model, fixed beforehand by the CPU budget of five trainings on 2 shared
cores (the train split's model, with early stopping, ran about 900 steps)."""


def write_corpus(documents: list[TokenizedDocument], path: Path) -> Path:
    """A DocBin of the documents' tokens with their gold entities, for spaCy's trainer."""
    vocab = spacy.blank("fr").vocab
    DocBin(docs=[to_doc(vocab, document, gold=True) for document in documents]).to_disk(path)
    return path


def train_model(
    documents: list[TokenizedDocument], folder: Path, dev: list[TokenizedDocument] | None = None
) -> Language:
    """Train on ``documents`` in ``folder``: with ``dev``, its best checkpoint; else ``FOLD_STEPS`` steps."""
    overrides = {
        "paths.train": str(write_corpus(documents, folder / "train.spacy")),
        "paths.dev": str(write_corpus(dev or documents, folder / "dev.spacy")),
    }
    if dev is None:  # fixed steps, one evaluation (on the training documents, which chooses nothing)
        overrides |= {"training.max_steps": FOLD_STEPS, "training.eval_frequency": FOLD_STEPS}
        overrides |= {"training.patience": 0}
    train(CONFIG, folder / "model", overrides=overrides, use_gpu=-1)
    return spacy.load(folder / "model" / ("model-best" if dev is not None else "model-last"))


def fit(documents: list[TokenizedDocument]) -> Language:
    """A fold's model: ``FOLD_STEPS`` steps on ``documents``, trained in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix=f"{SYSTEM}-") as folder:
        return train_model(documents, Path(folder))


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
            return train_model(documents, keep, load_documents("validation"))
        with tempfile.TemporaryDirectory(prefix=f"{SYSTEM}-") as folder:
            return train_model(documents, Path(folder), load_documents("validation"))

    run(SYSTEM, fit, predict_lines, fit_train, arguments.jobs)


if __name__ == "__main__":
    main()
