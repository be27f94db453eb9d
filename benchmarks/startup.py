"""Installed size and start-up time of the environment running this script (see benchmarks/README.md).

    .venv/bin/python benchmarks/startup.py [--runs 11]

Prints the size of its site-packages and how many distributions it holds, then the median wall time,
over ``--runs`` fresh processes each, of: the bare interpreter, ``import vna_ner``, ``vna-ner --help``,
``vna_ner.load()`` and ``vna-ner stats``, with the heavy modules each imported.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import statistics
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

HEAVY = ("label_studio_sdk", "spacy", "pandas", "matplotlib", "datasets", "pyarrow", "seqeval", "sklearn")
CLI = "import sys; from vna_ner.cli import main; sys.argv = ['vna-ner', ARGS]; main()"
CASES = {
    "python -c pass": "pass",
    "import vna_ner": "import vna_ner",
    "vna-ner --help": CLI.replace("ARGS", "'--help'"),
    "vna_ner.load()": "import vna_ner; vna_ner.load()",
    "vna-ner stats": CLI.replace("ARGS", "'stats'"),
}
REPORT = (
    "import json, sys; print(json.dumps(sorted({m.partition('.')[0] for m in sys.modules} & set(HEAVY))))"
)


def size_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and not f.is_symlink()) / 1e6


def run(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def imported(code: str) -> list[str]:
    script = f"HEAVY = {HEAVY!r}\ntry:\n    {code}\nexcept SystemExit:\n    pass\n{REPORT}"
    result = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True)
    return json.loads(result.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=11)
    runs = parser.parse_args().runs
    site = Path(sysconfig.get_paths()["purelib"])
    distributions = {d.metadata["Name"].lower() for d in importlib.metadata.distributions(path=[str(site)])}
    print(f"{site}: {size_mb(site):.0f} MB, {len(distributions)} distributions, {os.cpu_count()} CPUs")
    for name, code in CASES.items():
        times = [run(code) for _ in range(runs)]
        heavy = ", ".join(imported(code)) or "none"
        print(f"{name:16} median {statistics.median(times):.3f} s over {runs} runs; heavy modules: {heavy}")


if __name__ == "__main__":
    main()
