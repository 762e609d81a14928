/*
 * fuzz.c -- the libFuzzer targets of libkuzat, one entry function each,
 * driving the public API (kuzat.h) the way kuzat-classify and kuzat-train
 * do. Built once per target with -DKZ_FUZZ_TARGET=kz_fuzz_<name> (see
 * fuzz.mk), which defines LLVMFuzzerTestOneInput; without it the file is a
 * library of entry functions that tests/unit/test_fuzz_regress.c replays
 * the seed corpora and every past crash through.
 *
 *   reader_text     the input as a file read as text, lines and fastText
 *   reader_tsv      ... as TSV              reader_jsonl    ... as JSON Lines
 *   reader_srt      ... as SubRip           reader_vtt      ... as WebVTT
 *   reader_whisper  ... as Whisper JSON
 *   reader_gzip     a gzip stream as it is (input starting 1f 8b), or the
 *                   input gzip-compressed here in two members; read in the
 *                   format (size % 8) + 1
 *   model_mem       kuzat_model_load_mem() of the input; input starting
 *                   "KUZATMDL" is taken as a model's content, given its
 *                   CRC-32 and gzip-compressed here, so mutations get past
 *                   the checksum into the parser; a model that loads is
 *                   queried and scores a sentence
 *   model_file      the same through kuzat_model_load_file()
 *   known_mem       kuzat_known_load_mem() of the input; input starting
 *                   "KUZATKNW" is taken as an index's content, given its
 *                   CRC-32 and gzip-compressed here; an index that loads is
 *                   queried, matched against, saved, loaded again (the
 *                   same bytes) and added to
 *   normalise       kuzat_normalise() with every flag, kuzat_identify(),
 *                   kuzat_tokenise() of the output
 *   score           kuzat_score() with explanations, with the default model
 *                   or a small RBF one, on text, on segments split at '\n',
 *                   on segments taken from the input's bytes, or on the
 *                   records of a transcript reader
 *   charset, html   input as the field gives it: what the bytes are and
 *                   their conversion to UTF-8; kuzat-classify's HTML writer
 *                   on hostile text (fuzz_field.c says how)
 *
 * Every reader target reads the input three times: with no limit, with the
 * limit 1 + size / 3 and with 1 + size / 16 (kuzat_reader_set_limit(); with
 * the fuzz build's small slack, see fuzz.mk, a TSV, JSONL or Whisper record
 * can then exceed its raw bound of 4 x limit + slack). Each target checks
 * what the header promises about its results (ranges inside the text,
 * segments in order, probabilities in [0, 1], ...), aborting when a promise
 * is broken.
 */
#define _GNU_SOURCE
#include "helpers.h"
#include "kuzat.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#ifndef KZ_FUZZ_ROOT
#define KZ_FUZZ_ROOT "."
#endif

