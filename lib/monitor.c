/*
 * monitor.c - a monitor (FORMAT.md "Synchronization primitives"): a
 * mutex `name_mtx`, a semaphore `name_cond` (0, unbounded), a u32 waiter
 * count `name_count` and a 1-byte marker `name`.
 *
 * Everything that sleeps or counts units goes through sem_i.h.  A waiter
 * registers in `_count` (seq_cst) before it unlocks; a notifier takes
 * registrations with a CAS that never goes below 0 and then releases as
 * many units, so a unit exists for every registration taken, and a waiter
 * that registered before the notifier read `_count` gets one (the unit
 * waits in the semaphore if the waiter is not asleep yet).  Ordering:
 * what the notifier wrote before releasing is visible to the waiter that
 * takes the unit (the semaphore's release/acquire), and the lock orders
 * the critical sections.
 *
 * Trust: the semaphores are checked at open (sem_i.h); `_count` is a u32
 * that is only compared and changed by CAS.
 */
#include "zeroipc_monitor.h"

#include <stdlib.h>
#include <string.h>

#include "memory_i.h"
#include "sem_i.h"
#include "wait_i.h"

struct zeroipc_monitor {
    void *mtx;
    void *cond;
    int32_t cond_max;
    _Atomic uint32_t *count;
};

/* ------------------------------------------------------------------ */
/* Names and the four entries. */

/* The three companion names. */
static int names(const char *name, char mname[], char cname[], char kname[])
{
    int err = zeroipc_companion_name(name, ZEROIPC_MONITOR_NAME_MAX, ZEROIPC_MONITOR_MTX_SUFFIX, mname);
    if (err == ZEROIPC_OK)
        err = zeroipc_companion_name(name, ZEROIPC_MONITOR_NAME_MAX, ZEROIPC_MONITOR_COND_SUFFIX, cname);
    if (err == ZEROIPC_OK)
        err = zeroipc_companion_name(name, ZEROIPC_MONITOR_NAME_MAX, ZEROIPC_MONITOR_COUNT_SUFFIX, kname);
    return err;
}

/* ------------------------------------------------------------------ */
/* Lock. */

