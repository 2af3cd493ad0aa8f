/* test_sync.c - zeroipc_barrier_* and zeroipc_latch_*: layouts byte by
 * byte, the test vectors, errors, saturation, timeouts and withdrawal,
 * corrupt words, threads, forked processes, and peers that change the
 * words without waking anyone. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "unit_common.h"

/* ------------------------------------------------------------------ */
/* Handles of this file's kinds, closed by the teardown like the others. */

static zeroipc_barrier_t *st_bars[UT_MAX];
static zeroipc_latch_t *st_lats[UT_MAX];

static int st_teardown(void **state)
{
    for (int i = 0; i < UT_MAX; i++) {
        zeroipc_barrier_close(st_bars[i]);
        zeroipc_latch_close(st_lats[i]);
        st_bars[i] = NULL;
        st_lats[i] = NULL;
    }
    return ut_teardown(state);
}

#define ST_TEST(fn) cmocka_unit_test_setup_teardown(fn, ut_setup, st_teardown)

static zeroipc_barrier_t *keep_bar(zeroipc_barrier_t *b)
{
    for (int i = 0; b && i < UT_MAX; i++)
        if (!st_bars[i]) {
            st_bars[i] = b;
            return b;
        }
    if (b)
        fail_msg("too many barriers");
    return b;
}

static zeroipc_latch_t *keep_lat(zeroipc_latch_t *l)
{
    for (int i = 0; l && i < UT_MAX; i++)
        if (!st_lats[i]) {
            st_lats[i] = l;
            return l;
        }
    if (l)
        fail_msg("too many latches");
    return l;
}

static void close_bar(zeroipc_barrier_t *b)
{
    for (int i = 0; i < UT_MAX; i++)
        if (st_bars[i] == b)
            st_bars[i] = NULL;
    zeroipc_barrier_close(b);
}

static zeroipc_barrier_t *mkbar(zeroipc_memory_t *m, const char *name, int32_t p)
{
    zeroipc_barrier_t *b = zeroipc_barrier_create(m, name, p);
    assert_non_null(b);
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
    return keep_bar(b);
}

static zeroipc_latch_t *mklat(zeroipc_memory_t *m, const char *name, int32_t c)
{
    zeroipc_latch_t *l = zeroipc_latch_create(m, name, c);
    assert_non_null(l);
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
    return keep_lat(l);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int32_t get_i32(zeroipc_memory_t *m, size_t off)
{
    return (int32_t)ut_get32(m, off);
}

/* Plain stores into the mapping, as a peer that never calls futex. */
static void set_i32(zeroipc_memory_t *m, size_t off, int32_t v)
{
    atomic_store((_Atomic int32_t *)(void *)ut_at(m, off), v);
}

/* ------------------------------------------------------------------ */
/* Layout. */

static void test_barrier_layout(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "bl", 4096, 4);
    zeroipc_barrier_t *b = mkbar(m, "bar", 2);
    size_t off, size;
    ut_find(m, "bar", &off, &size);
    assert_int_equal(size, 16);
    assert_int_equal(size, ZEROIPC_BARRIER_SIZE);
    assert_int_equal(off % 8, 0);
    /* arrived @0, generation @4, participants @8, pad @12. */
    assert_int_equal(get_i32(m, off), 0);
    assert_int_equal(get_i32(m, off + 4), 0);
    assert_int_equal(get_i32(m, off + 8), 2);
    assert_int_equal(get_i32(m, off + 12), 0);
    assert_int_equal(zeroipc_barrier_num_participants(b), 2);
    assert_int_equal(zeroipc_barrier_arrived(b), 0);
    assert_int_equal(zeroipc_barrier_generation(b), 0);

    /* One arrival of two, given up at once: counted, then withdrawn. */
    assert_false(zeroipc_barrier_wait_timeout(b, 0));
    assert_int_equal(get_i32(m, off), 0);
    assert_int_equal(get_i32(m, off + 4), 0);

    /* A one-participant barrier opens at every call, and its caller is
     * the last arrival. */
    zeroipc_barrier_t *one = mkbar(m, "one", 1);
    size_t o1;
    ut_find(m, "one", &o1, NULL);
    assert_int_equal(get_i32(m, o1 + 8), 1);
    assert_true(zeroipc_barrier_wait(one));
    assert_int_equal(get_i32(m, o1 + 4), 1);
    assert_true(zeroipc_barrier_wait_timeout(one, 0));
    assert_true(zeroipc_barrier_wait_timeout(one, -1));
    assert_int_equal(zeroipc_barrier_await(one, 0), ZEROIPC_BARRIER_LAST);
    assert_int_equal(zeroipc_barrier_generation(one), 4);
    assert_int_equal(get_i32(m, o1), 0);
    assert_int_equal(get_i32(m, o1 + 4), 4);
    assert_int_equal(get_i32(m, o1 + 8), 1);
    assert_int_equal(get_i32(m, o1 + 12), 0);
}

