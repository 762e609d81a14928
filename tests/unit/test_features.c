/*
 * test_features.c -- the feature hasher against a reference written here
 * from the documented rules, plus the published hash vectors.
 */
#include "check.h"
#include "kuzat.h"

#include <math.h>
#include <string.h>
#include <xxhash.h>

/* ---- a slow reference: the rules of kuzat.h, spelled out ---- */

#define MAXF 4096
static uint64_t ref_h[MAXF];
static int ref_n;

static uint64_t ns_seed(uint64_t seed, int ns) {
  return seed ^ ((uint64_t)ns * 0x9E3779B97F4A7C15ull);
}

static void ref_add(uint64_t seed, int ns, const char *s, size_t len) {
  ref_h[ref_n++] = XXH3_64bits_withSeed(s, len, ns_seed(seed, ns));
}

/* Words are given already split, separated by single spaces, all of them
 * plain words (no URLs or numbers). */
static int reference(const char *text, const kuzat_feature_params *p, kuzat_feature *out) {
  char words[64][64];
  int nw = 0;
  ref_n = 0;
  for (const char *s = text; *s;) {
    size_t l = strcspn(s, " ");
    memcpy(words[nw], s, l);
    words[nw++][l] = '\0';
    s += l + (s[l] == ' ');
  }
  for (int k = 0; k < nw; k++) {
    for (int n = p->word_min; n >= 1 && n <= p->word_max && n <= k + 1; n++) {
      char g[300] = "";
      for (int q = k + 1 - n; q <= k; q++) {
        if (q > k + 1 - n) strcat(g, " ");
        strcat(g, words[q]);
      }
      ref_add(p->seed, n == 1 ? 1 : n == 2 ? 2 : 0x10 + n, g, strlen(g));
    }
    char b[80];
    snprintf(b, sizeof b, "<%.60s>", words[k]);
    size_t off[80], ncp = 0, bl = strlen(b);
    for (size_t i = 0; i < bl; i++)
      if (((unsigned char)b[i] & 0xC0) != 0x80) off[ncp++] = i;
    off[ncp] = bl;
    for (size_t i = 0; i < ncp; i++)
      for (int n = p->char_min; n >= 1 && n <= p->char_max && i + (size_t)n <= ncp; n++)
        ref_add(p->seed, 3, b + off[i], off[i + (size_t)n] - off[i]);
  }
  /* tf per distinct hash, weight 1 + ln tf with the sign of bit 63, summed
   * per bucket, L2-normalised; buckets in ascending order */
  static double bucket[1 << 12];
  int size = 1 << p->bits;
  memset(bucket, 0, sizeof(double) * (size_t)size);
  for (int i = 0; i < ref_n; i++) {
    int tf = 0, first = 1;
    for (int j = 0; j < ref_n; j++) {
      if (ref_h[j] == ref_h[i]) tf++;
      if (ref_h[j] == ref_h[i] && j < i) first = 0;
    }
    if (!first) continue;
    double v = (1 + log(tf)) * ((ref_h[i] >> 63) ? -1 : 1);
    bucket[ref_h[i] & (uint64_t)(size - 1)] += v;
  }
  double n2 = 0;
  for (int i = 0; i < size; i++) n2 += bucket[i] * bucket[i];
  int k = 0;
  for (int i = 0; i < size; i++)
    if (bucket[i] != 0) {
      out[k].index = i + 1;
      out[k++].value = bucket[i] / sqrt(n2);
    }
  return k;
}

static void compare(const char *text, const kuzat_feature_params *p) {
  kuzat_featuriser *f;
  const kuzat_feature *got;
  size_t n = 0;
  static kuzat_feature want[MAXF];
  if (!CHECK(kuzat_featuriser_new(p, NULL, &f, NULL) == KUZAT_OK, "featuriser_new")) return;
  int rc = kuzat_featurise(f, text, strlen(text), &got, &n, NULL);
  int wn = reference(text, p, want);
  int same = rc == KUZAT_OK && (int)n == wn;
  for (int i = 0; same && i < wn; i++)
    same = got[i].index == want[i].index && fabs(got[i].value - want[i].value) < 1e-12;
  CHECK(same, "\"%s\" with %d bits, words %d..%d, chars %d..%d: %zu features, reference %d",
        text, p->bits, p->word_min, p->word_max, p->char_min, p->char_max, n, wn);
  CHECK(rc == KUZAT_OK && got[n].index == -1, "\"%s\": ends with index -1", text);
  kuzat_featuriser_free(f);
}

/* Structure of any vector: ascending unique 1-based indices within range,
 * unit length, terminator. */
