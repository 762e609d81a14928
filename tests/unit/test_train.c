/*
 * test_train.c -- training, the model file, and damaged models.
 *
 * Synthetic documents written here (made-up words, so nothing depends on
 * ../shared) train small models; the multi-label test on the Kyrgyz topics
 * of ../shared skips when it is absent.
 */
#include "check.h"
#include "helpers.h"
#include "kuzat.h"

#include <libsvm/svm.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char dir[] = "/tmp/kuzat-test-train-XXXXXX";

/* ---- synthetic data ---- */

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}

#define NDOC 1200
static char docs[NDOC][400];
static char labels[NDOC][32];
static char groups[NDOC][16];

/* Words w0..w299; "alpha" marks documents of marker a (with noise), and
 * "beta" of marker b; each doc belongs to one of 60 groups. */
static void make_data(void) {
  for (int d = 0; d < NDOC; d++) {
    int a = rnd() % 5 == 0, b = rnd() % 4 == 0;
    size_t k = 0;
    int words = 8 + (int)(rnd() % 20);
    for (int w = 0; w < words; w++)
      k += (size_t)snprintf(docs[d] + k, sizeof docs[d] - k, "%sw%u", w ? " " : "", rnd() % 300);
    if (a && rnd() % 10) k += (size_t)snprintf(docs[d] + k, sizeof docs[d] - k, " alpha w%u", rnd() % 7);
    if (!a && rnd() % 30 == 0) k += (size_t)snprintf(docs[d] + k, sizeof docs[d] - k, " alpha");
    if (b && rnd() % 8) k += (size_t)snprintf(docs[d] + k, sizeof docs[d] - k, " beta");
    snprintf(labels[d], sizeof labels[d], "%s%s%s", a ? "a" : "", a && b ? "," : "", b ? "b" : "");
    snprintf(groups[d], sizeof groups[d], "g%d", d % 60);
  }
}

static kuzat_trainset *make_set(int bits, int n) {
  kuzat_feature_params fp;
  kuzat_feature_params_default(&fp);
  fp.bits = bits;
  kuzat_trainset *t;
  if (kuzat_trainset_new(&fp, NULL, &t, NULL)) return NULL;
  for (int d = 0; d < n; d++)
    kuzat_trainset_add(t, docs[d], strlen(docs[d]), labels[d], strlen(labels[d]), "", 0,
                       groups[d], strlen(groups[d]), NULL);
  return t;
}

/* Decision values of every document under a model. */
static void decisions(const kuzat_model *m, double *out /* NDOC * markers */) {
  kuzat_feature_params fp;
  kuzat_model_feature_params(m, &fp);
  kuzat_normaliser *n;
  kuzat_featuriser *f;
  kuzat_normaliser_new(NULL, &n, NULL);
  kuzat_featuriser_new(&fp, NULL, &f, NULL);
  size_t nm = kuzat_model_markers(m);
  for (int d = 0; d < NDOC; d++) {
    kuzat_text t;
    const kuzat_feature *v;
    size_t c;
    kuzat_normalise(n, docs[d], strlen(docs[d]), 0, &t, NULL);
    kuzat_featurise(f, t.utf8, t.len, &v, &c, NULL);
    kuzat_model_decision(m, v, out + (size_t)d * nm, NULL);
  }
  kuzat_normaliser_free(n);
  kuzat_featuriser_free(f);
}

static unsigned char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *p = malloc((size_t)n + 1);
  *len = fread(p, 1, (size_t)n, f);
  fclose(f);
  return p;
}

/* ---- the collapsed linear score against libsvm's own prediction ---- */

static void quiet(const char *s) { (void)s; }

static void test_collapse_equals_libsvm(void) {
  /* 1,000 documents: one working set, so kuzat's final fit is one libsvm
   * fit on every row; libsvm's plain linear-kernel fit on the same rows
   * must give the same decision values */
  kuzat_trainset *t = make_set(14, 1000);
  kuzat_train_params p;
  kuzat_train_params_default(&p);
  double C = 1;
  p.grid = &C;
  p.grid_len = 1;
  p.folds = 3;
  p.negatives = "b";
  kuzat_model *m;
  kuzat_error err;
  if (!CHECK(kuzat_train(t, &p, &m, NULL, &err) == KUZAT_OK, "train: %s", err.msg)) return;

  /* plain libsvm on the same vectors, balanced weights as kuzat uses */
  kuzat_feature_params fp;
  kuzat_model_feature_params(m, &fp);
  kuzat_normaliser *n;
  kuzat_featuriser *f;
  kuzat_normaliser_new(NULL, &n, NULL);
  kuzat_featuriser_new(&fp, NULL, &f, NULL);
  struct svm_node **x = malloc(1000 * sizeof *x);
  double *y = malloc(1000 * sizeof *y);
  int npos = 0;
  for (int d = 0; d < 1000; d++) {
    kuzat_text tx;
    const kuzat_feature *v;
    size_t c;
    kuzat_normalise(n, docs[d], strlen(docs[d]), 0, &tx, NULL);
    kuzat_featurise(f, tx.utf8, tx.len, &v, &c, NULL);
    x[d] = malloc((c + 1) * sizeof **x);
    memcpy(x[d], v, (c + 1) * sizeof **x);
    y[d] = strchr(labels[d], 'a') ? 1 : -1;
    npos += y[d] > 0;
  }
  svm_set_print_string_function(quiet);
  struct svm_problem prob = {1000, y, x};
  int wl[2] = {1, -1};
  double wv[2] = {1000.0 / (2.0 * npos), 1000.0 / (2.0 * (1000 - npos))};
  struct svm_parameter par;
  memset(&par, 0, sizeof par);
  par.svm_type = C_SVC;
  par.kernel_type = LINEAR;
  par.cache_size = 100;
  par.eps = 1e-3;
  par.C = C;
  par.nr_weight = 2;
  par.weight_label = wl;
  par.weight = wv;
  par.shrinking = 1;
  struct svm_model *s = svm_train(&prob, &par);
  double *mine = malloc(NDOC * sizeof *mine), worst = 0;
  decisions(m, mine);
  for (int d = 0; d < 1000; d++) {
    double v;
    svm_predict_values(s, x[d], &v);
    if (s->label[0] != 1) v = -v;
    if (fabs(v - mine[d]) > worst) worst = fabs(v - mine[d]);
  }
  CHECK(worst < 1e-9, "collapsed linear score vs svm_predict_values on 1,000 documents: "
                      "largest difference %g", worst);
  svm_free_and_destroy_model(&s);
  for (int d = 0; d < 1000; d++) free(x[d]);
  free(x);
  free(y);
  free(mine);
  kuzat_normaliser_free(n);
  kuzat_featuriser_free(f);
  kuzat_model_free(m);
  kuzat_trainset_free(t);
}

