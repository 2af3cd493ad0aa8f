/* test_pool.c - zeroipc_pool_*: layouts byte by byte, allocation and
 * freeing, bad frees (detected ones and the documented limit), corrupt
 * words, open checks, validate, footprint, the test vector, threads. */
#include <pthread.h>
#include <stdatomic.h>

#include "unit_common.h"

/* ------------------------------------------------------------------ */
/* Pool handles, closed by the teardown like the others. */

static zeroipc_pool_t *pt_pools[UT_MAX];

static int pt_teardown(void **state)
{
    for (int i = 0; i < UT_MAX; i++) {
        zeroipc_pool_close(pt_pools[i]);
        pt_pools[i] = NULL;
    }
    return ut_teardown(state);
}

#define PT_TEST(fn) cmocka_unit_test_setup_teardown(fn, ut_setup, pt_teardown)

static zeroipc_pool_t *keep_pool(zeroipc_pool_t *p)
{
    for (int i = 0; p && i < UT_MAX; i++)
        if (!pt_pools[i]) {
            pt_pools[i] = p;
            return p;
        }
    if (p)
        fail_msg("too many pools");
    return p;
}

static void close_pool(zeroipc_pool_t *p)
{
    for (int i = 0; i < UT_MAX; i++)
        if (pt_pools[i] == p)
            pt_pools[i] = NULL;
    zeroipc_pool_close(p);
}

static zeroipc_pool_t *mkpool(zeroipc_memory_t *m, const char *name,
                              size_t elem, size_t align, size_t cap)
{
    zeroipc_pool_t *p = zeroipc_pool_create(m, name, elem, align, cap);
    assert_non_null(p);
    return keep_pool(p);
}

/* Offsets of FORMAT.md. */
#define P_HEAD 0
#define P_ALLOC 8
#define P_PAD 12
#define P_CAP 16
#define P_ESIZE 20
#define P_NODES 24
#define NONE 0xFFFFFFFFu

static uint64_t tag(uint32_t gen, uint32_t index)
{
    return (uint64_t)gen << 32 | index;
}

/* ------------------------------------------------------------------ */

static void test_layout(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "ly", 8192, 16);
    zeroipc_pool_t *p = mkpool(m, "f64", 8, 8, 4);
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
    assert_int_equal(zeroipc_pool_capacity(p), 4);
    assert_int_equal(zeroipc_pool_elem_size(p), 8);
    assert_int_equal(zeroipc_pool_stride(p), 16);
    assert_int_equal(zeroipc_pool_allocated(p), 0);
    size_t off, size;
    ut_find(m, "f64", &off, &size);
    assert_int_equal(size, 88);
    assert_int_equal(off % 8, 0);
    assert_int_equal(ut_get64(m, off + P_HEAD), 0);
    assert_int_equal(ut_get32(m, off + P_ALLOC), 0);
    assert_int_equal(ut_get32(m, off + P_PAD), 0);
    assert_int_equal(ut_get32(m, off + P_CAP), 4);
    assert_int_equal(ut_get32(m, off + P_ESIZE), 8);
    for (uint32_t i = 0; i < 4; i++) {
        assert_int_equal(ut_get64(m, off + P_NODES + 16 * i), 0); /* data */
        assert_int_equal(ut_get32(m, off + P_NODES + 16 * i + 8),
                         i < 3 ? i + 1 : NONE);
        assert_int_equal(ut_get32(m, off + P_NODES + 16 * i + 12), 0);
        assert_ptr_equal(zeroipc_pool_get(p, i), ut_at(m, off + P_NODES + 16 * i));
    }

    /* Node strides: the C struct { T data; u32 next; }. */
    const struct {
        size_t elem, align, stride;
    } shapes[] = {
        {4, 4, 8},   /* i32 */
        {8, 8, 16},  /* f64, i64 */
        {8, 4, 12},  /* f32,f32 */
        {1, 1, 8},   /* u8: next at 4 */
        {3, 1, 8},   /* str3 */
        {2, 2, 8},   /* i16 */
        {5, 1, 12},  /* bytes5: next at 8 */
        {12, 4, 16}, /* f32 x3 */
        {16, 8, 24}, /* f64,f64 */
        {24, 8, 32}, /* 28 rounded to 8 */
        {20, 4, 24},
    };
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        char n[8];
        snprintf(n, sizeof n, "s%zu", k);
        zeroipc_pool_t *s = mkpool(m, n, shapes[k].elem, shapes[k].align, 3);
        assert_int_equal(zeroipc_pool_stride(s), shapes[k].stride);
        ut_find(m, n, &off, &size);
        assert_int_equal(size, 24 + 3 * shapes[k].stride);
        assert_int_equal(size, zeroipc_pool_footprint(shapes[k].elem,
                                                      shapes[k].align, 3));
        size_t next_at = (shapes[k].elem + 3) & ~(size_t)3;
        for (uint32_t i = 0; i < 3; i++) {
            assert_int_equal(ut_get32(m, off + P_NODES + shapes[k].stride * i + next_at),
                             i < 2 ? i + 1 : NONE);
            uint8_t *d = zeroipc_pool_get(s, i);
            assert_ptr_equal(d, ut_at(m, off + P_NODES + shapes[k].stride * i));
            assert_int_equal((uintptr_t)d % shapes[k].align, 0);
        }
        assert_null(zeroipc_pool_get(s, 3));
    }

    /* One node: free_head 0, its next the end. */
    zeroipc_pool_t *one = mkpool(m, "one", 4, 4, 1);
    ut_find(m, "one", &off, &size);
    assert_int_equal(size, 32);
    assert_int_equal(ut_get64(m, off + P_HEAD), 0);
    assert_int_equal(ut_get32(m, off + P_NODES + 4), NONE);
    uint32_t i = 9;
    assert_int_equal(zeroipc_pool_alloc(one, &i), ZEROIPC_OK);
    assert_int_equal(i, 0);
    assert_int_equal(ut_get64(m, off + P_HEAD), tag(1, NONE));
    assert_int_equal(zeroipc_pool_alloc(one, &i), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_pool_free(one, 0), ZEROIPC_OK);
    assert_int_equal(ut_get64(m, off + P_HEAD), tag(2, 0));
    assert_int_equal(ut_get32(m, off + P_NODES + 4), NONE);
}

