/*
 * pending.c - requests that wait, and poll handles.
 *
 * In blocking mode a read of an empty queue must wait without tying up
 * the daemon.  Its request is parked here, unanswered, and retried by the
 * main loop between other requests and at least every
 * ZEROIPC_WAIT_SLICE_MS while anything is parked: the producer may be
 * any process, of any implementation, and wakes nobody we could wait on.
 * A write through the mount retries the parked requests at once, so a
 * reader waiting on the same mount is answered without that delay.
 *
 * An interrupt (the reader got a signal) answers the request with EINTR
 * at once; that comes in as a request of its own, in the same thread, so
 * nothing here needs a lock.
 *
 * Poll handles get the same treatment: while the kernel holds one, its
 * file's readiness is checked on each pass and the kernel is notified
 * when the file becomes ready.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"

struct pending {
    fuse_req_t req;
    struct zfs_file *f;
    bool write;
    size_t size;     /* read: the buffer size; write: bytes in buf */
    size_t done;     /* write: bytes taken so far */
    char *buf;       /* read: scratch of `size`; write: a copy of the data */
    bool answered;
    struct pending *next;
};

static struct pending *parked;
static struct zfs_file *polled;

static void on_interrupt(fuse_req_t req, void *data)
{
    struct pending *p = data;
    (void)req;
    if (p->answered)
        return;
    p->answered = true;
    /* What the request started (a barrier arrival, a value offered on
     * a rendezvous channel) is taken back: the caller is gone. */
    if (p->f->view->cancel != NULL)
        p->f->view->cancel(p->f);
    /* A write that took some bytes reports them, as write(2) does when
     * a signal arrives after part of the data went through. */
    if (p->write && p->done > 0)
        fuse_reply_write(p->req, p->done);
    else
        fuse_reply_err(p->req, EINTR);
}

static void park(fuse_req_t req, struct zfs_file *f, bool write, const char *data, size_t size,
                 size_t done)
{
    struct pending *p = calloc(1, sizeof *p);
    char *buf = malloc(size ? size : 1);
    if (p == NULL || buf == NULL) {
        free(p);
        free(buf);
        fuse_reply_err(req, ENOMEM);
        return;
    }
    if (write)
        memcpy(buf, data, size);
    *p = (struct pending){.req = req, .f = f, .write = write, .size = size, .done = done,
                          .buf = buf};
    /* First come, first served: appended. */
    struct pending **pp = &parked;
    while (*pp != NULL)
        pp = &(*pp)->next;
    *pp = p;
    /* May call on_interrupt right away, if the interrupt came first. */
    fuse_req_interrupt_func(req, on_interrupt, p);
}

void zfs_pending_read(fuse_req_t req, struct zfs_file *f, size_t size)
{
    park(req, f, false, NULL, size, 0);
}

void zfs_pending_write(fuse_req_t req, struct zfs_file *f, const char *buf, size_t size,
                       size_t done)
{
    park(req, f, true, buf, size, done);
}

/* Tries p once more; true when it got its answer. */
static bool retry(struct pending *p)
{
    if (p->answered)
        return true;
    struct zfs_file *f = p->f;
    unsigned long faults = zfs_fault_count();
    if (!p->write) {
        ssize_t n = zfs_file_broken(f) ? -EIO : f->view->read(f, p->buf, p->size, 0);
        if (zfs_fault_count() != faults)
            n = -EIO; /* truncated under the read (fault.c) */
        if (n == -EAGAIN)
            return false;
        if (n < 0)
            fuse_reply_err(p->req, (int)-n);
        else
            fuse_reply_buf(p->req, p->buf, (size_t)n);
        return true;
    }
    for (;;) {
        ssize_t n = zfs_file_broken(f) ? -EIO
                                       : f->view->write(f, p->buf + p->done, p->size - p->done, 0);
        if (zfs_fault_count() != faults)
            n = -EIO;
        if (n == -EAGAIN)
            return false;
        if (n < 0) {
            if (p->done > 0)
                fuse_reply_write(p->req, p->done);
            else
                fuse_reply_err(p->req, (int)-n);
            return true;
        }
        p->done += (size_t)n;
        if (p->done == p->size) {
            fuse_reply_write(p->req, p->done);
            return true;
        }
    }
}

void zfs_poll_register(struct zfs_file *f, struct fuse_pollhandle *ph, unsigned events)
{
    if (f->ph != NULL)
        fuse_pollhandle_destroy(f->ph);
    f->ph = ph;
    f->poll_events = events;
    if (!f->in_poll_list) {
        f->poll_next = polled;
        polled = f;
        f->in_poll_list = true;
    }
}

int zfs_pending_run(void)
{
    for (struct pending **pp = &parked; *pp != NULL;) {
        struct pending *p = *pp;
        if (retry(p)) {
            *pp = p->next;
            free(p->buf);
            free(p);
        } else {
            pp = &p->next;
        }
    }
    /* The kernel asks again after a notification, so a handle is used
     * once and dropped. */
    for (struct zfs_file **fp = &polled; *fp != NULL;) {
        struct zfs_file *f = *fp;
        if (f->ph != NULL && (zfs_file_broken(f) || (f->view->ready(f) & f->poll_events) != 0)) {
            fuse_lowlevel_notify_poll(f->ph);
            fuse_pollhandle_destroy(f->ph);
            f->ph = NULL;
        }
        if (f->ph == NULL) {
            *fp = f->poll_next;
            f->in_poll_list = false;
        } else {
            fp = &f->poll_next;
        }
    }
    return parked != NULL || polled != NULL ? ZEROIPC_WAIT_SLICE_MS : -1;
}

void zfs_pending_drop_file(struct zfs_file *f)
{
    for (struct pending **pp = &parked; *pp != NULL;) {
        struct pending *p = *pp;
        if (p->f == f) {
            if (!p->answered && f->view->cancel != NULL)
                f->view->cancel(f);
            if (!p->answered)
                fuse_reply_err(p->req, EBADF);
            *pp = p->next;
            free(p->buf);
            free(p);
        } else {
            pp = &p->next;
        }
    }
    for (struct zfs_file **fp = &polled; *fp != NULL; fp = &(*fp)->poll_next) {
        if (*fp == f) {
            *fp = f->poll_next;
            break;
        }
    }
    if (f->ph != NULL)
        fuse_pollhandle_destroy(f->ph);
    f->ph = NULL;
    f->in_poll_list = false;
}
