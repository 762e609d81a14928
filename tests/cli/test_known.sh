# Known-content matching from the programs (issue 21): kuzat-train --known
# builds an index (--add, --remove, --known-threshold, duplicate ids named
# in both places); kuzat-classify --known adds "known" to every record:
# re-posts in the other script or with words changed, a quoted paragraph
# in a long SRT transcript with its times, in JSON Lines and pretty
# output, with one thread or several; a damaged index is refused.
# The known texts are tests/data/known (written for the tests) and the
# propaganda rows of datasets/kuzat-set/test.tsv (ours).
. "$(dirname "$0")/lib.sh"
K=tests/data/known

"$TRAIN" -q -o "$T/m.kzm" tests/data/classify/train.tsv 2> "$T/train.err" ||
  { notok "train the test model: $(cat "$T/train.err")"; kt_done; exit 1; }
M="$T/m.kzm"

# the "known" array of each output line, ids and similarity masked as asked
known_of() { sed -n 's/.*"known":\(\[.*\]\)}$/\1/p' "$@"; }
ids_of() { known_of "$@" | grep -o '"id":"[^"]*"' | sed 's/"id":"\(.*\)"/\1/' | tr '\n' ' '; }

# ---- building an index ----
awk -F'\t' 'NR == 1 || $3 ~ /propaganda/' datasets/kuzat-set/test.tsv | cut -f1-3 > "$T/set.tsv"
nset=$(($(wc -l < "$T/set.tsv") - 1))
"$TRAIN" --known -o "$T/k.kzk" $K/known.jsonl $K/more.tsv "$T/set.tsv" 2> "$T/err"
check "train --known: exit 0" 0 $?
grep -q "index of $((nset + 3)) known documents ($((nset + 3)) added, 0 removed) written" "$T/err" &&
  ok || { notok "train --known: the count on stderr"; cat "$T/err"; }
"$TRAIN" -q --known -o "$T/k2.kzk" $K/known.jsonl $K/more.tsv "$T/set.tsv"
check_file "train --known: the same inputs give the same bytes" "$T/k.kzk" "$T/k2.kzk"

# ---- matching ----
"$CLASSIFY" -m "$M" --known "$T/k.kzk" $K/repost-cyrl.txt > "$T/cyrl.out"
check "a re-post in the other script: found" "statement-1 " "$(ids_of "$T/cyrl.out")"
grep -q '"known":\[{"id":"statement-1","labels":\["channel-x","announcement"\],"similarity":1.0000,"start":0,"end":' \
  "$T/cyrl.out" && ok || { notok "a re-post: id, labels, similarity, byte offsets"; cat "$T/cyrl.out"; }

# one word in ten of each of ten kuzat-set rows changed: each found first by its own id
awk -F'\t' 'NR > 1 && NR <= 11 { printf "%s\t", $1; n = split($2, w, " ");
  for (i = 1; i <= n; i++) printf "%s%s", (i % 10 == 5 ? "o'\''zgardi" : w[i]), (i < n ? " " : "\n") }' \
  "$T/set.tsv" > "$T/changed.txt"
found=0
while IFS="$(printf '\t')" read -r id text; do
  first=$(printf '%s\n' "$text" | "$CLASSIFY" -m "$M" --known "$T/k.kzk" | ids_of | cut -d' ' -f1)
  [ "$first" = "$id" ] && found=$((found + 1))
done < "$T/changed.txt"
check "re-posts with one word in ten changed: 10 of 10 found first" 10 "$found"

# a quoted paragraph inside a long transcript: the times of its cues
"$CLASSIFY" -m "$M" --known "$T/k.kzk" $K/programme.srt > "$T/srt.out"
check "a quote in a transcript: found" "statement-2 " "$(ids_of "$T/srt.out")"
t=$(known_of "$T/srt.out" | sed 's/.*"start":"\([^"]*\)","end":"\([^"]*\)".*/\1 \2/')
case "$t" in
  00:03:[0-2]?.000\ 00:03:[3-5]?.?00) ok ;;
  *) notok "a quote in a transcript: times around 00:03:20-00:03:39.5, got '$t'" ;;
esac

# unrelated text matches nothing, and still gets "known":[]
printf 'The weather in the valley was warm this week.\n' |
  "$CLASSIFY" -m "$M" --known "$T/k.kzk" > "$T/none.out"
check "unrelated text: an empty known array" "[]" "$(known_of "$T/none.out")"

