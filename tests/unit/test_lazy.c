/*
 * test_lazy.c - zeroipc_lazy.h: layout against the C struct for every
 * numeric type, the public C++'s bytes (lz_a, lz_b, lz_sum, lz_prod),
 * arithmetic, EXTERNAL, CHAIN and its failures, recovery, corrupt words,
 * and every error path.
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>

#include "unit_common.h"

/* Lazy handles, closed by the teardown even when an assertion fails. */
static zeroipc_lazy_t *lz_kept[256];
static int lz_nkept;

static zeroipc_lazy_t *keep(zeroipc_lazy_t *lz)
{
    if (lz != NULL && lz_nkept < 256)
        lz_kept[lz_nkept++] = lz;
    return lz;
}

static int teardown(void **state)
{
    while (lz_nkept > 0)
        zeroipc_lazy_close(lz_kept[--lz_nkept]);
    return ut_teardown(state);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, ut_setup, teardown)

/* Keeps a handle that must have been made. */
static zeroipc_lazy_t *must(zeroipc_lazy_t *lz, const char *what)
{
    if (lz == NULL)
        fail_msg("%s -> NULL (%d)", what, (int)zeroipc_last_error());
    return keep(lz);
}
#define MUST(expr) must((expr), #expr)

static zeroipc_memory_t *seg(const char **name, size_t entries)
{
    return ut_seg(name, "lazy", 1 << 20, entries);
}

/* ------------------------------------------------------------------ */
/* Layout: the C struct of FORMAT.md, for each T. */

#define LZ_STRUCT(T)                                                          \
    struct lz_##T {                                                           \
        uint32_t state;                                                       \
        struct {                                                              \
            uint32_t op;                                                      \
            union {                                                           \
                T constant;                                                   \
                struct { T a, b; } binary;                                    \
                T unary;                                                      \
                struct { uint32_t first, second; } chain;                     \
                uint32_t external_id;                                         \
            } data;                                                           \
        } computation;                                                        \
        T cached_value;                                                       \
        char error_msg[256];                                                  \
        uint32_t compute_count;                                               \
    }

LZ_STRUCT(int8_t); LZ_STRUCT(int16_t); LZ_STRUCT(int32_t); LZ_STRUCT(int64_t);
LZ_STRUCT(uint8_t); LZ_STRUCT(uint16_t); LZ_STRUCT(uint32_t); LZ_STRUCT(uint64_t);
LZ_STRUCT(float); LZ_STRUCT(double);

/* For type T: create ADD(a, b) and check every field at the C struct's
 * offset before and after forcing. */
