#!/bin/sh
# Feature configurations: held-out quality against scoring speed (a
# benchmark, not a test; bench/FEATURES.md is its last run).
#   bench/features.sh [BUILD]
# For each configuration of word and character n-grams (FEATURES, default
# the eighteen of FEATURES.md below; WORD:CHAR, or WORD:CHAR/ARABIC for
# --arabic-char ARABIC; the first is kuzat-train's default until kuzat 0.2,
# 1-2:5-5/2-5 its default since and the shipped model's) and each seed (SEEDS, default "0 1 2": the
# seed sets the hash and the folds), it trains the propaganda marker alone
# on the default model's training split (datasets/recipes/default.py; the
# seven other markers renamed propaganda, C from 1,10 by 3-fold grouped
# cross-validation) and reports its PR-AUC, overall and per language, out
# of fold on the training split (kuzat-train --report: what to choose by)
# and on the held-out split (bench/features.py: whether the choice holds
# on rows no choice has seen). Then, for speed, an eight-marker model per
# configuration (seed 0, C=1, 2 folds: the speed does not depend on the
# weights' values, only on their number and layout) is timed scoring the
# throughput corpus on one core (bench/corpus.sh's in.txt, 52.5 MB),
# alternating with fastText's default model, best of RUNS (default 3).
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
S=${KUZAT_SHARED:-../shared/datasets}
[ -d "$S" ] || { echo "bench/features.sh: $S not found (set KUZAT_SHARED)" >&2; exit 2; }
FEATURES=${FEATURES:-"1-2:2-5 1-2:2-4 1-2:2-3 1-2:2-2 1-2:3-5 1-2:3-4 1-2:4-5 1-2:4-4 1-2:5-5 1-2:5-6 1-2:6-6 1-1:4-4 1-1:5-5 1-1:6-6 1-2:0-0 1-2:5-5/2-5 1-2:5-5/2-3 1-1:5-5/2-5"}
SEEDS=${SEEDS:-"0 1 2"}
RUNS=${RUNS:-3}
W="$B/features-work"
mkdir -p "$W"
[ -s "$W/split/train.tsv" ] || python3 datasets/recipes/default.py "$S" "$W/split" >/dev/null
MAP=""
for m in recruitment religious_justification incitement threat glorification fundraising instructional; do
  MAP="$MAP --map $m=propaganda"
done

