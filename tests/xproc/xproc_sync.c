/*
 * xproc_sync.c - monitor, barrier, latch, rwlock and signal across real
 * processes, each child opening the segment by name.
 *
 * 1. Monitor: 4 processes x 20,000 increments of a plain (non-atomic)
 *    u64 under the monitor's lock; the total must be exact.  Two waiters
 *    sit in the monitor meanwhile: one with a predicate (counter at the
 *    total), one without (pure wake-ups, each a notify from an
 *    incrementer).  The second has no recheck to fall back on, so a
 *    notify that wakes nobody fails it by timeout.
 * 2. Barrier: 4 processes x 1,000 generations.  Before each wait a
 *    process writes its round number; after it, the generation must be
 *    exactly one more than before, every peer's round number must be this
 *    round (or the next: a fast peer already passed), and exactly one
 *    process per generation is told it was the last.
 * 3. Latch: 8 waiters; the parent counts down in steps.  No waiter passes
 *    before the count reaches 0 (each checks, at the moment it passes,
 *    that the parent had announced the last step), and all pass within
 *    WAKE_MS of it.
 * 4. RWLock, sharing and exclusion: 4 readers must all be inside at once
 *    (each waits inside for the others: an exclusive lock cannot pass
 *    this), while a writer's timed attempt times out; then 4 readers and
 *    2 writers hammer the lock: a writer never sees a reader inside nor
 *    another writer, a reader never sees a writer nor a half-written
 *    pair, and the writers' plain increments end exact.
 * 5. RWLock, dead writer: a writer is SIGKILLed holding the lock.  In
 *    another process try/timed read and write locks return
 *    ZEROIPC_ERROR_TIMEOUT after about their timeout and change nothing;
 *    the recovery zeroipc_rwlock.h documents (write_unlock from any
 *    process) lets a reader that was blocked for ever through, and the
 *    lock works again.
 * 6. Signal: a setter publishes 1..N (64-byte values, all words = k);
 *    two waiters in wait_change see versions strictly increase, each value
 *    whole and equal to its version, and end with N.
 *
 * Timings (latch release, timeouts) are asserted, so meson runs this
 * program alone.  Children are recorded as they are forked and killed by
 * the per-test teardown, so a failed assertion in the parent leaves no
 * process behind.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "xp.h"

#define DEADLINE_MS 15000 /* per case; a normal run takes well under 2 s */
#define WAIT_MS 10000     /* a child's bound on any one wait */

#define MON_PROCS 4
#define MON_ITERS 20000
#define MON_TOTAL ((uint64_t)MON_PROCS * MON_ITERS)
#define MON_NOTIFY_EVERY 5000

#define BAR_PROCS 4
#define BAR_ROUNDS 1000

#define LATCH_WAITERS 8
#define WAKE_MS 200 /* a release, seen by every waiter */

#define RW_READERS 4
#define RW_WRITERS 2
#define RW_RITERS 3000
#define RW_WITERS 500
#define RW_TIMEOUT_MS 300

#define SIG_WAITERS 2
#define SIG_N 20000
#define SIG_WORDS 8

/* Control words (u64 array "ctl"), shared by all cases. */
enum {
    C_ARRIVED, C_GEN, /* xp_barrier: a common start */
    C_READY,          /* children ready (inside, registered, ...) */
    C_GO,             /* the parent's go-ahead */
    C_PASSED,         /* waiters through */
    C_IN,             /* inside a critical section / read lock */
    C_W_IN,           /* writers inside */
    C_MAX,            /* the highest C_IN seen */
    C_T0,             /* when the parent acted (us) */
    C_LAT,            /* the highest latency after C_T0 (us) */
    C_WAKES,          /* wake-ups seen by the monitor's notified waiter */
    C_EL_R, C_EL_W,   /* elapsed ms of timed read / write locks */
    C_OBS,            /* SIG_WAITERS words: versions each waiter saw */
    C_ROUND = C_OBS + SIG_WAITERS, /* BAR_PROCS words: round numbers */
    C_WORDS = C_ROUND + BAR_PROCS
};

enum act {
    MON_INC, MON_PRED, MON_NOTIFIED,
    BAR_PART,
    LAT_WAIT,
    RW_READER, RW_WRITER, RW_DOOMED, RW_TIMED, RW_BLOCKED,
    SIG_SET, SIG_WAIT
};

struct args {
    char seg[ZT_NAME_MAX];
    int id;
    int act;
};

/* ------------------------------------------------------------------ */
/* Helpers for both sides. */

/* Waits (sleeping) until *w >= v; false after ms. */
static bool until(_Atomic uint64_t *w, uint64_t v, int64_t ms)
{
    int64_t end = zt_now_ms() + ms;
    while (atomic_load(w) < v) {
        if (zt_now_ms() > end)
            return false;
        xp_sleep_ms(1);
    }
    return true;
}

static void store_max(_Atomic uint64_t *w, uint64_t v)
{
    uint64_t cur = atomic_load(w);
    while (v > cur && !atomic_compare_exchange_weak(w, &cur, v))
        ;
}

/* A few microseconds inside a critical section, so that a lock that
 * fails to exclude is caught with someone else inside. */
