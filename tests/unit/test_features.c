/*
 * test_features.c -- the feature hasher against a reference written here
 * from the documented rules, plus the published hash vectors.
 */
#include "check.h"
#include "helpers.h"
#include "kuzat.h"
#include "internal.h" /* kuzat__featurise_visit, kuzat__model_dot */

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
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

/* The character n-gram range of a word, by kuzat.h's rule: Arabic script
 * when its first code point is in U+0600..U+06FF or U+0750..U+077F. */
static void ref_range(const kuzat_feature_params *p, const char *w, int *lo, int *hi) {
  const unsigned char *u = (const unsigned char *)w;
  unsigned cp = u[0];
  if ((u[0] & 0xE0) == 0xC0 && u[1]) cp = (unsigned)(u[0] & 0x1F) << 6 | (u[1] & 0x3F);
  int ar = (cp >= 0x600 && cp <= 0x6FF) || (cp >= 0x750 && cp <= 0x77F);
  int amin = p->arabic_char_min, amax = p->arabic_char_max;
  if (amin == KUZAT_CHAR_AS_OTHERS && amax == KUZAT_CHAR_AS_OTHERS) amin = p->char_min, amax = p->char_max;
  *lo = ar ? amin : p->char_min;
  *hi = ar ? amax : p->char_max;
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
    int lo, hi;
    ref_range(p, words[k], &lo, &hi);
    for (size_t i = 0; i < ncp; i++)
      for (int n = lo; n >= 1 && n <= hi && i + (size_t)n <= ncp; n++)
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

/* ---- the first implementation, kept as the reference of the fast one ----
 *
 * kuzat_featurise() as it was before it was made fast, on the public API
 * only: every hash into one array, a radix sort by bucket, qsort of a
 * bucket's run when it holds several distinct hashes, sums in that order.
 * The fast code must give the same vector, bit for bit. */

typedef struct old_fz {
  kuzat_feature_params p;
  kuzat_token *toks;
  size_t *wt;
  uint64_t *keys, *tmp;
  size_t nkeys, cap;
  kuzat_feature *out;
} old_fz;

static void old_add(old_fz *f, int ns, const char *bytes, size_t len) {
  if (f->nkeys == f->cap) {
    f->cap = f->cap ? 2 * f->cap : 256;
    f->keys = realloc(f->keys, f->cap * sizeof *f->keys);
  }
  f->keys[f->nkeys++] = kuzat_feature_hash(f->p.seed, ns, bytes, len);
}

static void old_char_grams(old_fz *f, const char *w, size_t len) {
  char buf[258];
  size_t off[259], ncp = 0, blen = 0;
  if (len > 256) len = 256;
  buf[blen++] = '<';
  memcpy(buf + blen, w, len);
  blen += len;
  buf[blen++] = '>';
  for (size_t i = 0; i < blen; i++)
    if (((unsigned char)buf[i] & 0xC0) != 0x80) off[ncp++] = i;
  off[ncp] = blen;
  int lo, hi;
  ref_range(&f->p, buf + 1, &lo, &hi);
  for (size_t i = 0; i < ncp; i++)
    for (int n = lo; n >= 1 && n <= hi && i + (size_t)n <= ncp; n++)
      old_add(f, KUZAT_NS_CHAR, buf + off[i], off[i + (size_t)n] - off[i]);
}

static void old_word_grams(old_fz *f, const char *s, size_t k) {
  for (int n = f->p.word_min; n >= 1 && n <= f->p.word_max && (size_t)n <= k + 1; n++) {
    char buf[256];
    size_t blen = 0;
    for (size_t q = k + 1 - (size_t)n; q <= k; q++) {
      const kuzat_token *t = &f->toks[f->wt[q]];
      if (blen && blen < sizeof buf) buf[blen++] = ' ';
      size_t take = t->len < sizeof buf - blen ? t->len : sizeof buf - blen;
      memcpy(buf + blen, s + t->off, take);
      blen += take;
    }
    old_add(f, n == 1 ? KUZAT_NS_WORD : n == 2 ? KUZAT_NS_BIGRAM : 0x10 + n, buf, blen);
  }
}

/* The hashes, in the order the features are taken. */
static void old_collect(old_fz *f, const char *norm, size_t len) {
  size_t nt = 0;
  kuzat_tokenise(norm, len, NULL, 0, &nt);
  f->toks = realloc(f->toks, (nt + 1) * sizeof *f->toks);
  f->wt = realloc(f->wt, (nt + 1) * sizeof *f->wt);
  kuzat_tokenise(norm, len, f->toks, nt + 1, &nt);
  static const char *const class_name[] = {NULL, "num", "url", "mention", "hashtag", "email"};
  f->nkeys = 0;
  size_t nw = 0;
  for (size_t i = 0; i < nt; i++) {
    const kuzat_token *t = &f->toks[i];
    if (t->kind != KUZAT_TOKEN_WORD) {
      old_add(f, KUZAT_NS_CLASS, class_name[t->kind], strlen(class_name[t->kind]));
      if (t->kind != KUZAT_TOKEN_NUMBER) continue;
    }
    f->wt[nw] = i;
    if (f->p.word_max) old_word_grams(f, norm, nw);
    nw++;
    if (t->kind == KUZAT_TOKEN_WORD) old_char_grams(f, norm + t->off, t->len);
  }
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static double old_tf_weight(size_t tf) {
  static const double w[9] = {0, 1.0, 1.6931471805599454, 2.0986122886681098,
                              2.386294361119891, 2.6094379124341003, 2.791759469228055,
                              2.9459101490553135, 3.0794415416798357};
  return tf < 9 ? w[tf] : 1.0 + log((double)tf);
}

static size_t old_build(old_fz *f) {
  f->tmp = realloc(f->tmp, (f->nkeys + 1) * sizeof *f->tmp);
  uint64_t *src = f->keys, *dst = f->tmp;
  for (int shift = 0; shift < f->p.bits; shift += 8) {
    size_t count[257] = {0};
    unsigned width = (unsigned)(f->p.bits - shift < 8 ? f->p.bits - shift : 8);
    uint64_t dmask = (1u << width) - 1;
    for (size_t i = 0; i < f->nkeys; i++) count[((src[i] >> shift) & dmask) + 1]++;
    for (int d = 0; d < 256; d++) count[d + 1] += count[d];
    for (size_t i = 0; i < f->nkeys; i++) dst[count[(src[i] >> shift) & dmask]++] = src[i];
    uint64_t *t = src; src = dst; dst = t;
  }
  uint64_t *k = src;
  f->out = realloc(f->out, (f->nkeys + 1) * sizeof *f->out);
  uint64_t mask = (1ull << f->p.bits) - 1;
  size_t n = 0;
  double norm2 = 0;
  for (size_t i = 0; i < f->nkeys;) {
    size_t j = i + 1;
    while (j < f->nkeys && ((k[j] ^ k[i]) & mask) == 0) j++;
    size_t same = i + 1;
    while (same < j && k[same] == k[i]) same++;
    if (same < j) qsort(k + i, j - i, sizeof *k, cmp_u64);
    double sum = 0;
    for (size_t q = i; q < j;) {
      size_t r = q + 1;
      while (r < j && k[r] == k[q]) r++;
      sum += old_tf_weight(r - q) * ((k[q] >> 63) ? -1.0 : 1.0);
      q = r;
    }
    if (sum != 0) {
      f->out[n].index = (int)(k[i] & mask) + 1;
      f->out[n].value = sum;
      norm2 += sum * sum;
      n++;
    }
    i = j;
  }
  double inv = norm2 > 0 ? 1.0 / sqrt(norm2) : 0;
  for (size_t i = 0; i < n; i++) f->out[i].value *= inv;
  f->out[n].index = -1;
  f->out[n].value = 0;
  return n;
}

static void old_free(old_fz *f) {
  free(f->toks);
  free(f->wt);
  free(f->keys);
  free(f->tmp);
  free(f->out);
}

/* ---- random and real texts ---- */

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(uint32_t n) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)((rng >> 11) % n);
}

