/*
 * zeroipc_rwlock.h - readers/writer locks.
 *
 * Layout (FORMAT.md, "Synchronization primitives"), four table entries
 * created in this order:
 *
 *   `name_state`, 8 bytes:
 *     0   atomic i32 readers         read locks held
 *     4   atomic i32 writer_active   1 while a writer holds or is taking it
 *   `name_rmtx`   a mutex (zeroipc_semaphore.h): guards the readers' entry
 *   `name_wmtx`   a mutex: held by the writer
 *   `name`        a 1-byte marker (0)
 *
 * The algorithm, as the public C++ writes the bytes (the test vectors:
 * after read locks are taken and held, readers counts them, `_rmtx` is
 * free again and `_wmtx` untouched):
 *   read_lock     take `_rmtx`; while writer_active, give `_rmtx` back and
 *                 wait for writer_active to clear; readers + 1; give `_rmtx`
 *                 back.
 *   read_unlock   readers - 1.
 *   write_lock    take `_wmtx` (one writer at a time); take `_rmtx`, set
 *                 writer_active, give `_rmtx` back; wait for readers to
 *                 reach 0.
 *   write_unlock  clear writer_active, give `_wmtx` back.
 * Setting writer_active under `_rmtx` makes a reader's check and increment
 * atomic with respect to it: a reader either counted itself first (the
 * writer waits for it) or sees the writer (and waits).  New readers wait
 * while a writer is waiting, so writers are not starved.  Everything
 * written under the write lock is visible to the next holder, reader or
 * writer, and everything before read_unlock to the next writer.
 *
 * Waiting sleeps in the kernel: on the mutexes (sem_i.h), on
 * writer_active (readers) and on readers (the writer); futexes in the
 * shared mapping.  The layout has no waiter counts: write_unlock always
 * makes one wake call, read_unlock one when it leaves 0 readers behind a
 * waiting writer.  Sleeps are cut into slices of at most
 * ZEROIPC_WAIT_SLICE_MS, so peers that wake nobody are still seen.
 * Nothing spins.  Timeouts are in milliseconds: < 0 forever, 0 one try;
 * a timed-out call leaves nothing held and nothing changed.
 *
 * Dead processes.  The layout records no owners, so:
 *   - a writer that dies holding the lock (or while taking it) leaves
 *     writer_active set and `_wmtx` locked: every read_lock and write_lock
 *     then waits for ever; read_lock_timeout and write_lock_timeout return
 *     ZEROIPC_ERROR_TIMEOUT.  Recovering is the application's decision:
 *     write_unlock works from any process.
 *   - a reader that dies holding a read lock leaves readers one too high:
 *     other readers go on, writers wait for ever (write_lock_timeout
 *     returns ZEROIPC_ERROR_TIMEOUT and clears what it set, so readers go
 *     on).  Recovering: read_unlock on its behalf.
 *   - a process that dies inside read_lock or write_lock while holding
 *     `_rmtx` (a few instructions) leaves it locked: everything then
 *     times out as above; unlocking `_rmtx` (zeroipc_mutex_open +
 *     zeroipc_mutex_unlock) recovers.
 *
 * Names.  The base name must leave room for "_state": at most 25 bytes,
 * else ZEROIPC_ERROR_NAME_TOO_LONG (create and open).
 *
 * Trust.  The mutexes are checked at open.  A negative readers count is
 * corrupt: read_unlock refuses it; write_lock waits for 0 as for any
 * other count (its timed variant times out).
 */
#ifndef ZEROIPC_RWLOCK_H
#define ZEROIPC_RWLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "zeroipc_memory.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZEROIPC_RWLOCK_STATE_SUFFIX "_state"
#define ZEROIPC_RWLOCK_RMTX_SUFFIX "_rmtx"
#define ZEROIPC_RWLOCK_WMTX_SUFFIX "_wmtx"
/* The longest base name (room for "_state"). */
#define ZEROIPC_RWLOCK_NAME_MAX (ZEROIPC_NAME_SIZE - 1 - 6)
/* The size of the `_state` entry, exactly. */
#define ZEROIPC_RWLOCK_STATE_SIZE 8

typedef struct zeroipc_rwlock zeroipc_rwlock_t;

