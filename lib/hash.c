/*
 * hash.c - the open-addressing table behind maps and sets.
 *
 * Each slot has a state word: EMPTY, OCCUPIED, DELETED (tombstone) or
 * INSERTING.  A key lives in the first slot of its chain (hash + i) %
 * capacity that it claimed; slots never return to EMPTY, so a chain only
 * ever grows and a lookup may stop at the first EMPTY slot.
 *
 * Inserting without duplicates.  The public C++ claims the first free
 * slot of the chain and publishes.  That can insert a key twice: into a
 * tombstone in front of the slot where the key already is (or where a
 * peer is inserting it right now), or twice at once into two free slots.
 * We close both holes:
 *
 *   1. Look along the whole chain, up to EMPTY or capacity slots, for the
 *      key: found, update it.  Else remember the first tombstone or the
 *      EMPTY slot that ended the chain.
 *   2. Claim that slot with a CAS to INSERTING and write key and value.
 *   3. Look along the chain again, with sequentially consistent loads
 *      that pair with the sequentially consistent claims: of two
 *      processes claiming slots for the same key, at least one sees the
 *      other's claim (or what followed it).  An OCCUPIED slot with our key
 *      wins: we give ours up (as a tombstone, never EMPTY, since a peer
 *      may have probed past it meanwhile) and update that one.  An
 *      INSERTING slot may hold our key, which we cannot read yet: if its
 *      index is below ours we give way (tombstone ours, wait for it, start
 *      again), if above we wait for it to become OCCUPIED or DELETED.
 *      Waits therefore always go from a lower slot index to a higher one,
 *      for every key alike, so no two inserters ever wait for each other.
 *   4. Publish with a release store of OCCUPIED, then count.
 *
 * Every wait is bounded by ZEROIPC_MAP_CLAIM_MS: a slot still INSERTING
 * after that belongs to a peer that died holding it, and is turned into a
 * tombstone (bury) so that the chains through it work again.  Every scan
 * is bounded by the capacity.
 *
 * Readers skip INSERTING slots and check, after copying an entry out,
 * that it is still OCCUPIED with the same key; what they cannot exclude
 * (a value updated in place while they copy it) the header documents.
 */
#include "hash_i.h"

#include <stdlib.h>
#include <string.h>

#include "wait_i.h"

enum { HT_EMPTY = 0, HT_OCCUPIED = 1, HT_DELETED = 2, HT_INSERTING = 3 };

#define NONE UINT32_MAX

/* ------------------------------------------------------------------ */
/* Hashing, as the public C++ does it. */

/* libstdc++'s _Hash_bytes (libsupc++/hash_bytes.cc, 64-bit size_t), which
 * std::hash<std::string_view> calls with seed 0xc70f6907. */
static uint64_t shift_mix(uint64_t v)
{
    return v ^ (v >> 47);
}

static uint64_t hash_bytes(const void *ptr, size_t len, uint64_t seed)
{
    const uint64_t mul = (UINT64_C(0xc6a4a793) << 32) + UINT64_C(0x5bd1e995);
    const unsigned char *buf = ptr;
    size_t len_aligned = len & ~(size_t)7;
    uint64_t hash = seed ^ ((uint64_t)len * mul);
    for (size_t i = 0; i < len_aligned; i += 8) {
        uint64_t data;
        memcpy(&data, buf + i, 8); /* little-endian, as the format */
        data = shift_mix(data * mul) * mul;
        hash ^= data;
        hash *= mul;
    }
    if ((len & 7) != 0) {
        uint64_t data = 0;
        for (size_t n = len & 7; n-- > 0;)
            data = (data << 8) + buf[len_aligned + n];
        hash ^= data;
        hash *= mul;
    }
    hash = shift_mix(hash) * mul;
    return shift_mix(hash);
}

