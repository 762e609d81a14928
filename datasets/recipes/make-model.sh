#!/bin/sh
# make model: train models/default.kzm from ../shared/datasets and our
# datasets/kuzat-set, then measure it on the held-out rows.
#   datasets/recipes/make-model.sh [BUILD]
# Writes models/default.kzm, models/default-train.txt (kuzat-train's report:
# cross-validation per language, and the held-out --dev figures) and
# models/default-eval.txt (the held-out tables of datasets/recipes/evaluate.py:
# false positives per family and language, recall per language, markers,
# operating points), which models/MODEL_CARD.md quotes.
set -eu
cd "$(dirname "$0")/../.."
B=${1:-build}
S=${KUZAT_SHARED:-../shared/datasets}
if [ ! -d "$S" ]; then
  cat >&2 <<MSG
make model: $S not found.
  The default model is trained from the shared datasets (pro-ISIS tweets,
  persuasion and news corpora, Central Asian text), which are not part of
  this repository. The shipped models/default.kzm was made by 'make model'
  with them at ../shared/datasets; models/MODEL_CARD.md says how. To
  retrain, put them there or set KUZAT_SHARED=/path/to/datasets.
MSG
  exit 2
fi
W="$B/model"
mkdir -p "$W" models
python3 datasets/recipes/default.py "$S" "$W"
# shellcheck disable=SC2046 # the feature options, one word each
"$B/kuzat-train" --threads "${KUZAT_THREADS:-2}" --decision propaganda --negative reporting \
  $(cat datasets/recipes/default-features) \
  --target-fpr "${KUZAT_TARGET_FPR:-0.01}" -o models/default.kzm --report "$W/report.json" \
  --dev "$W/heldout.tsv" "$W/train.tsv" 2> "$W/train.txt" || { cat "$W/train.txt" >&2; exit 2; }
sed 's|[^ ]*/model/|build/model/|g' "$W/train.txt" > models/default-train.txt
"$B/kuzat-classify" -m models/default.kzm --all-scores "$W/heldout.tsv" > "$W/scores.jsonl"
"$B/kuzat-classify" -m models/default.kzm "$W/heldout.tsv" > "$W/flags.jsonl"
{
  echo "# The default model on the held-out rows (made by make model)"
  echo
  echo "\$ kuzat-classify -m models/default.kzm --all-scores build/model/heldout.tsv > build/model/scores.jsonl"
  echo "\$ kuzat-classify -m models/default.kzm build/model/heldout.tsv > build/model/flags.jsonl"
  echo "\$ datasets/recipes/evaluate.py build/model/heldout.tsv build/model/scores.jsonl build/model/flags.jsonl"
  echo
  python3 datasets/recipes/evaluate.py "$W/heldout.tsv" "$W/scores.jsonl" "$W/flags.jsonl"
  echo
  echo "## Transcripts of 40 cues from the held-out rows"
  echo
  echo "\$ datasets/recipes/transcripts.py build/model/heldout.tsv build/model/transcripts build/kuzat-classify models/default.kzm"
  echo
  rm -rf "$W/transcripts"
  python3 datasets/recipes/transcripts.py "$W/heldout.tsv" "$W/transcripts" "$B/kuzat-classify" models/default.kzm
  echo
  echo "## kuzat-classify --eval on our held-out rows (heldout-ours.tsv: $(($(wc -l < "$W/heldout-ours.tsv") - 1)) rows)"
  echo
  echo "\$ kuzat-classify -m models/default.kzm --eval build/model/heldout-ours.tsv"
  echo
  "$B/kuzat-classify" -m models/default.kzm --eval "$W/heldout-ours.tsv" 2>&1 > /dev/null |
    sed 's|[^ ]*/model/|build/model/|g; s/^/    /'
} > models/default-eval.txt
echo "make model: models/default.kzm ($(wc -c < models/default.kzm) bytes), id" \
  "$(printf x | "$B/kuzat-classify" -m models/default.kzm | sed 's/.*"model":"\([0-9a-f]*\)".*/\1/');" \
  "figures in models/default-train.txt and models/default-eval.txt" >&2
