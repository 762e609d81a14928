/*
 * kuzat-train -- train calibrated per-marker models from labelled text.
 *
 * Option parsing, reading records, printing: the training itself is
 * kuzat_train() in the library.
 */
#include "kuzat.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "Usage: kuzat-train [OPTION]... -o MODEL DATA...\n"
    "Train one calibrated linear SVM (libsvm) per marker from labelled documents\n"
    "and write them, with everything scoring needs, to MODEL.\n"
    "\n"
    "DATA is a file, or - for standard input (give --format). Formats, from the\n"
    "name (.tsv, .jsonl, anything else fastText; .gz is read transparently):\n"
    "  tsv       header row; columns text and label (or labels), optional id,\n"
    "            lang, group; several labels separated by , or |\n"
    "              id<TAB>label<TAB>lang<TAB>group<TAB>text\n"
    "              t1<TAB>recruitment|incitement<TAB>uz-Latn<TAB>chan7<TAB>...\n"
    "  jsonl     {\"text\":...,\"labels\":[\"recruitment\"],\"lang\":\"tg\",\"group\":\"chan7\"}\n"
    "            (or \"label\":\"recruitment\")\n"
    "  fasttext  __label__recruitment __label__incitement text of the document\n"
    "A document with no label, or only labels given to --negative, is a\n"
    "negative for every marker.\n"
    "\n"
    "Options:\n"
    "  -o, --output MODEL       where to write the model (atomically)\n"
    "      --format FMT         tsv, jsonl or fasttext for every DATA\n"
    "      --negative L1,L2     labels that mean \"no marker\" (e.g. neutral)\n"
    "      --map FROM=TO        rename label FROM to TO (TO empty: drop it);\n"
    "                           may be repeated\n"
    "      --kernel K           linear (default) or rbf\n"
    "      --gamma G            RBF gamma (default 1)\n"
    "      --grid C1,C2,...     values of C tried (default 0.1,1,10)\n"
    "      --folds N            cross-validation folds, grouped by the group\n"
    "                           column when present (default 5)\n"
    "      --target-precision P threshold: lowest reaching precision P\n"
    "                           (default: the threshold of maximum F1)\n"
    "      --target-fpr P       hold false alarms to P (e.g. 0.01): thresholds\n"
    "                           rise until at most P of the rows with no\n"
    "                           marker are flagged out of fold, in each family\n"
    "                           of each language that has 1/P such rows (a\n"
    "                           group FAMILY/NAME: group NAME of FAMILY); the\n"
    "                           --decision marker gets the lowest such threshold\n"
    "      --decision L         the label every marker implies (propaganda):\n"
    "                           a row labelled L alone trains L only, and the\n"
    "                           other markers leave it out (its kind unknown)\n"
    ;
static const char usage2[] =
    "      --bits N             feature buckets 2^N (default 20)\n"
    "      --word A-B           word n-grams (default 1-2; 0-0 for none)\n"
    "      --char A-B           character n-grams (default 2-5; 0-0 for none)\n"
    "      --seed N             fold assignment and hashing seed (default 0);\n"
    "                           same data and seed give a byte-identical model\n"
    "      --threads N          markers trained in parallel (default 1)\n"
    "      --dev FILE           also score FILE with the trained model, as\n"
    "                           kuzat-classify does (windows, transcripts), and\n"
    "                           report its quality\n"
    "      --report FILE.json   write every figure of the report as JSON\n"
    "      --skip-bad           skip malformed rows (and say how many)\n"
    "                           instead of stopping at the first\n"
    "      --max-chars N        train on at most the first N bytes of each\n"
    "                           document, --dev FILE's too (cut at a character\n"
    "                           boundary; default 1000000, as kuzat-classify);\n"
    "                           how many were cut is reported. A TSV or JSONL\n"
    "                           row of more than 4N + 65536 bytes cannot be\n"
    "                           parsed within that bound and is a malformed row\n"
    "  -q, --quiet              no report table, no progress bar\n"
    "  -h, --help               show this help\n"
    "      --version            show the version\n"
    "\n"
    "The report (stderr): per marker the chosen C, then precision, recall, F1,\n"
    "PR-AUC, ROC-AUC and calibration error of the out-of-fold scores (each row\n"
    "scored by a fit that never saw its group), overall and per language.\n"
    "\n"
    "Exit status: 0 model written; 2 bad usage or data (message names the file,\n"
    "line and reason), training impossible, or the model could not be written;\n"
    "on any failure no model is written and an existing MODEL is left as it is.\n";

