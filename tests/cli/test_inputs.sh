# Inputs as they come from the field (issue 19): the binaries of this
# machine are refused, every text file we have is read; encodings, formats
# on standard input, per-marker thresholds, output formats, progress and
# summaries are tested further down.
. "$(dirname "$0")/lib.sh"
R=$(pwd)

# kuzat-classify --normalize over the files listed in $1, as text; the
# error lines of the output in $T/errs.
normalize_list() {
  xargs "$CLASSIFY" --normalize --format-out jsonl --format text --max-chars 4000 -q < "$1" |
    grep '"error":' > "$T/errs"
}

# ---- not text: refused; text: read, every file of it ----
find datasets tests/data docs man examples python bench src classify train include README.md \
  -type f ! -name '*.kzm' ! -name '*.svg' > "$T/texts"
[ -n "${KUZAT_SHARED:-}" ] && find "$KUZAT_SHARED" -type f >> "$T/texts"
normalize_list "$T/texts"
check "every text file of the repository and the shared datasets ($(wc -l < "$T/texts") files) is read as text" \
  "" "$(head -n 3 "$T/errs")"

# the machine's programs (ELF), images and compressed documentation
for f in /usr/bin/*; do
  [ -f "$f" ] && [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] && echo "$f"
done | head -n 300 > "$T/elf"
if [ -s "$T/elf" ]; then
  normalize_list "$T/elf"
  check "every ELF program of /usr/bin tried ($(wc -l < "$T/elf")) is refused as one" \
    "$(wc -l < "$T/elf")" "$(grep -c 'not text: looks like an ELF executable or library' "$T/errs")"
else
  skip "no ELF programs in /usr/bin"
fi
find /usr/share/pixmaps /usr/share/icons -name '*.png' -type f 2> /dev/null | head -n 200 > "$T/png"
if [ -s "$T/png" ]; then
  normalize_list "$T/png"
  check "every PNG of /usr/share/pixmaps and icons tried ($(wc -l < "$T/png")) is refused as one" \
    "$(wc -l < "$T/png")" "$(grep -c 'not text: looks like a PNG image' "$T/errs")"
else
  skip "no PNG images under /usr/share/pixmaps or /usr/share/icons"
fi
find /usr/share/doc -name 'changelog*.gz' -type f 2> /dev/null | head -n 200 > "$T/gz"
if [ -s "$T/gz" ]; then
  normalize_list "$T/gz"
  check "gzip-compressed changelogs of /usr/share/doc ($(wc -l < "$T/gz")) are read as text" \
    "" "$(head -n 3 "$T/errs")"
else
  skip "no compressed changelogs under /usr/share/doc"
fi
find /usr /opt -name '*.zip' -type f 2> /dev/null | head -n 50 > "$T/zip"
if [ -s "$T/zip" ]; then
  normalize_list "$T/zip"
  check "ZIP files of this machine ($(wc -l < "$T/zip")) are refused" \
    "$(wc -l < "$T/zip")" "$(grep -c 'not text: looks like' "$T/errs")"
else
  skip "no ZIP files on this machine"
fi

# ---- formats on standard input ----
G=tests/data/classify/golden
"$TRAIN" -q -o "$T/m.kzm" tests/data/classify/train.tsv 2> "$T/train.err" ||
  { notok "train the test model: $(cat "$T/train.err")"; kt_done; exit 1; }
M="$T/m.kzm"
"$CLASSIFY" -m "$M" --format jsonl - < "$G/posts.jsonl" > "$T/want" 2> /dev/null
"$CLASSIFY" -m "$M" < "$G/posts.jsonl" > "$T/got" 2> "$T/err"
check_file "JSON Lines on stdin without --format: read as JSON Lines (ids and scores as with --format jsonl)" \
  "$T/want" "$T/got"
check "... and said once on stderr" 1 "$(grep -c 'stdin: read as JSON Lines' "$T/err")"
"$CLASSIFY" -m "$M" -q < "$G/posts.jsonl" > /dev/null 2> "$T/err"
check "... not with -q" 0 "$(grep -c 'read as JSON Lines' "$T/err")"
{ printf '\n  \n'; cat "$G/posts.jsonl"; } > "$T/lead.jsonl"
"$CLASSIFY" -m "$M" -q < "$T/lead.jsonl" > "$T/got"
"$CLASSIFY" -m "$M" -q --format jsonl - < "$T/lead.jsonl" > "$T/want2"
check_file "blank lines before the first object: error lines, then the records, as --format jsonl" \
  "$T/want2" "$T/got"
check "... the blank lines' error lines first" 'stdin:1 stdin:2 j1 ' \
  "$(head -n 3 "$T/got" | sed 's/.*"id":"\([^"]*\)".*/\1/' | tr '\n' ' ')"
