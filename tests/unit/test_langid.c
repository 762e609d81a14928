/*
 * test_langid.c -- language identification: every language of the table
 * in its own sentences, and measured on text other people wrote
 * (../shared/datasets; skipped when it is absent).
 *
 * For each source, the rows whose `lang` column names one of our languages
 * are identified and compared with that column. The target is 95% on
 * uz-Latn, uz-Cyrl, ky, tg and en; ru, ar and others are reported. Some
 * rows of these sets are mislabelled or mixed (an "uz-Latn" app review
 * written in Russian, an "en" tweet in Arabic); the target allows for that.
 *
 * Also: the profile's tables built into the library are the ones a
 * normaliser builds at run time.
 */
#include "check.h"
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

typedef struct source {
  const char *file;
  const char *lang;
  double target; /* 0: reported only */
} source;

static const source sources[] = {
    {"uzbek-sentiment/manual_train.tsv", "uz-Latn", 0.95},
    {"ud-treebanks-ky-uz-ru/train.tsv", "uz-Latn", 0.95},
    {"tatoeba-uzbek-cyrillic/train.tsv", "uz-Cyrl", 0.95},
    {"kyrgyz-24kg-topics/train.tsv", "ky", 0.95},
    {"ud-treebanks-ky-uz-ru/train.tsv", "ky", 0.95},
    {"tajik-text/train.tsv", "tg", 0.95},
    {"isis-twitter-en/train.tsv", "en", 0.95},
    {"ptc-semeval2020-task11/train.tsv", "en", 0.95},
    {"ud-treebanks-ky-uz-ru/train.tsv", "ru", 0},
    {"semeval2023-task3-persuasion/train.tsv", "ru", 0},
    {"unlp2025-manipulation-telegram/train.tsv", "ru", 0},
    {"isis-twitter-en/train.tsv", "ar", 0},
};

/* Identify every row of `path` whose lang column is `lang`; returns the
 * number of rows, the number right in *right, and the confusions in conf. */
static long measure(kuzat_normaliser *n, const char *path, const char *lang,
                    long *right, long conf[KUZAT_LANG_COUNT]) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  static char line[1 << 20];
  long rows = 0;
  *right = 0;
  int want = kuzat_lang_from_name(lang, strlen(lang));
  int first = 1;
  while (fgets(line, sizeof line, f)) {
    if (first) { first = 0; continue; } /* header: label, lang, text */
    char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
    if (!t2) continue;
    if ((size_t)(t2 - t1 - 1) != strlen(lang) || memcmp(t1 + 1, lang, strlen(lang))) continue;
    char *text = t2 + 1, *t3 = strchr(text, '\t');
    size_t len = t3 ? (size_t)(t3 - text) : strcspn(text, "\r\n");
    int got;
    if (kuzat_identify(n, text, len, &got, NULL) != KUZAT_OK) got = -1;
    rows++;
    if (got == want) (*right)++;
    if (got >= 0) conf[got]++;
  }
  fclose(f);
  return rows;
}

/* Every language of the table in kuzat.h has its sentences in
 * datasets/langid/CODE.txt, compiled into the library (a normaliser is
 * made only if every file there names a language of the table), and is
 * identified in them: the whole file, and most of its sentences one by
 * one (some are a few words that other languages of the script share). */
static void every_language(kuzat_normaliser *n) {
  static char text[1 << 20];
  static const char *const codes[] = {
#define KT_CODE(id, code, script, desc) code,
      KUZAT_LANG_MAP(KT_CODE)
#undef KT_CODE
  };
  for (int l = KUZAT_LANG_OTHER + 1; l < KUZAT_LANG_COUNT; l++) {
    char path[256];
    snprintf(path, sizeof path, "datasets/langid/%s.txt", codes[l]);
    FILE *f = fopen(path, "rb");
    if (!CHECK(f != NULL, "%s: the sentences of language %s", path, codes[l])) continue;
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = '\0';
    int got = -1;
    kuzat_identify(n, text, len, &got, NULL);
    CHECK(got == l, "%s: identified as %s", path, kuzat_lang_name(got));
    long lines = 0, right = 0;
    for (char *s = text, *e; *s; s = *e ? e + 1 : e) {
      e = s + strcspn(s, "\n");
      if (e == s || kuzat_identify(n, s, (size_t)(e - s), &got, NULL) != KUZAT_OK) continue;
      lines++;
      right += got == l;
    }
    printf("info - langid %-7s %6.2f%% of the %ld sentences of %s\n", codes[l],
           lines ? 100.0 * (double)right / (double)lines : 0, lines, path);
    CHECK(lines > 0 && right * 10 >= lines * 9, "%s: %ld of %ld sentences identified as %s",
          path, right, lines, codes[l]);
  }
  int got = -1;
  kuzat_identify(n, "12345 ... !!!", 13, &got, NULL);
  CHECK(got == KUZAT_LANG_OTHER, "no letters: other (%s)", kuzat_lang_name(got));
}

