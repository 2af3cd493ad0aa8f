/* test_future.c - zeroipc_future_*: the layout byte by byte, the futures
 * of both test vector images read and reproduced (completion_time
 * masked), create/open errors, set-once semantics, error messages and
 * their truncation, timeouts, a setter that died in COMPUTING, a peer
 * that resolves without waking anyone, corrupt states, and sleeping
 * waiters counted and woken. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "unit_common.h"

static zeroipc_future_t *ft_futs[UT_MAX];

static int ft_teardown(void **state)
{
    for (int i = 0; i < UT_MAX; i++) {
        zeroipc_future_close(ft_futs[i]);
        ft_futs[i] = NULL;
    }
    return ut_teardown(state);
}

#define FT_TEST(fn) cmocka_unit_test_setup_teardown(fn, ut_setup, ft_teardown)

static zeroipc_future_t *keep(zeroipc_future_t *f)
{
    for (int i = 0; f && i < UT_MAX; i++)
        if (!ft_futs[i]) {
            ft_futs[i] = f;
            return f;
        }
    if (f)
        fail_msg("too many futures");
    return f;
}

static zeroipc_future_t *mkfut(zeroipc_memory_t *m, const char *name, size_t n)
{
    zeroipc_future_t *f = zeroipc_future_create(m, name, n);
    assert_non_null(f);
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
    return keep(f);
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

/* Entry `name` of a and b: same size, same bytes except completion_time
 * (bytes 8..15), which must be non-zero in both or zero in both. */
static void same_future(zeroipc_memory_t *a, zeroipc_memory_t *b, const char *name)
{
    size_t oa, sa, ob, sb;
    ut_find(a, name, &oa, &sa);
    ut_find(b, name, &ob, &sb);
    assert_int_equal(sa, sb);
    uint8_t x[512], y[512];
    assert_true(sa <= sizeof x);
    memcpy(x, ut_at(a, oa), sa);
    memcpy(y, ut_at(b, ob), sb);
    uint64_t tx, ty;
    memcpy(&tx, x + 8, 8);
    memcpy(&ty, y + 8, 8);
    assert_int_equal(tx != 0, ty != 0);
    memset(x + 8, 0, 8);
    memset(y + 8, 0, 8);
    assert_memory_equal(x, y, sa);
}

/* ------------------------------------------------------------------ */

static void test_layout(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "fl", 8192, 8);
    zeroipc_future_t *f = mkfut(m, "f", 8);
    size_t off, size;
    ut_find(m, "f", &off, &size);
    assert_int_equal(size, 280);
    assert_int_equal(ZEROIPC_FUTURE_SIZE(8), 280);
    assert_int_equal(ZEROIPC_FUTURE_SIZE(1), 280);
    assert_int_equal(ZEROIPC_FUTURE_SIZE(9), 288);
    assert_int_equal(ZEROIPC_FUTURE_SIZE(12), 288);
    static const uint8_t zero[280];
    assert_memory_equal(ut_at(m, off), zero, 280);
    assert_int_equal(zeroipc_future_state(f), ZEROIPC_FUTURE_PENDING);
    assert_int_equal(zeroipc_future_value_size(f), 8);
    assert_int_equal(zeroipc_future_completion_time(f), 0);
    double d = 3.25;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t before = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    assert_int_equal(zeroipc_future_set(f, &d), ZEROIPC_OK);
    assert_int_equal(ut_get32(m, off), 2);
    assert_int_equal(ut_get32(m, off + 4), 0);
    uint64_t t = ut_get64(m, off + 8);
    assert_true(t >= before);
    assert_int_equal(zeroipc_future_completion_time(f), t);
    assert_memory_equal(ut_at(m, off + 16), &d, 8);
    assert_memory_equal(ut_at(m, off + 24), zero, 256);
    /* A 12-byte value: message at 28, size 288. */
    zeroipc_future_t *g = mkfut(m, "g", 12);
    ut_find(m, "g", &off, &size);
    assert_int_equal(size, 288);
    assert_int_equal(zeroipc_future_set_error(g, "bad"), ZEROIPC_OK);
    assert_int_equal(ut_get32(m, off), 3);
    assert_string_equal((const char *)ut_at(m, off + 28), "bad");
    assert_memory_equal(ut_at(m, off + 16), zero, 12);
}

