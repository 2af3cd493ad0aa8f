/* test_signal.c - zeroipc_signal_*: the three-entry layout, the signal of
 * the test vectors read and reproduced byte for byte, names and their room
 * for "_state", create and open errors (missing or wrong companions),
 * set/get/version, wait_change and its timeouts, a setter that died
 * holding the mutex, peers that set without waking anyone, and readers
 * that never see a torn value while setters run. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "unit_common.h"

static zeroipc_signal_t *st_sigs[UT_MAX];

static int st_teardown(void **state)
{
    for (int i = 0; i < UT_MAX; i++) {
        zeroipc_signal_close(st_sigs[i]);
        st_sigs[i] = NULL;
    }
    return ut_teardown(state);
}

#define ST_TEST(fn) cmocka_unit_test_setup_teardown(fn, ut_setup, st_teardown)

static zeroipc_signal_t *keep(zeroipc_signal_t *s)
{
    for (int i = 0; s && i < UT_MAX; i++)
        if (!st_sigs[i]) {
            st_sigs[i] = s;
            return s;
        }
    if (s)
        fail_msg("too many signals");
    return s;
}

static zeroipc_signal_t *mksig(zeroipc_memory_t *m, const char *name, size_t n,
                               const void *init)
{
    zeroipc_signal_t *s = zeroipc_signal_create(m, name, n, init);
    assert_non_null(s);
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
    return keep(s);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static bool vec_path(char *buf, size_t n, const char *file)
{
    const char *dir = getenv("ZEROIPC_VECTORS");
    if (dir == NULL || *dir == '\0')
        return false;
    snprintf(buf, n, "%s/%s", dir, file);
    return access(buf, R_OK) == 0;
}

/* Entry `name` of `a` and of `b` have the same size and the same bytes. */
static void same_entry(zeroipc_memory_t *a, zeroipc_memory_t *b, const char *name)
{
    size_t oa, sa, ob, sb;
    ut_find(a, name, &oa, &sa);
    ut_find(b, name, &ob, &sb);
    assert_int_equal(sa, sb);
    assert_memory_equal(ut_at(a, oa), ut_at(b, ob), sa);
}

/* ------------------------------------------------------------------ */

static void test_layout(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "sl", 8192, 8);
    int32_t seven = 7;
    mksig(m, "s", 4, &seven);
    zeroipc_entry_t e[3];
    size_t n = 0;
    assert_int_equal(zeroipc_table_entries(m, e, 3, &n), ZEROIPC_OK);
    assert_int_equal(n, 3);
    assert_string_equal(e[0].name, "s_state");
    assert_string_equal(e[1].name, "s_mtx");
    assert_string_equal(e[2].name, "s");
    assert_int_equal(e[0].size, 16);
    assert_int_equal(e[1].size, 16);
    assert_int_equal(e[2].size, 1);
    assert_int_equal(e[1].offset, e[0].offset + 16);
    assert_int_equal(e[2].offset, e[1].offset + 16);
    uint8_t want[16] = {0};
    memcpy(want + 8, &seven, 4);
    assert_memory_equal(ut_at(m, e[0].offset), want, 16);
    int32_t mtx[4] = {1, 0, 1, 0};
    assert_memory_equal(ut_at(m, e[1].offset), mtx, 16);
    assert_int_equal(*ut_at(m, e[2].offset), 0);
    /* Sizes: align8(8 + n); NULL initial is zeros. */
    zeroipc_signal_t *b = mksig(m, "b", 9, NULL);
    size_t off, size;
    ut_find(m, "b_state", &off, &size);
    assert_int_equal(size, 24);
    assert_int_equal(ZEROIPC_SIGNAL_STATE_SIZE(9), 24);
    assert_int_equal(ZEROIPC_SIGNAL_STATE_SIZE(8), 16);
    assert_int_equal(zeroipc_signal_value_size(b), 9);
}

