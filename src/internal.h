/*
 * internal.h -- private types and helpers shared by libkuzat's modules.
 * Never installed. Cross-module private functions are named kuzat__*.
 */
#ifndef KUZAT_INTERNAL_H
#define KUZAT_INTERNAL_H

#include "kuzat.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define KZ_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define KZ_LIKELY(x) __builtin_expect(!!(x), 1)
#define KZ_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define KZ_PRINTF(f, a)
#define KZ_LIKELY(x) (x)
#define KZ_UNLIKELY(x) (x)
#endif

/* ---- status.c: allocation through the caller's allocator ---- */

/* A copy of the caller's allocator with every member filled in. */
typedef struct kz_alloc {
  void *(*alloc)(void *ud, size_t n);
  void *(*realloc)(void *ud, void *p, size_t n);
  void (*free)(void *ud, void *p);
  void *ud;
} kz_alloc;

void kuzat__alloc_init(kz_alloc *dst, const kuzat_allocator *src);
void *kuzat__malloc(const kz_alloc *a, size_t n);
void *kuzat__calloc(const kz_alloc *a, size_t count, size_t size);
void kuzat__free(const kz_alloc *a, void *p);

/* Grow *buf (element size `size`) to hold at least `need` elements, doubling.
 * Returns KUZAT_OK or KUZAT_ENOMEM / KUZAT_ERANGE (on overflow); *buf and
 * *cap are unchanged on failure. */
int kuzat__grow(const kz_alloc *a, void **buf, size_t *cap, size_t need,
                size_t size);

/* The most markers a model file holds (and so a training set's labels). */
#define KZ_MAX_MARKERS 1024

/* Record a failure in err (may be NULL) and return `status`. */
int kuzat__fail(kuzat_error *err, int status, const char *fmt, ...)
    KZ_PRINTF(3, 4);
int kuzat__failv(kuzat_error *err, int status, const char *fmt, va_list ap)
    KZ_PRINTF(3, 0);
/* The same, with where in the input: `line` (1-based) and `byte_offset`
 * (0 when unknown). */
int kuzat__fail_at(kuzat_error *err, int status, long line, long long byte_offset,
                   const char *fmt, ...) KZ_PRINTF(5, 6);
void kuzat__error_clear(kuzat_error *err);

/* Character classes (chars.h, chars.c): the script of a letter, marks,
 * word characters. */
#include "chars.h"

/* ---- langid.c ---- */

typedef struct kz_profile kz_profile;

/* The language profiles, built in three steps by the normaliser, which
 * folds the texts compiled into the library (datasets/langid/) as the
 * identifier will see text at run time: kuzat__profile_new(), then
 * kuzat__profile_count() for each sentence (n code points of folded text
 * of language `lang`, not KUZAT_LANG_OTHER), then kuzat__profile_finish().
 * Each returns KUZAT_OK or KUZAT_ENOMEM; after a failure, only
 * kuzat__profile_free() (which takes NULL). */
int kuzat__profile_new(const kz_alloc *a, kz_profile **out);
int kuzat__profile_count(kz_profile *p, const kz_alloc *a, int lang, const int32_t *cp,
                         size_t n);
int kuzat__profile_finish(kz_profile *p, const kz_alloc *a);
void kuzat__profile_free(const kz_alloc *a, kz_profile *p);

/* Counts the normaliser gathers while it folds, for identification. */
typedef struct kz_langstats {
  size_t script[KZ_SC_COUNT]; /* letters (and non-letters) by KZ_SC_* */
  size_t latin_marked; /* Latin letters written with diacritics (é, ş, ı) */
  size_t uz_short_u;   /* ў, which only Uzbek writes */
  int apostrophes;     /* the folded text may hold an apostrophe */
  size_t ar_cue;  /* ي ى ك ة: Arabic spellings (counted before folding) */
  size_t fa_cue;  /* ی ک: Persian spellings */
  size_t fa_letter; /* پ چ ژ گ: letters Arabic does not have */
  size_t ur_cue;  /* ٹ ڈ ڑ ں ے: Urdu letters */
} kz_langstats;

