# Bad-input tables for kuzat-classify and kuzat-train (issue 8, part 2).
#
# One row per case. For kuzat-classify:
#   cl NAME INPUT EXIT LINES ERRORS 'TEXT' 'MAKE' [OPTION...]
# MAKE (shell, run in a scratch directory) makes INPUT; kuzat-classify
# OPTION... INPUT must not crash, must exit EXIT, must print LINES lines
# (an expression, evaluated after MAKE), ERRORS of them error lines, each
# line a JSON object with an id and either a score or an error, and TEXT
# must occur in its stdout or stderr ('' for nothing to look for). Every
# row is run again with --threads 2 (the same bytes are expected), and,
# when it has error lines and exits 0, with --strict (exit 1 expected).
#   trn NAME INPUT EXIT 'TEXT' 'MAKE' [OPTION...]
# for kuzat-train -o MODEL over an existing model: EXIT, TEXT on stderr,
# and when EXIT is not 0 the existing model must be byte-identical after.
. "$(dirname "$0")/lib.sh"
R=$(pwd)
"$TRAIN" -q -o "$T/m.kzm" tests/data/classify/train.tsv 2> "$T/err" ||
  { notok "train the test model: $(cat "$T/err")"; kt_done; exit 1; }
M="$T/m.kzm"
W="$T/w"
mkdir "$W"

# helpers for MAKE snippets
alot() { head -c "$1" /dev/zero | tr '\0' 'a'; } # N bytes of 'a'
good_tsv() { cat "$R/tests/data/classify/train.tsv"; }
good_jsonl() {
  awk -F'\t' 'NR > 1 { printf "{\"id\":\"%s\",\"text\":\"%s\",\"labels\":[\"%s\"],\"group\":\"%s\"}\n", $1, $2, $3, $5 }' \
    "$R/tests/data/classify/train.tsv"
}
cut_half() { s=$(wc -c < "$1"); head -c $((s / 2)) "$1"; } # the first half of a file
# complete lines of a gzip file cut short
gz_lines() { gzip -dc "$1" 2> /dev/null | wc -l; }

one_json_line='^\{"id":"[^"]*",("error":"|"flagged":(true|false),"score":)'
cl() {
  name=$1 input=$2 want_rc=$3 want_lines=$4 want_err=$5 text=$6 make=$7
  shift 7
  ( cd "$W" && eval "$make" ) || { notok "classify $name: making the input failed"; return; }
  want_lines=$(cd "$W" && eval "echo $want_lines")
  ( cd "$W" && "$R/$CLASSIFY" -m "$M" "$@" "$input" > "$T/out" 2> "$T/err" )
  rc=$?
  check "classify $name: exit status" "$want_rc" "$rc"
  check "classify $name: output lines" "$want_lines" "$(wc -l < "$T/out")"
  check "classify $name: error lines" "$want_err" "$(grep -c '^{"id":"[^"]*","error":' "$T/out")"
  bad=$(grep -Evc "$one_json_line" "$T/out")
  case "$*" in *--normalize*) bad=0 ;; esac
  check "classify $name: every line is a record's" 0 "$bad"
  if [ -n "$text" ]; then
    grep -qF -- "$text" "$T/out" "$T/err" && ok ||
      { notok "classify $name: '$text' not in the output"; head -c 600 "$T/out" "$T/err" | sed 's/^/      /'; }
  fi
  ( cd "$W" && "$R/$CLASSIFY" -m "$M" --threads 2 "$@" "$input" > "$T/out2" 2> /dev/null )
  check "classify $name --threads 2: exit status" "$want_rc" "$?"
  check_file "classify $name --threads 2: the same output" "$T/out" "$T/out2"
  if [ "$want_rc" = 0 ] && [ "$want_err" != 0 ]; then
    ( cd "$W" && "$R/$CLASSIFY" -m "$M" --strict "$@" "$input" > /dev/null 2>&1 )
    check "classify $name --strict: exit 1" 1 "$?"
  fi
}

# A model to keep: every failing training must leave it as it was.
cp "$M" "$T/keep.kzm"
trn() {
  name=$1 input=$2 want_rc=$3 text=$4 make=$5
  shift 5
  ( cd "$W" && eval "$make" ) || { notok "train $name: making the input failed"; return; }
  cp "$M" "$T/out.kzm"
  ( cd "$W" && "$R/$TRAIN" -o "$T/out.kzm" "$@" "$input" > /dev/null 2> "$T/err" )
  rc=$?
  check "train $name: exit status" "$want_rc" "$rc"
  if [ -n "$text" ]; then
    grep -qF -- "$text" "$T/err" && ok ||
      { notok "train $name: '$text' not on stderr"; head -c 600 "$T/err" | sed 's/^/      /'; }
  fi
  if [ "$rc" != 0 ]; then
    cmp -s "$M" "$T/out.kzm" && ok || notok "train $name: the existing model was changed"
    grep -q "^kuzat-train: " "$T/err" && ok || notok "train $name: no message on stderr"
  fi
  ls "$T" | grep -q '\.tmp\.' && notok "train $name: a temporary file was left" || ok
}

