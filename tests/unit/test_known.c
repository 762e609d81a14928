/*
 * test_known.c -- known-content matching (kuzat_known_*), issue 21's
 * targets at library level.
 *
 * The known texts are the propaganda rows of datasets/kuzat-set (ours).
 * Each is found again, by its id, when it comes back:
 *  - with one word in ten (at least one) replaced by another word of the
 *    same language;
 *  - in the other Uzbek script (uz-Latn rows written in Cyrillic, uz-Cyrl
 *    rows in Latin, as people type it: o' g' with ASCII apostrophes);
 *  - with every word rewritten by a spelling trick, as bench/perturb.py
 *    does: Latin/Cyrillic homoglyphs, a zero-width character inside it,
 *    full-width letters, another apostrophe, random case;
 *  - as one paragraph inside twenty times as much unrelated text (the
 *    kuzat-set rows that are not propaganda, of the same language), where
 *    the match's byte range must hold the paragraph.
 * Each must be found for at least 95% of the rows. Unrelated text must
 * match nothing, at most 0.1% of it: the kuzat-set rows that are not
 * propaganda, and (when ../shared/datasets is there; else this part
 * skips) every row of the shared benign and news sets.
 *
 * Then: the API's promises (ids, duplicates, removal, thresholds, order),
 * an index saved, loaded and added to equals one built at once, byte for
 * byte; eight threads matching on one index agree with one thread; and a
 * damaged, truncated or newer index is refused with its reason, as
 * test_model_damage.c does for models.
 */
#include "check.h"
#include "helpers.h"
#include "kuzat.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* ---------------------------------------------------------------------- */
/* Small tools: a generator, strings, UTF-8                                 */
/* ---------------------------------------------------------------------- */

