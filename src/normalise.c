/*
 * normalise.c -- one canonical form for every spelling of a word.
 *
 * The steps are listed in kuzat.h. This file does decoding, apostrophe
 * folding, NFKC_Casefold with cleanup, homoglyph repair and Uzbek
 * Cyrillic-to-Latin transliteration; langid.c identifies the language.
 *
 * How NFKC_Casefold is made fast without giving up ICU's answer. ICU says
 * whether a code point "has a normalisation boundary before it": then the
 * text before it and the text from it on normalise independently. So the
 * text splits into segments that start at such code points; most segments
 * are one code point, and the normal form of one code point depends on
 * nothing else. Each normaliser therefore keeps a lazily filled table over
 * the Basic Multilingual Plane: code point -> (boundary flag, its
 * NFKC_Casefold form with our cleanup applied). A one-code-point segment is
 * then a table lookup; a longer segment (a letter with combining marks,
 * Hangul jamo) goes to unorm2_normalize(). The answer is ICU's, and every
 * output code point knows which input bytes it came from, which is what
 * lets explanations point into the original text.
 *
 * The letter tables (what ASCII, apostrophes, lookalikes and Uzbek
 * Cyrillic letters become) are in normalise_tables.c; this file walks the
 * text. It also builds the language profiles langid.c identifies with, by
 * folding the sentences compiled into the library and handing them over.
 *
 * What this file does not do: tokenising (tokenise.c), identification
 * (langid.c), reading files (reader.c), character classes (chars.c).
 */
#include "normalise.h"

#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/utf16.h>

#define KZ_BMP 0x10000
#define KZ_MAXMAP 32 /* longest folded form of one code point (U+FDFA: 18) */

struct kuzat_normaliser {
  kz_alloc a;
  const UNormalizer2 *nfkc_cf;
  const UNormalizer2 *nfd;
  kz_centry *cache; /* KZ_BMP entries */
  int32_t *pool;
  size_t pool_len, pool_cap;
  kz_profile *profile; /* language profiles (langid.c) */
  int track;           /* filling source offsets in this call */

  /* step 1: decoded code points; o1[i] = first input byte of c1[i] */
  int32_t *c1;
  size_t *o1;
  size_t c1_cap, o1_cap;
  /* steps 3-6: folded code points, each from input bytes [s2, e2) */
  int32_t *c2;
  size_t *s2, *e2;
  size_t c2_cap, s2_cap, e2_cap, n2;
  /* step 7: transliterated */
  int32_t *c3;
  size_t *s3, *e3;
  size_t c3_cap, s3_cap, e3_cap;
  /* UTF-8 output */
  char *out;
  size_t *os, *oe;
  size_t out_cap, os_cap, oe_cap;
  /* UTF-16 scratch for segments ICU normalises */
  UChar *u16, *u16o;
  size_t u16_cap, u16o_cap;
  kz_langstats stats;
  int fast;        /* try normalise_fast.c first (0: tests of the general path) */
  size_t fast_len; /* bytes of `out` that are c2 in UTF-8 already, or SIZE_MAX */
};

/* ---------------------------------------------------------------------- */
/* Buffers                                                                  */
/* ---------------------------------------------------------------------- */

#define GROW(n, buf, cap, need) \
  kuzat__grow(&(n)->a, (void **)&(buf), &(cap), (need), sizeof *(buf))

/* ---------------------------------------------------------------------- */
/* Step 1: UTF-8 decoding with substitution                                 */
/* ---------------------------------------------------------------------- */

/* Decode s[0..len) into n->c1, replacing each maximal ill-formed
 * subsequence by U+FFFD (the Unicode "best practice", which ICU and WHATWG
 * follow). Returns the number of code points. c1 and o1 must hold len+1. */
static size_t decode_utf8(kuzat_normaliser *n, const uint8_t *s, size_t len) {
  int32_t *out = n->c1;
  size_t *off = n->track ? n->o1 : NULL;
  size_t i = 0, k = 0;
  while (i < len) {
    uint8_t b = s[i];
    if (b < 0x80) {
      if (!off) { /* a run of ASCII, eight bytes at a time while it lasts */
        while (i + 8 <= len) {
          uint64_t w;
          memcpy(&w, s + i, 8);
          if (w & 0x8080808080808080ull) break;
          for (int q = 0; q < 8; q++) out[k + (size_t)q] = s[i + (size_t)q];
          i += 8;
          k += 8;
        }
        if (i == len || s[i] >= 0x80) continue;
      } else {
        off[k] = i;
      }
      out[k++] = s[i];
      i++;
      continue;
    }
    size_t start = i, need;
    int32_t c;
    uint8_t lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      need = 1;
      c = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
      need = 2;
      c = b & 0x0F;
      if (b == 0xE0) lo = 0xA0;
      if (b == 0xED) hi = 0x9F; /* no surrogates */
    } else if (b >= 0xF0 && b <= 0xF4) {
      need = 3;
      c = b & 0x07;
      if (b == 0xF0) lo = 0x90;
      if (b == 0xF4) hi = 0x8F;
    } else {
      need = 0;
      c = 0xFFFD;
    }
    i++;
    size_t got = 0;
    while (got < need && i < len) {
      uint8_t t = s[i];
      if (t < lo || t > hi) break;
      c = (c << 6) | (t & 0x3F);
      lo = 0x80;
      hi = 0xBF;
      i++;
      got++;
    }
    if (got < need) c = 0xFFFD;
    if (off) off[k] = start;
    out[k++] = c;
  }
  if (off) off[k] = len;
  out[k] = 0; /* a sentinel: fold() reads one past the end */
  return k;
}

