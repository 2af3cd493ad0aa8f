/*
 * signal.c - a versioned value (FORMAT.md "Signal"): `name_state`
 * {atomic u64 version; T value}, a mutex at `name_mtx`, a 1-byte marker
 * at `name`.
 *
 * Set: take the mutex (sem_i.h), a release fence, the value stored with
 * relaxed atomics, version + 1 (release), unlock (a release CAS), wake
 * the sleepers on the version's low word.
 *
 * Get, lock-free path (a seqlock whose "odd" state is the mutex being
 * held): v1 = version (acquire), the mutex count must be non-zero
 * (acquire), the value loaded with relaxed atomics, an acquire fence,
 * then the mutex count (acquire) must still be non-zero and the version
 * still v1.  If the copy read any byte a setter wrote, the fence pairs
 * with the setter's release fence, so the second look sees its lock (or
 * a later unlock, which carries its version increment): a torn copy is
 * always noticed.  Otherwise, after two tries, the reader copies under
 * the mutex.
 *
 * Trust: the state's size is checked at open against the caller's value
 * size; the mutex's max_count is validated; version is only compared.
 */
#include "zeroipc_signal.h"

#include <stdlib.h>
#include <string.h>

#include "memory_i.h"
#include "sem_i.h"
#include "wait_i.h"

struct zeroipc_signal {
    _Atomic uint64_t *version;
    uint8_t *value; /* 8-aligned */
    void *mtx;
    size_t size;
};

_Static_assert(sizeof(_Atomic uint64_t) == 8, "atomic u64 is 8 bytes");

/* ------------------------------------------------------------------ */
/* Names and the three entries. */

/* ------------------------------------------------------------------ */
/* Copies, with atomics: setters and readers may overlap (get notices). */

static void store_value(zeroipc_signal_t *sig, const void *src)
{
    const uint8_t *s = src;
    size_t i = 0;
    for (; i + 8 <= sig->size; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        atomic_store_explicit((_Atomic uint64_t *)(void *)(sig->value + i), w,
                              memory_order_relaxed);
    }
    for (; i < sig->size; i++)
        atomic_store_explicit((_Atomic uint8_t *)(sig->value + i), s[i],
                              memory_order_relaxed);
}

static void load_value(const zeroipc_signal_t *sig, void *dst)
{
    uint8_t *d = dst;
    size_t i = 0;
    for (; i + 8 <= sig->size; i += 8) {
        uint64_t w = atomic_load_explicit(
            (_Atomic uint64_t *)(void *)(sig->value + i), memory_order_relaxed);
        memcpy(d + i, &w, 8);
    }
    for (; i < sig->size; i++)
        d[i] = atomic_load_explicit((_Atomic uint8_t *)(sig->value + i),
                                    memory_order_relaxed);
}

static _Atomic int32_t *mtx_count(const zeroipc_signal_t *sig)
{
    return (_Atomic int32_t *)sig->mtx;
}

static _Atomic uint32_t *version_low(const zeroipc_signal_t *sig)
{
    /* Little-endian: the low half is the first word, and every set
     * changes it. */
    return (_Atomic uint32_t *)(void *)sig->version;
}

/* ------------------------------------------------------------------ */
/* Operations. */

int zeroipc_signal_set_timeout(zeroipc_signal_t *sig, const void *value,
                               int32_t timeout_ms)
{
    if (sig == NULL || value == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    struct zeroipc_deadline dl;
    zeroipc_deadline_init(&dl, timeout_ms);
    int r = timeout_ms == 0 ? zeroipc_sem_try_acquire_raw(sig->mtx)
                            : zeroipc_sem_acquire_raw(sig->mtx, &dl);
    if (r != ZEROIPC_OK)
        return r;
    /* Readers that see any byte of the new value see the lock (get). */
    atomic_thread_fence(memory_order_release);
    store_value(sig, value);
    atomic_fetch_add_explicit(sig->version, 1, memory_order_release);
    r = zeroipc_sem_release_raw(sig->mtx, 1, 1);
    /* No waiter count in the layout: always wake. */
    zeroipc_wake_word(version_low(sig));
    return r;
}

int zeroipc_signal_set(zeroipc_signal_t *sig, const void *value)
{
    return zeroipc_signal_set_timeout(sig, value, -1);
}

/* One lock-free try: ZEROIPC_OK with a consistent copy, else
 * ZEROIPC_ERROR_TIMEOUT (a set was or may have been in progress). */
static int try_read(const zeroipc_signal_t *sig, void *out, uint64_t *version)
{
    uint64_t v1 = atomic_load_explicit(sig->version, memory_order_acquire);
    if (atomic_load_explicit(mtx_count(sig), memory_order_acquire) == 0)
        return ZEROIPC_ERROR_TIMEOUT;
    load_value(sig, out);
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(mtx_count(sig), memory_order_acquire) == 0)
        return ZEROIPC_ERROR_TIMEOUT;
    if (atomic_load_explicit(sig->version, memory_order_relaxed) != v1)
        return ZEROIPC_ERROR_TIMEOUT;
    *version = v1;
    return ZEROIPC_OK;
}

