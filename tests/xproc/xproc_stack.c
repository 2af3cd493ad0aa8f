/*
 * xproc_stack.c - the stack as a multiset shared by real processes.
 *
 * NP pusher and NC popper processes share one stack (capacity 256, 8-byte
 * elements).  Pusher p pushes PER elements (p << 40 | seq); half use
 * push_timeout, half the non-blocking push with a retry.  Half the poppers
 * use pop_timeout, half the non-blocking pop, until a shared "taken"
 * counter reaches NP*PER.  Order is not checked (LIFO holds only
 * approximately under concurrency), but every element must be popped
 * exactly once: each popper sets the element's bit in a shared bitmap
 * with atomic fetch_or (a bit already set is a duplicate) and records
 * per-pusher counts and sums; the parent checks them all, that every bit
 * is set, and that the stack ends empty with top == -1 and every slot
 * state EMPTY.
 *
 * PER is 200,000 (ZT_XPROC_STACK_PER overrides it).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "xp.h"

#define NP 4
#define NC 4
#define SCAP 256
#define SEQ_BITS 40
#define SEQ_MASK ((UINT64_C(1) << SEQ_BITS) - 1)

/* Control words. */
enum {
    C_ARRIVED,
    C_GEN,
    C_TAKEN,
    C_DUPS,
    C_BAD,
    C_RES, /* [NC][NP][2]: count, sum */
    C_WORDS = C_RES + NC * NP * 2,
};

#define DEFAULT_PER 200000

struct args {
    char seg[ZT_NAME_MAX];
    int id;
    uint64_t per;
};

struct ctx {
    zeroipc_memory_t *mem;
    zeroipc_stack_t *q;
    zeroipc_array_t *ctl_a, *bits_a;
    _Atomic uint64_t *ctl, *bits;
};

static void ctx_close(struct ctx *c)
{
    zeroipc_stack_close(c->q);
    zeroipc_array_close(c->ctl_a);
    zeroipc_array_close(c->bits_a);
    zeroipc_memory_close(c->mem);
}

/* A child's own handles: the segment opened by name, as a separate
 * program would. */
static int ctx_open(struct ctx *c, const char *seg)
{
    memset(c, 0, sizeof *c);
    c->mem = zeroipc_memory_open(seg);
    if (!c->mem) {
        XP_FAIL("memory_open(%s): %d", seg, zeroipc_last_error());
        return -1;
    }
    c->q = zeroipc_stack_open(c->mem, "s");
    c->ctl_a = zeroipc_array_open(c->mem, "ctl");
    c->bits_a = zeroipc_array_open(c->mem, "bits");
    if (!c->q || !c->ctl_a || !c->bits_a) {
        XP_FAIL("open q/ctl/bits: %p %p %p, last error %d", (void *)c->q,
                (void *)c->ctl_a, (void *)c->bits_a, zeroipc_last_error());
        ctx_close(c);
        return -1;
    }
    c->ctl = xp_words(c->ctl_a);
    c->bits = xp_words(c->bits_a);
    return 0;
}

static int producer(void *arg)
{
    const struct args *a = arg;
    struct ctx c;
    if (ctx_open(&c, a->seg) != 0)
        return 2;
    int rc = 0;
    if (xp_barrier(&c.ctl[C_ARRIVED], &c.ctl[C_GEN], NP + NC, 20000) != 0) {
        XP_FAIL("pusher %d: start barrier timed out", a->id);
        rc = 3;
        goto out;
    }
    int64_t deadline = zt_now_ms() + 240000;
    for (uint64_t seq = 0; seq < a->per; seq++) {
        uint64_t v = (uint64_t)a->id << SEQ_BITS | seq;
        int r;
        if (a->id % 2 == 0) {
            r = zeroipc_stack_push_timeout(c.q, &v, 30000);
        } else {
            unsigned tries = 0;
            while ((r = zeroipc_stack_push(c.q, &v)) == ZEROIPC_ERROR_SIZE) {
                if (++tries % 16 == 0) {
                    if (zt_now_ms() > deadline)
                        break;
                    sched_yield();
                }
            }
        }
        if (r != ZEROIPC_OK) {
            XP_FAIL("pusher %d: push of seq %" PRIu64 " returned %d (%s)",
                    a->id, seq, r, zeroipc_error_string(r));
            rc = 4;
            goto out;
        }
    }
out:
    ctx_close(&c);
    return rc;
}

