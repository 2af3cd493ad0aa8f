/*
 * api_compat.c - a program written only against the original ZeroIPC C API
 * as /work/shared/API.md lists it: every function of the list, the exact
 * values of the error codes, and the documented behaviour (NULL on
 * failure, full/empty codes, the raw calls' 0/-1/-2/-3).  Nothing here
 * uses a function or constant that the list does not name.
 *
 * Exit status 0 when everything holds, 1 with a message on the first
 * failure.  The segment is named after the pid and unlinked at exit.
 */
#include "zeroipc.h"
#include "zeroipc_barrier.h"
#include "zeroipc_latch.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static char seg[64];
static pid_t owner;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "api_compat: %s:%d: check failed: %s\n",         \
                    __FILE__, __LINE__, #cond);                              \
            exit(1);                                                         \
        }                                                                    \
    } while (0)

#define CHECK_EQ(a, b)                                                       \
    do {                                                                     \
        long long a_ = (long long)(a), b_ = (long long)(b);                  \
        if (a_ != b_) {                                                      \
            fprintf(stderr, "api_compat: %s:%d: %s == %lld, expected %s == " \
                    "%lld\n", __FILE__, __LINE__, #a, a_, #b, b_);           \
            exit(1);                                                         \
        }                                                                    \
    } while (0)

static void cleanup(void)
{
    if (getpid() == owner)
        zeroipc_memory_unlink(seg);
}

static void test_error_codes(void)
{
    CHECK_EQ(ZEROIPC_OK, 0);
    CHECK_EQ(ZEROIPC_ERROR_OPEN, -1);
    CHECK_EQ(ZEROIPC_ERROR_MMAP, -2);
    CHECK_EQ(ZEROIPC_ERROR_SIZE, -3);
    CHECK_EQ(ZEROIPC_ERROR_NOT_FOUND, -4);
    CHECK_EQ(ZEROIPC_ERROR_TABLE_FULL, -5);
    CHECK_EQ(ZEROIPC_ERROR_NAME_TOO_LONG, -6);
    CHECK_EQ(ZEROIPC_ERROR_INVALID_MAGIC, -7);
    CHECK_EQ(ZEROIPC_ERROR_VERSION_MISMATCH, -8);
    CHECK_EQ(ZEROIPC_ERROR_ALREADY_EXISTS, -9);
    CHECK_EQ(ZEROIPC_ERROR_TIMEOUT, -10);
    const zeroipc_error_t codes[] = {
        ZEROIPC_OK, ZEROIPC_ERROR_OPEN, ZEROIPC_ERROR_MMAP, ZEROIPC_ERROR_SIZE,
        ZEROIPC_ERROR_NOT_FOUND, ZEROIPC_ERROR_TABLE_FULL,
        ZEROIPC_ERROR_NAME_TOO_LONG, ZEROIPC_ERROR_INVALID_MAGIC,
        ZEROIPC_ERROR_VERSION_MISMATCH, ZEROIPC_ERROR_ALREADY_EXISTS,
        ZEROIPC_ERROR_TIMEOUT,
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *s = zeroipc_error_string(codes[i]);
        CHECK(s != NULL && s[0] != '\0');
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(s, zeroipc_error_string(codes[j])) != 0);
    }
}

