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

typedef struct kz_slot {
  uint64_t key;
  uint32_t gen, idx;
} kz_slot;

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
  kz_slot *slot; /* count_distinct()'s table */
  size_t slot_cap;
  uint32_t gen;  /* the current document's stamp in it */
  uint32_t *tf;  /* count of each distinct hash */
  size_t tf_cap;
  uint64_t *pk;  /* sort_by_bucket()'s scratch */
  size_t pk_cap;
  uint32_t *bin; /* its bin counts */
  size_t bin_cap;
  uint64_t ns_seed[5];  /* the seed of namespaces 1..4 */
  uint64_t class_hash[6]; /* the class feature of each KUZAT_TOKEN_* but WORD */
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

/* The same hash, the namespace's seed given: the short-input branch of
 * XXH3 called directly (every n-gram of a few letters takes it), so the
 * compiler folds the secret into constants. Identical by construction --
 * XXH3_64bits_withSeed() is this dispatch -- and checked against it by
 * tests/unit/test_features.c. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline uint64_t hash_seeded(const char *bytes, size_t len, uint64_t nseed) {
#if XXH_VERSION_NUMBER >= 800 && XXH_VERSION_NUMBER < 900
  if (KZ_LIKELY(len <= 16))
    return XXH3_len_0to16_64b((const xxh_u8 *)bytes, len, XXH3_kSecret, nseed);
#endif
  return XXH3_64bits_withSeed(bytes, len, nseed);
}

static inline uint64_t ns_seed(uint64_t seed, int ns) {
  return seed ^ ((uint64_t)(unsigned)ns * 0x9E3779B97F4A7C15ull);
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
  for (int ns = 1; ns <= 4; ns++) f->ns_seed[ns] = ns_seed(p->seed, ns);
  static const char *const class_name[] = {NULL, "num", "url", "mention", "hashtag", "email"};
  for (int k = 1; k < 6; k++)
    f->class_hash[k] = feature_hash(p->seed, KUZAT_NS_CLASS, class_name[k], strlen(class_name[k]));
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
  kuzat__free(&a, f->slot);
  kuzat__free(&a, f->tf);
  kuzat__free(&a, f->pk);
  kuzat__free(&a, f->bin);
  kuzat__free(&a, f);
}

/* ---- the explanation path: every feature with its bytes and span ---- */

/* Report one feature, which lies at bytes [start, end) of the normalised
 * text, to f->visit. */
static void add(kuzat_featuriser *f, int ns, const char *bytes, size_t len, size_t start,
                size_t end) {
  f->visit(f->visit_ud, feature_hash(f->p.seed, ns, bytes, len), ns, bytes, len, start, end);
}

/* The character n-grams of "<word>", the word being at byte `woff` of the
 * normalised text. */
static void add_char_grams(kuzat_featuriser *f, const char *w, size_t len, size_t woff) {
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
      add(f, KUZAT_NS_CHAR, buf + b, e - b, start, end < start ? start : end);
    }
}

/* Word n-grams ending at word-like token k: the n tokens joined by spaces,
 * each n-gram cut at KZ_MAX_GRAM bytes. Stored in buf; returns the length. */
static size_t word_gram(const kuzat_featuriser *f, const char *s, const size_t *wt, size_t k,
                        int n, char *buf) {
  size_t blen = 0;
  for (size_t q = k + 1 - (size_t)n; q <= k; q++) {
    const kuzat_token *t = &f->toks[wt[q]];
    if (blen && blen < KZ_MAX_GRAM) buf[blen++] = ' ';
    size_t take = t->len < KZ_MAX_GRAM - blen ? t->len : KZ_MAX_GRAM - blen;
    memcpy(buf + blen, s + t->off, take);
    blen += take;
  }
  return blen;
}

static int word_ns(int n) { return n == 1 ? KUZAT_NS_WORD : n == 2 ? KUZAT_NS_BIGRAM : 0x10 + n; }

static void add_word_grams(kuzat_featuriser *f, const char *s, const size_t *wt, size_t k) {
  for (int n = f->p.word_min; n >= 1 && n <= f->p.word_max && (size_t)n <= k + 1; n++) {
    char buf[KZ_MAX_GRAM];
    size_t blen = word_gram(f, s, wt, k, n, buf);
    const kuzat_token *first = &f->toks[wt[k + 1 - (size_t)n]], *last = &f->toks[wt[k]];
    add(f, word_ns(n), buf, blen, first->off, last->off + last->len);
  }
}

