"""spaCy's French pipelines out of the box (fr_core_news_sm, fr_core_news_md), scored on the coarse view.

Their NER labels PER, ORG, LOC and MISC are the coarse view's labels as they are. Only the ``ner`` component
runs (it has its own tok2vec, so the others do not change its output), over Docs of the dataset's tokens.
Nothing is trained: every fold, and every split, is predicted by the same pipeline.

    python eval/baselines/spacy_pretrained.py fr_core_news_sm
"""

from __future__ import annotations

import argparse

import spacy
from baseline_io import TokenizedDocument, prediction_line, run
from spacy.language import Language
from spacy_docs import entity_spans, to_doc

MODELS = ("fr_core_news_sm", "fr_core_news_md")
COARSE_LABELS = {"PER": "PER", "ORG": "ORG", "LOC": "LOC", "MISC": "MISC"}


def predict_lines(nlp: Language, documents: list[TokenizedDocument]) -> list[dict]:
    """The coarse-label prediction lines of ``documents``."""
    docs = nlp.pipe(to_doc(nlp.vocab, document) for document in documents)
    return [
        prediction_line(document.id, entity_spans(document, doc, COARSE_LABELS))
        for document, doc in zip(documents, docs, strict=True)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=MODELS)
    model = parser.parse_args().model
    spacy.util.fix_random_seed(0)
    nlp = spacy.load(model, enable=["ner"])
    run(f"spacy_{model}", lambda _documents: nlp, predict_lines)


if __name__ == "__main__":
    main()
