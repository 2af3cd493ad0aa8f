/*
 * xproc_once.c - Once across real processes.
 *
 * 1. Eight processes call the same once at the same moment (half with
 *    zeroipc_once_call, half with the timed call), ROUNDS times over fresh
 *    onces.  The function increments a shared counter and sleeps to widen
 *    the race.  Exactly one run per once; every caller returns only after
 *    DONE, with the function's last write visible.
 * 2. The executor is killed (SIGKILL) in the middle of the function.  The
 *    others' timed calls return ZEROIPC_ERROR_TIMEOUT after their timeout
 *    and never run the function; a caller blocked without timeout stays
 *    blocked.  Once the parent has reaped the dead executor it says so;
 *    one child calls zeroipc_once_recover, and then exactly one caller
 *    (the blocked one or a child calling again) runs the function to DONE,
 *    and every caller returns ZEROIPC_OK.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "xp.h"

#define NPROC 8
#define ROUNDS 5
#define FN_SLEEP_MS 30
#define TIMED_MS 300
#define DEADLINE_MS 15000

/* Control words (u64 array "ctl"). */
enum {
    C_ARRIVED, C_GEN,  /* xp_barrier */
    C_RUNS,            /* runs of the function, all onces of a test */
    C_FINISHED,        /* the round whose function ran to its end */
    C_IN_FN,           /* the doomed executor is inside the function */
    C_DEAD,            /* the parent reaped the executor */
    C_TIMEOUTS,        /* timed calls that returned TIMEOUT */
    C_RECOVERED,       /* recoveries that returned OK */
    C_RUNNER,          /* pid of the last process to run the function */
    C_WORDS = 16
};

enum act { RACE, DOOMED, TIMED_THEN_RECOVER, BLOCKED };

struct args {
    char seg[ZT_NAME_MAX];
    int id;
    int act;
};

static _Atomic uint64_t *ctl;
static uint64_t round_no;

static void close_once_(void *p) { zeroipc_once_close(p); }

static void race_fn(void *arg)
{
    (void)arg;
    atomic_fetch_add(&ctl[C_RUNS], 1);
    atomic_store(&ctl[C_RUNNER], (uint64_t)getpid());
    xp_sleep_ms(FN_SLEEP_MS);
    atomic_store_explicit(&ctl[C_FINISHED], round_no, memory_order_relaxed);
}

static void doomed_fn(void *arg)
{
    (void)arg;
    atomic_fetch_add(&ctl[C_RUNS], 1);
    atomic_store(&ctl[C_IN_FN], 1);
    for (;;)
        xp_sleep_ms(1000); /* until SIGKILL */
}