/* One image: open and read its three futures, then rebuild them. */
static void vector_image(const char *file, const char *prefix, double okv,
                         const char *msg)
{
    char path[4096], seg[ZT_NAME_MAX], ok[32], err[32], pend[32];
    if (!vec_path(path, sizeof path, file))
        skip();
    snprintf(ok, sizeof ok, "%sfut_ok", prefix);
    snprintf(err, sizeof err, "%sfut_err", prefix);
    snprintf(pend, sizeof pend, "%sfut_pend", prefix);
    assert_int_equal(zt_copy_to_shm(path, seg, "fv"), 0);
    zeroipc_memory_t *m = ut_open(seg);
    zeroipc_future_t *a = keep(zeroipc_future_open(m, ok, 8));
    zeroipc_future_t *b = keep(zeroipc_future_open(m, err, 8));
    zeroipc_future_t *c = keep(zeroipc_future_open(m, pend, 8));
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    double v = 0;
    assert_int_equal(zeroipc_future_get(a, &v), ZEROIPC_OK);
    assert_true(v == okv);
    assert_int_equal(zeroipc_future_state(a), ZEROIPC_FUTURE_READY);
    assert_true(zeroipc_future_completion_time(a) != 0);
    assert_int_equal(zeroipc_future_get(b, &v), ZEROIPC_ERROR_FAILED);
    char buf[300];
    assert_int_equal(zeroipc_future_error(b, buf, sizeof buf), ZEROIPC_OK);
    assert_string_equal(buf, msg);
    assert_int_equal(zeroipc_future_try_get(c, &v), ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_future_get_timeout(c, &v, 0), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(zeroipc_future_state(c), ZEROIPC_FUTURE_PENDING);
    assert_int_equal(zeroipc_future_waiters(c), 0);
    assert_int_equal(zeroipc_future_completion_time(c), 0);
    size_t off, size;
    ut_find(m, ok, &off, &size);
    assert_int_equal(zeroipc_future_validate(ut_at(m, off), size), ZEROIPC_OK);
    /* A wrong value size does not open; 1..8 all make 280. */
    UT_EXPECT_NULL(zeroipc_future_open(m, ok, 16), ZEROIPC_ERROR_WRONG_KIND);
    zeroipc_future_close(zeroipc_future_open(m, ok, 4));
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);

    /* The same operations from scratch give the same bytes. */
    zeroipc_memory_t *n = ut_seg(NULL, "fr", 8192, 8);
    zeroipc_future_t *x = mkfut(n, ok, 8);
    zeroipc_future_t *y = mkfut(n, err, 8);
    mkfut(n, pend, 8);
    assert_int_equal(zeroipc_future_set(x, &okv), ZEROIPC_OK);
    assert_int_equal(zeroipc_future_set_error(y, msg), ZEROIPC_OK);
    same_future(m, n, ok);
    same_future(m, n, err);
    same_future(m, n, pend);
    /* And the foreign pending one can be resolved by us. */
    v = 1.0;
    assert_int_equal(zeroipc_future_set(c, &v), ZEROIPC_OK);
    assert_int_equal(zeroipc_future_set(a, &v), ZEROIPC_ERROR_ALREADY_SET);
}

static void test_vectors_cpp(void **state)
{
    (void)state;
    vector_image("cpp_all.seg", "", 3.25, "sensor timeout");
}

static void test_vectors_py(void **state)
{
    (void)state;
    vector_image("py_core.seg", "p_", -7.5, "python says no");
}

