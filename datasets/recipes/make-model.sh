#!/bin/sh
# make model: train models/default.kzm from ../shared/datasets and our
# datasets/kuzat-set, then measure it on the held-out rows.
#   datasets/recipes/make-model.sh [BUILD]
# Writes models/default.kzm, models/default-train.txt (kuzat-train's report:
# cross-validation per language, and the held-out --dev figures) and
# models/default-eval.txt (kuzat-classify --eval on each held-out part), which
# models/MODEL_CARD.md quotes.
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
"$B/kuzat-train" --threads "${KUZAT_THREADS:-2}" -o models/default.kzm --report "$W/report.json" \
  --dev "$W/heldout.tsv" "$W/train.tsv" 2> "$W/train.txt" || { cat "$W/train.txt" >&2; exit 2; }
sed 's|[^ ]*/model/|build/model/|g' "$W/train.txt" > models/default-train.txt
{
  echo "# kuzat-classify --eval on the held-out parts (made by make model)"
  for part in heldout heldout-ours heldout-isis-propaganda heldout-about-isis \
              heldout-ours-reporting heldout-persuasion heldout-benign-ca; do
    echo
    echo "## $part.tsv: $(($(wc -l < "$W/$part.tsv") - 1)) rows"
    echo "\$ kuzat-classify -m models/default.kzm --eval build/model/$part.tsv"
    "$B/kuzat-classify" -m models/default.kzm --eval "$W/$part.tsv" 2>&1 > /dev/null |
      sed 's|[^ ]*/model/|build/model/|g'
  done
} > models/default-eval.txt
echo "make model: models/default.kzm ($(wc -c < models/default.kzm) bytes), id" \
  "$(printf x | "$B/kuzat-classify" -m models/default.kzm | sed 's/.*"model":"\([0-9a-f]*\)".*/\1/');" \
  "figures in models/default-train.txt and models/default-eval.txt" >&2
