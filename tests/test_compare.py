"""Paired significance tests: identical systems, a system better on every document, small cases derived
by hand, determinism, and the `vna-ner compare` command on committed predictions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from vna_ner.benchmark.compare import compare_counts, micro_f1
from vna_ner.cli import main

REPO = Path(__file__).resolve().parent.parent
PREDICTIONS = REPO / "eval" / "predictions"
RIGHT, WRONG = (1, 0, 0), (0, 1, 1)  # one gold entity found, or replaced by a wrong one: (TP, FP, FN)


def test_micro_f1_from_summed_counts():
    assert micro_f1(np.array([3, 1, 2])) == pytest.approx(2 * 3 / (2 * 3 + 1 + 2))
    assert micro_f1(np.array([0, 0, 0])) == 0.0


def test_identical_systems_differ_by_nothing():
    counts = np.array([[3, 1, 0], [0, 2, 5], [7, 0, 1]])
    c = compare_counts(counts, counts.copy(), resamples=500, permutations=500)
    assert (c.delta, c.delta_ci95, c.p_bootstrap, c.p_randomization) == (0.0, (0.0, 0.0), 1.0, 1.0)


def test_better_on_every_document_is_significant_with_enough_documents():
    a, b = np.array([RIGHT] * 20), np.array([WRONG] * 20)
    c = compare_counts(a, b, resamples=2000, permutations=2000)
    assert c.delta == 1.0
    # Only the identity and the full swap reach |Δ| = 1 under randomization: probability 2 / 2**20.
    assert c.p_randomization < 0.002
    assert c.p_bootstrap == pytest.approx(1 / 2001)


def test_three_documents_by_hand():
    """A right and B wrong on each of 3 documents. Every resample keeps Δ = 1, so the bootstrap p is its
    floor 1 / (R + 1); swapping k documents gives Δ' = (3 − 2k) / 3, which reaches |Δ'| = 1 only for k = 0
    or 3: randomization p ≈ 2/8."""
    c = compare_counts([RIGHT] * 3, [WRONG] * 3, resamples=1000, permutations=4000, seed=7)
    assert (c.f1_a, c.f1_b, c.delta, c.delta_ci95) == (1.0, 0.0, 1.0, (1.0, 1.0))
    assert c.p_bootstrap == 1 / 1001
    assert c.p_randomization == pytest.approx(0.25, abs=0.02)


def test_two_documents_by_hand():
    """Document 1: A right, B wrong; document 2: both right. Δ = 1 − 2/4 = 0.5. Resamples: (1, 1) gives
    Δ* = 1 − 0 = 1, (1, 2) and (2, 1) give 0.5, (2, 2) gives 0: the interval is [0, 1] and half the
    resamples are as far from 0.5 as 0.5 is from 0. A swap of document 1 gives Δ' = −0.5: p = 1."""
    c = compare_counts([RIGHT, RIGHT], [WRONG, RIGHT], resamples=4000, permutations=500, seed=3)
    assert c.delta == 0.5
    assert c.delta_ci95 == (0.0, 1.0)
    assert c.p_bootstrap == pytest.approx(0.5, abs=0.03)
    assert c.p_randomization == 1.0


def test_same_seed_same_numbers_and_the_tests_draw_apart():
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 6, (12, 3)), rng.integers(0, 6, (12, 3))
    first = compare_counts(a, b, resamples=300, permutations=300, seed=5)
    assert compare_counts(a, b, resamples=300, permutations=300, seed=5) == first
    assert compare_counts(a, b, resamples=300, permutations=999, seed=5).p_bootstrap == first.p_bootstrap
    assert compare_counts(a, b, resamples=300, permutations=300, seed=6) != first


def test_counts_of_other_documents_are_refused():
    with pytest.raises(ValueError, match="same documents"):
        compare_counts([RIGHT], [RIGHT, RIGHT])


def run(*args: str) -> CliRunner:
    return CliRunner().invoke(main, ["compare", *args])


def test_compare_command_on_committed_predictions(tmp_path):
    a, b = PREDICTIONS / "spacy_ner_trained.test.jsonl", PREDICTIONS / "dictionary.test.jsonl"
    output = tmp_path / "comparison.json"
    result = run(
        str(a),
        str(b),
        "--split",
        "test",
        "--resamples",
        "2000",
        "--permutations",
        "2000",
        "--output",
        str(output),
    )
    assert result.exit_code == 0, result.output
    data = json.loads(output.read_text())
    # The leaderboard's strict micro F1 of both systems on test.
    assert (round(data["f1_a"], 4), round(data["f1_b"], 4)) == (0.8182, 0.5756)
    assert data["delta_f1"] == pytest.approx(data["f1_a"] - data["f1_b"])
    low, high = data["delta_f1_ci95"]
    assert low <= data["delta_f1"] <= high
    assert 0 < data["p_bootstrap"] <= 1 and 0 < data["p_randomization"] <= 1
    assert (data["mode"], data["view"], data["documents"]) == ("strict", "full", 6)
    assert "ΔF1 = F1(A) − F1(B) = +0.2426" in result.output


def test_compare_a_system_with_itself():
    a = str(PREDICTIONS / "spacy_fr_core_news_md.test.jsonl")
    result = run(a, a, "--coarse", "--mode", "default", "--resamples", "200", "--permutations", "200")
    assert result.exit_code == 0, result.output
    assert "ΔF1 = F1(A) − F1(B) = +0.0000" in result.output
    assert "95% CI [+0.0000, +0.0000], p = 1.0000" in result.output
    assert "p = 1.0000 (approximate randomization" in result.output


def test_compare_refuses_predictions_of_another_split():
    result = run(str(PREDICTIONS / "dictionary.validation.jsonl"), str(PREDICTIONS / "dictionary.test.jsonl"))
    assert result.exit_code == 1
    assert "validation split, not test" in result.output
