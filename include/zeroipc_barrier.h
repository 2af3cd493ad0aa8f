/*
 * zeroipc_barrier.h - a reusable barrier for a fixed number of participants.
 *
 * Layout (FORMAT.md, "Synchronization primitives"), 16 bytes:
 *
 *   0   atomic i32 arrived       participants waiting in this generation
 *   4   atomic i32 generation    how many times the barrier has opened
 *   8   i32 participants         fixed at creation, >= 1
 *   12  i32 pad                  0
 *
 * A participant arrives by adding one to `arrived`.  The one whose arrival
 * completes the count (it saw participants - 1) is the last: it zeroes
 * `arrived` and only then increments `generation` (a release), which
 * opens the barrier for everyone who arrived in that generation and makes
 * it ready for the next round.  Zeroing first matters: a released
 * participant may arrive again at once, and its arrival must not be
 * wiped.  Everything a participant wrote before its arrival is visible to
 * every participant after the barrier opens.
 *
 * Waiting.  A participant that is not the last sleeps in the kernel on the
 * `generation` word (a futex in the shared mapping, not the private kind)
 * while it still holds the value it arrived in; our last arrival wakes
 * them all.  The generation counter is what makes reuse safe: a sleeper
 * waits for "not my generation any more", never for a count, so a fast
 * participant that arrives again in the next generation cannot confuse
 * it.  Peers that never wake anyone (the public C++, Python, Go code, which
 * poll) are still noticed: every sleep is cut into slices of at most
 * ZEROIPC_WAIT_SLICE_MS.  Interrupted sleeps (signals) resume
 * transparently.  The generation is an i32 that wraps (two's complement)
 * after 2^32 openings; only equality is ever compared.
 *
 * Which participant was last.  The original API's bool calls tell every
 * participant only "released" (true) or not; they say nothing about who
 * completed the count.  zeroipc_barrier_await, our extension, returns
 * ZEROIPC_BARRIER_LAST to exactly one participant per generation, like
 * PTHREAD_BARRIER_SERIAL_THREAD.
 *
 * Timeouts.  A participant whose wait runs out withdraws its arrival (it
 * takes its one back from `arrived`) so that the generation still needs
 * it, and reports the timeout.  When the barrier opened while it was
 * giving up, the withdrawal does not happen and the call reports success
 * instead: a timed-out call never leaves the barrier counting someone who
 * believes it did not pass.  (The original C library decremented blindly,
 * which could corrupt the next generation's count.)  A withdrawal that
 * finds an opening half done (`arrived` already zeroed, or complete, while
 * `generation` has not moved yet) waits for it, with backoff, for at most
 * ZEROIPC_BARRIER_SETTLE_MS, and then reports the timeout.
 *
 * Limits.  A participant that dies after arriving stays counted, so that
 * generation opens one arrival early; one that dies before arriving
 * leaves its peers waiting (use the timed calls if peers may die).  More
 * callers than `participants` per generation is a misuse: the extra ones
 * are counted in a later generation.
 *
 * Trust.  `participants` is read once at open, validated and cached; later
 * changes to it in shared memory are ignored.  `arrived` and `generation`
 * may hold anything: an `arrived` outside [0, participants) at the moment
 * of an arrival (which no correct sequence of operations produces) makes
 * that call fail at once with ZEROIPC_ERROR_CORRUPT (false from the bool
 * calls) after taking its arrival back, never sleep; so does an impossible
 * count found while withdrawing.  A corrupt barrier cannot hang its
 * callers, and stays corrupt until someone rewrites it.
 */
#ifndef ZEROIPC_BARRIER_H
#define ZEROIPC_BARRIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zeroipc_memory.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The size of a barrier, and of its table entry, exactly. */
#define ZEROIPC_BARRIER_SIZE 16

/* How long a timed-out wait waits for a peer's half-done opening. */
#define ZEROIPC_BARRIER_SETTLE_MS 1000

/* zeroipc_barrier_await's result for the participant that opened the
 * barrier; every other released participant gets ZEROIPC_OK. */
#define ZEROIPC_BARRIER_LAST 1

typedef struct zeroipc_barrier zeroipc_barrier_t;

/*
 * Creates the barrier `name` for `participants` participants (at least 1),
 * with arrived = 0 and generation = 0; the structure is written before its
 * table entry is published.  NULL on failure, with zeroipc_last_error():
 * ZEROIPC_ERROR_INVALID_ARGUMENT (mem NULL), ZEROIPC_ERROR_SIZE
 * (participants < 1, or no room left), and every error of
 * zeroipc_table_add (NAME_TOO_LONG, ALREADY_EXISTS, TABLE_FULL, ...).
 */
