/*
 * kuzat-classify -- score documents and transcripts (see --help).
 *
 * Option parsing, input walking and printing; the scoring is libkuzat's
 * kuzat_score(). Records flow in input order through a ring of slots: one
 * thread reads records into free slots, N workers score them, and the main
 * thread writes each slot's line as soon as it and every slot before it are
 * done. So output order never depends on the number of threads, and on a
 * pipe a record's line goes out as soon as it is scored (nothing waits for
 * a batch to fill). With one thread there is no ring: read, score, write.
 */
#include "kuzat.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "Usage: kuzat-classify [OPTION]... [INPUT]...\n"
    "Score documents and transcripts for militant-propaganda markers in Uzbek\n"
    "(Latin and Cyrillic), Tajik, Kyrgyz, Russian and English. One output line\n"
    "per input record, in input order.\n"
    "\n"
    "INPUT is a file, a directory (every file under it, recursively, in sorted\n"
    "order; names beginning with '.' are skipped; a FIFO, socket or device found\n"
    "there gets an error line and is not opened) or - for standard input (the\n"
    "default; read as lines unless --format says otherwise). Gzip-compressed\n"
    "input is recognised by its content, whatever its name.\n"
    "\n"
    "Model:\n"
    "  -m, --model FILE     model file (default: $KUZAT_MODEL, else the default\n"
    "                       model: models/default.kzm beside the build directory,\n"
    "                       or share/kuzat/default.kzm of the installation)\n"
    "      --threshold T    flag a marker when its probability is >= T (0..1;\n"
    "                       default: each marker's threshold stored in the model)\n"
    "\n"
    "Input:\n"
    "      --format FMT     text, lines, tsv, jsonl, fasttext, srt, vtt or whisper\n"
    "                       (default: from the file name, see below)\n"
    "      --lines          same as --format lines\n"
    "      --max-chars N    score (or --normalize) at most the first N bytes of\n"
    "                       each document (cut at a character boundary; default\n"
    "                       1000000); a cut is reported in the record's output\n"
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
    "    fasttext (.ft)  __label__X prefixes, then the text; one per line\n"
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
    "\n"
    ;
static const char usage2[] =
    "Transcripts and long texts:\n"
    "      --window N       score a transcript by its worst run of N consecutive\n"
    "                       segments (default 5) or worst single segment, so an\n"
    "                       hour of small talk does not dilute one minute of\n"
    "                       recruitment, nor four cues one line of it\n"
    "      --window-bytes N plain text longer than N bytes is scored in windows\n"
    "                       of about N bytes overlapping by half (default 4096)\n"
    "\n"
    ;
static const char usage3[] =
    "Output:\n"
    "      --format-out FMT jsonl (default), tsv, pretty (one readable line per\n"
    "                       record, for people), or text (with --normalize)\n"
    "      --all-scores     every marker's probability (default: flagged ones),\n"
    "                       and every segment of a transcript\n"
    "      --explain K      the K n-grams that weigh most in each flagged marker's\n"
    "                       score, with where they are in the original text\n"
    "      --normalize      print each record's normalised text instead of scores:\n"
    "                       what the model sees. Needs no model.\n"
    "      --eval           the input is labelled (a labels column or field):\n"
    "                       print precision, recall, F1, PR-AUC, ROC-AUC and the\n"
    "                       false-positive rate per marker and per language on\n"
    "                       stderr, after the records (language: the \"lang\"\n"
    "                       column or field when given, else the identified one);\n"
    "                       with a propaganda marker in the model, a record\n"
    "                       labelled propaganda alone counts for it only (its\n"
    "                       kind is unknown to the other markers)\n"
    "      --line-buffered  flush after every record (automatic on a pipe)\n"
    "      --threads N      score with N threads (default 1); output unchanged\n"
    "  -q, --quiet          no messages about bad records on stderr\n"
    "      --strict         exit 1 when any record was bad\n"
    "  -h, --help           show this help\n"
    "      --version        show the version\n"
    "\n"
    ;
static const char usage4[] =
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
    "TSV output: id<TAB>flagged<TAB>score<TAB>marker=probability...\n"
    "\n"
    "A record that cannot be read (broken JSON, no \"text\", a bad subtitle\n"
    "timestamp, an unreadable file) still gets its line, {\"id\":...,\"error\":...}\n"
    "(id<TAB>error<TAB>reason in TSV); the reason also goes to stderr.\n"
    "Numbers are printed the same in every locale; the same model and input\n"
    "always give the same bytes, so kuzat-classify runs as a filter under GNU\n"
    "parallel --pipe -k, Hadoop Streaming or Spark's RDD.pipe.\n"
    "\n"
    "Languages reported: uz-Latn uz-Cyrl tg ky ru en ar fa other.\n"
    "\n"
    "Exit status: 0 every record got its line; 1 some records were bad and\n"
    "--strict was given; 2 usage error, no usable model, an input that could\n"
    "not be opened or read, or a write error.\n";

enum { OUT_JSONL, OUT_TSV, OUT_TEXT, OUT_PRETTY };

typedef struct opts {
  int normalize, format, out, out_set, line_buffered, quiet, strict, all_scores, eval;
  int threads;
  size_t explain, window, window_bytes, max_chars;
  double threshold;
  const char *model;
} opts;

/* A growing output buffer. */
typedef struct buf {
  char *p;
  size_t len, cap;
  int oom;
} buf;

