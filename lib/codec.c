/*
 * codec.c - element types and elements as text (zeroipc_codec.h).
 *
 * Floats are the only delicate part.  Correctly rounded conversion both
 * ways is libc's job (printf's %e and strtod/strtof are exact in glibc
 * and musl), and the codec only chooses how many digits to ask for and
 * lays them out itself.  libc never sees a decimal point in either
 * direction: printf's output is taken apart digit by digit, and strtod is
 * handed "123456e-5", so LC_NUMERIC cannot change what is written or read.
 */
#include "zeroipc_codec.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zeroipc_error.h"

/* ---------------------------------------------------------------- types */

#define NKINDS (ZEROIPC_FIELD_BYTES + 1)

static const char *const kind_name[NKINDS] = {
    [ZEROIPC_FIELD_I8] = "i8",   [ZEROIPC_FIELD_I16] = "i16",
    [ZEROIPC_FIELD_I32] = "i32", [ZEROIPC_FIELD_I64] = "i64",
    [ZEROIPC_FIELD_U8] = "u8",   [ZEROIPC_FIELD_U16] = "u16",
    [ZEROIPC_FIELD_U32] = "u32", [ZEROIPC_FIELD_U64] = "u64",
    [ZEROIPC_FIELD_F32] = "f32", [ZEROIPC_FIELD_F64] = "f64",
    [ZEROIPC_FIELD_STR] = "str", [ZEROIPC_FIELD_BYTES] = "bytes",
};

/* Size of the numbers; 0 for strN and bytesN, whose size is N. */
static const uint8_t kind_size[NKINDS] = {
    [ZEROIPC_FIELD_I8] = 1,  [ZEROIPC_FIELD_I16] = 2,
    [ZEROIPC_FIELD_I32] = 4, [ZEROIPC_FIELD_I64] = 8,
    [ZEROIPC_FIELD_U8] = 1,  [ZEROIPC_FIELD_U16] = 2,
    [ZEROIPC_FIELD_U32] = 4, [ZEROIPC_FIELD_U64] = 8,
    [ZEROIPC_FIELD_F32] = 4, [ZEROIPC_FIELD_F64] = 8,
};

/* Longest text of one field: "-9223372036854775808", "-1234567800000000"
 * (an f32 at exponent 15), "-1.2345678901234567e-308", four characters a
 * byte for an all-escaped string, two for bytes. */
static const uint8_t kind_max_text[NKINDS] = {
    [ZEROIPC_FIELD_I8] = 4,   [ZEROIPC_FIELD_I16] = 6,
    [ZEROIPC_FIELD_I32] = 11, [ZEROIPC_FIELD_I64] = 20,
    [ZEROIPC_FIELD_U8] = 3,   [ZEROIPC_FIELD_U16] = 5,
    [ZEROIPC_FIELD_U32] = 10, [ZEROIPC_FIELD_U64] = 20,
    [ZEROIPC_FIELD_F32] = 17, [ZEROIPC_FIELD_F64] = 24,
};

static bool is_signed(uint8_t kind)
{
    return kind >= ZEROIPC_FIELD_I8 && kind <= ZEROIPC_FIELD_I64;
}

