/*
 * test_model_damage.c -- damaged model files are refused at load time,
 * each with its status and a message that names the reason.
 *
 * test_train.c damages a trained model (every truncation of the file,
 * re-compressed truncations and bit flips of its content, two huge counts,
 * a newer version). This file builds a small model byte by byte, as
 * docs/model-format.md lays it out (a linear marker and an RBF marker
 * with two support vectors: 266 bytes of content in format version 1,
 * pairs; 274 in version 3, the linear weights in planes), so that every
 * offset and every bit can be damaged and the expected reason is known for
 * each, in both versions:
 *  - the gzip file cut at every offset, and every bit of it flipped;
 *  - the content cut at every offset, re-compressed: as it stands (the
 *    CRC-32 catches it), and with a valid CRC-32 computed over the cut
 *    (the loader's own bounds checks must catch it, naming the byte);
 *  - every bit of the content flipped: as it stands (CRC-32), and with a
 *    valid CRC-32 (each field's check must refuse it, or the model must
 *    load and score like any other);
 *  - every count field set to nonsense under a valid CRC-32, non-finite
 *    numbers in every floating-point field, bad feature indices, bad
 *    feature parameters, bytes after the end;
 *  - newer format and normaliser versions, with a valid CRC-32 and
 *    without (the format version is read before the CRC);
 *  - through kuzat_model_load_file(), the message names the file.
 */
#include "check.h"
#include "helpers.h"
#include "kuzat.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* ---- the content, byte by byte ---- */

typedef struct cbuf {
  unsigned char b[1024];
  size_t n;
} cbuf;

static void put_u32(cbuf *c, uint32_t v) {
  for (int i = 0; i < 4; i++) c->b[c->n++] = (unsigned char)(v >> (8 * i));
}
static void put_u64(cbuf *c, uint64_t v) {
  put_u32(c, (uint32_t)v);
  put_u32(c, (uint32_t)(v >> 32));
}
static void put_f64(cbuf *c, double d) {
  uint64_t v;
  memcpy(&v, &d, 8);
  put_u64(c, v);
}
static void set_u32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void set_f64(unsigned char *p, double d) {
  uint64_t v;
  memcpy(&v, &d, 8);
  set_u32(p, (uint32_t)v);
  set_u32(p + 4, (uint32_t)(v >> 32));
}

/* Fields whose damage has a known reason, by content offset. F_PLANES:
 * the first byte of a weight's index gap in version 3's planes of
 * `planes` bytes (its weight's bytes lie 4 planes on). */
enum { F_COUNT, F_F64, F_INDEX, F_PLANES };
typedef struct field {
  size_t off;
  int kind;
  const char *name; /* as the loader's message names it */
  size_t planes;
} field;
static field fields[64];
static size_t nfields;

static void mark(const cbuf *c, int kind, const char *name) {
  fields[nfields].off = c->n;
  fields[nfields].kind = kind;
  fields[nfields].name = name;
  nfields++;
}

static cbuf model; /* the content, CRC included */
static uint32_t version; /* model's format version: 1 or 3 */
static size_t head_end;  /* where the header's fields end: 44 or 52 */
static size_t off_version = 8, off_norm = 12, off_bits = 24, off_word_min = 28, off_char_max = 40;

static void put_marker_head(cbuf *c, const char *name, uint32_t kernel, double C, double gamma,
                            double a, double b, double thr, double bias) {
  mark(c, F_COUNT, "marker name of");
  put_u32(c, (uint32_t)strlen(name));
  memcpy(c->b + c->n, name, strlen(name));
  c->n += strlen(name);
  mark(c, F_COUNT, "unknown kernel");
  put_u32(c, kernel);
  static const char *const names[6] = {"C", "gamma", "Platt A", "Platt B", "the threshold", "the bias"};
  const double vals[6] = {C, gamma, a, b, thr, bias};
  for (int i = 0; i < 6; i++) {
    mark(c, F_F64, names[i]);
    put_f64(c, vals[i]);
  }
}

static void put_pair(cbuf *c, uint32_t index, double v) {
  mark(c, F_INDEX, "feature index");
  put_u32(c, index);
  put_f64(c, v);
}

