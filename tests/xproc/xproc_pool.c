/*
 * xproc_pool.c - the pool shared by real processes.
 *
 * NPROC processes share one pool of PCAP nodes (8-byte elements) and do
 * ROUNDS allocate/free rounds in total (1,000,000; ZT_XPROC_POOL_ROUNDS
 * overrides).  In each round a process allocates up to HOLD nodes (fewer
 * when the pool is exhausted, which with NPROC * HOLD > PCAP happens
 * often), then frees them.  On every allocation it claims the index in a
 * shared owner array with a CAS 0 -> pid (failing means the pool handed
 * out an index that someone still holds) and writes its pid into the
 * node's data; before freeing it checks the data still holds its pid
 * (nobody else wrote the node meanwhile) and releases the owner word with
 * a CAS pid -> 0.  The parent then checks: no complaint, allocated == 0,
 * the free list holds every index exactly once, and free_head's
 * generation counts every successful CAS (two per allocation).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "xp.h"

#define NPROC 4
#define PCAP 8
#define HOLD 3
#define DEFAULT_ROUNDS 1000000

/* Control words. */
enum {
    C_ARRIVED,
    C_GEN,
    C_DUPS,    /* an index handed to two holders at once */
    C_CLOBBER, /* a held node's data changed under its holder */
    C_ERRORS,  /* an unexpected return code */
    C_ALLOCS,  /* successful allocations, all processes */
    C_FULL,    /* allocations that found the pool exhausted */
    C_WORDS,
};

struct args {
    char seg[ZT_NAME_MAX];
    int id;
    uint64_t rounds;
};

struct ctx {
    zeroipc_memory_t *mem;
    zeroipc_pool_t *p;
    zeroipc_array_t *ctl_a, *own_a;
    _Atomic uint64_t *ctl, *owner;
};

static void ctx_close(struct ctx *c)
{
    zeroipc_pool_close(c->p);
    zeroipc_array_close(c->ctl_a);
    zeroipc_array_close(c->own_a);
    zeroipc_memory_close(c->mem);
}

static int ctx_open(struct ctx *c, const char *seg)
{
    memset(c, 0, sizeof *c);
    c->mem = zeroipc_memory_open(seg);
    if (!c->mem) {
        XP_FAIL("memory_open(%s): %d", seg, zeroipc_last_error());
        return -1;
    }
    c->p = zeroipc_pool_open(c->mem, "pool", 8);
    c->ctl_a = zeroipc_array_open(c->mem, "ctl");
    c->own_a = zeroipc_array_open(c->mem, "owner");
    if (!c->p || !c->ctl_a || !c->own_a) {
        XP_FAIL("open pool/ctl/owner: %p %p %p, last error %d", (void *)c->p,
                (void *)c->ctl_a, (void *)c->own_a, zeroipc_last_error());
        ctx_close(c);
        return -1;
    }
    c->ctl = xp_words(c->ctl_a);
    c->owner = xp_words(c->own_a);
    return 0;
}

static int worker(void *arg)
{
    const struct args *a = arg;
    struct ctx c;
    if (ctx_open(&c, a->seg) != 0)
        return 2;
    int rc = 0;
    uint64_t me = (uint64_t)getpid();
    uint64_t allocs = 0, full = 0;
    if (xp_barrier(&c.ctl[C_ARRIVED], &c.ctl[C_GEN], NPROC, 20000) != 0) {
        XP_FAIL("worker %d: start barrier timed out", a->id);
        rc = 3;
        goto out;
    }
    int64_t deadline = zt_now_ms() + 240000;
    /* A round is one allocate/free pair. */
    for (uint64_t done = 0; done < a->rounds;) {
        uint32_t held[HOLD];
        int n = 0;
        for (int k = 0; k < HOLD; k++) {
            uint32_t i;
            int e = zeroipc_pool_alloc(c.p, &i);
            if (e == ZEROIPC_ERROR_SIZE) {
                full++;
                continue;
            }
            if (e != ZEROIPC_OK || i >= PCAP) {
                XP_FAIL("worker %d: alloc returned %d (%s), index %u", a->id,
                        e, zeroipc_error_string(e), i);
                atomic_fetch_add(&c.ctl[C_ERRORS], 1);
                rc = 4;
                goto out;
            }
            allocs++;
            uint64_t zero = 0;
            if (!atomic_compare_exchange_strong(&c.owner[i], &zero, me)) {
                XP_FAIL("worker %d: index %u handed out while held by %" PRIu64,
                        a->id, i, zero);
                atomic_fetch_add(&c.ctl[C_DUPS], 1);
                rc = 5;
                goto out;
            }
            memcpy(zeroipc_pool_get(c.p, i), &me, 8);
            held[n++] = i;
        }
        if (n == 0) {
            /* Everything held by the others: let them run. */
            if (zt_now_ms() > deadline) {
                XP_FAIL("worker %d: pool stayed exhausted", a->id);
                rc = 6;
                goto out;
            }
            sched_yield();
            continue;
        }
        for (int k = 0; k < n; k++) {
            uint64_t v;
            memcpy(&v, zeroipc_pool_get(c.p, held[k]), 8);
            if (v != me) {
                XP_FAIL("worker %d: node %u holds %" PRIu64 ", not my %" PRIu64,
                        a->id, held[k], v, me);
                atomic_fetch_add(&c.ctl[C_CLOBBER], 1);
                rc = 7;
                goto out;
            }
            uint64_t mine = me;
            if (!atomic_compare_exchange_strong(&c.owner[held[k]], &mine, 0)) {
                XP_FAIL("worker %d: owner of %u is %" PRIu64, a->id, held[k], mine);
                atomic_fetch_add(&c.ctl[C_DUPS], 1);
                rc = 8;
                goto out;
            }
            int e = zeroipc_pool_free(c.p, held[k]);
            if (e != ZEROIPC_OK) {
                XP_FAIL("worker %d: free(%u) returned %d (%s)", a->id, held[k],
                        e, zeroipc_error_string(e));
                atomic_fetch_add(&c.ctl[C_ERRORS], 1);
                rc = 9;
                goto out;
            }
        }
        done += (uint64_t)n;
    }
out:
    atomic_fetch_add(&c.ctl[C_ALLOCS], allocs);
    atomic_fetch_add(&c.ctl[C_FULL], full);
    ctx_close(&c);
    return rc;
}

