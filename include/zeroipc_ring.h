/*
 * zeroipc_ring.h - a single-producer single-consumer byte ring.
 *
 * Layout (FORMAT.md):
 *
 *   0   atomic u64 write_pos   total bytes ever written
 *   8   atomic u64 read_pos    total bytes ever read
 *   16  u32 capacity           in BYTES, a non-zero multiple of elem_size
 *   20  u32 elem_size          non-zero
 *   24  capacity bytes of buffer
 *
 * The element at position p (a byte count) lies at p % capacity in the
 * buffer; a run that reaches the end of the buffer continues at its start.
 * The stored capacity is in bytes, as every implementation stores it: the
 * public C++ constructor takes bytes (rounded down to a multiple of the
 * element size: zeroipc_ring_create_bytes), the public Python one takes
 * elements (zeroipc_ring_create).
 *
 * Contract: ONE producer and ONE consumer.  At any moment at most one
 * thread, in any process, may call the producer's functions (the
 * zeroipc_ring_write*_spsc family) and at most one the consumer's
 * (zeroipc_ring_read*_spsc and zeroipc_ring_peek_spsc); the two may run at
 * the same time, and may be in different processes.  Handing a side over
 * from one thread or process to another is the caller's business (a
 * mutex, a join, a barrier: anything that orders the last call of one
 * before the first call of the next).  The _spsc in their names is this
 * contract.  Nothing checks it: the layout has no owner field.  A second
 * concurrent producer (or consumer) can lose, duplicate or tear elements,
 * but never makes a call touch memory outside the ring or loop forever.
 * The observers (size, empty, full, capacity...) may be called by anyone
 * at any time; what they return is a snapshot.
 *
 * Neither side takes a lock or makes a system call on a busy ring: a
 * write copies the bytes and publishes them with a release store of
 * write_pos, a read copies them out and frees them with a release store
 * of read_pos.
 *
 * Waiting.  The _timeout and _wait variants block in the kernel (a futex
 * in the shared mapping, not the private kind) on the low 32 bits of the
 * position that has to move: a reader of an empty ring on write_pos, a
 * writer of a full ring on read_pos.  So no extra field is needed and the
 * layout stays that of every other implementation.  Our writer wakes the
 * reader only when the ring was empty, and our reader the writer only when
 * it was full.  Peers that never wake anyone (the public C++, Python, Go
 * code) are still noticed: every sleep is cut into slices of at most
 * ZEROIPC_WAIT_SLICE_MS after which the positions are read again.
 * Interrupted sleeps (signals) resume transparently.
 *
 * Trust.  capacity and elem_size are validated once, at open, and kept in
 * the handle.  The positions may hold anything: every index into the
 * buffer is taken modulo the cached capacity and every copy is at most
 * capacity bytes long, so bad positions can never lead a call outside the
 * ring.  Positions that cannot be those of a ring (read_pos ahead of
 * write_pos, more than capacity bytes between them, or a distance that is
 * not a whole number of elements) make the producer's and the consumer's
 * calls fail with ZEROIPC_ERROR_CORRUPT at once, also when they would
 * otherwise block.  (After 2^64 bytes the positions wrap; with a capacity
 * that is not a power of two the byte at a position then moves.  At
 * 10 GB/s that is 58 years away.)
 */
#ifndef ZEROIPC_RING_H
#define ZEROIPC_RING_H

#include <stddef.h>
#include <stdint.h>

#include "zeroipc_memory.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZEROIPC_RING_HEADER_SIZE 24
/* The largest capacity in bytes: the field is a u32. */
#define ZEROIPC_RING_MAX_BYTES ((size_t)UINT32_MAX)

typedef struct zeroipc_ring zeroipc_ring_t;

