/*
 * zeroipc_pool.h - a fixed pool of nodes, allocated and freed by index.
 *
 * Layout (FORMAT.md, "Pool - tagged free list"):
 *
 *   0   atomic u64 free_head  generation << 32 | index of the first free
 *                             node; index 0xFFFFFFFF when none is free
 *   8   atomic u32 allocated  nodes handed out and not yet freed
 *   12  u32 pad               0
 *   16  u32 capacity
 *   20  u32 elem_size
 *   24  capacity nodes        { T data; atomic u32 next; }
 *
 * A node is the C struct of its element T and a u32: `next` at
 * align4(elem_size), and the node size (the stride) that rounded up to
 * max(4, alignof T).  So an i32 pool has 8-byte nodes and an f64 pool
 * 16-byte ones, as the public C++ lays out Node<T>.  The format does not
 * record alignof T, so create and open take it (elem_align, the `align`
 * of a zeroipc_type_t from zeroipc_codec.h does); it is 1, 2, 4 or 8 and
 * divides elem_size.  A structure's offset is 8-aligned and the header 24
 * bytes, so the data of every node is aligned to elem_align.
 *
 * The free nodes form a list through `next`, its head in free_head.  At
 * creation every node is free: free_head = 0, node[i].next = i + 1 and
 * the last node's 0xFFFFFFFF.  Allocating pops the head and freeing pushes
 * a node back, each with one CAS on free_head that also increments its
 * generation, so a head that was popped and pushed back between a
 * caller's read and its CAS never matches (no ABA, short of exactly 2^32
 * operations in between).  `next` of an allocated node is left as it was
 * (the test vectors show the public C++ does the same), so it means
 * nothing until the node is freed again.  `allocated` is incremented
 * after a successful allocation and decremented by a free.
 *
 * Any number of processes may allocate and free at once; both are
 * lock-free (a failed CAS means some other call succeeded) and never
 * sleep.  A node's data belongs to whoever allocated it: the pool never
 * reads or writes it, and a free's CAS publishes the holder's writes to
 * the next allocator of that node.
 *
 * Bad frees.  The layout has no per-node "allocated" mark, and a mark
 * kept in `next` of allocated nodes would change bytes the other
 * implementations write (the vectors show allocated nodes keeping their
 * old `next`).  What a free can tell from the layout, and refuses with
 * ZEROIPC_ERROR_INVALID_ARGUMENT before it changes anything, is:
 *   - nothing is allocated (`allocated` is 0), such as any free on a
 *     fresh pool, or one free too many after the others were all freed;
 *   - the node is the first free node, such as a free immediately
 *     repeated, which would otherwise link the node to itself.
 * A free of a node deeper in the free list, while other nodes are
 * allocated, is NOT detected (finding it would mean walking the list,
 * which is O(capacity) and meaningless while others change it): it links
 * the node twice and the pool will later hand one node to two holders.
 * Freeing only what one allocated, once, is the caller's duty.
 *
 * Untrusted memory.  Capacity, element size and stride are validated once
 * at open and kept in the handle.  Every index read from free_head or a
 * node's `next` is checked against the cached capacity before use: an
 * index out of range is ZEROIPC_ERROR_CORRUPT, never an access outside
 * the pool.  `allocated` is never used as a bound (zeroipc_pool_allocated
 * clamps it to the capacity).  A list made circular by a foreign writer
 * or an undetected double free cannot make a call loop: every loop
 * iteration is a CAS that only fails when another call succeeded.
 */
#ifndef ZEROIPC_POOL_H
#define ZEROIPC_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "zeroipc_memory.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZEROIPC_POOL_HEADER_SIZE 24
#define ZEROIPC_POOL_MAX_CAPACITY (1u << 31)
/* The index that ends the free list (and is never a node). */
#define ZEROIPC_POOL_NONE 0xFFFFFFFFu

typedef struct zeroipc_pool zeroipc_pool_t;