#define CHECK_LAYOUT(T, KIND, A, B, SUM)                                      \
    do {                                                                      \
        T a_ = (A), b_ = (B), sum_ = (SUM), got_;                             \
        char nm_[32];                                                         \
        snprintf(nm_, sizeof nm_, "lay_%d", (int)(KIND));                     \
        assert_int_equal(zeroipc_lazy_size(KIND), sizeof(struct lz_##T));     \
        zeroipc_lazy_t *lz_ = MUST(zeroipc_lazy_create_add(m, nm_, KIND, &a_, &b_)); \
        size_t off_, size_;                                                   \
        ut_find(m, nm_, &off_, &size_);                                       \
        assert_int_equal(size_, sizeof(struct lz_##T));                       \
        struct lz_##T img_;                                                   \
        memcpy(&img_, ut_at(m, off_), sizeof img_);                           \
        assert_int_equal(img_.state, 0);                                      \
        assert_int_equal(img_.computation.op, ZEROIPC_LAZY_ADD);              \
        assert_memory_equal(&img_.computation.data.binary.a, &a_, sizeof a_); \
        assert_memory_equal(&img_.computation.data.binary.b, &b_, sizeof b_); \
        assert_int_equal(zeroipc_lazy_force(lz_, &got_), ZEROIPC_OK);         \
        assert_memory_equal(&got_, &sum_, sizeof sum_);                       \
        memcpy(&img_, ut_at(m, off_), sizeof img_);                           \
        assert_int_equal(img_.state, 2);                                      \
        assert_int_equal(img_.compute_count, 1);                              \
        assert_memory_equal(&img_.cached_value, &sum_, sizeof sum_);          \
        assert_int_equal(zeroipc_lazy_elem_size(lz_), sizeof(T));             \
        assert_int_equal(zeroipc_lazy_type(lz_), KIND);                       \
    } while (0)

static void test_layout_every_type(void **state)
{
    (void)state;
    zeroipc_memory_t *m = seg(NULL, 32);
    CHECK_LAYOUT(int8_t, ZEROIPC_FIELD_I8, 100, 100, -56);
    CHECK_LAYOUT(int16_t, ZEROIPC_FIELD_I16, 30000, 30000, -5536);
    CHECK_LAYOUT(int32_t, ZEROIPC_FIELD_I32, INT32_MAX, 1, INT32_MIN);
    CHECK_LAYOUT(int64_t, ZEROIPC_FIELD_I64, INT64_MAX, 2, INT64_MIN + 1);
    CHECK_LAYOUT(uint8_t, ZEROIPC_FIELD_U8, 200, 100, 44);
    CHECK_LAYOUT(uint16_t, ZEROIPC_FIELD_U16, 65535, 2, 1);
    CHECK_LAYOUT(uint32_t, ZEROIPC_FIELD_U32, UINT32_MAX, 5, 4);
    CHECK_LAYOUT(uint64_t, ZEROIPC_FIELD_U64, UINT64_MAX, 3, 2);
    CHECK_LAYOUT(float, ZEROIPC_FIELD_F32, 1.5f, 2.25f, 3.75f);
    CHECK_LAYOUT(double, ZEROIPC_FIELD_F64, 1.5, -0.25, 1.25);
    assert_int_equal(zeroipc_lazy_size(ZEROIPC_FIELD_STR), 0);
    assert_int_equal(zeroipc_lazy_size((zeroipc_field_kind_t)0), 0);
    assert_int_equal(offsetof(struct lz_int32_t, compute_count), 276);
    assert_int_equal(offsetof(struct lz_double, error_msg), 40);
    assert_int_equal(sizeof(struct lz_double), ZEROIPC_LAZY_SIZE_8);
    assert_int_equal(sizeof(struct lz_int8_t), ZEROIPC_LAZY_SIZE_4);
}

/* Multiply and negate wrap; floats follow IEEE. */
static void test_arithmetic(void **state)
{
    (void)state;
    zeroipc_memory_t *m = seg(NULL, 32);
    int8_t a8 = -128, b8 = -1, r8;
    zeroipc_lazy_t *l = MUST(zeroipc_lazy_create_multiply(m, "m8", ZEROIPC_FIELD_I8, &a8, &b8));
    assert_int_equal(zeroipc_lazy_force(l, &r8), ZEROIPC_OK);
    assert_int_equal(r8, -128);
    uint16_t a16 = 65535, r16;
    l = MUST(zeroipc_lazy_create_multiply(m, "m16", ZEROIPC_FIELD_U16, &a16, &a16));
    assert_int_equal(zeroipc_lazy_force(l, &r16), ZEROIPC_OK);
    assert_int_equal(r16, 1);
    int32_t a32 = INT32_MIN, r32;
    l = MUST(zeroipc_lazy_create_negate(m, "n32", ZEROIPC_FIELD_I32, &a32));
    assert_int_equal(zeroipc_lazy_op(l), ZEROIPC_LAZY_NEGATE);
    assert_int_equal(zeroipc_lazy_force(l, &r32), ZEROIPC_OK);
    assert_int_equal(r32, INT32_MIN);
    uint8_t u8 = 1, ru8;
    l = MUST(zeroipc_lazy_create_negate(m, "nu8", ZEROIPC_FIELD_U8, &u8));
    assert_int_equal(zeroipc_lazy_force(l, &ru8), ZEROIPC_OK);
    assert_int_equal(ru8, 255);
    int64_t x = INT64_MIN, y = -1, r64;
    l = MUST(zeroipc_lazy_create_multiply(m, "m64", ZEROIPC_FIELD_I64, &x, &y));
    assert_int_equal(zeroipc_lazy_force(l, &r64), ZEROIPC_OK);
    assert_true(r64 == INT64_MIN);
    double inf = INFINITY, zero = 0.0, rd;
    l = MUST(zeroipc_lazy_create_multiply(m, "mf", ZEROIPC_FIELD_F64, &inf, &zero));
    assert_int_equal(zeroipc_lazy_force(l, &rd), ZEROIPC_OK);
    assert_true(isnan(rd));
    float f = 2.5f, rf;
    l = MUST(zeroipc_lazy_create_negate(m, "nf", ZEROIPC_FIELD_F32, &f));
    assert_int_equal(zeroipc_lazy_force_timeout(l, &rf, 0), ZEROIPC_OK); /* computes at 0 */
    assert_true(rf == -2.5f);
    assert_int_equal(zeroipc_lazy_compute_count(l), 1);
    /* Forcing again returns the cached value and computes nothing. */
    assert_int_equal(zeroipc_lazy_force(l, &rf), ZEROIPC_OK);
    assert_int_equal(zeroipc_lazy_compute_count(l), 1);
}

/* ------------------------------------------------------------------ */
/* The public C++'s bytes (tests/vectors, MANIFEST.md lz_*). */

static uint8_t *load_image(size_t *len)
{
    const char *dir = getenv("ZEROIPC_VECTORS");
    if (dir == NULL)
        return NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/cpp_all.seg", dir);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    uint8_t *buf = malloc(262144);
    *len = buf ? fread(buf, 1, 262144, f) : 0;
    fclose(f);
    return buf;
}

static void test_vectors_bytes(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *img = load_image(&len);
    if (img == NULL || len != 262144) {
        free(img);
        skip();
    }
    zeroipc_memory_t *m = seg(NULL, 32);
    int32_t five = 5, thirty_seven = 37, v;
    zeroipc_lazy_t *a = MUST(zeroipc_lazy_create_constant(m, "lz_a", ZEROIPC_FIELD_I32, &five));
    zeroipc_lazy_t *b = MUST(zeroipc_lazy_create_constant(m, "lz_b", ZEROIPC_FIELD_I32, &thirty_seven));
    /* C++'s add(lz_a, lz_b) holds the operands' values: force them. */
    int32_t va, vb;
    assert_int_equal(zeroipc_lazy_force(a, &va), ZEROIPC_OK);
    assert_int_equal(zeroipc_lazy_force(b, &vb), ZEROIPC_OK);
    zeroipc_lazy_t *s = MUST(zeroipc_lazy_create_add(m, "lz_sum", ZEROIPC_FIELD_I32, &va, &vb));
    MUST(zeroipc_lazy_create_multiply(m, "lz_prod", ZEROIPC_FIELD_I32, &va, &vb));
    assert_int_equal(zeroipc_lazy_force(s, &v), ZEROIPC_OK);
    assert_int_equal(v, 42);
    static const struct { const char *name; size_t off; } want[] = {
        {"lz_a", 4888}, {"lz_b", 5168}, {"lz_sum", 5448}, {"lz_prod", 5728}};
    for (size_t i = 0; i < 4; i++) {
        size_t off, size;
        ut_find(m, want[i].name, &off, &size);
        assert_int_equal(size, 280);
        if (memcmp(ut_at(m, off), img + want[i].off, 280) != 0) {
            free(img);
            fail_msg("%s differs from cpp_all.seg", want[i].name);
        }
    }
    free(img);
}

/* ------------------------------------------------------------------ */
/* CONSTANT, EXTERNAL. */

static void test_constant_and_peek(void **state)
{
    (void)state;
    zeroipc_memory_t *m = seg(NULL, 32);
    double c = 2.75, out = 0;
    zeroipc_lazy_t *l = MUST(zeroipc_lazy_create_constant(m, "c", ZEROIPC_FIELD_F64, &c));
    assert_int_equal(zeroipc_lazy_state(l), ZEROIPC_LAZY_COMPUTED);
    assert_int_equal(zeroipc_lazy_op(l), ZEROIPC_LAZY_CONSTANT);
    assert_int_equal(zeroipc_lazy_compute_count(l), 0);
    assert_int_equal(zeroipc_lazy_peek(l, &out), ZEROIPC_OK);
    assert_true(out == 2.75);
    double a = 1, b = 2;
    zeroipc_lazy_t *s = MUST(zeroipc_lazy_create_add(m, "s", ZEROIPC_FIELD_F64, &a, &b));
    assert_int_equal(zeroipc_lazy_peek(s, &out), ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_lazy_state(s), ZEROIPC_LAZY_NOT_COMPUTED);
    char msg[16];
    assert_int_equal(zeroipc_lazy_error(s, msg, sizeof msg), ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_lazy_chain(s, NULL, NULL, NULL), ZEROIPC_ERROR_WRONG_KIND);
    /* Supply and fail are for EXTERNAL only. */
    assert_int_equal(zeroipc_lazy_supply(s, &a), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_lazy_fail(s, "x"), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_lazy_recover(s), ZEROIPC_ERROR_NOT_FOUND);
}

static void test_external(void **state)
{
    (void)state;
    zeroipc_memory_t *m = seg(NULL, 32);
    int64_t v = 0, in = -77;
    zeroipc_lazy_t *e = MUST(zeroipc_lazy_create_external(m, "ext", ZEROIPC_FIELD_I64, 1234));
    size_t off;
    ut_find(m, "ext", &off, NULL);
    assert_int_equal(ut_get32(m, off + 16), 1234); /* external_id in data */
    assert_int_equal(zeroipc_lazy_op(e), ZEROIPC_LAZY_EXTERNAL);
    int64_t t0 = zt_now_ms();
    assert_int_equal(zeroipc_lazy_force_timeout(e, &v, 60), ZEROIPC_ERROR_TIMEOUT);
    assert_true(zt_now_ms() - t0 >= 55);
    assert_int_equal(zeroipc_lazy_force_timeout(e, &v, 0), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(v, 0);
    assert_int_equal(zeroipc_lazy_supply(e, &in), ZEROIPC_OK);
    assert_int_equal(zeroipc_lazy_supply(e, &in), ZEROIPC_ERROR_ALREADY_SET);
    assert_int_equal(zeroipc_lazy_fail(e, "late"), ZEROIPC_ERROR_ALREADY_SET);
    assert_int_equal(zeroipc_lazy_force(e, &v), ZEROIPC_OK);
    assert_int_equal(v, -77);
    assert_int_equal(zeroipc_lazy_compute_count(e), 1);

    zeroipc_lazy_t *f = MUST(zeroipc_lazy_create_external(m, "extf", ZEROIPC_FIELD_I64, 0));
    char longmsg[400];
    memset(longmsg, 'x', sizeof longmsg - 1);
    longmsg[sizeof longmsg - 1] = '\0';
    assert_int_equal(zeroipc_lazy_fail(f, longmsg), ZEROIPC_OK);
    assert_int_equal(zeroipc_lazy_force(f, &v), ZEROIPC_ERROR_FAILED);
    assert_int_equal(zeroipc_lazy_peek(f, &v), ZEROIPC_ERROR_FAILED);
    assert_int_equal(zeroipc_lazy_state(f), ZEROIPC_LAZY_ERROR);
    char buf[300], small[4];
    assert_int_equal(zeroipc_lazy_error(f, buf, sizeof buf), ZEROIPC_OK);
    assert_int_equal(strlen(buf), 255);
    assert_int_equal(zeroipc_lazy_error(f, small, sizeof small), ZEROIPC_OK);
    assert_string_equal(small, "xxx");
    assert_int_equal(zeroipc_lazy_error(f, small, 0), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_lazy_compute_count(f), 0);
    assert_int_equal(zeroipc_lazy_supply(f, &in), ZEROIPC_ERROR_ALREADY_SET);
}

/* ------------------------------------------------------------------ */
/* CHAIN. */

static uint32_t idx(zeroipc_lazy_t *l)
{
    uint32_t i = UINT32_MAX;
    assert_int_equal(zeroipc_lazy_index(l, &i), ZEROIPC_OK);
    return i;
}

static void expect_error(zeroipc_lazy_t *l, const char *needle)
{
    int32_t v;
    char msg[ZEROIPC_LAZY_ERROR_SIZE];
    assert_int_equal(zeroipc_lazy_force_timeout(l, &v, 2000), ZEROIPC_ERROR_FAILED);
    assert_int_equal(zeroipc_lazy_state(l), ZEROIPC_LAZY_ERROR);
    assert_int_equal(zeroipc_lazy_error(l, msg, sizeof msg), ZEROIPC_OK);
    if (strstr(msg, needle) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", msg, needle);
}

static void test_chain_values(void **state)
{
    (void)state;
    zeroipc_memory_t *m = seg(NULL, 32);
    int32_t five = 5, seven = 7, v;
    zeroipc_lazy_t *a = MUST(zeroipc_lazy_create_constant(m, "a", ZEROIPC_FIELD_I32, &five));
    zeroipc_lazy_t *b = MUST(zeroipc_lazy_create_add(m, "b", ZEROIPC_FIELD_I32, &five, &seven));
    zeroipc_lazy_t *c = MUST(zeroipc_lazy_create_chain(m, "c", ZEROIPC_FIELD_I32,
                                                       ZEROIPC_LAZY_ADD, idx(a), idx(b)));
    zeroipc_lazy_t *d = MUST(zeroipc_lazy_create_chain(m, "d", ZEROIPC_FIELD_I32,
                                                       ZEROIPC_LAZY_MULTIPLY, idx(c), idx(a)));
    zeroipc_lazy_t *e = MUST(zeroipc_lazy_create_chain(m, "e", ZEROIPC_FIELD_I32,
                                                       ZEROIPC_LAZY_NEGATE, idx(d), 99));
    /* ADD is stored as the bare op 4; the others in the high half. */
    size_t off;
    ut_find(m, "c", &off, NULL);
    assert_int_equal(ut_get32(m, off + 4), 4);
    ut_find(m, "d", &off, NULL);
    assert_int_equal(ut_get32(m, off + 4), 4 | 2u << 16);
    int comb;
    uint32_t f, s;
    assert_int_equal(zeroipc_lazy_chain(e, &comb, &f, &s), ZEROIPC_OK);
    assert_int_equal(comb, ZEROIPC_LAZY_NEGATE);
    assert_int_equal(f, idx(d));
    assert_int_equal(s, 0);
    assert_int_equal(zeroipc_lazy_op(e), ZEROIPC_LAZY_CHAIN);
    assert_int_equal(zeroipc_lazy_force(e, &v), ZEROIPC_OK);
    assert_int_equal(v, -85);
    /* Every link was computed once, on the way. */
    assert_int_equal(zeroipc_lazy_compute_count(b), 1);
    assert_int_equal(zeroipc_lazy_compute_count(c), 1);
    assert_int_equal(zeroipc_lazy_compute_count(d), 1);
    assert_int_equal(zeroipc_lazy_compute_count(e), 1);
    assert_int_equal(zeroipc_lazy_peek(c, &v), ZEROIPC_OK);
    assert_int_equal(v, 17);
}

static void test_chain_errors(void **state)
{
    (void)state;
    zeroipc_memory_t *m = seg(NULL, 32);
    int32_t one = 1;
    zeroipc_lazy_t *a = MUST(zeroipc_lazy_create_constant(m, "a", ZEROIPC_FIELD_I32, &one));
    /* Out of range. */
    expect_error(MUST(zeroipc_lazy_create_chain(m, "oor", ZEROIPC_FIELD_I32,
                                                ZEROIPC_LAZY_ADD, idx(a), 1000)),
                 "no table entry 1000");
    /* Not a lazy: an array; a lazy of the other size class. */
    zeroipc_array_t *arr = ut_keep_array(zeroipc_array_create(m, "arr", 4, 10));
    assert_non_null(arr);
    size_t n = zeroipc_table_count(m);
    expect_error(MUST(zeroipc_lazy_create_chain(m, "notlazy", ZEROIPC_FIELD_I32,
                                                ZEROIPC_LAZY_ADD, idx(a), (uint32_t)n - 1)),
                 "is not a lazy");
    double d = 1;
    zeroipc_lazy_t *wide = MUST(zeroipc_lazy_create_constant(m, "wide", ZEROIPC_FIELD_F64, &d));
    expect_error(MUST(zeroipc_lazy_create_chain(m, "mixed", ZEROIPC_FIELD_I32,
                                                ZEROIPC_LAZY_ADD, idx(a), idx(wide))),
                 "is not a lazy");
    /* Self reference: the next entry's index is the table count. */
    uint32_t self = (uint32_t)zeroipc_table_count(m);
    expect_error(MUST(zeroipc_lazy_create_chain(m, "self", ZEROIPC_FIELD_I32,
                                                ZEROIPC_LAZY_ADD, self, idx(a))),
                 "cycle");
    /* A two-cycle, forced from either end. */
    uint32_t p = (uint32_t)zeroipc_table_count(m);
    zeroipc_lazy_t *x = MUST(zeroipc_lazy_create_chain(m, "x", ZEROIPC_FIELD_I32,
                                                       ZEROIPC_LAZY_ADD, idx(a), p + 1));
    zeroipc_lazy_t *y = MUST(zeroipc_lazy_create_chain(m, "y", ZEROIPC_FIELD_I32,
                                                       ZEROIPC_LAZY_MULTIPLY, p, idx(a)));
    expect_error(y, "cycle");
    expect_error(x, "cycle");
    /* An operand in ERROR. */
    zeroipc_lazy_t *ext = MUST(zeroipc_lazy_create_external(m, "ext", ZEROIPC_FIELD_I32, 0));
    assert_int_equal(zeroipc_lazy_fail(ext, "sensor offline"), ZEROIPC_OK);
    expect_error(MUST(zeroipc_lazy_create_chain(m, "bad", ZEROIPC_FIELD_I32,
                                                ZEROIPC_LAZY_ADD, idx(a), idx(ext))),
                 "sensor offline");
}

static void test_chain_external_operand(void **state)
{
    (void)state;
    zeroipc_memory_t *m = seg(NULL, 32);
    int32_t v = 0, in = 40, two = 2;
    zeroipc_lazy_t *e = MUST(zeroipc_lazy_create_external(m, "e", ZEROIPC_FIELD_I32, 7));
    zeroipc_lazy_t *k = MUST(zeroipc_lazy_create_constant(m, "k", ZEROIPC_FIELD_I32, &two));
    zeroipc_lazy_t *c = MUST(zeroipc_lazy_create_chain(m, "c", ZEROIPC_FIELD_I32,
                                                       ZEROIPC_LAZY_ADD, idx(e), idx(k)));
    assert_int_equal(zeroipc_lazy_force_timeout(c, &v, 30), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(zeroipc_lazy_force_timeout(c, &v, 0), ZEROIPC_ERROR_TIMEOUT);
    /* Nothing was claimed while waiting. */
    assert_int_equal(zeroipc_lazy_state(c), ZEROIPC_LAZY_NOT_COMPUTED);
    assert_int_equal(zeroipc_lazy_supply(e, &in), ZEROIPC_OK);
    assert_int_equal(zeroipc_lazy_force(c, &v), ZEROIPC_OK);
    assert_int_equal(v, 42);
}

/* Nesting deeper than ZEROIPC_LAZY_MAX_DEPTH ends in ERROR, not in a
 * stack overflow. */
static void test_chain_depth(void **state)
{
    (void)state;
    zeroipc_memory_t *m = seg(NULL, 256);
    int32_t one = 1, v;
    zeroipc_lazy_t *prev = MUST(zeroipc_lazy_create_constant(m, "base", ZEROIPC_FIELD_I32, &one));
    zeroipc_lazy_t *mid = NULL;
    for (int i = 0; i < ZEROIPC_LAZY_MAX_DEPTH + 10; i++) {
        char nm[16];
        snprintf(nm, sizeof nm, "n%d", i);
        prev = MUST(zeroipc_lazy_create_chain(m, nm, ZEROIPC_FIELD_I32,
                                              ZEROIPC_LAZY_NEGATE, idx(prev), 0));
        if (i == ZEROIPC_LAZY_MAX_DEPTH - 2)
            mid = prev;
    }
    /* Within the bound: fine (and caches the lower half). */
    assert_int_equal(zeroipc_lazy_force(mid, &v), ZEROIPC_OK);
    assert_int_equal(v, ((ZEROIPC_LAZY_MAX_DEPTH - 1) % 2) ? -1 : 1);
    /* The top now only has to go 11 deep to cached values. */
    assert_int_equal(zeroipc_lazy_force(prev, &v), ZEROIPC_OK);

    /* A fresh, uncached tower over the bound fails. */
    prev = MUST(zeroipc_lazy_create_external(m, "root2", ZEROIPC_FIELD_I32, 0));
    zeroipc_lazy_t *root2 = prev;
    for (int i = 0; i < ZEROIPC_LAZY_MAX_DEPTH + 5; i++) {
        char nm[16];
        snprintf(nm, sizeof nm, "t%d", i);
        prev = MUST(zeroipc_lazy_create_chain(m, nm, ZEROIPC_FIELD_I32,
                                              ZEROIPC_LAZY_NEGATE, idx(prev), 0));
    }
    assert_int_equal(zeroipc_lazy_supply(root2, &one), ZEROIPC_OK);
    expect_error(prev, "deeper than");
    /* Only the root failed: a link forced from nearer the bottom works. */
    zeroipc_lazy_t *t10 = MUST(zeroipc_lazy_open(m, "t10", ZEROIPC_FIELD_I32));
    assert_int_equal(zeroipc_lazy_force(t10, &v), ZEROIPC_OK);
    assert_int_equal(v, -1);
}

/* ------------------------------------------------------------------ */
/* A dead computer; corrupt words; open; validate; argument errors. */

static void test_recover(void **state)
{
    (void)state;
    zeroipc_memory_t *m = seg(NULL, 32);
    int32_t a = 20, b = 22, v;
    zeroipc_lazy_t *l = MUST(zeroipc_lazy_create_add(m, "l", ZEROIPC_FIELD_I32, &a, &b));
    size_t off;
    ut_find(m, "l", &off, NULL);
    ut_set32(m, off, ZEROIPC_LAZY_COMPUTING); /* a computer that died */
    int64_t t0 = zt_now_ms();
    assert_int_equal(zeroipc_lazy_force_timeout(l, &v, 50), ZEROIPC_ERROR_TIMEOUT);
    assert_true(zt_now_ms() - t0 >= 45);
    assert_int_equal(zeroipc_lazy_force_timeout(l, &v, 0), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(zeroipc_lazy_recover(l), ZEROIPC_OK);
    assert_int_equal(zeroipc_lazy_recover(l), ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_lazy_force(l, &v), ZEROIPC_OK);
    assert_int_equal(v, 42);
    assert_int_equal(zeroipc_lazy_compute_count(l), 1);
    /* A CONSTANT found NOT_COMPUTED (recovered, or from elsewhere) is its a. */
    zeroipc_lazy_t *c = MUST(zeroipc_lazy_create_constant(m, "c", ZEROIPC_FIELD_I32, &a));
    ut_find(m, "c", &off, NULL);
    ut_set32(m, off, 0);
    memset(ut_at(m, off + 16), 0, 4);
    assert_int_equal(zeroipc_lazy_force(c, &v), ZEROIPC_OK);
    assert_int_equal(v, 20);
}

static void test_corrupt(void **state)
{
    (void)state;
    const char *name;
    zeroipc_memory_t *m = seg(&name, 32);
    int32_t a = 1, v;
    zeroipc_lazy_t *l = MUST(zeroipc_lazy_create_add(m, "l", ZEROIPC_FIELD_I32, &a, &a));
    zeroipc_lazy_t *ch = MUST(zeroipc_lazy_create_chain(m, "ch", ZEROIPC_FIELD_I32,
                                                        ZEROIPC_LAZY_ADD, 0, 0));
    size_t off, coff;
    ut_find(m, "l", &off, NULL);
    ut_find(m, "ch", &coff, NULL);
    ut_set32(m, off, 7);
    assert_int_equal(zeroipc_lazy_force(l, &v), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_lazy_state(l), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_lazy_peek(l, &v), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(ut_get32(m, off), 7); /* nothing written */
    UT_EXPECT_NULL(zeroipc_lazy_open(m, "l", ZEROIPC_FIELD_I32), ZEROIPC_ERROR_WRONG_KIND);
    /* A chain whose operand turned corrupt: ERROR, with a message. */
    expect_error(ch, "is not a lazy");
    ut_set32(m, off, 0);
    ut_set32(m, off + 4, 9); /* unknown op */
    assert_int_equal(zeroipc_lazy_force(l, &v), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_lazy_op(l), ZEROIPC_ERROR_CORRUPT);
    ut_set32(m, off + 4, ZEROIPC_LAZY_ADD | 2u << 16); /* a combiner on ADD */
    assert_int_equal(zeroipc_lazy_force(l, &v), ZEROIPC_ERROR_CORRUPT);
    ut_set32(m, coff + 4, ZEROIPC_LAZY_CHAIN | 9u << 16);
    assert_int_equal(zeroipc_lazy_chain(ch, NULL, NULL, NULL), ZEROIPC_ERROR_CORRUPT);
    ut_set32(m, off + 4, ZEROIPC_LAZY_ADD);
    /* An error message without its NUL is cut at 255 bytes. */
    ut_set32(m, off, ZEROIPC_LAZY_ERROR);
    memset(ut_at(m, off + 20), 'z', 256);
    char buf[400];
    assert_int_equal(zeroipc_lazy_error(l, buf, sizeof buf), ZEROIPC_OK);
    assert_int_equal(strlen(buf), 255);
    /* Shared-memory table corruption under a chain: its operand entry. */
    ut_set32(m, coff, 0);
    ut_set32(m, coff + 4, ZEROIPC_LAZY_CHAIN);
    ut_set64(m, UT_ENTRY(0) + UT_E_OFFSET, 1); /* entry 0 points into the table */
    expect_error(ch, "corrupt");
}

static void test_open_and_validate(void **state)
{
    (void)state;
    zeroipc_memory_t *m = seg(NULL, 32);
    int32_t a = 3, b = 4, v;
    MUST(zeroipc_lazy_create_multiply(m, "l", ZEROIPC_FIELD_I32, &a, &b));
    zeroipc_lazy_t *o = MUST(zeroipc_lazy_open(m, "l", ZEROIPC_FIELD_U32));
    assert_int_equal(zeroipc_lazy_force(o, &v), ZEROIPC_OK);
    assert_int_equal(v, 12);
    UT_EXPECT_NULL(zeroipc_lazy_open(m, "l", ZEROIPC_FIELD_F64), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_lazy_open(m, "l", ZEROIPC_FIELD_STR), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_lazy_open(m, "nope", ZEROIPC_FIELD_I32), ZEROIPC_ERROR_NOT_FOUND);
    UT_EXPECT_NULL(zeroipc_lazy_open(NULL, "l", ZEROIPC_FIELD_I32), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_non_null(ut_keep_array(zeroipc_array_create(m, "arr", 4, 10)));
    UT_EXPECT_NULL(zeroipc_lazy_open(m, "arr", ZEROIPC_FIELD_I32), ZEROIPC_ERROR_WRONG_KIND);

    uint8_t img[304] = {0};
    assert_int_equal(zeroipc_lazy_validate(img, 280), ZEROIPC_OK);
    assert_int_equal(zeroipc_lazy_validate(img, 304), ZEROIPC_OK);
    assert_int_equal(zeroipc_lazy_validate(img, 288), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_lazy_validate(NULL, 280), ZEROIPC_ERROR_WRONG_KIND);
    img[0] = 4;
    assert_int_equal(zeroipc_lazy_validate(img, 280), ZEROIPC_ERROR_WRONG_KIND);
    img[0] = 3;
    img[8] = 6; /* op of the 8-byte layout */
    assert_int_equal(zeroipc_lazy_validate(img, 304), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_lazy_validate(img, 280), ZEROIPC_OK);
    img[4] = 4;
    img[6] = 3; /* CHAIN, NEGATE */
    assert_int_equal(zeroipc_lazy_validate(img, 280), ZEROIPC_OK);
    img[6] = 4;
    assert_int_equal(zeroipc_lazy_validate(img, 280), ZEROIPC_ERROR_WRONG_KIND);
}

static void test_arguments(void **state)
{
    (void)state;
    zeroipc_memory_t *m = seg(NULL, 8);
    int32_t a = 1, v;
    UT_EXPECT_NULL(zeroipc_lazy_create_constant(NULL, "x", ZEROIPC_FIELD_I32, &a),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_lazy_create_constant(m, "x", ZEROIPC_FIELD_I32, NULL),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_lazy_create_add(m, "x", ZEROIPC_FIELD_I32, &a, NULL),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_lazy_create_negate(m, "x", ZEROIPC_FIELD_I32, NULL),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_lazy_create_constant(m, "x", ZEROIPC_FIELD_BYTES, &a),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_lazy_create_chain(m, "x", ZEROIPC_FIELD_I32, ZEROIPC_LAZY_CHAIN, 0, 0),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_lazy_create_external(m, "0123456789012345678901234567890123",
                                                ZEROIPC_FIELD_I32, 0),
                   ZEROIPC_ERROR_NAME_TOO_LONG);
    MUST(zeroipc_lazy_create_constant(m, "x", ZEROIPC_FIELD_I32, &a));
    UT_EXPECT_NULL(zeroipc_lazy_create_constant(m, "x", ZEROIPC_FIELD_I32, &a),
                   ZEROIPC_ERROR_ALREADY_EXISTS);
    zeroipc_memory_t *tiny = ut_seg(NULL, "lazyt", 32 + 48 * 4 + 300, 4);
    MUST(zeroipc_lazy_create_constant(tiny, "a", ZEROIPC_FIELD_I32, &a));
    UT_EXPECT_NULL(zeroipc_lazy_create_constant(tiny, "b", ZEROIPC_FIELD_I32, &a),
                   ZEROIPC_ERROR_SIZE);
    /* NULL handles. */
    assert_int_equal(zeroipc_lazy_force(NULL, &v), ZEROIPC_ERROR_INVALID_ARGUMENT);
    zeroipc_lazy_t *x = MUST(zeroipc_lazy_open(m, "x", ZEROIPC_FIELD_I32));
    assert_int_equal(zeroipc_lazy_force(x, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_lazy_peek(NULL, &v), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_lazy_supply(NULL, &v), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_lazy_supply(x, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_lazy_fail(x, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_lazy_recover(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_lazy_state(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_lazy_op(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_lazy_chain(NULL, NULL, NULL, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_lazy_index(NULL, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_lazy_index(x, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_lazy_error(NULL, NULL, 1), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_lazy_compute_count(NULL), 0);
    assert_int_equal(zeroipc_lazy_elem_size(NULL), 0);
    assert_int_equal(zeroipc_lazy_type(NULL), 0);
    zeroipc_lazy_close(NULL);
    /* The index of a removed entry is gone. */
    assert_int_equal(zeroipc_table_remove(m, "x"), ZEROIPC_OK);
    uint32_t i;
    assert_int_equal(zeroipc_lazy_index(x, &i), ZEROIPC_ERROR_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_layout_every_type),
        T(test_arithmetic),
        T(test_vectors_bytes),
        T(test_constant_and_peek),
        T(test_external),
        T(test_chain_values),
        T(test_chain_errors),
        T(test_chain_external_operand),
        T(test_chain_depth),
        T(test_recover),
        T(test_corrupt),
        T(test_open_and_validate),
        T(test_arguments),
    };
    return UT_RUN(tests);
}
