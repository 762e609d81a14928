/*
 * known.c -- known-content matching: an index of known texts, sketched by
 * MinHash over word shingles, and the search for them in new text.
 *
 * A text is normalised and tokenised as scoring does, so every spelling,
 * script and evasion of a word is one word here too. Its shingles (runs of
 * p.shingle words) are hashed, and cut into blocks of window/2 shingles; a
 * window is two neighbouring blocks, so windows overlap by half, and any
 * run of up to window/2 + 1 shingles lies whole inside one of them. For
 * each of the KUZAT_KNOWN_HASHES hash functions a block keeps its least
 * hash, and a window the lesser of its two blocks' (so sketching costs one
 * pass over the shingles, not two). A window's sketch stores the top 16
 * bits of each least hash (b-bit MinHash: two windows agree on a value with
 * probability J + (1 - J) / 65536, J their Jaccard index).
 *
 * Candidates come from locality-sensitive hashing: the first 32 values of
 * the sketch are cut into 16 bands of 2, and two windows that agree on a
 * whole band are compared. Windows with J = 0.5 meet in some band with
 * probability 0.99, with J = 0.3 0.78, with J = 0.05 rarely (4%). 32 bands
 * (all 64 values) found slightly more (quotes of short posts in long text:
 * 100% against 99.2%) but cost twice the look-ups, each a cache miss in a
 * large index, and twice the table; 16 keep matching within a fifth of
 * scoring's time. Each candidate's similarity, the share of the known
 * window found in the query window, is then estimated from the whole
 * sketch, all 64 values (kuzat.h gives the formula).
 *
 * The band table is one open-addressing table of entries window * 32 +
 * band, probed linearly from the slot of the band's two values: a look-up
 * reads one or two cache lines, and entries of other bands met on the way
 * are told apart by their number alone, without reading their sketch. It
 * is built at load time (0.7 full) and as documents are added (rebuilt
 * larger when 0.8 full); it is not stored in the file. Removing a document marks it dead: matching
 * skips its windows, saving leaves them out.
 */
#include "known.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define KZ_TOMB UINT32_MAX
#if defined(__GNUC__)
#define KZ_PREFETCH(p) __builtin_prefetch(p)
#else
#define KZ_PREFETCH(p) ((void)(p))
#endif
#define KZ_H KUZAT_KNOWN_HASHES

/* ---------------------------------------------------------------------- */
/* Parameters and hashing                                                   */
/* ---------------------------------------------------------------------- */

void kuzat_known_params_default(kuzat_known_params *p) {
  if (!p) return;
  p->seed = 0;
  p->shingle = 2;
  p->window = 16;
  p->threshold = 0.5;
}

int kuzat__known_params_check(const kuzat_known_params *p, kuzat_error *err) {
  if (p->shingle < 1 || p->shingle > KZ_KNOWN_MAX_SHINGLE)
    return kuzat__fail(err, KUZAT_EINVAL, "shingle %d is outside 1..%d", p->shingle,
                       KZ_KNOWN_MAX_SHINGLE);
  if (p->window < 2 || p->window > KZ_KNOWN_MAX_WINDOW || p->window % 2)
    return kuzat__fail(err, KUZAT_EINVAL, "window %d is not an even number in 2..%d", p->window,
                       KZ_KNOWN_MAX_WINDOW);
  if (!(p->threshold > 0 && p->threshold <= 1))
    return kuzat__fail(err, KUZAT_EINVAL, "threshold %g is outside (0, 1]", p->threshold);
  return KUZAT_OK;
}

/* splitmix64: the hash functions' constants from the seed. */
static uint64_t splitmix(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void kuzat__known_init_hashes(kuzat_known *k) {
  uint64_t x = k->p.seed ^ 0x6B757A61746B6E77ull; /* "kuzatknw" */
  for (int q = 0; q < KZ_H / 4; q++) {
    k->mul[q] = splitmix(&x) | 1;
    k->add[q] = splitmix(&x);
  }
}

/* murmur3's finaliser: every output bit depends on every input bit. */
static inline uint64_t fmix(uint64_t v) {
  v ^= v >> 33;
  v *= 0xFF51AFD7ED558CCDull;
  v ^= v >> 33;
  v *= 0xC4CEB9FE1A85EC53ull;
  return v ^ (v >> 33);
}

/* The 64 hash values of a shingle hash h, 16 bits each: mix q (an odd
 * multiply and add, then fmix) gives values 4q .. 4q+3, its four 16-bit
 * quarters from the lowest up. One 64-bit mix per four values keeps
 * sketching cheap; the quarters of a full-avalanche mix are as good as
 * separate hashes for MinHash. */
static inline void hash_values(const kuzat_known *k, uint64_t h, uint16_t *v) {
  for (int q = 0; q < KZ_H / 4; q++) {
    uint64_t x = fmix(h * k->mul[q] + k->add[q]);
    v[4 * q] = (uint16_t)x;
    v[4 * q + 1] = (uint16_t)(x >> 16);
    v[4 * q + 2] = (uint16_t)(x >> 32);
    v[4 * q + 3] = (uint16_t)(x >> 48);
  }
}

/* The table slot of band j of a sketch, in a table of n slots (the high
 * half of the hash times n: any n, no modulo). */
static inline size_t band_slot(const uint16_t *sk, size_t j, size_t n) {
  uint64_t key = (uint64_t)j << 32 | (uint64_t)sk[2 * j] << 16 | sk[2 * j + 1];
  return (size_t)(((fmix(key) >> 32) * (uint64_t)n) >> 32);
}

/* ---------------------------------------------------------------------- */
/* Words in one script                                                      */
/* ---------------------------------------------------------------------- */

/* The normaliser writes Uzbek Cyrillic in Latin only in a document it
 * identifies as uz-Cyrl, so a Russian or Uzbek Cyrillic paragraph comes
 * out in Latin inside a transcript identified as uz-Cyrl and in Cyrillic
 * on its own. A word is hashed here as that transliteration would write
 * it, whatever the document: every word the normaliser would transliterate
 * in a uz-Cyrl document (its Cyrillic letters are all Uzbek ones) is
 * transliterated by the same rules (normalise.c, step 7), and any other
 * word is hashed as it is. */

static inline int is_uz_cyr(uint32_t c) {
  return (c >= 0x430 && c <= 0x44F) || c == 0x451 || c == 0x45E || c == 0x493 || c == 0x49B ||
         c == 0x4B3;
}

static inline int is_cyr_vowel(uint32_t c) {
  switch (c) {
  case 0x430: case 0x435: case 0x451: case 0x438: case 0x43E: case 0x443:
  case 0x44D: case 0x44E: case 0x44F: case 0x45E: case 0x44B:
    return 1;
  }
  return 0;
}

static inline int is_letter(uint32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 0xC0 && c != 0xD7 && c != 0xF7 && c < 0x2B0) ||
         (c >= 0x400 && c <= 0x52F) || c == 0x2BB || c == 0x2BC;
}

