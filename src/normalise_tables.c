/*
 * normalise_tables.c -- the normaliser's letter tables: what each letter
 * becomes. normalise.c walks the text and looks letters up here.
 *
 *  - ASCII alone through steps 3 and 4 (the hot loop's table);
 *  - the apostrophes people type for ʻ and ʼ (step 2);
 *  - Latin letters without a decomposition (step 4);
 *  - lookalike letters across Latin, Cyrillic and Greek (step 6);
 *  - the Uzbek Cyrillic alphabet in Latin letters, with its few context
 *    rules (step 7).
 *
 * Pure functions of a code point and its neighbours; they call only the
 * character classes (chars.h).
 */
#include "normalise.h"

/* ---- steps 3 and 4: ASCII ---- */

const uint16_t kuzat__ascii_info[128] = {
    0x0FF, 0x0FF, 0x0FF, 0x0FF, 0x0FF, 0x0FF, 0x0FF, 0x0FF,
    0x0FF, 0x020, 0x020, 0x020, 0x020, 0x020, 0x0FF, 0x0FF,
    0x0FF, 0x0FF, 0x0FF, 0x0FF, 0x0FF, 0x0FF, 0x0FF, 0x0FF,
    0x0FF, 0x0FF, 0x0FF, 0x0FF, 0x0FF, 0x0FF, 0x0FF, 0x0FF,
    0x020, 0x021, 0x022, 0x023, 0x024, 0x025, 0x026, 0x227,
    0x028, 0x029, 0x02A, 0x02B, 0x02C, 0x02D, 0x02E, 0x02F,
    0x030, 0x031, 0x032, 0x033, 0x034, 0x035, 0x036, 0x037,
    0x038, 0x039, 0x03A, 0x03B, 0x03C, 0x03D, 0x03E, 0x03F,
    0x040, 0x161, 0x162, 0x163, 0x164, 0x165, 0x166, 0x167,
    0x168, 0x169, 0x16A, 0x16B, 0x16C, 0x16D, 0x16E, 0x16F,
    0x170, 0x171, 0x172, 0x173, 0x174, 0x175, 0x176, 0x177,
    0x178, 0x179, 0x17A, 0x05B, 0x05C, 0x05D, 0x05E, 0x05F,
    0x260, 0x161, 0x162, 0x163, 0x164, 0x165, 0x166, 0x167,
    0x168, 0x169, 0x16A, 0x16B, 0x16C, 0x16D, 0x16E, 0x16F,
    0x170, 0x171, 0x172, 0x173, 0x174, 0x175, 0x176, 0x177,
    0x178, 0x179, 0x17A, 0x07B, 0x07C, 0x07D, 0x07E, 0x0FF,
};

/* ---- step 2: apostrophes ---- */

int kuzat__is_apostrophe(int32_t c) {
  switch (c) {
  case 0x27: case 0x60: case 0xB4: case 0x2B9: case 0x2BB: case 0x2BC:
  case 0x2BD: case 0x2018: case 0x2019: case 0x2032: case 0xFF07:
    return 1;
  }
  return 0;
}

/* ---- step 4: Latin letters ---- */

int32_t kuzat__latin_extra(int32_t d) {
  switch (d) {
  case 0x131: return 'i'; /* ı */
  case 0xF8: return 'o';  /* ø */
  case 0x142: return 'l'; /* ł */
  case 0x111: return 'd'; /* đ */
  case 0x127: return 'h'; /* ħ */
  }
  return 0;
}

/* ---- step 6: homoglyphs ---- */

/* Lookalikes after case folding. Each row: Latin, Cyrillic, Greek (0 when
 * the script has no lookalike). */
static const int32_t lookalikes[][3] = {
    {'a', 0x430, 0x3B1}, {'b', 0x432, 0x3B2}, {'c', 0x441, 0},
    {'d', 0x501, 0},     {'e', 0x435, 0x3B5}, {'h', 0x43D, 0x3B7},
    {'h', 0x4BB, 0},     {'h', 0x4B3, 0},     {'i', 0x456, 0x3B9},
    {'j', 0x458, 0x3F3}, {'k', 0x43A, 0x3BA}, {'m', 0x43C, 0x3BC},
    {'o', 0x43E, 0x3BF}, {'p', 0x440, 0x3C1}, {'q', 0x51B, 0},
    {'s', 0x455, 0},     {'t', 0x442, 0x3C4}, {'v', 0, 0x3BD},
    {'w', 0x51D, 0},     {'x', 0x445, 0x3C7}, {'y', 0x443, 0x3B3},
    {'u', 0, 0x3C5},
};

