/*
 * test_normalise.c -- the normaliser: vectors, invariance, properties.
 *
 * tests/data/normalise.tsv: name, input, expected output, expected language.
 * tests/data/invariance.tsv: groups of spellings of one sentence, which
 * must normalise identically, while different groups stay different.
 * Then properties that must hold for any input: output is NFKC_Casefold
 * normalised (ICU's own check), normalising twice changes nothing, the
 * output is valid UTF-8 on one line, offsets point into the input, a NUL
 * never ends a document, and a 50 MB line goes through whole. And the
 * one-pass path (normalise_fast.c) against the general one: the same
 * output, language and identification on every vector, random string and,
 * with the shared datasets, every text of the benchmark corpus.
 */
#include "check.h"
#include "internal.h" /* kuzat__normaliser_fast */
#include "kuzat.h"

#include <stdint.h>
#include <string.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

static kuzat_normaliser *N;
static kuzat_normaliser *G; /* the general path only */
static size_t fast_texts, fast_differ;
static char fast_first[200];

/* One text through N (twice, so the second call meets a warm cache and
 * takes the fast path where it can) and through G: the same results. */
static void fast_vs_general(const char *in, size_t il) {
  kuzat_text a, b;
  int la = -1, lb = -2;
  int ok = kuzat_normalise(N, in, il, 0, &a, NULL) == KUZAT_OK &&
           kuzat_normalise(N, in, il, 0, &a, NULL) == KUZAT_OK &&
           kuzat_normalise(G, in, il, 0, &b, NULL) == KUZAT_OK && a.len == b.len &&
           memcmp(a.utf8, b.utf8, a.len) == 0 && a.utf8[a.len] == '\0' && a.lang == b.lang;
  ok &= kuzat_normalise(N, in, il, KUZAT_NORM_NO_TRANSLIT, &a, NULL) == KUZAT_OK &&
        kuzat_normalise(G, in, il, KUZAT_NORM_NO_TRANSLIT, &b, NULL) == KUZAT_OK &&
        a.len == b.len && memcmp(a.utf8, b.utf8, a.len) == 0 && a.lang == b.lang;
  ok &= kuzat_identify(N, in, il, &la, NULL) == KUZAT_OK &&
        kuzat_identify(G, in, il, &lb, NULL) == KUZAT_OK && la == lb;
  fast_texts++;
  if (!ok && !fast_differ++) snprintf(fast_first, sizeof fast_first, "%.*s", (int)(il < 150 ? il : 150), in);
}

/* ---- escapes used by the data files ---- */

static size_t put_utf8(char *o, uint32_t c) {
  if (c < 0x80) { o[0] = (char)c; return 1; }
  if (c < 0x800) { o[0] = (char)(0xC0 | (c >> 6)); o[1] = (char)(0x80 | (c & 0x3F)); return 2; }
  if (c < 0x10000) {
    o[0] = (char)(0xE0 | (c >> 12)); o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[2] = (char)(0x80 | (c & 0x3F)); return 3;
  }
  o[0] = (char)(0xF0 | (c >> 18)); o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
  o[2] = (char)(0x80 | ((c >> 6) & 0x3F)); o[3] = (char)(0x80 | (c & 0x3F));
  return 4;
}

/* Decode the escapes of s[0..n) into out (n bytes are enough). */
static size_t unescape(const char *s, size_t n, char *out) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '\\' || i + 1 == n) { out[k++] = s[i]; continue; }
    char e = s[++i];
    int digits = e == 'u' ? 4 : e == 'U' ? 8 : e == 'x' ? 2 : 0;
    if (digits && i + (size_t)digits < n) {
      char hex[9] = {0};
      memcpy(hex, s + i + 1, (size_t)digits);
      uint32_t v = (uint32_t)strtoul(hex, NULL, 16);
      if (e == 'x') out[k++] = (char)v;
      else k += put_utf8(out + k, v);
      i += (size_t)digits;
      continue;
    }
    switch (e) {
    case '0': out[k++] = '\0'; break;
    case 't': out[k++] = '\t'; break;
    case 'n': out[k++] = '\n'; break;
    case 'r': out[k++] = '\r'; break;
    default: out[k++] = e; break;
    }
  }
  return k;
}

