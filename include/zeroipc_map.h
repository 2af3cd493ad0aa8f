/*
 * zeroipc_map.h - hash maps and hash sets: open addressing, linear probing.
 *
 * Layout (FORMAT.md, the public C++ Map and Set):
 *
 *   map header, 16 B                   set header, 16 B
 *   0   atomic u32 size                0   atomic u32 size
 *   4   u32 capacity (slots, >= 1)     4   u32 capacity
 *   8   u32 key_size                   8   u32 elem_size
 *   12  u32 value_size (>= 1)          12  u32 reserved, 0
 *   16  capacity entries               16  capacity entries
 *
 * An entry is the C struct { atomic u32 state; K key; V value; } (a set's
 * { atomic u32 state; T value; }, which is the same thing with no V) with
 * natural alignment:
 *
 *   key_off   = align_up(4, key_align)
 *   value_off = align_up(key_off + key_size, value_align)
 *   stride    = align_up(value_off + value_size, max(4, key_align, value_align))
 *
 * so i32->i32 is 12 B (key at 4, value at 8), i32->f64 16 B, i64->i32 24 B
 * (key at 8, value at 16), a set of i32 8 B and of i64 16 B.  The segment
 * stores key_size and value_size but neither alignment nor type, so every
 * open names the types again and a size that differs is
 * ZEROIPC_ERROR_WRONG_KIND.  The whole structure is exactly
 * 16 + capacity * stride bytes.
 *
 * Slot states: EMPTY 0, OCCUPIED 1, DELETED 2 (a tombstone: its bytes stay),
 * INSERTING 3.  A key's slots are probed in the order (hash + i) % capacity,
 * i = 0, 1, ..., capacity - 1, with the hash of the public C++ (so each
 * implementation finds what the other inserted):
 *
 *   - integer keys (ZEROIPC_HASH_SIGNED / _UNSIGNED: i8..i64, u8..u64): the
 *     key widened to u64, sign-extended when signed, times 2654435761,
 *     modulo 2^64;
 *   - every other key (ZEROIPC_HASH_BYTES: floats, strings, bytes,
 *     records): libstdc++'s _Hash_bytes over the key's bytes, seed
 *     0xc70f6907 (std::hash<std::string_view>).  f64 1.5 hashes to
 *     4982507072649106663, f32 1.5 to 6335102473512021944.
 *
 * Keys are equal when their bytes are equal (memcmp).  For float keys that
 * differs from the C++'s ==: 0.0 and -0.0 are two keys here (they also hash
 * differently there), and a NaN key can be found again.
 *
 * Concurrency.  Any number of threads and processes may insert, find,
 * erase and iterate at once; nothing takes a lock.
 *
 *   - Insert first looks along the key's whole chain (up to an EMPTY slot,
 *     or capacity slots) for the key; found, it replaces the value in
 *     place (map) or reports it present (set).  Otherwise it claims the
 *     first tombstone or EMPTY slot of the chain with a CAS to INSERTING,
 *     writes the key and value, checks the chain again, and only then
 *     stores OCCUPIED (release) and increments size.  The second look is
 *     what keeps a key from being inserted twice when two processes insert
 *     it at once, or when one reuses a tombstone in front of a slot where
 *     another is inserting it: of two claims of one key, the one in the
 *     higher-numbered slot gives way (its slot becomes a tombstone) and
 *     the other waits for it, so neither ever waits for the other.
 *   - Erase CASes OCCUPIED -> DELETED and decrements size.  Slots never go
 *     back to EMPTY, so a chain is never cut.
 *   - Find and iteration skip INSERTING slots: an insert that has not
 *     published takes effect after them.
 *   - A value replaced in place is written with one atomic store when it
 *     is 1, 2, 4 or 8 bytes and aligned in the entry, and readers of ours
 *     load it the same way, so such values are never torn.  Wider values
 *     are copied with memcpy, as the public C++ does: a reader racing with
 *     an update of the same key may get a mixture of the old and new
 *     value.  An update that races with an erase of the same key may write
 *     its value into the tombstone, or, if the slot is reused at once by
 *     another key, into that key's entry: do not update and erase one key
 *     from different processes at the same moment when that matters.
 *   - size is a counter kept by the inserts and erases: a snapshot, which
 *     a process that died between publishing and counting leaves off by
 *     one.  It is never used as a bound (zeroipc_map_size clamps it to the
 *     capacity).
 *
 * Dead peers.  A process that dies between its claim and its publish
 * leaves an INSERTING slot.  Find, erase and iteration pass over it; the
 * first insert whose chain reaches it waits for it with backoff
 * (spinning, then yielding, then sleeping up to 1 ms at a time) for
 * ZEROIPC_MAP_CLAIM_MS, then takes its inserter for dead: the slot
 * becomes a tombstone (the dead insert's key, never acknowledged, is not
 * in the map) and the insert goes on.  So a dead inserter costs its own
 * key and one claim time, once.  A peer only stopped (SIGSTOP, a
 * debugger) that long between claim and publish is treated the same way,
 * and its late publish may then clash with whoever reused the slot: the
 * claim time is the contract.  An insert that keeps losing its claim to
 * live processes for ZEROIPC_MAP_CLAIM_MS fails with
 * ZEROIPC_ERROR_TIMEOUT, changing nothing.
 *
 * Untrusted memory.  Capacity, sizes and the layout are read once when
 * opened, checked against the caller's types and the entry's size, and
 * cached; every probe sequence is at most capacity long, so a table full
 * of tombstones or garbage ends every operation.  A slot state outside
 * 0..3 is ZEROIPC_ERROR_CORRUPT when an operation meets it.
 *
 * A full map (no EMPTY or tombstone slot in the chain, that is no free
 * slot at all) is ZEROIPC_ERROR_SIZE.  Tombstones are reused by inserts,
 * but a table that has seen many erases has long chains: size capacity
 * generously (the public implementations never rehash, and neither do we).
 */
