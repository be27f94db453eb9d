"""Thin wrapper: `python eval/leaderboard.py add|check|render ...` runs `vna-ner leaderboard ...`."""

import sys

from vna_ner.cli import main

if __name__ == "__main__":
    main(["leaderboard", *sys.argv[1:]], prog_name="eval/leaderboard.py")
