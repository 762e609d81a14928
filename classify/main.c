/*
 * kuzat-classify -- score documents and transcripts (see --help).
 *
 * This file: the options, --help, the model and the driver. inputs.c turns
 * the INPUT arguments into records, output.c a record into its line (and
 * prints --eval's table), ring.c runs them in input order on one thread or
 * several; classify.h is what they share. The scoring is libkuzat's
 * kuzat_score().
 */
#include "classify.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Ours, not the library's: one thread unless --threads says otherwise;
 * the words highlighted in the HTML page unless --explain says otherwise. */
enum { DEFAULT_THREADS = 1, HTML_EXPLAIN = 8 };

/* "text, lines, ... or whisper": every input format but auto, from the
 * library's table, into out. */
static void format_list(char *out, size_t n) {
  size_t k = 0;
  int f, last = KUZAT_FORMAT_COUNT - 1;
  out[0] = '\0';
  for (f = KUZAT_FORMAT_AUTO + 1; f <= last && k < n; f++)
    k += (size_t)snprintf(out + k, n - k, "%s%s", f == KUZAT_FORMAT_AUTO + 1 ? "" : f == last ? " or " : ", ",
                          kuzat_format_name(f));
}

/* "uz-Latn uz-Cyrl ... fa other": the languages identified, "other" last. */
static void lang_list(char *out, size_t n) {
  size_t k = 0;
  int l;
  out[0] = '\0';
  for (l = 1; l <= KUZAT_LANG_COUNT && k < n; l++)
    k += (size_t)snprintf(out + k, n - k, "%s%s", l == 1 ? "" : " ",
                          kuzat_lang_name(l % KUZAT_LANG_COUNT));
}

/* --help. The defaults it shows are the ones used: the library's
 * (kuzat_score_params_default(), KUZAT_DEFAULT_MAX_CHARS) and ours. Four
 * parts: a string literal may not pass 4095 bytes. */
