/*
 * read_input.c -- bytes to lines, for the parsers: read(2) on the file or
 * standard input, gzip by its magic bytes through zlib's inflate(), and
 * one line at a time within the reader's limit (docs/FORMATS.md, "Input"
 * and "The limit"). read(2) rather than gzread(), because gzread() waits
 * until its whole buffer is full: on a pipe a record must come out as soon
 * as its line has arrived.
 */
#include "reader.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

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
  r->zbuf = kuzat__malloc(&r->a, KZ_RBUF_SIZE);
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
      long k = read_some(r->fd, r->zbuf, KZ_RBUF_SIZE);
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

/* Bytes of a line to keep in r->line under the limit, by the format's
 * KZ_KEEP_*; SIZE_MAX without a limit. */
static size_t line_keep(const kuzat_reader *r) {
  size_t m = r->limit;
  if (!m) return SIZE_MAX;
  switch (r->keep) {
  case KZ_KEEP_TEXT: return m < SIZE_MAX - 3 ? m + 3 : SIZE_MAX; /* 3: a BOM */
  case KZ_KEEP_LINE: return m < SIZE_MAX - LINE_SLACK ? m + LINE_SLACK : SIZE_MAX;
  default: /* one byte over the raw bound tells a line that exceeds it */
    return m < (SIZE_MAX - RAW_SLACK - 1) / 4 ? 4 * m + RAW_SLACK + 1 : SIZE_MAX;
  }
}

size_t kuzat__raw_limit(const kuzat_reader *r) {
  size_t keep = line_keep(r);
  return keep == SIZE_MAX ? SIZE_MAX : keep - 1;
}

/* Read one line into r->line, keeping at most line_keep() bytes of it
 * (reader.h); a BOM at the start of the input is dropped. */
int kuzat__read_line(kuzat_reader *r, int whole, kuzat_error *err) {
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
