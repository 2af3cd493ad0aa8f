/*
 * zeroipc_queue.h - a bounded multi-producer multi-consumer FIFO queue.
 *
 * Layout (FORMAT.md, Vyukov's bounded MPMC queue):
 *
 *   0   atomic u32 head       pop counter, wraps at 2^32
 *   4   atomic u32 tail       push counter
 *   8   u32 capacity          a power of two, at least 2
 *   12  u32 elem_size
 *   16  capacity * elem_size bytes of slots
 *   16 + align8(capacity * elem_size)   atomic u32 seq[capacity]
 *
 * Any number of processes may push and pop at once; push and pop are
 * lock-free (a process that dies between claiming a slot and publishing it
 * stalls that slot, and whoever waits on it then times out).
 *
 * Waiting.  The _wait and _timeout variants block in the kernel on the
 * sequence word of the slot they need (a futex in the shared mapping, not
 * the private kind), so no extra field is needed and the layout stays that
 * of every other implementation.  Our producers wake a consumer only when
 * the queue was empty, and our consumers a producer only when it was full,
 * so a busy queue makes no system call.  Peers that never wake anyone
 * (the public C++, Python, Go code) are still noticed: every sleep is cut
 * into slices of at most ZEROIPC_WAIT_SLICE_MS after which the slot is
 * checked again.  Interrupted sleeps (signals) resume transparently.
 */
#ifndef ZEROIPC_QUEUE_H
#define ZEROIPC_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "zeroipc_memory.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZEROIPC_QUEUE_HEADER_SIZE 16
#define ZEROIPC_QUEUE_MAX_CAPACITY (1u << 31)

typedef struct zeroipc_queue zeroipc_queue_t;

/*
 * Creates the queue `name`; `capacity` is rounded up to a power of two,
 * and to 2 at least: Vyukov's algorithm cannot tell a full slot from a
 * free one when there is only one (a stored capacity of 1, as another
 * implementation could write, is refused as ZEROIPC_ERROR_WRONG_KIND).
 * NULL on failure: ZEROIPC_ERROR_INVALID_ARGUMENT, ZEROIPC_ERROR_SIZE
 * (elem_size 0 or over UINT32_MAX, capacity 0 or over 2^31, overflow, no
 * room), and every error of zeroipc_table_add.
 */
zeroipc_queue_t *zeroipc_queue_create(zeroipc_memory_t *mem, const char *name,
                                      size_t elem_size, size_t capacity);

/* Opens an existing queue.  NULL on failure: the errors of
 * zeroipc_table_find and ZEROIPC_ERROR_WRONG_KIND (zeroipc_queue_validate). */
zeroipc_queue_t *zeroipc_queue_open(zeroipc_memory_t *mem, const char *name);

/* Frees the handle.  NULL is ignored. */
void zeroipc_queue_close(zeroipc_queue_t *q);

/*
 * Appends a copy of elem_size bytes at `value`.  Never blocks.
 * ZEROIPC_OK, ZEROIPC_ERROR_SIZE when full, ZEROIPC_ERROR_INVALID_ARGUMENT
 * for NULL, ZEROIPC_ERROR_CORRUPT when the slot's sequence word says it
 * was claimed while tail says it was not (no correct sequence of
 * operations leaves that; the blocking calls return it too, at once).
 */
int zeroipc_queue_push(zeroipc_queue_t *q, const void *value);

/*
 * Removes the oldest element into `out` (elem_size bytes).  Never blocks.
 * ZEROIPC_OK, ZEROIPC_ERROR_NOT_FOUND when empty,
 * ZEROIPC_ERROR_INVALID_ARGUMENT for NULL, ZEROIPC_ERROR_CORRUPT as for
 * push (a slot popped while head says it was not).
 */
int zeroipc_queue_pop(zeroipc_queue_t *q, void *out);

