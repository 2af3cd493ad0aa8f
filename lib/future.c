/*
 * future.c - a value resolved once (FORMAT.md "Future"): {atomic u32
 * state; atomic u32 waiters; atomic u64 completion_time; T value; char
 * error_msg[256]}.
 *
 * Resolve: CAS PENDING -> COMPUTING (acq_rel: the winner alone writes),
 * plain writes of the value or message and a relaxed store of the time,
 * then the final state with a seq_cst store (a release, and ordered
 * before the read of `waiters` that decides whether to wake).
 *
 * Wait: read the state (acquire); while it is not final, waiters + 1
 * (seq_cst), read the state again (seq_cst), futex-sleep on the state word
 * for what was read, waiters - 1.  Together with the setter's seq_cst
 * store-then-load this is the store-buffering pattern: the setter sees
 * waiters > 0 or the sleeper sees the final state, never neither, and the
 * kernel's compare of the state word covers the window between the
 * sleeper's look and its sleep.
 *
 * Trust: the entry size is checked at open against the caller's value
 * size; the state is checked on every read; the message is copied out
 * within its field.
 */
#include "zeroipc_future.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memory_i.h"
#include "wait_i.h"

_Static_assert(sizeof(_Atomic uint64_t) == 8, "atomic u64 is 8 bytes");

struct zeroipc_future {
    _Atomic uint32_t *state;
    _Atomic uint32_t *waiters;
    _Atomic uint64_t *time;
    uint8_t *value;
    char *msg; /* ZEROIPC_FUTURE_MSG_SIZE bytes */
    size_t size;
};

static bool bad_size(size_t n)
{
    return n == 0 || n > ZEROIPC_FUTURE_VALUE_MAX;
}

int zeroipc_future_validate(const void *s, size_t size)
{
    if (s == NULL || size < ZEROIPC_FUTURE_SIZE(1) || size % 8 != 0)
        return ZEROIPC_ERROR_WRONG_KIND;
    uint32_t state;
    memcpy(&state, s, sizeof state);
    return state <= ZEROIPC_FUTURE_ERROR ? ZEROIPC_OK : ZEROIPC_ERROR_WRONG_KIND;
}

static zeroipc_future_t *handle(uint8_t *p, size_t size)
{
    zeroipc_future_t *f = malloc(sizeof *f);
    if (f == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_SYSTEM);
        return NULL;
    }
    f->state = (_Atomic uint32_t *)(void *)p;
    f->waiters = (_Atomic uint32_t *)(void *)(p + 4);
    f->time = (_Atomic uint64_t *)(void *)(p + 8);
    f->value = p + ZEROIPC_FUTURE_VALUE_OFFSET;
    f->msg = (char *)(p + ZEROIPC_FUTURE_VALUE_OFFSET + size);
    f->size = size;
    zeroipc_set_error(ZEROIPC_OK);
    return f;
}

zeroipc_future_t *zeroipc_future_create(zeroipc_memory_t *mem,
                                        const char *name, size_t value_size)
{
    if (mem == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
        return NULL;
    }
    if (bad_size(value_size)) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_INVALID_ARGUMENT);
        return NULL;
    }
    size_t off;
    /* All zero is PENDING, no waiters, time 0, empty message: the zeroed
     * allocation is the whole initialization. */
    if (zeroipc_table_add_init(mem, name, ZEROIPC_FUTURE_SIZE(value_size),
                               NULL, NULL, &off) != ZEROIPC_OK)
        return NULL;
    return handle((uint8_t *)zeroipc_memory_base(mem) + off, value_size);
}

zeroipc_future_t *zeroipc_future_open(zeroipc_memory_t *mem, const char *name,
                                      size_t value_size)
{
    if (mem == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
        return NULL;
    }
    if (bad_size(value_size)) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_INVALID_ARGUMENT);
        return NULL;
    }
    void *p;
    size_t size;
    if (zeroipc_table_locate(mem, name, &p, &size) != ZEROIPC_OK)
        return NULL;
    if (size != ZEROIPC_FUTURE_SIZE(value_size) ||
        zeroipc_future_validate(p, size) != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_WRONG_KIND);
        return NULL;
    }
    if ((uintptr_t)p % 8 != 0) { /* completion_time is a 64-bit atomic */
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_CORRUPT);
        return NULL;
    }
    return handle(p, value_size);
}

