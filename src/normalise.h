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

/* One cached code point. Its folded form is `val` itself when len is 1
 * (most code points), else pool[val .. val+len). `script` is the KZ_SC_*
 * of the first letter of the folded form. */
typedef struct kz_centry {
  uint32_t val;
  uint8_t len;
  uint8_t flags;
  uint8_t script;
} kz_centry;
#define CE_DONE 1u /* entry computed */
#define CE_BB 2u   /* the code point has a normalisation boundary before it */
#define CE_APOS 4u /* its folded form is or holds an apostrophe */
#define CE_PLAIN 8u /* CE_BB, one code point, no apostrophe, no identification cue */

/* Count the cues that folding erases (Arabic ي and ك become ی and ک). */
static inline void kuzat__arabic_cue(kz_langstats *st, int32_t c) {
  switch (c) {
  case 0x64A: case 0x649: case 0x643: case 0x629: st->ar_cue++; break;
  case 0x6CC: case 0x6A9: st->fa_cue++; break;
  case 0x67E: case 0x686: case 0x698: case 0x6AF: st->fa_letter++; break;
  case 0x679: case 0x688: case 0x691: case 0x6BA: case 0x6D2:
    st->ur_cue++; break;
  }
}

/* (normalise_fast.c) Steps 1-4 of len bytes s in one pass, when every code
 * point is a segment of its own already in `cache` (the normaliser's table
 * of BMP code points, whose foldings of several code points, three at
 * most here, are in `pool`): the folded code points into c2 (room for
 * 3 len + 16), their UTF-8 into out (room for 6 len + 16), the counts into
 * *st, as normalise.c's decode and fold would make them. Returns 1, or 0
 * having given up (then only the general path's result counts). */
int kuzat__fold_fast(const kz_centry *cache, const int32_t *pool, const uint8_t *s, size_t len,
                     int32_t *c2, uint8_t *out, kz_langstats *st, size_t *n2, size_t *nout);

#endif /* KUZAT_NORMALISE_H */