/* A text of tokens of every kind: words in the scripts the library reads,
 * numbers, URLs, mentions, hashtags, e-mails, emoji, punctuation, words
 * longer than a feature may be, repeats (tf over 8), now and then raw
 * bytes that are not UTF-8. */
static size_t random_text(char *buf, size_t cap) {
  static const char *const letters[] = {
      "a", "b", "e", "h", "i", "k", "o", "q", "s", "t", "u", "z", "oʻ", "gʻ", "ʼ", "а", "б",
      "и", "к", "о", "с", "т", "ы", "ң", "ө", "ү", "ҷ", "ҳ", "ӣ", "ӯ", "қ", "ғ", "ا", "ل",
      "م", "ي", "é", "ş", "ı", "😀", "𝑥", "中",
      /* the edges of the Arabic-script ranges: U+0750, U+077F in; U+074F, U+0780 out */
      "ݐ", "ݿ", "ݏ", "ހ"};
  static const char *const pieces[] = {
      "https://t.me/xuroson", "www.example.uz/a/b?c=1", "@abu_bakr", "#hijrat", "info@mail.uz",
      "2024", "12.5", "3:15", "1,000", ",", ".", "!", "?", "«", "»", "—", "'", "\"", "(", ")"};
  size_t n = 0, want = rnd(8) == 0 ? rnd((uint32_t)cap - 600) : rnd(400);
  char word[700];
  size_t wl = 0;
  while (n < want) {
    int kind = (int)rnd(20);
    if (kind < 14) { /* a word, maybe repeated */
      if (kind < 4 && wl) {
        /* the last word again */
      } else {
        wl = 0;
        size_t len = rnd(10) == 0 ? 1 + rnd(300) : 1 + rnd(9);
        for (size_t i = 0; i < len && wl < 600; i++) {
          const char *l = letters[rnd(rnd(3) ? 12 : sizeof letters / sizeof *letters)];
          memcpy(word + wl, l, strlen(l));
          wl += strlen(l);
        }
      }
      memcpy(buf + n, word, wl);
      n += wl;
    } else if (kind < 19) {
      const char *p = pieces[rnd(sizeof pieces / sizeof *pieces)];
      memcpy(buf + n, p, strlen(p));
      n += strlen(p);
    } else {
      size_t k = 1 + rnd(4);
      for (size_t i = 0; i < k; i++) buf[n++] = (char)(1 + rnd(255));
    }
    buf[n++] = rnd(6) ? ' ' : (char)"\n\t-_/"[rnd(5)];
  }
  return n;
}

