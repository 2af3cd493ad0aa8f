/*
 * zeroipc_latch.h - a single-use countdown latch.
 *
 * Layout (FORMAT.md, "Synchronization primitives"), 16 bytes:
 *
 *   0   atomic i32 count       what is left to count down, 0 = open
 *   4   i32 initial            the count at creation, >= 0
 *   8   i32 pad[2]             0
 *
 * The latch starts closed with `count` = `initial` (or open, when created
 * with 0).  Any process counts it down; the count saturates at 0 and
 * never goes up again, so the latch is used once: once open it stays
 * open.  Everything a process wrote before its count_down is visible to
 * every waiter that returns because the latch opened.
 *
 * Waiting.  Waiters sleep in the kernel on the `count` word (a futex in
 * the shared mapping, not the private kind) while it is positive; our
 * count_down that brings it to 0 wakes them all, and the others make no
 * system call.  Peers that never wake anyone (the public C++, Python, Go
 * code) are still noticed: every sleep is cut into slices of at most
 * ZEROIPC_WAIT_SLICE_MS.  Interrupted sleeps (signals) resume
 * transparently.
 *
 * Trust.  `initial` is read once at open, validated and cached.  `count`
 * may hold anything later: a negative count (which no correct sequence of
 * operations produces) counts as open, never as a wait, and count_down
 * leaves it alone; a count above `initial` just needs more count_downs.
 */
#ifndef ZEROIPC_LATCH_H
#define ZEROIPC_LATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zeroipc_memory.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The size of a latch, and of its table entry, exactly. */
#define ZEROIPC_LATCH_SIZE 16

typedef struct zeroipc_latch zeroipc_latch_t;

/*
 * Creates the latch `name` with count = initial = `count` (0 makes an
 * open latch); the structure is written before its table entry is
 * published.  NULL on failure, with zeroipc_last_error():
 * ZEROIPC_ERROR_INVALID_ARGUMENT (mem NULL), ZEROIPC_ERROR_SIZE (count
 * < 0, or no room left), and every error of zeroipc_table_add.
 */
zeroipc_latch_t *zeroipc_latch_create(zeroipc_memory_t *mem, const char *name,
                                      int32_t count);

/*
 * Opens an existing latch.  NULL on failure: the errors of
 * zeroipc_table_find; ZEROIPC_ERROR_WRONG_KIND when the entry is not a
 * latch (zeroipc_latch_validate: size other than 16, initial < 0);
 * ZEROIPC_ERROR_CORRUPT when its offset is not 8-aligned or `count` lies
 * outside [0, initial].  Many 16-byte structures (a barrier among them)
 * have a non-negative word at offset 4 and cannot be told apart.
 */
zeroipc_latch_t *zeroipc_latch_open(zeroipc_memory_t *mem, const char *name);

/* Frees the handle; the latch stays.  NULL is ignored. */
void zeroipc_latch_close(zeroipc_latch_t *l);

/*
 * Subtracts `n` from the count, saturating at 0 (a lock-free CAS loop);
 * the call that brings it to 0 wakes every waiter.  Never blocks.  Does
 * nothing when n <= 0, when the latch is already open, or for NULL (the
 * original API returns nothing to report it with).
 */
void zeroipc_latch_count_down(zeroipc_latch_t *l, int32_t n);

/* Waits, forever, until the count is 0.  Returns at once when it is, and
 * for NULL. */
void zeroipc_latch_wait(zeroipc_latch_t *l);

/* true when the count is 0 (or negative, see Trust); false while it is
 * positive and for NULL.  Never blocks. */
bool zeroipc_latch_try_wait(zeroipc_latch_t *l);

/*
 * Waits until the count is 0 for at most timeout_ms milliseconds; forever
 * when timeout_ms < 0 (the original library returned false at once
 * there), a single look when 0.  true when the latch is open, false on
 * timeout and for NULL.
 */
bool zeroipc_latch_wait_timeout(zeroipc_latch_t *l, int32_t timeout_ms);

/*
 * Our extension, the same wait with an error code: ZEROIPC_OK once open,
 * ZEROIPC_ERROR_TIMEOUT, ZEROIPC_ERROR_INVALID_ARGUMENT (NULL).
 * timeout_ms < 0 waits forever.
 */
int zeroipc_latch_await(zeroipc_latch_t *l, int32_t timeout_ms);

/* A snapshot of the shared count, which may be stale at once; -1 for a
 * NULL handle (as in the original library). */
int32_t zeroipc_latch_count(zeroipc_latch_t *l);

/* The initial count cached at open; -1 for NULL. */
int32_t zeroipc_latch_initial_count(zeroipc_latch_t *l);

/*
 * Read-only check of `size` bytes at `s` as a latch: `size` exactly 16 and
 * initial (at offset 4) at least 0.  ZEROIPC_OK or ZEROIPC_ERROR_WRONG_KIND
 * (also for NULL).  Reads only the immutable field; `s` need not be
 * aligned.
 */
int zeroipc_latch_validate(const void *s, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_LATCH_H */
