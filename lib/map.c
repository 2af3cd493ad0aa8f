/*
 * map.c - zeroipc_map_*: handles around the shared table (hash.c).
 *
 * A handle caches the validated view of the table: capacity, sizes and
 * the entry layout are never read from shared memory again.
 */
#include "zeroipc_map.h"

#include <stdlib.h>

#include "hash_i.h"

struct zeroipc_map {
    struct zeroipc_htab t;
};

static zeroipc_map_t *make(zeroipc_memory_t *mem, const char *name,
                           const zeroipc_map_shape_t *shape, bool create,
                           size_t capacity)
{
    struct zeroipc_htab t;
    if (zeroipc_htab_make(mem, name, shape, false, create, capacity, &t) != ZEROIPC_OK)
        return NULL;
    zeroipc_map_t *m = malloc(sizeof *m);
    if (m == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_SYSTEM);
        return NULL;
    }
    m->t = t;
    zeroipc_set_error(ZEROIPC_OK);
    return m;
}

/* The shape of two types, or an error recorded as create / open do. */
static int shape_of(zeroipc_memory_t *mem, const zeroipc_type_t *key,
                    const zeroipc_type_t *value, zeroipc_map_shape_t *sh)
{
    if (mem == NULL)
        return zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
    if (value == NULL || zeroipc_map_shape(key, value, sh) != ZEROIPC_OK)
        return zeroipc_mem_fail(mem, ZEROIPC_ERROR_INVALID_ARGUMENT);
    return ZEROIPC_OK;
}

zeroipc_map_t *zeroipc_map_create(zeroipc_memory_t *mem, const char *name,
                                  const zeroipc_type_t *key,
                                  const zeroipc_type_t *value, size_t capacity)
{
    zeroipc_map_shape_t sh;
    if (shape_of(mem, key, value, &sh) != ZEROIPC_OK)
        return NULL;
    return make(mem, name, &sh, true, capacity);
}

zeroipc_map_t *zeroipc_map_create_shape(zeroipc_memory_t *mem, const char *name,
                                        const zeroipc_map_shape_t *shape,
                                        size_t capacity)
{
    return make(mem, name, shape, true, capacity);
}

zeroipc_map_t *zeroipc_map_open(zeroipc_memory_t *mem, const char *name,
                                const zeroipc_type_t *key,
                                const zeroipc_type_t *value)
{
    zeroipc_map_shape_t sh;
    if (shape_of(mem, key, value, &sh) != ZEROIPC_OK)
        return NULL;
    return make(mem, name, &sh, false, 0);
}

zeroipc_map_t *zeroipc_map_open_shape(zeroipc_memory_t *mem, const char *name,
                                      const zeroipc_map_shape_t *shape)
{
    return make(mem, name, shape, false, 0);
}

void zeroipc_map_close(zeroipc_map_t *m)
{
    free(m);
}

int zeroipc_map_insert(zeroipc_map_t *m, const void *key, const void *value)
{
    if (m == NULL || key == NULL || value == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    return zeroipc_htab_insert(&m->t, key, value, true);
}

int zeroipc_map_find(zeroipc_map_t *m, const void *key, void *value_out)
{
    if (m == NULL || key == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    return zeroipc_htab_find(&m->t, key, value_out);
}

int zeroipc_map_contains(zeroipc_map_t *m, const void *key)
{
    int err = zeroipc_map_find(m, key, NULL);
    return err == ZEROIPC_OK ? 1 : err == ZEROIPC_ERROR_NOT_FOUND ? 0 : err;
}

int zeroipc_map_erase(zeroipc_map_t *m, const void *key)
{
    if (m == NULL || key == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    return zeroipc_htab_erase(&m->t, key);
}

int zeroipc_map_next(zeroipc_map_t *m, size_t *cursor, void *key_out, void *value_out)
{
    if (m == NULL || cursor == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    return zeroipc_htab_next(&m->t, cursor, key_out, value_out);
}

size_t zeroipc_map_size(zeroipc_map_t *m)
{
    return m ? zeroipc_htab_size(&m->t) : 0;
}

size_t zeroipc_map_capacity(zeroipc_map_t *m)
{
    return m ? m->t.capacity : 0;
}

size_t zeroipc_map_key_size(zeroipc_map_t *m)
{
    return m ? m->t.key_size : 0;
}

size_t zeroipc_map_value_size(zeroipc_map_t *m)
{
    return m ? m->t.value_size : 0;
}

int zeroipc_map_get_shape(zeroipc_map_t *m, zeroipc_map_shape_t *out)
{
    if (m == NULL || out == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    *out = m->t.shape;
    return ZEROIPC_OK;
}

int zeroipc_map_validate(const void *s, size_t size, const zeroipc_map_shape_t *shape)
{
    return zeroipc_htab_validate(s, size, shape, false);
}

size_t zeroipc_map_footprint(const zeroipc_map_shape_t *shape, size_t capacity)
{
    return zeroipc_htab_footprint(shape, false, capacity);
}
