/*
 * zeroipc_memory.h - segments and their table.
 *
 * A segment is one POSIX shared-memory object (/dev/shm/NAME on Linux)
 * that starts with a table: a 32-byte header and `max_entries` 48-byte
 * entries naming the structures that follow, bump-allocated and never
 * freed.  The layout is ZeroIPC format v2, byte for byte (FORMAT.md).
 *
 * Names.  Segment names are given as "/name" (a missing leading slash is
 * added); the rest may not contain '/' and is at most NAME_MAX bytes.
 * Structure names are 1 to 31 bytes: 32 or more is
 * ZEROIPC_ERROR_NAME_TOO_LONG.
 *
 * Trust.  The segment is shared with other processes and other languages,
 * so every field read from it is checked before use: a corrupt segment is
 * refused with an error code, never followed out of bounds.
 *
 * Concurrency.  A zeroipc_memory_t may be used from several threads.  Table
 * changes (adding or removing an entry) are serialized across processes by
 * an flock() on the object, which the kernel drops if the holder dies, and
 * across the threads of one process by a mutex in the handle; lookups take
 * the lock shared.  A handle may cross fork(): the child's first table
 * operation takes a lock descriptor of its own (flock locks belong to the
 * open file description, which fork shares).  A structure's header is written before its table entry
 * is published, so whoever finds an entry finds it initialized.  Public
 * implementations that do not lock can still tear the table: that is a
 * property of the format, not of this library.
 */
#ifndef ZEROIPC_MEMORY_H
#define ZEROIPC_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include "zeroipc_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Format constants, from FORMAT.md. */
#define ZEROIPC_MAGIC 0x5A49504Du          /* bytes "MPIZ" */
#define ZEROIPC_VERSION 2u
#define ZEROIPC_NAME_SIZE 32               /* names hold at most 31 bytes */
#define ZEROIPC_HEADER_SIZE 32
#define ZEROIPC_ENTRY_SIZE 48
#define ZEROIPC_DEFAULT_MAX_ENTRIES 64     /* what a header with 0 means */

/* Longest single sleep of any blocking call before it looks at shared
 * memory again: the bound on how late a change made by a peer that never
 * wakes futex waiters (the public implementations) is noticed.  Not
 * shorter than a timer tick (4 ms at HZ=250): a futex timeout that is
 * the earliest timer of its CPU makes the kernel reprogram the timer
 * hardware on every sleep, which cost our wake-ups 25% against a bare
 * futex and doubled a waiter's idle CPU with 2 ms (bench/wake_bench.c). */
#define ZEROIPC_WAIT_SLICE_MS 4

typedef struct zeroipc_memory zeroipc_memory_t;

/* One table entry, as copied out of the segment (name NUL-terminated). */
typedef struct {
    char name[ZEROIPC_NAME_SIZE];
    uint64_t offset; /* absolute, from the start of the segment */
    uint64_t size;   /* in bytes, exactly as requested at creation */
} zeroipc_entry_t;

/*
 * Creates the segment `name` of `size` bytes whose table holds
 * `max_entries` entries.  An existing object of that name is unlinked and
 * replaced by a new, zeroed one, as the public implementations do (a
 * process that still maps the old one keeps the old memory).  The object
 * gets mode 0666 less the umask.
 *
 * Returns the handle, or NULL with zeroipc_last_error():
 *   ZEROIPC_ERROR_INVALID_ARGUMENT  name NULL, empty, or with another '/'
 *   ZEROIPC_ERROR_NAME_TOO_LONG     name longer than NAME_MAX
 *   ZEROIPC_ERROR_SIZE              size or max_entries 0, or the table
 *                                   (32 + 48 * max_entries) does not fit
 *   ZEROIPC_ERROR_OPEN              shm_open failed (errno)
 *   ZEROIPC_ERROR_SYSTEM            ftruncate/flock failed (errno)
 *   ZEROIPC_ERROR_MMAP              mmap failed (errno)
 */
zeroipc_memory_t *zeroipc_memory_create(const char *name, size_t size,
                                        size_t max_entries);

/*
 * Opens and maps an existing segment read-write, after checking its
 * header: the magic, version 2, `max_entries` (taken from the header,
 * never from the caller; 0 means 64), entry_count <= max_entries, the
 * table inside the segment, memory_size no larger than the object and the
 * bump pointer between the end of the table and memory_size.
 *
 * Returns the handle, or NULL with zeroipc_last_error():
 *   ZEROIPC_ERROR_INVALID_ARGUMENT / ZEROIPC_ERROR_NAME_TOO_LONG  as above
 *   ZEROIPC_ERROR_OPEN              no such object, or no permission (errno)
 *   ZEROIPC_ERROR_INVALID_MAGIC     not a ZeroIPC segment (also: too small
 *                                   to hold a header)
 *   ZEROIPC_ERROR_VERSION_MISMATCH  a version other than 2
 *   ZEROIPC_ERROR_CORRUPT           a header field out of bounds
 *   ZEROIPC_ERROR_MMAP, ZEROIPC_ERROR_SYSTEM
 */