static int child(void *arg)
{
    const struct args *a = arg;
    zeroipc_memory_t *m = zeroipc_memory_open(a->seg);
    if (m == NULL) {
        XP_FAIL("open segment: %d", zeroipc_last_error());
        return 2;
    }
    zeroipc_array_t *ctl_a = zeroipc_array_open(m, "ctl");
    if (ctl_a == NULL) {
        XP_FAIL("open ctl: %d", zeroipc_last_error());
        return 2;
    }
    ctl = xp_words(ctl_a);
    int rc = 0;

    if (a->act == RACE) {
        for (int r = 1; r <= ROUNDS && rc == 0; r++) {
            char name[16];
            snprintf(name, sizeof name, "o%d", r);
            zeroipc_once_t *o = zeroipc_once_open(m, name);
            if (o == NULL) {
                XP_FAIL("open %s: %d", name, zeroipc_last_error());
                return 3;
            }
            round_no = (uint64_t)r;
            if (xp_barrier(&ctl[C_ARRIVED], &ctl[C_GEN], NPROC, 10000) != 0) {
                XP_FAIL("start barrier");
                rc = 4;
            }
            int r1 = rc ? 0
                        : a->id % 2 ? zeroipc_once_call_timeout(o, race_fn, NULL, 10000)
                                    : zeroipc_once_call(o, race_fn, NULL);
            if (rc == 0 && r1 != ZEROIPC_OK) {
                XP_FAIL("call: %d", r1);
                rc = 5;
            } else if (rc == 0 && !zeroipc_once_done(o)) {
                XP_FAIL("returned before DONE");
                rc = 6;
            } else if (rc == 0 &&
                       atomic_load_explicit(&ctl[C_FINISHED], memory_order_relaxed) !=
                           (uint64_t)r) {
                XP_FAIL("returned before the function's end");
                rc = 7;
            }
            zeroipc_once_close(o);
        }
    } else {
        zeroipc_once_t *o = zeroipc_once_open(m, "d");
        if (o == NULL) {
            XP_FAIL("open d: %d", zeroipc_last_error());
            return 3;
        }
        round_no = 1;
        if (a->act == DOOMED) {
            zeroipc_once_call(o, doomed_fn, NULL);
            XP_FAIL("the doomed executor returned");
            rc = 8;
        } else if (a->act == BLOCKED) {
            int r1 = zeroipc_once_call(o, race_fn, NULL);
            if (r1 != ZEROIPC_OK || !zeroipc_once_done(o)) {
                XP_FAIL("blocked call: %d", r1);
                rc = 9;
            }
        } else { /* TIMED_THEN_RECOVER */
            int64_t t0 = zt_now_ms();
            int r1 = zeroipc_once_call_timeout(o, race_fn, NULL, TIMED_MS);
            int64_t el = zt_now_ms() - t0;
            if (r1 != ZEROIPC_ERROR_TIMEOUT || el < TIMED_MS - 10 ||
                el > TIMED_MS + 2000) {
                XP_FAIL("timed call over a dead executor: %d after %lld ms", r1,
                        (long long)el);
                rc = 10;
            } else {
                atomic_fetch_add(&ctl[C_TIMEOUTS], 1);
            }
            /* Wait until the parent has reaped the executor. */
            int64_t dl = zt_now_ms() + 10000;
            while (rc == 0 && atomic_load(&ctl[C_DEAD]) == 0) {
                if (zt_now_ms() > dl) {
                    XP_FAIL("never told the executor died");
                    rc = 11;
                }
                xp_sleep_ms(2);
            }
            /* Only one of us knows to recover (id 1). */
            if (rc == 0 && a->id == 1) {
                int rr = zeroipc_once_recover(o);
                if (rr != ZEROIPC_OK) {
                    XP_FAIL("recover: %d", rr);
                    rc = 12;
                } else {
                    atomic_fetch_add(&ctl[C_RECOVERED], 1);
                }
            }
            if (rc == 0) {
                r1 = zeroipc_once_call_timeout(o, race_fn, NULL, 10000);
                if (r1 != ZEROIPC_OK || !zeroipc_once_done(o) ||
                    atomic_load_explicit(&ctl[C_FINISHED], memory_order_relaxed) != 1) {
                    XP_FAIL("call after recovery: %d", r1);
                    rc = 13;
                }
            }
        }
        zeroipc_once_close(o);
    }
    zeroipc_array_close(ctl_a);
    zeroipc_memory_close(m);
    return rc;
}

static void test_race(void **st)
{
    (void)st;
    char seg[ZT_NAME_MAX];
    zt_segname(seg, "xo-race");
    zeroipc_memory_t *m = xp_keep_mem(zeroipc_memory_create(seg, 1 << 16, 16));
    assert_non_null(m);
    zeroipc_array_t *ca = xp_keep_array(zeroipc_array_create(m, "ctl", 8, C_WORDS));
    assert_non_null(ca);
    ctl = xp_words(ca);
    zeroipc_once_t *onces[ROUNDS];
    for (int r = 1; r <= ROUNDS; r++) {
        char name[16];
        snprintf(name, sizeof name, "o%d", r);
        onces[r - 1] = xp_keep(close_once_,
                               zeroipc_once_create(m, name));
        assert_non_null(onces[r - 1]);
    }
    struct args a[NPROC];
    int pids[NPROC], status[NPROC];
    for (int i = 0; i < NPROC; i++) {
        memset(&a[i], 0, sizeof a[i]);
        strcpy(a[i].seg, seg);
        a[i].id = i;
        a[i].act = RACE;
    }
    int64_t t0 = zt_now_ms();
    xp_spawn(pids, NPROC, child, a, sizeof a[0]);
    int bad = xp_wait_all(pids, NPROC, DEADLINE_MS, status);
    fprintf(stderr, "%d processes x %d onces: %" PRIu64 " runs in %" PRId64 " ms\n",
            NPROC, ROUNDS, atomic_load(&ctl[C_RUNS]), zt_now_ms() - t0);
    assert_int_equal(bad, 0);
    assert_int_equal(atomic_load(&ctl[C_RUNS]), ROUNDS);
    for (int r = 0; r < ROUNDS; r++)
        assert_int_equal(zeroipc_once_state(onces[r]), ZEROIPC_ONCE_DONE);
    xp_teardown(NULL);
    zeroipc_memory_unlink(seg);
}

