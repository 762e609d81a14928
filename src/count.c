/*
 * count.c -- a document's feature hashes counted and dotted with a model's
 * weights in one go: the scoring path of kuzat__model_dot() (weights.c).
 *
 * What it computes is what kuzat_featurise() then kuzat_model_decision()
 * compute (features.c explains the weighting): a distinct hash seen tf
 * times weighs +-(1 + ln tf), the hashes of a bucket add up to the
 * bucket's value v, the vector is v / |v|, and a marker's decision value
 * is bias + w.v / |v|. Only the order of the additions differs, so the two
 * agree to rounding (tests/unit/test_fastpath.c holds them within 1e-9 of
 * each other on every test text and, when the shared datasets are present,
 * the benchmark corpus).
 *
 * How. Three passes over a text's hashes, each simple enough to run
 * without waiting. (1) Counting: a table of 4-byte slots, at least eight a
 * hash, points to the distinct hashes ("entries", in the order first
 * seen). A hash's home slot is its bucket bits, with linear probing: the
 * hashes of one bucket share a home slot, so a second distinct hash of a
 * bucket always walks past the first one, and that is how a collision is
 * noticed -- exactly, not by chance. The table is sparse enough that a
 * hash nearly always meets its own entry or an empty slot first, and both
 * cases make the same stores, so there is no branch to mispredict. (2)
 * Each entry's bucket is looked up in the model's index and its weights
 * are prefetched, all entries in a row, so the cache misses overlap. (3)
 * One pass over the entries adds each one's weight times every marker's
 * weight into the markers' sums and empties its slot, so nothing is
 * cleared between texts. The squared norm needs each bucket's value, not
 * each hash's: the rare buckets with several distinct hashes are summed
 * apart, in the ordered vector's order.
 *
 * Hashes that crowd a few home slots (not uniform after all: a seed chosen
 * against us) would make the probing quadratic, so the probes have a
 * budget linear in the count; past it the caller takes the ordered path.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* A distinct hash of the text, in the order first seen. */
typedef struct kz_entry {
  uint64_t key;
  uint32_t tf;  /* top bit: another distinct hash shares the bucket */
  uint32_t row; /* 1 + the row of the bucket's weights; 0 for none */
} kz_entry;

#define KZ_SHARED 0x80000000u

struct kz_counter {
  uint32_t *slot;  /* 0, or 1 + an entry; all 0 between calls */
  size_t slot_cap; /* a power of two */
  kz_entry *ent;   /* tf 0 past the entries in use, between calls */
  uint32_t *at;    /* the slot of each entry */
  size_t ent_cap, at_cap;
  struct kz_shared {
    uint64_t r; /* the hash rotated right by bits: bucket on top */
    uint32_t tf;
  } *shared;
  size_t shared_cap;
};

void kuzat__counter_free(const kz_alloc *a, kz_counter *c) {
  if (!c) return;
  kuzat__free(a, c->slot);
  kuzat__free(a, c->ent);
  kuzat__free(a, c->at);
  kuzat__free(a, c->shared);
  kuzat__free(a, c);
}

/* A table of cap slots, and room for nk entries. */
static int reserve(kz_counter *c, const kz_alloc *a, size_t cap, size_t nk) {
  if (cap > c->slot_cap) {
    uint32_t *s = kuzat__calloc(a, cap, sizeof *s);
    if (!s) return KUZAT_ENOMEM;
    kuzat__free(a, c->slot);
    c->slot = s;
    c->slot_cap = cap;
  }
  if (nk + 1 > c->ent_cap) {
    size_t old = c->ent_cap;
    if (kuzat__grow(a, (void **)&c->ent, &c->ent_cap, nk + 1, sizeof *c->ent))
      return KUZAT_ENOMEM;
    memset(c->ent + old, 0, (c->ent_cap - old) * sizeof *c->ent);
  }
  if (kuzat__grow(a, (void **)&c->at, &c->at_cap, nk + 1, sizeof *c->at)) return KUZAT_ENOMEM;
  return KUZAT_OK;
}

static int cmp_shared(const void *x, const void *y) {
  uint64_t a = ((const struct kz_shared *)x)->r, b = ((const struct kz_shared *)y)->r;
  return a < b ? -1 : a > b;
}

/* The squared norm's share of the buckets that hold several distinct
 * hashes: each bucket's value summed over its hashes in ascending order of
 * the rotated hash, from 0, as build_vector() sums them. */
