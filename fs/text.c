/*
 * text.c - what the views of small files share: a text made at offset 0
 * and served by offset, writes of numbers, and the trivial hooks.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"

ssize_t zfs_text_read(struct zfs_file *f, char *buf, size_t size, off_t off,
                      ssize_t (*make)(struct zfs_file *f, char *text))
{
    /* A first read past 0 would act (take a unit, arrive) and then
     * return nothing of what it did: it sees end of file instead. */
    if (off != 0 && f->snapshot == NULL && f->view->waits)
        return 0;
    if (off == 0 || f->snapshot == NULL) {
        /* Room for the view's own lines, or one element's text. */
        size_t cap = f->text_max > ZFS_TEXT_MAX ? f->text_max : ZFS_TEXT_MAX;
        if (f->snapshot == NULL && (f->snapshot = malloc(cap)) == NULL)
            return -ENOMEM;
        ssize_t n = make(f, f->snapshot);
        if (n < 0)
            return n;
        f->snapshot_len = (size_t)n;
    }
    if ((size_t)off >= f->snapshot_len)
        return 0;
    size_t n = f->snapshot_len - (size_t)off < size ? f->snapshot_len - (size_t)off : size;
    memcpy(buf, f->snapshot + off, n);
    return (ssize_t)n;
}

ssize_t zfs_values_write(struct zfs_file *f, const char *buf, size_t size, bool final,
                         int (*apply)(struct zfs_file *f, const void *values, size_t n))
{
    void *elems;
    size_t *ends, n;
    int rc = zfs_elem_parse(f, buf, size, final, &elems, &ends, &n);
    if (rc != 0)
        return rc;
    rc = n > 0 ? apply(f, elems, n) : 0;
    if (rc == 0 && !final)
        rc = zfs_elem_keep_tail(f, buf, size, n, ends);
    else if (final)
        zfs_elem_drop_partial(f);
    free(elems);
    free(ends);
    return rc != 0 ? rc : (ssize_t)size;
}

int zfs_values_flush(struct zfs_file *f,
                     int (*apply)(struct zfs_file *f, const void *values, size_t n))
{
    ssize_t r = zfs_values_write(f, NULL, 0, true, apply);
    return r < 0 ? (int)r : 0;
}

ssize_t zfs_write_refused(struct zfs_file *f, const char *buf, size_t size, off_t off)
{
    (void)f, (void)buf, (void)size, (void)off;
    return -EPERM;
}

int zfs_flush_nothing(struct zfs_file *f)
{
    (void)f;
    return 0;
}

unsigned zfs_ready_read(struct zfs_file *f)
{
    (void)f;
    return POLLIN;
}

bool zfs_parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    zeroipc_type_t t;
    int64_t v;
    /* The codec's integers: decimal or 0x hex, range-checked. */
    if (zeroipc_type_parse("i64", 3, &t) != ZEROIPC_OK ||
        zeroipc_codec_parse(&t, s, strlen(s), &v) != ZEROIPC_OK || v < min || v > max)
        return false;
    *out = v;
    return true;
}