#define KZ_REQUIRE(c)                                                              \
  do {                                                                             \
    if (!(c)) {                                                                    \
      fprintf(stderr, "fuzz.c:%d: broken promise: %s\n", __LINE__, #c);            \
      abort();                                                                     \
    }                                                                              \
  } while (0)

/* Shared state of the harness (never of the library). */
static int kz_fd = -1;           /* a memfd holding the current input */
static char kz_path[64];         /* /proc/self/fd/N: a path to it */
static kuzat_normaliser *kz_norm;
static kuzat_model *kz_models[2]; /* the default model; a small RBF one */
static kuzat_scorer *kz_scorers[2];
static kuzat_known_matcher *kz_matcher;
static volatile unsigned kz_sink; /* bytes read, so ASan checks them */

static void touch(const char *p, size_t n) {
  unsigned h = 0;
  for (size_t i = 0; i < n; i++) h = h * 31 + (unsigned char)p[i];
  kz_sink += h;
}

/* The input as a file: returns kz_path, or NULL when that failed. */
static const char *as_file(const uint8_t *data, size_t size) {
  if (kz_fd < 0) {
    kz_fd = memfd_create("kuzat-fuzz", MFD_CLOEXEC);
    if (kz_fd < 0) return NULL;
    snprintf(kz_path, sizeof kz_path, "/proc/self/fd/%d", kz_fd);
  }
  if (ftruncate(kz_fd, 0) != 0) return NULL;
  size_t done = 0;
  while (done < size) {
    ssize_t k = pwrite(kz_fd, data + done, size - done, (off_t)done);
    if (k <= 0) return NULL;
    done += (size_t)k;
  }
  return kz_path;
}

/* gzip-compress `n` bytes into a malloc'ed buffer, as `members` members
 * cut at even points. NULL when out of memory. */
static unsigned char *gzip(const uint8_t *src, size_t n, int members, size_t *out_len) {
  size_t cap = n + 64 * (size_t)members + 1024, len = 0;
  unsigned char *dst = malloc(cap);
  if (!dst) return NULL;
  for (int m = 0; m < members; m++) {
    size_t from = n * (size_t)m / (size_t)members, to = n * (size_t)(m + 1) / (size_t)members;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) break;
    size_t bound = deflateBound(&zs, (uLong)(to - from));
    if (len + bound > cap) {
      unsigned char *p = realloc(dst, len + bound);
      if (!p) {
        deflateEnd(&zs);
        free(dst);
        return NULL;
      }
      dst = p;
      cap = len + bound;
    }
    zs.next_in = (Bytef *)(uintptr_t)(src + from);
    zs.avail_in = (uInt)(to - from);
    zs.next_out = dst + len;
    zs.avail_out = (uInt)(cap - len);
    deflate(&zs, Z_FINISH);
    len = cap - zs.avail_out;
    deflateEnd(&zs);
  }
  *out_len = len;
  return dst;
}

/* ---- readers ---- */

static void check_record(const kuzat_record *rec, size_t limit) {
  KZ_REQUIRE(rec->id && rec->text && rec->labels && rec->lang && rec->group);
  touch(rec->id, rec->id_len);
  touch(rec->text, rec->text_len);
  KZ_REQUIRE(rec->labels[rec->labels_len] == '\0' && rec->lang[rec->lang_len] == '\0' &&
             rec->group[rec->group_len] == '\0');
  touch(rec->labels, rec->labels_len);
  KZ_REQUIRE(!rec->error == !rec->status);
  if (rec->error) {
    touch(rec->error, strlen(rec->error));
    KZ_REQUIRE(rec->text_len == 0 && rec->segments_len == 0);
    KZ_REQUIRE(rec->status == KUZAT_EFORMAT || rec->status == KUZAT_ENOTTEXT);
    return;
  }
  KZ_REQUIRE(rec->text_len <= rec->full_len);
  if (limit) KZ_REQUIRE(rec->text_len <= limit);
  KZ_REQUIRE(!rec->segments_len || rec->segments);
  size_t end = 0;
  for (size_t i = 0; i < rec->segments_len; i++) {
    const kuzat_segment *s = &rec->segments[i];
    KZ_REQUIRE(s->off >= end && s->off <= rec->text_len && s->len <= rec->text_len - s->off);
    KZ_REQUIRE(s->start >= 0 && s->start <= s->end);
    end = s->off + s->len;
  }
}

/* Read the file at `path` in `format` to the end (or a fatal status),
 * checking every record; 0 or the fatal status. */
static int read_all(const char *path, int format, size_t limit, unsigned flags) {
  kuzat_reader *r;
  kuzat_error err;
  if (kuzat_reader_open(path, format, "fuzz", NULL, &r, &err)) return err.status;
  kuzat_reader_set_limit(r, limit);
  kuzat_reader_set_flags(r, flags);
  kuzat_record rec;
  int rc, n = 0, not_text = 0;
  while ((rc = kuzat_reader_next(r, &rec, &err)) == 1) {
    check_record(&rec, limit);
    n++;
    not_text |= rec.status == KUZAT_ENOTTEXT;
  }
  KZ_REQUIRE(!not_text || (n == 1 && !(flags & KUZAT_READ_RAW))); /* alone, and never raw */
  KZ_REQUIRE(rc <= 0);
  if (rc < 0) KZ_REQUIRE(err.status == rc && strlen(err.msg) < sizeof err.msg);
  kuzat_reader_free(r);
  return rc;
}

