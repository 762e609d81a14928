/*
 * test_tokenise.c -- tokens of normalised text: vectors, and the fast path
 * against the tokeniser as it was (tokenise_ref.h) on random strings, the
 * normaliser's vectors and, with the shared datasets, the benchmark
 * corpus, all normalised.
 */
#include "check.h"
#include "kuzat.h"
#include "tokenise_ref.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t same_texts, differ;
static char first_differ[160];

/* raw[0 .. len) tokenised both ways, as it is and normalised by n. */
static void against_ref(kuzat_normaliser *n, const char *raw, size_t len) {
  static kuzat_token a[20000], b[20000];
  kuzat_text t = {0};
  for (int pass = 0; pass < 2; pass++) {
    const char *s = raw;
    size_t l = len;
    if (pass == 1) {
      if (kuzat_normalise(n, raw, len, 0, &t, NULL)) continue;
      s = t.utf8;
      l = t.len;
    }
    size_t na = 0, nb = 0;
    int ra = kuzat_tokenise(s, l, a, 20000, &na), rb = ref_tokenise(s, l, b, 20000, &nb);
    int ok = ra == rb && na == nb;
    for (size_t i = 0; ok && i < na && i < 20000; i++)
      ok = a[i].off == b[i].off && a[i].len == b[i].len && a[i].kind == b[i].kind;
    same_texts++;
    if (!ok && !differ++) snprintf(first_differ, sizeof first_differ, "%.*s", (int)(l < 120 ? l : 120), s);
  }
}

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint32_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 11);
}

/* Random strings of letters, digits, the characters the rules turn on,
 * other scripts and invalid bytes. */
static void random_strings(kuzat_normaliser *n) {
  static const char *const bits[] = {"a", "Z", "q", "7", "0", " ", " ", ".", ",", ":", "@", "#",
                                     "_", "-", "'", "\xCA\xBB", "\xCA\xBC", "\xD0\xB0",
                                     "\xD0\x96", "\xD1\x8F", "\xD2\x9B", "\xD3\xA9",
                                     "\xD4\xA0", "\xD4\xB0", "\xD8\xA7", "\xCE\xB1",
                                     "http://", "www.", "x@y.uz", "\xF0\x9F\x98\x80",
                                     "\xD0", "\x80", "\xFF", "\xE2\x80\x99", "\xCC\x81"};
  /* every other string mostly letters and digits, so that the eight-byte
   * scans take long runs and stop at every place of a block: ASCII,
   * Cyrillic (two-byte, leads 0xD0..0xD4), ʻ ʼ, separators, a cut lead */
  static const int plain[] = {0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 17, 18, 19, 20, 21, 17, 18, 19,
                              20, 21, 22, 23, 5, 7, 8, 9, 15, 16, 30};
  char buf[512];
  for (int it = 0; it < 20000; it++) {
    size_t k = 0, parts = 1 + next_rand() % 30;
    for (size_t p = 0; p < parts; p++) {
      const char *b = it % 2 ? bits[plain[next_rand() % (sizeof plain / sizeof plain[0])]]
                             : bits[next_rand() % (sizeof bits / sizeof bits[0])];
      size_t l = strlen(b);
      memcpy(buf + k, b, l);
      k += l;
    }
    against_ref(n, buf, k);
  }
}

/* Random texts of chunks shaped like the ones kuzat_tokenise() reads
 * sixteen and 32 bytes at a time: punctuation, maybe # or @, a run of
 * ASCII and Cyrillic letters, digits, ʻ and ʼ, punctuation; chunks of
 * every length around 16 and 32 bytes, sometimes with a byte no such
 * chunk may hold (another script's letter, an emoji, a lone lead or
 * continuation byte, a lead cut by the end of the text), sometimes a URL's
 * start, the last chunk sometimes ending the text. */
