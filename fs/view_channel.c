/*
 * view_channel.c - a CSP channel as a file.
 *
 * A read receives (as many elements as fit, each to exactly one reader),
 * waiting in every mount mode while the channel is open and empty, and
 * ends (end of file) once it is closed and drained.  Writing sends, one
 * element per line, waiting in every mode: on a buffered channel for
 * room, on an unbuffered one (a rendezvous) until a receiver has taken
 * each element, so a write returns only once its elements were received.
 * A closed channel fails a write with EPIPE.  `setfattr -n
 * user.zeroipc.closed -v 1` closes it.
 *
 * Rendezvous.  The daemon never sleeps, so an unbuffered send is an offer
 * (zeroipc_channel_offer): the element goes into the slot, the write is
 * parked until a receiver took it, then the next element goes.  A writer
 * interrupted meanwhile (Ctrl-C) takes its element back unless a receiver
 * already has it (then the element counts as sent, although the write
 * reports EINTR for it).  O_NONBLOCK sends succeed only when a receiver
 * takes the element at once, which on a rendezvous is almost never:
 * EAGAIN.  An unbuffered channel takes complete lines only: an
 * unterminated last line at close fails the close with EAGAIN, since
 * nobody would be there to wait for its receiver.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"

struct channel_file {
    zeroipc_channel_t *ch;
    bool ended;          /* a receive found the channel closed and drained */
    bool offered;        /* an unbuffered element waits for its receiver */
    uint64_t ticket;
    size_t offered_end;  /* bytes of the write that element ends at */
};

static int create_channel(zeroipc_memory_t *mem, const char *name, char *const *args, int nargs,
                          char *spec)
{
    zeroipc_type_t t;
    int64_t cap;
    if (nargs != 2 || zeroipc_type_parse(args[0], strlen(args[0]), &t) != ZEROIPC_OK ||
        zeroipc_type_format(&t, spec, ZEROIPC_TYPE_SPEC_MAX) < 0 ||
        strlen(spec) >= ZEROIPC_TYPE_SPEC_SIZE || !zfs_parse_int(args[1], 0, INT32_MAX, &cap))
        return EINVAL;
    zeroipc_channel_t *ch = zeroipc_channel_create(mem, name, zeroipc_type_size(&t), (size_t)cap);
    zeroipc_channel_close(ch);
    return ch ? 0 : zfs_errno(zeroipc_last_error());
}

static int recv_one(void *h, void *elem)
{
    struct channel_file *cf = h;
    int err = zeroipc_channel_try_recv(cf->ch, elem);
    if (err == ZEROIPC_ERROR_CLOSED)
        cf->ended = true;
    return err;
}

static int send_one(void *h, const void *elem)
{
    struct channel_file *cf = h;
    return zeroipc_channel_try_send(cf->ch, elem);
}

/* Receiving is taking: there is nothing to peek at without it. */
static int no_peek(void *h, void *elem)
{
    (void)h, (void)elem;
    return ZEROIPC_ERROR_NOT_FOUND;
}

static size_t count(void *h)
{
    struct channel_file *cf = h;
    return zeroipc_channel_size(cf->ch);
}

static size_t capacity(void *h)
{
    struct channel_file *cf = h;
    return zeroipc_channel_capacity(cf->ch);
}

static const struct zfs_container_ops channel_ops = {
    .push = send_one,
    .pop = recv_one,
    .peek = no_peek,
    .count = count,
    .capacity = capacity,
};

static int open_channel(struct zfs_file *f, zeroipc_memory_t *mem)
{
    struct channel_file *cf = calloc(1, sizeof *cf);
    if (cf == NULL)
        return ENOMEM;
    cf->ch = zeroipc_channel_open_elem(mem, f->info.name, f->info.elem_size);
    if (cf->ch == NULL) {
        free(cf);
        return zfs_errno(zeroipc_last_error());
    }
    f->handle = cf;
    return 0;
}

/* Takes an element offered and not received back. */
static void cancel_channel(struct zfs_file *f)
{
    struct channel_file *cf = f->handle;
    if (cf->offered)
        zeroipc_channel_offer_withdraw(cf->ch, cf->ticket);
    cf->offered = false;
}

static void close_channel(struct zfs_file *f)
{
    struct channel_file *cf = f->handle;
    if (cf != NULL) {
        cancel_channel(f);
        zeroipc_channel_close(cf->ch);
        free(cf);
    }
}

static ssize_t read_channel(struct zfs_file *f, char *buf, size_t size, off_t off)
{
    struct channel_file *cf = f->handle;
    ssize_t r = zfs_container_read(f, buf, size, off);
    if (r == -EAGAIN && cf->ended)
        return 0;
    return r;
}

/* An unbuffered write: one element at a time, each offered and then
 * waited for; returns the bytes of the element once it was received. */
