/*
 * test_batch.c -- kuzat_score_many(): a batch gives each text exactly what
 * kuzat_score() gives it, in order, with any number of scorers; missing
 * texts give NaN; wrong arguments are refused (allocation failures:
 * test_api.c; under ThreadSanitizer: test_threads.c).
 */
#include "check.h"
#include "kuzat.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *model_path = "models/default.kzm";

static const char *sentences[] = {
    "Bugun bozorda non narxi oshdi",
    "Birodarlar, hijratga shoshiling, safimizga qoʻshiling, bayʼat qiling",
    "Ўзбекистон пойтахти Тошкент",
    "Бародарон, ба ҳиҷрат шитобед",
    "Ертең аба ырайы жакшы болот",
    "Братья, вступайте в ряды муджахидов",
    "Join the caliphate, brothers, make hijrah now",
    "",
    "Salom",
};

enum { N = 600 };

/* The batch's texts: the sentences in turn, each made different by a
 * number, with a NUL byte inside one, a long text scored in windows, and
 * every 13th text missing (NULL). */
typedef struct batch {
  const char *texts[N];
  size_t lens[N];
  char *own[N];
} batch;

static void batch_make(batch *b) {
  size_t nsent = sizeof sentences / sizeof sentences[0];
  for (size_t i = 0; i < N; i++) {
    b->own[i] = NULL;
    if (i % 13 == 5) {
      b->texts[i] = NULL, b->lens[i] = 0;
      continue;
    }
    char *t = malloc(6000);
    int len = snprintf(t, 6000, "%s %zu", sentences[i % nsent], i);
    if (i % 50 == 7) t[3] = '\0'; /* a NUL byte is an ordinary character */
    if (i % 97 == 11) {           /* longer than window_bytes: scored in windows */
      len = 0;
      while (len + 40 < 6000) len += snprintf(t + len, 6000 - (size_t)len, "%s ", sentences[1]);
    }
    b->texts[i] = b->own[i] = t;
    b->lens[i] = (size_t)len;
  }
}

static void batch_free(batch *b) {
  for (size_t i = 0; i < N; i++) free(b->own[i]);
}

/* Output arrays for n texts of m markers, filled with garbage. */
typedef struct outputs {
  double score[N], prob[N * 16];
  int flagged[N], lang[N], marker_flagged[N * 16];
  kuzat_batch_out out;
} outputs;

static void outputs_init(outputs *o) {
  memset(o, 0x7f, sizeof *o);
  kuzat_batch_out out = {o->score, o->flagged, o->lang, o->prob, o->marker_flagged};
  o->out = out;
}

static int same_double(double a, double b) {
  return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b));
}

/* One by one, with kuzat_score(): what the batch must give. */
static void expected(kuzat_scorer *s, const batch *b, size_t m, const kuzat_score_params *p,
                     outputs *o) {
  outputs_init(o);
  for (size_t i = 0; i < N; i++) {
    const kuzat_result *r;
    if (!b->texts[i]) {
      o->score[i] = NAN, o->flagged[i] = 0, o->lang[i] = -1;
      for (size_t k = 0; k < m; k++) o->prob[i * m + k] = NAN, o->marker_flagged[i * m + k] = 0;
      continue;
    }
    if (kuzat_score(s, b->texts[i], b->lens[i], NULL, 0, p, &r, NULL)) {
      CHECK(0, "kuzat_score of text %zu failed", i);
      return;
    }
    o->score[i] = r->score, o->flagged[i] = r->any_flagged, o->lang[i] = r->lang;
    for (size_t k = 0; k < m; k++)
      o->prob[i * m + k] = r->prob[k], o->marker_flagged[i * m + k] = r->flagged[k];
  }
}

/* The first text where the two outputs differ, or N. */
static size_t first_difference(const outputs *a, const outputs *b, size_t m) {
  for (size_t i = 0; i < N; i++) {
    int same = same_double(a->score[i], b->score[i]) && a->flagged[i] == b->flagged[i] &&
               a->lang[i] == b->lang[i];
    for (size_t k = 0; k < m; k++)
      same = same && same_double(a->prob[i * m + k], b->prob[i * m + k]) &&
             a->marker_flagged[i * m + k] == b->marker_flagged[i * m + k];
    if (!same) return i;
  }
  return N;
}

static void test_same_as_one_by_one(kuzat_model *model, kuzat_scorer **s, const batch *b) {
  size_t m = kuzat_model_markers(model);
  static outputs want, got;
  expected(s[0], b, m, NULL, &want);
  CHECK(isnan(want.score[5]) && want.lang[5] == -1 && !want.flagged[5], "text 5 is missing");
  int any_flagged = 0, any_not = 0;
  for (size_t i = 0; i < N; i++) any_flagged |= want.flagged[i], any_not |= !want.flagged[i];
  CHECK(any_flagged && any_not, "the batch has flagged and unflagged texts");
  /* 1, 2, 3 and 7 scorers, in any order: the same output, bit for bit. */
  static const size_t counts[] = {1, 2, 3, 7};
  for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
    kuzat_scorer *order[7];
    for (size_t j = 0; j < counts[c]; j++) order[j] = s[(j + c) % 7];
    outputs_init(&got);
    kuzat_error err;
    int rc = kuzat_score_many(order, counts[c], b->texts, b->lens, N, NULL, &got.out, &err);
    CHECK(rc == KUZAT_OK, "%zu scorers: %s", counts[c], err.msg);
    size_t d = first_difference(&want, &got, m);
    CHECK(d == N, "%zu scorers give kuzat_score()'s results in order: text %zu differs "
          "(%.17g vs %.17g)", counts[c], d, d < N ? got.score[d] : 0, d < N ? want.score[d] : 0);
  }
  /* The scorers are usable afterwards, and reused batch after batch. */
  const kuzat_result *r;
  CHECK(kuzat_score(s[1], "salom", 5, NULL, 0, NULL, &r, NULL) == KUZAT_OK && r->windows == 1,
        "a scorer scores alone after a batch");
}

