/* test_rwlock.c - zeroipc_rwlock_*: the four-entry layout, the locks of
 * the test vectors read and reproduced byte for byte, names and their room
 * for "_state", create and open errors (missing or wrong companions), read
 * and write locks with their timeouts (a timed-out writer leaves nothing
 * set), a reader or writer that died, and readers and writers in threads
 * that must never meet a writer. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "unit_common.h"

static zeroipc_rwlock_t *st_hs[UT_MAX];

static int st_teardown(void **state)
{
    for (int i = 0; i < UT_MAX; i++) {
        zeroipc_rwlock_close(st_hs[i]);
        st_hs[i] = NULL;
    }
    return ut_teardown(state);
}

#define ST_TEST(fn) cmocka_unit_test_setup_teardown(fn, ut_setup, st_teardown)

static zeroipc_rwlock_t *keep(zeroipc_rwlock_t *s)
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

static zeroipc_rwlock_t *mk(zeroipc_memory_t *m, const char *name)
{
    zeroipc_rwlock_t *h = zeroipc_rwlock_create(m, name);
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

/* The 16 bytes of the mutex `name` are {count, 0, 1, 0}. */
static void mutex_bytes(zeroipc_memory_t *m, const char *name, int32_t count)
{
    size_t off, size;
    ut_find(m, name, &off, &size);
    assert_int_equal(size, 16);
    int32_t want[4] = {count, 0, 1, 0};
    assert_memory_equal(ut_at(m, off), want, 16);
}

/* The 8 bytes of `name_state` are {readers, writer_active}. */
static void state_bytes(zeroipc_memory_t *m, const char *base, int32_t readers,
                        int32_t writer)
{
    char buf[40];
    size_t off, size;
    snprintf(buf, sizeof buf, "%s_state", base);
    ut_find(m, buf, &off, &size);
    assert_int_equal(size, 8);
    int32_t want[2] = {readers, writer};
    assert_memory_equal(ut_at(m, off), want, 8);
}

/* The whole lock `base` is free or read-held by `readers`, nothing else. */
static void lock_bytes(zeroipc_memory_t *m, const char *base, int32_t readers,
                       int32_t writer, int32_t rcount, int32_t wcount)
{
    char buf[40];
    state_bytes(m, base, readers, writer);
    snprintf(buf, sizeof buf, "%s_rmtx", base);
    mutex_bytes(m, buf, rcount);
    snprintf(buf, sizeof buf, "%s_wmtx", base);
    mutex_bytes(m, buf, wcount);
}

/* ------------------------------------------------------------------ */

static void test_layout(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "rl", 8192, 8);
    mk(m, "r");
    zeroipc_entry_t e[4];
    size_t n = 0;
    assert_int_equal(zeroipc_table_entries(m, e, 4, &n), ZEROIPC_OK);
    assert_int_equal(n, 4);
    const char *names[4] = {"r_state", "r_rmtx", "r_wmtx", "r"};
    size_t sizes[4] = {8, 16, 16, 1};
    assert_int_equal(e[0].offset, UT_TABLE_END(8));
    for (int i = 0; i < 4; i++) {
        assert_string_equal(e[i].name, names[i]);
        assert_int_equal(e[i].size, sizes[i]);
        if (i)
            assert_int_equal(e[i].offset, e[i - 1].offset + UT_ALIGN8(sizes[i - 1]));
    }
    /* Byte by byte: state 0/0, two free mutexes, a zero marker, and zero
     * padding up to the next 8-aligned offset. */
    uint8_t want[48] = {0};
    int32_t mtx[4] = {1, 0, 1, 0};
    memcpy(want + 8, mtx, 16);
    memcpy(want + 24, mtx, 16);
    assert_memory_equal(ut_at(m, e[0].offset), want, 48);
    assert_int_equal(zeroipc_rwlock_readers(st_hs[0]), 0);
    assert_int_equal(zeroipc_rwlock_writer_active(st_hs[0]), 0);
}

struct vec_rw {
    const char *file, *name;
    int readers;
};

static const struct vec_rw vecs[] = {
    {"cpp_all.seg", "rw", 2},  /* reader_lock; reader_lock (both held) */
    {"py_core.seg", "p_rw", 1}, /* reader_lock (held) */
};

