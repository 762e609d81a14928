/*
 * test_transfer.c -- cross-script transfer: a model trained on Uzbek Latin
 * only scores the same texts written in Uzbek Cyrillic alike, because the
 * normaliser makes them the same text.
 *
 * The Uzbek Latin rows of datasets/kuzat-set are rewritten here in Cyrillic
 * by the official correspondence (sh ш, ch ч, oʻ ў, gʻ ғ, q қ, h ҳ, x х, j ж,
 * yo ё, yu ю, ya я, ye е, word-initial e э, ʼ ъ), the way an Uzbek reader
 * who prefers the old script would type them: links, handles and foreign
 * words (cobalt, show) stay in Latin.
 */
#include "check.h"
#include "kuzat.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXROWS 4000

typedef struct row {
  char *text, *labels;
  int test;
} row;

static row rows[MAXROWS];
static size_t nrows;

static void load(const char *path, int test) {
  kuzat_reader *r;
  kuzat_error err;
  if (kuzat_reader_open(path, KUZAT_FORMAT_TSV, NULL, NULL, &r, &err)) {
    printf("# %s\n", err.msg);
    return;
  }
  kuzat_record rec;
  while (kuzat_reader_next(r, &rec, &err) == 1 && nrows < MAXROWS) {
    if (rec.error || rec.lang_len != 7 || memcmp(rec.lang, "uz-Latn", 7) != 0) continue;
    rows[nrows].text = strndup(rec.text, rec.text_len);
    rows[nrows].labels = strndup(rec.labels, rec.labels_len);
    rows[nrows].test = test;
    nrows++;
  }
  kuzat_reader_free(r);
}

static int is_vowel(unsigned c) { return c && strchr("aeiou", (int)c) != NULL; }

/* A word a Cyrillic writer leaves in Latin: a link, a handle, or a foreign
 * word (one with c outside ch, or w: letters Uzbek Latin does not have). */
static size_t foreign_word(const char *p, size_t n) {
  size_t k = 0;
  while (k < n && p[k] != ' ') k++;
  if ((k >= 4 && strncmp(p, "http", 4) == 0) || p[0] == '@') return k;
  for (size_t i = 0; i < k; i++)
    if ((p[i] == 'c' && (i + 1 == k || p[i + 1] != 'h')) || p[i] == 'w') return k;
  return 0;
}

/* Normalised Uzbek Latin (lower case, ʻ ʼ) to Cyrillic. */
static char *to_cyrillic(const char *s, size_t n) {
  char *out = malloc(4 * n + 1), *o = out;
  int start = 1;
  unsigned prev = 0;
  for (size_t i = 0; i < n;) {
    const char *p = s + i;
    unsigned c = (unsigned char)*p;
    const char *cyr = NULL;
    size_t used = 1, foreign = start ? foreign_word(p, n - i) : 0;
    if (foreign) { /* copied as it is */
      memcpy(o, p, foreign);
      o += foreign;
      i += foreign;
      prev = 0;
      continue;
    }
#define IS(str) (strncmp(p, str, strlen(str)) == 0 && (used = strlen(str)))
    if (IS("yo\xCA\xBB")) cyr = "йў"; /* yoʻl: й + ў, not ё + ʻ */
    else if (IS("o\xCA\xBB")) cyr = "ў";
    else if (IS("g\xCA\xBB")) cyr = "ғ";
    else if (IS("s\xCA\xBCh")) cyr = "сҳ";
    else if (IS("sh")) cyr = "ш";
    else if (IS("ch")) cyr = "ч";
    else if (IS("yo")) cyr = "ё";
    else if (IS("yu")) cyr = "ю";
    else if (IS("ya")) cyr = "я";
    else if ((start || is_vowel(prev)) && IS("ye")) cyr = "е";
    else if (IS("\xCA\xBC")) cyr = "ъ";
    else if (c == 'e') cyr = start || is_vowel(prev) ? "э" : "е";
    else if (c >= 'a' && c <= 'z') {
      static const char *const map[26] = {"а", "б", "с", "д", "е", "ф", "г", "ҳ", "и", "ж",
                                          "к", "л", "м", "н", "о", "п", "қ", "р", "с", "т",
                                          "у", "в", "в", "х", "й", "з"};
      cyr = map[c - 'a'];
    }
#undef IS
    if (cyr) {
      size_t k = strlen(cyr);
      memcpy(o, cyr, k);
      o += k;
      prev = (unsigned char)p[used - 1];
      start = 0;
    } else {
      size_t k = 1; /* copy one UTF-8 character as it is */
      while (i + k < n && ((unsigned char)s[i + k] & 0xC0) == 0x80) k++;
      memcpy(o, p, k);
      o += k;
      used = k;
      start = 1; /* after a space, a digit or punctuation (« — too) a new word begins */
      prev = 0;
    }
    i += used;
  }
  *o = '\0';
  return out;
}