/* Show bytes with non-ASCII and invisible characters escaped. */
static const char *show(const char *s, size_t n) {
  static char buf[4096];
  size_t k = 0;
  for (size_t i = 0; i < n && k + 12 < sizeof buf; i++) {
    unsigned char b = (unsigned char)s[i];
    if (b >= 0x20 && b < 0x7F) buf[k++] = (char)b;
    else k += (size_t)snprintf(buf + k, sizeof buf - k, "\\x%02X", b);
  }
  buf[k] = '\0';
  return buf;
}

static int valid_utf8(const char *s, size_t n) {
  UErrorCode st = U_ZERO_ERROR;
  int32_t len;
  u_strFromUTF8(NULL, 0, &len, s, (int32_t)n, &st);
  return st == U_BUFFER_OVERFLOW_ERROR || U_SUCCESS(st) || n == 0;
}

/* Read a TSV data file: calls fn for each data line's fields. */
typedef void (*row_fn)(char **f, size_t *fl, int nf, int line);
static int each_row(const char *path, int want, row_fn fn) {
  FILE *f = fopen(path, "rb");
  if (!CHECK(f != NULL, "cannot open %s", path)) return 0;
  char line[65536];
  int ln = 0, rows = 0;
  while (fgets(line, sizeof line, f)) {
    ln++;
    size_t len = strcspn(line, "\r\n");
    line[len] = '\0';
    if (len == 0 || line[0] == '#') continue;
    char *fields[8];
    size_t fl[8];
    int nf = 0;
    char *p = line;
    for (;;) {
      char *t = strchr(p, '\t');
      if (nf < 8) { fields[nf] = p; fl[nf] = t ? (size_t)(t - p) : strlen(p); }
      nf++;
      if (!t) break;
      p = t + 1;
    }
    if (!CHECK(nf == want, "%s:%d: %d fields, expected %d", path, ln, nf, want)) continue;
    fn(fields, fl, nf, ln);
    rows++;
  }
  fclose(f);
  return rows;
}

/* ---- vectors ---- */

static void vector_row(char **f, size_t *fl, int nf, int ln) {
  (void)nf;
  char name[128], in[65536], exp[65536];
  snprintf(name, sizeof name, "vector %.*s (normalise.tsv:%d)", (int)fl[0], f[0], ln);
  size_t il = unescape(f[1], fl[1], in), el = unescape(f[2], fl[2], exp);
  fast_vs_general(in, il);
  kuzat_text t;
  kuzat_error err;
  int rc = kuzat_normalise(N, in, il, 0, &t, &err);
  if (!kt_check(rc == KUZAT_OK, name, "status %d: %s", rc, err.msg)) return;
  char got[65536];
  snprintf(got, sizeof got, "%s", show(t.utf8, t.len));
  kt_check(t.len == el && memcmp(t.utf8, exp, el) == 0, name,
           "\n      got      \"%s\"\n      expected \"%s\"", got, show(exp, el));
  if (!(fl[3] == 1 && f[3][0] == '-')) {
    char lang[32];
    snprintf(lang, sizeof lang, "%.*s", (int)fl[3], f[3]);
    kt_check(strcmp(kuzat_lang_name(t.lang), lang) == 0, name,
             "language %s, expected %s", kuzat_lang_name(t.lang), lang);
  }
}

/* ---- invariance ---- */

#define MAX_GROUPS 256
static struct group {
  char name[64];
  char *out; /* first member's output */
  size_t len;
  int members;
} groups[MAX_GROUPS];
static int ngroups;