static void linger(void)
{
    struct timespec ts = {0, 20000};
    nanosleep(&ts, NULL);
}

/* The plain u64 words of the array `name` (not atomics: the locks under
 * test are what make them safe). */
static uint64_t *plain_words(zeroipc_memory_t *m, const char *name,
                             zeroipc_array_t **a)
{
    *a = zeroipc_array_open(m, name);
    return *a ? zeroipc_array_data(*a) : NULL;
}

/* ------------------------------------------------------------------ */
/* Children.  Each returns 0 or a distinct failure code. */

struct mon_ctx {
    uint64_t *counter;
};

static bool at_total(void *p)
{
    return *((struct mon_ctx *)p)->counter >= MON_TOTAL;
}

static int mon_child(zeroipc_memory_t *m, _Atomic uint64_t *ctl,
                     const struct args *a)
{
    zeroipc_array_t *da;
    uint64_t *counter = plain_words(m, "data", &da);
    zeroipc_monitor_t *mon = zeroipc_monitor_open(m, "mon");
    if (!counter || !mon) {
        XP_FAIL("open: %d", zeroipc_last_error());
        return 20;
    }
    int rc = 0;
    if (a->act == MON_INC) {
        /* Start only once both waiters are inside the monitor, so that the
         * notifies below have someone to wake. */
        if (!until(&ctl[C_READY], 2, WAIT_MS) ||
            xp_barrier(&ctl[C_ARRIVED], &ctl[C_GEN], MON_PROCS, WAIT_MS) != 0) {
            XP_FAIL("start");
            rc = 21;
        }
        for (int i = 0; i < MON_ITERS && rc == 0; i++) {
            int r = a->id % 2 ? zeroipc_monitor_lock_timeout(mon, WAIT_MS)
                              : zeroipc_monitor_lock(mon);
            if (r != ZEROIPC_OK) {
                XP_FAIL("lock: %d", r);
                rc = 22;
                break;
            }
            if (atomic_fetch_add(&ctl[C_IN], 1) != 0) {
                XP_FAIL("two processes inside the monitor");
                rc = 23;
            }
            uint64_t c = *counter + 1;
            *counter = c;
            if (c == MON_TOTAL) {
                atomic_store(&ctl[C_T0], (uint64_t)xp_now_us());
                r = zeroipc_monitor_notify_all(mon);
            } else if (c % MON_NOTIFY_EVERY == 0) {
                /* Alternate: notify_one may go to the predicate waiter
                 * (a stolen wake-up it rechecks), notify_all cannot miss
                 * the other. */
                r = (c / MON_NOTIFY_EVERY) % 2 ? zeroipc_monitor_notify_one(mon)
                                                : zeroipc_monitor_notify_all(mon);
            }
            if (r != ZEROIPC_OK) {
                XP_FAIL("notify: %d", r);
                rc = 24;
            }
            atomic_fetch_sub(&ctl[C_IN], 1);
            r = zeroipc_monitor_unlock(mon);
            if (r != ZEROIPC_OK) {
                XP_FAIL("unlock: %d", r);
                rc = 25;
            }
        }
    } else if (a->act == MON_PRED) {
        struct mon_ctx ctx = {counter};
        int r = zeroipc_monitor_lock_timeout(mon, WAIT_MS);
        if (r != ZEROIPC_OK) {
            XP_FAIL("lock: %d", r);
            rc = 26;
        } else {
            atomic_fetch_add(&ctl[C_READY], 1);
            r = zeroipc_monitor_wait_timeout(mon, at_total, &ctx, DEADLINE_MS);
            int64_t now = xp_now_us();
            if (r != ZEROIPC_OK || *counter != MON_TOTAL) {
                XP_FAIL("predicate wait: %d, counter %" PRIu64, r, *counter);
                rc = 27;
            } else {
                store_max(&ctl[C_LAT], (uint64_t)(now - (int64_t)atomic_load(&ctl[C_T0])));
                atomic_fetch_add(&ctl[C_PASSED], 1);
                if (zeroipc_monitor_unlock(mon) != ZEROIPC_OK)
                    rc = 28;
            }
        }
    } else { /* MON_NOTIFIED: no predicate, so no recheck to lean on */
        int r = zeroipc_monitor_lock_timeout(mon, WAIT_MS);
        if (r != ZEROIPC_OK) {
            XP_FAIL("lock: %d", r);
            rc = 29;
        } else {
            atomic_fetch_add(&ctl[C_READY], 1);
            while (*counter < MON_TOTAL) {
                r = zeroipc_monitor_wait_timeout(mon, NULL, NULL, WAIT_MS);
                if (r != ZEROIPC_OK) { /* the lock is not held */
                    XP_FAIL("wait without predicate: %d at %" PRIu64, r,
                            *counter);
                    rc = 30;
                    break;
                }
                atomic_fetch_add(&ctl[C_WAKES], 1);
            }
            if (rc == 0) {
                atomic_fetch_add(&ctl[C_PASSED], 1);
                if (zeroipc_monitor_unlock(mon) != ZEROIPC_OK)
                    rc = 31;
            }
        }
    }
    zeroipc_monitor_close(mon);
    zeroipc_array_close(da);
    return rc;
}

