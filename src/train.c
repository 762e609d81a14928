/*
 * train.c -- calibrated one-vs-rest libsvm models from labelled documents.
 *
 * Documents are normalised and hashed as they are added (kuzat_trainset),
 * so training sees exactly the vectors scoring will see. Then, for each
 * marker on its own (markers are independent and run in parallel):
 *
 *   1. folds: groups (accounts, sources) are dealt round-robin to k folds,
 *      groups holding positives first, in an order fixed by the seed, so no
 *      group is in two folds and positives are spread over all of them;
 *   2. for each C of the grid, k fits on k-1 folds score the held-out
 *      fold; the C whose out-of-fold scores have the best average
 *      precision wins (ties: the smaller C); for the linear kernel these
 *      fits use dual coordinate descent on the same hinge loss (its bias
 *      lightly regularised, each fold's fits warm from the previous C),
 *      which takes seconds where libsvm takes minutes, and only the final
 *      model is held to libsvm's solution;
 *   3. Platt's sigmoid and the decision threshold are fitted on those
 *      out-of-fold scores;
 *   4. the final fit on all rows gives the model.
 *
 * The final fit is a libsvm C-SVC with class weights balanced (C+ = C
 * n/2n+, C- = C n/2n-). Sets of up to 4,000 rows go to libsvm itself,
 * over the precomputed kernel: working sets (libsvm on a subset, the
 * weights collapsed to w = sum(alpha_i y_i x_i), every row outside the
 * subset that w leaves inside the margin joins, libsvm again, until none
 * is left), so the result is one libsvm fit on all rows. Larger linear
 * sets are where the support vectors themselves are too many for any
 * kernel matrix (a third or more of the rows on the shared data, most at
 * alpha = C), so they solve libsvm's dual themselves, without its kernel:
 * coordinate descent with the bias free gives a start near the optimum,
 * then rounds of libsvm's own pair steps on the rows near the margin,
 * until libsvm's stopping criterion (the most violating pair within
 * 1e-3) holds over every row, checked with exact gradients from w; the
 * bias is libsvm's rho. That is a point where libsvm's solver stops, so
 * the decision function equals a plain libsvm fit's within the solver's
 * tolerance (tests/unit/test_train.c compares them on 4,500 documents).
 * RBF fits go to libsvm whole.
 *
 * libsvm prints through one process-wide hook; it is set to a no-op once
 * (pthread_once) before the first fit. Nothing here prints.
 */
#include "internal.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#define KZ_WS_START 2000  /* sets up to this size: one libsvm fit on all rows */
#define KZ_WS_ADD 4000    /* most rows added per round */
#define KZ_WS_TOL 1e-3    /* a row is inside the margin when y f(x) < 1 - tol */

/* ---------------------------------------------------------------------- */
/* Training sets                                                            */
/* ---------------------------------------------------------------------- */

struct kuzat_trainset {
  kz_alloc a;
  kuzat_feature_params fp;
  kuzat_normaliser *norm;
  kuzat_featuriser *feat;
  size_t n, cap;
  kuzat_feature **x; /* each row's vector, ended by -1 */
  int *lang;
  uint64_t *group;   /* hash of the group name, or of the row number */
  uint64_t *family;  /* hash of the group's FAMILY/ prefix, or 0 */
  uint64_t *doc;     /* hash of the row's vector: copies of a document share it */
  uint32_t *lab_off; /* row r's labels: labs[lab_off[r] .. lab_off[r+1]) */
  uint32_t *labs;
  size_t labs_len, labs_cap;
  char **names; /* label table */
  size_t nnames;
};

int kuzat_trainset_new(const kuzat_feature_params *fp, const kuzat_allocator *alloc,
                       kuzat_trainset **out, kuzat_error *err) {
  kuzat__error_clear(err);
  if (!out) return kuzat__fail(err, KUZAT_EINVAL, "out is NULL");
  *out = NULL;
  kz_alloc a;
  kuzat__alloc_init(&a, alloc);
  kuzat_trainset *t = kuzat__calloc(&a, 1, sizeof *t);
  if (!t) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  t->a = a;
  if (fp) t->fp = *fp;
  else kuzat_feature_params_default(&t->fp);
  int rc = kuzat_normaliser_new(alloc, &t->norm, err);
  if (!rc) rc = kuzat_featuriser_new(&t->fp, alloc, &t->feat, err);
  if (!rc) {
    t->lab_off = kuzat__calloc(&a, 1, sizeof *t->lab_off);
    if (!t->lab_off) rc = kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  }
  if (rc) {
    kuzat_trainset_free(t);
    return rc;
  }
  *out = t;
  return KUZAT_OK;
}

void kuzat_trainset_free(kuzat_trainset *t) {
  if (!t) return;
  kz_alloc a = t->a;
  kuzat_normaliser_free(t->norm);
  kuzat_featuriser_free(t->feat);
  for (size_t i = 0; i < t->n; i++) kuzat__free(&a, t->x[i]);
  for (size_t i = 0; i < t->nnames; i++) kuzat__free(&a, t->names[i]);
  void *bufs[] = {t->x, t->lang, t->group, t->family, t->doc, t->lab_off, t->labs, t->names};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) kuzat__free(&a, bufs[i]);
  kuzat__free(&a, t);
}

size_t kuzat_trainset_rows(const kuzat_trainset *t) { return t ? t->n : 0; }

/* The id of label [s, s+len) in the table, adding it when new. */
static int label_id(kuzat_trainset *t, const char *s, size_t len, uint32_t *id,
                    kuzat_error *err) {
  if (len > 255) return kuzat__fail(err, KUZAT_EINVAL, "a label longer than 255 bytes");
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == ',')
      return kuzat__fail(err, KUZAT_EINVAL, "label \"%.*s\" has a control character",
                         (int)len, s);
  for (size_t i = 0; i < t->nnames; i++)
    if (strlen(t->names[i]) == len && memcmp(t->names[i], s, len) == 0) {
      *id = (uint32_t)i;
      return KUZAT_OK;
    }
  if (t->nnames >= KZ_MAX_MARKERS)
    return kuzat__fail(err, KUZAT_EINVAL, "more than %d different labels", KZ_MAX_MARKERS);
  size_t cap = t->nnames;
  char *copy = kuzat__malloc(&t->a, len + 1);
  if (!copy || kuzat__grow(&t->a, (void **)&t->names, &cap, t->nnames + 1, sizeof *t->names)) {
    kuzat__free(&t->a, copy);
    return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  }
  memcpy(copy, s, len);
  copy[len] = '\0';
  t->names[t->nnames] = copy;
  *id = (uint32_t)t->nnames++;
  return KUZAT_OK;
}

/* Room for one more row in every per-row array (lab_off has one more). */
static void *resize(const kz_alloc *a, void *p, size_t n, size_t size) {
  return a->realloc(a->ud, p, n * size);
}

static int grow_rows(kuzat_trainset *t) {
  if (t->n < t->cap) return KUZAT_OK;
  size_t c = t->cap ? t->cap * 2 : 256;
  void *x = resize(&t->a, t->x, c, sizeof *t->x);
  if (x) t->x = x;
  void *lang = x ? resize(&t->a, t->lang, c, sizeof *t->lang) : NULL;
  if (lang) t->lang = lang;
  void *group = lang ? resize(&t->a, t->group, c, sizeof *t->group) : NULL;
  if (group) t->group = group;
  void *family = group ? resize(&t->a, t->family, c, sizeof *t->family) : NULL;
  if (family) t->family = family;
  void *doc = family ? resize(&t->a, t->doc, c, sizeof *t->doc) : NULL;
  if (doc) t->doc = doc;
  void *off = doc ? resize(&t->a, t->lab_off, c + 1, sizeof *t->lab_off) : NULL;
  if (off) t->lab_off = off;
  if (!off) return KUZAT_ENOMEM; /* the arrays that grew keep their rows */
  t->cap = c;
  return KUZAT_OK;
}

