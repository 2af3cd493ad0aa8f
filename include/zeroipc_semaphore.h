/*
 * zeroipc_semaphore.h - counting semaphores and mutexes.
 *
 * Layout (FORMAT.md, "Synchronization primitives"), 16 bytes:
 *
 *   0   atomic i32 count       units available, >= 0
 *   4   atomic i32 waiting     processes that may be asleep on `count`
 *   8   i32 max_count          0 = unbounded, else the most `count` holds
 *   12  i32 pad                0
 *
 * A mutex is the same structure with count 1 and max_count 1 at its
 * name: locking takes the unit, unlocking gives it back.  The two
 * families share one implementation; a mutex opens as a semaphore too.
 *
 * Acquiring takes a unit while count > 0 (a lock-free CAS loop; the count
 * never goes below 0).  Releasing adds units, all or nothing, and fails
 * with ZEROIPC_ERROR_SIZE instead of passing max_count.  Everything a
 * process wrote before a release is visible to the process whose acquire
 * takes that unit: a mutex orders its critical sections.
 *
 * Waiting.  A caller that finds no unit adds itself to `waiting` and
 * sleeps in the kernel on the `count` word (a futex in the shared
 * mapping, not the private kind).  Our release wakes the sleepers at once
 * when `waiting` is not 0, and makes no system call when it is.  Peers
 * that never wake anyone (the public C++, Python, Go code) are still
 * noticed: every sleep is cut into slices of at most
 * ZEROIPC_WAIT_SLICE_MS.  Nothing spins.  Interrupted sleeps (signals)
 * resume transparently.  A release wakes every sleeper; one per unit wins
 * and the others sleep again.  Timeouts are in milliseconds: < 0 waits
 * forever, 0 is a single try.
 *
 * Dead processes.  The layout has no owner field, so nothing can tell a
 * dead holder from a slow one:
 *   - a process that dies holding a mutex (or any semaphore unit) leaves
 *     it taken, for ever.  Blocking calls then wait for ever; the timed
 *     calls return ZEROIPC_ERROR_TIMEOUT, so use them where a holder may
 *     die.  Recovering (unlocking on the dead holder's behalf) is the
 *     application's decision: zeroipc_mutex_unlock works from any process.
 *   - a process that dies while waiting leaves `waiting` one too high.
 *     That only costs wake-up system calls nobody needed; it never blocks
 *     or misleads anyone.
 *
 * Trust.  max_count is read once at open, validated and cached; later
 * changes to it in shared memory are ignored.  `count` may hold anything
 * later: a negative count (which no correct sequence of operations
 * produces) makes acquire and release fail at once with
 * ZEROIPC_ERROR_CORRUPT, never sleep; a count above max_count refuses
 * releases (ZEROIPC_ERROR_SIZE) until acquires bring it down.  `waiting`
 * is only a hint (see above).
 *
 * Telling kinds apart.  Many 16-byte structures fit this shape: a latch
 * (pad 0 at offset 8) opens as an unbounded semaphore, a barrier (positive
 * participants at offset 8) as a bounded one, a barrier of one as a mutex.
 * The format cannot tell them apart.
 */
#ifndef ZEROIPC_SEMAPHORE_H
#define ZEROIPC_SEMAPHORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zeroipc_memory.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The sizes of a semaphore and of a mutex, and of their entries, exactly. */
#define ZEROIPC_SEMAPHORE_SIZE 16
#define ZEROIPC_MUTEX_SIZE 16

typedef struct zeroipc_semaphore zeroipc_semaphore_t;
typedef struct zeroipc_mutex zeroipc_mutex_t;

/* ------------------------------------------------------------------ */
/* Semaphores. */

/*
 * Creates the semaphore `name` with count `initial` and the given
 * max_count (0 = unbounded), waiting 0; the structure is written before
 * its table entry is published.  NULL on failure, with
 * zeroipc_last_error(): ZEROIPC_ERROR_INVALID_ARGUMENT (mem NULL,
 * initial < 0, max_count < 0, or initial > max_count > 0), and every error
 * of zeroipc_table_add (NAME_TOO_LONG, ALREADY_EXISTS, TABLE_FULL, SIZE
 * when no room is left, ...).
 */
zeroipc_semaphore_t *zeroipc_semaphore_create(zeroipc_memory_t *mem,
                                              const char *name,
                                              int32_t initial,
                                              int32_t max_count);

/*
 * Opens an existing semaphore (or mutex).  NULL on failure: the errors of
 * zeroipc_table_find; ZEROIPC_ERROR_WRONG_KIND when the entry is not a
 * semaphore (zeroipc_semaphore_validate: size other than 16, max_count
 * < 0); ZEROIPC_ERROR_CORRUPT when its offset is not 8-aligned or `count`
 * lies outside [0, max_count] (outside [0, INT32_MAX] when unbounded).
 */
zeroipc_semaphore_t *zeroipc_semaphore_open(zeroipc_memory_t *mem,
                                            const char *name);

/* Frees the handle; the semaphore stays.  NULL is ignored. */
void zeroipc_semaphore_close(zeroipc_semaphore_t *sem);

