/*
 * hash_i.h - the open-addressing table that maps and sets share.
 *
 * A set is a map whose values have no bytes, so map.c and set.c are thin
 * handles around one engine (hash.c) that works on a validated view of
 * the table.  Private: never installed.
 */
#ifndef ZEROIPC_HASH_I_H
#define ZEROIPC_HASH_I_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memory_i.h"
#include "zeroipc_map.h"

/* Where a table's parts are and how its entries look; built from a
 * validated header and a checked shape, then never re-read. */
struct zeroipc_htab {
    _Atomic uint32_t *size;
    uint8_t *entries;
    uint32_t capacity;
    uint32_t key_size, value_size;
    uint32_t key_off, value_off, stride;
    uint32_t key_hash;
    zeroipc_map_shape_t shape;
};

/* Checks a shape (`set`: no value bytes) and computes its entry layout.
 * false for an invalid shape. */
ZEROIPC_INTERNAL bool zeroipc_htab_layout(const zeroipc_map_shape_t *shape,
                                          bool set, uint32_t *key_off,
                                          uint32_t *value_off, uint32_t *stride);

ZEROIPC_INTERNAL size_t zeroipc_htab_footprint(const zeroipc_map_shape_t *shape,
                                               bool set, size_t capacity);

/* zeroipc_map_validate / zeroipc_set_validate. */
ZEROIPC_INTERNAL int zeroipc_htab_validate(const void *s, size_t size,
                                           const zeroipc_map_shape_t *shape,
                                           bool set);

/*
 * Creates (`create`) or opens the table `name` and fills *t.  Records the
 * error on mem and the thread as the public create / open functions
 * document, and returns it.
 */
ZEROIPC_INTERNAL int zeroipc_htab_make(zeroipc_memory_t *mem, const char *name,
                                       const zeroipc_map_shape_t *shape,
                                       bool set, bool create, size_t capacity,
                                       struct zeroipc_htab *t);

/*
 * The operations, on a view made by zeroipc_htab_make.  insert: 1
 * inserted, 0 present (its value replaced when `update`), or an error;
 * find / erase / next: ZEROIPC_OK, ZEROIPC_ERROR_NOT_FOUND or an error.
 */
ZEROIPC_INTERNAL int zeroipc_htab_insert(const struct zeroipc_htab *t,
                                         const void *key, const void *value,
                                         bool update);
ZEROIPC_INTERNAL int zeroipc_htab_find(const struct zeroipc_htab *t,
                                       const void *key, void *value_out);
ZEROIPC_INTERNAL int zeroipc_htab_erase(const struct zeroipc_htab *t,
                                        const void *key);
ZEROIPC_INTERNAL int zeroipc_htab_next(const struct zeroipc_htab *t,
                                       size_t *cursor, void *key_out,
                                       void *value_out);
ZEROIPC_INTERNAL size_t zeroipc_htab_size(const struct zeroipc_htab *t);

#endif
