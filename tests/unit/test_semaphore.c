/* test_semaphore.c - zeroipc_semaphore_* and zeroipc_mutex_*: layouts byte
 * by byte, every semaphore and mutex of the test vectors read and
 * reproduced, errors, max_count, timeouts, corrupt words, the `waiting`
 * handshake, threads, and peers that change the count without waking
 * anyone. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "unit_common.h"

/* ------------------------------------------------------------------ */
/* Handles of this file's kinds, closed by the teardown. */

static zeroipc_semaphore_t *st_sems[UT_MAX];
static zeroipc_mutex_t *st_mtxs[UT_MAX];

static int st_teardown(void **state)
{
    for (int i = 0; i < UT_MAX; i++) {
        zeroipc_semaphore_close(st_sems[i]);
        zeroipc_mutex_close(st_mtxs[i]);
        st_sems[i] = NULL;
        st_mtxs[i] = NULL;
    }
    return ut_teardown(state);
}

#define ST_TEST(fn) cmocka_unit_test_setup_teardown(fn, ut_setup, st_teardown)

static zeroipc_semaphore_t *keep_sem(zeroipc_semaphore_t *s)
{
    for (int i = 0; s && i < UT_MAX; i++)
        if (!st_sems[i]) {
            st_sems[i] = s;
            return s;
        }
    if (s)
        fail_msg("too many semaphores");
    return s;
}

static zeroipc_mutex_t *keep_mtx(zeroipc_mutex_t *m)
{
    for (int i = 0; m && i < UT_MAX; i++)
        if (!st_mtxs[i]) {
            st_mtxs[i] = m;
            return m;
        }
    if (m)
        fail_msg("too many mutexes");
    return m;
}

static zeroipc_semaphore_t *mksem(zeroipc_memory_t *m, const char *name,
                                  int32_t initial, int32_t max)
{
    zeroipc_semaphore_t *s = zeroipc_semaphore_create(m, name, initial, max);
    assert_non_null(s);
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
    return keep_sem(s);
}

static zeroipc_mutex_t *mkmtx(zeroipc_memory_t *m, const char *name)
{
    zeroipc_mutex_t *x = zeroipc_mutex_create(m, name);
    assert_non_null(x);
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
    return keep_mtx(x);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void expect16(zeroipc_memory_t *m, const char *name, int32_t a, int32_t b,
                     int32_t c, int32_t d)
{
    size_t off, size;
    ut_find(m, name, &off, &size);
    assert_int_equal(size, 16);
    int32_t want[4] = {a, b, c, d};
    assert_memory_equal(ut_at(m, off), want, 16);
}

/* ------------------------------------------------------------------ */
/* Layout. */

static void test_layout(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "sl", 8192, 8);
    zeroipc_semaphore_t *s = mksem(m, "sem", 2, 5);
    expect16(m, "sem", 2, 0, 5, 0);
    assert_int_equal(zeroipc_semaphore_count(s), 2);
    assert_int_equal(zeroipc_semaphore_waiting(s), 0);
    assert_int_equal(zeroipc_semaphore_max_count(s), 5);
    mksem(m, "unb", 0, 0);
    expect16(m, "unb", 0, 0, 0, 0);
    zeroipc_mutex_t *x = mkmtx(m, "mtx");
    expect16(m, "mtx", 1, 0, 1, 0);
    assert_false(zeroipc_mutex_is_locked(x));
    assert_int_equal(zeroipc_mutex_lock(x), ZEROIPC_OK);
    expect16(m, "mtx", 0, 0, 1, 0);
    assert_true(zeroipc_mutex_is_locked(x));
    size_t off;
    ut_find(m, "mtx", &off, NULL);
    assert_int_equal(off % 8, 0);
    assert_int_equal(ZEROIPC_SEMAPHORE_SIZE, 16);
    assert_int_equal(ZEROIPC_MUTEX_SIZE, 16);
}

/* ------------------------------------------------------------------ */
/* The test vectors. */

struct vec16 {
    const char *file, *name;
    size_t offset;
    int32_t w[4];
};