/* The three steps for callers that cannot sleep: arrive, look, withdraw. */
static void test_barrier_steps(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "bs", 4096, 4);
    zeroipc_barrier_t *b = mkbar(m, "bar", 3);
    int32_t g1, g2, g3;
    assert_int_equal(zeroipc_barrier_arrive(b, &g1), ZEROIPC_OK);
    assert_int_equal(g1, 0);
    assert_false(zeroipc_barrier_opened(b, g1));
    assert_int_equal(zeroipc_barrier_arrived(b), 1);
    /* Withdrawn before it opened: the count goes back. */
    assert_int_equal(zeroipc_barrier_withdraw(b, g1), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(zeroipc_barrier_arrived(b), 0);
    assert_int_equal(zeroipc_barrier_generation(b), 0);

    assert_int_equal(zeroipc_barrier_arrive(b, &g1), ZEROIPC_OK);
    assert_int_equal(zeroipc_barrier_arrive(b, &g2), ZEROIPC_OK);
    assert_int_equal(zeroipc_barrier_arrived(b), 2);
    assert_int_equal(zeroipc_barrier_arrive(b, &g3), ZEROIPC_BARRIER_LAST);
    assert_int_equal(g1, 0);
    assert_int_equal(g3, 0);
    assert_true(zeroipc_barrier_opened(b, g1));
    assert_true(zeroipc_barrier_opened(b, g2));
    assert_int_equal(zeroipc_barrier_arrived(b), 0);
    assert_int_equal(zeroipc_barrier_generation(b), 1);

    /* A withdrawal after the opening reports that the caller passed, and
     * leaves the next generation's count alone. */
    assert_int_equal(zeroipc_barrier_arrive(b, &g1), ZEROIPC_OK);
    assert_int_equal(g1, 1);
    assert_int_equal(zeroipc_barrier_arrive(b, &g2), ZEROIPC_OK);
    assert_int_equal(zeroipc_barrier_arrive(b, &g3), ZEROIPC_BARRIER_LAST);
    assert_int_equal(zeroipc_barrier_withdraw(b, g1), ZEROIPC_OK);
    assert_int_equal(zeroipc_barrier_arrived(b), 0);
    assert_int_equal(zeroipc_barrier_generation(b), 2);

    assert_int_equal(zeroipc_barrier_arrive(NULL, &g1), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_barrier_arrive(b, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_false(zeroipc_barrier_opened(NULL, 0));
    assert_int_equal(zeroipc_barrier_withdraw(NULL, 0), ZEROIPC_ERROR_INVALID_ARGUMENT);

    /* An impossible count: nothing counted, nothing to wait for. */
    size_t off;
    ut_find(m, "bar", &off, NULL);
    set_i32(m, off, 7);
    assert_int_equal(zeroipc_barrier_arrive(b, &g1), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(get_i32(m, off), 7);
}

static void test_latch_layout(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "ll", 4096, 4);
    zeroipc_latch_t *l = mklat(m, "lat", 4);
    size_t off, size;
    ut_find(m, "lat", &off, &size);
    assert_int_equal(size, 16);
    assert_int_equal(size, ZEROIPC_LATCH_SIZE);
    assert_int_equal(off % 8, 0);
    /* count @0, initial @4, pad @8 and @12. */
    assert_int_equal(get_i32(m, off), 4);
    assert_int_equal(get_i32(m, off + 4), 4);
    assert_int_equal(get_i32(m, off + 8), 0);
    assert_int_equal(get_i32(m, off + 12), 0);
    assert_int_equal(zeroipc_latch_count(l), 4);
    assert_int_equal(zeroipc_latch_initial_count(l), 4);

    zeroipc_latch_count_down(l, 1);
    assert_int_equal(get_i32(m, off), 3);
    assert_int_equal(get_i32(m, off + 4), 4);
    assert_false(zeroipc_latch_try_wait(l));
    /* n <= 0 does nothing. */
    zeroipc_latch_count_down(l, 0);
    zeroipc_latch_count_down(l, -7);
    zeroipc_latch_count_down(l, INT32_MIN);
    assert_int_equal(zeroipc_latch_count(l), 3);
    /* Saturation at 0, and no way back. */
    zeroipc_latch_count_down(l, 2);
    assert_int_equal(zeroipc_latch_count(l), 1);
    zeroipc_latch_count_down(l, 100);
    assert_int_equal(zeroipc_latch_count(l), 0);
    assert_int_equal(get_i32(m, off), 0);
    zeroipc_latch_count_down(l, 1);
    zeroipc_latch_count_down(l, INT32_MAX);
    assert_int_equal(get_i32(m, off), 0);
    assert_int_equal(get_i32(m, off + 4), 4);
    assert_int_equal(get_i32(m, off + 8), 0);
    assert_int_equal(get_i32(m, off + 12), 0);
    assert_true(zeroipc_latch_try_wait(l));
    zeroipc_latch_wait(l);
    assert_true(zeroipc_latch_wait_timeout(l, 0));
    assert_true(zeroipc_latch_wait_timeout(l, -1));
    assert_int_equal(zeroipc_latch_await(l, 0), ZEROIPC_OK);
    assert_int_equal(zeroipc_latch_initial_count(l), 4);

    /* Count 0: open from the start.  INT32_MAX in one step. */
    zeroipc_latch_t *z = mklat(m, "zero", 0);
    assert_true(zeroipc_latch_try_wait(z));
    assert_int_equal(zeroipc_latch_initial_count(z), 0);
    zeroipc_latch_count_down(z, 1);
    assert_int_equal(zeroipc_latch_count(z), 0);
    zeroipc_latch_t *big = mklat(m, "big", INT32_MAX);
    assert_false(zeroipc_latch_try_wait(big));
    zeroipc_latch_count_down(big, INT32_MAX);
    assert_true(zeroipc_latch_try_wait(big));
}

/* ------------------------------------------------------------------ */
/* The test vectors: the public implementations' bytes, read and
 * reproduced. */

struct vec16 {
    const char *file, *name;
    size_t offset;
    int32_t w[4];
};

static const struct vec16 vecs[] = {
    {"cpp_all.seg", "bar", 3840, {0, 1, 2, 0}},  /* arrived, gen, parts, pad */
    {"cpp_all.seg", "lat", 3856, {3, 4, 0, 0}},  /* count, initial, pad */
    {"py_core.seg", "p_bar", 3408, {0, 0, 5, 0}},
    {"py_core.seg", "p_lat", 3424, {7, 10, 0, 0}},
};

static bool vec_path(char *buf, size_t n, const char *file)
{
    const char *dir = getenv("ZEROIPC_VECTORS");
    if (dir == NULL || *dir == '\0')
        return false;
    snprintf(buf, n, "%s/%s", dir, file);
    return access(buf, R_OK) == 0;
}

static void read_vec(const struct vec16 *v, int32_t out[4])
{
    char path[4096];
    assert_true(vec_path(path, sizeof path, v->file));
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, (long)v->offset, SEEK_SET), 0);
    assert_int_equal(fread(out, 4, 4, f), 4);
    fclose(f);
}

static void *bar_thread(void *arg)
{
    return zeroipc_barrier_wait(arg) ? arg : NULL;
}