/* ---------------------------------------------------------------------- */
/* Step 2: Uzbek apostrophes (applied after step 4, see fold_apostrophes)   */
/* ---------------------------------------------------------------------- */

static int is_o_or_g(int32_t c) { return c == 'o' || c == 'g' || c == 0x43E; }

/* A letter next to an apostrophe. Apostrophes themselves, ʻ and ʼ
 * included, are not letters here, so "o''z" is left alone however often it
 * is normalised. */
static int is_letter_for_apos(int32_t c) {
  if (c < 0x80) return ((uint32_t)(c | 0x20) - 'a' < 26u);
  return u_isalpha(c) && !kuzat__is_apostrophe(c);
}

/* Runs after case folding and cleanup, so it sees the letters a reader
 * sees: invisible characters between a letter and its apostrophe are gone
 * and full-width ｏ is o. (U+00B4 ´, which NFKC would split into a space
 * and a combining accent, was turned into U+2019 before NFKC.) Returns how
 * many it changed. */
static size_t fold_apostrophes(int32_t *c, size_t n) {
  size_t changed = 0;
  for (size_t i = 1; i < n; i++) {
    /* what is left of kuzat__is_apostrophe()'s set after NFKC_Casefold, as
     * compares the compiler turns into a tight loop */
    uint32_t x = (uint32_t)c[i];
    if (KZ_LIKELY(x != 0x27 && x != 0x60 && x - 0x2B9u > 4u && x - 0x2018u > 1u &&
                  x != 0x2032))
      continue;
    int32_t prev = c[i - 1], next = i + 1 < n ? c[i + 1] : 0;
    int next_letter = next && is_letter_for_apos(next);
    int32_t to = c[i];
    if (is_o_or_g(prev) && next_letter)
      to = 0x2BB;
    else if (prev == 'g' && !next_letter)
      to = 0x2BB;
    else if (next_letter && is_letter_for_apos(prev))
      to = 0x2BC;
    changed += to != c[i];
    c[i] = to;
  }
  return changed;
}

/* ---------------------------------------------------------------------- */
/* Steps 3 and 4: NFKC_Casefold and cleanup                                 */
/* ---------------------------------------------------------------------- */

static int icu_fail(kuzat_error *err, UErrorCode st, const char *what) {
  return kuzat__fail(err, KUZAT_EICU, "ICU %s failed: %s", what,
                     u_errorName(st));
}

/* Step 4 for one code point `d` already in NFKC_Casefold form: append its
 * cleaned form (zero or more code points) to out[*k]. */
static int cleanup_cp(kuzat_normaliser *n, int32_t d, int32_t *out, size_t *k,
                      kuzat_error *err) {
  if (d < 0x80) {
    if (d == ' ' || (d >= 0x09 && d <= 0x0D))
      out[(*k)++] = ' ';
    else if (d >= 0x20 && d != 0x7F)
      out[(*k)++] = d;
    return KUZAT_OK;
  }
  if (u_isUWhiteSpace(d)) {
    out[(*k)++] = ' ';
    return KUZAT_OK;
  }
  int8_t type = u_charType(d);
  if (type == U_CONTROL_CHAR || d == 0x640) return KUZAT_OK; /* tatweel */
  UErrorCode st = U_ZERO_ERROR;
  if (type == U_NON_SPACING_MARK) {
    /* NFKC composed every mark that has a precomposed letter; one still
     * standing alone belongs to no letter of our alphabets. */
    UScriptCode sc = uscript_getScript(d, &st);
    if (U_SUCCESS(st) && sc == USCRIPT_INHERITED) return KUZAT_OK;
  }
  if (type == U_DECIMAL_DIGIT_NUMBER) {
    int v = u_charDigitValue(d);
    if (v >= 0 && v <= 9) {
      out[(*k)++] = '0' + v;
      return KUZAT_OK;
    }
  }
  switch (d) {
  case 0x64A: case 0x649: out[(*k)++] = 0x6CC; return KUZAT_OK; /* ي ى */
  case 0x643: out[(*k)++] = 0x6A9; return KUZAT_OK;             /* ك */
  }
  st = U_ZERO_ERROR;
  if (uscript_getScript(d, &st) == USCRIPT_LATIN && U_SUCCESS(st)) {
    int32_t x = kuzat__latin_extra(d);
    if (x) {
      out[(*k)++] = x;
      return KUZAT_OK;
    }
    UChar dec[8];
    int32_t dl = unorm2_getDecomposition(n->nfd, d, dec, 8, &st);
    if (U_FAILURE(st)) return icu_fail(err, st, "unorm2_getDecomposition");
    if (dl > 0) {
      UChar32 base;
      int32_t p = 0;
      U16_NEXT(dec, p, dl, base);
      out[(*k)++] = base;
      return KUZAT_OK;
    }
  }
  out[(*k)++] = d;
  return KUZAT_OK;
}

