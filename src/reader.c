/*
 * reader.c -- records from files: plain text, lines, TSV, JSON Lines,
 * fastText, and transcripts: SubRip (.srt), WebVTT (.vtt), Whisper's JSON
 * output and JSON Lines records that carry "segments".
 *
 * Compression is detected by its magic bytes whatever the file is called:
 * input that starts with 1f 8b goes through zlib's inflate() (members one
 * after another, as gzip -d reads them; bytes after the last member that
 * start no new one are ignored, as gzread() does), anything else is read
 * as it is. The reader calls read(2) itself rather than gzread(), because
 * gzread() waits until its whole buffer is full: on a pipe a record must
 * come out as soon as its line has arrived (a streaming filter's contract).
 * Lines may be of any length and may contain NUL bytes; "\r\n" line ends
 * and a UTF-8 BOM at the start of the file are accepted.
 *
 * A record that cannot be understood (a JSON syntax error, a missing or
 * non-string "text", a TSV row with too few columns, a subtitle cue with a
 * bad timestamp) is returned with `error` set ("file:line: what"), so the
 * caller can report it in place and go on: nothing is dropped silently.
 * Only an unreadable input, a truncated gzip stream or a bad TSV header (no
 * "text" column, or both "label" and "labels") stop the reader.
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
 *
 * Transcripts. SRT, WebVTT and Whisper files are one record each (id the
 * display name, line 1); a JSONL line with "segments" is one record. The
 * record's text is the segments' texts joined by '\n', and each
 * kuzat_segment points into it; a cue whose text is empty stays a segment
 * of length 0, overlapping cues are kept as they are, and a file with no
 * cues (an empty SRT, a WebVTT file with only its header) is one record
 * with empty text and no segments.
 *  - Timestamps: "[H:]MM:SS[.f]" with ',' or '.' before the fraction, the
 *    leading field 1-6 digits, the others 2 digits below 60, the fraction
 *    1-9 digits (so SRT's "01:02:03,450" and WebVTT's "02:03.450" both
 *    work; so do the odd "0:00:01,5" and a missing fraction). A timing line
 *    is "start --> end", then end of line or blanks and anything (SRT's
 *    "X1:..." position, WebVTT's cue settings).
 *  - SRT: cues are separated by blank lines; each is an optional line of
 *    digits, a timing line, then text lines up to a blank line or the end.
 *    A cue's lines are joined by a space, after tags such as <i>, </b> and
 *    <font color="...">, and ASS overrides such as {\an8}, are removed
 *    (a '<' not followed by a letter or '/' is text). Leniency for files
 *    seen in the wild: text after a blank line that is neither a number
 *    nor a timing line continues the previous cue (SRT text may contain
 *    blank lines), and a cue number at the very end with no timing line is
 *    ignored.
 *  - WebVTT: the first line must be "WEBVTT", alone or followed by a space
 *    or tab. The header block, NOTE, STYLE and REGION blocks, and blocks
 *    with no timing line are skipped; a cue is an optional identifier, a
 *    timing line, and text lines up to a blank line (or, as the WebVTT
 *    parser does, up to a line containing "-->", which starts the next
 *    cue). Every <...> (voice, class, italics, inline timestamps, end tags)
 *    is removed, and &amp; &lt; &gt; &quot; &apos; &nbsp; &lrm; &rlm; and
 *    numeric &#N; / &#xH; references are decoded; other '&' are text.
 *  - Whisper JSON: one object with "segments": an array of objects with
 *    numbers "start" and "end" and a string "text". Other fields ("id",
 *    "tokens", "words", a top-level "text", "language") are ignored.
 *  - JSONL "segments": the same objects, but "start" and "end" may also be
 *    timestamp strings ("00:01:02.500", "01:02.5", "62.5"). When an object
 *    has both "segments" and "text", the segments win: they carry the
 *    timing, and the text is their concatenation anyway.
 *  - Segment texts from JSON are trimmed of spaces, tabs and line ends at
 *    both ends (Whisper starts each with a space).
 *  - Bad transcripts: a malformed timestamp, a cue that ends before it
 *    starts, a number line in SRT not followed by a timing line, text before
 *    the first SRT cue, a segment that is not an object or lacks a numeric
 *    (or, in JSONL, timestamp-string) "start"/"end" or a string "text", a
 *    negative time, "segments" that is not an array, invalid JSON. The
 *    error names the offending line; for Whisper, whose JSON parser keeps
 *    no positions, segment errors say line 1 and give the segment's index.
 *    After a bad SRT, WebVTT or Whisper file the next call returns 0.
 *
 * The limit (kuzat_reader_set_limit()). With max_bytes > 0, texts are cut
 * at the last whole UTF-8 character within max_bytes and full_len keeps
 * the length they had (it equals text_len when nothing was cut). Memory
 * stays bounded by the limit, not by the input:
 *  - "lines" and "text" keep max_bytes + 3 bytes of a line or file (3 for
 *    a BOM) and only count the rest;
 *  - TSV, JSONL and Whisper must hold a whole line or file to parse it:
 *    one longer than 4 * max_bytes + 65536 raw bytes becomes a bad record
 *    ("record longer than N bytes") and the rest of it is skipped without
 *    being kept, so line numbers stay right;
 *  - fastText keeps the first 4 * max_bytes + 65536 bytes of a line: its
 *    text is whatever follows the labels, so a longer line is cut like a
 *    "lines" line rather than refused;
 *  - SRT and WebVTT are read a line at a time, keeping max_bytes + 65536
 *    bytes of a line, and keep max_bytes bytes of joined text; segments
 *    past the cut are dropped and the one straddling it shortened, so
 *    their number is bounded too. A cue line longer than max_bytes + 65536
 *    bytes is counted in full_len as it is, tags and all.
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
  int fd;
  /* gzip: compressed bytes in zbuf, zs inflating them into rbuf */
  int zmode;       /* IN_UNKNOWN, IN_PLAIN, IN_GZIP (see refill()) */
  int zinit;       /* inflateInit2() done */
  int zin_eof;     /* no more compressed bytes */
  int zmember_end; /* the last member ended; another may follow */
  z_stream zs;
  unsigned char *zbuf;
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
  size_t line_full; /* bytes the current line had, kept or not */
  /* transcript being built: the joined text goes to `text` */
  kuzat_segment *segs;
  size_t segs_len, segs_cap;
  size_t t_len;    /* bytes of joined text kept in `text` */
  size_t t_full;   /* bytes of joined text, kept or not */
  size_t t_nseg;   /* segments begun, kept or not */
  int t_open;      /* the last kept segment is the one being filled */
  int t_has_text;  /* the segment being filled has text already */
};

