/*
 * test_reader.c -- records from text, lines, TSV, JSON Lines, fastText and
 * transcripts (SRT, WebVTT, Whisper JSON, JSONL "segments"), plain and
 * gzip-compressed, with every kind of bad record reported in place, the
 * labels, lang and group of labelled data, and the per-record limit with
 * the memory it bounds.
 */
#include "check.h"
#include "helpers.h"
#include "kuzat.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static char dir[] = "/tmp/kuzat-test-reader-XXXXXX";

static const char *write_file(const char *name, const void *data, size_t len, int gz) {
  return kt_write_file(dir, name, data, len, gz);
}

/* The labelled-data fields of a record as " {+labels} lang/group" ('+' when
 * has_labels, '-' when not), or " NULL" / " UNTERMINATED" when one of them
 * is not a NUL-terminated string of its length. */
static int render_labels(char *out, size_t cap, const kuzat_record *rec) {
  if (!rec->labels || !rec->lang || !rec->group) return snprintf(out, cap, " NULL");
  if (rec->labels[rec->labels_len] || rec->lang[rec->lang_len] || rec->group[rec->group_len])
    return snprintf(out, cap, " UNTERMINATED");
  return snprintf(out, cap, " {%c%s} %s/%s", rec->has_labels ? '+' : '-', rec->labels,
                  rec->lang, rec->group);
}

/* Read every record of `path` in `format` and render them as
 * "id=text|" or "id!error|", with render_labels() before the '|' when
 * `labelled`; the final status is appended as "#rc". */
static const char *read_records(const char *path, int format, int labelled) {
  static char out[8192];
  size_t k = 0;
  kuzat_reader *r;
  kuzat_error err;
  int rc = kuzat_reader_open(path, format, strrchr(path, '/') + 1, NULL, &r, &err);
  if (rc) {
    snprintf(out, sizeof out, "open failed %d: %s", rc, err.msg);
    return out;
  }
  kuzat_record rec;
  while ((rc = kuzat_reader_next(r, &rec, &err)) == 1 && k < sizeof out - 512) {
    if (rec.error)
      k += (size_t)snprintf(out + k, sizeof out - k, "%.*s!%s|", (int)rec.id_len, rec.id, rec.error);
    else
      k += (size_t)snprintf(out + k, sizeof out - k, "%.*s=%.*s|", (int)rec.id_len, rec.id,
                            (int)rec.text_len, rec.text);
    if (labelled) {
      k--; /* before the '|' */
      k += (size_t)render_labels(out + k, sizeof out - k, &rec);
      k += (size_t)snprintf(out + k, sizeof out - k, "|");
    }
  }
  snprintf(out + k, sizeof out - k, "#%d%s%s", rc, rc < 0 ? " " : "", rc < 0 ? err.msg : "");
  kuzat_reader_free(r);
  return out;
}

static const char *read_all(const char *path, int format) {
  return read_records(path, format, 0);
}

static const char *read_labelled(const char *path, int format) {
  return read_records(path, format, 1);
}

static void expect(const char *what, const char *got, const char *want) {
  CHECK(strcmp(got, want) == 0, "%s\n      got      %s\n      expected %s", what, got, want);
}

/* ---- transcripts and the limit ------------------------------------------ */

/* Read every record of `path` with `limit` and render them as
 * "id=text{[start-end @off+len]...}|" or "id!error|", with " full=N" before
 * the '|' when full_len differs from text_len; "#rc" at the end. Checks
 * on the way that segments lie inside the text, in order. */
static const char *read_tr(const char *path, int format, size_t limit) {
  static char out[16384];
  size_t k = 0;
  kuzat_reader *r;
  kuzat_error err;
  int rc = kuzat_reader_open(path, format, strrchr(path, '/') + 1, NULL, &r, &err);
  if (rc) {
    snprintf(out, sizeof out, "open failed %d: %s", rc, err.msg);
    return out;
  }
  kuzat_reader_set_limit(r, limit);
  kuzat_record rec;
  while ((rc = kuzat_reader_next(r, &rec, &err)) == 1 && k < sizeof out - 1024) {
    if (rec.error)
      k += (size_t)snprintf(out + k, sizeof out - k, "%.*s!%s", (int)rec.id_len, rec.id,
                            rec.error);
    else
      k += (size_t)snprintf(out + k, sizeof out - k, "%.*s=%.*s", (int)rec.id_len, rec.id,
                            (int)rec.text_len, rec.text);
    CHECK((rec.segments == NULL) == (rec.segments_len == 0), "segments NULL iff none");
    size_t prev = 0;
    for (size_t i = 0; i < rec.segments_len && k < sizeof out - 1024; i++) {
      const kuzat_segment *g = &rec.segments[i];
      CHECK(g->off >= prev && g->off + g->len <= rec.text_len && g->end >= g->start,
            "segment %zu inside the text: off %zu len %zu text_len %zu", i, g->off, g->len,
            rec.text_len);
      prev = g->off + g->len;
      k += (size_t)snprintf(out + k, sizeof out - k, "[%.3f-%.3f @%zu+%zu]", g->start, g->end,
                            g->off, g->len);
    }
    if (rec.full_len != rec.text_len)
      k += (size_t)snprintf(out + k, sizeof out - k, " full=%zu", rec.full_len);
    k += (size_t)snprintf(out + k, sizeof out - k, "|");
  }
  snprintf(out + k, sizeof out - k, "#%d%s%s", rc, rc < 0 ? " " : "", rc < 0 ? err.msg : "");
  kuzat_reader_free(r);
  return out;
}

/* The first record of `path`, for exact checks; the reader stays open. */
static kuzat_reader *first_record(const char *path, int format, size_t limit,
                                  const kuzat_allocator *a, kuzat_record *rec) {
  kuzat_reader *r = NULL;
  if (kuzat_reader_open(path, format, NULL, a, &r, NULL)) return NULL;
  kuzat_reader_set_limit(r, limit);
  if (kuzat_reader_next(r, rec, NULL) != 1) {
    kuzat_reader_free(r);
    return NULL;
  }
  return r;
}

