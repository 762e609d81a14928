/*
 * fuzz_field.c -- the fuzz targets of input as it comes from the field,
 * included by fuzz.c (whose helpers they use):
 *
 *   charset  the input read as the field gives it (what the bytes are,
 *            byte-order marks, ICU's charset detector), then in the
 *            encoding its first byte picks (ICU's converters, stateful
 *            ones among them), then behind each byte-order mark; every
 *            converted record must be valid UTF-8, a not-text record
 *            alone, kuzat_script() one of its answers
 *   html     kuzat-classify's HTML writer (classify/html.c, with output.c
 *            and buf.c) on the input as a flagged document: its first
 *            line the id, the rest the text (a transcript of its lines
 *            when the first byte is odd); the document's part and the
 *            page around it may hold no tag, entity, quote or '>' of the
 *            input's making
 */
#include "../../classify/buf.c"
#include "../../classify/html.c"
#include "../../classify/output.c"
#include "../../classify/known.c"

/* ---- charset ---- */

static const char *const kz_encodings[] = {
    "windows-1251", "koi8-r", "cp866", "iso-8859-5", "UTF-16LE", "UTF-16BE", "UTF-16",
    "UTF-32", "ISO-2022-JP", "GB18030", "Shift_JIS", "UTF-7", "windows-1252", "UTF-8"};

/* Read path in `format` (with `encoding` when not NULL), checking what a
 * converted record and a not-text record promise. */
static void read_converted(const char *path, int format, const char *encoding) {
  kuzat_reader *r;
  kuzat_error err;
  if (kuzat_reader_open(path, format, "fuzz", NULL, &r, &err)) return;
  kuzat_reader_set_limit(r, 1000);
  kuzat_reader_set_flags(r, KUZAT_READ_BLANK_RECORDS);
  if (encoding) KZ_REQUIRE(kuzat_reader_set_encoding(r, encoding, &err) == KUZAT_OK);
  kuzat_record rec;
  int rc, n = 0, not_text = 0;
  while ((rc = kuzat_reader_next(r, &rec, &err)) == 1) {
    check_record(&rec, 1000);
    n++;
    not_text |= rec.status == KUZAT_ENOTTEXT;
    if (rec.encoding) { /* ICU's output: UTF-8 whatever came in */
      KZ_REQUIRE(valid_utf8((const unsigned char *)rec.text, rec.text_len));
      touch(rec.encoding, strlen(rec.encoding));
    }
    const char *sc = kuzat_script(rec.text, rec.text_len);
    KZ_REQUIRE(sc && strlen(sc) >= 4);
  }
  KZ_REQUIRE(rc <= 0 && (!not_text || n == 1));
  if (rc < 0) KZ_REQUIRE(err.status == rc && strlen(err.msg) < sizeof err.msg);
  kuzat_reader_free(r);
}

int kz_fuzz_charset(const uint8_t *data, size_t size);
int kz_fuzz_charset(const uint8_t *data, size_t size) {
  const char *path = as_file(data, size);
  if (!path) return 0;
  read_converted(path, KUZAT_FORMAT_TEXT, NULL);
  read_converted(path, KUZAT_FORMAT_JSONL, NULL);
  if (size < 1) return 0;
  size_t ne = sizeof kz_encodings / sizeof kz_encodings[0];
  const char *enc = kz_encodings[data[0] % ne];
  if (!(path = as_file(data + 1, size - 1))) return 0;
  read_converted(path, KUZAT_FORMAT_LINES, enc);
  read_converted(path, KUZAT_FORMAT_SRT, enc);
  /* behind a byte-order mark */
  static const char *const marks[] = {"\xFF\xFE", "\xFE\xFF", "\xFF\xFE\0\0", "\0\0\xFE\xFF"};
  static const size_t mark_len[] = {2, 2, 4, 4};
  size_t m = (data[0] >> 4) % 4;
  uint8_t *marked = malloc(size + 4);
  if (!marked) return 0;
  memcpy(marked, marks[m], mark_len[m]);
  memcpy(marked + mark_len[m], data + 1, size - 1);
  path = as_file(marked, size - 1 + mark_len[m]);
  free(marked);
  if (path) read_converted(path, KUZAT_FORMAT_LINES, NULL);
  return 0;
}

/* ---- html ---- */

/* Markup of our making: the tags and entities html.c writes. */
static int known_tag(const char *s, size_t n) {
  static const char *const tags[] = {
      "!DOCTYPE", "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p",
      "b", "table", "tr", "th", "td", "svg", "text", "rect", "section", "span", "mark"};
  size_t k = 0;
  if (k < n && s[k] == '/') k++;
  size_t start = k;
  while (k < n && s[k] != ' ' && s[k] != '>' && s[k] != '/') k++;
  for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
    if (k - start == strlen(tags[i]) && memcmp(s + start, tags[i], k - start) == 0) return 1;
  return 0;
}

