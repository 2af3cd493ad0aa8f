/*
 * element.c - elements as the bytes of a file: text lines or records.
 *
 * Writes are parsed whole before anything is pushed, so one bad line
 * fails the write and changes nothing.  A line (or record) cut by the end
 * of a write waits in f->partial for the next write, or for close.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"

/* The longest incomplete line kept between writes.  Anything longer
 * cannot be an element, and keeping it would let a writer without
 * newlines make the daemon hold unbounded memory. */
#define PARTIAL_SLACK 256

int zfs_elem_setup(struct zfs_file *f, zeroipc_memory_t *mem)
{
    size_t esz = f->info.elem_size;
    if (esz == 0)
        return EIO;
    if (f->info.type[0] == '\0' || zeroipc_type_parse(f->info.type, strlen(f->info.type), &f->type) != ZEROIPC_OK ||
        zeroipc_type_size(&f->type) != esz) {
        char spec[32];
        snprintf(spec, sizeof spec, "bytes%zu", esz);
        if (zeroipc_type_parse(spec, strlen(spec), &f->type) != ZEROIPC_OK)
            return EIO;
    }
    f->text_max = zfs_opts.binary ? esz : zeroipc_codec_max_text(&f->type) + 1;
    return f->view->setup_type ? f->view->setup_type(f, mem) : 0;
}

size_t zfs_elem_emit(struct zfs_file *f, const void *elem, char *out)
{
    size_t esz = f->info.elem_size;
    if (zfs_opts.binary) {
        memcpy(out, elem, esz);
        return esz;
    }
    size_t n = 0;
    /* Cannot fail: out has text_max bytes, the codec's own bound + 1. */
    zeroipc_codec_format(&f->type, elem, out, f->text_max - 1, &n);
    out[n] = '\n';
    return n + 1;
}

static int set_partial(struct zfs_file *f, const char *a, size_t alen,
                       const char *b, size_t blen)
{
    size_t len = alen + blen;
    if (len > f->partial_cap) {
        char *p = malloc(len);
        if (p == NULL)
            return -ENOMEM;
        if (alen > 0)
            memcpy(p, a, alen);
        free(f->partial);
        f->partial = p;
        f->partial_cap = len;
    } else if (alen > 0) {
        memmove(f->partial, a, alen);
    }
    if (blen > 0)
        memcpy(f->partial + alen, b, blen);
    f->partial_len = len;
    return 0;
}

void zfs_elem_drop_partial(struct zfs_file *f)
{
    f->partial_len = 0;
}

/* Parses `len` bytes (a + b, either possibly empty) as one element. */
static int parse_one(struct zfs_file *f, const char *a, size_t alen,
                     const char *b, size_t blen, void *elem)
{
    const char *text = b;
    char *joined = NULL;
    if (alen > 0) {
        joined = malloc(alen + blen);
        if (joined == NULL)
            return -ENOMEM;
        memcpy(joined, a, alen);
        memcpy(joined + alen, b, blen);
        text = joined;
    }
    int rc = 0;
    size_t len = alen + blen;
    if (zfs_opts.binary) {
        if (len != f->info.elem_size)
            rc = -EINVAL;
        else
            memcpy(elem, text, len);
    } else if (zeroipc_codec_parse(&f->type, text, len, elem) != ZEROIPC_OK) {
        rc = -EINVAL;
    }
    free(joined);
    return rc;
}

int zfs_elem_parse(struct zfs_file *f, const char *buf, size_t size, bool final,
                   void **elems_out, size_t **ends_out, size_t *n_out)
{
    size_t esz = f->info.elem_size;
    if (buf == NULL)
        buf = ""; /* close: only the partial is left */
    size_t total = f->partial_len + size;
    size_t max = zfs_opts.binary ? total / esz + 1 : 1;
    if (!zfs_opts.binary) {
        for (const char *p = buf; (p = memchr(p, '\n', (size_t)(buf + size - p))) != NULL; p++)
            max++;
    }
    uint8_t *elems = malloc(max * esz);
    size_t *ends = malloc(max * sizeof *ends);
    if (elems == NULL || ends == NULL) {
        free(elems);
        free(ends);
        return -ENOMEM;
    }

    size_t n = 0, pos = 0;
    int rc = 0;
    for (;;) {
        /* The first element takes the old partial in front of it. */
        const char *a = n == 0 ? f->partial : NULL;
        size_t alen = n == 0 ? f->partial_len : 0;
        size_t end, next;
        if (zfs_opts.binary) {
            if (alen + (size - pos) < esz)
                break;
            end = pos + (esz - alen);
            next = end;
        } else {
            const char *nl = memchr(buf + pos, '\n', size - pos);
            if (nl == NULL)
                break;
            end = (size_t)(nl - buf);
            next = end + 1;
        }
        rc = parse_one(f, a, alen, buf + pos, end - pos, elems + n * esz);
        if (rc != 0)
            goto fail;
        ends[n++] = next;
        pos = next;
    }

    size_t tail = (n == 0 ? f->partial_len : 0) + (size - pos);
    if (final && tail > 0) {
        rc = parse_one(f, n == 0 ? f->partial : NULL, n == 0 ? f->partial_len : 0,
                       buf + pos, size - pos, elems + n * esz);
        if (rc != 0)
            goto fail;
        ends[n++] = size;
    } else if (tail > f->text_max + PARTIAL_SLACK) {
        rc = -EINVAL; /* a line longer than any element can be */
        goto fail;
    }
    *elems_out = elems;
    *ends_out = ends;
    *n_out = n;
    return 0;

fail:
    free(elems);
    free(ends);
    return rc;
}

int zfs_elem_keep_tail(struct zfs_file *f, const char *buf, size_t size,
                       size_t n, const size_t *ends)
{
    if (n == 0)
        return set_partial(f, f->partial, f->partial_len, buf, size);
    return zfs_elem_keep_tail_at(f, buf, size, ends[n - 1]);
}

int zfs_elem_keep_tail_at(struct zfs_file *f, const char *buf, size_t size, size_t end)
{
    return set_partial(f, NULL, 0, buf + end, size - end);
}