static void buf_grow(buf *b, size_t more) {
  if (b->len + more + 1 <= b->cap || b->oom) return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + more + 1) cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) {
    b->oom = 1;
    return;
  }
  b->p = p;
  b->cap = cap;
}

static void buf_put(buf *b, const char *s, size_t n) {
  buf_grow(b, n);
  if (b->oom) return;
  memcpy(b->p + b->len, s, n);
  b->len += n;
}

static void buf_puts(buf *b, const char *s) { buf_put(b, s, strlen(s)); }

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void buf_printf(buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char tmp[256];
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof tmp) {
    buf_put(b, tmp, (size_t)n);
    return;
  }
  buf_grow(b, (size_t)n);
  if (b->oom) return;
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

/* s[0..n) as a JSON string: valid UTF-8 out whatever comes in (ill-formed
 * bytes become U+FFFD), control characters escaped. */
static void json_string(buf *b, const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  buf_put(b, "\"", 1);
  for (size_t i = 0; i < n;) {
    unsigned char c = p[i];
    if (c < 0x80) {
      if (c == '"' || c == '\\') {
        char e[2] = {'\\', (char)c};
        buf_put(b, e, 2);
      } else if (c == '\n') buf_puts(b, "\\n");
      else if (c == '\t') buf_puts(b, "\\t");
      else if (c < 0x20 || c == 0x7F) buf_printf(b, "\\u%04x", c);
      else buf_put(b, (const char *)p + i, 1);
      i++;
      continue;
    }
    size_t need = c >= 0xF0 && c <= 0xF4 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 ? 1 : 0;
    if (c > 0xF4) need = 0;
    size_t k = 1;
    while (k <= need && i + k < n && (p[i + k] & 0xC0) == 0x80) k++;
    int ok = need && k == need + 1;
    if (ok && need == 2 && ((c == 0xE0 && p[i + 1] < 0xA0) || (c == 0xED && p[i + 1] > 0x9F))) ok = 0;
    if (ok && need == 3 && ((c == 0xF0 && p[i + 1] < 0x90) || (c == 0xF4 && p[i + 1] > 0x8F))) ok = 0;
    if (ok) {
      buf_put(b, (const char *)p + i, k);
      i += k;
    } else {
      buf_puts(b, "\xEF\xBF\xBD");
      i += 1;
    }
  }
  buf_put(b, "\"", 1);
}

/* A TSV field: TAB, CR and LF would break the row; they become spaces. */
static void tsv_field(buf *b, const char *s, size_t n) {
  size_t start = b->len;
  buf_put(b, s, n);
  if (b->oom) return;
  for (size_t i = start; i < b->len; i++)
    if (b->p[i] == '\t' || b->p[i] == '\n' || b->p[i] == '\r') b->p[i] = ' ';
}

/* Probabilities with four decimals; -0 never appears. "%.4f" as printf
 * writes it but without printf (the hottest part of the output): p * 10000 is
 * within half an ulp (< 1e-12) of the exact product, so rounding it gives
 * printf's digits unless it lies next to a tie; those, NaN and anything above
 * 1 go to printf. */
static void put_prob(buf *b, double p) {
  if (p < 0) p = 0.0;
  if (p <= 1.0 && !signbit(p)) {
    double x = p * 10000.0, fl = floor(x), frac = x - fl;
    if (fabs(frac - 0.5) > 1e-6) {
      int k = (int)fl + (frac > 0.5);
      char s[6] = {(char)('0' + k / 10000), '.', (char)('0' + k / 1000 % 10),
                   (char)('0' + k / 100 % 10), (char)('0' + k / 10 % 10), (char)('0' + k % 10)};
      buf_put(b, s, sizeof s);
      return;
    }
  }
  buf_printf(b, "%.4f", p);
}

static void put_clock(buf *b, double sec) {
  if (!(sec >= 0)) sec = 0;
  long long ms = llround(sec * 1000);
  buf_printf(b, "%02lld:%02lld:%02lld.%03lld", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60,
             ms % 1000);
}

static void put_time(buf *b, double sec) {
  buf_puts(b, "\"");
  put_clock(b, sec);
  buf_puts(b, "\"");
}

/* Characters (code points) in s[0..n): the offsets explanations give. */
static size_t chars(const char *s, size_t n) {
  size_t c = 0;
  for (size_t i = 0; i < n; i++) c += ((unsigned char)s[i] & 0xC0) != 0x80;
  return c;
}

static const char *kind_name(int ns) {
  switch (ns) {
  case KUZAT_NS_WORD: return "word";
  case KUZAT_NS_BIGRAM: return "bigram";
  case KUZAT_NS_CHAR: return "char";
  case KUZAT_NS_CLASS: return "class";
  case 0x13: return "trigram";
  case 0x14: return "4-gram";
  default: return "ngram";
  }
}

/* ---- one record's job ---- */

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
  int state;
} job;

typedef struct ctx {
  const opts *o;
  const kuzat_model *model;
  const char *model_id;
  size_t nm;
  kuzat_score_params sp;
} ctx;