#define MAX_MAPS 64
#define MAX_GRID 32

typedef struct opts {
  const char *output, *dev, *report;
  int format, skip_bad, quiet;
  size_t max_chars;
  const char *map_from[MAX_MAPS], *map_to[MAX_MAPS];
  int nmaps;
  double grid[MAX_GRID];
  size_t grid_len;
  kuzat_train_params tp;
  kuzat_feature_params fp;
} opts;

enum { O_FORMAT = 256, O_NEGATIVE, O_TARGET_FPR, O_DECISION, O_MAP, O_KERNEL, O_GAMMA, O_GRID, O_FOLDS, O_TARGET,
       O_BITS, O_WORD, O_CHAR, O_SEED, O_THREADS, O_DEV, O_REPORT, O_SKIP_BAD, O_VERSION,
       O_MAX_CHARS };

static int die(const char *fmt, const char *a, const char *b) {
  fprintf(stderr, "kuzat-train: ");
  fprintf(stderr, "%s%s%s", fmt, a ? a : "", b ? b : "");
  fprintf(stderr, "\nTry 'kuzat-train --help' for more information.\n");
  return 2;
}

/* A number for option `name`, or -1 after a message. */
static int number(const char *name, const char *s, double lo, double hi, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || !(v >= lo && v <= hi)) {
    fprintf(stderr, "kuzat-train: %s '%s': expected a number from %g to %g\n", name, s, lo, hi);
    return -1;
  }
  *out = v;
  return 0;
}

static int range(const char *name, const char *s, int *a, int *b) {
  char *end;
  long x = strtol(s, &end, 10), y;
  if (end == s || *end != '-') goto bad;
  const char *t = end + 1;
  y = strtol(t, &end, 10);
  if (end == t || *end || x < 0 || y < x || y > 8) goto bad;
  *a = (int)x;
  *b = (int)y;
  return 0;
bad:
  fprintf(stderr, "kuzat-train: %s '%s': expected A-B with 0 <= A <= B <= 8\n", name, s);
  return -1;
}