#ifndef ZEROIPC_MAP_H
#define ZEROIPC_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "zeroipc_codec.h"
#include "zeroipc_memory.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZEROIPC_MAP_HEADER_SIZE 16
#define ZEROIPC_MAP_MAX_CAPACITY ((size_t)UINT32_MAX)
/* How long an insert waits for a slot another process is writing. */
#define ZEROIPC_MAP_CLAIM_MS 1000

/* Slot states. */
#define ZEROIPC_MAP_EMPTY 0u
#define ZEROIPC_MAP_OCCUPIED 1u
#define ZEROIPC_MAP_DELETED 2u
#define ZEROIPC_MAP_INSERTING 3u

/* How a key is hashed (see above). */
#define ZEROIPC_HASH_BYTES 0u
#define ZEROIPC_HASH_SIGNED 1u
#define ZEROIPC_HASH_UNSIGNED 2u

/*
 * The shape of a map's or set's entries: what the format does not store.
 * Sizes in bytes; alignments 1, 2, 4 or 8, each dividing its size (as for
 * any C type); key_size 1 to ZEROIPC_TYPE_MAX_SIZE, 1, 2, 4 or 8 for the
 * integer hashes; value_size 1 to ZEROIPC_TYPE_MAX_SIZE for a map, 0 (with
 * value_align 1) for a set.  A plain value: fill it by hand for raw bytes,
 * or with zeroipc_map_shape from element types.
 */
typedef struct {
    uint32_t key_size;
    uint32_t key_align;
    uint32_t value_size;
    uint32_t value_align;
    uint32_t key_hash; /* ZEROIPC_HASH_* */
} zeroipc_map_shape_t;

typedef struct zeroipc_map zeroipc_map_t;
typedef struct zeroipc_set zeroipc_set_t;

/*
 * Fills *out from element types: sizes and alignments from the types
 * (zeroipc_type_parse), the hash from the key: a single integer field
 * (i8..i64, u8..u64) hashes as an integer, anything else (f32, f64, strN,
 * bytesN, records, single-field or not) as bytes.  `value` NULL makes a
 * set's shape.  ZEROIPC_OK; ZEROIPC_ERROR_INVALID_ARGUMENT for a NULL key
 * or out, or a type that zeroipc_type_size rejects or whose alignment is
 * not 1, 2, 4 or 8.
 */
int zeroipc_map_shape(const zeroipc_type_t *key, const zeroipc_type_t *value,
                      zeroipc_map_shape_t *out);

/* Bytes of one entry of that shape (the stride), or 0 for an invalid
 * shape. */
size_t zeroipc_map_entry_size(const zeroipc_map_shape_t *shape);

