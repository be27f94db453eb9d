"""The benchmark's leaderboard: systems scored by :mod:`vna_ner.benchmark.evaluate`, kept in JSON.

The JSON is the single source: ``eval/LEADERBOARD.md``, the table between the README's leaderboard markers and
the chart of the headline scores are rendered from it, and :func:`check` rescores every entry from its
committed predictions so that a stale board fails; :func:`rescore` brings every entry up to date from those
predictions (after a change of the scoring or of the board's format). Only a README holding both markers is
ever edited.

Relations are scored in strict mode (``relations``: label, both argument spans and their entity types) and
in boundaries mode (``relations_boundaries``: entity types ignored); end-to-end systems and those given the
gold entities are separate columns of the relation tables.

The headline is the score on every document (split ``all``), each predicted out-of-fold by systems that
train; test and validation scores stay beside it. Rank groups: systems are ordered by headline strict F1
and each is compared with the next by the paired bootstrap over documents of :mod:`vna_ner.benchmark.compare`
(what ``vna-ner compare A B --split all`` prints, same resamples and seed); a p-value below
:data:`ALPHA` starts a new group, so neighbours that do not differ significantly share one. The
comparisons are stored in the board (``rank_groups``) and checked like the scores.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tabulate import tabulate

from vna_ner.benchmark.board_shape import PROTOCOL as BOARD_PROTOCOL
from vna_ner.benchmark.board_shape import RANK_GROUPS, SCORES, shape_problem
from vna_ner.errors import InputError, Problem
from vna_ner.files import atomic_file, write_text_atomically
from vna_ner.json_files import read_json

BOARD = Path("eval/leaderboard.json")
README = Path("README.md")
MARKDOWN_NAME = "LEADERBOARD.md"
CHART_NAME = "leaderboard_f1.png"
START, END = "<!-- leaderboard:start -->", "<!-- leaderboard:end -->"
HEADLINE = "all"  # every document, predicted out-of-fold
SPLIT_ORDER = (HEADLINE, "test", "validation")
RANK_RESAMPLES, ALPHA = 10000, 0.05
VIEWS = {"full": "full view (7 labels)", "coarse": "coarse view (PER, ORG, LOC, MISC; EVENT counted as MISC)"}
BOOTSTRAP, SEED, DIGITS = 1000, 0, 4
PROTOCOL = {
    "metric": "seqeval micro F1 over entity mentions, strict (IOB2) and default mode",
    "headline": (
        "all documents of every split (31), each predicted out-of-fold by systems that train: by the model "
        "trained without the document's cross-validation fold (5 folds, the `fold` column)"
    ),
    "rank_groups": (
        f"neighbours by headline strict F1 share a rank group unless the paired bootstrap over documents "
        f"(`vna-ner compare --split all`, strict mode, {RANK_RESAMPLES} resamples, seed {SEED}) gives "
        f"p < {ALPHA}"
    ),
    "ci95": f"percentile bootstrap over documents, {BOOTSTRAP} resamples, seed {SEED}",
    "per_label": "strict mode",
    "relations": (
        "micro F1 over relations; strict mode: label, head and tail spans and their entity types right; "
        "boundaries mode: label, head and tail spans right, entity types ignored (Taillé et al., 2020)"
    ),
    "adjusted_spans": (
        "predicted spans widened to token edges / cut at gold sentence breaks, scored as adjusted "
        "(`vna-ner eval --strict-spans` scores them wrong)"
    ),
}


@dataclass(frozen=True)
class Submission:
    """What ``leaderboard add`` is told about a system's predictions on one split."""

    name: str
    split: str
    predictions: Path
    coarse: bool
    description: str
    link: str
    date: str
    data_seen: str
    gold_entities: bool = False
    throughput: dict[str, Any] | None = None


# Scoring


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, DIGITS)
    if isinstance(value, list | tuple):
        return [_round(v) for v in value]
    return value


def _summary(block: dict[str, Any]) -> dict[str, Any]:
    micro = block["micro"]
    return {
        "precision": _round(micro["p"]),
        "recall": _round(micro["r"]),
        "f1": _round(micro["f1"]),
        "f1_ci95": _round(block["micro_f1_ci95"]),
        "support": micro["support"],
    }


