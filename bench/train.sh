#!/bin/sh
# Training cost, side by side (a benchmark, not a test):
#   bench/train.sh [BUILD]
# On documents of ../shared/datasets labelled propaganda / neutral (pro-ISIS
# tweets, radicalisation tweets, propaganda-technique sentences and
# paragraphs, Telegram posts, Kyrgyz and Tajik news), hashed by kuzat into
# the same vectors for every tool, it times for 1k, 5k and 20k rows (and
# all rows with BENCH_FULL=1): kuzat-train with its defaults (3 values of
# C x 5 folds, calibration, final fit), one plain svm-train -t 0 fit at
# C=1, liblinear-train -s 3 (hinge loss, dual) and fasttext supervised.
# Wall time and peak memory from /usr/bin/time.
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
S=${KUZAT_SHARED:-../shared/datasets}
[ -d "$S" ] || { echo "bench: $S not found (set KUZAT_SHARED)" >&2; exit 2; }
scripts/deps.sh libsvm-tools liblinear-tools fasttext time
W=$(mktemp -d /tmp/kuzat-bench-XXXXXX)
trap 'rm -rf "$W"' EXIT

{ printf 'label\tlang\ttext\n'
  for f in isis-twitter-en radicalization-tt ptc-semeval2020-task11 semeval2023-task3-persuasion \
           unlp2025-manipulation-telegram kyrgyz-24kg-topics tajik-text; do
    awk -F'\t' 'NR > 1 {
      lab = ($1 == "propaganda" || $1 == "radical") ? "propaganda" : "neutral"
      printf "%s\t\t%s\n", lab, $3 }' "$S/$f/train.tsv"
  done; } > "$W/all.tsv"
total=$(($(wc -l < "$W/all.tsv") - 1))
sizes=${BENCH_SIZES:-"1000 5000 20000"}
[ "${BENCH_FULL:-0}" = 1 ] && sizes="$sizes $total"

t() { /usr/bin/time -f "%e %M" -o "$W/time" "$@" > /dev/null 2>&1 || echo "(failed: $*)" >&2
      awk '{ printf "%8.1f s %7.0f MB", $1, $2 / 1024 }' "$W/time"; }

echo "| rows | kuzat-train (CV + calibration + final) | svm-train -t 0 (one fit) | liblinear-train -s 3 | fasttext supervised |"
echo "|---:|---:|---:|---:|---:|"
for n in $sizes; do
  # an even spread of the rows, the same for every tool
  awk -v n="$n" -v total="$total" 'NR == 1 || (NR - 2) % int(total / n) == 0 && c++ < n' \
    "$W/all.tsv" > "$W/s.tsv"
  "$B/bench/featurize" propaganda < "$W/s.tsv" > "$W/s.svm"
  awk -F'\t' 'NR > 1 { printf "__label__%s %s\n", $1, $3 }' "$W/s.tsv" > "$W/s.ft"
  printf '| %d | %s | %s | %s | %s |\n' "$n" \
    "$(t "$B/kuzat-train" -q -o "$W/k.kzm" --negative neutral --threads 1 "$W/s.tsv")" \
    "$(t svm-train -q -t 0 -c 1 -m 1000 "$W/s.svm" "$W/svm.model")" \
    "$(t liblinear-train -q -s 3 -B 1 "$W/s.svm" "$W/ll.model")" \
    "$(t fasttext supervised -input "$W/s.ft" -output "$W/ft" -thread 1 -verbose 0)"
done
