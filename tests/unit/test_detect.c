/*
 * test_detect.c -- what the reader makes of input as it comes from the
 * field: binaries of every kind refused in one record (KUZAT_ENOTTEXT),
 * plain or gzip-compressed, in every format; text with a few NULs kept;
 * KUZAT_READ_RAW reading bytes as they are; byte-order marks (UTF-16 and
 * UTF-32) in every format; legacy code pages found by ICU's detector or
 * named with kuzat_reader_set_encoding(). The encoded bytes are made by
 * glibc's iconv(3), not by ICU, which the reader uses.
 */
#include "check.h"
#include "helpers.h"
#include "kuzat.h"

#include <iconv.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static char dir[] = "/tmp/kuzat-test-detect-XXXXXX";

static const char *write_file(const char *name, const void *data, size_t len, int gz) {
  return kt_write_file(dir, name, data, len, gz);
}

/* Every record of `path` as "id=text|" or "id!error(status)|", "#rc" at
 * the end; with `flags` given to the reader. */
static const char *read_flags(const char *path, int format, unsigned flags) {
  static char out[8192];
  size_t k = 0;
  kuzat_reader *r;
  kuzat_error err;
  int rc = kuzat_reader_open(path, format, strrchr(path, '/') + 1, NULL, &r, &err);
  if (rc) {
    snprintf(out, sizeof out, "open failed %d: %s", rc, err.msg);
    return out;
  }
  kuzat_reader_set_flags(r, flags);
  kuzat_record rec;
  while ((rc = kuzat_reader_next(r, &rec, &err)) == 1 && k < sizeof out - 512) {
    if (rec.error)
      k += (size_t)snprintf(out + k, sizeof out - k, "%.*s!%s(%d)|", (int)rec.id_len, rec.id,
                            rec.error, rec.status);
    else
      k += (size_t)snprintf(out + k, sizeof out - k, "%.*s=%.*s|", (int)rec.id_len, rec.id,
                            (int)(rec.text_len > 40 ? 40 : rec.text_len), rec.text);
  }
  snprintf(out + k, sizeof out - k, "#%d%s%s", rc, rc < 0 ? " " : "", rc < 0 ? err.msg : "");
  kuzat_reader_free(r);
  return out;
}

static const char *read_all(const char *path, int format) { return read_flags(path, format, 0); }

static void expect(const char *what, const char *got, const char *want) {
  CHECK(strcmp(got, want) == 0, "%s\n      got      %s\n      expected %s", what, got, want);
}

/* A file that starts with a format's signature, then text-like bytes so
 * that only the signature can tell. */
static const struct {
  const char *name, *head;
  size_t head_len;
  const char *looks;
} kinds[] = {
    {"ls", "\x7F" "ELF\2\1\1", 7, "an ELF executable or library"},
    {"logo.png", "\x89PNG\r\n\x1A\n", 8, "a PNG image"},
    {"photo.jpg", "\xFF\xD8\xFF\xE0", 4, "a JPEG image"},
    {"clip.mp4", "\0\0\0\x20" "ftypisom", 12, "MP4 video"},
    {"clip.mov", "\0\0\0\x14" "ftypqt  ", 12, "QuickTime video"},
    {"pic.heic", "\0\0\0\x18" "ftypheic", 12, "a HEIF image"},
    {"old.mov", "\0\0\0\x08" "wide", 8, "QuickTime video"},
    {"clip.mkv", "\x1A\x45\xDF\xA3", 4, "Matroska or WebM video"},
    {"doc.pdf", "%PDF-1.7", 8, "a PDF document"},
    {"a.zip", "PK\3\4\x14\0", 6, "a ZIP archive (or a document, JAR or APK inside one)"},
    {"voice.ogg", "OggS\0\2", 6, "Ogg audio or video"},
    {"voice.wav", "RIFF\x24\x08\0\0WAVEfmt ", 16, "WAV audio"},
    {"clip.avi", "RIFF\x24\x08\0\0" "AVI LIST", 16, "AVI video"},
    {"pic.webp", "RIFF\x24\x08\0\0WEBPVP8 ", 16, "a WebP image"},
    {"anim.gif", "GIF89a", 6, "a GIF image"},
    {"song.mp3", "ID3\3\0", 5, "MP3 audio"},
    {"a.7z", "7z\xBC\xAF\x27\x1C", 6, "a 7-Zip archive"},
    {"a.xz", "\xFD" "7zXZ\0", 6, "xz-compressed data"},
    {"a.bz2", "BZh91AY&SY", 10, "bzip2-compressed data"},
    {"a.zst", "\x28\xB5\x2F\xFD", 4, "Zstandard-compressed data"},
    {"a.db", "SQLite format 3\0", 16, "a SQLite database"},
    {"a.gz.gz", "\x1F\x8B\x08\0", 4, "gzip-compressed data"},
};

