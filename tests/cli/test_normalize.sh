# kuzat-classify --normalize: one output line per input record, every
# format, bad records in place, exit codes, help.
. "$(dirname "$0")/lib.sh"

# --- plain lines, from stdin and from a file, gzip or not ---
printf '%s\n' "O‘zbekiston g'alaba" "" "Ўзбекистон пойтахти Тошкент шаҳри, ўзбек халқи" "ＮＡＴＯ pro​paganda" > "$T/in.txt"
printf '%s\n' "oʻzbekiston gʻalaba" "" "oʻzbekiston poytaxti toshkent shahri, oʻzbek xalqi" "nato propaganda" > "$T/want.txt"
"$CLASSIFY" --normalize < "$T/in.txt" > "$T/out.txt"; rc=$?
check "stdin lines: exit 0" 0 "$rc"
check_file "stdin lines: normalised text, blank line kept" "$T/want.txt" "$T/out.txt"
"$CLASSIFY" --normalize --lines "$T/in.txt" > "$T/out.txt"
check_file "file --lines" "$T/want.txt" "$T/out.txt"
gzip -c "$T/in.txt" > "$T/in.txt.gz"
"$CLASSIFY" --normalize --lines "$T/in.txt.gz" > "$T/out.txt"
check_file "gzip file --lines" "$T/want.txt" "$T/out.txt"
cp "$T/in.txt.gz" "$T/disguised"
"$CLASSIFY" --normalize --lines "$T/disguised" > "$T/out.txt"
check_file "gzip recognised by content" "$T/want.txt" "$T/out.txt"
check "CRLF input" "salom dunyo" "$(printf 'Salom Dunyo\r\n' | "$CLASSIFY" --normalize)"
check "--normalise, the API's spelling, is --normalize" "salom dunyo" "$(printf 'Salom Dunyo\r\n' | "$CLASSIFY" --normalise)"

# --- a text file is one document; its newlines become spaces ---
printf 'Birinchi qator.\nIkkinchi qator.\n' > "$T/doc.txt"
check "text file: one line" "birinchi qator. ikkinchi qator." "$("$CLASSIFY" --normalize "$T/doc.txt")"

# --- TSV and JSONL: the text field, ids, bad records in place ---
printf 'id\ttext\nd1\tO`zbek TILI\nd2\n\nd3\tҶумҳурии Тоҷикистон ва хушбахтӣ\n' > "$T/in.tsv"
"$CLASSIFY" --normalize "$T/in.tsv" > "$T/out.txt" 2> "$T/err.txt"; rc=$?
check "tsv: exit 0 with a bad record" 0 "$rc"
check "tsv: one line per record, the empty row one too" "oʻzbek tili|||ҷумҳурии тоҷикистон ва хушбахтӣ" "$(paste -sd '|' "$T/out.txt")"
check "tsv: bad records on stderr" "kuzat-classify: $T/in.tsv:3: expected at least 2 TAB-separated columns, found 1|kuzat-classify: $T/in.tsv:4: blank line (expected a TSV row)" "$(paste -sd '|' "$T/err.txt")"
"$CLASSIFY" --normalize --strict "$T/in.tsv" > /dev/null 2>&1; rc=$?
check "tsv --strict: exit 1" 1 "$rc"
"$CLASSIFY" --normalize -q "$T/in.tsv" > /dev/null 2> "$T/err.txt"
check "-q: nothing on stderr" "" "$(cat "$T/err.txt")"

cat > "$T/in.jsonl" <<'J'
{"id":"a","text":"Кыргызстандын борбору Бишкек шаары, өлкөнүн жаңы үйү"}
{"id":"b","text":42}
not json
{"id":"c","text":"The news from Ukrаinе and the world"}
J
"$CLASSIFY" --normalize --format-out jsonl "$T/in.jsonl" > "$T/out.txt" 2>/dev/null
cat > "$T/want.txt" <<J
{"id":"a","lang":"ky","text":"кыргызстандын борбору бишкек шаары, өлкөнүн жаңы үйү"}
{"id":"b","error":"$T/in.jsonl:2: \"text\" is a number, expected a string"}
{"id":"$T/in.jsonl:3","error":"$T/in.jsonl:3: column 3: invalid JSON: '[' or '{' expected near 'not'"}
{"id":"c","lang":"en","text":"the news from ukraine and the world"}
J
check_file "jsonl in, jsonl out, errors in place" "$T/want.txt" "$T/out.txt"

# --- several inputs keep their order; a missing one is exit 2, in place ---
"$CLASSIFY" --normalize --lines "$T/in.txt" "$T/nope.txt" "$T/doc.txt" > "$T/out.txt" 2> "$T/err.txt"; rc=$?
check "missing input: exit 2" 2 "$rc"
check "missing input: lines in order (4 + 1 + 2)" 7 "$(wc -l < "$T/out.txt")"
check "missing input: message" "kuzat-classify: $T/nope.txt: No such file or directory" "$(cat "$T/err.txt")"

# --- options ---
"$CLASSIFY" --help > "$T/help.txt"; rc=$?
check "--help: exit 0" 0 "$rc"
for word in --normalize --format tsv jsonl --strict "Exit status"; do
  grep -q -- "$word" "$T/help.txt" && ok || notok "--help mentions $word"
done
"$CLASSIFY" --normalize --format csv < /dev/null 2> "$T/err.txt"; rc=$?
check "unknown format: exit 2" 2 "$rc"
grep -q "unknown input format 'csv'" "$T/err.txt" && ok || notok "unknown format: message"
"$CLASSIFY" --bogus < /dev/null 2>/dev/null; rc=$?
check "unknown option: exit 2" 2 "$rc"
"$CLASSIFY" -m "$T/absent.kzm" < /dev/null 2> "$T/err.txt"; rc=$?
check "scoring without a model: exit 2" 2 "$rc"
grep -q "absent.kzm" "$T/err.txt" && ok || notok "scoring without a model: names the file"
"$CLASSIFY" --version | grep -q "^kuzat-classify 0\." && ok || notok "--version"

# --- head closes the pipe: no error message ---
yes "Salom dunyo" | head -n 200000 > "$T/many.txt"
"$CLASSIFY" --normalize "$T/many.txt" --lines 2> "$T/err.txt" | head -n 1 > "$T/out.txt"
check "| head -n 1: first line" "salom dunyo" "$(cat "$T/out.txt")"
check "| head -n 1: quiet" "" "$(cat "$T/err.txt")"

# --- write error ---
if [ -w /dev/full ]; then
  "$CLASSIFY" --normalize "$T/in.txt" > /dev/full 2> "$T/err.txt"; rc=$?
  check "/dev/full: exit 2" 2 "$rc"
  grep -q "write error" "$T/err.txt" && ok || notok "/dev/full: message"
else
  skip "/dev/full: not available"
fi

kt_done
