/* test_once.c - zeroipc_once_*: the layout byte by byte, the test vectors,
 * errors, validation, timeouts, a stuck executor and its recovery, corrupt
 * words, threads racing to run it, waiters woken at once, forked
 * processes, and peers that change the word without waking anyone. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "unit_common.h"

/* ------------------------------------------------------------------ */
/* Handles of this file's kind, closed by the teardown like the others. */

static zeroipc_once_t *ot_onces[UT_MAX];

static int ot_teardown(void **state)
{
    for (int i = 0; i < UT_MAX; i++) {
        zeroipc_once_close(ot_onces[i]);
        ot_onces[i] = NULL;
    }
    return ut_teardown(state);
}

#define OT_TEST(fn) cmocka_unit_test_setup_teardown(fn, ut_setup, ot_teardown)

static zeroipc_once_t *keep_once(zeroipc_once_t *o)
{
    for (int i = 0; o && i < UT_MAX; i++)
        if (!ot_onces[i]) {
            ot_onces[i] = o;
            return o;
        }
    if (o)
        fail_msg("too many onces");
    return o;
}

static void close_once(zeroipc_once_t *o)
{
    for (int i = 0; i < UT_MAX; i++)
        if (ot_onces[i] == o)
            ot_onces[i] = NULL;
    zeroipc_once_close(o);
}