int main(void) {
  load("datasets/kuzat-set/train.tsv", 0);
  load("datasets/kuzat-set/test.tsv", 1);
  if (!CHECK(nrows >= 100, "Uzbek Latin rows of datasets/kuzat-set: %zu", nrows)) return kt_done();

  kuzat_trainset *t;
  kuzat_error err;
  kuzat_trainset_new(NULL, NULL, &t, &err);
  for (size_t i = 0; i < nrows; i++) {
    if (rows[i].test) continue;
    const char *lab = strstr(rows[i].labels, "propaganda") ? "propaganda" : "";
    char group[32];
    snprintf(group, sizeof group, "g%zu", i);
    kuzat_trainset_add(t, rows[i].text, strlen(rows[i].text), lab, strlen(lab), "uz-Latn", 7,
                       group, strlen(group), &err);
  }
  kuzat_train_params p;
  kuzat_train_params_default(&p);
  kuzat_model *m = NULL;
  int rc = kuzat_train(t, &p, &m, NULL, &err);
  kuzat_trainset_free(t);
  if (!CHECK(rc == KUZAT_OK, "train on Uzbek Latin only: %s", err.msg)) return kt_done();

  kuzat_scorer *s;
  kuzat_normaliser *n;
  kuzat_scorer_new(m, NULL, &s, NULL);
  kuzat_normaliser_new(NULL, &n, NULL);
  size_t same_text = 0, cyrl = 0, close = 0, cyrl_close = 0;
  double worst = 0;
  for (size_t i = 0; i < nrows; i++) {
    kuzat_text nt;
    kuzat_normalise(n, rows[i].text, strlen(rows[i].text), 0, &nt, NULL);
    char *latin = strndup(nt.utf8, nt.len);
    char *cyr = to_cyrillic(latin, strlen(latin));
    kuzat_normalise(n, cyr, strlen(cyr), 0, &nt, NULL);
    same_text += nt.len == strlen(latin) && memcmp(nt.utf8, latin, nt.len) == 0;
    if (getenv("KUZAT_TEST_VERBOSE") && (nt.len != strlen(latin) || memcmp(nt.utf8, latin, nt.len)))
      printf("# %s\n#   %s\n#   %.*s\n", latin, cyr, (int)nt.len, nt.utf8);
    const kuzat_result *r;
    kuzat_score(s, rows[i].text, strlen(rows[i].text), NULL, 0, NULL, &r, NULL);
    double pl = r->prob[0];
    kuzat_score(s, cyr, strlen(cyr), NULL, 0, NULL, &r, NULL);
    cyrl += r->lang == KUZAT_LANG_UZ_CYRL;
    double d = fabs(r->prob[0] - pl);
    close += d <= 0.01;
    cyrl_close += r->lang == KUZAT_LANG_UZ_CYRL && d <= 0.01;
    if (d > worst) worst = d;
    free(latin);
    free(cyr);
  }
  /* short texts with a link or hashtags may be taken for Tajik (2 of 1,013
   * when this was written: see models/MODEL_CARD.md); they are allowed to
   * differ, every text identified as Uzbek Cyrillic must not */
  CHECK(cyrl * 1000 >= nrows * 995, "the Cyrillic rewrites are identified as uz-Cyrl: %zu of %zu",
        cyrl, nrows);
  CHECK(same_text * 100 >= nrows * 95, "the normaliser makes %zu of %zu Cyrillic rewrites the "
        "very text of their Latin original", same_text, nrows);
  CHECK(cyrl_close == cyrl, "a model trained on Uzbek Latin scores every rewrite identified as "
        "Uzbek Cyrillic within 0.01 of its original: %zu of %zu", cyrl_close, cyrl);
  printf("info - cross-script transfer: %zu of %zu texts normalise identically, scores within "
         "0.01 for %zu, largest difference %.4f\n", same_text, nrows, close, worst);
  kuzat_scorer_free(s);
  kuzat_normaliser_free(n);
  kuzat_model_free(m);
  for (size_t i = 0; i < nrows; i++) {
    free(rows[i].text);
    free(rows[i].labels);
  }
  return kt_done();
}
