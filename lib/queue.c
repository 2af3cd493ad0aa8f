/*
 * queue.c - Vyukov's bounded MPMC queue, in the ZeroIPC v2 layout.
 *
 * Each slot i has a sequence word.  A slot is free for the push numbered t
 * when seq == t, and holds the element of push t once seq == t + 1; the
 * pop numbered h takes it when seq == h + 1 and frees it for the next lap
 * by storing h + capacity.  Producers race only on `tail` and consumers
 * only on `head`, each with one CAS; the sequence word hands a slot from
 * one side to the other with a release store that the other side
 * acquires, so the element's bytes are always visible before the slot is.
 * All counters wrap at 2^32 and are compared as signed differences.
 *
 * Sleeping.  The layout has no room for a waiter count, so a sleeper
 * sleeps on the very sequence word that will change when its slot
 * becomes usable, and the kernel's compare-and-sleep makes a lost wake
 * impossible for it.  What remains is to wake without making a system
 * call on every operation.  A consumer sleeps on slot h only after it read
 * head == h and found slot h unpublished; the producer of slot t = h
 * publishes, issues a full fence, and reads head: by the fences on both
 * sides (the kernel's, before its compare, and ours) it then reads a head
 * of at least h.  So "head >= t after publishing" is exactly when a
 * consumer can be asleep on this slot, which on a busy queue is rare.  The
 * same argument, mirrored with tail >= h + capacity, tells a consumer
 * when a producer can be asleep on a full queue.
 *
 * Trust.  Capacity and element size are read once at open, validated, and
 * kept in the handle; the counters may hold anything, but every index is
 * taken modulo the cached capacity, so they can stall the queue, never
 * lead outside it.
 */
#include "zeroipc_queue.h"

#include <stdlib.h>
#include <string.h>

#include "memory_i.h"
#include "queue_i.h"
#include "wait_i.h"

/* Where a queue's parts are; built from a validated header. */
struct qview {
    _Atomic uint32_t *head;
    _Atomic uint32_t *tail;
    uint8_t *data;
    _Atomic uint32_t *seq;
    uint32_t capacity;
    uint32_t elem_size;
};

struct zeroipc_queue {
    struct qview v;
};

/* What a failed try would have to wait for. */

static size_t seq_offset(uint32_t capacity, uint32_t elem_size)
{
    return ZEROIPC_QUEUE_HEADER_SIZE + zeroipc_align8((size_t)capacity * elem_size);
}

/* The stored capacity for a requested one: a power of two, and at least
 * 2, because with one slot "holds the element of push t" (seq == t + 1)
 * and "free for push t + 1" are the same sequence value, so a second push
 * would overwrite the first. */
static uint64_t round_pow2(uint64_t n)
{
    uint64_t p = 2;
    while (p < n)
        p <<= 1;
    return p;
}

size_t zeroipc_queue_footprint(size_t elem_size, size_t capacity)
{
    if (elem_size == 0 || elem_size > UINT32_MAX || capacity == 0 ||
        capacity > ZEROIPC_QUEUE_MAX_CAPACITY)
        return 0;
    uint64_t cap = round_pow2(capacity);
    /* Both factors are below 2^32, so the product fits in 64 bits. */
    uint64_t total = seq_offset((uint32_t)cap, (uint32_t)elem_size) + 4 * cap;
    return total > SIZE_MAX / 2 ? 0 : (size_t)total;
}

/* Reads the immutable fields and, if they make a queue, fills *v. */
static int view(void *s, struct qview *v)
{
    uint32_t hdr[4];
    memcpy(hdr, s, sizeof hdr);
    uint32_t capacity = hdr[2], elem_size = hdr[3];
    if (capacity < 2 || (capacity & (capacity - 1)) != 0 || elem_size == 0)
        return ZEROIPC_ERROR_WRONG_KIND;
    uint8_t *b = s;
    v->head = (_Atomic uint32_t *)(void *)b;
    v->tail = (_Atomic uint32_t *)(void *)(b + 4);
    v->data = b + ZEROIPC_QUEUE_HEADER_SIZE;
    v->seq = (_Atomic uint32_t *)(void *)(b + seq_offset(capacity, elem_size));
    v->capacity = capacity;
    v->elem_size = elem_size;
    return ZEROIPC_OK;
}

