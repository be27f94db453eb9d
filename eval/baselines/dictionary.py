"""Dictionary baseline: tag every token sequence that was a gold entity of the training documents with its
label there (the train split for validation and test; the other four folds for each fold's documents).

Matching is case-sensitive, on the dataset's tokens, left to right, longest match first; a sequence seen with
several labels gets its most frequent one (ties: the label first in alphabetical order). All 7 labels.

    python eval/baselines/dictionary.py
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from baseline_io import CharSpan, TokenizedDocument, prediction_line, run

SYSTEM = "dictionary"
Gazetteer = dict[tuple[str, ...], str]


def entity_tokens(document: TokenizedDocument, start: int, end: int) -> tuple[str, ...]:
    """The tokens of ``document`` that lie inside the character range ``[start, end)``."""
    return tuple(
        token
        for token, (s, e) in zip(document.tokens, document.offsets, strict=True)
        if s >= start and e <= end
    )


def build_gazetteer(documents: Iterable[TokenizedDocument]) -> Gazetteer:
    """Token sequence of every gold entity -> its most frequent label."""
    counts: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    for document in documents:
        for start, end, label in document.entities:
            key = entity_tokens(document, start, end)
            if key:
                counts[key][label] += 1
    return {key: min(labels, key=lambda label: (-labels[label], label)) for key, labels in counts.items()}


def match(gazetteer: Gazetteer, tokens: list[str]) -> list[tuple[int, int, str]]:
    """Token spans ``[first, last)`` with labels: left to right, the longest gazetteer entry at each token."""
    longest = max(map(len, gazetteer), default=0)
    spans = []
    i = 0
    while i < len(tokens):
        for length in range(min(longest, len(tokens) - i), 0, -1):
            label = gazetteer.get(tuple(tokens[i : i + length]))
            if label is not None:
                spans.append((i, i + length, label))
                i += length
                break
        else:
            i += 1
    return spans


def predict(gazetteer: Gazetteer, document: TokenizedDocument) -> list[CharSpan]:
    """Character spans of the gazetteer matches in ``document``."""
    return [
        (document.offsets[first][0], document.offsets[last - 1][1], label)
        for first, last, label in match(gazetteer, document.tokens)
    ]


def predict_lines(gazetteer: Gazetteer, documents: list[TokenizedDocument]) -> list[dict]:
    """The prediction lines of ``documents``."""
    return [prediction_line(document.id, predict(gazetteer, document)) for document in documents]


if __name__ == "__main__":
    run(SYSTEM, build_gazetteer, predict_lines)
