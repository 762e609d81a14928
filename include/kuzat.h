/*
 * kuzat.h -- the only public header of libkuzat.
 *
 * libkuzat scores text for militant-propaganda markers in Uzbek (Latin and
 * Cyrillic script), Tajik, Kyrgyz, Russian and English. This header is the
 * whole API: a name that is not declared here is not part of it.
 *
 * Conventions, which hold for every function below:
 *
 *  - Functions that can fail return an int status: KUZAT_OK (0) on success,
 *    a negative KUZAT_E* code on failure. kuzat_strstatus() names a code.
 *  - Functions that can fail take a `kuzat_error *err` last. It may be NULL.
 *    When it is not NULL and the call fails, err->status is the code returned
 *    and err->msg a NUL-terminated message in memory the caller owns. The
 *    library never prints, never exits, never calls setlocale() and keeps no
 *    mutable global state.
 *  - Text comes in as (const char *utf8, size_t len): no terminating NUL is
 *    needed, and NUL bytes inside the text are ordinary characters.
 *  - Objects are opaque handles made by a *_new or *_open function and
 *    released by the matching *_free, which accepts NULL as a harmless no-op.
 *  - Every allocation goes through the kuzat_allocator given at creation;
 *    NULL means malloc/realloc/free. If objects are used from several
 *    threads, the allocator functions must be thread-safe.
 *
 *  - A failed call leaves its objects as they were before the call, and
 *    usable: after KUZAT_ENOMEM, the same call can simply be retried (the
 *    exception is kuzat_reader_next(), after which the reader is done).
 *    Outputs of a failed call are set to NULL / empty where documented.
 *  - Memory that ICU and libsvm allocate internally does not go through
 *    kuzat_allocator: they use malloc.
 *
 * Thread safety: an object may be used by one thread at a time. Different
 * objects may be used concurrently by different threads without locking.
 * A kuzat_model is the exception: it is read-only once loaded or trained,
 * and any number of threads may score with it at once, each through its
 * own kuzat_scorer. Functions that take no object (version, status,
 * language and format names, tokenise, feature hash, metrics, Platt) are
 * thread-safe.
 *
 * A moderation service, in outline (examples/moderate.c is a whole one):
 *
 *    kuzat_model *m;  kuzat_error err;
 *    if (kuzat_model_load_mem(bytes, len, NULL, &m, &err))   // or _file
 *      fail(err.msg);
 *    // in each worker thread:
 *    kuzat_scorer *s;
 *    if (kuzat_scorer_new(m, NULL, &s, &err)) fail(err.msg);
 *    const kuzat_result *r;
 *    if (kuzat_score(s, text, len, NULL, 0, NULL, &r, &err)) fail(err.msg);
 *    if (r->any_flagged) send_to_review(r->score, kuzat_lang_name(r->lang));
 *    kuzat_scorer_free(s);
 *    // when every worker is done:
 *    kuzat_model_free(m);
 *
 * Build with  cc ... $(pkg-config --cflags --libs kuzat).
 */
#ifndef KUZAT_H
#define KUZAT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define KUZAT_EXTERN
#elif defined(__GNUC__)
#define KUZAT_EXTERN __attribute__((visibility("default")))
#else
#define KUZAT_EXTERN
#endif

/* ---------------------------------------------------------------------- */
/* Version                                                                  */
/* ---------------------------------------------------------------------- */

#define KUZAT_VERSION_MAJOR 0
#define KUZAT_VERSION_MINOR 2
#define KUZAT_VERSION_PATCH 0
#define KUZAT_VERSION "0.2.0"
/* MAJOR * 1000000 + MINOR * 1000 + PATCH, comparable with <, > */
#define KUZAT_VERSION_NUMBER 2000

/* Version of the normaliser's output. It changes whenever any input can
 * normalise differently, because models are trained on normalised text and
 * record the version they were trained with. */
#define KUZAT_NORMALISER_VERSION 1

/* The library's version string, e.g. "0.2.0". Compare it, or
 * kuzat_version_number(), with the macros above to detect a header and
 * library mismatch. Static storage; thread-safe. */
KUZAT_EXTERN const char *kuzat_version(void);
KUZAT_EXTERN int kuzat_version_number(void);

/* ---------------------------------------------------------------------- */
/* Status codes                                                             */
/* ---------------------------------------------------------------------- */

/* One table, expanded into the enum, kuzat_strstatus() and the tests, so
 * codes and messages cannot drift apart. Codes never change meaning, and a
 * new one is added at the end. KUZAT_EUTF8 is reserved: this version never
 * returns it (invalid UTF-8 is substituted, not refused: see
 * kuzat_normalise()). KUZAT_ENOTSUP: an encoding ICU has no converter for
 * (kuzat_reader_set_encoding()). KUZAT_ENOTTEXT: the status of a record
 * made from input that is not text (kuzat_record.status). */
#define KUZAT_STATUS_MAP(X)                                                  \
  X(OK, 0, "success")                                                        \
  X(ENOMEM, -1, "out of memory")                                             \
  X(EIO, -2, "I/O error")                                                    \
  X(EFORMAT, -3, "malformed input")                                          \
  X(EVERSION, -4, "format version not supported")                           \
  X(EUTF8, -5, "input is not valid UTF-8")                                   \
  X(EINVAL, -6, "invalid argument")                                          \
  X(EICU, -7, "ICU error")                                                   \
  X(ERANGE, -8, "value or size out of range")                                \
  X(ENOTSUP, -9, "not supported")                                           \
  X(ENOTTEXT, -10, "input is not text")

#define KUZAT__STATUS_ENUM(name, code, text) KUZAT_##name = code,
typedef enum kuzat_status { KUZAT_STATUS_MAP(KUZAT__STATUS_ENUM) } kuzat_status;
#undef KUZAT__STATUS_ENUM

/* A short English description of a status code ("out of memory"), or
 * "unknown status" for a code not in the table. Static storage; never NULL;
 * thread-safe. */
KUZAT_EXTERN const char *kuzat_strstatus(int status);

/* Details of a failure, in memory the caller owns. `line` and `byte_offset`
 * say where in the input, where the library knows it, else they are 0: a
 * damaged or truncated model sets byte_offset (in the uncompressed content,
 * the byte its message names); the reader sets line for a bad TSV header
 * (1) and for a read or gzip error (the last line read). A bad record is
 * not an error of this kind: its place is in kuzat_record.error. */
typedef struct kuzat_error {
  int status;
  long line;
  long long byte_offset;
  char msg[256];
} kuzat_error;

/* Custom memory allocation. Any member may be NULL, in which case the
 * C library's function is used for that member. `ud` is passed through. */
typedef struct kuzat_allocator {
  void *(*alloc)(void *ud, size_t n);
  void *(*realloc)(void *ud, void *p, size_t n);
  void (*free)(void *ud, void *p);
  void *ud;
} kuzat_allocator;

/* ---------------------------------------------------------------------- */
/* Languages                                                                */
/* ---------------------------------------------------------------------- */

/* Languages and scripts the normaliser identifies, one row each:
 * X(ID, code, script, description) gives KUZAT_LANG_ID, the code
 * kuzat_lang_name() returns, and the script (LATIN, CYRILLIC, ARABIC; NONE
 * for "other") within which the identifier tells languages apart by
 * profiles of datasets/langid/CODE.txt. Values are stable: a language is
 * added as a row at the end and a CODE.txt (and, if it writes letters the
 * others of its script lack, as Kazakh ә does, those letters in langid.c). */
#define KUZAT_LANG_MAP(X)                                            \
  X(OTHER, "other", NONE, "any other language, or no letters")       \
  X(UZ_LATN, "uz-Latn", LATIN, "Uzbek, Latin script")                \
  X(UZ_CYRL, "uz-Cyrl", CYRILLIC, "Uzbek, Cyrillic script")          \
  X(TG, "tg", CYRILLIC, "Tajik (Cyrillic)")                          \
  X(KY, "ky", CYRILLIC, "Kyrgyz (Cyrillic)")                         \
  X(RU, "ru", CYRILLIC, "Russian")                                   \
  X(EN, "en", LATIN, "English")                                      \
  X(AR, "ar", ARABIC, "Arabic")                                      \
  X(FA, "fa", ARABIC, "Persian / Dari (Arabic script)")

#define KUZAT__LANG_ENUM(id, code, script, text) KUZAT_LANG_##id,
typedef enum kuzat_lang { KUZAT_LANG_MAP(KUZAT__LANG_ENUM) KUZAT_LANG_COUNT } kuzat_lang;
#undef KUZAT__LANG_ENUM

/* The code of a language ("uz-Cyrl"), or "other" for values out of range.
 * Static storage; thread-safe. */
KUZAT_EXTERN const char *kuzat_lang_name(int lang);