static bool is_integer(uint8_t kind)
{
    return kind >= ZEROIPC_FIELD_I8 && kind <= ZEROIPC_FIELD_U64;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* 0-15, or -1 for a byte that is no hex digit. */
static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Types reach the codec as a public struct a caller could have filled in
 * by hand, so it re-checks what memory safety rests on: kinds, sizes and
 * that every field lies inside the element.  Cheap next to formatting.
 */
static bool type_ok(const zeroipc_type_t *t)
{
    if (t == NULL || t->nfields == 0 || t->nfields > ZEROIPC_TYPE_MAX_FIELDS ||
        t->size == 0 || t->size > ZEROIPC_TYPE_MAX_SIZE)
        return false;
    for (uint32_t i = 0; i < t->nfields; i++) {
        const zeroipc_field_t *f = &t->field[i];
        if (f->kind == 0 || f->kind >= NKINDS || f->size == 0 ||
            (kind_size[f->kind] != 0 && f->size != kind_size[f->kind]) ||
            f->offset > t->size || f->size > t->size - f->offset)
            return false;
    }
    return true;
}

/* One field of a spec, blanks already trimmed. */
static int parse_field(const char *s, size_t n, zeroipc_field_t *f)
{
    for (uint8_t k = ZEROIPC_FIELD_I8; k <= ZEROIPC_FIELD_F64; k++) {
        if (strlen(kind_name[k]) == n && memcmp(s, kind_name[k], n) == 0) {
            f->kind = k;
            f->size = kind_size[k];
            return ZEROIPC_OK;
        }
    }
    size_t prefix;
    if (n >= 3 && memcmp(s, "str", 3) == 0) {
        f->kind = ZEROIPC_FIELD_STR;
        prefix = 3;
    } else if (n >= 5 && memcmp(s, "bytes", 5) == 0) {
        f->kind = ZEROIPC_FIELD_BYTES;
        prefix = 5;
    } else {
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    }
    /* N has the one spelling the canonical spec gives it: "str016" is
     * more likely a typo than a wish, and octal it is not. */
    if (prefix == n || (s[prefix] == '0' && n - prefix > 1))
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    uint64_t v = 0;
    for (size_t i = prefix; i < n; i++) {
        if (!is_digit(s[i]))
            return ZEROIPC_ERROR_INVALID_ARGUMENT;
        if (v <= ZEROIPC_TYPE_MAX_SIZE) /* saturate: still "too big" */
            v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v == 0 || v > ZEROIPC_TYPE_MAX_SIZE)
        return ZEROIPC_ERROR_SIZE;
    f->size = (uint32_t)v;
    return ZEROIPC_OK;
}

static bool spec_blank(char c) { return c == ' ' || c == '\t'; }

int zeroipc_type_parse(const char *spec, size_t len, zeroipc_type_t *out)
{
    if (spec == NULL || out == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    zeroipc_type_t t;
    memset(&t, 0, sizeof t);
    uint64_t end = 0; /* of the last field; 64 bits cannot overflow here */
    t.align = 1;
    size_t pos = 0;
    for (;;) {
        size_t comma = pos;
        while (comma < len && spec[comma] != ',')
            comma++;
        size_t a = pos, b = comma;
        while (a < b && spec_blank(spec[a]))
            a++;
        while (b > a && spec_blank(spec[b - 1]))
            b--;
        if (t.nfields == ZEROIPC_TYPE_MAX_FIELDS)
            return ZEROIPC_ERROR_SIZE;
        zeroipc_field_t *f = &t.field[t.nfields++];
        int rc = parse_field(spec + a, b - a, f);
        if (rc != ZEROIPC_OK)
            return rc;
        uint32_t align = kind_size[f->kind] ? f->size : 1;
        end = (end + align - 1) & ~(uint64_t)(align - 1);
        f->offset = (uint32_t)end;
        end += f->size;
        if (end > ZEROIPC_TYPE_MAX_SIZE)
            return ZEROIPC_ERROR_SIZE;
        if (align > t.align)
            t.align = align;
        if (comma == len)
            break;
        pos = comma + 1;
    }
    /* MAX_SIZE is a multiple of 8, so rounding up cannot pass it. */
    t.size = (uint32_t)((end + t.align - 1) & ~(uint64_t)(t.align - 1));
    *out = t;
    return ZEROIPC_OK;
}

/* ---------------------------------------------------------------- output */

/*
 * Where text goes.  Writes that do not fit are dropped but counted, so a
 * call that runs out of room still learns how much it needed.
 */
struct sink {
    char *buf;
    size_t cap;
    size_t len;
};

static void emit(struct sink *o, const char *p, size_t n)
{
    if (n != 0 && o->len <= o->cap && n <= o->cap - o->len)
        memcpy(o->buf + o->len, p, n);
    o->len += n;
}

int zeroipc_type_format(const zeroipc_type_t *t, char *buf, size_t len)
{
    if (!type_ok(t) || buf == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    struct sink o = {buf, len, 0};
    for (uint32_t i = 0; i < t->nfields; i++) {
        const zeroipc_field_t *f = &t->field[i];
        if (i > 0)
            emit(&o, ",", 1);
        emit(&o, kind_name[f->kind], strlen(kind_name[f->kind]));
        if (kind_size[f->kind] == 0) {
            char n[16];
            emit(&o, n, (size_t)snprintf(n, sizeof n, "%u", f->size));
        }
    }
    if (o.len >= len)
        return ZEROIPC_ERROR_SIZE;
    buf[o.len] = '\0';
    return (int)o.len;
}

size_t zeroipc_type_size(const zeroipc_type_t *t)
{
    return type_ok(t) ? t->size : 0;
}

size_t zeroipc_codec_max_text(const zeroipc_type_t *t)
{
    if (!type_ok(t))
        return 0;
    size_t n = t->nfields - 1; /* separators */
    for (uint32_t i = 0; i < t->nfields; i++) {
        const zeroipc_field_t *f = &t->field[i];
        if (f->kind == ZEROIPC_FIELD_STR)
            n += 4 * (size_t)f->size;
        else if (f->kind == ZEROIPC_FIELD_BYTES)
            n += 2 * (size_t)f->size;
        else
            n += kind_max_text[f->kind];
    }
    return n;
}

/* ------------------------------------------------- numbers in memory */

/* Fields may sit at any address (a 13-byte slot, a packed record), so
 * every access is a memcpy of the field's own width. */
static uint64_t load_u(const unsigned char *p, uint32_t size)
{
    switch (size) {
    case 1:
        return *p;
    case 2: {
        uint16_t v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    case 4: {
        uint32_t v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    default: {
        uint64_t v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    }
}

static int64_t load_i(const unsigned char *p, uint32_t size)
{
    switch (size) {
    case 1:
        return (int8_t)*p;
    case 2: {
        int16_t v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    case 4: {
        int32_t v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    default: {
        int64_t v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    }
}

/* Stores the low `size` bytes' worth of v (two's complement for signed
 * fields, which the conversions below make well defined). */
static void store_u(unsigned char *p, uint32_t size, uint64_t v)
{
    switch (size) {
    case 1:
        *p = (uint8_t)v;
        break;
    case 2: {
        uint16_t w = (uint16_t)v;
        memcpy(p, &w, sizeof w);
        break;
    }
    case 4: {
        uint32_t w = (uint32_t)v;
        memcpy(p, &w, sizeof w);
        break;
    }
    default:
        memcpy(p, &v, sizeof v);
        break;
    }
}

/* --------------------------------------------------------- integers */

static size_t fmt_int(char out[24], bool neg, uint64_t mag)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + mag % 10);
        mag /= 10;
    } while (mag != 0);
    size_t k = 0;
    if (neg)
        out[k++] = '-';
    while (n > 0)
        out[k++] = tmp[--n];
    return k;
}

/* [+-] then decimal digits or 0x/0X hex digits, into a sign and a
 * magnitude; false when malformed or over 64 bits. */
static bool parse_int(const char *s, size_t n, bool *neg, uint64_t *mag)
{
    size_t i = 0;
    *neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        *neg = s[i++] == '-';
    unsigned base = 10;
    if (n - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        base = 16;
        i += 2;
    }
    if (i == n)
        return false;
    uint64_t v = 0;
    for (; i < n; i++) {
        int d = hex_value(s[i]);
        if (d < 0 || (unsigned)d >= base)
            return false;
        if (v > (UINT64_MAX - (unsigned)d) / base)
            return false;
        v = v * base + (unsigned)d;
    }
    *mag = v;
    return true;
}

/* Whether sign and magnitude fit the field; *raw is then the value as the
 * field's bit pattern, widened to 64 bits. */
static bool int_fits(const zeroipc_field_t *f, bool neg, uint64_t mag,
                     uint64_t *raw)
{
    unsigned bits = 8 * f->size;
    if (is_signed(f->kind)) {
        uint64_t lim = (uint64_t)1 << (bits - 1); /* |min|, and max + 1 */
        if (neg ? mag > lim : mag >= lim)
            return false;
        *raw = neg ? 0 - mag : mag;
        return true;
    }
    uint64_t max = bits == 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
    if ((neg && mag != 0) || mag > max)
        return false;
    *raw = mag;
    return true;
}

/* ----------------------------------------------------------- floats */

/*
 * IEEE 754 bit patterns, so that classifying a value needs neither libm
 * nor the floating-point environment.
 */
struct fmt {
    int mant_bits;
    int exp_bits;
    int max_digits; /* enough for any value to read back: 9 and 17 */
};

static const struct fmt F32 = {23, 8, 9};
static const struct fmt F64 = {52, 11, 17};

/* d1.d2d3...dn x 10^exp, digits in ASCII. */
struct decimal {
    char d[24];
    int n;
    int exp;
};

/* The value of `bits` (a positive finite f32 or f64) correctly rounded to
 * p significant digits, by printf. */
static bool round_to(const struct fmt *fm, uint64_t bits, int p,
                     struct decimal *dec)
{
    double x;
    if (fm == &F32) {
        uint32_t b = (uint32_t)bits;
        float f;
        memcpy(&f, &b, sizeof f);
        x = (double)f; /* exact */
    } else {
        memcpy(&x, &bits, sizeof x);
    }
    char tmp[48];
    int r = snprintf(tmp, sizeof tmp, "%.*e", p - 1, x);
    if (r < 0 || (size_t)r >= sizeof tmp)
        return false;
    /* Whatever separates the first digit from the others is the locale's
     * decimal point: skip it. */
    const char *s = tmp;
    dec->n = 0;
    for (; *s != '\0' && *s != 'e'; s++)
        if (is_digit(*s) && dec->n < p)
            dec->d[dec->n++] = *s;
    if (*s != 'e' || dec->n != p)
        return false;
    s++;
    bool neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    int e = 0;
    for (; is_digit(*s); s++)
        e = e * 10 + (*s - '0');
    dec->exp = neg ? -e : e;
    return true;
}

/* Rounds the digits in buf ("123e-4": digits, 'e', exponent, NUL) to the
 * format and returns the bit pattern.  Overflow shows as an infinity;
 * the ERANGE that strtod also leaves in errno is not the caller's
 * business, so errno is put back. */
static uint64_t read_digits(const struct fmt *fm, const char *buf)
{
    int saved = errno;
    uint64_t b;
    if (fm == &F32) {
        float f = strtof(buf, NULL);
        uint32_t b32;
        memcpy(&b32, &f, sizeof b32);
        b = b32;
    } else {
        double d = strtod(buf, NULL);
        memcpy(&b, &d, sizeof b);
    }
    errno = saved;
    return b;
}

static bool reads_back(const struct fmt *fm, uint64_t bits,
                       const struct decimal *dec)
{
    char buf[48];
    memcpy(buf, dec->d, (size_t)dec->n);
    snprintf(buf + dec->n, sizeof buf - (size_t)dec->n, "e%d",
             dec->exp - (dec->n - 1));
    return read_digits(fm, buf) == bits;
}

static bool try_digits(const struct fmt *fm, uint64_t bits, int p,
                       struct decimal *dec)
{
    return round_to(fm, bits, p, dec) && reads_back(fm, bits, dec);
}

/* The next decimal up at the same number of digits. */
static void next_up(struct decimal *dec)
{
    int i = dec->n - 1;
    while (i >= 0 && dec->d[i] == '9')
        dec->d[i--] = '0';
    if (i >= 0) {
        dec->d[i]++;
    } else {
        dec->d[0] = '1'; /* 99.9 -> 100, one exponent up */
        dec->exp++;
    }
}

/*
 * The fewest digits that read back to `bits` (positive, finite, non-zero),
 * and of those the closest: what Python's repr and Ryu print.
 *
 * A value reads back from every decimal inside its rounding interval.
 * Where that interval is symmetric, rounding to p + 1 digits lands at
 * least as close as rounding to p digits (the p-digit result is also a
 * (p+1)-digit number), so "reads back" is monotone in p and can be
 * searched: doubling first, since most values people store are short,
 * then bisecting; and when the nearest p-digit decimal is outside the
 * interval, so is every other.
 *
 * At a power of two the interval below is half as wide as the one above.
 * The nearest p-digit decimal may then fall just below it while the next
 * one up is inside (2^-1017 is 7.120236347223045e-307, 16 digits rounded
 * up: the nearest 16, ...044e-307, read back as its lower neighbour), and
 * monotonicity fails too, so those few values are searched one digit
 * count at a time, trying both.
 */
static void shortest(const struct fmt *fm, uint64_t bits, struct decimal *dec)
{
    uint64_t mant = bits & (((uint64_t)1 << fm->mant_bits) - 1);
    uint64_t exp = bits >> fm->mant_bits;
    if (mant == 0 && exp > 1) {
        for (int p = 1; p < fm->max_digits; p++) {
            if (!round_to(fm, bits, p, dec))
                continue;
            if (reads_back(fm, bits, dec))
                return;
            next_up(dec);
            if (reads_back(fm, bits, dec))
                return;
        }
        round_to(fm, bits, fm->max_digits, dec);
        return;
    }
    int lo = 1, hi = fm->max_digits; /* hi reads back; lo - 1 does not */
    struct decimal best = {.n = 0};
    for (int p = 1; p < fm->max_digits; p *= 2) {
        if (try_digits(fm, bits, p, dec)) {
            hi = p;
            best = *dec;
            break;
        }
        lo = p + 1;
    }
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (try_digits(fm, bits, mid, dec)) {
            hi = mid;
            best = *dec;
        } else {
            lo = mid + 1;
        }
    }
    if (best.n == hi)
        *dec = best;
    else
        round_to(fm, bits, hi, dec);
}

static size_t fmt_float(char out[32], const struct fmt *fm, uint64_t bits)
{
    int width = 1 + fm->exp_bits + fm->mant_bits;
    bool neg = (bits >> (width - 1)) & 1;
    uint64_t mag = bits & ~((uint64_t)1 << (width - 1));
    uint64_t exp_all = ((uint64_t)1 << fm->exp_bits) - 1;
    char *o = out;
    if (neg)
        *o++ = '-';
    if (mag >> fm->mant_bits == exp_all) {
        /* The payload of a NaN has no portable spelling; its sign does. */
        const char *s = (mag & (((uint64_t)1 << fm->mant_bits) - 1)) ? "nan"
                                                                   : "inf";
        memcpy(o, s, 3);
        return (size_t)(o + 3 - out);
    }
    if (mag == 0) {
        *o++ = '0';
        return (size_t)(o - out);
    }
    struct decimal dec;
    shortest(fm, mag, &dec);
    while (dec.n > 1 && dec.d[dec.n - 1] == '0')
        dec.n--;
    int e = dec.exp, n = dec.n;
    if (e >= -4 && e < 16) {
        if (e < 0) {
            *o++ = '0';
            *o++ = '.';
            for (int i = 0; i < -e - 1; i++)
                *o++ = '0';
            memcpy(o, dec.d, (size_t)n);
            o += n;
        } else {
            for (int i = 0; i <= e; i++)
                *o++ = i < n ? dec.d[i] : '0';
            if (n > e + 1) {
                *o++ = '.';
                memcpy(o, dec.d + e + 1, (size_t)(n - e - 1));
                o += n - e - 1;
            }
        }
    } else {
        *o++ = dec.d[0];
        if (n > 1) {
            *o++ = '.';
            memcpy(o, dec.d + 1, (size_t)(n - 1));
            o += n - 1;
        }
        *o++ = 'e';
        *o++ = e < 0 ? '-' : '+';
        int ae = e < 0 ? -e : e;
        if (ae < 10)
            *o++ = '0';
        o += fmt_int(o, false, (uint64_t)ae);
    }
    return (size_t)(o - out);
}

static bool equals_nocase(const char *s, size_t n, const char *word)
{
    if (strlen(word) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((s[i] | 0x20) != word[i])
            return false;
    return true;
}

/*
 * Significant digits handed to strtod.  A decimal exactly halfway between
 * two doubles has at most 767 of them, so cutting a longer input at 800
 * and standing in a final 1 for whatever non-zero digits were cut keeps
 * it on the same side of every halfway point: the rounding is unchanged,
 * and the buffer has a fixed size however long the line.
 */
#define SIG_DIGITS 800

/*
 * [+-] digits [. digits] [e [+-] digits], or inf, infinity, nan, into a
 * bit pattern.  false when malformed or when a finite value overflows.
 */
static bool parse_float(const struct fmt *fm, const char *s, size_t n,
                        uint64_t *bits)
{
    int width = 1 + fm->exp_bits + fm->mant_bits;
    uint64_t sign = 0;
    size_t i = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        if (s[i] == '-')
            sign = (uint64_t)1 << (width - 1);
        i++;
    }
    uint64_t inf = (((uint64_t)1 << fm->exp_bits) - 1) << fm->mant_bits;
    if (equals_nocase(s + i, n - i, "inf") ||
        equals_nocase(s + i, n - i, "infinity")) {
        *bits = sign | inf;
        return true;
    }
    if (equals_nocase(s + i, n - i, "nan")) {
        /* The default quiet NaN: top mantissa bit set. */
        *bits = sign | inf | ((uint64_t)1 << (fm->mant_bits - 1));
        return true;
    }

    char buf[SIG_DIGITS + 1 + 32];
    size_t kept = 0, dropped = 0, frac = 0, ndigits = 0;
    bool sticky = false, in_frac = false;
    for (; i < n; i++) {
        if (s[i] == '.' && !in_frac) {
            in_frac = true;
            continue;
        }
        if (!is_digit(s[i]))
            break;
        ndigits++;
        frac += in_frac;
        if (kept == 0 && s[i] == '0')
            continue; /* a leading zero */
        if (kept < SIG_DIGITS)
            buf[kept++] = s[i];
        else {
            dropped++;
            sticky |= s[i] != '0';
        }
    }
    if (ndigits == 0)
        return false;
    /* The exponent saturates: past 10^15 the value is inf or 0 anyway, and
     * the arithmetic below stays far from overflow. */
    int64_t e = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        if (i == n || !is_digit(s[i]))
            return false;
        for (; i < n && is_digit(s[i]); i++)
            if (e < 1000000000000000)
                e = e * 10 + (s[i] - '0');
        if (eneg)
            e = -e;
    }
    if (i != n)
        return false;
    if (kept == 0) {
        *bits = sign; /* a zero keeps its sign */
        return true;
    }
    /* value = buf x 10^(e - frac + dropped) */
    e += (int64_t)dropped - (int64_t)frac;
    if (sticky) {
        buf[kept++] = '1';
        e--;
    }
    /* Beyond +-10^6 an 801-digit mantissa is overflow or zero either way. */
    if (e > 1000000)
        e = 1000000;
    if (e < -1000000)
        e = -1000000;
    snprintf(buf + kept, sizeof buf - kept, "e%d", (int)e);
    uint64_t b = read_digits(fm, buf);
    if ((b & inf) == inf)
        return false; /* overflow; inf itself is spelled "inf" */
    *bits = sign | b;
    return true;
}

/* ---------------------------------------------------- strings, bytes */

static bool needs_escape(unsigned char c, bool in_record)
{
    return c < 0x20 || c >= 0x7f || c == '\\' || (in_record && c == ' ');
}

static void fmt_str(struct sink *o, const unsigned char *p, uint32_t size,
                    bool in_record)
{
    const unsigned char *nul = memchr(p, 0, size);
    size_t n = nul ? (size_t)(nul - p) : size;
    if (n == 0 && in_record) {
        /* An empty token would vanish between the separators. */
        emit(o, "\\x00", 4);
        return;
    }
    static const char hex[] = "0123456789abcdef";
    size_t run = 0; /* bytes that need no escape, emitted in one go */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (!needs_escape(c, in_record))
            continue;
        emit(o, (const char *)p + run, i - run);
        run = i + 1;
        char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
        if (c == '\\' || c == '\n' || c == '\t') {
            esc[1] = c == '\\' ? '\\' : c == '\n' ? 'n' : 't';
            emit(o, esc, 2);
        } else {
            emit(o, esc, 4);
        }
    }
    emit(o, (const char *)p + run, n - run);
}

/* Decodes the escapes of a string token into out (NULL: only measure).
 * Returns its length in bytes, or SIZE_MAX when malformed. */
static size_t unescape(const char *s, size_t n, unsigned char *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++, k++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\') {
            if (++i == n)
                return SIZE_MAX;
            switch (s[i]) {
            case '\\':
                break;
            case 'n':
                c = '\n';
                break;
            case 't':
                c = '\t';
                break;
            case 'x': {
                int hi = i + 1 < n ? hex_value(s[i + 1]) : -1;
                int lo = i + 2 < n ? hex_value(s[i + 2]) : -1;
                if (hi < 0 || lo < 0)
                    return SIZE_MAX;
                c = (unsigned char)(hi << 4 | lo);
                i += 2;
                break;
            }
            default:
                return SIZE_MAX;
            }
        }
        if (out != NULL)
            out[k] = c;
    }
    return k;
}

static void fmt_bytes(struct sink *o, const unsigned char *p, uint32_t size)
{
    static const char hex[] = "0123456789abcdef";
    char chunk[128];
    size_t k = 0;
    for (uint32_t i = 0; i < size; i++) {
        chunk[k++] = hex[p[i] >> 4];
        chunk[k++] = hex[p[i] & 15];
        if (k == sizeof chunk) {
            emit(o, chunk, k);
            k = 0;
        }
    }
    emit(o, chunk, k);
}

static bool all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (hex_value(s[i]) < 0)
            return false;
    return true;
}

