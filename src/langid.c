/*
 * langid.c -- which language and script is this document?
 *
 * The normaliser needs to know whether a Cyrillic document is Uzbek (to
 * transliterate it to Latin) or Kyrgyz, Tajik or Russian (to leave it), and
 * callers want the language in their output. Two kinds of evidence, both
 * looked at on the first KZ_WINDOW code points of folded text:
 *
 *  1. Alphabets. Each language's alphabet is a set of letters; a letter
 *     outside it is strong evidence against the language: ў is Uzbek,
 *     ҷ ӣ ӯ Tajik, ң ө ү Kyrgyz, қ ғ ҳ Uzbek or Tajik, and a Russian-only
 *     letter (ы, щ) is weak evidence against Uzbek and Tajik, which borrow
 *     Russian words. Letters in none of our alphabets (Ukrainian ї є ґ,
 *     Kazakh ә ұ) make the document "other".
 *  2. A naive Bayes model over character trigrams and whole words, one
 *     per script (the languages of a script in kuzat.h's table form a
 *     group), built from sentences the project wrote for the purpose (the
 *     files in datasets/langid/, compiled in). The normaliser folds them
 *     when it is made and hands them over (kuzat__profile_count()): this
 *     file never calls the normaliser. The model separates languages that
 *     share an alphabet: English from Uzbek Latin, Uzbek Cyrillic without
 *     cue letters from Russian.
 *
 * Arabic and Persian are told apart by the letters folding erases (ي ك ة
 * versus ی ک پ چ ژ گ), counted by the normaliser before it folds.
 *
 * Not done here: anything below document level. A document quoting another
 * language gets the language of most of its letters.
 */
#include "internal.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#define KZ_NL KUZAT_LANG_COUNT
#define KZ_WINDOW 1024   /* code points looked at */
#define KZ_DECISIVE 3000 /* stop scoring when the leader is 30 nats ahead */
#define KZ_SCALE 100.0   /* log probabilities are stored as int16 * 1/100 */
#define KZ_MISS 800      /* 8 nats against a language per letter it lacks */
#define KZ_LOAN 200      /* 2 nats per Russian letter a language borrows */

/* The script of each language (KZ_SC_*), from the table in kuzat.h: the
 * languages of one script form a group, told apart by the profiles. */
static const int lang_script[KZ_NL] = {
#define KZ_LANG_SCRIPT(id, name, script, text) KZ_SC_##script,
    KUZAT_LANG_MAP(KZ_LANG_SCRIPT)
#undef KZ_LANG_SCRIPT
};

/* The profiles of one script's languages, compact so a look-up stays in
 * cache: a table of slots, each a 32-bit fingerprint (0: empty slot) and
 * beside it log P(feature | language) * KZ_SCALE for the group's nl
 * languages, in one row of `stride` int16 (a power of two: at malloc's
 * alignment, and the generated tables' 64 bytes, a row never straddles two
 * cache lines, so a look-up is one memory access, where a table of
 * fingerprints and another of rows made it two). A fingerprint collision
 * merges two features' statistics; for choosing among four languages that
 * costs nothing measurable. The group's type, kz_group, is internal.h's:
 * tools/profile.c writes the tables into build/langid_profile.c. */

static inline uint32_t slot_fp(const int16_t *row) {
  uint32_t f;
  memcpy(&f, row, sizeof f);
  return f;
}

struct kz_profile {
  size_t cap;       /* while building: slots of keys */
  uint64_t *keys;   /* while building: 0 marks an empty slot */
  uint32_t *counts; /* while building: cap * KZ_NL */
  size_t used;      /* while building: keys in use */
  kz_profile_tables t;
  const kz_profile_tables *tables; /* &t, or the ones borrowed */
};

/* Spread a feature key over 64 bits: slot from the low bits, fingerprint
 * from the high ones. One multiply is enough for a hash table. */
static inline uint64_t mix64(uint64_t k) {
  k ^= k >> 29;
  k *= 0xBF58476D1CE4E5B9ull;
  return k ^ (k >> 32);
}

static uint64_t tri_key(int32_t a, int32_t b, int32_t c) {
  return ((uint64_t)(uint32_t)a << 42) | ((uint64_t)(uint32_t)b << 21) |
         (uint64_t)(uint32_t)c;
}

static size_t slot_of(const kz_profile *p, uint64_t key) {
  size_t mask = p->cap - 1;
  size_t h = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & mask;
  while (p->keys[h] && p->keys[h] != key) h = (h + 1) & mask;
  return h;
}

