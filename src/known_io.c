/*
 * known_io.c -- the known-content index file (.kzk): writing and loading.
 *
 * The container is a model's (container.c): one gzip member whose content
 * is fixed-width little-endian fields ending with a CRC-32 of everything
 * before it. docs/model-format.md, part 2, gives the byte layout. The
 * loader checks the magic and the format version, then the CRC before it
 * believes any other byte, then every count against the bytes left before
 * it allocates; any damage is a KUZAT_EFORMAT naming the byte. The band
 * table and the id table are not stored: they are built at load time.
 */
#include "container.h"
#include "known.h"

#include <math.h>
#include <string.h>
#include <xxhash.h>
#include <zlib.h>

static const char magic[8] = {'K', 'U', 'Z', 'A', 'T', 'K', 'N', 'W'};

#define KZ_HEADER 56 /* bytes before the first document record */
#define KZ_WINDOW_BYTES (2 + 2 * KUZAT_KNOWN_HASHES)

/* ---------------------------------------------------------------------- */
/* Writing                                                                  */
/* ---------------------------------------------------------------------- */

/* The content, CRC-32 included: live documents only, in order. */
static int serialise(const kuzat_known *k, kz_wbuf *b) {
  size_t live_windows = 0;
  for (size_t i = 0; i < k->ndoc; i++)
    if (!k->doc[i].dead) live_windows += k->doc[i].nwin;
  kuzat__put(b, magic, 8);
  kuzat__put_u32(b, KUZAT_KNOWN_FORMAT);
  kuzat__put_u32(b, KUZAT_NORMALISER_VERSION);
  kuzat__put_u64(b, k->p.seed);
  kuzat__put_u32(b, (uint32_t)k->p.shingle);
  kuzat__put_u32(b, (uint32_t)k->p.window);
  kuzat__put_u32(b, KUZAT_KNOWN_HASHES);
  kuzat__put_u16(b, KUZAT_KNOWN_BANDS);
  kuzat__put_u16(b, KUZAT_KNOWN_ROWS);
  kuzat__put_f64(b, k->p.threshold);
  kuzat__put_u32(b, (uint32_t)k->live);
  kuzat__put_u32(b, (uint32_t)live_windows);
  for (size_t i = 0; i < k->ndoc; i++) {
    const kz_kdoc *d = &k->doc[i];
    if (d->dead) continue;
    kuzat__put_u32(b, (uint32_t)d->id_len);
    kuzat__put(b, k->str + d->id, d->id_len);
    kuzat__put_u32(b, (uint32_t)d->labels_len);
    kuzat__put(b, k->str + d->labels, d->labels_len);
    kuzat__put_u32(b, d->nwin);
  }
  for (size_t i = 0; i < k->ndoc; i++) {
    const kz_kdoc *d = &k->doc[i];
    if (d->dead) continue;
    for (size_t w = d->first; w < (size_t)d->first + d->nwin; w++) {
      kuzat__put_u16(b, k->wsize[w]);
      for (size_t h = 0; h < KUZAT_KNOWN_HASHES; h++)
        kuzat__put_u16(b, k->sk[w * KUZAT_KNOWN_HASHES + h]);
    }
  }
  if (b->failed) return KUZAT_ENOMEM;
  kuzat__put_u32(b, (uint32_t)crc32(0L, b->p, (uInt)b->len));
  return b->failed ? KUZAT_ENOMEM : KUZAT_OK;
}

/* The gzip bytes of the index, from k's allocator. */
static int compressed(const kuzat_known *k, unsigned char **gz, size_t *gz_len) {
  kz_wbuf b = {&k->a, NULL, 0, 0, 0};
  int rc = serialise(k, &b);
  if (!rc && b.len > KZ_CONTAINER_MAX) rc = KUZAT_ERANGE;
  if (!rc) rc = kuzat__gz_deflate(&k->a, b.p, b.len, gz, gz_len);
  kuzat__free(&k->a, b.p);
  return rc;
}

int kuzat_known_save_mem(const kuzat_known *k, void **buf, size_t *len, kuzat_error *err) {
  kuzat__error_clear(err);
  if (buf) *buf = NULL;
  if (len) *len = 0;
  if (!k || !buf || !len) return kuzat__fail(err, KUZAT_EINVAL, "NULL argument");
  unsigned char *gz;
  int rc = compressed(k, &gz, len);
  if (rc == KUZAT_ERANGE)
    return kuzat__fail(err, rc, "index larger than %zu bytes uncompressed", KZ_CONTAINER_MAX);
  if (rc) return kuzat__fail(err, rc, "out of memory");
  *buf = gz;
  return KUZAT_OK;
}

