/*
 * known.c -- what known-content matching costs (issue 21): building an
 * index of N known documents, its size on disk and in memory, loading it,
 * and matching against it, beside scoring with the default model.
 *
 *   make build/bench/known && build/bench/known [N] [OUT.kzk]
 *
 * Run from the repository's top directory. The N known documents (default
 * 100,000) are made from the rows of datasets/kuzat-set: each is a row
 * with every word, with probability 0.3, replaced by a word of another row
 * of the same language, so they are distinct texts in the languages and
 * lengths of real ones. Queries: unrelated posts (the sentences of
 * datasets/langid) and transcripts of 20 of them; known posts (the rows of
 * datasets/kuzat-set the index was made from, each matching several known
 * documents) and transcripts of 20 of them. One thread.
 * Memory is counted through the index's allocator (the bytes it holds
 * once loaded). Times are the thread's CPU time (steadier than wall time
 * on a busy machine). Prints one line per figure.
 */
#include "kuzat.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* This thread's CPU time: steadier than wall time on a shared machine. */
static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t rng = 21;
static size_t below(size_t n) {
  rng = rng * 6364136223846793005ull + 1442695040888963407ull;
  return (size_t)((rng >> 33) % n);
}

/* ---- an allocator that counts the bytes it holds ---- */

static size_t live;
static void *c_alloc(void *ud, size_t n) {
  (void)ud;
  size_t *p = malloc(n + 16);
  if (!p) return NULL;
  p[0] = n;
  live += n;
  return (char *)p + 16;
}
static void c_free(void *ud, void *q) {
  (void)ud;
  if (!q) return;
  size_t *p = (size_t *)((char *)q - 16);
  live -= p[0];
  free(p);
}
static void *c_realloc(void *ud, void *q, size_t n) {
  if (!q) return c_alloc(ud, n);
  size_t *p = (size_t *)((char *)q - 16);
  size_t old = p[0];
  size_t *r = realloc(p, n + 16);
  if (!r) return NULL;
  r[0] = n;
  live = live - old + n;
  return (char *)r + 16;
}
static const kuzat_allocator counting = {c_alloc, c_realloc, c_free, NULL};

/* ---- the rows ---- */

typedef struct row {
  char *text, *lang;
  size_t len;
} row;
static row *rows;
static size_t nrows;