static zeroipc_once_t *mkonce(zeroipc_memory_t *m, const char *name)
{
    zeroipc_once_t *o = zeroipc_once_create(m, name);
    assert_non_null(o);
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
    return keep_once(o);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* The functions run once: they count their runs. */
static void count_fn(void *arg)
{
    atomic_fetch_add((_Atomic int *)arg, 1);
}

static void never_fn(void *arg)
{
    (void)arg;
    fail_msg("the function ran although it must not");
}

/* ------------------------------------------------------------------ */
/* Layout. */

static void test_layout(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "ol", 4096, 4);
    zeroipc_once_t *o = mkonce(m, "once");
    size_t off, size;
    ut_find(m, "once", &off, &size);
    assert_int_equal(size, 4);
    assert_int_equal(size, ZEROIPC_ONCE_SIZE);
    assert_int_equal(off % 8, 0);
    assert_int_equal(ut_get32(m, off), ZEROIPC_ONCE_PENDING);
    assert_int_equal(zeroipc_once_state(o), ZEROIPC_ONCE_PENDING);
    assert_false(zeroipc_once_done(o));

    _Atomic int runs = 0;
    assert_int_equal(zeroipc_once_call(o, count_fn, &runs), ZEROIPC_OK);
    assert_int_equal(atomic_load(&runs), 1);
    assert_int_equal(ut_get32(m, off), ZEROIPC_ONCE_DONE);
    assert_int_equal(zeroipc_once_state(o), ZEROIPC_ONCE_DONE);
    assert_true(zeroipc_once_done(o));
    /* Never again, however it is asked. */
    assert_int_equal(zeroipc_once_call(o, count_fn, &runs), ZEROIPC_OK);
    assert_int_equal(zeroipc_once_call_timeout(o, count_fn, &runs, 0), ZEROIPC_OK);
    assert_int_equal(zeroipc_once_call_timeout(o, count_fn, &runs, -1), ZEROIPC_OK);
    assert_int_equal(zeroipc_once_call_timeout(o, count_fn, &runs, 100), ZEROIPC_OK);
    assert_int_equal(zeroipc_once_wait(o, 0), ZEROIPC_OK);
    assert_int_equal(zeroipc_once_wait(o, -1), ZEROIPC_OK);
    assert_int_equal(atomic_load(&runs), 1);
    /* DONE is never undone. */
    assert_int_equal(zeroipc_once_recover(o), ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(ut_get32(m, off), ZEROIPC_ONCE_DONE);

    /* A timed call on a PENDING once runs it, even with timeout 0. */
    zeroipc_once_t *t = mkonce(m, "t");
    assert_int_equal(zeroipc_once_recover(t), ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_once_call_timeout(t, count_fn, &runs, 0), ZEROIPC_OK);
    assert_int_equal(atomic_load(&runs), 2);
    assert_true(zeroipc_once_done(t));
    /* Next entry right behind: 4 bytes, 8-aligned allocation. */
    size_t to;
    ut_find(m, "t", &to, NULL);
    assert_int_equal(to, off + 8);
}

/* ------------------------------------------------------------------ */
/* The test vectors: the public implementations' bytes, read and
 * reproduced. */

static bool vec_path(char *buf, size_t n, const char *file)
{
    const char *dir = getenv("ZEROIPC_VECTORS");
    if (dir == NULL || *dir == '\0')
        return false;
    snprintf(buf, n, "%s/%s", dir, file);
    return access(buf, R_OK) == 0;
}

static const struct {
    const char *file, *name;
    size_t offset;
} vecs[] = {
    {"cpp_all.seg", "once", 3872},
    {"py_core.seg", "p_once", 3440},
};

static void test_vectors(void **state)
{
    (void)state;
    char path[4096];
    if (!vec_path(path, sizeof path, "cpp_all.seg"))
        skip();
    static const uint8_t done_bytes[4] = {2, 0, 0, 0};
    for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
        assert_true(vec_path(path, sizeof path, vecs[i].file));
        /* The file holds what the manifest says. */
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        uint8_t b[4];
        assert_int_equal(fseek(f, (long)vecs[i].offset, SEEK_SET), 0);
        assert_int_equal(fread(b, 1, 4, f), 4);
        fclose(f);
        assert_memory_equal(b, done_bytes, 4);

        /* Opened through the API: DONE, and the function is not run. */
        char seg[ZT_NAME_MAX];
        assert_int_equal(zt_copy_to_shm(path, seg, "ov"), 0);
        zeroipc_memory_t *m = ut_open(seg);
        size_t off, size;
        ut_find(m, vecs[i].name, &off, &size);
        assert_int_equal(off, vecs[i].offset);
        assert_int_equal(size, 4);
        assert_int_equal(zeroipc_once_validate(ut_at(m, off), size), ZEROIPC_OK);
        zeroipc_once_t *o = keep_once(zeroipc_once_open(m, vecs[i].name));
        assert_non_null(o);
        assert_true(zeroipc_once_done(o));
        assert_int_equal(zeroipc_once_state(o), ZEROIPC_ONCE_DONE);
        assert_int_equal(zeroipc_once_call(o, never_fn, NULL), ZEROIPC_OK);
        assert_int_equal(zeroipc_once_call_timeout(o, never_fn, NULL, 0), ZEROIPC_OK);
        ut_peek(seg, vecs[i].offset, b, 4);
        assert_memory_equal(b, done_bytes, 4);
    }

    /* Other kinds of the vectors are no once. */
    char seg[ZT_NAME_MAX];
    assert_true(vec_path(path, sizeof path, "py_core.seg"));
    assert_int_equal(zt_copy_to_shm(path, seg, "ow"), 0);
    zeroipc_memory_t *pm = ut_open(seg);
    UT_EXPECT_NULL(zeroipc_once_open(pm, "p_lat"), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_once_open(pm, "p_rw"), ZEROIPC_ERROR_WRONG_KIND);

    /* The manifest's operations from scratch write the same bytes:
     * create; call(f) runs f; call(f) again does nothing. */
    zeroipc_memory_t *n = ut_seg(NULL, "or", 8192, 8);
    for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
        zeroipc_once_t *o = mkonce(n, vecs[i].name);
        _Atomic int runs = 0;
        assert_int_equal(zeroipc_once_call(o, count_fn, &runs), ZEROIPC_OK);
        assert_int_equal(atomic_load(&runs), 1);
        assert_int_equal(zeroipc_once_call(o, count_fn, &runs), ZEROIPC_OK);
        assert_int_equal(atomic_load(&runs), 1);
        size_t off, size;
        ut_find(n, vecs[i].name, &off, &size);
        assert_int_equal(size, 4);
        assert_memory_equal(ut_at(n, off), done_bytes, 4);
    }
}

/* ------------------------------------------------------------------ */
/* Errors. */

