/*
 * view_stream.c - a stream as a file.
 *
 * A read takes the elements emitted so far (as many as fit, as a queue's
 * read pops), waiting in every mount mode for the next emit while the
 * stream is open, and ends (end of file) once it is closed and drained.
 * Writing emits, one element per line: a full buffer waits for room, as
 * a pipe does (O_NONBLOCK: EAGAIN); a closed stream fails with EPIPE.
 * `setfattr -n user.zeroipc.closed -v 1` closes it.
 *
 * A derived stream (zeroipc_stream.h: an operator such as `filter gt 10`
 * stored in the stream, reading from another) is evaluated on the fly:
 * each read, and each look for poll, first pumps what its source holds
 * through the operator; writes are refused (EPERM), since its pumper is
 * its only producer.  The daemon is then the source's consumer, as any
 * pumper is: read the source itself or its derived stream, not both.
 *
 * Creation: `stream NAME TYPE CAPACITY`, or a derived one,
 * `stream NAME TYPE CAPACITY SOURCE OPERATOR...` (for example `stream big
 * i32 64 temps filter gt 10`; a fold, `stream total i64 1 temps fold
 * sum`, shows as the future `total` that holds its result).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"

struct stream_file {
    zeroipc_stream_t *s;
    bool derived;
    bool ended;     /* a pop found the stream closed and drained */
};

static int create_stream(zeroipc_memory_t *mem, const char *name, char *const *args, int nargs,
                         char *spec)
{
    zeroipc_type_t t;
    int64_t cap;
    if (nargs < 2 || nargs == 3 || zeroipc_type_parse(args[0], strlen(args[0]), &t) != ZEROIPC_OK ||
        zeroipc_type_format(&t, spec, ZEROIPC_TYPE_SPEC_MAX) < 0 ||
        strlen(spec) >= ZEROIPC_TYPE_SPEC_SIZE || !zfs_parse_int(args[1], 1, INT32_MAX, &cap))
        return EINVAL;
    zeroipc_stream_t *s;
    if (nargs == 2) {
        s = zeroipc_stream_create(mem, name, zeroipc_type_size(&t), (size_t)cap);
    } else {
        char op[64] = "";
        for (int i = 3; i < nargs; i++) {
            if (strlen(op) + strlen(args[i]) + 2 > sizeof op)
                return EINVAL;
            if (i > 3)
                strcat(op, " ");
            strcat(op, args[i]);
        }
        zeroipc_stream_t *src = zeroipc_stream_open(mem, args[2]);
        if (src == NULL)
            return zfs_errno(zeroipc_last_error());
        s = zeroipc_stream_derive(mem, name, src, spec, op, (size_t)cap);
        zeroipc_stream_close(src);
        /* A fold's result is a future under the fold's name, of the
         * result's type (a sum of i32 is an i64): recorded here, since
         * the line's TYPE is the stream's. */
        char rspec[ZEROIPC_TYPE_SPEC_MAX];
        if (s != NULL && zeroipc_stream_result_type(s, rspec, sizeof rspec) == ZEROIPC_OK &&
            zeroipc_catalog_set(mem, name, ZEROIPC_KIND_FUTURE, rspec) != ZEROIPC_OK)
            zfs_log(ZFS_WARN, "%s: the type of its result was not recorded", name);
    }
    zeroipc_stream_close(s);
    int err = s ? ZEROIPC_OK : zeroipc_last_error();
    /* A type of another size than the source's is a bad line, not a
     * damaged segment. */
    return err == ZEROIPC_ERROR_WRONG_KIND ? EINVAL : zfs_errno(err);
}

static int pop(void *h, void *elem)
{
    struct stream_file *sf = h;
    int err = zeroipc_stream_try_next(sf->s, elem);
    if (err == ZEROIPC_ERROR_CLOSED)
        sf->ended = true;
    return err;
}

static int push(void *h, const void *elem)
{
    struct stream_file *sf = h;
    return zeroipc_stream_emit(sf->s, elem);
}

/* A stream has no peek: a read near the end of its buffer stops before
 * an element it cannot see, and the next read takes it. */
static int no_peek(void *h, void *elem)
{
    (void)h, (void)elem;
    return ZEROIPC_ERROR_NOT_FOUND;
}

static size_t count(void *h)
{
    struct stream_file *sf = h;
    return zeroipc_stream_size(sf->s);
}

static size_t capacity(void *h)
{
    struct stream_file *sf = h;
    return zeroipc_stream_capacity(sf->s);
}

static const struct zfs_container_ops stream_ops = {
    .push = push,
    .pop = pop,
    .peek = no_peek,
    .count = count,
    .capacity = capacity,
};