static void read_formats(const uint8_t *data, size_t size, const int *formats, int n) {
  const char *path = as_file(data, size);
  if (!path) return;
  /* once as the field gives it (what the bytes are, their encoding), then
   * as bytes, so that the parsers see every input */
  for (int i = 0; i < n; i++) {
    read_all(path, formats[i], 0, 0);
    read_all(path, formats[i], 1 + size / 3, KUZAT_READ_RAW);
    read_all(path, formats[i], 1 + size / 16, KUZAT_READ_RAW);
  }
}

#define KZ_READER_TARGET(name, ...)                                                \
  int kz_fuzz_reader_##name(const uint8_t *data, size_t size);                     \
  int kz_fuzz_reader_##name(const uint8_t *data, size_t size) {                    \
    static const int formats[] = {__VA_ARGS__};                                    \
    read_formats(data, size, formats, (int)(sizeof formats / sizeof formats[0]));  \
    return 0;                                                                      \
  }
KZ_READER_TARGET(text, KUZAT_FORMAT_TEXT, KUZAT_FORMAT_LINES, KUZAT_FORMAT_FASTTEXT)
KZ_READER_TARGET(tsv, KUZAT_FORMAT_TSV)
KZ_READER_TARGET(jsonl, KUZAT_FORMAT_JSONL)
KZ_READER_TARGET(srt, KUZAT_FORMAT_SRT)
KZ_READER_TARGET(vtt, KUZAT_FORMAT_VTT)
KZ_READER_TARGET(whisper, KUZAT_FORMAT_WHISPER)

int kz_fuzz_reader_gzip(const uint8_t *data, size_t size);
int kz_fuzz_reader_gzip(const uint8_t *data, size_t size) {
  int format = KUZAT_FORMAT_TEXT + (int)(size % 8);
  if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
    read_formats(data, size, &format, 1);
    return 0;
  }
  size_t n;
  unsigned char *gz = gzip(data, size, 2, &n);
  if (!gz) return 0;
  read_formats(gz, n, &format, 1);
  free(gz);
  return 0;
}

/* ---- models ---- */

static const char kz_text[] = "Birodarlar, hijratga shoshiling: https://t.me/x @karvon #jihod 2024";

/* Use a model as kuzat-classify would: every accessor, then a score. */
static void use_model(const kuzat_model *m) {
  size_t nm = kuzat_model_markers(m);
  KZ_REQUIRE(nm >= 1 && strlen(kuzat_model_id(m)) == 16);
  kuzat_feature_params fp;
  kuzat_model_feature_params(m, &fp);
  for (size_t i = 0; i <= nm; i++) {
    const char *name = kuzat_model_marker(m, i);
    KZ_REQUIRE((name != NULL) == (i < nm));
    if (name) touch(name, strlen(name));
    kz_sink += (unsigned)kuzat_model_kernel(m, i);
  }
  kuzat_scorer *s;
  kuzat_error err;
  if (kuzat_scorer_new(m, NULL, &s, &err)) return;
  kuzat_score_params p;
  kuzat_score_params_default(&p);
  p.explain = 3;
  const kuzat_result *r;
  if (kuzat_score(s, kz_text, sizeof kz_text - 1, NULL, 0, &p, &r, &err) == KUZAT_OK)
    for (size_t i = 0; i < nm; i++) KZ_REQUIRE(!(r->prob[i] < 0 || r->prob[i] > 1));
  kuzat_scorer_free(s);
}

/* Input starting "KUZATMDL" is a model's content: add the CRC-32 and
 * compress it; anything else is taken as it is. Returns the bytes to load
 * (*owned: malloc'ed by us) or NULL. */
static const uint8_t *model_bytes(const uint8_t *data, size_t size, size_t *n, int *owned) {
  *owned = 0;
  *n = size;
  if (size < 8 || memcmp(data, "KUZATMDL", 8) != 0) return data;
  uint8_t *content = malloc(size + 4);
  if (!content) return NULL;
  memcpy(content, data, size);
  uLong crc = crc32(0, data, (uInt)size);
  for (int i = 0; i < 4; i++) content[size + (size_t)i] = (uint8_t)(crc >> (8 * i));
  unsigned char *gz = gzip(content, size + 4, 1, n);
  free(content);
  *owned = 1;
  return gz;
}

