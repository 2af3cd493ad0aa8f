/*
 * xproc_crash.c - peers killed with SIGKILL at random points (issue 7).
 *
 * For each of queue, stack, map and pool, several rounds.  Each round
 * makes a fresh segment and forks four workers that open it by name and
 * run a busy loop of up to XC_OPS library calls each; the parent SIGKILLs
 * one or two of them (chosen at random) once their progress counter passes
 * a random target, so the kill lands at a random point of the loop, often
 * inside a call.  Survivors carry on.
 *
 * Every worker records what the library acknowledged in its own log in a
 * MAP_SHARED anonymous mapping made before the fork (a killed process
 * cannot unlog): the value of each push that returned OK, of each pop, of
 * each acknowledged insert and erase, each allocation and free.  Before
 * each call it also stores the value it is about to push / insert / erase
 * / free ("pending"), so the parent knows exactly which value a killed
 * worker had in flight.
 *
 * When every worker has exited or been killed, the parent opens the
 * structure again, drains it, scans its raw slots, and checks:
 *
 *  queue / stack (producers push unique values (w+1)<<32 | seq+1 in
 *  order, retrying a value until it is acknowledged):
 *    - the structure validates and opens;
 *    - no value is seen twice (popped, drained or left in a slot);
 *    - every value seen was acknowledged, or is a killed producer's
 *      pending value (acknowledged but not logged, or published but
 *      never acknowledged: both are the killed process's own in-flight
 *      operation);
 *    - every acknowledged value was popped or is still in a READY /
 *      published slot, except those held by a slot a killed consumer had
 *      claimed and never released (stack READING; queue: a slot below head
 *      whose sequence says "published", never set to h + capacity): that is
 *      the killed consumer's in-flight pop, at most one per killed consumer;
 *    - slots left claimed by dead producers are at most one per killed
 *      producer;
 *    - queue: each consumer saw each producer's values in order (FIFO);
 *    - no call took longer than its documented bound (queue
 *      _timeout(XC_QUEUE_WAIT_MS) calls; stack calls ZEROIPC_STACK_CLAIM_MS)
 *      plus slack, and every TIMEOUT came after at least 90% of it;
 *    - afterwards the structure stays usable: a push and a pop of a fresh
 *      value work (stack: above a dead slot, after the pop at the dead slot
 *      timed out after ~ZEROIPC_STACK_CLAIM_MS); a queue stalled by a dead
 *      slot makes pop/push_timeout time out on time instead of hanging.
 *
 *  map (two inserters of unique u64 keys, two erasers that each erase the
 *  even-numbered acknowledged keys of one inserter and find the odd ones):
 *    - every acknowledged insert not acknowledged as erased is found with
 *      its value, except a killed eraser's pending key; every key erased
 *      with acknowledgement, and every insert that returned TIMEOUT
 *      ("nothing changed"), is absent; no key occupies two slots; no key
 *      nobody inserted;
 *    - INSERTING slots <= killed inserters; the size word differs from the
 *      number of OCCUPIED slots by at most one per killed inserter (low)
 *      or killed eraser (high) (zeroipc_map.h: "a process that died between
 *      publishing and counting leaves it off by one");
 *    - an insert whose chain reaches a dead INSERTING slot succeeds after
 *      ~ZEROIPC_MAP_CLAIM_MS, burying it (a tombstone), while other
 *      inserts, finds and erases still work.
 *
 *  pool (four workers each allocating and freeing, holding up to 16
 *  nodes, stamping each node's data with an owner tag checked before the
 *  free):
 *    - no node handed to two holders at once (the tag);
 *    - allocating until empty yields distinct indices, none of which a
 *      killed worker still held; capacity minus that count is exactly the
 *      killed workers' leak (their held nodes, give or take their one
 *      in-flight alloc or free);
 *    - `allocated` stays within [drained, capacity]; everything drained
 *      can be freed and allocated again.
 *
 * Environment: XC_SEED (default 7001), XC_ROUNDS (default 20 queue, 4
 * stack, 6 map, 20 pool), XC_OPS (10000), XC_ROUND_MS (2000: a worker's
 * time budget), XC_SLACK_MS (2000).  The seed is printed with any failure.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "testutil.h"
#include "xp.h"

#define NW 4          /* workers per round */
#define QCAP 256      /* queue capacity */
#define SCAP 256      /* stack capacity */
#define MCAP 32768    /* map slots: up to 61% full, for long chains */
#define ELEM 256      /* queue and stack element bytes: a value and a filler
                       * derived from it, so copies are long (kills land
                       * inside them) and torn ones are seen */
#define PCAP 512      /* pool nodes */
#define PHOLD 16      /* nodes a pool worker holds at most */
#define XC_QUEUE_WAIT_MS 20
#define FAILBIT (1ull << 63)

enum kind { K_QUEUE, K_STACK, K_MAP, K_POOL };
static const char *kind_name[] = {"queue", "stack", "map", "pool"};

/* One worker's log, in the shared mapping. */
struct wlog {
    _Atomic uint64_t count;    /* entries logged */
    _Atomic uint64_t progress; /* calls started */
    _Atomic uint64_t pending;  /* value of the call in flight, 0 none */
    _Atomic uint64_t inop;     /* 1 while inside a library call */
    _Atomic uint64_t ready, done, errors;
    _Atomic uint64_t max_us;   /* longest call that did not time out */
    _Atomic uint64_t n_timeout, min_to_us, max_to_us;
    uint64_t pad[5];
    _Atomic uint64_t e[];
};

struct ctl {
    _Atomic uint64_t go, prod_gone, cons_gone;
    uint64_t pad[5];
};

struct rctx {
    enum kind kind;
    int round;
    uint64_t seed;
    char seg[ZT_NAME_MAX];
    long nops, round_ms, slack_ms;
    int nprod; /* workers 0..nprod-1 produce / insert; the rest consume */
    void *map;
    size_t map_len, log_stride;
    struct ctl *ctl;
    int pids[NW];
    int status[NW];
    bool killed[NW];
    uint64_t wseed[NW];
};

struct warg {
    struct rctx *r;
    int w;
};

static uint64_t g_seed;
static int g_round;
static const char *g_kind = "";

/* A failed check: says where, with the seed, and fails the cmocka test
 * (the teardown kills and reaps the children and unmaps everything). */
#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "CHECK FAILED %s:%d [%s round %d, XC_SEED=%"   \
                    PRIu64 "]: %s: ", __FILE__, __LINE__, g_kind, g_round, \
                    g_seed, #cond);                                        \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
            fail();                                                        \
        }                                                                  \
    } while (0)

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t val_of(int w, uint64_t s) { return ((uint64_t)(w + 1) << 32) | (s + 1); }
static int val_w(uint64_t v) { return (int)(v >> 32) - 1; }
static uint64_t val_s(uint64_t v) { return (v & 0xFFFFFFFFu) - 1; }
static uint64_t map_value(uint64_t key) { return key * 0x9E3779B97F4A7C15ull + 1; }

/* An element: word 0 the value, the others derived from it. */
static void elem_fill(uint64_t *el, uint64_t v)
{
    el[0] = v;
    for (int i = 1; i < ELEM / 8; i++)
        el[i] = v * (uint64_t)(2 * i + 1) ^ 0x5A5A5A5A5A5A5A5Aull;
}

