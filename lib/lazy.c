/*
 * lazy.c - a value computed at most once (FORMAT.md "Lazy").
 *
 * The state word is both the claim and the futex.  NOT_COMPUTED ->
 * COMPUTING is a CAS that exactly one caller wins; the winner writes
 * cached_value (or error_msg), then publishes COMPUTED (ERROR) with a
 * release store that the readers' acquire loads pair with, so the value
 * and the message are complete for anyone who sees the final state.
 *
 * CHAIN forces its operands with no claim held, then claims itself only
 * for the one arithmetic operation.  That keeps every wait free of held
 * claims (no cross-process deadlock through a cycle), and the path of
 * table indices being forced, at most ZEROIPC_LAZY_MAX_DEPTH long,
 * detects a cycle within one process and bounds the recursion.
 *
 * Trust: op and operand words are read on every force and checked; the
 * state is only compared; operand entries go through the table's checks.
 */
#include "zeroipc_lazy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory_i.h"
#include "wait_i.h"

/* Byte offsets of the fields for one element size (see the header). */
struct layout {
    size_t op, data, cached, err, count, size;
};

struct zeroipc_lazy {
    zeroipc_memory_t *mem;
    uint8_t *s;
    zeroipc_field_kind_t type;
    size_t n;
    struct layout l;
};

/* A lazy entry being forced: the handle's, or a CHAIN operand's. */
struct node {
    uint8_t *s;
    uint32_t index; /* table index, UINT32_MAX when unknown */
};

