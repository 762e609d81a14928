/*
 * container.c -- gzip in and out, whole-file reads and atomic writes, for
 * the library's own files, models and indexes alike (see container.h),
 * naming the kind of file in messages so that both are refused in the
 * same words.
 */
#define _GNU_SOURCE /* O_TMPFILE, where the system has it */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* ---- little-endian fields ---- */

void kuzat__put(kz_wbuf *b, const void *src, size_t n) {
  if (b->failed) return;
  if (kuzat__grow(b->a, (void **)&b->p, &b->cap, b->len + n, 1)) {
    b->failed = 1;
    return;
  }
  memcpy(b->p + b->len, src, n);
  b->len += n;
}

unsigned char *kuzat__put_space(kz_wbuf *b, size_t n) {
  if (b->failed) return NULL;
  if (kuzat__grow(b->a, (void **)&b->p, &b->cap, b->len + n, 1)) {
    b->failed = 1;
    return NULL;
  }
  b->len += n;
  return b->p + b->len - n;
}

void kuzat__put_u16(kz_wbuf *b, uint16_t v) {
  unsigned char x[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
  kuzat__put(b, x, 2);
}

void kuzat__put_u32(kz_wbuf *b, uint32_t v) {
  unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                        (unsigned char)(v >> 24)};
  kuzat__put(b, x, 4);
}

void kuzat__put_u64(kz_wbuf *b, uint64_t v) {
  kuzat__put_u32(b, (uint32_t)v);
  kuzat__put_u32(b, (uint32_t)(v >> 32));
}

void kuzat__put_f64(kz_wbuf *b, double d) {
  uint64_t v;
  memcpy(&v, &d, 8);
  kuzat__put_u64(b, v);
}

/* ---- gzip ---- */

/* Blocks of this many bytes are compressed or stored, each by its own
 * measure (below). */
#define GZ_BLOCK ((size_t)64 << 10)

/* Whether deflate would do little for `n` bytes: their order-0 entropy
 * over 7.5 bits a byte, so Huffman coding saves under about 6%. Such bytes
 * (the low bytes of a model's weights, laid out by significance) are
 * stored: inflating them is a copy, where decoding them as literals is the
 * slowest thing inflate does, and they are loaded far more often than
 * written. */
static int incompressible(const unsigned char *p, size_t n) {
  size_t h[256] = {0};
  for (size_t i = 0; i < n; i++) h[p[i]]++;
  double bits = 0;
  for (int c = 0; c < 256; c++)
    if (h[c]) bits -= (double)h[c] * log2((double)h[c] / (double)n);
  return bits > 7.5 * (double)n;
}