/* Fold one code point alone: NFKC_Casefold, then cleanup. Writes at most
 * KZ_MAXMAP code points to out and the boundary flag to *bb. */
static int fold_one(kuzat_normaliser *n, UChar32 c, int32_t *out, size_t *k,
                    int *bb, kuzat_error *err) {
  UChar in[2], nf[KZ_MAXMAP];
  int32_t il = 0;
  /* NFKC would split ´ into a space and U+0301 and break the word it is
   * an apostrophe in: give it the form of another apostrophe first. */
  if (c == 0xB4) c = 0x2019;
  U16_APPEND_UNSAFE(in, il, c);
  UErrorCode st = U_ZERO_ERROR;
  int32_t nl = unorm2_normalize(n->nfkc_cf, in, il, nf, KZ_MAXMAP, &st);
  if (U_FAILURE(st)) return icu_fail(err, st, "unorm2_normalize");
  *bb = unorm2_hasBoundaryBefore(n->nfkc_cf, c) ? 1 : 0;
  *k = 0;
  for (int32_t p = 0; p < nl;) {
    UChar32 d;
    U16_NEXT(nf, p, nl, d);
    if (*k + 2 > KZ_MAXMAP) break;
    int rc = cleanup_cp(n, d, out, k, err);
    if (rc) return rc;
  }
  return KUZAT_OK;
}

/* The cache entry of a BMP code point, computed on first use. */
static int centry(kuzat_normaliser *n, int32_t c, const kz_centry **ce,
                  kuzat_error *err) {
  kz_centry *e = &n->cache[c];
  if (KZ_LIKELY(e->flags & CE_DONE)) {
    *ce = e;
    return KUZAT_OK;
  }
  int32_t tmp[KZ_MAXMAP];
  size_t k;
  int bb, rc = fold_one(n, c, tmp, &k, &bb, err);
  if (rc) return rc;
  if (k <= 1) {
    e->val = k ? (uint32_t)tmp[0] : 0;
  } else {
    if (GROW(n, n->pool, n->pool_cap, n->pool_len + k))
      return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
    memcpy(n->pool + n->pool_len, tmp, k * sizeof *tmp);
    e->val = (uint32_t)n->pool_len;
    n->pool_len += k;
  }
  e->len = (uint8_t)k;
  e->script = KZ_SC_NONE;
  for (size_t q = 0; q < k && e->script == KZ_SC_NONE; q++)
    e->script = (uint8_t)kuzat__script(tmp[q]);
  int has_apos = 0;
  for (size_t q = 0; q < k; q++) has_apos |= kuzat__is_apostrophe(tmp[q]);
  int marked = e->script == KZ_SC_LATIN && ((c >= 0xC0 && c < 0x250) || (c >= 0x1E00 && c < 0x1F00));
  int plain = bb && k == 1 && !has_apos && !marked && (uint32_t)c - 0x600u >= 0x100u;
  e->flags = (uint8_t)(CE_DONE | (bb ? CE_BB : 0) | (has_apos ? CE_APOS : 0) |
                       (plain ? CE_PLAIN : 0));
  *ce = e;
  return KUZAT_OK;
}

/* Does code point c (not ASCII) start a new normalisation segment? Every
 * ASCII character does (checked by the tests). */
static inline int boundary_before(kuzat_normaliser *n, int32_t c, int *rc,
                                  kuzat_error *err) {
  if (c < KZ_BMP) {
    const kz_centry *e = &n->cache[c];
    if (KZ_UNLIKELY(!(e->flags & CE_DONE)) && (*rc = centry(n, c, &e, err)))
      return 1;
    return (e->flags & CE_BB) != 0;
  }
  return unorm2_hasBoundaryBefore(n->nfkc_cf, c) ? 1 : 0;
}

/* Append folded code point d from input bytes [s, e) to c2, turning runs of
 * spaces into one and dropping leading spaces. c2 has room. */
static inline void emit(kuzat_normaliser *n, int32_t d, size_t s, size_t e) {
  size_t k = n->n2;
  if (d == ' ' && (k == 0 || n->c2[k - 1] == ' ')) return;
  n->c2[k] = d;
  if (n->track) {
    n->s2[k] = s;
    n->e2[k] = e;
  }
  n->n2 = k + 1;
}

/* Code points c2 has room for: with offsets tracked, the least of c2's,
 * s2's and e2's capacities (each grows on its own, and c2 also trades
 * places with c3, so they differ). */
static size_t room2(const kuzat_normaliser *n) {
  size_t r = n->c2_cap;
  if (n->track) {
    if (n->s2_cap < r) r = n->s2_cap;
    if (n->e2_cap < r) r = n->e2_cap;
  }
  return r;
}

static int reserve2(kuzat_normaliser *n, size_t need) {
  if (need <= n->c2_cap && (!n->track || (need <= n->s2_cap && need <= n->e2_cap)))
    return KUZAT_OK;
  if (GROW(n, n->c2, n->c2_cap, need)) return KUZAT_ENOMEM;
  if (n->track &&
      (GROW(n, n->s2, n->s2_cap, need) || GROW(n, n->e2, n->e2_cap, need)))
    return KUZAT_ENOMEM;
  return KUZAT_OK;
}