static int read_dl(zeroipc_signal_t *sig, void *out, uint64_t *version,
                   const struct zeroipc_deadline *dl, bool once)
{
    /* The copy goes to a scratch buffer so that a failed call leaves
     * `out` alone. */
    uint8_t small[64];
    uint8_t *tmp = sig->size <= sizeof small ? small : malloc(sig->size);
    if (tmp == NULL)
        return ZEROIPC_ERROR_SYSTEM;
    uint64_t v = 0;
    int r = ZEROIPC_ERROR_TIMEOUT;
    for (int i = 0; i < 2 && r != ZEROIPC_OK; i++)
        r = try_read(sig, tmp, &v);
    if (r != ZEROIPC_OK) {
        r = once ? zeroipc_sem_try_acquire_raw(sig->mtx)
                 : zeroipc_sem_acquire_raw(sig->mtx, dl);
        if (r == ZEROIPC_OK) {
            v = atomic_load_explicit(sig->version, memory_order_acquire);
            load_value(sig, tmp);
            r = zeroipc_sem_release_raw(sig->mtx, 1, 1);
        }
    }
    if (r == ZEROIPC_OK) {
        if (out)
            memcpy(out, tmp, sig->size);
        if (version)
            *version = v;
    }
    if (tmp != small)
        free(tmp);
    return r;
}

int zeroipc_signal_get_timeout(zeroipc_signal_t *sig, void *out,
                               uint64_t *version, int32_t timeout_ms)
{
    if (sig == NULL || out == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    struct zeroipc_deadline dl;
    zeroipc_deadline_init(&dl, timeout_ms);
    return read_dl(sig, out, version, &dl, timeout_ms == 0);
}

int zeroipc_signal_get(zeroipc_signal_t *sig, void *out, uint64_t *version)
{
    return zeroipc_signal_get_timeout(sig, out, version, -1);
}

int zeroipc_signal_wait_change_timeout(zeroipc_signal_t *sig, uint64_t since,
                                       void *out, uint64_t *version,
                                       int32_t timeout_ms)
{
    if (sig == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    struct zeroipc_deadline dl;
    zeroipc_deadline_init(&dl, timeout_ms);
    for (;;) {
        uint64_t v = atomic_load_explicit(sig->version, memory_order_acquire);
        if (v != since)
            break;
        if (timeout_ms == 0 ||
            zeroipc_wait_word(version_low(sig), (uint32_t)v, &dl) ==
                ZEROIPC_ERROR_TIMEOUT) {
            /* One last look: a change that came with the deadline counts. */
            if (atomic_load_explicit(sig->version, memory_order_acquire) != since)
                break;
            return ZEROIPC_ERROR_TIMEOUT;
        }
    }
    return read_dl(sig, out, version, &dl, timeout_ms == 0);
}

int zeroipc_signal_wait_change(zeroipc_signal_t *sig, uint64_t since, void *out,
                               uint64_t *version)
{
    return zeroipc_signal_wait_change_timeout(sig, since, out, version, -1);
}

uint64_t zeroipc_signal_version(zeroipc_signal_t *sig)
{
    return sig ? atomic_load_explicit(sig->version, memory_order_acquire) : 0;
}

size_t zeroipc_signal_value_size(zeroipc_signal_t *sig)
{
    return sig ? sig->size : 0;
}

/* ------------------------------------------------------------------ */
/* Create, open, close. */

struct state_init {
    const void *initial;
    size_t size;
};

static void init_state(void *p, const void *ctx)
{
    /* Zeroed allocation: version 0, padding 0. */
    const struct state_init *a = ctx;
    if (a->initial)
        memcpy((uint8_t *)p + 8, a->initial, a->size);
}

static zeroipc_signal_t *handle(void *state, void *mtx, size_t size)
{
    zeroipc_signal_t *sig = malloc(sizeof *sig);
    if (sig == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_SYSTEM);
        return NULL;
    }
    sig->version = state;
    sig->value = (uint8_t *)state + 8;
    sig->mtx = mtx;
    sig->size = size;
    zeroipc_set_error(ZEROIPC_OK);
    return sig;
}

static bool bad_size(size_t n)
{
    return n == 0 || n > ZEROIPC_SIGNAL_VALUE_MAX;
}

zeroipc_signal_t *zeroipc_signal_create(zeroipc_memory_t *mem, const char *name,
                                        size_t value_size, const void *initial)
{
    if (mem == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
        return NULL;
    }
    char sname[ZEROIPC_NAME_SIZE], mname[ZEROIPC_NAME_SIZE];
    int err = zeroipc_companion_name(name, ZEROIPC_SIGNAL_NAME_MAX, ZEROIPC_SIGNAL_STATE_SUFFIX, sname);
    if (err == ZEROIPC_OK)
        err = zeroipc_companion_name(name, ZEROIPC_SIGNAL_NAME_MAX, ZEROIPC_SIGNAL_MTX_SUFFIX, mname);
    if (err == ZEROIPC_OK && bad_size(value_size))
        err = ZEROIPC_ERROR_INVALID_ARGUMENT;
    if (err != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, err);
        return NULL;
    }
    struct state_init si = {initial, value_size};
    struct zeroipc_sem_init_args ma = {1, 1};
    struct zeroipc_table_part p[3] = {
        {sname, ZEROIPC_SIGNAL_STATE_SIZE(value_size), init_state, &si, 0},
        {mname, ZEROIPC_SEM_BYTES, zeroipc_sem_init, &ma, 0},
        {name, 1, NULL, NULL, 0},
    };
    err = zeroipc_table_add_group(mem, p, 3);
    if (err != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, err);
        return NULL;
    }
    uint8_t *base = zeroipc_memory_base(mem);
    return handle(base + p[0].off, base + p[1].off, value_size);
}