# ---------------------------------------------------------------- classify
# name             input        exit lines errors text  make  options
cl invalid-utf8    bad.txt      0 3 0 ''    "printf 'ok\n\377\376 bad \300\200 utf8\n\355\240\200 surrogate\n' > bad.txt" --lines
cl invalid-utf8-normalized bad.txt 0 3 0 "$(printf '\357\277\275\357\277\275 bad')" ':' --lines --normalize
# U+FDFA folds to 18 code points: a fresh scorer once wrote offsets past its buffers (ASan saw it)
cl ligatures       lig.txt      0 2 0 '"lang":"ar"' "for i in \$(seq 300); do printf '\357\267\272'; done > lig.txt; printf '\nnext\n' >> lig.txt" --lines
cl nul-bytes       nul.txt      0 2 0 ''    "printf 'nul\000inside\n\000\000\n' > nul.txt" --lines
cl nul-json-escape nul.jsonl    0 2 1 'control character 0x0' "printf '{\"id\":\"a\",\"text\":\"x\\\\u0000y\"}\n{\"id\":\"b\",\"text\":\"raw\000nul\"}\n' > nul.jsonl"
cl line-100mb      big.txt      0 2 0 '"truncated":{"scored":1000000,"bytes":100000000}' "{ alot 100000000; printf '\nnext\n'; } > big.txt" --lines
cl text-100mb      big.txt      0 1 0 '"truncated":{"scored":1000000,"bytes":100000006}' ':'
cl normalize-100mb big.txt     0 2 0 'big.txt:1: only the first 1000000 of its 100000000 bytes normalised' ':' --lines --normalize
cl normalize-100mb-jsonl big.txt 0 2 0 '"truncated":{"normalised":1000000,"bytes":100000000}' ':' --lines --normalize --format-out jsonl
cl jsonl-100mb     big.jsonl    0 2 1 'record longer than 4065536 bytes' "{ printf '{\"id\":\"big\",\"text\":\"'; alot 100000000; printf '\"}\n{\"id\":\"next\",\"text\":\"x\"}\n'; } > big.jsonl"
cl tsv-100mb       big.tsv      0 2 1 'record longer than 4065536 bytes' "{ printf 'id\ttext\nbig\t'; alot 100000000; printf '\nnext\tfine\n'; } > big.tsv"
cl whisper-100mb   big.json     0 1 1 'record longer than 4065536 bytes' "{ printf '{\"segments\":[{\"start\":0,\"end\":1,\"text\":\"'; alot 100000000; printf '\"}]}'; } > big.json"
cl srt-100mb-cue   big.srt      0 1 0 '"truncated":{"scored":1000000' "{ printf '1\n00:00:01,000 --> 00:00:02,000\n'; alot 100000000; printf '\n'; } > big.srt"
cl newlines-lines  nl.txt       0 5 0 ''    "printf '\n\n\n\n\n' > nl.txt" --lines
cl newlines-text   nl.txt       0 1 0 ''    ':'
cl newlines-jsonl  nl.jsonl     0 5 5 'nl.jsonl:5: blank line (expected a JSON object)' "printf '\n\n\n\n\n' > nl.jsonl"
cl blank-jsonl     bl.jsonl     0 5 2 '{"id":"bl.jsonl:2","error":"bl.jsonl:2: blank line (expected a JSON object)"}' "printf '{\"id\":\"a\",\"text\":\"x\"}\n\n{\"id\":\"c\",\"text\":\"y\"}\n \t \n{\"id\":\"e\",\"text\":\"z\"}\n' > bl.jsonl"
cl blank-jsonl-gz  bl.jsonl.gz  0 5 2 'bl.jsonl.gz:4: blank line' 'gzip -c bl.jsonl > bl.jsonl.gz'
cl blank-tsv       bl.tsv       0 3 1 '{"id":"bl.tsv:3","error":"bl.tsv:3: blank line (expected a TSV row)"}' "printf 'id\ttext\nd1\tx\n\nd3\ty\n' > bl.tsv"
cl blank-fasttext  bl.ft        0 4 2 '{"id":"bl.ft:3","error":"bl.ft:3: blank line (expected a fastText line: __label__X text)"}' "printf '__label__a x\ny\n \t \n\n' > bl.ft" --format fasttext
# spaces past what a line keeps, then text: not a blank line, a long one
cl fasttext-spaces bsp.ft       0 1 0 '"truncated":{"scored":1,"bytes":70011}' "{ alot 70000 | tr a ' '; printf 'hello world\n'; } > bsp.ft" --format fasttext --max-chars 1
cl newlines-tsv    nl.tsv       2 1 1 'names no \"text\" column' "printf '\n\n\n\n\n' > nl.tsv"
cl newlines-srt    nl.srt       0 1 0 ''    "printf '\n\n\n\n\n' > nl.srt"
cl crlf-bom-lines  crlf.txt     0 2 0 ''    "printf '\357\273\277one\r\ntwo\r\n' > crlf.txt" --lines
cl crlf-bom-normalized crlf.txt 0 2 0 ''    ':' --lines --normalize
cl crlf-bom-tsv    crlf.tsv     0 2 0 '{"id":"d2"' "printf '\357\273\277id\ttext\r\nd1\thello\r\nd2\tworld\r\n' > crlf.tsv"
cl crlf-bom-jsonl  crlf.jsonl   0 2 0 '{"id":"b"' "printf '\357\273\277{\"id\":\"a\",\"text\":\"x\"}\r\n{\"id\":\"b\",\"text\":\"y\"}\r\n' > crlf.jsonl"
cl crlf-bom-srt    crlf.srt     0 1 0 '"start":"00:00:01.000","end":"00:00:02.000"' "printf '\357\273\2771\r\n00:00:01,000 --> 00:00:02,000\r\nhello\r\n\r\n' > crlf.srt" --all-scores
cl json-deep       deep.jsonl   0 2 1 'maximum parsing depth' "{ printf '{\"id\":\"a\",\"text\":'; alot 100000 | tr a '['; alot 100000 | tr a ']'; printf '}\n{\"id\":\"b\",\"text\":\"x\"}\n'; } > deep.jsonl"
cl json-deep-objects deep2.jsonl 0 1 1 'maximum parsing depth' "{ alot 200000 | sed 's/a/{\"a\":/g'; echo; } > deep2.jsonl"
cl json-truncated  trunc.jsonl  0 2 1 'premature end of input' "printf '{\"id\":\"a\",\"text\":\"ok\"}\n{\"id\":\"b\",\"te' > trunc.jsonl"
cl json-text-types types.jsonl  0 5 4 '\"text\" is a number, expected a string' "printf '{\"id\":\"a\",\"text\":5}\n{\"id\":\"b\",\"text\":null}\n{\"id\":\"c\",\"text\":[\"x\"]}\n{\"id\":\"d\"}\n{\"id\":\"e\",\"text\":\"fine\"}\n' > types.jsonl"
cl json-text-null  types.jsonl  0 5 4 '\"text\" is null, expected a string' ':'
cl json-not-object arr.jsonl    0 3 2 '' "printf '[1,2]\n\"str\"\n{\"text\":\"ok\"}\n' > arr.jsonl"
cl whisper-not-object w.json    0 1 1 '' "printf '[1,2,3]' > w.json"
cl duplicate-ids   dup.jsonl    0 3 0 '' "printf '{\"id\":\"a\",\"text\":\"x\"}\n{\"id\":\"a\",\"text\":\"y\"}\n{\"id\":\"a\",\"text\":\"x\"}\n' > dup.jsonl"
cl duplicate-ids-tsv dup.tsv    0 2 0 '' "printf 'id\ttext\nd\tx\nd\tx\n' > dup.tsv"
cl gzip-half-lines half.txt.gz  2 '$(($(gz_lines half.txt.gz) + 1))' 1 'truncated gzip stream' "seq 1 20000 | sed 's/^/line /' | gzip > full.gz; cut_half full.gz > half.txt.gz" --lines
cl gzip-half-jsonl half.jsonl.gz 2 '$(($(gz_lines half.jsonl.gz) + 1))' 1 'truncated gzip stream' "seq 1 5000 | sed 's/.*/{\"id\":\"&\",\"text\":\"line &\"}/' | gzip > fullj.gz; cut_half fullj.gz > half.jsonl.gz"
cl gzip-half-srt   half.srt.gz  2 1 1 'truncated gzip stream' "seq 1 500 | awk '{ printf \"%d\n00:00:%02d,000 --> 00:00:%02d,500\ncue %d\n\n\", \$1, \$1 % 60, \$1 % 60, \$1 }' | gzip > fulls.gz; cut_half fulls.gz > half.srt.gz"
cl gzip-header-only hdr.txt.gz 2 1 1 'truncated gzip stream' "printf '\037\213' > hdr.txt.gz"
cl gzip-garbage    junk.txt.gz  2 1 1 '' "{ printf '\037\213\010\000\000\000\000\000\000\003'; alot 1000; } > junk.txt.gz"
cl gzip-bomb       bomb.txt.gz  0 1 0 '"truncated":{"scored":1000000,"bytes":104857600}' 'alot 104857600 | gzip -1 > bomb.txt.gz'
cl gzip-bomb-nul   nul.txt.gz   0 1 1 'nul.txt.gz: not text: looks like binary data (100% of its first 131072 bytes' 'head -c 104857600 /dev/zero | gzip -1 > nul.txt.gz'
cl empty-text      e.txt        0 1 0 ''    ': > e.txt'
cl empty-lines     e.txt        0 0 0 ''    ':' --lines
cl empty-jsonl     e.jsonl      0 0 0 ''    ': > e.jsonl'
cl empty-tsv       e.tsv        0 0 0 ''    ': > e.tsv'
cl empty-srt       e.srt        0 1 0 ''    ': > e.srt'
cl empty-vtt       e.vtt        0 1 1 'not a WebVTT file' ': > e.vtt'
cl empty-whisper   e.json       0 1 1 'invalid JSON' ': > e.json'
cl empty-gzip      e.txt.gz     0 1 0 ''    ': | gzip > e.txt.gz'
cl missing-file    nope.txt     2 1 1 'nope.txt: No such file or directory' ':'
cl read-error      /proc/self/mem 2 1 1 'read error after line 0: Input/output error' ':'
cl stdin-directory -            2 1 1 '{"id":"stdin","error":"stdin: read error after line 0: Is a directory"}' ':' --format lines < "$W"
cl dir-loops       dir          2 8 6 'directory loop' "mkdir -p dir/sub dir/z; echo hello > dir/a.txt; echo bye > dir/z/b.txt; ln -s loop2 dir/loop1; ln -s loop1 dir/loop2; ln -s .. dir/sub/up; ln -s . dir/z/self; ln -s nowhere dir/dangling; mkfifo dir/fifo.txt"
cl dir-symlink-loop dir         2 8 6 'dir/loop1: Too many levels of symbolic links' ':'
cl dir-fifo        dir          2 8 6 'dir/fifo.txt: not a regular file (a FIFO), not read' ':'
# (the two cues each lean to propaganda, so that the run of both outscores either
# alone and is the worst window whose times are checked)
cl srt-overlap     ov.srt       0 1 0 '"worst":{"start":"00:00:01.000","end":"00:00:05.000"' "printf '1\n00:00:01,000 --> 00:00:05,000\nhijratga shoshiling birodarlar\n\n2\n00:00:03,000 --> 00:00:04,000\nsafimizga qoshiling\n\n' > ov.srt" --window 2
cl srt-out-of-order ooo.srt     0 1 0 '"worst":{"start":"00:00:01.000","end":"00:00:12.000"' "printf '1\n00:00:10,000 --> 00:00:12,000\nhijratga shoshiling birodarlar\n\n2\n00:00:01,000 --> 00:00:02,000\nsafimizga qoshiling\n\n' > ooo.srt" --window 2
cl srt-reversed    rev.srt      0 1 1 'rev.srt:2: cue ends before it starts' "printf '1\n00:00:05,000 --> 00:00:01,000\nreversed\n\n' > rev.srt"
cl srt-malformed   mal.srt      0 1 1 'mal.srt:2: malformed timestamp' "printf '1\n00:00:xx,000 --> 00:00:01,000\nx\n\n' > mal.srt"
cl srt-out-of-range mal2.srt    0 1 1 'malformed timestamp' "printf '1\n00:61:00,000 --> 00:62:00,000\nx\n\n' > mal2.srt"
cl srt-no-arrow    mal3.srt     0 1 1 'mal3.srt:2' "printf '1\n00:00:01,000 00:00:02,000\nx\n\n' > mal3.srt"
cl srt-negative    neg.srt      0 1 1 'neg.srt:2' "printf '1\n-00:00:01,000 --> 00:00:02,000\nx\n\n' > neg.srt"
cl vtt-overlap     ov.vtt       0 1 0 '"worst":{"start":"00:00:01.000","end":"00:00:05.000"' "printf 'WEBVTT\n\n00:01.000 --> 00:05.000\nhijratga shoshiling birodarlar\n\n00:02.000 --> 00:03.000\nsafimizga qoshiling\n' > ov.vtt" --window 2
cl vtt-reversed    rev.vtt      0 1 1 'rev.vtt:3: cue ends before it starts' "printf 'WEBVTT\n\n00:05.000 --> 00:01.000\nreversed\n' > rev.vtt"
cl vtt-malformed   mal.vtt      0 1 1 'mal.vtt:3: malformed timestamp' "printf 'WEBVTT\n\n00:61.000 --> 00:65.000\nbad\n' > mal.vtt"
cl whisper-reversed rev.json    0 1 1 'segments[0]: cue ends before it starts' "printf '{\"segments\":[{\"start\":5,\"end\":1,\"text\":\"rev\"}]}' > rev.json"
cl whisper-bad-time nan.json    0 1 1 'segments[0]' "printf '{\"segments\":[{\"start\":\"x\",\"end\":1,\"text\":\"a\"}]}' > nan.json"
cl jsonl-segments-bad segs.jsonl 0 3 2 'malformed timestamp \"bad\"' "printf '{\"id\":\"v\",\"segments\":[{\"start\":\"00:00:05\",\"end\":\"00:00:01\",\"text\":\"rev\"}]}\n{\"id\":\"w\",\"segments\":[{\"start\":\"bad\",\"end\":\"1\",\"text\":\"x\"}]}\n{\"id\":\"ok\",\"segments\":[{\"start\":1,\"end\":2,\"text\":\"x\"}]}\n' > segs.jsonl"
cl random-bytes    rnd.txt      0 1 1 'rnd.txt: not text: looks like binary data' "{ LC_ALL=C awk 'BEGIN { srand(3); for (i = 0; i < 200000; i++) printf \"%c\", int(rand() * 256) }'; echo; } > rnd.txt" --lines
cl random-srt      rnd.srt      0 1 1 'not text' 'cp rnd.txt rnd.srt'
# Binaries of every kind, as they sit beside transcripts in a seized folder:
# one error line each, "not text: looks like ...", never scored, whatever
# the format, gzip-compressed or not.
bin() { printf "$1" > "$2"; alot 400 >> "$2"; } # a signature, then bytes that look like text
cl bin-elf         ls           0 1 1 'ls: not text: looks like an ELF executable or library' 'cp /bin/ls ls'
cl bin-png         logo.png     0 1 1 'logo.png: not text: looks like a PNG image' "bin '\211PNG\r\n\032\n' logo.png"
cl bin-jpeg        photo.jpg    0 1 1 'looks like a JPEG image' "bin '\377\330\377\340' photo.jpg"
cl bin-mp4         clip.mp4     0 1 1 '{"id":"clip.mp4","error":"clip.mp4: not text: looks like MP4 video"}' "bin '\000\000\000\040ftypisom' clip.mp4"
cl bin-mkv         clip.mkv     0 1 1 'looks like Matroska or WebM video' "bin '\032\105\337\243' clip.mkv"
cl bin-pdf         doc.pdf      0 1 1 'looks like a PDF document' "bin '%%PDF-1.7\n' doc.pdf"
cl bin-zip         a.zip        0 1 1 'looks like a ZIP archive' "bin 'PK\003\004' a.zip"
cl bin-ogg         voice.ogg    0 1 1 'looks like Ogg audio or video' "bin 'OggS\000\002' voice.ogg"
cl bin-riff        voice.wav    0 1 1 'looks like WAV audio' "bin 'RIFF\044\010\000\000WAVEfmt ' voice.wav"
cl bin-gzip-elf    ls.txt.gz    0 1 1 'ls.txt.gz: not text: looks like an ELF executable' 'gzip -c /bin/ls > ls.txt.gz'
cl bin-gzip-random rnd.srt.gz   0 1 1 'rnd.srt.gz: not text: looks like binary data' 'head -c 20000 rnd.txt | gzip > rnd.srt.gz'
cl bin-random-mp4  rnd.mp4      0 1 1 'rnd.mp4: not text: looks like binary data (1' 'head -c 20000 rnd.txt > rnd.mp4'
cl bin-as-jsonl    ls.jsonl     0 1 1 'not text: looks like an ELF' 'cp /bin/ls ls.jsonl'
cl bin-as-tsv      ls.tsv       0 1 1 'not text: looks like an ELF' 'cp /bin/ls ls.tsv'
cl bin-utf16-nobom u16.txt      0 1 1 'not text: looks like UTF-16LE text without a byte-order mark' "printf 'hijratga shoshiling birodarlar, safimizga qoshiling\n' | iconv -f UTF-8 -t UTF-16LE > u16.txt"
cl bin-nul-heavy   nuls.txt     0 1 1 'not text: looks like binary data' "{ alot 100; head -c 50 /dev/zero; alot 100; } > nuls.txt"
# standard input (each run its own: cl would read on where the last stopped)
for fmt in '' '--lines' '--format jsonl' '--format srt'; do
  "$CLASSIFY" -m "$M" $fmt < /bin/ls > "$T/out" 2> /dev/null
  check "classify bin-stdin $fmt: exit 0" 0 $?
  check "classify bin-stdin $fmt: one error line" \
    '{"id":"stdin","error":"stdin: not text: looks like an ELF executable or library"}' "$(cat "$T/out")"
