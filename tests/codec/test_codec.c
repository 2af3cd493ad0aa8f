/*
 * test_codec.c - element types and their text (zeroipc_codec.h).
 *
 * Table-driven where the behaviour is a list of cases (specs, integer and
 * float inputs, escapes), randomized with a fixed seed where it is a
 * property (round trips, the max_text bound).  Needs nothing but the codec:
 * no segment, no library state.
 */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "zeroipc_codec.h"
#include "zeroipc_error.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ helpers */

/* xorshift64*: the same sequence on every run and every libc. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1du;
}

static void rnd_fill(void *p, size_t n)
{
    unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)rnd();
}

static zeroipc_type_t type_of(const char *spec)
{
    zeroipc_type_t t;
    int rc = zeroipc_type_parse(spec, strlen(spec), &t);
    if (rc != ZEROIPC_OK)
        fail_msg("spec \"%s\": %d", spec, rc);
    return t;
}

/* The element as a NUL-terminated string (static: one at a time). */
static const char *fmt(const zeroipc_type_t *t, const void *elem)
{
    static char buf[1 << 16];
    size_t n = 0;
    assert_int_equal(zeroipc_codec_format(t, elem, buf, sizeof buf - 1, &n),
                     ZEROIPC_OK);
    assert_true(n <= zeroipc_codec_max_text(t));
    buf[n] = '\0';
    return buf;
}

static int parse(const zeroipc_type_t *t, const char *text, void *elem)
{
    return zeroipc_codec_parse(t, text, strlen(text), elem);
}

/* Parsing `text` fails, and leaves the element exactly as it was. */
static void expect_reject(const zeroipc_type_t *t, const char *text,
                          size_t len)
{
    unsigned char elem[512], before[512];
    assert_true(t->size <= sizeof elem);
    rnd_fill(before, t->size);
    memcpy(elem, before, t->size);
    int rc = zeroipc_codec_parse(t, text, len, elem);
    if (rc != ZEROIPC_ERROR_INVALID_ARGUMENT)
        fail_msg("\"%.*s\" was not rejected (%d)", (int)len, text, rc);
    assert_memory_equal(elem, before, t->size);
}

/* The low `size` bytes' worth of v, in native order. */
static void store(void *p, uint32_t size, uint64_t v)
{
    uint8_t b = (uint8_t)v;
    uint16_t h = (uint16_t)v;
    uint32_t w = (uint32_t)v;
    switch (size) {
    case 1: memcpy(p, &b, 1); break;
    case 2: memcpy(p, &h, 2); break;
    case 4: memcpy(p, &w, 4); break;
    default: memcpy(p, &v, 8); break;
    }
}

