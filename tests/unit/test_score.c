/*
 * test_score.c -- kuzat_score(): documents, transcripts, windows,
 * explanations and parameters (allocation failures: test_api.c), on a
 * model trained here from tests/data/classify/train.tsv (sentences
 * written for the tests).
 */
#include "check.h"
#include "helpers.h"
#include "kuzat.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static kuzat_model *model;

/* The probability of a text scored by hand: normalise, featurise, decide. */
static double by_hand(const char *text) {
  kuzat_normaliser *n;
  kuzat_featuriser *f;
  kuzat_feature_params fp;
  kuzat_model_feature_params(model, &fp);
  kuzat_normaliser_new(NULL, &n, NULL);
  kuzat_featuriser_new(&fp, NULL, &f, NULL);
  kuzat_text t;
  const kuzat_feature *x;
  size_t cnt;
  double dec[8];
  kuzat_normalise(n, text, strlen(text), 0, &t, NULL);
  kuzat_featurise(f, t.utf8, t.len, &x, &cnt, NULL);
  kuzat_model_decision(model, x, dec, NULL);
  double p = kuzat_model_probability(model, 0, dec[0]);
  kuzat_featuriser_free(f);
  kuzat_normaliser_free(n);
  return p;
}

static const char *benign[] = {
    "Bugun bozorda non narxi oshdi", "Ertaga havo bulutli boʻladi",
    "Qizim universitetga hujjat topshirdi", "Kecha qoʻshnimiz toʻy qildi",
    "Avtobus bugun kechikib keldi", "Choyxonada osh juda mazali edi",
    "Bahorda daraxtlar gullaydi", "Dadam bogʻda olma terdi",
    "Kutubxonada yangi kitoblar bor", "Shanba kuni futbol oʻynaymiz",
    "Onam pishiriq pishirdi", "Bozor yakshanba kuni ochiq"};
static const char *bad = "Birodarlar, hijratga shoshiling, safimizga qoʻshiling, bayʼat qiling";

static void test_document(kuzat_scorer *s) {
  const kuzat_result *r;
  kuzat_error err;
  int rc = kuzat_score(s, bad, strlen(bad), NULL, 0, NULL, &r, &err);
  if (!CHECK(rc == KUZAT_OK, "score a document: %s", err.msg)) return;
  CHECK(r->markers == 1 && r->windows == 1 && r->segments == 0, "one window, no segments");
  CHECK(fabs(r->prob[0] - by_hand(bad)) < 1e-12, "the scorer's probability %.15g is "
        "normalise + featurise + decision by hand %.15g", r->prob[0], by_hand(bad));
  CHECK(r->flagged[0] && r->any_flagged && r->score == r->prob[0],
        "a call to hijra and bay'ah is flagged (p=%.3f, threshold %.3f)", r->prob[0],
        r->threshold[0]);
  CHECK(r->lang == KUZAT_LANG_UZ_LATN, "language uz-Latn, got %s", kuzat_lang_name(r->lang));
  CHECK(r->window[0].src_start == 0 && r->window[0].src_end == strlen(bad),
        "the window covers the text");
  rc = kuzat_score(s, benign[0], strlen(benign[0]), NULL, 0, NULL, &r, &err);
  CHECK(rc == KUZAT_OK && !r->flagged[0] && !r->any_flagged,
        "market prices are not flagged (p=%.3f)", r->prob[0]);
  rc = kuzat_score(s, "", 0, NULL, 0, NULL, &r, &err);
  CHECK(rc == KUZAT_OK && r->windows == 1 && r->prob[0] >= 0 && r->prob[0] <= 1,
        "an empty text scores (its probability is the model's prior)");
  kuzat_score_params p;
  kuzat_score_params_default(&p);
  p.threshold = 0;
  rc = kuzat_score(s, benign[0], strlen(benign[0]), NULL, 0, &p, &r, &err);
  CHECK(rc == KUZAT_OK && r->flagged[0] && r->threshold[0] == 0, "threshold 0 flags everything");
  p.threshold = 1;
  rc = kuzat_score(s, bad, strlen(bad), NULL, 0, &p, &r, &err);
  CHECK(rc == KUZAT_OK && !r->flagged[0], "threshold 1 flags nothing below certainty");
}

