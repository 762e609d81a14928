/*
 * script.c -- the script a text is written in (kuzat_script()): Latin,
 * Cyrillic, Arabic or another of ISO 15924's, or "mixed". Letters are
 * counted by chars.h's classes (table look-ups for Latin and Cyrillic, ICU
 * for the rest); marks, digits, punctuation and symbols do not count.
 */
#include "internal.h"

#include <string.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* A script holding at least this share of the letters names the text;
 * below it the text is "mixed" (a Latin look-alike or two in a Cyrillic
 * word does not make it so: 1 letter of 6 is under the rest). */
#define KZ_SCRIPT_SHARE 0.8

static const char *const names[KZ_SC_COUNT] = {
    [KZ_SC_LATIN] = "Latn", [KZ_SC_CYRILLIC] = "Cyrl", [KZ_SC_GREEK] = "Grek",
    [KZ_SC_ARABIC] = "Arab"};

/* The Latin letters among 8 ASCII bytes (each below 0x80): a byte is one
 * when, with bit 0x20 set, it lies in 'a' .. 'z' -- tested on all eight
 * at once, no byte's sum reaching the next. */
static unsigned ascii_letters(uint64_t x) {
  const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
  const uint64_t t = x | 0x20 * ones;
  const uint64_t from_a = t + (0x80 - 'a') * ones, past_z = t + (0x80 - 'z' - 1) * ones;
  const uint64_t m = (from_a & ~past_z & high) >> 7;
  return (unsigned)((m * ones) >> 56);
}

#if defined(__SSE2__)
/* Sixteen bytes at p made only of ASCII and well-formed two-byte
 * characters of U+0400..U+053F (lead bytes 0xD0..0xD4), the last perhaps
 * cut by the end of the sixteen: their Latin and Cyrillic letters into
 * count[], and how many bytes that was (16, or 15 when the last is a lead
 * byte, which the next block starts with). Not letters of it:
 * U+0482..U+0489 (0xD2 0x82..0x89, a sign and marks) and U+0530..U+053F
 * (0xD4 0xB0..0xBF, Armenian's block). Else 0, nothing counted. A
 * continuation byte without its lead (the rest of a sequence cut before
 * p) counts nothing here, as in the general loop. */
static int block16(const uint8_t *p, size_t *count) {
  const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
  const unsigned high = (unsigned)_mm_movemask_epi8(v);
  int took = 16;
  if (high) {
    const __m128i d = _mm_sub_epi8(v, _mm_set1_epi8((char)0xD0)); /* lead: 0..4 */
    unsigned lead =
        (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(4)), d));
    const unsigned cont = (unsigned)_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_and_si128(v, _mm_set1_epi8((char)0xC0)), _mm_set1_epi8((char)0x80)));
    if ((lead | cont) != high || ((lead << 1) & ~cont & 0xFFFFu)) return 0;
    if (lead & 0x8000u) { /* its continuation starts the next block */
      lead &= 0x7FFFu;
      took = 15;
    }
    /* 0xD2 before 0x82..0x89, 0xD4 before 0xB0..0xBF */
    const __m128i next = _mm_srli_si128(v, 1);
    const __m128i e = _mm_sub_epi8(next, _mm_set1_epi8((char)0x82));
    const __m128i sign = _mm_and_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xD2)),
                                       _mm_cmpeq_epi8(_mm_min_epu8(e, _mm_set1_epi8(7)), e));
    const __m128i arm = _mm_and_si128(
        _mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xD4)),
        _mm_cmpeq_epi8(_mm_and_si128(next, _mm_set1_epi8((char)0xF0)), _mm_set1_epi8((char)0xB0)));
    const unsigned none = (unsigned)_mm_movemask_epi8(_mm_or_si128(sign, arm));
    count[KZ_SC_CYRILLIC] += kuzat__popcount64(lead & ~none);
  }
  /* a..z after setting bit 0x20; bytes from 0x80 are negative, so no */
  const __m128i t = _mm_or_si128(v, _mm_set1_epi8(0x20));
  const __m128i az = _mm_and_si128(_mm_cmpgt_epi8(t, _mm_set1_epi8('a' - 1)),
                                   _mm_cmpgt_epi8(_mm_set1_epi8('z' + 1), t));
  count[KZ_SC_LATIN] += kuzat__popcount64((unsigned)_mm_movemask_epi8(az));
  return took;
}
#endif

const char *kuzat_script(const char *utf8, size_t len) {
  size_t count[KZ_SC_COUNT] = {0}, letters = 0;
  int32_t first_other = -1;
  const uint8_t *s = (const uint8_t *)utf8;
  if (!utf8 || len > INT32_MAX) return "none";
  for (int32_t i = 0, n = (int32_t)len; i < n;) {
    /* fast paths, counting as the general one below does: sixteen bytes
     * of ASCII and basic Cyrillic, eight ASCII bytes, one ASCII byte, a
     * well-formed two-byte sequence */
#if defined(__SSE2__)
    int took;
    if (n - i >= 16 && (took = block16(s + i, count)) > 0) {
      i += took;
      continue;
    }
#endif
    if (n - i >= 8) {
      uint64_t x;
      memcpy(&x, s + i, 8);
      if ((x & 0x8080808080808080ull) == 0) {
        count[KZ_SC_LATIN] += ascii_letters(x);
        i += 8;
        continue;
      }
    }
    if (s[i] < 0x80) {
      count[KZ_SC_LATIN] += ((uint32_t)(s[i] | 0x20) - 'a' < 26u);
      i++;
      continue;
    }
    UChar32 c;
    if (s[i] >= 0xC2 && s[i] <= 0xDF && i + 1 < n && (s[i + 1] & 0xC0) == 0x80) {
      c = (s[i] & 0x1F) << 6 | (s[i + 1] & 0x3F); /* as U8_NEXT decodes it */
      i += 2;
    } else {
      U8_NEXT(s, i, n, c);
    }
    if (c < 0) continue;
    int sc = kuzat__script(c);
    if (sc == KZ_SC_NONE) continue;
    if (sc == KZ_SC_OTHER && first_other < 0) first_other = c;
    count[sc]++;
  }
  for (int sc = KZ_SC_LATIN; sc < KZ_SC_COUNT; sc++) letters += count[sc];
  if (!letters) return "none";
  int top = KZ_SC_LATIN;
  for (int sc = KZ_SC_LATIN; sc < KZ_SC_COUNT; sc++)
    if (count[sc] > count[top]) top = sc;
  if ((double)count[top] < KZ_SCRIPT_SHARE * (double)letters) return "mixed";
  if (top != KZ_SC_OTHER) return names[top];
  /* another script: ICU's code for it (of its first letter) */
  UErrorCode e = U_ZERO_ERROR;
  const char *code = uscript_getShortName(uscript_getScript(first_other, &e));
  return U_SUCCESS(e) && code ? code : "Zzzz";
}
