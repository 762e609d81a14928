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
 * Thread safety: an object may be used by one thread at a time. Different
 * objects may be used concurrently by different threads without locking.
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
#define KUZAT_VERSION_MINOR 1
#define KUZAT_VERSION_PATCH 0
#define KUZAT_VERSION "0.1.0"
/* MAJOR * 1000000 + MINOR * 1000 + PATCH, comparable with <, > */
#define KUZAT_VERSION_NUMBER 1000

/* Version of the normaliser's output. It changes whenever any input can
 * normalise differently, because models are trained on normalised text and
 * record the version they were trained with. */
#define KUZAT_NORMALISER_VERSION 1

/* The library's version string, e.g. "0.1.0". Compare it, or
 * kuzat_version_number(), with the macros above to detect a header and
 * library mismatch. Static storage; thread-safe. */
KUZAT_EXTERN const char *kuzat_version(void);
KUZAT_EXTERN int kuzat_version_number(void);

/* ---------------------------------------------------------------------- */
/* Status codes                                                             */
/* ---------------------------------------------------------------------- */

/* One table, expanded into the enum, kuzat_strstatus() and the tests, so
 * codes and messages cannot drift apart. Codes never change meaning. */
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
  X(ENOTSUP, -9, "not supported")

#define KUZAT__STATUS_ENUM(name, code, text) KUZAT_##name = code,
typedef enum kuzat_status { KUZAT_STATUS_MAP(KUZAT__STATUS_ENUM) } kuzat_status;
#undef KUZAT__STATUS_ENUM

/* A short English description of a status code ("out of memory"), or
 * "unknown status" for a code not in the table. Static storage; never NULL;
 * thread-safe. */
KUZAT_EXTERN const char *kuzat_strstatus(int status);

/* Details of a failure, in memory the caller owns. `line` and `byte_offset`
 * locate the problem in the input when that makes sense, else they are 0. */
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

/* Languages and scripts the normaliser identifies. Values are stable. */
typedef enum kuzat_lang {
  KUZAT_LANG_OTHER = 0, /* "other": any other language, or no letters */
  KUZAT_LANG_UZ_LATN,   /* "uz-Latn": Uzbek, Latin script */
  KUZAT_LANG_UZ_CYRL,   /* "uz-Cyrl": Uzbek, Cyrillic script */
  KUZAT_LANG_TG,        /* "tg": Tajik (Cyrillic) */
  KUZAT_LANG_KY,        /* "ky": Kyrgyz (Cyrillic) */
  KUZAT_LANG_RU,        /* "ru": Russian */
  KUZAT_LANG_EN,        /* "en": English */
  KUZAT_LANG_AR,        /* "ar": Arabic */
  KUZAT_LANG_FA,        /* "fa": Persian / Dari (Arabic script) */
  KUZAT_LANG_COUNT
} kuzat_lang;

/* The code of a language ("uz-Cyrl"), or "other" for values out of range.
 * Static storage; thread-safe. */
KUZAT_EXTERN const char *kuzat_lang_name(int lang);

/* The kuzat_lang whose code is `name` (exactly, case-sensitive), or -1. */
KUZAT_EXTERN int kuzat_lang_from_name(const char *name, size_t len);

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
 * (Identification runs before homoglyph repair, not after as DESIGN.md lists
 * it, because the repair of Latin h in a Cyrillic word depends on the
 * language: ҳ in Uzbek and Tajik, н elsewhere.)
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
 * Returns KUZAT_OK; KUZAT_EINVAL if n or out is NULL, or utf8 is NULL with
 * len > 0; KUZAT_ENOMEM; KUZAT_EICU with ICU's error name in err->msg. On
 * failure *out is set to an empty text. */
KUZAT_EXTERN int kuzat_normalise(kuzat_normaliser *n, const char *utf8,
                                 size_t len, unsigned flags, kuzat_text *out,
                                 kuzat_error *err);

