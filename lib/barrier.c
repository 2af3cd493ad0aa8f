/*
 * barrier.c - the reusable barrier, in the ZeroIPC v2 layout.
 *
 * Arrival is one fetch_add on `arrived`; the value it returns says what
 * the caller is.  participants - 1: the last, which zeroes `arrived`,
 * increments `generation` (release) and wakes the sleepers.  Below that:
 * a waiter, which sleeps while `generation` still holds the value it read
 * before arriving.  Anything else: corrupt memory (or more callers than
 * participants), reported at once.
 *
 * Ordering.  The fetch_adds on `arrived` are acq_rel, so they form one
 * release sequence and the last arrival acquires every earlier arrival's
 * writes; its release increment of `generation`, acquired by every
 * waiter, passes them (and its own) on.  `arrived` is zeroed before
 * `generation` moves, so a released participant that arrives again at
 * once is counted in the new generation, never wiped by the reset.
 *
 * A generation read before arriving is the generation the arrival counts
 * in: with exactly `participants` callers it cannot open without this
 * caller's arrival.
 *
 * Withdrawing after a timeout uses the format's 32-bit words only (a
 * 64-bit CAS on the pair would not be the same atomic as the 32-bit
 * operations of other implementations).  Taking the arrival back is a CAS
 * of `arrived` from a to a - 1 with a in [1, participants - 1].  That CAS
 * may land in the next generation (the barrier opened, and participants
 * arrived again until `arrived` was back at a: ABA), but never later,
 * because the next generation cannot open without us; nor can our own
 * generation open after the CAS, since it then lacks our arrival.  So
 * `generation` read after the CAS tells which case it was: unchanged, the
 * withdrawal stands; moved, we had been released after all and give the
 * arrival back (fetch_add, opening that generation in the case, possible
 * only with misuse, that this completes it).
 *
 * Trust: `participants` is cached at open; the words may hold anything
 * and are only ever compared, never used as an index.
 */
#include "zeroipc_barrier.h"

#include <stdlib.h>
#include <string.h>

#include "memory_i.h"
#include "wait_i.h"

struct zeroipc_barrier {
    _Atomic int32_t *arrived;
    _Atomic int32_t *generation;
    int32_t participants;
};

/* Offsets of the fields (FORMAT.md). */
enum { OFF_ARRIVED = 0, OFF_GENERATION = 4, OFF_PARTICIPANTS = 8 };

_Static_assert(sizeof(_Atomic int32_t) == 4, "atomic i32 is 4 bytes");

static int32_t read_i32(const void *s, size_t off)
{
    int32_t v;
    memcpy(&v, (const uint8_t *)s + off, sizeof v);
    return v;
}

/* a + 1 with the wrap-around of the shared word, without signed
 * overflow. */
static int32_t inc32(int32_t a)
{
    return (int32_t)((uint32_t)a + 1u);
}

static _Atomic uint32_t *gen_word(const zeroipc_barrier_t *b)
{
    return (_Atomic uint32_t *)(void *)b->generation;
}

int zeroipc_barrier_validate(const void *s, size_t size)
{
    if (s == NULL || size != ZEROIPC_BARRIER_SIZE)
        return ZEROIPC_ERROR_WRONG_KIND;
    if (read_i32(s, OFF_PARTICIPANTS) < 1)
        return ZEROIPC_ERROR_WRONG_KIND;
    return ZEROIPC_OK;
}

/* The last arrival: reset the count for the next generation, then open
 * this one. */
static void open_generation(const zeroipc_barrier_t *b)
{
    atomic_store_explicit(b->arrived, 0, memory_order_relaxed);
    atomic_fetch_add_explicit(b->generation, 1, memory_order_release);
    if (b->participants > 1)
        zeroipc_wake_word(gen_word(b));
}

static bool passed(const struct zeroipc_deadline *dl)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec > dl->at.tv_sec ||
           (t.tv_sec == dl->at.tv_sec && t.tv_nsec >= dl->at.tv_nsec);
}

/*
 * Takes back the arrival made in generation `g` after the wait ran out.
 * ZEROIPC_ERROR_TIMEOUT when withdrawn (or when a peer's half-done opening
 * never finished); ZEROIPC_OK when the barrier opened for us meanwhile;
 * ZEROIPC_ERROR_CORRUPT for an impossible count.
 */
static int withdraw(const zeroipc_barrier_t *b, int32_t g)
{
    int32_t p = b->participants;
    struct zeroipc_deadline settle;
    zeroipc_deadline_init(&settle, ZEROIPC_BARRIER_SETTLE_MS);
    for (unsigned round = 0;; round++) {
        if (atomic_load_explicit(b->generation, memory_order_acquire) != g)
            return ZEROIPC_OK;
        int32_t a = atomic_load_explicit(b->arrived, memory_order_relaxed);
        if (a >= 1 && a <= p - 1) {
            if (!atomic_compare_exchange_strong_explicit(b->arrived, &a, a - 1,
                                                         memory_order_seq_cst,
                                                         memory_order_relaxed))
                continue;
            if (atomic_load_explicit(b->generation, memory_order_seq_cst) == g)
                return ZEROIPC_ERROR_TIMEOUT;
            /* The CAS hit the next generation: give the arrival back. */
            if (atomic_fetch_add_explicit(b->arrived, 1, memory_order_acq_rel) ==
                p - 1)
                open_generation(b);
            return ZEROIPC_OK;
        }
        if (a < 0 || a > p)
            return ZEROIPC_ERROR_CORRUPT;
        /* 0 or p: a peer is between completing or zeroing `arrived` and
         * moving `generation`.  Give it a moment, not forever. */
        if (round >= 32 && round % 8 == 0 && passed(&settle))
            return ZEROIPC_ERROR_TIMEOUT;
        zeroipc_backoff(round);
    }
}