#define RBUF_SIZE (1u << 17)

/* Raw bytes a TSV, JSONL or Whisper record may have under the limit, and
 * bytes of a subtitle line kept beyond the limit (timing lines, tags). The
 * fuzz build makes both small (tests/fuzz/fuzz.mk), so that its inputs,
 * a few KiB, reach the paths of a record too long to parse. */
#ifndef KZ_RAW_SLACK
#define KZ_RAW_SLACK 65536u
#endif
#ifndef KZ_LINE_SLACK
#define KZ_LINE_SLACK 65536u
#endif
#define RAW_SLACK ((size_t)KZ_RAW_SLACK)
#define LINE_SLACK ((size_t)KZ_LINE_SLACK)

int kuzat_format_from_name(const char *name) {
  /* in kuzat_format order */
  static const char *const names[] = {"auto", "text",     "lines", "tsv",    "jsonl",
                                      "fasttext", "srt",  "vtt",   "whisper"};
  if (!name) return -1;
  for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
    if (strcmp(name, names[i]) == 0) return i;
  if (strcmp(name, "ft") == 0) return KUZAT_FORMAT_FASTTEXT;
  if (strcmp(name, "webvtt") == 0) return KUZAT_FORMAT_VTT;
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
  if (ends_with(tmp, ".srt")) return KUZAT_FORMAT_SRT;
  if (ends_with(tmp, ".vtt")) return KUZAT_FORMAT_VTT;
  if (ends_with(tmp, ".json")) return KUZAT_FORMAT_WHISPER;
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
  if (!path || !out || format < KUZAT_FORMAT_AUTO || format > KUZAT_FORMAT_WHISPER)
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
  r->fd = -1;
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
  r->fd = fd;
  *out = r;
  return KUZAT_OK;
}

void kuzat_reader_set_limit(kuzat_reader *r, size_t max_bytes) {
  if (r) r->limit = max_bytes;
}

void kuzat_reader_free(kuzat_reader *r) {
  if (!r) return;
  kz_alloc a = r->a;
  if (r->fd >= 0) close(r->fd);
  if (r->zinit) inflateEnd(&r->zs);
  if (r->json) json_decref(r->json);
  void *bufs[] = {r->name, r->rbuf, r->zbuf, r->line, r->id, r->text, r->msg,
                  r->labels, r->lang, r->group, r->segs};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) kuzat__free(&a, bufs[i]);
  kuzat__free(&a, r);
}

enum { IN_UNKNOWN, IN_PLAIN, IN_GZIP };

/* read(2) what is there, up to n bytes; -1 on error (errno set). */
static long read_some(int fd, unsigned char *buf, size_t n) {
  for (;;) {
    ssize_t k = read(fd, buf, n);
    if (k >= 0 || errno != EINTR) return (long)k;
  }
}

static int io_error(kuzat_reader *r, kuzat_error *err, const char *why) {
  return kuzat__fail_at(err, KUZAT_EIO, r->line_no, 0, "%s: read error after line %ld: %s",
                        r->name, r->line_no, why);
}

static voidpf z_alloc(voidpf opaque, uInt items, uInt size) {
  const kz_alloc *a = opaque;
  return (size_t)items > SIZE_MAX / size ? NULL : kuzat__malloc(a, (size_t)items * size);
}

static void z_free(voidpf opaque, voidpf p) { kuzat__free(opaque, p); }

