/*
 * test_fuzz_regress.c -- every input that ever crashed a fuzz target
 * (tests/fuzz/regress/<target>/) and every seed (tests/fuzz/corpus/<target>/)
 * through the target's entry function, as libFuzzer would run it. A broken
 * promise aborts the program, which tests/run.sh reports as a failure;
 * memory errors show under `make SANITIZER=address,undefined test`.
 * KUZAT_TEST_QUICK=1 (valgrind) replays only tests/fuzz/regress/.
 */
#include "../fuzz/fuzz.c"

#include "check.h"

#include <dirent.h>

typedef int (*kz_entry)(const uint8_t *data, size_t size);

static const struct {
  const char *name;
  kz_entry fn;
} targets[] = {
    {"reader_text", kz_fuzz_reader_text},   {"reader_tsv", kz_fuzz_reader_tsv},
    {"reader_jsonl", kz_fuzz_reader_jsonl}, {"reader_srt", kz_fuzz_reader_srt},
    {"reader_vtt", kz_fuzz_reader_vtt},     {"reader_whisper", kz_fuzz_reader_whisper},
    {"reader_gzip", kz_fuzz_reader_gzip},   {"model_mem", kz_fuzz_model_mem},
    {"model_file", kz_fuzz_model_file},     {"normalise", kz_fuzz_normalise},
    {"score", kz_fuzz_score},               {"known_mem", kz_fuzz_known_mem},
    {"score", kz_fuzz_score},               {"charset", kz_fuzz_charset},
    {"html", kz_fuzz_html},
};

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run every file of dir/name through fn; the number of files run. */
static int replay(const char *dir, const char *name, kz_entry fn) {
  char path[4096];
  snprintf(path, sizeof path, "tests/fuzz/%s/%s", dir, name);
  DIR *d = opendir(path);
  if (!d) return 0;
  char *files[512];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 512)
    if (e->d_name[0] != '.') files[n++] = strdup(e->d_name);
  closedir(d);
  qsort(files, (size_t)n, sizeof *files, cmp_names);
  for (int i = 0; i < n; i++) {
    char file[8192];
    snprintf(file, sizeof file, "%s/%s", path, files[i]);
    FILE *f = fopen(file, "rb");
    uint8_t *bytes = NULL;
    long len = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (bytes = malloc((size_t)len + 1)) && fread(bytes, 1, (size_t)len, f) == (size_t)len) {
      fn(bytes, (size_t)len);
      CHECK(1, "%s", file);
    } else {
      CHECK(0, "cannot read %s", file);
    }
    if (f) fclose(f);
    free(bytes);
    free(files[i]);
  }
  return n;
}

int main(void) {
  if (kz_fuzz_init(".")) {
    CHECK(0, "cannot set up the fuzz targets (run from the repository's top directory)");
    return kt_done();
  }
  const char *quick = getenv("KUZAT_TEST_QUICK");
  int seeds = 0, crashes = 0;
  for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++) {
    if (!(quick && *quick)) seeds += replay("corpus", targets[t].name, targets[t].fn);
    crashes += replay("regress", targets[t].name, targets[t].fn);
  }
  printf("info - fuzz targets: %d seeds and %d past crashes replayed\n", seeds, crashes);
  for (int i = 0; i < 2; i++) {
    kuzat_scorer_free(kz_scorers[i]);
    kuzat_model_free(kz_models[i]);
  }
  kuzat_normaliser_free(kz_norm);
  kuzat_known_matcher_free(kz_matcher);
  if (kz_fd >= 0) close(kz_fd);
  return kt_done();
}
