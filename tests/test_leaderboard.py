"""The leaderboard: the committed board is what its committed predictions score; add, check and render."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from datasets import Dataset

from vna_ner.benchmark.evaluate import evaluate
from vna_ner.benchmark.leaderboard import (
    END,
    START,
    Submission,
    add,
    check,
    headroom_markdown,
    read_board,
    render_markdown,
    render_readme_section,
    scores_of,
    with_readme_section,
    write_board,
)
from vna_ner.benchmark.predictions import read_predictions
from vna_ner.cli import main
from vna_ner.dataset.features import document_features
from vna_ner.dataset.load import documents_of, load
from vna_ner.labelstudio.schema import load_schema

REPO = Path(__file__).resolve().parent.parent
BOARD = REPO / "eval" / "leaderboard.json"
FEATURES = document_features(load_schema(REPO / "annotations" / "labeling_config.xml"))


def tagged_document(doc_id: str, sentences: list[list[str]]) -> dict[str, Any]:
    """A gold ``documents`` row with tags ``sentences`` over the words ``w0 w1 …`` (entities unused here)."""
    tags = [tag for sentence in sentences for tag in sentence]
    words = [f"w{i}" for i in range(len(tags))]
    starts = [sum(len(w) + 1 for w in words[:i]) for i in range(len(words))]
    return {
        "id": doc_id,
        "fold": 0,
        "text": " ".join(words),
        "tokens": words,
        "token_offsets": [{"start": s, "end": s + len(w)} for s, w in zip(starts, words, strict=True)],
        "ner_tags": tags,
        "sentence_starts": [sum(map(len, sentences[:i])) for i in range(len(sentences))],
        "entities": [],
        "relations": [],
        "provenance": [],
    }


def test_the_committed_leaderboard_is_what_its_committed_predictions_score():
    assert check(BOARD, REPO / "README.md") == []


def test_the_check_command_passes_on_the_committed_board():
    result = CliRunner().invoke(
        main, ["leaderboard", "check", "--board", str(BOARD), "--readme", str(REPO / "README.md")]
    )

    assert result.exit_code == 0, result.output
    assert "every entry matches" in result.output


def test_every_committed_baseline_has_every_split_and_its_predictions():
    board = read_board(BOARD)
    systems = {entry["name"] for entry in board["entries"]}

    assert {"dictionary", "spacy_ner_trained", "crf", "relations_nearest", "relation_classifier"} <= systems
    assert len(systems) >= 5
    for name in systems:
        assert {e["split"] for e in board["entries"] if e["name"] == name} == {"all", "validation", "test"}
    for entry in board["entries"]:
        assert (BOARD.parent / entry["predictions"]).is_file()
        assert entry["throughput"]["tokens_per_second"] > 0


# Helpers: prediction files made from the gold, and a board in a temporary repository


def write_predictions(path: Path, split: str, *, entities: bool = True, relations: bool = False) -> Path:
    """A JSONL file predicting the gold of ``split`` (its entities, optionally its relations), or nothing."""
    lines = []
    for document in documents_of(load(split=split)):
        spans = sorted(document.entities) if entities else []
        index = {span.id: i for i, span in enumerate(spans)}
        line: dict[str, Any] = {
            "id": document.id,
            "entities": [{"start": s.start, "end": s.end, "label": s.label} for s in spans],
        }
        if relations:
            line["relations"] = [
                {"head": index[r.head], "tail": index[r.tail], "label": r.label} for r in document.relations
            ]
        lines.append(json.dumps(line, ensure_ascii=False))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def submission(predictions: Path, name: str = "oracle", **changes: Any) -> Submission:
    fields: dict[str, Any] = {
        "name": name,
        "split": "validation",
        "predictions": predictions,
        "coarse": False,
        "description": "the gold itself",
        "link": "eval/baselines/dictionary.py",
        "date": "2026-01-01",
        "data_seen": "the gold of the scored split",
        **changes,
    }
    return Submission(**fields)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "README.md").write_text(f"# Project\n\n## Leaderboard\n\n{START}\n{END}\n\n## Licence\n")
    return tmp_path


# scores_of on imperfect predictions, every number derived by hand


def test_scores_of_keeps_precision_recall_and_modes_apart(tmp_path: Path):
    # One document, sentences [w0 w1 w2 w3 w4] [w5 w6 w7].
    # Gold:      B-PER I-PER O B-LOC O | B-ORG O B-PER -> PER(0-1), LOC(3), ORG(5), PER(7): 4 chunks
    # Predicted: B-PER I-PER O I-LOC O | B-ORG B-MISC I-PER
    # Default mode (an I- after O or another type opens a chunk): PER(0-1) LOC(3) ORG(5) MISC(6) PER(7),
    #   TP 4 (all but MISC), predicted 5, gold 4: P = 4/5 = 0.8, R = 4/4 = 1.0, F1 = 8/9 = 0.8889.
    # Strict mode (only B- opens a chunk): PER(0-1) ORG(5) MISC(6),
    #   TP 2, predicted 3, gold 4: P = 2/3 = 0.6667, R = 2/4 = 0.5, F1 = 4/7 = 0.5714.
    # Per-label F1 is strict: PER TP 1, predicted 1, gold 2 -> P 1, R 0.5, F1 2/3; LOC 0; ORG 1; MISC 0.
    gold_tags = [["B-PER", "I-PER", "O", "B-LOC", "O"], ["B-ORG", "O", "B-PER"]]
    predicted_tags = ["B-PER", "I-PER", "O", "I-LOC", "O", "B-ORG", "B-MISC", "I-PER"]
    gold = Dataset.from_list([tagged_document("d", gold_tags)], features=FEATURES)
    predictions = read_predictions(Dataset.from_dict({"id": ["d"], "pred_tags": [predicted_tags]}), gold)

    scores = scores_of(evaluate(gold, predictions, bootstrap=0).to_dict(), relations_predicted=False)

    strict, default = scores["entities"]["strict"], scores["entities"]["default"]
    assert (default["precision"], default["recall"], default["f1"]) == (0.8, 1.0, 0.8889)
    assert (strict["precision"], strict["recall"], strict["f1"]) == (0.6667, 0.5, 0.5714)
    assert default["support"] == strict["support"] == 4
    assert {label: row["f1"] for label, row in scores["entities"]["per_label"].items()} == {
        "LOC": 0.0,
        "MISC": 0.0,
        "ORG": 1.0,
        "PER": 0.6667,
    }
    assert scores["adjusted_spans"] == {"widened": 0, "cut": 0}
    assert scores["relations"] is None


def test_the_board_shows_adjusted_spans_and_the_data_each_system_saw(repo: Path):
    # The gold of the validation split with every entity whose first token has 2+ characters starting 1
    # character late: it starts inside that token, so it is widened back to the gold when read.
    board_path = repo / "eval" / "leaderboard.json"
    shifted = write_predictions(repo / "eval" / "shifted.jsonl", "validation")
    lines = [json.loads(line) for line in shifted.read_text("utf-8").splitlines()]
    widened = 0
    for line, row in zip(lines, load(split="validation"), strict=True):
        ends = {o["start"]: o["end"] for o in row["token_offsets"]}
        for entity in line["entities"]:
            if ends[entity["start"]] - entity["start"] > 1:
                entity["start"] += 1
                widened += 1
    shifted.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), "utf-8")

    assert widened > 0
    _, entry = add(board_path, submission(shifted, data_seen="train (gazetteer)"))
    board = read_board(board_path)

    assert entry["scores"]["adjusted_spans"] == {"widened": widened, "cut": 0}
    assert entry["scores"]["entities"]["strict"]["f1"] == 1.0  # adjusted, not wrong, on the board
    assert entry["data_seen"] == "train (gazetteer)"
    page = render_markdown(board, board_path, repo / "README.md")
    assert f"| {widened} / 0 " in page and "| train (gazetteer) " in page
    assert "| train (gazetteer) " in render_readme_section(board, board_path, repo / "README.md")


# add


def test_adding_scores_the_predictions_with_the_harness(repo: Path):
    perfect = write_predictions(repo / "eval" / "predictions" / "oracle.jsonl", "validation")

    _, entry = add(repo / "eval" / "leaderboard.json", submission(perfect))

    assert entry["predictions"] == "predictions/oracle.jsonl"
    assert entry["view"] == "full"
    strict = entry["scores"]["entities"]["strict"]
    assert (strict["precision"], strict["recall"], strict["f1"], strict["f1_ci95"]) == (
        1.0,
        1.0,
        1.0,
        [1.0, 1.0],
    )
    assert entry["scores"]["entities"]["default"]["f1"] == 1.0
    assert set(entry["scores"]["entities"]["per_label"]) <= {
        "PER",
        "ORG",
        "LOC",
        "TITLE",
        "DATE",
        "EVENT",
        "MISC",
    }
    assert entry["scores"]["relations"] is None  # it predicted no relation at all


def test_adding_the_same_name_and_split_again_updates_the_one_entry(repo: Path):
    board_path = repo / "eval" / "leaderboard.json"
    add(board_path, submission(write_predictions(repo / "eval" / "perfect.jsonl", "validation")))

    empty = write_predictions(repo / "eval" / "empty.jsonl", "validation", entities=False)
    board, _ = add(board_path, submission(empty, description="now predicts nothing"))

    assert len(board["entries"]) == 1
    [entry] = read_board(board_path)["entries"]
    assert entry["description"] == "now predicts nothing"
    assert entry["scores"]["entities"]["strict"]["f1"] == 0.0


def test_another_name_or_split_adds_an_entry(repo: Path):
    board_path = repo / "eval" / "leaderboard.json"
    perfect = write_predictions(repo / "eval" / "perfect.jsonl", "validation")
    add(board_path, submission(perfect))
    add(board_path, submission(perfect, name="oracle-2"))
    board, _ = add(board_path, submission(write_predictions(repo / "eval" / "t.jsonl", "test"), split="test"))

    assert [(e["name"], e["split"]) for e in board["entries"]] == [
        ("oracle", "test"),
        ("oracle", "validation"),
        ("oracle-2", "validation"),
    ]


def test_a_coarse_submission_is_scored_on_the_coarse_labels(repo: Path):
    perfect = write_predictions(repo / "eval" / "perfect.jsonl", "validation")

    _, entry = add(repo / "eval" / "leaderboard.json", submission(perfect, coarse=True))

    assert entry["view"] == "coarse"
    assert set(entry["scores"]["entities"]["per_label"]) <= {"PER", "ORG", "LOC", "MISC"}


def test_predicted_relations_are_scored(repo: Path):
    perfect = write_predictions(repo / "eval" / "perfect.jsonl", "validation", relations=True)

    _, entry = add(repo / "eval" / "leaderboard.json", submission(perfect, gold_entities=True))

    assert entry["scores"]["relations"]["f1"] == 1.0
    assert entry["scores"]["relations_boundaries"]["f1"] == 1.0
    assert entry["gold_entities"] is True


def test_an_argument_typed_wrong_counts_in_boundaries_mode_only(repo: Path):
    # The gold of test with one relation argument relabelled: every relation it is an argument of
    # (k of the n) is wrong in strict mode and right in boundaries mode; each mode predicts n of n gold.
    predictions = write_predictions(repo / "eval" / "typed.jsonl", "test", relations=True)
    lines = [json.loads(line) for line in predictions.read_text("utf-8").splitlines()]
    line = next(line for line in lines if line["relations"])
    argument = line["relations"][0]["head"]
    old = line["entities"][argument]["label"]
    line["entities"][argument]["label"] = "MISC" if old != "MISC" else "ORG"
    predictions.write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")
    n = sum(len(line["relations"]) for line in lines)
    k = sum(argument in (r["head"], r["tail"]) for r in line["relations"])

    _, entry = add(repo / "eval" / "leaderboard.json", submission(predictions, split="test"))

    assert 0 < k < n
    strict, boundaries = entry["scores"]["relations"], entry["scores"]["relations_boundaries"]
    assert (strict["precision"], strict["recall"]) == (round((n - k) / n, 4),) * 2
    assert (boundaries["precision"], boundaries["recall"], boundaries["f1"]) == (1.0, 1.0, 1.0)
    # an end-to-end system: both modes in the end-to-end columns, the gold-entity ones empty
    section = render_readme_section(
        read_board(repo / "eval" / "leaderboard.json"), repo / "eval" / "leaderboard.json", repo / "README.md"
    )
    relation_part = section.split("**Relations**")[1]
    row = next(row for row in relation_part.splitlines() if row.startswith("| [oracle]"))
    assert [cell.strip() for cell in row.split("|")[2:6]] == [
        f"{100 * strict['f1']:.1f} [{100 * strict['f1_ci95'][0]:.1f}, {100 * strict['f1_ci95'][1]:.1f}]",
        "100.0 [100.0, 100.0]",
        "—",
        "—",
    ]


def test_rescore_brings_an_old_format_board_up_to_date_keeping_everything_else(repo: Path):
    board_path = repo / "eval" / "leaderboard.json"
    predictions = write_predictions(repo / "eval" / "p.jsonl", "validation", relations=True)
    add(board_path, submission(predictions, throughput={"tokens_per_second": 7}))
    board = read_board(board_path)
    entry = board["entries"][0]
    del entry["scores"]["relations_boundaries"]  # as scored before boundaries mode
    entry["scores"]["entities"]["strict"]["f1"] = 0.5
    write_board(board_path, board)
    rendered(repo)
    assert len(check(board_path, repo / "README.md")) == 2

    result = CliRunner().invoke(
        main, ["leaderboard", "rescore", "--board", str(board_path), "--readme", str(repo / "README.md")]
    )

    assert result.exit_code == 0, result.output
    assert "1 entries rescored" in result.output
    assert check(board_path, repo / "README.md") == []
    rescored = read_board(board_path)["entries"][0]
    assert rescored["scores"]["relations_boundaries"]["f1"] == 1.0
    assert {k: v for k, v in rescored.items() if k != "scores"} == {
        k: v for k, v in entry.items() if k != "scores"
    }


def test_rescore_refuses_a_missing_predictions_file_and_writes_nothing(repo: Path):
    board_path = repo / "eval" / "leaderboard.json"
    predictions = write_predictions(repo / "eval" / "p.jsonl", "validation")
    add(board_path, submission(predictions))
    before = board_path.read_bytes()
    predictions.unlink()

    result = CliRunner().invoke(
        main, ["leaderboard", "rescore", "--board", str(board_path), "--readme", str(repo / "README.md")]
    )

    assert result.exit_code == 1
    assert "entry oracle (validation): predictions file" in result.output and "is missing" in result.output
    assert board_path.read_bytes() == before


# check


def rendered(repo: Path) -> Path:
    """Write the markdown and README section of the board in ``repo`` as `render` would (no chart)."""
    board_path = repo / "eval" / "leaderboard.json"
    board = read_board(board_path)
    (repo / "eval" / "LEADERBOARD.md").write_text(render_markdown(board, board_path, repo / "README.md"))
    readme = repo / "README.md"
    readme.write_text(
        with_readme_section(readme.read_text(), render_readme_section(board, board_path, readme))
    )
    return board_path


def test_check_passes_on_a_freshly_added_and_rendered_board(repo: Path):
    add(
        repo / "eval" / "leaderboard.json",
        submission(write_predictions(repo / "eval" / "p.jsonl", "validation")),
    )

    assert check(rendered(repo), repo / "README.md") == []


def test_check_fails_when_a_stored_score_is_not_what_the_predictions_give(repo: Path):
    add(
        repo / "eval" / "leaderboard.json",
        submission(write_predictions(repo / "eval" / "p.jsonl", "validation")),
    )
    board_path = rendered(repo)
    board = read_board(board_path)
    board["entries"][0]["scores"]["entities"]["strict"]["f1"] = 0.5
    write_board(board_path, board)
    rendered(repo)

    problems = check(board_path, repo / "README.md")

    assert [p.message.split(";")[0] for p in problems] == [
        "scores.entities.strict.f1: board 0.5, recomputed 1.0"
    ]
    result = CliRunner().invoke(
        main, ["leaderboard", "check", "--board", str(board_path), "--readme", str(repo / "README.md")]
    )
    assert result.exit_code == 1
    assert "scores.entities.strict.f1" in result.output


def test_check_fails_when_the_predictions_changed_since_they_were_scored(repo: Path):
    predictions = write_predictions(repo / "eval" / "p.jsonl", "validation")
    add(repo / "eval" / "leaderboard.json", submission(predictions))
    board_path = rendered(repo)
    write_predictions(predictions, "validation", entities=False)

    assert any("scores.entities.strict.f1" in p.message for p in check(board_path, repo / "README.md"))


def test_check_fails_when_predictions_are_missing_or_renderings_stale(repo: Path):
    predictions = write_predictions(repo / "eval" / "p.jsonl", "validation")
    add(repo / "eval" / "leaderboard.json", submission(predictions))
    predictions.unlink()

    messages = [p.message for p in check(repo / "eval" / "leaderboard.json", repo / "README.md")]

    assert len(messages) == 3
    assert "is missing" in messages[0]
    assert all("out of date" in message for message in messages[1:])


# render


def test_the_readme_section_is_put_between_the_markers_and_nothing_else_changes():
    readme = f"# P\n\ntext\n\n## Leaderboard\n\n{START}\nold table\n{END}\n\n## Licence\n"

    updated = with_readme_section(readme, "new table")

    assert updated == f"# P\n\ntext\n\n## Leaderboard\n\n{START}\nnew table\n{END}\n\n## Licence\n"
    assert with_readme_section(updated, "new table") == updated


@pytest.mark.parametrize(
    "text", [None, "# Someone else's project\n", f"# P\n\n{END}\nold\n{START}\n", f"# P\n\n{START}\n"]
)
def test_adding_never_edits_a_readme_without_both_markers_and_writes_nothing(tmp_path: Path, text):
    readme = tmp_path / "README.md"
    if text is not None:
        readme.write_text(text)
    predictions = write_predictions(tmp_path / "p.jsonl", "test")
    board = tmp_path / "board" / "leaderboard.json"
    arguments = ["leaderboard", "add", "--name", "s", "--predictions", str(predictions), "--split", "test"]
    arguments += ["--description", "d", "--data-seen", "x", "--board", str(board), "--readme", str(readme)]

    result = CliRunner().invoke(main, arguments)

    assert result.exit_code == 1
    assert result.output.startswith("error: ") and f"{START} and {END}" in result.output
    assert not (tmp_path / "board").exists()
    assert (readme.read_text() if readme.exists() else None) == text


def test_check_reports_a_readme_without_markers(repo: Path):
    add(
        repo / "eval" / "leaderboard.json",
        submission(write_predictions(repo / "eval" / "p.jsonl", "validation")),
    )
    board_path = rendered(repo)
    (repo / "README.md").write_text("# Project\n")

    (problem,) = check(board_path, repo / "README.md")

    assert problem.where == str(repo / "README.md") and "no leaderboard markers" in problem.message


@pytest.mark.parametrize(
    "command",
    [["add", "--name", "s", "--split", "test", "--description", "d", "--data-seen", "x"], ["render"]],
)
def test_default_board_and_readme_are_refused_outside_a_checkout(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "README.md").write_text(f"# Someone else's project\n\n{START}\n{END}\n")
    predictions = write_predictions(tmp_path / "p.jsonl", "test")
    extra = ["--predictions", str(predictions)] if command[0] == "add" else []

    result = CliRunner().invoke(main, ["leaderboard", *command, *extra])

    assert result.exit_code == 2
    assert "eval/leaderboard.json of a vna-ner checkout" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "p.jsonl"]
    assert (tmp_path / "README.md").read_text() == f"# Someone else's project\n\n{START}\n{END}\n"


def test_systems_given_gold_entities_appear_only_in_the_relation_table(repo: Path):
    board_path = repo / "eval" / "leaderboard.json"
    for split in ("validation", "test"):
        add(board_path, submission(write_predictions(repo / "eval" / f"e.{split}.jsonl", split), split=split))
        relations = write_predictions(repo / "eval" / f"r.{split}.jsonl", split, relations=True)
        add(board_path, submission(relations, name="rules", split=split, gold_entities=True))
    board = read_board(board_path)

    section = render_readme_section(board, board_path, repo / "README.md")

    entity_part, relation_part = section.split("**Relations**")
    assert "[oracle](eval/baselines/dictionary.py)" in entity_part
    assert "rules" not in entity_part
    # the gold-entity setting has its own column: the end-to-end one is empty for this system
    header = next(row for row in relation_part.splitlines() if row.startswith("| System"))
    assert [cell.strip() for cell in header.split("|")[2:6]] == [
        "End-to-end, strict F1 [95% CI]",
        "End-to-end, boundaries F1 [95% CI]",
        "Gold entities, strict F1 [95% CI]",
        "Gold entities, boundaries F1 [95% CI]",
    ]
    row = next(row for row in relation_part.splitlines() if row.startswith("| [rules]"))
    assert [cell.strip() for cell in row.split("|")[2:6]] == ["—", "—", *["100.0 [100.0, 100.0]"] * 2]
    assert "[oracle](baselines/dictionary.py)" in render_markdown(board, board_path, repo / "README.md")


def test_the_cli_adds_renders_and_writes_a_byte_stable_chart(repo: Path):
    predictions = write_predictions(repo / "eval" / "p.jsonl", "test")
    throughput = repo / "eval" / "p.throughput.json"
    throughput.write_text(json.dumps({"tokens_per_second": 1234, "protocol": "test"}))
    board, readme = repo / "eval" / "leaderboard.json", repo / "README.md"
    arguments = ["--board", str(board), "--readme", str(readme)]
    add_arguments = ["leaderboard", "add", "--name", "oracle", "--predictions", str(predictions)]
    add_arguments += ["--split", "test", "--description", "gold", "--throughput", str(throughput), *arguments]
    add_arguments += ["--data-seen", "the test gold"]

    result = CliRunner().invoke(main, add_arguments)

    assert result.exit_code == 0, result.output
    assert (
        "1,200" in readme.read_text()
    )  # two significant figures and readme.read_text().endswith(f"{END}\n\n## Licence\n")
    chart = (repo / "eval" / "leaderboard_f1.png").read_bytes()
    assert chart.startswith(b"\x89PNG")
    assert CliRunner().invoke(main, ["leaderboard", "render", *arguments]).exit_code == 0
    assert (repo / "eval" / "leaderboard_f1.png").read_bytes() == chart
    assert check(board, readme) == []


# The headline: every document, rank groups


def dropped(path: Path, every: int) -> Path:
    """The prediction file at ``path`` without the first entity of every ``every``-th line."""
    lines = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    for line in lines[::every]:
        line["entities"] = line["entities"][1:]
    out = path.with_name(f"drop{every}.{path.name}")
    out.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), "utf-8")
    return out


def test_rank_groups_split_where_compare_finds_neighbours_significantly_different(repo: Path):
    board_path = repo / "eval" / "leaderboard.json"
    gold = write_predictions(repo / "eval" / "gold.all.jsonl", "all")
    systems = {
        "gold": gold,
        "one_less": dropped(gold, 31),  # one entity fewer in one document: not significantly different
        "empty": write_predictions(repo / "eval" / "empty.all.jsonl", "all", entities=False),
    }
    for name, path in systems.items():
        board, _ = add(board_path, submission(path, name=name, split="all"))
    ranked = board["rank_groups"]["full"]

    # F1: gold 1, one_less 2 * 654 / (654 + 655) = 0.99924, empty 0. Groups: a new one only after one_less.
    assert [(row["name"], row["group"]) for row in ranked] == [("gold", 1), ("one_less", 1), ("empty", 2)]
    assert ranked[0]["next"]["delta_f1"] == round(1 - 2 * 654 / 1309, 4)
    assert [row["next"]["significant"] for row in ranked[:2]] == [False, True]
    for row in ranked[:2]:
        pair = [str(systems[row["name"]]), str(systems[row["next"]["name"]])]
        result = CliRunner().invoke(main, ["compare", *pair, "--split", "all", "--permutations", "0"])
        assert result.exit_code == 0, result.output
        p = float(result.output.split(", p = ")[1].split(" ")[0])
        assert p == row["next"]["p_bootstrap"]
        assert (p < 0.05) == row["next"]["significant"]
    section = render_readme_section(board, board_path, repo / "README.md")
    rows = [
        [cell.strip() for cell in line.split("|")[1:5]]
        for line in section.splitlines()
        if line.startswith("| ") and "](" in line
    ]
    assert rows == [
        ["1", "[gold](eval/baselines/dictionary.py)", "100.0 [100.0, 100.0]", "100.0–100.0"],
        ["1", "[one_less](eval/baselines/dictionary.py)", rows[1][2], rows[1][3]],
        ["2", "[empty](eval/baselines/dictionary.py)", "0.0 [0.0, 0.0]", "0.0–0.0"],
    ]
    assert rows[1][2].startswith("99.9 [")
    assert "p < 0.05" in section and "paired bootstrap over documents" in section
    assert "Neighbours: gold vs one_less: ΔF1 +0.1, p = " in section
    assert check(rendered(repo), repo / "README.md") == []
    board = read_board(board_path)
    board["rank_groups"]["full"][2]["group"] = 3
    write_board(board_path, board)
    assert any(p.message.startswith("rank_groups.full:") for p in check(board_path, repo / "README.md"))


def test_an_all_document_entry_keeps_its_fold_spread_and_out_of_fold_count(repo: Path):
    path = write_predictions(repo / "eval" / "gold.all.jsonl", "all")
    lines = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    folds = dict(zip(load(split="all")["id"], load(split="all")["fold"], strict=True))
    path.write_text(
        "".join(json.dumps({**line, "fold": folds[line["id"]]}) + "\n" for line in lines), "utf-8"
    )
    _, entry = add(repo / "eval" / "leaderboard.json", submission(path, split="all"))
    assert entry["scores"]["out_of_fold"] == 31
    assert entry["scores"]["folds"] == {
        "min": 1.0, "max": 1.0, "std": 0.0, "per_fold": {str(f): 1.0 for f in range(5)}
    }  # fmt: skip
    result = CliRunner().invoke(
        main,
        ["leaderboard", "add", "--name", "g", "--split", "all", "--predictions", str(path), "--description",
         "d", "--data-seen", "all gold", "--board", str(repo / "eval" / "leaderboard.json"), "--readme",
         str(repo / "README.md")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "g (all, full view): strict micro F1 1.0000" in result.output
    assert "## All documents (out-of-fold)" in (repo / "eval" / "LEADERBOARD.md").read_text("utf-8")


def test_the_headroom_is_the_agreement_ceiling_minus_the_best_headline_system():
    def entry(name: str, split: str, f1: float, relations: float | None = None, **extra: Any) -> dict:
        scores = {
            "entities": {"strict": {"f1": f1}},
            "relations": None if relations is None else {"f1": relations},
        }
        return {"name": name, "split": split, "view": "full", "scores": scores, **extra}

    board = {
        "entries": [
            entry("a", "all", 0.75),
            entry("b", "all", 0.8125, relations=0.5),
            entry("c", "test", 0.9),  # not the headline: the all-document score ranks
            entry("rules", "all", 1.0, relations=0.625, gold_entities=True),  # entity score not a result
        ]
    }
    figures = {
        "p1_vs_p2": {
            "documents": 16,
            "entities": {"micro": {"f1": 0.95}},
            "relations": {"micro": {"f1": 0.9}},
        }
    }
    rows = [
        [cell.strip() for cell in line.split("|")[1:-1]]
        for line in headroom_markdown(board, figures, "p1_vs_p2").splitlines()[2:]
    ]
    assert rows == [
        ["entities, micro F1", "95.0", "81.2 (b, all documents, out-of-fold)", "13.7"],  # 95 - 81.25
        ["relations (strict), end-to-end", "90.0", "50.0 (b, all documents, out-of-fold)", "40.0"],
        [
            "relations (strict), gold entities given",
            "90.0",
            "62.5 (rules, all documents, out-of-fold)",
            "27.5",
        ],
    ]
