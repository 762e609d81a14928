/*
 * metrics.c -- quality of scores against 0/1 labels, Platt scaling and
 * threshold choice.
 *
 * kuzat_metrics_compute() gives the confusion counts at one threshold and
 * the threshold-free measures: average precision, ROC-AUC and the expected
 * calibration error. The ranking measures treat tied scores as one step,
 * never in input order: a classifier that gives many documents the same
 * score cannot look better or worse because of how the file was sorted.
 * Average precision is scikit-learn's average_precision_score (the sum over
 * distinct thresholds of the recall gained times the precision there);
 * ROC-AUC is the Mann-Whitney statistic with a tie counting one half.
 *
 * kuzat_platt_fit() is the Newton method with backtracking line search of
 * Lin, Lin and Weng (2007), "A note on Platt's probabilistic outputs for
 * support vector machines", written from the paper: it minimises the
 * cross-entropy against Platt's smoothed targets, which keeps the optimum
 * finite even when the data are separable.
 *
 * kuzat_threshold_choose() picks an operating point from the same sorted
 * sweep the metrics use.
 *
 * What it does not do: no cross-validation (the caller fits Platt on
 * held-out decision values), no weights, no multi-class averaging. A NaN
 * threshold or a non-finite decision value is rejected as KUZAT_EINVAL,
 * since either would silently turn every result into nonsense. Pure
 * functions; the only allocation is a sorted copy, through the caller's
 * allocator.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KZ_ECE_BINS 10

/* One example of the sorted copy. */
typedef struct kz_scored {
  double s;
  int y;
} kz_scored;

/* Scores and labels are usable: no NaN score, every label 0 or 1. */
static int check_examples(const double *scores, const int *labels, size_t n) {
  if (n > 0 && (!scores || !labels)) return KUZAT_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (isnan(scores[i]) || (labels[i] != 0 && labels[i] != 1)) return KUZAT_EINVAL;
  return KUZAT_OK;
}

/* Descending by score. The order within ties does not matter: every sweep
 * below consumes a run of equal scores as one step. */
static int by_score_desc(const void *pa, const void *pb) {
  double a = ((const kz_scored *)pa)->s, b = ((const kz_scored *)pb)->s;
  return (a < b) - (a > b);
}

/* A copy of the examples sorted by descending score, in *out (free it with
 * kuzat__free). Inputs must have passed check_examples(). */
static int sorted_copy(const kz_alloc *a, const double *scores, const int *labels,
                       size_t n, kz_scored **out) {
  if (n > SIZE_MAX / sizeof(kz_scored)) return KUZAT_ENOMEM;
  kz_scored *v = kuzat__malloc(a, n * sizeof *v);
  if (!v) return KUZAT_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    v[i].s = scores[i];
    v[i].y = labels[i];
  }
  if (n > 1) qsort(v, n, sizeof *v, by_score_desc);
  *out = v;
  return KUZAT_OK;
}

/* The end of the run of scores equal to v[i].s, and its label counts. */
static size_t tie_run(const kz_scored *v, size_t n, size_t i, size_t *pos, size_t *neg) {
  size_t j = i;
  *pos = *neg = 0;
  while (j < n && v[j].s == v[i].s) {
    if (v[j].y)
      (*pos)++;
    else
      (*neg)++;
    j++;
  }
  return j;
}

/* Precision, recall and F1 from the counts; 0 where a ratio is 0/0. */
static void rates(kuzat_metrics *m) {
  size_t flagged = m->tp + m->fp;
  m->precision = flagged ? (double)m->tp / (double)flagged : 0.0;
  m->recall = m->positives ? (double)m->tp / (double)m->positives : 0.0;
  /* 2TP / (2TP + FP + FN) equals 2PR / (P + R) and needs no special case
   * for P + R = 0 beyond TP = 0. */
  double den = 2.0 * (double)m->tp + (double)m->fp + (double)m->fn;
  m->f1 = m->tp ? 2.0 * (double)m->tp / den : 0.0;
}

static void confusion(const double *scores, const int *labels, size_t n,
                      kuzat_metrics *m) {
  for (size_t i = 0; i < n; i++) {
    int flag = scores[i] >= m->threshold;
    size_t *cell = labels[i] ? (flag ? &m->tp : &m->fn) : (flag ? &m->fp : &m->tn);
    (*cell)++;
  }
}

/* Average precision and ROC-AUC in one sweep down the sorted copy. For
 * each run of tied scores: AP gains (recall gained) x (precision after the
 * whole run); AUC gains, for each positive in the run, one per negative
 * scored lower and one half per negative in the same run. */
