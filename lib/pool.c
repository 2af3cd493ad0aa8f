/*
 * pool.c - a node pool with a generation-tagged free list (Treiber's
 * stack of indices), in the ZeroIPC v2 layout.
 *
 * free_head packs a generation above the index of the first free node.
 * Allocation reads the head, reads that node's `next` and CASes the head
 * to (generation + 1, next); freeing writes the node's `next` = the head's
 * index and CASes the head to (generation + 1, node).  The generation
 * changes on every successful CAS, so a CAS can only succeed when no other
 * one did since the head was read: the `next` the allocator read was then
 * the list's, not a value written by a later holder of that node (ABA).
 * Reading `next` of a node that has meanwhile been allocated is harmless:
 * it is an atomic word, and the CAS that would use the value fails.
 *
 * Ordering.  A free's CAS is a release: the node's `next` and the holder's
 * writes to the data are visible to whoever acquires the head after it
 * (the allocator's load and failed CAS both acquire, and later RMWs on the
 * head continue the release sequence).
 *
 * Trust.  Capacity, element size and stride are read once at open,
 * validated, and kept in the handle.  An index from free_head or from a
 * `next` is checked against the cached capacity before it is used; one
 * from a `next` is only called corrupt when the head is unchanged after
 * it was read (otherwise it may be a stale value of a node that is no
 * longer free, and the allocation simply retries).  `allocated` gates
 * frees (one that finds it 0 is refused) but is never a bound.
 *
 * Progress.  Both loops retry only after a failed CAS, or after finding
 * the head changed, i.e. after some other call succeeded: lock-free, so
 * a corrupt segment can make a call fail but never spin by itself.
 */
#include "zeroipc_pool.h"

#include <stdlib.h>
#include <string.h>

#include "memory_i.h"
#include "wait_i.h"

#define NONE ZEROIPC_POOL_NONE

/* Where a pool's parts are; built from a validated header. */
struct pview {
    _Atomic uint64_t *head;
    _Atomic uint32_t *allocated;
    uint8_t *nodes;
    uint32_t capacity;
    uint32_t elem_size;
    size_t stride;   /* bytes per node */
    size_t next_off; /* offset of `next` in a node: align4(elem_size) */
};

struct zeroipc_pool {
    struct pview v;
};

_Static_assert(sizeof(_Atomic uint64_t) == 8, "u64 atomics are 8 bytes");
_Static_assert(sizeof(_Atomic uint32_t) == 4, "u32 atomics are 4 bytes");

static bool align_ok(size_t a)
{
    return a == 1 || a == 2 || a == 4 || a == 8;
}

static uint64_t align4(uint64_t n)
{
    return (n + 3) & ~(uint64_t)3;
}

/* The node size of the C struct { T data; u32 next; } for sizeof T ==
 * elem_size and alignof T == elem_align (a valid alignment). */
static uint64_t node_stride(uint64_t elem_size, size_t elem_align)
{
    uint64_t a = elem_align > 4 ? elem_align : 4;
    uint64_t n = align4(elem_size) + 4;
    return (n + a - 1) & ~(a - 1);
}

size_t zeroipc_pool_footprint(size_t elem_size, size_t elem_align,
                              size_t capacity)
{
    if (!align_ok(elem_align) || elem_size == 0 || elem_size > UINT32_MAX ||
        elem_size % elem_align != 0 || capacity == 0 ||
        capacity > ZEROIPC_POOL_MAX_CAPACITY)
        return 0;
    /* stride < 2^33 and capacity <= 2^31: the product fits in 64 bits. */
    uint64_t total = ZEROIPC_POOL_HEADER_SIZE +
                     (uint64_t)capacity * node_stride(elem_size, elem_align);
    return total > SIZE_MAX / 2 ? 0 : (size_t)total;
}

static void fill_view(void *s, uint32_t capacity, uint32_t elem_size,
                      uint64_t stride, struct pview *v)
{
    uint8_t *b = s;
    v->head = (_Atomic uint64_t *)(void *)b;
    v->allocated = (_Atomic uint32_t *)(void *)(b + 8);
    v->nodes = b + ZEROIPC_POOL_HEADER_SIZE;
    v->capacity = capacity;
    v->elem_size = elem_size;
    v->stride = (size_t)stride;
    v->next_off = (size_t)align4(elem_size);
}