/*
 * Creates the lock `name`, free: `name_state` (0, 0), `name_rmtx`,
 * `name_wmtx` (unlocked) and the marker `name`, in that order, under one
 * table lock, each written before its entry is published; all four are
 * made or none.  NULL on failure, with zeroipc_last_error():
 * ZEROIPC_ERROR_INVALID_ARGUMENT (mem or name NULL, name empty);
 * ZEROIPC_ERROR_NAME_TOO_LONG (over 25 bytes); ZEROIPC_ERROR_ALREADY_EXISTS
 * (any name taken); ZEROIPC_ERROR_TABLE_FULL (fewer than four free
 * entries); ZEROIPC_ERROR_SIZE (no room); the other errors of
 * zeroipc_table_add.
 */
zeroipc_rwlock_t *zeroipc_rwlock_create(zeroipc_memory_t *mem, const char *name);

/*
 * Opens an existing lock.  NULL on failure: INVALID_ARGUMENT,
 * NAME_TOO_LONG; the errors of zeroipc_table_find for the marker `name`
 * (NOT_FOUND when there is no lock); ZEROIPC_ERROR_WRONG_KIND when the
 * marker is not 1 byte, `_state` not 8 bytes, or `_rmtx` / `_wmtx` not a
 * mutex; ZEROIPC_ERROR_CORRUPT when a companion is missing (damaged, not
 * absent), misaligned, or a mutex count is invalid.
 */
zeroipc_rwlock_t *zeroipc_rwlock_open(zeroipc_memory_t *mem, const char *name);

/* Frees the handle; the lock stays (held, if it was).  NULL is ignored. */
void zeroipc_rwlock_close(zeroipc_rwlock_t *rw);

/*
 * Takes a read lock: for ever, at most timeout_ms, or one try.  Many
 * readers hold it together; none while a writer holds or waits for it.
 * ZEROIPC_OK; ZEROIPC_ERROR_TIMEOUT (nothing held); ZEROIPC_ERROR_SIZE
 * (readers at INT32_MAX); ZEROIPC_ERROR_CORRUPT (a mutex count
 * negative); ZEROIPC_ERROR_INVALID_ARGUMENT (NULL).
 */
int zeroipc_rwlock_read_lock(zeroipc_rwlock_t *rw);
int zeroipc_rwlock_read_lock_timeout(zeroipc_rwlock_t *rw, int32_t timeout_ms);
int zeroipc_rwlock_try_read_lock(zeroipc_rwlock_t *rw);

/* Gives a read lock back; wakes a writer waiting for the last reader.
 * Never blocks.  ZEROIPC_OK; ZEROIPC_ERROR_SIZE when no read lock is held
 * (readers 0; nothing changes); ZEROIPC_ERROR_CORRUPT (negative);
 * ZEROIPC_ERROR_INVALID_ARGUMENT (NULL). */
int zeroipc_rwlock_read_unlock(zeroipc_rwlock_t *rw);

/*
 * Takes the write lock, alone: for ever, at most timeout_ms in all, or one
 * try.  ZEROIPC_OK; ZEROIPC_ERROR_TIMEOUT (nothing held, writer_active
 * cleared again); ZEROIPC_ERROR_CORRUPT; ZEROIPC_ERROR_INVALID_ARGUMENT.
 */
int zeroipc_rwlock_write_lock(zeroipc_rwlock_t *rw);
int zeroipc_rwlock_write_lock_timeout(zeroipc_rwlock_t *rw, int32_t timeout_ms);
int zeroipc_rwlock_try_write_lock(zeroipc_rwlock_t *rw);

/* Gives the write lock back and wakes the waiting readers.  Never
 * blocks.  ZEROIPC_OK; ZEROIPC_ERROR_SIZE when no writer holds it
 * (`_wmtx` free; nothing changes); ZEROIPC_ERROR_CORRUPT;
 * ZEROIPC_ERROR_INVALID_ARGUMENT (NULL). */
int zeroipc_rwlock_write_unlock(zeroipc_rwlock_t *rw);

/* Snapshots, stale at once: read locks held (-1 for NULL) and whether
 * writer_active is set (0 or 1; -1 for NULL). */
int32_t zeroipc_rwlock_readers(zeroipc_rwlock_t *rw);
int32_t zeroipc_rwlock_writer_active(zeroipc_rwlock_t *rw);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_RWLOCK_H */