/* The kuzat_lang whose code is `name` (exactly, case-sensitive), or -1. */
KUZAT_EXTERN int kuzat_lang_from_name(const char *name, size_t len);

/* The script `len` bytes of UTF-8 are written in: the ISO 15924 code
 * ("Latn", "Cyrl", "Arab", "Grek", "Hani", ...) of the script of at least
 * 80% of their letters, "mixed" when no script has that many, "none" when
 * there is no letter. Marks, digits, punctuation and symbols do not
 * count; ill-formed bytes are skipped. The text as written, not
 * normalised: Uzbek Cyrillic is "Cyrl". Static storage; thread-safe. */
KUZAT_EXTERN const char *kuzat_script(const char *utf8, size_t len);

/* ---------------------------------------------------------------------- */
/* Normaliser                                                               */
/* ---------------------------------------------------------------------- */

/* The normaliser gives one form to every spelling of a word that a reader
 * sees as the same word, whatever the script, apostrophe, case, Unicode form
 * or deliberate evasion, and keeps different words different. In order:
 *
 *  1. UTF-8 decoding; each maximal ill-formed byte sequence becomes U+FFFD,
 *     so no document is ever rejected and a NUL byte never ends one.
 *  2. Uzbek apostrophe folding (before NFKC, which would split U+00B4): any
 *     of ' ` ´ ‘ ’ ʹ ʻ ʼ ʽ ′ ＇ after o or g and before a letter, or after a
 *     word-final g, becomes U+02BB (oʻ gʻ); between two other letters it
 *     becomes U+02BC (the tutuq belgisi); elsewhere it is a quote and stays.
 *  3. NFKC_Casefold (ICU), which also deletes invisible characters (soft
 *     hyphen, zero-width space and joiners, word joiner, BOM, bidi
 *     controls); other control characters are deleted too; every whitespace
 *     character becomes one space, runs collapse, ends are trimmed.
 *  4. Cleanup: Latin letters lose diacritics; combining marks left alone
 *     after NFKC are dropped (й ё ў stay single letters); Arabic-script
 *     letter variants unified (ي ى -> ی, ك -> ک), tatweel and harakat
 *     removed; decimal digits of every script become ASCII.
 *  5. Language and script identification of the whole document.
 *  6. Homoglyph repair in words that mix Latin, Cyrillic or Greek letters:
 *     lookalikes are mapped to the word's majority script.
 *  7. Uzbek Cyrillic -> official Uzbek Latin, for documents identified as
 *     uz-Cyrl, and for words containing ў (a letter only Uzbek writes) in
 *     any document; Kyrgyz, Tajik and Russian stay Cyrillic.
 *
 * (Identification runs before homoglyph repair because the repair of Latin h
 * in a Cyrillic word depends on the language: ҳ in Uzbek and Tajik, н
 * elsewhere.)
 *
 * Output is UTF-8 on one line. Tokenising the output is kuzat_tokenise(). */
typedef struct kuzat_normaliser kuzat_normaliser;

/* Result of kuzat_normalise(). All pointers belong to the normaliser and
 * stay valid until its next kuzat_normalise() call or its kuzat_*_free(). */
typedef struct kuzat_text {
  const char *utf8; /* normalised text, NUL-terminated */
  size_t len;       /* its length in bytes, without the NUL */
  int lang;         /* kuzat_lang of the document */
  /* With KUZAT_NORM_OFFSETS: for each output byte i, the input bytes
   * [src_start[i], src_end[i]) it came from. NULL otherwise. */
  const size_t *src_start;
  const size_t *src_end;
} kuzat_text;

/* Flags for kuzat_normalise(). */
#define KUZAT_NORM_OFFSETS 0x1u  /* fill src_start/src_end */
#define KUZAT_NORM_NO_TRANSLIT 0x2u /* keep Uzbek Cyrillic in Cyrillic */

/* Make a normaliser. It holds ICU handles and scratch buffers; use one per
 * thread. `a` may be NULL. On success stores it in *out and returns KUZAT_OK.
 * Returns KUZAT_EINVAL if out is NULL, KUZAT_ENOMEM, or KUZAT_EICU when ICU's
 * data cannot be opened (err->msg carries ICU's error name). */
KUZAT_EXTERN int kuzat_normaliser_new(const kuzat_allocator *a,
                                      kuzat_normaliser **out, kuzat_error *err);

/* Free a normaliser and every result it returned. NULL is a no-op. */
KUZAT_EXTERN void kuzat_normaliser_free(kuzat_normaliser *n);

/* Normalise `len` bytes at `utf8` (any bytes; invalid UTF-8 is substituted)
 * and describe the result in *out. `flags` is 0 or a combination of
 * KUZAT_NORM_* flags. Any length that fits in memory is accepted.
 * Returns KUZAT_OK; KUZAT_EINVAL if n or out is NULL, utf8 is NULL with
 * len > 0, or flags has an unknown bit; KUZAT_ENOMEM; KUZAT_EICU with
 * ICU's error name in err->msg. On failure *out (when not NULL) is set to
 * an empty text. */
KUZAT_EXTERN int kuzat_normalise(kuzat_normaliser *n, const char *utf8,
                                 size_t len, unsigned flags, kuzat_text *out,
                                 kuzat_error *err);

/* Identify the language of `len` bytes of UTF-8 without keeping the
 * normalised text: the same answer as kuzat_normalise()'s `lang`. Stores
 * the kuzat_lang in *lang (KUZAT_LANG_OTHER for no text). Returns as
 * kuzat_normalise(), KUZAT_EINVAL also when lang is NULL. */
KUZAT_EXTERN int kuzat_identify(kuzat_normaliser *n, const char *utf8,
                                size_t len, int *lang, kuzat_error *err);

/* ---------------------------------------------------------------------- */
/* Tokeniser                                                                */
/* ---------------------------------------------------------------------- */

/* Kinds of token. Class tokens (URL, MENTION, EMAIL, HASHTAG, NUMBER) are
 * followed by WORD tokens for their parts, so "https://t.me/xuroson" gives
 * URL "https://t.me/xuroson", then WORD "https", "t", "me", "xuroson". */
typedef enum kuzat_token_kind {
  KUZAT_TOKEN_WORD = 0, /* run of letters, marks, digits, inner ʻ ʼ */
  KUZAT_TOKEN_NUMBER,   /* run of digits (with inner . , :) */
  KUZAT_TOKEN_URL,      /* scheme://... or www.... */
  KUZAT_TOKEN_MENTION,  /* @name */
  KUZAT_TOKEN_HASHTAG,  /* #name */
  KUZAT_TOKEN_EMAIL     /* name@host.tld */
} kuzat_token_kind;

/* A token: bytes [off, off + len) of the normalised text. */
typedef struct kuzat_token {
  size_t off;
  size_t len;
  int kind;
} kuzat_token;

/* Split normalised text (the output of kuzat_normalise()) into tokens.
 * Writes at most `cap` tokens to `toks` and stores in *count the number of
 * tokens the text has, which may exceed `cap`: call again with a larger
 * array to get them all. `toks` may be NULL when cap is 0.
 * Returns KUZAT_OK, or KUZAT_EINVAL when count is NULL, norm is NULL with
 * len > 0, or toks is NULL with cap > 0. Pure function: thread-safe. */
KUZAT_EXTERN int kuzat_tokenise(const char *norm, size_t len,
                                kuzat_token *toks, size_t cap, size_t *count);

/* ---------------------------------------------------------------------- */
/* Features                                                                 */
/* ---------------------------------------------------------------------- */

/* What the feature hasher takes from normalised text. Every field is stored
 * in a model file, so training and scoring always agree. */
typedef struct kuzat_feature_params {
  uint64_t seed; /* XXH3 seed */
  int bits;      /* buckets = 2^bits; 1..28 */
  int word_min, word_max; /* word n-grams, e.g. 1..2; 0..0 for none */
  int char_min, char_max; /* character n-grams inside <word>, e.g. 2..5 */
  /* Character n-grams of a word in Arabic script (its first code point in
   * U+0600..U+06FF or U+0750..U+077F; a word that starts with a digit is
   * not) instead of char_min..char_max. Code that fills this struct field
   * by field rather than from kuzat_feature_params_default() must set
   * these too (kuzat 0.1 had no such fields).
   * Short n-grams carry Arabic's prefixes, suffixes and clitics; long ones
   * serve the other scripts, whose models they make both better and faster
   * (bench/FEATURES.md). A range like char_min's, 0..0 for none, or both
   * KUZAT_CHAR_AS_OTHERS: char_min..char_max, whatever they are. A model
   * whose two ranges are equal is saved in format version 1, which every
   * kuzat reads, else in version 2 (kuzat 0.2 and later);
   * kuzat_model_feature_params() gives them resolved, never
   * KUZAT_CHAR_AS_OTHERS. */
  int arabic_char_min, arabic_char_max;
} kuzat_feature_params;
#define KUZAT_CHAR_AS_OTHERS (-1)