/* The element's value, or 0 when its words do not belong together. */
static uint64_t elem_value(const void *p)
{
    uint64_t el[ELEM / 8];
    memcpy(el, p, ELEM);
    for (int i = 1; i < ELEM / 8; i++)
        if (el[i] != (el[0] * (uint64_t)(2 * i + 1) ^ 0x5A5A5A5A5A5A5A5Aull))
            return 0;
    return el[0];
}

static struct wlog *wlog_at(const struct rctx *r, int w)
{
    return (struct wlog *)((char *)r->map + sizeof(struct ctl) +
                           (size_t)w * r->log_stride);
}

static void log_put(struct wlog *L, uint64_t v)
{
    uint64_t c = atomic_load_explicit(&L->count, memory_order_relaxed);
    atomic_store_explicit(&L->e[c], v, memory_order_relaxed);
    atomic_store_explicit(&L->count, c + 1, memory_order_release);
    atomic_store_explicit(&L->inop, 0, memory_order_relaxed);
}

static void amax(_Atomic uint64_t *a, uint64_t v)
{
    if (v > atomic_load_explicit(a, memory_order_relaxed))
        atomic_store_explicit(a, v, memory_order_relaxed);
}

/* Times one library call into the worker's stats. */
#define TIMED(L, rc, call)                                                 \
    do {                                                                   \
        atomic_fetch_add_explicit(&(L)->progress, 1, memory_order_relaxed); \
        int64_t t0_ = xp_now_us();                                         \
        atomic_store_explicit(&(L)->inop, 1, memory_order_relaxed);        \
        rc = (call);                                                       \
        /* 2: returned, its result not yet logged */                       \
        atomic_store_explicit(&(L)->inop, rc >= 0 ? 2 : 0,                \
                              memory_order_relaxed);                       \
        uint64_t dt_ = (uint64_t)(xp_now_us() - t0_);                      \
        if (rc == ZEROIPC_ERROR_TIMEOUT) {                                 \
            atomic_fetch_add_explicit(&(L)->n_timeout, 1,                  \
                                      memory_order_relaxed);               \
            amax(&(L)->max_to_us, dt_);                                    \
            if (dt_ < atomic_load_explicit(&(L)->min_to_us,                \
                                           memory_order_relaxed))          \
                atomic_store_explicit(&(L)->min_to_us, dt_,                \
                                      memory_order_relaxed);               \
        } else {                                                           \
            amax(&(L)->max_us, dt_);                                       \
        }                                                                  \
    } while (0)

#define WFAIL(L, ...)                                                      \
    do {                                                                   \
        XP_FAIL(__VA_ARGS__);                                              \
        atomic_fetch_add(&(L)->errors, 1);                                 \
    } while (0)

static const zeroipc_map_shape_t map_shape = {8, 8, 8, 8, ZEROIPC_HASH_UNSIGNED};

/* ------------------------------------------------------------------ */
/* Workers */

struct wenv {
    struct rctx *r;
    int w;
    struct wlog *L;
    int64_t deadline_us, idle_us, last_ok;
    uint64_t rng;
};

static bool w_continue(struct wenv *e)
{
    int64_t now = xp_now_us();
    return now < e->deadline_us && now - e->last_ok < e->idle_us;
}

static void w_queue(struct wenv *e, zeroipc_queue_t *q)
{
    struct wlog *L = e->L;
    struct ctl *c = e->r->ctl;
    if (e->w < e->r->nprod) {
        uint64_t s = 0;
        while (s < (uint64_t)e->r->nops && w_continue(e)) {
            uint64_t v = val_of(e->w, s), el[ELEM / 8];
            elem_fill(el, v);
            atomic_store(&L->pending, v);
            int rc;
            TIMED(L, rc, zeroipc_queue_push_timeout(q, el, XC_QUEUE_WAIT_MS));
            if (rc == ZEROIPC_OK) {
                log_put(L, v);
                s++;
                e->last_ok = xp_now_us();
            } else if (rc == ZEROIPC_ERROR_TIMEOUT) {
                if (atomic_load(&c->cons_gone))
                    break;
            } else {
                WFAIL(L, "queue push: %d", rc);
                return;
            }
        }
        atomic_store(&L->pending, 0);
    } else {
        for (long n = 0; n < e->r->nops && w_continue(e); n++) {
            uint64_t v = 0, el[ELEM / 8];
            int rc;
            TIMED(L, rc, zeroipc_queue_pop_timeout(q, el, XC_QUEUE_WAIT_MS));
            if (rc == ZEROIPC_OK) {
                if ((v = elem_value(el)) == 0) {
                    WFAIL(L, "queue pop: torn element %#" PRIx64, el[0]);
                    return;
                }
                log_put(L, v);
                e->last_ok = xp_now_us();
            } else if (rc == ZEROIPC_ERROR_TIMEOUT) {
                if (atomic_load(&c->prod_gone))
                    break;
            } else {
                WFAIL(L, "queue pop: %d", rc);
                return;
            }
        }
    }
}

static void w_stack(struct wenv *e, zeroipc_stack_t *st)
{
    struct wlog *L = e->L;
    struct ctl *c = e->r->ctl;
    if (e->w < e->r->nprod) {
        uint64_t s = 0;
        while (s < (uint64_t)e->r->nops && w_continue(e)) {
            uint64_t v = val_of(e->w, s), el[ELEM / 8];
            elem_fill(el, v);
            atomic_store(&L->pending, v);
            int rc;
            TIMED(L, rc, zeroipc_stack_push(st, el));
            if (rc == ZEROIPC_OK) {
                log_put(L, v);
                s++;
                e->last_ok = xp_now_us();
            } else if (rc == ZEROIPC_ERROR_SIZE) {
                if (atomic_load(&c->cons_gone))
                    break;
                sched_yield();
            } else if (rc != ZEROIPC_ERROR_TIMEOUT) {
                WFAIL(L, "stack push: %d", rc);
                return;
            }
        }
        atomic_store(&L->pending, 0);
    } else {
        for (long n = 0; n < e->r->nops && w_continue(e); n++) {
            uint64_t v = 0, el[ELEM / 8];
            int rc;
            TIMED(L, rc, zeroipc_stack_pop(st, el));
            if (rc == ZEROIPC_OK) {
                if ((v = elem_value(el)) == 0) {
                    WFAIL(L, "stack pop: torn element %#" PRIx64, el[0]);
                    return;
                }
                log_put(L, v);
                e->last_ok = xp_now_us();
            } else if (rc == ZEROIPC_ERROR_NOT_FOUND) {
                if (atomic_load(&c->prod_gone))
                    break;
                sched_yield();
            } else if (rc != ZEROIPC_ERROR_TIMEOUT) {
                WFAIL(L, "stack pop: %d", rc);
                return;
            }
        }
    }
}

