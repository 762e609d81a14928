/*
 * internal.h -- private types and helpers shared by libkuzat's modules.
 * Never installed.
 *
 * Names say where a name can be seen:
 *   kuzat_*   public: include/kuzat.h, exported by libkuzat.so
 *   kuzat__*  private functions shared between modules: linker symbols of
 *             libkuzat.a, hidden in libkuzat.so (-fvisibility=hidden)
 *   kz_*      private types, macros and static inline helpers: never a
 *             linker symbol (tests/cli/test_install.sh checks both)
 * Words are spelt as in the public API: normalise, featurise; only the
 * command-line option keeps --normalize (and takes --normalise).
 */
#ifndef KUZAT_INTERNAL_H
#define KUZAT_INTERNAL_H

#include "kuzat.h"

#include <math.h>
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
void *kuzat__malloc_huge(const kz_alloc *a, size_t n);
/* Advise 2 MB pages for [p, p + n) (before it is touched): status.c. */
void kuzat__huge_pages(void *p, size_t n);
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

/* A finished profile's tables: per script, a group of the languages
 * written in it, their log probabilities in an open-addressing table of
 * fingerprinted slots (langid.c says how they are laid out). */
typedef struct kz_group {
  int nl;
  int lang[KUZAT_LANG_COUNT]; /* kuzat_lang of each column, in kuzat_lang order */
  size_t cap;                 /* slots, a power of two */
  size_t stride;              /* int16 a slot: 2 for the fingerprint, nl, padding */
  const int16_t *slot;        /* cap * stride */
  int16_t unseen[KUZAT_LANG_COUNT];
} kz_group;
typedef struct kz_profile_tables {
  kz_group g[KZ_SC_COUNT]; /* by script; nl is 0 for a script of no language */
  int has[KUZAT_LANG_COUNT]; /* the language has a profile */
} kz_profile_tables;

/* The tables of the profile the normaliser would build, built once at
 * build time (tools/profile.c writes them into build/langid_profile.c):
 * every normaliser reads them where they are, in the library's constant
 * data, instead of folding the texts and counting at run time (which cost
 * the first normaliser of a process some 3 ms and 1,000 page faults). NULL
 * in a build without them (tools/profile.c itself, the fuzzers), whose
 * normalisers build their own. */
extern const kz_profile_tables *const kuzat__langid_tables;
/* A profile reading `t` (not copied: t must outlive it). */
int kuzat__profile_borrow(const kz_alloc *a, const kz_profile_tables *t, kz_profile **out);
/* A finished profile's tables. */
const kz_profile_tables *kuzat__profile_tables(const kz_profile *p);

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

/* (normalise.c) The profile built at run time from the texts compiled into
 * the library, folded by n as the identifier sees text (what every
 * normaliser did before kuzat__langid_tables; tools/profile.c and the
 * tests use it). KUZAT_OK, or an error in err. */
int kuzat__normaliser_build_profile(kuzat_normaliser *n, kz_profile **out, kuzat_error *err);

/* (normalise.c) Fold text as the normaliser's steps 1-4 do (for the
 * benchmark of those steps alone). Stores code points in a buffer owned by
 * the normaliser. */
int kuzat__normalise_fold(kuzat_normaliser *n, const char *utf8, size_t len,
                          const int32_t **cp, size_t *count, kuzat_error *err);

/* (normalise.c) Let the normaliser take its one-pass path for the texts it
 * can (on, the default), or never (for the tests of the general path). */
void kuzat__normaliser_fast(kuzat_normaliser *n, int on);

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

/* ---- a model's weights as scoring reads them (built by weights.c) ---- */

/* Every marker's linear weights, by bucket (0-based: index - 1). For each
 * 64 buckets k, index[2k] has a bit set for each bucket with weights and
 * index[2k + 1] counts the buckets below them that have weights (one
 * memory access for both). Bucket b's weights are `stride` doubles, marker
 * after marker (zeros after the nm-th), at row r of `rows`, r being
 * index[2k + 1] plus the bits of index[2k] below b. The index (a quarter of
 * a byte a bucket) stays in cache; the rows hold only buckets with a weight
 * and start on a 64-byte boundary, so eight markers' weights are one cache
 * line, fetched with a single prefetch. */
typedef struct kz_rows {
  const uint64_t *index;
  const double *rows;
  size_t stride, nm;
} kz_rows;

