/*
 * tokenise.c -- split normalised text into tokens.
 *
 * Works on the normaliser's output, which is case-folded, has one space
 * between chunks and uses ʻ (U+02BB) and ʼ (U+02BC) for the Uzbek
 * apostrophes. A chunk is a run of non-space bytes. A chunk that is a URL
 * (scheme:// or www.) or an e-mail address gives one class token for the
 * whole (trailing punctuation excluded) followed by WORD tokens for its
 * parts; otherwise the chunk is scanned for @mentions and #hashtags (class
 * token, then the name as a WORD), numbers, and words: runs of letters,
 * marks and digits, with ʼ kept between letters and ʻ kept after one
 * (oʻzbek, togʻ). Punctuation separates tokens and is not a token.
 *
 * Pure functions over the caller's bytes: no allocation, thread-safe.
 */
#include "internal.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

typedef struct tok_out {
  kuzat_token *t;
  size_t cap, n;
} tok_out;

static void push(tok_out *o, size_t off, size_t len, int kind) {
  if (o->n < o->cap) {
    o->t[o->n].off = off;
    o->t[o->n].len = len;
    o->t[o->n].kind = kind;
  }
  o->n++;
}

/* Decode the code point at s[i] (valid UTF-8 from the normaliser; invalid
 * bytes are taken one at a time) and store its length in *w. */
static inline int32_t cp_at(const unsigned char *s, size_t len, size_t i, size_t *w) {
  unsigned char b = s[i];
  *w = 1;
  if (b < 0x80) return b;
  size_t need = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : 0;
  if (!need || len - i <= need) return 0xFFFD;
  int32_t c = b & (0x3F >> need);
  for (size_t k = 1; k <= need; k++) {
    if ((s[i + k] & 0xC0) != 0x80) return 0xFFFD;
    c = (c << 6) | (s[i + k] & 0x3F);
  }
  *w = need + 1;
  return c;
}

static inline int is_digit(int32_t c) { return c >= '0' && c <= '9'; }

/* ASCII letters and digits: 1 for a letter, 2 for a digit. */
static const uint8_t ascii_alnum[128] = {
    ['0'] = 2, ['1'] = 2, ['2'] = 2, ['3'] = 2, ['4'] = 2, ['5'] = 2, ['6'] = 2, ['7'] = 2,
    ['8'] = 2, ['9'] = 2,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
    ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
    ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};

/* The letters and digits from s[j] on that need no decoding: ASCII ones,
 * and two-byte Cyrillic letters (U+0400..U+04FF, all word characters).
 * Returns where they end; clears *digits_only at a letter and stores the
 * last one's code point in *prev (unchanged when there is none). */
static inline size_t plain_run(const unsigned char *s, size_t j, size_t b, int *digits_only,
                               int32_t *prev) {
  for (;;) {
    if (j < b && s[j] < 0x80 && ascii_alnum[s[j]]) {
      *digits_only &= ascii_alnum[s[j]] >> 1;
      *prev = s[j++];
    } else if (j + 1 < b && s[j] >= 0xD0 && s[j] <= 0xD3 && (s[j + 1] & 0xC0) == 0x80) {
      *digits_only = 0;
      *prev = (int32_t)(s[j] & 0x1F) << 6 | (s[j + 1] & 0x3F);
      j += 2;
    } else {
      return j;
    }
  }
}

static inline int is_alnum(int32_t c) {
  if (c < 0x80) return is_digit(c) || (uint32_t)((c | 0x20) - 'a') < 26u;
  if (c >= 0x400 && c <= 0x52F) return 1;
  return c != 0x2BB && c != 0x2BC && kuzat__is_word_char(c);
}

/* Emit WORD tokens for every run of letters and digits in [a, b). */
static void parts(const unsigned char *s, size_t a, size_t b, tok_out *o) {
  size_t i = a;
  while (i < b) {
    size_t w;
    int32_t c = cp_at(s, b, i, &w);
    if (!is_alnum(c)) {
      i += w;
      continue;
    }
    size_t j = i;
    while (j < b && is_alnum(cp_at(s, b, j, &w))) j += w;
    push(o, i, j - i, KUZAT_TOKEN_WORD);
    i = j;
  }
}

