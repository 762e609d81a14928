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
 *      lightly regularised), which takes seconds where libsvm takes
 *      minutes, and only the final model is libsvm's;
 *   3. Platt's sigmoid and the decision threshold are fitted on those
 *      out-of-fold scores;
 *   4. the final fit on all rows gives the model.
 *
 * The final fit is a libsvm C-SVC with class weights balanced (C+ = C
 * n/2n+, C- = C n/2n-). A linear fit is found by working sets: libsvm fits
 * a subset (seeded with coordinate descent's support vectors), the weights are collapsed to w = sum(alpha_i y_i x_i), every row
 * outside the subset that w leaves inside the margin (y f(x) < 1) joins
 * the subset, and libsvm fits again, until no row is left inside. Rows
 * outside the final subset satisfy the optimality conditions with alpha =
 * 0, so the result is the solution of one libsvm fit on all rows, at a
 * fraction of the cost: most rows are far from the margin and never enter
 * a kernel matrix. RBF fits go to libsvm whole.
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

#define KZ_WS_START 2000  /* rows in the first working set */
#define KZ_WS_ADD 4000    /* most rows added per round */
#define KZ_WS_TOL 1e-3    /* a row is inside the margin when y f(x) < 1 - tol */
#define KZ_MAX_LABELS 1024 /* the most markers a model file holds */

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
  void *bufs[] = {t->x, t->lang, t->group, t->lab_off, t->labs, t->names};
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
  if (t->nnames >= KZ_MAX_LABELS)
    return kuzat__fail(err, KUZAT_EINVAL, "more than %d different labels", KZ_MAX_LABELS);
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
  void *off = group ? resize(&t->a, t->lab_off, c + 1, sizeof *t->lab_off) : NULL;
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
  t->lang[t->n] = l >= 0 ? l : nt.lang;
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
  double *gram;            /* x_i . x_j of the working set, packed lower
                              triangle; rows only ever join the set's end,
                              so each pair is computed once per fit */
  size_t gram_cap, gram_dim;
  double *dense;           /* one row scattered, 2^bits + 1 */
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

/* Fill k->pre with libsvm's precomputed-kernel rows for rows[0..n). */
static int precompute(kz_worker *k, const int *rows, size_t n) {
  size_t need = n * (n + 2);
  if (need > k->pre_cap) {
    void *p = k->a.realloc(k->a.ud, k->pre, need * sizeof *k->pre);
    if (!p) return KUZAT_ENOMEM;
    k->pre = p;
    k->pre_cap = need;
  }
  const kuzat_trainset *t = k->t;
  size_t stride = n + 2;
  for (size_t i = 0; i < n; i++) {
    struct svm_node *row = k->pre + i * stride;
    row[0].index = 0;
    row[0].value = (double)(i + 1); /* libsvm's id of the row */
    row[n + 1].index = -1;
    row[n + 1].value = 0;
    k->xs[i] = row;
  }
  if (!k->full_gram) { /* the pairs of rows that joined since the last call */
    size_t packed = n * (n + 1) / 2;
    if (packed > k->gram_cap) {
      size_t cap = k->gram_cap ? k->gram_cap : 1024;
      while (cap < packed) cap *= 2;
      void *g = k->a.realloc(k->a.ud, k->gram, cap * sizeof *k->gram);
      if (!g) return KUZAT_ENOMEM;
      k->gram = g;
      k->gram_cap = cap;
    }
    for (size_t i = k->gram_dim; i < n; i++) {
      const kuzat_feature *xi = t->x[rows[i]];
      double *gi = k->gram + i * (i + 1) / 2;
      for (const kuzat_feature *f = xi; f->index != -1; f++) k->dense[f->index] = f->value;
      for (size_t j = 0; j <= i; j++) gi[j] = sparse_dot_dense(k->dense, t->x[rows[j]]);
      for (const kuzat_feature *f = xi; f->index != -1; f++) k->dense[f->index] = 0;
    }
    k->gram_dim = n;
  }
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j <= i; j++) {
      double v = k->full_gram ? k->full_gram[(size_t)rows[i] * t->n + (size_t)rows[j]]
                              : k->gram[i * (i + 1) / 2 + j];
      k->pre[i * stride + j + 1] = (struct svm_node){(int)(j + 1), v};
      k->pre[j * stride + i + 1] = (struct svm_node){(int)(i + 1), v};
    }
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
 * ICML 2008) for the same hinge-loss problem with per-class C, with the
 * bias as one more feature of constant 1 (so lightly regularised, where
 * libsvm leaves it free). Each pass costs one sweep over the non-zeros;
 * the cross-validation fits use it, and its support vectors seed the
 * working set of the exact libsvm fit. Leaves w in k->w, the bias in
 * *bias and alpha per row in k->margin. */
