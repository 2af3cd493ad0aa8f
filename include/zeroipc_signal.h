/*
 * zeroipc_signal.h - a value with a version: setters publish, readers get
 * the latest value and can wait for the next one.
 *
 * Layout (FORMAT.md, "Signal"), three table entries created in this order:
 *
 *   `name_state`, align8(8 + value_size) bytes:
 *     0   atomic u64 version   0 at creation, +1 per set
 *     8   T value              value_size bytes (the rest is padding, 0)
 *   `name_mtx`, a mutex (zeroipc_semaphore.h): held by a setter
 *   `name`, a 1-byte marker (0)
 *
 * Setting takes the mutex, writes the value, increments `version`
 * (release) and unlocks: the public C++ does exactly this, and the test
 * vectors show it (two sets after creation leave version 2, the mutex
 * free).  Everything a setter wrote before set is visible to a reader that
 * gets the version it published.
 *
 * Reading.  A reader takes no lock when no set is in progress: it reads
 * `version`, checks the mutex is free, copies the value, then checks the
 * mutex is still free and `version` unchanged, and copies again
 * otherwise.  The mutex word is the "set in progress" flag (a set keeps
 * `version` until it has written the value, so the version alone could
 * not tell a torn copy).  When a set is in progress (or the copy was
 * disturbed twice), the reader takes the mutex itself for the copy, and
 * so waits for the setter: that wait is bounded by the timed calls.
 *
 * Waiting for a change sleeps in the kernel on the low 32 bits of
 * `version` (a futex in the shared mapping, not the private kind).  The
 * layout has no waiter count, so our set always makes one wake system
 * call.  Sleeps are cut into slices of at most ZEROIPC_WAIT_SLICE_MS, so
 * sets by peers that wake nobody (the public implementations) are seen.
 * Nothing spins.  Timeouts are in milliseconds: < 0 forever, 0 one try.
 *
 * Dead processes.  A setter that dies between taking and releasing the
 * mutex leaves it locked and possibly a half-written value: set and get
 * then wait for ever, their timed variants (and wait_change_timeout)
 * return ZEROIPC_ERROR_TIMEOUT; `version` still holds the last complete
 * set.  Recovering is the application's decision: unlock `name_mtx`
 * (zeroipc_mutex_open + zeroipc_mutex_unlock) and set a fresh value.  A
 * reader or waiter that dies leaves nothing behind (except briefly, in
 * the slow path, the mutex: the same as a dead setter).
 *
 * Names.  The base name must leave room for "_state": at most 25 bytes,
 * else ZEROIPC_ERROR_NAME_TOO_LONG (create and open).
 *
 * Trust.  Sizes are checked at open and cached; `version` is only
 * compared; the value's bytes are copied, never interpreted.
 */
#ifndef ZEROIPC_SIGNAL_H
#define ZEROIPC_SIGNAL_H

#include <stddef.h>
#include <stdint.h>

#include "zeroipc_memory.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZEROIPC_SIGNAL_STATE_SUFFIX "_state"
#define ZEROIPC_SIGNAL_MTX_SUFFIX "_mtx"
/* The longest base name (room for "_state"). */
#define ZEROIPC_SIGNAL_NAME_MAX (ZEROIPC_NAME_SIZE - 1 - 6)
/* The largest value. */
#define ZEROIPC_SIGNAL_VALUE_MAX ((size_t)1 << 30)

/* The size of the `_state` entry for a value of n bytes. */
#define ZEROIPC_SIGNAL_STATE_SIZE(n) ((((size_t)(n) + 8) + 7) & ~(size_t)7)

typedef struct zeroipc_signal zeroipc_signal_t;

/*
 * Creates the signal `name` holding `value_size` bytes, initially a copy
 * of `initial` (zeros when NULL), version 0: `name_state`, `name_mtx`
 * (unlocked) and the marker `name`, in that order, under one table lock,
 * each written before its entry is published; all three are made or none.
 * NULL on failure, with zeroipc_last_error(): ZEROIPC_ERROR_INVALID_ARGUMENT
 * (mem or name NULL, name empty, value_size 0 or over
 * ZEROIPC_SIGNAL_VALUE_MAX); ZEROIPC_ERROR_NAME_TOO_LONG (over 25 bytes);
 * ZEROIPC_ERROR_ALREADY_EXISTS (any of the three names taken);
 * ZEROIPC_ERROR_TABLE_FULL (fewer than three free entries);
 * ZEROIPC_ERROR_SIZE (no room for all three); the other errors of
 * zeroipc_table_add.
 */
