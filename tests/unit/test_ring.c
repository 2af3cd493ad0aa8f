/* test_ring.c - zeroipc_ring_*: layout byte by byte, wrap-around and runs
 * split at the end of the buffer, full/empty, batches, timed and blocking
 * calls, corrupt headers and positions, validate, footprint, an SPSC pair
 * of threads, and the rings of the shared test vectors. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "unit_common.h"
#include "zeroipc_ring.h"

/* Ring handles, closed by the per-test teardown (unit_common.h keeps the
 * other kinds). */
static zeroipc_ring_t *rt_rings[UT_MAX];

static zeroipc_ring_t *keep_ring(zeroipc_ring_t *r)
{
    if (!r)
        return r;
    for (int i = 0; i < UT_MAX; i++)
        if (!rt_rings[i]) {
            rt_rings[i] = r;
            return r;
        }
    fail_msg("too many rings");
    return r;
}

static void close_ring(zeroipc_ring_t *r)
{
    for (int i = 0; i < UT_MAX; i++)
        if (rt_rings[i] == r)
            rt_rings[i] = NULL;
    zeroipc_ring_close(r);
}

static int rt_teardown(void **state)
{
    for (int i = 0; i < UT_MAX; i++) {
        zeroipc_ring_close(rt_rings[i]);
        rt_rings[i] = NULL;
    }
    return ut_teardown(state);
}

#define RT_TEST(fn) cmocka_unit_test_setup_teardown(fn, ut_setup, rt_teardown)

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static zeroipc_ring_t *mkring(zeroipc_memory_t *m, const char *name,
                              size_t elem, size_t cap_elems)
{
    zeroipc_ring_t *r = zeroipc_ring_create(m, name, elem, cap_elems);
    assert_non_null(r);
    return keep_ring(r);
}

/* Ring field offsets (FORMAT.md). */
#define R_WRITE 0
#define R_READ 8
#define R_CAP 16
#define R_ELEM 20
#define R_DATA 24

static void test_layout(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "rly", 8192, 16);
    zeroipc_ring_t *r = mkring(m, "r", 4, 16);
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
    assert_int_equal(zeroipc_ring_capacity(r), 16);
    assert_int_equal(zeroipc_ring_capacity_bytes(r), 64);
    assert_int_equal(zeroipc_ring_elem_size(r), 4);
    size_t off, size;
    ut_find(m, "r", &off, &size);
    assert_int_equal(size, 88); /* 24 + 64 */
    assert_int_equal(off % 8, 0);
    assert_int_equal(ut_get64(m, off + R_WRITE), 0);
    assert_int_equal(ut_get64(m, off + R_READ), 0);
    assert_int_equal(ut_get32(m, off + R_CAP), 64); /* bytes */
    assert_int_equal(ut_get32(m, off + R_ELEM), 4);
    for (size_t i = 0; i < 64; i++)
        assert_int_equal(*ut_at(m, off + R_DATA + i), 0);

    /* A write lands at write_pos % capacity and moves write_pos. */
    uint32_t v = 0x01020304;
    assert_int_equal(zeroipc_ring_write_spsc(r, &v), ZEROIPC_OK);
    assert_int_equal(ut_get64(m, off + R_WRITE), 4);
    assert_int_equal(ut_get64(m, off + R_READ), 0);
    const uint8_t le[4] = {4, 3, 2, 1};
    assert_memory_equal(ut_at(m, off + R_DATA), le, 4);
    v = 0xA0B0C0D0;
    assert_int_equal(zeroipc_ring_write_spsc(r, &v), ZEROIPC_OK);
    assert_int_equal(ut_get32(m, off + R_DATA + 4), 0xA0B0C0D0u);
    assert_int_equal(ut_get64(m, off + R_WRITE), 8);
    uint32_t out;
    assert_int_equal(zeroipc_ring_read_spsc(r, &out), ZEROIPC_OK);
    assert_int_equal(out, 0x01020304u);
    assert_int_equal(ut_get64(m, off + R_READ), 4);
    /* Read bytes stay in place; nothing else moved. */
    assert_memory_equal(ut_at(m, off + R_DATA), le, 4);
    assert_int_equal(ut_get32(m, off + R_CAP), 64);
    assert_int_equal(ut_get32(m, off + R_ELEM), 4);
    for (size_t i = 8; i < 64; i++)
        assert_int_equal(*ut_at(m, off + R_DATA + i), 0);

    /* Odd element sizes: the capacity is elems * elem_size, and the next
     * structure starts 8-aligned. */
    zeroipc_ring_t *o = mkring(m, "odd", 3, 5);
    assert_int_equal(zeroipc_ring_capacity(o), 5);
    assert_int_equal(zeroipc_ring_capacity_bytes(o), 15);
    ut_find(m, "odd", &off, &size);
    assert_int_equal(size, 24 + 15);
    assert_int_equal(ut_get32(m, off + R_CAP), 15);
    assert_int_equal(ut_get32(m, off + R_ELEM), 3);
    zeroipc_ring_t *after = mkring(m, "after", 1, 1);
    ut_find(m, "after", &off, &size);
    assert_int_equal(off % 8, 0);
    assert_int_equal(size, 25);
    assert_int_equal(zeroipc_ring_capacity(after), 1);

    /* From a byte capacity, rounded down like the C++ constructor. */
    const size_t shapes[][3] = {/* elem, bytes asked, bytes stored */
                                {4, 64, 64}, {4, 66, 64}, {4, 67, 64},
                                {3, 10, 9},  {8, 8, 8},   {1, 7, 7},
                                {16, 31, 16}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        char n[8];
        snprintf(n, sizeof n, "b%zu", i);
        zeroipc_ring_t *b = keep_ring(
            zeroipc_ring_create_bytes(m, n, shapes[i][0], shapes[i][1]));
        assert_non_null(b);
        assert_int_equal(zeroipc_ring_capacity_bytes(b), shapes[i][2]);
        assert_int_equal(zeroipc_ring_capacity(b), shapes[i][2] / shapes[i][0]);
        ut_find(m, n, &off, &size);
        assert_int_equal(size, 24 + shapes[i][2]);
        assert_int_equal(ut_get32(m, off + R_CAP), shapes[i][2]);
        assert_int_equal(ut_get32(m, off + R_ELEM), shapes[i][0]);
        assert_int_equal(size, zeroipc_ring_footprint(shapes[i][0],
                                                      shapes[i][2] / shapes[i][0]));
        close_ring(b);
    }
}

static void test_full_empty(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "rfe", 4096, 4);
    zeroipc_ring_t *r = mkring(m, "r", sizeof(int32_t), 8);
    int32_t out = -1;
    assert_int_equal(zeroipc_ring_empty(r), 1);
    assert_int_equal(zeroipc_ring_full(r), 0);
    assert_int_equal(zeroipc_ring_size(r), 0);
    assert_int_equal(zeroipc_ring_read_spsc(r, &out), ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_ring_peek_spsc(r, &out), ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(out, -1);

    for (int32_t i = 0; i < 8; i++) {
        int32_t v = 100 + i;
        assert_int_equal(zeroipc_ring_write_spsc(r, &v), ZEROIPC_OK);
        assert_int_equal(zeroipc_ring_size(r), (size_t)i + 1);
        assert_int_equal(zeroipc_ring_empty(r), 0);
    }
    /* Full at exactly capacity bytes: write_pos - read_pos + 4 > 32. */
    assert_int_equal(zeroipc_ring_full(r), 1);
    int32_t extra = 999;
    assert_int_equal(zeroipc_ring_write_spsc(r, &extra), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_ring_write_many_spsc(r, &extra, 1), 0);
    assert_int_equal(zeroipc_ring_size(r), 8);

    assert_int_equal(zeroipc_ring_peek_spsc(r, &out), ZEROIPC_OK);
    assert_int_equal(out, 100);
    assert_int_equal(zeroipc_ring_size(r), 8); /* peek takes nothing */
    for (int32_t i = 0; i < 8; i++) {
        assert_int_equal(zeroipc_ring_read_spsc(r, &out), ZEROIPC_OK);
        assert_int_equal(out, 100 + i);
        assert_int_equal(zeroipc_ring_full(r), 0);
    }
    assert_int_equal(zeroipc_ring_empty(r), 1);
    assert_int_equal(zeroipc_ring_read_spsc(r, &out), ZEROIPC_ERROR_NOT_FOUND);

    /* One element of capacity: full after one write, and FIFO across laps. */
    zeroipc_ring_t *one = mkring(m, "one", 8, 1);
    for (uint64_t i = 0; i < 100; i++) {
        uint64_t a = i * 7, got;
        assert_int_equal(zeroipc_ring_write_spsc(one, &a), ZEROIPC_OK);
        assert_int_equal(zeroipc_ring_full(one), 1);
        assert_int_equal(zeroipc_ring_write_spsc(one, &a), ZEROIPC_ERROR_SIZE);
        assert_int_equal(zeroipc_ring_read_spsc(one, &got), ZEROIPC_OK);
        assert_int_equal(got, a);
        assert_int_equal(zeroipc_ring_read_spsc(one, &got), ZEROIPC_ERROR_NOT_FOUND);
    }
}