static void test_vectors(void **state)
{
    (void)state;
    char path[4096];
    if (!vec_path(path, sizeof path, "cpp_all.seg"))
        skip();
    /* The files hold what the manifest says. */
    for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
        int32_t w[4];
        read_vec(&vecs[i], w);
        assert_memory_equal(w, vecs[i].w, 16);
    }

    /* Open both segments and read the structures through the API. */
    char seg[ZT_NAME_MAX], pseg[ZT_NAME_MAX];
    assert_int_equal(zt_copy_to_shm(path, seg, "vc"), 0);
    assert_true(vec_path(path, sizeof path, "py_core.seg"));
    assert_int_equal(zt_copy_to_shm(path, pseg, "vp"), 0);
    zeroipc_memory_t *m = ut_open(seg);
    zeroipc_memory_t *pm = ut_open(pseg);

    zeroipc_barrier_t *b = keep_bar(zeroipc_barrier_open(m, "bar"));
    assert_non_null(b);
    assert_int_equal(zeroipc_barrier_num_participants(b), 2);
    assert_int_equal(zeroipc_barrier_arrived(b), 0);
    assert_int_equal(zeroipc_barrier_generation(b), 1);
    zeroipc_latch_t *l = keep_lat(zeroipc_latch_open(m, "lat"));
    assert_non_null(l);
    assert_int_equal(zeroipc_latch_count(l), 3);
    assert_int_equal(zeroipc_latch_initial_count(l), 4);
    zeroipc_barrier_t *pb = keep_bar(zeroipc_barrier_open(pm, "p_bar"));
    assert_non_null(pb);
    assert_int_equal(zeroipc_barrier_num_participants(pb), 5);
    assert_int_equal(zeroipc_barrier_generation(pb), 0);
    zeroipc_latch_t *pl = keep_lat(zeroipc_latch_open(pm, "p_lat"));
    assert_non_null(pl);
    assert_int_equal(zeroipc_latch_count(pl), 7);
    assert_int_equal(zeroipc_latch_initial_count(pl), 10);
    /* Other 16-byte kinds of the vectors: a semaphore with max_count 0
     * (offset 8) is no barrier; a latch is none either. */
    UT_EXPECT_NULL(zeroipc_barrier_open(pm, "p_mon_cond"), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_barrier_open(pm, "p_lat"), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_latch_open(pm, "p_fut_ok"), ZEROIPC_ERROR_WRONG_KIND);

    /* Operate on them: the next generation, and the latch to 0. */
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, bar_thread, b), 0);
    assert_true(zeroipc_barrier_wait_timeout(b, 5000));
    void *r;
    assert_int_equal(pthread_join(t, &r), 0);
    assert_ptr_equal(r, b);
    assert_int_equal(zeroipc_barrier_generation(b), 2);
    zeroipc_latch_count_down(pl, 3);
    assert_int_equal(zeroipc_latch_count(pl), 4);
    zeroipc_latch_count_down(l, 5);
    assert_true(zeroipc_latch_try_wait(l));
    int32_t w[4];
    ut_peek(seg, 3840, w, 16);
    assert_int_equal(w[0], 0);
    assert_int_equal(w[1], 2);
    assert_int_equal(w[2], 2);
    ut_peek(seg, 3856, w, 16);
    assert_int_equal(w[0], 0);
    assert_int_equal(w[1], 4);

    /* The same operations from scratch write the same 16 bytes. */
    zeroipc_memory_t *n = ut_seg(NULL, "vr", 8192, 8);
    zeroipc_barrier_t *nb = mkbar(n, "bar", 2);
    assert_int_equal(pthread_create(&t, NULL, bar_thread, nb), 0);
    assert_true(zeroipc_barrier_wait(nb));
    assert_int_equal(pthread_join(t, &r), 0);
    assert_ptr_equal(r, nb);
    zeroipc_latch_t *nl = mklat(n, "lat", 4);
    zeroipc_latch_count_down(nl, 1);
    mkbar(n, "p_bar", 5);
    zeroipc_latch_t *npl = mklat(n, "p_lat", 10);
    zeroipc_latch_count_down(npl, 3);
    for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
        size_t off;
        ut_find(n, vecs[i].name, &off, NULL);
        assert_memory_equal(ut_at(n, off), vecs[i].w, 16);
    }
}

/* ------------------------------------------------------------------ */
/* Errors. */

static void test_create_errors(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "ce", 32 + 48 * 3 + 40, 3);
    mkbar(m, "taken", 2);
    uint64_t next = ut_get64(m, UT_H_NEXT);
    char n31[32], n32[33];
    ut_len_name(n31, 31, 'b');
    ut_len_name(n32, 32, 'b');

    UT_EXPECT_NULL(zeroipc_barrier_create(NULL, "x", 2), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_latch_create(NULL, "x", 2), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_barrier_create(m, NULL, 2), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_latch_create(m, NULL, 2), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_barrier_create(m, "", 2), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_latch_create(m, "", 2), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_barrier_create(m, n32, 2), ZEROIPC_ERROR_NAME_TOO_LONG);
    UT_EXPECT_NULL(zeroipc_latch_create(m, n32, 2), ZEROIPC_ERROR_NAME_TOO_LONG);
    UT_EXPECT_NULL(zeroipc_barrier_create(m, "x", 0), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_memory_error(m), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_barrier_create(m, "x", -1), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_barrier_create(m, "x", INT32_MIN), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_latch_create(m, "x", -1), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_latch_create(m, "x", INT32_MIN), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_barrier_create(m, "taken", 2), ZEROIPC_ERROR_ALREADY_EXISTS);
    UT_EXPECT_NULL(zeroipc_latch_create(m, "taken", 2), ZEROIPC_ERROR_ALREADY_EXISTS);
    assert_int_equal(ut_get64(m, UT_H_NEXT), next);
    assert_int_equal(zeroipc_table_count(m), 1);

    /* Room for one more 16-byte structure, then none. */
    mklat(m, n31, 1);
    UT_EXPECT_NULL(zeroipc_barrier_create(m, "x", 2), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_latch_create(m, "x", 2), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_table_count(m), 2);
    size_t o;
    assert_int_equal(zeroipc_table_add(m, "pad", 8, &o), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_barrier_create(m, "x", 2), ZEROIPC_ERROR_TABLE_FULL);
    UT_EXPECT_NULL(zeroipc_latch_create(m, "x", 2), ZEROIPC_ERROR_TABLE_FULL);
}