/* The first bytes decide: 1f 8b starts gzip, anything else is plain. The
 * bytes read to decide are in rbuf[0..rend); for gzip they move to zbuf. */
static int detect(kuzat_reader *r, kuzat_error *err) {
  size_t have = 0;
  while (have < 2) {
    long k = read_some(r->fd, r->rbuf + have, r->rcap - have);
    if (k < 0) return io_error(r, err, strerror(errno));
    if (k == 0) break;
    have += (size_t)k;
    if (r->rbuf[0] != 0x1f) break;
  }
  r->rend = have;
  r->eof = have == 0;
  if (have < 2 || r->rbuf[0] != 0x1f || r->rbuf[1] != 0x8b) {
    r->zmode = IN_PLAIN;
    return KUZAT_OK;
  }
  r->zmode = IN_GZIP;
  r->zbuf = kuzat__malloc(&r->a, RBUF_SIZE);
  r->zs.zalloc = z_alloc;
  r->zs.zfree = z_free;
  r->zs.opaque = &r->a;
  if (!r->zbuf || inflateInit2(&r->zs, 15 + 16) != Z_OK)
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  r->zinit = 1;
  memcpy(r->zbuf, r->rbuf, have);
  r->zs.next_in = r->zbuf;
  r->zs.avail_in = (uInt)have;
  r->rend = 0;
  return KUZAT_OK;
}

/* Inflate into rbuf whatever the compressed bytes at hand give, reading
 * more only while they give nothing. */
static int inflate_some(kuzat_reader *r, kuzat_error *err) {
  z_stream *zs = &r->zs;
  zs->next_out = r->rbuf;
  zs->avail_out = (uInt)r->rcap;
  for (;;) {
    if (zs->avail_in == 0 && !r->zin_eof) {
      long k = read_some(r->fd, r->zbuf, RBUF_SIZE);
      if (k < 0) return io_error(r, err, strerror(errno));
      r->zin_eof = k == 0;
      zs->next_in = r->zbuf;
      zs->avail_in = (uInt)k;
    }
    if (r->zmember_end) {
      if (zs->avail_in == 0 && r->zin_eof) break;
      if (zs->avail_in == 0) continue;
      if (zs->next_in[0] != 0x1f) { /* trailing garbage: ignored */
        zs->avail_in = 0;
        r->zin_eof = 1;
        break;
      }
      inflateReset(zs);
      r->zmember_end = 0;
    }
    int ret = inflate(zs, Z_NO_FLUSH);
    if (ret == Z_STREAM_END) r->zmember_end = 1;
    else if (ret == Z_MEM_ERROR) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
    else if (ret != Z_OK && ret != Z_BUF_ERROR)
      return kuzat__fail_at(err, KUZAT_EIO, r->line_no, 0, "%s: %s (after line %ld)", r->name,
                            zs->msg ? zs->msg : "invalid gzip data", r->line_no);
    if (zs->avail_out < r->rcap) break;
    if (!r->zmember_end && zs->avail_in == 0 && r->zin_eof)
      return kuzat__fail_at(err, KUZAT_EIO, r->line_no, 0,
                            "%s: truncated gzip stream (after line %ld)", r->name, r->line_no);
  }
  r->rend = r->rcap - zs->avail_out;
  r->eof = r->rend == 0;
  return KUZAT_OK;
}

/* Refill the raw buffer with what the input has now (never waiting for
 * more than one read's worth). Returns KUZAT_OK (r->eof set at the end),
 * KUZAT_EIO with the reason, or KUZAT_ENOMEM. */
static int refill(kuzat_reader *r, kuzat_error *err) {
  r->rpos = r->rend = 0;
  if (r->zmode == IN_UNKNOWN) {
    int rc = detect(r, err);
    if (rc || r->zmode == IN_PLAIN) return rc;
  }
  if (r->zmode == IN_GZIP) return inflate_some(r, err);
  long k = read_some(r->fd, r->rbuf, r->rcap);
  if (k < 0) return io_error(r, err, strerror(errno));
  r->rend = (size_t)k;
  r->eof = k == 0;
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

/* Bytes of a line to keep in r->line, by format, under the limit (see
 * the file comment); SIZE_MAX without one. */
static size_t line_keep(const kuzat_reader *r) {
  size_t m = r->limit;
  if (!m) return SIZE_MAX;
  switch (r->format) {
  case KUZAT_FORMAT_TEXT:
  case KUZAT_FORMAT_LINES: return m < SIZE_MAX - 3 ? m + 3 : SIZE_MAX;
  case KUZAT_FORMAT_SRT:
  case KUZAT_FORMAT_VTT: return m < SIZE_MAX - LINE_SLACK ? m + LINE_SLACK : SIZE_MAX;
  default: /* one byte over the raw bound tells a line that exceeds it */
    return m < (SIZE_MAX - RAW_SLACK - 1) / 4 ? 4 * m + RAW_SLACK + 1 : SIZE_MAX;
  }
}

/* The raw bound of a TSV, JSONL or Whisper record; SIZE_MAX without one. */
static size_t raw_limit(const kuzat_reader *r) {
  size_t keep = line_keep(r);
  return keep == SIZE_MAX ? SIZE_MAX : keep - 1;
}

/* Read one line (without its "\n" or "\r\n") into r->line, keeping at
 * most line_keep() bytes of it; r->line_full counts them all. Returns 1, 0
 * at the end of input, or a negative status. `whole` reads everything. */
static int read_line(kuzat_reader *r, int whole, kuzat_error *err) {
  size_t keep = line_keep(r);
  r->line_len = r->line_full = 0;
  int got = 0, cr = 0;
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
    size_t room = keep - r->line_len; /* line_len <= keep always */
    if (append_line(r, p, take < room ? take : room))
      return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
    if (take) cr = p[take - 1] == '\r';
    r->line_full += take;
    got = 1;
    r->rpos += take + (nl ? 1 : 0);
    if (nl) {
      if (cr) { /* the '\r' of "\r\n" is no part of the line */
        if (r->line_len == r->line_full) r->line[--r->line_len] = '\0';
        r->line_full--;
      }
      break;
    }
  }
  if (!got) return 0;
  if (r->line_no == 0 && r->line_len >= 3 && memcmp(r->line, "\xEF\xBB\xBF", 3) == 0) {
    memmove(r->line, r->line + 3, r->line_len - 2);
    r->line_len -= 3;
    r->line_full -= 3;
  }
  r->line_no++;
  if (!r->line && append_line(r, (const unsigned char *)"", 0))
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  return 1;
}