zeroipc_signal_t *zeroipc_signal_create(zeroipc_memory_t *mem, const char *name,
                                        size_t value_size, const void *initial);

/*
 * Opens an existing signal of `value_size`-byte values.  NULL on failure:
 * ZEROIPC_ERROR_INVALID_ARGUMENT (NULL, value_size 0 or too large);
 * ZEROIPC_ERROR_NAME_TOO_LONG; the errors of zeroipc_table_find for the
 * marker `name` (NOT_FOUND when there is no signal);
 * ZEROIPC_ERROR_WRONG_KIND when the marker is not 1 byte, `name_state` is
 * not ZEROIPC_SIGNAL_STATE_SIZE(value_size) bytes, or `name_mtx` is not a
 * mutex; ZEROIPC_ERROR_CORRUPT when `name_state` or `name_mtx` is missing
 * (a signal without its companions is damaged, not absent), misaligned,
 * or the mutex's count is neither 0 nor 1.
 */
zeroipc_signal_t *zeroipc_signal_open(zeroipc_memory_t *mem, const char *name,
                                      size_t value_size);

/* Frees the handle; the signal stays.  NULL is ignored. */
void zeroipc_signal_close(zeroipc_signal_t *sig);

/*
 * Publishes value_size bytes from `value`: takes the mutex (waiting for
 * ever, or at most timeout_ms), writes the value, increments the version,
 * unlocks and wakes the waiters.  ZEROIPC_OK; ZEROIPC_ERROR_TIMEOUT (the
 * mutex stayed taken; nothing changed); ZEROIPC_ERROR_CORRUPT (the mutex's
 * count is negative); ZEROIPC_ERROR_INVALID_ARGUMENT (NULL).  Any thread
 * or process may call it concurrently.
 */
int zeroipc_signal_set(zeroipc_signal_t *sig, const void *value);
int zeroipc_signal_set_timeout(zeroipc_signal_t *sig, const void *value,
                               int32_t timeout_ms);

/*
 * Copies the current value (value_size bytes) into `out` and its version
 * into *version (when not NULL), consistently: the value is the one that
 * set published with that version.  Waits only while a set is in
 * progress (for ever, or at most timeout_ms).  ZEROIPC_OK;
 * ZEROIPC_ERROR_TIMEOUT (a setter held the mutex throughout; `out` is
 * unchanged); ZEROIPC_ERROR_CORRUPT; ZEROIPC_ERROR_INVALID_ARGUMENT (NULL
 * sig or out).
 */
int zeroipc_signal_get(zeroipc_signal_t *sig, void *out, uint64_t *version);
int zeroipc_signal_get_timeout(zeroipc_signal_t *sig, void *out,
                               uint64_t *version, int32_t timeout_ms);

/*
 * Waits until the version differs from `since`, then gets as above (out
 * may be NULL to get only the version).  Returns at once when it differs
 * already.  ZEROIPC_OK; ZEROIPC_ERROR_TIMEOUT (no change in time, or the
 * change could not be read in time); ZEROIPC_ERROR_CORRUPT;
 * ZEROIPC_ERROR_INVALID_ARGUMENT (NULL sig).
 */
int zeroipc_signal_wait_change(zeroipc_signal_t *sig, uint64_t since, void *out,
                               uint64_t *version);
int zeroipc_signal_wait_change_timeout(zeroipc_signal_t *sig, uint64_t since,
                                       void *out, uint64_t *version,
                                       int32_t timeout_ms);

/* A snapshot of the version; 0 for NULL. */
uint64_t zeroipc_signal_version(zeroipc_signal_t *sig);

/* The value size given at create or open; 0 for NULL. */
size_t zeroipc_signal_value_size(zeroipc_signal_t *sig);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_SIGNAL_H */
