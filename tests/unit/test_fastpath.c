/*
 * test_fastpath.c -- the scoring path (kuzat__model_dot: count.c's
 * unordered table, weights.c's layout) against the reference path
 * (kuzat_featurise, then kuzat_model_decision: the ordered vector), which
 * is how every document was scored before the fast path and is still how
 * training and explanations see a text.
 *
 * 1. count.c alone, on hashes made to collide, to crowd one bucket and to
 *    exceed the probing budget, against a direct computation.
 * 2. Whole models (the default model's eight markers, and models trained
 *    here with one and three markers, with 2^20 and with 2^6 buckets, where
 *    most features share a bucket) on every text of tests/data and, when
 *    the shared datasets are present, every text of the benchmark's
 *    throughput corpus: decision values and probabilities within 1e-9 of
 *    the reference (the issue allows 1e-6), and the portable code the same
 *    bits as the one the processor runs.
 * 3. The blocks a model is loaded into: 2 MB-aligned with the default
 *    allocator, the caller's allocator honoured.
 */
#include "check.h"
#include "helpers.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- 1. count.c against a direct computation ---- */

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

#define BITS 10
#define NB (1u << BITS)

typedef struct synth {
  uint64_t index[2 * NB / 64];
  double rows[NB * 8];
  kz_rows w;
} synth;

/* Half the buckets with weights for nm markers (stride as weights.c picks). */
static void synth_make(synth *s, size_t nm) {
  memset(s, 0, sizeof *s);
  size_t stride = nm == 1 ? 1 : nm <= 2 ? 2 : nm <= 4 ? 4 : 8, nrows = 0;
  for (unsigned b = 0; b < NB; b++)
    if (next_rand() & 1) s->index[2 * (b / 64)] |= (uint64_t)1 << (b % 64);
  for (unsigned k = 0; k < NB / 64; k++) {
    s->index[2 * k + 1] = nrows;
    nrows += kuzat__popcount64(s->index[2 * k]);
  }
  for (size_t r = 0; r < nrows; r++)
    for (size_t i = 0; i < nm; i++)
      s->rows[r * stride + i] = (double)(int64_t)(next_rand() % 2001) / 1000.0 - 1.0;
  s->w.index = s->index;
  s->w.rows = s->rows;
  s->w.stride = stride;
  s->w.nm = nm;
}

static int cmp_rot(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  x = (x >> BITS) | (x << (64 - BITS));
  y = (y >> BITS) | (y << (64 - BITS));
  return x < y ? -1 : x > y;
}

/* The ordered vector's arithmetic, unnormalised: sum[i] over buckets of
 * row_i times the bucket's value, and the squared norm. */
static void direct(const synth *s, const uint64_t *keys, size_t nk, double *sum, double *norm2) {
  uint64_t *k = malloc(nk * sizeof *k + 1);
  memcpy(k, keys, nk * sizeof *k);
  qsort(k, nk, sizeof *k, cmp_rot);
  for (size_t i = 0; i < s->w.nm; i++) sum[i] = 0;
  *norm2 = 0;
  for (size_t i = 0, j; i < nk; i = j) {
    uint64_t b = k[i] & (NB - 1);
    double v = 0;
    for (j = i; j < nk && (k[j] & (NB - 1)) == b;) {
      size_t e = j;
      while (e < nk && k[e] == k[j]) e++;
      v += kuzat__tf_weight(k[j], e - j);
      j = e;
    }
    *norm2 += v * v;
    size_t r = kuzat__row_of(&s->w, b);
    if (r)
      for (size_t m = 0; m < s->w.nm; m++) sum[m] += s->w.rows[(r - 1) * s->w.stride + m] * v;
  }
  free(k);
}

static int close_to(double a, double b) { return fabs(a - b) <= 1e-12 * (1 + fabs(b)); }

/* Count keys both ways (and with the portable code); 1 when they agree. */
static int agree(kz_counter **c, const kz_alloc *a, const synth *s, const uint64_t *keys,
                 size_t nk, const char *what) {
  double want[8], got[8], port[8], n2w, n2g, n2p;
  direct(s, keys, nk, want, &n2w);
  int rc = kuzat__count_dot(c, a, keys, nk, BITS, &s->w, got, &n2g, 0);
  int rp = kuzat__count_dot(c, a, keys, nk, BITS, &s->w, port, &n2p, 1);
  if (!CHECK(rc == KUZAT_OK && rp == KUZAT_OK, "%s: counted (%d, %d)", what, rc, rp)) return 0;
  int ok = close_to(n2g, n2w) && n2g == n2p;
  for (size_t i = 0; i < s->w.nm; i++) ok &= close_to(got[i], want[i]) && got[i] == port[i];
  return CHECK(ok, "%s: sums and norm as the ordered vector's (norm^2 %.17g, want %.17g; "
               "sum[0] %.17g, want %.17g, portable %.17g)", what, n2g, n2w, got[0], want[0],
               port[0]);
}

