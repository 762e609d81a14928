/*
 * read_detect.c -- what the first bytes of an input are, for read_input.c:
 * a byte-order mark, the signature of a known binary format (executables,
 * images, audio and video, archives, PDF), bytes too full of NUL and
 * control characters to be text; whether text is UTF-8; and, when it is
 * not, the legacy code page ICU's charset detector is confident of, and
 * ICU's converter for an encoding. Functions of bytes only: nothing here
 * reads or keeps state. The rules are in docs/FORMATS.md, "Input".
 */
#include "reader.h"

#include <stdio.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/ucnv.h>
#include <unicode/ucsdet.h>
#include <unicode/utf16.h>

/* ---- byte-order marks ----------------------------------------------------- */

/* UTF-32LE's mark starts with UTF-16LE's: the longer marks come first. */
static const struct bom {
  const char *bytes;
  size_t len;
  const char *encoding;
} boms[] = {
    {"\x00\x00\xFE\xFF", 4, "UTF-32BE"}, {"\xFF\xFE\x00\x00", 4, "UTF-32LE"},
    {"\xFE\xFF", 2, "UTF-16BE"},         {"\xFF\xFE", 2, "UTF-16LE"},
};

const char *kuzat__bom_encoding(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < sizeof boms / sizeof boms[0]; i++)
    if (n >= boms[i].len && memcmp(p, boms[i].bytes, boms[i].len) == 0) return boms[i].encoding;
  return NULL;
}

/* ---- signatures ----------------------------------------------------------- */

/* Bytes at the start of a file that name its format (as file(1) and the
 * formats' specifications give them). What the message says after "looks
 * like". */
static const struct sig {
  const char *bytes;
  size_t len;
  const char *what;
} sigs[] = {
    {"\x7F" "ELF", 4, "an ELF executable or library"},
    {"\x89PNG\r\n\x1A\n", 8, "a PNG image"},
    {"\xFF\xD8\xFF", 3, "a JPEG image"},
    {"GIF87a", 6, "a GIF image"},
    {"GIF89a", 6, "a GIF image"},
    {"II*\0", 4, "a TIFF image"},
    {"MM\0*", 4, "a TIFF image"},
    {"\0\0\1\0", 4, "an ICO image"},
    {"\x1A\x45\xDF\xA3", 4, "Matroska or WebM video"},
    {"\0\0\1\xBA", 4, "MPEG video"},
    {"\0\0\1\xB3", 4, "MPEG video"},
    {"OggS", 4, "Ogg audio or video"},
    {"fLaC", 4, "FLAC audio"},
    {"ID3\2", 4, "MP3 audio"},
    {"ID3\3", 4, "MP3 audio"},
    {"ID3\4", 4, "MP3 audio"},
    {"\xFF\xFB", 2, "MP3 audio"},
    {"\xFF\xF3", 2, "MP3 audio"},
    {"\xFF\xF2", 2, "MP3 audio"},
    {"%PDF-", 5, "a PDF document"},
    {"PK\3\4", 4, "a ZIP archive (or a document, JAR or APK inside one)"},
    {"PK\5\6", 4, "a ZIP archive"},
    {"PK\7\x08", 4, "a ZIP archive"},
    {"7z\xBC\xAF\x27\x1C", 6, "a 7-Zip archive"},
    {"Rar!\x1A\x07", 6, "a RAR archive"},
    {"\xFD" "7zXZ\0", 6, "xz-compressed data"},
    {"\x28\xB5\x2F\xFD", 4, "Zstandard-compressed data"},
    {"\x1F\x8B", 2, "gzip-compressed data"}, /* gzip inside gzip */
    {"SQLite format 3\0", 16, "a SQLite database"},
    {"\xCA\xFE\xBA\xBE", 4, "a Java class or a Mach-O executable"},
    {"\xCF\xFA\xED\xFE", 4, "a Mach-O executable"},
    {"\xCE\xFA\xED\xFE", 4, "a Mach-O executable"},
    {"\0asm", 4, "a WebAssembly module"},
    {"wOFF", 4, "a web font"},
    {"wOF2", 4, "a web font"},
};

/* ISO base media files (MP4, QuickTime, 3GP, HEIF, AVIF): a box of a
 * size below 16 MiB (so a NUL first byte) named "ftyp", its brand next.
 * Old QuickTime files start with a "moov", "mdat" or "wide" box. */
