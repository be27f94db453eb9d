"""Inter-annotator agreement between two annotations of the same documents.

Entities agree when start, end and label are identical (exact match); relations agree when
both argument spans (offsets and labels) and the relation label are identical. F1 is symmetric,
so which annotation is called the reference does not change it.

In an export, the gold of a task is chosen by :func:`~vna_ner.labelstudio.export.choose_gold`; its other
non-cancelled annotations are the independent passes, in annotation-id (import) order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from vna_ner.documents import Relation, Span
from vna_ner.labelstudio.export import Annotation, Task, choose_gold

Key = tuple


@dataclass(frozen=True)
class Scores:
    """Counts and F1 of one label (or of all labels, micro-averaged)."""

    both: int
    only_first: int
    only_second: int

    @property
    def f1(self) -> float:
        denominator = 2 * self.both + self.only_first + self.only_second
        return 2 * self.both / denominator if denominator else 1.0

    def to_dict(self) -> dict[str, float | int]:
        return {
            "agreed": self.both,
            "only_first": self.only_first,
            "only_second": self.only_second,
            "f1": round(self.f1, 4),
        }


def entity_keys(entities: Iterable[Span]) -> set[Key]:
    """Exact-match keys of entities: (start, end, label)."""
    return {(s.start, s.end, s.label) for s in entities}


def relation_keys(entities: Iterable[Span], relations: Iterable[Relation]) -> set[Key]:
    """Strict keys of relations: both argument keys and the label."""
    spans = {s.id: s for s in entities}
    return {
        (
            (spans[r.head].start, spans[r.head].end, spans[r.head].label),
            (spans[r.tail].start, spans[r.tail].end, spans[r.tail].label),
            r.label,
        )
        for r in relations
    }


def compare(pairs: Iterable[tuple[set[Key], set[Key]]], label_of) -> dict[str, Scores]:
    """Per-label and ``micro`` scores over (first, second) key sets of each document."""
    counts: dict[str, Counter] = {}
    for first, second in pairs:
        for key in first | second:
            label = label_of(key)
            bucket = counts.setdefault(label, Counter())
            bucket["both" if key in first and key in second else "first" if key in first else "second"] += 1
    total = Counter()
    for bucket in counts.values():
        total.update(bucket)
    scores = {
        label: Scores(bucket["both"], bucket["first"], bucket["second"])
        for label, bucket in sorted(counts.items())
    }
    scores["micro"] = Scores(total["both"], total["first"], total["second"])
    return scores


def agreement(
    documents: Iterable[tuple[list[Span], list[Relation], list[Span], list[Relation]]],
) -> dict[str, dict[str, dict[str, float | int]]]:
    """Entity and relation agreement over documents given as (entities, relations) of each annotation."""
    entity_pairs, relation_pairs = [], []
    for entities1, relations1, entities2, relations2 in documents:
        entity_pairs.append((entity_keys(entities1), entity_keys(entities2)))
        relation_pairs.append((relation_keys(entities1, relations1), relation_keys(entities2, relations2)))
    return {
        "entities": {k: v.to_dict() for k, v in compare(entity_pairs, lambda key: key[2]).items()},
        "relations": {k: v.to_dict() for k, v in compare(relation_pairs, lambda key: key[2]).items()},
    }


def _pair(
    first: Annotation, second: Annotation
) -> tuple[list[Span], list[Relation], list[Span], list[Relation]]:
    return first.entities, first.relations, second.entities, second.relations


def pass_agreement(tasks: Iterable[Task]) -> dict[str, dict]:
    """Agreement of pass 1 with pass 2 (before adjudication) and of each pass with the adjudicated gold.

    Only tasks with the annotations a comparison needs take part in it; ``documents`` counts them.
    """
    comparisons: dict[str, list] = {"pass1_vs_pass2": [], "pass1_vs_gold": [], "pass2_vs_gold": []}
    for task in tasks:
        gold = choose_gold(task.annotations)
        passes = sorted(
            (a for a in task.annotations if a is not gold and not a.cancelled), key=lambda a: a.id or 0
        )
        if len(passes) >= 2:
            comparisons["pass1_vs_pass2"].append(_pair(passes[0], passes[1]))
        if gold is not None:
            for number, annotation in enumerate(passes[:2], start=1):
                comparisons[f"pass{number}_vs_gold"].append(_pair(annotation, gold))
    return {
        name: {"documents": len(pairs), **agreement(pairs)} for name, pairs in comparisons.items() if pairs
    }
