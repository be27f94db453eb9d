"""The HTML report: escaped, self-contained, every span marked with its class; and, opened in headless
Chromium (Debian's package, installed by .ci/install-chromium), it renders with the marks in its DOM."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib.image import imread

from vna_ner.benchmark.document_spans import error_analyses
from vna_ner.benchmark.error_analysis import ERROR_CLASSES, Mention, analyse
from vna_ner.benchmark.html_report import STYLE, LabelScores, render_html
from vna_ner.benchmark.predictions import read_predictions
from vna_ner.cli import main
from vna_ner.dataset.load import load

REPO = Path(__file__).resolve().parent.parent
PREDICTIONS = REPO / "eval" / "predictions" / "spacy_ner_trained.test.jsonl"
INJECTED = '<script>document.documentElement.setAttribute("data-injected", "1")</script>'
MARK = re.compile(r'<mark class="ent error-([a-z_]+)" data-error="\1" data-side="(gold|predicted)"')


@dataclass(frozen=True)
class Page:
    id: str
    text: str
    sentences: tuple[tuple[int, int], ...]


TEXT = f"Le Premier ministre Pham Minh Chinh {INJECTED} & Hanoi. VNA à Paris."
#        PER gold: Pham Minh Chinh; TITLE gold "Premier ministre"; LOC Hanoi, LOC Paris; ORG VNA.
SPANS = {
    name: (TEXT.index(name), TEXT.index(name) + len(name)) for name in ("Premier ministre", "Pham Minh Chinh")
}
HANOI, PARIS, VNA = (TEXT.index(x) for x in ("Hanoi", "Paris", "VNA"))
GOLD = [
    Mention("TITLE", *SPANS["Premier ministre"]),
    Mention("PER", *SPANS["Pham Minh Chinh"]),
    Mention("LOC", HANOI, HANOI + 5),
    Mention("ORG", VNA, VNA + 3),
    Mention("LOC", PARIS, PARIS + 5),
]
PREDICTED = [
    Mention("PER", SPANS["Pham Minh Chinh"][0], SPANS["Pham Minh Chinh"][1] - 6),  # wrong boundary
    Mention("ORG", HANOI, HANOI + 5),  # wrong type
    Mention("ORG", VNA, VNA + 3),  # correct
    Mention("MISC", TEXT.index("Le"), TEXT.index("Le") + 2),  # spurious
    Mention("PER", PARIS - 2, PARIS + 5),  # wrong type and boundary ("à Paris")
]  # TITLE missed
SENTENCE = TEXT.index("VNA")
DOCUMENT = Page("d<1>", TEXT, ((0, SENTENCE - 1), (SENTENCE, len(TEXT))))


def page() -> str:
    analysis = analyse([(GOLD, PREDICTED)], ("PER", "ORG", "LOC", "TITLE", "MISC"))
    scores = [LabelScores("PER", 0.0, 0.0, 0.0, 1), LabelScores("micro", 0.2, 0.2, 0.2, 5)]
    return render_html([DOCUMENT], analysis, scores, title="t <b>", summary="s & <i>")


def marks(html: str) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for error, side in MARK.findall(html):
        found[error, side] = found.get((error, side), 0) + 1
    return found


EXPECTED = {
    ("correct", "gold"): 1,
    ("correct", "predicted"): 1,
    ("wrong_type", "gold"): 1,
    ("wrong_type", "predicted"): 1,
    ("wrong_boundary", "gold"): 1,
    ("wrong_boundary", "predicted"): 1,
    ("wrong_type_and_boundary", "gold"): 1,
    ("wrong_type_and_boundary", "predicted"): 1,
    ("missed", "gold"): 1,
    ("spurious", "predicted"): 1,
}


def test_every_span_is_marked_with_its_class_and_all_text_escaped():
    html = page()
    assert marks(html) == EXPECTED
    assert "<script" not in html and "&lt;script&gt;document" in html
    assert "<title>t &lt;b&gt;</title>" in html and "s &amp; &lt;i&gt;" in html
    assert 'id="d&lt;1&gt;"' in html
    assert not re.search(r"""(src|href)=["'](?!#)""", html)  # no external asset: only in-page links
    for error in ERROR_CLASSES:
        assert f".error-{error} " in STYLE


def test_a_document_and_its_classes_must_agree():
    analysis = analyse([(GOLD, PREDICTED), ([], [])], ("PER", "ORG", "LOC", "TITLE", "MISC"))
    with pytest.raises(ValueError, match="1 documents but error classes for 2"):
        render_html([DOCUMENT], analysis, [], title="", summary="")


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        if os.environ.get("VNA_NER_SKIP_BROWSER") == "1":
            pytest.skip("VNA_NER_SKIP_BROWSER=1")
        pytest.fail("chromium is not installed: run .ci/install-chromium (or set VNA_NER_SKIP_BROWSER=1)")
    return found


def headless(path: Path, profile: Path, *options: str) -> str:
    """Run headless Chromium on the file ``path``; its stdout."""
    command = [chromium(), "--headless", "--disable-gpu", "--no-sandbox", f"--user-data-dir={profile}"]
    done = subprocess.run(
        [*command, *options, path.as_uri()], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_chromium_renders_the_page_with_its_marks_and_runs_no_injected_script(tmp_path):
    path = tmp_path / "report.html"
    path.write_text(page(), encoding="utf-8")
    dom = headless(path, tmp_path / "profile", "--dump-dom")
    assert "<main>" in dom and 'id="per-label"' in dom
    assert marks(dom) == EXPECTED
    assert "data-injected" not in dom.split("<body>")[0]  # the document's <script> stayed text
    assert "&lt;script&gt;document.documentElement" in dom


def test_eval_html_report_opens_in_chromium_with_every_error(tmp_path):
    path = tmp_path / "report.html"
    result = CliRunner().invoke(
        main, ["eval", "--predictions", str(PREDICTIONS), "--bootstrap", "0", "--html", str(path)]
    )
    assert result.exit_code == 0, result.output
    gold = load(split="test")
    _, analysis = error_analyses(gold, read_predictions(PREDICTIONS, gold))["strict"]
    classes = analysis.classes["overall"]
    expected = {(c, "gold"): n for c, n in classes.items() if c != "spurious" and n}
    expected.update({(c, "predicted"): n for c, n in classes.items() if c != "missed" and n})
    dom = headless(path, tmp_path / "profile", "--dump-dom")
    assert marks(dom) == expected
    assert sum(n for (_, side), n in expected.items() if side == "gold") == 134  # every gold entity of test
    assert dom.count('<section class="document"') == 6

    screenshot = tmp_path / "report.png"
    headless(
        path,
        tmp_path / "profile",
        "--hide-scrollbars",
        "--window-size=1400,1600",
        f"--screenshot={screenshot}",
    )
    pixels = (imread(screenshot)[..., :3] * 255).round().astype(int)
    colours = {tuple(p) for p in pixels.reshape(-1, 3)}
    # The marks' backgrounds are painted: correct (#d7f0dc), missed (#ffd5d5), wrong boundary (#fff1a8).
    for colour in ((0xD7, 0xF0, 0xDC), (0xFF, 0xD5, 0xD5), (0xFF, 0xF1, 0xA8)):
        assert colour in colours
    assert np.ptp(pixels) > 0