static void test_counter(void) {
  kz_alloc a;
  kuzat__alloc_init(&a, NULL);
  kz_counter *c = NULL;
  static synth s;
  static uint64_t keys[6000], pool[400];
  const size_t markers[] = {1, 3, 8};
  for (size_t m = 0; m < 3; m++) {
    synth_make(&s, markers[m]);
    /* 400 distinct hashes, a quarter of them in 20 buckets, drawn 6000
     * times: repeats (1 + ln tf past the table's counts) and collisions */
    for (size_t i = 0; i < 400; i++)
      pool[i] = i % 4 ? next_rand() : (next_rand() & ~(uint64_t)(NB - 1)) | (i / 4 % 20 * 37);
    for (size_t i = 0; i < 6000; i++) keys[i] = pool[next_rand() % (i < 3000 ? 400 : 9)];
    char what[64];
    snprintf(what, sizeof what, "%zu markers, repeats and collisions", markers[m]);
    agree(&c, &a, &s, keys, 6000, what);
    snprintf(what, sizeof what, "%zu markers, one hash", markers[m]);
    agree(&c, &a, &s, keys, 1, what);
    snprintf(what, sizeof what, "%zu markers, no hash", markers[m]);
    agree(&c, &a, &s, keys, 0, what);
    /* 20 distinct hashes in one bucket: one probe run, summed exactly */
    for (size_t i = 0; i < 60; i++) keys[i] = (next_rand() & ~(uint64_t)(NB - 1)) | 7;
    for (size_t i = 20; i < 60; i++) keys[i] = keys[i % 20];
    snprintf(what, sizeof what, "%zu markers, 20 hashes of one bucket", markers[m]);
    agree(&c, &a, &s, keys, 60, what);
  }
  /* 3000 distinct hashes of one bucket: past the probing budget, the
   * caller is told to take the ordered path, and the table is left empty */
  for (size_t i = 0; i < 3000; i++) keys[i] = (next_rand() & ~(uint64_t)(NB - 1)) | 5;
  double sum[8], n2;
  CHECK(kuzat__count_dot(&c, &a, keys, 3000, BITS, &s.w, sum, &n2, 0) == KZ_COUNT_FALLBACK,
        "hashes crowding one home slot: the ordered path instead");
  CHECK(kuzat__count_dot(&c, &a, keys, 3000, BITS, &s.w, sum, &n2, 1) == KZ_COUNT_FALLBACK,
        "the same with the portable code");
  keys[0] = 12345;
  agree(&c, &a, &s, keys, 1, "after a fallback, the table is empty again");
  kuzat__counter_free(&a, c);
}

/* ---- 2. whole models against the reference path ---- */

typedef struct texts {
  char **t;
  size_t *len, n, cap;
} texts;

static void add_text(texts *x, const char *s, size_t len) {
  if (x->n == x->cap) {
    x->cap = x->cap ? 2 * x->cap : 1024;
    x->t = realloc(x->t, x->cap * sizeof *x->t);
    x->len = realloc(x->len, x->cap * sizeof *x->len);
  }
  x->t[x->n] = malloc(len + 1);
  memcpy(x->t[x->n], s, len);
  x->t[x->n][len] = '\0';
  x->len[x->n++] = len;
}

/* Every line of a file, and the whole file as one text. */
static void add_file(texts *x, const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return;
  char *all = NULL, *line = NULL;
  size_t len = 0, lcap = 0;
  ssize_t n;
  while ((n = getline(&line, &lcap, f)) > 0) {
    add_text(x, line, (size_t)n - (line[n - 1] == '\n'));
    all = realloc(all, len + (size_t)n + 1);
    memcpy(all + len, line, (size_t)n);
    len += (size_t)n;
  }
  if (len) add_text(x, all, len);
  free(all);
  free(line);
  fclose(f);
}

/* Every record's text of a file the reader reads (TSV with a text column). */
static size_t add_records(texts *x, const char *path, size_t most) {
  kuzat_reader *r;
  if (kuzat_reader_open(path, KUZAT_FORMAT_AUTO, NULL, NULL, &r, NULL)) return 0;
  kuzat_record rec;
  size_t n = 0;
  while (n < most && kuzat_reader_next(r, &rec, NULL) == 1) {
    add_text(x, rec.text, rec.text_len);
    n++;
  }
  kuzat_reader_free(r);
  return n;
}