static void test_create_errors(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "oe", 32 + 48 * 3 + 16, 3);
    mkonce(m, "taken");
    uint64_t next = ut_get64(m, UT_H_NEXT);
    char n31[32], n32[33];
    ut_len_name(n31, 31, 'o');
    ut_len_name(n32, 32, 'o');

    UT_EXPECT_NULL(zeroipc_once_create(NULL, "x"), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_once_create(m, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_once_create(m, ""), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_once_create(m, n32), ZEROIPC_ERROR_NAME_TOO_LONG);
    UT_EXPECT_NULL(zeroipc_once_create(m, "taken"), ZEROIPC_ERROR_ALREADY_EXISTS);
    assert_int_equal(zeroipc_memory_error(m), ZEROIPC_ERROR_ALREADY_EXISTS);
    assert_int_equal(ut_get64(m, UT_H_NEXT), next);
    assert_int_equal(zeroipc_table_count(m), 1);

    /* Room for one more, then none. */
    mkonce(m, n31);
    UT_EXPECT_NULL(zeroipc_once_create(m, "x"), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_table_count(m), 2);
    /* A full table. */
    zeroipc_memory_t *f = ut_seg(NULL, "of", 4096, 2);
    mkonce(f, "a");
    mkonce(f, "b");
    UT_EXPECT_NULL(zeroipc_once_create(f, "c"), ZEROIPC_ERROR_TABLE_FULL);
}

static void test_open(void **state)
{
    (void)state;
    const char *name;
    zeroipc_memory_t *m = ut_seg(&name, "oo", 8192, 16);
    zeroipc_once_t *o = mkonce(m, "o");

    zeroipc_memory_t *m2 = ut_open(name);
    zeroipc_once_t *o2 = keep_once(zeroipc_once_open(m2, "o"));
    assert_non_null(o2);
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
    assert_int_equal(zeroipc_once_state(o2), ZEROIPC_ONCE_PENDING);
    _Atomic int runs = 0;
    assert_int_equal(zeroipc_once_call(o2, count_fn, &runs), ZEROIPC_OK);
    assert_true(zeroipc_once_done(o));
    assert_int_equal(zeroipc_once_call(o, count_fn, &runs), ZEROIPC_OK);
    assert_int_equal(atomic_load(&runs), 1);
    /* Open in every state. */
    size_t off;
    ut_find(m, "o", &off, NULL);
    ut_set32(m, off, ZEROIPC_ONCE_EXECUTING);
    assert_non_null(keep_once(zeroipc_once_open(m2, "o")));
    ut_set32(m, off, ZEROIPC_ONCE_PENDING);
    assert_non_null(keep_once(zeroipc_once_open(m2, "o")));

    char n32[33];
    ut_len_name(n32, 32, 'o');
    UT_EXPECT_NULL(zeroipc_once_open(NULL, "o"), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_once_open(m, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_once_open(m, ""), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_once_open(m, n32), ZEROIPC_ERROR_NAME_TOO_LONG);
    UT_EXPECT_NULL(zeroipc_once_open(m, "absent"), ZEROIPC_ERROR_NOT_FOUND);

    /* Other kinds and sizes. */
    assert_non_null(ut_keep_queue(zeroipc_queue_create(m, "q", 4, 4)));
    UT_EXPECT_NULL(zeroipc_once_open(m, "q"), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_memory_error(m), ZEROIPC_ERROR_WRONG_KIND);
    assert_non_null(ut_keep_array(zeroipc_array_create(m, "a", 4, 1)));
    UT_EXPECT_NULL(zeroipc_once_open(m, "a"), ZEROIPC_ERROR_WRONG_KIND);
    size_t o8;
    assert_int_equal(zeroipc_table_add(m, "s8", 8, &o8), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_once_open(m, "s8"), ZEROIPC_ERROR_WRONG_KIND);
    size_t o3;
    assert_int_equal(zeroipc_table_add(m, "s3", 3, &o3), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_once_open(m, "s3"), ZEROIPC_ERROR_WRONG_KIND);
    /* A plain 4-byte word of 0..2 cannot be told apart; 3 and up can. */
    size_t o4;
    assert_int_equal(zeroipc_table_add(m, "s4", 4, &o4), ZEROIPC_OK);
    assert_non_null(keep_once(zeroipc_once_open(m, "s4")));
    ut_set32(m, o4, 3);
    UT_EXPECT_NULL(zeroipc_once_open(m, "s4"), ZEROIPC_ERROR_WRONG_KIND);
    ut_set32(m, o4, UINT32_MAX);
    UT_EXPECT_NULL(zeroipc_once_open(m, "s4"), ZEROIPC_ERROR_WRONG_KIND);
}

static void test_open_bad_entries(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "ob", 8192, 8);
    close_once(mkonce(m, "o"));
    /* An entry at an offset that is not 4-aligned: never used for atomics. */
    size_t o;
    assert_int_equal(zeroipc_table_add(m, "mis", 16, &o), ZEROIPC_OK);
    ut_set64(m, UT_ENTRY(1) + UT_E_OFFSET, o + 2);
    ut_set64(m, UT_ENTRY(1) + UT_E_SIZE, 4);
    UT_EXPECT_NULL(zeroipc_once_open(m, "mis"), ZEROIPC_ERROR_CORRUPT);
    /* 4-aligned but not 8: usable. */
    ut_set64(m, UT_ENTRY(1) + UT_E_OFFSET, o + 4);
    zeroipc_once_t *x = keep_once(zeroipc_once_open(m, "mis"));
    assert_non_null(x);
    _Atomic int runs = 0;
    assert_int_equal(zeroipc_once_call(x, count_fn, &runs), ZEROIPC_OK);
    assert_int_equal(ut_get32(m, o + 4), ZEROIPC_ONCE_DONE);
    /* An entry pointing outside the segment. */
    ut_set64(m, UT_ENTRY(0) + UT_E_OFFSET, 8192 - 2);
    zeroipc_once_t *bad = zeroipc_once_open(m, "o");
    keep_once(bad);
    assert_null(bad);
    assert_int_equal(zeroipc_last_error(), ZEROIPC_ERROR_CORRUPT);
}

