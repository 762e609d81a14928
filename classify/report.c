/*
 * report.c -- every line counted as it is written: its message on
 * stderr, --eval's labelled records, the counts of --summary (records,
 * errors, flagged, per language, script, marker and encoding), the
 * progress line of --progress (files and bytes read, records a second,
 * time left when the total is known), and the flagged documents' parts
 * of the HTML page, kept in a temporary file until the page is written.
 * All of it runs in the writer's thread (ring.c), which sees the lines in
 * input order; the bytes and files read come from the reading thread
 * through atomics.
 */
#include "classify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
  size_t d = c->decision, others = 0;
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
  for (size_t i = 0; thr && i < e->nm; i++) thr[i] = c->thr[i];
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

/* ---- the counts ---- */

static void count_name(named_count *t, const char *name) {
  size_t i = 0;
  while (i < REPORT_NAMES && t[i].name && strcmp(t[i].name, name) != 0) i++;
  if (i == REPORT_NAMES) i--; /* more names than the table has: the last takes them */
  if (!t[i].name) t[i].name = name;
  t[i].n++;
}

static void count(report *rep, const ctx *c, const job *j) {
  rep->records++;
  if (j->bad) {
    rep->errors++;
    rep->not_text += j->status == KUZAT_ENOTTEXT;
    return;
  }
  int lang = j->lang_id >= 0 && j->lang_id < KUZAT_LANG_COUNT ? j->lang_id : KUZAT_LANG_OTHER;
  rep->lang_records[lang]++;
  rep->lang_flagged[lang] += j->flagged != 0;
  rep->flagged += j->flagged != 0;
  rep->known += j->known != 0;
  count_name(rep->scripts, j->script ? j->script : "none");
  if (j->encoding) count_name(rep->encodings, j->encoding);
  for (size_t i = 0; j->prob && rep->marker_flagged && i < c->nm; i++)
    rep->marker_flagged[i] += flag(c, j->prob, i);
}

/* ---- --progress ---- */

static double seconds_since(const struct timespec *t0) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void put_mb(buf *b, unsigned long long bytes) {
  buf_printf(b, "%.1f", (double)bytes / 1e6);
}

/* "3/12 files, 1.2/45.0 MB, 1234 records (56/s), 0:42 left" */
static void progress_line(const report *rep, buf *b) {
  double t = seconds_since(&rep->start);
  unsigned long files = atomic_load(&rep->files_done);
  unsigned long long bytes = atomic_load(&rep->bytes_read);
  buf_printf(b, "kuzat-classify: %lu", files);
  if (rep->total_known) buf_printf(b, "/%lu", rep->total_files);
  buf_puts(b, files == 1 && !rep->total_known ? " file, " : " files, ");
  put_mb(b, bytes);
  if (rep->total_known) {
    buf_puts(b, "/");
    put_mb(b, rep->total_bytes);
  }
  buf_printf(b, " MB, %zu records (%.0f/s)", rep->records, t > 0 ? (double)rep->records / t : 0.0);
  if (rep->total_known && bytes > 0 && bytes < rep->total_bytes && t > 0) {
    double left = (double)(rep->total_bytes - bytes) / ((double)bytes / t);
    long s = (long)(left + 0.5);
    buf_printf(b, ", %ld:%02ld left", s / 60, s % 60);
  }
}

/* The progress line: in place on a terminal, at most 5 times a second;
 * elsewhere (a log) a line every 2 seconds; and the last one. */
static void progress(report *rep, int last) {
  double since = seconds_since(&rep->shown);
  if (!last && since < (rep->tty ? 0.2 : 2.0)) return;
  clock_gettime(CLOCK_MONOTONIC, &rep->shown);
  buf b = {NULL, 0, 0, 0};
  if (rep->tty) buf_puts(&b, "\r");
  progress_line(rep, &b);
  buf_puts(&b, rep->tty ? (last ? "\033[K\n" : "\033[K") : "\n");
  if (!b.oom) fwrite(b.p, 1, b.len, stderr);
  free(b.p);
  rep->drawn = rep->tty && !last;
}

/* ---- the run ---- */

int report_start(run *R, int argc, char **argv) {
  report *rep = &R->rep;
  const opts *o = R->c.o;
  clock_gettime(CLOCK_MONOTONIC, &rep->start);
  rep->shown = rep->start;
  rep->tty = isatty(2);
  R->w.rep = rep;
  if (R->c.nm && !(rep->marker_flagged = calloc(R->c.nm, sizeof *rep->marker_flagged))) {
    fprintf(stderr, "kuzat-classify: out of memory\n");
    return 2;
  }
  if (o->progress) walk_sizes(rep, argc, argv);
  if (o->out == OUT_HTML && !(rep->html = tmpfile())) {
    fprintf(stderr, "kuzat-classify: a temporary file for the page: %s\n", strerror(errno));
    return 2;
  }
  return 0;
}

