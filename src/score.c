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
 * Explanations exist for linear markers, whose decision value is a sum over
 * buckets of weight times feature value: the buckets with the largest parts
 * are kept, and a second pass over the window's n-grams (without building a
 * vector) finds the n-grams that fell into them and where they are.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct kuzat_scorer {
  kz_alloc a;
  const kuzat_model *m;
  size_t nm;
  size_t decision; /* the marker named "propaganda", or nm: none */
  kuzat_normaliser *norm;
  kuzat_featuriser *feat;
  kuzat_result res;
  kuzat_text t;
  /* per marker */
  double *prob, *dec, *thr, *tmp;
  size_t *best, *explain_len;
  int *flagged;
  const kuzat_contribution **explain;
  /* per window and per segment */
  kuzat_window *win;
  size_t win_cap;
  double *wprob, *sprob;
  size_t wprob_cap, sprob_cap;
  size_t *seg_lo, *seg_hi; /* normalised byte range of each segment */
  size_t seg_lo_cap, seg_hi_cap;
  /* explanations: markers * K contributions, their n-grams, n-gram bytes */
  kuzat_contribution *con;
  size_t con_cap;
  struct kz_gram {
    size_t owner; /* index into con */
    kuzat_ngram g;
    size_t text_off; /* into arena */
  } *gram;
  size_t gram_cap, ngram;
  kuzat_ngram *gout;
  size_t gout_cap;
  char *arena;
  size_t arena_cap, arena_len;
  /* word parts: the window's hashes, its word tokens, their parts */
  struct kz_hb {
    uint64_t hash;
    uint32_t bucket; /* 0-based */
  } *hv;
  size_t hv_cap, nhv;
  double *hval; /* per distinct hash (sorted hv): its part per occurrence */
  size_t hval_cap;
  kuzat_token *tok;
  size_t tok_cap;
  size_t *word; /* token indices of the words */
  size_t word_cap, nword;
  double *wpart;
  size_t *wcount;
  size_t wpart_cap, wcount_cap;
  kuzat_word_part *wp; /* markers * K */
  size_t wp_cap;
  const kuzat_word_part **wp_ptr;
  size_t *wp_len;
};

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
  if (kuzat__featurise_dot(s->feat, s->t.utf8 + lo, hi - lo, s->m, s->tmp))
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

