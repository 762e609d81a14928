#!/bin/sh
# make bench: kuzat side by side with fastText, scikit-learn and liblinear /
# libsvm on the same split, then bench/RESULTS.md and its chart.
#   bench/bench.sh [BUILD]
# Needs ../shared/datasets (or KUZAT_SHARED); read at bench time, never
# copied into the repository. Work files go to BUILD/bench-work.
#
#  1. split: datasets/recipes/default.py (the default model's split, grouped
#     by near-duplicate key) -> train.tsv, heldout.tsv, heldout-KIND.tsv
#  2. evasion sets: the held-out positives rewritten by bench/perturb.py
#     (seeded) at 30% of words and at every word
#  3. train every tool on train.tsv (one core, wall time, peak memory, size):
#     kuzat-train as make model runs it (3 values of C x 5 grouped folds,
#     calibration, the threshold held to 1% false positives per family and
#     language, the seven markers beside the verdict, final fits); fasttext supervised with defaults and with -wordNgrams 2
#     -minn 2 -maxn 5; bench/sk.py (HashingVectorizer word 1-2 + char_wb
#     2-5, LinearSVC); liblinear-train (defaults) on kuzat's hashed vectors
#     (bench/featurize); and, for the training-cost target, one plain
#     svm-train -t 0 -c 1 fit against kuzat-train on the same BENCH_SVM_ROWS
#     rows (default 5000; svm-train needs minutes beyond that)
#  4. score the held-out rows and both evasion sets with every tool
#  5. throughput: bench/corpus.sh (>= 50 MB of short documents),
#     whole processes, one core (taskset) and two; kuzat with the shipped
#     default model (models/default.kzm; the model trained above if it is
#     missing), kuzat, fastText defaults and kuzat --threads 2 in turn,
#     BENCH_REPS (5) times, each time with two one-thread kuzat processes
#     at once (what two cores give at best), the fastest run of each
#     reported; start-up (each on an empty input, which is loading its
#     model, BENCH_STARTUP_REPS (15) times, the fastest);
#     wall and CPU time (the machine may be shared: the report says the
#     load); the Python package's
#     score_many and the Dask example (bench/python.py ->
#     bench/RESULTS-python.txt)
#     and known-content matching: bench/known (index size, load time,
#     throughput with and without matching -> bench/RESULTS-known.txt)
#     and kuzat-classify --known on the same input
#  6. profile: bench/profile.sh (callgrind on kuzat-classify, per stage)
#  7. bench/report.py: metrics (one script for every tool), targets,
#     bench/RESULTS.md and bench/quality-vs-speed.svg (gnuplot)
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
S=${KUZAT_SHARED:-../shared/datasets}
[ -d "$S" ] || { echo "bench: $S not found: the benchmarks read the shared datasets (set KUZAT_SHARED)" >&2; exit 2; }
scripts/deps.sh fasttext liblinear-tools libsvm-tools python3-sklearn time gnuplot valgrind \
  python3-numpy python3-dask python3-distributed
PY=/usr/bin/python3
W=$B/bench-work
rm -rf "$W"
mkdir -p "$W/scores"
start=$(date +%s)
echo "$start" > "$W/start"
log() { echo "bench: [$(($(date +%s) - start)) s] $*" >&2; }
pin1="taskset -c 0"
pin2="taskset -c 0,1"
command -v taskset > /dev/null 2>&1 || { pin1=""; pin2=""; }

# -- 1, 2: the split and the evasion sets
log "split (datasets/recipes/default.py)"
$PY datasets/recipes/default.py "$S" "$W" 2> "$W/split.txt"
awk -F'\t' 'NR == 1 || $3 ~ /(^|,)propaganda(,|$)/' "$W/heldout.tsv" > "$W/pos.tsv"
$PY bench/perturb.py 0.3 20261129 < "$W/pos.tsv" > "$W/pos-p30.tsv"
$PY bench/perturb.py 1 20261129 < "$W/pos.tsv" > "$W/pos-p100.tsv"