/* The defaults: seed 0, 20 bits, word 1..2-grams, character 5-grams, and
 * 2..5-grams for words in Arabic script (the shipped model's; until kuzat
 * 0.2, character 2..5-grams for every word).
 * (p NULL: nothing happens; the same for the other *_default functions.) */
KUZAT_EXTERN void kuzat_feature_params_default(kuzat_feature_params *p);

/* One feature: the same layout as libsvm's struct svm_node, so an array
 * of them can be passed to libsvm as it is. */
typedef struct kuzat_feature {
  int index;    /* 1-based bucket; -1 ends an array */
  double value;
} kuzat_feature;

/* Namespaces, one per kind of feature. A feature's hash is XXH3-64 of its
 * UTF-8 bytes with the seed  seed XOR (namespace * 0x9E3779B97F4A7C15).
 * Part of the model format; never changed within a format version. */
#define KUZAT_NS_WORD 0x01   /* a word:               "jihod"            */
#define KUZAT_NS_BIGRAM 0x02 /* two words, one space: "hijrat qil"       */
#define KUZAT_NS_CHAR 0x03   /* characters of <word>: "<ji", "od>"       */
#define KUZAT_NS_CLASS 0x04  /* a token class:        "url"              */
/* Word n-grams of n > 2 words use namespace 0x10 + n. Class names are
 * "num", "url", "mention", "hashtag" and "email"; a number is also hashed
 * as a word, and a URL's, e-mail's, mention's or hashtag's parts follow it
 * as words. */

typedef struct kuzat_featuriser kuzat_featuriser;

/* Make a featuriser (scratch space for one thread). `p` NULL means the
 * defaults. Returns KUZAT_OK; KUZAT_EINVAL (out NULL, or parameters out of
 * range: err->msg names the field); KUZAT_ENOMEM. */
KUZAT_EXTERN int kuzat_featuriser_new(const kuzat_feature_params *p,
                                      const kuzat_allocator *a,
                                      kuzat_featuriser **out, kuzat_error *err);

/* Free a featuriser and every array it returned. NULL is a no-op. */
KUZAT_EXTERN void kuzat_featuriser_free(kuzat_featuriser *f);

/* Hash normalised text (kuzat_normalise()'s output) into a sparse vector:
 * for every word its unigram and bigram with the previous word, for every
 * word its character n-grams of "<word>", for every URL, @mention,
 * #hashtag, e-mail address and number its class; each feature is hashed
 * as kuzat_feature_hash() says; the bucket is the low `bits` bits and the
 * sign bit 63. A feature seen tf times weighs
 * 1 + ln(tf), features sharing a bucket are summed, and the vector is
 * L2-normalised. *out receives *count features with ascending indices
 * 1..2^bits, followed by one with index -1; it belongs to the featuriser
 * and stays valid until its next call. No text gives an empty vector
 * (*count 0, one feature with index -1). Returns KUZAT_OK; KUZAT_EINVAL
 * (f, out or count NULL, norm NULL with len > 0); KUZAT_ENOMEM. */
KUZAT_EXTERN int kuzat_featurise(kuzat_featuriser *f, const char *norm,
                                 size_t len, const kuzat_feature **out,
                                 size_t *count, kuzat_error *err);

/* The hash of one feature, as kuzat_featurise() computes it: XXH3-64 of
 * `len` bytes with the seed  seed ^ (ns * 0x9E3779B97F4A7C15)  (64-bit
 * arithmetic). For tests and for reproducing features in another language.
 * bytes NULL hashes the empty string. Thread-safe. */
KUZAT_EXTERN uint64_t kuzat_feature_hash(uint64_t seed, int ns,
                                         const char *bytes, size_t len);

/* ---------------------------------------------------------------------- */
/* Models                                                                   */
/* ---------------------------------------------------------------------- */

/* A trained model: one calibrated binary SVM per marker, with everything
 * scoring needs (normaliser version, feature parameters, labels, weights,
 * calibration, thresholds). Read-only once loaded: any number of threads
 * may use one model at the same time. The file format is described in
 * docs/model-format.md. */
typedef struct kuzat_model kuzat_model;

/* The newest file format version this library reads, and the one it
 * writes. Versions 1 and 2 (kuzat 0.1 and 0.2) are read as well. */
#define KUZAT_MODEL_FORMAT 3
#define KUZAT_KERNEL_LINEAR 0
#define KUZAT_KERNEL_RBF 2

/* Load a model from a file or from `len` bytes in memory (the file's
 * contents; the buffer is not kept). Every count is checked against the
 * bytes present before anything is allocated, and the CRC-32 over the
 * whole content before anything is believed. Returns KUZAT_OK;
 * KUZAT_EIO (cannot read the file); KUZAT_EFORMAT (not a kuzat model,
 * damaged, truncated: err->msg says what and at which byte);
 * KUZAT_EVERSION (a newer format); KUZAT_ENOMEM; KUZAT_EINVAL (path,
 * buf or out NULL). An empty path is KUZAT_EIO, an empty buffer
 * KUZAT_EFORMAT. On failure *out is NULL. The loaded model is read-only:
 * share it between threads freely. */
KUZAT_EXTERN int kuzat_model_load_file(const char *path, const kuzat_allocator *a,
                                       kuzat_model **out, kuzat_error *err);
KUZAT_EXTERN int kuzat_model_load_mem(const void *buf, size_t len,
                                      const kuzat_allocator *a,
                                      kuzat_model **out, kuzat_error *err);

/* Write the model to `path` atomically: to a temporary file in the same
 * directory, flushed to disk, then renamed over `path`, so a crash or a
 * full disk leaves any previous file intact. A path that is not a regular
 * file (a device such as /dev/stdout, a pipe) is written directly instead.
 * Returns KUZAT_OK, KUZAT_EIO (err->msg names the file and the reason; an
 * empty path is one), KUZAT_ENOMEM, KUZAT_EINVAL (m or path NULL).
 * Thread-safe for one model (it only reads it). */
KUZAT_EXTERN int kuzat_model_save(const kuzat_model *m, const char *path,
                                  kuzat_error *err);

/* Free a model. NULL is a no-op. */
KUZAT_EXTERN void kuzat_model_free(kuzat_model *m);

/* The model's id: 16 hex digits of a hash of its content. Owned by the
 * model. "" for NULL.
 * These accessors are thread-safe, and take NULL or an out-of-range
 * marker without harm: markers 0, marker NULL, feature_params leaves *p
 * as it was, threshold 0.5, probability 0, kernel -1. */
KUZAT_EXTERN const char *kuzat_model_id(const kuzat_model *m);

/* Number of markers, and the name of marker i (NULL when out of range). */
KUZAT_EXTERN size_t kuzat_model_markers(const kuzat_model *m);
KUZAT_EXTERN const char *kuzat_model_marker(const kuzat_model *m, size_t i);

/* The feature parameters the model was trained with. */
KUZAT_EXTERN void kuzat_model_feature_params(const kuzat_model *m,
                                             kuzat_feature_params *p);

/* Marker i's decision threshold on the calibrated probability. */
KUZAT_EXTERN double kuzat_model_threshold(const kuzat_model *m, size_t i);

/* Decision values of every marker for a feature vector (as from
 * kuzat_featurise(), ended by index -1) into dec[0 .. markers-1]. Linear
 * markers cost O(features of x). Returns KUZAT_OK or KUZAT_EINVAL (a NULL
 * argument). Thread-safe. */
KUZAT_EXTERN int kuzat_model_decision(const kuzat_model *m, const kuzat_feature *x,
                                      double *dec, kuzat_error *err);

/* Marker i's calibrated probability for decision value f. */
KUZAT_EXTERN double kuzat_model_probability(const kuzat_model *m, size_t i,
                                            double f);

/* The kernel of marker i: KUZAT_KERNEL_LINEAR or KUZAT_KERNEL_RBF (-1 when
 * out of range). */
KUZAT_EXTERN int kuzat_model_kernel(const kuzat_model *m, size_t i);

/* A timed part of a transcript: a subtitle cue or an ASR segment. */
typedef struct kuzat_segment {
  double start, end; /* seconds from the start of the media */
  size_t off, len;   /* its text: bytes [off, off + len) of the record's text */
} kuzat_segment;

/* ---------------------------------------------------------------------- */
/* Scoring                                                                  */
/* ---------------------------------------------------------------------- */

/* A scorer holds what one thread needs to score documents with a model:
 * a normaliser, a featuriser and result buffers. Make one per thread; any
 * number of scorers may share one model, which must outlive them. */
typedef struct kuzat_scorer kuzat_scorer;

