/*
 * read_json.c -- the JSON formats, through jansson: JSON Lines (an object a
 * line with "text", or with "segments" as a transcript; "id", labels, "lang"
 * and "group") and Whisper's JSON output (one object with "segments", the
 * whole file one transcript). See docs/FORMATS.md.
 */
#include "reader.h"

#include <stdio.h>
#include <string.h>

static const char *json_kind(const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_OBJECT: return "an object";
  case JSON_ARRAY: return "an array";
  case JSON_STRING: return "a string";
  case JSON_INTEGER: case JSON_REAL: return "a number";
  case JSON_TRUE: case JSON_FALSE: return "a boolean";
  case JSON_NULL: return "null";
  }
  return "a value";
}

/* A JSON string or integer as text in a scratch buffer; *len its length. */
static int json_scalar(kuzat_reader *r, const json_t *v, char **buf, size_t *cap,
                       size_t *len) {
  if (json_is_string(v)) {
    *len = json_string_length(v);
    return kuzat__set_buf(r, buf, cap, json_string_value(v), *len);
  }
  char num[64];
  int n = snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
  *len = (size_t)n;
  return kuzat__set_buf(r, buf, cap, num, (size_t)n);
}

static int json_text(kuzat_reader *r, kuzat_record *rec) {
  json_t *text = json_object_get(r->json, "text");
  if (!text) return kuzat__bad_record(r, rec, "the object has no \"text\" field");
  if (!json_is_string(text))
    return kuzat__bad_record(r, rec, "\"text\" is %s, expected a string", json_kind(text));
  rec->text = json_string_value(text);
  rec->text_len = json_string_length(text);
  return KUZAT_OK;
}

/* A "labels" array of strings or a "label" string. */
static int json_labels(kuzat_reader *r, kuzat_record *rec) {
  json_t *many = json_object_get(r->json, "labels"), *one = json_object_get(r->json, "label");
  if (many && one)
    return kuzat__bad_record(r, rec, "the object has both \"label\" and \"labels\", expected one");
  if (one && !json_is_string(one))
    return kuzat__bad_record(r, rec, "\"label\" is %s, expected a string", json_kind(one));
  if (one && kuzat__add_labels(r, json_string_value(one), json_string_length(one)))
    return KUZAT_ENOMEM;
  if (many && !json_is_array(many))
    return kuzat__bad_record(r, rec, "\"labels\" must be an array of strings");
  size_t i;
  json_t *v;
  json_array_foreach(many, i, v) { /* none when `many` is NULL */
    if (!json_is_string(v))
      return kuzat__bad_record(r, rec, "\"labels\" must be an array of strings");
    if (kuzat__add_labels(r, json_string_value(v), json_string_length(v))) return KUZAT_ENOMEM;
  }
  kuzat__store_labels(r, rec);
  return KUZAT_OK;
}

/* "lang", a string, and "group", a string or an integer. */
static int json_lang_group(kuzat_reader *r, kuzat_record *rec) {
  json_t *lang = json_object_get(r->json, "lang"), *group = json_object_get(r->json, "group");
  if (lang && !json_is_string(lang))
    return kuzat__bad_record(r, rec, "\"lang\" is %s, expected a string", json_kind(lang));
  if (group && !json_is_string(group) && !json_is_integer(group))
    return kuzat__bad_record(r, rec, "\"group\" is %s, expected a string or an integer",
                             json_kind(group));
  if (lang) {
    rec->lang = json_string_value(lang);
    rec->lang_len = json_string_length(lang);
  }
  if (group) {
    if (json_scalar(r, group, &r->group, &r->group_cap, &rec->group_len)) return KUZAT_ENOMEM;
    rec->group = r->group;
  }
  return KUZAT_OK;
}

/* ---- segments (Whisper, JSONL) ------------------------------------------ */

/* Field `name` of segment `i` as seconds into *out; a number, or with
 * `strings` also a timestamp string. Otherwise the record is made bad. */
