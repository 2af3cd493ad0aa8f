/*
 * nullfs.c - a FUSE filesystem that does nothing, as the baseline of the
 * zeroipcfs benchmark (fs_bench.c).
 *
 * Whatever zeroipcfs costs beyond this is its own per-request work, so
 * everything the kernel sees is made the same as with zeroipcfs:
 *
 *   - the same tree depth: a root with one directory, d, that holds a
 *     few files (f, g, h), as a mount holds segment directories that hold
 *     structures: MNT/d/f is walked as MNT/SEG/queue is;
 *   - the same timeouts (attr_timeout 0, entry_timeout 1.0) and the same
 *     default_permissions, so the kernel sends the same GETATTRs before
 *     each open (it must refresh attributes that never stay valid to
 *     check permissions) and the same LOOKUP once a second;
 *   - files opened with direct_io, non-seekable, as queue files are;
 *   - flush and release implemented, so the kernel keeps sending them;
 *   - one thread.  nullfs runs libfuse's own fuse_session_loop (a read of
 *     /dev/fuse per request); zeroipcfs runs its own loop (main.c), and
 *     that difference is part of what the benchmark measures.
 *
 * Reads never end: every read returns `size` bytes, "42\n" repeated from
 * the read's first byte, so a reader decides how much it takes and a
 * 3-byte read is one "element".  Writes accept everything.  Nothing is
 * stored.
 *
 * usage: zeroipcfs-bench-nullfs [-f] [-d] [-o OPTIONS] MOUNTPOINT
 */
#define FUSE_USE_VERSION 34

#include <errno.h>
#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ENTRY_TIMEOUT 1.0
#define ATTR_TIMEOUT 0.0

#define INO_ROOT 1
#define INO_DIR 2
#define INO_FILE0 3

static const char *const file_names[] = {"f", "g", "h"};
#define NFILES (sizeof file_names / sizeof file_names[0])

/* What every read returns, long enough for the largest read the kernel
 * sends (libfuse negotiates at most 256 pages per request). */
#define PATTERN_MAX (2u << 20)
static char *pattern;

/* Owner of everything: the daemon's, looked up once (a syscall per
 * GETATTR would be work that a filesystem doing nothing does not do). */
static uid_t owner_uid;
static gid_t owner_gid;

static bool ino_valid(fuse_ino_t ino)
{
    return ino >= INO_ROOT && ino < INO_FILE0 + NFILES;
}

static void fill_attr(fuse_ino_t ino, struct stat *st)
{
    memset(st, 0, sizeof *st);
    st->st_ino = ino;
    st->st_uid = owner_uid;
    st->st_gid = owner_gid;
    if (ino == INO_ROOT || ino == INO_DIR) {
        st->st_mode = S_IFDIR | 0755;
        st->st_nlink = 2;
    } else {
        st->st_mode = S_IFREG | 0666;
        st->st_nlink = 1;
    }
}

static void op_init(void *data, struct fuse_conn_info *conn)
{
    (void)data;
    /* As zeroipcfs: O_TRUNC comes with open, not as a setattr. */
    if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
        conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct fuse_entry_param e = {.attr_timeout = ATTR_TIMEOUT, .entry_timeout = ENTRY_TIMEOUT};
    if (parent == INO_ROOT && strcmp(name, "d") == 0) {
        e.ino = INO_DIR;
    } else if (parent == INO_DIR) {
        for (size_t i = 0; i < NFILES; i++)
            if (strcmp(name, file_names[i]) == 0)
                e.ino = INO_FILE0 + i;
    }
    if (e.ino == 0) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    fill_attr(e.ino, &e.attr);
    fuse_reply_entry(req, &e);
}

/* Inode numbers are fixed: nothing to forget. */
static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
    (void)ino, (void)nlookup;
    fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
    (void)count, (void)forgets;
    fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)fi;
    if (!ino_valid(ino)) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    struct stat st;
    fill_attr(ino, &st);
    fuse_reply_attr(req, &st, ATTR_TIMEOUT);
}

