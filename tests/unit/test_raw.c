/* test_raw.c - the offset-based zeroipc_raw_queue_* / zeroipc_raw_stack_*
 * calls: results 0 / -1 / -2 / -3 (/ -10), header checks, and that they
 * share state with the handle API. */
#include "unit_common.h"

static void test_raw_queue(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "rq", 4096, 4);
    zeroipc_queue_t *q = ut_keep_queue(zeroipc_queue_create(m, "q", 4, 3));
    assert_non_null(q);
    size_t off;
    ut_find(m, "q", &off, NULL);
    void *base = zeroipc_memory_base(m);

    uint32_t v = 0, out = 0;
    assert_int_equal(zeroipc_raw_queue_empty(base, off), 1);
    assert_int_equal(zeroipc_raw_queue_full(base, off), 0);
    assert_int_equal(zeroipc_raw_queue_size(base, off), 0);
    assert_int_equal(zeroipc_raw_queue_pop(base, off, &out, 4), -1);
    for (v = 1; v <= 4; v++) {
        assert_int_equal(zeroipc_raw_queue_push(base, off, &v, 4), 0);
        assert_int_equal(zeroipc_raw_queue_size(base, off), v);
    }
    assert_int_equal(zeroipc_raw_queue_full(base, off), 1);
    assert_int_equal(zeroipc_raw_queue_empty(base, off), 0);
    assert_int_equal(zeroipc_raw_queue_push(base, off, &v, 4), -1);
    assert_int_equal(zeroipc_raw_queue_size(base, off), 4);
    /* Shared with the handle API, both ways. */
    assert_int_equal(zeroipc_queue_size(q), 4);
    assert_int_equal(zeroipc_queue_pop(q, &out), ZEROIPC_OK);
    assert_int_equal(out, 1);
    v = 5;
    assert_int_equal(zeroipc_queue_push(q, &v), ZEROIPC_OK);
    for (uint32_t e = 2; e <= 5; e++) {
        assert_int_equal(zeroipc_raw_queue_pop(base, off, &out, 4), 0);
        assert_int_equal(out, e);
    }
    assert_int_equal(zeroipc_raw_queue_pop(base, off, &out, 4), -1);
    assert_int_equal(zeroipc_raw_queue_empty(base, off), 1);

    /* Element size mismatch: nothing moves. */
    uint64_t big = 7;
    assert_int_equal(zeroipc_raw_queue_push(base, off, &big, 8), -2);
    assert_int_equal(zeroipc_raw_queue_push(base, off, &big, 2), -2);
    assert_int_equal(zeroipc_raw_queue_push(base, off, &big, 0), -2);
    assert_int_equal(zeroipc_raw_queue_size(base, off), 0);
    v = 9;
    assert_int_equal(zeroipc_raw_queue_push(base, off, &v, 4), 0);
    assert_int_equal(zeroipc_raw_queue_pop(base, off, &big, 8), -2);
    assert_int_equal(zeroipc_raw_queue_size(base, off), 1);

    /* NULL. */
    assert_int_equal(zeroipc_raw_queue_push(NULL, off, &v, 4), -3);
    assert_int_equal(zeroipc_raw_queue_push(base, off, NULL, 4), -3);
    assert_int_equal(zeroipc_raw_queue_pop(NULL, off, &out, 4), -3);
    assert_int_equal(zeroipc_raw_queue_pop(base, off, NULL, 4), -3);
    assert_int_equal(zeroipc_raw_queue_size(base, off), 1);
    assert_int_equal(zeroipc_raw_queue_pop(base, off, &out, 4), 0);
    assert_int_equal(out, 9);
}

