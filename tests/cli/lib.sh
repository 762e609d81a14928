# Shared helpers for the CLI test scripts (sourced, not run).
# Each check prints "not ok - NAME: why" on failure; kt_done prints the
# summary line tests/run.sh adds up.
B=${KUZAT_BUILD:-build}
CLASSIFY="$B/kuzat-classify"
TRAIN="$B/kuzat-train"
kt_p=0 kt_f=0 kt_s=0
T=$(mktemp -d /tmp/kuzat-cli-XXXXXX)
trap 'rm -rf "$T"' EXIT

ok() { kt_p=$((kt_p + 1)); }
notok() { kt_f=$((kt_f + 1)); echo "not ok - $1"; }
skip() { kt_s=$((kt_s + 1)); echo "skip - $1"; }

# check NAME EXPECTED ACTUAL
check() {
  if [ "$2" = "$3" ]; then ok; else
    notok "$1"
    printf '      expected: %s\n      got:      %s\n' "$2" "$3"
  fi
}

# check_file NAME EXPECTED_FILE ACTUAL_FILE
check_file() {
  if cmp -s "$2" "$3"; then ok; else
    notok "$1"
    diff "$2" "$3" | head -n 10 | sed 's/^/      /'
  fi
}

kt_done() {
  echo "# $kt_p passed, $kt_f failed, $kt_s skipped"
  [ "$kt_f" = 0 ]
}
