/*
 * solve.c -- one fit of a linear or RBF C-SVC, as libsvm would find it.
 *
 * Sets of up to KZ_WS_START rows go to libsvm over the precomputed kernel,
 * by working sets; larger linear sets are solved here (dual coordinate
 * descent for cross-validation, then rounds of libsvm's own pair steps
 * until libsvm's stopping criterion holds over every row, for the final
 * fit); RBF fits go to libsvm whole. train.c's opening comment tells the
 * whole story; train.h holds the worker's scratch these functions share
 * with the driver.
 */
#include "internal.h"
#include "train.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* One fit                                                                  */
/* ---------------------------------------------------------------------- */

static void quiet(const char *s) { (void)s; }
static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;
static void make_libsvm_quiet(void) { svm_set_print_string_function(quiet); }

void kuzat__libsvm_quiet(void) { pthread_once(&quiet_once, make_libsvm_quiet); }



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

double kuzat__sparse_dot_dense(const double *d, const kuzat_feature *x) {
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
int kuzat__fit(kz_worker *k, const int *rows, size_t n, const int *y, double C, int exact,
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
double kuzat__decide(const kz_worker *k, const kz_fit *f, int r) {
  if (f->svm) {
    double v;
    svm_predict_values(f->svm, (const struct svm_node *)k->t->x[r], &v);
    return f->svm->label[0] == 1 ? v : -v;
  }
  return dot(f->w, k->t->x[r]) + f->bias;
}


/* ---- worker scratch ---- */

int kuzat__worker_init(kz_worker *k, const kuzat_trainset *t, const kuzat_train_params *p) {
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

void kuzat__worker_free(kz_worker *k) {
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

