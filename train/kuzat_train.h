/*
 * kuzat_train.h -- what the files of kuzat-train share (never installed;
 * not to be confused with the library's src/train.h).
 *
 *   main.c    the options, --help, the driver
 *   data.c    the DATA files into a training set; --dev scored
 *   report.c  the report: stderr's tables and --report's JSON; progress
 *   known.c   --known: an index of known texts instead of a model
 */
#ifndef KUZAT_TRAIN_PROGRAM_H
#define KUZAT_TRAIN_PROGRAM_H

#include "kuzat.h"

#include <jansson.h>
#include <stddef.h>

/* --map FROM=TO (TO empty: drop the label). */
typedef struct label_map {
  char *from; /* owned */
  const char *to;
} label_map;

/* The options, as parsed by main.c. */
typedef struct opts {
  const char *output, *dev, *report;
  int format, skip_bad, quiet;
  size_t max_chars;
  label_map *maps; /* owned, nmaps of them, in order */
  size_t nmaps;
  double *grid; /* owned: --grid's values, grid_len of them */
  size_t grid_len;
  kuzat_train_params tp;
  kuzat_feature_params fp;
  /* --known */
  int known;
  const char *known_add;
  const char **known_remove; /* owned array, known_nremove ids */
  size_t known_nremove;
  double known_threshold; /* 0: the index's own */
} opts;

/* ---- data.c ---- */

/* Read every DATA file into the training set, counting the rows skipped
 * (--skip-bad) and cut (--max-chars). Returns 0, or 2 after a message. */
int read_data(const opts *o, char **files, int nfiles, kuzat_trainset *ts, long *skipped,
              long *cut);

/* The --dev file scored with the model: probabilities, truth and languages,
 * and how many dev rows were skipped (--skip-bad) or cut (--max-chars). */
typedef struct dev_set {
  double *scores; /* rows x markers */
  int *truth;     /* rows x markers */
  int *langs;     /* rows */
  size_t rows, cap;
  long skipped, cut;
} dev_set;

/* Score o->dev as kuzat-classify --eval does. Returns 0, or 2 after a
 * message. */
int score_dev(const opts *o, const kuzat_model *model, dev_set *d);

/* Say how many rows of `what` ("" for the training data, "--dev: " for the
 * dev file) were skipped (--skip-bad) and cut (--max-chars). */
void say_counts(const opts *o, const char *what, long skipped, long cut);

/* ---- report.c ---- */

/* The progress bar on stderr (kuzat_train_params.progress). */
typedef struct progress {
  int shown;
} progress;

void show_progress(void *ud, double done);

/* What was trained, on stderr (unless quiet) and as the report's JSON
 * root, to which the tables are added. */
json_t *report_start(const kuzat_model *model, const kuzat_train_report *rep, long skipped,
                     long cut, int quiet);

/* One quality table (kuzat_eval_tables(), the one kuzat-classify --eval
 * prints) on stderr (unless quiet), and as JSON. */
json_t *report_block(const char *title, const kuzat_model *model, const double *scores,
                     const int *truth, const int *langs, size_t rows, int quiet);

/* ---- known.c ---- */

enum { KNOWN_OPT_REMOVE, KNOWN_OPT_THRESHOLD };

/* --remove ID or --known-threshold P into o. Returns 0 or 2 (said). */
int known_option(opts *o, int which, const char *arg);

/* Build the index of o->known_add (or an empty one), less --remove's
 * ids, plus every record of files[0..nfiles), into o->output. Returns 0,
 * or 2 after a message (no index written). */
int train_known(const opts *o, char **files, int nfiles);

#endif