/* Where to cut s[0..n) so that it ends with a whole UTF-8 character: n, or
 * the start of a multi-byte sequence that n splits. Invalid bytes count as
 * whole characters (the normaliser reports them, not the reader). */
static size_t utf8_cut(const char *s, size_t n) {
  size_t i = n;
  while (i > 0 && n - i < 4 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) i--;
  if (i == 0 || n - i == 4) return n; /* no lead byte in reach */
  unsigned char lead = (unsigned char)s[i - 1];
  size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  return n - (i - 1) < want ? i - 1 : n;
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
  rec->text = rec->labels = rec->lang = rec->group = "";
  rec->text_len = rec->labels_len = rec->lang_len = rec->group_len = rec->full_len = 0;
  rec->segments = NULL;
  rec->segments_len = 0;
  return KUZAT_OK;
}

/* The same at the line just read. */
static int bad_record(kuzat_reader *r, kuzat_record *rec, const char *fmt, ...)
    KZ_PRINTF(3, 4);
static int bad_record(kuzat_reader *r, kuzat_record *rec, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = bad_record_v(r, rec, r->line_no, fmt, ap);
  va_end(ap);
  return rc;
}

/* The same at a given line. */
static int bad_record_at(kuzat_reader *r, kuzat_record *rec, long line, const char *fmt, ...)
    KZ_PRINTF(4, 5);
static int bad_record_at(kuzat_reader *r, kuzat_record *rec, long line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = bad_record_v(r, rec, line, fmt, ap);
  va_end(ap);
  return rc;
}

/* A line or file over the raw bound: a bad record (the rest of it was
 * counted, not kept, by read_line()). */