/* ---- the exact fit of a large set against plain libsvm ---- */

static void test_large_exact_equals_libsvm(void) {
  /* 4,500 documents: more than the trainer gives libsvm as a kernel
   * matrix, so the final fit is its own decomposition of libsvm's dual;
   * its decision values must equal a plain libsvm fit's within the
   * solver's tolerance (both stop when the most violating pair is within
   * 1e-3) */
  if (getenv("KUZAT_TEST_QUICK")) {
    kt_skip("the exact fit of 4,500 documents against plain libsvm", "KUZAT_TEST_QUICK is set");
    return;
  }
  enum { N = 4500 };
  char(*doc)[200] = malloc(N * sizeof *doc);
  int *lab = malloc(N * sizeof *lab);
  kuzat_feature_params fp;
  kuzat_feature_params_default(&fp);
  fp.bits = 16;
  kuzat_trainset *t;
  if (!doc || !lab || kuzat_trainset_new(&fp, NULL, &t, NULL)) return;
  int npos = 0;
  for (int d = 0; d < N; d++) {
    int a = rnd() % 3 == 0;
    size_t k = 0;
    int words = 5 + (int)(rnd() % 10);
    for (int w = 0; w < words; w++)
      k += (size_t)snprintf(doc[d] + k, sizeof doc[d] - k, "%sv%u", w ? " " : "", rnd() % 400);
    if (a ? rnd() % 4 != 0 : rnd() % 12 == 0)
      k += (size_t)snprintf(doc[d] + k, sizeof doc[d] - k, " gamma v%u", rnd() % 5);
    if (rnd() % 10 == 0) a = !a; /* noise: not separable, many bounded alphas */
    lab[d] = a;
    npos += a;
    char g[16];
    snprintf(g, sizeof g, "g%d", d % 97);
    kuzat_trainset_add(t, doc[d], strlen(doc[d]), a ? "a" : "z", 1, "", 0, g, strlen(g), NULL);
  }
  kuzat_train_params p;
  kuzat_train_params_default(&p);
  double C = 1;
  p.grid = &C;
  p.grid_len = 1;
  p.folds = 3;
  p.negatives = "z";
  kuzat_model *m;
  kuzat_error err;
  if (!CHECK(kuzat_train(t, &p, &m, NULL, &err) == KUZAT_OK, "train 4,500: %s", err.msg)) return;
  kuzat_normaliser *nz;
  kuzat_featuriser *f;
  kuzat_normaliser_new(NULL, &nz, NULL);
  kuzat_featuriser_new(&fp, NULL, &f, NULL);
  struct svm_node **x = malloc(N * sizeof *x);
  double *y = malloc(N * sizeof *y), *mine = malloc(N * sizeof *mine);
  for (int d = 0; d < N; d++) {
    kuzat_text tx;
    const kuzat_feature *v;
    size_t c;
    kuzat_normalise(nz, doc[d], strlen(doc[d]), 0, &tx, NULL);
    kuzat_featurise(f, tx.utf8, tx.len, &v, &c, NULL);
    x[d] = malloc((c + 1) * sizeof **x);
    memcpy(x[d], v, (c + 1) * sizeof **x);
    y[d] = lab[d] ? 1 : -1;
    kuzat_model_decision(m, v, &mine[d], NULL);
  }
  svm_set_print_string_function(quiet);
  struct svm_problem prob = {N, y, x};
  int wl[2] = {1, -1};
  double wv[2] = {(double)N / (2.0 * npos), (double)N / (2.0 * (N - npos))};
  struct svm_parameter par;
  memset(&par, 0, sizeof par);
  par.svm_type = C_SVC;
  par.kernel_type = LINEAR;
  par.cache_size = 200;
  par.eps = 1e-3;
  par.C = C;
  par.nr_weight = 2;
  par.weight_label = wl;
  par.weight = wv;
  par.shrinking = 1;
  struct svm_model *s = svm_train(&prob, &par);
  double worst = 0;
  int agree = 0;
  for (int d = 0; d < N; d++) {
    double v;
    svm_predict_values(s, x[d], &v);
    if (s->label[0] != 1) v = -v;
    if (fabs(v - mine[d]) > worst) worst = fabs(v - mine[d]);
    agree += (v > 0) == (mine[d] > 0);
  }
  CHECK(worst < 1e-2 && agree >= N - 5,
        "exact fit of 4,500 documents vs plain libsvm: largest decision difference %g, "
        "%d of %d signs agree", worst, agree, N);
  svm_free_and_destroy_model(&s);
  for (int d = 0; d < N; d++) free(x[d]);
  free(x);
  free(y);
  free(mine);
  free(doc);
  free(lab);
  kuzat_normaliser_free(nz);
  kuzat_featuriser_free(f);
  kuzat_model_free(m);
  kuzat_trainset_free(t);
}

/* ---- training, round trips, determinism ---- */

static kuzat_model *train_ab(kuzat_trainset *t, int threads, kuzat_train_report **rep) {
  kuzat_train_params p;
  kuzat_train_params_default(&p);
  p.folds = 4;
  p.threads = threads;
  kuzat_model *m = NULL;
  kuzat_error err;
  int rc = kuzat_train(t, &p, &m, rep, &err);
  CHECK(rc == KUZAT_OK, "train a and b: %s", err.msg);
  return m;
}