/*
 * Creates the ring `name` holding `capacity_elems` elements of `elem_size`
 * bytes.  The capacity stored (and returned by zeroipc_ring_capacity_bytes)
 * is in BYTES: capacity_elems * elem_size.  The positions start at 0.
 * NULL on failure: ZEROIPC_ERROR_INVALID_ARGUMENT (mem NULL),
 * ZEROIPC_ERROR_SIZE (elem_size 0, capacity_elems 0, a capacity over
 * ZEROIPC_RING_MAX_BYTES bytes, no room in the segment), and every error
 * of zeroipc_table_add (INVALID_ARGUMENT and NAME_TOO_LONG for the name,
 * ALREADY_EXISTS, TABLE_FULL, SYSTEM).
 */
zeroipc_ring_t *zeroipc_ring_create(zeroipc_memory_t *mem, const char *name,
                                    size_t elem_size, size_t capacity_elems);

/*
 * As zeroipc_ring_create, but the capacity is given in bytes and rounded
 * down to a multiple of elem_size, as the public C++ constructor does
 * (capacity_bytes over ZEROIPC_RING_MAX_BYTES first clamps to it).  A
 * capacity_bytes below elem_size is ZEROIPC_ERROR_SIZE.
 */
zeroipc_ring_t *zeroipc_ring_create_bytes(zeroipc_memory_t *mem,
                                          const char *name, size_t elem_size,
                                          size_t capacity_bytes);

/*
 * Opens an existing ring.  NULL on failure: the errors of
 * zeroipc_table_find; ZEROIPC_ERROR_WRONG_KIND when the entry is not a
 * ring (zeroipc_ring_validate); ZEROIPC_ERROR_CORRUPT when its offset is
 * not 8-aligned (its positions are 64-bit atomics).  The positions are not
 * judged here: they may legitimately move while we look.
 */
zeroipc_ring_t *zeroipc_ring_open(zeroipc_memory_t *mem, const char *name);

/* Frees the handle; the ring stays.  NULL is ignored. */
void zeroipc_ring_close(zeroipc_ring_t *r);

/*
 * PRODUCER ONLY.  Appends a copy of the elem_size bytes at `value`.
 * Never blocks.  ZEROIPC_OK; ZEROIPC_ERROR_SIZE when full (fewer than
 * elem_size bytes free: write_pos - read_pos + elem_size > capacity);
 * ZEROIPC_ERROR_CORRUPT for impossible positions;
 * ZEROIPC_ERROR_INVALID_ARGUMENT for NULL.
 */
int zeroipc_ring_write_spsc(zeroipc_ring_t *r, const void *value);

/*
 * CONSUMER ONLY.  Removes the oldest element into `out` (elem_size
 * bytes).  Never blocks.  ZEROIPC_OK; ZEROIPC_ERROR_NOT_FOUND when empty;
 * ZEROIPC_ERROR_CORRUPT; ZEROIPC_ERROR_INVALID_ARGUMENT for NULL.
 */
int zeroipc_ring_read_spsc(zeroipc_ring_t *r, void *out);

/*
 * CONSUMER ONLY.  Copies the oldest element into `out` without removing
 * it.  Never blocks.  Since only the consumer removes elements, the copy
 * is exact, never torn.  ZEROIPC_OK, ZEROIPC_ERROR_NOT_FOUND when empty,
 * ZEROIPC_ERROR_CORRUPT, ZEROIPC_ERROR_INVALID_ARGUMENT for NULL.
 */
int zeroipc_ring_peek_spsc(zeroipc_ring_t *r, void *out);

/*
 * As write and read, but waiting for room or for an element: forever
 * when timeout_ms < 0, at most timeout_ms milliseconds otherwise (0 is a
 * single try).  ZEROIPC_ERROR_TIMEOUT when the time ran out;
 * ZEROIPC_ERROR_CORRUPT as soon as the positions are seen to be
 * impossible; ZEROIPC_ERROR_INVALID_ARGUMENT for NULL (never SIZE or
 * NOT_FOUND).  Producer only / consumer only, as above.
 */
