/*
 * data.c -- kuzat-train's inputs: the DATA files read into a training set
 * (labels renamed by --map), and the --dev file scored with the trained
 * model as kuzat-classify --eval scores it, so that both give the same
 * figures for the same file.
 */
#include "kuzat_train.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A row's labels after --map: grown to fit, whatever their length. */
typedef struct labels_buf {
  char *p;
  size_t cap;
} labels_buf;

static int reserve(labels_buf *b, size_t need) {
  if (need <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need) cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) return -1;
  b->p = p;
  b->cap = cap;
  return 0;
}

/* The labels of a row after --map, joined by ',', in b->p. Returns their
 * length (a NUL byte in a label is kept, for kuzat_trainset_add() to
 * refuse), or SIZE_MAX when out of memory. */
static size_t map_labels(const opts *o, const char *in, size_t len, labels_buf *b) {
  size_t k = 0;
  if (reserve(b, 1)) return SIZE_MAX;
  b->p[0] = '\0';
  for (size_t i = 0; i < len;) {
    size_t j = i;
    while (j < len && in[j] != ',') j++;
    const char *lab = in + i;
    size_t ll = j - i;
    for (size_t m = 0; m < o->nmaps; m++)
      if (strlen(o->maps[m].from) == ll && memcmp(o->maps[m].from, lab, ll) == 0) {
        lab = o->maps[m].to;
        ll = strlen(lab);
        break;
      }
    if (ll) {
      if (reserve(b, k + ll + 2)) return SIZE_MAX;
      if (k) b->p[k++] = ',';
      memcpy(b->p + k, lab, ll);
      k += ll;
      b->p[k] = '\0';
    }
    i = j + 1;
  }
  return k;
}

/* The format of a DATA file without --format: from its name; anything
 * not TSV or JSONL is fastText. */
static int format_of(const char *f) {
  int fmt = kuzat_format_from_path(f);
  return fmt == KUZAT_FORMAT_TSV || fmt == KUZAT_FORMAT_JSONL ? fmt : KUZAT_FORMAT_FASTTEXT;
}

/* Add one row to the training set. Returns 0 (added), 1 (malformed, to be
 * skipped: --skip-bad) or 2 after a message. */
static int add_row(const opts *o, const char *file, const kuzat_record *rec, kuzat_trainset *ts,
                   labels_buf *labels) {
  kuzat_error err;
  size_t nl = map_labels(o, rec->labels, rec->labels_len, labels);
  if (nl == SIZE_MAX) {
    fprintf(stderr, "kuzat-train: %s:%ld: out of memory holding the row's labels\n", file,
            rec->line);
    return 2;
  }
  if (kuzat_trainset_add(ts, rec->text, rec->text_len, labels->p, nl, rec->lang, rec->lang_len,
                         rec->group, rec->group_len, &err)) {
    if (!o->skip_bad || err.status == KUZAT_ENOMEM) {
      fprintf(stderr, "kuzat-train: %s:%ld: %s\n", file, rec->line, err.msg);
      return 2;
    }
    return 1;
  }
  return 0;
}

/* Read one DATA file into the training set. Returns 0 or 2. */
static int read_file(const opts *o, const char *file, kuzat_trainset *ts, labels_buf *labels,
                     long *skipped, long *cut) {
  kuzat_error err;
  kuzat_reader *r;
  if (kuzat_reader_open(file, o->format ? o->format : format_of(file), NULL, NULL, &r, &err)) {
    fprintf(stderr, "kuzat-train: %s\n", err.msg);
    return 2;
  }
  kuzat_reader_set_limit(r, o->max_chars);
  kuzat_record rec;
  int rc = 0, failed = 0;
  while (!failed && (rc = kuzat_reader_next(r, &rec, &err)) == 1) {
    if (!rec.error && !rec.has_labels) {
      fprintf(stderr, "kuzat-train: %s: no labels: a TSV file needs a label (or labels) "
                      "column, a JSON object a \"label\" or \"labels\" field\n", file);
      failed = 1;
    } else if (rec.error && !o->skip_bad) {
      fprintf(stderr, "kuzat-train: %s\n(--skip-bad skips such rows)\n", rec.error);
      failed = 1;
    } else if (rec.error) {
      ++*skipped;
    } else {
      int st = add_row(o, file, &rec, ts, labels);
      failed = st == 2;
      *skipped += st == 1;
      *cut += st == 0 && rec.full_len > rec.text_len;
    }
  }
  kuzat_reader_free(r);
  if (failed) return 2;
  if (rc < 0) {
    fprintf(stderr, "kuzat-train: %s\n", err.msg);
    return 2;
  }
  return 0;
}

int read_data(const opts *o, char **files, int nfiles, kuzat_trainset *ts, long *skipped,
              long *cut) {
  labels_buf labels = {NULL, 0};
  int rc = 0;
  for (int i = 0; i < nfiles && !rc; i++)
    rc = read_file(o, files[i], ts, &labels, skipped, cut);
  free(labels.p);
  return rc;
}

void say_counts(const opts *o, const char *what, long skipped, long cut) {
  if (o->quiet) return;
  if (skipped) fprintf(stderr, "kuzat-train: %sskipped %ld malformed rows\n", what, skipped);
  if (cut)
    fprintf(stderr, "kuzat-train: %s%ld documents longer than %zu bytes were cut to their first "
            "%zu bytes (--max-chars)\n", what, cut, o->max_chars, o->max_chars);
}

/* ---- --dev ---- */

