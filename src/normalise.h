/*
 * normalise.h -- what the normaliser (normalise.c) and its letter tables
 * (normalise_tables.c) share. Private to the library.
 */
#ifndef KUZAT_NORMALISE_H
#define KUZAT_NORMALISE_H

#include "internal.h"

/* Each ASCII character alone: bits 0-7 its NFKC_Casefold and cleanup
 * (lower case, whitespace to space, 0xFF: a control, deleted), bit 8 set
 * for letters, bit 9 for the apostrophes ' and `. */
#define ASCII_DROP 0xFFu
#define ASCII_LETTER 0x100u
#define ASCII_APOS 0x200u
extern const uint16_t kuzat__ascii_info[128];

/* The apostrophe-like characters people type for ʻ and ʼ. */
int kuzat__is_apostrophe(int32_t c);

/* Latin letters without a decomposition that evaders and Turkic spellings
 * use for plain ones: the plain letter, or 0. */
int32_t kuzat__latin_extra(int32_t d);

/* Map letter c of script `from` to its lookalike in script `to` (KZ_SC_
 * LATIN, CYRILLIC or GREEK) in a document of language `lang`, or 0. */
int32_t kuzat__lookalike(int32_t c, int from, int to, int lang);

/* Uzbek Latin for c[i] of the n code points c (its neighbours decide
 * some letters) into dst; returns how many code points were written (at
 * most 3). */
size_t kuzat__translit_one(const int32_t *c, size_t n, size_t i, int32_t *dst);

#endif /* KUZAT_NORMALISE_H */
