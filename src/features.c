/*
 * features.c -- the feature hasher: normalised text to a sparse vector.
 *
 * Tokens come from kuzat_tokenise(). Each feature is a namespace byte and
 * some UTF-8 bytes, hashed with XXH3-64 and the model's seed; the low `bits`
 * bits pick the bucket and bit 63 the sign, so two features that share a
 * bucket tend to cancel rather than add up. The hash is part of the model
 * format: XXH3 is defined on bytes, so the result does not depend on the
 * CPU's byte order or on whether char is signed, and kuzat_feature_hash()
 * lets anyone reproduce a feature (README.md lists test vectors).
 *
 * Weights: a feature seen tf times in the document weighs 1 + ln(tf)
 * (sublinear, so a word repeated fifty times does not drown the rest),
 * features sharing a bucket are summed, and the vector is L2-normalised so
 * long and short documents score on one scale.
 *
 * The output has libsvm's svm_node layout: indices ascending from 1, one
 * entry per bucket, ended by index -1, which libsvm assumes and never
 * checks.
 */
#include "internal.h"

#include <libsvm/svm.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
/* XXH3 inlined: most features are a few bytes long, where a call into the
 * shared library costs as much as the hash. */
#define XXH_INLINE_ALL
#include <xxhash.h>

_Static_assert(sizeof(kuzat_feature) == sizeof(struct svm_node) &&
                   offsetof(kuzat_feature, index) == offsetof(struct svm_node, index) &&
                   offsetof(kuzat_feature, value) == offsetof(struct svm_node, value),
               "kuzat_feature must have libsvm's svm_node layout");

#define KZ_MAX_WORD_N 4
#define KZ_MAX_CHAR_N 8
#define KZ_MAX_GRAM 256 /* bytes of one hashed feature; longer words are cut */

struct kuzat_featuriser {
  kz_alloc a;
  kuzat_feature_params p;
  kuzat_token *toks;
  size_t toks_cap;
  uint64_t *keys; /* the document's feature hashes */
  uint64_t *tmp;  /* radix-sort scratch, as long as keys */
  size_t keys_cap, tmp_cap, nkeys;
  size_t *wt; /* indices of the word-like tokens, for word n-grams */
  size_t wt_cap;
  kuzat_feature *out;
  size_t out_cap;
  kz_visit_fn visit; /* kuzat__featurise_visit(): report, do not collect */
  void *visit_ud;
};

void kuzat_feature_params_default(kuzat_feature_params *p) {
  if (!p) return;
  p->seed = 0;
  p->bits = 20;
  p->word_min = 1;
  p->word_max = 2;
  p->char_min = 2;
  p->char_max = 5;
}

/* The namespace enters through the seed, not as a byte in front of the
 * text, so that a character n-gram can be hashed where it lies in its word
 * without being copied. */
static inline uint64_t feature_hash(uint64_t seed, int ns, const char *bytes, size_t len) {
  return XXH3_64bits_withSeed(bytes, len, seed ^ ((uint64_t)(unsigned)ns * 0x9E3779B97F4A7C15ull));
}

uint64_t kuzat_feature_hash(uint64_t seed, int ns, const char *bytes, size_t len) {
  return feature_hash(seed, ns & 0xFF, bytes ? bytes : "", bytes ? len : 0);
}

int kuzat__feature_params_check(const kuzat_feature_params *p, kuzat_error *err) {
  if (p->bits < 1 || p->bits > 28)
    return kuzat__fail(err, KUZAT_EINVAL, "feature bits %d out of range 1..28", p->bits);
  if (p->word_min < 0 || p->word_max > KZ_MAX_WORD_N || p->word_min > p->word_max ||
      (p->word_min == 0 && p->word_max != 0))
    return kuzat__fail(err, KUZAT_EINVAL, "word n-grams %d..%d: expected 1..%d, or 0..0",
                       p->word_min, p->word_max, KZ_MAX_WORD_N);
  if (p->char_min < 0 || p->char_max > KZ_MAX_CHAR_N || p->char_min > p->char_max ||
      (p->char_min == 0 && p->char_max != 0))
    return kuzat__fail(err, KUZAT_EINVAL, "character n-grams %d..%d: expected 1..%d, or 0..0",
                       p->char_min, p->char_max, KZ_MAX_CHAR_N);
  return KUZAT_OK;
}

int kuzat_featuriser_new(const kuzat_feature_params *p, const kuzat_allocator *alloc,
                         kuzat_featuriser **out, kuzat_error *err) {
  kuzat__error_clear(err);
  if (!out) return kuzat__fail(err, KUZAT_EINVAL, "out is NULL");
  *out = NULL;
  kuzat_feature_params def;
  kuzat_feature_params_default(&def);
  if (!p) p = &def;
  int rc = kuzat__feature_params_check(p, err);
  if (rc) return rc;
  kz_alloc a;
  kuzat__alloc_init(&a, alloc);
  kuzat_featuriser *f = kuzat__calloc(&a, 1, sizeof *f);
  if (!f) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  f->a = a;
  f->p = *p;
  *out = f;
  return KUZAT_OK;
}