static void w_map(struct wenv *e, zeroipc_map_t *m)
{
    struct wlog *L = e->L;
    struct ctl *c = e->r->ctl;
    if (e->w < e->r->nprod) {
        for (uint64_t s = 0; s < (uint64_t)e->r->nops && w_continue(e); s++) {
            uint64_t k = val_of(e->w, s), v = map_value(k);
            atomic_store(&L->pending, k);
            int rc;
            TIMED(L, rc, zeroipc_map_insert(m, &k, &v));
            if (rc == 1) {
                log_put(L, k);
                e->last_ok = xp_now_us();
            } else if (rc == ZEROIPC_ERROR_TIMEOUT) {
                log_put(L, k | FAILBIT); /* "nothing changed" */
            } else {
                WFAIL(L, "map insert of a new key: %d", rc);
                return;
            }
        }
        atomic_store(&L->pending, 0);
        return;
    }
    /* Eraser j: erases inserter j's even keys, finds its odd ones. */
    struct wlog *I = wlog_at(e->r, e->w - e->r->nprod);
    uint64_t i = 0;
    long n = 0;
    while (n < e->r->nops && w_continue(e)) {
        if (i >= atomic_load_explicit(&I->count, memory_order_acquire)) {
            if ((atomic_load(&I->done) || atomic_load(&c->prod_gone)) &&
                i >= atomic_load_explicit(&I->count, memory_order_acquire))
                break;
            sched_yield();
            continue;
        }
        uint64_t k = atomic_load_explicit(&I->e[i++], memory_order_relaxed);
        if (k & FAILBIT)
            continue;
        n++;
        int rc;
        if (val_s(k) % 2 == 0) {
            atomic_store(&L->pending, k);
            TIMED(L, rc, zeroipc_map_erase(m, &k));
            if (rc != ZEROIPC_OK) {
                WFAIL(L, "erase of acknowledged key %#" PRIx64 ": %d", k, rc);
                return;
            }
            log_put(L, k);
            atomic_store(&L->pending, 0);
        } else {
            uint64_t v = 0;
            TIMED(L, rc, zeroipc_map_find(m, &k, &v));
            if (rc != ZEROIPC_OK || v != map_value(k)) {
                WFAIL(L, "find of acknowledged key %#" PRIx64 ": %d, %#" PRIx64,
                      k, rc, v);
                return;
            }
        }
        e->last_ok = xp_now_us();
    }
}

static void w_pool(struct wenv *e, zeroipc_pool_t *p)
{
    struct wlog *L = e->L;
    uint32_t held[PHOLD];
    uint64_t tag[PHOLD];
    int first = 0, nheld = 0;
    for (long n = 0; n < e->r->nops && w_continue(e); n++) {
        bool alloc = nheld == 0 || (nheld < PHOLD && rng_next(&e->rng) % 2);
        int rc;
        if (alloc) {
            uint32_t idx = 0;
            atomic_store(&L->pending, 1ull << 32);
            TIMED(L, rc, zeroipc_pool_alloc(p, &idx));
            if (rc == ZEROIPC_ERROR_SIZE) {
                sched_yield();
                continue;
            }
            if (rc != ZEROIPC_OK) {
                WFAIL(L, "pool alloc: %d", rc);
                return;
            }
            log_put(L, 1ull << 32 | idx);
            atomic_store(&L->pending, 0);
            uint64_t t = val_of(e->w, (uint64_t)n);
            memcpy(zeroipc_pool_get(p, idx), &t, 8);
            int at = (first + nheld) % PHOLD;
            held[at] = idx;
            tag[at] = t;
            nheld++;
        } else {
            uint32_t idx = held[first];
            uint64_t t;
            memcpy(&t, zeroipc_pool_get(p, idx), 8);
            if (t != tag[first]) {
                WFAIL(L, "node %u handed to another holder: tag %#" PRIx64
                      " is not ours (%#" PRIx64 ")", idx, t, tag[first]);
                return;
            }
            atomic_store(&L->pending, 2ull << 32 | idx);
            TIMED(L, rc, zeroipc_pool_free(p, idx));
            if (rc != ZEROIPC_OK) {
                WFAIL(L, "pool free of held node %u: %d", idx, rc);
                return;
            }
            log_put(L, 2ull << 32 | idx);
            atomic_store(&L->pending, 0);
            first = (first + 1) % PHOLD;
            nheld--;
        }
        e->last_ok = xp_now_us();
    }
    atomic_store(&L->pending, 0);
    while (nheld > 0) {
        uint32_t idx = held[first];
        atomic_store(&L->pending, 2ull << 32 | idx);
        int rc = zeroipc_pool_free(p, idx);
        if (rc != ZEROIPC_OK) {
            WFAIL(L, "final free of %u: %d", idx, rc);
            return;
        }
        log_put(L, 2ull << 32 | idx);
        first = (first + 1) % PHOLD;
        nheld--;
    }
    atomic_store(&L->pending, 0);
}