# fastText input: __label__pos / __label__neg, then the text
ft() { awk -F'\t' 'NR > 1 { printf "__label__%s %s\n", ($3 ~ /propaganda/ ? "pos" : "neg"), $2 }' "$1"; }
txt() { awk -F'\t' 'NR > 1 { print $2 }' "$1"; }
ft "$W/train.tsv" > "$W/train.ft"

# t NAME command...: wall time and peak memory of a whole process
t() {
  name=$1; shift
  /usr/bin/time -f "%e %M" -o "$W/time" "$@" || { echo "bench: $name failed" >&2; exit 1; }
  printf '%s\t%s\n' "$name" "$(tr ' ' '\t' < "$W/time")" >> "$W/train-times.tsv"
}

# -- 3: training, one core each
log "training"
: > "$W/train-times.tsv"
# shellcheck disable=SC2046 # the default model's feature options, one word each
t kuzat $pin1 "$B/kuzat-train" -q --threads 1 --decision propaganda --negative reporting \
  $(cat datasets/recipes/default-features) --target-fpr 0.01 -o "$W/kuzat.kzm" "$W/train.tsv"
t fasttext $pin1 fasttext supervised -input "$W/train.ft" -output "$W/ft1" -thread 1 -verbose 0
t fasttext-ngrams $pin1 fasttext supervised -input "$W/train.ft" -output "$W/ft2" \
  -wordNgrams 2 -minn 2 -maxn 5 -thread 1 -verbose 0
t sklearn $pin1 $PY bench/sk.py train "$W/train.tsv" "$W/sk.pkl"
"$B/bench/featurize" propaganda < "$W/train.tsv" > "$W/train.svm"
t liblinear $pin1 liblinear-train -q -B 1 "$W/train.svm" "$W/ll.model"
rm -f "$W/ft1.vec" "$W/ft2.vec"
printf 'kuzat\t%s\nfasttext\t%s\nfasttext-ngrams\t%s\nsklearn\t%s\nliblinear\t%s\n' \
  "$(wc -c < "$W/kuzat.kzm")" "$(wc -c < "$W/ft1.bin")" "$(wc -c < "$W/ft2.bin")" \
  "$(wc -c < "$W/sk.pkl")" "$(wc -c < "$W/ll.model")" > "$W/sizes.tsv"

# the training-cost target: kuzat-train (model selection included) against one
# plain svm-train -t 0 fit, on the same rows and the same vectors
n=${BENCH_SVM_ROWS:-5000}
total=$(($(wc -l < "$W/train.tsv") - 1))
awk -v n="$n" -v total="$total" 'NR == 1 || (NR - 2) % int(total / n) == 0 && c++ < n' \
  "$W/train.tsv" > "$W/svm-rows.tsv"
"$B/bench/featurize" propaganda < "$W/svm-rows.tsv" > "$W/svm-rows.svm"
log "training-cost target on $n rows (svm-train -t 0)"
: > "$W/time"
# one marker against one fit: the seven markers of our rows are dropped
drop=""
for m in recruitment incitement threat glorification religious_justification fundraising instructional; do
  drop="$drop --map $m="
done
t "target-kuzat $n" $pin1 "$B/kuzat-train" -q --threads 1 --negative reporting $drop \
  -o "$W/k-rows.kzm" "$W/svm-rows.tsv"
t "target-svm-train $n" $pin1 svm-train -q -t 0 -c 1 -m 1000 "$W/svm-rows.svm" "$W/svm-rows.model"
rm -f "$W/svm-rows.svm" "$W/svm-rows.model"