zeroipc_barrier_t *zeroipc_barrier_create(zeroipc_memory_t *mem,
                                          const char *name,
                                          int32_t participants);

/*
 * Opens an existing barrier.  NULL on failure: the errors of
 * zeroipc_table_find; ZEROIPC_ERROR_WRONG_KIND when the entry is not a
 * barrier (zeroipc_barrier_validate: size other than 16, participants
 * < 1); ZEROIPC_ERROR_CORRUPT when its offset is not 8-aligned or
 * `arrived` lies outside [0, participants] (participants itself is the
 * instant inside an opening, and is accepted).  A 16-byte semaphore or
 * mutex with a positive max_count has the same shape and cannot be told
 * apart.
 */
zeroipc_barrier_t *zeroipc_barrier_open(zeroipc_memory_t *mem,
                                        const char *name);

/* Frees the handle; the barrier stays.  NULL is ignored. */
void zeroipc_barrier_close(zeroipc_barrier_t *b);

/*
 * Arrives and waits, forever, until every participant of this generation
 * has arrived.  true when the barrier opened for the caller's generation
 * (for every participant, the last one included); false for a NULL
 * handle or a corrupt `arrived` (see Trust above).
 */
bool zeroipc_barrier_wait(zeroipc_barrier_t *b);

/*
 * As zeroipc_barrier_wait, for at most timeout_ms milliseconds; forever
 * when timeout_ms < 0 (the original library returned false at once
 * there), a single look when 0.  false on timeout, after withdrawing the
 * arrival (see Timeouts above), and for the reasons of
 * zeroipc_barrier_wait.
 */
bool zeroipc_barrier_wait_timeout(zeroipc_barrier_t *b, int32_t timeout_ms);

/*
 * Our extension, the same wait with an error code: ZEROIPC_BARRIER_LAST
 * (1) for the one participant whose arrival opened the barrier,
 * ZEROIPC_OK for the others once released, ZEROIPC_ERROR_TIMEOUT (arrival
 * withdrawn), ZEROIPC_ERROR_CORRUPT, ZEROIPC_ERROR_INVALID_ARGUMENT (NULL).
 * timeout_ms < 0 waits forever.
 */
int zeroipc_barrier_await(zeroipc_barrier_t *b, int32_t timeout_ms);

/*
 * zeroipc_barrier_await in three steps, for callers that must not sleep
 * (an event loop, such as the filesystem daemon's, that waits for many
 * things at once).  arrive counts the caller in and gives the generation
 * it arrived in: ZEROIPC_BARRIER_LAST when that arrival opened it (the
 * caller has passed), ZEROIPC_OK when the caller must wait for
 * zeroipc_barrier_opened(b, generation) to become true,
 * ZEROIPC_ERROR_CORRUPT (nothing counted; see Trust), INVALID_ARGUMENT.
 * A caller that gives up must withdraw: ZEROIPC_ERROR_TIMEOUT when the
 * arrival was taken back, ZEROIPC_OK when the barrier had opened for it
 * after all (the caller passed), ZEROIPC_ERROR_CORRUPT; see Timeouts
 * above for how long withdraw may take.  Never withdraw after opened
 * returned true, nor twice.
 */
int zeroipc_barrier_arrive(zeroipc_barrier_t *b, int32_t *generation);
bool zeroipc_barrier_opened(zeroipc_barrier_t *b, int32_t generation);
int zeroipc_barrier_withdraw(zeroipc_barrier_t *b, int32_t generation);

/*
 * Snapshots of the shared words, which may be stale at once: arrivals in
 * the current generation, and openings so far (wraps to negative after
 * 2^31).  -1 for a NULL handle (as in the original library; a corrupt or
 * wrapped word can also read -1).
 */
int32_t zeroipc_barrier_arrived(zeroipc_barrier_t *b);
int32_t zeroipc_barrier_generation(zeroipc_barrier_t *b);

/* The participant count cached at open (>= 1); -1 for NULL. */
int32_t zeroipc_barrier_num_participants(zeroipc_barrier_t *b);

/*
 * Read-only check of `size` bytes at `s` as a barrier: `size` exactly 16
 * and participants (at offset 8) at least 1.  ZEROIPC_OK or
 * ZEROIPC_ERROR_WRONG_KIND (also for NULL).  Reads only the immutable
 * field; `s` need not be aligned.
 */
int zeroipc_barrier_validate(const void *s, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_BARRIER_H */