/* Every line of a file, NUL-separated, into a buffer. */
static char *read_lines(const char *path, size_t limit, size_t *nlines) {
  FILE *fp = fopen(path, "rb");
  *nlines = 0;
  if (!fp) return NULL;
  size_t cap = 1 << 16, len = 0;
  char *b = malloc(cap), line[1 << 16];
  while (*nlines < limit && fgets(line, sizeof line, fp)) {
    size_t l = strcspn(line, "\r\n");
    line[l] = '\0';
    if (len + l + 1 > cap) {
      while (len + l + 1 > cap) cap *= 2;
      b = realloc(b, cap);
    }
    memcpy(b + len, line, l + 1);
    len += l + 1;
    (*nlines)++;
  }
  fclose(fp);
  return b;
}

typedef struct corpus {
  char **text;
  size_t *len, n, cap;
} corpus;

static void corpus_add(corpus *c, const char *s, size_t len) {
  if (c->n == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 1024;
    c->text = realloc(c->text, c->cap * sizeof *c->text);
    c->len = realloc(c->len, c->cap * sizeof *c->len);
  }
  c->text[c->n] = malloc(len + 1);
  memcpy(c->text[c->n], s, len);
  c->text[c->n][len] = '\0';
  c->len[c->n++] = len;
}

/* Real text from the test data and the shared datasets (the line as it is,
 * and normalised), random texts (raw and normalised), and whole files
 * joined as long documents. */
