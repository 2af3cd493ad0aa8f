/*
 * semaphore.c - the counting semaphore and the mutex (a semaphore 1/1),
 * in the ZeroIPC v2 layout, and the raw operations of sem_i.h that every
 * primitive holding a semaphore uses.
 *
 * Acquire is a CAS loop that takes a unit only while count > 0, so the
 * count never goes below 0 and a timed-out waiter has nothing to undo.
 * With no unit there, the waiter registers in `waiting`, reads `count`
 * again and sleeps on the value it read; it unregisters when it wakes
 * (sem_i.h explains why no wake-up is lost).
 *
 * Ordering.  A successful acquire CAS is an acquire, a release CAS a
 * release, and all are read-modify-writes of `count`, so an acquirer
 * synchronizes with every release before it: what a mutex holder wrote
 * before unlocking is visible to the next holder.  The `waiting`
 * handshake uses seq_cst on both sides (see sem_i.h).
 *
 * Trust: max_count is read once at open, validated and cached; `count`
 * and `waiting` may hold anything later and are only compared, never used
 * as an index.
 */
#include "zeroipc_semaphore.h"

#include <stdlib.h>
#include <string.h>

#include "memory_i.h"
#include "sem_i.h"
#include "wait_i.h"

/* Offsets of the fields (FORMAT.md). */
enum { OFF_COUNT = 0, OFF_WAITING = 4, OFF_MAX = 8 };

_Static_assert(sizeof(_Atomic int32_t) == 4, "atomic i32 is 4 bytes");
_Static_assert(ZEROIPC_SEMAPHORE_SIZE == ZEROIPC_SEM_BYTES, "one size");
_Static_assert(ZEROIPC_MUTEX_SIZE == ZEROIPC_SEM_BYTES, "one size");

static int32_t read_i32(const void *s, size_t off)
{
    int32_t v;
    memcpy(&v, (const uint8_t *)s + off, sizeof v);
    return v;
}

static _Atomic int32_t *count_of(void *s)
{
    return (_Atomic int32_t *)(void *)((uint8_t *)s + OFF_COUNT);
}

static _Atomic int32_t *waiting_of(void *s)
{
    return (_Atomic int32_t *)(void *)((uint8_t *)s + OFF_WAITING);
}

/* ------------------------------------------------------------------ */
/* The raw operations (sem_i.h). */

void zeroipc_sem_init(void *s, const void *ctx)
{
    const struct zeroipc_sem_init_args *a = ctx;
    memcpy((uint8_t *)s + OFF_COUNT, &a->initial, sizeof(int32_t));
    memcpy((uint8_t *)s + OFF_MAX, &a->max, sizeof(int32_t));
}

int zeroipc_sem_check(const void *s, size_t size, int32_t want_max, int32_t *max)
{
    if (s == NULL || size != ZEROIPC_SEM_BYTES)
        return ZEROIPC_ERROR_WRONG_KIND;
    int32_t m = read_i32(s, OFF_MAX);
    if (m < 0 || (want_max > 0 && m != want_max))
        return ZEROIPC_ERROR_WRONG_KIND;
    if ((uintptr_t)s % 8 != 0)
        return ZEROIPC_ERROR_CORRUPT;
    int32_t c = atomic_load_explicit((_Atomic int32_t *)s, memory_order_relaxed);
    if (c < 0 || (m > 0 && c > m))
        return ZEROIPC_ERROR_CORRUPT;
    if (max)
        *max = m;
    return ZEROIPC_OK;
}

int zeroipc_sem_try_acquire_raw(void *s)
{
    _Atomic int32_t *count = count_of(s);
    int32_t c = atomic_load_explicit(count, memory_order_relaxed);
    while (c > 0) {
        /* Acquire: pairs with the release CAS that made the unit. */
        if (atomic_compare_exchange_weak_explicit(count, &c, c - 1,
                                                  memory_order_acquire,
                                                  memory_order_relaxed))
            return ZEROIPC_OK;
    }
    return c < 0 ? ZEROIPC_ERROR_CORRUPT : ZEROIPC_ERROR_TIMEOUT;
}