static void test_signatures(void) {
  char buf[600], want[512];
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    memcpy(buf, kinds[i].head, kinds[i].head_len);
    for (size_t k = kinds[i].head_len; k < sizeof buf; k++) buf[k] = "hijratga shoshiling\n"[k % 20];
    snprintf(want, sizeof want, "%s!%s: not text: looks like %s(%d)|#0", kinds[i].name,
             kinds[i].name, kinds[i].looks, KUZAT_ENOTTEXT);
    /* plain and gzip-compressed, whatever the format (gzip in gzip only
     * inside: plain, it is the reader's own gzip, here a broken one) */
    int inner_gz = kinds[i].head[0] == '\x1F';
    for (int gz = inner_gz; gz < 2; gz++) {
      const char *path = write_file(kinds[i].name, buf, sizeof buf, gz);
      expect(kinds[i].name, read_all(path, KUZAT_FORMAT_TEXT), want);
      expect(kinds[i].name, read_all(path, KUZAT_FORMAT_LINES), want);
      expect(kinds[i].name, read_all(path, KUZAT_FORMAT_JSONL), want);
      expect(kinds[i].name, read_all(path, KUZAT_FORMAT_SRT), want);
    }
    /* read as bytes when asked to */
    if (inner_gz) continue;
    const char *path = write_file(kinds[i].name, buf, sizeof buf, 0);
    const char *raw = read_flags(path, KUZAT_FORMAT_TEXT, KUZAT_READ_RAW);
    CHECK(strstr(raw, "not text") == NULL && strstr(raw, "|#0"), "KUZAT_READ_RAW reads %s: %s",
          kinds[i].name, raw);
  }
  /* a Windows executable: MZ, and a PE header where it says */
  memset(buf, 'a', sizeof buf);
  memcpy(buf, "MZ", 2);
  memcpy(buf + 60, "\x80\0\0\0", 4);
  memcpy(buf + 0x80, "PE\0\0", 4);
  expect("PE", read_all(write_file("a.exe", buf, 300, 0), KUZAT_FORMAT_TEXT),
         "a.exe!a.exe: not text: looks like a Windows executable(-10)|#0");
  /* a tar archive: "ustar" at 257 */
  memset(buf, 'a', sizeof buf);
  memcpy(buf + 257, "ustar\0", 6);
  expect("tar", read_all(write_file("a.tar", buf, 600, 0), KUZAT_FORMAT_TEXT),
         "a.tar!a.tar: not text: looks like a tar archive(-10)|#0");
}