static ssize_t rendezvous(struct zfs_file *f, const char *buf, size_t size)
{
    struct channel_file *cf = f->handle;
    if (!cf->offered) {
        void *elems;
        size_t *ends, n;
        int rc = zfs_elem_parse(f, buf, size, false, &elems, &ends, &n);
        if (rc != 0)
            return rc;
        if (n == 0) {
            /* Only part of a line: kept for the next write. */
            rc = zfs_elem_keep_tail(f, buf, size, 0, ends);
            free(elems);
            free(ends);
            return rc != 0 ? rc : (ssize_t)size;
        }
        int err = zeroipc_channel_offer(cf->ch, elems, &cf->ticket);
        size_t end = ends[0];
        free(elems);
        free(ends);
        if (err == ZEROIPC_ERROR_TIMEOUT)
            return -EAGAIN; /* another send holds the slot */
        if (err != ZEROIPC_OK)
            return err == ZEROIPC_ERROR_CLOSED ? -EPIPE : -zfs_errno(err);
        cf->offered = true;
        cf->offered_end = end;
    }
    int err = zeroipc_channel_offer_taken(cf->ch, cf->ticket);
    if (err == ZEROIPC_ERROR_TIMEOUT && (f->flags & O_NONBLOCK) &&
        zeroipc_channel_offer_withdraw(cf->ch, cf->ticket) == ZEROIPC_OK) {
        cf->offered = false;
        return -EAGAIN;
    }
    if (err == ZEROIPC_ERROR_TIMEOUT && !(f->flags & O_NONBLOCK))
        return -EAGAIN;
    cf->offered = false;
    if (err == ZEROIPC_ERROR_CLOSED)
        return -EPIPE;
    if (err != ZEROIPC_OK && err != ZEROIPC_ERROR_TIMEOUT)
        return -zfs_errno(err);
    /* Received: the old partial went out with this element. */
    zfs_elem_drop_partial(f);
    return (ssize_t)cf->offered_end;
}

static ssize_t write_channel(struct zfs_file *f, const char *buf, size_t size, off_t off)
{
    struct channel_file *cf = f->handle;
    if (!cf->offered && zeroipc_channel_is_closed(cf->ch))
        return -EPIPE;
    if (zeroipc_channel_capacity(cf->ch) == 0)
        return rendezvous(f, buf, size);
    return zfs_container_write(f, buf, size, off);
}

static int flush_channel(struct zfs_file *f)
{
    struct channel_file *cf = f->handle;
    if (f->partial_len == 0)
        return 0;
    if (zeroipc_channel_is_closed(cf->ch)) {
        zfs_elem_drop_partial(f);
        return -EPIPE;
    }
    if (zeroipc_channel_capacity(cf->ch) == 0) {
        zfs_elem_drop_partial(f);
        return -EAGAIN;
    }
    return zfs_container_flush(f);
}

static unsigned ready_channel(struct zfs_file *f)
{
    struct channel_file *cf = f->handle;
    unsigned r = 0;
    if (zeroipc_channel_capacity(cf->ch) == 0) {
        /* A rendezvous is writable when a receiver waits for it; readable
         * when a value is offered (its size counts the offered one). */
        if (zeroipc_channel_receivers(cf->ch) > 0)
            r |= POLLOUT;
        if (zeroipc_channel_size(cf->ch) > 0 || f->carry_off < f->carry_len)
            r |= POLLIN;
    } else {
        r = zfs_container_ready(f);
    }
    if (zeroipc_channel_is_closed(cf->ch))
        r |= POLLIN;
    return r;
}

static size_t count_channel(zeroipc_memory_t *mem, const zeroipc_info_t *info)
{
    zeroipc_channel_t *ch = zeroipc_channel_open_elem(mem, info->name, info->elem_size);
    size_t n = zeroipc_channel_size(ch);
    zeroipc_channel_close(ch);
    return n;
}

static const char *const channel_xattrs[] = {"closed", "senders", "receivers", NULL};

static int xattr_channel(zeroipc_memory_t *mem, const zeroipc_info_t *info, const char *attr,
                         char *out, size_t len)
{
    zeroipc_channel_t *ch = zeroipc_channel_open_elem(mem, info->name, info->elem_size);
    if (ch == NULL)
        return zfs_errno(zeroipc_last_error());
    if (strcmp(attr, "closed") == 0)
        snprintf(out, len, "%d", zeroipc_channel_is_closed(ch) ? 1 : 0);
    else if (strcmp(attr, "senders") == 0)
        snprintf(out, len, "%" PRIu32, zeroipc_channel_senders(ch));
    else
        snprintf(out, len, "%" PRIu32, zeroipc_channel_receivers(ch));
    zeroipc_channel_close(ch);
    return 0;
}

static int set_xattr_channel(zeroipc_memory_t *mem, const zeroipc_info_t *info,
                             const char *attr, const char *value, size_t len)
{
    if (strcmp(attr, "closed") != 0)
        return EPERM;
    if (len != 1 || value[0] != '1')
        return EINVAL; /* closing is for good */
    zeroipc_channel_t *ch = zeroipc_channel_open_elem(mem, info->name, info->elem_size);
    if (ch == NULL)
        return zfs_errno(zeroipc_last_error());
    int err = zeroipc_channel_shutdown(ch);
    zeroipc_channel_close(ch);
    return zfs_errno(err);
}

const struct zfs_view zfs_view_channel = {
    .kind = ZEROIPC_KIND_CHANNEL,
    .consumes = true,
    .waits = true,
    .create_args = create_channel,
    .open = open_channel,
    .close = close_channel,
    .read = read_channel,
    .write = write_channel,
    .flush = flush_channel,
    .ready = ready_channel,
    .cancel = cancel_channel,
    .count = count_channel,
    .container = &channel_ops,
    .xattrs = channel_xattrs,
    .xattr_get = xattr_channel,
    .xattr_set = set_xattr_channel,
};