static int worker(void *arg)
{
    const struct warg *a = arg;
    struct wenv e = {.r = a->r, .w = a->w, .L = wlog_at(a->r, a->w)};
    e.rng = a->r->wseed[a->w];
    zeroipc_memory_t *mem = zeroipc_memory_open(e.r->seg);
    if (!mem) {
        XP_FAIL("open %s: %d", e.r->seg, zeroipc_last_error());
        return 2;
    }
    void *h = NULL;
    switch (e.r->kind) {
    case K_QUEUE: h = zeroipc_queue_open(mem, "q"); break;
    case K_STACK: h = zeroipc_stack_open(mem, "s"); break;
    case K_MAP: h = zeroipc_map_open_shape(mem, "m", &map_shape); break;
    case K_POOL: h = zeroipc_pool_open(mem, "p", 8); break;
    }
    if (!h) {
        XP_FAIL("open structure: %d", zeroipc_last_error());
        return 2;
    }
    atomic_store(&e.L->ready, 1);
    int64_t t0 = zt_now_ms();
    while (!atomic_load(&e.r->ctl->go)) {
        if (zt_now_ms() - t0 > 30000)
            return 3;
        sched_yield();
    }
    int64_t now = xp_now_us();
    e.deadline_us = now + e.r->round_ms * 1000;
    /* Give up after this long without progress: one claim timeout may be
     * waited out, a second ends the worker. */
    e.idle_us = (e.r->kind == K_STACK || e.r->kind == K_MAP)
                    ? (ZEROIPC_STACK_CLAIM_MS * 3 / 2) * 1000
                    : 300 * 1000;
    e.last_ok = now;
    switch (e.r->kind) {
    case K_QUEUE: w_queue(&e, h); zeroipc_queue_close(h); break;
    case K_STACK: w_stack(&e, h); zeroipc_stack_close(h); break;
    case K_MAP: w_map(&e, h); zeroipc_map_close(h); break;
    case K_POOL: w_pool(&e, h); zeroipc_pool_close(h); break;
    }
    atomic_store(&e.L->done, 1);
    zeroipc_memory_close(mem);
    return atomic_load(&e.L->errors) ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* The parent */

static void kill_children(void *p)
{
    struct rctx *r = p;
    xp_kill_all(r->pids, NW, NULL);
}

static void unmap_logs(void *p)
{
    struct rctx *r = p;
    if (r->map)
        munmap(r->map, r->map_len);
    r->map = NULL;
}

static void close_queue(void *p) { zeroipc_queue_close(p); }
static void close_stack(void *p) { zeroipc_stack_close(p); }
static void close_map(void *p) { zeroipc_map_close(p); }
static void close_pool(void *p) { zeroipc_pool_close(p); }

struct stats {
    int rounds, kills, kills_midop, dead_prod_slots, dead_cons_slots;
    int timeouts, stalls, lost, stranded;
    int64_t max_to_us;
};
static struct stats g_stats[4];


/* Forks the workers, kills victims at random progress points, reaps all. */
static void run_workers(struct rctx *r, uint64_t *rng)
{
    struct warg args[NW];
    for (int w = 0; w < NW; w++) {
        args[w].r = r;
        args[w].w = w;
        r->wseed[w] = rng_next(rng);
        atomic_store(&wlog_at(r, w)->min_to_us, UINT64_MAX);
    }
    xp_keep(kill_children, r);
    xp_spawn(r->pids, NW, worker, args, sizeof args[0]);
    for (int w = 0; w < NW; w++)
        CHECK(r->pids[w] > 0, "fork failed");

    /* Victims: one or two, at random. */
    long target[NW];
    bool victim[NW] = {false};
    int nv = 1 + (int)(rng_next(rng) % 2);
    for (int i = 0; i < nv; i++) {
        int w = (int)(rng_next(rng) % NW);
        victim[w] = true;
    }
    for (int w = 0; w < NW; w++)
        target[w] = (long)(rng_next(rng) % (uint64_t)(r->nops * 3 / 4 + 1));

    int64_t t0 = zt_now_ms();
    for (int w = 0; w < NW; w++)
        while (!atomic_load(&wlog_at(r, w)->ready)) {
            CHECK(zt_now_ms() - t0 < 20000, "worker %d never got ready", w);
            xp_sleep_ms(1);
        }
    atomic_store(&r->ctl->go, 1);
    int64_t deadline = zt_now_ms() + r->round_ms + 2 * ZEROIPC_STACK_CLAIM_MS +
                       r->slack_ms + 10000;
    int left = NW;
    while (left > 0) {
        for (int w = 0; w < NW; w++) {
            if (victim[w] && r->pids[w] > 0 && !r->killed[w] &&
                (long)atomic_load(&wlog_at(r, w)->progress) >= target[w]) {
                kill(r->pids[w], SIGKILL);
                r->killed[w] = true;
            }
        }
        int st;
        pid_t p;
        while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
            for (int w = 0; w < NW; w++) {
                if (r->pids[w] == p) {
                    r->status[w] = WIFEXITED(st) ? WEXITSTATUS(st)
                                                 : 128 + WTERMSIG(st);
                    r->pids[w] = 0;
                    atomic_store(&wlog_at(r, w)->done, 1);
                    left--;
                }
            }
        }
        bool pg = true, cg = true;
        for (int w = 0; w < NW; w++) {
            if (r->pids[w] > 0) {
                if (w < r->nprod)
                    pg = false;
                else
                    cg = false;
            }
        }
        if (pg)
            atomic_store(&r->ctl->prod_gone, 1);
        if (cg)
            atomic_store(&r->ctl->cons_gone, 1);
        if (left > 0) {
            CHECK(zt_now_ms() < deadline, "workers still running: a call hung");
            struct timespec ts = {0, 50000 + (long)(rng_next(rng) % 100000)};
            nanosleep(&ts, NULL);
        }
    }
    struct stats *S = &g_stats[r->kind];
    S->rounds++;
    if (getenv("XC_VERBOSE")) {
        for (int w = 0; w < NW; w++) {
            struct wlog *L = wlog_at(r, w);
            fprintf(stderr, "  %s round %d worker %d: status %d%s, %" PRIu64
                    " calls, %" PRIu64 " logged, inop %" PRIu64 ", %" PRIu64
                    " timeouts, longest call %" PRIu64 " us\n",
                    kind_name[r->kind], r->round, w, r->status[w],
                    r->killed[w] ? " (killed)" : "", atomic_load(&L->progress),
                    atomic_load(&L->count), atomic_load(&L->inop),
                    atomic_load(&L->n_timeout), atomic_load(&L->max_us));
        }
    }
    for (int w = 0; w < NW; w++) {
        struct wlog *L = wlog_at(r, w);
        if (r->killed[w] && r->status[w] == 128 + SIGKILL) {
            S->kills++;
            S->kills_midop += atomic_load(&L->inop) == 1;
        } else {
            r->killed[w] = false; /* finished before its kill */
            CHECK(r->status[w] == 0, "worker %d exited with %d (see its "
                  "complaint above)", w, r->status[w]);
            CHECK(atomic_load(&L->errors) == 0, "worker %d errors", w);
        }
        S->timeouts += (int)atomic_load(&L->n_timeout);
        if (atomic_load(&L->n_timeout) &&
            (int64_t)atomic_load(&L->max_to_us) > S->max_to_us)
            S->max_to_us = (int64_t)atomic_load(&L->max_to_us);
    }
}

/* The documented bound of one call, for the timing checks (ms). */
static int64_t call_bound_ms(enum kind k)
{
    switch (k) {
    case K_QUEUE: return XC_QUEUE_WAIT_MS;
    case K_STACK: return ZEROIPC_STACK_CLAIM_MS;
    case K_MAP: return ZEROIPC_MAP_CLAIM_MS;
    default: return 0;
    }
}

static void check_timing(struct rctx *r)
{
    int64_t bound = call_bound_ms(r->kind);
    for (int w = 0; w < NW; w++) {
        struct wlog *L = wlog_at(r, w);
        uint64_t mx = atomic_load(&L->max_us);
        CHECK((int64_t)mx <= (bound + r->slack_ms) * 1000,
              "worker %d: a call took %" PRIu64 " us (bound %" PRId64
              " ms + slack %ld ms)", w, mx, bound, r->slack_ms);
        if (atomic_load(&L->n_timeout)) {
            uint64_t lo = atomic_load(&L->min_to_us), hi = atomic_load(&L->max_to_us);
            CHECK(bound > 0, "worker %d: TIMEOUT from a call that never waits", w);
            CHECK((int64_t)lo >= bound * 900, "worker %d: TIMEOUT after only %"
                  PRIu64 " us (bound %" PRId64 " ms)", w, lo, bound);
            CHECK((int64_t)hi <= (bound + r->slack_ms) * 1000, "worker %d: "
                  "TIMEOUT after %" PRIu64 " us", w, hi);
        }
    }
}

/* Value bookkeeping for queue and stack. */
struct seen {
    int P;
    long nops;
    uint8_t *cnt; /* [P][nops+1] */
};

static void seen_add(struct rctx *r, struct seen *sn, uint64_t v, const char *where)
{
    int w = val_w(v);
    uint64_t s = val_s(v);
    CHECK(w >= 0 && w < sn->P && (v & 0xFFFFFFFFu) != 0 && s < (uint64_t)sn->nops,
          "%s: value %#" PRIx64 " nobody pushed", where, v);
    struct wlog *L = wlog_at(r, w);
    uint64_t acked = atomic_load(&L->count);
    CHECK(s < acked || (r->killed[w] && s == acked),
          "%s: value %#" PRIx64 " (producer %d seq %" PRIu64 ") was never "
          "acknowledged (producer acked %" PRIu64 ", %s)", where, v, w, s,
          acked, r->killed[w] ? "killed" : "alive");
    uint8_t *c = &sn->cnt[(size_t)w * (size_t)(sn->nops + 1) + s];
    CHECK(*c == 0, "%s: value %#" PRIx64 " seen twice", where, v);
    (*c)++;
}

/* The common end of queue and stack rounds: producers' logs are
 * sequential, consumers' logs are values seen. `lost` are values a dead
 * consumer's claimed slot still holds. */
