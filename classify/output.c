/*
 * output.c -- one record's line in each output format, and --eval.
 *
 * JSON Lines (the default), TSV, pretty (one readable line for people)
 * and, with --normalize, the normalised text; an error line in each of
 * them. Every line is built in the job's buffer, so that threads format
 * in parallel and ring.c writes the lines in input order. --eval keeps
 * the probabilities of labelled records and prints the quality table
 * (kuzat_eval_tables(), the one kuzat-train prints) after them.
 */
#include "classify.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the buffer; JSON strings, TSV fields, numbers and times ---- */

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

void buf_puts(buf *b, const char *s) { buf_put(b, s, strlen(s)); }

void buf_printf(buf *b, const char *fmt, ...) {
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
void json_string(buf *b, const char *s, size_t n) {
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
void tsv_field(buf *b, const char *s, size_t n) {
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
void put_prob(buf *b, double p) {
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

void put_clock(buf *b, double sec) {
  if (!(sec >= 0)) sec = 0;
  long long ms = llround(sec * 1000);
  buf_printf(b, "%02lld:%02lld:%02lld.%03lld", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60,
             ms % 1000);
}

void put_time(buf *b, double sec) {
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

/* ---- one record's line ---- */

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

/* Where a part of an explanation is: its span in characters of the
 * record's text, the original text there and, in a transcript, the time
 * of its segment. */
static void put_source(buf *b, const job *j, size_t start, size_t end) {
  size_t s0 = chars(j->text, start);
  size_t s1 = s0 + chars(j->text + start, end - start);
  buf_printf(b, ",\"span\":[%zu,%zu],\"source\":", s0, s1);
  json_string(b, j->text + start, end - start);
  if (j->nseg) {
    size_t sg = segment_at(j, start);
    if (sg < j->nseg) {
      buf_puts(b, ",\"at\":");
      put_time(b, j->seg[sg].start);
    }
  }
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
      put_source(b, j, w->src_start, w->src_end);
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
        put_source(b, j, ng->src_start, ng->src_end);
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
static void format_pretty(const ctx *c, job *j, const kuzat_result *r, const kmatch *km) {
  buf *b = &j->out;
  size_t top = 0;
  for (size_t i = 1; i < c->nm; i++)
    if (r->prob[i] > r->prob[top]) top = i;
  tsv_field(b, j->id, j->id_len);
  buf_printf(b, "  %s  %s  ", kuzat_lang_name(r->lang), r->any_flagged ? "FLAGGED" : known_count(km) ? "KNOWN" : "-");
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
  known_put_pretty(km, j, b);
  buf_puts(b, "\n");
}

static void format_scores(const ctx *c, job *j, kuzat_scorer *s, kmatch *km) {
  const kuzat_result *r;
  kuzat_error err;
  if (kuzat_score(s, j->text, j->text_len, j->seg, j->nseg, &c->sp, &r, &err) ||
      known_find(c, km, j, kuzat_scorer_text(s), &err)) {
    char msg[512];
    snprintf(msg, sizeof msg, "%.*s: %s", (int)(j->id_len > 200 ? 200 : j->id_len), j->id, err.msg);
    job_error(j, j->id, j->id_len, msg, c->o->out);
    return;
  }
  j->lang_id = r->lang;
  if (j->prob) memcpy(j->prob, r->prob, c->nm * sizeof *j->prob);
  buf *b = &j->out;
  if (c->o->out == OUT_PRETTY) {
    format_pretty(c, j, r, km);
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
  known_put_json(km, j, b);
  buf_puts(b, "}\n");
}

/* Score or normalise one job (its input is set), filling j->out. */
void run_job(const ctx *c, job *j, kuzat_scorer *s, kuzat_normaliser *n, kmatch *km) {
  j->out.len = 0;
  j->out.oom = 0;
  j->bad = 0;
  free(j->msg); /* for stderr: an error, or a --normalize cut */
  j->msg = NULL;
  if (j->error) job_error(j, j->id, j->id_len, j->error, c->o->out);
  else if (c->o->normalize) format_normalised(c, j, n);
  else format_scores(c, j, s, km);
  if (j->out.oom) {
    j->out.oom = 0;
    j->out.len = 0;
    job_error(j, j->id, j->id_len, "out of memory formatting this record", c->o->out);
    if (j->out.oom) j->out.len = 0;
  }
}

/* ---- --eval ---- */

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

void eval_add(evalset *e, const ctx *c, const job *j) {
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

void eval_report(const evalset *e, const ctx *c) {
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