/* A transcript of benign cues with one pitch at cue 7. */
static void test_transcript(kuzat_scorer *s) {
  enum { N = 12, BAD = 7 };
  char text[4096];
  kuzat_segment seg[N];
  size_t len = 0;
  for (int i = 0; i < N; i++) {
    const char *t = i == BAD ? bad : benign[i];
    if (i) text[len++] = '\n';
    seg[i].start = 10.0 * i;
    seg[i].end = 10.0 * i + 9.5;
    seg[i].off = len;
    seg[i].len = strlen(t);
    memcpy(text + len, t, seg[i].len);
    len += seg[i].len;
  }
  const kuzat_result *r;
  kuzat_error err;
  kuzat_score_params p;
  kuzat_score_params_default(&p);
  p.window = 3;
  int rc = kuzat_score(s, text, len, seg, N, &p, &r, &err);
  if (!CHECK(rc == KUZAT_OK, "score a transcript: %s", err.msg)) return;
  CHECK(r->segments == N && r->windows == (N - 3 + 1) + N,
        "%zu segments, %zu windows: the runs of 3, then each segment alone", r->segments,
        r->windows);
  int layout = 1;
  for (size_t k = 0; k < r->windows; k++)
    layout &= k < N - 2 ? r->window[k].first == k && r->window[k].last == k + 2
                        : r->window[k].first == k - (N - 2) && r->window[k].last == k - (N - 2);
  CHECK(layout, "the windows are the runs in order, then the segments in order");
  size_t worst = 0;
  for (size_t i = 1; i < N; i++)
    if (r->segment_prob[i] > r->segment_prob[worst]) worst = i;
  CHECK(worst == BAD, "the worst segment is the pitch (cue %d), got cue %zu", BAD, worst);
  CHECK(fabs(r->segment_prob[BAD] - by_hand(bad)) < 1e-9,
        "a segment scores as the same text alone (%.12g vs %.12g)", r->segment_prob[BAD],
        by_hand(bad));
  const kuzat_window *w = &r->window[r->best[0]];
  CHECK(w->first <= BAD && BAD <= w->last && (w->last - w->first == 2 || w->first == w->last),
        "the worst window (%zu..%zu) holds the pitch", w->first, w->last);
  CHECK(w->src_start == seg[w->first].off && w->src_end == seg[w->last].off + seg[w->last].len,
        "the window's bytes are its segments'");
  double mx = 0;
  for (size_t k = 0; k < r->windows; k++) mx = fmax(mx, r->window_prob[k]);
  CHECK(r->prob[0] == mx, "the document's probability is the worst window's");
  CHECK(r->flagged[0], "the transcript is flagged by its worst window (p=%.3f)", r->prob[0]);
  double alone[N]; /* each segment scored on its own, with windows of 3 */
  for (int i = 0; i < N; i++) alone[i] = r->segment_prob[i];
  /* the whole transcript as one window is diluted; the segments alone,
   * scored beside it, are not */
  p.window = N;
  rc = kuzat_score(s, text, len, seg, N, &p, &r, &err);
  double whole = r->window_prob[0];
  CHECK(rc == KUZAT_OK && r->windows == 1 + N && whole < alone[BAD] &&
        fabs(r->prob[0] - alone[BAD]) < 1e-12,
        "a window of all %d segments dilutes the pitch (%.3f < %.3f), the document keeps the "
        "pitch's own score (%.3f)", N, whole, alone[BAD], r->prob[0]);
  p.window = 1;
  rc |= kuzat_score(s, text, len, seg, N, &p, &r, &err);
  CHECK(rc == KUZAT_OK && r->windows == N && r->prob[0] > whole,
        "one-segment windows score the pitch higher (%.3f) than the whole transcript (%.3f)",
        r->prob[0], whole);
  int same = 1;
  for (int i = 0; i < N; i++)
    same &= r->segment_prob[i] == alone[i] && r->window_prob[i] == alone[i];
  CHECK(same, "with one-segment windows, each segment's and window's probability is the "
        "segment's own");
  p.window = 100; /* more than there are segments: one window of all */
  rc = kuzat_score(s, text, len, seg, N, &p, &r, &err);
  CHECK(rc == KUZAT_OK && r->windows == 1 + N && fabs(r->window_prob[0] - whole) < 1e-12,
        "a window longer than the transcript is the whole transcript (and the segments alone)");
  /* bad segments */
  kuzat_segment rev[2] = {seg[1], seg[0]};
  CHECK(kuzat_score(s, text, len, rev, 2, NULL, &r, &err) == KUZAT_EINVAL,
        "segments out of order are refused");
  kuzat_segment out = {0, 1, len - 2, 5};
  CHECK(kuzat_score(s, text, len, &out, 1, NULL, &r, &err) == KUZAT_EINVAL,
        "a segment past the text is refused");
}