/* ---------------------------------------------------------- elements */

int zeroipc_codec_format(const zeroipc_type_t *t, const void *elem,
                         char *buf, size_t len, size_t *written)
{
    if (!type_ok(t) || elem == NULL || written == NULL ||
        (buf == NULL && len > 0))
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    const unsigned char *base = elem;
    bool in_record = t->nfields > 1;
    struct sink o = {buf, len, 0};
    for (uint32_t i = 0; i < t->nfields; i++) {
        const zeroipc_field_t *f = &t->field[i];
        const unsigned char *p = base + f->offset;
        char num[32];
        if (i > 0)
            emit(&o, " ", 1);
        switch (f->kind) {
        case ZEROIPC_FIELD_STR:
            fmt_str(&o, p, f->size, in_record);
            break;
        case ZEROIPC_FIELD_BYTES:
            fmt_bytes(&o, p, f->size);
            break;
        case ZEROIPC_FIELD_F32:
            emit(&o, num, fmt_float(num, &F32, load_u(p, 4)));
            break;
        case ZEROIPC_FIELD_F64:
            emit(&o, num, fmt_float(num, &F64, load_u(p, 8)));
            break;
        default:
            if (is_signed(f->kind)) {
                int64_t v = load_i(p, f->size);
                uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
                emit(&o, num, fmt_int(num, v < 0, mag));
            } else {
                emit(&o, num, fmt_int(num, false, load_u(p, f->size)));
            }
            break;
        }
    }
    *written = o.len;
    return o.len <= len ? ZEROIPC_OK : ZEROIPC_ERROR_SIZE;
}