static void test_alloc_free(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "af", 8192, 4);
    zeroipc_pool_t *p = mkpool(m, "p", sizeof(uint64_t), 8, 8);
    size_t off;
    ut_find(m, "p", &off, NULL);

    /* A fresh pool hands out 0, 1, 2, ... in order. */
    for (uint32_t k = 0; k < 8; k++) {
        uint32_t i = 99;
        assert_int_equal(zeroipc_pool_alloc(p, &i), ZEROIPC_OK);
        assert_int_equal(i, k);
        assert_int_equal(zeroipc_pool_allocated(p), k + 1);
        assert_int_equal(ut_get64(m, off + P_HEAD), tag(k + 1, k < 7 ? k + 1 : NONE));
        uint64_t v = 1000 + k;
        memcpy(zeroipc_pool_get(p, i), &v, 8);
    }
    uint32_t i = 99;
    assert_int_equal(zeroipc_pool_alloc(p, &i), ZEROIPC_ERROR_SIZE);
    assert_int_equal(i, 99);
    assert_int_equal(ut_get64(m, off + P_HEAD), tag(8, NONE));
    /* The data was not touched by the allocations. */
    for (uint32_t k = 0; k < 8; k++) {
        uint64_t v;
        memcpy(&v, zeroipc_pool_get(p, k), 8);
        assert_int_equal(v, 1000 + k);
    }

    /* Freeing pushes: the last freed is the next handed out. */
    assert_int_equal(zeroipc_pool_free(p, 5), ZEROIPC_OK);
    assert_int_equal(ut_get64(m, off + P_HEAD), tag(9, 5));
    assert_int_equal(ut_get32(m, off + P_NODES + 16 * 5 + 8), NONE);
    assert_int_equal(zeroipc_pool_free(p, 2), ZEROIPC_OK);
    assert_int_equal(ut_get64(m, off + P_HEAD), tag(10, 2));
    assert_int_equal(ut_get32(m, off + P_NODES + 16 * 2 + 8), 5);
    assert_int_equal(zeroipc_pool_allocated(p), 6);
    assert_int_equal(zeroipc_pool_alloc(p, &i), ZEROIPC_OK);
    assert_int_equal(i, 2);
    /* An allocated node keeps its old next. */
    assert_int_equal(ut_get32(m, off + P_NODES + 16 * 2 + 8), 5);
    assert_int_equal(zeroipc_pool_alloc(p, &i), ZEROIPC_OK);
    assert_int_equal(i, 5);
    assert_int_equal(zeroipc_pool_alloc(p, &i), ZEROIPC_ERROR_SIZE);
    assert_int_equal(ut_get64(m, off + P_HEAD), tag(12, NONE));

    /* Free everything, then every index comes back exactly once. */
    for (uint32_t k = 0; k < 8; k++)
        assert_int_equal(zeroipc_pool_free(p, (k * 3) % 8), ZEROIPC_OK);
    assert_int_equal(zeroipc_pool_allocated(p), 0);
    uint32_t seen = 0;
    for (uint32_t k = 0; k < 8; k++) {
        assert_int_equal(zeroipc_pool_alloc(p, &i), ZEROIPC_OK);
        assert_true(i < 8);
        assert_false(seen & (1u << i));
        seen |= 1u << i;
    }
    assert_int_equal(seen, 0xFF);
    assert_int_equal(zeroipc_pool_alloc(p, &i), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_pool_allocated(p), 8);

    /* Many rounds on one node: the generation counts every CAS. */
    for (uint32_t k = 0; k < 8; k++)
        assert_int_equal(zeroipc_pool_free(p, k), ZEROIPC_OK);
    uint64_t before = ut_get64(m, off + P_HEAD);
    for (int r = 0; r < 1000; r++) {
        assert_int_equal(zeroipc_pool_alloc(p, &i), ZEROIPC_OK);
        assert_int_equal(i, 7);
        assert_int_equal(zeroipc_pool_free(p, i), ZEROIPC_OK);
    }
    assert_int_equal(ut_get64(m, off + P_HEAD), before + ((uint64_t)2000 << 32));
    assert_int_equal(zeroipc_pool_allocated(p), 0);
}

/* The generation wraps at 2^32 without touching the index. */
static void test_generation_wrap(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "gw", 4096, 4);
    zeroipc_pool_t *p = mkpool(m, "p", 4, 4, 2);
    size_t off;
    ut_find(m, "p", &off, NULL);
    ut_set64(m, off + P_HEAD, tag(0xFFFFFFFFu, 0));
    uint32_t i;
    assert_int_equal(zeroipc_pool_alloc(p, &i), ZEROIPC_OK);
    assert_int_equal(i, 0);
    assert_int_equal(ut_get64(m, off + P_HEAD), tag(0, 1));
    ut_set64(m, off + P_HEAD, tag(0xFFFFFFFFu, 1));
    assert_int_equal(zeroipc_pool_free(p, 0), ZEROIPC_OK);
    assert_int_equal(ut_get64(m, off + P_HEAD), tag(0, 0));
}

