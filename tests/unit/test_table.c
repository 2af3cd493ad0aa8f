/* test_table.c - zeroipc_table_add/find/remove/count/capacity/entries:
 * byte layout, every error, corrupt tables, concurrent adds. */
#include <pthread.h>

#include "unit_common.h"

static void check_entry(zeroipc_memory_t *m, size_t i, const char *name,
                        uint64_t off, uint64_t size)
{
    const char *e = (const char *)ut_at(m, UT_ENTRY(i));
    size_t n = strlen(name);
    assert_memory_equal(e, name, n);
    /* NUL-terminated and zero-padded. */
    for (size_t k = n; k < 32; k++)
        if (e[k] != 0)
            fail_msg("entry %zu name byte %zu is %d", i, k, e[k]);
    assert_int_equal(ut_get64(m, UT_ENTRY(i) + UT_E_OFFSET), off);
    assert_int_equal(ut_get64(m, UT_ENTRY(i) + UT_E_SIZE), size);
}

static void test_add_layout(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "al", 4096, 8);
    const size_t sizes[] = {1, 3, 8, 13, 16, 7};
    size_t expect = UT_TABLE_END(8);
    for (size_t i = 0; i < 6; i++) {
        char name[8];
        snprintf(name, sizeof name, "s%zu", i);
        size_t off = 0;
        assert_int_equal(zeroipc_table_add(m, name, sizes[i], &off),
                         ZEROIPC_OK);
        expect = UT_ALIGN8(expect);
        assert_int_equal(off, expect);
        assert_int_equal(off % 8, 0);
        check_entry(m, i, name, off, sizes[i]); /* size not rounded */
        expect += sizes[i];
        assert_int_equal(ut_get32(m, UT_H_COUNT), i + 1);
        assert_int_equal(ut_get64(m, UT_H_NEXT), expect);
        assert_int_equal(zeroipc_table_count(m), i + 1);
        size_t f, s;
        ut_find(m, name, &f, &s);
        assert_int_equal(f, off);
        assert_int_equal(s, sizes[i]);
    }
    /* offset may be NULL. */
    assert_int_equal(zeroipc_table_add(m, "nooff", 4, NULL), ZEROIPC_OK);
    check_entry(m, 6, "nooff", UT_ALIGN8(expect), 4);
    /* The header fields the table does not own are untouched. */
    assert_int_equal(ut_get32(m, UT_H_MAGIC), ZEROIPC_MAGIC);
    assert_int_equal(ut_get32(m, UT_H_VERSION), 2);
    assert_int_equal(ut_get32(m, UT_H_MAX), 8);
    assert_int_equal(ut_get64(m, UT_H_MEMSIZE), 4096);
}

static void test_find_outputs(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "fo", 4096, 4);
    size_t off;
    assert_int_equal(zeroipc_table_add(m, "x", 40, &off), ZEROIPC_OK);
    size_t f = 0, s = 0;
    assert_int_equal(zeroipc_table_find(m, "x", NULL, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_find(m, "x", &f, NULL), ZEROIPC_OK);
    assert_int_equal(f, off);
    assert_int_equal(zeroipc_table_find(m, "x", NULL, &s), ZEROIPC_OK);
    assert_int_equal(s, 40);
    /* Exact match only: no prefixes. */
    assert_int_equal(zeroipc_table_find(m, "xx", NULL, NULL),
                     ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_table_add(m, "xyz", 8, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_find(m, "xy", NULL, NULL),
                     ZEROIPC_ERROR_NOT_FOUND);
}

static void test_name_lengths(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "nl", 4096, 4);
    char n31[32], n32[33], n100[101];
    ut_len_name(n31, 31, 'A');
    ut_len_name(n32, 32, 'A');
    ut_len_name(n100, 100, 'A');
    uint64_t next = ut_get64(m, UT_H_NEXT);

    assert_int_equal(zeroipc_table_add(m, n32, 8, NULL),
                     ZEROIPC_ERROR_NAME_TOO_LONG);
    assert_int_equal(zeroipc_table_add(m, n100, 8, NULL),
                     ZEROIPC_ERROR_NAME_TOO_LONG);
    assert_int_equal(zeroipc_table_count(m), 0);
    assert_int_equal(ut_get64(m, UT_H_NEXT), next);

    size_t off;
    assert_int_equal(zeroipc_table_add(m, n31, 8, &off), ZEROIPC_OK);
    check_entry(m, 0, n31, off, 8);
    assert_int_equal(*ut_at(m, UT_ENTRY(0) + 31), 0);
    assert_int_equal(zeroipc_table_find(m, n31, NULL, NULL), ZEROIPC_OK);
    /* Looking up / removing a 32-byte name never matches the 31-byte one. */
    assert_int_equal(zeroipc_table_find(m, n32, NULL, NULL),
                     ZEROIPC_ERROR_NAME_TOO_LONG);
    assert_int_equal(zeroipc_table_remove(m, n32),
                     ZEROIPC_ERROR_NAME_TOO_LONG);
    assert_int_equal(zeroipc_table_count(m), 1);

    /* One byte is enough. */
    assert_int_equal(zeroipc_table_add(m, "z", 8, NULL), ZEROIPC_OK);
    /* A name is data: any bytes but '\0' (the dot names of our catalogue). */
    assert_int_equal(zeroipc_table_add(m, ".hidden name!", 8, NULL),
                     ZEROIPC_OK);
    assert_int_equal(zeroipc_table_find(m, ".hidden name!", NULL, NULL),
                     ZEROIPC_OK);
}

