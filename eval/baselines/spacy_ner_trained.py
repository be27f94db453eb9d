"""Trained spaCy NER: fr_core_news_md's NER (its tok2vec and vectors) fine-tuned on TRAIN to the 7 labels.

Training follows ``spacy_ner_trained.cfg``: fixed seed, CPU, the checkpoint with the best validation entity F1
is kept (early stopping). The model is written to a temporary folder and deleted (``--keep-model DIR`` keeps
it); only the predictions are committed.

    python eval/baselines/spacy_ner_trained.py
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import spacy
from baseline_io import (
    PREDICTED_SPLITS,
    TokenizedDocument,
    prediction_line,
    timed,
    tokenized_documents,
    write_predictions,
    write_throughput,
)
from spacy.cli.train import train
from spacy.tokens import DocBin
from spacy_docs import entity_spans, to_doc

SYSTEM = "spacy_ner_trained"
CONFIG = Path(__file__).with_name("spacy_ner_trained.cfg")


def write_corpus(documents: list[TokenizedDocument], path: Path) -> Path:
    """A DocBin of the documents' tokens with their gold entities, for spaCy's trainer."""
    vocab = spacy.blank("fr").vocab
    DocBin(docs=[to_doc(vocab, document, gold=True) for document in documents]).to_disk(path)
    return path


def train_model(config: Path, folder: Path) -> Path:
    """Train on TRAIN, select on VALIDATION; the path of the best checkpoint."""
    import vna_ner

    corpora = {
        f"paths.{name}": str(
            write_corpus(tokenized_documents(vna_ner.load(split=split)), folder / f"{name}.spacy")
        )
        for name, split in (("train", "train"), ("dev", "validation"))
    }
    train(config, folder / "model", overrides=corpora, use_gpu=-1)
    return folder / "model" / "model-best"


def predict_splits(model: Path) -> None:
    """Write the predictions and throughput of the model at ``model`` on the predicted splits."""
    import vna_ner

    nlp = spacy.load(model)
    for split in PREDICTED_SPLITS:
        documents = tokenized_documents(vna_ner.load(split=split))

        def predict(documents=documents):
            docs = nlp.pipe(to_doc(nlp.vocab, document) for document in documents)
            return [entity_spans(d, doc) for d, doc in zip(documents, docs, strict=True)]

        predicted, seconds = timed(predict)
        lines = [prediction_line(d.id, spans) for d, spans in zip(documents, predicted, strict=True)]
        print(write_predictions(SYSTEM, split, lines), write_throughput(SYSTEM, split, documents, seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument(
        "--keep-model", type=Path, help="Folder to train in and keep the model (default: temp)."
    )
    arguments = parser.parse_args()
    if arguments.keep_model:
        arguments.keep_model.mkdir(parents=True, exist_ok=True)
        predict_splits(train_model(arguments.config, arguments.keep_model))
        return
    with tempfile.TemporaryDirectory(prefix="spacy_ner_trained-") as folder:
        predict_splits(train_model(arguments.config, Path(folder)))


if __name__ == "__main__":
    main()