int zeroipc_sem_acquire_raw(void *s, const struct zeroipc_deadline *dl)
{
    _Atomic int32_t *count = count_of(s);
    _Atomic int32_t *waiting = waiting_of(s);
    for (;;) {
        int r = zeroipc_sem_try_acquire_raw(s);
        if (r != ZEROIPC_ERROR_TIMEOUT)
            return r;
        /* Register, then look again (seq_cst: the releaser's add to count
         * and read of waiting cannot both miss ours). */
        atomic_fetch_add_explicit(waiting, 1, memory_order_seq_cst);
        int32_t c = atomic_load_explicit(count, memory_order_seq_cst);
        int w = ZEROIPC_OK;
        if (c == 0)
            w = zeroipc_wait_word((_Atomic uint32_t *)(void *)count, 0u, dl);
        atomic_fetch_sub_explicit(waiting, 1, memory_order_relaxed);
        if (w == ZEROIPC_ERROR_TIMEOUT)
            /* One last look: a unit that came with the deadline is ours. */
            return zeroipc_sem_try_acquire_raw(s);
    }
}

int zeroipc_sem_release_raw(void *s, int32_t max, int32_t n)
{
    if (n < 1)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    _Atomic int32_t *count = count_of(s);
    int32_t limit = max > 0 ? max : INT32_MAX;
    int32_t c = atomic_load_explicit(count, memory_order_relaxed);
    for (;;) {
        if (c < 0)
            return ZEROIPC_ERROR_CORRUPT;
        if (c > limit || n > limit - c)
            return ZEROIPC_ERROR_SIZE;
        /* seq_cst: a release for the next acquirer, and ordered before the
         * read of waiting below (sem_i.h). */
        if (atomic_compare_exchange_weak_explicit(count, &c, c + n,
                                                  memory_order_seq_cst,
                                                  memory_order_relaxed))
            break;
    }
    if (atomic_load_explicit(waiting_of(s), memory_order_seq_cst) != 0)
        zeroipc_wake_word((_Atomic uint32_t *)(void *)count);
    return ZEROIPC_OK;
}

/* ------------------------------------------------------------------ */
/* Semaphore. */

struct zeroipc_semaphore {
    void *s;
    int32_t max;
};

static void *make(zeroipc_memory_t *mem, const char *name, int32_t initial,
                  int32_t max)
{
    if (mem == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
        return NULL;
    }
    if (initial < 0 || max < 0 || (max > 0 && initial > max)) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_INVALID_ARGUMENT);
        return NULL;
    }
    struct zeroipc_sem_init_args a = {initial, max};
    size_t offset;
    if (zeroipc_table_add_init(mem, name, ZEROIPC_SEM_BYTES, zeroipc_sem_init, &a,
                               &offset) != ZEROIPC_OK)
        return NULL;
    return (uint8_t *)zeroipc_memory_base(mem) + offset;
}

static void *find(zeroipc_memory_t *mem, const char *name, int32_t want_max,
                  int32_t *max)
{
    void *s;
    size_t size;
    if (zeroipc_table_locate(mem, name, &s, &size) != ZEROIPC_OK)
        return NULL;
    int err = zeroipc_sem_check(s, size, want_max, max);
    if (err != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, err);
        return NULL;
    }
    return s;
}

static zeroipc_semaphore_t *sem_handle(void *s, int32_t max)
{
    if (s == NULL)
        return NULL;
    zeroipc_semaphore_t *h = malloc(sizeof *h);
    if (h == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_SYSTEM);
        return NULL;
    }
    h->s = s;
    h->max = max;
    zeroipc_set_error(ZEROIPC_OK);
    return h;
}

int zeroipc_semaphore_validate(const void *s, size_t size)
{
    if (s == NULL || size != ZEROIPC_SEMAPHORE_SIZE || read_i32(s, OFF_MAX) < 0)
        return ZEROIPC_ERROR_WRONG_KIND;
    return ZEROIPC_OK;
}

zeroipc_semaphore_t *zeroipc_semaphore_create(zeroipc_memory_t *mem,
                                              const char *name,
                                              int32_t initial,
                                              int32_t max_count)
{
    return sem_handle(make(mem, name, initial, max_count), max_count);
}