static void test_validate(void **state)
{
    (void)state;
    uint32_t w[2] = {0, 0};
    assert_int_equal(zeroipc_once_validate(w, 4), ZEROIPC_OK);
    w[0] = 1;
    assert_int_equal(zeroipc_once_validate(w, 4), ZEROIPC_OK);
    w[0] = 2;
    assert_int_equal(zeroipc_once_validate(w, 4), ZEROIPC_OK);
    w[0] = 3;
    assert_int_equal(zeroipc_once_validate(w, 4), ZEROIPC_ERROR_WRONG_KIND);
    w[0] = UINT32_MAX;
    assert_int_equal(zeroipc_once_validate(w, 4), ZEROIPC_ERROR_WRONG_KIND);
    w[0] = 0;
    assert_int_equal(zeroipc_once_validate(w, 0), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_once_validate(w, 3), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_once_validate(w, 5), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_once_validate(w, 8), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_once_validate(NULL, 4), ZEROIPC_ERROR_WRONG_KIND);
    /* Unaligned bytes are read, not dereferenced as words. */
    unsigned char raw[8] = {0, 2, 0, 0, 0, 0, 0, 0};
    assert_int_equal(zeroipc_once_validate(raw + 1, 4), ZEROIPC_OK);
    raw[2] = 1; /* 0x102 */
    assert_int_equal(zeroipc_once_validate(raw + 1, 4), ZEROIPC_ERROR_WRONG_KIND);
}