/* Every semaphore and mutex of MANIFEST.md (events are test_event.c's). */
static const struct vec16 vecs[] = {
    {"cpp_all.seg", "sem", 3808, {3, 0, 5, 0}},
    {"cpp_all.seg", "mtx", 3824, {0, 0, 1, 0}},
    {"cpp_all.seg", "rw_rmtx", 3920, {1, 0, 1, 0}},
    {"cpp_all.seg", "rw_wmtx", 3936, {1, 0, 1, 0}},
    {"cpp_all.seg", "mon_mtx", 3960, {0, 0, 1, 0}},
    {"cpp_all.seg", "mon_cond", 3976, {0, 0, 0, 0}},
    {"cpp_all.seg", "sig_mtx", 4024, {1, 0, 1, 0}},
    {"py_core.seg", "p_sem", 3376, {2, 0, 3, 0}},
    {"py_core.seg", "p_mtx", 3392, {0, 0, 1, 0}},
    {"py_core.seg", "p_rw_rmtx", 3488, {1, 0, 1, 0}},
    {"py_core.seg", "p_rw_wmtx", 3504, {1, 0, 1, 0}},
    {"py_core.seg", "p_mon_mtx", 3528, {1, 0, 1, 0}},
    {"py_core.seg", "p_mon_cond", 3544, {0, 0, 0, 0}},
};
#define NVECS (sizeof vecs / sizeof vecs[0])

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

/* Reproduces every entry of vecs[] in `n` with the manifest's operations. */
static void reproduce(zeroipc_memory_t *n)
{
    /* sem: initial 2, max 5; acquire; release; release. */
    zeroipc_semaphore_t *s = mksem(n, "sem", 2, 5);
    assert_int_equal(zeroipc_semaphore_acquire(s), ZEROIPC_OK);
    assert_int_equal(zeroipc_semaphore_release(s), ZEROIPC_OK);
    assert_int_equal(zeroipc_semaphore_release(s), ZEROIPC_OK);
    /* mtx: lock, left locked. */
    assert_int_equal(zeroipc_mutex_lock(mkmtx(n, "mtx")), ZEROIPC_OK);
    /* rw_rmtx: taken and released inside each reader_lock. */
    zeroipc_mutex_t *r = mkmtx(n, "rw_rmtx");
    for (int i = 0; i < 2; i++) {
        assert_int_equal(zeroipc_mutex_lock(r), ZEROIPC_OK);
        assert_int_equal(zeroipc_mutex_unlock(r), ZEROIPC_OK);
    }
    mkmtx(n, "rw_wmtx");
    assert_int_equal(zeroipc_mutex_lock(mkmtx(n, "mon_mtx")), ZEROIPC_OK);
    mksem(n, "mon_cond", 0, 0);
    zeroipc_mutex_t *g = mkmtx(n, "sig_mtx");
    for (int i = 0; i < 2; i++) {
        assert_int_equal(zeroipc_mutex_lock_timeout(g, 1000), ZEROIPC_OK);
        assert_int_equal(zeroipc_mutex_unlock(g), ZEROIPC_OK);
    }
    /* p_sem: initial 0, max 3; release; release. */
    zeroipc_semaphore_t *p = mksem(n, "p_sem", 0, 3);
    assert_int_equal(zeroipc_semaphore_release(p), ZEROIPC_OK);
    assert_int_equal(zeroipc_semaphore_release(p), ZEROIPC_OK);
    assert_int_equal(zeroipc_mutex_try_lock(mkmtx(n, "p_mtx")), ZEROIPC_OK);
    zeroipc_mutex_t *pr = mkmtx(n, "p_rw_rmtx");
    assert_int_equal(zeroipc_mutex_lock(pr), ZEROIPC_OK);
    assert_int_equal(zeroipc_mutex_unlock(pr), ZEROIPC_OK);
    mkmtx(n, "p_rw_wmtx");
    mkmtx(n, "p_mon_mtx");
    mksem(n, "p_mon_cond", 0, 0);
}

