#!/bin/sh
# Run every test: the unit-test programs in BUILD/tests and the CLI scripts
# in tests/cli. Ends with the line "N passed, N failed, N skipped".
#   tests/run.sh [BUILD]      (BUILD defaults to build)
# KUZAT_VALGRIND=1 runs the unit tests under valgrind. KUZAT_SHARED points
# at the shared datasets (default: ../shared/datasets next to the checkout).
set -u
cd "$(dirname "$0")/.." || exit 2
B=${1:-build}
export KUZAT_BUILD="$B"
if [ -z "${KUZAT_SHARED:-}" ] && [ -d ../shared/datasets ]; then
  KUZAT_SHARED=$(cd ../shared/datasets && pwd)
fi
export KUZAT_SHARED="${KUZAT_SHARED:-}"
[ -n "$KUZAT_SHARED" ] || echo "note: ../shared/datasets not found: tests that need the shared datasets will skip"

passed=0 failed=0 skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_one() { # name command...
  name=$1; shift
  "$@" >"$log" 2>&1
  rc=$?
  summary=$(grep -E '^# [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n 1)
  grep -E '^(not ok|skip|info) - ' "$log"
  if [ -z "$summary" ]; then
    echo "not ok - $name: exited with status $rc before its summary line; its output:"
    tail -n 20 "$log" | sed 's/^/    /'
    failed=$((failed + 1))
    return
  fi
  set -- $summary
  p=$2 f=$4 s=$6
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
    echo "not ok - $name: exited with status $rc"
    f=1
    tail -n 20 "$log" | sed 's/^/    /'
  fi
  echo "$name: $p passed, $f failed, $s skipped"
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

for t in "$B"/tests/test_*; do
  [ -x "$t" ] || continue
  if [ "${KUZAT_VALGRIND:-}" = 1 ]; then
    KUZAT_TEST_QUICK=1 run_one "$(basename "$t") (valgrind)" \
      valgrind -q --error-exitcode=99 --leak-check=full \
      --errors-for-leak-kinds=definite,indirect "$t"
  else
    run_one "$(basename "$t")" "$t"
  fi
done
if [ "${KUZAT_VALGRIND:-}" != 1 ]; then
  for t in tests/cli/test_*.sh; do
    run_one "$(basename "$t")" sh "$t"
  done
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
