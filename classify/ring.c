/*
 * ring.c -- the run: records in, lines out, in input order.
 *
 * With one thread there is no ring: read, score, write. With N, records
 * flow in input order through a ring of slots. The main thread reads
 * records into free slots (a copy, one after another in an arena: the
 * reader's memory is only the record's while the callback runs) and
 * hands them over, a pipe's one at a time, a regular file's in batches
 * (one lock for many); it and N - 1 workers each claim the next records,
 * up to 64 KB of text at a time, score them and format their lines; and
 * whichever thread finishes the record at the tail writes every finished
 * line from there on, while the others go on scoring. So there are N
 * threads for N cores -- no thread only reads or only writes -- output
 * order never depends on the number of threads, and on a pipe a record's
 * line goes out as soon as it and every record before it are scored
 * (nothing waits for a claim to fill). When the ring is full the reading
 * thread scores instead of waiting.
 */
#define _DEFAULT_SOURCE /* madvise */
#include "classify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

/* At most this many text bytes wait in the ring (beyond one record, or
 * one batch of a regular file's: BATCH_BYTES), so memory stays bounded
 * whatever the input. */
#define RING_BYTES ((size_t)16 << 20)

/* Write a finished job; count it; flush a pipe (--line-buffered, the
 * default there: each line goes out as soon as it and every line before
 * it are ready). Returns nonzero when output failed. */
static int write_job(run *R, job *j) {
  if (j->bad) R->bad++;
  if (j->io_failed) R->io_failed++;
  /* report.c: its message, --eval, --summary, --progress, the page */
  if (job_done(R, j)) return 1;
  if (fwrite(j->out.p, 1, j->out.len, stdout) != j->out.len) return 1;
  if (R->line_buffered && fflush(stdout) != 0) return 1;
  return 0;
}

/* The bytes a copy of a record takes: its five strings, each with a NUL. */
static size_t copy_size(const kuzat_record *rec) {
  return rec->id_len + rec->text_len + rec->labels_len + rec->lang_len +
         (rec->error ? strlen(rec->error) : 0) + 5;
}

/* Point a job at a record (serial), or copy it in (threaded): to `at`, the
 * arena's copy_size() bytes for it, or when that is NULL to the slot's own
 * store. Nonzero when the store could not grow. */
static int set_job(job *j, const kuzat_record *rec, const char *io_error, int copy, char *at) {
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
    j->copy = NULL;
    j->copy_len = 0;
    return 0;
  }
  const size_t total = copy_size(rec);
  if (!at && total > j->store_cap) {
    char *p = realloc(j->store, total);
    if (!p) return -1;
    j->store = p;
    j->store_cap = total;
  }
  if (j->nseg > j->seg_cap) {
    kuzat_segment *sg = realloc(j->seg_store, j->nseg * sizeof *sg);
    if (!sg) return -1;
    j->seg_store = sg;
    j->seg_cap = j->nseg;
  }
  if (j->nseg) memcpy(j->seg_store, rec->segments, j->nseg * sizeof *j->seg_store);
  j->seg = j->seg_store;
  const char **dst[5] = {&j->id, &j->text, &j->labels, &j->lang, &j->error};
  char *p = at ? at : j->store;
  j->copy = p;
  j->copy_len = total;
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
  set_job(&R->one, rec, io_error, 0, NULL);
  run_job(&R->c, &R->one, R->scorer, &R->norm, R->km);
  if (write_job(R, &R->one)) R->write_failed = 1;
  return R->write_failed;
}

enum { SLOT_FREE, SLOT_FILLED, SLOT_BUSY, SLOT_DONE };

/* The slot of record i: the ring's size is a power of two, so a mask, not
 * a division (a dozen a record). */
static inline job *slot(const run *R, size_t i) { return &R->ring[i & (R->q - 1)]; }

/* A worker claims consecutive records up to this many text bytes at a
 * time (or its share of what is waiting, if less, but at least one
 * record): one lock for many short records, while a pipe that brings one
 * record at a time still gets each scored at once. The reading thread,
 * which scores while the ring is full, claims an eighth of that, so that
 * it is soon back to reading and the workers never run dry. */
#define CLAIM_BYTES ((size_t)64 << 10)

/* Output failed, or a thread could not make its tools: read, score and
 * write no more (R->mu held). */
static int stopping(const run *R) { return R->write_failed || R->tools_failed; }

/* Claim the next records, up to `most_bytes`, for one thread (R->mu
 * held): *first and the count; 0 when there is nothing to claim. */
static size_t claim(run *R, size_t *first, size_t most_bytes) {
  if (R->claim == R->head || stopping(R)) return 0;
  size_t nt = (size_t)R->c.o->threads, waiting = R->head - R->claim;
  size_t most = waiting / nt > 1 ? waiting / nt : 1, k = 0, bytes = 0;
  *first = R->claim;
  while (k < most && bytes < most_bytes) {
    job *j = slot(R, *first + k);
    j->state = SLOT_BUSY;
    bytes += j->text_len + 1;
    k++;
  }
  R->claim += k;
  return k;
}