# -- 4: scores on the held-out rows and the evasion sets
log "scoring the held-out and perturbed rows"
for set in heldout pos-p30 pos-p100; do
  "$B/kuzat-classify" -q -m "$W/kuzat.kzm" --format tsv "$W/$set.tsv" > "$W/scores/kuzat.$set"
  txt "$W/$set.tsv" > "$W/$set.txt"
  fasttext predict-prob "$W/ft1.bin" "$W/$set.txt" 2 > "$W/scores/fasttext.$set"
  fasttext predict-prob "$W/ft2.bin" "$W/$set.txt" 2 > "$W/scores/fasttext-ngrams.$set"
  $PY bench/sk.py score "$W/sk.pkl" "$W/$set.tsv" > "$W/scores/sklearn.$set"
  "$B/bench/featurize" propaganda < "$W/$set.tsv" > "$W/$set.svm"
  $PY bench/linear.py "$W/ll.model" "$W/$set.svm" > "$W/scores/liblinear.$set"
  rm -f "$W/$set.svm"
done

# -- 5: throughput, whole processes
log "throughput"
bench/corpus.sh "$S" "$W/in.txt" "${BENCH_SCORE_MB:-50}"
# scikit-learn and liblinear (from text) score under 0.5 MB/s: timed on the
# first BENCH_SK_MB (5) MB
head -c $((${BENCH_SK_MB:-5} * 1000000)) "$W/in.txt" | sed '$d' > "$W/in-small.txt"
: > "$W/speed.tsv"
copies=1 # how many times the command of row() scores its input
row() { # name cores input command...
  name=$1 cores=$2 in=$3; shift 3
  taskset -c "$cores" /usr/bin/time -f "%e %M %U %S" -o "$W/time" "$@" < "$in" > "$W/out" 2> /dev/null ||
    { echo "bench: $name failed" >&2; exit 1; }
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$cores" "$(tr ' ' '\t' < "$W/time")" \
    "$((copies * $(wc -c < "$in")))" "$((copies * $(wc -l < "$in")))" "$(wc -l < "$W/out")" \
    "$(cut -d' ' -f1 /proc/loadavg)" >> "$W/speed.tsv"
  log "  $name: $(cat "$W/time")"
}
KM=models/default.kzm
[ -f "$KM" ] || KM="$W/kuzat.kzm"
echo "$KM" > "$W/speed-model"
# what two cores give here at best: two one-thread processes at once, one a
# core, each scoring the whole file, nothing shared between them (both
# write to row()'s output; its row counts the bytes and documents of both)
pair() {
  copies=2
  row "kuzat, two processes" 0,1 "$W/in.txt" sh -c \
    'taskset -c 0 "$1" -m "$2" < "$3" & p=$!; taskset -c 1 "$1" -m "$2" < "$3" || exit 1; wait $p' \
    pair "$B/kuzat-classify" "$KM" "$W/in.txt"
  copies=1
}
# side by side: one thread, fastText, two threads, in turn, BENCH_REPS (5)
# times; the report takes each one's fastest run, and shows the spread of
# the ratios of the runs made next to each other
for rep in $(seq "${BENCH_REPS:-5}"); do
  row kuzat 0 "$W/in.txt" "$B/kuzat-classify" -m "$KM"
  row fasttext 0 "$W/in.txt" fasttext predict-prob "$W/ft1.bin" -
  row kuzat 0,1 "$W/in.txt" "$B/kuzat-classify" -m "$KM" --threads 2
  pair
done
# start-up: each whole process on an empty input, which is loading its
# model and little else, BENCH_STARTUP_REPS (15) times in turn on one core;
# the report takes each one's fastest (ms, by date +%s%N around the run)
: > "$W/startup.tsv"
for rep in $(seq "${BENCH_STARTUP_REPS:-15}"); do
  for tool in kuzat fasttext; do
    if [ $tool = kuzat ]; then set -- "$B/kuzat-classify" -m "$KM"; else set -- fasttext predict-prob "$W/ft1.bin" -; fi
    t0=$(date +%s%N)
    taskset -c 0 "$@" < /dev/null > /dev/null 2>&1 || { echo "bench: $tool on an empty input failed" >&2; exit 1; }
    t1=$(date +%s%N)
    printf '%s\t%s\n' "$tool" "$(((t1 - t0) / 1000))" >> "$W/startup.tsv"
  done