/* A companion: missing is CORRUPT (the marker exists). */
zeroipc_signal_t *zeroipc_signal_open(zeroipc_memory_t *mem, const char *name,
                                      size_t value_size)
{
    if (mem == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
        return NULL;
    }
    char sname[ZEROIPC_NAME_SIZE], mname[ZEROIPC_NAME_SIZE];
    int err = zeroipc_companion_name(name, ZEROIPC_SIGNAL_NAME_MAX, ZEROIPC_SIGNAL_STATE_SUFFIX, sname);
    if (err == ZEROIPC_OK)
        err = zeroipc_companion_name(name, ZEROIPC_SIGNAL_NAME_MAX, ZEROIPC_SIGNAL_MTX_SUFFIX, mname);
    if (err == ZEROIPC_OK && bad_size(value_size))
        err = ZEROIPC_ERROR_INVALID_ARGUMENT;
    if (err != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, err);
        return NULL;
    }
    void *marker, *state, *mtx;
    size_t msize, ssize, xsize;
    if (zeroipc_table_locate(mem, name, &marker, &msize) != ZEROIPC_OK)
        return NULL;
    if (msize != 1)
        err = ZEROIPC_ERROR_WRONG_KIND;
    if (err == ZEROIPC_OK)
        err = zeroipc_table_locate_part(mem, sname, &state, &ssize);
    if (err == ZEROIPC_OK && ssize != ZEROIPC_SIGNAL_STATE_SIZE(value_size))
        err = ZEROIPC_ERROR_WRONG_KIND;
    if (err == ZEROIPC_OK && (uintptr_t)state % 8 != 0)
        err = ZEROIPC_ERROR_CORRUPT;
    if (err == ZEROIPC_OK)
        err = zeroipc_table_locate_part(mem, mname, &mtx, &xsize);
    if (err == ZEROIPC_OK)
        err = zeroipc_sem_check(mtx, xsize, 1, NULL);
    if (err != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, err);
        return NULL;
    }
    return handle(state, mtx, value_size);
}

void zeroipc_signal_close(zeroipc_signal_t *sig)
{
    free(sig);
}