static void test_srt(void) {
  /* BOM, CRLF, numbered and unnumbered cues, tags, ASS overrides, a '.'
   * fraction, a one-digit hour, position text, trailing blanks, extra
   * blank lines, no final newline */
  const char srt[] = "\xEF\xBB\xBF" "1\r\n"
                     "01:02:03,450 --> 01:02:05,000\r\n"
                     "<i>Bugun havo</i> juda issiq.  \r\n"
                     "Ertaga <b>bozorga</b> boramiz.\r\n"
                     "\r\n"
                     "\r\n"
                     "2\r\n"
                     "1:02:06.5 --> 01:02:08,125 X1:100 X2:200 Y1:10 Y2:20\r\n"
                     "{\\an8}<font color=\"#ffff00\">Бугун ҳаво жуда иссиқ.</font>\r\n"
                     "\r\n"
                     "01:02:07,000 --> 01:02:09,000\r\n"
                     "Имрӯз ҳаво хуб аст.\r\n"
                     "\r\n"
                     "4\r\n"
                     "01:02:10,000 --> 01:02:11,000\r\n"
                     "\r\n"
                     "5\r\n"
                     "01:02:12,000 --> 01:02:13,000\r\n"
                     "Бүгүн күн ачык. a < b, <3";
  const char *want =
      "s=Bugun havo juda issiq. Ertaga bozorga boramiz.\n"
      "Бугун ҳаво жуда иссиқ.\nИмрӯз ҳаво хуб аст.\n\nБүгүн күн ачык. a < b, <3"
      "[3723.450-3725.000 @0+46][3726.500-3728.125 @47+40][3727.000-3729.000 @88+34]"
      "[3730.000-3731.000 @123+0][3732.000-3733.000 @124+37]|#0";
  for (int gz = 0; gz < 2; gz++) {
    const char *p = write_file(gz ? "s.srt.gz" : "s.srt", srt, sizeof srt - 1, gz);
    char w[1024];
    snprintf(w, sizeof w, "%s%s", gz ? "s.srt.gz" : "s.srt", want + 1);
    expect(gz ? "srt, gzip" : "srt", read_tr(p, KUZAT_FORMAT_AUTO, 0), w);
  }
  const char *p = write_file("s.srt", srt, sizeof srt - 1, 0);
  kuzat_record rec;
  kuzat_reader *r = first_record(p, KUZAT_FORMAT_SRT, 0, NULL, &rec);
  CHECK(r && rec.segments_len == 5 && rec.segments[0].start == 3723.45 &&
            rec.segments[0].end == 3725.0 && rec.segments[1].start == 3726.5 &&
            rec.segments[1].end == 3728.125 && rec.line == 1 && rec.full_len == rec.text_len &&
            rec.text[rec.text_len] == '\0',
        "srt timestamps to the millisecond");
  CHECK(r && kuzat_reader_next(r, &rec, NULL) == 0, "srt: one record per file");
  kuzat_reader_free(r);

  /* LF only, no numbers, overlapping cues, text continuing after a blank
   * line, a cue number at the very end */
  const char loose[] = "\n\n00:00:01,000 --> 00:00:04,000\nThe kettle is\nalready boiling.\n"
                       "\nand still boiling\n\n"
                       "00:00:02,000 --> 00:00:03,000\nToodo kar jaady.\n\n7\n";
  p = write_file("loose.srt", loose, sizeof loose - 1, 0);
  expect("srt: overlaps, continuation, dangling number", read_tr(p, KUZAT_FORMAT_SRT, 0),
         "loose.srt=The kettle is already boiling. and still boiling\nToodo kar jaady."
         "[1.000-4.000 @0+48][2.000-3.000 @49+16]|#0");

  p = write_file("empty.srt", "", 0, 0);
  expect("empty srt", read_tr(p, KUZAT_FORMAT_AUTO, 0), "empty.srt=|#0");
  p = write_file("blank.srt", "\xEF\xBB\xBF\r\n\r\n  \n", 8, 1);
  expect("blank srt, gzip", read_tr(p, KUZAT_FORMAT_SRT, 0), "blank.srt=|#0");

  static const struct {
    const char *in, *want;
  } bad[] = {
      {"1\n00:00:01,000 --> 00:00:02,000\nSalom\n\n2\n00:00:03,000 --> 00:0:04,000\nXayr\n",
       "b.srt!b.srt:6: malformed timestamp in \"00:00:03,000 --> 00:0:04,000\" "
       "(expected HH:MM:SS,mmm --> HH:MM:SS,mmm)|#0"},
      {"1\n00:00:01,000 -> 00:00:02,000\nSalom\n",
       "b.srt!b.srt:2: expected a timing line after the cue number|#0"},
      {"1\n00:00:61,000 --> 00:01:02,000\nSalom\n",
       "b.srt!b.srt:2: malformed timestamp in \"00:00:61,000 --> 00:01:02,000\" "
       "(expected HH:MM:SS,mmm --> HH:MM:SS,mmm)|#0"},
      {"1\n00:00:01;000 --> 00:00:02,000\nSalom\n",
       "b.srt!b.srt:2: malformed timestamp in \"00:00:01;000 --> 00:00:02,000\" "
       "(expected HH:MM:SS,mmm --> HH:MM:SS,mmm)|#0"},
      {"1\n00:00:01,000 --> 00:00:02,000x\nSalom\n",
       "b.srt!b.srt:2: malformed timestamp in \"00:00:01,000 --> 00:00:02,000x\" "
       "(expected HH:MM:SS,mmm --> HH:MM:SS,mmm)|#0"},
      {"\n\n1\r\n00:00:05,000 --> 00:00:04,999\r\nSalom\r\n",
       "b.srt!b.srt:4: cue ends before it starts|#0"},
      {"1\n\n00:00:01,000 --> 00:00:02,000\nSalom\n",
       "b.srt!b.srt:2: expected a timing line after the cue number|#0"},
      {"Мо ба боғ меравем.\n", "b.srt!b.srt:1: expected a cue number or a timing line|#0"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    p = write_file("b.srt", bad[i].in, strlen(bad[i].in), i % 2);
    char what[64];
    snprintf(what, sizeof what, "bad srt %zu", i);
    expect(what, read_tr(p, KUZAT_FORMAT_AUTO, 0), bad[i].want);
  }
}

static void test_vtt(void) {
  const char vtt[] = "\xEF\xBB\xBF" "WEBVTT - Kyrgyz and Tajik\r\n"
                     "Kind: captions\r\n"
                     "Language: ky\r\n"
                     "\r\n"
                     "NOTE this block is a comment\r\n"
                     "00:00:00.000 --> 00:00:01.000 is not a cue here\r\n"
                     "\r\n"
                     "STYLE\r\n"
                     "::cue { color: yellow }\r\n"
                     "\r\n"
                     "REGION\r\n"
                     "id:fred width:40%\r\n"
                     "\r\n"
                     "intro\r\n"
                     "00:01.250 --> 00:00:03.500 align:start position:10%\r\n"
                     "<v Aziz>Бүгүн <c.yellow>күн</c> ачык.</v>\r\n"
                     "<i>Тоодо</i> кар <00:00:02.000>жаады &amp; &lt;суук&gt;\r\n"
                     "\r\n"
                     "just an identifier\r\n"
                     "with no timing line\r\n"
                     "\r\n"
                     "1:00:00.000 --> 1:00:01.000\r\n"
                     "Мо&nbsp;ба&#32;боғ&#x41;&lrm;&rlm; &bogus; &#xD800; & &#;\r\n"
                     "01:00:01.000 --> 01:00:02.000\r\n"
                     "<b>Ertaga</b>\r\n"
                     "01:00:03.000 --> 01:00:04.000\r\n"
                     "Кутубхона соат тўққизда <unclosed очилади.\r\n";
  const char *want = "t.vtt=Бүгүн күн ачык. Тоодо кар жаады & <суук>\n"
                     "Мо\xC2\xA0ба боғA\xE2\x80\x8E\xE2\x80\x8F &bogus; &#xD800; & &#;\nErtaga\n"
                     "Кутубхона соат тўққизда"
                     "[1.250-3.500 @0+69][3600.000-3601.000 @70+47][3601.000-3602.000 @118+6]"
                     "[3603.000-3604.000 @125+44]|#0";
  for (int gz = 0; gz < 2; gz++) {
    const char *p = write_file(gz ? "t.vtt.gz" : "t.vtt", vtt, sizeof vtt - 1, gz);
    char w[1024];
    snprintf(w, sizeof w, "%s%s", gz ? "t.vtt.gz" : "t.vtt", want + 5);
    expect(gz ? "vtt, gzip" : "vtt", read_tr(p, KUZAT_FORMAT_AUTO, 0), w);
  }
  static const struct {
    const char *in, *want;
  } cases[] = {
      {"WEBVTT\n", "v.vtt=|#0"},
      {"WEBVTT\tfile\n\n", "v.vtt=|#0"},
      {"WEBVTT\n\n00:00.000 --> 00:01.000\n\n",
       "v.vtt=[0.000-1.000 @0+0]|#0"},
      {"WEBVTTX\n\n00:00.000 --> 00:01.000\nSalom\n",
       "v.vtt!v.vtt:1: not a WebVTT file: it does not start with \"WEBVTT\"|#0"},
      {"", "v.vtt!v.vtt:1: not a WebVTT file: it does not start with \"WEBVTT\"|#0"},
      {"1\n00:00:01,000 --> 00:00:02,000\nSalom\n",
       "v.vtt!v.vtt:1: not a WebVTT file: it does not start with \"WEBVTT\"|#0"},
      {"WEBVTT\n\n00:00.000 --> 00:01.000\nSalom\n\nx\n00:02.000 --> 00:01.999\nXayr\n",
       "v.vtt!v.vtt:7: cue ends before it starts|#0"},
      {"WEBVTT\n\n00:00.000 --> 00:01:000\nSalom\n",
       "v.vtt!v.vtt:3: malformed timestamp in \"00:00.000 --> 00:01:000\" "
       "(expected [HH:]MM:SS.mmm --> [HH:]MM:SS.mmm)|#0"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *p = write_file("v.vtt", cases[i].in, strlen(cases[i].in), i % 2);
    char what[64];
    snprintf(what, sizeof what, "vtt case %zu", i);
    expect(what, read_tr(p, KUZAT_FORMAT_VTT, 0), cases[i].want);
  }
  kuzat_record rec;
  const char *p = write_file("v.vtt", vtt, sizeof vtt - 1, 0);
  kuzat_reader *r = first_record(p, KUZAT_FORMAT_VTT, 0, NULL, &rec);
  CHECK(r && rec.segments_len == 4 && rec.segments[0].start == 1.25 &&
            rec.segments[0].end == 3.5 && rec.segments[1].start == 3600.0,
        "vtt timestamps");
  CHECK(r && kuzat_reader_next(r, &rec, NULL) == 0, "vtt: one record per file");
  kuzat_reader_free(r);
}

static void test_whisper(void) {
  const char wj[] =
      "{\n  \"text\": \" Salom. Bugun havo juda issiq.\",\n"
      "  \"segments\": [\n"
      "    {\"id\": 0, \"seek\": 0, \"start\": 0.0, \"end\": 2.5, \"text\": \" Salom.\",\n"
      "     \"tokens\": [50364, 2], \"temperature\": 0.0, \"avg_logprob\": -0.2,\n"
      "     \"words\": [{\"word\": \" Salom.\", \"start\": 0, \"end\": 2.5}]},\n"
      "    {\"id\": 1, \"start\": 2.5, \"end\": 3723.45, \"text\": \" Бугун ҳаво жуда иссиқ. \"},\n"
      "    {\"id\": 2, \"start\": 4, \"end\": 4, \"text\": \"\"},\n"
      "    {\"id\": 3, \"start\": 3, \"end\": 5, \"text\": \" Имрӯз ҳаво хуб аст.\"}\n"
      "  ],\n  \"language\": \"uz\"\n}\n";
  for (int gz = 0; gz < 2; gz++) {
    const char *p = write_file(gz ? "w.json.gz" : "w.json", wj, sizeof wj - 1, gz);
    char w[1024];
    snprintf(w, sizeof w,
             "%s=Salom.\nБугун ҳаво жуда иссиқ.\n\nИмрӯз ҳаво хуб аст."
             "[0.000-2.500 @0+6][2.500-3723.450 @7+40][4.000-4.000 @48+0]"
             "[3.000-5.000 @49+34]|#0",
             gz ? "w.json.gz" : "w.json");
    expect(gz ? "whisper, gzip" : "whisper", read_tr(p, KUZAT_FORMAT_AUTO, 0), w);
  }
  kuzat_record rec;
  const char *p = write_file("w.json", wj, sizeof wj - 1, 0);
  kuzat_reader *r = first_record(p, KUZAT_FORMAT_WHISPER, 0, NULL, &rec);
  CHECK(r && rec.segments_len == 4 && rec.segments[1].end == 3723.45 && rec.line == 1,
        "whisper times");
  CHECK(r && kuzat_reader_next(r, &rec, NULL) == 0, "whisper: one record per file");
  kuzat_reader_free(r);

  static const struct {
    const char *in, *want;
  } bad[] = {
      {"{\"segments\": []}", "x.json=|#0"},
      {"{\"segments\": [{\"end\": 1, \"text\": \"a\"}]}",
       "x.json!x.json:1: segments[0] has no \"start\"|#0"},
      {"{\"segments\": [{\"start\": 0, \"end\": 1, \"text\": \"a\"},\n"
       "{\"start\": \"00:00:01.000\", \"end\": 2, \"text\": \"b\"}]}",
       "x.json!x.json:1: segments[1]: \"start\" is a string, expected a number|#0"},
      {"{\"segments\": [{\"start\": 0, \"end\": true, \"text\": \"a\"}]}",
       "x.json!x.json:1: segments[0]: \"end\" is a boolean, expected a number|#0"},
      {"{\"segments\": [{\"start\": 0, \"end\": 1, \"text\": 5}]}",
       "x.json!x.json:1: segments[0]: \"text\" is a number, expected a string|#0"},
      {"{\"segments\": [{\"start\": 0, \"end\": 1}]}",
       "x.json!x.json:1: segments[0] has no \"text\"|#0"},
      {"{\"segments\": [{\"start\": 2, \"end\": 1, \"text\": \"a\"}]}",
       "x.json!x.json:1: segments[0]: cue ends before it starts|#0"},
      {"{\"segments\": [{\"start\": -1, \"end\": 1, \"text\": \"a\"}]}",
       "x.json!x.json:1: segments[0]: \"start\" is negative|#0"},
      {"{\"segments\": [7]}", "x.json!x.json:1: segments[0] is a number, expected an object|#0"},
      {"{\"segments\": {\"start\": 0}}",
       "x.json!x.json:1: \"segments\" is an object, expected an array|#0"},
      {"{\"text\": \"Salom\"}", "x.json!x.json:1: the object has no \"segments\" field|#0"},
      {"[1]", "x.json!x.json:1: expected a JSON object, found an array|#0"},
      {"{\n\"segments\": [\n{\"start\": 0,,}]}",
       "x.json!x.json:3: column 13: invalid JSON: string or '}' expected near ','|#0"},
      {"", "x.json!x.json:1: column 0: invalid JSON: '[' or '{' expected near end of file|#0"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    p = write_file("x.json", bad[i].in, strlen(bad[i].in), i % 2);
    char what[64];
    snprintf(what, sizeof what, "whisper case %zu", i);
    expect(what, read_tr(p, KUZAT_FORMAT_AUTO, 0), bad[i].want);
  }
}

static void test_jsonl_segments(void) {
  const char jl[] =
      "{\"id\":\"t1\",\"segments\":[{\"start\":0,\"end\":1.5,\"text\":\" Salom \"},"
      "{\"start\":\"00:01:02.500\",\"end\":\"01:03.25\",\"text\":\"Мо ба боғ меравем.\"}],"
      "\"label\":\"neutral\",\"lang\":\"tg\"}\n"
      "{\"id\":\"t2\",\"text\":\"ignored\",\"segments\":[{\"start\":\"62.5\",\"end\":70,"
      "\"text\":\"Тоодо кар жаады.\"}]}\n"
      "\n"
      "{\"id\":\"t3\",\"segments\":[]}\n"
      "{\"id\":\"t4\",\"segments\":\"Salom\"}\n"
      "{\"id\":\"t5\",\"segments\":[{\"start\":\"1:2:3\",\"end\":70,\"text\":\"x\"}]}\n"
      "{\"id\":\"t6\",\"segments\":[{\"start\":5,\"end\":\"00:00:04.000\",\"text\":\"x\"}]}\n"
      "{\"id\":\"t7\",\"segments\":[{\"start\":null,\"end\":1,\"text\":\"x\"}]}\n"
      "{\"id\":\"t8\",\"text\":\"The kettle is already boiling.\"}\n";
  const char *p = write_file("s.jsonl.gz", jl, sizeof jl - 1, 1);
  expect("jsonl segments", read_tr(p, KUZAT_FORMAT_AUTO, 0),
         "t1=Salom\nМо ба боғ меравем.[0.000-1.500 @0+5][62.500-63.250 @6+32]|"
         "t2=Тоодо кар жаады.[62.500-70.000 @0+29]|t3=|"
         "t4!s.jsonl.gz:5: \"segments\" is a string, expected an array|"
         "t5!s.jsonl.gz:6: segments[0]: malformed timestamp \"1:2:3\" in \"start\" "
         "(expected seconds or [HH:]MM:SS.mmm)|"
         "t6!s.jsonl.gz:7: segments[0]: cue ends before it starts|"
         "t7!s.jsonl.gz:8: segments[0]: \"start\" is null, expected a number or a timestamp "
         "string|"
         "t8=The kettle is already boiling.|#0");
  expect("jsonl segments keep labels", read_labelled(p, KUZAT_FORMAT_JSONL),
         "t1=Salom\nМо ба боғ меравем. {+neutral} tg/|t2=Тоодо кар жаады. {-} /|t3= {-} /|"
         "t4!s.jsonl.gz:5: \"segments\" is a string, expected an array {-} /|"
         "t5!s.jsonl.gz:6: segments[0]: malformed timestamp \"1:2:3\" in \"start\" "
         "(expected seconds or [HH:]MM:SS.mmm) {-} /|"
         "t6!s.jsonl.gz:7: segments[0]: cue ends before it starts {-} /|"
         "t7!s.jsonl.gz:8: segments[0]: \"start\" is null, expected a number or a timestamp "
         "string {-} /|"
         "t8=The kettle is already boiling. {-} /|#0");
  kuzat_record rec;
  kuzat_reader *r = first_record(p, KUZAT_FORMAT_JSONL, 0, NULL, &rec);
  CHECK(r && rec.segments_len == 2 && rec.segments[1].start == 62.5 &&
            rec.segments[1].end == 63.25,
        "jsonl timestamp strings");
  CHECK(r && kuzat_reader_next(r, &rec, NULL) == 1 && rec.segments_len == 1 &&
            rec.segments[0].start == 62.5 && rec.segments[0].end == 70.0,
        "jsonl seconds as a string");
  kuzat_reader_free(r);
}

static void test_names(void) {
  CHECK(kuzat_format_from_name("srt") == KUZAT_FORMAT_SRT &&
            kuzat_format_from_name("vtt") == KUZAT_FORMAT_VTT &&
            kuzat_format_from_name("webvtt") == KUZAT_FORMAT_VTT &&
            kuzat_format_from_name("whisper") == KUZAT_FORMAT_WHISPER &&
            kuzat_format_from_name("fasttext") == KUZAT_FORMAT_FASTTEXT &&
            kuzat_format_from_name("auto") == KUZAT_FORMAT_AUTO &&
            kuzat_format_from_name("json") == -1 && kuzat_format_from_name(NULL) == -1,
        "transcript format names");
  CHECK(KUZAT_FORMAT_FASTTEXT == 5 && KUZAT_FORMAT_SRT == 6 && KUZAT_FORMAT_WHISPER == 8,
        "format values are stable");
  /* AUTO by name, through .gz; a .json that is not Whisper's is a bad record */
  const char *p = write_file("n.srt.gz", "00:00:01,000 --> 00:00:02,000\nSalom\n", 36, 1);
  expect(".srt.gz", read_tr(p, KUZAT_FORMAT_AUTO, 0), "n.srt.gz=Salom[1.000-2.000 @0+5]|#0");
  p = write_file("n.json", "{\"text\":\"Salom\"}\n", 17, 0);
  expect(".json is Whisper", read_tr(p, KUZAT_FORMAT_AUTO, 0),
         "n.json!n.json:1: the object has no \"segments\" field|#0");
}

/* An allocator that counts the bytes it holds and their peak. */
typedef struct counter {
  size_t now, peak;
} counter;

/* ---- the format table ---------------------------------------------------- */

/* The endings of every format, gathered by test_format_table(). */
static const char *all_endings[64];
static int all_endings_from[64], n_endings;

/* One row of KUZAT_FORMAT_MAP: its value, its names both ways, each of
 * its endings chosen by kuzat_format_from_path() (also under ".gz" and a
 * directory), and a reader that opens in it and reads an empty file to
 * its end. */
static void check_format(int f, int value, const char *name, const char *alias,
                         const char *endings, const char *text) {
  CHECK(f == value, "KUZAT_FORMAT_ of \"%s\" is %d, its value in the table", name, value);
  CHECK(kuzat_format_name(f) && strcmp(kuzat_format_name(f), name) == 0,
        "kuzat_format_name(%d) is \"%s\"", f, name);
  CHECK(kuzat_format_from_name(name) == f, "kuzat_format_from_name(\"%s\")", name);
  CHECK(!*alias || kuzat_format_from_name(alias) == f, "kuzat_format_from_name(\"%s\")", alias);
  CHECK(*text && !strchr(text, '\n'), "\"%s\" has a one-line description", name);
  for (const char *e = endings + strspn(endings, " "); *e; e += strspn(e, " ")) {
    int m = (int)strcspn(e, " ");
    char path[64];
    CHECK(e[0] == '.' && m > 1, "\"%s\": the ending \"%.*s\" starts with a dot", name, m, e);
    snprintf(path, sizeof path, "d.tsv/file%.*s", m, e);
    CHECK(kuzat_format_from_path(path) == f, "kuzat_format_from_path(\"%s\") is %s", path, name);
    snprintf(path, sizeof path, "file%.*s.gz", m, e);
    CHECK(kuzat_format_from_path(path) == f, "kuzat_format_from_path(\"%s\") is %s", path, name);
    if (n_endings < 64) {
      all_endings[n_endings] = e;
      all_endings_from[n_endings++] = m;
    }
    e += m;
  }
  if (f == KUZAT_FORMAT_AUTO) return;
  const char *p = write_file("empty", "", 0, 0);
  kuzat_reader *r;
  kuzat_record rec;
  int rc = kuzat_reader_open(p, f, NULL, NULL, &r, NULL);
  CHECK(rc == KUZAT_OK, "open an empty file as %s", name);
  if (rc) return;
  for (int k = 0; k < 3 && (rc = kuzat_reader_next(r, &rec, NULL)) == 1; k++) {}
  CHECK(rc == 0, "%s: an empty file is read to its end (%d)", name, rc);
  kuzat_reader_free(r);
}

static void test_format_table(void) {
  int rows = 0;
  n_endings = 0;
#define KT_FORMAT(id, value, name, alias, endings, text)                          \
  check_format(KUZAT_FORMAT_##id, value, name, alias, endings, text);           \
  rows++;
  KUZAT_FORMAT_MAP(KT_FORMAT)
#undef KT_FORMAT
  CHECK(rows == KUZAT_FORMAT_COUNT, "%d rows, KUZAT_FORMAT_COUNT %d", rows, KUZAT_FORMAT_COUNT);
  int listed = 0;
  while (kuzat_format_name(listed)) listed++;
  CHECK(listed == KUZAT_FORMAT_COUNT && kuzat_format_name(-1) == NULL,
        "kuzat_format_name() lists %d formats, then NULL", listed);
  /* so that the order of the table never decides a name's format */
  for (int a = 0; a < n_endings; a++)
    for (int b = 0; b < n_endings; b++) {
      int la = all_endings_from[a], lb = all_endings_from[b];
      CHECK(a == b || la < lb || memcmp(all_endings[a] + la - lb, all_endings[b], (size_t)lb) != 0,
            "the ending \"%.*s\" does not end \"%.*s\"", lb, all_endings[b], la, all_endings[a]);
    }
  CHECK(n_endings == 8, "8 endings in the table, found %d", n_endings);
}

/* kuzat_format_from_path() beyond the table's endings. */
static void test_format_from_path(void) {
  static const struct {
    const char *path;
    int want;
  } cases[] = {
      {"-", KUZAT_FORMAT_LINES},       /* standard input, as kuzat_reader_open() reads it */
      {"./-", KUZAT_FORMAT_TEXT},      /* a file called "-" is no standard input */
      {"", KUZAT_FORMAT_TEXT},
      {"notes.txt", KUZAT_FORMAT_TEXT},
      {"notes", KUZAT_FORMAT_TEXT},
      {".gz", KUZAT_FORMAT_TEXT},
      {"a.gz", KUZAT_FORMAT_TEXT},
      {".tsv", KUZAT_FORMAT_TSV},
      {"tsv", KUZAT_FORMAT_TEXT},      /* an ending is more than the name */
      {"a.TSV", KUZAT_FORMAT_TEXT},    /* case-sensitive */
      {"a.tsv.GZ", KUZAT_FORMAT_TEXT},
      {"a.tsv.gz.gz", KUZAT_FORMAT_TEXT}, /* one ".gz" is looked through */
      {"a.gz.tsv", KUZAT_FORMAT_TSV},
      {"a.json", KUZAT_FORMAT_WHISPER},
      {"a.jsonl", KUZAT_FORMAT_JSONL},
      {"a.jsonl.gz", KUZAT_FORMAT_JSONL},
      {"a.ndjson", KUZAT_FORMAT_JSONL},
      {"a.ft.gz", KUZAT_FORMAT_FASTTEXT},
      {"a.fasttext", KUZAT_FORMAT_FASTTEXT},
      {"talk.srt", KUZAT_FORMAT_SRT},
      {"talk.vtt.gz", KUZAT_FORMAT_VTT},
      {"srt.txt", KUZAT_FORMAT_TEXT},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int got = kuzat_format_from_path(cases[i].path);
    CHECK(got == cases[i].want, "kuzat_format_from_path(\"%s\") is %s, got %s", cases[i].path,
          kuzat_format_name(cases[i].want), kuzat_format_name(got));
  }
  CHECK(kuzat_format_from_path(NULL) == KUZAT_FORMAT_AUTO, "kuzat_format_from_path(NULL)");
  /* a name longer than any buffer: the whole of it is looked at */
  static char longname[9000];
  memset(longname, 'a', sizeof longname - 1);
  memcpy(longname + sizeof longname - 9, ".srt.gz", 8);
  CHECK(kuzat_format_from_path(longname) == KUZAT_FORMAT_SRT, "a 8,998-byte name ending .srt.gz");
  /* AUTO reads a file as kuzat_format_from_path() says */
  const char *p = write_file("auto.vtt", "WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n", 35, 0);
  expect("AUTO reads a .vtt as WebVTT", read_all(p, KUZAT_FORMAT_AUTO), "auto.vtt=hi|#0");
}

static void *c_alloc(void *ud, size_t n) {
  counter *c = ud;
  size_t *p = malloc(n + sizeof(size_t) * 2);
  if (!p) return NULL;
  *p = n;
  c->now += n;
  if (c->now > c->peak) c->peak = c->now;
  return p + 2;
}

static void c_free(void *ud, void *q) {
  counter *c = ud;
  if (!q) return;
  size_t *p = (size_t *)q - 2;
  c->now -= *p;
  free(p);
}

static void *c_realloc(void *ud, void *q, size_t n) {
  if (!q) return c_alloc(ud, n);
  counter *c = ud;
  size_t *p = (size_t *)q - 2, old = *p;
  size_t *np = realloc(p, n + sizeof(size_t) * 2);
  if (!np) return NULL;
  *np = n;
  c->now = c->now - old + n;
  if (c->now > c->peak) c->peak = c->now;
  return np + 2;
}

/* Write `prefix`, then `n` copies of `unit`, then `suffix` to a file. */
static const char *write_big(const char *name, const char *prefix, const char *unit, size_t n,
                             const char *suffix) {
  static char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  static char chunk[1 << 16];
  size_t ul = strlen(unit), per = sizeof chunk / ul;
  for (size_t i = 0; i < per; i++) memcpy(chunk + i * ul, unit, ul);
  fputs(prefix, f);
  while (n) {
    size_t k = n < per ? n : per;
    fwrite(chunk, ul, k, f);
    n -= k;
  }
  fputs(suffix, f);
  fclose(f);
  return path;
}

static void test_limit(void) {
  counter c = {0, 0};
  kuzat_allocator a = {c_alloc, c_realloc, c_free, &c};
  kuzat_record rec;
  /* a 50,000,000-byte line: "x", 24,999,999 two-byte letters, "z", CRLF */
  const char *p = write_big("big.txt", "x", "ҳ", 24999999, "z\r\nKeyingi qator.\n");
  kuzat_reader *r = first_record(p, KUZAT_FORMAT_LINES, 1000, &a, &rec);
  CHECK(r && rec.full_len == 50000000 && rec.text_len == 999 && rec.line == 1 &&
            memcmp(rec.text, "xҳ", 3) == 0 && memcmp(rec.text + 997, "ҳ", 2) == 0,
        "50 MB line cut at a whole character: text_len %zu full_len %zu", r ? rec.text_len : 0,
        r ? rec.full_len : 0);
  CHECK(r && kuzat_reader_next(r, &rec, NULL) == 1 && rec.line == 2 &&
            rec.text_len == 14 && rec.full_len == 14 && memcmp(rec.text, "Keyingi", 7) == 0,
        "the line after it");
  CHECK(r && kuzat_reader_next(r, &rec, NULL) == 0, "then the end");
  kuzat_reader_free(r);
  CHECK(c.peak < 1000000 && c.now == 0, "lines: peak %zu bytes, %zu left", c.peak, c.now);

  c.peak = 0;
  r = first_record(p, KUZAT_FORMAT_TEXT, 1001, &a, &rec);
  CHECK(r && rec.full_len == 50000000 + 2 + 15 && rec.text_len == 1001,
        "text format: cut %zu of %zu", r ? rec.text_len : 0, r ? rec.full_len : 0);
  kuzat_reader_free(r);
  CHECK(c.peak < 1000000, "text: peak %zu bytes", c.peak);

  /* JSONL and TSV: a line over 4 * 1000 + 65536 bytes is a bad record and
   * the following lines keep their numbers */
  p = write_big("big.jsonl", "{\"id\":\"uz1\",\"text\":\"Salom\"}\n{\"text\":\"", "ab", 25000000,
                "\"}\n{\"id\":\"uz3\",\"text\":\"Ertaga bozorga boramiz.\"}\n");
  c.peak = 0;
  r = first_record(p, KUZAT_FORMAT_JSONL, 1000, &a, &rec);
  CHECK(r && rec.full_len == 5 && rec.text_len == 5, "jsonl first record");
  CHECK(r && kuzat_reader_next(r, &rec, NULL) == 1 && rec.error &&
            strstr(rec.error, "/big.jsonl:2: record longer than 69536 bytes, more than the "
                              "reader's memory limit lets it parse") &&
            rec.line == 2 && rec.text_len == 0 && rec.full_len == 0,
        "jsonl: too long: %s", r && rec.error ? rec.error : "(no error)");
  CHECK(r && kuzat_reader_next(r, &rec, NULL) == 1 && !rec.error && rec.line == 3 &&
            rec.text_len == 23 && rec.id_len == 3,
        "jsonl: the line after it");
  kuzat_reader_free(r);
  CHECK(c.peak < 1000000, "jsonl: peak %zu bytes", c.peak);

  p = write_big("big.tsv", "id\ttext\nq1\t", "ab", 25000000, "\nq2\tBugun havo juda issiq.\n");
  c.peak = 0;
  r = first_record(p, KUZAT_FORMAT_AUTO, 1000, &a, &rec);
  CHECK(r && rec.error && strstr(rec.error, "big.tsv:2: record longer than 69536 bytes") &&
            rec.line == 2,
        "tsv: too long");
  CHECK(r && kuzat_reader_next(r, &rec, NULL) == 1 && !rec.error && rec.line == 3 &&
            rec.text_len == 22 && rec.id_len == 2,
        "tsv: the line after it");
  kuzat_reader_free(r);
  CHECK(c.peak < 1000000, "tsv: peak %zu bytes", c.peak);

  /* under the raw bound but over the limit: cut, whole characters */
  char line[3000];
  size_t k = (size_t)snprintf(line, sizeof line, "{\"text\":\"");
  for (int i = 0; i < 600; i++) k += (size_t)snprintf(line + k, sizeof line - k, "ӯ");
  snprintf(line + k, sizeof line - k, "\"}\n");
  p = write_file("cut.jsonl", line, strlen(line), 0);
  expect("jsonl: cut", read_tr(p, KUZAT_FORMAT_JSONL, 1)
             , "cut.jsonl:1= full=1200|#0");
  r = first_record(p, KUZAT_FORMAT_JSONL, 1001, NULL, &rec);
  CHECK(r && rec.text_len == 1000 && rec.full_len == 1200, "jsonl: cut at 1000 of 1200");
  kuzat_reader_free(r);
  const char *ctsv = "text\nЎзбекистон\n", *cft = "__label__a __label__b Тоҷикистон\n";
  p = write_file("cut.tsv", ctsv, strlen(ctsv), 0);
  expect("tsv: cut", read_tr(p, KUZAT_FORMAT_TSV, 5), "cut.tsv:2=Ўз full=20|#0");
  p = write_file("cut.ft", cft, strlen(cft), 0);
  expect("fasttext: the text is cut, not the labels", read_tr(p, KUZAT_FORMAT_FASTTEXT, 7),
         "cut.ft:1=Тоҷ full=20|#0");
  /* limit 5 keeps 8 bytes of a line: a '\r' just past them, or the last
   * of them, is still no part of the line; a BOM does not count */
  p = write_file("cr.txt", "abcdefgh\r\nabcdefg\r\n\xEF\xBB\xBF\r\n", 24, 0);
  expect("lines: CRLF at the edge of what is kept", read_tr(p, KUZAT_FORMAT_LINES, 5),
         "cr.txt:1=abcde full=8|cr.txt:2=abcde full=7|cr.txt:3=\xEF\xBB\xBF|#0");
  p = write_file("bom.txt", "\xEF\xBB\xBF" "abcd\r\n", 9, 1);
  expect("lines: BOM and the limit", read_tr(p, KUZAT_FORMAT_LINES, 2),
         "bom.txt:1=ab full=4|#0");
  p = write_file("short.txt", "Salom\n\nXayr", 11, 0);
  expect("no cut: full_len == text_len", read_tr(p, KUZAT_FORMAT_LINES, 5),
         "short.txt:1=Salom|short.txt:2=|short.txt:3=Xayr|#0");

  /* Whisper: the whole file is the raw record */
  p = write_big("big.json", "{\"segments\":[{\"start\":0,\"end\":1,\"text\":\"", "ab", 40000,
                "\"}]}");
  expect("whisper: too long", read_tr(p, KUZAT_FORMAT_AUTO, 1000),
         "big.json!big.json:1: record longer than 69536 bytes, more than the reader's memory limit lets it parse|#0");

  /* subtitles: text cut, the segment across the cut shortened, later ones
   * dropped, full_len the whole joined text */
  const char srt[] = "1\n00:00:01,000 --> 00:00:02,000\nSalom dunyo\n\n"
                     "2\n00:00:03,000 --> 00:00:04,000\nБугун ҳаво\n\n"
                     "3\n00:00:05,000 --> 00:00:06,000\nKeyingi\n";
  p = write_file("cut.srt", srt, sizeof srt - 1, 0);
  expect("srt: no cut at 39", read_tr(p, KUZAT_FORMAT_SRT, 39),
         "cut.srt=Salom dunyo\nБугун ҳаво\nKeyingi[1.000-2.000 @0+11][3.000-4.000 @12+19]"
         "[5.000-6.000 @32+7]|#0");
  expect("srt: cut after a letter", read_tr(p, KUZAT_FORMAT_SRT, 18),
         "cut.srt=Salom dunyo\nБуг[1.000-2.000 @0+11][3.000-4.000 @12+6] full=39|#0");
  expect("srt: cut inside a letter", read_tr(p, KUZAT_FORMAT_SRT, 17),
         "cut.srt=Salom dunyo\nБу[1.000-2.000 @0+11][3.000-4.000 @12+4] full=39|#0");
  expect("srt: cut at a separator", read_tr(p, KUZAT_FORMAT_SRT, 12),
         "cut.srt=Salom dunyo\n[1.000-2.000 @0+11] full=39|#0");
  expect("srt: cut in the first cue", read_tr(p, KUZAT_FORMAT_SRT, 5),
         "cut.srt=Salom[1.000-2.000 @0+5] full=39|#0");
  /* a 30 MB cue line, bounded memory; its length counted */
  p = write_big("big.srt", "1\n00:00:01,000 --> 00:00:02,000\n", "Kar ", 7500000,
                "\n\n2\n00:00:03,000 --> 00:00:04,000\nXayr\n");
  c.peak = 0;
  r = first_record(p, KUZAT_FORMAT_AUTO, 1000, &a, &rec);
  CHECK(r && !rec.error && rec.text_len == 1000 && rec.full_len == 30000000 + 4 &&
            rec.segments_len == 1 && rec.segments[0].len == 1000,
        "srt: 30 MB cue: text_len %zu full_len %zu segments %zu", r ? rec.text_len : 0,
        r ? rec.full_len : 0, r ? rec.segments_len : 0);
  kuzat_reader_free(r);
  CHECK(c.peak < 1000000 && c.now == 0, "srt: peak %zu bytes", c.peak);
}

/* The input layer: gzip members one after another, bytes after them,
 * damaged data, and a pipe read without waiting for more than is there. */
static void test_input(void) {
  /* two gzip members, then bytes that start no member */
  char two[512];
  size_t n = 0;
  const char *p = write_file("m1.gz", "Salom\n", 6, 1);
  FILE *f = fopen(p, "rb");
  n += fread(two, 1, sizeof two, f);
  fclose(f);
  p = write_file("m2.gz", "Xayr\n", 5, 1);
  f = fopen(p, "rb");
  n += fread(two + n, 1, sizeof two - n, f);
  fclose(f);
  p = write_file("two.txt", two, n, 0);
  expect("gzip members one after another", read_all(p, KUZAT_FORMAT_LINES),
         "two.txt:1=Salom|two.txt:2=Xayr|#0");
  memcpy(two + n, "junk\n", 5);
  p = write_file("junk.txt", two, n + 5, 0);
  expect("bytes after the last member are ignored", read_all(p, KUZAT_FORMAT_LINES),
         "junk.txt:1=Salom|junk.txt:2=Xayr|#0");
  two[12] ^= 0x55; /* inside the first member's deflate data */
  p = write_file("bad.txt", two, n, 0);
  const char *got = read_all(p, KUZAT_FORMAT_LINES);
  CHECK(strstr(got, "#-2 bad.txt: ") != NULL, "damaged gzip data: %s", got);
  p = write_file("one.txt", "\x1f", 1, 0);
  expect("a lone 0x1f byte is text", read_all(p, KUZAT_FORMAT_TEXT), "one.txt=\x1f|#0");
  p = write_file("x1f.txt", "\x1f" "a\n", 3, 0);
  expect("0x1f then not 0x8b is text", read_all(p, KUZAT_FORMAT_LINES), "x1f.txt:1=\x1f" "a|#0");

  /* a pipe: the first line comes back while the writer is still there */
  int fds[2];
  if (pipe(fds) != 0) {
    kt_skip("pipe", "pipe() failed");
    return;
  }
  char dev[64];
  snprintf(dev, sizeof dev, "/dev/fd/%d", fds[0]);
  kuzat_reader *r;
  kuzat_record rec;
  if (write(fds[1], "Bugun\nha", 8) != 8) printf("note: short write\n");
  alarm(20); /* a reader that waits for more input fails here, not hangs */
  int ok = kuzat_reader_open(dev, KUZAT_FORMAT_LINES, "pipe", NULL, &r, NULL) == KUZAT_OK;
  CHECK(ok && kuzat_reader_next(r, &rec, NULL) == 1 && rec.text_len == 5 &&
            memcmp(rec.text, "Bugun", 5) == 0,
        "a pipe's first line without waiting for more");
  if (write(fds[1], "vo\n", 3) != 3) printf("note: short write\n");
  close(fds[1]);
  CHECK(ok && kuzat_reader_next(r, &rec, NULL) == 1 && rec.text_len == 4 && rec.line == 2,
        "then the rest");
  CHECK(ok && kuzat_reader_next(r, &rec, NULL) == 0, "then the end");
  alarm(0);
  if (ok) kuzat_reader_free(r);
  close(fds[0]);
}

int main(void) {
  if (!mkdtemp(dir)) {
    printf("not ok - mkdtemp\n");
    return kt_done() | 1;
  }
  const char lines[] = "\xEF\xBB\xBF" "first\r\nsecond\n\nfourth";
  for (int gz = 0; gz < 2; gz++) {
    const char *p = write_file(gz ? "a.txt.gz" : "a.txt", lines, sizeof lines - 1, gz);
    expect(gz ? "lines, gzip" : "lines", read_all(p, KUZAT_FORMAT_LINES),
           gz ? "a.txt.gz:1=first|a.txt.gz:2=second|a.txt.gz:3=|a.txt.gz:4=fourth|#0"
              : "a.txt:1=first|a.txt:2=second|a.txt:3=|a.txt:4=fourth|#0");
  }
  /* gzip by content, whatever the name */
  const char *p = write_file("disguised.txt", "one\ntwo\n", 8, 1);
  expect("gzip detected by magic", read_all(p, KUZAT_FORMAT_LINES),
         "disguised.txt:1=one|disguised.txt:2=two|#0");
  p = write_file("doc.txt", "whole\ndocument\n", 15, 0);
  expect("text: one record per file", read_all(p, KUZAT_FORMAT_AUTO), "doc.txt=whole\ndocument\n|#0");
  p = write_file("empty.txt", "", 0, 0);
  expect("empty text file is one empty document", read_all(p, KUZAT_FORMAT_TEXT), "empty.txt=|#0");
  expect("empty file has no lines", read_all(p, KUZAT_FORMAT_LINES), "#0");
  p = write_file("nul.txt", "a\0b\nc", 5, 0);
  {
    kuzat_reader *r;
    kuzat_record rec;
    kuzat_reader_open(p, KUZAT_FORMAT_LINES, NULL, NULL, &r, NULL);
    CHECK(kuzat_reader_next(r, &rec, NULL) == 1 && rec.text_len == 3 && rec.text[2] == 'b',
          "NUL inside a line is kept");
    kuzat_reader_free(r);
  }

  const char tsv[] = "label\tid\ttext\n"
                     "x\td1\tO'zbekiston\n"
                     "\n"
                     "y\t\tno id here\n"
                     "short\n"
                     "z\td4\ta \"quoted\" field\textra\n";
  p = write_file("t.tsv", tsv, sizeof tsv - 1, 0);
  expect("tsv", read_all(p, KUZAT_FORMAT_AUTO),
         "d1=O'zbekiston|t.tsv:4=no id here|"
         "t.tsv:5!t.tsv:5: expected at least 3 TAB-separated columns, found 1|"
         "d4=a \"quoted\" field|#0");
  p = write_file("nohead.tsv", "a\tb\nc\td\n", 8, 0);
  expect("tsv without text column", read_all(p, KUZAT_FORMAT_AUTO),
         "#-3 nohead.tsv:1: the TSV header names no \"text\" column "
         "(expected a first line such as \"id<TAB>text\")");
  {
    kuzat_reader *r;
    kuzat_record rec;
    kuzat_error err;
    kuzat_reader_open(p, KUZAT_FORMAT_AUTO, NULL, NULL, &r, NULL);
    CHECK(kuzat_reader_next(r, &rec, &err) == KUZAT_EFORMAT && err.line == 1 &&
          err.byte_offset == 0, "a bad TSV header's error says line 1 (err.line %ld)", err.line);
    kuzat_reader_free(r);
  }

  const char jsonl[] = "{\"id\":\"a\",\"text\":\"Ҷумҳурии\"}\n"
                       "{\"id\":7,\"text\":\"n\\u0000ul\"}\n"
                       "   \n"
                       "{\"text\": 42}\n"
                       "{\"text\": null}\n"
                       "{\"id\":\"x\"}\n"
                       "[1,2]\n"
                       "{\"id\":\"b\",\"text\":\"cut\n"
                       "{\"text\":\"last\"}";
  p = write_file("r.jsonl.gz", jsonl, sizeof jsonl - 1, 1);
  expect("jsonl", read_all(p, KUZAT_FORMAT_AUTO),
         "a=Ҷумҳурии|7=n|"
         "r.jsonl.gz:4!r.jsonl.gz:4: \"text\" is a number, expected a string|"
         "r.jsonl.gz:5!r.jsonl.gz:5: \"text\" is null, expected a string|"
         "x!r.jsonl.gz:6: the object has no \"text\" field|"
         "r.jsonl.gz:7!r.jsonl.gz:7: expected a JSON object, found an array|"
         "r.jsonl.gz:8!r.jsonl.gz:8: column 21: invalid JSON: premature end of input near '\"cut'|"
         "r.jsonl.gz:9=last|#0");
  {
    kuzat_reader *r;
    kuzat_record rec;
    kuzat_reader_open(p, KUZAT_FORMAT_AUTO, NULL, NULL, &r, NULL);
    kuzat_reader_next(r, &rec, NULL);
    CHECK(kuzat_reader_next(r, &rec, NULL) == 1 && rec.text_len == 4 && rec.text[1] == '\0',
          "JSON \\u0000 kept inside text");
    kuzat_reader_free(r);
  }
  char deep[5000];
  memset(deep, '[', sizeof deep);
  memcpy(deep, "{\"text\":", 8);
  p = write_file("deep.jsonl", deep, sizeof deep, 0);
  const char *got = read_all(p, KUZAT_FORMAT_JSONL);
  CHECK(strstr(got, "deep.jsonl:1!deep.jsonl:1: column") && strstr(got, "#0"),
        "deeply nested JSON is a bad record: %s", got);

  /* a gzip file cut in half: the lines before the cut, then an I/O error */
  char big[20000];
  for (size_t i = 0; i < sizeof big; i++) big[i] = (char)(i % 61 == 60 ? '\n' : 'a' + (char)(i * 7 % 26));
  p = write_file("cut.txt.gz", big, sizeof big, 1);
  FILE *f = fopen(p, "rb");
  char gzbuf[40000];
  size_t gl = fread(gzbuf, 1, sizeof gzbuf, f);
  fclose(f);
  p = write_file("cut.txt.gz", gzbuf, gl / 2, 0);
  got = read_all(p, KUZAT_FORMAT_LINES);
  CHECK(strstr(got, "#-2 cut.txt.gz: truncated gzip stream") != NULL, "truncated gzip: %s",
        got + (strlen(got) > 200 ? strlen(got) - 200 : 0));

  /* labelled TSV: "label" or "labels", "lang", "group", in any order */
  p = write_file("t.tsv", tsv, sizeof tsv - 1, 0);
  expect("tsv with a label column, labelled", read_labelled(p, KUZAT_FORMAT_AUTO),
         "d1=O'zbekiston {+x} /|t.tsv:4=no id here {+y} /|"
         "t.tsv:5!t.tsv:5: expected at least 3 TAB-separated columns, found 1 {+} /|"
         "d4=a \"quoted\" field {+z} /|#0");
  const char ltsv[] = "id\tlabel\tlang\tgroup\ttext\n"
                      "d1\tuz|ru\tuz\tacct1\tSalom\n"
                      "d2\t , a ,, b |\tru\t\tПривет\n"
                      "d3\t\t\t\tno labels\n"
                      "d4\t|,| \tkk\t42\tonly separators\n"
                      "d5\tx\tuz\n";
  p = write_file("l.tsv", ltsv, sizeof ltsv - 1, 0);
  expect("tsv label, lang, group", read_labelled(p, KUZAT_FORMAT_TSV),
         "d1=Salom {+uz,ru} uz/acct1|d2=Привет {+a,b} ru/|d3=no labels {+} /|"
         "d4=only separators {+} kk/42|"
         "d5!l.tsv:6: expected at least 5 TAB-separated columns, found 3 {+} /|#0");
  const char rtsv[] = "text\tid\tlabels\tlang\tgroup\n"
                      "hello\tq1\ta|b\n"
                      "hi\tq2\n"
                      "\tq3\t c , d \tuz\n"
                      "full\tq4\te\tru\tg\textra\n";
  p = write_file("r.tsv.gz", rtsv, sizeof rtsv - 1, 1);
  expect("tsv labels column after text; short rows", read_labelled(p, KUZAT_FORMAT_AUTO),
         "q1=hello {+a,b} /|"
         "q2!r.tsv.gz:3: expected at least 3 TAB-separated columns, found 2 {+} /|"
         "q3= {+c,d} uz/|q4=full {+e} ru/g|#0");
  const char ntsv[] = "text\tlang\tgroup\nno label column\tuz\n";
  p = write_file("n.tsv", ntsv, sizeof ntsv - 1, 0);
  expect("tsv without a label column", read_labelled(p, KUZAT_FORMAT_TSV),
         "n.tsv:2=no label column {-} uz/|#0");
  const char btsv[] = "label\ttext\tlabels\na\tb\tc\n";
  p = write_file("both.tsv", btsv, sizeof btsv - 1, 0);
  expect("tsv with both label and labels", read_labelled(p, KUZAT_FORMAT_TSV),
         "#-3 both.tsv:1: the TSV header names both a \"label\" and a \"labels\" "
         "column (expected one of them)");
  {
    kuzat_reader *r;
    kuzat_record rec;
    kuzat_reader_open(p, KUZAT_FORMAT_TSV, NULL, NULL, &r, NULL);
    int rc1 = kuzat_reader_next(r, &rec, NULL), rc2 = kuzat_reader_next(r, &rec, NULL);
    CHECK(rc1 == KUZAT_EFORMAT && rc2 == 0, "a bad TSV header stops the reader: %d %d", rc1, rc2);
    kuzat_reader_free(r);
  }

  /* labelled JSON Lines */
  const char ljsonl[] =
      "{\"id\":\"j1\",\"text\":\"a\",\"labels\":[\"uz\",\"ru\"],\"lang\":\"uz\",\"group\":\"acc\"}\n"
      "{\"text\":\"b\",\"label\":\"x| y ,z\"}\n"
      "{\"text\":\"c\",\"label\":3}\n"
      "{\"text\":\"d\",\"labels\":[\"a\",1]}\n"
      "{\"text\":\"e\",\"labels\":\"a\"}\n"
      "{\"text\":\"f\",\"lang\":5}\n"
      "{\"text\":\"g\",\"group\":[1]}\n"
      "{\"text\":\"h\",\"group\":12345678901,\"lang\":\"kk\"}\n"
      "{\"text\":\"i\",\"group\":-7,\"labels\":[]}\n"
      "{\"text\":\"j\",\"label\":\"a\",\"labels\":[\"b\"]}\n"
      "{\"text\":\"k\",\"group\":1.5}\n"
      "{\"text\":\"l\",\"lang\":null,\"label\":\"q\"}\n"
      "{\"text\":\"m\"}\n"
      "{\"text\":5,\"label\":\"a\"}\n"
      "{\"text\":\"n\",\"labels\":[\"a,b\",\" c|d \",\"\"],\"label\":null}\n"
      "{\"text\":\"o\",\"label\":true}\n"
      "{\"text\":\"p\",\"labels\":[[\"a\"]]}\n"
      "{\"text\":\"q\",\"label\":\"\"}\n";
  p = write_file("l.jsonl", ljsonl, sizeof ljsonl - 1, 0);
  expect("jsonl labels, lang, group", read_labelled(p, KUZAT_FORMAT_AUTO),
         "j1=a {+uz,ru} uz/acc|l.jsonl:2=b {+x,y,z} /|"
         "l.jsonl:3!l.jsonl:3: \"label\" is a number, expected a string {+} /|"
         "l.jsonl:4!l.jsonl:4: \"labels\" must be an array of strings {+} /|"
         "l.jsonl:5!l.jsonl:5: \"labels\" must be an array of strings {+} /|"
         "l.jsonl:6!l.jsonl:6: \"lang\" is a number, expected a string {-} /|"
         "l.jsonl:7!l.jsonl:7: \"group\" is an array, expected a string or an integer {-} /|"
         "l.jsonl:8=h {-} kk/12345678901|l.jsonl:9=i {+} /-7|"
         "l.jsonl:10!l.jsonl:10: the object has both \"label\" and \"labels\", expected one {+} /|"
         "l.jsonl:11!l.jsonl:11: \"group\" is a number, expected a string or an integer {-} /|"
         "l.jsonl:12!l.jsonl:12: \"lang\" is null, expected a string {+} /|"
         "l.jsonl:13=m {-} /|"
         "l.jsonl:14!l.jsonl:14: \"text\" is a number, expected a string {+} /|"
         "l.jsonl:15!l.jsonl:15: the object has both \"label\" and \"labels\", expected one {+} /|"
         "l.jsonl:16!l.jsonl:16: \"label\" is a boolean, expected a string {+} /|"
         "l.jsonl:17!l.jsonl:17: \"labels\" must be an array of strings {+} /|"
         "l.jsonl:18=q {+} /|#0");
  const char njsonl[] = "{\"text\":\"n\",\"labels\":[\"a,b\",\" c|d \",\"\"]}\n";
  p = write_file("n.jsonl.gz", njsonl, sizeof njsonl - 1, 1);
  expect("jsonl array elements split, trimmed, empties dropped", read_labelled(p, KUZAT_FORMAT_AUTO),
         "n.jsonl.gz:1=n {+a,b,c,d} /|#0");
  p = write_file("r.jsonl.gz", jsonl, sizeof jsonl - 1, 1);
  got = read_labelled(p, KUZAT_FORMAT_AUTO);
  CHECK(strncmp(got, "a=Ҷумҳурии {-} /|", strlen("a=Ҷумҳурии {-} /|")) == 0 &&
            strstr(got, "r.jsonl.gz:8!r.jsonl.gz:8: column 21: invalid JSON: premature end of "
                        "input near '\"cut' {-} /|") && !strstr(got, "NULL"),
        "unlabelled jsonl: empty labels, lang, group: %s", got);

  /* fastText */
  const char ft[] = "__label__uz Salom dunyo\n"
                    "\n"
                    "__label__uz __label__ru\tmixed  text\n"
                    "  \t \n"
                    "no labels here\n"
                    "__label__a\t__label__b\ttabbed\ttext\r\n"
                    "__label__only\n"
                    "__label__x  \n"
                    "text with __label__inner\n"
                    "  __label__a|b,c  __label__  spaced \n"
                    "__label_ not a label\n"
                    "__label__last";
  const char *want_ft = "F:1=Salom dunyo {+uz} /|F:3=mixed  text {+uz,ru} /|"
                        "F:5=no labels here {+} /|F:6=tabbed\ttext {+a,b} /|"
                        "F:7= {+only} /|F:8= {+x} /|F:9=text with __label__inner {+} /|"
                        "F:10=spaced  {+a,b,c} /|F:11=__label_ not a label {+} /|"
                        "F:12= {+last} /|#0";
  const char *ft_names[] = {"f.ft", "f.fasttext.gz", "f.txt"};
  for (int i = 0; i < 3; i++) {
    p = write_file(ft_names[i], ft, sizeof ft - 1, i == 1);
    char want[1024], *w = want;
    for (const char *q = want_ft; *q; q++) { /* F stands for the file name */
      if (*q == 'F') w += sprintf(w, "%s", ft_names[i]);
      else *w++ = *q;
    }
    *w = '\0';
    expect(ft_names[i], read_labelled(p, i == 2 ? KUZAT_FORMAT_FASTTEXT : KUZAT_FORMAT_AUTO),
           want);
  }
  p = write_file("f.ft.gz", ft, sizeof ft - 1, 1);
  got = read_labelled(p, KUZAT_FORMAT_AUTO);
  CHECK(strncmp(got, "f.ft.gz:1=Salom dunyo {+uz} /|", 30) == 0, ".ft.gz is fastText: %s", got);
  p = write_file("f.unknown", ft, sizeof ft - 1, 0);
  got = read_labelled(p, KUZAT_FORMAT_AUTO);
  CHECK(strncmp(got, "f.unknown=__label__uz Salom", 27) == 0 && strstr(got, "{-} /|#0"),
        "unknown extension is still text: %s", got);
  p = write_file("blank.ft", "\n \r\n\t\n", 6, 0);
  expect("fastText blank lines are no records", read_labelled(p, KUZAT_FORMAT_AUTO), "#0");
  p = write_file("a.txt", lines, sizeof lines - 1, 0);
  expect("lines: no labels", read_labelled(p, KUZAT_FORMAT_LINES),
         "a.txt:1=first {-} /|a.txt:2=second {-} /|a.txt:3= {-} /|a.txt:4=fourth {-} /|#0");
  p = write_file("doc.txt", "whole\n", 6, 0);
  expect("text: no labels", read_labelled(p, KUZAT_FORMAT_TEXT), "doc.txt=whole\n {-} /|#0");
  CHECK(kuzat_format_from_name("fasttext") == KUZAT_FORMAT_FASTTEXT &&
            kuzat_format_from_name("ft") == KUZAT_FORMAT_FASTTEXT &&
            kuzat_format_from_name("jsonl") == KUZAT_FORMAT_JSONL &&
            kuzat_format_from_name("fastText") == -1,
        "format names");

  kuzat_reader *r;
  kuzat_error err;
  char missing[600];
  snprintf(missing, sizeof missing, "%s/missing.txt", dir);
  CHECK(kuzat_reader_open(missing, 0, "missing.txt", NULL, &r, &err) == KUZAT_EIO &&
            strcmp(err.msg, "missing.txt: No such file or directory") == 0,
        "missing file: %s", err.msg);
  CHECK(kuzat_reader_open(dir, 0, "d", NULL, &r, &err) == KUZAT_EIO &&
            strcmp(err.msg, "d: is a directory") == 0, "directory: %s", err.msg);
  CHECK(kuzat_reader_open(NULL, 0, NULL, NULL, &r, &err) == KUZAT_EINVAL, "NULL path");
  CHECK(kuzat_reader_open("x", 99, NULL, NULL, &r, &err) == KUZAT_EINVAL, "bad format");
  kuzat_record rec;
  CHECK(kuzat_reader_next(NULL, &rec, &err) == KUZAT_EINVAL, "next(NULL)");
  kuzat_reader_free(NULL);

  test_srt();
  test_vtt();
  test_whisper();
  test_jsonl_segments();
  test_names();
  test_format_table();
  test_format_from_path();
  test_limit();
  test_input();

  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) printf("note: could not remove %s\n", dir);
  return kt_done();
}
