/*
 * reader.h -- the reader's insides, shared by reader.c (the public calls,
 * the format table's functions, the parser of each format) and the files
 * it calls, from the top down:
 *   read_lines.c      text, lines, TSV, fastText
 *   read_json.c       JSON Lines, Whisper JSON
 *   read_subs.c       SRT, WebVTT
 *   read_transcript.c a transcript's joined text and segments, timestamps
 *   read_record.c     the record's scratch: ids, bad records, labels
 *   read_input.c      bytes to lines: read(2), gzip, conversion to UTF-8,
 *                     the limit on a line
 *   read_detect.c     what bytes are: byte-order marks, binary signatures,
 *                     UTF-8 or not, ICU's charset detector and converters
 * A file calls only the files below it. What each format accepts:
 * docs/FORMATS.md. Private to the library.
 */
#ifndef KUZAT_READER_H
#define KUZAT_READER_H

#include "internal.h"

#include <jansson.h>
#include <unicode/ucnv.h>
#include <zlib.h>

#define KZ_RBUF_SIZE (1u << 17) /* raw input buffer, and gzip's input buffer */

/* How much of a line kuzat__read_line() keeps under the limit
 * (docs/FORMATS.md, "The limit"); reader.c's table gives each format's. */
enum {
  KZ_KEEP_TEXT, /* the limit and a BOM: text and lines */
  KZ_KEEP_LINE, /* the limit and room for tags and timings: subtitles */
  KZ_KEEP_RAW   /* a whole record, or up to the raw bound: JSON, TSV, fastText */
};

/* What the input is (read_detect.c), decided on its first bytes. */
#define KZ_SNIFF_HEAD 16     /* bytes a signature or a byte-order mark may need */
#define KZ_SNIFF_MIN 32      /* fewer bytes are never judged by their NULs and controls */
#define KZ_SNIFF_FEW 8       /* nor are bytes with fewer NULs and controls than this */
#define KZ_DETECT_BYTES 65536 /* bytes given to ICU's charset detector */
#define KZ_PIVOT 1024        /* UTF-16 code units between two ICU converters */

/* The charset of a stream that has no byte-order mark and no --encoding:
 * undecided while only ASCII has come; then UTF-8 for good, or converted
 * from the legacy code page ICU's detector is confident of. */
enum { KZ_CS_UNDECIDED, KZ_CS_UTF8, KZ_CS_CONVERT };
/* kuzat__utf8_verdict() */
enum { KZ_ASCII, KZ_UTF8, KZ_NOT_UTF8 };

struct kuzat_reader {
  kz_alloc a;
  int fd;
  unsigned flags; /* KUZAT_READ_* */
  unsigned long long bytes_in; /* bytes read from fd */
  /* what the input is */
  int sniffed;           /* its first bytes have been looked at */
  const char *not_text;  /* NULL, or why it is not text (not_text_buf) */
  char not_text_buf[160];
  int charset;           /* KZ_CS_* */
  int detect_tries;      /* chunks given to the detector so far */
  const char *encoding;  /* converted from this encoding (static storage), or NULL */
  /* conversion: raw bytes in xbuf, conv to UTF-16 in pivot, u8 to UTF-8 in rbuf */
  UConverter *conv, *u8;
  unsigned char *xbuf;
  size_t xpos, xend;
  int src_eof; /* no more raw bytes */
  UChar pivot[KZ_PIVOT];
  UChar *pv_src, *pv_tgt;
  /* gzip: compressed bytes in zbuf, zs inflating them into rbuf */
  int zmode;       /* IN_UNKNOWN, IN_PLAIN, IN_GZIP (see read_input.c) */
  int zinit;       /* inflateInit2() done */
  int zin_eof;     /* no more compressed bytes */
  int zmember_end; /* the last member ended; another may follow */
  z_stream zs;
  unsigned char *zbuf;
  char *name; /* display name, for ids and messages */
  int format; /* AUTO only for standard input until its first line is seen */
  int keep; /* KZ_KEEP_* of the format */
  /* standard input in AUTO: blank lines seen before its first other line,
   * given as records before it, from line probe_line on; that line waits
   * in `line` (held) for its parser */
  long probe_blank, probe_line;
  int held;
  int done;
  long line_no; /* lines read so far */
  /* raw input buffer */
  unsigned char *rbuf;
  size_t rcap, rpos, rend;
  int eof;
  /* the current line */
  char *line;
  size_t line_cap, line_len;
  /* TSV header */
  long text_col, id_col, label_col, lang_col, group_col;
  /* record scratch */
  char *id, *text, *msg, *labels, *lang, *group;
  size_t id_cap, text_cap, msg_cap, labels_cap, lang_cap, group_cap;
  size_t labels_len;
  json_t *json;
  size_t limit; /* kuzat_reader_set_limit(); 0: none */
  size_t line_full; /* bytes the current line had, kept or not */
  /* transcript being built: the joined text goes to `text` */
  kuzat_segment *segs;
  size_t segs_len, segs_cap;
  size_t t_len;    /* bytes of joined text kept in `text` */
  size_t t_full;   /* bytes of joined text, kept or not */
  size_t t_nseg;   /* segments begun, kept or not */
  int t_open;      /* the last kept segment is the one being filled */
  int t_has_text;  /* the segment being filled has text already */
};

