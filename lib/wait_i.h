/*
 * wait_i.h - the one place where libzeroipc sleeps.
 *
 * Waiting is a futex on a 32-bit word inside the shared mapping.  The
 * shared (not FUTEX_PRIVATE) operations are used, since waiter and waker
 * are different processes with different mappings of the same page.
 *
 * Every sleep lasts at most ZEROIPC_WAIT_SLICE_MS: public implementations
 * change the words without waking anyone, and a process that died may have
 * been the one to wake us, so sleepers look again at least that often.
 * Private: never installed.
 */
#ifndef ZEROIPC_WAIT_I_H
#define ZEROIPC_WAIT_I_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "memory_i.h"

/* When a blocking call must give up: never, or at `at` (CLOCK_MONOTONIC). */
struct zeroipc_deadline {
    bool forever;
    struct timespec at;
};

/* A deadline timeout_ms from now; forever when timeout_ms < 0. */
ZEROIPC_INTERNAL void zeroipc_deadline_init(struct zeroipc_deadline *dl,
                                            int32_t timeout_ms);

/*
 * Sleeps while *word == expected: until a wake, a signal, the end of one
 * slice, or the deadline, whichever is first.  Returns ZEROIPC_OK when
 * the caller should look again (which includes spurious returns), or
 * ZEROIPC_ERROR_TIMEOUT once the deadline has passed.  Blocking; never
 * spins.
 */
ZEROIPC_INTERNAL int zeroipc_wait_word(_Atomic uint32_t *word, uint32_t expected,
                                       const struct zeroipc_deadline *dl);

/* Wakes every process sleeping on `word`.  A system call: callers only
 * make it when a sleeper may exist. */
ZEROIPC_INTERNAL void zeroipc_wake_word(_Atomic uint32_t *word);

/*
 * For claims that wait on a peer halfway through an operation (nobody
 * wakes us there): backs off by spinning a little, then yielding, then
 * sleeping with a doubling pause capped at 1 ms.  `round` counts the
 * calls, starting at 0.
 */
ZEROIPC_INTERNAL void zeroipc_backoff(unsigned round);

#endif