/* Separators between the fields of a record.  Carriage return is one so
 * that lines from CRLF files read as they look. */
static bool text_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

int zeroipc_codec_parse(const zeroipc_type_t *t, const char *text, size_t len,
                        void *elem)
{
    if (!type_ok(t) || text == NULL || elem == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    struct {
        const char *s;
        size_t n;
    } tok[ZEROIPC_TYPE_MAX_FIELDS];
    uint32_t ntok = 0;
    if (t->nfields == 1 && t->field[0].kind == ZEROIPC_FIELD_STR) {
        /* Blanks are content here; output never ends in a raw CR. */
        tok[0].s = text;
        tok[0].n = len > 0 && text[len - 1] == '\r' ? len - 1 : len;
        ntok = 1;
    } else {
        size_t i = 0;
        for (;;) {
            while (i < len && text_blank(text[i]))
                i++;
            if (i == len)
                break;
            if (ntok == t->nfields)
                return ZEROIPC_ERROR_INVALID_ARGUMENT;
            tok[ntok].s = text + i;
            while (i < len && !text_blank(text[i]))
                i++;
            tok[ntok].n = (size_t)(text + i - tok[ntok].s);
            ntok++;
        }
        if (ntok != t->nfields)
            return ZEROIPC_ERROR_INVALID_ARGUMENT;
    }

    /* Everything is checked before the first byte of elem is written, so
     * that a bad field anywhere leaves the element as it was. */
    uint64_t num[ZEROIPC_TYPE_MAX_FIELDS];
    for (uint32_t i = 0; i < t->nfields; i++) {
        const zeroipc_field_t *f = &t->field[i];
        const char *s = tok[i].s;
        size_t n = tok[i].n;
        bool ok, neg;
        uint64_t mag;
        switch (f->kind) {
        case ZEROIPC_FIELD_STR:
            ok = unescape(s, n, NULL) <= f->size;
            break;
        case ZEROIPC_FIELD_BYTES:
            ok = n == 2 * (size_t)f->size && all_hex(s, n);
            break;
        case ZEROIPC_FIELD_F32:
            ok = parse_float(&F32, s, n, &num[i]);
            break;
        case ZEROIPC_FIELD_F64:
            ok = parse_float(&F64, s, n, &num[i]);
            break;
        default:
            ok = is_integer(f->kind) && parse_int(s, n, &neg, &mag) &&
                 int_fits(f, neg, mag, &num[i]);
            break;
        }
        if (!ok)
            return ZEROIPC_ERROR_INVALID_ARGUMENT;
    }

    unsigned char *base = elem;
    memset(base, 0, t->size);
    for (uint32_t i = 0; i < t->nfields; i++) {
        const zeroipc_field_t *f = &t->field[i];
        unsigned char *p = base + f->offset;
        switch (f->kind) {
        case ZEROIPC_FIELD_STR:
            unescape(tok[i].s, tok[i].n, p);
            break;
        case ZEROIPC_FIELD_BYTES:
            for (uint32_t k = 0; k < f->size; k++)
                p[k] = (unsigned char)(hex_value(tok[i].s[2 * k]) << 4 |
                                       hex_value(tok[i].s[2 * k + 1]));
            break;
        default:
            store_u(p, f->size, num[i]);
            break;
        }
    }
    return ZEROIPC_OK;
}