static int open_stream(struct zfs_file *f, zeroipc_memory_t *mem)
{
    struct stream_file *sf = calloc(1, sizeof *sf);
    if (sf == NULL)
        return ENOMEM;
    sf->s = zeroipc_stream_open(mem, f->info.name);
    if (sf->s == NULL) {
        free(sf);
        return zfs_errno(zeroipc_last_error());
    }
    sf->derived = zeroipc_stream_is_derived(sf->s) == 1;
    f->handle = sf;
    return 0;
}

static void close_stream(struct zfs_file *f)
{
    struct stream_file *sf = f->handle;
    if (sf != NULL) {
        zeroipc_stream_close(sf->s);
        free(sf);
    }
}

/* Runs a derived stream's operator over what its source holds now. */
static void pump(struct stream_file *sf)
{
    if (sf->derived)
        zeroipc_stream_pump(sf->s, NULL); /* never waits; a busy claim is another pumper */
}

static ssize_t read_stream(struct zfs_file *f, char *buf, size_t size, off_t off)
{
    struct stream_file *sf = f->handle;
    pump(sf);
    ssize_t r = zfs_container_read(f, buf, size, off);
    /* Closed and drained: end of file, every time from now on. */
    if (r == -EAGAIN && sf->ended)
        return 0;
    return r;
}

static ssize_t write_stream(struct zfs_file *f, const char *buf, size_t size, off_t off)
{
    struct stream_file *sf = f->handle;
    if (sf->derived)
        return -EPERM;
    if (zeroipc_stream_closed(sf->s) == 1)
        return -EPIPE;
    return zfs_container_write(f, buf, size, off);
}

static int flush_stream(struct zfs_file *f)
{
    struct stream_file *sf = f->handle;
    if (f->partial_len > 0 && zeroipc_stream_closed(sf->s) == 1) {
        zfs_elem_drop_partial(f);
        return -EPIPE;
    }
    return zfs_container_flush(f);
}

static unsigned ready_stream(struct zfs_file *f)
{
    struct stream_file *sf = f->handle;
    pump(sf);
    unsigned r = zfs_container_ready(f);
    /* End of file is ready to be read, as on a pipe with no writer. */
    if (zeroipc_stream_closed(sf->s) == 1)
        r |= POLLIN;
    return sf->derived ? r & ~(unsigned)POLLOUT : r;
}

static size_t count_stream(zeroipc_memory_t *mem, const zeroipc_info_t *info)
{
    zeroipc_stream_t *s = zeroipc_stream_open(mem, info->name);
    size_t n = zeroipc_stream_size(s);
    zeroipc_stream_close(s);
    return n;
}

static const char *const stream_xattrs[] = {"closed", "sequence", "subscribers", "op", NULL};

static int xattr_stream(zeroipc_memory_t *mem, const zeroipc_info_t *info, const char *attr,
                        char *out, size_t len)
{
    zeroipc_stream_t *s = zeroipc_stream_open(mem, info->name);
    if (s == NULL)
        return zfs_errno(zeroipc_last_error());
    int err = 0;
    if (strcmp(attr, "closed") == 0) {
        int c = zeroipc_stream_closed(s);
        if (c < 0)
            err = EIO;
        else
            snprintf(out, len, "%d", c);
    } else if (strcmp(attr, "sequence") == 0) {
        snprintf(out, len, "%" PRIu64, zeroipc_stream_sequence(s));
    } else if (strcmp(attr, "subscribers") == 0) {
        snprintf(out, len, "%" PRIu32, zeroipc_stream_subscribers(s));
    } else {
        /* The operator of a derived stream; a plain one's label, if any. */
        if (zeroipc_stream_label(s, out, len) != ZEROIPC_OK)
            err = EIO;
        else if (out[0] == '\0')
            err = ENODATA;
    }
    zeroipc_stream_close(s);
    return err;
}

static int set_xattr_stream(zeroipc_memory_t *mem, const zeroipc_info_t *info, const char *attr,
                            const char *value, size_t len)
{
    if (strcmp(attr, "closed") != 0)
        return EPERM;
    /* Closing is for good: only 1 means anything. */
    if (len != 1 || value[0] != '1')
        return EINVAL;
    zeroipc_stream_t *s = zeroipc_stream_open(mem, info->name);
    if (s == NULL)
        return zfs_errno(zeroipc_last_error());
    int err = zeroipc_stream_shutdown(s);
    zeroipc_stream_close(s);
    return zfs_errno(err);
}

const struct zfs_view zfs_view_stream = {
    .kind = ZEROIPC_KIND_STREAM,
    .consumes = true,
    .waits = true,
    .create_args = create_stream,
    .open = open_stream,
    .close = close_stream,
    .read = read_stream,
    .write = write_stream,
    .flush = flush_stream,
    .ready = ready_stream,
    .count = count_stream,
    .container = &stream_ops,
    .xattrs = stream_xattrs,
    .xattr_get = xattr_stream,
    .xattr_set = set_xattr_stream,
};