static const char *iso_media(const unsigned char *p, size_t n) {
  static const struct {
    const char *brand;
    const char *what;
  } brands[] = {{"qt  ", "QuickTime video"}, {"M4A ", "MPEG-4 audio"}, {"M4B ", "MPEG-4 audio"},
                {"M4P ", "MPEG-4 audio"},    {"heic", "a HEIF image"}, {"heix", "a HEIF image"},
                {"mif1", "a HEIF image"},    {"msf1", "a HEIF image"}, {"avif", "an AVIF image"},
                {"avis", "an AVIF image"},   {"3gp", "3GP video"},     {"3g2", "3GP video"}};
  if (n < 8 || p[0] != 0) return NULL;
  if (memcmp(p + 4, "moov", 4) == 0 || memcmp(p + 4, "mdat", 4) == 0 ||
      memcmp(p + 4, "wide", 4) == 0)
    return "QuickTime video";
  if (memcmp(p + 4, "ftyp", 4) != 0) return NULL;
  for (size_t i = 0; n >= 12 && i < sizeof brands / sizeof brands[0]; i++)
    if (memcmp(p + 8, brands[i].brand, strlen(brands[i].brand)) == 0) return brands[i].what;
  return "MP4 video";
}

/* RIFF containers name their kind at byte 8. */
static const char *riff(const unsigned char *p, size_t n) {
  if (n < 4 || memcmp(p, "RIFF", 4) != 0) return NULL;
  if (n >= 12 && memcmp(p + 8, "WAVE", 4) == 0) return "WAV audio";
  if (n >= 12 && memcmp(p + 8, "AVI ", 4) == 0) return "AVI video";
  if (n >= 12 && memcmp(p + 8, "WEBP", 4) == 0) return "a WebP image";
  return NULL; /* text may start with "RIFF"; other kinds have NULs */
}

/* The signatures that need more than a prefix compared. */
static const char *special(const unsigned char *p, size_t n) {
  const char *what = iso_media(p, n);
  if (!what) what = riff(p, n);
  if (!what && n >= 10 && memcmp(p, "BZh", 3) == 0 && p[3] >= '1' && p[3] <= '9' &&
      memcmp(p + 4, "1AY&SY", 6) == 0)
    what = "bzip2-compressed data";
  if (!what && n >= 263 && memcmp(p + 257, "ustar", 5) == 0 && (p[262] == 0 || p[262] == ' '))
    what = "a tar archive";
  if (!what && n >= 64 && p[0] == 'M' && p[1] == 'Z') { /* a PE header where MZ's says */
    size_t pe = (size_t)p[60] | (size_t)p[61] << 8 | (size_t)p[62] << 16 | (size_t)p[63] << 24;
    if (pe <= n - 4 && memcmp(p + pe, "PE\0\0", 4) == 0) what = "a Windows executable";
  }
  return what;
}

int kuzat__sniff_wants_more(const unsigned char *p, size_t n) {
  if (n == 0 || n >= KZ_SNIFF_HEAD) return 0;
  if (p[0] == 0) return 1; /* an ISO media box, a UTF-32BE mark... */
  if (n < 12 && memcmp(p, "RIFF", n < 4 ? n : 4) == 0) return 1; /* its kind at byte 8 */
  if (n < 10 && memcmp(p, "BZh", n < 3 ? n : 3) == 0) return 1;
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    if (sigs[i].len > n && memcmp(p, sigs[i].bytes, n) == 0) return 1;
  for (size_t i = 0; i < sizeof boms / sizeof boms[0]; i++)
    if (boms[i].len > n && memcmp(p, boms[i].bytes, n) == 0) return 1;
  return 0;
}

const char *kuzat__signature(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    if (n >= sigs[i].len && memcmp(p, sigs[i].bytes, sigs[i].len) == 0) return sigs[i].what;
  return special(p, n);
}

/* ---- NUL and control bytes -------------------------------------------------- */

/* A control byte no text has: C0 controls but TAB, LF, VT, FF, CR and ESC
 * (terminal colours in logs), and DEL. Text tested on this machine (the
 * repository, /etc, /usr/include, /usr/share/doc, the shared datasets)
 * has none; compiled Python has 1.7-4%, gettext catalogs 7-9%, random or
 * compressed bytes 10.5%. */
static int is_control(unsigned char c) {
  return (c < 0x20 && c != '\t' && c != '\n' && c != '\v' && c != '\f' && c != '\r' && c != 0x1B) ||
         c == 0x7F;
}

