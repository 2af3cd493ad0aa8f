/*
 * ops.c - the FUSE low-level operations: the tree, attributes, xattrs,
 * and dispatch of file I/O to the views.
 *
 * Attributes are never cached by the kernel (attr_timeout 0): sizes and
 * modes change behind its back, by any process.  Names are cached for a
 * second; a structure never disappears (the format never frees) and a
 * segment that does is caught by the getattr that follows.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "ctl.h"
#include "view.h"

#define ENTRY_TIMEOUT 1.0
#define ATTR_TIMEOUT 0.0
#define CREATE_NAME ".create"
#define TABLE_NAME ".table"
#define XATTR_PREFIX "user.zeroipc."

/* Directories show x where the object has r: a segment one may read is
 * a directory one may list. */
static mode_t dir_mode(mode_t m)
{
    m &= 07777;
    return S_IFDIR | m | ((m & 0444) >> 2);
}

static void copy_owner_times(struct stat *st, const struct stat *shm)
{
    st->st_uid = shm->st_uid;
    st->st_gid = shm->st_gid;
    st->st_atim = shm->st_atim;
    st->st_mtim = shm->st_mtim;
    st->st_ctim = shm->st_ctim;
}

/*
 * Names a file of the mount may have: not empty, ".", ".." or with a
 * '/', which no file can have, and without control bytes (a newline in
 * a name breaks every line-based tool that lists it, and a terminal
 * that shows it).  The others are left to .table, escaped.  Bytes that
 * are not UTF-8 are shown as they are: a Unix name is bytes.
 */
static bool showable(const char *name)
{
    if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++) {
        if (*p == '/' || *p < 0x20 || *p == 0x7f)
            return false;
    }
    return true;
}

/* A structure of the segment, as shown: NOT_FOUND for hidden parts, and
 * for the entry that carries a structure of another name (a stream's
 * "_header"). */
static int find_struct(zeroipc_memory_t *mem, const char *name, zeroipc_info_t *info)
{
    int err = showable(name) ? zeroipc_describe(mem, name, info) : ZEROIPC_ERROR_NOT_FOUND;
    if (err == ZEROIPC_OK && (info->hidden || strcmp(info->name, name) != 0))
        err = ZEROIPC_ERROR_NOT_FOUND;
    return err == ZEROIPC_OK ? 0 : zfs_errno(err);
}

/* Fills *st for node n; 0 or a positive errno. */
static int node_attr(const struct zfs_node *n, struct stat *st)
{
    memset(st, 0, sizeof *st);
    st->st_ino = n->ino;
    if (n->type == ZFS_ROOT) {
        struct stat shm;
        if (stat("/dev/shm", &shm) != 0)
            return errno;
        copy_owner_times(st, &shm);
        st->st_mode = S_IFDIR | (shm.st_mode & 07777);
        st->st_nlink = 2;
        return 0;
    }
    struct stat shm;
    int err;
    struct zfs_seg *seg = zfs_seg_get(n->seg, &shm, &err);
    if (seg == NULL)
        return err;
    err = 0;
    copy_owner_times(st, &shm);
    zeroipc_info_t info;
    const struct zfs_view *view;
    switch (n->type) {
    case ZFS_SEGMENT:
        st->st_mode = dir_mode(shm.st_mode);
        st->st_nlink = 2;
        st->st_size = shm.st_size;
        break;
    case ZFS_CREATE:
        st->st_mode = S_IFREG | (shm.st_mode & 0222);
        st->st_nlink = 1;
        break;
    case ZFS_TABLE:
        st->st_mode = S_IFREG | (shm.st_mode & 0444);
        st->st_nlink = 1;
        break;
    case ZFS_STRUCT:
        err = find_struct(zfs_seg_mem(seg), n->name, &info);
        if (err != 0)
            break;
        view = zfs_view_for(info.kind);
        st->st_mode = S_IFREG | (shm.st_mode & (view && view->read_only ? 0444 : 0666));
        st->st_nlink = 1;
        st->st_size = view == NULL ? (off_t)info.entry.size
                      : view->count ? (off_t)(view->count(zfs_seg_mem(seg), &info) * info.elem_size)
                                    : 0;
        /* Blocks to match the size: fewer would make cp(1) take the file
         * for a sparse one and probe it with SEEK_DATA, which a file that
         * pops cannot answer. */
        st->st_blocks = (st->st_size + 511) / 512;
        break;
    default:
        err = ENOENT;
    }
    zfs_seg_put(seg);
    return err;
}

static void reply_attr(fuse_req_t req, struct zfs_node *n)
{
    struct stat st;
    int err = node_attr(n, &st);
    if (err != 0)
        fuse_reply_err(req, err);
    else
        fuse_reply_attr(req, &st, ATTR_TIMEOUT);
}

static void reply_entry(fuse_req_t req, struct zfs_node *n)
{
    struct fuse_entry_param e = {.ino = n->ino, .attr_timeout = ATTR_TIMEOUT,
                                 .entry_timeout = ENTRY_TIMEOUT};
    int err = node_attr(n, &e.attr);
    if (err != 0) {
        fuse_reply_err(req, err);
        return;
    }
    n->nlookup++;
    if (fuse_reply_entry(req, &e) != 0)
        zfs_node_forget(n, 1);
}

