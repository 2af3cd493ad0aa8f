/* test_stack.c - zeroipc_stack_*: layout, LIFO, top, full/empty, timed and
 * blocking calls, stuck slots, open checks, validate, footprint, threads. */
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

static zeroipc_stack_t *mkstack(zeroipc_memory_t *m, const char *name,
                                size_t elem, size_t cap)
{
    zeroipc_stack_t *s = zeroipc_stack_create(m, name, elem, cap);
    assert_non_null(s);
    return ut_keep_stack(s);
}

static int32_t top_word(zeroipc_memory_t *m, size_t off)
{
    return (int32_t)ut_get32(m, off);
}

/* Offset of the state array of a stack at `off`. */
static size_t states_at(size_t off, size_t elem, size_t cap)
{
    return off + 16 + UT_ALIGN8(elem * cap);
}

static void test_layout(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "ly", 4096, 4);
    zeroipc_stack_t *s = mkstack(m, "s", 4, 5);
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
    assert_int_equal(zeroipc_stack_capacity(s), 5); /* not rounded */
    assert_int_equal(zeroipc_stack_elem_size(s), 4);
    size_t off, size;
    ut_find(m, "s", &off, &size);
    assert_int_equal(size, 16 + 24 + 20);
    assert_int_equal(off % 8, 0);
    assert_int_equal(top_word(m, off), -1);
    assert_int_equal(ut_get32(m, off + 4), 5);
    assert_int_equal(ut_get32(m, off + 8), 4);
    assert_int_equal(ut_get32(m, off + 12), 0);
    size_t st = states_at(off, 4, 5);
    assert_int_equal(st, off + 40);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(ut_get32(m, st + 4 * i), 0);

    /* Push: top moves up, the slot holds the value and is READY (2). */
    for (int32_t i = 0; i < 3; i++) {
        int32_t v = 0x100 + i;
        assert_int_equal(zeroipc_stack_push(s, &v), ZEROIPC_OK);
        assert_int_equal(top_word(m, off), i);
        assert_int_equal(ut_get32(m, off + 16 + 4 * (size_t)i), 0x100u + i);
        assert_int_equal(ut_get32(m, st + 4 * (size_t)i), 2);
    }
    assert_int_equal(ut_get32(m, st + 12), 0);
    int32_t out;
    assert_int_equal(zeroipc_stack_pop(s, &out), ZEROIPC_OK);
    assert_int_equal(top_word(m, off), 1);
    assert_int_equal(ut_get32(m, st + 8), 0); /* EMPTY again */

    /* Odd element size. */
    zeroipc_stack_t *o = mkstack(m, "odd", 3, 3);
    ut_find(m, "odd", &off, &size);
    assert_int_equal(size, 16 + 16 + 12);
    assert_int_equal(size, zeroipc_stack_footprint(3, 3));
    assert_int_equal(zeroipc_stack_capacity(o), 3);
    assert_int_equal(zeroipc_stack_elem_size(o), 3);
}

static void test_lifo_full_empty(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "lf", 4096, 4);
    zeroipc_stack_t *s = mkstack(m, "s", sizeof(int32_t), 5);
    int32_t out = -1;
    assert_int_equal(zeroipc_stack_empty(s), 1);
    assert_int_equal(zeroipc_stack_full(s), 0);
    assert_int_equal(zeroipc_stack_size(s), 0);
    assert_int_equal(zeroipc_stack_pop(s, &out), ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_stack_top(s, &out), ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_stack_pop(s, &out), -4);
    assert_int_equal(out, -1);

    for (int32_t i = 1; i <= 5; i++) {
        assert_int_equal(zeroipc_stack_push(s, &i), ZEROIPC_OK);
        assert_int_equal(zeroipc_stack_size(s), (size_t)i);
        assert_int_equal(zeroipc_stack_top(s, &out), ZEROIPC_OK);
        assert_int_equal(out, i);
        assert_int_equal(zeroipc_stack_size(s), (size_t)i);
    }
    assert_int_equal(zeroipc_stack_full(s), 1);
    assert_int_equal(zeroipc_stack_empty(s), 0);
    int32_t x = 99;
    assert_int_equal(zeroipc_stack_push(s, &x), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_stack_push(s, &x), -3);
    assert_int_equal(zeroipc_stack_size(s), 5);
    /* top peeks without removing, repeatedly. */
    for (int k = 0; k < 3; k++) {
        out = 0;
        assert_int_equal(zeroipc_stack_top(s, &out), ZEROIPC_OK);
        assert_int_equal(out, 5);
    }
    for (int32_t i = 5; i >= 1; i--) {
        assert_int_equal(zeroipc_stack_pop(s, &out), ZEROIPC_OK);
        assert_int_equal(out, i);
        assert_int_equal(zeroipc_stack_full(s), 0);
    }
    assert_int_equal(zeroipc_stack_empty(s), 1);
    assert_int_equal(zeroipc_stack_pop(s, &out), ZEROIPC_ERROR_NOT_FOUND);

    /* Interleaved. */
    int32_t a = 1, b = 2, c = 3;
    assert_int_equal(zeroipc_stack_push(s, &a), ZEROIPC_OK);
    assert_int_equal(zeroipc_stack_push(s, &b), ZEROIPC_OK);
    assert_int_equal(zeroipc_stack_pop(s, &out), ZEROIPC_OK);
    assert_int_equal(out, 2);
    assert_int_equal(zeroipc_stack_push(s, &c), ZEROIPC_OK);
    assert_int_equal(zeroipc_stack_pop(s, &out), ZEROIPC_OK);
    assert_int_equal(out, 3);
    assert_int_equal(zeroipc_stack_pop(s, &out), ZEROIPC_OK);
    assert_int_equal(out, 1);
}

