/*
 * test_describe.c - zeroipc_describe and zeroipc_describe_all: kinds by
 * record and by inference, structures of several entries shown as one,
 * their parts hidden, and the guesses for 16-byte primitives.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit_common.h"
#include "zeroipc.h"

/* Describes `name`, which must exist. */
static zeroipc_info_t describe(zeroipc_memory_t *m, const char *name)
{
    zeroipc_info_t info;
    assert_int_equal(zeroipc_describe(m, name, &info), ZEROIPC_OK);
    return info;
}

/* The description of the table entry `entry` in a describe_all. */
static zeroipc_info_t entry_info(zeroipc_memory_t *m, const char *entry)
{
    zeroipc_info_t all[64];
    size_t n;
    assert_int_equal(zeroipc_describe_all(m, all, 64, &n), ZEROIPC_OK);
    for (size_t i = 0; i < n && i < 64; i++) {
        if (strcmp(all[i].entry.name, entry) == 0)
            return all[i];
    }
    fail_msg("no entry %s", entry);
    return all[0];
}

static void expect(zeroipc_memory_t *m, const char *entry, zeroipc_kind_t kind,
                   const char *name, bool hidden)
{
    zeroipc_info_t i = entry_info(m, entry);
    if (i.kind != kind || strcmp(i.name, name) != 0 || i.hidden != hidden)
        fail_msg("%s: kind %s name %s hidden %d; expected %s %s %d", entry,
                 zeroipc_kind_name(i.kind), i.name, i.hidden, zeroipc_kind_name(kind), name,
                 hidden);
}

static void test_compounds(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "dc", 1 << 16, 32);
    zeroipc_event_close(zeroipc_event_create(m, "ev", ZEROIPC_EVENT_AUTO));
    zeroipc_rwlock_close(zeroipc_rwlock_create(m, "rw"));
    zeroipc_monitor_close(zeroipc_monitor_create(m, "mon"));
    zeroipc_signal_close(zeroipc_signal_create(m, "sig", 4, NULL));
    assert_int_equal(zeroipc_table_count(m), 2 + 4 + 4 + 3);

    expect(m, "ev", ZEROIPC_KIND_EVENT, "ev", false);
    expect(m, "ev_sem", ZEROIPC_KIND_EVENT, "ev", true);
    expect(m, "rw", ZEROIPC_KIND_RWLOCK, "rw", false);
    expect(m, "rw_state", ZEROIPC_KIND_RWLOCK, "rw", true);
    expect(m, "rw_rmtx", ZEROIPC_KIND_RWLOCK, "rw", true);
    expect(m, "rw_wmtx", ZEROIPC_KIND_RWLOCK, "rw", true);
    expect(m, "mon", ZEROIPC_KIND_MONITOR, "mon", false);
    expect(m, "mon_mtx", ZEROIPC_KIND_MONITOR, "mon", true);
    expect(m, "mon_cond", ZEROIPC_KIND_MONITOR, "mon", true);
    expect(m, "mon_count", ZEROIPC_KIND_MONITOR, "mon", true);
    expect(m, "sig", ZEROIPC_KIND_SIGNAL, "sig", false);
    expect(m, "sig_state", ZEROIPC_KIND_SIGNAL, "sig", true);
    expect(m, "sig_mtx", ZEROIPC_KIND_SIGNAL, "sig", true);

    /* By name, the structure; a part is described as the part it is. */
    zeroipc_info_t i = describe(m, "rw");
    assert_int_equal(i.kind, ZEROIPC_KIND_RWLOCK);
    assert_false(i.hidden);
    i = describe(m, "rw_wmtx");
    assert_true(i.hidden);
    assert_string_equal(i.name, "rw");

    /* The signal's room is 8 bytes until a type narrows it. */
    i = describe(m, "sig");
    assert_int_equal(i.elem_size, 8);
    assert_int_equal(zeroipc_catalog_set(m, "sig", ZEROIPC_KIND_SIGNAL, "i32"), ZEROIPC_OK);
    i = describe(m, "sig");
    assert_int_equal(i.elem_size, 4);
    assert_string_equal(i.type, "i32");
    /* A type that would need another state size is recorded but does not
     * narrow anything. */
    assert_int_equal(zeroipc_catalog_set(m, "sig", ZEROIPC_KIND_SIGNAL, "i64,i64"), ZEROIPC_OK);
    assert_int_equal(describe(m, "sig").elem_size, 8);
}

