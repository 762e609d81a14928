/*
 * chars.h -- classes of code points: the script of a letter, marks, the
 * characters that belong inside a word. Shared by the normaliser, the
 * language identifier and the tokeniser; calls nothing of theirs. The fast
 * paths are inline here, the rest is in chars.c (ICU property look-ups).
 * Private to the library.
 */
#ifndef KUZAT_CHARS_H
#define KUZAT_CHARS_H

#include <stdint.h>

/* Scripts of letters, as the identifier and homoglyph repair see them. */
enum { KZ_SC_NONE, KZ_SC_LATIN, KZ_SC_CYRILLIC, KZ_SC_GREEK, KZ_SC_ARABIC,
       KZ_SC_OTHER, KZ_SC_COUNT };

/* Letters of other scripts and marks, for the slow path of the two
 * functions below (ICU property look-ups). */
int kuzat__script_slow(int32_t c);
int kuzat__is_mark(int32_t c);

/* The script of a letter, by ranges: fast, and all the identifier and the
 * homoglyph repair need. Non-letters give KZ_SC_NONE. */
static inline int kuzat__script(int32_t c) {
  if (c < 0x80)
    return ((uint32_t)(c | 0x20) - 'a' < 26u) ? KZ_SC_LATIN : KZ_SC_NONE;
  if (c >= 0x400 && c <= 0x52F)
    return (c >= 0x482 && c <= 0x489) ? KZ_SC_NONE : KZ_SC_CYRILLIC;
  return kuzat__script_slow(c);
}

/* A character that belongs inside a word: a letter, a mark, or the Uzbek
 * apostrophe letters ʻ ʼ. Digits do not. */
static inline int kuzat__is_word_char(int32_t c) {
  if (c < 0x80) return ((uint32_t)(c | 0x20) - 'a' < 26u);
  if (c >= 0x400 && c <= 0x52F) return 1;
  if (c == 0x2BB || c == 0x2BC) return 1;
  return kuzat__script_slow(c) != KZ_SC_NONE || kuzat__is_mark(c);
}

#endif /* KUZAT_CHARS_H */
