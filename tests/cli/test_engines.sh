# The README's Spark and Hadoop Streaming recipes, run the way those
# engines run a filter (tests/cli/engines.py: partitions as separate
# processes, Spark's empty environment and exit-code check, Hadoop's task
# directories, -files links and first-tab keys), without Spark or Hadoop:
# every record comes back exactly once, re-joined by its id, with the
# scores one kuzat-classify process gives.
. "$(dirname "$0")/lib.sh"

if ! command -v python3 > /dev/null 2>&1; then
  skip "engines: python3 is not installed"; kt_done; exit
fi
PY=python3
ROOT=$(pwd)
PROG="$ROOT/$CLASSIFY"
MODEL="$ROOT/models/default.kzm"

# JSON records that carry their own ids (one with a tab in it, one a
# transcript), a record whose text is not a string, a line that is not JSON.
$PY - "$T/in.jsonl" <<'PY'
import json, sys
with open("tests/data/classify/train.tsv", encoding="utf-8") as f:
    next(f)
    texts = [line.split("\t")[1] for line in f]
with open(sys.argv[1], "w", encoding="utf-8") as out:
    for i, t in enumerate(texts * 20):
        out.write(json.dumps({"id": "r%d" % i, "text": "%s %d" % (t, i)}, ensure_ascii=False) + "\n")
        if i == 500:
            out.write('{"id":"tab\\there","text":"Birodarlar, hijratga shoshiling"}\n')
            out.write('{"id":"v1","segments":[{"start":0,"end":2,"text":"salom"},'
                      '{"start":2,"end":4,"text":"hijratga shoshiling"}]}\n')
            out.write('{"id":"bad1","text":42}\n')
            out.write('not json\n')
PY
n=$(wc -l < "$T/in.jsonl")

# One process, for reference.
"$CLASSIFY" -q --format jsonl -m models/default.kzm < "$T/in.jsonl" > "$T/one.jsonl"
"$CLASSIFY" -q --format jsonl --format-out tsv -m models/default.kzm < "$T/in.jsonl" > "$T/one.tsv"

# rejoin FORMAT OUT: every id of the input once in OUT, and each record
# as the one process gave it; the line that is not JSON comes back once,
# as an error under a stdin:LINE id of its partition.
rejoin() {
  $PY - "$1" "$T/in.jsonl" "$2" "$3" <<'PY'
import collections, json, sys
fmt, inp, out, one = sys.argv[1:]
def records(path):
    recs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if fmt == "tsv":
                key, _, value = line.partition("\t")
                recs.append((key, line))
            else:
                recs.append((json.loads(line)["id"], line))
    return recs
want = {json.loads(l)["id"] for l in open(inp, encoding="utf-8") if l.startswith("{")}
if fmt == "tsv":  # a TSV id has its tabs as spaces
    want = {k.replace("\t", " ") for k in want}
got = records(out)
count = collections.Counter(k for k, _ in got)
bad = ["%r: %d times" % (k, c) for k, c in count.items() if c != 1]
bad += ["%r missing" % k for k in sorted(want - set(count))][:5]
strays = [k for k in count if k not in want]
if len(strays) != 1 or not strays[0].startswith("stdin:") or "error" not in dict(got)[strays[0]]:
    bad.append("want one stray error line for the line that is not JSON: %r" % strays[:5])
ref = dict(records(one))
def same(a, b):  # an error's message names the line of its partition
    err = lambda l: '"error":' in l if fmt == "jsonl" else l.split("\t")[1] == "error"
    return a == b or (err(a) and err(b))
bad += ["%r differs from one process" % k for k, line in got
        if k in want and not same(ref[k], line)][:5]
print("\n".join(bad) if bad else "ok %d records" % len(got))
PY
}

# Spark: sc.textFile(...).pipe(ABSOLUTE_PROGRAM + " -q --format jsonl -m MODEL",
# env={"LC_ALL": "C.UTF-8"}, checkCode=True), 8 partitions.
$PY tests/cli/engines.py spark 8 "$PROG -q --format jsonl -m $MODEL" "$T/in.jsonl" \
  --env LC_ALL=C.UTF-8 > "$T/spark.jsonl" 2> "$T/spark.err"
check "spark pipe, 8 partitions: the job succeeds" 0 "$?"
check "spark pipe: one line per input line" "$n" "$(wc -l < "$T/spark.jsonl")"
check "spark pipe: every record once, re-joined by id, as one process scores it" \
  "ok $n records" "$(rejoin jsonl "$T/spark.jsonl" "$T/one.jsonl")"

# What the recipe avoids: a bare program name in Spark's empty environment
# is not found; a bad model fails the job with checkCode=True, and without
# it gives empty partitions and nothing else.
$PY tests/cli/engines.py spark 2 "kuzat-classify --lines" "$T/in.jsonl" > "$T/out" 2> "$T/err"
check "spark pipe, a bare name and env={}: the job fails" 1 "$?"
grep -q "No such file" "$T/err" && ok || { notok "spark pipe, a bare name: not found"; cat "$T/err"; }
$PY tests/cli/engines.py spark 8 "$PROG -q --format jsonl -m /nonexistent.kzm" "$T/in.jsonl" \
  > "$T/out" 2> "$T/err"
check "spark pipe, a bad -m, checkCode=True: the job fails" 1 "$?"
grep -q "exited with error code 2" "$T/err" && ok || { notok "spark: kuzat-classify's exit 2"; cat "$T/err"; }
$PY tests/cli/engines.py spark 8 "$PROG -q --format jsonl -m /nonexistent.kzm" "$T/in.jsonl" \
  --no-check > "$T/out" 2> /dev/null
check "spark pipe, a bad -m, checkCode=False: empty partitions, no error (why the recipe checks)" \
  "0 0" "$? $(wc -l < "$T/out")"

# Hadoop Streaming: -files default.kzm -mapper "kuzat-classify -q --format jsonl
# --format-out tsv -m default.kzm" -numReduceTasks 0, the program installed on
# the node (on its PATH), 8 map tasks.
mkdir -p "$T/node/bin"
ln -s "$PROG" "$T/node/bin/kuzat-classify"
$PY tests/cli/engines.py hadoop 8 "kuzat-classify -q --format jsonl --format-out tsv -m default.kzm" \
  "$T/in.jsonl" "$T/job" --file "$MODEL" --env PATH="$T/node/bin:/usr/bin:/bin" \
  > "$T/hadoop.tsv" 2> "$T/hadoop.err"
check "hadoop streaming, 8 maps: the job succeeds" 0 "$?"
check "hadoop streaming: 8 part files" 8 "$(ls "$T/job/out" | wc -l)"
check "hadoop streaming: every record once, its id the key, as one process scores it" \
  "ok $n records" "$(rejoin tsv "$T/hadoop.tsv" "$T/one.tsv")"
check "hadoop streaming: an id with a tab is one key (the tab a space)" \
  "tab here	true" "$(grep '^tab here' "$T/hadoop.tsv" | cut -f1,2)"
$PY tests/cli/engines.py hadoop 2 "kuzat-classify -q --format jsonl --format-out tsv -m nothere.kzm" \
  "$T/in.jsonl" "$T/job2" --env PATH="$T/node/bin:/usr/bin:/bin" > "$T/out" 2> "$T/err"
check "hadoop streaming, the model not shipped: the task fails" 1 "$?"
kt_done