static void test_vectors(void **state)
{
    (void)state;
    char path[4096], seg[ZT_NAME_MAX];
    if (!vec_path(path, sizeof path, "cpp_all.seg"))
        skip();
    /* The file holds what the manifest says. */
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t st[16], mx[16], mk;
    assert_int_equal(fseek(f, 4008, SEEK_SET), 0);
    assert_int_equal(fread(st, 1, 16, f), 16);
    assert_int_equal(fread(mx, 1, 16, f), 16);
    assert_int_equal(fread(&mk, 1, 1, f), 1);
    fclose(f);
    uint64_t v;
    int32_t val;
    memcpy(&v, st, 8);
    memcpy(&val, st + 8, 4);
    assert_int_equal(v, 2);
    assert_int_equal(val, -5);
    int32_t mw[4] = {1, 0, 1, 0};
    assert_memory_equal(mx, mw, 16);
    assert_int_equal(mk, 0);

    /* Opened and read through the API. */
    assert_int_equal(zt_copy_to_shm(path, seg, "sv"), 0);
    zeroipc_memory_t *m = ut_open(seg);
    zeroipc_signal_t *s = keep(zeroipc_signal_open(m, "sig", 4));
    assert_non_null(s);
    val = 0;
    assert_int_equal(zeroipc_signal_get(s, &val, &v), ZEROIPC_OK);
    assert_int_equal(val, -5);
    assert_int_equal(v, 2);
    assert_int_equal(zeroipc_signal_version(s), 2);
    /* Wrong value sizes and other kinds. */
    UT_EXPECT_NULL(zeroipc_signal_open(m, "sig", 16), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_signal_open(m, "ev", 4), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_signal_open(m, "rw", 4), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_signal_open(m, "nosuch", 4), ZEROIPC_ERROR_NOT_FOUND);

    /* The same operations from scratch write the same bytes. */
    zeroipc_memory_t *n = ut_seg(NULL, "sr", 8192, 8);
    int32_t x = 7;
    zeroipc_signal_t *r = mksig(n, "sig", 4, &x);
    x = 42;
    assert_int_equal(zeroipc_signal_set(r, &x), ZEROIPC_OK);
    x = -5;
    assert_int_equal(zeroipc_signal_set(r, &x), ZEROIPC_OK);
    same_entry(m, n, "sig_state");
    same_entry(m, n, "sig_mtx");
    same_entry(m, n, "sig");
    /* And ours, set again, is read by a fresh open. */
    x = 9;
    assert_int_equal(zeroipc_signal_set(s, &x), ZEROIPC_OK);
    zeroipc_signal_t *s2 = keep(zeroipc_signal_open(m, "sig", 4));
    assert_int_equal(zeroipc_signal_get(s2, &val, &v), ZEROIPC_OK);
    assert_int_equal(val, 9);
    assert_int_equal(v, 3);
}