int kuzat_trainset_add(kuzat_trainset *t, const char *text, size_t len, const char *labels,
                       size_t labels_len, const char *lang, size_t lang_len, const char *group,
                       size_t group_len, kuzat_error *err) {
  kuzat__error_clear(err);
  if (!t || (!text && len) || (!labels && labels_len) || (!lang && lang_len) ||
      (!group && group_len))
    return kuzat__fail(err, KUZAT_EINVAL, "NULL argument");
  int l = -1;
  if (lang_len && (l = kuzat_lang_from_name(lang, lang_len)) < 0)
    return kuzat__fail(err, KUZAT_EINVAL,
                       "unknown language \"%.*s\" (expected uz-Latn, uz-Cyrl, tg, ky, ru, en, "
                       "ar, fa or other)", (int)(lang_len > 32 ? 32 : lang_len), lang);
  if (grow_rows(t)) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  /* labels first: a bad one leaves the set unchanged */
  size_t start = t->labs_len;
  for (size_t i = 0; i < labels_len;) {
    size_t j = i;
    while (j < labels_len && labels[j] != ',') j++;
    size_t a = i, b = j;
    while (a < b && labels[a] == ' ') a++;
    while (b > a && labels[b - 1] == ' ') b--;
    if (b > a) {
      uint32_t id = 0;
      int rc = label_id(t, labels + a, b - a, &id, err);
      if (rc) {
        t->labs_len = start;
        return rc;
      }
      int dup = 0;
      for (size_t q = start; q < t->labs_len; q++) dup |= t->labs[q] == id;
      if (!dup) {
        if (kuzat__grow(&t->a, (void **)&t->labs, &t->labs_cap, t->labs_len + 1, sizeof *t->labs)) {
          t->labs_len = start;
          return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
        }
        t->labs[t->labs_len++] = id;
      }
    }
    i = j + 1;
  }
  kuzat_text nt;
  const kuzat_feature *v;
  size_t nv;
  int rc = kuzat_normalise(t->norm, text, len, 0, &nt, err);
  if (!rc) rc = kuzat_featurise(t->feat, nt.utf8, nt.len, &v, &nv, err);
  kuzat_feature *copy = rc ? NULL : kuzat__malloc(&t->a, (nv + 1) * sizeof *copy);
  if (!rc && !copy) rc = kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  if (rc) {
    t->labs_len = start;
    return rc;
  }
  memcpy(copy, v, (nv + 1) * sizeof *copy);
  t->x[t->n] = copy;
  uint64_t h = nv; /* field by field: the struct's padding is not data */
  for (size_t i = 0; i < nv; i++)
    h = XXH3_64bits_withSeed(&copy[i].value, sizeof copy[i].value, h ^ (uint64_t)copy[i].index);
  t->doc[t->n] = h;
  t->lang[t->n] = l >= 0 ? l : nt.lang;
  /* "FAMILY/NAME": the group is NAME, in family FAMILY */
  const char *slash = group_len ? memchr(group, '/', group_len) : NULL;
  t->family[t->n] = slash && slash > group ? XXH3_64bits(group, (size_t)(slash - group)) | 1 : 0;
  if (t->family[t->n]) {
    group_len -= (size_t)(slash + 1 - group);
    group = slash + 1;
  }
  t->group[t->n] = group_len ? XXH3_64bits(group, group_len)
                             : XXH3_64bits_withSeed(&t->n, sizeof t->n, 0x9E3779B97F4A7C15ull);
  t->lab_off[t->n + 1] = (uint32_t)t->labs_len;
  t->n++;
  return KUZAT_OK;
}

/* ---------------------------------------------------------------------- */
/* Parameters and reports                                                   */
/* ---------------------------------------------------------------------- */

static const double default_grid[] = {0.1, 1, 10};

void kuzat_train_params_default(kuzat_train_params *p) {
  if (!p) return;
  memset(p, 0, sizeof *p);
  p->kernel = KUZAT_KERNEL_LINEAR;
  p->gamma = 1;
  p->folds = 5;
  p->threads = 1;
}

struct kz_report_priv {
  kuzat_train_report pub;
  kz_alloc a;
  kuzat_train_marker *marker;
  double *oof;
  int *truth, *lang;
};

void kuzat_train_report_free(kuzat_train_report *r) {
  if (!r) return;
  struct kz_report_priv *p = (struct kz_report_priv *)r;
  kz_alloc a = p->a;
  kuzat__free(&a, p->marker);
  kuzat__free(&a, p->oof);
  kuzat__free(&a, p->truth);
  kuzat__free(&a, p->lang);
  kuzat__free(&a, p);
}

/* ---------------------------------------------------------------------- */
/* One fit                                                                  */
/* ---------------------------------------------------------------------- */

static void quiet(const char *s) { (void)s; }
static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;
static void make_libsvm_quiet(void) { svm_set_print_string_function(quiet); }

/* Scratch for one worker thread. */
typedef struct kz_worker {
  const kuzat_trainset *t;
  const kuzat_train_params *p;
  kz_alloc a;
  double *w;      /* dense weights, 2^bits */
  int *in_ws;     /* row is in the working set */
  int *ws;        /* working-set rows */
  double *margin; /* y f(x) per row */
  double *yd;     /* labels as doubles for libsvm */
  struct svm_node **xs;
  const double *full_gram; /* x_i . x_j of every pair, when the set is small */
  struct svm_node *pre;    /* precomputed-kernel rows for libsvm */
  size_t pre_cap;
  size_t gram_dim;         /* rows of `pre` already holding their kernel
                              values: rows only ever join the set's end, so
                              each pair is computed once per fit */
  uint32_t *post_off;      /* the working set by feature (2^bits + 2) */
  int *post_row;           /* its rows' positions in the set */
  double *post_val;        /* and values */
  size_t post_cap;
  double *acc;             /* one row of kernel values */
  double *qd;              /* x_i . x_i per row */
  double *dense;           /* one row scattered, 2^bits + 1 */
  double cv_bias;          /* coordinate descent's bias, kept for a warm start */
} kz_worker;

/* A fit's result. */
typedef struct kz_fit {
  double bias;
  double *w;        /* linear: dense weights (the worker's array) */
  struct svm_model *svm; /* RBF: libsvm's own model */
  size_t nsv;
} kz_fit;

static double dot(const double *w, const kuzat_feature *x) {
  double s = 0;
  for (; x->index != -1; x++) s += w[x->index] * x->value;
  return s;
}

/* Linear fits give libsvm the kernel matrix precomputed: libsvm's own
 * kernel would recompute sparse dot products of documents with thousands
 * of n-grams at every SMO step that misses its cache; here each pair is
 * computed once per working set (or once for the whole run when the set
 * is small), by scattering one row and gathering the other. */
#define KZ_PRE_MAX 6000   /* largest working set given as a kernel matrix */
#define KZ_FULL_GRAM 4000 /* largest set whose whole Gram matrix is kept */

static double sparse_dot_dense(const double *d, const kuzat_feature *x) {
  double s = 0;
  for (; x->index != -1; x++) s += d[x->index] * x->value;
  return s;
}

/* The inverted index of rows[0..n) into k->post_*; feature f's rows are
 * then [off[f-1], off[f]), ascending positions. */
static int postings(kz_worker *k, const int *rows, size_t n) {
  const kuzat_trainset *t = k->t;
  size_t buckets = (size_t)1 << t->fp.bits, nnz = 0;
  uint32_t *off = k->post_off;
  memset(off, 0, (buckets + 2) * sizeof *off);
  for (size_t i = 0; i < n; i++)
    for (const kuzat_feature *f = t->x[rows[i]]; f->index != -1; f++) {
      off[f->index + 1]++;
      nnz++;
    }
  if (nnz > UINT32_MAX) return KUZAT_ENOMEM;
  if (nnz > k->post_cap) {
    void *r = k->a.realloc(k->a.ud, k->post_row, nnz * sizeof *k->post_row);
    if (r) k->post_row = r;
    void *v = r ? k->a.realloc(k->a.ud, k->post_val, nnz * sizeof *k->post_val) : NULL;
    if (v) k->post_val = v;
    if (!v) return KUZAT_ENOMEM;
    k->post_cap = nnz;
  }
  for (size_t b = 1; b < buckets + 2; b++) off[b] += off[b - 1];
  for (size_t i = 0; i < n; i++)
    for (const kuzat_feature *f = t->x[rows[i]]; f->index != -1; f++) {
      uint32_t q = off[f->index]++;
      k->post_row[q] = (int)i;
      k->post_val[q] = f->value;
    }
  return KUZAT_OK;
}

/* Fill k->pre with libsvm's precomputed-kernel rows for rows[0..n): row i
 * is {0: i+1}, then {j+1: x_i . x_j} for every j, then -1. Within one fit
 * the set only grows at its end: the rows already there keep their values
 * (moved to the wider stride, last first, in place) and only the pairs
 * with a new row are computed. Those come from an inverted index of the
 * set (rows by feature), so a pair costs the features the two rows share,
 * not the length of one of them; the products are added in ascending
 * feature order, as a sparse dot product (and libsvm's) adds them, so the
 * values are the same to the bit. */
static int precompute(kz_worker *k, const int *rows, size_t n) {
  const kuzat_trainset *t = k->t;
  size_t old = k->full_gram ? 0 : k->gram_dim, stride = n + 2, need = n * stride;
  if (old > n) old = 0;
  if (need > k->pre_cap) {
    void *p = k->a.realloc(k->a.ud, k->pre, need * sizeof *k->pre);
    if (!p) return KUZAT_ENOMEM;
    k->pre = p;
    k->pre_cap = need;
  }
  for (size_t i = old; i-- > 1;)
    memmove(k->pre + i * stride, k->pre + i * (old + 2), (old + 1) * sizeof *k->pre);
  for (size_t i = 0; i < n; i++) {
    struct svm_node *row = k->pre + i * stride;
    row[0].index = 0;
    row[0].value = (double)(i + 1); /* libsvm's id of the row */
    row[n + 1].index = -1;
    row[n + 1].value = 0;
    k->xs[i] = row;
  }
  if (k->full_gram) {
    for (size_t i = 0; i < n; i++)
      for (size_t j = 0; j <= i; j++) {
        double v = k->full_gram[(size_t)rows[i] * t->n + (size_t)rows[j]];
        k->pre[i * stride + j + 1] = (struct svm_node){(int)(j + 1), v};
        k->pre[j * stride + i + 1] = (struct svm_node){(int)(i + 1), v};
      }
    return KUZAT_OK;
  }
  if (old == n) return KUZAT_OK;
  /* the inverted index of rows[0..n) */
  int prc = postings(k, rows, n);
  if (prc) return prc;
  const uint32_t *off = k->post_off;
  /* now feature f's rows are [off[f-1], off[f]), ascending */
  double *acc = k->acc;
  for (size_t i = old; i < n; i++) {
    memset(acc, 0, (i + 1) * sizeof *acc);
    for (const kuzat_feature *f = t->x[rows[i]]; f->index != -1; f++) {
      double v = f->value;
      for (uint32_t q = off[f->index - 1], e = off[f->index]; q < e; q++) {
        int j = k->post_row[q];
        if ((size_t)j > i) break;
        acc[j] += v * k->post_val[q];
      }
    }
    struct svm_node *ri = k->pre + i * stride;
    for (size_t j = 0; j <= i; j++) {
      ri[j + 1] = (struct svm_node){(int)(j + 1), acc[j]};
      k->pre[j * stride + i + 1] = (struct svm_node){(int)(i + 1), acc[j]};
    }
  }
  k->gram_dim = n;
  return KUZAT_OK;
}