/* static_cast<size_t>(key) * 2654435761U: sign-extended when signed. */
static uint64_t hash_int(const void *key, uint32_t size, bool is_signed)
{
    uint64_t w = 0;
    switch (size) {
    case 1: {
        uint8_t v;
        memcpy(&v, key, 1);
        w = is_signed ? (uint64_t)(int64_t)(int8_t)v : v;
        break;
    }
    case 2: {
        uint16_t v;
        memcpy(&v, key, 2);
        w = is_signed ? (uint64_t)(int64_t)(int16_t)v : v;
        break;
    }
    case 4: {
        uint32_t v;
        memcpy(&v, key, 4);
        w = is_signed ? (uint64_t)(int64_t)(int32_t)v : v;
        break;
    }
    default:
        memcpy(&w, key, 8);
        break;
    }
    return w * UINT64_C(2654435761);
}

static uint64_t hash_key(uint32_t kind, uint32_t size, const void *key)
{
    if (kind == ZEROIPC_HASH_BYTES)
        return hash_bytes(key, size, 0xc70f6907u);
    return hash_int(key, size, kind == ZEROIPC_HASH_SIGNED);
}

/* ------------------------------------------------------------------ */
/* Shapes and layout. */

static bool good_align(uint32_t a)
{
    return a == 1 || a == 2 || a == 4 || a == 8;
}

static uint32_t align_up(uint32_t n, uint32_t a)
{
    return (n + a - 1) & ~(a - 1);
}

static uint32_t stride_of(uint32_t ks, uint32_t ka, uint32_t vs, uint32_t va,
                          uint32_t *key_off, uint32_t *value_off)
{
    uint32_t ko = align_up(4, ka);
    uint32_t vo = align_up(ko + ks, va);
    uint32_t a = ka > va ? ka : va;
    if (key_off)
        *key_off = ko;
    if (value_off)
        *value_off = vo;
    return align_up(vo + vs, a > 4 ? a : 4);
}

bool zeroipc_htab_layout(const zeroipc_map_shape_t *sh, bool set,
                         uint32_t *key_off, uint32_t *value_off, uint32_t *stride)
{
    if (sh == NULL || sh->key_size == 0 || sh->key_size > ZEROIPC_TYPE_MAX_SIZE ||
        !good_align(sh->key_align) || sh->key_size % sh->key_align != 0)
        return false;
    if (sh->key_hash > ZEROIPC_HASH_UNSIGNED)
        return false;
    if (sh->key_hash != ZEROIPC_HASH_BYTES && sh->key_size != 1 &&
        sh->key_size != 2 && sh->key_size != 4 && sh->key_size != 8)
        return false;
    if (set) {
        if (sh->value_size != 0 || sh->value_align != 1)
            return false;
    } else if (sh->value_size == 0 || sh->value_size > ZEROIPC_TYPE_MAX_SIZE ||
               !good_align(sh->value_align) || sh->value_size % sh->value_align != 0) {
        return false;
    }
    /* Both sizes are at most 2^20, so nothing here overflows 32 bits. */
    uint32_t s = stride_of(sh->key_size, sh->key_align, sh->value_size,
                           sh->value_align, key_off, value_off);
    if (stride)
        *stride = s;
    return true;
}

static size_t footprint(uint32_t stride, size_t capacity)
{
    if (capacity == 0 || capacity > ZEROIPC_MAP_MAX_CAPACITY)
        return 0;
    /* stride < 2^22 and capacity < 2^32: the product fits in 64 bits. */
    uint64_t total = ZEROIPC_MAP_HEADER_SIZE + (uint64_t)capacity * stride;
    return total > SIZE_MAX / 2 ? 0 : (size_t)total;
}

size_t zeroipc_htab_footprint(const zeroipc_map_shape_t *shape, bool set,
                              size_t capacity)
{
    uint32_t stride;
    if (!zeroipc_htab_layout(shape, set, NULL, NULL, &stride))
        return 0;
    return footprint(stride, capacity);
}

/* Reads the immutable header fields and, if they make a table of this
 * shape exactly `size` bytes long, fills *t. */