static int parse(int argc, char **argv, opts *o) {
  static const struct option lo[] = {
      {"output", required_argument, NULL, 'o'}, {"format", required_argument, NULL, O_FORMAT},
      {"negative", required_argument, NULL, O_NEGATIVE}, {"map", required_argument, NULL, O_MAP},
      {"kernel", required_argument, NULL, O_KERNEL}, {"gamma", required_argument, NULL, O_GAMMA},
      {"grid", required_argument, NULL, O_GRID}, {"folds", required_argument, NULL, O_FOLDS},
      {"target-precision", required_argument, NULL, O_TARGET},
      {"target-fpr", required_argument, NULL, O_TARGET_FPR},
      {"decision", required_argument, NULL, O_DECISION},
      {"bits", required_argument, NULL, O_BITS}, {"word", required_argument, NULL, O_WORD},
      {"char", required_argument, NULL, O_CHAR}, {"seed", required_argument, NULL, O_SEED},
      {"threads", required_argument, NULL, O_THREADS}, {"dev", required_argument, NULL, O_DEV},
      {"report", required_argument, NULL, O_REPORT},
      {"skip-bad", no_argument, NULL, O_SKIP_BAD}, {"quiet", no_argument, NULL, 'q'},
      {"max-chars", required_argument, NULL, O_MAX_CHARS},
      {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, O_VERSION},
      {NULL, 0, NULL, 0}};
  int c;
  double v;
  while ((c = getopt_long(argc, argv, "o:qh", lo, NULL)) != -1) {
    switch (c) {
    case 'o': o->output = optarg; break;
    case O_FORMAT:
      o->format = kuzat_format_from_name(optarg);
      if (o->format != KUZAT_FORMAT_TSV && o->format != KUZAT_FORMAT_JSONL &&
          o->format != KUZAT_FORMAT_FASTTEXT)
        return die("unknown format '", optarg, "' (expected tsv, jsonl or fasttext)");
      break;
    case O_NEGATIVE: o->tp.negatives = optarg; break;
    case O_MAP: {
      const char *eq = strchr(optarg, '=');
      if (!eq || eq == optarg) return die("--map '", optarg, "': expected FROM=TO");
      if (o->nmaps == MAX_MAPS) return die("too many --map options", NULL, NULL);
      char *from = strndup(optarg, (size_t)(eq - optarg));
      o->map_from[o->nmaps] = from;
      o->map_to[o->nmaps++] = eq + 1;
      break;
    }
    case O_KERNEL:
      if (strcmp(optarg, "linear") == 0) o->tp.kernel = KUZAT_KERNEL_LINEAR;
      else if (strcmp(optarg, "rbf") == 0) o->tp.kernel = KUZAT_KERNEL_RBF;
      else return die("unknown kernel '", optarg, "' (expected linear or rbf)");
      break;
    case O_GAMMA:
      if (number("--gamma", optarg, 1e-9, 1e9, &o->tp.gamma)) return 2;
      break;
    case O_GRID: {
      o->grid_len = 0;
      char *copy = strdup(optarg), *save = NULL;
      for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (o->grid_len == MAX_GRID || number("--grid", t, 1e-9, 1e9, &o->grid[o->grid_len])) {
          free(copy);
          return 2;
        }
        o->grid_len++;
      }
      free(copy);
      if (!o->grid_len) return die("--grid '", optarg, "': expected C values like 0.1,1,10");
      break;
    }
    case O_FOLDS:
      if (number("--folds", optarg, 2, 20, &v)) return 2;
      o->tp.folds = (int)v;
      break;
    case O_TARGET:
      if (number("--target-precision", optarg, 1e-6, 1, &o->tp.target_precision)) return 2;
      break;
    case O_TARGET_FPR:
      if (number("--target-fpr", optarg, 1e-6, 0.5, &o->tp.target_fpr)) return 2;
      break;
    case O_DECISION: o->tp.decision = optarg; break;
    case O_BITS:
      if (number("--bits", optarg, 1, 28, &v)) return 2;
      o->fp.bits = (int)v;
      break;
    case O_WORD:
      if (range("--word", optarg, &o->fp.word_min, &o->fp.word_max)) return 2;
      break;
    case O_CHAR:
      if (range("--char", optarg, &o->fp.char_min, &o->fp.char_max)) return 2;
      break;
    case O_SEED:
      if (number("--seed", optarg, 0, 9007199254740992.0, &v)) return 2;
      o->tp.seed = o->fp.seed = (uint64_t)v;
      break;
    case O_THREADS:
      if (number("--threads", optarg, 1, 64, &v)) return 2;
      o->tp.threads = (int)v;
      break;
    case O_DEV: o->dev = optarg; break;
    case O_REPORT: o->report = optarg; break;
    case O_SKIP_BAD: o->skip_bad = 1; break;
    case O_MAX_CHARS:
      if (number("--max-chars", optarg, 1, 1099511627776.0, &v)) return 2;
      o->max_chars = (size_t)v;
      break;
    case 'q': o->quiet = 1; break;
    case 'h':
      fputs(usage, stdout);
      fputs(usage2, stdout);
      return 0;
    case O_VERSION: printf("kuzat-train %s\n", kuzat_version()); return 0;
    default: fprintf(stderr, "Try 'kuzat-train --help' for more information.\n"); return 2;
    }
  }
  if (!o->output) return die("no output: give -o MODEL", NULL, NULL);
  if (optind == argc) return die("no training data: give one or more DATA files", NULL, NULL);
  if (o->grid_len) {
    o->tp.grid = o->grid;
    o->tp.grid_len = o->grid_len;
  }
  return -1;
}

