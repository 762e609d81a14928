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

# ---- the batch run: CSV, language and script everywhere, --summary, --progress ----
B2="$T/batch"
mkdir -p "$B2"
cp "$S/channel-post.txt" "$S/ru.txt" "$S/migrant-vlog.srt" "$B2/"
printf 'الدولة الإسلامية تدعو إلى الهجرة\n' > "$B2/ar.txt"
printf 'Birodarlar, Ўзбекистон ғалаба қозонди\n' > "$B2/mixed.txt"
printf '12345 ... !!!\n' > "$B2/digits.txt"
printf 'hijratga shoshiling, "birodarlar", keling\n' > "$B2/quote,\"comma\".txt"
cp /bin/ls "$B2/zz-program"
"$CLASSIFY" -m "$D" -q "$B2" > "$T/b.jsonl"
"$CLASSIFY" -m "$D" -q --format-out csv "$B2" > "$T/b.csv"
"$CLASSIFY" -m "$D" -q --format-out tsv "$B2" > "$T/b.tsv"
"$CLASSIFY" -m "$D" -q --format-out pretty "$B2" > "$T/b.pretty"
check "JSON Lines: each document's script" \
  "Arab Latn none Cyrl mixed Latn Cyrl" \
  "$(grep -o '"script":"[A-Za-z]*","model"' "$T/b.jsonl" | sed 's/"script":"\([A-Za-z]*\)".*/\1/' | tr '\n' ' ' | sed 's/ $//')"
check "JSON Lines: a transcript's segments say their language and script" \
  "$(sed 's/.*"segments":\[//' "$T/b.jsonl" | grep -o '"start"' | wc -l)" \
  "$(sed 's/.*"segments":\[//' "$T/b.jsonl" | grep -o '"lang":"uz-Cyrl","script":"Cyrl"' | wc -l)"
check "TSV: language and script after the score" \
  "ar Arab|other none|ru Cyrl" \
  "$(awk -F'\t' '$2 != "error" && ($5 == "Arab" || $5 == "none" || $4 == "ru") {printf "%s%s %s", n++ ? "|" : "", $4, $5}' "$T/b.tsv")"
check "pretty: language and script" 1 "$(grep -c '^[^ ]*ru.txt  ru Cyrl  -  ' "$T/b.pretty")"
python3 - "$T/b.csv" "$T/b.jsonl" > "$T/csvcheck" 2>&1 <<'PY'
import csv, json, sys
raw = open(sys.argv[1], "rb").read()
lines = raw.split(b"\r\n")
assert lines[-1] == b"", "ends with CRLF"
assert b"\n" not in b"".join(l for l in lines if not l.startswith(b'"')), "no bare LF"
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
head = rows[0]
assert head[:9] == ["id", "flagged", "score", "lang", "script", "encoding", "worst_start", "worst_end", "error"], head
recs = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
assert len(rows) - 1 == len(recs), (len(rows), len(recs))
for row, rec in zip(rows[1:], recs):
    assert len(row) == len(head), row
    assert row[0] == rec["id"], (row[0], rec["id"])
    if "error" in rec:
        assert row[8] == rec["error"] and row[1] == "", row
        continue
    assert row[1] == ("true" if rec["flagged"] else "false") and float(row[2]) == rec["score"], row
    assert row[3] == rec["lang"] and row[4] == rec["script"], row
    if "worst" in rec and "segments" in rec:
        assert row[6] == rec["worst"]["start"] and row[7] == rec["worst"]["end"], row
print("ok", len(recs))
PY
check "CSV (RFC 4180): CRLF, quoted where needed, the same records as JSON Lines" \
  "ok $(wc -l < "$T/b.jsonl")" "$(cat "$T/csvcheck")"
check "CSV: the id with a comma and quotes, quoted and doubled" 1 \
  "$(grep -cF "\"$B2/quote,\"\"comma\"\".txt\",false," "$T/b.csv")"

"$CLASSIFY" -m "$D" -q --summary "$B2" > /dev/null 2> "$T/sum"
check "--summary: records, errors, not text, flagged" \
  "kuzat-classify: summary: $(wc -l < "$T/b.jsonl") records read, 1 errors (1 not text), $(grep -c '"flagged":true' "$T/b.jsonl") flagged" \
  "$(head -n 1 "$T/sum")"
check "--summary: per language and per marker" "1 1 1" \
  "$(grep -c '^  ar  *1  *[01]$' "$T/sum") $(grep -c '^  language  *records  *flagged$' "$T/sum") $(grep -c '^  propaganda  *[0-9]' "$T/sum")"
