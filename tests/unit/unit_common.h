/*
 * unit_common.h - what the unit test programs share.
 *
 * A per-test fixture records every segment name and every handle a test
 * makes, so that the per-test teardown closes them and unlinks the
 * segments even when an assertion fails half-way (cmocka jumps straight
 * to the teardown).  Segment names come from zt_segname, which also
 * records them for the exit / signal cleanup of testutil.
 *
 * Corrupt segments are made by editing /dev/shm/NAME with pread/pwrite at
 * the offsets of FORMAT.md (ut_poke and ut_peek), or through the mapping of
 * a live handle (ut_at).
 */
#ifndef ZEROIPC_UNIT_COMMON_H
#define ZEROIPC_UNIT_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#define UT_MAX 32
#define UT_NAME_BUF 300

/* Format offsets (FORMAT.md). */
#define UT_H_MAGIC 0
#define UT_H_VERSION 4
#define UT_H_COUNT 8
#define UT_H_MAX 12
#define UT_H_MEMSIZE 16
#define UT_H_NEXT 24
#define UT_ENTRY(i) (32 + 48 * (size_t)(i))
#define UT_E_OFFSET 32
#define UT_E_SIZE 40
#define UT_TABLE_END(max) (32 + 48 * (size_t)(max))
#define UT_ALIGN8(n) (((size_t)(n) + 7) & ~(size_t)7)

typedef struct {
    int nnames;
    char names[UT_MAX][UT_NAME_BUF];
    zeroipc_memory_t *mems[UT_MAX];
    zeroipc_array_t *arrays[UT_MAX];
    zeroipc_queue_t *queues[UT_MAX];
    zeroipc_stack_t *stacks[UT_MAX];
} ut_fx_t;

static ut_fx_t ut_fx;

static inline int ut_setup(void **state)
{
    (void)state;
    memset(&ut_fx, 0, sizeof ut_fx);
    return 0;
}

static inline int ut_teardown(void **state)
{
    (void)state;
    for (int i = 0; i < UT_MAX; i++) {
        if (ut_fx.arrays[i])
            zeroipc_array_close(ut_fx.arrays[i]);
        if (ut_fx.queues[i])
            zeroipc_queue_close(ut_fx.queues[i]);
        if (ut_fx.stacks[i])
            zeroipc_stack_close(ut_fx.stacks[i]);
    }
    for (int i = 0; i < UT_MAX; i++)
        if (ut_fx.mems[i])
            zeroipc_memory_close(ut_fx.mems[i]);
    for (int i = 0; i < ut_fx.nnames; i++)
        shm_unlink(ut_fx.names[i]);
    memset(&ut_fx, 0, sizeof ut_fx);
    return 0;
}

#define UT_TEST(fn) cmocka_unit_test_setup_teardown(fn, ut_setup, ut_teardown)

/* A fresh unique segment name "/zt-tag-pid-n", unlinked at teardown. */
static inline const char *ut_name(const char *tag)
{
    assert_true(ut_fx.nnames < UT_MAX);
    char *b = ut_fx.names[ut_fx.nnames++];
    zt_segname(b, tag);
    return b;
}

/* Records an arbitrary segment name (with its '/') for unlinking. */
static inline const char *ut_keep_name(const char *name)
{
    assert_true(ut_fx.nnames < UT_MAX);
    assert_true(strlen(name) < UT_NAME_BUF);
    char *b = ut_fx.names[ut_fx.nnames++];
    strcpy(b, name);
    return b;
}

#define UT_KEEPER(kind, type, field)                                          \
    static inline type *ut_keep_##kind(type *h)                               \
    {                                                                         \
        if (!h)                                                               \
            return h;                                                         \
        for (int i = 0; i < UT_MAX; i++)                                      \
            if (!ut_fx.field[i]) {                                            \
                ut_fx.field[i] = h;                                           \
                return h;                                                     \
            }                                                                 \
        fail_msg("too many handles");                                         \
        return h;                                                             \
    }                                                                         \
    static inline void ut_forget_##kind(type *h)                              \
    {                                                                         \
        for (int i = 0; i < UT_MAX; i++)                                      \
            if (ut_fx.field[i] == h)                                          \
                ut_fx.field[i] = NULL;                                        \
    }

UT_KEEPER(mem, zeroipc_memory_t, mems)
UT_KEEPER(array, zeroipc_array_t, arrays)
UT_KEEPER(queue, zeroipc_queue_t, queues)
UT_KEEPER(stack, zeroipc_stack_t, stacks)

static inline void ut_close_mem(zeroipc_memory_t *m)
{
    ut_forget_mem(m);
    zeroipc_memory_close(m);
}
static inline void ut_close_array(zeroipc_array_t *a)
{
    ut_forget_array(a);
    zeroipc_array_close(a);
}
static inline void ut_close_queue(zeroipc_queue_t *q)
{
    ut_forget_queue(q);
    zeroipc_queue_close(q);
}
static inline void ut_close_stack(zeroipc_stack_t *s)
{
    ut_forget_stack(s);
    zeroipc_stack_close(s);
}

/* Creates a segment that must succeed; its name goes to *name_out. */
static inline zeroipc_memory_t *ut_seg(const char **name_out, const char *tag,
                                       size_t size, size_t max_entries)
{
    const char *name = ut_name(tag);
    zeroipc_memory_t *m = zeroipc_memory_create(name, size, max_entries);
    assert_non_null(m);
    ut_keep_mem(m);
    if (name_out)
        *name_out = name;
    return m;
}

