/*
 * chars.c -- the slow paths of the character classes in chars.h: code
 * points outside ASCII and the Cyrillic block, answered by ranges where
 * they are known and by ICU's properties elsewhere.
 */
#include "chars.h"

#include <unicode/uchar.h>

int kuzat__script_slow(int32_t c) {
  if (c >= 0x370 && c <= 0x3FF)
    return (c >= 0x386 && c != 0x387) ? KZ_SC_GREEK : KZ_SC_NONE;
  if ((c >= 0x620 && c <= 0x64A) || (c >= 0x66E && c <= 0x6D3) ||
      (c >= 0x6FA && c <= 0x6FF) || (c >= 0x750 && c <= 0x77F))
    return KZ_SC_ARABIC;
  if ((c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) ||
      (c >= 0x1E00 && c <= 0x1EFF))
    return KZ_SC_LATIN;
  if (c == 0x2BB || c == 0x2BC || c < 0xC0) return KZ_SC_NONE;
  if (c >= 0x2000 && c <= 0x2BFF) return KZ_SC_NONE; /* punctuation, symbols */
  return u_isalpha(c) ? KZ_SC_OTHER : KZ_SC_NONE;
}

int kuzat__is_mark(int32_t c) {
  if (c < 0x300) return 0;
  int8_t t = u_charType(c);
  return t == U_NON_SPACING_MARK || t == U_COMBINING_SPACING_MARK;
}
