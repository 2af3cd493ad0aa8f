/*
 * zeroipc_channel.h - CSP channels: many senders, many receivers, closed
 * once; buffered (a bounded FIFO) or unbuffered (a rendezvous).
 *
 * Layout (FORMAT.md, "Channel").  No entry at `name`; `name_header`,
 * 32 bytes, made first:
 *
 *   0   atomic u32 capacity   0 = unbuffered; else a power of two, >= 2
 *   4   atomic u32 senders    callers of ours blocked in a send right now
 *   8   atomic u32 receivers  callers of ours blocked in a receive
 *   12  atomic u8  closed     0 open, 1 closed (final)
 *   16  atomic u64 send_seq   see below
 *   24  atomic u64 recv_seq   see below
 *
 * Buffered: a queue (zeroipc_queue.h, Vyukov MPMC) of `capacity` elements
 * at `name_buffer`, created right after the header.  A requested capacity
 * is rounded up to a power of two, and 1 to 2 (our queue needs two slots;
 * a channel of stored capacity 1, which another writer could make, is
 * refused as ZEROIPC_ERROR_WRONG_KIND).
 *
 * Unbuffered: `name_slot`, the C struct { atomic u8 ready; atomic u8
 * consumed; T data; }: data at max(2, a) where a is T's alignment, size
 * max(2, a) + elem_size (an i32 is 8 bytes, data at 4).  The format stores
 * no types, so the alignment is taken as the largest power of two up to 8
 * that divides elem_size: that is the alignment of every number and of
 * records built of them (zeroipc_codec.h); for a type of smaller
 * alignment (str6 has 1, not 2) use a record whose size is right, or know
 * that another implementation's slot may differ.  Opening infers
 * elem_size from the slot size by the same rule, preferring the widest
 * alignment: an 8-byte slot is read as a 4-byte T at 4 (as the public C++
 * writes an i32), though a 6-byte T at 2 would also fit.  To settle that
 * ambiguity, zeroipc_channel_open_elem takes the element size and accepts
 * any slot of data offset 2, 4 or 8 consistent with it.
 *
 * What our library keeps in the counters.  senders and receivers count
 * the callers sleeping in send and receive (a waiter count, so that a
 * wake system call is only made when somebody may sleep; they are 0 when
 * nobody waits, as the public C++ leaves them).  A process killed while
 * waiting leaves its count raised: that only costs extra wakes.
 *   Buffered: senders and receivers sleep as the queue's own blocking
 *   calls do, on the sequence word of the slot they could not use, which
 *   the other side wakes exactly when it makes that slot usable (a busy
 *   channel makes no system call, and a wake reaches only who waits for
 *   that slot); send_seq and recv_seq change only at the close (both +1),
 *   so a channel used without closing keeps the public C++'s bytes (send
 *   7, 8, 9 leaves them 0).
 *   Unbuffered: send_seq is the slot's phase, 4 steps per hand-off:
 *   4k FREE -> 4k+1 WRITING (a sender won the claim, a CAS: senders take
 *   turns) -> 4k+2 PUBLISHED (ready = 1) -> 4k+3 TAKING (a receiver won
 *   the value, a CAS: one receiver per value) -> 4k+4 FREE (the receiver
 *   copied it out, set ready 0 and consumed 1, and incremented recv_seq,
 *   which thus counts hand-offs).  A sender whose time runs out while
 *   PUBLISHED takes its value back (CAS 4k+2 -> 4k+1, then 4k+4), so the
 *   value is either received once or not at all.  Every sleeper of an
 *   unbuffered channel sleeps on the low 32 bits of send_seq.
 *
 * Semantics.  send on a buffered channel returns once the element is in
 * the queue; on an unbuffered one, once a receiver has copied it out (a
 * rendezvous).  recv takes the oldest element.  Once closed, send fails
 * with ZEROIPC_ERROR_CLOSED and recv keeps returning what is buffered,
 * then ZEROIPC_ERROR_CLOSED.  A send that overlaps the close may still
 * land (it checked before the close); its element stays receivable.  An
 * unbuffered sender blocked at the close takes its value back and fails
 * with ZEROIPC_ERROR_CLOSED unless a receiver took it first.  FIFO order
 * holds per sender; across senders, in the order their sends completed.
 *
 * Waiting.  Sleeps are futex waits on the words named above (shared
 * mapping, not the private kind), cut into slices of at most
 * ZEROIPC_WAIT_SLICE_MS so changes by peers that wake nobody are seen.
 * Nothing spins.  Timeouts are in milliseconds: < 0 for ever, 0 one try.
 * A close that lands just as a caller goes to sleep (a buffered sender or
 * receiver, an unbuffered sender waiting for its receiver) is noticed at
 * the end of that slice.
 *
 * Dead processes.  Buffered: as the queue (a process killed between
 * claiming and publishing a slot stalls that slot; the others' timed
 * calls time out).  Unbuffered: a sender killed while WRITING, or a
 * receiver killed while TAKING, leaves the slot busy: every later send
 * and receive waits, and the timed ones return ZEROIPC_ERROR_TIMEOUT
 * (the value of a dead receiver is lost).  A sender killed after
 * PUBLISHED leaves a value that the next receiver takes normally.
 * Recovery, by a process that knows the peer died:
 * zeroipc_channel_recover frees a busy slot.
 *
 * Names.  The base name must leave room for "_header" and "_buffer": at
 * most 24 bytes, else ZEROIPC_ERROR_NAME_TOO_LONG (create and open).
 *
 * Trust.  capacity and the element size are read once at open, checked
 * against the companion entries and cached; the queue is validated by
 * zeroipc_queue_validate; the phase and counters may hold anything (they
 * are compared and used modulo 4, never as indices), closed is read as
 * zero / non-zero.
 */
