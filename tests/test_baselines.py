"""The baselines' own logic on tiny hand-made documents: the dictionary matcher and the relation rules."""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import pytest

BASELINES = Path(__file__).resolve().parent.parent / "eval" / "baselines"


def _baseline(name: str) -> ModuleType:
    # The scripts import their siblings by plain name, as when run as `python eval/baselines/<name>.py`.
    if str(BASELINES) not in sys.path:
        sys.path.insert(0, str(BASELINES))
    return importlib.import_module(name)


baseline_io = _baseline("baseline_io")
dictionary = _baseline("dictionary")
relations_nearest = _baseline("relations_nearest")


def document(
    text: str,
    entities: Sequence[tuple[int, int, str]] = (),
    sentence_starts: Sequence[int] = (0,),
    relations: Sequence[tuple[int, int, str]] = (),
) -> object:
    """A document tokenized on spaces, with gold ``entities`` and ``relations`` (indices into them)."""
    offsets, start = [], 0
    for word in text.split(" "):
        offsets.append((start, start + len(word)))
        start += len(word) + 1
    return baseline_io.TokenizedDocument(
        id="doc",
        text=text,
        tokens=[text[s:e] for s, e in offsets],
        offsets=offsets,
        sentence_starts=list(sentence_starts),
        entities=list(entities),
        relations=list(relations),
    )


def labelled(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[str, str]]:
    return [(text[s:e], label) for s, e, label in spans]


# Dictionary


def test_gazetteer_keys_are_the_token_sequences_of_train_entities():
    train = document("le Parti communiste du Vietnam", [(3, 30, "ORG"), (23, 30, "LOC")])

    assert dictionary.build_gazetteer([train]) == {
        ("Parti", "communiste", "du", "Vietnam"): "ORG",
        ("Vietnam",): "LOC",
    }


def test_gazetteer_keeps_the_most_frequent_label_and_breaks_ties_alphabetically():
    seen = [
        document("Hanoi", [(0, 5, "LOC")]),
        document("Hanoi", [(0, 5, "ORG")]),
        document("Hanoi", [(0, 5, "ORG")]),
        document("Tet", [(0, 3, "EVENT")]),
        document("Tet", [(0, 3, "DATE")]),
    ]

    assert dictionary.build_gazetteer(seen) == {("Hanoi",): "ORG", ("Tet",): "DATE"}


def test_match_prefers_the_longest_entry_then_goes_on_after_it():
    gazetteer = {("Parti",): "ORG", ("Parti", "communiste"): "ORG", ("communiste", "Vietnam"): "LOC"}
    tokens = ["Parti", "communiste", "Vietnam", "Parti"]

    assert dictionary.match(gazetteer, tokens) == [(0, 2, "ORG"), (3, 4, "ORG")]


def test_match_is_case_sensitive_and_on_whole_tokens():
    gazetteer = {("Viet",): "PER"}

    assert dictionary.match(gazetteer, ["viet", "Vietnam", "Viet"]) == [(2, 3, "PER")]


def test_predict_returns_character_spans_of_the_document():
    text = "Le président To Lam reçoit"
    gazetteer = {("président",): "TITLE", ("To", "Lam"): "PER"}

    assert labelled(text, dictionary.predict(gazetteer, document(text))) == [
        ("président", "TITLE"),
        ("To Lam", "PER"),
    ]


def test_documents_know_their_spaces_and_sentences():
    tokens = document("Il vient . Elle part", sentence_starts=[0, 3])

    assert tokens.spaces == [True, True, True, True, False]
    assert [tokens.text[s:e] for s, e in tokens.sentences()] == ["Il vient .", "Elle part"]


# Relations


