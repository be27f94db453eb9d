"""Relation baseline on GOLD entities: nearest-neighbour and pattern rules inside each sentence.

It is given the gold entities (its entity scores are not a result) and adds relations by these rules:

- HAS_TITLE: each TITLE -> the nearest PER in its sentence (by characters; a tie goes to the PER after it),
  written PER -> TITLE.
- WORKS_FOR: PER -> ORG when a TITLE of that PER (above) is followed directly by the ORG, joined only by
  ``de``/``du``/``des``/``de la``/``de l’`` (``directrice régionale de l’UNICEF``).
- ALIAS_OF: ``X (Y)`` with X and Y of the same label and Y an acronym (all capitals): Y -> X.
- LOCATED_IN: ``X (Y)`` with X an ORG, LOC or EVENT and Y a LOC that is not an acronym: X -> Y.
- MEETS: ``PER … <meeting verb> … PER`` in a sentence, no other PER between (verbs: reçoit, a reçu, rencontre,
  s’est entretenu avec, …): first PER -> second PER.
- VISITS: ``PER … <visit word> … à/au/en/aux LOC`` (``en visite de travail au Vietnam``, ``venu au Vietnam``):
  the last PER before the visit word -> the first such LOC after it.

    python eval/baselines/relations_nearest.py
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from baseline_io import (
    PREDICTED_SPLITS,
    CharSpan,
    prediction_line,
    timed,
    tokenized_documents,
    write_predictions,
    write_throughput,
)

SYSTEM = "relations_nearest"
IndexedRelation = tuple[int, int, str]

_OF = re.compile(r"\s*(?:de la|de l['’]|du|des|de|d['’])\s*")
_PARENTHESIS = re.compile(r"\s*\(\s*")
_MEETING_VERB = re.compile(
    r"\b(?:reçoit|a reçu|recevra|rencontre|a rencontré|s['’]est entretenue? avec|s['’]entretient avec"
    r"|a eu des entrevues avec)\b"
)
_VISIT = re.compile(r"\b(?:visite|venue?s?|se rendra|se rend|arrivée?)\b")
_TO = re.compile(r"\b(?:à|au|aux|en)\s*$")


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


def sentence_relations(text: str, entities: Sequence[CharSpan], members: list[int]) -> list[IndexedRelation]:
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
            between = text[entities[title][1] : entities[following[0]][0]]
            if _OF.fullmatch(between):
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
    people = of_label["PER"]
    for first, second in itertools.pairwise(people):
        if _MEETING_VERB.search(text[entities[first][1] : entities[second][0]]):
            relations.append((first, second, "MEETS"))
    relations.extend(_visits(text, entities, members))
    return sorted(set(relations))


def _visits(text: str, entities: Sequence[CharSpan], members: list[int]) -> list[IndexedRelation]:
    """VISITS: the last PER before a visit word -> the first LOC after it introduced by à/au/en/aux."""
    if not members:
        return []
    start, end = entities[members[0]][0], entities[members[-1]][1]
    relations = []
    for cue in _VISIT.finditer(text, start, end):
        people = [i for i in members if entities[i][2] == "PER" and entities[i][1] <= cue.start()]
        places = [
            i
            for i in members
            if entities[i][2] == "LOC"
            and entities[i][0] >= cue.end()
            and _TO.search(text[max(cue.end(), entities[i][0] - 6) : entities[i][0]])
        ]
        if people and places:
            relations.append((people[-1], places[0], "VISITS"))
    return relations


def predict(
    text: str, entities: Sequence[CharSpan], sentences: Sequence[tuple[int, int]]
) -> list[IndexedRelation]:
    """Relations over ``entities`` (sorted by offset) of a document, sentence by sentence."""
    relations: list[IndexedRelation] = []
    for start, end in sentences:
        members = [i for i, (s, e, _) in enumerate(entities) if s >= start and e <= end]
        relations.extend(sentence_relations(text, entities, members))
    return relations


def main() -> None:
    import vna_ner

    for split in PREDICTED_SPLITS:
        documents = tokenized_documents(vna_ner.load(split=split))
        entities = [sorted(d.entities) for d in documents]
        predicted, seconds = timed(
            lambda documents=documents, entities=entities: [
                predict(d.text, spans, d.sentences()) for d, spans in zip(documents, entities, strict=True)
            ]
        )
        lines = [
            prediction_line(d.id, spans, relations)
            for d, spans, relations in zip(documents, entities, predicted, strict=True)
        ]
        print(write_predictions(SYSTEM, split, lines), write_throughput(SYSTEM, split, documents, seconds))


if __name__ == "__main__":
    main()
