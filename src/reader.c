/*
 * reader.c -- records from files: plain text, lines, TSV, JSON Lines,
 * fastText.
 *
 * Every input goes through zlib's gzread(), which reads gzip members and
 * passes any other bytes through unchanged, so compression is detected by
 * its magic bytes whatever the file is called. Lines may be of any length
 * and may contain NUL bytes; "\r\n" line ends and a UTF-8 BOM at the start
 * of the file are accepted.
 *
 * A record that cannot be understood (a JSON syntax error, a missing or
 * non-string "text", a TSV row with too few columns) is returned with
 * `error` set, so the caller can report it in place and go on: nothing is
 * dropped silently. Only an unreadable input, a truncated gzip stream or a
 * bad TSV header (no "text" column, or both "label" and "labels") stop the
 * reader.
 *
 * Blank lines in TSV, JSON Lines and fastText separate nothing and are not
 * records; in the "lines" format every line is a record, blank ones
 * included, so output line N always answers input line N.
 *
 * Labelled data, for the trainer: a TSV "label" or "labels" column (not
 * both), a JSONL "labels" array of strings or "label" string, or fastText's
 * leading "__label__X" tokens. However written, labels are split at ',' and
 * '|', trimmed of spaces and tabs, empty ones dropped, and joined by ','.
 * TSV and JSONL may also give a "lang" and a "group"; absent ones are empty
 * strings, never NULL. A label, lang or group of the wrong JSON type makes
 * the record bad, like a non-string "text".
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

struct kuzat_reader {
  kz_alloc a;
  gzFile gz;
  char *name; /* display name, for ids and messages */
  int format;
  int done;
  long line_no; /* lines read so far */
  /* raw input buffer */
  unsigned char *rbuf;
  size_t rcap, rpos, rend;
  int eof;
  /* the current line */
  char *line;
  size_t line_cap, line_len;
  /* TSV header */
  long text_col, id_col, label_col, lang_col, group_col;
  /* record scratch */
  char *id, *text, *msg, *labels, *lang, *group;
  size_t id_cap, text_cap, msg_cap, labels_cap, lang_cap, group_cap;
  size_t labels_len;
  json_t *json;
  size_t limit; /* kuzat_reader_set_limit(); 0: none */
};

#define RBUF_SIZE (1u << 17)

int kuzat_format_from_name(const char *name) {
  static const char *const names[] = {"auto", "text", "lines", "tsv", "jsonl", "fasttext"};
  if (!name) return -1;
  for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
    if (strcmp(name, names[i]) == 0) return i;
  if (strcmp(name, "ft") == 0) return KUZAT_FORMAT_FASTTEXT;
  return -1;
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The format a file name implies; ".gz" is looked through. */
static int format_from_path(const char *path) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s", path);
  if (ends_with(tmp, ".gz")) tmp[strlen(tmp) - 3] = '\0';
  if (ends_with(tmp, ".tsv")) return KUZAT_FORMAT_TSV;
  if (ends_with(tmp, ".jsonl") || ends_with(tmp, ".ndjson"))
    return KUZAT_FORMAT_JSONL;
  if (ends_with(tmp, ".ft") || ends_with(tmp, ".fasttext")) return KUZAT_FORMAT_FASTTEXT;
  return KUZAT_FORMAT_TEXT;
}

static char *dup_str(const kz_alloc *a, const char *s) {
  size_t n = strlen(s) + 1;
  char *p = kuzat__malloc(a, n);
  if (p) memcpy(p, s, n);
  return p;
}