/*
 * Creates the pool `name` of `capacity` nodes holding elements of
 * elem_size bytes aligned to elem_align; every node starts free.  NULL on
 * failure: ZEROIPC_ERROR_INVALID_ARGUMENT (mem NULL, elem_align not 1, 2,
 * 4 or 8, elem_size not a multiple of it), ZEROIPC_ERROR_SIZE (elem_size
 * 0 or over UINT32_MAX, capacity 0 or over ZEROIPC_POOL_MAX_CAPACITY,
 * overflow, no room), and every error of zeroipc_table_add.
 */
zeroipc_pool_t *zeroipc_pool_create(zeroipc_memory_t *mem, const char *name,
                                    size_t elem_size, size_t elem_align,
                                    size_t capacity);

/*
 * Opens an existing pool whose elements have alignment elem_align, or any
 * alignment when elem_align is 0: the stride (the size of the entry less
 * the header, over the capacity) must then be one that some alignment of
 * 1, 2, 4 or 8 gives; `next` is at align4(elem_size) either way.  NULL on
 * failure: the errors of zeroipc_table_find, ZEROIPC_ERROR_INVALID_ARGUMENT
 * for an elem_align other than 0, 1, 2, 4, 8, and ZEROIPC_ERROR_WRONG_KIND
 * (zeroipc_pool_validate).
 */
zeroipc_pool_t *zeroipc_pool_open(zeroipc_memory_t *mem, const char *name,
                                  size_t elem_align);

/* Frees the handle.  NULL is ignored. */
void zeroipc_pool_close(zeroipc_pool_t *p);

/*
 * Takes a free node and stores its index in *index.  Never blocks.
 * ZEROIPC_OK; ZEROIPC_ERROR_SIZE when every node is allocated;
 * ZEROIPC_ERROR_CORRUPT when free_head or the head node's `next` holds an
 * index out of range (or a node linked to itself); ZEROIPC_ERROR_INVALID_ARGUMENT
 * for NULL.  *index is written only on success.
 */
int zeroipc_pool_alloc(zeroipc_pool_t *p, uint32_t *index);

/*
 * Returns node `index` to the free list.  Never blocks.  ZEROIPC_OK;
 * ZEROIPC_ERROR_SIZE for an index >= capacity; ZEROIPC_ERROR_INVALID_ARGUMENT
 * for NULL and for a free detected as not matching an allocation (see "Bad
 * frees" above: nothing allocated, or the node is the first free one);
 * ZEROIPC_ERROR_CORRUPT when free_head holds an index out of range.  A
 * refused free changes nothing.
 */
int zeroipc_pool_free(zeroipc_pool_t *p, uint32_t index);

/*
 * The data of node `index` (elem_size bytes, aligned to elem_align), or
 * NULL for an index >= capacity or a NULL handle.  Whether the node is
 * allocated is not checked.  Valid while the segment stays mapped.
 */
void *zeroipc_pool_get(zeroipc_pool_t *p, uint32_t index);

/* Nodes allocated (clamped to the capacity; a snapshot). */
size_t zeroipc_pool_allocated(zeroipc_pool_t *p);
size_t zeroipc_pool_capacity(zeroipc_pool_t *p);
size_t zeroipc_pool_elem_size(zeroipc_pool_t *p);
/* Bytes from one node to the next. */
size_t zeroipc_pool_stride(zeroipc_pool_t *p);
/* 0 for a NULL handle in all four. */

/*
 * Read-only check of `size` bytes at `s` as a pool with elements aligned
 * to elem_align (0: any, as zeroipc_pool_open): `s` is 8-aligned, the
 * capacity is 1 to ZEROIPC_POOL_MAX_CAPACITY, elem_size non-zero (and a
 * multiple of elem_align), and `size` is exactly 24 + capacity * stride.
 * ZEROIPC_OK, ZEROIPC_ERROR_WRONG_KIND, or ZEROIPC_ERROR_INVALID_ARGUMENT
 * for an elem_align other than 0, 1, 2, 4, 8.  Reads only the immutable
 * header fields.
 */
int zeroipc_pool_validate(const void *s, size_t size, size_t elem_align);

/* Bytes a pool of that shape occupies, or 0 when the shape is impossible
 * (including an elem_align that create refuses). */
size_t zeroipc_pool_footprint(size_t elem_size, size_t elem_align,
                              size_t capacity);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_POOL_H */
