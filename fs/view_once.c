/*
 * view_once.c - a once as a file that shows its state, one word and a
 * newline: `pending`, `executing` or `done`.  Running the function is a
 * program's business (zeroipc_once_call): the file is read-only.
 */
#include <errno.h>
#include <stdio.h>

#include "view.h"

static int create_once(zeroipc_memory_t *mem, const char *name, char *const *args, int nargs,
                       char *spec)
{
    (void)args;
    if (nargs != 0)
        return EINVAL;
    zeroipc_once_t *h = zeroipc_once_create(mem, name);
    zeroipc_once_close(h);
    spec[0] = '\0';
    return h ? 0 : zfs_errno(zeroipc_last_error());
}

static int open_once(struct zfs_file *f, zeroipc_memory_t *mem)
{
    f->handle = zeroipc_once_open(mem, f->info.name);
    return f->handle ? 0 : zfs_errno(zeroipc_last_error());
}

static void close_once(struct zfs_file *f)
{
    zeroipc_once_close(f->handle);
}

static const char *state_name(zeroipc_once_t *h)
{
    switch (zeroipc_once_state(h)) {
    case ZEROIPC_ONCE_PENDING: return "pending";
    case ZEROIPC_ONCE_EXECUTING: return "executing";
    case ZEROIPC_ONCE_DONE: return "done";
    default: return NULL;
    }
}

static ssize_t once_text(struct zfs_file *f, char *text)
{
    const char *s = state_name(f->handle);
    return s ? snprintf(text, ZFS_TEXT_MAX, "%s\n", s) : -EIO;
}

static ssize_t read_once(struct zfs_file *f, char *buf, size_t size, off_t off)
{
    return zfs_text_read(f, buf, size, off, once_text);
}

static const char *const once_xattrs[] = {"state", NULL};

static int xattr_once(zeroipc_memory_t *mem, const zeroipc_info_t *info, const char *attr,
                      char *out, size_t len)
{
    (void)attr;
    zeroipc_once_t *h = zeroipc_once_open(mem, info->name);
    if (h == NULL)
        return zfs_errno(zeroipc_last_error());
    const char *s = state_name(h);
    zeroipc_once_close(h);
    if (s == NULL)
        return EIO;
    snprintf(out, len, "%s", s);
    return 0;
}

const struct zfs_view zfs_view_once = {
    .kind = ZEROIPC_KIND_ONCE,
    .read_only = true,
    .create_args = create_once,
    .open = open_once,
    .close = close_once,
    .read = read_once,
    .write = zfs_write_refused,
    .flush = zfs_flush_nothing,
    .ready = zfs_ready_read,
    .xattrs = once_xattrs,
    .xattr_get = xattr_once,
};