/* A part without its structure, or a structure missing a part, is not
 * taken for one. */
static void test_incomplete(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "di", 1 << 16, 32);
    /* x_sem with no x. */
    zeroipc_semaphore_close(zeroipc_semaphore_create(m, "x_sem", 1, 0));
    expect(m, "x_sem", ZEROIPC_KIND_SEMAPHORE, "x_sem", false);
    /* A marker whose rwlock lost its write mutex (made by hand). */
    assert_int_equal(zeroipc_table_add(m, "r_state", 8, NULL), ZEROIPC_OK);
    zeroipc_mutex_close(zeroipc_mutex_create(m, "r_rmtx"));
    assert_int_equal(zeroipc_table_add(m, "r", 1, NULL), ZEROIPC_OK);
    expect(m, "r", ZEROIPC_KIND_UNKNOWN, "r", false);
    expect(m, "r_rmtx", ZEROIPC_KIND_MUTEX, "r_rmtx", false);
    /* An event whose companion is not a semaphore (wrong size). */
    zeroipc_event_close(zeroipc_event_create(m, "e", ZEROIPC_EVENT_MANUAL));
    assert_int_equal(zeroipc_table_add(m, "f_sem", 8, NULL), ZEROIPC_OK);
    size_t off;
    ut_find(m, "e", &off, NULL);
    assert_int_equal(zeroipc_table_add(m, "f", 12, NULL), ZEROIPC_OK);
    expect(m, "f", ZEROIPC_KIND_UNKNOWN, "f", false);
    expect(m, "e", ZEROIPC_KIND_EVENT, "e", false);
}

/* Streams and channels have no entry of their own name: their header
 * carries them (layouts built by hand from FORMAT.md). */
static void test_headers(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "dh", 1 << 16, 32);
    size_t off;
    assert_int_equal(zeroipc_table_add(m, "st_header", 56, &off), ZEROIPC_OK);
    uint32_t cap = 8;
    memcpy(ut_at(m, off + 16), &cap, 4);
    zeroipc_ring_close(zeroipc_ring_create(m, "st_buffer", 4, 8));
    expect(m, "st_header", ZEROIPC_KIND_STREAM, "st", false);
    expect(m, "st_buffer", ZEROIPC_KIND_STREAM, "st", true);
    zeroipc_info_t i = describe(m, "st");
    assert_int_equal(i.kind, ZEROIPC_KIND_STREAM);
    assert_string_equal(i.entry.name, "st_header");
    assert_int_equal(i.capacity, 8);
    assert_int_equal(i.elem_size, 4);
    /* Its record belongs to the header. */
    assert_int_equal(zeroipc_catalog_set(m, "st", ZEROIPC_KIND_STREAM, "f32"), ZEROIPC_OK);
    assert_string_equal(describe(m, "st").type, "f32");
    zeroipc_kind_t k;
    char type[64];
    assert_int_equal(zeroipc_catalog_get(m, "st", &k, type, sizeof type), ZEROIPC_OK);
    assert_int_equal(k, ZEROIPC_KIND_STREAM);

    /* A buffered channel of 4 i64 and an unbuffered one of i32. */
    assert_int_equal(zeroipc_table_add(m, "cb_header", 32, &off), ZEROIPC_OK);
    cap = 4;
    memcpy(ut_at(m, off), &cap, 4);
    zeroipc_queue_close(zeroipc_queue_create(m, "cb_buffer", 8, 4));
    i = describe(m, "cb");
    assert_int_equal(i.kind, ZEROIPC_KIND_CHANNEL);
    assert_int_equal(i.capacity, 4);
    assert_int_equal(i.elem_size, 8);
    assert_int_equal(zeroipc_table_add(m, "cu_header", 32, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_add(m, "cu_slot", 8, NULL), ZEROIPC_OK);
    i = describe(m, "cu");
    assert_int_equal(i.kind, ZEROIPC_KIND_CHANNEL);
    assert_int_equal(i.capacity, 0);
    assert_int_equal(i.elem_size, 4);
    expect(m, "cu_slot", ZEROIPC_KIND_CHANNEL, "cu", true);
    /* A queue whose capacity differs from the header's is no channel's. */
    assert_int_equal(zeroipc_table_add(m, "cx_header", 32, &off), ZEROIPC_OK);
    cap = 8;
    memcpy(ut_at(m, off), &cap, 4);
    zeroipc_queue_close(zeroipc_queue_create(m, "cx_buffer", 8, 4));
    expect(m, "cx_buffer", ZEROIPC_KIND_QUEUE, "cx_buffer", false);
    assert_int_equal(zeroipc_describe(m, "cx", &i), ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_describe(m, "nothing", &i), ZEROIPC_ERROR_NOT_FOUND);
}