void zeroipc_future_close(zeroipc_future_t *f)
{
    free(f);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Wins PENDING -> COMPUTING, or says why not. */
static int claim(zeroipc_future_t *f)
{
    uint32_t s = ZEROIPC_FUTURE_PENDING;
    /* Acquire on failure too: a final state read here is then complete. */
    if (atomic_compare_exchange_strong_explicit(f->state, &s,
                                                ZEROIPC_FUTURE_COMPUTING,
                                                memory_order_acq_rel,
                                                memory_order_acquire))
        return ZEROIPC_OK;
    return s <= ZEROIPC_FUTURE_ERROR ? ZEROIPC_ERROR_ALREADY_SET
                                     : ZEROIPC_ERROR_CORRUPT;
}

/* Publishes the final state and wakes sleepers if there are any. */
static void publish(zeroipc_future_t *f, uint32_t final)
{
    atomic_store_explicit(f->time, now_ns(), memory_order_relaxed);
    /* seq_cst: a release for the value and time, and ordered before the
     * load of `waiters` below (see the essay above). */
    atomic_store_explicit(f->state, final, memory_order_seq_cst);
    if (atomic_load_explicit(f->waiters, memory_order_seq_cst) != 0)
        zeroipc_wake_word(f->state);
}

int zeroipc_future_set(zeroipc_future_t *f, const void *value)
{
    if (f == NULL || value == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    int r = claim(f);
    if (r != ZEROIPC_OK)
        return r;
    /* Only the claimer writes, and readers look only after the final
     * state (acquire): plain copies are enough. */
    memcpy(f->value, value, f->size);
    publish(f, ZEROIPC_FUTURE_READY);
    return ZEROIPC_OK;
}

int zeroipc_future_set_error(zeroipc_future_t *f, const char *msg)
{
    if (f == NULL || msg == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    int r = claim(f);
    if (r != ZEROIPC_OK)
        return r;
    size_t n = strnlen(msg, ZEROIPC_FUTURE_MSG_SIZE - 1);
    /* The message before the state (C++ does it the other way round). */
    memcpy(f->msg, msg, n);
    memset(f->msg + n, 0, ZEROIPC_FUTURE_MSG_SIZE - n);
    publish(f, ZEROIPC_FUTURE_ERROR);
    return ZEROIPC_OK;
}

/* What a final state means for get. */
static int deliver(zeroipc_future_t *f, uint32_t s, void *out)
{
    if (s == ZEROIPC_FUTURE_READY) {
        memcpy(out, f->value, f->size);
        return ZEROIPC_OK;
    }
    return s == ZEROIPC_FUTURE_ERROR ? ZEROIPC_ERROR_FAILED
                                     : ZEROIPC_ERROR_CORRUPT;
}

static bool pending(uint32_t s)
{
    return s == ZEROIPC_FUTURE_PENDING || s == ZEROIPC_FUTURE_COMPUTING;
}

int zeroipc_future_get_timeout(zeroipc_future_t *f, void *out,
                               int32_t timeout_ms)
{
    if (f == NULL || out == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    uint32_t s = atomic_load_explicit(f->state, memory_order_acquire);
    if (!pending(s))
        return deliver(f, s, out);
    if (timeout_ms == 0)
        return ZEROIPC_ERROR_TIMEOUT;
    struct zeroipc_deadline dl;
    zeroipc_deadline_init(&dl, timeout_ms);
    int r = ZEROIPC_OK;
    atomic_fetch_add_explicit(f->waiters, 1, memory_order_seq_cst);
    for (;;) {
        /* seq_cst: after our increment, against the setter's store. */
        s = atomic_load_explicit(f->state, memory_order_seq_cst);
        if (!pending(s))
            break;
        if (zeroipc_wait_word(f->state, s, &dl) == ZEROIPC_ERROR_TIMEOUT) {
            r = ZEROIPC_ERROR_TIMEOUT;
            break;
        }
    }
    /* Never below zero: a foreign writer may have zeroed the count. */
    uint32_t w = atomic_load_explicit(f->waiters, memory_order_relaxed);
    while (w != 0 && !atomic_compare_exchange_weak_explicit(
                         f->waiters, &w, w - 1, memory_order_relaxed,
                         memory_order_relaxed))
        ;
    if (r != ZEROIPC_OK) {
        /* One last look: a set that came with the deadline counts. */
        s = atomic_load_explicit(f->state, memory_order_acquire);
        return pending(s) ? r : deliver(f, s, out);
    }
    return deliver(f, s, out);
}

int zeroipc_future_get(zeroipc_future_t *f, void *out)
{
    return zeroipc_future_get_timeout(f, out, -1);
}

int zeroipc_future_try_get(zeroipc_future_t *f, void *out)
{
    if (f == NULL || out == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    uint32_t s = atomic_load_explicit(f->state, memory_order_acquire);
    return pending(s) ? ZEROIPC_ERROR_NOT_FOUND : deliver(f, s, out);
}

int zeroipc_future_state(zeroipc_future_t *f)
{
    if (f == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    uint32_t s = atomic_load_explicit(f->state, memory_order_acquire);
    return s <= ZEROIPC_FUTURE_ERROR ? (int)s : ZEROIPC_ERROR_CORRUPT;
}

uint32_t zeroipc_future_waiters(zeroipc_future_t *f)
{
    return f ? atomic_load_explicit(f->waiters, memory_order_relaxed) : 0;
}

uint64_t zeroipc_future_completion_time(zeroipc_future_t *f)
{
    if (f == NULL)
        return 0;
    /* Acquire the state first: a final state carries its time. */
    (void)atomic_load_explicit(f->state, memory_order_acquire);
    return atomic_load_explicit(f->time, memory_order_relaxed);
}

int zeroipc_future_error(zeroipc_future_t *f, char *buf, size_t len)
{
    if (f == NULL || buf == NULL || len == 0)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    uint32_t s = atomic_load_explicit(f->state, memory_order_acquire);
    if (s > ZEROIPC_FUTURE_ERROR)
        return ZEROIPC_ERROR_CORRUPT;
    if (s != ZEROIPC_FUTURE_ERROR)
        return ZEROIPC_ERROR_NOT_FOUND;
    /* Bounded by the field: a foreign writer may have left no NUL. */
    size_t n = strnlen(f->msg, ZEROIPC_FUTURE_MSG_SIZE - 1);
    size_t k = n < len - 1 ? n : len - 1;
    memcpy(buf, f->msg, k);
    buf[k] = '\0';
    return k == n ? ZEROIPC_OK : ZEROIPC_ERROR_SIZE;
}

size_t zeroipc_future_value_size(zeroipc_future_t *f)
{
    return f ? f->size : 0;
}