static void test_open(void **state)
{
    (void)state;
    const char *name;
    zeroipc_memory_t *m = ut_seg(&name, "op", 8192, 16);
    zeroipc_barrier_t *b = mkbar(m, "b", 3);
    zeroipc_latch_t *l = mklat(m, "l", 5);
    zeroipc_latch_count_down(l, 2);

    zeroipc_memory_t *m2 = ut_open(name);
    zeroipc_barrier_t *b2 = keep_bar(zeroipc_barrier_open(m2, "b"));
    assert_non_null(b2);
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
    assert_int_equal(zeroipc_barrier_num_participants(b2), 3);
    zeroipc_latch_t *l2 = keep_lat(zeroipc_latch_open(m2, "l"));
    assert_non_null(l2);
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
    assert_int_equal(zeroipc_latch_count(l2), 3);
    assert_int_equal(zeroipc_latch_initial_count(l2), 5);
    zeroipc_latch_count_down(l2, 3);
    assert_true(zeroipc_latch_try_wait(l));
    (void)b;

    char n32[33];
    ut_len_name(n32, 32, 'b');
    UT_EXPECT_NULL(zeroipc_barrier_open(NULL, "b"), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_latch_open(NULL, "l"), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_barrier_open(m, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_latch_open(m, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_barrier_open(m, ""), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_latch_open(m, ""), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_barrier_open(m, n32), ZEROIPC_ERROR_NAME_TOO_LONG);
    UT_EXPECT_NULL(zeroipc_latch_open(m, n32), ZEROIPC_ERROR_NAME_TOO_LONG);
    UT_EXPECT_NULL(zeroipc_barrier_open(m, "absent"), ZEROIPC_ERROR_NOT_FOUND);
    UT_EXPECT_NULL(zeroipc_latch_open(m, "absent"), ZEROIPC_ERROR_NOT_FOUND);

    /* Other kinds. */
    assert_non_null(ut_keep_queue(zeroipc_queue_create(m, "q", 4, 4)));
    UT_EXPECT_NULL(zeroipc_barrier_open(m, "q"), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_latch_open(m, "q"), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_memory_error(m), ZEROIPC_ERROR_WRONG_KIND);
    /* An array of one u64 is 16 bytes too: capacity 1 at 0, value at 8. */
    assert_non_null(ut_keep_array(zeroipc_array_create(m, "a", 8, 1)));
    UT_EXPECT_NULL(zeroipc_barrier_open(m, "a"), ZEROIPC_ERROR_WRONG_KIND);
    /* A latch is no barrier (participants would be the pad, 0). */
    UT_EXPECT_NULL(zeroipc_barrier_open(m, "l"), ZEROIPC_ERROR_WRONG_KIND);
    /* Entries of other sizes. */
    size_t o;
    assert_int_equal(zeroipc_table_add(m, "s8", 8, &o), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_barrier_open(m, "s8"), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_latch_open(m, "s8"), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_table_add(m, "s24", 24, &o), ZEROIPC_OK);
    ut_set32(m, o + 8, 2);
    ut_set32(m, o + 4, 2);
    UT_EXPECT_NULL(zeroipc_barrier_open(m, "s24"), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_latch_open(m, "s24"), ZEROIPC_ERROR_WRONG_KIND);
}

static void test_open_bad_headers(void **state)
{
    (void)state;
    const char *name;
    zeroipc_memory_t *m = ut_seg(&name, "bh", 8192, 8);
    close_bar(mkbar(m, "b", 3));
    mklat(m, "l", 5);
    size_t bo, lo;
    ut_find(m, "b", &bo, NULL);
    ut_find(m, "l", &lo, NULL);

    /* participants < 1: not a barrier. */
    set_i32(m, bo + 8, 0);
    UT_EXPECT_NULL(zeroipc_barrier_open(m, "b"), ZEROIPC_ERROR_WRONG_KIND);
    set_i32(m, bo + 8, -3);
    UT_EXPECT_NULL(zeroipc_barrier_open(m, "b"), ZEROIPC_ERROR_WRONG_KIND);
    set_i32(m, bo + 8, 3);
    /* arrived outside [0, participants]: corrupt; == participants is the
     * moment inside an opening, and opens. */
    set_i32(m, bo, -1);
    UT_EXPECT_NULL(zeroipc_barrier_open(m, "b"), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_memory_error(m), ZEROIPC_ERROR_CORRUPT);
    set_i32(m, bo, 4);
    UT_EXPECT_NULL(zeroipc_barrier_open(m, "b"), ZEROIPC_ERROR_CORRUPT);
    set_i32(m, bo, INT32_MIN);
    UT_EXPECT_NULL(zeroipc_barrier_open(m, "b"), ZEROIPC_ERROR_CORRUPT);
    set_i32(m, bo, 3);
    zeroipc_barrier_t *b = keep_bar(zeroipc_barrier_open(m, "b"));
    assert_non_null(b);
    close_bar(b);
    set_i32(m, bo, 0);
    /* Any generation is fine, the pad is not looked at. */
    set_i32(m, bo + 4, -77);
    set_i32(m, bo + 12, 99);
    assert_non_null(keep_bar(zeroipc_barrier_open(m, "b")));

    /* initial < 0: not a latch; count outside [0, initial]: corrupt. */
    set_i32(m, lo + 4, -1);
    UT_EXPECT_NULL(zeroipc_latch_open(m, "l"), ZEROIPC_ERROR_WRONG_KIND);
    set_i32(m, lo + 4, 5);
    set_i32(m, lo, 6);
    UT_EXPECT_NULL(zeroipc_latch_open(m, "l"), ZEROIPC_ERROR_CORRUPT);
    set_i32(m, lo, -1);
    UT_EXPECT_NULL(zeroipc_latch_open(m, "l"), ZEROIPC_ERROR_CORRUPT);
    set_i32(m, lo, 0);
    assert_non_null(keep_lat(zeroipc_latch_open(m, "l")));
    set_i32(m, lo, 5);
    assert_non_null(keep_lat(zeroipc_latch_open(m, "l")));

    /* An entry at an offset that is not 8-aligned (a foreign writer gone
     * wrong): never used for atomics. */
    size_t o;
    assert_int_equal(zeroipc_table_add(m, "mis", 24, &o), ZEROIPC_OK);
    ut_set64(m, UT_ENTRY(2) + UT_E_OFFSET, o + 4);
    ut_set64(m, UT_ENTRY(2) + UT_E_SIZE, 16);
    set_i32(m, o + 4 + 8, 2); /* participants */
    set_i32(m, o + 4 + 4, 2); /* initial */
    UT_EXPECT_NULL(zeroipc_barrier_open(m, "mis"), ZEROIPC_ERROR_CORRUPT);
    UT_EXPECT_NULL(zeroipc_latch_open(m, "mis"), ZEROIPC_ERROR_CORRUPT);

    /* An entry pointing outside the segment. */
    ut_set64(m, UT_ENTRY(0) + UT_E_OFFSET, 8192 - 8);
    UT_EXPECT_NULL(zeroipc_barrier_open(m, "b"), ZEROIPC_ERROR_CORRUPT);
}

static void test_validate(void **state)
{
    (void)state;
    int32_t buf[8] = {0, 0, 2, 0, 0, 0, 0, 0};
    assert_int_equal(zeroipc_barrier_validate(buf, 16), ZEROIPC_OK);
    assert_int_equal(zeroipc_barrier_validate(buf, 15), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_barrier_validate(buf, 17), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_barrier_validate(buf, 32), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_barrier_validate(buf, 0), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_barrier_validate(NULL, 16), ZEROIPC_ERROR_WRONG_KIND);
    buf[2] = 0;
    assert_int_equal(zeroipc_barrier_validate(buf, 16), ZEROIPC_ERROR_WRONG_KIND);
    buf[2] = -1;
    assert_int_equal(zeroipc_barrier_validate(buf, 16), ZEROIPC_ERROR_WRONG_KIND);
    buf[2] = INT32_MAX;
    buf[0] = -5; /* only the immutable field is judged */
    assert_int_equal(zeroipc_barrier_validate(buf, 16), ZEROIPC_OK);

    int32_t lb[4] = {3, 4, 0, 0};
    assert_int_equal(zeroipc_latch_validate(lb, 16), ZEROIPC_OK);
    assert_int_equal(zeroipc_latch_validate(lb, 12), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_latch_validate(lb, 24), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_latch_validate(NULL, 16), ZEROIPC_ERROR_WRONG_KIND);
    lb[1] = 0;
    assert_int_equal(zeroipc_latch_validate(lb, 16), ZEROIPC_OK);
    lb[1] = -1;
    assert_int_equal(zeroipc_latch_validate(lb, 16), ZEROIPC_ERROR_WRONG_KIND);

    /* Unaligned bytes are read, not dereferenced as words. */
    unsigned char raw[24] = {0};
    int32_t two = 2;
    memcpy(raw + 1 + 8, &two, 4);
    memcpy(raw + 1 + 4, &two, 4);
    assert_int_equal(zeroipc_barrier_validate(raw + 1, 16), ZEROIPC_OK);
    assert_int_equal(zeroipc_latch_validate(raw + 1, 16), ZEROIPC_OK);
}

static void test_null_args(void **state)
{
    (void)state;
    assert_false(zeroipc_barrier_wait(NULL));
    assert_false(zeroipc_barrier_wait_timeout(NULL, 10));
    assert_false(zeroipc_barrier_wait_timeout(NULL, -1));
    assert_int_equal(zeroipc_barrier_await(NULL, 0), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_barrier_arrived(NULL), -1);
    assert_int_equal(zeroipc_barrier_generation(NULL), -1);
    assert_int_equal(zeroipc_barrier_num_participants(NULL), -1);
    zeroipc_barrier_close(NULL);

    zeroipc_latch_count_down(NULL, 1);
    zeroipc_latch_wait(NULL);
    assert_false(zeroipc_latch_try_wait(NULL));
    assert_false(zeroipc_latch_wait_timeout(NULL, 10));
    assert_false(zeroipc_latch_wait_timeout(NULL, -1));
    assert_int_equal(zeroipc_latch_await(NULL, 0), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_latch_count(NULL), -1);
    assert_int_equal(zeroipc_latch_initial_count(NULL), -1);
    zeroipc_latch_close(NULL);
}

/* ------------------------------------------------------------------ */
/* Timeouts. */

static void test_timeouts(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "to", 4096, 4);
    zeroipc_barrier_t *b = mkbar(m, "b", 2);
    zeroipc_latch_t *l = mklat(m, "l", 1);

    int64_t t0 = zt_now_ms();
    assert_false(zeroipc_barrier_wait_timeout(b, 0));
    assert_true(zt_now_ms() - t0 < 200);
    t0 = zt_now_ms();
    assert_false(zeroipc_barrier_wait_timeout(b, 50));
    int64_t el = zt_now_ms() - t0;
    assert_true(el >= 45);
    assert_true(el < 1000);
    t0 = zt_now_ms();
    assert_int_equal(zeroipc_barrier_await(b, 50), ZEROIPC_ERROR_TIMEOUT);
    el = zt_now_ms() - t0;
    assert_true(el >= 45);
    assert_true(el < 1000);
    /* Every arrival was withdrawn: still generation 0, nobody waiting. */
    assert_int_equal(zeroipc_barrier_arrived(b), 0);
    assert_int_equal(zeroipc_barrier_generation(b), 0);

    t0 = zt_now_ms();
    assert_false(zeroipc_latch_wait_timeout(l, 0));
    assert_true(zt_now_ms() - t0 < 200);
    t0 = zt_now_ms();
    assert_false(zeroipc_latch_wait_timeout(l, 50));
    el = zt_now_ms() - t0;
    assert_true(el >= 45);
    assert_true(el < 1000);
    t0 = zt_now_ms();
    assert_int_equal(zeroipc_latch_await(l, 50), ZEROIPC_ERROR_TIMEOUT);
    el = zt_now_ms() - t0;
    assert_true(el >= 45);
    assert_true(el < 1000);
    assert_int_equal(zeroipc_latch_count(l), 1);
}

/* ------------------------------------------------------------------ */
/* Threads. */

struct delayed {
    zeroipc_latch_t *l;
    zeroipc_barrier_t *b;
    zeroipc_memory_t *m;
    size_t off;
    int delay_ms;
    int rc;
    int64_t at;
};

static void *delayed_count_down(void *arg)
{
    struct delayed *d = arg;
    sleep_ms(d->delay_ms);
    d->at = zt_now_ms();
    zeroipc_latch_count_down(d->l, 1);
    return NULL;
}

static void *delayed_arrive(void *arg)
{
    struct delayed *d = arg;
    sleep_ms(d->delay_ms);
    d->at = zt_now_ms();
    d->rc = zeroipc_barrier_await(d->b, 5000);
    return NULL;
}

static void test_blocking_wakeup(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "bw", 4096, 4);
    zeroipc_latch_t *l = mklat(m, "l", 2);
    zeroipc_barrier_t *b = mkbar(m, "b", 2);
    pthread_t t;

    /* Two count_downs; only the second opens. */
    zeroipc_latch_count_down(l, 1);
    struct delayed d = {.l = l, .delay_ms = 60};
    int64_t t0 = zt_now_ms();
    assert_int_equal(pthread_create(&t, NULL, delayed_count_down, &d), 0);
    zeroipc_latch_wait(l);
    int64_t done = zt_now_ms();
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_true(done - t0 >= 50);
    assert_true(done - d.at < 500);
    assert_int_equal(zeroipc_latch_count(l), 0);

    /* The barrier: the waiter is released by the late arrival, which is
     * told it was last. */
    d = (struct delayed){.b = b, .delay_ms = 60, .rc = 99};
    t0 = zt_now_ms();
    assert_int_equal(pthread_create(&t, NULL, delayed_arrive, &d), 0);
    int rc = zeroipc_barrier_await(b, 5000);
    done = zt_now_ms();
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(rc, ZEROIPC_OK);
    assert_int_equal(d.rc, ZEROIPC_BARRIER_LAST);
    assert_true(done - t0 >= 50);
    assert_true(done - d.at < 500);
    assert_int_equal(zeroipc_barrier_generation(b), 1);
    assert_int_equal(zeroipc_barrier_arrived(b), 0);
}

