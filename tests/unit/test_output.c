/*
 * test_output.c -- kuzat-classify's string writers (classify/buf.c):
 * json_string()'s runs of plain ASCII copied in one go give what the byte
 * by byte writer (put_utf8() with json_ascii()) gives, on random strings
 * of plain ASCII, quotes, backslashes, control characters, UTF-8 and
 * ill-formed bytes.
 */
#include "check.h"

#include "../../classify/buf.c"

static void json_random(void) {
  static const char *const parts[] = {
      "abc", "/tmp/in.txt:", "12345", " ", "\"", "\\", "\n", "\t", "\x01", "\x7F", "\x1F",
      "\xD0\x90", "\xE4\xBD\xA0", "\xF0\x9F\x98\x80", "\xD0", "\x80", "\xFF", "\xE0\x80",
      "\xED\xA0\x80", "\xF4\x90\x80\x80", "~", "}"};
  const size_t np = sizeof parts / sizeof parts[0];
  uint64_t r = 88172645463325252ull;
  size_t bad = 0;
  char in[512];
  for (int k = 0; k < 20000; k++) {
    size_t len = 0;
    r ^= r << 13, r ^= r >> 7, r ^= r << 17;
    for (size_t q = 0, want = r % 30; q < want; q++) {
      r ^= r << 13, r ^= r >> 7, r ^= r << 17;
      size_t pl = strlen(parts[r % np]);
      memcpy(in + len, parts[r % np], pl);
      len += pl;
    }
    buf got = {0}, want = {0};
    json_string(&got, in, len);
    buf_put(&want, "\"", 1);
    put_utf8(&want, in, len, json_ascii);
    buf_put(&want, "\"", 1);
    if ((got.len != want.len || memcmp(got.p, want.p, got.len) != 0) && bad++ < 3)
      CHECK(0, "json_string of %zu bytes: %.*s, byte by byte %.*s", len, (int)got.len, got.p,
            (int)want.len, want.p);
    free(got.p);
    free(want.p);
  }
  CHECK(bad == 0, "json_string() as the byte by byte writer on 20000 random strings (%zu differ)",
        bad);
}

int main(void) {
  json_random();
  return kt_done();
}
