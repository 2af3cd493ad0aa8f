/* test_memory.c - segments: create, open and its header checks, close,
 * unlink, base/size/name/used, zeroipc_memory_list. */
#include <limits.h>

#include "unit_common.h"

static void check_header(const char *name, uint32_t count, uint32_t max,
                         uint64_t memsize, uint64_t next)
{
    uint8_t magic[4];
    ut_peek(name, 0, magic, 4);
    assert_int_equal(magic[0], 0x4D);
    assert_int_equal(magic[1], 0x50);
    assert_int_equal(magic[2], 0x49);
    assert_int_equal(magic[3], 0x5A);
    assert_int_equal(ut_peek32(name, UT_H_MAGIC), 0x5A49504Du);
    assert_int_equal(ut_peek32(name, UT_H_VERSION), 2);
    assert_int_equal(ut_peek32(name, UT_H_COUNT), count);
    assert_int_equal(ut_peek32(name, UT_H_MAX), max);
    assert_int_equal(ut_peek64(name, UT_H_MEMSIZE), memsize);
    assert_int_equal(ut_peek64(name, UT_H_NEXT), next);
}

static void test_create_basic(void **state)
{
    (void)state;
    const char *name;
    mode_t um = umask(0);
    umask(um);
    zeroipc_memory_t *m = ut_seg(&name, "cb", 8192, 10);

    assert_non_null(zeroipc_memory_base(m));
    assert_int_equal(zeroipc_memory_size(m), 8192);
    assert_string_equal(zeroipc_memory_name(m), name);
    assert_int_equal(zeroipc_memory_used(m), UT_TABLE_END(10));
    assert_int_equal(zeroipc_table_count(m), 0);
    assert_int_equal(zeroipc_table_capacity(m), 10);
    assert_int_equal(zeroipc_memory_error(m), ZEROIPC_OK);

    assert_int_equal(ut_file_size(name), 8192);
    check_header(name, 0, 10, 8192, 32 + 48 * 10);

    /* The mapping is the object: the header is at base. */
    assert_int_equal(ut_get32(m, UT_H_MAGIC), ZEROIPC_MAGIC);
    assert_int_equal(ut_get64(m, UT_H_NEXT), UT_TABLE_END(10));

    /* Entries and data are zero. */
    uint8_t *b = ut_at(m, 0);
    for (size_t i = 32; i < 8192; i++)
        if (b[i] != 0)
            fail_msg("byte %zu is %u, not 0", i, b[i]);

    /* Mode 0666 less the umask. */
    char path[UT_NAME_BUF + 16];
    ut_shm_path(path, sizeof path, name);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0666 & ~um);

    /* A write through the mapping reaches the object. */
    ut_set32(m, 4000, 0xCAFEBABEu);
    assert_int_equal(ut_peek32(name, 4000), 0xCAFEBABEu);
}

static void test_create_name_without_slash(void **state)
{
    (void)state;
    const char *name = ut_name("ns"); /* "/zt-..." */
    zeroipc_memory_t *m = ut_keep_mem(zeroipc_memory_create(name + 1, 4096, 4));
    assert_non_null(m);
    assert_string_equal(zeroipc_memory_name(m), name);
    assert_int_equal(ut_file_size(name), 4096);
    /* Openable with and without the slash. */
    assert_non_null(ut_open(name));
    zeroipc_memory_t *m3 = ut_keep_mem(zeroipc_memory_open(name + 1));
    assert_non_null(m3);
    assert_string_equal(zeroipc_memory_name(m3), name);
}