/* Source bytes of normalised bytes [lo, hi). */
static void src_range(const kuzat_scorer *s, size_t lo, size_t hi, size_t *start,
                      size_t *end) {
  if (!s->t.src_start || lo >= hi || lo >= s->t.len) {
    *start = *end = s->t.src_start && lo < s->t.len ? s->t.src_start[lo] : 0;
    return;
  }
  *start = s->t.src_start[lo];
  *end = s->t.src_end[hi - 1];
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

/* ---- explanations ---- */

typedef struct explain_ctx {
  kuzat_scorer *s;
  size_t base;      /* normalised offset of the window */
  size_t con0, ncon; /* this marker's contributions: con[con0 .. con0+ncon) */
  uint64_t mask;
  int rc;
} explain_ctx;

static void on_feature(void *ud, uint64_t hash, int ns, const char *bytes, size_t len,
                       size_t start, size_t end) {
  explain_ctx *c = ud;
  kuzat_scorer *s = c->s;
  if (c->rc) return;
  int index = (int)(hash & c->mask) + 1;
  size_t k = 0;
  while (k < c->ncon && s->con[c->con0 + k].index != index) k++;
  if (k == c->ncon) return;
  size_t owner = c->con0 + k;
  for (size_t g = s->ngram; g-- > 0 && s->gram[g].owner >= c->con0;) {
    struct kz_gram *q = &s->gram[g];
    if (q->owner == owner && q->g.ns == ns && q->g.len == len &&
        memcmp(s->arena + q->text_off, bytes, len) == 0) {
      q->g.count++;
      return;
    }
  }
  if (kuzat__grow(&s->a, (void **)&s->gram, &s->gram_cap, s->ngram + 1, sizeof *s->gram) ||
      kuzat__grow(&s->a, (void **)&s->arena, &s->arena_cap, s->arena_len + len + 1, 1)) {
    c->rc = KUZAT_ENOMEM;
    return;
  }
  struct kz_gram *q = &s->gram[s->ngram++];
  memset(q, 0, sizeof *q);
  q->owner = owner;
  q->g.ns = ns;
  q->g.len = len;
  q->g.count = 1;
  q->text_off = s->arena_len;
  memcpy(s->arena + s->arena_len, bytes, len);
  s->arena_len += len;
  s->arena[s->arena_len++] = '\0';
  src_range(s, c->base + start, c->base + end, &q->g.src_start, &q->g.src_end);
}

/* The K largest contributions to marker i's decision in window [lo, hi). */
static int explain_marker(kuzat_scorer *s, size_t i, size_t lo, size_t hi, size_t K,
                          kuzat_error *err) {
  const kuzat_feature *x;
  size_t n;
  int rc = kuzat_featurise(s->feat, s->t.utf8 + lo, hi - lo, &x, &n, err);
  if (rc) return rc;
  size_t con0 = i * K, ncon = 0;
  kuzat_contribution *con = s->con + con0;
  for (size_t q = 0; q < n; q++) {
    double v = kuzat__model_weight(s->m, i, x[q].index) * x[q].value;
    if (v == 0) continue;
    /* insertion into the top K by |value|; ties keep the lower index */
    size_t at = ncon;
    while (at > 0 && fabs(con[at - 1].value) < fabs(v)) at--;
    if (at >= K) continue;
    size_t last = ncon < K ? ncon : K - 1;
    memmove(con + at + 1, con + at, (last - at) * sizeof *con);
    con[at].index = x[q].index;
    con[at].value = v;
    con[at].ngrams = NULL;
    con[at].ngrams_len = 0;
    if (ncon < K) ncon++;
  }
  s->explain_len[i] = ncon;
  if (!ncon) return KUZAT_OK;
  kuzat_feature_params fp;
  kuzat_model_feature_params(s->m, &fp);
  explain_ctx c = {s, lo, con0, ncon, ((uint64_t)1 << fp.bits) - 1, KUZAT_OK};
  rc = kuzat__featurise_visit(s->feat, s->t.utf8 + lo, hi - lo, on_feature, &c);
  if (!rc) rc = c.rc;
  if (rc) return kuzat__fail(err, rc, "out of memory");
  return KUZAT_OK;
}

/* ---- word parts ---- */

typedef struct words_ctx {
  kuzat_scorer *s;
  uint64_t mask;
  int pass; /* 1: collect hashes; 2: attribute */
  int rc;
} words_ctx;

/* Order by bucket, then by hash, so a bucket's hashes are one run. */
static int cmp_bucket_hash(const void *a, const void *b) {
  const struct kz_hb *x = a, *y = b;
  if (x->bucket != y->bucket) return x->bucket < y->bucket ? -1 : 1;
  return x->hash < y->hash ? -1 : x->hash > y->hash;
}

/* The word holding normalised window byte `pos`: the first word that ends
 * after it. nword when there is none. */
static size_t word_at(const kuzat_scorer *s, size_t pos) {
  size_t lo = 0, hi = s->nword;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const kuzat_token *t = &s->tok[s->word[mid]];
    if (t->off + t->len <= pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

static size_t find_hash(const kuzat_scorer *s, const struct kz_hb *key) {
  size_t lo = 0, hi = s->nhv;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (cmp_bucket_hash(&s->hv[mid], key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

static void on_word_feature(void *ud, uint64_t hash, int ns, const char *bytes, size_t len,
                            size_t start, size_t end) {
  words_ctx *c = ud;
  kuzat_scorer *s = c->s;
  (void)bytes;
  (void)len;
  if (c->rc) return;
  struct kz_hb key = {hash, (uint32_t)(hash & c->mask)};
  if (c->pass == 1) {
    if (kuzat__grow(&s->a, (void **)&s->hv, &s->hv_cap, s->nhv + 1, sizeof *s->hv)) {
      c->rc = KUZAT_ENOMEM;
      return;
    }
    s->hv[s->nhv++] = key;
    return;
  }
  size_t q = find_hash(s, &key);
  if (q >= s->nhv || s->hv[q].hash != hash) return;
  double part = s->hval[q];
  size_t w1 = word_at(s, start);
  size_t w2 = end > start ? word_at(s, end - 1) : w1;
  int pair = ns != KUZAT_NS_WORD && ns != KUZAT_NS_CHAR && ns != KUZAT_NS_CLASS && w2 != w1 &&
             w2 < s->nword;
  if (w1 >= s->nword) return;
  if (pair) {
    s->wpart[w1] += part / 2;
    s->wpart[w2] += part / 2;
  } else {
    s->wpart[w1] += part;
  }
}

/* The K words with the largest parts in marker i's decision over window
 * [lo, hi), into s->wp + i * K. */
static int explain_words(kuzat_scorer *s, size_t i, size_t lo, size_t hi, size_t K) {
  const char *text = s->t.utf8 + lo;
  size_t len = hi - lo;
  kuzat_feature_params fp;
  kuzat_model_feature_params(s->m, &fp);
  words_ctx c = {s, ((uint64_t)1 << fp.bits) - 1, 1, KUZAT_OK};
  s->nhv = 0;
  int rc = kuzat__featurise_visit(s->feat, text, len, on_word_feature, &c);
  if (!rc) rc = c.rc;
  if (rc) return rc;
  /* a window without features leaves hv NULL, which qsort() must not get */
  if (s->nhv > 1) qsort(s->hv, s->nhv, sizeof *s->hv, cmp_bucket_hash);
  /* distinct keys with their counts; bucket sums for the norm */
  if (kuzat__grow(&s->a, (void **)&s->hval, &s->hval_cap, s->nhv + 1, sizeof *s->hval))
    return KUZAT_ENOMEM;
  size_t nd = 0;
  double norm2 = 0, bucket_sum = 0;
  uint32_t cur_bucket = UINT32_MAX;
  for (size_t q = 0; q < s->nhv;) {
    size_t r = q + 1;
    while (r < s->nhv && s->hv[r].hash == s->hv[q].hash) r++;
    size_t tf = r - q;
    double v = (1.0 + log((double)tf)) * ((s->hv[q].hash >> 63) ? -1.0 : 1.0);
    if (s->hv[q].bucket != cur_bucket) {
      norm2 += bucket_sum * bucket_sum;
      bucket_sum = 0;
      cur_bucket = s->hv[q].bucket;
    }
    bucket_sum += v;
    s->hv[nd] = s->hv[q];
    s->hval[nd] = v / (double)tf; /* per occurrence, before weight and norm */
    nd++;
    q = r;
  }
  norm2 += bucket_sum * bucket_sum;
  s->nhv = nd;
  double inv = norm2 > 0 ? 1.0 / sqrt(norm2) : 0;
  for (size_t q = 0; q < nd; q++)
    s->hval[q] *= inv * kuzat__model_weight(s->m, i, (int)s->hv[q].bucket + 1);
  /* the window's words */
  size_t nt = 0;
  kuzat_tokenise(text, len, NULL, 0, &nt);
  if (kuzat__grow(&s->a, (void **)&s->tok, &s->tok_cap, nt + 1, sizeof *s->tok) ||
      kuzat__grow(&s->a, (void **)&s->word, &s->word_cap, nt + 1, sizeof *s->word) ||
      kuzat__grow(&s->a, (void **)&s->wpart, &s->wpart_cap, nt + 1, sizeof *s->wpart) ||
      kuzat__grow(&s->a, (void **)&s->wcount, &s->wcount_cap, nt + 1, sizeof *s->wcount))
    return KUZAT_ENOMEM;
  kuzat_tokenise(text, len, s->tok, s->tok_cap, &nt);
  s->nword = 0;
  for (size_t q = 0; q < nt; q++)
    if (s->tok[q].kind == KUZAT_TOKEN_WORD || s->tok[q].kind == KUZAT_TOKEN_NUMBER)
      s->word[s->nword++] = q;
  for (size_t q = 0; q < s->nword; q++) s->wpart[q] = 0;
  c.pass = 2;
  rc = kuzat__featurise_visit(s->feat, text, len, on_word_feature, &c);
  if (rc) return rc;
  /* one entry per distinct word: parts of later occurrences move to the first */
  for (size_t q = 0; q < s->nword; q++) s->wcount[q] = 1;
  for (size_t q = 1; q < s->nword; q++) {
    const kuzat_token *t = &s->tok[s->word[q]];
    for (size_t p = 0; p < q; p++) {
      const kuzat_token *u = &s->tok[s->word[p]];
      if (s->wcount[p] && u->len == t->len && memcmp(text + u->off, text + t->off, t->len) == 0) {
        s->wpart[p] += s->wpart[q];
        s->wcount[p]++;
        s->wcount[q] = 0;
        break;
      }
    }
  }
  kuzat_word_part *out = s->wp + i * K;
  size_t n = 0;
  for (size_t q = 0; q < s->nword; q++) {
    double v = s->wpart[q];
    if (!s->wcount[q] || v == 0) continue;
    size_t at = n;
    while (at > 0 && fabs(out[at - 1].value) < fabs(v)) at--;
    if (at >= K) continue;
    size_t last = n < K ? n : K - 1;
    memmove(out + at + 1, out + at, (last - at) * sizeof *out);
    const kuzat_token *t = &s->tok[s->word[q]];
    out[at].word = text + t->off;
    out[at].len = t->len;
    out[at].value = v;
    out[at].count = s->wcount[q];
    src_range(s, lo + t->off, lo + t->off + t->len, &out[at].src_start, &out[at].src_end);
    if (n < K) n++;
  }
  s->wp_ptr[i] = out;
  s->wp_len[i] = n;
  return KUZAT_OK;
}

/* Point every contribution at its n-grams, once all are collected (the
 * arrays may have moved while they grew). */
static int link_grams(kuzat_scorer *s) {
  if (kuzat__grow(&s->a, (void **)&s->gout, &s->gout_cap, s->ngram + 1, sizeof *s->gout))
    return KUZAT_ENOMEM;
  size_t out = 0;
  /* for each contribution, its grams in first-seen order */
  for (size_t i = 0; i < s->nm; i++) {
    kuzat_contribution *con = (kuzat_contribution *)s->explain[i];
    for (size_t k = 0; k < s->explain_len[i]; k++) {
      size_t owner = (size_t)(con + k - s->con);
      con[k].ngrams = s->gout + out;
      for (size_t g = 0; g < s->ngram; g++)
        if (s->gram[g].owner == owner) {
          s->gout[out] = s->gram[g].g;
          s->gout[out].text = s->arena + s->gram[g].text_off;
          out++;
        }
      con[k].ngrams_len = (size_t)(s->gout + out - con[k].ngrams);
    }
  }
  return KUZAT_OK;
}

int kuzat_score(kuzat_scorer *s, const char *text, size_t len, const kuzat_segment *segs,
                size_t nsegs, const kuzat_score_params *p, const kuzat_result **out,
                kuzat_error *err) {
  kuzat__error_clear(err);
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
      rc = explain_marker(s, i, w->first, w->last, p->explain, err);
      if (rc) return rc;
      if (explain_words(s, i, w->first, w->last, p->explain))
        return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
    }
    if (link_grams(s)) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
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
      src_range(s, lo, hi, &win->src_start, &win->src_end);
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
  return KUZAT_OK;
}
