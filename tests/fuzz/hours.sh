#!/bin/sh
# Totals per fuzz target from build-fuzz/hours.log (written by run.sh), as
# a Markdown table: runs of the target, wall and CPU seconds, inputs
# executed, and how many runs ended in a failure (an interrupted run,
# libFuzzer's status 72, is not one).
#   tests/fuzz/hours.sh [LOG]
cd "$(dirname "$0")/../.." || exit 2
log=${1:-build-fuzz/hours.log}
[ -r "$log" ] || { echo "no $log: run make fuzz first" >&2; exit 1; }
awk '
  { t = $2; n[t]++
    for (i = 4; i <= NF; i++) {
      split($i, kv, "=")
      if (kv[1] == "rc" && kv[2] != 0 && kv[2] != 72) bad[t]++
      if (kv[1] == "wall") wall[t] += kv[2]
      if (kv[1] == "cpu") cpu[t] += kv[2]
      if (kv[1] == "runs") runs[t] += kv[2]
    }
    if (!(t in seen)) { seen[t] = 1; order[++k] = t } }
  END {
    print "| target | runs of it | wall s | CPU s | inputs executed | failed runs |"
    print "|---|---:|---:|---:|---:|---:|"
    for (i = 1; i <= k; i++) { t = order[i]
      printf "| %s | %d | %.0f | %.0f | %d | %d |\n", t, n[t], wall[t], cpu[t], runs[t], bad[t] }
  }' "$log"