/* Bad frees: what is detected changes nothing at all. */
static void test_bad_free(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "bf", 4096, 4);
    zeroipc_pool_t *p = mkpool(m, "p", 4, 4, 4);
    size_t off, size;
    ut_find(m, "p", &off, &size);
    uint8_t snap[64];
    assert_true(size <= sizeof snap);
#define SNAP() memcpy(snap, ut_at(m, off), size)
#define SAME() assert_memory_equal(snap, ut_at(m, off), size)

    /* Out of range. */
    SNAP();
    assert_int_equal(zeroipc_pool_free(p, 4), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_pool_free(p, NONE), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_pool_free(p, 0x80000000u), ZEROIPC_ERROR_SIZE);
    /* Nothing allocated: any free, whether of the head or not. */
    assert_int_equal(zeroipc_pool_free(p, 0), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_pool_free(p, 1), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_pool_free(p, 3), ZEROIPC_ERROR_INVALID_ARGUMENT);
    SAME();

    /* Alloc, free, free again: nothing allocated any more. */
    uint32_t a, b, c;
    assert_int_equal(zeroipc_pool_alloc(p, &a), ZEROIPC_OK);
    assert_int_equal(zeroipc_pool_free(p, a), ZEROIPC_OK);
    SNAP();
    assert_int_equal(zeroipc_pool_free(p, a), ZEROIPC_ERROR_INVALID_ARGUMENT);
    SAME();

    /* With others allocated, an immediate double free: the node is the
     * first free one. */
    assert_int_equal(zeroipc_pool_alloc(p, &a), ZEROIPC_OK);
    assert_int_equal(zeroipc_pool_alloc(p, &b), ZEROIPC_OK);
    assert_int_equal(zeroipc_pool_free(p, a), ZEROIPC_OK);
    SNAP();
    assert_int_equal(zeroipc_pool_free(p, a), ZEROIPC_ERROR_INVALID_ARGUMENT);
    /* The first free node, never allocated by anyone. */
    uint32_t first = (uint32_t)ut_get64(m, off + P_HEAD);
    assert_int_equal(zeroipc_pool_free(p, first), ZEROIPC_ERROR_INVALID_ARGUMENT);
    SAME();
    assert_int_equal(zeroipc_pool_allocated(p), 1);
    /* The list is intact: the 3 free nodes come out once each. */
    uint32_t got[3];
    for (int k = 0; k < 3; k++)
        assert_int_equal(zeroipc_pool_alloc(p, &got[k]), ZEROIPC_OK);
    assert_int_equal(zeroipc_pool_alloc(p, &c), ZEROIPC_ERROR_SIZE);
    uint32_t mask = 1u << b;
    for (int k = 0; k < 3; k++) {
        assert_false(mask & (1u << got[k]));
        mask |= 1u << got[k];
    }
    assert_int_equal(mask, 0xF);
    for (int k = 0; k < 3; k++)
        assert_int_equal(zeroipc_pool_free(p, got[k]), ZEROIPC_OK);
    assert_int_equal(zeroipc_pool_free(p, b), ZEROIPC_OK);
    assert_int_equal(zeroipc_pool_allocated(p), 0);

    /* The documented limit: a node deeper in the free list, freed again
     * while another node is allocated, is not detected (the layout has no
     * per-node mark and the list is not walked). */
    assert_int_equal(zeroipc_pool_alloc(p, &a), ZEROIPC_OK);
    assert_int_equal(zeroipc_pool_alloc(p, &b), ZEROIPC_OK);
    assert_int_equal(zeroipc_pool_alloc(p, &c), ZEROIPC_OK);
    assert_int_equal(zeroipc_pool_free(p, a), ZEROIPC_OK);
    assert_int_equal(zeroipc_pool_free(p, b), ZEROIPC_OK);
    /* a is free, second in the list, and c is allocated. */
    assert_int_equal((uint32_t)ut_get64(m, off + P_HEAD), b);
    assert_int_equal(zeroipc_pool_free(p, a), ZEROIPC_OK); /* undetected */
#undef SNAP
#undef SAME
}