static uint64_t rng = 0x2021;
static uint64_t rnd(void) {
  uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static size_t below(size_t n) { return n ? (size_t)(rnd() % n) : 0; }

typedef struct sbuf {
  char *p;
  size_t len, cap;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n) {
  if (!n && b->p) return;
  if (b->len + n + 1 > b->cap) {
    b->cap = (b->len + n + 1) * 2;
    b->p = realloc(b->p, b->cap);
  }
  if (n) memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}
static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static void sb_cp(sbuf *b, uint32_t c) {
  char u[4];
  size_t n;
  if (c < 0x80) u[0] = (char)c, n = 1;
  else if (c < 0x800) u[0] = (char)(0xC0 | c >> 6), u[1] = (char)(0x80 | (c & 0x3F)), n = 2;
  else if (c < 0x10000)
    u[0] = (char)(0xE0 | c >> 12), u[1] = (char)(0x80 | ((c >> 6) & 0x3F)),
    u[2] = (char)(0x80 | (c & 0x3F)), n = 3;
  else
    u[0] = (char)(0xF0 | c >> 18), u[1] = (char)(0x80 | ((c >> 12) & 0x3F)),
    u[2] = (char)(0x80 | ((c >> 6) & 0x3F)), u[3] = (char)(0x80 | (c & 0x3F)), n = 4;
  sb_put(b, u, n);
}

/* The code points of s[0..n) (valid UTF-8: the repository's own text). */
static size_t decode(const char *s, size_t n, uint32_t *cp) {
  const unsigned char *u = (const unsigned char *)s;
  size_t k = 0;
  for (size_t i = 0; i < n;) {
    uint32_t c = u[i];
    size_t w = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (w > 1) c &= 0x3F >> (w - 1);
    for (size_t j = 1; j < w && i + j < n; j++) c = c << 6 | (u[i + j] & 0x3F);
    cp[k++] = c;
    i += w;
  }
  return k;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* The chunks of text between white space, as [start, end) pairs. */
static size_t chunks(const char *s, size_t n, size_t (*out)[2], size_t cap) {
  size_t k = 0;
  for (size_t i = 0; i < n && k < cap;) {
    while (i < n && is_space(s[i])) i++;
    if (i == n) break;
    size_t j = i;
    while (j < n && !is_space(s[j])) j++;
    out[k][0] = i, out[k][1] = j;
    k++;
    i = j;
  }
  return k;
}

/* ---------------------------------------------------------------------- */
/* The data                                                                 */
/* ---------------------------------------------------------------------- */

typedef struct row {
  char *id, *text, *labels, *lang;
  size_t len;
  int prop;      /* labelled propaganda: a known text */
  int unrelated; /* not propaganda, and matches no known text on its own */
} row;

static row *rows;
static size_t nrows;

static void load_rows(const char *path) {
  kuzat_reader *r;
  kuzat_error err;
  if (kuzat_reader_open(path, KUZAT_FORMAT_TSV, NULL, NULL, &r, &err)) {
    printf("# %s\n", err.msg);
    return;
  }
  kuzat_record rec;
  while (kuzat_reader_next(r, &rec, &err) == 1) {
    if (rec.error) continue;
    rows = realloc(rows, (nrows + 1) * sizeof *rows);
    row *w = &rows[nrows++];
    w->id = strndup(rec.id, rec.id_len);
    w->text = strndup(rec.text, rec.text_len);
    w->len = rec.text_len;
    w->labels = strndup(rec.labels, rec.labels_len);
    w->lang = strndup(rec.lang, rec.lang_len);
    w->prop = strstr(w->labels, "propaganda") != NULL;
    w->unrelated = 0; /* until test_unrelated_ours() has looked */
  }
  kuzat_reader_free(r);
}

static void free_rows(void) {
  for (size_t i = 0; i < nrows; i++) {
    free(rows[i].id);
    free(rows[i].text);
    free(rows[i].labels);
    free(rows[i].lang);
  }
  free(rows);
}

/* An index of every propaganda row, with parameters p (NULL: defaults). */
static kuzat_known *index_of_propaganda(const kuzat_known_params *p) {
  kuzat_known *k;
  kuzat_error err;
  if (kuzat_known_new(p, NULL, &k, &err)) return NULL;
  for (size_t i = 0; i < nrows; i++)
    if (rows[i].prop &&
        kuzat_known_add(k, rows[i].id, strlen(rows[i].id), rows[i].text, rows[i].len,
                        rows[i].labels, strlen(rows[i].labels), &err)) {
      printf("# add %s: %s\n", rows[i].id, err.msg);
      kuzat_known_free(k);
      return NULL;
    }
  return k;
}

/* ---------------------------------------------------------------------- */
/* Re-posts                                                                 */
/* ---------------------------------------------------------------------- */

/* Replace one word in ten (rounded, at least one) by a word of another
 * row of the same language. */
static void change_words(const row *r, sbuf *out) {
  size_t ch[512][2], n = chunks(r->text, r->len, ch, 512);
  size_t want = (n + 5) / 10;
  if (want < 1) want = 1;
  char pick[512] = {0};
  for (size_t done = 0; done < want && done < n;) {
    size_t i = below(n);
    if (!pick[i]) pick[i] = 1, done++;
  }
  out->len = 0;
  size_t at = 0;
  for (size_t i = 0; i < n; i++) {
    sb_put(out, r->text + at, ch[i][0] - at);
    if (pick[i]) {
      for (;;) { /* a word from a random row of the same language */
        const row *o = &rows[below(nrows)];
        if (o == r || strcmp(o->lang, r->lang) != 0) continue;
        size_t oc[512][2], on = chunks(o->text, o->len, oc, 512);
        if (!on) continue;
        size_t j = below(on);
        sb_put(out, o->text + oc[j][0], oc[j][1] - oc[j][0]);
        break;
      }
    } else {
      sb_put(out, r->text + ch[i][0], ch[i][1] - ch[i][0]);
    }
    at = ch[i][1];
  }
  sb_put(out, r->text + at, r->len - at);
}

/* ---- the other Uzbek script ---- */

static int is_apos(uint32_t c) {
  return c == '\'' || c == 0x2BB || c == 0x2BC || c == 0x2019 || c == 0x2018 || c == '`' ||
         c == 0xB4;
}

static uint32_t lower(uint32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  if (c >= 0x460 && c <= 0x4FF && !(c & 1)) return c + 1;
  return c;
}
static int is_upper(uint32_t c) { return lower(c) != c; }
static uint32_t upper(uint32_t c) {
  if (c >= 'a' && c <= 'z') return c - 32;
  if (c >= 0x430 && c <= 0x44F) return c - 32;
  if (c >= 0x450 && c <= 0x45F) return c - 80;
  if (c >= 0x460 && c <= 0x4FF && (c & 1)) return c - 1;
  return c;
}

/* Uzbek Latin to Cyrillic, as bench/perturb.py's translit_uz(). */
static void latin_to_cyrillic(const char *s, size_t n, sbuf *out) {
  static const struct {
    const char *lat;
    uint32_t cyr;
  } multi[] = {{"o'", 0x45E}, {"g'", 0x493}, {"sh", 0x448}, {"ch", 0x447}, {"yo", 0x451},
               {"yu", 0x44E}, {"ya", 0x44F}, {"ye", 0x435}};
  static const char one_lat[] = "abdefghijklmnopqrstuvxyz";
  static const uint32_t one_cyr[] = {0x430, 0x431, 0x434, 0x435, 0x444, 0x433, 0x4B3, 0x438,
                                     0x436, 0x43A, 0x43B, 0x43C, 0x43D, 0x43E, 0x43F, 0x49B,
                                     0x440, 0x441, 0x442, 0x443, 0x432, 0x445, 0x439, 0x437};
  uint32_t *cp = malloc((n + 1) * sizeof *cp);
  size_t m = decode(s, n, cp);
  for (size_t i = 0; i < m; i++) if (is_apos(cp[i])) cp[i] = '\'';
  out->len = 0;
  int word_start = 1;
  for (size_t i = 0; i < m;) {
    uint32_t c = cp[i], l = lower(c);
    int up = is_upper(c), done = 0;
    for (size_t k = 0; k < sizeof multi / sizeof multi[0] && i + 1 < m; k++)
      if (l == (uint32_t)multi[k].lat[0] && lower(cp[i + 1]) == (uint32_t)multi[k].lat[1]) {
        sb_cp(out, up ? upper(multi[k].cyr) : multi[k].cyr);
        i += 2;
        done = 1;
        break;
      }
    if (done) {
      word_start = 0;
      continue;
    }
    const char *p = l < 128 && l ? strchr(one_lat, (int)l) : NULL;
    if (p) {
      uint32_t y = l == 'e' && word_start ? 0x44D : one_cyr[p - one_lat];
      sb_cp(out, up ? upper(y) : y);
    } else if (c == '\'') {
      sb_cp(out, 0x44A);
    } else {
      sb_cp(out, c);
    }
    word_start = !(l < 128 ? ((l | 32) >= 'a' && (l | 32) <= 'z') : 1) || c == ' ';
    i++;
  }
  free(cp);
}

/* Uzbek Cyrillic to Latin, the official rules, apostrophes typed as '. */
static void cyrillic_to_latin(const char *s, size_t n, sbuf *out) {
  static const uint32_t cyr[] = {0x430, 0x431, 0x432, 0x433, 0x434, 0x436, 0x437, 0x438, 0x439,
                                 0x43A, 0x43B, 0x43C, 0x43D, 0x43E, 0x43F, 0x440, 0x441, 0x442,
                                 0x443, 0x444, 0x445, 0x446, 0x447, 0x448, 0x44A, 0x44C, 0x44D,
                                 0x44E, 0x44F, 0x451, 0x45E, 0x493, 0x49B, 0x4B3};
  static const char *const lat[] = {"a", "b", "v", "g", "d", "j", "z", "i", "y", "k", "l", "m",
                                    "n", "o", "p", "r", "s", "t", "u", "f", "x", "s", "ch", "sh",
                                    "'", "", "e", "yu", "ya", "yo", "o'", "g'", "q", "h"};
  uint32_t *cp = malloc((n + 1) * sizeof *cp);
  size_t m = decode(s, n, cp);
  out->len = 0;
  for (size_t i = 0; i < m; i++) {
    uint32_t c = cp[i], l = lower(c);
    int up = is_upper(c);
    const char *t = NULL;
    if (l == 0x435) { /* е: ye at the start of a word and after a vowel */
      uint32_t prev = i ? lower(cp[i - 1]) : ' ';
      int after_letter = prev >= 0x430 && prev <= 0x4FF;
      int after_vowel = prev == 0x430 || prev == 0x435 || prev == 0x438 || prev == 0x43E ||
                        prev == 0x443 || prev == 0x44D || prev == 0x45E;
      t = !after_letter || after_vowel ? "ye" : "e";
    } else {
      for (size_t k = 0; k < sizeof cyr / sizeof cyr[0]; k++)
        if (cyr[k] == l) t = lat[k];
    }
    if (!t) {
      sb_cp(out, c);
      continue;
    }
    for (size_t k = 0; t[k]; k++) sb_cp(out, up && k == 0 ? upper((uint32_t)t[k]) : (uint32_t)t[k]);
  }
  free(cp);
}

/* ---- spelling tricks, as bench/perturb.py ---- */

static const char lat_look[] = "aceopxyiABCEHKMOPTXYI";
static const uint32_t cyr_look[] = {0x430, 0x441, 0x435, 0x43E, 0x440, 0x445, 0x443,
                                    0x456, 0x410, 0x412, 0x421, 0x415, 0x41D, 0x41A,
                                    0x41C, 0x41E, 0x420, 0x422, 0x425, 0x423, 0x406};

static int lookalike(uint32_t c, uint32_t *other) {
  for (size_t i = 0; lat_look[i]; i++) {
    if (c == (uint32_t)lat_look[i]) return *other = cyr_look[i], 1;
    if (c == cyr_look[i]) return *other = (uint32_t)lat_look[i], 1;
  }
  return 0;
}

/* One trick on the word cp[0..n) into out; 0 when it does not apply. */
static int trick(int which, const uint32_t *cp, size_t n, sbuf *out) {
  static const uint32_t invisible[] = {0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0xAD};
  static const uint32_t apos[] = {0x2BB, 0x2BC, 0x2019, 0x2018, '`', 0xB4};
  size_t idx[256], ni = 0;
  uint32_t o;
  switch (which) {
  case 0: /* homoglyphs: half of the letters that have a lookalike */
    for (size_t i = 0; i < n && ni < 256; i++)
      if (lookalike(cp[i], &o)) idx[ni++] = i;
    if (!ni) return 0;
    {
      char swap[256] = {0};
      for (size_t want = (ni + 1) / 2, done = 0; done < want;) {
        size_t j = below(ni);
        if (!swap[j]) swap[j] = 1, done++;
      }
      for (size_t i = 0, j = 0; i < n; i++) {
        int s = j < ni && idx[j] == i ? swap[j++] : 0;
        sb_cp(out, s && lookalike(cp[i], &o) ? o : cp[i]);
      }
    }
    return 1;
  case 1: /* an invisible character inside */
    if (n < 2) return 0;
    {
      size_t at = 1 + below(n - 1);
      for (size_t i = 0; i < n; i++) {
        if (i == at) sb_cp(out, invisible[below(6)]);
        sb_cp(out, cp[i]);
      }
    }
    return 1;
  case 2: /* full-width ASCII letters and digits */
    for (size_t i = 0; i < n; i++)
      if (cp[i] < 128 && ((cp[i] | 32) - 'a' < 26 || cp[i] - '0' < 10)) ni++;
    if (!ni) return 0;
    for (size_t i = 0; i < n; i++)
      sb_cp(out, cp[i] < 128 && ((cp[i] | 32) - 'a' < 26 || cp[i] - '0' < 10) ? cp[i] + 0xFEE0 : cp[i]);
    return 1;
  case 3: /* another apostrophe */
    for (size_t i = 0; i < n; i++) ni += is_apos(cp[i]);
    if (!ni) return 0;
    for (size_t i = 0; i < n; i++) sb_cp(out, is_apos(cp[i]) ? apos[below(6)] : cp[i]);
    return 1;
  default: /* random case */
    for (size_t i = 0; i < n; i++) ni += is_upper(cp[i]) || is_upper(upper(cp[i])) || lower(cp[i]) != upper(cp[i]);
    if (!ni) return 0;
    for (size_t i = 0; i < n; i++) sb_cp(out, rnd() & 1 ? upper(cp[i]) : lower(cp[i]));
    return 1;
  }
}

/* Every word rewritten by a trick that applies to it, picked at random. */
static void evade(const row *r, sbuf *out) {
  size_t ch[512][2], n = chunks(r->text, r->len, ch, 512), at = 0;
  uint32_t cp[2048];
  out->len = 0;
  for (size_t i = 0; i < n; i++) {
    sb_put(out, r->text + at, ch[i][0] - at);
    size_t len = ch[i][1] - ch[i][0];
    size_t m = len < 2048 ? decode(r->text + ch[i][0], len, cp) : 0;
    int order[5] = {0, 1, 2, 3, 4}, done = 0;
    for (int j = 4; j > 0; j--) {
      int s = (int)below((size_t)j + 1), t = order[j];
      order[j] = order[s], order[s] = t;
    }
    for (int j = 0; j < 5 && !done && m; j++) done = trick(order[j], cp, m, out);
    if (!done) sb_put(out, r->text + ch[i][0], len);
    at = ch[i][1];
  }
  sb_put(out, r->text + at, r->len - at);
}

/* ---- a paragraph inside unrelated text ---- */

/* Rows of the same language that are not propaganda, around r's text,
 * until they are 20 times its length; r's bytes in [*start, *end). */
static void embed(const row *r, sbuf *out, size_t *start, size_t *end) {
  size_t need = 20 * r->len, got = 0, before = 0;
  out->len = 0;
  sbuf after = {0};
  while (got < need) {
    const row *o = &rows[below(nrows)];
    if (!o->unrelated || strcmp(o->lang, r->lang) != 0) continue;
    if (rnd() & 1) {
      sb_put(out, o->text, o->len);
      sb_str(out, "\n");
      before++;
    } else {
      sb_put(&after, o->text, o->len);
      sb_str(&after, "\n");
    }
    got += o->len + 1;
  }
  *start = out->len;
  sb_put(out, r->text, r->len);
  *end = out->len;
  sb_str(out, "\n");
  sb_put(out, after.p, after.len);
  free(after.p);
}

/* ---------------------------------------------------------------------- */
/* The targets                                                              */
/* ---------------------------------------------------------------------- */

enum { T_CHANGED, T_SCRIPT, T_EVASION, T_QUOTED, T_COUNT };
static const char *const tname[T_COUNT] = {"one word in ten changed", "the other Uzbek script",
                                           "every word through a spelling trick",
                                           "quoted inside 20x unrelated text"};

static void test_targets(kuzat_known *k, kuzat_known_matcher *m) {
  size_t tried[T_COUNT] = {0}, found[T_COUNT] = {0}, top[T_COUNT] = {0}, placed = 0;
  sbuf q = {0};
  kuzat_error err;
  for (size_t i = 0; i < nrows; i++) {
    const row *r = &rows[i];
    if (!r->prop) continue;
    for (int t = 0; t < T_COUNT; t++) {
      size_t start = 0, end = 0;
      if (t == T_CHANGED) change_words(r, &q);
      else if (t == T_SCRIPT) {
        if (strcmp(r->lang, "uz-Latn") == 0) latin_to_cyrillic(r->text, r->len, &q);
        else if (strcmp(r->lang, "uz-Cyrl") == 0) cyrillic_to_latin(r->text, r->len, &q);
        else continue;
      } else if (t == T_EVASION) evade(r, &q);
      else embed(r, &q, &start, &end);
      const kuzat_known_hit *h;
      size_t n;
      if (kuzat_known_match(m, k, q.p, q.len, -1, &h, &n, &err)) {
        CHECK(0, "match: %s", err.msg);
        continue;
      }
      tried[t]++;
      for (size_t j = 0; j < n; j++) {
        if (strcmp(h[j].id, r->id) != 0) continue;
        found[t]++;
        top[t] += h[j].similarity == h[0].similarity;
        /* the window found holds the paragraph, or most of it */
        if (t == T_QUOTED) {
          size_t lo = h[j].start > start ? h[j].start : start, hi = h[j].end < end ? h[j].end : end;
          int ok = hi > lo && hi - lo >= (end - start) / 2;
          placed += ok;
          if (!ok && getenv("KUZAT_KNOWN_MISSES"))
            printf("# misplaced %s: paragraph [%zu, %zu), window [%zu, %zu) %.2f\n", r->id, start,
                   end, h[j].start, h[j].end, h[j].similarity);
        }
        break;
      }
      if (getenv("KUZAT_KNOWN_MISSES") && (n == 0 || strcmp(h[0].id, r->id) != 0))
        printf("# miss %d %s (best %s %.2f): %s\n", t, r->id, n ? h[0].id : "-",
               n ? h[0].similarity : 0.0, t == T_QUOTED ? r->text : q.p);
      if (getenv("KUZAT_KNOWN_DUMP") && strcmp(getenv("KUZAT_KNOWN_DUMP"), r->id) == 0 && t == T_QUOTED) {
        FILE *f = fopen("/tmp/kx/dump.txt", "w");
        fwrite(q.p, 1, q.len, f);
        fclose(f);
      }
    }
  }
  for (int t = 0; t < T_COUNT; t++) {
    double share = tried[t] ? (double)found[t] / (double)tried[t] : 0;
    CHECK(tried[t] > 100 && share >= 0.95, "%s: %zu of %zu found (%.1f%%; 95%% wanted)", tname[t],
          found[t], tried[t], 100 * share);
    printf("info - known: %s: %zu of %zu found (%.1f%%), %zu of them with the best similarity\n",
           tname[t], found[t], tried[t], 100 * share, top[t]);
  }
  CHECK(placed >= found[T_QUOTED] * 99 / 100,
        "quoted: the window reported holds at least half the paragraph (%zu of %zu)", placed,
        found[T_QUOTED]);
  free(q.p);
}

/* ---- unrelated text ---- */

typedef struct tally {
  size_t docs, matched;
  char example[200];
} tally;

static void match_unrelated(kuzat_known *k, kuzat_known_matcher *m, const char *text, size_t len,
                            tally *t) {
  const kuzat_known_hit *h;
  size_t n;
  if (kuzat_known_match(m, k, text, len, -1, &h, &n, NULL)) return;
  t->docs++;
  if (!n) return;
  if (!t->matched++ || getenv("KUZAT_KNOWN_MISSES"))
    snprintf(t->example, sizeof t->example, "%.*s (%s, %.2f)", len > 80 ? 80 : (int)len, text,
             h[0].id, h[0].similarity);
  if (getenv("KUZAT_KNOWN_MISSES")) printf("# false %s\n", t->example);
}

/* The kuzat-set rows that are not propaganda include minimal pairs written
 * from the propaganda rows (the same post with the words that made it
 * propaganda changed: ks-uzc-2052 is ks-uzc-0052 with "jihod" made
 * "ilm"). By their text these are re-posts with words changed, and many
 * match; they are counted, not held to the target. The rows that match
 * nothing are the unrelated text the paragraphs are quoted in. Held to
 * the target instead: the sentences of datasets/langid/, written for
 * language identification, in every language. */
static void test_unrelated_ours(kuzat_known *k, kuzat_known_matcher *m) {
  static const char *const files[] = {"ar", "en.short", "en", "fa", "ky.short", "ky", "ru",
                                      "tg.short", "tg", "uz-Cyrl.short", "uz-Cyrl",
                                      "uz-Latn.short", "uz-Latn"};
  tally pairs = {0, 0, ""};
  for (size_t i = 0; i < nrows; i++) {
    if (rows[i].prop) continue;
    size_t before = pairs.matched;
    match_unrelated(k, m, rows[i].text, rows[i].len, &pairs);
    rows[i].unrelated = pairs.matched == before;
  }
  printf("info - known: %zu of the %zu kuzat-set rows that are not propaganda match a known text "
         "(minimal pairs of the propaganda rows)\n", pairs.matched, pairs.docs);
  tally t = {0, 0, ""};
  for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
    char path[256];
    snprintf(path, sizeof path, "datasets/langid/%s.txt", files[f]);
    kuzat_reader *r;
    if (!CHECK(kuzat_reader_open(path, KUZAT_FORMAT_LINES, NULL, NULL, &r, NULL) == KUZAT_OK,
               "open %s", path))
      continue;
    kuzat_record rec;
    while (kuzat_reader_next(r, &rec, NULL) == 1)
      if (rec.text_len) match_unrelated(k, m, rec.text, rec.text_len, &t);
    kuzat_reader_free(r);
  }
  CHECK(t.docs > 1500 && t.matched * 1000 <= t.docs,
        "datasets/langid sentences: %zu of %zu match a known text (0.1%% allowed); first: %s",
        t.matched, t.docs, t.example);
  printf("info - known: false matches among the %zu sentences of datasets/langid: %zu\n", t.docs,
         t.matched);
}

/* Every row of the shared sets but the militant ones (pro-ISIS tweets,
 * "radical" tweets): benign, news, everyday, scripture. */
static void test_unrelated_shared(kuzat_known *k, kuzat_known_matcher *m) {
  static const char *const files[] = {
      "everyday-en-tweets/train.tsv", "everyday-ru-vk/train.tsv",
      "isis-twitter-en/train.tsv", "kyrgyz-24kg-topics/train.tsv",
      "ptc-semeval2020-task11/train.tsv", "quran-translations/train.tsv",
      "radicalization-tt/train.tsv", "semeval2023-task3-persuasion/train.tsv",
      "tajik-text/train.tsv", "tatoeba-uzbek-cyrillic/train.tsv",
      "ud-treebanks-ky-uz-ru/train.tsv", "unlp2025-manipulation-telegram/train.tsv",
      "uzbek-sentiment/manual_train.tsv", "uzbek-sentiment/machine_translated.tsv"};
  const char *shared = kt_shared();
  if (!shared) {
    kt_skip("known: false matches on the shared benign and news sets",
            "../shared/datasets is absent (set KUZAT_SHARED)");
    return;
  }
  tally all = {0, 0, ""};
  for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", shared, files[f]);
    kuzat_reader *r;
    if (kuzat_reader_open(path, KUZAT_FORMAT_TSV, NULL, NULL, &r, NULL)) {
      kt_skip(files[f], "cannot be read");
      continue;
    }
    tally t = {0, 0, ""};
    kuzat_record rec;
    while (kuzat_reader_next(r, &rec, NULL) == 1) {
      if (rec.error) continue;
      if ((strncmp(files[f], "isis", 4) == 0 && strncmp(rec.labels, "propaganda", rec.labels_len) == 0) ||
          (strncmp(files[f], "radical", 7) == 0 && strncmp(rec.labels, "radical", rec.labels_len) == 0))
        continue;
      match_unrelated(k, m, rec.text, rec.text_len, &t);
    }
    kuzat_reader_free(r);
    printf("info - known: false matches in %s: %zu of %zu%s%s\n", files[f], t.matched, t.docs,
           t.matched ? "; first: " : "", t.example);
    all.docs += t.docs;
    all.matched += t.matched;
    if (t.matched && !all.example[0]) memcpy(all.example, t.example, sizeof t.example);
  }
  CHECK(all.docs > 50000 && all.matched * 1000 <= all.docs,
        "shared benign and news sets: %zu of %zu documents match a known text (0.1%% allowed); "
        "first: %s", all.matched, all.docs, all.example);
  printf("info - known: false matches on the shared benign and news sets: %zu of %zu (%.3f%%)\n",
         all.matched, all.docs, all.docs ? 100.0 * (double)all.matched / (double)all.docs : 0.0);
}