static int view(void *s, size_t size, const zeroipc_map_shape_t *shape, bool set,
                struct zeroipc_htab *t)
{
    uint32_t hdr[4], ko, vo, stride;
    if (s == NULL || size < ZEROIPC_MAP_HEADER_SIZE ||
        !zeroipc_htab_layout(shape, set, &ko, &vo, &stride))
        return ZEROIPC_ERROR_WRONG_KIND;
    memcpy(hdr, s, sizeof hdr);
    /* A set's reserved word is its "value_size", 0. */
    if (hdr[1] == 0 || hdr[2] != shape->key_size || hdr[3] != shape->value_size ||
        footprint(stride, hdr[1]) != size)
        return ZEROIPC_ERROR_WRONG_KIND;
    uint8_t *b = s;
    t->size = (_Atomic uint32_t *)(void *)b;
    t->entries = b + ZEROIPC_MAP_HEADER_SIZE;
    t->capacity = hdr[1];
    t->key_size = shape->key_size;
    t->value_size = shape->value_size;
    t->key_off = ko;
    t->value_off = vo;
    t->stride = stride;
    t->key_hash = shape->key_hash;
    t->shape = *shape;
    return ZEROIPC_OK;
}

int zeroipc_htab_validate(const void *s, size_t size,
                          const zeroipc_map_shape_t *shape, bool set)
{
    struct zeroipc_htab t;
    if (shape != NULL)
        return view((void *)(uintptr_t)s, size, shape, set, &t);
    if (s == NULL || size < ZEROIPC_MAP_HEADER_SIZE)
        return ZEROIPC_ERROR_WRONG_KIND;
    uint32_t hdr[4];
    memcpy(hdr, s, sizeof hdr);
    /* Any natural alignment of keys and values of the stored sizes. */
    zeroipc_map_shape_t sh = {hdr[2], 1, hdr[3], 1, ZEROIPC_HASH_BYTES};
    for (uint32_t ka = 1; ka <= 8; ka <<= 1) {
        for (uint32_t va = 1; va <= (set ? 1u : 8u); va <<= 1) {
            sh.key_align = ka;
            sh.value_align = va;
            if (view((void *)(uintptr_t)s, size, &sh, set, &t) == ZEROIPC_OK)
                return ZEROIPC_OK;
        }
    }
    return ZEROIPC_ERROR_WRONG_KIND;
}

/* ------------------------------------------------------------------ */
/* Creating and opening. */

static void init_table(void *p, const void *ctx)
{
    /* size 0 and every state EMPTY: the allocation is zeroed already. */
    const uint32_t *shape = ctx; /* capacity, key_size, value_size */
    uint32_t *hdr = p;
    hdr[1] = shape[0];
    hdr[2] = shape[1];
    hdr[3] = shape[2];
}

int zeroipc_htab_make(zeroipc_memory_t *mem, const char *name,
                      const zeroipc_map_shape_t *shape, bool set, bool create,
                      size_t capacity, struct zeroipc_htab *t)
{
    if (mem == NULL)
        return zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
    uint32_t stride;
    if (!zeroipc_htab_layout(shape, set, NULL, NULL, &stride))
        return zeroipc_mem_fail(mem, ZEROIPC_ERROR_INVALID_ARGUMENT);
    void *s;
    size_t size;
    if (create) {
        size = footprint(stride, capacity);
        if (size == 0)
            return zeroipc_mem_fail(mem, ZEROIPC_ERROR_SIZE);
        uint32_t ctx[3] = {(uint32_t)capacity, shape->key_size, shape->value_size};
        size_t offset;
        int err = zeroipc_table_add_init(mem, name, size, init_table, ctx, &offset);
        if (err != ZEROIPC_OK)
            return err;
        s = (uint8_t *)zeroipc_memory_base(mem) + offset;
    } else {
        int err = zeroipc_table_locate(mem, name, &s, &size);
        if (err != ZEROIPC_OK)
            return err;
    }
    if (view(s, size, shape, set, t) != ZEROIPC_OK)
        return zeroipc_mem_fail(mem, ZEROIPC_ERROR_WRONG_KIND);
    return ZEROIPC_OK;
}

/* ------------------------------------------------------------------ */
/* Slots. */

