#!/usr/bin/env bash
# What the fuzz corpora reach in the library: every target, built with
# clang's source-based coverage by `make fuzz-coverage` into
# build-fuzz-cov/, runs each input of its corpora once (-runs=0), and
# llvm-cov reports the lines, functions and branches of src/*.c reached by
# all the targets together.
#   tests/fuzz/coverage.sh [--seeds] TARGET...
# --seeds: only the seeds we wrote and the crash regressions, not the
# working corpora a campaign grew in build-fuzz/corpus/ -- the difference
# is what fuzzing found beyond the seeds. The per-line report is written to
# build-fuzz-cov/<which>.txt (llvm-cov show, lines never run marked 0).
set -eu
cd "$(dirname "$0")/../.." || exit 2
CB=build-fuzz-cov
which=campaign
if [ "${1:-}" = --seeds ]; then which=seeds; shift; fi
[ $# -gt 0 ] || { echo "usage: $0 [--seeds] TARGET... (make fuzz-coverage gives them all)" >&2; exit 2; }
prof=$CB/prof-$which
rm -rf "$prof"
mkdir -p "$prof"
objs=()
for t in "$@"; do
  bin=$CB/fuzz_$t
  [ -x "$bin" ] || { echo "coverage: no $bin: run make fuzz-coverage" >&2; exit 2; }
  dirs=(tests/fuzz/corpus/"$t")
  [ -d tests/fuzz/regress/"$t" ] && dirs+=(tests/fuzz/regress/"$t")
  [ "$which" = campaign ] && [ -d build-fuzz/corpus/"$t" ] && dirs+=(build-fuzz/corpus/"$t")
  n=$(find "${dirs[@]}" -type f | wc -l)
  # -runs=0: run every input once, then stop; nothing is written to the
  # corpora. Inputs of any size are run whole (-max_len).
  if ! LLVM_PROFILE_FILE="$prof/$t.profraw" "$bin" -runs=0 -max_len=16777216 "${dirs[@]}" \
      > "$prof/$t.log" 2>&1; then
    echo "coverage: $t failed on its corpus; $prof/$t.log ends:" >&2
    tail -n 20 "$prof/$t.log" >&2
    exit 1
  fi
  echo "coverage: $t: $n inputs"
  objs+=(-object "$bin")
done
llvm-profdata merge -sparse "$prof"/*.profraw -o "$prof/all.profdata"
# the first -object is the binary, the others are further objects
llvm-cov report "${objs[@]:1}" -instr-profile="$prof/all.profdata" src/*.c |
  sed "s|^$(pwd)/||"
llvm-cov show "${objs[@]:1}" -instr-profile="$prof/all.profdata" -show-line-counts-or-regions \
  src/*.c > "$CB/$which.txt"
echo "coverage: lines never run are marked 0 in $CB/$which.txt"
