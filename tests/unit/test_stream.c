/* test_stream.c - zeroipc_stream_*: the two-entry layout, the stream of
 * the test vectors read and reproduced byte for byte, create/open errors
 * and corrupt headers, emit/next/shutdown semantics, waiting and waking
 * across threads, and the operators: derive (labels, types, errors), pump
 * (map, filter, take, skip, fold, chains), the claim and the source
 * reference checks. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "unit_common.h"

static zeroipc_stream_t *sv[UT_MAX];
static zeroipc_future_t *fv[UT_MAX];

static int s_teardown(void **state)
{
    for (int i = 0; i < UT_MAX; i++) {
        zeroipc_stream_close(sv[i]);
        zeroipc_future_close(fv[i]);
        sv[i] = NULL;
        fv[i] = NULL;
    }
    return ut_teardown(state);
}

#define S_TEST(fn) cmocka_unit_test_setup_teardown(fn, ut_setup, s_teardown)

static zeroipc_stream_t *keep(zeroipc_stream_t *s)
{
    for (int i = 0; s && i < UT_MAX; i++)
        if (!sv[i]) {
            sv[i] = s;
            return s;
        }
    if (s)
        fail_msg("too many streams");
    return s;
}

static zeroipc_future_t *keepf(zeroipc_future_t *f)
{
    for (int i = 0; f && i < UT_MAX; i++)
        if (!fv[i]) {
            fv[i] = f;
            return f;
        }
    if (f)
        fail_msg("too many futures");
    return f;
}

static zeroipc_stream_t *mk(zeroipc_memory_t *m, const char *name, size_t es, size_t cap)
{
    zeroipc_stream_t *s = zeroipc_stream_create(m, name, es, cap);
    if (s == NULL)
        fail_msg("create %s: %d", name, (int)zeroipc_last_error());
    return keep(s);
}

static zeroipc_stream_t *der(zeroipc_memory_t *m, const char *name, zeroipc_stream_t *src,
                             const char *type, const char *op, size_t cap)
{
    zeroipc_stream_t *s = zeroipc_stream_derive(m, name, src, type, op, cap);
    if (s == NULL)
        fail_msg("derive %s '%s': %d", name, op, (int)zeroipc_last_error());
    return keep(s);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static bool vec_path(char *buf, size_t n, const char *file)
{
    const char *dir = getenv("ZEROIPC_VECTORS");
    if (dir == NULL || *dir == '\0')
        return false;
    snprintf(buf, n, "%s/%s", dir, file);
    return access(buf, R_OK) == 0;
}

static void same_entry(zeroipc_memory_t *a, zeroipc_memory_t *b, const char *name)
{
    size_t oa, sa, ob, sb;
    ut_find(a, name, &oa, &sa);
    ut_find(b, name, &ob, &sb);
    assert_int_equal(sa, sb);
    assert_memory_equal(ut_at(a, oa), ut_at(b, ob), sa);
}

static void emit_i32(zeroipc_stream_t *s, int32_t v)
{
    assert_int_equal(zeroipc_stream_emit(s, &v), ZEROIPC_OK);
}

/* Pumps d until it reports CLOSED or nothing more moves; returns the last code. */
static int pump_all(zeroipc_stream_t *d)
{
    int r;
    size_t n;
    for (int i = 0; i < 10000; i++) {
        r = zeroipc_stream_pump(d, &n);
        if (r != ZEROIPC_OK || n == 0)
            return r;
    }
    return r;
}

/* ------------------------------------------------------------------ */

static void test_layout_vectors(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "sv", 8192, 8);
    zeroipc_stream_t *s = mk(m, "strm", 4, 8);
    zeroipc_entry_t e[3];
    size_t n = 0;
    assert_int_equal(zeroipc_table_entries(m, e, 3, &n), ZEROIPC_OK);
    assert_int_equal(n, 2);
    assert_string_equal(e[0].name, "strm_header");
    assert_string_equal(e[1].name, "strm_buffer");
    assert_int_equal(e[0].size, 56);
    assert_int_equal(e[1].size, 56);
    for (int32_t i = 1; i <= 5; i++)
        emit_i32(s, i);
    int32_t v = 0;
    assert_int_equal(zeroipc_stream_next(s, &v), ZEROIPC_OK);
    assert_int_equal(v, 1);
    assert_int_equal(zeroipc_stream_sequence(s), 5);
    assert_int_equal(zeroipc_stream_size(s), 4);
    assert_int_equal(zeroipc_stream_elem_size(s), 4);
    assert_int_equal(zeroipc_stream_capacity(s), 8);
    assert_int_equal(zeroipc_stream_is_derived(s), 0);
    assert_int_equal(zeroipc_stream_validate(ut_at(m, e[0].offset), 56), ZEROIPC_OK);
    assert_int_equal(zeroipc_stream_validate(ut_at(m, e[0].offset), 48), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_stream_validate(NULL, 56), ZEROIPC_ERROR_WRONG_KIND);
    uint8_t want[56] = {0};
    uint64_t seq = 5;
    uint32_t cap = 8;
    memcpy(want, &seq, 8);
    memcpy(want + 16, &cap, 4);
    assert_memory_equal(ut_at(m, e[0].offset), want, 56);

    char path[4096], seg[ZT_NAME_MAX];
    if (!vec_path(path, sizeof path, "cpp_all.seg"))
        skip();
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t img[112];
    assert_int_equal(fseek(f, 6008, SEEK_SET), 0);
    assert_int_equal(fread(img, 1, 112, f), 112);
    fclose(f);
    /* Byte for byte: header and ring. */
    assert_memory_equal(ut_at(m, e[0].offset), img, 56);
    assert_memory_equal(ut_at(m, e[1].offset), img + 56, 56);
    /* The C++ stream through our API. */
    assert_int_equal(zt_copy_to_shm(path, seg, "sw"), 0);
    zeroipc_memory_t *c = ut_open(seg);
    zeroipc_stream_t *cs = keep(zeroipc_stream_open(c, "strm"));
    assert_non_null(cs);
    same_entry(m, c, "strm_header");
    same_entry(m, c, "strm_buffer");
    assert_int_equal(zeroipc_stream_elem_size(cs), 4);
    assert_int_equal(zeroipc_stream_capacity(cs), 8);
    assert_int_equal(zeroipc_stream_sequence(cs), 5);
    assert_int_equal(zeroipc_stream_closed(cs), 0);
    assert_int_equal(zeroipc_stream_subscribers(cs), 0);
    char label[40];
    assert_int_equal(zeroipc_stream_label(cs, label, sizeof label), ZEROIPC_OK);
    assert_string_equal(label, "");
    for (int32_t i = 2; i <= 5; i++) {
        assert_int_equal(zeroipc_stream_try_next(cs, &v), ZEROIPC_OK);
        assert_int_equal(v, i);
    }
    assert_int_equal(zeroipc_stream_try_next(cs, &v), ZEROIPC_ERROR_NOT_FOUND);
    /* Other kinds do not open as streams. */
    UT_EXPECT_NULL(zeroipc_stream_open(c, "ring_i32"), ZEROIPC_ERROR_NOT_FOUND);
    UT_EXPECT_NULL(zeroipc_stream_open(c, "chb"), ZEROIPC_ERROR_WRONG_KIND);
}