static void test_errors(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "fe", 8192, 8);
    char name[40];
    UT_EXPECT_NULL(zeroipc_future_create(NULL, "f", 8), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_future_create(m, NULL, 8), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_future_create(m, "", 8), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_future_create(m, "f", 0), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_future_create(m, "f", ZEROIPC_FUTURE_VALUE_MAX + 1),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_future_create(m, ut_len_name(name, 32, 'f'), 8),
                   ZEROIPC_ERROR_NAME_TOO_LONG);
    mkfut(m, ut_len_name(name, 31, 'f'), 8);
    UT_EXPECT_NULL(zeroipc_future_create(m, name, 8), ZEROIPC_ERROR_ALREADY_EXISTS);
    UT_EXPECT_NULL(zeroipc_future_create(m, "big", 8192), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_future_open(NULL, "f", 8), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_future_open(m, name, 0), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_future_open(m, "nosuch", 8), ZEROIPC_ERROR_NOT_FOUND);
    /* Other kinds: an array of the wrong size, a 280-byte entry whose
     * state word is 7. */
    assert_int_equal(zeroipc_table_add(m, "x", 200, NULL), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_future_open(m, "x", 8), ZEROIPC_ERROR_WRONG_KIND);
    size_t off;
    assert_int_equal(zeroipc_table_add(m, "y", 280, &off), ZEROIPC_OK);
    ut_set32(m, off, 7);
    UT_EXPECT_NULL(zeroipc_future_open(m, "y", 8), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_future_validate(ut_at(m, off), 280), ZEROIPC_ERROR_WRONG_KIND);
    ut_set32(m, off, 3);
    assert_int_equal(zeroipc_future_validate(ut_at(m, off), 280), ZEROIPC_OK);
    assert_int_equal(zeroipc_future_validate(ut_at(m, off), 276), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_future_validate(ut_at(m, off), 272), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_future_validate(NULL, 280), ZEROIPC_ERROR_WRONG_KIND);

    /* A state corrupted after open: every call that reads it says so and
     * writes nothing. */
    zeroipc_future_t *f = mkfut(m, "c", 4);
    ut_find(m, "c", &off, NULL);
    ut_set32(m, off, 9);
    int32_t v = 5;
    char buf[8];
    assert_int_equal(zeroipc_future_state(f), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_future_set(f, &v), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_future_set_error(f, "x"), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_future_get(f, &v), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_future_try_get(f, &v), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_future_error(f, buf, sizeof buf), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(ut_get32(m, off), 9);
    assert_int_equal(ut_get32(m, off + 16), 0);
    /* A message field without its NUL is copied bounded. */
    zeroipc_future_t *g = mkfut(m, "g", 4);
    ut_find(m, "g", &off, NULL);
    memset(ut_at(m, off + 20), 'z', 256);
    ut_set32(m, off, 3);
    char big[400];
    assert_int_equal(zeroipc_future_error(g, big, sizeof big), ZEROIPC_OK);
    assert_int_equal(strlen(big), 255);
}