/* Normalise a segment of more than one code point through ICU. */
static int fold_segment(kuzat_normaliser *n, const int32_t *c, size_t len,
                        size_t s, size_t e, kuzat_error *err) {
  if (GROW(n, n->u16, n->u16_cap, 2 * len))
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  int32_t ul = 0;
  for (size_t i = 0; i < len; i++) U16_APPEND_UNSAFE(n->u16, ul, c[i]);
  UErrorCode st;
  int32_t ol;
  for (;;) {
    st = U_ZERO_ERROR;
    int32_t cap = n->u16o_cap > INT32_MAX ? INT32_MAX : (int32_t)n->u16o_cap;
    ol = unorm2_normalize(n->nfkc_cf, n->u16, ul, n->u16o, cap, &st);
    if (st != U_BUFFER_OVERFLOW_ERROR) break;
    if (GROW(n, n->u16o, n->u16o_cap, (size_t)ol + 1))
      return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  }
  if (U_FAILURE(st)) return icu_fail(err, st, "unorm2_normalize");
  /* Every output code point is NFKC_Casefold already, so its own cache
   * entry is exactly its cleanup. */
  if (reserve2(n, n->n2 + (size_t)ol * KZ_MAXMAP))
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  for (int32_t p = 0; p < ol;) {
    UChar32 d;
    U16_NEXT(n->u16o, p, ol, d);
    int32_t tmp[KZ_MAXMAP];
    size_t k = 0;
    int rc = cleanup_cp(n, d, tmp, &k, err);
    if (rc) return rc;
    for (size_t j = 0; j < k; j++) {
      n->stats.script[kuzat__script(tmp[j])]++;
      n->stats.uz_short_u += tmp[j] == 0x45E;
      emit(n, tmp[j], s, e);
    }
  }
  return KUZAT_OK;
}

/* Steps 3 and 4 over c1[0..n1) into c2, counting letters per script.
 *
 * The hot loop of the normaliser, so it keeps its state in locals and
 * writes it back only around the rare calls that append through emit():
 * segments of several code points and code points outside the BMP.
 * Invariant at the top of the loop: c2 has room for one code point per
 * remaining input code point plus KZ_MAXMAP, so appends never check. */