/* The labels of a row after --map, joined by ','. Returns their length
 * (a NUL byte in a label is kept, for kuzat_trainset_add() to refuse), or
 * SIZE_MAX when they do not fit in cap bytes. */
static size_t map_labels(const opts *o, const char *in, size_t len, char *out, size_t cap) {
  size_t k = 0;
  out[0] = '\0';
  for (size_t i = 0; i < len;) {
    size_t j = i;
    while (j < len && in[j] != ',') j++;
    const char *lab = in + i;
    size_t ll = j - i;
    for (int m = 0; m < o->nmaps; m++)
      if (strlen(o->map_from[m]) == ll && memcmp(o->map_from[m], lab, ll) == 0) {
        lab = o->map_to[m];
        ll = strlen(lab);
        break;
      }
    if (ll) {
      if (k + ll + 2 >= cap) return SIZE_MAX;
      if (k) out[k++] = ',';
      memcpy(out + k, lab, ll);
      k += ll;
      out[k] = '\0';
    }
    i = j + 1;
  }
  return k;
}

typedef struct progress {
  int shown;
} progress;

static void show_progress(void *ud, double done) {
  progress *p = ud;
  int pct = (int)(done * 100);
  if (pct <= p->shown) return;
  p->shown = pct;
  int bar = pct / 4;
  fprintf(stderr, "\rtraining [%.*s%*s] %3d%%", bar, "=========================", 25 - bar, "", pct);
  if (pct >= 100) fputc('\n', stderr);
}

/* Read every DATA file into the training set. Returns 0 or 2. */
static int read_data(const opts *o, char **files, int nfiles, kuzat_trainset *ts, long *skipped,
                     long *cut) {
  kuzat_error err;
  static char labels[65536];
  for (int i = 0; i < nfiles; i++) {
    kuzat_reader *r;
    int fmt = o->format;
    if (!fmt) { /* from the name; anything not TSV or JSONL is fastText */
      fmt = kuzat_format_from_path(files[i]);
      if (fmt != KUZAT_FORMAT_TSV && fmt != KUZAT_FORMAT_JSONL) fmt = KUZAT_FORMAT_FASTTEXT;
    }
    if (kuzat_reader_open(files[i], fmt, NULL, NULL, &r, &err)) {
      fprintf(stderr, "kuzat-train: %s\n", err.msg);
      return 2;
    }
    kuzat_reader_set_limit(r, o->max_chars);
    kuzat_record rec;
    int rc;
    long rows = 0;
    while ((rc = kuzat_reader_next(r, &rec, &err)) == 1) {
      if (!rec.error && !rec.has_labels) {
        fprintf(stderr, "kuzat-train: %s: no labels: a TSV file needs a label (or labels) "
                        "column, a JSON object a \"label\" or \"labels\" field\n", files[i]);
        kuzat_reader_free(r);
        return 2;
      }
      if (rec.error) {
        if (!o->skip_bad) {
          fprintf(stderr, "kuzat-train: %s\n(--skip-bad skips such rows)\n", rec.error);
          kuzat_reader_free(r);
          return 2;
        }
        ++*skipped;
        continue;
      }
      size_t nl = map_labels(o, rec.labels, rec.labels_len, labels, sizeof labels);
      if (nl == SIZE_MAX) {
        err.status = KUZAT_EINVAL;
        snprintf(err.msg, sizeof err.msg, "labels longer than %zu bytes", sizeof labels - 2);
      }
      if (nl == SIZE_MAX ||
          kuzat_trainset_add(ts, rec.text, rec.text_len, labels, nl, rec.lang,
                             rec.lang_len, rec.group, rec.group_len, &err)) {
        if (!o->skip_bad || err.status == KUZAT_ENOMEM) {
          fprintf(stderr, "kuzat-train: %s:%ld: %s\n", files[i], rec.line, err.msg);
          kuzat_reader_free(r);
          return 2;
        }
        ++*skipped;
        continue;
      }
      rows++;
      *cut += rec.full_len > rec.text_len;
    }
    kuzat_reader_free(r);
    if (rc < 0) {
      fprintf(stderr, "kuzat-train: %s\n", err.msg);
      return 2;
    }
  }
  return 0;
}

/* ---- report ---- */

static json_t *metrics_json(const kuzat_metrics *m) {
  return json_pack("{s:I,s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "rows", (json_int_t)m->n,
                   "positives", (json_int_t)m->positives, "threshold", m->threshold,
                   "precision", m->precision, "recall", m->recall, "f1", m->f1, "pr_auc",
                   m->pr_auc, "roc_auc", m->roc_auc, "calibration_error", m->ece);
}

static void print_row(const char *what, const kuzat_metrics *m) {
  fprintf(stderr, "  %-10s %7zu %6zu %9.3f %6.3f %6.3f %6.3f %7.3f %6.3f\n", what, m->n,
          m->positives, m->precision, m->recall, m->f1, m->pr_auc, m->roc_auc, m->ece);
}

/* The quality table (kuzat_eval_tables(), the one kuzat-classify --eval
 * prints) on stderr and as JSON. */
static json_t *report_block(const char *title, const kuzat_model *model, const double *scores,
                            const int *truth, const int *langs, size_t rows, int quiet) {
  size_t nm = kuzat_model_markers(model), ncells = 0;
  json_t *arr = json_array();
  double *th = malloc((nm + 1) * sizeof *th);
  kuzat_eval_cell *cells = NULL;
  kuzat_error err;
  for (size_t k = 0; th && k < nm; k++) th[k] = kuzat_model_threshold(model, k);
  if (!th || kuzat_eval_tables(scores, truth, langs, rows, nm, th, NULL, &cells, &ncells, &err)) {
    fprintf(stderr, "kuzat-train: %s: %s\n", title, th ? err.msg : "out of memory");
    free(th);
    return arr;
  }
  if (!quiet) fprintf(stderr, "\n%s\n", title);
  json_t *jm = NULL;
  for (size_t i = 0; i < ncells; i++) {
    const kuzat_eval_cell *c = &cells[i];
    const char *what = c->lang < 0 ? "all" : kuzat_lang_name(c->lang);
    if (c->lang < 0) { /* a new marker */
      jm = json_pack("{s:s,s:o,s:{}}", "marker", kuzat_model_marker(model, c->marker), "all",
                     metrics_json(&c->m), "by_lang");
      json_array_append_new(arr, jm);
      if (!quiet) {
        fprintf(stderr, "marker %s (threshold %.3f)\n", kuzat_model_marker(model, c->marker),
                th[c->marker]);
        fprintf(stderr, "  %-10s %7s %6s %9s %6s %6s %6s %7s %6s\n", "lang", "rows", "pos",
                "precision", "recall", "F1", "PR-AUC", "ROC-AUC", "ECE");
      }
    } else {
      json_object_set_new(json_object_get(jm, "by_lang"), what, metrics_json(&c->m));
    }
    if (!quiet) print_row(what, &c->m);
  }
  kuzat_eval_free(cells, NULL);
  free(th);
  return arr;
}

/* Say how many rows of `what` ("" for the training data, "--dev: " for the
 * dev file) were skipped (--skip-bad) and cut (--max-chars). */
static void say_counts(const opts *o, const char *what, long skipped, long cut) {
  if (o->quiet) return;
  if (skipped) fprintf(stderr, "kuzat-train: %sskipped %ld malformed rows\n", what, skipped);
  if (cut)
    fprintf(stderr, "kuzat-train: %s%ld documents longer than %zu bytes were cut to their first "
            "%zu bytes (--max-chars)\n", what, cut, o->max_chars, o->max_chars);
}

/* Score --dev with the model: probabilities, truth and languages, and how
 * many dev rows were skipped (--skip-bad) or cut (--max-chars). */
typedef struct dev_set {
  double *scores; /* rows x markers */
  int *truth;     /* rows x markers */
  int *langs;     /* rows */
  size_t rows, cap;
  long skipped, cut;
} dev_set;

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