done
# Encodings: legacy code pages found by ICU's detector, byte-order marks
# in every format, --encoding for what the detector cannot know (cp866),
# and what stays as it was (stray bytes in ASCII: U+FFFD).
ru='Братья, совершите хиджру и присоединяйтесь к нашим рядам, время пришло.'
srt='1\n00:01:02,500 --> 00:01:05,000\nБиродарлар, ҳижратга шошилинг\n\n2\n00:01:05,100 --> 00:01:09,000\nБугун ҳаво яхши\n'
cl enc-cp1251      ru1251.txt   0 1 0 '"lang":"ru","script":"Cyrl","encoding":"windows-1251"' "printf '%s\n' '$ru' | iconv -f UTF-8 -t CP1251 > ru1251.txt"
cl enc-cp1251-lines ru1251.txt  0 1 0 '"id":"ru1251.txt:1","flagged":false' ':' --lines
cl enc-cp1251-jsonl ru1251.jsonl 0 2 0 '{"id":"b","flagged":' "printf '{\"id\":\"a\",\"text\":\"%s\"}\n{\"id\":\"b\",\"text\":\"%s\"}\n' '$ru' '$ru' | iconv -f UTF-8 -t CP1251 > ru1251.jsonl"
cl enc-koi8r       rukoi.txt    0 1 0 '"lang":"ru","script":"Cyrl","encoding":"KOI8-R"' "printf '%s\n' '$ru' | iconv -f UTF-8 -t KOI8-R > rukoi.txt"
cl enc-iso8859-5   ru5.txt      0 1 0 '"lang":"ru","script":"Cyrl","encoding":"ISO-8859-5"' "printf '%s\n' '$ru' | iconv -f UTF-8 -t ISO-8859-5 > ru5.txt"
cl enc-latin1      fr.txt       0 1 0 '"encoding":"ISO-8859-1"' "printf 'Le café est très bon, à côté de la fenêtre. Ça va très bien, merci.\n' | iconv -f UTF-8 -t ISO-8859-1 > fr.txt"
cl enc-cp866-named dos.txt      0 1 0 '"lang":"ru","script":"Cyrl","encoding":"IBM866"' "printf '%s\n' '$ru' | iconv -f UTF-8 -t CP866 > dos.txt" --encoding cp866
# guessed by the shape of the bytes: ICU's detector does not know cp866
# (read as bytes, a few of its byte runs made CJK characters), nor Uzbek,
# Tajik or Kyrgyz; a short line of French, too short for ICU, is not taken
# for Cyrillic, nor damaged UTF-8 of another script (Georgian)
cl enc-cp866-guess dos.txt      0 1 0 '"lang":"ru","script":"Cyrl","encoding":"IBM866"' ':'
uz='Ўзбекистон пойтахти Тошкент, ўзбек тили давлат тили. Биродарлар, эрталаб учрашамиз.'
cl enc-uz-cp1251   uz1251.txt   0 1 0 '"lang":"uz-Cyrl","script":"Cyrl","encoding":"windows-1251"' "printf '%s\n' '$uz' | iconv -f UTF-8 -t CP1251 > uz1251.txt"
cl enc-uz-cp866    uz866.txt    0 1 0 '"lang":"uz-Cyrl","script":"Cyrl","encoding":"IBM866"' "printf '%s\n' '$uz' | iconv -f UTF-8 -t CP866 > uz866.txt"
cl enc-latin1-short fr2.txt     0 1 0 '"script":"Latn","model"' "printf 'Élève, déjà là-bas: café, crème brûlée, où êtes-vous?\n' | iconv -f UTF-8 -t ISO-8859-1 > fr2.txt"
cl damaged-georgian ka.txt     0 1 0 '"script":"Geor","model"' "{ printf 'საქართველო დედაქალაქი თბილისი, ქართული ენა სახელმწიფო ენაა. '; printf '\\377'; printf 'ძმებო, დღეს ამინდი კარგია და ყველა ერთად შევხვდებით.\\n'; } > ka.txt"
cl enc-named-utf8  ru1251.txt   0 1 0 '"lang":"other","script":"none","model"' ':' --encoding UTF-8
cl enc-unknown     dos.txt      2 0 0 "unknown --encoding 'klingon' (ICU has no converter" ':' --encoding klingon
cl bom-utf16le-srt u16.srt      0 1 0 '"lang":"uz-Cyrl","script":"Cyrl","encoding":"UTF-16LE"' "printf '\377\376' > u16.srt; printf '$srt' | iconv -f UTF-8 -t UTF-16LE >> u16.srt" --all-scores
cl bom-utf16be-vtt u16.vtt      0 1 0 '"encoding":"UTF-16BE"' "{ printf '\376\377'; printf 'WEBVTT\n\n00:02.000 --> 00:03.000\n%s\n' '$ru' | iconv -f UTF-8 -t UTF-16BE; } > u16.vtt"
cl bom-utf16le-jsonl u16.jsonl  0 2 0 '{"id":"b","flagged":' "{ printf '\377\376'; printf '{\"id\":\"a\",\"text\":\"%s\"}\n{\"id\":\"b\",\"text\":\"hijratga\"}\n' '$ru' | iconv -f UTF-8 -t UTF-16LE; } > u16.jsonl"
cl bom-utf16le-tsv u16.tsv      0 2 0 '"id":"d2","flagged":' "{ printf '\377\376'; printf 'id\ttext\nd1\t%s\nd2\thijratga\n' '$ru' | iconv -f UTF-8 -t UTF-16LE; } > u16.tsv"
cl bom-utf16-whisper u16.json   0 1 0 '"encoding":"UTF-16LE"' "{ printf '\377\376'; printf '{\"segments\":[{\"start\":1,\"end\":2,\"text\":\"%s\"}]}' '$ru' | iconv -f UTF-8 -t UTF-16LE; } > u16.json"
cl bom-utf32le     u32.txt      0 1 0 '"lang":"ru","script":"Cyrl","encoding":"UTF-32LE"' "{ printf '\377\376\000\000'; printf '%s\n' '$ru' | iconv -f UTF-8 -t UTF-32LE; } > u32.txt"
cl bom-utf32be     u32be.txt    0 1 0 '"lang":"ru","script":"Cyrl","encoding":"UTF-32BE"' "{ printf '\000\000\376\377'; printf '%s\n' '$ru' | iconv -f UTF-8 -t UTF-32BE; } > u32be.txt"
cl bom-utf16-gzip  u16.srt.gz   0 1 0 '"encoding":"UTF-16LE"' 'gzip -c u16.srt > u16.srt.gz'
cl bom-utf8-lines  b8.txt       0 1 0 '"lang":"ru","script":"Cyrl","model"' "{ printf '\357\273\277'; printf '%s\n' '$ru'; } > b8.txt" --lines
cl nobom-utf16-srt n16.srt      0 1 1 'n16.srt: not text: looks like UTF-16LE text without a byte-order mark' "printf '$srt' | iconv -f UTF-8 -t UTF-16LE > n16.srt"
cl nobom-utf16-named n16.srt    0 1 0 '"worst":{"start":"00:01:02.500","end":"00:01:05.000"' ':' --encoding UTF-16LE
# standard input: a pipe in windows-1251, and in UTF-16 with its mark
printf '%s\n%s\n' "$ru" "$ru" | iconv -f UTF-8 -t CP1251 | "$CLASSIFY" -m "$M" > "$T/out" 2> "$T/err"
check "classify windows-1251 on a pipe: both lines say their encoding" 2 "$(grep -c '"lang":"ru","script":"Cyrl","encoding":"windows-1251"' "$T/out")"
{ printf '\377\376'; printf '%s\n' "$ru" | iconv -f UTF-8 -t UTF-16LE; } | "$CLASSIFY" -m "$M" > "$T/out" 2> "$T/err"
check "classify UTF-16LE with its mark on a pipe" 1 "$(grep -c '"lang":"ru","script":"Cyrl","encoding":"UTF-16LE"' "$T/out")"