static void help(void) {
  kuzat_score_params sp;
  char formats[256], langs[256];
  kuzat_score_params_default(&sp);
  format_list(formats, sizeof formats);
  lang_list(langs, sizeof langs);
  printf(
      "Usage: kuzat-classify [OPTION]... [INPUT]...\n"
      "Score documents and transcripts for militant-propaganda markers in Uzbek\n"
      "(Latin and Cyrillic), Tajik, Kyrgyz, Russian and English. One output line\n"
      "per input record, in input order.\n"
      "\n"
      "INPUT is a file, a directory (every file under it, recursively, in sorted\n"
      "order; names beginning with '.' are skipped; a FIFO, socket or device found\n"
      "there gets an error line and is not opened) or - for standard input (the\n"
      "default; without --format, read as JSON Lines when its first line that is\n"
      "not blank is a JSON object with \"text\", which stderr says once, else as\n"
      "lines). Gzip-compressed input is recognised by its content, whatever its\n"
      "name. A blank line of JSON Lines gets an error line, so that output line N\n"
      "answers input line N.\n"
      "\n"
      "Model:\n"
      "  -m, --model FILE     model file (default: $KUZAT_MODEL, else the default\n"
      "                       model: models/default.kzm beside the build directory,\n"
      "                       or share/kuzat/default.kzm of the installation)\n"
      "      --threshold T    flag a marker when its probability is >= T (0..1;\n"
      "                       default: each marker's threshold stored in the model)\n"
      "      --threshold MARKER=P  the same for one marker, over T and the model's;\n"
      "                       repeat it for others. Example: --threshold 0.9\n"
      "                       --threshold recruitment=0.5 --threshold threat=0.7\n"
      "\n"
      "Input:\n"
      "      --format FMT     %s\n"
      "                       (default: from the file name, see below)\n"
      "      --lines          same as --format lines\n"
      "      --encoding NAME  the input's encoding, converted to UTF-8 by ICU: any\n"
      "                       name ICU knows (windows-1251, koi8-r, cp866,\n"
      "                       iso-8859-5, UTF-16LE, ...). Default: UTF-8, or\n"
      "                       UTF-16/UTF-32 by a byte-order mark; input that is\n"
      "                       not valid UTF-8 is converted from the legacy\n"
      "                       Cyrillic or Latin code page ICU's charset detector\n"
      "                       is confident of, or that the shape of its bytes\n"
      "                       tells (Uzbek, Tajik, Kyrgyz; cp866), and the record\n"
      "                       says so (\"encoding\":\"windows-1251\");\n"
      "                       --encoding UTF-8 turns that off. Example:\n"
      "                       --encoding cp866 dos.txt\n"
      "      --max-chars N    score (or --normalize) at most the first N bytes of\n"
      "                       each document (cut at a character boundary; default\n"
      "                       %zu); a cut is reported in the record's output\n"
      "                       (with --normalize, on stderr), never silent.\n"
      "                       A TSV, JSONL or Whisper record of more than\n"
      "                       4N + 65536 bytes cannot be parsed within that bound\n"
      "                       and becomes an error line\n"
      "  Formats, by file name (any of them may end in .gz), with an example:\n"
      "    text (.txt, anything else)  the whole file is one document, id FILE\n"
      "    lines  every line is a document, blank lines included; id FILE:LINE\n"
      "             Ўзбекистон пойтахти Тошкент\n"
      "    tsv (.tsv)  a header row naming a \"text\" column and optionally \"id\",\n"
      "           \"labels\", \"lang\"; fields split at TAB, no quoting\n"
      "             id<TAB>text\n"
      "             d1<TAB>O'zbekiston g'alaba\n"
      "    jsonl (.jsonl, .ndjson)  one JSON object per line: \"text\", or a\n"
      "           transcript's \"segments\"; optionally \"id\", \"labels\", \"lang\"\n"
      "             {\"id\":\"d1\",\"text\":\"Ҷумҳурии Тоҷикистон\"}\n"
      "             {\"id\":\"v7\",\"segments\":[{\"start\":1.5,\"end\":4,\"text\":\"...\"}]}\n"
      "    fasttext (.ft, .fasttext)  __label__X prefixes, then the text; a line each\n"
      "    srt (.srt)  SubRip subtitles; the file is one transcript\n"
      "             1\n"
      "             00:01:02,500 --> 00:01:05,000\n"
      "             Birodarlar, ...\n"
      "    vtt (.vtt)  WebVTT subtitles; the file is one transcript\n"
      "             WEBVTT\n"
      "\n"
      "             00:01:02.500 --> 00:01:05.000\n"
      "             Бародарон, ...\n"
      "    whisper (.json)  Whisper's JSON output, one transcript:\n"
      "             {\"segments\":[{\"start\":62.5,\"end\":65.0,\"text\":\" ...\"}]}\n"
      "\n",
      formats, (size_t)KUZAT_DEFAULT_MAX_CHARS);
  printf(
      "Known texts:\n"
      "      --known FILE     also match every record against this index of known\n"
      "                       texts (kuzat-train --known; may be repeated), flagged\n"
      "                       or not: \"known\":[{\"id\":...,\"labels\":[...],\n"
      "                       \"similarity\":0.93,\"start\":...,\"end\":...}], best\n"
      "                       first; start and end are byte offsets of the text,\n"
      "                       or a transcript's times; in pretty output a match\n"
      "                       is a reason on its own (KNOWN), and in the HTML\n"
      "                       page a matching document has its part, flagged or\n"
      "                       not; TSV and CSV output carry no matches\n"
      "      --known-threshold P  the least similarity reported (default: the\n"
      "                       threshold stored in each index)\n"
      "\n");
  printf(
      "Transcripts and long texts:\n"
      "      --window N       score a transcript by its worst run of N consecutive\n"
      "                       segments (default %zu) or worst single segment, so an\n"
      "                       hour of small talk does not dilute one minute of\n"
      "                       recruitment, nor four cues one line of it\n"
      "      --window-bytes N plain text longer than N bytes is scored in windows\n"
      "                       of about N bytes overlapping by half (default %zu)\n"
      "\n",
      sp.window, sp.window_bytes);
  printf(
      "Output:\n"
      "      --format-out FMT jsonl (default), tsv, csv (RFC 4180, a header row),\n"
      "                       pretty (one readable line per record, for people),\n"
      "                       html (one self-contained review page of the flagged\n"
      "                       documents, their words highlighted: --format-out html\n"
      "                       folder/ > review.html), or text (with --normalize)\n"
      "      --all-scores     every marker's probability (default: flagged ones),\n"
      "                       and every segment of a transcript\n"
      "      --explain K      the K n-grams that weigh most in each flagged marker's\n"
      "                       score, with where they are in the original text\n"
      "      --normalize      print each record's normalised text instead of scores:\n"
      "                       what the model sees. Needs no model. (--normalise\n"
      "                       too.)\n"
      "      --eval           the input is labelled (a labels column or field):\n"
      "                       print precision, recall, F1, PR-AUC, ROC-AUC and the\n"
      "                       false-positive rate per marker and per language on\n"
      "                       stderr, after the records (language: the \"lang\"\n"
      "                       column or field when given, else the identified one);\n"
      "                       with a propaganda marker in the model, a record\n"
      "                       labelled propaganda alone counts for it only (its\n"
      "                       kind is unknown to the other markers)\n"
      "      --line-buffered  flush after every record (automatic on a pipe)\n"
      "      --buffered       never flush after a record, even on a pipe: fewer,\n"
      "                       larger writes for batch jobs (Spark, Hadoop). Example:\n"
      "                       rdd.pipe('kuzat-classify --buffered --threads 4')\n"
      "      --progress       files and bytes read, records a second and the time\n"
      "                       left on stderr as the run goes (automatic when stderr\n"
      "                       is a terminal, unless -q)\n"
      "      --summary[=json] at the end, on stderr: records read, errors, flagged,\n"
      "                       per language, marker, script and encoding (=json: as\n"
      "                       one JSON object). Example: --summary=json -q dir/\n"
      "      --threads N      score with N threads (default %d); output unchanged\n"
      "  -q, --quiet          no messages about bad records on stderr\n"
      "      --strict         exit 1 when any record was bad\n"
      "  -h, --help           show this help\n"
      "      --version        show the version\n"
      "\n",
      DEFAULT_THREADS);
  printf(
      "A JSON Lines output record:\n"
      "  {\"id\":\"chat.txt:3\",\"flagged\":true,\"score\":0.9731,\n"
      "   \"markers\":{\"propaganda\":0.9731},\"lang\":\"uz-Cyrl\",\"model\":\"<id>\"}\n"
      "A transcript's record adds \"worst\", the window that gave the score, and\n"
      "\"segments\", its flagged segments (all with --all-scores), with times:\n"
      "  \"worst\":{\"start\":\"00:01:02.500\",\"end\":\"00:01:20.000\",\"score\":0.97},\n"
      "  \"segments\":[{\"start\":\"00:01:02.500\",\"end\":\"00:01:05.000\",\"score\":0.95}]\n"
      "A long text scored in windows adds \"windows\" and \"worst\" with character\n"
      "offsets. --explain K adds, per flagged marker, the K words and the K\n"
      "hashed features that weigh most in its score (weights are parts of the\n"
      "decision value; words and bias add up to it):\n"
      "  \"explain\":{\"propaganda\":{\"words\":[{\"word\":\"hijratga\",\"weight\":0.41,\n"
      "   \"count\":1,\"span\":[12,20],\"source\":\"ҳижратга\"}],\"features\":[{\"weight\":\n"
      "   0.12,\"ngrams\":[{\"ngram\":\"<hij\",\"kind\":\"char\",\"count\":1,\"span\":[12,15],\n"
      "   \"source\":\"ҳиж\"}]}]}}\n"
      "span is in characters of the record's text, source the original text,\n"
      "\"at\" the time of its segment in a transcript. The model keeps one weight\n"
      "per hash bucket, not per n-gram: n-grams of this text that share a\n"
      "bucket are listed together (\"collision\":true), and unseen training\n"
      "n-grams may share it too. A cut document adds\n"
      "\"truncated\":{\"scored\":N,\"bytes\":M}.\n"
      "Every line says the document's language and script (Latn, Cyrl, Arab, ...,\n"
      "mixed, none); in JSON Lines a transcript's segments say theirs too.\n"
      "TSV output: id<TAB>flagged<TAB>score<TAB>lang<TAB>script<TAB>marker=probability...\n"
      "CSV output: id,flagged,score,lang,script,encoding,worst_start,worst_end,error,\n"
      "then one column per marker with its probability; CRLF line ends.\n"
      "\n"
      "A record that cannot be read (broken JSON, no \"text\", a bad subtitle\n"
      "timestamp, an unreadable file) still gets its line, {\"id\":...,\"error\":...}\n"
      "(id<TAB>error<TAB>reason in TSV); the reason also goes to stderr.\n"
      "Input that is not text (a program, an image, audio or video, an archive,\n"
      "a PDF, bytes full of NULs; gzipped or not) is never scored: it gets one\n"
      "line, {\"id\":\"clip.mp4\",\"error\":\"clip.mp4: not text: looks like MP4 video\"}.\n"
      "Numbers are printed the same in every locale; the same model and input\n"
      "always give the same bytes, so kuzat-classify runs as a filter under GNU\n"
      "parallel --pipe -k, Hadoop Streaming or Spark's RDD.pipe.\n"
      "\n"
      "Languages reported: %s.\n"
      "\n"
      "Exit status: 0 every record got its line; 1 some records were bad and\n"
      "--strict was given; 2 usage error, no usable model, an input that could\n"
      "not be opened or read, or a write error.\n",
      langs);
}

