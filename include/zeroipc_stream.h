/*
 * zeroipc_stream.h - streams of elements, and operators (map, filter,
 * take, skip, fold) stored as data so that any process can run them.
 *
 * Layout (FORMAT.md, "Stream"): no entry at `name`; two entries created
 * in this order:
 *
 *   `name_header`, 56 bytes:
 *     0   atomic u64 sequence        elements ever emitted
 *     8   atomic u32 subscribers     subscribe/unsubscribe count
 *     12  atomic u8  closed          0 open, 1 closed (never reopens)
 *     13  u8  elem_type    ours      derived streams: the element type,
 *                                    a zeroipc_field_kind_t I8 (1) .. F64
 *                                    (10); 0 in plain streams
 *     14  u8  ext          ours      1 = derived by this library (the
 *                                    fields below are ours); 0 = plain
 *     15  u8  reserved, 0
 *     16  u32 buffer_capacity        in elements
 *     20  char transform_name[32]    plain: a NUL-terminated label ("" for
 *                                    ours, anything for foreign writers)
 *         derived (ext 1) only, the label's bytes are split:
 *     20  char op[24]                the operator text, NUL-terminated
 *                                    (at most 23 bytes), zero-padded
 *     44  atomic u32 progress        skip: source elements skipped so far;
 *                                    fold min/max: 1 once one was seen
 *     48  atomic u32 claim           the pump claim (below): 0 free, else
 *                                    its expiry, CLOCK_MONOTONIC ms mod
 *                                    2^32 (never 0)
 *     52  u32 source                 the source's `_header` table offset
 *                                    divided by 8 (offsets are 8-aligned;
 *                                    so segments up to 32 GiB)
 *   `name_buffer`: a ring (zeroipc_ring.h) of buffer_capacity * elem_size
 *   bytes, elements of elem_size bytes.
 *
 * A fold also makes a future (zeroipc_future.h) at the plain `name`,
 * third, holding the result.  Bytes 13..15 and the label are padding or
 * free text to the public C++, which writes zeros and "" there, so a plain
 * stream is exactly C++'s, and C++ reads our derived streams as ordinary
 * streams whose label is the operator text.
 *
 * Contract: like its ring, a stream has ONE producer and ONE consumer at
 * a time.  emit and shutdown are the producer's (shutdown may also come
 * from anyone who knows the producer has stopped), next, try_next and
 * next_timeout the consumer's; the two sides may be different processes.
 * Nothing checks this; a second concurrent consumer can lose or duplicate
 * elements but never leaves the ring.  A derived stream's producer is its
 * pumper (zeroipc_stream_pump): emit on a derived stream is refused, and
 * its source's consumer is the pumper too, so a stream feeds either
 * next() callers or one derived stream, not both.  Observers (sequence,
 * size, subscribers, closed, label) are for anyone.
 *
 * Waiting.  A consumer of an empty stream sleeps on the low 32 bits of
 * its ring's write_pos, a producer of a full one on read_pos, with the
 * ring's own protocol (zeroipc_ring.h: the other side wakes only when the
 * ring was empty / full), so a busy stream makes no system call.
 * shutdown stores `closed` and wakes both words.  Sleeps are sliced at
 * ZEROIPC_WAIT_SLICE_MS, which also bounds how late a close that raced
 * with a sleeper, or an emit by a peer that wakes nobody, is seen.
 * Nothing spins.  Timeouts in milliseconds: < 0 forever, 0 a single try.
 *
 * Closing.  After shutdown emit fails with ZEROIPC_ERROR_CLOSED; readers
 * first drain what was emitted, then get ZEROIPC_ERROR_CLOSED.
 *
 * Operators.  zeroipc_stream_derive makes a stream whose elements come
 * from another (its source) through an operator written as text in its
 * label, with the element type in byte 13 and the source's header offset
 * in bytes 52..55, so a process of any language that knows this page can
 * run it.  The label grammar (tokens separated by one space, lower case):
 *
 *   map add C | map sub C | map mul C | map div C | map neg | map abs
 *   filter lt C | filter le C | filter gt C | filter ge C
 *              | filter eq C | filter ne C
 *   take N     the first N elements (N decimal, < 2^64), then closes
 *   skip N     drops the first N (N decimal, < 2^32), passes the rest
 *   fold sum | fold count | fold min | fold max
 *
 * C is a constant of the element type in the text of zeroipc_codec.h,
 * stored canonically (decimal integers, shortest round-trip floats); the
 * whole text must fit in 23 bytes.  Element types: i8 i16 i32 i64 u8
 * u16 u32 u64 f32 f64.  Arithmetic: integers wrap modulo 2^bits (neg and
 * abs of the minimum give the minimum, MIN div -1 gives MIN), div
 * truncates toward zero and a zero divisor is refused; floats follow IEEE
 * 754 in the element's own precision.  Comparisons are in the element
 * type (a NaN compares false, so only "ne" passes it).
 *
 * Folds resolve the future `name` when the source is closed and drained:
 * sum is an i64 for signed, u64 for unsigned (both wrapping) and f64 for
 * float elements; count a u64; min and max the element type, and an empty
 * source resolves them to an error ("fold min: empty stream").  While the
 * future is PENDING its value field holds the running accumulator, which
 * only the claim holder writes; nobody reads a PENDING future's value.
 *
 * Pumping and the claim.  zeroipc_stream_pump moves what is available
 * from the source through the operator into the derived stream, never
 * taking more from the source than the derived stream has room for
 * (filter and skip emit at most what they take).  When the source is
 * closed and drained (or take has its N), it resolves a fold's future,
 * then closes the derived stream.  The source ring is single-consumer
 * and the derived ring single-producer, so one pumper at a time: a pump
 * call first wins the claim word with a CAS from 0, or from an expired
 * lease, to now + ZEROIPC_STREAM_PUMP_LEASE_MS, renews it after every
 * batch (a CAS from its own value: a pumper that finds it changed has
 * lost the claim and stops), and stores 0 and wakes the word when done.
 * Any process may call pump at any time; the claim makes them take turns.
 *
 * The source reference survives zeroipc_table_remove of other entries
 * (table offsets never change).  It is checked on every pump: some table
 * entry must have exactly that offset, be named BASE_header, be a stream
 * header (zeroipc_stream_validate) other than the derived one's own, and
 * BASE_buffer must be a ring whose element size is the derived stream's.
 * A reference that no entry has any more is ZEROIPC_ERROR_NOT_FOUND; one
 * that fails a check, like a label that does not parse or a type byte
 * that does not match the element size, ZEROIPC_ERROR_CORRUPT.
 *
 * Dead processes.  A producer or consumer that dies leaves the ring as
 * zeroipc_ring.h says (at worst an element it was copying is lost); a
 * stream whose producer died is never closed unless someone calls
 * shutdown: readers then wait forever, or use the timed calls.  A pumper
 * that dies holding the claim blocks other pumpers until its lease
 * expires (at most ZEROIPC_STREAM_PUMP_LEASE_MS), after which the next
 * pump takes over; the batch it had taken from the source but not yet
 * emitted (at most ZEROIPC_STREAM_PUMP_BATCH elements) is lost, and a
 * fold's accumulator or skip's progress may miss that batch.  A live
 * pumper stalled (stopped, swapped out) longer than the lease may overlap
 * with its successor for one batch: the lease is a timeout, not a lock.
 *
 * Names.  The base name must leave room for "_header": at most 24 bytes,
 * else ZEROIPC_ERROR_NAME_TOO_LONG.
 *
 * Trust.  Sizes (buffer_capacity against the ring's capacity and element
 * size) are checked at open and cached; positions are the ring's
 * business; `closed` above 1 is ZEROIPC_ERROR_CORRUPT; sequence and
 * subscribers are only counted.  Derived fields are checked on every
 * pump, as above.
 */