static void test_memory_and_table(void)
{
    /* Failures are NULL. */
    CHECK(zeroipc_memory_create(seg, 65536, 0) == NULL);
    CHECK(zeroipc_memory_create(seg, 0, 16) == NULL);
    CHECK(zeroipc_memory_open(seg) == NULL); /* does not exist yet */

    zeroipc_memory_t *mem = zeroipc_memory_create(seg, 65536, 8);
    CHECK(mem != NULL);
    CHECK(zeroipc_memory_base(mem) != NULL);
    CHECK_EQ(zeroipc_memory_size(mem), 65536);
    CHECK_EQ(zeroipc_memory_error(mem), ZEROIPC_OK);
    CHECK_EQ(zeroipc_table_count(mem), 0);

    size_t off = 0, size = 0;
    CHECK_EQ(zeroipc_table_add(mem, "first", 100, &off), ZEROIPC_OK);
    CHECK(off > 0 && off < 65536);
    CHECK_EQ(zeroipc_table_add(mem, "second", 24, NULL), ZEROIPC_OK);
    CHECK_EQ(zeroipc_table_add(mem, "third", 8, NULL), ZEROIPC_OK);
    CHECK_EQ(zeroipc_table_count(mem), 3);
    CHECK_EQ(zeroipc_table_add(mem, "first", 8, NULL), ZEROIPC_ERROR_ALREADY_EXISTS);
    CHECK(zeroipc_memory_error(mem) < 0);
    char longname[40];
    memset(longname, 'n', 32);
    longname[32] = '\0';
    CHECK_EQ(zeroipc_table_add(mem, longname, 8, NULL), ZEROIPC_ERROR_NAME_TOO_LONG);
    CHECK_EQ(zeroipc_table_add(mem, "huge", 1u << 20, NULL), ZEROIPC_ERROR_SIZE);

    size_t o2 = 0, s2 = 0;
    CHECK_EQ(zeroipc_table_find(mem, "first", &o2, &size), ZEROIPC_OK);
    CHECK_EQ(o2, off);
    CHECK_EQ(size, 100);
    CHECK_EQ(zeroipc_table_find(mem, "second", NULL, &s2), ZEROIPC_OK);
    CHECK_EQ(s2, 24);
    CHECK_EQ(zeroipc_table_find(mem, "second", &o2, NULL), ZEROIPC_OK);
    CHECK(o2 > off);
    CHECK_EQ(zeroipc_table_find(mem, "third", NULL, NULL), ZEROIPC_OK);
    CHECK_EQ(zeroipc_table_find(mem, "absent", &o2, &s2), ZEROIPC_ERROR_NOT_FOUND);

    /* Remove drops the entry; the others stay findable. */
    CHECK_EQ(zeroipc_table_remove(mem, "first"), ZEROIPC_OK);
    CHECK_EQ(zeroipc_table_count(mem), 2);
    CHECK_EQ(zeroipc_table_find(mem, "first", NULL, NULL), ZEROIPC_ERROR_NOT_FOUND);
    CHECK_EQ(zeroipc_table_find(mem, "second", NULL, &s2), ZEROIPC_OK);
    CHECK_EQ(s2, 24);
    CHECK_EQ(zeroipc_table_find(mem, "third", NULL, &s2), ZEROIPC_OK);
    CHECK_EQ(s2, 8);
    CHECK_EQ(zeroipc_table_remove(mem, "first"), ZEROIPC_ERROR_NOT_FOUND);

    /* A second handle on the same segment sees the same table. */
    zeroipc_memory_t *m2 = zeroipc_memory_open(seg);
    CHECK(m2 != NULL);
    CHECK_EQ(zeroipc_memory_size(m2), 65536);
    CHECK_EQ(zeroipc_table_count(m2), 2);
    zeroipc_memory_close(m2);
    zeroipc_memory_close(mem);

    /* A full table. */
    zeroipc_memory_unlink(seg);
    mem = zeroipc_memory_create(seg, 4096, 2);
    CHECK(mem != NULL);
    CHECK_EQ(zeroipc_table_add(mem, "a", 8, NULL), ZEROIPC_OK);
    CHECK_EQ(zeroipc_table_add(mem, "b", 8, NULL), ZEROIPC_OK);
    CHECK_EQ(zeroipc_table_add(mem, "c", 8, NULL), ZEROIPC_ERROR_TABLE_FULL);
    zeroipc_memory_close(mem);
    zeroipc_memory_unlink(seg);
    CHECK(zeroipc_memory_open(seg) == NULL);
}

static void test_array(zeroipc_memory_t *mem)
{
    zeroipc_array_t *a = zeroipc_array_create(mem, "arr", sizeof(double), 10);
    CHECK(a != NULL);
    CHECK_EQ(zeroipc_array_capacity(a), 10);
    CHECK_EQ(zeroipc_array_elem_size(a), sizeof(double));
    double *data = zeroipc_array_data(a);
    CHECK(data != NULL);
    for (int i = 0; i < 10; i++) {
        double v = i * 1.5;
        CHECK_EQ(zeroipc_array_set(a, (size_t)i, &v), ZEROIPC_OK);
    }
    CHECK(data[3] == 4.5);
    double *p = zeroipc_array_get(a, 9);
    CHECK(p != NULL && *p == 13.5);
    CHECK(zeroipc_array_get(a, 10) == NULL);
    double v = 1.0;
    CHECK(zeroipc_array_set(a, 10, &v) != ZEROIPC_OK);
    CHECK(zeroipc_array_create(mem, "arr", sizeof(double), 10) == NULL);

    zeroipc_array_t *b = zeroipc_array_open(mem, "arr");
    CHECK(b != NULL);
    CHECK_EQ(zeroipc_array_capacity(b), 10);
    CHECK_EQ(zeroipc_array_elem_size(b), sizeof(double));
    CHECK(*(double *)zeroipc_array_get(b, 3) == 4.5);
    CHECK(zeroipc_array_open(mem, "no-such-array") == NULL);
    zeroipc_array_close(b);
    zeroipc_array_close(a);
}