static int bar_child(zeroipc_memory_t *m, _Atomic uint64_t *ctl,
                     const struct args *a)
{
    zeroipc_barrier_t *b = zeroipc_barrier_open(m, "bar");
    zeroipc_array_t *la = zeroipc_array_open(m, "lasts");
    if (!b || !la) {
        XP_FAIL("open: %d", zeroipc_last_error());
        return 40;
    }
    _Atomic uint64_t *lasts = xp_words(la);
    int rc = 0;
    for (int32_t r = 1; r <= BAR_ROUNDS && rc == 0; r++) {
        atomic_store(&ctl[C_ROUND + a->id], (uint64_t)r);
        /* Our generation cannot open without us: this is exact. */
        int32_t g0 = zeroipc_barrier_generation(b);
        int w = zeroipc_barrier_await(b, a->id % 2 ? -1 : WAIT_MS);
        int32_t g1 = zeroipc_barrier_generation(b);
        if (w == ZEROIPC_BARRIER_LAST) {
            atomic_fetch_add(&lasts[r], 1);
        } else if (w != ZEROIPC_OK) {
            XP_FAIL("round %d: await %d", (int)r, w);
            rc = 41;
            break;
        }
        /* Nor can the next one open without us: exactly one step. */
        if (g0 != r - 1 || g1 != r) {
            XP_FAIL("round %d: generation %d before, %d after", (int)r,
                    (int)g0, (int)g1);
            rc = 42;
        }
        for (int j = 0; j < BAR_PROCS; j++) {
            uint64_t v = atomic_load(&ctl[C_ROUND + j]);
            if (v != (uint64_t)r && v != (uint64_t)r + 1) {
                XP_FAIL("round %d: passed while process %d was at round %" PRIu64,
                        (int)r, j, v);
                rc = 43;
            }
        }
    }
    zeroipc_array_close(la);
    zeroipc_barrier_close(b);
    return rc;
}

static int latch_child(zeroipc_memory_t *m, _Atomic uint64_t *ctl,
                       const struct args *a)
{
    zeroipc_latch_t *l = zeroipc_latch_open(m, "lat");
    if (!l) {
        XP_FAIL("open: %d", zeroipc_last_error());
        return 50;
    }
    int rc = 0;
    atomic_fetch_add(&ctl[C_READY], 1);
    bool ok;
    switch (a->id % 3) {
    case 0:
        zeroipc_latch_wait(l);
        ok = true;
        break;
    case 1:
        ok = zeroipc_latch_wait_timeout(l, WAIT_MS);
        break;
    default:
        ok = zeroipc_latch_await(l, -1) == ZEROIPC_OK;
        break;
    }
    int64_t now = xp_now_us();
    /* The parent announces the last step before making it: a waiter out
     * without the announcement passed a closed latch. */
    if (!ok || atomic_load(&ctl[C_GO]) != 1) {
        XP_FAIL("passed: ok %d, before the count reached 0: %d", ok,
                atomic_load(&ctl[C_GO]) != 1);
        rc = 51;
    } else if (zeroipc_latch_count(l) != 0 || !zeroipc_latch_try_wait(l)) {
        XP_FAIL("passed with count %d", (int)zeroipc_latch_count(l));
        rc = 52;
    } else {
        store_max(&ctl[C_LAT], (uint64_t)(now - (int64_t)atomic_load(&ctl[C_T0])));
        atomic_fetch_add(&ctl[C_PASSED], 1);
    }
    zeroipc_latch_close(l);
    return rc;
}

/* The rwlock sharing/exclusion phases; see test_rwlock_share. */
static int rw_reader(zeroipc_rwlock_t *rw, _Atomic uint64_t *ctl,
                     const uint64_t *data, int id)
{
    /* Phase A: all readers inside at once, held until the parent says. */
    int r = zeroipc_rwlock_read_lock_timeout(rw, WAIT_MS);
    if (r != ZEROIPC_OK) {
        XP_FAIL("phase A read lock: %d", r);
        return 60;
    }
    atomic_fetch_add(&ctl[C_IN], 1);
    if (!until(&ctl[C_IN], RW_READERS, WAIT_MS)) {
        XP_FAIL("readers do not share: %" PRIu64 " inside", atomic_load(&ctl[C_IN]));
        return 61;
    }
    atomic_fetch_add(&ctl[C_READY], 1);
    if (!until(&ctl[C_GO], 1, WAIT_MS)) {
        XP_FAIL("no go");
        return 62;
    }
    atomic_fetch_sub(&ctl[C_IN], 1);
    if ((r = zeroipc_rwlock_read_unlock(rw)) != ZEROIPC_OK) {
        XP_FAIL("phase A read unlock: %d", r);
        return 63;
    }
    /* Phase B: against the writers. */
    for (int i = 0; i < RW_RITERS; i++) {
        r = id % 2 ? zeroipc_rwlock_read_lock_timeout(rw, WAIT_MS)
                   : zeroipc_rwlock_read_lock(rw);
        if (r != ZEROIPC_OK) {
            XP_FAIL("read lock: %d", r);
            return 64;
        }
        store_max(&ctl[C_MAX], atomic_fetch_add(&ctl[C_IN], 1) + 1);
        uint64_t d0 = data[0];
        bool w_in = atomic_load(&ctl[C_W_IN]) != 0;
        linger();
        uint64_t d1 = data[1];
        w_in = w_in || atomic_load(&ctl[C_W_IN]) != 0;
        atomic_fetch_sub(&ctl[C_IN], 1);
        if (w_in || d0 != d1) {
            XP_FAIL("reader: writer inside %d, pair %" PRIu64 "/%" PRIu64,
                    w_in, d0, d1);
            return 65;
        }
        if ((r = zeroipc_rwlock_read_unlock(rw)) != ZEROIPC_OK) {
            XP_FAIL("read unlock: %d", r);
            return 66;
        }
    }
    return 0;
}