/* libsvm on rows[0..n) with labels y (+1/-1 per row of the set). */
static struct svm_model *libsvm_fit(kz_worker *k, const int *rows, size_t n, const int *y,
                                    double C, double wpos, double wneg) {
  int pre = k->p->kernel == KUZAT_KERNEL_LINEAR && n <= KZ_PRE_MAX;
  if (pre && precompute(k, rows, n)) return NULL;
  for (size_t i = 0; i < n; i++) {
    if (!pre) k->xs[i] = (struct svm_node *)k->t->x[rows[i]];
    k->yd[i] = y[rows[i]];
  }
  struct svm_problem prob = {(int)n, k->yd, k->xs};
  int wl[2] = {1, -1};
  double wv[2] = {wpos, wneg};
  struct svm_parameter par;
  memset(&par, 0, sizeof par);
  par.svm_type = C_SVC;
  par.kernel_type = k->p->kernel == KUZAT_KERNEL_RBF ? RBF : pre ? PRECOMPUTED : LINEAR;
  par.gamma = k->p->gamma;
  par.cache_size = 200;
  par.eps = 1e-3;
  par.C = C;
  par.nr_weight = 2;
  par.weight_label = wl;
  par.weight = wv;
  par.shrinking = 1;
  return svm_train(&prob, &par);
}

/* Collapse a linear libsvm model fitted on rows[] into k->w and the bias,
 * for +1 = marker. Support vectors are found through sv_indices, so this
 * works whether libsvm saw the documents or their kernel matrix. */
static double collapse(kz_worker *k, const struct svm_model *s, const int *rows) {
  memset(k->w, 0, ((size_t)1 << k->t->fp.bits) * sizeof *k->w + sizeof *k->w);
  double sign = s->label[0] == 1 ? 1.0 : -1.0;
  for (int i = 0; i < s->l; i++) {
    double c = s->sv_coef[0][i] * sign;
    const kuzat_feature *x = k->t->x[rows[s->sv_indices[i] - 1]];
    for (; x->index != -1; x++) k->w[x->index] += c * x->value;
  }
  return -s->rho[0] * sign;
}

/* Dual coordinate descent (Hsieh, Chang, Lin, Keerthi and Sundararajan,
 * ICML 2008) for the same hinge-loss problem with per-class C. For the
 * cross-validation fits the bias is one more feature of constant 1 (so
 * lightly regularised, where libsvm leaves it free); each pass costs one
 * sweep over the non-zeros of the active rows. */
#define KZ_DCD_EPS 0.05
#define KZ_DCD_PASSES 200

/* The same problem with the bias free, as libsvm has it: for a fixed bias
 * b, coordinate descent solves the dual with the linear term 1 - y_i b
 * (liblinear's solver with its shrinking: rows at a bound whose gradient
 * points out of the box leave the active set until a final check over all
 * rows); the primal optimum over w at that b has the slope -sum(y_i
 * alpha_i) in b, and sum(y_i alpha_i) falls as b grows, so the b where it
 * is zero, libsvm's equality constraint, is found by bracketing and
 * regula falsi, each solve warm from the last. The result is the libsvm
 * solution up to the tolerances: its rows on or inside the margin are
 * the support vectors of the exact fit. Leaves w in k->w, alpha per row
 * in k->margin. */
#define KZ_DCD_PASSES_B 1000
#define KZ_DCD_EPS_EXACT 0.1 /* its tolerance for the final fit */

static void dcd_solve(kz_worker *k, const int *rows, size_t n, const int *y, double cpos,
                      double cneg, double *bp, int learn_b, double eps, int max_passes,
                      uint64_t *rng) {
  double b = *bp;
  const kuzat_trainset *t = k->t;
  double *w = k->w, *alpha = k->margin;
  int *idx = k->ws; /* free until the libsvm fit */
  memcpy(idx, rows, n * sizeof *idx);
  size_t active = n;
  double pg_max_old = INFINITY, pg_min_old = -INFINITY;
  for (int pass = 0; pass < max_passes; pass++) {
    for (size_t i = active; i > 1; i--) {
      *rng ^= *rng << 13;
      *rng ^= *rng >> 7;
      *rng ^= *rng << 17;
      size_t j = (size_t)(*rng % i);
      int tmp = idx[i - 1];
      idx[i - 1] = idx[j];
      idx[j] = tmp;
    }
    double pg_max = -INFINITY, pg_min = INFINITY;
    for (size_t s = 0; s < active;) {
      int r = idx[s];
      const kuzat_feature *x = t->x[r];
      double yr = y[r], U = yr > 0 ? cpos : cneg, a = alpha[r];
      double g = yr * (dot(w, x) + b) - 1, pg = 0;
      if (a <= 0) {
        if (g > pg_max_old) { /* shrink */
          idx[s] = idx[--active];
          idx[active] = r;
          continue;
        }
        if (g < 0) pg = g;
      } else if (a >= U) {
        if (g < pg_min_old) {
          idx[s] = idx[--active];
          idx[active] = r;
          continue;
        }
        if (g > 0) pg = g;
      } else {
        pg = g;
      }
      s++;
      if (pg > pg_max) pg_max = pg;
      if (pg < pg_min) pg_min = pg;
      if (fabs(pg) <= 1e-12) continue;
      double q = k->qd[r] + learn_b, na = q > 0 ? a - g / q : g < 0 ? U : 0;
      na = na < 0 ? 0 : na > U ? U : na;
      double d = (na - a) * yr;
      alpha[r] = na;
      if (d != 0) {
        for (const kuzat_feature *f = x; f->index != -1; f++) w[f->index] += d * f->value;
        if (learn_b) b += d;
      }
    }
    if (pg_max - pg_min <= eps) {
      if (active == n) break;
      active = n; /* a last pass over every row */
      pg_max_old = INFINITY;
      pg_min_old = -INFINITY;
      continue;
    }
    pg_max_old = pg_max > 0 ? pg_max : INFINITY;
    pg_min_old = pg_min < 0 ? pg_min : -INFINITY;
  }
  *bp = b;
}

static double dcd_free_bias(kz_worker *k, const int *rows, size_t n, const int *y, double cpos,
                            double cneg, double eps) {
  const kuzat_trainset *t = k->t;
  memset(k->w, 0, ((size_t)1 << t->fp.bits) * sizeof *k->w + sizeof *k->w);
  for (size_t i = 0; i < n; i++) k->margin[rows[i]] = 0;
  uint64_t rng = k->p->seed ^ 0x2545F4914F6CDD1Dull;
  double b = 0, g;
  /* sum(y alpha) at b */
#define KZ_SLOPE(b_, g_)                                                  \
  do {                                                                    \
    double bb_ = (b_);                                                    \
    dcd_solve(k, rows, n, y, cpos, cneg, &bb_, 0, eps, KZ_DCD_PASSES_B, &rng); \
    double s_ = 0;                                                        \
    for (size_t i_ = 0; i_ < n; i_++) s_ += y[rows[i_]] * k->margin[rows[i_]]; \
    (g_) = s_;                                                            \
  } while (0)
  KZ_SLOPE(b, g);
  if (g == 0) return b;
  /* bracket: lo has g > 0, hi has g < 0 */
  double lo = b, glo = g, hi = b, ghi = g, step = 0.25;
  if (g > 0) {
    for (int it = 0; it < 60 && ghi > 0; it++) {
      lo = hi;
      glo = ghi;
      hi += step;
      step *= 2;
      KZ_SLOPE(hi, ghi);
    }
  } else {
    for (int it = 0; it < 60 && glo < 0; it++) {
      hi = lo;
      ghi = glo;
      lo -= step;
      step *= 2;
      KZ_SLOPE(lo, glo);
    }
  }
  if (ghi == 0) return hi;
  if (glo == 0) return lo;
  /* Illinois regula falsi */
  int side = 0;
  b = lo;
  for (int it = 0; it < 60 && hi - lo > 1e-3; it++) {
    b = (lo * ghi - hi * glo) / (ghi - glo);
    if (!(b > lo && b < hi)) b = (lo + hi) / 2;
    KZ_SLOPE(b, g);
    if (g == 0) break;
    if (g > 0) {
      lo = b;
      glo = g;
      if (side == 1) ghi /= 2;
      side = 1;
    } else {
      hi = b;
      ghi = g;
      if (side == -1) glo /= 2;
      side = -1;
    }
  }
#undef KZ_SLOPE
  return b;
}

/* ---- The exact fit for large sets: libsvm's solver, decomposed --------- */