static _Atomic uint32_t *state_at(const struct zeroipc_htab *t, uint32_t idx)
{
    return (_Atomic uint32_t *)(void *)(t->entries + (size_t)idx * t->stride);
}

static uint8_t *key_at(const struct zeroipc_htab *t, uint32_t idx)
{
    return t->entries + (size_t)idx * t->stride + t->key_off;
}

static uint8_t *value_at(const struct zeroipc_htab *t, uint32_t idx)
{
    return t->entries + (size_t)idx * t->stride + t->value_off;
}

/* The i-th slot of the chain, exactly as the C++ computes it (the sum
 * wraps at 2^64 before the modulo). */
static uint32_t probe(const struct zeroipc_htab *t, uint64_t h, uint32_t i)
{
    return (uint32_t)((h + i) % t->capacity);
}

static bool key_is(const struct zeroipc_htab *t, uint32_t idx, const void *key)
{
    return memcmp(key_at(t, idx), key, t->key_size) == 0;
}

/*
 * Values of 1, 2, 4 or 8 bytes at an address aligned to their size move
 * with one atomic access, so an update in place is never seen torn by our
 * readers; others are copied byte by byte.
 */
static void value_put(const struct zeroipc_htab *t, uint8_t *dst, const void *src)
{
    size_t n = t->value_size;
    if (n == 0 || src == NULL)
        return;
    if ((uintptr_t)dst % n == 0) {
        switch (n) {
        case 1: {
            uint8_t v;
            memcpy(&v, src, 1);
            atomic_store_explicit((_Atomic uint8_t *)(void *)dst, v, memory_order_relaxed);
            return;
        }
        case 2: {
            uint16_t v;
            memcpy(&v, src, 2);
            atomic_store_explicit((_Atomic uint16_t *)(void *)dst, v, memory_order_relaxed);
            return;
        }
        case 4: {
            uint32_t v;
            memcpy(&v, src, 4);
            atomic_store_explicit((_Atomic uint32_t *)(void *)dst, v, memory_order_relaxed);
            return;
        }
        case 8: {
            uint64_t v;
            memcpy(&v, src, 8);
            atomic_store_explicit((_Atomic uint64_t *)(void *)dst, v, memory_order_relaxed);
            return;
        }
        default:
            break;
        }
    }
    memcpy(dst, src, n);
}

static void value_get(const struct zeroipc_htab *t, void *dst, uint8_t *src)
{
    size_t n = t->value_size;
    if (n == 0 || dst == NULL)
        return;
    if ((uintptr_t)src % n == 0) {
        switch (n) {
        case 1: {
            uint8_t v = atomic_load_explicit((_Atomic uint8_t *)(void *)src, memory_order_relaxed);
            memcpy(dst, &v, 1);
            return;
        }
        case 2: {
            uint16_t v = atomic_load_explicit((_Atomic uint16_t *)(void *)src, memory_order_relaxed);
            memcpy(dst, &v, 2);
            return;
        }
        case 4: {
            uint32_t v = atomic_load_explicit((_Atomic uint32_t *)(void *)src, memory_order_relaxed);
            memcpy(dst, &v, 4);
            return;
        }
        case 8: {
            uint64_t v = atomic_load_explicit((_Atomic uint64_t *)(void *)src, memory_order_relaxed);
            memcpy(dst, &v, 8);
            return;
        }
        default:
            break;
        }
    }
    memcpy(dst, src, n);
}

/* A deadline started on the first wait, so that the fast path never
 * reads the clock. */
struct patience {
    bool started;
    unsigned round;
    struct zeroipc_deadline dl;
};

/* Backs off once; false when ZEROIPC_MAP_CLAIM_MS have passed since the
 * first call. */
static bool wait_a_bit(struct patience *p)
{
    if (!p->started) {
        zeroipc_deadline_init(&p->dl, ZEROIPC_MAP_CLAIM_MS);
        p->started = true;
    }
    if (p->round >= 32 && p->round % 8 == 0) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > p->dl.at.tv_sec ||
            (now.tv_sec == p->dl.at.tv_sec && now.tv_nsec >= p->dl.at.tv_nsec))
            return false;
    }
    zeroipc_backoff(p->round < 64 ? p->round : 64);
    p->round++;
    return true;
}

