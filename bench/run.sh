#!/bin/sh
# make bench: benchmarks, side by side where there are peers. Not tests.
#   bench/run.sh [BUILD]
# Needs ../shared/datasets (or KUZAT_SHARED) for a realistic corpus.
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
S=${KUZAT_SHARED:-../shared/datasets}
if [ ! -d "$S" ]; then
  echo "bench: $S not found: the benchmarks read the shared datasets (set KUZAT_SHARED)" >&2
  exit 2
fi
pin=""
command -v taskset >/dev/null 2>&1 && pin="taskset -c 0"

echo "## Normaliser throughput"
echo
echo "Mixed corpus: English and Arabic tweets, Kyrgyz news, Tajik news, Uzbek"
echo "Latin reviews, Uzbek Cyrillic, Russian paragraphs (../shared/datasets)."
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); ICU $(pkg-config --modversion icu-uc)."
echo
$pin "$B/bench/normalise" -m "${BENCH_MB:-200}" \
  "$S/isis-twitter-en/train.tsv" "$S/kyrgyz-24kg-topics/train.tsv" \
  "$S/tajik-text/train.tsv" "$S/uzbek-sentiment/manual_train.tsv" \
  "$S/tatoeba-uzbek-cyrillic/train.tsv" "$S/ud-treebanks-ky-uz-ru/train.tsv" \
  "$S/semeval2023-task3-persuasion/train.tsv"