/* Byte j of v at plane j (of n bytes each) from p. */
static void put_planar(unsigned char *p, size_t n, int bytes, uint64_t v) {
  for (int j = 0; j < bytes; j++) p[(size_t)j * n] = (unsigned char)(v >> (8 * j));
}

static void build_model(uint32_t v) {
  cbuf *c = &model;
  version = v;
  nfields = 0;
  memcpy(c->b, "KUZATMDL", 8);
  c->n = 8;
  put_u32(c, v);   /* format */
  put_u32(c, 1);   /* normaliser */
  put_u64(c, 42);  /* seed */
  put_u32(c, 4);   /* bits: 16 buckets */
  put_u32(c, 1);   /* word 1..2 */
  put_u32(c, 2);
  put_u32(c, 2);   /* char 2..3 */
  put_u32(c, 3);
  if (v >= 2) {    /* Arabic-script words: char 2..3 as well */
    put_u32(c, 2);
    put_u32(c, 3);
  }
  head_end = c->n;
  mark(c, F_COUNT, "markers");
  put_u32(c, 2);
  put_marker_head(c, "lin", 0, 1, 0, -2, 0.1, 0.5, -0.25);
  mark(c, F_COUNT, "weights, but");
  put_u32(c, 3);
  static const uint32_t lin_idx[3] = {1, 5, 16};
  static const double lin_w[3] = {0.5, -1.25, 2.0};
  if (v < 3) {
    for (int q = 0; q < 3; q++) put_pair(c, lin_idx[q], lin_w[q]);
  } else {
    for (uint32_t q = 0, prev = 0; q < 3; prev = lin_idx[q], q++) {
      mark(c, F_PLANES, "feature index");
      fields[nfields - 1].planes = 3;
      put_planar(c->b + c->n, 3, 4, lin_idx[q] - prev);
      uint64_t bits;
      memcpy(&bits, &lin_w[q], 8);
      put_planar(c->b + c->n + 12, 3, 8, bits);
      c->n++;
    }
    c->n += 33;
  }
  put_marker_head(c, "rbf", 2, 10, 0.5, -1, 0, 0.4, 0.1);
  mark(c, F_COUNT, "support vectors, but");
  put_u32(c, 2);
  mark(c, F_F64, "a support vector coefficient");
  put_f64(c, 0.75);
  mark(c, F_COUNT, "support vector of");
  put_u32(c, 2);
  put_pair(c, 2, 0.6);
  put_pair(c, 7, 0.8);
  mark(c, F_F64, "a support vector coefficient");
  put_f64(c, -0.75);
  mark(c, F_COUNT, "support vector of");
  put_u32(c, 0);
  mark(c, F_COUNT, "explanation dictionary");
  put_u32(c, 0);
  put_u32(c, (uint32_t)crc32(0, c->b, (uInt)c->n));
}

/* ---- gzip, loading ---- */

/* Recompute the CRC-32 of content p[0..n) (its last 4 bytes). */
static void fix_crc(unsigned char *p, size_t n) { set_u32(p + n - 4, (uint32_t)crc32(0, p, (uInt)(n - 4))); }

static char msg[512]; /* the last load's message */
static size_t byte_checked, byte_wrong; /* messages naming a byte, and those whose
                                           err.byte_offset disagrees */

/* Load gzip bytes; the status (msg holds the message). An accepted model
 * must score: the decision values and probabilities of a text's features
 * (kuzat_score() itself for the first few, since a scorer builds a
 * normaliser, which takes milliseconds). */
