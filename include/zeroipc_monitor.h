/*
 * zeroipc_monitor.h - a monitor: a mutex with a condition to wait on.
 *
 * Layout (FORMAT.md, "Synchronization primitives"), four table entries
 * created in this order:
 *
 *   `name_mtx`    a mutex (zeroipc_semaphore.h): the monitor's lock
 *   `name_cond`   a semaphore, count 0, unbounded: one unit per wake-up
 *   `name_count`  atomic u32 (4 bytes): waiters registered for a wake-up
 *   `name`        a 1-byte marker (0)
 *
 * lock/unlock take and give the mutex (the test vectors: Monitor.lock
 * leaves `_mtx` at count 0).  A wait, made holding the lock, registers in
 * `_count`, unlocks, takes a unit of `_cond` and locks again.
 * notify_one takes one registration (`_count` - 1 if it is not 0) and
 * releases one unit; notify_all takes them all and releases as many.
 * A unit stays in `_cond` until a waiter takes it, so a notify made
 * between a waiter's unlock and its sleep is not lost.  Semantics are
 * Mesa's: a woken waiter competes for the lock and its condition may have
 * changed again, so waits take a predicate and re-check it under the lock;
 * a leftover unit (see "Timeouts") is a spurious wake-up and costs only
 * one more check.  notify may be called with or without the lock; called
 * with it, no waiter that registered before can miss it.
 *
 * Waiting sleeps in the kernel through the semaphore (sem_i.h: futexes in
 * the shared mapping, sleeps sliced by ZEROIPC_WAIT_SLICE_MS, so releases
 * by peers that wake nobody are seen).  Nothing spins.  Timeouts are in
 * milliseconds: < 0 forever, 0 one try.
 *
 * Stolen wake-ups.  A unit in `_cond` does not say whom it was for: a
 * waiter that registered after a notify may take the unit meant for an
 * earlier one.  So a waiter with a predicate never sleeps longer than
 * ZEROIPC_MONITOR_RECHECK_MS at a time: it then withdraws, takes the lock
 * and looks at its predicate again.  A lost or stolen wake-up (also one a
 * dead notifier never sent) costs at most that delay, never a hang.
 *
 * Timeouts.  A waiter that gives up withdraws a registration if `_count`
 * still holds one, else takes back the unit a notify meant for it if it is
 * already there; if a notifier is between its two steps, one unit is left
 * over: the next waiter wakes once for nothing.
 *
 * Dead processes.  The layout records no owner:
 *   - a process that dies holding the lock leaves it locked for ever:
 *     lock and wait (which must relock) then wait for ever; lock_timeout
 *     and wait_timeout return ZEROIPC_ERROR_TIMEOUT.  Recovering is the
 *     application's decision: zeroipc_monitor_unlock works from any
 *     process.
 *   - a waiter that dies leaves its registration in `_count`: the next
 *     notify_one is spent on it (a unit left over for the next waiter,
 *     so nobody hangs: it wakes the next one to wait, once for nothing).
 *   - a notifier that dies between its two steps loses that one wake-up:
 *     waiters with a timeout, or woken by a later notify, go on.
 *
 * Names.  The base name must leave room for "_count": at most 25 bytes,
 * else ZEROIPC_ERROR_NAME_TOO_LONG (create and open).
 *
 * Trust.  The semaphores' max_count are checked at open and cached;
 * `_count` is only compared and decremented while above 0.
 */
#ifndef ZEROIPC_MONITOR_H
#define ZEROIPC_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zeroipc_memory.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZEROIPC_MONITOR_MTX_SUFFIX "_mtx"
#define ZEROIPC_MONITOR_COND_SUFFIX "_cond"
#define ZEROIPC_MONITOR_COUNT_SUFFIX "_count"
/* The longest base name (room for "_count"). */
#define ZEROIPC_MONITOR_NAME_MAX (ZEROIPC_NAME_SIZE - 1 - 6)
/* The longest a waiter with a predicate sleeps before looking again. */
#define ZEROIPC_MONITOR_RECHECK_MS 10
/* The size of the `_count` entry, exactly. */
#define ZEROIPC_MONITOR_COUNT_SIZE 4

typedef struct zeroipc_monitor zeroipc_monitor_t;

/* A condition, evaluated with the lock held: true ends the wait. */
typedef bool (*zeroipc_monitor_pred_fn)(void *ctx);

