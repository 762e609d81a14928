/*
 * ring.c -- the run: records in, lines out, in input order.
 *
 * With one thread there is no ring: read, score, write. With N, records
 * flow in input order through a ring of slots: one thread reads records
 * into free slots, N workers score them, and the main thread writes each
 * slot's line as soon as it and every slot before it are done. So output
 * order never depends on the number of threads, and on a pipe a record's
 * line goes out as soon as it is scored (nothing waits for a batch to
 * fill).
 */
#include "classify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* At most this many text bytes wait in the ring (beyond one record), so
 * memory stays bounded whatever the input. */
#define RING_BYTES ((size_t)16 << 20)

/* Write a finished job; count it. Returns nonzero when output failed. */
static int write_job(run *R, job *j) {
  if (j->bad) R->bad++;
  if (j->io_failed) R->io_failed++;
  job_done(R, j); /* report.c: its message, --eval, --summary, --progress, the page */
  if (fwrite(j->out.p, 1, j->out.len, stdout) != j->out.len) R->write_failed = 1;
  if (R->line_buffered && fflush(stdout) != 0) R->write_failed = 1;
  return R->write_failed;
}

/* Point a job at a record (serial) or copy it in (threaded). */
static int set_job(job *j, const kuzat_record *rec, const char *io_error, int copy) {
  j->io_failed = io_error != NULL;
  j->has_labels = rec->has_labels;
  j->encoding = rec->encoding;
  j->status = rec->status;
  j->full_len = rec->full_len > rec->text_len ? rec->full_len : rec->text_len;
  j->nseg = rec->segments_len;
  const char *src[5] = {rec->id, rec->text, rec->labels, rec->lang, rec->error};
  size_t len[5] = {rec->id_len, rec->text_len, rec->labels_len, rec->lang_len,
                   rec->error ? strlen(rec->error) : 0};
  if (!copy) {
    j->id = src[0], j->text = src[1], j->labels = src[2], j->lang = src[3], j->error = src[4];
    j->id_len = len[0], j->text_len = len[1], j->labels_len = len[2], j->lang_len = len[3];
    j->seg = rec->segments;
    return 0;
  }
  size_t total = 0;
  for (int k = 0; k < 5; k++) total += len[k] + 1;
  if (total > j->store_cap) {
    char *p = realloc(j->store, total);
    if (!p) return -1;
    j->store = p;
    j->store_cap = total;
  }
  if (j->nseg > j->seg_cap) {
    kuzat_segment *s = realloc(j->seg_store, j->nseg * sizeof *s);
    if (!s) return -1;
    j->seg_store = s;
    j->seg_cap = j->nseg;
  }
  if (j->nseg) memcpy(j->seg_store, rec->segments, j->nseg * sizeof *j->seg_store);
  j->seg = j->seg_store;
  const char **dst[5] = {&j->id, &j->text, &j->labels, &j->lang, &j->error};
  char *p = j->store;
  for (int k = 0; k < 5; k++) {
    if (k == 4 && !src[4]) {
      j->error = NULL;
      break;
    }
    if (len[k]) memcpy(p, src[k], len[k]);
    p[len[k]] = '\0';
    *dst[k] = p;
    p += len[k] + 1;
  }
  j->id_len = len[0], j->text_len = len[1], j->labels_len = len[2], j->lang_len = len[3];
  return 0;
}

static int emit_serial(void *ud, const kuzat_record *rec, const char *io_error) {
  run *R = ud;
  set_job(&R->one, rec, io_error, 0);
  run_job(&R->c, &R->one, R->scorer, R->norm, R->km);
  return write_job(R, &R->one);
}

enum { SLOT_FREE, SLOT_FILLED, SLOT_BUSY, SLOT_DONE };

