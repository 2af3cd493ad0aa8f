/* test_monitor.c - zeroipc_monitor_*: the four-entry layout, the monitors
 * of the test vectors read and reproduced byte for byte, names and their
 * room for "_count", create and open errors (missing or wrong companions),
 * lock/unlock, waits with predicates and timeouts (the lock is not held
 * after a timeout), notify_one/notify_all, a holder that died, and a
 * counter shared by threads through wait/notify. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "unit_common.h"

static zeroipc_monitor_t *st_hs[UT_MAX];

static int st_teardown(void **state)
{
    for (int i = 0; i < UT_MAX; i++) {
        zeroipc_monitor_close(st_hs[i]);
        st_hs[i] = NULL;
    }
    return ut_teardown(state);
}

#define ST_TEST(fn) cmocka_unit_test_setup_teardown(fn, ut_setup, st_teardown)

static zeroipc_monitor_t *keep(zeroipc_monitor_t *s)
{
    for (int i = 0; s && i < UT_MAX; i++)
        if (!st_hs[i]) {
            st_hs[i] = s;
            return s;
        }
    if (s)
        fail_msg("too many handles");
    return s;
}

static zeroipc_monitor_t *mk(zeroipc_memory_t *m, const char *name)
{
    zeroipc_monitor_t *h = zeroipc_monitor_create(m, name);
    assert_non_null(h);
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
    return keep(h);
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
    zeroipc_memory_t *m = ut_seg(NULL, "ml", 8192, 8);
    mk(m, "m");
    zeroipc_entry_t e[4];
    size_t n = 0;
    assert_int_equal(zeroipc_table_entries(m, e, 4, &n), ZEROIPC_OK);
    assert_int_equal(n, 4);
    const char *names[4] = {"m_mtx", "m_cond", "m_count", "m"};
    size_t sizes[4] = {16, 16, 4, 1};
    for (int i = 0; i < 4; i++) {
        assert_string_equal(e[i].name, names[i]);
        assert_int_equal(e[i].size, sizes[i]);
        if (i)
            assert_int_equal(e[i].offset, e[i - 1].offset + UT_ALIGN8(sizes[i - 1]));
    }
    int32_t mtx[4] = {1, 0, 1, 0}, cond[4] = {0, 0, 0, 0};
    assert_memory_equal(ut_at(m, e[0].offset), mtx, 16);
    assert_memory_equal(ut_at(m, e[1].offset), cond, 16);
    assert_int_equal(ut_get32(m, e[2].offset), 0);
    assert_int_equal(*ut_at(m, e[3].offset), 0);
}

struct vec_mon {
    const char *file, *name;
    bool locked;
};

static const struct vec_mon vecs[] = {
    {"cpp_all.seg", "mon", true},   /* Monitor.lock, left locked */
    {"py_core.seg", "p_mon", false}, /* untouched */
};