static void test_train_and_round_trip(void) {
  kuzat_trainset *t = make_set(16, NDOC);
  CHECK(kuzat_trainset_rows(t) == NDOC, "rows added");
  kuzat_train_report *rep = NULL;
  kuzat_model *m = train_ab(t, 1, &rep);
  if (!m) return;
  const char *first = NULL; /* the label that appears first in the data */
  for (int d = 0; d < NDOC && !first; d++)
    if (labels[d][0]) first = labels[d][0] == 'a' ? "a" : "b";
  CHECK(kuzat_model_markers(m) == 2 && first && strcmp(kuzat_model_marker(m, 0), first) == 0 &&
            strcmp(kuzat_model_marker(m, 1), first[0] == 'a' ? "b" : "a") == 0,
        "two markers in order of first appearance");
  /* the out-of-fold scores separate the classes: real learning */
  for (size_t k = 0; k < 2; k++) {
    double *s = malloc(NDOC * sizeof *s);
    int *yy = malloc(NDOC * sizeof *yy);
    for (int r = 0; r < NDOC; r++) {
      s[r] = rep->oof[(size_t)r * 2 + k];
      yy[r] = rep->truth[(size_t)r * 2 + k];
    }
    kuzat_metrics mt;
    kuzat_metrics_compute(s, yy, NDOC, kuzat_model_threshold(m, k), NULL, &mt);
    CHECK(mt.roc_auc > 0.9 && mt.f1 > 0.6, "marker %zu out-of-fold ROC-AUC %.3f F1 %.3f", k,
          mt.roc_auc, mt.f1);
    CHECK(mt.ece < 0.1, "marker %zu calibration error %.3f", k, mt.ece);
    free(s);
    free(yy);
  }
  CHECK(rep->rows == NDOC && rep->markers == 2 && rep->marker[0].positives > 0 &&
            rep->marker[0].support_vectors > 0,
        "report");

  char path[600], path2[600];
  snprintf(path, sizeof path, "%s/m.kzm", dir);
  snprintf(path2, sizeof path2, "%s/m2.kzm", dir);
  kuzat_error err;
  CHECK(kuzat_model_save(m, path, &err) == KUZAT_OK, "save: %s", err.msg);
  kuzat_model *lf = NULL, *lm = NULL;
  int rc = kuzat_model_load_file(path, NULL, &lf, &err);
  CHECK(rc == KUZAT_OK, "load from file: %s", err.msg);
  size_t len;
  unsigned char *bytes = slurp(path, &len);
  rc = kuzat_model_load_mem(bytes, len, NULL, &lm, &err);
  CHECK(rc == KUZAT_OK, "load from memory: %s", err.msg);
  if (lf && lm) {
    CHECK(strcmp(kuzat_model_id(m), kuzat_model_id(lf)) == 0 &&
              strcmp(kuzat_model_id(lf), kuzat_model_id(lm)) == 0 && strlen(kuzat_model_id(m)) == 16,
          "model id survives the round trip: %s %s", kuzat_model_id(m), kuzat_model_id(lf));
    double *a = malloc(NDOC * 2 * sizeof *a), *b = malloc(NDOC * 2 * sizeof *b),
           *c = malloc(NDOC * 2 * sizeof *c);
    decisions(m, a);
    decisions(lf, b);
    decisions(lm, c);
    CHECK(memcmp(a, b, NDOC * 2 * sizeof *a) == 0 && memcmp(a, c, NDOC * 2 * sizeof *a) == 0,
          "trained, loaded from file and loaded from memory: identical scores");
    CHECK(kuzat_model_threshold(m, 1) == kuzat_model_threshold(lm, 1) &&
              kuzat_model_probability(m, 0, 0.3) == kuzat_model_probability(lm, 0, 0.3),
          "threshold and calibration survive");
    free(a);
    free(b);
    free(c);
  }
  /* same data and seed: a byte-identical file, even with two threads */
  kuzat_model *m2 = train_ab(t, 2, NULL);
  if (m2) {
    kuzat_model_save(m2, path2, NULL);
    size_t len2;
    unsigned char *bytes2 = slurp(path2, &len2);
    CHECK(bytes2 && len == len2 && memcmp(bytes, bytes2, len) == 0,
          "same data and seed give a byte-identical model file (%zu and %zu bytes)", len, len2);
    free(bytes2);
  }
  free(bytes);
  kuzat_model_free(m2);
  kuzat_model_free(lf);
  kuzat_model_free(lm);
  kuzat_train_report_free(rep);
  kuzat_model_free(m);
  kuzat_trainset_free(t);
}

/* An RBF model keeps its support vectors: its scores survive the file. */
static void test_rbf_round_trip(void) {
  kuzat_trainset *t = make_set(12, 300);
  kuzat_train_params p;
  kuzat_train_params_default(&p);
  p.kernel = KUZAT_KERNEL_RBF;
  p.gamma = 0.5;
  p.folds = 3;
  p.negatives = "b";
  kuzat_model *m = NULL, *l = NULL;
  kuzat_error err;
  int rc = kuzat_train(t, &p, &m, NULL, &err);
  if (!CHECK(rc == KUZAT_OK, "RBF training: %s", err.msg)) {
    kuzat_trainset_free(t);
    return;
  }
  char path[600];
  snprintf(path, sizeof path, "%s/rbf.kzm", dir);
  rc = kuzat_model_save(m, path, &err);
  if (!rc) rc = kuzat_model_load_file(path, NULL, &l, &err);
  if (CHECK(rc == KUZAT_OK, "RBF save and load: %s", err.msg)) {
    double *a = malloc(NDOC * sizeof *a), *b = malloc(NDOC * sizeof *b);
    decisions(m, a);
    decisions(l, b);
    CHECK(memcmp(a, b, NDOC * sizeof *a) == 0, "RBF: trained and loaded score identically");
    int agree = 0;
    for (int d = 0; d < NDOC; d++) agree += (a[d] > 0) == (strchr(labels[d], 'a') != NULL);
    CHECK(agree > NDOC * 8 / 10, "RBF: %d of %d documents on the right side", agree, NDOC);
    free(a);
    free(b);
  }
  kuzat_model_free(l);
  kuzat_model_free(m);
  kuzat_trainset_free(t);
}