int zeroipc_queue_validate(const void *s, size_t size)
{
    struct qview v;
    if (s == NULL || size < ZEROIPC_QUEUE_HEADER_SIZE ||
        view((void *)(uintptr_t)s, &v) != ZEROIPC_OK)
        return ZEROIPC_ERROR_WRONG_KIND;
    if (zeroipc_queue_footprint(v.elem_size, v.capacity) != size)
        return ZEROIPC_ERROR_WRONG_KIND;
    return ZEROIPC_OK;
}

static int try_push(const struct qview *v, const void *value, struct zeroipc_qwait *w)
{
    uint32_t mask = v->capacity - 1;
    uint32_t t = atomic_load_explicit(v->tail, memory_order_relaxed);
    _Atomic uint32_t *sp;
    for (;;) {
        sp = &v->seq[t & mask];
        uint32_t s = atomic_load_explicit(sp, memory_order_acquire);
        int32_t d = (int32_t)(s - t);
        if (d == 0) {
            if (atomic_compare_exchange_weak_explicit(v->tail, &t, t + 1,
                                                      memory_order_relaxed,
                                                      memory_order_relaxed))
                break;
        } else if (d < 0) {
            w->word = sp;
            w->value = s;
            return ZEROIPC_ERROR_SIZE;
        } else {
            /* The slot was claimed at t, so tail has moved past t (the
             * claim's CAS precedes its publish, which we acquired): a tail
             * still at t means the words are impossible, and looking again
             * would look for ever. */
            uint32_t t2 = atomic_load_explicit(v->tail, memory_order_relaxed);
            if (t2 == t)
                return ZEROIPC_ERROR_CORRUPT;
            t = t2;
        }
    }
    memcpy(v->data + (size_t)(t & mask) * v->elem_size, value, v->elem_size);
    /* Release: the element's bytes before the slot's new sequence. */
    atomic_store_explicit(sp, t + 1, memory_order_release);
    /* Full fence: our publish before our read of head (see the essay). */
    atomic_thread_fence(memory_order_seq_cst);
    uint32_t h = atomic_load_explicit(v->head, memory_order_relaxed);
    if ((int32_t)(h - t) >= 0)
        zeroipc_wake_word(sp);
    return ZEROIPC_OK;
}

static int try_pop(const struct qview *v, void *out, struct zeroipc_qwait *w)
{
    uint32_t mask = v->capacity - 1;
    uint32_t h = atomic_load_explicit(v->head, memory_order_relaxed);
    _Atomic uint32_t *sp;
    for (;;) {
        sp = &v->seq[h & mask];
        uint32_t s = atomic_load_explicit(sp, memory_order_acquire);
        int32_t d = (int32_t)(s - (h + 1));
        if (d == 0) {
            if (atomic_compare_exchange_weak_explicit(v->head, &h, h + 1,
                                                      memory_order_relaxed,
                                                      memory_order_relaxed))
                break;
        } else if (d < 0) {
            w->word = sp;
            w->value = s;
            return ZEROIPC_ERROR_NOT_FOUND;
        } else {
            /* Popped at h already, so head has moved (as in try_push). */
            uint32_t h2 = atomic_load_explicit(v->head, memory_order_relaxed);
            if (h2 == h)
                return ZEROIPC_ERROR_CORRUPT;
            h = h2;
        }
    }
    memcpy(out, v->data + (size_t)(h & mask) * v->elem_size, v->elem_size);
    /* Release: our copy-out is done before producers may reuse the slot. */
    atomic_store_explicit(sp, h + v->capacity, memory_order_release);
    atomic_thread_fence(memory_order_seq_cst);
    uint32_t t = atomic_load_explicit(v->tail, memory_order_relaxed);
    if ((int32_t)(t - (h + v->capacity)) >= 0)
        zeroipc_wake_word(sp);
    return ZEROIPC_OK;
}

/* Copies n elements between the ring starting at slot index `from` and
 * the flat buffer `flat`, in at most two pieces (the ring wraps). */
static void copy_run(const struct qview *v, uint32_t from, uint8_t *flat, size_t n, bool out)
{
    uint32_t mask = v->capacity - 1, first = from & mask;
    size_t head = v->capacity - first < n ? v->capacity - first : n;
    uint8_t *slot = v->data + (size_t)first * v->elem_size;
    size_t a = head * v->elem_size, b = (n - head) * v->elem_size;
    if (out) {
        memcpy(flat, slot, a);
        memcpy(flat + a, v->data, b);
    } else {
        memcpy(slot, flat, a);
        memcpy(v->data, flat + a, b);
    }
}