int kuzat_reader_open(const char *path, int format, const char *display,
                      const kuzat_allocator *alloc, kuzat_reader **out,
                      kuzat_error *err) {
  kuzat__error_clear(err);
  if (!path || !out || format < KUZAT_FORMAT_AUTO || format > KUZAT_FORMAT_FASTTEXT)
    return kuzat__fail(err, KUZAT_EINVAL, "invalid argument");
  *out = NULL;
  kz_alloc a;
  kuzat__alloc_init(&a, alloc);
  int is_stdin = strcmp(path, "-") == 0;
  if (!display) display = is_stdin ? "stdin" : path;
  if (format == KUZAT_FORMAT_AUTO)
    format = is_stdin ? KUZAT_FORMAT_LINES : format_from_path(path);

  kuzat_reader *r = kuzat__calloc(&a, 1, sizeof *r);
  if (!r) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  r->a = a;
  r->format = format;
  r->text_col = r->id_col = r->label_col = r->lang_col = r->group_col = -1;
  r->name = dup_str(&a, display);
  r->rbuf = kuzat__malloc(&a, RBUF_SIZE);
  r->rcap = RBUF_SIZE;
  if (!r->name || !r->rbuf) {
    kuzat_reader_free(r);
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  }
  int fd = is_stdin ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0 && !is_stdin) {
    struct stat sb;
    if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
      close(fd);
      kuzat_reader_free(r);
      return kuzat__fail(err, KUZAT_EIO, "%s: is a directory", display);
    }
  }
  if (fd < 0) {
    int e = errno;
    kuzat_reader_free(r);
    return kuzat__fail(err, KUZAT_EIO, "%s: %s", display, strerror(e));
  }
  r->gz = gzdopen(fd, "rb");
  if (!r->gz) {
    close(fd);
    kuzat_reader_free(r);
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  }
  gzbuffer(r->gz, RBUF_SIZE);
  *out = r;
  return KUZAT_OK;
}

void kuzat_reader_set_limit(kuzat_reader *r, size_t max_bytes) {
  if (r) r->limit = max_bytes;
}

void kuzat_reader_free(kuzat_reader *r) {
  if (!r) return;
  kz_alloc a = r->a;
  if (r->gz) gzclose(r->gz);
  if (r->json) json_decref(r->json);
  void *bufs[] = {r->name, r->rbuf, r->line, r->id, r->text, r->msg,
                  r->labels, r->lang, r->group};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) kuzat__free(&a, bufs[i]);
  kuzat__free(&a, r);
}

/* Refill the raw buffer. Returns KUZAT_OK (r->eof set at the end) or
 * KUZAT_EIO with the reason. */
static int refill(kuzat_reader *r, kuzat_error *err) {
  int n = gzread(r->gz, r->rbuf, (unsigned)r->rcap);
  if (n < 0 || (n == 0 && !gzeof(r->gz))) {
    int zerr;
    const char *m = gzerror(r->gz, &zerr);
    if (zerr == Z_ERRNO) m = strerror(errno);
    return kuzat__fail(err, KUZAT_EIO, "%s: read error after line %ld: %s",
                       r->name, r->line_no, m);
  }
  if (n == 0) {
    /* gzread reports a gzip stream cut short only through gzerror */
    int zerr;
    const char *m = gzerror(r->gz, &zerr);
    if (zerr != Z_OK && zerr != Z_STREAM_END)
      return kuzat__fail(err, KUZAT_EIO, "%s: %s (after line %ld)", r->name,
                         zerr == Z_BUF_ERROR ? "truncated gzip stream" : m,
                         r->line_no);
    r->eof = 1;
  }
  r->rpos = 0;
  r->rend = (size_t)n;
  return KUZAT_OK;
}

static int append_line(kuzat_reader *r, const unsigned char *p, size_t n) {
  if (kuzat__grow(&r->a, (void **)&r->line, &r->line_cap, r->line_len + n + 1, 1))
    return KUZAT_ENOMEM;
  memcpy(r->line + r->line_len, p, n);
  r->line_len += n;
  r->line[r->line_len] = '\0';
  return KUZAT_OK;
}

/* Read one line (without its "\n" or "\r\n") into r->line. Returns 1, 0 at
 * the end of input, or a negative status. `whole` reads everything. */
static int read_line(kuzat_reader *r, int whole, kuzat_error *err) {
  r->line_len = 0;
  int got = 0;
  for (;;) {
    if (r->rpos == r->rend) {
      if (r->eof) break;
      int rc = refill(r, err);
      if (rc) return rc;
      continue;
    }
    const unsigned char *p = r->rbuf + r->rpos;
    size_t avail = r->rend - r->rpos;
    const unsigned char *nl = whole ? NULL : memchr(p, '\n', avail);
    size_t take = nl ? (size_t)(nl - p) : avail;
    if (append_line(r, p, take)) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
    got = 1;
    r->rpos += take + (nl ? 1 : 0);
    if (nl) {
      if (r->line_len && r->line[r->line_len - 1] == '\r') r->line[--r->line_len] = '\0';
      break;
    }
  }
  if (!got) return 0;
  if (r->line_no == 0 && r->line_len >= 3 && memcmp(r->line, "\xEF\xBB\xBF", 3) == 0) {
    memmove(r->line, r->line + 3, r->line_len - 2);
    r->line_len -= 3;
  }
  r->line_no++;
  if (!r->line && append_line(r, (const unsigned char *)"", 0))
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  return 1;
}

