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

#include <math.h>
#include <stdlib.h>
#include <string.h>
/* XXH3 inlined: most features are a few bytes long, where a call into the
 * shared library costs as much as the hash. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#define KZ_MAX_WORD_N 4
#define KZ_MAX_CHAR_N 8
#define KZ_MAX_GRAM 256 /* bytes of one hashed feature; longer words are cut */

/* The character n-grams of recent words, so a frequent word is hashed
 * once rather than in every document: a direct-mapped table of words of
 * up to KZ_WC_WORD bytes, found by the hash of the word and compared byte
 * for byte, their hashes in a pool; when the pool fills up, everything is
 * forgotten. Hashing the n-grams of the words missed took 109
 * instructions a byte of the benchmark corpus's texts (read once) with 8K
 * slots, 77 with 32K (1.5 MB of slots, 8 MB of pool), 69 with 64K. */
#define KZ_WC_SLOTS 32768 /* a power of two */
#define KZ_WC_WORD 32
#define KZ_WC_POOL 1048576 /* hashes */
#define KZ_WC_AHEAD 4 /* collect_keys() fetches the hashes of the word this many tokens on */

typedef struct kz_wslot {
  uint64_t tag; /* hash of the word */
  uint32_t off; /* of its n-grams' hashes in the pool */
  uint16_t len, n; /* bytes of the word (0: empty slot); hashes */
  char word[KZ_WC_WORD];
} kz_wslot;

typedef struct kz_slot {
  uint64_t r;        /* a hash rotated right by `bits` */
  uint32_t gen, tf;  /* the document's stamp; the count */
} kz_slot;

struct kuzat_featuriser {
  kz_alloc a;
  kuzat_feature_params p;
  kuzat_token *toks;
  size_t toks_cap;
  uint64_t *keys; /* the document's feature hashes */
  size_t keys_cap, nkeys;
  size_t *wt; /* indices of the word-like tokens, for word n-grams */
  size_t wt_cap;
  uint64_t *wh; /* collect_keys(): the hash of each token's word */
  size_t wh_cap;
  kuzat_feature *out;
  size_t out_cap;
  kz_slot *slot; /* order_table()'s table */
  size_t slot_cap;
  uint32_t gen;  /* the current document's stamp in it */
  kz_wslot *wc;   /* the word cache: KZ_WC_SLOTS slots */
  uint64_t *wc_pool; /* KZ_WC_POOL hashes */
  size_t wc_used;
  uint64_t ns_seed[5];  /* the seed of namespaces 1..4 */
  uint64_t class_hash[6]; /* the class feature of each KUZAT_TOKEN_* but WORD */
  kz_counter *counter; /* kuzat__featurise_dot()'s table */
  int portable;        /* ... counted by the portable code */
  kz_visit_fn visit; /* kuzat__featurise_visit(): report, do not collect */
  void *visit_ud;
};

void kuzat_feature_params_default(kuzat_feature_params *p) {
  if (!p) return;
  p->seed = 0;
  p->bits = 20;
  p->word_min = 1;
  p->word_max = 2;
  p->char_min = 5;
  p->char_max = 5;
  p->arabic_char_min = 2;
  p->arabic_char_max = 5;
}

void kuzat__feature_params_resolve(kuzat_feature_params *p) {
  if (p->arabic_char_min == KUZAT_CHAR_AS_OTHERS && p->arabic_char_max == KUZAT_CHAR_AS_OTHERS)
    p->arabic_char_min = p->char_min, p->arabic_char_max = p->char_max;
}

/* Whether a word is in Arabic script: its first code point in
 * U+0600..U+06FF (lead bytes D8..DB) or U+0750..U+077F (DD 90..DD BF). */
static inline int arabic_word(const char *w, size_t len) {
  const unsigned char c = len ? (unsigned char)w[0] : 0;
  return (c >= 0xD8 && c <= 0xDB) || (c == 0xDD && len > 1 && (unsigned char)w[1] >= 0x90);
}

