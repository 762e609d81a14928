/*
 * classify.h -- what the files of kuzat-classify share (never installed).
 *
 *   main.c    the options, --help, the model, the driver
 *   inputs.c  files and directories, walked in order, as records
 *   output.c  one record's line in each output format, and --eval
 *   ring.c    the run: serial, or an ordered ring of slots with threads
 *   known.c   --known: matches against indexes of known texts
 *
 * A record becomes a job: inputs.c hands it to the run's emit callback
 * (ring.c), which points a job at it (or copies it into a ring slot),
 * output.c scores or normalises the job into its line, and ring.c writes
 * the lines in input order, after report.c has counted each.
 *
 *   buf.c     the output buffer; JSON, TSV, CSV and HTML strings, numbers
 *   report.c  each written line counted: messages, --eval, --summary,
 *             --progress; the HTML page's documents kept for the end
 *   html.c    --format-out html: a flagged document's part, the page
 */
#ifndef KUZAT_CLASSIFY_H
#define KUZAT_CLASSIFY_H

#include "kuzat.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

enum { OUT_JSONL, OUT_TSV, OUT_TEXT, OUT_PRETTY, OUT_CSV, OUT_HTML };
enum { SUMMARY_NONE, SUMMARY_TEXT, SUMMARY_JSON };

/* The options, as parsed by main.c. */
typedef struct opts {
  int normalize, format, out, out_set, line_buffered, quiet, strict, all_scores, eval;
  int buffered;  /* --buffered: never flush per record */
  int progress;  /* --progress, or stderr a terminal */
  int summary;   /* SUMMARY_* */
  int threads;
  size_t explain, window, window_bytes, max_chars;
  double threshold;                /* --threshold T; -1 when not given */
  const char **marker_thresholds;  /* --threshold MARKER=P, as given */
  size_t n_marker_thresholds;
  const char *model;
  const char *encoding; /* --encoding, or NULL */
  const char **known; /* --known's index files (owned array), nknown */
  size_t nknown;
  double known_threshold; /* --known-threshold, or 0: each index's own */
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
  const char *encoding; /* kuzat_record.encoding: static storage, never copied */
  int status;           /* kuzat_record.status */
  const kuzat_segment *seg;
  /* owned storage for the copies: the ring's arena (ring.c), or for a
   * record too long for it, store; where the copy starts, its length, and
   * the arena's offset past it (ring.c) */
  char *store;
  size_t store_cap;
  const char *copy;
  size_t copy_len, arena_end;
  kuzat_segment *seg_store;
  size_t seg_cap;
  /* output */
  buf out;
  int bad;       /* an error line */
  int io_failed; /* an input that could not be opened or read */
  char *msg;     /* for stderr, owned */
  /* for --eval, --summary and the page */
  double *prob;
  int lang_id;
  const char *script; /* kuzat_script() of the text: static storage */
  int flagged;        /* the verdict */
  int known;          /* it matched a text of --known's indexes */
  int state; /* a ring slot's (ring.c) */
} job;

/* What every job is scored with; read-only while the run lasts. */
typedef struct ctx {
  const opts *o;
  const kuzat_model *model;
  const char *model_id;
  size_t nm;
  kuzat_score_params sp;
  const double *thr; /* per marker: the model's, --threshold T or MARKER=P */
  size_t decision;   /* the model's KUZAT_DECISION_MARKER, or nm */
  int keep_probs;    /* jobs keep their probabilities (--eval, --summary, html) */
  kuzat_known **known; /* --known's indexes, nknown of them */
  size_t nknown;
} ctx;

/* A worker's known-text matching (known.c); NULL without --known. */
typedef struct kmatch kmatch;

/* ---- report.c: what was read and written, for --summary, --progress
 * and the page ---- */

#define REPORT_NAMES 16 /* scripts and encodings counted by name */

typedef struct named_count {
  const char *name; /* static storage */
  size_t n;
} named_count;