/*
 * Batches.  The run of slots t .. t+k-1 is usable when each sequence word
 * says so; one CAS on the counter claims all of them.  Claiming fewer
 * than were seen is always safe, so the scan stops at the first slot that
 * is not ready.  Wakes follow the single-element rule slot by slot: a
 * consumer can sleep on slot s only after reading head == s, so after
 * publishing, the slots from t up to the head we read are the ones that
 * may have a sleeper.
 */
static size_t push_many(const struct qview *v, const uint8_t *values, size_t n)
{
    uint32_t mask = v->capacity - 1;
    uint32_t t = atomic_load_explicit(v->tail, memory_order_relaxed);
    size_t k;
    if (n == 0)
        return 0;
    for (;;) {
        size_t limit = n < v->capacity ? n : v->capacity;
        for (k = 0; k < limit; k++) {
            uint32_t s = atomic_load_explicit(&v->seq[(t + k) & mask], memory_order_acquire);
            if (s != t + (uint32_t)k)
                break;
        }
        if (k == 0) {
            uint32_t s = atomic_load_explicit(&v->seq[t & mask], memory_order_acquire);
            if ((int32_t)(s - t) < 0)
                return 0; /* full */
            /* Ahead: tail must have moved (see try_push), else corrupt,
             * which a count of 0 reports as "nothing moved". */
            uint32_t t2 = atomic_load_explicit(v->tail, memory_order_relaxed);
            if (t2 == t)
                return 0;
            t = t2;
            continue;
        }
        if (atomic_compare_exchange_weak_explicit(v->tail, &t, t + (uint32_t)k,
                                                  memory_order_relaxed, memory_order_relaxed))
            break;
    }
    copy_run(v, t, (uint8_t *)values, k, false);
    /* Release, slot by slot: each element's bytes before its sequence. */
    for (size_t i = 0; i < k; i++)
        atomic_store_explicit(&v->seq[(t + i) & mask], t + (uint32_t)i + 1, memory_order_release);
    atomic_thread_fence(memory_order_seq_cst);
    uint32_t h = atomic_load_explicit(v->head, memory_order_relaxed);
    for (uint32_t s = t; (int32_t)(h - s) >= 0 && s != t + (uint32_t)k; s++)
        zeroipc_wake_word(&v->seq[s & mask]);
    return k;
}

static size_t pop_many(const struct qview *v, uint8_t *out, size_t max)
{
    uint32_t mask = v->capacity - 1;
    uint32_t h = atomic_load_explicit(v->head, memory_order_relaxed);
    size_t k;
    if (max == 0)
        return 0;
    for (;;) {
        size_t limit = max < v->capacity ? max : v->capacity;
        for (k = 0; k < limit; k++) {
            uint32_t s = atomic_load_explicit(&v->seq[(h + k) & mask], memory_order_acquire);
            if (s != h + (uint32_t)k + 1)
                break;
        }
        if (k == 0) {
            uint32_t s = atomic_load_explicit(&v->seq[h & mask], memory_order_acquire);
            if ((int32_t)(s - (h + 1)) < 0)
                return 0; /* empty */
            uint32_t h2 = atomic_load_explicit(v->head, memory_order_relaxed);
            if (h2 == h)
                return 0; /* corrupt, as in push_many */
            h = h2;
            continue;
        }
        if (atomic_compare_exchange_weak_explicit(v->head, &h, h + (uint32_t)k,
                                                  memory_order_relaxed, memory_order_relaxed))
            break;
    }
    copy_run(v, h, out, k, true);
    /* Release: our copy-out is done before producers may reuse the slots. */
    for (size_t i = 0; i < k; i++)
        atomic_store_explicit(&v->seq[(h + i) & mask], h + (uint32_t)i + v->capacity,
                              memory_order_release);
    atomic_thread_fence(memory_order_seq_cst);
    /* A producer sleeps on slot s only after reading tail == s + capacity. */
    uint32_t t = atomic_load_explicit(v->tail, memory_order_relaxed);
    for (uint32_t s = h; (int32_t)(t - (s + v->capacity)) >= 0 && s != h + (uint32_t)k; s++)
        zeroipc_wake_word(&v->seq[s & mask]);
    return k;
}