static void test_null_handles(void **state)
{
    (void)state;
    double d = 0;
    char buf[4];
    assert_int_equal(zeroipc_future_set(NULL, &d), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_future_set_error(NULL, "x"), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_future_get(NULL, &d), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_future_get_timeout(NULL, &d, 1), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_future_try_get(NULL, &d), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_future_state(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_future_error(NULL, buf, 4), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_future_waiters(NULL), 0);
    assert_int_equal(zeroipc_future_value_size(NULL), 0);
    assert_int_equal(zeroipc_future_completion_time(NULL), 0);
    zeroipc_future_close(NULL);
    zeroipc_memory_t *m = ut_seg(NULL, "fn", 8192, 8);
    zeroipc_future_t *f = mkfut(m, "f", 8);
    assert_int_equal(zeroipc_future_set(f, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_future_set_error(f, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_future_get(f, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_future_try_get(f, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_future_error(f, NULL, 4), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_future_error(f, buf, 0), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_future_state(f), ZEROIPC_FUTURE_PENDING);
}

static void test_semantics(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "fs", 16384, 8);
    zeroipc_future_t *f = mkfut(m, "f", 8);
    int64_t v = 0, w = 42;
    char buf[300];
    assert_int_equal(zeroipc_future_try_get(f, &v), ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_future_error(f, buf, sizeof buf), ZEROIPC_ERROR_NOT_FOUND);
    int64_t t0 = zt_now_ms();
    assert_int_equal(zeroipc_future_get_timeout(f, &v, 60), ZEROIPC_ERROR_TIMEOUT);
    int64_t dt = zt_now_ms() - t0;
    assert_true(dt >= 59 && dt < 2000);
    assert_int_equal(zeroipc_future_waiters(f), 0);
    assert_int_equal(zeroipc_future_set(f, &w), ZEROIPC_OK);
    assert_int_equal(zeroipc_future_set(f, &w), ZEROIPC_ERROR_ALREADY_SET);
    assert_int_equal(zeroipc_future_set_error(f, "late"), ZEROIPC_ERROR_ALREADY_SET);
    assert_int_equal(zeroipc_future_get(f, &v), ZEROIPC_OK);
    assert_int_equal(v, 42);
    v = 0;
    assert_int_equal(zeroipc_future_try_get(f, &v), ZEROIPC_OK);
    assert_int_equal(v, 42);
    assert_int_equal(zeroipc_future_get_timeout(f, &v, 0), ZEROIPC_OK);
    assert_int_equal(zeroipc_future_error(f, buf, sizeof buf), ZEROIPC_ERROR_NOT_FOUND);
    /* A second handle sees the same. */
    zeroipc_future_t *f2 = keep(zeroipc_future_open(m, "f", 8));
    assert_non_null(f2);
    v = 0;
    assert_int_equal(zeroipc_future_get(f2, &v), ZEROIPC_OK);
    assert_int_equal(v, 42);

    /* Errors: truncated to 255 bytes, set once, out untouched. */
    zeroipc_future_t *e = mkfut(m, "e", 8);
    char longmsg[400];
    memset(longmsg, 'm', sizeof longmsg - 1);
    longmsg[sizeof longmsg - 1] = '\0';
    assert_int_equal(zeroipc_future_set_error(e, longmsg), ZEROIPC_OK);
    assert_int_equal(zeroipc_future_set_error(e, "again"), ZEROIPC_ERROR_ALREADY_SET);
    assert_int_equal(zeroipc_future_set(e, &w), ZEROIPC_ERROR_ALREADY_SET);
    v = 7;
    assert_int_equal(zeroipc_future_get(e, &v), ZEROIPC_ERROR_FAILED);
    assert_int_equal(zeroipc_future_get_timeout(e, &v, 10), ZEROIPC_ERROR_FAILED);
    assert_int_equal(zeroipc_future_try_get(e, &v), ZEROIPC_ERROR_FAILED);
    assert_int_equal(v, 7);
    assert_int_equal(zeroipc_future_state(e), ZEROIPC_FUTURE_ERROR);
    assert_int_equal(zeroipc_future_error(e, buf, sizeof buf), ZEROIPC_OK);
    assert_int_equal(strlen(buf), 255);
    size_t off;
    ut_find(m, "e", &off, NULL);
    assert_int_equal(*ut_at(m, off + 24 + 255), 0);
    char small[5];
    assert_int_equal(zeroipc_future_error(e, small, sizeof small), ZEROIPC_ERROR_SIZE);
    assert_string_equal(small, "mmmm");
    /* An empty message is a message. */
    zeroipc_future_t *e2 = mkfut(m, "e2", 8);
    assert_int_equal(zeroipc_future_set_error(e2, ""), ZEROIPC_OK);
    assert_int_equal(zeroipc_future_error(e2, small, sizeof small), ZEROIPC_OK);
    assert_string_equal(small, "");

    /* A setter that died in COMPUTING: timed gets time out, the rest
     * says "not yet" or "already being set". */
    zeroipc_future_t *d = mkfut(m, "d", 8);
    ut_find(m, "d", &off, NULL);
    ut_set32(m, off, ZEROIPC_FUTURE_COMPUTING);
    t0 = zt_now_ms();
    assert_int_equal(zeroipc_future_get_timeout(d, &v, 50), ZEROIPC_ERROR_TIMEOUT);
    assert_true(zt_now_ms() - t0 >= 49);
    assert_int_equal(zeroipc_future_try_get(d, &v), ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_future_set(d, &w), ZEROIPC_ERROR_ALREADY_SET);
    assert_int_equal(zeroipc_future_state(d), ZEROIPC_FUTURE_COMPUTING);
    assert_int_equal(zeroipc_future_waiters(d), 0);
}

/* ------------------------------------------------------------------ */
/* Threads. */

struct waiter {
    zeroipc_future_t *f;
    int32_t to;
    int64_t out;
    int rc;
    int64_t woke_ms;
};

static void *waiter_fn(void *p)
{
    struct waiter *w = p;
    w->rc = zeroipc_future_get_timeout(w->f, &w->out, w->to);
    w->woke_ms = zt_now_ms();
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "ft", 16384, 8);
    zeroipc_future_t *f = mkfut(m, "f", 8);
    struct waiter w[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct waiter){f, 5000, 0, -1, 0};
        assert_int_equal(pthread_create(&t[i], NULL, waiter_fn, &w[i]), 0);
    }
    /* All four asleep and counted. */
    int64_t dl = zt_now_ms() + 2000;
    while (zeroipc_future_waiters(f) != 4 && zt_now_ms() < dl)
        sleep_ms(1);
    assert_int_equal(zeroipc_future_waiters(f), 4);
    int64_t x = -9, t0 = zt_now_ms();
    assert_int_equal(zeroipc_future_set(f, &x), ZEROIPC_OK);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].rc, ZEROIPC_OK);
        assert_int_equal(w[i].out, -9);
        assert_true(w[i].woke_ms - t0 < 500);
    }
    assert_int_equal(zeroipc_future_waiters(f), 0);

    /* An error wakes them too. */
    zeroipc_future_t *e = mkfut(m, "e", 8);
    struct waiter we = {e, 5000, 0, -1, 0};
    pthread_t te;
    assert_int_equal(pthread_create(&te, NULL, waiter_fn, &we), 0);
    sleep_ms(20);
    assert_int_equal(zeroipc_future_set_error(e, "no"), ZEROIPC_OK);
    pthread_join(te, NULL);
    assert_int_equal(we.rc, ZEROIPC_ERROR_FAILED);

    /* A peer that resolves without waking (the public implementations):
     * seen within a slice. */
    zeroipc_future_t *g = mkfut(m, "g", 8);
    struct waiter wg = {g, 5000, 0, -1, 0};
    assert_int_equal(pthread_create(&te, NULL, waiter_fn, &wg), 0);
    sleep_ms(20);
    size_t off;
    ut_find(m, "g", &off, NULL);
    ut_set64(m, off + 16, 1234);
    t0 = zt_now_ms();
    ut_set32(m, off, ZEROIPC_FUTURE_READY);
    pthread_join(te, NULL);
    assert_int_equal(wg.rc, ZEROIPC_OK);
    assert_int_equal(wg.out, 1234);
    assert_true(wg.woke_ms - t0 < 500);
}

