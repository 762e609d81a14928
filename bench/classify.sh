#!/bin/sh
# Scoring throughput, side by side (a benchmark, not a test):
#   bench/classify.sh [BUILD]
# Builds at least BENCH_SCORE_MB (default 50) MB of short documents, one per
# line, from the texts of ../shared/datasets (pro-ISIS tweets, Kyrgyz and
# Tajik news, Uzbek Latin reviews, Uzbek Cyrillic sentences, Kyrgyz, Uzbek
# and Russian treebank sentences), repeated until large enough, and times
# on the same file, one core each (taskset):
#   kuzat-classify with the default model (or one trained here on every
#     fifth pro-ISIS / about-ISIS tweet, 3,335 rows, when models/default.kzm is absent),
#     --threads 1 and --threads 2 (two cores);
#   fasttext predict-prob with a model trained on the same tweets, with
#     default settings (word unigrams) and with -wordNgrams 2 -minn 2
#     -maxn 5 (the n-grams kuzat uses).
# Reports MB/s, documents/s and peak memory (/usr/bin/time).
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
S=${KUZAT_SHARED:-../shared/datasets}
[ -d "$S" ] || { echo "bench: $S not found (set KUZAT_SHARED)" >&2; exit 2; }
scripts/deps.sh fasttext time
W=$(mktemp -d /tmp/kuzat-bench-XXXXXX)
trap 'rm -rf "$W"' EXIT

bench/corpus.sh "$S" "$W/in.txt" "${BENCH_SCORE_MB:-50}"
bytes=$(wc -c < "$W/in.txt")
docs=$(wc -l < "$W/in.txt")

awk -F'\t' 'NR > 1 { printf "__label__%s %s\n", $1, $3 }' "$S/isis-twitter-en/train.tsv" > "$W/ft.txt"
fasttext supervised -input "$W/ft.txt" -output "$W/ft1" -thread 1 -verbose 0
fasttext supervised -input "$W/ft.txt" -output "$W/ft2" -wordNgrams 2 -minn 2 -maxn 5 \
  -thread 1 -verbose 0
M=models/default.kzm
if [ ! -f "$M" ]; then
  { printf 'label\ttext\n'
    awk -F'\t' 'NR > 1 && NR % 5 == 0 { printf "%s\t%s\n", $1, $3 }' "$S/isis-twitter-en/train.tsv"
  } > "$W/k.tsv"
  "$B/kuzat-train" -q -o "$W/k.kzm" --negative about_isis "$W/k.tsv"
  M="$W/k.kzm"
fi

row() { # name cores command...
  name=$1 cores=$2; shift 2
  taskset -c "$cores" /usr/bin/time -f "%e %M" -o "$W/time" "$@" < "$W/in.txt" > "$W/out" 2> /dev/null ||
    { echo "| $name | failed |"; return; }
  lines=$(wc -l < "$W/out")
  awk -v name="$name" -v b="$bytes" -v d="$docs" -v l="$lines" '{
    printf "| %s | %.1f | %.2f | %.0f | %.0f | %s |\n", name, $1, b / 1e6 / $1, d / $1, $2 / 1024, l }' \
    "$W/time"
}

echo "Scoring $docs documents, $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB, $(date -u +%Y-%m-%d)."
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')."
echo "kuzat model: $M ($(wc -c < "$M") bytes); fastText models: $(wc -c < "$W/ft1.bin") and $(wc -c < "$W/ft2.bin") bytes."
echo
echo "| tool | s | MB/s | documents/s | peak MB | output lines |"
echo "|---|---:|---:|---:|---:|---:|"
row "kuzat-classify (1 core)" 0 "$B/kuzat-classify" -m "$M"
row "kuzat-classify --threads 2 (2 cores)" 0,1 "$B/kuzat-classify" -m "$M" --threads 2
row "fasttext predict-prob, defaults (1 core)" 0 fasttext predict-prob "$W/ft1.bin" -
row "fasttext predict-prob, -wordNgrams 2 -minn 2 -maxn 5 (1 core)" 0 fasttext predict-prob "$W/ft2.bin" -