/* Make a scorer for `m`. Returns KUZAT_OK; KUZAT_EINVAL (NULL model or
 * out); KUZAT_ENOMEM; KUZAT_EICU. (A model of another normaliser version
 * is refused when it is loaded.) The scorer only reads the model; each
 * thread needs a scorer of its own. */
KUZAT_EXTERN int kuzat_scorer_new(const kuzat_model *m, const kuzat_allocator *a,
                                  kuzat_scorer **out, kuzat_error *err);

/* Free a scorer and every result it returned. NULL is a no-op. */
KUZAT_EXTERN void kuzat_scorer_free(kuzat_scorer *s);

/* The normalised text of the last kuzat_score() call of this scorer (with
 * offsets when that call needed them: segments, explanations, windows), so
 * that kuzat_known_match_text() need not normalise it again. Valid until
 * the scorer's next call or kuzat_scorer_free(). NULL for a NULL scorer,
 * before its first kuzat_score() and after a failed one. */
KUZAT_EXTERN const kuzat_text *kuzat_scorer_text(const kuzat_scorer *s);

/* How to score. kuzat_score_params_default() fills in the defaults. */
typedef struct kuzat_score_params {
  /* Transcripts: a document's score is its worst window, a window being
   * any run of `window` consecutive segments (sliding by one segment) or
   * any one segment alone, so a long transcript is flagged by its worst
   * minute, not diluted by the rest, and one line among small talk by
   * itself, not diluted by its neighbours. Default 5. */
  size_t window;
  /* Plain text whose normalised form is longer than this many bytes is
   * scored in windows of about this size, cut at spaces, each overlapping
   * the next by half; the document's score is the worst window's. Default
   * 4096; at least 64. */
  size_t window_bytes;
  /* Keep the `explain` largest contributions (by absolute value) to each
   * linear marker's decision value in its worst window. Default 0. */
  size_t explain;
  /* A probability >= threshold flags a marker. Negative (the default):
   * each marker's own threshold from the model. */
  double threshold;
} kuzat_score_params;

KUZAT_EXTERN void kuzat_score_params_default(kuzat_score_params *p);

/* One n-gram of the document, as an explanation reports it. */
typedef struct kuzat_ngram {
  const char *text; /* as hashed: normalised; a character n-gram of a word
                       carries the word's ends as '<' and '>' */
  size_t len;
  int ns;           /* KUZAT_NS_WORD, _BIGRAM, _CHAR, _CLASS, 0x10 + n */
  size_t count;     /* occurrences in the window */
  /* its first occurrence: bytes [src_start, src_end) of the scored text */
  size_t src_start, src_end;
} kuzat_ngram;

/* One feature's part in a decision value. The model keeps no vocabulary,
 * only a weight per bucket: every n-gram that hashes into the bucket,
 * in training or here, shares that weight. `ngrams` lists the window's
 * own n-grams in the bucket; more than one is a collision in this
 * document, and n-grams of the training data may share it too. */
typedef struct kuzat_contribution {
  int index;    /* the bucket (1-based feature index) */
  double value; /* weight times feature value: its part of the decision */
  const kuzat_ngram *ngrams;
  size_t ngrams_len;
} kuzat_contribution;

/* A word's part in a decision value: the share of every feature
 * occurrence it holds (a feature seen tf times gives each occurrence
 * 1/tf of its part; a word pair is shared half and half; a class token
 * such as a URL goes to its first word). Over all the words of a window
 * the parts add up, with the bias, to the decision value. A word that
 * occurs more than once is one entry, its parts summed. */
typedef struct kuzat_word_part {
  const char *word; /* normalised */
  size_t len;
  double value;
  size_t count;     /* occurrences in the window */
  /* its first occurrence: bytes [src_start, src_end) of the scored text */
  size_t src_start, src_end;
} kuzat_word_part;

/* A scored window: segments first..last of a transcript, or a stretch of
 * plain text; bytes [src_start, src_end) of the scored text. */
typedef struct kuzat_window {
  size_t first, last;
  size_t src_start, src_end;
} kuzat_window;

/* What kuzat_score() found. Every pointer belongs to the scorer and stays
 * valid until its next kuzat_score() or kuzat_scorer_free(). Arrays
 * indexed by marker have kuzat_model_markers() entries, in the model's
 * order. */
/* The name of the marker that, when a model has it, is the verdict. */
#define KUZAT_DECISION_MARKER "propaganda"

typedef struct kuzat_result {
  int lang;               /* kuzat_lang of the whole document */
  size_t markers;
  const double *prob;     /* calibrated probability: the worst window's */
  const double *decision; /* the decision value that gave it */
  const size_t *best;     /* the window it came from */
  const int *flagged;     /* prob >= the threshold in force */
  const double *threshold;/* the threshold in force per marker */
  /* The verdict. In a model with a marker named KUZAT_DECISION_MARKER
   * ("propaganda"), that marker decides: any_flagged is its flag and score
   * its probability, and the other markers only say why. Otherwise
   * any_flagged is set when any marker is flagged, and score is the
   * highest prob of any marker (0 with none). */
  int any_flagged;
  double score;
  size_t windows;         /* at least 1; a transcript's runs of `window`
                             segments, then (window > 1) its segments
                             alone, in order */
  const kuzat_window *window;
  const double *window_prob; /* [w * markers + i] */
  size_t segments;           /* as passed to kuzat_score() */
  const double *segment_prob;/* [s * markers + i]: each segment on its own */
  /* With params.explain > 0: per marker, its largest contributions in its
   * worst window, by absolute value, largest first (none for RBF markers,
   * whose decision is not a sum over features). */
  const kuzat_contribution *const *explain;
  const size_t *explain_len;
  /* With params.explain > 0: per marker, the `explain` words with the
   * largest parts (by absolute value) in its worst window, largest first
   * (none for RBF markers). Easier to read than n-grams: a word's part
   * gathers its character n-grams. */
  const kuzat_word_part *const *explain_words;
  const size_t *explain_words_len;
} kuzat_result;

/* Score `len` bytes of text. For a transcript, `segs` lists its segments
 * (as kuzat_reader gives them: byte ranges of `text`, in order, not
 * overlapping); each is scored alone, and the windows of params->window
 * segments give the document's score. With nsegs = 0 the text is one
 * document, in windows when it is long. `p` NULL means the defaults.
 * Returns KUZAT_OK with *out; KUZAT_EINVAL (s or out NULL, text NULL with
 * len > 0, segs NULL with nsegs > 0, segments out of order or outside the
 * text, window 0, window_bytes under 64); KUZAT_ENOMEM; KUZAT_EICU. An
 * empty text scores as one empty window. On failure the scorer's previous
 * result is no longer valid, and the scorer can be used again. */
KUZAT_EXTERN int kuzat_score(kuzat_scorer *s, const char *text, size_t len,
                             const kuzat_segment *segs, size_t nsegs,
                             const kuzat_score_params *p,
                             const kuzat_result **out, kuzat_error *err);

/* ---------------------------------------------------------------------- */
/* Training                                                                 */
/* ---------------------------------------------------------------------- */

/* Labelled documents, normalised and hashed as they are added. */
typedef struct kuzat_trainset kuzat_trainset;

/* Make an empty training set whose documents will be hashed with `fp`
 * (NULL: the defaults). Returns KUZAT_OK, KUZAT_EINVAL, KUZAT_ENOMEM,
 * KUZAT_EICU. */
KUZAT_EXTERN int kuzat_trainset_new(const kuzat_feature_params *fp,
                                    const kuzat_allocator *a,
                                    kuzat_trainset **out, kuzat_error *err);

/* Add one document. `labels` is a comma-separated list (may be empty: a
 * document with no marker); `lang` a kuzat_lang code, or empty to use the
 * identified language; `group` the account or source the document comes
 * from, or empty to make it a group of its own (no group is ever split
 * across cross-validation folds); a group "FAMILY/NAME" is the group NAME
 * in a family (news, scripture, chat...) whose false-positive rate
 * kuzat_train_params.target_fpr bounds on its own. Returns KUZAT_OK, KUZAT_EINVAL (a
 * label longer than 255 bytes or with a control character, an unknown
 * lang code: err->msg says which; t NULL; a NULL pointer with a length
 * above 0), KUZAT_ENOMEM, KUZAT_EICU. A refused document is not added. */
KUZAT_EXTERN int kuzat_trainset_add(kuzat_trainset *t, const char *text,
                                    size_t len, const char *labels,
                                    size_t labels_len, const char *lang,
                                    size_t lang_len, const char *group,
                                    size_t group_len, kuzat_error *err);

/* Number of documents added (0 for NULL). */
KUZAT_EXTERN size_t kuzat_trainset_rows(const kuzat_trainset *t);

