"""The code is ruff-clean and ruff-formatted, as CI sees it (ruff comes with the test extra)."""

from __future__ import annotations

import subprocess
import sys

from helpers import REPO


def test_ruff_check_passes():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


def test_ruff_format_leaves_the_code_unchanged():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "."], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout
