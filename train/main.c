/*
 * kuzat-train -- train calibrated per-marker models from labelled text.
 *
 * This file: the options, --help and the driver. data.c reads the DATA
 * files and scores --dev, report.c prints the report; kuzat_train.h is
 * what they share. The training itself is kuzat_train() in the library.
 */
#include "kuzat_train.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --help. The defaults it shows are the library's, from
 * kuzat_train_params_default(), kuzat_feature_params_default() and
 * KUZAT_DEFAULT_MAX_CHARS. */
static void help(void) {
  kuzat_train_params tp;
  kuzat_feature_params fp;
  kuzat_train_params_default(&tp);
  kuzat_feature_params_default(&fp);
  const char *linear = tp.kernel == KUZAT_KERNEL_LINEAR ? " (default)" : "";
  const char *rbf = tp.kernel == KUZAT_KERNEL_RBF ? " (default)" : "";
  printf(
      "Usage: kuzat-train [OPTION]... -o MODEL DATA...\n"
      "Train one calibrated linear SVM (libsvm) per marker from labelled documents\n"
      "and write them, with everything scoring needs, to MODEL.\n"
      "\n"
      /* Three of the library's formats carry labels; these are ours to list. */
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
      "      --kernel K           linear%s or rbf%s\n"
      "      --gamma G            RBF gamma (default %g)\n"
      "      --grid C1,C2,...     values of C tried (default ",
      linear, rbf, tp.gamma);
  for (size_t g = 0; g < tp.grid_len; g++) printf("%s%g", g ? "," : "", tp.grid[g]);
  printf(
      ")\n"
      "      --folds N            cross-validation folds, grouped by the group\n"
      "                           column when present (default %d)\n"
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
      "                           other markers leave it out (its kind unknown)\n",
      tp.folds);
  printf(
      "      --bits N             feature buckets 2^N (default %d)\n"
      "      --word A-B           word n-grams (default %d-%d; 0-0 for none)\n"
      "      --char A-B           character n-grams (default %d-%d; 0-0 for none)\n"
      "      --arabic-char A-B    character n-grams of words in Arabic script\n"
      "                           (default %d-%d; with --char alone, those of\n"
      "                           --char). Models are written in format 3, which\n"
      "                           kuzat before December 8, 2026 cannot read\n"
      "      --seed N             fold assignment and hashing seed (default %llu);\n"
      "                           same data and seed give a byte-identical model\n"
      "      --threads N          markers trained in parallel (default %d)\n"
      "      --dev FILE           also score FILE with the trained model, as\n"
      "                           kuzat-classify does (windows, transcripts), and\n"
      "                           report its quality\n"
      "      --report FILE.json   write every figure of the report as JSON\n"
      "      --skip-bad           skip malformed rows (and say how many)\n"
      "                           instead of stopping at the first\n"
      "      --max-chars N        train on at most the first N bytes of each\n"
      "                           document, --dev FILE's too (cut at a character\n"
      "                           boundary; default %zu, as kuzat-classify);\n"
      "                           how many were cut is reported. A TSV or JSONL\n"
      "                           row of more than 4N + 65536 bytes cannot be\n"
      "                           parsed within that bound and is a malformed row\n"
      "  -q, --quiet              no report table, no progress bar\n"
      "  -h, --help               show this help\n"
      "      --version            show the version\n"
      "\n"
      "Known texts (kuzat-train --known -o KNOWN.kzk INPUT...):\n"
      "      --known              build an index of known texts for kuzat-classify\n"
      "                           --known instead of a model: each record of\n"
      "                           INPUT (any format kuzat-classify reads; its id\n"
      "                           and labels kept) is sketched, not kept\n"
      "      --add KNOWN.kzk      start from this index (its inputs not needed)\n"
      "      --remove ID          take the document ID out (may be repeated)\n"
      "      --known-threshold P  the least similarity reported as a match,\n"
      "                           stored in the index (default 0.5)\n"
      "A duplicate id is an error naming both places; no index is written.\n"
      "\n"
      "The report (stderr): per marker the chosen C, then precision, recall, F1,\n"
      "PR-AUC, ROC-AUC and calibration error of the out-of-fold scores (each row\n"
      "scored by a fit that never saw its group), overall and per language.\n"
      "\n"
      "Exit status: 0 model written; 2 bad usage or data (message names the file,\n"
      "line and reason), training impossible, or the model could not be written;\n"
      "on any failure no model is written and an existing MODEL is left as it is.\n",
      fp.bits, fp.word_min, fp.word_max, fp.char_min, fp.char_max, fp.arabic_char_min,
      fp.arabic_char_max,
      (unsigned long long)fp.seed, tp.threads, (size_t)KUZAT_DEFAULT_MAX_CHARS);
}

enum { O_FORMAT = 256, O_NEGATIVE, O_TARGET_FPR, O_DECISION, O_MAP, O_KERNEL, O_GAMMA, O_GRID, O_FOLDS, O_TARGET,
       O_BITS, O_WORD, O_CHAR, O_ARABIC_CHAR, O_SEED, O_THREADS, O_DEV, O_REPORT, O_SKIP_BAD, O_VERSION,
       O_MAX_CHARS, O_KNOWN, O_ADD, O_REMOVE, O_KNOWN_THRESHOLD };

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

/* --map FROM=TO, added to the maps. Returns 0 or 2 after a message. */
static int add_map(opts *o, const char *arg) {
  const char *eq = strchr(arg, '=');
  if (!eq || eq == arg) return die("--map '", arg, "': expected FROM=TO");
  label_map *maps = realloc(o->maps, (o->nmaps + 1) * sizeof *maps);
  char *from = strndup(arg, (size_t)(eq - arg));
  if (maps) o->maps = maps;
  if (!maps || !from) {
    free(from);
    fprintf(stderr, "kuzat-train: out of memory\n");
    return 2;
  }
  maps[o->nmaps].from = from;
  maps[o->nmaps++].to = eq + 1;
  return 0;
}

/* --grid C1,C2,...: its values replace an earlier --grid's. Returns 0 or 2
 * after a message. */
static int parse_grid(opts *o, const char *arg) {
  size_t n = 1;
  for (const char *p = arg; *p; p++) n += *p == ',';
  double *grid = malloc(n * sizeof *grid);
  char *copy = strdup(arg), *save = NULL;
  if (!grid || !copy) {
    free(grid);
    free(copy);
    fprintf(stderr, "kuzat-train: out of memory\n");
    return 2;
  }
  free(o->grid);
  o->grid = grid;
  o->grid_len = 0;
  int rc = 0;
  for (char *t = strtok_r(copy, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save))
    if (number("--grid", t, 1e-9, 1e9, &grid[o->grid_len++])) rc = 2;
  free(copy);
  if (!rc && !o->grid_len) return die("--grid '", arg, "': expected C values like 0.1,1,10");
  return rc;
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
      {"char", required_argument, NULL, O_CHAR},
      {"arabic-char", required_argument, NULL, O_ARABIC_CHAR}, {"seed", required_argument, NULL, O_SEED},
      {"threads", required_argument, NULL, O_THREADS}, {"dev", required_argument, NULL, O_DEV},
      {"report", required_argument, NULL, O_REPORT},
      {"skip-bad", no_argument, NULL, O_SKIP_BAD}, {"quiet", no_argument, NULL, 'q'},
      {"max-chars", required_argument, NULL, O_MAX_CHARS},
      {"known", no_argument, NULL, O_KNOWN}, {"add", required_argument, NULL, O_ADD},
      {"remove", required_argument, NULL, O_REMOVE},
      {"known-threshold", required_argument, NULL, O_KNOWN_THRESHOLD},
      {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, O_VERSION},
      {NULL, 0, NULL, 0}};
  int c, arabic_given = 0; /* --arabic-char, else --char sets both */
  double v;
  while ((c = getopt_long(argc, argv, "o:qh", lo, NULL)) != -1) {
    switch (c) {
    case 'o': o->output = optarg; break;
    case O_FORMAT:
      o->format = kuzat_format_from_name(optarg);
      if (o->format <= 0)
        return die("unknown format '", optarg, "' (expected tsv, jsonl or fasttext; "
                   "with --known, any input format)");
      break;
    case O_NEGATIVE: o->tp.negatives = optarg; break;
    case O_MAP:
      if (add_map(o, optarg)) return 2;
      break;
    case O_KERNEL:
      if (strcmp(optarg, "linear") == 0) o->tp.kernel = KUZAT_KERNEL_LINEAR;
      else if (strcmp(optarg, "rbf") == 0) o->tp.kernel = KUZAT_KERNEL_RBF;
      else return die("unknown kernel '", optarg, "' (expected linear or rbf)");
      break;
    case O_GAMMA:
      if (number("--gamma", optarg, 1e-9, 1e9, &o->tp.gamma)) return 2;
      break;
    case O_GRID:
      if (parse_grid(o, optarg)) return 2;
      break;
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
      if (!arabic_given) /* one range for every word */
        o->fp.arabic_char_min = o->fp.arabic_char_max = KUZAT_CHAR_AS_OTHERS;
      break;
    case O_ARABIC_CHAR:
      if (range("--arabic-char", optarg, &o->fp.arabic_char_min, &o->fp.arabic_char_max))
        return 2;
      arabic_given = 1;
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
    case O_KNOWN: o->known = 1; break;
    case O_ADD: o->known_add = optarg; break;
    case O_REMOVE:
      if (known_option(o, KNOWN_OPT_REMOVE, optarg)) return 2;
      break;
    case O_KNOWN_THRESHOLD:
      if (known_option(o, KNOWN_OPT_THRESHOLD, optarg)) return 2;
      break;
    case 'q': o->quiet = 1; break;
    case 'h':
      help();
      return 0;
    case O_VERSION: printf("kuzat-train %s\n", kuzat_version()); return 0;
    default: fprintf(stderr, "Try 'kuzat-train --help' for more information.\n"); return 2;
    }
  }
  if (!o->output) return die("no output: give -o MODEL", NULL, NULL);
  if (!o->known && (o->known_add || o->known_nremove || o->known_threshold > 0))
    return die("--add, --remove and --known-threshold need --known", NULL, NULL);
  if (!o->known && o->format != KUZAT_FORMAT_TSV && o->format != KUZAT_FORMAT_JSONL &&
      o->format != KUZAT_FORMAT_FASTTEXT && o->format)
    return die("--format: a model is trained from tsv, jsonl or fasttext", NULL, NULL);
  if (o->known) return -1; /* an index may start empty */
  if (optind == argc) return die("no training data: give one or more DATA files", NULL, NULL);
  if (o->grid_len) {
    o->tp.grid = o->grid;
    o->tp.grid_len = o->grid_len;
  }
  return -1;
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
  for (size_t m = 0; m < r->o.nmaps; m++) free(r->o.maps[m].from);
  free(r->o.maps);
  free(r->o.grid);
  free(r->o.known_remove);
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
  if (o->known) return finish(&R, train_known(o, argv + optind, argc - optind));
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
  R.root = report_start(R.model, rep, skipped, cut, o->quiet);
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