static void test_capacity_one(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "c1", 4096, 4);
    zeroipc_stack_t *s = mkstack(m, "s", 8, 1);
    for (int64_t r = 0; r < 100; r++) {
        int64_t v = r * 3, w = -1, out = 0;
        assert_int_equal(zeroipc_stack_push(s, &v), ZEROIPC_OK);
        assert_int_equal(zeroipc_stack_full(s), 1);
        assert_int_equal(zeroipc_stack_push(s, &w), ZEROIPC_ERROR_SIZE);
        assert_int_equal(zeroipc_stack_top(s, &out), ZEROIPC_OK);
        assert_int_equal(out, v);
        assert_int_equal(zeroipc_stack_pop(s, &out), ZEROIPC_OK);
        assert_int_equal(out, v);
        assert_int_equal(zeroipc_stack_empty(s), 1);
    }
}

static void test_null_args(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "na", 4096, 4);
    zeroipc_stack_t *s = mkstack(m, "s", 4, 4);
    int32_t v = 1;
    assert_int_equal(zeroipc_stack_push(NULL, &v),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stack_push(s, NULL),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stack_size(s), 0);
    assert_int_equal(zeroipc_stack_push(s, &v), ZEROIPC_OK);
    assert_int_equal(zeroipc_stack_pop(NULL, &v),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stack_pop(s, NULL),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stack_top(NULL, &v),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stack_top(s, NULL),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stack_push_timeout(NULL, &v, 10),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stack_push_timeout(s, NULL, 10),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stack_pop_timeout(NULL, &v, 10),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stack_pop_timeout(s, NULL, 10),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stack_push_wait(NULL, &v),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stack_push_wait(s, NULL),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stack_pop_wait(NULL, &v),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stack_pop_wait(s, NULL),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stack_size(s), 1);
    assert_int_equal(zeroipc_stack_empty(NULL),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_stack_full(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    zeroipc_stack_close(NULL);
}

static void test_timeouts(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "to", 4096, 4);
    zeroipc_stack_t *s = mkstack(m, "s", sizeof(int32_t), 2);
    int32_t v = 5, out = -1;

    int64_t t0 = zt_now_ms();
    assert_int_equal(zeroipc_stack_pop_timeout(s, &out, 0),
                     ZEROIPC_ERROR_TIMEOUT);
    assert_true(zt_now_ms() - t0 < 200);
    t0 = zt_now_ms();
    assert_int_equal(zeroipc_stack_pop_timeout(s, &out, 50),
                     ZEROIPC_ERROR_TIMEOUT);
    int64_t el = zt_now_ms() - t0;
    assert_true(el >= 45);
    assert_true(el < 1000);
    assert_int_equal(out, -1);

    assert_int_equal(zeroipc_stack_push_timeout(s, &v, 0), ZEROIPC_OK);
    v = 6;
    assert_int_equal(zeroipc_stack_push_timeout(s, &v, 50), ZEROIPC_OK);
    t0 = zt_now_ms();
    assert_int_equal(zeroipc_stack_push_timeout(s, &v, 0),
                     ZEROIPC_ERROR_TIMEOUT);
    assert_true(zt_now_ms() - t0 < 200);
    t0 = zt_now_ms();
    assert_int_equal(zeroipc_stack_push_timeout(s, &v, 50),
                     ZEROIPC_ERROR_TIMEOUT);
    el = zt_now_ms() - t0;
    assert_true(el >= 45);
    assert_true(el < 1000);
    assert_int_equal(zeroipc_stack_size(s), 2);

    assert_int_equal(zeroipc_stack_pop_timeout(s, &out, 0), ZEROIPC_OK);
    assert_int_equal(out, 6);
    assert_int_equal(zeroipc_stack_pop_timeout(s, &out, -1), ZEROIPC_OK);
    assert_int_equal(out, 5);
    v = 7;
    assert_int_equal(zeroipc_stack_push_wait(s, &v), ZEROIPC_OK);
    assert_int_equal(zeroipc_stack_pop_wait(s, &out), ZEROIPC_OK);
    assert_int_equal(out, 7);
}

