/*
 * stream.c - streams (FORMAT.md "Stream"): a 56-byte header at
 * `name_header` and a ring at `name_buffer`; derived streams and the pump
 * (zeroipc_stream.h for the layout, the label grammar and the claim).
 *
 * The ring does the data path (ring.c): emit is a ring write and a
 * sequence increment, next a ring read.  What the stream adds is the
 * closed flag, which the ring does not have: a reader that finds the
 * ring empty looks at `closed` (acquire) and, when set, reads once more
 * before reporting CLOSED.  The producer stores `closed` after its last
 * write (program order, and shutdown's store is seq_cst), so that second
 * read sees every element ever emitted: nothing is stranded.
 *
 * Sleeping follows the ring's protocol exactly (zeroipc_ring.h): a reader
 * sleeps on write_pos's low word only after seeing write_pos == read_pos
 * and a full fence, so the ring's writer, which wakes when read_pos
 * equals its old write_pos, never misses it; mirrored for a full ring.
 * shutdown wakes both words.  A shutdown that lands between a sleeper's
 * look at `closed` and its sleep is seen at the end of the slice.
 *
 * Pump: see "Pumping and the claim" in the header.  The claim CAS is
 * acq_rel, so a pumper sees everything its predecessor wrote (progress,
 * the fold accumulator, the ring positions it moved).
 */
#include "zeroipc_stream.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stream_i.h"
#include "wait_i.h"
#include "zeroipc_codec.h"
#include "zeroipc_future.h"
#include "zeroipc_ring.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "streams sleep on the low 32 bits of a u64: little-endian only"
#endif

#define OFF_SEQ 0
#define OFF_SUBS 8
#define OFF_CLOSED 12
#define OFF_TYPE 13
#define OFF_EXT 14
#define OFF_CAP 16
#define OFF_LABEL 20
#define OFF_PROGRESS 44
#define OFF_CLAIM 48
#define OFF_SOURCE 52
#define EXT_DERIVED 1

/* Ring layout (zeroipc_ring.h): positions at 0 and 8, shape at 16. */
#define RING_WPOS 0
#define RING_RPOS 8

/* Batches per pump call: bounds the time one call holds the claim. */
#define PUMP_MAX_BATCHES 256

struct zeroipc_stream {
    zeroipc_memory_t *mem;
    uint8_t *hdr;
    zeroipc_ring_t *ring;
    uint8_t *rb; /* the ring's bytes, for its position words */
    size_t hdr_off;
    size_t elem_size;
    size_t capacity; /* elements */
    bool derived;
    uint8_t type;
    char name[ZEROIPC_NAME_SIZE];
};

static _Atomic uint64_t *seq_word(uint8_t *h) { return (_Atomic uint64_t *)(void *)(h + OFF_SEQ); }
static _Atomic uint32_t *subs_word(uint8_t *h) { return (_Atomic uint32_t *)(void *)(h + OFF_SUBS); }
static _Atomic uint8_t *closed_byte(uint8_t *h) { return (_Atomic uint8_t *)(h + OFF_CLOSED); }
static _Atomic uint32_t *progress_word(uint8_t *h) { return (_Atomic uint32_t *)(void *)(h + OFF_PROGRESS); }
static _Atomic uint32_t *claim_word(uint8_t *h) { return (_Atomic uint32_t *)(void *)(h + OFF_CLAIM); }
static _Atomic uint64_t *ring_pos(uint8_t *rb, size_t off) { return (_Atomic uint64_t *)(void *)(rb + off); }
/* The futex word of a position: its low half, the first four bytes. */
static _Atomic uint32_t *low(_Atomic uint64_t *p) { return (_Atomic uint32_t *)(void *)p; }

/* 0 open, 1 closed, ZEROIPC_ERROR_CORRUPT. */
static int closed_of(uint8_t *h)
{
    uint8_t c = atomic_load_explicit(closed_byte(h), memory_order_acquire);
    return c <= 1 ? c : ZEROIPC_ERROR_CORRUPT;
}

int zeroipc_stream_validate(const void *s, size_t size)
{
    if (s == NULL || size != ZEROIPC_STREAM_HEADER_SIZE)
        return ZEROIPC_ERROR_WRONG_KIND;
    const uint8_t *b = s;
    uint32_t cap;
    memcpy(&cap, b + OFF_CAP, 4);
    return b[OFF_CLOSED] <= 1 && cap != 0 ? ZEROIPC_OK : ZEROIPC_ERROR_WRONG_KIND;
}

/* zeroipc_stream_validate for a live, 8-aligned header that other
 * threads may be closing: `closed` read as the atomic it is. */
static int header_ok(uint8_t *h)
{
    uint32_t cap;
    memcpy(&cap, h + OFF_CAP, 4); /* immutable after creation */
    return closed_of(h) >= 0 && cap != 0 ? ZEROIPC_OK : ZEROIPC_ERROR_WRONG_KIND;
}

