/*
 * view_signal.c - a signal (a value with a version) as a file.
 *
 * A read returns the current value, one element (a text line, or the
 * value's bytes in binary format), without waiting for a new one; poll
 * reports the file readable once the version has moved since this open
 * file last read (since it was opened, before any read), so a program
 * can select() on a signal and read each change.  Writing sets the value:
 * each element written is one set, in order.
 *
 * A set takes the signal's mutex.  The daemon never sleeps on it: when a
 * setter holds it, a read or the first set of a write is parked (retried
 * every few milliseconds; O_NONBLOCK: EAGAIN) and a later set of the same
 * write ends the write short, at the element boundary, so the caller
 * writes the rest again.  A setter that died holding the mutex leaves
 * both waiting until Ctrl-C (see zeroipc_signal.h on recovering).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"

struct signal_state {
    uint64_t seen;   /* the version this open file last read */
};

static int create_signal(zeroipc_memory_t *mem, const char *name, char *const *args,
                         int nargs, char *spec)
{
    zeroipc_type_t t;
    if (nargs != 1 || zeroipc_type_parse(args[0], strlen(args[0]), &t) != ZEROIPC_OK ||
        zeroipc_type_format(&t, spec, ZEROIPC_TYPE_SPEC_MAX) < 0 ||
        strlen(spec) >= ZEROIPC_TYPE_SPEC_SIZE)
        return EINVAL;
    zeroipc_signal_t *h = zeroipc_signal_create(mem, name, zeroipc_type_size(&t), NULL);
    zeroipc_signal_close(h);
    return h ? 0 : zfs_errno(zeroipc_last_error());
}

/* A type fits when its state entry is the size the signal has:
 * align8(8 + size).  With spec NULL, the type shown while none is
 * declared: bytes of the whole room. */
static int type_signal(zeroipc_memory_t *mem, const zeroipc_info_t *info, const char *spec,
                       size_t len, char *canon)
{
    if (spec == NULL) {
        snprintf(canon, ZEROIPC_TYPE_SPEC_MAX, "bytes%zu", info->elem_size);
        return 0;
    }
    zeroipc_type_t t;
    if (zeroipc_type_parse(spec, len, &t) != ZEROIPC_OK ||
        zeroipc_type_format(&t, canon, ZEROIPC_TYPE_SPEC_MAX) < 0)
        return EINVAL;
    char state[ZEROIPC_NAME_SIZE];
    size_t size = 0;
    if (info != NULL &&
        (snprintf(state, sizeof state, "%s" ZEROIPC_SIGNAL_STATE_SUFFIX, info->name) >=
             (int)sizeof state ||
         zeroipc_table_find(mem, state, NULL, &size) != ZEROIPC_OK ||
         ZEROIPC_SIGNAL_STATE_SIZE(zeroipc_type_size(&t)) != size))
        return EINVAL;
    return 0;
}

static int open_signal(struct zfs_file *f, zeroipc_memory_t *mem)
{
    struct signal_state *st = calloc(1, sizeof *st);
    if ((f->view_state = st) == NULL)
        return ENOMEM;
    f->handle = zeroipc_signal_open(mem, f->info.name, f->info.elem_size);
    if (f->handle == NULL)
        return zfs_errno(zeroipc_last_error());
    st->seen = zeroipc_signal_version(f->handle);
    return 0;
}

static void close_signal(struct zfs_file *f)
{
    zeroipc_signal_close(f->handle);
}

static ssize_t get_value(struct zfs_file *f, char *text)
{
    struct signal_state *st = f->view_state;
    uint64_t version;
    int err = zeroipc_signal_get_timeout(f->handle, f->elem, &version, 0);
    if (err == ZEROIPC_ERROR_TIMEOUT)
        return -EAGAIN; /* a set in progress */
    if (err != ZEROIPC_OK)
        return -zfs_errno(err);
    st->seen = version;
    return (ssize_t)zfs_elem_emit(f, f->elem, text);
}

static ssize_t read_signal(struct zfs_file *f, char *buf, size_t size, off_t off)
{
    return zfs_text_read(f, buf, size, off, get_value);
}

static ssize_t set_values(struct zfs_file *f, const char *buf, size_t size, bool final)
{
    void *elems;
    size_t *ends, n;
    int rc = zfs_elem_parse(f, buf, size, final, &elems, &ends, &n);
    if (rc != 0)
        return rc;
    size_t esz = f->info.elem_size, done = 0;
    for (; rc == 0 && done < n; done++) {
        int err = zeroipc_signal_set_timeout(f->handle, (uint8_t *)elems + done * esz, 0);
        if (err == ZEROIPC_ERROR_TIMEOUT)
            break;
        if (err != ZEROIPC_OK)
            rc = -zfs_errno(err);
    }
    ssize_t r;
    if (rc != 0 && done == 0) {
        r = rc;
    } else if (done < n && !final) {
        /* Short at an element boundary: the caller sends the rest. */
        if (done == 0) {
            r = -EAGAIN;
        } else {
            zfs_elem_drop_partial(f);
            r = (ssize_t)ends[done - 1];
        }
    } else if (done < n) {
        r = -EAGAIN; /* at close: nothing more can be waited for */
    } else {
        r = final ? 0 : zfs_elem_keep_tail(f, buf, size, n, ends);
        if (r == 0)
            r = (ssize_t)size;
    }
    free(elems);
    free(ends);
    return r;
}

static ssize_t write_signal(struct zfs_file *f, const char *buf, size_t size, off_t off)
{
    (void)off;
    return set_values(f, buf, size, false);
}

static int flush_signal(struct zfs_file *f)
{
    ssize_t r = set_values(f, NULL, 0, true);
    return r < 0 ? (int)r : 0;
}

static unsigned ready_signal(struct zfs_file *f)
{
    struct signal_state *st = f->view_state;
    return (zeroipc_signal_version(f->handle) != st->seen ? POLLIN : 0) | POLLOUT;
}

static const char *const signal_xattrs[] = {"version", NULL};

static int xattr_signal(zeroipc_memory_t *mem, const zeroipc_info_t *info, const char *attr,
                        char *out, size_t len)
{
    (void)attr;
    zeroipc_signal_t *h = zeroipc_signal_open(mem, info->name, info->elem_size);
    if (h == NULL)
        return zfs_errno(zeroipc_last_error());
    snprintf(out, len, "%" PRIu64, zeroipc_signal_version(h));
    zeroipc_signal_close(h);
    return 0;
}

const struct zfs_view zfs_view_signal = {
    .kind = ZEROIPC_KIND_SIGNAL,
    .waits = true,
    .create_args = create_signal,
    .type_spec = type_signal,
    .open = open_signal,
    .close = close_signal,
    .read = read_signal,
    .write = write_signal,
    .flush = flush_signal,
    .ready = ready_signal,
    .xattrs = signal_xattrs,
    .xattr_get = xattr_signal,
};