static void close_pool_(void *p)
{
    zeroipc_pool_close(p);
}

static void test_pool_mp(void **state)
{
    (void)state;
    uint64_t rounds = (uint64_t)xp_env_long("ZT_XPROC_POOL_ROUNDS", DEFAULT_ROUNDS);
    char seg[ZT_NAME_MAX];
    zt_segname(seg, "xp-pool");
    size_t size = 4096 + zeroipc_pool_footprint(8, 8, PCAP) +
                  zeroipc_array_footprint(8, C_WORDS) +
                  zeroipc_array_footprint(8, PCAP) + 4096;
    zeroipc_memory_t *mem = xp_keep_mem(zeroipc_memory_create(seg, size, 8));
    assert_non_null(mem);
    zeroipc_pool_t *p = zeroipc_pool_create(mem, "pool", 8, 8, PCAP);
    xp_keep(close_pool_, p);
    assert_non_null(p);
    zeroipc_array_t *ctl_a = xp_keep_array(zeroipc_array_create(mem, "ctl", 8, C_WORDS));
    assert_non_null(ctl_a);
    zeroipc_array_t *own_a = xp_keep_array(zeroipc_array_create(mem, "owner", 8, PCAP));
    assert_non_null(own_a);
    _Atomic uint64_t *ctl = xp_words(ctl_a), *owner = xp_words(own_a);

    struct args args[NPROC];
    int pids[NPROC], status[NPROC];
    for (int i = 0; i < NPROC; i++) {
        memset(&args[i], 0, sizeof args[i]);
        strcpy(args[i].seg, seg);
        args[i].id = i;
        args[i].rounds = rounds / NPROC + ((uint64_t)i < rounds % NPROC);
    }
    int64_t t0 = zt_now_ms();
    xp_spawn(pids, NPROC, worker, args, sizeof args[0]);
    int bad = xp_wait_all(pids, NPROC, 250000, status);
    int64_t t1 = zt_now_ms();
    uint64_t allocs = atomic_load(&ctl[C_ALLOCS]);
    fprintf(stderr, "pool: %d processes, %" PRIu64 " rounds, %" PRIu64
            " allocations, %" PRIu64 " found it exhausted: %" PRId64 " ms\n",
            NPROC, rounds, allocs, atomic_load(&ctl[C_FULL]), t1 - t0);
    for (int i = 0; i < NPROC; i++)
        if (status[i] != 0)
            fprintf(stderr, "worker %d exited with %d\n", i, status[i]);
    assert_int_equal(bad, 0);
    assert_int_equal(atomic_load(&ctl[C_DUPS]), 0);
    assert_int_equal(atomic_load(&ctl[C_CLOBBER]), 0);
    assert_int_equal(atomic_load(&ctl[C_ERRORS]), 0);
    assert_true(allocs >= rounds);
    for (int i = 0; i < PCAP; i++)
        assert_int_equal(atomic_load(&owner[i]), 0);

    /* Nothing held, and the free list is every index exactly once. */
    assert_int_equal(zeroipc_pool_allocated(p), 0);
    size_t off;
    assert_int_equal(zeroipc_table_find(mem, "pool", &off, NULL), ZEROIPC_OK);
    uint8_t *b = (uint8_t *)zeroipc_memory_base(mem) + off;
    uint64_t head = atomic_load((_Atomic uint64_t *)(void *)b);
    assert_int_equal(atomic_load((_Atomic uint32_t *)(void *)(b + 8)), 0);
    /* Two successful CASes per allocation (its own and its free's). */
    assert_int_equal(head >> 32, (uint32_t)(2 * allocs));
    uint32_t seen = 0, i = (uint32_t)head, steps = 0;
    while (i != ZEROIPC_POOL_NONE) {
        assert_true(i < PCAP);
        assert_false(seen & (1u << i));
        seen |= 1u << i;
        assert_true(++steps <= PCAP);
        i = atomic_load((_Atomic uint32_t *)(void *)(b + 24 + 16 * (size_t)i + 8));
    }
    assert_int_equal(steps, PCAP);
    assert_int_equal(seen, (1u << PCAP) - 1);
    /* And the pool hands them all out again. */
    for (int k = 0; k < PCAP; k++)
        assert_int_equal(zeroipc_pool_alloc(p, &i), ZEROIPC_OK);
    assert_int_equal(zeroipc_pool_alloc(p, &i), ZEROIPC_ERROR_SIZE);

    xp_teardown(NULL);
    zeroipc_memory_unlink(seg);
}

int main(void)
{
    zt_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_pool_mp, xp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, zt_group_teardown);
}