static void test_null_args(void **state)
{
    (void)state;
    _Atomic int runs = 0;
    assert_int_equal(zeroipc_once_call(NULL, count_fn, &runs), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_once_call_timeout(NULL, count_fn, &runs, 0),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_once_wait(NULL, -1), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_once_recover(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_once_state(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_false(zeroipc_once_done(NULL));
    zeroipc_once_close(NULL);

    /* A NULL function: refused, the state untouched. */
    zeroipc_memory_t *m = ut_seg(NULL, "on", 4096, 4);
    zeroipc_once_t *o = mkonce(m, "o");
    assert_int_equal(zeroipc_once_call(o, NULL, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_once_call_timeout(o, NULL, NULL, -1),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_once_state(o), ZEROIPC_ONCE_PENDING);
    assert_int_equal(atomic_load(&runs), 0);
}

/* ------------------------------------------------------------------ */
/* Timeouts, a stuck executor, recovery. */

static void test_timeouts_and_recover(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "ot", 4096, 4);
    zeroipc_once_t *o = mkonce(m, "o");
    size_t off;
    ut_find(m, "o", &off, NULL);

    /* PENDING: wait (which never runs anything) times out. */
    int64_t t0 = zt_now_ms();
    assert_int_equal(zeroipc_once_wait(o, 0), ZEROIPC_ERROR_TIMEOUT);
    assert_true(zt_now_ms() - t0 < 200);
    t0 = zt_now_ms();
    assert_int_equal(zeroipc_once_wait(o, 50), ZEROIPC_ERROR_TIMEOUT);
    int64_t el = zt_now_ms() - t0;
    assert_true(el >= 45 && el < 1000);

    /* An executor that died: EXECUTING forever.  Timed calls time out
     * without running the function; the word stays. */
    ut_set32(m, off, ZEROIPC_ONCE_EXECUTING);
    _Atomic int runs = 0;
    t0 = zt_now_ms();
    assert_int_equal(zeroipc_once_call_timeout(o, count_fn, &runs, 0),
                     ZEROIPC_ERROR_TIMEOUT);
    assert_true(zt_now_ms() - t0 < 200);
    t0 = zt_now_ms();
    assert_int_equal(zeroipc_once_call_timeout(o, count_fn, &runs, 50),
                     ZEROIPC_ERROR_TIMEOUT);
    el = zt_now_ms() - t0;
    assert_true(el >= 45 && el < 1000);
    assert_int_equal(zeroipc_once_wait(o, 30), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(atomic_load(&runs), 0);
    assert_int_equal(zeroipc_once_state(o), ZEROIPC_ONCE_EXECUTING);
    assert_false(zeroipc_once_done(o));

    /* Recovery: back to PENDING, once; then the next call runs it. */
    assert_int_equal(zeroipc_once_recover(o), ZEROIPC_OK);
    assert_int_equal(ut_get32(m, off), ZEROIPC_ONCE_PENDING);
    assert_int_equal(zeroipc_once_recover(o), ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_once_call_timeout(o, count_fn, &runs, 0), ZEROIPC_OK);
    assert_int_equal(atomic_load(&runs), 1);
    assert_true(zeroipc_once_done(o));
}

/* A waiter blocked forever on a stuck once is released by a recovery and
 * runs the function itself. */
struct caller {
    zeroipc_once_t *o;
    _Atomic int *runs;
    int32_t timeout;
    int rc;
    int64_t done;
    _Atomic int returned;
};

static void *caller_thread(void *arg)
{
    struct caller *c = arg;
    c->rc = zeroipc_once_call_timeout(c->o, count_fn, c->runs, c->timeout);
    c->done = zt_now_ms();
    atomic_store(&c->returned, 1);
    return NULL;
}

static void *waiter_thread(void *arg)
{
    struct caller *c = arg;
    c->rc = zeroipc_once_wait(c->o, c->timeout);
    c->done = zt_now_ms();
    atomic_store(&c->returned, 1);
    return NULL;
}

static void test_recover_wakes_waiter(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "ow", 4096, 4);
    zeroipc_once_t *o = mkonce(m, "o");
    size_t off;
    ut_find(m, "o", &off, NULL);
    ut_set32(m, off, ZEROIPC_ONCE_EXECUTING);
    _Atomic int runs = 0;
    struct caller c = {.o = o, .runs = &runs, .timeout = -1};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, caller_thread, &c), 0);
    sleep_ms(100);
    assert_int_equal(atomic_load(&c.returned), 0);
    assert_int_equal(atomic_load(&runs), 0);
    int64_t at = zt_now_ms();
    assert_int_equal(zeroipc_once_recover(o), ZEROIPC_OK);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(c.rc, ZEROIPC_OK);
    assert_true(c.done - at < 100);
    assert_int_equal(atomic_load(&runs), 1);
    assert_int_equal(zeroipc_once_state(o), ZEROIPC_ONCE_DONE);
}

/* ------------------------------------------------------------------ */
/* Corrupt words at run time: reported, never acted on. */

static void test_corrupt_word(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "oc", 4096, 4);
    zeroipc_once_t *o = mkonce(m, "o");
    size_t off;
    ut_find(m, "o", &off, NULL);
    const uint32_t bad[] = {3, 4, 1000, INT32_MAX, (uint32_t)INT32_MAX + 1, UINT32_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ut_set32(m, off, bad[i]);
        int64_t t0 = zt_now_ms();
        assert_int_equal(zeroipc_once_call(o, never_fn, NULL), ZEROIPC_ERROR_CORRUPT);
        assert_int_equal(zeroipc_once_call_timeout(o, never_fn, NULL, 5000),
                         ZEROIPC_ERROR_CORRUPT);
        assert_int_equal(zeroipc_once_wait(o, -1), ZEROIPC_ERROR_CORRUPT);
        assert_int_equal(zeroipc_once_recover(o), ZEROIPC_ERROR_CORRUPT);
        assert_int_equal(zeroipc_once_state(o), ZEROIPC_ERROR_CORRUPT);
        assert_false(zeroipc_once_done(o));
        assert_true(zt_now_ms() - t0 < 200);
        assert_int_equal(ut_get32(m, off), bad[i]);
    }
    /* Corrupted while a caller waits on an executor: it reports it. */
    ut_set32(m, off, ZEROIPC_ONCE_EXECUTING);
    struct caller c = {.o = o, .timeout = 5000};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, waiter_thread, &c), 0);
    sleep_ms(30);
    ut_set32(m, off, 7);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(c.rc, ZEROIPC_ERROR_CORRUPT);
}