/* Plain text longer than a window: the pitch in the middle of 20 KB. */
static void test_long_text(kuzat_scorer *s) {
  size_t cap = 40000, len = 0, bad_at = 0;
  char *text = malloc(cap);
  for (int i = 0; len < 20000; i++) {
    const char *t = benign[i % 12];
    if (i == 200) {
      bad_at = len;
      t = bad;
    }
    size_t n = strlen(t);
    memcpy(text + len, t, n);
    len += n;
    text[len++] = '.';
    text[len++] = ' ';
  }
  const kuzat_result *r;
  kuzat_error err;
  kuzat_score_params p;
  kuzat_score_params_default(&p);
  p.window_bytes = 400;
  int rc = kuzat_score(s, text, len, NULL, 0, &p, &r, &err);
  if (CHECK(rc == KUZAT_OK && r->windows > 80, "20 KB in windows of 400 bytes: %zu windows",
            r->windows)) {
    const kuzat_window *w = &r->window[r->best[0]];
    CHECK(w->src_start <= bad_at && bad_at + strlen(bad) <= w->src_end,
          "the worst window [%zu, %zu) holds the pitch at %zu", w->src_start, w->src_end,
          bad_at);
    double windowed = r->prob[0];
    kuzat_score_params one = p;
    one.window_bytes = 1u << 30;
    rc = kuzat_score(s, text, len, NULL, 0, &one, &r, &err);
    CHECK(rc == KUZAT_OK && r->windows == 1 && windowed > r->prob[0] + 0.2,
          "windows find the pitch (p=%.3f) that one window of 20 KB dilutes (p=%.3f)",
          windowed, r->prob[0]);
    rc = kuzat_score(s, text, len, NULL, 0, &p, &r, &err);
    int covered = r->window[0].src_start == 0 && r->window[r->windows - 1].src_end == len;
    for (size_t k = 1; k < r->windows; k++)
      covered &= r->window[k].src_start < r->window[k - 1].src_end &&
                 r->window[k].src_start > r->window[k - 1].src_start;
    CHECK(covered, "windows overlap, advance, and cover the text");
  }
  p.window_bytes = 10;
  CHECK(kuzat_score(s, text, len, NULL, 0, &p, &r, &err) == KUZAT_EINVAL,
        "window_bytes below 64 is refused");
  free(text);
}