static void test_null_args(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "na", 4096, 4);
    zeroipc_pool_t *p = mkpool(m, "p", 4, 4, 4);
    uint32_t i = 7;
    assert_int_equal(zeroipc_pool_alloc(NULL, &i), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_pool_alloc(p, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_pool_allocated(p), 0);
    assert_int_equal(i, 7);
    assert_int_equal(zeroipc_pool_free(NULL, 0), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_null(zeroipc_pool_get(NULL, 0));
    assert_null(zeroipc_pool_get(p, 4));
    assert_null(zeroipc_pool_get(p, NONE));
    assert_non_null(zeroipc_pool_get(p, 3));
    assert_int_equal(zeroipc_pool_allocated(NULL), 0);
    assert_int_equal(zeroipc_pool_capacity(NULL), 0);
    assert_int_equal(zeroipc_pool_elem_size(NULL), 0);
    assert_int_equal(zeroipc_pool_stride(NULL), 0);
    zeroipc_pool_close(NULL);
}

static void test_create_errors(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "ce", 2048, 3);
    mkpool(m, "taken", 4, 4, 4);
    uint64_t next = ut_get64(m, UT_H_NEXT);
    char n31[32], n32[33];
    ut_len_name(n31, 31, 'p');
    ut_len_name(n32, 32, 'p');

    UT_EXPECT_NULL(zeroipc_pool_create(NULL, "x", 4, 4, 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_pool_create(m, NULL, 4, 4, 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_pool_create(m, "", 4, 4, 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_pool_create(m, n32, 4, 4, 4),
                   ZEROIPC_ERROR_NAME_TOO_LONG);
    /* Alignments: 1, 2, 4, 8 dividing the size. */
    const size_t bad_align[] = {0, 3, 16, 32, 5, SIZE_MAX};
    for (size_t k = 0; k < sizeof bad_align / sizeof bad_align[0]; k++)
        UT_EXPECT_NULL(zeroipc_pool_create(m, "x", 16, bad_align[k], 4),
                       ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_pool_create(m, "x", 4, 8, 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_pool_create(m, "x", 6, 4, 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_memory_error(m), ZEROIPC_ERROR_INVALID_ARGUMENT);
    /* Sizes. */
    UT_EXPECT_NULL(zeroipc_pool_create(m, "x", 0, 4, 4), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_pool_create(m, "x", 4, 4, 0), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_pool_create(m, "x", (size_t)UINT32_MAX + 1, 1, 1),
                   ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_pool_create(m, "x", 1, 1,
                                       (size_t)ZEROIPC_POOL_MAX_CAPACITY + 1),
                   ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_pool_create(m, "x", 4, 4, SIZE_MAX),
                   ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_pool_create(m, "x", UINT32_MAX, 1,
                                       ZEROIPC_POOL_MAX_CAPACITY),
                   ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_pool_create(m, "x", 4, 4, 1024), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_memory_error(m), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_pool_create(m, "taken", 4, 4, 4),
                   ZEROIPC_ERROR_ALREADY_EXISTS);
    assert_int_equal(ut_get64(m, UT_H_NEXT), next);
    assert_int_equal(zeroipc_table_count(m), 1);

    mkpool(m, n31, 4, 4, 4);
    mkpool(m, "third", 4, 4, 4);
    next = ut_get64(m, UT_H_NEXT);
    UT_EXPECT_NULL(zeroipc_pool_create(m, "x", 4, 4, 4), ZEROIPC_ERROR_TABLE_FULL);
    assert_int_equal(ut_get64(m, UT_H_NEXT), next);
}

static void test_open(void **state)
{
    (void)state;
    const char *name;
    zeroipc_memory_t *m = ut_seg(&name, "op", 8192, 10);
    zeroipc_pool_t *p = mkpool(m, "p", 8, 8, 5);
    uint32_t a;
    assert_int_equal(zeroipc_pool_alloc(p, &a), ZEROIPC_OK);
    double v = 2.5;
    memcpy(zeroipc_pool_get(p, a), &v, 8);

    zeroipc_memory_t *m2 = ut_open(name);
    zeroipc_pool_t *p2 = keep_pool(zeroipc_pool_open(m2, "p", 8));
    assert_non_null(p2);
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
    assert_int_equal(zeroipc_pool_capacity(p2), 5);
    assert_int_equal(zeroipc_pool_elem_size(p2), 8);
    assert_int_equal(zeroipc_pool_stride(p2), 16);
    assert_int_equal(zeroipc_pool_allocated(p2), 1);
    double w;
    memcpy(&w, zeroipc_pool_get(p2, a), 8);
    assert_true(w == 2.5);
    uint32_t b;
    assert_int_equal(zeroipc_pool_alloc(p2, &b), ZEROIPC_OK);
    assert_int_equal(b, 1);
    assert_int_equal(zeroipc_pool_free(p, b), ZEROIPC_OK); /* either handle */
    assert_int_equal(zeroipc_pool_free(p2, a), ZEROIPC_OK);
    assert_int_equal(zeroipc_pool_allocated(p), 0);

    /* Alignment 0 finds the stride; a different alignment with another
     * stride is refused. */
    zeroipc_pool_t *p0 = keep_pool(zeroipc_pool_open(m, "p", 0));
    assert_non_null(p0);
    assert_int_equal(zeroipc_pool_stride(p0), 16);
    UT_EXPECT_NULL(zeroipc_pool_open(m, "p", 4), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_pool_open(m, "p", 2), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_pool_open(m, "p", 3), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_pool_open(m, "p", 16), ZEROIPC_ERROR_INVALID_ARGUMENT);
    /* 8 bytes aligned to 4: 12-byte nodes, found by 0 and 4, not 8. */
    mkpool(m, "p12", 8, 4, 3);
    zeroipc_pool_t *q = keep_pool(zeroipc_pool_open(m, "p12", 0));
    assert_non_null(q);
    assert_int_equal(zeroipc_pool_stride(q), 12);
    assert_non_null(keep_pool(zeroipc_pool_open(m, "p12", 4)));
    assert_non_null(keep_pool(zeroipc_pool_open(m, "p12", 1)));
    UT_EXPECT_NULL(zeroipc_pool_open(m, "p12", 8), ZEROIPC_ERROR_WRONG_KIND);
    /* i32: 1, 2, 4 and 0 all agree; 8 does not divide 4. */
    mkpool(m, "i32", 4, 4, 3);
    assert_non_null(keep_pool(zeroipc_pool_open(m, "i32", 0)));
    assert_non_null(keep_pool(zeroipc_pool_open(m, "i32", 2)));
    UT_EXPECT_NULL(zeroipc_pool_open(m, "i32", 8), ZEROIPC_ERROR_WRONG_KIND);

    char n32[33];
    ut_len_name(n32, 32, 'p');
    UT_EXPECT_NULL(zeroipc_pool_open(NULL, "p", 8), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_pool_open(m, NULL, 8), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_pool_open(m, "", 8), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_pool_open(m, n32, 8), ZEROIPC_ERROR_NAME_TOO_LONG);
    UT_EXPECT_NULL(zeroipc_pool_open(m, "absent", 8), ZEROIPC_ERROR_NOT_FOUND);

    /* Other kinds are not pools. */
    assert_non_null(ut_keep_array(zeroipc_array_create(m, "arr", 4, 16)));
    UT_EXPECT_NULL(zeroipc_pool_open(m, "arr", 0), ZEROIPC_ERROR_WRONG_KIND);
    assert_non_null(ut_keep_queue(zeroipc_queue_create(m, "que", 4, 8)));
    UT_EXPECT_NULL(zeroipc_pool_open(m, "que", 0), ZEROIPC_ERROR_WRONG_KIND);
    assert_non_null(ut_keep_stack(zeroipc_stack_create(m, "stk", 4, 8)));
    UT_EXPECT_NULL(zeroipc_pool_open(m, "stk", 0), ZEROIPC_ERROR_WRONG_KIND);
}

static void test_open_bad_headers(void **state)
{
    (void)state;
    const char *name;
    zeroipc_memory_t *m = ut_seg(&name, "bh", 8192, 10);
    size_t off;

    /* A region the size of an f64 pool of 4 with a zero header. */
    assert_int_equal(zeroipc_table_add(m, "z", 88, &off), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_pool_open(m, "z", 0), ZEROIPC_ERROR_WRONG_KIND);
    ut_set32(m, off + P_CAP, 4);
    UT_EXPECT_NULL(zeroipc_pool_open(m, "z", 0), ZEROIPC_ERROR_WRONG_KIND);
    ut_set32(m, off + P_ESIZE, 8);
    assert_non_null(keep_pool(zeroipc_pool_open(m, "z", 8)));
    /* A region too small for a header. */
    assert_int_equal(zeroipc_table_add(m, "tiny", 16, &off), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_pool_open(m, "tiny", 0), ZEROIPC_ERROR_WRONG_KIND);

    /* A real pool whose header is then changed. */
    mkpool(m, "p", 8, 8, 4);
    ut_find(m, "p", &off, NULL);
    const uint32_t caps[] = {0, 3, 5, 2, 8, 0x80000000u, 0x80000001u, NONE};
    for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++) {
        ut_set32(m, off + P_CAP, caps[k]);
        UT_EXPECT_NULL(zeroipc_pool_open(m, "p", 0), ZEROIPC_ERROR_WRONG_KIND);
    }
    ut_set32(m, off + P_CAP, 4);
    const uint32_t sizes[] = {0, 16, 32, 13, 7, 3, NONE};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        ut_set32(m, off + P_ESIZE, sizes[k]);
        UT_EXPECT_NULL(zeroipc_pool_open(m, "p", 0), ZEROIPC_ERROR_WRONG_KIND);
    }
    /* 12-byte elements aligned to 4 make 16-byte nodes too. */
    ut_set32(m, off + P_ESIZE, 12);
    UT_EXPECT_NULL(zeroipc_pool_open(m, "p", 8), ZEROIPC_ERROR_WRONG_KIND);
    zeroipc_pool_t *p12 = keep_pool(zeroipc_pool_open(m, "p", 0));
    assert_non_null(p12);
    assert_int_equal(zeroipc_pool_stride(p12), 16);
    ut_set32(m, off + P_ESIZE, 8);
    assert_non_null(keep_pool(zeroipc_pool_open(m, "p", 8)));

    /* The same through the file of a closed segment. */
    pt_teardown(NULL);
    ut_setup(NULL);
    m = ut_seg(&name, "bh2", 4096, 4);
    mkpool(m, "p", 4, 4, 8);
    ut_find(m, "p", &off, NULL);
    close_pool(pt_pools[0]);
    ut_close_mem(m);
    ut_poke32(name, off + P_CAP, 7);
    m = ut_open(name);
    UT_EXPECT_NULL(zeroipc_pool_open(m, "p", 4), ZEROIPC_ERROR_WRONG_KIND);
    ut_close_mem(m);
    /* An entry pointing outside the segment. */
    ut_poke32(name, off + P_CAP, 8);
    ut_poke64(name, UT_ENTRY(0) + UT_E_OFFSET, 4096 - 40);
    m = ut_open(name);
    UT_EXPECT_NULL(zeroipc_pool_open(m, "p", 4), ZEROIPC_ERROR_CORRUPT);
}

/* Words that lead outside the pool are CORRUPT, never followed. */
static void test_corrupt(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "co", 4096, 4);
    zeroipc_pool_t *p = mkpool(m, "p", 4, 4, 4);
    size_t off, size;
    ut_find(m, "p", &off, &size);
    uint32_t i = 77, a;
    assert_int_equal(zeroipc_pool_alloc(p, &a), ZEROIPC_OK); /* 0 */

    /* free_head out of range: alloc and free refuse, change nothing. */
    const uint32_t bad[] = {4, 5, 0x7FFFFFFFu, NONE - 1};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        ut_set64(m, off + P_HEAD, tag(3, bad[k]));
        uint8_t snap[64];
        memcpy(snap, ut_at(m, off), size);
        assert_int_equal(zeroipc_pool_alloc(p, &i), ZEROIPC_ERROR_CORRUPT);
        assert_int_equal(i, 77);
        assert_int_equal(zeroipc_pool_free(p, a), ZEROIPC_ERROR_CORRUPT);
        assert_memory_equal(snap, ut_at(m, off), size);
        assert_int_equal(zeroipc_pool_allocated(p), 1);
    }
    ut_set64(m, off + P_HEAD, tag(3, 1));

    /* The head node's next out of range, or pointing at itself. */
    const uint32_t bad_next[] = {4, 1000, NONE - 1, 1};
    for (size_t k = 0; k < sizeof bad_next / sizeof bad_next[0]; k++) {
        ut_set32(m, off + P_NODES + 8 * 1 + 4, bad_next[k]);
        assert_int_equal(zeroipc_pool_alloc(p, &i), ZEROIPC_ERROR_CORRUPT);
        assert_int_equal(i, 77);
        assert_int_equal(ut_get64(m, off + P_HEAD), tag(3, 1));
    }
    /* A free on top of it is fine: the bad word is then deeper. */
    ut_set32(m, off + P_NODES + 8 * 1 + 4, 4);
    assert_int_equal(zeroipc_pool_free(p, a), ZEROIPC_OK);
    assert_int_equal(zeroipc_pool_alloc(p, &i), ZEROIPC_OK);
    assert_int_equal(i, 0);
    assert_int_equal(zeroipc_pool_alloc(p, &i), ZEROIPC_ERROR_CORRUPT);
    ut_set32(m, off + P_NODES + 8 * 1 + 4, 2);
    assert_int_equal(zeroipc_pool_alloc(p, &i), ZEROIPC_OK);
    assert_int_equal(i, 1);

    /* A garbage counter is clamped, and never a bound. */
    ut_set32(m, off + P_ALLOC, 0xFFFFFFF0u);
    assert_int_equal(zeroipc_pool_allocated(p), 4);
    assert_int_equal(zeroipc_pool_alloc(p, &i), ZEROIPC_OK);
    assert_int_equal(i, 2);
    assert_int_equal(zeroipc_pool_alloc(p, &i), ZEROIPC_OK);
    assert_int_equal(i, 3);
    assert_int_equal(zeroipc_pool_alloc(p, &i), ZEROIPC_ERROR_SIZE);
    ut_set32(m, off + P_ALLOC, NONE);
    assert_int_equal(zeroipc_pool_alloc(p, &i), ZEROIPC_ERROR_SIZE);
    assert_int_equal(ut_get32(m, off + P_ALLOC), NONE);
    assert_int_equal(zeroipc_pool_free(p, 3), ZEROIPC_OK);
    assert_int_equal(ut_get32(m, off + P_ALLOC), NONE - 1);
    /* A counter of 0 with nodes out: their frees are refused (a leak,
     * never a corrupt list). */
    ut_set32(m, off + P_ALLOC, 0);
    assert_int_equal(zeroipc_pool_free(p, 2), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(ut_get64(m, off + P_HEAD) & 0xFFFFFFFFu, 3);

    /* A cycle made by a foreign writer (3 -> 0 -> 3): allocation goes on
     * handing out nodes but every call returns. */
    ut_set32(m, off + P_NODES + 8 * 3 + 4, 0);
    ut_set32(m, off + P_NODES + 8 * 0 + 4, 3);
    for (int k = 0; k < 10; k++)
        assert_int_equal(zeroipc_pool_alloc(p, &i), ZEROIPC_OK);
}

static void test_validate_footprint(void **state)
{
    (void)state;
    assert_int_equal(zeroipc_pool_footprint(8, 8, 4), 88);
    assert_int_equal(zeroipc_pool_footprint(4, 4, 4), 56);
    assert_int_equal(zeroipc_pool_footprint(8, 4, 4), 72);
    assert_int_equal(zeroipc_pool_footprint(1, 1, 1), 32);
    assert_int_equal(zeroipc_pool_footprint(0, 1, 1), 0);
    assert_int_equal(zeroipc_pool_footprint(4, 4, 0), 0);
    assert_int_equal(zeroipc_pool_footprint(4, 0, 4), 0);
    assert_int_equal(zeroipc_pool_footprint(4, 3, 4), 0);
    assert_int_equal(zeroipc_pool_footprint(4, 8, 4), 0);
    assert_int_equal(zeroipc_pool_footprint(16, 16, 4), 0);
    assert_int_equal(zeroipc_pool_footprint((size_t)UINT32_MAX + 1, 1, 1), 0);
    assert_int_equal(zeroipc_pool_footprint(1, 1, (size_t)ZEROIPC_POOL_MAX_CAPACITY + 1), 0);
    assert_int_equal(zeroipc_pool_footprint(1, 1, ZEROIPC_POOL_MAX_CAPACITY),
                     24 + (size_t)8 * ZEROIPC_POOL_MAX_CAPACITY);
    /* (2^32 + 4) * 2^31 bytes: beyond any mapping. */
    assert_int_equal(zeroipc_pool_footprint(UINT32_MAX, 1, ZEROIPC_POOL_MAX_CAPACITY), 0);
    assert_int_equal(zeroipc_pool_footprint(UINT32_MAX, 1, 2), 24 + ((size_t)UINT32_MAX + 5) * 2);

    /* validate reads the header only. */
    uint64_t buf[16] = {0};
    uint32_t *w = (uint32_t *)buf;
    w[4] = 4; /* capacity */
    w[5] = 8; /* elem_size */
    assert_int_equal(zeroipc_pool_validate(buf, 88, 8), ZEROIPC_OK);
    assert_int_equal(zeroipc_pool_validate(buf, 88, 0), ZEROIPC_OK);
    assert_int_equal(zeroipc_pool_validate(buf, 72, 4), ZEROIPC_OK);
    assert_int_equal(zeroipc_pool_validate(buf, 72, 0), ZEROIPC_OK);
    assert_int_equal(zeroipc_pool_validate(buf, 72, 8), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_pool_validate(buf, 88, 4), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_pool_validate(buf, 89, 0), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_pool_validate(buf, 87, 0), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_pool_validate(buf, 104, 0), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_pool_validate(buf, 24, 0), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_pool_validate(buf, 23, 0), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_pool_validate(buf, 0, 0), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_pool_validate(NULL, 88, 0), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_pool_validate(buf, 88, 3), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_pool_validate(buf, 88, 16), ZEROIPC_ERROR_INVALID_ARGUMENT);
    /* Misaligned: free_head is an atomic u64. */
    assert_int_equal(zeroipc_pool_validate((uint8_t *)buf + 4, 88, 0),
                     ZEROIPC_ERROR_WRONG_KIND);
    w[4] = 0;
    assert_int_equal(zeroipc_pool_validate(buf, 24, 0), ZEROIPC_ERROR_WRONG_KIND);
    w[4] = 4;
    w[5] = 0;
    assert_int_equal(zeroipc_pool_validate(buf, 24, 0), ZEROIPC_ERROR_WRONG_KIND);
    w[5] = 3; /* bytes3: 8-byte nodes */
    assert_int_equal(zeroipc_pool_validate(buf, 56, 0), ZEROIPC_OK);
    assert_int_equal(zeroipc_pool_validate(buf, 56, 1), ZEROIPC_OK);
    assert_int_equal(zeroipc_pool_validate(buf, 56, 2), ZEROIPC_ERROR_WRONG_KIND);
    /* Every created shape validates at exactly its footprint. */
    zeroipc_memory_t *m = ut_seg(NULL, "vf", 8192, 8);
    const size_t shapes[][3] = {{8, 8, 4}, {4, 4, 7}, {3, 1, 5}, {24, 8, 2}, {6, 2, 3}};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        char n[8];
        snprintf(n, sizeof n, "v%zu", k);
        mkpool(m, n, shapes[k][0], shapes[k][1], shapes[k][2]);
        size_t off, size;
        ut_find(m, n, &off, &size);
        assert_int_equal(size, zeroipc_pool_footprint(shapes[k][0], shapes[k][1],
                                                      shapes[k][2]));
        assert_int_equal(zeroipc_pool_validate(ut_at(m, off), size, shapes[k][1]),
                         ZEROIPC_OK);
        assert_int_equal(zeroipc_pool_validate(ut_at(m, off), size, 0), ZEROIPC_OK);
        assert_int_equal(zeroipc_pool_validate(ut_at(m, off), size + 8, 0),
                         ZEROIPC_ERROR_WRONG_KIND);
    }
}

/* ------------------------------------------------------------------ */
/* The test vector pool_f64 of cpp_all.seg (MANIFEST.md): read through the
 * API, and the same operations from scratch write the same 88 bytes. */

#define VEC_OFF 3720
#define VEC_SIZE 88

static bool vec_path(char *buf, size_t n, const char *file)
{
    const char *dir = getenv("ZEROIPC_VECTORS");
    if (dir == NULL || *dir == '\0')
        return false;
    snprintf(buf, n, "%s/%s", dir, file);
    return access(buf, R_OK) == 0;
}

static void expected_vec(uint8_t out[VEC_SIZE])
{
    /* free_head = 4 << 32 | 1, allocated 2, pad 0, capacity 4, size 8;
     * nodes: 10.5 next 1, 20.5 next 3, 30.5 next 3, 0.0 next NONE. */
    memset(out, 0, VEC_SIZE);
    uint64_t head = tag(4, 1);
    uint32_t hdr[4] = {2, 0, 4, 8};
    memcpy(out, &head, 8);
    memcpy(out + 8, hdr, 16);
    const double data[4] = {10.5, 20.5, 30.5, 0.0};
    const uint32_t next[4] = {1, 3, 3, NONE};
    for (int i = 0; i < 4; i++) {
        memcpy(out + 24 + 16 * i, &data[i], 8);
        memcpy(out + 24 + 16 * i + 8, &next[i], 4);
    }
}

static void test_vectors(void **state)
{
    (void)state;
    char path[4096];
    if (!vec_path(path, sizeof path, "cpp_all.seg"))
        skip();
    uint8_t want[VEC_SIZE], file[VEC_SIZE];
    expected_vec(want);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, VEC_OFF, SEEK_SET), 0);
    assert_int_equal(fread(file, 1, VEC_SIZE, f), VEC_SIZE);
    fclose(f);
    /* The file holds what the manifest says. */
    assert_memory_equal(file, want, VEC_SIZE);

    char seg[ZT_NAME_MAX];
    assert_int_equal(zt_copy_to_shm(path, seg, "vp"), 0);
    zeroipc_memory_t *m = ut_open(seg);
    size_t off, size;
    ut_find(m, "pool_f64", &off, &size);
    assert_int_equal(off, VEC_OFF);
    assert_int_equal(size, VEC_SIZE);
    zeroipc_pool_t *p = keep_pool(zeroipc_pool_open(m, "pool_f64", 8));
    assert_non_null(p);
    assert_non_null(keep_pool(zeroipc_pool_open(m, "pool_f64", 0)));
    UT_EXPECT_NULL(zeroipc_pool_open(m, "pool_f64", 4), ZEROIPC_ERROR_WRONG_KIND);
    /* Other kinds of the image are no pools. */
    UT_EXPECT_NULL(zeroipc_pool_open(m, "q_i32", 0), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_pool_open(m, "set_i32", 0), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_pool_open(m, "fut_ok", 0), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_pool_capacity(p), 4);
    assert_int_equal(zeroipc_pool_elem_size(p), 8);
    assert_int_equal(zeroipc_pool_stride(p), 16);
    assert_int_equal(zeroipc_pool_allocated(p), 2);
    const double data[3] = {10.5, 20.5, 30.5};
    for (uint32_t i = 0; i < 3; i++) {
        double d;
        memcpy(&d, zeroipc_pool_get(p, i), 8);
        assert_true(d == data[i]);
    }

    /* Continue where C++ left off: 1 then 3, then full. */
    uint32_t i;
    assert_int_equal(zeroipc_pool_alloc(p, &i), ZEROIPC_OK);
    assert_int_equal(i, 1);
    assert_int_equal(zeroipc_pool_alloc(p, &i), ZEROIPC_OK);
    assert_int_equal(i, 3);
    assert_int_equal(zeroipc_pool_alloc(p, &i), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_pool_allocated(p), 4);
    assert_int_equal(ut_get64(m, off + P_HEAD), tag(6, NONE));
    /* Its immediate double free of 1 is caught. */
    assert_int_equal(zeroipc_pool_free(p, 1), ZEROIPC_OK);
    assert_int_equal(zeroipc_pool_free(p, 1), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(ut_get64(m, off + P_HEAD), tag(7, 1));

    /* The same operations from scratch write the same bytes. */
    zeroipc_memory_t *n = ut_seg(NULL, "vr", 8192, 8);
    zeroipc_pool_t *np = mkpool(n, "pool_f64", sizeof(double), _Alignof(double), 4);
    for (uint32_t k = 0; k < 3; k++) {
        assert_int_equal(zeroipc_pool_alloc(np, &i), ZEROIPC_OK);
        assert_int_equal(i, k);
        memcpy(zeroipc_pool_get(np, i), &data[k], 8);
    }
    assert_int_equal(zeroipc_pool_free(np, 1), ZEROIPC_OK);
    ut_find(n, "pool_f64", &off, &size);
    assert_int_equal(size, VEC_SIZE);
    assert_memory_equal(ut_at(n, off), want, VEC_SIZE);
}