def _per_label(block: dict[str, Any]) -> dict[str, Any]:
    return {
        label: {"f1": _round(scores["f1"]), "support": scores["support"]}
        for label, scores in sorted(block["per_label"].items())
    }


def scores_of(report: dict[str, Any], *, relations_predicted: bool = True) -> dict[str, Any]:
    """The leaderboard's view of a :meth:`Report.to_dict`: micro P/R/F1 with CI in each mode, per-label F1
    (strict mode), the adjusted spans, and relations in strict and in boundaries mode.

    Relations are None (no part in the relation track) when the system predicted none at all.
    """
    entities = report["entities"]
    relations = report["relations"] if relations_predicted else None
    boundaries = report["relations_boundaries"] if relations_predicted else None
    adjusted = report["adjusted_spans"]
    folds = report.get("folds")
    return {
        "adjusted_spans": {
            "widened": adjusted["widened_to_token_edges"],
            "cut": adjusted["cut_at_sentence_breaks"],
        },
        "entities": {
            "strict": _summary(entities["strict"]),
            "default": _summary(entities["default"]),
            "per_label": _per_label(entities["strict"]),
        },
        "relations": None
        if relations is None
        else {**_summary(relations), "per_label": _per_label(relations)},
        "relations_boundaries": None
        if boundaries is None
        else {**_summary(boundaries), "per_label": _per_label(boundaries)},
        **(
            {}
            if folds is None
            else {"folds": _fold_summary(folds), "out_of_fold": report["out_of_fold_declared"]}
        ),
    }


def _fold_summary(folds: dict[str, Any]) -> dict[str, Any]:
    """Per-fold strict micro F1, its min, max and sample standard deviation, rounded."""
    strict = folds["strict"]
    return {key: _round(strict[key]) for key in ("min", "max", "std")} | {
        "per_fold": {fold: _round(f1) for fold, f1 in strict["per_fold"].items()}
    }


def score(predictions: Path, split: str, *, coarse: bool, data_dir: Path | None = None) -> dict[str, Any]:
    """Score a prediction file against the gold of ``split`` with the leaderboard's bootstrap settings."""
    from vna_ner.benchmark.evaluate import evaluate
    from vna_ner.benchmark.predictions import read_predictions
    from vna_ner.dataset.load import load

    gold = load(split=split, data_dir=data_dir)
    predicted = read_predictions(predictions, gold)
    report = evaluate(gold, predicted, coarse=coarse, bootstrap=BOOTSTRAP, seed=SEED)
    return scores_of(report.to_dict(), relations_predicted=any(predicted.relations or ()))


def rank_groups(board: dict[str, Any], board_path: Path, data_dir: Path | None = None) -> dict[str, Any]:
    """Per view, the headline entries in rank order with their rank group and the paired bootstrap
    against the next one (see the module docstring); views without headline entries are left out.
    """
    from vna_ner.benchmark.compare import compare_predictions
    from vna_ner.benchmark.predictions import read_predictions
    from vna_ner.dataset.load import load

    groups: dict[str, Any] = {}
    gold = None
    for view in VIEWS:
        entries = _ranked(_entity_entries(board, HEADLINE, view), _strict_f1)
        if not entries:
            continue
        gold = gold if gold is not None else load(split=HEADLINE, data_dir=data_dir)
        read = [read_predictions(board_path.parent / entry["predictions"], gold) for entry in entries]
        rows, group = [], 1
        for i, entry in enumerate(entries):
            row: dict[str, Any] = {"name": entry["name"], "group": group}
            if i + 1 < len(entries):
                comparison = compare_predictions(
                    gold, read[i], read[i + 1], coarse=view == "coarse", resamples=RANK_RESAMPLES,
                    permutations=0, seed=SEED,
                )  # fmt: skip
                p = comparison.p_bootstrap
                row["next"] = {
                    "name": entries[i + 1]["name"],
                    "delta_f1": _round(comparison.delta),
                    "p_bootstrap": _round(p),
                    "significant": p is not None and p < ALPHA,
                }
                group += row["next"]["significant"]
            rows.append(row)
        groups[view] = rows
    return groups


# The board