/* Tokenise into f->toks (one pass when the array is already long enough)
 * and make room for the indices of the word-like tokens. */
static int tokenise(kuzat_featuriser *f, const char *norm, size_t len, size_t *nt) {
  kuzat_tokenise(norm, len, f->toks, f->toks_cap, nt);
  if (*nt >= f->toks_cap) {
    if (kuzat__grow(&f->a, (void **)&f->toks, &f->toks_cap, *nt + 1, sizeof *f->toks))
      return KUZAT_ENOMEM;
    kuzat_tokenise(norm, len, f->toks, f->toks_cap, nt);
  }
  if (kuzat__grow(&f->a, (void **)&f->wt, &f->wt_cap, *nt + 1, sizeof *f->wt))
    return KUZAT_ENOMEM;
  return KUZAT_OK;
}

/* Every feature of the text to f->visit, in the order collect_keys() takes
 * them (tests/unit/test_features.c checks the two agree). */
static int collect_visit(kuzat_featuriser *f, const char *norm, size_t len) {
  size_t nt = 0;
  if (tokenise(f, norm, len, &nt)) return KUZAT_ENOMEM;
  size_t *wt = f->wt;
  static const char *const class_name[] = {NULL, "num", "url", "mention", "hashtag", "email"};
  size_t nw = 0;
  for (size_t i = 0; i < nt; i++) {
    const kuzat_token *t = &f->toks[i];
    if (t->kind != KUZAT_TOKEN_WORD) {
      const char *cls = class_name[t->kind];
      add(f, KUZAT_NS_CLASS, cls, strlen(cls), t->off, t->off + t->len);
      if (t->kind != KUZAT_TOKEN_NUMBER) continue; /* its parts follow */
    }
    wt[nw] = i;
    if (f->p.word_max) add_word_grams(f, norm, wt, nw);
    nw++;
    if (f->p.char_max && t->kind == KUZAT_TOKEN_WORD) add_char_grams(f, norm + t->off, t->len, t->off);
  }
  return KUZAT_OK;
}

/* ---- the scoring path: hashes only ---- */

/* The hashes of the character n-grams of "<word>" into out; returns how
 * many. At most (min(len, KZ_MAX_GRAM) + 2) * (char_max - char_min + 1). */
static size_t char_grams(const kuzat_featuriser *f, const char *w, size_t len, uint64_t *out) {
  char buf[KZ_MAX_GRAM + 2];
  uint16_t off[KZ_MAX_GRAM + 3];
  size_t ncp = 0, k = 0;
  if (len > KZ_MAX_GRAM) len = KZ_MAX_GRAM;
  buf[0] = '<';
  memcpy(buf + 1, w, len);
  size_t blen = len + 2;
  buf[blen - 1] = '>';
  for (size_t i = 0; i < blen; i++)
    if (((unsigned char)buf[i] & 0xC0) != 0x80) off[ncp++] = (uint16_t)i;
  off[ncp] = (uint16_t)blen;
  const uint64_t seed = f->ns_seed[KUZAT_NS_CHAR];
  const size_t cmin = (size_t)f->p.char_min, cmax = (size_t)f->p.char_max;
  for (size_t i = 0; i + cmin <= ncp; i++) {
    size_t nmax = ncp - i < cmax ? ncp - i : cmax;
    const char *b = buf + off[i];
    for (size_t n = cmin; n <= nmax; n++)
      out[k++] = hash_seeded(b, (size_t)(off[i + n] - off[i]), seed);
  }
  return k;
}

/* Every feature hash of the text into f->keys, in the order collect_visit()
 * reports them. */
