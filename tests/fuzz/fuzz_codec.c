/*
 * fuzz_codec.c - the text codec: type specs, and elements as text.
 *
 * The input is a type spec on its first line, then anything.  The rest is
 * used twice: as lines of element text (what a write to a file of the
 * mount hands the codec) and as raw element bytes (what a read formats,
 * where every byte pattern is a valid element).  Besides crashes and
 * sanitizer reports, the harness checks the promises of zeroipc_codec.h:
 *
 *   specs     a parsed type is sane (sizes, alignments, fields inside the
 *             element); its canonical spelling parses to the same type and
 *             spells itself;
 *   parse     a failed parse leaves the element untouched; a parsed
 *             element formats to printable ASCII, no longer than
 *             zeroipc_codec_max_text, which parses back to the same bytes
 *             (the bytes after a string's first NUL become zero: the only
 *             loss the header allows for parsed elements), and formats to
 *             the same text again;
 *   format    any bytes format (never an error on content); measuring
 *             (len 0) and a buffer one byte short both report the exact
 *             length with ZEROIPC_ERROR_SIZE and write nothing past len;
 *             the text parses back to the same bytes except NaN payloads
 *             (the sign stays), bytes after a string's first NUL, and
 *             record padding.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zeroipc.h"

#define MAX_LINES 16 /* lines of text tried per input */
#define MAX_RAW 4    /* raw elements tried per input */

static void check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_codec: invariant failed: %s\n", what);
        abort();
    }
}

static bool same_type(const zeroipc_type_t *a, const zeroipc_type_t *b)
{
    if (a->nfields != b->nfields || a->size != b->size || a->align != b->align)
        return false;
    for (uint32_t i = 0; i < a->nfields; i++) {
        if (a->field[i].kind != b->field[i].kind || a->field[i].size != b->field[i].size ||
            a->field[i].offset != b->field[i].offset)
            return false;
    }
    return true;
}

static void check_type(const zeroipc_type_t *t)
{
    check(t->nfields >= 1 && t->nfields <= ZEROIPC_TYPE_MAX_FIELDS, "nfields in range");
    check(t->size >= 1 && t->size <= ZEROIPC_TYPE_MAX_SIZE, "size in range");
    check(t->align == 1 || t->align == 2 || t->align == 4 || t->align == 8, "align");
    check(t->size % t->align == 0, "size is a multiple of align");
    check(zeroipc_type_size(t) == t->size, "type_size");
    for (uint32_t i = 0; i < t->nfields; i++) {
        const zeroipc_field_t *f = &t->field[i];
        check(f->kind >= ZEROIPC_FIELD_I8 && f->kind <= ZEROIPC_FIELD_BYTES, "field kind");
        check(f->size >= 1 && f->offset <= t->size && f->size <= t->size - f->offset,
              "field inside the element");
        check(i == 0 || f->offset >= t->field[i - 1].offset + t->field[i - 1].size,
              "fields in order, not overlapping");
    }
    char canon[ZEROIPC_TYPE_SPEC_MAX], again[ZEROIPC_TYPE_SPEC_MAX];
    int n = zeroipc_type_format(t, canon, sizeof canon);
    check(n > 0 && (size_t)n < sizeof canon && canon[n] == '\0', "type_format fits SPEC_MAX");
    zeroipc_type_t u;
    check(zeroipc_type_parse(canon, (size_t)n, &u) == ZEROIPC_OK, "canonical spec parses");
    check(same_type(t, &u), "canonical spec is the same type");
    int m = zeroipc_type_format(&u, again, sizeof again);
    check(m == n && memcmp(canon, again, (size_t)n) == 0, "canonical spec spells itself");
    check(zeroipc_type_format(t, canon, (size_t)n) == ZEROIPC_ERROR_SIZE,
          "type_format one byte short");
    size_t max = zeroipc_codec_max_text(t);
    check(max > 0 && max <= ZEROIPC_CODEC_MAX_TEXT, "max_text bound");
}

/* Formats `elem` into a buffer of exactly the length needed (so ASan sees
 * any write past it) after checking the measuring and short calls;
 * returns the text (malloc'd) and its length. */
static char *format(const zeroipc_type_t *t, const void *elem, size_t *len)
{
    size_t need = 0;
    int rc = zeroipc_codec_format(t, elem, NULL, 0, &need);
    check(rc == (need == 0 ? ZEROIPC_OK : ZEROIPC_ERROR_SIZE), "measure");
    check(need <= zeroipc_codec_max_text(t), "text within max_text");
    if (need > 0) {
        /* Exactly need - 1 bytes, so a write past len is an ASan report. */
        char *shorter = malloc(need - 1 ? need - 1 : 1);
        check(shorter != NULL, "malloc");
        size_t w = 0;
        rc = zeroipc_codec_format(t, elem, shorter, need - 1, &w);
        check(rc == ZEROIPC_ERROR_SIZE && w == need, "one byte short reports the length");
        free(shorter);
    }
    char *buf = malloc(need ? need : 1);
    check(buf != NULL, "malloc");
    size_t w = 0;
    rc = zeroipc_codec_format(t, elem, buf, need, &w);
    check(rc == ZEROIPC_OK && w == need, "format into the measured length");
    for (size_t i = 0; i < w; i++)
        check(buf[i] >= 0x20 && buf[i] < 0x7f, "text is printable ASCII");
    *len = w;
    return buf;
}

static bool is_nan(const uint8_t *p, uint32_t size)
{
    if (size == 4) {
        uint32_t b;
        memcpy(&b, p, 4);
        return (b & 0x7f800000u) == 0x7f800000u && (b & 0x007fffffu) != 0;
    }
    uint64_t b;
    memcpy(&b, p, 8);
    return (b & 0x7ff0000000000000u) == 0x7ff0000000000000u && (b & 0x000fffffffffffffu) != 0;
}