/* kuzat_script(): the script of 80% of the letters, "mixed", "none". */
static void scripts(void) {
  static const struct {
    const char *text, *want;
  } cases[] = {
      {"Birodarlar, hijratga shoshiling!", "Latn"},
      {"Ўзбекистон ғалаба қозонди", "Cyrl"},
      {"Ҷумҳурии Тоҷикистон 2024", "Cyrl"},
      {"الدولة الإسلامية", "Arab"},
      {"مرگ بر دشمنان", "Arab"},
      {"Καλημέρα", "Grek"},
      {"你好世界", "Hani"},
      {"shаhid", "Latn"}, /* one Cyrillic а in six letters: a look-alike, not a mix */
      {"Birodarlar, Ўзбекистон ғалаба", "mixed"},
      {"jihod جهاد", "mixed"},
      {"12345 ... !!! ☺", "none"},
      {"", "none"},
      {"\xFF\xFE" " abc \xC0", "Latn"}, /* ill-formed bytes skipped */
      {"e\xCC\x81" "e\xCC\x81", "Latn"}, /* combining marks do not count */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *got = kuzat_script(cases[i].text, strlen(cases[i].text));
    CHECK(strcmp(got, cases[i].want) == 0, "script of \"%s\": %s, expected %s", cases[i].text, got,
          cases[i].want);
  }
}

/* kuzat_script() as it was before its fast paths (eight ASCII bytes at
 * once, two-byte Cyrillic): one code point at a time. */
static const char *script_ref(const char *utf8, size_t len) {
  static const char *const names[KZ_SC_COUNT] = {
      [KZ_SC_LATIN] = "Latn", [KZ_SC_CYRILLIC] = "Cyrl", [KZ_SC_GREEK] = "Grek",
      [KZ_SC_ARABIC] = "Arab"};
  size_t count[KZ_SC_COUNT] = {0}, letters = 0;
  int32_t first_other = -1;
  const uint8_t *s = (const uint8_t *)utf8;
  for (int32_t i = 0, n = (int32_t)len; i < n;) {
    UChar32 c;
    U8_NEXT(s, i, n, c);
    if (c < 0) continue;
    int sc = kuzat__script(c);
    if (sc == KZ_SC_NONE) continue;
    if (sc == KZ_SC_OTHER && first_other < 0) first_other = c;
    count[sc]++;
    letters++;
  }
  if (!letters) return "none";
  int top = KZ_SC_LATIN;
  for (int sc = KZ_SC_LATIN; sc < KZ_SC_COUNT; sc++)
    if (count[sc] > count[top]) top = sc;
  if ((double)count[top] < 0.8 * (double)letters) return "mixed";
  if (top != KZ_SC_OTHER) return names[top];
  UErrorCode e = U_ZERO_ERROR;
  const char *code = uscript_getShortName(uscript_getScript(first_other, &e));
  return U_SUCCESS(e) && code ? code : "Zzzz";
}

/* The fast paths count as the code point loop does: random strings of
 * ASCII runs, Cyrillic (U+0482..U+0489 are not letters), other scripts,
 * marks and ill-formed bytes (a lone lead byte, at the end or before
 * ASCII, stray continuation bytes, overlong forms), near a 50/50 mix of
 * Latin and Cyrillic so that a miscount changes the answer. */
static void scripts_fast(void) {
  /* every other string only from ASCII, basic Cyrillic and a few broken
   * sequences, so that the sixteen-byte path takes most blocks, and a lead
   * byte or a letter falls on every place of a block */
  static const int plain[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 20, 21, 22,
                              29, 30, 31, 32, 33};
  static const char *const parts[] = {
      "a", "Z", "abcdefgh", "Hello, w", "orld 123", " ", "12345678", "!?", "\xD0\x90", "\xD0\xB6",
      "\xD1\x8F", "\xD2\x82", "\xD2\x89", "\xD2\x8A", "\xD3\xBF", "\xD4\xA0", "\xCE\xB1",
      "\xD8\xA7", "\xE4\xBD\xA0", "\xCC\x81", "\xD0", "\xD0" "a", "\x80", "\xBF\xBF",
      "\xC0\x80", "\xE0\x80\x80", "\xFF", "\xF0\x9F\x98\x80", "\xD3", "\xD1\xD1\x81",
      "\xD2\x81", "\xD2\x83", "\xD4\xAF", "\xD4\xB0"};
  const size_t np = sizeof parts / sizeof parts[0];
  uint64_t r = 0x9E3779B97F4A7C15ull;
  size_t bad = 0, tried = 0;
  char buf[1024];
  for (int k = 0; k < 20000; k++) {
    size_t len = 0;
    r ^= r << 13, r ^= r >> 7, r ^= r << 17;
    size_t want = r % 40;
    for (size_t q = 0; q < want; q++) {
      r ^= r << 13, r ^= r >> 7, r ^= r << 17;
      const char *p = k % 2 ? parts[plain[r % (sizeof plain / sizeof plain[0])]] : parts[r % np];
      size_t pl = strlen(p);
      memcpy(buf + len, p, pl);
      len += pl;
    }
    const char *got = kuzat_script(buf, len), *ref = script_ref(buf, len);
    tried++;
    if (strcmp(got, ref) != 0 && bad++ < 5)
      CHECK(0, "script of a random string of %zu bytes: %s, the code point loop says %s", len, got,
            ref);
  }
  CHECK(bad == 0, "kuzat_script() as the code point loop on %zu random strings (%zu differ)",
        tried, bad);
}