/* Free a training set. NULL is a no-op. */
KUZAT_EXTERN void kuzat_trainset_free(kuzat_trainset *t);

/* How to train. kuzat_train_params_default() fills in the defaults. */
typedef struct kuzat_train_params {
  int kernel;          /* KUZAT_KERNEL_LINEAR (default) or KUZAT_KERNEL_RBF */
  double gamma;        /* RBF only; default 1 (vectors have unit length) */
  const double *grid;  /* values of C tried by cross-validation; default */
  size_t grid_len;     /* 0.1, 1, 10 (also what grid_len 0 means) */
  int folds;           /* cross-validation folds, 2..20; default 5 */
  double target_precision; /* 0: threshold at maximum F1; else the lowest
                              threshold reaching this precision */
  const char *negatives;   /* comma-separated labels that mean "no marker" */
  uint64_t seed;           /* fold assignment; same data + seed = same model */
  int threads;             /* markers trained in parallel; default 1 */
  /* Called now and then with the fraction done (0..1), from the calling
   * thread or a worker; may be NULL. */
  void (*progress)(void *ud, double done);
  void *progress_ud;
  /* The operating point held to a false-alarm rate: with target_fpr in
   * (0, 1), each marker's threshold is raised until at most this fraction
   * of the benign rows (rows with no marker) is flagged out of fold in
   * each family of each language (the FAMILY of a group named
   * "FAMILY/NAME") that has at least 1/target_fpr benign rows; rows of no
   * family, and smaller cells, do not bound it.
   * Copies of a document (rows with the same vector, a way to weight rows)
   * count once in a cell. The decision marker's threshold is the lowest
   * meeting that bound; the other markers keep their own (maximum F1 or
   * target_precision) when it is higher; with no cell large enough, every
   * threshold is chosen as without the bound. 0 (the default): no bound. */
  double target_fpr;
  /* The label every marker implies (e.g. "propaganda"), or NULL. A row
   * labelled with it and no other marker (data that says "propaganda"
   * without saying which kind) trains the decision alone: the other
   * markers leave it out of their training, and its truth for them in the
   * report is -1 (unknown). */
  const char *decision;
} kuzat_train_params;

KUZAT_EXTERN void kuzat_train_params_default(kuzat_train_params *p);

/* What training found, per marker. */
typedef struct kuzat_train_marker {
  const char *name;
  double C;                /* chosen by cross-validation */
  size_t positives, negatives;
  size_t support_vectors;  /* of the final fit */
  double seconds;          /* wall time of this marker's training */
} kuzat_train_marker;

/* The report of a training run, owned by the caller (free it with
 * kuzat_train_report_free()). oof and truth hold, for every row and
 * marker, the out-of-fold calibrated probability (the row's group was not
 * in the fit that scored it) and the 0/1 truth: row r, marker k at
 * [r * markers + k]; both are -1 where the row's truth for the marker is
 * unknown (see kuzat_train_params.decision). lang holds each row's
 * kuzat_lang. */
typedef struct kuzat_train_report {
  size_t rows, markers;
  const kuzat_train_marker *marker;
  const double *oof;
  const int *truth;
  const int *lang;
  double seconds;
} kuzat_train_report;

KUZAT_EXTERN void kuzat_train_report_free(kuzat_train_report *r);

/* Train one calibrated binary SVM per marker (every label not among the
 * negatives), one-vs-rest, with class weights balanced: for each C of
 * the grid, k-fold cross-validation with folds cut by group; the C with
 * the best out-of-fold average precision (ties: the smaller C); Platt
 * calibration and the threshold fitted on the out-of-fold scores; then the
 * final fit on all rows. A linear fit is the solution of a plain libsvm
 * fit on all rows, within libsvm's tolerance: up to 4,000 rows found by
 * libsvm on working sets (a subset, then the rows the collapsed model
 * leaves inside the margin, until none is left); above that by kuzat's own
 * solver of the same dual, with libsvm's pair steps and stopping rule.
 * Returns KUZAT_OK with *out (and *report when report is not NULL);
 * KUZAT_EINVAL with err->msg for: t or out NULL, no rows, no marker, a
 * marker with only one class, a marker whose positives all fall in one
 * group, bad parameters (folds outside 2..20, an unknown kernel, gamma or
 * a C not positive, target_precision outside 0..1); KUZAT_ENOMEM. `p`
 * NULL means the defaults. The same set, parameters and seed give a
 * byte-identical model, whatever `threads`. When memory for the Gram
 * matrix that cross-validation shares (n * n doubles up to 4,000 rows)
 * cannot be had, each fit computes its own: slower, same result.
 *
 * libsvm prints through one process-wide hook. kuzat_train() sets it,
 * once (pthread_once), to a function that prints nothing, so training
 * never writes to stdout; a program that also calls libsvm directly and
 * wants its messages must call svm_set_print_string_function() itself
 * after its first kuzat_train(). */
KUZAT_EXTERN int kuzat_train(const kuzat_trainset *t, const kuzat_train_params *p,
                             kuzat_model **out, kuzat_train_report **report,
                             kuzat_error *err);

/* ---------------------------------------------------------------------- */
/* Metrics and calibration                                                  */
/* ---------------------------------------------------------------------- */

/* Quality of scores against 0/1 labels. */
typedef struct kuzat_metrics {
  size_t n, positives;
  double threshold;           /* a score >= threshold is flagged */
  size_t tp, fp, fn, tn;
  double precision, recall, f1; /* 0 when undefined (no flags, no positives) */
  double pr_auc;  /* average precision (area under the precision-recall step curve) */
  double roc_auc; /* ties count one half; 0.5 when only one class is present */
  double ece;     /* expected calibration error of scores read as probabilities:
                     10 equal-width bins over [0, 1], weighted by bin size */
} kuzat_metrics;

/* Compute *out for n scores and labels (0 or 1; anything else is
 * KUZAT_EINVAL). Returns KUZAT_OK, KUZAT_EINVAL (NULL pointers with n > 0,
 * a NaN score, a bad label), KUZAT_ENOMEM (it sorts a copy). n = 0 gives
 * all zeros and roc_auc 0.5. Thread-safe. */
KUZAT_EXTERN int kuzat_metrics_compute(const double *scores, const int *labels,
                                       size_t n, double threshold,
                                       const kuzat_allocator *a,
                                       kuzat_metrics *out);

/* The quality table both programs print: for each marker, its metrics over
 * every row (lang -1) and over the rows of each language present (in
 * kuzat_lang order). `prob` and `truth` are rows x markers (row r, marker k
 * at [r * markers + k]); a truth below 0 (unknown: see
 * kuzat_train_params.decision) leaves the row out of that marker's cells;
 * `lang` holds each row's kuzat_lang; `thresholds` one per marker. On
 * success *cells (free it with kuzat_eval_free(), same allocator) holds
 * *ncells cells, marker by marker, "all" first. Returns KUZAT_OK,
 * KUZAT_EINVAL (NULL pointers, a NaN score, a truth above 1), KUZAT_ENOMEM.
 * Thread-safe. */
typedef struct kuzat_eval_cell {
  size_t marker;
  int lang; /* a kuzat_lang, or -1 for every row */
  kuzat_metrics m;
} kuzat_eval_cell;

KUZAT_EXTERN int kuzat_eval_tables(const double *prob, const int *truth,
                                   const int *lang, size_t rows, size_t markers,
                                   const double *thresholds,
                                   const kuzat_allocator *a,
                                   kuzat_eval_cell **cells, size_t *ncells,
                                   kuzat_error *err);
KUZAT_EXTERN void kuzat_eval_free(kuzat_eval_cell *cells, const kuzat_allocator *a);

/* Platt scaling: fit P(y = 1 | f) = 1 / (1 + exp(A f + B)) to decision
 * values and 0/1 labels, by the Newton method with backtracking of Lin,
 * Lin and Weng (2007), with Platt's smoothed targets (N+ + 1) / (N+ + 2)
 * and 1 / (N- + 2). Returns KUZAT_OK, or KUZAT_EINVAL (n = 0, NULL
 * pointers, bad labels). Thread-safe. */
KUZAT_EXTERN int kuzat_platt_fit(const double *dec, const int *labels, size_t n,
                                 double *A, double *B);

/* The calibrated probability of decision value f: 1 / (1 + exp(A f + B)),
 * computed without overflow. */
KUZAT_EXTERN double kuzat_platt_prob(double A, double B, double f);

/* The threshold that maximises F1 on (scores, labels): the score of the
 * example at which F1 peaks (ties: the highest such threshold). With
 * target_precision in (0, 1]: instead the lowest threshold whose precision
 * is at least the target, or the highest score plus a little when none is
 * (nothing flagged). Returns KUZAT_OK, KUZAT_EINVAL, KUZAT_ENOMEM. */