static size_t align_up(size_t v, size_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/* The C struct's natural layout for T of n bytes (n in 1, 2, 4, 8, whose
 * alignment is n): the union and the struct align to max(4, n). */
static void layout_for(size_t n, struct layout *l)
{
    size_t ca = n > 4 ? n : 4;
    size_t comp = align_up(4, ca);
    size_t usize = align_up(2 * n > 8 ? 2 * n : 8, ca);
    l->op = comp;
    l->data = align_up(comp + 4, ca);
    l->cached = align_up(l->data + usize, ca);
    l->err = l->cached + n;
    l->count = align_up(l->err + ZEROIPC_LAZY_ERROR_SIZE, 4);
    l->size = align_up(l->count + 4, ca);
}

static size_t elem_size_of(zeroipc_field_kind_t t)
{
    switch (t) {
    case ZEROIPC_FIELD_I8: case ZEROIPC_FIELD_U8: return 1;
    case ZEROIPC_FIELD_I16: case ZEROIPC_FIELD_U16: return 2;
    case ZEROIPC_FIELD_I32: case ZEROIPC_FIELD_U32: case ZEROIPC_FIELD_F32: return 4;
    case ZEROIPC_FIELD_I64: case ZEROIPC_FIELD_U64: case ZEROIPC_FIELD_F64: return 8;
    default: return 0;
    }
}

size_t zeroipc_lazy_size(zeroipc_field_kind_t type)
{
    size_t n = elem_size_of(type);
    if (n == 0)
        return 0;
    struct layout l;
    layout_for(n, &l);
    return l.size;
}

static _Atomic uint32_t *state_word(const uint8_t *s)
{
    return (_Atomic uint32_t *)(void *)(uintptr_t)s;
}

static _Atomic uint32_t *count_word(const zeroipc_lazy_t *lz, uint8_t *s)
{
    return (_Atomic uint32_t *)(void *)(s + lz->l.count);
}

/* The op word: written before the entry was published and never again by
 * us; read relaxed since a foreign writer could change it at any time. */
static uint32_t op_word(const zeroipc_lazy_t *lz, const uint8_t *s)
{
    return atomic_load_explicit((_Atomic uint32_t *)(void *)(uintptr_t)(s + lz->l.op),
                                memory_order_relaxed);
}

/* Whether an op word is one we know; *op and *comb get its halves. */
static bool decode_op(uint32_t w, int *op, int *comb)
{
    uint32_t lo = w & 0xFFFFu, hi = w >> 16;
    if (lo > ZEROIPC_LAZY_EXTERNAL)
        return false;
    if (hi != 0 && (lo != ZEROIPC_LAZY_CHAIN || hi > ZEROIPC_LAZY_NEGATE))
        return false;
    *op = (int)lo;
    *comb = hi == 0 ? ZEROIPC_LAZY_ADD : (int)hi;
    return true;
}

/* ------------------------------------------------------------------ */
/* Arithmetic: integers in u64 (wrapping, so no signed overflow; the low n
 * bytes of the result are the two's-complement result for any signedness),
 * floats in their own type. */

static void arith(zeroipc_field_kind_t t, size_t n, int op, const void *a,
                  const void *b, void *out)
{
    if (t == ZEROIPC_FIELD_F32) {
        float x, y, r;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        r = op == ZEROIPC_LAZY_ADD ? x + y : op == ZEROIPC_LAZY_MULTIPLY ? x * y : -x;
        memcpy(out, &r, 4);
    } else if (t == ZEROIPC_FIELD_F64) {
        double x, y, r;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        r = op == ZEROIPC_LAZY_ADD ? x + y : op == ZEROIPC_LAZY_MULTIPLY ? x * y : -x;
        memcpy(out, &r, 8);
    } else {
        uint64_t x = 0, y = 0, r; /* little-endian: the low n bytes */
        memcpy(&x, a, n);
        memcpy(&y, b, n);
        r = op == ZEROIPC_LAZY_ADD ? x + y : op == ZEROIPC_LAZY_MULTIPLY ? x * y : 0 - x;
        memcpy(out, &r, n);
    }
}

/* ------------------------------------------------------------------ */
/* Claiming and publishing. */

static bool claim(uint8_t *s)
{
    uint32_t expect = ZEROIPC_LAZY_NOT_COMPUTED;
    /* Acquire: a winner that retries after a recover sees what the
     * recoverer saw; the claim itself publishes nothing. */
    return atomic_compare_exchange_strong_explicit(state_word(s), &expect,
                                                   ZEROIPC_LAZY_COMPUTING,
                                                   memory_order_acquire,
                                                   memory_order_relaxed);
}

/* Caller holds the claim.  Stores the value, counts it, publishes. */
static void publish_value(const zeroipc_lazy_t *lz, uint8_t *s, const void *v)
{
    memcpy(s + lz->l.cached, v, lz->n);
    atomic_fetch_add_explicit(count_word(lz, s), 1, memory_order_relaxed);
    /* Release: the value and the count before COMPUTED. */
    atomic_store_explicit(state_word(s), ZEROIPC_LAZY_COMPUTED, memory_order_release);
    /* No waiter count in the layout: always wake, once per lazy. */
    zeroipc_wake_word(state_word(s));
}

/* Caller holds the claim.  Writes the whole message field, then ERROR. */
static void publish_error(const zeroipc_lazy_t *lz, uint8_t *s, const char *msg)
{
    char buf[ZEROIPC_LAZY_ERROR_SIZE] = {0};
    size_t len = strnlen(msg, sizeof buf - 1);
    memcpy(buf, msg, len);
    memcpy(s + lz->l.err, buf, sizeof buf);
    /* Release: the message before ERROR (C++ does it the other way). */
    atomic_store_explicit(state_word(s), ZEROIPC_LAZY_ERROR, memory_order_release);
    zeroipc_wake_word(state_word(s));
}

/* Puts a NOT_COMPUTED lazy into ERROR; if somebody else resolves it
 * first, their outcome stands (the caller's loop reads it). */
static void fail_node(const zeroipc_lazy_t *lz, uint8_t *s, const char *msg)
{
    if (claim(s))
        publish_error(lz, s, msg);
}

/* ------------------------------------------------------------------ */
/* CHAIN operands. */

/*
 * Resolves table index `idx` to a lazy of our struct size.  ZEROIPC_OK
 * with *p; ZEROIPC_ERROR_FAILED with a message in msg (the operand is
 * unusable: the chain goes to ERROR); ZEROIPC_ERROR_SYSTEM (lock).
 */
static int operand(const zeroipc_lazy_t *lz, uint32_t idx, uint8_t **p,
                   char *msg, size_t len)
{
    zeroipc_entry_t e;
    int err = zeroipc_table_lock(lz->mem, false);
    if (err != ZEROIPC_OK)
        return err;
    err = zeroipc_table_entry_locked(lz->mem, idx, &e);
    zeroipc_table_unlock(lz->mem);
    if (err == ZEROIPC_ERROR_NOT_FOUND) {
        snprintf(msg, len, "chain operand: no table entry %u", idx);
        return ZEROIPC_ERROR_FAILED;
    }
    if (err != ZEROIPC_OK) {
        snprintf(msg, len, "chain operand: table entry %u is corrupt", idx);
        return ZEROIPC_ERROR_FAILED;
    }
    uint8_t *q = (uint8_t *)zeroipc_memory_base(lz->mem) + e.offset;
    if (e.size != lz->l.size || (uintptr_t)q % 8 != 0 ||
        zeroipc_lazy_validate(q, e.size) != ZEROIPC_OK) {
        snprintf(msg, len, "chain operand: entry %u (%.31s) is not a lazy of this type",
                 idx, e.name);
        return ZEROIPC_ERROR_FAILED;
    }
    *p = q;
    return ZEROIPC_OK;
}

/* The table index of the entry at `s`, or UINT32_MAX. */
static uint32_t index_of(const zeroipc_lazy_t *lz, const uint8_t *s, int *err)
{
    uint64_t off = (uint64_t)(s - (const uint8_t *)zeroipc_memory_base(lz->mem));
    *err = zeroipc_table_lock(lz->mem, false);
    if (*err != ZEROIPC_OK)
        return UINT32_MAX;
    uint32_t found = UINT32_MAX;
    zeroipc_entry_t e;
    for (uint32_t i = 0; zeroipc_table_entry_locked(lz->mem, i, &e) == ZEROIPC_OK; i++) {
        if (e.offset == off && e.size == lz->l.size) {
            found = i;
            break;
        }
    }
    zeroipc_table_unlock(lz->mem);
    return found;
}

/* ------------------------------------------------------------------ */
/* Forcing. */

/* The indices on the current force path, for cycle detection. */
struct path {
    uint32_t idx[ZEROIPC_LAZY_MAX_DEPTH + 1];
    int depth;
};

/* force_node's internal answer (positive, never returned to callers):
 * the chain goes deeper than ZEROIPC_LAZY_MAX_DEPTH from the root. */
#define TOO_DEEP 1

static int force_node(const zeroipc_lazy_t *lz, struct node nd, struct path *path,
                      const struct zeroipc_deadline *dl, bool once, void *out);

/* Forces the operands of the CHAIN `nd` and combines them.  Returns
 * ZEROIPC_OK when the caller should look at the state again (resolved,
 * here or elsewhere), or an error to return. */
static int force_chain(const zeroipc_lazy_t *lz, struct node nd, int comb,
                       struct path *path, const struct zeroipc_deadline *dl,
                       bool once)
{
    char msg[ZEROIPC_LAZY_ERROR_SIZE];
    uint8_t vals[2][8] = {{0}};
    const uint8_t *d = nd.s + lz->l.data;
    uint32_t idx[2];
    idx[0] = atomic_load_explicit((_Atomic uint32_t *)(void *)(uintptr_t)d, memory_order_relaxed);
    idx[1] = atomic_load_explicit((_Atomic uint32_t *)(void *)(uintptr_t)(d + 4), memory_order_relaxed);
    int nops = comb == ZEROIPC_LAZY_NEGATE ? 1 : 2;
    /* Too deep is a property of this force, not of the inner entries
     * (forced from nearer the bottom they are fine): it unwinds to the
     * root, which alone goes to ERROR. */
    if (path->depth >= ZEROIPC_LAZY_MAX_DEPTH)
        return TOO_DEEP;
    path->idx[path->depth++] = nd.index;
    int r = ZEROIPC_OK;
    for (int i = 0; i < nops && r == ZEROIPC_OK; i++) {
        struct node op = {NULL, idx[i]};
        for (int k = 0; k < path->depth; k++) {
            if (path->idx[k] == idx[i]) {
                snprintf(msg, sizeof msg, "chain cycle: entry %u depends on itself", idx[i]);
                r = ZEROIPC_ERROR_FAILED;
                break;
            }
        }
        if (r == ZEROIPC_OK)
            r = operand(lz, idx[i], &op.s, msg, sizeof msg);
        if (r == ZEROIPC_OK) {
            r = force_node(lz, op, path, dl, once, vals[i]);
            if (r == ZEROIPC_ERROR_FAILED) {
                char sub[ZEROIPC_LAZY_ERROR_SIZE];
                memcpy(sub, op.s + lz->l.err, sizeof sub);
                sub[sizeof sub - 1] = '\0';
                snprintf(msg, sizeof msg, "operand %u failed: %.200s", idx[i], sub);
            }
        }
    }
    path->depth--;
    if (r == TOO_DEEP) {
        if (path->depth > 0)
            return TOO_DEEP;
        snprintf(msg, sizeof msg, "chain nested deeper than %d", ZEROIPC_LAZY_MAX_DEPTH);
        r = ZEROIPC_ERROR_FAILED;
    }
    if (r == ZEROIPC_ERROR_FAILED) {
        fail_node(lz, nd.s, msg);
        return ZEROIPC_OK;
    }
    if (r != ZEROIPC_OK)
        return r; /* TIMEOUT, CORRUPT, SYSTEM: nothing claimed */
    if (claim(nd.s)) {
        uint8_t res[8];
        arith(lz->type, lz->n, comb, vals[0], vals[1], res);
        publish_value(lz, nd.s, res);
    }
    return ZEROIPC_OK;
}

static int force_node(const zeroipc_lazy_t *lz, struct node nd, struct path *path,
                      const struct zeroipc_deadline *dl, bool once, void *out)
{
    for (;;) {
        uint32_t st = atomic_load_explicit(state_word(nd.s), memory_order_acquire);
        if (st == ZEROIPC_LAZY_COMPUTED) {
            memcpy(out, nd.s + lz->l.cached, lz->n);
            return ZEROIPC_OK;
        }
        if (st == ZEROIPC_LAZY_ERROR)
            return ZEROIPC_ERROR_FAILED;
        if (st > ZEROIPC_LAZY_ERROR)
            return ZEROIPC_ERROR_CORRUPT;
        int op, comb;
        if (!decode_op(op_word(lz, nd.s), &op, &comb))
            return ZEROIPC_ERROR_CORRUPT;
        if (st == ZEROIPC_LAZY_NOT_COMPUTED && op != ZEROIPC_LAZY_EXTERNAL) {
            if (op == ZEROIPC_LAZY_CHAIN) {
                int r = force_chain(lz, nd, comb, path, dl, once);
                if (r != ZEROIPC_OK)
                    return r;
                continue;
            }
            if (claim(nd.s)) {
                uint8_t res[8];
                const uint8_t *d = nd.s + lz->l.data;
                /* A CONSTANT is made COMPUTED; one that is not (recovered,
                 * or written so by another implementation) is its `a`. */
                if (op == ZEROIPC_LAZY_CONSTANT)
                    memcpy(res, d, lz->n);
                else
                    arith(lz->type, lz->n, op, d, d + lz->n, res);
                publish_value(lz, nd.s, res);
            }
            continue;
        }
        /* COMPUTING elsewhere, or an EXTERNAL not yet supplied. */
        if (once)
            return ZEROIPC_ERROR_TIMEOUT;
        if (zeroipc_wait_word(state_word(nd.s), st, dl) == ZEROIPC_ERROR_TIMEOUT) {
            /* One last look, without sleeping: a resolution (or a
             * recover) that came with the deadline counts. */
            if (atomic_load_explicit(state_word(nd.s), memory_order_acquire) == st)
                return ZEROIPC_ERROR_TIMEOUT;
            once = true;
        }
    }
}

int zeroipc_lazy_force_timeout(zeroipc_lazy_t *lz, void *out, int32_t timeout_ms)
{
    if (lz == NULL || out == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    struct zeroipc_deadline dl;
    zeroipc_deadline_init(&dl, timeout_ms);
    struct path path = {.depth = 0};
    struct node nd = {lz->s, UINT32_MAX};
    int op, comb;
    if (decode_op(op_word(lz, lz->s), &op, &comb) && op == ZEROIPC_LAZY_CHAIN &&
        atomic_load_explicit(state_word(lz->s), memory_order_acquire) ==
            ZEROIPC_LAZY_NOT_COMPUTED) {
        /* Only a chain needs its own index (to see itself in a cycle). */
        int err;
        nd.index = index_of(lz, lz->s, &err);
        if (err != ZEROIPC_OK)
            return err;
    }
    uint8_t tmp[8];
    int r = force_node(lz, nd, &path, &dl, timeout_ms == 0, tmp);
    if (r == ZEROIPC_OK)
        memcpy(out, tmp, lz->n);
    return r;
}

int zeroipc_lazy_force(zeroipc_lazy_t *lz, void *out)
{
    return zeroipc_lazy_force_timeout(lz, out, -1);
}

int zeroipc_lazy_peek(zeroipc_lazy_t *lz, void *out)
{
    if (lz == NULL || out == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    uint32_t st = atomic_load_explicit(state_word(lz->s), memory_order_acquire);
    if (st == ZEROIPC_LAZY_COMPUTED) {
        memcpy(out, lz->s + lz->l.cached, lz->n);
        return ZEROIPC_OK;
    }
    if (st == ZEROIPC_LAZY_ERROR)
        return ZEROIPC_ERROR_FAILED;
    return st > ZEROIPC_LAZY_ERROR ? ZEROIPC_ERROR_CORRUPT : ZEROIPC_ERROR_NOT_FOUND;
}

/* supply and fail: the checks they share, then the claim. */
static int claim_external(zeroipc_lazy_t *lz)
{
    int op, comb;
    uint32_t st = atomic_load_explicit(state_word(lz->s), memory_order_acquire);
    if (st > ZEROIPC_LAZY_ERROR || !decode_op(op_word(lz, lz->s), &op, &comb))
        return ZEROIPC_ERROR_CORRUPT;
    if (op != ZEROIPC_LAZY_EXTERNAL)
        return ZEROIPC_ERROR_WRONG_KIND;
    return claim(lz->s) ? ZEROIPC_OK : ZEROIPC_ERROR_ALREADY_SET;
}

int zeroipc_lazy_supply(zeroipc_lazy_t *lz, const void *value)
{
    if (lz == NULL || value == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    int r = claim_external(lz);
    if (r == ZEROIPC_OK)
        publish_value(lz, lz->s, value);
    return r;
}

int zeroipc_lazy_fail(zeroipc_lazy_t *lz, const char *message)
{
    if (lz == NULL || message == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    int r = claim_external(lz);
    if (r == ZEROIPC_OK)
        publish_error(lz, lz->s, message);
    return r;
}

int zeroipc_lazy_recover(zeroipc_lazy_t *lz)
{
    if (lz == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    uint32_t expect = ZEROIPC_LAZY_COMPUTING;
    if (!atomic_compare_exchange_strong_explicit(state_word(lz->s), &expect,
                                                 ZEROIPC_LAZY_NOT_COMPUTED,
                                                 memory_order_acq_rel,
                                                 memory_order_relaxed))
        return ZEROIPC_ERROR_NOT_FOUND;
    zeroipc_wake_word(state_word(lz->s));
    return ZEROIPC_OK;
}

/* ------------------------------------------------------------------ */
/* Accessors. */

int zeroipc_lazy_state(zeroipc_lazy_t *lz)
{
    if (lz == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    uint32_t st = atomic_load_explicit(state_word(lz->s), memory_order_acquire);
    return st > ZEROIPC_LAZY_ERROR ? ZEROIPC_ERROR_CORRUPT : (int)st;
}

int zeroipc_lazy_op(zeroipc_lazy_t *lz)
{
    if (lz == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    int op, comb;
    return decode_op(op_word(lz, lz->s), &op, &comb) ? op : ZEROIPC_ERROR_CORRUPT;
}

uint32_t zeroipc_lazy_compute_count(zeroipc_lazy_t *lz)
{
    return lz ? atomic_load_explicit(count_word(lz, lz->s), memory_order_acquire) : 0;
}

int zeroipc_lazy_chain(zeroipc_lazy_t *lz, int *combiner, uint32_t *first,
                       uint32_t *second)
{
    if (lz == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    int op, comb;
    if (!decode_op(op_word(lz, lz->s), &op, &comb))
        return ZEROIPC_ERROR_CORRUPT;
    if (op != ZEROIPC_LAZY_CHAIN)
        return ZEROIPC_ERROR_WRONG_KIND;
    uint32_t w[2];
    memcpy(w, lz->s + lz->l.data, sizeof w);
    if (combiner)
        *combiner = comb;
    if (first)
        *first = w[0];
    if (second)
        *second = w[1];
    return ZEROIPC_OK;
}

int zeroipc_lazy_index(zeroipc_lazy_t *lz, uint32_t *index)
{
    if (lz == NULL || index == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    int err;
    uint32_t i = index_of(lz, lz->s, &err);
    if (err != ZEROIPC_OK)
        return err;
    if (i == UINT32_MAX)
        return ZEROIPC_ERROR_NOT_FOUND;
    *index = i;
    return ZEROIPC_OK;
}

int zeroipc_lazy_error(zeroipc_lazy_t *lz, char *buf, size_t len)
{
    if (lz == NULL || buf == NULL || len == 0)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    if (atomic_load_explicit(state_word(lz->s), memory_order_acquire) != ZEROIPC_LAZY_ERROR)
        return ZEROIPC_ERROR_NOT_FOUND;
    char msg[ZEROIPC_LAZY_ERROR_SIZE];
    memcpy(msg, lz->s + lz->l.err, sizeof msg);
    msg[sizeof msg - 1] = '\0'; /* untrusted: a foreign message may lack its NUL */
    size_t n = strlen(msg);
    if (n >= len)
        n = len - 1;
    memcpy(buf, msg, n);
    buf[n] = '\0';
    return ZEROIPC_OK;
}

zeroipc_field_kind_t zeroipc_lazy_type(zeroipc_lazy_t *lz)
{
    return lz ? lz->type : (zeroipc_field_kind_t)0;
}

size_t zeroipc_lazy_elem_size(zeroipc_lazy_t *lz)
{
    return lz ? lz->n : 0;
}

int zeroipc_lazy_validate(const void *s, size_t size)
{
    if (s == NULL)
        return ZEROIPC_ERROR_WRONG_KIND;
    struct layout l;
    if (size == ZEROIPC_LAZY_SIZE_4)
        layout_for(4, &l);
    else if (size == ZEROIPC_LAZY_SIZE_8)
        layout_for(8, &l);
    else
        return ZEROIPC_ERROR_WRONG_KIND;
    uint32_t st, w;
    memcpy(&st, s, 4);
    memcpy(&w, (const uint8_t *)s + l.op, 4);
    int op, comb;
    if (st > ZEROIPC_LAZY_ERROR || !decode_op(w, &op, &comb))
        return ZEROIPC_ERROR_WRONG_KIND;
    return ZEROIPC_OK;
}

/* ------------------------------------------------------------------ */
/* Create, open, close. */

struct init_args {
    struct layout l;
    size_t n;
    uint32_t state, op;
    const void *a, *b;       /* values, or NULL */
    uint32_t w0, w1;         /* chain indices or external id */
    bool words;
};

static void init_lazy(void *p, const void *ctx)
{
    /* The allocation is zeroed: message, count and padding are 0. */
    const struct init_args *ia = ctx;
    uint8_t *s = p;
    memcpy(s, &ia->state, 4);
    memcpy(s + ia->l.op, &ia->op, 4);
    if (ia->words) {
        memcpy(s + ia->l.data, &ia->w0, 4);
        memcpy(s + ia->l.data + 4, &ia->w1, 4);
    }
    if (ia->a)
        memcpy(s + ia->l.data, ia->a, ia->n);
    if (ia->b)
        memcpy(s + ia->l.data + ia->n, ia->b, ia->n);
    if (ia->state == ZEROIPC_LAZY_COMPUTED) /* a CONSTANT */
        memcpy(s + ia->l.cached, ia->a, ia->n);
}

static zeroipc_lazy_t *handle(zeroipc_memory_t *mem, uint8_t *s,
                              zeroipc_field_kind_t type)
{
    zeroipc_lazy_t *lz = malloc(sizeof *lz);
    if (lz == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_SYSTEM);
        return NULL;
    }
    lz->mem = mem;
    lz->s = s;
    lz->type = type;
    lz->n = elem_size_of(type);
    layout_for(lz->n, &lz->l);
    zeroipc_set_error(ZEROIPC_OK);
    return lz;
}

static zeroipc_lazy_t *create(zeroipc_memory_t *mem, const char *name,
                              zeroipc_field_kind_t type, struct init_args *ia)
{
    if (mem == NULL) {
        zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
        return NULL;
    }
    ia->n = elem_size_of(type);
    if (ia->n == 0) {
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_INVALID_ARGUMENT);
        return NULL;
    }
    layout_for(ia->n, &ia->l);
    size_t off;
    if (zeroipc_table_add_init(mem, name, ia->l.size, init_lazy, ia, &off) != ZEROIPC_OK)
        return NULL;
    return handle(mem, (uint8_t *)zeroipc_memory_base(mem) + off, type);
}

static zeroipc_lazy_t *bad_arg(zeroipc_memory_t *mem)
{
    if (mem)
        zeroipc_mem_fail(mem, ZEROIPC_ERROR_INVALID_ARGUMENT);
    else
        zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
    return NULL;
}

zeroipc_lazy_t *zeroipc_lazy_create_constant(zeroipc_memory_t *mem, const char *name,
                                             zeroipc_field_kind_t type, const void *value)
{
    if (value == NULL)
        return bad_arg(mem);
    struct init_args ia = {.state = ZEROIPC_LAZY_COMPUTED, .op = ZEROIPC_LAZY_CONSTANT,
                           .a = value};
    return create(mem, name, type, &ia);
}

static zeroipc_lazy_t *create_binary(zeroipc_memory_t *mem, const char *name,
                                     zeroipc_field_kind_t type, uint32_t op,
                                     const void *a, const void *b)
{
    if (a == NULL || b == NULL)
        return bad_arg(mem);
    struct init_args ia = {.state = ZEROIPC_LAZY_NOT_COMPUTED, .op = op, .a = a, .b = b};
    return create(mem, name, type, &ia);
}

zeroipc_lazy_t *zeroipc_lazy_create_add(zeroipc_memory_t *mem, const char *name,
                                        zeroipc_field_kind_t type, const void *a,
                                        const void *b)
{
    return create_binary(mem, name, type, ZEROIPC_LAZY_ADD, a, b);
}

zeroipc_lazy_t *zeroipc_lazy_create_multiply(zeroipc_memory_t *mem, const char *name,
                                             zeroipc_field_kind_t type, const void *a,
                                             const void *b)
{
    return create_binary(mem, name, type, ZEROIPC_LAZY_MULTIPLY, a, b);
}

zeroipc_lazy_t *zeroipc_lazy_create_negate(zeroipc_memory_t *mem, const char *name,
                                           zeroipc_field_kind_t type, const void *a)
{
    if (a == NULL)
        return bad_arg(mem);
    struct init_args ia = {.state = ZEROIPC_LAZY_NOT_COMPUTED, .op = ZEROIPC_LAZY_NEGATE,
                           .a = a};
    return create(mem, name, type, &ia);
}

zeroipc_lazy_t *zeroipc_lazy_create_external(zeroipc_memory_t *mem, const char *name,
                                             zeroipc_field_kind_t type,
                                             uint32_t external_id)
{
    struct init_args ia = {.state = ZEROIPC_LAZY_NOT_COMPUTED, .op = ZEROIPC_LAZY_EXTERNAL,
                           .w0 = external_id, .words = true};
    return create(mem, name, type, &ia);
}

zeroipc_lazy_t *zeroipc_lazy_create_chain(zeroipc_memory_t *mem, const char *name,
                                          zeroipc_field_kind_t type, int combiner,
                                          uint32_t first, uint32_t second)
{
    if (combiner != ZEROIPC_LAZY_ADD && combiner != ZEROIPC_LAZY_MULTIPLY &&
        combiner != ZEROIPC_LAZY_NEGATE)
        return bad_arg(mem);
    /* ADD is stored as a bare 4, which other writers would store too. */
    uint32_t hi = combiner == ZEROIPC_LAZY_ADD ? 0 : (uint32_t)combiner;
    struct init_args ia = {.state = ZEROIPC_LAZY_NOT_COMPUTED,
                           .op = ZEROIPC_LAZY_CHAIN | hi << 16,
                           .w0 = first,
                           .w1 = combiner == ZEROIPC_LAZY_NEGATE ? 0 : second,
                           .words = true};
    return create(mem, name, type, &ia);
}

zeroipc_lazy_t *zeroipc_lazy_open(zeroipc_memory_t *mem, const char *name,
                                  zeroipc_field_kind_t type)
{
    if (mem == NULL)
        return bad_arg(mem);
    size_t want = zeroipc_lazy_size(type);
    if (want == 0)
        return bad_arg(mem);
    void *s;
    size_t size;
    if (zeroipc_table_locate(mem, name, &s, &size) != ZEROIPC_OK)
        return NULL;
    int err = ZEROIPC_OK;
    if (size != want || zeroipc_lazy_validate(s, size) != ZEROIPC_OK)
        err = ZEROIPC_ERROR_WRONG_KIND;
    else if ((uintptr_t)s % 8 != 0)
        err = ZEROIPC_ERROR_CORRUPT;
    if (err != ZEROIPC_OK) {
        zeroipc_mem_fail(mem, err);
        return NULL;
    }
    return handle(mem, s, type);
}

void zeroipc_lazy_close(zeroipc_lazy_t *lz)
{
    free(lz);
}