done
log "  start-up, fastest of ${BENCH_STARTUP_REPS:-15}: $(sort -t'	' -k1,1 -k2,2n "$W/startup.tsv" | awk -F'\t' '!seen[$1]++ { printf "%s %.1f ms ", $1, $2 / 1000 }')"
row fasttext-ngrams 0 "$W/in.txt" fasttext predict-prob "$W/ft2.bin" -
row sklearn 0 "$W/in-small.txt" $PY bench/sk.py score "$W/sk.pkl" -
# liblinear from text: kuzat's hashing (bench/featurize) piped into
# liblinear-predict, also on the small file (the vectors as text are ~75x the input)
row liblinear 0 "$W/in-small.txt" sh -c "awk 'BEGIN { print \"label\ttext\" } { gsub(/\t/, \" \"); print \"x\t\" \$0 }' |
  $B/bench/featurize propaganda | liblinear-predict -q /dev/stdin $W/ll.model /dev/stdout"
rm -f "$W/out" "$W/in-small.txt"
# known-content matching (issue 21): bench/known builds an index of
# BENCH_KNOWN (100,000) documents and reports its size on disk and in
# memory, its load time and the throughput of scoring with and without
# matching (CPU time, one thread); then the same index whole-process,
# kuzat-classify --known against plain scoring on the same input
log "known-content matching (bench/known)"
KUZAT_BENCH_KEEP=1 $pin1 "$B/bench/known" "${BENCH_KNOWN:-100000}" "$W/known.kzk" > bench/RESULTS-known.txt ||
  { echo "bench: bench/known failed" >&2; exit 1; }
row "kuzat --known" 0 "$W/in.txt" "$B/kuzat-classify" -m "$KM" --known "$W/known.kzk"
grep -E '^kuzat(	| --known)' "$W/speed.tsv" | awk -F'\t' '$2 == 0 { printf "kuzat-classify%s, one core: %.1f MB/s (%s s, peak %s KB)\n",
  ($1 == "kuzat" ? "" : " --known"), $7 / $3 / 1e6, $3, $4 }' >> bench/RESULTS-known.txt
# the Python package beside the program: score_many on 10,000 short texts,
# one thread and two, and examples/dask_score.py on two workers (issue 20)
log "python package (bench/python.py)"
$PY bench/python.py "$W/in.txt.base" --build "$B" -m "$KM" --dask 100000 \
  > bench/RESULTS-python.txt 2> "$W/python.err" || { echo "bench: bench/python.py failed" >&2; cat "$W/python.err" >&2; }

# -- 6: where the time goes
log "profile (callgrind)"
bench/profile.sh "$B" "$KM" "$W/in.txt.base" > "$W/profile.md"

# -- 7: the report
log "report"
{
  echo "date	$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "commit	$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "kuzat	$("$B/kuzat-classify" --version | head -1)"
  echo "fastText	$(dpkg-query -W -f='${Version}' fasttext)"
  echo "liblinear	$(dpkg-query -W -f='${Version}' liblinear-tools)"
  echo "libsvm	$(dpkg-query -W -f='${Version}' libsvm-tools)"
  echo "scikit-learn	$($PY -c 'import sklearn; print(sklearn.__version__)')"
  echo "Python	$($PY -c 'import sys; print(sys.version.split()[0])')"
  echo "ICU	$(pkg-config --modversion icu-uc)"
  echo "gnuplot	$(gnuplot --version | cut -d' ' -f2-)"
  echo "cpu	$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "cores	$(nproc)"
  echo "memory	$(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo)"
  echo "load	$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "kernel	$(uname -sr)"
} > "$W/env.tsv"
date +%s > "$W/end"
$PY bench/report.py "$W" bench/RESULTS.md bench/quality-vs-speed.svg
log "done: bench/RESULTS.md, bench/quality-vs-speed.svg"
