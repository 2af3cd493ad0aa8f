/* test_queue.c - zeroipc_queue_*: layout, FIFO, wrap-around, full/empty,
 * timed and blocking calls, open checks, validate, footprint, threads. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "unit_common.h"

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static zeroipc_queue_t *mkqueue(zeroipc_memory_t *m, const char *name,
                                size_t elem, size_t cap)
{
    zeroipc_queue_t *q = zeroipc_queue_create(m, name, elem, cap);
    assert_non_null(q);
    return ut_keep_queue(q);
}

static void test_layout(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "ly", 4096, 8);
    zeroipc_queue_t *q = mkqueue(m, "q", 4, 5);
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
    assert_int_equal(zeroipc_queue_capacity(q), 8);
    assert_int_equal(zeroipc_queue_elem_size(q), 4);
    size_t off, size;
    ut_find(m, "q", &off, &size);
    assert_int_equal(size, 80); /* 16 + align8(8*4) + 4*8 */
    assert_int_equal(off % 8, 0);
    assert_int_equal(ut_get32(m, off + 0), 0);  /* head */
    assert_int_equal(ut_get32(m, off + 4), 0);  /* tail */
    assert_int_equal(ut_get32(m, off + 8), 8);  /* capacity */
    assert_int_equal(ut_get32(m, off + 12), 4); /* elem_size */
    for (uint32_t i = 0; i < 8; i++)
        assert_int_equal(ut_get32(m, off + 16 + 32 + 4 * i), i);

    /* Odd element size: the sequence array starts 8-aligned. */
    zeroipc_queue_t *o = mkqueue(m, "odd", 3, 3);
    assert_int_equal(zeroipc_queue_capacity(o), 4);
    assert_int_equal(zeroipc_queue_elem_size(o), 3);
    ut_find(m, "odd", &off, &size);
    assert_int_equal(size, 16 + 16 + 16);
    assert_int_equal(ut_get32(m, off + 8), 4);
    assert_int_equal(ut_get32(m, off + 12), 3);
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(ut_get32(m, off + 32 + 4 * i), i);

    /* Powers of two stay; others round up. */
    const size_t caps[][2] = {{1, 2}, {2, 2}, {3, 4}, {8, 8}, {9, 16},
                              {64, 64}, {65, 128}};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        char n[8];
        snprintf(n, sizeof n, "c%zu", i);
        zeroipc_memory_t *mm = ut_seg(NULL, "lyc", 4096, 2);
        zeroipc_queue_t *c = mkqueue(mm, n, 1, caps[i][0]);
        assert_int_equal(zeroipc_queue_capacity(c), caps[i][1]);
        ut_find(mm, n, &off, &size);
        assert_int_equal(ut_get32(mm, off + 8), caps[i][1]);
        assert_int_equal(size, zeroipc_queue_footprint(1, caps[i][0]));
        ut_close_queue(c);
        ut_close_mem(mm);
    }

    /* Push writes at the slot and publishes seq = t + 1. */
    ut_find(m, "q", &off, NULL);
    int32_t v = 0x01020304;
    assert_int_equal(zeroipc_queue_push(q, &v), ZEROIPC_OK);
    assert_int_equal(ut_get32(m, off + 4), 1);
    assert_int_equal(ut_get32(m, off + 16), 0x01020304u);
    assert_int_equal(ut_get32(m, off + 48), 1);
    int32_t out;
    assert_int_equal(zeroipc_queue_pop(q, &out), ZEROIPC_OK);
    assert_int_equal(ut_get32(m, off + 0), 1);
    assert_int_equal(ut_get32(m, off + 48), 8); /* h + cap */
}

static void test_fifo_full_empty(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "ff", 4096, 4);
    zeroipc_queue_t *q = mkqueue(m, "q", sizeof(int32_t), 8);
    int32_t out = -1;
    assert_int_equal(zeroipc_queue_empty(q), 1);
    assert_int_equal(zeroipc_queue_full(q), 0);
    assert_int_equal(zeroipc_queue_size(q), 0);
    assert_int_equal(zeroipc_queue_pop(q, &out), ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_queue_pop(q, &out), -4);
    assert_int_equal(out, -1);

    for (int32_t i = 0; i < 8; i++) {
        int32_t v = 100 + i;
        assert_int_equal(zeroipc_queue_push(q, &v), ZEROIPC_OK);
        assert_int_equal(zeroipc_queue_size(q), (size_t)i + 1);
        assert_int_equal(zeroipc_queue_empty(q), 0);
    }
    assert_int_equal(zeroipc_queue_full(q), 1);
    int32_t extra = 999;
    assert_int_equal(zeroipc_queue_push(q, &extra), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_queue_push(q, &extra), -3);
    assert_int_equal(zeroipc_queue_size(q), 8);

    for (int32_t i = 0; i < 8; i++) {
        assert_int_equal(zeroipc_queue_pop(q, &out), ZEROIPC_OK);
        assert_int_equal(out, 100 + i);
        assert_int_equal(zeroipc_queue_full(q), 0);
    }
    assert_int_equal(zeroipc_queue_empty(q), 1);
    assert_int_equal(zeroipc_queue_size(q), 0);
    assert_int_equal(zeroipc_queue_pop(q, &out), ZEROIPC_ERROR_NOT_FOUND);
}