static void load(const char *path) {
  kuzat_reader *r;
  kuzat_error err;
  if (kuzat_reader_open(path, KUZAT_FORMAT_TSV, NULL, NULL, &r, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    exit(1);
  }
  kuzat_record rec;
  while (kuzat_reader_next(r, &rec, &err) == 1) {
    if (rec.error || !rec.text_len) continue;
    rows = realloc(rows, (nrows + 1) * sizeof *rows);
    rows[nrows].text = strndup(rec.text, rec.text_len);
    rows[nrows].len = rec.text_len;
    rows[nrows].lang = strndup(rec.lang, rec.lang_len);
    nrows++;
  }
  kuzat_reader_free(r);
}

/* A random word of a row of language `lang` into out. */
static void some_word(const char *lang, char *out, size_t cap) {
  for (;;) {
    const row *o = &rows[below(nrows)];
    if (strcmp(o->lang, lang) != 0) continue;
    size_t start = below(o->len);
    while (start > 0 && o->text[start - 1] != ' ') start--;
    size_t end = start;
    while (end < o->len && o->text[end] != ' ') end++;
    if (end == start || end - start >= cap) continue;
    memcpy(out, o->text + start, end - start);
    out[end - start] = '\0';
    return;
  }
}

/* Known document i: a row with words replaced at probability 0.3. */
static size_t make_doc(char *out, size_t cap) {
  const row *r = &rows[below(nrows)];
  size_t n = 0;
  char word[256];
  for (size_t i = 0; i < r->len && n + 300 < cap;) {
    size_t j = i;
    while (j < r->len && r->text[j] != ' ') j++;
    if (below(10) < 3) {
      some_word(r->lang, word, sizeof word);
      n += (size_t)snprintf(out + n, cap - n, "%s", word);
    } else {
      memcpy(out + n, r->text + i, j - i);
      n += j - i;
    }
    if (j < r->len) out[n++] = ' ';
    i = j + 1;
  }
  return n;
}

int main(int argc, char **argv) {
  size_t N = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 100000;
  const char *out = argc > 2 ? argv[2] : "/tmp/kuzat-bench-known.kzk";
  load("datasets/kuzat-set/train.tsv");
  load("datasets/kuzat-set/test.tsv");
  if (nrows < 1000) return fprintf(stderr, "run from the top directory\n"), 1;
  kuzat_error err;

  /* build */
  kuzat_known *k;
  if (kuzat_known_new(NULL, &counting, &k, &err)) return fprintf(stderr, "%s\n", err.msg), 1;
  char doc[8192], id[32];
  double t0 = now();
  size_t bytes = 0;
  for (size_t i = 0; i < N; i++) {
    size_t n = make_doc(doc, sizeof doc);
    int idn = snprintf(id, sizeof id, "k%zu", i);
    bytes += n;
    if (kuzat_known_add(k, id, (size_t)idn, doc, n, "propaganda", 10, &err))
      return fprintf(stderr, "add: %s\n", err.msg), 1;
  }
  double t_build = now() - t0;
  size_t mem_built = live;
  t0 = now();
  if (kuzat_known_save(k, out, &err)) return fprintf(stderr, "%s\n", err.msg), 1;
  double t_save = now() - t0;
  kuzat_known_free(k);
  struct stat sb;
  stat(out, &sb);
  live = 0;
  t0 = now();
  if (kuzat_known_load_file(out, &counting, &k, &err)) return fprintf(stderr, "%s\n", err.msg), 1;
  double t_load = now() - t0;
  size_t mem_loaded = live;
  printf("known documents: %zu (%.1f MB of text, %.0f bytes each)\n", N, (double)bytes / 1e6,
         (double)bytes / (double)N);
  printf("build: %.2f s (%.0f documents/s)\n", t_build, (double)N / t_build);
  printf("save: %.2f s; file: %.2f MB (%.0f bytes a document)\n", t_save,
         (double)sb.st_size / 1e6, (double)sb.st_size / (double)N);
  printf("load: %.3f s\n", t_load);
  printf("memory held by the index: %.2f MB loaded (%.0f bytes a document; %.2f x the file), "
         "%.2f MB as built\n", (double)mem_loaded / 1e6, (double)mem_loaded / (double)N,
         (double)mem_loaded / (double)sb.st_size, (double)mem_built / 1e6);

  /* queries: posts and transcripts of 20 posts, of known content (the
   * kuzat-set rows the known documents were made from) and of unrelated
   * text (the sentences of datasets/langid, written for language
   * identification) */
  static const char *const unrelated[] = {"ar", "en.short", "en", "fa", "ky.short", "ky", "ru",
                                          "tg.short", "tg", "uz-Cyrl.short", "uz-Cyrl",
                                          "uz-Latn.short", "uz-Latn"};
  char **sent = NULL;
  size_t nsent = 0;
  for (size_t f = 0; f < sizeof unrelated / sizeof unrelated[0]; f++) {
    char path[256];
    snprintf(path, sizeof path, "datasets/langid/%s.txt", unrelated[f]);
    kuzat_reader *r;
    kuzat_record rec;
    if (kuzat_reader_open(path, KUZAT_FORMAT_LINES, NULL, NULL, &r, &err)) continue;
    while (kuzat_reader_next(r, &rec, &err) == 1)
      if (rec.text_len) {
        sent = realloc(sent, (nsent + 1) * sizeof *sent);
        sent[nsent++] = strndup(rec.text, rec.text_len);
      }
    kuzat_reader_free(r);
  }
  char **posts = malloc(nrows * sizeof *posts);
  for (size_t i = 0; i < nrows; i++) posts[i] = rows[i].text;
  size_t ntr = 300;
  char **tr[2];
  for (int u = 0; u < 2; u++) {
    tr[u] = malloc(ntr * sizeof *tr[u]);
    for (size_t i = 0; i < ntr; i++) {
      size_t cap = 16384, n = 0;
      tr[u][i] = malloc(cap);
      for (int j = 0; j < 20; j++) {
        const char *x = u ? sent[below(nsent)] : rows[below(nrows)].text;
        size_t len = strlen(x);
        if (n + len + 2 >= cap) break;
        memcpy(tr[u][i] + n, x, len);
        n += len;
        tr[u][i][n++] = '\n';
      }
      tr[u][i][n] = '\0';
    }
  }
  struct {
    const char *what;
    char **q;
    size_t n, reps;
  } sets[4] = {{"unrelated posts (datasets/langid sentences)", sent, nsent, 6},
               {"unrelated transcripts (20 of those sentences)", tr[1], ntr, 3},
               {"known posts (the kuzat-set rows the index was made from)", posts, nrows, 2},
               {"transcripts of 20 known posts", tr[0], ntr, 3}};
  kuzat_known_matcher *m;
  kuzat_normaliser *norm;
  kuzat_model *model;
  kuzat_scorer *s;
  if (kuzat_known_matcher_new(NULL, &m, &err) || kuzat_normaliser_new(NULL, &norm, &err) ||
      kuzat_model_load_file("models/default.kzm", NULL, &model, &err) ||
      kuzat_scorer_new(model, NULL, &s, &err))
    return fprintf(stderr, "%s\n", err.msg), 1;

  /* Each set three ways, as a program would run: scoring alone; scoring
   * then kuzat_known_match() (which normalises again); the text normalised
   * (not timed: the scorer has done it already, once it can hand its
   * normalised text on), scored, then kuzat_known_match_text(). One pass
   * over the set each, scoring alone again at the end: the baseline is
   * the mean of the two. */
  for (int kind = 0; kind < 4; kind++) {
    size_t nq = sets[kind].n, reps = sets[kind].reps, total = 0, matched = 0, hits = 0;
    double t[4] = {0, 0, 0, 0}, t_match = 0, t_text = 0, qbytes = 0;
    for (int pass = 0; pass < 4; pass++)
      for (size_t rep = 0; rep < reps; rep++)
        for (size_t i = 0; i < nq; i++) {
          const char *q = sets[kind].q[i];
          size_t len = strlen(q);
          const kuzat_result *res;
          const kuzat_known_hit *h;
          size_t nh = 0;
          kuzat_text txt;
          if (pass == 2) kuzat_normalise(norm, q, len, 0, &txt, &err);
          double a = now();
          kuzat_score(s, q, len, NULL, 0, NULL, &res, &err);
          double b = now();
          if (pass == 1) kuzat_known_match(m, k, q, len, -1, &h, &nh, &err);
          if (pass == 2) kuzat_known_match_text(m, k, q, len, &txt, -1, &h, &nh, &err);
          double c = now();
          t[pass] += c - a;
          if (pass == 1) t_match += c - b;
          if (pass == 2) {
            t_text += c - b;
            qbytes += (double)len;
            total++;
            matched += nh > 0;
            hits += nh;
          }
        }
    double base = (t[0] + t[3]) / 2;
    printf("%s: %zu queries, %.0f bytes each, %.1f%% with a match (%.1f matches each)\n",
           sets[kind].what, total, qbytes / (double)total,
           100.0 * (double)matched / (double)total, (double)hits / (double)total);
    printf("  scoring alone:                          %8.0f /s  (passes: %.0f, %.0f /s)\n",
           (double)total / base, (double)total / t[0], (double)total / t[3]);
    printf("  scoring, then kuzat_known_match():      %8.0f /s  (%.2f x; matching %.1f us)\n",
           (double)total / t[1], base / t[1], 1e6 * t_match / (double)total);
    printf("  scoring, then kuzat_known_match_text(): %8.0f /s  (%.2f x; matching %.1f us)\n",
           (double)total / t[2], base / t[2], 1e6 * t_text / (double)total);
  }
  kuzat_scorer_free(s);
  kuzat_model_free(model);
  kuzat_normaliser_free(norm);
  kuzat_known_matcher_free(m);
  kuzat_known_free(k);
  for (int u = 0; u < 2; u++) {
    for (size_t i = 0; i < ntr; i++) free(tr[u][i]);
    free(tr[u]);
  }
  for (size_t i = 0; i < nsent; i++) free(sent[i]);
  free(sent);
  free(posts);
  if (!getenv("KUZAT_BENCH_KEEP")) remove(out);
  return 0;
}