/*
 * As push and pop, but waiting for room or for an element: forever when
 * timeout_ms < 0, at most timeout_ms milliseconds otherwise (0 is a single
 * try).  ZEROIPC_ERROR_TIMEOUT when the time ran out; the other errors as
 * push and pop (never SIZE or NOT_FOUND).
 */
int zeroipc_queue_push_timeout(zeroipc_queue_t *q, const void *value,
                               int32_t timeout_ms);
int zeroipc_queue_pop_timeout(zeroipc_queue_t *q, void *out,
                              int32_t timeout_ms);

/*
 * Copies the oldest element into `out` without removing it: a snapshot,
 * which a concurrent pop may take at the same moment.  ZEROIPC_OK,
 * ZEROIPC_ERROR_NOT_FOUND when empty, ZEROIPC_ERROR_TIMEOUT when the
 * front kept changing under it, ZEROIPC_ERROR_INVALID_ARGUMENT for NULL.
 */
int zeroipc_queue_peek(zeroipc_queue_t *q, void *out);

/*
 * Batches: push up to `n` elements from `values` (n * elem_size bytes,
 * oldest first) / pop up to `max` into `out`, and return how many, 0 when
 * the queue is full / empty (or for NULL arguments).  Never blocks.  A
 * batch claims its run of slots with one CAS and pays one fence and one
 * wake check, so it moves many elements for the price of one; under
 * contention it may move fewer than are available, never more.  The
 * elements of one batch stay contiguous in the queue's order.
 */
size_t zeroipc_queue_push_many(zeroipc_queue_t *q, const void *values, size_t n);
size_t zeroipc_queue_pop_many(zeroipc_queue_t *q, void *out, size_t max);

/* push_timeout / pop_timeout with no limit. */
int zeroipc_queue_push_wait(zeroipc_queue_t *q, const void *value);
int zeroipc_queue_pop_wait(zeroipc_queue_t *q, void *out);

/* 1 if empty / full, 0 if not; a snapshot that may be stale at once.
 * ZEROIPC_ERROR_INVALID_ARGUMENT for NULL. */
int zeroipc_queue_empty(zeroipc_queue_t *q);
int zeroipc_queue_full(zeroipc_queue_t *q);

/* Elements held (tail - head, clamped to [0, capacity]); a snapshot. */
size_t zeroipc_queue_size(zeroipc_queue_t *q);
size_t zeroipc_queue_capacity(zeroipc_queue_t *q);
size_t zeroipc_queue_elem_size(zeroipc_queue_t *q);

/*
 * Read-only check of `size` bytes at `s` as a queue: the capacity is a
 * power of two of at least 2, elem_size non-zero, and `size` is exactly
 * 16 + align8(capacity * elem_size) + 4 * capacity.  ZEROIPC_OK or
 * ZEROIPC_ERROR_WRONG_KIND.  Reads only the immutable header fields.
 */
int zeroipc_queue_validate(const void *s, size_t size);

/* Bytes a queue of that shape occupies (capacity rounded up to a power of
 * two), or 0 when the shape is impossible. */
size_t zeroipc_queue_footprint(size_t elem_size, size_t capacity);

/*
 * Offset-based calls for bindings from other languages: `base` is the
 * start of the segment, `offset` the queue's table offset.  The caller
 * vouches that the queue lies inside its mapping; its header is checked
 * on every call.  Return 0 on success, -1 full (push) or empty (pop), -2
 * when elem_size differs from the stored one, -3 for an invalid header or
 * NULL arguments.  size returns 0 and empty/full -3 for an invalid header.
 */
int zeroipc_raw_queue_push(void *base, size_t offset, const void *value,
                           uint32_t elem_size);
int zeroipc_raw_queue_pop(void *base, size_t offset, void *value,
                          uint32_t elem_size);
size_t zeroipc_raw_queue_size(void *base, size_t offset);
int zeroipc_raw_queue_empty(void *base, size_t offset);
int zeroipc_raw_queue_full(void *base, size_t offset);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_QUEUE_H */
