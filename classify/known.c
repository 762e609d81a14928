/*
 * known.c -- kuzat-classify --known: every record is matched against the
 * indexes of known texts (kuzat_known_*), whether or not the classifier
 * flags it, and its matches are added to its line.
 *
 * The indexes are loaded once and shared by every worker; each worker has
 * one kmatch: a matcher serving all the indexes and the hits of the
 * record it is on, gathered from every index and sorted best first. The
 * text the scorer has just normalised (kuzat_scorer_text()) is matched as
 * it is, so a record is normalised once for scoring and matching.
 */
#include "classify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kmatch {
  kuzat_known_matcher *m;
  kuzat_known_hit *hit; /* copies: ids and labels point into the indexes */
  size_t *from;         /* the index each hit came from */
  size_t n, cap;
};

int known_option(opts *o, int which, const char *arg) {
  if (which == KNOWN_OPT_INDEX) {
    const char **p = realloc(o->known, (o->nknown + 1) * sizeof *p);
    if (!p) {
      fprintf(stderr, "kuzat-classify: out of memory\n");
      return 2;
    }
    o->known = p;
    p[o->nknown++] = arg;
    return 0;
  }
  char *end;
  errno = 0;
  double v = strtod(arg, &end);
  if (errno || end == arg || *end || !(v > 0 && v <= 1)) {
    fprintf(stderr, "kuzat-classify: bad --known-threshold '%s' (expected a similarity above 0, "
                    "at most 1)\nTry 'kuzat-classify --help' for more information.\n", arg);
    return 2;
  }
  o->known_threshold = v;
  return 0;
}

int known_load(ctx *c) {
  const opts *o = c->o;
  if (!o->nknown) {
    if (o->known_threshold > 0) {
      fprintf(stderr, "kuzat-classify: --known-threshold needs --known\n");
      return 2;
    }
    return 0;
  }
  if (o->normalize) {
    fprintf(stderr, "kuzat-classify: --known is for scoring, not --normalize\n");
    return 2;
  }
  c->known = calloc(o->nknown, sizeof *c->known);
  if (!c->known) {
    fprintf(stderr, "kuzat-classify: out of memory\n");
    return 2;
  }
  for (size_t i = 0; i < o->nknown; i++) {
    kuzat_error err;
    if (kuzat_known_load_file(o->known[i], NULL, &c->known[i], &err)) {
      fprintf(stderr, "kuzat-classify: %s\n", err.msg);
      return 2;
    }
    c->nknown = i + 1;
  }
  return 0;
}

void known_unload(ctx *c) {
  for (size_t i = 0; i < c->nknown; i++) kuzat_known_free(c->known[i]);
  free(c->known);
  c->known = NULL;
  c->nknown = 0;
}

int known_tools_new(const ctx *c, kmatch **out) {
  *out = NULL;
  if (!c->nknown) return 0;
  kmatch *k = calloc(1, sizeof *k);
  kuzat_error err;
  if (!k) {
    fprintf(stderr, "kuzat-classify: out of memory\n");
    return 2;
  }
  if (kuzat_known_matcher_new(NULL, &k->m, &err)) {
    fprintf(stderr, "kuzat-classify: %s\n", err.msg);
    free(k);
    return 2;
  }
  *out = k;
  return 0;
}

void known_tools_free(kmatch *k) {
  if (!k) return;
  kuzat_known_matcher_free(k->m);
  free(k->hit);
  free(k->from);
  free(k);
}

static int keep(kmatch *k, const kuzat_known_hit *h, size_t n, size_t from) {
  if (k->n + n > k->cap) {
    size_t cap = k->cap ? k->cap : 16;
    while (cap < k->n + n) cap *= 2;
    kuzat_known_hit *hit = realloc(k->hit, cap * sizeof *hit);
    if (hit) k->hit = hit;
    size_t *fr = realloc(k->from, cap * sizeof *fr);
    if (fr) k->from = fr;
    if (!hit || !fr) return -1;
    k->cap = cap;
  }
  for (size_t i = 0; i < n; i++) {
    k->hit[k->n] = h[i];
    k->from[k->n++] = from;
  }
  return 0;
}

/* Best first; ties: the earlier index, then the earlier document. An
 * insertion sort: a record matches a handful of documents. */
