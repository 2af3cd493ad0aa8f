/*
 * view_event.c - an event as a file.
 *
 * A read waits, in every mode, until the event is set, and returns 1 (an
 * auto-reset event: the read takes the signal, so exactly one reader
 * passes per set).  Writing 1 sets it, 0 resets it; the numbers of one
 * write are applied in order (i32 lines, or 4-byte records in binary
 * format).  O_NONBLOCK: EAGAIN while reset.
 *
 * A read parked in the daemon is not one of the waiters the format's
 * `waiting` word counts (the daemon looks every few milliseconds rather
 * than sleeping), so a pulse from a program, which releases only the
 * waiters counted, may pass it by: wait with set and reset, or with an
 * auto event, to reach readers through the mount.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "view.h"

static int create_event(zeroipc_memory_t *mem, const char *name, char *const *args, int nargs,
                        char *spec)
{
    zeroipc_event_mode_t mode;
    if (nargs == 1 && strcmp(args[0], "auto") == 0)
        mode = ZEROIPC_EVENT_AUTO;
    else if (nargs == 1 && strcmp(args[0], "manual") == 0)
        mode = ZEROIPC_EVENT_MANUAL;
    else
        return EINVAL;
    zeroipc_event_t *h = zeroipc_event_create(mem, name, mode);
    zeroipc_event_close(h);
    spec[0] = '\0';
    return h ? 0 : zfs_errno(zeroipc_last_error());
}

static int open_event(struct zfs_file *f, zeroipc_memory_t *mem)
{
    f->handle = zeroipc_event_open(mem, f->info.name);
    return f->handle ? 0 : zfs_errno(zeroipc_last_error());
}

static void close_event(struct zfs_file *f)
{
    zeroipc_event_close(f->handle);
}

static ssize_t wait_set(struct zfs_file *f, char *text)
{
    int err = zeroipc_event_try_wait(f->handle);
    if (err == ZEROIPC_ERROR_TIMEOUT)
        return -EAGAIN;
    if (err != ZEROIPC_OK)
        return -zfs_errno(err);
    int32_t one = 1;
    return (ssize_t)zfs_elem_emit(f, &one, text);
}

static ssize_t read_event(struct zfs_file *f, char *buf, size_t size, off_t off)
{
    return zfs_text_read(f, buf, size, off, wait_set);
}

static int apply(struct zfs_file *f, const void *values, size_t n)
{
    const int32_t *v = values;
    for (size_t i = 0; i < n; i++) {
        if (v[i] != 0 && v[i] != 1)
            return -EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        int err = v[i] ? zeroipc_event_set(f->handle) : zeroipc_event_reset(f->handle);
        if (err != ZEROIPC_OK)
            return -zfs_errno(err);
    }
    return 0;
}

static ssize_t write_event(struct zfs_file *f, const char *buf, size_t size, off_t off)
{
    (void)off;
    return zfs_values_write(f, buf, size, false, apply);
}

static int flush_event(struct zfs_file *f)
{
    return zfs_values_flush(f, apply);
}

static unsigned ready_event(struct zfs_file *f)
{
    return (zeroipc_event_is_set(f->handle) ? POLLIN : 0) | POLLOUT;
}

static const char *const event_xattrs[] = {"signaled", "mode", "waiting", NULL};

static int xattr_event(zeroipc_memory_t *mem, const zeroipc_info_t *info, const char *attr,
                       char *out, size_t len)
{
    zeroipc_event_t *h = zeroipc_event_open(mem, info->name);
    if (h == NULL)
        return zfs_errno(zeroipc_last_error());
    if (strcmp(attr, "signaled") == 0)
        snprintf(out, len, "%d", zeroipc_event_is_set(h) ? 1 : 0);
    else if (strcmp(attr, "mode") == 0)
        snprintf(out, len, "%s", zeroipc_event_mode(h) == ZEROIPC_EVENT_MANUAL ? "manual" : "auto");
    else
        snprintf(out, len, "%" PRIu32, zeroipc_event_waiting(h));
    zeroipc_event_close(h);
    return 0;
}

const struct zfs_view zfs_view_event = {
    .kind = ZEROIPC_KIND_EVENT,
    .waits = true,
    .file_type = "i32",
    .create_args = create_event,
    .open = open_event,
    .close = close_event,
    .read = read_event,
    .write = write_event,
    .flush = flush_event,
    .ready = ready_event,
    .xattrs = event_xattrs,
    .xattr_get = xattr_event,
};
