/*
 * container.h -- the file container that models and known-content indexes
 * share: one gzip member, read with a size limit, written atomically.
 * Private to the library.
 *
 * model.c and known_io.c use these. `what` names the kind of file in
 * messages ("index", "model"), so a refusal reads "index truncated: ...".
 */
#ifndef KUZAT_CONTAINER_H
#define KUZAT_CONTAINER_H

#include "internal.h"

/* The most bytes a file's content may inflate to: 2 GiB. */
#define KZ_CONTAINER_MAX ((size_t)1 << 31)

/* gzip `n` bytes at `src` (one member, zlib's plain header) into a buffer
 * from `a`: each 64 KB at level 6, or stored when its bytes look random.
 * KUZAT_OK, or KUZAT_ENOMEM. */
int kuzat__gz_deflate(const kz_alloc *a, const unsigned char *src, size_t n,
                      unsigned char **out, size_t *out_len);

/* Inflate one gzip member, refusing to grow past KZ_CONTAINER_MAX, a
 * truncated stream, damage and bytes after the member: KUZAT_EFORMAT with
 * "not a kuzat WHAT (not gzip-compressed)", "WHAT truncated: ...", "WHAT
 * damaged: ..."; KUZAT_ENOMEM. On success *out is from `a`, and *crc the
 * CRC-32 of all of it, which inflating computed and checked against the
 * member's trailer. */
int kuzat__gz_inflate(const kz_alloc *a, const unsigned char *src, size_t n,
                      const char *what, unsigned char **out, size_t *out_len,
                      uint32_t *crc, kuzat_error *err);

/* Whether the last 4 bytes of p[0..n) (n >= 4) are the CRC-32 of the bytes
 * before them, given `whole`, the CRC-32 of all n (kuzat__gz_inflate()'s):
 * appending four bytes maps CRC states one to one, so they are exactly
 * when continuing the stored CRC over those four bytes gives `whole`. Four
 * bytes' work instead of a pass over the content; only when they are not
 * does it compute *computed, the CRC-32 of the bytes before them. */
int kuzat__crc_trailer_ok(const unsigned char *p, size_t n, uint32_t whole, uint32_t *computed);

/* Read a regular file of at most KZ_CONTAINER_MAX bytes whole.
 * KUZAT_OK; KUZAT_EIO naming the file and the reason; KUZAT_ENOMEM. */
int kuzat__read_file(const kz_alloc *a, const char *path, const char *what,
                     unsigned char **out, size_t *out_len, kuzat_error *err);

/* Write `n` bytes to `path` atomically, as kuzat_model_save() does (see
 * docs/model-format.md, section 6): an unnamed temporary file beside it,
 * fsynced and renamed over it; a device or pipe is written directly.
 * KUZAT_OK; KUZAT_EIO "PATH: cannot write the WHAT: reason"; KUZAT_ENOMEM. */
int kuzat__write_atomic(const kz_alloc *a, const char *path, const unsigned char *p,
                        size_t n, const char *what, kuzat_error *err);

/* Prefix "PATH: " to err->msg (a failure loading the file at `path`). */
void kuzat__error_prefix_path(kuzat_error *err, const char *path);

/* Little-endian fields: a growing write buffer and a checked read cursor. */
typedef struct kz_wbuf {
  const kz_alloc *a;
  unsigned char *p;
  size_t len, cap;
  int failed; /* an allocation failed: the content is incomplete */
} kz_wbuf;

void kuzat__put(kz_wbuf *b, const void *src, size_t n);
/* `n` more bytes at the end, for the caller to fill; NULL once failed. */
unsigned char *kuzat__put_space(kz_wbuf *b, size_t n);
void kuzat__put_u16(kz_wbuf *b, uint16_t v);
void kuzat__put_u32(kz_wbuf *b, uint32_t v);
void kuzat__put_u64(kz_wbuf *b, uint64_t v);
void kuzat__put_f64(kz_wbuf *b, double d);

static inline uint16_t kuzat__get_u16(const unsigned char *p) {
  return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t kuzat__get_u32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t kuzat__get_u64(const unsigned char *p) {
  return kuzat__get_u32(p) | (uint64_t)kuzat__get_u32(p + 4) << 32;
}

#endif
