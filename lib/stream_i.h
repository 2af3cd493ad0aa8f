/*
 * stream_i.h - what stream.c (streams, derive, pump) and stream_op.c (the
 * operators as text and as arithmetic) share.  Private: never installed.
 *
 * stream_op.c knows nothing of shared memory: it parses and formats the
 * label grammar of zeroipc_stream.h and applies an operator to elements
 * in private buffers.
 */
#ifndef ZEROIPC_STREAM_I_H
#define ZEROIPC_STREAM_I_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memory_i.h"

enum zeroipc_sop_kind {
    ZEROIPC_SOP_MAP = 1,
    ZEROIPC_SOP_FILTER,
    ZEROIPC_SOP_TAKE,
    ZEROIPC_SOP_SKIP,
    ZEROIPC_SOP_FOLD,
};

/* map: add sub mul div neg abs; filter: lt le gt ge eq ne; fold: sum
 * count min max.  One enum: the words are distinct. */
enum zeroipc_sop_fn {
    ZEROIPC_SOP_NONE = 0,
    ZEROIPC_SOP_ADD, ZEROIPC_SOP_SUB, ZEROIPC_SOP_MUL, ZEROIPC_SOP_DIV,
    ZEROIPC_SOP_NEG, ZEROIPC_SOP_ABS,
    ZEROIPC_SOP_LT, ZEROIPC_SOP_LE, ZEROIPC_SOP_GT, ZEROIPC_SOP_GE,
    ZEROIPC_SOP_EQ, ZEROIPC_SOP_NE,
    ZEROIPC_SOP_SUM, ZEROIPC_SOP_COUNT, ZEROIPC_SOP_MIN, ZEROIPC_SOP_MAX,
};

/* A parsed operator on elements of one number type. */
struct zeroipc_sop {
    int kind;         /* enum zeroipc_sop_kind */
    int fn;           /* enum zeroipc_sop_fn */
    uint8_t type;     /* zeroipc_field_kind_t, I8 .. F64 */
    uint32_t size;    /* element bytes */
    uint8_t c[8];     /* the constant, as an element (map and filter) */
    uint64_t n;       /* take / skip count */
};

/* The byte size of number type `type` (a zeroipc_field_kind_t), 0 if it
 * is not I8 .. F64. */
ZEROIPC_INTERNAL uint32_t zeroipc_sop_type_size(uint8_t type);

/*
 * Parses the `len` bytes of `text` (tokens separated by runs of spaces)
 * as an operator on `type`.  ZEROIPC_OK; ZEROIPC_ERROR_INVALID_ARGUMENT
 * for anything outside the grammar, a constant that is not of the type,
 * an integer division by zero, a bad type; ZEROIPC_ERROR_SIZE for skip N
 * of 2^32 or more.
 */
ZEROIPC_INTERNAL int zeroipc_sop_parse(const char *text, size_t len,
                                       uint8_t type, struct zeroipc_sop *out);

/* The canonical text of *op, with its NUL, into buf (len bytes).
 * ZEROIPC_OK or ZEROIPC_ERROR_SIZE. */
ZEROIPC_INTERNAL int zeroipc_sop_format(const struct zeroipc_sop *op,
                                        char *buf, size_t len);

/* map / filter: n elements from `in` to `out` (as many bytes as in);
 * returns the number written to out.  take and skip pass elements
 * through unchanged (the caller does the counting). */
ZEROIPC_INTERNAL size_t zeroipc_sop_apply(const struct zeroipc_sop *op,
                                          const uint8_t *in, size_t n,
                                          uint8_t *out);

/* Bytes of a fold's result: 8 for sum and count, the element for min
 * and max. */
ZEROIPC_INTERNAL size_t zeroipc_sop_result_size(const struct zeroipc_sop *op);

/* Folds n elements into the accumulator `acc` (result_size bytes, any
 * alignment); *seen says whether min/max have a first element yet, and is
 * set when n > 0. */
ZEROIPC_INTERNAL void zeroipc_sop_fold(const struct zeroipc_sop *op,
                                       uint8_t *acc, bool *seen,
                                       const uint8_t *in, size_t n);

#endif
