/*
 * view_future.c - a future as a file.
 *
 * A read waits, in every mount mode, until the future is resolved, and
 * returns its value (one element: a text line, or the value's bytes in
 * binary format); it consumes nothing, so every reader gets the value.  A
 * future resolved to an error fails the read with EIO, and its message is
 * in user.zeroipc.error.  Writing one element sets the value, once: a
 * second set fails with EEXIST and changes nothing; `setfattr -n
 * user.zeroipc.error -v MSG` resolves it to an error instead.  O_NONBLOCK
 * reads of a pending future fail with EAGAIN; poll says readable once it
 * is resolved.
 *
 * A fold (zeroipc_stream.h) keeps its result in a future under the
 * fold's own name, fed by a derived stream nobody else reads: reading
 * that future pumps the fold first, so `cat total` over a fold computes
 * what its source has so far and waits for the source to close.  Its
 * result is the fold's to set: writes and user.zeroipc.error are refused
 * (EPERM).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"

struct future_file {
    zeroipc_future_t *fut;
    zeroipc_stream_t *fold;   /* the fold feeding it, if any */
};

static const char *const state_names[] = {"pending", "computing", "ready", "error"};

static int create_future(zeroipc_memory_t *mem, const char *name, char *const *args, int nargs,
                         char *spec)
{
    zeroipc_type_t t;
    if (nargs != 1 || zeroipc_type_parse(args[0], strlen(args[0]), &t) != ZEROIPC_OK ||
        zeroipc_type_format(&t, spec, ZEROIPC_TYPE_SPEC_MAX) < 0 ||
        strlen(spec) >= ZEROIPC_TYPE_SPEC_SIZE)
        return EINVAL;
    zeroipc_future_t *h = zeroipc_future_create(mem, name, zeroipc_type_size(&t));
    zeroipc_future_close(h);
    return h ? 0 : zfs_errno(zeroipc_last_error());
}

/* A type fits when the future's entry is align8(272 + its size). */
static int type_future(zeroipc_memory_t *mem, const zeroipc_info_t *info, const char *spec,
                       size_t len, char *canon)
{
    (void)mem;
    if (spec == NULL) {
        snprintf(canon, ZEROIPC_TYPE_SPEC_MAX, "bytes%zu", info->elem_size);
        return 0;
    }
    zeroipc_type_t t;
    if (zeroipc_type_parse(spec, len, &t) != ZEROIPC_OK ||
        zeroipc_type_format(&t, canon, ZEROIPC_TYPE_SPEC_MAX) < 0)
        return EINVAL;
    if (info != NULL && ZEROIPC_FUTURE_SIZE(zeroipc_type_size(&t)) != info->entry.size)
        return EINVAL;
    return 0;
}

/* The fold feeding the future `name`, or NULL. */
static zeroipc_stream_t *fold_of(zeroipc_memory_t *mem, const char *name)
{
    char label[32];
    zeroipc_stream_t *s = zeroipc_stream_open(mem, name);
    if (s != NULL && zeroipc_stream_is_derived(s) == 1 &&
        zeroipc_stream_label(s, label, sizeof label) == ZEROIPC_OK &&
        strncmp(label, "fold ", 5) == 0)
        return s;
    zeroipc_stream_close(s);
    return NULL;
}

static int open_future(struct zfs_file *f, zeroipc_memory_t *mem)
{
    struct future_file *ff = calloc(1, sizeof *ff);
    if ((f->view_state = ff) == NULL)
        return ENOMEM;
    ff->fut = zeroipc_future_open(mem, f->info.name, f->info.elem_size);
    if (ff->fut == NULL)
        return zfs_errno(zeroipc_last_error());
    ff->fold = fold_of(mem, f->info.name);
    return 0;
}

static void close_future(struct zfs_file *f)
{
    struct future_file *ff = f->view_state;
    if (ff != NULL) {
        zeroipc_future_close(ff->fut);
        zeroipc_stream_close(ff->fold);
    }
}

