/*
 * channel.c - CSP channels (FORMAT.md "Channel"): a 32-byte header at
 * `name_header`, and a queue at `name_buffer` or a slot at `name_slot`.
 *
 * Sleeping without lost wakes (unbuffered).  A sleeper raises its waiter count
 * (senders or receivers, seq_cst), issues a full fence, reads the word it
 * will sleep on, looks once more at what it waits for, and sleeps only if
 * the word still holds what it read.  A waker makes its change, issues a
 * full fence, and reads the waiter counts.  With both fences, either the
 * waker sees the count (and changes the word and wakes), or the sleeper's
 * second look sees the change: the classic store-fence-load pairing.  The
 * kernel compares the word after queueing the sleeper, so a change
 * between the read and the sleep is never missed either.
 *
 * Buffered channels are the queue's steps (queue_i.h) with its way of
 * sleeping, plus the close (see buffered()).  Unbuffered channels hand
 * one value at a time through the slot, driven by the phase in send_seq
 * (see the header).
 */
#include "zeroipc_channel.h"

#include <stdlib.h>
#include <string.h>

#include "memory_i.h"
#include "wait_i.h"
#include "queue_i.h"
#include "zeroipc_queue.h"

/* Phases of the unbuffered slot, send_seq modulo 4. */
enum { PH_FREE = 0, PH_WRITING = 1, PH_PUBLISHED = 2, PH_TAKING = 3 };

struct zeroipc_channel {
    uint8_t *h;          /* the header */
    zeroipc_queue_t *q;  /* buffered */
    uint8_t *slot;       /* unbuffered */
    size_t data_off;     /* of the slot's data */
    uint32_t capacity;
    size_t elem;
};

_Static_assert(sizeof(_Atomic uint64_t) == 8, "atomic u64 is 8 bytes");

/* ------------------------------------------------------------------ */
/* Header fields. */

static _Atomic uint32_t *senders_w(const zeroipc_channel_t *ch)
{
    return (_Atomic uint32_t *)(void *)(ch->h + 4);
}
static _Atomic uint32_t *receivers_w(const zeroipc_channel_t *ch)
{
    return (_Atomic uint32_t *)(void *)(ch->h + 8);
}
static _Atomic uint8_t *closed_b(const zeroipc_channel_t *ch)
{
    return (_Atomic uint8_t *)(ch->h + 12);
}
static _Atomic uint64_t *send_seq(const zeroipc_channel_t *ch)
{
    return (_Atomic uint64_t *)(void *)(ch->h + 16);
}
static _Atomic uint64_t *recv_seq(const zeroipc_channel_t *ch)
{
    return (_Atomic uint64_t *)(void *)(ch->h + 24);
}
/* The low half of a u64 (little-endian: its first word), which changes
 * whenever the u64 changes by less than 2^32: the futex word. */
static _Atomic uint32_t *low(_Atomic uint64_t *w)
{
    return (_Atomic uint32_t *)(void *)w;
}
static _Atomic uint8_t *ready_b(const zeroipc_channel_t *ch)
{
    return (_Atomic uint8_t *)ch->slot;
}
static _Atomic uint8_t *consumed_b(const zeroipc_channel_t *ch)
{
    return (_Atomic uint8_t *)(ch->slot + 1);
}

static bool is_closed(const zeroipc_channel_t *ch)
{
    return atomic_load_explicit(closed_b(ch), memory_order_seq_cst) != 0;
}

/* Whether anybody may be asleep: called after the waker's full fence. */
static bool waiters(const zeroipc_channel_t *ch)
{
    return atomic_load_explicit(senders_w(ch), memory_order_relaxed) != 0 ||
           atomic_load_explicit(receivers_w(ch), memory_order_relaxed) != 0;
}

/* Default alignment of an element: the largest power of two, up to 8,
 * that divides its size. */
static size_t elem_align(size_t n)
{
    size_t a = 8;
    while (n % a != 0)
        a >>= 1;
    return a;
}