static void job_error(job *j, const char *id, size_t id_len, const char *msg, int out) {
  j->bad = 1;
  free(j->msg);
  j->msg = strdup(msg);
  j->out.len = 0;
  if (out == OUT_JSONL) {
    buf_puts(&j->out, "{\"id\":");
    json_string(&j->out, id, id_len);
    buf_puts(&j->out, ",\"error\":");
    json_string(&j->out, msg, strlen(msg));
    buf_puts(&j->out, "}\n");
  } else if (out == OUT_TSV || out == OUT_PRETTY) {
    tsv_field(&j->out, id, id_len);
    buf_puts(&j->out, out == OUT_TSV ? "\terror\t" : "  ERROR  ");
    tsv_field(&j->out, msg, strlen(msg));
    buf_puts(&j->out, "\n");
  } else {
    buf_puts(&j->out, "\n");
  }
}

static void format_normalised(const ctx *c, job *j, kuzat_normaliser *n) {
  kuzat_text t;
  kuzat_error err;
  if (kuzat_normalise(n, j->text, j->text_len, 0, &t, &err)) {
    char msg[512];
    snprintf(msg, sizeof msg, "%.*s: %s", (int)(j->id_len > 200 ? 200 : j->id_len), j->id, err.msg);
    job_error(j, j->id, j->id_len, msg, c->o->out);
    return;
  }
  j->lang_id = t.lang;
  int cut = j->full_len > j->text_len;
  if (cut) { /* said on stderr whatever the output format */
    char msg[512];
    snprintf(msg, sizeof msg, "%.*s: only the first %zu of its %zu bytes normalised (--max-chars)",
             (int)(j->id_len > 200 ? 200 : j->id_len), j->id, j->text_len, j->full_len);
    j->msg = strdup(msg);
  }
  if (c->o->out == OUT_JSONL) {
    buf_puts(&j->out, "{\"id\":");
    json_string(&j->out, j->id, j->id_len);
    buf_printf(&j->out, ",\"lang\":\"%s\",\"text\":", kuzat_lang_name(t.lang));
    json_string(&j->out, t.utf8, t.len);
    if (cut) buf_printf(&j->out, ",\"truncated\":{\"normalised\":%zu,\"bytes\":%zu}", j->text_len, j->full_len);
    buf_puts(&j->out, "}\n");
  } else {
    if (c->o->out == OUT_TSV) {
      tsv_field(&j->out, j->id, j->id_len);
      buf_printf(&j->out, "\t%s\t", kuzat_lang_name(t.lang));
    }
    buf_put(&j->out, t.utf8, t.len);
    buf_puts(&j->out, "\n");
  }
}

/* The markers object: those at or above their threshold, or all with
 * --all-scores. */
static void put_markers(const ctx *c, buf *b, const double *prob, const double *threshold) {
  buf_puts(b, "{");
  int first = 1;
  for (size_t i = 0; i < c->nm; i++) {
    if (!c->o->all_scores && prob[i] < threshold[i]) continue;
    if (!first) buf_puts(b, ",");
    first = 0;
    json_string(b, kuzat_model_marker(c->model, i), strlen(kuzat_model_marker(c->model, i)));
    buf_puts(b, ":");
    put_prob(b, prob[i]);
  }
  buf_puts(b, "}");
}