static void test_add_errors(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "ae", 1024, 3);
    assert_int_equal(zeroipc_table_add(m, "a", 8, NULL), ZEROIPC_OK);
    uint64_t next = ut_get64(m, UT_H_NEXT);
    size_t off = 12345;

    assert_int_equal(zeroipc_table_add(NULL, "b", 8, &off),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_table_add(m, NULL, 8, &off),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_table_add(m, "", 8, &off),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_table_add(m, "b", 0, &off),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_table_add(m, "a", 8, &off),
                     ZEROIPC_ERROR_ALREADY_EXISTS);
    size_t room = 1024 - UT_ALIGN8(next);
    assert_int_equal(zeroipc_table_add(m, "b", room + 1, &off),
                     ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_table_add(m, "b", SIZE_MAX, &off),
                     ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_table_add(m, "b", SIZE_MAX - 7, &off),
                     ZEROIPC_ERROR_SIZE);
    /* No failure moved the bump pointer, counted or wrote an entry. */
    assert_int_equal(off, 12345);
    assert_int_equal(ut_get64(m, UT_H_NEXT), next);
    assert_int_equal(ut_get32(m, UT_H_COUNT), 1);
    for (size_t k = 0; k < 48; k++)
        assert_int_equal(*ut_at(m, UT_ENTRY(1) + k), 0);
    assert_int_equal(zeroipc_table_find(m, "b", NULL, NULL),
                     ZEROIPC_ERROR_NOT_FOUND);

    /* Exactly the room left fits. */
    assert_int_equal(zeroipc_table_add(m, "b", room, &off), ZEROIPC_OK);
    assert_int_equal(off + room, 1024);
    assert_int_equal(ut_get64(m, UT_H_NEXT), 1024);
    assert_int_equal(zeroipc_table_add(m, "c", 1, NULL), ZEROIPC_ERROR_SIZE);
    assert_int_equal(ut_get32(m, UT_H_COUNT), 2);
    assert_int_equal(ut_get64(m, UT_H_NEXT), 1024);
}

static void test_table_full(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "tf", 4096, 3);
    assert_int_equal(zeroipc_table_capacity(m), 3);
    for (int i = 0; i < 3; i++) {
        char n[8];
        snprintf(n, sizeof n, "e%d", i);
        assert_int_equal(zeroipc_table_add(m, n, 16, NULL), ZEROIPC_OK);
    }
    uint64_t next = ut_get64(m, UT_H_NEXT);
    assert_int_equal(zeroipc_table_add(m, "e3", 16, NULL),
                     ZEROIPC_ERROR_TABLE_FULL);
    assert_int_equal(zeroipc_table_add(m, "e4", 1, NULL),
                     ZEROIPC_ERROR_TABLE_FULL);
    assert_int_equal(ut_get64(m, UT_H_NEXT), next);
    assert_int_equal(zeroipc_table_count(m), 3);
    /* A remove frees an entry (not the space). */
    assert_int_equal(zeroipc_table_remove(m, "e1"), ZEROIPC_OK);
    size_t off;
    assert_int_equal(zeroipc_table_add(m, "e3", 16, &off), ZEROIPC_OK);
    assert_int_equal(off, UT_ALIGN8(next));
    assert_int_equal(zeroipc_table_add(m, "e5", 16, NULL),
                     ZEROIPC_ERROR_TABLE_FULL);
}

