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

kt_done