/* Calls fn(ctx, key) for each feature of folded text: every character
 * trigram, where letters and marks are kept, every run of other characters
 * is one space, and the text is padded with a space at each end so word
 * starts and ends are trigrams; and every whole word, whose key has bit 63
 * set (trigram keys use bits 0-62). Whole words separate short texts that
 * share most trigrams: Uzbek "мен" and Tajik "ман". */
typedef int (*tri_fn)(void *ctx, uint64_t key); /* non-zero: stop */

/* Features made only of letters of `script` (and spaces, ʻ, ʼ) are passed
 * to fn; KZ_SC_NONE passes them all. */
static inline void trigrams(const int32_t *cp, size_t n, int script, tri_fn fn, void *ctx) {
  int32_t a = ' ', b = ' ';
  int have = 1;      /* characters in the current (a, b) history */
  unsigned bad = 0;  /* bit k: the character k places back is off-script */
  int word_bad = 0;
  uint64_t word = 0xCBF29CE484222325ull; /* FNV-1a of the current word */
  for (size_t i = 0; i <= n; i++) {
    int32_t c = ' ';
    int off = 0;
    if (i < n) {
      int sc = kuzat__script(cp[i]);
      if (sc != KZ_SC_NONE) {
        c = cp[i];
        off = script != KZ_SC_NONE && sc != script;
      } else if (cp[i] == 0x2BB || cp[i] == 0x2BC || kuzat__is_word_char(cp[i])) {
        c = cp[i];
      }
    }
    if (c == ' ' && b == ' ') continue;
    bad = ((bad << 1) | (unsigned)off) & 7u;
    if (have >= 2 && !bad && fn(ctx, tri_key(a, b, c))) return;
    if (c != ' ') {
      word = (word ^ (uint64_t)(uint32_t)c) * 0x100000001B3ull;
      word_bad |= off;
    } else {
      if (!word_bad && fn(ctx, word | (1ull << 63))) return;
      word = 0xCBF29CE484222325ull;
      word_bad = 0;
    }
    a = b;
    b = c;
    have++;
  }
}

/* ---- building ---- */

typedef struct build_ctx {
  kz_profile *p;
  const kz_alloc *al;
  int lang;
  int failed;
} build_ctx;

static int rehash(build_ctx *b) {
  kz_profile *p = b->p;
  size_t ocap = p->cap, ncap = ocap * 2;
  uint64_t *ok = p->keys;
  uint32_t *oc = p->counts;
  uint64_t *nk = kuzat__calloc(b->al, ncap, sizeof *nk);
  uint32_t *nc = kuzat__calloc(b->al, ncap * KZ_NL, sizeof *nc);
  if (!nk || !nc) {
    kuzat__free(b->al, nk);
    kuzat__free(b->al, nc);
    return KUZAT_ENOMEM;
  }
  p->keys = nk;
  p->cap = ncap;
  for (size_t i = 0; i < ocap; i++) {
    if (!ok[i]) continue;
    size_t s = slot_of(p, ok[i]);
    nk[s] = ok[i];
    memcpy(nc + s * KZ_NL, oc + i * KZ_NL, KZ_NL * sizeof *nc);
  }
  p->counts = nc;
  kuzat__free(b->al, ok);
  kuzat__free(b->al, oc);
  return KUZAT_OK;
}

static int count_tri(void *ctx, uint64_t key) {
  build_ctx *b = ctx;
  if ((b->p->used + 1) * 10 > b->p->cap * 7 && rehash(b)) {
    b->failed = 1;
    return 1;
  }
  size_t s = slot_of(b->p, key);
  if (!b->p->keys[s]) {
    b->p->keys[s] = key;
    b->p->used++;
  }
  b->p->counts[s * KZ_NL + (size_t)b->lang]++;
  return 0;
}

void kuzat__profile_free(const kz_alloc *a, kz_profile *p) {
  if (!p) return;
  kuzat__free(a, p->keys);
  kuzat__free(a, p->counts);
  if (p->tables == &p->t) /* built here, not borrowed */
    for (int g = 0; g < KZ_SC_COUNT; g++) kuzat__free(a, (void *)(uintptr_t)p->t.g[g].slot);
  kuzat__free(a, p);
}

int kuzat__profile_borrow(const kz_alloc *a, const kz_profile_tables *t, kz_profile **out) {
  kz_profile *p = kuzat__calloc(a, 1, sizeof *p);
  *out = p;
  if (!p) return KUZAT_ENOMEM;
  p->tables = t;
  return KUZAT_OK;
}

