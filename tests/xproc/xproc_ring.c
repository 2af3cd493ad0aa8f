/*
 * xproc_ring.c - the SPSC ring between real processes.
 *
 * Transfer: a producer process and a consumer process, each opening the
 * segment by name, move N u32 elements (0, 1, ..., N-1; N is 10,000,000,
 * ZT_XPROC_RING_N overrides it) through a small ring (RING_ELEMS
 * elements), mixing single and batch calls, blocking and non-blocking.
 * The consumer checks that every element arrives in order, exactly once;
 * the parent then checks both positions are N * 4 bytes.  It must take
 * less than 30 s, in the ASan build too.
 *
 * Foreign peers: a waiter process blocks in read_wait_spsc on an empty
 * ring (or write_wait_spsc on a full one); the parent checks it sleeps
 * (little CPU), then moves write_pos (read_pos) with plain atomics, as the
 * public C++/Python code does, and never wakes anyone.  The waiter must
 * return within FOREIGN_MS (it looks again every ZEROIPC_WAIT_SLICE_MS).
 * The same with our own write / read, whose futex wake must come within
 * WAKE_MS.  A latency over its bound is retried (ATTEMPTS) so that a busy
 * runner does not fail the test.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "xp.h"
#include "zeroipc_ring.h"

#define RING_ELEMS 64
#define DEFAULT_N 10000000
#define TRANSFER_MS 30000

#define WAKE_MS 100
#define FOREIGN_MS 50
#define ATTEMPTS 3
#define WCAP 4 /* elements in the waiter tests' ring */

/* Control words. */
enum {
    C_ARRIVED,
    C_GEN,
    C_RECEIVED, /* consumer: elements received in order */
    C_SUM,      /* consumer: their sum */
    C_SINGLE,   /* calls of each kind that moved something */
    C_BATCH,
    C_READY,    /* waiter: about to block */
    C_TRET,     /* waiter: when its call returned (us) */
    C_RC,       /* waiter: return code + 100 (0: not returned) */
    C_VAL,      /* waiter: the element it read */
    C_WORDS
};

struct args {
    char seg[ZT_NAME_MAX];
    uint64_t n;
    int op; /* waiter: 0 read_wait on empty, 1 write_wait on full */
};

struct ctx {
    zeroipc_memory_t *mem;
    zeroipc_ring_t *r;
    zeroipc_array_t *ctl_a;
    _Atomic uint64_t *ctl;
};

static void ctx_close(struct ctx *c)
{
    zeroipc_ring_close(c->r);
    zeroipc_array_close(c->ctl_a);
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
    c->r = zeroipc_ring_open(c->mem, "r");
    c->ctl_a = zeroipc_array_open(c->mem, "ctl");
    if (!c->r || !c->ctl_a) {
        XP_FAIL("open r/ctl: %p %p, last error %d", (void *)c->r,
                (void *)c->ctl_a, zeroipc_last_error());
        ctx_close(c);
        return -1;
    }
    c->ctl = xp_words(c->ctl_a);
    return 0;
}

static void xp_close_ring_(void *p) { zeroipc_ring_close(p); }

