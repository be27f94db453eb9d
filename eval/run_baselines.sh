#!/usr/bin/env bash
# Regenerate every baseline's predictions (validation and test), rescore them into eval/leaderboard.json,
# re-render eval/LEADERBOARD.md, the README's leaderboard section and the chart, then check the board.
# Rerun after the splits are rebuilt. Needs the baselines extra: pip install -e '.[baselines]'.
# PYTHON=/path/to/python picks the interpreter (default: python).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python}"
export PYTHONHASHSEED=0

"$PYTHON" eval/baselines/dictionary.py
"$PYTHON" eval/baselines/spacy_pretrained.py fr_core_news_sm
"$PYTHON" eval/baselines/spacy_pretrained.py fr_core_news_md
"$PYTHON" eval/baselines/spacy_ner_trained.py
"$PYTHON" eval/baselines/relations_nearest.py

add() {  # add SYSTEM SCRIPT DESCRIPTION DATA_SEEN [OPTIONS...]: add SYSTEM's validation and test predictions
  local system="$1" script="$2" description="$3" data_seen="$4"
  shift 4
  for split in validation test; do
    "$PYTHON" eval/leaderboard.py add --name "$system" --split "$split" \
      --predictions "eval/predictions/$system.$split.jsonl" \
      --throughput "eval/predictions/$system.$split.throughput.json" \
      --description "$description" --link "eval/baselines/$script" --data-seen "$data_seen" "$@"
  done
}

add dictionary dictionary.py \
  "Gazetteer of the train split's gold entities: case-sensitive, longest match first, left to right, on the dataset's tokens; 7 labels." \
  "train (gazetteer)"
add spacy_fr_core_news_sm spacy_pretrained.py \
  "spaCy fr_core_news_sm 3.8.0 NER out of the box (PER/ORG/LOC/MISC) over the dataset's tokens; coarse view." \
  "none of this dataset (spaCy's own training data)" --coarse
add spacy_fr_core_news_md spacy_pretrained.py \
  "spaCy fr_core_news_md 3.8.0 NER out of the box (PER/ORG/LOC/MISC) over the dataset's tokens; coarse view." \
  "none of this dataset (spaCy's own training data)" --coarse
add spacy_ner_trained spacy_ner_trained.py \
  "fr_core_news_md's NER (tok2vec, vectors) fine-tuned on train to the 7 labels, seed 0, CPU; checkpoint chosen by validation F1 (so its validation scores are optimistic)." \
  "train (training), validation (checkpoint choice)"
add relations_nearest relations_nearest.py \
  "Relation rules on GOLD entities (entity scores are not a result): TITLE to nearest PER, TITLE + connector + ORG, X (ACRONYM), X (LOC), meeting and visit cues; connectors and cues learned from train relations." \
  "train (rule words); the scored split's gold entities" --gold-entities

"$PYTHON" eval/leaderboard.py check