/* `name` is one of the comma-separated labels of `list`. */
static int in_list(const char *list, const char *name) {
  size_t nl = strlen(name);
  for (const char *p = list; *p;) {
    size_t ll = strcspn(p, ",");
    if (ll == nl && memcmp(p, name, nl) == 0) return 1;
    p += ll + (p[ll] == ',');
  }
  return 0;
}

/* Score the --dev file as kuzat-classify --eval does (the same scorer, the
 * same windows and defaults), so both give the same figures for a file. */
static int score_dev(const opts *o, const kuzat_model *model, dev_set *d) {
  size_t nm = kuzat_model_markers(model);
  kuzat_scorer *scorer = NULL;
  kuzat_reader *r = NULL;
  kuzat_error err;
  kuzat_score_params sp;
  kuzat_score_params_default(&sp);
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
  kuzat_record rec;
  int rc = 0, failed = 0;
  static char labels[65536];
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
    int l = rec.lang_len ? kuzat_lang_from_name(rec.lang, rec.lang_len) : res->lang;
    d->langs[d->rows] = l < 0 ? KUZAT_LANG_OTHER : l;
    if (map_labels(o, rec.labels, rec.labels_len, labels, sizeof labels) == SIZE_MAX)
      labels[0] = '\0'; /* too many to hold: none of them can name a marker anyway */
    /* labelled with --decision alone: the other markers' truth is unknown */
    int only_decision = o->tp.decision && in_list(labels, o->tp.decision);
    for (const char *p = labels; only_decision && *p;) {
      size_t ll = strcspn(p, ",");
      char one[256];
      snprintf(one, sizeof one, "%.*s", (int)(ll < 255 ? ll : 255), p);
      only_decision = strcmp(one, o->tp.decision) == 0 ||
                      (o->tp.negatives && in_list(o->tp.negatives, one));
      p += ll + (p[ll] == ',');
    }
    for (size_t k = 0; k < nm; k++) {
      d->scores[d->rows * nm + k] = res->prob[k];
      const char *name = kuzat_model_marker(model, k);
      int has = in_list(labels, name);
      d->truth[d->rows * nm + k] = has || !only_decision || strcmp(name, o->tp.decision) == 0
                                       ? has : -1;
    }
    d->rows++;
    d->cut += rec.full_len > rec.text_len;
  }
  kuzat_reader_free(r);
  kuzat_scorer_free(scorer);
  if (failed) return 2;
  if (rc < 0) {
    fprintf(stderr, "kuzat-train: --dev: %s\n", err.msg);
    return 2;
  }
  say_counts(o, "--dev: ", d->skipped, d->cut);
  if (d->rows == 0) { /* metrics of nothing would read as a real (and bad) result */
    fprintf(stderr, "kuzat-train: --dev: %s: no rows to score%s\nNo model written.\n", o->dev,
            d->skipped ? " (every row was malformed)" : "");
    return 2;
  }
  return 0;
}

/* Everything main() holds, freed on every way out (so that sanitizers
 * see no leak and a library user can copy the pattern). */
typedef struct run {
  opts o;
  kuzat_trainset *ts;
  kuzat_model *model;
  kuzat_train_report *rep;
  json_t *root;
  dev_set dev;
} run;

static int finish(run *r, int rc) {
  json_decref(r->root);
  free(r->dev.scores);
  free(r->dev.truth);
  free(r->dev.langs);
  kuzat_train_report_free(r->rep);
  kuzat_model_free(r->model);
  kuzat_trainset_free(r->ts);
  for (int m = 0; m < r->o.nmaps; m++) free((void *)r->o.map_from[m]);
  return rc;
}

