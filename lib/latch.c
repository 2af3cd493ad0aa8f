/*
 * latch.c - the single-use countdown latch, in the ZeroIPC v2 layout.
 *
 * count_down is a CAS loop that never takes the count below 0; only the
 * CAS that stores 0 wakes anybody, so counting down makes no system call
 * until the end.  Waiters sleep on `count` with the value they last read:
 * any change (ours, or a foreign peer's seen at the end of a slice) makes
 * them look again.
 *
 * Ordering.  Every successful CAS is a release and a read-modify-write,
 * so the CASes form one release sequence: a waiter whose acquire load
 * reads 0 has synchronized with every count_down, not only the last.
 *
 * Trust: `initial` is cached at open; `count` may hold anything and is
 * only compared with 0 and n.
 */
#include "zeroipc_latch.h"

#include <stdlib.h>
#include <string.h>

#include "memory_i.h"
#include "wait_i.h"

struct zeroipc_latch {
    _Atomic int32_t *count;
    int32_t initial;
};

/* Offsets of the fields (FORMAT.md). */
enum { OFF_COUNT = 0, OFF_INITIAL = 4 };

static int32_t read_i32(const void *s, size_t off)
{
    int32_t v;
    memcpy(&v, (const uint8_t *)s + off, sizeof v);
    return v;
}

static _Atomic uint32_t *count_word(const zeroipc_latch_t *l)
{
    return (_Atomic uint32_t *)(void *)l->count;
}

int zeroipc_latch_validate(const void *s, size_t size)
{
    if (s == NULL || size != ZEROIPC_LATCH_SIZE)
        return ZEROIPC_ERROR_WRONG_KIND;
    if (read_i32(s, OFF_INITIAL) < 0)
        return ZEROIPC_ERROR_WRONG_KIND;
    return ZEROIPC_OK;
}

void zeroipc_latch_count_down(zeroipc_latch_t *l, int32_t n)
{
    if (l == NULL || n <= 0)
        return;
    int32_t c = atomic_load_explicit(l->count, memory_order_relaxed);
    while (c > 0) {
        int32_t next = c > n ? c - n : 0;
        if (atomic_compare_exchange_weak_explicit(l->count, &c, next,
                                                  memory_order_release,
                                                  memory_order_relaxed)) {
            if (next == 0)
                zeroipc_wake_word(count_word(l));
            return;
        }
    }
}

int zeroipc_latch_await(zeroipc_latch_t *l, int32_t timeout_ms)
{
    if (l == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    struct zeroipc_deadline dl;
    zeroipc_deadline_init(&dl, timeout_ms);
    for (;;) {
        int32_t c = atomic_load_explicit(l->count, memory_order_acquire);
        if (c <= 0)
            return ZEROIPC_OK;
        if (zeroipc_wait_word(count_word(l), (uint32_t)c, &dl) == ZEROIPC_ERROR_TIMEOUT)
            return ZEROIPC_ERROR_TIMEOUT;
    }
}

void zeroipc_latch_wait(zeroipc_latch_t *l)
{
    (void)zeroipc_latch_await(l, -1);
}

bool zeroipc_latch_try_wait(zeroipc_latch_t *l)
{
    return l != NULL && atomic_load_explicit(l->count, memory_order_acquire) <= 0;
}

bool zeroipc_latch_wait_timeout(zeroipc_latch_t *l, int32_t timeout_ms)
{
    return zeroipc_latch_await(l, timeout_ms) == ZEROIPC_OK;
}

int32_t zeroipc_latch_count(zeroipc_latch_t *l)
{
    return l ? atomic_load_explicit(l->count, memory_order_acquire) : -1;
}

int32_t zeroipc_latch_initial_count(zeroipc_latch_t *l)
{
    return l ? l->initial : -1;
}

static void init_latch(void *p, const void *ctx)
{
    /* The allocation is zeroed: the pad is 0. */
    memcpy((uint8_t *)p + OFF_COUNT, ctx, sizeof(int32_t));
    memcpy((uint8_t *)p + OFF_INITIAL, ctx, sizeof(int32_t));
}

static zeroipc_latch_t *handle(void *s, int32_t initial)
{
    zeroipc_latch_t *l = malloc(sizeof *l);
    if (l == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_SYSTEM);
        return NULL;
    }
    l->count = (_Atomic int32_t *)(void *)((uint8_t *)s + OFF_COUNT);
    l->initial = initial;
    zeroipc_set_error(ZEROIPC_OK);
    return l;
}

zeroipc_latch_t *zeroipc_latch_create(zeroipc_memory_t *mem, const char *name,
                                      int32_t count)
{
    if (mem == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
        return NULL;
    }
    if (count < 0) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_SIZE);
        return NULL;
    }
    size_t offset;
    if (zeroipc_table_add_init(mem, name, ZEROIPC_LATCH_SIZE, init_latch, &count,
                               &offset) != ZEROIPC_OK)
        return NULL;
    return handle((uint8_t *)zeroipc_memory_base(mem) + offset, count);
}

zeroipc_latch_t *zeroipc_latch_open(zeroipc_memory_t *mem, const char *name)
{
    void *s;
    size_t size;
    if (zeroipc_table_locate(mem, name, &s, &size) != ZEROIPC_OK)
        return NULL;
    /* zeroipc_latch_validate, with one read of initial: the value checked
     * is the value cached. */
    int32_t initial = size == ZEROIPC_LATCH_SIZE ? read_i32(s, OFF_INITIAL) : -1;
    if (initial < 0) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_WRONG_KIND);
        return NULL;
    }
    if ((uintptr_t)s % 8 != 0) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_CORRUPT);
        return NULL;
    }
    int32_t c = atomic_load_explicit((_Atomic int32_t *)s, memory_order_relaxed);
    if (c < 0 || c > initial) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_CORRUPT);
        return NULL;
    }
    return handle(s, initial);
}

void zeroipc_latch_close(zeroipc_latch_t *l)
{
    free(l);
}