/* UTF-16 without a byte-order mark: one lane of bytes (the high bytes of
 * Latin, Cyrillic or Arabic letters) almost all below 0x20, the other not. */
static const char *utf16_lanes(const unsigned char *p, size_t n) {
  size_t low[2] = {0, 0}, pairs = n / 2;
  for (size_t i = 0; i + 1 < n; i += 2) {
    low[0] += p[i] < 0x20;
    low[1] += p[i + 1] < 0x20;
  }
  if (low[1] * 10 >= pairs * 9 && low[0] * 10 <= pairs * 3) return "UTF-16LE";
  if (low[0] * 10 >= pairs * 9 && low[1] * 10 <= pairs * 3) return "UTF-16BE";
  return NULL;
}

int kuzat__not_text(const unsigned char *p, size_t n, int check_bytes, char *why, size_t cap) {
  const char *what = kuzat__signature(p, n);
  if (what) {
    snprintf(why, cap, "not text: looks like %s", what);
    return 1;
  }
  /* fewer bytes say too little: a short line with a NUL in it is text */
  if (!check_bytes || n < KZ_SNIFF_MIN) return 0;
  size_t nul = 0, ctl = 0;
  for (size_t i = 0; i < n; i++) {
    nul += p[i] == 0;
    ctl += is_control(p[i]);
  }
  /* a few, or under 1% NUL and 5% controls: text (a stray NUL in JSON
   * Lines is that record's error, not the file's) */
  if (ctl < KZ_SNIFF_FEW || (nul * 100 < n && ctl * 20 < n)) return 0;
  const char *u16 = utf16_lanes(p, n);
  if (u16)
    snprintf(why, cap, "not text: looks like %s text without a byte-order mark (name its encoding "
             "to read it)", u16);
  else
    snprintf(why, cap, "not text: looks like binary data (%zu%% of its first %zu bytes are NUL "
             "or control characters)", (ctl * 100 + n / 2) / n, n);
  return 1;
}

/* ---- UTF-8 or not ----------------------------------------------------------- */

/* The length of the well-formed UTF-8 character at p[0..n) that starts
 * with a byte >= 0x80, 0 when it is ill-formed, or n + 1 when p ends in
 * the middle of one that may still be well-formed. */
static size_t utf8_char(const unsigned char *p, size_t n) {
  unsigned char c = p[0];
  size_t need = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
  if (!need) return 0;
  unsigned char lo = 0x80, hi = 0xBF; /* the second byte's range (RFC 3629) */
  if (c == 0xE0) lo = 0xA0;
  if (c == 0xED) hi = 0x9F;
  if (c == 0xF0) lo = 0x90;
  if (c == 0xF4) hi = 0x8F;
  for (size_t k = 1; k < need; k++) {
    if (k >= n) return n + 1;
    if (p[k] < (k == 1 ? lo : 0x80) || p[k] > (k == 1 ? hi : 0xBF)) return 0;
  }
  return need;
}

int kuzat__utf8_verdict(const unsigned char *p, size_t n) {
  size_t good = 0, bad = 0;
  for (size_t i = 0; i < n;) {
    if (p[i] < 0x80) {
      i++;
      continue;
    }
    size_t k = utf8_char(p + i, n - i);
    if (k > n - i) break; /* cut by the end of the buffer: the rest decides */
    if (k) good++, i += k;
    else bad++, i++;
  }
  if (!good && !bad) return KZ_ASCII;
  /* a few damaged bytes in UTF-8 text do not make it another encoding */
  return bad == 0 || good >= bad ? KZ_UTF8 : KZ_NOT_UTF8;
}

/* ---- Cyrillic in a single-byte code page ------------------------------------ */

/* The single-byte Cyrillic code pages read by their shape: ICU's detector
 * knows Russian in the first two only, and cp866 not at all. */
static const char *const cyr_pages[] = {"windows-1251", "KOI8-R", "IBM866"};
#define KZ_CYR_PAGES (sizeof cyr_pages / sizeof cyr_pages[0])