const kz_profile_tables *kuzat__profile_tables(const kz_profile *p) { return p->tables; }

/* Build one group's table from the counts of its languages. */
static int finish_group(kz_profile *p, const kz_alloc *al, kz_group *g, const int *langs,
                        int nl) {
  double total[KZ_NL] = {0}, denom[KZ_NL];
  size_t used = 0;
  g->nl = nl;
  for (size_t i = 0; i < p->cap; i++) {
    if (!p->keys[i]) continue;
    int any = 0;
    for (int l = 0; l < nl; l++) {
      uint32_t c = p->counts[i * KZ_NL + (size_t)langs[l]];
      total[l] += c;
      any |= c != 0;
    }
    used += (size_t)any;
  }
  g->cap = 1024;
  while (g->cap < used * 2) g->cap *= 2;
  g->stride = 4;
  while (g->stride < 2 + (size_t)nl) g->stride *= 2;
  int16_t *slot = kuzat__calloc(al, g->cap * g->stride, sizeof *slot);
  g->slot = slot;
  if (!slot) return KUZAT_ENOMEM;
  for (int l = 0; l < nl; l++) {
    g->lang[l] = langs[l];
    p->t.has[langs[l]] = total[l] > 0;
    denom[l] = total[l] + 0.5 * (double)used;
    g->unseen[l] = (int16_t)lrint(log(0.5 / denom[l]) * KZ_SCALE);
  }
  for (size_t i = 0; i < p->cap; i++) {
    if (!p->keys[i]) continue;
    int any = 0;
    for (int l = 0; l < nl; l++) any |= p->counts[i * KZ_NL + (size_t)langs[l]] != 0;
    if (!any) continue;
    uint64_t h = mix64(p->keys[i]);
    uint32_t fp = (uint32_t)(h >> 32) | 1u;
    size_t s = (size_t)h & (g->cap - 1);
    while (slot_fp(slot + s * g->stride) && slot_fp(slot + s * g->stride) != fp)
      s = (s + 1) & (g->cap - 1);
    /* a colliding fingerprint adds to the same slot below */
    memcpy(slot + s * g->stride, &fp, sizeof fp);
    for (int l = 0; l < nl; l++) {
      double c = p->counts[i * KZ_NL + (size_t)langs[l]] + 0.5;
      slot[s * g->stride + 2 + (size_t)l] = (int16_t)lrint(log(c / denom[l]) * KZ_SCALE);
    }
  }
  return KUZAT_OK;
}

int kuzat__profile_new(const kz_alloc *a, kz_profile **out) {
  kz_profile *p = kuzat__calloc(a, 1, sizeof *p);
  *out = NULL;
  if (!p) return KUZAT_ENOMEM;
  p->tables = &p->t;
  p->cap = 8192;
  p->keys = kuzat__calloc(a, p->cap, sizeof *p->keys);
  p->counts = kuzat__calloc(a, p->cap * KZ_NL, sizeof *p->counts);
  if (!p->keys || !p->counts) {
    kuzat__profile_free(a, p);
    return KUZAT_ENOMEM;
  }
  *out = p;
  return KUZAT_OK;
}

int kuzat__profile_count(kz_profile *p, const kz_alloc *a, int lang, const int32_t *cp,
                         size_t n) {
  build_ctx b = {p, a, lang, 0};
  trigrams(cp, n, KZ_SC_NONE, count_tri, &b);
  return b.failed ? KUZAT_ENOMEM : KUZAT_OK;
}

/* One group per script that has languages, its columns in kuzat_lang
 * order; then the counts are no longer needed. */
int kuzat__profile_finish(kz_profile *p, const kz_alloc *a) {
  for (int s = KZ_SC_NONE + 1; s < KZ_SC_COUNT; s++) {
    int langs[KZ_NL], nl = 0;
    for (int l = KUZAT_LANG_OTHER + 1; l < KZ_NL; l++)
      if (lang_script[l] == s) langs[nl++] = l;
    if (nl && finish_group(p, a, &p->t.g[s], langs, nl)) return KUZAT_ENOMEM;
  }
  kuzat__free(a, p->keys); /* the groups have what they need */
  kuzat__free(a, p->counts);
  p->keys = NULL;
  p->counts = NULL;
  return KUZAT_OK;
}

/* ---- scoring ---- */

