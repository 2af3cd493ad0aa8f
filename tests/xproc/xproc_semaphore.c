/*
 * xproc_semaphore.c - semaphores, mutexes and events across processes.
 *
 * 1. A semaphore of 3 and 8 processes: each takes it, counts itself in a
 *    shared in-counter, records the highest value seen, stays a moment and
 *    leaves.  Never more than 3 inside; every round completes.
 * 2. A manual-reset event: 6 processes asleep in wait (registered in its
 *    `waiting`); one set wakes them all, promptly.
 * 3. An auto-reset event: 6 processes asleep; each set lets exactly one
 *    through (counted in a shared word), until all 6 have passed.
 * 4. A mutex holder killed with SIGKILL: the mutex stays locked (the
 *    format has no owner), and a timed lock from another process returns
 *    ZEROIPC_ERROR_TIMEOUT after its timeout instead of hanging; unlocking
 *    on the dead holder's behalf recovers it.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "xp.h"

#define NPROC 8
#define NEV 6
#define ROUNDS 300
#define DEADLINE_MS 20000

enum { C_INSIDE, C_MAX, C_PASSED, C_READY, C_RC, C_T, C_WORDS = 8 };

struct args {
    char seg[ZT_NAME_MAX];
    int act;
};

enum act { SEM_CROWD, EV_MANUAL, EV_AUTO, MTX_HOLD };

static int child(void *p)
{
    struct args *a = p;
    zeroipc_memory_t *m = zeroipc_memory_open(a->seg);
    zeroipc_array_t *ca = m ? zeroipc_array_open(m, "ctl") : NULL;
    if (!ca) {
        XP_FAIL("open %s", a->seg);
        return 1;
    }
    _Atomic uint64_t *ctl = xp_words(ca);
    int rc = 0;
    switch (a->act) {
    case SEM_CROWD: {
        zeroipc_semaphore_t *s = zeroipc_semaphore_open(m, "sem");
        if (!s)
            return 2;
        for (int i = 0; i < ROUNDS && rc == 0; i++) {
            int r = zeroipc_semaphore_acquire_timeout(s, 10000);
            if (r != ZEROIPC_OK) {
                XP_FAIL("acquire: %d", r);
                rc = 3;
                break;
            }
            uint64_t in = atomic_fetch_add(&ctl[C_INSIDE], 1) + 1;
            uint64_t mx = atomic_load(&ctl[C_MAX]);
            while (in > mx && !atomic_compare_exchange_weak(&ctl[C_MAX], &mx, in))
                ;
            struct timespec ts = {0, 200000}; /* 0.2 ms inside */
            nanosleep(&ts, NULL);
            atomic_fetch_sub(&ctl[C_INSIDE], 1);
            if (zeroipc_semaphore_release(s) != ZEROIPC_OK)
                rc = 4;
        }
        zeroipc_semaphore_close(s);
        break;
    }
    case EV_MANUAL:
    case EV_AUTO: {
        zeroipc_event_t *e = zeroipc_event_open(m, a->act == EV_AUTO ? "auto" : "manual");
        if (!e)
            return 2;
        int r = zeroipc_event_wait_timeout(e, 10000);
        if (r != ZEROIPC_OK) {
            XP_FAIL("event wait: %d", r);
            rc = 3;
        } else {
            atomic_fetch_add(&ctl[C_PASSED], 1);
        }
        zeroipc_event_close(e);
        break;
    }
    case MTX_HOLD: {
        zeroipc_mutex_t *x = zeroipc_mutex_open(m, "mtx");
        if (!x || zeroipc_mutex_lock(x) != ZEROIPC_OK)
            return 2;
        atomic_store(&ctl[C_READY], 1);
        for (;;)
            pause(); /* killed here, holding the mutex */
    }
    }
    zeroipc_array_close(ca);
    zeroipc_memory_close(m);
    return rc;
}

static void close_sem_(void *p) { zeroipc_semaphore_close(p); }
static void close_mtx_(void *p) { zeroipc_mutex_close(p); }
static void close_ev_(void *p) { zeroipc_event_close(p); }

struct fixture {
    char seg[ZT_NAME_MAX];
    zeroipc_memory_t *m;
    _Atomic uint64_t *ctl;
};

static void fixture(struct fixture *f, const char *tag)
{
    zt_segname(f->seg, tag);
    f->m = xp_keep_mem(zeroipc_memory_create(f->seg, 1 << 16, 16));
    assert_non_null(f->m);
    zeroipc_array_t *a = xp_keep_array(zeroipc_array_create(f->m, "ctl", 8, C_WORDS));
    assert_non_null(a);
    f->ctl = xp_words(a);
}

static void spawn(const struct fixture *f, int *pids, struct args *args, int n, int act)
{
    for (int i = 0; i < n; i++) {
        snprintf(args[i].seg, sizeof args[i].seg, "%s", f->seg);
        args[i].act = act;
    }
    xp_spawn(pids, n, child, args, sizeof args[0]);
}

static void test_sem_crowd(void **state)
{
    (void)state;
    struct fixture f;
    fixture(&f, "xsem");
    zeroipc_semaphore_t *s = zeroipc_semaphore_create(f.m, "sem", 3, 3);
    assert_non_null(s);
    xp_keep(close_sem_, s);
    int pids[NPROC], status[NPROC];
    struct args args[NPROC];
    spawn(&f, pids, args, NPROC, SEM_CROWD);
    assert_int_equal(xp_wait_all(pids, NPROC, DEADLINE_MS, status), 0);
    uint64_t mx = atomic_load(&f.ctl[C_MAX]);
    fprintf(stderr, "semaphore of 3, %d processes: at most %" PRIu64 " inside\n",
            NPROC, mx);
    assert_true(mx <= 3);
    assert_true(mx >= 2);
    assert_int_equal(atomic_load(&f.ctl[C_INSIDE]), 0);
    assert_int_equal(zeroipc_semaphore_count(s), 3);
    assert_int_equal(zeroipc_semaphore_waiting(s), 0);
}