/* Capacity 1 (2^0, a power of two) holds one element: a second push is
 * "full", and FIFO order holds across many rounds. */
/* One slot cannot work in Vyukov's queue (a full slot and a free one have
 * the same sequence number), so a requested capacity of 1 is stored as 2,
 * and a stored capacity of 1 is refused. */
static void test_capacity_one(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "c1", 4096, 4);
    zeroipc_queue_t *q = mkqueue(m, "q", sizeof(int32_t), 1);
    assert_int_equal(zeroipc_queue_capacity(q), 2);
    assert_int_equal(zeroipc_queue_footprint(sizeof(int32_t), 1),
                     zeroipc_queue_footprint(sizeof(int32_t), 2));
    for (int32_t round = 0; round < 3; round++) {
        int32_t a = 10 + round, b = 20 + round, c = 30, out = -1;
        assert_int_equal(zeroipc_queue_push(q, &a), ZEROIPC_OK);
        assert_int_equal(zeroipc_queue_push(q, &b), ZEROIPC_OK);
        assert_int_equal(zeroipc_queue_full(q), 1);
        /* Must not overwrite the elements it holds. */
        assert_int_equal(zeroipc_queue_push(q, &c), ZEROIPC_ERROR_SIZE);
        assert_int_equal(zeroipc_queue_push_timeout(q, &c, 0), ZEROIPC_ERROR_TIMEOUT);
        assert_int_equal(zeroipc_queue_pop(q, &out), ZEROIPC_OK);
        assert_int_equal(out, a);
        assert_int_equal(zeroipc_queue_pop(q, &out), ZEROIPC_OK);
        assert_int_equal(out, b);
        assert_int_equal(zeroipc_queue_pop(q, &out), ZEROIPC_ERROR_NOT_FOUND);
        assert_int_equal(zeroipc_queue_empty(q), 1);
    }
    /* A header that says 1 (16 + 8 + 4 bytes) is not a queue. */
    uint32_t one[8] = {0, 0, 1, 4, 0, 0, 0, 0};
    assert_int_equal(zeroipc_queue_validate(one, 16 + 8 + 4), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_raw_queue_empty(one, 0), -3);
}

static void test_wraparound(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "wr", 4096, 4);
    zeroipc_queue_t *q = mkqueue(m, "q", sizeof(uint32_t), 4);
    size_t off;
    ut_find(m, "q", &off, NULL);
    uint32_t next_in = 0, next_out = 0;
    /* Keep 3 in flight across 250 laps of the 4 slots. */
    for (int k = 0; k < 3; k++) {
        assert_int_equal(zeroipc_queue_push(q, &next_in), ZEROIPC_OK);
        next_in++;
    }
    for (int k = 0; k < 1000; k++) {
        assert_int_equal(zeroipc_queue_push(q, &next_in), ZEROIPC_OK);
        next_in++;
        assert_int_equal(zeroipc_queue_full(q), 1);
        uint32_t out;
        assert_int_equal(zeroipc_queue_pop(q, &out), ZEROIPC_OK);
        assert_int_equal(out, next_out);
        next_out++;
        assert_int_equal(zeroipc_queue_size(q), 3);
    }
    assert_int_equal(ut_get32(m, off + 4), next_in);  /* tail */
    assert_int_equal(ut_get32(m, off + 0), next_out); /* head */
}