static int lock_dl(zeroipc_monitor_t *mon, int32_t timeout_ms)
{
    if (mon == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    if (timeout_ms == 0)
        return zeroipc_sem_try_acquire_raw(mon->mtx);
    struct zeroipc_deadline dl;
    zeroipc_deadline_init(&dl, timeout_ms);
    return zeroipc_sem_acquire_raw(mon->mtx, &dl);
}

int zeroipc_monitor_lock(zeroipc_monitor_t *mon)
{
    return lock_dl(mon, -1);
}

int zeroipc_monitor_lock_timeout(zeroipc_monitor_t *mon, int32_t timeout_ms)
{
    return lock_dl(mon, timeout_ms);
}

int zeroipc_monitor_try_lock(zeroipc_monitor_t *mon)
{
    return lock_dl(mon, 0);
}

int zeroipc_monitor_unlock(zeroipc_monitor_t *mon)
{
    if (mon == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    return zeroipc_sem_release_raw(mon->mtx, 1, 1);
}

/* ------------------------------------------------------------------ */
/* Notify. */

/* Takes up to `want` registrations from `_count`; returns how many. */
static uint32_t take_registrations(zeroipc_monitor_t *mon, uint32_t want)
{
    uint32_t c = atomic_load_explicit(mon->count, memory_order_seq_cst);
    while (c > 0) {
        uint32_t n = c < want ? c : want;
        if (atomic_compare_exchange_weak_explicit(mon->count, &c, c - n,
                                                  memory_order_seq_cst,
                                                  memory_order_seq_cst))
            return n;
    }
    return 0;
}

int zeroipc_monitor_notify_one(zeroipc_monitor_t *mon)
{
    if (mon == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    if (take_registrations(mon, 1) == 0)
        return ZEROIPC_OK;
    return zeroipc_sem_release_raw(mon->cond, mon->cond_max, 1);
}

int zeroipc_monitor_notify_all(zeroipc_monitor_t *mon)
{
    if (mon == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    uint32_t n = take_registrations(mon, (uint32_t)INT32_MAX);
    if (n == 0)
        return ZEROIPC_OK;
    return zeroipc_sem_release_raw(mon->cond, mon->cond_max, (int32_t)n);
}

/* ------------------------------------------------------------------ */
/* Wait. */

/* A waiter that gave up: withdraws a registration if one is left, else
 * takes back the unit a notifier meant for it, if it is there. */
static void withdraw(zeroipc_monitor_t *mon)
{
    if (take_registrations(mon, 1) == 0)
        (void)zeroipc_sem_try_acquire_raw(mon->cond);
}

/* The earlier of dl and RECHECK_MS from now, in *out; true when that is
 * the recheck, not dl. */
static bool recheck_first(const struct zeroipc_deadline *dl,
                          struct zeroipc_deadline *out)
{
    zeroipc_deadline_init(out, ZEROIPC_MONITOR_RECHECK_MS);
    if (dl->forever || dl->at.tv_sec > out->at.tv_sec ||
        (dl->at.tv_sec == out->at.tv_sec && dl->at.tv_nsec > out->at.tv_nsec))
        return true;
    *out = *dl;
    return false;
}

static int wait_dl(zeroipc_monitor_t *mon, zeroipc_monitor_pred_fn pred,
                   void *ctx, int32_t timeout_ms)
{
    if (mon == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    struct zeroipc_deadline dl, slice;
    zeroipc_deadline_init(&dl, timeout_ms);
    for (;;) {
        if (pred && pred(ctx))
            return ZEROIPC_OK;
        if (timeout_ms == 0) {
            (void)zeroipc_sem_release_raw(mon->mtx, 1, 1);
            return ZEROIPC_ERROR_TIMEOUT;
        }
        /* With a predicate, sleep at most RECHECK_MS before looking at it
         * again: a later waiter may have taken the unit meant for us. */
        bool recheck = pred != NULL && recheck_first(&dl, &slice);
        /* Registered before the unlock: a notifier that holds the lock
         * after us sees us. */
        atomic_fetch_add_explicit(mon->count, 1, memory_order_seq_cst);
        int r = zeroipc_sem_release_raw(mon->mtx, 1, 1);
        if (r != ZEROIPC_OK) {
            withdraw(mon);
            return r;
        }
        int w = zeroipc_sem_acquire_raw(mon->cond, recheck ? &slice : &dl);
        if (w != ZEROIPC_OK)
            withdraw(mon);
        if (w != ZEROIPC_OK && w != ZEROIPC_ERROR_TIMEOUT)
            return w;
        if (w == ZEROIPC_ERROR_TIMEOUT && recheck)
            w = ZEROIPC_OK; /* not our deadline: look at pred again */
        /* Past the deadline this is one try: the lock if it is free. */
        r = zeroipc_sem_acquire_raw(mon->mtx, &dl);
        if (r != ZEROIPC_OK)
            return r;
        if (w == ZEROIPC_ERROR_TIMEOUT) {
            if (pred && pred(ctx))
                return ZEROIPC_OK;
            (void)zeroipc_sem_release_raw(mon->mtx, 1, 1);
            return ZEROIPC_ERROR_TIMEOUT;
        }
        if (pred == NULL)
            return ZEROIPC_OK;
    }
}

int zeroipc_monitor_wait(zeroipc_monitor_t *mon, zeroipc_monitor_pred_fn pred,
                         void *ctx)
{
    return wait_dl(mon, pred, ctx, -1);
}

int zeroipc_monitor_wait_timeout(zeroipc_monitor_t *mon,
                                 zeroipc_monitor_pred_fn pred, void *ctx,
                                 int32_t timeout_ms)
{
    return wait_dl(mon, pred, ctx, timeout_ms);
}

uint32_t zeroipc_monitor_waiting(zeroipc_monitor_t *mon)
{
    return mon ? atomic_load_explicit(mon->count, memory_order_relaxed) : 0;
}

bool zeroipc_monitor_is_locked(zeroipc_monitor_t *mon)
{
    return mon != NULL &&
           atomic_load_explicit((_Atomic int32_t *)mon->mtx, memory_order_acquire) == 0;
}

/* ------------------------------------------------------------------ */
/* Create, open, close. */

static zeroipc_monitor_t *handle(void *mtx, void *cond, int32_t cond_max,
                                 void *count)
{
    zeroipc_monitor_t *mon = malloc(sizeof *mon);
    if (mon == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_SYSTEM);
        return NULL;
    }
    mon->mtx = mtx;
    mon->cond = cond;
    mon->cond_max = cond_max;
    mon->count = count;
    zeroipc_set_error(ZEROIPC_OK);
    return mon;
}

zeroipc_monitor_t *zeroipc_monitor_create(zeroipc_memory_t *mem, const char *name)
{
    if (mem == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
        return NULL;
    }
    char mname[ZEROIPC_NAME_SIZE], cname[ZEROIPC_NAME_SIZE], kname[ZEROIPC_NAME_SIZE];
    int err = names(name, mname, cname, kname);
    if (err != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, err);
        return NULL;
    }
    struct zeroipc_sem_init_args ma = {1, 1}, ca = {0, 0};
    struct zeroipc_table_part p[4] = {
        {mname, ZEROIPC_SEM_BYTES, zeroipc_sem_init, &ma, 0},
        {cname, ZEROIPC_SEM_BYTES, zeroipc_sem_init, &ca, 0},
        {kname, ZEROIPC_MONITOR_COUNT_SIZE, NULL, NULL, 0},
        {name, 1, NULL, NULL, 0},
    };
    err = zeroipc_table_add_group(mem, p, 4);
    if (err != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, err);
        return NULL;
    }
    uint8_t *base = zeroipc_memory_base(mem);
    return handle(base + p[0].off, base + p[1].off, 0, base + p[2].off);
}

/* A companion: missing is CORRUPT (the marker exists). */
zeroipc_monitor_t *zeroipc_monitor_open(zeroipc_memory_t *mem, const char *name)
{
    if (mem == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
        return NULL;
    }
    char mname[ZEROIPC_NAME_SIZE], cname[ZEROIPC_NAME_SIZE], kname[ZEROIPC_NAME_SIZE];
    int err = names(name, mname, cname, kname);
    if (err != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, err);
        return NULL;
    }
    void *marker, *mtx, *cond, *count;
    size_t msize, xsize, csize, ksize;
    int32_t cmax = 0;
    if (zeroipc_table_locate(mem, name, &marker, &msize) != ZEROIPC_OK)
        return NULL;
    if (msize != 1)
        err = ZEROIPC_ERROR_WRONG_KIND;
    if (err == ZEROIPC_OK)
        err = zeroipc_table_locate_part(mem, mname, &mtx, &xsize);
    if (err == ZEROIPC_OK)
        err = zeroipc_sem_check(mtx, xsize, 1, NULL);
    if (err == ZEROIPC_OK)
        err = zeroipc_table_locate_part(mem, cname, &cond, &csize);
    if (err == ZEROIPC_OK)
        err = zeroipc_sem_check(cond, csize, 0, &cmax);
    if (err == ZEROIPC_OK)
        err = zeroipc_table_locate_part(mem, kname, &count, &ksize);
    if (err == ZEROIPC_OK && ksize != ZEROIPC_MONITOR_COUNT_SIZE)
        err = ZEROIPC_ERROR_WRONG_KIND;
    if (err == ZEROIPC_OK && (uintptr_t)count % 4 != 0)
        err = ZEROIPC_ERROR_CORRUPT;
    if (err != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, err);
        return NULL;
    }
    return handle(mtx, cond, cmax, count);
}

void zeroipc_monitor_close(zeroipc_monitor_t *mon)
{
    free(mon);
}
