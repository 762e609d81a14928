/*
 * test_tokenise.c -- tokens of normalised text.
 */
#include "check.h"
#include "kuzat.h"

#include <string.h>

/* Tokenise `text` and compare with `want`: tokens as "KIND:text" joined by
 * single spaces, KIND one of W N U M H E. */
static void expect(const char *text, const char *want) {
  kuzat_token toks[64];
  size_t n = 0;
  int rc = kuzat_tokenise(text, strlen(text), toks, 64, &n);
  char got[2048] = "";
  size_t k = 0;
  for (size_t i = 0; i < n && i < 64 && k + 64 < sizeof got; i++) {
    static const char kinds[] = "WNUMHE";
    k += (size_t)snprintf(got + k, sizeof got - k, "%s%c:%.*s", i ? " " : "",
                          kinds[toks[i].kind], (int)toks[i].len, text + toks[i].off);
  }
  CHECK(rc == KUZAT_OK && strcmp(got, want) == 0,
        "tokens of \"%s\"\n      got      %s\n      expected %s", text, got, want);
}

int main(void) {
  expect("", "");
  expect("oʻzbekiston gʻalaba maʼnaviyat", "W:oʻzbekiston W:gʻalaba W:maʼnaviyat");
  expect("togʻ, bogʻ.", "W:togʻ W:bogʻ");
  expect("\"salom\" deb aytdi, 'yoʻq' dedi", "W:salom W:deb W:aytdi W:yoʻq W:dedi");
  expect("ʼword ending withʼ", "W:word W:ending W:with");
  expect("кыргыз өлкөдө жаңы үй, ысык-көл.", "W:кыргыз W:өлкөдө W:жаңы W:үй W:ысык W:көл");
  expect("in 2024 we paid 1,500.75 som at 10:30", "W:in N:2024 W:we W:paid N:1,500.75 W:som W:at N:10:30");
  expect("pr0paganda 3d", "W:pr0paganda W:3d");
  expect("see https://t.me/xuroson_ovozi.", "W:see U:https://t.me/xuroson_ovozi W:https W:t W:me W:xuroson W:ovozi");
  expect("www.example.org/a?b=1", "U:www.example.org/a?b=1 W:www W:example W:org W:a W:b W:1");
  expect("write to info@mail.uz!", "W:write W:to E:info@mail.uz W:info W:mail W:uz");
  expect("@abu_umar #xilofat_2024 ok", "M:@abu_umar W:abu W:umar H:#xilofat_2024 W:xilofat W:2024 W:ok");
  expect("@ # email@ 5.", "W:email N:5");
  expect("کابل یک 123", "W:کابل W:یک N:123");
  expect("emoji 😀 here", "W:emoji W:here");

  /* the count is the full count even when the array is short */
  kuzat_token one[1];
  size_t n = 0;
  int rc = kuzat_tokenise("a b c", 5, one, 1, &n);
  CHECK(rc == KUZAT_OK && n == 3 && one[0].len == 1, "short array: count %zu", n);
  CHECK(kuzat_tokenise("a b c", 5, NULL, 0, &n) == KUZAT_OK && n == 3, "count only");
  CHECK(kuzat_tokenise(NULL, 5, NULL, 0, &n) == KUZAT_EINVAL, "NULL text");
  CHECK(kuzat_tokenise("a", 1, NULL, 0, NULL) == KUZAT_EINVAL, "NULL count");
  CHECK(kuzat_tokenise("\xFF\xC3", 2, one, 1, &n) == KUZAT_OK, "invalid bytes do not crash");
  return kt_done();
}
