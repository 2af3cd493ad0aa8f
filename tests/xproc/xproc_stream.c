/*
 * xproc_stream.c - streams across processes.
 *
 * 1. A producer process emits 1,000,000 u32 (0, 1, 2, ...) through a
 *    1024-element stream, waiting for room, then closes it; a consumer
 *    process reads them with zeroipc_stream_next, checks each is the next
 *    in order, and sees ZEROIPC_ERROR_CLOSED right after the last.
 * 2. Operators run by pumping processes: a producer feeds three sources;
 *    "map add 5" -> "filter gt 10" (the filter run by two competing
 *    pumpers, so the claim is exercised), "take 100", and "fold sum" are
 *    each pumped by their own process with zeroipc_stream_pump_timeout;
 *    two reader processes check every element and the end, the parent
 *    the fold's future.
 */
#include "xp.h"

#define N1 1000000u
#define N2 100000
#define N3 1000

static char seg[ZT_NAME_MAX];

static zeroipc_memory_t *child_mem(void)
{
    zeroipc_memory_t *m = zeroipc_memory_open(seg);
    if (!m)
        XP_FAIL("open %s: %d", seg, (int)zeroipc_last_error());
    return m;
}

static zeroipc_stream_t *child_stream(zeroipc_memory_t *m, const char *name)
{
    zeroipc_stream_t *s = zeroipc_stream_open(m, name);
    if (!s)
        XP_FAIL("open stream %s: %d", name, (int)zeroipc_last_error());
    return s;
}

static int producer1(void *p)
{
    (void)p;
    zeroipc_memory_t *m = child_mem();
    zeroipc_stream_t *s = m ? child_stream(m, "s") : NULL;
    if (!s)
        return 2;
    for (uint32_t i = 0; i < N1; i++) {
        int r = zeroipc_stream_emit_timeout(s, &i, 10000);
        if (r != ZEROIPC_OK) {
            XP_FAIL("emit %u: %d", i, r);
            return 3;
        }
    }
    zeroipc_stream_shutdown(s);
    zeroipc_stream_close(s);
    zeroipc_memory_close(m);
    return 0;
}

static int consumer1(void *p)
{
    (void)p;
    zeroipc_memory_t *m = child_mem();
    zeroipc_stream_t *s = m ? child_stream(m, "s") : NULL;
    if (!s)
        return 2;
    for (uint32_t i = 0; i < N1; i++) {
        uint32_t v;
        int r = zeroipc_stream_next_timeout(s, &v, 10000);
        if (r != ZEROIPC_OK || v != i) {
            XP_FAIL("element %u: rc %d value %u", i, r, v);
            return 3;
        }
    }
    uint32_t v;
    int r = zeroipc_stream_next_timeout(s, &v, 10000);
    if (r != ZEROIPC_ERROR_CLOSED) {
        XP_FAIL("after the last: %d", r);
        return 4;
    }
    zeroipc_stream_close(s);
    zeroipc_memory_close(m);
    return 0;
}

static void test_million(void **state)
{
    (void)state;
    zt_segname(seg, "xs");
    zeroipc_memory_t *m = xp_keep_mem(zeroipc_memory_create(seg, 1 << 16, 8));
    assert_non_null(m);
    zeroipc_stream_t *s = zeroipc_stream_create(m, "s", 4, 1024);
    assert_non_null(s);
    xp_keep((void (*)(void *))zeroipc_stream_close, s);
    int pids[2], status[2];
    int64_t t0 = zt_now_ms();
    pids[0] = zt_fork(consumer1, NULL);
    pids[1] = zt_fork(producer1, NULL);
    assert_int_equal(xp_wait_all(pids, 2, 60000, status), 0);
    printf("1,000,000 elements producer -> consumer: %lld ms\n",
           (long long)(zt_now_ms() - t0));
    assert_int_equal(zeroipc_stream_sequence(s), N1);
    assert_int_equal(zeroipc_stream_closed(s), 1);
}

/* ------------------------------------------------------------------ */

static int producer2(void *p)
{
    (void)p;
    zeroipc_memory_t *m = child_mem();
    if (!m)
        return 2;
    zeroipc_stream_t *a = child_stream(m, "a"), *b = child_stream(m, "b"),
                     *c = child_stream(m, "c");
    if (!a || !b || !c)
        return 2;
    for (int32_t i = 0; i < N2; i++) {
        if (zeroipc_stream_emit_timeout(a, &i, 10000) != ZEROIPC_OK ||
            zeroipc_stream_emit_timeout(b, &i, 10000) != ZEROIPC_OK) {
            XP_FAIL("emit %d", (int)i);
            return 3;
        }
        /* c has room for all N3: take stops early and never blocks us. */
        if (i < N3 && zeroipc_stream_emit(c, &i) != ZEROIPC_OK) {
            XP_FAIL("emit c %d", (int)i);
            return 3;
        }
    }
    zeroipc_stream_shutdown(a);
    zeroipc_stream_shutdown(b);
    zeroipc_stream_shutdown(c);
    zeroipc_stream_close(a);
    zeroipc_stream_close(b);
    zeroipc_stream_close(c);
    zeroipc_memory_close(m);
    return 0;
}

static const char *const pumped[] = {"m", "f", "f", "t", "sum"};

