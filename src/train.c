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
#include "model.h"
#include "train.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

/* Every language code, " other uz-Latn ...", for messages. */
#define KZ_LANG_CODE(id, code, script, text) " " code
#define KZ_LANG_CODES KUZAT_LANG_MAP(KZ_LANG_CODE)

/* ---------------------------------------------------------------------- */
/* Training sets                                                            */
/* ---------------------------------------------------------------------- */


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
  kuzat__feature_params_resolve(&t->fp);
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
    return kuzat__fail(err, KUZAT_EINVAL, "unknown language \"%.*s\" (expected one of:"
                       KZ_LANG_CODES ")", (int)(lang_len > 32 ? 32 : lang_len), lang);
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
  p->grid = default_grid; /* in the open, so that a program can print it (--help) */
  p->grid_len = sizeof default_grid / sizeof default_grid[0];
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
      rc = kuzat__fit(k, rows, m, y, grid[g], 0, g ? grid[g - 1] : 0, &fit_f);
      if (rc == KUZAT_EINVAL) {
        snprintf(j->msg, sizeof j->msg,
                 "marker \"%s\": cross-validation fold %d has no %s outside it (its %zu "
                 "positives are in too few groups for %d folds)", name, f + 1,
                 npos ? "positive" : "negative", npos, p->folds);
        break;
      }
      if (rc) break;
      for (size_t r = 0; r < n; r++)
        if (fold[r] == f) dec[g * n + r] = kuzat__decide(k, &fit_f, (int)r);
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
    rc = kuzat__fit(k, rows, nk, y, grid[best], 1, 0, &final);
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
  kuzat__libsvm_quiet();

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
  for (int i = 0; !rc && i < nth; i++) rc = kuzat__worker_init(&th[i].k, t, &p);
  double *full = NULL;
  if (!rc && p.kernel == KUZAT_KERNEL_LINEAR && t->n <= KZ_FULL_GRAM) {
    full = kuzat__malloc(&a, t->n * t->n * sizeof *full);
    if (full) {
      double *d = th[0].k.dense;
      for (size_t i = 0; i < t->n; i++) {
        for (const kuzat_feature *f = t->x[i]; f->index != -1; f++) d[f->index] = f->value;
        for (size_t j = 0; j <= i; j++)
          full[i * t->n + j] = full[j * t->n + i] = kuzat__sparse_dot_dense(d, t->x[j]);
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
  for (int i = 0; i < nth && th; i++) kuzat__worker_free(&th[i].k);
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
