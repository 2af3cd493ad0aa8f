/*
 * rwlock.c - readers/writer lock (FORMAT.md "Synchronization
 * primitives"): `name_state` {atomic i32 readers; atomic i32
 * writer_active}, mutexes `name_rmtx` and `name_wmtx`, a 1-byte marker
 * `name`.  The algorithm is in zeroipc_rwlock.h.
 *
 * Ordering.  writer_active is set (seq_cst) under `_rmtx`, and a reader
 * checks it (seq_cst) and counts itself under `_rmtx`, so the two never
 * both pass.  read_unlock's decrement and its read of writer_active, and
 * the writer's store of writer_active and its reads of readers, are all
 * seq_cst: either the writer sees the count at 0 or the last reader sees
 * the writer and wakes it (the futex compares the word with the value the
 * writer read, so a change in between is not lost).  A reader that finds
 * writer_active 0 reads it with acquire semantics after the writer's
 * release store in write_unlock; the writer's read of readers 0 acquires
 * the readers' release decrements.
 *
 * Trust: the mutexes are checked at open (sem_i.h); the state's words are
 * only compared and changed by CAS.
 */
#include "zeroipc_rwlock.h"

#include <stdlib.h>
#include <string.h>

#include "memory_i.h"
#include "sem_i.h"
#include "wait_i.h"

struct zeroipc_rwlock {
    _Atomic int32_t *readers;
    _Atomic int32_t *writer;
    void *rmtx;
    void *wmtx;
};

enum { OFF_READERS = 0, OFF_WRITER = 4 };

/* ------------------------------------------------------------------ */
/* Names and the four entries. */

static int names(const char *name, char sname[], char rname[], char wname[])
{
    int err = zeroipc_companion_name(name, ZEROIPC_RWLOCK_NAME_MAX, ZEROIPC_RWLOCK_STATE_SUFFIX, sname);
    if (err == ZEROIPC_OK)
        err = zeroipc_companion_name(name, ZEROIPC_RWLOCK_NAME_MAX, ZEROIPC_RWLOCK_RMTX_SUFFIX, rname);
    if (err == ZEROIPC_OK)
        err = zeroipc_companion_name(name, ZEROIPC_RWLOCK_NAME_MAX, ZEROIPC_RWLOCK_WMTX_SUFFIX, wname);
    return err;
}

/* ------------------------------------------------------------------ */
/* Operations. */

static _Atomic uint32_t *word(_Atomic int32_t *p)
{
    return (_Atomic uint32_t *)(void *)p;
}

/* Takes a mutex: one try when `once`, else until the deadline. */
static int take(void *mtx, const struct zeroipc_deadline *dl, bool once)
{
    return once ? zeroipc_sem_try_acquire_raw(mtx) : zeroipc_sem_acquire_raw(mtx, dl);
}

static int give(void *mtx)
{
    return zeroipc_sem_release_raw(mtx, 1, 1);
}