/* N threads, many generations, forever and timed waits mixed.  Before
 * arriving for pass k a thread publishes phase[me] = k; after passing it
 * every phase must be >= k (nobody was left behind), exactly one thread
 * per generation is last, and the generation is k. */
#define TH_N 4
#define TH_ROUNDS 2000 /* at most */

struct th_ctx {
    zeroipc_barrier_t *b;
    _Atomic int32_t *phase;
    _Atomic int32_t *lasts;
    int id;
    int timed;
    int32_t rounds;
    int rc;
};

static void *th_run(void *arg)
{
    struct th_ctx *c = arg;
    for (int32_t k = 1; k <= c->rounds; k++) {
        atomic_store_explicit(&c->phase[c->id], k, memory_order_relaxed);
        int rc;
        if (c->timed) {
            /* Short timeouts and retries: many withdrawals. */
            do
                rc = zeroipc_barrier_await(c->b, (k + c->id) % 3);
            while (rc == ZEROIPC_ERROR_TIMEOUT);
        } else {
            rc = zeroipc_barrier_await(c->b, 10000);
        }
        if (rc < 0) {
            c->rc = rc;
            return NULL;
        }
        if (rc == ZEROIPC_BARRIER_LAST)
            atomic_fetch_add(&c->lasts[k], 1);
        for (int u = 0; u < TH_N; u++)
            if (atomic_load_explicit(&c->phase[u], memory_order_relaxed) < k) {
                c->rc = -1000 - u;
                return NULL;
            }
        if (zeroipc_barrier_generation(c->b) != k) {
            c->rc = -2000;
            return NULL;
        }
    }
    return NULL;
}

