/*
 * inputs.c -- the INPUT arguments, as records in order.
 *
 * A file is read by libkuzat's reader (its format from --format or from
 * its name); a directory is walked recursively in sorted order, names
 * beginning with '.' skipped; '-' is standard input. What cannot be
 * opened or read still becomes a record, with an error, so that it gets
 * its line in the output.
 */
#include "classify.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void emit_io_error(walker *w, const char *path, const char *msg) {
  kuzat_record rec;
  memset(&rec, 0, sizeof rec);
  rec.id = path;
  rec.id_len = strlen(path);
  rec.text = "";
  rec.labels = rec.lang = rec.group = "";
  rec.error = msg;
  if (w->emit(w->ud, &rec, msg)) w->stop = 1;
}

/* --progress: the bytes of the inputs done, and of the one being read. */
static void read_so_far(walker *w, unsigned long long bytes) {
  if (w->rep) atomic_store(&w->rep->bytes_read, w->bytes_base + bytes);
}

/* An input done: `size` bytes (its size, known from stat(2), or what was
 * read of it). */
static void input_done(walker *w, unsigned long long size) {
  w->bytes_base += size;
  read_so_far(w, 0);
  if (w->rep) atomic_fetch_add(&w->rep->files_done, 1);
}

static void read_file(walker *w, const char *path, long long size) {
  kuzat_reader *r;
  kuzat_error err;
  const char *id = strcmp(path, "-") == 0 ? "stdin" : path; /* as the reader names it */
  if (kuzat_reader_open(path, w->o->format, NULL, NULL, &r, &err)) {
    emit_io_error(w, id, err.msg);
    input_done(w, size > 0 ? (unsigned long long)size : 0);
    return;
  }
  kuzat_reader_set_limit(r, w->o->max_chars);
  if (w->o->encoding && kuzat_reader_set_encoding(r, w->o->encoding, &err)) {
    emit_io_error(w, id, err.msg); /* checked before the run: out of memory */
    kuzat_reader_free(r);
    input_done(w, size > 0 ? (unsigned long long)size : 0);
    return;
  }
  /* a blank JSON Lines line gets its error line: output line N answers
   * input line N */
  kuzat_reader_set_flags(r, KUZAT_READ_BLANK_RECORDS);
  struct stat sb;
  w->regular = size >= 0 || (strcmp(path, "-") == 0 && fstat(0, &sb) == 0 && S_ISREG(sb.st_mode));
  kuzat_record rec;
  int rc = 0, told = w->o->format != KUZAT_FORMAT_AUTO || strcmp(path, "-") != 0;
  while (!w->stop && (rc = kuzat_reader_next(r, &rec, &err)) == 1) {
    if (!told && kuzat_reader_format(r) == KUZAT_FORMAT_JSONL && !w->o->quiet)
      fprintf(stderr, "kuzat-classify: stdin: read as JSON Lines (its first line is a JSON "
                      "object with \"text\"); --format lines reads it as lines\n");
    told = 1;
    read_so_far(w, kuzat_reader_bytes(r));
    if (w->emit(w->ud, &rec, NULL)) w->stop = 1;
  }
  if (!w->stop && rc < 0) emit_io_error(w, id, err.msg);
  w->regular = 0;
  if (!w->stop && w->input_end && w->input_end(w->ud)) w->stop = 1;
  unsigned long long got = kuzat_reader_bytes(r);
  kuzat_reader_free(r);
  input_done(w, size >= 0 && (unsigned long long)size > got ? (unsigned long long)size : got);
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(walker *w, const char *path, int in_dir);

static void walk_dir(walker *w, const char *path, const struct stat *sb) {
  char msg[PATH_MAX + 128];
  for (int d = 0; d < w->depth; d++)
    if (w->anc_dev[d] == sb->st_dev && w->anc_ino[d] == sb->st_ino) {
      snprintf(msg, sizeof msg, "%s: directory loop (a link back to a directory being "
               "scanned), not followed", path);
      emit_io_error(w, path, msg);
      return;
    }
  if (w->depth == 64) {
    snprintf(msg, sizeof msg, "%s: directories nested deeper than 64, not scanned", path);
    emit_io_error(w, path, msg);
    return;
  }
  DIR *dir = opendir(path);
  if (!dir) {
    snprintf(msg, sizeof msg, "%s: cannot open directory: %s", path, strerror(errno));
    emit_io_error(w, path, msg);
    return;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *de;
  while ((de = readdir(dir)) != NULL) {
    if (de->d_name[0] == '.') continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      char **t = realloc(names, cap * sizeof *names);
      if (!t) break;
      names = t;
    }
    if (!(names[n] = strdup(de->d_name))) break;
    n++;
  }
  closedir(dir);
  qsort(names, n, sizeof *names, cmp_names);
  w->anc_dev[w->depth] = sb->st_dev;
  w->anc_ino[w->depth] = sb->st_ino;
  w->depth++;
  size_t plen = strlen(path);
  for (size_t i = 0; i < n; i++) {
    if (!w->stop) {
      size_t len = plen + 1 + strlen(names[i]) + 1;
      char *child = malloc(len);
      if (child) {
        snprintf(child, len, "%s%s%s", path, plen && path[plen - 1] == '/' ? "" : "/", names[i]);
        walk(w, child, 1);
        free(child);
      }
    }
    free(names[i]);
  }
  free(names);
  w->depth--;
}

/* in_dir: the path was found by scanning a directory. Such an entry that
 * is a FIFO, socket or device is reported and not opened, as grep -r
 * does: opening a FIFO nobody writes to would wait forever. Named on the
 * command line (a pipe from <(...), /dev/stdin) it is read. */
static void walk(walker *w, const char *path, int in_dir) {
  struct stat sb;
  int known = strcmp(path, "-") != 0 && stat(path, &sb) == 0;
  if (known && S_ISDIR(sb.st_mode)) {
    walk_dir(w, path, &sb);
  } else if (known && in_dir && !S_ISREG(sb.st_mode)) {
    char msg[PATH_MAX + 128];
    snprintf(msg, sizeof msg, "%s: not a regular file (%s), not read; name it on the command "
             "line to read it", path, S_ISFIFO(sb.st_mode) ? "a FIFO" : S_ISSOCK(sb.st_mode) ?
             "a socket" : "a device");
    emit_io_error(w, path, msg);
  } else { /* the reader names any failure */
    read_file(w, path, known && S_ISREG(sb.st_mode) ? (long long)sb.st_size : -1);
  }
}

void walk_all(walker *w, int argc, char **argv) {
  if (argc == 0) walk(w, "-", 0);
  for (int i = 0; i < argc && !w->stop; i++) walk(w, argv[i], 0);
}

/* ---- what will be read, for --progress ---- */

typedef struct sizes {
  report *rep;
  dev_t dev[64];
  ino_t ino[64];
  int depth;
} sizes;

/* The regular files under `path` as walk() finds them (names beginning
 * with '.' skipped, loops not followed). Standard input, or a FIFO or a
 * device named (walk() reads it; in a directory it does not) makes the
 * total unknown. */
static void size_of(sizes *z, const char *path, int in_dir) {
  struct stat sb;
  if (strcmp(path, "-") == 0 || stat(path, &sb) != 0) {
    z->rep->total_known &= in_dir;
    return;
  }
  if (S_ISREG(sb.st_mode)) {
    z->rep->total_files++;
    z->rep->total_bytes += (unsigned long long)sb.st_size;
    return;
  }
  if (!S_ISDIR(sb.st_mode)) {
    z->rep->total_known &= in_dir;
    return;
  }
  for (int d = 0; d < z->depth; d++)
    if (z->dev[d] == sb.st_dev && z->ino[d] == sb.st_ino) return;
  DIR *dir = z->depth < 64 ? opendir(path) : NULL;
  if (!dir) return;
  z->dev[z->depth] = sb.st_dev;
  z->ino[z->depth] = sb.st_ino;
  z->depth++;
  struct dirent *de;
  size_t plen = strlen(path);
  while ((de = readdir(dir)) != NULL) {
    if (de->d_name[0] == '.') continue;
    size_t len = plen + 1 + strlen(de->d_name) + 1;
    char *child = malloc(len);
    if (!child) break;
    snprintf(child, len, "%s/%s", path, de->d_name);
    size_of(z, child, 1);
    free(child);
  }
  closedir(dir);
  z->depth--;
}

void walk_sizes(report *rep, int argc, char **argv) {
  sizes z;
  memset(&z, 0, sizeof z);
  z.rep = rep;
  rep->total_known = 1;
  if (argc == 0) rep->total_known = 0;
  for (int i = 0; i < argc; i++) size_of(&z, argv[i], 0);
}
