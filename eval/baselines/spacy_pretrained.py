"""spaCy's French pipelines out of the box (fr_core_news_sm, fr_core_news_md), scored on the coarse view.

Their NER labels PER, ORG, LOC and MISC are the coarse view's labels as they are. Only the ``ner`` component
runs (it has its own tok2vec, so the others do not change its output), over Docs of the dataset's tokens.

    python eval/baselines/spacy_pretrained.py fr_core_news_sm
"""

from __future__ import annotations

import argparse

import spacy
from baseline_io import (
    PREDICTED_SPLITS,
    prediction_line,
    timed,
    tokenized_documents,
    write_predictions,
    write_throughput,
)
from spacy_docs import entity_spans, to_doc

MODELS = ("fr_core_news_sm", "fr_core_news_md")
COARSE_LABELS = {"PER": "PER", "ORG": "ORG", "LOC": "LOC", "MISC": "MISC"}


def main() -> None:
    import vna_ner

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=MODELS)
    model = parser.parse_args().model
    spacy.util.fix_random_seed(0)
    nlp = spacy.load(model, enable=["ner"])
    system = f"spacy_{model}"
    for split in PREDICTED_SPLITS:
        documents = tokenized_documents(vna_ner.load(split=split))

        def predict(documents=documents):
            docs = nlp.pipe(to_doc(nlp.vocab, document) for document in documents)
            return [entity_spans(d, doc, COARSE_LABELS) for d, doc in zip(documents, docs, strict=True)]

        predicted, seconds = timed(predict)
        lines = [prediction_line(d.id, spans) for d, spans in zip(documents, predicted, strict=True)]
        print(write_predictions(system, split, lines), write_throughput(system, split, documents, seconds))


if __name__ == "__main__":
    main()