static void sort_hits(kmatch *k) {
  for (size_t i = 1; i < k->n; i++) {
    kuzat_known_hit h = k->hit[i];
    size_t f = k->from[i], j = i;
    while (j > 0 && (k->hit[j - 1].similarity < h.similarity ||
                     (k->hit[j - 1].similarity == h.similarity &&
                      (k->from[j - 1] > f || (k->from[j - 1] == f && k->hit[j - 1].doc > h.doc))))) {
      k->hit[j] = k->hit[j - 1];
      k->from[j] = k->from[j - 1];
      j--;
    }
    k->hit[j] = h;
    k->from[j] = f;
  }
}

int known_find(const ctx *c, kmatch *k, const job *j, const kuzat_text *norm, kuzat_error *err) {
  if (!k) return 0;
  k->n = 0;
  double thr = c->o->known_threshold > 0 ? c->o->known_threshold : -1; /* -1: each index's */
  for (size_t i = 0; i < c->nknown; i++) {
    const kuzat_known_hit *h;
    size_t n;
    int rc = norm ? kuzat_known_match_text(k->m, c->known[i], j->text, j->text_len, norm,
                                           thr, &h, &n, err)
                  : kuzat_known_match(k->m, c->known[i], j->text, j->text_len,
                                      thr, &h, &n, err);
    if (rc) return rc;
    if (keep(k, h, n, i)) {
      snprintf(err->msg, sizeof err->msg, "out of memory holding the known matches");
      return err->status = KUZAT_ENOMEM;
    }
  }
  sort_hits(k);
  return 0;
}

size_t known_count(const kmatch *k) { return k ? k->n : 0; }

/* The times of the segments that cover bytes [start, end) of a
 * transcript: from their earliest start to their latest end. Returns 0
 * when none does (a match in the joins between segments only). */
static int span_times(const job *j, size_t start, size_t end, double *t0, double *t1) {
  int found = 0;
  for (size_t s = 0; s < j->nseg; s++) {
    const kuzat_segment *g = &j->seg[s];
    if (g->off >= end || g->off + g->len <= start) continue;
    if (!found || g->start < *t0) *t0 = g->start;
    if (!found || g->end > *t1) *t1 = g->end;
    found = 1;
  }
  return found;
}

/* start and end: byte offsets, or a transcript's times. */
static void put_where(buf *b, const job *j, const kuzat_known_hit *h, int pretty) {
  double t0 = 0, t1 = 0;
  if (j->nseg && span_times(j, h->start, h->end, &t0, &t1)) {
    if (pretty) {
      buf_puts(b, " at ");
      put_clock(b, t0);
      buf_puts(b, "-");
      put_clock(b, t1);
      return;
    }
    buf_puts(b, ",\"start\":");
    put_time(b, t0);
    buf_puts(b, ",\"end\":");
    put_time(b, t1);
  } else if (pretty) {
    buf_printf(b, " at bytes %zu-%zu", h->start, h->end);
  } else {
    buf_printf(b, ",\"start\":%zu,\"end\":%zu", h->start, h->end);
  }
}

void known_put_html(const kmatch *k, const job *j, buf *b) {
  for (size_t i = 0; k && i < k->n; i++) {
    const kuzat_known_hit *h = &k->hit[i];
    buf_puts(b, "<p class=\"known\">known text <span class=\"id\">");
    html_text(b, h->id, h->id_len);
    buf_puts(b, "</span> ");
    put_prob(b, h->similarity);
    put_where(b, j, h, 1); /* digits, colons and dots only */
    buf_puts(b, "</p>\n");
  }
}

void known_put_json(const kmatch *k, const job *j, buf *b) {
  if (!k) return;
  buf_puts(b, ",\"known\":[");
  for (size_t i = 0; i < k->n; i++) {
    const kuzat_known_hit *h = &k->hit[i];
    buf_puts(b, i ? ",{\"id\":" : "{\"id\":");
    json_string(b, h->id, h->id_len);
    buf_puts(b, ",\"labels\":[");
    for (size_t p = 0, first = 1; p < h->labels_len; first = 0) {
      size_t q = p;
      while (q < h->labels_len && h->labels[q] != ',') q++;
      if (!first) buf_puts(b, ",");
      json_string(b, h->labels + p, q - p);
      p = q + 1;
    }
    buf_puts(b, "],\"similarity\":");
    put_prob(b, h->similarity);
    put_where(b, j, h, 0);
    buf_puts(b, "}");
  }
  buf_puts(b, "]");
}

void known_put_pretty(const kmatch *k, const job *j, buf *b) {
  for (size_t i = 0; k && i < k->n; i++) {
    const kuzat_known_hit *h = &k->hit[i];
    buf_puts(b, "  known ");
    tsv_field(b, h->id, h->id_len);
    buf_puts(b, " ");
    put_prob(b, h->similarity);
    put_where(b, j, h, 1);
  }
}
