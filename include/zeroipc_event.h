/*
 * zeroipc_event.h - auto-reset and manual-reset events.
 *
 * Layout (FORMAT.md, "Synchronization primitives"), two table entries,
 * created in this order:
 *
 *   `name`, 12 bytes:
 *     0   atomic u32 signaled    1 set, 0 reset
 *     4   u32 mode               ZEROIPC_EVENT_AUTO 0, ZEROIPC_EVENT_MANUAL 1
 *     8   atomic u32 waiting     processes that may be asleep on `signaled`
 *   `name_sem`, a semaphore (zeroipc_semaphore.h) created with count 0,
 *     unbounded.
 *
 * A manual-reset event stays set until reset: every waiter passes.  An
 * auto-reset event lets exactly one waiter through per set: the waiter
 * that takes the signal resets it (a CAS of `signaled` from 1 to 0).
 * Everything a process wrote before set is visible to the waiters it
 * releases.
 *
 * The `_sem` companion.  The public implementations keep a token in it
 * for an auto-reset event's signal: set releases one when it sets a reset
 * auto event, and a manual set leaves it alone (the test vectors show
 * both).  We do the same, and the waiter that takes an auto signal (or a
 * reset that clears one) takes the token back when one is there, so the
 * count stays at most 1 as far as we are concerned.  Our waiters never
 * sleep on the semaphore.
 *
 * Waiting.  Waiters add themselves to `waiting` and sleep in the kernel on
 * the `signaled` word (a futex in the shared mapping, not the private
 * kind) while it is 0; our set wakes them at once when `waiting` is not 0
 * and makes no system call when it is.  Sleeps are cut into slices of at
 * most ZEROIPC_WAIT_SLICE_MS, so a set by a peer that wakes nobody (the
 * public C++, Python, Go code) is still seen.  Nothing spins.  Timeouts
 * are in milliseconds: < 0 waits forever, 0 is a single look.
 *
 * Dead processes.  A waiter that dies leaves `waiting` one too high: that
 * costs wake-ups nobody needed and can make a pulse wait its full
 * ZEROIPC_EVENT_PULSE_MS, nothing worse.  A process that dies never
 * holds an event: waiting on one that is never set waits until the
 * timeout.
 *
 * Names.  The base name must leave room for "_sem" within 31 bytes: at
 * most 27 bytes, else ZEROIPC_ERROR_NAME_TOO_LONG (create and open).
 *
 * Trust.  mode is read once at open and cached.  `signaled` holding
 * anything but 0 counts as set; `waiting` is only a hint.
 */
#ifndef ZEROIPC_EVENT_H
#define ZEROIPC_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zeroipc_memory.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The size of the event's own entry, exactly (its `_sem` is 16). */
#define ZEROIPC_EVENT_SIZE 12

/* The suffix of the companion semaphore, and the longest base name. */
#define ZEROIPC_EVENT_SEM_SUFFIX "_sem"
#define ZEROIPC_EVENT_NAME_MAX (ZEROIPC_NAME_SIZE - 1 - 4)

/* How long a pulse waits, at most, for the waiters it released. */
#define ZEROIPC_EVENT_PULSE_MS 100

typedef enum {
    ZEROIPC_EVENT_AUTO = 0,
    ZEROIPC_EVENT_MANUAL = 1,
} zeroipc_event_mode_t;

typedef struct zeroipc_event zeroipc_event_t;

/*
 * Creates the event `name` (reset, waiting 0) and its semaphore
 * `name_sem` (0, unbounded), in that order, under one table lock, each
 * written before its entry is published; either both entries are made or
 * neither.  NULL on failure, with zeroipc_last_error():
 * ZEROIPC_ERROR_INVALID_ARGUMENT (mem or name NULL, a mode other than
 * AUTO or MANUAL); ZEROIPC_ERROR_NAME_TOO_LONG (name over 27 bytes);
 * ZEROIPC_ERROR_ALREADY_EXISTS (either name taken); ZEROIPC_ERROR_TABLE_FULL
 * (fewer than two free entries); ZEROIPC_ERROR_SIZE (no room for both);
 * the other errors of zeroipc_table_add.
 */