/* The character n-gram range of a word; 0..0 for none. */
static inline void char_range(const kuzat_feature_params *p, const char *w, size_t len,
                              size_t *cmin, size_t *cmax) {
  const int ar = arabic_word(w, len);
  *cmin = (size_t)(ar ? p->arabic_char_min : p->char_min);
  *cmax = (size_t)(ar ? p->arabic_char_max : p->char_max);
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
  if (p->arabic_char_min == KUZAT_CHAR_AS_OTHERS && p->arabic_char_max == KUZAT_CHAR_AS_OTHERS)
    return KUZAT_OK;
  if (p->arabic_char_min < 0 || p->arabic_char_max > KZ_MAX_CHAR_N ||
      p->arabic_char_min > p->arabic_char_max ||
      (p->arabic_char_min == 0 && p->arabic_char_max != 0))
    return kuzat__fail(err, KUZAT_EINVAL,
                       "Arabic-script character n-grams %d..%d: expected 1..%d, or 0..0",
                       p->arabic_char_min, p->arabic_char_max, KZ_MAX_CHAR_N);
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
  kuzat__feature_params_resolve(&f->p);
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
  kuzat__free(&a, f->wt);
  kuzat__free(&a, f->wh);
  kuzat__free(&a, f->out);
  kuzat__free(&a, f->slot);
  kuzat__free(&a, f->wc);
  kuzat__free(&a, f->wc_pool);
  kuzat__counter_free(&a, f->counter);
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
  size_t cmin, cmax;
  char_range(&f->p, w, len, &cmin, &cmax);
  for (size_t i = 0; cmax && i < ncp; i++)
    for (size_t n = cmin; n <= cmax && i + n <= ncp; n++) {
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
    if (t->kind == KUZAT_TOKEN_WORD) add_char_grams(f, norm + t->off, t->len, t->off);
  }
  return KUZAT_OK;
}

/* ---- the scoring path: hashes only ---- */

/* The hashes of the character n-grams of "<word>" into out; returns how
 * many. At most (min(len, KZ_MAX_GRAM) + 2) * (the widest range's length). */
static size_t char_grams(const kuzat_featuriser *f, const char *w, size_t len, uint64_t *out) {
  size_t cmin, cmax;
  char_range(&f->p, w, len, &cmin, &cmax);
  if (!cmax) return 0;
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
  for (size_t i = 0; i + cmin <= ncp; i++) {
    size_t nmax = ncp - i < cmax ? ncp - i : cmax;
    const char *b = buf + off[i];
    for (size_t n = cmin; n <= nmax; n++)
      out[k++] = hash_seeded(b, (size_t)(off[i + n] - off[i]), seed);
  }
  return k;
}

/* char_grams() through the word cache; wh is the hash of the word. */
static size_t char_grams_cached(kuzat_featuriser *f, const char *w, size_t len, uint64_t wh,
                                uint64_t *out) {
  if (len > KZ_WC_WORD) return char_grams(f, w, len, out);
  kz_wslot *s = &f->wc[(wh >> 32) & (KZ_WC_SLOTS - 1)];
  if (s->tag == wh && s->len == len && memcmp(s->word, w, len) == 0) {
    memcpy(out, f->wc_pool + s->off, s->n * sizeof *out);
    return s->n;
  }
  size_t n = char_grams(f, w, len, out);
  if (f->wc_used + n > KZ_WC_POOL) { /* full: forget every word */
    memset(f->wc, 0, KZ_WC_SLOTS * sizeof *f->wc);
    f->wc_used = 0;
  }
  s->tag = wh;
  s->off = (uint32_t)f->wc_used;
  s->len = (uint16_t)len;
  s->n = (uint16_t)n;
  memcpy(s->word, w, len);
  memcpy(f->wc_pool + f->wc_used, out, n * sizeof *out);
  f->wc_used += n;
  return n;
}

