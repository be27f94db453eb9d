"""Relation baseline on GOLD entities: nearest-neighbour and pattern rules inside each sentence, with every
word list learned by :func:`learn_rules` from the gold relations of the training documents (the train split
for validation and test; the other four folds for each fold's documents), nothing typed in by hand.

It is given the gold entities of the split it predicts (its entity scores are not a result) and adds:

- HAS_TITLE: each TITLE -> the nearest PER in its sentence (by characters; a tie goes to the PER after it),
  written PER -> TITLE.
- WORKS_FOR: PER -> ORG when a TITLE of that PER (above) is followed directly by the ORG, joined only by a
  connector learned from train (the text between a TITLE and the ORG its PER works for: ``de l’``, ``du`` …).
- ALIAS_OF: ``X (Y)`` with X and Y of the same label and Y an acronym (all capitals): Y -> X.
- LOCATED_IN: ``X (Y)`` with X an ORG, LOC or EVENT and Y a LOC that is not an acronym: X -> Y.
- MEETS: two PER in a sentence, no PER between, whose gap holds a meeting cue: first PER -> second PER.
- VISITS: each LOC and the last PER before it in its sentence, when their gap holds a visit cue and its last
  word is a preposition learned from train (``au``, ``à`` …): PER -> LOC.

A gap is the words between two entities, outside every entity (so no cue is a name, a date or a title).
Cues are its word n-grams (1 to 3 words, lower-cased) in the candidate pairs of train, kept when they occur
in at least ``MIN_SUPPORT`` related pairs and at least ``MIN_PRECISION`` of the candidate pairs holding them
are related; only the shortest such n-grams are kept. No predicted document's text is read to make a rule.

    python eval/baselines/relations_nearest.py
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from baseline_io import CharSpan, TokenizedDocument, prediction_line, run

SYSTEM = "relations_nearest"
IndexedRelation = tuple[int, int, str]
MIN_SUPPORT, MIN_PRECISION, LONGEST = 2, 0.8, 3

_WORD = re.compile(r"\w+(?:['’]\w+)*['’]?")
_PARENTHESIS = re.compile(r"\s*\(\s*")


@dataclass(frozen=True)
class Rules:
    """The word lists the rules use, learned from gold relations."""

    connectors: frozenset[str]
    meeting: frozenset[tuple[str, ...]]
    visit: frozenset[tuple[str, ...]]
    to: frozenset[str]


def words(text: str) -> list[str]:
    """Lower-cased words of ``text``, apostrophes normalised to ``'`` and kept with their word (``l'``)."""
    return [word.replace("’", "'") for word in _WORD.findall(text.lower())]


Gap = list[list[str]]


def gap(text: str, entities: Sequence[CharSpan], first: int, second: int) -> Gap:
    """The words between entities ``first`` and ``second``, one list per stretch outside every entity."""
    start, end = entities[first][1], entities[second][0]
    inside = sorted((max(s, start), min(e, end)) for s, e, _ in entities if s < end and e > start)
    edges = [start, *(x for pair in inside for x in pair), end]
    return [words(text[a:b]) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _ngrams(stretches: Gap) -> set[tuple[str, ...]]:
    return {
        tuple(tokens[i : i + n])
        for tokens in stretches
        for n in range(1, LONGEST + 1)
        for i in range(len(tokens) - n + 1)
    }


def _contains(stretches: Gap, cue: tuple[str, ...]) -> bool:
    return cue in _ngrams(stretches) if len(cue) <= LONGEST else False


def learn_cues(examples: Iterable[tuple[Gap, bool]]) -> frozenset[tuple[str, ...]]:
    """Shortest n-grams of related gaps with enough support and precision (see the module docstring)."""
    related, seen = Counter[tuple[str, ...]](), Counter[tuple[str, ...]]()
    for stretches, positive in examples:
        grams = _ngrams(stretches)
        seen.update(grams)
        if positive:
            related.update(grams)
    good = [
        gram
        for gram, count in related.items()
        if count >= MIN_SUPPORT and count / seen[gram] >= MIN_PRECISION and not all(w.isdigit() for w in gram)
    ]
    kept: list[tuple[str, ...]] = []
    for gram in sorted(good, key=lambda g: (len(g), g)):
        if not any(_contains([list(gram)], shorter) for shorter in kept):
            kept.append(gram)
    return frozenset(kept)


def _sentence_members(document: TokenizedDocument, entities: Sequence[CharSpan]) -> Iterator[list[int]]:
    for start, end in document.sentences():
        yield [i for i, (s, e, _) in enumerate(entities) if s >= start and e <= end]


def _meeting_candidates(entities: Sequence[CharSpan], members: list[int]) -> list[tuple[int, int]]:
    people = [i for i in members if entities[i][2] == "PER"]
    return list(itertools.pairwise(people))


def _visit_candidates(entities: Sequence[CharSpan], members: list[int]) -> list[tuple[int, int]]:
    """(PER, LOC) pairs of a sentence: each LOC with the last PER before it."""
    pairs = []
    for place in (i for i in members if entities[i][2] == "LOC"):
        people = [i for i in members if entities[i][2] == "PER" and entities[i][1] <= entities[place][0]]
        if people:
            pairs.append((people[-1], place))
    return pairs


def learn_rules(documents: Sequence[TokenizedDocument]) -> Rules:
    """The rules' word lists from the gold entities and relations of ``documents`` (train)."""
    connectors: set[str] = set()
    meeting, visit = [], []
    to: set[str] = set()
    for document in documents:
        text, entities = document.text, document.entities
        relations = set(document.relations)
        titles = {(tail, head) for head, tail, label in relations if label == "HAS_TITLE"}
        for title, person in titles:
            following = [i for i, e in enumerate(entities) if e[0] >= entities[title][1]]
            if following and (person, following[0], "WORKS_FOR") in relations:
                connectors.add(" ".join(words(text[entities[title][1] : entities[following[0]][0]])))
        for members in _sentence_members(document, entities):
            for first, second in _meeting_candidates(entities, members):
                meeting.append((gap(text, entities, first, second), (first, second, "MEETS") in relations))
            for person, place in _visit_candidates(entities, members):
                between = gap(text, entities, person, place)
                positive = (person, place, "VISITS") in relations
                visit.append((between, positive))
                if positive and between[-1]:
                    to.add(between[-1][-1])
    return Rules(frozenset(connectors), learn_cues(meeting), learn_cues(visit), frozenset(to))