/* ---- options ---- */

enum { OPT_NORMALIZE = 256, OPT_FORMAT, OPT_LINES, OPT_FORMAT_OUT, OPT_LINE_BUFFERED,
       OPT_STRICT, OPT_VERSION, OPT_THRESHOLD, OPT_ALL, OPT_EXPLAIN, OPT_EVAL, OPT_THREADS,
       OPT_WINDOW, OPT_WINDOW_BYTES, OPT_MAX_CHARS, OPT_ENCODING, OPT_PROGRESS, OPT_SUMMARY,
       OPT_BUFFERED, OPT_KNOWN, OPT_KNOWN_THRESHOLD };

static int usage_error(const char *what, const char *arg, const char *hint) {
  fprintf(stderr, "kuzat-classify: %s '%s' (%s)\n", what, arg, hint);
  fprintf(stderr, "Try 'kuzat-classify --help' for more information.\n");
  return 2;
}

static int parse_size(const char *s, size_t lo, size_t hi, size_t *out) {
  char *end;
  errno = 0;
  if (*s == '-' || *s == '+') return -1;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi) return -1;
  *out = (size_t)v;
  return 0;
}

/* --encoding's NAME, tried on a reader of /dev/null (the library's
 * converters decide what a name is). 0, or 2 after a message. */
