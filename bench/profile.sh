#!/bin/sh
# Where kuzat-classify's time goes, per stage (make bench, step 6):
#   bench/profile.sh BUILD MODEL CORPUS > profile.md
# Runs kuzat-classify --lines on the first BENCH_PROFILE_KB (1000) KB of
# CORPUS (one document a line) under valgrind --tool=callgrind, then
# bench/profile.py adds up each function's own instructions into stages
# (model loading, reading, UTF-8 decoding + normalisation, language
# identification, tokenising, hashing, counting/ordering the buckets, dot
# product, JSON output), per input byte.
set -eu
B=$1 M=$2 C=$3
W=$(mktemp -d /tmp/kuzat-profile-XXXXXX)
trap 'rm -rf "$W"' EXIT
head -c $((${BENCH_PROFILE_KB:-1000} * 1000)) "$C" | sed '$d' > "$W/in.txt"
valgrind --tool=callgrind --callgrind-out-file="$W/cg.out" \
  "$B/kuzat-classify" -m "$M" --lines "$W/in.txt" > /dev/null 2> "$W/cg.err" ||
  { cat "$W/cg.err" >&2; exit 1; }
# the same binary with an empty input: the fixed start-up cost
: > "$W/empty.txt"
valgrind --tool=callgrind --callgrind-out-file="$W/cg0.out" \
  "$B/kuzat-classify" -m "$M" --lines "$W/empty.txt" > /dev/null 2> /dev/null
callgrind_annotate --auto=no --threshold=100 "$W/cg.out" > "$W/self.txt"
callgrind_annotate --auto=no --threshold=100 "$W/cg0.out" > "$W/self0.txt"
/usr/bin/python3 "$(dirname "$0")/profile.py" "$W/self.txt" "$W/self0.txt" \
  "$(wc -c < "$W/in.txt")" "$(wc -l < "$W/in.txt")"