size_t zeroipc_channel_slot_size(size_t elem_size)
{
    if (elem_size == 0 || elem_size > ZEROIPC_CHANNEL_ELEM_MAX)
        return 0;
    size_t a = elem_align(elem_size);
    return (a > 2 ? a : 2) + elem_size;
}

/* ------------------------------------------------------------------ */
/* Buffered. */

/*
 * One side of the buffered channel: a push (sending) or a pop, waiting as
 * the queue's own blocking calls do, on the sequence word of the slot it
 * could not use, which the other side wakes exactly when it makes that
 * slot usable: a busy channel makes no system call, and a wake reaches
 * only those who wait for that slot.  What the queue cannot do is wake
 * for a close: zeroipc_channel_shutdown wakes the slots at head and tail
 * after setting `closed`, and a sleeper that went to sleep just after
 * that wake sees the close at the end of its slice.  Senders give up at
 * once when closed; receivers only when closed and empty.  `mine` counts
 * our callers asleep (the header's senders or receivers).
 */
static int buffered(zeroipc_channel_t *ch, void *buf, bool sending,
                    const struct zeroipc_deadline *dl, bool once)
{
    int fail = sending ? ZEROIPC_ERROR_SIZE : ZEROIPC_ERROR_NOT_FOUND;
    _Atomic uint32_t *mine = sending ? senders_w(ch) : receivers_w(ch);
    for (;;) {
        if (sending && is_closed(ch))
            return ZEROIPC_ERROR_CLOSED;
        struct zeroipc_qwait w;
        int r = sending ? zeroipc_queue_try_push_w(ch->q, buf, &w)
                        : zeroipc_queue_try_pop_w(ch->q, buf, &w);
        if (r != fail)
            return r;
        if (!sending && is_closed(ch)) {
            /* Drain: a push that completed before the close is ours. */
            r = zeroipc_queue_try_pop_w(ch->q, buf, &w);
            return r == fail ? ZEROIPC_ERROR_CLOSED : r;
        }
        if (once)
            return ZEROIPC_ERROR_TIMEOUT;
        atomic_fetch_add_explicit(mine, 1, memory_order_relaxed);
        /* Pairs with the other side's fence after its push (pop). */
        atomic_thread_fence(memory_order_seq_cst);
        int slept = is_closed(ch) ? ZEROIPC_OK : zeroipc_wait_word(w.word, w.value, dl);
        atomic_fetch_sub_explicit(mine, 1, memory_order_relaxed);
        if (slept == ZEROIPC_ERROR_TIMEOUT)
            once = true; /* one last try, without sleeping */
    }
}

/* ------------------------------------------------------------------ */
/* Unbuffered. */

static _Atomic uint64_t *phase(const zeroipc_channel_t *ch)
{
    return send_seq(ch);
}

/* Moves the phase on and wakes the sleepers if there may be any. */
static void advance(zeroipc_channel_t *ch, uint64_t to)
{
    /* Release: the slot's bytes (the value, or our copy-out) before the
     * phase that hands the slot on. */
    atomic_store_explicit(phase(ch), to, memory_order_release);
    atomic_thread_fence(memory_order_seq_cst);
    if (waiters(ch))
        zeroipc_wake_word(low(phase(ch)));
}

/* Sleeps on the phase while it is still `p` (see the essay on top). */
static int sleep_phase(zeroipc_channel_t *ch, _Atomic uint32_t *count, uint64_t p,
                       const struct zeroipc_deadline *dl, bool stop_if_closed)
{
    int r = ZEROIPC_OK;
    atomic_fetch_add_explicit(count, 1, memory_order_seq_cst);
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(phase(ch), memory_order_acquire) == p &&
        !(stop_if_closed && is_closed(ch)))
        r = zeroipc_wait_word(low(phase(ch)), (uint32_t)p, dl);
    atomic_fetch_sub_explicit(count, 1, memory_order_relaxed);
    return r;
}

/*
 * Claims the free slot (FREE -> WRITING: senders take turns) and
 * publishes `value` in it; *base is the phase the claim started from.
 * ZEROIPC_OK, ZEROIPC_ERROR_CLOSED, or ZEROIPC_ERROR_TIMEOUT when the slot
 * is busy and `dl` (NULL: one look) ran out.
 */
