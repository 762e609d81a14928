/*
 * kuzat-classify -- score documents and transcripts (see --help).
 *
 * Option parsing and printing only; the work is done by libkuzat. This
 * version does what needs no model: --normalize, which prints the text
 * each record becomes before features are taken from it.
 */
#include "kuzat.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "Usage: kuzat-classify [OPTION]... [INPUT]...\n"
    "Score documents and transcripts for militant-propaganda markers in Uzbek\n"
    "(Latin and Cyrillic), Tajik, Kyrgyz, Russian and English.\n"
    "\n"
    "With no INPUT, or when INPUT is -, read standard input (one record per\n"
    "line). Gzip-compressed input is recognised by its content.\n"
    "\n"
    "Modes:\n"
    "      --normalize      print each record's normalised text: what the model\n"
    "                       sees. One output line per input record. Needs no model.\n"
    "                       (Scoring with a model arrives in a later version.)\n"
    "\n"
    "Input:\n"
    "      --format FMT     text, lines, tsv or jsonl (default: from the file name:\n"
    "                       .tsv, .jsonl/.ndjson, otherwise text; stdin: lines)\n"
    "      --lines          same as --format lines\n"
    "  Formats, with an example record:\n"
    "    text   the whole file is one document; its id is the file name\n"
    "    lines  every line is a document, blank lines included; id FILE:LINE\n"
    "             Ўзбекистон пойтахти Тошкент\n"
    "    tsv    a header row naming a \"text\" column and optionally \"id\";\n"
    "           fields split at TAB, no quoting\n"
    "             id<TAB>text\n"
    "             d1<TAB>O'zbekiston g'alaba\n"
    "    jsonl  one JSON object per line with \"text\" and optionally \"id\"\n"
    "             {\"id\":\"d1\",\"text\":\"Ҷумҳурии Тоҷикистон\"}\n"
    "\n"
    "Output:\n"
    "      --format-out FMT text (default with --normalize): the normalised text;\n"
    "                       jsonl: {\"id\":...,\"lang\":...,\"text\":...}\n"
    "      --line-buffered  flush after every record (automatic on a pipe)\n"
    "  -q, --quiet          no messages about bad records on stderr\n"
    "      --strict         exit 1 when any record was bad\n"
    "  -m, --model FILE     model file (default: $KUZAT_MODEL)\n"
    "  -h, --help           show this help\n"
    "      --version        show the version\n"
    "\n"
    "A record that cannot be read (broken JSON, no \"text\", too few TSV columns)\n"
    "still gets its output line: empty in text output, {\"id\":...,\"error\":...}\n"
    "in jsonl output; the reason goes to stderr as FILE:LINE: reason.\n"
    "\n"
    "Languages reported: uz-Latn uz-Cyrl tg ky ru en ar fa other.\n"
    "\n"
    "Exit status: 0 every record got its line; 1 some records were bad and\n"
    "--strict was given; 2 usage error, unreadable input or write error.\n";

typedef struct opts {
  int normalize, format, json_out, line_buffered, quiet, strict;
  const char *model;
} opts;

typedef struct state {
  kuzat_normaliser *norm;
  long bad, failed_inputs;
} state;

enum { OPT_NORMALIZE = 256, OPT_FORMAT, OPT_LINES, OPT_FORMAT_OUT,
       OPT_LINE_BUFFERED, OPT_STRICT, OPT_VERSION };

static int usage_error(const char *what, const char *arg, const char *hint) {
  fprintf(stderr, "kuzat-classify: %s '%s' (%s)", what, arg, hint);
  fprintf(stderr, "\nTry 'kuzat-classify --help' for more information.\n");
  return 2;
}

/* Write s[0..n) as a JSON string: valid UTF-8 out whatever comes in
 * (ill-formed bytes become U+FFFD), control characters escaped. */
static void json_string(FILE *f, const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  putc('"', f);
  for (size_t i = 0; i < n;) {
    unsigned char b = p[i];
    if (b < 0x80) {
      if (b == '"' || b == '\\') fprintf(f, "\\%c", b);
      else if (b == '\n') fputs("\\n", f);
      else if (b == '\t') fputs("\\t", f);
      else if (b < 0x20 || b == 0x7F) fprintf(f, "\\u%04x", b);
      else putc(b, f);
      i++;
      continue;
    }
    size_t need = b >= 0xF0 && b <= 0xF4 ? 3 : b >= 0xE0 ? 2 : b >= 0xC2 ? 1 : 0;
    if (b > 0xF4) need = 0;
    size_t k = 1;
    while (k <= need && i + k < n && (p[i + k] & 0xC0) == 0x80) k++;
    int ok = need && k == need + 1;
    if (ok && need == 2 && ((b == 0xE0 && p[i + 1] < 0xA0) || (b == 0xED && p[i + 1] > 0x9F))) ok = 0;
    if (ok && need == 3 && ((b == 0xF0 && p[i + 1] < 0x90) || (b == 0xF4 && p[i + 1] > 0x8F))) ok = 0;
    if (ok) {
      fwrite(p + i, 1, k, f);
      i += k;
    } else {
      fputs("\xEF\xBF\xBD", f);
      i += 1;
    }
  }
  putc('"', f);
}