static int full_scores = 16;
static int load_gz(const unsigned char *p, size_t n, int *scored_ok) {
  kuzat_model *m = NULL;
  kuzat_error err;
  int rc = kuzat_model_load_mem(p, n, NULL, &m, &err);
  snprintf(msg, sizeof msg, "%s", rc ? err.msg : "");
  const char *at = rc ? strstr(err.msg, " at byte ") : NULL;
  if (at) {
    byte_checked++;
    byte_wrong += strtoll(at + 9, NULL, 10) != err.byte_offset || err.line != 0;
  }
  if (scored_ok) *scored_ok = 0;
  if (rc == KUZAT_OK) {
    const char *text = "birodarlar hijratga shoshiling ҷиҳод 2024 http://x.y @z";
    size_t nm = kuzat_model_markers(m), nv;
    kuzat_feature_params fp;
    kuzat_model_feature_params(m, &fp);
    kuzat_featuriser *f = NULL;
    const kuzat_feature *v;
    double dec[8];
    int good = nm <= 8 && kuzat_featuriser_new(&fp, NULL, &f, &err) == KUZAT_OK &&
               kuzat_featurise(f, text, strlen(text), &v, &nv, &err) == KUZAT_OK &&
               kuzat_model_decision(m, v, dec, &err) == KUZAT_OK;
    for (size_t i = 0; good && i < nm; i++) {
      double pr = kuzat_model_probability(m, i, dec[i]);
      good = pr >= 0 && pr <= 1;
    }
    kuzat_featuriser_free(f);
    if (good && full_scores > 0) {
      full_scores--;
      kuzat_scorer *s = NULL;
      const kuzat_result *r;
      good = kuzat_scorer_new(m, NULL, &s, &err) == KUZAT_OK &&
             kuzat_score(s, text, strlen(text), NULL, 0, NULL, &r, &err) == KUZAT_OK;
      for (size_t i = 0; good && i < r->markers; i++) good = r->prob[i] >= 0 && r->prob[i] <= 1;
      kuzat_scorer_free(s);
    }
    if (scored_ok) *scored_ok = good;
    kuzat_model_free(m);
  } else if (m) {
    snprintf(msg, sizeof msg, "*out was set on failure");
    rc = KUZAT_OK;
  }
  return rc;
}

static int load_raw(const unsigned char *raw, size_t n, int *scored_ok) {
  size_t zn;
  unsigned char *z = kt_gzip(raw, n, &zn);
  int rc = load_gz(z, zn, scored_ok);
  free(z);
  return rc;
}

/* The byte offset a "model truncated/damaged at byte P" message names, or -1. */
static long named_byte(void) {
  const char *p = strstr(msg, " at byte ");
  return p ? strtol(p + 9, NULL, 10) : -1;
}

static int has(const char *s) { return strstr(msg, s) != NULL; }

/* ---- the tests ---- */

static void test_intact(void) {
  int scored;
  CHECK(load_raw(model.b, model.n, &scored) == KUZAT_OK && scored, "the built model loads: %s", msg);
  CHECK(model.n == (version < 3 ? 266u : 274u), "version %u: content of %zu bytes", version, model.n);
}

/* The same content in a member whose header has a file name and a
 * comment (gzip -N writes one; ours never do): the plain header's fast
 * path leaves it to zlib, and it loads the same. */
static void test_header_fields(void) {
  size_t zn;
  unsigned char *z = kt_gzip(model.b, model.n, &zn);
  static const char extra[] = "model.kzm\0a comment\0";
  unsigned char *named = malloc(zn + sizeof extra - 1);
  memcpy(named, z, 10);
  named[3] = 8 | 16; /* FNAME, FCOMMENT */
  memcpy(named + 10, extra, sizeof extra - 1);
  memcpy(named + 10 + sizeof extra - 1, z + 10, zn - 10);
  kuzat_model *plain = NULL, *other = NULL;
  int rc1 = kuzat_model_load_mem(z, zn, NULL, &plain, NULL);
  int rc2 = kuzat_model_load_mem(named, zn + sizeof extra - 1, NULL, &other, NULL);
  CHECK(rc1 == KUZAT_OK && rc2 == KUZAT_OK && strcmp(kuzat_model_id(plain), kuzat_model_id(other)) == 0,
        "version %u: a member with a file name and a comment loads as the plain one (%d %d)", version,
        rc1, rc2);
  kuzat_model_free(plain);
  kuzat_model_free(other);
  /* the member twice: its trailer is the file's last 8 bytes as well, but
   * one member is all a file may hold */
  unsigned char *twice = malloc(2 * zn);
  memcpy(twice, z, zn);
  memcpy(twice + zn, z, zn);
  char want[80];
  snprintf(want, sizeof want, "model damaged: %zu bytes after the gzip stream", zn);
  int rc = load_gz(twice, 2 * zn, NULL);
  CHECK(rc == KUZAT_EFORMAT && strcmp(msg, want) == 0, "version %u: the member twice: %d %s", version, rc, msg);
  free(twice);
  free(named);
  free(z);
}

