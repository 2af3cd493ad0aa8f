/* test_array.c - zeroipc_array_*: layout, access, errors, open checks,
 * validate and footprint. */
#include "unit_common.h"

static void test_create_layout(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "cl", 4096, 4);
    zeroipc_array_t *a = ut_keep_array(zeroipc_array_create(m, "arr", 4, 10));
    assert_non_null(a);
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
    assert_int_equal(zeroipc_array_capacity(a), 10);
    assert_int_equal(zeroipc_array_elem_size(a), 4);

    size_t off, size;
    ut_find(m, "arr", &off, &size);
    assert_int_equal(size, 8 + 10 * 4);
    assert_int_equal(off % 8, 0);
    assert_int_equal(ut_get64(m, off), 10); /* u64 capacity at 0 */
    assert_ptr_equal(zeroipc_array_data(a), ut_at(m, off + 8));
    for (size_t i = 0; i < 10; i++) {
        assert_ptr_equal(zeroipc_array_get(a, i), ut_at(m, off + 8 + 4 * i));
        assert_int_equal(ut_get32(m, off + 8 + 4 * i), 0);
    }

    /* An odd element size: the entry size is exact, not rounded. */
    zeroipc_array_t *b = ut_keep_array(zeroipc_array_create(m, "odd", 3, 5));
    assert_non_null(b);
    size_t boff, bsize;
    ut_find(m, "odd", &boff, &bsize);
    assert_int_equal(bsize, 8 + 15);
    assert_int_equal(boff, UT_ALIGN8(off + size));
    assert_int_equal(ut_get64(m, UT_H_NEXT), boff + 23);
    assert_int_equal(zeroipc_array_elem_size(b), 3);
    assert_ptr_equal(zeroipc_array_get(b, 4), ut_at(m, boff + 8 + 12));
}

static void test_set_get(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "sg", 4096, 4);
    zeroipc_array_t *a = ut_keep_array(zeroipc_array_create(m, "d", 8, 16));
    assert_non_null(a);
    size_t off;
    ut_find(m, "d", &off, NULL);
    for (size_t i = 0; i < 16; i++) {
        double v = (double)i * 1.5 - 3.0;
        assert_int_equal(zeroipc_array_set(a, i, &v), ZEROIPC_OK);
    }
    for (size_t i = 0; i < 16; i++) {
        double v;
        memcpy(&v, zeroipc_array_get(a, i), sizeof v);
        assert_true(v == (double)i * 1.5 - 3.0);
        /* Bytes at the FORMAT.md position. */
        assert_memory_equal(ut_at(m, off + 8 + 8 * i), &v, 8);
    }
    /* set copies exactly elem_size bytes: the neighbours are untouched. */
    uint8_t ones[8];
    memset(ones, 0xFF, sizeof ones);
    assert_int_equal(zeroipc_array_set(a, 5, ones), ZEROIPC_OK);
    double v4, v6;
    memcpy(&v4, zeroipc_array_get(a, 4), 8);
    memcpy(&v6, zeroipc_array_get(a, 6), 8);
    assert_true(v4 == 3.0);
    assert_true(v6 == 6.0);

    /* Out of range. */
    double x = 1.0;
    assert_null(zeroipc_array_get(a, 16));
    assert_null(zeroipc_array_get(a, SIZE_MAX));
    assert_non_null(zeroipc_array_get(a, 15));
    assert_int_equal(zeroipc_array_set(a, 16, &x), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_array_set(a, SIZE_MAX, &x), ZEROIPC_ERROR_SIZE);
    /* The capacity word is intact. */
    assert_int_equal(ut_get64(m, off), 16);

    /* NULL. */
    assert_int_equal(zeroipc_array_set(NULL, 0, &x),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_array_set(a, 0, NULL),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_null(zeroipc_array_get(NULL, 0));
    assert_null(zeroipc_array_data(NULL));
    assert_int_equal(zeroipc_array_capacity(NULL), 0);
    assert_int_equal(zeroipc_array_elem_size(NULL), 0);
    zeroipc_array_close(NULL);
}

