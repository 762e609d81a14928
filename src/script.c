/*
 * script.c -- the script a text is written in (kuzat_script()): Latin,
 * Cyrillic, Arabic or another of ISO 15924's, or "mixed". Letters are
 * counted by chars.h's classes (table look-ups for Latin and Cyrillic, ICU
 * for the rest); marks, digits, punctuation and symbols do not count.
 */
#include "internal.h"

#include <unicode/uscript.h>
#include <unicode/utf8.h>

/* A script holding at least this share of the letters names the text;
 * below it the text is "mixed" (a Latin look-alike or two in a Cyrillic
 * word does not make it so: 1 letter of 6 is under the rest). */
#define KZ_SCRIPT_SHARE 0.8

static const char *const names[KZ_SC_COUNT] = {
    [KZ_SC_LATIN] = "Latn", [KZ_SC_CYRILLIC] = "Cyrl", [KZ_SC_GREEK] = "Grek",
    [KZ_SC_ARABIC] = "Arab"};

const char *kuzat_script(const char *utf8, size_t len) {
  size_t count[KZ_SC_COUNT] = {0}, letters = 0;
  int32_t first_other = -1;
  const uint8_t *s = (const uint8_t *)utf8;
  if (!utf8 || len > INT32_MAX) return "none";
  for (int32_t i = 0, n = (int32_t)len; i < n;) {
    UChar32 c;
    U8_NEXT(s, i, n, c);
    if (c < 0) continue;
    int sc = kuzat__script(c);
    if (sc == KZ_SC_NONE) continue;
    if (sc == KZ_SC_OTHER && first_other < 0) first_other = c;
    count[sc]++;
    letters++;
  }
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