/* The tables built into the library (tools/profile.c, at build time) are
 * the profile a normaliser builds at run time from the same texts, field
 * by field and slot by slot: a stale build/langid_profile.c, or a
 * generator that wrote them wrong, fails here. */
static void built_tables(void) {
  const kz_profile_tables *t = kuzat__langid_tables;
  if (!CHECK(t != NULL, "the library carries the language profile's tables")) return;
  kuzat_normaliser *n;
  kz_profile *p = NULL;
  kuzat_error err;
  if (!CHECK(kuzat_normaliser_new(NULL, &n, &err) == KUZAT_OK, "normaliser: %s", err.msg)) return;
  if (CHECK(kuzat__normaliser_build_profile(n, &p, &err) == KUZAT_OK, "profile: %s", err.msg)) {
    const kz_profile_tables *r = kuzat__profile_tables(p);
    size_t groups = 0;
    for (int s = 0; s < KZ_SC_COUNT; s++) {
      const kz_group *a = &t->g[s], *b = &r->g[s];
      const int same_shape = a->nl == b->nl && a->cap == b->cap && a->stride == b->stride &&
                             memcmp(a->lang, b->lang, sizeof a->lang) == 0 &&
                             memcmp(a->unseen, b->unseen, sizeof a->unseen) == 0;
      CHECK(same_shape, "script %d: %d languages, %zu slots of %zu against %d, %zu of %zu", s,
            a->nl, a->cap, a->stride, b->nl, b->cap, b->stride);
      if (!same_shape || !a->nl) continue;
      groups++;
      CHECK(memcmp(a->slot, b->slot, a->cap * a->stride * sizeof *a->slot) == 0,
            "script %d: the %zu slots as built at run time", s, a->cap);
      CHECK((uintptr_t)a->slot % 64 == 0, "script %d: slots on a cache line", s);
    }
    CHECK(groups >= 3, "groups of languages: %zu (Latin, Cyrillic, Arabic)", groups);
    CHECK(memcmp(t->has, r->has, sizeof t->has) == 0, "the same languages have profiles");
    kz_alloc a;
    kuzat__alloc_init(&a, NULL);
    kuzat__profile_free(&a, p);
  }
  kuzat_normaliser_free(n);
}

int main(void) {
  scripts();
  scripts_fast();
  built_tables();
  kuzat_normaliser *n0;
  if (CHECK(kuzat_normaliser_new(NULL, &n0, NULL) == KUZAT_OK, "normaliser")) {
    every_language(n0);
    kuzat_normaliser_free(n0);
  }
  const char *shared = kt_shared();
  if (!shared) {
    kt_skip("language identification accuracy",
            "../shared/datasets not found (set KUZAT_SHARED to its path)");
    return kt_done();
  }
  kuzat_normaliser *n;
  if (!CHECK(kuzat_normaliser_new(NULL, &n, NULL) == KUZAT_OK, "normaliser")) return kt_done();
  for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++) {
    const source *s = &sources[i];
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", shared, s->file);
    long right, conf[KUZAT_LANG_COUNT] = {0};
    long rows = measure(n, path, s->lang, &right, conf);
    if (rows < 0) {
      kt_skip(s->file, "file not found");
      continue;
    }
    double acc = rows ? (double)right / (double)rows : 0;
    char others[512] = "";
    size_t k = 0;
    for (int l = 0; l < KUZAT_LANG_COUNT; l++)
      if (conf[l] && strcmp(kuzat_lang_name(l), s->lang) != 0)
        k += (size_t)snprintf(others + k, sizeof others - k, " %s:%ld", kuzat_lang_name(l), conf[l]);
    printf("info - langid %-7s %6.2f%% of %5ld rows of %s%s%s\n", s->lang, 100 * acc, rows,
           s->file, k ? "; wrong:" : "", others);
    if (s->target > 0)
      CHECK(rows > 0 && acc >= s->target, "langid %s on %s: %.2f%% < %.0f%%", s->lang, s->file,
            100 * acc, 100 * s->target);
  }
  kuzat_normaliser_free(n);
  return kt_done();
}