static int json_time(kuzat_reader *r, kuzat_record *rec, long line, const json_t *seg,
                     size_t i, const char *name, int strings, double *out) {
  const json_t *v = json_object_get(seg, name);
  const char *want = strings ? "a number or a timestamp string" : "a number";
  if (!v) return kuzat__bad_record_at(r, rec, line, "segments[%zu] has no \"%s\"", i, name);
  if (json_is_number(v)) {
    *out = json_number_value(v);
  } else if (strings && json_is_string(v)) {
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (kuzat__parse_clock(s, n, 1, out) != n || n == 0)
      return kuzat__bad_record_at(r, rec, line,
                                  "segments[%zu]: malformed timestamp \"%.40s\" in \"%s\" "
                                  "(expected seconds or [HH:]MM:SS.mmm)",
                                  i, s, name);
  } else {
    return kuzat__bad_record_at(r, rec, line, "segments[%zu]: \"%s\" is %s, expected %s", i, name,
                                json_kind(v), want);
  }
  if (*out < 0)
    return kuzat__bad_record_at(r, rec, line, "segments[%zu]: \"%s\" is negative", i, name);
  return KUZAT_OK;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* One segment object of a JSON "segments" array into the transcript. */
static int json_segment(kuzat_reader *r, kuzat_record *rec, long line, const json_t *seg,
                        size_t i, int strings) {
  if (!json_is_object(seg))
    return kuzat__bad_record_at(r, rec, line, "segments[%zu] is %s, expected an object", i,
                                json_kind(seg));
  double start = 0, end = 0;
  if (json_time(r, rec, line, seg, i, "start", strings, &start) || rec->error ||
      json_time(r, rec, line, seg, i, "end", strings, &end) || rec->error)
    return rec->error ? KUZAT_OK : KUZAT_ENOMEM;
  const json_t *text = json_object_get(seg, "text");
  if (!text) return kuzat__bad_record_at(r, rec, line, "segments[%zu] has no \"text\"", i);
  if (!json_is_string(text))
    return kuzat__bad_record_at(r, rec, line, "segments[%zu]: \"text\" is %s, expected a string", i,
                                json_kind(text));
  if (end < start)
    return kuzat__bad_record_at(r, rec, line, "segments[%zu]: cue ends before it starts", i);
  const char *s = json_string_value(text), *e = s + json_string_length(text);
  while (s < e && is_space(*s)) s++;
  while (e > s && is_space(e[-1])) e--;
  if (kuzat__tr_segment(r, start, end) || kuzat__tr_text(r, s, (size_t)(e - s), 0))
    return KUZAT_ENOMEM;
  return KUZAT_OK;
}

/* A "segments" array (of a JSONL line, or of a Whisper file when `strings`
 * is 0) into the record's text and segments. */
static int json_segments(kuzat_reader *r, kuzat_record *rec, const json_t *segs, int strings) {
  long line = strings ? r->line_no : 1;
  if (!json_is_array(segs))
    return kuzat__bad_record_at(r, rec, line, "\"segments\" is %s, expected an array",
                                json_kind(segs));
  kuzat__tr_reset(r);
  for (size_t i = 0; i < json_array_size(segs); i++) {
    if (json_segment(r, rec, line, json_array_get(segs, i), i, strings)) return KUZAT_ENOMEM;
    if (rec->error) return KUZAT_OK;
  }
  return kuzat__tr_finish(r, rec);
}

/* JSON Lines: a record a line that is not blank; with
 * KUZAT_READ_BLANK_RECORDS a blank line is a bad record. */
int kuzat__next_jsonl(kuzat_reader *r, kuzat_record *rec, kuzat_error *err) {
  int rc, blank;
  do {
    if ((rc = kuzat__read_line(r, 0, err)) <= 0) return rc;
    blank = kz_blank_line(r->line, r->line_len);
  } while (blank && !(r->flags & KUZAT_READ_BLANK_RECORDS));
  rec->line = r->line_no;
  if (kuzat__set_default_id(r, rec, 1)) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  if (blank)
    return kuzat__bad_record(r, rec, "blank line (expected a JSON object)")
               ? kuzat__fail(err, KUZAT_ENOMEM, "out of memory")
               : 1;
  if (r->line_full > kuzat__raw_limit(r))
    return kuzat__too_long(r, rec) ? kuzat__fail(err, KUZAT_ENOMEM, "out of memory") : 1;
  json_error_t je;
  r->json = json_loadb(r->line, r->line_len, JSON_ALLOW_NUL, &je);
  int oom = 0;
  if (!r->json) {
    oom = kuzat__bad_record(r, rec, "column %d: invalid JSON: %s", je.column, je.text);
  } else if (!json_is_object(r->json)) {
    oom = kuzat__bad_record(r, rec, "expected a JSON object, found %s", json_kind(r->json));
  } else {
    json_t *id = json_object_get(r->json, "id");
    if (json_is_string(id) || json_is_integer(id)) {
      oom = json_scalar(r, id, &r->id, &r->id_cap, &rec->id_len);
      rec->id = r->id;
    }
    rec->has_labels = json_object_get(r->json, "labels") || json_object_get(r->json, "label");
    json_t *segs = json_object_get(r->json, "segments");
    if (!oom) oom = segs ? json_segments(r, rec, segs, 1) : json_text(r, rec);
    if (!oom && !rec->error) oom = json_labels(r, rec);
    if (!oom && !rec->error) oom = json_lang_group(r, rec);
  }
  return oom ? kuzat__fail(err, KUZAT_ENOMEM, "out of memory") : 1;
}

/* A Whisper JSON file as one transcript record. */
int kuzat__next_whisper(kuzat_reader *r, kuzat_record *rec, kuzat_error *err) {
  int rc;
  r->done = 1;
  rec->line = 1;
  if (kuzat__set_default_id(r, rec, 0)) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  if ((rc = kuzat__read_line(r, 1, err)) < 0) return rc;
  int oom;
  json_error_t je;
  if (r->line_full > kuzat__raw_limit(r)) {
    oom = kuzat__too_long(r, rec);
  } else if (!(r->json = json_loadb(r->line ? r->line : "", r->line_len, JSON_ALLOW_NUL, &je))) {
    oom = kuzat__bad_record_at(r, rec, je.line > 0 ? je.line : 1, "column %d: invalid JSON: %s",
                               je.column, je.text);
  } else if (!json_is_object(r->json)) {
    oom = kuzat__bad_record_at(r, rec, 1, "expected a JSON object, found %s", json_kind(r->json));
  } else if (!json_object_get(r->json, "segments")) {
    oom = kuzat__bad_record_at(r, rec, 1, "the object has no \"segments\" field");
  } else {
    oom = json_segments(r, rec, json_object_get(r->json, "segments"), 0);
  }
  return oom ? kuzat__fail(err, KUZAT_ENOMEM, "out of memory") : 1;
}