/* The dual libsvm solves (C-SVC): min 1/2 a'Qa - sum(a), Q_ij = y_i y_j
 * x_i.x_j, 0 <= a_i <= C_i, sum(y_i a_i) = 0, stopped when the most
 * violating pair is within eps (Fan, Chen and Lin, JMLR 2005, as in
 * libsvm's Solver). For the linear kernel every gradient G_i = y_i w.x_i
 * - 1 costs one sparse dot product with w = sum(a_i y_i x_i), so the whole
 * problem never needs its kernel matrix: starting from coordinate
 * descent's solution, each round computes every gradient from w, stops
 * when libsvm's own criterion holds over all rows, and otherwise runs
 * libsvm's pair steps (second-order working-set selection, the same
 * updates and clipping) on the rows that violate the conditions or lie
 * near the margin, whose kernel matrix is small; rows far inside the
 * margin at C, or far outside at 0, stay fixed, as libsvm's shrinking
 * leaves them. The bias is libsvm's rho from the final gradients. */
#define KZ_SMO_EPS 1e-3   /* libsvm's default stopping tolerance */
#define KZ_SMO_MAXW 4000  /* most rows in one round's subproblem */
#define KZ_SMO_NEAR 0.2   /* rows within this of a KKT violation join it */
#define KZ_SMO_ROUNDS 500
#define KZ_TAU 1e-12

/* x_i . x_j for i, j < n into acc[0..i], from the postings. */
static void gram_row(kz_worker *k, const int *rows, size_t i, double *acc) {
  const uint32_t *off = k->post_off;
  memset(acc, 0, (i + 1) * sizeof *acc);
  for (const kuzat_feature *f = k->t->x[rows[i]]; f->index != -1; f++) {
    double v = f->value;
    for (uint32_t q = off[f->index - 1], e = off[f->index]; q < e; q++) {
      int j = k->post_row[q];
      if ((size_t)j > i) break;
      acc[j] += v * k->post_val[q];
    }
  }
}

static void w_from_alpha(kz_worker *k, const int *rows, size_t n, const int *y,
                         const double *alpha) {
  memset(k->w, 0, ((size_t)1 << k->t->fp.bits) * sizeof *k->w + sizeof *k->w);
  for (size_t i = 0; i < n; i++) {
    int r = rows[i];
    double c = alpha[r] * y[r];
    if (c != 0)
      for (const kuzat_feature *f = k->t->x[r]; f->index != -1; f++) k->w[f->index] += c * f->value;
  }
}

typedef struct kz_key {
  double key;
  int row;
} kz_key;

static int key_cmp(const void *a, const void *b) {
  const kz_key *p = a, *q = b;
  if (p->key != q->key) return p->key < q->key ? -1 : 1;
  return (p->row > q->row) - (p->row < q->row);
}

/* libsvm's Solver on the subproblem of rows ws[0..m), every other alpha
 * fixed: G holds their gradients, K their kernel matrix (m x m). */
static void smo_sub(size_t m, const double *K, const double *qd, const double *yy, const double *U, double *a,
                    double *G, double eps) {
  size_t max_iter = 100 * m + 100000;
  for (size_t iter = 0; iter < max_iter; iter++) {
    double gmax = -INFINITY, gmax2 = -INFINITY;
    size_t i = (size_t)-1, j = (size_t)-1;
    for (size_t t = 0; t < m; t++) {
      if (yy[t] > 0) {
        if (a[t] < U[t] && -G[t] >= gmax) gmax = -G[t], i = t;
      } else if (a[t] > 0 && G[t] >= gmax) {
        gmax = G[t], i = t;
      }
    }
    if (i == (size_t)-1) break;
    const double *Ki = K + i * m;
    double obj_min = INFINITY;
    for (size_t t = 0; t < m; t++) {
      if (yy[t] > 0) {
        if (a[t] > 0) {
          double gd = gmax + G[t];
          if (G[t] >= gmax2) gmax2 = G[t];
          if (gd > 0) {
            double qc = Ki[i] + qd[t] - 2.0 * Ki[t];
            if (qc <= 0) qc = KZ_TAU;
            double od = -(gd * gd) / qc;
            if (od <= obj_min) j = t, obj_min = od;
          }
        }
      } else if (a[t] < U[t]) {
        double gd = gmax - G[t];
        if (-G[t] >= gmax2) gmax2 = -G[t];
        if (gd > 0) {
          double qc = Ki[i] + qd[t] - 2.0 * Ki[t];
          if (qc <= 0) qc = KZ_TAU;
          double od = -(gd * gd) / qc;
          if (od <= obj_min) j = t, obj_min = od;
        }
      }
    }
    if (gmax + gmax2 < eps || j == (size_t)-1) break;
    const double *Kj = K + j * m;
    double qij = yy[i] * yy[j] * Ki[j], Ci = U[i], Cj = U[j];
    double oi = a[i], oj = a[j];
    if (yy[i] != yy[j]) {
      double qc = Ki[i] + Kj[j] + 2 * qij;
      if (qc <= 0) qc = KZ_TAU;
      double delta = (-G[i] - G[j]) / qc, diff = a[i] - a[j];
      a[i] += delta;
      a[j] += delta;
      if (diff > 0) {
        if (a[j] < 0) a[j] = 0, a[i] = diff;
      } else if (a[i] < 0) {
        a[i] = 0, a[j] = -diff;
      }
      if (diff > Ci - Cj) {
        if (a[i] > Ci) a[i] = Ci, a[j] = Ci - diff;
      } else if (a[j] > Cj) {
        a[j] = Cj, a[i] = Cj + diff;
      }
    } else {
      double qc = Ki[i] + Kj[j] - 2 * qij;
      if (qc <= 0) qc = KZ_TAU;
      double delta = (G[i] - G[j]) / qc, sum = a[i] + a[j];
      a[i] -= delta;
      a[j] += delta;
      if (sum > Ci) {
        if (a[i] > Ci) a[i] = Ci, a[j] = sum - Ci;
      } else if (a[j] < 0) {
        a[j] = 0, a[i] = sum;
      }
      if (sum > Cj) {
        if (a[j] > Cj) a[j] = Cj, a[i] = sum - Cj;
      } else if (a[i] < 0) {
        a[i] = 0, a[j] = sum;
      }
    }
    double di = a[i] - oi, dj = a[j] - oj;
    for (size_t t = 0; t < m; t++)
      G[t] += yy[t] * (yy[i] * Ki[t] * di + yy[j] * Kj[t] * dj);
  }
}

/* libsvm's rho from the gradients G (by row) of rows[0..n). */
static double calc_rho(const int *rows, size_t n, const int *y, const double *alpha,
                       const double *G, double cpos, double cneg) {
  double ub = INFINITY, lb = -INFINITY, sum = 0;
  size_t nfree = 0;
  for (size_t i = 0; i < n; i++) {
    int r = rows[i];
    double yg = y[r] * G[r], U = y[r] > 0 ? cpos : cneg;
    if (alpha[r] >= U) {
      if (y[r] < 0) ub = yg < ub ? yg : ub;
      else lb = yg > lb ? yg : lb;
    } else if (alpha[r] <= 0) {
      if (y[r] > 0) ub = yg < ub ? yg : ub;
      else lb = yg > lb ? yg : lb;
    } else {
      nfree++;
      sum += yg;
    }
  }
  return nfree ? sum / (double)nfree : (ub + lb) / 2;
}

/* Every gradient from w, and libsvm's optimality gap; G by row. */
static double gradients(kz_worker *k, const int *rows, size_t n, const int *y, const double *alpha,
                        double *G, double cpos, double cneg, int *iup, int *ilow) {
  double gmax = -INFINITY, gmax2 = -INFINITY;
  *iup = *ilow = -1;
  for (size_t i = 0; i < n; i++) {
    int r = rows[i];
    double U = y[r] > 0 ? cpos : cneg, g = y[r] * dot(k->w, k->t->x[r]) - 1;
    G[r] = g;
    double yg = y[r] * g;
    /* I_up: y = +1 below C, y = -1 above 0; I_low the other way */
    int up = y[r] > 0 ? alpha[r] < U : alpha[r] > 0;
    int low = y[r] > 0 ? alpha[r] > 0 : alpha[r] < U;
    if (up && -yg > gmax) gmax = -yg, *iup = r;
    if (low && yg > gmax2) gmax2 = yg, *ilow = r;
  }
  return gmax + gmax2;
}