static void test_vectors(void **state)
{
    (void)state;
    char path[4096], seg[ZT_NAME_MAX], buf[40];
    if (!vec_path(path, sizeof path, "cpp_all.seg"))
        skip();
    zeroipc_memory_t *n = ut_seg(NULL, "rr", 8192, 16);
    for (int i = 0; i < 2; i++) {
        const struct vec_rw *v = &vecs[i];
        assert_true(vec_path(path, sizeof path, v->file));
        assert_int_equal(zt_copy_to_shm(path, seg, "rv"), 0);
        zeroipc_memory_t *m = ut_open(seg);
        /* The bytes the manifest lists. */
        lock_bytes(m, v->name, v->readers, 0, 1, 1);
        size_t off, size;
        ut_find(m, v->name, &off, &size);
        assert_int_equal(size, 1);
        assert_int_equal(*ut_at(m, off), 0);

        zeroipc_rwlock_t *h = keep(zeroipc_rwlock_open(m, v->name));
        assert_non_null(h);
        assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
        assert_int_equal(zeroipc_rwlock_readers(h), v->readers);
        assert_int_equal(zeroipc_rwlock_writer_active(h), 0);

        /* The same operations from scratch write the same bytes. */
        zeroipc_rwlock_t *r = mk(n, v->name);
        for (int k = 0; k < v->readers; k++)
            assert_int_equal(zeroipc_rwlock_read_lock(r), ZEROIPC_OK);
        const char *sfx[4] = {"_state", "_rmtx", "_wmtx", ""};
        for (int k = 0; k < 4; k++) {
            snprintf(buf, sizeof buf, "%s%s", v->name, sfx[k]);
            same_entry(m, n, buf);
        }
        /* And ours operate theirs: the held read locks keep a writer out
         * (and a writer that gives up leaves nothing set). */
        assert_int_equal(zeroipc_rwlock_try_write_lock(h), ZEROIPC_ERROR_TIMEOUT);
        assert_int_equal(zeroipc_rwlock_write_lock_timeout(h, 20), ZEROIPC_ERROR_TIMEOUT);
        lock_bytes(m, v->name, v->readers, 0, 1, 1);
        assert_int_equal(zeroipc_rwlock_try_read_lock(h), ZEROIPC_OK);
        assert_int_equal(zeroipc_rwlock_readers(h), v->readers + 1);
        for (int k = 0; k <= v->readers; k++)
            assert_int_equal(zeroipc_rwlock_read_unlock(h), ZEROIPC_OK);
        assert_int_equal(zeroipc_rwlock_read_unlock(h), ZEROIPC_ERROR_SIZE);
        assert_int_equal(zeroipc_rwlock_try_write_lock(h), ZEROIPC_OK);
        lock_bytes(m, v->name, 0, 1, 1, 0);
        assert_int_equal(zeroipc_rwlock_write_unlock(h), ZEROIPC_OK);
        lock_bytes(m, v->name, 0, 0, 1, 1);
    }
    zeroipc_memory_t *m = ut_open(seg);
    UT_EXPECT_NULL(zeroipc_rwlock_open(m, "p_mon"), ZEROIPC_ERROR_CORRUPT);
    UT_EXPECT_NULL(zeroipc_rwlock_open(m, "p_ev"), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_rwlock_open(m, "p_rw_state"), ZEROIPC_ERROR_WRONG_KIND);
}