int kuzat__gz_deflate(const kz_alloc *a, const unsigned char *src, size_t n,
                      unsigned char **out, size_t *out_len) {
  z_stream z;
  memset(&z, 0, sizeof z);
  if (n > KZ_CONTAINER_MAX || deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return KUZAT_ENOMEM;
  /* stored blocks and the switches between levels cost a few bytes a block
   * beyond zlib's bound for level 6 */
  size_t cap = deflateBound(&z, (uLong)n) + (n / GZ_BLOCK + 2) * 32;
  unsigned char *dst = kuzat__malloc(a, cap);
  if (!dst) {
    deflateEnd(&z);
    return KUZAT_ENOMEM;
  }
  z.next_out = dst;
  z.avail_out = (uInt)cap;
  int zr = Z_OK, level = 6;
  for (size_t at = 0; zr == Z_OK && at < n; at += GZ_BLOCK) {
    size_t len = n - at < GZ_BLOCK ? n - at : GZ_BLOCK;
    int want = incompressible(src + at, len) ? 0 : 6;
    if (want != level && (zr = deflateParams(&z, want, Z_DEFAULT_STRATEGY)) != Z_OK) break;
    level = want;
    z.next_in = (Bytef *)(uintptr_t)(src + at);
    z.avail_in = (uInt)len;
    zr = deflate(&z, Z_NO_FLUSH);
    if (zr == Z_OK && z.avail_in) zr = Z_BUF_ERROR;
  }
  if (zr == Z_OK) zr = deflate(&z, Z_FINISH);
  *out_len = cap - z.avail_out;
  deflateEnd(&z);
  if (zr != Z_STREAM_END) {
    kuzat__free(a, dst);
    return KUZAT_ENOMEM;
  }
  *out = dst;
  return KUZAT_OK;
}

/* The common case, fast: a member with zlib's plain header (no optional
 * fields, as every writer of ours makes) inflated by libdeflate, about 2.5
 * times as fast as zlib on a model (its Huffman decoding, and a CRC-32
 * with carry-less multiplication), into a buffer of the size the trailer
 * gives. 0 with the content, its CRC-32 checked against the trailer;
 * KUZAT_ENOMEM; 1 for anything else (another header, a size or CRC-32 that
 * disagrees, damage, bytes after the member), which zlib then inflates or
 * names. */
static int inflate_plain(const kz_alloc *a, const unsigned char *src, size_t n,
                         unsigned char **out, size_t *out_len, uint32_t *crc) {
  if (src[2] != 8 || src[3] != 0) return 1; /* deflate, no FEXTRA/FNAME/FCOMMENT/FHCRC */
  const size_t isize = kuzat__get_u32(src + n - 4);
  if (isize > KZ_CONTAINER_MAX || isize / 1032 > n) return 1; /* deflate's largest ratio */
  unsigned char *dst = kuzat__malloc_huge(a, isize ? isize : 1); /* as the rows (status.c) */
  struct libdeflate_decompressor *d = dst ? libdeflate_alloc_decompressor() : NULL;
  if (!d) {
    kuzat__free(a, dst);
    return KUZAT_ENOMEM;
  }
  size_t used = 0, got = 0;
  int ok = libdeflate_deflate_decompress_ex(d, src + 10, n - 18, dst, isize, &used, &got) ==
           LIBDEFLATE_SUCCESS;
  libdeflate_free_decompressor(d);
  const uint32_t check = ok ? libdeflate_crc32(0, dst, got) : 0;
  if (!ok || used != n - 18 || got != isize || check != kuzat__get_u32(src + n - 8)) {
    kuzat__free(a, dst);
    return 1;
  }
  *out = dst;
  *out_len = got;
  *crc = check;
  return 0;
}

int kuzat__gz_inflate(const kz_alloc *a, const unsigned char *src, size_t n,
                      const char *what, unsigned char **out, size_t *out_len,
                      uint32_t *crc, kuzat_error *err) {
  if (n < 18 || src[0] != 0x1F || src[1] != 0x8B)
    return kuzat__fail(err, KUZAT_EFORMAT, "not a kuzat %s (not gzip-compressed)", what);
  const int fast = inflate_plain(a, src, n, out, out_len, crc);
  if (fast == KUZAT_ENOMEM) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  if (fast == 0) return KUZAT_OK;
  z_stream z;
  memset(&z, 0, sizeof z);
  if (inflateInit2(&z, 15 + 16) != Z_OK) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  size_t cap = n * 4 + 1024, len = 0;
  unsigned char *dst = NULL;
  int zr = Z_OK, rc = KUZAT_OK;
  z.next_in = (Bytef *)(uintptr_t)src;
  z.avail_in = (uInt)n;
  while (zr != Z_STREAM_END) {
    if (len == cap || !dst) {
      if (cap > KZ_CONTAINER_MAX) {
        rc = kuzat__fail(err, KUZAT_EFORMAT, "%s larger than %zu bytes uncompressed", what,
                         KZ_CONTAINER_MAX);
        break;
      }
      size_t ncap = dst ? cap * 2 : cap;
      unsigned char *p = a->realloc(a->ud, dst, ncap);
      if (!p) {
        rc = kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
        break;
      }
      dst = p;
      cap = ncap;
      kuzat__huge_pages(dst + len, cap - len); /* as for the rows (status.c) */
    }
    z.next_out = dst + len;
    z.avail_out = (uInt)(cap - len);
    zr = inflate(&z, Z_NO_FLUSH);
    len = cap - z.avail_out;
    if (zr == Z_BUF_ERROR && z.avail_in == 0) {
      rc = kuzat__fail(err, KUZAT_EFORMAT, "%s truncated: the gzip stream ends early", what);
      break;
    }
    if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
      rc = kuzat__fail(err, KUZAT_EFORMAT, "%s damaged: gzip: %s", what,
                       z.msg ? z.msg : "inflate error");
      break;
    }
  }
  if (!rc && z.avail_in != 0)
    rc = kuzat__fail(err, KUZAT_EFORMAT, "%s damaged: %u bytes after the gzip stream", what,
                     z.avail_in);
  const uint32_t check = (uint32_t)z.adler; /* a gzip stream's running CRC-32, as zlib checked it */
  inflateEnd(&z);
  if (rc) {
    kuzat__free(a, dst);
    return rc;
  }
  *out = dst;
  *out_len = len;
  *crc = check;
  return KUZAT_OK;
}

int kuzat__crc_trailer_ok(const unsigned char *p, size_t n, uint32_t whole, uint32_t *computed) {
  const uint32_t stored = kuzat__get_u32(p + n - 4);
  if ((uint32_t)crc32(stored, p + n - 4, 4) == whole) return 1;
  *computed = (uint32_t)crc32(0L, p, (uInt)(n - 4));
  return 0;
}

/* ---- files ---- */