typedef struct report {
  /* written lines (by one thread at a time: ring.c's writer) */
  size_t records, errors, not_text, flagged;
  size_t known; /* documents matching a known text (--known) */
  size_t lang_records[KUZAT_LANG_COUNT], lang_flagged[KUZAT_LANG_COUNT];
  size_t *marker_flagged; /* one per marker */
  named_count scripts[REPORT_NAMES], encodings[REPORT_NAMES];
  /* read (the reading thread) */
  atomic_ullong bytes_read; /* of the inputs done, and of the one being read */
  atomic_ulong files_done;
  /* known up front: regular files named or under directories named */
  int total_known;
  unsigned long total_files;
  unsigned long long total_bytes;
  /* --progress */
  int tty;
  struct timespec start, shown;
  int drawn; /* a progress line is on the terminal */
  /* --format-out html: the flagged documents' parts, in order */
  FILE *html;
} report;

/* ---- inputs.c ---- */

/* Walks files and directories in order, calling emit for each record. */
typedef struct walker {
  const opts *o;
  /* called for each record; returns nonzero to stop (output closed) */
  int (*emit)(void *ud, const kuzat_record *rec, const char *io_error);
  void *ud;
  /* called when an input ends (NULL: nothing to do); nonzero to stop */
  int (*input_end)(void *ud);
  int stop;
  /* the input being read is a regular file: nothing but the reading
   * itself waits for its next record, so records may be handed over in
   * batches (a pipe's go one at a time: its next may be long in coming) */
  int regular;
  report *rep;                  /* bytes and files read, for --progress */
  unsigned long long bytes_base; /* bytes of the inputs done */
  dev_t anc_dev[64];
  ino_t anc_ino[64];
  int depth;
} walker;

/* Every INPUT of argv[0..argc) in order; standard input when argc is 0. */
void walk_all(walker *w, int argc, char **argv);

/* The files and bytes walk_all() will read, into the report: known when
 * every input is a regular file or a directory (not standard input, a
 * FIFO or a device). */
void walk_sizes(report *rep, int argc, char **argv);

/* ---- buf.c ---- */