int zeroipc_ring_write_timeout_spsc(zeroipc_ring_t *r, const void *value,
                                    int32_t timeout_ms);
int zeroipc_ring_read_timeout_spsc(zeroipc_ring_t *r, void *out,
                                   int32_t timeout_ms);

/* write_timeout / read_timeout with no limit. */
int zeroipc_ring_write_wait_spsc(zeroipc_ring_t *r, const void *value);
int zeroipc_ring_read_wait_spsc(zeroipc_ring_t *r, void *out);

/*
 * Batches.  PRODUCER ONLY: writes up to `n` elements from `values`
 * (n * elem_size bytes, oldest first); CONSUMER ONLY: reads up to `max`
 * into `out`.  Each returns how many elements it moved: as many as fit /
 * as are there, so 0 when full / empty, and 0 for NULL arguments, for
 * n = 0 and for impossible positions (the single-element calls tell
 * ZEROIPC_ERROR_CORRUPT apart).  Never blocks.  A batch is one copy (two
 * where it wraps), one position store, one fence and one wake check.
 */
size_t zeroipc_ring_write_many_spsc(zeroipc_ring_t *r, const void *values,
                                    size_t n);
size_t zeroipc_ring_read_many_spsc(zeroipc_ring_t *r, void *out, size_t max);

/*
 * Blocking batches: wait (as the _timeout calls above) until at least one
 * element can move, then move as many as possible up to n / max, and
 * store that count in *moved (0 on any error).  ZEROIPC_OK with *moved >= 1
 * (or 0 when n / max is 0, at once); ZEROIPC_ERROR_TIMEOUT;
 * ZEROIPC_ERROR_CORRUPT; ZEROIPC_ERROR_INVALID_ARGUMENT for NULL (moved
 * included).  _wait: no time limit.
 */
int zeroipc_ring_write_many_timeout_spsc(zeroipc_ring_t *r, const void *values,
                                         size_t n, size_t *moved,
                                         int32_t timeout_ms);
int zeroipc_ring_read_many_timeout_spsc(zeroipc_ring_t *r, void *out,
                                        size_t max, size_t *moved,
                                        int32_t timeout_ms);
int zeroipc_ring_write_many_wait_spsc(zeroipc_ring_t *r, const void *values,
                                      size_t n, size_t *moved);
int zeroipc_ring_read_many_wait_spsc(zeroipc_ring_t *r, void *out,
                                     size_t max, size_t *moved);

/*
 * Observers, for anyone.  Snapshots that may be stale at once.
 * size: elements held, (write_pos - read_pos) / elem_size clamped to
 * [0, capacity] (impossible positions read as full).  empty / full: 1 or
 * 0, ZEROIPC_ERROR_INVALID_ARGUMENT for NULL.  capacity: in elements;
 * capacity_bytes: as stored.  0 for NULL.
 */
size_t zeroipc_ring_size(zeroipc_ring_t *r);
int zeroipc_ring_empty(zeroipc_ring_t *r);
int zeroipc_ring_full(zeroipc_ring_t *r);
size_t zeroipc_ring_capacity(zeroipc_ring_t *r);
size_t zeroipc_ring_capacity_bytes(zeroipc_ring_t *r);
size_t zeroipc_ring_elem_size(zeroipc_ring_t *r);

/*
 * Read-only check of `size` bytes at `s` as a ring: elem_size non-zero,
 * capacity a non-zero multiple of it, and `size` exactly 24 + capacity.
 * ZEROIPC_OK or ZEROIPC_ERROR_WRONG_KIND.  Reads only the immutable
 * header fields; `s` need not be aligned.
 */
int zeroipc_ring_validate(const void *s, size_t size);

/* Bytes a ring of capacity_elems elements of elem_size bytes occupies
 * (24 + capacity_elems * elem_size), or 0 when the shape is impossible. */
size_t zeroipc_ring_footprint(size_t elem_size, size_t capacity_elems);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_RING_H */