#ifndef ZEROIPC_STREAM_H
#define ZEROIPC_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "zeroipc_memory.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZEROIPC_STREAM_HEADER_SUFFIX "_header"
#define ZEROIPC_STREAM_BUFFER_SUFFIX "_buffer"
/* The longest base name (room for "_header"). */
#define ZEROIPC_STREAM_NAME_MAX (ZEROIPC_NAME_SIZE - 1 - 7)
#define ZEROIPC_STREAM_HEADER_SIZE 56
/* The label of a plain stream, and the operator text of a derived one,
 * with their NULs. */
#define ZEROIPC_STREAM_LABEL_SIZE 32
#define ZEROIPC_STREAM_OP_SIZE 24
/* How long a pump claim lasts without renewal. */
#define ZEROIPC_STREAM_PUMP_LEASE_MS 2000
/* The most elements a pump moves between two claim renewals. */
#define ZEROIPC_STREAM_PUMP_BATCH 1024

typedef struct zeroipc_stream zeroipc_stream_t;

/*
 * Creates the stream `name` of elements of `elem_size` bytes buffering up
 * to `buffer_capacity` of them: `name_header` (sequence 0, open, label "")
 * and `name_buffer` (an empty ring of buffer_capacity * elem_size bytes),
 * under one table lock, both or neither.  NULL on failure, with
 * zeroipc_last_error(): ZEROIPC_ERROR_INVALID_ARGUMENT (NULL mem or name,
 * empty name); ZEROIPC_ERROR_NAME_TOO_LONG (over 24 bytes);
 * ZEROIPC_ERROR_SIZE (elem_size or buffer_capacity 0, a ring over
 * ZEROIPC_RING_MAX_BYTES, no room); ZEROIPC_ERROR_ALREADY_EXISTS;
 * ZEROIPC_ERROR_TABLE_FULL (fewer than two free entries).
 */
