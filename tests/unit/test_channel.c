/*
 * test_channel.c - zeroipc_channel.h: the public C++'s bytes (chb_*,
 * chu_*), buffered and unbuffered sends and receives (rendezvous with a
 * thread), close, timeouts, recovery of a stuck slot, open's inference
 * and checks, and every error path.
 */
#include <pthread.h>

#include "unit_common.h"

static zeroipc_channel_t *ch_kept[64];
static int ch_nkept;

static zeroipc_channel_t *keep(zeroipc_channel_t *c)
{
    if (c != NULL && ch_nkept < 64)
        ch_kept[ch_nkept++] = c;
    return c;
}

static int teardown(void **state)
{
    while (ch_nkept > 0)
        zeroipc_channel_close(ch_kept[--ch_nkept]);
    return ut_teardown(state);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, ut_setup, teardown)

static zeroipc_channel_t *must(zeroipc_channel_t *c, const char *what)
{
    if (c == NULL)
        fail_msg("%s -> NULL (%d)", what, (int)zeroipc_last_error());
    return keep(c);
}
#define MUST(expr) must((expr), #expr)

static zeroipc_memory_t *seg(const char **name)
{
    return ut_seg(name, "chan", 1 << 20, 32);
}

/* ------------------------------------------------------------------ */

static void test_vectors_bytes(void **state)
{
    (void)state;
    const char *dir = getenv("ZEROIPC_VECTORS");
    char path[4096];
    snprintf(path, sizeof path, "%s/cpp_all.seg", dir ? dir : "");
    FILE *f = dir ? fopen(path, "rb") : NULL;
    if (f == NULL)
        skip();
    static uint8_t img[262144];
    size_t len = fread(img, 1, sizeof img, f);
    fclose(f);
    assert_int_equal(len, sizeof img);

    zeroipc_memory_t *m = seg(NULL);
    zeroipc_channel_t *b = MUST(zeroipc_channel_create(m, "chb", 4, 3));
    for (int32_t v = 7; v <= 9; v++)
        assert_int_equal(zeroipc_channel_send(b, &v), ZEROIPC_OK);
    MUST(zeroipc_channel_create(m, "chu", 4, 0));
    static const struct { const char *name; size_t off, size; } want[] = {
        {"chb_header", 6120, 32}, {"chb_buffer", 6152, 48},
        {"chu_header", 6200, 32}, {"chu_slot", 6232, 8}};
    for (size_t i = 0; i < 4; i++) {
        size_t off, size;
        ut_find(m, want[i].name, &off, &size);
        assert_int_equal(size, want[i].size);
        if (memcmp(ut_at(m, off), img + want[i].off, size) != 0)
            fail_msg("%s differs from cpp_all.seg", want[i].name);
    }
    /* And it reads back through a fresh handle, inferred. */
    zeroipc_channel_t *o = MUST(zeroipc_channel_open(m, "chb"));
    int32_t v;
    assert_int_equal(zeroipc_channel_recv(o, &v), ZEROIPC_OK);
    assert_int_equal(v, 7);
    zeroipc_channel_t *u = MUST(zeroipc_channel_open(m, "chu"));
    assert_int_equal(zeroipc_channel_elem_size(u), 4);
    assert_int_equal(zeroipc_channel_capacity(u), 0);
}