/*
 * A slot INSERTING for a whole claim time: its inserter is taken for dead
 * and the slot becomes a tombstone (its key, never acknowledged, is lost
 * with it), so that chains through it work again.  true when it is no
 * longer INSERTING; the patience starts over for the next slot.
 */
static bool bury(const struct zeroipc_htab *t, uint32_t idx, struct patience *p)
{
    uint32_t st = HT_INSERTING;
    atomic_compare_exchange_strong(state_at(t, idx), &st, HT_DELETED);
    p->started = false;
    p->round = 0;
    return true;
}

/* Waits for slot idx to leave INSERTING, burying a dead inserter's slot
 * after ZEROIPC_MAP_CLAIM_MS.  ZEROIPC_OK. */
static int wait_slot(const struct zeroipc_htab *t, uint32_t idx, struct patience *p)
{
    while (atomic_load(state_at(t, idx)) == HT_INSERTING)
        if (!wait_a_bit(p))
            bury(t, idx, p);
    return ZEROIPC_OK;
}

/* ------------------------------------------------------------------ */
/* Insert. */

/*
 * Step 1: the key's slot, if it is OCCUPIED somewhere in the chain, in
 * *found; else the first tombstone or the EMPTY end of the chain in *free
 * (with its state), or NONE when there is neither.
 */
static int scan(const struct zeroipc_htab *t, uint64_t h, const void *key,
                uint32_t *found, uint32_t *free, uint32_t *free_state)
{
    *found = *free = NONE;
    for (uint32_t i = 0; i < t->capacity; i++) {
        uint32_t idx = probe(t, h, i);
        /* Acquire: an OCCUPIED key's bytes are those its inserter wrote. */
        uint32_t st = atomic_load_explicit(state_at(t, idx), memory_order_acquire);
        switch (st) {
        case HT_EMPTY:
            if (*free == NONE) {
                *free = idx;
                *free_state = st;
            }
            return ZEROIPC_OK;
        case HT_OCCUPIED:
            if (key_is(t, idx, key)) {
                *found = idx;
                return ZEROIPC_OK;
            }
            break;
        case HT_DELETED:
            if (*free == NONE) {
                *free = idx;
                *free_state = st;
            }
            break;
        case HT_INSERTING:
            break; /* step 3 settles it */
        default:
            return ZEROIPC_ERROR_CORRUPT;
        }
    }
    return ZEROIPC_OK;
}

enum { CHECK_CLEAR = 1, CHECK_DUP, CHECK_YIELD };

/*
 * Step 3, holding slot `mine` in INSERTING with the key written.  Returns
 * CHECK_CLEAR (publish), CHECK_DUP with the OCCUPIED slot of our key in
 * *other, CHECK_YIELD with a lower INSERTING slot in *other, or an error.
 */
static int check(const struct zeroipc_htab *t, uint64_t h, const void *key,
                 uint32_t mine, uint32_t *other, struct patience *p)
{
    for (uint32_t i = 0; i < t->capacity; i++) {
        uint32_t idx = probe(t, h, i);
        if (idx == mine)
            continue;
        for (;;) {
            /* Sequentially consistent: pairs with the peers' claims (see
             * the essay); acquire for an OCCUPIED key's bytes. */
            uint32_t st = atomic_load(state_at(t, idx));
            if (st == HT_EMPTY)
                return CHECK_CLEAR;
            if (st == HT_DELETED)
                break;
            if (st == HT_OCCUPIED) {
                if (key_is(t, idx, key)) {
                    *other = idx;
                    return CHECK_DUP;
                }
                break;
            }
            if (st != HT_INSERTING)
                return ZEROIPC_ERROR_CORRUPT;
            if (idx < mine) {
                *other = idx;
                return CHECK_YIELD;
            }
            if (!wait_a_bit(p))
                bury(t, idx, p);
        }
    }
    return CHECK_CLEAR;
}

