/*
 * xproc_channel.c - channels across real processes.
 *
 * 1. Unbuffered, one sender and one receiver: values arrive in order, and
 *    the rendezvous holds: the receiver sleeps RDV_SLEEP_MS before its
 *    first receive, and the sender's first send returns only after that
 *    receive began (CLOCK_MONOTONIC is system-wide).
 * 2. Unbuffered, 3 senders and 3 receivers: every value received exactly
 *    once.
 * 3. Buffered (capacity 64), 4 senders x PER_SENDER values and 4
 *    receivers that receive until CLOSED (the last sender to finish
 *    closes): every value exactly once, and each receiver sees each
 *    sender's values in increasing order (FIFO).
 * 4. Close across processes: receivers blocked on an empty buffered and
 *    on an unbuffered channel, and a sender blocked on a full one, all
 *    return ZEROIPC_ERROR_CLOSED promptly; a receiver drains what was
 *    sent before the close, then gets CLOSED.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "xp.h"

#define DEADLINE_MS 20000
#define RDV_N 200
#define RDV_SLEEP_MS 150
#define U_SENDERS 3
#define U_PER 300
#define B_SENDERS 4
#define B_RECEIVERS 4
#define PER_SENDER 40000
#define CLOSE_WAIT_MS 100

enum {
    C_ARRIVED, C_GEN,
    C_RECV_START,  /* us: the rendezvous receiver began its first receive */
    C_SEND_DONE,   /* us: the sender's first send returned */
    C_SENDERS_DONE,
    C_READY,       /* close test: blocked children about to block */
    C_WORDS = 8
};
enum act { RDV_SEND, RDV_RECV, U_SEND, U_RECV, B_SEND, B_RECV, CL_RECV_B, CL_RECV_U,
           CL_SEND_FULL, CL_DRAIN };

struct args {
    char seg[ZT_NAME_MAX];
    int id;
    int act;
};

static int child(void *arg)
{
    const struct args *a = arg;
    zeroipc_memory_t *m = zeroipc_memory_open(a->seg);
    zeroipc_array_t *ca = m ? zeroipc_array_open(m, "ctl") : NULL;
    zeroipc_array_t *seen_a = m ? zeroipc_array_open(m, "seen") : NULL;
    if (ca == NULL || seen_a == NULL) {
        XP_FAIL("open: %d", zeroipc_last_error());
        return 2;
    }
    _Atomic uint64_t *ctl = xp_words(ca), *seen = xp_words(seen_a);
    const char *cname = a->act <= RDV_RECV ? "rdv" : a->act <= U_RECV ? "u"
                      : a->act <= B_RECV ? "b" : a->act == CL_RECV_U ? "cu"
                      : a->act == CL_SEND_FULL ? "cf" : a->act == CL_DRAIN ? "cd" : "cb";
    zeroipc_channel_t *c = zeroipc_channel_open(m, cname);
    if (c == NULL) {
        XP_FAIL("open %s: %d", cname, zeroipc_last_error());
        return 2;
    }
    int rc = 0, r;
    uint64_t v = 0;
    switch (a->act) {
    case RDV_SEND:
        for (uint64_t i = 1; i <= RDV_N && rc == 0; i++) {
            if ((r = zeroipc_channel_send_timeout(c, &i, 5000)) != ZEROIPC_OK) {
                XP_FAIL("send %llu: %d", (unsigned long long)i, r);
                rc = 3;
            }
            if (i == 1)
                atomic_store(&ctl[C_SEND_DONE], (uint64_t)xp_now_us());
        }
        break;
    case RDV_RECV:
        xp_sleep_ms(RDV_SLEEP_MS);
        atomic_store(&ctl[C_RECV_START], (uint64_t)xp_now_us());
        for (uint64_t i = 1; i <= RDV_N && rc == 0; i++) {
            if ((r = zeroipc_channel_recv_timeout(c, &v, 5000)) != ZEROIPC_OK || v != i) {
                XP_FAIL("recv %llu: %d got %llu", (unsigned long long)i, r,
                        (unsigned long long)v);
                rc = 3;
            }
        }
        break;
    case U_SEND:
    case B_SEND: {
        uint64_t per = a->act == U_SEND ? U_PER : PER_SENDER;
        for (uint64_t i = 0; i < per && rc == 0; i++) {
            v = (uint64_t)a->id << 32 | i;
            if ((r = zeroipc_channel_send_timeout(c, &v, 5000)) != ZEROIPC_OK) {
                XP_FAIL("send: %d", r);
                rc = 3;
            }
        }
        uint64_t nsend = a->act == U_SEND ? U_SENDERS : B_SENDERS;
        if (atomic_fetch_add(&ctl[C_SENDERS_DONE], 1) + 1 == nsend)
            zeroipc_channel_shutdown(c);
        break;
    }
    case U_RECV:
    case B_RECV: {
        uint64_t per = a->act == U_RECV ? U_PER : PER_SENDER;
        int64_t last[B_SENDERS];
        for (int s = 0; s < B_SENDERS; s++)
            last[s] = -1;
        while ((r = zeroipc_channel_recv_timeout(c, &v, 5000)) == ZEROIPC_OK) {
            uint64_t s = v >> 32, i = v & 0xFFFFFFFFu;
            if (s >= B_SENDERS || i >= per || (int64_t)i <= last[s]) {
                XP_FAIL("bad or out-of-order value %llx", (unsigned long long)v);
                rc = 4;
                break;
            }
            last[s] = (int64_t)i;
            atomic_fetch_add(&seen[s * per + i], 1);
        }
        if (rc == 0 && r != ZEROIPC_ERROR_CLOSED) {
            XP_FAIL("recv ended with %d", r);
            rc = 5;
        }
        break;
    }
    case CL_RECV_B:
    case CL_RECV_U:
        atomic_fetch_add(&ctl[C_READY], 1);
        if ((r = zeroipc_channel_recv(c, &v)) != ZEROIPC_ERROR_CLOSED) {
            XP_FAIL("blocked recv: %d", r);
            rc = 6;
        }
        break;
    case CL_SEND_FULL:
        atomic_fetch_add(&ctl[C_READY], 1);
        v = 3;
        if ((r = zeroipc_channel_send(c, &v)) != ZEROIPC_ERROR_CLOSED) {
            XP_FAIL("blocked send: %d", r);
            rc = 6;
        }
        break;
    case CL_DRAIN:
        for (uint64_t i = 1; i <= 3 && rc == 0; i++)
            if (zeroipc_channel_recv(c, &v) != ZEROIPC_OK || v != i)
                rc = 7;
        if (rc == 0 && (r = zeroipc_channel_recv(c, &v)) != ZEROIPC_ERROR_CLOSED) {
            XP_FAIL("drain end: %d", r);
            rc = 8;
        }
        break;
    }
    zeroipc_channel_close(c);
    zeroipc_array_close(seen_a);
    zeroipc_array_close(ca);
    zeroipc_memory_close(m);
    return rc;
}

