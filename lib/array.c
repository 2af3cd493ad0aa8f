/*
 * array.c - fixed arrays: u64 capacity, then the elements.
 *
 * The handle caches the capacity and element size validated at open; the
 * stored capacity is never read again, so a peer that overwrites it later
 * cannot steer our accesses outside the entry.
 */
#include "zeroipc_array.h"

#include <stdlib.h>
#include <string.h>

#include "memory_i.h"

struct zeroipc_array {
    uint8_t *data;
    size_t capacity;
    size_t elem_size;
};

size_t zeroipc_array_footprint(size_t elem_size, size_t capacity)
{
    if (elem_size == 0 || capacity == 0 ||
        capacity > (SIZE_MAX - ZEROIPC_ARRAY_HEADER_SIZE) / elem_size)
        return 0;
    return ZEROIPC_ARRAY_HEADER_SIZE + capacity * elem_size;
}

int zeroipc_array_validate(const void *s, size_t size, size_t *elem_size)
{
    if (s == NULL || size < ZEROIPC_ARRAY_HEADER_SIZE)
        return ZEROIPC_ERROR_WRONG_KIND;
    uint64_t capacity;
    memcpy(&capacity, s, sizeof capacity);
    size_t data = size - ZEROIPC_ARRAY_HEADER_SIZE;
    if (capacity == 0 || capacity > data || data % capacity != 0)
        return ZEROIPC_ERROR_WRONG_KIND;
    if (elem_size != NULL)
        *elem_size = data / (size_t)capacity;
    return ZEROIPC_OK;
}

static zeroipc_array_t *handle(void *s, size_t capacity, size_t elem_size)
{
    zeroipc_array_t *arr = malloc(sizeof *arr);
    if (arr == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_SYSTEM);
        return NULL;
    }
    arr->data = (uint8_t *)s + ZEROIPC_ARRAY_HEADER_SIZE;
    arr->capacity = capacity;
    arr->elem_size = elem_size;
    zeroipc_set_error(ZEROIPC_OK);
    return arr;
}

static void init_array(void *p, const void *ctx)
{
    uint64_t capacity = *(const size_t *)ctx;
    memcpy(p, &capacity, sizeof capacity);
}

zeroipc_array_t *zeroipc_array_create(zeroipc_memory_t *mem, const char *name,
                                      size_t elem_size, size_t capacity)
{
    if (mem == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
        return NULL;
    }
    size_t size = zeroipc_array_footprint(elem_size, capacity);
    if (size == 0) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_SIZE);
        return NULL;
    }
    size_t offset;
    if (zeroipc_table_add_init(mem, name, size, init_array, &capacity, &offset) != ZEROIPC_OK)
        return NULL;
    return handle((uint8_t *)zeroipc_memory_base(mem) + offset, capacity, elem_size);
}

zeroipc_array_t *zeroipc_array_open(zeroipc_memory_t *mem, const char *name)
{
    void *s;
    size_t size, elem_size;
    if (zeroipc_table_locate(mem, name, &s, &size) != ZEROIPC_OK)
        return NULL;
    if (zeroipc_array_validate(s, size, &elem_size) != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_WRONG_KIND);
        return NULL;
    }
    return handle(s, (size - ZEROIPC_ARRAY_HEADER_SIZE) / elem_size, elem_size);
}

void zeroipc_array_close(zeroipc_array_t *arr)
{
    free(arr);
}

void *zeroipc_array_data(zeroipc_array_t *arr)
{
    return arr ? arr->data : NULL;
}

size_t zeroipc_array_capacity(zeroipc_array_t *arr)
{
    return arr ? arr->capacity : 0;
}

size_t zeroipc_array_elem_size(zeroipc_array_t *arr)
{
    return arr ? arr->elem_size : 0;
}

void *zeroipc_array_get(zeroipc_array_t *arr, size_t index)
{
    if (arr == NULL || index >= arr->capacity)
        return NULL;
    return arr->data + index * arr->elem_size;
}

int zeroipc_array_set(zeroipc_array_t *arr, size_t index, const void *value)
{
    if (arr == NULL || value == NULL)
        return zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
    if (index >= arr->capacity)
        return zeroipc_set_error(ZEROIPC_ERROR_SIZE);
    memcpy(arr->data + index * arr->elem_size, value, arr->elem_size);
    return ZEROIPC_OK;
}