static int claim_publish(zeroipc_channel_t *ch, const void *value,
                         const struct zeroipc_deadline *dl, uint64_t *base)
{
    _Atomic uint64_t *ph = phase(ch);
    for (;;) {
        if (is_closed(ch))
            return ZEROIPC_ERROR_CLOSED;
        uint64_t p = atomic_load_explicit(ph, memory_order_acquire);
        if (p % 4 == PH_FREE) {
            /* Acquire: the previous receiver's copy-out is done before we
             * overwrite the data. */
            if (atomic_compare_exchange_strong_explicit(ph, &p, p + 1,
                                                        memory_order_acquire,
                                                        memory_order_relaxed)) {
                *base = p;
                break;
            }
            continue;
        }
        if (dl == NULL)
            return ZEROIPC_ERROR_TIMEOUT;
        if (sleep_phase(ch, senders_w(ch), p, dl, true) == ZEROIPC_ERROR_TIMEOUT)
            return ZEROIPC_ERROR_TIMEOUT;
    }
    memcpy(ch->slot + ch->data_off, value, ch->elem);
    atomic_store_explicit(consumed_b(ch), 0, memory_order_relaxed);
    atomic_store_explicit(ready_b(ch), 1, memory_order_relaxed);
    advance(ch, *base + PH_PUBLISHED);
    return ZEROIPC_OK;
}

/* Takes the value published from phase `base` back, unless a receiver
 * wins it first: true when taken back (nothing was sent). */
static bool take_back(zeroipc_channel_t *ch, uint64_t base)
{
    uint64_t expect = base + PH_PUBLISHED;
    if (!atomic_compare_exchange_strong_explicit(phase(ch), &expect, base + PH_WRITING,
                                                 memory_order_acquire, memory_order_relaxed))
        return false;
    atomic_store_explicit(ready_b(ch), 0, memory_order_relaxed);
    advance(ch, base + 4);
    return true;
}

static int unbuffered_send(zeroipc_channel_t *ch, const void *value,
                           const struct zeroipc_deadline *dl, bool once)
{
    _Atomic uint64_t *ph = phase(ch);
    uint64_t base = 0;
    struct zeroipc_deadline handoff = *dl;
    if (once) {
        /* try_send: only when a receiver already waits, and then give it
         * a moment to wake and take the value. */
        if (atomic_load_explicit(receivers_w(ch), memory_order_seq_cst) == 0)
            return is_closed(ch) ? ZEROIPC_ERROR_CLOSED : ZEROIPC_ERROR_TIMEOUT;
        zeroipc_deadline_init(&handoff, ZEROIPC_CHANNEL_HANDOFF_MS);
    }
    /* 1. Claim the slot, 2. publish. */
    int err = claim_publish(ch, value, once ? NULL : dl, &base);
    if (err != ZEROIPC_OK)
        return err;
    /* 3. Wait until a receiver has taken it (the rendezvous). */
    const struct zeroipc_deadline *wdl = once ? &handoff : dl;
    bool last = false;
    for (;;) {
        uint64_t p = atomic_load_explicit(ph, memory_order_acquire);
        uint64_t d = p - base;
        if (d == PH_PUBLISHED && (last || is_closed(ch))) {
            if (take_back(ch, base))
                return is_closed(ch) ? ZEROIPC_ERROR_CLOSED : ZEROIPC_ERROR_TIMEOUT;
            continue;
        }
        if (d == PH_TAKING && last)
            return ZEROIPC_OK; /* a receiver owns it; it frees the slot */
        if (d != PH_PUBLISHED && d != PH_TAKING)
            return ZEROIPC_OK; /* taken (or the slot was recovered) */
        if (sleep_phase(ch, senders_w(ch), p, wdl, false) == ZEROIPC_ERROR_TIMEOUT)
            last = true;
    }
}

