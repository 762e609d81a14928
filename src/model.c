/*
 * model.c -- the model file: writing, loading, the model's accessors.
 *
 * A model file is gzip-compressed; inside, fixed-width little-endian
 * fields (docs/model-format.md gives the byte layout) end with a CRC-32 of
 * everything before it. The loader is ours, never libsvm's svm_load_model
 * (which reads only named files, trusts its counts, calls setlocale and
 * overruns a heap buffer when counts disagree): it inflates with a size
 * limit, checks the CRC before believing any byte, then reads through a
 * cursor that checks every count against the bytes left before it
 * allocates. Any damage is a KUZAT_EFORMAT at load time, naming the byte;
 * scoring never meets a bad model.
 *
 * Linear markers keep the collapsed weight vector w = sum(alpha_i y_i x_i),
 * which weights.c lays out by bucket for scoring. RBF markers keep their
 * support vectors and score through libsvm's svm_predict_values() on a
 * svm_model this file builds from the loaded arrays.
 */
#include "model.h"
#include "container.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

_Static_assert(sizeof(kuzat_feature) == sizeof(struct svm_node) &&
                   offsetof(kuzat_feature, index) == offsetof(struct svm_node, index) &&
                   offsetof(kuzat_feature, value) == offsetof(struct svm_node, value),
               "kuzat_feature must have libsvm's svm_node layout");

static const char magic[8] = {'K', 'U', 'Z', 'A', 'T', 'M', 'D', 'L'};

/* ---------------------------------------------------------------------- */
/* Building a model (for the trainer)                                       */
/* ---------------------------------------------------------------------- */

int kuzat__model_new(const kz_alloc *a, const kuzat_feature_params *fp, size_t markers,
                     kuzat_model **out) {
  kuzat_model *m = kuzat__calloc(a, 1, sizeof *m);
  if (!m) return KUZAT_ENOMEM;
  m->a = *a;
  m->fp = *fp;
  kuzat__feature_params_resolve(&m->fp);
  m->norm_version = KUZAT_NORMALISER_VERSION;
  m->nm = markers;
  m->mk = kuzat__calloc(a, markers ? markers : 1, sizeof *m->mk);
  if (!m->mk) {
    kuzat__free(a, m);
    return KUZAT_ENOMEM;
  }
  *out = m;
  return KUZAT_OK;
}

static void free_marker(const kz_alloc *a, kz_marker *k, int own_weights) {
  kuzat__free(a, k->name);
  if (own_weights) {
    kuzat__free(a, k->idx);
    kuzat__free(a, k->w);
  }
  kuzat__free(a, k->sv_coef);
  kuzat__free(a, k->sv_nodes);
  kuzat__free(a, k->sv_ptr);
  if (k->svm) {
    kuzat__free(a, k->svm->sv_coef);
    kuzat__free(a, k->svm->rho);
    kuzat__free(a, k->svm->label);
    kuzat__free(a, k->svm->nSV);
    kuzat__free(a, k->svm);
  }
}

void kuzat_model_free(kuzat_model *m) {
  if (!m) return;
  kz_alloc a = m->a;
  for (size_t i = 0; i < m->nm; i++) free_marker(&a, &m->mk[i], m->w_mem == NULL);
  kuzat__free(&a, m->mk);
  kuzat__free(&a, m->idx_mem);
  kuzat__free(&a, m->w_mem);
  kuzat__free(&a, m->index);
  kuzat__free(&a, m->rows_mem);
  kuzat__free(&a, m);
}