static int smo_exact(kz_worker *k, const int *rows, size_t n, const int *y, double cpos,
                     double cneg, double *bias, size_t *nsv) {
  double *alpha = k->margin, *G = k->yd; /* by row */
  kz_key *key = kuzat__malloc(&k->a, n * sizeof *key);
  if (!key) return KUZAT_ENOMEM;
  int rc = KUZAT_OK;
  /* a feasible start: coordinate descent's sum(y alpha) is near 0, not 0;
   * the rows nearest the margin take up the difference */
  w_from_alpha(k, rows, n, y, alpha);
  int iup, ilow;
  gradients(k, rows, n, y, alpha, G, cpos, cneg, &iup, &ilow);
  double rho = calc_rho(rows, n, y, alpha, G, cpos, cneg), s = 0;
  for (size_t i = 0; i < n; i++) s += y[rows[i]] * alpha[rows[i]];
  size_t nk = 0;
  for (size_t i = 0; i < n; i++) {
    int r = rows[i];
    key[nk++] = (kz_key){fabs(G[r] - y[r] * rho), r};
  }
  qsort(key, nk, sizeof *key, key_cmp);
  for (size_t q = 0; q < nk && s != 0; q++) {
    int r = key[q].row;
    double U = y[r] > 0 ? cpos : cneg;
    /* moving alpha_r by d changes s by y_r d */
    double d = -s * y[r], na = alpha[r] + d;
    na = na < 0 ? 0 : na > U ? U : na;
    s += y[r] * (na - alpha[r]);
    alpha[r] = na;
    if (fabs(s) < 1e-12) s = 0;
  }
  /* the rounds' sets overlap much: the kernel values of rows that stay
   * are kept from one round to the next (pos: row -> 1 + its place in
   * the last set, pw: the last set) */
  size_t mcap = n < KZ_SMO_MAXW ? n : KZ_SMO_MAXW, mp = 0;
  double *K = kuzat__malloc(&k->a, mcap * mcap * sizeof *K);
  double *Kp = kuzat__malloc(&k->a, mcap * mcap * sizeof *Kp);
  double *qd = kuzat__malloc(&k->a, mcap * 5 * sizeof *qd);
  int *pw = kuzat__malloc(&k->a, mcap * sizeof *pw), *pos = k->in_ws, *ws = k->ws;
  if (!K || !Kp || !qd || !pw) rc = KUZAT_ENOMEM;
  for (size_t i = 0; i < n; i++) pos[rows[i]] = 0;
  for (int round = 0; !rc && round < KZ_SMO_ROUNDS; round++) {
    w_from_alpha(k, rows, n, y, alpha);
    double gap = gradients(k, rows, n, y, alpha, G, cpos, cneg, &iup, &ilow);
    if (gap < KZ_SMO_EPS || iup < 0 || ilow < 0) break;
    rho = calc_rho(rows, n, y, alpha, G, cpos, cneg);
    /* rows by how near they are to violating: m - 1 = G - y rho */
    nk = 0;
    for (size_t i = 0; i < n; i++) {
      int r = rows[i];
      double Ur = y[r] > 0 ? cpos : cneg, d = G[r] - y[r] * rho, kv;
      if (alpha[r] <= 0) kv = d;
      else if (alpha[r] >= Ur) kv = -d;
      else kv = -fabs(d);
      if (kv < KZ_SMO_NEAR && r != iup && r != ilow) key[nk++] = (kz_key){kv, r};
    }
    qsort(key, nk, sizeof *key, key_cmp);
    size_t m = 0;
    ws[m++] = iup;
    if (ilow != iup) ws[m++] = ilow;
    for (size_t q = 0; q < nk && m < mcap; q++) ws[m++] = key[q].row;
    /* rows of the last set first, in their order; then the new ones */
    size_t nold = 0, c = 0;
    for (size_t i = 0; i < m; i++)
      if (pos[ws[i]]) key[c++].row = ws[i];
    nold = c;
    for (size_t i = 0; i < m; i++)
      if (!pos[ws[i]]) key[c++].row = ws[i];
    for (size_t i = 0; i < m; i++) ws[i] = key[i].row;
    for (size_t i = 0; i < nold; i++) {
      const double *old = Kp + (size_t)(pos[ws[i]] - 1) * mp;
      for (size_t j = 0; j <= i; j++) K[i * m + j] = old[pos[ws[j]] - 1];
    }
    if (nold < m) {
      if ((rc = postings(k, ws, m))) break;
      for (size_t i = nold; i < m; i++) gram_row(k, ws, i, K + i * m);
    }
    double *yy = qd + m, *U = yy + m, *a = U + m, *g = a + m;
    for (size_t i = 0; i < m; i++) {
      for (size_t j = 0; j < i; j++) K[j * m + i] = K[i * m + j];
      int r = ws[i];
      qd[i] = K[i * m + i];
      yy[i] = y[r];
      U[i] = y[r] > 0 ? cpos : cneg;
      a[i] = alpha[r];
      g[i] = G[r];
    }
    smo_sub(m, K, qd, yy, U, a, g, KZ_SMO_EPS);
    for (size_t i = 0; i < m; i++) alpha[ws[i]] = a[i];
    /* this set becomes the last one */
    for (size_t q = 0; q < mp; q++) pos[pw[q]] = 0;
    for (size_t i = 0; i < m; i++) {
      pos[ws[i]] = (int)i + 1;
      pw[i] = ws[i];
    }
    mp = m;
    double *tk = K;
    K = Kp;
    Kp = tk;
  }
  kuzat__free(&k->a, K);
  kuzat__free(&k->a, Kp);
  kuzat__free(&k->a, qd);
  kuzat__free(&k->a, pw);
  kuzat__free(&k->a, key);
  if (rc) return rc;
  w_from_alpha(k, rows, n, y, alpha);
  gradients(k, rows, n, y, alpha, G, cpos, cneg, &iup, &ilow);
  *bias = -calc_rho(rows, n, y, alpha, G, cpos, cneg);
  *nsv = 0;
  for (size_t i = 0; i < n; i++) *nsv += alpha[rows[i]] > 0;
  return KUZAT_OK;
}

/* Fit on rows[0..n) (labels y per row index). Linear, with `exact`: the
 * libsvm solution, from libsvm itself over the precomputed kernel when
 * the set is small (or its Gram matrix cached), else from the
 * decomposition above seeded by coordinate descent; without `exact`,
 * coordinate descent alone (cross-validation), warm from the solution at
 * the C `warm` of the same fold when that is not 0. */
static int fit(kz_worker *k, const int *rows, size_t n, const int *y, double C, int exact,
               double warm, kz_fit *out) {
  size_t npos = 0;
  for (size_t i = 0; i < n; i++) npos += y[rows[i]] > 0;
  if (npos == 0 || npos == n) return KUZAT_EINVAL;
  double wpos = (double)n / (2.0 * (double)npos), wneg = (double)n / (2.0 * (double)(n - npos));
  memset(out, 0, sizeof *out);
  k->gram_dim = 0; /* a new working set */
  if (k->p->kernel == KUZAT_KERNEL_RBF) {
    out->svm = libsvm_fit(k, rows, n, y, C, wpos, wneg);
    if (!out->svm) return KUZAT_ENOMEM;
    out->nsv = (size_t)out->svm->l;
    return KUZAT_OK;
  }
  /* Small sets, or any set when the whole Gram matrix is cached: libsvm
   * over the precomputed kernel, exact and fastest. Otherwise coordinate
   * descent: alone for cross-validation, and as the start of the exact
   * decomposition for the final fit. */
  int small = n <= KZ_WS_START, use_dcd = !small && !k->full_gram;
  if (use_dcd && !exact) {
    size_t buckets = (size_t)1 << k->t->fp.bits;
    if (warm > 0) { /* the solution at the previous C, scaled, stays feasible */
      double f = C / warm;
      for (size_t b = 0; b <= buckets; b++) k->w[b] *= f;
      for (size_t i = 0; i < n; i++) k->margin[rows[i]] *= f;
      k->cv_bias *= f;
    } else {
      memset(k->w, 0, (buckets + 1) * sizeof *k->w);
      for (size_t i = 0; i < n; i++) k->margin[rows[i]] = 0;
      k->cv_bias = 0;
    }
    uint64_t rng = k->p->seed ^ 0x2545F4914F6CDD1Dull;
    dcd_solve(k, rows, n, y, C * wpos, C * wneg, &k->cv_bias, 1, KZ_DCD_EPS, KZ_DCD_PASSES, &rng);
    out->bias = k->cv_bias;
    out->w = k->w;
    for (size_t i = 0; i < n; i++) out->nsv += k->margin[rows[i]] > 0;
    return KUZAT_OK;
  }
  if (use_dcd) {
    out->bias = dcd_free_bias(k, rows, n, y, C * wpos, C * wneg, KZ_DCD_EPS_EXACT);
    int rc = smo_exact(k, rows, n, y, C * wpos, C * wneg, &out->bias, &out->nsv);
    out->w = k->w;
    return rc;
  }
  /* first working set: every row of a small set, else every k-th row;
   * then the rows the fit leaves inside the margin join, until none */
  size_t nws = 0, step = n > KZ_WS_START ? n / KZ_WS_START : 1;
  for (size_t i = 0; i < n; i++) k->in_ws[rows[i]] = 0;
  for (size_t i = 0; i < n; i++) {
    int r = rows[i];
    if (small || i % step == 0) {
      k->ws[nws++] = r;
      k->in_ws[r] = 1;
    }
  }
  for (;;) {
    struct svm_model *s = libsvm_fit(k, k->ws, nws, y, C, wpos, wneg);
    if (!s) return KUZAT_ENOMEM;
    out->bias = collapse(k, s, k->ws);
    out->nsv = (size_t)s->l;
    svm_free_and_destroy_model(&s);
    /* rows outside the set that the fit leaves inside the margin */
    size_t added = 0, inside = 0;
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
      int r = rows[i];
      if (k->in_ws[r]) continue;
      double m = y[r] * (dot(k->w, k->t->x[r]) + out->bias);
      if (m < 1 - KZ_WS_TOL) {
        inside++;
        if (m < worst || inside == 1) worst = m;
      }
      k->margin[r] = m;
    }
    if (!inside) break;
    /* add the violators, most violating first when there are many: a
     * threshold on the margin found by bisection keeps this linear */
    double cut = 1 - KZ_WS_TOL;
    if (inside > KZ_WS_ADD) {
      double lo = worst, hi = 1 - KZ_WS_TOL;
      for (int it = 0; it < 40; it++) {
        double mid = (lo + hi) / 2;
        size_t c = 0;
        for (size_t i = 0; i < n; i++)
          if (!k->in_ws[rows[i]] && k->margin[rows[i]] < mid) c++;
        if (c > KZ_WS_ADD) hi = mid;
        else lo = mid;
      }
      cut = lo > worst ? lo : hi;
    }
    for (size_t i = 0; i < n; i++) {
      int r = rows[i];
      if (!k->in_ws[r] && k->margin[r] < cut) {
        k->ws[nws++] = r;
        k->in_ws[r] = 1;
        added++;
      }
    }
    if (!added) break; /* cannot happen: the worst row is below any cut */
  }
  out->w = k->w;
  return KUZAT_OK;
}

