/*
 * xproc_future.c - futures across processes.
 *
 * 1. Sixteen waiter processes block in zeroipc_future_get on one future;
 *    the parent waits until all sixteen are counted in `waiters`, lets
 *    them sleep 300 ms, and sets the value.  Every waiter must return the
 *    value within 50 ms of the set, and must have used (getrusage, its
 *    own user + system time around the wait) almost no CPU while asleep.
 * 2. A setter killed between its claim and its publish (the state left
 *    COMPUTING): waiters with a timeout return ZEROIPC_ERROR_TIMEOUT
 *    instead of hanging.
 */
#include <sys/resource.h>

#include "xp.h"

#define NW 16
#define SLEEP_MS 300
#define WAKE_LIMIT_US 50000
#define CPU_LIMIT_US 30000

static char seg[ZT_NAME_MAX];

/* Control words: [0] ready count, [1] set time (us), [2+i] wake time of
 * waiter i, [2+NW+i] its CPU us during the wait. */
struct warg {
    int i;
    int32_t timeout;
    int want_rc;
};

static int64_t cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
           ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static int waiter(void *p)
{
    struct warg *a = p;
    zeroipc_memory_t *m = zeroipc_memory_open(seg);
    if (!m)
        return 2;
    zeroipc_array_t *ctl = zeroipc_array_open(m, "ctl");
    zeroipc_future_t *f = zeroipc_future_open(m, "f", 8);
    if (!ctl || !f) {
        XP_FAIL("open: %d", (int)zeroipc_last_error());
        return 3;
    }
    _Atomic uint64_t *w = xp_words(ctl);
    int64_t c0 = cpu_us();
    atomic_fetch_add(&w[0], 1);
    double v = 0;
    int rc = zeroipc_future_get_timeout(f, &v, a->timeout);
    int64_t woke = xp_now_us();
    int64_t c1 = cpu_us();
    atomic_store(&w[2 + a->i], (uint64_t)woke);
    atomic_store(&w[2 + NW + a->i], (uint64_t)(c1 - c0));
    if (rc != a->want_rc) {
        XP_FAIL("get -> %d, want %d", rc, a->want_rc);
        return 4;
    }
    if (rc == ZEROIPC_OK && v != 6.25) {
        XP_FAIL("value %g", v);
        return 5;
    }
    zeroipc_future_close(f);
    zeroipc_array_close(ctl);
    zeroipc_memory_close(m);
    return 0;
}

static void test_sixteen_waiters(void **state)
{
    (void)state;
    zt_segname(seg, "xf");
    zeroipc_memory_t *m = xp_keep_mem(zeroipc_memory_create(seg, 1 << 16, 16));
    assert_non_null(m);
    zeroipc_array_t *ctl = xp_keep_array(zeroipc_array_create(m, "ctl", 8, 2 + 2 * NW));
    assert_non_null(ctl);
    zeroipc_future_t *f = zeroipc_future_create(m, "f", 8);
    assert_non_null(f);
    xp_keep((void (*)(void *))zeroipc_future_close, f);
    _Atomic uint64_t *w = xp_words(ctl);
    struct warg args[NW];
    int pids[NW], status[NW];
    for (int i = 0; i < NW; i++)
        args[i] = (struct warg){i, 20000, ZEROIPC_OK};
    xp_spawn(pids, NW, waiter, args, sizeof args[0]);
    int64_t dl = zt_now_ms() + 10000;
    while (zeroipc_future_waiters(f) < NW && zt_now_ms() < dl)
        xp_sleep_ms(2);
    if (zeroipc_future_waiters(f) < NW) {
        xp_kill_all(pids, NW, status);
        fail_msg("only %u waiters asleep", zeroipc_future_waiters(f));
    }
    xp_sleep_ms(SLEEP_MS);
    /* Nobody woke early. */
    for (int i = 0; i < NW; i++)
        assert_int_equal(atomic_load(&w[2 + i]), 0);
    double v = 6.25;
    int64_t t0 = xp_now_us();
    assert_int_equal(zeroipc_future_set(f, &v), ZEROIPC_OK);
    int bad = xp_wait_all(pids, NW, 20000, status);
    assert_int_equal(bad, 0);
    int64_t worst = 0, cpu = 0;
    for (int i = 0; i < NW; i++) {
        int64_t lat = (int64_t)atomic_load(&w[2 + i]) - t0;
        int64_t c = (int64_t)atomic_load(&w[2 + NW + i]);
        if (lat > worst)
            worst = lat;
        if (c > cpu)
            cpu = c;
        if (lat > WAKE_LIMIT_US)
            fail_msg("waiter %d woke %lld us after the set", i, (long long)lat);
        if (c > CPU_LIMIT_US)
            fail_msg("waiter %d used %lld us of CPU over a %d ms wait", i,
                     (long long)c, SLEEP_MS);
    }
    assert_int_equal(zeroipc_future_waiters(f), 0);
    printf("16 waiters: slowest woke %lld us after the set; most CPU in a "
           "%d ms wait: %lld us\n", (long long)worst, SLEEP_MS, (long long)cpu);
}

static void test_dead_setter(void **state)
{
    (void)state;
    zt_segname(seg, "xd");
    zeroipc_memory_t *m = xp_keep_mem(zeroipc_memory_create(seg, 1 << 16, 16));
    assert_non_null(m);
    assert_non_null(xp_keep_array(zeroipc_array_create(m, "ctl", 8, 2 + 2 * NW)));
    zeroipc_future_t *f = zeroipc_future_create(m, "f", 8);
    assert_non_null(f);
    xp_keep((void (*)(void *))zeroipc_future_close, f);
    /* The claim a setter makes before it dies: PENDING -> COMPUTING. */
    size_t off;
    assert_int_equal(zeroipc_table_find(m, "f", &off, NULL), ZEROIPC_OK);
    atomic_store((_Atomic uint32_t *)(void *)((uint8_t *)zeroipc_memory_base(m) + off),
                 ZEROIPC_FUTURE_COMPUTING);
    struct warg args[4];
    int pids[4], status[4];
    for (int i = 0; i < 4; i++)
        args[i] = (struct warg){i, 200, ZEROIPC_ERROR_TIMEOUT};
    int64_t t0 = zt_now_ms();
    xp_spawn(pids, 4, waiter, args, sizeof args[0]);
    assert_int_equal(xp_wait_all(pids, 4, 10000, status), 0);
    assert_true(zt_now_ms() - t0 >= 200);
    double v = 1;
    assert_int_equal(zeroipc_future_set(f, &v), ZEROIPC_ERROR_ALREADY_SET);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_sixteen_waiters, xp_teardown),
        cmocka_unit_test_teardown(test_dead_setter, xp_teardown),
    };
    zt_init();
    return cmocka_run_group_tests(tests, NULL, zt_group_teardown);
}