static int unbuffered_recv(zeroipc_channel_t *ch, void *out,
                           const struct zeroipc_deadline *dl, bool once)
{
    _Atomic uint64_t *ph = phase(ch);
    for (;;) {
        uint64_t p = atomic_load_explicit(ph, memory_order_acquire);
        if (p % 4 == PH_PUBLISHED) {
            /* Acquire: the sender's value before our copy. */
            if (atomic_compare_exchange_strong_explicit(ph, &p, p + 1,
                                                        memory_order_acquire,
                                                        memory_order_relaxed)) {
                memcpy(out, ch->slot + ch->data_off, ch->elem);
                atomic_store_explicit(ready_b(ch), 0, memory_order_relaxed);
                atomic_store_explicit(consumed_b(ch), 1, memory_order_relaxed);
                atomic_fetch_add_explicit(recv_seq(ch), 1, memory_order_relaxed);
                advance(ch, p + 2);
                return ZEROIPC_OK;
            }
            continue;
        }
        /* Nothing offered: a value published before the close was taken
         * above, so closed now means nothing more will come. */
        if (is_closed(ch)) {
            if (atomic_load_explicit(ph, memory_order_acquire) != p)
                continue;
            return ZEROIPC_ERROR_CLOSED;
        }
        if (once)
            return ZEROIPC_ERROR_TIMEOUT;
        if (sleep_phase(ch, receivers_w(ch), p, dl, true) == ZEROIPC_ERROR_TIMEOUT)
            once = true; /* one last look */
    }
}

/* ------------------------------------------------------------------ */
/* Operations. */