#define KZ_DCD_EPS 0.05
#define KZ_DCD_PASSES 200

static void dcd(kz_worker *k, const int *rows, size_t n, const int *y, double cpos, double cneg,
                double *bias) {
  const kuzat_trainset *t = k->t;
  double *w = k->w, b = 0, *alpha = k->margin;
  memset(w, 0, ((size_t)1 << t->fp.bits) * sizeof *w + sizeof *w);
  int *order = k->ws; /* free until the libsvm fit */
  for (size_t i = 0; i < n; i++) {
    alpha[rows[i]] = 0;
    order[i] = rows[i];
  }
  uint64_t rng = k->p->seed ^ 0x2545F4914F6CDD1Dull;
  for (int pass = 0; pass < KZ_DCD_PASSES; pass++) {
    for (size_t i = n; i > 1; i--) { /* a seeded shuffle: same data, same path */
      rng ^= rng << 13;
      rng ^= rng >> 7;
      rng ^= rng << 17;
      size_t j = (size_t)(rng % i);
      int tmp = order[i - 1];
      order[i - 1] = order[j];
      order[j] = tmp;
    }
    double pg_max = -INFINITY, pg_min = INFINITY;
    for (size_t q = 0; q < n; q++) {
      int r = order[q];
      const kuzat_feature *x = t->x[r];
      double yr = y[r], U = yr > 0 ? cpos : cneg;
      double qii = 1, wx = b;
      for (const kuzat_feature *f = x; f->index != -1; f++) {
        qii += f->value * f->value;
        wx += w[f->index] * f->value;
      }
      double g = yr * wx - 1, pg = g;
      if (alpha[r] <= 0) pg = g < 0 ? g : 0;
      else if (alpha[r] >= U) pg = g > 0 ? g : 0;
      if (pg > pg_max) pg_max = pg;
      if (pg < pg_min) pg_min = pg;
      if (pg == 0) continue;
      double old = alpha[r], a = old - g / qii;
      alpha[r] = a < 0 ? 0 : a > U ? U : a;
      double d = (alpha[r] - old) * yr;
      if (d == 0) continue;
      for (const kuzat_feature *f = x; f->index != -1; f++) w[f->index] += d * f->value;
      b += d;
    }
    if (pg_max - pg_min < KZ_DCD_EPS) break;
  }
  *bias = b;
}

/* Fit on rows[0..n) (labels y per row index). Linear: with `exact`, the
 * libsvm solution by working sets seeded from coordinate descent; without,
 * coordinate descent alone (for cross-validation). */
