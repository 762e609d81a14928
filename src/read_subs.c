/*
 * read_subs.c -- subtitles: SubRip (.srt) and WebVTT (.vtt), the whole file
 * one transcript, read a line at a time by a small state machine per
 * format; cue markup removed, WebVTT's character references decoded. What
 * each accepts, leniencies included: docs/FORMATS.md, "Transcripts".
 */
#include "reader.h"

#include <string.h>

static size_t skip_blanks(const char *s, size_t i, size_t n) {
  while (i < n && kz_is_blank(s[i])) i++;
  return i;
}

/* A timing line "start --> end[ anything]"; 1 when it is one. */
static int parse_timing(const char *s, size_t n, double *start, double *end) {
  size_t i = skip_blanks(s, 0, n), k;
  if (!(k = kuzat__parse_clock(s + i, n - i, 2, start))) return 0;
  i = skip_blanks(s, i + k, n);
  if (n - i < 3 || memcmp(s + i, "-->", 3) != 0) return 0;
  i = skip_blanks(s, i + 3, n);
  if (!(k = kuzat__parse_clock(s + i, n - i, 2, end))) return 0;
  i += k;
  return i == n || kz_is_blank(s[i]);
}

static const char *find_arrow(const char *s, size_t n) {
  for (size_t i = 0; i + 3 <= n; i++)
    if (s[i] == '-' && s[i + 1] == '-' && s[i + 2] == '>') return s + i;
  return NULL;
}

static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* s[0..n) consists of digits only (a cue number). */
static int all_digits(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!kz_is_digit(s[i])) return 0;
  return n > 0;
}

/* The line is `word` alone or followed by a space or tab (WEBVTT, NOTE). */
static int starts_word(const char *s, size_t n, const char *word) {
  size_t k = strlen(word);
  return n >= k && memcmp(s, word, k) == 0 && (n == k || kz_is_blank(s[k]));
}

static size_t put_utf8(char *out, unsigned long cp) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* A numeric character reference "#N;" or "#xH;" at s[0..n) (after the
 * '&'): the code point, or 0 when there is none or it is not a scalar
 * value; *used the bytes up to and including ';'. */
static unsigned long numeric_ref(const char *s, size_t n, size_t *used) {
  int hex = n > 1 && (s[1] == 'x' || s[1] == 'X');
  size_t i = hex ? 2 : 1, d0 = i;
  unsigned long cp = 0;
  if (n < 2 || s[0] != '#') return 0;
  for (; i < n && i - d0 < 7; i++) {
    int d = kz_is_digit(s[i]) ? s[i] - '0'
            : hex && s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
            : hex && s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 10
                                                : -1;
    if (d < 0) break;
    cp = cp * (hex ? 16u : 10u) + (unsigned long)d;
  }
  if (i == d0 || i >= n || s[i] != ';') return 0;
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  *used = i + 1;
  return cp;
}

/* A WebVTT character reference at s[0..n) (s[0] is '&'): its UTF-8 bytes
 * in out (at most 4), their count, and *used the bytes it took; 0 when
 * there is none (the '&' is text). Every reference is longer than its
 * UTF-8, so decoding in place never overtakes the reading. */
static size_t decode_entity(const char *s, size_t n, char *out, size_t *used) {
  static const struct {
    const char *name;
    unsigned long cp;
  } names[] = {{"amp;", '&'},     {"lt;", '<'},       {"gt;", '>'},     {"quot;", '"'},
               {"apos;", '\''},   {"nbsp;", 0xA0},    {"lrm;", 0x200E}, {"rlm;", 0x200F}};
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
    size_t len = strlen(names[k].name);
    if (n - 1 >= len && memcmp(s + 1, names[k].name, len) == 0) {
      *used = len + 1;
      return put_utf8(out, names[k].cp);
    }
  }
  size_t u = 0;
  unsigned long cp = numeric_ref(s + 1, n - 1, &u);
  if (!cp) return 0;
  *used = u + 1;
  return put_utf8(out, cp);
}

/* Remove markup from a cue's text line s[0..n) in place (docs/FORMATS.md
 * says what counts as markup in each format); the new length. */
static size_t clean_cue(char *s, size_t n, int vtt) {
  size_t o = 0, i = 0;
  while (i < n) {
    char c = s[i];
    if (c == '<' && (vtt || (i + 1 < n && (s[i + 1] == '/' || is_alpha(s[i + 1]))))) {
      const char *gt = memchr(s + i, '>', n - i);
      if (gt || vtt) { /* an unclosed WebVTT tag runs to the end of the line */
        i = gt ? (size_t)(gt - s) + 1 : n;
        continue;
      }
    } else if (c == '{' && !vtt && i + 1 < n && s[i + 1] == '\\') {
      const char *cb = memchr(s + i, '}', n - i);
      if (cb) {
        i = (size_t)(cb - s) + 1;
        continue;
      }
    } else if (c == '&' && vtt) {
      char tmp[4];
      size_t used = 0, k = decode_entity(s + i, n - i, tmp, &used);
      if (k) {
        memcpy(s + o, tmp, k);
        o += k;
        i += used;
        continue;
      }
    }
    s[o++] = s[i++];
  }
  return o;
}