int zeroipc_rwlock_read_lock_timeout(zeroipc_rwlock_t *rw, int32_t timeout_ms)
{
    if (rw == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    struct zeroipc_deadline dl;
    zeroipc_deadline_init(&dl, timeout_ms);
    bool once = timeout_ms == 0;
    for (;;) {
        int r = take(rw->rmtx, &dl, once);
        if (r != ZEROIPC_OK)
            return r;
        if (atomic_load_explicit(rw->writer, memory_order_seq_cst) == 0) {
            int32_t n = atomic_load_explicit(rw->readers, memory_order_relaxed);
            for (;;) {
                if (n < 0 || n == INT32_MAX) {
                    (void)give(rw->rmtx);
                    return n < 0 ? ZEROIPC_ERROR_CORRUPT : ZEROIPC_ERROR_SIZE;
                }
                if (atomic_compare_exchange_weak_explicit(rw->readers, &n, n + 1,
                                                          memory_order_seq_cst,
                                                          memory_order_relaxed))
                    break;
            }
            return give(rw->rmtx);
        }
        (void)give(rw->rmtx);
        if (once)
            return ZEROIPC_ERROR_TIMEOUT;
        /* Sleep until writer_active clears; past the deadline, one more
         * try. */
        for (;;) {
            int32_t w = atomic_load_explicit(rw->writer, memory_order_acquire);
            if (w == 0)
                break;
            if (zeroipc_wait_word(word(rw->writer), (uint32_t)w, &dl) ==
                ZEROIPC_ERROR_TIMEOUT) {
                once = true;
                break;
            }
        }
    }
}

int zeroipc_rwlock_read_lock(zeroipc_rwlock_t *rw)
{
    return zeroipc_rwlock_read_lock_timeout(rw, -1);
}

int zeroipc_rwlock_try_read_lock(zeroipc_rwlock_t *rw)
{
    return zeroipc_rwlock_read_lock_timeout(rw, 0);
}

int zeroipc_rwlock_read_unlock(zeroipc_rwlock_t *rw)
{
    if (rw == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    int32_t n = atomic_load_explicit(rw->readers, memory_order_relaxed);
    do {
        if (n < 0)
            return ZEROIPC_ERROR_CORRUPT;
        if (n == 0)
            return ZEROIPC_ERROR_SIZE;
    } while (!atomic_compare_exchange_weak_explicit(rw->readers, &n, n - 1,
                                                    memory_order_seq_cst,
                                                    memory_order_relaxed));
    if (n == 1 && atomic_load_explicit(rw->writer, memory_order_seq_cst) != 0)
        zeroipc_wake_word(word(rw->readers));
    return ZEROIPC_OK;
}

int zeroipc_rwlock_write_lock_timeout(zeroipc_rwlock_t *rw, int32_t timeout_ms)
{
    if (rw == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    struct zeroipc_deadline dl;
    zeroipc_deadline_init(&dl, timeout_ms);
    bool once = timeout_ms == 0;
    int r = take(rw->wmtx, &dl, once);
    if (r != ZEROIPC_OK)
        return r;
    r = take(rw->rmtx, &dl, once);
    if (r != ZEROIPC_OK) {
        (void)give(rw->wmtx);
        return r;
    }
    atomic_store_explicit(rw->writer, 1, memory_order_seq_cst);
    r = give(rw->rmtx);
    for (;;) {
        int32_t n = atomic_load_explicit(rw->readers, memory_order_seq_cst);
        if (n == 0 && r == ZEROIPC_OK)
            return ZEROIPC_OK;
        if (r != ZEROIPC_OK || once)
            break;
        if (zeroipc_wait_word(word(rw->readers), (uint32_t)n, &dl) ==
            ZEROIPC_ERROR_TIMEOUT)
            once = true; /* one last look */
    }
    /* Undo: let the readers in again. */
    atomic_store_explicit(rw->writer, 0, memory_order_seq_cst);
    zeroipc_wake_word(word(rw->writer));
    (void)give(rw->wmtx);
    return r != ZEROIPC_OK ? r : ZEROIPC_ERROR_TIMEOUT;
}

int zeroipc_rwlock_write_lock(zeroipc_rwlock_t *rw)
{
    return zeroipc_rwlock_write_lock_timeout(rw, -1);
}

int zeroipc_rwlock_try_write_lock(zeroipc_rwlock_t *rw)
{
    return zeroipc_rwlock_write_lock_timeout(rw, 0);
}

int zeroipc_rwlock_write_unlock(zeroipc_rwlock_t *rw)
{
    if (rw == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    int32_t c = atomic_load_explicit((_Atomic int32_t *)rw->wmtx, memory_order_relaxed);
    if (c < 0)
        return ZEROIPC_ERROR_CORRUPT;
    if (c != 0)
        return ZEROIPC_ERROR_SIZE;
    /* Release: the writer's critical section, for the readers. */
    atomic_store_explicit(rw->writer, 0, memory_order_seq_cst);
    zeroipc_wake_word(word(rw->writer));
    return give(rw->wmtx);
}

int32_t zeroipc_rwlock_readers(zeroipc_rwlock_t *rw)
{
    return rw ? atomic_load_explicit(rw->readers, memory_order_acquire) : -1;
}

int32_t zeroipc_rwlock_writer_active(zeroipc_rwlock_t *rw)
{
    return rw ? (atomic_load_explicit(rw->writer, memory_order_acquire) != 0) : -1;
}

/* ------------------------------------------------------------------ */
/* Create, open, close. */

static zeroipc_rwlock_t *handle(void *state, void *rmtx, void *wmtx)
{
    zeroipc_rwlock_t *rw = malloc(sizeof *rw);
    if (rw == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_SYSTEM);
        return NULL;
    }
    uint8_t *p = state;
    rw->readers = (_Atomic int32_t *)(void *)(p + OFF_READERS);
    rw->writer = (_Atomic int32_t *)(void *)(p + OFF_WRITER);
    rw->rmtx = rmtx;
    rw->wmtx = wmtx;
    zeroipc_set_error(ZEROIPC_OK);
    return rw;
}

zeroipc_rwlock_t *zeroipc_rwlock_create(zeroipc_memory_t *mem, const char *name)
{
    if (mem == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
        return NULL;
    }
    char sname[ZEROIPC_NAME_SIZE], rname[ZEROIPC_NAME_SIZE], wname[ZEROIPC_NAME_SIZE];
    int err = names(name, sname, rname, wname);
    if (err != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, err);
        return NULL;
    }
    struct zeroipc_sem_init_args ma = {1, 1};
    struct zeroipc_table_part p[4] = {
        {sname, ZEROIPC_RWLOCK_STATE_SIZE, NULL, NULL, 0},
        {rname, ZEROIPC_SEM_BYTES, zeroipc_sem_init, &ma, 0},
        {wname, ZEROIPC_SEM_BYTES, zeroipc_sem_init, &ma, 0},
        {name, 1, NULL, NULL, 0},
    };
    err = zeroipc_table_add_group(mem, p, 4);
    if (err != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, err);
        return NULL;
    }
    uint8_t *base = zeroipc_memory_base(mem);
    return handle(base + p[0].off, base + p[1].off, base + p[2].off);
}

/* A companion: missing is CORRUPT (the marker exists). */
zeroipc_rwlock_t *zeroipc_rwlock_open(zeroipc_memory_t *mem, const char *name)
{
    if (mem == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
        return NULL;
    }
    char sname[ZEROIPC_NAME_SIZE], rname[ZEROIPC_NAME_SIZE], wname[ZEROIPC_NAME_SIZE];
    int err = names(name, sname, rname, wname);
    if (err != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, err);
        return NULL;
    }
    void *marker, *state, *rmtx, *wmtx;
    size_t msize, ssize, rsize, wsize;
    if (zeroipc_table_locate(mem, name, &marker, &msize) != ZEROIPC_OK)
        return NULL;
    if (msize != 1)
        err = ZEROIPC_ERROR_WRONG_KIND;
    if (err == ZEROIPC_OK)
        err = zeroipc_table_locate_part(mem, sname, &state, &ssize);
    if (err == ZEROIPC_OK && ssize != ZEROIPC_RWLOCK_STATE_SIZE)
        err = ZEROIPC_ERROR_WRONG_KIND;
    if (err == ZEROIPC_OK && (uintptr_t)state % 4 != 0)
        err = ZEROIPC_ERROR_CORRUPT;
    if (err == ZEROIPC_OK)
        err = zeroipc_table_locate_part(mem, rname, &rmtx, &rsize);
    if (err == ZEROIPC_OK)
        err = zeroipc_sem_check(rmtx, rsize, 1, NULL);
    if (err == ZEROIPC_OK)
        err = zeroipc_table_locate_part(mem, wname, &wmtx, &wsize);
    if (err == ZEROIPC_OK)
        err = zeroipc_sem_check(wmtx, wsize, 1, NULL);
    if (err != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, err);
        return NULL;
    }
    return handle(state, rmtx, wmtx);
}

void zeroipc_rwlock_close(zeroipc_rwlock_t *rw)
{
    free(rw);
}