static void test_create_bad_args(void **state)
{
    (void)state;
    const char *name = ut_name("ba");
    UT_EXPECT_NULL(zeroipc_memory_create(NULL, 4096, 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_memory_create("", 4096, 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_memory_create("/", 4096, 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    char slashed[UT_NAME_BUF];
    snprintf(slashed, sizeof slashed, "%s/sub", name);
    UT_EXPECT_NULL(zeroipc_memory_create(slashed, 4096, 4),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);

    char longname[NAME_MAX + 3];
    longname[0] = '/';
    memset(longname + 1, 'L', NAME_MAX + 1);
    longname[NAME_MAX + 2] = '\0';
    UT_EXPECT_NULL(zeroipc_memory_create(longname, 4096, 4),
                   ZEROIPC_ERROR_NAME_TOO_LONG);

    UT_EXPECT_NULL(zeroipc_memory_create(name, 0, 4), ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_memory_create(name, 4096, 0), ZEROIPC_ERROR_SIZE);
    /* The table (32 + 48*2 = 128) does not fit in 127 bytes. */
    UT_EXPECT_NULL(zeroipc_memory_create(name, 127, 2), ZEROIPC_ERROR_SIZE);
    /* 48 * max_entries overflows size_t. */
    UT_EXPECT_NULL(zeroipc_memory_create(name, 4096, SIZE_MAX / 48 + 1),
                   ZEROIPC_ERROR_SIZE);
    UT_EXPECT_NULL(zeroipc_memory_create(name, 4096, SIZE_MAX),
                   ZEROIPC_ERROR_SIZE);
    /* Does not fit the header's u32. */
    UT_EXPECT_NULL(zeroipc_memory_create(name, 4096, (size_t)UINT32_MAX + 1),
                   ZEROIPC_ERROR_SIZE);
    /* None of these left an object behind. */
    assert_int_equal(ut_file_size(name), -1);
}

static void test_create_table_exactly_fits(void **state)
{
    (void)state;
    const char *name;
    zeroipc_memory_t *m = ut_seg(&name, "tf", 128, 2);
    assert_int_equal(zeroipc_memory_size(m), 128);
    assert_int_equal(zeroipc_memory_used(m), 128);
    check_header(name, 0, 2, 128, 128);
    assert_int_equal(zeroipc_table_add(m, "x", 1, NULL), ZEROIPC_ERROR_SIZE);
    assert_int_equal(zeroipc_table_count(m), 0);
    assert_int_equal(ut_get64(m, UT_H_NEXT), 128);
}

static void test_create_name_max(void **state)
{
    (void)state;
    char name[NAME_MAX + 2];
    int n = snprintf(name, sizeof name, "/zt-max-%d-", (int)getpid());
    memset(name + n, 'M', (size_t)(NAME_MAX + 1 - n));
    name[NAME_MAX + 1] = '\0';
    assert_int_equal(strlen(name), NAME_MAX + 1); /* '/' + NAME_MAX bytes */
    ut_keep_name(name);
    zeroipc_memory_t *m = ut_keep_mem(zeroipc_memory_create(name, 4096, 4));
    assert_non_null(m);
    assert_string_equal(zeroipc_memory_name(m), name);
    assert_non_null(ut_open(name));
}

static void test_create_replaces_existing(void **state)
{
    (void)state;
    const char *name;
    zeroipc_memory_t *old = ut_seg(&name, "rp", 4096, 4);
    size_t off;
    assert_int_equal(zeroipc_table_add(old, "keep", 16, &off), ZEROIPC_OK);
    memset(ut_at(old, off), 0x5A, 16);

    zeroipc_memory_t *neu = ut_keep_mem(zeroipc_memory_create(name, 8192, 8));
    assert_non_null(neu);
    assert_int_equal(zeroipc_table_count(neu), 0);
    assert_int_equal(zeroipc_table_capacity(neu), 8);
    assert_int_equal(zeroipc_table_find(neu, "keep", NULL, NULL),
                     ZEROIPC_ERROR_NOT_FOUND);
    check_header(name, 0, 8, 8192, UT_TABLE_END(8));
    assert_int_equal(ut_file_size(name), 8192);
    /* The old handle keeps the old memory. */
    assert_int_equal(zeroipc_table_count(old), 1);
    assert_int_equal(*ut_at(old, off + 15), 0x5A);
    assert_true(zeroipc_memory_base(old) != zeroipc_memory_base(neu));
    assert_int_equal(ut_get32(neu, off), 0);

    /* A foreign object of that name is replaced and zeroed as well. */
    const char *junkname = ut_name("rpj");
    uint8_t junk[256];
    memset(junk, 0xEE, sizeof junk);
    ut_raw_object(junkname, junk, sizeof junk);
    zeroipc_memory_t *j = ut_keep_mem(zeroipc_memory_create(junkname, 4096, 4));
    assert_non_null(j);
    check_header(junkname, 0, 4, 4096, UT_TABLE_END(4));
    assert_int_equal(ut_peek32(junkname, 200), 0);
}

static void test_open_roundtrip(void **state)
{
    (void)state;
    const char *name;
    zeroipc_memory_t *m = ut_seg(&name, "or", 16384, 6);
    size_t o1, o2;
    assert_int_equal(zeroipc_table_add(m, "one", 100, &o1), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_add(m, "two", 20, &o2), ZEROIPC_OK);
    memset(ut_at(m, o1), 0x11, 100);

    zeroipc_memory_t *m2 = ut_open(name);
    assert_int_equal(zeroipc_memory_size(m2), 16384);
    assert_int_equal(zeroipc_table_capacity(m2), 6);
    assert_int_equal(zeroipc_table_count(m2), 2);
    assert_int_equal(zeroipc_memory_used(m2), zeroipc_memory_used(m));
    assert_string_equal(zeroipc_memory_name(m2), name);
    size_t f, s;
    ut_find(m2, "one", &f, &s);
    assert_int_equal(f, o1);
    assert_int_equal(s, 100);
    ut_find(m2, "two", &f, &s);
    assert_int_equal(f, o2);
    assert_int_equal(s, 20);
    assert_int_equal(*ut_at(m2, o1 + 99), 0x11);

    /* Shared both ways, including the table. */
    *ut_at(m2, o2) = 0x77;
    assert_int_equal(*ut_at(m, o2), 0x77);
    assert_int_equal(zeroipc_table_add(m2, "three", 8, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_count(m), 3);
    assert_int_equal(zeroipc_table_find(m, "three", NULL, NULL), ZEROIPC_OK);

    /* Closing one handle leaves the other working. */
    ut_close_mem(m2);
    assert_int_equal(*ut_at(m, o2), 0x77);
    assert_int_equal(zeroipc_table_count(m), 3);
}

static void test_open_bad_args(void **state)
{
    (void)state;
    UT_EXPECT_NULL(zeroipc_memory_open(NULL), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_memory_open(""), ZEROIPC_ERROR_INVALID_ARGUMENT);
    UT_EXPECT_NULL(zeroipc_memory_open("/zt-a/b"),
                   ZEROIPC_ERROR_INVALID_ARGUMENT);
    char longname[NAME_MAX + 3];
    longname[0] = '/';
    memset(longname + 1, 'L', NAME_MAX + 1);
    longname[NAME_MAX + 2] = '\0';
    UT_EXPECT_NULL(zeroipc_memory_open(longname), ZEROIPC_ERROR_NAME_TOO_LONG);
    UT_EXPECT_NULL(zeroipc_memory_open(ut_name("absent")), ZEROIPC_ERROR_OPEN);
}

/* Creates a segment, closes it, and returns its name for editing. */
static const char *closed_seg(const char *tag, size_t size, size_t max)
{
    const char *name;
    zeroipc_memory_t *m = ut_seg(&name, tag, size, max);
    ut_close_mem(m);
    return name;
}

static void test_open_wrong_magic(void **state)
{
    (void)state;
    const char *name = closed_seg("wm", 4096, 4);
    ut_poke32(name, UT_H_MAGIC, 0x5A49504Eu);
    UT_EXPECT_NULL(zeroipc_memory_open(name), ZEROIPC_ERROR_INVALID_MAGIC);
    /* Byte-swapped magic is not accepted either. */
    ut_poke32(name, UT_H_MAGIC, 0x4D50495Au);
    UT_EXPECT_NULL(zeroipc_memory_open(name), ZEROIPC_ERROR_INVALID_MAGIC);
    /* Restored, it opens. */
    ut_poke32(name, UT_H_MAGIC, ZEROIPC_MAGIC);
    assert_non_null(ut_open(name));

    /* A foreign object. */
    const char *junk = ut_name("wmj");
    char text[4096];
    memset(text, 'x', sizeof text);
    ut_raw_object(junk, text, sizeof text);
    UT_EXPECT_NULL(zeroipc_memory_open(junk), ZEROIPC_ERROR_INVALID_MAGIC);
}

static void test_open_wrong_version(void **state)
{
    (void)state;
    const char *name = closed_seg("wv", 4096, 4);
    const uint32_t bad[] = {0, 1, 3, 0xFFFFFFFFu};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ut_poke32(name, UT_H_VERSION, bad[i]);
        UT_EXPECT_NULL(zeroipc_memory_open(name),
                       ZEROIPC_ERROR_VERSION_MISMATCH);
    }
}

static void test_open_too_small(void **state)
{
    (void)state;
    /* Empty object. */
    const char *e = ut_name("ts0");
    ut_raw_object(e, NULL, 0);
    UT_EXPECT_NULL(zeroipc_memory_open(e), ZEROIPC_ERROR_INVALID_MAGIC);
    /* 31 bytes that begin like a valid header. */
    uint8_t h[31] = {0};
    uint32_t v = ZEROIPC_MAGIC;
    memcpy(h, &v, 4);
    v = 2;
    memcpy(h + 4, &v, 4);
    const char *s = ut_name("ts31");
    ut_raw_object(s, h, sizeof h);
    UT_EXPECT_NULL(zeroipc_memory_open(s), ZEROIPC_ERROR_INVALID_MAGIC);
}

static void test_open_count_over_max(void **state)
{
    (void)state;
    const char *name = closed_seg("co", 4096, 4);
    ut_poke32(name, UT_H_COUNT, 5);
    UT_EXPECT_NULL(zeroipc_memory_open(name), ZEROIPC_ERROR_CORRUPT);
    ut_poke32(name, UT_H_COUNT, 0xFFFFFFFFu);
    UT_EXPECT_NULL(zeroipc_memory_open(name), ZEROIPC_ERROR_CORRUPT);
    /* count == max is fine. */
    ut_poke32(name, UT_H_COUNT, 4);
    zeroipc_memory_t *m = ut_open(name);
    assert_int_equal(zeroipc_table_count(m), 4);
}

static void test_open_memsize_larger(void **state)
{
    (void)state;
    const char *name = closed_seg("ml", 4096, 4);
    ut_poke64(name, UT_H_MEMSIZE, 4097);
    UT_EXPECT_NULL(zeroipc_memory_open(name), ZEROIPC_ERROR_CORRUPT);
    ut_poke64(name, UT_H_MEMSIZE, UINT64_MAX);
    UT_EXPECT_NULL(zeroipc_memory_open(name), ZEROIPC_ERROR_CORRUPT);
}

static void test_open_memsize_smaller(void **state)
{
    (void)state;
    const char *name = closed_seg("ms", 8192, 4);
    ut_poke64(name, UT_H_MEMSIZE, 4096);
    zeroipc_memory_t *m = ut_open(name);
    assert_int_equal(zeroipc_memory_size(m), 4096);
    size_t room = 4096 - UT_TABLE_END(4);
    assert_int_equal(zeroipc_table_add(m, "big", room + 1, NULL),
                     ZEROIPC_ERROR_SIZE);
    size_t off;
    assert_int_equal(zeroipc_table_add(m, "fits", room, &off), ZEROIPC_OK);
    assert_int_equal(off + room, 4096);
}

static void test_open_table_outside(void **state)
{
    (void)state;
    const char *name = closed_seg("to", 4096, 4);
    /* 32 + 48*100 > 4096. */
    ut_poke32(name, UT_H_MAX, 100);
    UT_EXPECT_NULL(zeroipc_memory_open(name), ZEROIPC_ERROR_CORRUPT);
    ut_poke32(name, UT_H_MAX, 0xFFFFFFFFu);
    UT_EXPECT_NULL(zeroipc_memory_open(name), ZEROIPC_ERROR_CORRUPT);
}

static void test_open_next_offset_bad(void **state)
{
    (void)state;
    const char *name = closed_seg("no", 4096, 4);
    /* Inside the table. */
    ut_poke64(name, UT_H_NEXT, UT_TABLE_END(4) - 8);
    UT_EXPECT_NULL(zeroipc_memory_open(name), ZEROIPC_ERROR_CORRUPT);
    ut_poke64(name, UT_H_NEXT, 0);
    UT_EXPECT_NULL(zeroipc_memory_open(name), ZEROIPC_ERROR_CORRUPT);
    /* Past memory_size. */
    ut_poke64(name, UT_H_NEXT, 4097);
    UT_EXPECT_NULL(zeroipc_memory_open(name), ZEROIPC_ERROR_CORRUPT);
    ut_poke64(name, UT_H_NEXT, UINT64_MAX);
    UT_EXPECT_NULL(zeroipc_memory_open(name), ZEROIPC_ERROR_CORRUPT);
    /* Both ends are allowed. */
    ut_poke64(name, UT_H_NEXT, 4096);
    zeroipc_memory_t *m = ut_open(name);
    assert_int_equal(zeroipc_memory_used(m), 4096);
    assert_int_equal(zeroipc_table_add(m, "x", 1, NULL), ZEROIPC_ERROR_SIZE);
    ut_close_mem(m);
    ut_poke64(name, UT_H_NEXT, UT_TABLE_END(4));
    assert_non_null(ut_open(name));
}

static void test_open_small_max_entries(void **state)
{
    (void)state;
    const char *name;
    zeroipc_memory_t *m = ut_seg(&name, "sm", 4096, 4);
    size_t oa, ob;
    assert_int_equal(zeroipc_table_add(m, "a", 24, &oa), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_add(m, "b", 24, &ob), ZEROIPC_OK);
    /* The first structure sits right after a 4-entry table. */
    assert_int_equal(oa, UT_TABLE_END(4));
    memset(ut_at(m, oa), 0xA1, 24);
    memset(ut_at(m, ob), 0xB2, 24);
    ut_close_mem(m);

    m = ut_open(name);
    assert_int_equal(zeroipc_table_capacity(m), 4);
    assert_int_equal(zeroipc_table_add(m, "c", 8, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_table_add(m, "d", 8, NULL), ZEROIPC_OK);
    uint64_t next = ut_get64(m, UT_H_NEXT);
    for (int i = 0; i < 3; i++) {
        char n[8];
        snprintf(n, sizeof n, "e%d", i);
        assert_int_equal(zeroipc_table_add(m, n, 8, NULL),
                         ZEROIPC_ERROR_TABLE_FULL);
    }
    assert_int_equal(zeroipc_table_count(m), 4);
    assert_int_equal(ut_get32(m, UT_H_COUNT), 4);
    assert_int_equal(ut_get64(m, UT_H_NEXT), next);
    /* Nothing was written over the data after the table. */
    for (size_t i = 0; i < 24; i++) {
        assert_int_equal(*ut_at(m, oa + i), 0xA1);
        assert_int_equal(*ut_at(m, ob + i), 0xB2);
    }
    assert_int_equal(zeroipc_table_find(m, "e0", NULL, NULL),
                     ZEROIPC_ERROR_NOT_FOUND);
}

static void test_open_max_entries_zero(void **state)
{
    (void)state;
    const char *name;
    zeroipc_memory_t *m = ut_seg(&name, "mz", 8192, 64);
    size_t oa;
    assert_int_equal(zeroipc_table_add(m, "a", 8, &oa), ZEROIPC_OK);
    ut_close_mem(m);
    ut_poke32(name, UT_H_MAX, 0);

    m = ut_open(name);
    assert_int_equal(zeroipc_table_capacity(m), 64);
    size_t f;
    ut_find(m, "a", &f, NULL);
    assert_int_equal(f, oa);
    for (int i = 1; i < 64; i++) {
        char n[8];
        snprintf(n, sizeof n, "n%d", i);
        assert_int_equal(zeroipc_table_add(m, n, 8, NULL), ZEROIPC_OK);
    }
    assert_int_equal(zeroipc_table_count(m), 64);
    assert_int_equal(zeroipc_table_add(m, "over", 8, NULL),
                     ZEROIPC_ERROR_TABLE_FULL);

    /* With 0 in a table too big for the object: 32 + 48*64 > 2048. */
    const char *small = closed_seg("mz2", 2048, 4);
    ut_poke32(small, UT_H_MAX, 0);
    UT_EXPECT_NULL(zeroipc_memory_open(small), ZEROIPC_ERROR_CORRUPT);
}

static void test_null_handles(void **state)
{
    (void)state;
    zeroipc_memory_close(NULL);
    assert_null(zeroipc_memory_base(NULL));
    assert_int_equal(zeroipc_memory_size(NULL), 0);
    assert_int_equal(zeroipc_memory_error(NULL),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_table_count(NULL), 0);
}

static void test_used(void **state)
{
    (void)state;
    zeroipc_memory_t *m = ut_seg(NULL, "us", 4096, 3);
    size_t base = UT_TABLE_END(3);
    assert_int_equal(zeroipc_memory_used(m), base);
    assert_int_equal(zeroipc_table_add(m, "a", 5, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_memory_used(m), base + 5);
    assert_int_equal(zeroipc_table_add(m, "b", 3, NULL), ZEROIPC_OK);
    assert_int_equal(zeroipc_memory_used(m), UT_ALIGN8(base + 5) + 3);
}

static void test_unlink(void **state)
{
    (void)state;
    const char *name;
    zeroipc_memory_t *m = ut_seg(&name, "ul", 4096, 4);
    zeroipc_memory_unlink(name);
    assert_int_equal(ut_file_size(name), -1);
    UT_EXPECT_NULL(zeroipc_memory_open(name), ZEROIPC_ERROR_OPEN);
    /* The mapping stays valid, table included. */
    size_t off;
    assert_int_equal(zeroipc_table_add(m, "still", 8, &off), ZEROIPC_OK);
    ut_set64(m, off, 42);
    assert_int_equal(ut_get64(m, off), 42);
    assert_int_equal(zeroipc_table_count(m), 1);
    /* Errors are ignored. */
    zeroipc_memory_unlink(name);
    zeroipc_memory_unlink(NULL);
    zeroipc_memory_unlink("");

    /* Without the slash. */
    const char *n2;
    ut_seg(&n2, "ul2", 4096, 4);
    zeroipc_memory_unlink(n2 + 1);
    assert_int_equal(ut_file_size(n2), -1);
}

static void test_unlink_checked(void **state)
{
    (void)state;
    const char *name;
    ut_seg(&name, "uc", 4096, 4);
    assert_int_equal(zeroipc_memory_unlink_checked(name), ZEROIPC_OK);
    assert_int_equal(ut_file_size(name), -1);
    assert_int_equal(zeroipc_memory_unlink_checked(name),
                     ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_memory_unlink_checked(NULL),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_memory_unlink_checked(""),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    assert_int_equal(zeroipc_memory_unlink_checked("/zt-a/b"),
                     ZEROIPC_ERROR_INVALID_ARGUMENT);
    char longname[NAME_MAX + 3];
    longname[0] = '/';
    memset(longname + 1, 'L', NAME_MAX + 1);
    longname[NAME_MAX + 2] = '\0';
    assert_int_equal(zeroipc_memory_unlink_checked(longname),
                     ZEROIPC_ERROR_NAME_TOO_LONG);
}

struct seen {
    const char *want[5];
    int found[5];
    int calls;
    int stop_with;
};

static int on_segment(const char *name, void *ctx)
{
    struct seen *s = ctx;
    s->calls++;
    assert_non_null(name);
    assert_int_equal(name[0], '/');
    for (int i = 0; i < 5; i++)
        if (s->want[i] && strcmp(name, s->want[i]) == 0)
            s->found[i]++;
    return s->stop_with;
}

static void test_list(void **state)
{
    (void)state;
    const char *made;
    ut_seg(&made, "ls", 4096, 4);

    /* Not ZeroIPC: text. */
    const char *junk = ut_name("lsj");
    char text[4096];
    memset(text, 'q', sizeof text);
    ut_raw_object(junk, text, sizeof text);
    /* Not ZeroIPC: empty. */
    const char *empty = ut_name("lse");
    ut_raw_object(empty, NULL, 0);
    /* A valid header written by hand: listed, whatever its name. */
    uint8_t hdr[4096] = {0};
    uint32_t v32 = ZEROIPC_MAGIC;
    memcpy(hdr, &v32, 4);
    v32 = 2;
    memcpy(hdr + 4, &v32, 4);
    v32 = 4;
    memcpy(hdr + 12, &v32, 4);
    uint64_t v64 = 4096;
    memcpy(hdr + 16, &v64, 8);
    v64 = UT_TABLE_END(4);
    memcpy(hdr + 24, &v64, 8);
    const char *byhand = ut_name("lsh");
    ut_raw_object(byhand, hdr, sizeof hdr);
    /* The same with version 3: not listed. */
    v32 = 3;
    memcpy(hdr + 4, &v32, 4);
    const char *v3 = ut_name("ls3");
    ut_raw_object(v3, hdr, sizeof hdr);

    struct seen s = {{made, junk, empty, byhand, v3}, {0}, 0, 0};
    assert_int_equal(zeroipc_memory_list(on_segment, &s), ZEROIPC_OK);
    assert_int_equal(s.found[0], 1);
    assert_int_equal(s.found[1], 0);
    assert_int_equal(s.found[2], 0);
    assert_int_equal(s.found[3], 1);
    assert_int_equal(s.found[4], 0);
    assert_true(s.calls >= 2);

    /* Stops early with fn's value. */
    struct seen stop = {{made}, {0}, 0, 42};
    assert_int_equal(zeroipc_memory_list(on_segment, &stop), 42);
    assert_int_equal(stop.calls, 1);

    /* Unlinked: no longer listed. */
    zeroipc_memory_unlink(made);
    struct seen after = {{made}, {0}, 0, 0};
    assert_int_equal(zeroipc_memory_list(on_segment, &after), ZEROIPC_OK);
    assert_int_equal(after.found[0], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UT_TEST(test_create_basic),
        UT_TEST(test_create_name_without_slash),
        UT_TEST(test_create_bad_args),
        UT_TEST(test_create_table_exactly_fits),
        UT_TEST(test_create_name_max),
        UT_TEST(test_create_replaces_existing),
        UT_TEST(test_open_roundtrip),
        UT_TEST(test_open_bad_args),
        UT_TEST(test_open_wrong_magic),
        UT_TEST(test_open_wrong_version),
        UT_TEST(test_open_too_small),
        UT_TEST(test_open_count_over_max),
        UT_TEST(test_open_memsize_larger),
        UT_TEST(test_open_memsize_smaller),
        UT_TEST(test_open_table_outside),
        UT_TEST(test_open_next_offset_bad),
        UT_TEST(test_open_small_max_entries),
        UT_TEST(test_open_max_entries_zero),
        UT_TEST(test_null_handles),
        UT_TEST(test_used),
        UT_TEST(test_unlink),
        UT_TEST(test_unlink_checked),
        UT_TEST(test_list),
    };
    return UT_RUN(tests);
}