static double shared_norm2(struct kz_shared *sh, size_t n, unsigned bits) {
  qsort(sh, n, sizeof *sh, cmp_shared);
  const unsigned bshift = 64 - bits, sshift = 63 - bits;
  double norm2 = 0;
  for (size_t i = 0, j; i < n; i = j) {
    double v = kuzat__tf_weight((sh[i].r >> sshift) << 63, sh[i].tf);
    for (j = i + 1; j < n && sh[j].r >> bshift == sh[i].r >> bshift; j++)
      v += kuzat__tf_weight((sh[j].r >> sshift) << 63, sh[j].tf);
    norm2 += v * v;
  }
  return norm2;
}

/* The body of the two loops below, compiled twice: for any x86-64 (or
 * other) processor, and for one with POPCNT and AVX2, where a bucket's
 * rank is one instruction and eight markers' products four. Both take the
 * same steps in the same order (no fused multiply-add), so their results
 * are the same bits. */
#if defined(__GNUC__)
#define KZ_INLINE static inline __attribute__((always_inline))
#else
#define KZ_INLINE static inline
#endif

/* 1 + the row of bucket b, or 0: kuzat__row_of(), without a branch, and
 * with the processor's own bit count when hw. */
KZ_INLINE uint32_t row_of(const kz_rows *w, uint64_t b, int hw) {
  const uint64_t *ix = w->index + 2 * (b >> 6), word = ix[0], bit = word >> (b & 63) & 1;
  const uint64_t below = word & (((uint64_t)1 << (b & 63)) - 1);
#if defined(__GNUC__)
  const uint64_t pop = hw ? (uint64_t)__builtin_popcountll(below) : kuzat__popcount64(below);
#else
  const uint64_t pop = kuzat__popcount64(below);
#endif
  return (uint32_t)((1 + ix[1] + pop) & (0 - bit));
}

/* Count keys[0 .. nk) into entries, through a table of cap slots (at least
 * eight per key, so a hash nearly always finds its own slot or an empty
 * one first); fetch each bucket's weights into the cache. Returns the
 * number of entries, or 0 with KZ_COUNT_FALLBACK in *rc (the table left
 * empty). Sets *collided when a bucket holds several distinct hashes. */
KZ_INLINE size_t count(kz_counter *c, size_t cap, const uint64_t *keys, size_t nk, unsigned bits,
                       const kz_rows *w, int *collided, int *rc, int hw) {
  uint32_t *slot = c->slot, *at = c->at;
  kz_entry *ent = c->ent;
  const uint64_t tmask = cap - 1, bmask = ((uint64_t)1 << bits) - 1, hmask = tmask & bmask;
  const double *rows = w->rows;
  const size_t stride = w->stride;
  size_t nu = 0, probes = 0;
  const size_t budget = 8 * nk + 256;
  int coll = 0;
  for (size_t i = 0; i < nk; i++) {
    const uint64_t key = keys[i];
    size_t s = (size_t)(key & hmask);
    uint32_t j = slot[s], mark = 0;
    while (KZ_UNLIKELY(j != 0 && ent[j - 1].key != key)) { /* someone else's slot */
      if (((ent[j - 1].key ^ key) & bmask) == 0) { /* its bucket, another hash */
        ent[j - 1].tf |= KZ_SHARED;
        mark = KZ_SHARED;
        coll = 1;
      }
      s = (s + 1) & tmask;
      j = slot[s];
      if (KZ_UNLIKELY(++probes > budget)) {
        for (size_t u = 0; u < nu; u++) {
          slot[at[u]] = 0;
          ent[u].tf = 0;
        }
        *rc = KZ_COUNT_FALLBACK;
        return 0;
      }
    }
    /* new (j == 0) or seen before: the same stores either way, so the
     * branch the processor cannot predict is not taken at all */
    const size_t e = j ? j - 1 : nu;
    ent[e].key = key;
    ent[e].tf = (ent[e].tf + 1) | mark; /* below the flag: tf < nk < 2^31 */
    at[e] = (uint32_t)s;
    slot[s] = (uint32_t)e + 1;
    nu += j == 0;
  }
  /* each bucket's weights asked for, all at once: the look-ups do not
   * depend on each other, so their cache misses overlap */
  for (size_t u = 0; u < nu; u++) {
    const uint32_t r = row_of(w, ent[u].key & bmask, hw);
    ent[u].row = r;
#if defined(__GNUC__)
    __builtin_prefetch(rows + (size_t)(r ? r - 1 : 0) * stride);
#endif
  }
  *collided = coll;
  *rc = KUZAT_OK;
  return nu;
}

/* One distinct hash of the pass below: its weight (returned), its square
 * into *n2 unless its bucket is shared (then it goes to c->shared), and
 * its entry and slot emptied. */