/*
 * Creates the monitor `name`: `name_mtx` (unlocked), `name_cond` (0,
 * unbounded), `name_count` (0) and the marker `name`, in that order,
 * under one table lock, each written before its entry is published; all
 * four are made or none.  NULL on failure, with zeroipc_last_error():
 * ZEROIPC_ERROR_INVALID_ARGUMENT (mem or name NULL, name empty);
 * ZEROIPC_ERROR_NAME_TOO_LONG (over 25 bytes); ZEROIPC_ERROR_ALREADY_EXISTS
 * (any of the four names taken); ZEROIPC_ERROR_TABLE_FULL (fewer than four
 * free entries); ZEROIPC_ERROR_SIZE (no room); the other errors of
 * zeroipc_table_add.
 */
zeroipc_monitor_t *zeroipc_monitor_create(zeroipc_memory_t *mem, const char *name);

/*
 * Opens an existing monitor.  NULL on failure: INVALID_ARGUMENT,
 * NAME_TOO_LONG; the errors of zeroipc_table_find for the marker `name`
 * (NOT_FOUND when there is no monitor); ZEROIPC_ERROR_WRONG_KIND when the
 * marker is not 1 byte, `_mtx` not a mutex, `_cond` not a semaphore or
 * `_count` not 4 bytes; ZEROIPC_ERROR_CORRUPT when a companion is missing
 * (damaged, not absent), misaligned, or a semaphore count is invalid.
 */
zeroipc_monitor_t *zeroipc_monitor_open(zeroipc_memory_t *mem, const char *name);

/* Frees the handle; the monitor stays (locked, if it was).  NULL is
 * ignored. */
void zeroipc_monitor_close(zeroipc_monitor_t *mon);

/*
 * Takes the lock: for ever (lock), at most timeout_ms (lock_timeout), or
 * one try (try_lock).  ZEROIPC_OK; ZEROIPC_ERROR_TIMEOUT;
 * ZEROIPC_ERROR_CORRUPT; ZEROIPC_ERROR_INVALID_ARGUMENT (NULL).  Not
 * recursive.
 */
int zeroipc_monitor_lock(zeroipc_monitor_t *mon);
int zeroipc_monitor_lock_timeout(zeroipc_monitor_t *mon, int32_t timeout_ms);
int zeroipc_monitor_try_lock(zeroipc_monitor_t *mon);

/* Gives the lock back.  ZEROIPC_OK; ZEROIPC_ERROR_SIZE when it was not
 * locked (nothing changes); ZEROIPC_ERROR_CORRUPT; INVALID_ARGUMENT. */
int zeroipc_monitor_unlock(zeroipc_monitor_t *mon);

/*
 * Called holding the lock: waits until pred(ctx) is true, checking it
 * under the lock first and after each wake-up.  pred NULL waits for one
 * wake-up (which may be spurious).
 *
 * wait: ZEROIPC_OK with the lock held (and pred true).  On any error
 * (ZEROIPC_ERROR_CORRUPT, ZEROIPC_ERROR_INVALID_ARGUMENT for a NULL
 * monitor) the lock is not held.
 *
 * wait_timeout, at most timeout_ms in all (< 0 for ever, 0 one check):
 * ZEROIPC_OK with the lock held and pred true; ZEROIPC_ERROR_TIMEOUT with
 * the lock NOT held: pred was still false at the deadline, or the lock
 * could not be taken back in time (a holder died).  Releasing on timeout
 * keeps one rule for both cases; a caller who needs the lock takes it
 * again with lock_timeout.
 */
int zeroipc_monitor_wait(zeroipc_monitor_t *mon, zeroipc_monitor_pred_fn pred,
                         void *ctx);
int zeroipc_monitor_wait_timeout(zeroipc_monitor_t *mon,
                                 zeroipc_monitor_pred_fn pred, void *ctx,
                                 int32_t timeout_ms);

/*
 * Wakes one registered waiter (notify_one) or all of them (notify_all);
 * nothing when none is registered.  Never blocks.  ZEROIPC_OK;
 * ZEROIPC_ERROR_CORRUPT; ZEROIPC_ERROR_INVALID_ARGUMENT (NULL).
 */
int zeroipc_monitor_notify_one(zeroipc_monitor_t *mon);
int zeroipc_monitor_notify_all(zeroipc_monitor_t *mon);

/* Snapshots, stale at once: the registered waiters (`_count`; 0 for
 * NULL) and whether the lock is taken (false for NULL). */
uint32_t zeroipc_monitor_waiting(zeroipc_monitor_t *mon);
bool zeroipc_monitor_is_locked(zeroipc_monitor_t *mon);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_MONITOR_H */
