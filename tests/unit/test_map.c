/* test_map.c - zeroipc_map_*: layout, hashes, insert/update/find/erase,
 * probing past tombstones, full maps, iteration, INSERTING slots left by a
 * dead peer, corrupt states, open checks, validate, footprint, and the
 * public C++'s map_i32_f64 read and rewritten byte for byte. */
#include <time.h>

#include "unit_common.h"

static zeroipc_type_t ty(const char *spec)
{
    zeroipc_type_t t;
    assert_int_equal(zeroipc_type_parse(spec, strlen(spec), &t), ZEROIPC_OK);
    return t;
}

static zeroipc_map_t *mkmap(zeroipc_memory_t *m, const char *name, const char *k,
                            const char *v, size_t cap)
{
    zeroipc_type_t kt = ty(k), vt = ty(v);
    zeroipc_map_t *map = zeroipc_map_create(m, name, &kt, &vt, cap);
    assert_non_null(map);
    return map;
}

static zeroipc_map_t *openmap(zeroipc_memory_t *m, const char *name, const char *k,
                              const char *v)
{
    zeroipc_type_t kt = ty(k), vt = ty(v);
    return zeroipc_map_open(m, name, &kt, &vt);
}

static size_t stride(const char *k, const char *v)
{
    zeroipc_type_t kt = ty(k), vt = ty(v);
    zeroipc_map_shape_t sh;
    assert_int_equal(zeroipc_map_shape(&kt, &vt, &sh), ZEROIPC_OK);
    return zeroipc_map_entry_size(&sh);
}

static void test_layout(void **state)
{
    (void)state;
    /* FORMAT.md's examples, and a few more C structs. */
    assert_int_equal(stride("i32", "i32"), 12);
    assert_int_equal(stride("i32", "f64"), 16);
    assert_int_equal(stride("i64", "i32"), 24);
    assert_int_equal(stride("u8", "u8"), 8);
    assert_int_equal(stride("u8", "u16"), 8);
    assert_int_equal(stride("str5", "u8"), 12);
    assert_int_equal(stride("i16", "f64"), 16);
    assert_int_equal(stride("bytes24", "f32,f32,u64"), 48);

    zeroipc_memory_t *m = ut_seg(NULL, "mly", 1 << 16, 8);
    zeroipc_map_t *a = mkmap(m, "a", "i64", "i32", 5);
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
    assert_int_equal(zeroipc_map_capacity(a), 5);
    assert_int_equal(zeroipc_map_key_size(a), 8);
    assert_int_equal(zeroipc_map_value_size(a), 4);
    assert_int_equal(zeroipc_map_size(a), 0);
    size_t off, size;
    ut_find(m, "a", &off, &size);
    assert_int_equal(size, 16 + 5 * 24);
    assert_int_equal(ut_get32(m, off + 0), 0);
    assert_int_equal(ut_get32(m, off + 4), 5);
    assert_int_equal(ut_get32(m, off + 8), 8);
    assert_int_equal(ut_get32(m, off + 12), 4);
    for (size_t i = 16; i < size; i++)
        assert_int_equal(*ut_at(m, off + i), 0);
    /* key 2: home 2 * 2654435761 % 5 = 2; key at 8, value at 16. */
    int64_t k = 2;
    int32_t v = -7;
    assert_int_equal(zeroipc_map_insert(a, &k, &v), 1);
    size_t e = off + 16 + 2 * 24;
    assert_int_equal(ut_get32(m, e), ZEROIPC_MAP_OCCUPIED);
    assert_int_equal(ut_get64(m, e + 8), 2);
    assert_int_equal((int32_t)ut_get32(m, e + 16), -7);
    assert_int_equal(ut_get32(m, off), 1);
    zeroipc_map_shape_t sh;
    assert_int_equal(zeroipc_map_get_shape(a, &sh), ZEROIPC_OK);
    assert_int_equal(sh.key_hash, ZEROIPC_HASH_SIGNED);
    assert_int_equal(zeroipc_map_footprint(&sh, 5), size);
    zeroipc_map_close(a);
}