static inline int fold_impl(kuzat_normaliser *n, size_t n1, kuzat_error *err,
                            const int track) {
  const int32_t *c1 = n->c1;
  const size_t *o1 = n->o1;
  const kz_centry *cache = n->cache;
  memset(&n->stats, 0, sizeof n->stats);
  n->n2 = 0;
  if (reserve2(n, n1 + KZ_MAXMAP + 1))
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  int32_t *c2 = n->c2;
  size_t n2 = 0, *sc = n->stats.script, c2_cap = room2(n);
  int rc = KUZAT_OK;
  /* Letter counts live in registers: a plain counter for ASCII letters,
   * and for the others six 10-bit fields of one word, emptied into
   * n->stats every 1000 code points. (Incrementing n->stats directly
   * chains every iteration through memory and halves the speed.) */
  size_t ascii_letters = 0, short_u = 0;
  unsigned apos = 0;   /* any apostrophe at all? if not, step 2 is skipped */
  int prev_space = 1;  /* drops leading spaces and runs of spaces */
  uint64_t packed = 0;
  unsigned budget = 1000;
#define FLUSH_COUNTS()                                                   \
  do {                                                                   \
    for (int k_ = 0; k_ < KZ_SC_COUNT; k_++) sc[k_] += (packed >> (10 * k_)) & 1023u; \
    packed = 0;                                                          \
    budget = 1000;                                                       \
  } while (0)
#define COUNT(script)                                                    \
  do {                                                                   \
    packed += 1ull << (10 * (script));                                   \
    if (KZ_UNLIKELY(--budget == 0)) FLUSH_COUNTS();                      \
  } while (0)

/* Append d from input bytes [s, e), one space for a run of spaces. It is
 * always stored, then kept (n2 advances) unless it is a second space. */
#define APPEND(d, s, e)                                        \
  do {                                                         \
    int32_t d_ = (d);                                          \
    int sp_ = d_ == ' ';                                       \
    c2[n2] = d_;                                               \
    if (track) {                                               \
      n->s2[n2] = (s);                                         \
      n->e2[n2] = (e);                                         \
    }                                                          \
    n2 += (size_t)!(sp_ & prev_space);                         \
    prev_space = sp_;                                          \
  } while (0)

  size_t i = 0;
  while (i < n1) {
    int32_t c = c1[i];
    int32_t next = c1[i + 1]; /* c1[n1] is 0 */
    if (KZ_LIKELY(c < 0x80 && next < 0x80)) { /* ASCII, then ASCII */
      unsigned info = kuzat__ascii_info[c];
      ascii_letters += (info >> 8) & 1u;
      apos |= info & ASCII_APOS;
      if (KZ_LIKELY((info & 0xFFu) != ASCII_DROP))
        APPEND((int32_t)(info & 0xFFu), track ? o1[i] : 0, track ? o1[i + 1] : 0);
      i++;
      continue;
    }
    /* a segment is c and every following code point without a boundary */
    size_t j = i + 1;
    while (j < n1 && c1[j] >= 0x80 && !boundary_before(n, c1[j], &rc, err)) j++;
    if (KZ_UNLIKELY(rc)) return rc;
    size_t s = track ? o1[i] : 0, e = track ? o1[j] : 0;
    if ((uint32_t)c - 0x600u < 0x100u) kuzat__arabic_cue(&n->stats, c);
    if (KZ_LIKELY(j == i + 1 && c < KZ_BMP)) {
      const kz_centry *ce = &cache[c];
      if (KZ_UNLIKELY(!(ce->flags & CE_DONE)) && (rc = centry(n, c, &ce, err)))
        return rc;
      /* a Latin letter with a diacritic: not English, not modern Uzbek */
      if (ce->script == KZ_SC_LATIN && ((c >= 0xC0 && c < 0x250) || (c >= 0x1E00 && c < 0x1F00)))
        n->stats.latin_marked++;
      if (ce->len == 1) {
        uint32_t v = ce->val;
        COUNT(ce->script);
        short_u += v == 0x45E;
        apos |= ce->flags & CE_APOS;
        APPEND((int32_t)v, s, e);
      } else {
        /* len 0 (a deleted character) may come before anything is
         * pooled: index the pool only when there is something to read */
        apos |= ce->flags & CE_APOS;
        for (size_t q = 0; q < ce->len; q++) {
          int32_t v = n->pool[ce->val + q];
          COUNT(kuzat__script(v));
          APPEND(v, s, e);
        }
      }
    } else {
      /* rare: hand over to the emit() helpers */
      n->n2 = n2;
      apos = 1;
      for (size_t q = i + 1; q < j; q++)
        if ((uint32_t)c1[q] - 0x600u < 0x100u) kuzat__arabic_cue(&n->stats, c1[q]);
      if (j == i + 1) {
        int32_t tmp[KZ_MAXMAP];
        size_t k;
        int bb;
        if ((rc = fold_one(n, c, tmp, &k, &bb, err))) return rc;
        for (size_t q = 0; q < k; q++) {
          COUNT(kuzat__script(tmp[q]));
          emit(n, tmp[q], s, e);
        }
      } else if ((rc = fold_segment(n, c1 + i, j - i, s, e, err))) {
        return rc;
      }
      n2 = n->n2;
      c2 = n->c2;
      c2_cap = room2(n);
      prev_space = !n2 || c2[n2 - 1] == ' ';
    }
    i = j;
    /* Only a code point that became several can use up the slack the
     * invariant keeps; single-code-point mappings never do. */
    if (KZ_UNLIKELY(n2 + (n1 - i) + KZ_MAXMAP > c2_cap)) {
      n->n2 = n2;
      if (reserve2(n, n2 + (n1 - i) + KZ_MAXMAP))
        return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
      c2 = n->c2;
      c2_cap = room2(n);
    }
  }
  FLUSH_COUNTS();
#undef COUNT
#undef FLUSH_COUNTS
#undef APPEND
  sc[KZ_SC_LATIN] += ascii_letters;
  n->stats.uz_short_u += short_u;
  n->stats.apostrophes = apos != 0;
  if (n2 && c2[n2 - 1] == ' ') n2--;
  n->n2 = n2;
  return KUZAT_OK;
}

/* Two copies of the loop, with and without offsets, so the hot one has no
 * offset bookkeeping at all. */
static int fold(kuzat_normaliser *n, size_t n1, kuzat_error *err) {
  return n->track ? fold_impl(n, n1, err, 1) : fold_impl(n, n1, err, 0);
}

/* ---------------------------------------------------------------------- */
/* Step 6: homoglyphs                                                       */
/* ---------------------------------------------------------------------- */

/* Repair words that mix Latin, Cyrillic and Greek letters, in place.
 * Returns the number of letters changed. */
static size_t repair_homoglyphs(int32_t *c, size_t n, int doc_script, int lang) {
  size_t i = 0, changed = 0;
  while (i < n) {
    if (!kuzat__is_word_char(c[i])) {
      i++;
      continue;
    }
    size_t j = i, cnt[KZ_SC_COUNT] = {0};
    for (; j < n && kuzat__is_word_char(c[j]); j++) cnt[kuzat__script(c[j])]++;
    int scripts = (cnt[KZ_SC_LATIN] > 0) + (cnt[KZ_SC_CYRILLIC] > 0) +
                  (cnt[KZ_SC_GREEK] > 0);
    if (scripts > 1) {
      int maj = KZ_SC_LATIN;
      if (cnt[KZ_SC_CYRILLIC] > cnt[maj] ||
          (cnt[KZ_SC_CYRILLIC] == cnt[maj] && doc_script == KZ_SC_CYRILLIC))
        maj = KZ_SC_CYRILLIC;
      if (cnt[KZ_SC_GREEK] > cnt[maj] ||
          (cnt[KZ_SC_GREEK] == cnt[maj] && doc_script == KZ_SC_GREEK))
        maj = KZ_SC_GREEK;
      /* Repair only a word that comes out in one script: a letter with no
       * lookalike (ж in a Latin word) means the word is not a disguise,
       * and a half-repaired word would be repaired differently the next
       * time it is normalised. */
      int whole = 1;
      for (size_t q = i; q < j && whole; q++) {
        int sc = kuzat__script(c[q]);
        if (sc != maj && sc != KZ_SC_NONE && !kuzat__lookalike(c[q], sc, maj, lang)) whole = 0;
      }
      for (size_t q = i; q < j && whole; q++) {
        int sc = kuzat__script(c[q]);
        if (sc == maj || sc == KZ_SC_NONE) continue;
        c[q] = kuzat__lookalike(c[q], sc, maj, lang);
        changed++;
      }
    }
    i = j;
  }
  return changed;
}