struct setter {
    zeroipc_future_t *f;
    int64_t v;
    int rc;
};

static void *setter_fn(void *p)
{
    struct setter *s = p;
    s->rc = s->v % 2 ? zeroipc_future_set(s->f, &s->v)
                     : zeroipc_future_set_error(s->f, "even");
    return NULL;
}

static void test_race(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "fx", 1 << 16, 64);
    for (int round = 0; round < 40; round++) {
        char nm[16];
        snprintf(nm, sizeof nm, "r%d", round);
        zeroipc_future_t *f = mkfut(m, nm, 8);
        struct setter s[4];
        pthread_t t[4];
        for (int i = 0; i < 4; i++) {
            s[i] = (struct setter){f, i + 1, -1};
            assert_int_equal(pthread_create(&t[i], NULL, setter_fn, &s[i]), 0);
        }
        int wins = 0, winner = -1;
        for (int i = 0; i < 4; i++) {
            pthread_join(t[i], NULL);
            if (s[i].rc == ZEROIPC_OK)
                wins++, winner = i;
            else
                assert_int_equal(s[i].rc, ZEROIPC_ERROR_ALREADY_SET);
        }
        assert_int_equal(wins, 1);
        int64_t v = 0;
        int rc = zeroipc_future_get(f, &v);
        if (s[winner].v % 2) {
            assert_int_equal(rc, ZEROIPC_OK);
            assert_int_equal(v, s[winner].v);
        } else {
            assert_int_equal(rc, ZEROIPC_ERROR_FAILED);
        }
        zeroipc_future_close(f);
        for (int i = 0; i < UT_MAX; i++)
            if (ft_futs[i] == f)
                ft_futs[i] = NULL;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        FT_TEST(test_layout),
        FT_TEST(test_vectors_cpp),
        FT_TEST(test_vectors_py),
        FT_TEST(test_errors),
        FT_TEST(test_null_handles),
        FT_TEST(test_semantics),
        FT_TEST(test_threads),
        FT_TEST(test_race),
    };
    return UT_RUN(tests);
}