/* Copy n bytes to a scratch buffer, NUL-terminated. */
static int set_buf(kuzat_reader *r, char **buf, size_t *cap, const char *s, size_t n) {
  if (kuzat__grow(&r->a, (void **)buf, cap, n + 1, 1)) return KUZAT_ENOMEM;
  if (n) memcpy(*buf, s, n);
  (*buf)[n] = '\0';
  return KUZAT_OK;
}

static int set_default_id(kuzat_reader *r, kuzat_record *rec, int with_line) {
  char tmp[32];
  size_t nl = strlen(r->name);
  int tl = with_line ? snprintf(tmp, sizeof tmp, ":%ld", r->line_no) : 0;
  if (kuzat__grow(&r->a, (void **)&r->id, &r->id_cap, nl + (size_t)tl + 1, 1))
    return KUZAT_ENOMEM;
  memcpy(r->id, r->name, nl);
  memcpy(r->id + nl, tmp, (size_t)tl);
  r->id[nl + (size_t)tl] = '\0';
  rec->id = r->id;
  rec->id_len = nl + (size_t)tl;
  return KUZAT_OK;
}

/* Make *rec a bad record with message "name:line: <fmt>". */
static int bad_record(kuzat_reader *r, kuzat_record *rec, const char *fmt, ...)
    KZ_PRINTF(3, 4);