zeroipc_stream_t *zeroipc_stream_create(zeroipc_memory_t *mem,
                                        const char *name, size_t elem_size,
                                        size_t buffer_capacity);

/*
 * Opens the stream `name`; the element size is the ring's capacity in
 * bytes divided by buffer_capacity.  NULL on failure:
 * ZEROIPC_ERROR_INVALID_ARGUMENT, ZEROIPC_ERROR_NAME_TOO_LONG; the errors
 * of zeroipc_table_find for `name_header` (NOT_FOUND: no such stream);
 * ZEROIPC_ERROR_WRONG_KIND when `name_header` is not a stream header
 * (zeroipc_stream_validate); ZEROIPC_ERROR_CORRUPT when `name_buffer` is
 * missing or not a ring, its size disagrees with buffer_capacity (or its
 * element size with the quotient), an entry is misaligned, or a derived
 * stream's type byte is not a number type of that size.
 */
zeroipc_stream_t *zeroipc_stream_open(zeroipc_memory_t *mem, const char *name);

/* Frees the handle; the stream stays (to close the stream itself, see
 * zeroipc_stream_shutdown).  NULL is ignored. */
void zeroipc_stream_close(zeroipc_stream_t *s);

/*
 * PRODUCER.  Emits a copy of the elem_size bytes at `elem` and counts it
 * in `sequence`.  emit never waits: ZEROIPC_ERROR_SIZE when the buffer is
 * full.  emit_timeout waits for room at most timeout_ms (then
 * ZEROIPC_ERROR_TIMEOUT), emit_wait forever.  All: ZEROIPC_OK;
 * ZEROIPC_ERROR_CLOSED (closed, also while waiting); ZEROIPC_ERROR_CORRUPT
 * (impossible ring positions or closed flag);
 * ZEROIPC_ERROR_INVALID_ARGUMENT (NULL, or a derived stream, whose only
 * producer is its pumper).
 */
int zeroipc_stream_emit(zeroipc_stream_t *s, const void *elem);
int zeroipc_stream_emit_timeout(zeroipc_stream_t *s, const void *elem,
                                int32_t timeout_ms);
int zeroipc_stream_emit_wait(zeroipc_stream_t *s, const void *elem);

/*
 * CONSUMER.  Takes the oldest element into `out` (elem_size bytes).
 * next waits forever, next_timeout at most timeout_ms (then
 * ZEROIPC_ERROR_TIMEOUT); try_next never waits and returns
 * ZEROIPC_ERROR_NOT_FOUND when nothing is there yet.  All: ZEROIPC_OK;
 * ZEROIPC_ERROR_CLOSED once the stream is closed and drained;
 * ZEROIPC_ERROR_CORRUPT; ZEROIPC_ERROR_INVALID_ARGUMENT (NULL).
 */
int zeroipc_stream_next(zeroipc_stream_t *s, void *out);
int zeroipc_stream_next_timeout(zeroipc_stream_t *s, void *out,
                                int32_t timeout_ms);
int zeroipc_stream_try_next(zeroipc_stream_t *s, void *out);

/*
 * Closes the stream: no more emits; readers drain, then see
 * ZEROIPC_ERROR_CLOSED; waiting emitters and readers are woken.
 * Idempotent.  ZEROIPC_OK, ZEROIPC_ERROR_INVALID_ARGUMENT (NULL).
 * Closing a derived stream by hand stops its pumping (a fold's future
 * then stays PENDING).
 */
int zeroipc_stream_shutdown(zeroipc_stream_t *s);

/* 1 when closed, 0 when open; ZEROIPC_ERROR_CORRUPT (flag above 1),
 * ZEROIPC_ERROR_INVALID_ARGUMENT (NULL). */
int zeroipc_stream_closed(zeroipc_stream_t *s);

/* Elements ever emitted (a snapshot; 0 for NULL). */
uint64_t zeroipc_stream_sequence(zeroipc_stream_t *s);

/* Elements buffered now (a snapshot of the ring's size; 0 for NULL). */
size_t zeroipc_stream_size(zeroipc_stream_t *s);

/*
 * Subscriber counting, for applications that want to know who listens
 * (nothing in the library depends on it).  subscribe adds one;
 * unsubscribe removes one, ZEROIPC_ERROR_NOT_FOUND when the count is
 * already 0.  ZEROIPC_ERROR_INVALID_ARGUMENT for NULL.  subscribers: a
 * snapshot, 0 for NULL.
 */
int zeroipc_stream_subscribe(zeroipc_stream_t *s);
int zeroipc_stream_unsubscribe(zeroipc_stream_t *s);
uint32_t zeroipc_stream_subscribers(zeroipc_stream_t *s);