void kuzat_featuriser_free(kuzat_featuriser *f) {
  if (!f) return;
  kz_alloc a = f->a;
  kuzat__free(&a, f->toks);
  kuzat__free(&a, f->keys);
  kuzat__free(&a, f->tmp);
  kuzat__free(&a, f->wt);
  kuzat__free(&a, f->out);
  kuzat__free(&a, f);
}

/* Record one feature's hash; it lies at bytes [start, end) of the
 * normalised text. */
static int add(kuzat_featuriser *f, int ns, const char *bytes, size_t len, size_t start,
               size_t end) {
  if (KZ_UNLIKELY(f->visit != NULL)) {
    f->visit(f->visit_ud, feature_hash(f->p.seed, ns, bytes, len), ns, bytes, len, start, end);
    return KUZAT_OK;
  }
  if (f->nkeys == f->keys_cap &&
      kuzat__grow(&f->a, (void **)&f->keys, &f->keys_cap, f->nkeys + 1, sizeof *f->keys))
    return KUZAT_ENOMEM;
  f->keys[f->nkeys++] = feature_hash(f->p.seed, ns, bytes, len);
  return KUZAT_OK;
}

/* The character n-grams of "<word>", the word being at byte `woff` of the
 * normalised text. */
static int add_char_grams(kuzat_featuriser *f, const char *w, size_t len, size_t woff) {
  char buf[KZ_MAX_GRAM + 2];
  size_t off[KZ_MAX_GRAM + 3], ncp = 0, blen = 0;
  if (len > KZ_MAX_GRAM) len = KZ_MAX_GRAM;
  buf[blen++] = '<';
  memcpy(buf + blen, w, len);
  blen += len;
  buf[blen++] = '>';
  for (size_t i = 0; i < blen; i++)
    if (((unsigned char)buf[i] & 0xC0) != 0x80) off[ncp++] = i;
  off[ncp] = blen;
  for (size_t i = 0; i < ncp; i++)
    for (int n = f->p.char_min; n <= f->p.char_max && i + (size_t)n <= ncp; n++) {
      size_t b = off[i], e = off[i + (size_t)n]; /* in buf; '<' is buf[0] */
      size_t start = woff + (b ? b - 1 : 0), end = woff + (e < blen ? e : blen - 1) - 1;
      if (add(f, KUZAT_NS_CHAR, buf + b, e - b, start, end < start ? start : end))
        return KUZAT_ENOMEM;
    }
  return KUZAT_OK;
}