static int too_long(kuzat_reader *r, kuzat_record *rec) {
  return bad_record(r, rec, "record longer than %zu bytes, more than the reader's memory limit lets it parse",
                    raw_limit(r));
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
  rec->line = r->line_no;
  rec->has_labels = r->label_col >= 0;
  if (r->line_full > raw_limit(r))
    return set_default_id(r, rec, 1) || too_long(r, rec)
               ? kuzat__fail(err, KUZAT_ENOMEM, "out of memory")
               : 1;
  tsv_row row;
  split_tabs(r->line, r->line_len, &row);
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

/* ---- transcripts: the joined text and its segments ---------------------- */

/* Start an empty transcript. */
static void tr_reset(kuzat_reader *r) {
  r->segs_len = r->t_len = r->t_full = r->t_nseg = 0;
  r->t_open = r->t_has_text = 0;
}

/* Append n bytes to the joined text, keeping no more than the limit;
 * `count` more bytes are counted without being there (read_line() left
 * them out). The open segment grows with the text. */
static int tr_put(kuzat_reader *r, const char *s, size_t n, size_t count) {
  size_t room = !r->limit ? n : r->limit > r->t_len ? r->limit - r->t_len : 0;
  size_t k = n < room ? n : room;
  if (k) {
    if (kuzat__grow(&r->a, (void **)&r->text, &r->text_cap, r->t_len + k + 1, 1))
      return KUZAT_ENOMEM;
    memcpy(r->text + r->t_len, s, k);
    r->t_len += k;
  }
  r->t_full += n + count;
  if (r->t_open) r->segs[r->segs_len - 1].len = r->t_full - r->segs[r->segs_len - 1].off;
  return KUZAT_OK;
}

/* Begin a segment: a '\n' after the previous one, then its record, kept
 * unless it starts past the limit (which bounds how many are kept). */
static int tr_segment(kuzat_reader *r, double start, double end) {
  r->t_open = r->t_has_text = 0;
  if (r->t_nseg++ && tr_put(r, "\n", 1, 0)) return KUZAT_ENOMEM;
  if (r->limit && r->t_full > r->limit) return KUZAT_OK;
  if (kuzat__grow(&r->a, (void **)&r->segs, &r->segs_cap, r->segs_len + 1, sizeof *r->segs))
    return KUZAT_ENOMEM;
  kuzat_segment *g = &r->segs[r->segs_len++];
  g->start = start;
  g->end = end;
  g->off = r->t_full;
  g->len = 0;
  r->t_open = 1;
  return KUZAT_OK;
}

/* Add a piece of the current segment's text, after a space if it has some
 * already; `count` as in tr_put(). Empty pieces add nothing. */
static int tr_text(kuzat_reader *r, const char *s, size_t n, size_t count) {
  if (!n && !count) return KUZAT_OK;
  if (r->t_has_text && tr_put(r, " ", 1, 0)) return KUZAT_ENOMEM;
  r->t_has_text = 1;
  return tr_put(r, s, n, count);
}

/* The transcript into the record: the text cut at the limit, the segments
 * past the cut dropped and the one straddling it shortened. */
static int tr_finish(kuzat_reader *r, kuzat_record *rec) {
  if (kuzat__grow(&r->a, (void **)&r->text, &r->text_cap, r->t_len + 1, 1))
    return KUZAT_ENOMEM;
  size_t cut = r->t_full > r->t_len ? utf8_cut(r->text, r->t_len) : r->t_len;
  size_t n = 0;
  for (; n < r->segs_len; n++) {
    kuzat_segment *g = &r->segs[n];
    if (g->off > cut || (g->off == cut && g->len > 0)) break;
    if (g->len > cut - g->off) g->len = cut - g->off;
  }
  r->text[cut] = '\0';
  rec->text = r->text;
  rec->text_len = cut;
  rec->full_len = r->t_full;
  rec->segments = n ? r->segs : NULL;
  rec->segments_len = n;
  return KUZAT_OK;
}

/* ---- timestamps --------------------------------------------------------- */

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* A clock time "[[H:]MM:]SS[.f]" at the start of s[0..n) (see the file
 * comment) with at least `min_fields` fields; its value in seconds in
 * *out. Returns the bytes it took, 0 when there is none. Computed in whole
 * units of the fraction's last digit, then divided once, so that
 * "01:02:03,450" is exactly the double nearest 3723.45. */
static size_t parse_clock(const char *s, size_t n, int min_fields, double *out) {
  long long secs = 0, frac = 0, scale = 1;
  size_t i = 0;
  int fields = 0;
  for (;;) {
    size_t d0 = i;
    long long v = 0;
    while (i < n && is_digit(s[i]) && i - d0 < 6) v = v * 10 + (s[i++] - '0');
    size_t nd = i - d0;
    if (nd == 0 || (i < n && is_digit(s[i]))) return 0;
    if (fields > 0 && (nd != 2 || v >= 60)) return 0;
    secs = secs * 60 + v;
    if (++fields < 3 && i + 1 < n && s[i] == ':' && is_digit(s[i + 1])) {
      i++;
      continue;
    }
    break;
  }
  if (fields < min_fields) return 0;
  if (i < n && (s[i] == '.' || s[i] == ',')) {
    size_t f0 = ++i;
    while (i < n && is_digit(s[i]) && i - f0 < 9) {
      frac = frac * 10 + (s[i++] - '0');
      scale *= 10;
    }
    if (i == f0 || (i < n && is_digit(s[i]))) return 0;
  }
  *out = (double)(secs * scale + frac) / (double)scale;
  return i;
}

static size_t skip_blanks(const char *s, size_t i, size_t n) {
  while (i < n && is_blank(s[i])) i++;
  return i;
}

/* A timing line "start --> end[ anything]"; 1 when it is one. */
static int parse_timing(const char *s, size_t n, double *start, double *end) {
  size_t i = skip_blanks(s, 0, n), k;
  if (!(k = parse_clock(s + i, n - i, 2, start))) return 0;
  i = skip_blanks(s, i + k, n);
  if (n - i < 3 || memcmp(s + i, "-->", 3) != 0) return 0;
  i = skip_blanks(s, i + 3, n);
  if (!(k = parse_clock(s + i, n - i, 2, end))) return 0;
  i += k;
  return i == n || is_blank(s[i]);
}

/* ---- segments from JSON (Whisper, JSONL) -------------------------------- */

/* Field `name` of segment `i` as seconds into *out; a number, or with
 * `strings` also a timestamp string. Otherwise the record is made bad. */
static int json_time(kuzat_reader *r, kuzat_record *rec, long line, const json_t *seg,
                     size_t i, const char *name, int strings, double *out) {
  const json_t *v = json_object_get(seg, name);
  const char *want = strings ? "a number or a timestamp string" : "a number";
  if (!v) return bad_record_at(r, rec, line, "segments[%zu] has no \"%s\"", i, name);
  if (json_is_number(v)) {
    *out = json_number_value(v);
  } else if (strings && json_is_string(v)) {
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (parse_clock(s, n, 1, out) != n || n == 0)
      return bad_record_at(r, rec, line,
                           "segments[%zu]: malformed timestamp \"%.40s\" in \"%s\" "
                           "(expected seconds or [HH:]MM:SS.mmm)",
                           i, s, name);
  } else {
    return bad_record_at(r, rec, line, "segments[%zu]: \"%s\" is %s, expected %s", i, name,
                         json_kind(v), want);
  }
  if (*out < 0)
    return bad_record_at(r, rec, line, "segments[%zu]: \"%s\" is negative", i, name);
  return KUZAT_OK;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* One segment object of a JSON "segments" array into the transcript. */
static int json_segment(kuzat_reader *r, kuzat_record *rec, long line, const json_t *seg,
                        size_t i, int strings) {
  if (!json_is_object(seg))
    return bad_record_at(r, rec, line, "segments[%zu] is %s, expected an object", i,
                         json_kind(seg));
  double start = 0, end = 0;
  if (json_time(r, rec, line, seg, i, "start", strings, &start) || rec->error ||
      json_time(r, rec, line, seg, i, "end", strings, &end) || rec->error)
    return rec->error ? KUZAT_OK : KUZAT_ENOMEM;
  const json_t *text = json_object_get(seg, "text");
  if (!text) return bad_record_at(r, rec, line, "segments[%zu] has no \"text\"", i);
  if (!json_is_string(text))
    return bad_record_at(r, rec, line, "segments[%zu]: \"text\" is %s, expected a string", i,
                         json_kind(text));
  if (end < start)
    return bad_record_at(r, rec, line, "segments[%zu]: cue ends before it starts", i);
  const char *s = json_string_value(text), *e = s + json_string_length(text);
  while (s < e && is_space(*s)) s++;
  while (e > s && is_space(e[-1])) e--;
  if (tr_segment(r, start, end) || tr_text(r, s, (size_t)(e - s), 0)) return KUZAT_ENOMEM;
  return KUZAT_OK;
}

/* A "segments" array (of a JSONL line, or of a Whisper file when `strings`
 * is 0) into the record's text and segments. */
static int json_segments(kuzat_reader *r, kuzat_record *rec, const json_t *segs, int strings) {
  long line = strings ? r->line_no : 1;
  if (!json_is_array(segs))
    return bad_record_at(r, rec, line, "\"segments\" is %s, expected an array",
                         json_kind(segs));
  tr_reset(r);
  for (size_t i = 0; i < json_array_size(segs); i++) {
    if (json_segment(r, rec, line, json_array_get(segs, i), i, strings)) return KUZAT_ENOMEM;
    if (rec->error) return KUZAT_OK;
  }
  return tr_finish(r, rec);
}

static int next_jsonl(kuzat_reader *r, kuzat_record *rec, kuzat_error *err) {
  int rc;
  do {
    if ((rc = read_line(r, 0, err)) <= 0) return rc;
  } while (r->line_len == 0 || strspn(r->line, " \t") == r->line_len);
  rec->line = r->line_no;
  if (set_default_id(r, rec, 1)) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  if (r->line_full > raw_limit(r))
    return too_long(r, rec) ? kuzat__fail(err, KUZAT_ENOMEM, "out of memory") : 1;
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
    json_t *segs = json_object_get(r->json, "segments");
    if (!oom) oom = segs ? json_segments(r, rec, segs, 1) : json_text(r, rec);
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
  rec->full_len = r->line_full - (size_t)(text - r->line); /* past what was kept */
  store_labels(r, rec);
  return 1;
}

/* ---- subtitles: SRT and WebVTT ------------------------------------------ */

static const char *find_arrow(const char *s, size_t n) {
  for (size_t i = 0; i + 3 <= n; i++)
    if (s[i] == '-' && s[i + 1] == '-' && s[i + 2] == '>') return s + i;
  return NULL;
}

static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* s[0..n) consists of digits only (a cue number). */
static int all_digits(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!is_digit(s[i])) return 0;
  return n > 0;
}

/* The line is `word` alone or followed by a space or tab (WEBVTT, NOTE). */
static int starts_word(const char *s, size_t n, const char *word) {
  size_t k = strlen(word);
  return n >= k && memcmp(s, word, k) == 0 && (n == k || is_blank(s[k]));
}

static size_t put_utf8(char *out, unsigned long cp) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* A numeric character reference "#N;" or "#xH;" at s[0..n) (after the
 * '&'): the code point, or 0 when there is none or it is not a scalar
 * value; *used the bytes up to and including ';'. */
static unsigned long numeric_ref(const char *s, size_t n, size_t *used) {
  int hex = n > 1 && (s[1] == 'x' || s[1] == 'X');
  size_t i = hex ? 2 : 1, d0 = i;
  unsigned long cp = 0;
  if (n < 2 || s[0] != '#') return 0;
  for (; i < n && i - d0 < 7; i++) {
    int d = is_digit(s[i]) ? s[i] - '0'
            : hex && s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
            : hex && s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 10
                                                : -1;
    if (d < 0) break;
    cp = cp * (hex ? 16u : 10u) + (unsigned long)d;
  }
  if (i == d0 || i >= n || s[i] != ';') return 0;
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  *used = i + 1;
  return cp;
}

/* A WebVTT character reference at s[0..n) (s[0] is '&'): its UTF-8 bytes
 * in out (at most 4), their count, and *used the bytes it took; 0 when
 * there is none (the '&' is text). Every reference is longer than its
 * UTF-8, so decoding in place never overtakes the reading. */
static size_t decode_entity(const char *s, size_t n, char *out, size_t *used) {
  static const struct {
    const char *name;
    unsigned long cp;
  } names[] = {{"amp;", '&'},     {"lt;", '<'},       {"gt;", '>'},     {"quot;", '"'},
               {"apos;", '\''},   {"nbsp;", 0xA0},    {"lrm;", 0x200E}, {"rlm;", 0x200F}};
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
    size_t len = strlen(names[k].name);
    if (n - 1 >= len && memcmp(s + 1, names[k].name, len) == 0) {
      *used = len + 1;
      return put_utf8(out, names[k].cp);
    }
  }
  size_t u = 0;
  unsigned long cp = numeric_ref(s + 1, n - 1, &u);
  if (!cp) return 0;
  *used = u + 1;
  return put_utf8(out, cp);
}