static int check_encoding(const char *name) {
  kuzat_reader *r;
  kuzat_error err;
  int rc = kuzat_reader_open("/dev/null", KUZAT_FORMAT_TEXT, NULL, NULL, &r, &err);
  if (!rc) rc = kuzat_reader_set_encoding(r, name, &err);
  kuzat_reader_free(r);
  if (rc == KUZAT_ENOTSUP)
    return usage_error("unknown --encoding", name,
                       "ICU has no converter by that name; e.g. windows-1251, koi8-r, cp866, "
                       "iso-8859-5, UTF-16LE");
  if (rc) fprintf(stderr, "kuzat-classify: %s\n", err.msg);
  return rc ? 2 : 0;
}

static int parse(int argc, char **argv, opts *o) {
  static const struct option longopts[] = {
      {"normalize", no_argument, NULL, OPT_NORMALIZE},
      {"normalise", no_argument, NULL, OPT_NORMALIZE},
      {"format", required_argument, NULL, OPT_FORMAT},
      {"lines", no_argument, NULL, OPT_LINES},
      {"format-out", required_argument, NULL, OPT_FORMAT_OUT},
      {"line-buffered", no_argument, NULL, OPT_LINE_BUFFERED},
      {"buffered", no_argument, NULL, OPT_BUFFERED},
      {"strict", no_argument, NULL, OPT_STRICT},
      {"threshold", required_argument, NULL, OPT_THRESHOLD},
      {"all-scores", no_argument, NULL, OPT_ALL},
      {"explain", required_argument, NULL, OPT_EXPLAIN},
      {"eval", no_argument, NULL, OPT_EVAL},
      {"threads", required_argument, NULL, OPT_THREADS},
      {"window", required_argument, NULL, OPT_WINDOW},
      {"window-bytes", required_argument, NULL, OPT_WINDOW_BYTES},
      {"max-chars", required_argument, NULL, OPT_MAX_CHARS},
      {"encoding", required_argument, NULL, OPT_ENCODING},
      {"progress", no_argument, NULL, OPT_PROGRESS},
      {"summary", optional_argument, NULL, OPT_SUMMARY},
      {"known", required_argument, NULL, OPT_KNOWN},
      {"known-threshold", required_argument, NULL, OPT_KNOWN_THRESHOLD},
      {"quiet", no_argument, NULL, 'q'},
      {"model", required_argument, NULL, 'm'},
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, OPT_VERSION},
      {NULL, 0, NULL, 0}};
  int c;
  size_t v;
  char *end;
  while ((c = getopt_long(argc, argv, "qm:h", longopts, NULL)) != -1) {
    switch (c) {
    case OPT_NORMALIZE: o->normalize = 1; break;
    case OPT_FORMAT:
      o->format = kuzat_format_from_name(optarg);
      if (o->format < 0) {
        char hint[256] = "expected ";
        format_list(hint + strlen(hint), sizeof hint - strlen(hint));
        return usage_error("unknown input format", optarg, hint);
      }
      break;
    case OPT_LINES: o->format = KUZAT_FORMAT_LINES; break;
    case OPT_FORMAT_OUT:
      o->out_set = 1;
      if (strcmp(optarg, "jsonl") == 0 || strcmp(optarg, "json") == 0) o->out = OUT_JSONL;
      else if (strcmp(optarg, "tsv") == 0) o->out = OUT_TSV;
      else if (strcmp(optarg, "text") == 0) o->out = OUT_TEXT;
      else if (strcmp(optarg, "pretty") == 0) o->out = OUT_PRETTY;
      else if (strcmp(optarg, "csv") == 0) o->out = OUT_CSV;
      else if (strcmp(optarg, "html") == 0) o->out = OUT_HTML;
      else return usage_error("unknown output format", optarg,
                              "expected jsonl, tsv, csv, pretty, html or text");
      break;
    case OPT_PROGRESS: o->progress = 1; break;
    case OPT_SUMMARY:
      if (!optarg) o->summary = SUMMARY_TEXT;
      else if (strcmp(optarg, "json") == 0) o->summary = SUMMARY_JSON;
      else return usage_error("bad --summary", optarg, "expected --summary or --summary=json");
      break;
    case OPT_LINE_BUFFERED: o->line_buffered = 1; break;
    case OPT_BUFFERED: o->buffered = 1; break;
    case OPT_STRICT: o->strict = 1; break;
    case OPT_THRESHOLD: {
      const char *eq = strchr(optarg, '='), *p = eq ? eq + 1 : optarg;
      errno = 0;
      double t = strtod(p, &end);
      if (eq == optarg || errno || end == p || *end || !(t >= 0 && t <= 1))
        return usage_error("bad --threshold", optarg,
                           "expected a probability from 0 to 1, or MARKER=probability");
      if (eq) o->marker_thresholds[o->n_marker_thresholds++] = optarg;
      else o->threshold = t;
      break;
    }
    case OPT_ALL: o->all_scores = 1; break;
    case OPT_EXPLAIN:
      if (parse_size(optarg, 1, 1000, &o->explain))
        return usage_error("bad --explain", optarg, "expected a count from 1 to 1000");
      break;
    case OPT_EVAL: o->eval = 1; break;
    case OPT_THREADS:
      if (parse_size(optarg, 1, 256, &v))
        return usage_error("bad --threads", optarg, "expected a count from 1 to 256");
      o->threads = (int)v;
      break;
    case OPT_WINDOW:
      if (parse_size(optarg, 1, 100000, &o->window))
        return usage_error("bad --window", optarg, "expected a number of segments from 1");
      break;
    case OPT_WINDOW_BYTES:
      if (parse_size(optarg, 64, (size_t)1 << 40, &o->window_bytes))
        return usage_error("bad --window-bytes", optarg, "expected a number of bytes, at least 64");
      break;
    case OPT_MAX_CHARS:
      if (parse_size(optarg, 1, (size_t)1 << 40, &o->max_chars))
        return usage_error("bad --max-chars", optarg, "expected a number of bytes, at least 1");
      break;
    case OPT_KNOWN:
    case OPT_KNOWN_THRESHOLD:
      if (known_option(o, c == OPT_KNOWN ? KNOWN_OPT_INDEX : KNOWN_OPT_THRESHOLD, optarg)) return 2;
      break;
    case OPT_ENCODING:
      if (check_encoding(optarg)) return 2;
      o->encoding = optarg;
      break;
    case 'q': o->quiet = 1; break;
    case 'm': o->model = optarg; break;
    case 'h':
      help();
      return 0;
    case OPT_VERSION:
      printf("kuzat-classify %s (normaliser %d, model format %d)\n", kuzat_version(),
             KUZAT_NORMALISER_VERSION, KUZAT_MODEL_FORMAT);
      return 0;
    default:
      fprintf(stderr, "Try 'kuzat-classify --help' for more information.\n");
      return 2;
    }
  }
  if (o->buffered && o->line_buffered)
    return usage_error("--buffered", "--line-buffered", "choose one: they say the opposite");
  if (!o->out_set) o->out = o->normalize ? OUT_TEXT : OUT_JSONL;
  if (!o->normalize && o->out == OUT_TEXT)
    return usage_error("--format-out", "text", "text output is for --normalize; use jsonl, tsv or pretty");
  if (o->normalize && (o->out == OUT_PRETTY || o->out == OUT_CSV || o->out == OUT_HTML))
    return usage_error("--format-out", o->out == OUT_PRETTY ? "pretty" : o->out == OUT_CSV ? "csv" : "html",
                       "this output is for scores; use text, jsonl or tsv with --normalize");
  return -1;
}