int kuzat__read_file(const kz_alloc *a, const char *path, const char *what,
                     unsigned char **out, size_t *out_len, kuzat_error *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat sb;
  if (fd < 0 || fstat(fd, &sb) != 0) {
    int e = errno;
    if (fd >= 0) close(fd);
    return kuzat__fail(err, KUZAT_EIO, "%s: %s", path, strerror(e));
  }
  if (!S_ISREG(sb.st_mode) || (unsigned long long)sb.st_size > KZ_CONTAINER_MAX) {
    close(fd);
    return kuzat__fail(err, KUZAT_EIO, "%s: not a regular file of at most 2 GiB (a kuzat %s)",
                       path, what);
  }
  size_t n = (size_t)sb.st_size, got = 0;
  unsigned char *buf = kuzat__malloc_huge(a, n ? n : 1); /* megabytes touched once */
  if (!buf) {
    close(fd);
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  }
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  int e = errno;
  close(fd);
  if (got != n) {
    kuzat__free(a, buf);
    return kuzat__fail(err, KUZAT_EIO, "%s: read error: %s", path, got < n && e ? strerror(e) : "the file shrank");
  }
  *out = buf;
  *out_len = n;
  return KUZAT_OK;
}

void kuzat__error_prefix_path(kuzat_error *err, const char *path) {
  if (!err) return;
  char tmp[sizeof err->msg];
  int pl = (int)strlen(path) > 100 ? 100 : (int)strlen(path);
  snprintf(tmp, sizeof tmp, "%.*s: %.*s", pl, path, (int)(sizeof tmp) - pl - 3, err->msg);
  memcpy(err->msg, tmp, sizeof tmp);
}

/* Write all of p to fd, retrying short writes. */
static int write_all(int fd, const unsigned char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Write into an unnamed file in path's directory (Linux's O_TMPFILE), name
 * it tmp only once it is complete and on disk, and rename that over path.
 * Returns 0 when written or failed for good (*e: errno, 0 for success); -1
 * when there is no O_TMPFILE here, for the caller to write tmp itself. */
static int write_unnamed(const kz_alloc *a, const char *path, const char *tmp,
                         const unsigned char *p, size_t n, int *e) {
#if defined(O_TMPFILE) && defined(__linux__)
  size_t pl = strlen(path);
  char *dir = kuzat__malloc(a, pl + 2);
  if (!dir) {
    *e = ENOMEM;
    return 0;
  }
  const char *slash = strrchr(path, '/');
  if (!slash) {
    memcpy(dir, ".", 2);
  } else {
    size_t dl = slash == path ? 1 : (size_t)(slash - path);
    memcpy(dir, path, dl);
    dir[dl] = '\0';
  }
  int fd = open(dir, O_WRONLY | O_TMPFILE | O_CLOEXEC, 0644);
  kuzat__free(a, dir);
  if (fd < 0) return -1;
  *e = 0;
  if (write_all(fd, p, n) != 0 || fsync(fd) != 0) {
    *e = errno;
    close(fd);
    return 0;
  }
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  int linked = linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW);
  if (linked != 0 && errno == EEXIST && unlink(tmp) == 0) /* left by a process of our pid */
    linked = linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW);
  if (linked != 0) {
    int le = errno;
    close(fd);
    if (le == ENOENT || le == EPERM || le == EXDEV || le == EOPNOTSUPP) return -1;
    *e = le;
    return 0;
  }
  if (close(fd) != 0) *e = errno;
  if (!*e && rename(tmp, path) != 0) *e = errno;
  if (*e) unlink(tmp);
  return 0;
#else
  (void)a, (void)path, (void)tmp, (void)p, (void)n, (void)e;
  return -1;
#endif
}

int kuzat__write_atomic(const kz_alloc *a, const char *path, const unsigned char *p,
                        size_t n, const char *what, kuzat_error *err) {
  /* A device or pipe is written directly: renaming over it would replace
   * the device node itself. */
  struct stat sb;
  int e = 0;
  if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      e = errno;
    } else {
      if (write_all(fd, p, n) != 0) e = errno;
      if (close(fd) != 0 && !e) e = errno;
    }
    if (e) return kuzat__fail(err, KUZAT_EIO, "%s: cannot write the %s: %s", path, what, strerror(e));
    return KUZAT_OK;
  }
  size_t pl = strlen(path);
  char *tmp = kuzat__malloc(a, pl + 32);
  if (!tmp) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  snprintf(tmp, pl + 32, "%s.tmp.%ld", path, (long)getpid());
  int fd = -2;
  if (write_unnamed(a, path, tmp, p, n, &e) != 0)
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd == -2) {
    /* written, or failed, by write_unnamed() */
  } else if (fd < 0) {
    e = errno;
  } else {
    if (write_all(fd, p, n) != 0 || fsync(fd) != 0) e = errno;
    if (close(fd) != 0 && !e) e = errno;
    if (!e && rename(tmp, path) != 0) e = errno;
    if (e) unlink(tmp);
  }
  kuzat__free(a, tmp);
  if (e == ENOMEM) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  if (e) return kuzat__fail(err, KUZAT_EIO, "%s: cannot write the %s: %s", path, what, strerror(e));
  return KUZAT_OK;
}
