/*
 * explain.c -- why a linear marker scored what it did.
 *
 * Explanations exist for linear markers, whose decision value is a sum over
 * buckets of weight times feature value: the buckets with the largest parts
 * are kept, and a second pass over the window's n-grams (without building a
 * vector) finds the n-grams that fell into them and where they are. Word
 * parts gather a word's character n-grams into one figure, easier to read.
 * Called by kuzat_score() (score.c) on the scorer's buffers (score.h).
 */
#include "internal.h"
#include "score.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
  kuzat__src_range(s, c->base + start, c->base + end, &q->g.src_start, &q->g.src_end);
}

/* The K largest contributions to marker i's decision in window [lo, hi). */
int kuzat__explain_marker(kuzat_scorer *s, size_t i, size_t lo, size_t hi, size_t K,
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
int kuzat__explain_words(kuzat_scorer *s, size_t i, size_t lo, size_t hi, size_t K) {
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
    kuzat__src_range(s, lo + t->off, lo + t->off + t->len, &out[at].src_start, &out[at].src_end);
    if (n < K) n++;
  }
  s->wp_ptr[i] = out;
  s->wp_len[i] = n;
  return KUZAT_OK;
}

/* Point every contribution at its n-grams, once all are collected (the
 * arrays may have moved while they grew). */
int kuzat__link_grams(kuzat_scorer *s) {
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

