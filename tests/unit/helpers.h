/*
 * helpers.h -- pieces several unit tests share: an allocator that fails on
 * request, a model trained from a TSV file of the repository, files
 * written plain or gzipped.
 */
#ifndef KUZAT_TEST_HELPERS_H
#define KUZAT_TEST_HELPERS_H

#include "kuzat.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* An allocator that fails the kt_fail_at-th allocation (counting from 1
 * since kt_allocs was last set to 0) and counts the live blocks, so every
 * failure path can be shown to return KUZAT_ENOMEM and leak nothing. */
static long kt_fail_at, kt_allocs, kt_live;
static inline void *kt_alloc(void *ud, size_t n) {
  (void)ud;
  if (++kt_allocs == kt_fail_at) return NULL;
  void *p = malloc(n);
  if (p) kt_live++;
  return p;
}
static inline void *kt_realloc(void *ud, void *p, size_t n) {
  (void)ud;
  if (++kt_allocs == kt_fail_at) return NULL;
  void *q = realloc(p, n);
  if (q && !p) kt_live++;
  return q;
}
static inline void kt_free(void *ud, void *p) {
  (void)ud;
  if (p) kt_live--;
  free(p);
}

/* A model trained on a labelled TSV file, e.g. tests/data/classify/train.tsv,
 * with feature and training parameters `fp` and `tp` (NULL: the defaults);
 * NULL (and why, on stdout) when that fails. */
static inline kuzat_model *kt_train_tsv_with(const char *path, const kuzat_feature_params *fp,
                                             const kuzat_train_params *tp) {
  kuzat_trainset *t = NULL;
  kuzat_reader *r = NULL;
  kuzat_error err;
  if (kuzat_trainset_new(fp, NULL, &t, &err) ||
      kuzat_reader_open(path, KUZAT_FORMAT_AUTO, NULL, NULL, &r, &err)) {
    printf("# cannot read the training data: %s\n", err.msg);
    kuzat_trainset_free(t);
    return NULL;
  }
  kuzat_record rec;
  while (kuzat_reader_next(r, &rec, &err) == 1)
    kuzat_trainset_add(t, rec.text, rec.text_len, rec.labels, rec.labels_len, rec.lang,
                       rec.lang_len, rec.group, rec.group_len, &err);
  kuzat_reader_free(r);
  kuzat_model *m = NULL;
  if (kuzat_train(t, tp, &m, NULL, &err)) printf("# training failed: %s\n", err.msg);
  kuzat_trainset_free(t);
  return m;
}

/* The same with the default parameters and `kernel`. */
static inline kuzat_model *kt_train_tsv(const char *path, int kernel) {
  kuzat_train_params p;
  kuzat_train_params_default(&p);
  p.kernel = kernel;
  return kt_train_tsv_with(path, NULL, &p);
}

/* data[0..len) into dir/name, gzip-compressed when gz; the path (static
 * storage, until the next call). */
static inline const char *kt_write_file(const char *dir, const char *name, const void *data,
                                        size_t len, int gz) {
  static char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if (gz) {
    gzFile g = gzopen(path, "wb");
    gzwrite(g, data, (unsigned)len);
    gzclose(g);
  } else {
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, len, f);
    fclose(f);
  }
  return path;
}

/* raw[0..n) as one gzip member, the way kuzat_model_save() compresses a
 * model (malloc'd; its length in *out). */
static inline unsigned char *kt_gzip(const unsigned char *raw, size_t n, size_t *out) {
  z_stream z;
  memset(&z, 0, sizeof z);
  deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  size_t cap = deflateBound(&z, (uLong)n) + 64;
  unsigned char *p = malloc(cap);
  z.next_in = (Bytef *)(uintptr_t)raw;
  z.avail_in = (uInt)n;
  z.next_out = p;
  z.avail_out = (uInt)cap;
  deflate(&z, Z_FINISH);
  *out = cap - z.avail_out;
  deflateEnd(&z);
  return p;
}

#endif
