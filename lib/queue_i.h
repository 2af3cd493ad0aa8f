/*
 * queue_i.h - the queue's inner steps, for structures built on one
 * (channel.c).  Private: never installed.
 */
#ifndef ZEROIPC_QUEUE_I_H
#define ZEROIPC_QUEUE_I_H

#include <stdatomic.h>
#include <stdint.h>

#include "memory_i.h"
#include "zeroipc_queue.h"

/* When a try could not be done: the word to sleep on and the value it
 * holds.  The other side wakes that word exactly when it makes the try
 * possible (queue.c, "Waiting"). */
struct zeroipc_qwait {
    _Atomic uint32_t *word;
    uint32_t value;
};

/* One push or pop, never waiting: ZEROIPC_OK; ZEROIPC_ERROR_SIZE (full)
 * or ZEROIPC_ERROR_NOT_FOUND (empty) with *w filled; CORRUPT. */
ZEROIPC_INTERNAL int zeroipc_queue_try_push_w(zeroipc_queue_t *q, const void *value,
                                              struct zeroipc_qwait *w);
ZEROIPC_INTERNAL int zeroipc_queue_try_pop_w(zeroipc_queue_t *q, void *out,
                                             struct zeroipc_qwait *w);

/* Wakes whoever sleeps on the slots at head and at tail (a close). */
ZEROIPC_INTERNAL void zeroipc_queue_wake_ends(zeroipc_queue_t *q);

/* Initializes a queue's bytes for ctx = {capacity, elem_size} (a
 * zeroipc_init_fn, for creators that make a queue among other entries). */
ZEROIPC_INTERNAL void zeroipc_queue_init(void *p, const void *ctx);

#endif