/* Element size and buffer capacity (elements) from open; 0 for NULL. */
size_t zeroipc_stream_elem_size(zeroipc_stream_t *s);
size_t zeroipc_stream_capacity(zeroipc_stream_t *s);

/*
 * Copies the label into buf (len bytes, NUL-terminated): the whole
 * transform_name of a plain stream (at most 32 bytes of it), the operator
 * text of a derived one.  ZEROIPC_OK; ZEROIPC_ERROR_SIZE when it did not
 * fit (buf holds a prefix); ZEROIPC_ERROR_INVALID_ARGUMENT (NULL, len 0).
 */
int zeroipc_stream_label(zeroipc_stream_t *s, char *buf, size_t len);

/* 1 when the stream is derived (ext byte 1), 0 when plain;
 * ZEROIPC_ERROR_INVALID_ARGUMENT for NULL. */
int zeroipc_stream_is_derived(zeroipc_stream_t *s);

/*
 * Makes the derived stream `name` fed from `source` (open in the same
 * segment) through the operator `op` (the grammar above; the constant
 * may be written in any form zeroipc_codec_parse takes, it is stored
 * canonically) on elements of type `type` ("i32", ... : one number field
 * of zeroipc_codec.h, whose size must be the source's element size).
 * map, filter, take and skip make `name_header` and `name_buffer` with
 * room for buffer_capacity elements; fold makes them with room for one
 * (buffer_capacity is ignored) and the result future at `name`, all under
 * one table lock, all or none.  Nothing moves until someone pumps.
 * NULL on failure: ZEROIPC_ERROR_INVALID_ARGUMENT (NULL, a type that is
 * not one number, an operator that does not parse, a zero integer
 * divisor, a source in another segment); ZEROIPC_ERROR_WRONG_KIND (the
 * type's size is not the source's element size);
 * ZEROIPC_ERROR_SIZE (canonical text over 23 bytes, skip N of 2^32 or
 * more, the buffer sizes of zeroipc_stream_create, no room); and the
 * errors of zeroipc_stream_create.
 */
zeroipc_stream_t *zeroipc_stream_derive(zeroipc_memory_t *mem,
                                        const char *name,
                                        zeroipc_stream_t *source,
                                        const char *type, const char *op,
                                        size_t buffer_capacity);

/*
 * Runs the derived stream `d`: takes the claim, then moves what is
 * available now from its source through its operator, in batches of at
 * most ZEROIPC_STREAM_PUMP_BATCH, until the source is empty or `d` is
 * full; finishes `d` (resolves a fold, closes) when the source is closed
 * and drained or take is complete; releases the claim.  *consumed (may be
 * NULL) gets the number of source elements taken.  Never waits.
 * ZEROIPC_OK (possibly with 0 consumed); ZEROIPC_ERROR_CLOSED when `d` is
 * finished (now or before); ZEROIPC_ERROR_TIMEOUT when another pumper
 * holds the claim (or took it over during this call);
 * ZEROIPC_ERROR_NOT_FOUND (the source is gone from the table);
 * ZEROIPC_ERROR_CORRUPT (see "Trust" and the source checks above);
 * ZEROIPC_ERROR_INVALID_ARGUMENT (NULL, or `d` not derived).  Any thread
 * or process may call it at any time.
 *
 * pump_timeout: pumps, and while nothing could move (source empty, `d`
 * full, claim held elsewhere) sleeps on the word that has to change and
 * tries again, for at most timeout_ms (< 0 forever).  Returns as pump as
 * soon as it consumed something or finished; ZEROIPC_ERROR_TIMEOUT when
 * nothing moved in time.
 */
int zeroipc_stream_pump(zeroipc_stream_t *d, size_t *consumed);
int zeroipc_stream_pump_timeout(zeroipc_stream_t *d, size_t *consumed,
                                int32_t timeout_ms);

/*
 * The type of a fold's result, as a type spec of zeroipc_codec.h, into
 * spec (len bytes): "i64", "u64" or "f64" for sum, "u64" for count, the
 * element type for min and max.  ZEROIPC_OK; ZEROIPC_ERROR_WRONG_KIND
 * when `s` is not a fold; ZEROIPC_ERROR_SIZE; INVALID_ARGUMENT.
 */
int zeroipc_stream_result_type(zeroipc_stream_t *s, char *spec, size_t len);

/*
 * Read-only check of `size` bytes at `s` as a stream header: `size`
 * exactly 56, closed 0 or 1, buffer_capacity non-zero.  ZEROIPC_OK or
 * ZEROIPC_ERROR_WRONG_KIND (also for NULL).  `s` need not be aligned.
 * A full check also needs the `_buffer` companion (zeroipc_stream_open).
 */
int zeroipc_stream_validate(const void *s, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_STREAM_H */