static void invariance_row(char **f, size_t *fl, int nf, int ln) {
  (void)nf;
  char in[65536];
  size_t il = unescape(f[1], fl[1], in);
  kuzat_text t;
  if (!CHECK(kuzat_normalise(N, in, il, 0, &t, NULL) == KUZAT_OK, "invariance.tsv:%d", ln)) return;
  char gname[64];
  snprintf(gname, sizeof gname, "%.*s", (int)fl[0], f[0]);
  struct group *g = NULL;
  for (int i = 0; i < ngroups; i++)
    if (strcmp(groups[i].name, gname) == 0) g = &groups[i];
  if (!g) {
    if (!CHECK(ngroups < MAX_GROUPS, "too many groups")) return;
    g = &groups[ngroups++];
    snprintf(g->name, sizeof g->name, "%s", gname);
    g->out = malloc(t.len + 1);
    memcpy(g->out, t.utf8, t.len + 1);
    g->len = t.len;
  } else {
    char name[128], got[4096];
    snprintf(name, sizeof name, "invariance %s (invariance.tsv:%d)", gname, ln);
    snprintf(got, sizeof got, "%s", show(t.utf8, t.len));
    kt_check(t.len == g->len && memcmp(t.utf8, g->out, t.len) == 0, name,
             "\n      got   \"%s\"\n      first \"%s\"", got, show(g->out, g->len));
  }
  g->members++;
}

static void test_invariance(void) {
  int rows = each_row("tests/data/invariance.tsv", 2, invariance_row);
  CHECK(rows >= 60, "invariance.tsv has %d rows", rows);
  CHECK(ngroups >= 12, "invariance.tsv has %d groups", ngroups);
  for (int i = 0; i < ngroups; i++)
    for (int j = i + 1; j < ngroups; j++) {
      char name[200];
      snprintf(name, sizeof name, "groups %.60s and %.60s differ", groups[i].name, groups[j].name);
      kt_check(groups[i].len != groups[j].len ||
                   memcmp(groups[i].out, groups[j].out, groups[i].len) != 0,
               name, "both normalise to \"%s\"", show(groups[i].out, groups[i].len));
    }
  for (int i = 0; i < ngroups; i++) free(groups[i].out);
}

/* ---- properties ---- */

/* Output is NFKC_Casefold-normalised, valid UTF-8, one line, idempotent,
 * and offsets (when asked for) lie inside the input and never go back. */
static void check_properties(const char *name, const char *in, size_t il) {
  kuzat_text t;
  kuzat_error err;
  if (!kt_check(kuzat_normalise(N, in, il, KUZAT_NORM_OFFSETS, &t, &err) == KUZAT_OK,
                name, "%s", err.msg))
    return;
  char *once = malloc(t.len + 1);
  memcpy(once, t.utf8, t.len + 1);
  size_t ol = t.len;
  kt_check(valid_utf8(once, ol), name, "output is not valid UTF-8: %s", show(once, ol));
  kt_check(memchr(once, '\n', ol) == NULL && memchr(once, '\0', ol) == NULL, name,
           "output has a newline or NUL");
  int offsets_ok = 1;
  for (size_t i = 0; i < ol; i++) {
    if (t.src_start[i] > t.src_end[i] || t.src_end[i] > il) offsets_ok = 0;
    if (i && t.src_start[i] < t.src_start[i - 1]) offsets_ok = 0;
  }
  kt_check(offsets_ok, name, "offsets out of order or outside the input");
  UErrorCode st = U_ZERO_ERROR;
  UChar *u = malloc((ol + 1) * sizeof *u);
  int32_t ul;
  u_strFromUTF8(u, (int32_t)ol + 1, &ul, once, (int32_t)ol, &st);
  const UNormalizer2 *nf = unorm2_getNFKCCasefoldInstance(&st);
  kt_check(U_SUCCESS(st) && unorm2_isNormalized(nf, u, ul, &st), name,
           "output is not NFKC_Casefold-normalised: %s", show(once, ol));
  free(u);
  int same = kuzat_normalise(N, once, ol, 0, &t, &err) == KUZAT_OK && t.len == ol &&
             memcmp(t.utf8, once, ol) == 0;
  if (!same) {
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s", show(in, il));
    snprintf(b, sizeof b, "%s", show(once, ol));
    kt_check(0, name, "not idempotent:\n      input \"%s\"\n      once  \"%s\"\n      twice \"%s\"",
             a, b, show(t.utf8, t.len));
  } else {
    kt_check(1, name, "idempotent");
  }
  free(once);
}