static void build_corpus(corpus *c, size_t nrandom) {
  kuzat_normaliser *nz;
  kuzat_normaliser_new(NULL, &nz, NULL);
  char path[1024];
  const char *shared = kt_shared();
  static const char *const local[] = {"tests/data/normalise.tsv", "tests/data/invariance.tsv",
                                      "tests/data/classify/train.tsv"};
  static const char *const remote[] = {"isis-twitter-en", "kyrgyz-24kg-topics", "tajik-text",
                                       "tatoeba-uzbek-cyrillic", "uzbek-sentiment",
                                       "unlp2025-manipulation-telegram", "radicalization-tt"};
  size_t nfiles = 3 + (shared ? sizeof remote / sizeof *remote : 0);
  for (size_t i = 0; i < nfiles; i++) {
    if (i < 3) snprintf(path, sizeof path, "%s", local[i]);
    else snprintf(path, sizeof path, "%s/%s/train.tsv", shared, remote[i - 3]);
    size_t nl;
    char *b = read_lines(path, i < 3 ? 100000 : 300, &nl);
    if (!b) continue;
    char *s = b;
    size_t total = 0;
    for (size_t k = 0; k < nl; k++) {
      size_t l = strlen(s);
      kuzat_text t;
      corpus_add(c, s, l);
      if (kuzat_normalise(nz, s, l, 0, &t, NULL) == KUZAT_OK) corpus_add(c, t.utf8, t.len);
      total += l + 1;
      s += l + 1;
    }
    for (size_t k = 0; k + 1 < total; k++)
      if (b[k] == '\0') b[k] = '\n';
    kuzat_text t;
    if (total && kuzat_normalise(nz, b, total - 1, 0, &t, NULL) == KUZAT_OK)
      corpus_add(c, t.utf8, t.len);
    free(b);
  }
  static char buf[1 << 16];
  for (size_t k = 0; k < nrandom; k++) {
    size_t l = random_text(buf, sizeof buf);
    kuzat_text t;
    if (k % 2 && kuzat_normalise(nz, buf, l, 0, &t, NULL) == KUZAT_OK) corpus_add(c, t.utf8, t.len);
    else corpus_add(c, buf, l);
  }
  kuzat_normaliser_free(nz);
}

static void corpus_free(corpus *c) {
  for (size_t i = 0; i < c->n; i++) free(c->text[i]);
  free(c->text);
  free(c->len);
}

/* kuzat__featurise_visit() reports the hashes in the reference's order. */
typedef struct seen {
  uint64_t *h;
  size_t n, cap;
} seen;

static void on_visit(void *ud, uint64_t hash, int ns, const char *bytes, size_t len, size_t start,
                     size_t end) {
  seen *s = ud;
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 256;
    s->h = realloc(s->h, s->cap * sizeof *s->h);
  }
  s->h[s->n++] = hash;
  (void)ns, (void)bytes, (void)len, (void)start, (void)end;
}

/* The fast featuriser against the reference on every text of the corpus,
 * one featuriser reused throughout (as a scorer does), under `p`. */
static void against_reference(const corpus *c, const kuzat_feature_params *p, const char *what) {
  kuzat_featuriser *f;
  if (!CHECK(kuzat_featuriser_new(p, NULL, &f, NULL) == KUZAT_OK, "featuriser_new")) return;
  old_fz o = {.p = *p};
  seen sv = {0};
  size_t bad = 0, bad_visit = 0, first = (size_t)-1, features = 0;
  for (size_t i = 0; i < c->n; i++) {
    const kuzat_feature *got;
    size_t n;
    int rc = kuzat_featurise(f, c->text[i], c->len[i], &got, &n, NULL);
    old_collect(&o, c->text[i], c->len[i]);
    size_t want = old_build(&o);
    features += n;
    int same = rc == KUZAT_OK && n == want;
    for (size_t k = 0; same && k <= n; k++) /* the values bit for bit */
      same = got[k].index == o.out[k].index &&
             memcmp(&got[k].value, &o.out[k].value, sizeof got[k].value) == 0;
    if (!same && !bad++) first = i;
    sv.n = 0;
    old_collect(&o, c->text[i], c->len[i]);
    if (kuzat__featurise_visit(f, c->text[i], c->len[i], on_visit, &sv) != KUZAT_OK ||
        sv.n != o.nkeys || (sv.n && memcmp(sv.h, o.keys, sv.n * sizeof *sv.h) != 0))
      bad_visit++;
  }
  CHECK(bad == 0, "%s: %zu of %zu texts differ from the reference, the first \"%.60s\"", what,
        bad, c->n, bad ? c->text[first] : "");
  CHECK(bad_visit == 0, "%s: the visitor reports other hashes than the reference for %zu texts",
        what, bad_visit);
  CHECK(features > 0, "%s: %zu features in %zu texts", what, features, c->n);
  free(sv.h);
  old_free(&o);
  kuzat_featuriser_free(f);
}