/* Text that merely starts like a signature, and short files, stay text. */
static void test_lookalikes(void) {
  expect("RIFF in text", read_all(write_file("riff.txt", "RIFF raff rubbish\n", 18, 0),
                                  KUZAT_FORMAT_LINES),
         "riff.txt:1=RIFF raff rubbish|#0");
  expect("R", read_all(write_file("r.txt", "R", 1, 0), KUZAT_FORMAT_TEXT), "r.txt=R|#0");
  expect("empty", read_all(write_file("e.txt", "", 0, 0), KUZAT_FORMAT_TEXT), "e.txt=|#0");
  expect("a few NULs in a short file",
         read_all(write_file("nul.txt", "nul\0inside\n\0\0\n", 14, 0), KUZAT_FORMAT_LINES),
         "nul.txt:1=nul|nul.txt:2=|#0");
  char buf[2000];
  for (size_t k = 0; k < sizeof buf; k++) buf[k] = "Bugun havo yaxshi. \n"[k % 20];
  buf[100] = buf[700] = buf[1500] = '\0'; /* 0.15%: text */
  const char *got = read_all(write_file("nuls.txt", buf, sizeof buf, 0), KUZAT_FORMAT_TEXT);
  CHECK(strncmp(got, "nuls.txt=", 9) == 0, "three NULs in 2000 bytes are text: %s", got);
  for (size_t k = 0; k < sizeof buf; k += 50) buf[k] = '\0'; /* 2%: not */
  expect("2% NULs", read_all(write_file("nuls.txt", buf, sizeof buf, 0), KUZAT_FORMAT_TEXT),
         "nuls.txt!nuls.txt: not text: looks like binary data (2% of its first 2000 bytes are "
         "NUL or control characters)(-10)|#0");
}

/* Random bytes, and bytes full of controls: binary data. */
static void test_random(void) {
  unsigned char buf[20000];
  unsigned x = 12345;
  for (size_t k = 0; k < sizeof buf; k++) {
    x = x * 1103515245u + 12345u;
    buf[k] = (unsigned char)(x >> 16);
  }
  const char *got = read_all(write_file("clip.mp4", buf, sizeof buf, 0), KUZAT_FORMAT_LINES);
  CHECK(strstr(got, "clip.mp4!clip.mp4: not text: looks like binary data (") == got &&
            strstr(got, "% of its first 20000 bytes are NUL or control characters)(-10)|#0"),
        "random bytes: %s", got);
  got = read_all(write_file("clip.srt.gz", buf, sizeof buf, 1), KUZAT_FORMAT_SRT);
  CHECK(strstr(got, "not text: looks like binary data") && strstr(got, "|#0"),
        "random bytes, gzipped: %s", got);
}

/* The real programs of this machine, where they are. */
static void test_real_files(void) {
  const char *progs[] = {"/bin/sh", "/bin/ls", "/usr/bin/env"};
  for (size_t i = 0; i < sizeof progs / sizeof progs[0]; i++) {
    if (access(progs[i], R_OK) != 0) {
      kt_skip(progs[i], "not on this machine");
      continue;
    }
    const char *got = read_all(progs[i], KUZAT_FORMAT_LINES);
    CHECK(strstr(got, "not text: looks like an ELF executable or library(-10)|#0") != NULL, "%s: %s",
          progs[i], got);
  }
}

/* ---- encodings ---------------------------------------------------------- */

/* s[0..n) in encoding `to` by iconv(3), after `bom` (len bytes) if any,
 * into out; its length, or 0 when iconv cannot. */
static size_t encode(const char *s, size_t n, const char *to, const char *bom, size_t bom_len,
                     char *out, size_t cap) {
  iconv_t cd = iconv_open(to, "UTF-8");
  if (cd == (iconv_t)-1) return 0;
  memcpy(out, bom, bom_len);
  char *in = (char *)s, *o = out + bom_len;
  size_t left = n, room = cap - bom_len;
  size_t rc = iconv(cd, &in, &left, &o, &room);
  iconv_close(cd);
  return rc == (size_t)-1 || left ? 0 : (size_t)(o - out);
}

/* Every record of `path` as read_flags() gives them, each "id=text" with
 * "@ENCODING" after it when the record says it was converted. */