static int rw_writer(zeroipc_rwlock_t *rw, _Atomic uint64_t *ctl,
                     uint64_t *data, int id)
{
    if (!until(&ctl[C_GO], 1, WAIT_MS)) {
        XP_FAIL("no go");
        return 70;
    }
    for (int i = 0; i < RW_WITERS; i++) {
        int r = id % 2 ? zeroipc_rwlock_write_lock_timeout(rw, WAIT_MS)
                       : zeroipc_rwlock_write_lock(rw);
        if (r != ZEROIPC_OK) {
            XP_FAIL("write lock: %d", r);
            return 71;
        }
        uint64_t w = atomic_fetch_add(&ctl[C_W_IN], 1);
        uint64_t rd = atomic_load(&ctl[C_IN]);
        /* The pair is written in two steps with a pause between: a reader
         * inside would see it torn. */
        data[0] = data[0] + 1;
        linger();
        data[1] = data[1] + 1;
        rd += atomic_load(&ctl[C_IN]);
        atomic_fetch_sub(&ctl[C_W_IN], 1);
        if (w != 0 || rd != 0) {
            XP_FAIL("writer: %" PRIu64 " other writers, readers %" PRIu64, w, rd);
            return 72;
        }
        if ((r = zeroipc_rwlock_write_unlock(rw)) != ZEROIPC_OK) {
            XP_FAIL("write unlock: %d", r);
            return 73;
        }
    }
    return 0;
}

/* Another process facing a dead writer: timeouts, then the recovery. */
static int rw_timed(zeroipc_rwlock_t *rw, _Atomic uint64_t *ctl)
{
    if (zeroipc_rwlock_try_read_lock(rw) != ZEROIPC_ERROR_TIMEOUT ||
        zeroipc_rwlock_try_write_lock(rw) != ZEROIPC_ERROR_TIMEOUT) {
        XP_FAIL("a try lock got past the dead writer");
        return 80;
    }
    int64_t t0 = zt_now_ms();
    int r1 = zeroipc_rwlock_read_lock_timeout(rw, RW_TIMEOUT_MS);
    int64_t t1 = zt_now_ms();
    int r2 = zeroipc_rwlock_write_lock_timeout(rw, RW_TIMEOUT_MS);
    int64_t t2 = zt_now_ms();
    atomic_store(&ctl[C_EL_R], (uint64_t)(t1 - t0));
    atomic_store(&ctl[C_EL_W], (uint64_t)(t2 - t1));
    if (r1 != ZEROIPC_ERROR_TIMEOUT || r2 != ZEROIPC_ERROR_TIMEOUT) {
        XP_FAIL("timed locks over a dead writer: read %d, write %d", r1, r2);
        return 81;
    }
    /* Timed-out calls change nothing: still the dead writer's lock. */
    if (zeroipc_rwlock_writer_active(rw) != 1 || zeroipc_rwlock_readers(rw) != 0) {
        XP_FAIL("state after timeouts: writer %d readers %d",
                (int)zeroipc_rwlock_writer_active(rw), (int)zeroipc_rwlock_readers(rw));
        return 82;
    }
    /* The blocked reader (forked before us) must still be blocked. */
    xp_sleep_ms(50);
    if (atomic_load(&ctl[C_PASSED]) != 0) {
        XP_FAIL("a reader passed the dead writer's lock");
        return 83;
    }
    /* The documented recovery: write_unlock on the dead writer's behalf. */
    atomic_store(&ctl[C_T0], (uint64_t)xp_now_us());
    int r = zeroipc_rwlock_write_unlock(rw);
    if (r != ZEROIPC_OK) {
        XP_FAIL("recovery write_unlock: %d", r);
        return 84;
    }
    if (!until(&ctl[C_PASSED], 1, WAIT_MS)) {
        XP_FAIL("the blocked reader never passed after recovery");
        return 85;
    }
    /* Usable again: the writer waits for that reader to leave. */
    if ((r = zeroipc_rwlock_write_lock_timeout(rw, WAIT_MS)) != ZEROIPC_OK ||
        (r = zeroipc_rwlock_write_unlock(rw)) != ZEROIPC_OK ||
        (r = zeroipc_rwlock_read_lock_timeout(rw, RW_TIMEOUT_MS)) != ZEROIPC_OK ||
        (r = zeroipc_rwlock_read_unlock(rw)) != ZEROIPC_OK) {
        XP_FAIL("after recovery: %d", r);
        return 86;
    }
    return 0;
}