/*
 * The hash the public C++ gives `key` (shape->key_size bytes) under that
 * shape; its home slot is the hash modulo the capacity.  0 for NULL
 * arguments or an invalid shape (0 is also a valid hash: of integer 0).
 */
uint64_t zeroipc_map_hash(const zeroipc_map_shape_t *shape, const void *key);

/* ------------------------------------------------------------------ */
/* Maps */

/*
 * Creates the map `name` of `capacity` slots, all EMPTY, with keys and
 * values of the given types (see zeroipc_map_shape).  The structure is
 * fully made before its table entry is published.  NULL on failure:
 * ZEROIPC_ERROR_INVALID_ARGUMENT (NULL mem, key or value, an invalid
 * type), ZEROIPC_ERROR_SIZE (capacity 0 or over ZEROIPC_MAP_MAX_CAPACITY,
 * overflow, no room), and every error of zeroipc_table_add.
 */
zeroipc_map_t *zeroipc_map_create(zeroipc_memory_t *mem, const char *name,
                                  const zeroipc_type_t *key,
                                  const zeroipc_type_t *value, size_t capacity);

/* As zeroipc_map_create, from a shape (value_size >= 1); an invalid shape
 * is ZEROIPC_ERROR_INVALID_ARGUMENT. */
zeroipc_map_t *zeroipc_map_create_shape(zeroipc_memory_t *mem, const char *name,
                                        const zeroipc_map_shape_t *shape,
                                        size_t capacity);

/*
 * Opens an existing map, whose key and value types the caller names (the
 * format does not store them).  NULL on failure: the errors of
 * zeroipc_table_find; ZEROIPC_ERROR_INVALID_ARGUMENT for NULL or invalid
 * types; ZEROIPC_ERROR_WRONG_KIND when the stored key or value size
 * differs from the types', the capacity is 0, or the entry's size is not
 * exactly 16 + capacity * stride (zeroipc_map_validate).
 */
zeroipc_map_t *zeroipc_map_open(zeroipc_memory_t *mem, const char *name,
                                const zeroipc_type_t *key,
                                const zeroipc_type_t *value);
zeroipc_map_t *zeroipc_map_open_shape(zeroipc_memory_t *mem, const char *name,
                                      const zeroipc_map_shape_t *shape);

/* Frees the handle.  NULL is ignored. */
void zeroipc_map_close(zeroipc_map_t *m);

/*
 * Inserts `key` with `value` (key_size and value_size bytes), or replaces
 * the value of a key already there.  Never sleeps on a condition, but may
 * wait up to ZEROIPC_MAP_CLAIM_MS for a slot a peer is writing.  Returns 1
 * when the key was inserted, 0 when its value was replaced;
 * ZEROIPC_ERROR_SIZE when the map is full; ZEROIPC_ERROR_TIMEOUT when the
 * slot stayed held (nothing changed); ZEROIPC_ERROR_CORRUPT for a slot
 * state out of range; ZEROIPC_ERROR_INVALID_ARGUMENT for NULL.
 */
int zeroipc_map_insert(zeroipc_map_t *m, const void *key, const void *value);

/*
 * Copies the value of `key` into value_out (value_size bytes; NULL just
 * tests presence).  Never blocks.  ZEROIPC_OK; ZEROIPC_ERROR_NOT_FOUND;
 * ZEROIPC_ERROR_CORRUPT; ZEROIPC_ERROR_INVALID_ARGUMENT for a NULL m or
 * key.
 */
int zeroipc_map_find(zeroipc_map_t *m, const void *key, void *value_out);

/* 1 if `key` is present, 0 if not; ZEROIPC_ERROR_CORRUPT,
 * ZEROIPC_ERROR_INVALID_ARGUMENT. */
int zeroipc_map_contains(zeroipc_map_t *m, const void *key);

/*
 * Removes `key` (its slot becomes a tombstone).  Never blocks.
 * ZEROIPC_OK; ZEROIPC_ERROR_NOT_FOUND when absent (or erased by someone
 * else first); ZEROIPC_ERROR_CORRUPT; ZEROIPC_ERROR_INVALID_ARGUMENT.
 */
int zeroipc_map_erase(zeroipc_map_t *m, const void *key);

