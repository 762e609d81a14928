# --format-out html: the review page. What it holds (the count, the charts,
# each flagged document with its words highlighted, hostile text escaped,
# nothing to fetch), then the page opened in headless Chromium (Debian's
# chromium package, which `make test` installs when it can): a screenshot
# that is not blank, and the DOM it built holding the document count and
# no script element. Without Chromium those two checks skip, saying so.
. "$(dirname "$0")/lib.sh"
D=models/default.kzm
S=datasets/samples

F="$T/seized"
mkdir -p "$F/videos"
cp "$S/channel-post.txt" "$S/migrant-vlog.srt" "$S/ru.txt" "$S/en.txt" "$F/"
cp /bin/ls "$F/videos/clip.mp4"
{ printf '<script>alert(1)</script><img src=x onerror=alert(2)> </p></section><iframe src="http://x/"> & "q" '\''; '
  cat "$S/channel-post.txt"; } > "$F/hostile.txt"
printf 'Aka-ukalar, hijratga shoshiling, safimizga qoshiling\n' > "$F/<b>name & \"quote\".txt"

"$CLASSIFY" -m "$D" -q "$F" > "$T/all.jsonl"
records=$(wc -l < "$T/all.jsonl")
flagged=$(grep -c '"flagged":true' "$T/all.jsonl")
errors=$(grep -c '"error":' "$T/all.jsonl")
"$CLASSIFY" -m "$D" -q --format-out html "$F" > "$T/page.html"
check "html: exit 0" 0 $?
check "html: the documents flagged are among those read" "yes" "$([ "$flagged" -ge 3 ] && echo yes)"
check "html: the count of documents read, flagged and not read" 1 \
  "$(grep -c "<p id=\"count\"><b>$records</b> documents read, <b>$flagged</b> flagged, <b>$errors</b> not read (1 not text).</p>" "$T/page.html")"
check "html: a section for each flagged document" "$flagged" "$(grep -c '^<section class="doc">' "$T/page.html")"
check "html: two charts, per language and per marker" 2 "$(grep -c '^<svg class="chart"' "$T/page.html")"
check "html: the explanation's words highlighted" yes "$([ "$(grep -o '<mark' "$T/page.html" | wc -l)" -ge 5 ] && echo yes)"
check "html: a transcript's worst window with its times" 1 \
  "$(grep -c 'migrant-vlog.srt</span></h3>' "$T/page.html")"
grep -q '<p class="cue"><span class="t">00:01:52.500</span>' "$T/page.html" && ok ||
  notok "html: the transcript's worst cue and its time"
grep -q '<p class="cue"><span class="t">00:01:52.500</span> <span class="lang">uz-Cyrl Cyrl</span> ' "$T/page.html" && ok ||
  notok "html: each cue says its language and script"
check "html: no script, no frame, no image, nothing fetched" "" \
  "$(grep -oiE '<script|<iframe|<img|<link|<[a-z]+[^>]* (src|href)=|url\(|@import' "$T/page.html" | sort -u | tr '\n' ' ')"
# (the highlights are our own markup, and may fall inside it: left out)
sed 's|<mark[^>]*>||g; s|</mark>||g' "$T/page.html" |
  grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; &lt;/p&gt;&lt;/section&gt;&lt;iframe src=&quot;http://x/&quot;&gt; &amp; &quot;q&quot; &#39;' && ok ||
  notok "html: the hostile document's text is escaped, every character of it"
grep -qF '<span class="id">'"$F"'/&lt;b&gt;name &amp; &quot;quote&quot;.txt</span>' "$T/page.html" && ok ||
  notok "html: a hostile file name is escaped"
"$CLASSIFY" -m "$D" -q --format-out html --threads 2 "$F" > "$T/page2.html"
check_file "html: --threads 2 writes the same page" "$T/page.html" "$T/page2.html"
"$CLASSIFY" -m "$D" -q --format-out html "$S/en.txt" > "$T/none.html"
check "html: nothing flagged says so" 1 "$(grep -c '<p>No document was flagged.</p>' "$T/none.html")"
"$CLASSIFY" --normalize --format-out html "$S/en.txt" > /dev/null 2>&1
check "html is for scores: refused with --normalize" 2 $?

# ---- in a browser ----
if ! command -v chromium > /dev/null 2>&1; then
  skip "html in headless Chromium: chromium is not installed (make test installs Debian's chromium package when it can: scripts/deps.sh chromium)"
  skip "html DOM in headless Chromium: chromium is not installed"
  kt_done
  exit
fi
# root needs --no-sandbox; a profile of its own; no network for a page that needs none
browse() {
  HOME="$T" timeout 120 chromium --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --no-first-run --user-data-dir="$T/profile" --hide-scrollbars --proxy-server=127.0.0.1:9 \
    --window-size=1000,1400 "$@" "file://$T/page.html"
}
browse --screenshot="$T/shot.png" > "$T/chrome.log" 2>&1
if [ ! -s "$T/shot.png" ]; then
  notok "html in headless Chromium: no screenshot"
  tail -n 5 "$T/chrome.log" | sed 's/^/      /'
else
  python3 - "$T/shot.png" > "$T/png" 2>&1 <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "a PNG"
pos, idat, w, h = 8, b"", 0, 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, color = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and color in (2, 6), (depth, color)
        bpp = 3 if color == 2 else 4
    if kind == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride = w * bpp
rows, prev = [], bytearray(stride)
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b, c = prev[x], prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line)
    prev = line
ink = colours = 0
seen = set()
for line in rows[::4]:
    for x in range(0, stride, bpp * 4):
        px = tuple(line[x:x + 3])
        seen.add(px)
        ink += px != (255, 255, 255)
total = len(rows[::4]) * len(range(0, stride, bpp * 4))
red = any(r > 150 and g < 80 and b < 80 for r, g, b in seen)      # the bars
yellow = any(r > 230 and g > 190 and b < 140 for r, g, b in seen)  # the highlights
print("%dx%d ink %.3f colours %d red %s yellow %s" % (w, h, ink / total, len(seen), red, yellow))
PY
  sed 's/^/info - screenshot: /' "$T/png"
  check "html in headless Chromium: the screenshot is not blank (ink, the red bars, the yellow highlights)" \
    "ok" "$(awk '{ print ($3 > 0.02 && $5 > 10 && $7 == "True" && $9 == "True") ? "ok" : $0 }' "$T/png")"
fi
browse --dump-dom > "$T/dom.html" 2> "$T/chrome.log"
check "html DOM in headless Chromium: the document count is there" 1 \
  "$(grep -c "<b>$records</b> documents read, <b>$flagged</b> flagged" "$T/dom.html")"
check "html DOM in headless Chromium: no script, frame or image element was made" "" \
  "$(grep -oiE '<script|<iframe|<img' "$T/dom.html" | sort -u | tr '\n' ' ')"
check "html DOM in headless Chromium: a section per flagged document" "$flagged" \
  "$(grep -o '<section class="doc">' "$T/dom.html" | wc -l)"
grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' "$T/dom.html" && ok ||
  notok "html DOM in headless Chromium: the hostile text is text"
kt_done