static int consumer(void *arg)
{
    const struct args *a = arg;
    struct ctx c;
    if (ctx_open(&c, a->seg) != 0)
        return 2;
    int rc = 0;
    uint64_t total = a->per * NP;
    uint64_t words = (a->per + 63) / 64;
    uint64_t cnt[NP] = {0}, sum[NP] = {0};
    if (xp_barrier(&c.ctl[C_ARRIVED], &c.ctl[C_GEN], NP + NC, 20000) != 0) {
        XP_FAIL("popper %d: start barrier timed out", a->id);
        rc = 3;
        goto out;
    }
    int64_t deadline = zt_now_ms() + 240000;
    while (atomic_load(&c.ctl[C_TAKEN]) < total) {
        uint64_t v = 0;
        int r;
        if (a->id % 2 == 0) {
            r = zeroipc_stack_pop_timeout(c.q, &v, 50);
        } else {
            r = zeroipc_stack_pop(c.q, &v);
            if (r == ZEROIPC_ERROR_NOT_FOUND) {
                sched_yield();
                r = ZEROIPC_ERROR_TIMEOUT;
            }
        }
        if (r == ZEROIPC_ERROR_TIMEOUT) {
            if (zt_now_ms() > deadline) {
                XP_FAIL("popper %d: gave up, taken %" PRIu64 " of %" PRIu64,
                        a->id, atomic_load(&c.ctl[C_TAKEN]), total);
                rc = 5;
                goto out;
            }
            continue;
        }
        if (r != ZEROIPC_OK) {
            XP_FAIL("popper %d: pop returned %d (%s)", a->id, r,
                    zeroipc_error_string(r));
            rc = 6;
            goto out;
        }
        uint64_t p = v >> SEQ_BITS, seq = v & SEQ_MASK;
        if (p >= NP || seq >= a->per) {
            XP_FAIL("popper %d: impossible element %#" PRIx64, a->id, v);
            atomic_fetch_add(&c.ctl[C_BAD], 1);
            rc = 7;
            goto out;
        }
        cnt[p]++;
        sum[p] += seq;
        uint64_t bit = UINT64_C(1) << (seq % 64);
        uint64_t old = atomic_fetch_or(&c.bits[p * words + seq / 64], bit);
        if (old & bit) {
            XP_FAIL("popper %d: duplicate element producer %" PRIu64
                    " seq %" PRIu64, a->id, p, seq);
            atomic_fetch_add(&c.ctl[C_DUPS], 1);
            rc = 9;
            goto out;
        }
        atomic_fetch_add(&c.ctl[C_TAKEN], 1);
    }
    for (int p = 0; p < NP; p++) {
        atomic_store(&c.ctl[C_RES + (a->id * NP + p) * 2], cnt[p]);
        atomic_store(&c.ctl[C_RES + (a->id * NP + p) * 2 + 1], sum[p]);
    }
out:
    ctx_close(&c);
    return rc;
}