void kuzat_known_buffer_free(void *buf, const kuzat_allocator *alloc) {
  kz_alloc a;
  kuzat__alloc_init(&a, alloc);
  kuzat__free(&a, buf);
}

int kuzat_known_save(const kuzat_known *k, const char *path, kuzat_error *err) {
  kuzat__error_clear(err);
  if (!k || !path) return kuzat__fail(err, KUZAT_EINVAL, "NULL argument");
  unsigned char *gz;
  size_t n;
  int rc = compressed(k, &gz, &n);
  if (rc == KUZAT_ERANGE)
    return kuzat__fail(err, rc, "index larger than %zu bytes uncompressed", KZ_CONTAINER_MAX);
  if (rc) return kuzat__fail(err, rc, "out of memory");
  rc = kuzat__write_atomic(&k->a, path, gz, n, "index", err);
  kuzat__free(&k->a, gz);
  return rc;
}

/* ---------------------------------------------------------------------- */
/* Loading                                                                  */
/* ---------------------------------------------------------------------- */

typedef struct rbuf {
  const unsigned char *p;
  size_t len, pos;
  uint32_t crc; /* of all len bytes, as inflating computed it */
} rbuf;

static int need(const rbuf *r, size_t n, const char *what, kuzat_error *err) {
  if (r->len - r->pos < n)
    return kuzat__fail_at(err, KUZAT_EFORMAT, 0, (long long)r->pos,
                          "index truncated at byte %zu: %s needs %zu bytes, %zu left", r->pos,
                          what, n, r->len - r->pos);
  return KUZAT_OK;
}

static uint32_t get_u32(rbuf *r) {
  uint32_t v = kuzat__get_u32(r->p + r->pos);
  r->pos += 4;
  return v;
}

#define DAMAGED(at, ...) kuzat__fail_at(err, KUZAT_EFORMAT, 0, (long long)(at), __VA_ARGS__)

/* Magic, format version, CRC-32 (which it takes off r->len). */
static int check_frame(rbuf *r, kuzat_error *err) {
  if (r->len < 8 || memcmp(r->p, magic, 8) != 0)
    return kuzat__fail(err, KUZAT_EFORMAT, "not a kuzat index (no KUZATKNW magic)");
  r->pos = 8;
  int rc = need(r, 4, "the format version", err);
  if (rc) return rc;
  uint32_t version = get_u32(r);
  if (version > KUZAT_KNOWN_FORMAT)
    return kuzat__fail(err, KUZAT_EVERSION,
                       "index format version %u is newer than this kuzat reads (%d): "
                       "upgrade kuzat", version, KUZAT_KNOWN_FORMAT);
  if (version == 0) return kuzat__fail(err, KUZAT_EFORMAT, "index format version 0");
  if ((rc = need(r, 4, "the CRC-32", err))) return rc;
  uint32_t stored = kuzat__get_u32(r->p + r->len - 4);
  uint32_t crc;
  if (!kuzat__crc_trailer_ok(r->p, r->len, r->crc, &crc))
    return kuzat__fail(err, KUZAT_EFORMAT, "index damaged: CRC-32 is %08x, the file says %08x",
                       crc, stored);
  r->len -= 4;
  return KUZAT_OK;
}

/* The header after the format version: parameters and the two counts. */
static int read_header(rbuf *r, kuzat_known_params *p, uint32_t *docs, uint32_t *windows,
                       kuzat_error *err) {
  int rc = need(r, KZ_HEADER - 12, "the header", err);
  if (rc) return rc;
  uint32_t nv = get_u32(r);
  if (nv != KUZAT_NORMALISER_VERSION)
    return kuzat__fail(err, KUZAT_EVERSION,
                       "index built with normaliser version %u; this kuzat has version %d", nv,
                       KUZAT_NORMALISER_VERSION);
  p->seed = kuzat__get_u64(r->p + r->pos);
  r->pos += 8;
  p->shingle = (int)get_u32(r);
  p->window = (int)get_u32(r);
  size_t at = r->pos;
  uint32_t hashes = get_u32(r);
  unsigned bands = kuzat__get_u16(r->p + r->pos), rows = kuzat__get_u16(r->p + r->pos + 2);
  r->pos += 4;
  if (hashes != KUZAT_KNOWN_HASHES || bands != KUZAT_KNOWN_BANDS || rows != KUZAT_KNOWN_ROWS)
    return DAMAGED(at, "index damaged at byte %zu: %u hashes, %u bands of %u (format %d has %d, "
                       "%d bands of %d)", at, hashes, bands, rows, KUZAT_KNOWN_FORMAT,
                   KUZAT_KNOWN_HASHES, KUZAT_KNOWN_BANDS, KUZAT_KNOWN_ROWS);
  uint64_t tb = kuzat__get_u64(r->p + r->pos);
  memcpy(&p->threshold, &tb, 8);
  r->pos += 8;
  kuzat_error why;
  if (kuzat__known_params_check(p, &why))
    return kuzat__fail(err, KUZAT_EFORMAT, "index damaged: parameters: %s", why.msg);
  at = r->pos;
  *docs = get_u32(r);
  *windows = get_u32(r);
  /* each document takes at least 13 bytes, each window KZ_WINDOW_BYTES */
  if ((uint64_t)*docs * 13 + (uint64_t)*windows * KZ_WINDOW_BYTES > r->len - r->pos)
    return DAMAGED(at, "index damaged at byte %zu: %u documents and %u windows, but %zu bytes "
                       "left", at, *docs, *windows, r->len - r->pos);
  if (*windows > UINT32_MAX / KZ_KNOWN_BANDS - 1 || *docs >= UINT32_MAX - 2)
    return DAMAGED(at, "index damaged at byte %zu: %u windows", at, *windows);
  return KUZAT_OK;
}

