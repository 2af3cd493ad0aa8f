/* test_error.c - error codes, their strings, zeroipc_last_error and
 * zeroipc_memory_error. */
#include <pthread.h>

#include "unit_common.h"

static void test_code_values(void **state)
{
    (void)state;
    /* The original API's values, and ours below -10. */
    assert_int_equal(ZEROIPC_OK, 0);
    assert_int_equal(ZEROIPC_ERROR_OPEN, -1);
    assert_int_equal(ZEROIPC_ERROR_MMAP, -2);
    assert_int_equal(ZEROIPC_ERROR_SIZE, -3);
    assert_int_equal(ZEROIPC_ERROR_NOT_FOUND, -4);
    assert_int_equal(ZEROIPC_ERROR_TABLE_FULL, -5);
    assert_int_equal(ZEROIPC_ERROR_NAME_TOO_LONG, -6);
    assert_int_equal(ZEROIPC_ERROR_INVALID_MAGIC, -7);
    assert_int_equal(ZEROIPC_ERROR_VERSION_MISMATCH, -8);
    assert_int_equal(ZEROIPC_ERROR_ALREADY_EXISTS, -9);
    assert_int_equal(ZEROIPC_ERROR_TIMEOUT, -10);
    assert_int_equal(ZEROIPC_ERROR_CORRUPT, -11);
    assert_int_equal(ZEROIPC_ERROR_INVALID_ARGUMENT, -12);
    assert_int_equal(ZEROIPC_ERROR_WRONG_KIND, -13);
    assert_int_equal(ZEROIPC_ERROR_SYSTEM, -14);
    assert_int_equal(ZEROIPC_ERROR_CLOSED, -15);
    assert_int_equal(ZEROIPC_ERROR_ALREADY_SET, -16);
    assert_int_equal(ZEROIPC_ERROR_FAILED, -17);
}

static void test_strings_distinct(void **state)
{
    (void)state;
    const char *s[18];
    for (int c = 0; c >= -17; c--) {
        s[-c] = zeroipc_error_string((zeroipc_error_t)c);
        assert_non_null(s[-c]);
        assert_true(strlen(s[-c]) > 0);
        /* A known code is never described as unknown. */
        assert_string_not_equal(s[-c], "unknown error");
    }
    for (int i = 0; i < 18; i++)
        for (int j = i + 1; j < 18; j++)
            assert_string_not_equal(s[i], s[j]);
    /* Constant: the same pointer contents on a second call. */
    assert_string_equal(zeroipc_error_string(ZEROIPC_ERROR_SIZE), s[3]);
}

static void test_strings_unknown(void **state)
{
    (void)state;
    const int unknown[] = {1, 2, 100, -18, -19, -100, -1000, INT32_MIN,
                           INT32_MAX};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *s = zeroipc_error_string((zeroipc_error_t)unknown[i]);
        assert_non_null(s);
        assert_string_equal(s, "unknown error");
    }
}

static void test_last_error_set_by_failures(void **state)
{
    (void)state;
    UT_EXPECT_NULL(zeroipc_memory_create(NULL, 4096, 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_memory_create(ut_name("le"), 0, 4),
                   ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_memory_open(ut_name("le")), ZEROIPC_ERROR_OPEN);

    const char *name;
    zeroipc_memory_t *m = ut_seg(&name, "le", 4096, 4);
    /* A success resets it. */
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);

    UT_EXPECT_NULL(zeroipc_queue_open(m, "nope"), ZEROIPC_ERROR_NOT_FOUND);
    UT_EXPECT_NULL(zeroipc_array_create(m, "a", 0, 4), ZEROIPC_ERROR_SIZE);
    zeroipc_array_t *a = ut_keep_array(zeroipc_array_create(m, "arr", 4, 4));
    assert_non_null(a);
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_stack_open(m, "arr"), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_array_create(m, "arr", 4, 4),
                   ZEROIPC_ERROR_ALREADY_EXISTS);
    UT_EXPECT_NULL(zeroipc_stack_create(m, "0123456789012345678901234567890x",
                                        4, 4),
                   ZEROIPC_ERROR_NAME_TOO_LONG);
    UT_EXPECT_NULL(zeroipc_queue_create(NULL, "q", 4, 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);

    /* And a successful open after a failure resets it again. */
    zeroipc_memory_t *m2 = ut_open(name);
    (void)m2;
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
}

static void *other_thread(void *arg)
{
    int *out = arg;
    out[0] = (int)zeroipc_last_error(); /* fresh thread: nothing yet */
    zeroipc_memory_t *m = zeroipc_memory_open(NULL);
    out[1] = m == NULL;
    out[2] = (int)zeroipc_last_error();
    return NULL;
}

static void test_last_error_thread_local(void **state)
{
    (void)state;
    UT_EXPECT_NULL(zeroipc_memory_open(ut_name("tl")), ZEROIPC_ERROR_OPEN);
    int out[3] = {99, 0, 99};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, other_thread, out), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(out[0], ZEROIPC_OK);
    assert_int_equal(out[1], 1);
    assert_int_equal(out[2], ZEROIPC_ERROR_INVALID_ARGUMENT);
    /* The other thread's failure did not touch ours. */
    assert_int_equal(zeroipc_last_error(), ZEROIPC_ERROR_OPEN);
}

static void test_memory_error(void **state)
{
    (void)state;
    assert_int_equal(zeroipc_memory_error(NULL),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    zeroipc_memory_t *m = ut_seg(NULL, "me", 4096, 2);
    assert_int_equal(zeroipc_memory_error(m), ZEROIPC_OK);

    assert_int_equal(zeroipc_table_add(m, "x", 8, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_memory_error(m), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_add(m, "x", 8, NULL),
                     ZEROIPC_ERROR_ALREADY_EXISTS);
    assert_int_equal(zeroipc_memory_error(m), ZEROIPC_ERROR_ALREADY_EXISTS);
    assert_int_equal(zeroipc_table_find(m, "y", NULL, NULL),
                     ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_memory_error(m), ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_table_add(m, "y", 1 << 20, NULL),
                     ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_memory_error(m), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_table_add(m, "z", 8, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_add(m, "w", 8, NULL),
                     ZEROIPC_ERROR_TABLE_FULL);
    assert_int_equal(zeroipc_memory_error(m), ZEROIPC_ERROR_TABLE_FULL);

    /* Structure calls through the handle record there too. */
    UT_EXPECT_NULL(zeroipc_queue_open(m, "x"), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_memory_error(m), ZEROIPC_ERROR_WRONG_KIND);

    /* Per handle: another handle on the same segment is untouched. */
    zeroipc_memory_t *m2 = ut_open(zeroipc_memory_name(m));
    assert_int_equal(zeroipc_memory_error(m2), ZEROIPC_OK);
}

static void test_version_string(void **state)
{
    (void)state;
    assert_string_equal(ZEROIPC_VERSION_STRING, "0.1.0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UT_TEST(test_code_values),
        UT_TEST(test_strings_distinct),
        UT_TEST(test_strings_unknown),
        UT_TEST(test_last_error_set_by_failures),
        UT_TEST(test_last_error_thread_local),
        UT_TEST(test_memory_error),
        UT_TEST(test_version_string),
    };
    return UT_RUN(tests);
}
