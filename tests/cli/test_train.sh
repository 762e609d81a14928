# kuzat-train: every input format, the report, determinism, and each kind
# of bad input refused with a message, exit 2 and no model written.
. "$(dirname "$0")/lib.sh"

# A small labelled set written here: made-up words, marker "alarm" when a
# document says "fire" (with noise), groups of ten documents.
awk 'BEGIN {
  srand(7); print "id\tlabel\tlang\tgroup\ttext";
  for (i = 0; i < 400; i++) {
    t = ""; n = 6 + int(rand() * 10);
    for (w = 0; w < n; w++) t = t " w" int(rand() * 150);
    pos = (i % 4 == 0);
    if (pos) t = t " fire w" int(rand() * 5);
    lab = pos ? "alarm" : "calm";
    printf "d%d\t%s\ten\tg%d\t%s\n", i, lab, int(i / 10), t;
  }
}' > "$T/train.tsv"

"$TRAIN" -q -o "$T/m.kzm" --negative calm --report "$T/r.json" "$T/train.tsv" 2> "$T/err.txt"; rc=$?
check "tsv: exit 0" 0 "$rc"
check "tsv: -q prints nothing" "" "$(cat "$T/err.txt")"
[ -s "$T/m.kzm" ] && ok || notok "tsv: model written"
for key in '"model"' '"cross_validation"' '"pr_auc"' '"roc_auc"' '"calibration_error"' '"by_lang"' '"alarm"'; do
  grep -q "$key" "$T/r.json" && ok || notok "report has $key"
done
"$TRAIN" -o "$T/m2.kzm" --negative calm "$T/train.tsv" 2> "$T/table.txt"
cmp -s "$T/m.kzm" "$T/m2.kzm" && ok || notok "same data and seed: byte-identical model"
for word in "marker alarm" precision recall PR-AUC ROC-AUC ECE "written to"; do
  grep -q "$word" "$T/table.txt" && ok || notok "report table shows $word"
done