static void run_threads(int timed_mask, int32_t rounds)
{
    zeroipc_memory_t *m = ut_seg(NULL, "th", 4096, 4);
    zeroipc_barrier_t *b = mkbar(m, "b", TH_N);
    static _Atomic int32_t phase[TH_N];
    static _Atomic int32_t lasts[TH_ROUNDS + 1];
    for (int i = 0; i < TH_N; i++)
        atomic_store(&phase[i], 0);
    for (int i = 0; i <= TH_ROUNDS; i++)
        atomic_store(&lasts[i], 0);
    struct th_ctx c[TH_N];
    pthread_t t[TH_N];
    for (int i = 0; i < TH_N; i++) {
        c[i] = (struct th_ctx){b, phase, lasts, i, (timed_mask >> i) & 1, rounds, 0};
        assert_int_equal(pthread_create(&t[i], NULL, th_run, &c[i]), 0);
    }
    for (int i = 0; i < TH_N; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (int i = 0; i < TH_N; i++)
        assert_int_equal(c[i].rc, 0);
    for (int k = 1; k <= rounds; k++)
        assert_int_equal(atomic_load(&lasts[k]), 1);
    assert_int_equal(zeroipc_barrier_generation(b), rounds);
    assert_int_equal(zeroipc_barrier_arrived(b), 0);
}

static void test_barrier_threads(void **state)
{
    (void)state;
    run_threads(0, TH_ROUNDS);
}

static void test_barrier_threads_withdraw(void **state)
{
    (void)state;
    run_threads(0x5, 500); /* threads 0 and 2 time out and retry */
    run_threads(0xF, 500); /* everybody does */
}

/* Many threads wait on one latch; many count it down. */
struct lat_ctx {
    zeroipc_latch_t *l;
    _Atomic int32_t *data;
    int rc;
};

static void *lat_waiter(void *arg)
{
    struct lat_ctx *c = arg;
    if (!zeroipc_latch_wait_timeout(c->l, 10000))
        c->rc = -1;
    else if (atomic_load_explicit(c->data, memory_order_relaxed) != 8 * 100)
        c->rc = -2;
    return NULL;
}

static void *lat_counter(void *arg)
{
    struct lat_ctx *c = arg;
    for (int i = 0; i < 100; i++) {
        atomic_fetch_add_explicit(c->data, 1, memory_order_relaxed);
        zeroipc_latch_count_down(c->l, 1);
    }
    return NULL;
}

static void test_latch_threads(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "lt", 4096, 4);
    zeroipc_latch_t *l = mklat(m, "l", 800);
    static _Atomic int32_t data;
    atomic_store(&data, 0);
    struct lat_ctx w[4], cd[8];
    pthread_t tw[4], tc[8];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct lat_ctx){l, &data, 0};
        assert_int_equal(pthread_create(&tw[i], NULL, lat_waiter, &w[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        cd[i] = (struct lat_ctx){l, &data, 0};
        assert_int_equal(pthread_create(&tc[i], NULL, lat_counter, &cd[i]), 0);
    }
    for (int i = 0; i < 8; i++)
        assert_int_equal(pthread_join(tc[i], NULL), 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(tw[i], NULL), 0);
        assert_int_equal(w[i].rc, 0);
    }
    assert_int_equal(zeroipc_latch_count(l), 0);
}

/* ------------------------------------------------------------------ */
/* Corrupt words at run time: no hang, no UB. */

struct waiter {
    zeroipc_barrier_t *b;
    zeroipc_latch_t *l;
    int32_t timeout;
    int rc;
    int64_t done;
};

static void *bar_waiter(void *arg)
{
    struct waiter *w = arg;
    w->rc = zeroipc_barrier_await(w->b, w->timeout);
    w->done = zt_now_ms();
    return NULL;
}

static _Atomic int lat_returned;

static void *lat_waiter2(void *arg)
{
    struct waiter *w = arg;
    w->rc = zeroipc_latch_await(w->l, w->timeout);
    w->done = zt_now_ms();
    atomic_store(&lat_returned, 1);
    return NULL;
}