static const char *read_enc(const char *path, int format, const char *encoding) {
  static char out[16384];
  size_t k = 0;
  kuzat_reader *r;
  kuzat_error err;
  int rc = kuzat_reader_open(path, format, strrchr(path, '/') + 1, NULL, &r, &err);
  if (rc) {
    snprintf(out, sizeof out, "open failed %d: %s", rc, err.msg);
    return out;
  }
  if (encoding && (rc = kuzat_reader_set_encoding(r, encoding, &err))) {
    snprintf(out, sizeof out, "set_encoding %d: %s", rc, err.msg);
    kuzat_reader_free(r);
    return out;
  }
  kuzat_record rec;
  while ((rc = kuzat_reader_next(r, &rec, &err)) == 1 && k < sizeof out - 1024) {
    if (rec.error)
      k += (size_t)snprintf(out + k, sizeof out - k, "%.*s!%s", (int)rec.id_len, rec.id,
                            rec.error);
    else
      k += (size_t)snprintf(out + k, sizeof out - k, "%.*s=%.*s", (int)rec.id_len, rec.id,
                            (int)rec.text_len, rec.text);
    for (size_t i = 0; i < rec.segments_len; i++)
      k += (size_t)snprintf(out + k, sizeof out - k, "[%.1f-%.1f]", rec.segments[i].start,
                            rec.segments[i].end);
    if (rec.encoding) k += (size_t)snprintf(out + k, sizeof out - k, "@%s", rec.encoding);
    k += (size_t)snprintf(out + k, sizeof out - k, "|");
  }
  snprintf(out + k, sizeof out - k, "#%d%s%s", rc, rc < 0 ? " " : "", rc < 0 ? err.msg : "");
  kuzat_reader_free(r);
  return out;
}

/* The same content in each format, as UTF-8 and under each mark: the same
 * records, which say the encoding. */
static void test_boms(void) {
  static const struct {
    const char *name;
    int format;
    const char *text;
  } files[] = {
      {"a.txt", KUZAT_FORMAT_TEXT, "Ўзбекистон ғалаба\nBirodarlar, hijratga shoshiling\n"},
      {"a.lines", KUZAT_FORMAT_LINES, "Ўзбекистон ғалаба\r\nBirodarlar\r\n\r\nҷиҳод\n"},
      {"a.tsv", KUZAT_FORMAT_TSV, "id\ttext\nd1\tЎзбекистон ғалаба\nd2\thijratga\n"},
      {"a.jsonl", KUZAT_FORMAT_JSONL, "{\"id\":\"d1\",\"text\":\"Ҷумҳурии Тоҷикистон\"}\n"},
      {"a.srt", KUZAT_FORMAT_SRT,
       "1\n00:01:02,500 --> 00:01:05,000\nБиродарлар, ҳижратга шошилинг\n\n"
       "2\n00:01:05,100 --> 00:01:09,000\nБугун ҳаво яхши\n"},
      {"a.vtt", KUZAT_FORMAT_VTT, "WEBVTT\n\n00:02.000 --> 00:03.000\nБародарон, ...\n"},
      {"a.json", KUZAT_FORMAT_WHISPER,
       "{\"segments\":[{\"start\":62.5,\"end\":65,\"text\":\" Салом\"}]}"},
  };
  static const struct {
    const char *iconv_name, *bom, *says;
    size_t bom_len;
  } marks[] = {
      {"UTF-16LE", "\xFF\xFE", "UTF-16LE", 2},
      {"UTF-16BE", "\xFE\xFF", "UTF-16BE", 2},
      {"UTF-32LE", "\xFF\xFE\0\0", "UTF-32LE", 4},
      {"UTF-32BE", "\0\0\xFE\xFF", "UTF-32BE", 4},
  };
  static char enc[8192], want[16384];
  for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
    const char *plain = write_file(files[f].name, files[f].text, strlen(files[f].text), 0);
    snprintf(want, sizeof want, "%s", read_enc(plain, files[f].format, NULL));
    CHECK(strstr(want, "!") == NULL && strstr(want, "@") == NULL, "%s as UTF-8: %s",
          files[f].name, want);
    for (size_t m = 0; m < sizeof marks / sizeof marks[0]; m++) {
      size_t n = encode(files[f].text, strlen(files[f].text), marks[m].iconv_name, marks[m].bom,
                        marks[m].bom_len, enc, sizeof enc);
      if (!CHECK(n > 0, "iconv to %s", marks[m].iconv_name)) continue;
      for (int gz = 0; gz < 2; gz++) {
        const char *got = read_enc(write_file(files[f].name, enc, n, gz), files[f].format, NULL);
        /* each record of `want` with "@ENCODING" before its '|' */
        char expect_buf[16384];
        size_t k = 0;
        for (const char *p = want; *p && k < sizeof expect_buf - 32; p++) {
          if (*p == '|')
            k += (size_t)snprintf(expect_buf + k, sizeof expect_buf - k, "@%s", marks[m].says);
          expect_buf[k++] = *p;
        }
        expect_buf[k] = '\0';
        CHECK(strcmp(got, expect_buf) == 0, "%s in %s%s:\n      got      %s\n      expected %s",
              files[f].name, marks[m].says, gz ? ", gzipped" : "", got, expect_buf);
      }
    }
  }
}