static struct zfs_node *node_or_reply(fuse_req_t req, fuse_ino_t ino)
{
    struct zfs_node *n = zfs_node_get(ino);
    if (n == NULL)
        fuse_reply_err(req, ENOENT);
    return n;
}

static void op_init(void *data, struct fuse_conn_info *conn)
{
    (void)data;
    /* O_TRUNC arrives with open, which ignores it, rather than as a
     * truncating setattr that would have to be told apart from truncate(2). */
    if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
        conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct zfs_node *p = node_or_reply(req, parent);
    if (p == NULL)
        return;
    struct zfs_node *n = NULL;
    if (p->type == ZFS_ROOT) {
        if (strlen(name) > NAME_MAX) {
            fuse_reply_err(req, ENAMETOOLONG);
            return;
        }
        n = zfs_node_intern(ZFS_SEGMENT, name, "");
    } else if (p->type == ZFS_SEGMENT) {
        if (strcmp(name, CREATE_NAME) == 0)
            n = zfs_node_intern(ZFS_CREATE, p->seg, "");
        else if (strcmp(name, TABLE_NAME) == 0)
            n = zfs_node_intern(ZFS_TABLE, p->seg, "");
        else if (strlen(name) >= ZEROIPC_NAME_SIZE) {
            fuse_reply_err(req, ENAMETOOLONG);
            return;
        } else
            n = zfs_node_intern(ZFS_STRUCT, p->seg, name);
    } else {
        fuse_reply_err(req, ENOTDIR);
        return;
    }
    if (n == NULL) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    struct fuse_entry_param e = {.ino = n->ino, .attr_timeout = ATTR_TIMEOUT,
                                 .entry_timeout = ENTRY_TIMEOUT};
    int err = node_attr(n, &e.attr);
    if (err != 0) {
        if (n->nlookup == 0)
            zfs_node_forget(n, 0);
        fuse_reply_err(req, err);
        return;
    }
    n->nlookup++;
    if (fuse_reply_entry(req, &e) != 0)
        zfs_node_forget(n, 1);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
    struct zfs_node *n = zfs_node_get(ino);
    if (n != NULL)
        zfs_node_forget(n, nlookup);
    fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
    for (size_t i = 0; i < count; i++) {
        struct zfs_node *n = zfs_node_get(forgets[i].ino);
        if (n != NULL)
            zfs_node_forget(n, forgets[i].nlookup);
    }
    fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)fi;
    struct zfs_node *n = node_or_reply(req, ino);
    if (n != NULL)
        reply_attr(req, n);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                       struct fuse_file_info *fi)
{
    (void)fi;
    struct zfs_node *n = node_or_reply(req, ino);
    if (n == NULL)
        return;
    int owner = FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID;
    if (n->type == ZFS_SEGMENT) {
        /* A segment directory is the object: its mode and owner are
         * those of /dev/shm/NAME. */
        char path[sizeof "/dev/shm/" + NAME_MAX];
        snprintf(path, sizeof path, "/dev/shm/%s", n->seg);
        if ((to_set & FUSE_SET_ATTR_SIZE) != 0) {
            fuse_reply_err(req, EISDIR);
            return;
        }
        if ((to_set & FUSE_SET_ATTR_MODE) && chmod(path, attr->st_mode & 07777) != 0) {
            fuse_reply_err(req, errno);
            return;
        }
        if ((to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) &&
            chown(path, (to_set & FUSE_SET_ATTR_UID) ? attr->st_uid : (uid_t)-1,
                  (to_set & FUSE_SET_ATTR_GID) ? attr->st_gid : (gid_t)-1) != 0) {
            fuse_reply_err(req, errno);
            return;
        }
    } else if ((to_set & (owner | FUSE_SET_ATTR_SIZE)) != 0) {
        /* Truncation never destroys data, and a structure's mode is its
         * segment's: nothing to change here.  Times (touch) are accepted
         * and ignored. */
        fuse_reply_err(req, EPERM);
        return;
    }
    reply_attr(req, n);
}

/* Directory listings are built whole at opendir and served by offset. */
struct dirbuf {
    char *data;
    size_t len, cap;
};

static int dir_add(fuse_req_t req, struct dirbuf *b, const char *name, mode_t mode, fuse_ino_t ino)
{
    struct stat st = {.st_ino = ino, .st_mode = mode};
    size_t need = fuse_add_direntry(req, NULL, 0, name, NULL, 0);
    if (b->len + need > b->cap) {
        size_t cap = (b->cap + need) * 2;
        char *d = realloc(b->data, cap);
        if (d == NULL)
            return ENOMEM;
        b->data = d;
        b->cap = cap;
    }
    fuse_add_direntry(req, b->data + b->len, need, name, &st, (off_t)(b->len + need));
    b->len += need;
    return 0;
}

