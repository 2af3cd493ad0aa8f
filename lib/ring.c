/*
 * ring.c - the single-producer single-consumer byte ring, in the ZeroIPC
 * v2 layout.
 *
 * write_pos and read_pos count bytes since creation and only grow.  The
 * producer alone stores write_pos and the consumer alone read_pos, so
 * neither needs a CAS: each side reads its own position (no one else
 * moves it), reads the other's with acquire, copies, and publishes its
 * new position with a release store.  The producer's release of
 * write_pos makes the bytes it wrote visible to the consumer's acquire;
 * the consumer's release of read_pos makes its copy-out happen before the
 * producer, having acquired it, overwrites those bytes.
 *
 * Sleeping.  The layout has no room for a waiter count, so a sleeper
 * sleeps on the low 32 bits of the very position that will move when it
 * can go on (a futex compares 32-bit words; on this little-endian format
 * they are the first four bytes of the u64).  One write or read moves a
 * position by 1 .. capacity < 2^32 bytes, so the low word always changes
 * with it.  The kernel's compare-and-sleep makes a lost wake impossible
 * for the sleeper; what remains is to wake without making a system call
 * on every operation.
 *
 * A consumer sleeps on write_pos only after it read write_pos == read_pos
 * == w (its own read_pos, stored earlier), then a full fence.  The
 * producer of the bytes at w publishes write_pos = w + k, issues a full
 * fence, and reads read_pos.  This is the store-buffering pattern with a
 * fence on each side: either the sleeper's futex compare sees w + k (and
 * it does not sleep), or the producer's read sees read_pos == w.  So
 * "read_pos == the old write_pos after publishing" - the ring was empty
 * for the consumer - is exactly when a consumer can be asleep, and only
 * then does the producer call the kernel.  Mirrored: a producer sleeps on
 * read_pos only after seeing fewer than elem_size bytes free with its own
 * write_pos already stored; the consumer, after publishing read_pos = r +
 * k, fences and reads write_pos, and wakes when write_pos - r left no room
 * for an element: the ring was full for the producer.
 *
 * Trust.  Capacity and element size are read once at open, validated, and
 * kept in the handle.  The positions may hold anything.  Each side checks
 * the distance it reads: write_pos - read_pos must be at most capacity and
 * a whole number of elements.  For the two legitimate callers that check
 * is exact, not a heuristic: the producer reads its own write_pos and a
 * read_pos that cannot pass it, the consumer its own read_pos and a
 * write_pos that cannot get more than capacity ahead of it.  Anything else
 * is ZEROIPC_ERROR_CORRUPT.  Every offset is a position modulo the cached
 * capacity and every copy at most capacity bytes, split where it meets
 * the end of the buffer, so no value of the positions leads outside it.
 */
#include "zeroipc_ring.h"

#include <stdlib.h>
#include <string.h>

#include "memory_i.h"
#include "wait_i.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the ring sleeps on the low 32 bits of a u64: little-endian only"
#endif

_Static_assert(sizeof(_Atomic uint64_t) == 8, "u64 positions");

#define OFF_WRITE 0
#define OFF_READ 8
#define OFF_CAPACITY 16
#define OFF_ELEM 20

/* Where a ring's parts are; built from a validated header. */
struct rview {
    _Atomic uint64_t *wpos;
    _Atomic uint64_t *rpos;
    uint8_t *data;
    uint32_t capacity; /* bytes, a non-zero multiple of elem_size */
    uint32_t elem_size;
};

struct zeroipc_ring {
    struct rview v;
};

/* What a failed try would have to wait for. */
struct rwait {
    _Atomic uint32_t *word;
    uint32_t value;
};

/* The low 32 bits of a position: the futex word. */
static _Atomic uint32_t *low_word(_Atomic uint64_t *pos)
{
    return (_Atomic uint32_t *)(void *)pos;
}