static void test_find_errors(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "fe", 4096, 3);
    assert_int_equal(zeroipc_table_add(m, "a", 8, NULL), ZEROIPC_OK);
    size_t f, s;
    assert_int_equal(zeroipc_table_find(NULL, "a", &f, &s),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_table_find(m, NULL, &f, &s),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_table_find(m, "", &f, &s),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_table_find(m, "b", &f, &s),
                     ZEROIPC_ERROR_NOT_FOUND);
    /* An empty table. */
    zeroipc_memory_t *e = ut_seg(NULL, "fe2", 4096, 3);
    assert_int_equal(zeroipc_table_find(e, "a", NULL, NULL),
                     ZEROIPC_ERROR_NOT_FOUND);
}

static void test_remove(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "rm", 4096, 5);
    size_t off[4];
    const char *names[] = {"a", "b", "c", "d"};
    const size_t sizes[] = {8, 16, 24, 32};
    for (int i = 0; i < 4; i++)
        assert_int_equal(zeroipc_table_add(m, names[i], sizes[i], &off[i]),
                         ZEROIPC_OK);
    uint64_t next = ut_get64(m, UT_H_NEXT);

    assert_int_equal(zeroipc_table_remove(m, "b"), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_count(m), 3);
    assert_int_equal(ut_get32(m, UT_H_COUNT), 3);
    /* Later entries moved down, intact and in order. */
    check_entry(m, 0, "a", off[0], 8);
    check_entry(m, 1, "c", off[2], 24);
    check_entry(m, 2, "d", off[3], 32);
    /* The space is not reclaimed. */
    assert_int_equal(ut_get64(m, UT_H_NEXT), next);
    assert_int_equal(zeroipc_table_find(m, "b", NULL, NULL),
                     ZEROIPC_ERROR_NOT_FOUND);
    size_t f, s;
    ut_find(m, "d", &f, &s);
    assert_int_equal(f, off[3]);
    assert_int_equal(s, 32);

    /* The last one, then the first one. */
    assert_int_equal(zeroipc_table_remove(m, "d"), ZEROIPC_OK);
    check_entry(m, 1, "c", off[2], 24);
    assert_int_equal(zeroipc_table_remove(m, "a"), ZEROIPC_OK);
    check_entry(m, 0, "c", off[2], 24);
    assert_int_equal(zeroipc_table_count(m), 1);

    /* A re-added name gets new space. */
    size_t nb;
    assert_int_equal(zeroipc_table_add(m, "b", 16, &nb), ZEROIPC_OK);
    assert_int_equal(nb, UT_ALIGN8(next));
    check_entry(m, 1, "b", nb, 16);

    /* Remove the only-remaining ones: empty table. */
    assert_int_equal(zeroipc_table_remove(m, "c"), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_remove(m, "b"), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_count(m), 0);
    assert_int_equal(zeroipc_table_remove(m, "b"), ZEROIPC_ERROR_NOT_FOUND);
}

static void test_remove_then_short_name_padded(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "rp", 4096, 3);
    char n31[32];
    ut_len_name(n31, 31, 'L');
    assert_int_equal(zeroipc_table_add(m, n31, 8, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_remove(m, n31), ZEROIPC_OK);
    size_t off;
    assert_int_equal(zeroipc_table_add(m, "s", 8, &off), ZEROIPC_OK);
    check_entry(m, 0, "s", off, 8); /* bytes 1..31 zero, not leftovers */
    assert_int_equal(zeroipc_table_find(m, n31, NULL, NULL),
                     ZEROIPC_ERROR_NOT_FOUND);
}

static void test_remove_errors(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "re", 4096, 3);
    assert_int_equal(zeroipc_table_add(m, "a", 8, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_remove(NULL, "a"),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_table_remove(m, NULL),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_table_remove(m, ""),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_table_remove(m, "nope"),
                     ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_table_count(m), 1);
}

