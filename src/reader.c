/*
 * reader.c -- the reader's public calls: the format table's functions
 * (names, file name endings), open, limit, free, and kuzat_reader_next(),
 * which hands each record to its format's parser (read_lines.c,
 * read_json.c, read_subs.c; reader.h lists who does what) and cuts its text
 * at the limit. What each format accepts: docs/FORMATS.md.
 */
#include "reader.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the format table (KUZAT_FORMAT_MAP in kuzat.h) --------------------- */

static const struct kz_format {
  const char *name, *alias, *endings;
} formats[] = {
#define KZ_FORMAT(id, value, name, alias, endings, text) [value] = {name, alias, endings},
    KUZAT_FORMAT_MAP(KZ_FORMAT)
#undef KZ_FORMAT
};

_Static_assert(sizeof formats / sizeof formats[0] == KUZAT_FORMAT_COUNT,
               "KUZAT_FORMAT_MAP's values run from 0 without a gap");

const char *kuzat_format_name(int format) {
  return format >= 0 && format < KUZAT_FORMAT_COUNT ? formats[format].name : NULL;
}

int kuzat_format_from_name(const char *name) {
  if (!name || !*name) return -1;
  for (int f = 0; f < KUZAT_FORMAT_COUNT; f++)
    if (strcmp(name, formats[f].name) == 0 || strcmp(name, formats[f].alias) == 0) return f;
  return -1;
}

/* path[0..n) ends with one of the endings in `list` (separated by spaces). */
static int ends_with_one(const char *path, size_t n, const char *list) {
  for (;;) {
    list += strspn(list, " ");
    size_t m = strcspn(list, " ");
    if (m == 0) return 0;
    if (n >= m && memcmp(path + n - m, list, m) == 0) return 1;
    list += m;
  }
}

int kuzat_format_from_path(const char *path) {
  if (!path) return KUZAT_FORMAT_AUTO;
  if (strcmp(path, "-") == 0) return KUZAT_FORMAT_LINES;
  size_t n = strlen(path);
  if (n >= 3 && memcmp(path + n - 3, ".gz", 3) == 0) n -= 3;
  for (int f = 0; f < KUZAT_FORMAT_COUNT; f++)
    if (ends_with_one(path, n, formats[f].endings)) return f;
  return KUZAT_FORMAT_TEXT;
}

/* ---- the parsers ---------------------------------------------------------- */

/* Each format's parser, and how much of a line it needs kept under the
 * limit. AUTO is resolved when the reader opens, from the name, but for
 * standard input, which next_probe() reads. */
typedef int (*kz_next_fn)(kuzat_reader *r, kuzat_record *rec, kuzat_error *err);
static const struct kz_parser {
  kz_next_fn next;
  int keep;
} parsers[] = {
    [KUZAT_FORMAT_AUTO] = {NULL, KZ_KEEP_RAW},
    [KUZAT_FORMAT_TEXT] = {kuzat__next_text, KZ_KEEP_TEXT},
    [KUZAT_FORMAT_LINES] = {kuzat__next_lines, KZ_KEEP_TEXT},
    [KUZAT_FORMAT_TSV] = {kuzat__next_tsv, KZ_KEEP_RAW},
    [KUZAT_FORMAT_JSONL] = {kuzat__next_jsonl, KZ_KEEP_RAW},
    [KUZAT_FORMAT_FASTTEXT] = {kuzat__next_fasttext, KZ_KEEP_RAW},
    [KUZAT_FORMAT_SRT] = {kuzat__next_subtitles, KZ_KEEP_LINE},
    [KUZAT_FORMAT_VTT] = {kuzat__next_subtitles, KZ_KEEP_LINE},
    [KUZAT_FORMAT_WHISPER] = {kuzat__next_whisper, KZ_KEEP_RAW},
};

_Static_assert(sizeof parsers / sizeof parsers[0] == KUZAT_FORMAT_COUNT,
               "every format of KUZAT_FORMAT_MAP has a parser");

/* ---- standard input without a format ----------------------------------- */

/* A JSON object with a "text" string or a "segments" array. */
static int is_jsonl_record(const char *s, size_t n) {
  json_t *j = json_loadb(s, n, JSON_ALLOW_NUL, NULL);
  int yes = json_is_object(j) &&
            (json_is_string(json_object_get(j, "text")) || json_is_array(json_object_get(j, "segments")));
  json_decref(j);
  return yes;
}

/* Standard input read with KUZAT_FORMAT_AUTO: JSON Lines when its first
 * line that is not blank is a JSON object with "text" (or "segments"),
 * else lines. The blank lines before it wait as a count, that line in
 * r->line (r->held) for the format's parser. */
static int next_probe(kuzat_reader *r, kuzat_record *rec, kuzat_error *err) {
  int rc;
  while ((rc = kuzat__read_line(r, 0, err)) == 1 && kz_blank_line(r->line, r->line_len))
    r->probe_blank++;
  if (rc < 0) return rc;
  r->held = rc == 1;
  r->probe_line = r->line_no - r->held - r->probe_blank + 1;
  r->format = r->held && is_jsonl_record(r->line, r->line_len) ? KUZAT_FORMAT_JSONL
                                                              : KUZAT_FORMAT_LINES;
  r->keep = parsers[r->format].keep;
  return KUZAT_OK;
}

