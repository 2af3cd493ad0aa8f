/*
 * sem_i.h - operations on a raw ZeroIPC semaphore, for every primitive
 * that holds one: the semaphore and mutex of zeroipc_semaphore.h, the
 * event's `_sem` companion, and later the rwlock's and monitor's mutexes
 * and condition semaphores.  Private: never installed.
 *
 * `s` points at the 16 bytes of FORMAT.md, 8-aligned, inside a mapping:
 *
 *   0   atomic i32 count       units available, >= 0
 *   4   atomic i32 waiting     processes that may be asleep on `count`
 *   8   i32 max_count          0 = unbounded; validated and cached by the
 *                              caller, passed back in as `max`
 *   12  i32 pad                0
 *
 * Waking.  A releaser adds to `count` and then reads `waiting`; a waiter
 * adds itself to `waiting` and then reads `count` before it sleeps on it;
 * all four accesses are seq_cst, so at least one of the two sees the
 * other: either the waiter finds the unit, or the releaser sees it waiting
 * and wakes it (the futex re-checks `count` against the value the waiter
 * read, so a release between the read and the sleep is not lost).  With
 * nobody registered, releasing makes no system call.  A wake wakes every
 * sleeper; they race for the units and the losers sleep again.
 *
 * `waiting` is only a hint: a waiter that died leaves it too high (which
 * costs wake-ups nobody needs, nothing more); a negative or absurd value
 * from a foreign writer is harmless for the same reason.  Every sleep is
 * sliced (ZEROIPC_WAIT_SLICE_MS), so units released by peers that never
 * wake anyone (the public implementations) are still found.
 *
 * A negative `count` (which no correct sequence of operations produces) is
 * corrupt: acquire and release refuse it with ZEROIPC_ERROR_CORRUPT at
 * once and never sleep on it.
 */
#ifndef ZEROIPC_SEM_I_H
#define ZEROIPC_SEM_I_H

#include <stddef.h>
#include <stdint.h>

#include "memory_i.h"
#include "wait_i.h"

/* The size of a semaphore (and of a mutex), exactly. */
#define ZEROIPC_SEM_BYTES 16

/* What zeroipc_sem_init writes: count and max_count. */
struct zeroipc_sem_init_args {
    int32_t initial;
    int32_t max;
};

/*
 * A zeroipc_init_fn for zeroipc_table_add_init / _locked: ctx is a const
 * struct zeroipc_sem_init_args *, the caller has checked 0 <= initial and
 * (max == 0 or initial <= max).  The allocation is zeroed: waiting and pad
 * stay 0.
 */
ZEROIPC_INTERNAL void zeroipc_sem_init(void *s, const void *ctx);

/*
 * Checks `size` bytes at `s` as a semaphore, reading each field once:
 * ZEROIPC_ERROR_WRONG_KIND for a size other than 16 or a negative
 * max_count (or, when want_max > 0, a max_count other than want_max: a
 * mutex is want_max 1); ZEROIPC_ERROR_CORRUPT for an address that is not
 * 8-aligned or a count outside [0, max_count] ([0, INT32_MAX] when
 * unbounded); else ZEROIPC_OK with the max_count in *max.
 */
ZEROIPC_INTERNAL int zeroipc_sem_check(const void *s, size_t size,
                                       int32_t want_max, int32_t *max);

/*
 * Takes one unit if there is one, without waiting: ZEROIPC_OK, or
 * ZEROIPC_ERROR_TIMEOUT when count is 0, ZEROIPC_ERROR_CORRUPT when
 * negative.  Never blocks.
 */
ZEROIPC_INTERNAL int zeroipc_sem_try_acquire_raw(void *s);

/*
 * Takes one unit, sleeping on `count` until one is there or the deadline
 * passes: ZEROIPC_OK, ZEROIPC_ERROR_TIMEOUT, ZEROIPC_ERROR_CORRUPT.  The
 * caller registers nothing: this keeps `waiting` itself.
 */
ZEROIPC_INTERNAL int zeroipc_sem_acquire_raw(void *s,
                                             const struct zeroipc_deadline *dl);

/*
 * Adds n >= 1 units, all or nothing, and wakes the sleepers if `waiting`
 * says there may be some.  ZEROIPC_ERROR_SIZE when the count would pass
 * `max` (max > 0) or INT32_MAX; ZEROIPC_ERROR_CORRUPT when count is
 * negative; ZEROIPC_ERROR_INVALID_ARGUMENT when n < 1.  Never blocks.
 */
ZEROIPC_INTERNAL int zeroipc_sem_release_raw(void *s, int32_t max, int32_t n);

#endif