static void test_create_errors(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "ce", 1024, 3);
    assert_non_null(ut_keep_array(zeroipc_array_create(m, "taken", 4, 2)));
    uint64_t next = ut_get64(m, UT_H_NEXT);
    char n31[32], n32[33];
    ut_len_name(n31, 31, 'a');
    ut_len_name(n32, 32, 'a');

    UT_EXPECT_NULL(zeroipc_array_create(NULL, "x", 4, 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_array_create(m, NULL, 4, 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_array_create(m, "", 4, 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_array_create(m, n32, 4, 4),
                   ZEROIPC_ERROR_NAME_TOO_LONG);
    UT_EXPECT_NULL(zeroipc_array_create(m, "x", 0, 4), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_array_create(m, "x", 4, 0), ZEROIPC_ERROR_SIZE);
    /* elem_size * capacity overflows size_t. */
    UT_EXPECT_NULL(zeroipc_array_create(m, "x", SIZE_MAX / 2, 3),
                   ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_array_create(m, "x", (size_t)1 << 33,
                                        (size_t)1 << 33),
                   ZEROIPC_ERROR_SIZE);
    /* 8 + elem_size * capacity overflows. */
    UT_EXPECT_NULL(zeroipc_array_create(m, "x", 1, SIZE_MAX - 3),
                   ZEROIPC_ERROR_SIZE);
    /* No room. */
    UT_EXPECT_NULL(zeroipc_array_create(m, "x", 4, 1024), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_array_create(m, "taken", 4, 2),
                   ZEROIPC_ERROR_ALREADY_EXISTS);
    /* Nothing leaked. */
    assert_int_equal(ut_get64(m, UT_H_NEXT), next);
    assert_int_equal(zeroipc_table_count(m), 1);

    assert_non_null(ut_keep_array(zeroipc_array_create(m, n31, 1, 1)));
    assert_non_null(ut_keep_array(zeroipc_array_create(m, "third", 1, 1)));
    next = ut_get64(m, UT_H_NEXT);
    UT_EXPECT_NULL(zeroipc_array_create(m, "x", 1, 1),
                   ZEROIPC_ERROR_TABLE_FULL);
    assert_int_equal(ut_get64(m, UT_H_NEXT), next);
}

static void test_open_shares(void **state)
{
    (void)state;
    const char *name;
    zeroipc_memory_t *m = ut_seg(&name, "os", 4096, 4);
    zeroipc_array_t *a = ut_keep_array(zeroipc_array_create(m, "a", 12, 7));
    assert_non_null(a);
    uint8_t v[12];
    for (int i = 0; i < 12; i++)
        v[i] = (uint8_t)(i + 1);
    assert_int_equal(zeroipc_array_set(a, 6, v), ZEROIPC_OK);

    /* Same mapping. */
    zeroipc_array_t *b = ut_keep_array(zeroipc_array_open(m, "a"));
    assert_non_null(b);
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
    assert_int_equal(zeroipc_array_capacity(b), 7);
    assert_int_equal(zeroipc_array_elem_size(b), 12); /* recovered */
    assert_memory_equal(zeroipc_array_get(b, 6), v, 12);

    /* Another mapping of the same segment. */
    zeroipc_memory_t *m2 = ut_open(name);
    zeroipc_array_t *c = ut_keep_array(zeroipc_array_open(m2, "a"));
    assert_non_null(c);
    assert_int_equal(zeroipc_array_capacity(c), 7);
    assert_int_equal(zeroipc_array_elem_size(c), 12);
    assert_memory_equal(zeroipc_array_get(c, 6), v, 12);
    v[0] = 99;
    assert_int_equal(zeroipc_array_set(c, 0, v), ZEROIPC_OK);
    assert_int_equal(*(uint8_t *)zeroipc_array_get(a, 0), 99);
    /* Closing a handle does not touch the array. */
    ut_close_array(c);
    assert_int_equal(*(uint8_t *)zeroipc_array_get(a, 0), 99);
}

static void test_open_errors(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "oe", 8192, 10);
    char n32[33];
    ut_len_name(n32, 32, 'o');
    UT_EXPECT_NULL(zeroipc_array_open(NULL, "a"),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_array_open(m, NULL),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_array_open(m, ""), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_array_open(m, n32), ZEROIPC_ERROR_NAME_TOO_LONG);
    UT_EXPECT_NULL(zeroipc_array_open(m, "absent"), ZEROIPC_ERROR_NOT_FOUND);

    /* A queue is not an array: its first u64 (head, tail) is 0. */
    assert_non_null(ut_keep_queue(zeroipc_queue_create(m, "q", 4, 4)));
    UT_EXPECT_NULL(zeroipc_array_open(m, "q"), ZEROIPC_ERROR_WRONG_KIND);

    size_t off;
    /* Capacity 0. */
    assert_int_equal(zeroipc_table_add(m, "cap0", 24, &off), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_array_open(m, "cap0"), ZEROIPC_ERROR_WRONG_KIND);
    /* Capacity 3 does not divide 10 bytes of data. */
    assert_int_equal(zeroipc_table_add(m, "nodiv", 18, &off), ZEROIPC_OK);
    ut_set64(m, off, 3);
    UT_EXPECT_NULL(zeroipc_array_open(m, "nodiv"), ZEROIPC_ERROR_WRONG_KIND);
    /* ... but 5 and 10 do. */
    ut_set64(m, off, 5);
    zeroipc_array_t *a = ut_keep_array(zeroipc_array_open(m, "nodiv"));
    assert_non_null(a);
    assert_int_equal(zeroipc_array_elem_size(a), 2);
    ut_set64(m, off, 10);
    zeroipc_array_t *b = ut_keep_array(zeroipc_array_open(m, "nodiv"));
    assert_non_null(b);
    assert_int_equal(zeroipc_array_elem_size(b), 1);
    /* Capacity larger than the data (elements of 0 bytes). */
    ut_set64(m, off, 11);
    UT_EXPECT_NULL(zeroipc_array_open(m, "nodiv"), ZEROIPC_ERROR_WRONG_KIND);
    ut_set64(m, off, UINT64_MAX);
    UT_EXPECT_NULL(zeroipc_array_open(m, "nodiv"), ZEROIPC_ERROR_WRONG_KIND);
    /* An entry smaller than the header, and one with no data. */
    assert_int_equal(zeroipc_table_add(m, "tiny", 4, &off), ZEROIPC_OK);
    ut_set32(m, off, 1);
    UT_EXPECT_NULL(zeroipc_array_open(m, "tiny"), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_table_add(m, "hdronly", 8, &off), ZEROIPC_OK);
    ut_set64(m, off, 1);
    UT_EXPECT_NULL(zeroipc_array_open(m, "hdronly"),
                   ZEROIPC_ERROR_WRONG_KIND);
}

static void test_open_outside(void **state)
{
    (void)state;
    const char *name;
    zeroipc_memory_t *m = ut_seg(&name, "oo", 4096, 4);
    assert_non_null(ut_keep_array(zeroipc_array_create(m, "a", 4, 4)));
    ut_close_array(ut_fx.arrays[0]);
    ut_close_mem(m);
    ut_poke64(name, UT_ENTRY(0) + UT_E_OFFSET, 4096 - 8);
    m = ut_open(name);
    UT_EXPECT_NULL(zeroipc_array_open(m, "a"), ZEROIPC_ERROR_CORRUPT);
}

static void test_validate(void **state)
{
    (void)state;
    uint64_t buf[8] = {0};
    size_t es = 0;
    buf[0] = 4;
    assert_int_equal(zeroipc_array_validate(buf, 8 + 4 * 6, &es), ZEROIPC_OK);
    assert_int_equal(es, 6);
    assert_int_equal(zeroipc_array_validate(buf, 8 + 4, &es), ZEROIPC_OK);
    assert_int_equal(es, 1);
    assert_int_equal(zeroipc_array_validate(buf, 8 + 4 * 6, NULL),
                     ZEROIPC_OK);
    assert_int_equal(zeroipc_array_validate(buf, 8 + 7, &es),
                     ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_array_validate(buf, 8, &es),
                     ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_array_validate(buf, 4, &es),
                     ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_array_validate(buf, 0, &es),
                     ZEROIPC_ERROR_WRONG_KIND);
    buf[0] = 0;
    assert_int_equal(zeroipc_array_validate(buf, 8 + 16, &es),
                     ZEROIPC_ERROR_WRONG_KIND);
    buf[0] = 17;
    assert_int_equal(zeroipc_array_validate(buf, 8 + 16, &es),
                     ZEROIPC_ERROR_WRONG_KIND);
}

static void test_footprint(void **state)
{
    (void)state;
    assert_int_equal(zeroipc_array_footprint(4, 10), 48);
    assert_int_equal(zeroipc_array_footprint(3, 5), 23);
    assert_int_equal(zeroipc_array_footprint(1, 1), 9);
    assert_int_equal(zeroipc_array_footprint(SIZE_MAX, 2), 0);
    assert_int_equal(zeroipc_array_footprint(SIZE_MAX / 2, 3), 0);
    assert_int_equal(zeroipc_array_footprint(1, SIZE_MAX - 7), 0);
    assert_int_equal(zeroipc_array_footprint(1, SIZE_MAX - 8), SIZE_MAX);
    /* create uses exactly the footprint. */
    zeroipc_memory_t *m = ut_seg(NULL, "fp", 4096, 4);
    assert_non_null(ut_keep_array(zeroipc_array_create(m, "a", 6, 7)));
    size_t size;
    ut_find(m, "a", NULL, &size);
    assert_int_equal(size, zeroipc_array_footprint(6, 7));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UT_TEST(test_create_layout),
        UT_TEST(test_set_get),
        UT_TEST(test_create_errors),
        UT_TEST(test_open_shares),
        UT_TEST(test_open_errors),
        UT_TEST(test_open_outside),
        UT_TEST(test_validate),
        UT_TEST(test_footprint),
    };
    return UT_RUN(tests);
}
