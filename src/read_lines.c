/*
 * read_lines.c -- the formats read a line at a time, or as one piece:
 * text (the whole file), lines (every line, blank ones included), TSV (a
 * header naming the columns, then a record a row) and fastText (leading
 * "__label__X" tokens, then the text). See docs/FORMATS.md.
 */
#include "reader.h"

#include <string.h>

/* The whole input as one record (empty when the input is). */
int kuzat__next_text(kuzat_reader *r, kuzat_record *rec, kuzat_error *err) {
  int rc;
  r->done = 1;
  if ((rc = kuzat__read_line(r, 1, err)) < 0) return rc;
  rec->line = 1;
  if (kuzat__set_default_id(r, rec, 0)) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  rec->text = r->line ? r->line : "";
  rec->text_len = r->line_len;
  rec->full_len = r->line_full;
  return 1;
}

/* Every line a record, blank ones included. */
int kuzat__next_lines(kuzat_reader *r, kuzat_record *rec, kuzat_error *err) {
  int rc;
  if ((rc = kuzat__read_line(r, 0, err)) <= 0) return rc;
  rec->line = r->line_no;
  if (kuzat__set_default_id(r, rec, 1)) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  rec->text = r->line;
  rec->text_len = r->line_len;
  rec->full_len = r->line_full;
  return 1;
}

#define MAX_COLS 256

/* A line split at TABs: the first MAX_COLS fields and the count of all. */
typedef struct tsv_row {
  char *f[MAX_COLS];
  size_t fl[MAX_COLS], n;
} tsv_row;

static void split_tabs(char *s, size_t len, tsv_row *row) {
  size_t start = 0;
  row->n = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i == len || s[i] == '\t') {
      if (row->n < MAX_COLS) {
        row->f[row->n] = s + start;
        row->fl[row->n] = i - start;
      }
      row->n++;
      start = i + 1;
    }
  }
}

static int is_name(const char *f, size_t n, const char *name) {
  return n == strlen(name) && memcmp(f, name, n) == 0;
}

static int tsv_header(kuzat_reader *r, kuzat_error *err) {
  int rc = kuzat__read_line(r, 0, err);
  if (rc <= 0) return rc;
  tsv_row h;
  split_tabs(r->line, r->line_len, &h);
  long label = -1, labels = -1;
  for (size_t i = 0; i < h.n && i < MAX_COLS; i++) {
    if (is_name(h.f[i], h.fl[i], "text")) r->text_col = (long)i;
    if (is_name(h.f[i], h.fl[i], "id")) r->id_col = (long)i;
    if (is_name(h.f[i], h.fl[i], "label")) label = (long)i;
    if (is_name(h.f[i], h.fl[i], "labels")) labels = (long)i;
    if (is_name(h.f[i], h.fl[i], "lang")) r->lang_col = (long)i;
    if (is_name(h.f[i], h.fl[i], "group")) r->group_col = (long)i;
  }
  if (r->text_col < 0)
    return kuzat__fail_at(err, KUZAT_EFORMAT, 1, 0,
                       "%s:1: the TSV header names no \"text\" column "
                       "(expected a first line such as \"id<TAB>text\")",
                       r->name);
  if (label >= 0 && labels >= 0)
    return kuzat__fail_at(err, KUZAT_EFORMAT, 1, 0,
                       "%s:1: the TSV header names both a \"label\" and a \"labels\" "
                       "column (expected one of them)",
                       r->name);
  r->label_col = label >= 0 ? label : labels;
  return 1;
}

/* Copy cell `col` of `row` to a scratch buffer and point *s at it; a column
 * the header does not name, or the row does not reach, leaves *s alone. */
static int tsv_cell(kuzat_reader *r, const tsv_row *row, long col, char **buf,
                    size_t *cap, const char **s, size_t *len) {
  if (col < 0 || (size_t)col >= row->n) return KUZAT_OK;
  if (kuzat__set_buf(r, buf, cap, row->f[col], row->fl[col])) return KUZAT_ENOMEM;
  *s = *buf;
  *len = row->fl[col];
  return KUZAT_OK;
}

