/*
 * keys.c -- how many hashed features (keys) the scorer counts per input
 * byte: every word and character n-gram occurrence of a model's feature
 * parameters, over a file of documents, one a line (the figure behind
 * bench/PROFILE-NOTES.md's cost per key).
 *
 *   make build/bench/keys && build/bench/keys MODEL TEXTS
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

static void count_key(void *ud, uint64_t hash, int ns, const char *bytes, size_t len,
                      size_t start, size_t end) {
  (void)hash, (void)ns, (void)bytes, (void)len, (void)start, (void)end;
  ++*(size_t *)ud;
}

int main(int argc, char **argv) {
  if (argc != 3) return fprintf(stderr, "usage: keys MODEL TEXTS\n"), 2;
  kuzat_error err;
  kuzat_model *m;
  kuzat_normaliser *n;
  kuzat_featuriser *f;
  FILE *in = fopen(argv[2], "r");
  if (!in) return perror(argv[2]), 1;
  if (kuzat_model_load_file(argv[1], NULL, &m, &err)) return fprintf(stderr, "%s\n", err.msg), 1;
  kuzat_feature_params fp;
  kuzat_model_feature_params(m, &fp);
  if (kuzat_normaliser_new(NULL, &n, &err) || kuzat_featuriser_new(&fp, NULL, &f, &err))
    return fprintf(stderr, "%s\n", err.msg), 1;
  static char line[1 << 20];
  size_t keys = 0, bytes = 0, docs = 0;
  while (fgets(line, sizeof line, in)) {
    size_t len = strlen(line);
    kuzat_text t;
    bytes += len;
    docs++;
    if (kuzat_normalise(n, line, len, 0, &t, &err) == KUZAT_OK)
      kuzat__featurise_visit(f, t.utf8, t.len, count_key, &keys);
  }
  printf("%zu documents, %zu bytes, %zu keys: %.2f keys a byte\n", docs, bytes, keys,
         bytes ? (double)keys / (double)bytes : 0.0);
  fclose(in);
  kuzat_featuriser_free(f);
  kuzat_normaliser_free(n);
  kuzat_model_free(m);
  return 0;
}
