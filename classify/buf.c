/*
 * buf.c -- the growing buffer a record's output is built in, and how
 * strings (JSON, TSV, CSV, HTML), probabilities and times are written into
 * it, the same way in every output format.
 */
#include "classify.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the buffer; JSON strings, TSV fields, numbers and times ---- */

static void buf_grow(buf *b, size_t more) {
  if (b->len + more + 1 <= b->cap || b->oom) return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + more + 1) cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) {
    b->oom = 1;
    return;
  }
  b->p = p;
  b->cap = cap;
}

void buf_put(buf *b, const char *s, size_t n) {
  buf_grow(b, n);
  if (b->oom) return;
  memcpy(b->p + b->len, s, n);
  b->len += n;
}

void buf_puts(buf *b, const char *s) { buf_put(b, s, strlen(s)); }

void buf_printf(buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char tmp[256];
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof tmp) {
    buf_put(b, tmp, (size_t)n);
    return;
  }
  buf_grow(b, (size_t)n);
  if (b->oom) return;
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

/* The length of the well-formed UTF-8 character at p[0..n) (p[0] >= 0x80),
 * or 0 when it is ill-formed. */
static size_t utf8_len(const unsigned char *p, size_t n) {
  unsigned char c = p[0];
  size_t need = c >= 0xF0 && c <= 0xF4 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 ? 1 : 0;
  if (c > 0xF4) need = 0;
  size_t k = 1;
  while (k <= need && k < n && (p[k] & 0xC0) == 0x80) k++;
  int ok = need && k == need + 1;
  if (ok && need == 2 && ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F))) ok = 0;
  if (ok && need == 3 && ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F))) ok = 0;
  return ok ? k : 0;
}

/* s[0..n) with each ASCII byte given to `ascii` (which writes it, escaped
 * as its format needs) and every other character copied when well-formed,
 * U+FFFD when not: valid UTF-8 out whatever comes in. */
static void put_utf8(buf *b, const char *s, size_t n, void (*ascii)(buf *b, unsigned char c)) {
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    if (p[i] < 0x80) {
      ascii(b, p[i++]);
      continue;
    }
    size_t k = utf8_len(p + i, n - i);
    if (k) buf_put(b, (const char *)p + i, k);
    else buf_puts(b, "\xEF\xBF\xBD");
    i += k ? k : 1;
  }
}

static void json_ascii(buf *b, unsigned char c) {
  if (c == '"' || c == '\\') {
    char e[2] = {'\\', (char)c};
    buf_put(b, e, 2);
  } else if (c == '\n') buf_puts(b, "\\n");
  else if (c == '\t') buf_puts(b, "\\t");
  else if (c < 0x20 || c == 0x7F) buf_printf(b, "\\u%04x", c);
  else buf_put(b, (const char *)&c, 1);
}

/* s[0..n) as a JSON string: valid UTF-8 out whatever comes in (ill-formed
 * bytes become U+FFFD), control characters escaped. */
void json_string(buf *b, const char *s, size_t n) {
  buf_put(b, "\"", 1);
  /* runs of printable ASCII other than " and \ as they are, in one go
   * (every record's id and names), the stretches between them as before:
   * a run's bytes are ASCII, which no multi-byte character holds, so
   * neither kind of stretch cuts a character */
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && p[j] >= 0x20 && p[j] < 0x7F && p[j] != '"' && p[j] != '\\') j++;
    buf_put(b, s + i, j - i);
    size_t k = j;
    while (k < n && !(p[k] >= 0x20 && p[k] < 0x7F && p[k] != '"' && p[k] != '\\')) k++;
    put_utf8(b, s + j, k - j, json_ascii);
    i = k;
  }
  buf_put(b, "\"", 1);
}

static void csv_ascii(buf *b, unsigned char c) {
  if (c == '"') buf_put(b, "\"\"", 2);
  else if (c == 0 || c == 0x7F || (c < 0x20 && c != '\t' && c != '\n' && c != '\r')) buf_put(b, " ", 1);
  else buf_put(b, (const char *)&c, 1);
}

/* s[0..n) as a CSV field (RFC 4180): in double quotes, its quotes
 * doubled, when it has a comma, a quote, CR or LF, or leading or trailing
 * blanks; as it is otherwise. Valid UTF-8 out; other control characters
 * become spaces. */
void csv_field(buf *b, const char *s, size_t n) {
  int quote = n && (s[0] == ' ' || s[n - 1] == ' ');
  for (size_t i = 0; i < n && !quote; i++)
    quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
  if (quote) buf_put(b, "\"", 1);
  put_utf8(b, s, n, csv_ascii);
  if (quote) buf_put(b, "\"", 1);
}

static void html_ascii(buf *b, unsigned char c) {
  switch (c) {
  case '&': buf_puts(b, "&amp;"); break;
  case '<': buf_puts(b, "&lt;"); break;
  case '>': buf_puts(b, "&gt;"); break;
  case '"': buf_puts(b, "&quot;"); break;
  case '\'': buf_puts(b, "&#39;"); break;
  default:
    if (c < 0x20 && c != '\n' && c != '\t') buf_puts(b, "\xEF\xBF\xBD"); /* NUL, controls */
    else if (c == 0x7F) buf_puts(b, "\xEF\xBF\xBD");
    else buf_put(b, (const char *)&c, 1);
  }
}

/* s[0..n) as HTML text or an attribute's value: & < > " ' escaped, so no
 * text can open a tag or leave its attribute; valid UTF-8 out; control
 * characters U+FFFD. */
void html_text(buf *b, const char *s, size_t n) { put_utf8(b, s, n, html_ascii); }

/* A TSV field: TAB, CR and LF would break the row; they become spaces. */
void tsv_field(buf *b, const char *s, size_t n) {
  size_t start = b->len;
  buf_put(b, s, n);
  if (b->oom) return;
  for (size_t i = start; i < b->len; i++)
    if (b->p[i] == '\t' || b->p[i] == '\n' || b->p[i] == '\r') b->p[i] = ' ';
}

/* Probabilities with four decimals; -0 never appears. "%.4f" as printf
 * writes it but without printf (the hottest part of the output): p * 10000 is
 * within half an ulp (< 1e-12) of the exact product, so rounding it gives
 * printf's digits unless it lies next to a tie; those, NaN and anything above
 * 1 go to printf. */
void put_prob(buf *b, double p) {
  if (p < 0) p = 0.0;
  if (p <= 1.0 && !signbit(p)) {
    double x = p * 10000.0, fl = floor(x), frac = x - fl;
    if (fabs(frac - 0.5) > 1e-6) {
      int k = (int)fl + (frac > 0.5);
      char s[6] = {(char)('0' + k / 10000), '.', (char)('0' + k / 1000 % 10),
                   (char)('0' + k / 100 % 10), (char)('0' + k / 10 % 10), (char)('0' + k % 10)};
      buf_put(b, s, sizeof s);
      return;
    }
  }
  buf_printf(b, "%.4f", p);
}

void put_clock(buf *b, double sec) {
  if (!(sec >= 0)) sec = 0;
  long long ms = llround(sec * 1000);
  buf_printf(b, "%02lld:%02lld:%02lld.%03lld", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60,
             ms % 1000);
}

void put_time(buf *b, double sec) {
  buf_puts(b, "\"");
  put_clock(b, sec);
  buf_puts(b, "\"");
}

/* Characters (code points) in s[0..n): the offsets explanations give. */
size_t utf8_chars(const char *s, size_t n) {
  size_t c = 0;
  for (size_t i = 0; i < n; i++) c += ((unsigned char)s[i] & 0xC0) != 0x80;
  return c;
}