static void property_row(char **f, size_t *fl, int nf, int ln) {
  (void)nf;
  char name[128], in[65536];
  snprintf(name, sizeof name, "properties of %.*s", (int)fl[0], f[0]);
  check_properties(name, in, unescape(f[1], fl[1], in));
  (void)ln;
}

/* A deterministic generator, so failures reproduce. */
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 11);
}

/* Random strings from the ranges that matter: ASCII, Latin with accents,
 * combining marks, Cyrillic, Greek, Arabic, invisible characters, full
 * width, apostrophes, supplementary letters, and raw invalid bytes. */
static void test_random(void) {
  static const uint32_t ranges[][2] = {
      {0x20, 0x7E}, {0xC0, 0x17F}, {0x300, 0x36F}, {0x400, 0x4FF},
      {0x370, 0x3FF}, {0x600, 0x6FF}, {0x200B, 0x200F}, {0xFF01, 0xFF5E},
      {0x2018, 0x2019}, {0x2BB, 0x2BC}, {0x1D400, 0x1D433}, {0xAC00, 0xAC10},
      {0x1100, 0x1112}, {0xFB50, 0xFB60}, {0x1F600, 0x1F610}, {0x0, 0x1F}};
  char buf[1024], name[64];
  for (int iter = 0; iter < 5000; iter++) {
    size_t k = 0;
    int n = 1 + (int)(next_rand() % 40);
    for (int i = 0; i < n; i++) {
      if (next_rand() % 50 == 0) { buf[k++] = (char)(0x80 + next_rand() % 0x80); continue; }
      const uint32_t *r = ranges[next_rand() % (sizeof ranges / sizeof ranges[0])];
      k += put_utf8(buf + k, r[0] + next_rand() % (r[1] - r[0] + 1));
    }
    snprintf(name, sizeof name, "random string %d", iter);
    check_properties(name, buf, k);
    fast_vs_general(buf, k);
  }
}

static void test_nul_and_empty(void) {
  kuzat_text t = {0};
  const char in[] = "pro\0paganda \0 after the NUL";
  int rc = kuzat_normalise(N, in, sizeof in - 1, 0, &t, NULL);
  CHECK(rc == KUZAT_OK && strcmp(t.utf8, "propaganda after the nul") == 0,
        "NUL inside text: got \"%s\"", t.utf8);
  rc = kuzat_normalise(N, NULL, 0, 0, &t, NULL);
  CHECK(rc == KUZAT_OK && t.len == 0 && t.utf8[0] == '\0' && t.lang == KUZAT_LANG_OTHER,
        "empty input");
  rc = kuzat_normalise(N, " \t\r\n\xC2\xA0 ", 7, 0, &t, NULL);
  CHECK(rc == KUZAT_OK && t.len == 0, "only whitespace gives empty text");
  kuzat_error err;
  CHECK(kuzat_normalise(NULL, "a", 1, 0, &t, &err) == KUZAT_EINVAL && err.status == KUZAT_EINVAL,
        "NULL normaliser");
  CHECK(kuzat_normalise(N, NULL, 3, 0, &t, &err) == KUZAT_EINVAL, "NULL text with length");
  CHECK(kuzat_normalise(N, "a", 1, 0, NULL, &err) == KUZAT_EINVAL, "NULL result");
  int lang = -1;
  CHECK(kuzat_identify(N, "Ўзбекистон", 20, &lang, NULL) == KUZAT_OK, "identify");
  CHECK(kuzat_normaliser_new(NULL, NULL, &err) == KUZAT_EINVAL, "normaliser_new(NULL out)");
  kuzat_normaliser_free(NULL);
}

