/*
 * bench/featurize.c -- write labelled documents as libsvm-format lines
 * ("+1 3:0.12 17:-0.3 ..."), hashed exactly as kuzat-train hashes them, so
 * svm-train and liblinear-train can be timed on the same vectors.
 *
 * Usage: featurize POSITIVE-LABEL < data.tsv > data.svm
 * (TSV with "label" and "text" columns; rows whose label is POSITIVE-LABEL
 * get +1, the others -1.) A benchmark tool, not part of libkuzat.
 */
#include "kuzat.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: featurize POSITIVE-LABEL < data.tsv > data.svm\n");
    return 2;
  }
  kuzat_reader *r;
  kuzat_normaliser *n;
  kuzat_featuriser *f;
  kuzat_error err;
  if (kuzat_reader_open("-", KUZAT_FORMAT_TSV, NULL, NULL, &r, &err) ||
      kuzat_normaliser_new(NULL, &n, &err) || kuzat_featuriser_new(NULL, NULL, &f, &err)) {
    fprintf(stderr, "featurize: %s\n", err.msg);
    return 2;
  }
  kuzat_record rec;
  size_t plen = strlen(argv[1]);
  while (kuzat_reader_next(r, &rec, &err) == 1) {
    if (rec.error) continue;
    kuzat_text t;
    const kuzat_feature *v;
    size_t c;
    kuzat_normalise(n, rec.text, rec.text_len, 0, &t, NULL);
    kuzat_featurise(f, t.utf8, t.len, &v, &c, NULL);
    int pos = rec.labels_len == plen && memcmp(rec.labels, argv[1], plen) == 0;
    fputs(pos ? "+1" : "-1", stdout);
    for (size_t i = 0; i < c; i++) printf(" %d:%.17g", v[i].index, v[i].value);
    putchar('\n');
  }
  kuzat_reader_free(r);
  kuzat_normaliser_free(n);
  kuzat_featuriser_free(f);
  return 0;
}
