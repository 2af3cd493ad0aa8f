/*
 * zeroipc_future.h - a value that some process computes once: a setter
 * resolves it to a value or to an error, everyone else waits for that.
 *
 * Layout (FORMAT.md, "Future"), one table entry at `name`,
 * ZEROIPC_FUTURE_SIZE(T) = align8(272 + T) bytes for a T-byte value:
 *
 *   0        atomic u32 state        PENDING 0, COMPUTING 1, READY 2, ERROR 3
 *   4        atomic u32 waiters      processes asleep in get (ours count)
 *   8        atomic u64 completion_time   CLOCK_MONOTONIC ns of the set, 0
 *                                    while PENDING
 *   16       T value                 value_size bytes
 *   16 + T   char error_msg[256]     NUL-terminated, zero-padded
 *   ...      padding to a multiple of 8, zero
 *
 * Resolving.  set and set_error win PENDING -> COMPUTING with a CAS, so
 * exactly one of all the setters of all processes resolves the future;
 * the others get ZEROIPC_ERROR_ALREADY_SET.  The winner writes the value
 * (or the message: BEFORE publishing, unlike the public C++, so that a
 * reader never sees ERROR with a message still missing) and the time,
 * then stores READY or ERROR with release: a reader that sees the final
 * state (acquire) sees all of it.  A resolved future never changes again.
 *
 * Waiting.  get sleeps in the kernel (a futex in the shared mapping, not
 * the private kind) on the state word.  Before it sleeps it increments
 * `waiters` and looks at the state once more; a setter stores the state
 * and then reads `waiters` (both sequentially consistent), so either the
 * setter sees the sleeper and wakes it or the sleeper sees the new state:
 * our setters make a wake system call only when someone sleeps.  Sleeps
 * last at most ZEROIPC_WAIT_SLICE_MS, so a future resolved by an
 * implementation that wakes nobody (the public C++, Python) is seen
 * within a slice.  Nothing spins.  Timeouts are in milliseconds: < 0
 * waits forever, 0 is a single look.
 *
 * Dead processes.  A setter that dies between its CAS and its final store
 * leaves the future COMPUTING for ever: zeroipc_future_get then waits for
 * ever, the timed calls return ZEROIPC_ERROR_TIMEOUT, try_get
 * ZEROIPC_ERROR_NOT_FOUND, and every later set ZEROIPC_ERROR_ALREADY_SET.
 * Nothing repairs it: the future is lost (a fresh one under another name
 * is the remedy); waiters that must survive such a setter use the timed
 * calls.  A waiter that dies asleep leaves `waiters` one too high, which
 * only costs a setter one needless wake system call.
 *
 * Trust.  The value size is checked at open against the entry's size
 * (exactly align8(272 + value_size); the entry size alone does not fix T,
 * so the caller must know it) and cached.  A state above ERROR is
 * ZEROIPC_ERROR_CORRUPT for every call that reads it (nothing is written
 * then).  `waiters` is only incremented, decremented and compared.  The
 * message is copied out bounded by its 256-byte field, so a message
 * without its NUL cannot lead a reader out of the entry.
 */
#ifndef ZEROIPC_FUTURE_H
#define ZEROIPC_FUTURE_H

#include <stddef.h>
#include <stdint.h>

#include "zeroipc_memory.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The states. */
#define ZEROIPC_FUTURE_PENDING 0
#define ZEROIPC_FUTURE_COMPUTING 1
#define ZEROIPC_FUTURE_READY 2
#define ZEROIPC_FUTURE_ERROR 3

/* Offsets of the fixed fields, and the message field's size. */
#define ZEROIPC_FUTURE_VALUE_OFFSET 16
#define ZEROIPC_FUTURE_MSG_SIZE 256
/* The largest value. */
#define ZEROIPC_FUTURE_VALUE_MAX ((size_t)1 << 30)
/* The size of a future's entry for a value of n bytes. */
#define ZEROIPC_FUTURE_SIZE(n) ((((size_t)(n) + 272) + 7) & ~(size_t)7)

typedef struct zeroipc_future zeroipc_future_t;

/*
 * Creates the future `name` for values of `value_size` bytes, PENDING,
 * all other bytes zero; written before its entry is published.  NULL on
 * failure, with zeroipc_last_error(): ZEROIPC_ERROR_INVALID_ARGUMENT (mem
 * NULL, value_size 0 or over ZEROIPC_FUTURE_VALUE_MAX), and every error
 * of zeroipc_table_add (name errors, ALREADY_EXISTS, TABLE_FULL, SIZE).
 */
zeroipc_future_t *zeroipc_future_create(zeroipc_memory_t *mem,
                                        const char *name, size_t value_size);

