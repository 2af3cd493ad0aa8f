/*
 * catalog_i.h - the catalogue as describe.c reads it.
 * Private: never installed.
 */
#ifndef ZEROIPC_CATALOG_I_H
#define ZEROIPC_CATALOG_I_H

#include <stdbool.h>

#include "memory_i.h"
#include "zeroipc_catalog.h"

/* Caller holds the table lock.  The segment's catalogue, or NULL when it
 * has none or a corrupt one (which costs only the recorded types: kinds
 * are still inferred). */
ZEROIPC_INTERNAL const void *zeroipc_catalog_locked(zeroipc_memory_t *mem);

/* Caller holds the table lock.  The record of entry `e` in `catalog` (may
 * be NULL): its kind and its type spec into `type`
 * (ZEROIPC_TYPE_SPEC_SIZE bytes, NUL-terminated).  false when none. */
ZEROIPC_INTERNAL bool zeroipc_catalog_lookup(const void *catalog, const zeroipc_entry_t *e,
                                             zeroipc_kind_t *kind, char *type);

#endif