/* ---------------------------------------------------------------------- */
/* The API's promises                                                       */
/* ---------------------------------------------------------------------- */

static const char *const tiny[][3] = {
    {"a", "Birodarlar, Xurosonga hijrat yoli ochiq. Kim qoshilmoqchi bolsa @kanal_nomi ga yozsin, "
          "u yerda sizni kutib oladigan aka bor.", "propaganda,recruitment"},
    {"b", "Жиҳодни тарк этган уммат хор бўлади, бу Аллоҳнинг суннати.", "propaganda"},
    {"c", "Glory to our istishhadi brothers. Theirs is the road to paradise.", ""},
    {"empty", "!!! ...", "source=test"},
};
#define NTINY (sizeof tiny / sizeof tiny[0])

static kuzat_known *tiny_index(size_t from, size_t to, const kuzat_allocator *a) {
  kuzat_known *k;
  if (kuzat_known_new(NULL, a, &k, NULL)) return NULL;
  for (size_t i = from; i < to; i++)
    if (kuzat_known_add(k, tiny[i][0], strlen(tiny[i][0]), tiny[i][1], strlen(tiny[i][1]),
                        tiny[i][2], strlen(tiny[i][2]), NULL)) {
      kuzat_known_free(k);
      return NULL;
    }
  return k;
}

