/*
 * output.c -- one record's line in each output format.
 *
 * JSON Lines (the default), TSV, CSV, pretty (one readable line for
 * people), a flagged document's part of the HTML page (html.c) and, with
 * --normalize, the normalised text; an error line in each of them. Every
 * line is built in the job's buffer, so that threads format in parallel
 * and ring.c writes the lines in input order. Each format carries the
 * document's language and script (and its encoding when it was
 * converted); JSON Lines those of a transcript's segments too.
 */
#include "classify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ,"encoding":"NAME": the record was converted from NAME. */
static void put_encoding(buf *b, const char *name) {
  buf_puts(b, ",\"encoding\":");
  json_string(b, name, strlen(name));
}

int flag(const ctx *c, const double *prob, size_t i) { return prob[i] >= c->thr[i]; }

int verdict(const ctx *c, const double *prob) {
  if (c->decision < c->nm) return flag(c, prob, c->decision);
  for (size_t i = 0; i < c->nm; i++)
    if (flag(c, prob, i)) return 1;
  return 0;
}

size_t top_marker(const ctx *c, const double *prob) {
  size_t top = c->decision;
  if (top == c->nm)
    for (size_t i = top = 0; i < c->nm; i++)
      if (prob[i] > prob[top]) top = i;
  return top;
}

void window_times(const job *j, const kuzat_window *w, double *t0, double *t1) {
  *t0 = j->seg[w->first].start;
  *t1 = j->seg[w->first].end;
  for (size_t k = w->first + 1; k <= w->last && k < j->nseg; k++) {
    if (j->seg[k].start < *t0) *t0 = j->seg[k].start;
    if (j->seg[k].end > *t1) *t1 = j->seg[k].end;
  }
}

/* ---- error lines, normalised text ---- */

static void job_error(const ctx *c, job *j, const char *msg) {
  int out = c->o->out;
  j->bad = 1;
  free(j->msg);
  j->msg = strdup(msg);
  j->out.len = 0;
  if (out == OUT_JSONL) {
    buf_puts(&j->out, "{\"id\":");
    json_string(&j->out, j->id, j->id_len);
    buf_puts(&j->out, ",\"error\":");
    json_string(&j->out, msg, strlen(msg));
    buf_puts(&j->out, "}\n");
  } else if (out == OUT_TSV || out == OUT_PRETTY) {
    tsv_field(&j->out, j->id, j->id_len);
    buf_puts(&j->out, out == OUT_TSV ? "\terror\t" : "  ERROR  ");
    tsv_field(&j->out, msg, strlen(msg));
    buf_puts(&j->out, "\n");
  } else if (out == OUT_CSV) { /* as many fields as a scored row */
    csv_field(&j->out, j->id, j->id_len);
    buf_puts(&j->out, ",,,,,,,,");
    csv_field(&j->out, msg, strlen(msg));
    for (size_t i = 0; i < c->nm; i++) buf_puts(&j->out, ",");
    buf_puts(&j->out, "\r\n");
  } else if (out == OUT_TEXT) {
    buf_puts(&j->out, "\n");
  } /* HTML: the page counts errors in its summary */
}