/* Set bits of x: the portable bit count (no POPCNT instruction assumed). */
static inline unsigned kuzat__popcount64(uint64_t x) {
  x = x - ((x >> 1) & 0x5555555555555555ull);
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
  return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

/* 1 + the row of bucket b's weights, or 0 when it has none. */
static inline size_t kuzat__row_of(const kz_rows *w, uint64_t b) {
  const uint64_t *ix = w->index + 2 * (b >> 6), below = ((uint64_t)1 << (b & 63)) - 1;
  if (!(ix[0] >> (b & 63) & 1)) return 0;
  return (size_t)(1 + ix[1] + kuzat__popcount64(ix[0] & below));
}

/* The weight of a distinct feature seen tf times in a text: 1 + ln(tf),
 * from a table for the small counts nearly every feature has; negative
 * when bit 63 of its hash is set (features.c explains why). */
static inline double kuzat__tf_weight(uint64_t hash, size_t tf) {
  static const double w[9] = {0, 1.0, 1.6931471805599454, 2.0986122886681098,
                              2.386294361119891, 2.6094379124341003, 2.791759469228055,
                              2.9459101490553135, 3.0794415416798357};
  double x = KZ_LIKELY(tf < 9) ? w[tf] : 1.0 + log((double)tf);
  return (hash >> 63) ? -x : x;
}

/* ---- count.c: the scoring path's counting table ---- */

typedef struct kz_counter kz_counter;
#define KZ_COUNT_FALLBACK 1 /* not a status: take the ordered path instead */

/* Count keys[0 .. nk) (feature hashes of `bits` bucket bits) and dot them
 * with w: sum[i] = the sum over distinct hashes of their weight times
 * marker i's weight of their bucket, *norm2 = the squared norm of the
 * text's vector before it is normalised (count.c). *c is the caller's
 * table, made on first use (NULL at first). KUZAT_OK, KUZAT_ENOMEM, or
 * KZ_COUNT_FALLBACK when the hashes are not spread out enough to count
 * this way (or too many). `portable`: the code for any processor even
 * where a faster one runs (for the tests: the two give the same bits). */
int kuzat__count_dot(kz_counter **c, const kz_alloc *a, const uint64_t *keys, size_t nk,
                     unsigned bits, const kz_rows *w, double *sum, double *norm2, int portable);
void kuzat__counter_free(const kz_alloc *a, kz_counter *c);

/* ---- features.c ---- */

/* KUZAT_OK, or KUZAT_EINVAL naming the field out of range. */
int kuzat__feature_params_check(const kuzat_feature_params *p, kuzat_error *err);
/* KUZAT_CHAR_AS_OTHERS in the Arabic-script range -> char_min..char_max */
void kuzat__feature_params_resolve(kuzat_feature_params *p);

/* Called for every feature of a text, in the order kuzat_featurise() takes
 * them: its full hash, namespace and bytes as hashed, and the bytes
 * [start, end) of the normalised text it comes from. */
typedef void (*kz_visit_fn)(void *ud, uint64_t hash, int ns, const char *bytes,
                            size_t len, size_t start, size_t end);

/* Report every feature of normalised text to fn instead of building a
 * vector (for explanations). KUZAT_OK or KUZAT_ENOMEM. */
int kuzat__featurise_visit(kuzat_featuriser *f, const char *norm, size_t len,
                           kz_visit_fn fn, void *ud);

/* Decision sums of normalised text without its vector (for
 * kuzat__model_dot()): kuzat__count_dot() on the text's feature hashes.
 * KUZAT_OK, KUZAT_ENOMEM or KZ_COUNT_FALLBACK. */
int kuzat__featurise_dot(kuzat_featuriser *f, const char *norm, size_t len, const kz_rows *w,
                         double *sum, double *norm2);
/* Make kuzat__featurise_dot() count with the portable code (tests). */
void kuzat__featuriser_portable(kuzat_featuriser *f, int on);
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
/* (weights.c) Marker i's weight for bucket `index` (linear markers; 0 for RBF). */
double kuzat__model_weight(const kuzat_model *m, size_t i, int index);

/* ---- weights.c ---- */

/* Decision values of every marker of `m` for normalised text into
 * dec[0 .. nm-1]: the values kuzat_featurise() then kuzat_model_decision()
 * give, to rounding (the same terms added in another order), without
 * making the vector; f should have m's feature parameters. Linear models
 * take count.c's path; RBF markers, other parameters, or hashes that do
 * not spread take the general path. KUZAT_OK, or the status those two
 * would return (no message). */
int kuzat__model_dot(const kuzat_model *m, kuzat_featuriser *f, const char *norm, size_t len,
                     double *dec);

#endif /* KUZAT_INTERNAL_H */
