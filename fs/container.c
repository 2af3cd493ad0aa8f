/*
 * container.c - files whose reads pop and whose writes push.
 *
 * The promise is that an element leaves the structure whole and never
 * gets lost between the structure and the reader: a read pops only while
 * the element's text fits in the reader's buffer; the one element that
 * does not fit entirely is kept in f->carry and handed out, byte by byte
 * if need be, before anything else is popped.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"

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
    size_t out = 0;
    while (out < size && !(zfs_opts.one_per_read && out > 0)) {
        if (ops->pop(f->handle, f->elem) != ZEROIPC_OK)
            break;
        if (size - out >= f->text_max) {
            out += zfs_elem_emit(f, f->elem, buf + out);
            continue;
        }
        /* Near the end of the buffer the text goes through f->carry:
         * whatever of it does not fit stays with the open file. */
        size_t len = zfs_elem_emit(f, f->elem, f->carry);
        size_t n = len < size - out ? len : size - out;
        memcpy(buf + out, f->carry, n);
        out += n;
        if (n < len) {
            f->carry_len = len;
            f->carry_off = n;
            break;
        }
    }
    return out > 0 ? (ssize_t)out : -EAGAIN;
}

ssize_t zfs_container_write(struct zfs_file *f, const char *buf, size_t size, off_t off)
{
    const struct zfs_container_ops *ops = f->view->container;
    bool all_or_nothing = !zfs_opts.blocking;
    (void)off;
    void *elems;
    size_t *ends, n;
    int rc = zfs_elem_parse(f, buf, size, false, &elems, &ends, &n);
    if (rc != 0)
        return rc;
    ssize_t result;
    size_t esz = f->info.elem_size;
    size_t capacity = ops->capacity(f->handle), held = ops->count(f->handle);
    size_t room = held < capacity ? capacity - held : 0;
    if (all_or_nothing && n > room) {
        result = -ENOSPC;
        goto out;
    }
    size_t k = 0;
    while (k < n && ops->push(f->handle, (uint8_t *)elems + k * esz) == ZEROIPC_OK)
        k++;
    if (k == n) {
        rc = zfs_elem_keep_tail(f, buf, size, n, ends);
        result = rc != 0 ? rc : (ssize_t)size;
    } else if (k == 0) {
        /* Full before the first element (a concurrent producer filled
         * it after the count above, in the all-or-nothing case). */
        result = all_or_nothing ? -ENOSPC : -EAGAIN;
    } else {
        zfs_elem_drop_partial(f);
        result = (ssize_t)ends[k - 1];
    }
out:
    free(elems);
    free(ends);
    return result;
}

int zfs_container_flush(struct zfs_file *f)
{
    const struct zfs_container_ops *ops = f->view->container;
    if (f->partial_len == 0)
        return 0;
    void *elems;
    size_t *ends, n;
    int rc = zfs_elem_parse(f, NULL, 0, true, &elems, &ends, &n);
    if (rc == 0) {
        /* At most one element: the unterminated last line. */
        if (n == 1 && ops->push(f->handle, elems) != ZEROIPC_OK)
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
