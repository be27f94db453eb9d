"""CRF baseline: a linear-chain CRF (``sklearn-crfsuite``) over the dataset's tokens, sentence by sentence,
with classic word-shape and context features; all 7 labels, IOB2.

Features of a token (:func:`token_features`): its lower-cased form, 2- and 3-letter suffixes, 3-letter
prefix, whether it is title-case, upper-case or digits, its shape (``Xxxx``, ``dd``), and the same facts but
the affixes for its neighbours at -2 .. +2 (``BOS``/``EOS`` at sentence edges). Training: L-BFGS, at most
``MAX_ITERATIONS`` iterations; the L1/L2 weights ``c1``/``c2`` are chosen from :data:`GRID` (fixed
beforehand) by cross-validation INSIDE the training documents, grouped by their fold, on strict micro F1: no
document the model predicts is read to choose them. Predicted tags become chunks by the package's chunker
(seqeval's rule), sentence by sentence.

End to end, the same training documents also train the relation classifier
(:mod:`relation_classifier`), which then links the CRF's predicted entities: this system's relation
scores are end-to-end.

    python eval/baselines/crf.py
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import relation_classifier
from baseline_io import CharSpan, TokenizedDocument, gold_tags, prediction_line, run, sentence_bounds
from seqeval.metrics import f1_score
from seqeval.scheme import IOB2
from sklearn_crfsuite import CRF

from vna_ner.dataset.chunks import chunks

SYSTEM = "crf"
MAX_ITERATIONS = 100
GRID = tuple(itertools.product((0.05, 0.25), (0.01, 0.1)))
"""The (c1, c2) pairs the inner cross-validation tries."""


def _character_class(character: str) -> str:
    if character.isupper():
        return "X"
    if character.islower():
        return "x"
    return "d" if character.isdigit() else character


def shape(token: str) -> str:
    """``Hanoi`` -> ``Xx``, ``2025`` -> ``d``, ``ASEAN-5`` -> ``X-d``: character classes, runs collapsed."""
    return "".join(letter for letter, _ in itertools.groupby(map(_character_class, token)))


def _word(token: str, prefix: str) -> dict[str, str | bool]:
    return {
        f"{prefix}lower": token.lower(),
        f"{prefix}title": token.istitle(),
        f"{prefix}upper": token.isupper(),
        f"{prefix}digit": token.isdigit(),
        f"{prefix}shape": shape(token),
    }


def token_features(tokens: list[str], i: int) -> dict[str, str | bool]:
    """The features of ``tokens[i]`` in its sentence ``tokens`` (see the module docstring)."""
    token = tokens[i]
    features: dict[str, str | bool] = {
        "bias": True,
        **_word(token, ""),
        "suffix2": token[-2:],
        "suffix3": token[-3:],
        "prefix3": token[:3],
    }
    for offset in (-2, -1, 1, 2):
        j = i + offset
        if 0 <= j < len(tokens):
            features |= _word(tokens[j], f"{offset:+d}:")
        else:
            features[f"{offset:+d}:{'BOS' if j < 0 else 'EOS'}"] = True
    return features


def sequences(documents: list[TokenizedDocument]) -> tuple[list[list[dict]], list[list[str]]]:
    """Features and gold tags of every sentence of ``documents``."""
    features, tags = [], []
    for document in documents:
        document_tags = gold_tags(document)
        for first, end in sentence_bounds(document):
            words = document.tokens[first:end]
            features.append([token_features(words, i) for i in range(len(words))])
            tags.append(document_tags[first:end])
    return features, tags


def train_crf(documents: list[TokenizedDocument], c1: float, c2: float) -> CRF:
    """A CRF trained on the sentences of ``documents`` with L1/L2 weights ``c1``, ``c2``."""
    crf = CRF(algorithm="lbfgs", c1=c1, c2=c2, max_iterations=MAX_ITERATIONS, all_possible_transitions=True)
    crf.fit(*sequences(documents))
    return crf


def choose_weights(documents: list[TokenizedDocument]) -> tuple[float, float]:
    """The (c1, c2) of :data:`GRID` with the best strict micro F1 in a cross-validation of ``documents``
    grouped by their fold (the first in the grid on a tie, or with fewer than two folds)."""
    folds = sorted({document.fold for document in documents})
    if len(folds) < 2:
        return GRID[0]

    def score(c1: float, c2: float) -> float:
        gold, predicted = [], []
        for fold in folds:
            held_out = [document for document in documents if document.fold == fold]
            crf = train_crf([document for document in documents if document.fold != fold], c1, c2)
            features, tags = sequences(held_out)
            gold += tags
            predicted += [crf.predict_single(sentence) for sentence in features]
        return f1_score(gold, predicted, mode="strict", scheme=IOB2)

    scores = [score(c1, c2) for c1, c2 in GRID]
    return GRID[scores.index(max(scores))]


@dataclass(frozen=True)
class Model:
    """The CRF and the relation classifier trained on the same documents."""

    crf: CRF
    relations: relation_classifier.Model


def fit(documents: list[TokenizedDocument]) -> Model:
    """The CRF (weights chosen inside ``documents``) and the relation classifier, both from ``documents``."""
    return Model(train_crf(documents, *choose_weights(documents)), relation_classifier.fit(documents))


def predict_entities(crf: CRF, document: TokenizedDocument) -> list[CharSpan]:
    """Character spans of the CRF's chunks in ``document``, sorted."""
    tags: list[str] = []
    for first, end in sentence_bounds(document):
        words = document.tokens[first:end]
        tags += crf.predict_single([token_features(words, i) for i in range(len(words))])
    return [
        (document.offsets[chunk.first][0], document.offsets[chunk.end - 1][1], chunk.label)
        for chunk in chunks(tags, document.sentence_starts)
    ]


def predict_lines(model: Model, documents: list[TokenizedDocument]) -> list[dict]:
    """The prediction lines of ``documents``: the CRF's entities and the classifier's relations over them."""
    lines = []
    for document in documents:
        entities = predict_entities(model.crf, document)
        lines.append(
            prediction_line(
                document.id, entities, relation_classifier.predict(model.relations, document, entities)
            )
        )
    return lines


if __name__ == "__main__":
    run(SYSTEM, fit, predict_lines)
