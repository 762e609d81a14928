/*
 * bench/normalise.c -- normaliser throughput, one thread (a benchmark, not
 * a test: it asserts nothing and its figures depend on the machine).
 *
 * Usage: normalise [-m MB] [-c BYTES] FILE...
 * Reads the records of every FILE (TSV with a "text" column, JSONL, or
 * lines) into memory (with -c, consecutive records of a file are joined
 * into documents of at least BYTES bytes), then normalises them over and over until at least MB
 * megabytes (default 200) have gone through, and prints MB/s and
 * documents/s for: ICU's decoding and NFKC_Casefold alone (the floor any
 * ICU-based normaliser pays, measured in the same run as a reference);
 * kuzat's steps 1-4; identification; full normalisation; normalisation plus
 * tokenising; normalisation plus the default features (word 1-2-grams,
 * character 2-5-grams, 2^20 buckets).
 */
#include "kuzat.h"
#include "internal.h" /* kuzat__normalise_fold: steps 1-4 alone */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

typedef struct doc {
  char *text;
  size_t len;
} doc;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static doc *docs;
static size_t ndocs, cap, total, min_doc; /* -c: join records up to this */

static int load(const char *path) {
  kuzat_reader *r;
  kuzat_error err;
  if (kuzat_reader_open(path, KUZAT_FORMAT_AUTO, NULL, NULL, &r, &err)) {
    fprintf(stderr, "normalise: %s\n", err.msg);
    return -1;
  }
  kuzat_record rec;
  int rc, open_doc = 0;
  while ((rc = kuzat_reader_next(r, &rec, &err)) == 1) {
    if (rec.error || !rec.text_len) continue;
    if (open_doc && docs[ndocs - 1].len < min_doc) { /* join: one document */
      doc *d = &docs[ndocs - 1];
      d->text = realloc(d->text, d->len + 1 + rec.text_len);
      d->text[d->len] = '\n';
      memcpy(d->text + d->len + 1, rec.text, rec.text_len);
      d->len += 1 + rec.text_len;
      total += 1 + rec.text_len;
      continue;
    }
    if (ndocs == cap) {
      cap = cap ? cap * 2 : 1024;
      docs = realloc(docs, cap * sizeof *docs);
    }
    docs[ndocs].text = malloc(rec.text_len);
    memcpy(docs[ndocs].text, rec.text, rec.text_len);
    docs[ndocs].len = rec.text_len;
    total += rec.text_len;
    ndocs++;
    open_doc = 1;
  }
  kuzat_reader_free(r);
  if (rc < 0) fprintf(stderr, "normalise: %s\n", err.msg);
  return rc;
}

/* ICU alone, the floor of any ICU-based normaliser: UTF-8 decoding with
 * substitution, then NFKC_Casefold, per document. */
static void icu_baseline(const char *s, size_t len) {
  static UChar u[1 << 20], o[1 << 21];
  UErrorCode st = U_ZERO_ERROR;
  int32_t ul;
  if (len > (1 << 19)) return;
  u_strFromUTF8WithSub(u, 1 << 20, &ul, s, (int32_t)len, 0xFFFD, NULL, &st);
  const UNormalizer2 *nf = unorm2_getNFKCCasefoldInstance(&st);
  unorm2_normalize(nf, u, ul, o, 1 << 21, &st);
}

/* mode 0: identify; 1: normalise; 2: normalise + tokenise; 3: fold only;
 * 4: ICU baseline; 5: normalise + featurise */
static kuzat_featuriser *feat;

static void run(kuzat_normaliser *n, int mode, double mb, const char *label) {
  static kuzat_token toks[1 << 16];
  size_t bytes = 0, count = 0, tokens = 0;
  double t0 = now();
  while ((double)bytes < mb * 1e6) {
    for (size_t i = 0; i < ndocs; i++) {
      kuzat_text t;
      int lang;
      if (mode == 4) {
        icu_baseline(docs[i].text, docs[i].len);
      } else if (mode == 3) {
        const int32_t *cp;
        size_t nc;
        kuzat__normalise_fold(n, docs[i].text, docs[i].len, &cp, &nc, NULL);
      } else if (mode == 0) {
        kuzat_identify(n, docs[i].text, docs[i].len, &lang, NULL);
      } else {
        kuzat_normalise(n, docs[i].text, docs[i].len, 0, &t, NULL);
        if (mode == 2) {
          size_t nt;
          kuzat_tokenise(t.utf8, t.len, toks, sizeof toks / sizeof toks[0], &nt);
          tokens += nt;
        } else if (mode == 5) {
          const kuzat_feature *v;
          size_t nf;
          kuzat_featurise(feat, t.utf8, t.len, &v, &nf, NULL);
          tokens += nf;
        }
      }
      bytes += docs[i].len;
      count++;
    }
  }
  double dt = now() - t0;
  printf("| %-28s | %8.1f | %10.0f |\n", label, (double)bytes / 1e6 / dt, (double)count / dt);
}

int main(int argc, char **argv) {
  double mb = 200;
  int i = 1;
  for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
    if (strcmp(argv[i], "-m") == 0) mb = atof(argv[i + 1]);
    else if (strcmp(argv[i], "-c") == 0) min_doc = (size_t)atol(argv[i + 1]);
    else break;
  }
  if (i >= argc) {
    fprintf(stderr, "usage: normalise [-m MB] [-c BYTES] FILE...\n");
    return 2;
  }
  for (; i < argc; i++)
    if (load(argv[i]) < 0) return 2;
  if (!ndocs) {
    fprintf(stderr, "normalise: no documents\n");
    return 2;
  }
  kuzat_normaliser *n;
  if (kuzat_normaliser_new(NULL, &n, NULL)) return 2;
  printf("corpus: %zu documents, %.1f MB, mean %.0f bytes; %.0f MB processed per row\n\n",
         ndocs, (double)total / 1e6, (double)total / (double)ndocs, mb);
  printf("| %-28s | %8s | %10s |\n|---|---:|---:|\n", "step (one thread)", "MB/s", "docs/s");
  run(n, 0, mb / 4, "warm-up (not reported)");
  printf("\n| %-28s | %8s | %10s |\n|---|---:|---:|\n", "step (one thread)", "MB/s", "docs/s");
  run(n, 4, mb, "ICU decode + NFKC_Casefold");
  run(n, 3, mb, "fold (steps 1-4)");
  run(n, 0, mb, "identify (steps 1-5)");
  run(n, 1, mb, "normalise (all steps)");
  run(n, 2, mb, "normalise + tokenise");
  kuzat_featuriser_new(NULL, NULL, &feat, NULL);
  run(n, 5, mb, "normalise + features");
  kuzat_featuriser_free(feat);
  kuzat_normaliser_free(n);
  for (size_t k = 0; k < ndocs; k++) free(docs[k].text);
  free(docs);
  return 0;
}