/*
 * Takes one unit, waiting for ever until there is one.  ZEROIPC_OK,
 * ZEROIPC_ERROR_CORRUPT (negative count), ZEROIPC_ERROR_INVALID_ARGUMENT
 * (NULL).  Any thread or process may call it concurrently.
 */
int zeroipc_semaphore_acquire(zeroipc_semaphore_t *sem);

/*
 * As zeroipc_semaphore_acquire, for at most timeout_ms milliseconds
 * (< 0: for ever, 0: one try).  ZEROIPC_ERROR_TIMEOUT when no unit came
 * in time; nothing is left to undo.
 */
int zeroipc_semaphore_acquire_timeout(zeroipc_semaphore_t *sem,
                                      int32_t timeout_ms);

/* One try, never blocks: ZEROIPC_OK, ZEROIPC_ERROR_TIMEOUT when count is
 * 0, and the errors of zeroipc_semaphore_acquire. */
int zeroipc_semaphore_try_acquire(zeroipc_semaphore_t *sem);

/*
 * Gives back one unit (release) or n units (release_n, n >= 1), all or
 * nothing, and wakes the sleepers.  Never blocks; any process may
 * release, whether or not it acquired.  ZEROIPC_OK;
 * ZEROIPC_ERROR_SIZE when the count would pass max_count (or INT32_MAX
 * when unbounded), and nothing changes; ZEROIPC_ERROR_CORRUPT (negative
 * count); ZEROIPC_ERROR_INVALID_ARGUMENT (NULL, n < 1).
 */
int zeroipc_semaphore_release(zeroipc_semaphore_t *sem);
int zeroipc_semaphore_release_n(zeroipc_semaphore_t *sem, int32_t n);

/* Snapshots of the shared words, stale at once; -1 for NULL. */
int32_t zeroipc_semaphore_count(zeroipc_semaphore_t *sem);
int32_t zeroipc_semaphore_waiting(zeroipc_semaphore_t *sem);

/* max_count cached at open (0 = unbounded); -1 for NULL. */
int32_t zeroipc_semaphore_max_count(zeroipc_semaphore_t *sem);

/*
 * Read-only check of `size` bytes at `s` as a semaphore: `size` exactly
 * 16 and max_count (at offset 8) at least 0.  ZEROIPC_OK or
 * ZEROIPC_ERROR_WRONG_KIND (also for NULL).  Reads only the immutable
 * field; `s` need not be aligned.
 */
int zeroipc_semaphore_validate(const void *s, size_t size);

/* ------------------------------------------------------------------ */
/* Mutexes. */

/*
 * Creates the mutex `name`, unlocked (count 1, max_count 1).  NULL on
 * failure: ZEROIPC_ERROR_INVALID_ARGUMENT (mem NULL) and every error of
 * zeroipc_table_add.
 */
zeroipc_mutex_t *zeroipc_mutex_create(zeroipc_memory_t *mem, const char *name);

/*
 * Opens an existing mutex.  NULL on failure: the errors of
 * zeroipc_table_find; ZEROIPC_ERROR_WRONG_KIND when the entry is not a
 * mutex (zeroipc_mutex_validate: size other than 16, max_count other
 * than 1); ZEROIPC_ERROR_CORRUPT when its offset is not 8-aligned or
 * `count` is neither 0 nor 1.
 */
zeroipc_mutex_t *zeroipc_mutex_open(zeroipc_memory_t *mem, const char *name);

/* Frees the handle; the mutex stays (locked, if it was).  NULL is
 * ignored. */
void zeroipc_mutex_close(zeroipc_mutex_t *m);

/*
 * Locks, waiting for ever (lock), for at most timeout_ms milliseconds
 * (lock_timeout; < 0 for ever, 0 one try), or not at all (try_lock).
 * ZEROIPC_OK once locked; ZEROIPC_ERROR_TIMEOUT (timed and try calls);
 * ZEROIPC_ERROR_CORRUPT; ZEROIPC_ERROR_INVALID_ARGUMENT (NULL).  Not
 * recursive: a holder that locks again waits for itself.  A holder that
 * died leaves the mutex locked (see "Dead processes" above).
 */
int zeroipc_mutex_lock(zeroipc_mutex_t *m);
int zeroipc_mutex_lock_timeout(zeroipc_mutex_t *m, int32_t timeout_ms);
int zeroipc_mutex_try_lock(zeroipc_mutex_t *m);

/*
 * Unlocks and wakes the sleepers.  Nothing records the owner, so any
 * process may unlock.  ZEROIPC_OK; ZEROIPC_ERROR_SIZE when the mutex is
 * not locked (the release would pass max_count 1), and nothing changes;
 * ZEROIPC_ERROR_CORRUPT; ZEROIPC_ERROR_INVALID_ARGUMENT (NULL).
 */
int zeroipc_mutex_unlock(zeroipc_mutex_t *m);

/* true when the count is 0 (a snapshot); false for NULL. */
bool zeroipc_mutex_is_locked(zeroipc_mutex_t *m);

/*
 * Read-only check of `size` bytes at `s` as a mutex: `size` exactly 16 and
 * max_count (at offset 8) exactly 1.  ZEROIPC_OK or
 * ZEROIPC_ERROR_WRONG_KIND (also for NULL); `s` need not be aligned.
 */
int zeroipc_mutex_validate(const void *s, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_SEMAPHORE_H */
