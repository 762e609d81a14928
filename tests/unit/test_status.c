/*
 * test_status.c -- status table, versions, language names, formats.
 */
#include "check.h"
#include "kuzat.h"

#include <string.h>

int main(void) {
#define KT_STATUS(name, code, text) \
  CHECK(strcmp(kuzat_strstatus(KUZAT_##name), text) == 0, "strstatus(%s)", #name); \
  CHECK(KUZAT_##name == code && (code == 0) == (KUZAT_##name == KUZAT_OK), "code of %s", #name);
  KUZAT_STATUS_MAP(KT_STATUS)
#undef KT_STATUS
  CHECK(strcmp(kuzat_strstatus(12345), "unknown status") == 0, "unknown status");
  CHECK(strcmp(kuzat_version(), KUZAT_VERSION) == 0, "version string %s", kuzat_version());
  CHECK(kuzat_version_number() == KUZAT_VERSION_NUMBER, "version number");
  CHECK(KUZAT_VERSION_NUMBER == KUZAT_VERSION_MAJOR * 1000000 + KUZAT_VERSION_MINOR * 1000 +
                                    KUZAT_VERSION_PATCH, "version number matches parts");
  static const char *const names[] = {"other", "uz-Latn", "uz-Cyrl", "tg", "ky", "ru", "en", "ar", "fa"};
  for (int l = 0; l < KUZAT_LANG_COUNT; l++) {
    CHECK(strcmp(kuzat_lang_name(l), names[l]) == 0, "lang name %d", l);
    CHECK(kuzat_lang_from_name(names[l], strlen(names[l])) == l, "lang from name %s", names[l]);
  }
  CHECK(strcmp(kuzat_lang_name(-1), "other") == 0 && strcmp(kuzat_lang_name(99), "other") == 0,
        "lang name out of range");
  CHECK(kuzat_lang_from_name("uz", 2) == -1 && kuzat_lang_from_name(NULL, 0) == -1, "bad lang names");
  CHECK(kuzat_format_from_name("jsonl") == KUZAT_FORMAT_JSONL &&
            kuzat_format_from_name("tsv") == KUZAT_FORMAT_TSV &&
            kuzat_format_from_name("lines") == KUZAT_FORMAT_LINES &&
            kuzat_format_from_name("text") == KUZAT_FORMAT_TEXT &&
            kuzat_format_from_name("csv") == -1 && kuzat_format_from_name(NULL) == -1,
        "format names");
  return kt_done();
}