"$CLASSIFY" -m "$D" -q --summary=json "$B2" > /dev/null 2> "$T/sum.json"
python3 - "$T/sum.json" "$T/b.jsonl" > "$T/sumcheck" 2>&1 <<'PY'
import json, sys
s = json.loads(open(sys.argv[1]).read())
recs = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
good = [r for r in recs if "error" not in r]
assert s["records"] == len(recs) and s["errors"] == len(recs) - len(good) and s["not_text"] == 1, s
assert s["flagged"] == sum(r["flagged"] for r in good), s
for lang in set(r["lang"] for r in good):
    mine = [r for r in good if r["lang"] == lang]
    assert s["languages"][lang] == {"records": len(mine), "flagged": sum(r["flagged"] for r in mine)}, lang
for m, n in s["markers"].items():
    assert n == sum(m in r["markers"] for r in good), (m, n)
assert s["scripts"] == {k: sum(r["script"] == k for r in good) for k in s["scripts"]}, s["scripts"]
print("ok")
PY
check "--summary=json: one object that adds up to the records written" ok "$(cat "$T/sumcheck")"
ru='Братья, совершите хиджру и присоединяйтесь к нашим рядам, время пришло.'
printf '%s\n' "$ru" | iconv -f UTF-8 -t CP1251 > "$B2/ru1251.txt"
"$CLASSIFY" -m "$D" -q --summary=json "$B2/ru1251.txt" > /dev/null 2> "$T/sum.json"
check "--summary=json counts the encodings converted from" 1 "$(grep -c '"encodings":{"windows-1251":1}' "$T/sum.json")"

"$CLASSIFY" -m "$D" -q --progress "$B2" > /dev/null 2> "$T/prog"
size=$(cat "$B2"/* | wc -c)
check "--progress: the last line has every file, byte and record" \
  "kuzat-classify: 9/9 files, $(awk -v b="$size" 'BEGIN { printf "%.1f/%.1f", b / 1e6, b / 1e6 }') MB, $(($(wc -l < "$T/b.jsonl") + 1)) records" \
  "$(tail -n 1 "$T/prog" | sed 's/ (.*//')"
"$CLASSIFY" -m "$D" -q "$B2" > /dev/null 2> "$T/prog"
check "no progress when stderr is not a terminal" "" "$(cat "$T/prog")"
cat "$S/ru.txt" | "$CLASSIFY" -m "$D" -q --progress > /dev/null 2> "$T/prog"
check "--progress on a pipe: no total, no time left" "kuzat-classify: 1 file, 0.0 MB, $(wc -l < "$S/ru.txt") records" \
  "$(tail -n 1 "$T/prog" | sed 's/ (.*//')"
if command -v script > /dev/null 2>&1 && script -qec true /dev/null > /dev/null 2>&1; then
  script -qec "'$R/$CLASSIFY' -m '$R/$D' '$R/$S' > /dev/null" /dev/null > "$T/tty" 2>&1
  check "progress automatic when stderr is a terminal" 1 "$(grep -c 'files, .* MB, .* records' "$T/tty")"
  script -qec "'$R/$CLASSIFY' -q -m '$R/$D' '$R/$S' > /dev/null" /dev/null > "$T/tty" 2>&1
  check "... but not with -q" 0 "$(grep -c 'records (' "$T/tty")"
else
  skip "progress on a terminal: script(1) cannot make one here"
fi

# ---- pipes: a write per record by default, --buffered for batch jobs ----
seq 1 3000 | sed 's/^/hijratga shoshiling /' > "$T/many.txt"
"$CLASSIFY" -m "$D" --lines "$T/many.txt" | cat > "$T/piped"
"$CLASSIFY" -m "$D" --lines --buffered "$T/many.txt" | cat > "$T/buffered"
check_file "--buffered: the same bytes" "$T/piped" "$T/buffered"
"$CLASSIFY" -m "$D" --buffered --line-buffered "$T/many.txt" > /dev/null 2> "$T/err"
check "--buffered with --line-buffered: a usage error" 2 $?
if command -v strace > /dev/null 2>&1 && strace -o /dev/null true 2> /dev/null; then
  writes() { strace -f -e trace=write -o "$T/strace" "$CLASSIFY" -m "$D" --lines "$@" "$T/many.txt" | cat > /dev/null
             grep -c '^[0-9]* *write(1,' "$T/strace"; }
  check "on a pipe, a write per record" 3000 "$(writes)"
  check "on a pipe, a write per record with --threads 2" 3000 "$(writes --threads 2)"
  bytes=$(wc -c < "$T/piped")
  check "--buffered: 64 KiB writes" $(((bytes + 65535) / 65536)) "$(writes --buffered)"
  check "--buffered --threads 2: 64 KiB writes" $(((bytes + 65535) / 65536)) "$(writes --buffered --threads 2)"
else
  skip "counting writes: strace is not installed or cannot trace here"
fi

kt_done