static int rw_child(zeroipc_memory_t *m, _Atomic uint64_t *ctl,
                    const struct args *a)
{
    zeroipc_array_t *da;
    uint64_t *data = plain_words(m, "data", &da);
    zeroipc_rwlock_t *rw = zeroipc_rwlock_open(m, "rw");
    if (!data || !rw) {
        XP_FAIL("open: %d", zeroipc_last_error());
        return 90;
    }
    int rc = 0;
    switch (a->act) {
    case RW_READER:
        rc = rw_reader(rw, ctl, data, a->id);
        break;
    case RW_WRITER:
        rc = rw_writer(rw, ctl, data, a->id);
        break;
    case RW_DOOMED:
        if (zeroipc_rwlock_write_lock(rw) != ZEROIPC_OK)
            return 91;
        atomic_store(&ctl[C_READY], 1);
        for (;;)
            pause(); /* killed here, holding the write lock */
    case RW_TIMED:
        rc = rw_timed(rw, ctl);
        break;
    case RW_BLOCKED: {
        atomic_store(&ctl[C_READY], 1);
        int r = zeroipc_rwlock_read_lock(rw); /* for ever */
        int64_t now = xp_now_us();
        if (r != ZEROIPC_OK || atomic_load(&ctl[C_T0]) == 0) {
            XP_FAIL("blocked read lock: %d, before the recovery: %d", r,
                    atomic_load(&ctl[C_T0]) == 0);
            rc = 92;
            break;
        }
        atomic_store(&ctl[C_LAT], (uint64_t)(now - (int64_t)atomic_load(&ctl[C_T0])));
        atomic_store(&ctl[C_PASSED], 1);
        if (zeroipc_rwlock_read_unlock(rw) != ZEROIPC_OK)
            rc = 93;
        break;
    }
    }
    zeroipc_rwlock_close(rw);
    zeroipc_array_close(da);
    return rc;
}

struct sig_value {
    uint64_t w[SIG_WORDS];
};

static int sig_child(zeroipc_memory_t *m, _Atomic uint64_t *ctl,
                     const struct args *a)
{
    zeroipc_signal_t *s = zeroipc_signal_open(m, "sig", sizeof(struct sig_value));
    if (!s) {
        XP_FAIL("open: %d", zeroipc_last_error());
        return 100;
    }
    int rc = 0;
    if (xp_barrier(&ctl[C_ARRIVED], &ctl[C_GEN], 1 + SIG_WAITERS, WAIT_MS) != 0) {
        XP_FAIL("start");
        rc = 101;
    }
    if (rc == 0 && a->act == SIG_SET) {
        struct sig_value v;
        for (uint64_t k = 1; k <= SIG_N && rc == 0; k++) {
            for (int i = 0; i < SIG_WORDS; i++)
                v.w[i] = k;
            int r = zeroipc_signal_set(s, &v);
            if (r != ZEROIPC_OK) {
                XP_FAIL("set %" PRIu64 ": %d", k, r);
                rc = 102;
            }
            /* Pauses now and then, so that the waiters see the values
             * along the way and not only the last. */
            if (k % 500 == 0)
                xp_sleep_ms(1);
        }
    } else if (rc == 0) {
        uint64_t last = 0, seen = 0;
        struct sig_value v;
        while (last < SIG_N) {
            uint64_t ver = 0;
            int r = a->id % 2 ? zeroipc_signal_wait_change_timeout(s, last, &v, &ver, WAIT_MS)
                              : zeroipc_signal_wait_change(s, last, &v, &ver);
            if (r != ZEROIPC_OK) {
                XP_FAIL("wait_change after %" PRIu64 ": %d", last, r);
                rc = 103;
                break;
            }
            bool whole = true;
            for (int i = 0; i < SIG_WORDS; i++)
                whole = whole && v.w[i] == ver;
            if (ver <= last || ver > SIG_N || !whole) {
                XP_FAIL("version %" PRIu64 " after %" PRIu64 ", value words "
                        "%" PRIu64 " .. %" PRIu64, ver, last, v.w[0],
                        v.w[SIG_WORDS - 1]);
                rc = 104;
                break;
            }
            last = ver;
            seen++;
        }
        atomic_store(&ctl[C_OBS + a->id], seen);
        /* Nothing more comes: a timed wait for a change times out. */
        int64_t t0 = zt_now_ms();
        if (rc == 0 &&
            (zeroipc_signal_wait_change_timeout(s, SIG_N, &v, NULL, 50) !=
                 ZEROIPC_ERROR_TIMEOUT ||
             zt_now_ms() - t0 < 49)) {
            XP_FAIL("wait_change with no change did not time out");
            rc = 105;
        }
    }
    zeroipc_signal_close(s);
    return rc;
}

