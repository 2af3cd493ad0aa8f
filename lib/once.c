/*
 * once.c - run a function exactly once, in the ZeroIPC v2 layout.
 *
 * The winner of the CAS PENDING -> EXECUTING runs the function, stores
 * DONE and wakes the state word; the others sleep on the word while it
 * holds EXECUTING.  Only the executor (and a recovery) make the wake
 * system call; a caller that finds DONE makes none.
 *
 * Ordering.  DONE is stored with release after the function returned; a
 * caller whose acquire load reads DONE has synchronized with it, so sees
 * every write of the function.  The winning CAS is acq_rel so that an
 * executor after a recovery sees what the recoverer saw.
 *
 * Trust: `state` may hold anything; a value above DONE is reported, never
 * acted on.
 */
#include "zeroipc_once.h"

#include <stdlib.h>
#include <string.h>

#include "memory_i.h"
#include "wait_i.h"

struct zeroipc_once {
    _Atomic uint32_t *state;
};

enum { PENDING = ZEROIPC_ONCE_PENDING, EXECUTING = ZEROIPC_ONCE_EXECUTING,
       DONE = ZEROIPC_ONCE_DONE };

int zeroipc_once_validate(const void *s, size_t size)
{
    if (s == NULL || size != ZEROIPC_ONCE_SIZE)
        return ZEROIPC_ERROR_WRONG_KIND;
    uint32_t v;
    memcpy(&v, s, sizeof v);
    return v <= DONE ? ZEROIPC_OK : ZEROIPC_ERROR_WRONG_KIND;
}

/* Waits for DONE; runs fn when it finds PENDING and fn is not NULL. */
static int once_run(zeroipc_once_t *o, void (*fn)(void *), void *arg,
                    int32_t timeout_ms)
{
    struct zeroipc_deadline dl;
    zeroipc_deadline_init(&dl, timeout_ms);
    for (;;) {
        uint32_t s = atomic_load_explicit(o->state, memory_order_acquire);
        if (s == DONE)
            return ZEROIPC_OK;
        if (s > DONE)
            return ZEROIPC_ERROR_CORRUPT;
        if (s == PENDING && fn != NULL) {
            if (atomic_compare_exchange_strong_explicit(
                    o->state, &s, EXECUTING, memory_order_acq_rel,
                    memory_order_acquire)) {
                fn(arg);
                atomic_store_explicit(o->state, DONE, memory_order_release);
                zeroipc_wake_word(o->state);
                return ZEROIPC_OK;
            }
            continue; /* somebody else moved it: look again */
        }
        if (zeroipc_wait_word(o->state, s, &dl) == ZEROIPC_ERROR_TIMEOUT)
            return ZEROIPC_ERROR_TIMEOUT;
    }
}

int zeroipc_once_call_timeout(zeroipc_once_t *o, void (*fn)(void *), void *arg,
                              int32_t timeout_ms)
{
    if (o == NULL || fn == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    return once_run(o, fn, arg, timeout_ms);
}

int zeroipc_once_call(zeroipc_once_t *o, void (*fn)(void *), void *arg)
{
    return zeroipc_once_call_timeout(o, fn, arg, -1);
}

int zeroipc_once_wait(zeroipc_once_t *o, int32_t timeout_ms)
{
    if (o == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    return once_run(o, NULL, NULL, timeout_ms);
}

int zeroipc_once_recover(zeroipc_once_t *o)
{
    if (o == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    uint32_t s = EXECUTING;
    if (atomic_compare_exchange_strong_explicit(o->state, &s, PENDING,
                                                memory_order_acq_rel,
                                                memory_order_relaxed)) {
        zeroipc_wake_word(o->state);
        return ZEROIPC_OK;
    }
    return s > DONE ? ZEROIPC_ERROR_CORRUPT : ZEROIPC_ERROR_NOT_FOUND;
}

int zeroipc_once_state(zeroipc_once_t *o)
{
    if (o == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    uint32_t s = atomic_load_explicit(o->state, memory_order_acquire);
    return s <= DONE ? (int)s : ZEROIPC_ERROR_CORRUPT;
}

bool zeroipc_once_done(zeroipc_once_t *o)
{
    return o != NULL &&
           atomic_load_explicit(o->state, memory_order_acquire) == DONE;
}

static void init_once(void *p, const void *ctx)
{
    /* The allocation is zeroed: the state is PENDING already. */
    (void)p;
    (void)ctx;
}

static zeroipc_once_t *handle(void *s)
{
    zeroipc_once_t *o = malloc(sizeof *o);
    if (o == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_SYSTEM);
        return NULL;
    }
    o->state = (_Atomic uint32_t *)s;
    zeroipc_set_error(ZEROIPC_OK);
    return o;
}

zeroipc_once_t *zeroipc_once_create(zeroipc_memory_t *mem, const char *name)
{
    if (mem == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
        return NULL;
    }
    size_t offset;
    if (zeroipc_table_add_init(mem, name, ZEROIPC_ONCE_SIZE, init_once, NULL,
                               &offset) != ZEROIPC_OK)
        return NULL;
    return handle((uint8_t *)zeroipc_memory_base(mem) + offset);
}

zeroipc_once_t *zeroipc_once_open(zeroipc_memory_t *mem, const char *name)
{
    void *s;
    size_t size;
    if (zeroipc_table_locate(mem, name, &s, &size) != ZEROIPC_OK)
        return NULL;
    if (size != ZEROIPC_ONCE_SIZE) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_WRONG_KIND);
        return NULL;
    }
    if ((uintptr_t)s % 4 != 0) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_CORRUPT);
        return NULL;
    }
    uint32_t v = atomic_load_explicit((_Atomic uint32_t *)s, memory_order_relaxed);
    if (v > DONE) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_WRONG_KIND);
        return NULL;
    }
    return handle(s);
}

void zeroipc_once_close(zeroipc_once_t *o)
{
    free(o);
}