/* The gzip file cut at every offset. */
static void test_file_truncation(void) {
  size_t zn;
  unsigned char *z = kt_gzip(model.b, model.n, &zn);
  size_t bad = 0;
  for (size_t cut = 0; cut < zn; cut++) {
    int rc = load_gz(z, cut, NULL);
    int ok = rc == KUZAT_EFORMAT &&
             (cut < 18 ? has("not a kuzat model (not gzip-compressed)")
                       : has("model truncated: the gzip stream ends early") || has("model damaged: gzip: "));
    if (!ok && !bad++) CHECK(0, "file cut to %zu of %zu bytes: %d %s", cut, zn, rc, msg);
  }
  CHECK(!bad, "every one of the %zu truncations of the file refused with its reason (%zu not)", zn, bad);
  free(z);
}

/* Every bit of the gzip file flipped: refused as damaged gzip, or (a flip
 * in the time stamp, the OS byte, or a Huffman code the data never uses)
 * the very same content. */
static void test_file_flips(void) {
  size_t zn;
  unsigned char *z = kt_gzip(model.b, model.n, &zn);
  size_t bad = 0, refused = 0;
  for (size_t at = 0; at < zn; at++)
    for (int bit = 0; bit < 8; bit++) {
      z[at] ^= (unsigned char)(1u << bit);
      int scored, rc = load_gz(z, zn, &scored);
      z[at] ^= (unsigned char)(1u << bit);
      int ok;
      if (rc == KUZAT_OK) {
        ok = scored;
      } else {
        refused++;
        ok = rc == KUZAT_EFORMAT && (has("model damaged: gzip: ") || has("not gzip-compressed") ||
                                     has("gzip stream ends early") || has("after the gzip stream"));
      }
      if (!ok && !bad++) CHECK(0, "bit %d of file byte %zu: %d %s", bit, at, rc, msg);
    }
  CHECK(!bad, "%zu bit flips in the file: %zu refused as damaged gzip, the rest harmless", zn * 8, refused);
  CHECK(refused > zn * 8 / 2, "most flips in the file refused (%zu of %zu)", refused, zn * 8);
  printf("info - model damage: %zu bit flips of the %zu-byte file: %zu refused, %zu harmless\n",
         zn * 8, zn, refused, zn * 8 - refused);
  free(z);
}

/* The content cut at every offset and re-compressed, so gzip is intact. */
static void test_content_truncation(void) {
  unsigned char buf[1024];
  size_t bad = 0, bad_crc = 0;
  for (size_t cut = 0; cut < model.n; cut++) {
    /* as it stands: the last 4 bytes are taken for the CRC */
    int rc = load_raw(model.b, cut, NULL);
    int ok = rc != KUZAT_OK &&
             (cut < 8 ? rc == KUZAT_EFORMAT && has("not a kuzat model (no KUZATMDL magic)")
              : cut < 12 ? rc == KUZAT_EFORMAT && has("model truncated at byte 0: the format version needs 12 bytes")
              : cut < 16 ? rc == KUZAT_EFORMAT && has("model truncated at byte 12: the CRC-32 needs 4 bytes")
              : rc == KUZAT_EFORMAT && has("model damaged: CRC-32 is "));
    if (!ok && !bad++) CHECK(0, "content cut to %zu: %d %s", cut, rc, msg);
    /* with a valid CRC-32 of what is left: the bounds checks must catch it */
    if (cut + 4 >= model.n) continue;
    memcpy(buf, model.b, cut);
    set_u32(buf + cut, (uint32_t)crc32(0, buf, (uInt)cut));
    rc = load_raw(buf, cut + 4, NULL);
    long at = named_byte();
    if (cut < 8) ok = rc == KUZAT_EFORMAT && has("not a kuzat model");
    else if (cut < 12) /* the format version is partly CRC bytes */
      ok = (rc == KUZAT_EFORMAT || rc == KUZAT_EVERSION) && has("format version");
    else
      ok = rc == KUZAT_EFORMAT && (has("model truncated at byte ") || has("model damaged at byte ")) &&
           at >= 0 && (size_t)at <= cut;
    if (!ok && !bad_crc++) CHECK(0, "content cut to %zu with a valid CRC-32: %d %s", cut, rc, msg);
  }
  CHECK(!bad, "every truncation of the content refused with its reason (%zu not)", bad);
  CHECK(!bad_crc, "every truncation of the content under a valid CRC-32 refused, naming a byte "
        "within what is left (%zu not)", bad_crc);
}

