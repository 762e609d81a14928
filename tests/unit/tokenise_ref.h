/*
 * tokenise_ref.h -- kuzat_tokenise() as it was before its fast path for
 * runs of ASCII and Cyrillic letters (issue 18), kept as the reference the
 * tests hold the fast one to (test_tokenise.c).
 */
#ifndef KUZAT_TOKENISE_REF_H
#define KUZAT_TOKENISE_REF_H

#include "chars.h"
#include "kuzat.h"

#include <stdint.h>
#include <string.h>

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

static int ref_tokenise(const char *norm, size_t len, kuzat_token *toks, size_t cap,
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
    size_t j = i;
    while (j < len && s[j] != ' ') j++;
    if ((s[i] == 'h' || s[i] == 'w') &&
        (starts_with(s + i, j - i, "http://") ||
         starts_with(s + i, j - i, "https://") ||
         starts_with(s + i, j - i, "www."))) {
      size_t e = trim_punct(s, i, j);
      push(&o, i, e - i, KUZAT_TOKEN_URL);
      parts(s, i, e, &o);
    } else if (memchr(s + i, '@', j - i) && is_email(s, i, trim_punct(s, i, j))) {
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

#endif