# without --known: no "known" at all
"$CLASSIFY" -m "$M" $K/repost-cyrl.txt > "$T/plain.out"
grep -q '"known"' "$T/plain.out" && notok "without --known: no known field" || ok

# more than one index, threads: the same bytes
"$TRAIN" -q --known -o "$T/a.kzk" $K/known.jsonl
"$TRAIN" -q --known -o "$T/b.kzk" $K/more.tsv "$T/set.tsv"
"$CLASSIFY" -m "$M" --known "$T/a.kzk" --known "$T/b.kzk" $K/repost-cyrl.txt $K/programme.srt \
  "$T/changed.txt" --lines > "$T/two.out" 2>&1
"$CLASSIFY" -m "$M" --known "$T/a.kzk" --known "$T/b.kzk" $K/repost-cyrl.txt $K/programme.srt \
  "$T/changed.txt" --lines --threads 3 > "$T/two3.out" 2>&1
check_file "two indexes: --threads 3 gives the same bytes" "$T/two.out" "$T/two3.out"
check "two indexes: a match from each" "statement-1 " "$(sed -n 1p "$T/two.out" | ids_of)"

# --known-threshold: the index's own, then overridden
"$TRAIN" -q --known --known-threshold 0.95 -o "$T/strict.kzk" $K/known.jsonl
"$CLASSIFY" -m "$M" --known "$T/strict.kzk" $K/programme.srt > "$T/strict.out"
check "--known-threshold 0.95 stored in the index: the quote is under it" "[]" "$(known_of "$T/strict.out")"
"$CLASSIFY" -m "$M" --known "$T/strict.kzk" --known-threshold 0.5 $K/programme.srt > "$T/loose.out"
check "kuzat-classify --known-threshold 0.5 overrides it" "statement-2 " "$(ids_of "$T/loose.out")"

# pretty: a match is a reason on its own, even when nothing is flagged
"$CLASSIFY" -m "$M" --threshold 1 --known "$T/k.kzk" --format-out pretty $K/repost-cyrl.txt > "$T/pretty.out"
grep -q '  KNOWN  .*  known statement-1 1.0000 at bytes 0-' "$T/pretty.out" && ok ||
  { notok "pretty: KNOWN and the match"; cat "$T/pretty.out"; }
"$CLASSIFY" -m "$M" --known "$T/k.kzk" --format-out pretty $K/programme.srt > "$T/pretty2.out"
grep -q '  known statement-2 0\.[0-9]* at 00:03:' "$T/pretty2.out" && ok ||
  { notok "pretty: a transcript's match with its times"; cat "$T/pretty2.out"; }

# html: a document matching a known text has its part of the page, with the
# match, even when nothing is flagged; the count says how many matched
"$CLASSIFY" -m "$M" --threshold 1 -q --known "$T/k.kzk" --format-out html \
  $K/repost-cyrl.txt $K/programme.srt > "$T/page.html"
check "html: a part for each document matching a known text" 2 "$(grep -c '^<section class="doc">' "$T/page.html")"
grep -q '^<p class="known">known text <span class="id">statement-1</span> 1.0000 at bytes 0-' "$T/page.html" && ok ||
  { notok "html: the match, its id and similarity"; grep known "$T/page.html"; }
grep -q '^<p class="known">known text <span class="id">statement-2</span> 0\.[0-9]* at 00:03:' "$T/page.html" && ok ||
  notok "html: a transcript's match with its times"
grep -q '<b>0</b> flagged, <b>0</b> not read, <b>2</b> matching a known text\.</p>' "$T/page.html" && ok ||
  { notok "html: the count of documents matching a known text"; grep 'id="count"' "$T/page.html"; }
"$CLASSIFY" -m "$M" --threshold 1 -q --format-out html $K/repost-cyrl.txt > "$T/page0.html"
check "html without --known: no part for an unflagged document" 0 "$(grep -c '^<section class="doc">' "$T/page0.html")"

# ---- --add, --remove, duplicate ids ----
"$TRAIN" -q --known -o "$T/old.kzk" $K/known.jsonl
"$TRAIN" -q --known --add "$T/old.kzk" -o "$T/new.kzk" $K/more.tsv
"$CLASSIFY" -m "$M" --known "$T/new.kzk" $K/repost-cyrl.txt > "$T/add.out"
check "--add: the old documents are still found" "statement-1 " "$(ids_of "$T/add.out")"
printf 'Бародарон, ин номаро ба ҳамаи аъзои гурӯҳ фиристед. Суроғаи нав танҳо ба воситаи ҳамин канал эълон мешавад ва ба дигар манбаъҳо бовар накунед.\n' |
  "$CLASSIFY" -m "$M" --known "$T/new.kzk" > "$T/add2.out"