size_t zeroipc_ring_footprint(size_t elem_size, size_t capacity_elems)
{
    if (elem_size == 0 || capacity_elems == 0 ||
        capacity_elems > ZEROIPC_RING_MAX_BYTES / elem_size ||
        capacity_elems * elem_size > SIZE_MAX - ZEROIPC_RING_HEADER_SIZE)
        return 0;
    return ZEROIPC_RING_HEADER_SIZE + capacity_elems * elem_size;
}

/* Reads the immutable fields and, if they make a ring, fills *v. */
static int view(void *s, struct rview *v)
{
    uint32_t capacity, elem_size;
    memcpy(&capacity, (uint8_t *)s + OFF_CAPACITY, sizeof capacity);
    memcpy(&elem_size, (uint8_t *)s + OFF_ELEM, sizeof elem_size);
    if (elem_size == 0 || capacity == 0 || capacity % elem_size != 0)
        return ZEROIPC_ERROR_WRONG_KIND;
    uint8_t *b = s;
    v->wpos = (_Atomic uint64_t *)(void *)(b + OFF_WRITE);
    v->rpos = (_Atomic uint64_t *)(void *)(b + OFF_READ);
    v->data = b + ZEROIPC_RING_HEADER_SIZE;
    v->capacity = capacity;
    v->elem_size = elem_size;
    return ZEROIPC_OK;
}

int zeroipc_ring_validate(const void *s, size_t size)
{
    struct rview v;
    if (s == NULL || size < ZEROIPC_RING_HEADER_SIZE ||
        view((void *)(uintptr_t)s, &v) != ZEROIPC_OK)
        return ZEROIPC_ERROR_WRONG_KIND;
    if (size != ZEROIPC_RING_HEADER_SIZE + (size_t)v.capacity)
        return ZEROIPC_ERROR_WRONG_KIND;
    return ZEROIPC_OK;
}

/* Bytes held between the positions, or -1 when they cannot be a ring's. */
static int64_t held(const struct rview *v, uint64_t w, uint64_t r)
{
    uint64_t used = w - r; /* modulo 2^64: read_pos ahead shows as huge */
    if (used > v->capacity || used % v->elem_size != 0)
        return -1;
    return (int64_t)used;
}

/* Copies len <= capacity bytes between the buffer, from position pos on,
 * and the flat buffer `flat`, in at most two pieces. */
static void copy_run(const struct rview *v, uint64_t pos, uint8_t *flat,
                     size_t len, bool out)
{
    size_t first = (size_t)(pos % v->capacity);
    size_t a = v->capacity - first < len ? v->capacity - first : len;
    if (out) {
        memcpy(flat, v->data + first, a);
        memcpy(flat + a, v->data, len - a);
    } else {
        memcpy(v->data + first, flat, a);
        memcpy(v->data, flat + a, len - a);
    }
}

/*
 * The producer's step: writes as many of the n elements at `src` as fit.
 * ZEROIPC_OK with *moved >= 1, ZEROIPC_ERROR_SIZE when not one fits (and
 * *w says what to sleep on), ZEROIPC_ERROR_CORRUPT.  n >= 1.
 */
static int try_write(const struct rview *v, const uint8_t *src, size_t n,
                     size_t *moved, struct rwait *w)
{
    uint64_t wp = atomic_load_explicit(v->wpos, memory_order_relaxed);
    /* Acquire: the consumer's copy-out before we overwrite its bytes. */
    uint64_t rp = atomic_load_explicit(v->rpos, memory_order_acquire);
    int64_t used = held(v, wp, rp);
    if (used < 0)
        return ZEROIPC_ERROR_CORRUPT;
    size_t room = (v->capacity - (size_t)used) / v->elem_size;
    if (room == 0) {
        w->word = low_word(v->rpos);
        w->value = (uint32_t)rp;
        return ZEROIPC_ERROR_SIZE;
    }
    size_t k = n < room ? n : room;
    size_t len = k * v->elem_size; /* <= capacity */
    copy_run(v, wp, (uint8_t *)(uintptr_t)src, len, false);
    /* Release: the bytes before the position that shows them. */
    atomic_store_explicit(v->wpos, wp + len, memory_order_release);
    /* Full fence: our publish before our read of read_pos (see above). */
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(v->rpos, memory_order_relaxed) == wp)
        zeroipc_wake_word(low_word(v->wpos)); /* it was empty */
    *moved = k;
    return ZEROIPC_OK;
}