/* Identify the language of `len` bytes of UTF-8 without keeping the
 * normalised text: the same answer as kuzat_normalise()'s `lang`. Stores
 * the kuzat_lang in *lang. Returns as kuzat_normalise(). */
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
 * Returns KUZAT_OK, or KUZAT_EINVAL for NULL arguments. Pure function:
 * thread-safe. */
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
} kuzat_feature_params;

/* The defaults: seed 0, 20 bits, word 1..2-grams, character 2..5-grams. */
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
 * and stays valid until its next call. Returns KUZAT_OK, KUZAT_EINVAL,
 * KUZAT_ENOMEM. */
KUZAT_EXTERN int kuzat_featurise(kuzat_featuriser *f, const char *norm,
                                 size_t len, const kuzat_feature **out,
                                 size_t *count, kuzat_error *err);

/* The hash of one feature, as kuzat_featurise() computes it: XXH3-64 of
 * `len` bytes with the seed  seed ^ (ns * 0x9E3779B97F4A7C15)  (64-bit
 * arithmetic). For tests and for reproducing features in another language.
 * Thread-safe. */
KUZAT_EXTERN uint64_t kuzat_feature_hash(uint64_t seed, int ns,
                                         const char *bytes, size_t len);

/* ---------------------------------------------------------------------- */
/* Reading records                                                          */
/* ---------------------------------------------------------------------- */

/* Input formats. AUTO picks one from the file name (.txt, .tsv, .jsonl,
 * .ndjson, optionally followed by .gz; anything else is TEXT). Gzip is
 * detected by its magic bytes whatever the name. */
typedef enum kuzat_format {
  KUZAT_FORMAT_AUTO = 0,
  KUZAT_FORMAT_TEXT,  /* the whole file is one record */
  KUZAT_FORMAT_LINES, /* every line is one record, blank lines included */
  KUZAT_FORMAT_TSV,   /* header row naming a `text` column; optional `id` */
  KUZAT_FORMAT_JSONL  /* one JSON object per line with "text", optional "id" */
} kuzat_format;

/* The format named `name` ("text", "lines", "tsv", "jsonl"), or -1. */
KUZAT_EXTERN int kuzat_format_from_name(const char *name);

typedef struct kuzat_reader kuzat_reader;

/* One record. All pointers belong to the reader and stay valid until the
 * next kuzat_reader_next() or kuzat_reader_free(). When `error` is not NULL
 * the record could not be read (bad JSON, missing text, too few columns):
 * `error` says what and where, `text` is empty, and reading can go on. */
typedef struct kuzat_record {
  const char *id; /* the record's id, or "file:line" / "file" */
  size_t id_len;
  const char *text;
  size_t text_len;
  long line;         /* first input line of the record (1-based) */
  const char *error; /* NULL, or "file:line: what was wrong" */
} kuzat_record;

/* Open `path` for reading records in `format` (a kuzat_format). "-" is
 * standard input. `display` names the input in ids and messages (NULL means
 * the path, or "stdin" for "-").
 * Returns KUZAT_OK; KUZAT_EINVAL; KUZAT_EIO when the file cannot be opened
 * (err->msg names it and gives the system's reason); KUZAT_ENOMEM. */
KUZAT_EXTERN int kuzat_reader_open(const char *path, int format,
                                   const char *display,
                                   const kuzat_allocator *a,
                                   kuzat_reader **out, kuzat_error *err);

/* Read the next record into *rec. Returns 1 when a record (good or with
 * `error` set) was stored, 0 at the end of the input, or a negative status
 * when reading cannot go on: KUZAT_EIO (read error, truncated gzip stream),
 * KUZAT_EFORMAT (a TSV header without a `text` column), KUZAT_ENOMEM. */
KUZAT_EXTERN int kuzat_reader_next(kuzat_reader *r, kuzat_record *rec,
                                   kuzat_error *err);

/* Close the input and free the reader. NULL is a no-op. */
KUZAT_EXTERN void kuzat_reader_free(kuzat_reader *r);

#ifdef __cplusplus
}
#endif
#endif /* KUZAT_H */