static int bad_record(kuzat_reader *r, kuzat_record *rec, const char *fmt, ...) {
  char what[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  size_t need = strlen(r->name) + strlen(what) + 32;
  if (kuzat__grow(&r->a, (void **)&r->msg, &r->msg_cap, need, 1)) return KUZAT_ENOMEM;
  snprintf(r->msg, need, "%s:%ld: %s", r->name, r->line_no, what);
  rec->error = r->msg;
  rec->text = rec->labels = rec->lang = rec->group = "";
  rec->text_len = rec->labels_len = rec->lang_len = rec->group_len = 0;
  return KUZAT_OK;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* Append the labels in s[0..n) to r->labels: split at ',' and '|', each
 * trimmed of spaces and tabs, empty ones dropped, joined by ','. */
static int add_labels(kuzat_reader *r, const char *s, size_t n) {
  /* the result grows by at most n bytes and one ',' */
  if (kuzat__grow(&r->a, (void **)&r->labels, &r->labels_cap, r->labels_len + n + 2, 1))
    return KUZAT_ENOMEM;
  size_t start = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && s[i] != ',' && s[i] != '|') continue;
    size_t b = start, e = i;
    while (b < e && is_blank(s[b])) b++;
    while (e > b && is_blank(s[e - 1])) e--;
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

/* The labels gathered so far, into the record. */
static void store_labels(const kuzat_reader *r, kuzat_record *rec) {
  rec->labels = r->labels_len ? r->labels : "";
  rec->labels_len = r->labels_len;
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
  int rc = read_line(r, 0, err);
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
    return kuzat__fail(err, KUZAT_EFORMAT,
                       "%s:1: the TSV header names no \"text\" column "
                       "(expected a first line such as \"id<TAB>text\")",
                       r->name);
  if (label >= 0 && labels >= 0)
    return kuzat__fail(err, KUZAT_EFORMAT,
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
  if (set_buf(r, buf, cap, row->f[col], row->fl[col])) return KUZAT_ENOMEM;
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
  if (r->label_col >= 0 && add_labels(r, row->f[r->label_col], row->fl[r->label_col]))
    return KUZAT_ENOMEM;
  store_labels(r, rec);
  return KUZAT_OK;
}

static int next_tsv(kuzat_reader *r, kuzat_record *rec, kuzat_error *err) {
  int rc;
  if (r->line_no == 0 && (rc = tsv_header(r, err)) <= 0) {
    r->done = rc < 0; /* a bad header stops the reader for good */
    return rc;
  }
  do {
    if ((rc = read_line(r, 0, err)) <= 0) return rc;
  } while (r->line_len == 0);
  tsv_row row;
  split_tabs(r->line, r->line_len, &row);
  rec->line = r->line_no;
  rec->has_labels = r->label_col >= 0;
  int oom;
  if (r->id_col >= 0 && (size_t)r->id_col < row.n && row.fl[r->id_col])
    oom = tsv_cell(r, &row, r->id_col, &r->id, &r->id_cap, &rec->id, &rec->id_len);
  else
    oom = set_default_id(r, rec, 1);
  long need = (r->label_col > r->text_col ? r->label_col : r->text_col) + 1;
  if (oom) {
  } else if (row.n < (size_t)need) {
    oom = bad_record(r, rec, "expected at least %ld TAB-separated columns, found %zu", need,
                     row.n);
  } else {
    oom = tsv_fields(r, &row, rec);
  }
  return oom ? kuzat__fail(err, KUZAT_ENOMEM, "out of memory") : 1;
}

static const char *json_kind(const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_OBJECT: return "an object";
  case JSON_ARRAY: return "an array";
  case JSON_STRING: return "a string";
  case JSON_INTEGER: case JSON_REAL: return "a number";
  case JSON_TRUE: case JSON_FALSE: return "a boolean";
  case JSON_NULL: return "null";
  }
  return "a value";
}

/* A JSON string or integer as text in a scratch buffer; *len its length. */
static int json_scalar(kuzat_reader *r, const json_t *v, char **buf, size_t *cap,
                       size_t *len) {
  if (json_is_string(v)) {
    *len = json_string_length(v);
    return set_buf(r, buf, cap, json_string_value(v), *len);
  }
  char num[64];
  int n = snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
  *len = (size_t)n;
  return set_buf(r, buf, cap, num, (size_t)n);
}

static int json_text(kuzat_reader *r, kuzat_record *rec) {
  json_t *text = json_object_get(r->json, "text");
  if (!text) return bad_record(r, rec, "the object has no \"text\" field");
  if (!json_is_string(text))
    return bad_record(r, rec, "\"text\" is %s, expected a string", json_kind(text));
  rec->text = json_string_value(text);
  rec->text_len = json_string_length(text);
  return KUZAT_OK;
}

/* A "labels" array of strings or a "label" string. */
static int json_labels(kuzat_reader *r, kuzat_record *rec) {
  json_t *many = json_object_get(r->json, "labels"), *one = json_object_get(r->json, "label");
  if (many && one)
    return bad_record(r, rec, "the object has both \"label\" and \"labels\", expected one");
  if (one && !json_is_string(one))
    return bad_record(r, rec, "\"label\" is %s, expected a string", json_kind(one));
  if (one && add_labels(r, json_string_value(one), json_string_length(one)))
    return KUZAT_ENOMEM;
  if (many && !json_is_array(many))
    return bad_record(r, rec, "\"labels\" must be an array of strings");
  size_t i;
  json_t *v;
  json_array_foreach(many, i, v) { /* none when `many` is NULL */
    if (!json_is_string(v)) return bad_record(r, rec, "\"labels\" must be an array of strings");
    if (add_labels(r, json_string_value(v), json_string_length(v))) return KUZAT_ENOMEM;
  }
  store_labels(r, rec);
  return KUZAT_OK;
}

/* "lang", a string, and "group", a string or an integer. */
static int json_lang_group(kuzat_reader *r, kuzat_record *rec) {
  json_t *lang = json_object_get(r->json, "lang"), *group = json_object_get(r->json, "group");
  if (lang && !json_is_string(lang))
    return bad_record(r, rec, "\"lang\" is %s, expected a string", json_kind(lang));
  if (group && !json_is_string(group) && !json_is_integer(group))
    return bad_record(r, rec, "\"group\" is %s, expected a string or an integer",
                      json_kind(group));
  if (lang) {
    rec->lang = json_string_value(lang);
    rec->lang_len = json_string_length(lang);
  }
  if (group) {
    if (json_scalar(r, group, &r->group, &r->group_cap, &rec->group_len)) return KUZAT_ENOMEM;
    rec->group = r->group;
  }
  return KUZAT_OK;
}

static int next_jsonl(kuzat_reader *r, kuzat_record *rec, kuzat_error *err) {
  int rc;
  do {
    if ((rc = read_line(r, 0, err)) <= 0) return rc;
  } while (r->line_len == 0 || strspn(r->line, " \t") == r->line_len);
  rec->line = r->line_no;
  if (set_default_id(r, rec, 1)) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  json_error_t je;
  r->json = json_loadb(r->line, r->line_len, JSON_ALLOW_NUL, &je);
  int oom = 0;
  if (!r->json) {
    oom = bad_record(r, rec, "column %d: invalid JSON: %s", je.column, je.text);
  } else if (!json_is_object(r->json)) {
    oom = bad_record(r, rec, "expected a JSON object, found %s", json_kind(r->json));
  } else {
    json_t *id = json_object_get(r->json, "id");
    if (json_is_string(id) || json_is_integer(id)) {
      oom = json_scalar(r, id, &r->id, &r->id_cap, &rec->id_len);
      rec->id = r->id;
    }
    rec->has_labels = json_object_get(r->json, "labels") || json_object_get(r->json, "label");
    if (!oom) oom = json_text(r, rec);
    if (!oom && !rec->error) oom = json_labels(r, rec);
    if (!oom && !rec->error) oom = json_lang_group(r, rec);
  }
  return oom ? kuzat__fail(err, KUZAT_ENOMEM, "out of memory") : 1;
}

/* fastText: leading "__label__X" tokens (separated by spaces or tabs) are
 * labels; the rest, after the whitespace that follows them, is the text. */
static int next_fasttext(kuzat_reader *r, kuzat_record *rec, kuzat_error *err) {
  static const char prefix[] = "__label__";
  const size_t plen = sizeof prefix - 1;
  int rc;
  do {
    if ((rc = read_line(r, 0, err)) <= 0) return rc;
  } while (strspn(r->line, " \t") == r->line_len);
  rec->line = r->line_no;
  rec->has_labels = 1;
  if (set_default_id(r, rec, 1)) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  const char *end = r->line + r->line_len, *text = r->line;
  for (;;) {
    const char *t = text;
    while (t < end && is_blank(*t)) t++;
    if ((size_t)(end - t) < plen || memcmp(t, prefix, plen) != 0) break;
    const char *e = t + plen;
    while (e < end && !is_blank(*e)) e++;
    if (add_labels(r, t + plen, (size_t)(e - t) - plen))
      return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
    text = e;
  }
  if (text != r->line)
    while (text < end && is_blank(*text)) text++;
  rec->text = text;
  rec->text_len = (size_t)(end - text);
  store_labels(r, rec);
  return 1;
}

int kuzat_reader_next(kuzat_reader *r, kuzat_record *rec, kuzat_error *err) {
  kuzat__error_clear(err);
  if (!r || !rec) return kuzat__fail(err, KUZAT_EINVAL, "NULL argument");
  memset(rec, 0, sizeof *rec);
  rec->text = rec->labels = rec->lang = rec->group = "";
  r->labels_len = 0;
  if (r->json) {
    json_decref(r->json);
    r->json = NULL;
  }
  if (r->done) return 0;
  int rc;
  switch (r->format) {
  case KUZAT_FORMAT_TEXT:
    r->done = 1;
    if ((rc = read_line(r, 1, err)) < 0) return rc;
    if (rc == 0 && append_line(r, (const unsigned char *)"", 0))
      return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
    rec->line = 1;
    if (set_default_id(r, rec, 0)) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
    rec->text = r->line;
    rec->text_len = r->line_len;
    return 1;
  case KUZAT_FORMAT_LINES:
    if ((rc = read_line(r, 0, err)) <= 0) return rc;
    rec->line = r->line_no;
    if (set_default_id(r, rec, 1)) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
    rec->text = r->line;
    rec->text_len = r->line_len;
    return 1;
  case KUZAT_FORMAT_TSV:
    return next_tsv(r, rec, err);
  case KUZAT_FORMAT_FASTTEXT:
    return next_fasttext(r, rec, err);
  default:
    return next_jsonl(r, rec, err);
  }
}