static void close_ch_(void *p) { zeroipc_channel_close(p); }
static zeroipc_channel_t *kc(zeroipc_channel_t *c)
{
    assert_non_null(c);
    return xp_keep(close_ch_, c);
}

static zeroipc_memory_t *setup(char *seg, zeroipc_array_t **ctl, size_t nseen)
{
    zt_segname(seg, "xchan");
    zeroipc_memory_t *m = xp_keep_mem(zeroipc_memory_create(seg, 4 << 20, 32));
    assert_non_null(m);
    *ctl = xp_keep_array(zeroipc_array_create(m, "ctl", 8, C_WORDS));
    assert_non_null(*ctl);
    assert_non_null(xp_keep_array(zeroipc_array_create(m, "seen", 8, nseen)));
    return m;
}

static void spawn(int *pids, struct args *args, int n, const char *seg)
{
    for (int i = 0; i < n; i++)
        strcpy(args[i].seg, seg);
    xp_spawn(pids, n, child, args, sizeof *args);
}

static void check_seen(zeroipc_memory_t *m, size_t n)
{
    zeroipc_array_t *s = xp_keep_array(zeroipc_array_open(m, "seen"));
    _Atomic uint64_t *w = xp_words(s);
    for (size_t i = 0; i < n; i++)
        if (atomic_load(&w[i]) != 1)
            fail_msg("value %zu received %llu times", i, (unsigned long long)atomic_load(&w[i]));
}

static void test_rendezvous(void **state)
{
    (void)state;
    char seg[ZT_NAME_MAX];
    zeroipc_array_t *ctl;
    zeroipc_memory_t *m = setup(seg, &ctl, 1);
    kc(zeroipc_channel_create(m, "rdv", 8, 0));
    struct args args[2] = {{.act = RDV_SEND}, {.act = RDV_RECV}};
    int pids[2], status[2];
    spawn(pids, args, 2, seg);
    assert_int_equal(xp_wait_all(pids, 2, DEADLINE_MS, status), 0);
    _Atomic uint64_t *w = xp_words(ctl);
    uint64_t recv_start = atomic_load(&w[C_RECV_START]), send_done = atomic_load(&w[C_SEND_DONE]);
    if (send_done < recv_start)
        fail_msg("first send returned %lld us before the receiver began",
                 (long long)(recv_start - send_done));
}