zeroipc_memory_t *zeroipc_memory_open(const char *name);

/* Unmaps and frees the handle; the object stays.  NULL is ignored.
 * Structures opened from it must be closed first. */
void zeroipc_memory_close(zeroipc_memory_t *mem);

/* Removes the object's name (shm_unlink); mappings stay valid until
 * closed.  Errors (no such object) are ignored, as in the original API;
 * zeroipc_memory_unlink_checked reports them. */
void zeroipc_memory_unlink(const char *name);

/* As zeroipc_memory_unlink, but returns ZEROIPC_OK, ZEROIPC_ERROR_NOT_FOUND,
 * ZEROIPC_ERROR_INVALID_ARGUMENT, ZEROIPC_ERROR_NAME_TOO_LONG or
 * ZEROIPC_ERROR_OPEN (permission; errno). */
int zeroipc_memory_unlink_checked(const char *name);

/* The start of the mapping, and its length (memory_size).  NULL / 0 for a
 * NULL handle. */
void *zeroipc_memory_base(zeroipc_memory_t *mem);
size_t zeroipc_memory_size(zeroipc_memory_t *mem);

/* The name the handle was opened with, with its leading '/'. */
const char *zeroipc_memory_name(zeroipc_memory_t *mem);

/* The code of the last failed operation made through this handle (table
 * or structure calls), ZEROIPC_OK if none; ZEROIPC_ERROR_INVALID_ARGUMENT
 * for NULL. */
int zeroipc_memory_error(zeroipc_memory_t *mem);

/* The bump pointer: bytes of the segment in use, table included. */
size_t zeroipc_memory_used(zeroipc_memory_t *mem);

/*
 * Calls fn(name, ctx) for every object in /dev/shm that starts with a
 * valid ZeroIPC header (magic and version 2), judged by content, not by
 * name; `name` carries its leading '/'.  Objects that cannot be read are
 * skipped.  Stops early and returns fn's value when fn returns non-zero.
 * Returns ZEROIPC_OK, or ZEROIPC_ERROR_SYSTEM if /dev/shm cannot be listed.
 */
typedef int (*zeroipc_memory_list_fn)(const char *name, void *ctx);
int zeroipc_memory_list(zeroipc_memory_list_fn fn, void *ctx);

/*
 * Table.  Entries are dense, in creation order; lookup is a linear scan.
 */

/*
 * Reserves `size` bytes at the next 8-aligned offset under `name` and
 * stores the absolute offset in *offset (which may be NULL).  Name length,
 * duplicates and free entries are checked before space is taken, so a
 * failed add leaks nothing.  The bytes are those of the segment (zero in a
 * fresh one): the caller initializes them.
 *
 * Errors: ZEROIPC_ERROR_INVALID_ARGUMENT (NULL, empty name, size 0),
 * ZEROIPC_ERROR_NAME_TOO_LONG, ZEROIPC_ERROR_ALREADY_EXISTS,
 * ZEROIPC_ERROR_TABLE_FULL, ZEROIPC_ERROR_SIZE (no room left),
 * ZEROIPC_ERROR_CORRUPT (the table in memory is inconsistent),
 * ZEROIPC_ERROR_SYSTEM (the lock could not be taken).
 */
int zeroipc_table_add(zeroipc_memory_t *mem, const char *name, size_t size,
                      size_t *offset);

/*
 * Looks `name` up; stores its absolute offset and size (either pointer may
 * be NULL).  An entry whose range lies outside the segment's data area is
 * ZEROIPC_ERROR_CORRUPT; other corrupt entries are passed over (each
 * entry stands alone).  Errors also: ZEROIPC_ERROR_INVALID_ARGUMENT,
 * ZEROIPC_ERROR_NAME_TOO_LONG, ZEROIPC_ERROR_NOT_FOUND.
 */
int zeroipc_table_find(zeroipc_memory_t *mem, const char *name,
                       size_t *offset, size_t *size);

/*
 * Drops the entry `name`; later entries move down one place.  The space is
 * not reclaimed (the format never frees), and handles already open on the
 * structure keep working.  Errors as zeroipc_table_find.
 */
int zeroipc_table_remove(zeroipc_memory_t *mem, const char *name);

/* Entries in use (0 for NULL or a corrupt count). */
size_t zeroipc_table_count(zeroipc_memory_t *mem);

/* Entries the table can hold: max_entries from the header. */
size_t zeroipc_table_capacity(zeroipc_memory_t *mem);

/*
 * Copies a consistent snapshot of the table: up to `max` entries into
 * `out` (which may be NULL when max is 0) and the number of entries in use
 * into *count.  Every copied entry has been checked (NUL-terminated name,
 * range inside the segment): an entry that fails is
 * ZEROIPC_ERROR_CORRUPT and nothing is returned.
 */
int zeroipc_table_entries(zeroipc_memory_t *mem, zeroipc_entry_t *out,
                          size_t max, size_t *count);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_MEMORY_H */