/* The consumer's step, mirrored: NOT_FOUND when empty.  max >= 1. */
static int try_read(const struct rview *v, uint8_t *dst, size_t max,
                    size_t *moved, struct rwait *w)
{
    uint64_t rp = atomic_load_explicit(v->rpos, memory_order_relaxed);
    /* Acquire: the producer's bytes before we copy them out. */
    uint64_t wp = atomic_load_explicit(v->wpos, memory_order_acquire);
    int64_t used = held(v, wp, rp);
    if (used < 0)
        return ZEROIPC_ERROR_CORRUPT;
    size_t have = (size_t)used / v->elem_size;
    if (have == 0) {
        w->word = low_word(v->wpos);
        w->value = (uint32_t)wp;
        return ZEROIPC_ERROR_NOT_FOUND;
    }
    size_t k = max < have ? max : have;
    size_t len = k * v->elem_size;
    copy_run(v, rp, dst, len, true);
    /* Release: our copy-out before the producer may reuse the bytes. */
    atomic_store_explicit(v->rpos, rp + len, memory_order_release);
    atomic_thread_fence(memory_order_seq_cst);
    /* A producer sleeps only when it saw fewer than elem_size bytes free:
     * write_pos - rp > capacity - elem_size. */
    uint64_t w2 = atomic_load_explicit(v->wpos, memory_order_relaxed);
    if (w2 - rp > (uint64_t)(v->capacity - v->elem_size))
        zeroipc_wake_word(low_word(v->rpos)); /* it was full */
    *moved = k;
    return ZEROIPC_OK;
}

typedef int (*rtry_fn)(const struct rview *, uint8_t *, size_t, size_t *,
                       struct rwait *);

static int write_fn(const struct rview *v, uint8_t *buf, size_t n,
                    size_t *moved, struct rwait *w)
{
    return try_write(v, buf, n, moved, w);
}

/* Retries `try` until it moves something, fails for good, or the deadline
 * passes, sleeping on the word it reports between tries. */
static int blocking(const struct rview *v, rtry_fn try, uint8_t *buf,
                    size_t n, size_t *moved, int32_t timeout_ms)
{
    struct zeroipc_deadline dl;
    zeroipc_deadline_init(&dl, timeout_ms);
    for (;;) {
        struct rwait w;
        int err = try(v, buf, n, moved, &w);
        if (err != ZEROIPC_ERROR_SIZE && err != ZEROIPC_ERROR_NOT_FOUND)
            return err;
        /* Pairs with the other side's fence after publishing. */
        atomic_thread_fence(memory_order_seq_cst);
        if (zeroipc_wait_word(w.word, w.value, &dl) == ZEROIPC_ERROR_TIMEOUT)
            return ZEROIPC_ERROR_TIMEOUT;
    }
}

static void init_ring(void *p, const void *ctx)
{
    const uint32_t *shape = ctx; /* capacity in bytes, elem_size */
    uint8_t *b = p;
    /* The positions are zero: the allocation is zeroed. */
    memcpy(b + OFF_CAPACITY, &shape[0], sizeof shape[0]);
    memcpy(b + OFF_ELEM, &shape[1], sizeof shape[1]);
}

static zeroipc_ring_t *handle(void *s)
{
    zeroipc_ring_t *r = malloc(sizeof *r);
    if (r == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_SYSTEM);
        return NULL;
    }
    view(s, &r->v);
    zeroipc_set_error(ZEROIPC_OK);
    return r;
}