/* Whether `back` (parsed from the text of `orig`) is what the header
 * promises: the same fields, except NaN payloads (when nan_payload), and
 * string bytes after the first NUL, which are zero; padding zero. */
static bool same_elem(const zeroipc_type_t *t, const uint8_t *orig, const uint8_t *back,
                      bool nan_payload)
{
    uint32_t end = 0;
    for (uint32_t i = 0; i < t->nfields; i++) {
        const zeroipc_field_t *f = &t->field[i];
        const uint8_t *a = orig + f->offset, *b = back + f->offset;
        for (uint32_t p = end; p < f->offset; p++) {
            if (back[p] != 0)
                return false; /* padding */
        }
        end = f->offset + f->size;
        if (f->kind == ZEROIPC_FIELD_STR) {
            const uint8_t *nul = memchr(a, 0, f->size);
            size_t keep = nul ? (size_t)(nul - a) : f->size;
            if (memcmp(a, b, keep) != 0)
                return false;
            for (size_t p = keep; p < f->size; p++) {
                if (b[p] != 0)
                    return false;
            }
        } else if ((f->kind == ZEROIPC_FIELD_F32 || f->kind == ZEROIPC_FIELD_F64) &&
                   nan_payload && is_nan(a, f->size)) {
            if (!is_nan(b, f->size) || ((a[f->size - 1] ^ b[f->size - 1]) & 0x80) != 0)
                return false; /* a NaN of the same sign */
        } else if (memcmp(a, b, f->size) != 0) {
            return false;
        }
    }
    for (uint32_t p = end; p < t->size; p++) {
        if (back[p] != 0)
            return false;
    }
    return true;
}

/* Text -> element -> text -> element -> text. */
static void line_round_trip(const zeroipc_type_t *t, const char *line, size_t len,
                            uint8_t *e1, uint8_t *e2)
{
    memset(e1, 0xA5, t->size);
    int rc = zeroipc_codec_parse(t, line, len, e1);
    if (rc != ZEROIPC_OK) {
        check(rc == ZEROIPC_ERROR_INVALID_ARGUMENT, "parse error code");
        for (uint32_t i = 0; i < t->size; i++)
            check(e1[i] == 0xA5, "a failed parse leaves the element untouched");
        return;
    }
    size_t n1, n2;
    char *t1 = format(t, e1, &n1);
    rc = zeroipc_codec_parse(t, t1, n1, e2);
    check(rc == ZEROIPC_OK, "formatted text parses back");
    check(same_elem(t, e1, e2, false), "format(parse(x)) parses to the same bytes");
    char *t2 = format(t, e2, &n2);
    check(n1 == n2 && memcmp(t1, t2, n1) == 0, "format(parse(format(e))) == format(e)");
    free(t1);
    free(t2);

    zeroipc_map_shape_t shape;
    if (zeroipc_map_shape(t, NULL, &shape) == ZEROIPC_OK)
        (void)zeroipc_map_hash(&shape, e1);
}

/* Bytes -> text -> element -> text. */
static void raw_round_trip(const zeroipc_type_t *t, const uint8_t *raw, uint8_t *e2)
{
    size_t n1, n2;
    char *t1 = format(t, raw, &n1);
    int rc = zeroipc_codec_parse(t, t1, n1, e2);
    check(rc == ZEROIPC_OK, "text of any bytes parses back");
    check(same_elem(t, raw, e2, true), "parse(format(bytes)) keeps every shown byte");
    char *t2 = format(t, e2, &n2);
    check(n1 == n2 && memcmp(t1, t2, n1) == 0, "format is stable");
    free(t1);
    free(t2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t speclen = nl ? (size_t)(nl - data) : size;
    /* An exact-size copy of the spec: parse must not read past len. */
    char *spec = malloc(speclen ? speclen : 1);
    if (spec == NULL)
        return 0;
    memcpy(spec, data, speclen);
    zeroipc_type_t t;
    int rc = zeroipc_type_parse(spec, speclen, &t);
    free(spec);
    if (rc != ZEROIPC_OK) {
        check(rc == ZEROIPC_ERROR_INVALID_ARGUMENT || rc == ZEROIPC_ERROR_SIZE,
              "type_parse error code");
        return 0;
    }
    check_type(&t);

    const uint8_t *rest = nl ? nl + 1 : data + size;
    size_t restlen = (size_t)(data + size - rest);
    uint8_t *e1 = malloc(t.size), *e2 = malloc(t.size);
    check(e1 != NULL && e2 != NULL, "malloc");

    /* Lines of text, each in an exact-size buffer of its own. */
    const uint8_t *p = rest, *end = rest + restlen;
    for (int i = 0; i < MAX_LINES && p < end; i++) {
        const uint8_t *eol = memchr(p, '\n', (size_t)(end - p));
        size_t len = eol ? (size_t)(eol - p) : (size_t)(end - p);
        char *line = malloc(len ? len : 1);
        check(line != NULL, "malloc");
        memcpy(line, p, len);
        line_round_trip(&t, line, len, e1, e2);
        free(line);
        p += len + (eol != NULL);
    }

    /* The same bytes as raw elements. */
    for (size_t i = 0; i < MAX_RAW && (i + 1) * t.size <= restlen; i++) {
        memcpy(e1, rest + i * t.size, t.size);
        raw_round_trip(&t, e1, e2);
    }
    free(e1);
    free(e2);
    return 0;
}