def relations_of(
    text: str, spans: list[tuple[str, str]], sentence_starts: Sequence[int] = (0,)
) -> set[tuple[str, str, str]]:
    """Run the rules on ``text`` whose entities are the (surface, label) pairs, found left to right."""
    entities, cursor = [], 0
    for surface, label in spans:
        start = text.index(surface, cursor)
        entities.append((start, start + len(surface), label))
        cursor = start + len(surface)
    tokens = document(text, entities, sentence_starts)
    found = relations_nearest.predict(text, entities, tokens.sentences(), RULES)
    return {
        (text[entities[h][0] : entities[h][1]], text[entities[t][0] : entities[t][1]], r) for h, t, r in found
    }


# Rules as learn_rules would give them, for the rule tests below.
RULES = relations_nearest.Rules(
    connectors=frozenset({"de l'", "du"}),
    meeting=frozenset({("reçu",)}),
    visit=frozenset({("visite",), ("venu",)}),
    to=frozenset({"au"}),
)


def spans_of(text: str, surfaces: list[tuple[str, str]]) -> list[tuple[int, int, str]]:
    """Character spans of the (surface, label) pairs, found left to right."""
    spans, cursor = [], 0
    for surface, label in surfaces:
        start = text.index(surface, cursor)
        spans.append((start, start + len(surface), label))
        cursor = start + len(surface)
    return spans


def test_rules_are_learned_from_the_relations_of_the_documents_given():
    # MEETS: "rencontré" joins two related pairs and two unrelated ones: 2/4 < 0.8, not kept; "a" is in
    # 4 related pairs of 6: 4/6 < 0.8; "reçu" joins two related pairs and nothing else: kept, and "a reçu"
    # is dropped as it holds it. "Binh" is inside an entity, so it is never a cue.
    train = []
    for text, related in [
        ("Nam a reçu Binh", True),
        ("Lan a reçu Binh", True),
        ("Nam a rencontré Binh", True),
        ("Lan a rencontré Binh", True),
        ("Hoa a rencontré Binh", False),
        ("Lan a rencontré Binh", False),
    ]:
        spans = spans_of(text, [(text.split()[0], "PER"), ("Binh", "PER")])
        train.append(document(text, spans, relations=[(0, 1, "MEETS")] if related else []))
    # WORKS_FOR: the connector between a TITLE of the person and the ORG; VISITS: cue and preposition.
    text = "Kunugi , directrice de l’UNICEF , en visite au Vietnam"
    spans = spans_of(
        text, [("Kunugi", "PER"), ("directrice", "TITLE"), ("UNICEF", "ORG"), ("Vietnam", "LOC")]
    )
    relations = [(0, 1, "HAS_TITLE"), (0, 2, "WORKS_FOR"), (0, 3, "VISITS")]
    train += [document(text, spans, relations=relations)] * 2

    rules = relations_nearest.learn_rules(train)

    assert rules.meeting == {("reçu",)}
    assert rules.connectors == {"de l'"}
    assert rules.to == {"au"}
    assert ("visite",) in rules.visit and ("en",) in rules.visit


def test_the_shipped_rules_come_from_train_text_only():
    import vna_ner

    train = baseline_io.tokenized_documents(vna_ner.load(split="train"))
    rules = relations_nearest.learn_rules(train)
    text = " ".join(" ".join(d.text.lower().replace("’", "'").split()) for d in train)

    for cue in (*rules.meeting, *rules.visit, *rules.connectors):
        assert (cue if isinstance(cue, str) else " ".join(cue)) in text, cue


def test_each_title_goes_to_the_nearest_person_and_a_tie_to_the_person_after():
    text = "le ministre Nam , et Binh , vice-ministre"
    found = relations_of(
        text, [("ministre", "TITLE"), ("Nam", "PER"), ("Binh", "PER"), ("vice-ministre", "TITLE")]
    )

    assert found == {("Nam", "ministre", "HAS_TITLE"), ("Binh", "vice-ministre", "HAS_TITLE")}

    tie = relations_of("Nam , ministre , Binh", [("Nam", "PER"), ("ministre", "TITLE"), ("Binh", "PER")])
    assert tie == {("Binh", "ministre", "HAS_TITLE")}