/* A stable, non-zero number for entries the kernel has not looked up. */
static fuse_ino_t name_ino(const char *seg, const char *name)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = seg; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return (fuse_ino_t)(h | (1ull << 63));
}

struct list_ctx {
    fuse_req_t req;
    struct dirbuf *b;
    int err;
};

static int list_segment(const char *name, void *data)
{
    struct list_ctx *c = data;
    name++; /* the leading '/' */
    if (zfs_seg_visible(name))
        c->err = dir_add(c->req, c->b, name, S_IFDIR, name_ino(name, ""));
    return c->err;
}

static int list_structures(fuse_req_t req, struct dirbuf *b, const char *seg_name)
{
    struct stat shm;
    int err;
    struct zfs_seg *seg = zfs_seg_get(seg_name, &shm, &err);
    if (seg == NULL)
        return err;
    zeroipc_memory_t *mem = zfs_seg_mem(seg);
    size_t n = 0;
    zeroipc_info_t *info = NULL;
    int zerr = zeroipc_describe_all(mem, NULL, 0, &n);
    if (zerr == ZEROIPC_OK && (info = calloc(n ? n : 1, sizeof *info)) == NULL)
        err = ENOMEM;
    if (info != NULL)
        zerr = zeroipc_describe_all(mem, info, n, &n);
    if (zerr != ZEROIPC_OK)
        err = zfs_errno(zerr);
    if (err == 0)
        err = dir_add(req, b, CREATE_NAME, S_IFREG, name_ino(seg_name, CREATE_NAME));
    if (err == 0)
        err = dir_add(req, b, TABLE_NAME, S_IFREG, name_ino(seg_name, TABLE_NAME));
    for (size_t i = 0; err == 0 && i < n; i++) {
        const char *name = info[i].name;
        if (info[i].hidden || !showable(name))
            continue;
        err = dir_add(req, b, name, S_IFREG, name_ino(seg_name, name));
    }
    free(info);
    zfs_seg_put(seg);
    return err;
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct zfs_node *n = node_or_reply(req, ino);
    if (n == NULL)
        return;
    if (n->type != ZFS_ROOT && n->type != ZFS_SEGMENT) {
        fuse_reply_err(req, ENOTDIR);
        return;
    }
    struct dirbuf *b = calloc(1, sizeof *b);
    int err = b ? 0 : ENOMEM;
    if (err == 0)
        err = dir_add(req, b, ".", S_IFDIR, ino);
    if (err == 0)
        err = dir_add(req, b, "..", S_IFDIR, FUSE_ROOT_ID);
    if (err == 0 && n->type == ZFS_ROOT) {
        struct list_ctx c = {req, b, 0};
        err = zeroipc_memory_list(list_segment, &c) != ZEROIPC_OK && c.err == 0 ? EIO : c.err;
    } else if (err == 0) {
        err = list_structures(req, b, n->seg);
    }
    if (err != 0) {
        if (b != NULL)
            free(b->data);
        free(b);
        fuse_reply_err(req, err);
        return;
    }
    fi->fh = (uintptr_t)b;
    fuse_reply_open(req, fi);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                       struct fuse_file_info *fi)
{
    (void)ino;
    struct dirbuf *b = (struct dirbuf *)(uintptr_t)fi->fh;
    if ((size_t)off >= b->len) {
        fuse_reply_buf(req, NULL, 0);
        return;
    }
    /* Whole entries only.  Each packed entry records where the next one
     * starts (its `off`, 8 bytes in), which is how they are walked. */
    size_t end = (size_t)off;
    while (end < b->len) {
        uint64_t next;
        memcpy(&next, b->data + end + 8, sizeof next);
        if (next - (size_t)off > size)
            break;
        end = (size_t)next;
    }
    fuse_reply_buf(req, b->data + off, end - (size_t)off);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)ino;
    struct dirbuf *b = (struct dirbuf *)(uintptr_t)fi->fh;
    free(b->data);
    free(b);
    fuse_reply_err(req, 0);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
    struct zfs_node *p = node_or_reply(req, parent);
    if (p == NULL)
        return;
    if (p->type != ZFS_ROOT) {
        /* Structures are made through SEG/.create. */
        fuse_reply_err(req, EPERM);
        return;
    }
    if (strlen(name) > NAME_MAX) {
        fuse_reply_err(req, ENAMETOOLONG);
        return;
    }
    if (!zfs_seg_visible(name)) {
        fuse_reply_err(req, EPERM); /* it could not be seen afterwards */
        return;
    }
    char path[sizeof "/dev/shm/" + NAME_MAX];
    snprintf(path, sizeof path, "/dev/shm/%s", name);
    /* Creating replaces an existing object (the format's rule), which
     * mkdir must never do.  A creator racing between this check and the
     * create can still be replaced: /dev/shm offers no exclusive create
     * that keeps the format's zeroing. */
    if (access(path, F_OK) == 0) {
        fuse_reply_err(req, EEXIST);
        return;
    }
    zeroipc_memory_t *mem = zeroipc_memory_create(path + sizeof "/dev/shm" - 1,
                                                  zfs_opts.seg_size, zfs_opts.seg_entries);
    if (mem == NULL) {
        fuse_reply_err(req, zfs_errno(zeroipc_last_error()));
        return;
    }
    zeroipc_memory_close(mem);
    const struct fuse_ctx *ctx = fuse_req_ctx(req);
    if (chmod(path, mode & ~ctx->umask & 07777) != 0 || chown(path, ctx->uid, ctx->gid) != 0)
        zfs_log(ZFS_WARN, "mkdir %s: cannot set mode or owner: %s", name, strerror(errno));
    struct zfs_node *n = zfs_node_intern(ZFS_SEGMENT, name, "");
    if (n == NULL)
        fuse_reply_err(req, ENOMEM);
    else
        reply_entry(req, n);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct zfs_node *p = node_or_reply(req, parent);
    if (p == NULL)
        return;
    if (p->type != ZFS_ROOT) {
        fuse_reply_err(req, ENOTDIR);
        return;
    }
    struct stat shm;
    int err;
    struct zfs_seg *seg = zfs_seg_get(name, &shm, &err);
    if (seg == NULL) {
        fuse_reply_err(req, err);
        return;
    }
    zfs_seg_put(seg);
    /* The whole segment goes: its structures cannot be removed one by one. */
    char shm_name[NAME_MAX + 2];
    snprintf(shm_name, sizeof shm_name, "/%s", name);
    err = zeroipc_memory_unlink_checked(shm_name);
    fuse_reply_err(req, err == ZEROIPC_OK ? 0 : zfs_errno(err));
}