/* The first space of s[i .. len), or len; *at: is there an @ before it?
 * Eight bytes at a time where the first byte is the lowest: a space makes
 * its byte of x ^ spaces zero, an @ its byte of x ^ ats, and every zero
 * byte is flagged. A byte is flagged falsely only above a true zero byte
 * (the borrow), so the lowest flag is exact, and a flag below the first
 * space means an @ below it. */
static size_t chunk_end(const unsigned char *s, size_t i, size_t len, int *at) {
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  const uint64_t ones = 0x0101010101010101ull, spaces = 0x2020202020202020ull,
                 ats = 0x4040404040404040ull;
  for (; i + 8 <= len; i += 8) {
    uint64_t x, y;
    memcpy(&x, s + i, 8);
    y = x ^ ats;
    x ^= spaces;
    const uint64_t zero = (x - ones) & ~x & (ones << 7), at8 = (y - ones) & ~y & (ones << 7);
    if (zero) {
      *at |= (at8 & ((zero & (0 - zero)) - 1)) != 0;
      return i + (size_t)__builtin_ctzll(zero) / 8;
    }
    *at |= at8 != 0;
  }
#endif
  for (; i < len && s[i] != ' '; i++) *at |= s[i] == '@';
  return i;
}

static int starts_with(const unsigned char *s, size_t len, const char *p) {
  size_t n = strlen(p);
  return len >= n && memcmp(s, p, n) == 0;
}

/* Trailing punctuation that ends a sentence rather than a URL. */
static size_t trim_punct(const unsigned char *s, size_t a, size_t b) {
  while (b > a && strchr(".,;:!?)]}\"'>", s[b - 1])) b--;
  return b;
}

/* Is [a, b) an e-mail address: word@host.tld? */
static int is_email(const unsigned char *s, size_t a, size_t b) {
  const unsigned char *at = memchr(s + a, '@', b - a);
  if (!at || at == s + a) return 0;
  const unsigned char *dot = memchr(at, '.', (size_t)(s + b - at));
  return dot && dot > at + 1 && dot + 1 < s + b;
}

/* Scan one chunk [a, b) that is not a URL or e-mail address. */
static void scan_chunk(const unsigned char *s, size_t a, size_t b, tok_out *o) {
  size_t i = a, w;
  while (i < b) {
    int32_t c = cp_at(s, b, i, &w);
    if ((c == '@' || c == '#') && i + 1 < b) {
      size_t w2, j = i + 1;
      if (is_alnum(cp_at(s, b, j, &w2)) || cp_at(s, b, j, &w2) == '_') {
        while (j < b) {
          int32_t d = cp_at(s, b, j, &w2);
          if (!is_alnum(d) && d != '_') break;
          j += w2;
        }
        push(o, i, j - i, c == '@' ? KUZAT_TOKEN_MENTION : KUZAT_TOKEN_HASHTAG);
        parts(s, i + 1, j, o);
        i = j;
        continue;
      }
    }
    if (!is_alnum(c)) {
      i += w;
      continue;
    }
    /* a word or a number: letters and digits, inner ʼ, ʻ after a letter,
     * and . , : between digits */
    size_t j = i;
    int digits_only = 1;
    int32_t prev = 0;
    while (j < b) {
      j = plain_run(s, j, b, &digits_only, &prev);
      if (j >= b) break;
      size_t w2;
      int32_t d = cp_at(s, b, j, &w2);
      if (is_alnum(d)) {
        digits_only &= is_digit(d);
      } else if (d == 0x2BB && prev && !is_digit(prev)) {
        digits_only = 0;
      } else if (d == 0x2BC || d == '.' || d == ',' || d == ':') {
        size_t w3;
        int32_t nx = j + w2 < b ? cp_at(s, b, j + w2, &w3) : 0;
        int ok = d == 0x2BC ? (is_alnum(prev) && is_alnum(nx) && !is_digit(nx))
                            : (digits_only && is_digit(prev) && is_digit(nx));
        if (!ok) break;
      } else {
        break;
      }
      prev = d;
      j += w2;
    }
    push(o, i, j - i, digits_only ? KUZAT_TOKEN_NUMBER : KUZAT_TOKEN_WORD);
    i = j;
  }
}