static void test_vectors(void **state)
{
    (void)state;
    char path[4096];
    if (!vec_path(path, sizeof path, "cpp_all.seg"))
        skip();
    /* The files hold what the manifest says. */
    for (size_t i = 0; i < NVECS; i++) {
        int32_t w[4];
        read_vec(&vecs[i], w);
        assert_memory_equal(w, vecs[i].w, 16);
    }

    /* Open both segments: every entry opens as a semaphore with the
     * manifest's values, the 1/1 ones as mutexes too. */
    char seg[ZT_NAME_MAX], pseg[ZT_NAME_MAX];
    assert_int_equal(zt_copy_to_shm(path, seg, "vc"), 0);
    assert_true(vec_path(path, sizeof path, "py_core.seg"));
    assert_int_equal(zt_copy_to_shm(path, pseg, "vp"), 0);
    zeroipc_memory_t *m = ut_open(seg);
    zeroipc_memory_t *pm = ut_open(pseg);
    for (size_t i = 0; i < NVECS; i++) {
        zeroipc_memory_t *mm = vecs[i].file[0] == 'c' ? m : pm;
        size_t off;
        ut_find(mm, vecs[i].name, &off, NULL);
        assert_int_equal(off, vecs[i].offset);
        zeroipc_semaphore_t *s = keep_sem(zeroipc_semaphore_open(mm, vecs[i].name));
        assert_non_null(s);
        assert_int_equal(zeroipc_semaphore_count(s), vecs[i].w[0]);
        assert_int_equal(zeroipc_semaphore_waiting(s), vecs[i].w[1]);
        assert_int_equal(zeroipc_semaphore_max_count(s), vecs[i].w[2]);
        if (vecs[i].w[2] == 1) {
            zeroipc_mutex_t *x = keep_mtx(zeroipc_mutex_open(mm, vecs[i].name));
            assert_non_null(x);
            assert_int_equal(zeroipc_mutex_is_locked(x), vecs[i].w[0] == 0);
        } else {
            UT_EXPECT_NULL(zeroipc_mutex_open(mm, vecs[i].name),
                           ZEROIPC_ERROR_WRONG_KIND);
        }
    }
    /* Not semaphores: 12-, 8-, 4- and 280-byte entries. */
    UT_EXPECT_NULL(zeroipc_semaphore_open(m, "ev"), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_semaphore_open(m, "rw_state"), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_mutex_open(m, "once"), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_semaphore_open(pm, "p_fut_ok"), ZEROIPC_ERROR_WRONG_KIND);

    /* Operate on them: the C++ mutex left locked is unlocked by us, the
     * Python semaphore taken down to 0 and refilled past its max. */
    zeroipc_mutex_t *x = keep_mtx(zeroipc_mutex_open(m, "mtx"));
    assert_int_equal(zeroipc_mutex_try_lock(x), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(zeroipc_mutex_unlock(x), ZEROIPC_OK);
    assert_int_equal(zeroipc_mutex_unlock(x), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_mutex_lock_timeout(x, 100), ZEROIPC_OK);
    zeroipc_semaphore_t *ps = keep_sem(zeroipc_semaphore_open(pm, "p_sem"));
    assert_int_equal(zeroipc_semaphore_acquire(ps), ZEROIPC_OK);
    assert_int_equal(zeroipc_semaphore_acquire(ps), ZEROIPC_OK);
    assert_int_equal(zeroipc_semaphore_try_acquire(ps), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(zeroipc_semaphore_release_n(ps, 3), ZEROIPC_OK);
    assert_int_equal(zeroipc_semaphore_release(ps), ZEROIPC_ERROR_SIZE);
    int32_t w[4];
    ut_peek(pseg, 3376, w, 16);
    int32_t want[4] = {3, 0, 3, 0};
    assert_memory_equal(w, want, 16);

    /* The same operations from scratch write the same 16 bytes. */
    zeroipc_memory_t *n = ut_seg(NULL, "vr", 16384, 16);
    reproduce(n);
    for (size_t i = 0; i < NVECS; i++) {
        size_t off, size;
        ut_find(n, vecs[i].name, &off, &size);
        assert_int_equal(size, 16);
        assert_memory_equal(ut_at(n, off), vecs[i].w, 16);
    }
}

/* ------------------------------------------------------------------ */
/* Errors. */

static void test_create_errors(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "ce", 4096, 4);
    UT_EXPECT_NULL(zeroipc_semaphore_create(NULL, "s", 0, 0),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_mutex_create(NULL, "s"), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_semaphore_create(m, "s", -1, 0),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_semaphore_create(m, "s", 0, -1),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_semaphore_create(m, "s", 4, 3),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_semaphore_create(m, NULL, 0, 0),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_semaphore_create(m, "", 0, 0),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    char name[40];
    UT_EXPECT_NULL(zeroipc_semaphore_create(m, ut_len_name(name, 32, 's'), 0, 0),
                   ZEROIPC_ERROR_NAME_TOO_LONG);
    UT_EXPECT_NULL(zeroipc_mutex_create(m, ut_len_name(name, 32, 'm')),
                   ZEROIPC_ERROR_NAME_TOO_LONG);
    assert_int_equal(zeroipc_table_count(m), 0);
    /* 31 bytes is fine; bounded and unbounded limits at the edges. */
    mksem(m, ut_len_name(name, 31, 's'), INT32_MAX, 0);
    mksem(m, "full", 7, 7);
    UT_EXPECT_NULL(zeroipc_semaphore_create(m, "full", 0, 0),
                   ZEROIPC_ERROR_ALREADY_EXISTS);
    UT_EXPECT_NULL(zeroipc_mutex_create(m, "full"), ZEROIPC_ERROR_ALREADY_EXISTS);
    mkmtx(m, "x");
    mkmtx(m, "y");
    UT_EXPECT_NULL(zeroipc_mutex_create(m, "z"), ZEROIPC_ERROR_TABLE_FULL);
    /* No room: a segment whose data area is smaller than 16 bytes. */
    zeroipc_memory_t *t = ut_seg(NULL, "tiny", 32 + 48 + 8, 1);
    UT_EXPECT_NULL(zeroipc_semaphore_create(t, "s", 0, 0), ZEROIPC_ERROR_SIZE);
}

static void test_open_errors(void **state)
{
    (void)state;
    const char *seg;
    zeroipc_memory_t *m = ut_seg(&seg, "oe", 8192, 16);
    UT_EXPECT_NULL(zeroipc_semaphore_open(m, "nope"), ZEROIPC_ERROR_NOT_FOUND);
    UT_EXPECT_NULL(zeroipc_mutex_open(m, "nope"), ZEROIPC_ERROR_NOT_FOUND);
    UT_EXPECT_NULL(zeroipc_semaphore_open(NULL, "s"), ZEROIPC_ERROR_INVALID_ARGUMENT);
    size_t off;
    assert_int_equal(zeroipc_table_add(m, "twelve", 12, &off), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_semaphore_open(m, "twelve"), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_mutex_open(m, "twelve"), ZEROIPC_ERROR_WRONG_KIND);

    mksem(m, "s", 1, 4);
    size_t so;
    ut_find(m, "s", &so, NULL);
    /* A mutex is exactly max_count 1. */
    UT_EXPECT_NULL(zeroipc_mutex_open(m, "s"), ZEROIPC_ERROR_WRONG_KIND);
    /* Negative max_count: not a semaphore. */
    ut_poke32(seg, so + 8, (uint32_t)-1);
    UT_EXPECT_NULL(zeroipc_semaphore_open(m, "s"), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_semaphore_validate(ut_at(m, so), 16),
                     ZEROIPC_ERROR_WRONG_KIND);
    ut_poke32(seg, so + 8, 4);
    assert_int_equal(zeroipc_semaphore_validate(ut_at(m, so), 16), ZEROIPC_OK);
    assert_int_equal(zeroipc_semaphore_validate(ut_at(m, so), 12),
                     ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_semaphore_validate(NULL, 16), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_mutex_validate(ut_at(m, so), 16),
                     ZEROIPC_ERROR_WRONG_KIND);
    /* Count outside [0, max]: corrupt. */
    ut_poke32(seg, so, 5);
    UT_EXPECT_NULL(zeroipc_semaphore_open(m, "s"), ZEROIPC_ERROR_CORRUPT);
    ut_poke32(seg, so, (uint32_t)-1);
    UT_EXPECT_NULL(zeroipc_semaphore_open(m, "s"), ZEROIPC_ERROR_CORRUPT);
    ut_poke32(seg, so, 4);
    keep_sem(zeroipc_semaphore_open(m, "s"));

    mkmtx(m, "x");
    size_t xo;
    ut_find(m, "x", &xo, NULL);
    assert_int_equal(zeroipc_mutex_validate(ut_at(m, xo), 16), ZEROIPC_OK);
    ut_poke32(seg, xo, 2);
    UT_EXPECT_NULL(zeroipc_mutex_open(m, "x"), ZEROIPC_ERROR_CORRUPT);
    ut_poke32(seg, xo, 0);
    zeroipc_mutex_t *x = keep_mtx(zeroipc_mutex_open(m, "x"));
    assert_non_null(x);
    assert_true(zeroipc_mutex_is_locked(x));

    /* A misaligned entry (a hand-made table entry). */
    assert_int_equal(zeroipc_table_add(m, "mis", 24, &off), ZEROIPC_OK);
    uint32_t n = (uint32_t)zeroipc_table_count(m);
    ut_poke64(seg, UT_ENTRY(n - 1) + UT_E_OFFSET, off + 4);
    ut_poke64(seg, UT_ENTRY(n - 1) + UT_E_SIZE, 16);
    UT_EXPECT_NULL(zeroipc_semaphore_open(m, "mis"), ZEROIPC_ERROR_CORRUPT);
    UT_EXPECT_NULL(zeroipc_mutex_open(m, "mis"), ZEROIPC_ERROR_WRONG_KIND);
}

static void test_null_handles(void **state)
{
    (void)state;
    assert_int_equal(zeroipc_semaphore_acquire(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_semaphore_acquire_timeout(NULL, 5),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_semaphore_try_acquire(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_semaphore_release(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_semaphore_release_n(NULL, 2), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_semaphore_count(NULL), -1);
    assert_int_equal(zeroipc_semaphore_waiting(NULL), -1);
    assert_int_equal(zeroipc_semaphore_max_count(NULL), -1);
    assert_int_equal(zeroipc_mutex_lock(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_mutex_lock_timeout(NULL, 1), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_mutex_try_lock(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_mutex_unlock(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_false(zeroipc_mutex_is_locked(NULL));
    assert_int_equal(zeroipc_mutex_validate(NULL, 16), ZEROIPC_ERROR_WRONG_KIND);
    zeroipc_semaphore_close(NULL);
    zeroipc_mutex_close(NULL);
}

/* ------------------------------------------------------------------ */
/* Counting, limits, timeouts, corrupt words. */

static void test_counting(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "cn", 8192, 8);
    zeroipc_semaphore_t *s = mksem(m, "s", 0, 3);
    assert_int_equal(zeroipc_semaphore_try_acquire(s), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(zeroipc_semaphore_acquire_timeout(s, 0), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(zeroipc_semaphore_release_n(s, 0), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_semaphore_release_n(s, -2), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_semaphore_release_n(s, 4), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_semaphore_count(s), 0);
    assert_int_equal(zeroipc_semaphore_release_n(s, 2), ZEROIPC_OK);
    assert_int_equal(zeroipc_semaphore_release_n(s, 2), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_semaphore_count(s), 2);
    assert_int_equal(zeroipc_semaphore_release(s), ZEROIPC_OK);
    assert_int_equal(zeroipc_semaphore_release(s), ZEROIPC_ERROR_SIZE);
    for (int i = 0; i < 3; i++)
        assert_int_equal(zeroipc_semaphore_try_acquire(s), ZEROIPC_OK);
    assert_int_equal(zeroipc_semaphore_try_acquire(s), ZEROIPC_ERROR_TIMEOUT);

    /* Unbounded: up to INT32_MAX, all or nothing. */
    zeroipc_semaphore_t *u = mksem(m, "u", INT32_MAX - 2, 0);
    assert_int_equal(zeroipc_semaphore_release_n(u, 3), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_semaphore_release_n(u, 2), ZEROIPC_OK);
    assert_int_equal(zeroipc_semaphore_count(u), INT32_MAX);
    assert_int_equal(zeroipc_semaphore_release(u), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_semaphore_acquire(u), ZEROIPC_OK);
    assert_int_equal(zeroipc_semaphore_count(u), INT32_MAX - 1);

    /* A count above max (foreign writer after open) refuses releases. */
    size_t so;
    ut_find(m, "s", &so, NULL);
    ut_set32(m, so, 9);
    assert_int_equal(zeroipc_semaphore_release(s), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_semaphore_acquire(s), ZEROIPC_OK);
    /* A negative count is corrupt: no sleep, no change. */
    ut_set32(m, so, (uint32_t)-3);
    int64_t t0 = zt_now_ms();
    assert_int_equal(zeroipc_semaphore_acquire(s), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_semaphore_acquire_timeout(s, 500), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_semaphore_try_acquire(s), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_semaphore_release(s), ZEROIPC_ERROR_CORRUPT);
    assert_true(zt_now_ms() - t0 < 200);
    assert_int_equal(zeroipc_semaphore_count(s), -3);
    assert_int_equal(zeroipc_semaphore_waiting(s), 0);
}

static void test_timeouts(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "to", 8192, 8);
    zeroipc_semaphore_t *s = mksem(m, "s", 0, 0);
    int64_t t0 = zt_now_ms();
    assert_int_equal(zeroipc_semaphore_acquire_timeout(s, 60), ZEROIPC_ERROR_TIMEOUT);
    int64_t dt = zt_now_ms() - t0;
    assert_true(dt >= 59);
    assert_true(dt < 1000);
    assert_int_equal(zeroipc_semaphore_waiting(s), 0);
    assert_int_equal(zeroipc_semaphore_count(s), 0);

    zeroipc_mutex_t *x = mkmtx(m, "x");
    assert_int_equal(zeroipc_mutex_lock(x), ZEROIPC_OK);
    assert_int_equal(zeroipc_mutex_try_lock(x), ZEROIPC_ERROR_TIMEOUT);
    t0 = zt_now_ms();
    assert_int_equal(zeroipc_mutex_lock_timeout(x, 40), ZEROIPC_ERROR_TIMEOUT);
    dt = zt_now_ms() - t0;
    assert_true(dt >= 39 && dt < 1000);
    assert_int_equal(zeroipc_mutex_unlock(x), ZEROIPC_OK);
    assert_int_equal(zeroipc_mutex_unlock(x), ZEROIPC_ERROR_SIZE);
    assert_false(zeroipc_mutex_is_locked(x));
    /* A waiting count left high (a dead waiter) only costs wake-ups. */
    size_t xo;
    ut_find(m, "x", &xo, NULL);
    ut_set32(m, xo + 4, 5);
    assert_int_equal(zeroipc_mutex_lock_timeout(x, 10), ZEROIPC_OK);
    assert_int_equal(zeroipc_mutex_unlock(x), ZEROIPC_OK);
    assert_int_equal(zeroipc_mutex_lock(x), ZEROIPC_OK);
    assert_int_equal(zeroipc_mutex_lock_timeout(x, 10), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal((int32_t)ut_get32(m, xo + 4), 5);
}

/* ------------------------------------------------------------------ */
/* Threads. */

struct waiter {
    zeroipc_semaphore_t *s;
    int32_t timeout;
    int rc;
    int64_t done_ms;
};

static void *acquire_thread(void *arg)
{
    struct waiter *w = arg;
    w->rc = zeroipc_semaphore_acquire_timeout(w->s, w->timeout);
    w->done_ms = zt_now_ms();
    return NULL;
}

static void wait_for_waiting(zeroipc_semaphore_t *s, int32_t n)
{
    int64_t end = zt_now_ms() + 5000;
    while (zeroipc_semaphore_waiting(s) < n && zt_now_ms() < end)
        sleep_ms(1);
    assert_true(zeroipc_semaphore_waiting(s) >= n);
}

/* A sleeper registers in `waiting` and our release wakes it at once. */
static void test_wake(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "wk", 8192, 8);
    zeroipc_semaphore_t *s = mksem(m, "s", 0, 0);
    struct waiter w = {s, 10000, 1, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, acquire_thread, &w), 0);
    wait_for_waiting(s, 1);
    sleep_ms(20);
    int64_t t0 = zt_now_ms();
    assert_int_equal(zeroipc_semaphore_release(s), ZEROIPC_OK);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(w.rc, ZEROIPC_OK);
    assert_true(w.done_ms - t0 < 500);
    assert_int_equal(zeroipc_semaphore_waiting(s), 0);
    assert_int_equal(zeroipc_semaphore_count(s), 0);

    /* A peer that never wakes anyone: a plain store of the count is seen
     * within the sliced sleeps. */
    size_t so;
    ut_find(m, "s", &so, NULL);
    w.rc = 1;
    assert_int_equal(pthread_create(&t, NULL, acquire_thread, &w), 0);
    wait_for_waiting(s, 1);
    sleep_ms(10);
    ut_set32(m, so, 1);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(w.rc, ZEROIPC_OK);
    assert_int_equal(zeroipc_semaphore_count(s), 0);

    /* release_n wakes as many as it brings. */
    struct waiter ws[4];
    pthread_t ts[4];
    for (int i = 0; i < 4; i++) {
        ws[i] = (struct waiter){s, 3000, 1, 0};
        assert_int_equal(pthread_create(&ts[i], NULL, acquire_thread, &ws[i]), 0);
    }
    wait_for_waiting(s, 4);
    assert_int_equal(zeroipc_semaphore_release_n(s, 3), ZEROIPC_OK);
    int ok = 0, to = 0;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(ts[i], NULL), 0);
        ok += ws[i].rc == ZEROIPC_OK;
        to += ws[i].rc == ZEROIPC_ERROR_TIMEOUT;
    }
    assert_int_equal(ok, 3);
    assert_int_equal(to, 1);
    assert_int_equal(zeroipc_semaphore_waiting(s), 0);
}

struct crowd {
    zeroipc_semaphore_t *s;
    zeroipc_mutex_t *x;
    atomic_int inside, max_inside;
    long counter; /* guarded by x */
    int rounds;
    int fails;
};

static void *crowd_thread(void *arg)
{
    struct crowd *c = arg;
    for (int i = 0; i < c->rounds; i++) {
        if (zeroipc_semaphore_acquire(c->s) != ZEROIPC_OK) {
            c->fails++; /* only read after join */
            break;
        }
        int in = atomic_fetch_add(&c->inside, 1) + 1;
        int mx = atomic_load(&c->max_inside);
        while (in > mx && !atomic_compare_exchange_weak(&c->max_inside, &mx, in))
            ;
        if (zeroipc_mutex_lock(c->x) == ZEROIPC_OK) {
            c->counter++; /* a plain access: the mutex orders them */
            zeroipc_mutex_unlock(c->x);
        }
        atomic_fetch_sub(&c->inside, 1);
        zeroipc_semaphore_release(c->s);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "th", 8192, 8);
    static struct crowd c;
    memset(&c, 0, sizeof c);
    c.s = mksem(m, "s", 3, 3);
    c.x = mkmtx(m, "x");
    c.rounds = 5000;
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        assert_int_equal(pthread_create(&t[i], NULL, crowd_thread, &c), 0);
    for (int i = 0; i < 8; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(c.fails, 0);
    assert_int_equal(c.counter, 8L * 5000);
    assert_true(atomic_load(&c.max_inside) <= 3);
    assert_true(atomic_load(&c.max_inside) >= 1);
    assert_int_equal(zeroipc_semaphore_count(c.s), 3);
    assert_int_equal(zeroipc_semaphore_waiting(c.s), 0);
    assert_false(zeroipc_mutex_is_locked(c.x));
}

/* A forked process takes the mutex and holds it; ours times out, then
 * gets it once the holder lets go. */
static int hold_child(void *arg)
{
    const char *seg = arg;
    zeroipc_memory_t *m = zeroipc_memory_open(seg);
    zeroipc_mutex_t *x = m ? zeroipc_mutex_open(m, "x") : NULL;
    if (!x || zeroipc_mutex_lock(x) != ZEROIPC_OK)
        return 1;
    sleep_ms(300);
    int rc = zeroipc_mutex_unlock(x) == ZEROIPC_OK ? 0 : 2;
    zeroipc_mutex_close(x);
    zeroipc_memory_close(m);
    return rc;
}

static void test_fork(void **state)
{
    (void)state;
    const char *seg;
    zeroipc_memory_t *m = ut_seg(&seg, "fk", 8192, 8);
    zeroipc_mutex_t *x = mkmtx(m, "x");
    int pid = zt_fork(hold_child, (void *)seg);
    int64_t end = zt_now_ms() + 5000;
    while (!zeroipc_mutex_is_locked(x) && zt_now_ms() < end)
        sleep_ms(1);
    assert_int_equal(zeroipc_mutex_lock_timeout(x, 50), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(zeroipc_mutex_lock_timeout(x, 5000), ZEROIPC_OK);
    assert_int_equal(zt_wait(pid), 0);
    assert_int_equal(zeroipc_mutex_unlock(x), ZEROIPC_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ST_TEST(test_layout),
        ST_TEST(test_vectors),
        ST_TEST(test_create_errors),
        ST_TEST(test_open_errors),
        ST_TEST(test_null_handles),
        ST_TEST(test_counting),
        ST_TEST(test_timeouts),
        ST_TEST(test_wake),
        ST_TEST(test_threads),
        ST_TEST(test_fork),
    };
    return UT_RUN(tests);
}