/* What the format cannot do: free a structure, rename, link, make files. */
static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    (void)parent;
    (void)name;
    fuse_reply_err(req, EPERM);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
                      const char *newname, unsigned int flags)
{
    (void)parent, (void)name, (void)newparent, (void)newname, (void)flags;
    fuse_reply_err(req, EPERM);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
    (void)ino, (void)newparent, (void)newname;
    fuse_reply_err(req, EPERM);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
    (void)parent, (void)name, (void)mode, (void)rdev;
    fuse_reply_err(req, EPERM);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
                      struct fuse_file_info *fi)
{
    (void)parent, (void)name, (void)mode, (void)fi;
    fuse_reply_err(req, EPERM);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
    (void)link, (void)parent, (void)name;
    fuse_reply_err(req, EPERM);
}

static void file_free(struct zfs_file *f)
{
    /* Every view's close takes whatever its open got to (NULLs too). */
    if (f->view != NULL)
        f->view->close(f);
    zfs_seg_put(f->seg);
    free(f->elem);
    free(f->batch);
    free(f->carry);
    free(f->partial);
    free(f->snapshot);
    free(f->view_state);
    free(f);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct zfs_node *n = node_or_reply(req, ino);
    if (n == NULL)
        return;
    int acc = fi->flags & O_ACCMODE;
    if ((n->type == ZFS_CREATE && acc != O_WRONLY) || (n->type == ZFS_TABLE && acc != O_RDONLY)) {
        fuse_reply_err(req, EACCES);
        return;
    }
    struct zfs_file *f = calloc(1, sizeof *f);
    if (f == NULL) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    struct stat shm;
    int err = 0;
    f->flags = fi->flags;
    f->seg = zfs_seg_get(n->seg, &shm, &err);
    if (f->seg != NULL && n->type == ZFS_TABLE) {
        err = zfs_ctl_table_render(zfs_seg_mem(f->seg), &f->snapshot, &f->snapshot_len);
    } else if (f->seg != NULL && n->type == ZFS_STRUCT) {
        err = find_struct(zfs_seg_mem(f->seg), n->name, &f->info);
        if (err == 0 && (f->view = zfs_view_for(f->info.kind)) == NULL)
            err = EOPNOTSUPP; /* a kind the filesystem cannot show yet */
        bool elements = true;
        if (err == 0 && f->view->file_type != NULL) {
            /* The file reads and writes numbers, not the structure's
             * elements (it has none). */
            zeroipc_type_t t;
            zeroipc_type_parse(f->view->file_type, strlen(f->view->file_type), &t);
            f->info.elem_size = zeroipc_type_size(&t);
            snprintf(f->info.type, sizeof f->info.type, "%s", f->view->file_type);
        } else if (err == 0 && f->info.elem_size == 0 && f->view->read_only) {
            elements = false; /* text of the view's own (a once's state) */
        }
        if (err == 0 && elements)
            err = zfs_elem_setup(f, zfs_seg_mem(f->seg));
        if (err == 0 && elements) {
            /* A batch of up to 64 KiB of elements, one at the least. */
            f->batch_cap = 65536 / f->info.elem_size ? 65536 / f->info.elem_size : 1;
            f->elem = malloc(f->info.elem_size);
            f->batch = malloc(f->batch_cap * f->info.elem_size);
            f->carry = malloc(f->text_max);
            err = f->elem && f->batch && f->carry ? 0 : ENOMEM;
        }
        if (err == 0)
            err = f->view->open(f, zfs_seg_mem(f->seg));
        fi->nonseekable = err == 0 && f->view->consumes;
    }
    if (err != 0) {
        file_free(f);
        fuse_reply_err(req, err);
        return;
    }
    fi->direct_io = 1;
    fi->fh = (uintptr_t)f;
    if (fuse_reply_open(req, fi) != 0)
        file_free(f);
}