static void test_api_promises(kuzat_known_matcher *m) {
  kuzat_known *k = tiny_index(0, NTINY, NULL);
  kuzat_error err;
  if (!CHECK(k != NULL, "a small index")) return;
  CHECK(kuzat_known_count(k) == NTINY, "count %zu", kuzat_known_count(k));
  size_t pos = 99;
  CHECK(kuzat_known_find(k, "b", 1, &pos) == 1 && pos == 1, "find b at position 1 (%zu)", pos);
  CHECK(kuzat_known_find(k, "zz", 2, &pos) == 0, "an unknown id is not found");
  /* a duplicate names the id and both positions */
  int rc = kuzat_known_add(k, "b", 1, "other text", 10, "", 0, &err);
  CHECK(rc == KUZAT_EINVAL && strstr(err.msg, "\"b\"") && strstr(err.msg, "position 1") &&
            strstr(err.msg, "would be at 4"),
        "a duplicate id is refused naming it and both positions: %s", err.msg);
  CHECK(kuzat_known_count(k) == NTINY, "a refused document is not added");
  CHECK(kuzat_known_add(k, "x\0y", 3, "text", 4, "", 0, &err) == KUZAT_EINVAL, "NUL in an id");
  CHECK(kuzat_known_add(k, "", 0, "text", 4, "", 0, &err) == KUZAT_EINVAL, "an empty id");
  CHECK(kuzat_known_add(k, "x", 1, "text", 4, "a\0b", 3, &err) == KUZAT_EINVAL, "NUL in labels");

  /* the same text, with the other script's spelling, is found; labels come along */
  const char *q = "Ҳаммага салом. Жиҳодни тарк этган уммат хор бўлади, бу Аллоҳнинг суннати. Хайр.";
  const kuzat_known_hit *h;
  size_t n;
  rc = kuzat_known_match(m, k, q, strlen(q), -1, &h, &n, &err);
  CHECK(rc == KUZAT_OK && n == 1 && strcmp(h[0].id, "b") == 0 && h[0].similarity > 0.9 &&
            strcmp(h[0].labels, "propaganda") == 0 && h[0].doc == 1,
        "the quoted sentence is found: %d %zu", rc, n);
  /* a text of up to a window's shingles is one window: the whole of it */
  CHECK(n == 1 && h[0].start == 0 && h[0].end == strlen(q) - 1,
        "its bytes: the query's words, [%zu, %zu)",
        n ? h[0].start : 0, n ? h[0].end : 0);
  /* the same through kuzat_known_match_text(), with offsets and without */
  kuzat_normaliser *norm;
  kuzat_text t;
  if (CHECK(kuzat_normaliser_new(NULL, &norm, &err) == KUZAT_OK, "normaliser")) {
    for (unsigned flags = 0; flags <= KUZAT_NORM_OFFSETS; flags += KUZAT_NORM_OFFSETS) {
      kuzat_normalise(norm, q, strlen(q), flags, &t, &err);
      rc = kuzat_known_match_text(m, k, q, strlen(q), &t, -1, &h, &n, &err);
      CHECK(rc == KUZAT_OK && n == 1 && strcmp(h[0].id, "b") == 0 && h[0].end == strlen(q) - 1,
            "kuzat_known_match_text() with flags %u: %d %zu", flags, rc, n);
    }
    /* a normalisation of another text is refused when it matters */
    const char *other = "Жиҳодни тарк этган уммат хор бўлади, бу Аллоҳнинг суннати!";
    kuzat_normalise(norm, other, strlen(other), 0, &t, &err);
    rc = kuzat_known_match_text(m, k, q, strlen(q), &t, -1, &h, &n, &err);
    CHECK(rc == KUZAT_EINVAL && n == 0, "norm of another text: %d %s", rc, err.msg);
    kuzat_normaliser_free(norm);
  }
  /* thresholds: the index's, overridden per call, changed in the index */
  const char *half = "Birodarlar, Xurosonga hijrat yoli ochiq. Kim qoshilmoqchi bolsa";
  kuzat_known_match(m, k, half, strlen(half), -1, &h, &n, &err);
  double sim = n ? h[0].similarity : 0;
  CHECK(n == 0, "half of a known post does not reach the default threshold (%zu)", n);
  kuzat_known_match(m, k, half, strlen(half), 0.2, &h, &n, &err);
  CHECK(n == 1 && strcmp(h[0].id, "a") == 0 && h[0].similarity < 0.5 && h[0].similarity >= 0.2,
        "it does at 0.2 (%zu, %.2f)", n, n ? h[0].similarity : 0.0);
  (void)sim;
  CHECK(kuzat_known_set_threshold(k, 0.2, &err) == KUZAT_OK, "set the threshold");
  kuzat_known_match(m, k, half, strlen(half), -1, &h, &n, &err);
  CHECK(n == 1, "the index's new threshold holds (%zu)", n);
  CHECK(kuzat_known_set_threshold(k, 0, &err) == KUZAT_EINVAL &&
            kuzat_known_set_threshold(k, 1.5, &err) == KUZAT_EINVAL &&
            kuzat_known_set_threshold(k, NAN, &err) == KUZAT_EINVAL,
        "thresholds outside (0, 1] are refused");
  CHECK(kuzat_known_match(m, k, half, strlen(half), 1.01, &h, &n, &err) == KUZAT_EINVAL &&
            kuzat_known_match(m, k, half, strlen(half), NAN, &h, &n, &err) == KUZAT_EINVAL,
        "a match threshold above 1 or NaN is refused");
  kuzat_known_set_threshold(k, 0.5, &err);
  /* two known texts in one query: best first */
  sbuf two = {0};
  sb_str(&two, tiny[2][1]);
  sb_str(&two, " and then ");
  sb_str(&two, "Birodarlar, Xurosonga hijrat yoli ochiq. Kim qoshilmoqchi bolsa @kanal_nomi ga yozsin");
  kuzat_known_match(m, k, two.p, two.len, -1, &h, &n, &err);
  CHECK(n == 2 && h[0].similarity > h[1].similarity && strcmp(h[0].id, "c") == 0 &&
            strcmp(h[1].id, "a") == 0 && h[0].start == 0 && h[0].end < two.len &&
            h[1].start > 0 && h[1].end == two.len,
        "two known texts, best first, each in its windows (%zu)", n);
  free(two.p);
  /* removal: not found any more, the id can come back, positions stay */
  CHECK(kuzat_known_remove(k, "c", 1, &err) == KUZAT_OK && kuzat_known_count(k) == NTINY - 1,
        "remove c");
  CHECK(kuzat_known_remove(k, "c", 1, &err) == KUZAT_EINVAL && strstr(err.msg, "\"c\""),
        "removing it again names the id: %s", err.msg);
  kuzat_known_match(m, k, tiny[2][1], strlen(tiny[2][1]), -1, &h, &n, &err);
  CHECK(n == 0, "a removed document matches nothing (%zu)", n);
  CHECK(kuzat_known_find(k, "c", 1, &pos) == 0, "nor is it found by id");
  CHECK(kuzat_known_add(k, "c", 1, "a new text for c, quite different", 33, "", 0, &err) ==
                KUZAT_OK && kuzat_known_find(k, "c", 1, &pos) == 1 && pos == NTINY,
        "its id can be added again, at the next position (%zu)", pos);
  CHECK(kuzat_known_find(k, "empty", 5, &pos) == 1 && pos == 3, "positions do not move");
  /* a text without words, and a query without words, match nothing */
  kuzat_known_match(m, k, "!!! ...", 7, 0.01, &h, &n, &err);
  CHECK(n == 0, "no words, no match (%zu)", n);
  kuzat_known_match(m, k, NULL, 0, -1, &h, &n, &err);
  CHECK(n == 0, "an empty query matches nothing");
  kuzat_known_free(k);
  /* an empty index */
  CHECK(kuzat_known_new(NULL, NULL, &k, &err) == KUZAT_OK, "an empty index");
  kuzat_known_match(m, k, q, strlen(q), 0.01, &h, &n, &err);
  CHECK(n == 0 && kuzat_known_count(k) == 0, "an empty index matches nothing");
  void *buf;
  size_t len;
  kuzat_known *k2 = NULL;
  CHECK(kuzat_known_save_mem(k, &buf, &len, &err) == KUZAT_OK &&
            kuzat_known_load_mem(buf, len, NULL, &k2, &err) == KUZAT_OK && kuzat_known_count(k2) == 0,
        "an empty index saves and loads: %s", err.msg);
  kuzat_known_buffer_free(buf, NULL);
  kuzat_known_free(k2);
  kuzat_known_free(k);
  /* parameters */
  kuzat_known_params p;
  kuzat_known_params_default(&p);
  p.window = 15;
  CHECK(kuzat_known_new(&p, NULL, &k, &err) == KUZAT_EINVAL && k == NULL && strstr(err.msg, "window"),
        "an odd window is refused: %s", err.msg);
  kuzat_known_params_default(&p);
  p.shingle = 9;
  CHECK(kuzat_known_new(&p, NULL, &k, &err) == KUZAT_EINVAL && strstr(err.msg, "shingle"),
        "shingle 9 is refused: %s", err.msg);
}