/*
 * Opens the future `name` of `value_size`-byte values.  NULL on failure:
 * ZEROIPC_ERROR_INVALID_ARGUMENT (NULL, bad value_size); the errors of
 * zeroipc_table_find; ZEROIPC_ERROR_WRONG_KIND when the entry's size is
 * not ZEROIPC_FUTURE_SIZE(value_size) or its state is above ERROR
 * (zeroipc_future_validate); ZEROIPC_ERROR_CORRUPT when its offset is not
 * 8-aligned.  Values of sizes that round alike (1 to 8 bytes all make 280)
 * cannot be told apart: the caller's size is believed.
 */
zeroipc_future_t *zeroipc_future_open(zeroipc_memory_t *mem, const char *name,
                                      size_t value_size);

/* Frees the handle; the future stays.  NULL is ignored. */
void zeroipc_future_close(zeroipc_future_t *f);

/*
 * Resolves the future to the value_size bytes at `value`, stamps
 * completion_time and wakes the sleepers.  Never blocks.  ZEROIPC_OK;
 * ZEROIPC_ERROR_ALREADY_SET when it is resolved or being resolved
 * (COMPUTING) by another; ZEROIPC_ERROR_CORRUPT (bad state);
 * ZEROIPC_ERROR_INVALID_ARGUMENT (NULL).  Anyone may call it, at once.
 */
int zeroipc_future_set(zeroipc_future_t *f, const void *value);

/*
 * Resolves the future to an error with the message `msg` (at most 255
 * bytes are kept, the field is NUL-terminated and zero-padded); the value
 * is left as it was.  Otherwise as zeroipc_future_set.
 */
int zeroipc_future_set_error(zeroipc_future_t *f, const char *msg);

/*
 * Waits until the future is resolved and copies the value into `out`
 * (value_size bytes).  ZEROIPC_OK; ZEROIPC_ERROR_FAILED when it resolved
 * to an error (`out` untouched; the message from zeroipc_future_error);
 * ZEROIPC_ERROR_CORRUPT; ZEROIPC_ERROR_INVALID_ARGUMENT (NULL).  get
 * waits forever (see "Dead processes"); get_timeout at most timeout_ms
 * and then ZEROIPC_ERROR_TIMEOUT.  Any number of callers at once.
 */
int zeroipc_future_get(zeroipc_future_t *f, void *out);
int zeroipc_future_get_timeout(zeroipc_future_t *f, void *out,
                               int32_t timeout_ms);

/*
 * get without waiting: ZEROIPC_ERROR_NOT_FOUND while PENDING or
 * COMPUTING ("no value yet"), else as get.
 */
int zeroipc_future_try_get(zeroipc_future_t *f, void *out);

/*
 * A snapshot of the state: ZEROIPC_FUTURE_PENDING .. ZEROIPC_FUTURE_ERROR,
 * ZEROIPC_ERROR_CORRUPT for a word above ERROR, ZEROIPC_ERROR_INVALID_ARGUMENT
 * for NULL.  Never blocks.
 */
int zeroipc_future_state(zeroipc_future_t *f);

/* A snapshot of the waiter count (0 for NULL). */
uint32_t zeroipc_future_waiters(zeroipc_future_t *f);

/* completion_time as stored (0 while PENDING or for NULL).  C++ writes
 * CLOCK_MONOTONIC ns, Python wall-clock microseconds: compare with care. */
uint64_t zeroipc_future_completion_time(zeroipc_future_t *f);

/*
 * Copies the error message of a future in the ERROR state into buf (len
 * bytes, always NUL-terminated when len > 0).  ZEROIPC_OK;
 * ZEROIPC_ERROR_SIZE when it did not fit (buf holds a prefix);
 * ZEROIPC_ERROR_NOT_FOUND when the state is not ERROR;
 * ZEROIPC_ERROR_CORRUPT; ZEROIPC_ERROR_INVALID_ARGUMENT (NULL, len 0).
 */
int zeroipc_future_error(zeroipc_future_t *f, char *buf, size_t len);

/* The value size given at create or open; 0 for NULL. */
size_t zeroipc_future_value_size(zeroipc_future_t *f);

/*
 * Read-only check of `size` bytes at `s` as a future of some value size:
 * `size` a multiple of 8 and at least 280 (a value of at least one byte),
 * and the state at most ERROR.  ZEROIPC_OK or ZEROIPC_ERROR_WRONG_KIND
 * (also for NULL).  `s` need not be aligned; the state is a snapshot.
 * For kind inference: an entry that passes may still be something else
 * of that size.
 */
int zeroipc_future_validate(const void *s, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_FUTURE_H */