static char *io_buffer(size_t size)
{
    static char *buf;
    static size_t cap;
    if (size > cap) {
        char *b = realloc(buf, size);
        if (b == NULL)
            return NULL;
        buf = b;
        cap = size;
    }
    return buf;
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi)
{
    struct zfs_node *n = node_or_reply(req, ino);
    struct zfs_file *f = (struct zfs_file *)(uintptr_t)fi->fh;
    if (n == NULL)
        return;
    if (n->type == ZFS_TABLE) {
        size_t len = (size_t)off < f->snapshot_len ? f->snapshot_len - (size_t)off : 0;
        fuse_reply_buf(req, f->snapshot + off, len < size ? len : size);
        return;
    }
    if (f->view == NULL) {
        fuse_reply_err(req, EBADF);
        return;
    }
    char *buf = io_buffer(size);
    if (buf == NULL) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    unsigned long faults = zfs_fault_count();
    ssize_t r = zfs_file_broken(f) ? -EIO : f->view->read(f, buf, size, off);
    /* The segment was truncated under the read: what it got is zeros. */
    if (zfs_fault_count() != faults)
        r = -EIO;
    if (r >= 0)
        fuse_reply_buf(req, buf, (size_t)r);
    else if (r != -EAGAIN)
        fuse_reply_err(req, (int)-r);
    else if (!zfs_opts.blocking && !f->view->waits)
        fuse_reply_buf(req, NULL, 0); /* empty: end of file, as a plain file */
    else if (fi->flags & O_NONBLOCK)
        fuse_reply_err(req, EAGAIN);
    else
        zfs_pending_read(req, f, size);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
                     struct fuse_file_info *fi)
{
    struct zfs_node *n = node_or_reply(req, ino);
    struct zfs_file *f = (struct zfs_file *)(uintptr_t)fi->fh;
    if (n == NULL)
        return;
    ssize_t r;
    unsigned long faults = zfs_fault_count();
    if (n->type == ZFS_CREATE)
        r = zfs_ctl_create_write(f, zfs_seg_mem(f->seg), buf, size, false);
    else if (f->view == NULL)
        r = -EBADF;
    else if (zfs_file_broken(f))
        r = -EIO;
    else
        r = f->view->write(f, buf, size, off);
    /* Truncated under the write: what went into zero pages is lost. */
    if (zfs_fault_count() != faults)
        r = -EIO;

    bool may_wait = (zfs_opts.blocking || (f->view != NULL && f->view->waits)) &&
                    !(fi->flags & O_NONBLOCK);
    if (r == -EAGAIN && may_wait) {
        zfs_pending_write(req, f, buf, size, 0);
    } else if (r > 0 && (size_t)r < size && may_wait) {
        /* A pipe's blocking write takes everything before it returns. */
        zfs_pending_write(req, f, buf, size, (size_t)r);
    } else if (r < 0) {
        fuse_reply_err(req, (int)-r);
    } else {
        fuse_reply_write(req, (size_t)r);
    }
    /* What was just pushed may be what a parked reader waits for. */
    zfs_pending_run();
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct zfs_node *n = node_or_reply(req, ino);
    struct zfs_file *f = (struct zfs_file *)(uintptr_t)fi->fh;
    if (n == NULL)
        return;
    int err = 0;
    if (n->type == ZFS_CREATE) {
        ssize_t r = zfs_ctl_create_write(f, zfs_seg_mem(f->seg), NULL, 0, true);
        err = r < 0 ? (int)-r : 0;
    } else if (f->view != NULL) {
        /* On a truncated segment only an unwritten rest is lost (the
         * writes already said EIO); a close with nothing pending
         * succeeds, as programs (bash among them) do not expect close to
         * fail after a failed read. */
        if (zfs_file_broken(f)) {
            err = f->partial_len > 0 ? EIO : 0;
            f->partial_len = 0;
        } else {
            err = -f->view->flush(f);
        }
    }
    fuse_reply_err(req, err);
    zfs_pending_run();
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)ino;
    struct zfs_file *f = (struct zfs_file *)(uintptr_t)fi->fh;
    zfs_pending_drop_file(f);
    file_free(f);
    fuse_reply_err(req, 0);
}