/* ---- refusals ---- */

static void test_refusals(void) {
  kuzat_trainset *t;
  kuzat_trainset_new(NULL, NULL, &t, NULL);
  kuzat_model *m;
  kuzat_error err;
  CHECK(kuzat_train(t, NULL, &m, NULL, &err) == KUZAT_EINVAL && strstr(err.msg, "no training data"),
        "empty set: %s", err.msg);
  for (int d = 0; d < 50; d++) kuzat_trainset_add(t, docs[d], strlen(docs[d]), "x", 1, "", 0, "", 0, NULL);
  CHECK(kuzat_train(t, NULL, &m, NULL, &err) == KUZAT_EINVAL && strstr(err.msg, "only positive"),
        "one class: %s", err.msg);
  kuzat_train_params p;
  kuzat_train_params_default(&p);
  CHECK(p.grid_len == 3 && p.grid[0] == 0.1 && p.grid[1] == 1 && p.grid[2] == 10,
        "the default grid is shown: 0.1, 1, 10");
  p.negatives = "x";
  CHECK(kuzat_train(t, &p, &m, NULL, &err) == KUZAT_EINVAL && strstr(err.msg, "no marker"),
        "only negatives: %s", err.msg);
  p.negatives = NULL;
  p.folds = 1;
  CHECK(kuzat_train(t, &p, &m, NULL, &err) == KUZAT_EINVAL, "1 fold refused");
  CHECK(kuzat_trainset_add(t, "a", 1, "bad\x01label", 10, "", 0, "", 0, &err) == KUZAT_EINVAL,
        "control character in a label: %s", err.msg);
  CHECK(kuzat_trainset_add(t, "a", 1, "x", 1, "klingon", 7, "", 0, &err) == KUZAT_EINVAL &&
            strstr(err.msg, "klingon"), "unknown lang: %s", err.msg);
  CHECK(kuzat_trainset_rows(t) == 50, "refused rows are not added");
  kuzat_trainset_free(t);
  kuzat_trainset_free(NULL);
  kuzat_model_free(NULL);
  kuzat_train_report_free(NULL);
}

/* ---- damaged models ---- */

/* The uncompressed content of a model file. */
static unsigned char *inflate_all(const unsigned char *gz, size_t n, size_t *out) {
  size_t cap = n * 20 + 1024;
  unsigned char *p = malloc(cap);
  z_stream z;
  memset(&z, 0, sizeof z);
  inflateInit2(&z, 31);
  z.next_in = (Bytef *)gz;
  z.avail_in = (uInt)n;
  z.next_out = p;
  z.avail_out = (uInt)cap;
  inflate(&z, Z_FINISH);
  *out = cap - z.avail_out;
  inflateEnd(&z);
  return p;
}

/* Load bytes that must be refused, with a message. */
static int refused(const unsigned char *p, size_t n, int want, char *why, size_t whylen) {
  kuzat_model *m = NULL;
  kuzat_error err;
  int rc = kuzat_model_load_mem(p, n, NULL, &m, &err);
  kuzat_model_free(m);
  snprintf(why, whylen, "%d %s", rc, err.msg);
  return rc != KUZAT_OK && (want == 0 || rc == want) && m == NULL && err.msg[0];
}