int job_done(run *R, job *j) {
  int failed = 0;
  report *rep = &R->rep;
  const opts *o = R->c.o;
  if (!o->quiet && j->msg) {
    if (rep->drawn) fputs("\r\033[K", stderr); /* the message where the progress line was */
    rep->drawn = 0;
    fprintf(stderr, "kuzat-classify: %s\n", j->msg);
  }
  if (o->eval && !o->normalize) eval_add(&R->ev, &R->c, j);
  if (!o->normalize) count(rep, &R->c, j);
  else rep->records++;
  if (rep->html) { /* the page is written at the end; the writer writes nothing now */
    if (j->out.len && fwrite(j->out.p, 1, j->out.len, rep->html) != j->out.len) failed = 1;
    j->out.len = 0;
  }
  if (o->progress) progress(rep, 0);
  return failed;
}

static void summary_text(const report *rep, const ctx *c) {
  fprintf(stderr, "kuzat-classify: summary: %zu records read, %zu errors", rep->records, rep->errors);
  if (rep->not_text) fprintf(stderr, " (%zu not text)", rep->not_text);
  if (c->model) fprintf(stderr, ", %zu flagged", rep->flagged);
  fprintf(stderr, "\n");
  if (!c->model) return;
  fprintf(stderr, "  %-10s %8s %8s\n", "language", "records", "flagged");
  for (int l = 1; l <= KUZAT_LANG_COUNT; l++) { /* "other" last */
    int k = l % KUZAT_LANG_COUNT;
    if (rep->lang_records[k])
      fprintf(stderr, "  %-10s %8zu %8zu\n", kuzat_lang_name(k), rep->lang_records[k],
              rep->lang_flagged[k]);
  }
  fprintf(stderr, "  %-24s %8s\n", "marker", "flagged");
  for (size_t i = 0; i < c->nm; i++)
    fprintf(stderr, "  %-24s %8zu\n", kuzat_model_marker(c->model, i), rep->marker_flagged[i]);
  for (int t = 0; t < 2; t++) {
    const named_count *nc = t ? rep->encodings : rep->scripts;
    if (!nc[0].name) continue;
    fprintf(stderr, "  %s:", t ? "converted from" : "scripts");
    for (size_t i = 0; i < REPORT_NAMES && nc[i].name; i++)
      fprintf(stderr, " %s %zu", nc[i].name, nc[i].n);
    fprintf(stderr, "\n");
  }
}

static void json_counts(buf *b, const char *key, const named_count *nc) {
  buf_printf(b, ",\"%s\":{", key);
  for (size_t i = 0; i < REPORT_NAMES && nc[i].name; i++) {
    if (i) buf_puts(b, ",");
    json_string(b, nc[i].name, strlen(nc[i].name));
    buf_printf(b, ":%zu", nc[i].n);
  }
  buf_puts(b, "}");
}

/* --summary=json: one object on one line of stderr. */
static void summary_json(const report *rep, const ctx *c) {
  buf b = {NULL, 0, 0, 0};
  buf_printf(&b, "{\"records\":%zu,\"errors\":%zu,\"not_text\":%zu", rep->records, rep->errors,
             rep->not_text);
  if (c->model) {
    buf_printf(&b, ",\"flagged\":%zu,\"languages\":{", rep->flagged);
    int first = 1;
    for (int l = 1; l <= KUZAT_LANG_COUNT; l++) {
      int k = l % KUZAT_LANG_COUNT;
      if (!rep->lang_records[k]) continue;
      buf_printf(&b, "%s\"%s\":{\"records\":%zu,\"flagged\":%zu}", first ? "" : ",",
                 kuzat_lang_name(k), rep->lang_records[k], rep->lang_flagged[k]);
      first = 0;
    }
    buf_puts(&b, "},\"markers\":{");
    for (size_t i = 0; i < c->nm; i++) {
      if (i) buf_puts(&b, ",");
      json_string(&b, kuzat_model_marker(c->model, i), strlen(kuzat_model_marker(c->model, i)));
      buf_printf(&b, ":%zu", rep->marker_flagged[i]);
    }
    buf_puts(&b, "}");
    json_counts(&b, "scripts", rep->scripts);
  }
  json_counts(&b, "encodings", rep->encodings);
  buf_puts(&b, "}\n");
  if (!b.oom) fwrite(b.p, 1, b.len, stderr);
  free(b.p);
}

int report_finish(run *R) {
  report *rep = &R->rep;
  const opts *o = R->c.o;
  int rc = 0;
  if (o->progress) progress(rep, 1);
  if (o->eval && !o->normalize) eval_report(&R->ev, &R->c);
  if (o->summary == SUMMARY_TEXT) summary_text(rep, &R->c);
  if (o->summary == SUMMARY_JSON) summary_json(rep, &R->c);
  if (rep->html && !R->write_failed && html_page(&R->c, rep, stdout)) {
    fprintf(stderr, "kuzat-classify: write error: %s\n", strerror(errno));
    rc = 2;
  }
  return rc;
}

void report_free(run *R) {
  free(R->rep.marker_flagged);
  if (R->rep.html) fclose(R->rep.html);
  free(R->ev.prob);
  free(R->ev.truth);
  free(R->ev.lang);
}
