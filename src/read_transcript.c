/*
 * read_transcript.c -- a transcript as SRT, WebVTT, Whisper and JSONL
 * "segments" all give it: the segments' texts joined by '\n' into the
 * record's text, each kuzat_segment pointing into it, both within the
 * limit; and the clock times they are timed by (docs/FORMATS.md,
 * "Transcripts").
 */
#include "reader.h"

#include <string.h>

void kuzat__tr_reset(kuzat_reader *r) {
  r->segs_len = r->t_len = r->t_full = r->t_nseg = 0;
  r->t_open = r->t_has_text = 0;
}

/* Append n bytes to the joined text, keeping no more than the limit;
 * `count` more bytes are counted without being there (kuzat__read_line()
 * left them out). The open segment grows with the text. */
static int tr_put(kuzat_reader *r, const char *s, size_t n, size_t count) {
  size_t room = !r->limit ? n : r->limit > r->t_len ? r->limit - r->t_len : 0;
  size_t k = n < room ? n : room;
  if (k) {
    if (kuzat__grow(&r->a, (void **)&r->text, &r->text_cap, r->t_len + k + 1, 1))
      return KUZAT_ENOMEM;
    memcpy(r->text + r->t_len, s, k);
    r->t_len += k;
  }
  r->t_full += n + count;
  if (r->t_open) r->segs[r->segs_len - 1].len = r->t_full - r->segs[r->segs_len - 1].off;
  return KUZAT_OK;
}

/* Begin a segment: a '\n' after the previous one, then its record, kept
 * unless it starts past the limit (which bounds how many are kept). */
int kuzat__tr_segment(kuzat_reader *r, double start, double end) {
  r->t_open = r->t_has_text = 0;
  if (r->t_nseg++ && tr_put(r, "\n", 1, 0)) return KUZAT_ENOMEM;
  if (r->limit && r->t_full > r->limit) return KUZAT_OK;
  if (kuzat__grow(&r->a, (void **)&r->segs, &r->segs_cap, r->segs_len + 1, sizeof *r->segs))
    return KUZAT_ENOMEM;
  kuzat_segment *g = &r->segs[r->segs_len++];
  g->start = start;
  g->end = end;
  g->off = r->t_full;
  g->len = 0;
  r->t_open = 1;
  return KUZAT_OK;
}

/* Add a piece of the current segment's text, after a space if it has some
 * already; `count` as in tr_put(). Empty pieces add nothing. */
int kuzat__tr_text(kuzat_reader *r, const char *s, size_t n, size_t count) {
  if (!n && !count) return KUZAT_OK;
  if (r->t_has_text && tr_put(r, " ", 1, 0)) return KUZAT_ENOMEM;
  r->t_has_text = 1;
  return tr_put(r, s, n, count);
}

/* The transcript into the record: the text cut at the limit, the segments
 * past the cut dropped and the one straddling it shortened. */
int kuzat__tr_finish(kuzat_reader *r, kuzat_record *rec) {
  if (kuzat__grow(&r->a, (void **)&r->text, &r->text_cap, r->t_len + 1, 1))
    return KUZAT_ENOMEM;
  size_t cut = r->t_full > r->t_len ? kuzat__utf8_cut(r->text, r->t_len) : r->t_len;
  size_t n = 0;
  for (; n < r->segs_len; n++) {
    kuzat_segment *g = &r->segs[n];
    if (g->off > cut || (g->off == cut && g->len > 0)) break;
    if (g->len > cut - g->off) g->len = cut - g->off;
  }
  r->text[cut] = '\0';
  rec->text = r->text;
  rec->text_len = cut;
  rec->full_len = r->t_full;
  rec->segments = n ? r->segs : NULL;
  rec->segments_len = n;
  return KUZAT_OK;
}

/* ---- timestamps --------------------------------------------------------- */

/* A clock time "[[H:]MM:]SS[.f]" at the start of s[0..n) (docs/FORMATS.md,
 * "Timestamps") with at least `min_fields` fields; its value in seconds in
 * *out. Returns the bytes it took, 0 when there is none. Computed in whole
 * units of the fraction's last digit, then divided once, so that
 * "01:02:03,450" is exactly the double nearest 3723.45. */
size_t kuzat__parse_clock(const char *s, size_t n, int min_fields, double *out) {
  long long secs = 0, frac = 0, scale = 1;
  size_t i = 0;
  int fields = 0;
  for (;;) {
    size_t d0 = i;
    long long v = 0;
    while (i < n && kz_is_digit(s[i]) && i - d0 < 6) v = v * 10 + (s[i++] - '0');
    size_t nd = i - d0;
    if (nd == 0 || (i < n && kz_is_digit(s[i]))) return 0;
    if (fields > 0 && (nd != 2 || v >= 60)) return 0;
    secs = secs * 60 + v;
    if (++fields < 3 && i + 1 < n && s[i] == ':' && kz_is_digit(s[i + 1])) {
      i++;
      continue;
    }
    break;
  }
  if (fields < min_fields) return 0;
  if (i < n && (s[i] == '.' || s[i] == ',')) {
    size_t f0 = ++i;
    while (i < n && kz_is_digit(s[i]) && i - f0 < 9) {
      frac = frac * 10 + (s[i++] - '0');
      scale *= 10;
    }
    if (i == f0 || (i < n && kz_is_digit(s[i]))) return 0;
  }
  *out = (double)(secs * scale + frac) / (double)scale;
  return i;
}