/* Remove markup from a cue's text line s[0..n) in place (see the file
 * comment for what counts as markup in each format); the new length. */
static size_t clean_cue(char *s, size_t n, int vtt) {
  size_t o = 0, i = 0;
  while (i < n) {
    char c = s[i];
    if (c == '<' && (vtt || (i + 1 < n && (s[i + 1] == '/' || is_alpha(s[i + 1]))))) {
      const char *gt = memchr(s + i, '>', n - i);
      if (gt || vtt) { /* an unclosed WebVTT tag runs to the end of the line */
        i = gt ? (size_t)(gt - s) + 1 : n;
        continue;
      }
    } else if (c == '{' && !vtt && i + 1 < n && s[i + 1] == '\\') {
      const char *cb = memchr(s + i, '}', n - i);
      if (cb) {
        i = (size_t)(cb - s) + 1;
        continue;
      }
    } else if (c == '&' && vtt) {
      char tmp[4];
      size_t used = 0, k = decode_entity(s + i, n - i, tmp, &used);
      if (k) {
        memcpy(s + o, tmp, k);
        o += k;
        i += used;
        continue;
      }
    }
    s[o++] = s[i++];
  }
  return o;
}

/* A cue text line (r->line) into the current segment, cleaned and trimmed;
 * bytes read_line() left out are counted as they are. */