/* A small deterministic generator, for the mix of calls. */
static uint32_t next_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static int producer(void *arg)
{
    const struct args *a = arg;
    struct ctx c;
    if (ctx_open(&c, a->seg) != 0)
        return 2;
    int rc = 0;
    uint32_t rnd = 0x9E3779B9u, buf[RING_ELEMS * 2];
    uint64_t singles = 0, batches = 0;
    if (xp_barrier(&c.ctl[C_ARRIVED], &c.ctl[C_GEN], 2, 20000) != 0) {
        XP_FAIL("producer: start barrier timed out");
        rc = 3;
        goto out;
    }
    int64_t deadline = zt_now_ms() + TRANSFER_MS;
    for (uint64_t v = 0; v < a->n;) {
        uint32_t pick = next_rand(&rnd);
        uint32_t x = (uint32_t)v;
        size_t moved = 0;
        int r = ZEROIPC_OK;
        switch (pick % 8) {
        case 0: /* blocking single */
            r = zeroipc_ring_write_timeout_spsc(c.r, &x, 10000);
            moved = r == ZEROIPC_OK;
            singles += moved;
            break;
        case 1: { /* non-blocking single, retried */
            unsigned tries = 0;
            while ((r = zeroipc_ring_write_spsc(c.r, &x)) == ZEROIPC_ERROR_SIZE) {
                if (++tries % 64 == 0) {
                    if (zt_now_ms() > deadline)
                        break;
                    sched_yield();
                }
            }
            moved = r == ZEROIPC_OK;
            singles += moved;
            break;
        }
        default: { /* batches of 1 .. 2 * capacity */
            size_t n = 1 + (pick >> 8) % (2 * RING_ELEMS);
            if (n > a->n - v)
                n = (size_t)(a->n - v);
            for (size_t i = 0; i < n; i++)
                buf[i] = (uint32_t)(v + i);
            if (pick % 8 == 2)
                moved = zeroipc_ring_write_many_spsc(c.r, buf, n);
            else
                r = zeroipc_ring_write_many_timeout_spsc(c.r, buf, n, &moved, 10000);
            batches += moved > 0;
            break;
        }
        }
        if (r != ZEROIPC_OK) {
            XP_FAIL("producer: write of %" PRIu64 " returned %d (%s)", v, r,
                    zeroipc_error_string(r));
            rc = 4;
            goto out;
        }
        v += moved;
        if ((v & 0xFFFF) == 0 && zt_now_ms() > deadline) {
            XP_FAIL("producer: out of time at %" PRIu64, v);
            rc = 5;
            goto out;
        }
    }
    atomic_fetch_add(&c.ctl[C_SINGLE], singles);
    atomic_fetch_add(&c.ctl[C_BATCH], batches);
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
    uint32_t rnd = 0x2545F491u, buf[RING_ELEMS * 2];
    uint64_t next = 0, sum = 0, singles = 0, batches = 0;
    if (xp_barrier(&c.ctl[C_ARRIVED], &c.ctl[C_GEN], 2, 20000) != 0) {
        XP_FAIL("consumer: start barrier timed out");
        rc = 3;
        goto out;
    }
    int64_t deadline = zt_now_ms() + TRANSFER_MS;
    while (next < a->n) {
        uint32_t pick = next_rand(&rnd);
        size_t got = 0;
        int r = ZEROIPC_OK;
        switch (pick % 8) {
        case 0:
            r = zeroipc_ring_read_timeout_spsc(c.r, buf, 10000);
            got = r == ZEROIPC_OK;
            singles += got;
            break;
        case 1: {
            unsigned tries = 0;
            while ((r = zeroipc_ring_read_spsc(c.r, buf)) == ZEROIPC_ERROR_NOT_FOUND) {
                if (++tries % 64 == 0) {
                    if (zt_now_ms() > deadline)
                        break;
                    sched_yield();
                }
            }
            got = r == ZEROIPC_OK;
            singles += got;
            break;
        }
        default: {
            size_t max = 1 + (pick >> 8) % (2 * RING_ELEMS);
            if (pick % 8 == 2)
                got = zeroipc_ring_read_many_spsc(c.r, buf, max);
            else
                r = zeroipc_ring_read_many_timeout_spsc(c.r, buf, max, &got, 10000);
            batches += got > 0;
            break;
        }
        }
        if (r != ZEROIPC_OK) {
            XP_FAIL("consumer: read at %" PRIu64 " returned %d (%s)", next, r,
                    zeroipc_error_string(r));
            rc = 6;
            goto out;
        }
        for (size_t i = 0; i < got; i++, next++) {
            if (buf[i] != (uint32_t)next) {
                XP_FAIL("consumer: got %" PRIu32 ", expected %" PRIu64, buf[i],
                        next);
                rc = 7;
                goto out;
            }
            sum += buf[i];
        }
        if ((pick & 0xFFF) == 0 && zt_now_ms() > deadline) {
            XP_FAIL("consumer: out of time at %" PRIu64, next);
            rc = 8;
            goto out;
        }
    }
    uint32_t extra;
    if (zeroipc_ring_read_spsc(c.r, &extra) != ZEROIPC_ERROR_NOT_FOUND) {
        XP_FAIL("consumer: an element beyond the last");
        rc = 9;
    }
out:
    atomic_store(&c.ctl[C_RECEIVED], next);
    atomic_store(&c.ctl[C_SUM], sum);
    atomic_fetch_add(&c.ctl[C_SINGLE], singles);
    atomic_fetch_add(&c.ctl[C_BATCH], batches);
    ctx_close(&c);
    return rc;
}