/* Every bit of the content flipped. */
static void test_content_flips(void) {
  unsigned char buf[1024];
  char newer_msg[80];
  snprintf(newer_msg, sizeof newer_msg, "is newer than this kuzat reads (%d): upgrade kuzat",
           KUZAT_MODEL_FORMAT);
  size_t bad = 0, bad_crc = 0, loaded = 0, refused = 0;
  for (size_t at = 0; at < model.n; at++)
    for (int bit = 0; bit < 8; bit++) {
      memcpy(buf, model.b, model.n);
      buf[at] ^= (unsigned char)(1u << bit);
      /* as it stands */
      int rc = load_raw(buf, model.n, NULL), ok;
      /* a flip of the version's low bits may give another version this
       * kuzat reads, which the CRC-32 then refuses */
      const uint32_t flipped = at == 8 ? version ^ (1u << bit) : 0;
      const int readable = flipped >= 1 && flipped <= KUZAT_MODEL_FORMAT;
      if (at < 8) ok = rc == KUZAT_EFORMAT && has("not a kuzat model");
      else if (at == 8 && flipped == 0) ok = rc == KUZAT_EFORMAT && has("model format version 0");
      else if (at < 12 && !readable) ok = rc == KUZAT_EVERSION && has(newer_msg);
      else ok = rc == KUZAT_EFORMAT && has("model damaged: CRC-32 is ");
      if (!ok && !bad++) CHECK(0, "bit %d of content byte %zu: %d %s", bit, at, rc, msg);
      /* with a valid CRC-32: refused for a reason, or a model that scores */
      if (at >= model.n - 4) continue;
      fix_crc(buf, model.n);
      int scored;
      rc = load_raw(buf, model.n, &scored);
      if (rc == KUZAT_OK) {
        ok = scored;
        loaded++;
      } else {
        refused++;
        if (at < 8) ok = has("not a kuzat model");
        else if (readable) /* read in another version's layout */
          ok = rc == KUZAT_EFORMAT && (has("model damaged") || has("model truncated"));
        else if (at < 12) ok = has("format version");
        else if (at < 16) ok = rc == KUZAT_EVERSION && has("model trained with normaliser version ");
        else if (at < head_end) ok = rc == KUZAT_EFORMAT && has("model damaged: feature parameters: ");
        else ok = rc == KUZAT_EFORMAT && (has("model damaged at byte ") || has("model truncated at byte ") ||
                                          has("bytes after the end"));
      }
      if (!ok && !bad_crc++) CHECK(0, "bit %d of content byte %zu under a valid CRC-32: %d %s", bit, at, rc, msg);
    }
  CHECK(!bad, "all %zu bit flips of the content refused with their reason (%zu not)", model.n * 8, bad);
  CHECK(!bad_crc, "bit flips under a valid CRC-32: %zu refused with a reason, %zu load and score "
        "(%zu neither)", refused, loaded, bad_crc);
  printf("info - model damage: %zu bit flips of the content under a valid CRC-32: %zu refused "
         "with a reason, %zu load and score\n", refused + loaded + bad_crc, refused, loaded);
}

