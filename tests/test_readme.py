"""The README's set-up commands are the ones CI runs."""

from __future__ import annotations

import re

from helpers import REPO


def _commands() -> list[str]:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_the_readme_gives_two_set_up_commands():
    main_job, tests = _commands()
    assert main_job.endswith("vna-ner stats")
    assert tests.endswith("python -m pytest")


def test_ci_runs_exactly_the_readme_test_command():
    _, tests = _commands()
    assert tests in (REPO / ".ci" / "run").read_text().splitlines()
