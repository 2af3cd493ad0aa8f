/*
 * zeroipc_lazy.h - a value computed at most once, on first demand, by
 * whichever process asks first.
 *
 * Layout (FORMAT.md, "Lazy"), one table entry at `name`: the C struct
 *
 *   { atomic u32 state;
 *     struct { u32 op;
 *              union { T constant; struct { T a, b; } binary; T unary;
 *                      struct { u32 first, second; } chain;
 *                      u32 external_id; } data; } computation;
 *     T cached_value; char error_msg[256]; atomic u32 compute_count; }
 *
 * with natural alignment.  T is one of the numeric element types of
 * zeroipc_codec.h (i8..i64, u8..u64, f32, f64), named at create and open
 * by its zeroipc_field_kind_t: the arithmetic depends on it, and the entry
 * cannot tell i32 from f32 or u32 (nor, since every T of 1 to 4 bytes
 * makes a 280-byte struct, i8 from i32).  Offsets:
 *
 *   T of 1, 2, 4 bytes: state 0, op 4, data 8 (a 8, b 8+n), cached 16,
 *                       error_msg 16+n, compute_count 276, size 280
 *   T of 8 bytes:       state 0, op 8, data 16 (a 16, b 24), cached 32,
 *                       error_msg 40, compute_count 296, size 304
 *
 * States: NOT_COMPUTED 0, COMPUTING 1, COMPUTED 2, ERROR 3.  Ops (the low
 * 16 bits of the op word): CONSTANT 0, ADD 1, MULTIPLY 2, NEGATE 3,
 * CHAIN 4, EXTERNAL 5.  A CONSTANT holds its value in `a` (data + 0) and
 * is created COMPUTED with compute_count 0, as the public C++ writes it.
 * ADD, MULTIPLY and NEGATE hold operand values (a, b; NEGATE only a).
 *
 * CHAIN (ours; the format only has {first, second}).  Its operands are
 * other lazy entries of the same segment, named by TABLE INDEX (the
 * entry's position in the table, zeroipc_lazy_index).  How it combines
 * them is the high 16 bits of the op word: 0 or 1 ADD, 2 MULTIPLY,
 * 3 NEGATE (of `first`; `second` ignored).  0 means ADD so that a bare
 * op word of 4, as another writer might store, is an add of the two.
 * Forcing a CHAIN forces its operands first (each at most once, as any
 * lazy), then combines their values.  The indices are recorded as given:
 * an operand may be created after the chain, and may be any entry, so
 * every problem is found when forcing and puts the chain into ERROR with
 * a message: an index out of the table, an entry that is not a lazy of
 * this struct size, a cycle (an entry that depends on itself), nesting
 * deeper than ZEROIPC_LAZY_MAX_DEPTH, an operand in ERROR.  Nothing
 * recurses without bound or waits for itself.  The element TYPE of an
 * operand cannot be checked (see above): operands must be of the chain's
 * type.  Removing table entries (zeroipc_table_remove) renumbers those
 * after it and so re-aims chains: do not remove entries a chain uses.
 *
 * EXTERNAL (ours).  Some process supplies the value with
 * zeroipc_lazy_supply (or an error with zeroipc_lazy_fail), once;
 * `external_id` is an opaque label for the application.  Forcing an
 * EXTERNAL waits until it is supplied.
 *
 * Arithmetic, defined for every input (no undefined behaviour):
 * integers, signed or not, wrap modulo 2^bits (two's complement, so
 * INT32_MAX + 1 is INT32_MIN, and -INT32_MIN is INT32_MIN); floats follow
 * IEEE 754 in the process's rounding mode (inf and NaN are values, not
 * errors).  So ADD, MULTIPLY and NEGATE never end in ERROR.
 *
 * Forcing, at most once across processes.  The first caller to move the
 * state NOT_COMPUTED -> COMPUTING (a CAS) computes, stores cached_value,
 * increments compute_count and publishes COMPUTED with a release store
 * (compute_count before the state, so that whoever sees COMPUTED sees a
 * count of 1; FORMAT.md lists them the other way round, which ends in the
 * same bytes), then wakes every waiter.  The others sleep in the kernel
 * on the state word (a futex in the shared mapping, not the private kind)
 * and read the value after an acquire load of COMPUTED.  Sleeps are cut
 * into slices of at most ZEROIPC_WAIT_SLICE_MS, so a peer that never
 * wakes anyone (the public implementations) is still noticed.  A CHAIN
 * forces its operands before it claims itself, so a claim is only ever
 * held while doing one arithmetic operation: no process holds one while
 * it waits for anything, and cycles cannot deadlock across processes.
 *
 * Dead processes.  A process that dies while COMPUTING (inside one
 * arithmetic operation or a supply) leaves the state COMPUTING:
 * zeroipc_lazy_force then waits for ever and zeroipc_lazy_force_timeout
 * returns ZEROIPC_ERROR_TIMEOUT; nothing in the entry tells a dead
 * computer from a slow one.  Recovery: a process that knows the computer
 * died calls zeroipc_lazy_recover (COMPUTING -> NOT_COMPUTED), and the
 * next force computes again (an EXTERNAL can be supplied again).  A
 * process that dies while waiting leaves nothing behind.
 *
 * Names: any table name (no companions).  The lazy handle keeps the
 * memory handle it was made from (to resolve CHAIN operands): close the
 * lazy before the memory.
 *
 * Trust.  The state may hold anything: a value above ERROR is
 * ZEROIPC_ERROR_CORRUPT and nothing is written.  The op word is checked
 * on every force (an unknown op is CORRUPT).  Operand indices go through
 * the table's own checks (entry count, entry inside the segment), then
 * the operand's size, alignment and zeroipc_lazy_validate.  The error
 * message is read at most 255 bytes and always NUL-terminated.
 */