zeroipc_ring_t *zeroipc_ring_create(zeroipc_memory_t *mem, const char *name,
                                    size_t elem_size, size_t capacity_elems)
{
    if (mem == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
        return NULL;
    }
    size_t size = zeroipc_ring_footprint(elem_size, capacity_elems);
    if (size == 0) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_SIZE);
        return NULL;
    }
    uint32_t shape[2] = {(uint32_t)(capacity_elems * elem_size),
                         (uint32_t)elem_size};
    size_t offset;
    if (zeroipc_table_add_init(mem, name, size, init_ring, shape, &offset) != ZEROIPC_OK)
        return NULL;
    return handle((uint8_t *)zeroipc_memory_base(mem) + offset);
}

zeroipc_ring_t *zeroipc_ring_create_bytes(zeroipc_memory_t *mem,
                                          const char *name, size_t elem_size,
                                          size_t capacity_bytes)
{
    if (mem != NULL && elem_size == 0) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_SIZE);
        return NULL;
    }
    if (capacity_bytes > ZEROIPC_RING_MAX_BYTES)
        capacity_bytes = ZEROIPC_RING_MAX_BYTES;
    /* capacity_bytes / elem_size == 0 is refused by zeroipc_ring_create. */
    return zeroipc_ring_create(mem, name, elem_size,
                               elem_size ? capacity_bytes / elem_size : 0);
}

zeroipc_ring_t *zeroipc_ring_open(zeroipc_memory_t *mem, const char *name)
{
    void *s;
    size_t size;
    if (zeroipc_table_locate(mem, name, &s, &size) != ZEROIPC_OK)
        return NULL;
    if (zeroipc_ring_validate(s, size) != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_WRONG_KIND);
        return NULL;
    }
    if ((uintptr_t)s % 8 != 0) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_CORRUPT);
        return NULL;
    }
    return handle(s);
}

void zeroipc_ring_close(zeroipc_ring_t *r)
{
    free(r);
}