/* The four 16-byte primitives: guessed from their usual states, and a
 * record is believed only when the bytes satisfy its invariants. */
static void test_sixteen(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "ds", 1 << 16, 32);
    zeroipc_semaphore_close(zeroipc_semaphore_create(m, "sem", 2, 5));
    zeroipc_semaphore_close(zeroipc_semaphore_create(m, "unb", 0, 0));
    zeroipc_mutex_close(zeroipc_mutex_create(m, "mtx"));
    zeroipc_latch_close(zeroipc_latch_create(m, "lat", 4));
    zeroipc_barrier_t *b = zeroipc_barrier_create(m, "bar", 2);
    assert_non_null(b);
    assert_int_equal(describe(m, "sem").kind, ZEROIPC_KIND_SEMAPHORE);
    assert_int_equal(describe(m, "unb").kind, ZEROIPC_KIND_SEMAPHORE);
    assert_int_equal(describe(m, "mtx").kind, ZEROIPC_KIND_MUTEX);
    assert_int_equal(describe(m, "lat").kind, ZEROIPC_KIND_LATCH);
    /* A barrier that never opened is, to the bytes, an empty semaphore. */
    assert_int_equal(describe(m, "bar").kind, ZEROIPC_KIND_SEMAPHORE);
    int32_t g;
    assert_int_equal(zeroipc_barrier_arrive(b, &g), ZEROIPC_OK);
    assert_int_equal(zeroipc_barrier_arrive(b, &g), ZEROIPC_BARRIER_LAST);
    assert_int_equal(describe(m, "bar").kind, ZEROIPC_KIND_BARRIER);
    zeroipc_barrier_close(b);
    /* Records: believed where the bytes can be it. */
    assert_int_equal(zeroipc_catalog_set(m, "unb", ZEROIPC_KIND_BARRIER, ""), ZEROIPC_OK);
    assert_int_equal(describe(m, "unb").kind, ZEROIPC_KIND_SEMAPHORE); /* 0 participants */
    assert_int_equal(zeroipc_catalog_set(m, "sem", ZEROIPC_KIND_BARRIER, ""), ZEROIPC_OK);
    assert_int_equal(describe(m, "sem").kind, ZEROIPC_KIND_BARRIER); /* 2 of 5 arrived */
    assert_int_equal(zeroipc_catalog_set(m, "sem", ZEROIPC_KIND_MUTEX, ""), ZEROIPC_OK);
    assert_int_equal(describe(m, "sem").kind, ZEROIPC_KIND_SEMAPHORE); /* max 5 */
    /* Garbage in the padding: none of them. */
    size_t off;
    ut_find(m, "lat", &off, NULL);
    uint32_t junk = 99;
    memcpy(ut_at(m, off + 12), &junk, 4);
    assert_int_not_equal(describe(m, "lat").kind, ZEROIPC_KIND_LATCH);
    /* A once is 4 bytes in state 0..2. */
    zeroipc_once_close(zeroipc_once_create(m, "once"));
    assert_int_equal(describe(m, "once").kind, ZEROIPC_KIND_ONCE);
    ut_find(m, "once", &off, NULL);
    junk = 3;
    memcpy(ut_at(m, off), &junk, 4);
    assert_int_equal(describe(m, "once").kind, ZEROIPC_KIND_UNKNOWN);
}

