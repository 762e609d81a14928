/*
 * classify.h -- what the files of kuzat-classify share (never installed).
 *
 *   main.c    the options, --help, the model, the driver
 *   inputs.c  files and directories, walked in order, as records
 *   output.c  one record's line in each output format, and --eval
 *   ring.c    the run: serial, or an ordered ring of slots with threads
 *
 * A record becomes a job: inputs.c hands it to the run's emit callback
 * (ring.c), which points a job at it (or copies it into a ring slot),
 * output.c scores or normalises the job into its line, and ring.c writes
 * the lines in input order.
 */
#ifndef KUZAT_CLASSIFY_H
#define KUZAT_CLASSIFY_H

#include "kuzat.h"

#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

enum { OUT_JSONL, OUT_TSV, OUT_TEXT, OUT_PRETTY };

/* The options, as parsed by main.c. */
typedef struct opts {
  int normalize, format, out, out_set, line_buffered, quiet, strict, all_scores, eval;
  int threads;
  size_t explain, window, window_bytes, max_chars;
  double threshold;
  const char *model;
} opts;

/* A growing output buffer (output.c writes it; oom: a growth failed). */
typedef struct buf {
  char *p;
  size_t len, cap;
  int oom;
} buf;

/* One record's job. */
typedef struct job {
  /* input (owned copies in threaded mode, the reader's memory otherwise) */
  const char *id, *text, *labels, *lang, *error;
  size_t id_len, text_len, labels_len, lang_len, full_len, nseg;
  int has_labels;
  const kuzat_segment *seg;
  /* owned storage for the copies */
  char *store;
  size_t store_cap;
  kuzat_segment *seg_store;
  size_t seg_cap;
  /* output */
  buf out;
  int bad;       /* an error line */
  int io_failed; /* an input that could not be opened or read */
  char *msg;     /* for stderr, owned */
  /* for --eval */
  double *prob;
  int lang_id;
  int state; /* a ring slot's (ring.c) */
} job;

/* What every job is scored with; read-only while the run lasts. */
typedef struct ctx {
  const opts *o;
  const kuzat_model *model;
  const char *model_id;
  size_t nm;
  kuzat_score_params sp;
} ctx;

/* ---- inputs.c ---- */

/* Walks files and directories in order, calling emit for each record. */
typedef struct walker {
  const opts *o;
  /* called for each record; returns nonzero to stop (output closed) */
  int (*emit)(void *ud, const kuzat_record *rec, const char *io_error);
  void *ud;
  int stop;
  dev_t anc_dev[64];
  ino_t anc_ino[64];
  int depth;
} walker;

/* Every INPUT of argv[0..argc) in order; standard input when argc is 0. */
void walk_all(walker *w, int argc, char **argv);

/* ---- output.c ---- */

/* The labelled records --eval has seen. */
typedef struct evalset {
  size_t n, cap, nm;
  double *prob; /* n * nm */
  int *truth;   /* n * nm */
  int *lang;
  size_t unlabelled;
} evalset;

/* Score or normalise one job (its input is set), filling j->out. */
void run_job(const ctx *c, job *j, kuzat_scorer *s, kuzat_normaliser *n);

/* Add a scored job to --eval's set; print the quality table on stderr. */
void eval_add(evalset *e, const ctx *c, const job *j);
void eval_report(const evalset *e, const ctx *c);

/* ---- ring.c ---- */

/* The run: serial, or a ring of slots with threads. */
typedef struct run {
  ctx c;
  walker w;
  int line_buffered;
  long bad, io_failed;
  int write_failed;
  evalset ev;
  /* serial */
  job one;
  kuzat_scorer *scorer;
  kuzat_normaliser *norm;
  /* threaded */
  job *ring;
  size_t q;
  size_t head, claim, tail; /* filled, claimed by a worker, written */
  size_t in_flight;         /* text bytes in filled slots not yet written */
  int eof;
  int writing;              /* a thread is writing lines (ring.c) */
  int wait_feed, wait_work, wait_end; /* threads waiting: signal only them */
  pthread_mutex_t mu;
  pthread_cond_t filled, done, freed;
} run;

/* Read, score and write every record of argv[0..argc) (R->c and R->w
 * set), with R->c.o->threads threads. Returns 0, or 2 when the run could
 * not start (a message was printed). */
int run_all(run *R, int argc, char **argv);

#endif
