/*
 * zeroipc_once.h - run a function exactly once, across processes.
 *
 * Layout (FORMAT.md, "Synchronization primitives"), 4 bytes:
 *
 *   0   atomic u32 state       PENDING 0, EXECUTING 1, DONE 2
 *
 * A once starts PENDING.  The first caller of zeroipc_once_call to move it
 * from PENDING to EXECUTING (a compare-and-swap, so exactly one wins) runs
 * the function and then stores DONE; every other caller, in this process
 * or another, waits while it is EXECUTING and returns once it is DONE.
 * DONE is final.  Everything the function wrote (in shared memory or, for
 * callers in the executor's own process, anywhere) is visible to every
 * caller that returns ZEROIPC_OK.
 *
 * Waiting.  Waiters sleep in the kernel on the `state` word (a futex in
 * the shared mapping, not the private kind) while it is EXECUTING; our
 * executor's store of DONE wakes them all.  Peers that never wake anyone
 * (the public C++, Python, Go code) are still noticed: every sleep is cut
 * into slices of at most ZEROIPC_WAIT_SLICE_MS.  Interrupted sleeps
 * (signals) resume transparently.
 *
 * A dead executor.  A process that dies (or a function that never
 * returns, longjmps out, or ends its thread) while EXECUTING leaves the
 * once EXECUTING forever: nothing in the 4 bytes says who the executor
 * is, so nobody can tell a dead executor from a slow one.  What survives:
 * the state word, EXECUTING; whatever the function had written before it
 * died, half done.  Callers of zeroipc_once_call then wait forever;
 * callers of zeroipc_once_call_timeout return ZEROIPC_ERROR_TIMEOUT and
 * never run the function themselves.  The library never takes over on its
 * own.  A caller that knows the executor is dead (it reaped it with
 * waitpid, or holds some liveness protocol of its own) may call
 * zeroipc_once_recover, which puts the once back to PENDING and wakes the
 * waiters: the next caller (possibly one already waiting) runs the
 * function again from the start, over whatever the dead one left.
 * Recovering while the executor is in fact alive breaks the "exactly
 * once": the function runs twice, concurrently.
 *
 * Re-entry.  The function must not call zeroipc_once_call on the same
 * once: it would wait for itself (forever, or until its timeout).
 *
 * Trust.  `state` may hold anything at any time.  A value above DONE
 * (which no correct sequence of operations produces) is reported as
 * ZEROIPC_ERROR_CORRUPT by every call that looks at it; the function is
 * then never run and the word never written.
 */
#ifndef ZEROIPC_ONCE_H
#define ZEROIPC_ONCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zeroipc_memory.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The size of a once, and of its table entry, exactly. */
#define ZEROIPC_ONCE_SIZE 4

/* The values of the state word. */
#define ZEROIPC_ONCE_PENDING 0
#define ZEROIPC_ONCE_EXECUTING 1
#define ZEROIPC_ONCE_DONE 2

typedef struct zeroipc_once zeroipc_once_t;

/*
 * Creates the once `name`, PENDING; the structure is written before its
 * table entry is published.  NULL on failure, with zeroipc_last_error():
 * ZEROIPC_ERROR_INVALID_ARGUMENT (mem NULL), and every error of
 * zeroipc_table_add (ZEROIPC_ERROR_SIZE when there is no room left).
 */
zeroipc_once_t *zeroipc_once_create(zeroipc_memory_t *mem, const char *name);

/*
 * Opens an existing once.  NULL on failure: the errors of
 * zeroipc_table_find; ZEROIPC_ERROR_WRONG_KIND when the entry is not a
 * once (zeroipc_once_validate: size other than 4, or state above DONE);
 * ZEROIPC_ERROR_CORRUPT when its offset is not 4-aligned.  Any 4-byte
 * entry holding 0, 1 or 2 (a monitor's waiting counter, say) opens as a
 * once: they cannot be told apart.
 */
zeroipc_once_t *zeroipc_once_open(zeroipc_memory_t *mem, const char *name);

/* Frees the handle; the once stays.  NULL is ignored. */
void zeroipc_once_close(zeroipc_once_t *o);

/*
 * Runs fn(arg) if nobody has, and returns when it has run, here or in any
 * other process: ZEROIPC_OK at once when DONE; runs fn in this thread when
 * it wins PENDING -> EXECUTING, then stores DONE and wakes the waiters;
 * otherwise waits, forever, while another caller executes.  Errors:
 * ZEROIPC_ERROR_INVALID_ARGUMENT (o or fn NULL), ZEROIPC_ERROR_CORRUPT
 * (state above DONE).  Any thread of any process may call it at any time.
 * Blocks (see "A dead executor").
 */
int zeroipc_once_call(zeroipc_once_t *o, void (*fn)(void *), void *arg);

/*
 * The same, waiting at most timeout_ms milliseconds for another executor;
 * forever when timeout_ms < 0, a single look when 0.  The timeout bounds
 * only the wait: when this call wins it runs fn to the end however long fn
 * takes, and returns ZEROIPC_OK.  ZEROIPC_ERROR_TIMEOUT when the once is
 * still EXECUTING at the deadline (fn was not run here), and the errors of
 * zeroipc_once_call.
 */
int zeroipc_once_call_timeout(zeroipc_once_t *o, void (*fn)(void *), void *arg,
                              int32_t timeout_ms);

/*
 * Waits, without ever running anything, until the once is DONE, for at
 * most timeout_ms (< 0 forever, 0 a single look).  ZEROIPC_OK when DONE,
 * ZEROIPC_ERROR_TIMEOUT (still PENDING or EXECUTING at the deadline),
 * ZEROIPC_ERROR_CORRUPT, ZEROIPC_ERROR_INVALID_ARGUMENT (NULL).  A PENDING
 * once is waited for too: somebody else is expected to call it.
 */
int zeroipc_once_wait(zeroipc_once_t *o, int32_t timeout_ms);

/*
 * For a caller that knows the executor died: moves EXECUTING back to
 * PENDING (a compare-and-swap) and wakes every waiter, so that the next
 * caller runs the function again.  ZEROIPC_OK when it did;
 * ZEROIPC_ERROR_NOT_FOUND when the once was not EXECUTING (PENDING, or
 * DONE, which is never undone); ZEROIPC_ERROR_CORRUPT (state above DONE,
 * left alone); ZEROIPC_ERROR_INVALID_ARGUMENT (NULL).  Never blocks.
 * Called while the executor is alive, it lets the function run twice.
 */
int zeroipc_once_recover(zeroipc_once_t *o);

/*
 * A snapshot of the state, which may be stale at once: ZEROIPC_ONCE_PENDING,
 * ZEROIPC_ONCE_EXECUTING or ZEROIPC_ONCE_DONE; ZEROIPC_ERROR_CORRUPT for a
 * word above DONE, ZEROIPC_ERROR_INVALID_ARGUMENT for NULL.  Never blocks.
 */
int zeroipc_once_state(zeroipc_once_t *o);

/* true when the once is DONE (with the function's writes visible); false
 * otherwise and for NULL.  Never blocks. */
bool zeroipc_once_done(zeroipc_once_t *o);

/*
 * Read-only check of `size` bytes at `s` as a once: `size` exactly 4 and
 * the state at most DONE.  ZEROIPC_OK or ZEROIPC_ERROR_WRONG_KIND (also
 * for NULL).  `s` need not be aligned; the state read is a snapshot.
 */
int zeroipc_once_validate(const void *s, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_ONCE_H */