static void test_stack_multiset(void **state)
{
    (void)state;
    uint64_t per = (uint64_t)xp_env_long("ZT_XPROC_STACK_PER", DEFAULT_PER);
    uint64_t total = per * NP;
    uint64_t words = (per + 63) / 64;
    char seg[ZT_NAME_MAX];
    zt_segname(seg, "xs-mset");

    size_t size = 4096 + zeroipc_stack_footprint(8, SCAP) +
                  zeroipc_array_footprint(8, C_WORDS) +
                  zeroipc_array_footprint(8, NP * words) + 4096;
    zeroipc_memory_t *mem = xp_keep_mem(zeroipc_memory_create(seg, size, 16));
    assert_non_null(mem);
    zeroipc_stack_t *q = xp_keep_stack(zeroipc_stack_create(mem, "s", 8, SCAP));
    assert_non_null(q);
    assert_int_equal(zeroipc_stack_capacity(q), SCAP);
    zeroipc_array_t *ctl_a =
        xp_keep_array(zeroipc_array_create(mem, "ctl", 8, C_WORDS));
    assert_non_null(ctl_a);
    zeroipc_array_t *bits_a =
        xp_keep_array(zeroipc_array_create(mem, "bits", 8, NP * words));
    assert_non_null(bits_a);
    _Atomic uint64_t *ctl = xp_words(ctl_a), *bits = xp_words(bits_a);

    struct args args[NP + NC];
    int pids[NP + NC], status[NP + NC];
    for (int i = 0; i < NP + NC; i++) {
        memset(&args[i], 0, sizeof args[i]);
        strcpy(args[i].seg, seg);
        args[i].id = i < NP ? i : i - NP;
        args[i].per = per;
    }
    int64_t t0 = zt_now_ms();
    xp_spawn(pids, NP, producer, args, sizeof args[0]);
    xp_spawn(pids + NP, NC, consumer, args + NP, sizeof args[0]);
    int bad = xp_wait_all(pids, NP + NC, 250000, status);
    int64_t t1 = zt_now_ms();
    fprintf(stderr, "stack multiset: %d pushers x %" PRIu64 " elements, %d "
            "poppers: %" PRId64 " ms\n", NP, per, NC, t1 - t0);
    for (int i = 0; i < NP + NC; i++)
        if (status[i] != 0)
            fprintf(stderr, "%s %d exited with %d\n",
                    i < NP ? "pusher" : "popper", args[i].id, status[i]);
    assert_int_equal(bad, 0);

    assert_int_equal(atomic_load(&ctl[C_DUPS]), 0);
    assert_int_equal(atomic_load(&ctl[C_BAD]), 0);
    assert_int_equal(atomic_load(&ctl[C_TAKEN]), total);
    for (int p = 0; p < NP; p++) {
        uint64_t cnt = 0, sum = 0;
        for (int c = 0; c < NC; c++) {
            cnt += atomic_load(&ctl[C_RES + (c * NP + p) * 2]);
            sum += atomic_load(&ctl[C_RES + (c * NP + p) * 2 + 1]);
        }
        assert_int_equal(cnt, per);
        assert_int_equal(sum, per * (per - 1) / 2);
        /* Every bit set: every element seen (and, by the fetch_or check,
         * none twice). */
        uint64_t missing = 0;
        for (uint64_t seq = 0; seq < per; seq++)
            if (!(atomic_load(&bits[p * words + seq / 64]) &
                  (UINT64_C(1) << (seq % 64))))
                missing++;
        assert_int_equal(missing, 0);
    }

    /* Nothing left behind: empty, top -1, every slot EMPTY (FORMAT.md). */
    assert_int_equal(zeroipc_stack_empty(q), 1);
    assert_int_equal(zeroipc_stack_size(q), 0);
    uint64_t v;
    assert_int_equal(zeroipc_stack_pop(q, &v), ZEROIPC_ERROR_NOT_FOUND);
    size_t off;
    assert_int_equal(zeroipc_table_find(mem, "s", &off, NULL), ZEROIPC_OK);
    char *sbase = (char *)zeroipc_memory_base(mem) + off;
    assert_int_equal(atomic_load((_Atomic int32_t *)sbase), -1);
    _Atomic uint32_t *states =
        (_Atomic uint32_t *)(sbase + 16 + ((SCAP * 8 + 7) & ~7u));
    for (unsigned i = 0; i < SCAP; i++)
        assert_int_equal(atomic_load(&states[i]), 0);

    xp_teardown(NULL);
    zeroipc_memory_unlink(seg);
}

int main(void)
{
    zt_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_stack_multiset, xp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, zt_group_teardown);
}
