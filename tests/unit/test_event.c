/* test_event.c - zeroipc_event_*: the two-entry layout byte by byte, the
 * events of the test vectors read and reproduced, names and their room
 * for "_sem", create and open errors (a missing or wrong companion), auto
 * and manual semantics, the `_sem` token, pulse, timeouts, threads, and
 * peers that set the event without waking anyone. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "unit_common.h"

/* ------------------------------------------------------------------ */
/* Handles of this file's kind, closed by the teardown. */

static zeroipc_event_t *st_evs[UT_MAX];

static int st_teardown(void **state)
{
    for (int i = 0; i < UT_MAX; i++) {
        zeroipc_event_close(st_evs[i]);
        st_evs[i] = NULL;
    }
    return ut_teardown(state);
}

#define ST_TEST(fn) cmocka_unit_test_setup_teardown(fn, ut_setup, st_teardown)

static zeroipc_event_t *keep_ev(zeroipc_event_t *e)
{
    for (int i = 0; e && i < UT_MAX; i++)
        if (!st_evs[i]) {
            st_evs[i] = e;
            return e;
        }
    if (e)
        fail_msg("too many events");
    return e;
}

static zeroipc_event_t *mkev(zeroipc_memory_t *m, const char *name,
                             zeroipc_event_mode_t mode)
{
    zeroipc_event_t *e = zeroipc_event_create(m, name, mode);
    assert_non_null(e);
    assert_int_equal(zeroipc_last_error(), ZEROIPC_OK);
    return keep_ev(e);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* The event's 12 bytes and its semaphore's 16 bytes. */
static void expect_ev(zeroipc_memory_t *m, const char *name, uint32_t sig,
                      uint32_t mode, uint32_t waiting, int32_t sem_count)
{
    size_t off, size;
    ut_find(m, name, &off, &size);
    assert_int_equal(size, 12);
    uint32_t want[3] = {sig, mode, waiting};
    assert_memory_equal(ut_at(m, off), want, 12);
    char sname[40];
    snprintf(sname, sizeof sname, "%s_sem", name);
    ut_find(m, sname, &off, &size);
    assert_int_equal(size, 16);
    int32_t sw[4] = {sem_count, 0, 0, 0};
    assert_memory_equal(ut_at(m, off), sw, 16);
}

/* ------------------------------------------------------------------ */
/* Layout. */

static void test_layout(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "el", 8192, 8);
    zeroipc_event_t *a = mkev(m, "a", ZEROIPC_EVENT_AUTO);
    zeroipc_event_t *b = mkev(m, "b", ZEROIPC_EVENT_MANUAL);
    expect_ev(m, "a", 0, 0, 0, 0);
    expect_ev(m, "b", 0, 1, 0, 0);
    assert_int_equal(zeroipc_event_mode(a), ZEROIPC_EVENT_AUTO);
    assert_int_equal(zeroipc_event_mode(b), ZEROIPC_EVENT_MANUAL);
    /* Entries in order: a, a_sem, b, b_sem; a_sem right after a's 12
     * bytes padded to 8. */
    zeroipc_entry_t e[4];
    size_t n = 0;
    assert_int_equal(zeroipc_table_entries(m, e, 4, &n), ZEROIPC_OK);
    assert_int_equal(n, 4);
    assert_string_equal(e[0].name, "a");
    assert_string_equal(e[1].name, "a_sem");
    assert_string_equal(e[2].name, "b");
    assert_string_equal(e[3].name, "b_sem");
    assert_int_equal(e[1].offset, e[0].offset + 16);
    assert_int_equal(e[0].size, ZEROIPC_EVENT_SIZE);
}

/* ------------------------------------------------------------------ */
/* The test vectors. */

static bool vec_path(char *buf, size_t n, const char *file)
{
    const char *dir = getenv("ZEROIPC_VECTORS");
    if (dir == NULL || *dir == '\0')
        return false;
    snprintf(buf, n, "%s/%s", dir, file);
    return access(buf, R_OK) == 0;
}

struct vec_ev {
    const char *file, *name;
    size_t off, sem_off;
    uint32_t w[3];
    int32_t s[4];
    zeroipc_event_mode_t mode;
};

static const struct vec_ev vecs[] = {
    /* ManualReset; signal (does not release the semaphore). */
    {"cpp_all.seg", "ev", 3880, 3896, {1, 1, 0}, {0, 0, 0, 0}, ZEROIPC_EVENT_MANUAL},
    /* AUTO_RESET; signal (releases the semaphore once). */
    {"py_core.seg", "p_ev", 3448, 3464, {1, 0, 0}, {1, 0, 0, 0}, ZEROIPC_EVENT_AUTO},
};