/* ---------------------------------------------------------------------- */
/* Step 7: Uzbek Cyrillic -> Latin                                          */
/* ---------------------------------------------------------------------- */

/* Can every letter of c[i..j) be written in Uzbek Latin? A word with a
 * Cyrillic letter Uzbek does not have and no Latin lookalike (Kazakh ә,
 * Ukrainian ї) is left in Cyrillic rather than half transliterated. */
static int translit_word_ok(const int32_t *c, size_t i, size_t j) {
  for (size_t q = i; q < j; q++) {
    int32_t x = c[q];
    int sc = kuzat__script(x);
    if (sc == KZ_SC_GREEK && !kuzat__lookalike(x, sc, KZ_SC_LATIN, KUZAT_LANG_UZ_LATN)) return 0;
    if (sc != KZ_SC_CYRILLIC || (x >= 0x430 && x <= 0x44F)) continue;
    if (x == 0x451 || x == 0x45E || x == 0x493 || x == 0x49B || x == 0x4B3) continue;
    if (!kuzat__lookalike(x, sc, KZ_SC_LATIN, KUZAT_LANG_UZ_LATN)) return 0;
  }
  return 1;
}

/* Uzbek Cyrillic to Latin: every code point when `all`, else only the
 * words that contain ў, a letter no other language of ours has, so that
 * Ўзбекистон quoted in an English or Russian text is still oʻzbekiston. */
static int transliterate(kuzat_normaliser *n, int all, kuzat_error *err) {
  size_t need = 3 * n->n2 + 1;
  if (GROW(n, n->c3, n->c3_cap, need) ||
      (n->track && (GROW(n, n->s3, n->s3_cap, need) ||
                    GROW(n, n->e3, n->e3_cap, need))))
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  size_t k = 0, word_end = 0;
  int in_uz_word = 0;
  for (size_t i = 0; i < n->n2; i++) {
    if (i >= word_end) { /* entering the next word, or a gap of one */
      word_end = i;
      int has_u = 0;
      while (word_end < n->n2 && kuzat__is_word_char(n->c2[word_end]))
        has_u |= n->c2[word_end++] == 0x45E;
      if (word_end == i) word_end = i + 1;
      in_uz_word = (all || has_u) && translit_word_ok(n->c2, i, word_end);
    }
    size_t w;
    if (in_uz_word) {
      w = kuzat__translit_one(n->c2, n->n2, i, n->c3 + k);
    } else {
      n->c3[k] = n->c2[i];
      w = 1;
    }
    if (n->track)
      for (size_t q = 0; q < w; q++) {
        n->s3[k + q] = n->s2[i];
        n->e3[k + q] = n->e2[i];
      }
    k += w;
  }
  /* swap so c2 always holds the current text */
  int32_t *tc = n->c2; n->c2 = n->c3; n->c3 = tc;
  size_t tcap = n->c2_cap; n->c2_cap = n->c3_cap; n->c3_cap = tcap;
  if (n->track) {
    size_t *ts = n->s2; n->s2 = n->s3; n->s3 = ts;
    tcap = n->s2_cap; n->s2_cap = n->s3_cap; n->s3_cap = tcap;
    ts = n->e2; n->e2 = n->e3; n->e3 = ts;
    tcap = n->e2_cap; n->e2_cap = n->e3_cap; n->e3_cap = tcap;
  }
  n->n2 = k;
  return KUZAT_OK;
}

/* ---------------------------------------------------------------------- */
/* Output                                                                   */
/* ---------------------------------------------------------------------- */