static void check_structure(const char *text, int bits) {
  kuzat_feature_params p;
  kuzat_feature_params_default(&p);
  p.bits = bits;
  kuzat_featuriser *f;
  kuzat_featuriser_new(&p, NULL, &f, NULL);
  const kuzat_feature *v;
  size_t n;
  int ok = kuzat_featurise(f, text, strlen(text), &v, &n, NULL) == KUZAT_OK;
  double n2 = 0;
  for (size_t i = 0; ok && i < n; i++) {
    ok = v[i].index >= 1 && v[i].index <= (1 << bits) && (i == 0 || v[i].index > v[i - 1].index) &&
         v[i].value != 0;
    n2 += v[i].value * v[i].value;
  }
  CHECK(ok && v[n].index == -1 && (n == 0 || fabs(n2 - 1) < 1e-12),
        "structure of \"%s\" at %d bits (%zu features)", text, bits, n);
  kuzat_featuriser_free(f);
}

int main(void) {
  /* published test vectors (README.md) */
  static const struct { uint64_t seed; int ns; const char *s; uint64_t h; } vec[] = {
#include "hash_vectors.h"
  };
  for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
    uint64_t h = kuzat_feature_hash(vec[i].seed, vec[i].ns, vec[i].s, strlen(vec[i].s));
    CHECK(h == vec[i].h &&
              h == XXH3_64bits_withSeed(vec[i].s, strlen(vec[i].s), ns_seed(vec[i].seed, vec[i].ns)),
          "hash vector %zu (%s): %016llx", i, vec[i].s, (unsigned long long)h);
  }

  kuzat_feature_params p;
  kuzat_feature_params_default(&p);
  CHECK(p.seed == 0 && p.bits == 20 && p.word_min == 1 && p.word_max == 2 && p.char_min == 2 &&
            p.char_max == 5, "defaults");
  p.bits = 12;
  compare("oʻzbekiston gʻalaba", &p);
  compare("a b a b a", &p);              /* repeats: 1 + ln tf */
  compare("x x x x x x x y y y y y y y y z z z z z z z z z", &p); /* tf 7, 8, 9 */
  compare("ҷиҳод ҷиҳод ҳиҷрат", &p);
  p.bits = 2;                             /* four buckets: collisions summed */
  compare("hijrat qilish farz hijrat", &p);
  p.bits = 1;
  compare("bayʼat qilgan", &p);
  p.bits = 10;
  p.seed = 12345;
  p.word_max = 3;
  p.char_min = 1;
  p.char_max = 3;
  compare("one two three four", &p);
  p.word_min = p.word_max = 0;
  compare("chars only here", &p);

  check_structure("", 20);
  check_structure("the same word the same word", 20);
  check_structure("see https://t.me/xuroson @abu #tag 2024 info@mail.uz", 4);

  /* class tokens: a URL adds the class and its parts as words */
  kuzat_featuriser *f;
  kuzat_feature_params_default(&p);
  kuzat_featuriser_new(&p, NULL, &f, NULL);
  const kuzat_feature *v;
  size_t n_url, n_words;
  kuzat_featurise(f, "https://t.me/x", 14, &v, &n_url, NULL);
  kuzat_featurise(f, "https t me x", 12, &v, &n_words, NULL);
  CHECK(n_url == n_words + 1, "URL: its parts plus one class feature (%zu vs %zu)", n_url, n_words);
  kuzat_featurise(f, "", 0, &v, &n_url, NULL);
  CHECK(n_url == 0 && v[0].index == -1, "empty text: no features, terminator");
  kuzat_featuriser_free(f);

  /* bad parameters */
  kuzat_error err;
  kuzat_feature_params bad = p;
  bad.bits = 29;
  CHECK(kuzat_featuriser_new(&bad, NULL, &f, &err) == KUZAT_EINVAL && strstr(err.msg, "bits"),
        "29 bits refused: %s", err.msg);
  bad = p;
  bad.word_min = 2;
  bad.word_max = 1;
  CHECK(kuzat_featuriser_new(&bad, NULL, &f, &err) == KUZAT_EINVAL, "word 2..1 refused");
  bad = p;
  bad.char_max = 9;
  CHECK(kuzat_featuriser_new(&bad, NULL, &f, &err) == KUZAT_EINVAL, "char ..9 refused");
  CHECK(kuzat_featuriser_new(NULL, NULL, NULL, &err) == KUZAT_EINVAL, "NULL out");
  kuzat_featuriser_new(NULL, NULL, &f, NULL);
  CHECK(kuzat_featurise(f, NULL, 3, &v, &n_url, &err) == KUZAT_EINVAL, "NULL text");
  kuzat_featuriser_free(f);
  kuzat_featuriser_free(NULL);
  return kt_done();
}