KUZAT_EXTERN int kuzat_threshold_choose(const double *scores, const int *labels,
                                        size_t n, double target_precision,
                                        const kuzat_allocator *a,
                                        double *threshold);

/* ---------------------------------------------------------------------- */
/* Reading records                                                          */
/* ---------------------------------------------------------------------- */

/* Input formats. One table, expanded into the enum, the functions below
 * and the tests; a program may expand it too (for its --help). Per
 * format: the constant (KUZAT_FORMAT_ and the first column), its value
 * (stable: a new format takes the next one), its name, another name it
 * is also known by ("" for none), the file name endings that imply it
 * (separated by spaces, "" for none; no ending may end another) and what
 * it is. How each format is read, bad records and limits included:
 * docs/FORMATS.md. Gzip is detected by its magic bytes whatever the name. */
#define KUZAT_FORMAT_MAP(X)                                                     \
  X(AUTO, 0, "auto", "", "",                                                    \
    "chosen from the file name by kuzat_format_from_path()")                    \
  X(TEXT, 1, "text", "", "", "the whole file is one record")                    \
  X(LINES, 2, "lines", "", "",                                                  \
    "every line is one record, blank lines included")                           \
  X(TSV, 3, "tsv", "", ".tsv",                                                  \
    "a header row naming a \"text\" column, optional \"id\"; a record a row")   \
  X(JSONL, 4, "jsonl", "", ".jsonl .ndjson",                                    \
    "one JSON object a line with \"text\", optional \"id\"; or \"segments\"")   \
  X(FASTTEXT, 5, "fasttext", "ft", ".ft .fasttext",                             \
    "\"__label__a __label__b text\", one record a line")                        \
  X(SRT, 6, "srt", "", ".srt",                                                  \
    "SubRip subtitles: the whole file is one transcript")                       \
  X(VTT, 7, "vtt", "webvtt", ".vtt",                                            \
    "WebVTT subtitles: the whole file is one transcript")                       \
  X(WHISPER, 8, "whisper", "", ".json",                                         \
    "Whisper's JSON output, an object with \"segments\": one transcript")

#define KUZAT__FORMAT_ENUM(id, value, name, alias, endings, text) \
  KUZAT_FORMAT_##id = value,
typedef enum kuzat_format {
  KUZAT_FORMAT_MAP(KUZAT__FORMAT_ENUM)
  KUZAT_FORMAT_COUNT /* one more than the last value */
} kuzat_format;
#undef KUZAT__FORMAT_ENUM

/* The name of format `format` ("tsv"), or NULL for a value that is no
 * format, so that `for (f = 0; kuzat_format_name(f); f++)` lists them all.
 * Static storage; thread-safe. */
KUZAT_EXTERN const char *kuzat_format_name(int format);

/* The format named `name` (its name or its other name in the table:
 * "auto", "text", "lines", "tsv", "jsonl", "fasttext" or "ft", "srt", "vtt"
 * or "webvtt", "whisper"; exactly, case-sensitive), or -1 (also for NULL). */
KUZAT_EXTERN int kuzat_format_from_name(const char *name);

/* The format (a kuzat_format, as an int like every format and language in
 * this API) that kuzat_reader_open() reads `path` in when given
 * KUZAT_FORMAT_AUTO: KUZAT_FORMAT_LINES for "-" (standard input); else, a
 * trailing ".gz" looked through, the format whose ending in the table ends
 * the name (case-sensitive: ".tsv", ".jsonl", ".ndjson", ".ft", ".fasttext",
 * ".srt", ".vtt", ".json"); KUZAT_FORMAT_TEXT for any other name. Only the
 * name is looked at: the file need not exist (and standard input read in
 * KUZAT_FORMAT_AUTO may turn out to be JSON Lines: kuzat_reader_open()). NULL gives KUZAT_FORMAT_AUTO,
 * which is returned for nothing else. Thread-safe. */
KUZAT_EXTERN int kuzat_format_from_path(const char *path);

typedef struct kuzat_reader kuzat_reader;

/* One record. All pointers belong to the reader and stay valid until the
 * next kuzat_reader_next() or kuzat_reader_free(). When `error` is not NULL
 * the record could not be read (bad JSON, missing text, too few columns, a
 * subtitle cue with a bad timestamp): `error` says what and where, `text`
 * is empty, and reading can go on. */
typedef struct kuzat_record {
  const char *id; /* the record's id, or "file:line" / "file" */
  size_t id_len;
  const char *text;
  size_t text_len;
  long line;         /* first input line of the record (1-based) */
  const char *error; /* NULL, or "file:line: what was wrong" */
  /* Labelled data (empty strings when the input has none): */
  const char *labels; /* labels joined by ',' (TSV "label"/"labels" column
                         as written, with '|' turned into ','; JSONL
                         "labels" array or "label" string; fastText
                         __label__ prefixes) */
  size_t labels_len;
  const char *lang;  /* TSV/JSONL "lang" */
  size_t lang_len;
  const char *group; /* TSV/JSONL "group": an account or source */
  size_t group_len;
  int has_labels;    /* the input has a label column or field at all */
  /* Transcripts (SRT, WebVTT, Whisper JSON, JSONL "segments"): the
   * segments in input order; `text` is their texts joined by '\n'.
   * NULL and 0 for other records. */
  const kuzat_segment *segments;
  size_t segments_len;
  /* Bytes the record's text had in the input. More than text_len when the
   * text was cut at the reader's limit (kuzat_reader_set_limit()). */
  size_t full_len;
  /* KUZAT_OK for a good record; for one with `error` set, why:
   * KUZAT_EFORMAT (malformed: bad JSON, a missing field, a bad timestamp,
   * too long to parse) or KUZAT_ENOTTEXT (the input is not text). */
  int status;
  /* The encoding the record's text was converted from into UTF-8 (an IANA
   * name: "UTF-16LE", "windows-1251", "KOI8-R"...), or NULL when the input
   * was read as UTF-8. Static storage: it outlives the reader. */
  const char *encoding;
} kuzat_record;

/* Open `path` for reading records in `format` (a kuzat_format). "-" is
 * standard input. `display` names the input in ids and messages (NULL means
 * the path, or "stdin" for "-"). With KUZAT_FORMAT_AUTO the format comes
 * from the name (kuzat_format_from_path()), but standard input's from its
 * first line that is not blank: JSON Lines when it is a JSON object with a
 * "text" string (or a "segments" array), lines otherwise;
 * kuzat_reader_format() says which once a record has been read.
 * Returns KUZAT_OK; KUZAT_EINVAL (path or out NULL, an unknown format);
 * KUZAT_EIO when the file cannot be opened (err->msg names it and gives
 * the system's reason; an empty path is one); KUZAT_ENOMEM. */
KUZAT_EXTERN int kuzat_reader_open(const char *path, int format,
                                   const char *display,
                                   const kuzat_allocator *a,
                                   kuzat_reader **out, kuzat_error *err);

/* Read the next record into *rec. Returns 1 when a record (good or with
 * `error` set) was stored, 0 at the end of the input, or a negative status
 * when reading cannot go on: KUZAT_EIO (read error, truncated gzip stream),
 * KUZAT_EFORMAT (a TSV header without a `text` column), KUZAT_ENOMEM,
 * KUZAT_EINVAL (r or rec NULL). After a negative status the reader only
 * waits to be freed.
 *
 * Before the first record the reader looks at the first bytes of the
 * input (after gzip). Input that is not text gives one bad record, status
 * KUZAT_ENOTTEXT, id the display name, error "NAME: not text: looks like
 * MP4 video" (or an ELF executable, a PNG, JPEG, GIF, TIFF or WebP image,
 * Matroska, AVI or MPEG video, Ogg, WAV, MP3 or FLAC audio, a PDF, a ZIP,
 * tar, 7-Zip, RAR, xz, bzip2 or Zstandard archive, a SQLite database...;
 * or "binary data: N% of its first M bytes are NUL or control characters"),
 * and then 0: nothing of it is read as text. A byte-order mark selects
 * UTF-16 or UTF-32 (little- or big-endian), converted to UTF-8 by ICU for
 * every format. Input that is not valid UTF-8 is given to ICU's charset
 * detector, and converted when it is confident of a legacy Cyrillic or
 * Latin code page (windows-1251, KOI8-R, ISO-8859-5, windows-1252,
 * ISO-8859-1, -2, -9, windows-1250, windows-1254), or when the shape of
 * its bytes tells Cyrillic words in windows-1251, KOI8-R or cp866 (Uzbek,
 * Tajik and Kyrgyz, which ICU does not know); otherwise it is read
 * as it is (the normaliser substitutes U+FFFD). The record's `encoding`
 * says which. docs/FORMATS.md gives the rules; KUZAT_READ_RAW turns all of
 * this off. */