void buf_put(buf *b, const char *s, size_t n);
void buf_puts(buf *b, const char *s);
void buf_printf(buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Strings: valid UTF-8 out whatever comes in (ill-formed bytes U+FFFD). */
void json_string(buf *b, const char *s, size_t n); /* "...", escaped */
void tsv_field(buf *b, const char *s, size_t n);   /* TAB, CR, LF to spaces */
void csv_field(buf *b, const char *s, size_t n);   /* RFC 4180, quoted when needed */
void html_text(buf *b, const char *s, size_t n);   /* & < > " ' escaped */
void put_prob(buf *b, double p);                   /* 0.1234 */
void put_clock(buf *b, double sec);                /* 00:01:02.500 */
void put_time(buf *b, double sec);                 /* "00:01:02.500" */
size_t utf8_chars(const char *s, size_t n);        /* code points */

/* ---- output.c ---- */

/* Score or normalise one job (its input is set), filling j->out. */
/* *n is --normalize's normaliser, or the one for segments' languages,
 * made here when a record first has segments (NULL until then); km
 * matches the job against --known's indexes (NULL: none). */
void run_job(const ctx *c, job *j, kuzat_scorer *s, kuzat_normaliser **n, kmatch *km);
/* Marker i is flagged by prob (the threshold in force); the verdict (the
 * decision marker's flag, or any marker's in a model without one). */
int flag(const ctx *c, const double *prob, size_t i);
int verdict(const ctx *c, const double *prob);
/* The marker whose worst window is the document's: the decision marker,
 * or the most probable one. */
size_t top_marker(const ctx *c, const double *prob);
/* A transcript window's times: from its earliest start to its latest end
 * (cues may overlap or come out of order). */
void window_times(const job *j, const kuzat_window *w, double *t0, double *t1);
/* The CSV header row: the columns of every CSV line. */
void csv_header(const ctx *c, buf *b);
/* A transcript's segment k: its language (the normaliser's identification;
 * "other" without n) and script, both static strings. */
void segment_lang(const job *j, size_t k, kuzat_normaliser *n, const char **lang,
                  const char **script);

/* ---- html.c ---- */

/* A flagged document's part of the page into j->out, or a document
 * matching a known text (km); nothing for others. A transcript's cues say
 * their language and script (n identifies them). */
void html_document(const ctx *c, job *j, const kuzat_result *r, kuzat_normaliser *n,
                   const kmatch *km);
/* The page: the summary, the charts, then the documents' parts kept in
 * rep->html, to `out`. 0, or -1 on a write error. */
int html_page(const ctx *c, const report *rep, FILE *out);

/* ---- report.c ---- */

/* The labelled records --eval has seen. */
typedef struct evalset {
  size_t n, cap, nm;
  double *prob; /* n * nm */
  int *truth;   /* n * nm */
  int *lang;
  size_t unlabelled;
} evalset;

/* Print the quality table of --eval on stderr. */
void eval_report(const evalset *e, const ctx *c);

/* ---- ring.c ---- */

/* The run: serial, or a ring of slots with threads. */
typedef struct run {
  ctx c;
  walker w;
  int line_buffered;
  long bad, io_failed;
  int write_failed;
  int tools_failed; /* a thread could not make its scorer: stop */
  evalset ev;
  report rep;
  /* serial */
  job one;
  kuzat_scorer *scorer;
  kuzat_normaliser *norm;
  kmatch *km;
  /* threaded */
  job *ring;
  size_t q;
  size_t head, claim, tail; /* filled, claimed by a worker, written */
  size_t in_flight;         /* text bytes in filled slots not yet written */
  /* the records' copies, one after another (ring.c): arena_cap bytes,
   * free from arena_tail on (an offset that only grows, taken modulo
   * arena_cap) up to arena_tail + arena_cap */
  char *arena;
  size_t arena_cap, arena_tail;
  int eof;
  int writing;              /* a thread is writing lines (ring.c) */
  int wait_feed, wait_work, wait_end; /* threads waiting: signal only them */
  pthread_mutex_t mu;
  pthread_cond_t filled, done, freed;
  /* the reading thread's alone, on a cache line of their own: records
   * copied into the slots from head on but not yet handed over, their
   * text bytes, the first slot not known to be free; the arena's offset
   * where the next copy goes, and the first not known to be free */
  _Alignas(64) size_t pending, pending_bytes, free_until, arena_head, arena_until;
} run;

/* ---- report.c, on the run ---- */

/* Before the run: the report's counts and, with --progress, the sizes.
 * 0, or 2 after a message. */
int report_start(run *R, int argc, char **argv);
/* A job about to be written (ring.c's writer): its message on stderr, and
 * it counted for --eval, --summary, --progress and the page (whose part
 * it takes out of j->out). Nonzero when the page's part could not be kept
 * (the caller, holding the run's lock or alone, marks the run failed). */
int job_done(run *R, job *j);
/* After the run: the last progress line, --eval's table, the summary;
 * the page. 0, or 2 after a write error. */
int report_finish(run *R);
void report_free(run *R);

/* Read, score and write every record of argv[0..argc) (R->c and R->w
 * set), with R->c.o->threads threads. Returns 0, or 2 when the run could
 * not start (a message was printed). */
int run_all(run *R, int argc, char **argv);

/* ---- known.c ---- */

enum { KNOWN_OPT_INDEX, KNOWN_OPT_THRESHOLD };

/* --known FILE or --known-threshold P into o. Returns 0 or 2 (said). */
int known_option(opts *o, int which, const char *arg);

/* Load o->known's indexes into c. Returns 0 or 2 (said); known_unload()
 * frees what was loaded either way. */
int known_load(ctx *c);
void known_unload(ctx *c);

/* A worker's matcher: *out NULL without indexes. Returns 0 or 2 (said). */
int known_tools_new(const ctx *c, kmatch **out);
void known_tools_free(kmatch *k);

/* Match a job's text (norm: the scorer's normalisation of it, or NULL)
 * against every index; the hits are kept in k, best first. Returns 0 or
 * a kuzat_status with err set. */
int known_find(const ctx *c, kmatch *k, const job *j, const kuzat_text *norm, kuzat_error *err);
size_t known_count(const kmatch *k);

/* The hits of the last known_find(): ,"known":[...] in a JSON line, or
 * "  known ID 0.93 at ..." in a pretty one. */
void known_put_json(const kmatch *k, const job *j, buf *b);
void known_put_pretty(const kmatch *k, const job *j, buf *b);
/* ... or <p class="known">...</p> for each, in a page's document. */
void known_put_html(const kmatch *k, const job *j, buf *b);

#endif