#ifndef ZEROIPC_LAZY_H
#define ZEROIPC_LAZY_H

#include <stddef.h>
#include <stdint.h>

#include "zeroipc_codec.h"
#include "zeroipc_memory.h"

#ifdef __cplusplus
extern "C" {
#endif

/* States. */
#define ZEROIPC_LAZY_NOT_COMPUTED 0
#define ZEROIPC_LAZY_COMPUTING 1
#define ZEROIPC_LAZY_COMPUTED 2
#define ZEROIPC_LAZY_ERROR 3

/* Ops (the low 16 bits of the op word), and CHAIN combiners. */
#define ZEROIPC_LAZY_CONSTANT 0
#define ZEROIPC_LAZY_ADD 1
#define ZEROIPC_LAZY_MULTIPLY 2
#define ZEROIPC_LAZY_NEGATE 3
#define ZEROIPC_LAZY_CHAIN 4
#define ZEROIPC_LAZY_EXTERNAL 5

/* The error message field, with its NUL. */
#define ZEROIPC_LAZY_ERROR_SIZE 256
/* The deepest CHAIN nesting a force follows. */
#define ZEROIPC_LAZY_MAX_DEPTH 64
/* The two struct sizes: T of 1, 2 or 4 bytes, and T of 8 bytes. */
#define ZEROIPC_LAZY_SIZE_4 280
#define ZEROIPC_LAZY_SIZE_8 304

typedef struct zeroipc_lazy zeroipc_lazy_t;

/* The entry size of a lazy of `type`; 0 when `type` is not one of the
 * ten numeric field kinds. */
size_t zeroipc_lazy_size(zeroipc_field_kind_t type);

/*
 * Creators.  Each makes the lazy `name` of element type `type` (a numeric
 * zeroipc_field_kind_t), writes it whole before its table entry is
 * published, and returns a handle.  Values are elem-size bytes in native
 * order.  NULL on failure, with zeroipc_last_error():
 * ZEROIPC_ERROR_INVALID_ARGUMENT (mem or a value NULL, type not numeric,
 * an unknown combiner); the errors of zeroipc_table_add (NAME_TOO_LONG,
 * ALREADY_EXISTS, TABLE_FULL, SIZE when there is no room).
 *
 * constant: COMPUTED at once, cached_value = a = *value, count 0.
 * add, multiply: NOT_COMPUTED, holding the values *a and *b.
 * negate: NOT_COMPUTED, holding *a.
 * external: NOT_COMPUTED, waiting for zeroipc_lazy_supply; external_id is
 *   stored for the application.
 * chain: NOT_COMPUTED; combiner ZEROIPC_LAZY_ADD, _MULTIPLY or _NEGATE
 *   of the lazy entries at table indices `first` and `second` (NEGATE
 *   ignores `second` and stores 0 there).  The indices are not checked
 *   here (see "CHAIN" above).
 */
zeroipc_lazy_t *zeroipc_lazy_create_constant(zeroipc_memory_t *mem, const char *name,
                                             zeroipc_field_kind_t type, const void *value);
zeroipc_lazy_t *zeroipc_lazy_create_add(zeroipc_memory_t *mem, const char *name,
                                        zeroipc_field_kind_t type, const void *a,
                                        const void *b);
zeroipc_lazy_t *zeroipc_lazy_create_multiply(zeroipc_memory_t *mem, const char *name,
                                             zeroipc_field_kind_t type, const void *a,
                                             const void *b);
zeroipc_lazy_t *zeroipc_lazy_create_negate(zeroipc_memory_t *mem, const char *name,
                                           zeroipc_field_kind_t type, const void *a);
zeroipc_lazy_t *zeroipc_lazy_create_external(zeroipc_memory_t *mem, const char *name,
                                             zeroipc_field_kind_t type,
                                             uint32_t external_id);
zeroipc_lazy_t *zeroipc_lazy_create_chain(zeroipc_memory_t *mem, const char *name,
                                          zeroipc_field_kind_t type, int combiner,
                                          uint32_t first, uint32_t second);

/*
 * Opens the lazy `name` as one of `type`.  NULL on failure:
 * ZEROIPC_ERROR_INVALID_ARGUMENT (NULL, type not numeric); the errors of
 * zeroipc_table_find; ZEROIPC_ERROR_WRONG_KIND when the entry's size is
 * not zeroipc_lazy_size(type) or zeroipc_lazy_validate refuses it;
 * ZEROIPC_ERROR_CORRUPT when the entry is not 8-aligned.
 */
zeroipc_lazy_t *zeroipc_lazy_open(zeroipc_memory_t *mem, const char *name,
                                  zeroipc_field_kind_t type);

/* Frees the handle; the lazy stays.  NULL is ignored. */
void zeroipc_lazy_close(zeroipc_lazy_t *lz);

/*
 * The value, into `out` (elem-size bytes): at once when COMPUTED;
 * computed here when this caller wins the claim (CHAIN: after forcing the
 * operands, here or wherever they are being forced); otherwise waiting
 * while another process computes, or, for EXTERNAL, until it is supplied.
 * force waits for ever; force_timeout at most timeout_ms (< 0 for ever,
 * 0 without sleeping: it still computes when it can).  Any thread or
 * process may call it at any time.
 * ZEROIPC_OK; ZEROIPC_ERROR_FAILED (the lazy is, or just became, ERROR:
 * zeroipc_lazy_error has the message); ZEROIPC_ERROR_TIMEOUT (still
 * COMPUTING, an EXTERNAL not yet supplied, or an operand not ready, at
 * the deadline; `out` unchanged, nothing claimed); ZEROIPC_ERROR_CORRUPT
 * (a state or op word out of range); ZEROIPC_ERROR_SYSTEM (the table lock
 * failed while resolving a CHAIN operand); ZEROIPC_ERROR_INVALID_ARGUMENT.
 */
int zeroipc_lazy_force(zeroipc_lazy_t *lz, void *out);
int zeroipc_lazy_force_timeout(zeroipc_lazy_t *lz, void *out, int32_t timeout_ms);

/* The value if COMPUTED, without computing or waiting: ZEROIPC_OK,
 * ZEROIPC_ERROR_NOT_FOUND (not yet computed), ZEROIPC_ERROR_FAILED,
 * ZEROIPC_ERROR_CORRUPT, ZEROIPC_ERROR_INVALID_ARGUMENT. */
int zeroipc_lazy_peek(zeroipc_lazy_t *lz, void *out);

/*
 * EXTERNAL only: supplies the value (COMPUTED, compute_count 1) or an
 * error message (ERROR; at most 255 bytes are kept), once, and wakes the
 * waiters.  Never blocks.  ZEROIPC_OK; ZEROIPC_ERROR_ALREADY_SET (already
 * supplied, failed, or being supplied); ZEROIPC_ERROR_WRONG_KIND (not an
 * EXTERNAL); ZEROIPC_ERROR_CORRUPT; ZEROIPC_ERROR_INVALID_ARGUMENT.
 */
int zeroipc_lazy_supply(zeroipc_lazy_t *lz, const void *value);
int zeroipc_lazy_fail(zeroipc_lazy_t *lz, const char *message);

/*
 * For a caller that knows the computing (or supplying) process died:
 * COMPUTING -> NOT_COMPUTED (a CAS) and wakes the waiters.  ZEROIPC_OK;
 * ZEROIPC_ERROR_NOT_FOUND (not COMPUTING); ZEROIPC_ERROR_INVALID_ARGUMENT.
 * Called while the computer is alive, the value may be computed twice.
 */
int zeroipc_lazy_recover(zeroipc_lazy_t *lz);

/* Snapshots.  state: 0..3, ZEROIPC_ERROR_CORRUPT above, INVALID_ARGUMENT
 * for NULL.  op: 0..5 (the low half of the op word), or CORRUPT. */
int zeroipc_lazy_state(zeroipc_lazy_t *lz);
int zeroipc_lazy_op(zeroipc_lazy_t *lz);
/* compute_count; 0 for NULL. */
uint32_t zeroipc_lazy_compute_count(zeroipc_lazy_t *lz);

/* CHAIN only: its combiner and operand indices (any out-pointer may be
 * NULL).  ZEROIPC_ERROR_WRONG_KIND when not a CHAIN; CORRUPT for an
 * unknown combiner. */
int zeroipc_lazy_chain(zeroipc_lazy_t *lz, int *combiner, uint32_t *first,
                       uint32_t *second);

/* The table index of this lazy's entry (for CHAIN operands).
 * ZEROIPC_ERROR_NOT_FOUND when its entry is gone; the table's errors. */
int zeroipc_lazy_index(zeroipc_lazy_t *lz, uint32_t *index);

/*
 * The error message into buf (len bytes, NUL-terminated, truncated to
 * fit).  ZEROIPC_OK when the state is ERROR; ZEROIPC_ERROR_NOT_FOUND
 * otherwise; ZEROIPC_ERROR_INVALID_ARGUMENT (NULL, len 0).  The message
 * was written before ERROR was published, so it is complete.
 */
int zeroipc_lazy_error(zeroipc_lazy_t *lz, char *buf, size_t len);

/* The element type and size given at create or open; 0 for NULL. */
zeroipc_field_kind_t zeroipc_lazy_type(zeroipc_lazy_t *lz);
size_t zeroipc_lazy_elem_size(zeroipc_lazy_t *lz);

/*
 * Read-only check of `size` bytes at `s` as a lazy, for kind inference:
 * size 280 or 304, state at most ERROR, the op's low half at most
 * EXTERNAL and its high half 0 (or a known combiner for CHAIN).
 * ZEROIPC_OK or ZEROIPC_ERROR_WRONG_KIND (also for NULL).  `s` need not
 * be aligned.  A 280-byte Future of f64 or i32 can pass it too: only a
 * catalogue record tells them apart for sure.
 */
int zeroipc_lazy_validate(const void *s, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_LAZY_H */