static void test_vectors(void **state)
{
    (void)state;
    char path[4096], seg[2][ZT_NAME_MAX];
    if (!vec_path(path, sizeof path, "cpp_all.seg"))
        skip();
    zeroipc_memory_t *n = ut_seg(NULL, "vr", 8192, 8);
    for (size_t i = 0; i < 2; i++) {
        const struct vec_ev *v = &vecs[i];
        assert_true(vec_path(path, sizeof path, v->file));
        /* The file holds what the manifest says. */
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        uint32_t w[3];
        int32_t s[4];
        assert_int_equal(fseek(f, (long)v->off, SEEK_SET), 0);
        assert_int_equal(fread(w, 4, 3, f), 3);
        assert_int_equal(fseek(f, (long)v->sem_off, SEEK_SET), 0);
        assert_int_equal(fread(s, 4, 4, f), 4);
        fclose(f);
        assert_memory_equal(w, v->w, 12);
        assert_memory_equal(s, v->s, 16);

        /* Opened through the API. */
        assert_int_equal(zt_copy_to_shm(path, seg[i], "ve"), 0);
        zeroipc_memory_t *m = ut_open(seg[i]);
        zeroipc_event_t *e = keep_ev(zeroipc_event_open(m, v->name));
        assert_non_null(e);
        assert_int_equal(zeroipc_event_mode(e), (int)v->mode);
        assert_true(zeroipc_event_is_set(e));
        /* Operated on: the waiter passes; an auto one takes the signal and
         * its token. */
        assert_int_equal(zeroipc_event_try_wait(e), ZEROIPC_OK);
        uint32_t after[3];
        ut_peek(seg[i], v->off, after, 12);
        int32_t safter[4];
        ut_peek(seg[i], v->sem_off, safter, 16);
        if (v->mode == ZEROIPC_EVENT_AUTO) {
            assert_int_equal(after[0], 0);
            assert_int_equal(safter[0], 0);
            assert_int_equal(zeroipc_event_try_wait(e), ZEROIPC_ERROR_TIMEOUT);
        } else {
            assert_int_equal(after[0], 1);
            assert_int_equal(zeroipc_event_try_wait(e), ZEROIPC_OK);
            assert_int_equal(zeroipc_event_reset(e), ZEROIPC_OK);
            assert_false(zeroipc_event_is_set(e));
        }

        /* The same operations from scratch write the same bytes. */
        zeroipc_event_t *r = mkev(n, v->name, v->mode);
        assert_int_equal(zeroipc_event_set(r), ZEROIPC_OK);
        expect_ev(n, v->name, v->w[0], v->w[1], v->w[2], v->s[0]);
    }
    /* Neither a 16-byte semaphore nor a latch is an event. */
    zeroipc_memory_t *m = ut_open(seg[0]);
    UT_EXPECT_NULL(zeroipc_event_open(m, "sem"), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_event_open(m, "once"), ZEROIPC_ERROR_WRONG_KIND);
}

/* ------------------------------------------------------------------ */
/* Errors. */