static void ranking(const kz_scored *v, size_t n, kuzat_metrics *m) {
  double P = (double)m->positives, N = (double)(n - m->positives);
  double tp = 0, fp = 0, ap = 0, wins = 0;
  for (size_t i = 0; i < n;) {
    size_t pos, neg;
    i = tie_run(v, n, i, &pos, &neg);
    tp += (double)pos;
    fp += (double)neg;
    if (pos) ap += ((double)pos / P) * (tp / (tp + fp));
    /* negatives strictly below this run: N minus all seen so far */
    wins += (double)pos * ((N - fp) + 0.5 * (double)neg);
  }
  m->pr_auc = m->positives ? ap : 0.0;
  m->roc_auc = (P > 0 && N > 0) ? wins / (P * N) : 0.5;
}

/* Expected calibration error: scores clamped into [0, 1], bin k holds
 * [k/10, (k+1)/10) and the last bin also 1.0; the mean over bins of
 * |mean score - fraction positive|, weighted by the bin's share. */
static double ece(const double *scores, const int *labels, size_t n) {
  double sum[KZ_ECE_BINS] = {0}, pos[KZ_ECE_BINS] = {0}, cnt[KZ_ECE_BINS] = {0};
  for (size_t i = 0; i < n; i++) {
    double s = scores[i] < 0.0 ? 0.0 : scores[i] > 1.0 ? 1.0 : scores[i];
    int k = (int)(s * KZ_ECE_BINS);
    if (k >= KZ_ECE_BINS) k = KZ_ECE_BINS - 1;
    sum[k] += s;
    pos[k] += labels[i];
    cnt[k] += 1.0;
  }
  double e = 0.0;
  for (int k = 0; k < KZ_ECE_BINS; k++)
    if (cnt[k] > 0) e += cnt[k] * fabs(sum[k] / cnt[k] - pos[k] / cnt[k]);
  return n ? e / (double)n : 0.0;
}

int kuzat_metrics_compute(const double *scores, const int *labels, size_t n,
                          double threshold, const kuzat_allocator *alloc,
                          kuzat_metrics *out) {
  if (!out) return KUZAT_EINVAL;
  memset(out, 0, sizeof *out);
  out->roc_auc = 0.5;
  if (isnan(threshold) || check_examples(scores, labels, n) != KUZAT_OK)
    return KUZAT_EINVAL;
  out->n = n;
  out->threshold = threshold;
  if (n == 0) return KUZAT_OK;

  kz_alloc a;
  kuzat__alloc_init(&a, alloc);
  kz_scored *v;
  int rc = sorted_copy(&a, scores, labels, n, &v);
  if (rc != KUZAT_OK) return rc;
  for (size_t i = 0; i < n; i++) out->positives += (size_t)labels[i];
  confusion(scores, labels, n, out);
  rates(out);
  ranking(v, n, out);
  out->ece = ece(scores, labels, n);
  kuzat__free(&a, v);
  return KUZAT_OK;
}

/* ---- Platt scaling ---- */

#define KZ_PLATT_MAX_ITER 100
#define KZ_PLATT_MIN_STEP 1e-10
#define KZ_PLATT_SIGMA 1e-12 /* added to the Hessian's diagonal */
#define KZ_PLATT_EPS 1e-5    /* stop when both gradient components are below */

/* The fitting problem: decision values, and per example its target. */
typedef struct kz_platt {
  const double *f;
  const int *y;
  size_t n;
  double hi, lo; /* Platt's smoothed targets for labels 1 and 0 */
} kz_platt;

/* Cross-entropy of the targets against 1 / (1 + exp(A f + B)). With
 * z = A f + B each term is (t - 1) z + log(1 + e^z), written so that the
 * exponential is of a non-positive number and cannot overflow. */
static double platt_loss(const kz_platt *p, double A, double B) {
  double F = 0.0;
  for (size_t i = 0; i < p->n; i++) {
    double t = p->y[i] ? p->hi : p->lo;
    double z = A * p->f[i] + B;
    if (z >= 0)
      F += t * z + log1p(exp(-z));
    else
      F += (t - 1.0) * z + log1p(exp(z));
  }
  return F;
}

/* Gradient (g[0] for A, g[1] for B) and Hessian (h11, h22, h21) of the
 * loss. dF/dz = t - p and d2F/dz2 = p (1 - p), with p = P(y = 1) computed
 * from whichever of e^z, e^-z is at most 1. */
static void platt_derivs(const kz_platt *p, double A, double B, double g[2],
                         double h[3]) {
  g[0] = g[1] = 0.0;
  h[0] = h[1] = KZ_PLATT_SIGMA; /* keeps the Hessian positive definite */
  h[2] = 0.0;
  for (size_t i = 0; i < p->n; i++) {
    double t = p->y[i] ? p->hi : p->lo;
    double f = p->f[i], z = A * f + B, pr, q;
    if (z >= 0) {
      double e = exp(-z);
      pr = e / (1.0 + e);
      q = 1.0 / (1.0 + e);
    } else {
      double e = exp(z);
      pr = 1.0 / (1.0 + e);
      q = e / (1.0 + e);
    }
    double d2 = pr * q, d1 = t - pr;
    h[0] += f * f * d2;
    h[1] += d2;
    h[2] += f * d2;
    g[0] += f * d1;
    g[1] += d1;
  }
}