# quality: one propaganda model per configuration and seed, two at a time
for f in $FEATURES; do for s in $SEEDS; do echo "$f $s"; done; done |
  xargs -P 2 -L 1 sh -c '
    W=$1 B=$2 f=$3 s=$4 word=${3%%:*} cs=${3#*:}
    char=${cs%%/*} ar=${cs#*/} # ar is char without a slash
    out="$W/q-$word-$(echo "$cs" | tr / _)-$s"
    set -e
    if [ ! -s "$out.json" ] || [ ! -s "$out.jsonl" ]; then
      "$B/kuzat-train" -q --threads 1 --negative reporting '"$MAP"' --grid 1,10 --folds 3 \
        --seed "$s" --word "$word" --char "$char" --arabic-char "$ar" --report "$out.json" -o "$out.kzm" \
        "$W/split/train.tsv"
      "$B/kuzat-classify" -m "$out.kzm" --all-scores "$W/split/heldout.tsv" > "$out.jsonl"
    fi
    python3 bench/features.py "$W/split/heldout.tsv" "$out.jsonl" > "$out.txt"
  ' sh "$W" "$B"

# speed: eight markers, seed 0
FT="$B/bench-work/ft1.bin" IN="$B/bench-work/in.txt"
[ -s "$IN" ] && [ -s "$FT" ] || { echo "bench/features.sh: run make bench first (for $IN and $FT)" >&2; exit 2; }
for f in $FEATURES; do
  word=${f%%:*} cs=${f#*:}
  char=${cs%%/*} ar=${cs#*/} tag=$word-$(echo "$cs" | tr / _)
  [ -s "$W/s-$tag.kzm" ] || "$B/kuzat-train" -q --threads 2 --decision propaganda \
    --negative reporting --grid 1 --folds 2 --word "$word" --char "$char" --arabic-char "$ar" \
    -o "$W/s-$tag.kzm" "$W/split/train.tsv"
done
: > "$W/times"
r=0
while [ $r -lt "$RUNS" ]; do
  for f in $FEATURES; do
    tag=${f%%:*}-$(echo "${f#*:}" | tr / _)
    /usr/bin/time -f "$f %U %e" -a -o "$W/times" taskset -c 0 "$B/kuzat-classify" \
      -m "$W/s-$tag.kzm" < "$IN" > /dev/null
  done
  /usr/bin/time -f "fasttext %U %e" -a -o "$W/times" taskset -c 0 fasttext predict-prob "$FT" - \
    < "$IN" > /dev/null
  r=$((r + 1))
done

{
  echo "# Feature configurations: held-out quality against scoring speed"
  echo
  echo "Written by \`bench/features.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); seeds: $SEEDS; load average at the end $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "The propaganda marker, mean over the seeds (min-max in brackets): PR-AUC out of fold on the training split (grouped cross-validation, what a configuration is chosen by), then on the held-out split (rows no choice has seen); the Arabic pro-ISIS tweets, which have no Arabic benign rows to be ranked against, and the Quran translations at the score that flags 1% of the held-out benign rows. Then one core's scoring speed relative to fastText's default model on the 52.5 MB throughput corpus (eight markers; CPU seconds, best of $RUNS alternating runs)."
  echo
  echo "word:char/arabic: words in Arabic script take the character n-grams after the slash (kuzat-train --arabic-char), every other word those before it. The split is the one in $W/split, written by datasets/recipes/default.py when the work folder was first made ($(awk -F'\t' '$1=="quran-translations" && $2=="train" {n+=$5} END {print n}' "$W/split/counts.tsv") scripture rows in training)."
  echo
  python3 - "$W" "$SEEDS" "$FEATURES" <<'PY'
import json, sys
w, seeds, feats = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
langs = ["uz-Latn", "uz-Cyrl", "tg", "ky", "ru", "en"]
cols = ["all"] + langs
times = {}
for line in open(w + "/times"):
    k, u, e = line.split()
    times.setdefault(k, []).append(float(u))
ft = min(times["fasttext"])

def cell(v):
    return "%.3f (%.3f-%.3f)" % (sum(v) / len(v), min(v), max(v))

def cv(path):
    r = json.load(open(path))["cross_validation"][0]
    return [r["all"]["pr_auc"]] + [r["by_lang"][l]["pr_auc"] for l in langs]

held = lambda b: [float(x) for x in open(b + ".txt").read().split()]
for title, get, pick, names in (
        ("PR-AUC out of fold on the training split", lambda b: cv(b + ".json"), range(7), cols),
        ("PR-AUC on the held-out split", held, range(7), cols),
        ("Held out, at the score that flags 1% of the benign rows", held, range(8, 12),
         ["ar positives: ROC-AUC against every benign row", "ar positives: recall",
          "all positives: recall", "scripture rows over it"])):
    print("### " + title)
    print()
    print("| word:char | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for f in feats:
        word, char = f.split(":")
        vals = [get("%s/q-%s-%s-%s" % (w, word, char.replace("/", "_"), s)) for s in seeds]
        print("| %s | %s |" % (f, " | ".join(cell([r[i] for r in vals]) for i in pick)))
    print()
print("### Speed")
print()
print("| word:char | CPU s | speed vs fastText |")
print("|---|---:|---:|")
for f in feats:
    t = min(times[f])
    print("| %s | %.2f | %.2fx |" % (f, t, ft / t))
print()
print("fastText defaults: %.2f CPU s." % ft)
PY
} > bench/FEATURES.md
cat bench/FEATURES.md