static size_t segment_at(const job *j, size_t byte) {
  size_t lo = 0, hi = j->nseg;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (j->seg[mid].off + j->seg[mid].len <= byte) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

static void put_explain(const ctx *c, const job *j, const kuzat_result *r) {
  buf *b = (buf *)&j->out;
  buf_puts(b, ",\"explain\":{");
  int first = 1;
  for (size_t i = 0; i < c->nm; i++) {
    if (!c->o->all_scores && !r->flagged[i]) continue;
    if (!first) buf_puts(b, ",");
    first = 0;
    const char *name = kuzat_model_marker(c->model, i);
    json_string(b, name, strlen(name));
    if (kuzat_model_kernel(c->model, i) != KUZAT_KERNEL_LINEAR) {
      buf_puts(b, ":\"not available: an RBF marker's score is not a sum over n-grams\"");
      continue;
    }
    buf_puts(b, ":{\"words\":[");
    for (size_t k = 0; k < r->explain_words_len[i]; k++) {
      const kuzat_word_part *w = &r->explain_words[i][k];
      buf_puts(b, k ? ",{\"word\":" : "{\"word\":");
      json_string(b, w->word, w->len);
      buf_printf(b, ",\"weight\":%.4f,\"count\":%zu", w->value, w->count);
      size_t s0 = chars(j->text, w->src_start);
      size_t s1 = s0 + chars(j->text + w->src_start, w->src_end - w->src_start);
      buf_printf(b, ",\"span\":[%zu,%zu],\"source\":", s0, s1);
      json_string(b, j->text + w->src_start, w->src_end - w->src_start);
      if (j->nseg) {
        size_t sg = segment_at(j, w->src_start);
        if (sg < j->nseg) {
          buf_puts(b, ",\"at\":");
          put_time(b, j->seg[sg].start);
        }
      }
      buf_puts(b, "}");
    }
    buf_puts(b, "],\"features\":[");
    for (size_t k = 0; k < r->explain_len[i]; k++) {
      const kuzat_contribution *con = &r->explain[i][k];
      buf_puts(b, k ? ",{\"weight\":" : "{\"weight\":");
      buf_printf(b, "%.4f", con->value);
      if (con->ngrams_len > 1) buf_puts(b, ",\"collision\":true");
      buf_puts(b, ",\"ngrams\":[");
      for (size_t g = 0; g < con->ngrams_len; g++) {
        const kuzat_ngram *ng = &con->ngrams[g];
        buf_puts(b, g ? ",{\"ngram\":" : "{\"ngram\":");
        json_string(b, ng->text, ng->len);
        buf_printf(b, ",\"kind\":\"%s\",\"count\":%zu", kind_name(ng->ns), ng->count);
        size_t s0 = chars(j->text, ng->src_start);
        size_t s1 = s0 + chars(j->text + ng->src_start, ng->src_end - ng->src_start);
        buf_printf(b, ",\"span\":[%zu,%zu],\"source\":", s0, s1);
        json_string(b, j->text + ng->src_start, ng->src_end - ng->src_start);
        if (j->nseg) {
          size_t sg = segment_at(j, ng->src_start);
          if (sg < j->nseg) {
            buf_puts(b, ",\"at\":");
            put_time(b, j->seg[sg].start);
          }
        }
        buf_puts(b, "}");
      }
      buf_puts(b, "]}");
    }
    buf_puts(b, "]}");
  }
  buf_puts(b, "}");
}

/* The model's KUZAT_DECISION_MARKER, or c->nm when it has none. */
static size_t decision_marker(const ctx *c) {
  size_t i = 0;
  while (i < c->nm && strcmp(kuzat_model_marker(c->model, i), KUZAT_DECISION_MARKER) != 0) i++;
  return i;
}

/* A transcript window's times. Cues may overlap or come out of order, so
 * it spans from its earliest start to its latest end, not from its first
 * cue's start to its last cue's end. */
static void window_times(const job *j, const kuzat_window *w, double *t0, double *t1) {
  *t0 = j->seg[w->first].start;
  *t1 = j->seg[w->first].end;
  for (size_t k = w->first + 1; k <= w->last && k < j->nseg; k++) {
    if (j->seg[k].start < *t0) *t0 = j->seg[k].start;
    if (j->seg[k].end > *t1) *t1 = j->seg[k].end;
  }
}

/* One readable line: id, language, verdict, score, the flagged markers,
 * where the worst part is, and the n-grams behind it. */
static void format_pretty(const ctx *c, job *j, const kuzat_result *r) {
  buf *b = &j->out;
  size_t top = 0;
  for (size_t i = 1; i < c->nm; i++)
    if (r->prob[i] > r->prob[top]) top = i;
  tsv_field(b, j->id, j->id_len);
  buf_printf(b, "  %s  %s  ", kuzat_lang_name(r->lang), r->any_flagged ? "FLAGGED" : "-");
  put_prob(b, r->score);
  for (size_t i = 0; i < c->nm; i++)
    if (r->flagged[i] || c->o->all_scores) {
      buf_printf(b, "  %s ", kuzat_model_marker(c->model, i));
      put_prob(b, r->prob[i]);
    }
  if (c->nm && r->any_flagged && (j->nseg || r->windows > 1)) {
    const kuzat_window *w = &r->window[r->best[top]];
    buf_puts(b, "  at ");
    if (j->nseg) {
      double t0, t1;
      window_times(j, w, &t0, &t1);
      put_clock(b, t0);
      buf_puts(b, "-");
      put_clock(b, t1);
    } else {
      size_t s0 = chars(j->text, w->src_start);
      buf_printf(b, "characters %zu-%zu", s0, s0 + chars(j->text + w->src_start, w->src_end - w->src_start));
    }
  }
  if (c->o->explain && c->nm && r->flagged[top] && r->explain_words_len[top]) {
    buf_puts(b, "  because:");
    for (size_t k = 0; k < r->explain_words_len[top]; k++) {
      const kuzat_word_part *w = &r->explain_words[top][k];
      buf_puts(b, " \"");
      tsv_field(b, j->text + w->src_start, w->src_end - w->src_start);
      buf_printf(b, "\" %+.2f", w->value);
    }
  }
  buf_puts(b, "\n");
}

static void format_scores(const ctx *c, job *j, kuzat_scorer *s) {
  const kuzat_result *r;
  kuzat_error err;
  if (kuzat_score(s, j->text, j->text_len, j->seg, j->nseg, &c->sp, &r, &err)) {
    char msg[512];
    snprintf(msg, sizeof msg, "%.*s: %s", (int)(j->id_len > 200 ? 200 : j->id_len), j->id, err.msg);
    job_error(j, j->id, j->id_len, msg, c->o->out);
    return;
  }
  j->lang_id = r->lang;
  if (j->prob) memcpy(j->prob, r->prob, c->nm * sizeof *j->prob);
  buf *b = &j->out;
  if (c->o->out == OUT_PRETTY) {
    format_pretty(c, j, r);
    return;
  }
  if (c->o->out == OUT_TSV) {
    tsv_field(b, j->id, j->id_len);
    buf_puts(b, r->any_flagged ? "\ttrue\t" : "\tfalse\t");
    put_prob(b, r->score);
    for (size_t i = 0; i < c->nm; i++) {
      buf_puts(b, "\t");
      tsv_field(b, kuzat_model_marker(c->model, i), strlen(kuzat_model_marker(c->model, i)));
      buf_puts(b, "=");
      put_prob(b, r->prob[i]);
    }
    buf_puts(b, "\n");
    return;
  }
  buf_puts(b, "{\"id\":");
  json_string(b, j->id, j->id_len);
  buf_puts(b, r->any_flagged ? ",\"flagged\":true,\"score\":" : ",\"flagged\":false,\"score\":");
  put_prob(b, r->score);
  buf_puts(b, ",\"markers\":");
  put_markers(c, b, r->prob, r->threshold);
  buf_puts(b, ",\"lang\":\"");
  buf_puts(b, kuzat_lang_name(r->lang));
  buf_puts(b, "\",\"model\":\"");
  buf_puts(b, c->model_id);
  buf_puts(b, "\"");
  if (j->full_len > j->text_len)
    buf_printf(b, ",\"truncated\":{\"scored\":%zu,\"bytes\":%zu}", j->text_len, j->full_len);
  /* the worst window: the one giving the verdict's probability (the
   * decision marker's, or the top marker's in a model without one) */
  size_t top = decision_marker(c);
  if (top == c->nm)
    for (size_t i = top = 0; i < c->nm; i++)
      if (r->prob[i] > r->prob[top]) top = i;
  if (c->nm && (j->nseg || r->windows > 1)) {
    const kuzat_window *w = &r->window[r->best[top]];
    if (!j->nseg) buf_printf(b, ",\"windows\":%zu", r->windows);
    buf_puts(b, ",\"worst\":{\"start\":");
    if (j->nseg) {
      double t0, t1;
      window_times(j, w, &t0, &t1);
      put_time(b, t0);
      buf_puts(b, ",\"end\":");
      put_time(b, t1);
    } else {
      size_t s0 = chars(j->text, w->src_start);
      buf_printf(b, "%zu,\"end\":%zu", s0, s0 + chars(j->text + w->src_start, w->src_end - w->src_start));
    }
    buf_puts(b, ",\"score\":");
    put_prob(b, r->prob[top]);
    buf_puts(b, "}");
  }
  if (j->nseg) {
    buf_puts(b, ",\"segments\":[");
    int first = 1;
    for (size_t k = 0; k < j->nseg; k++) {
      const double *sp = r->segment_prob + k * c->nm;
      int flag = 0;
      for (size_t i = 0; i < c->nm; i++) flag |= sp[i] >= r->threshold[i];
      if (!flag && !c->o->all_scores) continue;
      buf_puts(b, first ? "{\"start\":" : ",{\"start\":");
      first = 0;
      put_time(b, j->seg[k].start);
      buf_puts(b, ",\"end\":");
      put_time(b, j->seg[k].end);
      buf_puts(b, ",\"score\":");
      put_prob(b, top < c->nm ? sp[top] : 0);
      if (c->o->all_scores || c->nm > 1) {
        buf_puts(b, ",\"markers\":");
        put_markers(c, b, sp, r->threshold);
      }
      buf_puts(b, "}");
    }
    buf_puts(b, "]");
  }
  if (c->o->explain) put_explain(c, j, r);
  buf_puts(b, "}\n");
}

/* Score or normalise one job (its input is set), filling j->out. */
static void run_job(const ctx *c, job *j, kuzat_scorer *s, kuzat_normaliser *n) {
  j->out.len = 0;
  j->out.oom = 0;
  j->bad = 0;
  free(j->msg); /* for stderr: an error, or a --normalize cut */
  j->msg = NULL;
  if (j->error) job_error(j, j->id, j->id_len, j->error, c->o->out);
  else if (c->o->normalize) format_normalised(c, j, n);
  else format_scores(c, j, s);
  if (j->out.oom) {
    j->out.oom = 0;
    j->out.len = 0;
    job_error(j, j->id, j->id_len, "out of memory formatting this record", c->o->out);
    if (j->out.oom) j->out.len = 0;
  }
}

/* ---- inputs: files and directories, in order ---- */

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

static void emit_io_error(walker *w, const char *path, const char *msg) {
  kuzat_record rec;
  memset(&rec, 0, sizeof rec);
  rec.id = path;
  rec.id_len = strlen(path);
  rec.text = "";
  rec.labels = rec.lang = rec.group = "";
  rec.error = msg;
  if (w->emit(w->ud, &rec, msg)) w->stop = 1;
}

static void read_file(walker *w, const char *path) {
  kuzat_reader *r;
  kuzat_error err;
  const char *id = strcmp(path, "-") == 0 ? "stdin" : path; /* as the reader names it */
  if (kuzat_reader_open(path, w->o->format, NULL, NULL, &r, &err)) {
    emit_io_error(w, id, err.msg);
    return;
  }
  kuzat_reader_set_limit(r, w->o->max_chars);
  kuzat_record rec;
  int rc = 0;
  while (!w->stop && (rc = kuzat_reader_next(r, &rec, &err)) == 1)
    if (w->emit(w->ud, &rec, NULL)) w->stop = 1;
  if (!w->stop && rc < 0) emit_io_error(w, id, err.msg);
  kuzat_reader_free(r);
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(walker *w, const char *path, int in_dir);

static void walk_dir(walker *w, const char *path, const struct stat *sb) {
  char msg[PATH_MAX + 128];
  for (int d = 0; d < w->depth; d++)
    if (w->anc_dev[d] == sb->st_dev && w->anc_ino[d] == sb->st_ino) {
      snprintf(msg, sizeof msg, "%s: directory loop (a link back to a directory being "
               "scanned), not followed", path);
      emit_io_error(w, path, msg);
      return;
    }
  if (w->depth == 64) {
    snprintf(msg, sizeof msg, "%s: directories nested deeper than 64, not scanned", path);
    emit_io_error(w, path, msg);
    return;
  }
  DIR *dir = opendir(path);
  if (!dir) {
    snprintf(msg, sizeof msg, "%s: cannot open directory: %s", path, strerror(errno));
    emit_io_error(w, path, msg);
    return;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *de;
  while ((de = readdir(dir)) != NULL) {
    if (de->d_name[0] == '.') continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      char **t = realloc(names, cap * sizeof *names);
      if (!t) break;
      names = t;
    }
    if (!(names[n] = strdup(de->d_name))) break;
    n++;
  }
  closedir(dir);
  qsort(names, n, sizeof *names, cmp_names);
  w->anc_dev[w->depth] = sb->st_dev;
  w->anc_ino[w->depth] = sb->st_ino;
  w->depth++;
  size_t plen = strlen(path);
  for (size_t i = 0; i < n; i++) {
    if (!w->stop) {
      size_t len = plen + 1 + strlen(names[i]) + 1;
      char *child = malloc(len);
      if (child) {
        snprintf(child, len, "%s%s%s", path, plen && path[plen - 1] == '/' ? "" : "/", names[i]);
        walk(w, child, 1);
        free(child);
      }
    }
    free(names[i]);
  }
  free(names);
  w->depth--;
}

/* in_dir: the path was found by scanning a directory. Such an entry that
 * is a FIFO, socket or device is reported and not opened, as grep -r
 * does: opening a FIFO nobody writes to would wait forever. Named on the
 * command line (a pipe from <(...), /dev/stdin) it is read. */
static void walk(walker *w, const char *path, int in_dir) {
  struct stat sb;
  int known = strcmp(path, "-") != 0 && stat(path, &sb) == 0;
  if (known && S_ISDIR(sb.st_mode)) {
    walk_dir(w, path, &sb);
  } else if (known && in_dir && !S_ISREG(sb.st_mode)) {
    char msg[PATH_MAX + 128];
    snprintf(msg, sizeof msg, "%s: not a regular file (%s), not read; name it on the command "
             "line to read it", path, S_ISFIFO(sb.st_mode) ? "a FIFO" : S_ISSOCK(sb.st_mode) ?
             "a socket" : "a device");
    emit_io_error(w, path, msg);
  } else {
    read_file(w, path); /* the reader names any failure */
  }
}

/* ---- eval ---- */

typedef struct evalset {
  size_t n, cap, nm;
  double *prob; /* n * nm */
  int *truth;   /* n * nm */
  int *lang;
  size_t unlabelled;
} evalset;

static int has_label(const char *labels, size_t len, const char *name) {
  size_t nl = strlen(name);
  for (size_t i = 0; i < len;) {
    size_t j = i;
    while (j < len && labels[j] != ',') j++;
    if (j - i == nl && memcmp(labels + i, name, nl) == 0) return 1;
    i = j + 1;
  }
  return 0;
}

static void eval_add(evalset *e, const ctx *c, const job *j) {
  if (j->bad) return;
  if (!j->has_labels) {
    e->unlabelled++;
    return;
  }
  if (e->n == e->cap) {
    size_t cap = e->cap ? e->cap * 2 : 1024;
    double *p = realloc(e->prob, cap * e->nm * sizeof *p);
    if (p) e->prob = p;
    int *t = realloc(e->truth, cap * e->nm * sizeof *t);
    if (t) e->truth = t;
    int *l = realloc(e->lang, cap * sizeof *l);
    if (l) e->lang = l;
    if (!p || !t || !l) return;
    e->cap = cap;
  }
  int lang = kuzat_lang_from_name(j->lang, j->lang_len);
  e->lang[e->n] = lang >= 0 ? lang : j->lang_id;
  /* A record labelled with the decision marker and no other marker of the
   * model says nothing of which kind it is: the other markers leave it out
   * (truth -1), as kuzat-train --decision does. */
  size_t d = decision_marker(c), others = 0;
  for (size_t i = 0; i < e->nm; i++)
    others += i != d && has_label(j->labels, j->labels_len, kuzat_model_marker(c->model, i));
  int kind_unknown = d < e->nm && !others &&
                     has_label(j->labels, j->labels_len, kuzat_model_marker(c->model, d));
  for (size_t i = 0; i < e->nm; i++) {
    e->prob[e->n * e->nm + i] = j->prob[i];
    e->truth[e->n * e->nm + i] =
        kind_unknown && i != d ? -1
                               : has_label(j->labels, j->labels_len, kuzat_model_marker(c->model, i));
  }
  e->n++;
}

static void eval_line(const char *name, const kuzat_metrics *m) {
  double fpr = m->fp + m->tn ? (double)m->fp / (double)(m->fp + m->tn) : 0;
  fprintf(stderr, "  %-10s %6zu %6zu %9.3f %6.3f %6.3f %6.3f %7.3f %6.3f\n", name, m->n,
          m->positives, m->precision, m->recall, m->f1, m->pr_auc, m->roc_auc, fpr);
}

static void eval_report(const evalset *e, const ctx *c) {
  if (!e->n) {
    fprintf(stderr, "kuzat-classify: --eval: no labelled records (a \"labels\" column or field,"
                    " or fastText __label__ prefixes); %zu records without labels\n",
            e->unlabelled);
    return;
  }
  /* the table kuzat-train prints too (kuzat_eval_tables()) */
  double *thr = malloc((e->nm + 1) * sizeof *thr);
  kuzat_eval_cell *cells = NULL;
  size_t ncells = 0;
  kuzat_error err;
  for (size_t i = 0; thr && i < e->nm; i++)
    thr[i] = c->o->threshold >= 0 ? c->o->threshold : kuzat_model_threshold(c->model, i);
  if (!thr || kuzat_eval_tables(e->prob, e->truth, e->lang, e->n, e->nm, thr, NULL, &cells,
                                &ncells, &err)) {
    fprintf(stderr, "kuzat-classify: --eval: %s\n", thr ? err.msg : "out of memory");
    free(thr);
    return;
  }
  fprintf(stderr, "Evaluation on %zu labelled records", e->n);
  if (e->unlabelled) fprintf(stderr, " (%zu without labels left out)", e->unlabelled);
  fprintf(stderr, ":\n");
  for (size_t i = 0; i < ncells; i++) {
    const kuzat_eval_cell *cl = &cells[i];
    if (cl->lang < 0) {
      fprintf(stderr, "marker %s (threshold %.3f)\n", kuzat_model_marker(c->model, cl->marker),
              thr[cl->marker]);
      fprintf(stderr, "  %-10s %6s %6s %9s %6s %6s %6s %7s %6s\n", "lang", "rows", "pos",
              "precision", "recall", "F1", "PR-AUC", "ROC-AUC", "FPR");
    }
    eval_line(cl->lang < 0 ? "all" : kuzat_lang_name(cl->lang), &cl->m);
  }
  kuzat_eval_free(cells, NULL);
  free(thr);
}

/* ---- the run: serial, or a ring of slots with threads ---- */

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
  int wait_feed, wait_work, wait_write; /* threads waiting: signal only them */
  pthread_mutex_t mu;
  pthread_cond_t filled, done, freed;
} run;

/* At most this many text bytes wait in the ring (beyond one record), so
 * memory stays bounded whatever the input. */
#define RING_BYTES ((size_t)16 << 20)

/* Write a finished job; count it. Returns nonzero when output failed. */
static int write_job(run *R, job *j) {
  if (j->bad) R->bad++;
  if (!R->c.o->quiet && j->msg) fprintf(stderr, "kuzat-classify: %s\n", j->msg);
  if (j->io_failed) R->io_failed++;
  if (R->c.o->eval && !R->c.o->normalize) eval_add(&R->ev, &R->c, j);
  if (fwrite(j->out.p, 1, j->out.len, stdout) != j->out.len) R->write_failed = 1;
  if (R->line_buffered && fflush(stdout) != 0) R->write_failed = 1;
  return R->write_failed;
}

/* Point a job at a record (serial) or copy it in (threaded). */
static int set_job(job *j, const kuzat_record *rec, const char *io_error, int copy) {
  j->io_failed = io_error != NULL;
  j->has_labels = rec->has_labels;
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
  run_job(&R->c, &R->one, R->scorer, R->norm);
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
    for (size_t q = 0; q < k; q++) run_job(&R->c, &R->ring[(first + q) % R->q], wk->scorer, wk->norm);
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

static void walk_all(walker *w, int argc, char **argv) {
  if (argc == 0) walk(w, "-", 0);
  for (int i = 0; i < argc && !w->stop; i++) walk(w, argv[i], 0);
}

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

static int make_tools(run *R, kuzat_scorer **s, kuzat_normaliser **n) {
  kuzat_error err;
  int rc = R->c.o->normalize ? kuzat_normaliser_new(NULL, n, &err)
                             : kuzat_scorer_new(R->c.model, NULL, s, &err);
  if (rc) fprintf(stderr, "kuzat-classify: %s\n", err.msg);
  return rc;
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
  if (!R->ring || !wk) {
    fprintf(stderr, "kuzat-classify: out of memory\n");
    free(R->ring);
    free(wk);
    return 2;
  }
  for (size_t k = 0; k < R->q; k++)
    if (R->c.o->eval) R->ring[k].prob = calloc(R->c.nm + 1, sizeof *R->ring[k].prob);
  pthread_mutex_init(&R->mu, NULL);
  pthread_cond_init(&R->filled, NULL);
  pthread_cond_init(&R->done, NULL);
  pthread_cond_init(&R->freed, NULL);
  int started = 0, rc = 0;
  for (int i = 0; i < nt; i++) {
    wk[i].R = R;
    if (make_tools(R, &wk[i].scorer, &wk[i].norm) ||
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

/* ---- options ---- */

enum { OPT_NORMALIZE = 256, OPT_FORMAT, OPT_LINES, OPT_FORMAT_OUT, OPT_LINE_BUFFERED,
       OPT_STRICT, OPT_VERSION, OPT_THRESHOLD, OPT_ALL, OPT_EXPLAIN, OPT_EVAL, OPT_THREADS,
       OPT_WINDOW, OPT_WINDOW_BYTES, OPT_MAX_CHARS };

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

static int parse(int argc, char **argv, opts *o) {
  static const struct option longopts[] = {
      {"normalize", no_argument, NULL, OPT_NORMALIZE},
      {"normalise", no_argument, NULL, OPT_NORMALIZE},
      {"format", required_argument, NULL, OPT_FORMAT},
      {"lines", no_argument, NULL, OPT_LINES},
      {"format-out", required_argument, NULL, OPT_FORMAT_OUT},
      {"line-buffered", no_argument, NULL, OPT_LINE_BUFFERED},
      {"strict", no_argument, NULL, OPT_STRICT},
      {"threshold", required_argument, NULL, OPT_THRESHOLD},
      {"all-scores", no_argument, NULL, OPT_ALL},
      {"explain", required_argument, NULL, OPT_EXPLAIN},
      {"eval", no_argument, NULL, OPT_EVAL},
      {"threads", required_argument, NULL, OPT_THREADS},
      {"window", required_argument, NULL, OPT_WINDOW},
      {"window-bytes", required_argument, NULL, OPT_WINDOW_BYTES},
      {"max-chars", required_argument, NULL, OPT_MAX_CHARS},
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
      if (o->format < 0)
        return usage_error("unknown input format", optarg,
                           "expected text, lines, tsv, jsonl, fasttext, srt, vtt or whisper");
      break;
    case OPT_LINES: o->format = KUZAT_FORMAT_LINES; break;
    case OPT_FORMAT_OUT:
      o->out_set = 1;
      if (strcmp(optarg, "jsonl") == 0 || strcmp(optarg, "json") == 0) o->out = OUT_JSONL;
      else if (strcmp(optarg, "tsv") == 0) o->out = OUT_TSV;
      else if (strcmp(optarg, "text") == 0) o->out = OUT_TEXT;
      else if (strcmp(optarg, "pretty") == 0) o->out = OUT_PRETTY;
      else return usage_error("unknown output format", optarg, "expected jsonl, tsv, pretty or text");
      break;
    case OPT_LINE_BUFFERED: o->line_buffered = 1; break;
    case OPT_STRICT: o->strict = 1; break;
    case OPT_THRESHOLD:
      errno = 0;
      o->threshold = strtod(optarg, &end);
      if (errno || end == optarg || *end || !(o->threshold >= 0 && o->threshold <= 1))
        return usage_error("bad --threshold", optarg, "expected a probability from 0 to 1");
      break;
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
    case 'q': o->quiet = 1; break;
    case 'm': o->model = optarg; break;
    case 'h':
      fputs(usage, stdout);
      fputs(usage2, stdout);
      fputs(usage3, stdout);
      fputs(usage4, stdout);
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
  if (!o->out_set) o->out = o->normalize ? OUT_TEXT : OUT_JSONL;
  if (!o->normalize && o->out == OUT_TEXT)
    return usage_error("--format-out", "text", "text output is for --normalize; use jsonl, tsv or pretty");
  if (o->normalize && o->out == OUT_PRETTY)
    return usage_error("--format-out", "pretty", "pretty output is for scores; use text, jsonl or tsv");
  return -1;
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

int main(int argc, char **argv) {
  opts o = {0};
  o.threshold = -1;
  o.threads = 1;
  kuzat_score_params sp; /* the library's defaults, so that they exist once */
  kuzat_score_params_default(&sp);
  o.window = sp.window;
  o.window_bytes = sp.window_bytes;
  o.max_chars = KUZAT_DEFAULT_MAX_CHARS;
  int rc = parse(argc, argv, &o);
  if (rc >= 0) return rc;

  run R;
  memset(&R, 0, sizeof R);
  R.c.o = &o;
  kuzat_model *model = NULL;
  if (!o.normalize) {
    char *found = NULL;
    const char *path = o.model;
    if (!path) path = getenv("KUZAT_MODEL");
    if (path && !*path) path = NULL;
    if (!path) path = found = default_model();
    if (!path) {
      fprintf(stderr, "kuzat-classify: no model: give one with -m FILE or $KUZAT_MODEL "
                      "(the default model, models/default.kzm, is made by 'make model')\n");
      return 2;
    }
    kuzat_error err;
    if (kuzat_model_load_file(path, NULL, &model, &err)) {
      fprintf(stderr, "kuzat-classify: %s\n", err.msg);
      free(found);
      return 2;
    }
    free(found);
    R.c.model = model;
    R.c.model_id = kuzat_model_id(model);
    R.c.nm = kuzat_model_markers(model);
    kuzat_score_params_default(&R.c.sp);
    R.c.sp.window = o.window;
    R.c.sp.window_bytes = o.window_bytes;
    R.c.sp.explain = o.explain;
    R.c.sp.threshold = o.threshold;
    R.ev.nm = R.c.nm;
  }
  struct stat sb;
  if (o.line_buffered || (fstat(1, &sb) == 0 && S_ISFIFO(sb.st_mode))) R.line_buffered = 1;
  else setvbuf(stdout, NULL, _IOFBF, 1 << 16);

  R.w.o = &o;
  R.w.ud = &R;
  int argn = argc - optind;
  char **args = argv + optind;
  if (o.threads <= 1) {
    R.w.emit = emit_serial;
    if (o.eval) R.one.prob = calloc(R.c.nm + 1, sizeof *R.one.prob);
    if (make_tools(&R, &R.scorer, &R.norm)) rc = 2;
    else walk_all(&R.w, argn, args);
    kuzat_scorer_free(R.scorer);
    kuzat_normaliser_free(R.norm);
    job_free(&R.one);
  } else {
    R.w.emit = emit_ring;
    rc = run_threads(&R, argn, args);
  }
  if (rc < 0) rc = 0;
  if (fflush(stdout) != 0 || ferror(stdout) || R.write_failed) {
    if (errno != EPIPE) fprintf(stderr, "kuzat-classify: write error: %s\n", strerror(errno));
    rc = 2;
  }
  if (o.eval && !o.normalize && !rc) eval_report(&R.ev, &R.c);
  free(R.ev.prob);
  free(R.ev.truth);
  free(R.ev.lang);
  kuzat_model_free(model);
  if (rc) return rc;
  if (R.io_failed) return 2;
  return (o.strict && R.bad) ? 1 : 0;
}