/* Each marker's threshold: the model's, else --threshold T, else
 * --threshold MARKER=P (the last for a marker wins), into a new array
 * *out. Returns 0, or 2 after a message (an unknown marker: the model's
 * are listed). */
static int marker_thresholds(const opts *o, const kuzat_model *m, double **out) {
  size_t nm = kuzat_model_markers(m);
  double *thr = malloc((nm + 1) * sizeof *thr);
  if (!thr) {
    fprintf(stderr, "kuzat-classify: out of memory\n");
    return 2;
  }
  for (size_t i = 0; i < nm; i++) thr[i] = o->threshold >= 0 ? o->threshold : kuzat_model_threshold(m, i);
  for (size_t k = 0; k < o->n_marker_thresholds; k++) {
    const char *arg = o->marker_thresholds[k], *eq = strchr(arg, '=');
    size_t i = 0, len = (size_t)(eq - arg);
    while (i < nm && !(strlen(kuzat_model_marker(m, i)) == len &&
                       memcmp(kuzat_model_marker(m, i), arg, len) == 0))
      i++;
    if (i == nm) {
      fprintf(stderr, "kuzat-classify: unknown marker '%.*s' in --threshold %s (the model's markers:",
              (int)len, arg, arg);
      for (i = 0; i < nm; i++) fprintf(stderr, "%s %s", i ? "," : "", kuzat_model_marker(m, i));
      fprintf(stderr, ")\n");
      free(thr);
      return 2;
    }
    thr[i] = strtod(eq + 1, NULL);
  }
  *out = thr;
  return 0;
}

