"""A self-contained HTML page to look at a system's errors: the per-label table on top, then every document
sentence by sentence, gold and predicted spans side by side, each span marked with its error class.

Plain HTML and inline CSS, no script and no external asset; every text from the data is escaped. Each
mark is ``<mark class="ent error-<class>" data-error="<class>" data-side="gold|predicted">``, so a
browser (or a test) finds the errors by class; a span's tooltip names its label, its class and the other
side's label.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from vna_ner.benchmark.error_analysis import ERROR_CLASSES, ERROR_TITLES, NONE, SCHEMAS, ErrorAnalysis, Match

ERROR_HELP = {
    "correct": "same boundaries and type",
    "wrong_type": "same boundaries, other type",
    "wrong_boundary": "overlapping, same type",
    "wrong_type_and_boundary": "overlapping, other type",
    "missed": "gold span no prediction overlaps",
    "spurious": "prediction no gold span overlaps",
}
STYLE = """
body { font: 15px/1.5 system-ui, "DejaVu Sans", sans-serif; color: #1d2330; margin: 0; background: #f6f7f9; }
main { max-width: 1400px; margin: 0 auto; padding: 1.5rem 2rem 4rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; }
p.summary { color: #4a5366; margin: 0 0 1rem; }
table.scores { border-collapse: collapse; background: #fff; margin: .5rem 0 1rem; font-size: 14px; }
table.scores th, table.scores td { padding: .3rem .6rem; border-bottom: 1px solid #e3e6ec;
  text-align: right; }
table.scores th:first-child, table.scores td:first-child { text-align: left; }
table.scores thead th { background: #eef0f4; font-weight: 600; }
table.scores tr.total td { font-weight: 600; border-top: 2px solid #c9ced8; }
td.zero { color: #b3b9c5; }
nav.contents { display: flex; flex-wrap: wrap; gap: .4rem; font-size: 14px; }
nav.contents a { background: #fff; border: 1px solid #e3e6ec; border-radius: 6px; padding: .15rem .5rem;
  color: #1d4ed8; text-decoration: none; }
nav.contents a span { color: #b42318; font-weight: 600; margin-left: .25rem; }
h2 small { font-weight: normal; color: #4a5366; }
.legend { display: flex; flex-wrap: wrap; gap: .5rem 1.25rem; margin: .5rem 0 1rem; font-size: 14px; }
.document { background: #fff; border: 1px solid #e3e6ec; border-radius: 8px; margin: 1.5rem 0; }
.document h2 { margin: 0; padding: .6rem 1rem; border-bottom: 1px solid #e3e6ec; font-size: 1.05rem; }
.document h2 small { font-weight: normal; color: #4a5366; margin-left: .75rem; }
table.sentences { width: 100%; border-collapse: collapse; table-layout: fixed; }
table.sentences th { text-align: left; padding: .4rem 1rem; color: #4a5366; font-weight: 600; }
table.sentences td { vertical-align: top; padding: .45rem 1rem; border-top: 1px solid #f0f1f4; }
table.sentences td + td { border-left: 1px solid #e3e6ec; }
tr.clean td { color: #6b7385; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; }
mark.ent { padding: .05em .2em; border-radius: 4px; border: 1px solid transparent; color: inherit; }
mark.ent .tag { font-size: .68em; font-weight: 700; letter-spacing: .03em; margin-left: .3em; opacity: .8;
  vertical-align: .1em; }
.error-correct { background: #d7f0dc; border-color: #8fcf9c !important; }
.error-wrong_type { background: #ffe2c2; border-color: #f0a04b !important; }
.error-wrong_boundary { background: #fff1a8; border-color: #d6b800 !important; }
.error-wrong_type_and_boundary { background: #f3d5f5; border-color: #b65fc0 !important; }
.error-missed { background: #ffd5d5; border: 1px dashed #d83a3a !important; }
.error-spurious { background: #d9e4ff; border: 1px dashed #3a66d8 !important; }
"""


class ReportDocument(Protocol):
    """A document's id, text and sentences (character ranges); spans lie inside sentences."""

    @property
    def id(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def sentences(self) -> tuple[tuple[int, int], ...]: ...


@dataclass(frozen=True)
class LabelScores:
    """One row of the per-label table: precision, recall, F1 and support of ``label``."""

    label: str
    p: float
    r: float
    f1: float
    support: int


def render_html(
    documents: Sequence[ReportDocument],
    analysis: ErrorAnalysis,
    scores: Sequence[LabelScores],
    *,
    title: str,
    summary: str,
) -> str:
    """The whole page; ``analysis.matches`` are per document, in the order of ``documents``."""
    if len(documents) != len(analysis.matches):
        raise ValueError(f"{len(documents)} documents but error classes for {len(analysis.matches)}")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="fr"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{STYLE}</style></head>",
        f"<body><main><h1>{_e(title)}</h1>",
        f'<p class="summary">{_e(summary)}</p>',
        _legend(),
        _label_table(analysis, scores),
        _schema_table(analysis),
        _confusion_table(analysis),
        _contents(documents, analysis),
        *(_document(d, m) for d, m in zip(documents, analysis.matches, strict=True)),
        "</main></body></html>",
    ]
    return "\n".join(parts) + "\n"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _legend() -> str:
    items = "".join(
        f'<span><mark class="ent error-{c}" title="{_e(ERROR_HELP[c])}">{_e(ERROR_TITLES[c])}</mark> '
        f"{_e(ERROR_HELP[c])}</span>"
        for c in ERROR_CLASSES
    )
    return f'<div class="legend">{items}</div>'


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"<td>{value:.4f}</td>"
    return f'<td class="zero">{value}</td>' if value == 0 else f"<td>{_e(value)}</td>"


def _label_table(analysis: ErrorAnalysis, scores: Sequence[LabelScores]) -> str:
    head = ["label", "support", "P", "R", "F1", *(ERROR_TITLES[c] for c in ERROR_CLASSES)]
    rows = []
    for row in scores:
        total = row.label not in analysis.labels
        classes = analysis.classes["overall" if total else row.label]
        cells = [f"<td>{_e(row.label)}</td>", _cell(row.support), *map(_cell, (row.p, row.r, row.f1))]
        cells += [_cell(classes[c]) for c in ERROR_CLASSES]
        rows.append(f"<tr{' class=total' if total else ''}>{''.join(cells)}</tr>")
    return (
        '<h2>Per label</h2><table class="scores" id="per-label"><thead><tr>'
        + "".join(f"<th>{_e(h)}</th>" for h in head)
        + f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _schema_table(analysis: ErrorAnalysis) -> str:
    outcomes = ("correct", "incorrect", "partial", "missed", "spurious")
    rows = "".join(
        f"<tr><td>{_e(schema)}</td>"
        + "".join(_cell(getattr(s, o)) for o in outcomes)
        + "".join(_cell(x) for x in (s.precision, s.recall, s.f1))
        + "</tr>"
        for schema, s in analysis.schemas["overall"].items()
        if schema in SCHEMAS
    )
    head = "".join(f"<th>{h}</th>" for h in ("schema", *outcomes, "P", "R", "F1"))
    return (
        '<h2>SemEval-2013 schemas (nervaluate)</h2><table class="scores" id="schemas">'
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    )


def _confusion_table(analysis: ErrorAnalysis) -> str:
    shown = analysis.confusion_labels()
    head = "".join(f"<th>pred {_e(label)}</th>" for label in shown)
    rows = "".join(
        f"<tr><td>gold {_e(row)}</td>" + "".join(_cell(analysis.confusion[row][c]) for c in shown) + "</tr>"
        for row in shown
    )
    return (
        "<h2>Type confusion over paired spans</h2>"
        f'<p class="summary">{NONE}: no span (gold {NONE}: spurious predictions; '
        f"pred {NONE}: missed gold spans).</p>"
        f'<table class="scores" id="confusion"><thead><tr><th></th>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def _contents(documents: Sequence[ReportDocument], analysis: ErrorAnalysis) -> str:
    links = "".join(
        f'<a href="#{_e(d.id)}">{_e(d.id)} <span>{sum(m.error != "correct" for m in matches)}</span></a>'
        for d, matches in zip(documents, analysis.matches, strict=True)
    )
    return f'<h2>Documents <small>(errors in each)</small></h2><nav class="contents">{links}</nav>'


def _document(document: ReportDocument, matches: list[Match]) -> str:
    counts = {c: sum(m.error == c for m in matches) for c in ERROR_CLASSES}
    errors = sum(n for c, n in counts.items() if c != "correct")
    summary = ", ".join(f"{n} {ERROR_TITLES[c]}" for c, n in counts.items() if n) or "no entity"
    rows = []
    for start, end in document.sentences or ((0, len(document.text)),):
        inside = [m for m in matches if start <= (m.gold or m.predicted).start < end]  # type: ignore[union-attr]
        clean = all(m.error == "correct" for m in inside)
        gold = _sentence(document.text, start, end, inside, "gold")
        predicted = _sentence(document.text, start, end, inside, "predicted")
        rows.append(f"<tr{' class=clean' if clean else ''}><td>{gold}</td><td>{predicted}</td></tr>")
    return (
        f'<section class="document" id="{_e(document.id)}"><h2>{_e(document.id)}'
        f"<small>{errors} error(s): {_e(summary)}</small></h2>"
        '<table class="sentences"><thead><tr><th>Gold</th><th>Predicted</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _sentence(text: str, start: int, end: int, matches: list[Match], side: str) -> str:
    """The sentence ``text[start:end]`` with the spans of one side marked."""
    marks = sorted(
        ((getattr(m, side), m) for m in matches if getattr(m, side) is not None), key=lambda x: x[0].start
    )
    out, position = [], start
    for span, match in marks:
        other = match.predicted if side == "gold" else match.gold
        tip = (
            f"{side} {span.label} · {ERROR_TITLES[match.error]}"
            f" · {'predicted' if side == 'gold' else 'gold'} {other.label if other else NONE}"
        )
        out.append(_e(text[position : span.start]))
        out.append(
            f'<mark class="ent error-{match.error}" data-error="{match.error}" data-side="{side}" '
            f'title="{_e(tip)}">{_e(text[span.start : span.end])}'
            f'<span class="tag">{_e(span.label)}</span></mark>'
        )
        position = span.end
    out.append(_e(text[position:end]))
    return f'<div class="text">{"".join(out)}</div>'
