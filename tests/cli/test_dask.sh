# examples/dask_score.py on a LocalCluster of two worker processes: its
# output, through a bag and through a dataframe, is kuzat-classify's record
# for record (ids, errors, verdicts, scores, languages), files split into
# several partitions; a worker without the kuzat package, or a bad model,
# fails at once with the reason instead of hanging. make test installs
# python3-dask and python3-distributed.
. "$(dirname "$0")/lib.sh"

case "$B" in
build) ;;
*) skip "dask: runs in the plain build only (this is $B)"; kt_done; exit ;;
esac
if ! /usr/bin/python3 -c 'import dask.bag, dask.dataframe, distributed' 2> /dev/null; then
  skip "dask: python3-dask and python3-distributed are not installed (make test installs them)"
  kt_done; exit
fi
PY="/usr/bin/python3"
export PYTHONDONTWRITEBYTECODE=1

# Two files: the tests' sentences as JSON records (ids on some, FILE:LINE on
# the others), the golden records with a bad one, blank lines, transcripts
# (one with bad segments).
$PY - "$T/a.jsonl" <<'PY'
import json, sys
with open("tests/data/classify/train.tsv", encoding="utf-8") as f:
    next(f)
    texts = [line.split("\t")[1] for line in f]
with open(sys.argv[1], "w", encoding="utf-8") as out:
    for i, t in enumerate(texts * 3):
        rec = {"text": "%s %d" % (t, i)}
        if i % 3:
            rec["id"] = "a%d" % i
        out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        if i % 40 == 7:
            out.write("\n")
PY
cat tests/data/classify/golden/posts.jsonl tests/data/classify/golden/segs.jsonl > "$T/b.jsonl"
printf '{"id":"n","text":null}\nnot json\n{"id":7,"text":"Ertaga havo yaxshi"}\n' >> "$T/b.jsonl"
"$CLASSIFY" -q -m models/default.kzm --all-scores "$T/a.jsonl" "$T/b.jsonl" > "$T/cli.jsonl"

export DASK_TEMPORARY_DIRECTORY="$T"  # the workers' scratch space
run() { # the example with the package from this tree; a time limit, never a hang
  env PYTHONPATH="$(pwd)/python" KUZAT_LIBRARY="$(pwd)/$B/libkuzat.so.1" \
    timeout 600 $PY examples/dask_score.py --workers 2 "$@"
}

run -m models/default.kzm --blocksize 2000 "$T/a.jsonl" "$T/b.jsonl" > "$T/bag.jsonl" 2> "$T/bag.err"
check "dask bag: exit 0" 0 "$?"
[ -s "$T/bag.err" ] && sed 's/^/      /' "$T/bag.err" | head -n 5
$PY tests/cli/jsonl_same.py "$T/cli.jsonl" "$T/bag.jsonl" > "$T/same.log"
check "dask bag (model from -m, files in several partitions): kuzat-classify's records" 0 "$?"
grep -v 'records the same' "$T/same.log" | sed 's/^/      /'

run --dataframe "$T/a.jsonl" "$T/b.jsonl" > "$T/df.jsonl" 2> "$T/df.err"
check "dask dataframe: exit 0" 0 "$?"
$PY tests/cli/jsonl_same.py "$T/cli.jsonl" "$T/df.jsonl" > "$T/same.log"
check "dask dataframe (the default model): kuzat-classify's records" 0 "$?"
grep -v 'records the same' "$T/same.log" | sed 's/^/      /'

# A bad model: every worker's plugin fails, and says why.
printf 'not a model' > "$T/bad.kzm"
run -m "$T/bad.kzm" "$T/b.jsonl" > "$T/out" 2> "$T/err"
check "dask, a bad model: exit 1" 1 "$?"
grep -q "not a kuzat model" "$T/err" && ok || { notok "dask, a bad model: the reason"; head -n 5 "$T/err"; }

# Workers without the package: no PYTHONPATH to it (the client needs none).
if env -u PYTHONPATH -u KUZAT_LIBRARY $PY -c 'import kuzat' 2> /dev/null; then
  skip "dask: kuzat is installed system-wide here, so no worker can lack it"
else
  env -u PYTHONPATH -u KUZAT_LIBRARY timeout 600 $PY examples/dask_score.py "$T/b.jsonl" \
    > "$T/out" 2> "$T/err"
  check "dask, workers without kuzat: exit 1 (not a hang, not the time limit's 124)" 1 "$?"
  grep -q "cannot import kuzat" "$T/err" && ok ||
    { notok "dask, workers without kuzat: the reason"; head -n 5 "$T/err"; }
  check "dask, workers without kuzat: no output" 0 "$(wc -c < "$T/out")"
fi
kt_done
