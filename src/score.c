/*
 * score.c -- documents and transcripts to calibrated marker probabilities.
 *
 * A scorer normalises the whole document once (so language identification
 * and Uzbek transliteration see all of it), then scores stretches of the
 * normalised text: for a transcript, every segment on its own and every
 * window of `window` consecutive segments; for long plain text, windows of
 * about `window_bytes` bytes that overlap by half. A document's probability
 * for a marker is the largest of its windows', so one recruitment pitch in
 * two hours of small talk is not averaged away.
 *
 * The normaliser's per-byte source offsets carry segment boundaries into
 * the normalised text (a segment is the normalised bytes whose source lies
 * inside it) and carry explanations back out to the caller's bytes.
 *
 * Explanations (the n-grams and words behind a marker's decision value)
 * are explain.c's.
 */
#include "internal.h"
#include "score.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>


void kuzat_score_params_default(kuzat_score_params *p) {
  if (!p) return;
  p->window = 5;
  p->window_bytes = 4096;
  p->explain = 0;
  p->threshold = -1;
}

int kuzat_scorer_new(const kuzat_model *m, const kuzat_allocator *alloc, kuzat_scorer **out,
                     kuzat_error *err) {
  kuzat__error_clear(err);
  if (!m || !out) return kuzat__fail(err, KUZAT_EINVAL, "NULL argument");
  *out = NULL;
  kz_alloc a;
  kuzat__alloc_init(&a, alloc);
  kuzat_scorer *s = kuzat__calloc(&a, 1, sizeof *s);
  if (!s) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  s->a = a;
  s->m = m;
  s->nm = kuzat_model_markers(m);
  for (s->decision = 0; s->decision < s->nm; s->decision++)
    if (strcmp(kuzat_model_marker(m, s->decision), KUZAT_DECISION_MARKER) == 0) break;
  size_t nm = s->nm ? s->nm : 1;
  s->prob = kuzat__calloc(&a, nm * 4, sizeof *s->prob);
  s->best = kuzat__calloc(&a, nm * 2, sizeof *s->best);
  s->flagged = kuzat__calloc(&a, nm, sizeof *s->flagged);
  s->explain = kuzat__calloc(&a, nm, sizeof *s->explain);
  s->wp_ptr = kuzat__calloc(&a, nm, sizeof *s->wp_ptr);
  s->wp_len = kuzat__calloc(&a, nm, sizeof *s->wp_len);
  if (!s->prob || !s->best || !s->flagged || !s->explain || !s->wp_ptr || !s->wp_len) {
    kuzat_scorer_free(s);
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  }
  s->dec = s->prob + nm;
  s->thr = s->prob + 2 * nm;
  s->tmp = s->prob + 3 * nm;
  s->explain_len = s->best + nm;
  kuzat_feature_params fp;
  kuzat_model_feature_params(m, &fp);
  int rc = kuzat_normaliser_new(alloc, &s->norm, err);
  if (!rc) rc = kuzat_featuriser_new(&fp, alloc, &s->feat, err);
  if (rc) {
    kuzat_scorer_free(s);
    return rc;
  }
  *out = s;
  return KUZAT_OK;
}

void kuzat_scorer_free(kuzat_scorer *s) {
  if (!s) return;
  kz_alloc a = s->a;
  kuzat_normaliser_free(s->norm);
  kuzat_featuriser_free(s->feat);
  kuzat__free(&a, s->prob);
  kuzat__free(&a, s->best);
  kuzat__free(&a, s->flagged);
  kuzat__free(&a, (void *)s->explain);
  kuzat__free(&a, s->win);
  kuzat__free(&a, s->wprob);
  kuzat__free(&a, s->sprob);
  kuzat__free(&a, s->seg_lo);
  kuzat__free(&a, s->seg_hi);
  kuzat__free(&a, s->con);
  kuzat__free(&a, s->gram);
  kuzat__free(&a, s->gout);
  kuzat__free(&a, s->arena);
  kuzat__free(&a, s->hv);
  kuzat__free(&a, s->hval);
  kuzat__free(&a, s->tok);
  kuzat__free(&a, s->word);
  kuzat__free(&a, s->wpart);
  kuzat__free(&a, s->wcount);
  kuzat__free(&a, s->wp);
  kuzat__free(&a, (void *)s->wp_ptr);
  kuzat__free(&a, s->wp_len);
  kuzat__free(&a, s);
}

/* Probabilities of every marker for normalised bytes [lo, hi) into
 * prob[0 .. nm-1], decision values into dec (may be NULL). */
static int score_range(kuzat_scorer *s, size_t lo, size_t hi, double *prob, double *dec,
                       kuzat_error *err) {
  if (kuzat__model_dot(s->m, s->feat, s->t.utf8 + lo, hi - lo, s->tmp))
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  for (size_t i = 0; i < s->nm; i++) {
    prob[i] = kuzat_model_probability(s->m, i, s->tmp[i]);
    if (dec) dec[i] = s->tmp[i];
  }
  return KUZAT_OK;
}