/* Offsets of a known example: each output word points at its source. */
static void test_offsets(void) {
  const char *in = "  Ўзбек\xE2\x80\x8B TOG\xE2\x80\x98  ";
  kuzat_text t;
  if (!CHECK(kuzat_normalise(N, in, strlen(in), KUZAT_NORM_OFFSETS | KUZAT_NORM_NO_TRANSLIT,
                             &t, NULL) == KUZAT_OK, "offsets example"))
    return;
  CHECK(strcmp(t.utf8, "ўзбек togʻ") == 0, "offsets example text: %s", show(t.utf8, t.len));
  /* "ў" (2 bytes out) comes from input bytes 2..4 */
  CHECK(t.src_start[0] == 2 && t.src_end[0] == 4, "offset of ў: [%zu,%zu)", t.src_start[0], t.src_end[0]);
  /* "t" of tog comes from byte 16 ("T") */
  size_t tpos = (size_t)(strstr(t.utf8, "tog") - t.utf8);
  CHECK(t.src_start[tpos] == 16 && t.src_end[tpos] == 17, "offset of t: [%zu,%zu)",
        t.src_start[tpos], t.src_end[tpos]);
  /* ʻ comes from the 3-byte U+2018 */
  CHECK(t.src_start[t.len - 1] == 19 && t.src_end[t.len - 1] == 22, "offset of ʻ: [%zu,%zu)",
        t.src_start[t.len - 1], t.src_end[t.len - 1]);
}

/* A code point that folds to many (U+FDFA, 18), over and over, with
 * offsets, on a normaliser whose text buffer an earlier call without
 * offsets has made larger than its offset buffers: every offset must be
 * written inside them (a heap overflow found by reviewing fuzz coverage;
 * ASan and valgrind catch it) and must point at the ligature it came from. */
static void test_expanding_offsets(void) {
  kuzat_normaliser *n;
  if (!CHECK(kuzat_normaliser_new(NULL, &n, NULL) == KUZAT_OK, "normaliser_new")) return;
  size_t big = 200000, lig = 300;
  char *in = malloc(big); /* the long text, then the ligatures */
  memset(in, 'a', big);
  for (size_t i = 1; i < big; i += 2) in[i] = ' ';
  kuzat_text t;
  CHECK(kuzat_normalise(n, in, big, 0, &t, NULL) == KUZAT_OK, "a long text, no offsets");
  for (size_t i = 0; i < lig; i++) memcpy(in + 3 * i, "\xEF\xB7\xBA", 3); /* U+FDFA */
  char *plain = NULL;
  if (CHECK(kuzat_normalise(n, in, 3 * lig, 0, &t, NULL) == KUZAT_OK, "ligatures"))
    plain = strdup(t.utf8);
  int rc = kuzat_normalise(n, in, 3 * lig, KUZAT_NORM_OFFSETS, &t, NULL);
  if (CHECK(rc == KUZAT_OK && plain, "ligatures with offsets: status %d", rc)) {
    CHECK(strcmp(t.utf8, plain) == 0 && t.len > 10 * lig,
          "ligatures: the same text with offsets as without (%zu bytes)", t.len);
    int ok = 1;
    for (size_t i = 0; ok && i < t.len; i++)
      ok = t.src_end[i] == t.src_start[i] + 3 && t.src_start[i] % 3 == 0 &&
           t.src_end[i] <= 3 * lig;
    CHECK(ok, "ligatures: each output byte points at the 3 bytes of its ligature");
  }
  free(plain);
  free(in);
  kuzat_normaliser_free(n);
}

/* Every ASCII character starts a normalisation segment: the fast path in
 * normalise.c relies on it. */