static void test_barrier_corrupt_words(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "cw", 4096, 4);
    zeroipc_barrier_t *b = mkbar(m, "b", 3);
    size_t off;
    ut_find(m, "b", &off, NULL);

    /* arrived >= participants or < 0 at an arrival: CORRUPT at once,
     * the word as it was. */
    const int32_t bad[] = {3, 4, 1000, INT32_MAX, -1, -1000, INT32_MIN};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        set_i32(m, off, bad[i]);
        int64_t t0 = zt_now_ms();
        assert_false(zeroipc_barrier_wait(b));
        assert_false(zeroipc_barrier_wait_timeout(b, -1));
        assert_int_equal(zeroipc_barrier_await(b, 5000), ZEROIPC_ERROR_CORRUPT);
        assert_true(zt_now_ms() - t0 < 200);
        assert_int_equal(get_i32(m, off), bad[i]);
        assert_int_equal(get_i32(m, off + 4), 0);
    }

    /* Participants changed in memory after open: the cached value rules. */
    set_i32(m, off, 0);
    set_i32(m, off + 8, 0);
    assert_int_equal(zeroipc_barrier_num_participants(b), 3);
    set_i32(m, off + 8, 3);

    /* Corrupted while a participant waits: its withdrawal finds an
     * impossible count and reports it rather than touching it. */
    struct waiter w = {.b = b, .timeout = 200};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, bar_waiter, &w), 0);
    while (get_i32(m, off) != 1)
        sleep_ms(1);
    set_i32(m, off, 9);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(w.rc, ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(get_i32(m, off), 9);

    /* Generation at the edge of its range wraps without trouble. */
    set_i32(m, off, 0);
    set_i32(m, off + 4, INT32_MAX);
    zeroipc_barrier_t *one = mkbar(m, "one", 1);
    size_t o1;
    ut_find(m, "one", &o1, NULL);
    set_i32(m, o1 + 4, INT32_MAX);
    assert_true(zeroipc_barrier_wait(one));
    assert_int_equal(zeroipc_barrier_generation(one), INT32_MIN);
}

static void test_barrier_half_open(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "ho", 4096, 4);
    zeroipc_barrier_t *b = mkbar(m, "b", 2);
    size_t off;
    ut_find(m, "b", &off, NULL);
    pthread_t t;

    /* A peer zeroed `arrived` and then moves `generation` late: the timed
     * out waiter waits for it and is released, not withdrawn. */
    struct waiter w = {.b = b, .timeout = 30};
    int64_t t0 = zt_now_ms();
    assert_int_equal(pthread_create(&t, NULL, bar_waiter, &w), 0);
    while (get_i32(m, off) != 1)
        sleep_ms(1);
    set_i32(m, off, 0);
    sleep_ms(150);
    set_i32(m, off + 4, 1);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(w.rc, ZEROIPC_OK);
    assert_true(w.done - t0 >= 140);
    assert_int_equal(get_i32(m, off), 0);

    /* ... and if the peer never finishes, the waiter gives up after
     * ZEROIPC_BARRIER_SETTLE_MS. */
    w = (struct waiter){.b = b, .timeout = 30};
    t0 = zt_now_ms();
    assert_int_equal(pthread_create(&t, NULL, bar_waiter, &w), 0);
    while (get_i32(m, off) != 1)
        sleep_ms(1);
    set_i32(m, off, 2); /* complete, as a foreign last arrival mid-way */
    assert_int_equal(pthread_join(t, NULL), 0);
    int64_t el = w.done - t0;
    assert_int_equal(w.rc, ZEROIPC_ERROR_TIMEOUT);
    assert_true(el >= ZEROIPC_BARRIER_SETTLE_MS);
    assert_true(el < ZEROIPC_BARRIER_SETTLE_MS + 2000);
    assert_int_equal(get_i32(m, off), 2);
    assert_int_equal(get_i32(m, off + 4), 1);
}

static void test_latch_corrupt_words(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "lc", 4096, 4);
    zeroipc_latch_t *l = mklat(m, "l", 3);
    size_t off;
    ut_find(m, "l", &off, NULL);
    /* Negative: open; count_down leaves it alone. */
    set_i32(m, off, -5);
    assert_true(zeroipc_latch_try_wait(l));
    zeroipc_latch_wait(l);
    assert_true(zeroipc_latch_wait_timeout(l, 1000));
    zeroipc_latch_count_down(l, 1);
    assert_int_equal(get_i32(m, off), -5);
    set_i32(m, off, INT32_MIN);
    assert_true(zeroipc_latch_try_wait(l));
    zeroipc_latch_count_down(l, INT32_MAX);
    assert_int_equal(get_i32(m, off), INT32_MIN);
    /* Above initial: more count_downs, nothing worse. */
    set_i32(m, off, 10);
    zeroipc_latch_count_down(l, 3);
    assert_int_equal(zeroipc_latch_count(l), 7);
    assert_false(zeroipc_latch_try_wait(l));
    zeroipc_latch_count_down(l, INT32_MAX);
    assert_true(zeroipc_latch_try_wait(l));
    /* initial changed after open: the cached value rules. */
    set_i32(m, off + 4, -9);
    assert_int_equal(zeroipc_latch_initial_count(l), 3);
}

/* ------------------------------------------------------------------ */
/* Peers that change the words without futex_wake (the public
 * implementations): seen within a slice. */

