/*
 * reader.c -- records from files: plain text, lines, TSV, JSON Lines.
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
 * TSV header without a "text" column stop the reader.
 *
 * Blank lines in TSV and JSON Lines separate nothing and are not records;
 * in the "lines" format every line is a record, blank ones included, so
 * output line N always answers input line N.
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
  long text_col, id_col;
  /* record scratch */
  char *id, *text, *msg;
  size_t id_cap, text_cap, msg_cap;
  json_t *json;
};

#define RBUF_SIZE (1u << 17)

int kuzat_format_from_name(const char *name) {
  static const char *const names[] = {"auto", "text", "lines", "tsv", "jsonl"};
  if (!name) return -1;
  for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
    if (strcmp(name, names[i]) == 0) return i;
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
  if (!path || !out || format < KUZAT_FORMAT_AUTO || format > KUZAT_FORMAT_JSONL)
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
  r->text_col = r->id_col = -1;
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

void kuzat_reader_free(kuzat_reader *r) {
  if (!r) return;
  kz_alloc a = r->a;
  if (r->gz) gzclose(r->gz);
  if (r->json) json_decref(r->json);
  void *bufs[] = {r->name, r->rbuf, r->line, r->id, r->text, r->msg};
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
  rec->text = "";
  rec->text_len = 0;
  return KUZAT_OK;
}

/* Split r->line at TABs into at most `max` fields. Returns the count. */
static size_t split_tabs(char *s, size_t len, char **f, size_t *fl, size_t max) {
  size_t k = 0, start = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i == len || s[i] == '\t') {
      if (k < max) {
        f[k] = s + start;
        fl[k] = i - start;
      }
      k++;
      start = i + 1;
    }
  }
  return k;
}

#define MAX_COLS 256

static int tsv_header(kuzat_reader *r, kuzat_error *err) {
  int rc = read_line(r, 0, err);
  if (rc <= 0) return rc;
  char *f[MAX_COLS];
  size_t fl[MAX_COLS], n = split_tabs(r->line, r->line_len, f, fl, MAX_COLS);
  for (size_t i = 0; i < n && i < MAX_COLS; i++) {
    if (fl[i] == 4 && memcmp(f[i], "text", 4) == 0) r->text_col = (long)i;
    if (fl[i] == 2 && memcmp(f[i], "id", 2) == 0) r->id_col = (long)i;
  }
  if (r->text_col < 0)
    return kuzat__fail(err, KUZAT_EFORMAT,
                       "%s:1: the TSV header names no \"text\" column "
                       "(expected a first line such as \"id<TAB>text\")",
                       r->name);
  return 1;
}

static int next_tsv(kuzat_reader *r, kuzat_record *rec, kuzat_error *err) {
  int rc;
  if (r->line_no == 0 && (rc = tsv_header(r, err)) <= 0) return rc;
  do {
    if ((rc = read_line(r, 0, err)) <= 0) return rc;
  } while (r->line_len == 0);
  char *f[MAX_COLS];
  size_t fl[MAX_COLS], n = split_tabs(r->line, r->line_len, f, fl, MAX_COLS);
  rec->line = r->line_no;
  if (r->id_col >= 0 && (size_t)r->id_col < n && fl[r->id_col]) {
    rec->id = f[r->id_col];
    rec->id_len = fl[r->id_col];
  } else if (set_default_id(r, rec, 1)) {
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  }
  if ((size_t)r->text_col >= n) {
    if (bad_record(r, rec, "expected at least %ld TAB-separated columns, found %zu",
                   r->text_col + 1, n))
      return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
    return 1;
  }
  if (set_buf(r, &r->text, &r->text_cap, f[r->text_col], fl[r->text_col]))
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  rec->text = r->text;
  rec->text_len = fl[r->text_col];
  if (rec->id != r->id && set_buf(r, &r->id, &r->id_cap, rec->id, rec->id_len))
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  rec->id = r->id;
  return 1;
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
    char num[64];
    if (json_is_string(id)) {
      oom = set_buf(r, &r->id, &r->id_cap, json_string_value(id), json_string_length(id));
      rec->id_len = json_string_length(id);
    } else if (json_is_integer(id)) {
      int n = snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
      oom = set_buf(r, &r->id, &r->id_cap, num, (size_t)n);
      rec->id_len = (size_t)n;
    }
    rec->id = r->id;
    json_t *text = json_object_get(r->json, "text");
    if (oom) {
    } else if (!text) {
      oom = bad_record(r, rec, "the object has no \"text\" field");
    } else if (!json_is_string(text)) {
      oom = bad_record(r, rec, "\"text\" is %s, expected a string", json_kind(text));
    } else {
      rec->text = json_string_value(text);
      rec->text_len = json_string_length(text);
    }
  }
  return oom ? kuzat__fail(err, KUZAT_ENOMEM, "out of memory") : 1;
}

int kuzat_reader_next(kuzat_reader *r, kuzat_record *rec, kuzat_error *err) {
  kuzat__error_clear(err);
  if (!r || !rec) return kuzat__fail(err, KUZAT_EINVAL, "NULL argument");
  memset(rec, 0, sizeof *rec);
  rec->text = "";
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
  default:
    return next_jsonl(r, rec, err);
  }
}