/* The svm_model libsvm scores an RBF marker with, over our arrays. */
static int build_svm(const kz_alloc *a, kz_marker *k) {
  struct svm_model *s = kuzat__calloc(a, 1, sizeof *s);
  if (!s) return KUZAT_ENOMEM;
  k->svm = s;
  s->sv_coef = kuzat__malloc(a, sizeof *s->sv_coef);
  s->rho = kuzat__malloc(a, sizeof *s->rho);
  s->label = kuzat__malloc(a, 2 * sizeof *s->label);
  s->nSV = kuzat__malloc(a, 2 * sizeof *s->nSV);
  if (!s->sv_coef || !s->rho || !s->label || !s->nSV) return KUZAT_ENOMEM;
  s->param.svm_type = C_SVC;
  s->param.kernel_type = RBF;
  s->param.gamma = k->gamma;
  s->nr_class = 2;
  s->l = (int)k->nsv;
  s->SV = k->sv_ptr;
  s->sv_coef[0] = k->sv_coef;
  s->rho[0] = -k->bias;
  s->label[0] = 1; /* a positive decision value means the marker */
  s->label[1] = -1;
  s->nSV[0] = (int)k->nsv; /* only the sum matters for two classes */
  s->nSV[1] = 0;
  s->free_sv = 0;
  return KUZAT_OK;
}

/* After all markers are filled in: the scoring index and the model id. */
int kuzat__model_finish(kuzat_model *m) {
  for (size_t i = 0; i < m->nm; i++)
    if (m->mk[i].kernel == KUZAT_KERNEL_RBF && !m->mk[i].svm &&
        build_svm(&m->a, &m->mk[i]))
      return KUZAT_ENOMEM;
  return kuzat__weights_build(m);
}

/* ---------------------------------------------------------------------- */
/* Serialising                                                              */
/* ---------------------------------------------------------------------- */

/* A linear marker's weights as version 3 lays them out: the n gaps between
 * its ascending indices (the first from 0) in four planes of n bytes,
 * least significant byte first, then the n weights' IEEE-754 bits in eight
 * planes. The same 12 bytes a weight as pairs, but grouped so that deflate
 * squeezes the gaps' bytes and the weights' exponents and stores the
 * weights' low bytes, which are noise: a model then inflates mostly by
 * copying, several times faster. */
static void put_planes(kz_wbuf *b, const uint32_t *idx, const double *w, uint32_t n) {
  unsigned char *p = kuzat__put_space(b, (size_t)n * 12);
  if (!p) return;
  uint32_t prev = 0;
  for (uint32_t q = 0; q < n; q++) {
    uint32_t d = idx[q] - prev;
    prev = idx[q];
    for (int j = 0; j < 4; j++) p[(size_t)j * n + q] = (unsigned char)(d >> (8 * j));
    uint64_t v;
    memcpy(&v, &w[q], 8);
    for (int j = 0; j < 8; j++) p[(size_t)(4 + j) * n + q] = (unsigned char)(v >> (8 * j));
  }
}

/* The uncompressed content, CRC-32 included: format version 3 (earlier
 * versions are read, never written). */
static int serialise(const kuzat_model *m, kz_wbuf *b) {
  kuzat__put(b, magic, 8);
  kuzat__put_u32(b, KUZAT_MODEL_FORMAT);
  kuzat__put_u32(b, m->norm_version);
  kuzat__put_u64(b, m->fp.seed);
  kuzat__put_u32(b, (uint32_t)m->fp.bits);
  kuzat__put_u32(b, (uint32_t)m->fp.word_min);
  kuzat__put_u32(b, (uint32_t)m->fp.word_max);
  kuzat__put_u32(b, (uint32_t)m->fp.char_min);
  kuzat__put_u32(b, (uint32_t)m->fp.char_max);
  kuzat__put_u32(b, (uint32_t)m->fp.arabic_char_min);
  kuzat__put_u32(b, (uint32_t)m->fp.arabic_char_max);
  kuzat__put_u32(b, (uint32_t)m->nm);
  for (size_t i = 0; i < m->nm; i++) {
    const kz_marker *k = &m->mk[i];
    size_t nl = strlen(k->name);
    kuzat__put_u32(b, (uint32_t)nl);
    kuzat__put(b, k->name, nl);
    kuzat__put_u32(b, (uint32_t)k->kernel);
    kuzat__put_f64(b, k->C);
    kuzat__put_f64(b, k->gamma);
    kuzat__put_f64(b, k->platt_a);
    kuzat__put_f64(b, k->platt_b);
    kuzat__put_f64(b, k->threshold);
    kuzat__put_f64(b, k->bias);
    if (k->kernel == KUZAT_KERNEL_LINEAR) {
      kuzat__put_u32(b, k->nnz);
      put_planes(b, k->idx, k->w, k->nnz);
    } else {
      kuzat__put_u32(b, k->nsv);
      for (uint32_t s = 0; s < k->nsv; s++) {
        const kuzat_feature *x = (const kuzat_feature *)k->sv_ptr[s];
        uint32_t nnz = 0;
        while (x[nnz].index != -1) nnz++;
        kuzat__put_f64(b, k->sv_coef[s]);
        kuzat__put_u32(b, nnz);
        for (uint32_t q = 0; q < nnz; q++) {
          kuzat__put_u32(b, (uint32_t)x[q].index);
          kuzat__put_f64(b, x[q].value);
        }
      }
    }
  }
  kuzat__put_u32(b, 0); /* explanation dictionary entries: none in this version */
  if (b->failed) return KUZAT_ENOMEM;
  kuzat__put_u32(b, (uint32_t)crc32(0L, b->p, (uInt)b->len));
  return b->failed ? KUZAT_ENOMEM : KUZAT_OK;
}