static void test_create_errors(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "ce", 4096, 5);
    char name[40];
    UT_EXPECT_NULL(zeroipc_event_create(NULL, "e", ZEROIPC_EVENT_AUTO),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_event_create(m, NULL, ZEROIPC_EVENT_AUTO),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_event_create(m, "", ZEROIPC_EVENT_AUTO),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_event_create(m, "e", (zeroipc_event_mode_t)2),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    /* The base name leaves room for "_sem": 27 bytes at most. */
    UT_EXPECT_NULL(zeroipc_event_create(m, ut_len_name(name, 28, 'e'),
                                        ZEROIPC_EVENT_AUTO),
                   ZEROIPC_ERROR_NAME_TOO_LONG);
    UT_EXPECT_NULL(zeroipc_event_create(m, ut_len_name(name, 32, 'e'),
                                        ZEROIPC_EVENT_AUTO),
                   ZEROIPC_ERROR_NAME_TOO_LONG);
    UT_EXPECT_NULL(zeroipc_event_open(m, ut_len_name(name, 28, 'e')),
                   ZEROIPC_ERROR_NAME_TOO_LONG);
    assert_int_equal(zeroipc_table_count(m), 0);
    mkev(m, ut_len_name(name, 27, 'e'), ZEROIPC_EVENT_MANUAL);
    strcat(name, "_sem");
    size_t off;
    ut_find(m, name, &off, NULL);
    assert_int_equal(strlen(name), 31);
    assert_int_equal(zeroipc_table_count(m), 2);

    /* Either name taken: nothing added. */
    assert_int_equal(zeroipc_table_add(m, "x_sem", 4, &off), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_event_create(m, "x", ZEROIPC_EVENT_AUTO),
                   ZEROIPC_ERROR_ALREADY_EXISTS);
    assert_int_equal(zeroipc_table_count(m), 3);
    UT_EXPECT_NULL(zeroipc_event_create(m, name, ZEROIPC_EVENT_AUTO),
                   ZEROIPC_ERROR_NAME_TOO_LONG);
    ut_len_name(name, 27, 'e');
    UT_EXPECT_NULL(zeroipc_event_create(m, name, ZEROIPC_EVENT_AUTO),
                   ZEROIPC_ERROR_ALREADY_EXISTS);
    /* One free entry of five: TABLE_FULL, and it stays free. */
    assert_int_equal(zeroipc_table_add(m, "pad", 4, &off), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_event_create(m, "y", ZEROIPC_EVENT_AUTO),
                   ZEROIPC_ERROR_TABLE_FULL);
    assert_int_equal(zeroipc_table_count(m), 4);
    UT_EXPECT_NULL(zeroipc_event_open(m, "y"), ZEROIPC_ERROR_NOT_FOUND);

    /* Room for the event but not its semaphore: SIZE, nothing added. */
    size_t data = 32 + 48 * 4;
    zeroipc_memory_t *t = ut_seg(NULL, "tiny", data + 16 + 8, 4);
    UT_EXPECT_NULL(zeroipc_event_create(t, "e", ZEROIPC_EVENT_AUTO),
                   ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_table_count(t), 0);
    zeroipc_memory_t *t2 = ut_seg(NULL, "fit", data + 32, 4);
    mkev(t2, "e", ZEROIPC_EVENT_AUTO);
}