/* Word n-grams ending at word-like token k: the n tokens joined by spaces. */
static int add_word_grams(kuzat_featuriser *f, const char *s, const size_t *wt, size_t k) {
  for (int n = f->p.word_min; n >= 1 && n <= f->p.word_max && (size_t)n <= k + 1; n++) {
    char buf[KZ_MAX_GRAM];
    size_t blen = 0;
    for (size_t q = k + 1 - (size_t)n; q <= k; q++) {
      const kuzat_token *t = &f->toks[wt[q]];
      if (blen && blen < sizeof buf) buf[blen++] = ' ';
      size_t take = t->len < sizeof buf - blen ? t->len : sizeof buf - blen;
      memcpy(buf + blen, s + t->off, take);
      blen += take;
    }
    int ns = n == 1 ? KUZAT_NS_WORD : n == 2 ? KUZAT_NS_BIGRAM : 0x10 + n;
    const kuzat_token *first = &f->toks[wt[k + 1 - (size_t)n]], *last = &f->toks[wt[k]];
    if (add(f, ns, buf, blen, first->off, last->off + last->len)) return KUZAT_ENOMEM;
  }
  return KUZAT_OK;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Sort the hashes by bucket (their low `bits` bits): a least-significant-
 * digit radix sort, 8 bits a pass, several times faster than qsort on the
 * thousand-odd features of a tweet. */
static int sort_by_bucket(kuzat_featuriser *f) {
  if (kuzat__grow(&f->a, (void **)&f->tmp, &f->tmp_cap, f->nkeys, sizeof *f->tmp))
    return KUZAT_ENOMEM;
  uint64_t *src = f->keys, *dst = f->tmp;
  for (int shift = 0; shift < f->p.bits; shift += 8) {
    size_t count[257] = {0};
    unsigned width = (unsigned)(f->p.bits - shift < 8 ? f->p.bits - shift : 8);
    uint64_t dmask = (1u << width) - 1;
    for (size_t i = 0; i < f->nkeys; i++) count[((src[i] >> shift) & dmask) + 1]++;
    for (int d = 0; d < 256; d++) count[d + 1] += count[d];
    for (size_t i = 0; i < f->nkeys; i++) dst[count[(src[i] >> shift) & dmask]++] = src[i];
    uint64_t *t = src; src = dst; dst = t;
  }
  if (src != f->keys) { /* an odd number of passes left them in tmp */
    uint64_t *t = f->keys; f->keys = f->tmp; f->tmp = t;
    size_t c = f->keys_cap; f->keys_cap = f->tmp_cap; f->tmp_cap = c;
  }
  return KUZAT_OK;
}

/* 1 + ln(tf), from a table for the small counts nearly every feature has. */
static double tf_weight(size_t tf) {
  static const double w[9] = {0, 1.0, 1.6931471805599454, 2.0986122886681098,
                              2.386294361119891, 2.6094379124341003, 2.791759469228055,
                              2.9459101490553135, 3.0794415416798357};
  return tf < 9 ? w[tf] : 1.0 + log((double)tf);
}

/* Hashes to weighted, summed, normalised buckets in f->out. */
static int build_vector(kuzat_featuriser *f, size_t *count) {
  if (sort_by_bucket(f) ||
      kuzat__grow(&f->a, (void **)&f->out, &f->out_cap, f->nkeys + 1, sizeof *f->out))
    return KUZAT_ENOMEM;
  uint64_t mask = (1ull << f->p.bits) - 1;
  size_t n = 0;
  double norm2 = 0;
  for (size_t i = 0; i < f->nkeys;) {
    size_t j = i + 1; /* the bucket's run */
    while (j < f->nkeys && ((f->keys[j] ^ f->keys[i]) & mask) == 0) j++;
    size_t same = i + 1; /* usually the run is one feature, maybe repeated */
    while (same < j && f->keys[same] == f->keys[i]) same++;
    if (same < j) qsort(f->keys + i, j - i, sizeof *f->keys, cmp_u64);
    double sum = 0;
    for (size_t q = i; q < j;) {
      size_t r = q + 1;
      while (r < j && f->keys[r] == f->keys[q]) r++;
      sum += tf_weight(r - q) * ((f->keys[q] >> 63) ? -1.0 : 1.0);
      q = r;
    }
    if (sum != 0) { /* a bucket whose features cancelled exactly is dropped */
      f->out[n].index = (int)(f->keys[i] & mask) + 1;
      f->out[n].value = sum;
      norm2 += sum * sum;
      n++;
    }
    i = j;
  }
  double inv = norm2 > 0 ? 1.0 / sqrt(norm2) : 0;
  for (size_t i = 0; i < n; i++) f->out[i].value *= inv;
  f->out[n].index = -1;
  f->out[n].value = 0;
  *count = n;
  return KUZAT_OK;
}

/* Every feature of the text into f->keys (or to f->visit). */
static int collect(kuzat_featuriser *f, const char *norm, size_t len) {
  size_t nt = 0;
  kuzat_tokenise(norm, len, NULL, 0, &nt);
  if (kuzat__grow(&f->a, (void **)&f->toks, &f->toks_cap, nt + 1, sizeof *f->toks))
    return KUZAT_ENOMEM;
  kuzat_tokenise(norm, len, f->toks, f->toks_cap, &nt);
  if (kuzat__grow(&f->a, (void **)&f->wt, &f->wt_cap, nt + 1, sizeof *f->wt))
    return KUZAT_ENOMEM;
  size_t *wt = f->wt;
  static const char *const class_name[] = {NULL, "num", "url", "mention", "hashtag", "email"};
  f->nkeys = 0;
  size_t nw = 0;
  int rc = KUZAT_OK;
  for (size_t i = 0; i < nt && !rc; i++) {
    const kuzat_token *t = &f->toks[i];
    if (t->kind != KUZAT_TOKEN_WORD) {
      const char *cls = class_name[t->kind];
      rc = add(f, KUZAT_NS_CLASS, cls, strlen(cls), t->off, t->off + t->len);
      if (t->kind != KUZAT_TOKEN_NUMBER) continue; /* its parts follow */
    }
    wt[nw] = i;
    if (f->p.word_max) rc = rc ? rc : add_word_grams(f, norm, wt, nw);
    nw++;
    if (!rc && f->p.char_max && t->kind == KUZAT_TOKEN_WORD)
      rc = add_char_grams(f, norm + t->off, t->len, t->off);
  }
  return rc;
}

int kuzat_featurise(kuzat_featuriser *f, const char *norm, size_t len,
                    const kuzat_feature **out, size_t *count, kuzat_error *err) {
  kuzat__error_clear(err);
  if (!f || !out || !count || (!norm && len))
    return kuzat__fail(err, KUZAT_EINVAL, "NULL argument");
  int rc = collect(f, norm ? norm : "", len);
  if (!rc) rc = build_vector(f, count);
  if (rc) return kuzat__fail(err, rc, "out of memory");
  *out = f->out;
  return KUZAT_OK;
}

int kuzat__featurise_visit(kuzat_featuriser *f, const char *norm, size_t len,
                           kz_visit_fn fn, void *ud) {
  f->visit = fn;
  f->visit_ud = ud;
  int rc = collect(f, norm ? norm : "", len);
  f->visit = NULL;
  f->visit_ud = NULL;
  return rc;
}