static void test_wrap_u32(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "w32", 4096, 4);
    zeroipc_queue_t *q = mkqueue(m, "q", sizeof(uint32_t), 4);
    size_t off;
    ut_find(m, "q", &off, NULL);
    /* As if 2^32 - 2 elements had passed: head = tail = T, and every
     * slot's sequence the next counter value that maps to it. */
    const uint32_t T = 0xFFFFFFFEu;
    ut_set32(m, off + 0, T);
    ut_set32(m, off + 4, T);
    for (uint32_t k = 0; k < 4; k++) {
        uint32_t t = T + k; /* wraps */
        ut_set32(m, off + 16 + 16 + 4 * (t % 4), t);
    }
    assert_int_equal(zeroipc_queue_size(q), 0);
    assert_int_equal(zeroipc_queue_empty(q), 1);
    for (uint32_t v = 0; v < 4; v++)
        assert_int_equal(zeroipc_queue_push(q, &v), ZEROIPC_OK);
    assert_int_equal(zeroipc_queue_size(q), 4);
    assert_int_equal(zeroipc_queue_full(q), 1);
    uint32_t x = 9;
    assert_int_equal(zeroipc_queue_push(q, &x), ZEROIPC_ERROR_SIZE);
    assert_int_equal(ut_get32(m, off + 4), 2); /* T + 4 wrapped */
    for (uint32_t v = 0; v < 10; v++) {
        uint32_t out;
        assert_int_equal(zeroipc_queue_pop(q, &out), ZEROIPC_OK);
        assert_int_equal(out, v);
        uint32_t in = v + 4;
        assert_int_equal(zeroipc_queue_push(q, &in), ZEROIPC_OK);
        assert_int_equal(zeroipc_queue_size(q), 4);
    }
    assert_int_equal(ut_get32(m, off + 0), 8);
}

static void test_null_args(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "na", 4096, 4);
    zeroipc_queue_t *q = mkqueue(m, "q", 4, 4);
    int32_t v = 1;
    assert_int_equal(zeroipc_queue_push(NULL, &v),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_queue_push(q, NULL),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_queue_size(q), 0);
    assert_int_equal(zeroipc_queue_push(q, &v), ZEROIPC_OK);
    assert_int_equal(zeroipc_queue_pop(NULL, &v),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_queue_pop(q, NULL),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_queue_size(q), 1);
    assert_int_equal(zeroipc_queue_push_timeout(NULL, &v, 10),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_queue_push_timeout(q, NULL, 10),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_queue_pop_timeout(NULL, &v, 10),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_queue_pop_timeout(q, NULL, 10),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_queue_push_wait(NULL, &v),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_queue_push_wait(q, NULL),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_queue_pop_wait(NULL, &v),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_queue_pop_wait(q, NULL),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_queue_size(q), 1);
    assert_int_equal(zeroipc_queue_empty(NULL),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_queue_full(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    zeroipc_queue_close(NULL);
}

static void test_timeouts(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "to", 4096, 4);
    zeroipc_queue_t *q = mkqueue(m, "q", sizeof(int32_t), 2);
    int32_t v = 5, out = -1;

    int64_t t0 = zt_now_ms();
    assert_int_equal(zeroipc_queue_pop_timeout(q, &out, 0),
                     ZEROIPC_ERROR_TIMEOUT);
    assert_true(zt_now_ms() - t0 < 200);

    t0 = zt_now_ms();
    assert_int_equal(zeroipc_queue_pop_timeout(q, &out, 50),
                     ZEROIPC_ERROR_TIMEOUT);
    int64_t el = zt_now_ms() - t0;
    assert_true(el >= 45);
    assert_true(el < 1000);
    assert_int_equal(out, -1);

    /* Available at once: OK without waiting. */
    assert_int_equal(zeroipc_queue_push_timeout(q, &v, 0), ZEROIPC_OK);
    v = 6;
    assert_int_equal(zeroipc_queue_push_timeout(q, &v, 50), ZEROIPC_OK);
    assert_int_equal(zeroipc_queue_full(q), 1);

    t0 = zt_now_ms();
    assert_int_equal(zeroipc_queue_push_timeout(q, &v, 0),
                     ZEROIPC_ERROR_TIMEOUT);
    assert_true(zt_now_ms() - t0 < 200);
    t0 = zt_now_ms();
    assert_int_equal(zeroipc_queue_push_timeout(q, &v, 50),
                     ZEROIPC_ERROR_TIMEOUT);
    el = zt_now_ms() - t0;
    assert_true(el >= 45);
    assert_true(el < 1000);
    assert_int_equal(zeroipc_queue_size(q), 2);

    assert_int_equal(zeroipc_queue_pop_timeout(q, &out, 0), ZEROIPC_OK);
    assert_int_equal(out, 5);
    assert_int_equal(zeroipc_queue_pop_timeout(q, &out, -1), ZEROIPC_OK);
    assert_int_equal(out, 6);
    v = 7;
    assert_int_equal(zeroipc_queue_push_wait(q, &v), ZEROIPC_OK);
    assert_int_equal(zeroipc_queue_pop_wait(q, &out), ZEROIPC_OK);
    assert_int_equal(out, 7);
    assert_int_equal(zeroipc_queue_push_timeout(q, &v, -1), ZEROIPC_OK);
    assert_int_equal(zeroipc_queue_size(q), 1);
}

struct delayed {
    zeroipc_queue_t *q;
    int delay_ms;
    int push; /* 1: push value, 0: pop */
    int32_t value;
    int rc;
};

