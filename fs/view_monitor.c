/*
 * view_monitor.c - a monitor as a file that shows its state:
 *
 *   locked 1
 *   waiting 3
 *
 * (`waiting`: processes asleep in a wait for a notification).  Holding
 * the monitor spans a program's critical section, which a read or write
 * cannot: the file is read-only.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "view.h"

static int create_monitor(zeroipc_memory_t *mem, const char *name, char *const *args,
                          int nargs, char *spec)
{
    (void)args;
    if (nargs != 0)
        return EINVAL;
    zeroipc_monitor_t *h = zeroipc_monitor_create(mem, name);
    zeroipc_monitor_close(h);
    spec[0] = '\0';
    return h ? 0 : zfs_errno(zeroipc_last_error());
}

static int open_monitor(struct zfs_file *f, zeroipc_memory_t *mem)
{
    f->handle = zeroipc_monitor_open(mem, f->info.name);
    return f->handle ? 0 : zfs_errno(zeroipc_last_error());
}

static void close_monitor(struct zfs_file *f)
{
    zeroipc_monitor_close(f->handle);
}

static ssize_t monitor_text(struct zfs_file *f, char *text)
{
    return snprintf(text, ZFS_TEXT_MAX, "locked %d\nwaiting %" PRIu32 "\n",
                    zeroipc_monitor_is_locked(f->handle) ? 1 : 0,
                    zeroipc_monitor_waiting(f->handle));
}

static ssize_t read_monitor(struct zfs_file *f, char *buf, size_t size, off_t off)
{
    return zfs_text_read(f, buf, size, off, monitor_text);
}

static const char *const monitor_xattrs[] = {"locked", "waiting", NULL};

static int xattr_monitor(zeroipc_memory_t *mem, const zeroipc_info_t *info, const char *attr,
                         char *out, size_t len)
{
    zeroipc_monitor_t *h = zeroipc_monitor_open(mem, info->name);
    if (h == NULL)
        return zfs_errno(zeroipc_last_error());
    if (strcmp(attr, "locked") == 0)
        snprintf(out, len, "%d", zeroipc_monitor_is_locked(h) ? 1 : 0);
    else
        snprintf(out, len, "%" PRIu32, zeroipc_monitor_waiting(h));
    zeroipc_monitor_close(h);
    return 0;
}

const struct zfs_view zfs_view_monitor = {
    .kind = ZEROIPC_KIND_MONITOR,
    .read_only = true,
    .create_args = create_monitor,
    .open = open_monitor,
    .close = close_monitor,
    .read = read_monitor,
    .write = zfs_write_refused,
    .flush = zfs_flush_nothing,
    .ready = zfs_ready_read,
    .xattrs = monitor_xattrs,
    .xattr_get = xattr_monitor,
};