/* The event's `waiting` word. */
static uint32_t ev_waiting(zeroipc_memory_t *m, const char *name)
{
    size_t off;
    assert_int_equal(zeroipc_table_find(m, name, &off, NULL), ZEROIPC_OK);
    return atomic_load((_Atomic uint32_t *)(void *)((uint8_t *)zeroipc_memory_base(m) + off + 8));
}

static void wait_sleepers(zeroipc_memory_t *m, const char *name, uint32_t n)
{
    int64_t end = zt_now_ms() + 10000;
    while (ev_waiting(m, name) < n && zt_now_ms() < end)
        xp_sleep_ms(2);
    assert_true(ev_waiting(m, name) >= n);
}

static void test_event_manual(void **state)
{
    (void)state;
    struct fixture f;
    fixture(&f, "xevm");
    zeroipc_event_t *e = zeroipc_event_create(f.m, "manual", ZEROIPC_EVENT_MANUAL);
    assert_non_null(e);
    xp_keep(close_ev_, e);
    int pids[NEV], status[NEV];
    struct args args[NEV];
    spawn(&f, pids, args, NEV, EV_MANUAL);
    wait_sleepers(f.m, "manual", NEV);
    assert_int_equal(atomic_load(&f.ctl[C_PASSED]), 0);
    int64_t t0 = zt_now_ms();
    assert_int_equal(zeroipc_event_set(e), ZEROIPC_OK);
    assert_int_equal(xp_wait_all(pids, NEV, DEADLINE_MS, status), 0);
    int64_t dt = zt_now_ms() - t0;
    fprintf(stderr, "manual event: %d waiters released in %" PRId64 " ms\n", NEV, dt);
    assert_int_equal(atomic_load(&f.ctl[C_PASSED]), NEV);
    assert_true(dt < 2000);
}

static void test_event_auto(void **state)
{
    (void)state;
    struct fixture f;
    fixture(&f, "xeva");
    zeroipc_event_t *e = zeroipc_event_create(f.m, "auto", ZEROIPC_EVENT_AUTO);
    assert_non_null(e);
    xp_keep(close_ev_, e);
    int pids[NEV], status[NEV];
    struct args args[NEV];
    spawn(&f, pids, args, NEV, EV_AUTO);
    wait_sleepers(f.m, "auto", NEV);
    for (uint64_t k = 1; k <= NEV; k++) {
        assert_int_equal(zeroipc_event_set(e), ZEROIPC_OK);
        int64_t end = zt_now_ms() + 3000;
        while (atomic_load(&f.ctl[C_PASSED]) < k && zt_now_ms() < end)
            xp_sleep_ms(1);
        xp_sleep_ms(50); /* would a second one slip through? */
        uint64_t passed = atomic_load(&f.ctl[C_PASSED]);
        if (passed != k)
            xp_kill_all(pids, NEV, status);
        assert_int_equal(passed, k);
        assert_false(zeroipc_event_is_set(e));
    }
    assert_int_equal(xp_wait_all(pids, NEV, DEADLINE_MS, status), 0);
}

static void test_dead_holder(void **state)
{
    (void)state;
    struct fixture f;
    fixture(&f, "xmtx");
    zeroipc_mutex_t *x = zeroipc_mutex_create(f.m, "mtx");
    assert_non_null(x);
    xp_keep(close_mtx_, x);
    int pid[1], status[1];
    struct args args[1];
    spawn(&f, pid, args, 1, MTX_HOLD);
    int64_t end = zt_now_ms() + 10000;
    while (atomic_load(&f.ctl[C_READY]) == 0 && zt_now_ms() < end)
        xp_sleep_ms(1);
    xp_kill_all(pid, 1, status);
    assert_int_equal(status[0], 128 + SIGKILL);
    assert_int_equal(atomic_load(&f.ctl[C_READY]), 1);
    /* The dead holder's mutex stays locked: a timed lock times out. */
    assert_true(zeroipc_mutex_is_locked(x));
    int64_t t0 = zt_now_ms();
    assert_int_equal(zeroipc_mutex_lock_timeout(x, 200), ZEROIPC_ERROR_TIMEOUT);
    int64_t dt = zt_now_ms() - t0;
    fprintf(stderr, "dead holder: lock_timeout(200) gave up after %" PRId64 " ms\n", dt);
    assert_true(dt >= 199 && dt < 2000);
    assert_int_equal(zeroipc_mutex_try_lock(x), ZEROIPC_ERROR_TIMEOUT);
    /* Recovery is the application's call: any process may unlock. */
    assert_int_equal(zeroipc_mutex_unlock(x), ZEROIPC_OK);
    assert_int_equal(zeroipc_mutex_lock_timeout(x, 200), ZEROIPC_OK);
    assert_int_equal(zeroipc_mutex_unlock(x), ZEROIPC_OK);
}

int main(void)
{
    zt_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_sem_crowd, xp_teardown),
        cmocka_unit_test_teardown(test_event_manual, xp_teardown),
        cmocka_unit_test_teardown(test_event_auto, xp_teardown),
        cmocka_unit_test_teardown(test_dead_holder, xp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, zt_group_teardown);
}