/* Single elements across many laps of a ring whose capacity is not a
 * power of two; positions and bytes checked against the formula. */
static void test_wraparound(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "rwr", 4096, 4);
    zeroipc_ring_t *r = mkring(m, "r", 3, 5); /* 15 bytes */
    size_t off;
    ut_find(m, "r", &off, NULL);
    uint32_t next_in = 0, next_out = 0;
    for (int k = 0; k < 4; k++, next_in++)
        assert_int_equal(zeroipc_ring_write_spsc(r, &next_in), ZEROIPC_OK);
    for (int k = 0; k < 1000; k++) {
        uint8_t e[3] = {(uint8_t)next_in, (uint8_t)(next_in >> 8), 0x5A};
        uint64_t wp = ut_get64(m, off + R_WRITE);
        assert_int_equal(wp, (uint64_t)next_in * 3);
        assert_int_equal(zeroipc_ring_write_spsc(r, e), ZEROIPC_OK);
        assert_memory_equal(ut_at(m, off + R_DATA + wp % 15), e, 3);
        next_in++;
        assert_int_equal(zeroipc_ring_full(r), 1);
        uint8_t got[3];
        assert_int_equal(zeroipc_ring_read_spsc(r, got), ZEROIPC_OK);
        if (next_out >= 4) {
            assert_int_equal(got[0], (uint8_t)next_out);
            assert_int_equal(got[1], (uint8_t)(next_out >> 8));
            assert_int_equal(got[2], 0x5A);
        }
        next_out++;
        assert_int_equal(zeroipc_ring_size(r), 4);
    }
    assert_int_equal(ut_get64(m, off + R_WRITE), (uint64_t)next_in * 3);
    assert_int_equal(ut_get64(m, off + R_READ), (uint64_t)next_out * 3);
}

/* Runs that meet the end of the buffer are split there, byte for byte;
 * and positions that are not multiples of elem_size (as a foreign writer
 * could leave them) split single elements, still consistently. */
static void test_wrap_split(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "rsp", 4096, 4);
    zeroipc_ring_t *r = mkring(m, "r", 4, 4); /* 16 bytes */
    size_t off;
    ut_find(m, "r", &off, NULL);
    uint32_t in[4] = {0x11111111, 0x22222222, 0x33333333, 0x44444444}, out[4];
    assert_int_equal(zeroipc_ring_write_many_spsc(r, in, 3), 3);
    assert_int_equal(zeroipc_ring_read_many_spsc(r, out, 3), 3);
    /* write_pos = read_pos = 12: a run of 3 goes to 12..15, then 0..7. */
    uint32_t run[3] = {0xAAAAAAAA, 0xBBBBBBBB, 0xCCCCCCCC};
    assert_int_equal(zeroipc_ring_write_many_spsc(r, run, 3), 3);
    assert_int_equal(ut_get32(m, off + R_DATA + 12), 0xAAAAAAAAu);
    assert_int_equal(ut_get32(m, off + R_DATA + 0), 0xBBBBBBBBu);
    assert_int_equal(ut_get32(m, off + R_DATA + 4), 0xCCCCCCCCu);
    assert_int_equal(ut_get32(m, off + R_DATA + 8), 0x33333333u); /* old */
    assert_int_equal(ut_get64(m, off + R_WRITE), 24);
    memset(out, 0, sizeof out);
    assert_int_equal(zeroipc_ring_read_many_spsc(r, out, 4), 3);
    assert_memory_equal(out, run, sizeof run);
    assert_int_equal(ut_get64(m, off + R_READ), 24);

    /* Both positions at 2 (mod 4): every element straddles something, the
     * fourth the end of the buffer (bytes 14, 15, 0, 1). */
    ut_set64(m, off + R_WRITE, 2);
    ut_set64(m, off + R_READ, 2);
    memset(ut_at(m, off + R_DATA), 0, 16);
    assert_int_equal(zeroipc_ring_write_many_spsc(r, in, 4), 4);
    assert_int_equal(zeroipc_ring_full(r), 1);
    const uint8_t want[16] = {0x44, 0x44, 0x11, 0x11, 0x11, 0x11, 0x22, 0x22,
                              0x22, 0x22, 0x33, 0x33, 0x33, 0x33, 0x44, 0x44};
    assert_memory_equal(ut_at(m, off + R_DATA), want, 16);
    for (int i = 0; i < 4; i++) {
        uint32_t got;
        assert_int_equal(zeroipc_ring_peek_spsc(r, &got), ZEROIPC_OK);
        assert_int_equal(got, in[i]);
        assert_int_equal(zeroipc_ring_read_spsc(r, &got), ZEROIPC_OK);
        assert_int_equal(got, in[i]);
    }
    assert_int_equal(ut_get64(m, off + R_READ), 18);
}

/* Positions near 2^64: the distance is taken modulo 2^64 (a power-of-two
 * capacity keeps the byte of each position in place across the wrap). */
static void test_wrap_u64(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "r64", 4096, 4);
    zeroipc_ring_t *r = mkring(m, "r", 8, 4); /* 32 bytes */
    size_t off;
    ut_find(m, "r", &off, NULL);
    const uint64_t T = UINT64_MAX - 15; /* 2^64 - 16: 16 mod 32 */
    ut_set64(m, off + R_WRITE, T);
    ut_set64(m, off + R_READ, T);
    assert_int_equal(zeroipc_ring_size(r), 0);
    uint64_t next_in = 0, next_out = 0;
    for (int round = 0; round < 50; round++) {
        uint64_t buf[4];
        size_t n = (size_t)(round % 4) + 1;
        for (size_t i = 0; i < n; i++)
            buf[i] = next_in + i;
        next_in += zeroipc_ring_write_many_spsc(r, buf, n);
        size_t got = zeroipc_ring_read_many_spsc(r, buf, (size_t)(round % 3) + 1);
        for (size_t i = 0; i < got; i++)
            assert_int_equal(buf[i], next_out++);
    }
    /* Wrapped past zero. */
    assert_true(ut_get64(m, off + R_WRITE) < T);
    assert_int_equal(ut_get64(m, off + R_WRITE), T + next_in * 8);
    assert_int_equal(ut_get64(m, off + R_READ), T + next_out * 8);
    assert_int_equal(zeroipc_ring_size(r), next_in - next_out);
}