/* Latin h in a Cyrillic word is ҳ in Uzbek and Tajik, н elsewhere. */
int32_t kuzat__lookalike(int32_t c, int from, int to, int lang) {
  int fi = from == KZ_SC_LATIN ? 0 : from == KZ_SC_CYRILLIC ? 1 : 2;
  int ti = to == KZ_SC_LATIN ? 0 : to == KZ_SC_CYRILLIC ? 1 : 2;
  if (c == 'h' && ti == 1 && (lang == KUZAT_LANG_UZ_CYRL || lang == KUZAT_LANG_TG))
    return 0x4B3;
  for (size_t r = 0; r < sizeof lookalikes / sizeof lookalikes[0]; r++) {
    if (lookalikes[r][fi] != c) continue;
    if (lookalikes[r][ti]) return lookalikes[r][ti];
    /* Greek to Cyrillic goes through the Latin row's Cyrillic letter */
    if (ti == 1 && fi == 2) {
      for (size_t q = 0; q < sizeof lookalikes / sizeof lookalikes[0]; q++)
        if (lookalikes[q][0] == lookalikes[r][0] && lookalikes[q][1])
          return lookalikes[q][1];
    }
    return 0;
  }
  return 0;
}

/* ---- step 7: Uzbek Cyrillic -> Latin ---- */

static int is_cyr_vowel(int32_t c) {
  switch (c) {
  case 0x430: case 0x435: case 0x451: case 0x438: case 0x43E: case 0x443:
  case 0x44D: case 0x44E: case 0x44F: case 0x45E: case 0x44B:
    return 1;
  }
  return 0;
}

/* The official 1995 alphabet, for letters without context rules.
 * Index: code point - 0x430 (а..я), then ё ў қ ғ ҳ handled in the switch. */
static const char *const uz_basic[32] = {
    "a", "b", "v", "g", "d", NULL, "j", "z", "i", "y", "k",
    "l", "m", "n", "o", "p", "r", "s", "t", "u", "f", "x",
    NULL, "ch", "sh", "sh", NULL, "i", "", "e", "yu", "ya"};

size_t kuzat__translit_one(const int32_t *c, size_t n, size_t i, int32_t *dst) {
  int32_t x = c[i];
  int32_t prev = i ? c[i - 1] : 0, next = i + 1 < n ? c[i + 1] : 0;
  int start = !prev || !kuzat__is_word_char(prev);
  switch (x) {
  case 0x435: /* е */
    if (start || is_cyr_vowel(prev) || prev == 0x44A || prev == 0x44C) {
      dst[0] = 'y';
      dst[1] = 'e';
      return 2;
    }
    dst[0] = 'e';
    return 1;
  case 0x446: /* ц */
    if (start || !is_cyr_vowel(prev)) {
      dst[0] = 's';
      return 1;
    }
    dst[0] = 't';
    dst[1] = 's';
    return 2;
  case 0x44A: /* ъ */
    if (prev == 0x45E || next == 0x435) return 0;
    dst[0] = 0x2BC;
    return 1;
  case 0x441: /* с, and сҳ -> sʼh so it does not read as ш */
    dst[0] = 's';
    if (next == 0x4B3) {
      dst[1] = 0x2BC;
      return 2;
    }
    return 1;
  case 0x451: dst[0] = 'y'; dst[1] = 'o'; return 2;      /* ё */
  case 0x45E: dst[0] = 'o'; dst[1] = 0x2BB; return 2;    /* ў */
  case 0x493: dst[0] = 'g'; dst[1] = 0x2BB; return 2;    /* ғ */
  case 0x49B: dst[0] = 'q'; return 1;                    /* қ */
  case 0x4B3: dst[0] = 'h'; return 1;                    /* ҳ */
  }
  if (x >= 0x430 && x <= 0x44F && uz_basic[x - 0x430]) {
    const char *s = uz_basic[x - 0x430];
    size_t k = 0;
    while (s[k]) {
      dst[k] = (unsigned char)s[k];
      k++;
    }
    return k;
  }
  int sc = kuzat__script(x);
  int32_t lat = sc == KZ_SC_CYRILLIC || sc == KZ_SC_GREEK
                    ? kuzat__lookalike(x, sc, KZ_SC_LATIN, KUZAT_LANG_UZ_LATN)
                    : 0;
  dst[0] = lat ? lat : x; /* ѕ і ј ԁ һ, Greek ο: Latin letters in disguise */
  return 1;
}