# --threshold MARKER=P: unknown markers and bad values refused before anything is read
cl thr-unknown-marker post.txt  2 0 0 "unknown marker 'recruitment' in --threshold recruitment=0.5 (the model's markers: propaganda)" "printf 'hijratga shoshiling\n' > post.txt" --threshold recruitment=0.5
cl thr-bad-value   post.txt     2 0 0 "bad --threshold 'propaganda=1.5'" ':' --threshold propaganda=1.5
cl thr-no-marker   post.txt     2 0 0 "bad --threshold '=0.5'" ':' --threshold =0.5
cl thr-no-value    post.txt     2 0 0 "bad --threshold 'propaganda='" ':' --threshold propaganda=
cl thr-nan         post.txt     2 0 0 "bad --threshold 'propaganda=nan'" ':' --threshold propaganda=nan
cl thr-marker-ok   post.txt     0 1 0 '"flagged":true' ':' --threshold 1 --threshold propaganda=0
cl thr-repeated    post.txt     0 1 0 '"flagged":false' ':' --threshold propaganda=0 --threshold propaganda=1

# a folder as the field gives it: a program, random bytes called clip.mp4,
# a PNG and one transcript; only the transcript is scored
cl bin-folder      field        0 4 3 '"id":"field/post.txt","flagged":' "mkdir field; cp ls logo.png field/; cp rnd.mp4 field/clip.mp4; printf 'hijratga shoshiling birodarlar\n' > field/post.txt"
# --known index files: refused with the reason, nothing scored
known_idx="echo 'Hurmatli birodarlar, ushbu bayonot' > post.txt; \"\$R/\$TRAIN\" -q --known -o good.kzk \"\$R/tests/data/known/known.jsonl\""
cl known-truncated post.txt     2 0 0 'good-half.kzk: index truncated' "$known_idx; cut_half good.kzk > good-half.kzk" --known good-half.kzk
cl known-flipped   post.txt     2 0 0 'index damaged' "cp good.kzk flip.kzk; printf X | dd of=flip.kzk bs=1 seek=\$((\$(wc -c < good.kzk) / 2)) conv=notrunc 2> /dev/null" --known flip.kzk
cl known-garbage   post.txt     2 0 0 'junk.kzk: index damaged' "{ printf '\037\213\010\000\000\000\000\000\000\003'; alot 1000; } > junk.kzk" --known junk.kzk
cl known-empty-file post.txt    2 0 0 'e.kzk: not a kuzat index' ': > e.kzk' --known e.kzk
cl known-a-model   post.txt     2 0 0 'no KUZATKNW magic' 'cp "$M" model.kzk' --known model.kzk
cl known-missing   post.txt     2 0 0 'nope.kzk: No such file or directory' ':' --known nope.kzk
cl known-empty-index post.txt   0 1 0 '"known":[]' '"$R/$TRAIN" -q --known -o none.kzk' --known none.kzk
cl known-one-good-one-bad post.txt 2 0 0 'good-half.kzk: index truncated' ':' --known good.kzk --known good-half.kzk