static void test_parameters(kuzat_model *model, kuzat_scorer **s, const batch *b) {
  size_t m = kuzat_model_markers(model);
  static outputs want, got;
  kuzat_score_params p;
  kuzat_score_params_default(&p);
  p.threshold = 0.0;
  p.window_bytes = 256;
  expected(s[0], b, m, &p, &want);
  outputs_init(&got);
  CHECK(kuzat_score_many(s, 2, b->texts, b->lens, N, &p, &got.out, NULL) == KUZAT_OK,
        "a batch with parameters");
  CHECK(first_difference(&want, &got, m) == N, "the parameters apply to every text");
  CHECK(got.flagged[0] && got.marker_flagged[m - 1], "threshold 0 flags everything");

  /* Only the scores wanted: the other outputs stay untouched. */
  double score[N];
  kuzat_batch_out only = {score, NULL, NULL, NULL, NULL};
  CHECK(kuzat_score_many(s, 3, b->texts, b->lens, N, NULL, &only, NULL) == KUZAT_OK,
        "scores alone");
  expected(s[0], b, m, NULL, &want);
  size_t i = 0;
  while (i < N && same_double(score[i], want.score[i])) i++;
  CHECK(i == N, "scores alone are the scores (text %zu differs)", i);
  kuzat_batch_out none = {NULL, NULL, NULL, NULL, NULL};
  CHECK(kuzat_score_many(s, 2, b->texts, b->lens, N, NULL, &none, NULL) == KUZAT_OK,
        "a batch with no output wanted runs");
  CHECK(kuzat_score_many(s, 4, b->texts, b->lens, 3, NULL, &got.out, NULL) == KUZAT_OK &&
            same_double(got.score[2], want.score[2]),
        "more scorers than texts");
  CHECK(kuzat_score_many(s, 1, NULL, NULL, 0, NULL, &got.out, NULL) == KUZAT_OK,
        "an empty batch");
}

static void test_refused(kuzat_model *model, kuzat_scorer **s, const batch *b) {
  static outputs got;
  outputs_init(&got);
  kuzat_error err;
  kuzat_score_params p;
  kuzat_score_params_default(&p);
  p.window_bytes = 10;
  int rc = kuzat_score_many(s, 2, b->texts, b->lens, N, &p, &got.out, &err);
  CHECK(rc == KUZAT_EINVAL && err.status == rc && strncmp(err.msg, "text 0: ", 8) == 0 &&
            strstr(err.msg, "window_bytes"),
        "bad parameters are refused at the first text: %s", err.msg);
  kuzat_score_params_default(&p);
  p.explain = 3;
  rc = kuzat_score_many(s, 1, b->texts, b->lens, N, &p, &got.out, &err);
  CHECK(rc == KUZAT_EINVAL && strstr(err.msg, "explanations"), "no explanations: %s", err.msg);
  kuzat_scorer *twice[2] = {s[0], s[0]};
  rc = kuzat_score_many(twice, 2, b->texts, b->lens, N, NULL, &got.out, &err);
  CHECK(rc == KUZAT_EINVAL && strstr(err.msg, "same"), "one scorer twice: %s", err.msg);
  kuzat_scorer *with_null[2] = {s[0], NULL};
  rc = kuzat_score_many(with_null, 2, b->texts, b->lens, N, NULL, &got.out, &err);
  CHECK(rc == KUZAT_EINVAL && strstr(err.msg, "scorer 1"), "a NULL scorer: %s", err.msg);

  /* A scorer of another model (the same file loaded again). */
  kuzat_model *other;
  kuzat_scorer *os;
  if (kuzat_model_load_file(model_path, NULL, &other, NULL) == KUZAT_OK &&
      kuzat_scorer_new(other, NULL, &os, NULL) == KUZAT_OK) {
    kuzat_scorer *mixed[2] = {s[0], os};
    rc = kuzat_score_many(mixed, 2, b->texts, b->lens, N, NULL, &got.out, &err);
    CHECK(rc == KUZAT_EINVAL && strstr(err.msg, "another model"), "two models: %s", err.msg);
    kuzat_scorer_free(os);
    kuzat_model_free(other);
  }
  (void)model;
}

int main(void) {
  kuzat_model *model;
  kuzat_error err;
  if (!CHECK(kuzat_model_load_file(model_path, NULL, &model, &err) == KUZAT_OK, "load %s: %s",
             model_path, err.msg))
    return kt_done();
  if (!CHECK(kuzat_model_markers(model) <= 16, "at most 16 markers in the default model"))
    return kt_done();
  kuzat_scorer *s[7];
  for (size_t j = 0; j < 7; j++)
    if (kuzat_scorer_new(model, NULL, &s[j], &err)) {
      CHECK(0, "kuzat_scorer_new: %s", err.msg);
      return kt_done();
    }
  static batch b;
  batch_make(&b);
  test_same_as_one_by_one(model, s, &b);
  test_parameters(model, s, &b);
  test_refused(model, s, &b);
  batch_free(&b);
  for (size_t j = 0; j < 7; j++) kuzat_scorer_free(s[j]);
  kuzat_model_free(model);
  return kt_done();
}
