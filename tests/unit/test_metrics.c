/*
 * test_metrics.c -- metrics, Platt scaling and threshold choice.
 *
 * Small cases are computed by hand (the arithmetic is in the comments);
 * larger random ones are checked against brute-force definitions written
 * independently of src/metrics.c.
 */
#include "check.h"
#include "kuzat.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static int near(double a, double b, double tol) { return fabs(a - b) <= tol; }

/* Deterministic generator (splitmix64), uniform in [0, 1). */
static double rnd(uint64_t *st) {
  uint64_t z = (*st += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  z ^= z >> 31;
  return (double)(z >> 11) / 9007199254740992.0;
}

/* An allocator that counts, and fails once `budget` allocations are used. */
typedef struct counting {
  int allocs, frees, budget;
} counting;
static void *c_alloc(void *ud, size_t n) {
  counting *c = ud;
  if (c->budget >= 0 && c->allocs >= c->budget) return NULL;
  c->allocs++;
  return malloc(n);
}
static void c_free(void *ud, void *p) {
  ((counting *)ud)->frees++;
  free(p);
}

/* Compute metrics and compare the counts and rates with the expected ones. */
static void expect_metrics(const char *name, const double *s, const int *y, size_t n,
                           double thr, size_t tp, size_t fp, size_t fn, size_t tn,
                           double prec, double rec, double f1, double ap, double auc,
                           double ece) {
  kuzat_metrics m;
  int rc = kuzat_metrics_compute(s, y, n, thr, NULL, &m);
  CHECK(rc == KUZAT_OK, "%s: status %d", name, rc);
  CHECK(m.n == n && m.positives == tp + fn && m.threshold == thr, "%s: n %zu positives %zu",
        name, m.n, m.positives);
  CHECK(m.tp == tp && m.fp == fp && m.fn == fn && m.tn == tn,
        "%s: tp fp fn tn %zu %zu %zu %zu, expected %zu %zu %zu %zu", name, m.tp, m.fp,
        m.fn, m.tn, tp, fp, fn, tn);
  CHECK(near(m.precision, prec, 1e-12) && near(m.recall, rec, 1e-12) && near(m.f1, f1, 1e-12),
        "%s: P R F1 %.6f %.6f %.6f, expected %.6f %.6f %.6f", name, m.precision, m.recall,
        m.f1, prec, rec, f1);
  CHECK(near(m.pr_auc, ap, 1e-12), "%s: average precision %.9f, expected %.9f", name,
        m.pr_auc, ap);
  CHECK(near(m.roc_auc, auc, 1e-12), "%s: ROC-AUC %.9f, expected %.9f", name, m.roc_auc, auc);
  CHECK(near(m.ece, ece, 1e-12), "%s: ECE %.9f, expected %.9f", name, m.ece, ece);
}

static void test_metrics_hand(void) {
  /* Perfect ranking. ECE: bins 9, 8, 3, 1 hold one example each with gaps
   * .1 .2 .3 .1, so (0.1 + 0.2 + 0.3 + 0.1) / 4 = 0.175. */
  static const double s1[] = {0.9, 0.8, 0.3, 0.1};
  static const int perfect[] = {1, 1, 0, 0}, inverted[] = {0, 0, 1, 1};
  expect_metrics("perfect", s1, perfect, 4, 0.5, 2, 0, 0, 2, 1, 1, 1, 1, 1, 0.175);
  /* Inverted: positives at ranks 3 and 4, AP = 1/2 * 1/3 + 1/2 * 2/4 = 5/12;
   * ECE = (0.9 + 0.8 + 0.7 + 0.9) / 4 = 0.825; nothing right so F1 = 0. */
  expect_metrics("inverted", s1, inverted, 4, 0.5, 0, 2, 2, 0, 0, 0, 0, 5.0 / 12, 0, 0.825);

  /* All tied: one step to recall 1 at precision 1/2; AUC one half
   * everywhere; bin 5 has mean 0.5 and half positive, so ECE 0. */
  static const double s2[] = {0.5, 0.5, 0.5, 0.5};
  static const int y2[] = {1, 0, 1, 0};
  expect_metrics("tied, all flagged", s2, y2, 4, 0.5, 2, 2, 0, 0, 0.5, 1, 2.0 / 3, 0.5, 0.5, 0);
  expect_metrics("tied, none flagged", s2, y2, 4, 0.6, 0, 0, 2, 2, 0, 0, 0, 0.5, 0.5, 0);

  /* One class. All positive: AP 1, AUC 0.5 by convention; at 0.5 two of
   * three are flagged: P 1, R 2/3, F1 0.8. ECE: bins 2, 7, 9 with gaps
   * .8 .3 .1: 1.2 / 3 = 0.4. */
  static const double s3[] = {0.2, 0.7, 0.9};
  static const int ones[] = {1, 1, 1}, zeros[] = {0, 0, 0};
  expect_metrics("all positive", s3, ones, 3, 0.5, 2, 0, 1, 0, 1, 2.0 / 3, 0.8, 1, 0.5, 0.4);
  /* All negative: AP 0 (no recall to gain), precision 0 of 2 flags,
   * recall undefined so 0; ECE (0.2 + 0.7 + 0.9) / 3 = 0.6. */
  expect_metrics("all negative", s3, zeros, 3, 0.5, 0, 2, 0, 1, 0, 0, 0, 0, 0.5, 0.6);

  /* Empty: all zeros, AUC 0.5; NULL arrays are fine when n is 0. */
  kuzat_metrics m;
  memset(&m, 0xAB, sizeof m);
  int rc = kuzat_metrics_compute(NULL, NULL, 0, 0.5, NULL, &m);
  CHECK(rc == KUZAT_OK && m.n == 0 && m.positives == 0 && m.tp == 0 && m.fp == 0 &&
            m.fn == 0 && m.tn == 0 && m.precision == 0 && m.recall == 0 && m.f1 == 0 &&
            m.pr_auc == 0 && m.roc_auc == 0.5 && m.ece == 0,
        "empty: status %d, roc %g", rc, m.roc_auc);
}

/* Ties by hand: P = 3 positives, N = 4 negatives.
 *   score 0.9: + ; 0.8: + - - ; 0.4: + - ; 0.2: -
 * Average precision, one step per distinct score:
 *   0.9: recall 1/3 at precision 1/1; 0.8: +1/3 at 2/4; 0.4: +1/3 at 3/6
 *   AP = 1/3 + 1/6 + 1/6 = 2/3.
 * (Ranking the tied positive first would give 1/3 + 1/3 * 2/2 + ..., more.)
 * ROC-AUC: the positive at 0.9 beats 4 negatives; at 0.8 beats 2 and ties
 * 2 (1 + 2 = 3); at 0.4 beats 1 and ties 1 (1.5). (4 + 3 + 1.5) / 12 = 17/24.
 * At threshold 0.8: tp 2, fp 2, fn 1, tn 2; P 1/2, R 2/3, F1 4/7.
 * ECE: bin 9 {0.9 +}: gap 0.1; bin 8 {0.8 x 3, one +}: |0.8 - 1/3| = 7/15,
 * weight 3; bin 4 {0.4 +, 0.4 -}: 0.1, weight 2; bin 2 {0.2 -}: 0.2.
 *   (0.1 + 1.4 + 0.2 + 0.2) / 7 = 1.9 / 7. */
static const double tie_s[] = {0.4, 0.8, 0.2, 0.9, 0.8, 0.4, 0.8};
static const int tie_y[] = {1, 0, 0, 1, 1, 0, 0};

static void test_metrics_ties(void) {
  expect_metrics("ties", tie_s, tie_y, 7, 0.8, 2, 2, 1, 2, 0.5, 2.0 / 3, 4.0 / 7, 2.0 / 3,
                 17.0 / 24, 1.9 / 7);
  /* The order of the input must not matter: reverse it. */
  double rs[7];
  int ry[7];
  for (int i = 0; i < 7; i++) {
    rs[i] = tie_s[6 - i];
    ry[i] = tie_y[6 - i];
  }
  expect_metrics("ties, reversed", rs, ry, 7, 0.8, 2, 2, 1, 2, 0.5, 2.0 / 3, 4.0 / 7,
                 2.0 / 3, 17.0 / 24, 1.9 / 7);
}

/* ECE by hand, with clamping. Clamped scores and labels:
 *   bin 0: 0 (-), 0.05 (+): mean 0.025, half positive: 0.475, weight 2
 *   bin 5: 0.55 (+): 0.45, weight 1
 *   bin 9: 1 (+), 1 (-), 0.95 (+): mean 2.95/3, 2/3 positive: weight 3
 *          x gap = 2.95 - 2 = 0.95
 *   (0.95 + 0.45 + 0.95) / 6 = 2.35 / 6. */
static void test_ece(void) {
  static const double s[] = {-0.5, 0.05, 1.0, 1.7, 0.55, 0.95};
  static const int y[] = {0, 1, 1, 0, 1, 1};
  kuzat_metrics m;
  int rc = kuzat_metrics_compute(s, y, N_OF(s), 0.5, NULL, &m);
  CHECK(rc == KUZAT_OK && near(m.ece, 2.35 / 6, 1e-12), "ECE by hand: %.9f, expected %.9f",
        m.ece, 2.35 / 6);

  /* Infinite scores are clamped like any other: same as 0 and 1. */
  static const double inf_s[] = {-INFINITY, 0.05, INFINITY, 1.7, 0.55, 0.95};
  rc = kuzat_metrics_compute(inf_s, y, N_OF(inf_s), 0.5, NULL, &m);
  CHECK(rc == KUZAT_OK && near(m.ece, 2.35 / 6, 1e-12), "ECE with infinities: %.9f", m.ece);

  /* Perfectly calibrated: a quarter of the examples scored 0.25 are
   * positive, and all scored 1.0 (last bin, closed at 1) are. */
  static const double c_s[] = {0.25, 0.25, 0.25, 0.25, 1.0, 1.0};
  static const int c_y[] = {0, 1, 0, 0, 1, 1};
  rc = kuzat_metrics_compute(c_s, c_y, N_OF(c_s), 0.5, NULL, &m);
  CHECK(rc == KUZAT_OK && near(m.ece, 0, 1e-15), "calibrated ECE: %.9f", m.ece);

  /* A threshold of -inf flags everything; +inf flags only +inf scores. */
  rc = kuzat_metrics_compute(inf_s, y, N_OF(inf_s), -INFINITY, NULL, &m);
  CHECK(rc == KUZAT_OK && m.tp == 4 && m.fp == 2, "threshold -inf: tp %zu fp %zu", m.tp, m.fp);
  rc = kuzat_metrics_compute(inf_s, y, N_OF(inf_s), INFINITY, NULL, &m);
  CHECK(rc == KUZAT_OK && m.tp == 1 && m.fp == 0, "threshold +inf: tp %zu fp %zu", m.tp, m.fp);
}

/* Random data with many ties, against brute-force definitions:
 * AUC over all positive-negative pairs; AP as the mean over positives of
 * the precision at the threshold equal to that positive's score (which is
 * exactly the step-per-distinct-score definition). */
static void test_metrics_random(void) {
  uint64_t st = 42;
  enum { N = 300 };
  static double s[N];
  static int y[N];
  for (int round = 0; round < 5; round++) {
    for (int i = 0; i < N; i++) {
      y[i] = rnd(&st) < 0.3;
      /* quantised to twentieths: ties everywhere; positives score higher */
      s[i] = floor((rnd(&st) + 0.3 * y[i]) * 20.0) / 20.0;
    }
    double wins = 0, pairs = 0, ap = 0;
    int npos = 0;
    for (int i = 0; i < N; i++) {
      if (!y[i]) continue;
      npos++;
      int above = 0, pos_above = 0;
      for (int j = 0; j < N; j++) {
        if (s[j] >= s[i]) {
          above++;
          pos_above += y[j];
        }
        if (!y[j]) {
          pairs += 1;
          wins += s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0;
        }
      }
      ap += (double)pos_above / above;
    }
    ap /= npos;
    kuzat_metrics m;
    int rc = kuzat_metrics_compute(s, y, N, 0.6, NULL, &m);
    CHECK(rc == KUZAT_OK && near(m.roc_auc, wins / pairs, 1e-12),
          "random %d: AUC %.12f, brute force %.12f", round, m.roc_auc, wins / pairs);
    CHECK(rc == KUZAT_OK && near(m.pr_auc, ap, 1e-12),
          "random %d: AP %.12f, brute force %.12f", round, m.pr_auc, ap);
    CHECK(m.positives == (size_t)npos && m.tp + m.fp + m.fn + m.tn == N,
          "random %d: counts", round);
  }
}

static void test_metrics_args(void) {
  static const double s[] = {0.1, 0.9};
  static const int y[] = {0, 1}, bad[] = {0, 2}, neg[] = {-1, 1};
  static const double nan_s[] = {0.1, NAN};
  kuzat_metrics m;
  CHECK(kuzat_metrics_compute(s, y, 2, 0.5, NULL, NULL) == KUZAT_EINVAL, "NULL out");
  CHECK(kuzat_metrics_compute(NULL, y, 2, 0.5, NULL, &m) == KUZAT_EINVAL, "NULL scores");
  CHECK(kuzat_metrics_compute(s, NULL, 2, 0.5, NULL, &m) == KUZAT_EINVAL, "NULL labels");
  CHECK(kuzat_metrics_compute(s, bad, 2, 0.5, NULL, &m) == KUZAT_EINVAL, "label 2");
  CHECK(kuzat_metrics_compute(s, neg, 2, 0.5, NULL, &m) == KUZAT_EINVAL, "label -1");
  CHECK(kuzat_metrics_compute(nan_s, y, 2, 0.5, NULL, &m) == KUZAT_EINVAL, "NaN score");
  CHECK(kuzat_metrics_compute(s, y, 2, NAN, NULL, &m) == KUZAT_EINVAL, "NaN threshold");

  /* The caller's allocator: used, balanced, and its failure reported. */
  counting c = {0, 0, -1};
  kuzat_allocator a = {c_alloc, NULL, c_free, &c};
  int rc = kuzat_metrics_compute(s, y, 2, 0.5, &a, &m);
  CHECK(rc == KUZAT_OK && c.allocs >= 1 && c.allocs == c.frees,
        "allocator: status %d, %d allocs, %d frees", rc, c.allocs, c.frees);
  c = (counting){0, 0, 0};
  rc = kuzat_metrics_compute(s, y, 2, 0.5, &a, &m);
  CHECK(rc == KUZAT_ENOMEM && c.frees == 0, "failed allocation: status %d", rc);
}

/* ---- Platt ---- */

/* The loss Platt scaling minimises, and its gradient, written out here
 * independently: targets t = hi or lo, p = 1 / (1 + exp(A f + B)),
 * loss -sum t log p + (1 - t) log(1 - p), dloss/dA = sum f (t - p),
 * dloss/dB = sum (t - p). */
static void platt_check(const double *f, const int *y, size_t n, double A, double B,
                        double *loss, double *gA, double *gB) {
  double np = 0;
  for (size_t i = 0; i < n; i++) np += y[i];
  double hi = (np + 1) / (np + 2), lo = 1 / ((double)n - np + 2);
  *loss = *gA = *gB = 0;
  for (size_t i = 0; i < n; i++) {
    double t = y[i] ? hi : lo;
    double p = 1 / (1 + exp(A * f[i] + B));
    *loss -= t * log(p) + (1 - t) * log1p(-p);
    *gA += f[i] * (t - p);
    *gB += t - p;
  }
}

/* Fitted (A, B) is a minimum: gradient ~0 and no nearby point is lower. */
static void expect_optimum(const char *name, const double *f, const int *y, size_t n,
                           double A, double B) {
  double L, gA, gB;
  platt_check(f, y, n, A, B, &L, &gA, &gB);
  CHECK(fabs(gA) < 1e-4 && fabs(gB) < 1e-4, "%s: gradient (%.3g, %.3g) at A %g B %g", name,
        gA, gB, A, B);
  int lower = 0;
  for (int k = 0; k < 8; k++) {
    double dA = 1e-3 * cos(k * 0.785398), dB = 1e-3 * sin(k * 0.785398), L2, g1, g2;
    platt_check(f, y, n, A + dA, B + dB, &L2, &g1, &g2);
    if (L2 < L - 1e-12) lower++;
  }
  CHECK(lower == 0, "%s: %d nearby points have a lower loss", name, lower);
}

static void test_platt_separable(void) {
  /* Separable and symmetric: B is 0 by symmetry and the fit is finite,
   * pulled towards the smoothed targets 5/6 and 1/6, not to 1 and 0. */
  static const double f[] = {-2, -1.5, -1, -0.5, 0.5, 1, 1.5, 2};
  static const int y[] = {0, 0, 0, 0, 1, 1, 1, 1};
  double A = 99, B = 99;
  int rc = kuzat_platt_fit(f, y, N_OF(f), &A, &B);
  CHECK(rc == KUZAT_OK && isfinite(A) && A < 0 && fabs(B) < 1e-9,
        "separable: status %d A %g B %g", rc, A, B);
  expect_optimum("separable", f, y, N_OF(f), A, B);
  double fp_sum = 0, f_sum = 0, prev = -1;
  int monotone = 1;
  for (size_t i = 0; i < N_OF(f); i++) {
    double p = kuzat_platt_prob(A, B, f[i]);
    if (!(p > prev)) monotone = 0;
    prev = p;
    if (y[i]) {
      fp_sum += f[i] * p;
      f_sum += f[i];
    }
    CHECK(y[i] ? (p > 0.5 && p < 1) : (p < 0.5 && p > 0), "separable: p(%g) = %g", f[i], p);
  }
  CHECK(monotone, "separable: probabilities increase with f");
  /* The gradient in A, sum f (t - p) = 0, with the symmetry p(-f) = 1 - p(f),
   * says the f-weighted mean of p over the positives is their target. */
  CHECK(near(fp_sum / f_sum, 5.0 / 6, 1e-5), "separable: weighted mean p of positives %g, "
        "target 5/6", fp_sum / f_sum);
}

static void test_platt_overlap(void) {
  /* Labels drawn from a known sigmoid, P(y=1|f) = 1 / (1 + exp(-2f + 0.5)):
   * the fit should recover A = -2, B = 0.5 and the empirical rates. */
  enum { N = 20000, BINS = 6 };
  static double f[N];
  static int y[N];
  uint64_t st = 7;
  for (int i = 0; i < N; i++) {
    f[i] = 6 * rnd(&st) - 3;
    y[i] = rnd(&st) < 1 / (1 + exp(-2 * f[i] + 0.5));
  }
  double A, B;
  int rc = kuzat_platt_fit(f, y, N, &A, &B);
  CHECK(rc == KUZAT_OK && near(A, -2, 0.15) && near(B, 0.5, 0.1),
        "overlap: status %d A %g B %g, generated with -2, 0.5", rc, A, B);
  expect_optimum("overlap", f, y, N, A, B);
  double cnt[BINS] = {0}, pos[BINS] = {0}, prob[BINS] = {0};
  for (int i = 0; i < N; i++) {
    int k = (int)((f[i] + 3) / 6 * BINS);
    cnt[k]++;
    pos[k] += y[i];
    prob[k] += kuzat_platt_prob(A, B, f[i]);
  }
  for (int k = 0; k < BINS; k++)
    CHECK(near(prob[k] / cnt[k], pos[k] / cnt[k], 0.03),
          "overlap: bin %d mean p %.4f, empirical rate %.4f", k, prob[k] / cnt[k],
          pos[k] / cnt[k]);
  int monotone = 1;
  for (double x = -5; x < 5; x += 0.01)
    if (!(kuzat_platt_prob(A, B, x + 0.01) > kuzat_platt_prob(A, B, x))) monotone = 0;
  CHECK(monotone, "overlap: probabilities increase with f");

  /* Flipping the sign of f flips the sign of A and nothing else. */
  for (int i = 0; i < N; i++) f[i] = -f[i];
  double A2, B2;
  rc = kuzat_platt_fit(f, y, N, &A2, &B2);
  CHECK(rc == KUZAT_OK && near(A2, -A, 1e-6) && near(B2, B, 1e-6),
        "overlap mirrored: A %g B %g, expected %g %g", A2, B2, -A, B);
}

static void test_platt_degenerate(void) {
  /* One class: the optimum is A = 0 with p = lo = 1 / (N- + 2) everywhere,
   * which is exactly where the fit starts. */
  static const double f[] = {-1, 0, 2, 5};
  static const int zeros[] = {0, 0, 0, 0}, ones[] = {1, 1, 1, 1};
  double A, B;
  int rc = kuzat_platt_fit(f, zeros, 4, &A, &B);
  double p = kuzat_platt_prob(A, B, 3);
  CHECK(rc == KUZAT_OK && near(A, 0, 1e-9) && near(p, 1.0 / 6, 1e-9),
        "all negative: A %g, p %g, expected 1/6", A, p);
  rc = kuzat_platt_fit(f, ones, 4, &A, &B);
  p = kuzat_platt_prob(A, B, -1);
  CHECK(rc == KUZAT_OK && near(A, 0, 1e-9) && near(p, 5.0 / 6, 1e-9),
        "all positive: A %g, p %g, expected 5/6", A, p);

  /* Every decision value equal and large: A and B are interchangeable and
   * the Hessian nearly singular. The fit must stay finite and give the
   * mean target, (2 * 3/4 + 3 * 1/5) / 5 = 0.42 (the start gives 3/7). */
  static const double same[] = {1000, 1000, 1000, 1000, 1000};
  static const int y5[] = {1, 0, 1, 0, 0};
  rc = kuzat_platt_fit(same, y5, 5, &A, &B);
  p = kuzat_platt_prob(A, B, 1000);
  CHECK(rc == KUZAT_OK && isfinite(A) && isfinite(B) && near(p, 0.42, 1e-6),
        "equal decision values: A %g B %g p %.9f, expected 0.42", A, B, p);
  static const int y[] = {1, 0, 1, 0};

  /* Widely spread decision values: no overflow anywhere. */
  static const double wide[] = {-800, -300, -1, 2, 400, 900};
  static const int wy[] = {0, 0, 1, 0, 1, 1};
  rc = kuzat_platt_fit(wide, wy, 6, &A, &B);
  CHECK(rc == KUZAT_OK && isfinite(A) && isfinite(B) && A < 0, "wide values: A %g B %g", A, B);
  expect_optimum("wide values", wide, wy, 6, A, B);

  /* Bad arguments. */
  static const int bad[] = {0, 1, 2, 0};
  static const double nan_f[] = {0, NAN, 1, 2}, inf_f[] = {0, INFINITY, 1, 2};
  CHECK(kuzat_platt_fit(f, y, 0, &A, &B) == KUZAT_EINVAL, "platt: n = 0");
  CHECK(kuzat_platt_fit(NULL, y, 4, &A, &B) == KUZAT_EINVAL, "platt: NULL dec");
  CHECK(kuzat_platt_fit(f, NULL, 4, &A, &B) == KUZAT_EINVAL, "platt: NULL labels");
  CHECK(kuzat_platt_fit(f, y, 4, NULL, &B) == KUZAT_EINVAL, "platt: NULL A");
  CHECK(kuzat_platt_fit(f, y, 4, &A, NULL) == KUZAT_EINVAL, "platt: NULL B");
  CHECK(kuzat_platt_fit(f, bad, 4, &A, &B) == KUZAT_EINVAL, "platt: label 2");
  CHECK(kuzat_platt_fit(nan_f, y, 4, &A, &B) == KUZAT_EINVAL, "platt: NaN value");
  CHECK(kuzat_platt_fit(inf_f, y, 4, &A, &B) == KUZAT_EINVAL, "platt: infinite value");
}

static void test_platt_prob(void) {
  double p0 = kuzat_platt_prob(-1, 0, 0), p1 = kuzat_platt_prob(-1, 0, 1);
  double big = kuzat_platt_prob(-1, 0, 1e6), small = kuzat_platt_prob(-1, 0, -1e6);
  CHECK(p0 == 0.5, "p(0) = %g", p0);
  CHECK(near(p1, 1 / (1 + exp(-1.0)), 1e-15), "p(1) = %.17g", p1);
  CHECK(big == 1.0 && small == 0.0, "extremes: %g %g", big, small);
  int ok = 1;
  for (double z = -40; z <= 40; z += 0.37) {
    double a = kuzat_platt_prob(-2, 0.3, z), b = kuzat_platt_prob(2, -0.3, z);
    if (!near(a + b, 1, 1e-15) || !near(a, 1 / (1 + exp(-2 * z + 0.3)), 1e-15)) ok = 0;
  }
  CHECK(ok, "p and 1 - p agree with the plain formula over [-40, 40]");
}

/* ---- thresholds ---- */

static void expect_threshold(const char *name, const double *s, const int *y, size_t n,
                             double target, double want) {
  double t = -12345;
  int rc = kuzat_threshold_choose(s, y, n, target, NULL, &t);
  CHECK(rc == KUZAT_OK && t == want, "%s: status %d threshold %.17g, expected %.17g", name,
        rc, t, want);
}

static void test_threshold(void) {
  /* Max F1 on the ties case (P = 3), F1 = 2tp / (tp + fp + P):
   *   0.9: 2/4 = .5; 0.8: 4/7; 0.4: 6/9 = .667; 0.2: 6/10. Peak at 0.4. */
  expect_threshold("max F1", tie_s, tie_y, 7, 0, 0.4);
  expect_threshold("max F1, negative target", tie_s, tie_y, 7, -1, 0.4);
  /* F1 tied at the top: labels + - - + (P = 2) give 2/3, 1/2, 2/5, 2/3:
   * the higher of the two peaks wins. */
  static const double s4[] = {0.6, 0.9, 0.7, 0.8};
  static const int y4[] = {1, 1, 0, 0};
  expect_threshold("max F1 tie", s4, y4, 4, 0, 0.9);
  /* No positives: F1 is 0 everywhere, so the highest score. */
  static const int zeros[] = {0, 0, 0, 0};
  expect_threshold("max F1, no positives", s4, zeros, 4, 0, 0.9);

  /* Target precision, ties case: precision 1, 2/4, 3/6, 3/7 at 0.9, 0.8,
   * 0.4, 0.2. */
  expect_threshold("precision 0.5", tie_s, tie_y, 7, 0.5, 0.4);
  expect_threshold("precision 0.6", tie_s, tie_y, 7, 0.6, 0.9);
  expect_threshold("precision 1", tie_s, tie_y, 7, 1.0, 0.9);
  expect_threshold("precision 0.4", tie_s, tie_y, 7, 0.4, 0.2);
  /* Precision not monotone: + - + + gives 1, 1/2, 2/3, 3/4; for 0.7 the
   * lowest threshold that meets it is 0.6, past two that do not. */
  static const double s5[] = {0.9, 0.8, 0.7, 0.6};
  static const int y5[] = {1, 0, 1, 1};
  expect_threshold("precision 0.7, non-monotone", s5, y5, 4, 0.7, 0.6);

  /* None reaches the target: a threshold above every score, flagging
   * nothing. */
  static const double s6[] = {0.8, 0.9};
  static const int y6[] = {1, 0};
  double t = 0;
  int rc = kuzat_threshold_choose(s6, y6, 2, 0.9, NULL, &t);
  kuzat_metrics m;
  int rc2 = kuzat_metrics_compute(s6, y6, 2, t, NULL, &m);
  CHECK(rc == KUZAT_OK && rc2 == KUZAT_OK && t > 0.9 && t < 0.9 + 1e-6 && m.tp + m.fp == 0,
        "unreachable target: threshold %.17g flags %zu", t, m.tp + m.fp);
  rc = kuzat_threshold_choose(s4, zeros, 4, 0.5, NULL, &t);
  CHECK(rc == KUZAT_OK && t > 0.9 && t < 0.9 + 1e-6, "no positives: threshold %.17g", t);
  static const double s7[] = {-3e10, 5e12};
  rc = kuzat_threshold_choose(s7, y6, 2, 0.9, NULL, &t);
  CHECK(rc == KUZAT_OK && t > 5e12, "large scores: threshold %.17g", t);

  /* Random data: the chosen threshold reaches the best F1 over all
   * distinct scores, as kuzat_metrics_compute() measures it, and no higher
   * score does as well. */
  enum { N = 200 };
  static double s[N];
  static int y[N];
  uint64_t st = 3;
  for (int i = 0; i < N; i++) {
    y[i] = rnd(&st) < 0.4;
    s[i] = floor((rnd(&st) + 0.4 * y[i]) * 30.0) / 30.0;
  }
  rc = kuzat_threshold_choose(s, y, N, 0, NULL, &t);
  rc2 = kuzat_metrics_compute(s, y, N, t, NULL, &m);
  double best = m.f1;
  int beaten = 0, tied_higher = 0;
  for (int i = 0; i < N; i++) {
    kuzat_metrics mi;
    kuzat_metrics_compute(s, y, N, s[i], NULL, &mi);
    if (mi.f1 > best) beaten++;
    if (mi.f1 == best && s[i] > t) tied_higher++;
  }
  CHECK(rc == KUZAT_OK && rc2 == KUZAT_OK && beaten == 0 && tied_higher == 0,
        "random max F1 %g at %g: %d better, %d as good and higher", best, t, beaten,
        tied_higher);
  /* And for a target precision, the lowest score meeting it. */
  rc = kuzat_threshold_choose(s, y, N, 0.8, NULL, &t);
  double lowest = INFINITY;
  for (int i = 0; i < N; i++) {
    kuzat_metrics mi;
    kuzat_metrics_compute(s, y, N, s[i], NULL, &mi);
    if (mi.precision >= 0.8 && s[i] < lowest) lowest = s[i];
  }
  CHECK(rc == KUZAT_OK && t == lowest, "random precision 0.8: %g, brute force %g", t, lowest);

  /* Bad arguments and the allocator. */
  static const int bad[] = {0, 3};
  static const double nan_s[] = {NAN, 0.5};
  CHECK(kuzat_threshold_choose(s6, y6, 0, 0, NULL, &t) == KUZAT_EINVAL, "threshold: n = 0");
  CHECK(kuzat_threshold_choose(NULL, y6, 2, 0, NULL, &t) == KUZAT_EINVAL, "threshold: NULL scores");
  CHECK(kuzat_threshold_choose(s6, NULL, 2, 0, NULL, &t) == KUZAT_EINVAL, "threshold: NULL labels");
  CHECK(kuzat_threshold_choose(s6, y6, 2, 0, NULL, NULL) == KUZAT_EINVAL, "threshold: NULL out");
  CHECK(kuzat_threshold_choose(s6, bad, 2, 0, NULL, &t) == KUZAT_EINVAL, "threshold: label 3");
  CHECK(kuzat_threshold_choose(nan_s, y6, 2, 0, NULL, &t) == KUZAT_EINVAL, "threshold: NaN score");
  CHECK(kuzat_threshold_choose(s6, y6, 2, 1.5, NULL, &t) == KUZAT_EINVAL, "threshold: target > 1");
  CHECK(kuzat_threshold_choose(s6, y6, 2, NAN, NULL, &t) == KUZAT_EINVAL, "threshold: NaN target");
  counting c = {0, 0, -1};
  kuzat_allocator a = {c_alloc, NULL, c_free, &c};
  rc = kuzat_threshold_choose(s6, y6, 2, 0, &a, &t);
  CHECK(rc == KUZAT_OK && c.allocs >= 1 && c.allocs == c.frees,
        "threshold allocator: status %d, %d allocs, %d frees", rc, c.allocs, c.frees);
  c = (counting){0, 0, 0};
  rc = kuzat_threshold_choose(s6, y6, 2, 0, &a, &t);
  CHECK(rc == KUZAT_ENOMEM, "threshold: failed allocation gives status %d", rc);
}

/* The quality table: marker by marker, "all" then each language present;
 * a truth of -1 leaves the row out of that marker's cells. */
static void test_eval_tables(void) {
  /* 6 rows, 2 markers; languages en, en, ru, ru, tg, en */
  const double prob[12] = {0.9, 0.1, 0.2, 0.8, 0.7, 0.3, 0.4, 0.6, 0.95, 0.5, 0.05, 0.2};
  const int truth[12] = {1, 0, 0, 1, 1, -1, 0, -1, 1, 0, 0, 0};
  const int lang[6] = {KUZAT_LANG_EN, KUZAT_LANG_EN, KUZAT_LANG_RU, KUZAT_LANG_RU, KUZAT_LANG_TG,
                       KUZAT_LANG_EN};
  const double thr[2] = {0.5, 0.5};
  kuzat_eval_cell *c = NULL;
  size_t n = 0;
  kuzat_error err;
  int rc = kuzat_eval_tables(prob, truth, lang, 6, 2, thr, NULL, &c, &n, &err);
  if (!CHECK(rc == KUZAT_OK && n == 2 * 4, "8 cells (2 markers x all, tg, ru, en): %d %zu", rc, n))
    return;
  int order = 1;
  for (size_t i = 0; i < n; i++) order &= c[i].marker == i / 4;
  order &= c[0].lang == -1 && c[1].lang < c[2].lang && c[2].lang < c[3].lang;
  CHECK(order, "marker by marker, all first, then languages in kuzat_lang order");
  CHECK(c[0].m.n == 6 && c[0].m.positives == 3 && c[0].m.tp == 3 && c[0].m.fp == 0,
        "marker 0, all rows: 6 rows, 3 positives, all found, none wrong");
  CHECK(c[4].m.n == 4 && c[4].m.positives == 1,
        "marker 1 leaves out its two rows of unknown truth (%zu rows)", c[4].m.n);
  size_t ru = 0;
  for (size_t i = 4; i < 8; i++)
    if (c[i].lang == KUZAT_LANG_RU) ru = i;
  CHECK(ru && c[ru].m.n == 0 && c[ru - 4].m.n == 2,
        "in Russian, marker 0 has its 2 rows, marker 1 none (both unknown): %zu",
        ru ? c[ru].m.n : 99);
  kuzat_eval_free(c, NULL);
  CHECK(kuzat_eval_tables(NULL, truth, lang, 6, 2, thr, NULL, &c, &n, &err) == KUZAT_EINVAL &&
            c == NULL && n == 0,
        "NULL scores refused");
  const int bad[2] = {2, 0};
  CHECK(kuzat_eval_tables(prob, bad, lang, 1, 2, thr, NULL, &c, &n, &err) == KUZAT_EINVAL,
        "a truth of 2 refused: %s", err.msg);
  CHECK(kuzat_eval_tables(prob, truth, lang, 0, 2, thr, NULL, &c, &n, &err) == KUZAT_OK && n == 2,
        "no rows: one empty cell per marker");
  kuzat_eval_free(c, NULL);
}

int main(void) {
  test_metrics_hand();
  test_metrics_ties();
  test_ece();
  test_metrics_random();
  test_metrics_args();
  test_platt_separable();
  test_platt_overlap();
  test_platt_degenerate();
  test_platt_prob();
  test_threshold();
  test_eval_tables();
  return kt_done();
}