static void test_remove_keeps_handles(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "rh", 8192, 4);
    zeroipc_queue_t *q = ut_keep_queue(zeroipc_queue_create(m, "q", 4, 4));
    assert_non_null(q);
    zeroipc_array_t *a = ut_keep_array(zeroipc_array_create(m, "a", 4, 4));
    assert_non_null(a);
    assert_int_equal(zeroipc_table_remove(m, "q"), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_remove(m, "a"), ZEROIPC_OK);
    int32_t v = 7, out = 0;
    assert_int_equal(zeroipc_queue_push(q, &v), ZEROIPC_OK);
    assert_int_equal(zeroipc_queue_pop(q, &out), ZEROIPC_OK);
    assert_int_equal(out, 7);
    assert_int_equal(zeroipc_array_set(a, 3, &v), ZEROIPC_OK);
    assert_int_equal(*(int32_t *)zeroipc_array_get(a, 3), 7);
    UT_EXPECT_NULL(zeroipc_queue_open(m, "q"), ZEROIPC_ERROR_NOT_FOUND);
}

static void test_entries(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "en", 4096, 6);
    size_t off[4];
    char n31[32];
    ut_len_name(n31, 31, 'E');
    const char *names[] = {"first", "second", n31, "fourth"};
    for (int i = 0; i < 4; i++)
        assert_int_equal(zeroipc_table_add(m, names[i], (size_t)(i + 1) * 5,
                                           &off[i]),
                         ZEROIPC_OK);

    zeroipc_entry_t out[8];
    memset(out, 0xFF, sizeof out);
    size_t count = 99;
    assert_int_equal(zeroipc_table_entries(m, out, 8, &count), ZEROIPC_OK);
    assert_int_equal(count, 4);
    for (int i = 0; i < 4; i++) {
        assert_string_equal(out[i].name, names[i]);
        assert_int_equal(out[i].offset, off[i]);
        assert_int_equal(out[i].size, (uint64_t)(i + 1) * 5);
    }

    /* Fewer slots than entries: the first ones, and the full count. */
    zeroipc_entry_t two[2];
    count = 0;
    assert_int_equal(zeroipc_table_entries(m, two, 2, &count), ZEROIPC_OK);
    assert_int_equal(count, 4);
    assert_string_equal(two[0].name, "first");
    assert_string_equal(two[1].name, "second");

    /* Just the count. */
    count = 0;
    assert_int_equal(zeroipc_table_entries(m, NULL, 0, &count), ZEROIPC_OK);
    assert_int_equal(count, 4);

    /* A snapshot: later changes do not touch it. */
    assert_int_equal(zeroipc_table_remove(m, "first"), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_add(m, "fifth", 8, NULL), ZEROIPC_OK);
    assert_string_equal(out[0].name, "first");
    assert_int_equal(zeroipc_table_entries(m, out, 8, &count), ZEROIPC_OK);
    assert_int_equal(count, 4);
    assert_string_equal(out[0].name, "second");
    assert_string_equal(out[3].name, "fifth");

    /* Errors. */
    assert_int_equal(zeroipc_table_entries(NULL, out, 8, &count),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_table_entries(m, NULL, 8, &count),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);

    /* An empty table. */
    zeroipc_memory_t *e = ut_seg(NULL, "en2", 4096, 2);
    count = 7;
    assert_int_equal(zeroipc_table_entries(e, out, 8, &count), ZEROIPC_OK);
    assert_int_equal(count, 0);
}