static void check_values(struct rctx *r, struct seen *sn, const uint64_t *lost,
                         int nlost, int killed_cons)
{
    for (int w = 0; w < r->nprod; w++) {
        struct wlog *L = wlog_at(r, w);
        uint64_t c = atomic_load(&L->count);
        for (uint64_t i = 0; i < c; i++)
            CHECK(atomic_load(&L->e[i]) == val_of(w, i), "producer %d log", w);
    }
    int missing = 0;
    for (int w = 0; w < r->nprod; w++) {
        uint64_t c = atomic_load(&wlog_at(r, w)->count);
        for (uint64_t s = 0; s < c; s++) {
            if (sn->cnt[(size_t)w * (size_t)(sn->nops + 1) + s])
                continue;
            uint64_t v = val_of(w, s);
            bool in_lost = false;
            for (int i = 0; i < nlost; i++)
                in_lost |= lost[i] == v;
            /* Either held by a dead consumer's claimed slot, or popped by
             * a consumer killed before it could log it. */
            CHECK(in_lost || killed_cons > 0, "acknowledged value %#" PRIx64
                  " lost: neither popped, nor in the structure, nor held by "
                  "a dead consumer's slot, and no consumer was killed "
                  "inside a pop", v);
            missing++;
        }
    }
    CHECK(missing <= killed_cons, "%d values lost to %d consumers killed "
          "inside a pop (at most one each)", missing, killed_cons);
    g_stats[r->kind].lost += missing;
}

static int count_killed(struct rctx *r, int from, int to)
{
    int n = 0;
    for (int w = from; w < to; w++)
        n += r->killed[w];
    return n;
}

/* Consumers killed inside a pop or before logging what it returned. */
static int killed_in_pop(struct rctx *r)
{
    int n = 0;
    for (int w = r->nprod; w < NW; w++)
        n += r->killed[w] && atomic_load(&wlog_at(r, w)->inop) != 0;
    return n;
}

/* Adds every consumer-logged value; checks the queue's per-producer FIFO. */
static void add_consumer_logs(struct rctx *r, struct seen *sn, bool fifo)
{
    for (int w = r->nprod; w < NW; w++) {
        struct wlog *L = wlog_at(r, w);
        uint64_t c = atomic_load(&L->count);
        uint64_t last[NW] = {0};
        for (uint64_t i = 0; i < c; i++) {
            uint64_t v = atomic_load(&L->e[i]);
            seen_add(r, sn, v, "consumer log");
            int pw = val_w(v);
            if (fifo) {
                CHECK(last[pw] == 0 || val_s(v) > val_s(last[pw]),
                      "consumer %d popped %#" PRIx64 " after %#" PRIx64, w, v,
                      last[pw]);
                last[pw] = v;
            }
        }
    }
}

static void round_queue(struct rctx *r, zeroipc_memory_t *mem)
{
    zeroipc_queue_t *q = xp_keep(close_queue, zeroipc_queue_open(mem, "q"));
    CHECK(q != NULL, "queue no longer opens: %d", zeroipc_last_error());
    size_t off, size;
    CHECK(zeroipc_table_find(mem, "q", &off, &size) == ZEROIPC_OK, "find");
    unsigned char *b = (unsigned char *)zeroipc_memory_base(mem) + off;
    CHECK(zeroipc_queue_validate(b, size) == ZEROIPC_OK, "validate");
    struct seen sn = {r->nprod, r->nops, NULL};
    sn.cnt = xp_keep_malloc(calloc((size_t)sn.P * (size_t)(r->nops + 1), 1));
    CHECK(sn.cnt != NULL, "calloc");
    add_consumer_logs(r, &sn, true);

    /* Drain what can be popped. */
    uint64_t v, el[ELEM / 8];
    int rc;
    while ((rc = zeroipc_queue_pop(q, el)) == ZEROIPC_OK)
        seen_add(r, &sn, elem_value(el), "drain");
    CHECK(rc == ZEROIPC_ERROR_NOT_FOUND, "drain pop: %d", rc);

    /* Raw scan: what each slot's sequence word says. */
    _Atomic uint32_t *head = (_Atomic uint32_t *)(void *)b;
    _Atomic uint32_t *tail = (_Atomic uint32_t *)(void *)(b + 4);
    _Atomic uint32_t *seq = (_Atomic uint32_t *)(void *)(b + 16 + QCAP * ELEM);
    uint32_t H = atomic_load(head), T = atomic_load(tail), mask = QCAP - 1;
    CHECK((int32_t)(T - H) >= 0 && T - H <= QCAP, "head %u tail %u", H, T);
    uint64_t lost[NW];
    int nlost = 0, dead_push = 0;
    bool blocked_push = false;
    for (uint32_t i = 0; i < QCAP; i++) {
        uint32_t s = atomic_load(&seq[i]);
        v = elem_value(b + 16 + (size_t)i * ELEM);
        if (((s - 1) & mask) == i) {
            uint32_t p = s - 1;
            if ((int32_t)(p - H) >= 0) {
                CHECK((int32_t)(p - T) < 0, "slot %u published past tail", i);
                seen_add(r, &sn, v, "left in a slot behind a dead one");
            } else {
                /* Published, popped (head passed it), never released. */
                CHECK(nlost < NW, "too many");
                lost[nlost++] = v;
                if (((T ^ p) & mask) == 0)
                    blocked_push = true;
            }
        } else if ((s & mask) == i) {
            if ((int32_t)(s - H) >= 0 && (int32_t)(s - T) < 0)
                dead_push++; /* claimed by a push that never published */
        } else {
            CHECK(false, "slot %u sequence %u fits no position", i, s);
        }
    }
    int kp = count_killed(r, 0, r->nprod), kc = count_killed(r, r->nprod, NW);
    CHECK(dead_push <= kp, "%d unpublished slots, %d killed producers",
          dead_push, kp);
    CHECK(nlost <= kc, "%d unreleased slots, %d killed consumers", nlost, kc);
    check_values(r, &sn, lost, nlost, killed_in_pop(r));
    g_stats[K_QUEUE].dead_prod_slots += dead_push;
    g_stats[K_QUEUE].dead_cons_slots += nlost;

    /* Still usable, or stalled with bounded waits (documented). */
    uint64_t fresh[ELEM / 8];
    elem_fill(fresh, 0xF00D0000F00Dull);
    if (dead_push == 0 && !blocked_push) {
        CHECK(zeroipc_queue_push(q, fresh) == ZEROIPC_OK, "push after");
        CHECK(zeroipc_queue_pop(q, el) == ZEROIPC_OK && elem_value(el) == fresh[0],
              "pop after");
    } else {
        g_stats[K_QUEUE].stalls++;
        int64_t t0 = xp_now_us();
        rc = dead_push ? zeroipc_queue_pop_timeout(q, el, 100)
                       : zeroipc_queue_push_timeout(q, fresh, 100);
        int64_t us = xp_now_us() - t0;
        CHECK(rc == ZEROIPC_ERROR_TIMEOUT && us >= 90000 &&
              us < (100 + r->slack_ms) * 1000,
              "stalled queue: %d after %" PRId64 " us", rc, us);
    }
}

