/*
 * known.h -- the known-content index's insides, shared by known.c (adding,
 * sketching, matching) and known_io.c (the file). Private to the library.
 */
#ifndef KUZAT_KNOWN_H
#define KUZAT_KNOWN_H

#include "internal.h"

#define KZ_KNOWN_BANDS KUZAT_KNOWN_BANDS
#define KZ_KNOWN_MAX_ID 4096
#define KZ_KNOWN_MAX_LABELS 65535
#define KZ_KNOWN_MAX_WINDOW 1024
#define KZ_KNOWN_MAX_SHINGLE 8

/* A known document: its id and labels (offsets into the string arena,
 * each NUL-terminated there) and its windows. */
typedef struct kz_kdoc {
  size_t id, id_len, labels, labels_len;
  uint32_t first, nwin; /* windows [first, first + nwin) */
  int dead;             /* removed */
} kz_kdoc;

/* Scratch for sketching one text: its words, shingles and windows. */
typedef struct kz_sketch {
  kuzat_token *tok;
  size_t tok_cap;
  uint32_t *word; /* token index of each word */
  size_t word_cap, nword;
  uint64_t *hash; /* word hashes, then shingle hashes in place */
  size_t hash_cap, nsh;
  uint16_t *blk; /* per block of window/2 shingles: KUZAT_KNOWN_HASHES minima */
  size_t blk_cap;
  uint16_t *sk; /* per window: KUZAT_KNOWN_HASHES sketch values */
  size_t sk_cap;
  uint16_t *size; /* per window: its shingles */
  size_t size_cap;
  uint32_t *lo, *hi; /* per window: its shingles [lo, hi) */
  size_t lo_cap, hi_cap, nwin;
} kz_sketch;

struct kuzat_known {
  kz_alloc a;
  kuzat_known_params p;
  /* the hash functions' constants, from p.seed: KZ_KNOWN_MIXES mixes of a
   * shingle hash, each giving four 16-bit values */
  uint64_t mul[KUZAT_KNOWN_HASHES / 4], add[KUZAT_KNOWN_HASHES / 4];
  /* documents, in order of adding */
  kz_kdoc *doc;
  size_t ndoc, doc_cap, live;
  char *str; /* ids and labels */
  size_t str_len, str_cap;
  /* windows of every document, in order */
  uint32_t *wdoc;  /* the document of each window */
  uint16_t *wsize; /* its shingles */
  uint16_t *sk;    /* its sketch: KUZAT_KNOWN_HASHES values each */
  size_t nwin, wdoc_cap, wsize_cap, sk_cap;
  /* LSH: entry e = window * KZ_KNOWN_BANDS + band, stored as e + 1 in an
   * open-addressing table (linear probing) from the slot of its band's
   * values; 0 is an empty slot. ntab slots, at most 0.8 full: nent
   * entries, dead windows' included until the table is rebuilt. */
  uint32_t *tab;
  size_t ntab, nent;
  /* ids: open addressing, document + 1; 0 empty, KZ_TOMB removed */
  uint32_t *ids;
  size_t nids, ids_used;
  /* for adding */
  kuzat_normaliser *norm;
  kz_sketch scratch;
};

/* Fill k->mul and k->add from k->p.seed. */
void kuzat__known_init_hashes(kuzat_known *k);

/* Check parameters (KUZAT_EINVAL naming the field, or KUZAT_OK). */
int kuzat__known_params_check(const kuzat_known_params *p, kuzat_error *err);

/* An empty index with parameters p (checked by the caller). */
int kuzat__known_alloc(const kz_alloc *a, const kuzat_known_params *p, kuzat_known **out);

/* (Re)build the LSH table and the id table from k's documents and
 * windows (for a loader that filled them). KUZAT_OK; KUZAT_ENOMEM;
 * KUZAT_EFORMAT when two documents have the same id: their positions in
 * *dup_a < *dup_b. */
int kuzat__known_index(kuzat_known *k, size_t *dup_a, size_t *dup_b);

#endif
