/*
 * html.c -- --format-out html: one self-contained review page. First the
 * summary (documents read, flagged, not read) and two bar charts (flagged
 * documents per language and per marker, inline SVG), then each flagged
 * document: its score, markers, language and script, where its worst
 * window is, and the text there with the explanation's words highlighted.
 * Nothing is fetched from anywhere and no script runs: styles are inline.
 * Every byte of input (ids, text) goes through html_text(), so a document
 * holding "<script>" shows it as text.
 *
 * A document's part is built in its job's buffer by a worker, like any
 * output line; report.c keeps the parts in a temporary file, in input
 * order, and html_page() writes the page around them at the end.
 */
#include "classify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* At most this many bytes of a document are shown: its worst window, cut. */
#define HTML_EXCERPT 4000
/* At most this many explanation words are highlighted. */
#define HTML_WORDS 32

typedef struct span {
  size_t start, end;
  double weight;
} span;

/* The explanation's words of marker `top` that lie in the text, sorted by
 * where they start; their number. */
static size_t word_spans(const kuzat_result *r, size_t top, size_t len, span *out) {
  size_t n = 0;
  if (!r->explain_words_len || top >= r->markers) return 0;
  for (size_t k = 0; k < r->explain_words_len[top] && n < HTML_WORDS; k++) {
    const kuzat_word_part *w = &r->explain_words[top][k];
    if (w->src_start >= w->src_end || w->src_end > len) continue;
    span s = {w->src_start, w->src_end, w->value};
    size_t i = n++;
    for (; i > 0 && out[i - 1].start > s.start; i--) out[i] = out[i - 1];
    out[i] = s;
  }
  return n;
}

/* text[from..to) with the spans in it highlighted (overlaps dropped). */
static void put_marked(buf *b, const char *text, size_t from, size_t to, const span *sp, size_t n) {
  size_t at = from;
  for (size_t i = 0; i < n; i++) {
    if (sp[i].start < at || sp[i].end > to) continue;
    html_text(b, text + at, sp[i].start - at);
    buf_printf(b, "<mark%s title=\"%+.2f\">", sp[i].weight < 0 ? " class=\"neg\"" : "",
               sp[i].weight);
    html_text(b, text + sp[i].start, sp[i].end - sp[i].start);
    buf_puts(b, "</mark>");
    at = sp[i].end;
  }
  html_text(b, text + at, to - at);
}

/* Where a cut at `n` bytes of s leaves a whole UTF-8 character. */
static size_t char_cut(const char *s, size_t n) {
  while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
  return n;
}

static void put_meta(const ctx *c, job *j, const kuzat_result *r, size_t top) {
  buf *b = &j->out;
  buf_printf(b, "<p class=\"meta\"><span class=\"lang\">%s</span> <span class=\"script\">%s</span>",
             kuzat_lang_name(r->lang), j->script);
  if (j->encoding) {
    buf_puts(b, " <span class=\"enc\">");
    html_text(b, j->encoding, strlen(j->encoding));
    buf_puts(b, "</span>");
  }
  for (size_t i = 0; i < c->nm; i++) {
    if (!flag(c, r->prob, i)) continue;
    buf_puts(b, " <span class=\"marker\">");
    html_text(b, kuzat_model_marker(c->model, i), strlen(kuzat_model_marker(c->model, i)));
    buf_puts(b, " ");
    put_prob(b, r->prob[i]);
    buf_puts(b, "</span>");
  }
  if (j->nseg) {
    double t0, t1;
    window_times(j, &r->window[r->best[top]], &t0, &t1);
    buf_puts(b, " <span class=\"worst\">worst: ");
    put_clock(b, t0);
    buf_puts(b, " &ndash; ");
    put_clock(b, t1);
    buf_puts(b, "</span>");
  } else if (r->windows > 1) {
    const kuzat_window *w = &r->window[r->best[top]];
    size_t c0 = utf8_chars(j->text, w->src_start);
    buf_printf(b, " <span class=\"worst\">worst: characters %zu &ndash; %zu</span>", c0,
               c0 + utf8_chars(j->text + w->src_start, w->src_end - w->src_start));
  }
  if (j->full_len > j->text_len)
    buf_printf(b, " <span class=\"cut\">first %zu of %zu bytes scored</span>", j->text_len,
               j->full_len);
  buf_puts(b, "</p>\n");
}

