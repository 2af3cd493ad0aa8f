/*
 * view.h - what a file of one structure kind does.
 *
 * A view is the whole behaviour of one kind of file: opening the
 * structure, read, write, the end of a write (flush), readiness for poll,
 * and the count shown in xattrs and st_size.  Adding a kind to the
 * filesystem is writing one view_KIND.c and listing it in view.c.
 *
 * Return conventions: read and write return bytes (>= 0) or -errno; they
 * never wait.  -EAGAIN means "nothing could be done now": the caller
 * parks the request in blocking mode and reports EOF (read) or ENOSPC
 * (write) otherwise.
 */
#ifndef ZFS_VIEW_H
#define ZFS_VIEW_H

#include <sys/types.h>

#include "zfs.h"

struct zfs_view {
    zeroipc_kind_t kind;
    /* Reads consume: the file is not seekable and has no stable size. */
    bool consumes;
    /* Reads that find nothing wait in every mode, not only in blocking
     * mode, since waiting is what the kind is for (a semaphore, a
     * barrier, a future): -EAGAIN from read parks the request unless the
     * file is O_NONBLOCK (EAGAIN). */
    bool waits;
    /* For kinds that hold no elements (a semaphore, a barrier): the type
     * of the numbers the file reads and writes instead ("i32": lines of
     * text, or 4-byte records in binary format).  NULL: the structure's
     * element type; a read-only kind with neither shows text of its own
     * (a pool's state). */
    const char *file_type;
    /* Creates a structure of this kind (for SEG/.create); 0 or a
     * positive errno. */
    int (*create)(zeroipc_memory_t *mem, const char *name, size_t elem_size,
                  size_t capacity);
    /* Writes are refused (EPERM) and the file's mode has no write bits. */
    bool read_only;
    /* Optional, instead of create and create_typed: creates from the
     * words after the name on a SEG/.create line, for kinds whose
     * parameters are not TYPE CAPACITY (`semaphore NAME INITIAL [MAX]`);
     * writes the type spec to record into spec (ZEROIPC_TYPE_SPEC_MAX
     * bytes, "" for none).  0 or a positive errno (EINVAL for bad words). */
    int (*create_args)(zeroipc_memory_t *mem, const char *name, char *const *args, int nargs,
                       char *spec);
    /* Optional, instead of create: creates from the canonical type spec
     * (the one type_spec, or else zeroipc_type_format, gave), for kinds
     * that need more than an element size (hash tables, alignment). */
    int (*create_typed)(zeroipc_memory_t *mem, const char *name, const char *spec,
                        size_t capacity);
    /* Optional, for kinds whose type is not one element type (a map's
     * KEY:VALUE): writes the canonical form of `spec` (`len` bytes) into
     * canon (ZEROIPC_TYPE_SPEC_MAX bytes), checking that it fits the
     * structure `info` of `mem` unless info is NULL (at create); with spec
     * NULL, writes the spec shown while none is declared.  0 or a
     * positive errno (EINVAL for a spec that does not fit). */
    int (*type_spec)(zeroipc_memory_t *mem, const zeroipc_info_t *info,
                     const char *spec, size_t len, char *canon);
    /* Optional: run by zfs_elem_setup after f->type and f->text_max are
     * set, to set up what else the view reads and writes by (its
     * f->view_state, freed with the file); 0 or a positive errno. */
    int (*setup_type)(struct zfs_file *f, zeroipc_memory_t *mem);
    /* Opens the structure into f->handle; 0 or a positive errno. */
    int (*open)(struct zfs_file *f, zeroipc_memory_t *mem);
    void (*close)(struct zfs_file *f);
    ssize_t (*read)(struct zfs_file *f, char *buf, size_t size, off_t off);
    ssize_t (*write)(struct zfs_file *f, const char *buf, size_t size, off_t off);
    /* Takes what the writes of this open file left incomplete; 0 or -errno. */
    int (*flush)(struct zfs_file *f);
    /* POLLIN / POLLOUT as a read / write would not wait. */
    unsigned (*ready)(struct zfs_file *f);
    /* Optional: undoes what a read or write that waited had started,
     * when it gives up (interrupted, or its file closed): a barrier
     * arrival, a value offered on a rendezvous channel. */
    void (*cancel)(struct zfs_file *f);
    /* Elements held now, without an open file; NULL for kinds that hold
     * none (no capacity or count attributes, st_size 0). */
    size_t (*count)(zeroipc_memory_t *mem, const zeroipc_info_t *info);
    /* Optional: the kind's own extended attributes, shown after the
     * common ones: names without "user.zeroipc.", NULL-terminated; their
     * values rendered into out (`len` bytes), 0 or a positive errno; and
     * setting one (EPERM for those that cannot be set). */
    const char *const *xattrs;
    int (*xattr_get)(zeroipc_memory_t *mem, const zeroipc_info_t *info, const char *attr,
                     char *out, size_t len);
    int (*xattr_set)(zeroipc_memory_t *mem, const zeroipc_info_t *info, const char *attr,
                     const char *value, size_t len);
    /* For kinds that pop and push: their element operations. */
    const struct zfs_container_ops *container;
};