struct delayed {
    zeroipc_stack_t *s;
    int delay_ms;
    int push;
    int32_t value;
    int rc;
};

static void *delayed_op(void *arg)
{
    struct delayed *d = arg;
    sleep_ms(d->delay_ms);
    d->rc = d->push ? zeroipc_stack_push(d->s, &d->value)
                    : zeroipc_stack_pop(d->s, &d->value);
    return NULL;
}

static void test_blocking_wakeup(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "bw", 4096, 4);
    zeroipc_stack_t *s = mkstack(m, "s", sizeof(int32_t), 1);
    pthread_t t;

    struct delayed d = {s, 60, 1, 4242, 99};
    int64_t t0 = zt_now_ms();
    assert_int_equal(pthread_create(&t, NULL, delayed_op, &d), 0);
    int32_t out = 0;
    int rc = zeroipc_stack_pop_wait(s, &out);
    int64_t el = zt_now_ms() - t0;
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(rc, ZEROIPC_OK);
    assert_int_equal(d.rc, ZEROIPC_OK);
    assert_int_equal(out, 4242);
    assert_true(el >= 50);
    assert_true(el < 1000);

    int32_t a = 1, b = 2;
    assert_int_equal(zeroipc_stack_push(s, &a), ZEROIPC_OK);
    d = (struct delayed){s, 60, 0, 0, 99};
    t0 = zt_now_ms();
    assert_int_equal(pthread_create(&t, NULL, delayed_op, &d), 0);
    rc = zeroipc_stack_push_timeout(s, &b, 3000);
    el = zt_now_ms() - t0;
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(rc, ZEROIPC_OK);
    assert_int_equal(d.rc, ZEROIPC_OK);
    assert_int_equal(d.value, 1);
    assert_true(el >= 50);
    assert_true(el < 1000);
    assert_int_equal(zeroipc_stack_pop(s, &out), ZEROIPC_OK);
    assert_int_equal(out, 2);
}

/* A peer died holding a slot: the claim gives up after
 * ZEROIPC_STACK_CLAIM_MS and repairs what the peer left (zeroipc_stack.h):
 * a pop frees a WRITING slot and leaves top below it (TIMEOUT); a push
 * takes a READING slot over (OK); a pop over a hole steps over it; a
 * push onto an orphan brings it back within reach (TIMEOUT). */