static void test_buffered(void **state)
{
    (void)state;
    zeroipc_memory_t *m = seg(NULL);
    zeroipc_channel_t *c = MUST(zeroipc_channel_create(m, "c", 8, 3));
    assert_int_equal(zeroipc_channel_capacity(c), 4);
    assert_int_equal(zeroipc_channel_elem_size(c), 8);
    zeroipc_channel_t *one = MUST(zeroipc_channel_create(m, "one", 4, 1));
    assert_int_equal(zeroipc_channel_capacity(one), 2);
    uint64_t v;
    for (v = 1; v <= 4; v++)
        assert_int_equal(zeroipc_channel_try_send(c, &v), ZEROIPC_OK);
    assert_int_equal(zeroipc_channel_size(c), 4);
    assert_int_equal(zeroipc_channel_try_send(c, &v), ZEROIPC_ERROR_TIMEOUT);
    int64_t t0 = zt_now_ms();
    assert_int_equal(zeroipc_channel_send_timeout(c, &v, 40), ZEROIPC_ERROR_TIMEOUT);
    assert_true(zt_now_ms() - t0 >= 35);
    assert_int_equal(zeroipc_channel_senders(c), 0); /* the waiter left */
    for (uint64_t want = 1; want <= 4; want++) {
        assert_int_equal(zeroipc_channel_recv(c, &v), ZEROIPC_OK);
        assert_int_equal(v, want);
    }
    assert_int_equal(zeroipc_channel_try_recv(c, &v), ZEROIPC_ERROR_TIMEOUT);
    t0 = zt_now_ms();
    assert_int_equal(zeroipc_channel_recv_timeout(c, &v, 40), ZEROIPC_ERROR_TIMEOUT);
    assert_true(zt_now_ms() - t0 >= 35);
    assert_int_equal(zeroipc_channel_receivers(c), 0);
    /* No send ever found a receiver asleep: the doorbell never moved. */
    size_t hoff;
    ut_find(m, "c_header", &hoff, NULL);
    assert_int_equal(ut_get64(m, hoff + 16), 0);
}

static void test_close_buffered(void **state)
{
    (void)state;
    zeroipc_memory_t *m = seg(NULL);
    zeroipc_channel_t *c = MUST(zeroipc_channel_create(m, "c", 4, 8));
    int32_t v = 1;
    assert_int_equal(zeroipc_channel_send(c, &v), ZEROIPC_OK);
    v = 2;
    assert_int_equal(zeroipc_channel_send(c, &v), ZEROIPC_OK);
    assert_false(zeroipc_channel_is_closed(c));
    assert_int_equal(zeroipc_channel_shutdown(c), ZEROIPC_OK);
    assert_int_equal(zeroipc_channel_shutdown(c), ZEROIPC_OK);
    assert_true(zeroipc_channel_is_closed(c));
    assert_int_equal(zeroipc_channel_send(c, &v), ZEROIPC_ERROR_CLOSED);
    assert_int_equal(zeroipc_channel_try_send(c, &v), ZEROIPC_ERROR_CLOSED);
    assert_int_equal(zeroipc_channel_recv(c, &v), ZEROIPC_OK);
    assert_int_equal(v, 1);
    assert_int_equal(zeroipc_channel_try_recv(c, &v), ZEROIPC_OK);
    assert_int_equal(v, 2);
    assert_int_equal(zeroipc_channel_recv(c, &v), ZEROIPC_ERROR_CLOSED);
    assert_int_equal(zeroipc_channel_try_recv(c, &v), ZEROIPC_ERROR_CLOSED);
    size_t hoff;
    ut_find(m, "c_header", &hoff, NULL);
    assert_int_equal(*ut_at(m, hoff + 12), 1);
}

/* ------------------------------------------------------------------ */
/* Unbuffered, with a thread on the other side. */

struct peer {
    zeroipc_channel_t *c;
    int32_t value;
    int rc;
    int delay_ms;
    int64_t at; /* when the call returned */
};

static void *receiver(void *arg)
{
    struct peer *p = arg;
    if (p->delay_ms) {
        struct timespec ts = {0, (long)p->delay_ms * 1000000L};
        nanosleep(&ts, NULL);
    }
    p->rc = zeroipc_channel_recv_timeout(p->c, &p->value, 5000);
    p->at = zt_now_ms();
    return NULL;
}

static void *sender(void *arg)
{
    struct peer *p = arg;
    p->rc = zeroipc_channel_send_timeout(p->c, &p->value, 5000);
    p->at = zt_now_ms();
    return NULL;
}