for opt in '--format lines' --lines; do
  "$CLASSIFY" -m "$M" $opt < "$G/posts.jsonl" > "$T/got" 2> "$T/err"
  check "$opt forces lines on stdin" "$(wc -l < "$G/posts.jsonl") stdin:1 0" \
    "$(wc -l < "$T/got") $(head -n 1 "$T/got" | sed 's/.*"id":"\([^"]*\)".*/\1/') $(grep -c 'read as' "$T/err")"
done
printf 'Birodarlar, hijratga shoshiling\n{"text":"x"}\n' | "$CLASSIFY" -m "$M" > "$T/got" 2> "$T/err"
check "plain lines on stdin stay lines" "stdin:1 stdin:2 0" \
  "$(sed 's/.*"id":"\([^"]*\)".*/\1/' "$T/got" | tr '\n' ' ')$(grep -c 'read as' "$T/err")"
# output line N answers input line N: blank lines get error lines in place
awk '{ print } NR % 2 == 0 { print "" }' "$G/posts.jsonl" > "$T/blanks.jsonl"
"$CLASSIFY" -m "$M" -q "$T/blanks.jsonl" > "$T/got"
check "a blank line in JSON Lines: one output line per input line" "$(wc -l < "$T/blanks.jsonl")" \
  "$(wc -l < "$T/got")"
paste -d '\t' "$T/blanks.jsonl" "$T/got" | awk -F'\t' -v f="$T/blanks.jsonl" '
  $1 == "" && index($2, "\"error\":\"" f ":" NR ": blank line") == 0 { bad++ }
  $1 != "" && $2 ~ /blank line/ { bad++ }
  END { print bad + 0 }' > "$T/bad"
check "... line N's output answers line N (blank lines by their line number)" 0 "$(cat "$T/bad")"

# ---- --threshold MARKER=P, repeatable, beside --threshold T ----
D=models/default.kzm
S=datasets/samples
ids() { sed 's/.*"id":"\([^"]*\)".*"flagged":\([a-z]*\).*/\1 \2/' "$@"; }
"$CLASSIFY" -m "$D" "$S" > "$T/plain" 2> /dev/null
"$CLASSIFY" -m "$D" --threshold recruitment=0 "$S" > "$T/rec0" 2> /dev/null
check "--threshold recruitment=0: every scored line lists recruitment" \
  "$(grep -c '"score"' "$T/plain")" "$(grep -c '"markers":{[^}]*"recruitment"' "$T/rec0")"
check "... and the verdict (propaganda's) is unchanged" "$(ids "$T/plain")" "$(ids "$T/rec0")"
"$CLASSIFY" -m "$D" --threshold propaganda=0 "$S" > "$T/p0" 2> /dev/null
check "--threshold propaganda=0: every scored record flagged" "$(grep -c '"score"' "$T/p0")" \
  "$(grep -c '"flagged":true' "$T/p0")"
"$CLASSIFY" -m "$D" --threshold propaganda=0 --threshold 1 --threshold recruitment=0 \
  --all-scores "$S/channel-post.txt" > "$T/mix" 2> /dev/null
check "MARKER=P wins over T whatever the order; T for the rest" \
  '"flagged":true recruitment=true threat=false' \
  "$(grep -o '"flagged":[a-z]*' "$T/mix") recruitment=$(grep -q '"markers":{[^}]*"recruitment"' "$T/mix" && echo true || echo false) threat=$("$CLASSIFY" -m "$D" --threshold propaganda=0 --threshold 1 "$S/channel-post.txt" | grep -q '"threat"' && echo true || echo false)"
"$CLASSIFY" -m "$D" --threshold recruitment=0 --format-out tsv "$S/en.txt" > "$T/tsv"
check "per-marker thresholds in TSV output too (the verdict column)" 'false' "$(cut -f2 "$T/tsv")"
"$CLASSIFY" -m "$D" --threshold recruitment=0 --window 2 "$S/migrant-vlog.srt" > "$T/srt"
check "a transcript: every segment listed, each flagged by recruitment=0" \
  "$(grep -c -- '-->' "$S/migrant-vlog.srt") $(grep -c -- '-->' "$S/migrant-vlog.srt")" \
  "$(sed 's/.*"segments":\[//' "$T/srt" | grep -o '"start"' | wc -l) $(sed 's/.*"segments":\[//' "$T/srt" | grep -o '"recruitment"' | wc -l)"
"$CLASSIFY" -m "$D" --threshold nosuch=0.5 "$S/en.txt" > "$T/out" 2> "$T/err"
check "an unknown marker: exit 2, no output" "2 0" "$? $(wc -l < "$T/out")"
check "... refused with the model's markers listed" \
  "kuzat-classify: unknown marker 'nosuch' in --threshold nosuch=0.5 (the model's markers: $(
    "$CLASSIFY" -m "$D" --all-scores "$S/en.txt" | sed 's/.*"markers":{\([^}]*\)}.*/\1/; s/":[0-9.]*/"/g; s/"//g; s/,/, /g'))" \
  "$(cat "$T/err")"
"$CLASSIFY" -m "$D" --threshold recruitment=0.25 --eval tests/data/classify/train.tsv > /dev/null 2> "$T/err"
check "--eval reports the marker's threshold in force" 1 "$(grep -c '^marker recruitment (threshold 0.250)' "$T/err")"

kt_done