static void round_stack(struct rctx *r, zeroipc_memory_t *mem)
{
    zeroipc_stack_t *st = xp_keep(close_stack, zeroipc_stack_open(mem, "s"));
    CHECK(st != NULL, "stack no longer opens: %d", zeroipc_last_error());
    size_t off, size;
    CHECK(zeroipc_table_find(mem, "s", &off, &size) == ZEROIPC_OK, "find");
    unsigned char *b = (unsigned char *)zeroipc_memory_base(mem) + off;
    CHECK(zeroipc_stack_validate(b, size) == ZEROIPC_OK, "validate");
    struct seen sn = {r->nprod, r->nops, NULL};
    sn.cnt = xp_keep_malloc(calloc((size_t)sn.P * (size_t)(r->nops + 1), 1));
    CHECK(sn.cnt != NULL, "calloc");
    add_consumer_logs(r, &sn, false);

    uint64_t v, el[ELEM / 8];
    int rc;
    int64_t t0 = xp_now_us();
    while ((rc = zeroipc_stack_pop(st, el)) == ZEROIPC_OK) {
        seen_add(r, &sn, elem_value(el), "drain");
        t0 = xp_now_us();
    }
    int64_t pop_us = xp_now_us() - t0;
    CHECK(rc == ZEROIPC_ERROR_NOT_FOUND || rc == ZEROIPC_ERROR_TIMEOUT,
          "drain pop: %d", rc);
    if (rc == ZEROIPC_ERROR_TIMEOUT) {
        /* A slot held by a dead peer: the pop waited for it, about
         * ZEROIPC_STACK_CLAIM_MS, and gave up. */
        CHECK(pop_us >= ZEROIPC_STACK_CLAIM_MS * 900 &&
              pop_us < (ZEROIPC_STACK_CLAIM_MS + r->slack_ms) * 1000,
              "pop over a dead slot: TIMEOUT after %" PRId64 " us", pop_us);
        g_stats[K_STACK].stalls++;
    }

    /* Raw scan. */
    _Atomic int32_t *top = (_Atomic int32_t *)(void *)b;
    _Atomic uint32_t *state = (_Atomic uint32_t *)(void *)(b + 16 + SCAP * ELEM);
    int32_t tp = atomic_load(top);
    CHECK(tp >= -1 && tp < SCAP, "top %d", tp);
    uint64_t lost[NW];
    int nlost = 0, writing = 0, holes = 0, orphans = 0;
    for (int i = 0; i < SCAP; i++) {
        uint32_t s = atomic_load(&state[i]);
        v = elem_value(b + 16 + (size_t)i * ELEM);
        switch (s) {
        case 2: /* READY: still there (above top: a dead popper moved top) */
            seen_add(r, &sn, v, "left in a READY slot");
            orphans += i > tp;
            break;
        case 3: /* READING: a dead popper's claim; its value is lost */
            CHECK(nlost < NW, "too many READING slots");
            lost[nlost++] = v;
            break;
        case 1:
            writing++;
            break;
        case 0:
            holes += i <= tp;
            break;
        default:
            CHECK(false, "slot %d state %u", i, s);
        }
    }
    int kp = count_killed(r, 0, r->nprod), kc = count_killed(r, r->nprod, NW);
    CHECK(writing <= kp, "%d WRITING slots, %d killed pushers", writing, kp);
    CHECK(nlost <= kc, "%d READING slots, %d killed poppers", nlost, kc);
    check_values(r, &sn, lost, nlost, killed_in_pop(r));
    g_stats[K_STACK].dead_prod_slots += writing;
    g_stats[K_STACK].dead_cons_slots += nlost;
    /* Acknowledged elements under a dead slot that could never be popped
     * again: zeroipc_stack.h promises none (a timed-out call steps over
     * or takes over what a dead peer left).  An orphan over top (a popper
     * died before claiming it) is not stranded: the next push that meets
     * it brings it back within reach, which a drain (pops only) does not
     * do; it is counted in the values above as still there.
     * XC_STRICT_STACK=0 only counts them. */
    int stranded = 0;
    if (writing + nlost + holes > 0 && rc == ZEROIPC_ERROR_TIMEOUT)
        for (int i = 0; i <= tp; i++)
            stranded += atomic_load(&state[i]) == 2;
    g_stats[K_STACK].stranded += stranded;
    const char *strict = getenv("XC_STRICT_STACK");
    if (strict == NULL || strcmp(strict, "0") != 0)
        CHECK(stranded == 0, "%d acknowledged elements stranded under/over "
              "slots held by dead peers (top %d)", stranded, tp);
    if (writing + nlost + holes + orphans)
        fprintf(stderr, "  stack round %d: top %d, WRITING %d, READING %d, "
                "EMPTY under top %d, READY over top %d\n", r->round, tp,
                writing, nlost, holes, orphans);

    /* Usable: a fresh value pushed is popped back (above a dead slot the
     * drain stopped at).  If the slot right above top is itself held by a
     * dead peer (READY left by a popper that died between moving top and
     * claiming, or READING/WRITING), the push times out on time instead,
     * and puts top back. */
    uint64_t fresh[ELEM / 8];
    elem_fill(fresh, 0xF00D0000F00Dull);
    int32_t tp2 = atomic_load(top);
    uint32_t above = tp2 + 1 < SCAP ? atomic_load(&state[tp2 + 1]) : 99;
    t0 = xp_now_us();
    rc = zeroipc_stack_push(st, fresh);
    int64_t us = xp_now_us() - t0;
    if (above == 0) {
        CHECK(rc == ZEROIPC_OK, "push after the round: %d", rc);
        CHECK(zeroipc_stack_pop(st, el) == ZEROIPC_OK && elem_value(el) == fresh[0],
              "pop of the fresh value: %#" PRIx64, el[0]);
    } else if (above == 99) {
        CHECK(rc == ZEROIPC_ERROR_SIZE, "push onto a full stack: %d", rc);
    } else {
        CHECK(rc == ZEROIPC_ERROR_TIMEOUT && us >= ZEROIPC_STACK_CLAIM_MS * 900 &&
              us < (ZEROIPC_STACK_CLAIM_MS + r->slack_ms) * 1000,
              "push onto a slot held by a dead peer (state %u): %d after %"
              PRId64 " us", above, rc, us);
        CHECK(atomic_load(top) == tp2, "top %d not put back to %d",
              atomic_load(top), tp2);
        g_stats[K_STACK].stalls++;
    }
}