/* Futures and lazy values share sizes; their words tell them apart. */
static void test_codata(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "dd", 1 << 16, 32);
    zeroipc_future_t *f = zeroipc_future_create(m, "fut", 8);
    assert_non_null(f);
    zeroipc_future_close(zeroipc_future_create(m, "pend", 4));
    int32_t five = 5, seven = 7;
    int64_t big = 1;
    zeroipc_lazy_close(zeroipc_lazy_create_constant(m, "c", ZEROIPC_FIELD_I32, &five));
    zeroipc_lazy_close(zeroipc_lazy_create_add(m, "add", ZEROIPC_FIELD_I32, &five, &seven));
    zeroipc_lazy_close(zeroipc_lazy_create_constant(m, "c64", ZEROIPC_FIELD_I64, &big));
    zeroipc_lazy_close(zeroipc_lazy_create_external(m, "ext", ZEROIPC_FIELD_F64, 3));
    double v = 3.25;
    assert_int_equal(zeroipc_future_set(f, &v), ZEROIPC_OK);
    zeroipc_future_close(f);
    const char *futures[] = {"fut", "pend"}, *lazies[] = {"c", "add", "c64", "ext"};
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(describe(m, futures[i]).kind, ZEROIPC_KIND_FUTURE);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(describe(m, lazies[i]).kind, ZEROIPC_KIND_LAZY);
    assert_int_equal(describe(m, "fut").elem_size, 8);
    assert_int_equal(describe(m, "c64").elem_size, 8);
    /* A recorded type narrows the size when it fits the entry. */
    assert_int_equal(zeroipc_catalog_set(m, "pend", ZEROIPC_KIND_FUTURE, "u16"), ZEROIPC_OK);
    assert_int_equal(describe(m, "pend").elem_size, 2);
    assert_int_equal(zeroipc_catalog_set(m, "c", ZEROIPC_KIND_LAZY, "f32"), ZEROIPC_OK);
    assert_int_equal(describe(m, "c").elem_size, 4);
    assert_int_equal(zeroipc_catalog_set(m, "c", ZEROIPC_KIND_LAZY, "f64"), ZEROIPC_OK);
    assert_int_equal(describe(m, "c").elem_size, 4); /* f64 lazies are 304 bytes */
    /* A pending future's zero bytes are a CONSTANT lazy never computed:
     * only a record says so. */
    assert_int_equal(zeroipc_catalog_set(m, "pend", ZEROIPC_KIND_LAZY, ""), ZEROIPC_OK);
    assert_int_equal(describe(m, "pend").kind, ZEROIPC_KIND_LAZY);
}

static void test_kind_names(void **state)
{
    (void)state;
    for (int k = ZEROIPC_KIND_ARRAY; k <= ZEROIPC_KIND_CHANNEL; k++) {
        const char *n = zeroipc_kind_name((zeroipc_kind_t)k);
        assert_string_not_equal(n, "unknown");
        assert_int_equal(zeroipc_kind_from_name(n), k);
    }
    assert_string_equal(zeroipc_kind_name((zeroipc_kind_t)(ZEROIPC_KIND_CHANNEL + 1)), "unknown");
    assert_int_equal(zeroipc_kind_from_name("futures"), ZEROIPC_KIND_UNKNOWN);
    zeroipc_info_t i;
    assert_int_equal(zeroipc_describe(NULL, "x", &i), ZEROIPC_ERROR_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UT_TEST(test_compounds),
        UT_TEST(test_incomplete),
        UT_TEST(test_headers),
        UT_TEST(test_sixteen),
        UT_TEST(test_codata),
        UT_TEST(test_kind_names),
    };
    return UT_RUN(tests);
}