static void format_normalised(const ctx *c, job *j, kuzat_normaliser *n) {
  kuzat_text t;
  kuzat_error err;
  if (kuzat_normalise(n, j->text, j->text_len, 0, &t, &err)) {
    char msg[512];
    snprintf(msg, sizeof msg, "%.*s: %s", (int)(j->id_len > 200 ? 200 : j->id_len), j->id, err.msg);
    job_error(c, j, msg);
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
    buf_printf(&j->out, ",\"lang\":\"%s\"", kuzat_lang_name(t.lang));
    if (j->encoding) put_encoding(&j->out, j->encoding);
    buf_puts(&j->out, ",\"text\":");
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

/* ---- scores ---- */

/* The markers object: those at or above their threshold, or all with
 * --all-scores. */
static void put_markers(const ctx *c, buf *b, const double *prob) {
  buf_puts(b, "{");
  int first = 1;
  for (size_t i = 0; i < c->nm; i++) {
    if (!c->o->all_scores && prob[i] < c->thr[i]) continue;
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
  size_t s0 = utf8_chars(j->text, start);
  size_t s1 = s0 + utf8_chars(j->text + start, end - start);
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
    if (!c->o->all_scores && !flag(c, r->prob, i)) continue;
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

/* The worst window's place: times in a transcript, else character
 * offsets of a long text; 0 when the document is one window. */
static int worst_place(const job *j, const kuzat_result *r, size_t top, double *t0, double *t1,
                       size_t *c0, size_t *c1) {
  if (!(j->nseg || r->windows > 1)) return 0;
  const kuzat_window *w = &r->window[r->best[top]];
  if (j->nseg) {
    window_times(j, w, t0, t1);
  } else {
    *c0 = utf8_chars(j->text, w->src_start);
    *c1 = *c0 + utf8_chars(j->text + w->src_start, w->src_end - w->src_start);
  }
  return 1;
}

/* One readable line: id, language and script, verdict, score, the flagged
 * markers, where the worst part is, and the words behind it. */
static void format_pretty(const ctx *c, job *j, const kuzat_result *r, const kmatch *km) {
  buf *b = &j->out;
  size_t top = 0;
  for (size_t i = 1; i < c->nm; i++)
    if (r->prob[i] > r->prob[top]) top = i;
  tsv_field(b, j->id, j->id_len);
  buf_printf(b, "  %s %s%s%s%s  %s  ", kuzat_lang_name(r->lang), j->script, j->encoding ? " (" : "",
             j->encoding ? j->encoding : "", j->encoding ? ")" : "",
             j->flagged ? "FLAGGED" : known_count(km) ? "KNOWN" : "-");
  put_prob(b, r->score);
  for (size_t i = 0; i < c->nm; i++)
    if (flag(c, r->prob, i) || c->o->all_scores) {
      buf_printf(b, "  %s ", kuzat_model_marker(c->model, i));
      put_prob(b, r->prob[i]);
    }
  double t0, t1;
  size_t c0, c1;
  if (c->nm && j->flagged && worst_place(j, r, top, &t0, &t1, &c0, &c1)) {
    buf_puts(b, "  at ");
    if (j->nseg) {
      put_clock(b, t0);
      buf_puts(b, "-");
      put_clock(b, t1);
    } else {
      buf_printf(b, "characters %zu-%zu", c0, c1);
    }
  }
  if (c->o->explain && c->nm && flag(c, r->prob, top) && r->explain_words_len[top]) {
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

static void format_tsv(const ctx *c, job *j, const kuzat_result *r) {
  buf *b = &j->out;
  tsv_field(b, j->id, j->id_len);
  buf_puts(b, j->flagged ? "\ttrue\t" : "\tfalse\t");
  put_prob(b, r->score);
  buf_printf(b, "\t%s\t%s", kuzat_lang_name(r->lang), j->script);
  for (size_t i = 0; i < c->nm; i++) {
    buf_puts(b, "\t");
    tsv_field(b, kuzat_model_marker(c->model, i), strlen(kuzat_model_marker(c->model, i)));
    buf_puts(b, "=");
    put_prob(b, r->prob[i]);
  }
  buf_puts(b, "\n");
}

void csv_header(const ctx *c, buf *b) {
  buf_puts(b, "id,flagged,score,lang,script,encoding,worst_start,worst_end,error");
  for (size_t i = 0; i < c->nm; i++) {
    buf_puts(b, ",");
    csv_field(b, kuzat_model_marker(c->model, i), strlen(kuzat_model_marker(c->model, i)));
  }
  buf_puts(b, "\r\n");
}

/* A CSV row (RFC 4180: CRLF, quoted where needed); the columns of
 * csv_header(). */
static void format_csv(const ctx *c, job *j, const kuzat_result *r) {
  buf *b = &j->out;
  csv_field(b, j->id, j->id_len);
  buf_puts(b, j->flagged ? ",true," : ",false,");
  put_prob(b, r->score);
  buf_printf(b, ",%s,%s,", kuzat_lang_name(r->lang), j->script);
  if (j->encoding) csv_field(b, j->encoding, strlen(j->encoding));
  double t0, t1;
  size_t c0, c1;
  if (c->nm && worst_place(j, r, top_marker(c, r->prob), &t0, &t1, &c0, &c1)) {
    buf_puts(b, ",");
    if (j->nseg) {
      put_clock(b, t0);
      buf_puts(b, ",");
      put_clock(b, t1);
    } else {
      buf_printf(b, "%zu,%zu", c0, c1);
    }
  } else {
    buf_puts(b, ",,");
  }
  buf_puts(b, ",");
  for (size_t i = 0; i < c->nm; i++) {
    buf_puts(b, ",");
    put_prob(b, r->prob[i]);
  }
  buf_puts(b, "\r\n");
}

void segment_lang(const job *j, size_t k, kuzat_normaliser *n, const char **lang,
                  const char **script) {
  const char *s = j->text + j->seg[k].off;
  int id = KUZAT_LANG_OTHER;
  if (n && kuzat_identify(n, s, j->seg[k].len, &id, NULL)) id = KUZAT_LANG_OTHER;
  *lang = kuzat_lang_name(id);
  *script = kuzat_script(s, j->seg[k].len);
}

static void put_segment_lang(buf *b, const job *j, size_t k, kuzat_normaliser *n) {
  const char *lang, *script;
  segment_lang(j, k, n, &lang, &script);
  buf_printf(b, ",\"lang\":\"%s\",\"script\":\"%s\"", lang, script);
}

static void format_jsonl(const ctx *c, job *j, const kuzat_result *r, kuzat_normaliser *n,
                         const kmatch *km) {
  buf *b = &j->out;
  buf_puts(b, "{\"id\":");
  json_string(b, j->id, j->id_len);
  buf_puts(b, j->flagged ? ",\"flagged\":true,\"score\":" : ",\"flagged\":false,\"score\":");
  put_prob(b, r->score);
  buf_puts(b, ",\"markers\":");
  put_markers(c, b, r->prob);
  buf_puts(b, ",\"lang\":\""); /* (not printf: every record) */
  buf_puts(b, kuzat_lang_name(r->lang));
  buf_puts(b, "\",\"script\":\"");
  buf_puts(b, j->script);
  buf_puts(b, "\"");
  if (j->encoding) put_encoding(b, j->encoding);
  buf_puts(b, ",\"model\":\"");
  buf_puts(b, c->model_id);
  buf_puts(b, "\"");
  if (j->full_len > j->text_len)
    buf_printf(b, ",\"truncated\":{\"scored\":%zu,\"bytes\":%zu}", j->text_len, j->full_len);
  /* the worst window: the one giving the verdict's probability (the
   * decision marker's, or the top marker's in a model without one) */
  size_t top = top_marker(c, r->prob);
  double t0, t1;
  size_t c0, c1;
  if (c->nm && worst_place(j, r, top, &t0, &t1, &c0, &c1)) {
    if (!j->nseg) buf_printf(b, ",\"windows\":%zu", r->windows);
    buf_puts(b, ",\"worst\":{\"start\":");
    if (j->nseg) {
      put_time(b, t0);
      buf_puts(b, ",\"end\":");
      put_time(b, t1);
    } else {
      buf_printf(b, "%zu,\"end\":%zu", c0, c1);
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
      int any = 0;
      for (size_t i = 0; i < c->nm; i++) any |= flag(c, sp, i);
      if (!any && !c->o->all_scores) continue;
      buf_puts(b, first ? "{\"start\":" : ",{\"start\":");
      first = 0;
      put_time(b, j->seg[k].start);
      buf_puts(b, ",\"end\":");
      put_time(b, j->seg[k].end);
      buf_puts(b, ",\"score\":");
      put_prob(b, top < c->nm ? sp[top] : 0);
      put_segment_lang(b, j, k, n);
      if (c->o->all_scores || c->nm > 1) {
        buf_puts(b, ",\"markers\":");
        put_markers(c, b, sp);
      }
      buf_puts(b, "}");
    }
    buf_puts(b, "]");
  }
  if (c->o->explain) put_explain(c, j, r);
  known_put_json(km, j, b);
  buf_puts(b, "}\n");
}

static void format_scores(const ctx *c, job *j, kuzat_scorer *s, kuzat_normaliser *n,
                          kmatch *km) {
  const kuzat_result *r;
  kuzat_error err;
  if (kuzat_score(s, j->text, j->text_len, j->seg, j->nseg, &c->sp, &r, &err) ||
      known_find(c, km, j, kuzat_scorer_text(s), &err)) {
    char msg[512];
    snprintf(msg, sizeof msg, "%.*s: %s", (int)(j->id_len > 200 ? 200 : j->id_len), j->id, err.msg);
    job_error(c, j, msg);
    return;
  }
  j->lang_id = r->lang;
  j->script = kuzat_script(j->text, j->text_len);
  j->flagged = verdict(c, r->prob);
  j->known = known_count(km) > 0;
  if (!j->prob && c->keep_probs && !(j->prob = malloc((c->nm + 1) * sizeof *j->prob))) {
    j->out.oom = 1;
    return;
  }
  if (j->prob) memcpy(j->prob, r->prob, c->nm * sizeof *j->prob);
  switch (c->o->out) {
  case OUT_PRETTY: format_pretty(c, j, r, km); break;
  case OUT_TSV: format_tsv(c, j, r); break;
  case OUT_CSV: format_csv(c, j, r); break;
  case OUT_HTML: html_document(c, j, r, n, km); break;
  default: format_jsonl(c, j, r, n, km);
  }
}

/* Score or normalise one job (its input is set), filling j->out; km
 * matches it against --known's indexes (NULL: none). */
void run_job(const ctx *c, job *j, kuzat_scorer *s, kuzat_normaliser **n, kmatch *km) {
  j->out.len = 0;
  j->out.oom = 0;
  j->bad = j->flagged = j->known = 0;
  j->script = "none";
  free(j->msg); /* for stderr: an error, or a --normalize cut */
  j->msg = NULL;
  /* the segments' languages need a normaliser of their own: made when the
   * first record with segments comes (most runs have none) */
  if (!j->error && j->nseg && !*n && kuzat_normaliser_new(NULL, n, NULL))
    job_error(c, j, "out of memory identifying the segments' languages");
  else if (j->error) job_error(c, j, j->error);
  else if (c->o->normalize) format_normalised(c, j, *n);
  else format_scores(c, j, s, *n, km);
  if (j->out.oom) {
    j->out.oom = 0;
    j->out.len = 0;
    job_error(c, j, "out of memory formatting this record");
    if (j->out.oom) j->out.len = 0;
  }
  if (!j->out.p) buf_put(&j->out, "", 0); /* fwrite() wants a buffer, even for nothing */
}
