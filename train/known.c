/*
 * known.c -- kuzat-train --known: an index of known texts (kuzat_known_*)
 * instead of a model. The documents come from the library's reader, in
 * any format it knows (id, text, labels); --add starts from an existing
 * index, so the old inputs are not needed; --remove takes documents out
 * by id. Ids stay unique: a duplicate is an error naming both places.
 */
#include "kuzat_train.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int known_option(opts *o, int which, const char *arg) {
  if (which == KNOWN_OPT_REMOVE) {
    const char **r = realloc(o->known_remove, (o->known_nremove + 1) * sizeof *r);
    if (!r) {
      fprintf(stderr, "kuzat-train: out of memory\n");
      return 2;
    }
    o->known_remove = r;
    r[o->known_nremove++] = arg;
    return 0;
  }
  char *end;
  errno = 0;
  double v = strtod(arg, &end);
  if (errno || end == arg || *end || !(v > 0 && v <= 1)) {
    fprintf(stderr, "kuzat-train: --known-threshold '%s': expected a similarity above 0, "
                    "at most 1\n", arg);
    return 2;
  }
  o->known_threshold = v;
  return 0;
}

/* Where each document added in this run came from: file and line, by its
 * position in the index minus the positions the --add index had. */
typedef struct place {
  int file;
  long line;
} place;

typedef struct places {
  place *p;
  size_t n, cap;
} places;

static int places_add(places *ps, int file, long line) {
  if (ps->n == ps->cap) {
    size_t cap = ps->cap ? ps->cap * 2 : 256;
    place *p = realloc(ps->p, cap * sizeof *p);
    if (!p) return -1;
    ps->p = p;
    ps->cap = cap;
  }
  ps->p[ps->n].file = file;
  ps->p[ps->n++].line = line;
  return 0;
}

/* A refused document: a duplicate id names where the id was first seen
 * (an input's file:line, or the --add index); anything else the
 * library's reason. */
static void say_refused(const opts *o, char **files, const places *ps, size_t base,
                        const kuzat_known *k, const kuzat_record *rec, const char *file,
                        const kuzat_error *err) {
  size_t pos;
  if (err->status == KUZAT_EINVAL && kuzat_known_find(k, rec->id, rec->id_len, &pos) == 1) {
    fprintf(stderr, "kuzat-train: %s:%ld: duplicate id \"%.*s\": ", file, rec->line,
            (int)(rec->id_len > 200 ? 200 : rec->id_len), rec->id);
    if (pos < base) fprintf(stderr, "already in %s\n", o->known_add);
    else if (pos - base < ps->n)
      fprintf(stderr, "already at %s:%ld\n", files[ps->p[pos - base].file],
              ps->p[pos - base].line);
    else fprintf(stderr, "already in the index\n");
    return;
  }
  fprintf(stderr, "kuzat-train: %s:%ld: %s\n", file, rec->line, err->msg);
}

/* Add every record of files[f]. Returns 0 or 2 (said). */
static int add_file(const opts *o, char **files, int f, kuzat_known *k, places *ps, size_t base,
                    long *skipped, long *cut) {
  kuzat_error err;
  kuzat_reader *r;
  const char *file = files[f];
  int fmt = o->format ? o->format : kuzat_format_from_path(file);
  if (kuzat_reader_open(file, fmt, NULL, NULL, &r, &err)) {
    fprintf(stderr, "kuzat-train: %s\n", err.msg);
    return 2;
  }
  kuzat_reader_set_limit(r, o->max_chars);
  kuzat_record rec;
  int rc, failed = 0;
  while (!failed && (rc = kuzat_reader_next(r, &rec, &err)) == 1) {
    if (rec.error) {
      if (!o->skip_bad) fprintf(stderr, "kuzat-train: %s\n(--skip-bad skips such rows)\n", rec.error);
      failed = !o->skip_bad;
      ++*skipped;
      continue;
    }
    if (kuzat_known_add(k, rec.id, rec.id_len, rec.text, rec.text_len, rec.labels,
                        rec.labels_len, &err)) {
      say_refused(o, files, ps, base, k, &rec, file, &err);
      failed = 1;
    } else if (places_add(ps, f, rec.line)) {
      fprintf(stderr, "kuzat-train: out of memory\n");
      failed = 1;
    }
    *cut += rec.full_len > rec.text_len;
  }
  kuzat_reader_free(r);
  if (!failed && rc < 0) {
    fprintf(stderr, "kuzat-train: %s\n", err.msg);
    failed = 1;
  }
  return failed ? 2 : 0;
}

/* The index to start from: --add's, or an empty one. Returns 0 or 2. */
static int start(const opts *o, kuzat_known **k) {
  kuzat_error err;
  int rc = o->known_add ? kuzat_known_load_file(o->known_add, NULL, k, &err)
                        : kuzat_known_new(NULL, NULL, k, &err);
  if (rc) fprintf(stderr, "kuzat-train: %s\nNo index written.\n", err.msg);
  return rc ? 2 : 0;
}

int train_known(const opts *o, char **files, int nfiles) {
  kuzat_known *k;
  kuzat_error err;
  if (start(o, &k)) return 2;
  size_t base = kuzat_known_count(k); /* a loaded index numbers its documents 0.. */
  int rc = 0;
  for (size_t i = 0; i < o->known_nremove && !rc; i++)
    if (kuzat_known_remove(k, o->known_remove[i], strlen(o->known_remove[i]), &err)) {
      fprintf(stderr, "kuzat-train: --remove: %s\n", err.msg);
      rc = 2;
    }
  if (!rc && o->known_threshold > 0 && kuzat_known_set_threshold(k, o->known_threshold, &err)) {
    fprintf(stderr, "kuzat-train: %s\n", err.msg);
    rc = 2;
  }
  places ps = {NULL, 0, 0};
  long skipped = 0, cut = 0;
  for (int f = 0; f < nfiles && !rc; f++) rc = add_file(o, files, f, k, &ps, base, &skipped, &cut);
  if (!rc && kuzat_known_save(k, o->output, &err)) {
    fprintf(stderr, "kuzat-train: %s\n", err.msg);
    rc = 2;
  }
  if (rc) fprintf(stderr, "No index written.\n");
  else if (!o->quiet) {
    say_counts(o, "", skipped, cut);
    fprintf(stderr, "kuzat-train: index of %zu known documents (%zu added, %zu removed) "
                    "written to %s\n", kuzat_known_count(k), ps.n, o->known_nremove, o->output);
  }
  free(ps.p);
  kuzat_known_free(k);
  return rc;
}