static int known_entity(const char *s, size_t n) {
  static const char *const ents[] = {"&lt;", "&gt;", "&amp;", "&quot;", "&#39;", "&ndash;", "&hellip;"};
  for (size_t i = 0; i < sizeof ents / sizeof ents[0]; i++)
    if (n >= strlen(ents[i]) && memcmp(s, ents[i], strlen(ents[i])) == 0) return 1;
  return 0;
}

/* HTML of html.c's making: valid UTF-8; every tag a known one and closed
 * by '>', with no '<' inside; outside tags no '"' or '>', and every '&'
 * a known entity: no byte of the input left its text. */
static void check_html(const char *s, size_t n) {
  KZ_REQUIRE(valid_utf8((const unsigned char *)s, n));
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '<') {
      KZ_REQUIRE(known_tag(s + i + 1, n - i - 1));
      const char *end = memchr(s + i + 1, '>', n - i - 1);
      KZ_REQUIRE(end && !memchr(s + i + 1, '<', (size_t)(end - s) - i - 1));
      i = (size_t)(end - s);
    } else {
      KZ_REQUIRE(s[i] != '"' && s[i] != '>');
      if (s[i] == '&') KZ_REQUIRE(known_entity(s + i, n - i));
    }
  }
}

int kz_fuzz_html(const uint8_t *data, size_t size);
int kz_fuzz_html(const uint8_t *data, size_t size) {
  const kuzat_model *m = kz_models[0];
  size_t nm = kuzat_model_markers(m);
  double *thr = calloc(nm + 1, sizeof *thr); /* every threshold 0: every document flagged */
  kuzat_segment *seg = malloc((size + 1) * sizeof *seg);
  size_t *counts = calloc(nm + 1, sizeof *counts);
  if (!thr || !seg || !counts) goto out;
  opts o;
  memset(&o, 0, sizeof o);
  o.out = OUT_HTML;
  o.threshold = -1;
  ctx c;
  memset(&c, 0, sizeof c);
  c.o = &o;
  c.model = m;
  c.model_id = kuzat_model_id(m);
  c.nm = nm;
  c.thr = thr;
  c.keep_probs = 1;
  while (c.decision < nm && strcmp(kuzat_model_marker(m, c.decision), KUZAT_DECISION_MARKER) != 0)
    c.decision++;
  kuzat_score_params_default(&c.sp);
  c.sp.explain = 8;
  c.sp.window_bytes = 64 + (size % 200); /* long texts in windows too */
  job j;
  memset(&j, 0, sizeof j);
  const char *text = (const char *)data, *nl = memchr(data, '\n', size);
  j.id = text;
  j.id_len = nl ? (size_t)(nl - text) : 0;
  j.text = nl ? nl + 1 : text;
  j.text_len = size - (size_t)(j.text - text);
  j.full_len = j.text_len + (size % 3 == 0); /* now and then "cut" */
  j.labels = j.lang = "";
  j.encoding = size % 5 == 0 ? "windows-1251" : NULL;
  if (size && (data[0] & 1)) { /* a transcript of its lines */
    for (size_t i = 0, start = 0; i <= j.text_len; i++)
      if (i == j.text_len || j.text[i] == '\n') {
        seg[j.nseg] = (kuzat_segment){(double)j.nseg, (double)j.nseg + 0.5, start, i - start};
        j.nseg++;
        start = i + 1;
      }
    j.seg = seg;
  }
  run_job(&c, &j, kz_scorers[0], &kz_norm, NULL);
  check_html(j.out.p ? j.out.p : "", j.out.len);
  /* the page around it */
  report rep;
  memset(&rep, 0, sizeof rep);
  rep.records = rep.lang_records[j.lang_id] = 1;
  rep.flagged = rep.lang_flagged[j.lang_id] = j.flagged;
  for (size_t i = 0; j.prob && i < nm; i++) counts[i] = flag(&c, j.prob, i);
  rep.marker_flagged = counts;
  char *page = NULL;
  size_t page_len = 0;
  FILE *out = open_memstream(&page, &page_len);
  rep.html = j.out.len ? fmemopen(j.out.p, j.out.len, "r") : tmpfile();
  if (out && rep.html && html_page(&c, &rep, out) == 0 && fflush(out) == 0) check_html(page, page_len);
  if (rep.html) fclose(rep.html);
  if (out) fclose(out);
  free(page);
  free(j.out.p);
  free(j.msg);
  free(j.prob);
out:
  free(thr);
  free(seg);
  free(counts);
  return 0;
}