static void test_damaged_models(void) {
  kuzat_trainset *t = make_set(10, 200);
  kuzat_train_params p;
  kuzat_train_params_default(&p);
  p.folds = 3;
  p.negatives = "b";
  kuzat_model *m;
  kuzat_error err;
  if (!CHECK(kuzat_train(t, &p, &m, NULL, &err) == KUZAT_OK, "small model: %s", err.msg)) return;
  char path[600];
  snprintf(path, sizeof path, "%s/small.kzm", dir);
  kuzat_model_save(m, path, NULL);
  size_t n, rn;
  unsigned char *gz = slurp(path, &n);
  unsigned char *raw = inflate_all(gz, n, &rn);
  char why[400];

  /* truncation at every offset of the file */
  int all = 1;
  for (size_t cut = 0; cut < n; cut++)
    if (!refused(gz, cut, 0, why, sizeof why)) {
      all = 0;
      CHECK(0, "file cut to %zu of %zu bytes was accepted: %s", cut, n, why);
      break;
    }
  CHECK(all, "every truncation of the %zu-byte file refused", n);
  /* truncation of the content at every offset, re-compressed (so gzip is
   * intact and only our own checks can catch it) */
  all = 1;
  for (size_t cut = 0; cut < rn; cut += (cut < 200 ? 1 : 7)) {
    size_t zn;
    unsigned char *z = kt_gzip(raw, cut, &zn);
    int ok = refused(z, zn, KUZAT_EFORMAT, why, sizeof why);
    free(z);
    if (!ok) {
      all = 0;
      CHECK(0, "content cut to %zu of %zu bytes: %s", cut, rn, why);
      break;
    }
  }
  CHECK(all, "every truncation of the %zu-byte content refused with EFORMAT", rn);
  /* a bit flipped at many offsets of the file, and of the content */
  /* A flip in gzip's time stamp, or in the code length of a Huffman
   * symbol the stream never uses, changes no byte of the content: such a
   * file may load, but only as the very same model. */
  all = 1;
  for (size_t at = 0; at < n; at += 3) {
    gz[at] ^= (unsigned char)(1u << (at % 8));
    int ok = refused(gz, n, 0, why, sizeof why);
    if (!ok) {
      kuzat_model *same = NULL;
      kuzat_model_load_mem(gz, n, NULL, &same, NULL);
      ok = same && strcmp(kuzat_model_id(same), kuzat_model_id(m)) == 0;
      kuzat_model_free(same);
    }
    gz[at] ^= (unsigned char)(1u << (at % 8));
    if (!ok) {
      all = 0;
      CHECK(0, "bit flip at file byte %zu accepted: %s", at, why);
      break;
    }
  }
  CHECK(all, "bit flips across the file refused, or harmless");
  all = 1;
  for (size_t at = 0; at < rn; at += (at < 100 ? 1 : 11)) {
    raw[at] ^= 0x10;
    size_t zn;
    unsigned char *z = kt_gzip(raw, rn, &zn);
    int ok = refused(z, zn, 0, why, sizeof why);
    raw[at] ^= 0x10;
    free(z);
    if (!ok) {
      all = 0;
      CHECK(0, "bit flip at content byte %zu accepted: %s", at, why);
      break;
    }
  }
  CHECK(all, "bit flips across the content refused (CRC-32)");

  /* counts that disagree with the payload, under a valid CRC: the marker
   * count (byte 44, or 52 in formats 2 and 3 with their two more header fields),
   * then the first weight count, made huge */
  unsigned char *bad = malloc(rn);
  size_t head = raw[8] >= 2 ? 56 : 48; /* the header's length */
  size_t offsets[2] = {head - 4, 0};
  size_t name_len = raw[head];
  offsets[1] = head + 4 + name_len + 4 + 6 * 8; /* the first marker's weight count */
  for (int o = 0; o < 2; o++) {
    memcpy(bad, raw, rn);
    bad[offsets[o]] = 0xFF;
    bad[offsets[o] + 1] = 0xFF;
    bad[offsets[o] + 2] = 0xFF;
    uint32_t crc = (uint32_t)crc32(0, bad, (uInt)(rn - 4));
    for (int q = 0; q < 4; q++) bad[rn - 4 + (size_t)q] = (unsigned char)(crc >> (8 * q));
    size_t zn;
    unsigned char *z = kt_gzip(bad, rn, &zn);
    CHECK(refused(z, zn, KUZAT_EFORMAT, why, sizeof why) && strstr(why, "byte"),
          "count at byte %zu made huge under a valid CRC: %s", offsets[o], why);
    free(z);
  }
  /* wrong magic, and a newer format version */
  memcpy(bad, raw, rn);
  bad[0] = 'X';
  size_t zn;
  unsigned char *z = kt_gzip(bad, rn, &zn);
  CHECK(refused(z, zn, KUZAT_EFORMAT, why, sizeof why) && strstr(why, "not a kuzat model"),
        "wrong magic: %s", why);
  free(z);
  memcpy(bad, raw, rn);
  bad[8] = KUZAT_MODEL_FORMAT + 1;
  z = kt_gzip(bad, rn, &zn);
  CHECK(refused(z, zn, KUZAT_EVERSION, why, sizeof why) && strstr(why, "newer"),
        "newer format version: %s", why);
  free(z);
  CHECK(refused((const unsigned char *)"hello", 5, KUZAT_EFORMAT, why, sizeof why),
        "not gzip: %s", why);
  kuzat_model *lm;
  CHECK(kuzat_model_load_file("/nonexistent/x.kzm", NULL, &lm, &err) == KUZAT_EIO &&
            strstr(err.msg, "/nonexistent/x.kzm"), "missing file: %s", err.msg);
  CHECK(kuzat_model_save(m, "/nonexistent-dir/m.kzm", &err) == KUZAT_EIO &&
            strstr(err.msg, "/nonexistent-dir/m.kzm"), "unwritable path: %s", err.msg);
  if (access("/dev/full", W_OK) == 0) {
    struct stat before, after;
    stat("/dev/full", &before);
    CHECK(kuzat_model_save(m, "/dev/full", &err) == KUZAT_EIO && strstr(err.msg, "No space"),
          "/dev/full: %s", err.msg);
    CHECK(stat("/dev/full", &after) == 0 && S_ISCHR(after.st_mode) == S_ISCHR(before.st_mode),
          "/dev/full is still a device");
  }
  free(bad);
  free(raw);
  free(gz);
  kuzat_model_free(m);
  kuzat_trainset_free(t);
}

/* ---- multi-label on real data ---- */

static void test_kyrgyz_topics(void) {
  const char *shared = kt_shared();
  if (!shared) {
    kt_skip("multi-label training on kyrgyz-24kg-topics", "../shared/datasets not found");
    return;
  }
  if (getenv("KUZAT_TEST_QUICK")) {
    kt_skip("multi-label training on kyrgyz-24kg-topics", "KUZAT_TEST_QUICK is set");
    return;
  }
  char path[1024];
  snprintf(path, sizeof path, "%s/kyrgyz-24kg-topics/train.tsv", shared);
  kuzat_reader *r;
  kuzat_error err;
  if (!CHECK(kuzat_reader_open(path, KUZAT_FORMAT_TSV, NULL, NULL, &r, &err) == KUZAT_OK, "%s",
             err.msg))
    return;
  kuzat_trainset *t;
  kuzat_trainset_new(NULL, NULL, &t, NULL);
  kuzat_record rec;
  while (kuzat_reader_next(r, &rec, NULL) == 1)
    if (!rec.error)
      kuzat_trainset_add(t, rec.text, rec.text_len, rec.labels, rec.labels_len, rec.lang,
                         rec.lang_len, "", 0, NULL);
  kuzat_reader_free(r);
  kuzat_train_params p;
  kuzat_train_params_default(&p);
  p.threads = 2;
  kuzat_model *m;
  kuzat_train_report *rep;
  if (!CHECK(kuzat_train(t, &p, &m, &rep, &err) == KUZAT_OK, "train: %s", err.msg)) return;
  CHECK(rep->markers == 20, "20 topics, %zu markers", rep->markers);
  /* topics with enough examples are learnt; multi-label rows count for each */
  int learnt = 0, big = 0;
  for (size_t k = 0; k < rep->markers; k++) {
    if (rep->marker[k].positives < 100) continue;
    big++;
    double *s = malloc(rep->rows * sizeof *s);
    int *y = malloc(rep->rows * sizeof *y);
    for (size_t i = 0; i < rep->rows; i++) {
      s[i] = rep->oof[i * rep->markers + k];
      y[i] = rep->truth[i * rep->markers + k];
    }
    kuzat_metrics mt;
    kuzat_metrics_compute(s, y, rep->rows, kuzat_model_threshold(m, k), NULL, &mt);
    printf("info - kyrgyz topic %-16s positives %4zu  ROC-AUC %.3f  PR-AUC %.3f  F1 %.3f\n",
           rep->marker[k].name, rep->marker[k].positives, mt.roc_auc, mt.pr_auc, mt.f1);
    learnt += mt.roc_auc > 0.85 && mt.pr_auc > 0.6;
    free(s);
    free(y);
  }
  CHECK(big >= 4 && learnt == big, "%d of %d topics with 100+ examples learnt", learnt, big);
  size_t multi = 0;
  for (size_t i = 0; i < rep->rows; i++) {
    int c = 0;
    for (size_t k = 0; k < rep->markers; k++) c += rep->truth[i * rep->markers + k];
    multi += c > 1;
  }
  CHECK(multi > 100, "%zu rows carry several topics", multi);
  kuzat_train_report_free(rep);
  kuzat_model_free(m);
  kuzat_trainset_free(t);
}

