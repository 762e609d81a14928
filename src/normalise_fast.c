/*
 * normalise_fast.c -- steps 1-4 of the normaliser in one pass over the
 * bytes, for the text most documents are made of.
 *
 * normalise.c decodes a text into code points, then folds them segment by
 * segment (a segment being a code point and the marks that cannot be
 * normalised apart from it), then encodes the result as UTF-8. Most texts
 * are ASCII and letters of two or three bytes each of which is a segment of
 * its own and whose folded form the normaliser has already worked out and
 * cached (plain Latin, Cyrillic, Arabic, punctuation). For them this file
 * does the three passes in one: decode a code point, look its folded form
 * up, append it to the code points (for identification and the later
 * steps) and, encoded, to the UTF-8 output, with the letter counts the
 * identifier needs.
 *
 * Anything else -- a code point not cached yet, one that folds to several,
 * a mark that joins the letter before it, four-byte characters (emoji),
 * malformed UTF-8 -- makes it give up, and the caller folds the whole text
 * the general way; so the result is always the general path's, which
 * tests/unit/test_normalise.c checks on every vector and, with the shared
 * datasets, on the benchmark corpus.
 */
#include "normalise.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* The next code point of s[i .. len) when it is two or three bytes of
 * well-formed UTF-8 (*w its length), else -1. */
static inline int32_t decode23(const uint8_t *s, size_t len, size_t i, size_t *w) {
  const uint8_t b = s[i];
  if (b >= 0xC2 && b <= 0xDF) {
    if (i + 1 >= len || (s[i + 1] & 0xC0) != 0x80) return -1;
    *w = 2;
    return (int32_t)(b & 0x1F) << 6 | (s[i + 1] & 0x3F);
  }
  if (b >= 0xE0 && b <= 0xEF) {
    if (i + 2 >= len || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80) return -1;
    if ((b == 0xE0 && s[i + 1] < 0xA0) || (b == 0xED && s[i + 1] > 0x9F)) return -1;
    *w = 3;
    return (int32_t)(b & 0x0F) << 12 | (int32_t)(s[i + 1] & 0x3F) << 6 | (s[i + 2] & 0x3F);
  }
  return -1;
}