static void test_foreign_peer(void **state)
{
    (void)state;
    const char *name;
    zeroipc_memory_t *m = ut_seg(&name, "fp", 4096, 4);
    zeroipc_barrier_t *b = mkbar(m, "b", 2);
    zeroipc_latch_t *l = mklat(m, "l", 2);
    size_t bo, lo;
    ut_find(m, "b", &bo, NULL);
    ut_find(m, "l", &lo, NULL);
    pthread_t t;

    /* Barrier: the "foreign" last arrival, as the public C code does it:
     * fetch_add arrived, store 0, fetch_add generation, no wake.  Written
     * through the file, another mapping altogether. */
    struct waiter w = {.b = b, .timeout = 5000};
    assert_int_equal(pthread_create(&t, NULL, bar_waiter, &w), 0);
    while (get_i32(m, bo) != 1)
        sleep_ms(1);
    sleep_ms(30); /* asleep in the kernel by now */
    ut_poke32(name, bo, 2);
    ut_poke32(name, bo, 0);
    int64_t at = zt_now_ms();
    ut_poke32(name, bo + 4, 1);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(w.rc, ZEROIPC_OK);
    assert_true(w.done - at < 50);
    assert_int_equal(zeroipc_barrier_generation(b), 1);

    /* Latch: counted down to 0 by a foreign peer. */
    w = (struct waiter){.l = l, .timeout = 5000};
    atomic_store(&lat_returned, 0);
    assert_int_equal(pthread_create(&t, NULL, lat_waiter2, &w), 0);
    sleep_ms(30);
    ut_poke32(name, lo, 1); /* a step that changes nothing yet */
    sleep_ms(30);
    assert_int_equal(atomic_load(&lat_returned), 0);
    at = zt_now_ms();
    ut_poke32(name, lo, 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(w.rc, ZEROIPC_OK);
    assert_true(w.done - at < 50);
}

/* ------------------------------------------------------------------ */
/* Forked processes. */

#define PR_N 4
#define PR_ROUNDS 100

struct proc_arg {
    const char *seg;
    int id;
};

/* A child: opens the segment itself, passes PR_ROUNDS generations. */
static int proc_barrier(void *arg)
{
    const struct proc_arg *a = arg;
    zeroipc_memory_t *m = zeroipc_memory_open(a->seg);
    if (m == NULL)
        return 10;
    zeroipc_barrier_t *b = zeroipc_barrier_open(m, "b");
    zeroipc_array_t *ph = zeroipc_array_open(m, "phase");
    if (b == NULL || ph == NULL)
        return 11;
    _Atomic int32_t *phase = zeroipc_array_data(ph);
    int rc = 0;
    for (int32_t k = 1; k <= PR_ROUNDS && rc == 0; k++) {
        atomic_store_explicit(&phase[a->id], k, memory_order_relaxed);
        bool ok = a->id % 2 ? zeroipc_barrier_wait_timeout(b, 10000)
                            : zeroipc_barrier_wait(b);
        if (!ok)
            rc = 12;
        else if (zeroipc_barrier_generation(b) != k)
            rc = 13;
        for (int u = 0; u < PR_N && rc == 0; u++)
            if (atomic_load_explicit(&phase[u], memory_order_relaxed) < k)
                rc = 14;
    }
    zeroipc_array_close(ph);
    zeroipc_barrier_close(b);
    zeroipc_memory_close(m);
    return rc;
}

static void test_barrier_processes(void **state)
{
    (void)state;
    const char *name;
    zeroipc_memory_t *m = ut_seg(&name, "pb", 8192, 8);
    zeroipc_barrier_t *b = mkbar(m, "b", PR_N);
    assert_non_null(ut_keep_array(zeroipc_array_create(m, "phase", 4, PR_N)));
    struct proc_arg args[PR_N];
    int pids[PR_N];
    for (int i = 0; i < PR_N; i++) {
        args[i] = (struct proc_arg){name, i};
        pids[i] = zt_fork(proc_barrier, &args[i]);
        assert_true(pids[i] > 0);
    }
    for (int i = 0; i < PR_N; i++)
        assert_int_equal(zt_wait(pids[i]), 0);
    assert_int_equal(zeroipc_barrier_generation(b), PR_ROUNDS);
    assert_int_equal(zeroipc_barrier_arrived(b), 0);
}

/* Latch across processes: waiters in children, count_down in another
 * child; the waiters report how late they woke (CLOCK_MONOTONIC is
 * system-wide). */
static int proc_latch_wait(void *arg)
{
    const struct proc_arg *a = arg;
    zeroipc_memory_t *m = zeroipc_memory_open(a->seg);
    if (m == NULL)
        return 10;
    zeroipc_latch_t *l = zeroipc_latch_open(m, "l");
    zeroipc_array_t *t = zeroipc_array_open(m, "times");
    if (l == NULL || t == NULL)
        return 11;
    int rc = zeroipc_latch_wait_timeout(l, 10000) ? 0 : 12;
    int64_t now = zt_now_ms();
    zeroipc_array_set(t, (size_t)a->id, &now);
    zeroipc_array_close(t);
    zeroipc_latch_close(l);
    zeroipc_memory_close(m);
    return rc;
}

static int proc_latch_release(void *arg)
{
    const struct proc_arg *a = arg;
    zeroipc_memory_t *m = zeroipc_memory_open(a->seg);
    if (m == NULL)
        return 10;
    zeroipc_latch_t *l = zeroipc_latch_open(m, "l");
    zeroipc_array_t *t = zeroipc_array_open(m, "times");
    if (l == NULL || t == NULL)
        return 11;
    sleep_ms(100);
    zeroipc_latch_count_down(l, 1);
    sleep_ms(50);
    if (zeroipc_latch_try_wait(l))
        return 12; /* one of two: still closed */
    int64_t now = zt_now_ms();
    zeroipc_array_set(t, (size_t)a->id, &now);
    zeroipc_latch_count_down(l, 1);
    zeroipc_array_close(t);
    zeroipc_latch_close(l);
    zeroipc_memory_close(m);
    return 0;
}

static void test_latch_processes(void **state)
{
    (void)state;
    const char *name;
    zeroipc_memory_t *m = ut_seg(&name, "pl", 8192, 8);
    zeroipc_latch_t *l = mklat(m, "l", 2);
    zeroipc_array_t *t = ut_keep_array(zeroipc_array_create(m, "times", 8, 4));
    assert_non_null(t);
    struct proc_arg args[4];
    int pids[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (struct proc_arg){name, i};
        pids[i] = zt_fork(i < 3 ? proc_latch_wait : proc_latch_release, &args[i]);
        assert_true(pids[i] > 0);
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(zt_wait(pids[i]), 0);
    assert_int_equal(zeroipc_latch_count(l), 0);
    int64_t *times = zeroipc_array_data(t);
    for (int i = 0; i < 3; i++) {
        assert_true(times[i] >= times[3]);
        assert_true(times[i] - times[3] < 50);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ST_TEST(test_barrier_layout),
        ST_TEST(test_barrier_steps),
        ST_TEST(test_latch_layout),
        ST_TEST(test_vectors),
        ST_TEST(test_create_errors),
        ST_TEST(test_open),
        ST_TEST(test_open_bad_headers),
        ST_TEST(test_validate),
        ST_TEST(test_null_args),
        ST_TEST(test_timeouts),
        ST_TEST(test_blocking_wakeup),
        ST_TEST(test_barrier_threads),
        ST_TEST(test_barrier_threads_withdraw),
        ST_TEST(test_latch_threads),
        ST_TEST(test_barrier_corrupt_words),
        ST_TEST(test_barrier_half_open),
        ST_TEST(test_latch_corrupt_words),
        ST_TEST(test_foreign_peer),
        ST_TEST(test_barrier_processes),
        ST_TEST(test_latch_processes),
    };
    return UT_RUN(tests);
}