static void test_ascii_boundaries(void) {
  UErrorCode st = U_ZERO_ERROR;
  const UNormalizer2 *nf = unorm2_getNFKCCasefoldInstance(&st);
  int all = U_SUCCESS(st);
  for (UChar32 c = 0; c < 0x80; c++) all &= unorm2_hasBoundaryBefore(nf, c) != 0;
  CHECK(all, "every ASCII character has a normalisation boundary before it");
}

/* A single 50 MB line: nothing lost, same as its parts. */
static void test_big_line(void) {
  if (getenv("KUZAT_TEST_QUICK")) {
    kt_skip("50 MB line", "KUZAT_TEST_QUICK is set");
    return;
  }
  const char *unit = "O\xE2\x80\x98zbekiston g'alaba NATO pro\xE2\x80\x8Bpaganda ";
  const char *unit_out = "o\xCA\xBBzbekiston g\xCA\xBB" "alaba nato propaganda";
  size_t ul = strlen(unit), n = (50u << 20) / ul;
  char *big = malloc(n * ul);
  for (size_t i = 0; i < n; i++) memcpy(big + i * ul, unit, ul);
  kuzat_text t;
  int rc = kuzat_normalise(N, big, n * ul, 0, &t, NULL);
  size_t uol = strlen(unit_out);
  int ok = rc == KUZAT_OK && t.len == n * (uol + 1) - 1;
  for (size_t i = 0; ok && i < n; i++)
    ok = memcmp(t.utf8 + i * (uol + 1), unit_out, uol) == 0;
  CHECK(ok, "50 MB line: status %d, %zu bytes out", rc, t.len);
  free(big);
}

/* The benchmark corpus's texts (bench/corpus.sh), when present. */
static void test_fast_corpus(void) {
  const char *shared = kt_shared();
  if (!shared) {
    kt_skip("one-pass path on the benchmark corpus", "../shared/datasets not found");
    return;
  }
  const char *src[] = {"isis-twitter-en/train", "kyrgyz-24kg-topics/train", "tajik-text/train",
                       "uzbek-sentiment/manual_train", "tatoeba-uzbek-cyrillic/train",
                       "ud-treebanks-ky-uz-ru/train"};
  size_t most = getenv("KUZAT_TEST_QUICK") ? 300 : (size_t)-1;
  for (size_t i = 0; i < sizeof src / sizeof src[0]; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.tsv", shared, src[i]);
    kuzat_reader *r;
    if (!CHECK(kuzat_reader_open(path, KUZAT_FORMAT_AUTO, NULL, NULL, &r, NULL) == KUZAT_OK,
               "open %s", path))
      continue;
    kuzat_record rec;
    for (size_t n = 0; n < most && kuzat_reader_next(r, &rec, NULL) == 1; n++)
      fast_vs_general(rec.text, rec.text_len);
    kuzat_reader_free(r);
  }
}

int main(void) {
  kuzat_error err;
  if (kuzat_normaliser_new(NULL, &N, &err) != KUZAT_OK ||
      kuzat_normaliser_new(NULL, &G, &err) != KUZAT_OK) {
    printf("not ok - kuzat_normaliser_new: %s\n", err.msg);
    return kt_done() | 1;
  }
  kuzat__normaliser_fast(G, 0);
  int rows = each_row("tests/data/normalise.tsv", 4, vector_row);
  CHECK(rows >= 80, "normalise.tsv has %d vectors, expected at least 80", rows);
  test_invariance();
  each_row("tests/data/normalise.tsv", 4, property_row);
  test_random();
  test_nul_and_empty();
  test_offsets();
  test_expanding_offsets();
  test_ascii_boundaries();
  test_big_line();
  test_fast_corpus();
  CHECK(fast_differ == 0, "the one-pass path gives the general path's output, language and "
        "identification: %zu of %zu texts differ, the first \"%s\"", fast_differ, fast_texts,
        fast_first);
  kuzat_normaliser_free(N);
  kuzat_normaliser_free(G);
  return kt_done();
}