/* Saved and loaded, an index matches as before; built in two steps (the
 * second from the file of the first), it is the same bytes as built at
 * once; removing and saving equals never adding. */
static void test_files(kuzat_known_matcher *m) {
  kuzat_error err;
  char dir[] = "/tmp/kuzat-known-XXXXXX", path[256];
  if (!CHECK(mkdtemp(dir) != NULL, "mkdtemp")) return;
  snprintf(path, sizeof path, "%s/k.kzk", dir);
  kuzat_known *all = tiny_index(0, NTINY, NULL), *first = tiny_index(0, 2, NULL), *loaded = NULL;
  void *b1 = NULL, *b2 = NULL;
  size_t n1 = 0, n2 = 0;
  int ok = all && first && kuzat_known_save(first, path, &err) == KUZAT_OK &&
           kuzat_known_load_file(path, NULL, &loaded, &err) == KUZAT_OK;
  if (!CHECK(ok, "save and load: %s", err.msg)) return;
  for (size_t i = 2; i < NTINY; i++)
    kuzat_known_add(loaded, tiny[i][0], strlen(tiny[i][0]), tiny[i][1], strlen(tiny[i][1]),
                    tiny[i][2], strlen(tiny[i][2]), &err);
  kuzat_known_save_mem(all, &b1, &n1, &err);
  kuzat_known_save_mem(loaded, &b2, &n2, &err);
  CHECK(n1 == n2 && n1 > 0 && memcmp(b1, b2, n1) == 0,
        "loaded and added to, an index is byte for byte the one built at once (%zu, %zu bytes)",
        n1, n2);
  CHECK(kuzat_known_find(loaded, "a", 1, NULL) == 1 &&
            kuzat_known_add(loaded, "a", 1, "x", 1, "", 0, &err) == KUZAT_EINVAL,
        "ids of the loaded part stay unique: %s", err.msg);
  kuzat_known_buffer_free(b2, NULL);
  /* the loaded one matches as the built one, field for field */
  const char *q = tiny[0][1];
  const kuzat_known_hit *h;
  size_t n;
  kuzat_known_match(m, loaded, q, strlen(q), -1, &h, &n, &err);
  CHECK(n == 1 && strcmp(h[0].id, "a") == 0 && h[0].similarity == 1 &&
            strcmp(h[0].labels, "propaganda,recruitment") == 0,
        "the loaded index finds a (%zu)", n);
  /* remove c, save: as if c had never been added, but the order of the rest */
  kuzat_known *no_c;
  kuzat_known_new(NULL, NULL, &no_c, &err);
  for (size_t i = 0; i < NTINY; i++)
    if (i != 2)
      kuzat_known_add(no_c, tiny[i][0], strlen(tiny[i][0]), tiny[i][1], strlen(tiny[i][1]),
                      tiny[i][2], strlen(tiny[i][2]), &err);
  kuzat_known_remove(all, "c", 1, &err);
  kuzat_known_buffer_free(b1, NULL);
  kuzat_known_save_mem(all, &b1, &n1, &err);
  kuzat_known_save_mem(no_c, &b2, &n2, &err);
  CHECK(n1 == n2 && memcmp(b1, b2, n1) == 0, "removed and saved: the index without it");
  /* the file's bytes are what save_mem gives */
  kuzat_known_save(no_c, path, &err);
  FILE *f = fopen(path, "rb");
  char *fb = malloc(n2 + 16);
  size_t got = f ? fread(fb, 1, n2 + 16, f) : 0;
  if (f) fclose(f);
  CHECK(got == n2 && memcmp(fb, b2, n2) == 0, "kuzat_known_save() writes the save_mem bytes");
  free(fb);
  /* errors name the file */
  kuzat_known *missing = NULL;
  CHECK(kuzat_known_load_file("/nonexistent/k.kzk", NULL, &missing, &err) == KUZAT_EIO && !missing &&
            strstr(err.msg, "/nonexistent/k.kzk"),
        "a missing file is named: %s", err.msg);
  f = fopen(path, "wb");
  fwrite("not an index at all, just text", 1, 30, f);
  fclose(f);
  kuzat_known *bad = NULL;
  CHECK(kuzat_known_load_file(path, NULL, &bad, &err) == KUZAT_EFORMAT && bad == NULL &&
            strncmp(err.msg, path, strlen(path)) == 0 && strstr(err.msg, "not gzip-compressed"),
        "a file that is no index: %s", err.msg);
  CHECK(kuzat_known_save(no_c, "/nonexistent/dir/k.kzk", &err) == KUZAT_EIO &&
            strstr(err.msg, "cannot write the index"),
        "an unwritable path: %s", err.msg);
  unlink(path);
  rmdir(dir);
  kuzat_known_buffer_free(b1, NULL);
  kuzat_known_buffer_free(b2, NULL);
  kuzat_known_free(no_c);
  kuzat_known_free(loaded);
  kuzat_known_free(first);
  kuzat_known_free(all);
}