#define NWAIT 4

static void test_dead_executor(void **st)
{
    (void)st;
    char seg[ZT_NAME_MAX];
    zt_segname(seg, "xo-dead");
    zeroipc_memory_t *m = xp_keep_mem(zeroipc_memory_create(seg, 1 << 16, 8));
    assert_non_null(m);
    zeroipc_array_t *ca = xp_keep_array(zeroipc_array_create(m, "ctl", 8, C_WORDS));
    assert_non_null(ca);
    ctl = xp_words(ca);
    zeroipc_once_t *o = xp_keep(close_once_,
                                zeroipc_once_create(m, "d"));
    assert_non_null(o);

    /* The executor, killed inside the function. */
    struct args ex;
    memset(&ex, 0, sizeof ex);
    strcpy(ex.seg, seg);
    ex.act = DOOMED;
    int expid = zt_fork(child, &ex);
    assert_true(expid > 0);
    int64_t dl = zt_now_ms() + 10000;
    while (atomic_load(&ctl[C_IN_FN]) == 0 && zt_now_ms() < dl)
        xp_sleep_ms(1);
    if (atomic_load(&ctl[C_IN_FN]) == 0) {
        kill(expid, SIGKILL);
        zt_wait(expid);
        fail_msg("the executor never entered the function");
    }

    /* Waiters: NWAIT timed ones and one that waits forever. */
    struct args a[NWAIT + 1];
    int pids[NWAIT + 1], status[NWAIT + 1];
    for (int i = 0; i <= NWAIT; i++) {
        memset(&a[i], 0, sizeof a[i]);
        strcpy(a[i].seg, seg);
        a[i].id = i;
        a[i].act = i < NWAIT ? TIMED_THEN_RECOVER : BLOCKED;
    }
    xp_spawn(pids, NWAIT + 1, child, a, sizeof a[0]);
    xp_sleep_ms(50);
    assert_int_equal(kill(expid, SIGKILL), 0);
    assert_int_equal(zt_wait(expid), 128 + SIGKILL);
    assert_int_equal(zeroipc_once_state(o), ZEROIPC_ONCE_EXECUTING);

    /* The timed calls all time out; the function was not run again. */
    dl = zt_now_ms() + TIMED_MS + 5000;
    while (atomic_load(&ctl[C_TIMEOUTS]) < NWAIT && zt_now_ms() < dl)
        xp_sleep_ms(2);
    uint64_t timeouts = atomic_load(&ctl[C_TIMEOUTS]);
    uint64_t runs_stuck = atomic_load(&ctl[C_RUNS]);
    int state_stuck = zeroipc_once_state(o);
    /* The parent's own timed call does the same. */
    int64_t t0 = zt_now_ms();
    int prc = zeroipc_once_call_timeout(o, race_fn, NULL, 100);
    int64_t pel = zt_now_ms() - t0;
    atomic_store(&ctl[C_DEAD], 1); /* reaped: now the children may recover */

    int bad = xp_wait_all(pids, NWAIT + 1, DEADLINE_MS, status);
    fprintf(stderr, "dead executor: %" PRIu64 " timeouts, %" PRIu64
            " recoveries, %" PRIu64 " runs, runner %" PRIu64 "\n", timeouts,
            atomic_load(&ctl[C_RECOVERED]), atomic_load(&ctl[C_RUNS]),
            atomic_load(&ctl[C_RUNNER]));
    assert_int_equal(timeouts, NWAIT);
    assert_int_equal(runs_stuck, 1);
    assert_int_equal(state_stuck, ZEROIPC_ONCE_EXECUTING);
    assert_int_equal(prc, ZEROIPC_ERROR_TIMEOUT);
    assert_true(pel >= 90 && pel < 2000);
    assert_int_equal(bad, 0);
    assert_int_equal(atomic_load(&ctl[C_RECOVERED]), 1);
    assert_int_equal(atomic_load(&ctl[C_RUNS]), 2); /* the dead one's, and one more */
    assert_int_equal(atomic_load(&ctl[C_FINISHED]), 1);
    assert_int_equal(zeroipc_once_state(o), ZEROIPC_ONCE_DONE);
    assert_int_equal(zeroipc_once_recover(o), ZEROIPC_ERROR_NOT_FOUND);
    xp_teardown(NULL);
    zeroipc_memory_unlink(seg);
}

int main(void)
{
    zt_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_race, xp_teardown),
        cmocka_unit_test_teardown(test_dead_executor, xp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, zt_group_teardown);
}
