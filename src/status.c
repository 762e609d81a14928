/*
 * status.c -- the status table, error reporting and allocator plumbing.
 *
 * Every other module reports failure through kuzat__fail(), which formats a
 * message into the caller's kuzat_error (if any) and returns the status, so
 * a failure path is one line: `return kuzat__fail(err, KUZAT_EIO, ...)`;
 * kuzat__fail_at() also says where in the input (line, byte offset).
 * Every allocation goes through a kz_alloc copied from the caller's
 * kuzat_allocator, which is also what lets the tests fail allocations.
 */
#define _DEFAULT_SOURCE /* madvise */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

const char *kuzat_version(void) { return KUZAT_VERSION; }

int kuzat_version_number(void) { return KUZAT_VERSION_NUMBER; }

const char *kuzat_strstatus(int status) {
  switch (status) {
#define KZ_CASE(name, code, text) \
  case code:                      \
    return text;
    KUZAT_STATUS_MAP(KZ_CASE)
#undef KZ_CASE
  }
  return "unknown status";
}

void kuzat__error_clear(kuzat_error *err) {
  if (err) {
    err->status = KUZAT_OK;
    err->line = 0;
    err->byte_offset = 0;
    err->msg[0] = '\0';
  }
}

int kuzat__failv(kuzat_error *err, int status, const char *fmt, va_list ap) {
  if (err) {
    err->status = status;
    if (fmt)
      vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    else
      snprintf(err->msg, sizeof err->msg, "%s", kuzat_strstatus(status));
  }
  return status;
}

int kuzat__fail(kuzat_error *err, int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  kuzat__failv(err, status, fmt, ap);
  va_end(ap);
  return status;
}

int kuzat__fail_at(kuzat_error *err, int status, long line, long long byte_offset,
                   const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  kuzat__failv(err, status, fmt, ap);
  va_end(ap);
  if (err) {
    err->line = line;
    err->byte_offset = byte_offset;
  }
  return status;
}

/* Default allocator: the C library's. `ud` is unused. */
static void *std_alloc(void *ud, size_t n) {
  (void)ud;
  return malloc(n);
}
static void *std_realloc(void *ud, void *p, size_t n) {
  (void)ud;
  return realloc(p, n);
}
static void std_free(void *ud, void *p) {
  (void)ud;
  free(p);
}

void kuzat__alloc_init(kz_alloc *dst, const kuzat_allocator *src) {
  dst->alloc = src && src->alloc ? src->alloc : std_alloc;
  dst->realloc = src && src->realloc ? src->realloc : std_realloc;
  dst->free = src && src->free ? src->free : std_free;
  dst->ud = src ? src->ud : NULL;
}

static int is_default(const kz_alloc *a) {
  return a->alloc == std_alloc && a->realloc == std_realloc && a->free == std_free;
}

void *kuzat__malloc(const kz_alloc *a, size_t n) {
  return a->alloc(a->ud, n ? n : 1);
}

/* With the default allocator, the C library's calloc(), which knows when
 * its memory is fresh from the kernel (zeros already) and then leaves it
 * untouched. */
void *kuzat__calloc(const kz_alloc *a, size_t count, size_t size) {
  if (size && count > SIZE_MAX / size) return NULL;
  const size_t n = count * size;
  if (is_default(a)) return calloc(1, n ? n : 1);
  void *p = kuzat__malloc(a, n);
  if (p) memset(p, 0, n);
  return p;
}

/* n bytes for megabytes touched once or read all over (a model's file,
 * content, weights and rows; the word cache), on 2 MB pages from the first
 * byte to the last: with the default allocator, a block of 1 MB or more
 * becomes whole 2 MB pages aligned to one, advised before it is touched.
 * (kuzat__huge_pages() on a block the allocator placed where it liked
 * leaves the pages before its first 2 MB boundary and after its last
 * small: up to 4 MB of them, a fault each, which this VM makes dear.
 * Loading the default model took 3,927 faults, 993 this way.) Freed, and
 * reallocated, like any other block. */
void *kuzat__malloc_huge(const kz_alloc *a, size_t n) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const size_t hp = (size_t)2 << 20;
  if (n >= hp / 2 && n <= SIZE_MAX - hp && is_default(a)) {
    void *p;
    const size_t whole = (n + hp - 1) & ~(hp - 1);
    if (posix_memalign(&p, hp, whole) != 0) return NULL;
    (void)madvise(p, whole, MADV_HUGEPAGE);
    return p;
  }
#endif
  void *p = kuzat__malloc(a, n);
  if (p) kuzat__huge_pages(p, n);
  return p;
}

/* Ask Linux for 2 MB pages under the whole 2 MB pages of [p, p + n),
 * before they are first touched. Scoring reads a model's rows all over
 * tens of megabytes, and the word cache's megabytes, and with 4 KB pages
 * nearly every read also misses the TLB: huge pages made scoring some 10%
 * faster. Only advice: nothing changes where it is refused (memory from
 * the caller's allocator that is not anonymous, a kernel without them). */
void kuzat__huge_pages(void *p, size_t n) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const uintptr_t hp = (uintptr_t)2 << 20, start = ((uintptr_t)p + hp - 1) & ~(hp - 1),
                  end = ((uintptr_t)p + n) & ~(hp - 1);
  if (end > start) (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
#else
  (void)p, (void)n;
#endif
}

void kuzat__free(const kz_alloc *a, void *p) {
  if (p) a->free(a->ud, p);
}

int kuzat__grow(const kz_alloc *a, void **buf, size_t *cap, size_t need,
                size_t size) {
  if (need <= *cap) return KUZAT_OK;
  size_t ncap = *cap ? *cap : 64;
  while (ncap < need) {
    if (ncap > SIZE_MAX / 2) return KUZAT_ERANGE;
    ncap *= 2;
  }
  if (ncap > SIZE_MAX / size) return KUZAT_ERANGE;
  void *p = a->realloc(a->ud, *buf, ncap * size);
  if (!p) return KUZAT_ENOMEM;
  *buf = p;
  *cap = ncap;
  return KUZAT_OK;
}
