/*
 * bench/score.c -- scoring throughput, one thread (a benchmark, not a
 * test: it asserts nothing and its figures depend on the machine).
 *
 * Usage: score MODEL FILE [MODE]
 * Reads FILE, one document per line, into memory and scores every line,
 * timing: "split" -- kuzat_normalise, kuzat_featurise, kuzat_model_decision
 * (what score_range() did); "dot" -- kuzat_normalise then
 * kuzat__model_dot; "norm" -- kuzat_normalise alone. MODE picks one
 * (for callgrind), default all three. Prints MB/s and a checksum of the
 * decision values (the same for split and dot).
 */
#include "kuzat.h"
#include "internal.h" /* kuzat__model_dot */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void run(const char *mode, const kuzat_model *m, char **line, size_t *len, size_t n,
                size_t total) {
  kuzat_normaliser *nz;
  kuzat_featuriser *f;
  kuzat_feature_params fp;
  kuzat_model_feature_params(m, &fp);
  kuzat_normaliser_new(NULL, &nz, NULL);
  kuzat_featuriser_new(&fp, NULL, &f, NULL);
  size_t nm = kuzat_model_markers(m);
  double *dec = calloc(nm ? nm : 1, sizeof *dec), sum = 0;
  double t0 = now();
  for (size_t i = 0; i < n; i++) {
    kuzat_text t;
    if (kuzat_normalise(nz, line[i], len[i], 0, &t, NULL)) continue;
    if (!strcmp(mode, "split")) {
      const kuzat_feature *x;
      size_t c;
      if (kuzat_featurise(f, t.utf8, t.len, &x, &c, NULL) ||
          kuzat_model_decision(m, x, dec, NULL))
        continue;
    } else if (!strcmp(mode, "dot")) {
      if (kuzat__model_dot(m, f, t.utf8, t.len, dec)) continue;
    } else {
      continue;
    }
    for (size_t k = 0; k < nm; k++) sum += dec[k];
  }
  double dt = now() - t0;
  printf("%-6s %8.2f MB/s  %9.0f docs/s  checksum %.17g\n", mode, (double)total / dt / 1e6,
         (double)n / dt, sum);
  free(dec);
  kuzat_featuriser_free(f);
  kuzat_normaliser_free(nz);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: score MODEL FILE [split|dot|norm]\n");
    return 2;
  }
  kuzat_model *m;
  kuzat_error err;
  if (kuzat_model_load_file(argv[1], NULL, &m, &err)) {
    fprintf(stderr, "score: %s\n", err.msg);
    return 2;
  }
  FILE *fp = fopen(argv[2], "rb");
  if (!fp) {
    perror(argv[2]);
    return 2;
  }
  char **line = NULL, *buf = NULL;
  size_t *len = NULL, n = 0, cap = 0, total = 0, bcap = 0;
  ssize_t l;
  while ((l = getline(&buf, &bcap, fp)) > 0) {
    if (buf[l - 1] == '\n') l--;
    if (n == cap) {
      cap = cap ? 2 * cap : 1024;
      line = realloc(line, cap * sizeof *line);
      len = realloc(len, cap * sizeof *len);
    }
    line[n] = malloc((size_t)l + 1);
    memcpy(line[n], buf, (size_t)l);
    len[n++] = (size_t)l;
    total += (size_t)l + 1;
  }
  fclose(fp);
  free(buf);
  if (argc > 3) {
    run(argv[3], m, line, len, n, total);
  } else {
    run("norm", m, line, len, n, total);
    run("split", m, line, len, n, total);
    run("dot", m, line, len, n, total);
  }
  for (size_t i = 0; i < n; i++) free(line[i]);
  free(line);
  free(len);
  kuzat_model_free(m);
  return 0;
}
