/*
 * test_reader.c -- records from text, lines, TSV and JSON Lines, plain and
 * gzip-compressed, with every kind of bad record reported in place.
 */
#include "check.h"
#include "kuzat.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static char dir[] = "/tmp/kuzat-test-reader-XXXXXX";

static const char *write_file(const char *name, const char *data, size_t len, int gz) {
  static char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if (gz) {
    gzFile g = gzopen(path, "wb");
    gzwrite(g, data, (unsigned)len);
    gzclose(g);
  } else {
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, len, f);
    fclose(f);
  }
  return path;
}

/* Read every record of `path` in `format` and render them as
 * "id=text|" or "id!error|"; the final status is appended as "#rc". */
static const char *read_all(const char *path, int format) {
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
  }
  snprintf(out + k, sizeof out - k, "#%d%s%s", rc, rc < 0 ? " " : "", rc < 0 ? err.msg : "");
  kuzat_reader_free(r);
  return out;
}

static void expect(const char *what, const char *got, const char *want) {
  CHECK(strcmp(got, want) == 0, "%s\n      got      %s\n      expected %s", what, got, want);
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

  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) printf("note: could not remove %s\n", dir);
  return kt_done();
}