static void round_map(struct rctx *r, zeroipc_memory_t *mem)
{
    zeroipc_map_t *m = xp_keep(close_map, zeroipc_map_open_shape(mem, "m", &map_shape));
    CHECK(m != NULL, "map no longer opens: %d", zeroipc_last_error());
    size_t off, size;
    CHECK(zeroipc_table_find(mem, "m", &off, &size) == ZEROIPC_OK, "find");
    unsigned char *b = (unsigned char *)zeroipc_memory_base(mem) + off;
    CHECK(zeroipc_map_validate(b, size, &map_shape) == ZEROIPC_OK, "validate");
    int P = r->nprod;
    int ki = count_killed(r, 0, P), ke = count_killed(r, P, NW);

    /* Which keys were erased with acknowledgement (eraser j: inserter j). */
    long nk = r->nops;
    uint8_t *erased = xp_keep_malloc(calloc((size_t)P * (size_t)nk, 1));
    uint8_t *seenk = xp_keep_malloc(calloc((size_t)P * (size_t)nk, 1));
    CHECK(erased && seenk, "calloc");
    for (int j = 0; j < NW - P; j++) {
        struct wlog *E = wlog_at(r, P + j);
        uint64_t c = atomic_load(&E->count);
        for (uint64_t i = 0; i < c; i++) {
            uint64_t k = atomic_load(&E->e[i]);
            CHECK(val_w(k) == j && val_s(k) < (uint64_t)nk, "eraser log %#" PRIx64, k);
            erased[(size_t)j * nk + val_s(k)] = 1;
        }
    }
    for (int w = 0; w < P; w++) {
        struct wlog *I = wlog_at(r, w);
        struct wlog *E = wlog_at(r, P + w);
        uint64_t ep = r->killed[P + w] ? atomic_load(&E->pending) : 0;
        uint64_t c = atomic_load(&I->count);
        for (uint64_t i = 0; i < c; i++) {
            uint64_t e = atomic_load(&I->e[i]), k = e & ~FAILBIT, v = 0;
            CHECK(k == val_of(w, i), "inserter log");
            int rc = zeroipc_map_find(m, &k, &v);
            if (e & FAILBIT) {
                CHECK(rc == ZEROIPC_ERROR_NOT_FOUND, "key %#" PRIx64 " whose "
                      "insert timed out (nothing changed) is present: %d", k, rc);
            } else if (erased[(size_t)w * nk + i]) {
                CHECK(rc == ZEROIPC_ERROR_NOT_FOUND, "erased key %#" PRIx64
                      " present: %d", k, rc);
            } else if (rc == ZEROIPC_ERROR_NOT_FOUND) {
                CHECK(k == ep, "acknowledged key %#" PRIx64 " missing (not "
                      "erased, not a killed eraser's in-flight key)", k);
            } else {
                CHECK(rc == ZEROIPC_OK && v == map_value(k), "find %#" PRIx64
                      ": %d value %#" PRIx64, k, rc, v);
            }
        }
    }
    /* Iteration: each key once, and only keys somebody inserted. */
    size_t cur = 0, n = 0;
    uint64_t k, v;
    int rc;
    while ((rc = zeroipc_map_next(m, &cur, &k, &v)) == ZEROIPC_OK) {
        n++;
        int w = val_w(k);
        uint64_t s = val_s(k);
        CHECK(w >= 0 && w < P && s < (uint64_t)nk && v == map_value(k),
              "unknown entry %#" PRIx64 " -> %#" PRIx64, k, v);
        struct wlog *I = wlog_at(r, w);
        uint64_t c = atomic_load(&I->count);
        CHECK((s < c && !(atomic_load(&I->e[s]) & FAILBIT)) ||
              (r->killed[w] && s == c), "key %#" PRIx64 " never acknowledged", k);
        CHECK(!seenk[(size_t)w * nk + s], "key %#" PRIx64 " in two slots", k);
        seenk[(size_t)w * nk + s] = 1;
    }
    CHECK(rc == ZEROIPC_ERROR_NOT_FOUND, "iteration: %d", rc);

    /* Raw states and the size word. */
    size_t stride = zeroipc_map_entry_size(&map_shape);
    size_t occupied = 0;
    long inserting_at = -1;
    int inserting = 0;
    for (size_t i = 0; i < MCAP; i++) {
        uint32_t s = atomic_load((_Atomic uint32_t *)(void *)(b + 16 + i * stride));
        CHECK(s <= 3, "slot %zu state %u", i, s);
        occupied += s == ZEROIPC_MAP_OCCUPIED;
        if (s == ZEROIPC_MAP_INSERTING) {
            inserting++;
            inserting_at = (long)i;
        }
    }
    CHECK(occupied == n, "%zu OCCUPIED, iteration saw %zu", occupied, n);
    CHECK(inserting <= ki, "%d INSERTING slots, %d killed inserters", inserting, ki);
    int64_t sz = (int64_t)atomic_load((_Atomic uint32_t *)(void *)b);
    if (sz > (int64_t)UINT32_MAX / 2)
        sz -= (int64_t)1 << 32;
    int64_t d = sz - (int64_t)occupied;
    CHECK(d >= -ki && d <= ke, "size word %" PRId64 ", %zu OCCUPIED "
          "(killed: %d inserters, %d erasers)", sz, occupied, ki, ke);
    g_stats[K_MAP].dead_prod_slots += inserting;

    /* A dead INSERTING slot: an insert whose chain starts there waits
     * about ZEROIPC_MAP_CLAIM_MS, buries it and inserts. */
    if (inserting_at >= 0) {
        g_stats[K_MAP].stalls++;
        uint64_t key = 0;
        for (uint64_t c = 0xA000000000000000ull;; c++) {
            if (zeroipc_map_hash(&map_shape, &c) % MCAP == (uint64_t)inserting_at) {
                key = c;
                break;
            }
        }
        v = map_value(key);
        int64_t t0 = xp_now_us();
        rc = zeroipc_map_insert(m, &key, &v);
        int64_t us = xp_now_us() - t0;
        CHECK(rc == 1 && us >= ZEROIPC_MAP_CLAIM_MS * 900 &&
              us < (ZEROIPC_MAP_CLAIM_MS + r->slack_ms) * 1000,
              "insert over a dead INSERTING slot: %d after %" PRId64 " us", rc, us);
        CHECK(zeroipc_map_find(m, &key, NULL) == ZEROIPC_OK, "inserted key absent");
        CHECK(atomic_load((_Atomic uint32_t *)(void *)(b + 16 + (size_t)inserting_at * stride)) !=
                  ZEROIPC_MAP_INSERTING,
              "the dead slot is still INSERTING");
    }
    /* Usable: a key whose home slot is EMPTY inserts, is found, erases. */
    uint64_t key = 0;
    for (uint64_t c = 0xB000000000000000ull;; c++) {
        size_t home = zeroipc_map_hash(&map_shape, &c) % MCAP;
        if (atomic_load((_Atomic uint32_t *)(void *)(b + 16 + home * stride)) ==
            ZEROIPC_MAP_EMPTY) {
            key = c;
            break;
        }
    }
    v = 77;
    CHECK(zeroipc_map_insert(m, &key, &v) == 1, "insert after the round");
    CHECK(zeroipc_map_find(m, &key, &v) == ZEROIPC_OK && v == 77, "find after");
    CHECK(zeroipc_map_erase(m, &key) == ZEROIPC_OK, "erase after");
}