static int encode_utf8(kuzat_normaliser *n, kuzat_text *out, kuzat_error *err) {
  size_t need = 4 * n->n2 + 1;
  if (GROW(n, n->out, n->out_cap, need) ||
      (n->track && (GROW(n, n->os, n->os_cap, need) ||
                    GROW(n, n->oe, n->oe_cap, need))))
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  uint8_t *o = (uint8_t *)n->out;
  size_t k = 0;
  for (size_t i = 0; i < n->n2; i++) {
    uint32_t c = (uint32_t)n->c2[i];
    size_t k0 = k;
    if (c < 0x80) {
      o[k++] = (uint8_t)c;
    } else if (c < 0x800) {
      o[k++] = (uint8_t)(0xC0 | (c >> 6));
      o[k++] = (uint8_t)(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      o[k++] = (uint8_t)(0xE0 | (c >> 12));
      o[k++] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
      o[k++] = (uint8_t)(0x80 | (c & 0x3F));
    } else {
      o[k++] = (uint8_t)(0xF0 | (c >> 18));
      o[k++] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
      o[k++] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
      o[k++] = (uint8_t)(0x80 | (c & 0x3F));
    }
    if (n->track)
      for (size_t q = k0; q < k; q++) {
        n->os[q] = n->s2[i];
        n->oe[q] = n->e2[i];
      }
  }
  o[k] = '\0';
  out->utf8 = n->out;
  out->len = k;
  out->src_start = n->track ? n->os : NULL;
  out->src_end = n->track ? n->oe : NULL;
  return KUZAT_OK;
}

/* ---------------------------------------------------------------------- */
/* Steps 1-4 whole, and the language profiles                               */
/* ---------------------------------------------------------------------- */

/* Steps 1-4: decode, apostrophes, NFKC_Casefold and cleanup into c2; in
 * one pass when normalise_fast.c can, which leaves the UTF-8 of c2 in
 * n->out as well (n->fast_len bytes). */
static int fold_text(kuzat_normaliser *n, const char *utf8, size_t len,
                     kuzat_error *err) {
  if (len == SIZE_MAX) return kuzat__fail(err, KUZAT_ERANGE, "text too long");
  n->fast_len = SIZE_MAX;
  if (n->fast && !n->track && len < SIZE_MAX / 8) {
    if (reserve2(n, 3 * len + 16) || GROW(n, n->out, n->out_cap, 6 * len + 16))
      return kuzat__fail(err, KUZAT_ENOMEM, "out of memory (text of %zu bytes)", len);
    size_t n2, nout;
    if (kuzat__fold_fast(n->cache, n->pool, (const uint8_t *)utf8, len, n->c2, (uint8_t *)n->out,
                         &n->stats, &n2, &nout)) {
      n->n2 = n2;
      n->fast_len = nout;
      if (n->stats.apostrophes && fold_apostrophes(n->c2, n->n2)) n->fast_len = SIZE_MAX;
      return KUZAT_OK;
    }
  }
  if (GROW(n, n->c1, n->c1_cap, len + 1) ||
      (n->track && GROW(n, n->o1, n->o1_cap, len + 1)))
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory (text of %zu bytes)",
                       len);
  size_t n1 = decode_utf8(n, (const uint8_t *)utf8, len);
  int rc = fold(n, n1, err);
  if (!rc && n->stats.apostrophes) fold_apostrophes(n->c2, n->n2);
  return rc;
}

/* The language profiles, from the texts compiled into the library, folded
 * by steps 1-4 as the identifier sees text at run time. One sentence per
 * line: no trigram spans two sentences. */
int kuzat__normaliser_build_profile(kuzat_normaliser *n, kz_profile **out, kuzat_error *err) {
  int rc = kuzat__profile_new(&n->a, out);
  n->track = 0;
  for (size_t k = 0; !rc && k < kuzat__langid_corpus_count; k++) {
    const kz_corpus *c = &kuzat__langid_corpus[k];
    int lang = kuzat_lang_from_name(c->lang, strlen(c->lang));
    if (lang <= KUZAT_LANG_OTHER)
      rc = kuzat__fail(err, KUZAT_EINVAL, "language profile for unknown language \"%s\"", c->lang);
    for (const char *s = (const char *)c->text, *end = s + c->len, *nl; !rc && s < end; s = nl + 1) {
      if (!(nl = memchr(s, '\n', (size_t)(end - s)))) nl = end;
      rc = fold_text(n, s, (size_t)(nl - s), err);
      if (!rc) rc = kuzat__profile_count(*out, &n->a, lang, n->c2, n->n2);
    }
  }
  if (!rc) rc = kuzat__profile_finish(*out, &n->a);
  if (rc) {
    kuzat__profile_free(&n->a, *out);
    *out = NULL;
  }
  return rc == KUZAT_ENOMEM ? kuzat__fail(err, rc, "out of memory") : rc;
}

int kuzat__normalise_fold(kuzat_normaliser *n, const char *utf8, size_t len,
                          const int32_t **cp, size_t *count, kuzat_error *err) {
  n->track = 0;
  int rc = fold_text(n, utf8, len, err);
  *cp = n->c2;
  *count = rc ? 0 : n->n2;
  return rc;
}

/* ---------------------------------------------------------------------- */
/* Public API                                                               */
/* ---------------------------------------------------------------------- */