static inline int kz_is_blank(char c) { return c == ' ' || c == '\t'; }
/* A line of nothing but spaces and tabs. */
static inline int kz_blank_line(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!kz_is_blank(s[i])) return 0;
  return 1;
}
static inline int kz_is_digit(char c) { return c >= '0' && c <= '9'; }

/* ---- the parsers: the next record into *rec, for kuzat_reader_next() ----
 * Each returns 1 (a record, good or bad), 0 at the end, or a negative
 * status with err set. */

int kuzat__next_text(kuzat_reader *r, kuzat_record *rec, kuzat_error *err);
int kuzat__next_lines(kuzat_reader *r, kuzat_record *rec, kuzat_error *err);
int kuzat__next_tsv(kuzat_reader *r, kuzat_record *rec, kuzat_error *err);
int kuzat__next_fasttext(kuzat_reader *r, kuzat_record *rec, kuzat_error *err);
int kuzat__next_jsonl(kuzat_reader *r, kuzat_record *rec, kuzat_error *err);
int kuzat__next_whisper(kuzat_reader *r, kuzat_record *rec, kuzat_error *err);
/* SRT or WebVTT, by r->format */
int kuzat__next_subtitles(kuzat_reader *r, kuzat_record *rec, kuzat_error *err);

/* ---- read_transcript.c: the joined text and its segments, timestamps ---- */

/* Start an empty transcript. */
void kuzat__tr_reset(kuzat_reader *r);
/* Begin a segment from `start` to `end` seconds. 0 or KUZAT_ENOMEM. */
int kuzat__tr_segment(kuzat_reader *r, double start, double end);
/* Add a piece of the current segment's text, after a space if it has some
 * already; `count` more bytes are counted without being there
 * (kuzat__read_line() left them out). 0 or KUZAT_ENOMEM. */
int kuzat__tr_text(kuzat_reader *r, const char *s, size_t n, size_t count);
/* The transcript into the record, within the limit. 0 or KUZAT_ENOMEM. */
int kuzat__tr_finish(kuzat_reader *r, kuzat_record *rec);
/* A clock time "[[H:]MM:]SS[.f]" at the start of s[0..n) with at least
 * `min_fields` fields, in seconds in *out; the bytes it took, 0 for none. */
size_t kuzat__parse_clock(const char *s, size_t n, int min_fields, double *out);

/* ---- read_record.c: the record's scratch ----
 * Each int function returns KUZAT_OK or KUZAT_ENOMEM. */

/* Copy n bytes to a scratch buffer, NUL-terminated. */
int kuzat__set_buf(kuzat_reader *r, char **buf, size_t *cap, const char *s, size_t n);
/* The record's id: the display name, and ":line" when `with_line`. */
int kuzat__set_default_id(kuzat_reader *r, kuzat_record *rec, int with_line);
/* The id "name:line" of a line other than the last read. */
int kuzat__set_id_at(kuzat_reader *r, kuzat_record *rec, long line);
/* Make *rec a bad record with message "name:line: <fmt>", at the line just
 * read, or at a given line. */
