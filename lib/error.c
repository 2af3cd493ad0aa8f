/* error.c - error strings and the per-thread last error. */
#include "zeroipc_error.h"

#include "memory_i.h"

static _Thread_local int last_error;

int zeroipc_set_error(int err)
{
    last_error = err;
    return err;
}

zeroipc_error_t zeroipc_last_error(void)
{
    return (zeroipc_error_t)last_error;
}

const char *zeroipc_error_string(zeroipc_error_t code)
{
    switch (code) {
    case ZEROIPC_OK: return "success";
    case ZEROIPC_ERROR_OPEN: return "shared-memory object could not be opened";
    case ZEROIPC_ERROR_MMAP: return "shared-memory mapping failed";
    case ZEROIPC_ERROR_SIZE: return "bad size, no space left, or full";
    case ZEROIPC_ERROR_NOT_FOUND: return "not found, or empty";
    case ZEROIPC_ERROR_TABLE_FULL: return "table full";
    case ZEROIPC_ERROR_NAME_TOO_LONG: return "name too long";
    case ZEROIPC_ERROR_INVALID_MAGIC: return "not a ZeroIPC segment (bad magic)";
    case ZEROIPC_ERROR_VERSION_MISMATCH: return "unsupported ZeroIPC format version";
    case ZEROIPC_ERROR_ALREADY_EXISTS: return "name already exists";
    case ZEROIPC_ERROR_TIMEOUT: return "timed out";
    case ZEROIPC_ERROR_CORRUPT: return "corrupt segment or structure";
    case ZEROIPC_ERROR_INVALID_ARGUMENT: return "invalid argument";
    case ZEROIPC_ERROR_WRONG_KIND: return "structure is of another kind or element size";
    case ZEROIPC_ERROR_SYSTEM: return "system call failed";
    case ZEROIPC_ERROR_CLOSED: return "closed";
    case ZEROIPC_ERROR_ALREADY_SET: return "already set";
    case ZEROIPC_ERROR_FAILED: return "resolved to an error";
    }
    return "unknown error";
}