static void test_explain(kuzat_scorer *s) {
  /* upper case, an apostrophe variant and a soft hyphen: spans must point
   * at the original bytes */
  const char *text = "BIRODARLAR, hij\xC2\xADratga shoshiling va safimizga qo'shiling!";
  const kuzat_result *r;
  kuzat_error err;
  kuzat_score_params p;
  kuzat_score_params_default(&p);
  p.explain = 1000; /* every feature */
  int rc = kuzat_score(s, text, strlen(text), NULL, 0, &p, &r, &err);
  if (!CHECK(rc == KUZAT_OK && r->explain && r->explain_len[0] > 10, "explain: %s", err.msg))
    return;
  double sum = 0;
  int sorted = 1, spans = 1, words = 0;
  kuzat_normaliser *n;
  kuzat_normaliser_new(NULL, &n, NULL);
  for (size_t k = 0; k < r->explain_len[0]; k++) {
    const kuzat_contribution *c = &r->explain[0][k];
    sum += c->value;
    if (k && fabs(c->value) > fabs(r->explain[0][k - 1].value)) sorted = 0;
    if (c->ngrams_len < 1) spans = 0;
    for (size_t g = 0; g < c->ngrams_len; g++) {
      const kuzat_ngram *ng = &c->ngrams[g];
      if (ng->src_end <= ng->src_start || ng->src_end > strlen(text)) spans = 0;
      if (ng->ns != KUZAT_NS_WORD) continue;
      kuzat_text t;
      kuzat_normalise(n, text + ng->src_start, ng->src_end - ng->src_start, 0, &t, NULL);
      if (t.len != ng->len || memcmp(t.utf8, ng->text, t.len) != 0) {
        spans = 0;
        printf("# word %.*s maps to '%.*s'\n", (int)ng->len, ng->text,
               (int)(ng->src_end - ng->src_start), text + ng->src_start);
      }
      words++;
    }
  }
  kuzat_normaliser_free(n);
  kuzat_feature_params fp;
  kuzat_model_feature_params(model, &fp);
  (void)fp;
  /* bias: the decision of an empty text */
  double dec = r->decision[0];
  const kuzat_result *e;
  kuzat_scorer *s2;
  kuzat_scorer_new(model, NULL, &s2, NULL);
  kuzat_score(s2, "", 0, NULL, 0, NULL, &e, NULL);
  double bias = e->decision[0];
  kuzat_scorer_free(s2);
  CHECK(fabs(sum + bias - dec) < 1e-9, "all contributions plus the bias make the decision "
        "value (%.12g + %.12g vs %.12g)", sum, bias, dec);
  CHECK(sorted, "contributions come largest first");
  /* word parts: they too add up to the decision value */
  double wsum = 0;
  int wsorted = 1, wspans = 1;
  kuzat_normaliser *n2;
  kuzat_normaliser_new(NULL, &n2, NULL);
  for (size_t k = 0; k < r->explain_words_len[0]; k++) {
    const kuzat_word_part *w = &r->explain_words[0][k];
    wsum += w->value;
    if (k && fabs(w->value) > fabs(r->explain_words[0][k - 1].value)) wsorted = 0;
    kuzat_text t;
    kuzat_normalise(n2, text + w->src_start, w->src_end - w->src_start, 0, &t, NULL);
    if (t.len != w->len || memcmp(t.utf8, w->word, w->len) != 0) wspans = 0;
  }
  kuzat_normaliser_free(n2);
  CHECK(r->explain_words_len[0] == 6, "six words, six parts (got %zu)", r->explain_words_len[0]);
  CHECK(fabs(wsum + bias - dec) < 1e-9, "word parts plus the bias make the decision value "
        "(%.12g + %.12g vs %.12g)", wsum, bias, dec);
  CHECK(wsorted && wspans, "word parts come largest first, each word normalising from its span");
  CHECK(r->explain_words[0][0].value > 0 && r->explain_words[0][0].len > 4,
        "the largest part is a word for the flag: %.*s %+.3f", (int)r->explain_words[0][0].len,
        r->explain_words[0][0].word, r->explain_words[0][0].value);
  CHECK(spans && words >= 5, "every n-gram has a span; each of %d words normalises from "
        "its span to itself", words);
  p.explain = 3;
  rc = kuzat_score(s, text, strlen(text), NULL, 0, &p, &r, &err);
  CHECK(rc == KUZAT_OK && r->explain_len[0] == 3 && r->explain[0][0].value > 0,
        "the top 3 of a flagged text lead with a positive contribution");
  p.explain = 0;
  rc = kuzat_score(s, text, strlen(text), NULL, 0, &p, &r, &err);
  CHECK(rc == KUZAT_OK && r->explain == NULL, "no explanations unless asked");
}

static void test_two_scorers(void) {
  kuzat_scorer *a, *b;
  kuzat_scorer_new(model, NULL, &a, NULL);
  kuzat_scorer_new(model, NULL, &b, NULL);
  int same = 1;
  for (int i = 0; i < 12; i++) {
    const kuzat_result *ra, *rb;
    kuzat_score(a, benign[i], strlen(benign[i]), NULL, 0, NULL, &ra, NULL);
    double pa = ra->prob[0];
    kuzat_score(b, bad, strlen(bad), NULL, 0, NULL, &rb, NULL);
    kuzat_score(b, benign[i], strlen(benign[i]), NULL, 0, NULL, &rb, NULL);
    same &= pa == rb->prob[0];
  }
  CHECK(same, "a scorer's result does not depend on what it scored before");
  kuzat_scorer_free(a);
  kuzat_scorer_free(b);
  CHECK(kuzat_scorer_new(NULL, NULL, &a, NULL) == KUZAT_EINVAL, "a NULL model is refused");
  kuzat_scorer_free(NULL);
  const kuzat_result *r;
  CHECK(kuzat_score(NULL, "x", 1, NULL, 0, NULL, &r, NULL) == KUZAT_EINVAL,
        "a NULL scorer is refused");
}

int main(void) {
  model = kt_train_tsv("tests/data/classify/train.tsv", KUZAT_KERNEL_LINEAR);
  if (!CHECK(model != NULL, "train the test model")) return kt_done();
  kuzat_scorer *s;
  kuzat_error err;
  if (CHECK(kuzat_scorer_new(model, NULL, &s, &err) == KUZAT_OK, "scorer: %s", err.msg)) {
    test_document(s);
    test_transcript(s);
    test_long_text(s);
    test_explain(s);
    kuzat_scorer_free(s);
  }
  test_two_scorers();
  kuzat_model_free(model);
  return kt_done();
}