/* Word n-gram n ending at word-like token k (n > 1), hashed where it lies
 * when its words are one space apart (and short enough not to be cut:
 * the same bytes as word_gram()'s copy), else from that copy. */
static uint64_t word_gram_hash(const kuzat_featuriser *f, const char *s, const size_t *wt,
                               size_t k, int n) {
  const kuzat_token *a = &f->toks[wt[k + 1 - (size_t)n]], *b = &f->toks[wt[k]];
  const uint64_t seed = ns_seed(f->p.seed, word_ns(n));
  if (n == 2 && b->off == a->off + a->len + 1 && s[a->off + a->len] == ' ' &&
      a->len + 1 + b->len <= KZ_MAX_GRAM)
    return hash_seeded(s + a->off, a->len + 1 + b->len, seed);
  char buf[KZ_MAX_GRAM];
  size_t blen = word_gram(f, s, wt, k, n, buf);
  return hash_seeded(buf, blen, seed);
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
  size_t nar = f->p.arabic_char_max ? (size_t)(f->p.arabic_char_max - f->p.arabic_char_min + 1) : 0;
  if (nar > nchar) nchar = nar;
  size_t wbytes = 0;
  for (size_t i = 0; i < nt; i++)
    if (toks[i].kind == KUZAT_TOKEN_WORD)
      wbytes += (toks[i].len < KZ_MAX_GRAM ? toks[i].len : KZ_MAX_GRAM) + 2;
  size_t bound = nt * (1 + nword) + wbytes * nchar;
  if (kuzat__grow(&f->a, (void **)&f->keys, &f->keys_cap, bound + 1, sizeof *f->keys) ||
      kuzat__grow(&f->a, (void **)&f->wh, &f->wh_cap, nt + 1, sizeof *f->wh))
    return KUZAT_ENOMEM;
  if (nchar && !f->wc) {
    /* read all over: huge pages spare the TLB misses */
    f->wc = kuzat__malloc_huge(&f->a, KZ_WC_SLOTS * sizeof *f->wc);
    f->wc_pool = kuzat__malloc_huge(&f->a, KZ_WC_POOL * sizeof *f->wc_pool);
    if (!f->wc || !f->wc_pool) {
      kuzat__free(&f->a, f->wc);
      kuzat__free(&f->a, f->wc_pool);
      f->wc = NULL, f->wc_pool = NULL;
      return KUZAT_ENOMEM;
    }
    memset(f->wc, 0, KZ_WC_SLOTS * sizeof *f->wc);
  }
  uint64_t *keys = f->keys, *whs = f->wh;
  size_t *wt = f->wt, nk = 0, nw = 0;
  const int wmin = f->p.word_min, wmax = f->p.word_max;
  /* each word alone, hashed where it lies, and its cache slot asked for:
   * the slots of a text's words are fetched side by side, not one after
   * another's miss */
  for (size_t i = 0; i < nt; i++) {
    const kuzat_token *t = &toks[i];
    const int chars = nchar && t->kind == KUZAT_TOKEN_WORD;
    whs[i] = 0;
    if ((t->kind == KUZAT_TOKEN_WORD || t->kind == KUZAT_TOKEN_NUMBER) && (wmin == 1 || chars))
      whs[i] = hash_seeded(norm + t->off, t->len < KZ_MAX_GRAM ? t->len : KZ_MAX_GRAM,
                           f->ns_seed[KUZAT_NS_WORD]);
#if defined(__GNUC__)
    if (chars && t->len <= KZ_WC_WORD) {
      const char *sp = (const char *)&f->wc[(whs[i] >> 32) & (KZ_WC_SLOTS - 1)];
      __builtin_prefetch(sp);
      __builtin_prefetch(sp + sizeof(kz_wslot) - 1);
    }
#endif
  }
  for (size_t i = 0; i < nt; i++) {
    const kuzat_token *t = &toks[i];
#if defined(__GNUC__)
    /* a word a few ahead: its slot has arrived; ask for its hashes */
    if (nchar && i + KZ_WC_AHEAD < nt && toks[i + KZ_WC_AHEAD].kind == KUZAT_TOKEN_WORD &&
        toks[i + KZ_WC_AHEAD].len <= KZ_WC_WORD)
      __builtin_prefetch(f->wc_pool + f->wc[(whs[i + KZ_WC_AHEAD] >> 32) & (KZ_WC_SLOTS - 1)].off);
#endif
    if (t->kind != KUZAT_TOKEN_WORD) {
      keys[nk++] = f->class_hash[t->kind];
      if (t->kind != KUZAT_TOKEN_NUMBER) continue; /* its parts follow */
    }
    wt[nw] = i;
    const int chars = nchar && t->kind == KUZAT_TOKEN_WORD;
    const uint64_t wh = whs[i]; /* the word alone */
    for (int n = wmin; n >= 1 && n <= wmax && (size_t)n <= nw + 1; n++) {
      keys[nk++] = n == 1 ? wh : word_gram_hash(f, norm, wt, nw, n);
    }
    nw++;
    if (chars) nk += char_grams_cached(f, norm + t->off, t->len, wh, keys + nk);
  }
  f->nkeys = nk;
  return KUZAT_OK;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Count and order the hashes in one go: an ordered linear-probing table
 * (Amble and Knuth) holding the rotated values, at least as many slots as
 * hashes. A value's home slot is its top bits, and each run of occupied
 * slots is kept sorted -- an insertion shifts the larger values of its run
 * one slot on -- so reading the table from the start gives the values in
 * ascending order. Nothing wraps around: the table has room past its end
 * for a run to spill into. A slot belongs to the current document when its
 * stamp is f->gen, so nothing is cleared between documents. The hashes are
 * uniform, so runs are short; if they are not (the moves exceed a budget
 * linear in the count), the caller sorts instead. The table's used slots
 * end before f->slot[*end]. Returns 0, 1 for the sort, or KUZAT_ENOMEM
 * (which is negative). */
static int order_table(kuzat_featuriser *f, size_t *end) {
  const size_t nk = f->nkeys;
  unsigned lg = 1;
  while (((size_t)1 << lg) < nk) lg++;
  const size_t need = ((size_t)1 << lg) + nk + 1;
  if (need > f->slot_cap) {
    if (kuzat__grow(&f->a, (void **)&f->slot, &f->slot_cap, need, sizeof *f->slot))
      return KUZAT_ENOMEM;
    memset(f->slot, 0, f->slot_cap * sizeof *f->slot);
    f->gen = 0;
  }
  if (++f->gen == 0) { /* the stamps wrapped: start afresh */
    memset(f->slot, 0, f->slot_cap * sizeof *f->slot);
    f->gen = 1;
  }
  const uint32_t gen = f->gen;
  const unsigned shift = 64 - lg, bits = (unsigned)f->p.bits;
  kz_slot *slot = f->slot;
  const uint64_t *keys = f->keys;
  size_t hi = 0, moves = 0, budget = 8 * nk + 256;
  for (size_t i = 0; i < nk; i++) {
    const uint64_t r = (keys[i] >> bits) | (keys[i] << (64 - bits));
    size_t s = (size_t)(r >> shift);
    for (;; s++, moves++) {
      kz_slot *e = &slot[s];
      if (e->gen != gen) {
        e->r = r;
        e->gen = gen;
        e->tf = 1;
        break;
      }
      if (e->r == r) {
        e->tf++;
        break;
      }
      if (e->r > r) { /* r goes here; the rest of the run moves on */
        uint64_t cr = e->r;
        uint32_t ctf = e->tf;
        e->r = r;
        e->tf = 1;
        for (s++; slot[s].gen == gen; s++, moves++) {
          uint64_t tr = slot[s].r;
          uint32_t ttf = slot[s].tf;
          slot[s].r = cr;
          slot[s].tf = ctf;
          cr = tr;
          ctf = ttf;
        }
        slot[s].r = cr;
        slot[s].tf = ctf;
        slot[s].gen = gen;
        break;
      }
    }
    if (s > hi) hi = s;
    if (KZ_UNLIKELY(moves > budget)) return 1;
  }
  *end = nk ? hi + 1 : 0;
  return 0;
}

/* Hashes to weighted, summed, normalised buckets in f->out: a distinct
 * hash seen tf times weighs 1 + ln(tf) with the sign of its bit 63; the
 * distinct hashes of a bucket are summed in ascending order of hash, from
 * 0; buckets in ascending order. A hash rotated right by `bits` has its
 * bucket in the top bits, so that is the ascending order of the rotated
 * values. */
static int build_vector(kuzat_featuriser *f, size_t *count) {
  const size_t nk = f->nkeys;
  if (nk > UINT32_MAX) return KUZAT_ERANGE; /* the table counts in 32 bits */
  if (kuzat__grow(&f->a, (void **)&f->out, &f->out_cap, nk + 1, sizeof *f->out))
    return KUZAT_ENOMEM;
  size_t end;
  int rc = order_table(f, &end);
  if (rc < 0) return rc;
  kz_slot *d = f->slot;
  const uint32_t gen = f->gen;
  if (rc == 1) { /* not uniform after all: sort the rotated values instead */
    uint64_t *k = f->keys;
    const unsigned bits = (unsigned)f->p.bits;
    for (size_t i = 0; i < nk; i++) k[i] = (k[i] >> bits) | (k[i] << (64 - bits));
    qsort(k, nk, sizeof *k, cmp_u64);
    end = 0; /* the table has room for nk + 1 */
    for (size_t i = 0, j; i < nk; i = j) {
      for (j = i + 1; j < nk && k[j] == k[i]; j++) {}
      d[end].r = k[i];
      d[end].gen = gen;
      d[end++].tf = (uint32_t)(j - i);
    }
  }
  /* Each distinct value in turn: a new bucket gets an entry, a further hash
   * of the same bucket adds to it. */
  const unsigned bshift = 64 - (unsigned)f->p.bits, sshift = 63 - (unsigned)f->p.bits;
  kuzat_feature *out = f->out;
  size_t n = 0;
  uint64_t last = UINT64_MAX;
  int shared = 0;
  for (size_t s = 0; s < end; s++) {
    if (d[s].gen != gen) continue;
    const uint64_t r = d[s].r, bucket = r >> bshift;
    const double w = kuzat__tf_weight((r >> sshift) << 63, d[s].tf);
    if (KZ_LIKELY(bucket != last)) {
      out[n].index = (int)bucket + 1;
      out[n].value = w; /* 0 + w */
      n++;
      last = bucket;
    } else {
      out[n - 1].value += w;
      shared = 1;
    }
  }
  double norm2 = 0;
  if (shared) { /* a bucket whose features cancelled exactly is dropped */
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
      if (out[i].value != 0) out[k++] = out[i];
    n = k;
  }
  for (size_t i = 0; i < n; i++) norm2 += out[i].value * out[i].value;
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

int kuzat__featurise_dot(kuzat_featuriser *f, const char *norm, size_t len, const kz_rows *w,
                         double *sum, double *norm2) {
  int rc = collect_keys(f, norm ? norm : "", len);
  if (rc) return rc;
  return kuzat__count_dot(&f->counter, &f->a, f->keys, f->nkeys, (unsigned)f->p.bits, w, sum,
                          norm2, f->portable);
}

void kuzat__featuriser_portable(kuzat_featuriser *f, int on) { f->portable = on; }

const kuzat_feature_params *kuzat__featuriser_params(const kuzat_featuriser *f) {
  return &f->p;
}