static void test_hashes(void **state)
{
    (void)state;
    zeroipc_type_t f64 = ty("f64"), f32 = ty("f32"), i32 = ty("i32"), u32 = ty("u32"),
                   i8 = ty("i8"), rec = ty("i32,i32");
    zeroipc_map_shape_t sh;
    double d = 1.5;
    float f = 1.5f;
    assert_int_equal(zeroipc_map_shape(&f64, &i32, &sh), ZEROIPC_OK);
    assert_int_equal(sh.key_hash, ZEROIPC_HASH_BYTES);
    assert_true(zeroipc_map_hash(&sh, &d) == UINT64_C(4982507072649106663));
    assert_int_equal(zeroipc_map_shape(&f32, NULL, &sh), ZEROIPC_OK);
    assert_true(zeroipc_map_hash(&sh, &f) == UINT64_C(6335102473512021944));
    /* Integers: sign-extended when signed, times 2654435761 mod 2^64. */
    int32_t m3 = -3;
    uint32_t big = 0xFFFFFFFDu;
    int8_t m1 = -1;
    assert_int_equal(zeroipc_map_shape(&i32, NULL, &sh), ZEROIPC_OK);
    assert_int_equal(sh.key_hash, ZEROIPC_HASH_SIGNED);
    assert_true(zeroipc_map_hash(&sh, &m3) == (uint64_t)-3 * UINT64_C(2654435761));
    assert_int_equal(zeroipc_map_shape(&u32, NULL, &sh), ZEROIPC_OK);
    assert_int_equal(sh.key_hash, ZEROIPC_HASH_UNSIGNED);
    assert_true(zeroipc_map_hash(&sh, &big) == (uint64_t)0xFFFFFFFDu * UINT64_C(2654435761));
    assert_int_equal(zeroipc_map_shape(&i8, NULL, &sh), ZEROIPC_OK);
    assert_true(zeroipc_map_hash(&sh, &m1) == (uint64_t)-1 * UINT64_C(2654435761));
    /* A record hashes as bytes, even of integers. */
    assert_int_equal(zeroipc_map_shape(&rec, NULL, &sh), ZEROIPC_OK);
    assert_int_equal(sh.key_hash, ZEROIPC_HASH_BYTES);
    assert_true(zeroipc_map_hash(NULL, &d) == 0);

    /* And the home slot is that hash modulo the capacity. */
    zeroipc_memory_t *m = ut_seg(NULL, "mhs", 1 << 16, 8);
    zeroipc_map_t *a = mkmap(m, "f", "f64", "i32", 1009);
    zeroipc_map_t *b = mkmap(m, "g", "f32", "i32", 1013);
    int32_t v = 5;
    assert_int_equal(zeroipc_map_insert(a, &d, &v), 1);
    assert_int_equal(zeroipc_map_insert(b, &f, &v), 1);
    size_t off;
    ut_find(m, "f", &off, NULL);
    size_t slot = (size_t)(UINT64_C(4982507072649106663) % 1009);
    assert_int_equal(ut_get32(m, off + 16 + 24 * slot), ZEROIPC_MAP_OCCUPIED); /* f64 -> i32: 24 B */
    ut_find(m, "g", &off, NULL);
    slot = (size_t)(UINT64_C(6335102473512021944) % 1013);
    assert_int_equal(ut_get32(m, off + 16 + 12 * slot), ZEROIPC_MAP_OCCUPIED);
    zeroipc_map_close(a);
    zeroipc_map_close(b);
}