static void test_errors(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "se", 16384, 16);
    char name[40];
    UT_EXPECT_NULL(zeroipc_stream_create(NULL, "s", 4, 8), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_stream_create(m, NULL, 4, 8), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_stream_create(m, "", 4, 8), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_stream_create(m, "s", 0, 8), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_stream_create(m, "s", 4, 0), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_stream_create(m, "s", 4, (size_t)1 << 31), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_stream_create(m, "s", 4, 100000), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_stream_create(m, ut_len_name(name, 25, 's'), 4, 8),
                   ZEROIPC_ERROR_NAME_TOO_LONG);
    UT_EXPECT_NULL(zeroipc_stream_open(m, name), ZEROIPC_ERROR_NAME_TOO_LONG);
    mk(m, ut_len_name(name, 24, 's'), 4, 8);
    assert_non_null(keep(zeroipc_stream_open(m, name)));
    UT_EXPECT_NULL(zeroipc_stream_create(m, name, 4, 8), ZEROIPC_ERROR_ALREADY_EXISTS);
    assert_int_equal(zeroipc_table_add(m, "t_buffer", 8, NULL), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_stream_create(m, "t", 4, 8), ZEROIPC_ERROR_ALREADY_EXISTS);
    UT_EXPECT_NULL(zeroipc_stream_open(m, "t"), ZEROIPC_ERROR_NOT_FOUND);
    UT_EXPECT_NULL(zeroipc_stream_open(NULL, "t"), ZEROIPC_ERROR_INVALID_ARGUMENT);
    /* Missing or wrong companions. */
    size_t off;
    assert_int_equal(zeroipc_table_add(m, "a_header", 56, &off), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_stream_open(m, "a"), ZEROIPC_ERROR_WRONG_KIND); /* capacity 0 */
    ut_set32(m, off + 16, 4);
    UT_EXPECT_NULL(zeroipc_stream_open(m, "a"), ZEROIPC_ERROR_CORRUPT); /* no buffer */
    assert_int_equal(zeroipc_table_add(m, "a_buffer", 40, NULL), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_stream_open(m, "a"), ZEROIPC_ERROR_CORRUPT); /* not a ring */
    zeroipc_ring_close(zeroipc_ring_create(m, "b_buffer", 4, 3));
    assert_int_equal(zeroipc_table_add(m, "b_header", 56, &off), ZEROIPC_OK);
    ut_set32(m, off + 16, 4); /* 4 elements, ring of 12 bytes: mismatch */
    UT_EXPECT_NULL(zeroipc_stream_open(m, "b"), ZEROIPC_ERROR_CORRUPT);
    ut_set32(m, off + 16, 3);
    assert_non_null(keep(zeroipc_stream_open(m, "b")));
    *ut_at(m, off + 12) = 2; /* closed flag 2 */
    UT_EXPECT_NULL(zeroipc_stream_open(m, "b"), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_table_add(m, "c_header", 48, NULL), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_stream_open(m, "c"), ZEROIPC_ERROR_WRONG_KIND);
    /* A derived type byte that does not fit the element size. */
    zeroipc_stream_t *src = mk(m, "src", 4, 4);
    der(m, "d", src, "i32", "map neg", 4);
    ut_find(m, "d_header", &off, NULL);
    *ut_at(m, off + 13) = 4; /* i64 */
    UT_EXPECT_NULL(zeroipc_stream_open(m, "d"), ZEROIPC_ERROR_CORRUPT);
    /* Table full: nothing made. */
    zeroipc_memory_t *t = ut_seg(NULL, "sf", 8192, 3);
    assert_int_equal(zeroipc_table_add(t, "x", 8, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_add(t, "y", 8, NULL), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_stream_create(t, "s", 4, 8), ZEROIPC_ERROR_TABLE_FULL);
    assert_int_equal(zeroipc_table_count(t), 2);
}

static void test_corrupt_live(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "sc", 8192, 8);
    zeroipc_stream_t *s = mk(m, "s", 4, 4);
    size_t ho, ro;
    ut_find(m, "s_header", &ho, NULL);
    ut_find(m, "s_buffer", &ro, NULL);
    int32_t v = 1;
    *ut_at(m, ho + 12) = 7;
    assert_int_equal(zeroipc_stream_emit(s, &v), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_stream_next_timeout(s, &v, 10), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_stream_closed(s), ZEROIPC_ERROR_CORRUPT);
    *ut_at(m, ho + 12) = 0;
    /* Impossible positions: write ahead by more than the capacity. */
    ut_set64(m, ro, 1000);
    assert_int_equal(zeroipc_stream_emit(s, &v), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_stream_next(s, &v), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_stream_try_next(s, &v), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_stream_emit_timeout(s, &v, 10), ZEROIPC_ERROR_CORRUPT);
    ut_set64(m, ro, 0);
    assert_int_equal(zeroipc_stream_emit(s, &v), ZEROIPC_OK);
}