/* Decode the UTF-8 of a normalised word (valid) into cp; how many. */
static size_t decode_word(const unsigned char *s, size_t n, uint32_t *cp, size_t cap) {
  size_t k = 0;
  for (size_t i = 0; i < n && k < cap;) {
    uint32_t c = s[i];
    size_t w = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (w > 1) c &= 0x3Fu >> (w - 1);
    for (size_t j = 1; j < w && i + j < n; j++) c = c << 6 | (s[i + j] & 0x3Fu);
    cp[k++] = c;
    i += w;
  }
  return k;
}

static size_t put_utf8(unsigned char *o, uint32_t c) {
  if (c < 0x80) return o[0] = (unsigned char)c, 1;
  if (c < 0x800) return o[0] = (unsigned char)(0xC0 | c >> 6), o[1] = (unsigned char)(0x80 | (c & 0x3F)), 2;
  if (c < 0x10000) {
    o[0] = (unsigned char)(0xE0 | c >> 12);
    o[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
    o[2] = (unsigned char)(0x80 | (c & 0x3F));
    return 3;
  }
  o[0] = (unsigned char)(0xF0 | c >> 18);
  o[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
  o[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
  o[3] = (unsigned char)(0x80 | (c & 0x3F));
  return 4;
}

/* Uzbek Latin for Cyrillic letter cp[i] of a word, as normalise.c's
 * translit_one(), into o; the bytes written. */
static size_t translit(const uint32_t *cp, size_t n, size_t i, unsigned char *o) {
  /* а..я without context rules: the Latin, and its length (3: a rule) */
  static const struct {
    char s[2];
    unsigned char n;
  } basic[32] = {{"a", 1}, {"b", 1}, {"v", 1}, {"g", 1}, {"d", 1}, {"", 3},   {"j", 1},
                 {"z", 1}, {"i", 1}, {"y", 1}, {"k", 1}, {"l", 1}, {"m", 1},  {"n", 1},
                 {"o", 1}, {"p", 1}, {"r", 1}, {"s", 1}, {"t", 1}, {"u", 1},  {"f", 1},
                 {"x", 1}, {"", 3},  {"ch", 2}, {"sh", 2}, {"sh", 2}, {"", 3}, {"i", 1},
                 {"", 0},  {"e", 1}, {"yu", 2}, {"ya", 2}};
  uint32_t x = cp[i], prev = i ? cp[i - 1] : 0, next = i + 1 < n ? cp[i + 1] : 0;
  int start = !is_letter(prev);
  switch (x) {
  case 0x435: /* е */
    if (start || is_cyr_vowel(prev) || prev == 0x44A || prev == 0x44C) return memcpy(o, "ye", 2), 2;
    return o[0] = 'e', 1;
  case 0x446: /* ц */
    if (start || !is_cyr_vowel(prev)) return o[0] = 's', 1;
    return memcpy(o, "ts", 2), 2;
  case 0x44A: /* ъ */
    if (prev == 0x45E || next == 0x435) return 0;
    return put_utf8(o, 0x2BC);
  case 0x441: /* с, and сҳ -> sʼh */
    o[0] = 's';
    return next == 0x4B3 ? 1 + put_utf8(o + 1, 0x2BC) : 1;
  case 0x451: return memcpy(o, "yo", 2), 2;
  case 0x45E: return o[0] = 'o', 1 + put_utf8(o + 1, 0x2BB);
  case 0x493: return o[0] = 'g', 1 + put_utf8(o + 1, 0x2BB);
  case 0x49B: return o[0] = 'q', 1;
  case 0x4B3: return o[0] = 'h', 1;
  }
  if (x >= 0x430 && x <= 0x44F && basic[x - 0x430].n < 3) {
    memcpy(o, basic[x - 0x430].s, 2);
    return basic[x - 0x430].n;
  }
  return put_utf8(o, x);
}

#define KZ_WORD_MAX 256 /* longer words are hashed as they are */

/* The hash of a normalised word, as its uz-Cyrl transliteration reads. */
static uint64_t word_hash(const char *w, size_t len, uint64_t seed) {
  const unsigned char *u = (const unsigned char *)w;
  int cyr = 0;
  for (size_t i = 0; i < len && !cyr; i++) cyr = u[i] >= 0xD0 && u[i] <= 0xD4;
  if (!cyr || len > KZ_WORD_MAX) return XXH3_64bits_withSeed(w, len, seed);
  uint32_t cp[KZ_WORD_MAX];
  size_t n = decode_word(u, len, cp, KZ_WORD_MAX);
  for (size_t i = 0; i < n; i++)
    if (cp[i] >= 0x400 && cp[i] <= 0x52F && !is_uz_cyr(cp[i]))
      return XXH3_64bits_withSeed(w, len, seed); /* Kyrgyz, Tajik: as it is */
  unsigned char out[4 * KZ_WORD_MAX + 4];
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    k += is_uz_cyr(cp[i]) ? translit(cp, n, i, out + k) : put_utf8(out + k, cp[i]);
  return XXH3_64bits_withSeed(out, k, seed);
}

/* ---------------------------------------------------------------------- */
/* Sketching a text                                                         */
/* ---------------------------------------------------------------------- */

static void sketch_free(const kz_alloc *a, kz_sketch *s) {
  kuzat__free(a, s->tok);
  kuzat__free(a, s->word);
  kuzat__free(a, s->hash);
  kuzat__free(a, s->blk);
  kuzat__free(a, s->sk);
  kuzat__free(a, s->size);
  kuzat__free(a, s->lo);
  kuzat__free(a, s->hi);
  memset(s, 0, sizeof *s);
}

#define KZ_GROW(a, s, f, n) kuzat__grow((a), (void **)&(s)->f, &(s)->f##_cap, (n), sizeof *(s)->f)

/* Words, shingles, windows and sketches of normalised text into s, with
 * k's parameters and hash functions. KUZAT_OK or KUZAT_ENOMEM. */
static int sketch_text(kz_sketch *s, const kz_alloc *a, const kuzat_known *k, const char *norm,
                       size_t len) {
  size_t nt = 0;
  kuzat_tokenise(norm, len, s->tok, s->tok_cap, &nt);
  if (nt > s->tok_cap) {
    if (KZ_GROW(a, s, tok, nt)) return KUZAT_ENOMEM;
    kuzat_tokenise(norm, len, s->tok, s->tok_cap, &nt);
  }
  if (KZ_GROW(a, s, word, nt + 1) || KZ_GROW(a, s, hash, nt + 1)) return KUZAT_ENOMEM;
  s->nword = 0;
  for (size_t t = 0; t < nt; t++)
    if (s->tok[t].kind == KUZAT_TOKEN_WORD || s->tok[t].kind == KUZAT_TOKEN_NUMBER)
      s->word[s->nword++] = (uint32_t)t;
  size_t nw = s->nword, sh = (size_t)k->p.shingle;
  for (size_t w = 0; w < nw; w++)
    s->hash[w] = word_hash(norm + s->tok[s->word[w]].off, s->tok[s->word[w]].len, k->p.seed);
  /* shingle i hashes the word hashes i .. i+sh-1 (as little-endian u64s),
   * written over word hash i, which no later shingle reads */
  s->nsh = nw == 0 ? 0 : nw < sh ? 1 : nw - sh + 1;
  for (size_t i = 0; i < s->nsh; i++) {
    unsigned char buf[8 * KZ_KNOWN_MAX_SHINGLE];
    size_t n = nw - i < sh ? nw - i : sh;
    for (size_t j = 0; j < n; j++)
      for (int b = 0; b < 8; b++) buf[8 * j + b] = (unsigned char)(s->hash[i + j] >> (8 * b));
    s->hash[i] = XXH3_64bits_withSeed(buf, 8 * n, k->p.seed ^ 0x5348494E474C45ull);
  }

  size_t W = (size_t)k->p.window, S = W / 2, nb;
  if (s->nsh == 0) nb = s->nwin = 0;
  else if (s->nsh <= W) nb = s->nwin = 1;
  else nb = (s->nsh + S - 1) / S, s->nwin = nb - 1;
  if (KZ_GROW(a, s, blk, nb * KZ_H + 1) || KZ_GROW(a, s, sk, s->nwin * KZ_H + 1) ||
      KZ_GROW(a, s, size, s->nwin + 1) || KZ_GROW(a, s, lo, s->nwin + 1) ||
      KZ_GROW(a, s, hi, s->nwin + 1))
    return KUZAT_ENOMEM;
  for (size_t b = 0; b < nb; b++) {
    uint16_t *m = s->blk + b * KZ_H, v[KZ_H];
    size_t from = nb == 1 ? 0 : b * S, to = nb == 1 ? s->nsh : from + S;
    if (to > s->nsh) to = s->nsh;
    for (int i = 0; i < KZ_H; i++) m[i] = UINT16_MAX;
    for (size_t q = from; q < to; q++) {
      hash_values(k, s->hash[q], v);
      for (int i = 0; i < KZ_H; i++) m[i] = v[i] < m[i] ? v[i] : m[i];
    }
  }
  for (size_t w = 0; w < s->nwin; w++) {
    const uint16_t *m0 = s->blk + w * KZ_H, *m1 = nb == 1 ? m0 : m0 + KZ_H;
    uint16_t *out = s->sk + w * KZ_H;
    for (int i = 0; i < KZ_H; i++) out[i] = m0[i] < m1[i] ? m0[i] : m1[i];
    s->lo[w] = (uint32_t)(nb == 1 ? 0 : w * S);
    s->hi[w] = (uint32_t)(nb == 1 ? s->nsh : (w + 2) * S < s->nsh ? (w + 2) * S : s->nsh);
    s->size[w] = (uint16_t)(s->hi[w] - s->lo[w]);
  }
  return KUZAT_OK;
}

/* ---------------------------------------------------------------------- */
/* The index                                                                */
/* ---------------------------------------------------------------------- */

int kuzat__known_alloc(const kz_alloc *a, const kuzat_known_params *p, kuzat_known **out) {
  kuzat_known *k = kuzat__calloc(a, 1, sizeof *k);
  if (!k) return KUZAT_ENOMEM;
  k->a = *a;
  k->p = *p;
  kuzat__known_init_hashes(k);
  *out = k;
  return KUZAT_OK;
}

int kuzat_known_new(const kuzat_known_params *p, const kuzat_allocator *alloc, kuzat_known **out,
                    kuzat_error *err) {
  kuzat__error_clear(err);
  if (!out) return kuzat__fail(err, KUZAT_EINVAL, "NULL argument");
  *out = NULL;
  kuzat_known_params def;
  kuzat_known_params_default(&def);
  if (!p) p = &def;
  int rc = kuzat__known_params_check(p, err);
  if (rc) return rc;
  kz_alloc a;
  kuzat__alloc_init(&a, alloc);
  if (kuzat__known_alloc(&a, p, out)) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  return KUZAT_OK;
}

void kuzat_known_free(kuzat_known *k) {
  if (!k) return;
  kz_alloc a = k->a;
  kuzat__free(&a, k->doc);
  kuzat__free(&a, k->str);
  kuzat__free(&a, k->wdoc);
  kuzat__free(&a, k->wsize);
  kuzat__free(&a, k->sk);
  kuzat__free(&a, k->tab);
  kuzat__free(&a, k->ids);
  kuzat_normaliser_free(k->norm);
  sketch_free(&a, &k->scratch);
  kuzat__free(&a, k);
}

size_t kuzat_known_count(const kuzat_known *k) { return k ? k->live : 0; }

void kuzat_known_get_params(const kuzat_known *k, kuzat_known_params *p) {
  if (k && p) *p = k->p;
}

int kuzat_known_set_threshold(kuzat_known *k, double threshold, kuzat_error *err) {
  kuzat__error_clear(err);
  if (!k) return kuzat__fail(err, KUZAT_EINVAL, "NULL argument");
  kuzat_known_params p = k->p;
  p.threshold = threshold;
  int rc = kuzat__known_params_check(&p, err);
  if (!rc) k->p.threshold = threshold;
  return rc;
}

/* ---- ids ---- */

static size_t id_slot(const char *id, size_t len, size_t mask) {
  return (size_t)(XXH3_64bits(id, len) & mask);
}

/* The slot holding `id`, or the empty slot where it would go (with
 * *found 0). The table is never full. */
static size_t id_lookup(const kuzat_known *k, const char *id, size_t len, int *found) {
  size_t mask = k->nids - 1, s = id_slot(id, len, mask);
  *found = 0;
  for (;; s = (s + 1) & mask) {
    uint32_t v = k->ids[s];
    if (v == 0) return s;
    if (v == KZ_TOMB) continue;
    const kz_kdoc *d = &k->doc[v - 1];
    if (d->id_len == len && memcmp(k->str + d->id, id, len) == 0) {
      *found = 1;
      return s;
    }
  }
}

int kuzat_known_find(const kuzat_known *k, const char *id, size_t id_len, size_t *pos) {
  if (!k || !id) return KUZAT_EINVAL;
  if (!k->nids) return 0;
  int found;
  size_t s = id_lookup(k, id, id_len, &found);
  if (found && pos) *pos = k->ids[s] - 1;
  return found;
}

/* Make the id table hold room for `more` more ids at under half full,
 * rebuilding it from the live documents when it must grow. On a duplicate
 * id among them (a loaded file), its two positions. */
static int ids_reserve(kuzat_known *k, size_t more, size_t *dup_a, size_t *dup_b) {
  if (k->nids && (k->ids_used + more) * 2 < k->nids) return KUZAT_OK;
  size_t n = 64;
  while (n < (k->live + more) * 4) n *= 2;
  uint32_t *t = kuzat__calloc(&k->a, n, sizeof *t);
  if (!t) return KUZAT_ENOMEM;
  uint32_t *old = k->ids;
  size_t old_n = k->nids, old_used = k->ids_used;
  k->ids = t;
  k->nids = n;
  k->ids_used = 0;
  for (size_t i = 0; i < k->ndoc; i++) {
    if (k->doc[i].dead) continue;
    int found;
    size_t s = id_lookup(k, k->str + k->doc[i].id, k->doc[i].id_len, &found);
    if (found) {
      *dup_a = k->ids[s] - 1;
      *dup_b = i;
      kuzat__free(&k->a, t);
      k->ids = old, k->nids = old_n, k->ids_used = old_used;
      return KUZAT_EFORMAT;
    }
    k->ids[s] = (uint32_t)(i + 1);
    k->ids_used++;
  }
  kuzat__free(&k->a, old);
  return KUZAT_OK;
}

/* ---- the band table ---- */

static void lsh_insert(kuzat_known *k, size_t w) {
  const uint16_t *sk = k->sk + w * KZ_H;
  for (size_t j = 0; j < KZ_KNOWN_BANDS; j++) {
    size_t s = band_slot(sk, j, k->ntab);
    while (k->tab[s]) s = s + 1 == k->ntab ? 0 : s + 1;
    k->tab[s] = (uint32_t)(w * KZ_KNOWN_BANDS + j + 1);
  }
  k->nent += KZ_KNOWN_BANDS;
}

/* Make room in the table for `more` windows, keeping it at most 0.8 full:
 * else rebuild it from the live windows, 0.7 full after them (`slack`: a
 * little more when documents are being added, so that rebuilds are rare). */
static int lsh_reserve(kuzat_known *k, size_t more, int slack) {
  size_t add = more * KZ_KNOWN_BANDS;
  if (k->ntab && (k->nent + add) * 10 <= k->ntab * 8) return KUZAT_OK;
  size_t live = 0;
  for (size_t w = 0; w < k->nwin; w++) live += !k->doc[k->wdoc[w]].dead;
  size_t need = (live * KZ_KNOWN_BANDS + add) * (slack ? 2 : 1);
  size_t n = need / 7 * 10 + 1024;
  if (n >= UINT32_MAX) return KUZAT_ERANGE;
  uint32_t *t = kuzat__calloc(&k->a, n, sizeof *t);
  if (!t) return KUZAT_ENOMEM;
  kuzat__free(&k->a, k->tab);
  k->tab = t;
  k->ntab = n;
  k->nent = 0;
  for (size_t w = 0; w < k->nwin; w++)
    if (!k->doc[k->wdoc[w]].dead) lsh_insert(k, w);
  return KUZAT_OK;
}

int kuzat__known_index(kuzat_known *k, size_t *dup_a, size_t *dup_b) {
  int rc = ids_reserve(k, 0, dup_a, dup_b);
  if (rc) return rc;
  kuzat__free(&k->a, k->tab);
  k->tab = NULL;
  k->ntab = k->nent = 0;
  return lsh_reserve(k, 0, 0);
}

/* ---- adding and removing ---- */

/* Room for one more document, its strings and `nwin` windows; nothing
 * visible changes. */
static int reserve_doc(kuzat_known *k, size_t strbytes, size_t nwin) {
  size_t dummy_a, dummy_b;
  if (k->ndoc >= UINT32_MAX - 2 || k->nwin + nwin > UINT32_MAX / KZ_KNOWN_BANDS - 1)
    return KUZAT_ERANGE;
  if (kuzat__grow(&k->a, (void **)&k->doc, &k->doc_cap, k->ndoc + 1, sizeof *k->doc) ||
      kuzat__grow(&k->a, (void **)&k->str, &k->str_cap, k->str_len + strbytes, 1) ||
      kuzat__grow(&k->a, (void **)&k->wdoc, &k->wdoc_cap, k->nwin + nwin + 1, sizeof *k->wdoc) ||
      kuzat__grow(&k->a, (void **)&k->wsize, &k->wsize_cap, k->nwin + nwin + 1, sizeof *k->wsize) ||
      kuzat__grow(&k->a, (void **)&k->sk, &k->sk_cap, (k->nwin + nwin) * KZ_H + 1, sizeof *k->sk) ||
      lsh_reserve(k, nwin, 1) || ids_reserve(k, 1, &dummy_a, &dummy_b))
    return KUZAT_ENOMEM;
  return KUZAT_OK;
}

static size_t put_str(kuzat_known *k, const char *s, size_t n) {
  size_t at = k->str_len;
  if (n) memcpy(k->str + at, s, n);
  k->str[at + n] = '\0';
  k->str_len += n + 1;
  return at;
}

/* The allocator given at creation, as the public type. */
static kuzat_allocator public_alloc(const kz_alloc *a) {
  kuzat_allocator pa = {a->alloc, a->realloc, a->free, a->ud};
  return pa;
}

int kuzat_known_add(kuzat_known *k, const char *id, size_t id_len, const char *text, size_t len,
                    const char *labels, size_t labels_len, kuzat_error *err) {
  kuzat__error_clear(err);
  if (!k || !id || (!text && len) || (!labels && labels_len))
    return kuzat__fail(err, KUZAT_EINVAL, "NULL argument");
  if (id_len == 0 || id_len > KZ_KNOWN_MAX_ID || memchr(id, '\0', id_len))
    return kuzat__fail(err, KUZAT_EINVAL, "an id must be 1..%d bytes without NUL (%zu bytes)",
                       KZ_KNOWN_MAX_ID, id_len);
  if (labels_len > KZ_KNOWN_MAX_LABELS || (labels_len && memchr(labels, '\0', labels_len)))
    return kuzat__fail(err, KUZAT_EINVAL, "id \"%.*s\": labels must be 0..%d bytes without NUL",
                       id_len > 64 ? 64 : (int)id_len, id, KZ_KNOWN_MAX_LABELS);
  size_t pos;
  if (kuzat_known_find(k, id, id_len, &pos) == 1)
    return kuzat__fail(err, KUZAT_EINVAL,
                       "duplicate id \"%.*s\": the document at position %zu has it already "
                       "(this one would be at %zu)",
                       id_len > 128 ? 128 : (int)id_len, id, pos, k->ndoc);
  if (!k->norm) {
    kuzat_allocator pa = public_alloc(&k->a);
    int rc = kuzat_normaliser_new(&pa, &k->norm, err);
    if (rc) return rc;
  }
  kuzat_text t;
  int rc = kuzat_normalise(k->norm, text ? text : "", len, 0, &t, err);
  if (rc) return rc;
  kz_sketch *s = &k->scratch;
  if (sketch_text(s, &k->a, k, t.utf8, t.len) || reserve_doc(k, id_len + labels_len + 2, s->nwin))
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");

  /* nothing can fail from here on */
  kz_kdoc *d = &k->doc[k->ndoc];
  memset(d, 0, sizeof *d);
  d->id = put_str(k, id, id_len);
  d->id_len = id_len;
  d->labels = put_str(k, labels ? labels : "", labels_len);
  d->labels_len = labels_len;
  d->first = (uint32_t)k->nwin;
  d->nwin = (uint32_t)s->nwin;
  for (size_t w = 0; w < s->nwin; w++) {
    k->wdoc[k->nwin] = (uint32_t)k->ndoc;
    k->wsize[k->nwin] = s->size[w];
    memcpy(k->sk + k->nwin * KZ_H, s->sk + w * KZ_H, KZ_H * sizeof *k->sk);
    lsh_insert(k, k->nwin);
    k->nwin++;
  }
  int found;
  size_t slot = id_lookup(k, id, id_len, &found);
  k->ids[slot] = (uint32_t)(k->ndoc + 1);
  k->ids_used++;
  k->ndoc++;
  k->live++;
  return KUZAT_OK;
}

int kuzat_known_remove(kuzat_known *k, const char *id, size_t id_len, kuzat_error *err) {
  kuzat__error_clear(err);
  if (!k || !id) return kuzat__fail(err, KUZAT_EINVAL, "NULL argument");
  int found = 0;
  size_t s = k->nids ? id_lookup(k, id, id_len, &found) : 0;
  if (!found)
    return kuzat__fail(err, KUZAT_EINVAL, "no document has the id \"%.*s\"",
                       id_len > 128 ? 128 : (int)id_len, id);
  k->doc[k->ids[s] - 1].dead = 1;
  k->ids[s] = KZ_TOMB; /* still counted in ids_used, until the table is rebuilt */
  k->live--;
  return KUZAT_OK;
}

/* ---------------------------------------------------------------------- */
/* Matching                                                                 */
/* ---------------------------------------------------------------------- */

/* A window pair at or above the threshold: a known document, the query
 * window, the similarity; after find_hits(), one per document, with the
 * run of neighbouring query windows [qwin, qlast] that also match it. */
typedef struct kz_hit {
  uint32_t doc, qwin, qlast;
  double sim;
} kz_hit;

struct kuzat_known_matcher {
  kz_alloc a;
  kuzat_normaliser *norm;
  kuzat_text t;
  kz_sketch s;
  uint32_t *cand; /* a query window's candidate known windows */
  size_t cand_cap;
  uint32_t *seen; /* the set of them: window + 1, open addressing */
  size_t nseen;   /* a power of two, or 0 */
  uint32_t *spot; /* where each candidate sits in seen, to empty it after */
  size_t spot_cap;
  kz_hit *hit;
  size_t hit_cap;
  kuzat_known_hit *out;
  size_t out_cap;
};

int kuzat_known_matcher_new(const kuzat_allocator *alloc, kuzat_known_matcher **out,
                            kuzat_error *err) {
  kuzat__error_clear(err);
  if (!out) return kuzat__fail(err, KUZAT_EINVAL, "NULL argument");
  *out = NULL;
  kz_alloc a;
  kuzat__alloc_init(&a, alloc);
  kuzat_known_matcher *m = kuzat__calloc(&a, 1, sizeof *m);
  if (!m) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  m->a = a;
  int rc = kuzat_normaliser_new(alloc, &m->norm, err);
  if (rc) {
    kuzat__free(&a, m);
    return rc;
  }
  *out = m;
  return KUZAT_OK;
}

void kuzat_known_matcher_free(kuzat_known_matcher *m) {
  if (!m) return;
  kz_alloc a = m->a;
  kuzat_normaliser_free(m->norm);
  sketch_free(&a, &m->s);
  kuzat__free(&a, m->cand);
  kuzat__free(&a, m->seen);
  kuzat__free(&a, m->spot);
  kuzat__free(&a, m->hit);
  kuzat__free(&a, m->out);
  kuzat__free(&a, m);
}

/* By document, then query window, then similarity down. */
static int cmp_hit_doc(const void *x, const void *y) {
  const kz_hit *a = x, *b = y;
  if (a->doc != b->doc) return a->doc < b->doc ? -1 : 1;
  if (a->qwin != b->qwin) return a->qwin < b->qwin ? -1 : 1;
  return (a->sim < b->sim) - (a->sim > b->sim);
}

/* Best first; ties by position. */
static int cmp_hit_sim(const void *x, const void *y) {
  const kz_hit *a = x, *b = y;
  if (a->sim != b->sim) return a->sim > b->sim ? -1 : 1;
  return (a->doc > b->doc) - (a->doc < b->doc);
}

/* The share of known window K (nk shingles) found in query window Q (nq),
 * from `eq` equal sketch values of KZ_H. */
static double similarity(int eq, size_t nk, size_t nq) {
  double J = (double)eq / KZ_H;
  double inter = J * (double)(nk + nq) / (1 + J);
  if (inter > (double)nk) inter = (double)nk;
  if (inter > (double)nq) inter = (double)nq;
  return inter / (double)nk;
}

/* Make the set of candidates hold more than `c` windows at under half
 * full, moving the c it holds. */
static int grow_seen(kuzat_known_matcher *m, size_t c) {
  size_t n = m->nseen ? m->nseen : 64;
  while (n < (c + 1) * 2) n *= 2;
  if (n == m->nseen) return KUZAT_OK;
  uint32_t *t = kuzat__calloc(&m->a, n, sizeof *t);
  if (!t) return KUZAT_ENOMEM;
  for (size_t i = 0; i < c; i++) {
    size_t s = (size_t)(fmix(m->cand[i]) & (n - 1));
    while (t[s]) s = (s + 1) & (n - 1);
    t[s] = m->cand[i] + 1;
    m->spot[i] = (uint32_t)s;
  }
  kuzat__free(&m->a, m->seen);
  m->seen = t;
  m->nseen = n;
  return KUZAT_OK;
}

/* Window w into m->cand[0 .. *c) unless it is there already. */
static int add_candidate(kuzat_known_matcher *m, uint32_t w, size_t *c) {
  if ((*c + 1) * 2 > m->nseen && grow_seen(m, *c)) return KUZAT_ENOMEM;
  size_t mask = m->nseen - 1, s = (size_t)(fmix(w) & mask);
  for (; m->seen[s]; s = (s + 1) & mask)
    if (m->seen[s] == w + 1) return KUZAT_OK;
  if (kuzat__grow(&m->a, (void **)&m->cand, &m->cand_cap, *c + 1, sizeof *m->cand) ||
      kuzat__grow(&m->a, (void **)&m->spot, &m->spot_cap, *c + 1, sizeof *m->spot))
    return KUZAT_ENOMEM;
  m->seen[s] = w + 1;
  m->cand[*c] = w;
  m->spot[*c] = (uint32_t)s;
  (*c)++;
  return KUZAT_OK;
}

/* Known windows that agree with query window q on some band, once each,
 * into m->cand; their number in *n. */
static int candidates(kuzat_known_matcher *m, const kuzat_known *k, const uint16_t *q, size_t *n) {
  size_t c = 0, slot[KZ_KNOWN_BANDS];
  int rc = KUZAT_OK;
  /* In a large index every look-up is a cache miss: ask for all 32 slots
   * before reading any, so the misses overlap instead of following one
   * another. */
  for (size_t j = 0; j < KZ_KNOWN_BANDS; j++) {
    slot[j] = band_slot(q, j, k->ntab);
    KZ_PREFETCH(&k->tab[slot[j]]);
  }
  for (size_t j = 0; j < KZ_KNOWN_BANDS && !rc; j++) {
    uint32_t e;
    for (size_t s = slot[j]; (e = k->tab[s]) != 0 && !rc; s = s + 1 == k->ntab ? 0 : s + 1) {
      if ((e - 1) % KZ_KNOWN_BANDS != j) continue; /* another band's */
      size_t w = (e - 1) / KZ_KNOWN_BANDS;
      const uint16_t *v = k->sk + w * KZ_H;
      if (v[2 * j] == q[2 * j] && v[2 * j + 1] == q[2 * j + 1] && !k->doc[k->wdoc[w]].dead)
        rc = add_candidate(m, (uint32_t)w, &c);
    }
  }
  for (size_t i = 0; i < c; i++) m->seen[m->spot[i]] = 0; /* empty for the next window */
  *n = c;
  return rc;
}

/* Every (document, query window) pair at or above thr into m->hit, then
 * the best of each document, best first. */
static int find_hits(kuzat_known_matcher *m, const kuzat_known *k, double thr, size_t *count) {
  const kz_sketch *s = &m->s;
  size_t nh = 0;
  for (size_t q = 0; q < s->nwin && k->ntab; q++) {
    const uint16_t *qs = s->sk + q * KZ_H;
    size_t nc;
    if (candidates(m, k, qs, &nc)) return KUZAT_ENOMEM;
    for (size_t c = 0; c < nc; c++) {
      size_t w = m->cand[c];
      const uint16_t *ks = k->sk + w * KZ_H;
      int eq = 0;
      for (int i = 0; i < KZ_H; i++) eq += ks[i] == qs[i];
      double sim = similarity(eq, k->wsize[w], s->size[q]);
      if (sim < thr) continue;
      if (kuzat__grow(&m->a, (void **)&m->hit, &m->hit_cap, nh + 1, sizeof *m->hit))
        return KUZAT_ENOMEM;
      m->hit[nh].doc = k->wdoc[w];
      m->hit[nh].qwin = m->hit[nh].qlast = (uint32_t)q;
      m->hit[nh].sim = sim;
      nh++;
    }
  }
  /* per document: its best window, widened to the run of query windows
   * around it that match it too (a quote longer than a window) */
  if (nh > 1) qsort(m->hit, nh, sizeof *m->hit, cmp_hit_doc);
  size_t u = 0;
  for (size_t i = 0; i < nh;) {
    size_t j = i, best = i;
    while (j < nh && m->hit[j].doc == m->hit[i].doc) {
      if (m->hit[j].sim > m->hit[best].sim) best = j;
      j++;
    }
    uint32_t first = m->hit[best].qwin, last = first;
    for (size_t q = best; q > i && m->hit[q - 1].qwin + 1 >= first; q--) first = m->hit[q - 1].qwin;
    for (size_t q = best + 1; q < j && m->hit[q].qwin <= last + 1; q++) last = m->hit[q].qwin;
    kz_hit h = m->hit[best];
    h.qwin = first;
    h.qlast = last;
    m->hit[u++] = h;
    i = j;
  }
  nh = u;
  if (nh > 1) qsort(m->hit, nh, sizeof *m->hit, cmp_hit_sim);
  *count = nh;
  return KUZAT_OK;
}

/* Normalised bytes [*b0, *b1) of the words of query windows q0..q1. */
static void window_bytes(const kz_sketch *s, size_t shingle, size_t q0, size_t q1, size_t *b0,
                         size_t *b1) {
  size_t first = s->lo[q0], last = s->hi[q1] - 1 + shingle;
  if (last > s->nword) last = s->nword;
  const kuzat_token *t0 = &s->tok[s->word[first]], *t1 = &s->tok[s->word[last - 1]];
  *b0 = t0->off;
  *b1 = t1->off + t1->len;
}

static int match(kuzat_known_matcher *m, const kuzat_known *k, const char *text, size_t len,
                 const kuzat_text *norm, double threshold, const kuzat_known_hit **out,
                 size_t *count, kuzat_error *err) {
  double thr = threshold < 0 ? k->p.threshold : threshold;
  if (sketch_text(&m->s, &m->a, k, norm->utf8, norm->len))
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  size_t nh;
  if (find_hits(m, k, thr, &nh) ||
      kuzat__grow(&m->a, (void **)&m->out, &m->out_cap, nh + 1, sizeof *m->out))
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  const size_t *src_start = norm->src_start, *src_end = norm->src_end;
  if (nh && !src_start) { /* offsets only now that something matched */
    int rc = kuzat_normalise(m->norm, text, len, KUZAT_NORM_OFFSETS, &m->t, err);
    if (rc) return rc;
    if (norm != &m->t && (m->t.len != norm->len || memcmp(m->t.utf8, norm->utf8, norm->len)))
      return kuzat__fail(err, KUZAT_EINVAL, "norm is not the normalised form of the text");
    src_start = m->t.src_start;
    src_end = m->t.src_end;
  }
  for (size_t i = 0; i < nh; i++) {
    const kz_hit *h = &m->hit[i];
    const kz_kdoc *d = &k->doc[h->doc];
    kuzat_known_hit *o = &m->out[i];
    size_t b0, b1;
    window_bytes(&m->s, (size_t)k->p.shingle, h->qwin, h->qlast, &b0, &b1);
    o->id = k->str + d->id;
    o->id_len = d->id_len;
    o->labels = k->str + d->labels;
    o->labels_len = d->labels_len;
    o->similarity = h->sim;
    o->start = src_start[b0];
    o->end = src_end[b1 - 1];
    o->doc = h->doc;
  }
  *out = m->out;
  *count = nh;
  return KUZAT_OK;
}

static int match_args(kuzat_known_matcher *m, const kuzat_known *k, const char *text, size_t len,
                      double threshold, const kuzat_known_hit **out, size_t *count,
                      kuzat_error *err) {
  kuzat__error_clear(err);
  if (count) *count = 0;
  if (out) *out = NULL;
  if (!m || !k || !out || !count || (!text && len))
    return kuzat__fail(err, KUZAT_EINVAL, "NULL argument");
  if (!(threshold <= 1))
    return kuzat__fail(err, KUZAT_EINVAL, "threshold %g is above 1 (negative: the index's)",
                       threshold);
  return KUZAT_OK;
}

int kuzat_known_match(kuzat_known_matcher *m, const kuzat_known *k, const char *text, size_t len,
                      double threshold, const kuzat_known_hit **out, size_t *count,
                      kuzat_error *err) {
  int rc = match_args(m, k, text, len, threshold, out, count, err);
  if (rc) return rc;
  if (!text) text = "";
  rc = kuzat_normalise(m->norm, text, len, 0, &m->t, err);
  if (rc) return rc;
  return match(m, k, text, len, &m->t, threshold, out, count, err);
}

int kuzat_known_match_text(kuzat_known_matcher *m, const kuzat_known *k, const char *text,
                           size_t len, const kuzat_text *norm, double threshold,
                           const kuzat_known_hit **out, size_t *count, kuzat_error *err) {
  int rc = match_args(m, k, text, len, threshold, out, count, err);
  if (rc) return rc;
  if (!norm || !norm->utf8) return kuzat__fail(err, KUZAT_EINVAL, "NULL argument");
  if (!text) text = "";
  return match(m, k, text, len, norm, threshold, out, count, err);
}