static void *delayed_op(void *arg)
{
    struct delayed *d = arg;
    sleep_ms(d->delay_ms);
    if (d->push)
        d->rc = zeroipc_queue_push(d->q, &d->value);
    else
        d->rc = zeroipc_queue_pop(d->q, &d->value);
    return NULL;
}

static void test_blocking_wakeup(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "bw", 4096, 4);
    zeroipc_queue_t *q = mkqueue(m, "q", sizeof(int32_t), 2);
    int32_t a = 1, b = 2, c = 3;
    pthread_t t;

    /* pop_wait on an empty queue returns when a producer pushes. */
    struct delayed d = {q, 60, 1, 4242, 99};
    int64_t t0 = zt_now_ms();
    assert_int_equal(pthread_create(&t, NULL, delayed_op, &d), 0);
    int32_t out = 0;
    int rc = zeroipc_queue_pop_wait(q, &out);
    int64_t el = zt_now_ms() - t0;
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(rc, ZEROIPC_OK);
    assert_int_equal(d.rc, ZEROIPC_OK);
    assert_int_equal(out, 4242);
    assert_true(el >= 50);
    assert_true(el < 1000);

    /* pop_timeout with a long limit returns early too. */
    d = (struct delayed){q, 30, 1, 77, 99};
    t0 = zt_now_ms();
    assert_int_equal(pthread_create(&t, NULL, delayed_op, &d), 0);
    rc = zeroipc_queue_pop_timeout(q, &out, 3000);
    el = zt_now_ms() - t0;
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(rc, ZEROIPC_OK);
    assert_int_equal(out, 77);
    assert_true(el < 1000);

    /* push_wait on a full queue returns when a consumer pops. */
    assert_int_equal(zeroipc_queue_push(q, &a), ZEROIPC_OK);
    assert_int_equal(zeroipc_queue_push(q, &c), ZEROIPC_OK);
    assert_int_equal(zeroipc_queue_full(q), 1);
    d = (struct delayed){q, 60, 0, 0, 99};
    t0 = zt_now_ms();
    assert_int_equal(pthread_create(&t, NULL, delayed_op, &d), 0);
    rc = zeroipc_queue_push_wait(q, &b);
    el = zt_now_ms() - t0;
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(rc, ZEROIPC_OK);
    assert_int_equal(d.rc, ZEROIPC_OK);
    assert_int_equal(d.value, 1);
    assert_true(el >= 50);
    assert_true(el < 1000);
    assert_int_equal(zeroipc_queue_pop(q, &out), ZEROIPC_OK);
    assert_int_equal(out, 3);
    assert_int_equal(zeroipc_queue_pop(q, &out), ZEROIPC_OK);
    assert_int_equal(out, 2);

    /* push_timeout with a long limit, freed by a consumer. */
    assert_int_equal(zeroipc_queue_push(q, &a), ZEROIPC_OK);
    assert_int_equal(zeroipc_queue_push(q, &c), ZEROIPC_OK);
    d = (struct delayed){q, 30, 0, 0, 99};
    t0 = zt_now_ms();
    assert_int_equal(pthread_create(&t, NULL, delayed_op, &d), 0);
    rc = zeroipc_queue_push_timeout(q, &b, 3000);
    el = zt_now_ms() - t0;
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(rc, ZEROIPC_OK);
    assert_true(el < 1000);
}

/* A peer that writes shared memory but never wakes anyone (like the
 * public implementations) is still noticed by a waiter. */
struct silent {
    uint8_t *qbase; /* the queue's bytes in the mapping */
    int delay_ms;
    int32_t value;
};

static void *silent_push(void *arg)
{
    struct silent *d = arg;
    sleep_ms(d->delay_ms);
    /* A hand-made Vyukov push at slot 0 of a fresh capacity-1 queue of
     * 4-byte elements: data at 16, seq[0] at 16 + align8(4) = 24. */
    memcpy(d->qbase + 16, &d->value, 4);
    atomic_store((_Atomic uint32_t *)(void *)(d->qbase + 4), 1u);
    atomic_store((_Atomic uint32_t *)(void *)(d->qbase + 24), 1u);
    return NULL;
}

static void test_silent_peer(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "sp", 4096, 4);
    zeroipc_queue_t *q = mkqueue(m, "q", sizeof(int32_t), 1);
    size_t off;
    ut_find(m, "q", &off, NULL);
    struct silent d = {ut_at(m, off), 40, 31337};
    pthread_t t;
    int64_t t0 = zt_now_ms();
    assert_int_equal(pthread_create(&t, NULL, silent_push, &d), 0);
    int32_t out = 0;
    int rc = zeroipc_queue_pop_timeout(q, &out, 2000);
    int64_t el = zt_now_ms() - t0;
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(rc, ZEROIPC_OK);
    assert_int_equal(out, 31337);
    assert_true(el >= 35);
    assert_true(el < 40 + 500);
    assert_int_equal(zeroipc_queue_empty(q), 1);
}