KUZAT_EXTERN int kuzat_reader_next(kuzat_reader *r, kuzat_record *rec,
                                   kuzat_error *err);

/* Bound the memory a record may take. With `max_bytes` > 0, a record's
 * text longer than that is cut at the last whole UTF-8 character within
 * the limit (segments past the cut are dropped, one straddling it is
 * shortened) and full_len says how long it was; the rest is read and
 * discarded without being kept. A TSV, JSONL or Whisper record whose raw
 * bytes exceed 4 * max_bytes + 65536 cannot be parsed within the bound and
 * comes back as a bad record saying so. 0 (the default) means no limit.
 * Call before the first kuzat_reader_next(). r NULL: nothing happens. */
KUZAT_EXTERN void kuzat_reader_set_limit(kuzat_reader *r, size_t max_bytes);

/* Read the input as text in the encoding `name` (any name ICU's
 * converters know: "windows-1251", "koi8-r", "cp866", "iso-8859-5",
 * "UTF-16LE", "UTF-16" (by its byte-order mark)...), converted to UTF-8,
 * instead of looking for a byte-order mark or asking the charset detector.
 * "UTF-8" turns both off: invalid bytes are then read as they are (the
 * normaliser substitutes U+FFFD). Records then carry the encoding's name
 * (IANA's: "windows-1251", "KOI8-R", "IBM866"...) in `encoding`, UTF-8
 * none. Call before the first kuzat_reader_next(). Returns KUZAT_OK;
 * KUZAT_EINVAL (r or name NULL, or records were read already);
 * KUZAT_ENOTSUP (ICU has no converter by that name: err->msg says so);
 * KUZAT_ENOMEM. On failure the reader is as it was. */
KUZAT_EXTERN int kuzat_reader_set_encoding(kuzat_reader *r, const char *name,
                                           kuzat_error *err);

/* The format records are read in: the one given to kuzat_reader_open(),
 * or, given KUZAT_FORMAT_AUTO, the one chosen (KUZAT_FORMAT_AUTO while
 * standard input's first line has not been read). -1 for NULL. */
KUZAT_EXTERN int kuzat_reader_format(const kuzat_reader *r);

/* Bytes read from the input so far (as stored: compressed, when it is
 * gzip), for progress reports. 0 for NULL. */
KUZAT_EXTERN unsigned long long kuzat_reader_bytes(const kuzat_reader *r);

/* Flags for kuzat_reader_set_flags(). */
#define KUZAT_READ_RAW 0x1u /* bytes as they are: no not-text check, no
                               byte-order mark or charset conversion */
#define KUZAT_READ_BLANK_RECORDS 0x2u /* a blank line of JSON Lines or
                               fastText, or an empty TSV row, is a bad
                               record ("blank line"), not skipped, so that
                               record N is line N (TSV: N + 1) */

/* Set KUZAT_READ_* flags (0 for none, the default). Call before the first
 * kuzat_reader_next(). r NULL: nothing happens. */
KUZAT_EXTERN void kuzat_reader_set_flags(kuzat_reader *r, unsigned flags);

/* The limit both programs give their readers unless told otherwise
 * (--max-chars): a document's first million bytes are scored or trained on. */
#define KUZAT_DEFAULT_MAX_CHARS 1000000

/* Close the input and free the reader. NULL is a no-op. */
KUZAT_EXTERN void kuzat_reader_free(kuzat_reader *r);

/* ---------------------------------------------------------------------- */
/* Batches                                                                  */
/* ---------------------------------------------------------------------- */

/* Where kuzat_score_many() writes what it found: arrays the caller owns,
 * each NULL when not wanted. Text i's entries are at [i], and marker k's
 * (in kuzat_model_markers() order) at [i * markers + k]. */
typedef struct kuzat_batch_out {
  double *score;       /* [n] the verdict's probability (kuzat_result.score) */
  int *flagged;        /* [n] the verdict (kuzat_result.any_flagged) */
  int *lang;           /* [n] kuzat_lang of the text */
  double *prob;        /* [n * markers] every marker's probability */
  int *marker_flagged; /* [n * markers] prob >= the marker's threshold in force */
} kuzat_batch_out;

/* Score n plain texts in one call: text i is lens[i] bytes at texts[i].
 * Each text gets exactly what kuzat_score(s, texts[i], lens[i], NULL, 0, p,
 * ...) gives it. One thread per scorer: scorers[0] scores in the calling
 * thread, each other scorer in a thread this call starts and joins before
 * it returns; the output does not depend on the number of scorers (one is
 * fine). A NULL texts[i] is a missing text (a None or NaN of a data
 * frame): its score and probabilities are NaN, its flags 0, its lang -1.
 *
 * The scorers must be distinct, of one model, and used by no other thread
 * during the call; with more than one, their allocators must be
 * thread-safe. Their previous results are no longer valid after it. The
 * call keeps nothing: scorers can be reused for the next batch.
 *
 * `p` NULL means the defaults; p->explain must be 0 (explanations are per
 * text). The other parameters are checked as kuzat_score() checks them,
 * at the first text. Returns KUZAT_OK; KUZAT_EINVAL (scorers NULL or
 * nscorers 0, a scorer NULL, given twice or of another model, texts or
 * lens NULL with n > 0, out NULL, explain > 0, bad parameters);
 * KUZAT_ENOMEM; KUZAT_EICU. A failure names the earliest text that failed
 * ("text 12: ..."); the scoring stops there and `out` holds results for
 * some texts only. */
KUZAT_EXTERN int kuzat_score_many(kuzat_scorer *const *scorers, size_t nscorers,
                                  const char *const *texts, const size_t *lens, size_t n,
                                  const kuzat_score_params *p, const kuzat_batch_out *out,
                                  kuzat_error *err);

/* ---------------------------------------------------------------------- */
/* Known content                                                            */
/* ---------------------------------------------------------------------- */

/* An index of known texts (statements, posts, transcripts already verified
 * as propaganda) to find again in new documents: re-posted with words
 * changed, in the other Uzbek script, through spelling tricks, or quoted
 * inside a long transcript.
 *
 * Every text is normalised as scoring does (kuzat_normalise(), flags 0) and
 * tokenised (kuzat_tokenise(); its WORD and NUMBER tokens are the words). A
 * word in Uzbek Cyrillic letters counts as its Uzbek Latin
 * transliteration, whatever the language identified (the normaliser
 * transliterates only documents it identifies as uz-Cyrl, so a paragraph
 * would otherwise differ with what surrounds it). A shingle is a run of
 * `shingle` consecutive words (a text with fewer words is one shingle of
 * them all). Shingles are cut into windows of `window` shingles that
 * overlap by half (a text of at most `window` shingles is one window), and
 * each window is sketched by MinHash: for each of KUZAT_KNOWN_HASHES hash
 * functions, the least hash of its shingles. Windows are found by
 * locality-sensitive hashing on KUZAT_KNOWN_BANDS bands of KUZAT_KNOWN_ROWS
 * sketch values, then each pair of a known window K and a window Q of the
 * query is scored, over the whole sketch, by its similarity
 *
 *     |K ∩ Q| / |K|      the share of the known window found in the query,
 *
 * estimated from the share J of equal sketch values (which estimates the
 * Jaccard index) and the two windows' sizes: |K ∩ Q| = J (|K| + |Q|) /
 * (1 + J). With the default parameters a re-post with one word in ten
 * changed scores about 0.8, the same text in the other script or through
 * spelling tricks about 1, a known text quoted in a transcript about 1 in
 * the window that holds it, and unrelated text 0. A known text longer than
 * a window is found by any window of it: a quote of half a window or more.
 * docs/model-format.md, part 2, gives every step, for reimplementation,
 * and the file format (.kzk).
 *
 * A kuzat_known is changed by kuzat_known_add() and kuzat_known_remove()
 * from one thread; while nobody changes it, any number of threads may
 * match against it at once, each through its own kuzat_known_matcher.
 * Memory: about 360 bytes per window (a post of up to 17 words is one
 * window), some three times the file's size; a matcher's own memory grows
 * with the longest text it has matched, not with the index. */
typedef struct kuzat_known kuzat_known;
typedef struct kuzat_known_matcher kuzat_known_matcher;

#define KUZAT_KNOWN_FORMAT 1  /* the index file format this library writes */
#define KUZAT_KNOWN_HASHES 64 /* MinHash functions per window */
#define KUZAT_KNOWN_BANDS 16  /* bands of sketch values for finding windows */
#define KUZAT_KNOWN_ROWS 2    /* sketch values per band: values 0 .. 31 */

/* How an index sketches its texts. Stored in the index file: every text
 * added to it and every query is sketched the same way. */
