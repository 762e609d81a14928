/*
 * model.h -- a model's insides, shared by model.c (the file, scoring) and
 * train.c (which fills a model in). Private to the library; the
 * featuriser never sees them.
 */
#ifndef KUZAT_MODEL_H
#define KUZAT_MODEL_H

#include "internal.h"

#include <libsvm/svm.h>

/* One marker of a model. */
typedef struct kz_marker {
  char *name;
  int kernel; /* KUZAT_KERNEL_* */
  double C, gamma;
  double platt_a, platt_b; /* P = 1 / (1 + exp(A f + B)) */
  double threshold;        /* on the probability */
  double bias;             /* f = w.x + bias (linear), or the RBF sum + bias */
  /* linear: the collapsed weights, indices ascending */
  uint32_t nnz;
  uint32_t *idx;
  double *w;
  /* RBF: support vectors (arrays of kuzat_feature ended by -1) */
  uint32_t nsv;
  double *sv_coef;
  struct svm_node *sv_nodes;
  struct svm_node **sv_ptr;
  struct svm_model *svm; /* built over the arrays above, for svm_predict_values */
} kz_marker;

struct kuzat_model {
  kz_alloc a;
  char id[17];
  uint32_t norm_version;
  kuzat_feature_params fp;
  size_t nm;
  kz_marker *mk;
  /* linear scoring: every marker's weights by bucket (kz_rows in
   * internal.h), built by kuzat__weights_build() when bits <= 22; else
   * w.rows is NULL and each marker's idx/w are searched */
  kz_rows w;
  uint64_t *index;
  void *rows_mem; /* w.rows, before aligning it to a cache line */
  /* a loaded model's linear weights, every marker's idx and w in one block
   * each (model.c: weights_block()); NULL for a trained one, whose markers
   * own theirs */
  uint32_t *idx_mem;
  double *w_mem;
};

/* (weights.c) Build m->w from the markers' sparse weights (linear markers;
 * RBF markers get zeros). KUZAT_OK or KUZAT_ENOMEM. */
int kuzat__weights_build(kuzat_model *m);

#endif /* KUZAT_MODEL_H */