# an unreadable file, as a user who may not read it (root reads anything)
chmod 755 "$T" "$W"
printf 'secret\n' > "$W/secret.txt"
chmod 000 "$W/secret.txt"
chmod 644 "$M"
if [ "$(id -u)" != 0 ]; then
  cl unreadable secret.txt 2 1 1 'secret.txt: Permission denied' ':'
elif command -v setpriv > /dev/null 2>&1 &&
     setpriv --reuid=65534 --regid=65534 --clear-groups true 2> /dev/null &&
     setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$R/$CLASSIFY"; then
  ( cd "$W" && setpriv --reuid=65534 --regid=65534 --clear-groups "$R/$CLASSIFY" -m "$M" \
      secret.txt "$R/tests/data/classify/golden/post.txt" > "$T/out" 2> "$T/err" )
  check "classify unreadable (as nobody): exit 2" 2 $?
  check "classify unreadable (as nobody): a line for each input" 2 "$(wc -l < "$T/out")"
  grep -q '^{"id":"secret.txt","error":"secret.txt: Permission denied"}$' "$T/out" && ok ||
    notok "classify unreadable (as nobody): its error line in place"
  ( cd "$W" && setpriv --reuid=65534 --regid=65534 --clear-groups "$R/$TRAIN" -q -o "$T/nobody.kzm" \
      secret.txt > /dev/null 2> "$T/err" )
  check "train unreadable (as nobody): exit 2" 2 $?
  grep -q "secret.txt: Permission denied" "$T/err" && ok || notok "train unreadable (as nobody): message"
