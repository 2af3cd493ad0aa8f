/*
 * container.c - files whose reads pop and whose writes push.
 *
 * The promise is that an element leaves the structure whole and never
 * gets lost between the structure and the reader.  A read pops only
 * elements whose text fits in what is left of the reader's buffer: while
 * there is room for the longest text an element can have, it pops
 * blindly (in batches, where the structure has them); near the end of the
 * buffer it peeks first and stops before an element that would not fit.
 * Only when the buffer is smaller than the element itself (bash's `read`
 * reads one byte at a time) is an element split: the open file keeps the
 * rest in f->carry and hands it out before popping anything else.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"

/* Pops up to `max` elements into out (elem_size each); how many. */
static size_t pop_some(struct zfs_file *f, void *out, size_t max)
{
    const struct zfs_container_ops *ops = f->view->container;
    if (ops->pop_many != NULL)
        return ops->pop_many(f->handle, out, max);
    return max > 0 && ops->pop(f->handle, out) == ZEROIPC_OK ? 1 : 0;
}

/* Pushes up to `n` elements; how many went in. */
static size_t push_some(struct zfs_file *f, const uint8_t *elems, size_t n)
{
    const struct zfs_container_ops *ops = f->view->container;
    size_t k = 0, esz = f->info.elem_size;
    while (k < n) {
        size_t m;
        if (ops->push_many != NULL)
            m = ops->push_many(f->handle, elems + k * esz, n - k);
        else
            m = ops->push(f->handle, elems + k * esz) == ZEROIPC_OK ? 1 : 0;
        if (m == 0)
            break;
        k += m;
    }
    return k;
}

/* Fills buf from the structure while the longest element text surely
 * fits; returns the bytes written. */
static size_t read_blind(struct zfs_file *f, char *buf, size_t size)
{
    size_t esz = f->info.elem_size, out = 0;
    while (size - out >= f->text_max && !(zfs_opts.one_per_read && out > 0)) {
        size_t want = zfs_opts.one_per_read ? 1 : (size - out) / f->text_max;
        size_t n;
        if (zfs_opts.binary) {
            /* Records go straight into the reply. */
            n = pop_some(f, buf + out, want);
            out += n * esz;
        } else {
            n = pop_some(f, f->batch, want < f->batch_cap ? want : f->batch_cap);
            for (size_t i = 0; i < n; i++)
                out += zfs_elem_emit(f, (const uint8_t *)f->batch + i * esz, buf + out);
        }
        if (n == 0)
            break;
    }
    return out;
}

ssize_t zfs_container_read(struct zfs_file *f, char *buf, size_t size, off_t off)
{
    const struct zfs_container_ops *ops = f->view->container;
    (void)off;
    if (f->carry_off < f->carry_len) {
        size_t n = f->carry_len - f->carry_off;
        n = n < size ? n : size;
        memcpy(buf, f->carry + f->carry_off, n);
        f->carry_off += n;
        return (ssize_t)n;
    }
    size_t out = read_blind(f, buf, size);
    while (out < size && !(zfs_opts.one_per_read && out > 0)) {
        size_t room = size - out;
        /* Take the next element only if it fits, unless nothing was
         * returned yet: then it is split and its rest carried. */
        if (out > 0 && (ops->peek(f->handle, f->elem) != ZEROIPC_OK ||
                        zfs_elem_emit(f, f->elem, f->carry) > room))
            break;
        if (ops->pop(f->handle, f->elem) != ZEROIPC_OK)
            break;
        size_t len = zfs_elem_emit(f, f->elem, f->carry);
        size_t n = len < room ? len : room;
        memcpy(buf + out, f->carry, n);
        out += n;
        if (n < len) {
            /* Split: by a racing consumer between peek and pop, or
             * because the buffer is smaller than the element. */
            f->carry_len = len;
            f->carry_off = n;
            break;
        }
    }
    return out > 0 ? (ssize_t)out : -EAGAIN;
}

/*
 * Binary records that start on a record boundary need no parsing: their
 * bytes are the elements.  Otherwise (text, or a record cut by an earlier
 * write) the write is parsed whole first.
 */
ssize_t zfs_container_write(struct zfs_file *f, const char *buf, size_t size, off_t off)
{
    const struct zfs_container_ops *ops = f->view->container;
    /* Kinds whose writes wait in every mode (channels) push what fits and
     * wait for room for the rest, as blocking mode does. */
    bool all_or_nothing = !(zfs_opts.blocking || f->view->waits);
    size_t esz = f->info.elem_size;
    (void)off;

    const uint8_t *elems;
    void *parsed = NULL;
    size_t *ends = NULL, n;
    bool direct = zfs_opts.binary && f->partial_len == 0;
    if (direct) {
        elems = (const uint8_t *)buf;
        n = size / esz;
    } else {
        int rc = zfs_elem_parse(f, buf, size, false, &parsed, &ends, &n);
        if (rc != 0)
            return rc;
        elems = parsed;
    }

    ssize_t result;
    size_t capacity = ops->capacity(f->handle), held = ops->count(f->handle);
    size_t room = held < capacity ? capacity - held : 0;
    size_t k = all_or_nothing && n > room ? 0 : push_some(f, elems, n);
    /* Bytes of buf taken once elements 0..i are in. */
    #define END(i) (direct ? ((i) + 1) * esz : ends[i])
    if (all_or_nothing && n > room) {
        result = -ENOSPC;
    } else if (k == n) {
        int rc;
        if (direct)
            rc = zfs_elem_keep_tail_at(f, buf, size, n * esz);
        else
            rc = zfs_elem_keep_tail(f, buf, size, n, ends);
        result = rc != 0 ? rc : (ssize_t)size;
    } else if (k == 0) {
        /* Full before the first element (a concurrent producer filled
         * it after the count above, in the all-or-nothing case). */
        result = all_or_nothing ? -ENOSPC : -EAGAIN;
    } else {
        zfs_elem_drop_partial(f);
        result = (ssize_t)END(k - 1);
    }
    #undef END
    free(parsed);
    free(ends);
    return result;
}

int zfs_container_flush(struct zfs_file *f)
{
    if (f->partial_len == 0)
        return 0;
    void *elems;
    size_t *ends, n;
    int rc = zfs_elem_parse(f, NULL, 0, true, &elems, &ends, &n);
    if (rc == 0) {
        /* At most one element: the unterminated last line. */
        if (n == 1 && push_some(f, elems, 1) != 1)
            rc = -ENOSPC;
        free(elems);
        free(ends);
    }
    /* Taken or refused, the line is not offered again at release. */
    zfs_elem_drop_partial(f);
    return rc;
}

unsigned zfs_container_ready(struct zfs_file *f)
{
    const struct zfs_container_ops *ops = f->view->container;
    unsigned r = 0;
    size_t held = ops->count(f->handle);
    if (f->carry_off < f->carry_len || held > 0)
        r |= POLLIN;
    if (held < ops->capacity(f->handle))
        r |= POLLOUT;
    return r;
}