static void test_ring_transfer(void **state)
{
    (void)state;
    uint64_t n = (uint64_t)xp_env_long("ZT_XPROC_RING_N", DEFAULT_N);
    char seg[ZT_NAME_MAX];
    zt_segname(seg, "xr-spsc");
    zeroipc_memory_t *mem = xp_keep_mem(zeroipc_memory_create(seg, 1 << 16, 8));
    assert_non_null(mem);
    zeroipc_ring_t *r = xp_keep(xp_close_ring_,
                                zeroipc_ring_create(mem, "r", 4, RING_ELEMS));
    assert_non_null(r);
    zeroipc_array_t *ctl_a = xp_keep_array(zeroipc_array_create(mem, "ctl", 8, C_WORDS));
    assert_non_null(ctl_a);
    _Atomic uint64_t *ctl = xp_words(ctl_a);

    struct args args[2];
    memset(args, 0, sizeof args);
    for (int i = 0; i < 2; i++) {
        strcpy(args[i].seg, seg);
        args[i].n = n;
    }
    int pids[2], status[2];
    int64_t t0 = zt_now_ms();
    pids[0] = zt_fork(producer, &args[0]);
    pids[1] = zt_fork(consumer, &args[1]);
    int bad = xp_wait_all(pids, 2, TRANSFER_MS + 20000, status);
    int64_t el = zt_now_ms() - t0;
    fprintf(stderr, "ring SPSC across processes: %" PRIu64 " u32 through %d "
            "elements in %" PRId64 " ms (%" PRIu64 " single calls, %" PRIu64
            " batches)\n", n, RING_ELEMS, el, atomic_load(&ctl[C_SINGLE]),
            atomic_load(&ctl[C_BATCH]));
    assert_int_equal(bad, 0);
    assert_int_equal(status[0], 0);
    assert_int_equal(status[1], 0);
    assert_true(el < TRANSFER_MS);
    assert_int_equal(atomic_load(&ctl[C_RECEIVED]), n);
    assert_int_equal(atomic_load(&ctl[C_SUM]), n * (n - 1) / 2);
    assert_true(atomic_load(&ctl[C_SINGLE]) > 0);
    assert_true(atomic_load(&ctl[C_BATCH]) > 0);

    assert_int_equal(zeroipc_ring_empty(r), 1);
    size_t off;
    assert_int_equal(zeroipc_table_find(mem, "r", &off, NULL), ZEROIPC_OK);
    _Atomic uint64_t *pos = (_Atomic uint64_t *)((char *)zeroipc_memory_base(mem) + off);
    assert_int_equal(atomic_load(&pos[0]), n * 4); /* write_pos */
    assert_int_equal(atomic_load(&pos[1]), n * 4); /* read_pos */

    xp_teardown(NULL);
    zeroipc_memory_unlink(seg);
}

/* ------------------------------------------------------------------ */

#define WAITER_ELEM UINT64_C(0xA0A0A0A0A0A0A0A0)
#define WAKER_ELEM UINT64_C(0xB0B0B0B0B0B0B0B0)

static int waiter(void *arg)
{
    const struct args *a = arg;
    struct ctx c;
    if (ctx_open(&c, a->seg) != 0)
        return 2;
    uint64_t v = a->op == 0 ? 0 : WAITER_ELEM;
    atomic_fetch_add(&c.ctl[C_READY], 1);
    int rc = a->op == 0 ? zeroipc_ring_read_wait_spsc(c.r, &v)
                        : zeroipc_ring_write_wait_spsc(c.r, &v);
    int64_t t = xp_now_us();
    atomic_store(&c.ctl[C_VAL], v);
    atomic_store(&c.ctl[C_TRET], (uint64_t)t);
    atomic_store(&c.ctl[C_RC], (uint64_t)(rc + 100));
    if (rc != ZEROIPC_OK)
        XP_FAIL("waiter op %d returned %d (%s)", a->op, rc, zeroipc_error_string(rc));
    ctx_close(&c);
    return rc == ZEROIPC_OK ? 0 : 1;
}

/*
 * One waiter (op 0: reader of an empty ring, op 1: writer of a full one),
 * woken by our own call or by a foreign store.  Asserts everything but the
 * latency, which it returns (us).
 */