def test_a_title_followed_by_de_and_an_organisation_gives_works_for():
    text = "June Kunugi , directrice régionale de l’UNICEF"
    found = relations_of(text, [("June Kunugi", "PER"), ("directrice régionale", "TITLE"), ("UNICEF", "ORG")])

    assert found == {
        ("June Kunugi", "directrice régionale", "HAS_TITLE"),
        ("June Kunugi", "UNICEF", "WORKS_FOR"),
    }


def test_an_organisation_not_right_after_the_title_is_not_an_employer():
    text = "Nam , ministre , a visité le Forum"
    found = relations_of(text, [("Nam", "PER"), ("ministre", "TITLE"), ("Forum", "ORG")])

    assert ("Nam", "Forum", "WORKS_FOR") not in found


def test_parentheses_give_alias_for_acronyms_and_located_in_for_places():
    text = "le Parti communiste du Vietnam (PCV) à Vienne (Autriche)"
    spans = [("Parti communiste du Vietnam", "ORG"), ("PCV", "ORG"), ("Vienne", "LOC"), ("Autriche", "LOC")]

    assert relations_of(text, spans) == {
        ("PCV", "Parti communiste du Vietnam", "ALIAS_OF"),
        ("Vienne", "Autriche", "LOCATED_IN"),
    }


def test_meeting_and_visit_words_link_people_and_places():
    text = "Le Thanh Long a reçu June Kunugi , en visite de travail au Vietnam"
    spans = [("Le Thanh Long", "PER"), ("June Kunugi", "PER"), ("Vietnam", "LOC")]

    assert relations_of(text, spans) == {
        ("Le Thanh Long", "June Kunugi", "MEETS"),
        ("June Kunugi", "Vietnam", "VISITS"),
    }


def test_no_relation_crosses_a_sentence_boundary():
    text = "Nam arrive . ministre"

    assert relations_of(text, [("Nam", "PER"), ("ministre", "TITLE")], sentence_starts=[0, 3]) == set()


def test_prediction_lines_index_relations_into_the_entities_as_written():
    line = baseline_io.prediction_line("d1", [(0, 3, "PER"), (6, 14, "TITLE")], [(0, 1, "HAS_TITLE")])

    assert line == {
        "id": "d1",
        "entities": [{"start": 0, "end": 3, "label": "PER"}, {"start": 6, "end": 14, "label": "TITLE"}],
        "relations": [{"head": 0, "tail": 1, "label": "HAS_TITLE"}],
    }
    assert "relations" not in baseline_io.prediction_line("d1", [])


# spaCy Docs over the dataset's tokens (spaCy itself is a core dependency; no model is needed)


def test_spacy_docs_keep_the_dataset_tokens_and_map_entities_back_to_characters():
    spacy = pytest.importorskip("spacy")
    spacy_docs = _baseline("spacy_docs")
    text = "Le président To Lam"
    tokens = document(text, [(3, 12, "TITLE"), (13, 19, "PER")])

    doc = spacy_docs.to_doc(spacy.blank("fr").vocab, tokens, gold=True)

    assert [t.text for t in doc] == tokens.tokens
    assert labelled(text, spacy_docs.entity_spans(tokens, doc)) == [("président", "TITLE"), ("To Lam", "PER")]
    assert labelled(text, spacy_docs.entity_spans(tokens, doc, {"PER": "PER"})) == [("To Lam", "PER")]


# Out of fold: no document is predicted by a model that saw it