/* Features are looked up eight at a time, each slot prefetched as its
 * feature arrives, so the cache misses of a batch overlap; the leader is
 * checked after each batch of eight, which is when a feature-at-a-time
 * loop would check it too, so the answer is the same. */
#define KZ_BATCH 8

typedef struct score_ctx {
  const kz_group *g;
  int32_t score[KZ_NL]; /* per column of g: log-likelihood * KZ_SCALE */
  int nb;               /* features waiting in the batch */
  uint64_t h[KZ_BATCH]; /* their mixed keys */
} score_ctx;

static inline const int16_t *lookup(const kz_group *g, uint64_t h) {
  uint32_t fp = (uint32_t)(h >> 32) | 1u;
  size_t mask = g->cap - 1, s = (size_t)h & mask;
  for (;;) {
    const int16_t *row = g->slot + s * g->stride;
    uint32_t f = slot_fp(row);
    if (f == fp) return row + 2;
    if (!f) return g->unseen;
    s = (s + 1) & mask;
  }
}

/* Is the leader so far ahead that more text cannot change the answer? */
static int decided(const score_ctx *sc) {
  int32_t best = INT32_MIN, second = INT32_MIN;
  for (int i = 0; i < sc->g->nl; i++) {
    int32_t v = sc->score[i];
    if (v > best) {
      second = best;
      best = v;
    } else if (v > second) {
      second = v;
    }
  }
  return second != INT32_MIN && best - second > KZ_DECISIVE;
}

/* The waiting features' log probabilities into the scores. */
static void score_batch(score_ctx *sc) {
  const kz_group *g = sc->g;
  for (int k = 0; k < sc->nb; k++) {
    const int16_t *lp = lookup(g, sc->h[k]);
    for (int i = 0; i < g->nl; i++) sc->score[i] += lp[i];
  }
  sc->nb = 0;
}

static inline int score_tri(void *ctx, uint64_t key) {
  score_ctx *sc = ctx;
  const uint64_t h = mix64(key);
#if defined(__GNUC__)
  __builtin_prefetch(sc->g->slot + (h & (sc->g->cap - 1)) * sc->g->stride);
#endif
  sc->h[sc->nb++] = h;
  if (sc->nb < KZ_BATCH) return 0;
  score_batch(sc);
  return decided(sc);
}

/* Evidence from one Cyrillic letter against each candidate language. */
static void cyrillic_letter(int32_t c, int32_t *s, size_t *foreign) {
  switch (c) {
  case 0x45E: /* ў */
    s[KUZAT_LANG_TG] -= KZ_MISS; s[KUZAT_LANG_KY] -= KZ_MISS;
    s[KUZAT_LANG_RU] -= KZ_MISS; return;
  case 0x4B7: case 0x4E3: case 0x4EF: /* ҷ ӣ ӯ */
    s[KUZAT_LANG_UZ_CYRL] -= KZ_MISS; s[KUZAT_LANG_KY] -= KZ_MISS;
    s[KUZAT_LANG_RU] -= KZ_MISS; return;
  case 0x49B: case 0x493: case 0x4B3: /* қ ғ ҳ */
    s[KUZAT_LANG_KY] -= KZ_MISS; s[KUZAT_LANG_RU] -= KZ_MISS; return;
  case 0x4A3: case 0x4E9: case 0x4AF: /* ң ө ү */
    s[KUZAT_LANG_UZ_CYRL] -= KZ_MISS; s[KUZAT_LANG_TG] -= KZ_MISS;
    s[KUZAT_LANG_RU] -= KZ_MISS; return;
  case 0x44B: case 0x449: /* ы щ: Russian letters Uzbek and Tajik borrow */
    s[KUZAT_LANG_UZ_CYRL] -= KZ_LOAN; s[KUZAT_LANG_TG] -= KZ_LOAN; return;
  case 0x446: case 0x44C: /* ц ь: not in the Tajik alphabet */
    s[KUZAT_LANG_TG] -= KZ_LOAN; return;
  }
  if (!((c >= 0x430 && c <= 0x44F) || c == 0x451)) (*foreign)++;
}