static int64_t wake_once(int op, bool foreign)
{
    char seg[ZT_NAME_MAX];
    zt_segname(seg, foreign ? "xr-foreign" : "xr-wake");
    zeroipc_memory_t *mem = xp_keep_mem(zeroipc_memory_create(seg, 1 << 16, 8));
    assert_non_null(mem);
    zeroipc_ring_t *r = xp_keep(xp_close_ring_, zeroipc_ring_create(mem, "r", 8, WCAP));
    assert_non_null(r);
    zeroipc_array_t *ctl_a = xp_keep_array(zeroipc_array_create(mem, "ctl", 8, C_WORDS));
    assert_non_null(ctl_a);
    _Atomic uint64_t *ctl = xp_words(ctl_a);
    size_t off;
    assert_int_equal(zeroipc_table_find(mem, "r", &off, NULL), ZEROIPC_OK);
    uint8_t *rb = (uint8_t *)zeroipc_memory_base(mem) + off;
    _Atomic uint64_t *wpos = (_Atomic uint64_t *)(void *)rb;
    _Atomic uint64_t *rpos = (_Atomic uint64_t *)(void *)(rb + 8);

    /* Start off the origin, so that wrapping is exercised too. */
    atomic_store(wpos, 3 * 8);
    atomic_store(rpos, 3 * 8);
    if (op == 1)
        for (uint64_t i = 1; i <= WCAP; i++)
            assert_int_equal(zeroipc_ring_write_spsc(r, &i), ZEROIPC_OK);

    struct args wa;
    memset(&wa, 0, sizeof wa);
    strcpy(wa.seg, seg);
    wa.op = op;
    int pid = zt_fork(waiter, &wa);
    int64_t until = zt_now_ms() + 10000;
    while (atomic_load(&ctl[C_READY]) < 1 && zt_now_ms() < until)
        xp_sleep_ms(1);
    bool ready = atomic_load(&ctl[C_READY]) == 1;
    xp_sleep_ms(100); /* let it reach the kernel */
    int64_t c0 = xp_proc_cpu_ms(pid);
    xp_sleep_ms(400);
    int64_t c1 = xp_proc_cpu_ms(pid);
    int64_t cpu = (c0 < 0 || c1 < 0) ? -1 : c1 - c0;
    bool returned_early = atomic_load(&ctl[C_RC]) != 0;

    int64_t t_wake = xp_now_us();
    int wrc = 0;
    uint64_t got = 0, w = WAKER_ELEM;
    if (op == 0) {
        if (foreign) { /* a public peer's write: bytes, then write_pos */
            uint64_t wp = atomic_load_explicit(wpos, memory_order_relaxed);
            memcpy(rb + 24 + wp % (8 * WCAP), &w, 8);
            atomic_store_explicit(wpos, wp + 8, memory_order_release);
        } else {
            wrc = zeroipc_ring_write_spsc(r, &w);
        }
    } else {
        if (foreign) { /* a public peer's read: bytes, then read_pos */
            uint64_t rp = atomic_load_explicit(rpos, memory_order_relaxed);
            atomic_thread_fence(memory_order_acquire);
            memcpy(&got, rb + 24 + rp % (8 * WCAP), 8);
            atomic_store_explicit(rpos, rp + 8, memory_order_release);
        } else {
            wrc = zeroipc_ring_read_spsc(r, &got);
        }
    }
    int pids[1] = {pid}, status[1];
    int bad = xp_wait_all(pids, 1, 10000, status);
    int64_t lat_us = (int64_t)atomic_load(&ctl[C_TRET]) - t_wake;
    fprintf(stderr, "ring %s woken by %s: %" PRId64 " us; cpu %" PRId64
            " ms in 400 ms\n", op == 0 ? "read_wait" : "write_wait",
            foreign ? "a foreign store" : "our call", lat_us, cpu);

    assert_true(ready);
    assert_false(returned_early);
    assert_int_equal(wrc, ZEROIPC_OK);
    assert_int_equal(bad, 0);
    assert_int_equal(status[0], 0);
    assert_int_equal(atomic_load(&ctl[C_RC]), ZEROIPC_OK + 100);
    assert_true(cpu >= 0 && cpu < 40); /* asleep, not spinning */
    assert_true(lat_us >= 0);
    uint64_t v;
    if (op == 0) {
        assert_int_equal(atomic_load(&ctl[C_VAL]), WAKER_ELEM);
    } else {
        assert_int_equal(got, 1); /* the oldest */
        for (uint64_t e = 2; e <= WCAP; e++) {
            assert_int_equal(zeroipc_ring_read_spsc(r, &v), ZEROIPC_OK);
            assert_int_equal(v, e);
        }
        assert_int_equal(zeroipc_ring_read_spsc(r, &v), ZEROIPC_OK);
        assert_int_equal(v, WAITER_ELEM);
    }
    assert_int_equal(zeroipc_ring_read_spsc(r, &v), ZEROIPC_ERROR_NOT_FOUND);
    xp_teardown(NULL);
    zeroipc_memory_unlink(seg);
    return lat_us;
}

static void run_wake(int op, bool foreign)
{
    int64_t bound = (foreign ? FOREIGN_MS : WAKE_MS) * 1000;
    int64_t lat = 0;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
        lat = wake_once(op, foreign);
        if (lat < bound)
            return;
        fprintf(stderr, "attempt %d: %" PRId64 " us, over %" PRId64 " us\n",
                attempt, lat, bound);
    }
    fail_msg("woken after %" PRId64 " us in each of %d attempts", lat, ATTEMPTS);
}

static void test_read_wait_foreign_write(void **st) { (void)st; run_wake(0, true); }
static void test_write_wait_foreign_read(void **st) { (void)st; run_wake(1, true); }
static void test_read_wait_woken(void **st) { (void)st; run_wake(0, false); }
static void test_write_wait_woken(void **st) { (void)st; run_wake(1, false); }

int main(void)
{
    zt_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_ring_transfer, xp_teardown),
        cmocka_unit_test_teardown(test_read_wait_foreign_write, xp_teardown),
        cmocka_unit_test_teardown(test_write_wait_foreign_read, xp_teardown),
        cmocka_unit_test_teardown(test_read_wait_woken, xp_teardown),
        cmocka_unit_test_teardown(test_write_wait_woken, xp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, zt_group_teardown);
}