static void test_many(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "rmn", 65536, 4);
    zeroipc_ring_t *r = mkring(m, "r", sizeof(uint32_t), 8);
    uint32_t in[20], out[20];
    for (uint32_t i = 0; i < 20; i++)
        in[i] = 100 + i;
    assert_int_equal(zeroipc_ring_write_many_spsc(r, in, 0), 0);
    assert_int_equal(zeroipc_ring_write_many_spsc(r, in, 3), 3);
    uint32_t one = 103;
    assert_int_equal(zeroipc_ring_write_spsc(r, &one), ZEROIPC_OK);
    assert_int_equal(zeroipc_ring_write_many_spsc(r, in + 4, 20), 4); /* room for 4 */
    assert_int_equal(zeroipc_ring_write_many_spsc(r, in, 1), 0);      /* full */
    assert_int_equal(zeroipc_ring_full(r), 1);
    assert_int_equal(zeroipc_ring_read_spsc(r, &one), ZEROIPC_OK);
    assert_int_equal(one, 100);
    assert_int_equal(zeroipc_ring_read_many_spsc(r, out, 0), 0);
    assert_int_equal(zeroipc_ring_read_many_spsc(r, out, 2), 2);
    assert_int_equal(out[0], 101);
    assert_int_equal(out[1], 102);
    assert_int_equal(zeroipc_ring_write_many_spsc(r, in + 8, 3), 3); /* wraps */
    memset(out, 0, sizeof out);
    assert_int_equal(zeroipc_ring_read_many_spsc(r, out, 20), 8);
    for (uint32_t i = 0; i < 8; i++)
        assert_int_equal(out[i], 103 + i);
    assert_int_equal(zeroipc_ring_read_many_spsc(r, out, 20), 0); /* empty */

    /* Many laps of mixed batch and single calls. */
    uint32_t next_in = 0, next_out = 0;
    for (int round = 0; round < 3000; round++) {
        uint32_t buf[9];
        size_t n = (size_t)(round % 9) + 1;
        for (size_t i = 0; i < n; i++)
            buf[i] = next_in + (uint32_t)i;
        if (round % 5 == 0)
            next_in += zeroipc_ring_write_spsc(r, buf) == ZEROIPC_OK;
        else
            next_in += (uint32_t)zeroipc_ring_write_many_spsc(r, buf, n);
        if (round % 7 == 0) {
            if (zeroipc_ring_read_spsc(r, buf) == ZEROIPC_OK)
                assert_int_equal(buf[0], next_out++);
        } else {
            size_t got = zeroipc_ring_read_many_spsc(r, buf, (size_t)(round % 6) + 1);
            for (size_t i = 0; i < got; i++)
                assert_int_equal(buf[i], next_out++);
        }
        assert_int_equal(zeroipc_ring_size(r), next_in - next_out);
    }
    while (zeroipc_ring_read_many_spsc(r, out, 20) > 0)
        ;
    assert_int_equal(zeroipc_ring_empty(r), 1);

    /* Blocking batches that need not wait. */
    size_t moved = 99;
    assert_int_equal(zeroipc_ring_write_many_timeout_spsc(r, in, 5, &moved, 0), ZEROIPC_OK);
    assert_int_equal(moved, 5);
    assert_int_equal(zeroipc_ring_write_many_wait_spsc(r, in + 5, 10, &moved), ZEROIPC_OK);
    assert_int_equal(moved, 3);
    assert_int_equal(zeroipc_ring_write_many_timeout_spsc(r, in, 0, &moved, 10), ZEROIPC_OK);
    assert_int_equal(moved, 0);
    assert_int_equal(zeroipc_ring_read_many_timeout_spsc(r, out, 6, &moved, 0), ZEROIPC_OK);
    assert_int_equal(moved, 6);
    assert_int_equal(zeroipc_ring_read_many_wait_spsc(r, out + 6, 6, &moved), ZEROIPC_OK);
    assert_int_equal(moved, 2);
    assert_memory_equal(out, in, 8 * sizeof in[0]);
    assert_int_equal(zeroipc_ring_read_many_timeout_spsc(r, out, 0, &moved, 10), ZEROIPC_OK);
    assert_int_equal(moved, 0);
    /* And that must wait: empty / full. */
    moved = 99;
    assert_int_equal(zeroipc_ring_read_many_timeout_spsc(r, out, 4, &moved, 20),
                     ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(moved, 0);
    assert_int_equal(zeroipc_ring_write_many_spsc(r, in, 8), 8);
    moved = 99;
    assert_int_equal(zeroipc_ring_write_many_timeout_spsc(r, in, 4, &moved, 20),
                     ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(moved, 0);
}

static void test_null_args(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "rna", 4096, 4);
    zeroipc_ring_t *r = mkring(m, "r", 4, 4);
    int32_t v = 1;
    size_t moved = 5;
    const int E = ZEROIPC_ERROR_INVALID_ARGUMENT;
    assert_int_equal(zeroipc_ring_write_spsc(NULL, &v), E);
    assert_int_equal(zeroipc_ring_write_spsc(r, NULL), E);
    assert_int_equal(zeroipc_ring_size(r), 0);
    assert_int_equal(zeroipc_ring_write_spsc(r, &v), ZEROIPC_OK);
    assert_int_equal(zeroipc_ring_read_spsc(NULL, &v), E);
    assert_int_equal(zeroipc_ring_read_spsc(r, NULL), E);
    assert_int_equal(zeroipc_ring_peek_spsc(NULL, &v), E);
    assert_int_equal(zeroipc_ring_peek_spsc(r, NULL), E);
    assert_int_equal(zeroipc_ring_write_timeout_spsc(NULL, &v, 10), E);
    assert_int_equal(zeroipc_ring_write_timeout_spsc(r, NULL, 10), E);
    assert_int_equal(zeroipc_ring_read_timeout_spsc(NULL, &v, 10), E);
    assert_int_equal(zeroipc_ring_read_timeout_spsc(r, NULL, 10), E);
    assert_int_equal(zeroipc_ring_write_wait_spsc(NULL, &v), E);
    assert_int_equal(zeroipc_ring_write_wait_spsc(r, NULL), E);
    assert_int_equal(zeroipc_ring_read_wait_spsc(NULL, &v), E);
    assert_int_equal(zeroipc_ring_read_wait_spsc(r, NULL), E);
    assert_int_equal(zeroipc_ring_write_many_spsc(NULL, &v, 1), 0);
    assert_int_equal(zeroipc_ring_write_many_spsc(r, NULL, 1), 0);
    assert_int_equal(zeroipc_ring_read_many_spsc(NULL, &v, 1), 0);
    assert_int_equal(zeroipc_ring_read_many_spsc(r, NULL, 1), 0);
    assert_int_equal(zeroipc_ring_write_many_timeout_spsc(NULL, &v, 1, &moved, 10), E);
    assert_int_equal(moved, 0);
    moved = 5;
    assert_int_equal(zeroipc_ring_write_many_timeout_spsc(r, NULL, 1, &moved, 10), E);
    assert_int_equal(moved, 0);
    assert_int_equal(zeroipc_ring_write_many_timeout_spsc(r, &v, 1, NULL, 10), E);
    assert_int_equal(zeroipc_ring_read_many_timeout_spsc(NULL, &v, 1, &moved, 10), E);
    assert_int_equal(zeroipc_ring_read_many_timeout_spsc(r, NULL, 1, &moved, 10), E);
    assert_int_equal(zeroipc_ring_read_many_timeout_spsc(r, &v, 1, NULL, 10), E);
    assert_int_equal(zeroipc_ring_write_many_wait_spsc(r, &v, 1, NULL), E);
    assert_int_equal(zeroipc_ring_read_many_wait_spsc(r, &v, 1, NULL), E);
    assert_int_equal(zeroipc_ring_size(r), 1);
    assert_int_equal(zeroipc_ring_size(NULL), 0);
    assert_int_equal(zeroipc_ring_empty(NULL), E);
    assert_int_equal(zeroipc_ring_full(NULL), E);
    assert_int_equal(zeroipc_ring_capacity(NULL), 0);
    assert_int_equal(zeroipc_ring_capacity_bytes(NULL), 0);
    assert_int_equal(zeroipc_ring_elem_size(NULL), 0);
    zeroipc_ring_close(NULL);
}