static int cue_text(kuzat_reader *r, int vtt) {
  size_t n = clean_cue(r->line, r->line_len, vtt), b = 0;
  while (b < n && is_blank(r->line[b])) b++;
  while (n > b && is_blank(r->line[n - 1])) n--;
  return tr_text(r, r->line + b, n - b, r->line_full - r->line_len);
}

/* The timing line r->line[0..n) begins a cue; otherwise the record is
 * made bad. */
static int cue_timing(kuzat_reader *r, kuzat_record *rec, size_t n, int vtt) {
  double start, end;
  if (!parse_timing(r->line, n, &start, &end))
    return bad_record(r, rec, "malformed timestamp in \"%.60s\" (expected %s)", r->line,
                      vtt ? "[HH:]MM:SS.mmm --> [HH:]MM:SS.mmm"
                          : "HH:MM:SS,mmm --> HH:MM:SS,mmm");
  if (end < start) return bad_record(r, rec, "cue ends before it starts");
  return tr_segment(r, start, end);
}

/* The line just read without trailing spaces, tabs and '\r'. */
static size_t trimmed_len(const kuzat_reader *r) {
  size_t n = r->line_len;
  while (n > 0 && (is_blank(r->line[n - 1]) || r->line[n - 1] == '\r')) n--;
  return n;
}

enum { SUB_BETWEEN, SUB_NUMBER, SUB_TEXT, SUB_SKIP, SUB_ID };

/* SRT, a line at a time; a small state machine (see the file comment). */
static int srt_line(kuzat_reader *r, kuzat_record *rec, int *state) {
  size_t n = trimmed_len(r);
  if (n == 0) {
    if (*state == SUB_NUMBER)
      return bad_record(r, rec, "expected a timing line after the cue number");
    *state = SUB_BETWEEN;
    return KUZAT_OK;
  }
  if (*state == SUB_TEXT) return cue_text(r, 0);
  if (find_arrow(r->line, n)) {
    *state = SUB_TEXT;
    return cue_timing(r, rec, n, 0);
  }
  if (*state == SUB_NUMBER)
    return bad_record(r, rec, "expected a timing line after the cue number");
  if (all_digits(r->line, n)) {
    *state = SUB_NUMBER;
    return KUZAT_OK;
  }
  if (!r->t_nseg) return bad_record(r, rec, "expected a cue number or a timing line");
  *state = SUB_TEXT; /* text after a blank line continues the last cue */
  return cue_text(r, 0);
}