static double f64_of(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static uint64_t bits_of_f64(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

static uint32_t bits_of_f32(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

static bool f64_is_nan(uint64_t b)
{
    return (b & 0x7ff0000000000000u) == 0x7ff0000000000000u &&
           (b & 0x000fffffffffffffu) != 0;
}

static bool f32_is_nan(uint32_t b)
{
    return (b & 0x7f800000u) == 0x7f800000u && (b & 0x007fffffu) != 0;
}

/* ------------------------------------------------------------- specs */

static void test_type_parse_accepts(void **state)
{
    (void)state;
    static const struct {
        const char *spec, *canonical;
        uint32_t nfields, size, align;
    } cases[] = {
        {"i8", "i8", 1, 1, 1},
        {"i16", "i16", 1, 2, 2},
        {"i32", "i32", 1, 4, 4},
        {"i64", "i64", 1, 8, 8},
        {"u8", "u8", 1, 1, 1},
        {"u16", "u16", 1, 2, 2},
        {"u32", "u32", 1, 4, 4},
        {"u64", "u64", 1, 8, 8},
        {"f32", "f32", 1, 4, 4},
        {"f64", "f64", 1, 8, 8},
        {"str1", "str1", 1, 1, 1},
        {"str16", "str16", 1, 16, 1},
        {"bytes24", "bytes24", 1, 24, 1},
        {"bytes1048576", "bytes1048576", 1, 1048576, 1},
        {"str1048576", "str1048576", 1, 1048576, 1},
        {"f32,f32,u64", "f32,f32,u64", 3, 16, 8},
        {" f32 , f32\t,\tu64 ", "f32,f32,u64", 3, 16, 8},
        {"\tf64\t", "f64", 1, 8, 8},
        {"u8,u64", "u8,u64", 2, 16, 8},
        {"u64,u8", "u64,u8", 2, 16, 8},
        {"str3,i16", "str3,i16", 2, 6, 2},
        {"i8,i16,i32,i64", "i8,i16,i32,i64", 4, 16, 8},
        {"bytes3,str5", "bytes3,str5", 2, 8, 1},
        {"u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8",
         "u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8", 16, 16, 1},
        {"str1048516,f32,f32,f32,f32,f32,f32,f32,f32,f32,f32,f32,f32,f32,"
         "f32,f32",
         "str1048516,f32,f32,f32,f32,f32,f32,f32,f32,f32,f32,f32,f32,f32,"
         "f32,f32", 16, 1048576, 4},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        zeroipc_type_t t;
        int rc = zeroipc_type_parse(cases[i].spec, strlen(cases[i].spec), &t);
        if (rc != ZEROIPC_OK)
            fail_msg("\"%s\": %d", cases[i].spec, rc);
        assert_int_equal(t.nfields, cases[i].nfields);
        assert_int_equal(t.size, cases[i].size);
        assert_int_equal(t.align, cases[i].align);
        assert_int_equal(zeroipc_type_size(&t), cases[i].size);
        char buf[ZEROIPC_TYPE_SPEC_MAX];
        rc = zeroipc_type_format(&t, buf, sizeof buf);
        assert_int_equal(rc, (int)strlen(cases[i].canonical));
        assert_string_equal(buf, cases[i].canonical);
    }

    /* Field offsets: natural alignment, as the Python record dtype of the
     * p_points test vector (x@0, y@4, t@8). */
    static const struct {
        const char *spec;
        uint32_t offset[4];
    } layouts[] = {
        {"f32,f32,u64", {0, 4, 8}},
        {"u8,u64", {0, 8}},
        {"u64,u8", {0, 8}},
        {"str3,i16", {0, 4}},
        {"i8,i16,i32,i64", {0, 2, 4, 8}},
        {"u8,bytes5,u16", {0, 1, 6}},
        {"bytes3,f64,i8", {0, 8, 16}},
    };
    for (size_t i = 0; i < N_ELEMS(layouts); i++) {
        zeroipc_type_t t = type_of(layouts[i].spec);
        for (uint32_t k = 0; k < t.nfields; k++)
            assert_int_equal(t.field[k].offset, layouts[i].offset[k]);
    }
    zeroipc_type_t t = type_of("bytes3,f64,i8");
    assert_int_equal(t.size, 24);
    assert_int_equal(t.field[0].kind, ZEROIPC_FIELD_BYTES);
    assert_int_equal(t.field[0].size, 3);
    assert_int_equal(t.field[1].kind, ZEROIPC_FIELD_F64);
    assert_int_equal(t.field[2].kind, ZEROIPC_FIELD_I8);

    /* The length, not a NUL, ends the spec. */
    assert_int_equal(zeroipc_type_parse("f32,f32", 3, &t), ZEROIPC_OK);
    assert_int_equal(t.nfields, 1);
    assert_int_equal(t.field[0].kind, ZEROIPC_FIELD_F32);
}

static void test_type_parse_rejects(void **state)
{
    (void)state;
    static const struct {
        const char *spec;
        int rc;
    } cases[] = {
        {"", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {" ", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {",", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"f32,", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {",f32", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"f32,,f32", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"f32, ,f32", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"f33", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"F32", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"float", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"int32", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"i", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"i128", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"u", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"i8x", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"str", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"bytes", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"str01", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"str00", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"str-1", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"str+1", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"str 4", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"str4x", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"str0x10", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"Str4", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"byte4", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"string4", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"i32 i32", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"f32;f32", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"i8\n", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"i8\r", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"u8,oops", ZEROIPC_ERROR_INVALID_ARGUMENT},
        {"str0", ZEROIPC_ERROR_SIZE},
        {"bytes0", ZEROIPC_ERROR_SIZE},
        {"str1048577", ZEROIPC_ERROR_SIZE},
        {"bytes99999999999999999999999999", ZEROIPC_ERROR_SIZE},
        {"str1048576,u8", ZEROIPC_ERROR_SIZE},
        {"bytes1048569,u64", ZEROIPC_ERROR_SIZE},
        {"u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8",
         ZEROIPC_ERROR_SIZE},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        zeroipc_type_t t;
        memset(&t, 0x5a, sizeof t);
        int rc = zeroipc_type_parse(cases[i].spec, strlen(cases[i].spec), &t);
        if (rc != cases[i].rc)
            fail_msg("\"%s\": %d, expected %d", cases[i].spec, rc,
                     cases[i].rc);
        /* Untouched on failure. */
        assert_int_equal(t.nfields, 0x5a5a5a5a);
    }

    /* A NUL inside the given length is a stray byte, not an end. */
    zeroipc_type_t t;
    assert_int_equal(zeroipc_type_parse("i8\0", 3, &t),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_type_parse("i8\0,u8", 6, &t),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_type_parse(NULL, 0, &t),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_type_parse("i8", 2, NULL),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
}

static void test_type_format(void **state)
{
    (void)state;
    zeroipc_type_t t = type_of("f32,f32,u64");
    char buf[ZEROIPC_TYPE_SPEC_MAX];
    /* 11 characters need 12 bytes. */
    memset(buf, '#', sizeof buf);
    assert_int_equal(zeroipc_type_format(&t, buf, 12), 11);
    assert_string_equal(buf, "f32,f32,u64");
    for (size_t len = 0; len < 12; len++) {
        memset(buf, '#', sizeof buf);
        assert_int_equal(zeroipc_type_format(&t, buf, len), ZEROIPC_ERROR_SIZE);
        for (size_t k = len; k < sizeof buf; k++)
            assert_int_equal(buf[k], '#'); /* nothing past len */
    }

    /* The longest canonical spec fits ZEROIPC_TYPE_SPEC_MAX exactly. */
    char spec[256] = "";
    for (int i = 0; i < 16; i++)
        strcat(spec, i ? ",bytes65536" : "bytes65536");
    t = type_of(spec);
    assert_int_equal(zeroipc_type_format(&t, buf, sizeof buf), (int)strlen(spec));
    /* The widest spelling of all: sixteen 7-digit Ns.  No spec parses to
     * it (the element would be too large), but a type whose fields
     * overlap passes the codec's checks, so the bound must hold anyway. */
    zeroipc_type_t big;
    memset(&big, 0, sizeof big);
    big.nfields = 16;
    big.size = ZEROIPC_TYPE_MAX_SIZE;
    big.align = 1;
    for (uint32_t i = 0; i < 16; i++) {
        big.field[i].kind = ZEROIPC_FIELD_BYTES;
        big.field[i].size = ZEROIPC_TYPE_MAX_SIZE;
    }
    assert_int_equal(zeroipc_type_format(&big, buf, sizeof buf),
                     ZEROIPC_TYPE_SPEC_MAX - 1);
    assert_int_equal(zeroipc_type_format(&big, buf, sizeof buf - 1),
                     ZEROIPC_ERROR_SIZE);

    /* Malformed arguments. */
    zeroipc_type_t zero;
    memset(&zero, 0, sizeof zero);
    assert_int_equal(zeroipc_type_format(&zero, buf, sizeof buf),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_type_format(NULL, buf, sizeof buf),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    t = type_of("u8");
    assert_int_equal(zeroipc_type_format(&t, NULL, 10),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
}

static void test_type_size_and_max_text(void **state)
{
    (void)state;
    static const struct {
        const char *spec;
        size_t max_text;
    } cases[] = {
        {"i8", 4},   {"i16", 6},       {"i32", 11},     {"i64", 20},
        {"u8", 3},   {"u16", 5},       {"u32", 10},     {"u64", 20},
        {"f32", 17}, {"f64", 24},      {"str1", 4},     {"str16", 64},
        {"bytes1", 2}, {"bytes24", 48}, {"f32,f32,u64", 17 + 17 + 20 + 2},
        {"str4,bytes4,i8", 16 + 8 + 4 + 2},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        zeroipc_type_t t = type_of(cases[i].spec);
        assert_int_equal(zeroipc_codec_max_text(&t), cases[i].max_text);
    }
    /* The absolute bound holds for the wordiest types there are. */
    static const char *const extreme[] = {
        "str1048576",
        ("str1048516,f32,f32,f32,f32,f32,f32,f32,f32,f32,f32,f32,f32,f32,f32,"
         "f32"),
        "f32,f32,f32,f32,f32,f32,f32,f32,f32,f32,f32,f32,f32,f32,f32,f32",
    };
    for (size_t i = 0; i < N_ELEMS(extreme); i++) {
        zeroipc_type_t t = type_of(extreme[i]);
        assert_true(zeroipc_codec_max_text(&t) <= ZEROIPC_CODEC_MAX_TEXT);
    }
    assert_int_equal(zeroipc_type_size(NULL), 0);
    assert_int_equal(zeroipc_codec_max_text(NULL), 0);
    zeroipc_type_t zero;
    memset(&zero, 0, sizeof zero);
    assert_int_equal(zeroipc_type_size(&zero), 0);
    assert_int_equal(zeroipc_codec_max_text(&zero), 0);
}

/* ---------------------------------------------------------- integers */

/* Input, and its canonical text, or NULL when it must be rejected. */
struct text_case {
    const char *spec, *in, *out;
};

static void run_text_cases(const struct text_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        zeroipc_type_t t = type_of(c[i].spec);
        if (c[i].out == NULL) {
            expect_reject(&t, c[i].in, strlen(c[i].in));
            continue;
        }
        unsigned char elem[256];
        int rc = parse(&t, c[i].in, elem);
        if (rc != ZEROIPC_OK)
            fail_msg("%s \"%s\": %d", c[i].spec, c[i].in, rc);
        const char *out = fmt(&t, elem);
        if (strcmp(out, c[i].out) != 0)
            fail_msg("%s \"%s\" -> \"%s\", expected \"%s\"", c[i].spec,
                     c[i].in, out, c[i].out);
    }
}

static void test_int_text(void **state)
{
    (void)state;
    static const struct text_case cases[] = {
        /* Bounds of every width, and one past them. */
        {"i8", "-128", "-128"}, {"i8", "127", "127"},
        {"i8", "128", NULL}, {"i8", "-129", NULL},
        {"i16", "-32768", "-32768"}, {"i16", "32767", "32767"},
        {"i16", "32768", NULL}, {"i16", "-32769", NULL},
        {"i32", "-2147483648", "-2147483648"},
        {"i32", "2147483647", "2147483647"},
        {"i32", "2147483648", NULL}, {"i32", "-2147483649", NULL},
        {"i64", "-9223372036854775808", "-9223372036854775808"},
        {"i64", "9223372036854775807", "9223372036854775807"},
        {"i64", "9223372036854775808", NULL},
        {"i64", "-9223372036854775809", NULL},
        {"i64", "18446744073709551616", NULL},
        {"i64", "-18446744073709551616", NULL},
        {"u8", "0", "0"}, {"u8", "255", "255"}, {"u8", "256", NULL},
        {"u8", "-1", NULL},
        {"u16", "65535", "65535"}, {"u16", "65536", NULL},
        {"u32", "4294967295", "4294967295"}, {"u32", "4294967296", NULL},
        {"u64", "18446744073709551615", "18446744073709551615"},
        {"u64", "18446744073709551616", NULL},
        {"u64", "99999999999999999999999", NULL},
        {"u64", "-1", NULL},
        {"u64", "-18446744073709551615", NULL},
        /* Hex: a value like any other, range-checked, never wrapped. */
        {"i8", "0x7f", "127"}, {"i8", "0x80", NULL}, {"i8", "0xff", NULL},
        {"i8", "-0x80", "-128"}, {"i8", "-0x81", NULL},
        {"u8", "0xff", "255"}, {"u8", "0XFF", "255"}, {"u8", "0xAb", "171"},
        {"u8", "0x100", NULL}, {"u8", "0x000000000000000000ff", "255"},
        {"i32", "0x7fffffff", "2147483647"}, {"i32", "0x80000000", NULL},
        {"i32", "-0x80000000", "-2147483648"},
        {"u64", "0xffffffffffffffff", "18446744073709551615"},
        {"u64", "0x10000000000000000", NULL},
        {"i64", "0x8000000000000000", NULL},
        {"i64", "-0x8000000000000000", "-9223372036854775808"},
        {"u16", "+0x10", "16"},
        /* Signs, zeros, blanks. */
        {"i32", "+5", "5"}, {"i32", "-0", "0"}, {"u32", "-0", "0"},
        {"u32", "+0", "0"}, {"u32", "-0x0", "0"},
        {"i32", "007", "7"}, {"i32", "010", "10"}, {"i32", "-000", "0"},
        {"i32", " 5", "5"}, {"i32", "5 ", "5"}, {"i32", "\t5\t", "5"},
        {"i32", "5\r", "5"}, {"i32", " \t -42 \r", "-42"},
        /* Garbage. */
        {"i32", "", NULL}, {"i32", " ", NULL}, {"i32", "\t\r", NULL},
        {"i32", "1 2", NULL}, {"i32", "12a", NULL}, {"i32", "a12", NULL},
        {"i32", "0x", NULL}, {"i32", "0xg", NULL}, {"i32", "0x 1", NULL},
        {"i32", "x10", NULL}, {"i32", "--1", NULL}, {"i32", "+-1", NULL},
        {"i32", "-+1", NULL}, {"i32", "- 1", NULL}, {"i32", "+", NULL},
        {"i32", "-", NULL}, {"i32", "1.0", NULL}, {"i32", "1e3", NULL},
        {"i32", "0b1", NULL}, {"i32", "0o7", NULL}, {"i32", "1_000", NULL},
        {"i32", "1,000", NULL}, {"i32", "0x-1", NULL}, {"i32", "1\n", NULL},
        {"i32", "inf", NULL}, {"i32", "nan", NULL}, {"i32", "\xd9\xa1", NULL},
        {"u8", "0x0x1", NULL}, {"u8", "00x1", NULL},
    };
    run_text_cases(cases, N_ELEMS(cases));

    /* A NUL is not an end of the text. */
    zeroipc_type_t t = type_of("i32");
    expect_reject(&t, "5\0", 2);
    expect_reject(&t, "\0" "5", 2);
}

static void test_int_round_trip(void **state)
{
    (void)state;
    static const char *const specs[] = {"i8",  "i16", "i32", "i64",
                                        "u8",  "u16", "u32", "u64"};
    for (size_t s = 0; s < N_ELEMS(specs); s++) {
        zeroipc_type_t t = type_of(specs[s]);
        bool sig = specs[s][0] == 'i';
        for (int i = 0; i < 4000; i++) {
            /* Random magnitudes of every length, not just huge ones. */
            uint64_t v = rnd() >> (rnd() % 64);
            if (sig && (rnd() & 1))
                v = 0 - v;
            unsigned char elem[8], back[8];
            store(elem, t.size, v);
            char want[32];
            switch (t.size * 8 + sig) {
            case 8: snprintf(want, sizeof want, "%u", (unsigned)(uint8_t)v); break;
            case 9: snprintf(want, sizeof want, "%d", (int)(int8_t)v); break;
            case 16: snprintf(want, sizeof want, "%u", (unsigned)(uint16_t)v); break;
            case 17: snprintf(want, sizeof want, "%d", (int)(int16_t)v); break;
            case 32: snprintf(want, sizeof want, "%lu", (unsigned long)(uint32_t)v); break;
            case 33: snprintf(want, sizeof want, "%ld", (long)(int32_t)v); break;
            case 64: snprintf(want, sizeof want, "%llu", (unsigned long long)v); break;
            default: snprintf(want, sizeof want, "%lld", (long long)(int64_t)v); break;
            }
            const char *out = fmt(&t, elem);
            assert_string_equal(out, want);
            memset(back, 0xee, sizeof back);
            assert_int_equal(parse(&t, out, back), ZEROIPC_OK);
            assert_memory_equal(back, elem, t.size);
            /* And the same value in hex. */
            uint64_t mag = v;
            bool neg = false;
            if (sig) {
                int64_t sv;
                switch (t.size) {
                case 1: sv = (int8_t)v; break;
                case 2: sv = (int16_t)v; break;
                case 4: sv = (int32_t)v; break;
                default: sv = (int64_t)v; break;
                }
                neg = sv < 0;
                mag = neg ? 0 - (uint64_t)sv : (uint64_t)sv;
            } else if (t.size < 8) {
                mag &= ((uint64_t)1 << (8 * t.size)) - 1;
            }
            char hex[32];
            snprintf(hex, sizeof hex, "%s0x%llx", neg ? "-" : "",
                     (unsigned long long)mag);
            memset(back, 0xee, sizeof back);
            assert_int_equal(parse(&t, hex, back), ZEROIPC_OK);
            assert_memory_equal(back, elem, t.size);
        }
    }
}

/* ------------------------------------------------------------ floats */

static void test_float_text(void **state)
{
    (void)state;
    static const struct text_case cases[] = {
        /* Shortest, and laid out as Python's repr minus ".0". */
        {"f64", "0", "0"}, {"f64", "-0", "-0"}, {"f64", "-0.0", "-0"},
        {"f64", "0e999999", "0"}, {"f64", "-0e-5", "-0"},
        {"f64", "1", "1"}, {"f64", "1.0", "1"}, {"f64", "-1.5", "-1.5"},
        {"f64", "0.1", "0.1"}, {"f64", ".1", "0.1"}, {"f64", "+.5", "0.5"},
        {"f64", "5.", "5"}, {"f64", "0.30000000000000004",
                             "0.30000000000000004"},
        {"f64", "100", "100"}, {"f64", "1e15", "1000000000000000"},
        {"f64", "1e16", "1e+16"}, {"f64", "1.5e16", "1.5e+16"},
        {"f64", "123456789012345678", "1.2345678901234568e+17"},
        {"f64", "0.0001", "0.0001"}, {"f64", "0.00012", "0.00012"},
        {"f64", "0.00001", "1e-05"}, {"f64", "1E-5", "1e-05"},
        {"f64", "1e100", "1e+100"}, {"f64", "1e-100", "1e-100"},
        {"f64", "1.7976931348623157e308", "1.7976931348623157e+308"},
        {"f64", "2.2250738585072014e-308", "2.2250738585072014e-308"},
        {"f64", "2.2250738585072009e-308", "2.225073858507201e-308"},
        {"f64", "4.9406564584124654e-324", "5e-324"},
        {"f64", "5e-324", "5e-324"}, {"f64", "-5e-324", "-5e-324"},
        {"f64", "1000000", "1000000"}, {"f64", "1234.5678", "1234.5678"},
        /* A power of two whose shortest form is not its nearest. */
        {"f64", "7.1202363472230444e-307", "7.120236347223045e-307"},
        {"f64", "9007199254740993", "9007199254740992"},
        {"f32", "0.1", "0.1"}, {"f32", "16777216", "16777216"},
        {"f32", "16777217", "16777216"}, {"f32", "-0", "-0"},
        {"f32", "3.4028235e38", "3.4028235e+38"},
        {"f32", "3.4028235677973366e38", "3.4028235e+38"},
        {"f32", "1.17549435e-38", "1.1754944e-38"},
        {"f32", "1e-45", "1e-45"}, {"f32", "1.4e-45", "1e-45"},
        {"f32", "1.1754942e-38", "1.1754942e-38"},
        /* Ties go to the even last digit, as printf and Ryu do. */
        {"f32", "3681621.75", "3681621.8"},
        {"f32", "1e15", "1000000000000000"},
        {"f32", "3.14159265358979", "3.1415927"},
        /* Underflow rounds, to a subnormal or a zero of its sign. */
        {"f64", "1e-400", "0"}, {"f64", "-1e-400", "-0"},
        {"f64", "3e-324", "5e-324"}, {"f64", "2e-324", "0"},
        {"f32", "1e-50", "0"}, {"f32", "-1e-50", "-0"},
        {"f32", "1e-45", "1e-45"},
        /* Infinities and NaNs, in any case. */
        {"f64", "inf", "inf"}, {"f64", "-inf", "-inf"}, {"f64", "+inf", "inf"},
        {"f64", "INF", "inf"}, {"f64", "Infinity", "inf"},
        {"f64", "-infinity", "-inf"}, {"f64", "nan", "nan"},
        {"f64", "NaN", "nan"}, {"f64", "-nan", "-nan"}, {"f64", "+NAN", "nan"},
        {"f32", "inf", "inf"}, {"f32", "-Inf", "-inf"}, {"f32", "nan", "nan"},
        {"f32", "-nan", "-nan"},
        /* Blanks. */
        {"f64", "  2.5\t", "2.5"}, {"f64", "2.5\r", "2.5"},
        /* Overflow is an error, not inf. */
        {"f32", "1e39", NULL}, {"f32", "-1e39", NULL},
        {"f32", "3.5e38", NULL}, {"f32", "3.40282356e38", "3.4028235e+38"},
        {"f32", "3.40282357e38", NULL}, {"f32", "3.4028236e38", NULL},
        {"f64", "1e309", NULL}, {"f64", "-1e309", NULL},
        {"f64", "1.7976931348623159e308", NULL},
        {"f64", "1.7976931348623158e308", "1.7976931348623157e+308"},
        {"f64", "1e999999999999999999999999", NULL},
        {"f64", "1e-999999999999999999999999", "0"},
        /* Malformed. */
        {"f64", "", NULL}, {"f64", " ", NULL}, {"f64", ".", NULL},
        {"f64", "-.", NULL}, {"f64", "e5", NULL}, {"f64", ".e5", NULL},
        {"f64", "1e", NULL}, {"f64", "1e+", NULL}, {"f64", "1e-", NULL},
        {"f64", "1e5.0", NULL}, {"f64", "1.2.3", NULL}, {"f64", "1..2", NULL},
        {"f64", "1,5", NULL}, {"f64", "0x1p3", NULL}, {"f64", "0x10", NULL},
        {"f64", "1 2", NULL}, {"f64", "- 1", NULL}, {"f64", "--1", NULL},
        {"f64", "+-1", NULL}, {"f64", "1f", NULL}, {"f64", "1.5e3x", NULL},
        {"f64", "in", NULL}, {"f64", "infinit", NULL}, {"f64", "infs", NULL},
        {"f64", "inf5", NULL}, {"f64", "nanx", NULL}, {"f64", "nan(1)", NULL},
        {"f64", "--inf", NULL}, {"f64", "+-nan", NULL}, {"f64", "1_0", NULL},
        {"f64", "1e 5", NULL}, {"f64", "1\n", NULL},
    };
    run_text_cases(cases, N_ELEMS(cases));
}

/* Bits of every float class, formatted and read back. */
static void test_float_specials(void **state)
{
    (void)state;
    static const struct {
        uint64_t bits;
        const char *text;
    } f64s[] = {
        {0x0000000000000000u, "0"},
        {0x8000000000000000u, "-0"},
        {0x0000000000000001u, "5e-324"},
        {0x000fffffffffffffu, "2.225073858507201e-308"},
        {0x0010000000000000u, "2.2250738585072014e-308"},
        {0x7fefffffffffffffu, "1.7976931348623157e+308"},
        {0xffefffffffffffffu, "-1.7976931348623157e+308"},
        {0x3ff0000000000000u, "1"},
        {0x3ff0000000000001u, "1.0000000000000002"},
        {0x7ff0000000000000u, "inf"},
        {0xfff0000000000000u, "-inf"},
        {0x7ff8000000000000u, "nan"},
        {0xfff8000000000000u, "-nan"},
        {0x7ff0000000000001u, "nan"}, /* signalling: payload not shown */
        {0x7fffffffffffffffu, "nan"},
        {0xfff4000000000000u, "-nan"},
    };
    zeroipc_type_t t = type_of("f64");
    for (size_t i = 0; i < N_ELEMS(f64s); i++) {
        assert_string_equal(fmt(&t, &f64s[i].bits), f64s[i].text);
        uint64_t back;
        assert_int_equal(parse(&t, f64s[i].text, &back), ZEROIPC_OK);
        if (f64_is_nan(f64s[i].bits))
            /* The default quiet NaN, with the sign kept. */
            assert_int_equal(back, (f64s[i].bits & 0x8000000000000000u) |
                                       0x7ff8000000000000u);
        else
            assert_int_equal(back, f64s[i].bits);
    }

    static const struct {
        uint32_t bits;
        const char *text;
    } f32s[] = {
        {0x00000000u, "0"},
        {0x80000000u, "-0"},
        {0x00000001u, "1e-45"},
        {0x80000001u, "-1e-45"},
        {0x007fffffu, "1.1754942e-38"},
        {0x00800000u, "1.1754944e-38"},
        {0x7f7fffffu, "3.4028235e+38"},
        {0x3f800000u, "1"},
        {0x3f800001u, "1.0000001"},
        {0x3dcccccdu, "0.1"},
        {0x7f800000u, "inf"},
        {0xff800000u, "-inf"},
        {0x7fc00000u, "nan"},
        {0xffc00000u, "-nan"},
        {0x7f800001u, "nan"},
        {0xffffffffu, "-nan"},
    };
    t = type_of("f32");
    for (size_t i = 0; i < N_ELEMS(f32s); i++) {
        assert_string_equal(fmt(&t, &f32s[i].bits), f32s[i].text);
        uint32_t back;
        assert_int_equal(parse(&t, f32s[i].text, &back), ZEROIPC_OK);
        if (f32_is_nan(f32s[i].bits))
            assert_int_equal(back, (f32s[i].bits & 0x80000000u) | 0x7fc00000u);
        else
            assert_int_equal(back, f32s[i].bits);
    }
}

/*
 * An independent check that a text is as short as it gets: neither of the
 * two decimals of one digit fewer around the value (printf's rounding and
 * the next one up) reads back to the same bits.
 */
static bool shorter_reads_back(const char *text, bool f32, uint64_t bits)
{
    const char *s = text[0] == '-' ? text + 1 : text;
    int digits = 0, lead = 1;
    for (; *s != '\0' && *s != 'e'; s++) {
        if (*s == '0' && lead)
            continue;
        if (*s >= '0' && *s <= '9') {
            lead = 0;
            digits++;
        }
    }
    /* Trailing zeros of an integer such as 1000000 are not significant. */
    if (strchr(text, '.') == NULL && strchr(text, 'e') == NULL) {
        const char *e = text + strlen(text);
        while (e > text && e[-1] == '0' && digits > 1) {
            e--;
            digits--;
        }
    }
    if (digits <= 1)
        return false;
    double x;
    if (f32) {
        float f;
        uint32_t b = (uint32_t)bits;
        memcpy(&f, &b, sizeof f);
        x = f;
    } else {
        x = f64_of(bits);
    }
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.*e", digits - 2, x);
    for (int up = 0; up < 2; up++) {
        if (up) {
            /* Bump the last mantissa digit (carries are rare enough to
             * skip: the check is then merely weaker). */
            char *e = strchr(tmp, 'e');
            if (e[-1] == '9')
                break;
            e[-1]++;
        }
        bool same = f32 ? bits_of_f32(strtof(tmp, NULL)) == (uint32_t)bits
                        : bits_of_f64(strtod(tmp, NULL)) == bits;
        if (same)
            return true;
    }
    return false;
}

static void check_f64(const zeroipc_type_t *t, uint64_t bits, bool minimal)
{
    const char *out = fmt(t, &bits);
    assert_true(strlen(out) <= 24);
    uint64_t back = ~bits;
    assert_int_equal(parse(t, out, &back), ZEROIPC_OK);
    if (f64_is_nan(bits))
        assert_true(f64_is_nan(back) && (back >> 63) == (bits >> 63));
    else if (back != bits)
        fail_msg("%016llx -> \"%s\" -> %016llx", (unsigned long long)bits, out,
                 (unsigned long long)back);
    if (minimal && !f64_is_nan(bits) && shorter_reads_back(out, false, bits))
        fail_msg("%016llx -> \"%s\" is not the shortest",
                 (unsigned long long)bits, out);
}

static void check_f32(const zeroipc_type_t *t, uint32_t bits, bool minimal)
{
    const char *out = fmt(t, &bits);
    assert_true(strlen(out) <= 17);
    uint32_t back = ~bits;
    assert_int_equal(parse(t, out, &back), ZEROIPC_OK);
    if (f32_is_nan(bits))
        assert_true(f32_is_nan(back) && (back >> 31) == (bits >> 31));
    else if (back != bits)
        fail_msg("%08x -> \"%s\" -> %08x", bits, out, back);
    if (minimal && !f32_is_nan(bits) && shorter_reads_back(out, true, bits))
        fail_msg("%08x -> \"%s\" is not the shortest", bits, out);
}

static void test_float_round_trip(void **state)
{
    (void)state;
    zeroipc_type_t t64 = type_of("f64"), t32 = type_of("f32");
    /* Every power of two, both signs: the asymmetric cases. */
    for (uint64_t e = 0; e < 2047; e++) {
        check_f64(&t64, e << 52, true);
        check_f64(&t64, (e << 52) | 0x8000000000000000u, true);
    }
    for (uint32_t e = 0; e < 255; e++) {
        check_f32(&t32, e << 23, true);
        check_f32(&t32, (e << 23) | 0x80000000u, true);
    }
    /* Neighbours of the class boundaries. */
    static const uint64_t edges64[] = {
        0x0000000000000001u, 0x0000000000000002u, 0x000ffffffffffffeu,
        0x000fffffffffffffu, 0x0010000000000001u, 0x7fefffffffffffffu,
        0x7feffffffffffffeu, 0x3fefffffffffffffu, 0x3ff0000000000001u,
    };
    for (size_t i = 0; i < N_ELEMS(edges64); i++) {
        check_f64(&t64, edges64[i], true);
        check_f64(&t64, edges64[i] | 0x8000000000000000u, true);
    }
    static const uint32_t edges32[] = {
        0x00000001u, 0x00000002u, 0x007ffffeu, 0x007fffffu,
        0x00800001u, 0x7f7fffffu, 0x7f7ffffeu, 0x3f7fffffu, 0x3f800001u,
    };
    for (size_t i = 0; i < N_ELEMS(edges32); i++) {
        check_f32(&t32, edges32[i], true);
        check_f32(&t32, edges32[i] | 0x80000000u, true);
    }
    /* Random bit patterns: every exponent and sign, NaNs and subnormals
     * included; each tenth also checked for being the shortest. */
    for (int i = 0; i < 100000; i++) {
        check_f64(&t64, rnd(), i % 10 == 0);
        check_f32(&t32, (uint32_t)rnd(), i % 10 == 0);
    }
    /* Subnormals specifically, which random patterns rarely hit. */
    for (int i = 0; i < 3000; i++) {
        check_f64(&t64, rnd() & 0x800fffffffffffffu, i % 10 == 0);
        check_f32(&t32, (uint32_t)rnd() & 0x807fffffu, i % 10 == 0);
    }
    /* Short decimals, the values people store. */
    for (int i = 0; i < 3000; i++) {
        char text[32];
        snprintf(text, sizeof text, "%lld.%03lld",
                 (long long)(rnd() % 2000000) - 1000000,
                 (long long)(rnd() % 1000));
        uint64_t b64;
        uint32_t b32;
        assert_int_equal(parse(&t64, text, &b64), ZEROIPC_OK);
        assert_int_equal(parse(&t32, text, &b32), ZEROIPC_OK);
        assert_int_equal(b64, bits_of_f64(strtod(text, NULL)));
        assert_int_equal(b32, bits_of_f32(strtof(text, NULL)));
        check_f64(&t64, b64, true);
        check_f32(&t32, b32, true);
    }
}

/* 5^k in decimal, most significant digit first. */
static size_t pow5(unsigned k, char *out, size_t cap)
{
    unsigned char d[1024] = {1}; /* little-endian decimal digits */
    size_t n = 1;
    for (unsigned i = 0; i < k; i++) {
        unsigned carry = 0;
        for (size_t j = 0; j < n; j++) {
            unsigned v = d[j] * 5u + carry;
            d[j] = (unsigned char)(v % 10);
            carry = v / 10;
        }
        if (carry)
            d[n++] = (unsigned char)carry;
    }
    assert_true(n < cap);
    for (size_t j = 0; j < n; j++)
        out[j] = (char)('0' + d[n - 1 - j]);
    out[n] = '\0';
    return n;
}

/* Inputs longer than any buffer: the digits past the 800th still decide
 * rounding at exact halfway points. */
static void test_float_long_input(void **state)
{
    (void)state;
    zeroipc_type_t t64 = type_of("f64"), t32 = type_of("f32");
    static char text[8192];
    char digits[1024];
    uint64_t b64;
    uint32_t b32;

    /* 2^-1075, halfway between 0 and the least subnormal, has 752
     * significant digits: exactly it rounds to even (0); anything above,
     * however far down, rounds up. */
    size_t n = pow5(1075, digits, sizeof digits);
    assert_int_equal(n, 752);
    snprintf(text, sizeof text, "%se-1075", digits);
    assert_int_equal(parse(&t64, text, &b64), ZEROIPC_OK);
    assert_int_equal(b64, 0);
    snprintf(text, sizeof text, "-%s%0300de-1375", digits, 0);
    assert_int_equal(parse(&t64, text, &b64), ZEROIPC_OK);
    assert_int_equal(b64, 0x8000000000000000u);
    snprintf(text, sizeof text, "%s%0300de-1375", digits, 1);
    assert_int_equal(parse(&t64, text, &b64), ZEROIPC_OK);
    assert_int_equal(b64, 1);
    /* Likewise just below it, written as 0.000...: rounds down. */
    char below[1024];
    strcpy(below, digits);
    below[n - 1]--; /* ...125 -> ...124 */
    snprintf(text, sizeof text, "0.%0*d%s%s", 1075 - (int)n, 0, below,
             "99999999999999999999");
    assert_int_equal(parse(&t64, text, &b64), ZEROIPC_OK);
    assert_int_equal(b64, 0);

    /* The same at 2^-150 for f32, with the deciding digit 1000 places in. */
    n = pow5(150, digits, sizeof digits);
    snprintf(text, sizeof text, "%se-150", digits);
    assert_int_equal(parse(&t32, text, &b32), ZEROIPC_OK);
    assert_int_equal(b32, 0);
    snprintf(text, sizeof text, "%s%01000de-1150", digits, 1);
    assert_int_equal(parse(&t32, text, &b32), ZEROIPC_OK);
    assert_int_equal(b32, 1);

    /* 1 + 2^-53, halfway between 1 and its successor. */
    const char *half = "1.00000000000000011102230246251565404236316680908203125";
    assert_int_equal(parse(&t64, half, &b64), ZEROIPC_OK);
    assert_int_equal(b64, 0x3ff0000000000000u);
    snprintf(text, sizeof text, "%s%03000d", half, 1);
    assert_int_equal(parse(&t64, text, &b64), ZEROIPC_OK);
    assert_int_equal(b64, 0x3ff0000000000001u);
    snprintf(text, sizeof text, "%s%03000d", half, 0);
    assert_int_equal(parse(&t64, text, &b64), ZEROIPC_OK);
    assert_int_equal(b64, 0x3ff0000000000000u);

    /* Thousands of leading zeros, before and after the point. */
    snprintf(text, sizeof text, "%04000d1.5", 0);
    assert_int_equal(parse(&t64, text, &b64), ZEROIPC_OK);
    assert_int_equal(b64, bits_of_f64(1.5));
    snprintf(text, sizeof text, "0.%04000d15e4001", 0);
    assert_int_equal(parse(&t64, text, &b64), ZEROIPC_OK);
    assert_int_equal(b64, bits_of_f64(1.5));
    /* And a 4000-digit integer, which overflows. */
    snprintf(text, sizeof text, "1%04000d", 0);
    expect_reject(&t64, text, strlen(text));
    snprintf(text, sizeof text, "1%04000de-4000", 0);
    assert_int_equal(parse(&t64, text, &b64), ZEROIPC_OK);
    assert_int_equal(b64, bits_of_f64(1.0));
}

/*
 * Neither direction depends on LC_NUMERIC.  Runs only where a locale with
 * a decimal comma is installed (LOCPATH pointing at the output of
 * "localedef -i de_DE -f UTF-8 DIR/de_DE.UTF-8" will do).
 */
static void test_float_locale(void **state)
{
    (void)state;
    static const char *const names[] = {"de_DE.UTF-8", "de_DE.utf8",
                                        "fr_FR.UTF-8", "fr_FR.utf8",
                                        "ru_RU.UTF-8", "nl_NL.UTF-8"};
    const char *got = NULL;
    for (size_t i = 0; i < N_ELEMS(names) && got == NULL; i++)
        got = setlocale(LC_NUMERIC, names[i]);
    if (got == NULL)
        skip();
    /* libc itself now writes a comma, so the check below means something. */
    char probe[8];
    snprintf(probe, sizeof probe, "%.1f", 1.5);
    zeroipc_type_t t = type_of("f64");
    double d = 1.5;
    uint64_t b;
    const char *out = fmt(&t, &d);
    int formatted_ok = strcmp(out, "1.5") == 0;
    int parsed_ok = parse(&t, "2.25", &b) == ZEROIPC_OK &&
                    b == bits_of_f64(2.25);
    setlocale(LC_NUMERIC, "C");
    assert_string_equal(probe, "1,5");
    assert_true(formatted_ok);
    assert_true(parsed_ok);
}

/* ----------------------------------------------------------- strings */

/* A strN element holding the first n bytes of s, NUL-padded. */
static void set_str(unsigned char *elem, uint32_t size, const char *s,
                    size_t n)
{
    memset(elem, 0, size);
    memcpy(elem, s, n);
}

static void test_string_text(void **state)
{
    (void)state;
    static const struct {
        const char *spec;
        const char *bytes; /* the string, up to its NUL */
        size_t n;
        const char *text;
    } cases[] = {
        {"str8", "", 0, ""},
        {"str8", "hello", 5, "hello"},
        {"str8", "a b", 3, "a b"}, /* one field: spaces as they are */
        {"str8", " lead", 5, " lead"},
        {"str8", "trail ", 6, "trail "},
        {"str8", "tab\there", 8, "tab\\there"},
        {"str8", "nl\n", 3, "nl\\n"},
        {"str8", "back\\", 5, "back\\\\"},
        {"str8", "\r", 1, "\\x0d"},
        {"str8", "\x01\x1f\x7f", 3, "\\x01\\x1f\\x7f"},
        {"str8", "\x80\xff", 2, "\\x80\\xff"},
        {"str8", "caf\xc3\xa9", 5, "caf\\xc3\\xa9"},
        {"str8", "~!\"#'", 5, "~!\"#'"},
        {"str4", "full", 4, "full"}, /* exactly N bytes: no NUL at all */
        {"str1", "x", 1, "x"},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        zeroipc_type_t t = type_of(cases[i].spec);
        unsigned char elem[16], back[16];
        set_str(elem, t.size, cases[i].bytes, cases[i].n);
        assert_string_equal(fmt(&t, elem), cases[i].text);
        memset(back, 0xee, sizeof back);
        assert_int_equal(parse(&t, cases[i].text, back), ZEROIPC_OK);
        assert_memory_equal(back, elem, t.size);
    }

    /* In a record a space would end the field, and an empty string would
     * leave no field at all. */
    zeroipc_type_t t = type_of("str8,u8");
    unsigned char elem[9];
    set_str(elem, 8, "a b", 3);
    elem[8] = 7;
    assert_string_equal(fmt(&t, elem), "a\\x20b 7");
    set_str(elem, 8, "", 0);
    assert_string_equal(fmt(&t, elem), "\\x00 7");
    unsigned char back[9];
    assert_int_equal(parse(&t, "\\x00 7", back), ZEROIPC_OK);
    assert_memory_equal(back, elem, sizeof elem);

    /* What follows the first NUL is padding: not shown. */
    t = type_of("str8");
    unsigned char padded[8] = {'a', 'b', 0, 'c', 'd', 0, 0, 'e'};
    assert_string_equal(fmt(&t, padded), "ab");
}

static void test_string_input(void **state)
{
    (void)state;
    static const struct text_case cases[] = {
        /* Escapes in either case of hex, raw bytes as themselves. */
        {"str8", "\\x41\\x4A\\x4a", "AJJ"},
        {"str8", "\\x20x\\x20", " x "},
        {"str8", "caf\xc3\xa9", "caf\\xc3\\xa9"},
        {"str8", "a\tb", "a\\tb"}, /* a raw tab is content here */
        {"str8", "\x01", "\\x01"},
        /* \x00 stores a NUL: the rest is kept but hidden. */
        {"str8", "ab\\x00cd", "ab"},
        {"str8", "\\x00", ""},
        /* A CR at the end is the rest of a CRLF; elsewhere it is content. */
        {"str8", "abc\r", "abc"},
        {"str8", "a\rb", "a\\x0db"},
        {"str8", "abc\r\r", "abc\\x0d"},
        {"str8", "\\x0d", "\\x0d"},
        {"str8", "", ""},
        {"str8", "        ", "        "},
        {"str4", "abcd", "abcd"},
        {"str4", "abcde", NULL},
        {"str4", "abcde\r", NULL},
        {"str4", "ab\\x41\\x42", "abAB"},
        {"str4", "ab\\x41\\x42\\x43", NULL},
        {"str4", "\\\\\\\\\\\\\\\\", "\\\\\\\\\\\\\\\\"},
        {"str4", "\\\\\\\\\\\\\\\\\\\\", NULL},
        /* Malformed escapes. */
        {"str8", "\\", NULL}, {"str8", "a\\", NULL}, {"str8", "\\q", NULL},
        {"str8", "\\r", NULL}, {"str8", "\\0", NULL}, {"str8", "\\X41", NULL},
        {"str8", "\\x", NULL}, {"str8", "\\x4", NULL}, {"str8", "\\x4g", NULL},
        {"str8", "\\xg4", NULL}, {"str8", "\\x 4", NULL}, {"str8", "\\ ", NULL},
        {"str8", "\\\"", NULL}, {"str8", "\\u0041", NULL},
        /* In a record: blanks separate, so fields are tokens. */
        {"str4,str4", "ab cd", "ab cd"},
        {"str4,str4", "  ab \t cd\r", "ab cd"},
        {"str4,str4", "a\\x20b c", "a\\x20b c"},
        {"str4,str4", "\\x00 \\x00", "\\x00 \\x00"},
        {"str4,str4", "ab", NULL},
        {"str4,str4", "a b c", NULL},
        {"str4,str4", "abcde f", NULL},
        {"str4,str4", "", NULL},
    };
    run_text_cases(cases, N_ELEMS(cases));
}

/* Every byte value survives the trip, alone and inside a record. */
static void test_string_all_bytes(void **state)
{
    (void)state;
    zeroipc_type_t one = type_of("str1"), rec = type_of("str1,str3");
    for (unsigned b = 0; b < 256; b++) {
        unsigned char elem[4] = {(unsigned char)b, (unsigned char)b,
                                 (unsigned char)b, 0};
        unsigned char back[4];
        const char *out = fmt(&one, elem);
        for (const char *p = out; *p != '\0'; p++)
            assert_true(*p >= 0x20 && *p < 0x7f);
        memset(back, 0xee, sizeof back);
        assert_int_equal(parse(&one, out, back), ZEROIPC_OK);
        assert_int_equal(back[0], b);

        out = fmt(&rec, elem);
        for (const char *p = out; *p != '\0'; p++)
            assert_true((*p > 0x20 && *p < 0x7f) || (*p == ' ' && p > out));
        assert_int_equal(strchr(out, ' ') - out, strrchr(out, ' ') - out);
        memset(back, 0xee, sizeof back);
        assert_int_equal(parse(&rec, out, back), ZEROIPC_OK);
        assert_memory_equal(back, elem, 4);
    }

    /* All 255 non-NUL bytes in one string. */
    zeroipc_type_t t = type_of("str255");
    unsigned char all[255], back[255];
    for (int i = 0; i < 255; i++)
        all[i] = (unsigned char)(i + 1);
    const char *out = fmt(&t, all);
    /* 158 bytes as \xHH, \t \n and \\ as two, the 94 others as one. */
    assert_int_equal(strlen(out), 158 * 4 + 3 * 2 + 94);
    assert_int_equal(parse(&t, out, back), ZEROIPC_OK);
    assert_memory_equal(back, all, sizeof all);
}

static void test_string_random(void **state)
{
    (void)state;
    zeroipc_type_t one = type_of("str40"), rec = type_of("u8,str40,str3");
    for (int i = 0; i < 3000; i++) {
        unsigned char elem[48], back[48];
        memset(elem, 0, sizeof elem);
        size_t n = rnd() % 41;
        for (size_t k = 0; k < n; k++) {
            /* Skewed towards the bytes that need care. */
            static const char special[] = " \\\t\n\rx";
            elem[k] = rnd() % 4 ? (unsigned char)(1 + rnd() % 255)
                                : (unsigned char)special[rnd() % 6];
        }
        memset(back, 0xee, sizeof back);
        assert_int_equal(parse(&one, fmt(&one, elem), back), ZEROIPC_OK);
        assert_memory_equal(back, elem, one.size);

        unsigned char relem[44];
        memset(relem, 0, sizeof relem);
        relem[0] = (unsigned char)rnd();
        memcpy(relem + 1, elem, 40);
        if (rnd() & 1)
            memcpy(relem + 41, "a\\", 2);
        memset(back, 0xee, sizeof back);
        assert_int_equal(parse(&rec, fmt(&rec, relem), back), ZEROIPC_OK);
        assert_memory_equal(back, relem, rec.size);
    }
}

/* ------------------------------------------------------------- bytes */

static void test_bytes(void **state)
{
    (void)state;
    static const struct text_case cases[] = {
        {"bytes1", "00", "00"}, {"bytes1", "ff", "ff"}, {"bytes1", "FF", "ff"},
        {"bytes1", "aB", "ab"}, {"bytes1", " 7f\t", "7f"},
        {"bytes4", "deadBEEF", "deadbeef"},
        {"bytes4", "00000000", "00000000"},
        {"bytes1", "", NULL}, {"bytes1", "0", NULL}, {"bytes1", "000", NULL},
        {"bytes1", "0g", NULL}, {"bytes1", "0x", NULL},
        {"bytes4", "0xdeadbe", NULL}, {"bytes4", "deadbeef00", NULL},
        {"bytes4", "dead beef", NULL}, {"bytes4", "de:ad:be:ef", NULL},
        {"bytes4", "deadbee", NULL}, {"bytes4", "\\xdeadbeef", NULL},
        {"bytes2,bytes1", "0102 03", "0102 03"},
        {"bytes2,bytes1", "010203", NULL},
    };
    run_text_cases(cases, N_ELEMS(cases));

    zeroipc_type_t t = type_of("bytes24");
    for (int i = 0; i < 2000; i++) {
        unsigned char elem[24], back[24];
        rnd_fill(elem, sizeof elem);
        const char *out = fmt(&t, elem);
        assert_int_equal(strlen(out), 48);
        for (const char *p = out; *p != '\0'; p++)
            assert_true((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'));
        assert_int_equal(parse(&t, out, back), ZEROIPC_OK);
        assert_memory_equal(back, elem, sizeof elem);
    }
    /* Long enough to cross the formatter's chunks. */
    t = type_of("bytes1000");
    static unsigned char big[1000], bigback[1000];
    rnd_fill(big, sizeof big);
    assert_int_equal(parse(&t, fmt(&t, big), bigback), ZEROIPC_OK);
    assert_memory_equal(bigback, big, sizeof big);
}

/* ----------------------------------------------------------- records */

struct point {
    float x, y;
    uint64_t t;
};

static void test_record(void **state)
{
    (void)state;
    /* The p_points vector of the shared test vectors. */
    zeroipc_type_t t = type_of("f32,f32,u64");
    assert_int_equal(t.size, sizeof(struct point));
    assert_int_equal(t.field[1].offset, offsetof(struct point, y));
    assert_int_equal(t.field[2].offset, offsetof(struct point, t));
    struct point p[3] = {{1.0f, 2.0f, 1000}, {-3.5f, 4.25f, 2000}, {0, 0, 0}};
    assert_string_equal(fmt(&t, &p[0]), "1 2 1000");
    assert_string_equal(fmt(&t, &p[1]), "-3.5 4.25 2000");
    assert_string_equal(fmt(&t, &p[2]), "0 0 0");
    struct point q;
    assert_int_equal(parse(&t, " -3.5\t4.25   2000 \r", &q), ZEROIPC_OK);
    assert_memory_equal(&q, &p[1], sizeof q);

    static const struct text_case cases[] = {
        {"f32,f32,u64", "1 2 0x10", "1 2 16"},
        {"f32,f32,u64", "inf -nan 0", "inf -nan 0"},
        {"f32,f32,u64", "1 2", NULL},
        {"f32,f32,u64", "1 2 3 4", NULL},
        {"f32,f32,u64", "1,2,3", NULL},
        {"f32,f32,u64", "1 2 -3", NULL},
        {"f32,f32,u64", "1 1e39 3", NULL},
        {"f32,f32,u64", "", NULL},
        {"i8,i16,i32,i64", "-128 -32768 -2147483648 -9223372036854775808",
         "-128 -32768 -2147483648 -9223372036854775808"},
        {"i8,i16,i32,i64", "-128 -32768 -2147483648 9223372036854775808",
         NULL},
        {"u8,str5,bytes2,f64", "255 hi\\x20yo 00ff 0.1",
         "255 hi\\x20yo 00ff 0.1"},
        {"u8,str5,bytes2,f64", "255 hi yo 00ff 0.1", NULL},
        {"u8,str5,bytes2,f64", "255 toolong 00ff 0.1", NULL},
    };
    run_text_cases(cases, N_ELEMS(cases));

    /* Sixteen fields, the most there are. */
    zeroipc_type_t w = type_of("u8,i8,u16,i16,u32,i32,u64,i64,f32,f64,str3,"
                               "bytes2,u8,u8,u8,u8");
    const char *line = "255 -128 65535 -32768 4294967295 -2147483648 "
                       "18446744073709551615 -9223372036854775808 0.5 -0.25 "
                       "a\\\\b 0a0b 1 2 3 4";
    unsigned char elem[128];
    assert_int_equal(parse(&w, line, elem), ZEROIPC_OK);
    assert_string_equal(fmt(&w, elem), line);
}

/* Padding comes out zero, and nothing is written when any field fails. */
static void test_record_atomic(void **state)
{
    (void)state;
    zeroipc_type_t t = type_of("u8,u64,str2,u16");
    assert_int_equal(t.size, 24);
    unsigned char elem[24];
    memset(elem, 0xa5, sizeof elem);
    assert_int_equal(parse(&t, "1 2 x 3", elem), ZEROIPC_OK);
    static const unsigned char gaps[] = {1, 2, 3, 4, 5, 6, 7, 17, 20, 21,
                                         22, 23};
    for (size_t i = 0; i < N_ELEMS(gaps); i++)
        assert_int_equal(elem[gaps[i]], 0);
    assert_int_equal(elem[0], 1);
    assert_int_equal(elem[16], 'x');

    /* A bad last field, a bad first one, one too many or too few. */
    static const char *const bad[] = {
        "1 2 x 65536", "256 2 x 3", "1 2 x 3 4", "1 2 x", "1 2 xyz 3",
        "1 2 \\q 3",   "1 2.5 x 3", "1 2 x 3\n",
    };
    for (size_t i = 0; i < N_ELEMS(bad); i++)
        expect_reject(&t, bad[i], strlen(bad[i]));
}

/* ------------------------------------------------- buffers and bounds */

static void test_format_buffer(void **state)
{
    (void)state;
    zeroipc_type_t t = type_of("i32,str8,f64");
    unsigned char elem[24];
    assert_int_equal(parse(&t, "-12345 a\\tb 0.1", elem), ZEROIPC_OK);
    const char *want = "-12345 a\\tb 0.1";
    size_t need = strlen(want);

    char buf[64];
    size_t n;
    /* Measure only. */
    assert_int_equal(zeroipc_codec_format(&t, elem, NULL, 0, &n),
                     ZEROIPC_ERROR_SIZE);
    assert_int_equal(n, need);
    for (size_t len = 0; len < need; len++) {
        memset(buf, '#', sizeof buf);
        n = 0;
        assert_int_equal(zeroipc_codec_format(&t, elem, buf, len, &n),
                         ZEROIPC_ERROR_SIZE);
        assert_int_equal(n, need);
        for (size_t k = len; k < sizeof buf; k++)
            assert_int_equal(buf[k], '#');
    }
    memset(buf, '#', sizeof buf);
    assert_int_equal(zeroipc_codec_format(&t, elem, buf, need, &n), ZEROIPC_OK);
    assert_int_equal(n, need);
    assert_memory_equal(buf, want, need);
    assert_int_equal(buf[need], '#'); /* no NUL */

    /* An empty text fits in nothing. */
    t = type_of("str4");
    memset(elem, 0, sizeof elem);
    assert_int_equal(zeroipc_codec_format(&t, elem, NULL, 0, &n), ZEROIPC_OK);
    assert_int_equal(n, 0);
}

/* Format random bytes of many types: never longer than max_text, and the
 * longest forms reach it exactly. */
static void test_max_text_bound(void **state)
{
    (void)state;
    static const char *const specs[] = {
        "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64",
        "str1", "str7", "bytes3", "f32,f32,u64", "u8,str5,bytes2,f64,i16",
        "str2,str2,str2,str2",
    };
    for (size_t s = 0; s < N_ELEMS(specs); s++) {
        zeroipc_type_t t = type_of(specs[s]);
        size_t max = zeroipc_codec_max_text(&t);
        for (int i = 0; i < 2000; i++) {
            unsigned char elem[64];
            char buf[256];
            size_t n;
            rnd_fill(elem, t.size);
            assert_int_equal(zeroipc_codec_format(&t, elem, buf, max, &n),
                             ZEROIPC_OK);
            assert_true(n <= max);
        }
    }
    /* The worst cases themselves. */
    static const struct {
        const char *spec, *in;
    } worst[] = {
        {"i8", "-128"}, {"i16", "-32768"}, {"i32", "-2147483648"},
        {"i64", "-9223372036854775808"}, {"u8", "255"}, {"u16", "65535"},
        {"u32", "4294967295"}, {"u64", "18446744073709551615"},
        {"f64", "-2.2250738585072014e-308"},
        {"f32", "-1.00000005e15"},
        {"str3", "\\x01\\x02\\x03"},
        {"bytes3", "000000"},
        {"f32,str1,f64", "-1.00000005e15 \\x7f -2.2250738585072014e-308"},
    };
    for (size_t i = 0; i < N_ELEMS(worst); i++) {
        zeroipc_type_t t = type_of(worst[i].spec);
        unsigned char elem[64];
        assert_int_equal(parse(&t, worst[i].in, elem), ZEROIPC_OK);
        const char *out = fmt(&t, elem);
        if (strlen(out) != zeroipc_codec_max_text(&t))
            fail_msg("%s \"%s\" -> \"%s\": %zu, max_text %zu", worst[i].spec,
                     worst[i].in, out, strlen(out), zeroipc_codec_max_text(&t));
    }
}

/* Elements at odd addresses, as slots of odd sizes in a segment are. */
static void test_unaligned(void **state)
{
    (void)state;
    zeroipc_type_t t = type_of("u8,f64,i16,u32");
    unsigned char raw[64];
    for (size_t off = 1; off < 8; off++) {
        void *elem = raw + off;
        assert_int_equal(parse(&t, "1 -2.5 -3 4", elem), ZEROIPC_OK);
        assert_string_equal(fmt(&t, elem), "1 -2.5 -3 4");
    }
    zeroipc_type_t d = type_of("f64");
    assert_int_equal(parse(&d, "0.1", raw + 3), ZEROIPC_OK);
    assert_string_equal(fmt(&d, raw + 3), "0.1");
}

static void test_invalid_arguments(void **state)
{
    (void)state;
    zeroipc_type_t t = type_of("u32");
    unsigned char elem[8] = {0};
    char buf[32];
    size_t n;
    assert_int_equal(zeroipc_codec_format(NULL, elem, buf, sizeof buf, &n),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_codec_format(&t, NULL, buf, sizeof buf, &n),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_codec_format(&t, elem, NULL, 4, &n),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_codec_format(&t, elem, buf, sizeof buf, NULL),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_codec_parse(NULL, "1", 1, elem),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_codec_parse(&t, NULL, 0, elem),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_codec_parse(&t, "1", 1, NULL),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);

    /* Types not made by zeroipc_type_parse are checked, not trusted. */
    zeroipc_type_t bad[7];
    for (size_t i = 0; i < N_ELEMS(bad); i++)
        bad[i] = type_of("u8,u32");
    memset(&bad[0], 0, sizeof bad[0]);        /* zeroed */
    bad[1].nfields = ZEROIPC_TYPE_MAX_FIELDS + 1;
    bad[2].field[1].offset = 5;               /* past the end */
    bad[3].field[1].kind = 99;                /* no such kind */
    bad[4].field[1].size = 3;                 /* a u32 of 3 bytes */
    bad[5].size = ZEROIPC_TYPE_MAX_SIZE + 8;  /* too big */
    bad[6].field[0].kind = 0;
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        assert_int_equal(zeroipc_codec_format(&bad[i], elem, buf, sizeof buf,
                                              &n),
                         ZEROIPC_ERROR_INVALID_ARGUMENT);
        assert_int_equal(zeroipc_codec_parse(&bad[i], "1 2", 3, elem),
                         ZEROIPC_ERROR_INVALID_ARGUMENT);
        assert_int_equal(zeroipc_type_format(&bad[i], buf, sizeof buf),
                         ZEROIPC_ERROR_INVALID_ARGUMENT);
        assert_int_equal(zeroipc_codec_max_text(&bad[i]), 0);
        assert_int_equal(zeroipc_type_size(&bad[i]), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_parse_accepts),
        cmocka_unit_test(test_type_parse_rejects),
        cmocka_unit_test(test_type_format),
        cmocka_unit_test(test_type_size_and_max_text),
        cmocka_unit_test(test_int_text),
        cmocka_unit_test(test_int_round_trip),
        cmocka_unit_test(test_float_text),
        cmocka_unit_test(test_float_specials),
        cmocka_unit_test(test_float_round_trip),
        cmocka_unit_test(test_float_long_input),
        cmocka_unit_test(test_float_locale),
        cmocka_unit_test(test_string_text),
        cmocka_unit_test(test_string_input),
        cmocka_unit_test(test_string_all_bytes),
        cmocka_unit_test(test_string_random),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_record),
        cmocka_unit_test(test_record_atomic),
        cmocka_unit_test(test_format_buffer),
        cmocka_unit_test(test_max_text_bound),
        cmocka_unit_test(test_unaligned),
        cmocka_unit_test(test_invalid_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
