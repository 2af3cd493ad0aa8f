/*
 * stream_op.c - the stream operators of zeroipc_stream.h as text and as
 * arithmetic on private copies of elements.
 *
 * Integers are computed on their 64-bit two's-complement images (signed
 * elements sign-extended) with unsigned arithmetic, which wraps by
 * definition, and stored back truncated to the element's width: that is
 * arithmetic modulo 2^bits for every width and signedness, without the
 * undefined behaviour of signed overflow.  Floats are computed in the
 * element's own type.  Elements are read and written with memcpy: the
 * caller's buffers need no alignment.
 */
#include "stream_i.h"

#include <string.h>

#include "zeroipc_codec.h"
#include "zeroipc_error.h"

static const char *const type_names[] = {
    NULL, "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64",
};

uint32_t zeroipc_sop_type_size(uint8_t type)
{
    static const uint8_t sizes[] = {0, 1, 2, 4, 8, 1, 2, 4, 8, 4, 8};
    return type < sizeof sizes ? sizes[type] : 0;
}

static bool is_signed(uint8_t t) { return t >= ZEROIPC_FIELD_I8 && t <= ZEROIPC_FIELD_I64; }
static bool is_float(uint8_t t) { return t == ZEROIPC_FIELD_F32 || t == ZEROIPC_FIELD_F64; }

/* The 64-bit image of an integer element (sign-extended if signed). */
static uint64_t load_int(uint8_t t, const uint8_t *p)
{
    switch (t) {
    case ZEROIPC_FIELD_I8: { int8_t v; memcpy(&v, p, 1); return (uint64_t)(int64_t)v; }
    case ZEROIPC_FIELD_I16: { int16_t v; memcpy(&v, p, 2); return (uint64_t)(int64_t)v; }
    case ZEROIPC_FIELD_I32: { int32_t v; memcpy(&v, p, 4); return (uint64_t)(int64_t)v; }
    case ZEROIPC_FIELD_U8: { uint8_t v; memcpy(&v, p, 1); return v; }
    case ZEROIPC_FIELD_U16: { uint16_t v; memcpy(&v, p, 2); return v; }
    case ZEROIPC_FIELD_U32: { uint32_t v; memcpy(&v, p, 4); return v; }
    default: { uint64_t v; memcpy(&v, p, 8); return v; }
    }
}

/* Little-endian (the format's order): the low bytes come first. */
static void store_int(uint32_t size, uint64_t v, uint8_t *p)
{
    memcpy(p, &v, size);
}

static double load_f(uint8_t t, const uint8_t *p)
{
    if (t == ZEROIPC_FIELD_F32) {
        float f;
        memcpy(&f, p, 4);
        return f;
    }
    double d;
    memcpy(&d, p, 8);
    return d;
}

/* -1, 0, 1 for a < b, a == b, a > b; 2 when unordered (a NaN). */
static int cmp(uint8_t t, const uint8_t *a, const uint8_t *b)
{
    if (is_float(t)) {
        /* f32 widens to f64 exactly, so comparing as double is exact. */
        double x = load_f(t, a), y = load_f(t, b);
        return x < y ? -1 : x > y ? 1 : x == y ? 0 : 2;
    }
    uint64_t x = load_int(t, a), y = load_int(t, b);
    if (is_signed(t))
        return (int64_t)x < (int64_t)y ? -1 : (int64_t)x > (int64_t)y;
    return x < y ? -1 : x > y;
}