static void test_timeouts(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "rto", 4096, 4);
    zeroipc_ring_t *r = mkring(m, "r", sizeof(int32_t), 2);
    int32_t v = 5, out = -1;

    int64_t t0 = zt_now_ms();
    assert_int_equal(zeroipc_ring_read_timeout_spsc(r, &out, 0), ZEROIPC_ERROR_TIMEOUT);
    assert_true(zt_now_ms() - t0 < 200);

    t0 = zt_now_ms();
    assert_int_equal(zeroipc_ring_read_timeout_spsc(r, &out, 50), ZEROIPC_ERROR_TIMEOUT);
    int64_t el = zt_now_ms() - t0;
    assert_true(el >= 45);
    assert_true(el < 1000);
    assert_int_equal(out, -1);

    assert_int_equal(zeroipc_ring_write_timeout_spsc(r, &v, 0), ZEROIPC_OK);
    v = 6;
    assert_int_equal(zeroipc_ring_write_timeout_spsc(r, &v, 50), ZEROIPC_OK);
    assert_int_equal(zeroipc_ring_full(r), 1);

    t0 = zt_now_ms();
    assert_int_equal(zeroipc_ring_write_timeout_spsc(r, &v, 0), ZEROIPC_ERROR_TIMEOUT);
    assert_true(zt_now_ms() - t0 < 200);
    t0 = zt_now_ms();
    assert_int_equal(zeroipc_ring_write_timeout_spsc(r, &v, 50), ZEROIPC_ERROR_TIMEOUT);
    el = zt_now_ms() - t0;
    assert_true(el >= 45);
    assert_true(el < 1000);
    assert_int_equal(zeroipc_ring_size(r), 2);

    assert_int_equal(zeroipc_ring_read_timeout_spsc(r, &out, 0), ZEROIPC_OK);
    assert_int_equal(out, 5);
    assert_int_equal(zeroipc_ring_read_timeout_spsc(r, &out, -1), ZEROIPC_OK);
    assert_int_equal(out, 6);
    v = 7;
    assert_int_equal(zeroipc_ring_write_wait_spsc(r, &v), ZEROIPC_OK);
    assert_int_equal(zeroipc_ring_read_wait_spsc(r, &out), ZEROIPC_OK);
    assert_int_equal(out, 7);
    assert_int_equal(zeroipc_ring_write_timeout_spsc(r, &v, -1), ZEROIPC_OK);
    assert_int_equal(zeroipc_ring_size(r), 1);
}

enum { OP_WRITE, OP_READ, OP_WRITE_MANY, OP_READ_MANY };

struct delayed {
    zeroipc_ring_t *r;
    int delay_ms;
    int op;
    int32_t value[4];
    size_t n;
    int rc;
};

static void *delayed_op(void *arg)
{
    struct delayed *d = arg;
    sleep_ms(d->delay_ms);
    switch (d->op) {
    case OP_WRITE: d->rc = zeroipc_ring_write_spsc(d->r, d->value); break;
    case OP_READ: d->rc = zeroipc_ring_read_spsc(d->r, d->value); break;
    case OP_WRITE_MANY: d->n = zeroipc_ring_write_many_spsc(d->r, d->value, d->n); break;
    default: d->n = zeroipc_ring_read_many_spsc(d->r, d->value, d->n); break;
    }
    return NULL;
}

static void test_blocking_wakeup(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "rbw", 4096, 4);
    zeroipc_ring_t *r = mkring(m, "r", sizeof(int32_t), 2);
    pthread_t t;

    /* read_wait on an empty ring returns when the producer writes. */
    struct delayed d = {r, 60, OP_WRITE, {4242}, 0, 99};
    int64_t t0 = zt_now_ms();
    assert_int_equal(pthread_create(&t, NULL, delayed_op, &d), 0);
    int32_t out = 0;
    int rc = zeroipc_ring_read_wait_spsc(r, &out);
    int64_t el = zt_now_ms() - t0;
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(rc, ZEROIPC_OK);
    assert_int_equal(d.rc, ZEROIPC_OK);
    assert_int_equal(out, 4242);
    assert_true(el >= 50);
    assert_true(el < 1000);

    /* read_timeout with a long limit returns early too. */
    d = (struct delayed){r, 30, OP_WRITE, {77}, 0, 99};
    t0 = zt_now_ms();
    assert_int_equal(pthread_create(&t, NULL, delayed_op, &d), 0);
    rc = zeroipc_ring_read_timeout_spsc(r, &out, 3000);
    el = zt_now_ms() - t0;
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(rc, ZEROIPC_OK);
    assert_int_equal(out, 77);
    assert_true(el < 1000);

    /* read_many_wait on empty, woken by a batch of 2: takes both. */
    d = (struct delayed){r, 40, OP_WRITE_MANY, {8, 9}, 2, 99};
    t0 = zt_now_ms();
    assert_int_equal(pthread_create(&t, NULL, delayed_op, &d), 0);
    int32_t got[4] = {0};
    size_t moved = 0;
    rc = zeroipc_ring_read_many_wait_spsc(r, got, 4, &moved);
    el = zt_now_ms() - t0;
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(rc, ZEROIPC_OK);
    assert_int_equal(d.n, 2);
    assert_int_equal(moved, 2); /* a batch is published with one store */
    assert_int_equal(got[0], 8);
    assert_int_equal(got[1], 9);
    assert_true(el >= 30);
    assert_true(el < 1000);

    /* write_wait on a full ring returns when the consumer reads. */
    int32_t a = 1, b = 2, c = 3;
    assert_int_equal(zeroipc_ring_write_spsc(r, &a), ZEROIPC_OK);
    assert_int_equal(zeroipc_ring_write_spsc(r, &c), ZEROIPC_OK);
    assert_int_equal(zeroipc_ring_full(r), 1);
    d = (struct delayed){r, 60, OP_READ, {0}, 0, 99};
    t0 = zt_now_ms();
    assert_int_equal(pthread_create(&t, NULL, delayed_op, &d), 0);
    rc = zeroipc_ring_write_wait_spsc(r, &b);
    el = zt_now_ms() - t0;
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(rc, ZEROIPC_OK);
    assert_int_equal(d.rc, ZEROIPC_OK);
    assert_int_equal(d.value[0], 1);
    assert_true(el >= 50);
    assert_true(el < 1000);

    /* write_many_timeout on a full ring, freed by a batch read of 2. */
    d = (struct delayed){r, 30, OP_READ_MANY, {0}, 2, 99};
    int32_t more[3] = {10, 11, 12};
    t0 = zt_now_ms();
    assert_int_equal(pthread_create(&t, NULL, delayed_op, &d), 0);
    rc = zeroipc_ring_write_many_timeout_spsc(r, more, 3, &moved, 3000);
    el = zt_now_ms() - t0;
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(rc, ZEROIPC_OK);
    assert_int_equal(d.n, 2);
    assert_int_equal(d.value[0], 3);
    assert_int_equal(d.value[1], 2);
    assert_int_equal(moved, 2);
    assert_true(el < 1000);
    assert_int_equal(zeroipc_ring_read_many_spsc(r, got, 4), 2);
    assert_int_equal(got[0], 10);
    assert_int_equal(got[1], 11);
}

/* A producer that writes shared memory but never wakes anyone (like the
 * public implementations) is still noticed by a waiting consumer. */
struct silent {
    uint8_t *rbase;
    int delay_ms;
    int32_t value;
    int reader; /* 1: advance read_pos instead */
};

static void *silent_peer(void *arg)
{
    struct silent *d = arg;
    sleep_ms(d->delay_ms);
    if (d->reader) {
        atomic_store((_Atomic uint64_t *)(void *)(d->rbase + R_READ), 4);
        return NULL;
    }
    memcpy(d->rbase + R_DATA, &d->value, 4);
    atomic_store((_Atomic uint64_t *)(void *)(d->rbase + R_WRITE), 4);
    return NULL;
}

