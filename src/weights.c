/*
 * weights.c -- scoring with a model's linear weights: their layout by
 * bucket, built when a model is loaded or trained; the decision values of
 * a vector (kuzat_model_decision); and of a text, without its vector
 * (kuzat__model_dot, the path every document scored takes).
 *
 * The layout (kz_rows in internal.h) puts the weights of every marker of a
 * bucket side by side, so the eight markers of the default model cost one
 * cache line a feature, and reaches them through a bitmap and a rank per 64
 * buckets (256 KB for 2^20 buckets, which stay in cache) instead of an
 * index of every bucket (4 MB, which did not): one memory access a feature,
 * which count.c prefetches when it first meets the feature.
 *
 * Models of more than 2^22 buckets are scored by binary search in each
 * marker's sparse weights.
 */
#include "model.h"

#include <math.h>
#include <string.h>

#define KZ_ROW_INDEX_BITS 22 /* above this, binary search */

int kuzat__weights_build(kuzat_model *m) {
  memset(&m->w, 0, sizeof m->w);
  if (m->fp.bits > KZ_ROW_INDEX_BITS) return KUZAT_OK;
  const size_t words = (((size_t)1 << m->fp.bits) + 63) >> 6;
  m->index = kuzat__calloc(&m->a, 2 * words, sizeof *m->index);
  if (!m->index) return KUZAT_ENOMEM;
  for (size_t i = 0; i < m->nm; i++)
    for (uint32_t q = 0; q < m->mk[i].nnz; q++) {
      uint32_t b = m->mk[i].idx[q] - 1; /* indices are 1-based */
      m->index[2 * (b >> 6)] |= (uint64_t)1 << (b & 63);
    }
  size_t nrows = 0;
  for (size_t k = 0; k < words; k++) {
    m->index[2 * k + 1] = nrows;
    nrows += kuzat__popcount64(m->index[2 * k]);
  }
  /* a row never straddles two cache lines: up to eight markers, a power
   * of two doubles; more, whole lines */
  size_t stride = 1;
  while (stride < m->nm && stride < 8) stride *= 2;
  if (m->nm > 8) stride = (m->nm + 7) & ~(size_t)7;
  if (nrows > SIZE_MAX / sizeof(double) / stride - 8) return KUZAT_ENOMEM;
  const size_t bytes = (nrows * stride + 8) * sizeof(double);
  m->rows_mem = kuzat__malloc_huge(&m->a, bytes);
  uint32_t *at = kuzat__calloc(&m->a, m->nm, sizeof *at); /* each marker's next weight */
  if (!m->rows_mem || !at) {
    kuzat__free(&m->a, at);
    return KUZAT_ENOMEM;
  }
  double *rows = (double *)m->rows_mem;
  const size_t lead = (64 - (uintptr_t)rows % 64) % 64 / sizeof *rows;
  memset(rows, 0, lead * sizeof *rows);
  memset(rows + lead + nrows * stride, 0, (8 - lead) * sizeof *rows);
  rows += lead;
  m->w.index = m->index;
  m->w.rows = rows;
  m->w.stride = stride;
  m->w.nm = m->nm;
  /* a block of rows at a time, zeroed and then given each marker's weights
   * in it, while the block stays in cache (a pass per marker over all the
   * rows went out to memory once per marker) */
  const size_t block = 256; /* words of the bitmap: 16,384 buckets */
  for (size_t k0 = 0; k0 < words; k0 += block) {
    const size_t k1 = k0 + block < words ? k0 + block : words;
    const size_t r0 = m->index[2 * k0 + 1];
    const size_t r1 = k1 < words ? m->index[2 * k1 + 1] : nrows;
    memset(rows + r0 * stride, 0, (r1 - r0) * stride * sizeof *rows);
    const uint32_t end = (uint32_t)(k1 * 64); /* 1-based indices up to it */
    for (size_t i = 0; i < m->nm; i++) {
      const kz_marker *mk = &m->mk[i];
      uint32_t q = at[i];
      for (; q < mk->nnz && mk->idx[q] <= end; q++)
        rows[(kuzat__row_of(&m->w, mk->idx[q] - 1) - 1) * stride + i] = mk->w[q];
      at[i] = q;
    }
  }
  kuzat__free(&m->a, at);
  return KUZAT_OK;
}