def test_out_of_fold_predicts_each_fold_by_a_model_of_the_other_folds_only():
    documents = [
        dataclasses.replace(document("Hanoi"), id=name, fold=fold)
        for name, fold in (("a", 0), ("b", 1), ("c", 0), ("d", 2))
    ]

    def fit(training: list) -> list[str]:
        return sorted(d.id for d in training)

    def predict(seen: list[str], held_out: list) -> list[dict]:
        return [{"id": d.id, "seen": seen} for d in held_out]

    lines, seconds = baseline_io.out_of_fold(documents, fit, predict)

    assert lines == [
        {"id": "a", "fold": 0, "seen": ["b", "d"]},
        {"id": "b", "fold": 1, "seen": ["a", "c", "d"]},
        {"id": "c", "fold": 0, "seen": ["b", "d"]},
        {"id": "d", "fold": 2, "seen": ["a", "b", "c"]},
    ]
    assert list(lines[0]) == ["id", "fold", "seen"]
    assert seconds >= 0
    assert baseline_io.out_of_fold(documents, fit, predict, jobs=2)[0] == lines  # forked folds: same lines


def test_out_of_fold_runs_inside_a_fit_and_refuses_lines_that_are_not_the_folds_documents():
    documents = [
        dataclasses.replace(document("Hanoi"), id=name, fold=fold)
        for name, fold in (("a", 0), ("b", 1), ("c", 2))
    ]

    def inner_fit(training: list) -> int:  # an inner cross-validation over the training documents
        inner, _ = baseline_io.out_of_fold(
            training, lambda t: len(t), lambda n, held: [{"id": d.id} for d in held]
        )
        return len(inner)

    lines, _ = baseline_io.out_of_fold(
        documents, inner_fit, lambda n, held: [{"id": d.id, "n": n} for d in held]
    )
    assert [line["n"] for line in lines] == [2, 2, 2]
    with pytest.raises(ValueError, match="fold 0: the prediction lines are not the fold's documents"):
        baseline_io.out_of_fold(documents, inner_fit, lambda n, held: [])


# CRF


crf = _baseline("crf") if importlib.util.find_spec("sklearn_crfsuite") else None


@pytest.mark.skipif(crf is None, reason="needs sklearn-crfsuite")
def test_crf_shapes_collapse_character_class_runs():
    assert [crf.shape(t) for t in ("Hanoi", "ASEAN-5", "2025", "l’", "Đà")] == ["Xx", "X-d", "d", "x’", "Xx"]


@pytest.mark.skipif(crf is None, reason="needs sklearn-crfsuite")
def test_crf_features_see_two_neighbours_and_the_sentence_edges():
    features = crf.token_features(["Le", "président", "To", "Lam"], 1)

    assert features["lower"] == "président"
    assert (features["suffix2"], features["suffix3"], features["prefix3"]) == ("nt", "ent", "pré")
    assert features["-1:lower"] == "le" and features["-1:title"] is True
    assert features["+2:shape"] == "Xx" and features["+1:lower"] == "to"
    assert features["-2:BOS"] is True and "-2:lower" not in features
    assert crf.token_features(["Hanoi"], 0)["+1:EOS"] is True


@pytest.mark.skipif(crf is None, reason="needs sklearn-crfsuite")
def test_crf_sequences_are_the_sentences_with_their_gold_iob2_tags():
    text = "Le président To Lam . Il part"
    tokens = document(text, [(3, 12, "TITLE"), (13, 19, "PER")], sentence_starts=[0, 5])

    features, tags = crf.sequences([tokens])

    assert crf.sentence_bounds(tokens) == [(0, 5), (5, 7)]
    assert tags == [["O", "B-TITLE", "B-PER", "I-PER", "O"], ["O", "O"]]
    assert [[f["lower"] for f in sentence] for sentence in features] == [
        ["le", "président", "to", "lam", "."],
        ["il", "part"],
    ]


@pytest.mark.skipif(crf is None, reason="needs sklearn-crfsuite")
def test_crf_learns_a_name_after_a_title_and_predicts_character_spans():
    train = [
        document(f"le ministre {name} arrive", [(3, 11, "TITLE"), (12, 12 + len(name), "PER")])
        for name in ("Nam", "Binh", "Lan", "Hoa", "Minh", "Tuan")
    ]
    model = crf.train_crf(train, 0.05, 0.01)
    text = "le ministre Phuc arrive"

    assert labelled(text, crf.predict_entities(model, document(text))) == [
        ("ministre", "TITLE"),
        ("Phuc", "PER"),
    ]