/* Russian and French in legacy code pages, found by ICU's detector;
 * Uzbek, Tajik and Kyrgyz (in the letters the pages have), and cp866, by
 * the shape of their bytes (read_detect.c); a few stray bytes in
 * ASCII are not enough for either. */
static void test_legacy(void) {
  static const char ru[] =
      "Братья, совершите хиджру и присоединяйтесь к нашим рядам, время пришло.\n"
      "В Ташкенте прошла конференция о профилактике экстремизма среди молодёжи.\n";
  static const char fr[] = "Le café est très bon, à côté de la fenêtre. Ça va très bien.\n";
  static const char uz[] = "Ўзбекистон пойтахти Тошкент, ўзбек тили давлат тили.\n";
  static const char tg[] = "Мактаби мо калон аст ва муаллимон хуб мебошанд. Бародарам дар "
                           "Душанбе кор мекунад.\n";
  static const char ky[] = "Биз Бишкекте жашайбыз. Бул шаар абдан кооз жана таза.\n";
  static const struct {
    const char *text, *iconv_name, *says;
  } cases[] = {
      {ru, "CP1251", "windows-1251"}, {ru, "KOI8-R", "KOI8-R"},
      {ru, "ISO-8859-5", "ISO-8859-5"}, {ru, "CP866", "IBM866"},
      {fr, "ISO-8859-1", "ISO-8859-1"}, {uz, "CP1251", "windows-1251"},
      {uz, "CP866", "IBM866"},          {tg, "CP866", "IBM866"},
      {tg, "KOI8-R", "KOI8-R"},         {ky, "CP1251", "windows-1251"},
      {ky, "KOI8-R", "KOI8-R"},
  };
  static char enc[4096], want[4096];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t n = encode(cases[i].text, strlen(cases[i].text), cases[i].iconv_name, "", 0, enc,
                      sizeof enc);
    if (!CHECK(n > 0, "iconv to %s", cases[i].iconv_name)) continue;
    const char *path = write_file("legacy.txt", enc, n, 0);
    snprintf(want, sizeof want, "legacy.txt=%s@%s|#0", cases[i].text, cases[i].says);
    expect(cases[i].iconv_name, read_enc(path, KUZAT_FORMAT_TEXT, NULL), want);
    /* the first line's record says it too, read as lines */
    const char *got = read_enc(path, KUZAT_FORMAT_LINES, NULL);
    CHECK(strstr(got, "@") && strstr(got, cases[i].says), "%s as lines: %s", cases[i].iconv_name,
          got);
  }
  /* stray bytes in ASCII text stay as they are (the normaliser's U+FFFD) */
  static const char stray[] = "ok\n\377\376 bad \300\200 utf8\n\355\240\200 surrogate\n";
  expect("stray bytes",
         read_enc(write_file("bad.txt", stray, sizeof stray - 1, 0), KUZAT_FORMAT_LINES, NULL),
         "bad.txt:1=ok|bad.txt:2=\377\376 bad \300\200 utf8|bad.txt:3=\355\240\200 surrogate|#0");
  /* damaged UTF-8 is UTF-8 */
  static const char damaged[] = "Ўзбекистон \377 ғалаба, Тоҷикистон\n";
  expect("damaged UTF-8",
         read_enc(write_file("dmg.txt", damaged, sizeof damaged - 1, 0), KUZAT_FORMAT_TEXT, NULL),
         "dmg.txt=Ўзбекистон \377 ғалаба, Тоҷикистон\n|#0");
  /* a named encoding: cp866, which ICU's detector does not know */
  size_t n = encode(ru, strlen(ru), "CP866", "", 0, enc, sizeof enc);
  const char *path = write_file("dos.txt", enc, n, 0);
  snprintf(want, sizeof want, "dos.txt=%s@IBM866|#0", ru);
  expect("--encoding cp866", read_enc(path, KUZAT_FORMAT_TEXT, "cp866"), want);
  /* a named encoding wins over the guess */
  const char *got = read_enc(path, KUZAT_FORMAT_TEXT, "windows-1251");
  CHECK(strstr(got, "@windows-1251") != NULL, "--encoding windows-1251 on cp866 bytes: %s", got);
  expect("--encoding nonsense", read_enc(path, KUZAT_FORMAT_TEXT, "no-such-encoding"),
         "set_encoding -9: no converter for the encoding \"no-such-encoding\" in ICU "
         "(U_FILE_ACCESS_ERROR)");
  /* UTF-8 named: no detection, no conversion */
  n = encode(ru, strlen(ru), "CP1251", "", 0, enc, sizeof enc);
  path = write_file("ru.txt", enc, n, 0);
  got = read_enc(path, KUZAT_FORMAT_TEXT, "UTF-8");
  CHECK(strstr(got, "@") == NULL && strncmp(got + 7, enc, 20) == 0, "UTF-8 named: bytes as they are: %s", got);
  /* and a UTF-16 mark is not looked for then: NUL bytes, not text */
  n = encode(ru, strlen(ru), "UTF-16LE", "\xFF\xFE", 2, enc, sizeof enc);
  got = read_enc(write_file("u16.txt", enc, n, 0), KUZAT_FORMAT_TEXT, "UTF-8");
  CHECK(strstr(got, "not text") != NULL, "UTF-8 named, a UTF-16 file: %s", got);
  /* too late: after the first record */
  kuzat_reader *r;
  kuzat_record rec;
  kuzat_error err;
  if (kuzat_reader_open(path, KUZAT_FORMAT_LINES, NULL, NULL, &r, NULL) == 0) {
    CHECK(kuzat_reader_next(r, &rec, NULL) == 1, "a first record");
    CHECK(kuzat_reader_set_encoding(r, "cp866", &err) == KUZAT_EINVAL, "set_encoding too late");
    kuzat_reader_free(r);
  }
}

