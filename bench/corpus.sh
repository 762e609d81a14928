#!/bin/sh
# The throughput corpus: at least MB megabytes (default 50) of short
# documents, one a line, from the texts of ../shared/datasets (pro-ISIS
# tweets, Kyrgyz and Tajik news, Uzbek Latin reviews, Uzbek Cyrillic
# sentences, Kyrgyz, Uzbek and Russian treebank sentences), repeated; the
# texts once each are left in OUT.base.
#   bench/corpus.sh SHARED_DATASETS OUT [MB]
set -eu
S=$1 OUT=$2
for f in isis-twitter-en/train kyrgyz-24kg-topics/train tajik-text/train uzbek-sentiment/manual_train \
         tatoeba-uzbek-cyrillic/train ud-treebanks-ky-uz-ru/train; do
  awk -F'\t' 'NR > 1 && $3 != "" { print $3 }' "$S/$f.tsv"
done | tr -d '\r' > "$OUT.base"
want=$((${3:-50} * 1000000))
: > "$OUT"
while [ "$(wc -c < "$OUT")" -lt "$want" ]; do cat "$OUT.base" >> "$OUT"; done