/* A load's outcome: a refusal must be told in err, a model must score. */
static int loaded(int rc, kuzat_model *m, const kuzat_error *err) {
  if (rc) {
    KZ_REQUIRE(rc == err->status && m == NULL && strlen(err->msg) < sizeof err->msg);
    return 0;
  }
  use_model(m);
  kuzat_model_free(m);
  return 0;
}

int kz_fuzz_model_mem(const uint8_t *data, size_t size);
int kz_fuzz_model_mem(const uint8_t *data, size_t size) {
  size_t n;
  int owned;
  const uint8_t *bytes = model_bytes(data, size, &n, &owned);
  if (!bytes) return 0;
  kuzat_model *m;
  kuzat_error err;
  int rc = kuzat_model_load_mem(bytes, n, NULL, &m, &err);
  if (owned) free((void *)(uintptr_t)bytes);
  return loaded(rc, m, &err);
}

int kz_fuzz_model_file(const uint8_t *data, size_t size);
int kz_fuzz_model_file(const uint8_t *data, size_t size) {
  size_t n;
  int owned;
  const uint8_t *bytes = model_bytes(data, size, &n, &owned);
  if (!bytes) return 0;
  const char *path = as_file(bytes, n);
  if (owned) free((void *)(uintptr_t)bytes);
  if (!path) return 0;
  kuzat_model *m;
  kuzat_error err;
  int rc = kuzat_model_load_file(path, NULL, &m, &err);
  return loaded(rc, m, &err);
}

/* ---- known-content indexes ---- */

static const char kz_known_text[] =
    "Birodarlar, Xurosonga hijrat yoli ochiq. Kim qoshilmoqchi bolsa @kanal_nomi ga yozsin.\n"
    "Жиҳодни тарк этган уммат хор бўлади, бу Аллоҳнинг суннати. Glory to our brothers.";

/* Use an index as kuzat-classify would: match, then as kuzat-train --add
 * would: save, load again, add. */
static void use_known(kuzat_known *k) {
  kuzat_known_params p;
  kuzat_known_get_params(k, &p);
  KZ_REQUIRE(p.shingle >= 1 && p.shingle <= 8 && p.window >= 2 && p.window % 2 == 0 &&
             p.threshold > 0 && p.threshold <= 1);
  const kuzat_known_hit *h;
  size_t n;
  kuzat_error err;
  for (int pass = 0; pass < 2 && kz_matcher; pass++) {
    double thr = pass ? 0.01 : -1;
    if (kuzat_known_match(kz_matcher, k, kz_known_text, sizeof kz_known_text - 1, thr, &h, &n,
                          &err))
      continue;
    for (size_t i = 0; i < n; i++) {
      KZ_REQUIRE(h[i].similarity >= (pass ? 0.01 : p.threshold) && h[i].similarity <= 1);
      KZ_REQUIRE(i == 0 || h[i].similarity <= h[i - 1].similarity);
      KZ_REQUIRE(h[i].start <= h[i].end && h[i].end <= sizeof kz_known_text - 1);
      KZ_REQUIRE(strlen(h[i].id) == h[i].id_len && strlen(h[i].labels) == h[i].labels_len);
      size_t pos;
      KZ_REQUIRE(kuzat_known_find(k, h[i].id, h[i].id_len, &pos) == 1 && pos == h[i].doc);
    }
  }
  void *b1 = NULL, *b2 = NULL;
  size_t n1, n2;
  kuzat_known *again = NULL;
  if (kuzat_known_save_mem(k, &b1, &n1, &err) == KUZAT_OK) {
    KZ_REQUIRE(kuzat_known_load_mem(b1, n1, NULL, &again, &err) == KUZAT_OK);
    KZ_REQUIRE(kuzat_known_count(again) == kuzat_known_count(k));
    KZ_REQUIRE(kuzat_known_save_mem(again, &b2, &n2, &err) == KUZAT_OK);
    KZ_REQUIRE(n1 == n2 && memcmp(b1, b2, n1) == 0);
  }
  kuzat_known_buffer_free(b1, NULL);
  kuzat_known_buffer_free(b2, NULL);
  kuzat_known_free(again);
  size_t before = kuzat_known_count(k);
  int rc = kuzat_known_add(k, "fuzz:new", 8, kz_known_text, sizeof kz_known_text - 1, "x", 1, &err);
  KZ_REQUIRE(rc == KUZAT_OK ? kuzat_known_count(k) == before + 1
                            : rc == err.status && kuzat_known_count(k) == before);
}