/*
 * Reads the immutable fields of the `size` bytes at s and, if they make a
 * pool with elements of alignment elem_align (0: any valid one), fills *v.
 */
static int view(void *s, size_t size, size_t elem_align, struct pview *v)
{
    if (elem_align != 0 && !align_ok(elem_align))
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    if (s == NULL || (uintptr_t)s % 8 != 0 || size < ZEROIPC_POOL_HEADER_SIZE)
        return ZEROIPC_ERROR_WRONG_KIND;
    uint32_t hdr[6];
    memcpy(hdr, s, sizeof hdr);
    uint32_t capacity = hdr[4], elem_size = hdr[5];
    if (capacity == 0 || capacity > ZEROIPC_POOL_MAX_CAPACITY || elem_size == 0)
        return ZEROIPC_ERROR_WRONG_KIND;
    uint64_t body = (uint64_t)size - ZEROIPC_POOL_HEADER_SIZE;
    if (body % capacity != 0)
        return ZEROIPC_ERROR_WRONG_KIND;
    uint64_t stride = body / capacity;
    static const size_t aligns[] = {1, 2, 4, 8};
    for (size_t i = 0; i < sizeof aligns / sizeof aligns[0]; i++) {
        size_t a = aligns[i];
        if ((elem_align != 0 && a != elem_align) || elem_size % a != 0)
            continue;
        if (node_stride(elem_size, a) == stride) {
            fill_view(s, capacity, elem_size, stride, v);
            return ZEROIPC_OK;
        }
    }
    return ZEROIPC_ERROR_WRONG_KIND;
}

int zeroipc_pool_validate(const void *s, size_t size, size_t elem_align)
{
    struct pview v;
    return view((void *)(uintptr_t)s, size, elem_align, &v);
}

static _Atomic uint32_t *next_of(const struct pview *v, uint32_t i)
{
    return (_Atomic uint32_t *)(void *)(v->nodes + (size_t)i * v->stride +
                                        v->next_off);
}

static uint64_t tagged(uint64_t old, uint32_t index)
{
    return ((old >> 32) + 1) << 32 | index;
}

static int do_alloc(const struct pview *v, uint32_t *out)
{
    uint64_t h = atomic_load_explicit(v->head, memory_order_acquire);
    for (unsigned round = 0;; round++) {
        uint32_t i = (uint32_t)h;
        if (i == NONE)
            return ZEROIPC_ERROR_SIZE;
        if (i >= v->capacity)
            return ZEROIPC_ERROR_CORRUPT;
        uint32_t next = atomic_load_explicit(next_of(v, i), memory_order_relaxed);
        if ((next != NONE && next >= v->capacity) || next == i) {
            /* Corrupt only if it is still the list's: the head unchanged
             * (with its generation) means no CAS happened since. */
            uint64_t again = atomic_load_explicit(v->head, memory_order_acquire);
            if (again == h)
                return ZEROIPC_ERROR_CORRUPT;
            h = again;
            continue;
        }
        if (atomic_compare_exchange_weak_explicit(v->head, &h, tagged(h, next),
                                                  memory_order_acq_rel,
                                                  memory_order_acquire)) {
            atomic_fetch_add_explicit(v->allocated, 1, memory_order_relaxed);
            *out = i;
            return ZEROIPC_OK;
        }
        zeroipc_backoff(round < 8 ? round : 8);
    }
}

/* Takes one from `allocated`, or says there is none to take. */
static bool take_allocated(const struct pview *v)
{
    uint32_t a = atomic_load_explicit(v->allocated, memory_order_relaxed);
    do {
        if (a == 0)
            return false;
    } while (!atomic_compare_exchange_weak_explicit(v->allocated, &a, a - 1,
                                                    memory_order_relaxed,
                                                    memory_order_relaxed));
    return true;
}