static void map_float(const struct zeroipc_sop *op, const uint8_t *in, uint8_t *out)
{
    if (op->type == ZEROIPC_FIELD_F32) {
        float x, c, r = 0;
        memcpy(&x, in, 4);
        memcpy(&c, op->c, 4);
        switch (op->fn) {
        case ZEROIPC_SOP_ADD: r = x + c; break;
        case ZEROIPC_SOP_SUB: r = x - c; break;
        case ZEROIPC_SOP_MUL: r = x * c; break;
        case ZEROIPC_SOP_DIV: r = x / c; break;
        case ZEROIPC_SOP_NEG: r = -x; break;
        default: { /* abs: clear the sign bit (also of -0 and -nan) */
            uint32_t b;
            memcpy(&b, &x, 4);
            b &= 0x7fffffffu;
            memcpy(&r, &b, 4);
        }
        }
        memcpy(out, &r, 4);
        return;
    }
    double x, c, r = 0;
    memcpy(&x, in, 8);
    memcpy(&c, op->c, 8);
    switch (op->fn) {
    case ZEROIPC_SOP_ADD: r = x + c; break;
    case ZEROIPC_SOP_SUB: r = x - c; break;
    case ZEROIPC_SOP_MUL: r = x * c; break;
    case ZEROIPC_SOP_DIV: r = x / c; break;
    case ZEROIPC_SOP_NEG: r = -x; break;
    default: {
        uint64_t b;
        memcpy(&b, &x, 8);
        b &= 0x7fffffffffffffffu;
        memcpy(&r, &b, 8);
    }
    }
    memcpy(out, &r, 8);
}

static void map_int(const struct zeroipc_sop *op, const uint8_t *in, uint8_t *out)
{
    uint64_t a = load_int(op->type, in), c = load_int(op->type, op->c), r;
    bool s = is_signed(op->type);
    switch (op->fn) {
    case ZEROIPC_SOP_ADD: r = a + c; break;
    case ZEROIPC_SOP_SUB: r = a - c; break;
    case ZEROIPC_SOP_MUL: r = a * c; break;
    case ZEROIPC_SOP_DIV:
        /* c != 0 (parse refuses it).  x / -1 is -x, which wraps for MIN
         * instead of trapping. */
        if (s)
            r = (int64_t)c == -1 ? 0 - a : (uint64_t)((int64_t)a / (int64_t)c);
        else
            r = a / c;
        break;
    case ZEROIPC_SOP_NEG: r = 0 - a; break;
    default: r = s && (int64_t)a < 0 ? 0 - a : a; break; /* abs */
    }
    store_int(op->size, r, out);
}

static bool pass(const struct zeroipc_sop *op, const uint8_t *in)
{
    int r = cmp(op->type, in, op->c);
    switch (op->fn) {
    case ZEROIPC_SOP_LT: return r == -1;
    case ZEROIPC_SOP_LE: return r == -1 || r == 0;
    case ZEROIPC_SOP_GT: return r == 1;
    case ZEROIPC_SOP_GE: return r == 1 || r == 0;
    case ZEROIPC_SOP_EQ: return r == 0;
    default: return r != 0; /* ne: also for NaN */
    }
}

size_t zeroipc_sop_apply(const struct zeroipc_sop *op, const uint8_t *in,
                         size_t n, uint8_t *out)
{
    size_t k = 0, sz = op->size;
    for (size_t i = 0; i < n; i++, in += sz) {
        if (op->kind == ZEROIPC_SOP_MAP) {
            if (is_float(op->type))
                map_float(op, in, out + k * sz);
            else
                map_int(op, in, out + k * sz);
            k++;
        } else if (op->kind != ZEROIPC_SOP_FILTER || pass(op, in)) {
            memcpy(out + k * sz, in, sz);
            k++;
        }
    }
    return k;
}

size_t zeroipc_sop_result_size(const struct zeroipc_sop *op)
{
    return op->fn == ZEROIPC_SOP_MIN || op->fn == ZEROIPC_SOP_MAX ? op->size : 8;
}

