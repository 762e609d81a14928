/*
 * report.c -- what kuzat-train says: on stderr, the markers trained and
 * the quality tables (cross-validation, --dev); with --report, the same
 * figures as JSON; on a terminal, a progress bar while it trains.
 */
#include "kuzat_train.h"

#include <stdio.h>
#include <stdlib.h>

void show_progress(void *ud, double done) {
  progress *p = ud;
  int pct = (int)(done * 100);
  if (pct <= p->shown) return;
  p->shown = pct;
  int bar = pct / 4;
  fprintf(stderr, "\rtraining [%.*s%*s] %3d%%", bar, "=========================", 25 - bar, "", pct);
  if (pct >= 100) fputc('\n', stderr);
}

json_t *report_start(const kuzat_model *model, const kuzat_train_report *rep, long skipped,
                     long cut, int quiet) {
  json_t *root = json_pack("{s:s,s:s,s:I,s:I,s:I,s:f,s:[]}", "model", kuzat_model_id(model),
                           "kuzat", kuzat_version(), "rows", (json_int_t)rep->rows,
                           "skipped_rows", (json_int_t)skipped, "truncated_rows",
                           (json_int_t)cut, "seconds", rep->seconds, "markers");
  for (size_t k = 0; k < rep->markers; k++)
    json_array_append_new(json_object_get(root, "markers"),
                          json_pack("{s:s,s:f,s:I,s:I,s:I,s:f}", "name", rep->marker[k].name,
                                    "C", rep->marker[k].C, "positives",
                                    (json_int_t)rep->marker[k].positives, "negatives",
                                    (json_int_t)rep->marker[k].negatives, "support_vectors",
                                    (json_int_t)rep->marker[k].support_vectors, "seconds",
                                    rep->marker[k].seconds));
  if (!quiet) {
    fprintf(stderr, "kuzat-train: %zu rows, %zu markers, %.1f s; model %s\n", rep->rows,
            rep->markers, rep->seconds, kuzat_model_id(model));
    for (size_t k = 0; k < rep->markers; k++)
      fprintf(stderr, "  %-24s C=%-6g positives %zu, negatives %zu, support vectors %zu, %.1f s\n",
              rep->marker[k].name, rep->marker[k].C, rep->marker[k].positives,
              rep->marker[k].negatives, rep->marker[k].support_vectors, rep->marker[k].seconds);
  }
  return root;
}

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
json_t *report_block(const char *title, const kuzat_model *model, const double *scores,
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