static void test_unbuffered_mpmc(void **state)
{
    (void)state;
    char seg[ZT_NAME_MAX];
    zeroipc_array_t *ctl;
    zeroipc_memory_t *m = setup(seg, &ctl, U_SENDERS * U_PER);
    kc(zeroipc_channel_create(m, "u", 8, 0));
    struct args args[2 * U_SENDERS];
    for (int i = 0; i < U_SENDERS; i++) {
        args[i] = (struct args){.id = i, .act = U_SEND};
        args[U_SENDERS + i] = (struct args){.id = i, .act = U_RECV};
    }
    int pids[2 * U_SENDERS], status[2 * U_SENDERS];
    spawn(pids, args, 2 * U_SENDERS, seg);
    assert_int_equal(xp_wait_all(pids, 2 * U_SENDERS, DEADLINE_MS, status), 0);
    check_seen(m, U_SENDERS * U_PER);
}

static void test_buffered_4x4(void **state)
{
    (void)state;
    char seg[ZT_NAME_MAX];
    zeroipc_array_t *ctl;
    zeroipc_memory_t *m = setup(seg, &ctl, B_SENDERS * PER_SENDER);
    zeroipc_channel_t *c = kc(zeroipc_channel_create(m, "b", 8, 64));
    struct args args[B_SENDERS + B_RECEIVERS];
    for (int i = 0; i < B_SENDERS; i++)
        args[i] = (struct args){.id = i, .act = B_SEND};
    for (int i = 0; i < B_RECEIVERS; i++)
        args[B_SENDERS + i] = (struct args){.id = i, .act = B_RECV};
    int pids[B_SENDERS + B_RECEIVERS], status[B_SENDERS + B_RECEIVERS];
    int64_t t0 = zt_now_ms();
    spawn(pids, args, B_SENDERS + B_RECEIVERS, seg);
    assert_int_equal(xp_wait_all(pids, B_SENDERS + B_RECEIVERS, DEADLINE_MS, status), 0);
    fprintf(stderr, "buffered 4x4: %d messages in %lld ms\n", B_SENDERS * PER_SENDER,
            (long long)(zt_now_ms() - t0));
    check_seen(m, B_SENDERS * PER_SENDER);
    assert_true(zeroipc_channel_is_closed(c));
    assert_int_equal(zeroipc_channel_size(c), 0);
    assert_int_equal(zeroipc_channel_senders(c), 0);
    assert_int_equal(zeroipc_channel_receivers(c), 0);
}

static void test_close(void **state)
{
    (void)state;
    char seg[ZT_NAME_MAX];
    zeroipc_array_t *ctl;
    zeroipc_memory_t *m = setup(seg, &ctl, 1);
    zeroipc_channel_t *cb = kc(zeroipc_channel_create(m, "cb", 8, 4));
    zeroipc_channel_t *cu = kc(zeroipc_channel_create(m, "cu", 8, 0));
    zeroipc_channel_t *cf = kc(zeroipc_channel_create(m, "cf", 8, 2));
    zeroipc_channel_t *cd = kc(zeroipc_channel_create(m, "cd", 8, 4));
    uint64_t v = 1;
    assert_int_equal(zeroipc_channel_send(cf, &v), ZEROIPC_OK);
    assert_int_equal(zeroipc_channel_send(cf, &v), ZEROIPC_OK); /* full */
    for (v = 1; v <= 3; v++)
        assert_int_equal(zeroipc_channel_send(cd, &v), ZEROIPC_OK);
    assert_int_equal(zeroipc_channel_shutdown(cd), ZEROIPC_OK);
    struct args args[4] = {{.act = CL_RECV_B}, {.act = CL_RECV_U}, {.act = CL_SEND_FULL},
                           {.act = CL_DRAIN}};
    int pids[4], status[4];
    spawn(pids, args, 4, seg);
    _Atomic uint64_t *w = xp_words(ctl);
    int64_t deadline = zt_now_ms() + 5000;
    while (atomic_load(&w[C_READY]) < 3 && zt_now_ms() < deadline)
        xp_sleep_ms(2);
    xp_sleep_ms(CLOSE_WAIT_MS); /* let them block */
    assert_int_equal(zeroipc_channel_receivers(cb), 1);
    assert_int_equal(zeroipc_channel_receivers(cu), 1);
    assert_int_equal(zeroipc_channel_senders(cf), 1);
    int64_t t0 = zt_now_ms();
    assert_int_equal(zeroipc_channel_shutdown(cb), ZEROIPC_OK);
    assert_int_equal(zeroipc_channel_shutdown(cu), ZEROIPC_OK);
    assert_int_equal(zeroipc_channel_shutdown(cf), ZEROIPC_OK);
    assert_int_equal(xp_wait_all(pids, 4, DEADLINE_MS, status), 0);
    assert_true(zt_now_ms() - t0 < 1000);
    /* What was buffered before the close is still there to receive. */
    assert_int_equal(zeroipc_channel_recv(cf, &v), ZEROIPC_OK);
}

int main(void)
{
    zt_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_rendezvous, xp_teardown),
        cmocka_unit_test_teardown(test_unbuffered_mpmc, xp_teardown),
        cmocka_unit_test_teardown(test_buffered_4x4, xp_teardown),
        cmocka_unit_test_teardown(test_close, xp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, zt_group_teardown);
}