/* Nonsense in each field, under a valid CRC-32. */
static void test_fields(void) {
  unsigned char buf[1024];
  static const uint32_t counts[] = {0x7FFFFFFFu, 0xFFFFFFFFu, 0x10000000u, 0x01000000u};
  static const uint32_t small[] = {0, 1, 2, 3, 4, 5, 17, 255, 256};
  size_t nf = 0;
  for (size_t f = 0; f < nfields; f++) {
    const field *fd = &fields[f];
    if (fd->kind == F_COUNT) {
      /* huge: refused at that very field, before anything is allocated */
      for (size_t v = 0; v < sizeof counts / sizeof counts[0]; v++) {
        memcpy(buf, model.b, model.n);
        set_u32(buf + fd->off, counts[v]);
        fix_crc(buf, model.n);
        int rc = load_raw(buf, model.n, NULL);
        nf++;
        CHECK(rc == KUZAT_EFORMAT && named_byte() == (long)fd->off && has(fd->name),
              "count at byte %zu set to %u: %d %s", fd->off, counts[v], rc, msg);
      }
      /* small wrong values: refused for some reason, or harmless */
      for (size_t v = 0; v < sizeof small / sizeof small[0]; v++) {
        memcpy(buf, model.b, model.n);
        set_u32(buf + fd->off, small[v]);
        fix_crc(buf, model.n);
        int scored, rc = load_raw(buf, model.n, &scored);
        nf++;
        CHECK(rc == KUZAT_OK ? scored : rc == KUZAT_EFORMAT && (has(" at byte ") || has("bytes after the end")),
              "count at byte %zu set to %u: %d %s", fd->off, small[v], rc, msg);
      }
    } else if (fd->kind == F_F64) {
      const double bad[] = {NAN, INFINITY, -INFINITY};
      for (int v = 0; v < 3; v++) {
        memcpy(buf, model.b, model.n);
        set_f64(buf + fd->off, bad[v]);
        fix_crc(buf, model.n);
        int rc = load_raw(buf, model.n, NULL);
        nf++;
        char want[128];
        snprintf(want, sizeof want, "model damaged at byte %zu: %s is not a finite number", fd->off, fd->name);
        CHECK(rc == KUZAT_EFORMAT && has(want), "%g in %s (byte %zu): %d %s", bad[v], fd->name, fd->off, rc, msg);
      }
    } else if (fd->kind == F_PLANES) {
      /* a gap of 0 (the index repeated), gaps past 2^bits, and a weight that is
       * not finite: each named by the byte of its first plane */
      const uint32_t gap[] = {0, 17, 0xFFFFFFFFu};
      const size_t n = fd->planes;
      for (int v = 0; v < 3; v++) {
        memcpy(buf, model.b, model.n);
        put_planar(buf + fd->off, n, 4, gap[v]);
        fix_crc(buf, model.n);
        int rc = load_raw(buf, model.n, NULL);
        nf++;
        CHECK(rc == KUZAT_EFORMAT && named_byte() == (long)fd->off && has("feature index") &&
                  has(v ? "at most 16" : "after"),
              "version 3: gap %u at byte %zu: %d %s", gap[v], fd->off, rc, msg);
      }
      const double bad[] = {NAN, INFINITY, -INFINITY};
      for (int v = 0; v < 3; v++) {
        uint64_t bits;
        memcpy(&bits, &bad[v], 8);
        memcpy(buf, model.b, model.n);
        put_planar(buf + fd->off + 4 * n, n, 8, bits);
        fix_crc(buf, model.n);
        int rc = load_raw(buf, model.n, NULL);
        nf++;
        CHECK(rc == KUZAT_EFORMAT && named_byte() == (long)(fd->off + 4 * n) && has("weight is not finite"),
              "version 3: %g weight at byte %zu: %d %s", bad[v], fd->off + 4 * n, rc, msg);
      }
    } else {
      /* an index of 0, beyond 2^bits, and a weight that is not finite */
      const uint32_t idx[] = {0, 17, 0xFFFFFFFFu};
      for (int v = 0; v < 3; v++) {
        memcpy(buf, model.b, model.n);
        set_u32(buf + fd->off, idx[v]);
        fix_crc(buf, model.n);
        int rc = load_raw(buf, model.n, NULL);
        nf++;
        CHECK(rc == KUZAT_EFORMAT && named_byte() == (long)fd->off && has("feature index"),
              "index %u at byte %zu: %d %s", idx[v], fd->off, rc, msg);
      }
      memcpy(buf, model.b, model.n);
      set_f64(buf + fd->off + 4, NAN);
      fix_crc(buf, model.n);
      int rc = load_raw(buf, model.n, NULL);
      nf++;
      CHECK(rc == KUZAT_EFORMAT && named_byte() == (long)fd->off + 4 && has("weight is not finite"),
            "NaN weight at byte %zu: %d %s", fd->off + 4, rc, msg);
    }
  }
  /* indices not ascending: the linear marker's second index equal to its
   * first (1), and the support vector's second (7) equal to its first (2) */
  size_t ix[8], nix = 0;
  for (size_t f = 0; f < nfields && nix < 8; f++)
    if (fields[f].kind == F_INDEX) ix[nix++] = fields[f].off;
  /* in version 3 the support vector's pairs are the only ones */
  struct { size_t off; uint32_t v; const char *want; } asc[] = {
      {ix[nix - 1], 2, "feature index 2 after 2"}, {nix > 2 ? ix[1] : 0, 1, "feature index 1 after 1"}};
  for (int i = 0; i < (nix > 2 ? 2 : 1); i++) {
    memcpy(buf, model.b, model.n);
    set_u32(buf + asc[i].off, asc[i].v);
    fix_crc(buf, model.n);
    int rc = load_raw(buf, model.n, NULL);
    CHECK(rc == KUZAT_EFORMAT && named_byte() == (long)asc[i].off && has(asc[i].want),
          "index not ascending at byte %zu: %d %s", asc[i].off, rc, msg);
  }
  /* feature parameters out of range */
  struct { size_t off; uint32_t v; } fp[] = {{off_bits, 0}, {off_bits, 29}, {off_bits, 0x80000000u},
                                            {off_word_min, 3}, {off_char_max, 9}, {off_char_max, 1}};
  for (size_t i = 0; i < sizeof fp / sizeof fp[0]; i++) {
    memcpy(buf, model.b, model.n);
    set_u32(buf + fp[i].off, fp[i].v);
    fix_crc(buf, model.n);
    int rc = load_raw(buf, model.n, NULL);
    nf++;
    CHECK(rc == KUZAT_EFORMAT && has("model damaged: feature parameters: "),
          "header byte %zu set to %u: %d %s", fp[i].off, fp[i].v, rc, msg);
  }
  /* bytes between the dictionary count and the CRC */
  memcpy(buf, model.b, model.n - 4);
  memset(buf + model.n - 4, 0, 8);
  fix_crc(buf, model.n + 4);
  int rc = load_raw(buf, model.n + 4, NULL);
  CHECK(rc == KUZAT_EFORMAT && has("model damaged: 4 bytes after the end"), "4 bytes after the end: %d %s", rc, msg);
  CHECK(nf > 150, "%zu damaged fields refused or harmless", nf);
}