static void test_queue(zeroipc_memory_t *mem)
{
    zeroipc_queue_t *q = zeroipc_queue_create(mem, "q", sizeof(int32_t), 4);
    CHECK(q != NULL);
    CHECK_EQ(zeroipc_queue_capacity(q), 4);
    CHECK(zeroipc_queue_empty(q));
    CHECK(!zeroipc_queue_full(q));
    int32_t out = -1;
    CHECK_EQ(zeroipc_queue_pop(q, &out), ZEROIPC_ERROR_NOT_FOUND);
    for (int32_t i = 1; i <= 4; i++)
        CHECK_EQ(zeroipc_queue_push(q, &i), ZEROIPC_OK);
    CHECK(zeroipc_queue_full(q));
    CHECK_EQ(zeroipc_queue_size(q), 4);
    int32_t five = 5;
    CHECK_EQ(zeroipc_queue_push(q, &five), ZEROIPC_ERROR_SIZE);

    zeroipc_queue_t *q2 = zeroipc_queue_open(mem, "q");
    CHECK(q2 != NULL);
    CHECK_EQ(zeroipc_queue_size(q2), 4);
    for (int32_t i = 1; i <= 4; i++) {
        CHECK_EQ(zeroipc_queue_pop(q2, &out), ZEROIPC_OK);
        CHECK_EQ(out, i); /* FIFO */
    }
    CHECK(zeroipc_queue_empty(q));
    CHECK(zeroipc_queue_open(mem, "absent") == NULL);
    zeroipc_queue_close(q2);
    zeroipc_queue_close(q);

    /* Raw calls by base and offset. */
    void *base = zeroipc_memory_base(mem);
    size_t off;
    CHECK_EQ(zeroipc_table_find(mem, "q", &off, NULL), ZEROIPC_OK);
    CHECK_EQ(zeroipc_raw_queue_size(base, off), 0);
    CHECK_EQ(zeroipc_raw_queue_empty(base, off), 1);
    CHECK_EQ(zeroipc_raw_queue_full(base, off), 0);
    int32_t v = 77;
    CHECK_EQ(zeroipc_raw_queue_pop(base, off, &out, sizeof(int32_t)), -1);
    for (int i = 0; i < 4; i++) {
        v = 70 + i;
        CHECK_EQ(zeroipc_raw_queue_push(base, off, &v, sizeof(int32_t)), 0);
    }
    CHECK_EQ(zeroipc_raw_queue_push(base, off, &v, sizeof(int32_t)), -1);
    CHECK_EQ(zeroipc_raw_queue_full(base, off), 1);
    CHECK_EQ(zeroipc_raw_queue_size(base, off), 4);
    int64_t wide = 0;
    CHECK_EQ(zeroipc_raw_queue_push(base, off, &wide, sizeof(int64_t)), -2);
    CHECK_EQ(zeroipc_raw_queue_pop(base, off, &wide, sizeof(int64_t)), -2);
    CHECK_EQ(zeroipc_raw_queue_pop(base, off, &out, sizeof(int32_t)), 0);
    CHECK_EQ(out, 70);
    CHECK_EQ(zeroipc_raw_queue_size(base, off), 3);
    /* An invalid header: a zeroed region. */
    size_t zoff;
    CHECK_EQ(zeroipc_table_add(mem, "zeros", 64, &zoff), ZEROIPC_OK);
    CHECK_EQ(zeroipc_raw_queue_push(base, zoff, &v, sizeof(int32_t)), -3);
    CHECK_EQ(zeroipc_raw_queue_pop(base, zoff, &out, sizeof(int32_t)), -3);
}