int kz_fuzz_known_mem(const uint8_t *data, size_t size);
int kz_fuzz_known_mem(const uint8_t *data, size_t size) {
  const uint8_t *bytes = data;
  uint8_t *owned = NULL;
  size_t n = size;
  if (size >= 8 && memcmp(data, "KUZATKNW", 8) == 0) {
    uint8_t *content = malloc(size + 4);
    if (!content) return 0;
    memcpy(content, data, size);
    uLong crc = crc32(0, data, (uInt)size);
    for (int i = 0; i < 4; i++) content[size + (size_t)i] = (uint8_t)(crc >> (8 * i));
    owned = gzip(content, size + 4, 1, &n);
    free(content);
    if (!owned) return 0;
    bytes = owned;
  }
  kuzat_known *k = NULL;
  kuzat_error err;
  int rc = kuzat_known_load_mem(bytes, n, NULL, &k, &err);
  free(owned);
  if (rc) {
    KZ_REQUIRE(rc == err.status && k == NULL && strlen(err.msg) < sizeof err.msg);
    return 0;
  }
  use_known(k);
  kuzat_known_free(k);
  return 0;
}

/* ---- normaliser ---- */

static int valid_utf8(const unsigned char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    unsigned c = s[i];
    size_t k = c < 0x80 ? 1 : c >= 0xC2 && c < 0xE0 ? 2 : c >= 0xE0 && c < 0xF0 ? 3
             : c >= 0xF0 && c < 0xF5 ? 4 : 0;
    if (!k || k > n - i) return 0;
    for (size_t j = 1; j < k; j++)
      if ((s[i + j] & 0xC0) != 0x80) return 0;
    if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] >= 0xA0) ||
        (c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] >= 0x90))
      return 0;
    i += k;
  }
  return 1;
}

int kz_fuzz_normalise(const uint8_t *data, size_t size);
int kz_fuzz_normalise(const uint8_t *data, size_t size) {
  const char *in = (const char *)data;
  kuzat_error err;
  int lang = -1;
  if (kuzat_identify(kz_norm, in, size, &lang, &err) == KUZAT_OK)
    KZ_REQUIRE(lang >= 0 && lang < KUZAT_LANG_COUNT);
  char *plain[2] = {NULL, NULL}; /* the text without offsets, by translit flag */
  size_t plain_len[2] = {0, 0};
  for (unsigned flags = 0; flags < 4; flags++) {
    kuzat_text t;
    if (kuzat_normalise(kz_norm, in, size, flags, &t, &err)) continue;
    /* asking for offsets never changes the text */
    int tr = (flags & KUZAT_NORM_NO_TRANSLIT) != 0;
    if (!(flags & KUZAT_NORM_OFFSETS)) {
      plain[tr] = malloc(t.len + 1);
      if (plain[tr]) memcpy(plain[tr], t.utf8, t.len + 1);
      plain_len[tr] = t.len;
    } else if (plain[tr]) {
      KZ_REQUIRE(t.len == plain_len[tr] && memcmp(t.utf8, plain[tr], t.len) == 0);
    }
    KZ_REQUIRE(t.utf8 && t.utf8[t.len] == '\0' && valid_utf8((const unsigned char *)t.utf8, t.len));
    KZ_REQUIRE(memchr(t.utf8, '\n', t.len) == NULL);
    KZ_REQUIRE(t.lang >= 0 && t.lang < KUZAT_LANG_COUNT);
    if (flags == 0 && lang >= 0) KZ_REQUIRE(t.lang == lang);
    if (flags & KUZAT_NORM_OFFSETS) {
      KZ_REQUIRE(t.len == 0 || (t.src_start && t.src_end));
      for (size_t i = 0; i < t.len; i++)
        KZ_REQUIRE(t.src_start[i] <= t.src_end[i] && t.src_end[i] <= size);
    }
    size_t count = 0;
    KZ_REQUIRE(kuzat_tokenise(t.utf8, t.len, NULL, 0, &count) == KUZAT_OK);
    kuzat_token *toks = malloc((count ? count : 1) * sizeof *toks);
    if (!toks) continue;
    size_t again = 0;
    KZ_REQUIRE(kuzat_tokenise(t.utf8, t.len, toks, count, &again) == KUZAT_OK && again == count);
    for (size_t i = 0; i < count; i++) {
      KZ_REQUIRE(toks[i].off <= t.len && toks[i].len <= t.len - toks[i].off && toks[i].len > 0);
      KZ_REQUIRE(toks[i].kind >= KUZAT_TOKEN_WORD && toks[i].kind <= KUZAT_TOKEN_EMAIL);
    }
    free(toks);
  }
  free(plain[0]);
  free(plain[1]);
  return 0;
}

