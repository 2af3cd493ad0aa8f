/*
 * event.c - auto-reset and manual-reset events, in the ZeroIPC v2 layout
 * (the 12-byte state at `name`, a semaphore at `name_sem`).
 *
 * Waiters sleep on `signaled`.  set stores 1 (auto: exchanges, and puts
 * the public implementations' token in `_sem` when it was 0), then wakes
 * if `waiting` says someone may sleep.  A manual waiter passes while
 * `signaled` is non-zero; an auto waiter must CAS it to 0, so exactly one
 * waiter takes each signal, then takes the token back.
 *
 * Ordering.  set's store is seq_cst and so are a waiter's add to `waiting`
 * and its read of `signaled` before sleeping: either the waiter sees the
 * signal or set sees the waiter and wakes it (the futex compares the word
 * with the 0 the waiter read, so a set in between is not lost).  A
 * waiter's successful read or CAS is an acquire of set's release.
 *
 * Trust: mode is cached at open; the words are only compared.
 */
#include "zeroipc_event.h"

#include <stdlib.h>
#include <string.h>

#include "memory_i.h"
#include "sem_i.h"
#include "wait_i.h"

struct zeroipc_event {
    _Atomic uint32_t *signaled;
    _Atomic uint32_t *waiting;
    void *sem;
    int32_t sem_max;
    uint32_t mode;
};

/* Offsets of the fields (FORMAT.md). */
enum { OFF_SIGNALED = 0, OFF_MODE = 4, OFF_WAITING = 8 };

static uint32_t read_u32(const void *s, size_t off)
{
    uint32_t v;
    memcpy(&v, (const uint8_t *)s + off, sizeof v);
    return v;
}

int zeroipc_event_validate(const void *s, size_t size)
{
    if (s == NULL || size != ZEROIPC_EVENT_SIZE || read_u32(s, OFF_MODE) > 1)
        return ZEROIPC_ERROR_WRONG_KIND;
    return ZEROIPC_OK;
}

/* `name` + "_sem" into buf (ZEROIPC_NAME_SIZE bytes).  The errors of a
 * base name: INVALID_ARGUMENT (NULL), NAME_TOO_LONG (over 27 bytes), and
 * zeroipc_check_name's. */
static int sem_name(const char *name, char *buf)
{
    return zeroipc_companion_name(name, ZEROIPC_EVENT_NAME_MAX, ZEROIPC_EVENT_SEM_SUFFIX, buf);
}

/* Takes back the token of an auto signal that was just cleared, if there
 * is one (a foreign peer may have taken it already). */
static void take_token(const zeroipc_event_t *ev)
{
    (void)zeroipc_sem_try_acquire_raw(ev->sem);
}

