/* test_set.c - zeroipc_set_*: layout, insert/contains/erase, iteration,
 * full sets, open checks, validate, and the public C++'s set_i32 read and
 * rewritten byte for byte. */
#include "unit_common.h"

static zeroipc_type_t ty(const char *spec)
{
    zeroipc_type_t t;
    assert_int_equal(zeroipc_type_parse(spec, strlen(spec), &t), ZEROIPC_OK);
    return t;
}

static void test_layout_ops(void **state)
{
    (void)state;
    zeroipc_type_t i32 = ty("i32"), i64 = ty("i64");
    zeroipc_map_shape_t sh;
    assert_int_equal(zeroipc_map_shape(&i32, NULL, &sh), ZEROIPC_OK);
    assert_int_equal(zeroipc_map_entry_size(&sh), 8);
    assert_int_equal(zeroipc_set_footprint(&sh, 8), 80);
    assert_int_equal(zeroipc_map_shape(&i64, NULL, &sh), ZEROIPC_OK);
    assert_int_equal(zeroipc_map_entry_size(&sh), 16);

    zeroipc_memory_t *m = ut_seg(NULL, "sop", 1 << 16, 8);
    zeroipc_set_t *s = zeroipc_set_create(m, "s", &i64, 32);
    assert_non_null(s);
    assert_int_equal(zeroipc_set_capacity(s), 32);
    assert_int_equal(zeroipc_set_elem_size(s), 8);
    size_t off, size;
    ut_find(m, "s", &off, &size);
    assert_int_equal(size, 16 + 32 * 16);
    assert_int_equal(ut_get32(m, off + 4), 32);
    assert_int_equal(ut_get32(m, off + 8), 8);
    assert_int_equal(ut_get32(m, off + 12), 0);
    for (int64_t k = -10; k < 10; k++)
        assert_int_equal(zeroipc_set_insert(s, &k), 1);
    for (int64_t k = -10; k < 10; k++)
        assert_int_equal(zeroipc_set_insert(s, &k), 0);
    assert_int_equal(zeroipc_set_size(s), 20);
    for (int64_t k = -10; k < 10; k += 3)
        assert_int_equal(zeroipc_set_erase(s, &k), ZEROIPC_OK);
    int64_t k = -10;
    assert_int_equal(zeroipc_set_erase(s, &k), ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_set_size(s), 13);
    for (k = -10; k < 10; k++)
        assert_int_equal(zeroipc_set_contains(s, &k), (k + 10) % 3 != 0);
    size_t cursor = 0, n = 0;
    int64_t e;
    while (zeroipc_set_next(s, &cursor, &e) == ZEROIPC_OK) {
        assert_true(e >= -10 && e < 10 && (e + 10) % 3 != 0);
        n++;
    }
    assert_int_equal(n, 13);
    /* Full. */
    for (k = 100; zeroipc_set_size(s) < 32; k++)
        assert_int_equal(zeroipc_set_insert(s, &k), 1);
    assert_int_equal(zeroipc_set_insert(s, &k), ZEROIPC_ERROR_SIZE);
    k = 100;
    assert_int_equal(zeroipc_set_insert(s, &k), 0);
    /* Corrupt state. */
    for (size_t i = 0; i < 32; i++)
        ut_set32(m, off + 16 + 16 * i, 9);
    assert_int_equal(zeroipc_set_insert(s, &k), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_set_contains(s, &k), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_set_erase(s, &k), ZEROIPC_ERROR_CORRUPT);
    cursor = 0;
    assert_int_equal(zeroipc_set_next(s, &cursor, NULL), ZEROIPC_ERROR_CORRUPT);
    /* NULLs. */
    assert_int_equal(zeroipc_set_insert(NULL, &k), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_set_insert(s, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_set_contains(s, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_set_erase(NULL, &k), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_set_next(s, NULL, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_set_size(NULL), 0);
    assert_int_equal(zeroipc_set_capacity(NULL), 0);
    assert_int_equal(zeroipc_set_elem_size(NULL), 0);
    zeroipc_set_close(NULL);
    zeroipc_set_close(s);
}

static void test_errors(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "ser", 8192, 8);
    zeroipc_type_t i32 = ty("i32"), i64 = ty("i64"), f64 = ty("f64");
    UT_EXPECT_NULL(zeroipc_set_create(NULL, "x", &i32, 4), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_set_create(m, "x", NULL, 4), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_set_create(m, "x", &i32, 0), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_set_create(m, "x", &i32, 100000), ZEROIPC_ERROR_SIZE);
    zeroipc_map_shape_t sh = {4, 4, 4, 4, ZEROIPC_HASH_SIGNED}; /* a map's */
    UT_EXPECT_NULL(zeroipc_set_create_shape(m, "x", &sh, 4), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_set_footprint(&sh, 4), 0);
    assert_int_equal(zeroipc_table_count(m), 0);
    zeroipc_set_t *s = zeroipc_set_create(m, "s", &i32, 4);
    assert_non_null(s);
    zeroipc_set_close(s);
    s = zeroipc_set_open(m, "s", &i32);
    assert_non_null(s);
    zeroipc_set_close(s);
    UT_EXPECT_NULL(zeroipc_set_open(m, "s", &i64), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_set_open(m, "nope", &i32), ZEROIPC_ERROR_NOT_FOUND);
    UT_EXPECT_NULL(zeroipc_set_open(m, "s", NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_set_open_shape(m, "s", &sh), ZEROIPC_ERROR_INVALID_ARGUMENT);
    /* A map is not a set, nor a set a map. */
    zeroipc_map_t *mp = zeroipc_map_create(m, "m", &i32, &f64, 4);
    assert_non_null(mp);
    zeroipc_map_close(mp);
    UT_EXPECT_NULL(zeroipc_set_open(m, "m", &i32), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_map_open(m, "s", &i32, &i32), ZEROIPC_ERROR_WRONG_KIND);
    size_t off, size;
    ut_find(m, "s", &off, &size);
    assert_int_equal(zeroipc_set_validate(ut_at(m, off), size, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_map_validate(ut_at(m, off), size, NULL), ZEROIPC_ERROR_WRONG_KIND);
    ut_set32(m, off + 12, 1); /* reserved must be 0 */
    assert_int_equal(zeroipc_set_validate(ut_at(m, off), size, NULL), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_set_open(m, "s", &i32), ZEROIPC_ERROR_WRONG_KIND);
    ut_set32(m, off + 12, 0);
    ut_set32(m, off + 4, 0);
    UT_EXPECT_NULL(zeroipc_set_open(m, "s", &i32), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_set_validate(NULL, 48, NULL), ZEROIPC_ERROR_WRONG_KIND);
}

#define VEC_SIZE 262144
#define SET_OFF 3640
#define SET_SIZE 80

static int vec_path(char *path, size_t n)
{
    const char *dir = getenv("ZEROIPC_VECTORS");
    if (dir == NULL || *dir == '\0')
        return -1;
    snprintf(path, n, "%s/cpp_all.seg", dir);
    return access(path, R_OK);
}

static void test_vector(void **state)
{
    (void)state;
    char path[4096], name[ZT_NAME_MAX];
    if (vec_path(path, sizeof path) != 0)
        skip();
    zeroipc_type_t i32 = ty("i32");
    /* Read the C++'s set. */
    assert_int_equal(zt_copy_to_shm(path, name, "svr"), 0);
    zeroipc_memory_t *m = ut_open(ut_keep_name(name));
    zeroipc_set_t *s = zeroipc_set_open(m, "set_i32", &i32);
    assert_non_null(s);
    assert_int_equal(zeroipc_set_size(s), 3);
    assert_int_equal(zeroipc_set_capacity(s), 8);
    const int32_t members[] = {42, 3, 11}; /* slots 2, 3, 4 */
    size_t cursor = 0;
    for (int i = 0; i < 3; i++) {
        int32_t e;
        assert_int_equal(zeroipc_set_contains(s, &members[i]), 1);
        assert_int_equal(zeroipc_set_next(s, &cursor, &e), ZEROIPC_OK);
        assert_int_equal(e, members[i]);
    }
    assert_int_equal(zeroipc_set_next(s, &cursor, NULL), ZEROIPC_ERROR_NOT_FOUND);
    int32_t x = 4;
    assert_int_equal(zeroipc_set_contains(s, &x), 0);
    zeroipc_set_close(s);

    /* Write it again: same offset, same bytes. */
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *file = malloc(VEC_SIZE);
    assert_non_null(file);
    assert_int_equal(fread(file, 1, VEC_SIZE, f), VEC_SIZE);
    fclose(f);
    zeroipc_memory_t *w = ut_seg(NULL, "svw", VEC_SIZE, 64);
    const char *before[] = {"arr_f32", "q_i32", "stk_i32", "ring_i32", "map_i32_f64"};
    const size_t sizes[] = {32, 80, 64, 88, 272};
    size_t off, size;
    for (int i = 0; i < 5; i++)
        assert_int_equal(zeroipc_table_add(w, before[i], sizes[i], &off), ZEROIPC_OK);
    s = zeroipc_set_create(w, "set_i32", &i32, 8);
    assert_non_null(s);
    ut_find(w, "set_i32", &off, &size);
    assert_int_equal(off, SET_OFF);
    assert_int_equal(size, SET_SIZE);
    int32_t ops[] = {3, 11, 42, 3};
    int want[] = {1, 1, 1, 0};
    for (int i = 0; i < 4; i++)
        assert_int_equal(zeroipc_set_insert(s, &ops[i]), want[i]);
    assert_memory_equal(ut_at(w, off), file + SET_OFF, SET_SIZE);
    zeroipc_set_close(s);
    free(file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UT_TEST(test_layout_ops),
        UT_TEST(test_errors),
        UT_TEST(test_vector),
    };
    return UT_RUN(tests);
}