static void test_vectors(void **state)
{
    (void)state;
    char path[4096], seg[ZT_NAME_MAX], buf[40];
    if (!vec_path(path, sizeof path, "cpp_all.seg"))
        skip();
    zeroipc_memory_t *n = ut_seg(NULL, "mr", 8192, 16);
    for (int i = 0; i < 2; i++) {
        const struct vec_mon *v = &vecs[i];
        assert_true(vec_path(path, sizeof path, v->file));
        assert_int_equal(zt_copy_to_shm(path, seg, "mv"), 0);
        zeroipc_memory_t *m = ut_open(seg);
        /* The bytes the manifest lists. */
        size_t off;
        snprintf(buf, sizeof buf, "%s_mtx", v->name);
        ut_find(m, buf, &off, NULL);
        int32_t mtx[4] = {v->locked ? 0 : 1, 0, 1, 0};
        assert_memory_equal(ut_at(m, off), mtx, 16);

        zeroipc_monitor_t *h = keep(zeroipc_monitor_open(m, v->name));
        assert_non_null(h);
        assert_int_equal(zeroipc_monitor_is_locked(h), v->locked);
        assert_int_equal(zeroipc_monitor_waiting(h), 0);

        /* The same operations from scratch write the same bytes. */
        zeroipc_monitor_t *r = mk(n, v->name);
        if (v->locked)
            assert_int_equal(zeroipc_monitor_lock(r), ZEROIPC_OK);
        const char *sfx[4] = {"_mtx", "_cond", "_count", ""};
        for (int k = 0; k < 4; k++) {
            snprintf(buf, sizeof buf, "%s%s", v->name, sfx[k]);
            same_entry(m, n, buf);
        }
        /* And ours operate theirs. */
        if (v->locked) {
            assert_int_equal(zeroipc_monitor_try_lock(h), ZEROIPC_ERROR_TIMEOUT);
            assert_int_equal(zeroipc_monitor_unlock(h), ZEROIPC_OK);
        }
        assert_int_equal(zeroipc_monitor_lock(h), ZEROIPC_OK);
        assert_int_equal(zeroipc_monitor_notify_all(h), ZEROIPC_OK);
        assert_int_equal(zeroipc_monitor_unlock(h), ZEROIPC_OK);
    }
    zeroipc_memory_t *m = ut_open(seg);
    UT_EXPECT_NULL(zeroipc_monitor_open(m, "p_rw"), ZEROIPC_ERROR_CORRUPT);
    UT_EXPECT_NULL(zeroipc_monitor_open(m, "p_ev"), ZEROIPC_ERROR_WRONG_KIND);
}

static void test_errors(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "me", 8192, 9);
    char name[40];
    UT_EXPECT_NULL(zeroipc_monitor_create(NULL, "m"), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_monitor_create(m, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_monitor_create(m, ""), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_monitor_create(m, ut_len_name(name, 26, 'n')),
                   ZEROIPC_ERROR_NAME_TOO_LONG);
    UT_EXPECT_NULL(zeroipc_monitor_open(m, name), ZEROIPC_ERROR_NAME_TOO_LONG);
    mk(m, ut_len_name(name, 25, 'n'));
    assert_non_null(keep(zeroipc_monitor_open(m, name)));
    UT_EXPECT_NULL(zeroipc_monitor_create(m, name), ZEROIPC_ERROR_ALREADY_EXISTS);
    assert_int_equal(zeroipc_table_add(m, "t_count", 4, NULL), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_monitor_create(m, "t"), ZEROIPC_ERROR_ALREADY_EXISTS);
    /* Four left of nine would do; three do not. */
    assert_int_equal(zeroipc_table_add(m, "x", 4, NULL), ZEROIPC_OK);
    zeroipc_entry_t e[9];
    size_t cnt;
    UT_EXPECT_NULL(zeroipc_monitor_create(m, "u"), ZEROIPC_ERROR_TABLE_FULL);
    assert_int_equal(zeroipc_table_entries(m, e, 9, &cnt), ZEROIPC_OK);
    assert_int_equal(cnt, 6);
    UT_EXPECT_NULL(zeroipc_monitor_open(m, "nosuch"), ZEROIPC_ERROR_NOT_FOUND);
    UT_EXPECT_NULL(zeroipc_monitor_open(NULL, "x"), ZEROIPC_ERROR_INVALID_ARGUMENT);
    /* No room for all four: nothing made. */
    zeroipc_memory_t *small = ut_seg(NULL, "ms", 32 + 48 * 4 + 40, 4);
    UT_EXPECT_NULL(zeroipc_monitor_create(small, "s"), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_table_entries(small, e, 9, &cnt), ZEROIPC_OK);
    assert_int_equal(cnt, 0);

    /* Open: companions missing (CORRUPT) or wrong (WRONG_KIND). */
    zeroipc_memory_t *o = ut_seg(NULL, "mo", 8192, 24);
    assert_int_equal(zeroipc_table_add(o, "a", 1, NULL), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_monitor_open(o, "a"), ZEROIPC_ERROR_CORRUPT);
    zeroipc_mutex_close(zeroipc_mutex_create(o, "a_mtx"));
    UT_EXPECT_NULL(zeroipc_monitor_open(o, "a"), ZEROIPC_ERROR_CORRUPT);
    zeroipc_semaphore_close(zeroipc_semaphore_create(o, "a_cond", 0, 0));
    UT_EXPECT_NULL(zeroipc_monitor_open(o, "a"), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_table_add(o, "a_count", 8, NULL), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_monitor_open(o, "a"), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_table_add(o, "b", 4, NULL), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_monitor_open(o, "b"), ZEROIPC_ERROR_WRONG_KIND);
    /* A semaphore where the mutex should be. */
    assert_int_equal(zeroipc_table_add(o, "c", 1, NULL), ZEROIPC_OK);
    zeroipc_semaphore_close(zeroipc_semaphore_create(o, "c_mtx", 0, 0));
    UT_EXPECT_NULL(zeroipc_monitor_open(o, "c"), ZEROIPC_ERROR_WRONG_KIND);
}

