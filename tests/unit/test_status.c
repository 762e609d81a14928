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
  /* every row of the language table: its constant is its row, its code
   * goes both ways */
  int row = 0;
#define KT_LANG(id, code, script, text)                                              \
  CHECK(KUZAT_LANG_##id == row, "KUZAT_LANG_%s is row %d of the table", #id, row);   \
  CHECK(strcmp(kuzat_lang_name(KUZAT_LANG_##id), code) == 0, "lang name of %s", #id); \
  CHECK(kuzat_lang_from_name(code, strlen(code)) == KUZAT_LANG_##id, "lang from name %s", code); \
  row++;
  KUZAT_LANG_MAP(KT_LANG)
#undef KT_LANG
  CHECK(row == KUZAT_LANG_COUNT, "KUZAT_LANG_COUNT is the table's %d rows", row);
  /* the values are the ABI: rows are only ever added at the end */
  CHECK(KUZAT_LANG_OTHER == 0 && KUZAT_LANG_UZ_LATN == 1 && KUZAT_LANG_UZ_CYRL == 2 &&
            KUZAT_LANG_TG == 3 && KUZAT_LANG_KY == 4 && KUZAT_LANG_RU == 5 &&
            KUZAT_LANG_EN == 6 && KUZAT_LANG_AR == 7 && KUZAT_LANG_FA == 8,
        "the languages of version 0.1 keep their values");
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