int zeroipc_queue_peek(zeroipc_queue_t *q, void *out)
{
    if (q == NULL || out == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    const struct qview *v = &q->v;
    uint32_t mask = v->capacity - 1;
    for (unsigned round = 0; round < 64; round++) {
        uint32_t h = atomic_load_explicit(v->head, memory_order_acquire);
        _Atomic uint32_t *sp = &v->seq[h & mask];
        uint32_t s = atomic_load_explicit(sp, memory_order_acquire);
        if ((int32_t)(s - (h + 1)) < 0)
            return ZEROIPC_ERROR_NOT_FOUND;
        if (s == h + 1) {
            memcpy(out, v->data + (size_t)(h & mask) * v->elem_size, v->elem_size);
            /* The copy is good if the slot was neither popped nor refilled
             * while we read it. */
            atomic_thread_fence(memory_order_acquire);
            if (atomic_load_explicit(sp, memory_order_relaxed) == s &&
                atomic_load_explicit(v->head, memory_order_relaxed) == h)
                return ZEROIPC_OK;
        }
        zeroipc_backoff(round);
    }
    return ZEROIPC_ERROR_TIMEOUT;
}

size_t zeroipc_queue_push_many(zeroipc_queue_t *q, const void *values, size_t n)
{
    if (q == NULL || values == NULL)
        return 0;
    return push_many(&q->v, values, n);
}

size_t zeroipc_queue_pop_many(zeroipc_queue_t *q, void *out, size_t max)
{
    if (q == NULL || out == NULL)
        return 0;
    return pop_many(&q->v, out, max);
}

typedef int (*qtry_fn)(const struct qview *, void *, struct zeroipc_qwait *);

/* Retries `try` until it succeeds or the deadline passes, sleeping on the
 * slot it reports between tries. */
static int blocking(const struct qview *v, qtry_fn try, void *buf, int32_t timeout_ms)
{
    struct zeroipc_deadline dl;
    zeroipc_deadline_init(&dl, timeout_ms);
    for (;;) {
        struct zeroipc_qwait w;
        int err = try(v, buf, &w);
        if (err == ZEROIPC_OK || err == ZEROIPC_ERROR_CORRUPT)
            return err;
        /* Pairs with the producer's (consumer's) fence after publishing. */
        atomic_thread_fence(memory_order_seq_cst);
        if (zeroipc_wait_word(w.word, w.value, &dl) == ZEROIPC_ERROR_TIMEOUT)
            return ZEROIPC_ERROR_TIMEOUT;
    }
}

static int push_fn(const struct qview *v, void *value, struct zeroipc_qwait *w)
{
    return try_push(v, value, w);
}

void zeroipc_queue_init(void *p, const void *ctx)
{
    const uint32_t *shape = ctx; /* capacity, elem_size */
    uint32_t *hdr = p;
    hdr[2] = shape[0];
    hdr[3] = shape[1];
    struct qview v = {0}; /* view() cannot fail here: the shape was checked */
    view(p, &v);
    for (uint32_t i = 0; i < v.capacity; i++)
        atomic_init(&v.seq[i], i);
}

static zeroipc_queue_t *handle(void *s)
{
    zeroipc_queue_t *q = malloc(sizeof *q);
    if (q == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_SYSTEM);
        return NULL;
    }
    view(s, &q->v);
    zeroipc_set_error(ZEROIPC_OK);
    return q;
}

zeroipc_queue_t *zeroipc_queue_create(zeroipc_memory_t *mem, const char *name,
                                      size_t elem_size, size_t capacity)
{
    if (mem == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
        return NULL;
    }
    size_t size = zeroipc_queue_footprint(elem_size, capacity);
    if (size == 0) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_SIZE);
        return NULL;
    }
    uint32_t shape[2] = {(uint32_t)round_pow2(capacity), (uint32_t)elem_size};
    size_t offset;
    if (zeroipc_table_add_init(mem, name, size, zeroipc_queue_init, shape, &offset) != ZEROIPC_OK)
        return NULL;
    return handle((uint8_t *)zeroipc_memory_base(mem) + offset);
}

zeroipc_queue_t *zeroipc_queue_open(zeroipc_memory_t *mem, const char *name)
{
    void *s;
    size_t size;
    if (zeroipc_table_locate(mem, name, &s, &size) != ZEROIPC_OK)
        return NULL;
    if (zeroipc_queue_validate(s, size) != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_WRONG_KIND);
        return NULL;
    }
    return handle(s);
}

void zeroipc_queue_close(zeroipc_queue_t *q)
{
    free(q);
}