/* The view of `kind`, or NULL when the filesystem cannot show it. */
const struct zfs_view *zfs_view_for(zeroipc_kind_t kind);

extern const struct zfs_view zfs_view_array;
extern const struct zfs_view zfs_view_queue;
extern const struct zfs_view zfs_view_stack;
extern const struct zfs_view zfs_view_ring;
extern const struct zfs_view zfs_view_map;
extern const struct zfs_view zfs_view_set;
extern const struct zfs_view zfs_view_pool;
extern const struct zfs_view zfs_view_semaphore;
extern const struct zfs_view zfs_view_mutex;
extern const struct zfs_view zfs_view_barrier;
extern const struct zfs_view zfs_view_latch;
extern const struct zfs_view zfs_view_once;
extern const struct zfs_view zfs_view_event;
extern const struct zfs_view zfs_view_rwlock;
extern const struct zfs_view zfs_view_monitor;
extern const struct zfs_view zfs_view_signal;
extern const struct zfs_view zfs_view_future;
extern const struct zfs_view zfs_view_lazy;
extern const struct zfs_view zfs_view_stream;
extern const struct zfs_view zfs_view_channel;

/*
 * Files that show a short text (a pool's state, a semaphore's count): the
 * text is made when a read starts at offset 0 and served by offset from
 * f->snapshot, as a seq_file, so that `cat` reads it once and sees end of
 * file, and a new read from 0 (pread, lseek) makes it anew.
 * zfs_text_read: with off 0 calls make, which returns the text's length
 * (at most ZFS_TEXT_MAX, written to text) or -errno (-EAGAIN: park),
 * then serves; -ENOMEM.
 */
#define ZFS_TEXT_MAX 512
ssize_t zfs_text_read(struct zfs_file *f, char *buf, size_t size, off_t off,
                      ssize_t (*make)(struct zfs_file *f, char *text));

/* Views whose writes are refused (read_only), and flush and ready for
 * those that need nothing more. */
ssize_t zfs_write_refused(struct zfs_file *f, const char *buf, size_t size, off_t off);
int zfs_flush_nothing(struct zfs_file *f);
unsigned zfs_ready_read(struct zfs_file *f);

/*
 * Writes of whole values (a semaphore's numbers, a future's value): parses
 * the whole write (and at close, zfs_values_flush, the incomplete rest)
 * before anything changes, then hands the n values (f->info.elem_size
 * bytes each) to apply, which changes the structure or returns -errno
 * having changed nothing.  Returns size, or -errno (-EINVAL for a value
 * that does not parse).
 */
ssize_t zfs_values_write(struct zfs_file *f, const char *buf, size_t size, bool final,
                         int (*apply)(struct zfs_file *f, const void *values, size_t n));
int zfs_values_flush(struct zfs_file *f,
                     int (*apply)(struct zfs_file *f, const void *values, size_t n));