/* Write every finished line from the tail on, in order, unless another
 * thread is at it (R->mu held; released while writing). Whoever marks the
 * tail's record done comes here, and the one writing looks again before it
 * stops, so every line is written, by one thread at a time. */
static void write_ready(run *R) {
  if (R->writing) return;
  R->writing = 1;
  while (R->tail < R->head && slot(R, R->tail)->state == SLOT_DONE) {
    size_t n = 1;
    while (R->tail + n < R->head && slot(R, R->tail + n)->state == SLOT_DONE) n++;
    int failed = R->write_failed;
    pthread_mutex_unlock(&R->mu);
    size_t bytes = 0, keep = RING_BYTES / R->q;
    for (size_t q = 0; q < n; q++) {
      job *w = slot(R, R->tail + q);
      if (!failed && write_job(R, w)) failed = 1;
      bytes += w->text_len;
      /* idle slots keep small buffers only: the ring's memory stays near
       * RING_BYTES in all, whatever the records' sizes */
      if (w->store_cap > keep) {
        free(w->store);
        w->store = NULL;
        w->store_cap = 0;
      }
      if (w->out.cap > keep) {
        free(w->out.p);
        w->out.p = NULL;
        w->out.cap = w->out.len = 0;
      }
      if (w->seg_cap * sizeof *w->seg_store > keep) {
        free(w->seg_store);
        w->seg_store = NULL;
        w->seg_cap = 0;
      }
    }
    pthread_mutex_lock(&R->mu);
    if (failed) R->write_failed = 1;
    for (size_t q = 0; q < n; q++) slot(R, R->tail + q)->state = SLOT_FREE;
    R->arena_tail = slot(R, R->tail + n - 1)->arena_end;
    R->in_flight -= bytes;
    R->tail += n;
    if (R->wait_feed) pthread_cond_signal(&R->freed);
    if (R->wait_end) pthread_cond_signal(&R->done);
  }
  R->writing = 0;
}

/* How much of a slot's copy to fetch ahead: up to 2 KB (a longer record
 * streams in by itself). (The fetching itself is in the caller: GCC takes
 * a function that only prefetches for one without effects, and drops its
 * calls.) */
static size_t record_bytes(const job *j) { return j->copy_len < 2048 ? j->copy_len : 2048; }

/* Score records [first, first + k) and write what is ready (R->mu held;
 * released while scoring). While one is scored, the record four on and the
 * slot eight on (every line of it: record_bytes() reads its third) are
 * fetched into this core's cache: the reading thread wrote them on its
 * core. */
static void score_claimed(run *R, size_t first, size_t k, kuzat_scorer *s, kuzat_normaliser **n,
                          kmatch *km) {
  pthread_mutex_unlock(&R->mu);
  for (size_t q = 0; q < k; q++) {
    if (q + 8 < k)
      for (size_t off = 0; off < sizeof(job); off += 64)
        __builtin_prefetch((const char *)slot(R, first + q + 8) + off);
    if (q + 4 < k) {
      const job *ahead = slot(R, first + q + 4);
      for (size_t off = 0, n_ = record_bytes(ahead); off < n_; off += 64)
        __builtin_prefetch(ahead->copy + off);
    }
    run_job(&R->c, slot(R, first + q), s, n, km);
  }
  pthread_mutex_lock(&R->mu);
  for (size_t q = 0; q < k; q++) slot(R, first + q)->state = SLOT_DONE;
  write_ready(R);
}

static int make_tools(run *R, kuzat_scorer **s, kuzat_normaliser **n, kmatch **km) {
  kuzat_error err;
  /* --normalize's normaliser; run_job() makes the one for segments' languages
   * when a record has segments */
  int rc = R->c.o->normalize ? kuzat_normaliser_new(NULL, n, &err)
                             : kuzat_scorer_new(R->c.model, NULL, s, &err);
  if (rc) fprintf(stderr, "kuzat-classify: %s\n", err.msg);
  return rc ? rc : known_tools_new(&R->c, km);
}

typedef struct worker {
  run *R;
  kuzat_scorer *scorer;
  kuzat_normaliser *norm;
  kmatch *km;
  pthread_t th;
} worker;

/* A worker makes its own tools, while the reading thread makes its and
 * starts reading (it scores itself while no worker is ready), then scores
 * what it claims until the end of the input. */