int zeroipc_event_set(zeroipc_event_t *ev)
{
    if (ev == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    /* seq_cst: a release for the waiters, ordered before the read of
     * waiting below. */
    uint32_t was = atomic_exchange_explicit(ev->signaled, 1, memory_order_seq_cst);
    if (ev->mode == ZEROIPC_EVENT_AUTO && was == 0)
        /* SIZE (count at INT32_MAX) or CORRUPT only lose the token for
         * foreign peers; our waiters go by `signaled`. */
        (void)zeroipc_sem_release_raw(ev->sem, ev->sem_max, 1);
    if (atomic_load_explicit(ev->waiting, memory_order_seq_cst) != 0)
        zeroipc_wake_word(ev->signaled);
    return ZEROIPC_OK;
}

int zeroipc_event_reset(zeroipc_event_t *ev)
{
    if (ev == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    uint32_t was = atomic_exchange_explicit(ev->signaled, 0, memory_order_acq_rel);
    if (ev->mode == ZEROIPC_EVENT_AUTO && was != 0)
        take_token(ev);
    return ZEROIPC_OK;
}

/* One look: ZEROIPC_OK when the caller passes (auto: it took the
 * signal), ZEROIPC_ERROR_TIMEOUT when the event is reset. */
static int try_pass(const zeroipc_event_t *ev)
{
    uint32_t s = atomic_load_explicit(ev->signaled, memory_order_acquire);
    if (ev->mode == ZEROIPC_EVENT_MANUAL)
        return s != 0 ? ZEROIPC_OK : ZEROIPC_ERROR_TIMEOUT;
    while (s != 0) {
        /* Acquire: pairs with set's exchange. */
        if (atomic_compare_exchange_weak_explicit(ev->signaled, &s, 0,
                                                  memory_order_acquire,
                                                  memory_order_acquire)) {
            take_token(ev);
            return ZEROIPC_OK;
        }
    }
    return ZEROIPC_ERROR_TIMEOUT;
}

int zeroipc_event_wait_timeout(zeroipc_event_t *ev, int32_t timeout_ms)
{
    if (ev == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    if (try_pass(ev) == ZEROIPC_OK)
        return ZEROIPC_OK;
    if (timeout_ms == 0)
        return ZEROIPC_ERROR_TIMEOUT;
    struct zeroipc_deadline dl;
    zeroipc_deadline_init(&dl, timeout_ms);
    for (;;) {
        /* Register, then look (seq_cst, see the top of the file). */
        atomic_fetch_add_explicit(ev->waiting, 1, memory_order_seq_cst);
        int w = ZEROIPC_OK;
        if (atomic_load_explicit(ev->signaled, memory_order_seq_cst) == 0)
            w = zeroipc_wait_word(ev->signaled, 0u, &dl);
        atomic_fetch_sub_explicit(ev->waiting, 1, memory_order_relaxed);
        int r = try_pass(ev);
        if (r == ZEROIPC_OK || w == ZEROIPC_ERROR_TIMEOUT)
            return r;
    }
}

int zeroipc_event_wait(zeroipc_event_t *ev)
{
    return zeroipc_event_wait_timeout(ev, -1);
}

int zeroipc_event_try_wait(zeroipc_event_t *ev)
{
    return zeroipc_event_wait_timeout(ev, 0);
}

int zeroipc_event_pulse(zeroipc_event_t *ev)
{
    if (ev == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    if (atomic_load_explicit(ev->waiting, memory_order_seq_cst) == 0)
        return zeroipc_event_reset(ev);
    zeroipc_event_set(ev);
    struct zeroipc_deadline dl;
    zeroipc_deadline_init(&dl, ZEROIPC_EVENT_PULSE_MS);
    for (;;) {
        /* Auto: until one waiter took the signal (it stores 0, without a
         * wake: the slice sees it).  Manual: until the waiters left. */
        _Atomic uint32_t *word = ev->mode == ZEROIPC_EVENT_AUTO ? ev->signaled
                                                                : ev->waiting;
        uint32_t v = atomic_load_explicit(word, memory_order_acquire);
        if (v == 0)
            break;
        if (zeroipc_wait_word(word, v, &dl) == ZEROIPC_ERROR_TIMEOUT)
            break;
    }
    return zeroipc_event_reset(ev);
}

bool zeroipc_event_is_set(zeroipc_event_t *ev)
{
    return ev != NULL && atomic_load_explicit(ev->signaled, memory_order_acquire) != 0;
}

uint32_t zeroipc_event_waiting(zeroipc_event_t *ev)
{
    return ev ? atomic_load_explicit(ev->waiting, memory_order_relaxed) : 0;
}

int zeroipc_event_mode(zeroipc_event_t *ev)
{
    return ev ? (int)ev->mode : -1;
}

static void init_event(void *p, const void *ctx)
{
    /* The allocation is zeroed: signaled and waiting are 0. */
    memcpy((uint8_t *)p + OFF_MODE, ctx, sizeof(uint32_t));
}

static zeroipc_event_t *handle(void *s, uint32_t mode, void *sem, int32_t sem_max)
{
    zeroipc_event_t *ev = malloc(sizeof *ev);
    if (ev == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_SYSTEM);
        return NULL;
    }
    uint8_t *p = s;
    ev->signaled = (_Atomic uint32_t *)(void *)(p + OFF_SIGNALED);
    ev->waiting = (_Atomic uint32_t *)(void *)(p + OFF_WAITING);
    ev->mode = mode;
    ev->sem = sem;
    ev->sem_max = sem_max;
    zeroipc_set_error(ZEROIPC_OK);
    return ev;
}

zeroipc_event_t *zeroipc_event_create(zeroipc_memory_t *mem, const char *name,
                                      zeroipc_event_mode_t mode)
{
    if (mem == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
        return NULL;
    }
    char sname[ZEROIPC_NAME_SIZE];
    int err = sem_name(name, sname);
    if (err == ZEROIPC_OK && mode != ZEROIPC_EVENT_AUTO && mode != ZEROIPC_EVENT_MANUAL)
        err = ZEROIPC_ERROR_INVALID_ARGUMENT;
    if (err != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, err);
        return NULL;
    }
    uint32_t m = (uint32_t)mode;
    struct zeroipc_sem_init_args a = {0, 0};
    struct zeroipc_table_part p[2] = {
        {name, ZEROIPC_EVENT_SIZE, init_event, &m, 0},
        {sname, ZEROIPC_SEM_BYTES, zeroipc_sem_init, &a, 0},
    };
    err = zeroipc_table_add_group(mem, p, 2);
    if (err != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, err);
        return NULL;
    }
    uint8_t *base = zeroipc_memory_base(mem);
    return handle(base + p[0].off, m, base + p[1].off, 0);
}

zeroipc_event_t *zeroipc_event_open(zeroipc_memory_t *mem, const char *name)
{
    char sname[ZEROIPC_NAME_SIZE];
    int err = mem == NULL ? ZEROIPC_ERROR_INVALID_ARGUMENT : sem_name(name, sname);
    if (err != ZEROIPC_OK) {
        if (mem != NULL)
            zeroipc_mem_fail(mem, err);
        else
            zeroipc_set_error(err);
        return NULL;
    }
    void *s, *sem;
    size_t size, ssize;
    if (zeroipc_table_locate(mem, name, &s, &size) != ZEROIPC_OK)
        return NULL;
    /* zeroipc_event_validate, with one read of mode: the value checked is
     * the value cached. */
    uint32_t mode = size == ZEROIPC_EVENT_SIZE ? read_u32(s, OFF_MODE) : 2;
    if (mode > 1) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_WRONG_KIND);
        return NULL;
    }
    if ((uintptr_t)s % 4 != 0) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_CORRUPT);
        return NULL;
    }
    err = zeroipc_table_locate(mem, sname, &sem, &ssize);
    if (err == ZEROIPC_ERROR_NOT_FOUND)
        err = ZEROIPC_ERROR_CORRUPT;
    int32_t smax = 0;
    if (err == ZEROIPC_OK)
        err = zeroipc_sem_check(sem, ssize, 0, &smax);
    if (err != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, err);
        return NULL;
    }
    return handle(s, mode, sem, smax);
}

void zeroipc_event_close(zeroipc_event_t *ev)
{
    free(ev);
}