static void test_stuck_slot_pop(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "sk", 4096, 4);
    zeroipc_stack_t *s = mkstack(m, "s", sizeof(int32_t), 4);
    size_t off;
    ut_find(m, "s", &off, NULL);
    size_t st = states_at(off, 4, 4);
    int32_t a = 11, b = 22, out = 0;
    assert_int_equal(zeroipc_stack_push(s, &a), ZEROIPC_OK);
    assert_int_equal(zeroipc_stack_push(s, &b), ZEROIPC_OK);
    ut_set32(m, st + 4, 1); /* slot 1 WRITING: a pusher died */

    int64_t t0 = zt_now_ms();
    assert_int_equal(zeroipc_stack_pop(s, &out), ZEROIPC_ERROR_TIMEOUT);
    int64_t el = zt_now_ms() - t0;
    assert_true(el >= ZEROIPC_STACK_CLAIM_MS - 100);
    assert_true(el < ZEROIPC_STACK_CLAIM_MS + 2000);
    assert_int_equal(top_word(m, off), 0); /* stepped below it */
    assert_int_equal(ut_get32(m, st + 4), 0); /* freed */
    assert_int_equal(out, 0);
    /* The element under it pops at once; the freed slot takes pushes. */
    assert_int_equal(zeroipc_stack_pop(s, &out), ZEROIPC_OK);
    assert_int_equal(out, 11);
    assert_int_equal(zeroipc_stack_push(s, &b), ZEROIPC_OK);
    assert_int_equal(zeroipc_stack_push(s, &a), ZEROIPC_OK);
    assert_int_equal(zeroipc_stack_pop(s, &out), ZEROIPC_OK);
    assert_int_equal(out, 11);

    /* A hole (EMPTY under top: a pusher died before claiming): stepped
     * over, and what lies under it is reachable. */
    assert_int_equal(zeroipc_stack_size(s), 1);
    ut_set32(m, off, 1); /* top 1 over EMPTY slot 1 */
    t0 = zt_now_ms();
    assert_int_equal(zeroipc_stack_pop(s, &out), ZEROIPC_ERROR_TIMEOUT);
    assert_true(zt_now_ms() - t0 >= ZEROIPC_STACK_CLAIM_MS - 100);
    assert_int_equal(top_word(m, off), 0);
    assert_int_equal(zeroipc_stack_pop(s, &out), ZEROIPC_OK);
    assert_int_equal(out, 22);
}

static void test_stuck_slot_push(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "sk2", 4096, 4);
    zeroipc_stack_t *s = mkstack(m, "s", sizeof(int32_t), 4);
    size_t off;
    ut_find(m, "s", &off, NULL);
    size_t st = states_at(off, 4, 4);
    ut_set32(m, st, 3); /* slot 0 READING: a popper died */
    int32_t a = 5;
    int64_t t0 = zt_now_ms();
    assert_int_equal(zeroipc_stack_push(s, &a), ZEROIPC_OK); /* taken over */
    int64_t el = zt_now_ms() - t0;
    assert_true(el >= ZEROIPC_STACK_CLAIM_MS - 100);
    assert_true(el < ZEROIPC_STACK_CLAIM_MS + 2000);
    assert_int_equal(top_word(m, off), 0);
    assert_int_equal(zeroipc_stack_size(s), 1);
    int32_t out = 0;
    assert_int_equal(zeroipc_stack_top(s, &out), ZEROIPC_OK);
    assert_int_equal(out, 5);
    /* An orphan (READY above top: a popper died before claiming): a push
     * that meets it leaves it within reach and reports the timeout. */
    int32_t orphan = 77, c = 6;
    memcpy(ut_at(m, off + 16 + 4), &orphan, 4);
    ut_set32(m, st + 4, 2);
    assert_int_equal(zeroipc_stack_push(s, &c), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(top_word(m, off), 1);
    assert_int_equal(zeroipc_stack_pop(s, &out), ZEROIPC_OK);
    assert_int_equal(out, 77);
}