static int collect_keys(kuzat_featuriser *f, const char *norm, size_t len) {
  size_t nt = 0;
  f->nkeys = 0;
  if (tokenise(f, norm, len, &nt)) return KUZAT_ENOMEM;
  const kuzat_token *toks = f->toks;
  /* room for every feature at once: a class feature and the word n-grams
   * of each token, the character n-grams of each word */
  size_t nword = f->p.word_max ? (size_t)(f->p.word_max - f->p.word_min + 1) : 0;
  size_t nchar = f->p.char_max ? (size_t)(f->p.char_max - f->p.char_min + 1) : 0;
  size_t wbytes = 0;
  for (size_t i = 0; i < nt; i++)
    if (toks[i].kind == KUZAT_TOKEN_WORD)
      wbytes += (toks[i].len < KZ_MAX_GRAM ? toks[i].len : KZ_MAX_GRAM) + 2;
  size_t bound = nt * (1 + nword) + wbytes * nchar;
  if (kuzat__grow(&f->a, (void **)&f->keys, &f->keys_cap, bound + 1, sizeof *f->keys))
    return KUZAT_ENOMEM;
  uint64_t *keys = f->keys;
  size_t *wt = f->wt, nk = 0, nw = 0;
  const int wmin = f->p.word_min, wmax = f->p.word_max;
  for (size_t i = 0; i < nt; i++) {
    const kuzat_token *t = &toks[i];
    if (t->kind != KUZAT_TOKEN_WORD) {
      keys[nk++] = f->class_hash[t->kind];
      if (t->kind != KUZAT_TOKEN_NUMBER) continue; /* its parts follow */
    }
    wt[nw] = i;
    for (int n = wmin; n >= 1 && n <= wmax && (size_t)n <= nw + 1; n++) {
      if (n == 1) { /* a word alone: hashed where it lies */
        size_t l = t->len < KZ_MAX_GRAM ? t->len : KZ_MAX_GRAM;
        keys[nk++] = hash_seeded(norm + t->off, l, f->ns_seed[KUZAT_NS_WORD]);
      } else {
        char buf[KZ_MAX_GRAM];
        size_t blen = word_gram(f, norm, wt, nw, n, buf);
        keys[nk++] = hash_seeded(buf, blen, ns_seed(f->p.seed, word_ns(n)));
      }
    }
    nw++;
    if (nchar && t->kind == KUZAT_TOKEN_WORD) nk += char_grams(f, norm + t->off, t->len, keys + nk);
  }
  f->nkeys = nk;
  return KUZAT_OK;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static void insertion_sort(uint64_t *a, size_t n) {
  for (size_t i = 1; i < n; i++) {
    uint64_t x = a[i];
    size_t j = i;
    for (; j > 0 && a[j - 1] > x; j--) a[j] = a[j - 1];
    a[j] = x;
  }
}

/* Count each distinct hash: f->keys[0 .. *nd) ends up holding the distinct
 * hashes in order of first appearance, f->tf their counts. An open-
 * addressing table of at least twice as many slots as hashes, indexed by
 * the top bits of the hash (the bucket is the low bits); a slot belongs to
 * the current document when its stamp is f->gen, so nothing is cleared
 * between documents. */
static int count_distinct(kuzat_featuriser *f, size_t *nd_out) {
  const size_t nk = f->nkeys;
  if (nk > UINT32_MAX) return KUZAT_ERANGE;
  unsigned lg = 1;
  while (((size_t)1 << lg) < 2 * nk) lg++;
  const size_t size = (size_t)1 << lg, mask = size - 1;
  if (size > f->slot_cap) {
    if (kuzat__grow(&f->a, (void **)&f->slot, &f->slot_cap, size, sizeof *f->slot))
      return KUZAT_ENOMEM;
    memset(f->slot, 0, f->slot_cap * sizeof *f->slot);
    f->gen = 0;
  }
  if (kuzat__grow(&f->a, (void **)&f->tf, &f->tf_cap, nk + 1, sizeof *f->tf))
    return KUZAT_ENOMEM;
  if (++f->gen == 0) { /* the stamps wrapped: start afresh */
    memset(f->slot, 0, f->slot_cap * sizeof *f->slot);
    f->gen = 1;
  }
  const uint32_t gen = f->gen;
  const unsigned shift = 64 - lg;
  kz_slot *slot = f->slot;
  uint64_t *keys = f->keys;
  uint32_t *tf = f->tf, nd = 0;
  for (size_t i = 0; i < nk; i++) {
    const uint64_t key = keys[i];
    for (size_t s = (size_t)(key >> shift);; s = (s + 1) & mask) {
      kz_slot *e = &slot[s];
      if (e->gen != gen) {
        e->gen = gen;
        e->key = key;
        e->idx = nd;
        keys[nd] = key; /* nd <= i: compacting in place */
        tf[nd++] = 1;
        break;
      }
      if (e->key == key) {
        tf[e->idx]++;
        break;
      }
    }
  }
  *nd_out = nd;
  return KUZAT_OK;
}

/* Order the distinct hashes by bucket: f->tmp[0 .. nd) gets each one's
 * bucket in its top `bits` bits and its index in f->keys in the low bits,
 * sorted. The buckets are uniform, so one counting pass on their top bits
 * into about half as many bins as values, then insertion sort within the
 * bins (qsort for a bin that is not small) finish the job. */
static int sort_by_bucket(kuzat_featuriser *f, size_t nd) {
  if (kuzat__grow(&f->a, (void **)&f->tmp, &f->tmp_cap, nd + 1, sizeof *f->tmp))
    return KUZAT_ENOMEM;
  const unsigned bshift = 64 - (unsigned)f->p.bits;
  const uint64_t bmask = ((uint64_t)1 << f->p.bits) - 1;
  const uint64_t *keys = f->keys;
  uint64_t *d = f->tmp;
  if (nd <= 32) {
    for (size_t j = 0; j < nd; j++) d[j] = ((keys[j] & bmask) << bshift) | j;
    insertion_sort(d, nd);
    return KUZAT_OK;
  }
  unsigned lg = 1;
  while (((size_t)2 << lg) < nd) lg++;
  const size_t nbins = (size_t)1 << lg;
  const unsigned shift = 64 - lg;
  if (kuzat__grow(&f->a, (void **)&f->bin, &f->bin_cap, nbins + 1, sizeof *f->bin) ||
      kuzat__grow(&f->a, (void **)&f->pk, &f->pk_cap, nd, sizeof *f->pk))
    return KUZAT_ENOMEM;
  uint32_t *bin = f->bin;
  uint64_t *pk = f->pk;
  memset(bin, 0, (nbins + 1) * sizeof *bin);
  for (size_t j = 0; j < nd; j++) {
    pk[j] = ((keys[j] & bmask) << bshift) | j;
    bin[(pk[j] >> shift) + 1]++;
  }
  uint32_t most = 0;
  for (size_t b = 1; b <= nbins; b++) {
    if (bin[b] > most) most = bin[b];
    bin[b] += bin[b - 1];
  }
  for (size_t j = 0; j < nd; j++) d[bin[pk[j] >> shift]++] = pk[j];
  /* now bin[b] is where bin b ends */
  if (most <= 16) {
    insertion_sort(d, nd); /* each value moves within its bin only */
  } else {
    for (size_t b = 0, start = 0; b < nbins; start = bin[b], b++) {
      size_t m = bin[b] - start;
      if (m > 16) qsort(d + start, m, sizeof *d, cmp_u64);
      else if (m > 1) insertion_sort(d + start, m);
    }
  }
  return KUZAT_OK;
}

/* 1 + ln(tf), from a table for the small counts nearly every feature has. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static double tf_weight_log(size_t tf) {
  return 1.0 + log((double)tf);
}

/* The weight of a distinct hash seen tf times: 1 + ln(tf), negated when
 * bit 63 of the hash is set. */
static inline double weight(uint64_t key, size_t tf) {
  static const double w[9] = {0, 1.0, 1.6931471805599454, 2.0986122886681098,
                              2.386294361119891, 2.6094379124341003, 2.791759469228055,
                              2.9459101490553135, 3.0794415416798357};
  double x = tf < 9 ? w[tf] : tf_weight_log(tf);
  return (key >> 63) ? -x : x;
}

typedef struct kz_pair {
  uint64_t key, tf;
} kz_pair;

static int cmp_pair(const void *a, const void *b) {
  return cmp_u64(&((const kz_pair *)a)->key, &((const kz_pair *)b)->key);
}

/* The sum of a bucket that holds m > 1 distinct hashes, d[0 .. m) their
 * entries: in ascending order of hash. (Two in either order: addition
 * commutes.) */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static double bucket_sum(kuzat_featuriser *f, const uint64_t *d, size_t m, uint64_t imask) {
  const uint64_t *keys = f->keys;
  const uint32_t *tf = f->tf;
  if (m == 2) {
    double sum = 0;
    sum += weight(keys[d[0] & imask], tf[d[0] & imask]);
    return sum + weight(keys[d[1] & imask], tf[d[1] & imask]);
  }
  kz_pair *p = (kz_pair *)f->pk; /* pk has room for 2 * nd values */
  for (size_t q = 0; q < m; q++) {
    p[q].key = keys[d[q] & imask];
    p[q].tf = tf[d[q] & imask];
  }
  qsort(p, m, sizeof *p, cmp_pair);
  double sum = 0;
  for (size_t q = 0; q < m; q++) sum += weight(p[q].key, (size_t)p[q].tf);
  return sum;
}

/* Hashes to weighted, summed, normalised buckets in f->out: a distinct
 * hash seen tf times weighs 1 + ln(tf) with the sign of its bit 63; the
 * distinct hashes of a bucket are summed in ascending order of hash;
 * buckets in ascending order. */
static int build_vector(kuzat_featuriser *f, size_t *count) {
  size_t nd;
  int rc = count_distinct(f, &nd);
  if (!rc) rc = sort_by_bucket(f, nd);
  if (!rc && (kuzat__grow(&f->a, (void **)&f->out, &f->out_cap, nd + 1, sizeof *f->out) ||
              kuzat__grow(&f->a, (void **)&f->pk, &f->pk_cap, 2 * nd, sizeof *f->pk)))
    rc = KUZAT_ENOMEM;
  if (rc) return rc;
  const uint64_t *d = f->tmp; /* bucket << bshift | index */
  const uint64_t *keys = f->keys;
  const uint32_t *tf = f->tf;
  const unsigned bshift = 64 - (unsigned)f->p.bits;
  const uint64_t imask = ((uint64_t)1 << bshift) - 1;
  kuzat_feature *out = f->out;
  size_t n = 0;
  double norm2 = 0;
  for (size_t i = 0; i < nd;) {
    const uint64_t e = d[i], bucket = e >> bshift;
    double sum;
    if (KZ_LIKELY(i + 1 == nd || (d[i + 1] >> bshift) != bucket)) { /* one hash */
      sum = weight(keys[e & imask], tf[e & imask]);
      i++;
    } else {
      size_t j = i + 2;
      while (j < nd && (d[j] >> bshift) == bucket) j++;
      sum = bucket_sum(f, d + i, j - i, imask);
      i = j;
    }
    if (sum != 0) { /* a bucket whose features cancelled exactly is dropped */
      out[n].index = (int)bucket + 1;
      out[n].value = sum;
      norm2 += sum * sum;
      n++;
    }
  }
  double inv = norm2 > 0 ? 1.0 / sqrt(norm2) : 0;
  for (size_t i = 0; i < n; i++) out[i].value *= inv;
  out[n].index = -1;
  out[n].value = 0;
  *count = n;
  return KUZAT_OK;
}

int kuzat_featurise(kuzat_featuriser *f, const char *norm, size_t len,
                    const kuzat_feature **out, size_t *count, kuzat_error *err) {
  kuzat__error_clear(err);
  if (!f || !out || !count || (!norm && len))
    return kuzat__fail(err, KUZAT_EINVAL, "NULL argument");
  int rc = collect_keys(f, norm ? norm : "", len);
  if (!rc) rc = build_vector(f, count);
  if (rc) return kuzat__fail(err, rc, rc == KUZAT_ENOMEM ? "out of memory" : "too many features");
  *out = f->out;
  return KUZAT_OK;
}

int kuzat__featurise_visit(kuzat_featuriser *f, const char *norm, size_t len,
                           kz_visit_fn fn, void *ud) {
  f->visit = fn;
  f->visit_ud = ud;
  int rc = collect_visit(f, norm ? norm : "", len);
  f->visit = NULL;
  f->visit_ud = NULL;
  return rc;
}

/* Linear scoring without the caller seeing the vector: the same vector,
 * dotted with each marker's weights in the order kuzat_model_decision()
 * takes it, so the decision values are identical to its, bit for bit. */
int kuzat__featurise_dot(kuzat_featuriser *f, const char *norm, size_t len,
                         const kuzat_model *m, double *dec) {
  int linear = m->row != NULL && m->fp.bits == f->p.bits;
  for (size_t i = 0; linear && i < m->nm; i++)
    if (m->mk[i].kernel != KUZAT_KERNEL_LINEAR) linear = 0;
  size_t n;
  if (!linear) {
    const kuzat_feature *x;
    int rc = kuzat_featurise(f, norm, len, &x, &n, NULL);
    return rc ? rc : kuzat_model_decision(m, x, dec, NULL);
  }
  if (collect_keys(f, norm ? norm : "", len) || build_vector(f, &n)) return KUZAT_ENOMEM;
  const size_t nm = m->nm;
  const uint32_t *row = m->row;
  for (size_t i = 0; i < nm; i++) dec[i] = m->mk[i].bias;
  for (const kuzat_feature *x = f->out; x->index != -1; x++) {
    uint32_t r = row[x->index];
    if (!r) continue;
    const double *w = m->rows + (size_t)(r - 1) * nm;
    for (size_t i = 0; i < nm; i++) dec[i] += w[i] * x->value;
  }
  return KUZAT_OK;
}