static void test_semantics(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "sm", 8192, 8);
    zeroipc_stream_t *s = mk(m, "s", 4, 3);
    int32_t v;
    assert_int_equal(zeroipc_stream_try_next(s, &v), ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_stream_next_timeout(s, &v, 0), ZEROIPC_ERROR_TIMEOUT);
    int64_t t0 = zt_now_ms();
    assert_int_equal(zeroipc_stream_next_timeout(s, &v, 50), ZEROIPC_ERROR_TIMEOUT);
    assert_true(zt_now_ms() - t0 >= 49);
    for (int32_t i = 0; i < 3; i++)
        emit_i32(s, i);
    v = 9;
    assert_int_equal(zeroipc_stream_emit(s, &v), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_stream_emit_timeout(s, &v, 0), ZEROIPC_ERROR_TIMEOUT);
    t0 = zt_now_ms();
    assert_int_equal(zeroipc_stream_emit_timeout(s, &v, 40), ZEROIPC_ERROR_TIMEOUT);
    assert_true(zt_now_ms() - t0 >= 39);
    assert_int_equal(zeroipc_stream_sequence(s), 3);
    assert_int_equal(zeroipc_stream_next(s, &v), ZEROIPC_OK);
    assert_int_equal(v, 0);
    v = 3;
    assert_int_equal(zeroipc_stream_emit_wait(s, &v), ZEROIPC_OK);
    assert_int_equal(zeroipc_stream_shutdown(s), ZEROIPC_OK);
    assert_int_equal(zeroipc_stream_shutdown(s), ZEROIPC_OK);
    assert_int_equal(zeroipc_stream_closed(s), 1);
    assert_int_equal(zeroipc_stream_emit(s, &v), ZEROIPC_ERROR_CLOSED);
    assert_int_equal(zeroipc_stream_emit_wait(s, &v), ZEROIPC_ERROR_CLOSED);
    for (int32_t i = 1; i <= 3; i++) {
        assert_int_equal(zeroipc_stream_next(s, &v), ZEROIPC_OK);
        assert_int_equal(v, i);
    }
    assert_int_equal(zeroipc_stream_next(s, &v), ZEROIPC_ERROR_CLOSED);
    assert_int_equal(zeroipc_stream_try_next(s, &v), ZEROIPC_ERROR_CLOSED);
    assert_int_equal(zeroipc_stream_next_timeout(s, &v, 10), ZEROIPC_ERROR_CLOSED);
    assert_int_equal(zeroipc_stream_sequence(s), 4);
    /* Subscribers. */
    assert_int_equal(zeroipc_stream_unsubscribe(s), ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_stream_subscribe(s), ZEROIPC_OK);
    assert_int_equal(zeroipc_stream_subscribe(s), ZEROIPC_OK);
    assert_int_equal(zeroipc_stream_subscribers(s), 2);
    assert_int_equal(zeroipc_stream_unsubscribe(s), ZEROIPC_OK);
    assert_int_equal(zeroipc_stream_subscribers(s), 1);
    size_t off;
    ut_find(m, "s_header", &off, NULL);
    assert_int_equal(ut_get32(m, off + 8), 1);
    /* A foreign label of 32 bytes without NUL is copied bounded. */
    memset(ut_at(m, off + 20), 'L', 32);
    char lab[40], small[4];
    assert_int_equal(zeroipc_stream_label(s, lab, sizeof lab), ZEROIPC_OK);
    assert_int_equal(strlen(lab), 32);
    assert_int_equal(zeroipc_stream_label(s, small, sizeof small), ZEROIPC_ERROR_SIZE);
    assert_string_equal(small, "LLL");
    /* NULLs. */
    assert_int_equal(zeroipc_stream_emit(NULL, &v), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stream_emit(s, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stream_next(NULL, &v), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stream_next(s, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stream_try_next(NULL, &v), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stream_shutdown(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stream_closed(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stream_subscribe(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stream_unsubscribe(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stream_is_derived(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stream_label(NULL, lab, 4), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stream_label(s, lab, 0), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stream_pump(NULL, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stream_pump(s, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stream_sequence(NULL), 0);
    assert_int_equal(zeroipc_stream_size(NULL), 0);
    assert_int_equal(zeroipc_stream_subscribers(NULL), 0);
    assert_int_equal(zeroipc_stream_elem_size(NULL), 0);
    assert_int_equal(zeroipc_stream_capacity(NULL), 0);
    zeroipc_stream_close(NULL);
}

/* ------------------------------------------------------------------ */
/* Threads. */

struct th {
    zeroipc_stream_t *s;
    int rc;
    int32_t v;
};

static void *next_fn(void *p)
{
    struct th *t = p;
    t->rc = zeroipc_stream_next_timeout(t->s, &t->v, 5000);
    return NULL;
}

static void *emit_fn(void *p)
{
    struct th *t = p;
    t->rc = zeroipc_stream_emit_timeout(t->s, &t->v, 5000);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "st", 8192, 8);
    zeroipc_stream_t *s = mk(m, "s", 4, 2);
    pthread_t t;
    /* A sleeping reader is woken by an emit. */
    struct th r = {s, -1, 0};
    assert_int_equal(pthread_create(&t, NULL, next_fn, &r), 0);
    sleep_ms(20);
    int64_t t0 = zt_now_ms();
    emit_i32(s, 77);
    pthread_join(t, NULL);
    assert_int_equal(r.rc, ZEROIPC_OK);
    assert_int_equal(r.v, 77);
    assert_true(zt_now_ms() - t0 < 500);
    /* A blocked emitter is woken by a read. */
    emit_i32(s, 1);
    emit_i32(s, 2);
    struct th w = {s, -1, 3};
    assert_int_equal(pthread_create(&t, NULL, emit_fn, &w), 0);
    sleep_ms(20);
    int32_t v;
    assert_int_equal(zeroipc_stream_next(s, &v), ZEROIPC_OK);
    pthread_join(t, NULL);
    assert_int_equal(w.rc, ZEROIPC_OK);
    /* A blocked emitter sees the close. */
    struct th w2 = {s, -1, 4};
    assert_int_equal(pthread_create(&t, NULL, emit_fn, &w2), 0);
    sleep_ms(20);
    assert_int_equal(zeroipc_stream_shutdown(s), ZEROIPC_OK);
    pthread_join(t, NULL);
    assert_int_equal(w2.rc, ZEROIPC_ERROR_CLOSED);
    /* A sleeping reader sees the close after draining. */
    zeroipc_stream_t *q = mk(m, "q", 4, 2);
    struct th r2 = {q, -1, 0};
    assert_int_equal(pthread_create(&t, NULL, next_fn, &r2), 0);
    sleep_ms(20);
    t0 = zt_now_ms();
    assert_int_equal(zeroipc_stream_shutdown(q), ZEROIPC_OK);
    pthread_join(t, NULL);
    assert_int_equal(r2.rc, ZEROIPC_ERROR_CLOSED);
    assert_true(zt_now_ms() - t0 < 500);
}

/* ------------------------------------------------------------------ */
/* Operators. */

static void label_is(zeroipc_stream_t *s, const char *want)
{
    char buf[40];
    assert_int_equal(zeroipc_stream_label(s, buf, sizeof buf), ZEROIPC_OK);
    assert_string_equal(buf, want);
}

static void test_derive_errors(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "sd", 1 << 16, 64);
    zeroipc_stream_t *src = mk(m, "src", 4, 16);
    static const char *const bad[] = {
        "", "map", "map add", "map add x", "map pow 2", "map neg 1", "filter",
        "filter gt", "filter gt 1 2", "take", "take -1", "take 01", "take x",
        "skip", "fold", "fold avg", "fold sum 1", "reduce sum", "map div 0",
        "map add 3000000000", "take 18446744073709551616", "MAP neg",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        zeroipc_stream_t *d = zeroipc_stream_derive(m, "d", src, "i32", bad[i], 4);
        if (d != NULL || zeroipc_last_error() != ZEROIPC_ERROR_INVALID_ARGUMENT)
            fail_msg("'%s' -> %p, %d", bad[i], (void *)d, (int)zeroipc_last_error());
    }
    UT_EXPECT_NULL(zeroipc_stream_derive(m, "d", src, "i32", "skip 4294967296", 4),
                   ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_stream_derive(m, "d", src, "i64", "map neg", 4),
                   ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_stream_derive(m, "d", src, "str4", "map neg", 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_stream_derive(m, "d", src, "i16,i16", "map neg", 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_stream_derive(m, "d", src, "bogus", "map neg", 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_stream_derive(m, "d", NULL, "i32", "map neg", 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_stream_derive(m, "d", src, NULL, "map neg", 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_stream_derive(m, "d", src, "i32", NULL, 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_stream_derive(NULL, "d", src, "i32", "map neg", 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_stream_derive(m, "d", src, "i32", "map neg", 0),
                   ZEROIPC_ERROR_SIZE);
    /* Canonical text over 23 bytes. */
    zeroipc_stream_t *s64 = mk(m, "s64", 8, 4);
    UT_EXPECT_NULL(zeroipc_stream_derive(m, "d", s64, "f64", "filter lt 0.30000000000000004", 4),
                   ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_stream_derive(m, "d", s64, "i64", "map add -9223372036854775808", 4),
                   ZEROIPC_ERROR_SIZE);
    /* Another segment. */
    zeroipc_memory_t *o = ut_seg(NULL, "so", 8192, 8);
    UT_EXPECT_NULL(zeroipc_stream_derive(o, "d", src, "i32", "map neg", 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    /* Canonical labels; derived streams refuse emit. */
    zeroipc_stream_t *d = der(m, "d1", src, " i32 ", "map   add  0x10", 4);
    label_is(d, "map add 16");
    assert_int_equal(zeroipc_stream_is_derived(d), 1);
    int32_t v = 1;
    assert_int_equal(zeroipc_stream_emit(d, &v), ZEROIPC_ERROR_INVALID_ARGUMENT);
    label_is(der(m, "d2", s64, "f64", "filter lt 1e100", 4), "filter lt 1e+100");
    label_is(der(m, "d3", s64, "f64", "map mul 0.1", 4), "map mul 0.1");
    label_is(der(m, "d4", src, "i32", "take 0", 4), "take 0");
    label_is(der(m, "d5", src, "u32", "fold max", 4), "fold max");
    label_is(der(m, "d6", src, "f32", "map div 0", 4), "map div 0");
    /* The derived header: type, marker, source reference. */
    size_t so, dof;
    ut_find(m, "src_header", &so, NULL);
    ut_find(m, "d1_header", &dof, NULL);
    assert_int_equal(*ut_at(m, dof + 13), ZEROIPC_FIELD_I32);
    assert_int_equal(*ut_at(m, dof + 14), 1);
    assert_int_equal(*ut_at(m, dof + 15), 0);
    assert_int_equal(ut_get32(m, dof + 44), 0);
    assert_int_equal(ut_get32(m, dof + 48), 0);
    assert_int_equal(ut_get32(m, dof + 52), so / 8);
    /* A fold's three entries. */
    size_t fo, fs;
    ut_find(m, "d5", &fo, &fs);
    assert_int_equal(fs, 280);
    ut_find(m, "d5_buffer", &fo, &fs);
    assert_int_equal(fs, 24 + 4);
    /* Reopened, a derived stream is derived. */
    zeroipc_stream_t *r = keep(zeroipc_stream_open(m, "d1"));
    assert_non_null(r);
    assert_int_equal(zeroipc_stream_is_derived(r), 1);
    label_is(r, "map add 16");
}

static void expect_i32(zeroipc_stream_t *d, const int32_t *want, size_t n, bool closed)
{
    for (size_t i = 0; i < n; i++) {
        int32_t v = 0;
        int r = zeroipc_stream_try_next(d, &v);
        if (r != ZEROIPC_OK || v != want[i])
            fail_msg("element %zu: rc %d value %d, want %d", i, r, (int)v, (int)want[i]);
    }
    int32_t v;
    assert_int_equal(zeroipc_stream_try_next(d, &v),
                     closed ? ZEROIPC_ERROR_CLOSED : ZEROIPC_ERROR_NOT_FOUND);
}

static void test_pump_i32(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "sp", 1 << 17, 64);
    zeroipc_stream_t *src = mk(m, "src", 4, 64);
    zeroipc_stream_t *mp = der(m, "mp", src, "i32", "map mul -2", 64);
    (void)mp;
    for (int32_t i = 1; i <= 10; i++)
        emit_i32(src, i);
    size_t n = 99;
    assert_int_equal(zeroipc_stream_pump(mp, &n), ZEROIPC_OK);
    assert_int_equal(n, 10);
    assert_int_equal(zeroipc_stream_pump(mp, &n), ZEROIPC_OK);
    assert_int_equal(n, 0);
    assert_int_equal(zeroipc_stream_pump_timeout(mp, &n, 0), ZEROIPC_ERROR_TIMEOUT);
    int64_t t0 = zt_now_ms();
    assert_int_equal(zeroipc_stream_pump_timeout(mp, &n, 40), ZEROIPC_ERROR_TIMEOUT);
    assert_true(zt_now_ms() - t0 >= 39);
    int32_t want[10];
    for (int i = 0; i < 10; i++)
        want[i] = -2 * (i + 1);
    expect_i32(mp, want, 10, false);
    assert_int_equal(zeroipc_stream_sequence(mp), 10);
    assert_int_equal(zeroipc_stream_shutdown(src), ZEROIPC_OK);
    assert_int_equal(zeroipc_stream_pump(mp, &n), ZEROIPC_ERROR_CLOSED);
    assert_int_equal(zeroipc_stream_closed(mp), 1);
    assert_int_equal(zeroipc_stream_pump(mp, &n), ZEROIPC_ERROR_CLOSED);
    expect_i32(mp, NULL, 0, true);

    /* Each operator on one list. */
    static const int32_t in[] = {5, -3, 12, 0, 7, 10, 11, -20, 2147483647, -2147483647 - 1};
    const size_t nin = sizeof in / sizeof in[0];
    struct {
        const char *op;
        int32_t out[12];
        size_t n;
    } cases[] = {
        {"map add 5", {10, 2, 17, 5, 12, 15, 16, -15, -2147483644, -2147483643}, 10},
        {"map sub 1", {4, -4, 11, -1, 6, 9, 10, -21, 2147483646, 2147483647}, 10},
        {"map div -3", {-1, 1, -4, 0, -2, -3, -3, 6, -715827882, 715827882}, 10},
        {"map div -1", {-5, 3, -12, 0, -7, -10, -11, 20, -2147483647, -2147483647 - 1}, 10},
        {"map neg", {-5, 3, -12, 0, -7, -10, -11, 20, -2147483647, -2147483647 - 1}, 10},
        {"map abs", {5, 3, 12, 0, 7, 10, 11, 20, 2147483647, -2147483647 - 1}, 10},
        {"filter gt 10", {12, 11, 2147483647}, 3},
        {"filter ge 10", {12, 10, 11, 2147483647}, 4},
        {"filter lt 0", {-3, -20, -2147483647 - 1}, 3},
        {"filter le 0", {-3, 0, -20, -2147483647 - 1}, 4},
        {"filter eq 7", {7}, 1},
        {"filter ne 7", {5, -3, 12, 0, 10, 11, -20, 2147483647, -2147483647 - 1}, 9},
        {"take 3", {5, -3, 12}, 3},
        {"take 0", {0}, 0},
        {"take 100", {5, -3, 12, 0, 7, 10, 11, -20, 2147483647, -2147483647 - 1}, 10},
        {"skip 7", {-20, 2147483647, -2147483647 - 1}, 3},
        {"skip 0", {5, -3, 12, 0, 7, 10, 11, -20, 2147483647, -2147483647 - 1}, 10},
        {"skip 50", {0}, 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char nm[16];
        snprintf(nm, sizeof nm, "c%zu", c);
        zeroipc_memory_t *mm = ut_seg(NULL, "sq", 8192, 8);
        zeroipc_stream_t *s = mk(mm, "s", 4, 16);
        zeroipc_stream_t *d = der(mm, nm, s, "i32", cases[c].op, 16);
        for (size_t i = 0; i < nin; i++)
            emit_i32(s, in[i]);
        assert_int_equal(zeroipc_stream_shutdown(s), ZEROIPC_OK);
        assert_int_equal(pump_all(d), ZEROIPC_ERROR_CLOSED);
        expect_i32(d, cases[c].out, cases[c].n, true);
        zeroipc_stream_close(d);
        zeroipc_stream_close(s);
        for (int i = 0; i < UT_MAX; i++)
            if (sv[i] == d || sv[i] == s)
                sv[i] = NULL;
        ut_close_mem(mm);
    }
}

static void test_pump_flow(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "sw", 1 << 17, 64);
    /* Backpressure: a derived buffer of 4 takes 4 at a time, the source
     * keeps the rest; take closes before the source does. */
    zeroipc_stream_t *src = mk(m, "src", 4, 32);
    zeroipc_stream_t *d = der(m, "d", src, "i32", "map add 1", 4);
    for (int32_t i = 0; i < 10; i++)
        emit_i32(src, i);
    size_t n;
    assert_int_equal(zeroipc_stream_pump(d, &n), ZEROIPC_OK);
    assert_int_equal(n, 4);
    assert_int_equal(zeroipc_stream_size(src), 6);
    assert_int_equal(zeroipc_stream_pump(d, &n), ZEROIPC_OK);
    assert_int_equal(n, 0);
    int32_t v;
    for (int32_t i = 0; i < 10; i++) {
        if (i % 4 == 0)
            assert_int_equal(zeroipc_stream_pump(d, &n), ZEROIPC_OK);
        assert_int_equal(zeroipc_stream_try_next(d, &v), ZEROIPC_OK);
        assert_int_equal(v, i + 1);
    }
    /* take N stops before the source is closed; the rest stays there. */
    zeroipc_stream_t *s2 = mk(m, "s2", 4, 32);
    zeroipc_stream_t *tk = der(m, "tk", s2, "i32", "take 3", 8);
    for (int32_t i = 0; i < 5; i++)
        emit_i32(s2, i);
    assert_int_equal(pump_all(tk), ZEROIPC_ERROR_CLOSED);
    assert_int_equal(zeroipc_stream_size(s2), 2);
    assert_int_equal(zeroipc_stream_closed(tk), 1);
    /* skip's progress is kept across pumps. */
    zeroipc_stream_t *s3 = mk(m, "s3", 4, 32);
    zeroipc_stream_t *sk = der(m, "sk", s3, "i32", "skip 3", 8);
    emit_i32(s3, 1);
    emit_i32(s3, 2);
    assert_int_equal(zeroipc_stream_pump(sk, &n), ZEROIPC_OK);
    assert_int_equal(n, 2);
    size_t off;
    ut_find(m, "sk_header", &off, NULL);
    assert_int_equal(ut_get32(m, off + 44), 2);
    emit_i32(s3, 3);
    emit_i32(s3, 4);
    emit_i32(s3, 5);
    assert_int_equal(zeroipc_stream_pump(sk, &n), ZEROIPC_OK);
    assert_int_equal(n, 3);
    int32_t w45[] = {4, 5};
    expect_i32(sk, w45, 2, false);
    /* A chain: skip then map, run from the downstream end first. */
    zeroipc_stream_t *ch = der(m, "ch", sk, "i32", "map mul 10", 8);
    emit_i32(s3, 6);
    assert_int_equal(zeroipc_stream_shutdown(s3), ZEROIPC_OK);
    assert_int_equal(pump_all(sk), ZEROIPC_ERROR_CLOSED);
    assert_int_equal(pump_all(ch), ZEROIPC_ERROR_CLOSED);
    int32_t w60[] = {60};
    expect_i32(ch, w60, 1, true);
}

static void fold_case(const char *type, size_t es, const void *elems, size_t n,
                      const char *op, int want_rc, const void *want, size_t wsize)
{
    zeroipc_memory_t *m = ut_seg(NULL, "sf", 8192, 8);
    zeroipc_stream_t *s = mk(m, "s", es, 16);
    zeroipc_stream_t *d = der(m, "f", s, type, op, 16);
    zeroipc_future_t *f = keepf(zeroipc_future_open(m, "f", wsize));
    assert_non_null(f);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(zeroipc_stream_emit(s, (const uint8_t *)elems + i * es), ZEROIPC_OK);
    assert_int_equal(zeroipc_stream_pump(d, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_future_state(f), ZEROIPC_FUTURE_PENDING);
    assert_int_equal(zeroipc_stream_shutdown(s), ZEROIPC_OK);
    assert_int_equal(zeroipc_stream_pump(d, NULL), ZEROIPC_ERROR_CLOSED);
    uint8_t got[8] = {0};
    assert_int_equal(zeroipc_future_try_get(f, got), want_rc);
    if (want_rc == ZEROIPC_OK) {
        if (memcmp(got, want, wsize) != 0)
            fail_msg("%s %s: wrong result", type, op);
    } else {
        char msg[64];
        assert_int_equal(zeroipc_future_error(f, msg, sizeof msg), ZEROIPC_OK);
        assert_string_equal(msg, want);
    }
}

static void test_fold(void **state)
{
    (void)state;
    int32_t a[] = {4, -9, 17, 3};
    int64_t sum = 15;
    uint64_t cnt = 4;
    int32_t mn = -9, mx = 17;
    fold_case("i32", 4, a, 4, "fold sum", ZEROIPC_OK, &sum, 8);
    fold_case("i32", 4, a, 4, "fold count", ZEROIPC_OK, &cnt, 8);
    fold_case("i32", 4, a, 4, "fold min", ZEROIPC_OK, &mn, 4);
    fold_case("i32", 4, a, 4, "fold max", ZEROIPC_OK, &mx, 4);
    int64_t zero = 0;
    fold_case("i32", 4, a, 0, "fold sum", ZEROIPC_OK, &zero, 8);
    fold_case("i32", 4, a, 0, "fold count", ZEROIPC_OK, &zero, 8);
    fold_case("i32", 4, a, 0, "fold min", ZEROIPC_ERROR_FAILED, "fold min: empty stream", 4);
    fold_case("i32", 4, a, 0, "fold max", ZEROIPC_ERROR_FAILED, "fold max: empty stream", 4);
    uint8_t u[] = {200, 100, 1};
    uint64_t usum = 301;
    uint8_t umax = 200;
    fold_case("u8", 1, u, 3, "fold sum", ZEROIPC_OK, &usum, 8);
    fold_case("u8", 1, u, 3, "fold max", ZEROIPC_OK, &umax, 1);
    double d[] = {1.5, -0.25, 8};
    double dsum = 9.25, dmin = -0.25;
    fold_case("f64", 8, d, 3, "fold sum", ZEROIPC_OK, &dsum, 8);
    fold_case("f64", 8, d, 3, "fold min", ZEROIPC_OK, &dmin, 8);
    float fl[] = {0.5f, 2.5f};
    double fsum = 3.0;
    float fmax = 2.5f;
    fold_case("f32", 4, fl, 2, "fold sum", ZEROIPC_OK, &fsum, 8);
    fold_case("f32", 4, fl, 2, "fold max", ZEROIPC_OK, &fmax, 4);
    int8_t i8[] = {-100, -100};
    int64_t i8sum = -200;
    fold_case("i8", 1, i8, 2, "fold sum", ZEROIPC_OK, &i8sum, 8);
}

/* A fold's result set by someone else never changes: the next pump ends
 * the fold.  And the result's type, by operator and element type. */
static void test_fold_resolved_elsewhere(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "sfr", 1 << 16, 16);
    zeroipc_stream_t *src = mk(m, "src", 4, 8);
    zeroipc_stream_t *d = der(m, "tot", src, "i32", "fold sum", 1);
    char spec[8];
    assert_int_equal(zeroipc_stream_result_type(d, spec, sizeof spec), ZEROIPC_OK);
    assert_string_equal(spec, "i64");
    assert_int_equal(zeroipc_stream_result_type(src, spec, sizeof spec), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_stream_result_type(d, spec, 3), ZEROIPC_ERROR_SIZE);
    zeroipc_stream_t *mx = der(m, "mx", src, "i32", "fold max", 1);
    assert_int_equal(zeroipc_stream_result_type(mx, spec, sizeof spec), ZEROIPC_OK);
    assert_string_equal(spec, "i32");
    zeroipc_future_t *f = keepf(zeroipc_future_open(m, "tot", 8));
    assert_non_null(f);
    int32_t v = 7;
    assert_int_equal(zeroipc_stream_emit(src, &v), ZEROIPC_OK);
    int64_t set = 5, got = 0;
    assert_int_equal(zeroipc_future_set(f, &set), ZEROIPC_OK);
    size_t consumed = 99;
    assert_int_equal(zeroipc_stream_pump(d, &consumed), ZEROIPC_ERROR_CLOSED);
    assert_int_equal(consumed, 0);
    assert_int_equal(zeroipc_future_try_get(f, &got), ZEROIPC_OK);
    assert_int_equal(got, 5);
    assert_int_equal(zeroipc_stream_closed(d), 1);
    /* The element the fold did not take is still the source's. */
    assert_int_equal(zeroipc_stream_size(src), 1);
}

static void test_types(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "sy", 1 << 16, 32);
    /* u8 wraps; i64 MIN / -1 is MIN; f32 arithmetic in f32; abs of -0. */
    zeroipc_stream_t *a = mk(m, "a", 1, 8);
    zeroipc_stream_t *da = der(m, "da", a, "u8", "map add 100", 8);
    zeroipc_stream_t *na = der(m, "na", da, "u8", "map neg", 8);
    uint8_t x = 200, y;
    assert_int_equal(zeroipc_stream_emit(a, &x), ZEROIPC_OK);
    assert_int_equal(zeroipc_stream_pump(da, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_stream_pump(na, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_stream_try_next(na, &y), ZEROIPC_OK);
    assert_int_equal(y, (uint8_t)(0 - (uint8_t)44));
    zeroipc_stream_t *b = mk(m, "b", 8, 8);
    zeroipc_stream_t *db = der(m, "db", b, "i64", "map div -1", 8);
    int64_t mn = INT64_MIN, r;
    assert_int_equal(zeroipc_stream_emit(b, &mn), ZEROIPC_OK);
    mn = 9;
    assert_int_equal(zeroipc_stream_emit(b, &mn), ZEROIPC_OK);
    assert_int_equal(zeroipc_stream_pump(db, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_stream_try_next(db, &r), ZEROIPC_OK);
    assert_true(r == INT64_MIN);
    assert_int_equal(zeroipc_stream_try_next(db, &r), ZEROIPC_OK);
    assert_true(r == -9);
    zeroipc_stream_t *c = mk(m, "c", 4, 8);
    zeroipc_stream_t *dc = der(m, "dc", c, "f32", "map mul 0.1", 8);
    zeroipc_stream_t *ac = der(m, "ac", dc, "f32", "map abs", 8);
    zeroipc_stream_t *fc = der(m, "fc", ac, "f32", "filter ne 0", 8);
    float in[] = {3.0f, -0.0f, -2.0f}, out;
    for (int i = 0; i < 3; i++)
        assert_int_equal(zeroipc_stream_emit(c, &in[i]), ZEROIPC_OK);
    assert_int_equal(zeroipc_stream_pump(dc, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_stream_pump(ac, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_stream_pump(fc, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_stream_try_next(fc, &out), ZEROIPC_OK);
    assert_true(out == 3.0f * 0.1f);
    assert_int_equal(zeroipc_stream_try_next(fc, &out), ZEROIPC_OK);
    assert_true(out == 2.0f * 0.1f);
    assert_int_equal(zeroipc_stream_try_next(fc, &out), ZEROIPC_ERROR_NOT_FOUND);
    /* u64 compares unsigned. */
    zeroipc_stream_t *e = mk(m, "e", 8, 8);
    zeroipc_stream_t *de = der(m, "de", e, "u64", "filter gt 5", 8);
    uint64_t big = UINT64_MAX, small = 3, got;
    assert_int_equal(zeroipc_stream_emit(e, &big), ZEROIPC_OK);
    assert_int_equal(zeroipc_stream_emit(e, &small), ZEROIPC_OK);
    assert_int_equal(zeroipc_stream_pump(de, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_stream_try_next(de, &got), ZEROIPC_OK);
    assert_true(got == UINT64_MAX);
    assert_int_equal(zeroipc_stream_try_next(de, &got), ZEROIPC_ERROR_NOT_FOUND);
}

static void test_claim_and_refs(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "sr", 1 << 16, 32);
    assert_int_equal(zeroipc_table_add(m, "pad", 8, NULL), ZEROIPC_OK);
    zeroipc_stream_t *src = mk(m, "src", 4, 8);
    zeroipc_stream_t *d = der(m, "d", src, "i32", "map neg", 8);
    size_t doff, soff;
    ut_find(m, "d_header", &doff, NULL);
    ut_find(m, "src_header", &soff, NULL);
    emit_i32(src, 1);
    /* A live claim: TIMEOUT, nothing moves; pump_timeout waits for it. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint32_t now = (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
    ut_set32(m, doff + 48, now + 100000);
    size_t n = 7;
    assert_int_equal(zeroipc_stream_pump(d, &n), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(n, 0);
    assert_int_equal(zeroipc_stream_pump_timeout(d, &n, 30), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(zeroipc_stream_size(src), 1);
    /* An expired claim (a dead pumper) is taken over. */
    ut_set32(m, doff + 48, now - 5);
    assert_int_equal(zeroipc_stream_pump(d, &n), ZEROIPC_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ut_get32(m, doff + 48), 0);
    /* The reference survives removing an earlier entry. */
    assert_int_equal(zeroipc_table_remove(m, "pad"), ZEROIPC_OK);
    emit_i32(src, 2);
    assert_int_equal(zeroipc_stream_pump(d, &n), ZEROIPC_OK);
    assert_int_equal(n, 1);
    int32_t want[] = {-1, -2};
    expect_i32(d, want, 2, false);
    /* Bad references: CORRUPT, nothing consumed. */
    emit_i32(src, 3);
    uint32_t ref = ut_get32(m, doff + 52);
    assert_int_equal(ref, soff / 8);
    ut_set32(m, doff + 52, 0);
    assert_int_equal(zeroipc_stream_pump(d, &n), ZEROIPC_ERROR_CORRUPT);
    ut_set32(m, doff + 52, (uint32_t)(doff / 8)); /* itself */
    assert_int_equal(zeroipc_stream_pump(d, &n), ZEROIPC_ERROR_CORRUPT);
    size_t boff;
    ut_find(m, "src_buffer", &boff, NULL);
    ut_set32(m, doff + 52, (uint32_t)(boff / 8)); /* a ring, not a header */
    assert_int_equal(zeroipc_stream_pump(d, &n), ZEROIPC_ERROR_CORRUPT);
    ut_set32(m, doff + 52, (uint32_t)(soff / 8) + 1); /* no entry there */
    assert_int_equal(zeroipc_stream_pump(d, &n), ZEROIPC_ERROR_NOT_FOUND);
    zeroipc_stream_t *wide = mk(m, "wide", 8, 4);
    (void)wide;
    size_t woff;
    ut_find(m, "wide_header", &woff, NULL);
    ut_set32(m, doff + 52, (uint32_t)(woff / 8)); /* element size 8, not 4 */
    assert_int_equal(zeroipc_stream_pump(d, &n), ZEROIPC_ERROR_CORRUPT);
    ut_set32(m, doff + 52, ref);
    /* A corrupt label. */
    char saved[24];
    memcpy(saved, ut_at(m, doff + 20), 24);
    memcpy(ut_at(m, doff + 20), "map frob", 9);
    assert_int_equal(zeroipc_stream_pump(d, &n), ZEROIPC_ERROR_CORRUPT);
    memset(ut_at(m, doff + 20), 'x', 24);
    assert_int_equal(zeroipc_stream_pump(d, &n), ZEROIPC_ERROR_CORRUPT);
    memcpy(ut_at(m, doff + 20), saved, 24);
    assert_int_equal(ut_get32(m, doff + 48), 0); /* every failure released the claim */
    assert_int_equal(zeroipc_stream_size(src), 1);
    assert_int_equal(zeroipc_stream_pump(d, &n), ZEROIPC_OK);
    assert_int_equal(n, 1);
    /* A fold whose future is damaged. */
    zeroipc_stream_t *f = der(m, "f", src, "i32", "fold sum", 1);
    size_t foff;
    ut_find(m, "f", &foff, NULL);
    ut_set32(m, foff, 8);
    assert_int_equal(zeroipc_stream_pump(f, &n), ZEROIPC_ERROR_CORRUPT);
    ut_set32(m, foff, 0);
    assert_int_equal(zeroipc_stream_pump(f, &n), ZEROIPC_OK);
    /* The source removed from the table: NOT_FOUND. */
    assert_int_equal(zeroipc_table_remove(m, "src_header"), ZEROIPC_OK);
    assert_int_equal(zeroipc_stream_pump(d, &n), ZEROIPC_ERROR_NOT_FOUND);
}

struct pumper {
    zeroipc_stream_t *d;
    int rc;
    size_t n;
};

static void *pump_fn(void *p)
{
    struct pumper *q = p;
    q->rc = zeroipc_stream_pump_timeout(q->d, &q->n, 5000);
    return NULL;
}

static void test_pump_wait(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "sx", 1 << 16, 16);
    zeroipc_stream_t *src = mk(m, "src", 4, 8);
    zeroipc_stream_t *d = der(m, "d", src, "i32", "filter ge 0", 2);
    pthread_t t;
    /* Woken by an emit into the source. */
    struct pumper p = {d, -1, 0};
    assert_int_equal(pthread_create(&t, NULL, pump_fn, &p), 0);
    sleep_ms(20);
    int64_t t0 = zt_now_ms();
    emit_i32(src, 5);
    pthread_join(t, NULL);
    assert_int_equal(p.rc, ZEROIPC_OK);
    assert_int_equal(p.n, 1);
    assert_true(zt_now_ms() - t0 < 500);
    /* Woken by room in the derived stream. */
    emit_i32(src, 6);
    assert_int_equal(zeroipc_stream_pump(d, NULL), ZEROIPC_OK);
    emit_i32(src, 7);
    struct pumper q = {d, -1, 0};
    assert_int_equal(pthread_create(&t, NULL, pump_fn, &q), 0);
    sleep_ms(20);
    int32_t v;
    assert_int_equal(zeroipc_stream_try_next(d, &v), ZEROIPC_OK);
    assert_int_equal(v, 5);
    pthread_join(t, NULL);
    assert_int_equal(q.rc, ZEROIPC_OK);
    assert_int_equal(q.n, 1);
    /* Woken by the source's close. */
    struct pumper r = {d, -1, 0};
    assert_int_equal(zeroipc_stream_try_next(d, &v), ZEROIPC_OK);
    assert_int_equal(zeroipc_stream_try_next(d, &v), ZEROIPC_OK);
    assert_int_equal(pthread_create(&t, NULL, pump_fn, &r), 0);
    sleep_ms(20);
    assert_int_equal(zeroipc_stream_shutdown(src), ZEROIPC_OK);
    pthread_join(t, NULL);
    assert_int_equal(r.rc, ZEROIPC_ERROR_CLOSED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        S_TEST(test_layout_vectors),
        S_TEST(test_errors),
        S_TEST(test_corrupt_live),
        S_TEST(test_semantics),
        S_TEST(test_threads),
        S_TEST(test_derive_errors),
        S_TEST(test_pump_i32),
        S_TEST(test_pump_flow),
        S_TEST(test_fold),
        S_TEST(test_fold_resolved_elsewhere),
        S_TEST(test_types),
        S_TEST(test_claim_and_refs),
        S_TEST(test_pump_wait),
    };
    return UT_RUN(tests);
}
