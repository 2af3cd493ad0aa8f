/*
 * stack.c - the bounded MPMC stack with four-state slots.
 *
 * `top` is the index of the highest claimed slot.  Moving it is the
 * linearization point of both operations; the slot states then hand the
 * slot's bytes over: a pusher that moved top to i owns slot i once it
 * turns it EMPTY->WRITING, and publishes it with a release store of
 * READY; a popper that moved top below i owns it once it turns it
 * READY->READING, and frees it with a release store of EMPTY.  Between
 * the move and the claim the slot may still belong to a peer halfway
 * through the opposite operation, so the claim waits, with backoff, for
 * at most ZEROIPC_STACK_CLAIM_MS.  A peer that never finishes (it died)
 * then makes us report a timeout rather than hang, and repair what it
 * left (see try_push and try_pop): a hole below top or an element above
 * it (it died between moving top and claiming) is stepped over so that
 * nothing stays out of reach; a slot still WRITING or READING (it died
 * copying) is taken over.
 *
 * Sleepers (the _wait calls) sleep on `top` itself: an empty stack has
 * top == -1 and a full one top == capacity - 1, and only the operation
 * that moves top off that value needs to wake anybody, so ordinary
 * operations make no system call.
 *
 * Trust: capacity and element size are read once and cached; a `top`
 * outside [-1, capacity) is reported as corrupt and never used as an index.
 */
#include "zeroipc_stack.h"

#include <stdlib.h>
#include <string.h>

#include "memory_i.h"
#include "wait_i.h"

enum { SLOT_EMPTY = 0, SLOT_WRITING = 1, SLOT_READY = 2, SLOT_READING = 3 };

struct sview {
    _Atomic int32_t *top;
    uint8_t *data;
    _Atomic uint32_t *state;
    uint32_t capacity;
    uint32_t elem_size;
};

struct zeroipc_stack {
    struct sview v;
};

static size_t state_offset(uint32_t capacity, uint32_t elem_size)
{
    return ZEROIPC_STACK_HEADER_SIZE + zeroipc_align8((size_t)capacity * elem_size);
}

size_t zeroipc_stack_footprint(size_t elem_size, size_t capacity)
{
    if (elem_size == 0 || elem_size > UINT32_MAX || capacity == 0 ||
        capacity > ZEROIPC_STACK_MAX_CAPACITY)
        return 0;
    uint64_t total = state_offset((uint32_t)capacity, (uint32_t)elem_size) +
                     4 * (uint64_t)capacity;
    return total > SIZE_MAX / 2 ? 0 : (size_t)total;
}

static int view(void *s, struct sview *v)
{
    uint32_t hdr[4];
    memcpy(hdr, s, sizeof hdr);
    uint32_t capacity = hdr[1], elem_size = hdr[2];
    if (capacity == 0 || capacity > ZEROIPC_STACK_MAX_CAPACITY || elem_size == 0)
        return ZEROIPC_ERROR_WRONG_KIND;
    uint8_t *b = s;
    v->top = (_Atomic int32_t *)(void *)b;
    v->data = b + ZEROIPC_STACK_HEADER_SIZE;
    v->state = (_Atomic uint32_t *)(void *)(b + state_offset(capacity, elem_size));
    v->capacity = capacity;
    v->elem_size = elem_size;
    return ZEROIPC_OK;
}

int zeroipc_stack_validate(const void *s, size_t size)
{
    struct sview v;
    if (s == NULL || size < ZEROIPC_STACK_HEADER_SIZE ||
        view((void *)(uintptr_t)s, &v) != ZEROIPC_OK)
        return ZEROIPC_ERROR_WRONG_KIND;
    if (zeroipc_stack_footprint(v.elem_size, v.capacity) != size)
        return ZEROIPC_ERROR_WRONG_KIND;
    return ZEROIPC_OK;
}

/*
 * Turns slot state `from` into `to`, waiting with backoff for a peer that
 * still holds it.  false after ZEROIPC_STACK_CLAIM_MS.
 */