int kuzat__langid(const kz_profile *p, const int32_t *cp, size_t n,
                  const kz_langstats *st, int *script) {
  size_t w = n < KZ_WINDOW ? n : KZ_WINDOW;
  const size_t *cnt = st->script;
  int best = KZ_SC_LATIN;
  for (int s = KZ_SC_CYRILLIC; s < KZ_SC_COUNT; s++)
    if (cnt[s] > cnt[best]) best = s;
  *script = cnt[best] ? best : KZ_SC_NONE;
  if (!cnt[best]) return KUZAT_LANG_OTHER;

  /* letters of the window that only some alphabets have */
  size_t foreign = 0, uz_apos = 0, letters = 0;
  int32_t pen[KZ_NL] = {0}; /* evidence from letters, per language */
  if (best == KZ_SC_CYRILLIC) {
    for (size_t i = 0; i < w; i++)
      if (cp[i] >= 0x400 && cp[i] <= 0x52F) {
        letters++;
        if (cp[i] < 0x430 || cp[i] > 0x44F) cyrillic_letter(cp[i], pen, &foreign);
        else if (cp[i] == 0x44B || cp[i] == 0x449 || cp[i] == 0x446 || cp[i] == 0x44C)
          cyrillic_letter(cp[i], pen, &foreign);
      }
  } else if (best == KZ_SC_LATIN) {
    for (size_t i = 0; i < w; i++) {
      if (cp[i] < 0x80) {
        letters += (uint32_t)(cp[i] - 'a') < 26u;
      } else if (cp[i] == 0x2BB) {
        if (i && (cp[i - 1] == 'o' || cp[i - 1] == 'g')) uz_apos++;
      } else if (kuzat__script(cp[i]) == KZ_SC_LATIN) {
        letters++;
        foreign++;
      }
    }
  }
  int group;
  switch (best) {
  case KZ_SC_CYRILLIC:
    if (foreign * 50 >= letters && foreign >= 2) return KUZAT_LANG_OTHER;
    group = KZ_SC_CYRILLIC;
    break;
  case KZ_SC_LATIN:
    /* Turkish, Azeri, German, French...: letters our two Latin languages
     * do not write, 5% of letters or more (an English text may quote a
     * café or a résumé) */
    foreign += st->latin_marked;
    if (foreign * 20 >= cnt[best] && foreign >= 3) return KUZAT_LANG_OTHER;
    pen[KUZAT_LANG_EN] -= KZ_MISS * (int32_t)(uz_apos < 1000 ? uz_apos : 1000);
    group = KZ_SC_LATIN;
    break;
  case KZ_SC_ARABIC:
    if (st->ur_cue > st->fa_cue && st->ur_cue > st->ar_cue)
      return KUZAT_LANG_OTHER;
    /* پ چ ژ گ are Persian letters; ی ک versus ي ك is often only the
     * writer's keyboard, so it counts less; ة is Arabic */
    pen[KUZAT_LANG_FA] += (int32_t)(KZ_MISS * (st->fa_letter < 100 ? st->fa_letter : 100));
    pen[KUZAT_LANG_FA] += (int32_t)(KZ_LOAN * (st->fa_cue < 100 ? st->fa_cue : 100));
    pen[KUZAT_LANG_AR] += (int32_t)(KZ_LOAN * (st->ar_cue < 100 ? st->ar_cue : 100));
    group = KZ_SC_ARABIC;
    break;
  default:
    return KUZAT_LANG_OTHER;
  }
  score_ctx sc = {0};
  sc.g = &p->tables->g[group];
  for (int i = 0; i < sc.g->nl; i++) sc.score[i] = pen[sc.g->lang[i]];
  if (!decided(&sc)) {
    trigrams(cp, w, best, score_tri, &sc);
    score_batch(&sc); /* the last, partial batch: no check after it */
  }
  int lang = KUZAT_LANG_OTHER;
  int32_t top = INT32_MIN;
  for (int i = 0; i < sc.g->nl; i++) {
    if (!p->tables->has[sc.g->lang[i]] || sc.score[i] <= top) continue;
    top = sc.score[i];
    lang = sc.g->lang[i];
  }
  return lang;
}

/* ---- names ---- */

static const char *const lang_names[KZ_NL] = {
#define KZ_LANG_NAME(id, name, script, text) name,
    KUZAT_LANG_MAP(KZ_LANG_NAME)
#undef KZ_LANG_NAME
};

const char *kuzat_lang_name(int lang) {
  return lang >= 0 && lang < KZ_NL ? lang_names[lang] : "other";
}

int kuzat_lang_from_name(const char *name, size_t len) {
  if (!name) return -1;
  for (int l = 0; l < KZ_NL; l++)
    if (strlen(lang_names[l]) == len && memcmp(lang_names[l], name, len) == 0)
      return l;
  return -1;
}