#if defined(__SSE2__)
/* Of sixteen bytes v, byte k as bit k: those equal to c; ASCII letters;
 * ASCII digits; lead bytes of U+0400..U+04FF (0xD0..0xD3); continuation
 * bytes. From 0x80, bytes compare as negative: neither letters nor digits. */
static inline uint32_t eq16(__m128i v, int c) {
  return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8((char)c)));
}
static inline uint32_t letters16(__m128i v) {
  const __m128i low = _mm_or_si128(v, _mm_set1_epi8(0x20));
  return (uint32_t)_mm_movemask_epi8(_mm_and_si128(_mm_cmpgt_epi8(low, _mm_set1_epi8('a' - 1)),
                                                   _mm_cmpgt_epi8(_mm_set1_epi8('z' + 1), low)));
}
static inline uint32_t digits16(__m128i v) {
  return (uint32_t)_mm_movemask_epi8(_mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                                                   _mm_cmpgt_epi8(_mm_set1_epi8('9' + 1), v)));
}
static inline uint32_t leads16(__m128i v) {
  const __m128i d = _mm_sub_epi8(v, _mm_set1_epi8((char)0xD0));
  return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(3)), d));
}
static inline uint32_t conts16(__m128i v) {
  return eq16(_mm_and_si128(v, _mm_set1_epi8((char)0xC0)), 0x80);
}

/* The commonest chunks, read 32 bytes at a time, ending at a space or at
 * the end of the text within them: ASCII and the two-byte letters of
 * U+0280..U+02BF and U+0400..U+04FF; one run of letters and digits (with
 * ʻ and ʼ inside it where scan_chunk()'s word rule keeps them) and other
 * ASCII (not @ #) or nothing on either side, or a # or @ then such a run
 * of letters of ASCII and U+0400..U+04FF and digits, not followed by _.
 * Not a URL. What scan_chunk() makes of the first kind is the run as one
 * token, a NUMBER when it has no letter, else a WORD (a . , or : continues
 * a number only before a digit, and none follows the run), or no token
 * when there is no run; of the second, the HASHTAG or MENTION, then the
 * run as a WORD. Pushes those tokens and returns the chunk's length; 0 for
 * any other chunk, nothing pushed. */
