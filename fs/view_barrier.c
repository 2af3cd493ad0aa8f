/*
 * view_barrier.c - a barrier as a file.
 *
 * A read arrives and waits (in every mode) until every participant of
 * that generation has arrived, then returns the generation it opened
 * (i32: a line, or a 4-byte record in binary format).  The daemon never
 * sleeps, so the read arrives once, is parked, and passes when the
 * generation moves; a reader interrupted meanwhile (Ctrl-C) takes its
 * arrival back (zeroipc_barrier_withdraw), so the barrier does not count
 * a participant that is gone.  O_NONBLOCK: a read that would wait fails
 * with EAGAIN without arriving.  Nothing can be written: there is no
 * signalling side but arriving.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"

/* The arrival of the read in progress, if any. */
struct barrier_state {
    bool arrived;
    int32_t generation;
};

static int create_barrier(zeroipc_memory_t *mem, const char *name, char *const *args,
                          int nargs, char *spec)
{
    int64_t n;
    if (nargs != 1 || !zfs_parse_int(args[0], 1, INT32_MAX, &n))
        return EINVAL;
    zeroipc_barrier_t *h = zeroipc_barrier_create(mem, name, (int32_t)n);
    zeroipc_barrier_close(h);
    spec[0] = '\0';
    return h ? 0 : zfs_errno(zeroipc_last_error());
}

static int open_barrier(struct zfs_file *f, zeroipc_memory_t *mem)
{
    if ((f->view_state = calloc(1, sizeof(struct barrier_state))) == NULL)
        return ENOMEM;
    f->handle = zeroipc_barrier_open(mem, f->info.name);
    return f->handle ? 0 : zfs_errno(zeroipc_last_error());
}

static void close_barrier(struct zfs_file *f)
{
    zeroipc_barrier_close(f->handle);
}

static ssize_t passed(struct zfs_file *f, int32_t generation, char *text)
{
    int32_t opened = (int32_t)((uint32_t)generation + 1u);
    return (ssize_t)zfs_elem_emit(f, &opened, text);
}

static ssize_t arrive(struct zfs_file *f, char *text)
{
    struct barrier_state *st = f->view_state;
    if (st->arrived) {
        if (!zeroipc_barrier_opened(f->handle, st->generation))
            return -EAGAIN;
        st->arrived = false;
        return passed(f, st->generation, text);
    }
    /* Nobody may be left counted by a read that is not going to wait. */
    if ((f->flags & O_NONBLOCK) &&
        zeroipc_barrier_arrived(f->handle) + 1 < zeroipc_barrier_num_participants(f->handle))
        return -EAGAIN;
    int32_t g;
    int err = zeroipc_barrier_arrive(f->handle, &g);
    if (err == ZEROIPC_BARRIER_LAST)
        return passed(f, g, text);
    if (err != ZEROIPC_OK)
        return -zfs_errno(err);
    st->arrived = true;
    st->generation = g;
    if (!zeroipc_barrier_opened(f->handle, g))
        return -EAGAIN;
    st->arrived = false;
    return passed(f, g, text);
}

static ssize_t read_barrier(struct zfs_file *f, char *buf, size_t size, off_t off)
{
    return zfs_text_read(f, buf, size, off, arrive);
}

static void cancel_barrier(struct zfs_file *f)
{
    struct barrier_state *st = f->view_state;
    if (st->arrived)
        zeroipc_barrier_withdraw(f->handle, st->generation);
    st->arrived = false;
}

static unsigned ready_barrier(struct zfs_file *f)
{
    /* A read would not wait only if it completed the count. */
    return zeroipc_barrier_arrived(f->handle) + 1 >= zeroipc_barrier_num_participants(f->handle)
               ? POLLIN
               : 0;
}

static const char *const barrier_xattrs[] = {"arrived", "generation", "participants", NULL};

static int xattr_barrier(zeroipc_memory_t *mem, const zeroipc_info_t *info, const char *attr,
                         char *out, size_t len)
{
    zeroipc_barrier_t *h = zeroipc_barrier_open(mem, info->name);
    if (h == NULL)
        return zfs_errno(zeroipc_last_error());
    int32_t v = strcmp(attr, "arrived") == 0      ? zeroipc_barrier_arrived(h)
                : strcmp(attr, "generation") == 0 ? zeroipc_barrier_generation(h)
                                                  : zeroipc_barrier_num_participants(h);
    zeroipc_barrier_close(h);
    snprintf(out, len, "%" PRId32, v);
    return 0;
}

const struct zfs_view zfs_view_barrier = {
    .kind = ZEROIPC_KIND_BARRIER,
    .waits = true,
    .read_only = true,
    .file_type = "i32",
    .create_args = create_barrier,
    .open = open_barrier,
    .close = close_barrier,
    .read = read_barrier,
    .write = zfs_write_refused,
    .flush = zfs_flush_nothing,
    .ready = ready_barrier,
    .cancel = cancel_barrier,
    .xattrs = barrier_xattrs,
    .xattr_get = xattr_barrier,
};