static void test_create_errors(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "ce", 2048, 3);
    mkstack(m, "taken", 4, 4);
    uint64_t next = ut_get64(m, UT_H_NEXT);
    char n31[32], n32[33];
    ut_len_name(n31, 31, 's');
    ut_len_name(n32, 32, 's');

    UT_EXPECT_NULL(zeroipc_stack_create(NULL, "x", 4, 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_stack_create(m, NULL, 4, 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_stack_create(m, "", 4, 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_stack_create(m, n32, 4, 4),
                   ZEROIPC_ERROR_NAME_TOO_LONG);
    UT_EXPECT_NULL(zeroipc_stack_create(m, "x", 0, 4), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_stack_create(m, "x", 4, 0), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_stack_create(m, "x", (size_t)UINT32_MAX + 1, 1),
                   ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_stack_create(m, "x", 1,
                                        ZEROIPC_STACK_MAX_CAPACITY + 1),
                   ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_stack_create(m, "x", SIZE_MAX / 2, 3),
                   ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_stack_create(m, "x", 4, SIZE_MAX),
                   ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_stack_create(m, "x", 4, 1024), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_stack_create(m, "taken", 4, 4),
                   ZEROIPC_ERROR_ALREADY_EXISTS);
    assert_int_equal(ut_get64(m, UT_H_NEXT), next);
    assert_int_equal(zeroipc_table_count(m), 1);

    mkstack(m, n31, 4, 4);
    mkstack(m, "third", 4, 4);
    next = ut_get64(m, UT_H_NEXT);
    UT_EXPECT_NULL(zeroipc_stack_create(m, "x", 4, 4),
                   ZEROIPC_ERROR_TABLE_FULL);
    assert_int_equal(ut_get64(m, UT_H_NEXT), next);
}

static void test_open(void **state)
{
    (void)state;
    const char *name;
    zeroipc_memory_t *m = ut_seg(&name, "op", 8192, 10);
    zeroipc_stack_t *s = mkstack(m, "s", 12, 5);
    uint8_t v[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, out[12];
    assert_int_equal(zeroipc_stack_push(s, v), ZEROIPC_OK);

    zeroipc_memory_t *m2 = ut_open(name);
    zeroipc_stack_t *s2 = ut_keep_stack(zeroipc_stack_open(m2, "s"));
    assert_non_null(s2);
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
    assert_int_equal(zeroipc_stack_capacity(s2), 5);
    assert_int_equal(zeroipc_stack_elem_size(s2), 12);
    assert_int_equal(zeroipc_stack_size(s2), 1);
    assert_int_equal(zeroipc_stack_pop(s2, out), ZEROIPC_OK);
    assert_memory_equal(out, v, 12);
    assert_int_equal(zeroipc_stack_empty(s), 1);

    char n32[33];
    ut_len_name(n32, 32, 's');
    UT_EXPECT_NULL(zeroipc_stack_open(NULL, "s"),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_stack_open(m, NULL),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_stack_open(m, ""), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_stack_open(m, n32), ZEROIPC_ERROR_NAME_TOO_LONG);
    UT_EXPECT_NULL(zeroipc_stack_open(m, "absent"), ZEROIPC_ERROR_NOT_FOUND);
    assert_non_null(ut_keep_queue(zeroipc_queue_create(m, "q", 4, 8)));
    UT_EXPECT_NULL(zeroipc_stack_open(m, "q"), ZEROIPC_ERROR_WRONG_KIND);
    assert_non_null(ut_keep_array(zeroipc_array_create(m, "a", 4, 8)));
    UT_EXPECT_NULL(zeroipc_stack_open(m, "a"), ZEROIPC_ERROR_WRONG_KIND);
}

static void test_open_bad_headers(void **state)
{
    (void)state;
    const char *name;
    zeroipc_memory_t *m = ut_seg(&name, "bh", 8192, 10);
    mkstack(m, "s", 4, 4);
    ut_close_stack(ut_fx.stacks[0]);
    size_t off;
    ut_find(m, "s", &off, NULL);
    /* Capacity 0. */
    ut_set32(m, off + 4, 0);
    UT_EXPECT_NULL(zeroipc_stack_open(m, "s"), ZEROIPC_ERROR_WRONG_KIND);
    /* Another capacity than the entry size says. */
    ut_set32(m, off + 4, 5);
    UT_EXPECT_NULL(zeroipc_stack_open(m, "s"), ZEROIPC_ERROR_WRONG_KIND);
    ut_set32(m, off + 4, 0x80000000u); /* over INT32_MAX */
    UT_EXPECT_NULL(zeroipc_stack_open(m, "s"), ZEROIPC_ERROR_WRONG_KIND);
    ut_set32(m, off + 4, 4);
    ut_set32(m, off + 8, 0); /* elem_size 0 */
    UT_EXPECT_NULL(zeroipc_stack_open(m, "s"), ZEROIPC_ERROR_WRONG_KIND);
    ut_set32(m, off + 8, 4);
    assert_non_null(ut_keep_stack(zeroipc_stack_open(m, "s")));

    /* A region exactly 16 bytes, capacity 0 (a degenerate stack). */
    size_t o0;
    assert_int_equal(zeroipc_table_add(m, "zero", 16, &o0), ZEROIPC_OK);
    ut_set32(m, o0, 0xFFFFFFFFu);
    ut_set32(m, o0 + 8, 4);
    UT_EXPECT_NULL(zeroipc_stack_open(m, "zero"), ZEROIPC_ERROR_WRONG_KIND);

    /* Through the file of a closed segment, and an entry outside it. */
    ut_teardown(NULL);
    ut_setup(NULL);
    m = ut_seg(&name, "bh2", 4096, 4);
    mkstack(m, "s", 4, 8);
    ut_find(m, "s", &off, NULL);
    ut_close_stack(ut_fx.stacks[0]);
    ut_close_mem(m);
    ut_poke32(name, off + 4, 0);
    m = ut_open(name);
    UT_EXPECT_NULL(zeroipc_stack_open(m, "s"), ZEROIPC_ERROR_WRONG_KIND);
    ut_close_mem(m);
    ut_poke32(name, off + 4, 8);
    ut_poke64(name, UT_ENTRY(0) + UT_E_OFFSET, 4096 - 16);
    m = ut_open(name);
    UT_EXPECT_NULL(zeroipc_stack_open(m, "s"), ZEROIPC_ERROR_CORRUPT);
}

static void test_validate_footprint(void **state)
{
    (void)state;
    assert_int_equal(zeroipc_stack_footprint(4, 5), 60);
    assert_int_equal(zeroipc_stack_footprint(3, 3), 44);
    assert_int_equal(zeroipc_stack_footprint(8, 1), 16 + 8 + 4);
    assert_int_equal(zeroipc_stack_footprint(0, 4), 0);
    assert_int_equal(zeroipc_stack_footprint(4, 0), 0);
    assert_int_equal(zeroipc_stack_footprint(1, ZEROIPC_STACK_MAX_CAPACITY + 1),
                     0);
    assert_int_equal(zeroipc_stack_footprint((size_t)UINT32_MAX + 1, 1), 0);
    assert_int_equal(zeroipc_stack_footprint(SIZE_MAX, 2), 0);

    uint32_t buf[32] = {0};
    buf[0] = 0xFFFFFFFFu;
    buf[1] = 5;
    buf[2] = 4;
    assert_int_equal(zeroipc_stack_validate(buf, 60), ZEROIPC_OK);
    assert_int_equal(zeroipc_stack_validate(buf, 64), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_stack_validate(buf, 8), ZEROIPC_ERROR_WRONG_KIND);
    buf[1] = 0;
    assert_int_equal(zeroipc_stack_validate(buf, 16), ZEROIPC_ERROR_WRONG_KIND);
    buf[1] = 5;
    buf[2] = 0;
    assert_int_equal(zeroipc_stack_validate(buf, 16 + 4 * 5),
                     ZEROIPC_ERROR_WRONG_KIND);
    buf[1] = 3; /* any capacity, not only powers of two */
    buf[2] = 3;
    assert_int_equal(zeroipc_stack_validate(buf, 44), ZEROIPC_OK);
}

/* Four threads push and pop: every element pushed is popped once. */
#define PER_THREAD 3000

struct worker {
    zeroipc_stack_t *s;
    int id;
    unsigned char *seen;
    int rc;
};

static void *churn(void *arg)
{
    struct worker *w = arg;
    for (uint32_t i = 0; i < PER_THREAD; i++) {
        uint32_t v = (uint32_t)w->id * PER_THREAD + i, out;
        int rc = zeroipc_stack_push_timeout(w->s, &v, 5000);
        if (rc == ZEROIPC_OK)
            rc = zeroipc_stack_pop_timeout(w->s, &out, 5000);
        if (rc != ZEROIPC_OK) {
            w->rc = rc;
            return NULL;
        }
        if (out >= 4 * PER_THREAD) {
            w->rc = -1000;
            return NULL;
        }
        w->seen[out]++;
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "th", 65536, 4);
    zeroipc_stack_t *s = mkstack(m, "s", sizeof(uint32_t), 3);
    static unsigned char seen[4][4 * PER_THREAD];
    memset(seen, 0, sizeof seen);
    struct worker w[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){s, i, seen[i], 0};
        assert_int_equal(pthread_create(&t[i], NULL, churn, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(w[i].rc, 0);
    for (int v = 0; v < 4 * PER_THREAD; v++)
        assert_int_equal(seen[0][v] + seen[1][v] + seen[2][v] + seen[3][v], 1);
    assert_int_equal(zeroipc_stack_empty(s), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UT_TEST(test_layout),
        UT_TEST(test_lifo_full_empty),
        UT_TEST(test_capacity_one),
        UT_TEST(test_null_args),
        UT_TEST(test_timeouts),
        UT_TEST(test_blocking_wakeup),
        UT_TEST(test_stuck_slot_pop),
        UT_TEST(test_stuck_slot_push),
        UT_TEST(test_create_errors),
        UT_TEST(test_open),
        UT_TEST(test_open_bad_headers),
        UT_TEST(test_validate_footprint),
        UT_TEST(test_threads),
    };
    return UT_RUN(tests);
}