static int pumper(void *p)
{
    const char *name = *(const char *const *)p;
    zeroipc_memory_t *m = child_mem();
    zeroipc_stream_t *d = m ? child_stream(m, name) : NULL;
    if (!d)
        return 2;
    int64_t dl = zt_now_ms() + 30000;
    for (;;) {
        size_t n;
        int r = zeroipc_stream_pump_timeout(d, &n, 1000);
        if (r == ZEROIPC_ERROR_CLOSED)
            break;
        /* TIMEOUT: nothing moved for a second, or the other pumper of
         * "f" holds the claim; both are normal here until the deadline. */
        if ((r != ZEROIPC_OK && r != ZEROIPC_ERROR_TIMEOUT) || zt_now_ms() > dl) {
            XP_FAIL("pump %s: %d", name, r);
            return 3;
        }
    }
    zeroipc_stream_close(d);
    zeroipc_memory_close(m);
    return 0;
}

static int reader_f(void *p)
{
    (void)p;
    zeroipc_memory_t *m = child_mem();
    zeroipc_stream_t *s = m ? child_stream(m, "f") : NULL;
    if (!s)
        return 2;
    /* map add 5 then filter gt 10: i + 5 for every i with i + 5 > 10. */
    for (int32_t i = 6; i < N2; i++) {
        int32_t v;
        int r = zeroipc_stream_next_timeout(s, &v, 10000);
        if (r != ZEROIPC_OK || v != i + 5) {
            XP_FAIL("f: want %d, rc %d value %d", (int)(i + 5), r, (int)v);
            return 3;
        }
    }
    int32_t v;
    int r = zeroipc_stream_next_timeout(s, &v, 10000);
    if (r != ZEROIPC_ERROR_CLOSED) {
        XP_FAIL("f after the last: %d", r);
        return 4;
    }
    zeroipc_stream_close(s);
    zeroipc_memory_close(m);
    return 0;
}

static int reader_t(void *p)
{
    (void)p;
    zeroipc_memory_t *m = child_mem();
    zeroipc_stream_t *s = m ? child_stream(m, "t") : NULL;
    if (!s)
        return 2;
    for (int32_t i = 0; i < 100; i++) {
        int32_t v;
        int r = zeroipc_stream_next_timeout(s, &v, 10000);
        if (r != ZEROIPC_OK || v != i) {
            XP_FAIL("t: want %d, rc %d value %d", (int)i, r, (int)v);
            return 3;
        }
    }
    int32_t v;
    int r = zeroipc_stream_next_timeout(s, &v, 10000);
    if (r != ZEROIPC_ERROR_CLOSED) {
        XP_FAIL("t after the last: %d", r);
        return 4;
    }
    zeroipc_stream_close(s);
    zeroipc_memory_close(m);
    return 0;
}

static zeroipc_stream_t *keep_stream(zeroipc_stream_t *s)
{
    assert_non_null(s);
    return xp_keep((void (*)(void *))zeroipc_stream_close, s);
}

static void test_operators(void **state)
{
    (void)state;
    zt_segname(seg, "xo");
    zeroipc_memory_t *m = xp_keep_mem(zeroipc_memory_create(seg, 1 << 18, 32));
    assert_non_null(m);
    zeroipc_stream_t *a = keep_stream(zeroipc_stream_create(m, "a", 4, 256));
    zeroipc_stream_t *b = keep_stream(zeroipc_stream_create(m, "b", 4, 256));
    zeroipc_stream_t *c = keep_stream(zeroipc_stream_create(m, "c", 4, 2048));
    zeroipc_stream_t *ms = keep_stream(zeroipc_stream_derive(m, "m", a, "i32", "map add 5", 256));
    keep_stream(zeroipc_stream_derive(m, "f", ms, "i32", "filter gt 10", 256));
    keep_stream(zeroipc_stream_derive(m, "t", c, "i32", "take 100", 64));
    keep_stream(zeroipc_stream_derive(m, "sum", b, "i32", "fold sum", 1));
    zeroipc_future_t *fut = zeroipc_future_open(m, "sum", 8);
    assert_non_null(fut);
    xp_keep((void (*)(void *))zeroipc_future_close, fut);

    enum { NP = 5, NALL = NP + 3 };
    int pids[NALL], status[NALL];
    int64_t t0 = zt_now_ms();
    for (int i = 0; i < NP; i++)
        pids[i] = zt_fork(pumper, (void *)&pumped[i]);
    pids[NP] = zt_fork(reader_f, NULL);
    pids[NP + 1] = zt_fork(reader_t, NULL);
    pids[NP + 2] = zt_fork(producer2, NULL);
    assert_int_equal(xp_wait_all(pids, NALL, 60000, status), 0);
    int64_t sum = 0;
    assert_int_equal(zeroipc_future_get_timeout(fut, &sum, 0), ZEROIPC_OK);
    assert_true(sum == (int64_t)N2 * (N2 - 1) / 2);
    /* take left the rest of its source unread. */
    assert_int_equal(zeroipc_stream_size(c), N3 - 100);
    printf("operators: %d elements through map/filter (2 pumpers), fold sum "
           "= %lld, take 100: %lld ms\n", N2, (long long)sum,
           (long long)(zt_now_ms() - t0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_million, xp_teardown),
        cmocka_unit_test_teardown(test_operators, xp_teardown),
    };
    zt_init();
    return cmocka_run_group_tests(tests, NULL, zt_group_teardown);
}