static void op_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
                    struct fuse_pollhandle *ph)
{
    (void)ino;
    struct zfs_file *f = (struct zfs_file *)(uintptr_t)fi->fh;
    /* A broken segment is ready: its reads and writes fail at once. */
    unsigned ready = f->view && !zfs_file_broken(f) ? f->view->ready(f) : POLLIN | POLLOUT;
    /* Old kernels do not say what the poller waits for: assume both. */
    unsigned wanted = fi->poll_events ? fi->poll_events & (POLLIN | POLLOUT) : POLLIN | POLLOUT;
    if (ph != NULL) {
        if ((ready & wanted) != 0)
            fuse_pollhandle_destroy(ph);
        else
            zfs_poll_register(f, ph, wanted);
    }
    fuse_reply_poll(req, ready);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
    (void)ino;
    struct statvfs sv;
    if (statvfs("/dev/shm", &sv) != 0) {
        fuse_reply_err(req, errno);
        return;
    }
    sv.f_namemax = NAME_MAX;
    fuse_reply_statfs(req, &sv);
}

/*
 * Extended attributes.  Values are rendered into a small buffer.  A
 * structure has the common ones, a container's capacity and count, and
 * what its view adds (a semaphore's count, max and waiting).
 */
#define XATTR_MAX 32

static const char *const common_xattrs[] = {"kind", "type", "offset", "size", NULL};
static const char *const container_xattrs[] = {"capacity", "count", NULL};
static const char *const seg_xattrs[] = {"size", "used", "entries", "table_capacity",
                                         "version", NULL};

static size_t add_names(const char **out, size_t n, const char *const *names)
{
    for (; names != NULL && *names != NULL && n < XATTR_MAX; names++)
        out[n++] = *names;
    return n;
}

/* The short names of n's attributes into out (XATTR_MAX); *count; with
 * `present`, only those that have a value now.  0 or errno. */
static int xattr_list(const struct zfs_node *n, bool present, const char **out, size_t *count)
{
    *count = 0;
    if (n->type == ZFS_SEGMENT) {
        *count = add_names(out, 0, seg_xattrs);
        return 0;
    }
    if (n->type != ZFS_STRUCT)
        return 0;
    struct stat shm;
    int err;
    struct zfs_seg *seg = zfs_seg_get(n->seg, &shm, &err);
    if (seg == NULL)
        return err;
    zeroipc_info_t info;
    err = find_struct(zfs_seg_mem(seg), n->name, &info);
    if (err != 0) {
        zfs_seg_put(seg);
        return err;
    }
    struct zfs_seg *seg_keep = seg;
    const struct zfs_view *view = zfs_view_for(info.kind);
    size_t k = add_names(out, 0, common_xattrs);
    /* Kinds without elements have no type to show. */
    if (info.type[0] == '\0' && info.elem_size == 0) {
        memmove(&out[1], &out[2], (k - 2) * sizeof out[0]);
        k--;
    }
    if (view != NULL && view->count != NULL)
        k = add_names(out, k, container_xattrs);
    /* The view's own, those that have a value now (a future's error
     * only once it failed), so that getfattr -d lists no name it cannot
     * read. */
    char value[256];
    for (const char *const *a = view ? view->xattrs : NULL; a != NULL && *a != NULL && k < XATTR_MAX; a++) {
        if (!present || view->xattr_get(zfs_seg_mem(seg_keep), &info, *a, value, sizeof value) == 0)
            out[k++] = *a;
    }
    zfs_seg_put(seg_keep);
    *count = k;
    return 0;
}

/* The attribute's short name if `name` is one of n's, else NULL. */
static const char *xattr_known(const struct zfs_node *n, const char *name)
{
    const char *names[XATTR_MAX];
    size_t count;
    if (strncmp(name, XATTR_PREFIX, strlen(XATTR_PREFIX)) != 0 ||
        xattr_list(n, false, names, &count) != 0)
        return NULL;
    name += strlen(XATTR_PREFIX);
    for (size_t i = 0; i < count; i++) {
        if (strcmp(names[i], name) == 0)
            return names[i];
    }
    return NULL;
}