/* Decision value of row r under a fit. */
static double decide(const kz_worker *k, const kz_fit *f, int r) {
  if (f->svm) {
    double v;
    svm_predict_values(f->svm, (const struct svm_node *)k->t->x[r], &v);
    return f->svm->label[0] == 1 ? v : -v;
  }
  return dot(f->w, k->t->x[r]) + f->bias;
}

/* ---------------------------------------------------------------------- */
/* One marker                                                               */
/* ---------------------------------------------------------------------- */

typedef struct kz_job {
  kz_worker *k;
  size_t label;      /* index into the label table */
  size_t slot;       /* index of the marker in the model */
  kz_marker *out;
  kuzat_train_marker *rep;
  double *oof;       /* rows * markers */
  int *truth;
  size_t markers;
  const unsigned char *kind; /* per row: KZ_BENIGN, KZ_DECISION_ONLY, KZ_MARKED */
  int decision;      /* this job's label is params->decision */
  int rc;
  char msg[200];
  /* progress */
  pthread_mutex_t *lock;
  size_t *done, total;
} kz_job;

/* What a row's labels say, the labels given as negatives left aside. */
enum { KZ_BENIGN, KZ_DECISION_ONLY, KZ_MARKED };

/* A benign row's score and document, for counting distinct documents. */
typedef struct kz_benign {
  uint64_t doc;
  double s;
} kz_benign;

static int by_doc(const void *pa, const void *pb) {
  const kz_benign *a = pa, *b = pb;
  return a->doc < b->doc ? -1 : a->doc > b->doc;
}

/* The lowest threshold at which at most a fraction `fpr` of the benign
 * documents (rows with no marker) is flagged in every (language, family)
 * cell with at least 1/fpr distinct benign documents; cells too small to
 * measure that rate, and rows of no family, do not bound it. Copies of a
 * document (the same vector: a caller's way to weight rows) count once,
 * since a rate over copies would let one text decide a cell. The threshold
 * lies just above the highest benign score each cell must not flag; *cells
 * says how many cells bound it (0: none is large enough). */
static int fpr_threshold(kz_worker *k, const double *prob, const unsigned char *kind,
                         double fpr, double *out, size_t *cells) {
  const kuzat_trainset *t = k->t;
  size_t n = t->n, least = (size_t)ceil(1.0 / fpr - 1e-9);
  kz_benign *s = kuzat__malloc(&k->a, (n + 1) * sizeof *s);
  uint64_t *seen = kuzat__malloc(&k->a, (n + 1) * sizeof *seen);
  if (!s || !seen) {
    kuzat__free(&k->a, s);
    kuzat__free(&k->a, seen);
    return KUZAT_ENOMEM;
  }
  double best = 0;
  size_t nseen = 0;
  *cells = 0;
  for (int l = 0; l < KUZAT_LANG_COUNT; l++) {
    nseen = 0;
    for (;;) {
      uint64_t fam = 0;
      { /* the next family of language l not yet measured */
        size_t r = 0;
        for (; r < n; r++) {
          if (kind[r] != KZ_BENIGN || t->lang[r] != l || !t->family[r]) continue;
          size_t q = 0;
          while (q < nseen && seen[q] != t->family[r]) q++;
          if (q == nseen) break;
        }
        if (r == n) break;
        fam = seen[nseen++] = t->family[r];
      }
      size_t m = 0;
      for (size_t r = 0; r < n; r++)
        if (kind[r] == KZ_BENIGN && t->lang[r] == l && t->family[r] == fam) {
          s[m].doc = t->doc[r];
          s[m++].s = prob[r];
        }
      /* one entry per distinct document (copies share their fold, so their
       * score); the sort makes the result independent of row order */
      if (m > 1) qsort(s, m, sizeof *s, by_doc);
      size_t u = 0;
      for (size_t i = 0; i < m; i++)
        if (u == 0 || s[i].doc != s[u - 1].doc) s[u++] = s[i];
        else if (s[i].s > s[u - 1].s) s[u - 1].s = s[i].s;
      if (u < least) continue;
      size_t allowed = (size_t)floor(fpr * (double)u + 1e-9);
      if (allowed >= u) continue;
      /* the (allowed+1)-th highest score must not be flagged */
      for (size_t i = 0; i <= allowed; i++) { /* partial selection sort */
        size_t hi = i;
        for (size_t j = i + 1; j < u; j++)
          if (s[j].s > s[hi].s) hi = j;
        kz_benign tmp = s[i];
        s[i] = s[hi];
        s[hi] = tmp;
      }
      double need = nextafter(s[allowed].s, INFINITY);
      ++*cells;
      if (need > best) best = need;
    }
  }
  kuzat__free(&k->a, s);
  kuzat__free(&k->a, seen);
  *out = best;
  return KUZAT_OK;
}

/* Fold of every row: groups holding positives first, each list in an order
 * set by the seed, dealt round-robin. */
static int assign_folds(kz_worker *k, const int *y, int *fold) {
  const kuzat_trainset *t = k->t;
  size_t n = t->n;
  /* sort row indices by (group holds a positive, seeded group hash) */
  uint64_t *key = kuzat__malloc(&k->a, n * sizeof *key);
  int *ord = kuzat__malloc(&k->a, n * sizeof *ord);
  if (!key || !ord) {
    kuzat__free(&k->a, key);
    kuzat__free(&k->a, ord);
    return KUZAT_ENOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    key[i] = XXH3_64bits_withSeed(&t->group[i], 8, k->p->seed);
    ord[i] = (int)i;
  }
  /* Shell sort by (key, row): qsort has no context argument in C11, and
   * the order must not depend on anything but the data and the seed. */
  for (size_t gap = n / 2; gap > 0; gap /= 2)
    for (size_t i = gap; i < n; i++) {
      int tmp = ord[i];
      size_t j = i;
      while (j >= gap && (key[ord[j - gap]] > key[tmp] ||
                          (key[ord[j - gap]] == key[tmp] && ord[j - gap] > tmp))) {
        ord[j] = ord[j - gap];
        j -= gap;
      }
      ord[j] = tmp;
    }
  /* groups are now runs of equal keys; deal positive groups, then others */
  int folds = k->p->folds;
  size_t deal = 0;
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < n;) {
      size_t j = i;
      int pos = 0;
      while (j < n && key[ord[j]] == key[ord[i]]) pos |= y[ord[j++]] > 0;
      if (pos == (pass == 0)) {
        for (size_t q = i; q < j; q++) fold[ord[q]] = (int)(deal % (size_t)folds);
        deal++;
      }
      i = j;
    }
  kuzat__free(&k->a, key);
  kuzat__free(&k->a, ord);
  return KUZAT_OK;
}

static void tick(kz_job *j) {
  const kuzat_train_params *p = j->k->p;
  if (!p->progress) return;
  pthread_mutex_lock(j->lock);
  double f = (double)++*j->done / (double)j->total;
  pthread_mutex_unlock(j->lock);
  p->progress(p->progress_ud, f);
}