int zeroipc_channel_send_timeout(zeroipc_channel_t *ch, const void *value,
                                 int32_t timeout_ms)
{
    if (ch == NULL || value == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    struct zeroipc_deadline dl;
    zeroipc_deadline_init(&dl, timeout_ms);
    if (ch->q)
        return buffered(ch, (void *)(uintptr_t)value, true, &dl, timeout_ms == 0);
    return unbuffered_send(ch, value, &dl, timeout_ms == 0);
}

int zeroipc_channel_send(zeroipc_channel_t *ch, const void *value)
{
    return zeroipc_channel_send_timeout(ch, value, -1);
}

int zeroipc_channel_try_send(zeroipc_channel_t *ch, const void *value)
{
    return zeroipc_channel_send_timeout(ch, value, 0);
}

int zeroipc_channel_recv_timeout(zeroipc_channel_t *ch, void *out, int32_t timeout_ms)
{
    if (ch == NULL || out == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    struct zeroipc_deadline dl;
    zeroipc_deadline_init(&dl, timeout_ms);
    if (ch->q)
        return buffered(ch, out, false, &dl, timeout_ms == 0);
    return unbuffered_recv(ch, out, &dl, timeout_ms == 0);
}

int zeroipc_channel_recv(zeroipc_channel_t *ch, void *out)
{
    return zeroipc_channel_recv_timeout(ch, out, -1);
}

int zeroipc_channel_try_recv(zeroipc_channel_t *ch, void *out)
{
    return zeroipc_channel_recv_timeout(ch, out, 0);
}

int zeroipc_channel_offer(zeroipc_channel_t *ch, const void *value, uint64_t *ticket)
{
    if (ch == NULL || value == NULL || ticket == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    if (ch->q) {
        struct zeroipc_deadline dl;
        zeroipc_deadline_init(&dl, 0);
        *ticket = 0;
        int err = buffered(ch, (void *)(uintptr_t)value, true, &dl, true);
        return err == ZEROIPC_OK ? ZEROIPC_CHANNEL_DELIVERED : err;
    }
    return claim_publish(ch, value, NULL, ticket);
}

int zeroipc_channel_offer_taken(zeroipc_channel_t *ch, uint64_t ticket)
{
    if (ch == NULL || ch->q != NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    uint64_t d = atomic_load_explicit(phase(ch), memory_order_acquire) - ticket;
    if (d == PH_PUBLISHED && is_closed(ch) && take_back(ch, ticket))
        return ZEROIPC_ERROR_CLOSED;
    /* PUBLISHED: nobody took it yet; TAKING: a receiver is copying it
     * out, and a sender returns only once the copy is done. */
    if (d == PH_PUBLISHED || d == PH_TAKING)
        return ZEROIPC_ERROR_TIMEOUT;
    return ZEROIPC_OK;
}

int zeroipc_channel_offer_withdraw(zeroipc_channel_t *ch, uint64_t ticket)
{
    if (ch == NULL || ch->q != NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    return take_back(ch, ticket) ? ZEROIPC_OK : ZEROIPC_ERROR_ALREADY_SET;
}

int zeroipc_channel_shutdown(zeroipc_channel_t *ch)
{
    if (ch == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    if (atomic_exchange_explicit(closed_b(ch), 1, memory_order_seq_cst) != 0)
        return ZEROIPC_OK;
    if (ch->q) {
        /* Our sleepers wait on the slots at head and tail; the doorbells
         * move too, for sleepers of builds that waited on them. */
        zeroipc_queue_wake_ends(ch->q);
        atomic_fetch_add_explicit(send_seq(ch), 1, memory_order_seq_cst);
        atomic_fetch_add_explicit(recv_seq(ch), 1, memory_order_seq_cst);
        zeroipc_wake_word(low(send_seq(ch)));
        zeroipc_wake_word(low(recv_seq(ch)));
        return ZEROIPC_OK;
    }
    /* A FREE slot moves to the next FREE phase, which changes the word
     * the receivers sleep on; in any other phase its owner changes it. */
    uint64_t p = atomic_load_explicit(phase(ch), memory_order_acquire);
    if (p % 4 == PH_FREE)
        atomic_compare_exchange_strong_explicit(phase(ch), &p, p + 4,
                                                memory_order_acq_rel,
                                                memory_order_relaxed);
    zeroipc_wake_word(low(phase(ch)));
    return ZEROIPC_OK;
}

bool zeroipc_channel_is_closed(zeroipc_channel_t *ch)
{
    return ch != NULL && is_closed(ch);
}

int zeroipc_channel_recover(zeroipc_channel_t *ch)
{
    if (ch == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    if (ch->q)
        return ZEROIPC_ERROR_NOT_FOUND;
    uint64_t p = atomic_load_explicit(phase(ch), memory_order_acquire);
    if (p % 4 != PH_WRITING && p % 4 != PH_TAKING)
        return ZEROIPC_ERROR_NOT_FOUND;
    uint64_t next = p - p % 4 + 4;
    if (!atomic_compare_exchange_strong_explicit(phase(ch), &p, next,
                                                 memory_order_acq_rel,
                                                 memory_order_relaxed))
        return ZEROIPC_ERROR_NOT_FOUND;
    atomic_store_explicit(ready_b(ch), 0, memory_order_relaxed);
    zeroipc_wake_word(low(phase(ch)));
    return ZEROIPC_OK;
}

size_t zeroipc_channel_capacity(zeroipc_channel_t *ch)
{
    return ch ? ch->capacity : 0;
}

size_t zeroipc_channel_elem_size(zeroipc_channel_t *ch)
{
    return ch ? ch->elem : 0;
}

size_t zeroipc_channel_size(zeroipc_channel_t *ch)
{
    if (ch == NULL)
        return 0;
    if (ch->q != NULL)
        return zeroipc_queue_size(ch->q);
    return atomic_load_explicit(phase(ch), memory_order_acquire) % 4 == PH_PUBLISHED;
}

uint32_t zeroipc_channel_senders(zeroipc_channel_t *ch)
{
    return ch ? atomic_load_explicit(senders_w(ch), memory_order_relaxed) : 0;
}

uint32_t zeroipc_channel_receivers(zeroipc_channel_t *ch)
{
    return ch ? atomic_load_explicit(receivers_w(ch), memory_order_relaxed) : 0;
}

int zeroipc_channel_validate(const void *s, size_t size)
{
    if (s == NULL || size != ZEROIPC_CHANNEL_HEADER_SIZE)
        return ZEROIPC_ERROR_WRONG_KIND;
    uint32_t cap;
    uint8_t closed;
    memcpy(&cap, s, 4);
    memcpy(&closed, (const uint8_t *)s + 12, 1);
    if ((cap & (cap - 1)) != 0 || closed > 1)
        return ZEROIPC_ERROR_WRONG_KIND;
    return ZEROIPC_OK;
}

/* ------------------------------------------------------------------ */
/* Create, open, close. */

static uint64_t round_pow2(uint64_t n)
{
    uint64_t p = 2;
    while (p < n)
        p <<= 1;
    return p;
}

static void init_header(void *p, const void *ctx)
{
    /* Zeroed allocation: counters 0, open, phase 0. */
    memcpy(p, ctx, 4);
}

/* The queue's layout (zeroipc_queue.h): capacity and elem_size at 8 and
 * 12, seq[i] = i after the data.  queue.c's own initializer is private. */

static zeroipc_channel_t *fail(zeroipc_memory_t *mem, int err)
{
    if (mem)
        zeroipc_mem_fail(mem, err);
    else
        zeroipc_set_error(err);
    return NULL;
}

static int names(const char *name, char *hname, char *bname, char *sname)
{
    int err = zeroipc_companion_name(name, ZEROIPC_CHANNEL_NAME_MAX,
                                     ZEROIPC_CHANNEL_HEADER_SUFFIX, hname);
    if (err == ZEROIPC_OK)
        err = zeroipc_companion_name(name, ZEROIPC_CHANNEL_NAME_MAX,
                                     ZEROIPC_CHANNEL_BUFFER_SUFFIX, bname);
    if (err == ZEROIPC_OK)
        err = zeroipc_companion_name(name, ZEROIPC_CHANNEL_NAME_MAX,
                                     ZEROIPC_CHANNEL_SLOT_SUFFIX, sname);
    return err;
}

static zeroipc_channel_t *handle(uint8_t *h, zeroipc_queue_t *q, uint8_t *slot,
                                 size_t data_off, uint32_t capacity, size_t elem)
{
    zeroipc_channel_t *ch = malloc(sizeof *ch);
    if (ch == NULL) {
        zeroipc_queue_close(q);
        zeroipc_set_error(ZEROIPC_ERROR_SYSTEM);
        return NULL;
    }
    *ch = (zeroipc_channel_t){h, q, slot, data_off, capacity, elem};
    zeroipc_set_error(ZEROIPC_OK);
    return ch;
}

zeroipc_channel_t *zeroipc_channel_create(zeroipc_memory_t *mem, const char *name,
                                          size_t elem_size, size_t capacity)
{
    if (mem == NULL)
        return fail(mem, ZEROIPC_ERROR_INVALID_ARGUMENT);
    char hname[ZEROIPC_NAME_SIZE], bname[ZEROIPC_NAME_SIZE], sname[ZEROIPC_NAME_SIZE];
    int err = names(name, hname, bname, sname);
    if (err != ZEROIPC_OK)
        return fail(mem, err);
    if (elem_size == 0 || elem_size > ZEROIPC_CHANNEL_ELEM_MAX ||
        capacity > ZEROIPC_QUEUE_MAX_CAPACITY)
        return fail(mem, ZEROIPC_ERROR_SIZE);
    uint32_t cap = capacity == 0 ? 0 : (uint32_t)round_pow2(capacity);
    uint32_t shape[2] = {cap, (uint32_t)elem_size};
    size_t second = cap ? zeroipc_queue_footprint(elem_size, cap)
                        : zeroipc_channel_slot_size(elem_size);
    if (second == 0)
        return fail(mem, ZEROIPC_ERROR_SIZE);
    struct zeroipc_table_part p[2] = {
        {hname, ZEROIPC_CHANNEL_HEADER_SIZE, init_header, &cap, 0},
        {cap ? bname : sname, second, cap ? zeroipc_queue_init : NULL, shape, 0},
    };
    err = zeroipc_table_add_group(mem, p, 2);
    if (err != ZEROIPC_OK)
        return fail(mem, err);
    uint8_t *base = zeroipc_memory_base(mem);
    zeroipc_queue_t *q = NULL;
    if (cap) {
        q = zeroipc_queue_open(mem, bname);
        if (q == NULL)
            return fail(mem, zeroipc_last_error());
    }
    size_t off = zeroipc_channel_slot_size(elem_size) - elem_size;
    return handle(base + p[0].off, q, cap ? NULL : base + p[1].off, off, cap, elem_size);
}

/* A companion: missing is CORRUPT (the header exists). */
/* The slot's data offset for `size` bytes: with elem_size given, the one
 * that fits it; else the widest alignment that fits.  0 if none. */
static size_t slot_data_off(size_t size, size_t elem_size)
{
    static const size_t offs[] = {8, 4, 2};
    for (size_t i = 0; i < 3; i++) {
        size_t off = offs[i];
        if (size <= off)
            continue;
        size_t n = size - off;
        /* Data at 8 or 4 means T is 8- or 4-aligned, so off divides n;
         * at 2, T is 1- or 2-aligned: any n. */
        if (off > 2 && n % off != 0)
            continue;
        if (elem_size == 0 || elem_size == n)
            return off;
    }
    return 0;
}

zeroipc_channel_t *zeroipc_channel_open_elem(zeroipc_memory_t *mem, const char *name,
                                             size_t elem_size)
{
    if (mem == NULL)
        return fail(mem, ZEROIPC_ERROR_INVALID_ARGUMENT);
    char hname[ZEROIPC_NAME_SIZE], bname[ZEROIPC_NAME_SIZE], sname[ZEROIPC_NAME_SIZE];
    int err = names(name, hname, bname, sname);
    if (err != ZEROIPC_OK)
        return fail(mem, err);
    void *h, *part;
    size_t hsize, psize;
    err = zeroipc_table_locate(mem, hname, &h, &hsize);
    if (err != ZEROIPC_OK)
        return fail(mem, err);
    if (zeroipc_channel_validate(h, hsize) != ZEROIPC_OK)
        return fail(mem, ZEROIPC_ERROR_WRONG_KIND);
    if ((uintptr_t)h % 8 != 0)
        return fail(mem, ZEROIPC_ERROR_CORRUPT);
    uint32_t cap = atomic_load_explicit((_Atomic uint32_t *)h, memory_order_acquire);
    if (cap == 1)
        return fail(mem, ZEROIPC_ERROR_WRONG_KIND);
    if (cap == 0) {
        err = zeroipc_table_locate_part(mem, sname, &part, &psize);
        if (err != ZEROIPC_OK)
            return fail(mem, err);
        size_t off = slot_data_off(psize, elem_size);
        if (off == 0)
            return fail(mem, elem_size ? ZEROIPC_ERROR_WRONG_KIND : ZEROIPC_ERROR_CORRUPT);
        if ((uintptr_t)part % 8 != 0)
            return fail(mem, ZEROIPC_ERROR_CORRUPT);
        return handle(h, NULL, part, off, 0, psize - off);
    }
    err = zeroipc_table_locate_part(mem, bname, &part, &psize);
    if (err != ZEROIPC_OK)
        return fail(mem, err);
    if (zeroipc_queue_validate(part, psize) != ZEROIPC_OK || (uintptr_t)part % 8 != 0)
        return fail(mem, ZEROIPC_ERROR_CORRUPT);
    uint32_t qcap, qelem;
    memcpy(&qcap, (uint8_t *)part + 8, 4);
    memcpy(&qelem, (uint8_t *)part + 12, 4);
    if (qcap != cap)
        return fail(mem, ZEROIPC_ERROR_CORRUPT);
    if (elem_size != 0 && elem_size != qelem)
        return fail(mem, ZEROIPC_ERROR_WRONG_KIND);
    zeroipc_queue_t *q = zeroipc_queue_open(mem, bname);
    if (q == NULL)
        return fail(mem, zeroipc_last_error());
    return handle(h, q, NULL, 0, cap, qelem);
}

zeroipc_channel_t *zeroipc_channel_open(zeroipc_memory_t *mem, const char *name)
{
    return zeroipc_channel_open_elem(mem, name, 0);
}

void zeroipc_channel_close(zeroipc_channel_t *ch)
{
    if (ch == NULL)
        return;
    zeroipc_queue_close(ch->q);
    free(ch);
}
