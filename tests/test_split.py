"""Split assignment: grouped duplicates, entity balance, constraints, determinism."""

from __future__ import annotations

from collections import Counter

import pytest

from vna_ner.documents import Document, Provenance, Relation, Span
from vna_ner.split import SplitError, assign_splits, duplicate_groups, summarize

LABELS = ("PER", "LOC")
SHARED = "Le vice-Premier ministre Le Thanh Long a reçu le 26 novembre June Kunugi à Hanoï."


def document(doc_id: str, text: str, labels: str, *, main: bool = False) -> Document:
    spans = [Span(i, i + 1, {"P": "PER", "L": "LOC"}[c], text[i], f"e{i}") for i, c in enumerate(labels)]
    relations = [Relation("e0", "e1", "MEETS")] if main else []
    return Document(doc_id, text, spans, relations, [Provenance(f"{doc_id}.txt", 0 if main else 9)])


def corpus() -> list[Document]:
    documents = [document(f"main{i}", f"Article {i}. " + "x" * 30, "PLPL" * 3, main=True) for i in range(5)]
    documents += [document(f"t{i}", f"Teaser {i} " + "y" * 30, "PL") for i in range(10)]
    return documents


def test_documents_sharing_a_long_sentence_are_grouped():
    documents = [
        document("a", f"Titre A.\n{SHARED}", "P"),
        document("b", f"Autre titre.\n{SHARED}", "P"),
        document("c", "Photo : VNA", "P"),
        document("d", "Photo : VNA", "P"),  # short repeats such as credits do not group
    ]
    assert sorted(duplicate_groups([summarize(d) for d in documents])) == [[0, 1], [2], [3]]


def test_grouped_documents_land_in_the_same_split():
    documents = [*corpus(), document("dup-a", SHARED, "PL"), document("dup-b", "Titre.\n" + SHARED, "PL")]
    assignment = assign_splits([summarize(d) for d in documents], LABELS)
    assert assignment["dup-a"] == assignment["dup-b"]


def test_assignment_is_balanced_by_entities_and_deterministic():
    summaries = [summarize(d) for d in corpus()]
    assignment = assign_splits(summaries, LABELS)
    assert assignment == assign_splits(summaries, LABELS)
    weight = Counter()
    for summary in summaries:
        weight[assignment[summary.id]] += summary.labels.total()
    total = sum(weight.values())
    assert abs(weight["train"] / total - 0.6) <= 0.1
    assert abs(weight["test"] / total - 0.2) <= 0.1


def test_test_split_holds_a_main_article_with_relations():
    summaries = [summarize(d) for d in corpus()]
    assignment = assign_splits(summaries, LABELS)
    assert any(assignment[s.id] == "test" and s.main_article for s in summaries)


def test_impossible_constraints_are_an_error():
    documents = [document("only", "Un seul document, " + "z" * 30, "PL", main=True)]
    with pytest.raises(SplitError, match="a main article with relations in test"):
        assign_splits([summarize(d) for d in documents], LABELS)


def test_the_assignment_does_not_depend_on_the_export_order():
    summaries = [summarize(d) for d in corpus()]
    assert assign_splits(summaries[::-1], LABELS) == assign_splits(summaries, LABELS)


def test_fixed_documents_keep_their_split_and_new_ones_are_assigned():
    summaries = [summarize(d) for d in corpus()]
    first = assign_splits(summaries, LABELS)
    moved = {doc: ("train" if split == "test" else split) for doc, split in first.items() if doc != "t9"}
    moved["main0"] = "test"
    again = assign_splits(summaries, LABELS, fixed=moved)
    assert {doc: again[doc] for doc in moved} == moved
    assert again["t9"] in ("train", "validation", "test")


def test_duplicates_fixed_to_different_splits_are_an_error():
    documents = [*corpus(), document("dup-a", SHARED, "PL"), document("dup-b", "Titre.\n" + SHARED, "PL")]
    with pytest.raises(SplitError, match="dup-a, dup-b share text but are fixed to different splits"):
        assign_splits([summarize(d) for d in documents], LABELS, fixed={"dup-a": "train", "dup-b": "test"})


def test_a_corpus_without_main_articles_or_with_rare_labels_still_splits():
    # Another Label Studio project: no provenance, a label found in one document only.
    documents = [
        Document(f"d{i}", f"Texte numéro {i}. " + "w" * 30, [Span(0, 5, "PER", "Texte", "e")])
        for i in range(9)
    ]
    documents.append(Document("rare", "Un lieu rare. " + "v" * 30, [Span(3, 7, "LOC", "lieu", "e")]))
    assignment = assign_splits([summarize(d) for d in documents], LABELS)
    assert {split for split in assignment.values()} == {"train", "validation", "test"}