static void bad_line(const opts *o, state *st, const char *id, size_t id_len,
                     const char *msg) {
  st->bad++;
  if (!o->quiet) fprintf(stderr, "kuzat-classify: %s\n", msg);
  if (o->json_out) {
    fputs("{\"id\":", stdout);
    json_string(stdout, id, id_len);
    fputs(",\"error\":", stdout);
    json_string(stdout, msg, strlen(msg));
    fputs("}\n", stdout);
  } else {
    putchar('\n');
  }
}

static int normalise_record(const opts *o, state *st, const kuzat_record *rec) {
  kuzat_text t;
  kuzat_error err;
  if (kuzat_normalise(st->norm, rec->text, rec->text_len, 0, &t, &err)) {
    char msg[512];
    snprintf(msg, sizeof msg, "%.*s: %s", (int)rec->id_len, rec->id, err.msg);
    bad_line(o, st, rec->id, rec->id_len, msg);
    return 0;
  }
  if (o->json_out) {
    fputs("{\"id\":", stdout);
    json_string(stdout, rec->id, rec->id_len);
    printf(",\"lang\":\"%s\",\"text\":", kuzat_lang_name(t.lang));
    json_string(stdout, t.utf8, t.len);
    fputs("}\n", stdout);
  } else {
    fwrite(t.utf8, 1, t.len, stdout);
    putchar('\n');
  }
  return 0;
}

static void run_input(const opts *o, state *st, const char *path) {
  kuzat_reader *r;
  kuzat_error err;
  if (kuzat_reader_open(path, o->format, NULL, NULL, &r, &err)) {
    st->failed_inputs++;
    bad_line(o, st, path, strlen(path), err.msg);
    return;
  }
  kuzat_record rec;
  int rc;
  while ((rc = kuzat_reader_next(r, &rec, &err)) == 1) {
    if (rec.error)
      bad_line(o, st, rec.id, rec.id_len, rec.error);
    else
      normalise_record(o, st, &rec);
    if (o->line_buffered) fflush(stdout);
  }
  if (rc < 0) {
    st->failed_inputs++;
    bad_line(o, st, path, strlen(path), err.msg);
  }
  kuzat_reader_free(r);
}

static int parse(int argc, char **argv, opts *o) {
  static const struct option longopts[] = {
      {"normalize", no_argument, NULL, OPT_NORMALIZE},
      {"normalise", no_argument, NULL, OPT_NORMALIZE},
      {"format", required_argument, NULL, OPT_FORMAT},
      {"lines", no_argument, NULL, OPT_LINES},
      {"format-out", required_argument, NULL, OPT_FORMAT_OUT},
      {"line-buffered", no_argument, NULL, OPT_LINE_BUFFERED},
      {"strict", no_argument, NULL, OPT_STRICT},
      {"quiet", no_argument, NULL, 'q'},
      {"model", required_argument, NULL, 'm'},
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, OPT_VERSION},
      {NULL, 0, NULL, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "qm:h", longopts, NULL)) != -1) {
    switch (c) {
    case OPT_NORMALIZE: o->normalize = 1; break;
    case OPT_FORMAT:
      o->format = kuzat_format_from_name(optarg);
      if (o->format < 0)
        return usage_error("unknown input format", optarg, "expected text, lines, tsv or jsonl");
      break;
    case OPT_LINES: o->format = KUZAT_FORMAT_LINES; break;
    case OPT_FORMAT_OUT:
      if (strcmp(optarg, "jsonl") == 0 || strcmp(optarg, "json") == 0) o->json_out = 1;
      else if (strcmp(optarg, "text") == 0) o->json_out = 0;
      else return usage_error("unknown output format", optarg, "expected text or jsonl");
      break;
    case OPT_LINE_BUFFERED: o->line_buffered = 1; break;
    case OPT_STRICT: o->strict = 1; break;
    case 'q': o->quiet = 1; break;
    case 'm': o->model = optarg; break;
    case 'h': fputs(usage, stdout); return 0;
    case OPT_VERSION:
      printf("kuzat-classify %s (normaliser %d)\n", kuzat_version(), KUZAT_NORMALISER_VERSION);
      return 0;
    default:
      fprintf(stderr, "Try 'kuzat-classify --help' for more information.\n");
      return 2;
    }
  }
  return -1;
}

int main(int argc, char **argv) {
  opts o = {0};
  int rc = parse(argc, argv, &o);
  if (rc >= 0) return rc;
  if (!o.normalize) {
    fprintf(stderr, "kuzat-classify: scoring with a model is not in this version yet; "
                    "--normalize works without one.\n"
                    "Try 'kuzat-classify --help' for more information.\n");
    return 2;
  }
  struct stat sb;
  if (o.line_buffered || (fstat(1, &sb) == 0 && S_ISFIFO(sb.st_mode)))
    o.line_buffered = 1;
  else
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);

  state st = {0};
  kuzat_error err;
  if (kuzat_normaliser_new(NULL, &st.norm, &err)) {
    fprintf(stderr, "kuzat-classify: %s\n", err.msg);
    return 2;
  }
  if (optind == argc) run_input(&o, &st, "-");
  for (int i = optind; i < argc; i++) run_input(&o, &st, argv[i]);
  kuzat_normaliser_free(st.norm);

  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "kuzat-classify: write error: %s\n", strerror(errno));
    return 2;
  }
  if (st.failed_inputs) return 2;
  return (o.strict && st.bad) ? 1 : 0;
}
