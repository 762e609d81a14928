/*
 * read_input.c -- bytes to lines, for the parsers: read(2) on the file or
 * standard input, gzip by its magic bytes through zlib's inflate(), what
 * the first bytes are (read_detect.c: not text, a byte-order mark, UTF-8
 * or a legacy code page), conversion to UTF-8 through ICU, and one line
 * at a time within the reader's limit (docs/FORMATS.md, "Input" and "The
 * limit"). read(2) rather than gzread(), because gzread() waits
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
static long read_some(kuzat_reader *r, unsigned char *buf, size_t n) {
  for (;;) {
    ssize_t k = read(r->fd, buf, n);
    if (k > 0) r->bytes_in += (unsigned long long)k;
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
static int detect_gzip(kuzat_reader *r, kuzat_error *err) {
  size_t have = 0;
  while (have < 2) {
    long k = read_some(r, r->rbuf + have, r->rcap - have);
    if (k < 0) return io_error(r, err, strerror(errno));
    if (k == 0) break;
    have += (size_t)k;
    if (r->rbuf[0] != 0x1f) break;
  }
  r->rend = have;
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

/* Inflate into buf[0..cap) whatever the compressed bytes at hand give,
 * reading more only while they give nothing; *got 0 at the end. */
static int inflate_into(kuzat_reader *r, unsigned char *buf, size_t cap, size_t *got,
                        kuzat_error *err) {
  z_stream *zs = &r->zs;
  zs->next_out = buf;
  zs->avail_out = (uInt)cap;
  for (;;) {
    if (zs->avail_in == 0 && !r->zin_eof) {
      long k = read_some(r, r->zbuf, KZ_RBUF_SIZE);
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
    if (zs->avail_out < cap) break;
    if (!r->zmember_end && zs->avail_in == 0 && r->zin_eof)
      return kuzat__fail_at(err, KUZAT_EIO, r->line_no, 0,
                            "%s: truncated gzip stream (after line %ld)", r->name, r->line_no);
  }
  *got = cap - zs->avail_out;
  return KUZAT_OK;
}

/* The input's bytes (inflated when gzip) into buf[0..cap): what it has
 * now, never waiting for more than one read's worth; *got 0 at the end. */
static int source_some(kuzat_reader *r, unsigned char *buf, size_t cap, size_t *got,
                       kuzat_error *err) {
  if (r->zmode == IN_GZIP) return inflate_into(r, buf, cap, got, err);
  long k = read_some(r, buf, cap);
  if (k < 0) return io_error(r, err, strerror(errno));
  *got = (size_t)k;
  return KUZAT_OK;
}

/* ---- conversion to UTF-8 ---------------------------------------------------- */

/* Convert raw bytes (xbuf, refilled from the input) into rbuf through
 * ICU: r->conv to UTF-16 in the pivot, r->u8 from there to UTF-8. Ill-formed
 * input becomes U+FFFD (ICU's default callbacks). */
static int convert_some(kuzat_reader *r, kuzat_error *err) {
  for (;;) {
    if (r->xpos == r->xend && !r->src_eof) {
      size_t got;
      int rc = source_some(r, r->xbuf, KZ_RBUF_SIZE, &got, err);
      if (rc) return rc;
      r->xpos = 0;
      r->xend = got;
      r->src_eof = got == 0;
    }
    char *t = (char *)r->rbuf;
    const char *s = (const char *)r->xbuf + r->xpos;
    UErrorCode e = U_ZERO_ERROR;
    ucnv_convertEx(r->u8, r->conv, &t, (char *)r->rbuf + r->rcap, &s,
                   (const char *)r->xbuf + r->xend, r->pivot, &r->pv_src, &r->pv_tgt,
                   r->pivot + KZ_PIVOT, 0, (UBool)r->src_eof, &e);
    r->xpos = (size_t)(s - (const char *)r->xbuf);
    r->rend = (size_t)(t - (char *)r->rbuf);
    if (e == U_BUFFER_OVERFLOW_ERROR) return KUZAT_OK; /* rbuf is full */
    if (e == U_MEMORY_ALLOCATION_ERROR) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
    if (U_FAILURE(e))
      return kuzat__fail_at(err, KUZAT_EICU, r->line_no, 0, "%s: converting from %s (after line "
                            "%ld): %s", r->name, r->encoding, r->line_no, u_errorName(e));
    if (r->rend) return KUZAT_OK;
    if (r->src_eof) {
      r->eof = 1;
      return KUZAT_OK;
    }
  }
}

/* From now on, convert: the converter (r->conv, or one for `name`), and
 * the bytes at hand in rbuf, which have not been read yet, first. */
static int start_conversion(kuzat_reader *r, const char *name, kuzat_error *err) {
  int rc;
  if (!r->conv && (rc = kuzat__converter_open(name, &r->conv, &r->encoding, err))) return rc;
  if (!r->u8 && (rc = kuzat__converter_open("UTF-8", &r->u8, &name, err))) return rc;
  if (!r->xbuf && !(r->xbuf = kuzat__malloc(&r->a, KZ_RBUF_SIZE)))
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  r->charset = KZ_CS_CONVERT;
  r->pv_src = r->pv_tgt = r->pivot;
  memcpy(r->xbuf, r->rbuf + r->rpos, r->rend - r->rpos);
  r->xpos = 0;
  r->xend = r->rend - r->rpos;
  r->rpos = r->rend = 0;
  r->src_eof = r->eof;
  r->eof = 0;
  return convert_some(r, err);
}

/* A stream with no mark and no named encoding, at a chunk in rbuf: UTF-8
 * once it has other bytes than ASCII and they are UTF-8; a legacy code
 * page when they are not and ICU's detector is confident; otherwise it is
 * read as it is (U+FFFD later), and the next chunks are given a chance. */
#define KZ_DETECT_TRIES 8

static int decide_charset(kuzat_reader *r, kuzat_error *err) {
  int v = kuzat__utf8_verdict(r->rbuf + r->rpos, r->rend - r->rpos);
  if (v == KZ_ASCII) return KUZAT_OK;
  if (v == KZ_UTF8) {
    r->charset = KZ_CS_UTF8;
    return KUZAT_OK;
  }
  const char *cp;
  if (kuzat__detect_legacy(&r->a, r->rbuf + r->rpos, r->rend - r->rpos, &cp))
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  if (cp) return start_conversion(r, cp, err);
  if (++r->detect_tries >= KZ_DETECT_TRIES) r->charset = KZ_CS_UTF8;
  return KUZAT_OK;
}

/* The input's first bytes: gzip or not; then, inflated, what they are:
 * not text, a byte-order mark, or text to be read as UTF-8 or in another
 * encoding (read_detect.c). */
static int first_chunk(kuzat_reader *r, kuzat_error *err) {
  int rc = detect_gzip(r, err);
  if (!rc && r->zmode == IN_GZIP) rc = source_some(r, r->rbuf, r->rcap, &r->rend, err);
  /* a few more bytes when those at hand may begin a signature or a mark */
  while (!rc && r->rend && kuzat__sniff_wants_more(r->rbuf, r->rend)) {
    size_t got;
    if ((rc = source_some(r, r->rbuf + r->rend, r->rcap - r->rend, &got, err)) || !got) break;
    r->rend += got;
  }
  if (rc) return rc;
  r->sniffed = 1;
  r->eof = r->rend == 0;
  if (r->flags & KUZAT_READ_RAW) {
    r->charset = KZ_CS_UTF8;
    return KUZAT_OK;
  }
  /* a mark, unless the caller named the encoding (then, as with a mark,
   * only signatures tell binary data from text in it) */
  const char *bom =
      !r->conv && r->charset == KZ_CS_UNDECIDED ? kuzat__bom_encoding(r->rbuf, r->rend) : NULL;
  if (kuzat__not_text(r->rbuf, r->rend, !r->conv && !bom, r->not_text_buf,
                      sizeof r->not_text_buf)) {
    r->not_text = r->not_text_buf;
    return KUZAT_OK;
  }
  if (r->conv || bom) return start_conversion(r, bom, err);
  return r->charset == KZ_CS_UNDECIDED ? decide_charset(r, err) : KUZAT_OK;
}

/* Refill the raw buffer with what the input has now (never waiting for
 * more than one read's worth). Returns KUZAT_OK (r->eof set at the end),
 * KUZAT_EIO with the reason, KUZAT_EICU or KUZAT_ENOMEM. */
static int refill(kuzat_reader *r, kuzat_error *err) {
  r->rpos = r->rend = 0;
  if (!r->sniffed) return first_chunk(r, err);
  if (r->charset == KZ_CS_CONVERT) return convert_some(r, err);
  int rc = source_some(r, r->rbuf, r->rcap, &r->rend, err);
  if (rc) return rc;
  r->eof = r->rend == 0;
  return r->charset == KZ_CS_UNDECIDED && r->rend ? decide_charset(r, err) : KUZAT_OK;
}

int kuzat__input_start(kuzat_reader *r, kuzat_error *err) {
  return r->sniffed ? KUZAT_OK : refill(r, err);
}

void kuzat__input_close(kuzat_reader *r) {
  ucnv_close(r->conv);
  ucnv_close(r->u8);
  r->conv = r->u8 = NULL;
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
  if (r->held) { /* the line the format was told by, still to be parsed */
    r->held = 0;
    return 1;
  }
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