/* A stream that is ASCII for its first chunks and windows-1251 after;
 * and a UTF-16 file larger than the reader's buffers. */
static void test_long(void) {
  static char buf[400000], enc[900000];
  size_t k = 0;
  while (k < 200000) k += (size_t)snprintf(buf + k, sizeof buf - k, "line %zu in ASCII\n", k);
  static const char ru[] = "Братья, совершите хиджру и присоединяйтесь к нашим рядам.\n";
  size_t head = k;
  size_t n = encode(ru, strlen(ru), "CP1251", "", 0, buf + k, sizeof buf - k);
  k += n;
  const char *path = write_file("late.txt", buf, k, 0);
  kuzat_reader *r;
  kuzat_record rec;
  int rc, first_enc = -1, lines = 0;
  const char *last = "";
  size_t last_len = 0;
  if (kuzat_reader_open(path, KUZAT_FORMAT_LINES, NULL, NULL, &r, NULL) == 0) {
    while ((rc = kuzat_reader_next(r, &rec, NULL)) == 1) {
      lines++;
      if (rec.encoding && first_enc < 0) first_enc = lines;
      static char keep[256];
      last_len = rec.text_len < sizeof keep ? rec.text_len : sizeof keep - 1;
      memcpy(keep, rec.text, last_len);
      last = keep;
    }
    kuzat_reader_free(r);
  }
  CHECK(first_enc > 0 && last_len == strlen(ru) - 1 && memcmp(last, ru, last_len) == 0,
        "windows-1251 after %zu bytes of ASCII: converted from line %d of %d, last \"%.*s\"",
        head, first_enc, lines, (int)last_len, last);
  /* 300 KB of UTF-16LE: the same text back */
  k = 0;
  while (k < 300000) k += (size_t)snprintf(buf + k, sizeof buf - k, "%s", ru);
  n = encode(buf, k, "UTF-16LE", "\xFF\xFE", 2, enc, sizeof enc);
  path = write_file("big16.txt", enc, n, 1);
  if (kuzat_reader_open(path, KUZAT_FORMAT_TEXT, NULL, NULL, &r, NULL) == 0) {
    rc = kuzat_reader_next(r, &rec, NULL);
    CHECK(rc == 1 && rec.text_len == k && memcmp(rec.text, buf, k) == 0 && rec.encoding &&
              strcmp(rec.encoding, "UTF-16LE") == 0,
          "300 KB of gzipped UTF-16LE read back: %zu of %zu bytes", rec.text_len, k);
    kuzat_reader_free(r);
  }
}