def read_board(path: Path) -> dict[str, Any]:
    """The board at ``path``; an empty one if the file does not exist yet."""
    if not path.exists():
        return {"protocol": PROTOCOL, "entries": []}
    board = read_json(path)
    entries = board.get("entries") if isinstance(board, dict) else None
    if not isinstance(entries, list):
        raise InputError([Problem(str(path), "not a leaderboard: an object with an 'entries' list expected")])
    for number, entry in enumerate(entries, start=1):
        problem = entry_problem(entry)
        if problem:
            raise InputError([Problem(f"{path} entry #{number}", f"not a leaderboard entry: {problem}")])
    for key, shape in (("rank_groups", RANK_GROUPS), ("protocol", BOARD_PROTOCOL)):
        problem = shape_problem(board.get(key, {}), shape, key)
        if problem:
            raise InputError([Problem(str(path), f"not a leaderboard: {problem}")])
    for view, rows in board.get("rank_groups", {}).items():
        names = {entry["name"] for entry in entries if entry["view"] == view}
        unknown = [row["name"] for row in rows if row["name"] not in names]
        if unknown:
            problem = f"rank_groups.{view} names {unknown[0]!r:.60}, which has no entry of that view"
            raise InputError([Problem(str(path), f"not a leaderboard: {problem}")])
    return board


_ENTRY_STRINGS = ("name", "split", "view", "description", "date", "predictions")


def entry_problem(entry: Any) -> str | None:
    """What keeps ``entry`` from being one that :func:`add` writes (its keys' types and its scores' shape)."""
    if not isinstance(entry, dict):
        return "an object expected"
    wrong = [key for key in _ENTRY_STRINGS if not isinstance(entry.get(key), str)]
    if wrong:
        return f"{', '.join(wrong)} must be strings"
    return shape_problem(entry.get("scores"), SCORES, "scores") or throughput_problem(entry.get("throughput"))


def read_throughput(path: Path) -> dict[str, Any]:
    """A throughput record (JSON with ``tokens_per_second``, as the baseline scripts write it), checked."""
    record = read_json(path)
    problem = throughput_problem(record) or (None if record is not None else "an object expected, not null")
    if problem:
        raise InputError([Problem(str(path), problem)])
    return record


def throughput_problem(throughput: Any) -> str | None:
    """What keeps ``throughput`` from being a throughput record (null, or an object whose
    ``tokens_per_second``, if any, is a positive number)."""
    if throughput is None:
        return None
    if not isinstance(throughput, dict):
        return "throughput must be an object with tokens_per_second"
    speed = throughput.get("tokens_per_second")
    if speed is not None and (type(speed) not in (int, float) or not 0 < speed < float("inf")):
        return f"tokens_per_second must be a positive number, not {speed!r:.40}"
    return None


def write_board(path: Path, board: dict[str, Any]) -> None:
    """Write the board as stable, diff-friendly JSON."""
    write_text_atomically(path, json.dumps(board, indent=2, ensure_ascii=False) + "\n")


def _entry_order(entry: dict[str, Any]) -> tuple[int, str, str]:
    split = entry["split"]
    return (SPLIT_ORDER.index(split) if split in SPLIT_ORDER else len(SPLIT_ORDER), split, entry["name"])