static void *work(void *arg) {
  worker *wk = arg;
  run *R = wk->R;
  const int failed = make_tools(R, &wk->scorer, &wk->norm, &wk->km);
  pthread_mutex_lock(&R->mu);
  if (failed) { /* wake the reading thread if it waits for room */
    R->tools_failed = 1;
    pthread_cond_broadcast(&R->freed);
  }
  while (!failed) {
    size_t first, k = claim(R, &first, CLAIM_BYTES);
    if (k) {
      score_claimed(R, first, k, wk->scorer, &wk->norm, wk->km);
      continue;
    }
    if (R->eof || stopping(R)) break;
    R->wait_work++;
    pthread_cond_wait(&R->filled, &R->mu);
    R->wait_work--;
  }
  pthread_mutex_unlock(&R->mu);
  return NULL;
}

/* Make sure the next slot is free, the text waiting within bounds and the
 * arena free up to `need` (an arena offset; 0: nothing asked): while the
 * ring is full the reading thread scores waiting records itself rather
 * than wait (it is one of the --threads). Whether the run stops (R->mu
 * held). */
static int room(run *R, size_t need) {
  while ((slot(R, R->head)->state != SLOT_FREE ||
          (R->tail < R->head &&
           (R->in_flight > RING_BYTES || need > R->arena_tail + R->arena_cap))) &&
         !stopping(R)) {
    size_t first, k = claim(R, &first, CLAIM_BYTES / 8);
    if (k) {
      score_claimed(R, first, k, R->scorer, &R->norm, R->km);
      continue;
    }
    R->wait_feed++;
    pthread_cond_wait(&R->freed, &R->mu);
    R->wait_feed--;
  }
  return stopping(R);
}

/* Hand the records copied since the last time over to the workers, and
 * make room for the next one (room()): one lock for them all. Whether the
 * run stops. */
static int hand_over(run *R, size_t need) {
  pthread_mutex_lock(&R->mu);
  for (size_t k = 0; k < R->pending; k++) slot(R, R->head + k)->state = SLOT_FILLED;
  R->in_flight += R->pending_bytes;
  R->head += R->pending;
  if (R->wait_work && R->pending) {
    if (R->pending > 1) pthread_cond_broadcast(&R->filled);
    else pthread_cond_signal(&R->filled);
  }
  R->pending = R->pending_bytes = 0;
  const int stop = room(R, need);
  /* a slot is free once the record a ring before it is written, and the
   * arena once its copies are: the reading thread may fill up to here
   * without the lock */
  R->free_until = R->tail + R->q;
  R->arena_until = R->arena_tail + R->arena_cap;
  pthread_mutex_unlock(&R->mu);
  return stop;
}

/* Where in the arena a copy of n bytes goes (after room made for it, which
 * hands over what is pending), or NULL for the slot's own store: a record
 * over a quarter of the arena, or no arena. A copy never wraps around the
 * arena's end: what is left there is skipped. So a copy fits once every
 * record is written (arena_tail == arena_head), and room() returns: it
 * skips only an end shorter than itself, so more than three quarters of
 * the arena lie before that end, room for it. *stop when the run stops. */
static char *arena_place(run *R, size_t n, int *stop) {
  if (!R->arena || n > R->arena_cap / 4) return NULL;
  size_t at = R->arena_head;
  const size_t off = at % R->arena_cap;
  if (off + n > R->arena_cap) at += R->arena_cap - off;
  if (at + n > R->arena_until && hand_over(R, at + n)) {
    *stop = 1;
    return NULL;
  }
  R->arena_head = at + n;
  return R->arena + at % R->arena_cap;
}

/* Records of a regular file are handed over this many at a time, or this
 * many text bytes, whichever comes first: a lock for every record was a
 * twentieth of the reading thread's time, and the workers' claims are
 * batches anyway. */
#define BATCH_RECORDS 64
#define BATCH_BYTES ((size_t)16 << 10)

/* The reading thread's callback: copy the record into the next free slot
 * (free by hand_over(): at the start the ring is empty), then hand it
 * over -- at once from a pipe, whose next record may be long in coming;
 * with the next ones from a regular file. */
static int emit_ring(void *ud, const kuzat_record *rec, const char *io_error) {
  run *R = ud;
  if (R->head + R->pending >= R->free_until && hand_over(R, 0)) return 1;
  job *j = slot(R, R->head + R->pending);
  int stop = 0;
  char *at = arena_place(R, copy_size(rec), &stop);
  if (stop) return 1;
  if (set_job(j, rec, io_error, 1, at)) {
    kuzat_record oom = *rec;
    oom.text = "";
    oom.text_len = 0;
    oom.segments_len = 0;
    oom.error = "out of memory reading this record";
    if (set_job(j, &oom, NULL, 1, NULL)) { /* not even that: static strings, nothing copied */
      oom.id = "(record)";
      oom.id_len = strlen(oom.id);
      oom.labels = oom.lang = "";
      oom.labels_len = oom.lang_len = 0;
      set_job(j, &oom, NULL, 0, NULL);
    }
  }
  j->arena_end = R->arena_head;
  R->pending++;
  R->pending_bytes += j->text_len;
  if (R->w.regular && R->pending < BATCH_RECORDS && R->pending_bytes < BATCH_BYTES) return 0;
  return hand_over(R, 0);
}

