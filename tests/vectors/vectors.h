/*
 * vectors.h - what the shipped test vectors contain, and helpers to use them.
 *
 * The two segment images in $ZEROIPC_VECTORS (../shared/vectors) were
 * written by the public ZeroIPC C++ (cpp_all.seg) and pure-Python
 * (py_core.seg) implementations.  vecdata.c transcribes MANIFEST.md: every
 * table entry, the operations that made each array, queue and stack, their
 * expected contents, which structure kinds each entry's bytes are accepted
 * as by the exact size formulas, and the nondeterministic byte ranges.
 *
 * Two programs use it: test_vectors_read.c opens copies of the images
 * through the library, test_vectors_reproduce.c rebuilds them with the
 * library and compares bytes.
 */
#ifndef ZEROIPC_TEST_VECTORS_H
#define ZEROIPC_TEST_VECTORS_H

#include <stddef.h>
#include <stdint.h>

#include "testutil.h"

#define ZV_SEGMENT_SIZE 262144u
#define ZV_MAX_ENTRIES 64u
#define ZV_TABLE_BYTES (ZEROIPC_HEADER_SIZE + ZEROIPC_ENTRY_SIZE * ZV_MAX_ENTRIES)

/* Kinds an entry's bytes are accepted as by zeroipc_X_validate. */
#define ZV_ACC_ARRAY 1u
#define ZV_ACC_QUEUE 2u
#define ZV_ACC_STACK 4u

enum zv_kind { ZV_ARRAY, ZV_QUEUE, ZV_STACK };

/* One operation of a structure's history, in order. */
enum zv_opcode {
    ZV_SET,  /* array: element `index` = value */
    ZV_PUSH, /* queue/stack: push value */
    ZV_POP,  /* queue/stack: pop, which returns value */
};

struct zv_op {
    enum zv_opcode op;
    size_t index;
    const void *value; /* elem_size bytes */
};

/* An array, queue or stack: a structure our library makes. */
struct zv_struct {
    enum zv_kind kind;
    size_t elem_size;
    size_t capacity_requested; /* what the writer asked for */
    size_t capacity;           /* what is stored (queues: power of two) */
    const struct zv_op *ops;
    size_t n_ops;
    /* Array: every element, index 0 first.  Queue: front to back.
     * Stack: top to bottom.  n_contents elements of elem_size bytes. */
    const void *contents;
    size_t n_contents;
};

struct zv_entry {
    const char *name;
    uint64_t offset;
    uint64_t size;
    const char *what; /* MANIFEST's structure column */
    /* Set for arrays, queues and stacks: their history and contents,
     * which test_vectors_read.c checks through the array, queue and stack
     * API. */
    const struct zv_struct *st;
    /* How test_vectors_reproduce.c rebuilds the entry: 0 from `st` with
     * the array, queue or stack API; else with the API the library got in
     * that issue (4: ring, map, set, pool; 5: synchronization primitives
     * and signal; 6: future, lazy, stream, channel), companions included
     * (chb_buffer has an `st` but is made by its channel: issue 6). */
    int issue;
    unsigned accepts;        /* ZV_ACC_* by the exact size formulas */
    size_t array_elem_size;  /* when accepted as an array */
};

/* A half-open range [begin, end) of absolute offsets. */
struct zv_range {
    uint64_t begin, end;
    const char *what;
};

struct zv_image {
    const char *file;   /* inside $ZEROIPC_VECTORS */
    const char *tag;    /* short, for segment names */
    uint32_t entry_count;
    uint64_t next_offset;
    const struct zv_entry *entries;
    const struct zv_range *masks; /* nondeterministic bytes */
    size_t n_masks;
};

extern const struct zv_image zv_cpp_all;
extern const struct zv_image zv_py_core;

/*
 * The vectors directory ($ZEROIPC_VECTORS), or NULL (after printing why)
 * when it is unset or not a directory: the tests then skip.
 */
const char *zv_dir(void);

/* Reads the image file whole into a malloc'd buffer of *len bytes (fails
 * the test on any error).  The caller frees it. */
uint8_t *zv_load(const struct zv_image *img, size_t *len);

/* Copies the image into /dev/shm under a fresh, cleanup-recorded name
 * written to name (ZT_NAME_MAX bytes); fails the test on error. */
void zv_copy(const struct zv_image *img, char *name);

/*
 * Compares len bytes of want and got, which start at absolute offset
 * base.  On a difference prints `what`, the first differing absolute
 * offset and both bytes there, and returns 1; else 0.  Bytes whose
 * absolute offset falls in one of the n masks are ignored.
 */
int zv_diff(const char *what, const uint8_t *want, const uint8_t *got,
            uint64_t base, size_t len, const struct zv_range *masks,
            size_t n_masks);

/* Assertion messages with the library's error name. */
#define zv_assert_ok(expr)                                                   \
    do {                                                                     \
        int zv_rc_ = (expr);                                                 \
        if (zv_rc_ != ZEROIPC_OK)                                            \
            fail_msg("%s -> %d (%s)", #expr, zv_rc_,                         \
                     zeroipc_error_string((zeroipc_error_t)zv_rc_));         \
    } while (0)

#define zv_assert_handle(h, expr)                                            \
    do {                                                                     \
        (h) = (expr);                                                        \
        if ((h) == NULL)                                                     \
            fail_msg("%s -> NULL, last error %d (%s)", #expr,                \
                     (int)zeroipc_last_error(),                              \
                     zeroipc_error_string(zeroipc_last_error()));            \
    } while (0)

#endif