void zeroipc_sop_fold(const struct zeroipc_sop *op, uint8_t *acc, bool *seen,
                      const uint8_t *in, size_t n)
{
    size_t sz = op->size;
    if (op->fn == ZEROIPC_SOP_COUNT) {
        uint64_t c;
        memcpy(&c, acc, 8);
        c += n;
        memcpy(acc, &c, 8);
    } else if (op->fn == ZEROIPC_SOP_SUM && is_float(op->type)) {
        double d;
        memcpy(&d, acc, 8);
        for (size_t i = 0; i < n; i++)
            d += load_f(op->type, in + i * sz);
        memcpy(acc, &d, 8);
    } else if (op->fn == ZEROIPC_SOP_SUM) {
        /* i64 or u64: the same wrapping sum of 64-bit images. */
        uint64_t u;
        memcpy(&u, acc, 8);
        for (size_t i = 0; i < n; i++)
            u += load_int(op->type, in + i * sz);
        memcpy(acc, &u, 8);
    } else {
        int want = op->fn == ZEROIPC_SOP_MIN ? -1 : 1;
        for (size_t i = 0; i < n; i++) {
            /* A NaN never replaces (unordered), but may seed. */
            if (!*seen || cmp(op->type, in + i * sz, acc) == want)
                memcpy(acc, in + i * sz, sz);
            *seen = true;
        }
    }
    if (n > 0)
        *seen = true;
}

/* ------------------------------------------------------------------ */
/* Text. */

struct word {
    const char *name;
    int kind;
    int fn;
    bool constant; /* followed by C */
};

static const struct word words[] = {
    {"add", ZEROIPC_SOP_MAP, ZEROIPC_SOP_ADD, true},
    {"sub", ZEROIPC_SOP_MAP, ZEROIPC_SOP_SUB, true},
    {"mul", ZEROIPC_SOP_MAP, ZEROIPC_SOP_MUL, true},
    {"div", ZEROIPC_SOP_MAP, ZEROIPC_SOP_DIV, true},
    {"neg", ZEROIPC_SOP_MAP, ZEROIPC_SOP_NEG, false},
    {"abs", ZEROIPC_SOP_MAP, ZEROIPC_SOP_ABS, false},
    {"lt", ZEROIPC_SOP_FILTER, ZEROIPC_SOP_LT, true},
    {"le", ZEROIPC_SOP_FILTER, ZEROIPC_SOP_LE, true},
    {"gt", ZEROIPC_SOP_FILTER, ZEROIPC_SOP_GT, true},
    {"ge", ZEROIPC_SOP_FILTER, ZEROIPC_SOP_GE, true},
    {"eq", ZEROIPC_SOP_FILTER, ZEROIPC_SOP_EQ, true},
    {"ne", ZEROIPC_SOP_FILTER, ZEROIPC_SOP_NE, true},
    {"sum", ZEROIPC_SOP_FOLD, ZEROIPC_SOP_SUM, false},
    {"count", ZEROIPC_SOP_FOLD, ZEROIPC_SOP_COUNT, false},
    {"min", ZEROIPC_SOP_FOLD, ZEROIPC_SOP_MIN, false},
    {"max", ZEROIPC_SOP_FOLD, ZEROIPC_SOP_MAX, false},
};

static const char *const kind_names[] = {NULL, "map", "filter", "take", "skip", "fold"};

/* Splits `text` into at most `max` space-separated tokens. */
static int tokens(const char *text, size_t len, const char **tok,
                  size_t *tlen, int max)
{
    int n = 0;
    size_t i = 0;
    while (i < len) {
        if (text[i] == ' ') {
            i++;
            continue;
        }
        if (n == max)
            return -1;
        tok[n] = text + i;
        while (i < len && text[i] != ' ')
            i++;
        tlen[n] = (size_t)(text + i - tok[n]);
        n++;
    }
    return n;
}

static bool tok_is(const char *t, size_t n, const char *w)
{
    return strlen(w) == n && memcmp(t, w, n) == 0;
}