#ifndef ZEROIPC_CHANNEL_H
#define ZEROIPC_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zeroipc_memory.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZEROIPC_CHANNEL_HEADER_SUFFIX "_header"
#define ZEROIPC_CHANNEL_BUFFER_SUFFIX "_buffer"
#define ZEROIPC_CHANNEL_SLOT_SUFFIX "_slot"
/* The longest base name (room for "_header"). */
#define ZEROIPC_CHANNEL_NAME_MAX (ZEROIPC_NAME_SIZE - 1 - 7)
#define ZEROIPC_CHANNEL_HEADER_SIZE 32
/* The largest element. */
#define ZEROIPC_CHANNEL_ELEM_MAX ((size_t)1 << 30)
/* How long try_send on an unbuffered channel waits, once it has offered
 * its value to a receiver that was waiting, for that receiver to take it. */
#define ZEROIPC_CHANNEL_HANDOFF_MS 100

typedef struct zeroipc_channel zeroipc_channel_t;

/* Bytes of the unbuffered slot for elem_size (see Layout), 0 if invalid. */
size_t zeroipc_channel_slot_size(size_t elem_size);

/*
 * Creates the channel `name` of elem_size-byte elements: buffered with
 * room for `capacity` (rounded up as above), or unbuffered when capacity
 * is 0.  `name_header` then `name_buffer` or `name_slot`, under one table
 * lock, each written before its entry is published; both or neither.
 * NULL on failure, with zeroipc_last_error(): INVALID_ARGUMENT (mem or
 * name NULL, empty name); SIZE (elem_size 0 or over
 * ZEROIPC_CHANNEL_ELEM_MAX, capacity over 2^31, no room);
 * NAME_TOO_LONG (over 24 bytes); ALREADY_EXISTS (either name taken);
 * TABLE_FULL (fewer than two free entries).
 */
zeroipc_channel_t *zeroipc_channel_create(zeroipc_memory_t *mem, const char *name,
                                          size_t elem_size, size_t capacity);

/*
 * Opens the channel `name`, inferring the element size (buffered: from
 * the queue; unbuffered: from the slot, see Layout), or checking it
 * against elem_size with open_elem.  NULL on failure: INVALID_ARGUMENT;
 * NAME_TOO_LONG; NOT_FOUND (no `name_header`); WRONG_KIND (the header is
 * not 32 bytes or not a channel header, a stored capacity of 1, or an
 * element size other than elem_size); CORRUPT (the buffer or slot is
 * missing, misaligned, of another capacity or an impossible size).
 */
zeroipc_channel_t *zeroipc_channel_open(zeroipc_memory_t *mem, const char *name);
zeroipc_channel_t *zeroipc_channel_open_elem(zeroipc_memory_t *mem, const char *name,
                                             size_t elem_size);

/* Frees the handle (as every zeroipc_X_close does); the channel stays,
 * open or closed.  NULL is ignored.  To close the channel itself, see
 * zeroipc_channel_shutdown. */
void zeroipc_channel_close(zeroipc_channel_t *ch);

/*
 * Sends elem_size bytes from `value`.  send waits for ever for room
 * (buffered) or for a receiver to take it (unbuffered); send_timeout at
 * most timeout_ms; try_send never sleeps (buffered: room now or
 * TIMEOUT; unbuffered: succeeds only when a receiver is already waiting,
 * and then waits up to ZEROIPC_CHANNEL_HANDOFF_MS for it to take the
 * value).  ZEROIPC_OK; ZEROIPC_ERROR_CLOSED (closed before the element
 * went in: nothing was sent); ZEROIPC_ERROR_TIMEOUT (full, or no
 * receiver took it, in time: nothing was sent); INVALID_ARGUMENT (NULL).
 * Any number of threads and processes may send at once.
 */