/* One id or labels field: u32 length within [min, max], bytes without NUL.
 * Stores the bytes' offset in the content. */
static int read_string(rbuf *r, size_t min, size_t max, const char *what, size_t *off,
                       size_t *len, kuzat_error *err) {
  int rc = need(r, 4, what, err);
  if (rc) return rc;
  size_t at = r->pos;
  uint32_t n = get_u32(r);
  if (n < min || n > max)
    return DAMAGED(at, "index damaged at byte %zu: %s of %u bytes", at, what, n);
  if ((rc = need(r, n, what, err))) return rc;
  if (n && memchr(r->p + r->pos, '\0', n))
    return DAMAGED(at, "index damaged at byte %zu: NUL in %s", at, what);
  *off = r->pos;
  *len = n;
  r->pos += n;
  return KUZAT_OK;
}

/* Document records into k->doc (strings copied into k->str). */
static int read_docs(kuzat_known *k, rbuf *r, uint32_t docs, uint32_t windows, kuzat_error *err) {
  size_t start = r->pos, strbytes = 0, off, len;
  int rc;
  /* first pass: check, and size the string arena */
  for (uint32_t i = 0; i < docs; i++) {
    if ((rc = read_string(r, 1, KZ_KNOWN_MAX_ID, "an id", &off, &len, err))) return rc;
    strbytes += len + 1;
    if ((rc = read_string(r, 0, KZ_KNOWN_MAX_LABELS, "labels", &off, &len, err))) return rc;
    strbytes += len + 1;
    if ((rc = need(r, 4, "a window count", err))) return rc;
    r->pos += 4;
  }
  r->pos = start;
  k->doc = kuzat__calloc(&k->a, (size_t)docs + 1, sizeof *k->doc);
  k->str = kuzat__malloc(&k->a, strbytes + 1);
  if (!k->doc || !k->str) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  k->doc_cap = (size_t)docs + 1;
  k->str_cap = strbytes + 1;
  uint64_t total = 0;
  for (uint32_t i = 0; i < docs; i++) {
    kz_kdoc *d = &k->doc[i];
    read_string(r, 1, KZ_KNOWN_MAX_ID, "an id", &off, &len, err);
    d->id = k->str_len;
    d->id_len = len;
    memcpy(k->str + k->str_len, r->p + off, len);
    k->str[k->str_len + len] = '\0';
    k->str_len += len + 1;
    read_string(r, 0, KZ_KNOWN_MAX_LABELS, "labels", &off, &len, err);
    d->labels = k->str_len;
    d->labels_len = len;
    memcpy(k->str + k->str_len, r->p + off, len);
    k->str[k->str_len + len] = '\0';
    k->str_len += len + 1;
    size_t at = r->pos;
    uint32_t nw = get_u32(r);
    if (nw > windows - total)
      return DAMAGED(at, "index damaged at byte %zu: document %u has %u windows, more than the "
                         "%llu left of %u", at, i, nw, (unsigned long long)(windows - total),
                     windows);
    d->first = (uint32_t)total;
    d->nwin = nw;
    total += nw;
  }
  k->ndoc = k->live = docs;
  if (total != windows)
    return DAMAGED(r->pos, "index damaged at byte %zu: the documents have %llu windows, the "
                           "header says %u", r->pos, (unsigned long long)total, windows);
  return KUZAT_OK;
}