/* ---- standard input without a format ---------------------------------- */

/* Records of standard input (the file at `path` put on fd 0) read with
 * KUZAT_FORMAT_AUTO and `flags`, as read_flags() renders them, then
 * " fmt=NAME" (the format chosen). */
static const char *read_stdin(const char *path, unsigned flags) {
  static char out[8300];
  FILE *f = freopen(path, "rb", stdin);
  if (!f) return "freopen failed";
  size_t k = 0;
  kuzat_reader *r;
  kuzat_error err;
  int rc = kuzat_reader_open("-", KUZAT_FORMAT_AUTO, NULL, NULL, &r, &err);
  if (rc) return "open failed";
  int before = kuzat_reader_format(r);
  kuzat_reader_set_flags(r, flags);
  kuzat_record rec;
  while ((rc = kuzat_reader_next(r, &rec, &err)) == 1 && k < sizeof out - 512) {
    if (rec.error)
      k += (size_t)snprintf(out + k, sizeof out - k, "%.*s!%s|", (int)rec.id_len, rec.id, rec.error);
    else
      k += (size_t)snprintf(out + k, sizeof out - k, "%.*s=%.*s|", (int)rec.id_len, rec.id,
                            (int)rec.text_len, rec.text);
  }
  snprintf(out + k, sizeof out - k, "#%d fmt=%s (was %s)", rc, kuzat_format_name(kuzat_reader_format(r)),
           kuzat_format_name(before));
  kuzat_reader_free(r);
  return out;
}

