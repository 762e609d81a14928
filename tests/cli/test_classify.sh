# kuzat-classify scoring: every input format, one line per record in order,
# errors in place, exit codes, threads, GNU parallel, pipes, --eval,
# --explain, directories. The model is trained here from sentences written
# for the tests (tests/data/classify/train.tsv); flags are checked, not
# exact probabilities, so the goldens survive a retrained model, and
# byte-identity is checked between runs instead.
. "$(dirname "$0")/lib.sh"
G=tests/data/classify/golden

"$TRAIN" -q -o "$T/m.kzm" tests/data/classify/train.tsv 2> "$T/train.err" ||
  { notok "train the test model: $(cat "$T/train.err")"; kt_done; exit 1; }
M="$T/m.kzm"
ID=$(printf 'x' | "$CLASSIFY" -m "$M" | sed -n 's/.*"model":"\([0-9a-f]*\)".*/\1/p')

# Hide the numbers: probabilities and the model id vary with training.
mask() {
  sed -E 's/"model":"[0-9a-f]{16}"/"model":"M"/g; s/":(-?[0-9]+\.[0-9]{4})/":P/g; s/=[0-9]\.[0-9]{4}/=P/g; s/\t[0-9]\.[0-9]{4}\t/\tP\t/g' "$@"
}

# golden NAME ARGS...: classify ARGS, mask, compare with $G/NAME.want
golden() {
  name=$1; shift
  "$CLASSIFY" -m "$M" "$@" > "$T/$name.out" 2> "$T/$name.err"
  echo "exit $?" >> "$T/$name.out"
  mask "$T/$name.out" > "$T/$name.masked"
  if [ "${KUZAT_UPDATE_GOLDEN:-}" = 1 ]; then cp "$T/$name.masked" "$G/$name.want"; fi
  check_file "golden $name: $*" "$G/$name.want" "$T/$name.masked"
}

# --- every input format, four languages, errors in place ---
golden lines --lines "$G/chat.txt"
golden lines-stdin < "$G/chat.txt"
golden text "$G/post.txt"
golden tsv "$G/posts.tsv"
golden tsv-out --format-out tsv "$G/posts.tsv"
golden jsonl "$G/posts.jsonl"
golden fasttext --format fasttext "$G/posts.ft"
golden all-scores --all-scores --lines "$G/chat.txt"
golden srt --window 2 "$G/talk.srt"
golden vtt --window 2 "$G/talk.vtt"
golden whisper --window 2 "$G/talk.json"
golden jsonl-segments --window 2 "$G/segs.jsonl"
golden bad-srt "$G/bad.srt"
golden srt-all --all-scores --window 3 "$G/talk.srt"
golden srt-tsv --format-out tsv "$G/talk.srt"

# --- transcripts: the flagged part is reported with its timestamps ---
seg_times() { sed 's/.*"segments":\[\(.*\)\].*/\1/; s/"score":[0-9.]*//g; s/"lang":"[^"]*"//g; s/"script":"[^"]*"//g; s/[{}",]/ /g' | tr -s ' ' | sed 's/^ //; s/ $//'; }
check "SRT: the pitch's cue and its times" "start : 00:01:02.500 end : 00:01:05.000" \
  "$("$CLASSIFY" -m "$M" "$G/talk.srt" | seg_times)"
check "WebVTT: the pitch's cue and its times" "start : 00:02:10.250 end : 00:02:14.000" \
  "$("$CLASSIFY" -m "$M" "$G/talk.vtt" | seg_times)"
check "Whisper JSON: the pitch's segment and its times" "start : 00:01:35.250 end : 00:01:39.000" \
  "$("$CLASSIFY" -m "$M" "$G/talk.json" | seg_times)"
check "--window 1: the worst window is the pitch's cue" '"worst":{"start":"00:01:02.500","end":"00:01:05.000"' \
  "$("$CLASSIFY" -m "$M" --window 1 "$G/talk.srt" | grep -o '"worst":{"start":"[^"]*","end":"[^"]*"')"
"$CLASSIFY" -m "$M" --explain 2 "$G/talk.srt" | grep -q '"source":"шошилинг","at":"00:01:02.500"'
check "--explain on a transcript: a word carries its cue's time" 0 $?

