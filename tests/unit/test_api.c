/*
 * test_api.c -- every public function of kuzat.h, as an embedding service
 * would misuse it:
 *
 *  1. NULL and empty arguments: each call returns its documented status
 *     (or value) and never crashes; a failure fills the caller's
 *     kuzat_error with the same status and a message.
 *  2. Out of memory: each call that allocates is run again and again with
 *     its 1st, 2nd, ... Nth allocation failing. Every failure must give
 *     KUZAT_ENOMEM, free everything it took, and leave the objects it was
 *     given usable: the same call with memory available then succeeds.
 *
 * tests/cli/test_install.sh checks that every symbol libkuzat.so exports
 * is called here, so a new function cannot skip this table. (Allocations
 * made inside ICU and libsvm do not go through kuzat_allocator; they are
 * not failed here.)
 */
#include "check.h"
#include "helpers.h"
#include "kuzat.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *model_path = "models/default.kzm";
static char tmpdir[] = "/tmp/kuzat-api-XXXXXX";
static char path_jsonl[256], path_saved[256], path_legacy[256], path_utf16[256];

/* ---------------------------------------------------------------------- */
/* 1. NULL and empty arguments                                              */
/* ---------------------------------------------------------------------- */

/* EXPECT(call, want): `call` returns `want`; with a failure status, the
 * kuzat_error `e` says the same status and carries a message. */
