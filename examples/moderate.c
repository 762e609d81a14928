/*
 * moderate.c -- a small moderation service on libkuzat.
 *
 * Reads JSON Lines on standard input ({"id":..., "text":...}, or a
 * transcript's "segments"), scores them with N threads over one shared
 * model, and writes one decision per input line, in input order:
 *
 *   {"id":"m1","decision":"review","score":0.9731,"lang":"uz-Cyrl"}
 *   {"id":"m2","decision":"allow","score":0.0012,"lang":"en"}
 *   {"id":"m3","error":"stdin:3: not valid JSON ..."}
 *
 * Build against an installed libkuzat:
 *
 *   cc -std=c11 -O2 -pthread -o moderate moderate.c $(pkg-config --cflags --libs kuzat)
 *   ./moderate -m /usr/local/share/kuzat/default.kzm -t 4 < posts.jsonl
 *
 * What it shows: the model is loaded once, from memory (a service may get
 * its model from a database or an HTTP fetch rather than a file), and is
 * shared read-only by every thread; each thread has its own scorer; the
 * library prints nothing, so every message is the service's own.
 */
#define _POSIX_C_SOURCE 200809L /* getopt */
#include <kuzat.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH 256 /* records read, scored in parallel, then written */

typedef struct job {
  char *id, *text;
  size_t text_len;
  kuzat_segment *segs;
  size_t nsegs;
  char *error;
  /* the result */
  int rc, lang, flagged;
  double score;
  char msg[256];
} job;

typedef struct worker {
  pthread_t tid;
  kuzat_scorer *scorer;
  job *jobs;
  size_t first, n, step;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  for (size_t i = w->first; i < w->n; i += w->step) {
    job *j = &w->jobs[i];
    const kuzat_result *r;
    kuzat_error err;
    if (j->error) continue;
    j->rc = kuzat_score(w->scorer, j->text, j->text_len, j->segs, j->nsegs, NULL, &r, &err);
    if (j->rc != KUZAT_OK) {
      snprintf(j->msg, sizeof j->msg, "%s", err.msg);
      continue;
    }
    j->score = r->score, j->flagged = r->any_flagged, j->lang = r->lang;
  }
  return NULL;
}

/* (A real service would shed load rather than stop.) */
static void *must(void *p) {
  if (!p) {
    fprintf(stderr, "moderate: out of memory\n");
    exit(2);
  }
  return p;
}

/* A NUL-terminated copy of n bytes. */
static void *copy(const void *s, size_t n) {
  char *c = must(malloc(n + 1));
  memcpy(c, s, n);
  c[n] = '\0';
  return c;
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void put_json(const char *s, FILE *out) {
  putc('"', out);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(out, "\\%c", c);
    else if (c < 0x20) fprintf(out, "\\u%04x", c);
    else putc(c, out);
  }
  putc('"', out);
}

/* The whole of a file, for kuzat_model_load_mem(). */
static void *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  size_t cap = 0, n = 0, got;
  if (!f) return NULL;
  do {
    if (n == cap) {
      char *b = realloc(buf, cap = cap ? 2 * cap : 1 << 20);
      if (!b) break;
      buf = b;
    }
    got = fread(buf + n, 1, cap - n, f);
    n += got;
  } while (got > 0);
  int bad = ferror(f) || !buf;
  fclose(f);
  if (bad) return free(buf), NULL;
  *len = n;
  return buf;
}

int main(int argc, char **argv) {
  const char *model_path = NULL;
  int threads = 2, opt;
  while ((opt = getopt(argc, argv, "m:t:")) != -1) {
    if (opt == 'm') model_path = optarg;
    else if (opt == 't' && atoi(optarg) > 0) threads = atoi(optarg);
    else {
      fprintf(stderr, "usage: moderate -m MODEL [-t THREADS] < input.jsonl\n");
      return 2;
    }
  }
  if (!model_path) {
    fprintf(stderr, "moderate: -m MODEL is required (e.g. share/kuzat/default.kzm)\n");
    return 2;
  }

  size_t len;
  void *bytes = slurp(model_path, &len);
  kuzat_model *model;
  kuzat_error err;
  if (!bytes) {
    perror(model_path);
    return 2;
  }
  if (kuzat_model_load_mem(bytes, len, NULL, &model, &err) != KUZAT_OK) {
    fprintf(stderr, "moderate: %s: %s\n", model_path, err.msg);
    return 2;
  }
  free(bytes); /* the model keeps no pointer into it */

  worker *w = must(calloc((size_t)threads, sizeof *w));
  job *jobs = must(calloc(BATCH, sizeof *jobs));
  kuzat_reader *in;
  int status = 0;
  for (int t = 0; t < threads; t++)
    if (kuzat_scorer_new(model, NULL, &w[t].scorer, &err) != KUZAT_OK) {
      fprintf(stderr, "moderate: %s\n", err.msg);
      return 2;
    }
  if (kuzat_reader_open("-", KUZAT_FORMAT_JSONL, "stdin", NULL, &in, &err) != KUZAT_OK) {
    fprintf(stderr, "moderate: %s\n", err.msg);
    return 2;
  }

  for (int more = 1; more;) {
    size_t n = 0;
    kuzat_record rec;
    int rc = 0;
    while (n < BATCH && (rc = kuzat_reader_next(in, &rec, &err)) == 1) {
      job *j = &jobs[n++];
      memset(j, 0, sizeof *j);
      j->id = copy(rec.id, rec.id_len);
      j->text = copy(rec.text, rec.text_len);
      j->text_len = rec.text_len;
      j->error = rec.error ? copy(rec.error, strlen(rec.error)) : NULL;
      if (rec.segments_len) {
        j->segs = copy(rec.segments, rec.segments_len * sizeof *j->segs);
        j->nsegs = rec.segments_len;
      }
    }
    if (rc < 0) {
      fprintf(stderr, "moderate: %s\n", err.msg);
      status = 2;
    }
    more = rc == 1;

    for (int t = 0; t < threads; t++) {
      w[t].jobs = jobs, w[t].first = (size_t)t, w[t].n = n, w[t].step = (size_t)threads;
      pthread_create(&w[t].tid, NULL, work, &w[t]);
    }
    for (int t = 0; t < threads; t++) pthread_join(w[t].tid, NULL);

    for (size_t i = 0; i < n; i++) {
      job *j = &jobs[i];
      printf("{\"id\":");
      put_json(j->id, stdout);
      if (j->error || j->rc) {
        printf(",\"error\":");
        put_json(j->error ? j->error : j->msg, stdout);
      } else {
        printf(",\"decision\":\"%s\",\"score\":%.4f,\"lang\":\"%s\"",
               j->flagged ? "review" : "allow", j->score, kuzat_lang_name(j->lang));
      }
      printf("}\n");
      free(j->id), free(j->text), free(j->segs), free(j->error);
    }
    fflush(stdout);
  }

  kuzat_reader_free(in);
  for (int t = 0; t < threads; t++) kuzat_scorer_free(w[t].scorer);
  kuzat_model_free(model);
  free(w);
  free(jobs);
  return ferror(stdout) ? 2 : status;
}