/* Renders attribute `attr` of n into out (256 bytes); 0 or errno. */
static int xattr_value(const struct zfs_node *n, const char *attr, char *out, size_t len)
{
    struct stat shm;
    int err;
    struct zfs_seg *seg = zfs_seg_get(n->seg, &shm, &err);
    if (seg == NULL)
        return err;
    zeroipc_memory_t *mem = zfs_seg_mem(seg);
    if (n->type == ZFS_SEGMENT) {
        if (strcmp(attr, "size") == 0)
            snprintf(out, len, "%zu", zeroipc_memory_size(mem));
        else if (strcmp(attr, "used") == 0)
            snprintf(out, len, "%zu", zeroipc_memory_used(mem));
        else if (strcmp(attr, "entries") == 0)
            snprintf(out, len, "%zu", zeroipc_table_count(mem));
        else if (strcmp(attr, "table_capacity") == 0)
            snprintf(out, len, "%zu", zeroipc_table_capacity(mem));
        else
            snprintf(out, len, "%u", ZEROIPC_VERSION);
        zfs_seg_put(seg);
        return 0;
    }
    zeroipc_info_t info;
    err = find_struct(mem, n->name, &info);
    if (err == 0) {
        const struct zfs_view *view = zfs_view_for(info.kind);
        if (strcmp(attr, "kind") == 0)
            snprintf(out, len, "%s", zeroipc_kind_name(info.kind));
        else if (strcmp(attr, "type") == 0 && info.type[0] != '\0')
            snprintf(out, len, "%s", info.type);
        else if (strcmp(attr, "type") == 0 && view != NULL && view->type_spec != NULL) {
            char spec[ZEROIPC_TYPE_SPEC_MAX];
            err = view->type_spec(mem, &info, NULL, 0, spec);
            if (err == 0)
                snprintf(out, len, "%s", spec);
        }
        else if (strcmp(attr, "type") == 0 && info.elem_size != 0)
            snprintf(out, len, "bytes%zu", info.elem_size);
        else if (strcmp(attr, "type") == 0)
            err = ENODATA;
        else if (strcmp(attr, "offset") == 0)
            snprintf(out, len, "%" PRIu64, info.entry.offset);
        else if (strcmp(attr, "size") == 0)
            snprintf(out, len, "%" PRIu64, info.entry.size);
        else if (view != NULL && view->count != NULL && strcmp(attr, "capacity") == 0)
            snprintf(out, len, "%zu", info.capacity);
        else if (view != NULL && view->count != NULL && strcmp(attr, "count") == 0)
            snprintf(out, len, "%zu", view->count(mem, &info));
        else if (view != NULL && view->xattr_get != NULL)
            err = view->xattr_get(mem, &info, attr, out, len);
        else
            err = ENODATA;
    }
    zfs_seg_put(seg);
    return err;
}