/* ---------------------------------------------------------------------- */
/* Threads                                                                  */
/* ---------------------------------------------------------------------- */

#define NTHREADS 8
static kuzat_known *shared_index;
static char **queries;
static size_t nqueries;
static size_t *serial_n;
static char **serial_first; /* id of the best match, or NULL */

typedef struct worker {
  pthread_t th;
  size_t start, mismatches;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  kuzat_known_matcher *m;
  if (kuzat_known_matcher_new(NULL, &m, NULL)) {
    w->mismatches = nqueries;
    return NULL;
  }
  for (size_t j = 0; j < nqueries; j++) {
    size_t i = (w->start + j) % nqueries, n;
    const kuzat_known_hit *h;
    if (kuzat_known_match(m, shared_index, queries[i], strlen(queries[i]), -1, &h, &n, NULL) ||
        n != serial_n[i] || (n && strcmp(h[0].id, serial_first[i]) != 0))
      w->mismatches++;
  }
  kuzat_known_matcher_free(m);
  return NULL;
}

static void test_threads(kuzat_known *k, kuzat_known_matcher *m) {
  sbuf q = {0};
  shared_index = k;
  for (size_t i = 0; i < nrows && nqueries < 400; i += 13) {
    if (rows[i].prop) change_words(&rows[i], &q);
    else sb_put(&q, "", 0), q.len = 0, sb_put(&q, rows[i].text, rows[i].len);
    queries = realloc(queries, (nqueries + 1) * sizeof *queries);
    queries[nqueries++] = strdup(q.p);
  }
  serial_n = calloc(nqueries, sizeof *serial_n);
  serial_first = calloc(nqueries, sizeof *serial_first);
  size_t any = 0;
  for (size_t i = 0; i < nqueries; i++) {
    const kuzat_known_hit *h;
    kuzat_known_match(m, k, queries[i], strlen(queries[i]), -1, &h, &serial_n[i], NULL);
    if (serial_n[i]) serial_first[i] = strdup(h[0].id), any++;
  }
  worker w[NTHREADS];
  for (int t = 0; t < NTHREADS; t++) {
    w[t].start = (size_t)t * 37;
    w[t].mismatches = 0;
    pthread_create(&w[t].th, NULL, work, &w[t]);
  }
  size_t bad = 0;
  for (int t = 0; t < NTHREADS; t++) {
    pthread_join(w[t].th, NULL);
    bad += w[t].mismatches;
  }
  CHECK(bad == 0 && any > 50, "%d threads matching %zu texts (%zu with matches) on one index "
        "agree with one thread (%zu differ)", NTHREADS, nqueries, any, bad);
  for (size_t i = 0; i < nqueries; i++) {
    free(queries[i]);
    free(serial_first[i]);
  }
  free(queries);
  free(serial_first);
  free(serial_n);
  free(q.p);
}