/* One of the blank lines next_probe() saw: an empty line in lines, a bad
 * record in JSON Lines with KUZAT_READ_BLANK_RECORDS; 0 when it is no
 * record (JSON Lines without). */
static int probed_blank(kuzat_reader *r, kuzat_record *rec, kuzat_error *err) {
  long line = r->probe_line++;
  r->probe_blank--;
  if (r->format == KUZAT_FORMAT_JSONL && !(r->flags & KUZAT_READ_BLANK_RECORDS)) return 0;
  rec->line = line;
  int oom = kuzat__set_id_at(r, rec, line);
  if (!oom && r->format == KUZAT_FORMAT_JSONL)
    oom = kuzat__bad_record_at(r, rec, line, "blank line (expected a JSON object)");
  return oom ? kuzat__fail(err, KUZAT_ENOMEM, "out of memory") : 1;
}

int kuzat_reader_format(const kuzat_reader *r) { return r ? r->format : -1; }

unsigned long long kuzat_reader_bytes(const kuzat_reader *r) { return r ? r->bytes_in : 0; }

/* ---- the reader ----------------------------------------------------------- */

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
  if (!path || !out || format < 0 || format >= KUZAT_FORMAT_COUNT)
    return kuzat__fail(err, KUZAT_EINVAL, "invalid argument");
  *out = NULL;
  kz_alloc a;
  kuzat__alloc_init(&a, alloc);
  int is_stdin = strcmp(path, "-") == 0;
  if (!display) display = is_stdin ? "stdin" : path;
  if (format == KUZAT_FORMAT_AUTO && !is_stdin) format = kuzat_format_from_path(path);

  kuzat_reader *r = kuzat__calloc(&a, 1, sizeof *r);
  if (!r) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  r->a = a;
  r->format = format;
  r->keep = parsers[format].keep;
  r->text_col = r->id_col = r->label_col = r->lang_col = r->group_col = -1;
  r->fd = -1;
  r->name = dup_str(&a, display);
  r->rbuf = kuzat__malloc(&a, KZ_RBUF_SIZE);
  r->rcap = KZ_RBUF_SIZE;
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
  r->fd = fd;
  *out = r;
  return KUZAT_OK;
}

void kuzat_reader_set_limit(kuzat_reader *r, size_t max_bytes) {
  if (r) r->limit = max_bytes;
}

int kuzat_reader_set_encoding(kuzat_reader *r, const char *name, kuzat_error *err) {
  kuzat__error_clear(err);
  if (!r || !name) return kuzat__fail(err, KUZAT_EINVAL, "NULL argument");
  if (r->sniffed)
    return kuzat__fail(err, KUZAT_EINVAL, "%s: the encoding is set before the first record",
                       r->name);
  UConverter *conv;
  const char *iana;
  int rc = kuzat__converter_open(name, &conv, &iana, err);
  if (rc) return rc;
  kuzat__input_close(r);
  if (ucnv_getType(conv) == UCNV_UTF8) { /* as it comes, undetected */
    ucnv_close(conv);
    r->charset = KZ_CS_UTF8;
    r->encoding = NULL;
  } else {
    r->conv = conv;
    r->charset = KZ_CS_UNDECIDED;
    r->encoding = iana;
  }
  return KUZAT_OK;
}

void kuzat_reader_set_flags(kuzat_reader *r, unsigned flags) {
  if (r) r->flags = flags;
}

void kuzat_reader_free(kuzat_reader *r) {
  if (!r) return;
  kz_alloc a = r->a;
  if (r->fd >= 0) close(r->fd);
  if (r->zinit) inflateEnd(&r->zs);
  if (r->json) json_decref(r->json);
  kuzat__input_close(r);
  void *bufs[] = {r->name, r->rbuf, r->zbuf, r->xbuf, r->line, r->id, r->text, r->msg,
                  r->labels, r->lang, r->group, r->segs};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) kuzat__free(&a, bufs[i]);
  kuzat__free(&a, r);
}

/* Every record's text within the limit, and full_len set. Transcripts
 * and error records are within it already. */
static void cut_text(const kuzat_reader *r, kuzat_record *rec) {
  if (rec->full_len < rec->text_len) rec->full_len = rec->text_len;
  if (r->limit && rec->text_len > r->limit) rec->text_len = kuzat__utf8_cut(rec->text, r->limit);
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
  int rc = kuzat__input_start(r, err);
  if (rc) {
    r->done = 1;
    return rc;
  }
  if (r->not_text) { /* one record says so, and nothing is read as text */
    r->done = 1;
    return kuzat__not_text_record(r, rec) ? kuzat__fail(err, KUZAT_ENOMEM, "out of memory") : 1;
  }
  if (r->format == KUZAT_FORMAT_AUTO && (rc = next_probe(r, rec, err)) < 0) return rc;
  rc = 0;
  while (rc == 0 && r->probe_blank) rc = probed_blank(r, rec, err);
  if (rc == 0) rc = parsers[r->format].next(r, rec, err);
  if (rc == 1) cut_text(r, rec);
  if (rc == 1) rec->encoding = r->charset == KZ_CS_CONVERT ? r->encoding : NULL;
  return rc;
}
