/*
 * bench/utf8.c -- the floor under kuzat's text handling, for the profile
 * (bench/profile.sh): reads FILE, splits it at newlines and decodes every
 * line as UTF-8 into code points (validating: ill-formed bytes count as
 * U+FFFD), summing them so the work is not optimised away. Run under
 * callgrind, its instructions per byte are what decoding alone costs.
 *
 * Usage: utf8 FILE. A benchmark tool, not part of libkuzat.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t decode(const unsigned char *p, size_t n, uint64_t *sum) {
  size_t cps = 0;
  for (size_t i = 0; i < n; cps++) {
    unsigned c = p[i];
    uint32_t cp;
    size_t k;
    if (c < 0x80) {
      cp = c, k = 1;
    } else if (c >= 0xC2 && c < 0xE0) {
      cp = c & 0x1F, k = 2;
    } else if (c >= 0xE0 && c < 0xF0) {
      cp = c & 0x0F, k = 3;
    } else if (c >= 0xF0 && c < 0xF5) {
      cp = c & 0x07, k = 4;
    } else {
      *sum += 0xFFFD, i++;
      continue;
    }
    if (i + k > n) {
      *sum += 0xFFFD, i++;
      continue;
    }
    size_t j = 1;
    for (; j < k && (p[i + j] & 0xC0) == 0x80; j++) cp = cp << 6 | (p[i + j] & 0x3F);
    if (j < k) {
      *sum += 0xFFFD, i++;
      continue;
    }
    *sum += cp;
    i += k;
  }
  return cps;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: utf8 FILE\n");
    return 2;
  }
  FILE *fp = fopen(argv[1], "rb");
  if (!fp) {
    perror(argv[1]);
    return 2;
  }
  size_t cap = 1 << 20, len = 0, r;
  unsigned char *buf = malloc(cap);
  while (buf && (r = fread(buf + len, 1, cap - len, fp)) > 0)
    if ((len += r) == cap) buf = realloc(buf, cap *= 2);
  fclose(fp);
  if (!buf) return 2;
  uint64_t sum = 0;
  size_t cps = 0, lines = 0;
  for (size_t i = 0; i < len;) {
    const unsigned char *nl = memchr(buf + i, '\n', len - i);
    size_t e = nl ? (size_t)(nl - buf) : len;
    cps += decode(buf + i, e - i, &sum);
    lines++;
    i = e + 1;
  }
  printf("%zu bytes, %zu lines, %zu code points, checksum %llu\n", len, lines, cps,
         (unsigned long long)sum);
  free(buf);
  return 0;
}
