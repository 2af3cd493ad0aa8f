/*
 * zeroipc_stack.h - a bounded multi-producer multi-consumer LIFO stack.
 *
 * Layout (FORMAT.md):
 *
 *   0   atomic i32 top        index of the top element, -1 when empty
 *   4   u32 capacity          any value >= 1
 *   8   u32 elem_size
 *   12  u32 reserved          0
 *   16  capacity * elem_size bytes of slots
 *   16 + align8(capacity * elem_size)   atomic u32 state[capacity]
 *
 * Each slot has four states: EMPTY 0, WRITING 1, READY 2, READING 3.  A
 * push moves `top` up with a CAS and then claims its slot EMPTY->WRITING;
 * a pop moves `top` down and claims READY->READING.  The claim can find
 * the slot still held by a peer that is halfway through the opposite
 * operation, so it waits for it, but only for ZEROIPC_STACK_CLAIM_MS: a
 * peer that died mid-operation would otherwise hang everyone.  After that
 * the peer is taken for dead and what it left is repaired: a pop that
 * finds an EMPTY hole (a pusher died between moving `top` and claiming)
 * or a slot still WRITING or READING (a peer died copying; the slot is
 * freed) leaves `top` below it and fails with ZEROIPC_ERROR_TIMEOUT; a
 * push that finds a READY element (a popper died before claiming) leaves
 * `top` above it and fails with ZEROIPC_ERROR_TIMEOUT (its own element
 * not pushed), and one that finds a slot still WRITING or READING takes
 * it over and succeeds.  Otherwise `top` is put back (when nobody has
 * moved it meanwhile).  So a dead peer costs the one element it was
 * copying and one ZEROIPC_STACK_CLAIM_MS wait for whoever meets its slot
 * first, and no element stays out of reach.  A peer that was only
 * stopped (SIGSTOP, a debugger) that long in the middle of an operation
 * is treated the same way, and if it goes on afterwards its element may
 * be lost or torn: the claim time is the contract.
 *
 * Under concurrency the order is LIFO only approximately; every element
 * pushed is popped exactly once.
 *
 * Waiting: the _wait and _timeout variants sleep on the `top` word with a
 * futex; our pushes wake sleepers when the stack leaves empty and our pops
 * when it leaves full.  As with the queue, sleeps are sliced so peers that
 * never wake anyone are seen within ZEROIPC_WAIT_SLICE_MS.
 */
#ifndef ZEROIPC_STACK_H
#define ZEROIPC_STACK_H

#include <stddef.h>
#include <stdint.h>

#include "zeroipc_memory.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZEROIPC_STACK_HEADER_SIZE 16
#define ZEROIPC_STACK_MAX_CAPACITY ((size_t)INT32_MAX)
/* How long a claim waits for a peer to finish with a slot. */
#define ZEROIPC_STACK_CLAIM_MS 1000

typedef struct zeroipc_stack zeroipc_stack_t;

/* Creates the stack `name`.  NULL on failure: as zeroipc_queue_create
 * (capacity at most INT32_MAX). */
zeroipc_stack_t *zeroipc_stack_create(zeroipc_memory_t *mem, const char *name,
                                      size_t elem_size, size_t capacity);

/* Opens an existing stack: the errors of zeroipc_table_find and
 * ZEROIPC_ERROR_WRONG_KIND. */
zeroipc_stack_t *zeroipc_stack_open(zeroipc_memory_t *mem, const char *name);

/* Frees the handle.  NULL is ignored. */
void zeroipc_stack_close(zeroipc_stack_t *s);

/*
 * Pushes / pops one element of elem_size bytes.  Never sleeps, but may
 * wait up to ZEROIPC_STACK_CLAIM_MS for a peer that holds the slot.
 * ZEROIPC_OK; ZEROIPC_ERROR_SIZE when full (push); ZEROIPC_ERROR_NOT_FOUND
 * when empty (pop); ZEROIPC_ERROR_TIMEOUT when the slot stayed held;
 * ZEROIPC_ERROR_INVALID_ARGUMENT for NULL.
 */
int zeroipc_stack_push(zeroipc_stack_t *s, const void *value);
int zeroipc_stack_pop(zeroipc_stack_t *s, void *out);

/* Copies the top element without removing it: a snapshot, which a
 * concurrent pop may take at the same time.  ZEROIPC_ERROR_NOT_FOUND when
 * empty, ZEROIPC_ERROR_TIMEOUT when the top slot is being written. */
int zeroipc_stack_top(zeroipc_stack_t *s, void *out);

/* Waiting variants, as the queue's: timeout_ms < 0 waits forever. */
int zeroipc_stack_push_timeout(zeroipc_stack_t *s, const void *value,
                               int32_t timeout_ms);
int zeroipc_stack_pop_timeout(zeroipc_stack_t *s, void *out,
                              int32_t timeout_ms);
int zeroipc_stack_push_wait(zeroipc_stack_t *s, const void *value);
int zeroipc_stack_pop_wait(zeroipc_stack_t *s, void *out);

/* Snapshots: 1 / 0, or ZEROIPC_ERROR_INVALID_ARGUMENT for NULL. */
int zeroipc_stack_empty(zeroipc_stack_t *s);
int zeroipc_stack_full(zeroipc_stack_t *s);
size_t zeroipc_stack_size(zeroipc_stack_t *s);
size_t zeroipc_stack_capacity(zeroipc_stack_t *s);
size_t zeroipc_stack_elem_size(zeroipc_stack_t *s);

/*
 * Read-only check of `size` bytes at `s` as a stack: capacity 1..INT32_MAX,
 * elem_size non-zero, and `size` exactly
 * 16 + align8(capacity * elem_size) + 4 * capacity.  ZEROIPC_OK or
 * ZEROIPC_ERROR_WRONG_KIND.
 */
int zeroipc_stack_validate(const void *s, size_t size);

/* Bytes a stack of that shape occupies, or 0 when impossible. */
size_t zeroipc_stack_footprint(size_t elem_size, size_t capacity);

/* Offset-based calls, as zeroipc_raw_queue_*: 0, -1 full/empty, -2 element
 * size mismatch, -3 invalid header or NULL; -10 (ZEROIPC_ERROR_TIMEOUT)
 * when a slot stayed held by a peer. */
int zeroipc_raw_stack_push(void *base, size_t offset, const void *value,
                           uint32_t elem_size);
int zeroipc_raw_stack_pop(void *base, size_t offset, void *value,
                          uint32_t elem_size);
int zeroipc_raw_stack_top(void *base, size_t offset, void *value,
                          uint32_t elem_size);
size_t zeroipc_raw_stack_size(void *base, size_t offset);
int zeroipc_raw_stack_empty(void *base, size_t offset);
int zeroipc_raw_stack_full(void *base, size_t offset);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_STACK_H */
