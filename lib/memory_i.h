/*
 * memory_i.h - what the library's modules share about a segment.
 * Private: never installed.
 */
#ifndef ZEROIPC_MEMORY_I_H
#define ZEROIPC_MEMORY_I_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "zeroipc_memory.h"

/* Internal symbols are hidden from the shared object's ABI. */
#define ZEROIPC_INTERNAL __attribute__((visibility("hidden")))

struct zeroipc_memory {
    uint8_t *base;      /* the mapping, memory_size bytes */
    size_t size;        /* memory_size, checked against the object at open */
    uint32_t max_entries;
    int fd;             /* kept open for the table flock */
    pid_t pid;          /* the process fd's open file description is ours in */
    unsigned forks;     /* fork count (table.c) when pid was last checked */
    _Atomic int error;  /* last error of an operation through this handle */
    /* flock() excludes other open file descriptions, not other threads
     * sharing this one: threads of one process are serialized here. */
    pthread_mutex_t lock;
    char name[NAME_MAX + 2];
};

/* The table header as laid out in shared memory (FORMAT.md). */
struct zeroipc_table_header {
    uint32_t magic;
    uint32_t version;
    _Atomic uint32_t entry_count;
    uint32_t max_entries;
    uint64_t memory_size;
    _Atomic uint64_t next_offset;
};

struct zeroipc_table_entry {
    char name[ZEROIPC_NAME_SIZE];
    uint64_t offset;
    uint64_t size;
};

_Static_assert(sizeof(struct zeroipc_table_header) == ZEROIPC_HEADER_SIZE,
               "table header is 32 bytes");
_Static_assert(sizeof(struct zeroipc_table_entry) == ZEROIPC_ENTRY_SIZE,
               "table entry is 48 bytes");

static inline size_t zeroipc_align8(size_t n) { return (n + 7) & ~(size_t)7; }

/* Records `err` as this thread's last error and returns it. */
ZEROIPC_INTERNAL int zeroipc_set_error(int err);

/* Records `err` on the handle (and the thread) and returns it, so that
 * operations can end with `return zeroipc_mem_fail(mem, err)`. */
ZEROIPC_INTERNAL int zeroipc_mem_fail(zeroipc_memory_t *mem, int err);

/* Validates a structure name: 1..31 bytes. */
ZEROIPC_INTERNAL int zeroipc_check_name(const char *name);

/*
 * Initializes `size` bytes at `p` (zeroed by the caller's allocation);
 * called with the table lock held, before the entry is published.
 */
typedef void (*zeroipc_init_fn)(void *p, const void *ctx);

/*
 * Allocates `size` bytes under `name`, runs init on them and only then
 * publishes the entry, all under the table lock, so no process ever finds
 * an entry whose structure is not yet initialized.  The allocated bytes
 * are zeroed first (a segment's free space is zero unless a foreign writer
 * left garbage there).  Returns the absolute offset in *offset.
 */
ZEROIPC_INTERNAL int zeroipc_table_add_init(zeroipc_memory_t *mem,
                                            const char *name, size_t size,
                                            zeroipc_init_fn init,
                                            const void *ctx, size_t *offset);

/* The table lock: the handle's mutex, then flock() on the object, shared
 * for lookups and exclusive for changes.  ZEROIPC_ERROR_SYSTEM if flock
 * fails.  Not recursive. */
ZEROIPC_INTERNAL int zeroipc_table_lock(zeroipc_memory_t *mem, bool exclusive);
ZEROIPC_INTERNAL void zeroipc_table_unlock(zeroipc_memory_t *mem);

/* As zeroipc_table_add_init, zeroipc_table_find and zeroipc_table_entries,
 * for callers that hold the table lock (exclusively, to add).  They return
 * the code without recording it anywhere. */
ZEROIPC_INTERNAL int zeroipc_table_add_locked(zeroipc_memory_t *mem,
                                              const char *name, size_t size,
                                              zeroipc_init_fn init,
                                              const void *ctx, size_t *offset);
ZEROIPC_INTERNAL int zeroipc_table_find_locked(zeroipc_memory_t *mem,
                                               const char *name,
                                               zeroipc_entry_t *out);
ZEROIPC_INTERNAL int zeroipc_table_entry_locked(zeroipc_memory_t *mem,
                                                uint32_t index,
                                                zeroipc_entry_t *out);
/* Entries in use, or CORRUPT for a count over the table's capacity. */
ZEROIPC_INTERNAL int64_t zeroipc_table_count_locked(zeroipc_memory_t *mem);
ZEROIPC_INTERNAL int zeroipc_table_entries_locked(zeroipc_memory_t *mem,
                                                  zeroipc_entry_t *out,
                                                  size_t max, size_t *count);

/*
 * Names of companion entries: `base` + `suffix` into buf
 * (ZEROIPC_NAME_SIZE bytes), for a base of at most base_max bytes, so
 * that the longest suffix of its kind still fits in 31.  INVALID_ARGUMENT
 * (NULL), NAME_TOO_LONG, and the errors of zeroipc_check_name.
 */
ZEROIPC_INTERNAL int zeroipc_companion_name(const char *base, size_t base_max,
                                            const char *suffix, char *buf);

/* One entry of a structure made of several (FORMAT.md, "Companion
 * entries"); `off` receives its absolute offset. */
struct zeroipc_table_part {
    const char *name;
    size_t size;
    zeroipc_init_fn init;
    const void *ctx;
    size_t off;
};

/*
 * Adds the n parts in order under one exclusive table lock, all or none:
 * names free, enough entries and enough room for all of them are checked
 * before the first is added, so no later add can fail once one succeeded.
 * Takes the lock itself; returns the code without recording it.
 */
ZEROIPC_INTERNAL int zeroipc_table_add_group(zeroipc_memory_t *mem,
                                             struct zeroipc_table_part *p, size_t n);

/*
 * Finds `name` and returns a pointer to its structure and its size, after
 * checking the entry lies inside the data area.  For the open functions.
 */
ZEROIPC_INTERNAL int zeroipc_table_locate(zeroipc_memory_t *mem,
                                          const char *name, void **p,
                                          size_t *size);

/* As zeroipc_table_locate, for a companion entry of a structure whose own
 * entry was found: a missing one is ZEROIPC_ERROR_CORRUPT (the structure
 * is damaged, not absent). */
ZEROIPC_INTERNAL int zeroipc_table_locate_part(zeroipc_memory_t *mem, const char *name,
                                               void **p, size_t *size);

#endif