/* ------------------------------------------------------------------ */
/* Threads of one process: no index is held twice at once. */

#define TH_N 4
#define TH_ROUNDS 50000
#define TH_CAP 8

struct th {
    zeroipc_pool_t *p;
    _Atomic uint32_t *owner;
    uint32_t id;
    int bad;
};

static void *th_run(void *arg)
{
    struct th *t = arg;
    uint32_t held[2];
    for (int r = 0; r < TH_ROUNDS; r++) {
        int n = 0;
        for (int k = 0; k < 2; k++) {
            uint32_t i;
            int rc = zeroipc_pool_alloc(t->p, &i);
            if (rc == ZEROIPC_ERROR_SIZE)
                continue;
            if (rc != ZEROIPC_OK || i >= TH_CAP) {
                t->bad++;
                return NULL;
            }
            uint32_t none = 0;
            if (!atomic_compare_exchange_strong(&t->owner[i], &none, t->id))
                t->bad++;
            memcpy(zeroipc_pool_get(t->p, i), &t->id, 4);
            held[n++] = i;
        }
        for (int k = 0; k < n; k++) {
            uint32_t v;
            memcpy(&v, zeroipc_pool_get(t->p, held[k]), 4);
            if (v != t->id)
                t->bad++;
            uint32_t me = t->id;
            if (!atomic_compare_exchange_strong(&t->owner[held[k]], &me, 0))
                t->bad++;
            if (zeroipc_pool_free(t->p, held[k]) != ZEROIPC_OK)
                t->bad++;
        }
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "th", 8192, 4);
    zeroipc_pool_t *p = mkpool(m, "p", 4, 4, TH_CAP);
    _Atomic uint32_t owner[TH_CAP];
    for (int i = 0; i < TH_CAP; i++)
        atomic_init(&owner[i], 0);
    struct th t[TH_N];
    pthread_t tid[TH_N];
    for (int k = 0; k < TH_N; k++) {
        t[k] = (struct th){p, owner, (uint32_t)k + 1, 0};
        assert_int_equal(pthread_create(&tid[k], NULL, th_run, &t[k]), 0);
    }
    for (int k = 0; k < TH_N; k++) {
        assert_int_equal(pthread_join(tid[k], NULL), 0);
        assert_int_equal(t[k].bad, 0);
    }
    assert_int_equal(zeroipc_pool_allocated(p), 0);
    uint32_t seen = 0, i;
    for (int k = 0; k < TH_CAP; k++) {
        assert_int_equal(zeroipc_pool_alloc(p, &i), ZEROIPC_OK);
        assert_false(seen & (1u << i));
        seen |= 1u << i;
    }
    assert_int_equal(seen, (1u << TH_CAP) - 1);
    assert_int_equal(zeroipc_pool_alloc(p, &i), ZEROIPC_ERROR_SIZE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_layout),
        PT_TEST(test_alloc_free),
        PT_TEST(test_generation_wrap),
        PT_TEST(test_bad_free),
        PT_TEST(test_null_args),
        PT_TEST(test_create_errors),
        PT_TEST(test_open),
        PT_TEST(test_open_bad_headers),
        PT_TEST(test_corrupt),
        PT_TEST(test_validate_footprint),
        PT_TEST(test_vectors),
        PT_TEST(test_threads),
    };
    return UT_RUN(tests);
}