static inline size_t encode(uint32_t c, uint8_t *o) {
  if (c < 0x80) {
    o[0] = (uint8_t)c;
    return 1;
  }
  if (c < 0x800) {
    o[0] = (uint8_t)(0xC0 | (c >> 6));
    o[1] = (uint8_t)(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    o[0] = (uint8_t)(0xE0 | (c >> 12));
    o[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
    o[2] = (uint8_t)(0x80 | (c & 0x3F));
    return 3;
  }
  o[0] = (uint8_t)(0xF0 | (c >> 18));
  o[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
  o[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
  o[3] = (uint8_t)(0x80 | (c & 0x3F));
  return 4;
}

/* Bytes of x (eight, all below 0x80) at or above n (1 .. 0x80): 0x80 in
 * each such byte. No carry crosses a byte, so each byte is exact. */
static inline uint64_t at_least(uint64_t x, unsigned n) {
  return (x + 0x0101010101010101ull * (0x80u - n)) & 0x8080808080808080ull;
}

/* Eight bytes x of text that are ASCII, followed by ASCII (next_ascii),
 * with no control character, tab or line break, and no space that a space
 * before it (or, for the first, prev_space) would drop: their folded form
 * is themselves in lower case. Then write it to out and c2, count the
 * letters and apostrophes, and return 1; else 0 (take them one by one). */
static inline int ascii8(uint64_t x, int next_ascii, int prev_space, uint8_t *out, int32_t *c2,
                         size_t *letters, unsigned *apos) {
  const uint64_t hi = 0x8080808080808080ull, ones = 0x0101010101010101ull;
  if ((x & hi) || !next_ascii) return 0;
  const uint64_t ctrl = ~at_least(x, 0x20) & hi, del = at_least(x, 0x7F);
  const uint64_t space = at_least(x, 0x20) & ~at_least(x, 0x21);
  if (ctrl | del | (space & (space << 8)) | (prev_space && (x & 0xFF) == ' ')) return 0;
  const uint64_t upper = at_least(x, 'A') & ~at_least(x, 'Z' + 1);
  x += upper >> 2; /* 'A'..'Z' + 0x20 */
  const uint64_t letter = at_least(x, 'a') & ~at_least(x, 'z' + 1);
  const uint64_t quote = (at_least(x, 0x27) & ~at_least(x, 0x28)) | (at_least(x, 0x60) & ~at_least(x, 0x61));
  *letters += (size_t)(((letter >> 7) * ones) >> 56);
  *apos |= quote != 0;
  memcpy(out, &x, 8);
#if defined(__SSE2__) && defined(__x86_64__) /* _mm_cvtsi64_si128: 64-bit only */
  const __m128i z = _mm_setzero_si128(), w = _mm_unpacklo_epi8(_mm_cvtsi64_si128((long long)x), z);
  _mm_storeu_si128((__m128i *)(void *)c2, _mm_unpacklo_epi16(w, z));
  _mm_storeu_si128((__m128i *)(void *)(c2 + 4), _mm_unpackhi_epi16(w, z));
#else
  for (int k = 0; k < 8; k++) c2[k] = (int32_t)((x >> (8 * k)) & 0xFF);
#endif
  return 1;
}

int kuzat__fold_fast(const kz_centry *cache, const int32_t *pool, const uint8_t *s, size_t len,
                     int32_t *c2, uint8_t *out, kz_langstats *st, size_t *n2_out, size_t *nout) {
  size_t i = 0, n2 = 0, o = 0;
  size_t ascii_letters = 0, cnt[KZ_SC_COUNT] = {0}, short_u = 0, marked = 0;
  unsigned apos = 0;
  int prev_space = 1; /* drops leading spaces and runs of spaces */
  kz_langstats cues = {0};
  /* letter counts of other scripts in 10-bit fields of one register,
   * emptied every 1000 code points, as normalise.c's fold keeps them */
  uint64_t packed = 0;
  unsigned budget = 1000;
#define COUNT(script)                                                                 \
  do {                                                                                \
    packed += 1ull << (10 * (script));                                                \
    if (KZ_UNLIKELY(--budget == 0)) {                                                 \
      for (int k_ = 0; k_ < KZ_SC_COUNT; k_++) cnt[k_] += (packed >> (10 * k_)) & 1023u; \
      packed = 0;                                                                     \
      budget = 1000;                                                                  \
    }                                                                                 \
  } while (0)
  /* Append d (its UTF-8 already at out + o, nb bytes), one space for a run
   * of spaces, as normalise.c's fold does. */
#define APPEND(d, nb)                             \
  do {                                            \
    const int sp_ = (d) == ' ';                   \
    const int keep_ = !(sp_ & prev_space);        \
    c2[n2] = (d);                                 \
    n2 += (size_t)keep_;                          \
    o += keep_ ? (nb) : 0;                        \
    prev_space = sp_;                             \
  } while (0)
  while (i < len) {
    /* eight ASCII bytes at a time, when they need no more than lower case
     * (see ascii8) */
    while (i + 8 <= len) {
      uint64_t x;
      memcpy(&x, s + i, 8);
      if (!ascii8(x, i + 8 == len || s[i + 8] < 0x80, prev_space, out + o, c2 + n2,
                  &ascii_letters, &apos))
        break;
      i += 8, o += 8, n2 += 8;
      prev_space = s[i - 1] == ' ';
    }
    if (i == len) break;
    const uint8_t b = s[i];
    /* ASCII followed by ASCII (or the end): the table, as the general
     * path takes it */
    if (b < 0x80 && (i + 1 == len || s[i + 1] < 0x80)) {
      const unsigned info = kuzat__ascii_info[b];
      ascii_letters += (info >> 8) & 1u;
      apos |= info & ASCII_APOS;
      if (KZ_LIKELY((info & 0xFFu) != ASCII_DROP)) {
        out[o] = (uint8_t)(info & 0xFFu);
        APPEND((int32_t)(info & 0xFFu), 1);
      }
      i++;
      continue;
    }
    /* a code point alone in its segment, through the cache (were the next
     * one to join it, the next one has no boundary before it, and that
     * ends this path below) */
    size_t w = 1;
    const int32_t c = b < 0x80 ? (int32_t)b : decode23(s, len, i, &w);
    if (c < 0) return 0;
    const kz_centry *e = &cache[c];
    if (KZ_LIKELY(e->flags & CE_PLAIN)) {
      const uint32_t v = e->val;
      COUNT(e->script);
      short_u += v == 0x45E;
      size_t nb = encode(v, out + o);
      APPEND((int32_t)v, nb);
      i += w;
      continue;
    }
    if (!(e->flags & CE_DONE) || e->len > 3 || (c >= 0x80 && !(e->flags & CE_BB))) return 0;
    if ((uint32_t)c - 0x600u < 0x100u) kuzat__arabic_cue(&cues, c);
    if (e->script == KZ_SC_LATIN && ((c >= 0xC0 && c < 0x250) || (c >= 0x1E00 && c < 0x1F00)))
      marked++;
    apos |= e->flags & CE_APOS;
    if (e->len == 1) {
      const uint32_t v = e->val;
      COUNT(e->script);
      short_u += v == 0x45E;
      size_t nb = encode(v, out + o);
      APPEND((int32_t)v, nb);
    } else { /* several (… is ...), or none */
      for (size_t q = 0; q < e->len; q++) {
        const uint32_t v = (uint32_t)pool[e->val + q];
        COUNT(kuzat__script((int32_t)v));
        size_t nb = encode(v, out + o);
        APPEND((int32_t)v, nb);
      }
    }
    i += w;
  }
#undef APPEND
  for (int k = 0; k < KZ_SC_COUNT; k++) cnt[k] += (packed >> (10 * k)) & 1023u;
#undef COUNT
  if (n2 && c2[n2 - 1] == ' ') {
    n2--;
    o--;
  }
  for (int k = 0; k < KZ_SC_COUNT; k++) st->script[k] = cnt[k];
  st->script[KZ_SC_LATIN] += ascii_letters;
  st->latin_marked = marked;
  st->uz_short_u = short_u;
  st->apostrophes = apos != 0;
  st->ar_cue = cues.ar_cue;
  st->fa_cue = cues.fa_cue;
  st->fa_letter = cues.fa_letter;
  st->ur_cue = cues.ur_cue;
  *n2_out = n2;
  *nout = o;
  return 1;
}