static int dev_grow(dev_set *d, size_t nm) {
  size_t cap = d->cap ? d->cap * 2 : 1024;
  double *s = realloc(d->scores, cap * nm * sizeof *s);
  if (s) d->scores = s;
  int *y = realloc(d->truth, cap * nm * sizeof *y);
  if (y) d->truth = y;
  int *l = realloc(d->langs, cap * sizeof *l);
  if (l) d->langs = l;
  if (!s || !y || !l) return -1;
  d->cap = cap;
  return 0;
}

/* name[0..len) is one of the comma-separated labels of `list`. */
static int in_list(const char *list, const char *name, size_t len) {
  for (const char *p = list; *p;) {
    size_t ll = strcspn(p, ",");
    if (ll == len && memcmp(p, name, len) == 0) return 1;
    p += ll + (p[ll] == ',');
  }
  return 0;
}

/* A dev row's truth per marker, from its labels after --map: labelled
 * with --decision alone (negatives aside), the other markers' truth is
 * unknown (-1), as in training. */
static void dev_truth(const opts *o, const kuzat_model *model, const char *labels, int *truth) {
  const char *dec = o->tp.decision;
  int only_decision = dec && in_list(labels, dec, strlen(dec));
  for (const char *p = labels; only_decision && *p;) {
    size_t ll = strcspn(p, ",");
    only_decision = (ll == strlen(dec) && memcmp(p, dec, ll) == 0) ||
                    (o->tp.negatives && in_list(o->tp.negatives, p, ll));
    p += ll + (p[ll] == ',');
  }
  for (size_t k = 0; k < kuzat_model_markers(model); k++) {
    const char *name = kuzat_model_marker(model, k);
    int has = in_list(labels, name, strlen(name));
    truth[k] = has || !only_decision || strcmp(name, dec) == 0 ? has : -1;
  }
}

/* Score the --dev file's rows into d. Returns 0 or 2 (said). */
static int dev_rows(const opts *o, const kuzat_model *model, kuzat_reader *r,
                    kuzat_scorer *scorer, dev_set *d) {
  size_t nm = kuzat_model_markers(model);
  kuzat_error err;
  kuzat_score_params sp; /* kuzat-classify's defaults */
  kuzat_score_params_default(&sp);
  labels_buf labels = {NULL, 0};
  kuzat_record rec;
  int rc = 0, failed = 0;
  while (!failed && (rc = kuzat_reader_next(r, &rec, &err)) == 1) {
    if (rec.error) {
      if (!o->skip_bad) {
        fprintf(stderr, "kuzat-train: --dev: %s\n(--skip-bad skips such rows)\n", rec.error);
        failed = 1;
      }
      d->skipped++;
      continue;
    }
    if (d->rows == d->cap && dev_grow(d, nm)) {
      fprintf(stderr, "kuzat-train: --dev: out of memory after %zu rows\n", d->rows);
      failed = 1;
      break;
    }
    const kuzat_result *res;
    if (kuzat_score(scorer, rec.text, rec.text_len, rec.segments, rec.segments_len, &sp, &res,
                    &err)) {
      fprintf(stderr, "kuzat-train: --dev: %s:%ld: %s\n", o->dev, rec.line, err.msg);
      failed = 1;
      break;
    }
    if (map_labels(o, rec.labels, rec.labels_len, &labels) == SIZE_MAX) {
      fprintf(stderr, "kuzat-train: --dev: %s:%ld: out of memory holding the row's labels\n",
              o->dev, rec.line);
      failed = 1;
      break;
    }
    int l = rec.lang_len ? kuzat_lang_from_name(rec.lang, rec.lang_len) : res->lang;
    d->langs[d->rows] = l < 0 ? KUZAT_LANG_OTHER : l;
    memcpy(d->scores + d->rows * nm, res->prob, nm * sizeof *d->scores);
    dev_truth(o, model, labels.p, d->truth + d->rows * nm);
    d->rows++;
    d->cut += rec.full_len > rec.text_len;
  }
  free(labels.p);
  if (failed) return 2;
  if (rc < 0) {
    fprintf(stderr, "kuzat-train: --dev: %s\n", err.msg);
    return 2;
  }
  return 0;
}

int score_dev(const opts *o, const kuzat_model *model, dev_set *d) {
  kuzat_scorer *scorer = NULL;
  kuzat_reader *r = NULL;
  kuzat_error err;
  if (kuzat_scorer_new(model, NULL, &scorer, &err)) {
    fprintf(stderr, "kuzat-train: %s\n", err.msg);
    return 2;
  }
  int fmt = o->format ? o->format : KUZAT_FORMAT_AUTO;
  if (kuzat_reader_open(o->dev, fmt, NULL, NULL, &r, &err)) {
    fprintf(stderr, "kuzat-train: --dev: %s\n", err.msg);
    kuzat_scorer_free(scorer);
    return 2;
  }
  kuzat_reader_set_limit(r, o->max_chars);
  int rc = dev_rows(o, model, r, scorer, d);
  kuzat_reader_free(r);
  kuzat_scorer_free(scorer);
  if (rc) return rc;
  say_counts(o, "--dev: ", d->skipped, d->cut);
  if (d->rows == 0) { /* metrics of nothing would read as a real (and bad) result */
    fprintf(stderr, "kuzat-train: --dev: %s: no rows to score%s\nNo model written.\n", o->dev,
            d->skipped ? " (every row was malformed)" : "");
    return 2;
  }
  return 0;
}