/* The fields of a data row that reaches the text and label columns. */
static int tsv_fields(kuzat_reader *r, const tsv_row *row, kuzat_record *rec) {
  if (tsv_cell(r, row, r->text_col, &r->text, &r->text_cap, &rec->text, &rec->text_len) ||
      tsv_cell(r, row, r->lang_col, &r->lang, &r->lang_cap, &rec->lang, &rec->lang_len) ||
      tsv_cell(r, row, r->group_col, &r->group, &r->group_cap, &rec->group, &rec->group_len))
    return KUZAT_ENOMEM;
  if (r->label_col >= 0 && kuzat__add_labels(r, row->f[r->label_col], row->fl[r->label_col]))
    return KUZAT_ENOMEM;
  kuzat__store_labels(r, rec);
  return KUZAT_OK;
}

/* TSV: the header at the first call, then a record a row that is not
 * empty; with KUZAT_READ_BLANK_RECORDS an empty line is a bad record. */
int kuzat__next_tsv(kuzat_reader *r, kuzat_record *rec, kuzat_error *err) {
  int rc;
  if (r->line_no == 0 && (rc = tsv_header(r, err)) <= 0) {
    r->done = rc < 0; /* a bad header stops the reader for good */
    return rc;
  }
  do {
    if ((rc = kuzat__read_line(r, 0, err)) <= 0) return rc;
  } while (r->line_len == 0 && !(r->flags & KUZAT_READ_BLANK_RECORDS));
  rec->line = r->line_no;
  rec->has_labels = r->label_col >= 0;
  if (r->line_len == 0)
    return kuzat__set_default_id(r, rec, 1) ||
                   kuzat__bad_record(r, rec, "blank line (expected a TSV row)")
               ? kuzat__fail(err, KUZAT_ENOMEM, "out of memory")
               : 1;
  if (r->line_full > kuzat__raw_limit(r))
    return kuzat__set_default_id(r, rec, 1) || kuzat__too_long(r, rec)
               ? kuzat__fail(err, KUZAT_ENOMEM, "out of memory")
               : 1;
  tsv_row row;
  split_tabs(r->line, r->line_len, &row);
  int oom;
  if (r->id_col >= 0 && (size_t)r->id_col < row.n && row.fl[r->id_col])
    oom = tsv_cell(r, &row, r->id_col, &r->id, &r->id_cap, &rec->id, &rec->id_len);
  else
    oom = kuzat__set_default_id(r, rec, 1);
  long need = (r->label_col > r->text_col ? r->label_col : r->text_col) + 1;
  if (oom) {
  } else if (row.n < (size_t)need) {
    oom = kuzat__bad_record(r, rec, "expected at least %ld TAB-separated columns, found %zu", need,
                            row.n);
  } else {
    oom = tsv_fields(r, &row, rec);
  }
  return oom ? kuzat__fail(err, KUZAT_ENOMEM, "out of memory") : 1;
}

/* fastText: leading "__label__X" tokens (separated by spaces or tabs) are
 * labels; the rest, after the whitespace that follows them, is the text.
 * A blank line is skipped, or with KUZAT_READ_BLANK_RECORDS a bad record. */
int kuzat__next_fasttext(kuzat_reader *r, kuzat_record *rec, kuzat_error *err) {
  static const char prefix[] = "__label__";
  const size_t plen = sizeof prefix - 1;
  int rc, blank;
  do {
    if ((rc = kuzat__read_line(r, 0, err)) <= 0) return rc;
    /* blank: spaces and tabs only, the part past what was kept included */
    blank = strspn(r->line, " \t") == r->line_len && r->line_full == r->line_len;
  } while (blank && !(r->flags & KUZAT_READ_BLANK_RECORDS));
  rec->line = r->line_no;
  rec->has_labels = 1;
  if (kuzat__set_default_id(r, rec, 1)) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  if (blank)
    return kuzat__bad_record(r, rec, "blank line (expected a fastText line: __label__X text)")
               ? kuzat__fail(err, KUZAT_ENOMEM, "out of memory")
               : 1;
  const char *end = r->line + r->line_len, *text = r->line;
  for (;;) {
    const char *t = text;
    while (t < end && kz_is_blank(*t)) t++;
    if ((size_t)(end - t) < plen || memcmp(t, prefix, plen) != 0) break;
    const char *e = t + plen;
    while (e < end && !kz_is_blank(*e)) e++;
    if (kuzat__add_labels(r, t + plen, (size_t)(e - t) - plen))
      return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
    text = e;
  }
  if (text != r->line)
    while (text < end && kz_is_blank(*text)) text++;
  rec->text = text;
  rec->text_len = (size_t)(end - text);
  rec->full_len = r->line_full - (size_t)(text - r->line); /* past what was kept */
  kuzat__store_labels(r, rec);
  return 1;
}