/* --decision and --target-fpr. Positives "p,a" (the decision and a marker)
 * and "p" alone (the decision without its kind), benign rows in two
 * families: "plain" (unrelated words) and "hard" (a quarter carry the
 * positives' word). The decision-only rows must not count as negatives of
 * marker a, and out of fold at most 1% of each family may be flagged. */
static void test_operating_point(void) {
  enum { N = 1600 };
  static char doc[N][200], lab[N][8], grp[N][24];
  int decision_only = 0;
  for (int d = 0; d < N; d++) {
    int kind = d % 4; /* 0: p,a  1: p alone  2: plain  3: hard */
    size_t k = 0;
    for (int w = 0; w < 10; w++)
      k += (size_t)snprintf(doc[d] + k, sizeof doc[d] - k, "%sw%u", w ? " " : "", rnd() % 300);
    if (kind < 2 || (kind == 3 && rnd() % 4 == 0))
      k += (size_t)snprintf(doc[d] + k, sizeof doc[d] - k, " alpha");
    if (kind < 2 && rnd() % 2) snprintf(doc[d] + k, sizeof doc[d] - k, " omega");
    snprintf(lab[d], sizeof lab[d], "%s", kind == 0 ? "p,a" : kind == 1 ? "p" : "");
    decision_only += kind == 1;
    snprintf(grp[d], sizeof grp[d], "%s/g%d", kind == 2 ? "plain" : kind == 3 ? "hard" : "pos",
             d % 97);
  }
  kuzat_trainset *t;
  if (!CHECK(kuzat_trainset_new(NULL, NULL, &t, NULL) == KUZAT_OK, "new set")) return;
  for (int d = 0; d < N; d++)
    kuzat_trainset_add(t, doc[d], strlen(doc[d]), lab[d], strlen(lab[d]), "en", 2, grp[d],
                       strlen(grp[d]), NULL);
  kuzat_train_params p;
  kuzat_train_params_default(&p);
  static const double one_c[] = {1}; /* the grid is not what is tested here */
  p.grid = one_c;
  p.grid_len = 1;
  p.folds = 4;
  p.threads = 2;
  kuzat_model *m0 = NULL, *m1 = NULL;
  kuzat_train_report *r0 = NULL, *r1 = NULL;
  kuzat_error err;
  CHECK(kuzat_train(t, &p, &m0, &r0, &err) == KUZAT_OK, "train without them: %s", err.msg);
  p.decision = "p";
  p.target_fpr = 0.01;
  CHECK(kuzat_train(t, &p, &m1, &r1, &err) == KUZAT_OK, "train with them: %s", err.msg);
  if (!m0 || !m1 || !r0 || !r1) goto out;
  /* markers: p then a, in order of appearance */
  CHECK(r1->markers == 2 && strcmp(r1->marker[1].name, "a") == 0, "markers p and a");
  CHECK(r0->marker[1].negatives == (size_t)(N - N / 4),
        "without --decision the decision-only rows are negatives of a (%zu)", r0->marker[1].negatives);
  CHECK(r1->marker[1].negatives == (size_t)(N - N / 4 - decision_only),
        "with it they are left out of a (%zu negatives)", r1->marker[1].negatives);
  size_t unknown = 0;
  for (int d = 0; d < N; d++)
    unknown += r1->truth[d * 2 + 1] == -1 && r1->oof[d * 2 + 1] == -1 && d % 4 == 1;
  CHECK(unknown == (size_t)decision_only, "their truth for a is -1 in the report (%zu)", unknown);
  /* out-of-fold false-positive rate per family, at each model's threshold */
  for (int fam = 2; fam <= 3; fam++) {
    size_t n = 0, fp0 = 0, fp1 = 0;
    for (int d = fam; d < N; d += 4) {
      n++;
      fp0 += r0->oof[d * 2] >= kuzat_model_threshold(m0, 0);
      fp1 += r1->oof[d * 2] >= kuzat_model_threshold(m1, 0);
    }
    CHECK(fp1 <= n / 100, "%s family: %zu of %zu flagged out of fold with target_fpr 0.01",
          fam == 2 ? "plain" : "hard", fp1, n);
    if (fam == 3)
      CHECK(fp0 > n / 100, "... where maximum F1 flags %zu (the bound did something)", fp0);
  }
  /* recall bought: the lowest threshold meeting the bound, so lowering it
   * by a little would break the bound in some family */
  {
    double th = kuzat_model_threshold(m1, 0), below = 0;
    for (int d = 2; d < N; d++)
      if (d % 4 >= 2 && r1->oof[d * 2] < th && r1->oof[d * 2] > below) below = r1->oof[d * 2];
    size_t worst = 0;
    for (int fam = 2; fam <= 3; fam++) {
      size_t fp = 0;
      for (int d = fam; d < N; d += 4) fp += r1->oof[d * 2] >= below;
      if (fp > worst) worst = fp;
    }
    CHECK(worst > (size_t)(N / 4) / 100, "the threshold is the lowest that meets the bound");
  }
  /* copies count once: 200 "plain" documents, and 400 "hard" rows that are
   * 200 documents twice over, so with a bound of 1/250 (250 distinct
   * documents needed) no cell bounds the threshold, and it is chosen as
   * without the bound (counting rows, the hard cell would bound it) */
  {
    kuzat_trainset *t2;
    kuzat_model *m2 = NULL, *m3 = NULL;
    if (CHECK(kuzat_trainset_new(NULL, NULL, &t2, NULL) == KUZAT_OK, "new set")) {
      for (int d = 0; d < N; d++) {
        int benign = d % 4 >= 2, copies = !benign ? 1 : d >= N / 2 ? 0 : d % 4 == 3 ? 2 : 1;
        for (int c = 0; c < copies; c++)
          kuzat_trainset_add(t2, doc[d], strlen(doc[d]), lab[d], strlen(lab[d]), "en", 2, grp[d],
                             strlen(grp[d]), NULL);
      }
      kuzat_train_params q = p;
      q.target_fpr = 1.0 / 250;
      q.threads = 1;
      int r2 = kuzat_train(t2, &q, &m2, NULL, &err);
      q.target_fpr = 0;
      int r3 = kuzat_train(t2, &q, &m3, NULL, &err);
      CHECK(r2 == KUZAT_OK && r3 == KUZAT_OK &&
                kuzat_model_threshold(m2, 0) == kuzat_model_threshold(m3, 0),
            "200 documents twice over are too few to bound 1/250: the threshold is maximum F1's "
            "(%.4f and %.4f)", kuzat_model_threshold(m2, 0), kuzat_model_threshold(m3, 0));
      kuzat_model_free(m2);
      kuzat_model_free(m3);
      kuzat_trainset_free(t2);
    }
  }
  p.target_fpr = 1;
  kuzat_model_free(m1);
  m1 = NULL;
  CHECK(kuzat_train(t, &p, &m1, NULL, &err) == KUZAT_EINVAL && strstr(err.msg, "false-positive"),
        "target_fpr 1 refused: %s", err.msg);
  p.target_fpr = 0.01;
  p.decision = "nope";
  CHECK(kuzat_train(t, &p, &m1, NULL, &err) == KUZAT_EINVAL && strstr(err.msg, "nope"),
        "an unknown decision label refused, named: %s", err.msg);
out:
  kuzat_model_free(m0);
  kuzat_model_free(m1);
  kuzat_train_report_free(r0);
  kuzat_train_report_free(r1);
  kuzat_trainset_free(t);
}

