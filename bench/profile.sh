#!/bin/sh
# Where kuzat-classify's time goes, per stage (make bench, step 6):
#   bench/profile.sh BUILD MODEL CORPUS > profile.md
# Runs kuzat-classify --lines on BENCH_PROFILE_KB (1000) KB of CORPUS's
# lines (one document a line, an even spread) under valgrind --tool=callgrind, then
# bench/profile.py adds up each function's own instructions into stages
# (model loading, reading, UTF-8 decoding + normalisation, language
# identification, tokenising, hashing, counting/ordering the buckets, dot
# product, JSON output), per input byte; and bench/utf8 on the same lines,
# what decoding UTF-8 alone costs; and bench/score.c's wall clock for
# normalising alone and for the whole scoring, in one process.
set -eu
B=$1 M=$2 C=$3
W=$(mktemp -d /tmp/kuzat-profile-XXXXXX)
trap 'rm -rf "$W"' EXIT
# an even spread of CORPUS's lines (every language in it), about KB kilobytes
want=$((${BENCH_PROFILE_KB:-1000} * 1000))
k=$(($(wc -c < "$C") / want))
[ "$k" -ge 1 ] || k=1
awk -v k="$k" 'NR % k == 0' "$C" | head -c "$want" | sed '$d' > "$W/in.txt"
valgrind --tool=callgrind --callgrind-out-file="$W/cg.out" \
  "$B/kuzat-classify" -m "$M" --lines "$W/in.txt" > /dev/null 2> "$W/cg.err" ||
  { cat "$W/cg.err" >&2; exit 1; }
# the same binary with an empty input: the fixed start-up cost
: > "$W/empty.txt"
valgrind --tool=callgrind --callgrind-out-file="$W/cg0.out" \
  "$B/kuzat-classify" -m "$M" --lines "$W/empty.txt" > /dev/null 2> /dev/null
# the floor: a plain validating UTF-8 decode of the same lines (bench/utf8.c)
valgrind --tool=callgrind --callgrind-out-file="$W/u8.out" "$B/bench/utf8" "$W/in.txt" > /dev/null 2>&1
valgrind --tool=callgrind --callgrind-out-file="$W/u0.out" "$B/bench/utf8" "$W/empty.txt" > /dev/null 2>&1
ir() { callgrind_annotate "$1" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'; }
u8=$(($(ir "$W/u8.out") - $(ir "$W/u0.out")))
callgrind_annotate --auto=no --threshold=100 "$W/cg.out" > "$W/self.txt"
callgrind_annotate --auto=no --threshold=100 "$W/cg0.out" > "$W/self0.txt"
# wall clock by stage, in one process on one core: bench/score.c normalises
# only ("norm") and scores ("dot", as kuzat-classify does) every line of CORPUS
pin=""
command -v taskset > /dev/null 2>&1 && pin="taskset -c 0"
$pin "$B/bench/score" "$M" "$C" norm > "$W/norm.txt"
$pin "$B/bench/score" "$M" "$C" dot > "$W/dot.txt"
/usr/bin/python3 "$(dirname "$0")/profile.py" "$W/self.txt" "$W/self0.txt" \
  "$(wc -c < "$W/in.txt")" "$(wc -l < "$W/in.txt")" "$u8"
awk -v b="$(wc -c < "$C")" 'FNR == 1 && NR == 1 { n = $2 } FNR == 1 && NR > 1 { d = $2 } END {
  printf "\nWall clock in one process on one core (bench/score.c on all %.1f MB of the corpus'"'"'s texts, " \
    "read into memory first): normalising alone %.1f MB/s; normalising, featurising and the dot " \
    "product (what kuzat-classify does per document) %.2f MB/s. Normalisation is %.0f%% of the " \
    "time, features and the dot product %.0f%%.\n", b / 1e6, n, d, 100 * d / n, 100 - 100 * d / n }' \
  "$W/norm.txt" "$W/dot.txt"
