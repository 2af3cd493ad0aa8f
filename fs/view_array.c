/*
 * view_array.c - an array as a file.
 *
 * Reading consumes nothing.  In text format the whole array is rendered
 * once per open file, when a read starts at offset 0, and later reads are
 * served from that snapshot, so a reader walking the file with growing
 * offsets sees one consistent rendering rather than lines from different
 * moments.  In binary format the file is the element bytes themselves.
 *
 * Text writes assign elements from 0 on, continuing across the writes of
 * one open file; a binary write lands at its byte offset.  Either way, a
 * write that would go past the last element fails with ENOSPC and
 * assigns nothing.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"

static int create_array(zeroipc_memory_t *mem, const char *name, size_t elem_size,
                        size_t capacity)
{
    zeroipc_array_t *h = zeroipc_array_create(mem, name, elem_size, capacity);
    zeroipc_array_close(h);
    return h ? 0 : zfs_errno(zeroipc_last_error());
}

static int open_array(struct zfs_file *f, zeroipc_memory_t *mem)
{
    f->handle = zeroipc_array_open(mem, f->info.name);
    return f->handle ? 0 : zfs_errno(zeroipc_last_error());
}

static void close_array(struct zfs_file *f)
{
    zeroipc_array_close(f->handle);
}

static int render(struct zfs_file *f)
{
    size_t n = zeroipc_array_capacity(f->handle);
    size_t len = 0;
    char *text = malloc(n * f->text_max + 1);
    if (text == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        len += zfs_elem_emit(f, zeroipc_array_get(f->handle, i), text + len);
    free(f->snapshot);
    f->snapshot = text;
    f->snapshot_len = len;
    return 0;
}

static ssize_t read_array(struct zfs_file *f, char *buf, size_t size, off_t off)
{
    const char *src;
    size_t len;
    if (zfs_opts.binary) {
        src = zeroipc_array_data(f->handle);
        len = zeroipc_array_capacity(f->handle) * zeroipc_array_elem_size(f->handle);
    } else {
        if (off == 0 || f->snapshot == NULL) {
            int rc = render(f);
            if (rc != 0)
                return rc;
        }
        src = f->snapshot;
        len = f->snapshot_len;
    }
    if ((size_t)off >= len)
        return 0;
    size_t n = len - (size_t)off < size ? len - (size_t)off : size;
    memcpy(buf, src + off, n);
    return (ssize_t)n;
}

static ssize_t write_binary(struct zfs_file *f, const char *buf, size_t size, off_t off)
{
    size_t len = zeroipc_array_capacity(f->handle) * zeroipc_array_elem_size(f->handle);
    if ((size_t)off > len || size > len - (size_t)off)
        return -ENOSPC;
    memcpy((char *)zeroipc_array_data(f->handle) + off, buf, size);
    return (ssize_t)size;
}

/* Assigns parsed elements from f->next_index on, or nothing. */
static int assign(struct zfs_file *f, const void *elems, size_t n)
{
    size_t esz = f->info.elem_size;
    if (n > zeroipc_array_capacity(f->handle) - f->next_index)
        return -ENOSPC;
    for (size_t i = 0; i < n; i++)
        zeroipc_array_set(f->handle, f->next_index++, (const char *)elems + i * esz);
    return 0;
}

static ssize_t write_array(struct zfs_file *f, const char *buf, size_t size, off_t off)
{
    if (zfs_opts.binary)
        return write_binary(f, buf, size, off);
    void *elems;
    size_t *ends, n;
    int rc = zfs_elem_parse(f, buf, size, false, &elems, &ends, &n);
    if (rc != 0)
        return rc;
    rc = assign(f, elems, n);
    if (rc == 0)
        rc = zfs_elem_keep_tail(f, buf, size, n, ends);
    free(elems);
    free(ends);
    return rc != 0 ? rc : (ssize_t)size;
}

static int flush_array(struct zfs_file *f)
{
    if (zfs_opts.binary || f->partial_len == 0)
        return 0;
    void *elems;
    size_t *ends, n;
    int rc = zfs_elem_parse(f, NULL, 0, true, &elems, &ends, &n);
    if (rc == 0) {
        rc = assign(f, elems, n);
        free(elems);
        free(ends);
    }
    zfs_elem_drop_partial(f);
    return rc;
}

static unsigned ready_array(struct zfs_file *f)
{
    (void)f;
    return POLLIN | POLLOUT;
}

static size_t count_array(zeroipc_memory_t *mem, const zeroipc_info_t *info)
{
    (void)mem;
    return info->capacity;
}

const struct zfs_view zfs_view_array = {
    .kind = ZEROIPC_KIND_ARRAY,
    .consumes = false,
    .create = create_array,
    .open = open_array,
    .close = close_array,
    .read = read_array,
    .write = write_array,
    .flush = flush_array,
    .ready = ready_array,
    .count = count_array,
};