/* Identify the language of `n` code points of folded text (output of the
 * normaliser's step 4) given the counts gathered while folding. Stores the
 * document's majority letter script (KZ_SC_*) in *script. */
int kuzat__langid(const kz_profile *p, const int32_t *cp, size_t n,
                  const kz_langstats *st, int *script);

/* (normalise.c) Fold text as the normaliser's steps 1-4 do (for the
 * benchmark of those steps alone). Stores code points in a buffer owned by
 * the normaliser. */
int kuzat__normalise_fold(kuzat_normaliser *n, const char *utf8, size_t len,
                          const int32_t **cp, size_t *count, kuzat_error *err);

/* The language-identification texts compiled into the library
 * (build/langid_corpus.c, made by tools/embed.c from datasets/langid/),
 * which the normaliser folds into the profiles. */
typedef struct kz_corpus {
  const char *lang; /* a kuzat_lang code, "uz-Latn" */
  const unsigned char *text;
  size_t len;
} kz_corpus;
extern const kz_corpus kuzat__langid_corpus[];
extern const size_t kuzat__langid_corpus_count;

/* ---- features.c ---- */

/* KUZAT_OK, or KUZAT_EINVAL naming the field out of range. */
int kuzat__feature_params_check(const kuzat_feature_params *p, kuzat_error *err);

/* Called for every feature of a text, in the order kuzat_featurise() takes
 * them: its full hash, namespace and bytes as hashed, and the bytes
 * [start, end) of the normalised text it comes from. */
typedef void (*kz_visit_fn)(void *ud, uint64_t hash, int ns, const char *bytes,
                            size_t len, size_t start, size_t end);

/* Report every feature of normalised text to fn instead of building a
 * vector (for explanations). KUZAT_OK or KUZAT_ENOMEM. */
int kuzat__featurise_visit(kuzat_featuriser *f, const char *norm, size_t len,
                           kz_visit_fn fn, void *ud);

/* The vector kuzat_featurise() makes, without an error message, for a
 * caller that then looks each index up in a table of its own: `row` (by
 * index; NULL for no table) and `present` (bit i: row[i] is worth reading)
 * are only read, to fetch the entries of the indices found into the cache
 * meanwhile. KUZAT_OK, KUZAT_ENOMEM or KUZAT_ERANGE. */
int kuzat__featurise_prefetch(kuzat_featuriser *f, const char *norm, size_t len,
                              const uint32_t *row, const uint64_t *present,
                              const kuzat_feature **out, size_t *count);
/* The featuriser's parameters. */
const kuzat_feature_params *kuzat__featuriser_params(const kuzat_featuriser *f);

/* ---- model.c (its insides are in model.h) ---- */

/* An empty model with `markers` zeroed markers, for the trainer to fill;
 * then kuzat__model_finish() builds the scoring index. */
int kuzat__model_new(const kz_alloc *a, const kuzat_feature_params *fp, size_t markers,
                     kuzat_model **out);
int kuzat__model_finish(kuzat_model *m);
/* Set m->id from the content a save would write (KUZAT_OK or ENOMEM). */
int kuzat__model_set_id(kuzat_model *m);
/* Marker i's weight for bucket `index` (linear markers; 0 for RBF). */
double kuzat__model_weight(const kuzat_model *m, size_t i, int index);

/* Decision values of every marker of `m` for normalised text into
 * dec[0 .. nm-1]: the same values as kuzat_featurise() then
 * kuzat_model_decision(), bit for bit, without handing out the vector; f
 * should have m's feature parameters. For a linear model, its rows are
 * fetched into the cache while the vector is made; RBF markers, or other
 * parameters, take the general path. KUZAT_OK, or the status those two
 * would return (no message). */
int kuzat__model_dot(const kuzat_model *m, kuzat_featuriser *f, const char *norm, size_t len,
                     double *dec);

#endif /* KUZAT_INTERNAL_H */