static kuzat_error e;
#define EXPECT(call, want)                                                            \
  do {                                                                                \
    memset(&e, 0x5A, sizeof e);                                                       \
    int rc_ = (call);                                                                 \
    int ok_ = rc_ == (want);                                                          \
    if (ok_ && rc_ < 0) ok_ = e.status == rc_ && e.msg[0] && memchr(e.msg, 0, 256); \
    CHECK(ok_, "%s: returned %d (%s), want %s", #call, rc_, kuzat_strstatus(rc_),     \
          #want);                                                                     \
  } while (0)
/* The same for the few functions that take no kuzat_error. */
#define EXPECT0(call, want)                                                             \
  do {                                                                                  \
    int rc_ = (call);                                                                   \
    CHECK(rc_ == (want), "%s: returned %d (%s), want %s", #call, rc_, kuzat_strstatus(rc_), \
          #want);                                                                       \
  } while (0)

static void test_nulls(kuzat_model *m) {
  kuzat_normaliser *n = NULL;
  kuzat_featuriser *f = NULL;
  kuzat_scorer *s = NULL;
  kuzat_trainset *t = NULL;
  kuzat_reader *r = NULL;
  kuzat_model *m2 = NULL;
  kuzat_text txt;
  kuzat_token tok[4];
  kuzat_record rec;
  const kuzat_feature *x;
  const kuzat_result *res;
  size_t count = 99;
  int lang = -5;
  double dec[64], A, B, th; /* room for the default model's markers (8) */
  kuzat_metrics met;
  kuzat_feature_params fp;
  kuzat_score_params sp;
  kuzat_train_params tp;

  /* Version, status, languages, formats: never NULL, never a crash. */
  CHECK(kuzat_version() && strcmp(kuzat_version(), KUZAT_VERSION) == 0,
        "kuzat_version() is the header's");
  CHECK(kuzat_version_number() == KUZAT_VERSION_NUMBER, "kuzat_version_number()");
  CHECK(strcmp(kuzat_strstatus(12345), "unknown status") == 0, "kuzat_strstatus(unknown)");
  CHECK(strcmp(kuzat_strstatus(KUZAT_ENOMEM), "out of memory") == 0, "kuzat_strstatus");
  CHECK(strcmp(kuzat_lang_name(-1), "other") == 0 && strcmp(kuzat_lang_name(999), "other") == 0,
        "kuzat_lang_name out of range");
  CHECK(kuzat_lang_from_name(NULL, 5) == -1 && kuzat_lang_from_name("", 0) == -1,
        "kuzat_lang_from_name(NULL or empty) is -1");
  CHECK(kuzat_format_from_name(NULL) == -1 && kuzat_format_from_name("") == -1,
        "kuzat_format_from_name(NULL or empty) is -1");
  CHECK(kuzat_format_name(-1) == NULL && kuzat_format_name(KUZAT_FORMAT_COUNT) == NULL,
        "kuzat_format_name out of range is NULL");
  CHECK(kuzat_format_from_path(NULL) == KUZAT_FORMAT_AUTO &&
            kuzat_format_from_path("") == KUZAT_FORMAT_TEXT,
        "kuzat_format_from_path(NULL) is AUTO, of an empty name TEXT");

  /* Normaliser. */
  EXPECT(kuzat_normaliser_new(NULL, NULL, &e), KUZAT_EINVAL);
  EXPECT(kuzat_normaliser_new(NULL, &n, &e), KUZAT_OK);
  kuzat_normaliser_free(NULL);
  EXPECT(kuzat_normalise(NULL, "x", 1, 0, &txt, &e), KUZAT_EINVAL);
  EXPECT(kuzat_normalise(n, NULL, 1, 0, &txt, &e), KUZAT_EINVAL);
  CHECK(txt.utf8 && txt.len == 0, "a failed kuzat_normalise() leaves an empty text");
  EXPECT(kuzat_normalise(n, "x", 1, 0, NULL, &e), KUZAT_EINVAL);
  EXPECT(kuzat_normalise(n, "x", 1, 0x80u, &txt, &e), KUZAT_EINVAL);
  EXPECT(kuzat_normalise(n, NULL, 0, KUZAT_NORM_OFFSETS, &txt, &e), KUZAT_OK);
  CHECK(txt.len == 0 && txt.utf8[0] == 0 && txt.lang == KUZAT_LANG_OTHER,
        "normalising nothing gives an empty text of language other");
  EXPECT(kuzat_identify(NULL, "x", 1, &lang, &e), KUZAT_EINVAL);
  EXPECT(kuzat_identify(n, "x", 1, NULL, &e), KUZAT_EINVAL);
  EXPECT(kuzat_identify(n, NULL, 3, &lang, &e), KUZAT_EINVAL);
  EXPECT(kuzat_identify(n, NULL, 0, &lang, &e), KUZAT_OK);
  CHECK(lang == KUZAT_LANG_OTHER, "identifying nothing gives other (%d)", lang);
  CHECK(kuzat_normalise(NULL, "x", 1, 0, &txt, NULL) == KUZAT_EINVAL,
        "a NULL kuzat_error is allowed");

  /* Tokeniser. */
  EXPECT0(kuzat_tokenise(NULL, 3, tok, 4, &count), KUZAT_EINVAL);
  EXPECT0(kuzat_tokenise("a b", 3, NULL, 4, &count), KUZAT_EINVAL);
  EXPECT0(kuzat_tokenise("a b", 3, tok, 4, NULL), KUZAT_EINVAL);
  EXPECT0(kuzat_tokenise(NULL, 0, NULL, 0, &count), KUZAT_OK);
  CHECK(count == 0, "no text, no tokens");
  EXPECT0(kuzat_tokenise("a b", 3, NULL, 0, &count), KUZAT_OK);
  CHECK(count == 2, "counting tokens without an array: %zu", count);

  /* Features. */
  kuzat_feature_params_default(NULL);
  kuzat_feature_params_default(&fp);
  EXPECT(kuzat_featuriser_new(NULL, NULL, NULL, &e), KUZAT_EINVAL);
  fp.bits = 0;
  EXPECT(kuzat_featuriser_new(&fp, NULL, &f, &e), KUZAT_EINVAL);
  CHECK(f == NULL && strstr(e.msg, "bits"), "bad bits named: %s", e.msg);
  fp.bits = 29;
  EXPECT(kuzat_featuriser_new(&fp, NULL, &f, &e), KUZAT_EINVAL);
  kuzat_feature_params_default(&fp);
  fp.char_min = 4, fp.char_max = 2;
  EXPECT(kuzat_featuriser_new(&fp, NULL, &f, &e), KUZAT_EINVAL);
  EXPECT(kuzat_featuriser_new(NULL, NULL, &f, &e), KUZAT_OK);
  kuzat_featuriser_free(NULL);
  EXPECT(kuzat_featurise(NULL, "a", 1, &x, &count, &e), KUZAT_EINVAL);
  EXPECT(kuzat_featurise(f, NULL, 1, &x, &count, &e), KUZAT_EINVAL);
  EXPECT(kuzat_featurise(f, "a", 1, NULL, &count, &e), KUZAT_EINVAL);
  EXPECT(kuzat_featurise(f, "a", 1, &x, NULL, &e), KUZAT_EINVAL);
  EXPECT(kuzat_featurise(f, NULL, 0, &x, &count, &e), KUZAT_OK);
  CHECK(count == 0 && x[0].index == -1, "featurising nothing: an empty vector");
  CHECK(kuzat_feature_hash(0, KUZAT_NS_WORD, NULL, 7) == kuzat_feature_hash(0, KUZAT_NS_WORD, "", 0),
        "kuzat_feature_hash(NULL) hashes the empty string");

  /* Models. */
  EXPECT(kuzat_model_load_file(NULL, NULL, &m2, &e), KUZAT_EINVAL);
  EXPECT(kuzat_model_load_file(model_path, NULL, NULL, &e), KUZAT_EINVAL);
  EXPECT(kuzat_model_load_file("", NULL, &m2, &e), KUZAT_EIO);
  EXPECT(kuzat_model_load_file("/nonexistent/m.kzm", NULL, &m2, &e), KUZAT_EIO);
  CHECK(m2 == NULL && strstr(e.msg, "/nonexistent/m.kzm"), "the message names the file: %s", e.msg);
  EXPECT(kuzat_model_load_mem(NULL, 10, NULL, &m2, &e), KUZAT_EINVAL);
  EXPECT(kuzat_model_load_mem("", 0, NULL, &m2, &e), KUZAT_EFORMAT);
  EXPECT(kuzat_model_load_mem("abc", 3, NULL, NULL, &e), KUZAT_EINVAL);
  EXPECT(kuzat_model_save(NULL, path_saved, &e), KUZAT_EINVAL);
  EXPECT(kuzat_model_save(m, NULL, &e), KUZAT_EINVAL);
  EXPECT(kuzat_model_save(m, "", &e), KUZAT_EIO);
  kuzat_model_free(NULL);
  CHECK(strcmp(kuzat_model_id(NULL), "") == 0, "kuzat_model_id(NULL) is \"\"");
  CHECK(kuzat_model_markers(NULL) == 0, "kuzat_model_markers(NULL) is 0");
  CHECK(kuzat_model_marker(NULL, 0) == NULL && kuzat_model_marker(m, 999) == NULL,
        "kuzat_model_marker out of range is NULL");
  fp.bits = -7;
  kuzat_model_feature_params(NULL, &fp);
  kuzat_model_feature_params(m, NULL);
  CHECK(fp.bits == -7, "kuzat_model_feature_params(NULL) leaves *p alone");
  CHECK(kuzat_model_threshold(NULL, 0) == 0.5 && kuzat_model_threshold(m, 999) == 0.5,
        "kuzat_model_threshold out of range is 0.5");
  CHECK(kuzat_model_probability(NULL, 0, 1.0) == 0 && kuzat_model_probability(m, 999, 1.0) == 0,
        "kuzat_model_probability out of range is 0");
  CHECK(kuzat_model_kernel(NULL, 0) == -1 && kuzat_model_kernel(m, 999) == -1,
        "kuzat_model_kernel out of range is -1");
  const kuzat_feature none[1] = {{-1, 0}};
  EXPECT(kuzat_model_decision(NULL, none, dec, &e), KUZAT_EINVAL);
  EXPECT(kuzat_model_decision(m, NULL, dec, &e), KUZAT_EINVAL);
  EXPECT(kuzat_model_decision(m, none, NULL, &e), KUZAT_EINVAL);
  CHECK(kuzat_model_markers(m) <= sizeof dec / sizeof dec[0], "dec holds every marker");
  EXPECT(kuzat_model_decision(m, none, dec, &e), KUZAT_OK);

  /* Scoring. */
  kuzat_score_params_default(NULL);
  kuzat_score_params_default(&sp);
  EXPECT(kuzat_scorer_new(NULL, NULL, &s, &e), KUZAT_EINVAL);
  EXPECT(kuzat_scorer_new(m, NULL, NULL, &e), KUZAT_EINVAL);
  EXPECT(kuzat_scorer_new(m, NULL, &s, &e), KUZAT_OK);
  kuzat_scorer_free(NULL);
  CHECK(kuzat_scorer_text(NULL) == NULL && kuzat_scorer_text(s) == NULL,
        "kuzat_scorer_text: NULL for NULL and before the first score");
  EXPECT(kuzat_score(NULL, "x", 1, NULL, 0, NULL, &res, &e), KUZAT_EINVAL);
  EXPECT(kuzat_score(s, NULL, 1, NULL, 0, NULL, &res, &e), KUZAT_EINVAL);
  EXPECT(kuzat_score(s, "x", 1, NULL, 0, NULL, NULL, &e), KUZAT_EINVAL);
  EXPECT(kuzat_score(s, "x", 1, NULL, 2, NULL, &res, &e), KUZAT_EINVAL);
  const kuzat_segment outside = {0, 1, 0, 5};
  EXPECT(kuzat_score(s, "x", 1, &outside, 1, NULL, &res, &e), KUZAT_EINVAL);
  sp.window = 0;
  EXPECT(kuzat_score(s, "x", 1, NULL, 0, &sp, &res, &e), KUZAT_EINVAL);
  kuzat_score_params_default(&sp);
  sp.window_bytes = 10;
  EXPECT(kuzat_score(s, "x", 1, NULL, 0, &sp, &res, &e), KUZAT_EINVAL);
  EXPECT(kuzat_score(s, NULL, 0, NULL, 0, NULL, &res, &e), KUZAT_OK);
  CHECK(res->windows == 1 && res->markers == kuzat_model_markers(m),
        "scoring nothing: one window, every marker");
  CHECK(kuzat_scorer_text(s) && kuzat_scorer_text(s)->len == 0,
        "kuzat_scorer_text: the last score's normalised text");
  EXPECT(kuzat_score(s, "x", 1, NULL, 2, NULL, &res, &e), KUZAT_EINVAL);
  CHECK(kuzat_scorer_text(s) == NULL, "kuzat_scorer_text: NULL after a failed score");
  {
    const char *texts[2] = {"x", NULL};
    const size_t lens[2] = {1, 0};
    double score[2];
    kuzat_batch_out out = {score, NULL, NULL, NULL, NULL};
    kuzat_scorer *nobody[1] = {NULL};
    EXPECT(kuzat_score_many(NULL, 1, texts, lens, 2, NULL, &out, &e), KUZAT_EINVAL);
    EXPECT(kuzat_score_many(&s, 0, texts, lens, 2, NULL, &out, &e), KUZAT_EINVAL);
    EXPECT(kuzat_score_many(nobody, 1, texts, lens, 2, NULL, &out, &e), KUZAT_EINVAL);
    EXPECT(kuzat_score_many(&s, 1, NULL, lens, 2, NULL, &out, &e), KUZAT_EINVAL);
    EXPECT(kuzat_score_many(&s, 1, texts, NULL, 2, NULL, &out, &e), KUZAT_EINVAL);
    EXPECT(kuzat_score_many(&s, 1, texts, lens, 2, NULL, NULL, &e), KUZAT_EINVAL);
    EXPECT(kuzat_score_many(&s, 1, NULL, NULL, 0, NULL, &out, &e), KUZAT_OK);
    EXPECT(kuzat_score_many(&s, 1, texts, lens, 2, NULL, &out, &e), KUZAT_OK);
    CHECK(score[0] >= 0 && score[0] <= 1 && isnan(score[1]), "a batch: a score, then a NaN");
  }

  /* Training. */
  kuzat_train_params_default(NULL);
  kuzat_train_params_default(&tp);
  EXPECT(kuzat_trainset_new(NULL, NULL, NULL, &e), KUZAT_EINVAL);
  kuzat_feature_params_default(&fp);
  fp.word_min = -1;
  EXPECT(kuzat_trainset_new(&fp, NULL, &t, &e), KUZAT_EINVAL);
  EXPECT(kuzat_trainset_new(NULL, NULL, &t, &e), KUZAT_OK);
  kuzat_trainset_free(NULL);
  CHECK(kuzat_trainset_rows(NULL) == 0, "kuzat_trainset_rows(NULL) is 0");
  EXPECT(kuzat_train(t, &tp, &m2, NULL, &e), KUZAT_EINVAL); /* no rows */
  CHECK(m2 == NULL && strstr(e.msg, "no"), "an empty training set is refused: %s", e.msg);
  EXPECT(kuzat_trainset_add(NULL, "x", 1, "", 0, "", 0, "", 0, &e), KUZAT_EINVAL);
  EXPECT(kuzat_trainset_add(t, NULL, 1, "", 0, "", 0, "", 0, &e), KUZAT_EINVAL);
  EXPECT(kuzat_trainset_add(t, "x", 1, NULL, 3, "", 0, "", 0, &e), KUZAT_EINVAL);
  EXPECT(kuzat_trainset_add(t, "x", 1, "", 0, NULL, 2, "", 0, &e), KUZAT_EINVAL);
  EXPECT(kuzat_trainset_add(t, "x", 1, "", 0, "", 0, NULL, 2, &e), KUZAT_EINVAL);
  EXPECT(kuzat_trainset_add(t, "x", 1, "", 0, "xx", 2, "", 0, &e), KUZAT_EINVAL);
  CHECK(strstr(e.msg, "xx") != NULL, "an unknown language is named: %s", e.msg);
  CHECK(kuzat_trainset_rows(t) == 0, "refused rows are not added");
  EXPECT(kuzat_trainset_add(t, NULL, 0, NULL, 0, NULL, 0, NULL, 0, &e), KUZAT_OK);
  CHECK(kuzat_trainset_rows(t) == 1, "an empty document with no labels is a row");
  EXPECT(kuzat_train(NULL, &tp, &m2, NULL, &e), KUZAT_EINVAL);
  EXPECT(kuzat_train(t, &tp, NULL, NULL, &e), KUZAT_EINVAL);
  EXPECT(kuzat_train(t, NULL, &m2, NULL, &e), KUZAT_EINVAL); /* no marker */
  tp.folds = 1;
  EXPECT(kuzat_train(t, &tp, &m2, NULL, &e), KUZAT_EINVAL);
  kuzat_train_report_free(NULL);

  /* Metrics and calibration. */
  const double sc[2] = {0.2, 0.8};
  const int lab[2] = {0, 1}, badlab[2] = {0, 2};
  EXPECT0(kuzat_metrics_compute(NULL, NULL, 0, 0.5, NULL, &met), KUZAT_OK);
  CHECK(met.n == 0 && met.roc_auc == 0.5, "metrics of nothing");
  EXPECT0(kuzat_metrics_compute(NULL, lab, 2, 0.5, NULL, &met), KUZAT_EINVAL);
  EXPECT0(kuzat_metrics_compute(sc, NULL, 2, 0.5, NULL, &met), KUZAT_EINVAL);
  EXPECT0(kuzat_metrics_compute(sc, lab, 2, 0.5, NULL, NULL), KUZAT_EINVAL);
  EXPECT0(kuzat_metrics_compute(sc, badlab, 2, 0.5, NULL, &met), KUZAT_EINVAL);
  {
    const int lg[2] = {KUZAT_LANG_EN, KUZAT_LANG_RU};
    const double th1[1] = {0.5};
    kuzat_eval_cell *cells = NULL;
    size_t nc = 9;
    EXPECT(kuzat_eval_tables(NULL, lab, lg, 2, 1, th1, NULL, &cells, &nc, &e), KUZAT_EINVAL);
    CHECK(cells == NULL && nc == 0, "kuzat_eval_tables refused: no cells");
    EXPECT(kuzat_eval_tables(sc, NULL, lg, 2, 1, th1, NULL, &cells, &nc, &e), KUZAT_EINVAL);
    EXPECT(kuzat_eval_tables(sc, lab, NULL, 2, 1, th1, NULL, &cells, &nc, &e), KUZAT_EINVAL);
    EXPECT(kuzat_eval_tables(sc, lab, lg, 2, 1, NULL, NULL, &cells, &nc, &e), KUZAT_EINVAL);
    EXPECT(kuzat_eval_tables(sc, lab, lg, 2, 1, th1, NULL, NULL, &nc, &e), KUZAT_EINVAL);
    EXPECT(kuzat_eval_tables(sc, lab, lg, 2, 1, th1, NULL, &cells, NULL, &e), KUZAT_EINVAL);
    EXPECT(kuzat_eval_tables(sc, badlab, lg, 2, 1, th1, NULL, &cells, &nc, &e), KUZAT_EINVAL);
    kuzat_eval_free(NULL, NULL);
  }
  EXPECT0(kuzat_platt_fit(NULL, NULL, 0, &A, &B), KUZAT_EINVAL);
  EXPECT0(kuzat_platt_fit(sc, lab, 2, NULL, &B), KUZAT_EINVAL);
  EXPECT0(kuzat_platt_fit(sc, lab, 2, &A, NULL), KUZAT_EINVAL);
  EXPECT0(kuzat_platt_fit(sc, lab, 2, &A, &B), KUZAT_OK);
  double p1 = kuzat_platt_prob(-1e308, 1e308, 1e308), p2 = kuzat_platt_prob(1, 0, NAN);
  CHECK(p1 >= 0 && p1 <= 1, "kuzat_platt_prob at the extremes: %g", p1);
  CHECK(isnan(p2), "kuzat_platt_prob(NaN) is NaN: %g", p2);
  EXPECT0(kuzat_threshold_choose(NULL, lab, 2, 0, NULL, &th), KUZAT_EINVAL);
  EXPECT0(kuzat_threshold_choose(sc, NULL, 2, 0, NULL, &th), KUZAT_EINVAL);
  EXPECT0(kuzat_threshold_choose(sc, lab, 2, 0, NULL, NULL), KUZAT_EINVAL);
  EXPECT0(kuzat_threshold_choose(sc, lab, 2, 2.0, NULL, &th), KUZAT_EINVAL);
  EXPECT0(kuzat_threshold_choose(sc, lab, 2, 0, NULL, &th), KUZAT_OK);

  /* Reader. */
  EXPECT(kuzat_reader_open(NULL, KUZAT_FORMAT_AUTO, NULL, NULL, &r, &e), KUZAT_EINVAL);
  EXPECT(kuzat_reader_open(path_jsonl, 99, NULL, NULL, &r, &e), KUZAT_EINVAL);
  EXPECT(kuzat_reader_open(path_jsonl, -1, NULL, NULL, &r, &e), KUZAT_EINVAL);
  EXPECT(kuzat_reader_open(path_jsonl, KUZAT_FORMAT_AUTO, NULL, NULL, NULL, &e), KUZAT_EINVAL);
  EXPECT(kuzat_reader_open("", KUZAT_FORMAT_AUTO, NULL, NULL, &r, &e), KUZAT_EIO);
  EXPECT(kuzat_reader_open("/nonexistent/x.tsv", KUZAT_FORMAT_AUTO, NULL, NULL, &r, &e), KUZAT_EIO);
  CHECK(r == NULL && strstr(e.msg, "/nonexistent/x.tsv"), "the message names the file: %s", e.msg);
  EXPECT(kuzat_reader_open(path_jsonl, KUZAT_FORMAT_AUTO, NULL, NULL, &r, &e), KUZAT_OK);
  kuzat_reader_set_limit(NULL, 10);
  kuzat_reader_set_flags(NULL, KUZAT_READ_RAW);
  CHECK(kuzat_reader_format(NULL) == -1, "kuzat_reader_format(NULL) is -1");
  CHECK(kuzat_reader_bytes(NULL) == 0 && kuzat_reader_bytes(r) == 0, "kuzat_reader_bytes before reading");
  CHECK(strcmp(kuzat_script(NULL, 5), "none") == 0 && strcmp(kuzat_script("", 0), "none") == 0,
        "kuzat_script of nothing");
  CHECK(kuzat_reader_format(r) == KUZAT_FORMAT_JSONL, "kuzat_reader_format of a .jsonl file");
  EXPECT(kuzat_reader_set_encoding(NULL, "cp866", &e), KUZAT_EINVAL);
  EXPECT(kuzat_reader_set_encoding(r, NULL, &e), KUZAT_EINVAL);
  EXPECT(kuzat_reader_set_encoding(r, "", &e), KUZAT_ENOTSUP);
  EXPECT(kuzat_reader_set_encoding(r, "no-such-encoding", &e), KUZAT_ENOTSUP);
  CHECK(strstr(e.msg, "no-such-encoding") != NULL, "the message names the encoding: %s", e.msg);
  EXPECT(kuzat_reader_set_encoding(r, "UTF-8", &e), KUZAT_OK);
  kuzat_reader_free(NULL);
  EXPECT(kuzat_reader_next(NULL, &rec, &e), KUZAT_EINVAL);
  EXPECT(kuzat_reader_next(r, NULL, &e), KUZAT_EINVAL);
  EXPECT(kuzat_reader_next(r, &rec, &e), 1);
  CHECK(kuzat_reader_bytes(r) > 0, "kuzat_reader_bytes after a record");

  /* Known content. */
  {
    kuzat_known *k = NULL, *k2 = NULL;
    kuzat_known_matcher *km = NULL;
    kuzat_known_params kp;
    const kuzat_known_hit *hits;
    size_t nh = 9, pos = 9;
    void *kbuf = NULL;
    size_t klen = 9;
    kuzat_known_params_default(NULL);
    kuzat_known_params_default(&kp);
    EXPECT(kuzat_known_new(NULL, NULL, NULL, &e), KUZAT_EINVAL);
    kp.threshold = 0;
    EXPECT(kuzat_known_new(&kp, NULL, &k, &e), KUZAT_EINVAL);
    CHECK(k == NULL && strstr(e.msg, "threshold"), "a bad threshold is named: %s", e.msg);
    kuzat_known_params_default(&kp);
    EXPECT(kuzat_known_new(&kp, NULL, &k, &e), KUZAT_OK);
    EXPECT(kuzat_known_add(NULL, "a", 1, "x", 1, "", 0, &e), KUZAT_EINVAL);
    EXPECT(kuzat_known_add(k, NULL, 1, "x", 1, "", 0, &e), KUZAT_EINVAL);
    EXPECT(kuzat_known_add(k, "a", 1, NULL, 1, "", 0, &e), KUZAT_EINVAL);
    EXPECT(kuzat_known_add(k, "a", 1, "x", 1, NULL, 1, &e), KUZAT_EINVAL);
    EXPECT(kuzat_known_add(k, "", 0, "x", 1, "", 0, &e), KUZAT_EINVAL);
    EXPECT(kuzat_known_add(k, "a", 1, NULL, 0, NULL, 0, &e), KUZAT_OK);
    EXPECT(kuzat_known_add(k, "a", 1, "x", 1, "", 0, &e), KUZAT_EINVAL); /* duplicate */
    EXPECT(kuzat_known_add(k, "b", 1, "hijratga shoshiling birodarlar", 30, "l", 1, &e), KUZAT_OK);
    CHECK(kuzat_known_find(NULL, "a", 1, &pos) == KUZAT_EINVAL &&
              kuzat_known_find(k, NULL, 1, &pos) == KUZAT_EINVAL &&
              kuzat_known_find(k, "a", 1, NULL) == 1 && kuzat_known_find(k, "b", 1, &pos) == 1 &&
              pos == 1,
          "kuzat_known_find with NULL arguments");
    CHECK(kuzat_known_count(NULL) == 0 && kuzat_known_count(k) == 2, "kuzat_known_count");
    kp.shingle = -4;
    kuzat_known_get_params(NULL, &kp);
    kuzat_known_get_params(k, NULL);
    CHECK(kp.shingle == -4, "kuzat_known_get_params(NULL) leaves *p alone");
    kuzat_known_get_params(k, &kp);
    CHECK(kp.shingle == 2, "kuzat_known_get_params");
    EXPECT(kuzat_known_set_threshold(NULL, 0.5, &e), KUZAT_EINVAL);
    EXPECT(kuzat_known_set_threshold(k, 2, &e), KUZAT_EINVAL);
    EXPECT(kuzat_known_set_threshold(k, 0.7, &e), KUZAT_OK);
    EXPECT(kuzat_known_remove(NULL, "a", 1, &e), KUZAT_EINVAL);
    EXPECT(kuzat_known_remove(k, NULL, 1, &e), KUZAT_EINVAL);
    EXPECT(kuzat_known_remove(k, "zz", 2, &e), KUZAT_EINVAL);
    EXPECT(kuzat_known_remove(k, "a", 1, &e), KUZAT_OK);
    EXPECT(kuzat_known_save(NULL, path_saved, &e), KUZAT_EINVAL);
    EXPECT(kuzat_known_save(k, NULL, &e), KUZAT_EINVAL);
    EXPECT(kuzat_known_save(k, "", &e), KUZAT_EIO);
    EXPECT(kuzat_known_save_mem(NULL, &kbuf, &klen, &e), KUZAT_EINVAL);
    CHECK(kbuf == NULL && klen == 0, "a failed save_mem leaves no buffer");
    EXPECT(kuzat_known_save_mem(k, NULL, &klen, &e), KUZAT_EINVAL);
    EXPECT(kuzat_known_save_mem(k, &kbuf, NULL, &e), KUZAT_EINVAL);
    EXPECT(kuzat_known_save_mem(k, &kbuf, &klen, &e), KUZAT_OK);
    kuzat_known_buffer_free(NULL, NULL);
    EXPECT(kuzat_known_load_mem(NULL, 10, NULL, &k2, &e), KUZAT_EINVAL);
    EXPECT(kuzat_known_load_mem(kbuf, klen, NULL, NULL, &e), KUZAT_EINVAL);
    EXPECT(kuzat_known_load_mem("", 0, NULL, &k2, &e), KUZAT_EFORMAT);
    EXPECT(kuzat_known_load_mem(kbuf, klen, NULL, &k2, &e), KUZAT_OK);
    CHECK(kuzat_known_count(k2) == 1, "saved and loaded: one document left");
    kuzat_known_free(k2);
    k2 = NULL;
    EXPECT(kuzat_known_load_file(NULL, NULL, &k2, &e), KUZAT_EINVAL);
    EXPECT(kuzat_known_load_file(path_saved, NULL, NULL, &e), KUZAT_EINVAL);
    EXPECT(kuzat_known_load_file("", NULL, &k2, &e), KUZAT_EIO);
    EXPECT(kuzat_known_load_file("/nonexistent/k.kzk", NULL, &k2, &e), KUZAT_EIO);
    CHECK(k2 == NULL && strstr(e.msg, "/nonexistent/k.kzk"), "the message names the file: %s", e.msg);
    kuzat_known_buffer_free(kbuf, NULL);
    kuzat_known_free(NULL);
    EXPECT(kuzat_known_matcher_new(NULL, NULL, &e), KUZAT_EINVAL);
    EXPECT(kuzat_known_matcher_new(NULL, &km, &e), KUZAT_OK);
    kuzat_known_matcher_free(NULL);
    EXPECT(kuzat_known_match(NULL, k, "x", 1, -1, &hits, &nh, &e), KUZAT_EINVAL);
    CHECK(nh == 0, "a failed match leaves no matches");
    EXPECT(kuzat_known_match(km, NULL, "x", 1, -1, &hits, &nh, &e), KUZAT_EINVAL);
    EXPECT(kuzat_known_match(km, k, NULL, 1, -1, &hits, &nh, &e), KUZAT_EINVAL);
    EXPECT(kuzat_known_match(km, k, "x", 1, -1, NULL, &nh, &e), KUZAT_EINVAL);
    EXPECT(kuzat_known_match(km, k, "x", 1, -1, &hits, NULL, &e), KUZAT_EINVAL);
    EXPECT(kuzat_known_match(km, k, "x", 1, 1.5, &hits, &nh, &e), KUZAT_EINVAL);
    EXPECT(kuzat_known_match(km, k, NULL, 0, -1, &hits, &nh, &e), KUZAT_OK);
    CHECK(nh == 0, "matching nothing finds nothing");
    EXPECT(kuzat_known_match(km, k, "birodarlar, hijratga shoshiling birodarlar", 42, -1, &hits, &nh, &e),
           KUZAT_OK);
    CHECK(nh == 1 && strcmp(hits[0].id, "b") == 0, "a known text is found");
    kuzat_text kt;
    EXPECT(kuzat_normalise(n, "x", 1, 0, &kt, &e), KUZAT_OK);
    EXPECT(kuzat_known_match_text(km, k, "x", 1, NULL, -1, &hits, &nh, &e), KUZAT_EINVAL);
    EXPECT(kuzat_known_match_text(NULL, k, "x", 1, &kt, -1, &hits, &nh, &e), KUZAT_EINVAL);
    EXPECT(kuzat_known_match_text(km, k, "x", 1, &kt, -1, &hits, &nh, &e), KUZAT_OK);
    kuzat_known_matcher_free(km);
    kuzat_known_free(k);
  }

  kuzat_reader_free(r);
  kuzat_trainset_free(t);
  kuzat_scorer_free(s);
  kuzat_featuriser_free(f);
  kuzat_normaliser_free(n);
}

/* ---------------------------------------------------------------------- */
/* 2. Out of memory                                                         */
/* ---------------------------------------------------------------------- */

static const kuzat_allocator failing = {kt_alloc, kt_realloc, kt_free, NULL};
static const char mixed[] = "Ўзбекистон, O'zbekiston va Тоҷикистон ﬁ e\xCC\x81 \xF0\x9D\x90\x80 "
                            "BIRODARLAR hijratga shoshiling https://t.me/x @kanal #tag 2024";

/* What a case's calls work on; made by its setup with memory available. */
typedef struct fixture {
  void *buf;
  size_t buf_len;
  kuzat_normaliser *n;
  kuzat_featuriser *f;
  kuzat_model *m;
  kuzat_scorer *s;
  kuzat_trainset *t;
  kuzat_reader *r;
  kuzat_train_report *rep;
  kuzat_model *trained;
  kuzat_scorer *s2; /* a second scorer, with malloc: batches on two threads */
  kuzat_known *k;
  kuzat_known_matcher *km;
} fixture;

/* Free what a case made; the model's bytes stay. */
static void fixture_free(fixture *x) {
  kuzat_normaliser_free(x->n);
  kuzat_featuriser_free(x->f);
  kuzat_scorer_free(x->s);
  kuzat_model_free(x->m);
  kuzat_model_free(x->trained);
  kuzat_trainset_free(x->t);
  kuzat_reader_free(x->r);
  kuzat_train_report_free(x->rep);
  kuzat_scorer_free(x->s2);
  kuzat_known_free(x->k);
  kuzat_known_matcher_free(x->km);
  fixture keep = {x->buf, x->buf_len, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
  *x = keep;
}

static int setup_model(fixture *x) {
  return kuzat_model_load_mem(x->buf, x->buf_len, &failing, &x->m, NULL);
}
static int setup_normaliser(fixture *x) { return kuzat_normaliser_new(&failing, &x->n, NULL); }
static int setup_featuriser(fixture *x) {
  return kuzat_featuriser_new(NULL, &failing, &x->f, NULL);
}
static int setup_scorer(fixture *x) {
  return setup_model(x) || kuzat_scorer_new(x->m, &failing, &x->s, NULL);
}
/* Two scorers: the first with the failing allocator (it scores in the
 * calling thread, so only that thread counts allocations), the second with
 * malloc, in a thread of kuzat_score_many()'s own. */
static int setup_scorers(fixture *x) {
  return setup_scorer(x) || kuzat_scorer_new(x->m, NULL, &x->s2, NULL);
}
static int setup_trainset(fixture *x) { return kuzat_trainset_new(NULL, &failing, &x->t, NULL); }
static int setup_reader(fixture *x) {
  return kuzat_reader_open(path_jsonl, KUZAT_FORMAT_AUTO, NULL, &failing, &x->r, NULL);
}
/* A training set of the tests' sentences, with the failing allocator. */
static int setup_trainrows(fixture *x) {
  kuzat_reader *r;
  kuzat_record rec;
  int rc = setup_trainset(x);
  if (rc || (rc = kuzat_reader_open("tests/data/classify/train.tsv", KUZAT_FORMAT_AUTO, NULL,
                                    NULL, &r, NULL)))
    return rc;
  while (!rc && kuzat_reader_next(r, &rec, NULL) == 1)
    rc = kuzat_trainset_add(x->t, rec.text, rec.text_len, rec.labels, rec.labels_len, rec.lang,
                            rec.lang_len, rec.group, rec.group_len, NULL);
  kuzat_reader_free(r);
  return rc;
}

/* A failure of a case's own making (not the call under test), reported
 * as the sweep expects: status and message in err. */
static int case_fail(kuzat_error *err, int rc) {
  if (err) err->status = rc, snprintf(err->msg, sizeof err->msg, "%s", kuzat_strstatus(rc));
  return rc;
}

static int call_normaliser_new(fixture *x, kuzat_error *err) {
  return kuzat_normaliser_new(&failing, &x->n, err);
}
static int call_normalise(fixture *x, kuzat_error *err) {
  kuzat_text t;
  return kuzat_normalise(x->n, mixed, sizeof mixed - 1, KUZAT_NORM_OFFSETS, &t, err);
}
static int call_identify(fixture *x, kuzat_error *err) {
  int lang;
  return kuzat_identify(x->n, mixed, sizeof mixed - 1, &lang, err);
}
static int call_featuriser_new(fixture *x, kuzat_error *err) {
  return kuzat_featuriser_new(NULL, &failing, &x->f, err);
}
static int call_featurise(fixture *x, kuzat_error *err) {
  static const char norm[] = "birodarlar hijratga shoshiling hijratga https://t.me/x @kanal";
  const kuzat_feature *v;
  size_t cnt;
  return kuzat_featurise(x->f, norm, sizeof norm - 1, &v, &cnt, err);
}
static int call_model_load_mem(fixture *x, kuzat_error *err) {
  return kuzat_model_load_mem(x->buf, x->buf_len, &failing, &x->m, err);
}
static int call_model_load_file(fixture *x, kuzat_error *err) {
  return kuzat_model_load_file(model_path, &failing, &x->m, err);
}
static int call_model_save(fixture *x, kuzat_error *err) {
  return kuzat_model_save(x->m, path_saved, err);
}
static int call_scorer_new(fixture *x, kuzat_error *err) {
  return kuzat_scorer_new(x->m, &failing, &x->s, err);
}
static int call_score(fixture *x, kuzat_error *err) {
  const char *text = "BIRODARLAR hijratga shoshiling\nBugun havo yaxshi\nsafimizga qo'shiling";
  kuzat_segment seg[3] = {{0, 1, 0, 30}, {1, 2, 31, 17}, {2, 3, 49, strlen(text) - 49}};
  kuzat_score_params p;
  kuzat_score_params_default(&p);
  p.explain = 5;
  p.window = 2;
  const kuzat_result *r;
  int rc = kuzat_score(x->s, text, strlen(text), seg, 3, &p, &r, err);
  if (rc) return rc;
  /* and a long plain text, scored in windows */
  char longer[3000];
  for (size_t i = 0; i + 31 < sizeof longer; i += 31) memcpy(longer + i, "hijratga shoshiling birodarlar ", 31);
  p.window_bytes = 256;
  return kuzat_score(x->s, longer, sizeof longer - 31, NULL, 0, &p, &r, err);
}
static int call_score_many(fixture *x, kuzat_error *err) {
  enum { N = 40 };
  const char *texts[N];
  size_t lens[N];
  double score[N], prob[N * 16];
  int flagged[N], lang[N], mflag[N * 16];
  kuzat_batch_out out = {score, flagged, lang, prob, mflag};
  for (size_t i = 0; i < N; i++) {
    texts[i] = i % 7 == 3 ? NULL : i % 2 ? mixed : "Bugun havo yaxshi";
    lens[i] = texts[i] ? strlen(texts[i]) : 0;
  }
  kuzat_scorer *two[2] = {x->s, x->s2};
  if (kuzat_model_markers(x->m) > 16) return KUZAT_ERANGE;
  int rc = kuzat_score_many(two, 1, texts, lens, N, NULL, &out, err);
  return rc ? rc : kuzat_score_many(two, 2, texts, lens, N, NULL, &out, err);
}
static int call_trainset_new(fixture *x, kuzat_error *err) {
  return kuzat_trainset_new(NULL, &failing, &x->t, err);
}
static int call_trainset_add(fixture *x, kuzat_error *err) {
  return kuzat_trainset_add(x->t, mixed, sizeof mixed - 1, "propaganda,hijra", 16, "uz-Latn", 7,
                            "acct1", 5, err);
}
static int call_train(fixture *x, kuzat_error *err) {
  kuzat_train_params p;
  kuzat_train_params_default(&p);
  kuzat_model_free(x->trained);
  kuzat_train_report_free(x->rep);
  x->trained = NULL, x->rep = NULL;
  return kuzat_train(x->t, &p, &x->trained, &x->rep, err);
}
static int call_metrics(fixture *x, kuzat_error *err) {
  const double sc[6] = {0.1, 0.9, 0.4, 0.35, 0.8, 0.2};
  const int lab[6] = {0, 1, 0, 1, 1, 0};
  kuzat_metrics met;
  double th;
  int rc = kuzat_metrics_compute(sc, lab, 6, 0.5, &failing, &met);
  if (!rc) rc = kuzat_threshold_choose(sc, lab, 6, 0.9, &failing, &th);
  if (rc && err) err->status = rc, snprintf(err->msg, sizeof err->msg, "%s", kuzat_strstatus(rc));
  return rc;
}
static int call_eval(fixture *x, kuzat_error *err) {
  const double sc[8] = {0.1, 0.2, 0.9, 0.8, 0.4, 0.3, 0.35, 0.6};
  const int lab[8] = {0, 0, 1, 1, 0, -1, 1, 0};
  const int lg[4] = {KUZAT_LANG_EN, KUZAT_LANG_RU, KUZAT_LANG_EN, KUZAT_LANG_TG};
  const double th[2] = {0.5, 0.5};
  kuzat_eval_cell *cells = NULL;
  size_t n = 0;
  int rc = kuzat_eval_tables(sc, lab, lg, 4, 2, th, &failing, &cells, &n, err);
  if (!rc) kuzat_eval_free(cells, &failing);
  return rc;
}
static int call_reader_open(fixture *x, kuzat_error *err) {
  return kuzat_reader_open(path_jsonl, KUZAT_FORMAT_AUTO, NULL, &failing, &x->r, err);
}
/* a legacy code page found by the detector, and UTF-16 by its mark */
static int setup_reader_legacy(fixture *x) {
  return kuzat_reader_open(path_legacy, KUZAT_FORMAT_LINES, NULL, &failing, &x->r, NULL);
}
static int setup_reader_utf16(fixture *x) {
  return kuzat_reader_open(path_utf16, KUZAT_FORMAT_LINES, NULL, &failing, &x->r, NULL);
}
static int call_reader_next(fixture *x, kuzat_error *err) {
  kuzat_record rec;
  int rc;
  while ((rc = kuzat_reader_next(x->r, &rec, err)) == 1) {}
  return rc;
}

/* Not here: the functions that allocate nothing and take no allocator
 * (version, status, language and format names, kuzat_format_from_path(),
 * which kuzat_reader_open() calls for AUTO below). */
/* Known content: an index of two posts, its file written by main(). */
static char path_known[256], path_known_saved[256];
static const char known_a[] = "Birodarlar, Xurosonga hijrat yoli ochiq. Kim qoshilmoqchi bolsa "
                              "@kanal_nomi ga yozsin, u yerda sizni kutib oladigan aka bor.";
static const char known_b[] = "Жиҳодни тарк этган уммат хор бўлади, бу Аллоҳнинг суннати.";
static int setup_known(fixture *x) {
  return kuzat_known_load_file(path_known, &failing, &x->k, NULL);
}
static int setup_known_matcher(fixture *x) {
  return setup_known(x) || kuzat_known_matcher_new(&failing, &x->km, NULL);
}
static int call_known_new(fixture *x, kuzat_error *err) {
  kuzat_known_free(x->k);
  x->k = NULL;
  return kuzat_known_new(NULL, &failing, &x->k, err);
}
static int call_known_add(fixture *x, kuzat_error *err) {
  /* a long text, so that every table grows */
  char text[4000];
  size_t n = 0;
  for (int i = 0; n + 80 < sizeof text; i++)
    n += (size_t)snprintf(text + n, sizeof text - n, "soʻz%d Ўзбекистон word%d ", i, i * 7);
  return kuzat_known_add(x->k, "long", 4, text, n, "propaganda,test", 15, err);
}
static int call_known_load_mem(fixture *x, kuzat_error *err) {
  kuzat_known_free(x->k);
  x->k = NULL;
  kuzat_known *src = NULL;
  void *b = NULL;
  size_t n = 0;
  int rc = kuzat_known_load_file(path_known, NULL, &src, NULL);
  if (!rc) rc = kuzat_known_save_mem(src, &b, &n, NULL);
  kuzat_known_free(src);
  if (rc) return case_fail(err, rc);
  rc = kuzat_known_load_mem(b, n, &failing, &x->k, err);
  kuzat_known_buffer_free(b, NULL);
  return rc;
}
static int call_known_load_file(fixture *x, kuzat_error *err) {
  kuzat_known_free(x->k);
  x->k = NULL;
  return kuzat_known_load_file(path_known, &failing, &x->k, err);
}
static int call_known_save(fixture *x, kuzat_error *err) {
  void *b = NULL;
  size_t n;
  int rc = kuzat_known_save(x->k, path_known_saved, err);
  if (!rc) rc = kuzat_known_save_mem(x->k, &b, &n, err);
  kuzat_known_buffer_free(b, &failing);
  return rc;
}
static int call_known_matcher_new(fixture *x, kuzat_error *err) {
  kuzat_known_matcher_free(x->km);
  x->km = NULL;
  return kuzat_known_matcher_new(&failing, &x->km, err);
}
static int call_known_match(fixture *x, kuzat_error *err) {
  char text[3000];
  size_t n = 0;
  for (int i = 0; n + 300 < sizeof text; i++)
    n += (size_t)snprintf(text + n, sizeof text - n, "%s gap%d words here %s ", i == 3 ? known_a : "filler",
                          i, i == 5 ? known_b : "more");
  const kuzat_known_hit *h;
  size_t count;
  int rc = kuzat_known_match(x->km, x->k, text, n, -1, &h, &count, err);
  if (!rc && count != 2) return case_fail(err, KUZAT_EINVAL);
  return rc;
}
static int call_known_match_text(fixture *x, kuzat_error *err) {
  kuzat_text t;
  const kuzat_known_hit *h;
  size_t count;
  int rc = x->n ? KUZAT_OK : kuzat_normaliser_new(NULL, &x->n, err);
  if (!rc) rc = kuzat_normalise(x->n, known_b, sizeof known_b - 1, 0, &t, err);
  if (!rc) rc = kuzat_known_match_text(x->km, x->k, known_b, sizeof known_b - 1, &t, -1, &h, &count, err);
  if (!rc && count != 1) return case_fail(err, KUZAT_EINVAL);
  return rc;
}

typedef struct oom_case {
  const char *name;
  int (*setup)(fixture *x); /* NULL: nothing to set up */
  int (*call)(fixture *x, kuzat_error *err);
  int retry;    /* after a failure, the same call on the same objects succeeds */
  int fallback; /* some failures are worked around: the call succeeds anyway */
} oom_case;

static const oom_case oom_cases[] = {
    {"kuzat_normaliser_new", NULL, call_normaliser_new, 1, 0},
    {"kuzat_normalise", setup_normaliser, call_normalise, 1, 0},
    {"kuzat_identify", setup_normaliser, call_identify, 1, 0},
    {"kuzat_featuriser_new", NULL, call_featuriser_new, 1, 0},
    {"kuzat_featurise", setup_featuriser, call_featurise, 1, 0},
    {"kuzat_model_load_mem", NULL, call_model_load_mem, 1, 0},
    {"kuzat_model_load_file", NULL, call_model_load_file, 1, 0},
    {"kuzat_model_save", setup_model, call_model_save, 1, 0},
    {"kuzat_scorer_new", setup_model, call_scorer_new, 1, 0},
    {"kuzat_score", setup_scorer, call_score, 1, 0},
    {"kuzat_score_many", setup_scorers, call_score_many, 1, 0},
    {"kuzat_trainset_new", NULL, call_trainset_new, 1, 0},
    {"kuzat_trainset_add", setup_trainset, call_trainset_add, 1, 0},
    /* the Gram matrix shared by cross-validation is optional (kuzat.h) */
    {"kuzat_train", setup_trainrows, call_train, 1, 1},
    {"kuzat_metrics_compute, kuzat_threshold_choose", NULL, call_metrics, 1, 0},
    {"kuzat_eval_tables", NULL, call_eval, 1, 0},
    {"kuzat_reader_open", NULL, call_reader_open, 1, 0},
    /* a reader that ran out of memory cannot go on (kuzat.h says so) */
    {"kuzat_reader_next", setup_reader, call_reader_next, 0, 0},
    {"kuzat_known_new", NULL, call_known_new, 1, 0},
    {"kuzat_known_add", setup_known, call_known_add, 1, 0},
    {"kuzat_known_load_mem", NULL, call_known_load_mem, 1, 0},
    {"kuzat_known_load_file", NULL, call_known_load_file, 1, 0},
    {"kuzat_known_save, kuzat_known_save_mem", setup_known, call_known_save, 1, 0},
    {"kuzat_known_matcher_new", NULL, call_known_matcher_new, 1, 0},
    {"kuzat_known_match", setup_known_matcher, call_known_match, 1, 0},
    {"kuzat_known_match_text", setup_known_matcher, call_known_match_text, 1, 0},
    {"kuzat_reader_next, windows-1251", setup_reader_legacy, call_reader_next, 0, 0},
    {"kuzat_reader_next, UTF-16", setup_reader_utf16, call_reader_next, 0, 0},
};

/* Fail the 1st, 2nd, ... allocation of one case's call until it succeeds. */
static void oom_sweep(const oom_case *c, fixture *x, long limit, long stride) {
  int ok = 1, reached = 0;
  long i, failures = 0, worked_around = 0;
  char why[400] = "";
  for (i = 1; i < limit && !reached && ok; i += stride) {
    kt_fail_at = 0;
    kt_live = 0;
    if (c->setup && c->setup(x) != KUZAT_OK) {
      snprintf(why, sizeof why, "setup failed");
      ok = 0;
      break;
    }
    kt_fail_at = kt_allocs + i;
    kuzat_error err = {0, 0, 0, ""};
    int rc = c->call(x, &err);
    if (rc == KUZAT_OK) {
      if (kt_allocs < kt_fail_at) {
        reached = 1; /* no failure was met: every one has been tried */
      } else if (c->fallback) {
        worked_around++;
      } else {
        snprintf(why, sizeof why, "an allocation failure at %ld went unreported", i);
        ok = 0;
      }
    } else {
      failures++;
      if (rc != KUZAT_ENOMEM || err.status != KUZAT_ENOMEM) {
        snprintf(why, sizeof why, "failure %ld: status %d (%s), err.status %d, \"%s\"", i, rc,
                 kuzat_strstatus(rc), err.status, err.msg);
        ok = 0;
      } else if (c->retry) {
        kt_fail_at = 0;
        rc = c->call(x, &err);
        if (rc != KUZAT_OK) {
          snprintf(why, sizeof why, "after failure %ld the same call fails: %d (%s)", i, rc,
                   err.msg);
          ok = 0;
        }
      }
    }
    kt_fail_at = 0;
    fixture_free(x);
    if (ok && kt_live != 0) {
      snprintf(why, sizeof why, "failure %ld leaks %ld blocks", i, kt_live);
      ok = 0;
    }
  }
  if (ok && !reached) snprintf(why, sizeof why, "still failing after %ld allocations", limit);
  CHECK(ok && reached, "%s: %s (%ld failures, each KUZAT_ENOMEM, nothing leaked%s; %ld worked around)",
        c->name, why, failures, c->retry ? ", objects still usable" : "", worked_around);
}

static void test_oom(void) {
  fixture x;
  memset(&x, 0, sizeof x);
  FILE *fp = fopen(model_path, "rb");
  if (!CHECK(fp != NULL, "open %s", model_path)) return;
  fseek(fp, 0, SEEK_END);
  long len = ftell(fp);
  rewind(fp);
  void *buf = malloc((size_t)len);
  if (fread(buf, 1, (size_t)len, fp) != (size_t)len) len = 0;
  fclose(fp);
  /* Under valgrind (KUZAT_TEST_QUICK) every 7th allocation is failed. */
  long stride = getenv("KUZAT_TEST_QUICK") ? 7 : 1;
  for (size_t i = 0; i < sizeof oom_cases / sizeof oom_cases[0]; i++) {
    x.buf = buf, x.buf_len = (size_t)len;
    oom_sweep(&oom_cases[i], &x, 200000, stride);
  }
  free(buf);
}

int main(void) {
  if (!mkdtemp(tmpdir)) return printf("not ok - mkdtemp\n"), 1;
  snprintf(path_jsonl, sizeof path_jsonl, "%s/in.jsonl", tmpdir);
  snprintf(path_saved, sizeof path_saved, "%s/saved.kzm", tmpdir);
  snprintf(path_known, sizeof path_known, "%s/known.kzk", tmpdir);
  snprintf(path_known_saved, sizeof path_known_saved, "%s/saved.kzk", tmpdir);
  {
    kuzat_known *k;
    if (kuzat_known_new(NULL, NULL, &k, NULL) ||
        kuzat_known_add(k, "a", 1, known_a, sizeof known_a - 1, "propaganda", 10, NULL) ||
        kuzat_known_add(k, "b", 1, known_b, sizeof known_b - 1, "", 0, NULL) ||
        kuzat_known_save(k, path_known, NULL))
      return printf("not ok - cannot write %s\n", path_known), 1;
    kuzat_known_free(k);
  }
  snprintf(path_legacy, sizeof path_legacy, "%s/ru1251.txt", tmpdir);
  snprintf(path_utf16, sizeof path_utf16, "%s/utf16.txt", tmpdir);
  FILE *lf = fopen(path_legacy, "wb"); /* "Братья, время пришло." in windows-1251 */
  fputs("ascii first\n\xC1\xF0\xE0\xF2\xFC\xFF, \xE2\xF0\xE5\xEC\xFF "
        "\xEF\xF0\xE8\xF8\xEB\xEE.\n", lf);
  fclose(lf);
  FILE *uf = fopen(path_utf16, "wb"); /* "ok\nЎз\n" in UTF-16LE with its mark */
  static const char u16[] = "\xFF\xFEo\0k\0\n\0\x0E\x04\x37\x04\n\0";
  fwrite(u16, 1, sizeof u16 - 1, uf);
  fclose(uf);
  FILE *fp = fopen(path_jsonl, "w");
  fputs("{\"id\":\"a\",\"text\":\"Bugun havo yaxshi\"}\n"
        "{\"id\":\"b\",\"segments\":[{\"start\":0,\"end\":2,\"text\":\"hijratga\"},"
        "{\"start\":2,\"end\":3,\"text\":\"shoshiling\"}]}\n"
        "not json\n"
        "{\"id\":\"c\",\"text\":\"Ўзбекистон\",\"labels\":[\"x\",\"y\"]}\n",
        fp);
  fclose(fp);
  kuzat_model *m;
  kuzat_error err;
  if (!CHECK(kuzat_model_load_file(model_path, NULL, &m, &err) == KUZAT_OK, "load %s: %s",
             model_path, err.msg))
    return kt_done();
  test_nulls(m);
  test_oom();
  kuzat_model_free(m);
  unlink(path_jsonl);
  unlink(path_saved);
  unlink(path_known);
  unlink(path_known_saved);
  unlink(path_legacy);
  unlink(path_utf16);
  rmdir(tmpdir);
  return kt_done();
}