int zeroipc_htab_insert(const struct zeroipc_htab *t, const void *key,
                        const void *value, bool update)
{
    uint64_t h = hash_key(t->key_hash, t->key_size, key);
    struct patience p = {0};
    for (;;) {
        uint32_t found, mine, from = HT_EMPTY, other = NONE;
        int err = scan(t, h, key, &found, &mine, &from);
        if (err != ZEROIPC_OK)
            return err;
        if (found != NONE) {
            if (update)
                value_put(t, value_at(t, found), value);
            return 0;
        }
        if (mine == NONE)
            return ZEROIPC_ERROR_SIZE;
        /* Sequentially consistent: see check(). */
        if (!atomic_compare_exchange_strong(state_at(t, mine), &from, HT_INSERTING)) {
            if (!wait_a_bit(&p))
                return ZEROIPC_ERROR_TIMEOUT;
            continue; /* someone took it first: look again */
        }
        memcpy(key_at(t, mine), key, t->key_size);
        if (t->value_size != 0)
            memcpy(value_at(t, mine), value, t->value_size);
        int r = check(t, h, key, mine, &other, &p);
        if (r == CHECK_CLEAR) {
            /* Release: the key and value before the state that shows them. */
            atomic_store_explicit(state_at(t, mine), HT_OCCUPIED, memory_order_release);
            atomic_fetch_add_explicit(t->size, 1, memory_order_relaxed);
            return 1;
        }
        /* Give the slot up as a tombstone: a peer may have probed past it. */
        atomic_store_explicit(state_at(t, mine), HT_DELETED, memory_order_release);
        if (r == CHECK_DUP) {
            if (update)
                value_put(t, value_at(t, other), value);
            return 0;
        }
        if (r != CHECK_YIELD)
            return r;
        if (wait_slot(t, other, &p) != ZEROIPC_OK)
            return ZEROIPC_ERROR_TIMEOUT;
    }
}

/* ------------------------------------------------------------------ */
/* Find, erase, iterate. */

int zeroipc_htab_find(const struct zeroipc_htab *t, const void *key, void *value_out)
{
    uint64_t h = hash_key(t->key_hash, t->key_size, key);
    for (uint32_t i = 0; i < t->capacity; i++) {
        uint32_t idx = probe(t, h, i);
        _Atomic uint32_t *sp = state_at(t, idx);
        uint32_t st = atomic_load_explicit(sp, memory_order_acquire);
        if (st == HT_EMPTY)
            return ZEROIPC_ERROR_NOT_FOUND;
        if (st > HT_INSERTING)
            return ZEROIPC_ERROR_CORRUPT;
        if (st != HT_OCCUPIED || !key_is(t, idx, key))
            continue;
        value_get(t, value_out, value_at(t, idx));
        /* The copy is good if the entry was neither erased nor reused
         * while we read it; if it was, the key was erased meanwhile, and
         * may since be further along the chain. */
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(sp, memory_order_relaxed) == HT_OCCUPIED &&
            key_is(t, idx, key))
            return ZEROIPC_OK;
    }
    return ZEROIPC_ERROR_NOT_FOUND;
}

int zeroipc_htab_erase(const struct zeroipc_htab *t, const void *key)
{
    uint64_t h = hash_key(t->key_hash, t->key_size, key);
    for (uint32_t i = 0; i < t->capacity; i++) {
        uint32_t idx = probe(t, h, i);
        uint32_t st = atomic_load_explicit(state_at(t, idx), memory_order_acquire);
        if (st == HT_EMPTY)
            return ZEROIPC_ERROR_NOT_FOUND;
        if (st > HT_INSERTING)
            return ZEROIPC_ERROR_CORRUPT;
        if (st != HT_OCCUPIED || !key_is(t, idx, key))
            continue;
        uint32_t expected = HT_OCCUPIED;
        /* Only the winner of the CAS counts the erase; a loser lost to
         * another erase (or a reuse) and looks on along the chain. */
        if (atomic_compare_exchange_strong(state_at(t, idx), &expected, HT_DELETED)) {
            atomic_fetch_sub_explicit(t->size, 1, memory_order_relaxed);
            return ZEROIPC_OK;
        }
    }
    return ZEROIPC_ERROR_NOT_FOUND;
}