static bool claim(_Atomic uint32_t *state, uint32_t from, uint32_t to)
{
    struct zeroipc_deadline dl;
    zeroipc_deadline_init(&dl, ZEROIPC_STACK_CLAIM_MS);
    for (unsigned round = 0;; round++) {
        uint32_t expected = from;
        /* Acquire: a pop must see the bytes the pusher released with READY,
         * a push that the popper finished copying out. */
        if (atomic_compare_exchange_weak_explicit(state, &expected, to,
                                                  memory_order_acquire,
                                                  memory_order_relaxed))
            return true;
        if (round >= 32 && round % 8 == 0) {
            /* Only the clock matters here: a deadline check, no sleep. */
            struct timespec t;
            clock_gettime(CLOCK_MONOTONIC, &t);
            if (t.tv_sec > dl.at.tv_sec ||
                (t.tv_sec == dl.at.tv_sec && t.tv_nsec >= dl.at.tv_nsec))
                return false;
        }
        zeroipc_backoff(round);
    }
}

/* What a failed try would wait for: `top` to leave `value`. */
struct swait {
    int32_t value;
};

static int try_push(const struct sview *v, const void *value, struct swait *w)
{
    int32_t cap = (int32_t)v->capacity;
    int32_t cur = atomic_load_explicit(v->top, memory_order_relaxed);
    for (;;) {
        if (cur < -1 || cur >= cap)
            return ZEROIPC_ERROR_CORRUPT;
        if (cur == cap - 1) {
            w->value = cur;
            return ZEROIPC_ERROR_SIZE;
        }
        if (atomic_compare_exchange_weak_explicit(v->top, &cur, cur + 1,
                                                  memory_order_relaxed,
                                                  memory_order_relaxed))
            break;
    }
    _Atomic uint32_t *st = &v->state[cur + 1];
    if (!claim(st, SLOT_EMPTY, SLOT_WRITING)) {
        uint32_t held = atomic_load_explicit(st, memory_order_acquire);
        /* READY: an element whose popper moved top below it and died
         * before claiming it.  Top stays above it, so it can be popped
         * again, and this push reports the timeout. */
        if (held == SLOT_READY)
            return ZEROIPC_ERROR_TIMEOUT;
        /* WRITING or READING for a whole claim time: a peer that died in
         * the middle of its copy.  Its element is lost either way; the
         * slot is taken over and this push goes on. */
        if ((held != SLOT_WRITING && held != SLOT_READING) ||
            !atomic_compare_exchange_strong_explicit(st, &held, SLOT_WRITING,
                                                     memory_order_acquire,
                                                     memory_order_relaxed)) {
            int32_t mine = cur + 1;
            atomic_compare_exchange_strong(v->top, &mine, cur);
            return ZEROIPC_ERROR_TIMEOUT;
        }
    }
    memcpy(v->data + (size_t)(cur + 1) * v->elem_size, value, v->elem_size);
    atomic_store_explicit(st, SLOT_READY, memory_order_release);
    if (cur == -1)
        zeroipc_wake_word((_Atomic uint32_t *)(void *)v->top);
    return ZEROIPC_OK;
}

static int try_pop(const struct sview *v, void *out, struct swait *w)
{
    int32_t cap = (int32_t)v->capacity;
    int32_t cur = atomic_load_explicit(v->top, memory_order_relaxed);
    for (;;) {
        if (cur < -1 || cur >= cap)
            return ZEROIPC_ERROR_CORRUPT;
        if (cur == -1) {
            w->value = cur;
            return ZEROIPC_ERROR_NOT_FOUND;
        }
        if (atomic_compare_exchange_weak_explicit(v->top, &cur, cur - 1,
                                                  memory_order_relaxed,
                                                  memory_order_relaxed))
            break;
    }
    _Atomic uint32_t *st = &v->state[cur];
    if (!claim(st, SLOT_READY, SLOT_READING)) {
        uint32_t held = atomic_load_explicit(st, memory_order_acquire);
        /* EMPTY: a hole left by a pusher that moved top and died before
         * claiming the slot; WRITING or READING for a whole claim time: a
         * peer that died in the middle of its copy (its element is lost),
         * and the slot is freed.  Either way top stays below the slot, so
         * the elements under it can be popped, and this pop reports the
         * timeout.  (A pusher that was only slow and publishes later
         * leaves its element above top, and the next push that finds it
         * READY brings it back within reach.) */
        bool dead = held == SLOT_EMPTY ||
                    ((held == SLOT_WRITING || held == SLOT_READING) &&
                     atomic_compare_exchange_strong_explicit(st, &held, SLOT_EMPTY,
                                                             memory_order_relaxed,
                                                             memory_order_relaxed));
        if (!dead) {
            int32_t mine = cur - 1;
            atomic_compare_exchange_strong(v->top, &mine, cur);
        }
        return ZEROIPC_ERROR_TIMEOUT;
    }
    memcpy(out, v->data + (size_t)cur * v->elem_size, v->elem_size);
    atomic_store_explicit(st, SLOT_EMPTY, memory_order_release);
    if (cur == cap - 1)
        zeroipc_wake_word((_Atomic uint32_t *)(void *)v->top);
    return ZEROIPC_OK;
}