static size_t simple_chunk(const unsigned char *s, size_t i, size_t len, tok_out *o) {
  unsigned char pad[32];
  const unsigned char *p = s + i;
  if (len - i < 32) { /* the end of the text ends a chunk as a space does */
    memset(pad, ' ', sizeof pad);
    memcpy(pad, p, len - i);
    p = pad;
  }
  const __m128i v0 = _mm_loadu_si128((const __m128i *)(const void *)p);
  __m128i v1 = v0;
  uint32_t space = eq16(v0, ' ');
  const int two = !space; /* the chunk goes on into p[16 .. 32) */
  if (two) {
    v1 = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
    space = eq16(v1, ' ') << 16;
    if (!space) return 0;
  }
#define KZ_BOTH(m) ((m)(v0) | (two ? (m)(v1) << 16 : 0))
  const unsigned k = (unsigned)__builtin_ctz(space);
  const uint32_t in = (1u << k) - 1;
  const uint32_t high = in & ((uint32_t)_mm_movemask_epi8(v0) |
                              (two ? (uint32_t)_mm_movemask_epi8(v1) << 16 : 0));
  const uint32_t ath = in & ((eq16(v0, '@') | eq16(v0, '#')) |
                             (two ? (eq16(v1, '@') | eq16(v1, '#')) << 16 : 0));
  const uint32_t lt = in & KZ_BOTH(letters16), dg = in & KZ_BOTH(digits16);
  uint32_t lead = 0, ca = 0, bb = 0, bc = 0;
  if (high) {
    lead = in & KZ_BOTH(leads16);
    ca = in & (eq16(v0, 0xCA) | (two ? eq16(v1, 0xCA) << 16 : 0));
    bb = eq16(v0, 0xBB) | (two ? eq16(v1, 0xBB) << 16 : 0);
    bc = eq16(v0, 0xBC) | (two ? eq16(v1, 0xBC) << 16 : 0);
    /* each lead followed by a continuation byte, and every continuation
     * byte after a lead; any other byte from 0x80 is then an invalid one,
     * not a letter for the word rule either. CA before another byte than
     * BB or BC is a letter of U+0280..U+02BF, as the word rule has it */
    if (((lead | ca) << 1) != (in & KZ_BOTH(conts16))) return 0;
  }
#undef KZ_BOTH
  const uint32_t cyr = lead << 1, apos = ca << 1, word = lt | lead | ca,
                 run = word | dg | cyr | apos;
  if (!run) return ath ? 0 : k;
  const unsigned a = (unsigned)__builtin_ctz(run), r = run >> a, n = 32 - (unsigned)__builtin_clz(r);
  if (r & (r + 1)) return 0; /* two runs */
  if (ath) { /* # or @ first, and a run after it that _ does not go on */
    if (ath != 1 || a != 1 || ca || (a + n < k && p[a + n] == '_')) return 0;
    push(o, i, 1 + n, p[0] == '#' ? KUZAT_TOKEN_HASHTAG : KUZAT_TOKEN_MENTION);
    push(o, i + 1, n, KUZAT_TOKEN_WORD);
    return k;
  }
  if (ca) { /* ʻ after a letter or an apostrophe; ʼ after a letter or digit, before a letter */
    const uint32_t left = ca & (bb >> 1), right = ca & (bc >> 1);
    if ((left & ~((lt | cyr | apos) << 1)) || (right & ~((lt | dg | cyr) << 1)) ||
        (right & ~((lt | lead) >> 2)))
      return 0;
  }
  if ((p[0] == 'h' || p[0] == 'w') &&
      (starts_with(p, k, "http://") || starts_with(p, k, "https://") || starts_with(p, k, "www.")))
    return 0;
  push(o, i + a, n, word ? KUZAT_TOKEN_WORD : KUZAT_TOKEN_NUMBER);
  return k;
}
#endif

int kuzat_tokenise(const char *norm, size_t len, kuzat_token *toks, size_t cap,
                   size_t *count) {
  if ((!norm && len) || !count || (!toks && cap)) return KUZAT_EINVAL;
  const unsigned char *s = (const unsigned char *)norm;
  tok_out o = {toks, cap, 0};
  size_t i = 0;
  while (i < len) {
    if (s[i] == ' ') {
      i++;
      continue;
    }
#if defined(__SSE2__)
    const size_t k = simple_chunk(s, i, len, &o);
    if (k) {
      i += k;
      continue;
    }
#endif
    int at = 0;
    size_t j = chunk_end(s, i, len, &at);
    if ((s[i] == 'h' || s[i] == 'w') &&
        (starts_with(s + i, j - i, "http://") ||
         starts_with(s + i, j - i, "https://") ||
         starts_with(s + i, j - i, "www."))) {
      size_t e = trim_punct(s, i, j);
      push(&o, i, e - i, KUZAT_TOKEN_URL);
      parts(s, i, e, &o);
    } else if (at && is_email(s, i, trim_punct(s, i, j))) {
      size_t e = trim_punct(s, i, j);
      push(&o, i, e - i, KUZAT_TOKEN_EMAIL);
      parts(s, i, e, &o);
    } else {
      scan_chunk(s, i, j, &o);
    }
    i = j;
  }
  *count = o.n;
  return KUZAT_OK;
}