/* ---- scorer ---- */

static void check_result(const kuzat_result *r, const kuzat_model *m, size_t len, size_t nsegs,
                         const kuzat_score_params *p) {
  size_t nm = kuzat_model_markers(m);
  KZ_REQUIRE(r->markers == nm && r->windows >= 1 && r->segments == nsegs);
  KZ_REQUIRE(r->lang >= 0 && r->lang < KUZAT_LANG_COUNT);
  KZ_REQUIRE(!(r->score < 0 || r->score > 1));
  for (size_t w = 0; w < r->windows; w++) {
    const kuzat_window *win = &r->window[w];
    KZ_REQUIRE(win->first <= win->last && win->src_start <= win->src_end && win->src_end <= len);
    if (nsegs) KZ_REQUIRE(win->last < nsegs);
    for (size_t i = 0; i < nm; i++)
      KZ_REQUIRE(!(r->window_prob[w * nm + i] < 0 || r->window_prob[w * nm + i] > 1));
  }
  for (size_t s = 0; s < nsegs * nm; s++)
    KZ_REQUIRE(!(r->segment_prob[s] < 0 || r->segment_prob[s] > 1));
  for (size_t i = 0; i < nm; i++) {
    KZ_REQUIRE(!(r->prob[i] < 0 || r->prob[i] > 1) && r->best[i] < r->windows);
    KZ_REQUIRE(!isnan(r->decision[i]) && (r->flagged[i] == 0 || r->flagged[i] == 1));
    kz_sink += (unsigned)(r->threshold[i] > 0.5);
    if (!p->explain) continue;
    KZ_REQUIRE(r->explain_len[i] <= p->explain && r->explain_words_len[i] <= p->explain);
    for (size_t k = 0; k < r->explain_len[i]; k++) {
      const kuzat_contribution *c = &r->explain[i][k];
      for (size_t g = 0; g < c->ngrams_len; g++) {
        const kuzat_ngram *ng = &c->ngrams[g];
        touch(ng->text, ng->len);
        KZ_REQUIRE(ng->count >= 1 && ng->src_start <= ng->src_end && ng->src_end <= len);
      }
    }
    for (size_t k = 0; k < r->explain_words_len[i]; k++) {
      const kuzat_word_part *wp = &r->explain_words[i][k];
      touch(wp->word, wp->len);
      KZ_REQUIRE(wp->count >= 1 && wp->src_start <= wp->src_end && wp->src_end <= len);
    }
  }
}

static void score_one(int which, const char *text, size_t len, const kuzat_segment *segs,
                      size_t nsegs, const kuzat_score_params *p, int may_fail) {
  const kuzat_result *r;
  kuzat_error err;
  int rc = kuzat_score(kz_scorers[which], text, len, segs, nsegs, p, &r, &err);
  if (rc == KUZAT_OK) check_result(r, kz_models[which], len, nsegs, p);
  else KZ_REQUIRE(rc == err.status && (may_fail || rc == KUZAT_ENOMEM));
}

/* Input: a mode byte, a parameter byte, then the text. Mode bit 0 picks
 * the model; (mode >> 1) % 4: 0 plain text, 1 segments split at '\n',
 * 2 segments (off, len) from the parameter byte's following 8 bytes,
 * which may be out of order or out of range (kuzat_score() must refuse
 * them, not crash), 3 the text read as SRT, WebVTT, JSON Lines or Whisper
 * JSON (mode >> 3) and each record scored, as kuzat-classify does. */