/* A decimal count without sign or leading zeros (except "0"). */
static bool parse_count(const char *t, size_t n, uint64_t *out)
{
    if (n == 0 || n > 20 || (t[0] == '0' && n > 1))
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i] < '0' || t[i] > '9')
            return false;
        uint64_t d = (uint64_t)(t[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static int type_of(uint8_t type, zeroipc_type_t *t)
{
    if (zeroipc_sop_type_size(type) == 0)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    const char *name = type_names[type];
    return zeroipc_type_parse(name, strlen(name), t);
}

int zeroipc_sop_parse(const char *text, size_t len, uint8_t type,
                      struct zeroipc_sop *out)
{
    zeroipc_type_t t;
    if (text == NULL || out == NULL || type_of(type, &t) != ZEROIPC_OK)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    const char *tok[3];
    size_t tl[3];
    int n = tokens(text, len, tok, tl, 3);
    if (n < 2)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    struct zeroipc_sop op;
    memset(&op, 0, sizeof op);
    op.type = type;
    op.size = t.size;
    for (int k = ZEROIPC_SOP_MAP; k <= ZEROIPC_SOP_FOLD; k++)
        if (tok_is(tok[0], tl[0], kind_names[k]))
            op.kind = k;
    if (op.kind == ZEROIPC_SOP_TAKE || op.kind == ZEROIPC_SOP_SKIP) {
        if (n != 2 || !parse_count(tok[1], tl[1], &op.n))
            return ZEROIPC_ERROR_INVALID_ARGUMENT;
        /* skip's progress is a u32 in the header. */
        if (op.kind == ZEROIPC_SOP_SKIP && op.n > UINT32_MAX)
            return ZEROIPC_ERROR_SIZE;
        *out = op;
        return ZEROIPC_OK;
    }
    if (op.kind == 0)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    const struct word *w = NULL;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (words[i].kind == op.kind && tok_is(tok[1], tl[1], words[i].name))
            w = &words[i];
    if (w == NULL || n != (w->constant ? 3 : 2))
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    op.fn = w->fn;
    if (w->constant) {
        if (zeroipc_codec_parse(&t, tok[2], tl[2], op.c) != ZEROIPC_OK)
            return ZEROIPC_ERROR_INVALID_ARGUMENT;
        if (op.fn == ZEROIPC_SOP_DIV && !is_float(type) &&
            load_int(type, op.c) == 0)
            return ZEROIPC_ERROR_INVALID_ARGUMENT;
    }
    *out = op;
    return ZEROIPC_OK;
}

int zeroipc_sop_format(const struct zeroipc_sop *op, char *buf, size_t len)
{
    char tmp[128];
    size_t at = 0;
    const char *k = op->kind >= ZEROIPC_SOP_MAP && op->kind <= ZEROIPC_SOP_FOLD
                        ? kind_names[op->kind] : NULL;
    if (k == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    at = strlen(k);
    memcpy(tmp, k, at);
    tmp[at++] = ' ';
    if (op->kind == ZEROIPC_SOP_TAKE || op->kind == ZEROIPC_SOP_SKIP) {
        char d[21];
        int i = 20;
        uint64_t v = op->n;
        d[i] = '\0';
        do {
            d[--i] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        memcpy(tmp + at, d + i, (size_t)(20 - i));
        at += (size_t)(20 - i);
    } else {
        const struct word *w = NULL;
        for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
            if (words[i].fn == op->fn)
                w = &words[i];
        if (w == NULL)
            return ZEROIPC_ERROR_INVALID_ARGUMENT;
        memcpy(tmp + at, w->name, strlen(w->name));
        at += strlen(w->name);
        if (w->constant) {
            zeroipc_type_t t;
            size_t wr = 0;
            if (type_of(op->type, &t) != ZEROIPC_OK)
                return ZEROIPC_ERROR_INVALID_ARGUMENT;
            tmp[at++] = ' ';
            /* A number's text is at most 25 bytes: always fits. */
            if (zeroipc_codec_format(&t, op->c, tmp + at, sizeof tmp - at - 1,
                                     &wr) != ZEROIPC_OK)
                return ZEROIPC_ERROR_SIZE;
            at += wr;
        }
    }
    if (at + 1 > len)
        return ZEROIPC_ERROR_SIZE;
    memcpy(buf, tmp, at);
    buf[at] = '\0';
    return ZEROIPC_OK;
}
