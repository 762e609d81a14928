/*
 * batch.c -- kuzat_score_many(): many texts in one call, on one thread per
 * scorer.
 *
 * Why it exists: a binding (Python's ctypes) that calls kuzat_score() once
 * per text spends a third of each call in its own code, holding its global
 * lock, so its threads cannot score in parallel. One call for a whole batch
 * leaves the binding one loop to prepare the texts and one to read the
 * numbers back, and the threads below score without it.
 *
 * The texts are handed out in small blocks under a mutex: texts differ in
 * length, so a fixed split would leave one thread idle while another ends
 * a long tail. Each text is scored alone by whichever scorer takes it; a
 * scorer's result never depends on what it scored before, so the output is
 * the same with any number of scorers.
 */
#include "score.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

/* Texts taken at once: enough to make the mutex cheap, few enough that the
 * threads end together. */
#define KZ_BATCH_BLOCK 16

typedef struct kz_batch {
  const char *const *texts;
  const size_t *lens;
  size_t n;
  const kuzat_score_params *p;
  const kuzat_batch_out *out;
  size_t markers;
  pthread_mutex_t lock;
  size_t next;  /* the first text no thread has taken */
  int stop;     /* a thread failed: take no more */
} kz_batch;

typedef struct kz_batch_worker {
  kz_batch *b;
  kuzat_scorer *s;
  size_t failed_at; /* the text that failed, or SIZE_MAX */
  int rc;
  kuzat_error err;
} kz_batch_worker;

/* A missing text (NULL): NaN scores, nothing flagged, no language. */
static void put_missing(const kz_batch *b, size_t i) {
  const kuzat_batch_out *o = b->out;
  if (o->score) o->score[i] = NAN;
  if (o->flagged) o->flagged[i] = 0;
  if (o->lang) o->lang[i] = -1;
  for (size_t k = 0; k < b->markers; k++) {
    if (o->prob) o->prob[i * b->markers + k] = NAN;
    if (o->marker_flagged) o->marker_flagged[i * b->markers + k] = 0;
  }
}

static void put_result(const kz_batch *b, size_t i, const kuzat_result *r) {
  const kuzat_batch_out *o = b->out;
  if (o->score) o->score[i] = r->score;
  if (o->flagged) o->flagged[i] = r->any_flagged;
  if (o->lang) o->lang[i] = r->lang;
  if (o->prob) memcpy(o->prob + i * b->markers, r->prob, b->markers * sizeof *r->prob);
  if (o->marker_flagged)
    memcpy(o->marker_flagged + i * b->markers, r->flagged, b->markers * sizeof *r->flagged);
}

/* Texts [*lo, *hi) to score next; 0 when there are none left. */
static int take(kz_batch *b, size_t *lo, size_t *hi) {
  pthread_mutex_lock(&b->lock);
  int any = !b->stop && b->next < b->n;
  if (any) {
    *lo = b->next;
    *hi = b->n - b->next < KZ_BATCH_BLOCK ? b->n : b->next + KZ_BATCH_BLOCK;
    b->next = *hi;
  }
  pthread_mutex_unlock(&b->lock);
  return any;
}

static void halt(kz_batch *b) {
  pthread_mutex_lock(&b->lock);
  b->stop = 1;
  pthread_mutex_unlock(&b->lock);
}

static void *work(void *arg) {
  kz_batch_worker *w = arg;
  kz_batch *b = w->b;
  size_t lo, hi;
  while (take(b, &lo, &hi)) {
    for (size_t i = lo; i < hi; i++) {
      if (!b->texts[i]) {
        put_missing(b, i);
        continue;
      }
      const kuzat_result *r;
      int rc = kuzat_score(w->s, b->texts[i], b->lens[i], NULL, 0, b->p, &r, &w->err);
      if (rc) {
        w->rc = rc;
        w->failed_at = i;
        halt(b);
        return NULL;
      }
      put_result(b, i, r);
    }
  }
  return NULL;
}

/* KUZAT_OK, or KUZAT_EINVAL with err set, for the arguments as a whole. */
static int check_args(kuzat_scorer *const *scorers, size_t nscorers, const char *const *texts,
                      const size_t *lens, size_t n, const kuzat_score_params *p,
                      const kuzat_batch_out *out, kuzat_error *err) {
  if (!scorers || nscorers == 0 || !out || (n > 0 && (!texts || !lens)))
    return kuzat__fail(err, KUZAT_EINVAL, "NULL argument");
  for (size_t j = 0; j < nscorers; j++) {
    if (!scorers[j]) return kuzat__fail(err, KUZAT_EINVAL, "scorer %zu is NULL", j);
    if (scorers[j]->m != scorers[0]->m)
      return kuzat__fail(err, KUZAT_EINVAL, "scorer %zu is of another model than scorer 0", j);
    for (size_t k = 0; k < j; k++)
      if (scorers[k] == scorers[j])
        return kuzat__fail(err, KUZAT_EINVAL,
                           "scorers %zu and %zu are the same: one thread each", k, j);
  }
  if (p && p->explain > 0)
    return kuzat__fail(err, KUZAT_EINVAL,
                       "explanations are per text (kuzat_score()), not in a batch");
  return KUZAT_OK;
}

int kuzat_score_many(kuzat_scorer *const *scorers, size_t nscorers, const char *const *texts,
                     const size_t *lens, size_t n, const kuzat_score_params *p,
                     const kuzat_batch_out *out, kuzat_error *err) {
  kuzat__error_clear(err);
  int rc = check_args(scorers, nscorers, texts, lens, n, p, out, err);
  if (rc) return rc;
  kz_batch b = {texts, lens, n, p, out, scorers[0]->nm, PTHREAD_MUTEX_INITIALIZER, 0, 0};
  /* No more threads than blocks of texts: a thread with nothing to do
   * would only cost its start. */
  size_t blocks = (n + KZ_BATCH_BLOCK - 1) / KZ_BATCH_BLOCK;
  size_t nw = nscorers < blocks ? nscorers : blocks ? blocks : 1;
  const kz_alloc *a = &scorers[0]->a;
  kz_batch_worker one, *w = &one;
  pthread_t *tid = NULL;
  if (nw > 1) {
    w = kuzat__calloc(a, nw, sizeof *w);
    tid = kuzat__calloc(a, nw, sizeof *tid);
    if (!w || !tid) {
      kuzat__free(a, w);
      kuzat__free(a, tid);
      pthread_mutex_destroy(&b.lock);
      return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
    }
  }
  for (size_t j = 0; j < nw; j++) {
    w[j].b = &b;
    w[j].s = scorers[j];
    w[j].failed_at = SIZE_MAX;
    w[j].rc = KUZAT_OK;
  }
  /* Scorer 0 works in the calling thread. A thread that cannot be started
   * is no error: the others take its share. */
  size_t started = 0;
  for (size_t j = 1; j < nw; j++)
    if (pthread_create(&tid[started], NULL, work, &w[j]) == 0) started++;
  work(&w[0]);
  for (size_t j = 0; j < started; j++) pthread_join(tid[j], NULL);
  pthread_mutex_destroy(&b.lock);

  /* Report the failure of the earliest text, whichever thread met it. */
  size_t first = 0;
  for (size_t j = 1; j < nw; j++)
    if (w[j].failed_at < w[first].failed_at) first = j;
  rc = w[first].rc;
  if (rc) kuzat__fail(err, rc, "text %zu: %s", w[first].failed_at, w[first].err.msg);
  if (nw > 1) {
    kuzat__free(a, w);
    kuzat__free(a, tid);
  }
  return rc;
}