/* First normalised byte whose source starts at or after `src`. */
static size_t lower_bound(const size_t *src_start, size_t n, size_t src) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (src_start[mid] < src) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

static int add_window(kuzat_scorer *s, size_t nw, size_t first, size_t last) {
  if (kuzat__grow(&s->a, (void **)&s->win, &s->win_cap, nw + 1, sizeof *s->win))
    return KUZAT_ENOMEM;
  s->win[nw].first = first;
  s->win[nw].last = last;
  return KUZAT_OK;
}

/* Windows over plain normalised text: [lo, hi) ranges, stored in
 * win[].first/last for now (as byte offsets). */
static int plain_windows(kuzat_scorer *s, size_t wb, size_t *count) {
  const char *u = s->t.utf8;
  size_t n = s->t.len, nw = 0;
  if (n <= wb) {
    *count = 1;
    return add_window(s, 0, 0, n);
  }
  size_t lo = 0;
  for (;;) {
    size_t hi = lo + wb;
    if (hi >= n) hi = n;
    else {
      size_t h = hi; /* end at a space in the second half, else a character */
      while (h > lo + wb / 2 && u[h] != ' ') h--;
      if (u[h] == ' ') hi = h;
      while (hi > lo + 1 && ((unsigned char)u[hi] & 0xC0) == 0x80) hi--;
    }
    if (add_window(s, nw++, lo, hi)) return KUZAT_ENOMEM;
    if (hi == n) break;
    size_t next = lo + wb / 2, l = next; /* start after a space, else a character */
    while (l < next + wb / 4 && l < hi && u[l] != ' ') l++;
    next = l < hi && u[l] == ' ' ? l + 1 : next;
    while (next < hi && ((unsigned char)u[next] & 0xC0) == 0x80) next++;
    if (next <= lo) next = hi; /* cannot happen with wb >= 64; never loop */
    lo = next;
  }
  *count = nw;
  return KUZAT_OK;
}

