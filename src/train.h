/*
 * train.h -- the trainer's insides, shared by train.c (training sets, the
 * per-marker driver, folds, calibration, thresholds, the thread pool) and
 * solve.c (one fit: libsvm, coordinate descent, the exact decomposition).
 * Private to the library.
 */
#ifndef KUZAT_TRAIN_H
#define KUZAT_TRAIN_H

#include "internal.h"

#include <libsvm/svm.h>

#define KZ_PRE_MAX 6000   /* largest working set given as a kernel matrix */
#define KZ_FULL_GRAM 4000 /* largest set whose whole Gram matrix is kept */
#define KZ_WS_START 2000  /* sets up to this size: one libsvm fit on all rows */
#define KZ_WS_ADD 4000    /* most rows added per round */
#define KZ_WS_TOL 1e-3    /* a row is inside the margin when y f(x) < 1 - tol */

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

/* libsvm prints through one process-wide hook: set it, once, to nothing. */
void kuzat__libsvm_quiet(void);

/* Scratch of a worker for set t; free it with kuzat__worker_free(). */
int kuzat__worker_init(kz_worker *k, const kuzat_trainset *t, const kuzat_train_params *p);
void kuzat__worker_free(kz_worker *k);

/* x . d for a sparse x and a dense d. */
double kuzat__sparse_dot_dense(const double *d, const kuzat_feature *x);

/* Fit rows[0 .. n) with labels y (+1, -1, indexed by row) at C: exact
 * (libsvm's solution) or, for cross-validation, coordinate descent warm
 * from the previous C `warm` (0: cold). KUZAT_OK, KUZAT_EINVAL (one class
 * only), KUZAT_ENOMEM. */
int kuzat__fit(kz_worker *k, const int *rows, size_t n, const int *y, double C, int exact,
               double warm, kz_fit *out);

/* Decision value of row r under a fit. */
double kuzat__decide(const kz_worker *k, const kz_fit *f, int r);

#endif
