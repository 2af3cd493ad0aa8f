/*
 * zeroipc_error.h - the one error convention of libzeroipc.
 *
 * Every operation that can fail returns ZEROIPC_OK (0) or a negative
 * zeroipc_error_t.  Functions that return a handle return NULL instead and
 * record the code in a per-thread slot read by zeroipc_last_error(), much as
 * libc does with errno.  No function of the library prints, exits or aborts.
 *
 * Codes 0 to -10 have the exact values of the original ZeroIPC C API and
 * keep their meaning there (note that a full queue or stack is
 * ZEROIPC_ERROR_SIZE and an empty one ZEROIPC_ERROR_NOT_FOUND, as in the
 * original).  Codes of our own are below -10 and are never renumbered.
 */
#ifndef ZEROIPC_ERROR_H
#define ZEROIPC_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    ZEROIPC_OK = 0,
    /* The shared-memory object could not be opened or created (errno says why). */
    ZEROIPC_ERROR_OPEN = -1,
    /* mmap() of the object failed. */
    ZEROIPC_ERROR_MMAP = -2,
    /* A bad size or count, no space left in the segment, or a full queue or stack. */
    ZEROIPC_ERROR_SIZE = -3,
    /* No entry of that name, or an empty queue or stack. */
    ZEROIPC_ERROR_NOT_FOUND = -4,
    /* Every table entry is in use. */
    ZEROIPC_ERROR_TABLE_FULL = -5,
    /* A structure name of 32 bytes or more, or a segment name over NAME_MAX. */
    ZEROIPC_ERROR_NAME_TOO_LONG = -6,
    /* The object does not start with the ZeroIPC magic. */
    ZEROIPC_ERROR_INVALID_MAGIC = -7,
    /* The segment is of a format version other than 2. */
    ZEROIPC_ERROR_VERSION_MISMATCH = -8,
    /* The name is taken. */
    ZEROIPC_ERROR_ALREADY_EXISTS = -9,
    /* A bounded wait ran out: a timed call expired, or a peer died mid-operation. */
    ZEROIPC_ERROR_TIMEOUT = -10,

    /* Shared memory holds something impossible: an offset outside the
     * segment, a count larger than its capacity, a capacity that does not
     * match the entry size.  Nothing was read or written through it. */
    ZEROIPC_ERROR_CORRUPT = -11,
    /* A NULL handle or pointer, an empty name, or an argument out of its domain. */
    ZEROIPC_ERROR_INVALID_ARGUMENT = -12,
    /* The entry exists but its header does not describe the kind asked for
     * (for example opening an array as a queue), or the element size differs. */
    ZEROIPC_ERROR_WRONG_KIND = -13,
    /* A system call other than open/mmap failed (ftruncate, fstat, flock);
     * errno holds the reason. */
    ZEROIPC_ERROR_SYSTEM = -14,
    /* The channel or stream is closed: nothing more can be sent or
     * emitted, and a receiver has drained everything that was. */
    ZEROIPC_ERROR_CLOSED = -15,
    /* A future or lazy value already resolved (set once, or supplied once):
     * the second set changes nothing. */
    ZEROIPC_ERROR_ALREADY_SET = -16,
    /* A future or lazy value resolved to an error; its message is
     * readable with the structure's error call. */
    ZEROIPC_ERROR_FAILED = -17,
} zeroipc_error_t;

/*
 * A short, constant, English description of `code` ("queue or stack full
 * / bad size", ...).  Never NULL: unknown codes give "unknown error".
 * Safe from any thread.
 */
const char *zeroipc_error_string(zeroipc_error_t code);

/*
 * The code recorded by the last call on this thread that returned NULL
 * (zeroipc_memory_create, zeroipc_queue_open, ...).  Calls that succeed set
 * it to ZEROIPC_OK.  Thread-local, like errno.
 */
zeroipc_error_t zeroipc_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_ERROR_H */