static void test_against_reference(void) {
  corpus c = {0};
  build_corpus(&c, getenv("KUZAT_TEST_QUICK") ? 300 : 1000);
  CHECK(c.n > 1000, "corpus of %zu texts", c.n);
  kuzat_feature_params p;
  kuzat_feature_params_default(&p);
  against_reference(&c, &p, "defaults");
  /* amin..amax: the Arabic-script range; -1..-1 KUZAT_CHAR_AS_OTHERS */
  static const struct { uint64_t seed; int bits, wmin, wmax, cmin, cmax, amin, amax; } var[] = {
      {7, 1, 1, 2, 2, 5, -1, -1},  {1, 4, 1, 1, 1, 8, -1, -1}, {2, 9, 1, 4, 3, 3, -1, -1},
      {3, 12, 0, 0, 1, 2, -1, -1}, {4, 16, 2, 3, 0, 0, -1, -1}, {5, 24, 1, 2, 2, 5, -1, -1},
      {6, 28, 1, 3, 4, 8, -1, -1}, {8, 20, 1, 2, 5, 5, 2, 5},   {9, 12, 1, 1, 0, 0, 1, 3},
      {10, 16, 1, 2, 3, 6, 0, 0},  {11, 8, 0, 0, 6, 6, 2, 2}};
  for (size_t i = 0; i < sizeof var / sizeof *var; i++) {
    p.seed = var[i].seed;
    p.bits = var[i].bits;
    p.word_min = var[i].wmin;
    p.word_max = var[i].wmax;
    p.char_min = var[i].cmin;
    p.char_max = var[i].cmax;
    p.arabic_char_min = var[i].amin;
    p.arabic_char_max = var[i].amax;
    char what[128];
    snprintf(what, sizeof what, "seed %llu, %d bits, words %d..%d, chars %d..%d, Arabic %d..%d",
             (unsigned long long)p.seed, p.bits, p.word_min, p.word_max, p.char_min, p.char_max,
             p.arabic_char_min, p.arabic_char_max);
    against_reference(&c, &p, what);
  }
  corpus_free(&c);
}

/* ---- kuzat__model_dot() against featurise + decision ---- */

/* A linear model's fast path adds the same terms in another order (and
 * divides by the norm once): the same values to rounding. `exact`: the
 * general path (RBF markers), which is featurise + decision itself. */
static void dot_on_corpus(const corpus *c, const kuzat_model *m, const char *what, int exact) {
  kuzat_feature_params fp;
  kuzat_model_feature_params(m, &fp);
  kuzat_featuriser *f1, *f2;
  kuzat_featuriser_new(&fp, NULL, &f1, NULL);
  kuzat_featuriser_new(&fp, NULL, &f2, NULL);
  size_t nm = kuzat_model_markers(m), bad = 0, inexact = 0, first = 0;
  double *a = calloc(nm, sizeof *a), *b = calloc(nm, sizeof *b), worst = 0;
  for (size_t i = 0; i < c->n; i++) {
    const kuzat_feature *x;
    size_t n;
    int rc1 = kuzat_featurise(f1, c->text[i], c->len[i], &x, &n, NULL);
    if (!rc1) rc1 = kuzat_model_decision(m, x, a, NULL);
    int rc2 = kuzat__model_dot(m, f2, c->text[i], c->len[i], b);
    int ok = rc1 == KUZAT_OK && rc2 == KUZAT_OK;
    for (size_t k = 0; ok && k < nm; k++) {
      double rel = fabs(a[k] - b[k]) / (fabs(a[k]) > 1 ? fabs(a[k]) : 1);
      if (rel > worst) worst = rel;
      if (rel > 1e-12) ok = 0;
      if (memcmp(&a[k], &b[k], sizeof a[k]) != 0) inexact++;
    }
    if (!ok && !bad++) first = i;
  }
  CHECK(bad == 0, "%s: kuzat__model_dot differs from featurise + decision on %zu of %zu "
        "texts (worst relative difference %g), the first \"%.60s\"", what, bad, c->n, worst,
        bad ? c->text[first] : "");
  if (exact)
    CHECK(inexact == 0, "%s: kuzat__model_dot is bit for bit featurise + decision (%zu values "
          "differ in the last bits)", what, inexact);
  free(a);
  free(b);
  kuzat_featuriser_free(f1);
  kuzat_featuriser_free(f2);
}