int kz_fuzz_score(const uint8_t *data, size_t size);
int kz_fuzz_score(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  int which = data[0] & 1, mode = (data[0] >> 1) % 4;
  kuzat_score_params p;
  kuzat_score_params_default(&p);
  p.explain = 1 + data[1] % 8;
  p.window = 1 + (data[1] >> 3) % 8;
  p.window_bytes = 64 + (size_t)data[1] * 8;
  if (data[1] & 0x80) p.threshold = 0.5;
  const char *text = (const char *)data + 2;
  size_t len = size - 2;
  if (!kz_scorers[which]) return 0;
  if (mode == 0) {
    score_one(which, text, len, NULL, 0, &p, 0);
  } else if (mode == 1) {
    kuzat_segment segs[64];
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= len && n < 64; i++)
      if (i == len || text[i] == '\n') {
        segs[n] = (kuzat_segment){(double)n, (double)n + 1, start, i - start};
        n++;
        start = i + 1;
      }
    score_one(which, text, len, segs, n, &p, 0);
  } else if (mode == 2) {
    if (len < 8) return 0;
    kuzat_segment segs[4];
    for (int i = 0; i < 4; i++)
      segs[i] = (kuzat_segment){i, i + 0.5, text[2 * i] & 0x7f, (unsigned char)text[2 * i + 1] % 64};
    score_one(which, text + 8, len - 8, segs, 1 + data[1] % 4, &p, 1);
  } else {
    static const int formats[] = {KUZAT_FORMAT_SRT, KUZAT_FORMAT_VTT, KUZAT_FORMAT_JSONL,
                                  KUZAT_FORMAT_WHISPER};
    const char *path = as_file((const uint8_t *)text, len);
    kuzat_reader *rd;
    kuzat_error err;
    if (!path || kuzat_reader_open(path, formats[(data[0] >> 3) % 4], "fuzz", NULL, &rd, &err))
      return 0;
    kuzat_reader_set_limit(rd, 4096);
    kuzat_record rec;
    while (kuzat_reader_next(rd, &rec, &err) == 1)
      if (!rec.error)
        score_one(which, rec.text, rec.text_len, rec.segments, rec.segments_len, &p, 0);
    kuzat_reader_free(rd);
  }
  return 0;
}

/* ---- setup ---- */

/* A small RBF model trained from the repository's test data. */
static kuzat_model *train_rbf(const char *root) {
  char path[4096];
  snprintf(path, sizeof path, "%s/tests/data/classify/train.tsv", root);
  kuzat_feature_params fp;
  kuzat_feature_params_default(&fp);
  fp.bits = 12;
  kuzat_train_params tp;
  kuzat_train_params_default(&tp);
  tp.kernel = KUZAT_KERNEL_RBF;
  tp.folds = 2;
  return kt_train_tsv_with(path, &fp, &tp);
}

/* Make the normaliser and the scorers. `root` is the repository's top
 * directory. Returns 0, or -1 with the reason on stderr. */
int kz_fuzz_init(const char *root);
int kz_fuzz_init(const char *root) {
  kuzat_error err;
  char path[4096];
  if (kz_norm) return 0;
  if (kuzat_normaliser_new(NULL, &kz_norm, &err)) {
    fprintf(stderr, "fuzz: normaliser: %s\n", err.msg);
    return -1;
  }
  snprintf(path, sizeof path, "%s/models/default.kzm", root);
  if (kuzat_model_load_file(path, NULL, &kz_models[0], &err)) {
    fprintf(stderr, "fuzz: %s\n", err.msg);
    return -1;
  }
  if (kuzat_known_matcher_new(NULL, &kz_matcher, &err)) {
    fprintf(stderr, "fuzz: matcher: %s\n", err.msg);
    return -1;
  }
  kz_models[1] = train_rbf(root);
  for (int i = 0; i < 2; i++)
    if (!kz_models[i] || kuzat_scorer_new(kz_models[i], NULL, &kz_scorers[i], &err)) {
      fprintf(stderr, "fuzz: cannot make scorer %d\n", i);
      return -1;
    }
  return 0;
}

/* charset, html: input as it comes from the field */
#include "fuzz_field.c"

#ifdef KZ_FUZZ_TARGET
int KZ_FUZZ_TARGET(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  if (kz_fuzz_init(KZ_FUZZ_ROOT)) abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return KZ_FUZZ_TARGET(data, size);
}
#endif