static void reply_xattr_data(fuse_req_t req, const char *data, size_t len, size_t size)
{
    if (size == 0)
        fuse_reply_xattr(req, len);
    else if (size < len)
        fuse_reply_err(req, ERANGE);
    else
        fuse_reply_buf(req, data, len);
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
    struct zfs_node *n = node_or_reply(req, ino);
    if (n == NULL)
        return;
    const char *attr = xattr_known(n, name);
    char value[256];
    int err = attr ? xattr_value(n, attr, value, sizeof value) : ENODATA;
    if (err != 0)
        fuse_reply_err(req, err);
    else
        reply_xattr_data(req, value, strlen(value), size);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
    struct zfs_node *n = node_or_reply(req, ino);
    if (n == NULL)
        return;
    const char *names[XATTR_MAX];
    size_t count;
    int err = xattr_list(n, true, names, &count);
    if (err != 0) {
        fuse_reply_err(req, err);
        return;
    }
    char list[XATTR_MAX * 48];
    size_t len = 0;
    for (size_t i = 0; i < count; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", XATTR_PREFIX, names[i]) + 1;
    reply_xattr_data(req, list, len, size);
}

/* user.zeroipc.type: declares the element type of a structure. */
static int set_type(const struct zfs_node *n, const char *value, size_t size)
{
    zeroipc_type_t type;
    char spec[ZEROIPC_TYPE_SPEC_MAX];
    struct stat shm;
    int err;
    struct zfs_seg *seg = zfs_seg_get(n->seg, &shm, &err);
    if (seg == NULL)
        return err;
    zeroipc_info_t info;
    err = find_struct(zfs_seg_mem(seg), n->name, &info);
    const struct zfs_view *view = err == 0 ? zfs_view_for(info.kind) : NULL;
    if (err == 0 && (info.kind == ZEROIPC_KIND_UNKNOWN || info.elem_size == 0))
        err = EOPNOTSUPP; /* nothing to say the element size is */
    else if (err == 0 && view != NULL && view->type_spec != NULL)
        err = view->type_spec(zfs_seg_mem(seg), &info, value, size, spec);
    else if (err == 0 && (zeroipc_type_parse(value, size, &type) != ZEROIPC_OK ||
                          zeroipc_type_format(&type, spec, sizeof spec) < 0))
        err = EINVAL;
    else if (err == 0 && zeroipc_type_size(&type) != info.elem_size)
        err = EINVAL;     /* the bytes are what they are: only their reading may change */
    if (err == 0 && strlen(spec) >= ZEROIPC_TYPE_SPEC_SIZE)
        err = EINVAL;
    if (err == 0) {
        int zerr = zeroipc_catalog_set(zfs_seg_mem(seg), n->name, info.kind, spec);
        err = zfs_errno(zerr);
    }
    zfs_seg_put(seg);
    return err;
}

/*
 * user.zeroipc.kind: says what an entry is where the bytes cannot (a
 * 16-byte entry can be a semaphore, a mutex, a barrier or a latch).  The
 * kind is recorded only if the bytes satisfy its invariants, which
 * zeroipc_describe checks when it believes a record: EINVAL otherwise,
 * and the old record stays.
 */
static int set_kind(const struct zfs_node *n, const char *value, size_t size)
{
    char name[32];
    if (size == 0 || size >= sizeof name || memchr(value, '\0', size) != NULL)
        return EINVAL;
    memcpy(name, value, size);
    name[size] = '\0';
    zeroipc_kind_t kind = zeroipc_kind_from_name(name);
    if (kind == ZEROIPC_KIND_UNKNOWN || kind == ZEROIPC_KIND_CATALOG)
        return EINVAL;
    struct stat shm;
    int err;
    struct zfs_seg *seg = zfs_seg_get(n->seg, &shm, &err);
    if (seg == NULL)
        return err;
    zeroipc_memory_t *mem = zfs_seg_mem(seg);
    zeroipc_info_t before, after;
    zeroipc_kind_t old_kind = ZEROIPC_KIND_UNKNOWN;
    char old_type[ZEROIPC_TYPE_SPEC_SIZE] = "";
    err = find_struct(mem, n->name, &before);
    bool had = err == 0 && zeroipc_catalog_get(mem, n->name, &old_kind, old_type,
                                               sizeof old_type) == ZEROIPC_OK;
    if (err == 0 && before.kind != kind) {
        /* Another kind's element type means nothing here. */
        err = zfs_errno(zeroipc_catalog_set(mem, n->name, kind, ""));
        if (err == 0 && (zeroipc_describe(mem, n->name, &after) != ZEROIPC_OK || after.kind != kind)) {
            err = EINVAL;
            if (had)
                zeroipc_catalog_set(mem, n->name, old_kind, old_type);
            else
                zeroipc_catalog_set(mem, n->name, ZEROIPC_KIND_UNKNOWN, "");
        }
    }
    zfs_seg_put(seg);
    return err;
}

/* Attributes a view lets one set (a channel's `closed`), of the
 * structure `name` of segment `segname`. */
static int set_view_xattr(const char *segname, const char *name, const char *attr,
                          const char *value, size_t size)
{
    struct stat shm;
    int err;
    struct zfs_seg *seg = zfs_seg_get(segname, &shm, &err);
    if (seg == NULL)
        return err;
    zeroipc_info_t info;
    err = find_struct(zfs_seg_mem(seg), name, &info);
    const struct zfs_view *view = err == 0 ? zfs_view_for(info.kind) : NULL;
    if (err == 0)
        err = view != NULL && view->xattr_set != NULL
                  ? view->xattr_set(zfs_seg_mem(seg), &info, attr, value, size)
                  : EPERM;
    zfs_seg_put(seg);
    return err;
}

/*
 * user.zeroipc.close on a segment directory, with a structure's name as
 * value: closes that stream or channel, as user.zeroipc.closed=1 on its
 * file does.  The kernel holds a file's lock for the whole of a write to
 * it, and a write that waits for room (or for a rendezvous) would keep a
 * setxattr on the same file waiting behind it; the directory is another
 * inode.
 */
static int close_by_name(const struct zfs_node *n, const char *value, size_t size)
{
    char name[ZEROIPC_NAME_SIZE];
    if (size == 0 || size >= sizeof name || memchr(value, '\0', size) != NULL)
        return EINVAL;
    memcpy(name, value, size);
    name[size] = '\0';
    int err = set_view_xattr(n->seg, name, "closed", "1", 1);
    return err == EPERM ? EINVAL : err; /* nothing there to close */
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
                        size_t size, int flags)
{
    (void)flags;
    struct zfs_node *n = node_or_reply(req, ino);
    if (n == NULL)
        return;
    const char *attr = xattr_known(n, name);
    int err;
    if (n->type == ZFS_SEGMENT && strcmp(name, XATTR_PREFIX "close") == 0)
        err = close_by_name(n, value, size);
    else if (attr == NULL)
        err = EOPNOTSUPP;
    else if (n->type == ZFS_STRUCT && strcmp(attr, "type") == 0)
        err = set_type(n, value, size);
    else if (n->type == ZFS_STRUCT && strcmp(attr, "kind") == 0)
        err = set_kind(n, value, size);
    else if (n->type == ZFS_STRUCT)
        err = set_view_xattr(n->seg, n->name, attr, value, size);
    else
        err = EPERM;
    fuse_reply_err(req, err);
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
    struct zfs_node *n = node_or_reply(req, ino);
    if (n != NULL)
        fuse_reply_err(req, xattr_known(n, name) ? EPERM : ENODATA);
}

const struct fuse_lowlevel_ops zfs_ops = {
    .init = op_init,
    .lookup = op_lookup,
    .forget = op_forget,
    .forget_multi = op_forget_multi,
    .getattr = op_getattr,
    .setattr = op_setattr,
    .mknod = op_mknod,
    .mkdir = op_mkdir,
    .unlink = op_unlink,
    .rmdir = op_rmdir,
    .symlink = op_symlink,
    .rename = op_rename,
    .link = op_link,
    .open = op_open,
    .read = op_read,
    .write = op_write,
    .flush = op_flush,
    .release = op_release,
    .opendir = op_opendir,
    .readdir = op_readdir,
    .releasedir = op_releasedir,
    .statfs = op_statfs,
    .setxattr = op_setxattr,
    .getxattr = op_getxattr,
    .listxattr = op_listxattr,
    .removexattr = op_removexattr,
    .create = op_create,
    .poll = op_poll,
};
