/*
 * view_pool.c - a pool as a file that shows its state:
 *
 *   capacity 8
 *   allocated 3
 *   free 5
 *
 * rendered when a read starts at offset 0 (as an array's text), the same
 * in binary format.  Nodes are allocated and freed by index by the
 * programs that share them, and what a node holds means nothing to the
 * pool, so the file offers no way to change it: writes fail with EPERM
 * and the file's mode has no write bits.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "view.h"

static int create_pool(zeroipc_memory_t *mem, const char *name, const char *spec,
                       size_t capacity)
{
    zeroipc_type_t t;
    if (zeroipc_type_parse(spec, strlen(spec), &t) != ZEROIPC_OK)
        return EINVAL;
    zeroipc_pool_t *h = zeroipc_pool_create(mem, name, zeroipc_type_size(&t), t.align, capacity);
    zeroipc_pool_close(h);
    return h ? 0 : zfs_errno(zeroipc_last_error());
}

static int open_pool(struct zfs_file *f, zeroipc_memory_t *mem)
{
    f->handle = zeroipc_pool_open(mem, f->info.name, 0);
    return f->handle ? 0 : zfs_errno(zeroipc_last_error());
}

static void close_pool(struct zfs_file *f)
{
    zeroipc_pool_close(f->handle);
}

static ssize_t pool_text(struct zfs_file *f, char *text)
{
    size_t cap = zeroipc_pool_capacity(f->handle);
    size_t used = zeroipc_pool_allocated(f->handle);
    return snprintf(text, ZFS_TEXT_MAX, "capacity %zu\nallocated %zu\nfree %zu\n", cap, used,
                    cap - used);
}

static ssize_t read_pool(struct zfs_file *f, char *buf, size_t size, off_t off)
{
    return zfs_text_read(f, buf, size, off, pool_text);
}

static size_t count_pool(zeroipc_memory_t *mem, const zeroipc_info_t *info)
{
    zeroipc_pool_t *h = zeroipc_pool_open(mem, info->name, 0);
    size_t n = zeroipc_pool_allocated(h);
    zeroipc_pool_close(h);
    return n;
}

const struct zfs_view zfs_view_pool = {
    .kind = ZEROIPC_KIND_POOL,
    .consumes = false,
    .read_only = true,
    .create_typed = create_pool,
    .open = open_pool,
    .close = close_pool,
    .read = read_pool,
    .write = zfs_write_refused,
    .flush = zfs_flush_nothing,
    .ready = zfs_ready_read,
    .count = count_pool,
};