/* ------------------------------------------------------------------ */
/* Create, open, close. */

struct hinit {
    uint32_t cap;
    uint8_t type, ext;
    uint32_t source;
    char op[ZEROIPC_STREAM_OP_SIZE];
};

static void init_header(void *p, const void *ctx)
{
    /* Zeroed allocation: sequence 0, open, no subscribers, label "". */
    const struct hinit *a = ctx;
    uint8_t *b = p;
    memcpy(b + OFF_CAP, &a->cap, 4);
    if (a->ext == EXT_DERIVED) {
        b[OFF_TYPE] = a->type;
        b[OFF_EXT] = a->ext;
        memcpy(b + OFF_LABEL, a->op, ZEROIPC_STREAM_OP_SIZE);
        memcpy(b + OFF_SOURCE, &a->source, 4);
    }
}

static void init_ring(void *p, const void *ctx)
{
    /* The ring's layout (zeroipc_ring.h): positions 0, then the shape. */
    memcpy((uint8_t *)p + 16, ctx, 8);
}

/* A handle on a header and ring whose entries were checked. */
static zeroipc_stream_t *handle(zeroipc_memory_t *mem, const char *name,
                                uint8_t *hdr, uint8_t *rb, const char *bufname)
{
    zeroipc_stream_t *s = calloc(1, sizeof *s);
    if (s == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_SYSTEM);
        return NULL;
    }
    s->ring = zeroipc_ring_open(mem, bufname);
    if (s->ring == NULL) {
        int err = zeroipc_last_error();
        free(s);
        zeroipc_mem_fail(mem, err == ZEROIPC_ERROR_WRONG_KIND ? ZEROIPC_ERROR_CORRUPT : err);
        return NULL;
    }
    s->mem = mem;
    s->hdr = hdr;
    s->rb = rb;
    s->hdr_off = (size_t)(hdr - (uint8_t *)zeroipc_memory_base(mem));
    s->elem_size = zeroipc_ring_elem_size(s->ring);
    s->capacity = zeroipc_ring_capacity(s->ring);
    s->derived = hdr[OFF_EXT] == EXT_DERIVED;
    s->type = hdr[OFF_TYPE];
    memcpy(s->name, name, strlen(name) + 1);
    zeroipc_set_error(ZEROIPC_OK);
    return s;
}

static int names(const char *name, char *hname, char *bname)
{
    int err = zeroipc_companion_name(name, ZEROIPC_STREAM_NAME_MAX,
                                     ZEROIPC_STREAM_HEADER_SUFFIX, hname);
    if (err == ZEROIPC_OK)
        err = zeroipc_companion_name(name, ZEROIPC_STREAM_NAME_MAX,
                                     ZEROIPC_STREAM_BUFFER_SUFFIX, bname);
    return err;
}

/* Makes header, ring and (fold) future; NULL with the error recorded. */
static zeroipc_stream_t *make(zeroipc_memory_t *mem, const char *name,
                              size_t elem_size, size_t cap,
                              const struct hinit *hi, size_t future_size)
{
    char hname[ZEROIPC_NAME_SIZE], bname[ZEROIPC_NAME_SIZE];
    int err = names(name, hname, bname);
    size_t rsize = zeroipc_ring_footprint(elem_size, cap);
    if (err == ZEROIPC_OK && rsize == 0)
        err = ZEROIPC_ERROR_SIZE;
    if (err != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, err);
        return NULL;
    }
    uint32_t shape[2] = {(uint32_t)(cap * elem_size), (uint32_t)elem_size};
    struct hinit h = *hi;
    h.cap = (uint32_t)cap;
    struct zeroipc_table_part p[3] = {
        {hname, ZEROIPC_STREAM_HEADER_SIZE, init_header, &h, 0},
        {bname, rsize, init_ring, shape, 0},
        {name, ZEROIPC_FUTURE_SIZE(future_size ? future_size : 1), NULL, NULL, 0},
    };
    err = zeroipc_table_add_group(mem, p, future_size ? 3 : 2);
    if (err != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, err);
        return NULL;
    }
    uint8_t *base = zeroipc_memory_base(mem);
    return handle(mem, name, base + p[0].off, base + p[1].off, bname);
}

zeroipc_stream_t *zeroipc_stream_create(zeroipc_memory_t *mem,
                                        const char *name, size_t elem_size,
                                        size_t buffer_capacity)
{
    if (mem == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
        return NULL;
    }
    struct hinit hi;
    memset(&hi, 0, sizeof hi);
    return make(mem, name, elem_size, buffer_capacity, &hi, 0);
}