static void test_operations(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "mop", 1 << 16, 8);
    zeroipc_map_t *a = mkmap(m, "a", "i32", "f64", 64);
    for (int32_t k = 0; k < 40; k++) {
        double v = k * 1.25;
        assert_int_equal(zeroipc_map_insert(a, &k, &v), 1);
        assert_int_equal(zeroipc_map_size(a), (size_t)k + 1);
    }
    for (int32_t k = 0; k < 40; k++) {
        double v = -1;
        assert_int_equal(zeroipc_map_find(a, &k, &v), ZEROIPC_OK);
        assert_true(v == k * 1.25);
        assert_int_equal(zeroipc_map_contains(a, &k), 1);
    }
    int32_t k = 7;
    double v = 99.5, out = 0;
    assert_int_equal(zeroipc_map_insert(a, &k, &v), 0); /* update */
    assert_int_equal(zeroipc_map_size(a), 40);
    assert_int_equal(zeroipc_map_find(a, &k, &out), ZEROIPC_OK);
    assert_true(out == 99.5);
    assert_int_equal(zeroipc_map_find(a, &k, NULL), ZEROIPC_OK);
    k = 1000;
    assert_int_equal(zeroipc_map_find(a, &k, &out), ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_map_contains(a, &k), 0);
    assert_int_equal(zeroipc_map_erase(a, &k), ZEROIPC_ERROR_NOT_FOUND);
    for (k = 0; k < 40; k += 2)
        assert_int_equal(zeroipc_map_erase(a, &k), ZEROIPC_OK);
    assert_int_equal(zeroipc_map_size(a), 20);
    k = 0;
    assert_int_equal(zeroipc_map_erase(a, &k), ZEROIPC_ERROR_NOT_FOUND);
    for (k = 0; k < 40; k++)
        assert_int_equal(zeroipc_map_contains(a, &k), k % 2);

    /* Iteration: every odd key once, in slot order, then the end. */
    size_t cursor = 0, n = 0;
    uint64_t seen = 0;
    int32_t key;
    int r;
    while ((r = zeroipc_map_next(a, &cursor, &key, &out)) == ZEROIPC_OK) {
        assert_true(key >= 0 && key < 40 && key % 2 == 1);
        assert_true(out == (key == 7 ? 99.5 : key * 1.25));
        assert_false(seen & (UINT64_C(1) << key));
        seen |= UINT64_C(1) << key;
        n++;
    }
    assert_int_equal(r, ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(n, 20);
    assert_int_equal(cursor, 64);
    assert_int_equal(zeroipc_map_next(a, &cursor, NULL, NULL), ZEROIPC_ERROR_NOT_FOUND);
    cursor = 1000;
    assert_int_equal(zeroipc_map_next(a, &cursor, NULL, NULL), ZEROIPC_ERROR_NOT_FOUND);

    /* A second handle, as another process would open it, sees the same. */
    zeroipc_map_t *b = openmap(m, "a", "i32", "f64");
    assert_non_null(b);
    k = 7;
    assert_int_equal(zeroipc_map_find(b, &k, &out), ZEROIPC_OK);
    assert_true(out == 99.5);
    assert_int_equal(zeroipc_map_size(b), 20);

    /* NULL arguments. */
    assert_int_equal(zeroipc_map_insert(NULL, &k, &v), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_map_insert(a, NULL, &v), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_map_insert(a, &k, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_map_find(NULL, &k, &v), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_map_find(a, NULL, &v), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_map_contains(a, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_map_erase(NULL, &k), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_map_erase(a, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_map_next(NULL, &cursor, NULL, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_map_next(a, NULL, NULL, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_map_size(NULL), 0);
    assert_int_equal(zeroipc_map_capacity(NULL), 0);
    assert_int_equal(zeroipc_map_key_size(NULL), 0);
    assert_int_equal(zeroipc_map_value_size(NULL), 0);
    zeroipc_map_shape_t sh;
    assert_int_equal(zeroipc_map_get_shape(NULL, &sh), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_map_get_shape(a, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    zeroipc_map_close(NULL);
    zeroipc_map_close(a);
    zeroipc_map_close(b);
}

/* Keys 1, 17, 33, 49 share home slot 1 of 16 (2654435761 % 16 == 1). */
static void test_chains_and_tombstones(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "mch", 1 << 16, 8);
    zeroipc_map_t *a = mkmap(m, "a", "i32", "i32", 16);
    size_t off;
    ut_find(m, "a", &off, NULL);
    int32_t keys[] = {1, 17, 33, 49};
    for (int i = 0; i < 4; i++) {
        int32_t v = 100 + i;
        assert_int_equal(zeroipc_map_insert(a, &keys[i], &v), 1);
        assert_int_equal(ut_get32(m, off + 16 + 12 * (1 + (size_t)i) + 4), (uint32_t)keys[i]);
    }
    /* Erase 17 (slot 2): a tombstone with its bytes in place; 33 and 49
     * stay reachable past it. */
    assert_int_equal(zeroipc_map_erase(a, &keys[1]), ZEROIPC_OK);
    assert_int_equal(ut_get32(m, off + 16 + 12 * 2), ZEROIPC_MAP_DELETED);
    assert_int_equal(ut_get32(m, off + 16 + 12 * 2 + 4), 17);
    int32_t out;
    assert_int_equal(zeroipc_map_find(a, &keys[3], &out), ZEROIPC_OK);
    assert_int_equal(out, 103);
    /* Inserting 49 again must update it in slot 4, not reuse the
     * tombstone in front of it (which would make two 49s). */
    int32_t v = 500;
    assert_int_equal(zeroipc_map_insert(a, &keys[3], &v), 0);
    assert_int_equal(ut_get32(m, off + 16 + 12 * 2), ZEROIPC_MAP_DELETED);
    assert_int_equal(ut_get32(m, off + 16 + 12 * 4 + 8), 500);
    assert_int_equal(zeroipc_map_size(a), 3);
    /* A new key of the chain takes the first tombstone. */
    int32_t k65 = 65;
    v = 650;
    assert_int_equal(zeroipc_map_insert(a, &k65, &v), 1);
    assert_int_equal(ut_get32(m, off + 16 + 12 * 2), ZEROIPC_MAP_OCCUPIED);
    assert_int_equal(ut_get32(m, off + 16 + 12 * 2 + 4), 65);
    size_t n = 0, cursor = 0;
    while (zeroipc_map_next(a, &cursor, NULL, NULL) == ZEROIPC_OK)
        n++;
    assert_int_equal(n, 4);
    assert_int_equal(zeroipc_map_size(a), 4);
    zeroipc_map_close(a);
}

static void test_full(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "mfu", 1 << 16, 8);
    zeroipc_map_t *a = mkmap(m, "a", "u64", "u8", 4);
    for (uint64_t k = 0; k < 4; k++) {
        uint8_t v = (uint8_t)k;
        assert_int_equal(zeroipc_map_insert(a, &k, &v), 1);
    }
    uint64_t k = 4;
    uint8_t v = 4;
    assert_int_equal(zeroipc_map_insert(a, &k, &v), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_map_insert(a, &k, &v), -3);
    assert_int_equal(zeroipc_map_size(a), 4);
    /* Updating in a full map works; lookups of absent keys end. */
    k = 2;
    v = 22;
    assert_int_equal(zeroipc_map_insert(a, &k, &v), 0);
    k = 77;
    assert_int_equal(zeroipc_map_find(a, &k, &v), ZEROIPC_ERROR_NOT_FOUND);
    /* All tombstones: every probe sequence still ends. */
    for (k = 0; k < 4; k++)
        assert_int_equal(zeroipc_map_erase(a, &k), ZEROIPC_OK);
    assert_int_equal(zeroipc_map_size(a), 0);
    k = 77;
    assert_int_equal(zeroipc_map_find(a, &k, &v), ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_map_erase(a, &k), ZEROIPC_ERROR_NOT_FOUND);
    size_t cursor = 0;
    assert_int_equal(zeroipc_map_next(a, &cursor, NULL, NULL), ZEROIPC_ERROR_NOT_FOUND);
    for (k = 10; k < 14; k++)
        assert_int_equal(zeroipc_map_insert(a, &k, &v), 1);
    assert_int_equal(zeroipc_map_insert(a, &k, &v), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_map_size(a), 4);
    zeroipc_map_close(a);
}

/* A slot left INSERTING by a peer that died: lookups pass over it, and an
 * insert that needs to know what it holds waits one claim time, then
 * buries it (a tombstone) and goes on. */
static void test_dead_inserter(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "mdi", 1 << 16, 8);
    zeroipc_map_t *a = mkmap(m, "a", "i32", "i32", 16);
    size_t off;
    ut_find(m, "a", &off, NULL);
    int32_t k1 = 1, k17 = 17, v = 1;
    assert_int_equal(zeroipc_map_insert(a, &k1, &v), 1);
    assert_int_equal(zeroipc_map_insert(a, &k17, &v), 1); /* slot 2 */
    ut_set32(m, off + 16 + 12 * 1, ZEROIPC_MAP_INSERTING); /* slot 1 */
    /* find and erase skip it; 17 is still found past it. */
    assert_int_equal(zeroipc_map_find(a, &k17, &v), ZEROIPC_OK);
    assert_int_equal(zeroipc_map_find(a, &k1, &v), ZEROIPC_ERROR_NOT_FOUND);
    size_t cursor = 0, n = 0;
    while (zeroipc_map_next(a, &cursor, NULL, NULL) == ZEROIPC_OK)
        n++;
    assert_int_equal(n, 1);
    /* Updating 17 needs no wait. */
    v = 2;
    assert_int_equal(zeroipc_map_insert(a, &k17, &v), 0);
    /* Inserting 33 (home 1) claims slot 3 and must then know whether
     * slot 1 holds 33 too: it waits one claim time, buries slot 1 and
     * inserts. */
    int32_t k33 = 33;
    int64_t t0 = zt_now_ms();
    assert_int_equal(zeroipc_map_insert(a, &k33, &v), 1);
    int64_t dt = zt_now_ms() - t0;
    assert_true(dt >= ZEROIPC_MAP_CLAIM_MS - 50 && dt < 5 * ZEROIPC_MAP_CLAIM_MS);
    assert_int_equal(zeroipc_map_contains(a, &k33), 1);
    assert_int_equal(zeroipc_map_size(a), 3);
    /* The buried slot was the first free one of 33's chain: 33 is there. */
    assert_int_equal(ut_get32(m, off + 16 + 12 * 1), ZEROIPC_MAP_OCCUPIED);
    int32_t key_there;
    memcpy(&key_there, ut_at(m, off + 16 + 12 * 1 + 4), 4);
    assert_int_equal(key_there, 33);
    /* The next insert through that chain does not wait. */
    int32_t k49 = 49;
    t0 = zt_now_ms();
    assert_int_equal(zeroipc_map_insert(a, &k49, &v), 1);
    assert_true(zt_now_ms() - t0 < ZEROIPC_MAP_CLAIM_MS / 2);
    assert_int_equal(zeroipc_map_contains(a, &k1), 0); /* the dead insert's */
    assert_int_equal(zeroipc_map_size(a), 4);
    zeroipc_map_close(a);
}

static void test_corrupt_state(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "mcs", 1 << 16, 8);
    zeroipc_map_t *a = mkmap(m, "a", "i32", "i32", 16);
    size_t off;
    ut_find(m, "a", &off, NULL);
    int32_t k = 1, v = 1;
    ut_set32(m, off + 16 + 12 * 1, 7);
    assert_int_equal(zeroipc_map_insert(a, &k, &v), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_map_find(a, &k, &v), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_map_erase(a, &k), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_map_contains(a, &k), ZEROIPC_ERROR_CORRUPT);
    size_t cursor = 0;
    assert_int_equal(zeroipc_map_next(a, &cursor, NULL, NULL), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(cursor, 1);
    /* Other chains are unaffected. */
    k = 2;
    assert_int_equal(zeroipc_map_insert(a, &k, &v), 1);
    /* A garbage size is never used as a bound. */
    ut_set32(m, off, 0xFFFFFFF0u);
    assert_int_equal(zeroipc_map_size(a), 16);
    /* Every slot garbage-but-valid (all DELETED or INSERTING): every
     * operation ends. */
    for (size_t i = 0; i < 16; i++)
        ut_set32(m, off + 16 + 12 * i, i % 2 ? ZEROIPC_MAP_DELETED : ZEROIPC_MAP_INSERTING);
    k = 5;
    assert_int_equal(zeroipc_map_find(a, &k, &v), ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_map_erase(a, &k), ZEROIPC_ERROR_NOT_FOUND);
    for (size_t i = 0; i < 16; i++)
        ut_set32(m, off + 16 + 12 * i, ZEROIPC_MAP_OCCUPIED);
    k = 1000;
    assert_int_equal(zeroipc_map_insert(a, &k, &v), ZEROIPC_ERROR_SIZE);
    zeroipc_map_close(a);
}

static void test_create_open_errors(void **state)
{
    (void)state;
    const char *seg;
    zeroipc_memory_t *m = ut_seg(&seg, "mer", 8192, 8);
    zeroipc_type_t i32 = ty("i32"), f64 = ty("f64"), b8 = ty("bytes8"), i64 = ty("i64");
    zeroipc_type_t bad = i32;
    bad.align = 3;
    UT_EXPECT_NULL(zeroipc_map_create(NULL, "x", &i32, &f64, 4), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_map_create(m, "x", NULL, &f64, 4), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_map_create(m, "x", &i32, NULL, 4), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_map_create(m, "x", &bad, &f64, 4), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_map_create(m, "x", &i32, &f64, 0), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_map_create(m, "x", &i32, &f64, (size_t)UINT32_MAX + 1),
                   ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_map_create(m, "x", &i32, &f64, 100000), ZEROIPC_ERROR_SIZE);
    char longname[40];
    UT_EXPECT_NULL(zeroipc_map_create(m, ut_len_name(longname, 32, 'n'), &i32, &f64, 4),
                   ZEROIPC_ERROR_NAME_TOO_LONG);
    zeroipc_map_shape_t sh = {4, 4, 8, 8, 3};
    UT_EXPECT_NULL(zeroipc_map_create_shape(m, "x", &sh, 4), ZEROIPC_ERROR_INVALID_ARGUMENT);
    sh.key_hash = ZEROIPC_HASH_SIGNED;
    sh.key_size = 3;
    sh.key_align = 1;
    UT_EXPECT_NULL(zeroipc_map_create_shape(m, "x", &sh, 4), ZEROIPC_ERROR_INVALID_ARGUMENT);
    sh = (zeroipc_map_shape_t){4, 4, 0, 1, 1}; /* a set's shape */
    UT_EXPECT_NULL(zeroipc_map_create_shape(m, "x", &sh, 4), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_map_create_shape(m, "x", NULL, 4), ZEROIPC_ERROR_INVALID_ARGUMENT);
    /* Nothing was allocated by the failures. */
    assert_int_equal(zeroipc_table_count(m), 0);

    zeroipc_map_t *a = zeroipc_map_create(m, "a", &i32, &f64, 4);
    assert_non_null(a);
    UT_EXPECT_NULL(zeroipc_map_create(m, "a", &i32, &f64, 4), ZEROIPC_ERROR_ALREADY_EXISTS);
    /* Open: the same types; other sizes or alignments are another kind. */
    zeroipc_map_t *b = zeroipc_map_open(m, "a", &i32, &f64);
    assert_non_null(b);
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
    zeroipc_map_close(b);
    UT_EXPECT_NULL(zeroipc_map_open(m, "a", &i64, &f64), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_map_open(m, "a", &i32, &i32), ZEROIPC_ERROR_WRONG_KIND);
    /* bytes8 values in i32 -> f64 entries: the same stride (16), so the
     * same bytes; but bytes8 keys are 1-aligned where i64 keys are not. */
    b = zeroipc_map_open(m, "a", &i32, &b8);
    assert_non_null(b);
    zeroipc_map_close(b);
    zeroipc_map_t *c = zeroipc_map_create(m, "c", &i64, &i32, 4);
    assert_non_null(c);
    zeroipc_map_close(c);
    UT_EXPECT_NULL(zeroipc_map_open(m, "c", &b8, &i32), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_map_open(m, "nope", &i32, &f64), ZEROIPC_ERROR_NOT_FOUND);
    UT_EXPECT_NULL(zeroipc_map_open(NULL, "a", &i32, &f64), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_map_open(m, "a", NULL, &f64), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_map_open(m, "a", &i32, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_map_open_shape(m, "a", NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    /* Not a map: a queue, and a corrupt header. */
    zeroipc_queue_t *q = zeroipc_queue_create(m, "q", 4, 4);
    assert_non_null(q);
    zeroipc_queue_close(q);
    UT_EXPECT_NULL(zeroipc_map_open(m, "q", &i32, &f64), ZEROIPC_ERROR_WRONG_KIND);
    size_t off, size;
    ut_find(m, "a", &off, &size);
    ut_set32(m, off + 4, 0); /* capacity 0 */
    UT_EXPECT_NULL(zeroipc_map_open(m, "a", &i32, &f64), ZEROIPC_ERROR_WRONG_KIND);
    ut_set32(m, off + 4, 5); /* a capacity the size does not fit */
    UT_EXPECT_NULL(zeroipc_map_open(m, "a", &i32, &f64), ZEROIPC_ERROR_WRONG_KIND);
    ut_set32(m, off + 4, 0xFFFFFFFFu);
    UT_EXPECT_NULL(zeroipc_map_open(m, "a", &i32, &f64), ZEROIPC_ERROR_WRONG_KIND);
    ut_set32(m, off + 4, 4);
    b = zeroipc_map_open(m, "a", &i32, &f64);
    assert_non_null(b);
    zeroipc_map_close(b);
    zeroipc_map_close(a);
}

static void test_validate_footprint(void **state)
{
    (void)state;
    zeroipc_map_shape_t sh = {4, 4, 8, 8, ZEROIPC_HASH_SIGNED};
    assert_int_equal(zeroipc_map_footprint(&sh, 16), 272);
    assert_int_equal(zeroipc_map_footprint(&sh, 0), 0);
    assert_int_equal(zeroipc_map_footprint(&sh, (size_t)UINT32_MAX + 1), 0);
    assert_int_equal(zeroipc_map_footprint(NULL, 4), 0);
    assert_int_equal(zeroipc_map_entry_size(NULL), 0);
    uint32_t hdr[4 + 4 * 4] = {0, 4, 4, 8};
    assert_int_equal(zeroipc_map_validate(hdr, 16 + 64, &sh), ZEROIPC_OK);
    assert_int_equal(zeroipc_map_validate(hdr, 16 + 64, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_map_validate(hdr, 16 + 48, NULL), ZEROIPC_ERROR_WRONG_KIND);
    /* i64 -> i32 is 24 B; with a 1-aligned 8-byte key (bytes8) 16 B. */
    uint32_t h2[4 + 4 * 6] = {0, 4, 8, 4};
    zeroipc_map_shape_t s2 = {8, 8, 4, 4, ZEROIPC_HASH_SIGNED};
    assert_int_equal(zeroipc_map_validate(h2, 16 + 96, &s2), ZEROIPC_OK);
    assert_int_equal(zeroipc_map_validate(h2, 16 + 96, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_map_validate(h2, 16 + 64, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_map_validate(h2, 16 + 64, &s2), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_map_validate(h2, 16 + 80, NULL), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_map_validate(hdr, 16 + 60, NULL), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_map_validate(hdr, 8, NULL), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_map_validate(NULL, 80, NULL), ZEROIPC_ERROR_WRONG_KIND);
    hdr[3] = 0; /* a set's header is not a map */
    assert_int_equal(zeroipc_map_validate(hdr, 16 + 32, NULL), ZEROIPC_ERROR_WRONG_KIND);
    hdr[3] = 8;
    hdr[1] = 0;
    assert_int_equal(zeroipc_map_validate(hdr, 16, NULL), ZEROIPC_ERROR_WRONG_KIND);
}

/* Keys and values of other types: strings, records, wide values. */
static void test_other_types(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "mot", 1 << 16, 8);
    zeroipc_map_t *a = mkmap(m, "a", "str16", "bytes24", 32);
    char key[16];
    uint8_t val[24], out[24];
    for (int i = 0; i < 20; i++) {
        memset(key, 0, sizeof key);
        snprintf(key, sizeof key, "name-%d", i);
        memset(val, i, sizeof val);
        assert_int_equal(zeroipc_map_insert(a, key, val), 1);
    }
    memset(key, 0, sizeof key);
    strcpy(key, "name-13");
    assert_int_equal(zeroipc_map_find(a, key, out), ZEROIPC_OK);
    memset(val, 13, sizeof val);
    assert_memory_equal(out, val, 24);
    memset(val, 0xAB, sizeof val);
    assert_int_equal(zeroipc_map_insert(a, key, val), 0);
    assert_int_equal(zeroipc_map_find(a, key, out), ZEROIPC_OK);
    assert_memory_equal(out, val, 24);
    assert_int_equal(zeroipc_map_size(a), 20);

    /* A raw shape: 2-byte unsigned keys, 1-aligned 3-byte values. */
    zeroipc_map_shape_t sh = {2, 2, 3, 1, ZEROIPC_HASH_UNSIGNED};
    assert_int_equal(zeroipc_map_entry_size(&sh), 12);
    zeroipc_map_t *r = zeroipc_map_create_shape(m, "r", &sh, 7);
    assert_non_null(r);
    uint16_t k = 65535;
    uint8_t v3[3] = {1, 2, 3}, o3[3];
    assert_int_equal(zeroipc_map_insert(r, &k, v3), 1);
    zeroipc_map_t *r2 = zeroipc_map_open_shape(m, "r", &sh);
    assert_non_null(r2);
    assert_int_equal(zeroipc_map_find(r2, &k, o3), ZEROIPC_OK);
    assert_memory_equal(o3, v3, 3);
    size_t off;
    ut_find(m, "r", &off, NULL);
    size_t slot = (size_t)((uint64_t)65535 * UINT64_C(2654435761) % 7);
    assert_int_equal(ut_get32(m, off + 16 + 12 * slot), ZEROIPC_MAP_OCCUPIED);
    zeroipc_map_close(r2);
    zeroipc_map_close(r);
    zeroipc_map_close(a);
}

/* ------------------------------------------------------------------ */
/* The public C++'s map_i32_f64 (MANIFEST.md). */

#define VEC_SIZE 262144
#define MAP_OFF 3368
#define MAP_SIZE 272

static uint8_t *load_vector(size_t *len)
{
    const char *dir = getenv("ZEROIPC_VECTORS");
    if (dir == NULL || *dir == '\0')
        return NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/cpp_all.seg", dir);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    uint8_t *buf = malloc(VEC_SIZE);
    assert_non_null(buf);
    *len = fread(buf, 1, VEC_SIZE, f);
    fclose(f);
    return buf;
}

static void test_vector_read(void **state)
{
    (void)state;
    size_t len;
    uint8_t *file = load_vector(&len);
    if (file == NULL)
        skip();
    free(file);
    char path[4096], name[ZT_NAME_MAX];
    snprintf(path, sizeof path, "%s/cpp_all.seg", getenv("ZEROIPC_VECTORS"));
    assert_int_equal(zt_copy_to_shm(path, name, "mvr"), 0);
    zeroipc_memory_t *m = ut_open(ut_keep_name(name));
    zeroipc_map_t *a = openmap(m, "map_i32_f64", "i32", "f64");
    assert_non_null(a);
    assert_int_equal(zeroipc_map_capacity(a), 16);
    assert_int_equal(zeroipc_map_size(a), 3);
    const int32_t keys[] = {-3, 1, 17};
    const double vals[] = {-3.75, 9.5, 17.25};
    for (int i = 0; i < 3; i++) {
        double v;
        assert_int_equal(zeroipc_map_find(a, &keys[i], &v), ZEROIPC_OK);
        assert_true(v == vals[i]);
    }
    int32_t two = 2;
    assert_int_equal(zeroipc_map_contains(a, &two), 0);
    /* Slot order: 1 (slot 1), 17 (slot 3), -3 (slot 13). */
    const int32_t order[] = {1, 17, -3};
    size_t cursor = 0;
    for (int i = 0; i < 3; i++) {
        int32_t k;
        double v;
        assert_int_equal(zeroipc_map_next(a, &cursor, &k, &v), ZEROIPC_OK);
        assert_int_equal(k, order[i]);
    }
    assert_int_equal(zeroipc_map_next(a, &cursor, NULL, NULL), ZEROIPC_ERROR_NOT_FOUND);
    /* Other views of the same bytes are refused. */
    UT_EXPECT_NULL(openmap(m, "map_i32_f64", "i32", "i64,i32"), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(openmap(m, "set_i32", "i32", "i32"), ZEROIPC_ERROR_WRONG_KIND);
    size_t off, size;
    ut_find(m, "map_i32_f64", &off, &size);
    assert_int_equal(zeroipc_map_validate(ut_at(m, off), size, NULL), ZEROIPC_OK);
    /* We can go on using it: an insert into the tombstone chain. */
    double v = 33.5;
    int32_t k33 = 33; /* home 1: 1 and 17 in the way, tombstone 2 first */
    assert_int_equal(zeroipc_map_insert(a, &k33, &v), 1);
    assert_int_equal(ut_get32(m, off + 16 + 16 * 2), ZEROIPC_MAP_OCCUPIED);
    assert_int_equal(ut_get32(m, off + 16 + 16 * 2 + 4), 33);
    zeroipc_map_close(a);
}

static void test_vector_reproduce(void **state)
{
    (void)state;
    size_t len;
    uint8_t *file = load_vector(&len);
    if (file == NULL)
        skip();
    assert_int_equal(len, VEC_SIZE);
    zeroipc_memory_t *m = ut_seg(NULL, "mvw", VEC_SIZE, 64);
    /* The entries before it, so that the map lands at the same offset. */
    const char *before[] = {"arr_f32", "q_i32", "stk_i32", "ring_i32"};
    const size_t sizes[] = {32, 80, 64, 88};
    size_t off;
    for (int i = 0; i < 4; i++)
        assert_int_equal(zeroipc_table_add(m, before[i], sizes[i], &off), ZEROIPC_OK);
    zeroipc_map_t *a = mkmap(m, "map_i32_f64", "i32", "f64", 16);
    size_t size;
    ut_find(m, "map_i32_f64", &off, &size);
    assert_int_equal(off, MAP_OFF);
    assert_int_equal(size, MAP_SIZE);
    int32_t k;
    double v;
    k = 1, v = 1.5;
    assert_int_equal(zeroipc_map_insert(a, &k, &v), 1);
    k = 2, v = 2.5;
    assert_int_equal(zeroipc_map_insert(a, &k, &v), 1);
    k = 17, v = 17.25;
    assert_int_equal(zeroipc_map_insert(a, &k, &v), 1);
    k = -3, v = -3.75;
    assert_int_equal(zeroipc_map_insert(a, &k, &v), 1);
    k = 1, v = 9.5;
    assert_int_equal(zeroipc_map_insert(a, &k, &v), 0);
    k = 2;
    assert_int_equal(zeroipc_map_erase(a, &k), ZEROIPC_OK);
    assert_memory_equal(ut_at(m, off), file + MAP_OFF, MAP_SIZE);
    zeroipc_map_close(a);
    free(file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UT_TEST(test_layout),
        UT_TEST(test_hashes),
        UT_TEST(test_operations),
        UT_TEST(test_chains_and_tombstones),
        UT_TEST(test_full),
        UT_TEST(test_dead_inserter),
        UT_TEST(test_corrupt_state),
        UT_TEST(test_create_open_errors),
        UT_TEST(test_validate_footprint),
        UT_TEST(test_other_types),
        UT_TEST(test_vector_read),
        UT_TEST(test_vector_reproduce),
    };
    return UT_RUN(tests);
}
