/*
 * test_threads.c -- one model, eight threads, each with its own scorer:
 * every score equals the serial one, bit for bit. Run it under
 * ThreadSanitizer too (.ci/run: make SANITIZER=thread), which then checks
 * that the shared model is only ever read. Then the same documents in one
 * kuzat_score_many() call on eight scorers.
 */
#include "check.h"
#include "helpers.h"
#include "kuzat.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NTHREADS 8
#define MAXDOC 600

static kuzat_model *model;
static char *doc[MAXDOC];
static size_t ndoc;
static double serial[MAXDOC][2]; /* probability, decision value */

static void load_docs(void) {
  kuzat_reader *r;
  if (kuzat_reader_open("tests/data/classify/train.tsv", KUZAT_FORMAT_AUTO, NULL, NULL, &r, NULL))
    return;
  kuzat_record rec;
  char *first[64];
  size_t nfirst = 0;
  while (kuzat_reader_next(r, &rec, NULL) == 1 && nfirst < 64) first[nfirst++] = strndup(rec.text, rec.text_len);
  kuzat_reader_free(r);
  /* the sentences, and pairs and triples of them, so documents differ */
  for (size_t i = 0; i < nfirst && ndoc < MAXDOC; i++) doc[ndoc++] = first[i];
  for (size_t i = 0; i < nfirst && ndoc < MAXDOC; i++)
    for (size_t j = i + 1; j < nfirst && ndoc < MAXDOC; j += 7) {
      size_t n = strlen(first[i]) + strlen(first[j]) + 2;
      char *d = malloc(n);
      snprintf(d, n, "%s %s", first[i], first[j]);
      doc[ndoc++] = d;
    }
}

typedef struct worker {
  pthread_t th;
  size_t start;
  size_t mismatches, failures;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  kuzat_scorer *s;
  if (kuzat_scorer_new(model, NULL, &s, NULL)) {
    w->failures = ndoc;
    return NULL;
  }
  kuzat_score_params p;
  kuzat_score_params_default(&p);
  p.explain = 3; /* the explanation path reads the model too */
  for (size_t k = 0; k < ndoc; k++) {
    size_t i = (w->start + k) % ndoc;
    const kuzat_result *r;
    if (kuzat_score(s, doc[i], strlen(doc[i]), NULL, 0, &p, &r, NULL)) {
      w->failures++;
      continue;
    }
    if (r->prob[0] != serial[i][0] || r->decision[0] != serial[i][1]) w->mismatches++;
  }
  kuzat_scorer_free(s);
  return NULL;
}

/* The same documents in one kuzat_score_many() call on NTHREADS scorers:
 * its threads share the batch's counter and outputs (under ThreadSanitizer,
 * that they do so under its lock or in parts of their own). */
static void test_batch(void) {
  static const char *texts[MAXDOC];
  static size_t lens[MAXDOC];
  static double score[MAXDOC];
  kuzat_scorer *s[NTHREADS];
  int made = 0;
  for (int t = 0; t < NTHREADS; t++) made += kuzat_scorer_new(model, NULL, &s[t], NULL) == 0;
  if (!CHECK(made == NTHREADS, "%d scorers", made)) return;
  for (size_t i = 0; i < ndoc; i++) texts[i] = doc[i], lens[i] = strlen(doc[i]);
  kuzat_batch_out out = {score, NULL, NULL, NULL, NULL};
  kuzat_error err;
  int rc = kuzat_score_many(s, NTHREADS, texts, lens, ndoc, NULL, &out, &err);
  CHECK(rc == KUZAT_OK, "kuzat_score_many on %d threads: %s", NTHREADS, err.msg);
  size_t mism = 0;
  for (size_t i = 0; i < ndoc; i++) mism += score[i] != serial[i][0];
  CHECK(mism == 0, "kuzat_score_many on %d threads: every score is the serial one (%zu differ)",
        NTHREADS, mism);
  for (int t = 0; t < NTHREADS; t++) kuzat_scorer_free(s[t]);
}

int main(void) {
  model = kt_train_tsv("tests/data/classify/train.tsv", KUZAT_KERNEL_LINEAR);
  if (!CHECK(model != NULL, "train the test model")) return kt_done();
  load_docs();
  CHECK(ndoc >= 200, "%zu documents", ndoc);
  kuzat_scorer *s;
  kuzat_scorer_new(model, NULL, &s, NULL);
  for (size_t i = 0; i < ndoc; i++) {
    const kuzat_result *r;
    kuzat_score(s, doc[i], strlen(doc[i]), NULL, 0, NULL, &r, NULL);
    serial[i][0] = r->prob[0];
    serial[i][1] = r->decision[0];
  }
  kuzat_scorer_free(s);
  worker w[NTHREADS];
  memset(w, 0, sizeof w);
  int started = 0;
  for (int t = 0; t < NTHREADS; t++) {
    w[t].start = (size_t)t * ndoc / NTHREADS;
    if (pthread_create(&w[t].th, NULL, work, &w[t]) == 0) started++;
  }
  size_t mism = 0, fail = 0;
  for (int t = 0; t < started; t++) {
    pthread_join(w[t].th, NULL);
    mism += w[t].mismatches;
    fail += w[t].failures;
  }
  CHECK(started == NTHREADS, "%d threads started", started);
  CHECK(fail == 0, "every call succeeded (%zu failed)", fail);
  CHECK(mism == 0, "%d threads x %zu documents on one model: every score equals the serial "
        "one, bit for bit (%zu differ)", NTHREADS, ndoc, mism);
  test_batch();
  kuzat_model_free(model);
  for (size_t i = 0; i < ndoc; i++) free(doc[i]);
  return kt_done();
}