int main(int argc, char **argv) {
  run R;
  memset(&R, 0, sizeof R);
  opts *o = &R.o;
  kuzat_train_params_default(&o->tp);
  kuzat_feature_params_default(&o->fp);
  o->max_chars = KUZAT_DEFAULT_MAX_CHARS;
  int rc = parse(argc, argv, o);
  if (rc >= 0) return finish(&R, rc);
  kuzat_error err;
  if (kuzat_trainset_new(&o->fp, NULL, &R.ts, &err)) {
    fprintf(stderr, "kuzat-train: %s\n", err.msg);
    return finish(&R, 2);
  }
  long skipped = 0, cut = 0;
  if ((rc = read_data(o, argv + optind, argc - optind, R.ts, &skipped, &cut)))
    return finish(&R, rc);
  say_counts(o, "", skipped, cut);
  if (kuzat_trainset_rows(R.ts) == 0) {
    fprintf(stderr, "kuzat-train: no training data: the input has no rows\nNo model written.\n");
    return finish(&R, 2);
  }
  progress pr = {-1};
  if (!o->quiet && isatty(2)) {
    o->tp.progress = show_progress;
    o->tp.progress_ud = &pr;
  }
  if (kuzat_train(R.ts, &o->tp, &R.model, &R.rep, &err)) {
    fprintf(stderr, "kuzat-train: %s\nNo model written.\n", err.msg);
    return finish(&R, 2);
  }
  const kuzat_train_report *rep = R.rep;
  R.root = json_pack("{s:s,s:s,s:I,s:I,s:I,s:f,s:[]}", "model", kuzat_model_id(R.model), "kuzat",
                     kuzat_version(), "rows", (json_int_t)rep->rows, "skipped_rows",
                     (json_int_t)skipped, "truncated_rows", (json_int_t)cut, "seconds",
                     rep->seconds, "markers");
  for (size_t k = 0; k < rep->markers; k++)
    json_array_append_new(json_object_get(R.root, "markers"),
                          json_pack("{s:s,s:f,s:I,s:I,s:I,s:f}", "name", rep->marker[k].name,
                                    "C", rep->marker[k].C, "positives",
                                    (json_int_t)rep->marker[k].positives, "negatives",
                                    (json_int_t)rep->marker[k].negatives, "support_vectors",
                                    (json_int_t)rep->marker[k].support_vectors, "seconds",
                                    rep->marker[k].seconds));
  if (!o->quiet) {
    fprintf(stderr, "kuzat-train: %zu rows, %zu markers, %.1f s; model %s\n", rep->rows,
            rep->markers, rep->seconds, kuzat_model_id(R.model));
    for (size_t k = 0; k < rep->markers; k++)
      fprintf(stderr, "  %-24s C=%-6g positives %zu, negatives %zu, support vectors %zu, %.1f s\n",
              rep->marker[k].name, rep->marker[k].C, rep->marker[k].positives,
              rep->marker[k].negatives, rep->marker[k].support_vectors, rep->marker[k].seconds);
  }
  json_object_set_new(R.root, "cross_validation",
                      report_block("Cross-validation (out-of-fold, grouped):", R.model, rep->oof,
                                   rep->truth, rep->lang, rep->rows, o->quiet));
  if (o->dev) {
    dev_set *d = &R.dev;
    if ((rc = score_dev(o, R.model, d))) return finish(&R, rc);
    json_object_set_new(R.root, "dev",
                        report_block("Dev set:", R.model, d->scores, d->truth, d->langs, d->rows,
                                     o->quiet));
    json_object_set_new(R.root, "dev_skipped_rows", json_integer(d->skipped));
    json_object_set_new(R.root, "dev_truncated_rows", json_integer(d->cut));
  }
  if (o->report &&
      json_dump_file(R.root, o->report, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(6))) {
    fprintf(stderr, "kuzat-train: %s: cannot write the report\nNo model written.\n", o->report);
    return finish(&R, 2);
  }
  /* the model last: a failure above leaves an existing model untouched */
  if (kuzat_model_save(R.model, o->output, &err)) {
    fprintf(stderr, "kuzat-train: %s\n", err.msg);
    return finish(&R, 2);
  }
  if (!o->quiet) fprintf(stderr, "\nkuzat-train: model %s written to %s\n", kuzat_model_id(R.model), o->output);
  return finish(&R, 0);
}