/* ---- format versions: every model is written as version 3; versions 1
 * and 2, which kuzat 0.1 and 0.2 wrote, load and score the same ---- */

static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(unsigned char *p, uint32_t v) {
  for (int q = 0; q < 4; q++) p[q] = (unsigned char)(v >> (8 * q));
}

/* Train on the test set with char a..b and Arabic c..d (-1: as the others),
 * save, and return the uncompressed content; *m gets the model. */
static unsigned char *trained_content(int a, int b, int c, int d, kuzat_model **m, size_t *rn) {
  kuzat_feature_params fp;
  kuzat_feature_params_default(&fp);
  fp.char_min = a, fp.char_max = b, fp.arabic_char_min = c, fp.arabic_char_max = d;
  *m = kt_train_tsv_with("tests/data/classify/train.tsv", &fp, NULL);
  if (!*m) return NULL;
  char path[600];
  snprintf(path, sizeof path, "%s/v.kzm", dir);
  if (kuzat_model_save(*m, path, NULL)) return NULL;
  size_t n;
  unsigned char *gz = slurp(path, &n);
  unsigned char *raw = inflate_all(gz, n, rn);
  free(gz);
  return raw;
}

/* Version 3 content (linear markers only) written as kuzat 0.2 wrote it:
 * version 1 when the Arabic-script range is the others' (without its two
 * fields), else 2; the weights as pairs (u32 index, f64 weight). A new
 * buffer with its CRC-32, *on its length; NULL if a marker is not linear. */
static unsigned char *as_version_2(const unsigned char *raw, size_t rn, size_t *on) {
  unsigned char *o = malloc(rn);
  const int same = le32(raw + 36) == le32(raw + 44) && le32(raw + 40) == le32(raw + 48);
  memcpy(o, raw, 44);
  put32(o + 8, same ? 1 : 2);
  size_t i = 52, k = 44; /* read and write offsets, after the header */
  if (!same) {
    memcpy(o + 44, raw + 44, 8);
    k = 52;
  }
  uint32_t nm = le32(raw + i);
  memcpy(o + k, raw + i, 4), i += 4, k += 4;
  for (uint32_t mk = 0; mk < nm; mk++) {
    size_t head = 4 + le32(raw + i) + 4 + 6 * 8; /* name length, name, kernel, six f64 */
    if (le32(raw + i + 4 + le32(raw + i)) != 0) {
      free(o);
      return NULL;
    }
    memcpy(o + k, raw + i, head + 4), i += head, k += head;
    uint32_t n = le32(raw + i), idx = 0;
    i += 4, k += 4;
    for (uint32_t q = 0; q < n; q++) {
      uint32_t gap = 0;
      for (int j = 0; j < 4; j++) gap |= (uint32_t)raw[i + (size_t)j * n + q] << (8 * j);
      put32(o + k, idx += gap);
      for (int j = 0; j < 8; j++) o[k + 4 + (size_t)j] = raw[i + (size_t)(4 + j) * n + q];
      k += 12;
    }
    i += (size_t)n * 12;
  }
  memcpy(o + k, raw + i, 4), k += 4; /* the dictionary count */
  put32(o + k, (uint32_t)crc32(0, o, (uInt)k));
  *on = k + 4;
  return o;
}