static ssize_t get_value(struct zfs_file *f, char *text)
{
    struct future_file *ff = f->view_state;
    if (ff->fold != NULL)
        zeroipc_stream_pump(ff->fold, NULL); /* never waits; claimed by another: fine */
    int err = zeroipc_future_try_get(ff->fut, f->elem);
    if (err == ZEROIPC_ERROR_NOT_FOUND)
        return -EAGAIN;
    if (err == ZEROIPC_ERROR_FAILED)
        return -EIO;
    if (err != ZEROIPC_OK)
        return -zfs_errno(err);
    return (ssize_t)zfs_elem_emit(f, f->elem, text);
}

static ssize_t read_future(struct zfs_file *f, char *buf, size_t size, off_t off)
{
    return zfs_text_read(f, buf, size, off, get_value);
}

/* One value, once: two in a write cannot both be set. */
static int set_value(struct zfs_file *f, const void *values, size_t n)
{
    struct future_file *ff = f->view_state;
    if (n > 1)
        return -EINVAL;
    int err = zeroipc_future_set(ff->fut, values);
    return err == ZEROIPC_OK ? 0 : -zfs_errno(err);
}

static ssize_t write_future(struct zfs_file *f, const char *buf, size_t size, off_t off)
{
    struct future_file *ff = f->view_state;
    (void)off;
    /* A fold's result is the fold's to set. */
    if (ff->fold != NULL)
        return -EPERM;
    return zfs_values_write(f, buf, size, false, set_value);
}

static int flush_future(struct zfs_file *f)
{
    return zfs_values_flush(f, set_value);
}

static unsigned ready_future(struct zfs_file *f)
{
    struct future_file *ff = f->view_state;
    int st = zeroipc_future_state(ff->fut);
    return (st == ZEROIPC_FUTURE_READY || st == ZEROIPC_FUTURE_ERROR ? POLLIN : 0) |
           (st == ZEROIPC_FUTURE_PENDING ? POLLOUT : 0);
}

static const char *const future_xattrs[] = {"state", "error", "waiters", NULL};

static int xattr_future(zeroipc_memory_t *mem, const zeroipc_info_t *info, const char *attr,
                        char *out, size_t len)
{
    zeroipc_future_t *h = zeroipc_future_open(mem, info->name, info->elem_size);
    if (h == NULL)
        return zfs_errno(zeroipc_last_error());
    int err = 0, st = zeroipc_future_state(h);
    if (strcmp(attr, "state") == 0) {
        if (st >= 0 && st <= ZEROIPC_FUTURE_ERROR)
            snprintf(out, len, "%s", state_names[st]);
        else
            err = EIO;
    } else if (strcmp(attr, "error") == 0) {
        /* No error, no attribute: getfattr says so. */
        err = zeroipc_future_error(h, out, len) == ZEROIPC_OK ? 0 : ENODATA;
    } else {
        snprintf(out, len, "%u", zeroipc_future_waiters(h));
    }
    zeroipc_future_close(h);
    return err;
}

static int set_xattr_future(zeroipc_memory_t *mem, const zeroipc_info_t *info, const char *attr,
                            const char *value, size_t len)
{
    if (strcmp(attr, "error") != 0)
        return EPERM;
    char msg[ZEROIPC_FUTURE_MSG_SIZE];
    if (len >= sizeof msg || memchr(value, '\0', len) != NULL)
        return EINVAL; /* the message would be cut, or hide its end */
    memcpy(msg, value, len);
    msg[len] = '\0';
    zeroipc_stream_t *fold = fold_of(mem, info->name);
    zeroipc_stream_close(fold);
    if (fold != NULL)
        return EPERM;
    zeroipc_future_t *h = zeroipc_future_open(mem, info->name, info->elem_size);
    if (h == NULL)
        return zfs_errno(zeroipc_last_error());
    int err = zeroipc_future_set_error(h, msg);
    zeroipc_future_close(h);
    return zfs_errno(err);
}

const struct zfs_view zfs_view_future = {
    .kind = ZEROIPC_KIND_FUTURE,
    .waits = true,
    .create_args = create_future,
    .type_spec = type_future,
    .open = open_future,
    .close = close_future,
    .read = read_future,
    .write = write_future,
    .flush = flush_future,
    .ready = ready_future,
    .xattrs = future_xattrs,
    .xattr_get = xattr_future,
    .xattr_set = set_xattr_future,
};