static void test_silent_peer(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "rsl", 4096, 4);
    zeroipc_ring_t *r = mkring(m, "r", sizeof(int32_t), 1);
    size_t off;
    ut_find(m, "r", &off, NULL);
    struct silent d = {ut_at(m, off), 40, 31337, 0};
    pthread_t t;
    int64_t t0 = zt_now_ms();
    assert_int_equal(pthread_create(&t, NULL, silent_peer, &d), 0);
    int32_t out = 0;
    int rc = zeroipc_ring_read_timeout_spsc(r, &out, 2000);
    int64_t el = zt_now_ms() - t0;
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(rc, ZEROIPC_OK);
    assert_int_equal(out, 31337);
    assert_true(el >= 35);
    assert_true(el < 40 + 500);
    assert_int_equal(zeroipc_ring_empty(r), 1);

    /* And a silent consumer frees a full ring for a waiting producer. */
    ut_set64(m, off + R_WRITE, 4);
    ut_set64(m, off + R_READ, 0);
    assert_int_equal(zeroipc_ring_full(r), 1);
    d = (struct silent){ut_at(m, off), 40, 0, 1};
    t0 = zt_now_ms();
    assert_int_equal(pthread_create(&t, NULL, silent_peer, &d), 0);
    int32_t v = 55;
    rc = zeroipc_ring_write_timeout_spsc(r, &v, 2000);
    el = zt_now_ms() - t0;
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(rc, ZEROIPC_OK);
    assert_true(el >= 35);
    assert_true(el < 40 + 500);
    assert_int_equal(ut_get64(m, off + R_WRITE), 8);
    assert_int_equal(ut_get32(m, off + R_DATA), 55);
}

/* Positions that cannot be a ring's: every call of either side says
 * CORRUPT at once (never waits, never touches memory outside the ring:
 * ASan watches), the observers clamp, and good positions heal it. */
static void test_corrupt_positions(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "rcp", 4096, 4);
    zeroipc_ring_t *r = mkring(m, "r", 4, 4); /* 16 bytes */
    size_t off;
    ut_find(m, "r", &off, NULL);
    const struct { uint64_t w, r; } bad[] = {
        {20, 0},                  /* more than capacity held */
        {0, 4},                   /* read ahead of write */
        {6, 0},                   /* not a whole number of elements */
        {UINT64_MAX, 0},
        {0, UINT64_MAX},
        {UINT64_MAX - 3, 12},     /* wrapped difference still too far */
        {1ull << 63, 1ull << 62},
        {17, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ut_set64(m, off + R_WRITE, bad[i].w);
        ut_set64(m, off + R_READ, bad[i].r);
        uint32_t v = 1, out[4];
        size_t moved = 9;
        assert_int_equal(zeroipc_ring_write_spsc(r, &v), ZEROIPC_ERROR_CORRUPT);
        assert_int_equal(zeroipc_ring_read_spsc(r, &v), ZEROIPC_ERROR_CORRUPT);
        assert_int_equal(zeroipc_ring_peek_spsc(r, &v), ZEROIPC_ERROR_CORRUPT);
        assert_int_equal(zeroipc_ring_write_many_spsc(r, out, 4), 0);
        assert_int_equal(zeroipc_ring_read_many_spsc(r, out, 4), 0);
        int64_t t0 = zt_now_ms();
        assert_int_equal(zeroipc_ring_write_timeout_spsc(r, &v, 5000), ZEROIPC_ERROR_CORRUPT);
        assert_int_equal(zeroipc_ring_read_timeout_spsc(r, &v, 5000), ZEROIPC_ERROR_CORRUPT);
        assert_int_equal(zeroipc_ring_write_wait_spsc(r, &v), ZEROIPC_ERROR_CORRUPT);
        assert_int_equal(zeroipc_ring_read_wait_spsc(r, &v), ZEROIPC_ERROR_CORRUPT);
        assert_int_equal(zeroipc_ring_write_many_wait_spsc(r, out, 2, &moved),
                         ZEROIPC_ERROR_CORRUPT);
        assert_int_equal(moved, 0);
        assert_int_equal(zeroipc_ring_read_many_timeout_spsc(r, out, 2, &moved, 5000),
                         ZEROIPC_ERROR_CORRUPT);
        assert_true(zt_now_ms() - t0 < 1000);
        /* Nothing was written or moved. */
        assert_int_equal(ut_get64(m, off + R_WRITE), bad[i].w);
        assert_int_equal(ut_get64(m, off + R_READ), bad[i].r);
        assert_true(zeroipc_ring_size(r) <= 4);
        assert_true(zeroipc_ring_empty(r) == 0 || zeroipc_ring_empty(r) == 1);
    }
    /* More than capacity held: observers clamp to full. */
    ut_set64(m, off + R_WRITE, 1000);
    ut_set64(m, off + R_READ, 0);
    assert_int_equal(zeroipc_ring_size(r), 4);
    assert_int_equal(zeroipc_ring_full(r), 1);
    /* Large but consistent positions work: indexes are modulo capacity. */
    ut_set64(m, off + R_WRITE, UINT64_MAX - 7);
    ut_set64(m, off + R_READ, UINT64_MAX - 11);
    uint32_t v = 0xFEED, out = 0;
    assert_int_equal(zeroipc_ring_size(r), 1);
    assert_int_equal(zeroipc_ring_write_spsc(r, &v), ZEROIPC_OK);
    assert_int_equal(zeroipc_ring_read_spsc(r, &out), ZEROIPC_OK);
    assert_int_equal(zeroipc_ring_read_spsc(r, &out), ZEROIPC_OK);
    assert_int_equal(out, 0xFEED);
    assert_int_equal(zeroipc_ring_empty(r), 1);
}

static void test_create_errors(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "rce", 2048, 3);
    mkring(m, "taken", 4, 4);
    uint64_t next = ut_get64(m, UT_H_NEXT);
    char n31[32], n32[33];
    ut_len_name(n31, 31, 'r');
    ut_len_name(n32, 32, 'r');

    UT_EXPECT_NULL(zeroipc_ring_create(NULL, "x", 4, 4), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_ring_create_bytes(NULL, "x", 4, 16), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_ring_create(m, NULL, 4, 4), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_ring_create(m, "", 4, 4), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_ring_create(m, n32, 4, 4), ZEROIPC_ERROR_NAME_TOO_LONG);
    UT_EXPECT_NULL(zeroipc_ring_create(m, "x", 0, 4), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_ring_create(m, "x", 4, 0), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_ring_create(m, "x", (size_t)UINT32_MAX + 1, 1), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_ring_create(m, "x", 1, (size_t)UINT32_MAX + 1), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_ring_create(m, "x", 2, ((size_t)1 << 31)), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_ring_create(m, "x", 4, SIZE_MAX), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_ring_create(m, "x", SIZE_MAX, 2), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_ring_create_bytes(m, "x", 0, 16), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_ring_create_bytes(m, "x", 4, 3), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_ring_create_bytes(m, "x", 4, 0), ZEROIPC_ERROR_SIZE);
    /* Fits the u32 field, but not this segment. */
    UT_EXPECT_NULL(zeroipc_ring_create(m, "x", 1, UINT32_MAX), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_ring_create_bytes(m, "x", 4, SIZE_MAX), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_ring_create(m, "x", 4, 1024), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_ring_create(m, "taken", 4, 4), ZEROIPC_ERROR_ALREADY_EXISTS);
    assert_int_equal(ut_get64(m, UT_H_NEXT), next);
    assert_int_equal(zeroipc_table_count(m), 1);

    mkring(m, n31, 4, 4);
    keep_ring(zeroipc_ring_create_bytes(m, "third", 4, 18));
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
    next = ut_get64(m, UT_H_NEXT);
    UT_EXPECT_NULL(zeroipc_ring_create(m, "x", 4, 4), ZEROIPC_ERROR_TABLE_FULL);
    assert_int_equal(ut_get64(m, UT_H_NEXT), next);
}

