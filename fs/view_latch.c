/*
 * view_latch.c - a latch as a file.
 *
 * Writing N counts the latch down by N (each number written, the whole
 * write at once; the count stops at 0, as the format's count_down does).
 * A read waits, in every mode, until the count is 0 and returns it (0):
 * i32 lines, or 4-byte records in binary format.  O_NONBLOCK: EAGAIN
 * while the count is above 0.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "view.h"

static int create_latch(zeroipc_memory_t *mem, const char *name, char *const *args, int nargs,
                        char *spec)
{
    int64_t n;
    if (nargs != 1 || !zfs_parse_int(args[0], 0, INT32_MAX, &n))
        return EINVAL;
    zeroipc_latch_t *h = zeroipc_latch_create(mem, name, (int32_t)n);
    zeroipc_latch_close(h);
    spec[0] = '\0';
    return h ? 0 : zfs_errno(zeroipc_last_error());
}

static int open_latch(struct zfs_file *f, zeroipc_memory_t *mem)
{
    f->handle = zeroipc_latch_open(mem, f->info.name);
    return f->handle ? 0 : zfs_errno(zeroipc_last_error());
}

static void close_latch(struct zfs_file *f)
{
    zeroipc_latch_close(f->handle);
}

static ssize_t wait_zero(struct zfs_file *f, char *text)
{
    if (!zeroipc_latch_try_wait(f->handle))
        return -EAGAIN;
    int32_t zero = 0;
    return (ssize_t)zfs_elem_emit(f, &zero, text);
}

static ssize_t read_latch(struct zfs_file *f, char *buf, size_t size, off_t off)
{
    return zfs_text_read(f, buf, size, off, wait_zero);
}

static int count_down(struct zfs_file *f, const void *values, size_t n)
{
    const int32_t *v = values;
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < 0)
            return -EINVAL;
        total += v[i];
    }
    /* The count saturates at 0: more than it holds is as much. */
    zeroipc_latch_count_down(f->handle, total > INT32_MAX ? INT32_MAX : (int32_t)total);
    return 0;
}

static ssize_t write_latch(struct zfs_file *f, const char *buf, size_t size, off_t off)
{
    (void)off;
    return zfs_values_write(f, buf, size, false, count_down);
}

static int flush_latch(struct zfs_file *f)
{
    return zfs_values_flush(f, count_down);
}

static unsigned ready_latch(struct zfs_file *f)
{
    return (zeroipc_latch_try_wait(f->handle) ? POLLIN : 0) | POLLOUT;
}

static const char *const latch_xattrs[] = {"count", "initial", NULL};

static int xattr_latch(zeroipc_memory_t *mem, const zeroipc_info_t *info, const char *attr,
                       char *out, size_t len)
{
    zeroipc_latch_t *h = zeroipc_latch_open(mem, info->name);
    if (h == NULL)
        return zfs_errno(zeroipc_last_error());
    int32_t v = strcmp(attr, "count") == 0 ? zeroipc_latch_count(h)
                                           : zeroipc_latch_initial_count(h);
    zeroipc_latch_close(h);
    snprintf(out, len, "%" PRId32, v);
    return 0;
}

const struct zfs_view zfs_view_latch = {
    .kind = ZEROIPC_KIND_LATCH,
    .waits = true,
    .file_type = "i32",
    .create_args = create_latch,
    .open = open_latch,
    .close = close_latch,
    .read = read_latch,
    .write = write_latch,
    .flush = flush_latch,
    .ready = ready_latch,
    .xattrs = latch_xattrs,
    .xattr_get = xattr_latch,
};