int kuzat__bad_record(kuzat_reader *r, kuzat_record *rec, const char *fmt, ...)
    KZ_PRINTF(3, 4);
int kuzat__bad_record_at(kuzat_reader *r, kuzat_record *rec, long line, const char *fmt, ...)
    KZ_PRINTF(4, 5);
/* Input that is not text (r->not_text says why) as its one bad record. */
int kuzat__not_text_record(kuzat_reader *r, kuzat_record *rec);
/* A line or file over the raw bound as a bad record. */
int kuzat__too_long(kuzat_reader *r, kuzat_record *rec);
/* Append labels s[0..n) to r->labels (split at ',' and '|', trimmed). */
int kuzat__add_labels(kuzat_reader *r, const char *s, size_t n);
/* The labels gathered so far, into the record. */
void kuzat__store_labels(const kuzat_reader *r, kuzat_record *rec);
/* Where to cut s[0..n) so that it ends with a whole UTF-8 character. */
size_t kuzat__utf8_cut(const char *s, size_t n);

/* ---- read_input.c: bytes to lines ---- */

/* Read and look at the input's first bytes, if not done yet (r->not_text
 * is then set for input that is not text). KUZAT_OK or a negative status. */
int kuzat__input_start(kuzat_reader *r, kuzat_error *err);
/* Close the converters (reader.c frees the reader). */
void kuzat__input_close(kuzat_reader *r);

/* Read one line (without its "\n" or "\r\n") into r->line, keeping at
 * most what r->keep allows; r->line_full counts all its bytes. Returns 1, 0
 * at the end of input, or a negative status. `whole` reads everything. */
int kuzat__read_line(kuzat_reader *r, int whole, kuzat_error *err);
/* The raw bound of a TSV, JSONL or Whisper record; SIZE_MAX without one. */
size_t kuzat__raw_limit(const kuzat_reader *r);

/* ---- read_detect.c: what bytes are ---- */

/* The encoding ("UTF-16LE", ...) whose byte-order mark starts p[0..n), or
 * NULL (UTF-8's mark included: that is read as UTF-8). */
const char *kuzat__bom_encoding(const unsigned char *p, size_t n);
/* p[0..n), fewer than KZ_SNIFF_HEAD bytes, may be the start of a signature
 * or a byte-order mark: read more before deciding. */
int kuzat__sniff_wants_more(const unsigned char *p, size_t n);
/* What a known binary format's signature at p says it is, or NULL. */
const char *kuzat__signature(const unsigned char *p, size_t n);
/* 1 when p[0..n), an input's first bytes, is not text: a signature, or
 * (with check_bytes) too many NUL or control bytes; `why` then says so
 * ("not text: looks like ..."). 0 for text. */
int kuzat__not_text(const unsigned char *p, size_t n, int check_bytes, char *why, size_t cap);
/* KZ_ASCII, KZ_UTF8 (well-formed, or more well-formed characters than
 * ill-formed bytes) or KZ_NOT_UTF8; a character cut by the end of p does
 * not count. */
int kuzat__utf8_verdict(const unsigned char *p, size_t n);
/* The legacy Cyrillic or Latin code page p[0..n) is written in (static
 * storage), or NULL, in *pick: ICU's detector's pick when it is confident
 * of a Cyrillic one; else the pick the shape of the bytes gives; else
 * ICU's confident Latin pick. Judged on the lines that have bytes above
 * 0x7F. KUZAT_OK or KUZAT_ENOMEM. */
int kuzat__detect_legacy(const kz_alloc *a, const unsigned char *p, size_t n, const char **pick);
/* ICU's converter for the encoding `name` in *out, and a name for it that
 * outlives it (IANA's when there is one) in *iana. KUZAT_OK, KUZAT_ENOTSUP
 * (ICU knows no such encoding), KUZAT_ENOMEM. */
int kuzat__converter_open(const char *name, UConverter **out, const char **iana,
                          kuzat_error *err);

#endif