/* ------------------------------------------------------------------ */
/* Threads: many race, one runs; the others wait for its end. */

#define TH_N 8

struct race {
    zeroipc_once_t *o;
    _Atomic int *runs;
    _Atomic int *finished; /* set by the function at its very end */
    _Atomic int *go;
    int timed;
    int rc;
};

static _Atomic int race_runs, race_finished;

static void slow_fn(void *arg)
{
    (void)arg;
    atomic_fetch_add(&race_runs, 1);
    sleep_ms(20);
    atomic_store_explicit(&race_finished, 1, memory_order_relaxed);
}

static void *race_thread(void *arg)
{
    struct race *r = arg;
    while (!atomic_load(r->go))
        ;
    r->rc = r->timed ? zeroipc_once_call_timeout(r->o, slow_fn, NULL, 10000)
                     : zeroipc_once_call(r->o, slow_fn, NULL);
    /* The function's writes are visible to every returning caller. */
    if (r->rc == ZEROIPC_OK &&
        atomic_load_explicit(r->finished, memory_order_relaxed) != 1)
        r->rc = -1000;
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "oth", 4096, 64);
    static _Atomic int go;
    for (int round = 0; round < 20; round++) {
        char name[16];
        snprintf(name, sizeof name, "o%d", round);
        zeroipc_once_t *o = mkonce(m, name);
        atomic_store(&race_runs, 0);
        atomic_store(&race_finished, 0);
        atomic_store(&go, 0);
        struct race r[TH_N];
        pthread_t t[TH_N];
        for (int i = 0; i < TH_N; i++) {
            r[i] = (struct race){o, &race_runs, &race_finished, &go, i % 2, 0};
            assert_int_equal(pthread_create(&t[i], NULL, race_thread, &r[i]), 0);
        }
        atomic_store(&go, 1);
        for (int i = 0; i < TH_N; i++)
            assert_int_equal(pthread_join(t[i], NULL), 0);
        for (int i = 0; i < TH_N; i++)
            assert_int_equal(r[i].rc, ZEROIPC_OK);
        assert_int_equal(atomic_load(&race_runs), 1);
        assert_true(zeroipc_once_done(o));
        close_once(o);
    }
}

/* Waiters are woken by the executor's DONE at once, not a slice later. */
static void slow200(void *arg)
{
    (void)arg;
    sleep_ms(200);
}

static void *exec200(void *arg)
{
    struct caller *c = arg;
    c->rc = zeroipc_once_call(c->o, slow200, NULL);
    c->done = zt_now_ms();
    return NULL;
}

static void test_wakeup(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "owk", 4096, 4);
    zeroipc_once_t *o = mkonce(m, "o");
    struct caller ex = {.o = o};
    struct caller w[3];
    pthread_t te, tw[3];
    assert_int_equal(pthread_create(&te, NULL, exec200, &ex), 0);
    while (zeroipc_once_state(o) != ZEROIPC_ONCE_EXECUTING)
        sleep_ms(1);
    _Atomic int runs = 0;
    for (int i = 0; i < 3; i++) {
        w[i] = (struct caller){.o = o, .runs = &runs, .timeout = i == 0 ? -1 : 5000};
        assert_int_equal(pthread_create(&tw[i], NULL,
                                        i == 2 ? waiter_thread : caller_thread, &w[i]),
                         0);
    }
    assert_int_equal(pthread_join(te, NULL), 0);
    assert_int_equal(ex.rc, ZEROIPC_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pthread_join(tw[i], NULL), 0);
        assert_int_equal(w[i].rc, ZEROIPC_OK);
        assert_true(w[i].done - ex.done < 50);
    }
    assert_int_equal(atomic_load(&runs), 0);
}