static void test_open(void **state)
{
    (void)state;
    const char *name;
    zeroipc_memory_t *m = ut_seg(&name, "rop", 8192, 10);
    zeroipc_ring_t *r = mkring(m, "r", 12, 5);
    uint8_t v[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, out[12];
    assert_int_equal(zeroipc_ring_write_spsc(r, v), ZEROIPC_OK);

    zeroipc_memory_t *m2 = ut_open(name);
    zeroipc_ring_t *r2 = keep_ring(zeroipc_ring_open(m2, "r"));
    assert_non_null(r2);
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
    assert_int_equal(zeroipc_ring_capacity(r2), 5);
    assert_int_equal(zeroipc_ring_capacity_bytes(r2), 60);
    assert_int_equal(zeroipc_ring_elem_size(r2), 12);
    assert_int_equal(zeroipc_ring_size(r2), 1);
    assert_int_equal(zeroipc_ring_read_spsc(r2, out), ZEROIPC_OK);
    assert_memory_equal(out, v, 12);
    assert_int_equal(zeroipc_ring_empty(r), 1);
    v[0] = 42;
    assert_int_equal(zeroipc_ring_write_spsc(r2, v), ZEROIPC_OK);
    assert_int_equal(zeroipc_ring_read_spsc(r, out), ZEROIPC_OK);
    assert_int_equal(out[0], 42);

    char n32[33];
    ut_len_name(n32, 32, 'r');
    UT_EXPECT_NULL(zeroipc_ring_open(NULL, "r"), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_ring_open(m, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_ring_open(m, ""), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_ring_open(m, n32), ZEROIPC_ERROR_NAME_TOO_LONG);
    UT_EXPECT_NULL(zeroipc_ring_open(m, "absent"), ZEROIPC_ERROR_NOT_FOUND);

    /* Other kinds are not rings. */
    assert_non_null(ut_keep_queue(zeroipc_queue_create(m, "q", 4, 8)));
    UT_EXPECT_NULL(zeroipc_ring_open(m, "q"), ZEROIPC_ERROR_WRONG_KIND);
    assert_non_null(ut_keep_stack(zeroipc_stack_create(m, "stk", 4, 8)));
    UT_EXPECT_NULL(zeroipc_ring_open(m, "stk"), ZEROIPC_ERROR_WRONG_KIND);
}

static void test_open_bad_headers(void **state)
{
    (void)state;
    const char *name;
    zeroipc_memory_t *m = ut_seg(&name, "rbh", 8192, 10);
    size_t off;

    mkring(m, "r", 4, 8); /* 32 bytes, size 56 */
    close_ring(rt_rings[0]);
    ut_find(m, "r", &off, NULL);
    ut_set32(m, off + R_CAP, 30); /* not a multiple of 4 */
    UT_EXPECT_NULL(zeroipc_ring_open(m, "r"), ZEROIPC_ERROR_WRONG_KIND);
    ut_set32(m, off + R_CAP, 0);
    UT_EXPECT_NULL(zeroipc_ring_open(m, "r"), ZEROIPC_ERROR_WRONG_KIND);
    ut_set32(m, off + R_CAP, 28); /* a multiple, but not this size */
    UT_EXPECT_NULL(zeroipc_ring_open(m, "r"), ZEROIPC_ERROR_WRONG_KIND);
    ut_set32(m, off + R_CAP, 0xFFFFFFFCu);
    UT_EXPECT_NULL(zeroipc_ring_open(m, "r"), ZEROIPC_ERROR_WRONG_KIND);
    ut_set32(m, off + R_CAP, 32);
    ut_set32(m, off + R_ELEM, 0);
    UT_EXPECT_NULL(zeroipc_ring_open(m, "r"), ZEROIPC_ERROR_WRONG_KIND);
    ut_set32(m, off + R_ELEM, 64); /* larger than the capacity */
    UT_EXPECT_NULL(zeroipc_ring_open(m, "r"), ZEROIPC_ERROR_WRONG_KIND);
    ut_set32(m, off + R_ELEM, 3);
    UT_EXPECT_NULL(zeroipc_ring_open(m, "r"), ZEROIPC_ERROR_WRONG_KIND);
    ut_set32(m, off + R_ELEM, 8); /* another valid shape of this size */
    zeroipc_ring_t *r8 = keep_ring(zeroipc_ring_open(m, "r"));
    assert_non_null(r8);
    assert_int_equal(zeroipc_ring_capacity(r8), 4);
    close_ring(r8);
    ut_set32(m, off + R_ELEM, 4);
    /* Corrupt positions do not stop open. */
    ut_set64(m, off + R_READ, 12345);
    zeroipc_ring_t *rc = keep_ring(zeroipc_ring_open(m, "r"));
    assert_non_null(rc);
    uint32_t x;
    assert_int_equal(zeroipc_ring_read_spsc(rc, &x), ZEROIPC_ERROR_CORRUPT);
    close_ring(rc);
    ut_set64(m, off + R_READ, 0);

    /* An entry whose offset is not 8-aligned: a ring's header there is
     * well-formed, but its 64-bit atomics would be misaligned. */
    assert_int_equal(zeroipc_table_add(m, "mis", 24 + 16 + 8, &off), ZEROIPC_OK);
    ut_set32(m, off + 4 + R_CAP, 16);
    ut_set32(m, off + 4 + R_ELEM, 4);
    uint32_t count = ut_get32(m, UT_H_COUNT);
    size_t e = UT_ENTRY(count - 1);
    assert_string_equal((const char *)ut_at(m, e), "mis");
    ut_set64(m, e + UT_E_OFFSET, off + 4);
    ut_set64(m, e + UT_E_SIZE, 24 + 16);
    UT_EXPECT_NULL(zeroipc_ring_open(m, "mis"), ZEROIPC_ERROR_CORRUPT);

    /* Through the file of a closed segment: an entry pointing outside. */
    ut_teardown(NULL);
    ut_setup(NULL);
    m = ut_seg(&name, "rbh2", 4096, 4);
    mkring(m, "r", 4, 8);
    ut_find(m, "r", &off, NULL);
    close_ring(rt_rings[0]);
    ut_close_mem(m);
    ut_poke32(name, off + R_CAP, 12);
    m = ut_open(name);
    UT_EXPECT_NULL(zeroipc_ring_open(m, "r"), ZEROIPC_ERROR_WRONG_KIND);
    ut_close_mem(m);
    ut_poke32(name, off + R_CAP, 32);
    ut_poke64(name, UT_ENTRY(0) + UT_E_OFFSET, 4096 - 40);
    m = ut_open(name);
    UT_EXPECT_NULL(zeroipc_ring_open(m, "r"), ZEROIPC_ERROR_CORRUPT);
}

static void test_validate_footprint(void **state)
{
    (void)state;
    assert_int_equal(zeroipc_ring_footprint(4, 16), 88);
    assert_int_equal(zeroipc_ring_footprint(4, 8), 56);
    assert_int_equal(zeroipc_ring_footprint(2, 10), 44);
    assert_int_equal(zeroipc_ring_footprint(3, 3), 33);
    assert_int_equal(zeroipc_ring_footprint(1, 1), 25);
    assert_int_equal(zeroipc_ring_footprint(4, 0), 0);
    assert_int_equal(zeroipc_ring_footprint(0, 4), 0);
    assert_int_equal(zeroipc_ring_footprint(1, UINT32_MAX), 24 + (size_t)UINT32_MAX);
    assert_int_equal(zeroipc_ring_footprint(1, (size_t)UINT32_MAX + 1), 0);
    assert_int_equal(zeroipc_ring_footprint(3, UINT32_MAX / 3), 24 + (size_t)UINT32_MAX);
    assert_int_equal(zeroipc_ring_footprint(4, (size_t)1 << 30), 0); /* 2^32 bytes */
    assert_int_equal(zeroipc_ring_footprint((size_t)UINT32_MAX + 1, 1), 0);
    assert_int_equal(zeroipc_ring_footprint(SIZE_MAX, 2), 0);
    assert_int_equal(zeroipc_ring_footprint(2, SIZE_MAX), 0);

    uint8_t buf[128] = {0};
    uint32_t cap = 64, es = 4;
    memcpy(buf + R_CAP, &cap, 4);
    memcpy(buf + R_ELEM, &es, 4);
    assert_int_equal(zeroipc_ring_validate(buf, 88), ZEROIPC_OK);
    assert_int_equal(zeroipc_ring_validate(buf, 87), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_ring_validate(buf, 96), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_ring_validate(buf, 23), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_ring_validate(NULL, 88), ZEROIPC_ERROR_WRONG_KIND);
    /* Positions are not judged. */
    memset(buf, 0xFF, 16);
    assert_int_equal(zeroipc_ring_validate(buf, 88), ZEROIPC_OK);
    /* Unaligned is fine for validate. */
    memcpy(buf + 1 + R_CAP, &cap, 4);
    memcpy(buf + 1 + R_ELEM, &es, 4);
    assert_int_equal(zeroipc_ring_validate(buf + 1, 88), ZEROIPC_OK);
    cap = 62;
    memcpy(buf + R_CAP, &cap, 4);
    assert_int_equal(zeroipc_ring_validate(buf, 24 + 62), ZEROIPC_ERROR_WRONG_KIND);
    cap = 0;
    memcpy(buf + R_CAP, &cap, 4);
    assert_int_equal(zeroipc_ring_validate(buf, 24), ZEROIPC_ERROR_WRONG_KIND);
    cap = 64;
    es = 0;
    memcpy(buf + R_CAP, &cap, 4);
    memcpy(buf + R_ELEM, &es, 4);
    assert_int_equal(zeroipc_ring_validate(buf, 88), ZEROIPC_ERROR_WRONG_KIND);
    es = 128;
    memcpy(buf + R_ELEM, &es, 4);
    assert_int_equal(zeroipc_ring_validate(buf, 88), ZEROIPC_ERROR_WRONG_KIND);
    /* Odd sizes: no padding in a ring. */
    cap = 15;
    es = 3;
    memcpy(buf + R_CAP, &cap, 4);
    memcpy(buf + R_ELEM, &es, 4);
    assert_int_equal(zeroipc_ring_validate(buf, 39), ZEROIPC_OK);
    assert_int_equal(zeroipc_ring_validate(buf, 40), ZEROIPC_ERROR_WRONG_KIND);
}

/* One producer thread and one consumer thread, mixing single, batch,
 * blocking and non-blocking calls: every element once, in order. */
#define SPSC_N 500000u

struct side {
    zeroipc_ring_t *r;
    int rc;
};

static void *spsc_producer(void *arg)
{
    struct side *s = arg;
    uint32_t buf[7];
    for (uint32_t v = 0; v < SPSC_N;) {
        int rc = ZEROIPC_OK;
        size_t moved = 0;
        switch (v % 4) {
        case 0:
            rc = zeroipc_ring_write_timeout_spsc(s->r, &v, 10000);
            moved = rc == ZEROIPC_OK;
            break;
        case 1:
            moved = zeroipc_ring_write_spsc(s->r, &v) == ZEROIPC_OK;
            break;
        default: {
            size_t n = 0;
            while (n < 7 && v + n < SPSC_N) {
                buf[n] = v + (uint32_t)n;
                n++;
            }
            if (v % 3)
                rc = zeroipc_ring_write_many_timeout_spsc(s->r, buf, n, &moved, 10000);
            else
                moved = zeroipc_ring_write_many_spsc(s->r, buf, n);
        }
        }
        if (rc != ZEROIPC_OK) {
            s->rc = rc;
            return NULL;
        }
        v += (uint32_t)moved;
    }
    return NULL;
}

static void *spsc_consumer(void *arg)
{
    struct side *s = arg;
    uint32_t buf[5], next = 0;
    while (next < SPSC_N) {
        size_t got = 0;
        int rc = ZEROIPC_OK;
        if (next % 3 == 0) {
            rc = zeroipc_ring_read_timeout_spsc(s->r, buf, 10000);
            got = rc == ZEROIPC_OK;
        } else if (next % 3 == 1) {
            rc = zeroipc_ring_read_many_timeout_spsc(s->r, buf, 5, &got, 10000);
        } else {
            got = zeroipc_ring_read_many_spsc(s->r, buf, 5);
        }
        if (rc != ZEROIPC_OK) {
            s->rc = rc;
            return NULL;
        }
        for (size_t i = 0; i < got; i++)
            if (buf[i] != next++) {
                s->rc = -1000;
                return NULL;
            }
    }
    return NULL;
}

static void test_spsc_threads(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "rst", 65536, 4);
    zeroipc_ring_t *r = mkring(m, "r", sizeof(uint32_t), 13);
    struct side p = {r, 0}, c = {r, 0};
    pthread_t tp, tc;
    assert_int_equal(pthread_create(&tc, NULL, spsc_consumer, &c), 0);
    assert_int_equal(pthread_create(&tp, NULL, spsc_producer, &p), 0);
    assert_int_equal(pthread_join(tp, NULL), 0);
    assert_int_equal(pthread_join(tc, NULL), 0);
    assert_int_equal(p.rc, 0);
    assert_int_equal(c.rc, 0);
    assert_int_equal(zeroipc_ring_empty(r), 1);
    size_t off;
    ut_find(m, "r", &off, NULL);
    assert_int_equal(ut_get64(m, off + R_WRITE), (uint64_t)SPSC_N * 4);
    assert_int_equal(ut_get64(m, off + R_READ), (uint64_t)SPSC_N * 4);
}

/* ------------------------------------------------------------------ */
/* The shared test vectors (MANIFEST.md): rings written by the public C++
 * and Python implementations. */

#define VEC_SEGMENT_SIZE 262144

struct vec_ring {
    const char *file, *name;
    size_t offset, size;
    uint32_t cap_bytes, elem_size;
    uint64_t wpos, rpos;
    int32_t slots[16];       /* raw buffer as elements */
    int32_t unread[8];
    size_t nunread;
};

static const struct vec_ring vec_rings[] = {
    {"cpp_all.seg", "ring_i32", 3280, 88, 64, 4, 20, 4,
     {100, 200, 300, 400, 500}, {200, 300, 400, 500}, 4},
    {"cpp_all.seg", "strm_buffer", 6064, 56, 32, 4, 20, 4,
     {1, 2, 3, 4, 5}, {2, 3, 4, 5}, 4},
    {"py_core.seg", "p_ring_i16", 3328, 44, 20, 2, 6, 2,
     {1, 2, 3}, {2, 3}, 2},
};

/* The vectors directory, or NULL: then the test is skipped. */
static const char *vec_dir(void)
{
    const char *dir = getenv("ZEROIPC_VECTORS");
    struct stat st;
    if (dir == NULL || dir[0] == '\0' || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "ZEROIPC_VECTORS unset or not a directory: skipped\n");
        return NULL;
    }
    return dir;
}