/* The default model: beside the build directory, or in the installation. */
static char *default_model(void) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return NULL;
  exe[n] = '\0';
  char *slash = strrchr(exe, '/');
  if (!slash) return NULL;
  *slash = '\0';
  static const char *const rel[] = {"/../models/default.kzm", "/../share/kuzat/default.kzm"};
  for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
    size_t len = strlen(exe) + strlen(rel[i]) + 1;
    char *p = malloc(len);
    if (!p) return NULL;
    snprintf(p, len, "%s%s", exe, rel[i]);
    if (access(p, R_OK) == 0) return p;
    free(p);
  }
  return NULL;
}

/* The model of -m, $KUZAT_MODEL or the default one. Returns 0 or 2 (said). */
static int load_model(const opts *o, kuzat_model **model) {
  char *found = NULL;
  const char *path = o->model;
  if (!path) path = getenv("KUZAT_MODEL");
  if (path && !*path) path = NULL;
  if (!path) path = found = default_model();
  if (!path) {
    fprintf(stderr, "kuzat-classify: no model: give one with -m FILE or $KUZAT_MODEL "
                    "(the default model, models/default.kzm, is made by 'make model')\n");
    return 2;
  }
  kuzat_error err;
  int rc = kuzat_model_load_file(path, NULL, model, &err);
  if (rc) fprintf(stderr, "kuzat-classify: %s\n", err.msg);
  free(found);
  return rc ? 2 : 0;
}