/* Every text scored both ways by one model; the largest differences. */
static void compare(const kuzat_model *m, const char *name, const texts *x) {
  kuzat_feature_params fp;
  kuzat_model_feature_params(m, &fp);
  kuzat_normaliser *n;
  kuzat_featuriser *f;
  if (!CHECK(kuzat_normaliser_new(NULL, &n, NULL) == KUZAT_OK &&
                 kuzat_featuriser_new(&fp, NULL, &f, NULL) == KUZAT_OK,
             "%s: normaliser and featuriser", name))
    return;
  size_t nm = kuzat_model_markers(m), bad = 0, differ = 0;
  double *ref = calloc(nm, sizeof *ref), *fast = calloc(nm, sizeof *fast),
         *port = calloc(nm, sizeof *port), dmax = 0, pmax = 0;
  for (size_t k = 0; k < x->n; k++) {
    kuzat_text t;
    const kuzat_feature *v;
    size_t cnt;
    if (kuzat_normalise(n, x->t[k], x->len[k], 0, &t, NULL) ||
        kuzat_featurise(f, t.utf8, t.len, &v, &cnt, NULL) || kuzat_model_decision(m, v, ref, NULL)) {
      bad++;
      continue;
    }
    kuzat__featuriser_portable(f, 0);
    int rc = kuzat__model_dot(m, f, t.utf8, t.len, fast);
    kuzat__featuriser_portable(f, 1);
    rc |= kuzat__model_dot(m, f, t.utf8, t.len, port);
    if (rc) {
      bad++;
      continue;
    }
    for (size_t i = 0; i < nm; i++) {
      double d = fabs(fast[i] - ref[i]);
      double p = fabs(kuzat_model_probability(m, i, fast[i]) - kuzat_model_probability(m, i, ref[i]));
      if (d > dmax) dmax = d;
      if (p > pmax) pmax = p;
      differ += fast[i] != port[i];
    }
  }
  CHECK(bad == 0, "%s: every text scored both ways (%zu failed)", name, bad);
  CHECK(dmax <= 1e-9 && pmax <= 1e-9, "%s: the fast path's decision values and probabilities "
        "within 1e-9 of the reference (largest differences %.3g, %.3g)", name, dmax, pmax);
  CHECK(differ == 0, "%s: the portable code gives the same bits (%zu values differ)", name, differ);
  printf("info - %s: %zu texts, %zu markers: largest difference from the reference path %.2g "
         "(decision value), %.2g (probability)\n", name, x->n, nm, dmax, pmax);
  free(ref);
  free(fast);
  free(port);
  kuzat_featuriser_free(f);
  kuzat_normaliser_free(n);
}

/* A model of train.tsv with three markers: propaganda, and two made up
 * from the row number, so every stride of weights.c's layout is used. */
static kuzat_model *three_markers(int bits) {
  kuzat_feature_params fp;
  kuzat_feature_params_default(&fp);
  fp.bits = bits;
  kuzat_trainset *t = NULL;
  kuzat_reader *r = NULL;
  if (kuzat_trainset_new(&fp, NULL, &t, NULL) ||
      kuzat_reader_open("tests/data/classify/train.tsv", KUZAT_FORMAT_AUTO, NULL, NULL, &r, NULL)) {
    kuzat_trainset_free(t);
    return NULL;
  }
  kuzat_record rec;
  size_t row = 0;
  while (kuzat_reader_next(r, &rec, NULL) == 1) {
    char labels[256];
    snprintf(labels, sizeof labels, "%.*s%s%s", (int)rec.labels_len, rec.labels,
             row % 2 ? ",odd" : "", row % 3 == 0 ? ",third" : "");
    const char *l = labels[0] == ',' ? labels + 1 : labels;
    kuzat_trainset_add(t, rec.text, rec.text_len, l, strlen(l), NULL, 0, NULL, 0, NULL);
    row++;
  }
  kuzat_reader_free(r);
  kuzat_train_params p;
  kuzat_train_params_default(&p);
  kuzat_model *m = NULL;
  kuzat_train(t, &p, &m, NULL, NULL);
  kuzat_trainset_free(t);
  return m;
}

/* ---- 3. the blocks a model is loaded into ---- */

static size_t counted_allocs;
static void *counting_alloc(void *ud, size_t n) {
  (void)ud;
  counted_allocs++;
  return malloc(n);
}
static void *counting_realloc(void *ud, void *p, size_t n) {
  (void)ud;
  return realloc(p, n);
}
static void counting_free(void *ud, void *p) {
  (void)ud;
  free(p);
}