int kuzat_normaliser_new(const kuzat_allocator *alloc, kuzat_normaliser **out,
                         kuzat_error *err) {
  kuzat__error_clear(err);
  if (!out) return kuzat__fail(err, KUZAT_EINVAL, "out is NULL");
  *out = NULL;
  kz_alloc a;
  kuzat__alloc_init(&a, alloc);
  kuzat_normaliser *n = kuzat__calloc(&a, 1, sizeof *n);
  if (!n) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  n->a = a;
  n->fast = 1;
  UErrorCode st = U_ZERO_ERROR;
  n->nfkc_cf = unorm2_getNFKCCasefoldInstance(&st);
  if (U_SUCCESS(st)) n->nfd = unorm2_getNFDInstance(&st);
  if (U_FAILURE(st)) {
    kuzat__free(&a, n);
    return icu_fail(err, st, "opening the NFKC_Casefold data");
  }
  n->cache = kuzat__calloc(&a, KZ_BMP, sizeof *n->cache);
  if (!n->cache) {
    kuzat__free(&a, n);
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  }
  /* the tables built with the library, or (a build without them) built here */
  int rc = !kuzat__langid_tables ? kuzat__normaliser_build_profile(n, &n->profile, err)
           : kuzat__profile_borrow(&a, kuzat__langid_tables, &n->profile)
               ? kuzat__fail(err, KUZAT_ENOMEM, "out of memory") : KUZAT_OK;
  if (rc) {
    kuzat_normaliser_free(n);
    return rc;
  }
  *out = n;
  return KUZAT_OK;
}

void kuzat_normaliser_free(kuzat_normaliser *n) {
  if (!n) return;
  kz_alloc a = n->a;
  kuzat__profile_free(&a, n->profile);
  void *bufs[] = {n->cache, n->pool, n->c1, n->o1, n->c2, n->s2, n->e2,
                  n->c3,    n->s3,   n->e3, n->out, n->os, n->oe, n->u16,
                  n->u16o};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) kuzat__free(&a, bufs[i]);
  kuzat__free(&a, n);
}

/* Steps 5 and 6 on c2: identify the language, repair homoglyphs, and while
 * letters change (which can change the document's majority script, and so
 * how ties are repaired), identify and repair again, as normalising the
 * output a second time would. Returns the kuzat_lang. */
static int identify_and_repair(kuzat_normaliser *n) {
  int doc_script;
  int lang = kuzat__langid(n->profile, n->c2, n->n2, &n->stats, &doc_script);
  const size_t *sc = n->stats.script;
  if ((sc[KZ_SC_LATIN] > 0) + (sc[KZ_SC_CYRILLIC] > 0) + (sc[KZ_SC_GREEK] > 0) < 2)
    return lang; /* one script: no word can mix two */
  for (int round = 0; round < 4 && repair_homoglyphs(n->c2, n->n2, doc_script, lang); round++) {
    n->fast_len = SIZE_MAX; /* c2 changed */
    fold_apostrophes(n->c2, n->n2); /* a repaired о may now precede one */
    memset(n->stats.script, 0, sizeof n->stats.script);
    for (size_t i = 0; i < n->n2; i++) n->stats.script[kuzat__script(n->c2[i])]++;
    lang = kuzat__langid(n->profile, n->c2, n->n2, &n->stats, &doc_script);
  }
  return lang;
}

static int check_args(kuzat_normaliser *n, const char *utf8, size_t len,
                      const void *out, kuzat_error *err) {
  kuzat__error_clear(err);
  if (!n || !out) return kuzat__fail(err, KUZAT_EINVAL, "NULL argument");
  if (!utf8 && len) return kuzat__fail(err, KUZAT_EINVAL, "text is NULL");
  return KUZAT_OK;
}

int kuzat_normalise(kuzat_normaliser *n, const char *utf8, size_t len,
                    unsigned flags, kuzat_text *out, kuzat_error *err) {
  static const char empty[1] = "";
  if (out) {
    memset(out, 0, sizeof *out);
    out->utf8 = empty;
  }
  int rc = check_args(n, utf8, len, out, err);
  if (rc) return rc;
  if (flags & ~(unsigned)(KUZAT_NORM_OFFSETS | KUZAT_NORM_NO_TRANSLIT))
    return kuzat__fail(err, KUZAT_EINVAL, "unknown flags 0x%x", flags);
  n->track = (flags & KUZAT_NORM_OFFSETS) != 0;
  if ((rc = fold_text(n, utf8 ? utf8 : empty, len, err))) return rc;
  int lang = identify_and_repair(n);
  if (!(flags & KUZAT_NORM_NO_TRANSLIT) &&
      (lang == KUZAT_LANG_UZ_CYRL || n->stats.uz_short_u)) {
    n->fast_len = SIZE_MAX;
    if ((rc = transliterate(n, lang == KUZAT_LANG_UZ_CYRL, err))) return rc;
  }
  if (n->fast_len != SIZE_MAX) { /* c2 is in n->out already */
    n->out[n->fast_len] = '\0';
    out->utf8 = n->out;
    out->len = n->fast_len;
  } else if ((rc = encode_utf8(n, out, err))) {
    return rc;
  }
  out->lang = lang;
  return KUZAT_OK;
}

int kuzat_identify(kuzat_normaliser *n, const char *utf8, size_t len,
                   int *lang, kuzat_error *err) {
  int rc = check_args(n, utf8, len, lang, err);
  if (rc) return rc;
  n->track = 0;
  if ((rc = fold_text(n, utf8 ? utf8 : "", len, err))) return rc;
  *lang = identify_and_repair(n);
  return KUZAT_OK;
}

void kuzat__normaliser_fast(kuzat_normaliser *n, int on) { n->fast = on; }
