/*
 * zeroipc_array.h - a fixed-size array of fixed-size elements.
 *
 * Layout (FORMAT.md): u64 capacity at 0, then capacity * elem_size bytes.
 * The entry size is 8 + capacity * elem_size, exactly; the element size is
 * not stored and is recovered on open as (size - 8) / capacity.  (The
 * public C library's 16-byte header is incompatible with every other
 * implementation and is not followed.)
 *
 * Concurrency: none is imposed.  Elements are plain memory; readers and
 * writers of the same element from several processes must agree on their
 * own ordering (or use one of the synchronization primitives).  A
 * zeroipc_array_set is a memcpy, not an atomic store.
 */
#ifndef ZEROIPC_ARRAY_H
#define ZEROIPC_ARRAY_H

#include <stddef.h>

#include "zeroipc_memory.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZEROIPC_ARRAY_HEADER_SIZE 8

typedef struct zeroipc_array zeroipc_array_t;

/*
 * Creates the array `name` of `capacity` elements of `elem_size` bytes,
 * all zero.  NULL on failure, with zeroipc_last_error():
 * ZEROIPC_ERROR_INVALID_ARGUMENT (NULL), ZEROIPC_ERROR_SIZE (a zero size
 * or capacity, a size that overflows, no room left), and every error of
 * zeroipc_table_add.
 */
zeroipc_array_t *zeroipc_array_create(zeroipc_memory_t *mem, const char *name,
                                      size_t elem_size, size_t capacity);

/*
 * Opens an existing array.  NULL on failure: the errors of
 * zeroipc_table_find, and ZEROIPC_ERROR_WRONG_KIND when the stored
 * capacity does not divide the entry's data exactly (zeroipc_array_validate).
 */
zeroipc_array_t *zeroipc_array_open(zeroipc_memory_t *mem, const char *name);

/* Frees the handle (not the array).  NULL is ignored. */
void zeroipc_array_close(zeroipc_array_t *arr);

/* The first element; its capacity; its element size.  NULL / 0 for NULL. */
void *zeroipc_array_data(zeroipc_array_t *arr);
size_t zeroipc_array_capacity(zeroipc_array_t *arr);
size_t zeroipc_array_elem_size(zeroipc_array_t *arr);

/* A pointer to element `index`, or NULL when index >= capacity. */
void *zeroipc_array_get(zeroipc_array_t *arr, size_t index);

/* Copies elem_size bytes from value into element `index`.
 * ZEROIPC_ERROR_INVALID_ARGUMENT for NULL, ZEROIPC_ERROR_SIZE out of range. */
int zeroipc_array_set(zeroipc_array_t *arr, size_t index, const void *value);

/*
 * Read-only check of `size` bytes at `s` as an array: the capacity is
 * non-zero and the data is exactly capacity * k bytes for some k >= 1.
 * Stores the element size in *elem_size (may be NULL).  Returns ZEROIPC_OK
 * or ZEROIPC_ERROR_WRONG_KIND.  Touches nothing but the header.
 */
int zeroipc_array_validate(const void *s, size_t size, size_t *elem_size);

/* Bytes an array of that shape occupies, or 0 if it overflows size_t. */
size_t zeroipc_array_footprint(size_t elem_size, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_ARRAY_H */