/* Shares of the bytes above 0x7F, in tenths: at least KZ_CYR_RUNS stand
 * beside another such byte (words made of them: in Latin text they stand
 * alone among ASCII letters, é in café), and at least KZ_CYR_SMALL of the
 * characters they decode to, through ICU's converter for a page, are small
 * Cyrillic letters (ICU's character properties say which), in the page
 * chosen, which leads every other page by at least KZ_CYR_LEAD. Prose is
 * mostly small letters, and the pages put them in different places (the
 * capitals of windows-1251 are KOI8-R's small letters). Measured here on
 * Russian, Uzbek, Tajik and Kyrgyz text (3 and 400 lines of each of the
 * shared datasets' in each page): 9.7-10 beside another; 9.4-10 small
 * letters in their own page, at most 8.3 in another (cp866's on
 * windows-1251 text). French, German, Czech, Hungarian and Turkish in
 * Latin-1, -2, -9, windows-1250 and -1252: 0-3.2 beside another. Only
 * input that is not UTF-8 is asked (damaged UTF-8 stays UTF-8). */
#define KZ_CYR_RUNS 7
#define KZ_CYR_SMALL 7
#define KZ_CYR_LEAD 1
#define KZ_CYR_MIN_BYTES 8 /* fewer bytes above 0x7F say nothing */

/* How many of p[0..n)'s bytes above 0x7F decode, in the page `name`, to a
 * small Cyrillic letter; -1 when ICU cannot say (no such converter), -2
 * when it ran out of memory. buf has room for n UTF-16 units: one a byte
 * in a single-byte page. */
static long small_cyrillic(const char *name, const unsigned char *p, size_t n, UChar *buf) {
  UErrorCode e = U_ZERO_ERROR;
  UConverter *cv = ucnv_open(name, &e);
  int32_t len = U_SUCCESS(e) ? ucnv_toUChars(cv, buf, (int32_t)n, (const char *)p, (int32_t)n, &e) : 0;
  ucnv_close(cv);
  if (U_FAILURE(e)) return e == U_MEMORY_ALLOCATION_ERROR ? -2 : -1;
  long small = 0;
  for (int32_t i = 0; i < len;) {
    UChar32 c;
    U16_NEXT(buf, i, len, c);
    small += c >= 0x80 && u_islower(c) && ublock_getCode(c) == UBLOCK_CYRILLIC;
  }
  return small;
}

/* The single-byte Cyrillic code page p[0..n) is written in, or NULL when
 * its bytes above 0x7F do not look like Cyrillic words in one of them, in
 * *pick. Looks at KZ_DETECT_BYTES at most. KUZAT_OK or KUZAT_ENOMEM. */
static int cyrillic_guess(const kz_alloc *a, const unsigned char *p, size_t n, const char **pick) {
  *pick = NULL;
  if (n > KZ_DETECT_BYTES) n = KZ_DETECT_BYTES;
  size_t high = 0, runs = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i] < 0x80) continue;
    high++;
    runs += (i > 0 && p[i - 1] >= 0x80) || (i + 1 < n && p[i + 1] >= 0x80);
  }
  if (high < KZ_CYR_MIN_BYTES || runs * 10 < high * KZ_CYR_RUNS) return KUZAT_OK;
  UChar *buf = kuzat__malloc(a, n * sizeof *buf);
  if (!buf) return KUZAT_ENOMEM;
  long small[KZ_CYR_PAGES];
  size_t best = 0;
  int oom = 0;
  for (size_t k = 0; k < KZ_CYR_PAGES; k++) {
    small[k] = small_cyrillic(cyr_pages[k], p, n, buf);
    oom |= small[k] == -2;
    if (small[k] > small[best]) best = k;
  }
  kuzat__free(a, buf);
  if (oom) return KUZAT_ENOMEM;
  long next = 0;
  for (size_t k = 0; k < KZ_CYR_PAGES; k++)
    if (k != best && small[k] > next) next = small[k];
  if (small[best] >= 0 && (size_t)small[best] * 10 >= high * KZ_CYR_SMALL &&
      (size_t)(small[best] - next) * 10 >= high * KZ_CYR_LEAD)
    *pick = cyr_pages[best];
  return KUZAT_OK;
}

/* ---- ICU: the charset detector and converters ------------------------------- */

/* The legacy code pages the detector may pick: Cyrillic and Latin ones
 * (ICU names, as ucsdet_getName() gives them). */
static const char *const legacy[] = {
    "windows-1251", "KOI8-R",       "ISO-8859-5",   "windows-1252", "ISO-8859-1",
    "ISO-8859-2",   "windows-1250", "ISO-8859-9",   "windows-1254",
};
#define KZ_LEGACY_CYRILLIC 3 /* legacy[0..3) are Cyrillic pages */