# Character n-grams: every model is format version 3 (bytes 8-11 of the
# content), whose header holds char_min, char_max and the Arabic-script
# range at bytes 36-51, the Arabic range equal to the others' or not.
head16() { gzip -dc "$1" | od -An -tu4 -j8 -N44 | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'; }
v=$(head16 "$T/m.kzm")
check "defaults: format 3, char 5-5, Arabic 2-5" "3 5 5 2 5" \
  "$(echo "$v" | awk '{print $1, $8, $9, $10, $11}')"
"$TRAIN" -q --char 2-5 -o "$T/c.kzm" --negative calm "$T/train.tsv"
check "--char 2-5 alone: format 3, every word 2-5" "3 2 5 2 5" \
  "$(head16 "$T/c.kzm" | awk '{print $1, $8, $9, $10, $11}')"
for order in "--arabic-char 1-3 --char 4-4" "--char 4-4 --arabic-char 1-3"; do
  # shellcheck disable=SC2086 # the two options, one word each
  "$TRAIN" -q $order -o "$T/c.kzm" --negative calm "$T/train.tsv"
  check "$order: format 3, 4-4 and 1-3" "3 4 4 1 3" \
    "$(head16 "$T/c.kzm" | awk '{print $1, $8, $9, $10, $11}')"
done
"$TRAIN" -q --arabic-char 2-9 -o "$T/c9.kzm" --negative calm "$T/train.tsv" 2> "$T/err.txt"
check "--arabic-char 2-9: exit 2" 2 $?
check "--arabic-char 2-9: says why" 1 "$(grep -c "arabic-char '2-9': expected A-B" "$T/err.txt")"
[ ! -e "$T/c9.kzm" ] && ok || notok "--arabic-char 2-9: no model written"
"$TRAIN" -q -o "$T/m3.kzm" --negative calm --seed 5 "$T/train.tsv"
cmp -s "$T/m.kzm" "$T/m3.kzm" && notok "another seed gives another model" || ok

# the same data as JSON Lines and fastText, gzip too
awk -F'\t' 'NR > 1 { printf "{\"id\":\"%s\",\"labels\":[\"%s\"],\"group\":\"%s\",\"text\":\"%s\"}\n", $1, $2, $4, $5 }' \
  "$T/train.tsv" | gzip > "$T/train.jsonl.gz"
"$TRAIN" -q -o "$T/j.kzm" --negative calm "$T/train.jsonl.gz"; rc=$?
check "jsonl.gz: exit 0" 0 "$rc"
awk -F'\t' 'NR > 1 { printf "__label__%s %s\n", $2, $5 }' "$T/train.tsv" > "$T/train.ft"
"$TRAIN" -q -o "$T/f.kzm" --map calm= "$T/train.ft"; rc=$?
check "fastText with --map calm=: exit 0" 0 "$rc"
"$TRAIN" -q -o "$T/rbf.kzm" --negative calm --kernel rbf --gamma 0.5 --grid 1,10 --folds 3 "$T/train.tsv"; rc=$?
check "--kernel rbf: exit 0" 0 "$rc"
[ -s "$T/rbf.kzm" ] && ! cmp -s "$T/rbf.kzm" "$T/m.kzm" && ok || notok "--kernel rbf: its own model"
"$TRAIN" -o "$T/d.kzm" --negative calm --dev "$T/train.tsv" "$T/train.tsv" 2> "$T/dev.txt"
grep -q "Dev set" "$T/dev.txt" && ok || notok "--dev reports the dev set"
# --dev scores as kuzat-classify does, windows included: documents longer
# than a window (4096 bytes), the alarm word three times in the middle of each
# positive. The calibration error of --dev's scores must be the one computed
# from kuzat-classify's own probabilities (scoring the whole document as one
# window, as --dev did before, gives 0.011 more).
awk -F'\t' 'BEGIN { OFS = FS; srand(11) } NR == 1 { print; next } NR <= 81 {
  t = ""; for (w = 0; w < 3000; w++) {
    t = t " w" int(rand() * 150); if ($2 == "alarm" && w > 1500 && w <= 1503) t = t " fire" }
  $5 = t; print }' "$T/train.tsv" > "$T/long.tsv"
check "--dev: the long documents are longer than a window" 80 \
  "$(awk -F'\t' 'NR > 1 && length($5) > 4096' "$T/long.tsv" | wc -l)"
"$TRAIN" -o "$T/d2.kzm" --negative calm --dev "$T/long.tsv" "$T/train.tsv" 2> "$T/dev2.txt"
dev_ece=$(sed -n '/^Dev set/,$p' "$T/dev2.txt" | awk '/^  all / {print $NF; exit}')
"$CLASSIFY" -m "$T/d2.kzm" --all-scores "$T/long.tsv" | sed 's/.*"alarm":\([0-9.]*\).*/\1/' > "$T/p2"
awk -F'\t' 'NR > 1 {print ($2 == "alarm")}' "$T/long.tsv" | paste "$T/p2" - | awk -v dev="$dev_ece" '
  { k = int($1 * 10); if (k > 9) k = 9; s[k] += $1; y[k] += $2; n++ }
  END { for (k in s) e += (s[k] > y[k] ? s[k] - y[k] : y[k] - s[k]); e /= n
        d = e - dev; if (d < 0) d = -d; print (d <= 0.002 ? "same" : "differ: " e " vs " dev) }' > "$T/ece"
check "--dev scores documents longer than a window as kuzat-classify does" same "$(cat "$T/ece")"