void html_document(const ctx *c, job *j, const kuzat_result *r, kuzat_normaliser *n,
                   const kmatch *km) {
  if (!(j->flagged || j->known) || !c->nm) return;
  buf *b = &j->out;
  size_t top = top_marker(c, r->prob);
  span sp[HTML_WORDS];
  size_t nsp = word_spans(r, top, j->text_len, sp);
  buf_puts(b, "<section class=\"doc\">\n<h3><span class=\"score\">");
  put_prob(b, r->score);
  buf_puts(b, "</span> <span class=\"id\">");
  html_text(b, j->id, j->id_len);
  buf_puts(b, "</span></h3>\n");
  put_meta(c, j, r, top);
  known_put_html(km, j, b);
  const kuzat_window *w = &r->window[r->best[top]];
  if (j->nseg) { /* the worst window's cues, with their times */
    size_t shown = 0;
    for (size_t k = w->first; k <= w->last && k < j->nseg && shown < HTML_EXCERPT; k++) {
      const kuzat_segment *g = &j->seg[k];
      const char *lang, *script;
      segment_lang(j, k, n, &lang, &script);
      buf_puts(b, "<p class=\"cue\"><span class=\"t\">");
      put_clock(b, g->start);
      buf_printf(b, "</span> <span class=\"lang\">%s %s</span> ", lang, script);
      put_marked(b, j->text, g->off, g->off + g->len, sp, nsp);
      buf_puts(b, "</p>\n");
      shown += g->len;
    }
  } else {
    size_t from = r->windows > 1 ? w->src_start : 0, to = r->windows > 1 ? w->src_end : j->text_len;
    if (to > j->text_len) to = j->text_len;
    if (from > to) from = to;
    size_t cut = to - from > HTML_EXCERPT ? from + char_cut(j->text + from, HTML_EXCERPT) : to;
    buf_puts(b, "<p class=\"text\">");
    put_marked(b, j->text, from, cut, sp, nsp);
    if (cut < to) buf_puts(b, " <span class=\"cut\">&hellip;</span>");
    buf_puts(b, "</p>\n");
  }
  buf_puts(b, "</section>\n");
}

/* ---- the page ---- */

static const char page_style[] =
    "body{font-family:sans-serif;margin:2em auto;max-width:60em;color:#222;background:#fff}"
    "h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.6em}h3{font-size:1em;margin:0}"
    "#count{font-size:1.2em}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}"
    "td:first-child,th:first-child{text-align:left}"
    ".doc{border:1px solid #ccc;border-left:.4em solid #b22;padding:.6em 1em;margin:1em 0}"
    ".score{font-weight:bold;color:#b22}.id{font-family:monospace}"
    ".meta span{margin-right:.8em}.marker{background:#eee;padding:0 .3em}"
    ".text,.cue{white-space:pre-wrap;line-height:1.5}.t{color:#777;font-family:monospace}"
    ".known{color:#630}mark{background:#fd6;padding:0 .1em}mark.neg{background:#cde}.cut{color:#777}svg text{font-size:13px}";