int zeroipc_ring_write_spsc(zeroipc_ring_t *r, const void *value)
{
    if (r == NULL || value == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    struct rwait w;
    size_t moved;
    return try_write(&r->v, value, 1, &moved, &w);
}

int zeroipc_ring_read_spsc(zeroipc_ring_t *r, void *out)
{
    if (r == NULL || out == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    struct rwait w;
    size_t moved;
    return try_read(&r->v, out, 1, &moved, &w);
}

int zeroipc_ring_peek_spsc(zeroipc_ring_t *r, void *out)
{
    if (r == NULL || out == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    const struct rview *v = &r->v;
    uint64_t rp = atomic_load_explicit(v->rpos, memory_order_relaxed);
    uint64_t wp = atomic_load_explicit(v->wpos, memory_order_acquire);
    int64_t used = held(v, wp, rp);
    if (used < 0)
        return ZEROIPC_ERROR_CORRUPT;
    if (used == 0)
        return ZEROIPC_ERROR_NOT_FOUND;
    /* Only we (the consumer) free bytes, so these stay put while we copy. */
    copy_run(v, rp, out, v->elem_size, true);
    return ZEROIPC_OK;
}

int zeroipc_ring_write_timeout_spsc(zeroipc_ring_t *r, const void *value,
                                    int32_t timeout_ms)
{
    if (r == NULL || value == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    size_t moved;
    return blocking(&r->v, write_fn, (uint8_t *)(uintptr_t)value, 1, &moved,
                    timeout_ms);
}

int zeroipc_ring_read_timeout_spsc(zeroipc_ring_t *r, void *out,
                                   int32_t timeout_ms)
{
    if (r == NULL || out == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    size_t moved;
    return blocking(&r->v, try_read, out, 1, &moved, timeout_ms);
}

int zeroipc_ring_write_wait_spsc(zeroipc_ring_t *r, const void *value)
{
    return zeroipc_ring_write_timeout_spsc(r, value, -1);
}

int zeroipc_ring_read_wait_spsc(zeroipc_ring_t *r, void *out)
{
    return zeroipc_ring_read_timeout_spsc(r, out, -1);
}

size_t zeroipc_ring_write_many_spsc(zeroipc_ring_t *r, const void *values,
                                    size_t n)
{
    if (r == NULL || values == NULL || n == 0)
        return 0;
    struct rwait w;
    size_t moved = 0;
    return try_write(&r->v, values, n, &moved, &w) == ZEROIPC_OK ? moved : 0;
}

size_t zeroipc_ring_read_many_spsc(zeroipc_ring_t *r, void *out, size_t max)
{
    if (r == NULL || out == NULL || max == 0)
        return 0;
    struct rwait w;
    size_t moved = 0;
    return try_read(&r->v, out, max, &moved, &w) == ZEROIPC_OK ? moved : 0;
}

static int many_blocking(zeroipc_ring_t *r, rtry_fn try, uint8_t *buf,
                         size_t n, size_t *moved, int32_t timeout_ms)
{
    if (moved != NULL)
        *moved = 0;
    if (r == NULL || buf == NULL || moved == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    if (n == 0)
        return ZEROIPC_OK;
    size_t k = 0;
    int err = blocking(&r->v, try, buf, n, &k, timeout_ms);
    if (err == ZEROIPC_OK)
        *moved = k;
    return err;
}

int zeroipc_ring_write_many_timeout_spsc(zeroipc_ring_t *r, const void *values,
                                         size_t n, size_t *moved,
                                         int32_t timeout_ms)
{
    return many_blocking(r, write_fn, (uint8_t *)(uintptr_t)values, n, moved,
                         timeout_ms);
}

int zeroipc_ring_read_many_timeout_spsc(zeroipc_ring_t *r, void *out,
                                        size_t max, size_t *moved,
                                        int32_t timeout_ms)
{
    return many_blocking(r, try_read, out, max, moved, timeout_ms);
}

int zeroipc_ring_write_many_wait_spsc(zeroipc_ring_t *r, const void *values,
                                      size_t n, size_t *moved)
{
    return zeroipc_ring_write_many_timeout_spsc(r, values, n, moved, -1);
}

int zeroipc_ring_read_many_wait_spsc(zeroipc_ring_t *r, void *out,
                                     size_t max, size_t *moved)
{
    return zeroipc_ring_read_many_timeout_spsc(r, out, max, moved, -1);
}

/* Bytes held, as a third party sees them: read_pos first, so that
 * write_pos, read later, is not behind it; clamped to the capacity, since
 * both may have moved between the two loads. */
static uint64_t count_bytes(const struct rview *v)
{
    uint64_t rp = atomic_load_explicit(v->rpos, memory_order_acquire);
    uint64_t wp = atomic_load_explicit(v->wpos, memory_order_acquire);
    uint64_t used = wp - rp;
    return used > v->capacity ? v->capacity : used;
}

size_t zeroipc_ring_size(zeroipc_ring_t *r)
{
    return r ? (size_t)(count_bytes(&r->v) / r->v.elem_size) : 0;
}

int zeroipc_ring_empty(zeroipc_ring_t *r)
{
    if (r == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    return count_bytes(&r->v) / r->v.elem_size == 0;
}

int zeroipc_ring_full(zeroipc_ring_t *r)
{
    if (r == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    return r->v.capacity - count_bytes(&r->v) < r->v.elem_size;
}

size_t zeroipc_ring_capacity(zeroipc_ring_t *r)
{
    return r ? r->v.capacity / r->v.elem_size : 0;
}

size_t zeroipc_ring_capacity_bytes(zeroipc_ring_t *r)
{
    return r ? r->v.capacity : 0;
}

size_t zeroipc_ring_elem_size(zeroipc_ring_t *r)
{
    return r ? r->v.elem_size : 0;
}