/* WebVTT after its first line, a line at a time. */
static int vtt_line(kuzat_reader *r, kuzat_record *rec, int *state) {
  size_t n = trimmed_len(r);
  if (n == 0) {
    *state = SUB_BETWEEN;
    return KUZAT_OK;
  }
  int arrow = find_arrow(r->line, n) != NULL;
  switch (*state) {
  case SUB_SKIP: return KUZAT_OK;
  case SUB_TEXT:
    if (!arrow) return cue_text(r, 1);
    break;
  case SUB_BETWEEN:
    if (starts_word(r->line, n, "NOTE") || starts_word(r->line, n, "STYLE") ||
        starts_word(r->line, n, "REGION")) {
      *state = SUB_SKIP;
      return KUZAT_OK;
    }
    if (!arrow) *state = SUB_ID; /* a cue identifier */
    if (!arrow) return KUZAT_OK;
    break;
  default: /* SUB_ID: a block whose second line is no timing line is no cue */
    if (!arrow) *state = SUB_SKIP;
    if (!arrow) return KUZAT_OK;
  }
  *state = SUB_TEXT;
  return cue_timing(r, rec, n, 1);
}

/* A whole SRT or WebVTT file as one transcript record. */
static int next_subtitles(kuzat_reader *r, kuzat_record *rec, kuzat_error *err) {
  int vtt = r->format == KUZAT_FORMAT_VTT, state = SUB_BETWEEN, rc;
  r->done = 1;
  rec->line = 1;
  tr_reset(r);
  if (set_default_id(r, rec, 0)) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  if (vtt) {
    if ((rc = read_line(r, 0, err)) < 0) return rc;
    if (rc == 0 || !starts_word(r->line, trimmed_len(r), "WEBVTT"))
      return bad_record_at(r, rec, 1, "not a WebVTT file: it does not start with \"WEBVTT\"")
                 ? kuzat__fail(err, KUZAT_ENOMEM, "out of memory")
                 : 1;
    state = SUB_SKIP; /* the header block */
  }
  while ((rc = read_line(r, 0, err)) > 0) {
    if ((vtt ? vtt_line(r, rec, &state) : srt_line(r, rec, &state)))
      return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
    if (rec->error) return 1;
  }
  if (rc < 0) return rc;
  return tr_finish(r, rec) ? kuzat__fail(err, KUZAT_ENOMEM, "out of memory") : 1;
}

/* A Whisper JSON file as one transcript record. */
static int next_whisper(kuzat_reader *r, kuzat_record *rec, kuzat_error *err) {
  int rc;
  r->done = 1;
  rec->line = 1;
  if (set_default_id(r, rec, 0)) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  if ((rc = read_line(r, 1, err)) < 0) return rc;
  int oom;
  json_error_t je;
  if (r->line_full > raw_limit(r)) {
    oom = too_long(r, rec);
  } else if (!(r->json = json_loadb(r->line ? r->line : "", r->line_len, JSON_ALLOW_NUL, &je))) {
    oom = bad_record_at(r, rec, je.line > 0 ? je.line : 1, "column %d: invalid JSON: %s",
                        je.column, je.text);
  } else if (!json_is_object(r->json)) {
    oom = bad_record_at(r, rec, 1, "expected a JSON object, found %s", json_kind(r->json));
  } else if (!json_object_get(r->json, "segments")) {
    oom = bad_record_at(r, rec, 1, "the object has no \"segments\" field");
  } else {
    oom = json_segments(r, rec, json_object_get(r->json, "segments"), 0);
  }
  return oom ? kuzat__fail(err, KUZAT_ENOMEM, "out of memory") : 1;
}

/* Every record's text within the limit, and full_len set. Transcripts
 * and error records are within it already. */
static void cut_text(const kuzat_reader *r, kuzat_record *rec) {
  if (rec->full_len < rec->text_len) rec->full_len = rec->text_len;
  if (r->limit && rec->text_len > r->limit) rec->text_len = utf8_cut(rec->text, r->limit);
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
    rec->full_len = r->line_full;
    rc = 1;
    break;
  case KUZAT_FORMAT_LINES:
    if ((rc = read_line(r, 0, err)) <= 0) return rc;
    rec->line = r->line_no;
    if (set_default_id(r, rec, 1)) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
    rec->text = r->line;
    rec->text_len = r->line_len;
    rec->full_len = r->line_full;
    break;
  case KUZAT_FORMAT_TSV: rc = next_tsv(r, rec, err); break;
  case KUZAT_FORMAT_FASTTEXT: rc = next_fasttext(r, rec, err); break;
  case KUZAT_FORMAT_SRT:
  case KUZAT_FORMAT_VTT: rc = next_subtitles(r, rec, err); break;
  case KUZAT_FORMAT_WHISPER: rc = next_whisper(r, rec, err); break;
  default: rc = next_jsonl(r, rec, err); break;
  }
  if (rc == 1) cut_text(r, rec);
  return rc;
}