# --- a folder of mixed transcripts and texts, some gzipped, some broken ---
mkdir -p "$T/mixed"
cp "$G/talk.srt" "$G/talk.vtt" "$G/segs.jsonl" "$G/post.txt" "$G/bad.srt" "$T/mixed/"
gzip -c "$G/talk.json" > "$T/mixed/whisper.json.gz"
gzip -c "$G/talk.vtt" | head -c 300 > "$T/mixed/cut.vtt.gz"
"$CLASSIFY" -m "$M" "$T/mixed" > "$T/mixed.out" 2> /dev/null
check "mixed folder: exit 2 (a gzip file cut short cannot be read to its end)" 2 $?
check "mixed folder: one line per document, in order" \
  "$T/mixed/bad.srt $T/mixed/cut.vtt.gz $T/mixed/post.txt v1 v2 v3 $T/mixed/talk.srt $T/mixed/talk.vtt $T/mixed/whisper.json.gz" \
  "$(sed 's/^{"id":"\([^"]*\)".*/\1/' "$T/mixed.out" | paste -sd ' ')"
check "mixed folder: errors for the broken ones" 3 "$(grep -c '"error"' "$T/mixed.out")"
check "mixed folder: the gzipped Whisper file has its times" "start : 00:01:35.250 end : 00:01:39.000" \
  "$(grep whisper.json.gz "$T/mixed.out" | seg_times)"

# --- --max-chars: long documents are cut, and the output says so ---
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "Bugun havo yaxshi. "; print "" }' > "$T/long.txt"
"$CLASSIFY" -m "$M" --max-chars 1000 "$T/long.txt" > "$T/long.out"
check "--max-chars: exit 0" 0 $?
grep -q '"truncated":{"scored":1000,"bytes":380001}' "$T/long.out"
check "--max-chars: the cut is in the output" 0 $?
"$CLASSIFY" -m "$M" --window-bytes 500 "$T/long.txt" | grep -q '"windows":[0-9]*,"worst":{"start":[0-9]*,"end":[0-9]*'
check "a long text is scored in windows, the worst one located" 0 $?

# every output line answers one input line, in order
n_in=$(wc -l < "$G/chat.txt")
n_out=$("$CLASSIFY" -m "$M" --lines "$G/chat.txt" | wc -l)
check "one output line per input line, blank lines included" "$n_in" "$n_out"
check "ids follow the input lines" "$(seq 1 "$n_in" | sed "s|^|$G/chat.txt:|" | paste -sd ' ')" \
  "$("$CLASSIFY" -m "$M" --lines "$G/chat.txt" | sed 's/^{"id":"\([^"]*\)".*/\1/' | paste -sd ' ')"
check "every line names the model" "$n_in" \
  "$("$CLASSIFY" -m "$M" --lines "$G/chat.txt" | grep -c "\"model\":\"$ID\"")"

# --- determinism: runs, threads, GNU parallel ---
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
  cat "$G/chat.txt"; sed 's/^/x /' "$G/chat.txt"
done > "$T/many.txt"
for f in "$G/posts.jsonl" "$G/posts.jsonl"; do cat "$f"; done > "$T/many.jsonl"
"$CLASSIFY" -m "$M" --lines "$T/many.txt" > "$T/one.out"
"$CLASSIFY" -m "$M" --lines "$T/many.txt" > "$T/again.out"
check_file "the same model and input give the same bytes" "$T/one.out" "$T/again.out"
"$CLASSIFY" -m "$M" --lines --threads 4 "$T/many.txt" > "$T/four.out"
check_file "--threads 4 gives the output of --threads 1" "$T/one.out" "$T/four.out"
"$CLASSIFY" -m "$M" --explain 3 "$T/many.jsonl" > "$T/e1.out" 2>/dev/null
"$CLASSIFY" -m "$M" --explain 3 --threads 3 "$T/many.jsonl" > "$T/e3.out" 2>/dev/null
check_file "--threads 3 with errors and explanations: same output" "$T/e1.out" "$T/e3.out"
if command -v parallel > /dev/null 2>&1; then
  # stdin is read as lines: ids are stdin:N per block, so compare without ids
  "$CLASSIFY" -m "$M" < "$T/many.txt" | sed 's/^{"id":"[^"]*",//' > "$T/single.out"
  parallel --will-cite --pipe -k -j4 -N 37 "$CLASSIFY" -m "$M" < "$T/many.txt" |
    sed 's/^{"id":"[^"]*",//' > "$T/par.out"
  check_file "parallel --pipe -k over 4 jobs gives one process's records" "$T/single.out" "$T/par.out"
else
  skip "GNU parallel is not installed (make test installs it)"
fi

# --- pipes: flushed per record, and | head ends quietly ---
"$CLASSIFY" -m "$M" --lines "$T/many.txt" 2> "$T/head.err" | head -n 1 > "$T/head.out"
check "| head -n 1: one line" 1 "$(wc -l < "$T/head.out")"
check "| head -n 1: nothing on stderr" "" "$(cat "$T/head.err")"
# a record's line comes out before the next record is read (pipe: line-buffered)
mkfifo "$T/fifo"
# (the feeder becomes the sleep, so killing it ends the input at once)
( printf 'Bugun havo yaxshi\n'; exec sleep 120 ) > "$T/fifo" &
feeder=$!
"$CLASSIFY" -m "$M" < "$T/fifo" | { IFS= read -r line; echo "$line"; } > "$T/live.out" &
reader=$!
i=0
# (up to 60 s: a loaded machine is slow to start, but the input never ends)
while [ $i -lt 600 ] && [ ! -s "$T/live.out" ]; do sleep 0.1; i=$((i + 1)); done
check "on a pipe a record's line is written before more input arrives" "stdin:1" \
  "$(sed -n 's/^{"id":"\([^"]*\)".*/\1/p' "$T/live.out")"
kill $feeder $reader 2> /dev/null; wait 2> /dev/null
# the same with threads: a pipe's records are handed over one at a time,
# and a regular file's last batch goes over when the file ends, before the
# next input (here a pipe that brings nothing) is read
printf 'Bugun havo yaxshi\nСалом\nHello\n' > "$T/three.txt"
for args in "--threads 2 -" "--threads 3 --lines $T/three.txt -"; do
  rm -f "$T/fifo"
  : > "$T/live.out"
  mkfifo "$T/fifo"
  case $args in
    *three*) want="$T/three.txt:1 $T/three.txt:2 $T/three.txt:3"; n=3
             ( exec sleep 120 ) > "$T/fifo" & ;;
    *) want="stdin:1"; n=1
       ( printf 'Bugun havo yaxshi\n'; exec sleep 120 ) > "$T/fifo" & ;;
  esac
  feeder=$!
  # shellcheck disable=SC2086 # $args is split on purpose
  "$CLASSIFY" -m "$M" $args < "$T/fifo" | head -n $n > "$T/live.out" &
  reader=$!
  i=0
  while [ $i -lt 600 ] && [ "$(wc -l < "$T/live.out")" -lt $n ]; do sleep 0.1; i=$((i + 1)); done
  check "$args: the lines are written before more input arrives" "$want" \
    "$(sed -n 's/^{"id":"\([^"]*\)".*/\1/p' "$T/live.out" | paste -sd ' ')"
  kill $feeder $reader 2> /dev/null; wait 2> /dev/null
done
# regular files (standard input one of them) in batches: every record of
# files of 1, 63, 64, 65 and 1,000 lines, in order, as one thread gives them
cat "$T/many.txt" "$T/many.txt" "$T/many.txt" > "$T/more.txt"
for n in 1 63 64 65 1000; do sed -n "1,${n}p" "$T/more.txt" > "$T/part$n.txt"; done
set -- "$T/part1.txt" "$T/part63.txt" - "$T/part64.txt" "$T/part65.txt" "$T/part1000.txt"
"$CLASSIFY" -m "$M" --lines "$@" < "$T/part65.txt" > "$T/files1.out"
"$CLASSIFY" -m "$M" --lines --threads 3 "$@" < "$T/part65.txt" > "$T/files3.out"
check "regular files and stdin, --threads 3: one thread's output" "$(wc -l < "$T/files1.out") $(cksum < "$T/files1.out")" \
  "$(wc -l < "$T/files3.out") $(cksum < "$T/files3.out")"
check "... which is every line of them" 1258 "$(wc -l < "$T/files1.out")"
# long records through the threads' arena (2 MB a thread, ring.c): copies
# of 100-340 KB wrap around its end again and again, and one of 1.5 MB,
# over a quarter of it, goes to a buffer of its own; from a file and from
# a pipe, --threads 2 and 3 give one thread's bytes
awk 'BEGIN {
  s = "Bugun havo yaxshi, biz bozorga boramiz. Сегодня хорошая погода. "
  while (length(s) < 1500000) s = s s
  for (i = 1; i <= 30; i++) {
    print "long " i " " substr(s, 1 + i, 100000 + 8000 * i)
    if (i % 3 == 0) print "short " i
    if (i == 20) print substr(s, 1, 1500000)
  }
}' > "$T/long.txt"
"$CLASSIFY" -m "$M" --lines --max-chars 2000000 "$T/long.txt" > "$T/long1.out"
check "long records, one thread: every line" 41 "$(wc -l < "$T/long1.out")"
"$CLASSIFY" -m "$M" --lines --max-chars 2000000 --threads 2 "$T/long.txt" > "$T/long2.out"
check_file "long records through the arena, --threads 2: one thread's output" "$T/long1.out" "$T/long2.out"
sed 's/"id":"[^"]*"//' "$T/long1.out" > "$T/long1.noid"
cat "$T/long.txt" | "$CLASSIFY" -m "$M" --lines --max-chars 2000000 --threads 3 - |
  sed 's/"id":"[^"]*"//' > "$T/long3.noid"
check_file "... and from a pipe, --threads 3" "$T/long1.noid" "$T/long3.noid"
"$CLASSIFY" -m "$M" --lines --threads 2 "$T/part1000.txt" 2> "$T/head.err" | head -n 1 > "$T/head.out"
check "--threads 2 | head -n 1: one line, nothing on stderr" "1 " "$(wc -l < "$T/head.out") $(cat "$T/head.err")"

# --- exit codes and refusals ---
"$CLASSIFY" -m "$M" --strict "$G/posts.jsonl" > /dev/null 2>&1
check "--strict with bad records: exit 1" 1 $?
"$CLASSIFY" -m "$M" "$G/posts.jsonl" > /dev/null 2>&1
check "bad records without --strict: exit 0" 0 $?
"$CLASSIFY" -m "$M" -q "$G/posts.jsonl" 2> "$T/q.err" > /dev/null
check "-q: nothing on stderr" "" "$(cat "$T/q.err")"
"$CLASSIFY" -m "$T/none.kzm" < /dev/null 2> "$T/err"
check "missing model: exit 2" 2 $?
grep -q "none.kzm" "$T/err"; check "missing model: named on stderr" 0 $?
printf 'not a model' > "$T/bad.kzm"
"$CLASSIFY" -m "$T/bad.kzm" < /dev/null 2> "$T/err"
check "a file that is not a model: exit 2" 2 $?
KUZAT_MODEL="$M" "$CLASSIFY" < "$G/chat.txt" > "$T/env.out"
"$CLASSIFY" -m "$M" < "$G/chat.txt" > "$T/opt.out"
check_file "\$KUZAT_MODEL names the model" "$T/opt.out" "$T/env.out"
for bad in "--threshold 1.5" "--threshold x" "--threads 0" "--explain 0" "--window 0" \
           "--window-bytes 10" "--max-chars -1" "--format nope" "--format-out text" "--nope"; do
  # shellcheck disable=SC2086
  "$CLASSIFY" -m "$M" $bad < /dev/null > /dev/null 2> "$T/err"
  check "usage error $bad: exit 2" 2 $?
done
"$CLASSIFY" -m "$M" "$T/missing.txt" "$G/post.txt" > "$T/out" 2> "$T/err"
check "an input that cannot be opened: exit 2" 2 $?
check "... after the other inputs got their lines" 2 "$(wc -l < "$T/out")"
grep -q '"error":".*missing.txt' "$T/out"; check "... and its error line is in place" 0 $?
"$CLASSIFY" -m "$M" --lines "$G/chat.txt" > /dev/full 2> "$T/err"
check "writing to a full disk: exit 2" 2 $?
grep -q "write error" "$T/err"; check "... with a write error message" 0 $?
"$CLASSIFY" --help | grep -q 'WEBVTT'; check "--help shows the formats" 0 $?
check "--help shows the library's defaults (window, window bytes, max chars)" 3 \
  "$("$CLASSIFY" --help | grep -c -e '(default 5)' -e '(default 4096)' -e '^ *1000000); a cut')"

# --- directories: recursive, sorted, hidden files skipped, loops reported ---
mkdir -p "$T/dir/sub"
printf 'Bugun havo yaxshi\n' > "$T/dir/b.txt"
printf 'Birodarlar, hijratga shoshiling, safimizga qoʻshiling\n' > "$T/dir/a.txt"
printf '{"id":"s1","text":"Бародарон, ба ҳиҷрат шитобед"}\n' > "$T/dir/sub/c.jsonl"
printf 'hidden\n' > "$T/dir/.hidden"
gzip -c "$T/dir/b.txt" > "$T/dir/d.txt.gz"
ln -s nowhere "$T/dir/broken"
ln -s .. "$T/dir/sub/loop"
"$CLASSIFY" -m "$M" "$T/dir" > "$T/dir.out" 2> "$T/dir.err"
check "directory: exit 2 (a dangling link cannot be opened)" 2 $?
check "directory: sorted, recursed, one line each" \
  "$T/dir/a.txt $T/dir/b.txt $T/dir/broken $T/dir/d.txt.gz s1 $T/dir/sub/loop" \
  "$(sed 's/^{"id":"\([^"]*\)".*/\1/' "$T/dir.out" | paste -sd ' ')"
check "directory: flags" "true false false true" \
  "$(grep -v '"error"' "$T/dir.out" | sed 's/.*"flagged":\([a-z]*\).*/\1/' | paste -sd ' ')"
grep -q 'loop.*directory loop' "$T/dir.out"; check "directory: the loop is reported" 0 $?

# --- --eval: labelled input, metrics on stderr ---
"$CLASSIFY" -m "$M" --eval tests/data/classify/train.tsv > "$T/eval.out" 2> "$T/eval.err"
check "--eval: exit 0" 0 $?
check "--eval: records still on stdout" 52 "$(wc -l < "$T/eval.out")"
grep -Eq '^  all +52 +26 ' "$T/eval.err"; check "--eval: overall line with 52 rows, 26 positive" 0 $?
check "--eval: a line per language" 5 "$(grep -Ec '^  (uz-Latn|uz-Cyrl|tg|ky|en) ' "$T/eval.err")"
# a model with the decision marker and one other: every second positive says
# which kind it is (recruitment), the others say only "propaganda"
awk -F'\t' 'BEGIN { OFS = FS } NR > 1 && $3 == "propaganda" && ++n % 2 { $3 = "propaganda,recruitment" } 1' \
  tests/data/classify/train.tsv > "$T/kinds.tsv"
"$TRAIN" -q --decision propaganda -o "$T/kinds.kzm" "$T/kinds.tsv" 2> "$T/kinds.err"
check "--decision: a model trained with propaganda alone on half the positives" 0 $?
"$CLASSIFY" -m "$T/kinds.kzm" --eval "$T/kinds.tsv" > /dev/null 2> "$T/kinds-eval.err"
only=$(awk -F'\t' 'NR > 1 && $3 == "propaganda"' "$T/kinds.tsv" | wc -l)
check "--eval: propaganda counts every record" 1 "$(grep -A2 '^marker propaganda' "$T/kinds-eval.err" | grep -Ec '^  all +52 +26 ')"
check "--eval: recruitment leaves out the $only records labelled propaganda alone" 1 \
  "$(grep -A2 '^marker recruitment' "$T/kinds-eval.err" | grep -Ec "^  all +$((52 - only)) +$((26 - only)) ")"

# --- --explain: spans point at the original text ---
printf 'BIRODARLAR, HIJRATGA shoshiling!\n' | "$CLASSIFY" -m "$M" --explain 5 > "$T/ex.out"
check "--explain 5: five features" 5 "$(grep -o '"ngrams"' "$T/ex.out" | wc -l)"
check "--explain 5: the three words, each once" "birodarlar hijratga shoshiling" \
  "$(grep -o '"word":"[^"]*"' "$T/ex.out" | cut -d'"' -f4 | sort | paste -sd ' ')"
# every source must be the characters at its span of the input
printf 'BIRODARLAR, HIJRATGA shoshiling!' > "$T/ex.in"
bad=0
grep -o '"span":\[[0-9]*,[0-9]*\],"source":"[^"]*"' "$T/ex.out" | sed 's/"span":\[\([0-9]*\),\([0-9]*\)\],"source":"\(.*\)"/\1 \2 \3/' > "$T/spans"
while read -r s e src; do
  got=$(cut -c "$((s + 1))-$e" "$T/ex.in") # ASCII input: characters are bytes
  [ "$got" = "$src" ] || { bad=1; echo "      span $s..$e is '$got', source '$src'"; }
done < "$T/spans"
check "--explain: every source is the input's characters at its span" 0 "$bad"

kt_done