static void round_pool(struct rctx *r, zeroipc_memory_t *mem)
{
    zeroipc_pool_t *p = xp_keep(close_pool, zeroipc_pool_open(mem, "p", 8));
    CHECK(p != NULL, "pool no longer opens: %d", zeroipc_last_error());
    size_t off, size;
    CHECK(zeroipc_table_find(mem, "p", &off, &size) == ZEROIPC_OK, "find");
    unsigned char *b = (unsigned char *)zeroipc_memory_base(mem) + off;
    CHECK(zeroipc_pool_validate(b, size, 8) == ZEROIPC_OK, "validate");

    /* Replay the logs: who holds what.  Each worker's log is replayed on
     * its own (the logs are not ordered with each other), then merged. */
    uint8_t held[PCAP] = {0}; /* 1 + worker, 0 free */
    long leak_min = 0, leak_max = 0;
    int kills = 0;
    for (int w = 0; w < NW; w++) {
        struct wlog *L = wlog_at(r, w);
        uint64_t c = atomic_load(&L->count);
        uint8_t mine[PCAP] = {0};
        int nheld = 0;
        for (uint64_t i = 0; i < c; i++) {
            uint64_t e = atomic_load(&L->e[i]);
            uint32_t idx = (uint32_t)e;
            CHECK(idx < PCAP, "index %u", idx);
            if (e >> 32 == 1) {
                CHECK(!mine[idx], "worker %d got node %u it already held", w, idx);
                mine[idx] = 1;
                nheld++;
            } else {
                CHECK(mine[idx], "worker %d freed node %u it did not hold", w, idx);
                mine[idx] = 0;
                nheld--;
            }
        }
        if (!r->killed[w]) {
            CHECK(nheld == 0, "worker %d finished holding %d nodes", w, nheld);
            continue;
        }
        kills++;
        uint64_t pend = atomic_load(&L->pending);
        leak_min += nheld;
        leak_max += nheld;
        if (pend >> 32 == 1) {
            leak_max++; /* allocated, not logged */
        } else if (pend >> 32 == 2 && mine[(uint32_t)pend]) {
            leak_min--; /* maybe freed, not logged: maybe back in the list */
            mine[(uint32_t)pend] = 0;
        }
        for (uint32_t i = 0; i < PCAP; i++) {
            if (!mine[i])
                continue;
            CHECK(held[i] == 0, "node %u held by dead workers %d and %d", i,
                  held[i] - 1, w);
            held[i] = (uint8_t)(w + 1);
        }
    }
    /* Drain: distinct indices, none still held by a dead worker. */
    uint8_t got[PCAP] = {0};
    uint32_t order[PCAP];
    long drained = 0;
    for (int pass = 0; pass < 2; pass++) {
        long cnt = 0;
        memset(got, 0, sizeof got);
        uint32_t idx;
        int rc;
        while ((rc = zeroipc_pool_alloc(p, &idx)) == ZEROIPC_OK) {
            CHECK(idx < PCAP && !got[idx], "pass %d: index %u handed out twice", pass, idx);
            CHECK(held[idx] == 0, "pass %d: index %u handed out while dead worker "
                  "%d holds it", pass, idx, held[idx] - 1);
            got[idx] = 1;
            order[cnt++] = idx;
        }
        CHECK(rc == ZEROIPC_ERROR_SIZE, "drain alloc: %d", rc);
        long leaked = PCAP - cnt;
        CHECK(leaked >= leak_min && leaked <= leak_max, "pass %d: %ld nodes "
              "missing; the %d killed workers held between %ld and %ld", pass,
              leaked, kills, leak_min, leak_max);
        size_t a = zeroipc_pool_allocated(p);
        CHECK((long)a >= cnt && a <= PCAP, "allocated %zu, drained %ld", a, cnt);
        if (pass == 1)
            CHECK(cnt == drained, "second drain %ld, first %ld", cnt, drained);
        drained = cnt;
        for (long i = 0; i < cnt; i++)
            CHECK(zeroipc_pool_free(p, order[i]) == ZEROIPC_OK, "free back %u", order[i]);
    }
    g_stats[K_POOL].dead_prod_slots += (int)(PCAP - drained);
}

static void run_kind(enum kind kind, int def_rounds)
{
    static struct rctx r; /* static: big, and fork copies it */
    g_seed = (uint64_t)xp_env_long("XC_SEED", 7001);
    g_kind = kind_name[kind];
    long rounds = xp_env_long("XC_ROUNDS", def_rounds);
    uint64_t rng = g_seed ^ (0x1234567ull * (kind + 1));
    int64_t t_start = zt_now_ms();
    for (int round = 0; round < rounds; round++) {
        g_round = round;
        memset(&r, 0, sizeof r);
        r.kind = kind;
        r.round = round;
        r.seed = g_seed;
        r.nops = xp_env_long("XC_OPS", 10000);
        r.round_ms = xp_env_long("XC_ROUND_MS", 2000);
        r.slack_ms = xp_env_long("XC_SLACK_MS", 2000);
        r.nprod = kind == K_POOL ? NW : NW / 2;
        r.log_stride = sizeof(struct wlog) + 8 * (size_t)(r.nops + 2 * PHOLD + 2);
        r.map_len = sizeof(struct ctl) + NW * r.log_stride;
        r.map = mmap(NULL, r.map_len, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        CHECK(r.map != MAP_FAILED, "mmap");
        xp_keep(unmap_logs, &r);
        r.ctl = r.map;

        zt_segname(r.seg, "xc");
        size_t segsize = kind == K_MAP ? (4u << 20) : (1u << 20);
        zeroipc_memory_t *mem = xp_keep_mem(zeroipc_memory_create(r.seg, segsize, 8));
        CHECK(mem != NULL, "create: %d", zeroipc_last_error());
        void *h = NULL;
        switch (kind) {
        case K_QUEUE: h = xp_keep(close_queue, zeroipc_queue_create(mem, "q", ELEM, QCAP)); break;
        case K_STACK: h = xp_keep(close_stack, zeroipc_stack_create(mem, "s", ELEM, SCAP)); break;
        case K_MAP: h = xp_keep(close_map, zeroipc_map_create_shape(mem, "m", &map_shape, MCAP)); break;
        case K_POOL: h = xp_keep(close_pool, zeroipc_pool_create(mem, "p", 8, 8, PCAP)); break;
        }
        CHECK(h != NULL, "create structure: %d", zeroipc_last_error());

        run_workers(&r, &rng);
        check_timing(&r);

        /* Check through a fresh mapping, as an unrelated process would. */
        zeroipc_memory_t *m2 = xp_keep_mem(zeroipc_memory_open(r.seg));
        CHECK(m2 != NULL, "segment no longer opens: %d", zeroipc_last_error());
        switch (kind) {
        case K_QUEUE: round_queue(&r, m2); break;
        case K_STACK: round_stack(&r, m2); break;
        case K_MAP: round_map(&r, m2); break;
        case K_POOL: round_pool(&r, m2); break;
        }
        xp_teardown(NULL);
        zeroipc_memory_unlink(r.seg);
    }
    struct stats *S = &g_stats[kind];
    fprintf(stderr, "%s: seed %" PRIu64 ", %d rounds in %" PRId64 " ms: %d kills "
            "(%d inside a call), dead producer slots %d, dead consumer slots %d, "
            "stalled afterwards %d, stranded %d, in-flight values lost %d, TIMEOUTs seen by workers %d (longest %"
            PRId64 " us)\n", kind_name[kind], g_seed, S->rounds,
            zt_now_ms() - t_start, S->kills, S->kills_midop, S->dead_prod_slots,
            S->dead_cons_slots, S->stalls, S->stranded, S->lost, S->timeouts, S->max_to_us);
}

static void test_queue(void **st) { (void)st; run_kind(K_QUEUE, 20); }
static void test_stack(void **st) { (void)st; run_kind(K_STACK, 4); }
static void test_map(void **st) { (void)st; run_kind(K_MAP, 6); }
static void test_pool(void **st) { (void)st; run_kind(K_POOL, 20); }

int main(void)
{
    zt_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_queue, xp_teardown),
        cmocka_unit_test_teardown(test_stack, xp_teardown),
        cmocka_unit_test_teardown(test_map, xp_teardown),
        cmocka_unit_test_teardown(test_pool, xp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, zt_group_teardown);
}