static int emit_ring(void *ud, const kuzat_record *rec, const char *io_error) {
  run *R = ud;
  pthread_mutex_lock(&R->mu);
  while ((R->ring[R->head % R->q].state != SLOT_FREE ||
          (R->in_flight > RING_BYTES && R->tail < R->head)) && !R->write_failed) {
    R->wait_feed++;
    pthread_cond_wait(&R->freed, &R->mu);
    R->wait_feed--;
  }
  int stop = R->write_failed;
  pthread_mutex_unlock(&R->mu);
  if (stop) return 1;
  job *j = &R->ring[R->head % R->q];
  if (set_job(j, rec, io_error, 1)) {
    kuzat_record oom = *rec;
    oom.text = "";
    oom.text_len = 0;
    oom.segments_len = 0;
    oom.error = "out of memory reading this record";
    set_job(j, &oom, NULL, 1);
  }
  pthread_mutex_lock(&R->mu);
  j->state = SLOT_FILLED;
  R->in_flight += j->text_len;
  R->head++;
  if (R->wait_work) pthread_cond_signal(&R->filled);
  pthread_mutex_unlock(&R->mu);
  return 0;
}

typedef struct worker {
  run *R;
  kuzat_scorer *scorer;
  kuzat_normaliser *norm;
  kmatch *km;
  pthread_t th;
} worker;

/* Up to this many consecutive records are claimed (and their lines handed
 * back) under one lock: fewer hand-overs per record on big inputs, while a
 * pipe that brings one record at a time still gets each scored at once. */
#define CLAIM_MAX 16

static void *work(void *arg) {
  worker *wk = arg;
  run *R = wk->R;
  size_t nt = (size_t)R->c.o->threads;
  pthread_mutex_lock(&R->mu);
  for (;;) {
    while (R->claim == R->head && !R->eof) {
      R->wait_work++;
      pthread_cond_wait(&R->filled, &R->mu);
      R->wait_work--;
    }
    if (R->claim == R->head) break; /* eof and nothing left */
    size_t first = R->claim, k = (R->head - R->claim) / nt;
    if (k < 1) k = 1;
    if (k > CLAIM_MAX) k = CLAIM_MAX;
    for (size_t q = 0; q < k; q++) R->ring[(first + q) % R->q].state = SLOT_BUSY;
    R->claim += k;
    pthread_mutex_unlock(&R->mu);
    for (size_t q = 0; q < k; q++) run_job(&R->c, &R->ring[(first + q) % R->q], wk->scorer, wk->norm, wk->km);
    pthread_mutex_lock(&R->mu);
    for (size_t q = 0; q < k; q++) R->ring[(first + q) % R->q].state = SLOT_DONE;
    if (R->wait_write && R->tail >= first && R->tail < first + k) pthread_cond_signal(&R->done);
  }
  pthread_mutex_unlock(&R->mu);
  return NULL;
}

typedef struct feeder {
  run *R;
  int argc;
  char **argv;
} feeder;

static void *feed(void *arg) {
  feeder *f = arg;
  walk_all(&f->R->w, f->argc, f->argv);
  pthread_mutex_lock(&f->R->mu);
  f->R->eof = 1;
  pthread_cond_broadcast(&f->R->filled);
  pthread_cond_broadcast(&f->R->done);
  pthread_mutex_unlock(&f->R->mu);
  return NULL;
}

static int make_tools(run *R, kuzat_scorer **s, kuzat_normaliser **n, kmatch **km) {
  kuzat_error err;
  int rc = kuzat_normaliser_new(NULL, n, &err); /* --normalize's; segments' languages */
  if (!rc && !R->c.o->normalize) rc = kuzat_scorer_new(R->c.model, NULL, s, &err);
  if (rc) fprintf(stderr, "kuzat-classify: %s\n", err.msg);
  return rc ? rc : known_tools_new(&R->c, km);
}

static void job_free(job *j) {
  free(j->store);
  free(j->seg_store);
  free(j->out.p);
  free(j->msg);
  free(j->prob);
}

