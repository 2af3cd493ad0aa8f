/*
 * zeroipc_catalog.h - what each structure is: kinds, element types, and
 * the catalogue that records them.
 *
 * The format stores no types: a queue of i32 and a queue of f32 look the
 * same.  Our typed creators therefore record each structure's kind and
 * element type in a catalogue, an ordinary table entry named ".catalog"
 * that other implementations never look at (they find entries by name,
 * and nobody else names one with a dot).  Its layout is ours:
 *
 *   0    u32 magic 0x4C544143 ("CATL")
 *   4    u32 version 1
 *   8    u32 capacity       records, = the table capacity at creation
 *   12   atomic u32 count   records in use
 *   16   records of 112 bytes:
 *          char name[32]    the structure's name, NUL-terminated
 *          u64 offset       its table offset: a record whose offset is not
 *                           the entry's is stale (the entry was removed
 *                           and the name reused) and is ignored
 *          u32 kind         zeroipc_kind_t
 *          u32 reserved     0
 *          char type[64]    element type spec (zeroipc_codec.h), NUL-terminated
 *
 * The catalogue is created on first use with room for one record per
 * table entry.  Writes to it happen under the table lock, so concurrent
 * recorders never tear it; readers copy a record and check it.
 *
 * Segments without a catalogue (written by other implementations) are
 * described by inference: each entry's kind follows from its header and
 * its exact size (the validate functions of each kind), and its element
 * type stays unknown until declared with zeroipc_catalog_set.
 */
#ifndef ZEROIPC_CATALOG_H
#define ZEROIPC_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zeroipc_memory.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZEROIPC_CATALOG_NAME ".catalog"
#define ZEROIPC_CATALOG_MAGIC 0x4C544143u
#define ZEROIPC_CATALOG_VERSION 1u
#define ZEROIPC_TYPE_SPEC_SIZE 64

/* Kinds of structure.  Values are stored in catalogues: never renumber. */
typedef enum {
    ZEROIPC_KIND_UNKNOWN = 0,
    ZEROIPC_KIND_ARRAY = 1,
    ZEROIPC_KIND_QUEUE = 2,
    ZEROIPC_KIND_STACK = 3,
    ZEROIPC_KIND_CATALOG = 4,
    ZEROIPC_KIND_RING = 5,
    ZEROIPC_KIND_MAP = 6,
    ZEROIPC_KIND_SET = 7,
    ZEROIPC_KIND_POOL = 8,
    ZEROIPC_KIND_SEMAPHORE = 9,
    ZEROIPC_KIND_MUTEX = 10,
    ZEROIPC_KIND_BARRIER = 11,
    ZEROIPC_KIND_LATCH = 12,
    ZEROIPC_KIND_ONCE = 13,
    ZEROIPC_KIND_EVENT = 14,
    ZEROIPC_KIND_RWLOCK = 15,
    ZEROIPC_KIND_MONITOR = 16,
    ZEROIPC_KIND_SIGNAL = 17,
    ZEROIPC_KIND_FUTURE = 18,
    ZEROIPC_KIND_LAZY = 19,
    ZEROIPC_KIND_STREAM = 20,
    ZEROIPC_KIND_CHANNEL = 21,
} zeroipc_kind_t;

/* "array", "queue", ...; "unknown" for anything else.  Never NULL. */
const char *zeroipc_kind_name(zeroipc_kind_t kind);

/* The kind named `name`, or ZEROIPC_KIND_UNKNOWN. */
zeroipc_kind_t zeroipc_kind_from_name(const char *name);

/*
 * Records that the structure `name` is of `kind` with element type
 * `type` (a spec such as "f32" or "f32,f32,u64"; the caller has checked it
 * with zeroipc_type_parse; "" for kinds without one).  Replaces an earlier
 * record for the same structure.  Creates the catalogue when the segment
 * has none.  The record belongs to the entry that carries the structure:
 * `name` itself, or for streams and channels (which have no entry of
 * that name) "name_header".
 *
 * Errors: ZEROIPC_ERROR_INVALID_ARGUMENT (NULL, a type spec of 64 bytes
 * or more), ZEROIPC_ERROR_NOT_FOUND (no such structure), and when the
 * catalogue must be created, ZEROIPC_ERROR_TABLE_FULL or
 * ZEROIPC_ERROR_SIZE (no room for it); ZEROIPC_ERROR_CORRUPT when an
 * existing ".catalog" entry is not a valid catalogue.
 */