static int child(void *p)
{
    const struct args *a = p;
    zeroipc_memory_t *m = zeroipc_memory_open(a->seg);
    zeroipc_array_t *ca = m ? zeroipc_array_open(m, "ctl") : NULL;
    if (!ca) {
        XP_FAIL("open %s: %d", a->seg, zeroipc_last_error());
        return 2;
    }
    _Atomic uint64_t *ctl = xp_words(ca);
    int rc = 3;
    switch (a->act) {
    case MON_INC:
    case MON_PRED:
    case MON_NOTIFIED:
        rc = mon_child(m, ctl, a);
        break;
    case BAR_PART:
        rc = bar_child(m, ctl, a);
        break;
    case LAT_WAIT:
        rc = latch_child(m, ctl, a);
        break;
    case RW_READER:
    case RW_WRITER:
    case RW_DOOMED:
    case RW_TIMED:
    case RW_BLOCKED:
        rc = rw_child(m, ctl, a);
        break;
    case SIG_SET:
    case SIG_WAIT:
        rc = sig_child(m, ctl, a);
        break;
    }
    zeroipc_array_close(ca);
    zeroipc_memory_close(m);
    return rc;
}

/* ------------------------------------------------------------------ */
/* The parent. */

/* Every child of the current test, so that the teardown can kill those a
 * failed assertion left running (xp_wait_all zeroes the reaped ones). */
#define MAX_KIDS 16
static int kids[MAX_KIDS];
static int nkids;

static void kill_kids_(void *p)
{
    (void)p;
    xp_kill_all(kids, nkids, NULL);
    nkids = 0;
}

struct fixture {
    char seg[ZT_NAME_MAX];
    zeroipc_memory_t *m;
    _Atomic uint64_t *ctl;
};

static void fixture(struct fixture *f, const char *tag)
{
    zt_segname(f->seg, tag);
    f->m = xp_keep_mem(zeroipc_memory_create(f->seg, 1 << 17, 16));
    assert_non_null(f->m);
    zeroipc_array_t *a = xp_keep_array(zeroipc_array_create(f->m, "ctl", 8, C_WORDS));
    assert_non_null(a);
    f->ctl = xp_words(a);
    nkids = 0;
    xp_keep(kill_kids_, &nkids);
}

/* Forks one child; its index in kids[]. */
static int spawn(const struct fixture *f, int act, int id)
{
    assert_true(nkids < MAX_KIDS);
    struct args a;
    memset(&a, 0, sizeof a);
    snprintf(a.seg, sizeof a.seg, "%s", f->seg);
    a.act = act;
    a.id = id;
    kids[nkids] = zt_fork(child, &a);
    assert_true(kids[nkids] > 0);
    return nkids++;
}

/* Reaps every child still running; asserts they all exited 0. */
static void reap_all(int64_t ms)
{
    int status[MAX_KIDS];
    /* Drop those already reaped: xp_wait_all takes a 0 for a failed fork. */
    int n = 0;
    for (int i = 0; i < nkids; i++)
        if (kids[i] > 0)
            kids[n++] = kids[i];
    nkids = n;
    int bad = xp_wait_all(kids, nkids, ms, status);
    for (int i = 0; i < nkids; i++)
        if (status[i] != 0)
            fprintf(stderr, "child %d: status %d\n", i, status[i]);
    assert_int_equal(bad, 0);
}

static uint64_t *plain_array(struct fixture *f, const char *name, size_t n)
{
    zeroipc_array_t *a = xp_keep_array(zeroipc_array_create(f->m, name, 8, n));
    assert_non_null(a);
    return zeroipc_array_data(a);
}

static void close_mon_(void *p) { zeroipc_monitor_close(p); }
static void close_bar_(void *p) { zeroipc_barrier_close(p); }
static void close_lat_(void *p) { zeroipc_latch_close(p); }
static void close_rw_(void *p) { zeroipc_rwlock_close(p); }
static void close_sig_(void *p) { zeroipc_signal_close(p); }

static void test_monitor_counter(void **state)
{
    (void)state;
    struct fixture f;
    fixture(&f, "xsmon");
    uint64_t *counter = plain_array(&f, "data", 1);
    zeroipc_monitor_t *mon = xp_keep(close_mon_, zeroipc_monitor_create(f.m, "mon"));
    assert_non_null(mon);
    int64_t t0 = zt_now_ms();
    spawn(&f, MON_PRED, 0);
    spawn(&f, MON_NOTIFIED, 1);
    for (int i = 0; i < MON_PROCS; i++)
        spawn(&f, MON_INC, i);
    reap_all(DEADLINE_MS);
    fprintf(stderr, "monitor: %d x %d increments in %" PRId64 " ms; notified "
            "waiter woke %" PRIu64 " times; predicate waiter out %" PRIu64
            " us after the last increment\n", MON_PROCS, MON_ITERS,
            zt_now_ms() - t0, atomic_load(&f.ctl[C_WAKES]),
            atomic_load(&f.ctl[C_LAT]));
    assert_int_equal(*counter, MON_TOTAL);
    assert_int_equal(atomic_load(&f.ctl[C_PASSED]), 2);
    assert_true(atomic_load(&f.ctl[C_WAKES]) >= 1);
    assert_false(zeroipc_monitor_is_locked(mon));
    assert_int_equal(zeroipc_monitor_waiting(mon), 0);
}

