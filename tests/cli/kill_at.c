/*
 * kill_at.c -- an LD_PRELOAD shim for tests/cli/test_writes.sh: it kills
 * its own process with SIGKILL at one chosen moment of writing a model,
 * so a test can show what such a death leaves behind. The moment is
 * $KUZAT_KILL_AT:
 *   open      when the temporary file (unnamed, O_TMPFILE, or a name with
 *             ".tmp.") is about to be created
 *   created   just after it was created, empty
 *   write     in the middle of the first write to it (half the bytes written)
 *   fsync     when everything is written, before fsync
 *   link      before an unnamed temporary file is given its name (linkat)
 *   rename    just before it is renamed over the model
 *   renamed   just after the rename
 * With $KUZAT_NO_TMPFILE set, creating an unnamed file fails (EOPNOTSUPP,
 * as on a file system without O_TMPFILE), so the fallback is tested.
 * Built by the test: cc -shared -fPIC -o kill_at.so kill_at.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static int tmp_fd = -1;

static int at(const char *moment) {
  const char *w = getenv("KUZAT_KILL_AT");
  return w && strcmp(w, moment) == 0;
}

static void die(void) {
  kill(getpid(), SIGKILL);
  for (;;) pause();
}

static int is_tmp(const char *path) { return path && strstr(path, ".tmp.") != NULL; }

#ifndef O_TMPFILE
#define O_TMPFILE 0
#endif
#define WANTS_MODE(flags) (((flags) & O_CREAT) || (O_TMPFILE && ((flags) & O_TMPFILE) == O_TMPFILE))

static int do_open(const char *sym, const char *path, int flags, mode_t mode) {
  int (*real)(const char *, int, ...) = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, sym);
  int tmp = (is_tmp(path) && (flags & O_CREAT)) || (O_TMPFILE && (flags & O_TMPFILE) == O_TMPFILE);
  if (O_TMPFILE && (flags & O_TMPFILE) == O_TMPFILE && getenv("KUZAT_NO_TMPFILE")) {
    errno = EOPNOTSUPP;
    return -1;
  }
  if (tmp && at("open")) die();
  int fd = real(path, flags, mode);
  if (tmp && fd >= 0) {
    tmp_fd = fd;
    if (at("created")) die();
  }
  return fd;
}

/* open() and open64(): the mode argument is there only with O_CREAT or O_TMPFILE */
#define OPEN_WRAPPER(sym)                                                                   \
  int sym(const char *path, int flags, ...) {                                               \
    mode_t mode = 0;                                                                        \
    if (WANTS_MODE(flags)) {                                                                \
      va_list ap;                                                                           \
      va_start(ap, flags);                                                                  \
      mode = (mode_t)va_arg(ap, int);                                                       \
      va_end(ap);                                                                           \
    }                                                                                       \
    return do_open(#sym, path, flags, mode);                                                \
  }
OPEN_WRAPPER(open)
OPEN_WRAPPER(open64)

ssize_t write(int fd, const void *buf, size_t n) {
  ssize_t (*real)(int, const void *, size_t) =
      (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
  if (fd == tmp_fd && fd >= 0 && at("write")) {
    real(fd, buf, n / 2);
    die();
  }
  return real(fd, buf, n);
}

int fsync(int fd) {
  int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  if (fd == tmp_fd && fd >= 0 && at("fsync")) die();
  return real(fd);
}

int linkat(int fd1, const char *from, int fd2, const char *to, int flags) {
  int (*real)(int, const char *, int, const char *, int) =
      (int (*)(int, const char *, int, const char *, int))dlsym(RTLD_NEXT, "linkat");
  if (is_tmp(to) && at("link")) die();
  return real(fd1, from, fd2, to, flags);
}

int rename(const char *from, const char *to) {
  int (*real)(const char *, const char *) =
      (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
  if (is_tmp(from) && at("rename")) die();
  int rc = real(from, to);
  if (is_tmp(from) && at("renamed")) die();
  return rc;
}