static void random_chunks(kuzat_normaliser *n) {
  static const char *const unit[] = {"a", "Z", "q", "w", "h", "7", "0", "\xD0\xB0", "\xD1\x8F",
                                     "\xD3\xA9", "\xD2\x9B", "\xD0\x96", "\xCA\xBB", "\xCA\xBC"};
  static const char *const punct[] = {".", ",", ":", "!", ")", "(", "\"", "'", "-", "_", "/", "?"};
  static const char *const odd[] = {"\xD4\xB0", "\xD8\xA7", "\xF0\x9F\x98\x80", "\xD0", "\x80",
                                    "\xCA\xBD", "\xCA", "\xE2\x80\x94", "@", "#", "_",
                                    "http://", "https://", "www."};
  char buf[1024];
  for (int it = 0; it < 40000; it++) {
    size_t k = 0, chunks = 1 + next_rand() % 6;
    for (size_t c = 0; c < chunks && k < 800; c++) {
      if (c) buf[k++] = ' ';
      const char *pieces[64];
      size_t np = 0;
      for (size_t q = next_rand() % 3; q; q--) pieces[np++] = punct[next_rand() % 12];
      if (next_rand() % 4 == 0) pieces[np++] = next_rand() % 2 ? "#" : "@";
      for (size_t q = 1 + next_rand() % 20; q; q--) pieces[np++] = unit[next_rand() % 14];
      for (size_t q = next_rand() % 3; q; q--) pieces[np++] = punct[next_rand() % 12];
      if (next_rand() % 5 == 0) { /* an odd piece anywhere */
        size_t at = next_rand() % (np + 1);
        memmove(pieces + at + 1, pieces + at, (np - at) * sizeof *pieces);
        pieces[at] = odd[next_rand() % 14];
        np++;
      }
      for (size_t q = 0; q < np; q++) {
        size_t l = strlen(pieces[q]);
        memcpy(buf + k, pieces[q], l);
        k += l;
      }
    }
    if (next_rand() % 2) buf[k++] = ' ';
    against_ref(n, buf, k);
  }
  /* every character of U+0280..U+02BF (CA 80..BF) in a word, at its ends
   * and after a digit; and lone bytes from 0x80 ("*" stands for it) */
  static const char *const form[] = {"ab* d", "*ab.", "ab*", "7*x", "x**y", "#a*", "a*7"};
  for (int b = 0x80; b <= 0xFF; b++) {
    for (size_t f = 0; f < sizeof form / sizeof form[0]; f++) {
      size_t k = 0;
      for (const char *c = form[f]; *c; c++) {
        if (*c != '*') {
          buf[k++] = *c;
          continue;
        }
        if (b < 0xC0) buf[k++] = (char)0xCA;
        buf[k++] = (char)b;
      }
      against_ref(n, buf, k);
    }
  }
}

/* Each line of a file (the input column of a TSV too). */
static void file_lines(kuzat_normaliser *n, const char *path, size_t most) {
  FILE *f = fopen(path, "rb");
  if (!f) return;
  char *line = NULL;
  size_t cap = 0, got = 0;
  ssize_t l;
  while (got++ < most && (l = getline(&line, &cap, f)) > 0) against_ref(n, line, (size_t)l - 1);
  free(line);
  fclose(f);
}

static void test_against_ref(void) {
  kuzat_normaliser *n;
  if (!CHECK(kuzat_normaliser_new(NULL, &n, NULL) == KUZAT_OK, "normaliser")) return;
  random_strings(n);
  random_chunks(n);
  file_lines(n, "tests/data/normalise.tsv", (size_t)-1);
  file_lines(n, "tests/data/classify/train.tsv", (size_t)-1);
  const char *shared = getenv("KUZAT_SHARED");
  if (shared && *shared) {
    const char *src[] = {"isis-twitter-en/train", "kyrgyz-24kg-topics/train", "tajik-text/train",
                         "uzbek-sentiment/manual_train", "tatoeba-uzbek-cyrillic/train",
                         "ud-treebanks-ky-uz-ru/train"};
    for (size_t i = 0; i < sizeof src / sizeof src[0]; i++) {
      char path[1024];
      snprintf(path, sizeof path, "%s/%s.tsv", shared, src[i]);
      file_lines(n, path, getenv("KUZAT_TEST_QUICK") ? 300 : (size_t)-1);
    }
  } else {
    kt_skip("tokens of the benchmark corpus", "../shared/datasets not found");
  }
  CHECK(differ == 0, "the tokeniser gives the reference's tokens: %zu of %zu texts differ, the "
        "first \"%s\"", differ, same_texts, first_differ);
  kuzat_normaliser_free(n);
}