/* Versions: newer formats are refused before their bytes are believed. */
static void test_versions(void) {
  unsigned char buf[1024];
  const uint32_t newer[] = {KUZAT_MODEL_FORMAT + 1, KUZAT_MODEL_FORMAT + 2, 0x7FFFFFFFu, 0xFFFFFFFFu};
  for (size_t i = 0; i < sizeof newer / sizeof newer[0]; i++) {
    char want[160];
    snprintf(want, sizeof want, "model format version %u is newer than this kuzat reads (%d): upgrade kuzat",
             newer[i], KUZAT_MODEL_FORMAT);
    /* the rest as in format 1, with a valid CRC-32 */
    memcpy(buf, model.b, model.n);
    set_u32(buf + off_version, newer[i]);
    fix_crc(buf, model.n);
    int rc = load_raw(buf, model.n, NULL);
    CHECK(rc == KUZAT_EVERSION && strcmp(msg, want) == 0, "format %u: %d %s", newer[i], rc, msg);
    /* a layout of its own: a short header, no CRC-32 this kuzat knows */
    memcpy(buf, "KUZATMDL", 8);
    set_u32(buf + 8, newer[i]);
    for (int k = 12; k < 40; k++) buf[k] = (unsigned char)(k * 37);
    for (size_t len = 12; len <= 40; len += 14) {
      rc = load_raw(buf, len, NULL);
      CHECK(rc == KUZAT_EVERSION && strcmp(msg, want) == 0, "format %u, %zu bytes of another layout: %d %s",
            newer[i], len, rc, msg);
    }
  }
  memcpy(buf, model.b, model.n);
  set_u32(buf + off_version, 0);
  fix_crc(buf, model.n);
  int rc = load_raw(buf, model.n, NULL);
  CHECK(rc == KUZAT_EFORMAT && strcmp(msg, "model format version 0") == 0, "format 0: %d %s", rc, msg);
  const uint32_t norms[] = {0, 2, 0xFFFFFFFFu};
  for (size_t i = 0; i < 3; i++) {
    memcpy(buf, model.b, model.n);
    set_u32(buf + off_norm, norms[i]);
    fix_crc(buf, model.n);
    rc = load_raw(buf, model.n, NULL);
    char want[160];
    snprintf(want, sizeof want, "model trained with normaliser version %u; this kuzat has version %d",
             norms[i], KUZAT_NORMALISER_VERSION);
    CHECK(rc == KUZAT_EVERSION && strcmp(msg, want) == 0, "normaliser %u: %d %s", norms[i], rc, msg);
  }
}