static void test_stdin(void) {
  static const char jl[] = "\n  \n{\"id\":\"a\",\"text\":\"hijratga\"}\n\n{\"id\":\"b\",\"text\":\"x\"}\n";
  const char *path = write_file("in.jsonl", jl, sizeof jl - 1, 0);
  expect("JSON Lines on stdin", read_stdin(path, 0), "a=hijratga|b=x|#0 fmt=jsonl (was auto)");
  expect("JSON Lines on stdin, blank lines as records", read_stdin(path, KUZAT_READ_BLANK_RECORDS),
         "stdin:1!stdin:1: blank line (expected a JSON object)|"
         "stdin:2!stdin:2: blank line (expected a JSON object)|a=hijratga|"
         "stdin:4!stdin:4: blank line (expected a JSON object)|b=x|#0 fmt=jsonl (was auto)");
  static const char seg[] = "{\"id\":\"v\",\"segments\":[{\"start\":1,\"end\":2,\"text\":\"a\"}]}\n";
  expect("segments on stdin", read_stdin(write_file("s.jsonl", seg, sizeof seg - 1, 0), 0),
         "v=a|#0 fmt=jsonl (was auto)");
  static const char lines[] = "\nhello\n{\"text\":\"x\"}\n";
  expect("lines on stdin", read_stdin(write_file("l.txt", lines, sizeof lines - 1, 0), 0),
         "stdin:1=|stdin:2=hello|stdin:3={\"text\":\"x\"}|#0 fmt=lines (was auto)");
  static const char notext[] = "{\"id\":\"a\",\"body\":\"x\"}\n{\"text\":5}\n";
  expect("a JSON object without a text string: lines",
         read_stdin(write_file("n.txt", notext, sizeof notext - 1, 0), 0),
         "stdin:1={\"id\":\"a\",\"body\":\"x\"}|stdin:2={\"text\":5}|#0 fmt=lines (was auto)");
  expect("only blank lines: lines", read_stdin(write_file("b.txt", "\n\n", 2, 0), 0),
         "stdin:1=|stdin:2=|#0 fmt=lines (was auto)");
  expect("nothing", read_stdin(write_file("e.txt", "", 0, 0), 0), "#0 fmt=lines (was auto)");
  /* a file is read by its name; blank lines of a .jsonl file likewise */
  path = write_file("in.jsonl", jl, sizeof jl - 1, 0);
  expect("blank lines in a .jsonl file", read_flags(path, KUZAT_FORMAT_JSONL, KUZAT_READ_BLANK_RECORDS),
         "in.jsonl:1!in.jsonl:1: blank line (expected a JSON object)(-3)|"
         "in.jsonl:2!in.jsonl:2: blank line (expected a JSON object)(-3)|a=hijratga|"
         "in.jsonl:4!in.jsonl:4: blank line (expected a JSON object)(-3)|b=x|#0");
  expect("and skipped without the flag", read_flags(path, KUZAT_FORMAT_JSONL, 0), "a=hijratga|b=x|#0");
  CHECK(kuzat_reader_format(NULL) == -1, "kuzat_reader_format(NULL)");
}

/* Out of memory at every allocation while the reader detects a code page
 * (ICU's detector, then the shape of the bytes: Uzbek in windows-1251;
 * cp866, which passes for damaged UTF-8): KUZAT_ENOMEM or the record,
 * never anything else, and nothing leaked. */
static void test_legacy_oom(void) {
  static const char uz[] = "Ўзбекистон пойтахти Тошкент, ўзбек тили давлат тили.\n";
  static const char *const pages[] = {"CP1251", "CP866"};
  static char enc[1024];
  kuzat_allocator al = {kt_alloc, kt_realloc, kt_free, NULL};
  for (size_t p = 0; p < 2; p++) {
    size_t n = encode(uz, strlen(uz), pages[p], "", 0, enc, sizeof enc);
    const char *path = write_file("oom.txt", enc, n, 0);
    int ok = 0, bad = 0;
    for (long at = 1; at < 500 && !ok; at++) {
      kt_allocs = 0, kt_fail_at = at, kt_live = 0;
      kuzat_reader *r;
      kuzat_error err;
      kuzat_record rec;
      int rc = kuzat_reader_open(path, KUZAT_FORMAT_TEXT, "oom.txt", &al, &r, &err);
      if (rc == KUZAT_OK) {
        rc = kuzat_reader_next(r, &rec, &err);
        if (rc == 1) ok = rec.encoding != NULL && !rec.error;
        else bad += rc != KUZAT_ENOMEM;
        kuzat_reader_free(r);
      } else {
        bad += rc != KUZAT_ENOMEM;
      }
      bad += kt_live != 0;
    }
    kt_fail_at = 0;
    CHECK(ok && !bad, "%s: out of memory at each allocation gives ENOMEM or the record, leaks "
          "nothing (%d wrong)", pages[p], bad);
  }
}

int main(void) {
  if (!mkdtemp(dir)) return printf("not ok - mkdtemp\n"), 1;
  test_legacy_oom();
  test_signatures();
  test_lookalikes();
  test_random();
  test_real_files();
  test_boms();
  test_legacy();
  test_long();
  test_stdin();
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) printf("note: could not remove %s\n", dir);
  return kt_done();
}
