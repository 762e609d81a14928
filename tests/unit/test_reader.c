/*
 * test_reader.c -- records from text, lines, TSV, JSON Lines and fastText,
 * plain and gzip-compressed, with every kind of bad record reported in
 * place, and the labels, lang and group of labelled data.
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

  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) printf("note: could not remove %s\n", dir);
  return kt_done();
}
