/*
 * view_rwlock.c - a readers/writer lock as a file that shows its state:
 *
 *   readers 2
 *   writer 0
 *
 * Locks are held by programs across their critical sections, which a
 * read or write of a file cannot span: the file is read-only.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "view.h"

static int create_rwlock(zeroipc_memory_t *mem, const char *name, char *const *args, int nargs,
                         char *spec)
{
    (void)args;
    if (nargs != 0)
        return EINVAL;
    zeroipc_rwlock_t *h = zeroipc_rwlock_create(mem, name);
    zeroipc_rwlock_close(h);
    spec[0] = '\0';
    return h ? 0 : zfs_errno(zeroipc_last_error());
}

static int open_rwlock(struct zfs_file *f, zeroipc_memory_t *mem)
{
    f->handle = zeroipc_rwlock_open(mem, f->info.name);
    return f->handle ? 0 : zfs_errno(zeroipc_last_error());
}

static void close_rwlock(struct zfs_file *f)
{
    zeroipc_rwlock_close(f->handle);
}

static ssize_t rwlock_text(struct zfs_file *f, char *text)
{
    return snprintf(text, ZFS_TEXT_MAX, "readers %" PRId32 "\nwriter %" PRId32 "\n",
                    zeroipc_rwlock_readers(f->handle), zeroipc_rwlock_writer_active(f->handle));
}

static ssize_t read_rwlock(struct zfs_file *f, char *buf, size_t size, off_t off)
{
    return zfs_text_read(f, buf, size, off, rwlock_text);
}

static const char *const rwlock_xattrs[] = {"readers", "writer", NULL};

static int xattr_rwlock(zeroipc_memory_t *mem, const zeroipc_info_t *info, const char *attr,
                        char *out, size_t len)
{
    zeroipc_rwlock_t *h = zeroipc_rwlock_open(mem, info->name);
    if (h == NULL)
        return zfs_errno(zeroipc_last_error());
    int32_t v = strcmp(attr, "readers") == 0 ? zeroipc_rwlock_readers(h)
                                             : zeroipc_rwlock_writer_active(h);
    zeroipc_rwlock_close(h);
    snprintf(out, len, "%" PRId32, v);
    return 0;
}

const struct zfs_view zfs_view_rwlock = {
    .kind = ZEROIPC_KIND_RWLOCK,
    .read_only = true,
    .create_args = create_rwlock,
    .open = open_rwlock,
    .close = close_rwlock,
    .read = read_rwlock,
    .write = zfs_write_refused,
    .flush = zfs_flush_nothing,
    .ready = zfs_ready_read,
    .xattrs = rwlock_xattrs,
    .xattr_get = xattr_rwlock,
};