def _is_acronym(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _nearest(target: CharSpan, candidates: list[int], entities: Sequence[CharSpan]) -> int | None:
    """Index of the candidate closest to ``target`` by character gap; a tie goes to the one after it."""

    def gap(i: int) -> tuple[int, int]:
        start, end, _ = entities[i]
        after = start >= target[1]
        return (start - target[1] if after else target[0] - end, 0 if after else 1)

    return min(candidates, key=gap, default=None)


def sentence_relations(
    text: str, entities: Sequence[CharSpan], members: list[int], rules: Rules
) -> list[IndexedRelation]:
    """Relations among the entities ``members`` (indices into ``entities``, in text order) of one sentence."""
    of_label = {label: [i for i in members if entities[i][2] == label] for label in ("PER", "TITLE")}
    relations: list[IndexedRelation] = []
    for title in of_label["TITLE"]:
        person = _nearest(entities[title], of_label["PER"], entities)
        if person is None:
            continue
        relations.append((person, title, "HAS_TITLE"))
        following = [i for i in members if entities[i][0] >= entities[title][1]]
        if following and entities[following[0]][2] == "ORG":
            between = " ".join(words(text[entities[title][1] : entities[following[0]][0]]))
            if between in rules.connectors:
                relations.append((person, following[0], "WORKS_FOR"))
    for left, right in itertools.pairwise(members):
        (_, left_end, left_label), (right_start, right_end, right_label) = entities[left], entities[right]
        in_parentheses = _PARENTHESIS.fullmatch(text[left_end:right_start]) and text[right_end:].startswith(
            ")"
        )
        if not in_parentheses:
            continue
        acronym = _is_acronym(text[right_start:right_end])
        if acronym and left_label == right_label:
            relations.append((right, left, "ALIAS_OF"))
        elif not acronym and right_label == "LOC" and left_label in ("ORG", "LOC", "EVENT"):
            relations.append((left, right, "LOCATED_IN"))
    for first, second in _meeting_candidates(entities, members):
        if _ngrams(gap(text, entities, first, second)) & rules.meeting:
            relations.append((first, second, "MEETS"))
    for person, place in _visit_candidates(entities, members):
        between = gap(text, entities, person, place)
        if between[-1] and between[-1][-1] in rules.to and _ngrams(between) & rules.visit:
            relations.append((person, place, "VISITS"))
    return sorted(set(relations))


def predict(
    text: str, entities: Sequence[CharSpan], sentences: Sequence[tuple[int, int]], rules: Rules
) -> list[IndexedRelation]:
    """Relations over ``entities`` (sorted by offset) of a document, sentence by sentence."""
    relations: list[IndexedRelation] = []
    for start, end in sentences:
        members = [i for i, (s, e, _) in enumerate(entities) if s >= start and e <= end]
        relations.extend(sentence_relations(text, entities, members, rules))
    return relations


def predict_lines(rules: Rules, documents: list[TokenizedDocument]) -> list[dict]:
    """The prediction lines of ``documents``: their gold entities, sorted, and the relations found."""
    lines = []
    for document in documents:
        entities = sorted(document.entities)
        lines.append(
            prediction_line(
                document.id, entities, predict(document.text, entities, document.sentences(), rules)
            )
        )
    return lines


if __name__ == "__main__":
    run(SYSTEM, learn_rules, predict_lines)