zeroipc_semaphore_t *zeroipc_semaphore_open(zeroipc_memory_t *mem,
                                            const char *name)
{
    int32_t max = 0;
    void *s = find(mem, name, 0, &max);
    return sem_handle(s, max);
}

void zeroipc_semaphore_close(zeroipc_semaphore_t *sem)
{
    free(sem);
}

int zeroipc_semaphore_acquire_timeout(zeroipc_semaphore_t *sem,
                                      int32_t timeout_ms)
{
    if (sem == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    if (timeout_ms == 0)
        return zeroipc_sem_try_acquire_raw(sem->s);
    struct zeroipc_deadline dl;
    zeroipc_deadline_init(&dl, timeout_ms);
    return zeroipc_sem_acquire_raw(sem->s, &dl);
}

int zeroipc_semaphore_acquire(zeroipc_semaphore_t *sem)
{
    return zeroipc_semaphore_acquire_timeout(sem, -1);
}

int zeroipc_semaphore_try_acquire(zeroipc_semaphore_t *sem)
{
    return zeroipc_semaphore_acquire_timeout(sem, 0);
}

int zeroipc_semaphore_release_n(zeroipc_semaphore_t *sem, int32_t n)
{
    if (sem == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    return zeroipc_sem_release_raw(sem->s, sem->max, n);
}

int zeroipc_semaphore_release(zeroipc_semaphore_t *sem)
{
    return zeroipc_semaphore_release_n(sem, 1);
}

int32_t zeroipc_semaphore_count(zeroipc_semaphore_t *sem)
{
    return sem ? atomic_load_explicit(count_of(sem->s), memory_order_acquire) : -1;
}

int32_t zeroipc_semaphore_waiting(zeroipc_semaphore_t *sem)
{
    return sem ? atomic_load_explicit(waiting_of(sem->s), memory_order_relaxed) : -1;
}

int32_t zeroipc_semaphore_max_count(zeroipc_semaphore_t *sem)
{
    return sem ? sem->max : -1;
}

/* ------------------------------------------------------------------ */
/* Mutex: a semaphore whose count and max_count are 1. */

struct zeroipc_mutex {
    void *s;
};

static zeroipc_mutex_t *mtx_handle(void *s)
{
    if (s == NULL)
        return NULL;
    zeroipc_mutex_t *h = malloc(sizeof *h);
    if (h == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_SYSTEM);
        return NULL;
    }
    h->s = s;
    zeroipc_set_error(ZEROIPC_OK);
    return h;
}

int zeroipc_mutex_validate(const void *s, size_t size)
{
    if (s == NULL || size != ZEROIPC_MUTEX_SIZE || read_i32(s, OFF_MAX) != 1)
        return ZEROIPC_ERROR_WRONG_KIND;
    return ZEROIPC_OK;
}

zeroipc_mutex_t *zeroipc_mutex_create(zeroipc_memory_t *mem, const char *name)
{
    return mtx_handle(make(mem, name, 1, 1));
}

zeroipc_mutex_t *zeroipc_mutex_open(zeroipc_memory_t *mem, const char *name)
{
    return mtx_handle(find(mem, name, 1, NULL));
}

void zeroipc_mutex_close(zeroipc_mutex_t *m)
{
    free(m);
}

int zeroipc_mutex_lock_timeout(zeroipc_mutex_t *m, int32_t timeout_ms)
{
    if (m == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    if (timeout_ms == 0)
        return zeroipc_sem_try_acquire_raw(m->s);
    struct zeroipc_deadline dl;
    zeroipc_deadline_init(&dl, timeout_ms);
    return zeroipc_sem_acquire_raw(m->s, &dl);
}

int zeroipc_mutex_lock(zeroipc_mutex_t *m)
{
    return zeroipc_mutex_lock_timeout(m, -1);
}

int zeroipc_mutex_try_lock(zeroipc_mutex_t *m)
{
    return zeroipc_mutex_lock_timeout(m, 0);
}

int zeroipc_mutex_unlock(zeroipc_mutex_t *m)
{
    if (m == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    return zeroipc_sem_release_raw(m->s, 1, 1);
}

bool zeroipc_mutex_is_locked(zeroipc_mutex_t *m)
{
    return m != NULL &&
           atomic_load_explicit(count_of(m->s), memory_order_acquire) == 0;
}