# --- bad input: message, exit 2, no model, an existing model untouched ---
cp "$T/m.kzm" "$T/keep.kzm"
expect_fail() { # name expected-message args...
  name=$1 msg=$2; shift 2
  "$TRAIN" -q -o "$T/keep.kzm" "$@" > /dev/null 2> "$T/err.txt"; rc=$?
  check "$name: exit 2" 2 "$rc"
  grep -q -- "$msg" "$T/err.txt" && ok || { notok "$name: message"; sed 's/^/      /' "$T/err.txt"; }
  cmp -s "$T/m.kzm" "$T/keep.kzm" && ok || notok "$name: existing model untouched"
}
{ head -n 5 "$T/train.tsv"; printf 'bad\tonly two\n'; tail -n +6 "$T/train.tsv"; } > "$T/bad.tsv"
expect_fail "malformed row" "bad.tsv:6: expected at least 5 TAB-separated columns, found 2" --negative calm "$T/bad.tsv"
"$TRAIN" -o "$T/skip.kzm" --skip-bad --negative calm "$T/bad.tsv" 2> "$T/err.txt"; rc=$?
check "--skip-bad: exit 0" 0 "$rc"
grep -q "skipped 1 malformed rows" "$T/err.txt" && ok || notok "--skip-bad says how many"
head -n 1 "$T/train.tsv" > "$T/empty.tsv"
expect_fail "empty data set" "no training data" "$T/empty.tsv"
awk -F'\t' 'NR == 1 || $2 == "alarm"' "$T/train.tsv" > "$T/one.tsv"
expect_fail "one class" 'marker "alarm" has only positive examples' "$T/one.tsv"
sed '1s/text/txt/' "$T/train.tsv" > "$T/nocol.tsv"
expect_fail "unknown column" 'names no "text" column' "$T/nocol.tsv"
printf 'id\ttext\nd1\thello\n' > "$T/nolabel.tsv"
expect_fail "no label column" "no labels" "$T/nolabel.tsv"
expect_fail "map leaves nothing positive" "no marker to train" --map alarm= --map calm= "$T/train.tsv"
expect_fail "unreadable data" "No such file" "$T/nope.tsv"
expect_fail "bad option value" "expected a number" --folds 1 "$T/train.tsv"
"$TRAIN" -q "$T/train.tsv" 2> "$T/err.txt"; rc=$?
check "no -o: exit 2" 2 "$rc"
if [ -w /dev/full ] && [ -c /dev/full ]; then
  "$TRAIN" -q -o /dev/full --negative calm "$T/train.tsv" 2> "$T/err.txt"; rc=$?
  check "-o /dev/full: exit 2" 2 "$rc"
  grep -q "No space left" "$T/err.txt" && ok || notok "-o /dev/full: says the disk is full"
  [ -c /dev/full ] && ok || notok "/dev/full is still a device"
else
  skip "-o /dev/full: no writable /dev/full"
fi
"$TRAIN" --help | grep -q -- "--target-precision" && ok || notok "--help lists the options"
"$TRAIN" --help | grep -q -- "--grid C1,C2,...     values of C tried (default 0.1,1,10)$" && ok ||
  notok "--help prints the library's default grid"

# No fixed limit on a row's labels, on --map options or on --grid's values:
# a row with 84,000 bytes of labels, 101 --map options, 33 values of C.
awk 'BEGIN { FS = OFS = "\t" } NR == 2 { for (k = 0; k < 7000; k++) $2 = $2 ",extra-label" } { print }' \
  "$T/train.tsv" > "$T/long.tsv"
maps=$(awk 'BEGIN { for (k = 0; k < 100; k++) printf " --map unused%d=", k }')
grid=$(awk 'BEGIN { for (k = 1; k <= 33; k++) printf "%s%g", (k > 1 ? "," : ""), k / 4 }')
"$TRAIN" -q -o "$T/long.kzm" --negative calm --map extra-label= $maps --grid "$grid" --folds 2 \
  --dev "$T/long.tsv" "$T/long.tsv" 2> "$T/err.txt"; rc=$?
check "long labels, 101 --map, 33 values of C: exit 0" "0 " "$rc $(cat "$T/err.txt")"
"$TRAIN" --version | grep -q "^kuzat-train 0\." && ok || notok "--version"
kt_done
