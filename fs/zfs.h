/*
 * zfs.h - what the parts of the zeroipcfs driver share.
 *
 * The driver is one thread.  Its loop (main.c) reads requests from
 * /dev/fuse and dispatches them (ops.c); requests that must wait (a read
 * of an empty queue in blocking mode) are parked (pending.c) and retried
 * by the same loop between requests, so no thread is ever tied up by a
 * waiting reader and no lock is needed anywhere in the driver.
 *
 * The driver reaches shared memory only through libzeroipc.  What a file
 * does on read, write, poll and getxattr is decided by its *view*
 * (view.h), one per structure kind.
 */
#ifndef ZFS_H
#define ZFS_H

#define FUSE_USE_VERSION 34

#include <fuse_lowlevel.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "zeroipc.h"
#include "zeroipc_codec.h"

/* Mount options (see zeroipcfs.8). */
struct zfs_options {
    char *prefix;        /* show only segments whose name starts with it */
    size_t seg_size;     /* size of a segment made by mkdir */
    unsigned seg_entries;/* its table capacity */
    bool binary;         /* fixed-size records instead of text lines */
    bool blocking;       /* reads and writes wait, as on a pipe */
    bool one_per_read;   /* a read returns at most one element */
};

extern struct zfs_options zfs_opts;

/* Logging: the driver's only way to say anything. */
enum zfs_level { ZFS_ERR, ZFS_WARN, ZFS_INFO, ZFS_DEBUG };
void zfs_log(enum zfs_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
extern enum zfs_level zfs_log_level;

/* The one mapping from a libzeroipc code to a positive errno. */
int zfs_errno(int zeroipc_error);

/*
 * Nodes: what an inode number stands for.  Segments and structures are
 * named by strings; inode numbers are handed out on lookup and given back
 * when the kernel forgets them.
 */
enum zfs_node_type {
    ZFS_ROOT,
    ZFS_SEGMENT,   /* a directory: one segment */
    ZFS_STRUCT,    /* a file: one structure */
    ZFS_CREATE,    /* SEG/.create */
    ZFS_TABLE,     /* SEG/.table */
};

struct zfs_node {
    fuse_ino_t ino;
    enum zfs_node_type type;
    uint64_t nlookup;
    char seg[NAME_MAX + 1];            /* segment name, without '/' */
    char name[ZEROIPC_NAME_SIZE];      /* structure name, or "" */
    struct zfs_node *hash_next;
};

struct zfs_node *zfs_node_get(fuse_ino_t ino);
/* The node for (type, seg, name), made if new; its nlookup is not changed. */
struct zfs_node *zfs_node_intern(enum zfs_node_type type, const char *seg,
                                 const char *name);
void zfs_node_forget(struct zfs_node *node, uint64_t n);
void zfs_node_init(void);

/*
 * Segments.  A mapping is kept per segment name and reused while the
 * object in /dev/shm is the same one (same inode); a segment recreated
 * under the same name is mapped anew, and the old mapping lives on for
 * the files still open on it.
 */
struct zfs_seg;
/* Maps `name` (without '/'), filling *st with the object's stat; *err is
 * 0, or a positive errno when NULL is returned (gone, or not a segment). */
struct zfs_seg *zfs_seg_get(const char *name, struct stat *st, int *err);
void zfs_seg_put(struct zfs_seg *seg);
zeroipc_memory_t *zfs_seg_mem(struct zfs_seg *seg);
/* Whether `name` may be shown under the prefix option. */
bool zfs_seg_visible(const char *name);

/*
 * Segments truncated under the daemon (fault.c): SIGBUS on a registered
 * mapping turns its tail into zero pages and counts a fault, so that the
 * request answers EIO instead of the daemon dying.
 */
void zfs_fault_init(void);
void zfs_fault_watch(const void *base, size_t len);
void zfs_fault_unwatch(const void *base);
/* Whether the mapping at base took a fault (and holds zero pages). */
bool zfs_fault_hit(const void *base);
/* Faults so far: a request compares it before and after its work. */
unsigned long zfs_fault_count(void);

/* An open file: its view and the state that view keeps. */
struct zfs_view;

struct zfs_file {
    const struct zfs_view *view;
    struct zfs_seg *seg;
    zeroipc_info_t info;       /* what the structure was at open */
    zeroipc_type_t type;       /* its element type (bytesN when unknown) */
    size_t text_max;           /* longest text of one element, newline included */
    void *handle;              /* the view's libzeroipc handle */
    int flags;                 /* open flags: O_NONBLOCK matters */

    /* One element, as popped or parsed; and room for a batch of them. */
    void *elem;
    void *batch;
    size_t batch_cap;
    /* Read side: the rest of an element whose text did not fit a read
     * (text_max bytes). */
    char *carry;
    size_t carry_len, carry_off;
    /* Write side: bytes of a line (or record) not yet complete. */
    char *partial;
    size_t partial_len, partial_cap;
    /* Arrays: the next element a text write assigns; the text snapshot
     * that offset-based reads of one open file are served from. */
    size_t next_index;
    char *snapshot;
    size_t snapshot_len;

    /* What else a view keeps per open file (a map's key and value
     * types): malloc'd by the view, freed with the file. */
    void *view_state;

    struct fuse_pollhandle *ph;   /* kernel's poll registration, if any */
    unsigned poll_events;         /* what its poller waits for */
    struct zfs_file *poll_next;
    bool in_poll_list;
};

/* Whether f's segment was truncated under it (fault.c): every request on
 * it answers EIO, since its mapping now holds private zero pages. */
bool zfs_file_broken(const struct zfs_file *f);

/* Readiness of a file now: POLLIN / POLLOUT bits. */
unsigned zfs_file_ready(struct zfs_file *f);

/* Pending requests (blocking mode).  pending.c owns them. */
void zfs_pending_read(fuse_req_t req, struct zfs_file *f, size_t size);
/* Parks a write of which `done` bytes are already taken. */
void zfs_pending_write(fuse_req_t req, struct zfs_file *f, const char *buf,
                       size_t size, size_t done);
/* Retries every parked request and notifies poll handles that became
 * ready; returns how long (ms) the loop may sleep before calling it
 * again, -1 for as long as it likes. */
int zfs_pending_run(void);
/* Registers a poll handle for f (replacing an older one), to be notified
 * when f is ready for any of `events` (POLLIN, POLLOUT). */
void zfs_poll_register(struct zfs_file *f, struct fuse_pollhandle *ph, unsigned events);
/* Forgets f: fails its parked requests and drops its poll handle. */
void zfs_pending_drop_file(struct zfs_file *f);

extern const struct fuse_lowlevel_ops zfs_ops;

#endif