static int try_top(const struct sview *v, void *out, struct swait *w)
{
    int32_t cap = (int32_t)v->capacity;
    for (unsigned round = 0; round < 64; round++) {
        int32_t cur = atomic_load_explicit(v->top, memory_order_acquire);
        if (cur < -1 || cur >= cap)
            return ZEROIPC_ERROR_CORRUPT;
        if (cur == -1) {
            w->value = cur;
            return ZEROIPC_ERROR_NOT_FOUND;
        }
        _Atomic uint32_t *st = &v->state[cur];
        if (atomic_load_explicit(st, memory_order_acquire) == SLOT_READY) {
            memcpy(out, v->data + (size_t)cur * v->elem_size, v->elem_size);
            /* The copy is good if nobody took or rewrote the slot meanwhile. */
            atomic_thread_fence(memory_order_acquire);
            if (atomic_load_explicit(st, memory_order_relaxed) == SLOT_READY &&
                atomic_load_explicit(v->top, memory_order_relaxed) == cur)
                return ZEROIPC_OK;
        }
        zeroipc_backoff(round);
    }
    return ZEROIPC_ERROR_TIMEOUT;
}

typedef int (*stry_fn)(const struct sview *, void *, struct swait *);

static int push_fn(const struct sview *v, void *value, struct swait *w)
{
    return try_push(v, value, w);
}

static int blocking(const struct sview *v, stry_fn try, void *buf, int32_t timeout_ms)
{
    struct zeroipc_deadline dl;
    zeroipc_deadline_init(&dl, timeout_ms);
    for (;;) {
        struct swait w;
        int err = try(v, buf, &w);
        if (err != ZEROIPC_ERROR_SIZE && err != ZEROIPC_ERROR_NOT_FOUND)
            return err;
        if (zeroipc_wait_word((_Atomic uint32_t *)(void *)v->top, (uint32_t)w.value,
                              &dl) == ZEROIPC_ERROR_TIMEOUT)
            return ZEROIPC_ERROR_TIMEOUT;
    }
}

static void init_stack(void *p, const void *ctx)
{
    const uint32_t *shape = ctx; /* capacity, elem_size */
    int32_t empty = -1;
    memcpy(p, &empty, sizeof empty);
    uint32_t *hdr = p;
    hdr[1] = shape[0];
    hdr[2] = shape[1];
}

static zeroipc_stack_t *handle(void *s)
{
    zeroipc_stack_t *st = malloc(sizeof *st);
    if (st == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_SYSTEM);
        return NULL;
    }
    view(s, &st->v);
    zeroipc_set_error(ZEROIPC_OK);
    return st;
}

zeroipc_stack_t *zeroipc_stack_create(zeroipc_memory_t *mem, const char *name,
                                      size_t elem_size, size_t capacity)
{
    if (mem == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
        return NULL;
    }
    size_t size = zeroipc_stack_footprint(elem_size, capacity);
    if (size == 0) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_SIZE);
        return NULL;
    }
    uint32_t shape[2] = {(uint32_t)capacity, (uint32_t)elem_size};
    size_t offset;
    if (zeroipc_table_add_init(mem, name, size, init_stack, shape, &offset) != ZEROIPC_OK)
        return NULL;
    return handle((uint8_t *)zeroipc_memory_base(mem) + offset);
}

zeroipc_stack_t *zeroipc_stack_open(zeroipc_memory_t *mem, const char *name)
{
    void *s;
    size_t size;
    if (zeroipc_table_locate(mem, name, &s, &size) != ZEROIPC_OK)
        return NULL;
    if (zeroipc_stack_validate(s, size) != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_WRONG_KIND);
        return NULL;
    }
    return handle(s);
}

void zeroipc_stack_close(zeroipc_stack_t *s)
{
    free(s);
}

