"""Relation classifier: logistic regression (scikit-learn) over the ordered entity pairs of a sentence.

Every ordered pair of entities in one sentence whose label pair is the argument pair of some relation of the
training documents is a candidate; :func:`pair_features` describes it (the two labels, which comes first,
their distance in tokens, how many entities and which labels lie between, the words between outside
entities, the words just before and after); the classifier, trained on the training documents' gold
entities and relations (``NONE`` for unrelated candidates), gives each candidate a relation or ``NONE``.
A relation is kept only for a label pair it was seen with in training. Relations across sentences (about
one in twelve in the gold) are never predicted.

Run as a script, it is the gold-entity system ``relation_classifier`` (given the predicted documents' gold
entities, so its entity scores are not a result); :mod:`crf` uses it end to end on its own entities.

    python eval/baselines/relation_classifier.py
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from baseline_io import CharSpan, TokenizedDocument, prediction_line, run
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression

SYSTEM = "relation_classifier"
NONE = "NONE"
C = 1.0
DISTANCES = (0, 1, 2, 3, 5, 8, 13, 21)
"""Upper edges of the token-distance buckets."""

Relation = tuple[int, int, str]


@dataclass(frozen=True)
class Model:
    """The fitted feature map and classifier, and the (head label, tail label, relation) triples seen."""

    vectorizer: DictVectorizer
    classifier: LogisticRegression
    allowed: frozenset[tuple[str, str, str]]

    @property
    def label_pairs(self) -> frozenset[tuple[str, str]]:
        return frozenset((head, tail) for head, tail, _ in self.allowed)


def _token_range(document: TokenizedDocument, start: int, end: int) -> tuple[int, int]:
    """Tokens ``[first, last)`` of ``document`` inside the character range ``[start, end)``."""
    starts = [s for s, _ in document.offsets]
    return bisect.bisect_left(starts, start), bisect.bisect_left(starts, end)


def candidates(document: TokenizedDocument, entities: Sequence[CharSpan], label_pairs: frozenset) -> list:
    """Ordered pairs ``(head, tail)`` of indices into ``entities``, in one sentence, of a label pair given."""
    ends = [end for _, end in document.sentences()]
    sentence = [bisect.bisect_left(ends, start + 1) for start, _, _ in entities]
    return [
        (head, tail)
        for head, tail in itertools.permutations(range(len(entities)), 2)
        if sentence[head] == sentence[tail] and (entities[head][2], entities[tail][2]) in label_pairs
    ]


def _bucket(distance: int) -> str:
    return str(next((edge for edge in DISTANCES if distance <= edge), "more"))


def pair_features(
    document: TokenizedDocument, entities: Sequence[CharSpan], head: int, tail: int
) -> dict[str, str | bool]:
    """The features of the candidate ``head`` -> ``tail`` (see the module docstring)."""
    first, second = sorted((head, tail), key=lambda i: entities[i][0])
    left, right = _token_range(document, *entities[first][:2]), _token_range(document, *entities[second][:2])
    between = [e for e in entities if e[0] >= entities[first][1] and e[1] <= entities[second][0]]
    inside = {i for s, e, _ in between for i in range(*_token_range(document, s, e))}
    words = [document.tokens[i].lower() for i in range(left[1], right[0]) if i not in inside]
    pair = f"{entities[head][2]}>{entities[tail][2]}"
    features: dict[str, str | bool] = {
        "pair": pair,
        "head_first": head == first,
        "distance": _bucket(right[0] - left[1]),
        "entities_between": _bucket(len(between)),
        "pair_entities_between": f"{pair}|{_bucket(len(between))}",
        "before": document.tokens[left[0] - 1].lower() if left[0] > 0 else "<s>",
        "after": document.tokens[right[1]].lower() if right[1] < len(document.tokens) else "</s>",
        "first_word": words[0] if words else "<none>",
        "last_word": words[-1] if words else "<none>",
    }
    features |= {f"word={word}": True for word in words}
    features |= {f"label_between={label}": True for _, _, label in between}
    return features


def fit(documents: list[TokenizedDocument]) -> Model:
    """The classifier of the gold entities and relations of ``documents``."""
    allowed = frozenset(
        (d.entities[h][2], d.entities[t][2], label) for d in documents for h, t, label in d.relations
    )
    label_pairs = frozenset((head, tail) for head, tail, _ in allowed)
    features, labels = [], []
    for document in documents:
        gold = {(h, t): label for h, t, label in document.relations}
        for head, tail in candidates(document, document.entities, label_pairs):
            features.append(pair_features(document, document.entities, head, tail))
            labels.append(gold.get((head, tail), NONE))
    vectorizer = DictVectorizer()
    classifier = LogisticRegression(C=C, max_iter=2000)
    classifier.fit(vectorizer.fit_transform(features), labels)
    return Model(vectorizer, classifier, allowed)


def predict(model: Model, document: TokenizedDocument, entities: Sequence[CharSpan]) -> list[Relation]:
    """Relations among ``entities`` of ``document`` (indices into ``entities`` as given)."""
    pairs = candidates(document, entities, model.label_pairs)
    if not pairs:
        return []
    labels = model.classifier.predict(
        model.vectorizer.transform([pair_features(document, entities, head, tail) for head, tail in pairs])
    )
    return [
        (head, tail, str(label))
        for (head, tail), label in zip(pairs, labels, strict=True)
        if (entities[head][2], entities[tail][2], label) in model.allowed
    ]


def predict_lines(model: Model, documents: list[TokenizedDocument]) -> list[dict]:
    """The prediction lines of ``documents``: their gold entities, sorted, and the relations found."""
    lines = []
    for document in documents:
        entities = sorted(document.entities)
        lines.append(prediction_line(document.id, entities, predict(model, document, entities)))
    return lines


if __name__ == "__main__":
    run(SYSTEM, fit, predict_lines)