/* ---------------------------------------------------------------------- */
/* Damaged, truncated and newer indexes                                     */
/* ---------------------------------------------------------------------- */

static char msg[512];
static size_t named_wrong; /* messages naming a byte that err->byte_offset does not */
static kuzat_known_matcher *dmg_matcher;

static void set_u32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void fix_crc(unsigned char *p, size_t n) {
  set_u32(p + n - 4, (uint32_t)crc32(0, p, (uInt)(n - 4)));
}
static int has(const char *x) { return strstr(msg, x) != NULL; }
static long named_byte(void) {
  const char *p = strstr(msg, " at byte ");
  return p ? strtol(p + 9, NULL, 10) : -1;
}

/* Load gzip bytes; the status, msg the message. An index that loads must
 * match a text without harm. */
static int load_gz(const unsigned char *p, size_t n) {
  kuzat_known *k = NULL;
  kuzat_error err;
  int rc = kuzat_known_load_mem(p, n, NULL, &k, &err);
  snprintf(msg, sizeof msg, "%s", rc ? err.msg : "");
  if (rc) {
    long at = named_byte();
    if ((at >= 0 && at != err.byte_offset) || err.status != rc) named_wrong++;
    if (k) snprintf(msg, sizeof msg, "*out set on failure"), rc = 99;
    return rc;
  }
  const kuzat_known_hit *h;
  size_t hits;
  if (kuzat_known_match(dmg_matcher, k, tiny[0][1], strlen(tiny[0][1]), 0.01, &h, &hits, &err))
    snprintf(msg, sizeof msg, "a loaded index fails to match: %s", err.msg), rc = 98;
  for (size_t i = 0; i < hits && !rc; i++)
    if (!(h[i].similarity >= 0.01 && h[i].similarity <= 1) || h[i].end > strlen(tiny[0][1]) ||
        h[i].id_len != strlen(h[i].id) || h[i].labels_len != strlen(h[i].labels))
      snprintf(msg, sizeof msg, "a loaded index gives a bad match"), rc = 97;
  kuzat_known_free(k);
  return rc;
}

static int load_raw(const unsigned char *raw, size_t n) {
  size_t zn;
  unsigned char *z = kt_gzip(raw, n, &zn);
  int rc = load_gz(z, zn);
  free(z);
  return rc;
}

/* The uncompressed content of gzip bytes (malloc'ed). */
static unsigned char *gunzip(const unsigned char *p, size_t n, size_t *out) {
  z_stream z;
  memset(&z, 0, sizeof z);
  inflateInit2(&z, 31);
  size_t cap = 1 << 20;
  unsigned char *d = malloc(cap);
  z.next_in = (Bytef *)(uintptr_t)p;
  z.avail_in = (uInt)n;
  z.next_out = d;
  z.avail_out = (uInt)cap;
  inflate(&z, Z_FINISH);
  *out = cap - z.avail_out;
  inflateEnd(&z);
  return d;
}