static void test_dot(void) {
  corpus c = {0};
  rng = 12345;
  build_corpus(&c, getenv("KUZAT_TEST_QUICK") ? 300 : 1000);
  kuzat_model *m = kt_train_tsv("tests/data/classify/train.tsv", KUZAT_KERNEL_LINEAR);
  if (CHECK(m != NULL, "train the linear test model")) {
    dot_on_corpus(&c, m, "linear model", 0);
    /* a featuriser whose parameters are not the model's: the general path,
     * which refuses indices out of the model's range */
    kuzat_feature_params fp;
    kuzat_model_feature_params(m, &fp);
    fp.bits = fp.bits < 28 ? fp.bits + 1 : fp.bits - 1;
    kuzat_featuriser *f;
    kuzat_featuriser_new(&fp, NULL, &f, NULL);
    double dec[8];
    int rc = KUZAT_OK;
    for (size_t i = 0; i < c.n && rc == KUZAT_OK; i++)
      rc = kuzat__model_dot(m, f, c.text[i], c.len[i], dec);
    CHECK(fp.bits < 20 || rc == KUZAT_EINVAL,
          "other bits than the model's: kuzat_model_decision's answer (%d)", rc);
    kuzat_featuriser_free(f);
    kuzat_model_free(m);
  }
  m = kt_train_tsv("tests/data/classify/train.tsv", KUZAT_KERNEL_RBF);
  if (CHECK(m != NULL, "train the RBF test model")) {
    corpus small = c;
    if (small.n > 800) small.n = 800; /* RBF scoring is slow */
    dot_on_corpus(&small, m, "RBF model", 1);
    kuzat_model_free(m);
  }
  corpus_free(&c);
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
  CHECK(p.seed == 0 && p.bits == 20 && p.word_min == 1 && p.word_max == 2 && p.char_min == 5 &&
            p.char_max == 5 && p.arabic_char_min == 2 && p.arabic_char_max == 5, "defaults");
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
  /* a range for Arabic script: each word by its first letter */
  p.char_min = p.char_max = 5;
  p.arabic_char_min = 2, p.arabic_char_max = 4;
  compare("الدولة باقية hijrat الله ҳиҷрат ݐاب", &p);
  p.word_max = 2, p.word_min = 1;
  p.arabic_char_min = p.arabic_char_max = 0;
  compare("الدولة باقية hijrat الله", &p);
  {
    /* counted by hand (word n-grams off): "<abcd>" has two 5-grams;
     * "<اب>" (4 code points) has 3 + 2 2..3-grams */
    kuzat_feature_params q;
    kuzat_feature_params_default(&q);
    q.word_min = q.word_max = 0;
    q.char_min = q.char_max = 5;
    q.arabic_char_min = 2, q.arabic_char_max = 3;
    size_t want[2] = {2, 5}, got[2] = {0, 0};
    const char *text[2] = {"abcd", "\xd8\xa7\xd8\xa8"};
    kuzat_featuriser *fq;
    kuzat_featuriser_new(&q, NULL, &fq, NULL);
    for (int i = 0; i < 2; i++) {
      const kuzat_feature *x;
      kuzat_featurise(fq, text[i], strlen(text[i]), &x, &got[i], NULL);
    }
    CHECK(got[0] == want[0] && got[1] == want[1],
          "char 5-5 and Arabic 2-3: %zu and %zu features (want 2 and 5)", got[0], got[1]);
    kuzat_featuriser_free(fq);
  }
  kuzat_feature_params_default(&p);
  p.bits = 10;

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
  bad = p;
  bad.arabic_char_min = 3, bad.arabic_char_max = 2;
  CHECK(kuzat_featuriser_new(&bad, NULL, &f, &err) == KUZAT_EINVAL && strstr(err.msg, "Arabic"),
        "Arabic 3..2 refused: %s", err.msg);
  bad.arabic_char_min = KUZAT_CHAR_AS_OTHERS, bad.arabic_char_max = 4;
  CHECK(kuzat_featuriser_new(&bad, NULL, &f, &err) == KUZAT_EINVAL,
        "KUZAT_CHAR_AS_OTHERS on one end only refused");
  CHECK(kuzat_featuriser_new(NULL, NULL, NULL, &err) == KUZAT_EINVAL, "NULL out");
  kuzat_featuriser_new(NULL, NULL, &f, NULL);
  CHECK(kuzat_featurise(f, NULL, 3, &v, &n_url, &err) == KUZAT_EINVAL, "NULL text");
  kuzat_featuriser_free(f);
  kuzat_featuriser_free(NULL);

  test_against_reference();
  test_dot();
  return kt_done();
}