static void test_stack(zeroipc_memory_t *mem)
{
    zeroipc_stack_t *s = zeroipc_stack_create(mem, "s", sizeof(int32_t), 3);
    CHECK(s != NULL);
    CHECK_EQ(zeroipc_stack_capacity(s), 3);
    CHECK(zeroipc_stack_empty(s));
    CHECK(!zeroipc_stack_full(s));
    int32_t out = -1;
    CHECK_EQ(zeroipc_stack_pop(s, &out), ZEROIPC_ERROR_NOT_FOUND);
    CHECK_EQ(zeroipc_stack_top(s, &out), ZEROIPC_ERROR_NOT_FOUND);
    for (int32_t i = 1; i <= 3; i++)
        CHECK_EQ(zeroipc_stack_push(s, &i), ZEROIPC_OK);
    int32_t four = 4;
    CHECK_EQ(zeroipc_stack_push(s, &four), ZEROIPC_ERROR_SIZE);
    CHECK(zeroipc_stack_full(s));
    CHECK_EQ(zeroipc_stack_size(s), 3);
    CHECK_EQ(zeroipc_stack_top(s, &out), ZEROIPC_OK);
    CHECK_EQ(out, 3);
    CHECK_EQ(zeroipc_stack_size(s), 3);

    zeroipc_stack_t *s2 = zeroipc_stack_open(mem, "s");
    CHECK(s2 != NULL);
    for (int32_t i = 3; i >= 1; i--) {
        CHECK_EQ(zeroipc_stack_pop(s2, &out), ZEROIPC_OK);
        CHECK_EQ(out, i); /* LIFO */
    }
    CHECK(zeroipc_stack_empty(s));
    CHECK(zeroipc_stack_open(mem, "absent") == NULL);
    zeroipc_stack_close(s2);
    zeroipc_stack_close(s);

    void *base = zeroipc_memory_base(mem);
    size_t off, zoff;
    CHECK_EQ(zeroipc_table_find(mem, "s", &off, NULL), ZEROIPC_OK);
    CHECK_EQ(zeroipc_table_find(mem, "zeros", &zoff, NULL), ZEROIPC_OK);
    CHECK_EQ(zeroipc_raw_stack_empty(base, off), 1);
    CHECK_EQ(zeroipc_raw_stack_full(base, off), 0);
    CHECK_EQ(zeroipc_raw_stack_size(base, off), 0);
    CHECK_EQ(zeroipc_raw_stack_pop(base, off, &out, sizeof(int32_t)), -1);
    CHECK_EQ(zeroipc_raw_stack_top(base, off, &out, sizeof(int32_t)), -1);
    for (int32_t i = 10; i < 13; i++)
        CHECK_EQ(zeroipc_raw_stack_push(base, off, &i, sizeof(int32_t)), 0);
    CHECK_EQ(zeroipc_raw_stack_push(base, off, &four, sizeof(int32_t)), -1);
    CHECK_EQ(zeroipc_raw_stack_full(base, off), 1);
    CHECK_EQ(zeroipc_raw_stack_size(base, off), 3);
    int64_t wide = 0;
    CHECK_EQ(zeroipc_raw_stack_push(base, off, &wide, sizeof(int64_t)), -2);
    CHECK_EQ(zeroipc_raw_stack_pop(base, off, &wide, sizeof(int64_t)), -2);
    CHECK_EQ(zeroipc_raw_stack_top(base, off, &wide, sizeof(int64_t)), -2);
    CHECK_EQ(zeroipc_raw_stack_top(base, off, &out, sizeof(int32_t)), 0);
    CHECK_EQ(out, 12);
    CHECK_EQ(zeroipc_raw_stack_pop(base, off, &out, sizeof(int32_t)), 0);
    CHECK_EQ(out, 12);
    CHECK_EQ(zeroipc_raw_stack_size(base, off), 2);
    CHECK_EQ(zeroipc_raw_stack_push(base, zoff, &four, sizeof(int32_t)), -3);
    CHECK_EQ(zeroipc_raw_stack_pop(base, zoff, &out, sizeof(int32_t)), -3);
    CHECK_EQ(zeroipc_raw_stack_top(base, zoff, &out, sizeof(int32_t)), -3);
}

/* A child process: opens the segment by name and meets the parent at the
 * barrier twice, then counts the latch down. */
static int child_sync(void)
{
    zeroipc_memory_t *mem = zeroipc_memory_open(seg);
    if (mem == NULL)
        return 20;
    zeroipc_barrier_t *b = zeroipc_barrier_open(mem, "bar");
    zeroipc_latch_t *l = zeroipc_latch_open(mem, "lat");
    if (b == NULL || l == NULL)
        return 21;
    if (zeroipc_barrier_num_participants(b) != 2)
        return 22;
    if (!zeroipc_barrier_wait(b))
        return 23;
    if (!zeroipc_barrier_wait_timeout(b, 10000))
        return 24;
    zeroipc_latch_count_down(l, 1);
    zeroipc_latch_count_down(l, 1);
    zeroipc_latch_close(l);
    zeroipc_barrier_close(b);
    zeroipc_memory_close(mem);
    return 0;
}

