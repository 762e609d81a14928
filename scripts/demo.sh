#!/bin/sh
# make demo: run kuzat-classify on the sample documents in datasets/samples.
#   scripts/demo.sh [BUILD]
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
C="$B/kuzat-classify"

echo "kuzat $("$C" --version | cut -d' ' -f2-)"
echo
echo "This version has the normaliser and language identification; scoring with"
echo "the default model comes with the training and classify issues. What follows"
echo "is what a model will see: each sample document's language and normalised text."
echo
for f in datasets/samples/*.txt; do
  [ "$(basename "$f")" = evasion.txt ] && continue
  "$C" --normalize --format-out jsonl "$f"
done | sed -e 's/^{"id":"datasets\/samples\/\([^"]*\)","lang":"\([^"]*\)","text":"\(.*\)"}$/\1\t\2\t\3/' |
  awk -F'\t' '{ printf "%-14s %-8s %s\n", $1, $2, $3 }'
echo
echo "Spelling tricks, one per line (datasets/samples/evasion.txt), before and after:"
"$C" --normalize --lines datasets/samples/evasion.txt | paste -d'\n' datasets/samples/evasion.txt - |
  awk 'NR % 2 == 1 { printf "  in:  %s\n", $0 } NR % 2 == 0 { printf "  out: %s\n\n", $0 }'
