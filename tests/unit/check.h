/*
 * check.h -- the smallest test harness that does the job.
 *
 * Each check is one test: `ok` lines are counted, `not ok` lines are
 * printed with the reason, `skip` lines with why. kt_done() prints the
 * summary line "# N passed, N failed, N skipped" that tests/run.sh adds up.
 */
#ifndef KUZAT_CHECK_H
#define KUZAT_CHECK_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int kt_passed, kt_failed, kt_skipped;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static inline int kt_check(int ok, const char *name, const char *fmt, ...) {
  if (ok) {
    kt_passed++;
    return 1;
  }
  kt_failed++;
  printf("not ok - %s: ", name);
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  return 0;
}

static inline void kt_skip(const char *name, const char *why) {
  kt_skipped++;
  printf("skip - %s: %s\n", name, why);
}

static inline int kt_done(void) {
  printf("# %d passed, %d failed, %d skipped\n", kt_passed, kt_failed, kt_skipped);
  return kt_failed ? 1 : 0;
}

/* CHECK(cond, "fmt", ...): one test named after the file and line. */
#define KT_STR2(x) #x
#define KT_STR(x) KT_STR2(x)
#define CHECK(cond, ...) kt_check(!!(cond), __FILE__ ":" KT_STR(__LINE__), __VA_ARGS__)

/* Where the shared datasets are, or NULL (tests that need them skip). */
static inline const char *kt_shared(void) {
  const char *s = getenv("KUZAT_SHARED");
  return s && *s ? s : NULL;
}

#endif