/* Window records into k->wdoc, wsize and sk. */
static int read_windows(kuzat_known *k, rbuf *r, uint32_t windows, kuzat_error *err) {
  int rc = need(r, (size_t)windows * KZ_WINDOW_BYTES, "the windows", err);
  if (rc) return rc;
  k->wdoc = kuzat__malloc(&k->a, ((size_t)windows + 1) * sizeof *k->wdoc);
  k->wsize = kuzat__malloc(&k->a, ((size_t)windows + 1) * sizeof *k->wsize);
  k->sk = kuzat__malloc(&k->a, ((size_t)windows * KUZAT_KNOWN_HASHES + 1) * sizeof *k->sk);
  if (!k->wdoc || !k->wsize || !k->sk) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  k->wdoc_cap = k->wsize_cap = (size_t)windows + 1;
  k->sk_cap = (size_t)windows * KUZAT_KNOWN_HASHES + 1;
  for (size_t i = 0; i < k->ndoc; i++)
    for (uint32_t w = 0; w < k->doc[i].nwin; w++) k->wdoc[k->doc[i].first + w] = (uint32_t)i;
  for (size_t w = 0; w < windows; w++) {
    size_t at = r->pos;
    uint16_t n = kuzat__get_u16(r->p + at);
    if (n < 1 || n > k->p.window)
      return DAMAGED(at, "index damaged at byte %zu: a window of %u shingles (1..%d)", at, n,
                     k->p.window);
    k->wsize[w] = n;
    for (size_t h = 0; h < KUZAT_KNOWN_HASHES; h++)
      k->sk[w * KUZAT_KNOWN_HASHES + h] = kuzat__get_u16(r->p + at + 2 + 2 * h);
    r->pos += KZ_WINDOW_BYTES;
  }
  k->nwin = windows;
  if (r->pos != r->len)
    return kuzat__fail(err, KUZAT_EFORMAT, "index damaged: %zu bytes after the end",
                       r->len - r->pos);
  return KUZAT_OK;
}

static int parse(const kz_alloc *a, rbuf *r, kuzat_known **out, kuzat_error *err) {
  int rc = check_frame(r, err);
  if (rc) return rc;
  kuzat_known_params p;
  uint32_t docs = 0, windows = 0;
  if ((rc = read_header(r, &p, &docs, &windows, err))) return rc;
  kuzat_known *k;
  if (kuzat__known_alloc(a, &p, &k)) return kuzat__fail(err, KUZAT_ENOMEM, "out of memory");
  size_t da, db;
  if (!(rc = read_docs(k, r, docs, windows, err)) && !(rc = read_windows(k, r, windows, err))) {
    rc = kuzat__known_index(k, &da, &db);
    if (rc == KUZAT_ENOMEM) {
      kuzat__fail(err, rc, "out of memory");
    } else if (rc) {
      const kz_kdoc *d = &k->doc[db];
      kuzat__fail(err, rc, "index damaged: documents %zu and %zu have the same id \"%.*s\"", da,
                  db, d->id_len > 64 ? 64 : (int)d->id_len, k->str + d->id);
    }
  }
  if (rc) {
    kuzat_known_free(k);
    return rc;
  }
  *out = k;
  return KUZAT_OK;
}

int kuzat_known_load_mem(const void *buf, size_t len, const kuzat_allocator *alloc,
                         kuzat_known **out, kuzat_error *err) {
  kuzat__error_clear(err);
  if (!out || (!buf && len)) return kuzat__fail(err, KUZAT_EINVAL, "NULL argument");
  *out = NULL;
  kz_alloc a;
  kuzat__alloc_init(&a, alloc);
  unsigned char *raw = NULL;
  size_t raw_len = 0;
  uint32_t crc = 0;
  int rc = kuzat__gz_inflate(&a, buf, len, "index", &raw, &raw_len, &crc, err);
  if (rc) return rc;
  rbuf r = {raw, raw_len, 0, crc};
  rc = parse(&a, &r, out, err);
  kuzat__free(&a, raw);
  return rc;
}

int kuzat_known_load_file(const char *path, const kuzat_allocator *alloc, kuzat_known **out,
                          kuzat_error *err) {
  kuzat__error_clear(err);
  if (!path || !out) return kuzat__fail(err, KUZAT_EINVAL, "NULL argument");
  *out = NULL;
  kz_alloc a;
  kuzat__alloc_init(&a, alloc);
  unsigned char *buf;
  size_t n;
  int rc = kuzat__read_file(&a, path, "index", &buf, &n, err);
  if (rc) return rc;
  rc = kuzat_known_load_mem(buf, n, alloc, out, err);
  kuzat__free(&a, buf);
  if (rc) kuzat__error_prefix_path(err, path); /* not EIO: load_mem never gives it */
  return rc;
}