else
  skip "an unreadable file: running as root and setpriv cannot switch to nobody (the read error of /proc/self/mem is tested instead)"
fi
chmod 600 "$W/secret.txt"

# ------------------------------------------------------------------- train
# name             input          exit text  make  options
trn good-tsv        good.tsv       0 ''  'good_tsv > good.tsv'
trn invalid-utf8    inv.tsv        0 ''  "{ good_tsv; printf 'x1\tbad \377\376 utf8 \355\240\200\tpropaganda\ten\tgx\n'; } > inv.tsv"
trn nul-bytes       nul.tsv        0 ''  "{ good_tsv; printf 'x1\tnul\000inside\tpropaganda\ten\tgx\n'; } > nul.tsv"
trn nul-in-label    nullab.tsv     2 'nullab.tsv:54' "{ good_tsv; printf 'x1\ttext\tpropa\000ganda\ten\tgx\n'; } > nullab.tsv"
trn control-label   ctl.tsv        2 'ctl.tsv:54' "{ good_tsv; printf 'x1\ttext\tpropa\001ganda\ten\tgx\n'; } > ctl.tsv"
trn row-100mb       big.tsv        2 'big.tsv:54: record longer than' "{ good_tsv; printf 'big\t'; alot 100000000; printf '\tpropaganda\ten\tgbig\n'; } > big.tsv"
trn row-100mb-skip  big.tsv        0 'skipped 1 malformed rows' ':' --skip-bad
trn line-100mb-ft   big.ft         0 'cut to their first 1000000 bytes' "{ good_tsv | awk -F'\t' 'NR > 1 { printf \"__label__%s %s\n\", \$3 == \"\" ? \"none\" : \$3, \$2 }'; printf '__label__propaganda '; alot 100000000; echo; } > big.ft" --negative none
trn newlines-tsv    nl.tsv         2 'names no "text" column' "printf '\n\n\n' > nl.tsv"
trn newlines-jsonl  nl.jsonl       2 'no training data' "printf '\n\n\n' > nl.jsonl"
trn newlines-ft     nl.ft          2 'no training data' "printf '\n\n\n' > nl.ft"
trn crlf-bom-tsv    crlf.tsv       0 ''  "{ printf '\357\273\277'; good_tsv | sed 's/\$/\r/'; } > crlf.tsv"
trn crlf-bom-jsonl  crlf.jsonl     0 ''  "{ printf '\357\273\277'; good_jsonl | sed 's/\$/\r/'; } > crlf.jsonl"
trn json-deep       deep.jsonl     2 'deep.jsonl:6: column' "{ good_jsonl | head -n 5; printf '{\"text\":'; alot 100000 | tr a '['; alot 100000 | tr a ']'; printf ',\"label\":\"x\"}\n'; good_jsonl | tail -n +6; } > deep.jsonl"
trn json-deep-skip  deep.jsonl     0 'skipped 1 malformed rows' ':' --skip-bad
trn json-truncated  trunc.jsonl    2 'trunc.jsonl:53: column 27: invalid JSON: premature end of input' "{ good_jsonl; printf '{\"id\":\"z\",\"text\":\"abc\",\"lab'; } > trunc.jsonl"
trn json-text-number num.jsonl     2 'num.jsonl:4: "text" is a number, expected a string' "{ good_jsonl | head -n 3; printf '{\"text\":5,\"label\":\"propaganda\"}\n'; good_jsonl | tail -n +4; } > num.jsonl"
trn json-text-null  null.jsonl     2 'null.jsonl:4: "text" is null, expected a string' "{ good_jsonl | head -n 3; printf '{\"text\":null,\"label\":\"propaganda\"}\n'; good_jsonl | tail -n +4; } > null.jsonl"
trn json-labels-number lab.jsonl   2 'lab.jsonl:1' "{ printf '{\"text\":\"x\",\"labels\":7}\n'; good_jsonl; } > lab.jsonl"
trn duplicate-ids   dup.jsonl      0 ''  '{ good_jsonl; good_jsonl; } > dup.jsonl'
trn binary-tsv      ls.tsv         2 'ls.tsv: not text: looks like an ELF executable or library' 'cp /bin/ls ls.tsv'
trn binary-gz-jsonl ls.jsonl.gz    2 'not text: looks like an ELF' 'gzip -c /bin/ls > ls.jsonl.gz'
trn random-tsv      rnd.tsv        2 'not text: looks like binary data' 'cp rnd.txt rnd.tsv'
trn utf16-bom-tsv   u16.tsv        0 ''  "{ printf '\377\376'; good_tsv | iconv -f UTF-8 -t UTF-16LE; } > u16.tsv"
trn utf16-nobom-tsv n16.tsv        2 'not text: looks like UTF-16LE text without a byte-order mark' 'good_tsv | iconv -f UTF-8 -t UTF-16LE > n16.tsv'
trn gzip-half       half.jsonl.gz  2 'truncated gzip stream' 'good_jsonl | gzip > g.gz; cut_half g.gz > half.jsonl.gz'
trn gzip-half-skip  half.jsonl.gz  2 'truncated gzip stream' ':' --skip-bad
trn empty           e.tsv          2 'no training data' ': > e.tsv'
trn empty-gzip      e.jsonl.gz     2 'no training data' ': | gzip > e.jsonl.gz'
trn missing         nope.tsv       2 'nope.tsv: No such file or directory' ':'
trn read-error      /proc/self/mem 2 'read error after line 0: Input/output error' ':' --format tsv
trn directory       dir            2 'dir: is a directory' ':'
trn stdin-directory -              2 'stdin: read error after line 0: Is a directory' ':' --format tsv < "$W"
trn dev-gzip-half   good.tsv       2 'truncated gzip stream' ':' --dev half.jsonl.gz
trn dev-bad-row     good.tsv       2 'trunc.jsonl:53' ':' --dev trunc.jsonl
trn dev-bad-row-skip good.tsv      0 '--dev: skipped 1 malformed rows' ':' --dev trunc.jsonl --skip-bad
trn dev-empty       good.tsv       2 'dev-e.jsonl: no rows to score' ': > dev-e.jsonl' --dev dev-e.jsonl
trn dev-all-bad     good.tsv       2 'no rows to score (every row was malformed)' "printf '{\"text\":\n' > dev-bad.jsonl" --dev dev-bad.jsonl --skip-bad
trn dev-long        good.tsv       0 '--dev: 1 documents longer than 1000 bytes were cut' "{ good_jsonl; printf '{\"text\":\"'; alot 5000; printf '\",\"label\":\"propaganda\"}\n'; } > devlong.jsonl" --dev devlong.jsonl --max-chars 1000
# ... and the report JSON counts them too
( cd "$W" && "$R/$TRAIN" -q -o "$T/dev.kzm" --report "$T/dev.json" --skip-bad --max-chars 1000 \
    --dev devlong.jsonl good.tsv && "$R/$TRAIN" -q -o "$T/dev2.kzm" --report "$T/dev2.json" \
    --skip-bad --dev trunc.jsonl good.tsv )
grep -q '"dev_truncated_rows": 1,' "$T/dev.json" && grep -q '"dev_skipped_rows": 0,' "$T/dev.json" &&
  grep -q '"dev_truncated_rows": 0,' "$T/dev2.json" && grep -q '"dev_skipped_rows": 1,' "$T/dev2.json" &&
  ok || notok "train --report: dev_truncated_rows and dev_skipped_rows count the dev file's cut and skipped rows"
# the same data with a BOM and CRLF line ends gives the same model
( cd "$W" && "$R/$TRAIN" -q -o "$T/plain.kzm" good.tsv && "$R/$TRAIN" -q -o "$T/crlf.kzm" crlf.tsv )
check_file "train: a BOM and CRLF line ends change nothing" "$T/plain.kzm" "$T/crlf.kzm"
( cd "$W" && "$R/$TRAIN" -q -o "$T/u16.kzm" u16.tsv )
check_file "train: the same data in UTF-16 with its mark gives the same model" "$T/plain.kzm" "$T/u16.kzm"
kt_done