static void test_barrier_latch(zeroipc_memory_t *mem)
{
    CHECK(zeroipc_barrier_create(mem, "bad", 0) == NULL);
    CHECK(zeroipc_latch_create(mem, "bad", -1) == NULL);

    zeroipc_barrier_t *b = zeroipc_barrier_create(mem, "bar", 2);
    CHECK(b != NULL);
    CHECK_EQ(zeroipc_barrier_num_participants(b), 2);
    CHECK_EQ(zeroipc_barrier_arrived(b), 0);
    CHECK_EQ(zeroipc_barrier_generation(b), 0);
    CHECK(zeroipc_barrier_create(mem, "bar", 2) == NULL);
    /* Alone at a barrier of two: a timed wait gives up. */
    CHECK(!zeroipc_barrier_wait_timeout(b, 20));
    CHECK_EQ(zeroipc_barrier_arrived(b), 0);
    CHECK_EQ(zeroipc_barrier_generation(b), 0);

    zeroipc_latch_t *l = zeroipc_latch_create(mem, "lat", 3);
    CHECK(l != NULL);
    CHECK_EQ(zeroipc_latch_count(l), 3);
    CHECK_EQ(zeroipc_latch_initial_count(l), 3);
    CHECK(!zeroipc_latch_try_wait(l));
    CHECK(!zeroipc_latch_wait_timeout(l, 20));
    zeroipc_latch_count_down(l, 1);
    CHECK_EQ(zeroipc_latch_count(l), 2);

    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        _exit(child_sync());
    CHECK(zeroipc_barrier_wait(b));
    CHECK(zeroipc_barrier_wait_timeout(b, 10000));
    CHECK(zeroipc_barrier_generation(b) >= 1);
    zeroipc_latch_wait(l);
    CHECK(zeroipc_latch_try_wait(l));
    CHECK(zeroipc_latch_wait_timeout(l, 0));
    CHECK_EQ(zeroipc_latch_count(l), 0);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
    CHECK_EQ(zeroipc_barrier_generation(b), 2);
    CHECK_EQ(zeroipc_barrier_arrived(b), 0);

    /* Saturation at 0. */
    zeroipc_latch_count_down(l, 5);
    CHECK_EQ(zeroipc_latch_count(l), 0);
    CHECK_EQ(zeroipc_latch_initial_count(l), 3);

    /* Opening by name from another handle. */
    zeroipc_barrier_t *b2 = zeroipc_barrier_open(mem, "bar");
    zeroipc_latch_t *l2 = zeroipc_latch_open(mem, "lat");
    CHECK(b2 != NULL && l2 != NULL);
    CHECK_EQ(zeroipc_barrier_generation(b2), 2);
    CHECK_EQ(zeroipc_latch_initial_count(l2), 3);
    CHECK(zeroipc_barrier_open(mem, "absent") == NULL);
    CHECK(zeroipc_latch_open(mem, "absent") == NULL);
    zeroipc_latch_close(l2);
    zeroipc_barrier_close(b2);

    /* A barrier of one opens at once. */
    zeroipc_barrier_t *one = zeroipc_barrier_create(mem, "one", 1);
    CHECK(one != NULL);
    CHECK(zeroipc_barrier_wait(one));
    CHECK_EQ(zeroipc_barrier_generation(one), 1);
    zeroipc_barrier_close(one);

    zeroipc_latch_close(l);
    zeroipc_barrier_close(b);
}

int main(void)
{
    owner = getpid();
    snprintf(seg, sizeof seg, "/zeroipc-api-compat-%d", (int)owner);
    atexit(cleanup);

    test_error_codes();
    test_memory_and_table();

    zeroipc_memory_t *mem = zeroipc_memory_create(seg, 1 << 20, 32);
    CHECK(mem != NULL);
    test_array(mem);
    test_queue(mem);
    test_stack(mem);
    test_barrier_latch(mem);
    zeroipc_memory_close(mem);
    zeroipc_memory_unlink(seg);
    CHECK(zeroipc_memory_open(seg) == NULL);
    printf("api_compat: ok\n");
    return 0;
}
