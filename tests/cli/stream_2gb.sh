#!/bin/sh
# Streaming a very large input through kuzat-classify with bounded memory.
# Not part of `make test` (it takes minutes); run it by hand:
#
#   tests/cli/stream_2gb.sh [BUILD] [MB]      (defaults: build, 2048)
#
# (tests/cli/test_stream.sh runs it in `make test` with 200 MB, and 16 MB
# for case 2, the slow one: KUZAT_STREAM_LINES_MB.)
#
# The input is made on the fly and reaches kuzat-classify through a pipe,
# so it never touches the disk:
#   1. one line of MB megabytes (--lines --max-chars 1000000): one output
#      line, "truncated" with the full byte count;
#   2. MB megabytes of short lines: one output line per input line;
#   3. MB megabytes of JSON Lines records, one in 1000 of them 5 MB long
#      (longer than the parse bound of --max-chars 1000000: an error line).
# For each it checks the output and prints the peak RSS and wall time that
# /usr/bin/time measured; it fails when the peak RSS exceeds KUZAT_RSS_MB
# (default 200). Ends with the usual "# N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.." || exit 2
KUZAT_BUILD=${1:-build}
MB=${2:-2048}
LINES_MB=${KUZAT_STREAM_LINES_MB:-$MB}
RSS_MB=${KUZAT_RSS_MB:-200}
. tests/cli/lib.sh
BYTES=$((MB * 1048576))

if [ ! -x /usr/bin/time ] && [ -z "${KUZAT_NO_INSTALL:-}" ]; then
  scripts/deps.sh time > /dev/null 2>&1 || true
fi
if [ ! -x /usr/bin/time ]; then
  skip "/usr/bin/time is not installed (apt-get install time)"
  kt_done
  exit 0
fi
"$TRAIN" -q -o "$T/m.kzm" tests/data/classify/train.tsv 2> "$T/err" ||
  { notok "train the test model: $(cat "$T/err")"; kt_done; exit 1; }

# measure NAME: runs stdin-fed kuzat-classify with the remaining arguments,
# output to $T/NAME.out, figures to $T/NAME.time
measure() {
  name=$1; shift
  /usr/bin/time -f '%M %e' -o "$T/$name.time" "$CLASSIFY" -m "$T/m.kzm" "$@" > "$T/$name.out" 2> "$T/$name.err"
  echo $? > "$T/$name.rc"
  set -- $(cat "$T/$name.time")
  rss_kb=$1 secs=$2
  echo "info - $name: ${size_mb:-$MB} MB through a pipe: peak RSS $((rss_kb / 1024)) MB, $secs s"
  [ $((rss_kb / 1024)) -le "$RSS_MB" ] && ok || notok "$name: peak RSS $((rss_kb / 1024)) MB above $RSS_MB MB"
}

# 1. one giant line
{ yes 'Bugun havo yaxshi, bozorga boramiz.' | tr '\n' ' ' | head -c "$BYTES"; echo; } |
  measure one-line --lines --max-chars 1000000
check "one line: exit 0" 0 "$(cat "$T/one-line.rc")"
check "one line: one output line" 1 "$(wc -l < "$T/one-line.out")"
grep -q "\"truncated\":{\"scored\":1000000,\"bytes\":$BYTES}" "$T/one-line.out" &&
  ok || notok "one line: the cut is reported with the full length ($(cut -c1-300 "$T/one-line.out"))"

# 2. many short records (each line 64 bytes with its newline)
LINE='Birodarlar, hijratga shoshiling, karvon sizni kutmoqda. 0123456'
NLINES=$((LINES_MB * 1048576 / 64))
yes "$LINE" | head -n "$NLINES" | size_mb=$LINES_MB measure many-lines --lines --max-chars 1000000
check "many lines: exit 0" 0 "$(cat "$T/many-lines.rc")"
check "many lines: one output line per input line" "$NLINES" "$(wc -l < "$T/many-lines.out")"

# 3. JSON Lines, with a 5 MB record every 1000 (4,000 of 2 GB)
BIGTEXT_MB=5
NREC=$((BYTES / (1000 * 60 + BIGTEXT_MB * 1048576) * 1000))
awk -v n="$NREC" -v big=$((BIGTEXT_MB * 1048576)) 'BEGIN {
  s = "Bugun havo yaxshi, bozorga boramiz. ";
  b = s; while (length(b) < big) b = b b; b = substr(b, 1, big);
  for (i = 1; i <= n; i++)
    if (i % 1000 == 0) printf "{\"id\":\"r%d\",\"text\":\"%s\"}\n", i, b;
    else printf "{\"id\":\"r%d\",\"text\":\"%s\"}\n", i, substr(s, 1, 30);
}' | measure jsonl --format jsonl --max-chars 1000000
check "jsonl: exit 0" 0 "$(cat "$T/jsonl.rc")"
check "jsonl: one output line per record" "$NREC" "$(wc -l < "$T/jsonl.out")"
check "jsonl: the 5 MB records are error lines" "$((NREC / 1000))" \
  "$(grep -c '"error":".*record longer than' "$T/jsonl.out")"
kt_done