typedef struct kuzat_known_params {
  uint64_t seed;    /* hash seed; default 0 */
  int shingle;      /* words per shingle, 1..8; default 2 */
  int window;       /* shingles per window, an even number 2..1024;
                       default 16 */
  double threshold; /* the least similarity reported as a match, in
                       (0, 1]; default 0.5 */
} kuzat_known_params;

/* The defaults above (p NULL: nothing happens). */
KUZAT_EXTERN void kuzat_known_params_default(kuzat_known_params *p);

/* Make an empty index. `p` NULL means the defaults. Returns KUZAT_OK;
 * KUZAT_EINVAL (out NULL, a parameter out of range: err->msg names it);
 * KUZAT_ENOMEM. An empty index matches nothing. */
KUZAT_EXTERN int kuzat_known_new(const kuzat_known_params *p, const kuzat_allocator *a,
                                 kuzat_known **out, kuzat_error *err);

/* Add one known text under `id` (1..4096 bytes, no NUL byte), with its
 * labels (comma-separated, as kuzat_record gives them: the source, the
 * marker...; 0..65535 bytes, no NUL byte; may be empty). The text is
 * normalised and sketched now; it is not kept. A text without words is
 * added but matches nothing. Returns KUZAT_OK; KUZAT_EINVAL (k or id NULL,
 * text or labels NULL with a length above 0, an id or labels out of
 * bounds, or an id the index already has: err->msg names it and the
 * position of the document that has it, see kuzat_known_find());
 * KUZAT_ENOMEM; KUZAT_EICU. A refused text is not added. The first call
 * makes the index's normaliser (milliseconds). */
KUZAT_EXTERN int kuzat_known_add(kuzat_known *k, const char *id, size_t id_len,
                                 const char *text, size_t len, const char *labels,
                                 size_t labels_len, kuzat_error *err);

/* Remove the document with this id. Returns KUZAT_OK; KUZAT_EINVAL (k or
 * id NULL, no document has this id: err->msg names it). The id may then
 * be added again. Positions of the other documents do not change; the
 * space the document took is given back when the index is saved and
 * loaded again. */
KUZAT_EXTERN int kuzat_known_remove(kuzat_known *k, const char *id, size_t id_len,
                                    kuzat_error *err);

/* Look an id up. Returns 1 and stores the document's position in *pos
 * (when pos is not NULL), 0 when no document has this id, KUZAT_EINVAL
 * when k or id is NULL. A position is the document's place in the order
 * of adding, from 0, removed documents included; a loaded index numbers
 * its documents in file order. So a program that adds documents can name
 * where a duplicate id was first seen. */
KUZAT_EXTERN int kuzat_known_find(const kuzat_known *k, const char *id, size_t id_len,
                                  size_t *pos);

/* Number of documents in the index (removed ones not counted); 0 for NULL. */
KUZAT_EXTERN size_t kuzat_known_count(const kuzat_known *k);

/* The index's parameters into *p (k or p NULL: nothing happens). */
KUZAT_EXTERN void kuzat_known_get_params(const kuzat_known *k, kuzat_known_params *p);

/* Change the threshold stored in the index (the other parameters are fixed
 * once texts are sketched). Returns KUZAT_OK, or KUZAT_EINVAL (k NULL, a
 * threshold outside (0, 1]). */
KUZAT_EXTERN int kuzat_known_set_threshold(kuzat_known *k, double threshold,
                                           kuzat_error *err);

/* Load an index from a file or from `len` bytes in memory (the file's
 * contents; the buffer is not kept), checked as models are: every count
 * against the bytes present before anything is allocated, the CRC-32 over
 * the whole content before anything is believed. Returns KUZAT_OK;
 * KUZAT_EIO (cannot read the file); KUZAT_EFORMAT (not a kuzat index,
 * damaged, truncated, a duplicate id: err->msg says what and at which
 * byte, and err->byte_offset is that byte); KUZAT_EVERSION (a newer
 * format, or an index built with another normaliser version: both
 * versions named); KUZAT_ENOMEM; KUZAT_EINVAL (path, buf or out NULL). An
 * empty path is KUZAT_EIO, an empty buffer KUZAT_EFORMAT. A file's
 * messages start with its path. On failure *out is NULL. A loaded index
 * can be matched against at once, or added to and saved again. */
KUZAT_EXTERN int kuzat_known_load_file(const char *path, const kuzat_allocator *a,
                                       kuzat_known **out, kuzat_error *err);
KUZAT_EXTERN int kuzat_known_load_mem(const void *buf, size_t len, const kuzat_allocator *a,
                                      kuzat_known **out, kuzat_error *err);

/* Write the index to `path` atomically, as kuzat_model_save() writes a
 * model. Returns KUZAT_OK, KUZAT_EIO (err->msg names the file and the
 * reason; an empty path is one), KUZAT_ENOMEM, KUZAT_EINVAL (k or path
 * NULL). The same documents, added in the same order with the same
 * parameters, give the same bytes. */
KUZAT_EXTERN int kuzat_known_save(const kuzat_known *k, const char *path, kuzat_error *err);

/* The bytes kuzat_known_save() would write, in *buf (*len bytes) allocated
 * through the index's allocator: free them with kuzat_known_buffer_free()
 * and that allocator. Returns KUZAT_OK, KUZAT_ENOMEM, KUZAT_EINVAL (a NULL
 * argument). On failure *buf is NULL. */
KUZAT_EXTERN int kuzat_known_save_mem(const kuzat_known *k, void **buf, size_t *len,
                                      kuzat_error *err);
KUZAT_EXTERN void kuzat_known_buffer_free(void *buf, const kuzat_allocator *a);

/* Free an index. NULL is a no-op. Matchers may outlive it. */
KUZAT_EXTERN void kuzat_known_free(kuzat_known *k);

/* A matcher holds what one thread needs to match texts against indexes: a
 * normaliser and result buffers. It is not tied to one index: a thread
 * matching against several indexes needs one matcher. Returns KUZAT_OK;
 * KUZAT_EINVAL (out NULL); KUZAT_ENOMEM; KUZAT_EICU. */
KUZAT_EXTERN int kuzat_known_matcher_new(const kuzat_allocator *a,
                                         kuzat_known_matcher **out, kuzat_error *err);

/* Free a matcher and every result it returned. NULL is a no-op. */
KUZAT_EXTERN void kuzat_known_matcher_free(kuzat_known_matcher *m);

/* One known document found in a query. */
typedef struct kuzat_known_hit {
  const char *id;     /* the document's id, NUL-terminated */
  size_t id_len;
  const char *labels; /* its labels, comma-separated, NUL-terminated */
  size_t labels_len;
  double similarity;  /* its best window's, in [threshold, 1] */
  /* where it was found: bytes [start, end) of the query's text, from the
   * first word of its best query window to the last, widened to the
   * neighbouring windows that match it too (a quote longer than a window);
   * a query of at most `window` shingles is one window, all its words. A
   * transcript maps them to its segments' times. */
  size_t start, end;
  size_t doc;         /* its position in the index (kuzat_known_find()) */
} kuzat_known_hit;

/* Find the documents of `k` in `len` bytes of text: each document whose
 * similarity (above) in some window of the text is at least `threshold`
 * (negative: the index's own), once, with its best window; best first
 * (ties: lower position first). *out receives *count matches, in memory
 * the matcher owns until its next match or its kuzat_known_matcher_free();
 * ids and labels point into the index, valid until it is changed or
 * freed. Returns KUZAT_OK (*count may be 0); KUZAT_EINVAL (m, k, out or
 * count NULL, text NULL with len > 0, threshold above 1 or NaN);
 * KUZAT_ENOMEM; KUZAT_EICU. On failure *count is 0. Any number of threads
 * may match against one index at once, each with its own matcher. */
KUZAT_EXTERN int kuzat_known_match(kuzat_known_matcher *m, const kuzat_known *k,
                                   const char *text, size_t len, double threshold,
                                   const kuzat_known_hit **out, size_t *count,
                                   kuzat_error *err);

/* The same for a text the caller has already normalised: `norm` must be
 * what kuzat_normalise() gave for these `len` bytes with flags 0 or
 * KUZAT_NORM_OFFSETS, so one normalisation serves the scorer and every
 * index. With offsets in `norm`, start and end come from them; without,
 * the matcher normalises the text again, with offsets, only when
 * something matched. KUZAT_EINVAL also when norm is NULL, or when it then
 * finds that the text normalises to other bytes than norm's. */
KUZAT_EXTERN int kuzat_known_match_text(kuzat_known_matcher *m, const kuzat_known *k,
                                        const char *text, size_t len,
                                        const kuzat_text *norm, double threshold,
                                        const kuzat_known_hit **out, size_t *count,
                                        kuzat_error *err);

#ifdef __cplusplus
}
#endif
#endif /* KUZAT_H */