int kuzat_score(kuzat_scorer *s, const char *text, size_t len, const kuzat_segment *segs,
                size_t nsegs, const kuzat_score_params *p, const kuzat_result **out,
                kuzat_error *err) {
  kuzat__error_clear(err);
  if (s) s->t_ok = 0;
  if (!s || !out || (!text && len) || (!segs && nsegs))
    return kuzat__fail(err, KUZAT_EINVAL, "NULL argument");
  *out = NULL;
  kuzat_score_params def;
  kuzat_score_params_default(&def);
  if (!p) p = &def;
  if (p->window < 1) return kuzat__fail(err, KUZAT_EINVAL, "window must be at least 1 segment");
  if (p->window_bytes < 64)
    return kuzat__fail(err, KUZAT_EINVAL, "window_bytes %zu is below 64", p->window_bytes);
  if (p->threshold > 1 || p->threshold != p->threshold)
    return kuzat__fail(err, KUZAT_EINVAL, "threshold must be at most 1 (negative: the model's)");
  if (p->explain > 1000) return kuzat__fail(err, KUZAT_EINVAL, "explain %zu is above 1000", p->explain);
  for (size_t k = 0; k < nsegs; k++)
    if (segs[k].off > len || segs[k].len > len - segs[k].off ||
        (k && segs[k].off < segs[k - 1].off + segs[k - 1].len))
      return kuzat__fail(err, KUZAT_EINVAL, "segment %zu is out of order or outside the text", k);
  if (!text) text = "";

  size_t nm = s->nm;
  /* offsets cost time on every byte: only when segments, explanations or
   * windows need them (text rarely grows when normalised; if it does, it is
   * normalised again below) */
  int need_offsets = nsegs > 0 || p->explain > 0 || len > p->window_bytes;
  int rc = kuzat_normalise(s->norm, text, len, need_offsets ? KUZAT_NORM_OFFSETS : 0, &s->t, err);
  if (!rc && !need_offsets && s->t.len > p->window_bytes) /* it grew: windows need offsets */
    rc = kuzat_normalise(s->norm, text, len, KUZAT_NORM_OFFSETS, &s->t, err);
  if (rc) return rc;

  /* windows, as normalised byte ranges in win[].first/last for now */
  size_t nw = 0;
  if (nsegs) {
    if (kuzat__grow(&s->a, (void **)&s->seg_lo, &s->seg_lo_cap, nsegs, sizeof *s->seg_lo) ||
        kuzat__grow(&s->a, (void **)&s->seg_hi, &s->seg_hi_cap, nsegs, sizeof *s->seg_hi) ||
        kuzat__grow(&s->a, (void **)&s->sprob, &s->sprob_cap, nsegs * nm + 1, sizeof *s->sprob))
      return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
    size_t W = p->window < nsegs ? p->window : nsegs;
    for (size_t k = 0; k < nsegs; k++) {
      s->seg_lo[k] = lower_bound(s->t.src_start, s->t.len, segs[k].off);
      s->seg_hi[k] = lower_bound(s->t.src_start, s->t.len, segs[k].off + segs[k].len);
      if (s->seg_hi[k] < s->seg_lo[k]) s->seg_hi[k] = s->seg_lo[k];
    }
    /* the runs of W segments, then (when W > 1) each segment alone: one
     * line of recruitment among small talk must not be diluted by it */
    for (size_t k = 0; k + W <= nsegs; k++)
      if (add_window(s, nw++, s->seg_lo[k], s->seg_hi[k + W - 1]))
        return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
    for (size_t k = 0; W > 1 && k < nsegs; k++)
      if (add_window(s, nw++, s->seg_lo[k], s->seg_hi[k]))
        return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  } else if (plain_windows(s, p->window_bytes, &nw)) {
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  }
  if (kuzat__grow(&s->a, (void **)&s->wprob, &s->wprob_cap, nw * nm + 1, sizeof *s->wprob))
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");

  for (size_t i = 0; i < nm; i++) {
    s->prob[i] = -1;
    s->best[i] = 0;
    s->explain_len[i] = 0;
    s->explain[i] = NULL;
    s->wp_len[i] = 0;
    s->wp_ptr[i] = NULL;
  }
  for (size_t w = 0; w < nw; w++) {
    size_t lo = s->win[w].first, hi = s->win[w].last;
    double *wp = s->wprob + w * nm;
    rc = score_range(s, lo, hi, wp, s->tmp, err);
    if (rc) return rc;
    for (size_t i = 0; i < nm; i++)
      if (wp[i] > s->prob[i]) {
        s->prob[i] = wp[i];
        s->dec[i] = s->tmp[i];
        s->best[i] = w;
      }
  }

  if (nsegs) /* the last nsegs windows are the segments alone */
    memcpy(s->sprob, s->wprob + (nw - nsegs) * nm, nsegs * nm * sizeof *s->sprob);

  /* explanations, while windows are still normalised ranges */
  s->ngram = 0;
  s->arena_len = 0;
  if (p->explain && nm) {
    if (kuzat__grow(&s->a, (void **)&s->con, &s->con_cap, nm * p->explain, sizeof *s->con) ||
        kuzat__grow(&s->a, (void **)&s->wp, &s->wp_cap, nm * p->explain, sizeof *s->wp))
      return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
    for (size_t i = 0; i < nm; i++) {
      s->explain[i] = s->con + i * p->explain;
      s->wp_ptr[i] = s->wp + i * p->explain;
      if (kuzat_model_kernel(s->m, i) != KUZAT_KERNEL_LINEAR) continue;
      const kuzat_window *w = &s->win[s->best[i]];
      rc = kuzat__explain_marker(s, i, w->first, w->last, p->explain, err);
      if (rc) return rc;
      if (kuzat__explain_words(s, i, w->first, w->last, p->explain))
        return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
    }
    if (kuzat__link_grams(s)) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  }

  /* windows in the caller's terms */
  size_t W = nsegs && p->window < nsegs ? p->window : nsegs;
  size_t runs = nsegs ? nsegs - W + 1 : 0;
  for (size_t w = 0; w < nw; w++) {
    kuzat_window *win = &s->win[w];
    if (nsegs) {
      win->first = w < runs ? w : w - runs;
      win->last = w < runs ? w + W - 1 : w - runs;
      win->src_start = segs[win->first].off;
      win->src_end = segs[win->last].off + segs[win->last].len;
    } else {
      size_t lo = win->first, hi = win->last;
      kuzat__src_range(s, lo, hi, &win->src_start, &win->src_end);
      if (w == 0) win->src_start = 0; /* what was trimmed belongs to the ends */
      if (w == nw - 1) win->src_end = len;
      win->first = win->last = 0;
    }
  }

  kuzat_result *r = &s->res;
  memset(r, 0, sizeof *r);
  r->lang = s->t.lang;
  r->markers = nm;
  r->any_flagged = 0;
  r->score = 0;
  for (size_t i = 0; i < nm; i++) {
    s->thr[i] = p->threshold >= 0 ? p->threshold : kuzat_model_threshold(s->m, i);
    s->flagged[i] = s->prob[i] >= s->thr[i];
    r->any_flagged |= s->flagged[i];
    if (s->prob[i] > r->score) r->score = s->prob[i];
  }
  if (s->decision < nm) { /* the decision marker decides; the others say why */
    r->any_flagged = s->flagged[s->decision];
    r->score = s->prob[s->decision];
  }
  r->prob = s->prob;
  r->decision = s->dec;
  r->best = s->best;
  r->flagged = s->flagged;
  r->threshold = s->thr;
  r->windows = nw;
  r->window = s->win;
  r->window_prob = s->wprob;
  r->segments = nsegs;
  r->segment_prob = nsegs ? s->sprob : NULL;
  r->explain = p->explain ? s->explain : NULL;
  r->explain_len = s->explain_len;
  r->explain_words = p->explain ? s->wp_ptr : NULL;
  r->explain_words_len = s->wp_len;
  *out = r;
  s->t_ok = 1;
  return KUZAT_OK;
}

const kuzat_text *kuzat_scorer_text(const kuzat_scorer *s) {
  return s && s->t_ok ? &s->t : NULL;
}