static void test_errors(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "re", 8192, 9);
    char name[40];
    UT_EXPECT_NULL(zeroipc_rwlock_create(NULL, "r"), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_rwlock_create(m, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_rwlock_create(m, ""), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_rwlock_create(m, ut_len_name(name, 26, 'n')),
                   ZEROIPC_ERROR_NAME_TOO_LONG);
    UT_EXPECT_NULL(zeroipc_rwlock_open(m, name), ZEROIPC_ERROR_NAME_TOO_LONG);
    UT_EXPECT_NULL(zeroipc_rwlock_create(m, ut_len_name(name, 32, 'n')),
                   ZEROIPC_ERROR_NAME_TOO_LONG);
    mk(m, ut_len_name(name, 25, 'n'));
    char sname[40];
    snprintf(sname, sizeof sname, "%s_state", name);
    assert_int_equal(strlen(sname), 31);
    assert_int_equal(zeroipc_table_find(m, sname, NULL, NULL), ZEROIPC_OK);
    assert_non_null(keep(zeroipc_rwlock_open(m, name)));
    UT_EXPECT_NULL(zeroipc_rwlock_create(m, name), ZEROIPC_ERROR_ALREADY_EXISTS);
    assert_int_equal(zeroipc_table_add(m, "t_wmtx", 4, NULL), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_rwlock_create(m, "t"), ZEROIPC_ERROR_ALREADY_EXISTS);
    /* Four left of nine would do; three do not. */
    assert_int_equal(zeroipc_table_add(m, "x", 4, NULL), ZEROIPC_OK);
    zeroipc_entry_t e[9];
    size_t cnt;
    UT_EXPECT_NULL(zeroipc_rwlock_create(m, "u"), ZEROIPC_ERROR_TABLE_FULL);
    assert_int_equal(zeroipc_table_entries(m, e, 9, &cnt), ZEROIPC_OK);
    assert_int_equal(cnt, 6);
    UT_EXPECT_NULL(zeroipc_rwlock_open(m, "nosuch"), ZEROIPC_ERROR_NOT_FOUND);
    UT_EXPECT_NULL(zeroipc_rwlock_open(NULL, "x"), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_rwlock_open(m, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    /* No room for all four (8 + 16 + 16 + 1 = 41 bytes): nothing made. */
    zeroipc_memory_t *small = ut_seg(NULL, "rs", 32 + 48 * 4 + 40, 4);
    UT_EXPECT_NULL(zeroipc_rwlock_create(small, "s"), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_table_entries(small, e, 9, &cnt), ZEROIPC_OK);
    assert_int_equal(cnt, 0);
    zeroipc_memory_t *fits = ut_seg(NULL, "rf", 32 + 48 * 4 + 41, 4);
    mk(fits, "s");

    /* Open: companions missing (CORRUPT) or wrong (WRONG_KIND). */
    zeroipc_memory_t *o = ut_seg(NULL, "ro", 8192, 32);
    assert_int_equal(zeroipc_table_add(o, "a", 1, NULL), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_rwlock_open(o, "a"), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_table_add(o, "a_state", 8, NULL), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_rwlock_open(o, "a"), ZEROIPC_ERROR_CORRUPT);
    zeroipc_mutex_close(zeroipc_mutex_create(o, "a_rmtx"));
    UT_EXPECT_NULL(zeroipc_rwlock_open(o, "a"), ZEROIPC_ERROR_CORRUPT);
    zeroipc_mutex_close(zeroipc_mutex_create(o, "a_wmtx"));
    assert_non_null(keep(zeroipc_rwlock_open(o, "a")));
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
    /* The marker not 1 byte. */
    assert_int_equal(zeroipc_table_add(o, "b", 4, NULL), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_rwlock_open(o, "b"), ZEROIPC_ERROR_WRONG_KIND);
    /* The state not 8 bytes. */
    assert_int_equal(zeroipc_table_add(o, "c", 1, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_add(o, "c_state", 4, NULL), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_rwlock_open(o, "c"), ZEROIPC_ERROR_WRONG_KIND);
    /* A semaphore where a mutex should be. */
    assert_int_equal(zeroipc_table_add(o, "d", 1, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_add(o, "d_state", 8, NULL), ZEROIPC_OK);
    zeroipc_semaphore_close(zeroipc_semaphore_create(o, "d_rmtx", 0, 0));
    UT_EXPECT_NULL(zeroipc_rwlock_open(o, "d"), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_table_add(o, "e", 1, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_add(o, "e_state", 8, NULL), ZEROIPC_OK);
    zeroipc_mutex_close(zeroipc_mutex_create(o, "e_rmtx"));
    zeroipc_semaphore_close(zeroipc_semaphore_create(o, "e_wmtx", 1, 2));
    UT_EXPECT_NULL(zeroipc_rwlock_open(o, "e"), ZEROIPC_ERROR_WRONG_KIND);
    /* A mutex with an invalid count. */
    mk(o, "f");
    size_t off;
    ut_find(o, "f_wmtx", &off, NULL);
    ut_set32(o, off, (uint32_t)-1);
    UT_EXPECT_NULL(zeroipc_rwlock_open(o, "f"), ZEROIPC_ERROR_CORRUPT);
    ut_set32(o, off, 2);
    UT_EXPECT_NULL(zeroipc_rwlock_open(o, "f"), ZEROIPC_ERROR_CORRUPT);
    ut_set32(o, off, 1);
    assert_non_null(keep(zeroipc_rwlock_open(o, "f")));
}

static void test_null_handles(void **state)
{
    (void)state;
    const int inval = ZEROIPC_ERROR_INVALID_ARGUMENT;
    assert_int_equal(zeroipc_rwlock_read_lock(NULL), inval);
    assert_int_equal(zeroipc_rwlock_read_lock_timeout(NULL, 1), inval);
    assert_int_equal(zeroipc_rwlock_try_read_lock(NULL), inval);
    assert_int_equal(zeroipc_rwlock_read_unlock(NULL), inval);
    assert_int_equal(zeroipc_rwlock_write_lock(NULL), inval);
    assert_int_equal(zeroipc_rwlock_write_lock_timeout(NULL, 1), inval);
    assert_int_equal(zeroipc_rwlock_try_write_lock(NULL), inval);
    assert_int_equal(zeroipc_rwlock_write_unlock(NULL), inval);
    assert_int_equal(zeroipc_rwlock_readers(NULL), -1);
    assert_int_equal(zeroipc_rwlock_writer_active(NULL), -1);
    zeroipc_rwlock_close(NULL);
}

static void test_semantics(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "rm", 8192, 8);
    zeroipc_rwlock_t *h = mk(m, "r");
    zeroipc_rwlock_t *h2 = keep(zeroipc_rwlock_open(m, "r"));
    assert_non_null(h2);
    /* Unlocking what is not held: refused, nothing changes. */
    assert_int_equal(zeroipc_rwlock_read_unlock(h), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_rwlock_write_unlock(h), ZEROIPC_ERROR_SIZE);
    lock_bytes(m, "r", 0, 0, 1, 1);

    /* Readers share. */
    assert_int_equal(zeroipc_rwlock_read_lock(h), ZEROIPC_OK);
    assert_int_equal(zeroipc_rwlock_try_read_lock(h2), ZEROIPC_OK);
    assert_int_equal(zeroipc_rwlock_read_lock_timeout(h2, 10), ZEROIPC_OK);
    assert_int_equal(zeroipc_rwlock_readers(h), 3);
    lock_bytes(m, "r", 3, 0, 1, 1);
    /* A writer while readers hold it: times out, and leaves nothing set. */
    assert_int_equal(zeroipc_rwlock_try_write_lock(h2), ZEROIPC_ERROR_TIMEOUT);
    lock_bytes(m, "r", 3, 0, 1, 1);
    int64_t t0 = zt_now_ms();
    assert_int_equal(zeroipc_rwlock_write_lock_timeout(h2, 50), ZEROIPC_ERROR_TIMEOUT);
    int64_t dt = zt_now_ms() - t0;
    assert_true(dt >= 49 && dt < 2000);
    lock_bytes(m, "r", 3, 0, 1, 1);
    assert_int_equal(zeroipc_rwlock_writer_active(h), 0);
    /* Readers still come in after it. */
    assert_int_equal(zeroipc_rwlock_try_read_lock(h), ZEROIPC_OK);
    for (int i = 0; i < 4; i++)
        assert_int_equal(zeroipc_rwlock_read_unlock(h2), ZEROIPC_OK);
    lock_bytes(m, "r", 0, 0, 1, 1);

    /* A writer: alone. */
    assert_int_equal(zeroipc_rwlock_write_lock(h), ZEROIPC_OK);
    lock_bytes(m, "r", 0, 1, 1, 0);
    assert_int_equal(zeroipc_rwlock_writer_active(h2), 1);
    assert_int_equal(zeroipc_rwlock_try_read_lock(h2), ZEROIPC_ERROR_TIMEOUT);
    t0 = zt_now_ms();
    assert_int_equal(zeroipc_rwlock_read_lock_timeout(h2, 40), ZEROIPC_ERROR_TIMEOUT);
    dt = zt_now_ms() - t0;
    assert_true(dt >= 39 && dt < 2000);
    assert_int_equal(zeroipc_rwlock_try_write_lock(h2), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(zeroipc_rwlock_write_lock_timeout(h2, 30), ZEROIPC_ERROR_TIMEOUT);
    lock_bytes(m, "r", 0, 1, 1, 0);
    assert_int_equal(zeroipc_rwlock_read_unlock(h2), ZEROIPC_ERROR_SIZE);
    /* A writer that died: anyone may unlock. */
    assert_int_equal(zeroipc_rwlock_write_unlock(h2), ZEROIPC_OK);
    lock_bytes(m, "r", 0, 0, 1, 1);
    assert_int_equal(zeroipc_rwlock_write_unlock(h2), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_rwlock_read_lock_timeout(h2, 30), ZEROIPC_OK);
    /* A reader that died: writers time out, read_unlock recovers. */
    assert_int_equal(zeroipc_rwlock_write_lock_timeout(h, 20), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(zeroipc_rwlock_read_unlock(h), ZEROIPC_OK);
    assert_int_equal(zeroipc_rwlock_write_lock_timeout(h, 20), ZEROIPC_OK);
    assert_int_equal(zeroipc_rwlock_write_unlock(h), ZEROIPC_OK);

    /* Corrupt counts are refused. */
    size_t off;
    ut_find(m, "r_state", &off, NULL);
    ut_set32(m, off, (uint32_t)-1);
    assert_int_equal(zeroipc_rwlock_read_unlock(h), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_rwlock_try_read_lock(h), ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(zeroipc_rwlock_write_lock_timeout(h, 10), ZEROIPC_ERROR_TIMEOUT);
    lock_bytes(m, "r", -1, 0, 1, 1);
    ut_set32(m, off, (uint32_t)INT32_MAX);
    assert_int_equal(zeroipc_rwlock_try_read_lock(h), ZEROIPC_ERROR_SIZE);
    lock_bytes(m, "r", INT32_MAX, 0, 1, 1);
    ut_set32(m, off, 0);
    lock_bytes(m, "r", 0, 0, 1, 1);
}

/* ------------------------------------------------------------------ */
/* Threads: a writer waiting for readers, a reader waiting for a writer. */

struct one {
    zeroipc_rwlock_t *h;
    bool write;
    int rc;
    atomic_int done;
};

static void *lock_once(void *p)
{
    struct one *o = p;
    int rc = o->write ? zeroipc_rwlock_write_lock_timeout(o->h, 10000)
                      : zeroipc_rwlock_read_lock_timeout(o->h, 10000);
    o->rc = rc;
    atomic_store(&o->done, 1);
    return NULL;
}

static void test_handoff(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "rh", 8192, 8);
    zeroipc_rwlock_t *h = mk(m, "r");
    pthread_t t, u;
    /* A writer waits for the last of two readers. */
    assert_int_equal(zeroipc_rwlock_read_lock(h), ZEROIPC_OK);
    assert_int_equal(zeroipc_rwlock_read_lock(h), ZEROIPC_OK);
    struct one w = {h, true, -100, 0};
    pthread_create(&t, NULL, lock_once, &w);
    int64_t end = zt_now_ms() + 5000;
    while (zeroipc_rwlock_writer_active(h) != 1 && zt_now_ms() < end)
        sleep_ms(1);
    assert_int_equal(zeroipc_rwlock_writer_active(h), 1);
    /* A new reader waits behind the waiting writer. */
    struct one r = {h, false, -100, 0};
    pthread_create(&u, NULL, lock_once, &r);
    assert_int_equal(zeroipc_rwlock_read_unlock(h), ZEROIPC_OK);
    sleep_ms(30);
    assert_int_equal(atomic_load(&w.done), 0);
    assert_int_equal(atomic_load(&r.done), 0);
    assert_int_equal(zeroipc_rwlock_read_unlock(h), ZEROIPC_OK);
    pthread_join(t, NULL);
    assert_int_equal(w.rc, ZEROIPC_OK);
    sleep_ms(20);
    assert_int_equal(atomic_load(&r.done), 0);
    assert_int_equal(zeroipc_rwlock_readers(h), 0);
    assert_int_equal(zeroipc_rwlock_write_unlock(h), ZEROIPC_OK);
    pthread_join(u, NULL);
    assert_int_equal(r.rc, ZEROIPC_OK);
    lock_bytes(m, "r", 1, 0, 1, 1);
    assert_int_equal(zeroipc_rwlock_read_unlock(h), ZEROIPC_OK);
    lock_bytes(m, "r", 0, 0, 1, 1);
}

/* Threads: 4 readers and 2 writers; a writer never meets anyone. */

#define READERS 4
#define WRITERS 2
#define ITERS 3000

struct shared {
    zeroipc_memory_t *m;
    atomic_int readers_in, writers_in;
    atomic_int bad, fail;
    atomic_int max_readers;
    long value; /* written only under the write lock */
};

struct worker {
    struct shared *s;
    int id;
};

static void *reader(void *p)
{
    struct worker *w = p;
    struct shared *s = w->s;
    zeroipc_rwlock_t *h = zeroipc_rwlock_open(s->m, "r");
    if (h == NULL) {
        atomic_fetch_add(&s->fail, 1);
        return NULL;
    }
    long last = 0;
    for (int i = 0; i < ITERS; i++) {
        int rc = i % 2 ? zeroipc_rwlock_read_lock(h)
                       : zeroipc_rwlock_read_lock_timeout(h, 30000);
        if (rc != ZEROIPC_OK) {
            atomic_fetch_add(&s->fail, 1);
            break;
        }
        int n = atomic_fetch_add(&s->readers_in, 1) + 1;
        int mx = atomic_load(&s->max_readers);
        while (n > mx && !atomic_compare_exchange_weak(&s->max_readers, &mx, n))
            ;
        if (atomic_load(&s->writers_in) != 0)
            atomic_fetch_add(&s->bad, 1);
        long v = s->value;
        if (v < last)
            atomic_fetch_add(&s->bad, 1);
        last = v;
        if (atomic_load(&s->writers_in) != 0)
            atomic_fetch_add(&s->bad, 1);
        atomic_fetch_sub(&s->readers_in, 1);
        if (zeroipc_rwlock_read_unlock(h) != ZEROIPC_OK) {
            atomic_fetch_add(&s->fail, 1);
            break;
        }
    }
    zeroipc_rwlock_close(h);
    return NULL;
}

static void *writer(void *p)
{
    struct worker *w = p;
    struct shared *s = w->s;
    zeroipc_rwlock_t *h = zeroipc_rwlock_open(s->m, "r");
    if (h == NULL) {
        atomic_fetch_add(&s->fail, 1);
        return NULL;
    }
    for (int i = 0; i < ITERS; i++) {
        int rc = i % 2 ? zeroipc_rwlock_write_lock(h)
                       : zeroipc_rwlock_write_lock_timeout(h, 30000);
        if (rc != ZEROIPC_OK) {
            atomic_fetch_add(&s->fail, 1);
            break;
        }
        if (atomic_fetch_add(&s->writers_in, 1) != 0)
            atomic_fetch_add(&s->bad, 1);
        if (atomic_load(&s->readers_in) != 0)
            atomic_fetch_add(&s->bad, 1);
        long v = s->value;
        s->value = v + 1;
        if (atomic_load(&s->readers_in) != 0)
            atomic_fetch_add(&s->bad, 1);
        if (atomic_fetch_sub(&s->writers_in, 1) != 1)
            atomic_fetch_add(&s->bad, 1);
        if (zeroipc_rwlock_write_unlock(h) != ZEROIPC_OK) {
            atomic_fetch_add(&s->fail, 1);
            break;
        }
    }
    zeroipc_rwlock_close(h);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    struct shared s;
    memset(&s, 0, sizeof s);
    s.m = ut_seg(NULL, "rt", 8192, 8);
    zeroipc_rwlock_t *h = mk(s.m, "r");
    pthread_t t[READERS + WRITERS];
    struct worker w[READERS + WRITERS];
    for (int i = 0; i < READERS + WRITERS; i++) {
        w[i].s = &s;
        w[i].id = i;
        pthread_create(&t[i], NULL, i < READERS ? reader : writer, &w[i]);
    }
    for (int i = 0; i < READERS + WRITERS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&s.fail), 0);
    assert_int_equal(atomic_load(&s.bad), 0);
    assert_int_equal(s.value, (long)WRITERS * ITERS);
    assert_true(atomic_load(&s.max_readers) >= 1);
    assert_int_equal(zeroipc_rwlock_readers(h), 0);
    assert_int_equal(zeroipc_rwlock_writer_active(h), 0);
    lock_bytes(s.m, "r", 0, 0, 1, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ST_TEST(test_layout),
        ST_TEST(test_vectors),
        ST_TEST(test_errors),
        ST_TEST(test_null_handles),
        ST_TEST(test_semantics),
        ST_TEST(test_handoff),
        ST_TEST(test_threads),
    };
    return UT_RUN(tests);
}