static void test_open_errors(void **state)
{
    (void)state;
    const char *seg;
    zeroipc_memory_t *m = ut_seg(&seg, "oe", 8192, 16);
    size_t off;
    UT_EXPECT_NULL(zeroipc_event_open(NULL, "e"), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_event_open(m, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_event_open(m, "e"), ZEROIPC_ERROR_NOT_FOUND);

    /* An event without its companion is damaged: CORRUPT. */
    assert_int_equal(zeroipc_table_add(m, "lone", 12, &off), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_event_open(m, "lone"), ZEROIPC_ERROR_CORRUPT);
    /* A companion of the wrong size, or not a semaphore: WRONG_KIND. */
    assert_int_equal(zeroipc_table_add(m, "w", 12, &off), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_add(m, "w_sem", 12, &off), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_event_open(m, "w"), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_table_add(m, "v", 12, &off), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_add(m, "v_sem", 16, &off), ZEROIPC_OK);
    ut_poke32(seg, off + 8, (uint32_t)-1);
    UT_EXPECT_NULL(zeroipc_event_open(m, "v"), ZEROIPC_ERROR_WRONG_KIND);
    ut_poke32(seg, off + 8, 0);
    ut_poke32(seg, off, (uint32_t)-1);
    UT_EXPECT_NULL(zeroipc_event_open(m, "v"), ZEROIPC_ERROR_CORRUPT);
    ut_poke32(seg, off, 0);
    keep_ev(zeroipc_event_open(m, "v"));

    /* The event itself: size, mode. */
    assert_int_equal(zeroipc_table_add(m, "big", 16, &off), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_add(m, "big_sem", 16, &off), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_event_open(m, "big"), ZEROIPC_ERROR_WRONG_KIND);
    mkev(m, "e", ZEROIPC_EVENT_AUTO);
    size_t eo;
    ut_find(m, "e", &eo, NULL);
    assert_int_equal(zeroipc_event_validate(ut_at(m, eo), 12), ZEROIPC_OK);
    ut_poke32(seg, eo + 4, 2);
    UT_EXPECT_NULL(zeroipc_event_open(m, "e"), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_event_validate(ut_at(m, eo), 12), ZEROIPC_ERROR_WRONG_KIND);
    ut_poke32(seg, eo + 4, 1);
    zeroipc_event_t *e = keep_ev(zeroipc_event_open(m, "e"));
    assert_int_equal(zeroipc_event_mode(e), ZEROIPC_EVENT_MANUAL);
    assert_int_equal(zeroipc_event_validate(ut_at(m, eo), 16), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_event_validate(NULL, 12), ZEROIPC_ERROR_WRONG_KIND);
}

static void test_null_handles(void **state)
{
    (void)state;
    assert_int_equal(zeroipc_event_set(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_event_reset(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_event_pulse(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_event_wait(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_event_wait_timeout(NULL, 3), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_event_try_wait(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_false(zeroipc_event_is_set(NULL));
    assert_int_equal(zeroipc_event_waiting(NULL), 0);
    assert_int_equal(zeroipc_event_mode(NULL), -1);
    zeroipc_event_close(NULL);
}

/* ------------------------------------------------------------------ */
/* Semantics, single-threaded. */

static void test_semantics(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "se", 8192, 8);
    zeroipc_event_t *man = mkev(m, "m", ZEROIPC_EVENT_MANUAL);
    assert_int_equal(zeroipc_event_try_wait(man), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(zeroipc_event_set(man), ZEROIPC_OK);
    assert_int_equal(zeroipc_event_set(man), ZEROIPC_OK);
    expect_ev(m, "m", 1, 1, 0, 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(zeroipc_event_wait(man), ZEROIPC_OK);
    assert_int_equal(zeroipc_event_reset(man), ZEROIPC_OK);
    expect_ev(m, "m", 0, 1, 0, 0);
    int64_t t0 = zt_now_ms();
    assert_int_equal(zeroipc_event_wait_timeout(man, 50), ZEROIPC_ERROR_TIMEOUT);
    int64_t dt = zt_now_ms() - t0;
    assert_true(dt >= 49 && dt < 1000);
    expect_ev(m, "m", 0, 1, 0, 0);
    /* Pulse with nobody waiting: stays reset. */
    assert_int_equal(zeroipc_event_pulse(man), ZEROIPC_OK);
    expect_ev(m, "m", 0, 1, 0, 0);

    zeroipc_event_t *au = mkev(m, "a", ZEROIPC_EVENT_AUTO);
    assert_int_equal(zeroipc_event_set(au), ZEROIPC_OK);
    expect_ev(m, "a", 1, 0, 0, 1);
    /* Setting a set event changes nothing: one token. */
    assert_int_equal(zeroipc_event_set(au), ZEROIPC_OK);
    expect_ev(m, "a", 1, 0, 0, 1);
    assert_int_equal(zeroipc_event_wait_timeout(au, 100), ZEROIPC_OK);
    expect_ev(m, "a", 0, 0, 0, 0);
    assert_int_equal(zeroipc_event_try_wait(au), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(zeroipc_event_set(au), ZEROIPC_OK);
    assert_int_equal(zeroipc_event_reset(au), ZEROIPC_OK);
    expect_ev(m, "a", 0, 0, 0, 0);
    assert_int_equal(zeroipc_event_pulse(au), ZEROIPC_OK);
    expect_ev(m, "a", 0, 0, 0, 0);
    /* A foreign peer took the token: our waiter still takes the signal. */
    assert_int_equal(zeroipc_event_set(au), ZEROIPC_OK);
    size_t so;
    ut_find(m, "a_sem", &so, NULL);
    ut_set32(m, so, 0);
    assert_int_equal(zeroipc_event_try_wait(au), ZEROIPC_OK);
    expect_ev(m, "a", 0, 0, 0, 0);
    /* The same event through a second handle. */
    zeroipc_event_t *a2 = keep_ev(zeroipc_event_open(m, "a"));
    assert_non_null(a2);
    assert_int_equal(zeroipc_event_set(a2), ZEROIPC_OK);
    assert_true(zeroipc_event_is_set(au));
    assert_int_equal(zeroipc_event_try_wait(au), ZEROIPC_OK);
    assert_false(zeroipc_event_is_set(a2));
}

/* ------------------------------------------------------------------ */
/* Threads. */

struct waiter {
    zeroipc_event_t *e;
    int32_t timeout;
    atomic_int rc; /* read by the main thread while waiters run */
    int64_t done_ms;
};

static void *wait_thread(void *arg)
{
    struct waiter *w = arg;
    int rc = zeroipc_event_wait_timeout(w->e, w->timeout);
    w->done_ms = zt_now_ms();
    atomic_store(&w->rc, rc);
    return NULL;
}

static uint32_t waiting_of(zeroipc_memory_t *m, const char *name)
{
    size_t off;
    ut_find(m, name, &off, NULL);
    return ut_get32(m, off + 8);
}

static void wait_for_waiting(zeroipc_memory_t *m, const char *name, uint32_t n)
{
    int64_t end = zt_now_ms() + 5000;
    while (waiting_of(m, name) < n && zt_now_ms() < end)
        sleep_ms(1);
    assert_true(waiting_of(m, name) >= n);
}

#define NW 4

static void start(pthread_t *t, struct waiter *w, zeroipc_event_t *e, int32_t to)
{
    for (int i = 0; i < NW; i++) {
        w[i].e = e;
        w[i].timeout = to;
        atomic_init(&w[i].rc, 1);
        w[i].done_ms = 0;
        assert_int_equal(pthread_create(&t[i], NULL, wait_thread, &w[i]), 0);
    }
}

static int join(pthread_t *t, struct waiter *w, int *timeouts)
{
    int ok = 0;
    *timeouts = 0;
    for (int i = 0; i < NW; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        ok += w[i].rc == ZEROIPC_OK;
        *timeouts += w[i].rc == ZEROIPC_ERROR_TIMEOUT;
    }
    return ok;
}

static void test_threads(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "th", 8192, 8);
    zeroipc_event_t *man = mkev(m, "m", ZEROIPC_EVENT_MANUAL);
    zeroipc_event_t *au = mkev(m, "a", ZEROIPC_EVENT_AUTO);
    pthread_t t[NW];
    struct waiter w[NW];
    int to;

    /* Manual set wakes every waiter, at once. */
    start(t, w, man, 10000);
    wait_for_waiting(m, "m", NW);
    assert_int_equal(zeroipc_event_waiting(man), NW);
    int64_t t0 = zt_now_ms();
    assert_int_equal(zeroipc_event_set(man), ZEROIPC_OK);
    assert_int_equal(join(t, w, &to), NW);
    for (int i = 0; i < NW; i++)
        assert_true(w[i].done_ms - t0 < 500);
    assert_int_equal(waiting_of(m, "m"), 0);
    assert_int_equal(zeroipc_event_reset(man), ZEROIPC_OK);

    /* Auto: each set lets exactly one through. */
    start(t, w, au, 1500);
    wait_for_waiting(m, "a", NW);
    for (int k = 1; k <= 2; k++) {
        assert_int_equal(zeroipc_event_set(au), ZEROIPC_OK);
        int64_t end = zt_now_ms() + 2000;
        int passed;
        do {
            sleep_ms(5);
            passed = 0;
            for (int i = 0; i < NW; i++)
                passed += atomic_load(&w[i].rc) == ZEROIPC_OK;
        } while (passed < k && zt_now_ms() < end);
        sleep_ms(30);
        passed = 0;
        for (int i = 0; i < NW; i++)
            passed += atomic_load(&w[i].rc) == ZEROIPC_OK;
        assert_int_equal(passed, k);
    }
    assert_int_equal(join(t, w, &to), 2);
    assert_int_equal(to, NW - 2);
    expect_ev(m, "a", 0, 0, 0, 0);

    /* Manual pulse: every waiter of the moment passes, then reset. */
    start(t, w, man, 3000);
    wait_for_waiting(m, "m", NW);
    assert_int_equal(zeroipc_event_pulse(man), ZEROIPC_OK);
    assert_false(zeroipc_event_is_set(man));
    assert_int_equal(join(t, w, &to), NW);
    expect_ev(m, "m", 0, 1, 0, 0);

    /* Auto pulse: exactly one passes, then reset. */
    start(t, w, au, 800);
    wait_for_waiting(m, "a", NW);
    assert_int_equal(zeroipc_event_pulse(au), ZEROIPC_OK);
    assert_false(zeroipc_event_is_set(au));
    assert_int_equal(join(t, w, &to), 1);
    assert_int_equal(to, NW - 1);
    expect_ev(m, "a", 0, 0, 0, 0);

    /* A peer that never wakes anyone: a plain store is seen. */
    start(t, w, man, 5000);
    wait_for_waiting(m, "m", NW);
    size_t off;
    ut_find(m, "m", &off, NULL);
    ut_set32(m, off, 1);
    assert_int_equal(join(t, w, &to), NW);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ST_TEST(test_layout),
        ST_TEST(test_vectors),
        ST_TEST(test_create_errors),
        ST_TEST(test_open_errors),
        ST_TEST(test_null_handles),
        ST_TEST(test_semantics),
        ST_TEST(test_threads),
    };
    return UT_RUN(tests);
}
