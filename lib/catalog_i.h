/*
 * catalog_i.h - the catalogue as describe.c reads it.
 * Private: never installed.
 */
#ifndef ZEROIPC_CATALOG_I_H
#define ZEROIPC_CATALOG_I_H

#include <stdbool.h>

#include "memory_i.h"
#include "zeroipc_catalog.h"

/* A checked catalogue: its header and its capacity as checked (read
 * once, so that a later change in shared memory cannot widen it). */
struct zeroipc_catalog_view {
    const void *header;
    uint32_t capacity;
};

/* Caller holds the table lock.  The segment's catalogue, checked, into
 * *c and returned; NULL when it has none or a corrupt one (which costs
 * only the recorded types: kinds are still inferred). */
ZEROIPC_INTERNAL const struct zeroipc_catalog_view *
zeroipc_catalog_locked(zeroipc_memory_t *mem, struct zeroipc_catalog_view *c);

/* Caller holds the table lock.  The record of entry `e` in `catalog` (may
 * be NULL): its kind and its type spec into `type`
 * (ZEROIPC_TYPE_SPEC_SIZE bytes, NUL-terminated).  false when none. */
ZEROIPC_INTERNAL bool zeroipc_catalog_lookup(const struct zeroipc_catalog_view *catalog,
                                             const zeroipc_entry_t *e, zeroipc_kind_t *kind,
                                             char *type);

#endif