/* w[index] by binary search in a linear marker's sparse weights. */
static double weight_at(const kz_marker *k, int index) {
  uint32_t lo = 0, hi = k->nnz, key = (uint32_t)index;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (k->idx[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo < k->nnz && k->idx[lo] == key ? k->w[lo] : 0;
}

/* The weights of index (1-based, in range) in the layout, or NULL. */
static const double *row_at(const kuzat_model *m, int index) {
  size_t r = kuzat__row_of(&m->w, (uint64_t)index - 1);
  return r ? m->w.rows + (r - 1) * m->w.stride : NULL;
}

double kuzat__model_weight(const kuzat_model *m, size_t i, int index) {
  if (i >= m->nm || m->mk[i].kernel != KUZAT_KERNEL_LINEAR) return 0;
  if (m->w.rows) {
    if (index < 1 || index > (1 << m->fp.bits)) return 0;
    const double *w = row_at(m, index);
    return w ? w[i] : 0;
  }
  return weight_at(&m->mk[i], index);
}

int kuzat_model_decision(const kuzat_model *m, const kuzat_feature *x, double *dec,
                         kuzat_error *err) {
  if (!m || !x || !dec) return kuzat__fail(err, KUZAT_EINVAL, "NULL argument");
  int limit = 1 << m->fp.bits;
  for (size_t i = 0; i < m->nm; i++) dec[i] = m->mk[i].bias;
  for (const kuzat_feature *f = x; f->index != -1; f++) {
    if (f->index < 1 || f->index > limit)
      return kuzat__fail(err, KUZAT_EINVAL, "feature index %d outside 1..%d", f->index, limit);
    if (m->w.rows) {
      const double *w = row_at(m, f->index);
      if (!w) continue;
      for (size_t i = 0; i < m->nm; i++) dec[i] += w[i] * f->value;
    } else {
      for (size_t i = 0; i < m->nm; i++)
        if (m->mk[i].kernel == KUZAT_KERNEL_LINEAR) dec[i] += weight_at(&m->mk[i], f->index) * f->value;
    }
  }
  for (size_t i = 0; i < m->nm; i++)
    if (m->mk[i].kernel == KUZAT_KERNEL_RBF) {
      double v;
      svm_predict_values(m->mk[i].svm, (const struct svm_node *)x, &v);
      dec[i] = v;
    }
  return KUZAT_OK;
}

/* The fast path: the sums of weight times unnormalised value, divided by
 * the norm once. 1 when it does not apply to this text (the general path
 * then scores it), or a status. */
static int dot_counted(const kuzat_model *m, kuzat_featuriser *f, const char *norm, size_t len,
                       double *dec) {
  double norm2;
  int rc = kuzat__featurise_dot(f, norm, len, &m->w, dec, &norm2);
  if (rc) return rc;
  double inv = norm2 > 0 ? 1.0 / sqrt(norm2) : 0;
  int finite = 1;
  for (size_t i = 0; i < m->nm; i++) {
    dec[i] = m->mk[i].bias + dec[i] * inv;
    finite &= isfinite(dec[i]) != 0;
  }
  /* the loader bounds |bias| + |w| (the decision of a unit vector), not
   * the sums of an unnormalised one: should they overflow, the general
   * path normalises first */
  return finite ? KUZAT_OK : KZ_COUNT_FALLBACK;
}

int kuzat__model_dot(const kuzat_model *m, kuzat_featuriser *f, const char *norm, size_t len,
                     double *dec) {
  int linear = m->w.rows != NULL && m->fp.bits == kuzat__featuriser_params(f)->bits;
  for (size_t i = 0; linear && i < m->nm; i++)
    if (m->mk[i].kernel != KUZAT_KERNEL_LINEAR) linear = 0;
  if (linear) {
    int rc = dot_counted(m, f, norm, len, dec);
    if (rc != KZ_COUNT_FALLBACK) return rc;
  }
  const kuzat_feature *x;
  size_t n;
  int rc = kuzat_featurise(f, norm, len, &x, &n, NULL);
  return rc ? rc : kuzat_model_decision(m, x, dec, NULL);
}
