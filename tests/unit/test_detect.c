/*
 * test_detect.c -- what the reader makes of input as it comes from the
 * field: binaries of every kind refused in one record (KUZAT_ENOTTEXT),
 * plain or gzip-compressed, in every format; text with a few NULs kept;
 * KUZAT_READ_RAW reading bytes as they are.
 */
#include "check.h"
#include "kuzat.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static char dir[] = "/tmp/kuzat-test-detect-XXXXXX";

static const char *write_file(const char *name, const void *data, size_t len, int gz) {
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

int main(void) {
  if (!mkdtemp(dir)) return printf("not ok - mkdtemp\n"), 1;
  test_signatures();
  test_lookalikes();
  test_random();
  test_real_files();
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) printf("note: could not remove %s\n", dir);
  return kt_done();
}