/* kuzat__malloc_huge(): with the default allocator, a block of at least 1
 * MB starts on a 2 MB boundary (so that every page of it may be a huge
 * one, the first and the last included), is usable to its end, grows
 * with realloc and is freed like any other; a smaller block, or any block
 * of a caller's allocator, comes from the allocator as it is. */
static void test_huge_blocks(void) {
  const size_t mb2 = (size_t)2 << 20;
  kz_alloc a;
  kuzat__alloc_init(&a, NULL);
  const size_t sizes[] = {mb2 / 2, mb2, mb2 + 1, 5 * mb2 + 123, 9763829};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    unsigned char *p = kuzat__malloc_huge(&a, sizes[i]);
    CHECK(p != NULL, "%zu bytes", sizes[i]);
    if (!p) continue;
#if defined(__linux__)
    CHECK((uintptr_t)p % mb2 == 0, "%zu bytes start on a 2 MB boundary (%p)", sizes[i], (void *)p);
#endif
    memset(p, 0xA5, sizes[i]);
    unsigned char *q = a.realloc(a.ud, p, sizes[i] + mb2);
    CHECK(q && q[0] == 0xA5 && q[sizes[i] - 1] == 0xA5, "%zu bytes reallocated with their contents",
          sizes[i]);
    kuzat__free(&a, q ? q : p);
  }
  unsigned char *small = kuzat__malloc_huge(&a, 4096);
  CHECK(small != NULL, "a small block");
  if (small) memset(small, 1, 4096);
  kuzat__free(&a, small);
  kuzat_allocator mine = {counting_alloc, counting_realloc, counting_free, NULL};
  kuzat__alloc_init(&a, &mine);
  counted_allocs = 0;
  unsigned char *p = kuzat__malloc_huge(&a, 3 * mb2);
  CHECK(p != NULL && counted_allocs == 1, "a caller's allocator gives the block (%zu calls)",
        counted_allocs);
  if (p) memset(p, 2, 3 * mb2);
  kuzat__free(&a, p);
}

int main(void) {
  test_counter();
  test_huge_blocks();

  texts x = {0};
  const char *files[] = {"tests/data/classify/train.tsv", "tests/data/normalise.tsv",
                         "tests/data/invariance.tsv", "tests/data/classify/golden/chat.txt",
                         "tests/data/classify/golden/post.txt", "tests/data/classify/golden/posts.tsv",
                         "tests/data/classify/golden/posts.jsonl", "tests/data/classify/golden/talk.srt",
                         "tests/data/classify/golden/talk.json", "datasets/samples/channel-post.txt"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) add_file(&x, files[i]);
  CHECK(x.n > 500, "texts from tests/data (%zu)", x.n);
  const char *shared = kt_shared();
  if (shared) {
    /* the throughput corpus's sources (bench/corpus.sh) */
    const char *src[] = {"isis-twitter-en/train", "kyrgyz-24kg-topics/train", "tajik-text/train",
                         "uzbek-sentiment/manual_train", "tatoeba-uzbek-cyrillic/train",
                         "ud-treebanks-ky-uz-ru/train"};
    size_t most = getenv("KUZAT_TEST_QUICK") ? 300 : (size_t)-1, got = 0;
    for (size_t i = 0; i < sizeof src / sizeof src[0]; i++) {
      char path[1024];
      snprintf(path, sizeof path, "%s/%s.tsv", shared, src[i]);
      got += add_records(&x, path, most);
    }
    CHECK(got > (most == (size_t)-1 ? 20000 : 1000), "the throughput corpus's texts (%zu)", got);
  } else {
    kt_skip("the throughput corpus's texts", "../shared/datasets not found (set KUZAT_SHARED)");
  }

  kuzat_model *m = NULL;
  if (kuzat_model_load_file("models/default.kzm", NULL, &m, NULL) == KUZAT_OK) {
    compare(m, "the default model", &x);
    kuzat_model_free(m);
  } else {
    kt_skip("the default model", "models/default.kzm not found");
  }
  kuzat_feature_params fp;
  kuzat_feature_params_default(&fp);
  m = kt_train_tsv_with("tests/data/classify/train.tsv", &fp, NULL);
  if (CHECK(m, "one marker, 2^20 buckets")) compare(m, "one marker, 2^20 buckets", &x);
  kuzat_model_free(m);
  m = three_markers(20);
  if (CHECK(m, "three markers, 2^20 buckets")) compare(m, "three markers, 2^20 buckets", &x);
  kuzat_model_free(m);
  m = three_markers(6);
  if (CHECK(m, "three markers, 2^6 buckets")) compare(m, "three markers, 2^6 buckets", &x);
  kuzat_model_free(m);

  for (size_t i = 0; i < x.n; i++) free(x.t[i]);
  free(x.t);
  free(x.len);
  return kt_done();
}
