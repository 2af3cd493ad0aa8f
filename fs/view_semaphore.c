/*
 * view_semaphore.c - semaphores and mutexes as files.
 *
 * Reading is the waiting side: a read acquires one unit (a mutex: locks
 * it) and returns the count left, waiting as long as there is none, in
 * every mode (O_NONBLOCK: EAGAIN; Ctrl-C: EINTR, nothing taken).
 * Writing is the signalling side: each number written releases that many
 * units, the whole write at once; a release past the maximum fails with
 * EOVERFLOW and releases nothing (a mutex takes only `1`, and only while
 * locked).  Numbers are i32 lines, or 4-byte records in binary format.
 *
 * The count left is read just after the acquire, so with other takers
 * about it is a snapshot, as every count in a shared structure is.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "view.h"

static bool is_mutex(const struct zfs_file *f)
{
    return f->view->kind == ZEROIPC_KIND_MUTEX;
}

static int create_semaphore(zeroipc_memory_t *mem, const char *name, char *const *args,
                            int nargs, char *spec)
{
    int64_t initial, max = 0;
    if (nargs < 1 || nargs > 2 || !zfs_parse_int(args[0], 0, INT32_MAX, &initial) ||
        (nargs == 2 && !zfs_parse_int(args[1], 0, INT32_MAX, &max)) ||
        (max > 0 && initial > max))
        return EINVAL;
    zeroipc_semaphore_t *h = zeroipc_semaphore_create(mem, name, (int32_t)initial, (int32_t)max);
    zeroipc_semaphore_close(h);
    spec[0] = '\0';
    return h ? 0 : zfs_errno(zeroipc_last_error());
}

static int create_mutex(zeroipc_memory_t *mem, const char *name, char *const *args, int nargs,
                        char *spec)
{
    (void)args;
    if (nargs != 0)
        return EINVAL;
    zeroipc_mutex_t *h = zeroipc_mutex_create(mem, name);
    zeroipc_mutex_close(h);
    spec[0] = '\0';
    return h ? 0 : zfs_errno(zeroipc_last_error());
}

/* A mutex is a semaphore of 1/1: one handle type serves both files. */
static int open_sem(struct zfs_file *f, zeroipc_memory_t *mem)
{
    f->handle = zeroipc_semaphore_open(mem, f->info.name);
    return f->handle ? 0 : zfs_errno(zeroipc_last_error());
}

static void close_sem(struct zfs_file *f)
{
    zeroipc_semaphore_close(f->handle);
}

static ssize_t acquire(struct zfs_file *f, char *text)
{
    int err = zeroipc_semaphore_try_acquire(f->handle);
    if (err == ZEROIPC_ERROR_TIMEOUT)
        return -EAGAIN;
    if (err != ZEROIPC_OK)
        return -zfs_errno(err);
    int32_t left = zeroipc_semaphore_count(f->handle);
    return (ssize_t)zfs_elem_emit(f, &left, text);
}

static ssize_t read_sem(struct zfs_file *f, char *buf, size_t size, off_t off)
{
    return zfs_text_read(f, buf, size, off, acquire);
}

static int release(struct zfs_file *f, const void *values, size_t n)
{
    const int32_t *v = values;
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < 1)
            return -EINVAL;
        total += v[i];
    }
    if (total > INT32_MAX || (is_mutex(f) && total > 1))
        return -EOVERFLOW;
    int err = zeroipc_semaphore_release_n(f->handle, (int32_t)total);
    /* Past the maximum: nothing was released. */
    if (err == ZEROIPC_ERROR_SIZE)
        return -EOVERFLOW;
    return err == ZEROIPC_OK ? 0 : -zfs_errno(err);
}

static ssize_t write_sem(struct zfs_file *f, const char *buf, size_t size, off_t off)
{
    (void)off;
    return zfs_values_write(f, buf, size, false, release);
}

static int flush_sem(struct zfs_file *f)
{
    return zfs_values_flush(f, release);
}

static unsigned ready_sem(struct zfs_file *f)
{
    return (zeroipc_semaphore_count(f->handle) > 0 ? POLLIN : 0) | POLLOUT;
}

static const char *const sem_xattrs[] = {"count", "max", "waiting", NULL};

static int xattr_sem(zeroipc_memory_t *mem, const zeroipc_info_t *info, const char *attr,
                     char *out, size_t len)
{
    zeroipc_semaphore_t *h = zeroipc_semaphore_open(mem, info->name);
    if (h == NULL)
        return zfs_errno(zeroipc_last_error());
    int32_t v = strcmp(attr, "count") == 0 ? zeroipc_semaphore_count(h)
                : strcmp(attr, "max") == 0 ? zeroipc_semaphore_max_count(h)
                                           : zeroipc_semaphore_waiting(h);
    zeroipc_semaphore_close(h);
    snprintf(out, len, "%" PRId32, v);
    return 0;
}

#define SEMAPHORE_VIEW(k, create)      \
    {                                  \
        .kind = (k),                   \
        .waits = true,                 \
        .file_type = "i32",            \
        .create_args = (create),       \
        .open = open_sem,              \
        .close = close_sem,            \
        .read = read_sem,              \
        .write = write_sem,            \
        .flush = flush_sem,            \
        .ready = ready_sem,            \
        .xattrs = sem_xattrs,          \
        .xattr_get = xattr_sem,        \
    }

const struct zfs_view zfs_view_semaphore = SEMAPHORE_VIEW(ZEROIPC_KIND_SEMAPHORE, create_semaphore);
const struct zfs_view zfs_view_mutex = SEMAPHORE_VIEW(ZEROIPC_KIND_MUTEX, create_mutex);