static int run_threads(run *R, int argc, char **argv) {
  int nt = R->c.o->threads;
  R->q = (size_t)nt * 256;
  R->ring = calloc(R->q, sizeof *R->ring);
  worker *wk = calloc((size_t)nt, sizeof *wk);
  int oom = !R->ring || !wk;
  for (size_t k = 0; !oom && R->c.o->eval && k < R->q; k++) /* --eval keeps each slot's */
    oom = !(R->ring[k].prob = calloc(R->c.nm + 1, sizeof *R->ring[k].prob));
  if (oom) {
    fprintf(stderr, "kuzat-classify: out of memory\n");
    for (size_t k = 0; R->ring && k < R->q; k++) free(R->ring[k].prob);
    free(R->ring);
    free(wk);
    return 2;
  }
  pthread_mutex_init(&R->mu, NULL);
  pthread_cond_init(&R->filled, NULL);
  pthread_cond_init(&R->done, NULL);
  pthread_cond_init(&R->freed, NULL);
  int started = 0, rc = 0;
  for (int i = 0; i < nt; i++) {
    wk[i].R = R;
    if (make_tools(R, &wk[i].scorer, &wk[i].norm, &wk[i].km) ||
        pthread_create(&wk[i].th, NULL, work, &wk[i]) != 0) {
      rc = 2;
      break;
    }
    started++;
  }
  feeder fd = {R, argc, argv};
  pthread_t fth;
  int fed = 0;
  if (!rc && pthread_create(&fth, NULL, feed, &fd) == 0) fed = 1;
  else if (!rc) rc = 2;
  if (!fed) { /* let the workers see the end */
    pthread_mutex_lock(&R->mu);
    R->eof = 1;
    pthread_cond_broadcast(&R->filled);
    pthread_mutex_unlock(&R->mu);
  }
  /* the writer: this thread */
  pthread_mutex_lock(&R->mu);
  for (;;) {
    job *j = &R->ring[R->tail % R->q];
    while (!(R->tail < R->head && j->state == SLOT_DONE) && !(R->eof && R->tail == R->head)) {
      R->wait_write++;
      pthread_cond_wait(&R->done, &R->mu);
      R->wait_write--;
    }
    if (R->tail == R->head && R->eof) break;
    size_t n = 1; /* every finished line in order from the tail, at once */
    while (R->tail + n < R->head && R->ring[(R->tail + n) % R->q].state == SLOT_DONE) n++;
    pthread_mutex_unlock(&R->mu);
    int failed = R->write_failed;
    size_t bytes = 0;
    for (size_t q = 0; q < n; q++) {
      job *w = &R->ring[(R->tail + q) % R->q];
      if (!failed && write_job(R, w)) failed = 1;
      bytes += w->text_len;
      if (w->store_cap > ((size_t)1 << 16)) { /* keep idle slots small */
        free(w->store);
        w->store = NULL;
        w->store_cap = 0;
      }
      if (w->out.cap > ((size_t)1 << 16)) {
        free(w->out.p);
        w->out.p = NULL;
        w->out.cap = w->out.len = 0;
      }
    }
    pthread_mutex_lock(&R->mu);
    if (failed) R->write_failed = 1;
    for (size_t q = 0; q < n; q++) R->ring[(R->tail + q) % R->q].state = SLOT_FREE;
    R->in_flight -= bytes;
    R->tail += n;
    if (R->wait_feed) pthread_cond_signal(&R->freed);
  }
  pthread_mutex_unlock(&R->mu);
  if (fed) pthread_join(fth, NULL);
  for (int i = 0; i < started; i++) pthread_join(wk[i].th, NULL);
  for (int i = 0; i < nt; i++) {
    kuzat_scorer_free(wk[i].scorer);
    kuzat_normaliser_free(wk[i].norm);
    known_tools_free(wk[i].km);
  }
  for (size_t k = 0; k < R->q; k++) job_free(&R->ring[k]);
  free(R->ring);
  free(wk);
  pthread_mutex_destroy(&R->mu);
  pthread_cond_destroy(&R->filled);
  pthread_cond_destroy(&R->done);
  pthread_cond_destroy(&R->freed);
  return rc;
}

static int run_serial(run *R, int argc, char **argv) {
  int rc = 0;
  R->w.emit = emit_serial;
  if (R->c.o->eval && !(R->one.prob = calloc(R->c.nm + 1, sizeof *R->one.prob))) {
    fprintf(stderr, "kuzat-classify: out of memory\n");
    return 2;
  }
  if (make_tools(R, &R->scorer, &R->norm, &R->km)) rc = 2;
  else walk_all(&R->w, argc, argv);
  kuzat_scorer_free(R->scorer);
  kuzat_normaliser_free(R->norm);
  known_tools_free(R->km);
  job_free(&R->one);
  return rc;
}

int run_all(run *R, int argc, char **argv) {
  R->w.o = R->c.o;
  R->w.ud = R;
  if (R->c.o->threads <= 1) return run_serial(R, argc, argv);
  R->w.emit = emit_ring;
  return run_threads(R, argc, argv);
}