/* An input ended: what is left of its records goes over now. */
static int input_end(void *ud) {
  run *R = ud;
  return R->pending ? hand_over(R, 0) : 0;
}

static void job_free(job *j) {
  free(j->store);
  free(j->seg_store);
  free(j->out.p);
  free(j->msg);
  free(j->prob);
}

/* The arena the records are copied to, one after another: 2 MB a thread
 * up to RING_BYTES (what may wait in the ring), on whole 2 MB pages where
 * Linux has them. (A buffer of its own for
 * every slot took a realloc() whenever a longer record came to it, and
 * 2,000 more page faults on the bench corpus than one thread's run, at
 * some 10 us each on this VM.) NULL when there is no memory: every slot
 * then keeps its own. */
static char *arena_new(size_t cap) {
  void *p = NULL;
  if (posix_memalign(&p, (size_t)2 << 20, cap) != 0) return NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  (void)madvise(p, cap, MADV_HUGEPAGE);
#endif
  return p;
}

static int run_threads(run *R, int argc, char **argv) {
  int nt = R->c.o->threads;
  /* room for every thread's claim of 64 KB of short lines, and as many
   * waiting: 1024 slots a thread, rounded up to a power of two (slot()) */
  R->q = 1024;
  while (R->q < (size_t)nt * 1024) R->q *= 2;
  R->ring = calloc(R->q, sizeof *R->ring);
  R->arena_cap = nt < 8 ? ((size_t)2 << 20) * (size_t)nt : RING_BYTES;
  R->arena = arena_new(R->arena_cap);
  worker *wk = calloc((size_t)nt, sizeof *wk);
  int oom = !R->ring || !wk;
  for (size_t k = 0; !oom && R->c.o->eval && k < R->q; k++) /* --eval keeps each slot's */
    oom = !(R->ring[k].prob = calloc(R->c.nm + 1, sizeof *R->ring[k].prob));
  if (oom) {
    fprintf(stderr, "kuzat-classify: out of memory\n");
    for (size_t k = 0; R->ring && k < R->q; k++) free(R->ring[k].prob);
    free(R->ring);
    free(R->arena);
    free(wk);
    return 2;
  }
  pthread_mutex_init(&R->mu, NULL);
  pthread_cond_init(&R->filled, NULL);
  pthread_cond_init(&R->done, NULL);
  pthread_cond_init(&R->freed, NULL);
  int started = 0, rc = 0;
  for (int i = 1; i < nt; i++) { /* this thread is the first */
    wk[i].R = R;
    if (pthread_create(&wk[i].th, NULL, work, &wk[i]) != 0) {
      fprintf(stderr, "kuzat-classify: cannot start a thread\n");
      rc = 2;
      break;
    }
    started = i;
  }
  if (!rc && make_tools(R, &R->scorer, &R->norm, &R->km)) rc = 2;
  if (rc) { /* the workers started stop */
    pthread_mutex_lock(&R->mu);
    R->tools_failed = 1;
    pthread_mutex_unlock(&R->mu);
  }
  if (!rc) {
    R->free_until = R->q; /* the ring is empty */
    R->arena_until = R->arena_cap;
    walk_all(&R->w, argc, argv);
    input_end(R); /* walk_all() stopped early: what was copied is written */
  }
  /* the end of the input: score what is left with the workers, and wait
   * until every record claimed is written */
  pthread_mutex_lock(&R->mu);
  R->eof = 1;
  pthread_cond_broadcast(&R->filled);
  for (size_t first, k; !rc && (k = claim(R, &first, CLAIM_BYTES)) > 0;)
    score_claimed(R, first, k, R->scorer, &R->norm, R->km);
  while (R->tail < R->claim) {
    R->wait_end++;
    pthread_cond_wait(&R->done, &R->mu);
    R->wait_end--;
  }
  pthread_mutex_unlock(&R->mu);
  for (int i = 1; i <= started; i++) pthread_join(wk[i].th, NULL);
  if (R->tools_failed) rc = 2;
  kuzat_scorer_free(R->scorer);
  kuzat_normaliser_free(R->norm);
  known_tools_free(R->km);
  for (int i = 1; i < nt; i++) {
    kuzat_scorer_free(wk[i].scorer);
    kuzat_normaliser_free(wk[i].norm);
    known_tools_free(wk[i].km);
  }
  for (size_t k = 0; k < R->q; k++) job_free(&R->ring[k]);
  free(R->ring);
  free(R->arena);
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
  R->w.input_end = input_end;
  return run_threads(R, argc, argv);
}