/*
 * Iteration in slot order.  Set *cursor to 0, then call until it returns
 * ZEROIPC_ERROR_NOT_FOUND: each ZEROIPC_OK copies one OCCUPIED entry's key
 * and value (either out pointer may be NULL) and advances *cursor past
 * it.  A cursor at or past the capacity is the end.  Under concurrent
 * changes every key present throughout is seen exactly once; keys inserted
 * or erased meanwhile may or may not be, and a key erased and inserted
 * again may be seen twice.  Never blocks.  ZEROIPC_ERROR_CORRUPT (the
 * cursor then stays on the bad slot); ZEROIPC_ERROR_INVALID_ARGUMENT for
 * a NULL m or cursor.
 */
int zeroipc_map_next(zeroipc_map_t *m, size_t *cursor, void *key_out,
                     void *value_out);

/* Entries held: the size field, clamped to the capacity; a snapshot.
 * 0 for NULL. */
size_t zeroipc_map_size(zeroipc_map_t *m);
/* Slots, key and value sizes, and the shape the handle was opened with
 * (ZEROIPC_ERROR_INVALID_ARGUMENT for NULL). */
size_t zeroipc_map_capacity(zeroipc_map_t *m);
size_t zeroipc_map_key_size(zeroipc_map_t *m);
size_t zeroipc_map_value_size(zeroipc_map_t *m);
int zeroipc_map_get_shape(zeroipc_map_t *m, zeroipc_map_shape_t *out);

/*
 * Read-only check of `size` bytes at `s` as a map.  With a shape: the
 * capacity is at least 1, key_size and value_size are the shape's, and
 * `size` is exactly 16 + capacity * stride.  With shape NULL (to infer a
 * kind when the types are unknown): key_size and value_size are at least
 * 1 and `size` is 16 + capacity * stride for some natural alignment of
 * keys and values of those sizes.  ZEROIPC_OK or ZEROIPC_ERROR_WRONG_KIND
 * (also for an invalid shape).  Reads only the immutable header fields.
 */
int zeroipc_map_validate(const void *s, size_t size,
                         const zeroipc_map_shape_t *shape);

/* Bytes a map of that shape and capacity occupies, or 0 when impossible. */
size_t zeroipc_map_footprint(const zeroipc_map_shape_t *shape, size_t capacity);

/* ------------------------------------------------------------------ */
/* Sets: the same table with no values.  Every call is its map
 * counterpart's, with these differences. */

/* Creates / opens the set `name` of elements of type `elem` (or of a
 * shape with value_size 0 and value_align 1).  Errors as the map's; open
 * also refuses a reserved header field that is not 0 (WRONG_KIND). */
zeroipc_set_t *zeroipc_set_create(zeroipc_memory_t *mem, const char *name,
                                  const zeroipc_type_t *elem, size_t capacity);
zeroipc_set_t *zeroipc_set_create_shape(zeroipc_memory_t *mem, const char *name,
                                        const zeroipc_map_shape_t *shape,
                                        size_t capacity);
zeroipc_set_t *zeroipc_set_open(zeroipc_memory_t *mem, const char *name,
                                const zeroipc_type_t *elem);
zeroipc_set_t *zeroipc_set_open_shape(zeroipc_memory_t *mem, const char *name,
                                      const zeroipc_map_shape_t *shape);
void zeroipc_set_close(zeroipc_set_t *s);

/* 1 when inserted, 0 when already present; errors as zeroipc_map_insert. */
int zeroipc_set_insert(zeroipc_set_t *s, const void *elem);
/* 1 if present, 0 if not; errors as zeroipc_map_contains. */
int zeroipc_set_contains(zeroipc_set_t *s, const void *elem);
/* ZEROIPC_OK or ZEROIPC_ERROR_NOT_FOUND; errors as zeroipc_map_erase. */
int zeroipc_set_erase(zeroipc_set_t *s, const void *elem);
/* As zeroipc_map_next, copying the element into elem_out (may be NULL). */
int zeroipc_set_next(zeroipc_set_t *s, size_t *cursor, void *elem_out);
size_t zeroipc_set_size(zeroipc_set_t *s);
size_t zeroipc_set_capacity(zeroipc_set_t *s);
size_t zeroipc_set_elem_size(zeroipc_set_t *s);

/* As zeroipc_map_validate / _footprint, for a set: the shape (if given)
 * has value_size 0, and the reserved field must be 0. */
int zeroipc_set_validate(const void *s, size_t size,
                         const zeroipc_map_shape_t *shape);
size_t zeroipc_set_footprint(const zeroipc_map_shape_t *shape, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_MAP_H */