/* Tokenise `text` and compare with `want`: tokens as "KIND:text" joined by
 * single spaces, KIND one of W N U M H E. */
static void expect(const char *text, const char *want) {
  kuzat_token toks[64];
  size_t n = 0;
  int rc = kuzat_tokenise(text, strlen(text), toks, 64, &n);
  char got[2048] = "";
  size_t k = 0;
  for (size_t i = 0; i < n && i < 64 && k + 64 < sizeof got; i++) {
    static const char kinds[] = "WNUMHE";
    k += (size_t)snprintf(got + k, sizeof got - k, "%s%c:%.*s", i ? " " : "",
                          kinds[toks[i].kind], (int)toks[i].len, text + toks[i].off);
  }
  CHECK(rc == KUZAT_OK && strcmp(got, want) == 0,
        "tokens of \"%s\"\n      got      %s\n      expected %s", text, got, want);
}

int main(void) {
  expect("", "");
  expect("oʻzbekiston gʻalaba maʼnaviyat", "W:oʻzbekiston W:gʻalaba W:maʼnaviyat");
  expect("togʻ, bogʻ.", "W:togʻ W:bogʻ");
  expect("\"salom\" deb aytdi, 'yoʻq' dedi", "W:salom W:deb W:aytdi W:yoʻq W:dedi");
  expect("ʼword ending withʼ", "W:word W:ending W:with");
  expect("кыргыз өлкөдө жаңы үй, ысык-көл.", "W:кыргыз W:өлкөдө W:жаңы W:үй W:ысык W:көл");
  expect("in 2024 we paid 1,500.75 som at 10:30", "W:in N:2024 W:we W:paid N:1,500.75 W:som W:at N:10:30");
  expect("pr0paganda 3d", "W:pr0paganda W:3d");
  expect("see https://t.me/xuroson_ovozi.", "W:see U:https://t.me/xuroson_ovozi W:https W:t W:me W:xuroson W:ovozi");
  expect("www.example.org/a?b=1", "U:www.example.org/a?b=1 W:www W:example W:org W:a W:b W:1");
  expect("write to info@mail.uz!", "W:write W:to E:info@mail.uz W:info W:mail W:uz");
  expect("@abu_umar #xilofat_2024 ok", "M:@abu_umar W:abu W:umar H:#xilofat_2024 W:xilofat W:2024 W:ok");
  expect("@ # email@ 5.", "W:email N:5");
  expect("کابل یک 123", "W:کابل W:یک N:123");
  expect("emoji 😀 here", "W:emoji W:here");

  /* the count is the full count even when the array is short */
  kuzat_token one[1];
  size_t n = 0;
  int rc = kuzat_tokenise("a b c", 5, one, 1, &n);
  CHECK(rc == KUZAT_OK && n == 3 && one[0].len == 1, "short array: count %zu", n);
  CHECK(kuzat_tokenise("a b c", 5, NULL, 0, &n) == KUZAT_OK && n == 3, "count only");
  CHECK(kuzat_tokenise(NULL, 5, NULL, 0, &n) == KUZAT_EINVAL, "NULL text");
  CHECK(kuzat_tokenise("a", 1, NULL, 0, NULL) == KUZAT_EINVAL, "NULL count");
  CHECK(kuzat_tokenise("\xFF\xC3", 2, one, 1, &n) == KUZAT_OK, "invalid bytes do not crash");
  test_against_ref();
  return kt_done();
}