/* ICU's confidence (0-100) at and above which its pick is taken. On this
 * machine's ICU (72): Russian prose in windows-1251, KOI8-R or ISO-8859-5
 * from one word up scores 39-85; English, French or German in Latin-1
 * 44-63; a few stray bytes in ASCII 21 or less. */
#define KZ_DETECT_CONFIDENCE 30

/* The lines of p[0..n) that have bytes above 0x7F, up to `cap` bytes of
 * them, into out; their length. The detector sees those alone: ASCII
 * around a Russian line would make it read the line as Latin-1. */
static size_t non_ascii_lines(const unsigned char *p, size_t n, unsigned char *out, size_t cap) {
  size_t k = 0;
  for (size_t i = 0; i < n && k < cap;) {
    const unsigned char *nl = memchr(p + i, '\n', n - i);
    size_t end = nl ? (size_t)(nl - p) + 1 : n, high = 0;
    for (size_t j = i; j < end && !high; j++) high = p[j] >= 0x80;
    if (high) {
      size_t m = end - i < cap - k ? end - i : cap - k;
      memcpy(out + k, p + i, m);
      k += m;
    }
    i = end;
  }
  return k;
}

int kuzat__detect_legacy(const kz_alloc *a, const unsigned char *p, size_t n, const char **pick) {
  *pick = NULL;
  unsigned char *sample = kuzat__malloc(a, KZ_DETECT_BYTES);
  if (!sample) return KUZAT_ENOMEM;
  n = non_ascii_lines(p, n, sample, KZ_DETECT_BYTES);
  UErrorCode e = U_ZERO_ERROR;
  UCharsetDetector *d = ucsdet_open(&e);
  if (e == U_MEMORY_ALLOCATION_ERROR) {
    kuzat__free(a, sample);
    return KUZAT_ENOMEM;
  }
  if (U_SUCCESS(e)) ucsdet_setText(d, (const char *)sample, (int32_t)n, &e);
  const UCharsetMatch *m = U_SUCCESS(e) ? ucsdet_detect(d, &e) : NULL;
  const char *icu = NULL; /* ICU's confident pick, a page we take */
  int confident = m && U_SUCCESS(e) && ucsdet_getConfidence(m, &e) >= KZ_DETECT_CONFIDENCE;
  size_t at = 0;
  if (confident) {
    const char *name = ucsdet_getName(m, &e);
    for (size_t i = 0; U_SUCCESS(e) && name && i < sizeof legacy / sizeof legacy[0]; i++)
      if (strcmp(name, legacy[i]) == 0) icu = legacy[at = i];
  }
  ucsdet_close(d);
  /* ICU knows Russian in windows-1251, KOI8-R and ISO-8859-5 well; Uzbek,
   * Tajik and Kyrgyz in them, and anything in cp866, it reads as noise or
   * Latin-1: the shape of the bytes tells those. A confident pick of a
   * page of another script (Greek, Arabic) is left alone. */
  if (icu && at < KZ_LEGACY_CYRILLIC) *pick = icu;
  else if ((!confident || icu) && cyrillic_guess(a, sample, n, pick)) {
    kuzat__free(a, sample);
    return KUZAT_ENOMEM;
  }
  if (!*pick) *pick = icu;
  kuzat__free(a, sample);
  return KUZAT_OK;
}

int kuzat__converter_open(const char *name, UConverter **out, const char **iana,
                          kuzat_error *err) {
  UErrorCode e = U_ZERO_ERROR;
  *out = ucnv_open(name, &e);
  if (e == U_MEMORY_ALLOCATION_ERROR) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  if (U_FAILURE(e) || !*out) {
    ucnv_close(*out);
    *out = NULL;
    return kuzat__fail(err, KUZAT_ENOTSUP, "no converter for the encoding \"%.60s\" in ICU (%s)",
                       name, u_errorName(e));
  }
  /* a name that outlives the converter, from ICU's alias table: MIME's
   * ("ISO-8859-5"), else IANA's ("windows-1251"), else ICU's own */
  const char *canon = ucnv_getName(*out, &e), *std = NULL;
  for (int k = 0; k < 2 && U_SUCCESS(e) && !std; k++) {
    UErrorCode e2 = U_ZERO_ERROR;
    std = ucnv_getStandardName(canon, k ? "IANA" : "MIME", &e2);
    if (U_FAILURE(e2)) std = NULL;
  }
  *iana = std ? std : canon;
  return KUZAT_OK;
}