static int train_marker(kz_job *j) {
  kz_worker *k = j->k;
  const kuzat_trainset *t = k->t;
  const kuzat_train_params *p = k->p;
  size_t n = t->n;
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  const double *grid = p->grid_len ? p->grid : default_grid;
  size_t ng = p->grid_len ? p->grid_len : sizeof default_grid / sizeof default_grid[0];
  int *y = kuzat__malloc(&k->a, n * sizeof *y), *fold = kuzat__malloc(&k->a, n * sizeof *fold);
  int *rows = kuzat__malloc(&k->a, n * sizeof *rows), *lab01 = kuzat__malloc(&k->a, n * sizeof *lab01);
  double *dec = kuzat__malloc(&k->a, ng * n * sizeof *dec);
  int rc = (!y || !fold || !rows || !lab01 || !dec) ? KUZAT_ENOMEM : KUZAT_OK;
  size_t npos = 0, nk = 0; /* positives; rows whose truth is known */
  for (size_t r = 0; !rc && r < n; r++) {
    y[r] = -1;
    for (uint32_t q = t->lab_off[r]; q < t->lab_off[r + 1]; q++)
      if (t->labs[q] == j->label) y[r] = 1;
    /* a row labelled with the decision alone says nothing of the others */
    if (y[r] < 0 && !j->decision && j->kind[r] == KZ_DECISION_ONLY) y[r] = 0;
    npos += y[r] > 0;
    lab01[r] = y[r] > 0;
    nk += y[r] != 0;
  }
  const char *name = t->names[j->label];
  if (!rc && (npos == 0 || npos == nk)) {
    snprintf(j->msg, sizeof j->msg, "marker \"%s\" has only %s examples", name,
             npos ? "positive" : "negative");
    rc = KUZAT_EINVAL;
  }
  if (!rc) rc = assign_folds(k, y, fold);
  /* cross-validation over the grid */
  for (int f = 0; !rc && f < p->folds; f++)
    for (size_t g = 0; !rc && g < ng; g++) {
      size_t m = 0;
      for (size_t r = 0; r < n; r++)
        if (fold[r] != f && y[r]) rows[m++] = (int)r;
      kz_fit fit_f;
      rc = fit(k, rows, m, y, grid[g], 0, g ? grid[g - 1] : 0, &fit_f);
      if (rc == KUZAT_EINVAL) {
        snprintf(j->msg, sizeof j->msg,
                 "marker \"%s\": cross-validation fold %d has no %s outside it (its %zu "
                 "positives are in too few groups for %d folds)", name, f + 1,
                 npos ? "positive" : "negative", npos, p->folds);
        break;
      }
      if (rc) break;
      for (size_t r = 0; r < n; r++)
        if (fold[r] == f) dec[g * n + r] = decide(k, &fit_f, (int)r);
      if (fit_f.svm) svm_free_and_destroy_model(&fit_f.svm);
      tick(j);
    }
  /* rows of known truth first, in order, so that the metrics, Platt and the
   * threshold below see those alone: dec's columns and lab01 are packed */
  if (!rc && nk < n)
    for (size_t g = 0; g < ng; g++) {
      size_t m = 0;
      for (size_t r = 0; r < n; r++)
        if (y[r]) {
          dec[g * n + m] = dec[g * n + r];
          if (g == 0) lab01[m] = lab01[r], rows[m] = (int)r;
          m++;
        }
    }
  else if (!rc)
    for (size_t r = 0; r < n; r++) rows[r] = (int)r;
  /* the best C by out-of-fold average precision */
  size_t best = 0;
  double best_ap = -1;
  for (size_t g = 0; !rc && g < ng; g++) {
    kuzat_metrics mt;
    if ((rc = kuzat_metrics_compute(dec + g * n, lab01, nk, 0, NULL, &mt))) break;
    if (mt.pr_auc > best_ap + 1e-12 || (fabs(mt.pr_auc - best_ap) <= 1e-12 && grid[g] < grid[best])) {
      best_ap = mt.pr_auc;
      best = g;
    }
  }
  kz_marker *out = j->out;
  if (!rc) rc = kuzat_platt_fit(dec + best * n, lab01, nk, &out->platt_a, &out->platt_b);
  for (size_t r = 0; !rc && r < n; r++) { /* rows of unknown truth: -1 */
    j->oof[r * j->markers + j->slot] = -1;
    j->truth[r * j->markers + j->slot] = -1;
  }
  for (size_t i = 0; !rc && i < nk; i++) {
    size_t r = (size_t)rows[i];
    j->oof[r * j->markers + j->slot] = kuzat_platt_prob(out->platt_a, out->platt_b, dec[best * n + i]);
    j->truth[r * j->markers + j->slot] = lab01[i];
  }
  if (!rc) {
    /* the threshold on probabilities: gather this marker's column */
    double *col = dec; /* reuse: the grid's scores are no longer needed */
    for (size_t i = 0; i < nk; i++) col[i] = j->oof[(size_t)rows[i] * j->markers + j->slot];
    double base = 0, bound = 0;
    size_t cells = 0;
    rc = kuzat_threshold_choose(col, lab01, nk, p->target_precision, NULL, &base);
    if (!rc && p->target_fpr > 0) {
      for (size_t r = 0; r < n; r++) col[r] = j->oof[r * j->markers + j->slot];
      rc = fpr_threshold(k, col, j->kind, p->target_fpr, &bound, &cells);
    }
    /* no family large enough to measure the rate: as without the bound */
    out->threshold = !cells ? base : j->decision || bound > base ? bound : base;
  }
  /* the final fit on every row of known truth (rows[0 .. nk)) */
  kz_fit final;
  memset(&final, 0, sizeof final);
  if (!rc) {
    rc = fit(k, rows, nk, y, grid[best], 1, 0, &final);
    tick(j);
  }
  if (!rc) {
    size_t nl = strlen(name);
    out->name = kuzat__malloc(&k->a, nl + 1);
    if (!out->name) rc = KUZAT_ENOMEM;
    else memcpy(out->name, name, nl + 1);
    out->kernel = p->kernel;
    out->C = grid[best];
    out->gamma = p->kernel == KUZAT_KERNEL_RBF ? p->gamma : 0;
  }
  if (!rc && p->kernel == KUZAT_KERNEL_LINEAR) {
    out->bias = final.bias;
    size_t buckets = (size_t)1 << t->fp.bits, nnz = 0;
    for (size_t b = 1; b <= buckets; b++) nnz += final.w[b] != 0;
    out->idx = kuzat__malloc(&k->a, nnz * sizeof *out->idx + 1);
    out->w = kuzat__malloc(&k->a, nnz * sizeof *out->w + 1);
    if (!out->idx || !out->w) rc = KUZAT_ENOMEM;
    for (size_t b = 1; !rc && b <= buckets; b++)
      if (final.w[b] != 0) {
        out->idx[out->nnz] = (uint32_t)b;
        out->w[out->nnz++] = final.w[b];
      }
  } else if (!rc) { /* RBF: copy the support vectors out of libsvm's model */
    struct svm_model *s = final.svm;
    double sign = s->label[0] == 1 ? 1.0 : -1.0;
    size_t total = 0;
    for (int i = 0; i < s->l; i++) {
      const struct svm_node *x = s->SV[i];
      while (x->index != -1) x++;
      total += (size_t)(x - s->SV[i]) + 1;
    }
    out->nsv = (uint32_t)s->l;
    out->bias = -s->rho[0] * sign;
    out->sv_coef = kuzat__malloc(&k->a, (size_t)s->l * sizeof *out->sv_coef + 1);
    out->sv_ptr = kuzat__malloc(&k->a, (size_t)s->l * sizeof *out->sv_ptr + 1);
    out->sv_nodes = kuzat__malloc(&k->a, total * sizeof *out->sv_nodes + 1);
    if (!out->sv_coef || !out->sv_ptr || !out->sv_nodes) rc = KUZAT_ENOMEM;
    struct svm_node *node = out->sv_nodes;
    for (int i = 0; !rc && i < s->l; i++) {
      out->sv_coef[i] = s->sv_coef[0][i] * sign;
      out->sv_ptr[i] = node;
      const struct svm_node *x = s->SV[i];
      do *node++ = *x; while ((x++)->index != -1);
    }
  }
  if (final.svm) svm_free_and_destroy_model(&final.svm);
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  j->rep->name = out->name;
  j->rep->C = out->C;
  j->rep->positives = npos;
  j->rep->negatives = nk - npos;
  j->rep->support_vectors = final.nsv;
  j->rep->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
  kuzat__free(&k->a, y);
  kuzat__free(&k->a, fold);
  kuzat__free(&k->a, rows);
  kuzat__free(&k->a, lab01);
  kuzat__free(&k->a, dec);
  if (rc == KUZAT_ENOMEM) snprintf(j->msg, sizeof j->msg, "out of memory");
  j->rc = rc;
  return rc;
}

/* ---------------------------------------------------------------------- */
/* All markers                                                              */
/* ---------------------------------------------------------------------- */

typedef struct kz_pool {
  kz_job *jobs;
  size_t njobs, next;
  pthread_mutex_t lock;
} kz_pool;

typedef struct kz_thread {
  kz_pool *pool;
  kz_worker k;
} kz_thread;

static void *worker_main(void *arg) {
  kz_thread *th = arg;
  for (;;) {
    pthread_mutex_lock(&th->pool->lock);
    size_t i = th->pool->next++;
    pthread_mutex_unlock(&th->pool->lock);
    if (i >= th->pool->njobs) break;
    kz_job *j = &th->pool->jobs[i];
    j->k = &th->k;
    train_marker(j);
  }
  return NULL;
}

static int worker_init(kz_worker *k, const kuzat_trainset *t, const kuzat_train_params *p) {
  size_t n = t->n, buckets = (size_t)1 << t->fp.bits;
  k->t = t;
  k->p = p;
  k->a = t->a;
  k->w = kuzat__calloc(&k->a, buckets + 1, sizeof *k->w);
  k->in_ws = kuzat__malloc(&k->a, n * sizeof *k->in_ws);
  k->ws = kuzat__malloc(&k->a, n * sizeof *k->ws);
  k->margin = kuzat__malloc(&k->a, n * sizeof *k->margin);
  k->yd = kuzat__malloc(&k->a, n * sizeof *k->yd);
  k->xs = kuzat__malloc(&k->a, n * sizeof *k->xs);
  k->dense = kuzat__calloc(&k->a, buckets + 1, sizeof *k->dense);
  k->post_off = kuzat__malloc(&k->a, (buckets + 2) * sizeof *k->post_off);
  k->acc = kuzat__malloc(&k->a, n * sizeof *k->acc);
  k->qd = kuzat__malloc(&k->a, n * sizeof *k->qd);
  if (!k->w || !k->in_ws || !k->ws || !k->margin || !k->yd || !k->xs || !k->dense ||
      !k->post_off || !k->acc || !k->qd)
    return KUZAT_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    double q = 0;
    for (const kuzat_feature *f = t->x[i]; f->index != -1; f++) q += f->value * f->value;
    k->qd[i] = q;
  }
  return KUZAT_OK;
}