/* The Newton direction -H^-1 g. When rounding makes the determinant
 * non-positive (all decision values nearly equal, so A and B are nearly
 * interchangeable) it falls back to Newton in B alone, which still
 * descends and fits the base rate. */
static void newton_dir(const double g[2], const double h[3], double d[2]) {
  double det = h[0] * h[1] - h[2] * h[2];
  if (det > 0 && isfinite(det)) {
    d[0] = -(h[1] * g[0] - h[2] * g[1]) / det;
    d[1] = -(-h[2] * g[0] + h[0] * g[1]) / det;
  } else {
    d[0] = 0.0;
    d[1] = -g[1] / h[1];
  }
}

int kuzat_platt_fit(const double *dec, const int *labels, size_t n, double *A,
                    double *B) {
  if (n == 0 || !A || !B || check_examples(dec, labels, n) != KUZAT_OK)
    return KUZAT_EINVAL;
  double npos = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(dec[i])) return KUZAT_EINVAL;
    npos += labels[i];
  }
  double nneg = (double)n - npos;
  kz_platt p = {dec, labels, n, (npos + 1.0) / (npos + 2.0), 1.0 / (nneg + 2.0)};

  /* Start from A = 0 and the B that gives the smoothed base rate. */
  double a = 0.0, b = log((nneg + 1.0) / (npos + 1.0));
  double F = platt_loss(&p, a, b);
  for (int it = 0; it < KZ_PLATT_MAX_ITER; it++) {
    double g[2], h[3], d[2];
    platt_derivs(&p, a, b, g, h);
    if (fabs(g[0]) < KZ_PLATT_EPS && fabs(g[1]) < KZ_PLATT_EPS) break;
    newton_dir(g, h, d);
    double gd = g[0] * d[0] + g[1] * d[1];
    /* Backtracking: halve the step until the loss falls enough (Armijo
     * with constant 1e-4). A NaN loss compares false and is rejected. */
    double step = 1.0;
    while (step >= KZ_PLATT_MIN_STEP) {
      double na = a + step * d[0], nb = b + step * d[1];
      double nF = platt_loss(&p, na, nb);
      if (nF < F + 1e-4 * step * gd) {
        a = na;
        b = nb;
        F = nF;
        break;
      }
      step /= 2.0;
    }
    /* No step helps: we are as close to the optimum as rounding allows. */
    if (step < KZ_PLATT_MIN_STEP) break;
  }
  *A = a;
  *B = b;
  return KUZAT_OK;
}

double kuzat_platt_prob(double A, double B, double f) {
  double z = A * f + B;
  /* Exponentiate only non-positive numbers, so nothing overflows. */
  if (z >= 0) {
    double e = exp(-z);
    return e / (1.0 + e);
  }
  return 1.0 / (1.0 + exp(z));
}

/* ---- threshold choice ---- */

/* A threshold just above the highest score, which flags nothing. Larger
 * than one ulp, so it survives being printed with a few digits less than
 * full precision and read back. */
static double above(double top) {
  double t = top + 1e-9 * fmax(1.0, fabs(top));
  return t > top ? t : nextafter(top, INFINITY);
}

/* Sweep the distinct scores from the highest down; at each, everything
 * scoring at least that is flagged. For max F1 keep the first (highest)
 * peak; for a target precision keep the last (lowest) score that meets it,
 * since precision need not fall monotonically. */
static double sweep(const kz_scored *v, size_t n, size_t npos, double target) {
  double tp = 0, fp = 0, best_f1 = -1.0, best = v[0].s;
  int found = 0;
  for (size_t i = 0; i < n;) {
    size_t pos, neg;
    double s = v[i].s;
    i = tie_run(v, n, i, &pos, &neg);
    tp += (double)pos;
    fp += (double)neg;
    if (target > 0) {
      if (tp / (tp + fp) >= target) {
        best = s;
        found = 1;
      }
    } else {
      double f1 = 2.0 * tp / (tp + fp + (double)npos);
      if (f1 > best_f1) {
        best_f1 = f1;
        best = s;
      }
    }
  }
  if (target > 0 && !found) return above(v[0].s);
  return best;
}

int kuzat_threshold_choose(const double *scores, const int *labels, size_t n,
                           double target_precision, const kuzat_allocator *alloc,
                           double *threshold) {
  if (n == 0 || !threshold || isnan(target_precision) || target_precision > 1.0 ||
      check_examples(scores, labels, n) != KUZAT_OK)
    return KUZAT_EINVAL;
  kz_alloc a;
  kuzat__alloc_init(&a, alloc);
  kz_scored *v;
  int rc = sorted_copy(&a, scores, labels, n, &v);
  if (rc != KUZAT_OK) return rc;
  size_t npos = 0;
  for (size_t i = 0; i < n; i++) npos += (size_t)labels[i];
  *threshold = sweep(v, n, npos, target_precision);
  kuzat__free(&a, v);
  return KUZAT_OK;
}