/* A companion that must exist: missing is CORRUPT (the header exists). */
zeroipc_stream_t *zeroipc_stream_open(zeroipc_memory_t *mem, const char *name)
{
    if (mem == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
        return NULL;
    }
    char hname[ZEROIPC_NAME_SIZE], bname[ZEROIPC_NAME_SIZE];
    int err = names(name, hname, bname);
    if (err != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, err);
        return NULL;
    }
    void *h, *r;
    size_t hsize, rsize;
    if (zeroipc_table_locate(mem, hname, &h, &hsize) != ZEROIPC_OK)
        return NULL;
    if (hsize != ZEROIPC_STREAM_HEADER_SIZE)
        err = ZEROIPC_ERROR_WRONG_KIND;
    else if ((uintptr_t)h % 8 != 0)
        err = ZEROIPC_ERROR_CORRUPT;
    else if (header_ok(h) != ZEROIPC_OK)
        err = ZEROIPC_ERROR_WRONG_KIND;
    if (err == ZEROIPC_OK)
        err = zeroipc_table_locate_part(mem, bname, &r, &rsize);
    if (err == ZEROIPC_OK && zeroipc_ring_validate(r, rsize) != ZEROIPC_OK)
        err = ZEROIPC_ERROR_CORRUPT;
    if (err == ZEROIPC_OK) {
        /* capacity bytes / buffer_capacity must be the ring's element
         * size exactly: that is how the element size is recovered. */
        uint32_t cap, bytes, elem;
        memcpy(&cap, (uint8_t *)h + OFF_CAP, 4);
        memcpy(&bytes, (uint8_t *)r + 16, 4);
        memcpy(&elem, (uint8_t *)r + 20, 4);
        if (bytes % cap != 0 || bytes / cap != elem)
            err = ZEROIPC_ERROR_CORRUPT;
        uint8_t *b = h;
        if (err == ZEROIPC_OK && b[OFF_EXT] == EXT_DERIVED &&
            zeroipc_sop_type_size(b[OFF_TYPE]) != elem)
            err = ZEROIPC_ERROR_CORRUPT;
    }
    if (err != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, err);
        return NULL;
    }
    return handle(mem, name, h, r, bname);
}

void zeroipc_stream_close(zeroipc_stream_t *s)
{
    if (s == NULL)
        return;
    zeroipc_ring_close(s->ring);
    free(s);
}

/* ------------------------------------------------------------------ */
/* Emit and next. */

static int emit_dl(zeroipc_stream_t *s, const void *elem, int32_t timeout_ms,
                   bool nowait)
{
    if (s == NULL || elem == NULL || s->derived)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    struct zeroipc_deadline dl;
    zeroipc_deadline_init(&dl, timeout_ms);
    _Atomic uint64_t *rpos = ring_pos(s->rb, RING_RPOS);
    _Atomic uint64_t *wpos = ring_pos(s->rb, RING_WPOS);
    bool last = false;
    for (;;) {
        int c = closed_of(s->hdr);
        if (c != 0)
            return c < 0 ? c : ZEROIPC_ERROR_CLOSED;
        int r = zeroipc_ring_write_spsc(s->ring, elem);
        if (r == ZEROIPC_OK) {
            atomic_fetch_add_explicit(seq_word(s->hdr), 1, memory_order_release);
            return ZEROIPC_OK;
        }
        if (r != ZEROIPC_ERROR_SIZE)
            return r;
        if (nowait)
            return ZEROIPC_ERROR_SIZE;
        if (last || timeout_ms == 0)
            return ZEROIPC_ERROR_TIMEOUT;
        uint64_t rp = atomic_load_explicit(rpos, memory_order_acquire);
        uint64_t wp = atomic_load_explicit(wpos, memory_order_relaxed);
        if (wp - rp + s->elem_size <= s->capacity * s->elem_size)
            continue; /* room appeared */
        /* Pairs with the consumer's fence after it publishes read_pos. */
        atomic_thread_fence(memory_order_seq_cst);
        if (atomic_load_explicit(closed_byte(s->hdr), memory_order_acquire))
            continue;
        if (zeroipc_wait_word(low(rpos), (uint32_t)rp, &dl) == ZEROIPC_ERROR_TIMEOUT)
            last = true; /* one last try: room that came with the deadline */
    }
}

int zeroipc_stream_emit(zeroipc_stream_t *s, const void *elem)
{
    return emit_dl(s, elem, 0, true);
}

int zeroipc_stream_emit_timeout(zeroipc_stream_t *s, const void *elem,
                                int32_t timeout_ms)
{
    return emit_dl(s, elem, timeout_ms, false);
}

int zeroipc_stream_emit_wait(zeroipc_stream_t *s, const void *elem)
{
    return emit_dl(s, elem, -1, false);
}