/* A cue text line (r->line) into the current segment, cleaned and trimmed;
 * bytes kuzat__read_line() left out are counted as they are. */
static int cue_text(kuzat_reader *r, int vtt) {
  size_t n = clean_cue(r->line, r->line_len, vtt), b = 0;
  while (b < n && kz_is_blank(r->line[b])) b++;
  while (n > b && kz_is_blank(r->line[n - 1])) n--;
  return kuzat__tr_text(r, r->line + b, n - b, r->line_full - r->line_len);
}

/* The timing line r->line[0..n) begins a cue; otherwise the record is
 * made bad. */
static int cue_timing(kuzat_reader *r, kuzat_record *rec, size_t n, int vtt) {
  double start, end;
  if (!parse_timing(r->line, n, &start, &end))
    return kuzat__bad_record(r, rec, "malformed timestamp in \"%.60s\" (expected %s)", r->line,
                             vtt ? "[HH:]MM:SS.mmm --> [HH:]MM:SS.mmm"
                                 : "HH:MM:SS,mmm --> HH:MM:SS,mmm");
  if (end < start) return kuzat__bad_record(r, rec, "cue ends before it starts");
  return kuzat__tr_segment(r, start, end);
}

/* The line just read without trailing spaces, tabs and '\r'. */
static size_t trimmed_len(const kuzat_reader *r) {
  size_t n = r->line_len;
  while (n > 0 && (kz_is_blank(r->line[n - 1]) || r->line[n - 1] == '\r')) n--;
  return n;
}

enum { SUB_BETWEEN, SUB_NUMBER, SUB_TEXT, SUB_SKIP, SUB_ID };

/* SRT, a line at a time; a small state machine (docs/FORMATS.md). */
static int srt_line(kuzat_reader *r, kuzat_record *rec, int *state) {
  size_t n = trimmed_len(r);
  if (n == 0) {
    if (*state == SUB_NUMBER)
      return kuzat__bad_record(r, rec, "expected a timing line after the cue number");
    *state = SUB_BETWEEN;
    return KUZAT_OK;
  }
  if (*state == SUB_TEXT) return cue_text(r, 0);
  if (find_arrow(r->line, n)) {
    *state = SUB_TEXT;
    return cue_timing(r, rec, n, 0);
  }
  if (*state == SUB_NUMBER)
    return kuzat__bad_record(r, rec, "expected a timing line after the cue number");
  if (all_digits(r->line, n)) {
    *state = SUB_NUMBER;
    return KUZAT_OK;
  }
  if (!r->t_nseg) return kuzat__bad_record(r, rec, "expected a cue number or a timing line");
  *state = SUB_TEXT; /* text after a blank line continues the last cue */
  return cue_text(r, 0);
}

/* WebVTT after its first line, a line at a time. */
static int vtt_line(kuzat_reader *r, kuzat_record *rec, int *state) {
  size_t n = trimmed_len(r);
  if (n == 0) {
    *state = SUB_BETWEEN;
    return KUZAT_OK;
  }
  int arrow = find_arrow(r->line, n) != NULL;
  switch (*state) {
  case SUB_SKIP: return KUZAT_OK;
  case SUB_TEXT:
    if (!arrow) return cue_text(r, 1);
    break;
  case SUB_BETWEEN:
    if (starts_word(r->line, n, "NOTE") || starts_word(r->line, n, "STYLE") ||
        starts_word(r->line, n, "REGION")) {
      *state = SUB_SKIP;
      return KUZAT_OK;
    }
    if (!arrow) *state = SUB_ID; /* a cue identifier */
    if (!arrow) return KUZAT_OK;
    break;
  default: /* SUB_ID: a block whose second line is no timing line is no cue */
    if (!arrow) *state = SUB_SKIP;
    if (!arrow) return KUZAT_OK;
  }
  *state = SUB_TEXT;
  return cue_timing(r, rec, n, 1);
}

/* A whole SRT or WebVTT file as one transcript record. */
int kuzat__next_subtitles(kuzat_reader *r, kuzat_record *rec, kuzat_error *err) {
  int vtt = r->format == KUZAT_FORMAT_VTT, state = SUB_BETWEEN, rc;
  r->done = 1;
  rec->line = 1;
  kuzat__tr_reset(r);
  if (kuzat__set_default_id(r, rec, 0)) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  if (vtt) {
    if ((rc = kuzat__read_line(r, 0, err)) < 0) return rc;
    if (rc == 0 || !starts_word(r->line, trimmed_len(r), "WEBVTT"))
      return kuzat__bad_record_at(r, rec, 1, "not a WebVTT file: it does not start with \"WEBVTT\"")
                 ? kuzat__fail(err, KUZAT_ENOMEM, "out of memory")
                 : 1;
    state = SUB_SKIP; /* the header block */
  }
  while ((rc = kuzat__read_line(r, 0, err)) > 0) {
    if ((vtt ? vtt_line(r, rec, &state) : srt_line(r, rec, &state)))
      return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
    if (rec->error) return 1;
  }
  if (rc < 0) return rc;
  return kuzat__tr_finish(r, rec) ? kuzat__fail(err, KUZAT_ENOMEM, "out of memory") : 1;
}