int zeroipc_stack_push(zeroipc_stack_t *s, const void *value)
{
    if (s == NULL || value == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    struct swait w;
    return try_push(&s->v, value, &w);
}

int zeroipc_stack_pop(zeroipc_stack_t *s, void *out)
{
    if (s == NULL || out == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    struct swait w;
    return try_pop(&s->v, out, &w);
}

int zeroipc_stack_top(zeroipc_stack_t *s, void *out)
{
    if (s == NULL || out == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    struct swait w;
    return try_top(&s->v, out, &w);
}

int zeroipc_stack_push_timeout(zeroipc_stack_t *s, const void *value, int32_t timeout_ms)
{
    if (s == NULL || value == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    return blocking(&s->v, push_fn, (void *)(uintptr_t)value, timeout_ms);
}

int zeroipc_stack_pop_timeout(zeroipc_stack_t *s, void *out, int32_t timeout_ms)
{
    if (s == NULL || out == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    return blocking(&s->v, try_pop, out, timeout_ms);
}

int zeroipc_stack_push_wait(zeroipc_stack_t *s, const void *value)
{
    return zeroipc_stack_push_timeout(s, value, -1);
}

int zeroipc_stack_pop_wait(zeroipc_stack_t *s, void *out)
{
    return zeroipc_stack_pop_timeout(s, out, -1);
}

static uint32_t count(const struct sview *v)
{
    int32_t top = atomic_load_explicit(v->top, memory_order_acquire);
    if (top < 0)
        return 0;
    return (uint32_t)top + 1 > v->capacity ? v->capacity : (uint32_t)top + 1;
}

int zeroipc_stack_empty(zeroipc_stack_t *s)
{
    return s ? count(&s->v) == 0 : ZEROIPC_ERROR_INVALID_ARGUMENT;
}

int zeroipc_stack_full(zeroipc_stack_t *s)
{
    return s ? count(&s->v) == s->v.capacity : ZEROIPC_ERROR_INVALID_ARGUMENT;
}

size_t zeroipc_stack_size(zeroipc_stack_t *s)
{
    return s ? count(&s->v) : 0;
}

size_t zeroipc_stack_capacity(zeroipc_stack_t *s)
{
    return s ? s->v.capacity : 0;
}

size_t zeroipc_stack_elem_size(zeroipc_stack_t *s)
{
    return s ? s->v.elem_size : 0;
}

static int raw_view(void *base, size_t offset, struct sview *v)
{
    if (base == NULL || ((uintptr_t)base + offset) % 8 != 0)
        return -3;
    return view((uint8_t *)base + offset, v) == ZEROIPC_OK ? 0 : -3;
}

static int raw_op(void *base, size_t offset, void *value, uint32_t elem_size, stry_fn try)
{
    struct sview v;
    if (value == NULL || raw_view(base, offset, &v) != 0)
        return -3;
    if (v.elem_size != elem_size)
        return -2;
    struct swait w;
    int err = try(&v, value, &w);
    if (err == ZEROIPC_OK)
        return 0;
    if (err == ZEROIPC_ERROR_TIMEOUT)
        return ZEROIPC_ERROR_TIMEOUT;
    return err == ZEROIPC_ERROR_CORRUPT ? -3 : -1;
}

int zeroipc_raw_stack_push(void *base, size_t offset, const void *value, uint32_t elem_size)
{
    return raw_op(base, offset, (void *)(uintptr_t)value, elem_size, push_fn);
}

int zeroipc_raw_stack_pop(void *base, size_t offset, void *value, uint32_t elem_size)
{
    return raw_op(base, offset, value, elem_size, try_pop);
}

int zeroipc_raw_stack_top(void *base, size_t offset, void *value, uint32_t elem_size)
{
    return raw_op(base, offset, value, elem_size, try_top);
}

size_t zeroipc_raw_stack_size(void *base, size_t offset)
{
    struct sview v;
    return raw_view(base, offset, &v) == 0 ? count(&v) : 0;
}

int zeroipc_raw_stack_empty(void *base, size_t offset)
{
    struct sview v;
    return raw_view(base, offset, &v) == 0 ? count(&v) == 0 : -3;
}

int zeroipc_raw_stack_full(void *base, size_t offset)
{
    struct sview v;
    return raw_view(base, offset, &v) == 0 ? count(&v) == v.capacity : -3;
}
