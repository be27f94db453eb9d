"""Write a Label Studio export whose one task holds a very long text, to time `vna-ner build` on it.

    python benchmarks/big_text.py /tmp/big.json                  # 10,000,000 characters
    python benchmarks/big_text.py /tmp/big.json --chars 2000000
    /usr/bin/time -v vna-ner build /tmp/big.json --out /tmp/big-out --quiet

The text repeats French news sentences (accents, elisions, Vietnamese names), a line break every few
sentences and no break at all for a stretch in the middle, with a PER or LOC region on about one
sentence in three; `benchmarks/README.md` records the time and peak memory.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

SENTENCES = [
    ("Le président {PER} a reçu l’ambassadeur de Cuba à {LOC}.", {"PER": "Nguyễn Xuân Phúc", "LOC": "Hanoï"}),
    (
        "Selon l'agence, la délégation du {LOC} est arrivée ; M. {PER} l'accompagnait.",
        {"PER": "Giang", "LOC": "Laos"},
    ),
    ("Les deux pays ont signé trois accords de coopération économique et culturelle.", {}),
    ("Photo : VNA", {}),
]


def big_export(chars: int, seed: int = 0) -> list[dict]:
    """One task of about ``chars`` characters with its regions, as Label Studio exports it."""
    rng = random.Random(seed)
    parts: list[str] = []
    regions: list[dict] = []
    length = 0
    while length < chars:
        template, names = rng.choice(SENTENCES)
        pieces = template.replace("{PER}", "\0PER\0").replace("{LOC}", "\0LOC\0").split("\0")
        for piece in pieces:
            if piece in names:
                surface = names[piece]
                value = {"start": length, "end": length + len(surface), "text": surface, "labels": [piece]}
                regions.append(
                    {"id": f"r{len(regions)}", "from_name": "label", "to_name": "text", "type": "labels",
                     "value": value}
                )  # fmt: skip
                piece = surface
            parts.append(piece)
            length += len(piece)
        gap = "\n" if rng.random() < 0.3 and not (0.4 * chars < length < 0.6 * chars) else " "
        parts.append(gap)
        length += 1
    text = "".join(parts)
    return [{"id": 1, "data": {"text": text, "doc_id": "big"}, "annotations": [{"id": 1, "result": regions}]}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", type=Path)
    parser.add_argument("--chars", type=int, default=10_000_000)
    arguments = parser.parse_args()
    tasks = big_export(arguments.chars)
    arguments.export.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    text, regions = tasks[0]["data"]["text"], tasks[0]["annotations"][0]["result"]
    print(f"{arguments.export}: 1 task, {len(text):,} characters, {len(regions):,} regions")


if __name__ == "__main__":
    main()