/* The file's bytes (VEC_SEGMENT_SIZE of them), malloc'ed: free it. */
static uint8_t *vec_load(const char *dir, const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("%s: %s", path, strerror(errno));
    uint8_t *buf = malloc(VEC_SEGMENT_SIZE);
    size_t got = buf ? fread(buf, 1, VEC_SEGMENT_SIZE, f) : 0;
    fclose(f);
    if (got != VEC_SEGMENT_SIZE) {
        free(buf);
        fail_msg("%s: short read", path);
    }
    return buf;
}

/* Reads each vector ring from a live copy of its segment. */
static void test_vectors_read(void **state)
{
    (void)state;
    const char *dir = vec_dir();
    if (dir == NULL)
        skip();
    for (size_t i = 0; i < sizeof vec_rings / sizeof vec_rings[0]; i++) {
        const struct vec_ring *e = &vec_rings[i];
        char path[4096], seg[ZT_NAME_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, e->file);
        assert_int_equal(zt_copy_to_shm(path, seg, "rvec"), 0);
        ut_keep_name(seg);
        zeroipc_memory_t *m = ut_open(seg);
        size_t off, size;
        ut_find(m, e->name, &off, &size);
        assert_int_equal(off, e->offset);
        assert_int_equal(size, e->size);
        assert_int_equal(zeroipc_ring_validate(ut_at(m, off), size), ZEROIPC_OK);
        zeroipc_ring_t *r = keep_ring(zeroipc_ring_open(m, e->name));
        assert_non_null(r);
        assert_int_equal(zeroipc_ring_capacity_bytes(r), e->cap_bytes);
        assert_int_equal(zeroipc_ring_elem_size(r), e->elem_size);
        assert_int_equal(zeroipc_ring_capacity(r), e->cap_bytes / e->elem_size);
        assert_int_equal(zeroipc_ring_size(r), e->nunread);
        assert_int_equal(ut_get64(m, off + R_WRITE), e->wpos);
        assert_int_equal(ut_get64(m, off + R_READ), e->rpos);
        /* The raw buffer, slot by slot. */
        for (size_t s = 0; s < e->cap_bytes / e->elem_size; s++) {
            int32_t v = 0;
            if (e->elem_size == 4) {
                memcpy(&v, ut_at(m, off + R_DATA + 4 * s), 4);
            } else {
                int16_t h;
                memcpy(&h, ut_at(m, off + R_DATA + 2 * s), 2);
                v = h;
            }
            assert_int_equal(v, e->slots[s]);
        }
        /* Peek, then read what is unread, oldest first. */
        uint8_t got[8];
        assert_int_equal(zeroipc_ring_peek_spsc(r, got), ZEROIPC_OK);
        for (size_t k = 0; k < e->nunread; k++) {
            assert_int_equal(zeroipc_ring_read_spsc(r, got), ZEROIPC_OK);
            int32_t v;
            if (e->elem_size == 4) {
                memcpy(&v, got, 4);
            } else {
                int16_t h;
                memcpy(&h, got, 2);
                v = h;
            }
            assert_int_equal(v, e->unread[k]);
        }
        assert_int_equal(zeroipc_ring_read_spsc(r, got), ZEROIPC_ERROR_NOT_FOUND);
        assert_int_equal(ut_get64(m, off + R_READ), e->wpos);
        /* Fill it up, across the end of the buffer, and drain it again. */
        size_t cap = e->cap_bytes / e->elem_size, n = 0;
        uint8_t el[4] = {0};
        for (;; n++) {
            el[0] = (uint8_t)(0x40 + n);
            if (zeroipc_ring_write_spsc(r, el) != ZEROIPC_OK)
                break;
        }
        assert_int_equal(n, cap);
        assert_int_equal(zeroipc_ring_full(r), 1);
        for (size_t k = 0; k < cap; k++) {
            assert_int_equal(zeroipc_ring_read_spsc(r, got), ZEROIPC_OK);
            assert_int_equal(got[0], 0x40 + k);
        }
        assert_int_equal(ut_get64(m, off + R_READ), e->wpos + e->cap_bytes);
        close_ring(r);
        ut_close_mem(m);
    }
}