@pytest.mark.skipif(crf is None, reason="needs sklearn-crfsuite")
def test_crf_weights_come_from_a_cross_validation_of_the_training_folds(monkeypatch):
    # Strong L1 (c1 = 5) leaves the CRF no feature to tell the title from the name; the weak pair of the grid
    # recovers both in each held-out fold. With one fold there is nothing to cross-validate on: the first.
    documents = [
        dataclasses.replace(
            document(f"le ministre {name} arrive", [(3, 11, "TITLE"), (12, 12 + len(name), "PER")]),
            fold=n % 2,
        )
        for n, name in enumerate(("Nam", "Binh", "Lan", "Hoa", "Minh", "Tuan"))
    ]
    monkeypatch.setattr(crf, "GRID", ((5.0, 0.01), (0.05, 0.01)))

    assert crf.choose_weights(documents) == (0.05, 0.01)
    assert crf.choose_weights(documents[::2]) == (5.0, 0.01)


# Relation classifier

relation_classifier = _baseline("relation_classifier") if importlib.util.find_spec("sklearn") else None


@pytest.mark.skipif(relation_classifier is None, reason="needs scikit-learn")
def test_relation_candidates_are_ordered_pairs_of_a_sentence_with_a_label_pair_seen():
    text = "Nam , ministre . Binh"
    spans = spans_of(text, [("Nam", "PER"), ("ministre", "TITLE"), ("Binh", "PER")])
    tokens = document(text, spans, sentence_starts=[0, 4])

    pairs = relation_classifier.candidates(tokens, spans, frozenset({("PER", "TITLE"), ("PER", "PER")}))

    assert pairs == [(0, 1)]


@pytest.mark.skipif(relation_classifier is None, reason="needs scikit-learn")
def test_relation_features_describe_the_pair_and_the_words_between_outside_entities():
    text = "le ministre Nam a reçu le vice-ministre Binh hier"
    spans = spans_of(
        text, [("ministre", "TITLE"), ("Nam", "PER"), ("vice-ministre", "TITLE"), ("Binh", "PER")]
    )
    tokens = document(text, spans)

    features = relation_classifier.pair_features(tokens, spans, 3, 1)  # Binh -> Nam, written backwards

    assert features["pair"] == "PER>PER" and features["head_first"] is False
    assert features["distance"] == "5"  # a reçu le vice-ministre: 4 tokens, bucket <= 5
    assert features["entities_between"] == "1" and features["label_between=TITLE"] is True
    assert {k for k in features if k.startswith("word=")} == {"word=a", "word=reçu", "word=le"}
    assert (features["first_word"], features["last_word"]) == ("a", "le")
    assert (features["before"], features["after"]) == ("ministre", "hier")


@pytest.mark.skipif(relation_classifier is None, reason="needs scikit-learn")
def test_relation_classifier_learns_from_gold_pairs_and_keeps_label_pairs_seen():
    train = []
    for person, other in (("Nam", "Binh"), ("Lan", "Hoa"), ("Minh", "Tuan"), ("Phuc", "Long")):
        text = f"{person} , ministre , a reçu {other}"
        spans = spans_of(text, [(person, "PER"), ("ministre", "TITLE"), (other, "PER")])
        train.append(document(text, spans, relations=[(0, 1, "HAS_TITLE"), (0, 2, "MEETS")]))
    model = relation_classifier.fit(train)
    text = "Thanh , ministre , a reçu Quang , Hanoi"
    spans = spans_of(text, [("Thanh", "PER"), ("ministre", "TITLE"), ("Quang", "PER"), ("Hanoi", "LOC")])

    assert model.allowed == {("PER", "TITLE", "HAS_TITLE"), ("PER", "PER", "MEETS")}
    assert set(relation_classifier.predict(model, document(text, spans), spans)) == {
        (0, 1, "HAS_TITLE"),
        (0, 2, "MEETS"),
    }