def upsert(board: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """The board with ``entry`` replacing the entry of the same name and split, or added."""
    kept = [e for e in board["entries"] if (e["name"], e["split"]) != (entry["name"], entry["split"])]
    return {**board, "protocol": PROTOCOL, "entries": sorted([*kept, entry], key=_entry_order)}


def _relative(path: Path, folder: Path) -> str:
    return Path(os.path.relpath(path.resolve(), folder.resolve())).as_posix()


def add(
    board_path: Path, submission: Submission, *, data_dir: Path | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Score ``submission`` and add or update its entry in the board at ``board_path``; (board, entry)."""
    entry = {
        "name": submission.name,
        "split": submission.split,
        "view": "coarse" if submission.coarse else "full",
        "description": submission.description,
        "link": submission.link,
        "date": submission.date,
        "gold_entities": submission.gold_entities,
        "data_seen": submission.data_seen,
        "predictions": _relative(submission.predictions, board_path.parent),
        "scores": score(
            submission.predictions, submission.split, coarse=submission.coarse, data_dir=data_dir
        ),
        "throughput": submission.throughput,
    }
    board = upsert(read_board(board_path), entry)
    board["rank_groups"] = rank_groups(board, board_path, data_dir)
    write_board(board_path, board)
    return board, entry


def rescore(board_path: Path, *, data_dir: Path | None = None) -> dict[str, Any]:
    """Rescore every entry of the board at ``board_path`` from its predictions, keeping all else, and
    recompute the rank groups; the board written. Nothing is written if an entry cannot be scored.
    """
    if not board_path.exists():
        raise InputError([Problem(str(board_path), "no leaderboard file to rescore")])
    board = read_board(board_path)
    entries = []
    for entry in board["entries"]:
        predictions = board_path.parent / entry["predictions"]
        if not predictions.exists():
            where = f"{board_path} entry {entry['name']} ({entry['split']})"
            raise InputError([Problem(where, f"predictions file {predictions} is missing")])
        scores = score(predictions, entry["split"], coarse=entry["view"] == "coarse", data_dir=data_dir)
        entries.append({**entry, "scores": scores})
    board = {**board, "protocol": PROTOCOL, "entries": entries}
    board["rank_groups"] = rank_groups(board, board_path, data_dir)
    write_board(board_path, board)
    return board


def _differences(stored: Any, recomputed: Any, where: str = "scores") -> list[str]:
    if isinstance(stored, dict) and isinstance(recomputed, dict):
        return [
            difference
            for key in sorted(set(stored) | set(recomputed))
            for difference in _differences(stored.get(key), recomputed.get(key), f"{where}.{key}")
        ]
    return [] if stored == recomputed else [f"{where}: board {stored}, recomputed {recomputed}"]


def check(board_path: Path, readme: Path = README, *, data_dir: Path | None = None) -> list[Problem]:
    """Every way the board is stale: scores its predictions no longer give, and out-of-date renderings."""
    if not board_path.exists():
        return [Problem(str(board_path), "no leaderboard file")]
    board = read_board(board_path)
    hint = (
        "rerun `vna-ner leaderboard rescore` (predictions unchanged), eval/run_baselines.sh, or "
        "`vna-ner leaderboard add` for this entry"
    )
    problems = []
    for entry in board["entries"]:
        where = f"{board_path} entry {entry['name']} ({entry['split']})"
        predictions = board_path.parent / entry["predictions"]
        if not predictions.exists():
            problems.append(Problem(where, f"predictions file {predictions} is missing"))
            continue
        try:
            recomputed = score(
                predictions, entry["split"], coarse=entry["view"] == "coarse", data_dir=data_dir
            )
        except InputError as error:
            problems.extend(Problem(where, f"{problem}; {hint}") for problem in error.problems)
            continue
        problems.extend(
            Problem(where, f"{difference}; {hint}")
            for difference in _differences(entry["scores"], recomputed)
        )
    if not problems:
        ranked = rank_groups(board, board_path, data_dir)
        problems.extend(
            Problem(str(board_path), f"{difference}; {hint}")
            for difference in _differences(board.get("rank_groups", {}), ranked, "rank_groups")
        )
    render_hint = "out of date with the board; run `vna-ner leaderboard render`"
    markdown = board_path.parent / MARKDOWN_NAME
    if _text(markdown) != render_markdown(board, board_path, readme):
        problems.append(Problem(str(markdown), render_hint))
    try:
        text = readme_text(readme)
    except InputError as error:
        return [*problems, *error.problems]
    if text != with_readme_section(text, render_readme_section(board, board_path, readme)):
        problems.append(Problem(str(readme), f"leaderboard section {render_hint}"))
    return problems


def _text(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None


# Rendering


def _f1(scores: dict[str, Any] | None) -> str:
    if scores is None:
        return "—"
    low, high = scores["f1_ci95"]
    return f"{100 * scores['f1']:.1f} [{100 * low:.1f}, {100 * high:.1f}]"


def _tokens_per_second(entry: dict[str, Any]) -> str:
    throughput = entry.get("throughput") or {}
    speed = throughput.get("tokens_per_second")
    # Two significant figures: repeated timings of the same system differ in the third.
    return "—" if speed is None else f"{float(f'{speed:.2g}'):,.0f}"


def _link(entry: dict[str, Any], page_folder: Path, root: Path) -> str:
    """The system's name linked to its page; a link that is not a URL is a path from the repository root."""
    link = entry.get("link") or ""
    if not link:
        return entry["name"]
    if not re.match(r"^[a-z][a-z0-9+.-]*://", link):
        link = _relative(root / link, page_folder)
    return f"[{entry['name']}]({link})"


def _adjusted(entry: dict[str, Any]) -> str:
    adjusted = entry["scores"].get("adjusted_spans")  # entries scored before it was counted have none
    return "—" if adjusted is None else f"{adjusted['widened']} / {adjusted['cut']}"


def _data_seen(entry: dict[str, Any]) -> str:
    return entry.get("data_seen") or "not stated"


def _strict_f1(entry: dict[str, Any]) -> float:
    return entry["scores"]["entities"]["strict"]["f1"]


def _ranked(entries: list[dict[str, Any]], key: Any) -> list[dict[str, Any]]:
    return sorted(entries, key=lambda entry: (-key(entry), entry["name"]))


def _entity_table(entries: list[dict[str, Any]], page_folder: Path, root: Path) -> str:
    rows = [
        [
            rank,
            _link(entry, page_folder, root),
            _f1(entry["scores"]["entities"]["strict"]),
            _f1(entry["scores"]["entities"]["default"]),
            _adjusted(entry),
            _data_seen(entry),
            _tokens_per_second(entry),
        ]
        for rank, entry in enumerate(_ranked(entries, _strict_f1), start=1)
    ]
    headers = [
        "#",
        "System",
        "Strict F1 [95% CI]",
        "Default F1 [95% CI]",
        "Widened / cut spans",
        "Data seen",
        "Tokens/s",
    ]
    return tabulate(rows, headers, tablefmt="github", disable_numparse=True)


def _relation_f1(entry: dict[str, Any]) -> float:
    return entry["scores"]["relations"]["f1"]


RELATIONS_CAPTION = (
    "*strict*: label, both argument spans and their entity types right; *boundaries*: label and both "
    "argument spans right, entity types ignored. End-to-end systems predict the entities, the others are "
    "given the gold ones"
)


def _relation_table(entries: list[dict[str, Any]], page_folder: Path, root: Path) -> str:
    """End-to-end systems (predicted entities) first, then those given the gold entities, each by strict F1;
    the two settings in separate columns, each in strict and boundaries mode."""
    end_to_end = _ranked([e for e in entries if not e.get("gold_entities")], _relation_f1)
    given = _ranked([e for e in entries if e.get("gold_entities")], _relation_f1)
    rows = []
    for entry in [*end_to_end, *given]:
        scores = [_f1(entry["scores"]["relations"]), _f1(entry["scores"].get("relations_boundaries"))]
        shown = ["—", "—", *scores] if entry.get("gold_entities") else [*scores, "—", "—"]
        rows.append([_link(entry, page_folder, root), *shown, _data_seen(entry), _tokens_per_second(entry)])
    headers = [
        "System",
        "End-to-end, strict F1 [95% CI]",
        "End-to-end, boundaries F1 [95% CI]",
        "Gold entities, strict F1 [95% CI]",
        "Gold entities, boundaries F1 [95% CI]",
        "Data seen",
        "Tokens/s",
    ]
    return tabulate(rows, headers, tablefmt="github", disable_numparse=True)


def _spread(entry: dict[str, Any] | None) -> str:
    folds = (entry or {}).get("scores", {}).get("folds")
    if folds is None:
        return "—"
    return f"{100 * folds['min']:.1f}–{100 * folds['max']:.1f}"


def _headline_order(board: dict[str, Any], view: str) -> tuple[list[str], dict[str, int]]:
    """System names of ``view`` in headline rank order (then the others by test F1), and rank groups."""
    ranked = board.get("rank_groups", {}).get(view, [])
    groups = {row["name"]: row["group"] for row in ranked}
    others = {
        e["name"]: e
        for split in reversed(SPLIT_ORDER)
        for e in _entity_entries(board, split, view)
        if e["name"] not in groups
    }
    return [row["name"] for row in ranked] + [
        e["name"] for e in _ranked(list(others.values()), _strict_f1)
    ], groups


def _headline_table(board: dict[str, Any], view: str, page_folder: Path, root: Path) -> str:
    """Every system of ``view``: rank group, all-document strict F1 and fold spread, test and validation."""
    names, groups = _headline_order(board, view)
    entry_of = {
        (e["name"], e["split"]): e for split in SPLIT_ORDER for e in _entity_entries(board, split, view)
    }
    rows = []
    for name in names:
        found = [entry_of.get((name, split)) for split in SPLIT_ORDER]
        shown = next(e for e in found if e is not None)
        rows.append(
            [
                groups.get(name, "—"),
                _link(shown, page_folder, root),
                *[_f1(e["scores"]["entities"]["strict"]) if e else "—" for e in found[:1]],
                _spread(found[0]),
                *[_f1(e["scores"]["entities"]["strict"]) if e else "—" for e in found[1:]],
                _data_seen(shown),
                _tokens_per_second(shown),
            ]
        )
    headers = [
        "Rank group",
        "System",
        "All documents, strict F1 [95% CI]",
        "Folds min–max",
        "Test, strict F1 [95% CI]",
        "Validation, strict F1 [95% CI]",
        "Data seen",
        "Tokens/s",
    ]
    return tabulate(rows, headers, tablefmt="github", disable_numparse=True)


def _rank_note(board: dict[str, Any], view: str) -> str:
    """Under a headline table: how rank groups are made, and each neighbour comparison."""
    protocol = {**PROTOCOL, **board.get("protocol", {})}
    pairs = [
        f"{row['name']} vs {row['next']['name']}: ΔF1 {100 * row['next']['delta_f1']:+.1f}, "
        f"p = {row['next']['p_bootstrap']:.4f}"
        for row in board.get("rank_groups", {}).get(view, [])
        if "next" in row
    ]
    said = f"*Rank group*: {protocol['rank_groups']}; systems without an all-document entry are not ranked."
    return said + (f" Neighbours: {'; '.join(pairs)}." if pairs else "")


def _per_label_table(entries: list[dict[str, Any]]) -> str:
    labels = sorted({label for entry in entries for label in entry["scores"]["entities"]["per_label"]})
    rows = [
        [entry["name"]]
        + [
            f"{100 * per_label[label]['f1']:.1f}" if label in per_label else "—"
            for per_label in [entry["scores"]["entities"]["per_label"]]
            for label in labels
        ]
        for entry in _ranked(entries, _strict_f1)
    ]
    return tabulate(rows, ["System", *labels], tablefmt="github", disable_numparse=True)


def _entity_entries(board: dict[str, Any], split: str, view: str) -> list[dict[str, Any]]:
    return [
        e
        for e in board["entries"]
        if e["split"] == split and e["view"] == view and not e.get("gold_entities")
    ]


def _relation_entries(board: dict[str, Any], split: str) -> list[dict[str, Any]]:
    return [e for e in board["entries"] if e["split"] == split and e["scores"]["relations"] is not None]


def _splits(board: dict[str, Any]) -> list[str]:
    return sorted(
        {entry["split"] for entry in board["entries"]}, key=lambda s: _entry_order({"split": s, "name": ""})
    )


def _tables(
    board: dict[str, Any], split: str, page_folder: Path, root: Path, *, per_label: bool
) -> list[str]:
    parts = []
    for view, title in VIEWS.items():
        entries = _entity_entries(board, split, view)
        if entries:
            parts += [f"**Entities, {title}**", _entity_table(entries, page_folder, root)]
            if per_label:
                parts += [f"Per-label strict F1, {view} view:", _per_label_table(entries)]
    relations = _relation_entries(board, split)
    if relations:
        parts += [f"**Relations** ({RELATIONS_CAPTION})"]
        parts += [_relation_table(relations, page_folder, root)]
    return parts


def _headline_parts(board: dict[str, Any], page_folder: Path, root: Path) -> list[str]:
    """Each view's headline table with its rank note, then the relations of the headline split (or test)."""
    parts = []
    for view, title in VIEWS.items():
        if any(_entity_entries(board, split, view) for split in SPLIT_ORDER):
            parts += [f"**Entities, {title}**", _headline_table(board, view, page_folder, root)]
            parts.append(_rank_note(board, view))
    split = HEADLINE if _relation_entries(board, HEADLINE) else "test"
    relations = _relation_entries(board, split)
    if relations:
        where = "all documents" if split == HEADLINE else "test split"
        parts += [
            f"**Relations**, {where} ({RELATIONS_CAPTION})",
            _relation_table(relations, page_folder, root),
        ]
    return parts


def render_readme_section(board: dict[str, Any], board_path: Path, readme: Path) -> str:
    """The README's leaderboard: the headline tables (all documents, test, validation), then relations."""
    root, folder = readme.parent, readme.parent
    markdown = _relative(board_path.parent / MARKDOWN_NAME, folder)
    intro = (
        "Micro F1 (%) over entity mentions, seqeval strict (IOB2) mode, with 95% bootstrap confidence "
        "intervals over documents. The headline is *all documents*: every one of the 31 documents, each "
        "predicted out-of-fold by systems that train (by the model trained without its fold); test and "
        "validation stay beside it. *Folds min–max*: the lowest and highest fold's F1. *Data seen*: what "
        "each system was built or tuned from. Default-mode scores, adjusted spans, per-label F1 and system "
        f"descriptions: [{markdown}]({markdown})."
    )
    return "\n\n".join([intro, *_headline_parts(board, folder, root)])


def readme_text(readme: Path) -> str:
    """The text of ``readme``, refused unless it holds the leaderboard markers, start before end."""
    text = _text(readme)
    if text is None or not 0 <= text.find(START) < text.find(END):
        found = "does not exist" if text is None else "has no leaderboard markers"
        raise InputError(
            [Problem(str(readme), f"{found}; the table goes between lines {START} and {END}, in that order")]
        )
    return text


def with_readme_section(text: str, section: str) -> str:
    """README ``text`` (holding the markers, see :func:`readme_text`) with ``section`` between them."""
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{section}\n{END}{after}"


def render_markdown(board: dict[str, Any], board_path: Path, readme: Path = README) -> str:
    """``eval/LEADERBOARD.md``: each split's tables, per-label F1, the chart and the systems' descriptions."""
    folder, root = board_path.parent, readme.parent
    protocol = {**PROTOCOL, **board.get("protocol", {})}
    parts = [
        "# Leaderboard",
        "Generated from `leaderboard.json` by `vna-ner leaderboard render`; do not edit by hand.",
        f"Scores are {protocol['metric']}, in %; 95% CI by {protocol['ci95']}. The headline is "
        f"{protocol['headline']}; test and validation scores stay. Per-label F1 is "
        f"{protocol['per_label']}. A split has few documents, so the bootstrap's resamples take few distinct "
        "values: the intervals are coarse and lopsided (the point estimate is rarely in their middle). "
        f"*Widened / cut spans*: {protocol['adjusted_spans']}. *Data seen*: what each system was built or "
        "tuned from (no rule, gazetteer or model of the baselines comes from the test split). Systems "
        "in the *Gold entities* relation column were given the scored split's gold entities: only their "
        "relation scores are results. Tokens/s is the prediction step alone (model "
        "loading excluded), wall clock over the whole split; each entry's `throughput` in the JSON says how.",
    ]
    if board["entries"]:
        parts.append(f"![Headline strict F1 with 95% intervals]({CHART_NAME})")
    parts += ["## Headline", *_headline_parts(board, folder, root)]
    for split in _splits(board):
        title = "All documents (out-of-fold)" if split == HEADLINE else f"{split.capitalize()} split"
        parts += [f"## {title}", *_tables(board, split, folder, root, per_label=True)]
    rows = [
        [
            _link(entry, folder, root),
            entry["split"],
            entry["view"],
            entry["date"],
            f"[{Path(entry['predictions']).name}]({entry['predictions']})",
            entry["description"],
        ]
        for entry in board["entries"]
    ]
    parts += [
        "## Systems",
        tabulate(
            rows,
            ["System", "Split", "View", "Date", "Predictions", "Description"],
            tablefmt="github",
            disable_numparse=True,
        ),
    ]
    return "\n\n".join(parts) + "\n"


def render_chart(board: dict[str, Any], path: Path) -> None:
    """The headline strict F1 of every system with its 95% interval, one panel per view (PNG, Agg): the
    all-document scores, or the test split's where a view has none yet.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = []
    for view in VIEWS:
        split = HEADLINE if _entity_entries(board, HEADLINE, view) else "test"
        entries = _ranked(_entity_entries(board, split, view), _strict_f1)
        if entries:
            panels.append((view, split, entries))
    figure, axes = plt.subplots(
        len(panels) or 1,
        1,
        figsize=(8, 0.5 + sum(0.45 * len(e) + 0.9 for _, _, e in panels) if panels else 2),
        squeeze=False,
        layout="constrained",
        height_ratios=[len(e) + 1 for _, _, e in panels] or None,
    )
    for axis, (view, split, entries) in zip(axes[:, 0], panels, strict=False):
        strict = [entry["scores"]["entities"]["strict"] for entry in entries]
        f1 = [100 * s["f1"] for s in strict]
        # a percentile interval need not hold its estimate: the bar then stops at the estimate
        low = [max(0.0, 100 * (s["f1"] - s["f1_ci95"][0])) for s in strict]
        high = [max(0.0, 100 * (s["f1_ci95"][1] - s["f1"])) for s in strict]
        positions = list(range(len(entries)))[::-1]
        axis.errorbar(f1, positions, xerr=[low, high], fmt="o", capsize=4)
        axis.set_yticks(positions, [entry["name"] for entry in entries])
        axis.set_xlim(0, 100)
        axis.set_ylim(-0.7, len(entries) - 0.3)
        axis.set_xlabel("strict micro F1 (%), 95% bootstrap interval over documents")
        where = "all documents, out-of-fold" if split == HEADLINE else "test split"
        axis.set_title(f"{VIEWS[view]}: {where}", fontsize="medium")
        axis.grid(axis="x", alpha=0.3)
    with atomic_file(path, binary=True) as out:
        figure.savefig(out, format="png", dpi=100, metadata={"Software": None})
    plt.close(figure)


def check_renderable(readme: Path) -> None:
    """Refuse, before anything is written, a README without the markers or a missing plotting library."""
    readme_text(readme)
    importlib.import_module("matplotlib")  # the chart's; missing without the 'plot' extra


def render(board_path: Path, readme: Path = README) -> list[Path]:
    """Rebuild ``LEADERBOARD.md``, the README's leaderboard section and the chart; the paths written."""
    if not board_path.exists():
        raise InputError([Problem(str(board_path), "no leaderboard file to render")])
    check_renderable(readme)
    board = read_board(board_path)
    markdown = board_path.parent / MARKDOWN_NAME
    chart = board_path.parent / CHART_NAME
    section = with_readme_section(readme_text(readme), render_readme_section(board, board_path, readme))
    render_chart(board, chart)
    write_text_atomically(markdown, render_markdown(board, board_path, readme))
    write_text_atomically(readme, section)
    return [markdown, readme, chart]


# Headroom: the agreement ceiling against the best system


def headroom_markdown(board: dict[str, Any], agreement: dict[str, dict[str, Any]], between: str) -> str:
    """The agreement of ``between`` (a comparison of :func:`vna_ner.corpus.agreement.pass_agreement`) as
    a ceiling, against the best full-view system on the headline (test where none has an all-document
    entry), for entities and for relations in each setting (strict mode, as the agreement compares them):
    a Markdown table, in %.
    """
    figures = agreement[between]
    split = HEADLINE if _entity_entries(board, HEADLINE, "full") else "test"
    relation_split = HEADLINE if _relation_entries(board, HEADLINE) else "test"
    relations = _relation_entries(board, relation_split)
    rows = []
    candidates = [
        ("entities, micro F1", figures["entities"]["micro"]["f1"], split,
         _entity_entries(board, split, "full"), _strict_f1),
        ("relations (strict), end-to-end", figures["relations"]["micro"]["f1"], relation_split,
         [e for e in relations if not e.get("gold_entities")], _relation_f1),
        ("relations (strict), gold entities given", figures["relations"]["micro"]["f1"], relation_split,
         [e for e in relations if e.get("gold_entities")], _relation_f1),
    ]  # fmt: skip
    for what, ceiling, where, entries, key in candidates:
        best = _ranked(entries, key)[0] if entries else None
        shown = "—" if best is None else f"{100 * key(best):.1f} ({best['name']}, {_split_name(where)})"
        gap = "—" if best is None else f"{100 * (ceiling - key(best)):.1f}"
        rows.append([what, f"{100 * ceiling:.1f}", shown, gap])
    headers = [
        "F1 (%)",
        f"Agreement ceiling ({between}, {figures['documents']} docs)",
        "Best system",
        "Headroom",
    ]
    return tabulate(rows, headers, tablefmt="github", disable_numparse=True)


def _split_name(split: str) -> str:
    return "all documents, out-of-fold" if split == HEADLINE else f"{split} split"