/* Makes each vector ring again with the operations of MANIFEST.md and
 * compares the bytes with the vector's. */
static void test_vectors_reproduce(void **state)
{
    (void)state;
    const char *dir = vec_dir();
    if (dir == NULL)
        skip();
    uint8_t *cpp = vec_load(dir, "cpp_all.seg");
    uint8_t *py = vec_load(dir, "py_core.seg");
    zeroipc_memory_t *m = ut_seg(NULL, "rvr", 65536, 8);
    size_t off, size;
    int32_t out = 0;
    int16_t out16 = 0;

    /* ring_i32: capacity argument 64 BYTES; write 100..500; read -> 100. */
    zeroipc_ring_t *a = keep_ring(zeroipc_ring_create_bytes(m, "ring_i32", 4, 64));
    for (int32_t v = 100; v <= 500; v += 100)
        assert_int_equal(zeroipc_ring_write_spsc(a, &v), ZEROIPC_OK);
    assert_int_equal(zeroipc_ring_read_spsc(a, &out), ZEROIPC_OK);
    assert_int_equal(out, 100);
    ut_find(m, "ring_i32", &off, &size);
    assert_int_equal(size, 88);
    int ok_a = memcmp(ut_at(m, off), cpp + 3280, 88) == 0;

    /* The same from 16 elements. */
    zeroipc_ring_t *a2 = keep_ring(zeroipc_ring_create(m, "ring_i32b", 4, 16));
    for (int32_t v = 100; v <= 500; v += 100)
        assert_int_equal(zeroipc_ring_write_spsc(a2, &v), ZEROIPC_OK);
    assert_int_equal(zeroipc_ring_read_spsc(a2, &out), ZEROIPC_OK);
    ut_find(m, "ring_i32b", &off, &size);
    int ok_a2 = size == 88 && memcmp(ut_at(m, off), cpp + 3280, 88) == 0;

    /* strm_buffer: 8 elements; emit 1..5 (as one batch); next -> 1. */
    zeroipc_ring_t *s = keep_ring(zeroipc_ring_create(m, "strm_buffer", 4, 8));
    int32_t five[5] = {1, 2, 3, 4, 5};
    assert_int_equal(zeroipc_ring_write_many_spsc(s, five, 5), 5);
    assert_int_equal(zeroipc_ring_read_spsc(s, &out), ZEROIPC_OK);
    assert_int_equal(out, 1);
    ut_find(m, "strm_buffer", &off, &size);
    assert_int_equal(size, 56);
    int ok_s = memcmp(ut_at(m, off), cpp + 6064, 56) == 0;

    /* p_ring_i16: Python capacity 10 ELEMENTS; push 1, 2, 3; pop -> 1. */
    zeroipc_ring_t *p = keep_ring(zeroipc_ring_create(m, "p_ring_i16", 2, 10));
    for (int16_t v = 1; v <= 3; v++)
        assert_int_equal(zeroipc_ring_write_spsc(p, &v), ZEROIPC_OK);
    assert_int_equal(zeroipc_ring_read_spsc(p, &out16), ZEROIPC_OK);
    assert_int_equal(out16, 1);
    ut_find(m, "p_ring_i16", &off, &size);
    assert_int_equal(size, 44);
    int ok_p = memcmp(ut_at(m, off), py + 3328, 44) == 0;

    free(cpp);
    free(py);
    assert_true(ok_a);
    assert_true(ok_a2);
    assert_true(ok_s);
    assert_true(ok_p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RT_TEST(test_layout),
        RT_TEST(test_full_empty),
        RT_TEST(test_wraparound),
        RT_TEST(test_wrap_split),
        RT_TEST(test_wrap_u64),
        RT_TEST(test_many),
        RT_TEST(test_null_args),
        RT_TEST(test_timeouts),
        RT_TEST(test_blocking_wakeup),
        RT_TEST(test_silent_peer),
        RT_TEST(test_corrupt_positions),
        RT_TEST(test_create_errors),
        RT_TEST(test_open),
        RT_TEST(test_open_bad_headers),
        RT_TEST(test_validate_footprint),
        RT_TEST(test_spsc_threads),
        RT_TEST(test_vectors_read),
        RT_TEST(test_vectors_reproduce),
    };
    return UT_RUN(tests);
}