static void test_format_versions(void) {
  static const struct { int a, b, c, d, ra, rb; } cases[] = {
      {2, 5, -1, -1, 2, 5}, {5, 5, 5, 5, 5, 5}, {5, 5, 2, 5, 2, 5}, {3, 4, 0, 0, 0, 0}, {0, 0, 1, 3, 1, 3}};
  /* Arabic words beside Latin and Cyrillic ones */
  static const char *const texts[] = {"الدولة الإسلامية باقية hijrat qilish", "بسم الله",
                                      "ҳиҷрат кунед ба Хуросон", "just football"};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    kuzat_model *m = NULL;
    size_t rn = 0;
    unsigned char *raw = trained_content(cases[i].a, cases[i].b, cases[i].c, cases[i].d, &m, &rn);
    if (!CHECK(raw && rn > 60, "case %zu: trained and saved", i)) {
      kuzat_model_free(m);
      free(raw);
      continue;
    }
    uint32_t v = le32(raw + 8);
    CHECK(v == 3, "char %d..%d, Arabic %d..%d: format version %u, want 3", cases[i].a, cases[i].b,
          cases[i].c, cases[i].d, v);
    CHECK(le32(raw + 44) == (uint32_t)cases[i].ra && le32(raw + 48) == (uint32_t)cases[i].rb,
          "version 3 stores Arabic %u..%u at bytes 44 and 48", le32(raw + 44), le32(raw + 48));
    /* as saved, and as kuzat 0.2 would have saved it */
    size_t on = 0;
    unsigned char *old = as_version_2(raw, rn, &on);
    for (int form = 0; form < 2; form++) {
      kuzat_model *back = NULL;
      kuzat_error err;
      int rc;
      if (form == 0) {
        char path[600];
        snprintf(path, sizeof path, "%s/v.kzm", dir);
        rc = kuzat_model_load_file(path, NULL, &back, &err);
      } else {
        size_t zn = 0;
        unsigned char *z = old ? kt_gzip(old, on, &zn) : NULL;
        rc = z ? kuzat_model_load_mem(z, zn, NULL, &back, &err) : KUZAT_EINVAL;
        if (!z) snprintf(err.msg, sizeof err.msg, "not converted");
        free(z);
      }
      const char *as = form ? (cases[i].a == cases[i].ra && cases[i].b == cases[i].rb ? "version 1" : "version 2")
                            : "version 3";
      if (!CHECK(rc == KUZAT_OK, "case %zu loads in %s: %s", i, as, err.msg)) continue;
      kuzat_feature_params p1, p2;
      kuzat_model_feature_params(m, &p1);
      kuzat_model_feature_params(back, &p2);
      CHECK(p2.char_min == cases[i].a && p2.char_max == cases[i].b &&
                p2.arabic_char_min == cases[i].ra && p2.arabic_char_max == cases[i].rb &&
                memcmp(&p1, &p2, sizeof p1) == 0,
            "case %zu in %s: parameters as trained, resolved (Arabic %d..%d)", i, as,
            p2.arabic_char_min, p2.arabic_char_max);
      if (form == 0) CHECK(strcmp(kuzat_model_id(m), kuzat_model_id(back)) == 0, "case %zu: the same id", i);
      kuzat_scorer *s1 = NULL, *s2 = NULL;
      kuzat_scorer_new(m, NULL, &s1, NULL);
      kuzat_scorer_new(back, NULL, &s2, NULL);
      for (size_t t = 0; s1 && s2 && t < sizeof texts / sizeof *texts; t++) {
        const kuzat_result *r1 = NULL, *r2 = NULL;
        kuzat_score(s1, texts[t], strlen(texts[t]), NULL, 0, NULL, &r1, NULL);
        kuzat_score(s2, texts[t], strlen(texts[t]), NULL, 0, NULL, &r2, NULL);
        CHECK(r1 && r2 && r1->decision[0] == r2->decision[0],
              "case %zu, \"%s\": the model loaded from %s scores the same", i, texts[t], as);
      }
      kuzat_scorer_free(s1);
      kuzat_scorer_free(s2);
      kuzat_model_free(back);
    }
    /* the Arabic fields are checked like the others, under a valid CRC:
     * out of range, and the API's sentinel (-1 as a u32); in version 2 also
     * the one range of every word, which has one encoding there (version 1) */
    const struct { uint32_t amin, amax; const char *why; int version; } bad_fields[] = {
        {2, 9, "Arabic", 3}, {0xFFFFFFFFu, 0xFFFFFFFFu, "Arabic", 3}, {0, 0xFFFFFFFFu, "Arabic", 3},
        {2, 9, "Arabic", 2}, {le32(raw + 36), le32(raw + 40), "which version 1 writes", 2}};
    for (size_t b = 0; b < sizeof bad_fields / sizeof *bad_fields; b++) {
      const unsigned char *src = bad_fields[b].version == 3 ? raw : old;
      size_t sn = bad_fields[b].version == 3 ? rn : on;
      if (!src || le32(src + 8) != (uint32_t)bad_fields[b].version) continue;
      unsigned char *bad = malloc(sn);
      memcpy(bad, src, sn);
      put32(bad + 44, bad_fields[b].amin);
      put32(bad + 48, bad_fields[b].amax);
      put32(bad + sn - 4, (uint32_t)crc32(0, bad, (uInt)(sn - 4)));
      size_t zn;
      unsigned char *z = kt_gzip(bad, sn, &zn);
      char why[400];
      CHECK(refused(z, zn, KUZAT_EFORMAT, why, sizeof why) && strstr(why, bad_fields[b].why),
            "case %zu: Arabic range %u..%u in a version %d file refused: %s", i, bad_fields[b].amin,
            bad_fields[b].amax, bad_fields[b].version, why);
      free(z);
      free(bad);
    }
    free(old);
    kuzat_model_free(m);
    free(raw);
  }
}

int main(void) {
  if (!mkdtemp(dir)) return 1;
  make_data();
  test_collapse_equals_libsvm();
  test_large_exact_equals_libsvm();
  test_train_and_round_trip();
  test_rbf_round_trip();
  test_refusals();
  test_damaged_models();
  test_format_versions();
  test_kyrgyz_topics();
  test_operating_point();
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) printf("note: could not remove %s\n", dir);
  return kt_done();
}