static void test_raw_queue_bad_header(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "rqb", 4096, 4);
    assert_non_null(ut_keep_queue(zeroipc_queue_create(m, "q", 4, 8)));
    size_t off;
    ut_find(m, "q", &off, NULL);
    void *base = zeroipc_memory_base(m);
    uint32_t v = 1, out;
    assert_int_equal(zeroipc_raw_queue_push(base, off, &v, 4), 0);

    const uint32_t bad_caps[] = {6, 0, 3, 0xFFFFFFFFu};
    for (size_t i = 0; i < sizeof bad_caps / sizeof bad_caps[0]; i++) {
        ut_set32(m, off + 8, bad_caps[i]);
        assert_int_equal(zeroipc_raw_queue_push(base, off, &v, 4), -3);
        assert_int_equal(zeroipc_raw_queue_pop(base, off, &out, 4), -3);
        assert_int_equal(zeroipc_raw_queue_size(base, off), 0);
        assert_int_equal(zeroipc_raw_queue_empty(base, off), -3);
        assert_int_equal(zeroipc_raw_queue_full(base, off), -3);
    }
    ut_set32(m, off + 8, 8);
    ut_set32(m, off + 12, 0); /* elem_size 0 */
    assert_int_equal(zeroipc_raw_queue_push(base, off, &v, 0), -3);
    assert_int_equal(zeroipc_raw_queue_pop(base, off, &out, 0), -3);
    assert_int_equal(zeroipc_raw_queue_empty(base, off), -3);
    assert_int_equal(zeroipc_raw_queue_full(base, off), -3);
    assert_int_equal(zeroipc_raw_queue_size(base, off), 0);
    ut_set32(m, off + 12, 4);
    assert_int_equal(zeroipc_raw_queue_size(base, off), 1);
    assert_int_equal(zeroipc_raw_queue_pop(base, off, &out, 4), 0);
    assert_int_equal(out, 1);

    /* NULL base for the snapshots. */
    assert_int_equal(zeroipc_raw_queue_size(NULL, off), 0);
    assert_int_equal(zeroipc_raw_queue_empty(NULL, off), -3);
    assert_int_equal(zeroipc_raw_queue_full(NULL, off), -3);
}

static void test_raw_stack(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "rs", 4096, 4);
    zeroipc_stack_t *s = ut_keep_stack(zeroipc_stack_create(m, "s", 8, 3));
    assert_non_null(s);
    size_t off;
    ut_find(m, "s", &off, NULL);
    void *base = zeroipc_memory_base(m);

    uint64_t v, out = 0;
    assert_int_equal(zeroipc_raw_stack_empty(base, off), 1);
    assert_int_equal(zeroipc_raw_stack_full(base, off), 0);
    assert_int_equal(zeroipc_raw_stack_size(base, off), 0);
    assert_int_equal(zeroipc_raw_stack_pop(base, off, &out, 8), -1);
    assert_int_equal(zeroipc_raw_stack_top(base, off, &out, 8), -1);
    for (v = 1; v <= 3; v++) {
        assert_int_equal(zeroipc_raw_stack_push(base, off, &v, 8), 0);
        assert_int_equal(zeroipc_raw_stack_size(base, off), v);
        assert_int_equal(zeroipc_raw_stack_top(base, off, &out, 8), 0);
        assert_int_equal(out, v);
    }
    assert_int_equal(zeroipc_raw_stack_full(base, off), 1);
    assert_int_equal(zeroipc_raw_stack_empty(base, off), 0);
    assert_int_equal(zeroipc_raw_stack_push(base, off, &v, 8), -1);
    assert_int_equal(zeroipc_raw_stack_size(base, off), 3);
    assert_int_equal((int32_t)ut_get32(m, off), 2);
    /* Shared with the handle API. */
    assert_int_equal(zeroipc_stack_pop(s, &out), ZEROIPC_OK);
    assert_int_equal(out, 3);
    v = 30;
    assert_int_equal(zeroipc_stack_push(s, &v), ZEROIPC_OK);
    assert_int_equal(zeroipc_raw_stack_pop(base, off, &out, 8), 0);
    assert_int_equal(out, 30);
    assert_int_equal(zeroipc_raw_stack_pop(base, off, &out, 8), 0);
    assert_int_equal(out, 2);
    assert_int_equal(zeroipc_raw_stack_pop(base, off, &out, 8), 0);
    assert_int_equal(out, 1);
    assert_int_equal(zeroipc_raw_stack_pop(base, off, &out, 8), -1);
    assert_int_equal(zeroipc_raw_stack_empty(base, off), 1);

    /* Element size mismatch. */
    uint32_t small = 4;
    assert_int_equal(zeroipc_raw_stack_push(base, off, &small, 4), -2);
    assert_int_equal(zeroipc_raw_stack_size(base, off), 0);
    v = 77;
    assert_int_equal(zeroipc_raw_stack_push(base, off, &v, 8), 0);
    assert_int_equal(zeroipc_raw_stack_pop(base, off, &small, 4), -2);
    assert_int_equal(zeroipc_raw_stack_top(base, off, &small, 4), -2);
    assert_int_equal(zeroipc_raw_stack_size(base, off), 1);

    /* NULL. */
    assert_int_equal(zeroipc_raw_stack_push(NULL, off, &v, 8), -3);
    assert_int_equal(zeroipc_raw_stack_push(base, off, NULL, 8), -3);
    assert_int_equal(zeroipc_raw_stack_pop(NULL, off, &out, 8), -3);
    assert_int_equal(zeroipc_raw_stack_pop(base, off, NULL, 8), -3);
    assert_int_equal(zeroipc_raw_stack_top(NULL, off, &out, 8), -3);
    assert_int_equal(zeroipc_raw_stack_top(base, off, NULL, 8), -3);
    assert_int_equal(zeroipc_raw_stack_size(NULL, off), 0);
    assert_int_equal(zeroipc_raw_stack_empty(NULL, off), -3);
    assert_int_equal(zeroipc_raw_stack_full(NULL, off), -3);
    assert_int_equal(zeroipc_raw_stack_size(base, off), 1);
}