/* touch and friends: accepted, nothing changes. */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                       struct fuse_file_info *fi)
{
    (void)attr, (void)to_set;
    op_getattr(req, ino, fi);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    if (ino < INO_FILE0 || !ino_valid(ino)) {
        fuse_reply_err(req, ino_valid(ino) ? EISDIR : ENOENT);
        return;
    }
    fi->direct_io = 1;
    fi->nonseekable = 1;
    fuse_reply_open(req, fi);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi)
{
    (void)ino, (void)off, (void)fi;
    fuse_reply_buf(req, pattern, size < PATTERN_MAX ? size : PATTERN_MAX);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
                     struct fuse_file_info *fi)
{
    (void)ino, (void)buf, (void)off, (void)fi;
    fuse_reply_write(req, size);
}

/* flush, release, releasedir. */
static void op_ok(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)ino, (void)fi;
    fuse_reply_err(req, 0);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    if (ino != INO_ROOT && ino != INO_DIR) {
        fuse_reply_err(req, ino_valid(ino) ? ENOTDIR : ENOENT);
        return;
    }
    fuse_reply_open(req, fi);
}

/* The listing is a few entries, rebuilt from `off` on every call. */
static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                       struct fuse_file_info *fi)
{
    (void)fi;
    const char *names[2 + NFILES] = {".", ".."};
    fuse_ino_t inos[2 + NFILES] = {ino, INO_ROOT};
    size_t n = 2;
    if (ino == INO_ROOT) {
        names[n] = "d";
        inos[n++] = INO_DIR;
    } else {
        for (size_t i = 0; i < NFILES; i++) {
            names[n] = file_names[i];
            inos[n++] = INO_FILE0 + i;
        }
    }
    char buf[1024];
    size_t len = 0;
    for (size_t i = off < 0 ? n : (size_t)off; i < n; i++) {
        struct stat st;
        fill_attr(inos[i], &st);
        /* Writes nothing when the entry does not fit: then we stop. */
        size_t need = fuse_add_direntry(req, buf + len, sizeof buf - len, names[i], &st,
                                        (off_t)(i + 1));
        if (len + need > size || len + need > sizeof buf)
            break;
        len += need;
    }
    fuse_reply_buf(req, buf, len);
}

static const struct fuse_lowlevel_ops null_ops = {
    .init = op_init,
    .lookup = op_lookup,
    .forget = op_forget,
    .forget_multi = op_forget_multi,
    .getattr = op_getattr,
    .setattr = op_setattr,
    .open = op_open,
    .read = op_read,
    .write = op_write,
    .flush = op_ok,
    .release = op_ok,
    .opendir = op_opendir,
    .readdir = op_readdir,
    .releasedir = op_ok,
};

int main(int argc, char *argv[])
{
    struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
    struct fuse_cmdline_opts opts;
    int ret = 1;

    if (fuse_parse_cmdline(&args, &opts) != 0)
        return 1;
    if (opts.show_help || opts.show_version || opts.mountpoint == NULL) {
        printf("usage: %s [-f] [-d] [-o OPTIONS] MOUNTPOINT\n"
               "A FUSE filesystem that does nothing: the baseline of zeroipcfs-bench.\n",
               argv[0]);
        ret = opts.mountpoint == NULL && !opts.show_help && !opts.show_version;
        goto out_args;
    }
    owner_uid = getuid();
    owner_gid = getgid();
    pattern = malloc(PATTERN_MAX);
    if (pattern == NULL)
        goto out_args;
    for (size_t i = 0; i < PATTERN_MAX; i++)
        pattern[i] = "42\n"[i % 3];

    /* What zeroipcfs always adds: the kernel then checks modes itself,
     * and refreshes attributes (GETATTR) to do so. */
    fuse_opt_add_arg(&args, "-odefault_permissions");
    fuse_opt_add_arg(&args, "-osubtype=nullfs");

    struct fuse_session *se = fuse_session_new(&args, &null_ops, sizeof null_ops, NULL);
    if (se == NULL)
        goto out_args;
    if (fuse_set_signal_handlers(se) != 0)
        goto out_session;
    if (fuse_session_mount(se, opts.mountpoint) != 0)
        goto out_signals;
    fuse_daemonize(opts.foreground);
    ret = fuse_session_loop(se) < 0 ? 1 : 0;
    fuse_session_unmount(se);
out_signals:
    fuse_remove_signal_handlers(se);
out_session:
    fuse_session_destroy(se);
out_args:
    free(pattern);
    free(opts.mountpoint);
    fuse_opt_free_args(&args);
    return ret;
}