int zeroipc_barrier_arrive(zeroipc_barrier_t *b, int32_t *generation)
{
    if (b == NULL || generation == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    int32_t p = b->participants;
    int32_t g = atomic_load_explicit(b->generation, memory_order_acquire);
    int32_t a = atomic_fetch_add_explicit(b->arrived, 1, memory_order_acq_rel);
    if (a < 0 || a >= p) {
        /* Impossible count: take the arrival back unless someone changed
         * the word meanwhile, and refuse to wait on it. */
        int32_t mine = inc32(a);
        atomic_compare_exchange_strong_explicit(b->arrived, &mine, a,
                                                memory_order_relaxed,
                                                memory_order_relaxed);
        return ZEROIPC_ERROR_CORRUPT;
    }
    *generation = g;
    if (a == p - 1) {
        open_generation(b);
        return ZEROIPC_BARRIER_LAST;
    }
    return ZEROIPC_OK;
}

bool zeroipc_barrier_opened(zeroipc_barrier_t *b, int32_t generation)
{
    return b != NULL && atomic_load_explicit(b->generation, memory_order_acquire) != generation;
}

int zeroipc_barrier_withdraw(zeroipc_barrier_t *b, int32_t generation)
{
    if (b == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    return withdraw(b, generation);
}

int zeroipc_barrier_await(zeroipc_barrier_t *b, int32_t timeout_ms)
{
    int32_t g;
    int r = zeroipc_barrier_arrive(b, &g);
    if (r != ZEROIPC_OK)
        return r;
    struct zeroipc_deadline dl;
    zeroipc_deadline_init(&dl, timeout_ms);
    for (;;) {
        if (atomic_load_explicit(b->generation, memory_order_acquire) != g)
            return ZEROIPC_OK;
        if (zeroipc_wait_word(gen_word(b), (uint32_t)g, &dl) == ZEROIPC_ERROR_TIMEOUT)
            return withdraw(b, g);
    }
}

bool zeroipc_barrier_wait(zeroipc_barrier_t *b)
{
    return zeroipc_barrier_await(b, -1) >= 0;
}

bool zeroipc_barrier_wait_timeout(zeroipc_barrier_t *b, int32_t timeout_ms)
{
    return zeroipc_barrier_await(b, timeout_ms) >= 0;
}

int32_t zeroipc_barrier_arrived(zeroipc_barrier_t *b)
{
    return b ? atomic_load_explicit(b->arrived, memory_order_acquire) : -1;
}

int32_t zeroipc_barrier_generation(zeroipc_barrier_t *b)
{
    return b ? atomic_load_explicit(b->generation, memory_order_acquire) : -1;
}

int32_t zeroipc_barrier_num_participants(zeroipc_barrier_t *b)
{
    return b ? b->participants : -1;
}

static void init_barrier(void *p, const void *ctx)
{
    /* The allocation is zeroed: arrived, generation and pad are 0. */
    memcpy((uint8_t *)p + OFF_PARTICIPANTS, ctx, sizeof(int32_t));
}

static zeroipc_barrier_t *handle(void *s, int32_t participants)
{
    zeroipc_barrier_t *b = malloc(sizeof *b);
    if (b == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_SYSTEM);
        return NULL;
    }
    uint8_t *p = s;
    b->arrived = (_Atomic int32_t *)(void *)(p + OFF_ARRIVED);
    b->generation = (_Atomic int32_t *)(void *)(p + OFF_GENERATION);
    b->participants = participants;
    zeroipc_set_error(ZEROIPC_OK);
    return b;
}

zeroipc_barrier_t *zeroipc_barrier_create(zeroipc_memory_t *mem, const char *name,
                                          int32_t participants)
{
    if (mem == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
        return NULL;
    }
    if (participants < 1) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_SIZE);
        return NULL;
    }
    size_t offset;
    if (zeroipc_table_add_init(mem, name, ZEROIPC_BARRIER_SIZE, init_barrier,
                               &participants, &offset) != ZEROIPC_OK)
        return NULL;
    return handle((uint8_t *)zeroipc_memory_base(mem) + offset, participants);
}

zeroipc_barrier_t *zeroipc_barrier_open(zeroipc_memory_t *mem, const char *name)
{
    void *s;
    size_t size;
    if (zeroipc_table_locate(mem, name, &s, &size) != ZEROIPC_OK)
        return NULL;
    /* zeroipc_barrier_validate, with one read of participants: the value
     * checked is the value cached. */
    int32_t p = size == ZEROIPC_BARRIER_SIZE ? read_i32(s, OFF_PARTICIPANTS) : 0;
    if (p < 1) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_WRONG_KIND);
        return NULL;
    }
    if ((uintptr_t)s % 8 != 0) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_CORRUPT);
        return NULL;
    }
    int32_t a = atomic_load_explicit((_Atomic int32_t *)s, memory_order_relaxed);
    if (a < 0 || a > p) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_CORRUPT);
        return NULL;
    }
    return handle(s, p);
}

void zeroipc_barrier_close(zeroipc_barrier_t *b)
{
    free(b);
}
