/*
 * set.c - zeroipc_set_*: a map without values (hash.c), in the layout of
 * the public C++ Set, whose header's fourth word is a reserved 0 where a
 * map has value_size.
 */
#include "zeroipc_map.h"

#include <stdlib.h>

#include "hash_i.h"

struct zeroipc_set {
    struct zeroipc_htab t;
};

static zeroipc_set_t *make(zeroipc_memory_t *mem, const char *name,
                           const zeroipc_map_shape_t *shape, bool create,
                           size_t capacity)
{
    struct zeroipc_htab t;
    if (zeroipc_htab_make(mem, name, shape, true, create, capacity, &t) != ZEROIPC_OK)
        return NULL;
    zeroipc_set_t *s = malloc(sizeof *s);
    if (s == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_SYSTEM);
        return NULL;
    }
    s->t = t;
    zeroipc_set_error(ZEROIPC_OK);
    return s;
}

static int shape_of(zeroipc_memory_t *mem, const zeroipc_type_t *elem,
                    zeroipc_map_shape_t *sh)
{
    if (mem == NULL)
        return zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
    if (zeroipc_map_shape(elem, NULL, sh) != ZEROIPC_OK)
        return zeroipc_mem_fail(mem, ZEROIPC_ERROR_INVALID_ARGUMENT);
    return ZEROIPC_OK;
}

zeroipc_set_t *zeroipc_set_create(zeroipc_memory_t *mem, const char *name,
                                  const zeroipc_type_t *elem, size_t capacity)
{
    zeroipc_map_shape_t sh;
    if (shape_of(mem, elem, &sh) != ZEROIPC_OK)
        return NULL;
    return make(mem, name, &sh, true, capacity);
}

zeroipc_set_t *zeroipc_set_create_shape(zeroipc_memory_t *mem, const char *name,
                                        const zeroipc_map_shape_t *shape,
                                        size_t capacity)
{
    return make(mem, name, shape, true, capacity);
}

zeroipc_set_t *zeroipc_set_open(zeroipc_memory_t *mem, const char *name,
                                const zeroipc_type_t *elem)
{
    zeroipc_map_shape_t sh;
    if (shape_of(mem, elem, &sh) != ZEROIPC_OK)
        return NULL;
    return make(mem, name, &sh, false, 0);
}

zeroipc_set_t *zeroipc_set_open_shape(zeroipc_memory_t *mem, const char *name,
                                      const zeroipc_map_shape_t *shape)
{
    return make(mem, name, shape, false, 0);
}

void zeroipc_set_close(zeroipc_set_t *s)
{
    free(s);
}

int zeroipc_set_insert(zeroipc_set_t *s, const void *elem)
{
    if (s == NULL || elem == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    return zeroipc_htab_insert(&s->t, elem, NULL, false);
}

int zeroipc_set_contains(zeroipc_set_t *s, const void *elem)
{
    if (s == NULL || elem == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    int err = zeroipc_htab_find(&s->t, elem, NULL);
    return err == ZEROIPC_OK ? 1 : err == ZEROIPC_ERROR_NOT_FOUND ? 0 : err;
}

int zeroipc_set_erase(zeroipc_set_t *s, const void *elem)
{
    if (s == NULL || elem == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    return zeroipc_htab_erase(&s->t, elem);
}

int zeroipc_set_next(zeroipc_set_t *s, size_t *cursor, void *elem_out)
{
    if (s == NULL || cursor == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    return zeroipc_htab_next(&s->t, cursor, elem_out, NULL);
}

size_t zeroipc_set_size(zeroipc_set_t *s)
{
    return s ? zeroipc_htab_size(&s->t) : 0;
}

size_t zeroipc_set_capacity(zeroipc_set_t *s)
{
    return s ? s->t.capacity : 0;
}

size_t zeroipc_set_elem_size(zeroipc_set_t *s)
{
    return s ? s->t.key_size : 0;
}

int zeroipc_set_validate(const void *s, size_t size, const zeroipc_map_shape_t *shape)
{
    return zeroipc_htab_validate(s, size, shape, true);
}

size_t zeroipc_set_footprint(const zeroipc_map_shape_t *shape, size_t capacity)
{
    return zeroipc_htab_footprint(shape, true, capacity);
}