static void test_create_errors(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "ce", 2048, 3);
    mkqueue(m, "taken", 4, 4);
    uint64_t next = ut_get64(m, UT_H_NEXT);
    char n31[32], n32[33];
    ut_len_name(n31, 31, 'q');
    ut_len_name(n32, 32, 'q');

    UT_EXPECT_NULL(zeroipc_queue_create(NULL, "x", 4, 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_queue_create(m, NULL, 4, 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_queue_create(m, "", 4, 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_queue_create(m, n32, 4, 4),
                   ZEROIPC_ERROR_NAME_TOO_LONG);
    UT_EXPECT_NULL(zeroipc_queue_create(m, "x", 0, 4), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_queue_create(m, "x", 4, 0), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_queue_create(m, "x", (size_t)UINT32_MAX + 1, 1),
                   ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_queue_create(m, "x", 1,
                                        (size_t)ZEROIPC_QUEUE_MAX_CAPACITY + 1),
                   ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_queue_create(m, "x", 4, SIZE_MAX),
                   ZEROIPC_ERROR_SIZE);
    /* capacity * elem_size overflows u32 arithmetic but not size_t: just
     * no room here. */
    UT_EXPECT_NULL(zeroipc_queue_create(m, "x", UINT32_MAX,
                                        ZEROIPC_QUEUE_MAX_CAPACITY),
                   ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_queue_create(m, "x", 4, 1024), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_queue_create(m, "taken", 4, 4),
                   ZEROIPC_ERROR_ALREADY_EXISTS);
    assert_int_equal(ut_get64(m, UT_H_NEXT), next);
    assert_int_equal(zeroipc_table_count(m), 1);

    mkqueue(m, n31, 4, 4);
    mkqueue(m, "third", 4, 4);
    next = ut_get64(m, UT_H_NEXT);
    UT_EXPECT_NULL(zeroipc_queue_create(m, "x", 4, 4),
                   ZEROIPC_ERROR_TABLE_FULL);
    assert_int_equal(ut_get64(m, UT_H_NEXT), next);
}

static void test_open(void **state)
{
    (void)state;
    const char *name;
    zeroipc_memory_t *m = ut_seg(&name, "op", 8192, 10);
    zeroipc_queue_t *q = mkqueue(m, "q", 12, 5);
    uint8_t v[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, out[12];
    assert_int_equal(zeroipc_queue_push(q, v), ZEROIPC_OK);

    zeroipc_memory_t *m2 = ut_open(name);
    zeroipc_queue_t *q2 = ut_keep_queue(zeroipc_queue_open(m2, "q"));
    assert_non_null(q2);
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
    assert_int_equal(zeroipc_queue_capacity(q2), 8);
    assert_int_equal(zeroipc_queue_elem_size(q2), 12);
    assert_int_equal(zeroipc_queue_size(q2), 1);
    assert_int_equal(zeroipc_queue_pop(q2, out), ZEROIPC_OK);
    assert_memory_equal(out, v, 12);
    assert_int_equal(zeroipc_queue_empty(q), 1);
    v[0] = 42;
    assert_int_equal(zeroipc_queue_push(q2, v), ZEROIPC_OK);
    assert_int_equal(zeroipc_queue_pop(q, out), ZEROIPC_OK);
    assert_int_equal(out[0], 42);

    char n32[33];
    ut_len_name(n32, 32, 'q');
    UT_EXPECT_NULL(zeroipc_queue_open(NULL, "q"),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_queue_open(m, NULL),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_queue_open(m, ""), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_queue_open(m, n32), ZEROIPC_ERROR_NAME_TOO_LONG);
    UT_EXPECT_NULL(zeroipc_queue_open(m, "absent"), ZEROIPC_ERROR_NOT_FOUND);

    /* Other kinds are not queues. */
    assert_non_null(ut_keep_array(zeroipc_array_create(m, "arr", 4, 16)));
    UT_EXPECT_NULL(zeroipc_queue_open(m, "arr"), ZEROIPC_ERROR_WRONG_KIND);
    assert_non_null(ut_keep_stack(zeroipc_stack_create(m, "stk", 4, 8)));
    UT_EXPECT_NULL(zeroipc_queue_open(m, "stk"), ZEROIPC_ERROR_WRONG_KIND);
}

static void test_open_bad_headers(void **state)
{
    (void)state;
    const char *name;
    zeroipc_memory_t *m = ut_seg(&name, "bh", 8192, 10);
    size_t off;

    /* A region of exactly the size of a capacity-6 queue of 4-byte
     * elements, claiming capacity 6: not a power of two. */
    size_t sz6 = 16 + UT_ALIGN8(6 * 4) + 4 * 6;
    assert_int_equal(zeroipc_table_add(m, "q6", sz6, &off), ZEROIPC_OK);
    ut_set32(m, off + 8, 6);
    ut_set32(m, off + 12, 4);
    UT_EXPECT_NULL(zeroipc_queue_open(m, "q6"), ZEROIPC_ERROR_WRONG_KIND);

    /* A real queue whose capacity is then changed. */
    mkqueue(m, "q", 4, 8);
    ut_close_queue(ut_fx.queues[0]);
    ut_find(m, "q", &off, NULL);
    ut_set32(m, off + 8, 6);
    UT_EXPECT_NULL(zeroipc_queue_open(m, "q"), ZEROIPC_ERROR_WRONG_KIND);
    ut_set32(m, off + 8, 0);
    UT_EXPECT_NULL(zeroipc_queue_open(m, "q"), ZEROIPC_ERROR_WRONG_KIND);
    ut_set32(m, off + 8, 16); /* a power of two, but not this size */
    UT_EXPECT_NULL(zeroipc_queue_open(m, "q"), ZEROIPC_ERROR_WRONG_KIND);
    ut_set32(m, off + 8, 0x80000000u);
    UT_EXPECT_NULL(zeroipc_queue_open(m, "q"), ZEROIPC_ERROR_WRONG_KIND);
    ut_set32(m, off + 8, 8);
    ut_set32(m, off + 12, 0);
    UT_EXPECT_NULL(zeroipc_queue_open(m, "q"), ZEROIPC_ERROR_WRONG_KIND);
    ut_set32(m, off + 12, 8);
    UT_EXPECT_NULL(zeroipc_queue_open(m, "q"), ZEROIPC_ERROR_WRONG_KIND);
    ut_set32(m, off + 12, 4);
    assert_non_null(ut_keep_queue(zeroipc_queue_open(m, "q")));

    /* The same through the file of a closed segment. */
    ut_teardown(NULL);
    ut_setup(NULL);
    m = ut_seg(&name, "bh2", 4096, 4);
    mkqueue(m, "q", 4, 8);
    ut_find(m, "q", &off, NULL);
    ut_close_queue(ut_fx.queues[0]);
    ut_close_mem(m);
    ut_poke32(name, off + 8, 12);
    m = ut_open(name);
    UT_EXPECT_NULL(zeroipc_queue_open(m, "q"), ZEROIPC_ERROR_WRONG_KIND);
    ut_close_mem(m);
    /* An entry pointing outside the segment. */
    ut_poke32(name, off + 8, 8);
    ut_poke64(name, UT_ENTRY(0) + UT_E_OFFSET, 4096 - 40);
    m = ut_open(name);
    UT_EXPECT_NULL(zeroipc_queue_open(m, "q"), ZEROIPC_ERROR_CORRUPT);
}

static void test_validate_footprint(void **state)
{
    (void)state;
    assert_int_equal(zeroipc_queue_footprint(4, 5), 80);
    assert_int_equal(zeroipc_queue_footprint(4, 8), 80);
    assert_int_equal(zeroipc_queue_footprint(3, 3), 48);
    assert_int_equal(zeroipc_queue_footprint(1, 1), 16 + 8 + 8); /* stored as 2 */
    assert_int_equal(zeroipc_queue_footprint(4, 0), 0);
    assert_int_equal(zeroipc_queue_footprint(0, 4), 0);
    assert_int_equal(zeroipc_queue_footprint(4, (size_t)(1u << 31) + 1), 0);
    assert_int_equal(zeroipc_queue_footprint((size_t)UINT32_MAX + 1, 1), 0);
    assert_int_equal(zeroipc_queue_footprint(SIZE_MAX, 2), 0);
    assert_int_equal(zeroipc_queue_footprint(1, (size_t)1 << 31),
                     16 + ((size_t)1 << 31) + 4 * ((size_t)1 << 31));

    uint32_t buf[32] = {0};
    buf[2] = 8;
    buf[3] = 4;
    assert_int_equal(zeroipc_queue_validate(buf, 80), ZEROIPC_OK);
    assert_int_equal(zeroipc_queue_validate(buf, 79), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_queue_validate(buf, 88), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_queue_validate(buf, 8), ZEROIPC_ERROR_WRONG_KIND);
    buf[2] = 6;
    assert_int_equal(zeroipc_queue_validate(buf, 16 + 24 + 24),
                     ZEROIPC_ERROR_WRONG_KIND);
    buf[2] = 0;
    assert_int_equal(zeroipc_queue_validate(buf, 16),
                     ZEROIPC_ERROR_WRONG_KIND);
    buf[2] = 8;
    buf[3] = 0;
    assert_int_equal(zeroipc_queue_validate(buf, 16 + 32),
                     ZEROIPC_ERROR_WRONG_KIND);
    /* Odd element size: size must include the padding. */
    buf[2] = 4;
    buf[3] = 3;
    assert_int_equal(zeroipc_queue_validate(buf, 48), ZEROIPC_OK);
    assert_int_equal(zeroipc_queue_validate(buf, 44), ZEROIPC_ERROR_WRONG_KIND);
}

/* Two producers, two consumers: every element exactly once. */
#define PER_PRODUCER 5000

struct worker {
    zeroipc_queue_t *q;
    int id;
    unsigned char *seen; /* consumers */
    _Atomic int *consumed;
    int rc;
};

static void *producer(void *arg)
{
    struct worker *w = arg;
    for (uint32_t i = 0; i < PER_PRODUCER; i++) {
        uint32_t v = (uint32_t)w->id * PER_PRODUCER + i;
        int rc = zeroipc_queue_push_timeout(w->q, &v, 5000);
        if (rc != ZEROIPC_OK) {
            w->rc = rc;
            return NULL;
        }
    }
    return NULL;
}

static void *consumer(void *arg)
{
    struct worker *w = arg;
    uint32_t last[2] = {0, 0};
    int have[2] = {0, 0};
    int64_t deadline = zt_now_ms() + 20000;
    while (atomic_load(w->consumed) < 2 * PER_PRODUCER) {
        if (zt_now_ms() > deadline) {
            w->rc = -3000;
            return NULL;
        }
        uint32_t v;
        int rc = zeroipc_queue_pop_timeout(w->q, &v, 20);
        if (rc == ZEROIPC_ERROR_TIMEOUT)
            continue;
        if (rc != ZEROIPC_OK || v >= 2 * PER_PRODUCER) {
            w->rc = rc ? rc : -1000;
            return NULL;
        }
        /* Per producer, one consumer sees increasing values. */
        int p = (int)(v / PER_PRODUCER);
        if (have[p] && v <= last[p]) {
            w->rc = -2000;
            return NULL;
        }
        have[p] = 1;
        last[p] = v;
        w->seen[v]++;
        atomic_fetch_add(w->consumed, 1);
    }
    return NULL;
}

static void test_mpmc_threads(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "mt", 65536, 4);
    zeroipc_queue_t *q = mkqueue(m, "q", sizeof(uint32_t), 16);
    static unsigned char seen[2][2 * PER_PRODUCER];
    memset(seen, 0, sizeof seen);
    _Atomic int consumed = 0;
    struct worker w[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){q, i % 2, seen[i % 2], &consumed, 0};
        assert_int_equal(pthread_create(&t[i], NULL,
                                        i < 2 ? producer : consumer, &w[i]),
                         0);
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(w[i].rc, 0);
    for (int v = 0; v < 2 * PER_PRODUCER; v++)
        assert_int_equal(seen[0][v] + seen[1][v], 1);
    assert_int_equal(zeroipc_queue_empty(q), 1);
}

/* Batches keep FIFO order with single operations, wrap the ring, stop
 * at full and empty, and never move more than asked. */
static void test_batches(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "bt", 65536, 4);
    zeroipc_queue_t *q = mkqueue(m, "q", sizeof(uint32_t), 8);
    uint32_t in[20], out[20];
    for (uint32_t i = 0; i < 20; i++)
        in[i] = 100 + i;
    assert_int_equal(zeroipc_queue_push_many(q, in, 0), 0);
    assert_int_equal(zeroipc_queue_push_many(q, in, 3), 3);
    uint32_t one = 103;
    assert_int_equal(zeroipc_queue_push(q, &one), ZEROIPC_OK);
    assert_int_equal(zeroipc_queue_push_many(q, in + 4, 20), 4); /* only room for 4 */
    assert_int_equal(zeroipc_queue_push_many(q, in, 1), 0);      /* full */
    assert_int_equal(zeroipc_queue_full(q), 1);
    assert_int_equal(zeroipc_queue_pop(q, &one), ZEROIPC_OK);
    assert_int_equal(one, 100);
    assert_int_equal(zeroipc_queue_pop_many(q, out, 2), 2);
    assert_int_equal(out[0], 101);
    assert_int_equal(out[1], 102);
    /* Wrap: 5 held, the next batch straddles the end of the ring. */
    assert_int_equal(zeroipc_queue_push_many(q, in + 8, 3), 3);
    memset(out, 0, sizeof out);
    assert_int_equal(zeroipc_queue_pop_many(q, out, 20), 8);
    for (uint32_t i = 0; i < 8; i++)
        assert_int_equal(out[i], 103 + i);
    assert_int_equal(zeroipc_queue_pop_many(q, out, 20), 0); /* empty */
    assert_int_equal(zeroipc_queue_empty(q), 1);
    /* Many laps of mixed batch sizes. */
    uint32_t next_in = 0, next_out = 0;
    for (int round = 0; round < 2000; round++) {
        uint32_t buf[8];
        size_t n = (size_t)(round % 7) + 1;
        for (size_t i = 0; i < n; i++)
            buf[i] = next_in + (uint32_t)i;
        next_in += (uint32_t)zeroipc_queue_push_many(q, buf, n);
        size_t got = zeroipc_queue_pop_many(q, buf, (size_t)(round % 5) + 1);
        for (size_t i = 0; i < got; i++)
            assert_int_equal(buf[i], next_out++);
    }
    assert_int_equal(zeroipc_queue_size(q), next_in - next_out);
    while (zeroipc_queue_pop_many(q, out, 20) > 0)
        ;
    assert_int_equal(zeroipc_queue_peek(q, &one), ZEROIPC_ERROR_NOT_FOUND);
    one = 7;
    assert_int_equal(zeroipc_queue_push(q, &one), ZEROIPC_OK);
    one = 8;
    assert_int_equal(zeroipc_queue_push(q, &one), ZEROIPC_OK);
    one = 0;
    assert_int_equal(zeroipc_queue_peek(q, &one), ZEROIPC_OK);
    assert_int_equal(one, 7);
    assert_int_equal(zeroipc_queue_size(q), 2);       /* peek takes nothing */
    assert_int_equal(zeroipc_queue_pop_many(q, out, 2), 2);
    assert_int_equal(zeroipc_queue_peek(NULL, &one), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_queue_push_many(NULL, in, 1), 0);
    assert_int_equal(zeroipc_queue_pop_many(q, NULL, 1), 0);
}

struct batch_worker {
    zeroipc_queue_t *q;
    int id;
    _Atomic uint32_t *seen;
    int rc;
};

#define BATCH_PER 200000

static void *batch_producer(void *arg)
{
    struct batch_worker *w = arg;
    uint32_t buf[13];
    for (uint32_t v = 0; v < BATCH_PER;) {
        size_t n = 0;
        while (n < 13 && v + n < BATCH_PER) {
            buf[n] = (uint32_t)w->id * BATCH_PER + v + (uint32_t)n;
            n++;
        }
        v += (uint32_t)zeroipc_queue_push_many(w->q, buf, n);
    }
    return NULL;
}

static void *batch_consumer(void *arg)
{
    struct batch_worker *w = arg;
    uint32_t buf[11], last[2] = {0, 0};
    bool any[2] = {false, false};
    while (atomic_load(&w->seen[2 * BATCH_PER]) < 2 * BATCH_PER) {
        size_t n = zeroipc_queue_pop_many(w->q, buf, 11);
        for (size_t i = 0; i < n; i++) {
            uint32_t p = buf[i] / BATCH_PER;
            if (p > 1 || atomic_fetch_add(&w->seen[buf[i]], 1) != 0 ||
                (any[p] && buf[i] <= last[p]))
                w->rc = 1; /* out of range, duplicate, or out of order */
            last[p] = buf[i];
            any[p] = true;
        }
        atomic_fetch_add(&w->seen[2 * BATCH_PER], (uint32_t)n);
    }
    return NULL;
}

static void test_batch_threads(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "btt", 65536, 4);
    zeroipc_queue_t *q = mkqueue(m, "q", sizeof(uint32_t), 64);
    _Atomic uint32_t *seen = calloc(2 * BATCH_PER + 1, sizeof *seen);
    assert_non_null(seen);
    struct batch_worker w[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct batch_worker){q, i % 2, seen, 0};
        assert_int_equal(pthread_create(&t[i], NULL, i < 2 ? batch_producer : batch_consumer, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    int rc = w[2].rc | w[3].rc;
    for (uint32_t v = 0; v < 2 * BATCH_PER; v++)
        rc |= seen[v] != 1;
    free((void *)seen);
    assert_int_equal(rc, 0);
    assert_int_equal(zeroipc_queue_empty(q), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UT_TEST(test_layout),
        UT_TEST(test_fifo_full_empty),
        UT_TEST(test_capacity_one),
        UT_TEST(test_wraparound),
        UT_TEST(test_wrap_u32),
        UT_TEST(test_null_args),
        UT_TEST(test_timeouts),
        UT_TEST(test_blocking_wakeup),
        UT_TEST(test_silent_peer),
        UT_TEST(test_create_errors),
        UT_TEST(test_open),
        UT_TEST(test_open_bad_headers),
        UT_TEST(test_validate_footprint),
        UT_TEST(test_mpmc_threads),
        UT_TEST(test_batches),
        UT_TEST(test_batch_threads),
    };
    return UT_RUN(tests);
}