check "--add: the new ones too" "statement-3 " "$(ids_of "$T/add2.out")"
"$TRAIN" -q --known --add "$T/new.kzk" --remove statement-1 -o "$T/rm.kzk"
"$CLASSIFY" -m "$M" --known "$T/rm.kzk" $K/repost-cyrl.txt > "$T/rm.out"
check "--remove: the document is gone" "[]" "$(known_of "$T/rm.out")"
"$TRAIN" --known --add "$T/new.kzk" --remove nope -o "$T/rm2.kzk" 2> "$T/err"
check "--remove of an unknown id: exit 2" 2 $?
grep -q 'nope' "$T/err" && [ ! -e "$T/rm2.kzk" ] && ok || notok "--remove nope: named, no index written"

"$TRAIN" --known -o "$T/dup.kzk" $K/known.jsonl $K/dup.tsv 2> "$T/err"
check "a duplicate id: exit 2" 2 $?
check "a duplicate id: both places named" \
  "kuzat-train: $K/dup.tsv:3: duplicate id \"statement-1\": already at $K/known.jsonl:1" \
  "$(sed -n 1p "$T/err")"
[ ! -e "$T/dup.kzk" ] && ok || notok "a duplicate id: no index written"
"$TRAIN" --known --add "$T/old.kzk" -o "$T/dup.kzk" $K/dup.tsv 2> "$T/err"
check "a duplicate of an --add index's id: the index named" \
  "kuzat-train: $K/dup.tsv:3: duplicate id \"statement-1\": already in $T/old.kzk" \
  "$(sed -n 1p "$T/err")"
"$TRAIN" -q --known --add "$T/old.kzk" --remove statement-1 -o "$T/re.kzk" $K/dup.tsv
check "--remove then the same id again: replaced" 0 $?

# --max-chars bounds each document, and the cut ones are counted
"$TRAIN" --known --max-chars 100 -o "$T/cut.kzk" $K/known.jsonl 2> "$T/err"
grep -q '2 documents longer than 100 bytes were cut' "$T/err" && ok ||
  { notok "--known --max-chars: the cut documents counted"; cat "$T/err"; }

# an empty index is allowed and matches nothing
"$TRAIN" -q --known -o "$T/empty.kzk"
"$CLASSIFY" -m "$M" --known "$T/empty.kzk" $K/repost-cyrl.txt > "$T/empty.out"
check "an empty index: matches nothing" "[]" "$(known_of "$T/empty.out")"

# ---- damaged indexes: refused with the reason, exit 2, no output ----
s=$(wc -c < "$T/old.kzk")
head -c $((s / 2)) "$T/old.kzk" > "$T/half.kzk"
cp "$T/old.kzk" "$T/flip.kzk"
printf 'X' | dd of="$T/flip.kzk" bs=1 seek=$((s / 2)) conv=notrunc 2> /dev/null
for c in "half.kzk:truncated" "flip.kzk:damaged" "m.kzm:not a kuzat index"; do
  f=${c%%:*} why=${c#*:}
  "$CLASSIFY" -m "$M" --known "$T/$f" $K/repost-cyrl.txt > "$T/bad.out" 2> "$T/bad.err"
  check "a bad index ($f): exit 2" 2 $?
  check "a bad index ($f): no output" 0 "$(wc -c < "$T/bad.out")"
  grep -q "^kuzat-classify: $T/$f: .*$why" "$T/bad.err" && ok ||
    { notok "a bad index ($f): its path and '$why' on stderr"; cat "$T/bad.err"; }
  "$TRAIN" --known --add "$T/$f" -o "$T/x.kzk" 2> /dev/null
  check "kuzat-train --add a bad index ($f): exit 2" 2 $?
done

# usage
"$CLASSIFY" -m "$M" --known-threshold 0.5 $K/repost-cyrl.txt > /dev/null 2>&1
check "--known-threshold without --known: exit 2" 2 $?
"$CLASSIFY" -m "$M" --known "$T/k.kzk" --known-threshold 1.5 $K/repost-cyrl.txt > /dev/null 2>&1
check "--known-threshold 1.5: exit 2" 2 $?
"$TRAIN" -q -o "$T/x.kzm" --remove x tests/data/classify/train.tsv 2> /dev/null
check "kuzat-train --remove without --known: exit 2" 2 $?

kt_done