static void test_null_handles(void **state)
{
    (void)state;
    assert_int_equal(zeroipc_monitor_lock(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_monitor_lock_timeout(NULL, 1), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_monitor_try_lock(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_monitor_unlock(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_monitor_wait(NULL, NULL, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_monitor_wait_timeout(NULL, NULL, NULL, 1),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_monitor_notify_one(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_monitor_notify_all(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_monitor_waiting(NULL), 0);
    assert_false(zeroipc_monitor_is_locked(NULL));
    zeroipc_monitor_close(NULL);
}

static bool is_true(void *ctx) { return *(int *)ctx != 0; }

static void test_semantics(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "mm", 8192, 8);
    zeroipc_monitor_t *h = mk(m, "m");
    assert_int_equal(zeroipc_monitor_unlock(h), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_monitor_lock(h), ZEROIPC_OK);
    assert_true(zeroipc_monitor_is_locked(h));
    assert_int_equal(zeroipc_monitor_try_lock(h), ZEROIPC_ERROR_TIMEOUT);
    int64_t t0 = zt_now_ms();
    assert_int_equal(zeroipc_monitor_lock_timeout(h, 40), ZEROIPC_ERROR_TIMEOUT);
    assert_true(zt_now_ms() - t0 >= 39);
    /* A true predicate: at once, still locked. */
    int flag = 1;
    assert_int_equal(zeroipc_monitor_wait_timeout(h, is_true, &flag, 0), ZEROIPC_OK);
    assert_true(zeroipc_monitor_is_locked(h));
    /* False: times out, and the lock is no longer held. */
    flag = 0;
    assert_int_equal(zeroipc_monitor_wait_timeout(h, is_true, &flag, 0), ZEROIPC_ERROR_TIMEOUT);
    assert_false(zeroipc_monitor_is_locked(h));
    assert_int_equal(zeroipc_monitor_lock(h), ZEROIPC_OK);
    t0 = zt_now_ms();
    assert_int_equal(zeroipc_monitor_wait_timeout(h, is_true, &flag, 50), ZEROIPC_ERROR_TIMEOUT);
    int64_t dt = zt_now_ms() - t0;
    assert_true(dt >= 49 && dt < 2000);
    assert_false(zeroipc_monitor_is_locked(h));
    /* Nothing left behind: no registration, no unit. */
    assert_int_equal(zeroipc_monitor_waiting(h), 0);
    size_t off;
    ut_find(m, "m_cond", &off, NULL);
    assert_int_equal(ut_get32(m, off), 0);
    /* Notify with nobody registered changes nothing. */
    assert_int_equal(zeroipc_monitor_notify_one(h), ZEROIPC_OK);
    assert_int_equal(zeroipc_monitor_notify_all(h), ZEROIPC_OK);
    assert_int_equal(ut_get32(m, off), 0);
    /* A holder that died: lock_timeout and wait_timeout give up. */
    assert_int_equal(zeroipc_monitor_lock(h), ZEROIPC_OK);
    zeroipc_monitor_t *h2 = keep(zeroipc_monitor_open(m, "m"));
    assert_int_equal(zeroipc_monitor_lock_timeout(h2, 30), ZEROIPC_ERROR_TIMEOUT);
    /* Recovery: anyone may unlock. */
    assert_int_equal(zeroipc_monitor_unlock(h2), ZEROIPC_OK);
    assert_int_equal(zeroipc_monitor_lock_timeout(h2, 30), ZEROIPC_OK);
    assert_int_equal(zeroipc_monitor_unlock(h2), ZEROIPC_OK);
}

/* ------------------------------------------------------------------ */
/* Threads: a bounded counter with producers and consumers. */

struct shared {
    zeroipc_monitor_t *h;
    int value; /* guarded by the monitor */
    int produced_left;
    int rc;
};

static bool has_item(void *ctx) { return ((struct shared *)ctx)->value > 0; }
static bool has_room(void *ctx) { return ((struct shared *)ctx)->value < 3; }

#define ITEMS 1000

static void *producer(void *p)
{
    struct shared *s = p;
    for (int i = 0; i < ITEMS; i++) {
        if (zeroipc_monitor_lock(s->h) != ZEROIPC_OK ||
            zeroipc_monitor_wait_timeout(s->h, has_room, s, 10000) != ZEROIPC_OK) {
            s->rc = 1;
            return NULL;
        }
        s->value++;
        zeroipc_monitor_notify_all(s->h);
        zeroipc_monitor_unlock(s->h);
    }
    return NULL;
}

static void *consumer(void *p)
{
    struct shared *s = p;
    for (int i = 0; i < ITEMS; i++) {
        if (zeroipc_monitor_lock(s->h) != ZEROIPC_OK ||
            zeroipc_monitor_wait(s->h, has_item, s) != ZEROIPC_OK) {
            s->rc = 2;
            return NULL;
        }
        s->value--;
        zeroipc_monitor_notify_one(s->h);
        zeroipc_monitor_notify_all(s->h);
        zeroipc_monitor_unlock(s->h);
    }
    return NULL;
}

struct one {
    zeroipc_monitor_t *h;
    int rc;
    atomic_int done;
};

static void *wait_once(void *p)
{
    struct one *o = p;
    int rc = zeroipc_monitor_lock(o->h);
    if (rc == ZEROIPC_OK)
        rc = zeroipc_monitor_wait_timeout(o->h, NULL, NULL, 5000);
    if (rc == ZEROIPC_OK)
        zeroipc_monitor_unlock(o->h);
    o->rc = rc;
    atomic_store(&o->done, 1);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "mt", 8192, 8);
    struct shared s = {mk(m, "m"), 0, 0, 0};
    pthread_t t[4];
    pthread_create(&t[0], NULL, producer, &s);
    pthread_create(&t[1], NULL, producer, &s);
    pthread_create(&t[2], NULL, consumer, &s);
    pthread_create(&t[3], NULL, consumer, &s);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(s.rc, 0);
    assert_int_equal(s.value, 0);
    assert_false(zeroipc_monitor_is_locked(s.h));

    /* notify_one wakes one of three, notify_all the rest. */
    zeroipc_monitor_t *h = mk(m, "w");
    struct one o[3];
    for (int i = 0; i < 3; i++) {
        o[i].h = h;
        o[i].rc = -100;
        atomic_init(&o[i].done, 0);
        pthread_create(&t[i], NULL, wait_once, &o[i]);
    }
    int64_t end = zt_now_ms() + 5000;
    while (zeroipc_monitor_waiting(h) < 3 && zt_now_ms() < end)
        sleep_ms(1);
    assert_int_equal(zeroipc_monitor_waiting(h), 3);
    assert_int_equal(zeroipc_monitor_notify_one(h), ZEROIPC_OK);
    assert_int_equal(zeroipc_monitor_waiting(h), 2);
    end = zt_now_ms() + 5000;
    int done = 0;
    while (done < 1 && zt_now_ms() < end) {
        sleep_ms(1);
        done = 0;
        for (int i = 0; i < 3; i++)
            done += atomic_load(&o[i].done);
    }
    sleep_ms(20);
    done = 0;
    for (int i = 0; i < 3; i++)
        done += atomic_load(&o[i].done);
    assert_int_equal(done, 1);
    assert_int_equal(zeroipc_monitor_notify_all(h), ZEROIPC_OK);
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(o[i].rc, ZEROIPC_OK);
    }
    assert_int_equal(zeroipc_monitor_waiting(h), 0);
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