static void test_errors(void **state)
{
    (void)state;
    const char *sn;
    zeroipc_memory_t *m = ut_seg(&sn, "se", 4096, 6);
    char name[40];
    int32_t x = 1;
    UT_EXPECT_NULL(zeroipc_signal_create(NULL, "s", 4, &x), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_signal_create(m, NULL, 4, &x), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_signal_create(m, "", 4, &x), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_signal_create(m, "s", 0, &x), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_signal_create(m, "s", ZEROIPC_SIGNAL_VALUE_MAX + 1, NULL),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_signal_create(m, ut_len_name(name, 26, 'n'), 4, &x),
                   ZEROIPC_ERROR_NAME_TOO_LONG);
    UT_EXPECT_NULL(zeroipc_signal_open(m, name, 4), ZEROIPC_ERROR_NAME_TOO_LONG);
    mksig(m, ut_len_name(name, 25, 'n'), 4, &x);
    assert_non_null(keep(zeroipc_signal_open(m, name, 4)));
    /* A taken companion name: nothing is made. */
    assert_int_equal(zeroipc_table_add(m, "t_mtx", 16, NULL), ZEROIPC_OK);
    uint32_t before = 0;
    zeroipc_entry_t e[8];
    size_t cnt;
    assert_int_equal(zeroipc_table_entries(m, e, 8, &cnt), ZEROIPC_OK);
    before = (uint32_t)cnt;
    UT_EXPECT_NULL(zeroipc_signal_create(m, "t", 4, &x), ZEROIPC_ERROR_ALREADY_EXISTS);
    UT_EXPECT_NULL(zeroipc_signal_create(m, name, 4, &x), ZEROIPC_ERROR_ALREADY_EXISTS);
    /* Two entries left of six: TABLE_FULL, and nothing made. */
    UT_EXPECT_NULL(zeroipc_signal_create(m, "u", 4, &x), ZEROIPC_ERROR_TABLE_FULL);
    assert_int_equal(zeroipc_table_entries(m, e, 8, &cnt), ZEROIPC_OK);
    assert_int_equal(cnt, before);
    /* No room. */
    zeroipc_memory_t *small = ut_seg(NULL, "ss", 32 + 48 * 4 + 40, 4);
    UT_EXPECT_NULL(zeroipc_signal_create(small, "s", 16, NULL), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_table_entries(small, e, 8, &cnt), ZEROIPC_OK);
    assert_int_equal(cnt, 0);
    assert_non_null(keep(zeroipc_signal_create(small, "s", 1, NULL)));

    /* Open: missing companions are CORRUPT, wrong ones WRONG_KIND. */
    zeroipc_memory_t *o = ut_seg(NULL, "so", 8192, 16);
    assert_int_equal(zeroipc_table_add(o, "a", 1, NULL), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_signal_open(o, "a", 4), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_table_add(o, "a_state", 16, NULL), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_signal_open(o, "a", 4), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_table_add(o, "a_mtx", 16, NULL), ZEROIPC_OK);
    /* max_count 0: a semaphore, not a mutex. */
    UT_EXPECT_NULL(zeroipc_signal_open(o, "a", 4), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_table_add(o, "b", 2, NULL), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_signal_open(o, "b", 4), ZEROIPC_ERROR_WRONG_KIND);
    zeroipc_mutex_close(zeroipc_mutex_create(o, "c_mtx"));
    assert_int_equal(zeroipc_table_add(o, "c_state", 8, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_add(o, "c", 1, NULL), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_signal_open(o, "c", 4), ZEROIPC_ERROR_WRONG_KIND);
    /* A mutex count of 5 is corrupt. */
    mksig(o, "d", 4, NULL);
    size_t off;
    ut_find(o, "d_mtx", &off, NULL);
    ut_set32(o, off, 5);
    UT_EXPECT_NULL(zeroipc_signal_open(o, "d", 4), ZEROIPC_ERROR_CORRUPT);
    UT_EXPECT_NULL(zeroipc_signal_open(NULL, "d", 4), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_signal_open(o, "d", 0), ZEROIPC_ERROR_INVALID_ARGUMENT);
    (void)sn;
}

static void test_null_handles(void **state)
{
    (void)state;
    int32_t x = 0;
    uint64_t v;
    assert_int_equal(zeroipc_signal_set(NULL, &x), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_signal_get(NULL, &x, &v), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_signal_wait_change_timeout(NULL, 0, &x, &v, 1),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_signal_version(NULL), 0);
    assert_int_equal(zeroipc_signal_value_size(NULL), 0);
    zeroipc_signal_close(NULL);
    zeroipc_memory_t *m = ut_seg(NULL, "sn", 8192, 8);
    zeroipc_signal_t *s = mksig(m, "s", 4, NULL);
    assert_int_equal(zeroipc_signal_set(s, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_signal_get(s, NULL, &v), ZEROIPC_ERROR_INVALID_ARGUMENT);
}

static void test_semantics(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "sm", 8192, 8);
    double d = 1.5, out = 0;
    uint64_t v = 99;
    zeroipc_signal_t *s = mksig(m, "s", sizeof d, &d);
    assert_int_equal(zeroipc_signal_get(s, &out, &v), ZEROIPC_OK);
    assert_true(out == 1.5);
    assert_int_equal(v, 0);
    assert_int_equal(zeroipc_signal_get(s, &out, NULL), ZEROIPC_OK);
    /* No change: wait_change times out, at 0 at once. */
    assert_int_equal(zeroipc_signal_wait_change_timeout(s, 0, &out, &v, 0),
                     ZEROIPC_ERROR_TIMEOUT);
    int64_t t0 = zt_now_ms();
    assert_int_equal(zeroipc_signal_wait_change_timeout(s, 0, &out, &v, 60),
                     ZEROIPC_ERROR_TIMEOUT);
    int64_t dt = zt_now_ms() - t0;
    assert_true(dt >= 59 && dt < 2000);
    d = -2.25;
    assert_int_equal(zeroipc_signal_set_timeout(s, &d, 0), ZEROIPC_OK);
    assert_int_equal(zeroipc_signal_version(s), 1);
    /* A different version: at once, with the value. */
    assert_int_equal(zeroipc_signal_wait_change_timeout(s, 0, &out, &v, 0), ZEROIPC_OK);
    assert_true(out == -2.25);
    assert_int_equal(v, 1);
    assert_int_equal(zeroipc_signal_wait_change(s, 7, NULL, &v), ZEROIPC_OK);
    assert_int_equal(v, 1);

    /* A setter that died holding the mutex: timed calls give up, the
     * value is untouched; unlocking recovers. */
    zeroipc_mutex_t *x = zeroipc_mutex_open(m, "s_mtx");
    assert_non_null(x);
    assert_int_equal(zeroipc_mutex_lock(x), ZEROIPC_OK);
    d = 3;
    assert_int_equal(zeroipc_signal_set_timeout(s, &d, 50), ZEROIPC_ERROR_TIMEOUT);
    out = 0;
    t0 = zt_now_ms();
    assert_int_equal(zeroipc_signal_get_timeout(s, &out, &v, 50), ZEROIPC_ERROR_TIMEOUT);
    assert_true(zt_now_ms() - t0 >= 49);
    assert_true(out == 0);
    assert_int_equal(zeroipc_signal_get_timeout(s, &out, &v, 0), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(zeroipc_signal_wait_change_timeout(s, 0, &out, &v, 30),
                     ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(zeroipc_signal_version(s), 1);
    assert_int_equal(zeroipc_mutex_unlock(x), ZEROIPC_OK);
    zeroipc_mutex_close(x);
    assert_int_equal(zeroipc_signal_get(s, &out, &v), ZEROIPC_OK);
    assert_true(out == -2.25);
    assert_int_equal(zeroipc_signal_set(s, &d), ZEROIPC_OK);
    assert_int_equal(zeroipc_signal_version(s), 2);

    /* Large values (over the on-stack scratch). */
    uint8_t big[200], got[200];
    for (int i = 0; i < 200; i++)
        big[i] = (uint8_t)i;
    zeroipc_signal_t *b = mksig(m, "b", sizeof big, big);
    memset(got, 0, sizeof got);
    assert_int_equal(zeroipc_signal_get(b, got, &v), ZEROIPC_OK);
    assert_memory_equal(big, got, sizeof big);
}

/* ------------------------------------------------------------------ */
/* Threads. */

#define VB 61 /* an odd size: words and a byte tail */

struct reader {
    zeroipc_signal_t *s;
    atomic_int stop;
    long reads, torn;
    uint64_t last;
    int rc;
};

static void *reader_fn(void *p)
{
    struct reader *r = p;
    uint8_t buf[VB];
    uint64_t prev = 0;
    while (!atomic_load(&r->stop)) {
        uint64_t v;
        if (zeroipc_signal_get_timeout(r->s, buf, &v, 5000) != ZEROIPC_OK) {
            r->rc = 1;
            break;
        }
        for (int i = 1; i < VB; i++)
            if (buf[i] != buf[0])
                r->torn++;
        /* The value is the one published with its version. */
        if ((uint8_t)v != buf[0] || v < prev)
            r->torn++;
        prev = v;
        r->reads++;
    }
    r->last = prev;
    return NULL;
}

struct waiter {
    zeroipc_signal_t *s;
    uint64_t since, got;
    int32_t out, to;
    int rc;
};

static void *waiter_fn(void *p)
{
    struct waiter *w = p;
    w->rc = zeroipc_signal_wait_change_timeout(w->s, w->since, &w->out, &w->got, w->to);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "st", 1 << 16, 8);
    uint8_t val[VB] = {0};
    zeroipc_signal_t *s = mksig(m, "s", VB, val);
    /* One setter and three readers: never a torn copy. */
    struct reader rd[3];
    pthread_t t[3];
    for (int i = 0; i < 3; i++) {
        memset(&rd[i], 0, sizeof rd[i]);
        rd[i].s = s;
        assert_int_equal(pthread_create(&t[i], NULL, reader_fn, &rd[i]), 0);
    }
    /* Each set writes the byte of the version it will get: with one
     * setter thread, version n carries byte n. */
    for (int n = 1; n <= 20000; n++) {
        memset(val, n & 0xff, VB);
        assert_int_equal(zeroipc_signal_set(s, val), ZEROIPC_OK);
    }
    for (int i = 0; i < 3; i++) {
        atomic_store(&rd[i].stop, 1);
        pthread_join(t[i], NULL);
        assert_int_equal(rd[i].rc, 0);
        assert_int_equal(rd[i].torn, 0);
        assert_true(rd[i].reads > 0);
    }
    assert_int_equal(zeroipc_signal_version(s), 20000);

    /* A waiter asleep is woken promptly by set. */
    int32_t x = 5;
    zeroipc_signal_t *q = mksig(m, "q", 4, &x);
    struct waiter w = {q, 0, 0, 0, 5000, -1};
    pthread_t wt;
    assert_int_equal(pthread_create(&wt, NULL, waiter_fn, &w), 0);
    sleep_ms(30);
    x = 6;
    int64_t t0 = zt_now_ms();
    assert_int_equal(zeroipc_signal_set(q, &x), ZEROIPC_OK);
    pthread_join(wt, NULL);
    assert_true(zt_now_ms() - t0 < 1000);
    assert_int_equal(w.rc, ZEROIPC_OK);
    assert_int_equal(w.got, 1);
    assert_int_equal(w.out, 6);

    /* A peer that never wakes anyone: a plain version store is seen. */
    struct waiter w2 = {q, 1, 0, 0, 5000, -1};
    assert_int_equal(pthread_create(&wt, NULL, waiter_fn, &w2), 0);
    sleep_ms(30);
    size_t off;
    ut_find(m, "q_state", &off, NULL);
    ut_set32(m, off + 8, 77);
    ut_set64(m, off, 2);
    pthread_join(wt, NULL);
    assert_int_equal(w2.rc, ZEROIPC_OK);
    assert_int_equal(w2.got, 2);
    assert_int_equal(w2.out, 77);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ST_TEST(test_layout),
        ST_TEST(test_vectors),
        ST_TEST(test_errors),
        ST_TEST(test_null_handles),
        ST_TEST(test_semantics),
        ST_TEST(test_threads),
    };
    return UT_RUN(tests);
}