/* ------------------------------------------------------------------ */
/* A peer that stores DONE without waking anyone (the public
 * implementations): seen within a slice. */

static void test_foreign_peer(void **state)
{
    (void)state;
    const char *name;
    zeroipc_memory_t *m = ut_seg(&name, "ofp", 4096, 4);
    zeroipc_once_t *o = mkonce(m, "o");
    size_t off;
    ut_find(m, "o", &off, NULL);
    /* A foreign executor claims it (through the file, another mapping). */
    ut_poke32(name, off, ZEROIPC_ONCE_EXECUTING);
    _Atomic int runs = 0;
    struct caller c = {.o = o, .runs = &runs, .timeout = 5000};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, caller_thread, &c), 0);
    sleep_ms(50);
    assert_int_equal(atomic_load(&c.returned), 0);
    int64_t at = zt_now_ms();
    ut_poke32(name, off, ZEROIPC_ONCE_DONE);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(c.rc, ZEROIPC_OK);
    assert_true(c.done - at < 50);
    assert_int_equal(atomic_load(&runs), 0);
}

/* ------------------------------------------------------------------ */
/* Forked processes: each runs the once; the function counts in a shared
 * array, so the count is seen across processes. */

#define PR_N 4

static zeroipc_array_t *pr_counter;

static void proc_fn(void *arg)
{
    (void)arg;
    _Atomic uint32_t *c = zeroipc_array_data(pr_counter);
    atomic_fetch_add(&c[0], 1);
    sleep_ms(30);
    atomic_store_explicit(&c[1], 1, memory_order_relaxed);
}

static int proc_call(void *arg)
{
    const char *seg = arg;
    zeroipc_memory_t *m = zeroipc_memory_open(seg);
    if (m == NULL)
        return 10;
    zeroipc_once_t *o = zeroipc_once_open(m, "o");
    pr_counter = zeroipc_array_open(m, "count");
    if (o == NULL || pr_counter == NULL)
        return 11;
    int rc = zeroipc_once_call_timeout(o, proc_fn, NULL, 10000) == ZEROIPC_OK ? 0 : 12;
    _Atomic uint32_t *c = zeroipc_array_data(pr_counter);
    if (rc == 0 && atomic_load_explicit(&c[1], memory_order_relaxed) != 1)
        rc = 13;
    zeroipc_array_close(pr_counter);
    zeroipc_once_close(o);
    zeroipc_memory_close(m);
    return rc;
}

static void test_processes(void **state)
{
    (void)state;
    const char *name;
    zeroipc_memory_t *m = ut_seg(&name, "opr", 8192, 8);
    zeroipc_once_t *o = mkonce(m, "o");
    zeroipc_array_t *a = ut_keep_array(zeroipc_array_create(m, "count", 4, 2));
    assert_non_null(a);
    int pids[PR_N];
    for (int i = 0; i < PR_N; i++) {
        pids[i] = zt_fork(proc_call, (void *)name);
        assert_true(pids[i] > 0);
    }
    for (int i = 0; i < PR_N; i++)
        assert_int_equal(zt_wait(pids[i]), 0);
    uint32_t *c = zeroipc_array_data(a);
    assert_int_equal(c[0], 1);
    assert_true(zeroipc_once_done(o));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        OT_TEST(test_layout),
        OT_TEST(test_vectors),
        OT_TEST(test_create_errors),
        OT_TEST(test_open),
        OT_TEST(test_open_bad_entries),
        OT_TEST(test_validate),
        OT_TEST(test_null_args),
        OT_TEST(test_timeouts_and_recover),
        OT_TEST(test_recover_wakes_waiter),
        OT_TEST(test_corrupt_word),
        OT_TEST(test_threads),
        OT_TEST(test_wakeup),
        OT_TEST(test_foreign_peer),
        OT_TEST(test_processes),
    };
    return UT_RUN(tests);
}