/* stdout's buffer when lines are not flushed one by one: 64 KiB writes. */
static char out_buffer[1 << 16];

int main(int argc, char **argv) {
  opts o = {0};
  o.threshold = -1;
  o.threads = DEFAULT_THREADS;
  kuzat_score_params sp; /* the library's defaults, so that they exist once */
  kuzat_score_params_default(&sp);
  o.window = sp.window;
  o.window_bytes = sp.window_bytes;
  o.max_chars = KUZAT_DEFAULT_MAX_CHARS;
  const char **marker_thr = calloc((size_t)argc + 1, sizeof *marker_thr);
  if (!marker_thr) return 2;
  o.marker_thresholds = marker_thr;
  run R; /* here, so that known_load() can fill R.c */
  memset(&R, 0, sizeof R);
  R.c.o = &o;
  int rc = parse(argc, argv, &o);
  if (rc >= 0 || (rc = known_load(&R.c)) != 0) {
    known_unload(&R.c);
    free(o.known);
    free(marker_thr);
    return rc;
  }
  kuzat_model *model = NULL;
  double *thr = NULL;
  if (!o.normalize) {
    if (load_model(&o, &model) || marker_thresholds(&o, model, &thr)) {
      kuzat_model_free(model);
      known_unload(&R.c);
      free(o.known);
      free(marker_thr);
      return 2;
    }
    R.c.model = model;
    R.c.model_id = kuzat_model_id(model);
    R.c.nm = kuzat_model_markers(model);
    R.c.thr = thr;
    while (R.c.decision < R.c.nm &&
           strcmp(kuzat_model_marker(model, R.c.decision), KUZAT_DECISION_MARKER) != 0)
      R.c.decision++;
    R.c.sp = sp;
    R.c.sp.window = o.window;
    R.c.sp.window_bytes = o.window_bytes;
    /* the page highlights the words behind each flagged document */
    R.c.sp.explain = o.explain ? o.explain : o.out == OUT_HTML ? HTML_EXPLAIN : 0;
    R.c.sp.threshold = o.threshold;
    R.c.keep_probs = o.eval || o.summary || o.out == OUT_HTML;
    R.ev.nm = R.c.nm;
  }
  if (!o.quiet && isatty(2)) o.progress = 1;
  struct stat sb;
  if (o.line_buffered || (!o.buffered && fstat(1, &sb) == 0 && S_ISFIFO(sb.st_mode)))
    R.line_buffered = 1;
  else setvbuf(stdout, out_buffer, _IOFBF, sizeof out_buffer); /* glibc ignores a size without a buffer */
  if (o.out == OUT_HTML) R.line_buffered = 0; /* nothing is written before the end */

  rc = report_start(&R, argc - optind, argv + optind);
  if (!rc && o.out == OUT_CSV) {
    buf h = {NULL, 0, 0, 0};
    csv_header(&R.c, &h);
    if (h.oom || fwrite(h.p, 1, h.len, stdout) != h.len) R.write_failed = 1;
    free(h.p);
  }
  if (!rc) rc = run_all(&R, argc - optind, argv + optind);
  if (!rc && report_finish(&R)) rc = 2;
  if (fflush(stdout) != 0 || ferror(stdout) || R.write_failed) {
    if (errno != EPIPE) fprintf(stderr, "kuzat-classify: write error: %s\n", strerror(errno));
    rc = 2;
  }
  report_free(&R);
  kuzat_model_free(model);
  free(thr);
  free(marker_thr);
  known_unload(&R.c);
  free(o.known);
  if (rc) return rc;
  if (R.io_failed) return 2;
  return (o.strict && R.bad) ? 1 : 0;
}