/* A decimal integer word in [min, max] (SEG/.create arguments). */
bool zfs_parse_int(const char *s, int64_t min, int64_t max, int64_t *out);

/* Maps and sets share their files' behaviour (view_map.c); view_set.c
 * is the set's own few calls. */
int zfs_htab_setup(struct zfs_file *f, zeroipc_memory_t *mem, bool set);
int zfs_htab_open(struct zfs_file *f, zeroipc_memory_t *mem);
void zfs_htab_close(struct zfs_file *f);
ssize_t zfs_htab_read(struct zfs_file *f, char *buf, size_t size, off_t off);
ssize_t zfs_htab_write(struct zfs_file *f, const char *buf, size_t size, off_t off);
int zfs_htab_flush(struct zfs_file *f);
unsigned zfs_htab_ready(struct zfs_file *f);
size_t zfs_htab_count(zeroipc_memory_t *mem, const zeroipc_info_t *info);

/*
 * Elements as bytes on the file (element.c): text lines in text format,
 * fixed records in binary format.
 */

/* Sets f->type and f->text_max from f->info (bytesN when untyped), then
 * runs the view's setup_type if it has one. */
int zfs_elem_setup(struct zfs_file *f, zeroipc_memory_t *mem);
/* Writes one element's text and newline (or its record) at out, which
 * has f->text_max bytes; returns the length. */
size_t zfs_elem_emit(struct zfs_file *f, const void *elem, char *out);

/*
 * Splits f->partial + buf into complete elements and parses every one of
 * them before anything is changed.  On success *elems holds *n elements
 * (malloc'd, caller frees) and ends[i] (malloc'd in *ends) is how many
 * bytes of buf the write has consumed once elements 0..i are taken; the
 * bytes after the last complete element are returned in *rest_len (they
 * become the new partial when the caller commits).  At close (`final`)
 * the incomplete tail is an element too.  -EINVAL for a bad element,
 * -ENOMEM.
 */
int zfs_elem_parse(struct zfs_file *f, const char *buf, size_t size, bool final,
                   void **elems, size_t **ends, size_t *n);
/* Once a write has taken all n complete elements it held: keeps the
 * bytes after the last one (after the old partial, when n is 0) for the
 * next write. */
int zfs_elem_keep_tail(struct zfs_file *f, const char *buf, size_t size,
                       size_t n, const size_t *ends);
/* The same when the complete elements end at byte `end` of buf. */
int zfs_elem_keep_tail_at(struct zfs_file *f, const char *buf, size_t size, size_t end);
/* Once a write stopped short at an element boundary: the old partial went
 * out with the first element, and the caller sends the rest again. */
void zfs_elem_drop_partial(struct zfs_file *f);

/*
 * The behaviour shared by kinds whose reads pop and writes push
 * (container.c): a view supplies four operations on its handle in its
 * `container` field and uses these as its read, write, flush and ready.
 * Writes are all-or-nothing (-ENOSPC unless every element fits) in the
 * default mode; in blocking mode they push what fits and return the bytes
 * of those elements, as a pipe does.
 */
struct zfs_container_ops {
    int (*push)(void *h, const void *elem);   /* ZEROIPC_OK or full */
    int (*pop)(void *h, void *elem);          /* ZEROIPC_OK or empty */
    int (*peek)(void *h, void *elem);         /* ZEROIPC_OK: the next pop's */
    size_t (*count)(void *h);
    size_t (*capacity)(void *h);
    /* Optional batches: how many were moved. */
    size_t (*push_many)(void *h, const void *elems, size_t n);
    size_t (*pop_many)(void *h, void *elems, size_t max);
};

ssize_t zfs_container_read(struct zfs_file *f, char *buf, size_t size, off_t off);
ssize_t zfs_container_write(struct zfs_file *f, const char *buf, size_t size, off_t off);
int zfs_container_flush(struct zfs_file *f);
unsigned zfs_container_ready(struct zfs_file *f);

#endif