/* Opens a segment that must open. */
static inline zeroipc_memory_t *ut_open(const char *name)
{
    zeroipc_memory_t *m = zeroipc_memory_open(name);
    assert_non_null(m);
    return ut_keep_mem(m);
}

/* A handle-returning call must fail with `code` in zeroipc_last_error(). */
#define UT_EXPECT_NULL(expr, code)                                            \
    do {                                                                      \
        const void *ut_p_ = (const void *)(expr);                            \
        int ut_e_ = (int)zeroipc_last_error();                                \
        assert_null(ut_p_);                                                   \
        assert_int_equal(ut_e_, (code));                                      \
    } while (0)

/* ------------------------------------------------------------------ */
/* Editing the object behind a segment name. */

static inline void ut_shm_path(char *path, size_t n, const char *name)
{
    snprintf(path, n, "/dev/shm/%s", name[0] == '/' ? name + 1 : name);
}

static inline void ut_poke(const char *name, size_t off, const void *p,
                           size_t n)
{
    char path[UT_NAME_BUF + 16];
    ut_shm_path(path, sizeof path, name);
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    ssize_t w = pwrite(fd, p, n, (off_t)off);
    close(fd);
    assert_int_equal(w, (ssize_t)n);
}

static inline void ut_peek(const char *name, size_t off, void *p, size_t n)
{
    char path[UT_NAME_BUF + 16];
    ut_shm_path(path, sizeof path, name);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    ssize_t r = pread(fd, p, n, (off_t)off);
    close(fd);
    assert_int_equal(r, (ssize_t)n);
}

static inline void ut_poke32(const char *name, size_t off, uint32_t v)
{
    ut_poke(name, off, &v, sizeof v);
}
static inline void ut_poke64(const char *name, size_t off, uint64_t v)
{
    ut_poke(name, off, &v, sizeof v);
}
static inline uint32_t ut_peek32(const char *name, size_t off)
{
    uint32_t v;
    ut_peek(name, off, &v, sizeof v);
    return v;
}
static inline uint64_t ut_peek64(const char *name, size_t off)
{
    uint64_t v;
    ut_peek(name, off, &v, sizeof v);
    return v;
}

/* Size of the object behind a name, or -1 if it does not exist. */
static inline long long ut_file_size(const char *name)
{
    char path[UT_NAME_BUF + 16];
    ut_shm_path(path, sizeof path, name);
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (long long)st.st_size;
}

/* Creates a plain (non-library) shm object holding `n` bytes of `data`. */
static inline void ut_raw_object(const char *name, const void *data, size_t n)
{
    int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    assert_true(fd >= 0);
    ssize_t w = n ? write(fd, data, n) : 0;
    close(fd);
    assert_int_equal(w, (ssize_t)n);
}

/* ------------------------------------------------------------------ */
/* Reading and writing through a live mapping. */

static inline uint8_t *ut_at(zeroipc_memory_t *m, size_t off)
{
    uint8_t *b = (uint8_t *)zeroipc_memory_base(m);
    assert_non_null(b);
    return b + off;
}
/* Words of live structures, which other threads may be using: accessed
 * as atomics where aligned, as the library and its peers do. */
static inline uint32_t ut_get32(zeroipc_memory_t *m, size_t off)
{
    uint32_t v, *p = (uint32_t *)(void *)ut_at(m, off);
    if ((uintptr_t)p % 4 == 0)
        return __atomic_load_n(p, __ATOMIC_SEQ_CST);
    memcpy(&v, p, sizeof v);
    return v;
}
static inline uint64_t ut_get64(zeroipc_memory_t *m, size_t off)
{
    uint64_t v, *p = (uint64_t *)(void *)ut_at(m, off);
    if ((uintptr_t)p % 8 == 0)
        return __atomic_load_n(p, __ATOMIC_SEQ_CST);
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void ut_set32(zeroipc_memory_t *m, size_t off, uint32_t v)
{
    uint32_t *p = (uint32_t *)(void *)ut_at(m, off);
    if ((uintptr_t)p % 4 == 0)
        __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
    else
        memcpy(p, &v, sizeof v);
}
static inline void ut_set64(zeroipc_memory_t *m, size_t off, uint64_t v)
{
    uint64_t *p = (uint64_t *)(void *)ut_at(m, off);
    if ((uintptr_t)p % 8 == 0)
        __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
    else
        memcpy(p, &v, sizeof v);
}

/* A structure name of exactly `len` bytes ('a'..'z' repeating, with a tag
 * char first). buf must hold len + 1 bytes. */
static inline char *ut_len_name(char *buf, size_t len, char first)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)('a' + (i % 26));
    if (len)
        buf[0] = first;
    buf[len] = '\0';
    return buf;
}

/* Offset and size of a table entry, which must exist. */
static inline void ut_find(zeroipc_memory_t *m, const char *name, size_t *off,
                           size_t *size)
{
    assert_int_equal(zeroipc_table_find(m, name, off, size), ZEROIPC_OK);
}

#define UT_RUN(tests) (zt_init(), cmocka_run_group_tests(tests, NULL, zt_group_teardown))

#endif