/* A bar chart of (label, count) pairs, as inline SVG. */
static void put_chart(buf *b, const char *title, const char *const *label, const size_t *n,
                      size_t rows) {
  size_t max = 1, shown = 0;
  for (size_t i = 0; i < rows; i++) {
    if (n[i] > max) max = n[i];
    shown += n[i] > 0;
  }
  buf_printf(b, "<h2>%s</h2>\n", title);
  if (!shown) {
    buf_puts(b, "<p>none</p>\n");
    return;
  }
  buf_printf(b, "<svg class=\"chart\" width=\"640\" height=\"%zu\" role=\"img\">\n", shown * 24 + 4);
  size_t y = 2;
  for (size_t i = 0; i < rows; i++) {
    if (!n[i]) continue;
    size_t w = 1 + 400 * n[i] / max;
    buf_printf(b, "<text x=\"0\" y=\"%zu\">", y + 15);
    html_text(b, label[i], strlen(label[i]));
    buf_printf(b, "</text><rect x=\"180\" y=\"%zu\" width=\"%zu\" height=\"18\" fill=\"#b22\"/>"
               "<text x=\"%zu\" y=\"%zu\">%zu</text>\n", y, w, 186 + w, y + 15, n[i]);
    y += 24;
  }
  buf_puts(b, "</svg>\n");
}

static void put_summary(buf *b, const ctx *c, const report *rep) {
  buf_printf(b, "<p id=\"count\"><b>%zu</b> documents read, <b>%zu</b> flagged, <b>%zu</b> not "
             "read", rep->records, rep->flagged, rep->errors);
  if (rep->not_text) buf_printf(b, " (%zu not text)", rep->not_text);
  if (c->nknown) buf_printf(b, ", <b>%zu</b> matching a known text", rep->known);
  buf_puts(b, ".</p>\n<p>Model ");
  html_text(b, c->model_id, strlen(c->model_id));
  buf_puts(b, ".</p>\n<table><tr><th>language</th><th>documents</th><th>flagged</th></tr>\n");
  const char *label[KUZAT_LANG_COUNT];
  size_t n[KUZAT_LANG_COUNT], rows = 0;
  for (int l = 1; l <= KUZAT_LANG_COUNT; l++) { /* "other" last */
    int k = l % KUZAT_LANG_COUNT;
    if (!rep->lang_records[k]) continue;
    buf_printf(b, "<tr><td>%s</td><td>%zu</td><td>%zu</td></tr>\n", kuzat_lang_name(k),
               rep->lang_records[k], rep->lang_flagged[k]);
    label[rows] = kuzat_lang_name(k);
    n[rows++] = rep->lang_flagged[k];
  }
  buf_puts(b, "</table>\n");
  put_chart(b, "Flagged documents per language", label, n, rows);
}

static void put_marker_chart(buf *b, const ctx *c, const report *rep) {
  const char **label = malloc((c->nm + 1) * sizeof *label);
  if (!label) {
    b->oom = 1;
    return;
  }
  for (size_t i = 0; i < c->nm; i++) label[i] = kuzat_model_marker(c->model, i);
  put_chart(b, "Flagged documents per marker", label, rep->marker_flagged, c->nm);
  free(label);
}

int html_page(const ctx *c, const report *rep, FILE *out) {
  buf b = {NULL, 0, 0, 0};
  buf_printf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             "<title>kuzat review: %zu flagged of %zu documents</title>\n<style>%s</style>\n"
             "</head>\n<body>\n<h1>kuzat review</h1>\n", rep->flagged, rep->records, page_style);
  put_summary(&b, c, rep);
  put_marker_chart(&b, c, rep);
  if (c->nknown)
    buf_printf(&b, "<h2>Flagged documents (%zu), and documents matching a known text (%zu)</h2>\n",
               rep->flagged, rep->known);
  else
    buf_printf(&b, "<h2>Flagged documents (%zu)</h2>\n", rep->flagged);
  if (!rep->flagged && !rep->known) buf_puts(&b, "<p>No document was flagged.</p>\n");
  int rc = b.oom || fwrite(b.p, 1, b.len, out) != b.len ? -1 : 0;
  char chunk[1 << 16];
  size_t n;
  rewind(rep->html);
  while (!rc && (n = fread(chunk, 1, sizeof chunk, rep->html)) > 0)
    if (fwrite(chunk, 1, n, out) != n) rc = -1;
  if (ferror(rep->html)) rc = -1;
  if (!rc && fputs("</body>\n</html>\n", out) == EOF) rc = -1;
  free(b.p);
  return rc;
}