zeroipc_event_t *zeroipc_event_create(zeroipc_memory_t *mem, const char *name,
                                      zeroipc_event_mode_t mode);

/*
 * Opens an existing event and its companion.  NULL on failure: the errors
 * of zeroipc_table_find for `name` (NOT_FOUND when there is no event);
 * ZEROIPC_ERROR_NAME_TOO_LONG (name over 27 bytes);
 * ZEROIPC_ERROR_WRONG_KIND when `name` is not an event (size other than
 * 12, mode other than 0 or 1) or `name_sem` is not a semaphore (size other
 * than 16, negative max_count); ZEROIPC_ERROR_CORRUPT when `name_sem` is
 * missing (an event without its companion is damaged, not absent), when
 * either is misaligned, or when the semaphore's count is invalid.
 */
zeroipc_event_t *zeroipc_event_open(zeroipc_memory_t *mem, const char *name);

/* Frees the handle; the event stays.  NULL is ignored. */
void zeroipc_event_close(zeroipc_event_t *ev);

/*
 * Sets the event and wakes the sleepers.  Manual: every waiter passes
 * until reset.  Auto: one waiter passes (now, or the next to come) and
 * resets it; setting a set event changes nothing.  Never blocks.
 * ZEROIPC_OK or ZEROIPC_ERROR_INVALID_ARGUMENT (NULL).
 */
int zeroipc_event_set(zeroipc_event_t *ev);

/* Resets the event (takes back an auto event's token).  Never blocks.
 * ZEROIPC_OK or ZEROIPC_ERROR_INVALID_ARGUMENT (NULL). */
int zeroipc_event_reset(zeroipc_event_t *ev);

/*
 * Releases the processes waiting now and leaves the event reset.  With
 * nobody registered in `waiting` it only resets.  Otherwise it sets the
 * event, then sleeps until the waiters have gone (manual: `waiting` back
 * at 0; auto: one waiter took the signal) or ZEROIPC_EVENT_PULSE_MS have
 * passed, and resets it.  Manual: every waiter of the moment passes, and
 * so may one that arrives during the pulse.  Auto: exactly one passes; if
 * the waiters it meant all gave up meanwhile, nobody does.  Blocks for at
 * most ZEROIPC_EVENT_PULSE_MS.  ZEROIPC_OK or
 * ZEROIPC_ERROR_INVALID_ARGUMENT (NULL).
 */
int zeroipc_event_pulse(zeroipc_event_t *ev);

/*
 * Waits until the event is set (auto: and takes the signal, resetting
 * it): forever (wait), at most timeout_ms milliseconds (wait_timeout;
 * < 0 forever, 0 one look), or one look (try_wait).  ZEROIPC_OK,
 * ZEROIPC_ERROR_TIMEOUT, ZEROIPC_ERROR_INVALID_ARGUMENT (NULL).
 */
int zeroipc_event_wait(zeroipc_event_t *ev);
int zeroipc_event_wait_timeout(zeroipc_event_t *ev, int32_t timeout_ms);
int zeroipc_event_try_wait(zeroipc_event_t *ev);

/* A snapshot: true when set; false when reset and for NULL. */
bool zeroipc_event_is_set(zeroipc_event_t *ev);

/* A snapshot of `waiting`, the processes asleep in a wait (0 for NULL). */
uint32_t zeroipc_event_waiting(zeroipc_event_t *ev);

/* The mode cached at open; -1 for NULL. */
int zeroipc_event_mode(zeroipc_event_t *ev);

/*
 * Read-only check of `size` bytes at `s` as an event's own entry: `size`
 * exactly 12 and mode (at offset 4) 0 or 1.  ZEROIPC_OK or
 * ZEROIPC_ERROR_WRONG_KIND (also for NULL); `s` need not be aligned.  The
 * companion is checked by zeroipc_event_open.
 */
int zeroipc_event_validate(const void *s, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_EVENT_H */
