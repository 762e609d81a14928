#!/bin/sh
# make demo: score the sample documents in datasets/samples with the default
# model, then show what the normaliser does with spelling tricks.
#   scripts/demo.sh [BUILD]
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
C="$B/kuzat-classify"
M=models/default.kzm

echo "kuzat $("$C" --version | cut -d' ' -f2-)"
echo
if [ ! -f "$M" ]; then
  echo "demo: $M is missing (it is part of the repository; 'make model' rebuilds it" >&2
  echo "  from ../shared/datasets)." >&2
  exit 2
fi
echo "Scoring datasets/samples/ with the default model ($M, id $(printf x | "$C" -m "$M" |
  sed 's/.*"model":"\([0-9a-f]*\)".*/\1/')):"
echo "document, language, verdict and score (the propaganda marker decides), the"
echo "markers that say why (recruitment, incitement, threat, glorification,"
echo "religious_justification, fundraising, instructional), where in a transcript or"
echo "long text the worst part is, and the words that weigh most in the score."
echo "First side by side: an Eid greeting to 'birodarlar', a Quran verse posted as"
echo "a Friday reminder, and a recruitment post that uses the same words."
echo
set -- greeting.txt verse.txt channel-post.txt migrant-vlog.srt news-report.vtt uz-latn.txt uz-cyrl.txt tg.txt ky.txt \
  ru.txt en.txt
echo "\$ cd datasets/samples; kuzat-classify --format-out pretty --explain 4 --window 3 $*"
CA=$(cd "$(dirname "$C")" && pwd)/kuzat-classify
(cd datasets/samples && "$CA" -m ../../"$M" --format-out pretty --explain 4 --window 3 "$@")
echo
echo "The same run as JSON Lines (what pipelines read), for the transcript:"
echo "\$ kuzat-classify --window 3 datasets/samples/migrant-vlog.srt"
"$C" -m "$M" --window 3 datasets/samples/migrant-vlog.srt
echo
echo "Spelling tricks, one per line (datasets/samples/evasion.txt): what the model"
echo "sees after normalisation, and the score, for each line:"
"$C" --normalize --lines datasets/samples/evasion.txt > "${TMPDIR:-/tmp}/kuzat-demo.$$"
"$C" -m "$M" --lines --format-out tsv datasets/samples/evasion.txt | cut -f2,3 |
  paste datasets/samples/evasion.txt "${TMPDIR:-/tmp}/kuzat-demo.$$" - |
  awk -F'\t' '{ printf "  in:  %s\n  out: %s\n  flagged %s, score %s\n\n", $1, $2, $3, $4 }'
rm -f "${TMPDIR:-/tmp}/kuzat-demo.$$"