int zeroipc_htab_next(const struct zeroipc_htab *t, size_t *cursor, void *key_out,
                      void *value_out)
{
    uint8_t small[64];
    uint8_t *kbuf = t->key_size <= sizeof small ? small : malloc(t->key_size);
    if (kbuf == NULL)
        return ZEROIPC_ERROR_SYSTEM;
    int ret = ZEROIPC_ERROR_NOT_FOUND;
    size_t idx = *cursor;
    for (; idx < t->capacity; idx++) {
        _Atomic uint32_t *sp = state_at(t, (uint32_t)idx);
        uint32_t st = atomic_load_explicit(sp, memory_order_acquire);
        if (st > HT_INSERTING) {
            ret = ZEROIPC_ERROR_CORRUPT;
            break;
        }
        if (st != HT_OCCUPIED)
            continue;
        memcpy(kbuf, key_at(t, (uint32_t)idx), t->key_size);
        value_get(t, value_out, value_at(t, (uint32_t)idx));
        /* As in find: keep it only if it stayed the same entry. */
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(sp, memory_order_relaxed) == HT_OCCUPIED &&
            key_is(t, (uint32_t)idx, kbuf)) {
            if (key_out)
                memcpy(key_out, kbuf, t->key_size);
            ret = ZEROIPC_OK;
            idx++;
            break;
        }
    }
    *cursor = idx;
    if (kbuf != small)
        free(kbuf);
    return ret;
}

size_t zeroipc_htab_size(const struct zeroipc_htab *t)
{
    uint32_t n = atomic_load_explicit(t->size, memory_order_relaxed);
    return n > t->capacity ? t->capacity : n;
}

/* ------------------------------------------------------------------ */
/* Public helpers on shapes. */

int zeroipc_map_shape(const zeroipc_type_t *key, const zeroipc_type_t *value,
                      zeroipc_map_shape_t *out)
{
    if (key == NULL || out == NULL || zeroipc_type_size(key) == 0 ||
        !good_align(key->align))
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    if (value != NULL && (zeroipc_type_size(value) == 0 || !good_align(value->align)))
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    zeroipc_map_shape_t sh = {key->size, key->align, 0, 1, ZEROIPC_HASH_BYTES};
    if (key->nfields == 1) {
        switch (key->field[0].kind) {
        case ZEROIPC_FIELD_I8:
        case ZEROIPC_FIELD_I16:
        case ZEROIPC_FIELD_I32:
        case ZEROIPC_FIELD_I64:
            sh.key_hash = ZEROIPC_HASH_SIGNED;
            break;
        case ZEROIPC_FIELD_U8:
        case ZEROIPC_FIELD_U16:
        case ZEROIPC_FIELD_U32:
        case ZEROIPC_FIELD_U64:
            sh.key_hash = ZEROIPC_HASH_UNSIGNED;
            break;
        default:
            break;
        }
    }
    if (value != NULL) {
        sh.value_size = value->size;
        sh.value_align = value->align;
    }
    if (!zeroipc_htab_layout(&sh, value == NULL, NULL, NULL, NULL))
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    *out = sh;
    return ZEROIPC_OK;
}

size_t zeroipc_map_entry_size(const zeroipc_map_shape_t *shape)
{
    uint32_t stride;
    if (shape == NULL ||
        !zeroipc_htab_layout(shape, shape->value_size == 0, NULL, NULL, &stride))
        return 0;
    return stride;
}

uint64_t zeroipc_map_hash(const zeroipc_map_shape_t *shape, const void *key)
{
    if (shape == NULL || key == NULL ||
        !zeroipc_htab_layout(shape, shape->value_size == 0, NULL, NULL, NULL))
        return 0;
    return hash_key(shape->key_hash, shape->key_size, key);
}