static void test_unbuffered(void **state)
{
    (void)state;
    zeroipc_memory_t *m = seg(NULL);
    zeroipc_channel_t *c = MUST(zeroipc_channel_create(m, "u", 4, 0));
    size_t hoff, soff, ssize;
    ut_find(m, "u_header", &hoff, NULL);
    ut_find(m, "u_slot", &soff, &ssize);
    assert_int_equal(ssize, 8);
    int32_t v = 5;
    /* Nobody receives: try gives up at once, a timed send withdraws. */
    assert_int_equal(zeroipc_channel_try_send(c, &v), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(zeroipc_channel_send_timeout(c, &v, 30), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(ut_get64(m, hoff + 16) % 4, 0); /* FREE again */
    assert_int_equal(*ut_at(m, soff), 0);            /* ready 0 */
    assert_int_equal(zeroipc_channel_try_recv(c, &v), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(zeroipc_channel_recv_timeout(c, &v, 20), ZEROIPC_ERROR_TIMEOUT);

    /* Rendezvous: the send returns after the late receiver got it. */
    struct peer r = {c, 0, -99, 80, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, receiver, &r), 0);
    int64_t t0 = zt_now_ms();
    v = 1234;
    assert_int_equal(zeroipc_channel_send(c, &v), ZEROIPC_OK);
    int64_t sent = zt_now_ms();
    pthread_join(t, NULL);
    assert_int_equal(r.rc, ZEROIPC_OK);
    assert_int_equal(r.value, 1234);
    assert_true(sent - t0 >= 75);
    assert_int_equal(ut_get64(m, hoff + 24), 1);  /* one hand-off */
    assert_int_equal(*ut_at(m, soff + 1), 1);     /* consumed */

    /* try_send succeeds when a receiver already waits. */
    struct peer r2 = {c, 0, -99, 0, 0};
    assert_int_equal(pthread_create(&t, NULL, receiver, &r2), 0);
    while (zeroipc_channel_receivers(c) == 0)
        sched_yield();
    v = 77;
    assert_int_equal(zeroipc_channel_try_send(c, &v), ZEROIPC_OK);
    pthread_join(t, NULL);
    assert_int_equal(r2.value, 77);

    /* A sender waiting for its receiver sees the close. */
    struct peer s = {c, 9, -99, 0, 0};
    assert_int_equal(pthread_create(&t, NULL, sender, &s), 0);
    while (ut_get64(m, hoff + 16) % 4 != 2)
        sched_yield();
    assert_int_equal(zeroipc_channel_shutdown(c), ZEROIPC_OK);
    pthread_join(t, NULL);
    assert_int_equal(s.rc, ZEROIPC_ERROR_CLOSED);
    assert_int_equal(zeroipc_channel_send(c, &v), ZEROIPC_ERROR_CLOSED);
    assert_int_equal(zeroipc_channel_recv(c, &v), ZEROIPC_ERROR_CLOSED);
}

/* A receiver asleep on an unbuffered channel wakes at the close. */
static void test_unbuffered_close_wakes(void **state)
{
    (void)state;
    zeroipc_memory_t *m = seg(NULL);
    zeroipc_channel_t *c = MUST(zeroipc_channel_create(m, "u", 4, 0));
    zeroipc_channel_t *b = MUST(zeroipc_channel_create(m, "b", 4, 2));
    struct peer r = {c, 0, -99, 0, 0}, rb = {b, 0, -99, 0, 0};
    pthread_t t, tb;
    assert_int_equal(pthread_create(&t, NULL, receiver, &r), 0);
    assert_int_equal(pthread_create(&tb, NULL, receiver, &rb), 0);
    while (zeroipc_channel_receivers(c) == 0 || zeroipc_channel_receivers(b) == 0)
        sched_yield();
    int64_t t0 = zt_now_ms();
    assert_int_equal(zeroipc_channel_shutdown(c), ZEROIPC_OK);
    assert_int_equal(zeroipc_channel_shutdown(b), ZEROIPC_OK);
    pthread_join(t, NULL);
    pthread_join(tb, NULL);
    assert_int_equal(r.rc, ZEROIPC_ERROR_CLOSED);
    assert_int_equal(rb.rc, ZEROIPC_ERROR_CLOSED);
    assert_true(r.at - t0 < 1000 && rb.at - t0 < 1000);
}

static void test_recover(void **state)
{
    (void)state;
    zeroipc_memory_t *m = seg(NULL);
    zeroipc_channel_t *c = MUST(zeroipc_channel_create(m, "u", 4, 0));
    zeroipc_channel_t *b = MUST(zeroipc_channel_create(m, "b", 4, 2));
    size_t hoff;
    ut_find(m, "u_header", &hoff, NULL);
    int32_t v = 1;
    assert_int_equal(zeroipc_channel_recover(c), ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_channel_recover(b), ZEROIPC_ERROR_NOT_FOUND);
    ut_set64(m, hoff + 16, 1); /* a sender died while WRITING */
    assert_int_equal(zeroipc_channel_send_timeout(c, &v, 20), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(zeroipc_channel_recv_timeout(c, &v, 20), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(zeroipc_channel_recover(c), ZEROIPC_OK);
    assert_int_equal(ut_get64(m, hoff + 16), 4);
    ut_set64(m, hoff + 16, 7); /* a receiver died while TAKING */
    assert_int_equal(zeroipc_channel_recover(c), ZEROIPC_OK);
    assert_int_equal(ut_get64(m, hoff + 16), 8);
    assert_int_equal(zeroipc_channel_recover(c), ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_channel_recover(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    /* A value published by a sender that then died is taken normally. */
    size_t soff;
    ut_find(m, "u_slot", &soff, NULL);
    ut_set32(m, soff + 4, 31337);
    ut_set64(m, hoff + 16, 10);
    assert_int_equal(zeroipc_channel_try_recv(c, &v), ZEROIPC_OK);
    assert_int_equal(v, 31337);
    assert_int_equal(ut_get64(m, hoff + 16), 12);
}

/* ------------------------------------------------------------------ */
/* Open, validate, arguments. */

static void test_open(void **state)
{
    (void)state;
    zeroipc_memory_t *m = seg(NULL);
    MUST(zeroipc_channel_create(m, "b", 12, 4));
    MUST(zeroipc_channel_create(m, "u1", 1, 0));
    MUST(zeroipc_channel_create(m, "u8", 8, 0));
    MUST(zeroipc_channel_create(m, "u6", 6, 0));
    assert_int_equal(zeroipc_channel_elem_size(MUST(zeroipc_channel_open(m, "b"))), 12);
    assert_int_equal(zeroipc_channel_capacity(MUST(zeroipc_channel_open(m, "b"))), 4);
    assert_int_equal(zeroipc_channel_elem_size(MUST(zeroipc_channel_open(m, "u1"))), 1);
    assert_int_equal(zeroipc_channel_elem_size(MUST(zeroipc_channel_open(m, "u8"))), 8);
    /* 6 bytes at 2 make an 8-byte slot, read as 4 at 4 unless told. */
    assert_int_equal(zeroipc_channel_elem_size(MUST(zeroipc_channel_open(m, "u6"))), 4);
    zeroipc_channel_t *u6 = MUST(zeroipc_channel_open_elem(m, "u6", 6));
    assert_int_equal(zeroipc_channel_elem_size(u6), 6);
    UT_EXPECT_NULL(zeroipc_channel_open_elem(m, "u6", 5), ZEROIPC_ERROR_WRONG_KIND);
    UT_EXPECT_NULL(zeroipc_channel_open_elem(m, "b", 8), ZEROIPC_ERROR_WRONG_KIND);
    assert_non_null(MUST(zeroipc_channel_open_elem(m, "b", 12)));
    UT_EXPECT_NULL(zeroipc_channel_open(m, "nope"), ZEROIPC_ERROR_NOT_FOUND);
    UT_EXPECT_NULL(zeroipc_channel_open(m, "abcdefghijklmnopqrstuvwxy"), ZEROIPC_ERROR_NAME_TOO_LONG);
    UT_EXPECT_NULL(zeroipc_channel_open(NULL, "b"), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_channel_open(m, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);

    /* Hand-made damage. */
    size_t off;
    uint32_t four = 4, one = 1, zero = 0;
    assert_int_equal(zeroipc_table_add(m, "h1_header", 32, &off), ZEROIPC_OK);
    memcpy(ut_at(m, off), &four, 4);
    UT_EXPECT_NULL(zeroipc_channel_open(m, "h1"), ZEROIPC_ERROR_CORRUPT); /* no buffer */
    assert_int_equal(zeroipc_table_add(m, "h1_buffer", 16, &off), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_channel_open(m, "h1"), ZEROIPC_ERROR_CORRUPT); /* not a queue */
    assert_int_equal(zeroipc_table_add(m, "h2_header", 32, &off), ZEROIPC_OK);
    memcpy(ut_at(m, off), &one, 4);
    UT_EXPECT_NULL(zeroipc_channel_open(m, "h2"), ZEROIPC_ERROR_WRONG_KIND); /* capacity 1 */
    assert_int_equal(zeroipc_table_add(m, "h3_header", 32, &off), ZEROIPC_OK);
    memcpy(ut_at(m, off), &zero, 4);
    UT_EXPECT_NULL(zeroipc_channel_open(m, "h3"), ZEROIPC_ERROR_CORRUPT); /* no slot */
    assert_int_equal(zeroipc_table_add(m, "h3_slot", 2, &off), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_channel_open(m, "h3"), ZEROIPC_ERROR_CORRUPT); /* no data */
    assert_int_equal(zeroipc_table_add(m, "h4_header", 24, &off), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_channel_open(m, "h4"), ZEROIPC_ERROR_WRONG_KIND);
    /* A queue of another capacity behind the header. */
    MUST(zeroipc_channel_create(m, "q", 4, 8));
    size_t hoff;
    ut_find(m, "q_header", &hoff, NULL);
    ut_set32(m, hoff, 16);
    UT_EXPECT_NULL(zeroipc_channel_open(m, "q"), ZEROIPC_ERROR_CORRUPT);
    ut_set32(m, hoff, 8);
    ut_at(m, hoff)[12] = 2;
    UT_EXPECT_NULL(zeroipc_channel_open(m, "q"), ZEROIPC_ERROR_WRONG_KIND);
}

static void test_validate_and_sizes(void **state)
{
    (void)state;
    uint8_t h[32] = {0};
    assert_int_equal(zeroipc_channel_validate(h, 32), ZEROIPC_OK);
    assert_int_equal(zeroipc_channel_validate(h, 31), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_channel_validate(NULL, 32), ZEROIPC_ERROR_WRONG_KIND);
    h[0] = 6;
    assert_int_equal(zeroipc_channel_validate(h, 32), ZEROIPC_ERROR_WRONG_KIND);
    h[0] = 8;
    assert_int_equal(zeroipc_channel_validate(h, 32), ZEROIPC_OK);
    h[12] = 1;
    assert_int_equal(zeroipc_channel_validate(h, 32), ZEROIPC_OK);
    h[12] = 3;
    assert_int_equal(zeroipc_channel_validate(h, 32), ZEROIPC_ERROR_WRONG_KIND);
    assert_int_equal(zeroipc_channel_slot_size(4), 8);
    assert_int_equal(zeroipc_channel_slot_size(1), 3);
    assert_int_equal(zeroipc_channel_slot_size(2), 4);
    assert_int_equal(zeroipc_channel_slot_size(6), 8);
    assert_int_equal(zeroipc_channel_slot_size(8), 16);
    assert_int_equal(zeroipc_channel_slot_size(24), 32);
    assert_int_equal(zeroipc_channel_slot_size(0), 0);
}

static void test_arguments(void **state)
{
    (void)state;
    zeroipc_memory_t *m = seg(NULL);
    UT_EXPECT_NULL(zeroipc_channel_create(NULL, "c", 4, 1), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_channel_create(m, "", 4, 1), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_channel_create(m, "c", 0, 1), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_channel_create(m, "c", ZEROIPC_CHANNEL_ELEM_MAX + 1, 0),
                   ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_channel_create(m, "c", 4, (size_t)1 << 32), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_channel_create(m, "c", 4, 1u << 20), ZEROIPC_ERROR_SIZE); /* no room */
    UT_EXPECT_NULL(zeroipc_channel_create(m, "abcdefghijklmnopqrstuvwxy", 4, 1),
                   ZEROIPC_ERROR_NAME_TOO_LONG);
    MUST(zeroipc_channel_create(m, "abcdefghijklmnopqrstuvwx", 4, 1));
    MUST(zeroipc_channel_create(m, "c", 4, 0));
    UT_EXPECT_NULL(zeroipc_channel_create(m, "c", 4, 0), ZEROIPC_ERROR_ALREADY_EXISTS);
    assert_int_equal(zeroipc_table_add(m, "d_slot", 8, NULL), ZEROIPC_OK);
    UT_EXPECT_NULL(zeroipc_channel_create(m, "d", 4, 0), ZEROIPC_ERROR_ALREADY_EXISTS);
    UT_EXPECT_NULL(zeroipc_channel_open(m, "d"), ZEROIPC_ERROR_NOT_FOUND); /* all or none */
    zeroipc_memory_t *tiny = ut_seg(NULL, "chant", 32 + 48 * 3 + 64, 3);
    MUST(zeroipc_channel_create(tiny, "a", 4, 0));
    UT_EXPECT_NULL(zeroipc_channel_create(tiny, "b", 4, 0), ZEROIPC_ERROR_TABLE_FULL);

    zeroipc_channel_t *c = MUST(zeroipc_channel_open(m, "c"));
    int32_t v = 0;
    assert_int_equal(zeroipc_channel_send(NULL, &v), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_channel_send(c, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_channel_try_send(NULL, &v), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_channel_recv(NULL, &v), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_channel_recv(c, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_channel_try_recv(c, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_channel_shutdown(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_false(zeroipc_channel_is_closed(NULL));
    assert_int_equal(zeroipc_channel_capacity(NULL), 0);
    assert_int_equal(zeroipc_channel_elem_size(NULL), 0);
    assert_int_equal(zeroipc_channel_size(NULL), 0);
    assert_int_equal(zeroipc_channel_size(c), 0);
    assert_int_equal(zeroipc_channel_senders(NULL), 0);
    assert_int_equal(zeroipc_channel_receivers(NULL), 0);
    zeroipc_channel_close(NULL);
}

/* The send in steps: offer, look, withdraw. */
static void test_offer(void **state)
{
    (void)state;
    zeroipc_memory_t *m = seg(NULL);
    zeroipc_channel_t *u = MUST(zeroipc_channel_create(m, "u", 4, 0));
    zeroipc_channel_t *b = MUST(zeroipc_channel_create(m, "b", 4, 2));
    int32_t v = 11, w = 22, got = 0;
    uint64_t t1, t2;
    assert_int_equal(zeroipc_channel_offer(u, &v, &t1), ZEROIPC_OK);
    /* The slot is the first offer's until it is taken or withdrawn. */
    assert_int_equal(zeroipc_channel_offer(u, &w, &t2), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(zeroipc_channel_offer_taken(u, t1), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(zeroipc_channel_try_recv(u, &got), ZEROIPC_OK);
    assert_int_equal(got, 11);
    assert_int_equal(zeroipc_channel_offer_taken(u, t1), ZEROIPC_OK);
    assert_int_equal(zeroipc_channel_offer_withdraw(u, t1), ZEROIPC_ERROR_ALREADY_SET);
    /* Withdrawn before anyone took it: nothing was sent. */
    assert_int_equal(zeroipc_channel_offer(u, &w, &t2), ZEROIPC_OK);
    assert_int_equal(zeroipc_channel_offer_withdraw(u, t2), ZEROIPC_OK);
    assert_int_equal(zeroipc_channel_try_recv(u, &got), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(got, 11);
    /* A close takes an untaken offer back. */
    assert_int_equal(zeroipc_channel_offer(u, &w, &t2), ZEROIPC_OK);
    assert_int_equal(zeroipc_channel_shutdown(u), ZEROIPC_OK);
    assert_int_equal(zeroipc_channel_offer_taken(u, t2), ZEROIPC_ERROR_CLOSED);
    assert_int_equal(zeroipc_channel_try_recv(u, &got), ZEROIPC_ERROR_CLOSED);
    assert_int_equal(zeroipc_channel_offer(u, &w, &t2), ZEROIPC_ERROR_CLOSED);
    /* Buffered: delivered at once, or full. */
    assert_int_equal(zeroipc_channel_offer(b, &v, &t1), ZEROIPC_CHANNEL_DELIVERED);
    assert_int_equal(zeroipc_channel_offer(b, &w, &t1), ZEROIPC_CHANNEL_DELIVERED);
    assert_int_equal(zeroipc_channel_offer(b, &w, &t1), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(zeroipc_channel_offer_taken(b, t1), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_channel_offer(NULL, &v, &t1), ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_channel_offer(u, &v, NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_vectors_bytes),
        T(test_buffered),
        T(test_close_buffered),
        T(test_unbuffered),
        T(test_unbuffered_close_wakes),
        T(test_recover),
        T(test_open),
        T(test_validate_and_sizes),
        T(test_arguments),
        T(test_offer),
    };
    return UT_RUN(tests);
}