static int do_free(const struct pview *v, uint32_t index)
{
    if (index >= v->capacity)
        return ZEROIPC_ERROR_SIZE;
    if (!take_allocated(v))
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    _Atomic uint32_t *np = next_of(v, index);
    uint64_t h = atomic_load_explicit(v->head, memory_order_relaxed);
    for (unsigned round = 0;; round++) {
        uint32_t first = (uint32_t)h;
        int err = ZEROIPC_OK;
        if (first == index)
            err = ZEROIPC_ERROR_INVALID_ARGUMENT; /* already free */
        else if (first != NONE && first >= v->capacity)
            err = ZEROIPC_ERROR_CORRUPT;
        if (err != ZEROIPC_OK) {
            atomic_fetch_add_explicit(v->allocated, 1, memory_order_relaxed);
            return err;
        }
        atomic_store_explicit(np, first, memory_order_relaxed);
        /* Release: `next` and the holder's data before the node is free. */
        if (atomic_compare_exchange_weak_explicit(v->head, &h, tagged(h, index),
                                                  memory_order_release,
                                                  memory_order_relaxed))
            return ZEROIPC_OK;
        zeroipc_backoff(round < 8 ? round : 8);
    }
}

static void init_pool(void *p, const void *ctx)
{
    const uint64_t *shape = ctx; /* capacity, elem_size, stride */
    uint8_t *b = p;
    uint32_t cap = (uint32_t)shape[0], es = (uint32_t)shape[1];
    memcpy(b + 16, &cap, 4);
    memcpy(b + 20, &es, 4);
    struct pview v;
    fill_view(p, cap, es, shape[2], &v);
    atomic_init(v.head, 0);
    atomic_init(v.allocated, 0);
    for (uint32_t i = 0; i < cap; i++)
        atomic_init(next_of(&v, i), i + 1 < cap ? i + 1 : NONE);
}

static zeroipc_pool_t *handle(const struct pview *v)
{
    zeroipc_pool_t *p = malloc(sizeof *p);
    if (p == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_SYSTEM);
        return NULL;
    }
    p->v = *v;
    zeroipc_set_error(ZEROIPC_OK);
    return p;
}

zeroipc_pool_t *zeroipc_pool_create(zeroipc_memory_t *mem, const char *name,
                                    size_t elem_size, size_t elem_align,
                                    size_t capacity)
{
    if (mem == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
        return NULL;
    }
    if (!align_ok(elem_align) || (elem_size != 0 && elem_size % elem_align != 0)) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_INVALID_ARGUMENT);
        return NULL;
    }
    size_t size = zeroipc_pool_footprint(elem_size, elem_align, capacity);
    if (size == 0) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_SIZE);
        return NULL;
    }
    uint64_t shape[3] = {capacity, elem_size, node_stride(elem_size, elem_align)};
    size_t offset;
    if (zeroipc_table_add_init(mem, name, size, init_pool, shape, &offset) != ZEROIPC_OK)
        return NULL;
    struct pview v;
    fill_view((uint8_t *)zeroipc_memory_base(mem) + offset, (uint32_t)capacity,
              (uint32_t)elem_size, shape[2], &v);
    return handle(&v);
}

zeroipc_pool_t *zeroipc_pool_open(zeroipc_memory_t *mem, const char *name,
                                  size_t elem_align)
{
    void *s;
    size_t size;
    if (zeroipc_table_locate(mem, name, &s, &size) != ZEROIPC_OK)
        return NULL;
    struct pview v;
    int err = view(s, size, elem_align, &v);
    if (err != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, err);
        return NULL;
    }
    return handle(&v);
}

void zeroipc_pool_close(zeroipc_pool_t *p)
{
    free(p);
}

int zeroipc_pool_alloc(zeroipc_pool_t *p, uint32_t *index)
{
    if (p == NULL || index == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    return do_alloc(&p->v, index);
}

int zeroipc_pool_free(zeroipc_pool_t *p, uint32_t index)
{
    if (p == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    return do_free(&p->v, index);
}

void *zeroipc_pool_get(zeroipc_pool_t *p, uint32_t index)
{
    if (p == NULL || index >= p->v.capacity)
        return NULL;
    return p->v.nodes + (size_t)index * p->v.stride;
}

size_t zeroipc_pool_allocated(zeroipc_pool_t *p)
{
    if (p == NULL)
        return 0;
    uint32_t a = atomic_load_explicit(p->v.allocated, memory_order_relaxed);
    return a > p->v.capacity ? p->v.capacity : a;
}

size_t zeroipc_pool_capacity(zeroipc_pool_t *p)
{
    return p ? p->v.capacity : 0;
}

size_t zeroipc_pool_elem_size(zeroipc_pool_t *p)
{
    return p ? p->v.elem_size : 0;
}

size_t zeroipc_pool_stride(zeroipc_pool_t *p)
{
    return p ? p->v.stride : 0;
}