/* Through a file: the message starts with the path. */
static void test_file_messages(void) {
  char dir[] = "/tmp/kuzat-test-damage-XXXXXX";
  if (!CHECK(mkdtemp(dir) != NULL, "mkdtemp")) return;
  char path[128];
  snprintf(path, sizeof path, "%s/cut.kzm", dir);
  size_t zn;
  unsigned char *z = kt_gzip(model.b, model.n, &zn);
  FILE *f = fopen(path, "wb");
  fwrite(z, 1, zn / 2, f);
  fclose(f);
  kuzat_model *m = NULL;
  kuzat_error err;
  int rc = kuzat_model_load_file(path, NULL, &m, &err);
  char want[256];
  snprintf(want, sizeof want, "%s: model truncated: the gzip stream ends early", path);
  CHECK(rc == KUZAT_EFORMAT && m == NULL && strcmp(err.msg, want) == 0, "half a file: %d %s", rc, err.msg);
  unsigned char buf[1024];
  memcpy(buf, model.b, model.n);
  set_u32(buf + off_version, KUZAT_MODEL_FORMAT + 1);
  free(z);
  z = kt_gzip(buf, model.n, &zn);
  f = fopen(path, "wb");
  fwrite(z, 1, zn, f);
  fclose(f);
  rc = kuzat_model_load_file(path, NULL, &m, &err);
  snprintf(want, sizeof want, "%s: model format version %d is newer than this kuzat reads (%d): upgrade kuzat",
           path, KUZAT_MODEL_FORMAT + 1, KUZAT_MODEL_FORMAT);
  CHECK(rc == KUZAT_EVERSION && strcmp(err.msg, want) == 0, "newer format, by file: %d %s", rc, err.msg);
  rc = kuzat_model_load_file(dir, NULL, &m, &err);
  CHECK(rc == KUZAT_EIO && strstr(err.msg, dir) && strstr(err.msg, "not a regular file"),
        "a directory: %d %s", rc, err.msg);
  free(z);
  unlink(path);
  rmdir(dir);
}

int main(void) {
  for (uint32_t v = 1; v <= 3; v += 2) {
    printf("# format version %u\n", v);
    build_model(v);
    test_intact();
    test_header_fields();
    test_file_truncation();
    test_file_flips();
    test_content_truncation();
    test_content_flips();
    test_fields();
    test_versions();
    test_file_messages();
  }
  CHECK(byte_checked > 100 && byte_wrong == 0,
        "err.byte_offset is the byte each message names (%zu messages, %zu disagree)",
        byte_checked, byte_wrong);
  return kt_done();
}