static void worker_free(kz_worker *k) {
  kuzat__free(&k->a, k->w);
  kuzat__free(&k->a, k->in_ws);
  kuzat__free(&k->a, k->ws);
  kuzat__free(&k->a, k->margin);
  kuzat__free(&k->a, k->yd);
  kuzat__free(&k->a, k->xs);
  kuzat__free(&k->a, k->pre);
  kuzat__free(&k->a, k->post_off);
  kuzat__free(&k->a, k->post_row);
  kuzat__free(&k->a, k->post_val);
  kuzat__free(&k->a, k->acc);
  kuzat__free(&k->a, k->qd);
  kuzat__free(&k->a, k->dense);
}

static int is_negative(const kuzat_train_params *p, const char *name) {
  if (!p->negatives) return 0;
  size_t nl = strlen(name);
  for (const char *s = p->negatives; *s;) {
    size_t l = strcspn(s, ",");
    if (l == nl && memcmp(s, name, l) == 0) return 1;
    s += l + (s[l] == ',');
  }
  return 0;
}

int kuzat_train(const kuzat_trainset *t, const kuzat_train_params *params, kuzat_model **out,
                kuzat_train_report **report, kuzat_error *err) {
  kuzat__error_clear(err);
  if (!t || !out) return kuzat__fail(err, KUZAT_EINVAL, "NULL argument");
  *out = NULL;
  if (report) *report = NULL;
  kuzat_train_params p;
  if (params) p = *params;
  else kuzat_train_params_default(&p);
  if (p.folds < 2 || p.folds > 20)
    return kuzat__fail(err, KUZAT_EINVAL, "%d folds: expected 2 to 20", p.folds);
  if (p.kernel != KUZAT_KERNEL_LINEAR && p.kernel != KUZAT_KERNEL_RBF)
    return kuzat__fail(err, KUZAT_EINVAL, "unknown kernel %d", p.kernel);
  if (!(p.gamma > 0)) return kuzat__fail(err, KUZAT_EINVAL, "gamma must be positive");
  for (size_t g = 0; g < p.grid_len; g++)
    if (!(p.grid[g] > 0) || !isfinite(p.grid[g]))
      return kuzat__fail(err, KUZAT_EINVAL, "C values must be positive numbers");
  if (p.target_precision < 0 || p.target_precision > 1)
    return kuzat__fail(err, KUZAT_EINVAL, "target precision %g: expected 0 to 1",
                       p.target_precision);
  if (!(p.target_fpr >= 0 && p.target_fpr < 1))
    return kuzat__fail(err, KUZAT_EINVAL, "target false-positive rate %g: expected 0 to 1",
                       p.target_fpr);
  if (p.threads < 1) p.threads = 1;
  if (t->n == 0) return kuzat__fail(err, KUZAT_EINVAL, "no training data");
  size_t decision = SIZE_MAX;
  for (size_t l = 0; p.decision && *p.decision && l < t->nnames; l++)
    if (strcmp(t->names[l], p.decision) == 0 && !is_negative(&p, t->names[l])) decision = l;
  if (p.decision && *p.decision && decision == SIZE_MAX)
    return kuzat__fail(err, KUZAT_EINVAL, "the decision label \"%.64s\" is no marker of the data",
                       p.decision);
  size_t nm = 0;
  for (size_t l = 0; l < t->nnames; l++) nm += !is_negative(&p, t->names[l]);
  if (nm == 0)
    return kuzat__fail(err, KUZAT_EINVAL,
                       "no marker to train: every label is a negative (or there are none)");
  pthread_once(&quiet_once, make_libsvm_quiet);

  kz_alloc a = t->a;
  kuzat_model *m;
  if (kuzat__model_new(&a, &t->fp, nm, &m)) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  struct kz_report_priv *rep = kuzat__calloc(&a, 1, sizeof *rep);
  if (rep) rep->a = a; /* before anything can fail: the report's free needs it */
  kz_job *jobs = kuzat__calloc(&a, nm, sizeof *jobs);
  int nth = p.threads < (int)nm ? p.threads : (int)nm;
  kz_thread *th = kuzat__calloc(&a, (size_t)nth, sizeof *th);
  unsigned char *kind = kuzat__malloc(&a, t->n + 1);
  int rc = (!rep || !jobs || !th || !kind) ? KUZAT_ENOMEM : KUZAT_OK;
  for (size_t r = 0; !rc && r < t->n; r++) {
    size_t marks = 0, other = 0;
    for (uint32_t q = t->lab_off[r]; q < t->lab_off[r + 1]; q++)
      if (!is_negative(&p, t->names[t->labs[q]])) {
        marks++;
        other += t->labs[q] != decision;
      }
    kind[r] = !marks ? KZ_BENIGN : (decision != SIZE_MAX && !other) ? KZ_DECISION_ONLY : KZ_MARKED;
  }
  if (!rc) {
    rep->marker = kuzat__calloc(&a, nm, sizeof *rep->marker);
    rep->oof = kuzat__calloc(&a, t->n * nm, sizeof *rep->oof);
    rep->truth = kuzat__calloc(&a, t->n * nm, sizeof *rep->truth);
    rep->lang = kuzat__malloc(&a, t->n * sizeof *rep->lang);
    if (!rep->marker || !rep->oof || !rep->truth || !rep->lang) rc = KUZAT_ENOMEM;
  }
  for (int i = 0; !rc && i < nth; i++) rc = worker_init(&th[i].k, t, &p);
  double *full = NULL;
  if (!rc && p.kernel == KUZAT_KERNEL_LINEAR && t->n <= KZ_FULL_GRAM) {
    full = kuzat__malloc(&a, t->n * t->n * sizeof *full);
    if (full) {
      double *d = th[0].k.dense;
      for (size_t i = 0; i < t->n; i++) {
        for (const kuzat_feature *f = t->x[i]; f->index != -1; f++) d[f->index] = f->value;
        for (size_t j = 0; j <= i; j++)
          full[i * t->n + j] = full[j * t->n + i] = sparse_dot_dense(d, t->x[j]);
        for (const kuzat_feature *f = t->x[i]; f->index != -1; f++) d[f->index] = 0;
      }
      for (int i = 0; i < nth; i++) th[i].k.full_gram = full;
    } /* without it, each working set computes its own */
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (!rc) {
    pthread_mutex_t lock;
    pthread_mutex_init(&lock, NULL);
    size_t done = 0;
    size_t ng = p.grid_len ? p.grid_len : sizeof default_grid / sizeof default_grid[0];
    size_t total = nm * (ng * (size_t)p.folds + 1);
    /* markers in the order of their first appearance in the data */
    size_t slot = 0;
    for (size_t l = 0; l < t->nnames; l++) {
      if (is_negative(&p, t->names[l])) continue;
      kz_job *j = &jobs[slot];
      j->label = l;
      j->slot = slot;
      j->out = &m->mk[slot];
      j->rep = &rep->marker[slot];
      j->oof = rep->oof;
      j->truth = rep->truth;
      j->markers = nm;
      j->kind = kind;
      j->decision = l == decision;
      j->lock = &lock;
      j->done = &done;
      j->total = total;
      slot++;
    }
    kz_pool pool = {jobs, nm, 0, PTHREAD_MUTEX_INITIALIZER};
    pthread_t tid[64];
    int started = 0;
    for (int i = 0; i < nth && i < 64; i++) {
      th[i].pool = &pool;
      if (i == 0 || pthread_create(&tid[started], NULL, worker_main, &th[i]) != 0) continue;
      started++;
    }
    worker_main(&th[0]); /* the calling thread works too */
    for (int i = 0; i < started; i++) pthread_join(tid[i], NULL);
    pthread_mutex_destroy(&pool.lock);
    pthread_mutex_destroy(&lock);
    for (size_t i = 0; i < nm && !rc; i++)
      if (jobs[i].rc) rc = kuzat__fail(err, jobs[i].rc, "%s", jobs[i].msg);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  for (int i = 0; i < nth && th; i++) worker_free(&th[i].k);
  kuzat__free(&a, full);
  kuzat__free(&a, kind);
  kuzat__free(&a, th);
  kuzat__free(&a, jobs);
  if (!rc && kuzat__model_finish(m)) rc = KUZAT_ENOMEM;
  if (!rc) rc = kuzat__model_set_id(m); /* the hash of its file content */
  if (rc) {
    if (rc == KUZAT_ENOMEM) kuzat__fail(err, rc, "out of memory");
    kuzat_model_free(m);
    kuzat_train_report_free(rep ? &rep->pub : NULL);
    return rc;
  }
  memcpy(rep->lang, t->lang, t->n * sizeof *rep->lang);
  rep->pub.rows = t->n;
  rep->pub.markers = nm;
  rep->pub.marker = rep->marker;
  rep->pub.oof = rep->oof;
  rep->pub.truth = rep->truth;
  rep->pub.lang = rep->lang;
  rep->pub.seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
  *out = m;
  if (report) *report = &rep->pub;
  else kuzat_train_report_free(&rep->pub);
  return KUZAT_OK;
}