static void test_barrier_rounds(void **state)
{
    (void)state;
    struct fixture f;
    fixture(&f, "xsbar");
    uint64_t *lasts = plain_array(&f, "lasts", BAR_ROUNDS + 1);
    zeroipc_barrier_t *b = xp_keep(close_bar_, zeroipc_barrier_create(f.m, "bar", BAR_PROCS));
    assert_non_null(b);
    int64_t t0 = zt_now_ms();
    for (int i = 0; i < BAR_PROCS; i++)
        spawn(&f, BAR_PART, i);
    reap_all(DEADLINE_MS);
    fprintf(stderr, "barrier: %d processes x %d generations in %" PRId64 " ms\n",
            BAR_PROCS, BAR_ROUNDS, zt_now_ms() - t0);
    for (int r = 1; r <= BAR_ROUNDS; r++)
        if (lasts[r] != 1)
            fail_msg("generation %d had %" PRIu64 " last arrivals", r, lasts[r]);
    assert_int_equal(zeroipc_barrier_generation(b), BAR_ROUNDS);
    assert_int_equal(zeroipc_barrier_arrived(b), 0);
}

static void test_latch_release(void **state)
{
    (void)state;
    struct fixture f;
    fixture(&f, "xslat");
    static const int32_t steps[] = {2, 3, 1, 1, 1}; /* the last opens it */
    enum { NSTEPS = sizeof steps / sizeof steps[0] };
    int32_t left = 0;
    for (int i = 0; i < NSTEPS; i++)
        left += steps[i];
    zeroipc_latch_t *l = xp_keep(close_lat_, zeroipc_latch_create(f.m, "lat", left));
    assert_non_null(l);
    for (int i = 0; i < LATCH_WAITERS; i++)
        spawn(&f, LAT_WAIT, i);
    assert_true(until(&f.ctl[C_READY], LATCH_WAITERS, WAIT_MS));
    xp_sleep_ms(50); /* let them reach the kernel */
    for (int i = 0; i < NSTEPS - 1; i++) {
        zeroipc_latch_count_down(l, steps[i]);
        left -= steps[i];
        xp_sleep_ms(30); /* time for a waiter to slip through */
        assert_int_equal(zeroipc_latch_count(l), left);
        assert_int_equal(atomic_load(&f.ctl[C_PASSED]), 0);
        assert_false(zeroipc_latch_try_wait(l));
    }
    char states[LATCH_WAITERS + 1];
    for (int i = 0; i < LATCH_WAITERS; i++)
        states[i] = xp_proc_state(kids[i]);
    states[LATCH_WAITERS] = '\0';
    atomic_store(&f.ctl[C_GO], 1);
    atomic_store(&f.ctl[C_T0], (uint64_t)xp_now_us());
    zeroipc_latch_count_down(l, steps[NSTEPS - 1]);
    reap_all(DEADLINE_MS);
    uint64_t lat = atomic_load(&f.ctl[C_LAT]);
    fprintf(stderr, "latch: %d waiters (states before: %s) all out within %"
            PRIu64 " us of the last count_down\n", LATCH_WAITERS, states, lat);
    assert_int_equal(atomic_load(&f.ctl[C_PASSED]), LATCH_WAITERS);
    assert_true(lat < WAKE_MS * 1000);
    /* One use: it stays open, and count_down saturates. */
    zeroipc_latch_count_down(l, 1);
    assert_int_equal(zeroipc_latch_count(l), 0);
    assert_true(zeroipc_latch_wait_timeout(l, 0));
}

static void test_rwlock_share(void **state)
{
    (void)state;
    struct fixture f;
    fixture(&f, "xsrw");
    uint64_t *data = plain_array(&f, "data", 2);
    zeroipc_rwlock_t *rw = xp_keep(close_rw_, zeroipc_rwlock_create(f.m, "rw"));
    assert_non_null(rw);
    int64_t t0 = zt_now_ms();
    for (int i = 0; i < RW_READERS; i++)
        spawn(&f, RW_READER, i);
    for (int i = 0; i < RW_WRITERS; i++)
        spawn(&f, RW_WRITER, i);
    /* Phase A: the readers are all inside together. */
    assert_true(until(&f.ctl[C_READY], RW_READERS, WAIT_MS));
    assert_int_equal(zeroipc_rwlock_readers(rw), RW_READERS);
    assert_int_equal(zeroipc_rwlock_try_write_lock(rw), ZEROIPC_ERROR_TIMEOUT);
    int64_t tw = zt_now_ms();
    assert_int_equal(zeroipc_rwlock_write_lock_timeout(rw, 100), ZEROIPC_ERROR_TIMEOUT);
    int64_t el = zt_now_ms() - tw;
    assert_true(el >= 99 && el < 2000);
    /* The attempt left nothing behind: readers still come in. */
    assert_int_equal(zeroipc_rwlock_writer_active(rw), 0);
    assert_int_equal(zeroipc_rwlock_try_read_lock(rw), ZEROIPC_OK);
    assert_int_equal(zeroipc_rwlock_readers(rw), RW_READERS + 1);
    assert_int_equal(zeroipc_rwlock_read_unlock(rw), ZEROIPC_OK);
    /* Phase B. */
    atomic_store(&f.ctl[C_GO], 1);
    reap_all(DEADLINE_MS);
    fprintf(stderr, "rwlock: %d readers x %d, %d writers x %d in %" PRId64
            " ms; writer timed out after %" PRId64 " ms with %d readers in; "
            "up to %" PRIu64 " readers inside together against the writers\n",
            RW_READERS, RW_RITERS, RW_WRITERS, RW_WITERS, zt_now_ms() - t0, el,
            RW_READERS, atomic_load(&f.ctl[C_MAX]));
    assert_int_equal(data[0], (uint64_t)RW_WRITERS * RW_WITERS);
    assert_int_equal(data[1], data[0]);
    assert_int_equal(zeroipc_rwlock_readers(rw), 0);
    assert_int_equal(zeroipc_rwlock_writer_active(rw), 0);
    assert_int_equal(atomic_load(&f.ctl[C_IN]), 0);
    assert_int_equal(atomic_load(&f.ctl[C_W_IN]), 0);
}