int zeroipc_catalog_set(zeroipc_memory_t *mem, const char *name,
                        zeroipc_kind_t kind, const char *type);

/*
 * Makes sure the segment has a catalogue, creating it if need be, so that
 * a creator can fail before it makes a structure it could not record.
 * Errors: ZEROIPC_ERROR_INVALID_ARGUMENT, ZEROIPC_ERROR_TABLE_FULL,
 * ZEROIPC_ERROR_SIZE, ZEROIPC_ERROR_CORRUPT (a ".catalog" entry that is
 * not a catalogue).
 */
int zeroipc_catalog_ensure(zeroipc_memory_t *mem);

/*
 * Reads the record of `name`: its kind, and its type spec into `type`
 * (`len` bytes, NUL-terminated; may be NULL when len is 0).
 * ZEROIPC_ERROR_NOT_FOUND when the segment has no catalogue, no valid
 * record for the structure, or no such structure; ZEROIPC_ERROR_SIZE when
 * `type` is too small.
 */
int zeroipc_catalog_get(zeroipc_memory_t *mem, const char *name,
                        zeroipc_kind_t *kind, char *type, size_t len);

/*
 * What a tool needs to show one table entry.
 *
 * Structures stored as several entries (event, rwlock, monitor, signal,
 * stream, channel: FORMAT.md "Companion entries") are recognised when
 * every part exists with the right size and bytes.  The entry that
 * carries one (its own entry or 1-byte marker; a stream's or channel's
 * "_header") is described with the structure's kind under the
 * structure's `name`; its other parts are described with the same kind
 * and name, and `hidden`.  An entry that only looks like a part (a
 * "_sem" whose event is missing) is described on its own.
 *
 * Inference of the 16-byte primitives (semaphore, mutex, barrier, latch)
 * is a guess when nothing is recorded: their four i32 words can satisfy
 * the invariants of several kinds at once.  The guess follows the states
 * they are usually found in (describe.c, sixteen_guess); a recorded kind
 * is believed whenever the bytes satisfy its invariants.
 */
typedef struct {
    zeroipc_entry_t entry;
    char name[ZEROIPC_NAME_SIZE];        /* the structure's name (see above) */
    zeroipc_kind_t kind;                 /* recorded, else inferred */
    char type[ZEROIPC_TYPE_SPEC_SIZE];   /* recorded spec, "" if unknown */
    size_t elem_size;                    /* from the header; 0 if unknown */
    size_t capacity;                     /* elements; 0 if not a container */
    bool hidden;                         /* the catalogue, a structure's part, or corrupt */
    bool corrupt;                        /* an entry outside the segment or without a
                                            NUL in its name: shown, never used */
} zeroipc_info_t;

/*
 * Describes every entry of the table, in table order: up to `max` into
 * `out`, and the number of entries into *count.  An entry that is itself
 * corrupt (its range outside the segment, no NUL in its name) is
 * described as `corrupt` and hidden, with its raw offset and size and its
 * name cut to 31 bytes; the others are described as usual.  Kinds come from the
 * catalogue when it has a valid record whose kind validates against the
 * entry's bytes, and are inferred otherwise.  Errors as
 * zeroipc_table_entries.
 */
int zeroipc_describe_all(zeroipc_memory_t *mem, zeroipc_info_t *out,
                         size_t max, size_t *count);

/* Describes the structure or entry `name` (for a stream or channel, its
 * "_header" entry).  Errors as zeroipc_table_find. */
int zeroipc_describe(zeroipc_memory_t *mem, const char *name,
                     zeroipc_info_t *out);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_CATALOG_H */