static void test_raw_stack_bad_header(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "rsb", 4096, 4);
    assert_non_null(ut_keep_stack(zeroipc_stack_create(m, "s", 4, 4)));
    size_t off;
    ut_find(m, "s", &off, NULL);
    void *base = zeroipc_memory_base(m);
    uint32_t v = 1, out;
    assert_int_equal(zeroipc_raw_stack_push(base, off, &v, 4), 0);

    /* Capacity 0, and one over INT32_MAX. */
    const uint32_t bad_caps[] = {0, 0x80000000u};
    for (size_t i = 0; i < 2; i++) {
        ut_set32(m, off + 4, bad_caps[i]);
        assert_int_equal(zeroipc_raw_stack_push(base, off, &v, 4), -3);
        assert_int_equal(zeroipc_raw_stack_pop(base, off, &out, 4), -3);
        assert_int_equal(zeroipc_raw_stack_top(base, off, &out, 4), -3);
        assert_int_equal(zeroipc_raw_stack_size(base, off), 0);
        assert_int_equal(zeroipc_raw_stack_empty(base, off), -3);
        assert_int_equal(zeroipc_raw_stack_full(base, off), -3);
    }
    ut_set32(m, off + 4, 4);
    ut_set32(m, off + 8, 0); /* elem_size 0 */
    assert_int_equal(zeroipc_raw_stack_push(base, off, &v, 0), -3);
    assert_int_equal(zeroipc_raw_stack_pop(base, off, &out, 0), -3);
    ut_set32(m, off + 8, 4);
    /* top out of range of the capacity: never followed. */
    ut_set32(m, off, 4);
    assert_int_not_equal(zeroipc_raw_stack_pop(base, off, &out, 4), 0);
    assert_int_not_equal(zeroipc_raw_stack_top(base, off, &out, 4), 0);
    ut_set32(m, off, 0);
    assert_int_equal(zeroipc_raw_stack_pop(base, off, &out, 4), 0);
    assert_int_equal(out, 1);
}

static void test_raw_stack_stuck(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "rss", 4096, 4);
    assert_non_null(ut_keep_stack(zeroipc_stack_create(m, "s", 4, 2)));
    size_t off;
    ut_find(m, "s", &off, NULL);
    void *base = zeroipc_memory_base(m);
    size_t st = off + 16 + 8;
    ut_set32(m, st, 3); /* slot 0 READING: a popper died */
    uint32_t v = 1;
    int64_t t0 = zt_now_ms();
    /* After one claim time the slot is taken over (zeroipc_stack.h). */
    assert_int_equal(zeroipc_raw_stack_push(base, off, &v, 4), 0);
    int64_t el = zt_now_ms() - t0;
    assert_true(el >= ZEROIPC_STACK_CLAIM_MS - 100);
    assert_true(el < ZEROIPC_STACK_CLAIM_MS + 2000);
    assert_int_equal((int32_t)ut_get32(m, off), 0);
    assert_int_equal(zeroipc_raw_stack_size(base, off), 1);
    uint32_t out = 0;
    assert_int_equal(zeroipc_raw_stack_pop(base, off, &out, 4), 0);
    assert_int_equal(out, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UT_TEST(test_raw_queue),
        UT_TEST(test_raw_queue_bad_header),
        UT_TEST(test_raw_stack),
        UT_TEST(test_raw_stack_bad_header),
        UT_TEST(test_raw_stack_stuck),
    };
    return UT_RUN(tests);
}