static void test_rwlock_dead_writer(void **state)
{
    (void)state;
    struct fixture f;
    fixture(&f, "xsrwd");
    (void)plain_array(&f, "data", 2);
    zeroipc_rwlock_t *rw = xp_keep(close_rw_, zeroipc_rwlock_create(f.m, "rw"));
    assert_non_null(rw);
    int doomed = spawn(&f, RW_DOOMED, 0);
    assert_true(until(&f.ctl[C_READY], 1, WAIT_MS));
    int st;
    xp_kill_all(&kids[doomed], 1, &st);
    assert_int_equal(st, 128 + SIGKILL);
    assert_int_equal(zeroipc_rwlock_writer_active(rw), 1);

    atomic_store(&f.ctl[C_READY], 0);
    spawn(&f, RW_BLOCKED, 1);
    assert_true(until(&f.ctl[C_READY], 1, WAIT_MS));
    spawn(&f, RW_TIMED, 2);
    reap_all(DEADLINE_MS);
    int64_t el_r = (int64_t)atomic_load(&f.ctl[C_EL_R]);
    int64_t el_w = (int64_t)atomic_load(&f.ctl[C_EL_W]);
    uint64_t lat = atomic_load(&f.ctl[C_LAT]);
    fprintf(stderr, "dead writer: read_lock_timeout(%d) gave up after %" PRId64
            " ms, write_lock_timeout(%d) after %" PRId64 " ms; the blocked "
            "reader passed %" PRIu64 " us after the recovery\n", RW_TIMEOUT_MS,
            el_r, RW_TIMEOUT_MS, el_w, lat);
    assert_true(el_r >= RW_TIMEOUT_MS - 1 && el_r < RW_TIMEOUT_MS + 1000);
    assert_true(el_w >= RW_TIMEOUT_MS - 1 && el_w < RW_TIMEOUT_MS + 1000);
    assert_int_equal(atomic_load(&f.ctl[C_PASSED]), 1);
    assert_true(lat < WAKE_MS * 1000);
    assert_int_equal(zeroipc_rwlock_readers(rw), 0);
    assert_int_equal(zeroipc_rwlock_writer_active(rw), 0);
    assert_int_equal(zeroipc_rwlock_try_write_lock(rw), ZEROIPC_OK);
    assert_int_equal(zeroipc_rwlock_write_unlock(rw), ZEROIPC_OK);
}

static void test_signal_versions(void **state)
{
    (void)state;
    struct fixture f;
    fixture(&f, "xssig");
    zeroipc_signal_t *s = xp_keep(close_sig_, zeroipc_signal_create(
                                                  f.m, "sig", sizeof(struct sig_value), NULL));
    assert_non_null(s);
    int64_t t0 = zt_now_ms();
    for (int i = 0; i < SIG_WAITERS; i++)
        spawn(&f, SIG_WAIT, i);
    spawn(&f, SIG_SET, 0);
    reap_all(DEADLINE_MS);
    fprintf(stderr, "signal: %d sets in %" PRId64 " ms; the waiters saw %"
            PRIu64 " and %" PRIu64 " versions\n", SIG_N, zt_now_ms() - t0,
            atomic_load(&f.ctl[C_OBS]), atomic_load(&f.ctl[C_OBS + 1]));
    struct sig_value v;
    uint64_t ver = 0;
    assert_int_equal(zeroipc_signal_get(s, &v, &ver), ZEROIPC_OK);
    assert_int_equal(ver, SIG_N);
    assert_int_equal(v.w[0], SIG_N);
    /* Each saw the last and at least one version before it. */
    for (int i = 0; i < SIG_WAITERS; i++)
        assert_true(atomic_load(&f.ctl[C_OBS + i]) >= 2);
}

int main(void)
{
    zt_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_monitor_counter, xp_teardown),
        cmocka_unit_test_teardown(test_barrier_rounds, xp_teardown),
        cmocka_unit_test_teardown(test_latch_release, xp_teardown),
        cmocka_unit_test_teardown(test_rwlock_share, xp_teardown),
        cmocka_unit_test_teardown(test_rwlock_dead_writer, xp_teardown),
        cmocka_unit_test_teardown(test_signal_versions, xp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, zt_group_teardown);
}
