#!/usr/bin/env bash
# Run libFuzzer targets built by `make fuzz-build` (see tests/fuzz/fuzz.mk).
#   tests/fuzz/run.sh LIMIT JOBS TARGET...
# LIMIT is a libFuzzer option, -max_total_time=SECONDS or -runs=N. JOBS
# targets run at once (each under nice -n 19). Each target's working corpus
# is build-fuzz/corpus/TARGET (the seeds in tests/fuzz/corpus/TARGET are
# read too, never written); its output goes to build-fuzz/logs/TARGET.log,
# crashes to build-fuzz/crashes/TARGET/. One line per run is appended to
# build-fuzz/hours.log: wall and CPU seconds, libFuzzer's run count and its
# "Done N runs in S second(s)" line. CPU seconds exclude time the process
# was stopped (kill -STOP) or waiting for a busy CPU; wall seconds do not.
# Exit status 1 when any target crashed, leaked or timed out (not when it
# was interrupted: libFuzzer's status 72). Most targets get a dictionary
# from tests/fuzz/dict/ (dict_of below).
set -u
cd "$(dirname "$0")/../.." || exit 2
[ $# -ge 3 ] || { echo "usage: $0 LIMIT JOBS TARGET..." >&2; exit 2; }
limit=$1 jobs=$2
shift 2
B=build-fuzz
mkdir -p "$B/logs"

# The libFuzzer dictionary of a target, in tests/fuzz/dict/ (none for gzip and
# the model targets, whose inputs are compressed or binary).
dict_of() { # target
  case $1 in
  normalise | score | reader_text | charset | html) echo text ;;
  reader_jsonl | reader_whisper) echo json ;;
  reader_srt | reader_vtt) echo subtitles ;;
  reader_tsv) echo tsv ;;
  esac
}

run_target() { # target
  local t=$1 log=$B/logs/$1.log times rc dict
  dict=$(dict_of "$t")
  mkdir -p "$B/corpus/$t" "$B/crashes/$t"
  times=$(mktemp)
  TIMEFORMAT='%R %U %S'
  { time nice -n 19 "$B/fuzz_$t" "$limit" -print_final_stats=1 ${dict:+"-dict=tests/fuzz/dict/$dict.dict"} \
      -artifact_prefix="$B/crashes/$t/" "$B/corpus/$t" "tests/fuzz/corpus/$t" \
      >"$log" 2>&1; } 2>"$times"
  rc=$?
  local wall user sys done runs
  read -r wall user sys <"$times"
  rm -f "$times"
  done=$(grep -a '^Done [0-9]* runs in' "$log" | tail -n 1)
  runs=$(grep -a '^stat::number_of_executed_units:' "$log" | tail -n 1 | awk '{print $2}')
  printf '%s %s %s rc=%d wall=%s cpu=%s runs=%s "%s"\n' "$(date -u +%FT%TZ)" "$t" "$limit" \
    "$rc" "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.1f", u + s}')" \
    "${runs:-0}" "$done" >>"$B/hours.log"
  if [ "$rc" = 72 ]; then # libFuzzer's exit status when interrupted (SIGINT, SIGTERM)
    echo "fuzz: $t interrupted after ${runs:-0} runs"
    return 0
  fi
  if [ "$rc" != 0 ]; then
    echo "fuzz: $t FAILED (status $rc); $log ends:" >&2
    grep -a -E '^(==|SUMMARY|artifact_prefix|Test unit written)|ERROR|broken promise' "$log" \
      | head -n 20 | sed 's/^/    /' >&2
    return 1
  fi
  echo "fuzz: $t: ${runs:-0} runs, ${wall}s (CPU $user+$sys s)"
}

# JOBS lanes, each running every JOBS-th target in turn.
status=0
pids=()
for ((lane = 0; lane < jobs; lane++)); do
  (
    lane_status=0 i=0
    for t in "$@"; do
      if [ $((i % jobs)) = "$lane" ]; then run_target "$t" || lane_status=1; fi
      i=$((i + 1))
    done
    exit $lane_status
  ) &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
[ "$status" = 0 ] && echo "fuzz: every target ran clean ($limit)" || echo "fuzz: some targets failed" >&2
exit $status