static int next_dl(zeroipc_stream_t *s, void *out, int32_t timeout_ms,
                   bool nowait)
{
    if (s == NULL || out == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    struct zeroipc_deadline dl;
    zeroipc_deadline_init(&dl, timeout_ms);
    _Atomic uint64_t *rpos = ring_pos(s->rb, RING_RPOS);
    _Atomic uint64_t *wpos = ring_pos(s->rb, RING_WPOS);
    bool last = false;
    for (;;) {
        int r = zeroipc_ring_read_spsc(s->ring, out);
        if (r != ZEROIPC_ERROR_NOT_FOUND)
            return r;
        int c = closed_of(s->hdr);
        if (c < 0)
            return c;
        if (c == 1) {
            /* Closed after the last emit: this read sees all of them. */
            r = zeroipc_ring_read_spsc(s->ring, out);
            return r == ZEROIPC_ERROR_NOT_FOUND ? ZEROIPC_ERROR_CLOSED : r;
        }
        if (nowait)
            return ZEROIPC_ERROR_NOT_FOUND;
        if (last || timeout_ms == 0)
            return ZEROIPC_ERROR_TIMEOUT;
        uint64_t wp = atomic_load_explicit(wpos, memory_order_acquire);
        if (wp != atomic_load_explicit(rpos, memory_order_relaxed))
            continue; /* an element appeared */
        /* Pairs with the producer's fence after it publishes write_pos. */
        atomic_thread_fence(memory_order_seq_cst);
        if (atomic_load_explicit(closed_byte(s->hdr), memory_order_acquire))
            continue;
        if (zeroipc_wait_word(low(wpos), (uint32_t)wp, &dl) == ZEROIPC_ERROR_TIMEOUT)
            last = true;
    }
}

int zeroipc_stream_next(zeroipc_stream_t *s, void *out)
{
    return next_dl(s, out, -1, false);
}

int zeroipc_stream_next_timeout(zeroipc_stream_t *s, void *out,
                                int32_t timeout_ms)
{
    return next_dl(s, out, timeout_ms, false);
}

int zeroipc_stream_try_next(zeroipc_stream_t *s, void *out)
{
    return next_dl(s, out, 0, true);
}

int zeroipc_stream_shutdown(zeroipc_stream_t *s)
{
    if (s == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    /* seq_cst: after every emit of this producer, before the wakes. */
    atomic_store_explicit(closed_byte(s->hdr), 1, memory_order_seq_cst);
    zeroipc_wake_word(low(ring_pos(s->rb, RING_WPOS)));
    zeroipc_wake_word(low(ring_pos(s->rb, RING_RPOS)));
    return ZEROIPC_OK;
}

/* ------------------------------------------------------------------ */
/* Observers. */

int zeroipc_stream_closed(zeroipc_stream_t *s)
{
    return s ? closed_of(s->hdr) : ZEROIPC_ERROR_INVALID_ARGUMENT;
}

uint64_t zeroipc_stream_sequence(zeroipc_stream_t *s)
{
    return s ? atomic_load_explicit(seq_word(s->hdr), memory_order_acquire) : 0;
}

size_t zeroipc_stream_size(zeroipc_stream_t *s)
{
    return s ? zeroipc_ring_size(s->ring) : 0;
}

int zeroipc_stream_subscribe(zeroipc_stream_t *s)
{
    if (s == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    atomic_fetch_add_explicit(subs_word(s->hdr), 1, memory_order_relaxed);
    return ZEROIPC_OK;
}

int zeroipc_stream_unsubscribe(zeroipc_stream_t *s)
{
    if (s == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    uint32_t n = atomic_load_explicit(subs_word(s->hdr), memory_order_relaxed);
    do {
        if (n == 0)
            return ZEROIPC_ERROR_NOT_FOUND;
    } while (!atomic_compare_exchange_weak_explicit(subs_word(s->hdr), &n, n - 1,
                                                    memory_order_relaxed,
                                                    memory_order_relaxed));
    return ZEROIPC_OK;
}

uint32_t zeroipc_stream_subscribers(zeroipc_stream_t *s)
{
    return s ? atomic_load_explicit(subs_word(s->hdr), memory_order_relaxed) : 0;
}

size_t zeroipc_stream_elem_size(zeroipc_stream_t *s)
{
    return s ? s->elem_size : 0;
}

size_t zeroipc_stream_capacity(zeroipc_stream_t *s)
{
    return s ? s->capacity : 0;
}

int zeroipc_stream_is_derived(zeroipc_stream_t *s)
{
    return s ? s->derived : ZEROIPC_ERROR_INVALID_ARGUMENT;
}

int zeroipc_stream_label(zeroipc_stream_t *s, char *buf, size_t len)
{
    if (s == NULL || buf == NULL || len == 0)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    size_t field = s->derived ? ZEROIPC_STREAM_OP_SIZE : ZEROIPC_STREAM_LABEL_SIZE;
    /* Bounded by the field: a foreign label may fill it without a NUL.
     * The label is written once, at creation. */
    const char *l = (const char *)s->hdr + OFF_LABEL;
    size_t n = strnlen(l, field);
    size_t k = n < len - 1 ? n : len - 1;
    memcpy(buf, l, k);
    buf[k] = '\0';
    return k == n ? ZEROIPC_OK : ZEROIPC_ERROR_SIZE;
}

/* ------------------------------------------------------------------ */
/* Derive. */

zeroipc_stream_t *zeroipc_stream_derive(zeroipc_memory_t *mem,
                                        const char *name,
                                        zeroipc_stream_t *source,
                                        const char *type, const char *op,
                                        size_t buffer_capacity)
{
    if (mem == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
        return NULL;
    }
    int err = ZEROIPC_OK;
    zeroipc_type_t t;
    struct zeroipc_sop sop;
    struct hinit hi;
    memset(&hi, 0, sizeof hi);
    if (source == NULL || type == NULL || op == NULL ||
        strcmp(zeroipc_memory_name(mem), zeroipc_memory_name(source->mem)) != 0 ||
        zeroipc_type_parse(type, strlen(type), &t) != ZEROIPC_OK ||
        t.nfields != 1 || zeroipc_sop_type_size(t.field[0].kind) == 0)
        err = ZEROIPC_ERROR_INVALID_ARGUMENT;
    else if (t.size != source->elem_size)
        err = ZEROIPC_ERROR_WRONG_KIND;
    if (err == ZEROIPC_OK)
        err = zeroipc_sop_parse(op, strlen(op), t.field[0].kind, &sop);
    if (err == ZEROIPC_OK)
        err = zeroipc_sop_format(&sop, hi.op, sizeof hi.op);
    /* The reference is the offset / 8 in a u32. */
    if (err == ZEROIPC_OK && (source->hdr_off % 8 != 0 ||
                              source->hdr_off / 8 > UINT32_MAX))
        err = ZEROIPC_ERROR_SIZE;
    if (err != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, err);
        return NULL;
    }
    hi.type = t.field[0].kind;
    hi.ext = EXT_DERIVED;
    hi.source = (uint32_t)(source->hdr_off / 8);
    size_t fsize = 0;
    if (sop.kind == ZEROIPC_SOP_FOLD) {
        buffer_capacity = 1; /* a fold emits nothing: its result is the future */
        fsize = zeroipc_sop_result_size(&sop);
    }
    return make(mem, name, t.size, buffer_capacity, &hi, fsize);
}

/* ------------------------------------------------------------------ */
/* Pump. */

static uint32_t now_ms32(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static uint32_t lease_end(void)
{
    uint32_t e = now_ms32() + ZEROIPC_STREAM_PUMP_LEASE_MS;
    return e ? e : 1; /* 0 means free */
}

/* Takes the claim: ZEROIPC_OK with *mine, or TIMEOUT with *seen. */
static int claim_take(uint8_t *h, uint32_t *mine, uint32_t *seen)
{
    _Atomic uint32_t *cw = claim_word(h);
    uint32_t cur = atomic_load_explicit(cw, memory_order_acquire);
    /* Free, or a lease that has run out (compared modulo 2^32). */
    if (cur == 0 || (int32_t)(now_ms32() - cur) >= 0) {
        uint32_t want = lease_end();
        /* acq_rel: see the previous holder's writes; publish the claim. */
        if (atomic_compare_exchange_strong_explicit(cw, &cur, want,
                                                    memory_order_acq_rel,
                                                    memory_order_acquire)) {
            *mine = want;
            return ZEROIPC_OK;
        }
    }
    *seen = cur;
    return ZEROIPC_ERROR_TIMEOUT;
}

static bool claim_renew(uint8_t *h, uint32_t *mine)
{
    uint32_t want = lease_end();
    uint32_t exp = *mine;
    if (!atomic_compare_exchange_strong_explicit(claim_word(h), &exp, want,
                                                 memory_order_acq_rel,
                                                 memory_order_relaxed))
        return false; /* taken over: our lease ran out */
    *mine = want;
    return true;
}

static void claim_release(uint8_t *h, uint32_t mine)
{
    uint32_t exp = mine;
    /* Release: our writes before the next holder's acquire. */
    if (atomic_compare_exchange_strong_explicit(claim_word(h), &exp, 0,
                                                memory_order_release,
                                                memory_order_relaxed))
        zeroipc_wake_word(claim_word(h));
}

/* The source, found and checked through the table. */
struct source {
    zeroipc_ring_t *ring;
    uint8_t *hdr;
    uint8_t *rb;
};

static bool ends_with(const char *s, const char *suffix, size_t *base_len)
{
    size_t n = strlen(s), k = strlen(suffix);
    if (n <= k || strcmp(s + n - k, suffix) != 0)
        return false;
    *base_len = n - k;
    return true;
}

static int source_open(zeroipc_stream_t *d, struct source *src)
{
    zeroipc_memory_t *mem = d->mem;
    uint32_t ref;
    memcpy(&ref, d->hdr + OFF_SOURCE, 4);
    uint64_t off = (uint64_t)ref * 8;
    if (ref == 0 || off == d->hdr_off)
        return ZEROIPC_ERROR_CORRUPT;
    int err = zeroipc_table_lock(mem, false);
    if (err != ZEROIPC_OK)
        return err;
    zeroipc_entry_t e, be;
    uint32_t i = 0;
    for (;; i++) {
        err = zeroipc_table_entry_locked(mem, i, &e);
        if (err != ZEROIPC_OK || e.offset == off)
            break;
    }
    char bname[ZEROIPC_NAME_SIZE];
    size_t blen = 0;
    if (err == ZEROIPC_OK &&
        (e.size != ZEROIPC_STREAM_HEADER_SIZE ||
         !ends_with(e.name, ZEROIPC_STREAM_HEADER_SUFFIX, &blen) ||
         blen > ZEROIPC_STREAM_NAME_MAX))
        err = ZEROIPC_ERROR_CORRUPT;
    if (err == ZEROIPC_OK) {
        memcpy(bname, e.name, blen);
        memcpy(bname + blen, ZEROIPC_STREAM_BUFFER_SUFFIX,
               sizeof ZEROIPC_STREAM_BUFFER_SUFFIX);
        err = zeroipc_table_find_locked(mem, bname, &be);
        if (err == ZEROIPC_ERROR_NOT_FOUND)
            err = ZEROIPC_ERROR_CORRUPT;
    }
    zeroipc_table_unlock(mem);
    if (err != ZEROIPC_OK)
        return err;
    uint8_t *base = zeroipc_memory_base(mem);
    src->hdr = base + off;
    src->rb = base + be.offset;
    /* off is a multiple of 8 by construction (ref * 8). */
    if (header_ok(src->hdr) != ZEROIPC_OK || be.offset % 8 != 0)
        return ZEROIPC_ERROR_CORRUPT;
    src->ring = zeroipc_ring_open(mem, bname);
    if (src->ring == NULL)
        return ZEROIPC_ERROR_CORRUPT;
    uint32_t cap;
    memcpy(&cap, src->hdr + OFF_CAP, 4);
    if (zeroipc_ring_elem_size(src->ring) != d->elem_size ||
        zeroipc_ring_capacity(src->ring) != cap) {
        zeroipc_ring_close(src->ring);
        src->ring = NULL;
        return ZEROIPC_ERROR_CORRUPT;
    }
    return ZEROIPC_OK;
}

/* What a pump that moved nothing would wait for. */
struct pwait {
    _Atomic uint32_t *word;
    uint32_t value;
};

/* The fold's future at `name`: its bytes, checked. */
static int fold_future(zeroipc_stream_t *d, const struct zeroipc_sop *op,
                       uint8_t **f)
{
    void *p;
    size_t size;
    int err = zeroipc_table_locate(d->mem, d->name, &p, &size);
    if (err == ZEROIPC_ERROR_NOT_FOUND)
        return ZEROIPC_ERROR_CORRUPT;
    if (err != ZEROIPC_OK)
        return err;
    if (size != ZEROIPC_FUTURE_SIZE(zeroipc_sop_result_size(op)) ||
        zeroipc_future_validate(p, size) != ZEROIPC_OK || (uintptr_t)p % 8 != 0)
        return ZEROIPC_ERROR_CORRUPT;
    *f = p;
    return ZEROIPC_OK;
}

/* Resolves a fold (if one) and closes d: the end of a derived stream. */
static int finish(zeroipc_stream_t *d, const struct zeroipc_sop *op)
{
    if (op->kind == ZEROIPC_SOP_FOLD) {
        size_t rs = zeroipc_sop_result_size(op);
        zeroipc_future_t *f = zeroipc_future_open(d->mem, d->name, rs);
        if (f == NULL)
            return ZEROIPC_ERROR_CORRUPT;
        uint8_t *fb;
        int err = fold_future(d, op, &fb);
        uint8_t acc[8];
        if (err == ZEROIPC_OK) {
            memcpy(acc, fb + ZEROIPC_FUTURE_VALUE_OFFSET, rs);
            bool seen = atomic_load_explicit(progress_word(d->hdr), memory_order_relaxed) != 0;
            if (!seen && (op->fn == ZEROIPC_SOP_MIN || op->fn == ZEROIPC_SOP_MAX))
                err = zeroipc_future_set_error(f, op->fn == ZEROIPC_SOP_MIN
                                                      ? "fold min: empty stream"
                                                      : "fold max: empty stream");
            else
                err = zeroipc_future_set(f, acc);
            /* A predecessor that resolved it and died before closing. */
            if (err == ZEROIPC_ERROR_ALREADY_SET)
                err = ZEROIPC_OK;
        }
        zeroipc_future_close(f);
        if (err != ZEROIPC_OK)
            return err;
    }
    zeroipc_stream_shutdown(d);
    return ZEROIPC_ERROR_CLOSED;
}

/* The operator of d, from its label. */
static int label_op(zeroipc_stream_t *d, struct zeroipc_sop *op)
{
    char text[ZEROIPC_STREAM_OP_SIZE];
    memcpy(text, d->hdr + OFF_LABEL, sizeof text);
    size_t n = strnlen(text, sizeof text);
    if (n == sizeof text || zeroipc_sop_parse(text, n, d->type, op) != ZEROIPC_OK ||
        op->size != d->elem_size)
        return ZEROIPC_ERROR_CORRUPT;
    return ZEROIPC_OK;
}

/* One batch: ZEROIPC_OK with *got source elements consumed (0: nothing
 * could move, *w says why), CLOSED when finished, or an error.  Caller
 * holds the claim. */
static int batch(zeroipc_stream_t *d, const struct zeroipc_sop *op,
                 struct source *src, uint8_t *fut, size_t *got,
                 struct pwait *w)
{
    uint8_t in[ZEROIPC_STREAM_PUMP_BATCH * 8], out[ZEROIPC_STREAM_PUMP_BATCH * 8];
    size_t k = ZEROIPC_STREAM_PUMP_BATCH;
    uint64_t seq = atomic_load_explicit(seq_word(d->hdr), memory_order_relaxed);
    uint32_t prog = atomic_load_explicit(progress_word(d->hdr), memory_order_relaxed);
    bool skipping = op->kind == ZEROIPC_SOP_SKIP && prog < op->n;
    *got = 0;
    if (op->kind == ZEROIPC_SOP_TAKE) {
        if (seq >= op->n)
            return finish(d, op);
        if (op->n - seq < k)
            k = (size_t)(op->n - seq);
    }
    if (skipping && op->n - prog < k)
        k = (size_t)(op->n - prog);
    /* A result resolved by someone else (a future is anyone's to set)
     * never changes again: nothing is left to fold into, and the fold is
     * over.  Checked before taking anything from the source. */
    if (op->kind == ZEROIPC_SOP_FOLD &&
        atomic_load_explicit((_Atomic uint32_t *)(void *)fut, memory_order_acquire) !=
            ZEROIPC_FUTURE_PENDING) {
        zeroipc_stream_shutdown(d);
        return ZEROIPC_ERROR_CLOSED;
    }
    if (op->kind != ZEROIPC_SOP_FOLD && !skipping) {
        /* We are d's only producer: its room can only grow meanwhile. */
        size_t room = d->capacity - zeroipc_ring_size(d->ring);
        if (room < k)
            k = room;
        if (k == 0) {
            _Atomic uint64_t *rp = ring_pos(d->rb, RING_RPOS);
            w->word = low(rp);
            w->value = (uint32_t)atomic_load_explicit(rp, memory_order_acquire);
            return ZEROIPC_OK;
        }
    }
    size_t n = zeroipc_ring_read_many_spsc(src->ring, in, k);
    if (n == 0) {
        uint8_t probe[8];
        int r = zeroipc_ring_peek_spsc(src->ring, probe);
        if (r == ZEROIPC_ERROR_CORRUPT)
            return r;
        int c = closed_of(src->hdr);
        if (c < 0)
            return c;
        _Atomic uint64_t *wp = ring_pos(src->rb, RING_WPOS);
        w->word = low(wp);
        w->value = (uint32_t)atomic_load_explicit(wp, memory_order_acquire);
        if (c == 0)
            return ZEROIPC_OK;
        /* Closed after its last emit: this read sees everything. */
        n = zeroipc_ring_read_many_spsc(src->ring, in, k);
        if (n == 0)
            return finish(d, op);
    }
    if (skipping) {
        atomic_store_explicit(progress_word(d->hdr), prog + (uint32_t)n,
                              memory_order_relaxed);
    } else if (op->kind == ZEROIPC_SOP_FOLD) {
        /* The accumulator lives in the PENDING future's value field. */
        size_t rs = zeroipc_sop_result_size(op);
        uint8_t acc[8];
        bool seen = prog != 0;
        memcpy(acc, fut + ZEROIPC_FUTURE_VALUE_OFFSET, rs);
        zeroipc_sop_fold(op, acc, &seen, in, n);
        memcpy(fut + ZEROIPC_FUTURE_VALUE_OFFSET, acc, rs);
        if (seen && prog == 0)
            atomic_store_explicit(progress_word(d->hdr), 1, memory_order_relaxed);
    } else {
        size_t m = zeroipc_sop_apply(op, in, n, out);
        if (m > 0) {
            if (zeroipc_ring_write_many_spsc(d->ring, out, m) != m)
                return ZEROIPC_ERROR_CORRUPT; /* the room we saw vanished */
            atomic_fetch_add_explicit(seq_word(d->hdr), m, memory_order_release);
        }
    }
    *got = n;
    return ZEROIPC_OK;
}

static int pump_once(zeroipc_stream_t *d, size_t *consumed, struct pwait *w)
{
    *consumed = 0;
    w->word = NULL;
    if (d == NULL || !d->derived)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    int c = closed_of(d->hdr);
    if (c != 0)
        return c < 0 ? c : ZEROIPC_ERROR_CLOSED;
    uint32_t mine, seen;
    if (claim_take(d->hdr, &mine, &seen) != ZEROIPC_OK) {
        w->word = claim_word(d->hdr);
        w->value = seen;
        return ZEROIPC_ERROR_TIMEOUT;
    }
    struct zeroipc_sop op;
    struct source src = {NULL, NULL, NULL};
    uint8_t *fut = NULL;
    /* Finished by the previous holder while we looked? */
    int err = closed_of(d->hdr);
    if (err == 1)
        err = ZEROIPC_ERROR_CLOSED;
    if (err == ZEROIPC_OK)
        err = label_op(d, &op);
    if (err == ZEROIPC_OK && op.kind == ZEROIPC_SOP_FOLD)
        err = fold_future(d, &op, &fut);
    if (err == ZEROIPC_OK)
        err = source_open(d, &src);
    for (int b = 0; err == ZEROIPC_OK && b < PUMP_MAX_BATCHES; b++) {
        size_t got = 0;
        err = batch(d, &op, &src, fut, &got, w);
        *consumed += got;
        if (err != ZEROIPC_OK || got == 0)
            break;
        w->word = NULL;
        if (!claim_renew(d->hdr, &mine)) {
            zeroipc_ring_close(src.ring);
            return ZEROIPC_ERROR_TIMEOUT;
        }
    }
    if (src.ring)
        zeroipc_ring_close(src.ring);
    claim_release(d->hdr, mine);
    return err;
}

int zeroipc_stream_pump(zeroipc_stream_t *d, size_t *consumed)
{
    size_t n;
    struct pwait w;
    int r = pump_once(d, &n, &w);
    if (consumed)
        *consumed = n;
    return r;
}

int zeroipc_stream_pump_timeout(zeroipc_stream_t *d, size_t *consumed,
                                int32_t timeout_ms)
{
    struct zeroipc_deadline dl;
    zeroipc_deadline_init(&dl, timeout_ms);
    size_t n = 0;
    int r;
    for (;;) {
        struct pwait w;
        r = pump_once(d, &n, &w);
        bool busy = r == ZEROIPC_ERROR_TIMEOUT && w.word != NULL;
        if ((r != ZEROIPC_OK && !busy) || n > 0)
            break;
        if (w.word == NULL)
            continue; /* stopped at the batch bound: go on */
        /* Pairs with the fences of the ring side that will move. */
        atomic_thread_fence(memory_order_seq_cst);
        if (timeout_ms == 0 ||
            zeroipc_wait_word(w.word, w.value, &dl) == ZEROIPC_ERROR_TIMEOUT) {
            r = pump_once(d, &n, &w);
            if (r == ZEROIPC_OK && n == 0)
                r = ZEROIPC_ERROR_TIMEOUT;
            break;
        }
    }
    if (consumed)
        *consumed = n;
    return r;
}

int zeroipc_stream_result_type(zeroipc_stream_t *s, char *spec, size_t len)
{
    struct zeroipc_sop op;
    if (s == NULL || spec == NULL || len == 0)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    if (zeroipc_stream_is_derived(s) != 1 || label_op(s, &op) != ZEROIPC_OK ||
        op.kind != ZEROIPC_SOP_FOLD)
        return ZEROIPC_ERROR_WRONG_KIND;
    static const char *const names[] = {
        [ZEROIPC_FIELD_I8] = "i8",   [ZEROIPC_FIELD_I16] = "i16", [ZEROIPC_FIELD_I32] = "i32",
        [ZEROIPC_FIELD_I64] = "i64", [ZEROIPC_FIELD_U8] = "u8",   [ZEROIPC_FIELD_U16] = "u16",
        [ZEROIPC_FIELD_U32] = "u32", [ZEROIPC_FIELD_U64] = "u64", [ZEROIPC_FIELD_F32] = "f32",
        [ZEROIPC_FIELD_F64] = "f64",
    };
    const char *t;
    if (op.fn == ZEROIPC_SOP_COUNT)
        t = "u64";
    else if (op.fn != ZEROIPC_SOP_SUM)
        t = names[op.type];
    else if (op.type == ZEROIPC_FIELD_F32 || op.type == ZEROIPC_FIELD_F64)
        t = "f64";
    else
        t = op.type >= ZEROIPC_FIELD_U8 ? "u64" : "i64";
    if (strlen(t) >= len)
        return ZEROIPC_ERROR_SIZE;
    strcpy(spec, t);
    return ZEROIPC_OK;
}