KZ_INLINE double take(kz_counter *c, size_t u, unsigned bits, double *n2, size_t *nsh) {
  kz_entry *e = &c->ent[u];
  const uint32_t tf = e->tf;
  const double v = kuzat__tf_weight(e->key, tf & ~KZ_SHARED);
  if (KZ_LIKELY(!(tf & KZ_SHARED))) {
    *n2 += v * v;
  } else {
    c->shared[*nsh].r = (e->key >> bits) | (e->key << (64 - bits));
    c->shared[(*nsh)++].tf = tf & ~KZ_SHARED;
  }
  e->tf = 0;
  c->slot[c->at[u]] = 0;
  return v;
}

/* One pass over the entries: each one's weight times its bucket's row into
 * sum[]. Returns the squared norm of the buckets not shared; *nshared. */
KZ_INLINE double dot(kz_counter *c, size_t nu, unsigned bits, const kz_rows *w, double *sum,
                     size_t *nshared) {
  const double *rows = w->rows;
  const size_t nm = w->nm, stride = w->stride;
  double n2 = 0;
  size_t nsh = 0;
  if (stride == 8) { /* eight markers (or five to seven): the sums stay in registers */
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    for (size_t u = 0; u < nu; u++) {
      const uint32_t row = c->ent[u].row;
      const double v = take(c, u, bits, &n2, &nsh);
      if (row) {
        const double *r = rows + (size_t)(row - 1) * 8;
        s0 += r[0] * v, s1 += r[1] * v, s2 += r[2] * v, s3 += r[3] * v;
        s4 += r[4] * v, s5 += r[5] * v, s6 += r[6] * v, s7 += r[7] * v;
      }
    }
    const double all[8] = {s0, s1, s2, s3, s4, s5, s6, s7};
    for (size_t i = 0; i < nm; i++) sum[i] = all[i];
  } else {
    for (size_t i = 0; i < nm; i++) sum[i] = 0;
    for (size_t u = 0; u < nu; u++) {
      const uint32_t row = c->ent[u].row;
      const double v = take(c, u, bits, &n2, &nsh);
      if (row) {
        const double *r = rows + (size_t)(row - 1) * stride;
        for (size_t k = 0; k < nm; k++) sum[k] += r[k] * v;
      }
    }
  }
  *nshared = nsh;
  return n2;
}

KZ_INLINE int count_dot(kz_counter *c, const kz_alloc *a, size_t cap, const uint64_t *keys,
                        size_t nk, unsigned bits, const kz_rows *w, double *sum, double *norm2,
                        int hw) {
  size_t nsh;
  int collided = 0, rc;
  size_t nu = count(c, cap, keys, nk, bits, w, &collided, &rc, hw);
  if (rc) return rc;
  if (collided && kuzat__grow(a, (void **)&c->shared, &c->shared_cap, nu, sizeof *c->shared)) {
    for (size_t u = 0; u < nu; u++) {
      c->slot[c->at[u]] = 0;
      c->ent[u].tf = 0;
    }
    return KUZAT_ENOMEM;
  }
  double n2 = dot(c, nu, bits, w, sum, &nsh);
  if (nsh) n2 += shared_norm2(c->shared, nsh, bits);
  *norm2 = n2;
  return KUZAT_OK;
}

static int count_dot_any(kz_counter *c, const kz_alloc *a, size_t cap, const uint64_t *keys,
                         size_t nk, unsigned bits, const kz_rows *w, double *sum, double *norm2) {
  return count_dot(c, a, cap, keys, nk, bits, w, sum, norm2, 0);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define KZ_X86_DISPATCH 1
__attribute__((target("popcnt,avx2"))) static int
count_dot_avx2(kz_counter *c, const kz_alloc *a, size_t cap, const uint64_t *keys, size_t nk,
               unsigned bits, const kz_rows *w, double *sum, double *norm2) {
  return count_dot(c, a, cap, keys, nk, bits, w, sum, norm2, 1);
}
#endif

int kuzat__count_dot(kz_counter **cp, const kz_alloc *a, const uint64_t *keys, size_t nk,
                     unsigned bits, const kz_rows *w, double *sum, double *norm2, int portable) {
  if (nk >= KZ_SHARED) return KZ_COUNT_FALLBACK; /* tf counts in 31 bits */
  kz_counter *c = *cp;
  if (!c) {
    c = kuzat__calloc(a, 1, sizeof *c);
    if (!c) return KUZAT_ENOMEM;
    *cp = c;
  }
  size_t cap = 64;
  while (cap < 8 * nk) cap *= 2;
  if (reserve(c, a, cap, nk)) return KUZAT_ENOMEM;
#ifndef KZ_X86_DISPATCH
  (void)portable;
#else
  if (!portable && __builtin_cpu_supports("popcnt") && __builtin_cpu_supports("avx2"))
    return count_dot_avx2(c, a, cap, keys, nk, bits, w, sum, norm2);
#endif
  return count_dot_any(c, a, cap, keys, nk, bits, w, sum, norm2);
}
