/*
 * log.c - the driver's one voice, and its one errno mapping.
 *
 * In the foreground the log goes to stderr; once daemonized, to syslog.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "zfs.h"

enum zfs_level zfs_log_level = ZFS_WARN;
bool zfs_log_syslog;

void zfs_log(enum zfs_level level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    static const int priorities[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
    if (level > zfs_log_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (zfs_log_syslog) {
        vsyslog(priorities[level], fmt, ap);
    } else {
        fprintf(stderr, "zeroipcfs: %s: ", names[level]);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
    }
    va_end(ap);
}

int zfs_errno(int err)
{
    switch (err) {
    case ZEROIPC_OK: return 0;
    case ZEROIPC_ERROR_OPEN: return errno == EACCES ? EACCES : ENOENT;
    case ZEROIPC_ERROR_MMAP: return ENOMEM;
    case ZEROIPC_ERROR_SIZE: return ENOSPC;
    case ZEROIPC_ERROR_NOT_FOUND: return ENOENT;
    case ZEROIPC_ERROR_TABLE_FULL: return ENOSPC;
    case ZEROIPC_ERROR_NAME_TOO_LONG: return ENAMETOOLONG;
    case ZEROIPC_ERROR_ALREADY_EXISTS: return EEXIST;
    case ZEROIPC_ERROR_TIMEOUT: return ETIMEDOUT;
    case ZEROIPC_ERROR_INVALID_ARGUMENT: return EINVAL;
    /* Sending on a closed channel is writing to a pipe with no reader. */
    case ZEROIPC_ERROR_CLOSED: return EPIPE;
    /* A future is set once: the second set is a write that cannot be. */
    case ZEROIPC_ERROR_ALREADY_SET: return EEXIST;
    /* A segment or structure that is not what it claims: the data is
     * there but cannot be trusted, which is what EIO says of a disk. */
    case ZEROIPC_ERROR_INVALID_MAGIC:
    case ZEROIPC_ERROR_VERSION_MISMATCH:
    case ZEROIPC_ERROR_CORRUPT:
    case ZEROIPC_ERROR_WRONG_KIND:
    case ZEROIPC_ERROR_SYSTEM:
    default:
        return EIO;
    }
}