int zeroipc_channel_send(zeroipc_channel_t *ch, const void *value);
int zeroipc_channel_send_timeout(zeroipc_channel_t *ch, const void *value,
                                 int32_t timeout_ms);
int zeroipc_channel_try_send(zeroipc_channel_t *ch, const void *value);

/*
 * Receives the oldest element into `out` (elem_size bytes): recv waits
 * for ever, recv_timeout at most timeout_ms, try_recv never sleeps.
 * ZEROIPC_OK; ZEROIPC_ERROR_CLOSED (closed and nothing left);
 * ZEROIPC_ERROR_TIMEOUT (nothing came in time; `out` unchanged);
 * INVALID_ARGUMENT.  Any number of threads and processes may receive at
 * once; each element goes to exactly one of them.
 */
int zeroipc_channel_recv(zeroipc_channel_t *ch, void *out);
int zeroipc_channel_recv_timeout(zeroipc_channel_t *ch, void *out, int32_t timeout_ms);
int zeroipc_channel_try_recv(zeroipc_channel_t *ch, void *out);

/*
 * A send in steps, for callers that must not sleep (an event loop such
 * as the filesystem daemon's).  offer puts the value in: on a buffered
 * channel as try_send, returning ZEROIPC_CHANNEL_DELIVERED (1) when done;
 * on an unbuffered one it claims the free slot and publishes the value,
 * returning ZEROIPC_OK and a ticket for the hand-off, or
 * ZEROIPC_ERROR_TIMEOUT while another send holds the slot (nothing sent).
 * Either: ZEROIPC_ERROR_CLOSED, ZEROIPC_ERROR_TIMEOUT (full),
 * INVALID_ARGUMENT.  Then, for an unbuffered ticket, offer_taken says
 * ZEROIPC_OK once a receiver has copied the value out (the send is
 * done), ZEROIPC_ERROR_TIMEOUT while it has not, ZEROIPC_ERROR_CLOSED
 * when the channel closed first (the value was taken back: nothing
 * sent).  A sender that gives up calls offer_withdraw: ZEROIPC_OK when
 * the value was taken back (nothing sent), ZEROIPC_ERROR_ALREADY_SET when
 * a receiver had it first (it was sent).  Until offer_taken says done or
 * the offer is withdrawn, the slot is the caller's: every other send
 * waits, so an offer must be followed up.
 */
#define ZEROIPC_CHANNEL_DELIVERED 1
int zeroipc_channel_offer(zeroipc_channel_t *ch, const void *value, uint64_t *ticket);
int zeroipc_channel_offer_taken(zeroipc_channel_t *ch, uint64_t ticket);
int zeroipc_channel_offer_withdraw(zeroipc_channel_t *ch, uint64_t ticket);

/*
 * Closes the channel (for everyone, for good) and wakes every waiter.
 * Closing a closed channel is ZEROIPC_OK and changes nothing.  Never
 * blocks.  INVALID_ARGUMENT for NULL.
 */
int zeroipc_channel_shutdown(zeroipc_channel_t *ch);

/* true once closed; false otherwise and for NULL. */
bool zeroipc_channel_is_closed(zeroipc_channel_t *ch);

/*
 * For a caller that knows a peer died mid-hand-off on an unbuffered
 * channel: a slot stuck in WRITING or TAKING becomes FREE (a new phase,
 * ready 0) and the waiters are woken.  ZEROIPC_OK; ZEROIPC_ERROR_NOT_FOUND
 * when the slot was not stuck (FREE or PUBLISHED) or the channel is
 * buffered; INVALID_ARGUMENT.  Called while that peer is alive, a value
 * may be torn or lost.
 */
int zeroipc_channel_recover(zeroipc_channel_t *ch);

/* Capacity in elements (0: unbuffered), element size; 0 for NULL. */
size_t zeroipc_channel_capacity(zeroipc_channel_t *ch);
size_t zeroipc_channel_elem_size(zeroipc_channel_t *ch);
/* Elements buffered now (a snapshot): an unbuffered channel holds 1
 * while a value is offered and not yet taken.  0 for NULL. */
size_t zeroipc_channel_size(zeroipc_channel_t *ch);
/* The waiter counts of the header (snapshots; 0 for NULL). */
uint32_t zeroipc_channel_senders(zeroipc_channel_t *ch);
uint32_t zeroipc_channel_receivers(zeroipc_channel_t *ch);

/*
 * Read-only check of `size` bytes at `s` as a channel header: 32 bytes,
 * capacity 0 or a power of two, closed 0 or 1.  ZEROIPC_OK or
 * ZEROIPC_ERROR_WRONG_KIND (also for NULL).  `s` need not be aligned.
 */
int zeroipc_channel_validate(const void *s, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_CHANNEL_H */
