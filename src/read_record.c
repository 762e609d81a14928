/*
 * read_record.c -- the record being read: the reader's scratch buffers,
 * default ids ("file:line"), bad records ("file:line: what", returned in
 * place rather than stopping the reader), labels as every format gives
 * them, and the cut of a text at a whole UTF-8 character.
 */
#include "reader.h"

#include <stdio.h>
#include <string.h>

/* Where to cut s[0..n) so that it ends with a whole UTF-8 character: n, or
 * the start of a multi-byte sequence that n splits. Invalid bytes count as
 * whole characters (the normaliser reports them, not the reader). */
size_t kuzat__utf8_cut(const char *s, size_t n) {
  size_t i = n;
  while (i > 0 && n - i < 4 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) i--;
  if (i == 0 || n - i == 4) return n; /* no lead byte in reach */
  unsigned char lead = (unsigned char)s[i - 1];
  size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  return n - (i - 1) < want ? i - 1 : n;
}

int kuzat__set_buf(kuzat_reader *r, char **buf, size_t *cap, const char *s, size_t n) {
  if (kuzat__grow(&r->a, (void **)buf, cap, n + 1, 1)) return KUZAT_ENOMEM;
  if (n) memcpy(*buf, s, n);
  (*buf)[n] = '\0';
  return KUZAT_OK;
}

/* ":line" into tmp, as snprintf's ":%ld" writes it (without snprintf:
 * this is done for every record); returns its length. */
static int colon_line(char *tmp, long line) {
  char d[24];
  int nd = 0, n = 0;
  unsigned long v = line < 0 ? 0ul - (unsigned long)line : (unsigned long)line;
  do d[nd++] = (char)('0' + v % 10); while (v /= 10);
  tmp[n++] = ':';
  if (line < 0) tmp[n++] = '-';
  while (nd) tmp[n++] = d[--nd];
  return n;
}

static int set_id(kuzat_reader *r, kuzat_record *rec, int with_line, long line) {
  char tmp[32];
  size_t nl = strlen(r->name);
  int tl = with_line ? colon_line(tmp, line) : 0;
  if (kuzat__grow(&r->a, (void **)&r->id, &r->id_cap, nl + (size_t)tl + 1, 1))
    return KUZAT_ENOMEM;
  memcpy(r->id, r->name, nl);
  memcpy(r->id + nl, tmp, (size_t)tl);
  r->id[nl + (size_t)tl] = '\0';
  rec->id = r->id;
  rec->id_len = nl + (size_t)tl;
  return KUZAT_OK;
}

int kuzat__set_default_id(kuzat_reader *r, kuzat_record *rec, int with_line) {
  return set_id(r, rec, with_line, r->line_no);
}

int kuzat__set_id_at(kuzat_reader *r, kuzat_record *rec, long line) {
  return set_id(r, rec, 1, line);
}

/* Make *rec a bad record with message "name:line: <fmt>": empty text,
 * labels, lang, group and segments, so that no caller scores it. */
static int bad_record_v(kuzat_reader *r, kuzat_record *rec, long line, const char *fmt,
                        va_list ap) KZ_PRINTF(4, 0);
static int bad_record_v(kuzat_reader *r, kuzat_record *rec, long line, const char *fmt,
                        va_list ap) {
  char what[512];
  vsnprintf(what, sizeof what, fmt, ap);
  size_t need = strlen(r->name) + strlen(what) + 32;
  if (kuzat__grow(&r->a, (void **)&r->msg, &r->msg_cap, need, 1)) return KUZAT_ENOMEM;
  snprintf(r->msg, need, "%s:%ld: %s", r->name, line, what);
  rec->error = r->msg;
  rec->status = KUZAT_EFORMAT;
  rec->text = rec->labels = rec->lang = rec->group = "";
  rec->text_len = rec->labels_len = rec->lang_len = rec->group_len = rec->full_len = 0;
  rec->segments = NULL;
  rec->segments_len = 0;
  return KUZAT_OK;
}

int kuzat__bad_record(kuzat_reader *r, kuzat_record *rec, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = bad_record_v(r, rec, r->line_no, fmt, ap);
  va_end(ap);
  return rc;
}

int kuzat__bad_record_at(kuzat_reader *r, kuzat_record *rec, long line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = bad_record_v(r, rec, line, fmt, ap);
  va_end(ap);
  return rc;
}

/* Input that is not text: one bad record, id and message the display
 * name ("name: not text: looks like ..."). */
int kuzat__not_text_record(kuzat_reader *r, kuzat_record *rec) {
  size_t need = strlen(r->name) + strlen(r->not_text) + 3;
  if (kuzat__set_default_id(r, rec, 0) ||
      kuzat__grow(&r->a, (void **)&r->msg, &r->msg_cap, need, 1))
    return KUZAT_ENOMEM;
  snprintf(r->msg, need, "%s: %s", r->name, r->not_text);
  rec->error = r->msg;
  rec->status = KUZAT_ENOTTEXT;
  rec->line = 1;
  return KUZAT_OK;
}

/* A line or file over the raw bound: a bad record (the rest of it was
 * counted, not kept, by kuzat__read_line()). */
int kuzat__too_long(kuzat_reader *r, kuzat_record *rec) {
  return kuzat__bad_record(
      r, rec, "record longer than %zu bytes, more than the reader's memory limit lets it parse",
      kuzat__raw_limit(r));
}

/* Append the labels in s[0..n) to r->labels: split at ',' and '|', each
 * trimmed of spaces and tabs, empty ones dropped, joined by ','. */
int kuzat__add_labels(kuzat_reader *r, const char *s, size_t n) {
  /* the result grows by at most n bytes and one ',' */
  if (kuzat__grow(&r->a, (void **)&r->labels, &r->labels_cap, r->labels_len + n + 2, 1))
    return KUZAT_ENOMEM;
  size_t start = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && s[i] != ',' && s[i] != '|') continue;
    size_t b = start, e = i;
    while (b < e && kz_is_blank(s[b])) b++;
    while (e > b && kz_is_blank(s[e - 1])) e--;
    if (e > b) {
      if (r->labels_len) r->labels[r->labels_len++] = ',';
      memcpy(r->labels + r->labels_len, s + b, e - b);
      r->labels_len += e - b;
    }
    start = i + 1;
  }
  r->labels[r->labels_len] = '\0';
  return KUZAT_OK;
}

void kuzat__store_labels(const kuzat_reader *r, kuzat_record *rec) {
  rec->labels = r->labels_len ? r->labels : "";
  rec->labels_len = r->labels_len;
}