static void test_entry_not_terminated(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "nt", 4096, 4);
    char n31[32];
    ut_len_name(n31, 31, 'N');
    assert_int_equal(zeroipc_table_add(m, "ok", 8, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_add(m, n31, 8, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_add(m, "after", 8, NULL), ZEROIPC_OK);
    /* Overwrite the terminator: 32 name bytes, no NUL. */
    *ut_at(m, UT_ENTRY(1) + 31) = 'X';
    /* It costs only itself: the entry after it is found. */
    assert_int_equal(zeroipc_table_find(m, "after", NULL, NULL), ZEROIPC_OK);
    zeroipc_info_t info[4];
    size_t described;
    assert_int_equal(zeroipc_describe_all(m, info, 4, &described), ZEROIPC_OK);
    assert_int_equal(described, 3);
    assert_true(info[1].corrupt && info[1].hidden);
    assert_int_equal(strlen(info[1].entry.name), 31);
    assert_false(info[2].corrupt);
    assert_string_equal(info[2].name, "after");

    zeroipc_entry_t out[4];
    size_t count = 0;
    assert_int_equal(zeroipc_table_entries(m, out, 4, &count),
                     ZEROIPC_ERROR_CORRUPT);
    /* Lookups never match it (nor read past it). */
    assert_int_not_equal(zeroipc_table_find(m, n31, NULL, NULL), ZEROIPC_OK);
    char n32[33];
    memcpy(n32, n31, 31);
    n32[31] = 'X';
    n32[32] = '\0';
    assert_int_equal(zeroipc_table_find(m, n32, NULL, NULL),
                     ZEROIPC_ERROR_NAME_TOO_LONG);
    /* Through a fresh open as well. */
    zeroipc_memory_t *m2 = ut_open(zeroipc_memory_name(m));
    assert_int_equal(zeroipc_table_entries(m2, out, 4, &count),
                     ZEROIPC_ERROR_CORRUPT);
}

/* An entry whose range is outside the data area: find and entries say
 * CORRUPT, and opening a structure there fails. */
static void test_entry_outside(void **state)
{
    (void)state;
    const char *name;
    zeroipc_memory_t *m = ut_seg(&name, "eo", 4096, 4);
    assert_int_equal(zeroipc_table_add(m, "good", 8, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_add(m, "bad", 8, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_add(m, "later", 8, NULL), ZEROIPC_OK);
    ut_close_mem(m);

    const size_t e = UT_ENTRY(1);
    const struct { uint64_t off, size; } cases[] = {
        {4096, 8},                 /* starts at the end */
        {4092, 8},                 /* straddles the end */
        {8192, 8},                 /* far past it */
        {UINT64_MAX - 3, 8},       /* offset + size overflows */
        {UT_TABLE_END(4), UINT64_MAX}, /* size overflows */
        {32, 8},                   /* inside the table */
        {0, 8},                    /* the header */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ut_poke64(name, e + UT_E_OFFSET, cases[i].off);
        ut_poke64(name, e + UT_E_SIZE, cases[i].size);
        m = zeroipc_memory_open(name);
        assert_non_null(m);
        ut_keep_mem(m);
        size_t f, s;
        if (zeroipc_table_find(m, "bad", &f, &s) != ZEROIPC_ERROR_CORRUPT)
            fail_msg("case %zu: find did not say CORRUPT", i);
        assert_int_equal(zeroipc_table_find(m, "good", &f, &s), ZEROIPC_OK);
        assert_int_equal(zeroipc_table_find(m, "later", &f, &s), ZEROIPC_OK);
        zeroipc_entry_t out[4];
        size_t count;
        assert_int_equal(zeroipc_table_entries(m, out, 4, &count),
                         ZEROIPC_ERROR_CORRUPT);
        UT_EXPECT_NULL(zeroipc_array_open(m, "bad"), ZEROIPC_ERROR_CORRUPT);
        UT_EXPECT_NULL(zeroipc_queue_open(m, "bad"), ZEROIPC_ERROR_CORRUPT);
        UT_EXPECT_NULL(zeroipc_stack_open(m, "bad"), ZEROIPC_ERROR_CORRUPT);
        ut_close_mem(m);
    }
}

static void test_live_corrupt_count(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "lc", 4096, 4);
    assert_int_equal(zeroipc_table_add(m, "a", 8, NULL), ZEROIPC_OK);
    uint64_t next = ut_get64(m, UT_H_NEXT);
    ut_set32(m, UT_H_COUNT, 5); /* more than max_entries */
    assert_int_equal(zeroipc_table_count(m), 0);
    assert_int_equal(zeroipc_table_add(m, "b", 8, NULL),
                     ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(ut_get64(m, UT_H_NEXT), next);
    assert_int_equal(ut_get32(m, UT_H_COUNT), 5);
    ut_set32(m, UT_H_COUNT, 1);
    assert_int_equal(zeroipc_table_count(m), 1);
    assert_int_equal(zeroipc_table_add(m, "b", 8, NULL), ZEROIPC_OK);
}

static void test_live_corrupt_next(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "ln", 4096, 4);
    assert_int_equal(zeroipc_table_add(m, "a", 8, NULL), ZEROIPC_OK);
    uint8_t table[UT_TABLE_END(4)];
    memcpy(table, ut_at(m, 0), sizeof table);
    /* A bump pointer inside the table: an add must not write there. */
    ut_set64(m, UT_H_NEXT, 40);
    memcpy(table + UT_H_NEXT, ut_at(m, UT_H_NEXT), 8);
    assert_int_equal(zeroipc_table_add(m, "b", 8, NULL),
                     ZEROIPC_ERROR_CORRUPT);
    assert_memory_equal(ut_at(m, 0), table, sizeof table);
    /* Past memory_size. */
    ut_set64(m, UT_H_NEXT, 5000);
    assert_int_equal(zeroipc_table_add(m, "b", 8, NULL),
                     ZEROIPC_ERROR_CORRUPT);
    assert_int_equal(ut_get32(m, UT_H_COUNT), 1);
}

/* Concurrent adds through one handle from several threads. */
#define NTHREADS 4
#define NADDS 50

struct adder {
    zeroipc_memory_t *m;
    int id;
    int errors;
};

static void *add_many(void *arg)
{
    struct adder *a = arg;
    for (int i = 0; i < NADDS; i++) {
        char n[16];
        snprintf(n, sizeof n, "t%d-%d", a->id, i);
        size_t off;
        if (zeroipc_table_add(a->m, n, 16, &off) != ZEROIPC_OK) {
            a->errors++;
            continue;
        }
        uint8_t *p = (uint8_t *)zeroipc_memory_base(a->m) + off;
        memset(p, a->id * NADDS + i, 16);
    }
    return NULL;
}

static int cmp_entry_off(const void *x, const void *y)
{
    const zeroipc_entry_t *a = x, *b = y;
    return a->offset < b->offset ? -1 : a->offset > b->offset;
}

static void run_adders(zeroipc_memory_t **mems, int nmems)
{
    pthread_t t[NTHREADS];
    struct adder ad[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        ad[i] = (struct adder){mems[i % nmems], i, 0};
        assert_int_equal(pthread_create(&t[i], NULL, add_many, &ad[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(ad[i].errors, 0);
    }
    zeroipc_memory_t *m = mems[0];
    assert_int_equal(zeroipc_table_count(m), NTHREADS * NADDS);
    for (int id = 0; id < NTHREADS; id++)
        for (int i = 0; i < NADDS; i++) {
            char n[16];
            snprintf(n, sizeof n, "t%d-%d", id, i);
            size_t off, size;
            ut_find(m, n, &off, &size);
            assert_int_equal(size, 16);
            uint8_t *p = ut_at(m, off);
            for (int k = 0; k < 16; k++)
                assert_int_equal(p[k], (uint8_t)(id * NADDS + i));
        }
    static zeroipc_entry_t all[NTHREADS * NADDS];
    size_t count;
    assert_int_equal(zeroipc_table_entries(m, all, NTHREADS * NADDS, &count),
                     ZEROIPC_OK);
    assert_int_equal(count, NTHREADS * NADDS);
    qsort(all, count, sizeof all[0], cmp_entry_off);
    for (size_t i = 1; i < count; i++)
        assert_true(all[i].offset >= all[i - 1].offset + 16);
    assert_int_equal(ut_get64(m, UT_H_NEXT), all[count - 1].offset + 16);
}

static void test_threads_one_handle(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "th", 65536, 256);
    run_adders(&m, 1);
}

static void test_threads_several_handles(void **state)
{
    (void)state;
    const char *name;
    zeroipc_memory_t *m[2];
    m[0] = ut_seg(&name, "th2", 65536, 256);
    m[1] = ut_open(name);
    run_adders(m, 2);
    assert_int_equal(zeroipc_table_count(m[1]), NTHREADS * NADDS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UT_TEST(test_add_layout),
        UT_TEST(test_find_outputs),
        UT_TEST(test_name_lengths),
        UT_TEST(test_add_errors),
        UT_TEST(test_table_full),
        UT_TEST(test_find_errors),
        UT_TEST(test_remove),
        UT_TEST(test_remove_then_short_name_padded),
        UT_TEST(test_remove_errors),
        UT_TEST(test_remove_keeps_handles),
        UT_TEST(test_entries),
        UT_TEST(test_entry_not_terminated),
        UT_TEST(test_entry_outside),
        UT_TEST(test_live_corrupt_count),
        UT_TEST(test_live_corrupt_next),
        UT_TEST(test_threads_one_handle),
        UT_TEST(test_threads_several_handles),
    };
    return UT_RUN(tests);
}
