/*
 * score.h -- the scorer's insides, shared by score.c (windows, segments,
 * probabilities) and explain.c (explanations). Private to the library.
 */
#ifndef KUZAT_SCORE_H
#define KUZAT_SCORE_H

#include "internal.h"

struct kuzat_scorer {
  kz_alloc a;
  const kuzat_model *m;
  size_t nm;
  size_t decision; /* the marker named "propaganda", or nm: none */
  kuzat_normaliser *norm;
  kuzat_featuriser *feat;
  kuzat_result res;
  kuzat_text t;
  int t_ok; /* t is the last kuzat_score()'s, which succeeded */
  /* per marker */
  double *prob, *dec, *thr, *tmp;
  size_t *best, *explain_len;
  int *flagged;
  const kuzat_contribution **explain;
  /* per window and per segment */
  kuzat_window *win;
  size_t win_cap;
  double *wprob, *sprob;
  size_t wprob_cap, sprob_cap;
  size_t *seg_lo, *seg_hi; /* normalised byte range of each segment */
  size_t seg_lo_cap, seg_hi_cap;
  /* explanations: markers * K contributions, their n-grams, n-gram bytes */
  kuzat_contribution *con;
  size_t con_cap;
  struct kz_gram {
    size_t owner; /* index into con */
    kuzat_ngram g;
    size_t text_off; /* into arena */
  } *gram;
  size_t gram_cap, ngram;
  kuzat_ngram *gout;
  size_t gout_cap;
  char *arena;
  size_t arena_cap, arena_len;
  /* word parts: the window's hashes, its word tokens, their parts */
  struct kz_hb {
    uint64_t hash;
    uint32_t bucket; /* 0-based */
  } *hv;
  size_t hv_cap, nhv;
  double *hval; /* per distinct hash (sorted hv): its part per occurrence */
  size_t hval_cap;
  kuzat_token *tok;
  size_t tok_cap;
  size_t *word; /* token indices of the words */
  size_t word_cap, nword;
  double *wpart;
  size_t *wcount;
  size_t wpart_cap, wcount_cap;
  kuzat_word_part *wp; /* markers * K */
  size_t wp_cap;
  const kuzat_word_part **wp_ptr;
  size_t *wp_len;
};

/* Source bytes [*start, *end) of normalised bytes [lo, hi). Inline: both
 * files use it, and explain.c calls nothing of score.c's. */
static inline void kuzat__src_range(const kuzat_scorer *s, size_t lo, size_t hi,
                                    size_t *start, size_t *end) {
  if (!s->t.src_start || lo >= hi || lo >= s->t.len) {
    *start = *end = s->t.src_start && lo < s->t.len ? s->t.src_start[lo] : 0;
    return;
  }
  *start = s->t.src_start[lo];
  *end = s->t.src_end[hi - 1];
}

/* Marker i's K largest contributions in normalised bytes [lo, hi) into
 * s->explain[i] (linear markers). KUZAT_OK or a status with err set. */
int kuzat__explain_marker(kuzat_scorer *s, size_t i, size_t lo, size_t hi, size_t K,
                          kuzat_error *err);

/* Marker i's K words with the largest parts in [lo, hi) into s->wp_ptr[i].
 * 0, or not 0 when out of memory. */
int kuzat__explain_words(kuzat_scorer *s, size_t i, size_t lo, size_t hi, size_t K);

/* Point every contribution at its n-grams (after all markers are
 * explained: the arrays have stopped moving). 0, or KUZAT_ENOMEM. */
int kuzat__link_grams(kuzat_scorer *s);

#endif