int kuzat__model_set_id(kuzat_model *m) {
  kz_wbuf b = {&m->a, NULL, 0, 0, 0};
  int rc = serialise(m, &b);
  if (!rc) snprintf(m->id, sizeof m->id, "%016llx", (unsigned long long)XXH3_64bits(b.p, b.len));
  kuzat__free(&m->a, b.p);
  return rc;
}

int kuzat_model_save(const kuzat_model *m, const char *path, kuzat_error *err) {
  kuzat__error_clear(err);
  if (!m || !path) return kuzat__fail(err, KUZAT_EINVAL, "NULL argument");
  kz_wbuf b = {&m->a, NULL, 0, 0, 0};
  unsigned char *gz = NULL;
  size_t gz_len = 0;
  int rc = serialise(m, &b);
  if (!rc) rc = kuzat__gz_deflate(&m->a, b.p, b.len, &gz, &gz_len);
  kuzat__free(&m->a, b.p);
  if (rc) return kuzat__fail(err, rc, "out of memory");
  /* atomically: a process killed while writing leaves the old model */
  rc = kuzat__write_atomic(&m->a, path, gz, gz_len, "model", err);
  kuzat__free(&m->a, gz);
  return rc;
}

/* ---------------------------------------------------------------------- */
/* Loading                                                                  */
/* ---------------------------------------------------------------------- */

/* A read cursor over the uncompressed content. */
typedef struct rbuf {
  const unsigned char *p;
  size_t len, pos;
  uint32_t version; /* the format's */
  uint32_t crc;     /* of all len bytes, as inflating computed it */
  size_t used;      /* weights of the block (weights_block()) given out */
} rbuf;

static int need(rbuf *r, size_t n, const char *what, kuzat_error *err) {
  if (r->len - r->pos < n)
    return kuzat__fail_at(err, KUZAT_EFORMAT, 0, (long long)(r->pos),
                       "model truncated at byte %zu: %s needs %zu bytes, %zu left", r->pos,
                       what, n, r->len - r->pos);
  return KUZAT_OK;
}