static void test_damage(void) {
  kuzat_error err;
  kuzat_known *k = tiny_index(0, NTINY, NULL);
  void *gzv = NULL;
  size_t zn = 0, n;
  if (!CHECK(k && kuzat_known_save_mem(k, &gzv, &zn, &err) == KUZAT_OK &&
                 kuzat_known_matcher_new(NULL, &dmg_matcher, &err) == KUZAT_OK,
             "a small index to damage"))
    return;
  unsigned char *gz = gzv, *c = gunzip(gz, zn, &n), *buf = malloc(n + 8);
  CHECK(load_raw(c, n) == KUZAT_OK, "the content loads as it is: %s", msg);
  CHECK(memcmp(c, "KUZATKNW", 8) == 0 && c[8] == 1 && c[12] == KUZAT_NORMALISER_VERSION,
        "magic, format 1, normaliser version");

  /* the gzip file cut at every offset */
  size_t bad = 0;
  for (size_t cut = 0; cut < zn; cut++) {
    int rc = load_gz(gz, cut);
    int ok = rc == KUZAT_EFORMAT &&
             (cut < 18 ? has("not a kuzat index (not gzip-compressed)")
                       : has("index truncated: the gzip stream ends early") || has("index damaged: gzip: "));
    if (!ok && !bad++) CHECK(0, "file cut to %zu of %zu bytes: %d %s", cut, zn, rc, msg);
  }
  CHECK(!bad, "every one of the %zu truncations of the file refused with its reason", zn);

  /* the content cut at every offset, re-compressed: as it stands (the CRC
   * catches it) and under a valid CRC-32 (the bounds checks must) */
  size_t bad_crc = 0;
  bad = 0;
  for (size_t cut = 0; cut < n; cut++) {
    int rc = load_raw(c, cut);
    int ok = cut < 8 ? rc == KUZAT_EFORMAT && has("not a kuzat index (no KUZATKNW magic)")
             : cut < 12 ? rc == KUZAT_EFORMAT && has("index truncated at byte 8: the format version")
             : cut < 16 ? rc == KUZAT_EFORMAT && has("index truncated at byte 12: the CRC-32")
             : rc == KUZAT_EFORMAT && has("index damaged: CRC-32 is ");
    if (!ok && !bad++) CHECK(0, "content cut to %zu: %d %s", cut, rc, msg);
    if (cut + 4 >= n) continue;
    memcpy(buf, c, cut);
    set_u32(buf + cut, (uint32_t)crc32(0, buf, (uInt)cut));
    rc = load_raw(buf, cut + 4);
    long at = named_byte();
    if (cut < 8) ok = rc == KUZAT_EFORMAT && has("not a kuzat index");
    else if (cut < 12) ok = (rc == KUZAT_EFORMAT || rc == KUZAT_EVERSION) && has("format version");
    else ok = rc == KUZAT_EFORMAT && (has("index truncated at byte ") || has("index damaged at byte ")) &&
              at >= 0 && (size_t)at <= cut;
    if (!ok && !bad_crc++) CHECK(0, "content cut to %zu under a valid CRC-32: %d %s", cut, rc, msg);
  }
  CHECK(!bad, "every truncation of the %zu-byte content refused with its reason", n);
  CHECK(!bad_crc, "every truncation under a valid CRC-32 refused, naming a byte within it");

  /* every bit of the content flipped: as it stands, and under a valid CRC */
  size_t loaded = 0, refused = 0;
  bad = bad_crc = 0;
  for (size_t at = 0; at < n; at++)
    for (int bit = 0; bit < 8; bit++) {
      memcpy(buf, c, n);
      buf[at] ^= (unsigned char)(1u << bit);
      int rc = load_raw(buf, n), ok;
      if (at < 8) ok = rc == KUZAT_EFORMAT && has("not a kuzat index");
      else if (at == 8 && bit == 0) ok = rc == KUZAT_EFORMAT && has("index format version 0");
      else if (at < 12) ok = rc == KUZAT_EVERSION && has("is newer than this kuzat reads (1): upgrade kuzat");
      else ok = rc == KUZAT_EFORMAT && has("index damaged: CRC-32 is ");
      if (!ok && !bad++) CHECK(0, "bit %d of content byte %zu: %d %s", bit, at, rc, msg);
      if (at >= n - 4) continue;
      fix_crc(buf, n);
      rc = load_raw(buf, n);
      if (rc == KUZAT_OK) {
        loaded++;
        ok = 1;
      } else {
        refused++;
        if (at < 12) ok = has("not a kuzat index") || has("format version");
        else if (at < 16) ok = rc == KUZAT_EVERSION && has("index built with normaliser version ") &&
                               has("this kuzat has version 1");
        else if (at < 48) ok = rc == KUZAT_EFORMAT && (has("index damaged: parameters: ") ||
                                                       has(" bands of "));
        else ok = rc == KUZAT_EFORMAT && (has("index damaged at byte ") || has("index truncated at byte ") ||
                                          has("bytes after the end") || has("have the same id"));
      }
      if (!ok && !bad_crc++) CHECK(0, "bit %d of byte %zu under a valid CRC-32: %d %s", bit, at, rc, msg);
    }
  CHECK(!bad, "all %zu bit flips of the content refused with their reason", n * 8);
  CHECK(!bad_crc, "bit flips under a valid CRC-32: %zu refused with a reason, %zu load and match",
        refused, loaded);
  printf("info - known: %zu bit flips of the index content under a valid CRC-32: %zu refused with "
         "a reason, %zu load and match\n", refused + loaded + bad_crc, refused, loaded);

  /* a newer format, with and without a valid CRC; another normaliser */
  memcpy(buf, c, n);
  set_u32(buf + 8, 2);
  CHECK(load_raw(buf, n) == KUZAT_EVERSION && has("index format version 2 is newer") && has("upgrade"),
        "a newer format, CRC not fixed: %s", msg);
  fix_crc(buf, n);
  CHECK(load_raw(buf, n) == KUZAT_EVERSION && has("newer"), "a newer format: %s", msg);
  memcpy(buf, c, n);
  set_u32(buf + 12, 99);
  fix_crc(buf, n);
  CHECK(load_raw(buf, n) == KUZAT_EVERSION && has("normaliser version 99") && has("version 1"),
        "another normaliser version, both named: %s", msg);
  /* counts that promise more than is there: refused before allocating */
  memcpy(buf, c, n);
  set_u32(buf + 48, UINT32_MAX);
  fix_crc(buf, n);
  CHECK(load_raw(buf, n) == KUZAT_EFORMAT && has("index damaged at byte 48: 4294967295 documents"),
        "a huge document count: %s", msg);
  memcpy(buf, c, n);
  set_u32(buf + 52, UINT32_MAX / 200);
  fix_crc(buf, n);
  CHECK(load_raw(buf, n) == KUZAT_EFORMAT && has("index damaged at byte 48:"),
        "a huge window count: %s", msg);
  /* two documents with one id */
  memcpy(buf, c, n);
  CHECK(buf[56] == 1 && buf[60] == 'a', "the first id is \"a\" at byte 60");
  size_t second = 60 + 1 + 4 + strlen(tiny[0][2]) + 4; /* the second record */
  CHECK(buf[second] == 1 && buf[second + 4] == 'b', "the second id is \"b\" at byte %zu", second + 4);
  buf[second + 4] = 'a';
  fix_crc(buf, n);
  CHECK(load_raw(buf, n) == KUZAT_EFORMAT && has("documents 0 and 1 have the same id \"a\""),
        "a duplicate id in a file: %s", msg);
  /* bytes after the end */
  memcpy(buf, c, n - 4);
  memset(buf + n - 4, 0, 4);
  fix_crc(buf, n + 4);
  CHECK(load_raw(buf, n + 4) == KUZAT_EFORMAT && has("4 bytes after the end"),
        "bytes after the end: %s", msg);
  CHECK(named_wrong == 0, "every message naming a byte sets err->byte_offset to it (%zu do not)",
        named_wrong);

  /* the damage seeds of the fuzz target: written here, checked in */
  free(buf);
  free(c);
  kuzat_known_buffer_free(gz, NULL);
  kuzat_known_matcher_free(dmg_matcher);
  kuzat_known_free(k);
}

int main(void) {
  load_rows("datasets/kuzat-set/train.tsv");
  load_rows("datasets/kuzat-set/test.tsv");
  if (!CHECK(nrows > 5000, "read datasets/kuzat-set (%zu rows; run from the top directory)", nrows))
    return kt_done();
  kuzat_known_params p;
  kuzat_known_params_default(&p);
  const char *tune = getenv("KUZAT_KNOWN_TUNE"); /* "shingle window threshold" */
  if (tune) sscanf(tune, "%d %d %lf", &p.shingle, &p.window, &p.threshold);
  kuzat_known *k = index_of_propaganda(&p);
  kuzat_known_matcher *m = NULL;
  kuzat_error err;
  if (!CHECK(k && kuzat_known_matcher_new(NULL, &m, &err) == KUZAT_OK, "index and matcher"))
    return kt_done();
  test_api_promises(m);
  test_files(m);
  test_damage();
  test_unrelated_ours(k, m);
  test_targets(k, m);
  test_threads(k, m);
  if (!getenv("KUZAT_KNOWN_FAST")) test_unrelated_shared(k, m);
  kuzat_known_matcher_free(m);
  kuzat_known_free(k);
  free_rows();
  return kt_done();
}