static int fit(kz_worker *k, const int *rows, size_t n, const int *y, double C, int exact,
               kz_fit *out) {
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
   * descent: alone for cross-validation, and as the seed of the working
   * sets for the final fit. */
  int small = n <= KZ_WS_START, use_dcd = !small && !k->full_gram;
  if (use_dcd) {
    dcd(k, rows, n, y, C * wpos, C * wneg, &out->bias);
    if (!exact) {
      out->w = k->w;
      for (size_t i = 0; i < n; i++) out->nsv += k->margin[rows[i]] > 0;
      return KUZAT_OK;
    }
  }
  /* first working set: every row of a small set; else the rows coordinate
   * descent leaves on or inside the margin (its support-vector
   * candidates: alpha > 0 overstates them when it stops early), and every
   * k-th row */
  size_t nws = 0, step = n > KZ_WS_START ? n / KZ_WS_START : 1;
  for (size_t i = 0; i < n; i++) k->in_ws[rows[i]] = 0;
  for (size_t i = 0; i < n; i++) {
    int r = rows[i];
    if (small || i % step == 0 ||
        (use_dcd && y[r] * (dot(k->w, k->t->x[r]) + out->bias) < 1 + KZ_WS_TOL)) {
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
  int rc;
  char msg[200];
  /* progress */
  pthread_mutex_t *lock;
  size_t *done, total;
} kz_job;

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
  size_t npos = 0;
  for (size_t r = 0; !rc && r < n; r++) {
    y[r] = -1;
    for (uint32_t q = t->lab_off[r]; q < t->lab_off[r + 1]; q++)
      if (t->labs[q] == j->label) y[r] = 1;
    npos += y[r] > 0;
    lab01[r] = y[r] > 0;
  }
  const char *name = t->names[j->label];
  if (!rc && (npos == 0 || npos == n)) {
    snprintf(j->msg, sizeof j->msg, "marker \"%s\" has only %s examples", name,
             npos ? "positive" : "negative");
    rc = KUZAT_EINVAL;
  }
  if (!rc) rc = assign_folds(k, y, fold);
  /* cross-validation over the grid */
  for (size_t g = 0; !rc && g < ng; g++)
    for (int f = 0; !rc && f < p->folds; f++) {
      size_t m = 0;
      for (size_t r = 0; r < n; r++)
        if (fold[r] != f) rows[m++] = (int)r;
      kz_fit fit_f;
      rc = fit(k, rows, m, y, grid[g], 0, &fit_f);
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
  /* the best C by out-of-fold average precision */
  size_t best = 0;
  double best_ap = -1;
  for (size_t g = 0; !rc && g < ng; g++) {
    kuzat_metrics mt;
    if ((rc = kuzat_metrics_compute(dec + g * n, lab01, n, 0, NULL, &mt))) break;
    if (mt.pr_auc > best_ap + 1e-12 || (fabs(mt.pr_auc - best_ap) <= 1e-12 && grid[g] < grid[best])) {
      best_ap = mt.pr_auc;
      best = g;
    }
  }
  kz_marker *out = j->out;
  if (!rc) rc = kuzat_platt_fit(dec + best * n, lab01, n, &out->platt_a, &out->platt_b);
  for (size_t r = 0; !rc && r < n; r++) {
    j->oof[r * j->markers + j->slot] = kuzat_platt_prob(out->platt_a, out->platt_b, dec[best * n + r]);
    j->truth[r * j->markers + j->slot] = lab01[r];
  }
  if (!rc) {
    /* the threshold on probabilities: gather this marker's column */
    double *col = dec; /* reuse: the grid's scores are no longer needed */
    for (size_t r = 0; r < n; r++) col[r] = j->oof[r * j->markers + j->slot];
    rc = kuzat_threshold_choose(col, lab01, n, p->target_precision, NULL, &out->threshold);
  }
  /* the final fit on every row */
  kz_fit final;
  memset(&final, 0, sizeof final);
  if (!rc) {
    for (size_t r = 0; r < n; r++) rows[r] = (int)r;
    rc = fit(k, rows, n, y, grid[best], 1, &final);
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
  j->rep->negatives = n - npos;
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
  return (!k->w || !k->in_ws || !k->ws || !k->margin || !k->yd || !k->xs || !k->dense)
             ? KUZAT_ENOMEM
             : KUZAT_OK;
}

static void worker_free(kz_worker *k) {
  kuzat__free(&k->a, k->w);
  kuzat__free(&k->a, k->in_ws);
  kuzat__free(&k->a, k->ws);
  kuzat__free(&k->a, k->margin);
  kuzat__free(&k->a, k->yd);
  kuzat__free(&k->a, k->xs);
  kuzat__free(&k->a, k->pre);
  kuzat__free(&k->a, k->gram);
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
  if (p.threads < 1) p.threads = 1;
  if (t->n == 0) return kuzat__fail(err, KUZAT_EINVAL, "no training data");
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
  kz_job *jobs = kuzat__calloc(&a, nm, sizeof *jobs);
  int nth = p.threads < (int)nm ? p.threads : (int)nm;
  kz_thread *th = kuzat__calloc(&a, (size_t)nth, sizeof *th);
  int rc = (!rep || !jobs || !th) ? KUZAT_ENOMEM : KUZAT_OK;
  if (!rc) {
    rep->a = a;
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