int zeroipc_queue_push(zeroipc_queue_t *q, const void *value)
{
    if (q == NULL || value == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    struct zeroipc_qwait w;
    return try_push(&q->v, value, &w);
}

int zeroipc_queue_pop(zeroipc_queue_t *q, void *out)
{
    if (q == NULL || out == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    struct zeroipc_qwait w;
    return try_pop(&q->v, out, &w);
}

int zeroipc_queue_push_timeout(zeroipc_queue_t *q, const void *value, int32_t timeout_ms)
{
    if (q == NULL || value == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    return blocking(&q->v, push_fn, (void *)(uintptr_t)value, timeout_ms);
}

int zeroipc_queue_pop_timeout(zeroipc_queue_t *q, void *out, int32_t timeout_ms)
{
    if (q == NULL || out == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    return blocking(&q->v, try_pop, out, timeout_ms);
}

int zeroipc_queue_push_wait(zeroipc_queue_t *q, const void *value)
{
    return zeroipc_queue_push_timeout(q, value, -1);
}

int zeroipc_queue_pop_wait(zeroipc_queue_t *q, void *out)
{
    return zeroipc_queue_pop_timeout(q, out, -1);
}

static uint32_t count(const struct qview *v)
{
    uint32_t h = atomic_load_explicit(v->head, memory_order_acquire);
    uint32_t t = atomic_load_explicit(v->tail, memory_order_acquire);
    int32_t d = (int32_t)(t - h);
    if (d < 0)
        return 0;
    return (uint32_t)d > v->capacity ? v->capacity : (uint32_t)d;
}

int zeroipc_queue_empty(zeroipc_queue_t *q)
{
    return q ? count(&q->v) == 0 : ZEROIPC_ERROR_INVALID_ARGUMENT;
}

int zeroipc_queue_full(zeroipc_queue_t *q)
{
    return q ? count(&q->v) == q->v.capacity : ZEROIPC_ERROR_INVALID_ARGUMENT;
}

size_t zeroipc_queue_size(zeroipc_queue_t *q)
{
    return q ? count(&q->v) : 0;
}

size_t zeroipc_queue_capacity(zeroipc_queue_t *q)
{
    return q ? q->v.capacity : 0;
}

size_t zeroipc_queue_elem_size(zeroipc_queue_t *q)
{
    return q ? q->v.elem_size : 0;
}

/* Offset-based calls: the header is re-validated on every call, since
 * these have no handle to cache it in. */
static int raw_view(void *base, size_t offset, struct qview *v)
{
    if (base == NULL || ((uintptr_t)base + offset) % 8 != 0)
        return -3;
    return view((uint8_t *)base + offset, v) == ZEROIPC_OK ? 0 : -3;
}

static int raw_op(void *base, size_t offset, void *value, uint32_t elem_size, qtry_fn try)
{
    struct qview v;
    if (value == NULL || raw_view(base, offset, &v) != 0)
        return -3;
    if (v.elem_size != elem_size)
        return -2;
    struct zeroipc_qwait w;
    int r = try(&v, value, &w);
    return r == ZEROIPC_OK ? 0 : r == ZEROIPC_ERROR_CORRUPT ? -3 : -1;
}

int zeroipc_raw_queue_push(void *base, size_t offset, const void *value, uint32_t elem_size)
{
    return raw_op(base, offset, (void *)(uintptr_t)value, elem_size, push_fn);
}

int zeroipc_raw_queue_pop(void *base, size_t offset, void *value, uint32_t elem_size)
{
    return raw_op(base, offset, value, elem_size, try_pop);
}

size_t zeroipc_raw_queue_size(void *base, size_t offset)
{
    struct qview v;
    return raw_view(base, offset, &v) == 0 ? count(&v) : 0;
}

int zeroipc_raw_queue_empty(void *base, size_t offset)
{
    struct qview v;
    return raw_view(base, offset, &v) == 0 ? count(&v) == 0 : -3;
}

int zeroipc_raw_queue_full(void *base, size_t offset)
{
    struct qview v;
    return raw_view(base, offset, &v) == 0 ? count(&v) == v.capacity : -3;
}

int zeroipc_queue_try_push_w(zeroipc_queue_t *q, const void *value, struct zeroipc_qwait *w)
{
    return try_push(&q->v, value, w);
}

int zeroipc_queue_try_pop_w(zeroipc_queue_t *q, void *out, struct zeroipc_qwait *w)
{
    return try_pop(&q->v, out, w);
}

void zeroipc_queue_wake_ends(zeroipc_queue_t *q)
{
    uint32_t mask = q->v.capacity - 1;
    zeroipc_wake_word(&q->v.seq[atomic_load_explicit(q->v.head, memory_order_relaxed) & mask]);
    zeroipc_wake_word(&q->v.seq[atomic_load_explicit(q->v.tail, memory_order_relaxed) & mask]);
}
