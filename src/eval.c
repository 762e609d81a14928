/*
 * eval.c -- quality tables: per marker, overall and per language.
 *
 * kuzat-train (cross-validation, --dev) and kuzat-classify (--eval) both
 * report the quality of scores against labels in the same table: for each
 * marker, its metrics over every row and over the rows of each language
 * present. This is that table, computed once, here. A truth below 0 (a
 * row whose kind is unknown to a marker: kuzat_train_params.decision)
 * leaves the row out of that marker's cells.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

int kuzat_eval_tables(const double *prob, const int *truth, const int *lang, size_t rows,
                      size_t markers, const double *thresholds, const kuzat_allocator *alloc,
                      kuzat_eval_cell **out, size_t *ncells, kuzat_error *err) {
  kuzat__error_clear(err);
  if (out) *out = NULL;
  if (ncells) *ncells = 0;
  if (!out || !ncells || (rows && markers && (!prob || !truth || !lang || !thresholds)) ||
      (markers && !thresholds))
    return kuzat__fail(err, KUZAT_EINVAL, "NULL argument");
  kz_alloc a;
  kuzat__alloc_init(&a, alloc);
  /* the languages present, in kuzat_lang order */
  int present[KUZAT_LANG_COUNT] = {0};
  size_t nlang = 0;
  for (size_t r = 0; r < rows; r++)
    if (lang[r] >= 0 && lang[r] < KUZAT_LANG_COUNT && !present[lang[r]]++) nlang++;
  size_t cap = markers * (1 + nlang);
  kuzat_eval_cell *c = kuzat__calloc(&a, cap + 1, sizeof *c);
  double *s = kuzat__malloc(&a, (rows + 1) * sizeof *s);
  int *y = kuzat__malloc(&a, (rows + 1) * sizeof *y);
  int rc = (!c || !s || !y) ? KUZAT_ENOMEM : KUZAT_OK;
  size_t n = 0;
  for (size_t k = 0; !rc && k < markers; k++)
    for (int l = -1; !rc && l < KUZAT_LANG_COUNT; l++) {
      if (l >= 0 && !present[l]) continue;
      size_t m = 0;
      for (size_t r = 0; r < rows; r++)
        if ((l < 0 || lang[r] == l) && truth[r * markers + k] >= 0) {
          s[m] = prob[r * markers + k];
          y[m++] = truth[r * markers + k];
        }
      c[n].marker = k;
      c[n].lang = l;
      rc = kuzat_metrics_compute(s, y, m, thresholds[k], alloc, &c[n].m);
      n++;
    }
  kuzat__free(&a, s);
  kuzat__free(&a, y);
  if (rc) {
    kuzat__free(&a, c);
    return kuzat__fail(err, rc, rc == KUZAT_ENOMEM ? "out of memory"
                                                   : "a score is NaN or a truth is not 0 or 1");
  }
  *out = c;
  *ncells = n;
  return KUZAT_OK;
}

void kuzat_eval_free(kuzat_eval_cell *cells, const kuzat_allocator *alloc) {
  kz_alloc a;
  kuzat__alloc_init(&a, alloc);
  kuzat__free(&a, cells);
}