static uint32_t get_u32(rbuf *r) {
  const unsigned char *p = r->p + r->pos;
  r->pos += 4;
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(rbuf *r) {
  uint64_t lo = get_u32(r);
  return lo | (uint64_t)get_u32(r) << 32;
}

static double get_f64(rbuf *r) {
  uint64_t v = get_u64(r);
  double d;
  memcpy(&d, &v, 8);
  return d;
}

/* Read a finite double, or fail naming the field. */
static int get_finite(rbuf *r, double *d, const char *what, kuzat_error *err) {
  int rc = need(r, 8, what, err);
  if (rc) return rc;
  size_t at = r->pos;
  *d = get_f64(r);
  if (!isfinite(*d))
    return kuzat__fail_at(err, KUZAT_EFORMAT, 0, (long long)(at),
                          "model damaged at byte %zu: %s is not a finite number",
                       at, what);
  return KUZAT_OK;
}

/* Sparse pairs (u32 index, f64 value), indices strictly ascending within
 * 1..limit, into idx/val or feat (whichever are not NULL). The caller has
 * checked that nnz pairs are present. */
static int get_pairs(rbuf *r, uint32_t nnz, uint32_t limit, uint32_t *idx,
                     double *val, kuzat_feature *feat, kuzat_error *err) {
  uint32_t prev = 0;
  for (uint32_t q = 0; q < nnz; q++) {
    size_t at = r->pos;
    uint32_t i = get_u32(r);
    double v = get_f64(r);
    if (i <= prev || i > limit)
      return kuzat__fail_at(err, KUZAT_EFORMAT, 0, (long long)(at),
                         "model damaged at byte %zu: feature index %u after %u (expected "
                         "ascending, at most %u)", at, i, prev, limit);
    if (!isfinite(v))
      return kuzat__fail_at(err, KUZAT_EFORMAT, 0, (long long)(at + 4),
                            "model damaged at byte %zu: weight is not finite",
                         at + 4);
    if (idx) idx[q] = i;
    if (val) val[q] = v;
    if (feat) {
      feat[q].index = (int)i;
      feat[q].value = v;
    }
    prev = i;
  }
  return KUZAT_OK;
}

/* A linear marker's nnz weights in version 3's planes (put_planes()),
 * checked as get_pairs() checks pairs; a bad index or weight is named by
 * the byte of its first plane. The caller has checked that 12 nnz bytes
 * are present. */
static int get_planes(rbuf *r, uint32_t nnz, uint32_t limit, uint32_t *idx, double *w,
                      kuzat_error *err) {
  const unsigned char *p = r->p + r->pos;
  const size_t n = nnz;
  uint32_t prev = 0;
  for (size_t q = 0; q < n; q++) {
    uint32_t d = (uint32_t)p[q] | (uint32_t)p[n + q] << 8 | (uint32_t)p[2 * n + q] << 16 |
                 (uint32_t)p[3 * n + q] << 24;
    if (d == 0 || d > limit - prev)
      return kuzat__fail_at(err, KUZAT_EFORMAT, 0, (long long)(r->pos + q),
                            "model damaged at byte %zu: feature index %llu after %u (expected "
                            "ascending, at most %u)", r->pos + q,
                            (unsigned long long)prev + d, prev, limit);
    prev += d;
    idx[q] = prev;
  }
  p += 4 * n;
  size_t q = 0;
#ifdef __SSE2__
  /* sixteen weights at a time: eight planes' bytes transposed */
  for (; q + 16 <= n; q += 16) {
    __m128i a[8];
    for (int j = 0; j < 8; j++) a[j] = _mm_loadu_si128((const __m128i *)(p + (size_t)j * n + q));
    __m128i b[8], c[8];
    for (int j = 0; j < 4; j++) { /* bytes 2j, 2j + 1 of weights 0-7, 8-15 */
      b[2 * j] = _mm_unpacklo_epi8(a[2 * j], a[2 * j + 1]);
      b[2 * j + 1] = _mm_unpackhi_epi8(a[2 * j], a[2 * j + 1]);
    }
    for (int j = 0; j < 2; j++) { /* bytes 4j..4j + 3 of weights 0-3, 4-7, 8-11, 12-15 */
      c[4 * j] = _mm_unpacklo_epi16(b[4 * j], b[4 * j + 2]);
      c[4 * j + 1] = _mm_unpackhi_epi16(b[4 * j], b[4 * j + 2]);
      c[4 * j + 2] = _mm_unpacklo_epi16(b[4 * j + 1], b[4 * j + 3]);
      c[4 * j + 3] = _mm_unpackhi_epi16(b[4 * j + 1], b[4 * j + 3]);
    }
    __m128i *o = (__m128i *)(void *)(w + q);
    for (int j = 0; j < 4; j++) { /* all eight bytes of two weights at a time */
      _mm_storeu_si128(o + 2 * j, _mm_unpacklo_epi32(c[j], c[4 + j]));
      _mm_storeu_si128(o + 2 * j + 1, _mm_unpackhi_epi32(c[j], c[4 + j]));
    }
  }
#endif
  for (; q < n; q++) {
    uint64_t v = 0;
    for (int j = 0; j < 8; j++) v |= (uint64_t)p[(size_t)j * n + q] << (8 * j);
    memcpy(&w[q], &v, 8);
  }
  for (q = 0; q < n; q++)
    if (!isfinite(w[q]))
      return kuzat__fail_at(err, KUZAT_EFORMAT, 0, (long long)(r->pos + 4 * n + q),
                            "model damaged at byte %zu: weight is not finite", r->pos + 4 * n + q);
  r->pos += 12 * n;
  return KUZAT_OK;
}

static int read_marker(kuzat_model *m, rbuf *r, kz_marker *k, kuzat_error *err) {
  int rc;
  uint32_t limit = (uint32_t)1 << m->fp.bits;
  if ((rc = need(r, 4, "a marker name length", err))) return rc;
  size_t at = r->pos;
  uint32_t nl = get_u32(r);
  if (nl == 0 || nl > 255)
    return kuzat__fail_at(err, KUZAT_EFORMAT, 0, (long long)(at),
                          "model damaged at byte %zu: marker name of %u bytes",
                       at, nl);
  if ((rc = need(r, nl, "a marker name", err))) return rc;
  k->name = kuzat__malloc(&m->a, nl + 1);
  if (!k->name) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  memcpy(k->name, r->p + r->pos, nl);
  k->name[nl] = '\0';
  r->pos += nl;
  if (memchr(k->name, '\0', nl))
    return kuzat__fail_at(err, KUZAT_EFORMAT, 0, (long long)(at),
                          "model damaged at byte %zu: NUL in a marker name", at);
  if ((rc = need(r, 4, "a kernel", err))) return rc;
  at = r->pos;
  uint32_t kernel = get_u32(r);
  if (kernel != KUZAT_KERNEL_LINEAR && kernel != KUZAT_KERNEL_RBF)
    return kuzat__fail_at(err, KUZAT_EFORMAT, 0, (long long)(at),
                          "model damaged at byte %zu: unknown kernel %u", at,
                       kernel);
  k->kernel = (int)kernel;
  size_t gamma_at = r->pos + 8;
  if ((rc = get_finite(r, &k->C, "C", err)) || (rc = get_finite(r, &k->gamma, "gamma", err)) ||
      (rc = get_finite(r, &k->platt_a, "Platt A", err)) ||
      (rc = get_finite(r, &k->platt_b, "Platt B", err)) ||
      (rc = get_finite(r, &k->threshold, "the threshold", err)) ||
      (rc = get_finite(r, &k->bias, "the bias", err)))
    return rc;
  /* exp(-gamma |x - sv|^2) stays in [0, 1] only for gamma > 0 (the
   * trainer refuses any other); else decision values overflow into NaN */
  if (k->kernel == KUZAT_KERNEL_RBF && !(k->gamma > 0))
    return kuzat__fail_at(err, KUZAT_EFORMAT, 0, (long long)(gamma_at),
                          "model damaged at byte %zu: RBF gamma %g is not "
                       "positive", gamma_at, k->gamma);
  if ((rc = need(r, 4, "a count", err))) return rc;
  at = r->pos;
  uint32_t count = get_u32(r);
  if (k->kernel == KUZAT_KERNEL_LINEAR) {
    /* check the count against the bytes present before allocating */
    if (count > limit || (size_t)count * 12 > r->len - r->pos)
      return kuzat__fail_at(err, KUZAT_EFORMAT, 0, (long long)(at),
                         "model damaged at byte %zu: %u weights, but %zu bytes left", at, count,
                         r->len - r->pos);
    k->nnz = count;
    k->idx = m->idx_mem + r->used;
    k->w = m->w_mem + r->used;
    r->used += count; /* within the block: 12 bytes a weight, all in the content */
    rc = r->version >= 3 ? get_planes(r, count, limit, k->idx, k->w, err)
                         : get_pairs(r, count, limit, k->idx, k->w, NULL, err);
    if (rc) return rc;
    /* a document's vector has unit length, so |decision| <= |bias| + |w|:
     * keep that finite, with room for rounding, or scores could be NaN */
    double ss = 0;
    for (uint32_t q = 0; q < count; q++) ss += k->w[q] * k->w[q];
    if (!(fabs(k->bias) + sqrt(ss) <= DBL_MAX / 2))
      return kuzat__fail_at(err, KUZAT_EFORMAT, 0, (long long)(at),
                            "model damaged at byte %zu: weights and bias too "
                         "large to score with", at);
    return KUZAT_OK;
  }
  /* RBF: support vectors, each (f64 coef, u32 nnz, pairs); first a pass to
   * check counts and size the arrays, then a pass to fill them */
  if ((size_t)count * 12 > r->len - r->pos)
    return kuzat__fail_at(err, KUZAT_EFORMAT, 0, (long long)(at),
                       "model damaged at byte %zu: %u support vectors, but %zu bytes left", at,
                       count, r->len - r->pos);
  size_t start = r->pos, total = 0;
  for (uint32_t s = 0; s < count; s++) {
    if ((rc = need(r, 12, "a support vector", err))) return rc;
    r->pos += 8;
    at = r->pos;
    uint32_t nnz = get_u32(r);
    if (nnz > limit || (size_t)nnz * 12 > r->len - r->pos)
      return kuzat__fail_at(err, KUZAT_EFORMAT, 0, (long long)(at),
                         "model damaged at byte %zu: support vector of %u features, but %zu "
                         "bytes left", at, nnz, r->len - r->pos);
    r->pos += (size_t)nnz * 12;
    total += nnz + 1;
  }
  r->pos = start;
  k->nsv = count;
  k->sv_coef = kuzat__malloc(&m->a, (size_t)count * sizeof *k->sv_coef + 1);
  k->sv_ptr = kuzat__malloc(&m->a, (size_t)count * sizeof *k->sv_ptr + 1);
  k->sv_nodes = kuzat__malloc(&m->a, total * sizeof *k->sv_nodes + 1);
  if (!k->sv_coef || !k->sv_ptr || !k->sv_nodes)
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  kuzat_feature *node = (kuzat_feature *)k->sv_nodes;
  double bound = fabs(k->bias); /* |decision|: every kernel value is in [0, 1] */
  for (uint32_t s = 0; s < count; s++) {
    if ((rc = get_finite(r, &k->sv_coef[s], "a support vector coefficient", err))) return rc;
    bound += fabs(k->sv_coef[s]);
    if (!(bound <= DBL_MAX / 2))
      return kuzat__fail_at(err, KUZAT_EFORMAT, 0, (long long)(r->pos - 8),
                            "model damaged at byte %zu: support vector "
                         "coefficients and bias too large to score with", r->pos - 8);
    uint32_t nnz = get_u32(r);
    if ((rc = get_pairs(r, nnz, limit, NULL, NULL, node, err))) return rc;
    k->sv_ptr[s] = (struct svm_node *)node;
    node[nnz].index = -1;
    node[nnz].value = 0;
    node += nnz + 1;
  }
  return KUZAT_OK;
}

/* One block for the indices and one for the weights of every linear
 * marker, sized for as many weights as the content's markers could hold
 * (12 bytes each): a few megabytes touched once, where a pair of
 * allocations a marker left most of them on small pages (a fault each,
 * which this VM makes dear). It holds no more than the content does: a
 * model of linear markers fills it, support vectors (12 bytes a value too)
 * leave their share unused and untouched. */
static int weights_block(kuzat_model *m, const rbuf *r) {
  const size_t cap = (r->len - r->pos) / 12 + 1;
  m->idx_mem = kuzat__malloc_huge(&m->a, cap * sizeof *m->idx_mem);
  m->w_mem = kuzat__malloc_huge(&m->a, cap * sizeof *m->w_mem);
  return m->idx_mem && m->w_mem ? KUZAT_OK : KUZAT_ENOMEM;
}

static int parse(kuzat_model *m, rbuf *r, kuzat_error *err) {
  int rc;
  if (r->len < 8 || memcmp(r->p, magic, 8) != 0)
    return kuzat__fail(err, KUZAT_EFORMAT, "not a kuzat model (no KUZATMDL magic)");
  if ((rc = need(r, 8 + 4, "the format version", err))) return rc;
  r->pos = 8;
  uint32_t version = r->version = get_u32(r);
  if (version > KUZAT_MODEL_FORMAT)
    return kuzat__fail(err, KUZAT_EVERSION,
                       "model format version %u is newer than this kuzat reads (%d): "
                       "upgrade kuzat", version, KUZAT_MODEL_FORMAT);
  if (version == 0) return kuzat__fail(err, KUZAT_EFORMAT, "model format version 0");
  /* the CRC covers everything before the last four bytes */
  if ((rc = need(r, 4, "the CRC-32", err))) return rc;
  uint32_t stored = (uint32_t)r->p[r->len - 4] | (uint32_t)r->p[r->len - 3] << 8 |
                    (uint32_t)r->p[r->len - 2] << 16 | (uint32_t)r->p[r->len - 1] << 24;
  uint32_t crc;
  if (!kuzat__crc_trailer_ok(r->p, r->len, r->crc, &crc))
    return kuzat__fail(err, KUZAT_EFORMAT,
                       "model damaged: CRC-32 is %08x, the file says %08x", crc, stored);
  r->len -= 4;
  if ((rc = need(r, 4 + 8 + 5 * 4 + 4, "the header", err))) return rc;
  m->norm_version = get_u32(r);
  if (m->norm_version != KUZAT_NORMALISER_VERSION)
    return kuzat__fail(err, KUZAT_EVERSION,
                       "model trained with normaliser version %u; this kuzat has version %d",
                       m->norm_version, KUZAT_NORMALISER_VERSION);
  m->fp.seed = get_u64(r);
  m->fp.bits = (int)get_u32(r);
  m->fp.word_min = (int)get_u32(r);
  m->fp.word_max = (int)get_u32(r);
  m->fp.char_min = (int)get_u32(r);
  m->fp.char_max = (int)get_u32(r);
  m->fp.arabic_char_min = m->fp.char_min, m->fp.arabic_char_max = m->fp.char_max;
  if (version >= 2) {
    if ((rc = need(r, 2 * 4 + 4, "the header", err))) return rc;
    uint32_t amin = get_u32(r), amax = get_u32(r);
    /* KUZAT_CHAR_AS_OTHERS is the API's, never a file's; and in version 2
     * a model with one range for every word has one encoding, version 1 */
    if (amin > INT32_MAX || amax > INT32_MAX)
      return kuzat__fail(err, KUZAT_EFORMAT,
                         "model damaged: feature parameters: Arabic-script character n-grams "
                         "%u..%u", amin, amax);
    if (version == 2 && (int)amin == m->fp.char_min && (int)amax == m->fp.char_max)
      return kuzat__fail(err, KUZAT_EFORMAT,
                         "model damaged: format version 2 with one character n-gram range "
                         "for every word (%u..%u), which version 1 writes", amin, amax);
    m->fp.arabic_char_min = (int)amin;
    m->fp.arabic_char_max = (int)amax;
  }
  kuzat_error why;
  if (kuzat__feature_params_check(&m->fp, &why))
    return kuzat__fail(err, KUZAT_EFORMAT, "model damaged: feature parameters: %s", why.msg);
  size_t at = r->pos;
  uint32_t nm = get_u32(r);
  if (nm == 0 || nm > KZ_MAX_MARKERS)
    return kuzat__fail_at(err, KUZAT_EFORMAT, 0, (long long)(at),
                          "model damaged at byte %zu: %u markers", at, nm);
  m->mk = kuzat__calloc(&m->a, nm, sizeof *m->mk);
  if (!m->mk) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  m->nm = nm;
  if (weights_block(m, r)) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  for (uint32_t i = 0; i < nm; i++)
    if ((rc = read_marker(m, r, &m->mk[i], err))) return rc;
  if ((rc = need(r, 4, "the dictionary count", err))) return rc;
  at = r->pos;
  if (get_u32(r) != 0)
    return kuzat__fail_at(err, KUZAT_EFORMAT, 0, (long long)(at),
                       "model damaged at byte %zu: explanation dictionary not supported in "
                       "format 1", at);
  if (r->pos != r->len)
    return kuzat__fail(err, KUZAT_EFORMAT, "model damaged: %zu bytes after the end",
                       r->len - r->pos);
  return KUZAT_OK;
}

static void set_id(kuzat_model *m, const unsigned char *p, size_t n) {
  snprintf(m->id, sizeof m->id, "%016llx", (unsigned long long)XXH3_64bits(p, n));
}

int kuzat_model_load_mem(const void *buf, size_t len, const kuzat_allocator *alloc,
                         kuzat_model **out, kuzat_error *err) {
  kuzat__error_clear(err);
  if (!out || (!buf && len)) return kuzat__fail(err, KUZAT_EINVAL, "NULL argument");
  *out = NULL;
  kz_alloc a;
  kuzat__alloc_init(&a, alloc);
  unsigned char *raw = NULL;
  size_t raw_len = 0;
  uint32_t crc = 0;
  int rc = kuzat__gz_inflate(&a, buf, len, "model", &raw, &raw_len, &crc, err);
  if (rc) return rc;
  kuzat_model *m = kuzat__calloc(&a, 1, sizeof *m);
  if (!m) {
    kuzat__free(&a, raw);
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  }
  m->a = a;
  rbuf r = {raw, raw_len, 0, 0, crc, 0};
  rc = parse(m, &r, err);
  if (!rc) set_id(m, raw, raw_len);
  kuzat__free(&a, raw);
  if (!rc && kuzat__model_finish(m)) rc = kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  if (rc) {
    kuzat_model_free(m);
    return rc;
  }
  *out = m;
  return KUZAT_OK;
}

int kuzat_model_load_file(const char *path, const kuzat_allocator *alloc, kuzat_model **out,
                          kuzat_error *err) {
  kuzat__error_clear(err);
  if (!path || !out) return kuzat__fail(err, KUZAT_EINVAL, "NULL argument");
  *out = NULL;
  kz_alloc a;
  kuzat__alloc_init(&a, alloc);
  unsigned char *buf;
  size_t n;
  int rc = kuzat__read_file(&a, path, "model", &buf, &n, err);
  if (rc) return rc;
  rc = kuzat_model_load_mem(buf, n, alloc, out, err);
  kuzat__free(&a, buf);
  if (rc && rc != KUZAT_EIO) kuzat__error_prefix_path(err, path); /* name the file */
  return rc;
}

/* ---------------------------------------------------------------------- */
/* Scoring                                                                  */
/* ---------------------------------------------------------------------- */

const char *kuzat_model_id(const kuzat_model *m) { return m ? m->id : ""; }

size_t kuzat_model_markers(const kuzat_model *m) { return m ? m->nm : 0; }

const char *kuzat_model_marker(const kuzat_model *m, size_t i) {
  return m && i < m->nm ? m->mk[i].name : NULL;
}

void kuzat_model_feature_params(const kuzat_model *m, kuzat_feature_params *p) {
  if (m && p) *p = m->fp;
}

double kuzat_model_threshold(const kuzat_model *m, size_t i) {
  return m && i < m->nm ? m->mk[i].threshold : 0.5;
}

double kuzat_model_probability(const kuzat_model *m, size_t i, double f) {
  if (!m || i >= m->nm) return 0;
  return kuzat_platt_prob(m->mk[i].platt_a, m->mk[i].platt_b, f);
}

int kuzat_model_kernel(const kuzat_model *m, size_t i) {
  return m && i < m->nm ? m->mk[i].kernel : -1;
}
