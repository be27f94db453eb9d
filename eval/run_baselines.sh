#!/usr/bin/env bash
# Regenerate every baseline's predictions: validation and test (a model of the train split) and all
# documents out of fold (split `all`: each fold predicted by a model of the other four folds), rescore them
# into eval/leaderboard.json, re-render eval/LEADERBOARD.md, the README's leaderboard section and the chart,
# then check the board. Rerun after the splits are rebuilt. Needs the baselines extra:
# pip install -e '.[baselines]'. PYTHON=/path/to/python picks the interpreter (default: python).
# Byte for byte: fixed seeds, a fixed hash seed and one BLAS/OpenMP thread (only the throughput files and
# the board's dates change). About an hour on 2 shared CPU cores: the six spaCy trainings ~35 min, the CRF's
# inner cross-validations ~15 min.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python}"
export PYTHONHASHSEED=0 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

"$PYTHON" eval/baselines/dictionary.py
"$PYTHON" eval/baselines/spacy_pretrained.py fr_core_news_sm
"$PYTHON" eval/baselines/spacy_pretrained.py fr_core_news_md
"$PYTHON" eval/baselines/spacy_ner_trained.py
"$PYTHON" eval/baselines/crf.py
"$PYTHON" eval/baselines/relations_nearest.py
"$PYTHON" eval/baselines/relation_classifier.py

add() {  # add SYSTEM SCRIPT DESCRIPTION DATA_SEEN [OPTIONS...]: add SYSTEM's predictions on every split
  local system="$1" script="$2" description="$3" data_seen="$4"
  shift 4
  for split in all validation test; do
    "$PYTHON" eval/leaderboard.py add --name "$system" --split "$split" \
      --predictions "eval/predictions/$system.$split.jsonl" \
      --throughput "eval/predictions/$system.$split.throughput.json" \
      --description "$description" --link "eval/baselines/$script" --data-seen "$data_seen" "$@"
  done
}

add dictionary dictionary.py \
  "Gazetteer of the training documents' gold entities: case-sensitive, longest match first, left to right, on the dataset's tokens; 7 labels." \
  "train (gazetteer); out of fold: the other four folds (gazetteer)"
add spacy_fr_core_news_sm spacy_pretrained.py \
  "spaCy fr_core_news_sm 3.8.0 NER out of the box (PER/ORG/LOC/MISC) over the dataset's tokens; coarse view." \
  "none of this dataset (spaCy's own training data)" --coarse
add spacy_fr_core_news_md spacy_pretrained.py \
  "spaCy fr_core_news_md 3.8.0 NER out of the box (PER/ORG/LOC/MISC) over the dataset's tokens; coarse view." \
  "none of this dataset (spaCy's own training data)" --coarse
add spacy_ner_trained spacy_ner_trained.py \
  "fr_core_news_md's NER (tok2vec, vectors) fine-tuned to the 7 labels, seed 0, CPU. On train: checkpoint chosen by validation F1 (so its validation scores are optimistic). Out of fold: 400 steps on the other four folds, last checkpoint." \
  "train (training), validation (checkpoint choice); out of fold: the other four folds (training)"
add crf crf.py \
  "Linear-chain CRF (sklearn-crfsuite, L-BFGS; c1, c2 chosen by cross-validation inside the training folds): word, affix, case and shape features of the token and its neighbours at +-2; 7 labels. Relations end to end: the relation_classifier over the CRF's entities." \
  "train (training); out of fold: the other four folds (training)"
add relations_nearest relations_nearest.py \
  "Relation rules on GOLD entities (entity scores are not a result): TITLE to nearest PER, TITLE + connector + ORG, X (ACRONYM), X (LOC), meeting and visit cues; connectors and cues learned from the training documents' relations." \
  "train (rule words); out of fold: the other four folds (rule words); the scored documents' gold entities" \
  --gold-entities
add relation_classifier relation_classifier.py \
  "Logistic regression over same-sentence entity pairs (labels, order, distance, words and labels between, neighbouring words) on GOLD entities (entity scores are not a result)." \
  "train (training); out of fold: the other four folds (training); the scored documents' gold entities" \
  --gold-entities

"$PYTHON" eval/leaderboard.py check
