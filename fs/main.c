/*
 * main.c - zeroipcfs: options, mounting, and the request loop.
 *
 * The loop is ours rather than libfuse's so that it can retry parked
 * requests (pending.c) between requests: it polls /dev/fuse with a
 * timeout while anything waits, and forever otherwise.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zfs.h"

extern bool zfs_log_syslog;

struct zfs_options zfs_opts = {
    .seg_size = 1 << 20,
    .seg_entries = 64,
};

/* Raw option values, checked after parsing. */
static struct {
    char *size;
    unsigned entries;
    int binary, text, blocking, nonblocking, one_per_read;
} raw = {.entries = 64};

#define OPT(t, field) {t, offsetof(__typeof__(raw), field), 1}
static const struct fuse_opt zfs_fuse_opts[] = {
    {"prefix=%s", offsetof(struct zfs_options, prefix), 0},
    FUSE_OPT_END,
};
static const struct fuse_opt raw_opts[] = {
    {"size=%s", offsetof(__typeof__(raw), size), 0},
    {"entries=%u", offsetof(__typeof__(raw), entries), 0},
    OPT("binary", binary),
    OPT("text", text),
    OPT("blocking", blocking),
    OPT("nonblocking", nonblocking),
    OPT("one_per_read", one_per_read),
    FUSE_OPT_END,
};

static void usage(const char *prog)
{
    printf("usage: %s [options] MOUNTPOINT\n"
           "\n"
           "Mounts the ZeroIPC shared-memory segments of /dev/shm as directories,\n"
           "and each structure in them as a file.\n"
           "\n"
           "zeroipcfs options (-o):\n"
           "    prefix=STR            show only segments whose name starts with STR\n"
           "    size=N[K|M|G]         size of a segment made by mkdir (default 1M)\n"
           "    entries=N             its table capacity (default 64)\n"
           "    text | binary         element format: lines (default) or records\n"
           "    nonblocking | blocking  empty reads as EOF and full fails (default),\n"
           "                          or both wait, as on a pipe\n"
           "    one_per_read          each read returns at most one element\n"
           "\n",
           prog);
}

/* "64K" -> 65536; 0 when malformed or zero. */
static size_t parse_size(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10;
    else if (*end == 'M' || *end == 'm')
        shift = 20;
    else if (*end == 'G' || *end == 'g')
        shift = 30;
    if (shift != 0)
        end++;
    if (errno != 0 || end == s || *end != '\0' || v == 0 || v > (SIZE_MAX >> shift))
        return 0;
    return (size_t)v << shift;
}

static int loop(struct fuse_session *se)
{
    struct fuse_buf buf = {0};
    struct pollfd pfd = {.fd = fuse_session_fd(se), .events = POLLIN};
    int rc = 0;
    while (!fuse_session_exited(se)) {
        /* Poll only while something waits: otherwise the blocking read of
         * /dev/fuse is the wait, one system call fewer per request. */
        int timeout = zfs_pending_run();
        int ready = timeout < 0 ? 1 : poll(&pfd, 1, timeout);
        if (ready < 0 && errno != EINTR) {
            rc = -errno;
            break;
        }
        if (ready <= 0)
            continue;
        int n = fuse_session_receive_buf(se, &buf);
        if (n == -EINTR || n == -EAGAIN)
            continue;
        if (n <= 0) {
            rc = n; /* 0: unmounted */
            break;
        }
        fuse_session_process_buf(se, &buf);
    }
    free(buf.mem);
    return rc < 0 ? rc : 0;
}

int main(int argc, char *argv[])
{
    struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
    struct fuse_cmdline_opts opts;
    int ret = 1;

    if (fuse_parse_cmdline(&args, &opts) != 0)
        return 1;
    if (opts.show_help) {
        usage(argv[0]);
        fuse_cmdline_help();
        fuse_lowlevel_help();
        ret = 0;
        goto out_args;
    }
    if (opts.show_version) {
        printf("zeroipcfs %s (ZeroIPC format v%u)\n", ZEROIPC_VERSION_STRING, ZEROIPC_VERSION);
        fuse_lowlevel_version();
        ret = 0;
        goto out_args;
    }
    if (opts.mountpoint == NULL) {
        fprintf(stderr, "%s: no mount point (see %s -h)\n", argv[0], argv[0]);
        goto out_args;
    }
    if (fuse_opt_parse(&args, &zfs_opts, zfs_fuse_opts, NULL) != 0 ||
        fuse_opt_parse(&args, &raw, raw_opts, NULL) != 0)
        goto out_args;
    if (raw.size != NULL && (zfs_opts.seg_size = parse_size(raw.size)) == 0) {
        fprintf(stderr, "%s: size=%s: not a size\n", argv[0], raw.size);
        goto out_args;
    }
    if (raw.entries == 0) {
        fprintf(stderr, "%s: entries=0: a table needs at least one entry\n", argv[0]);
        goto out_args;
    }
    zfs_opts.seg_entries = raw.entries;
    zfs_opts.binary = raw.binary && !raw.text;
    zfs_opts.blocking = raw.blocking && !raw.nonblocking;
    zfs_opts.one_per_read = raw.one_per_read;
    if (opts.debug)
        zfs_log_level = ZFS_DEBUG;

    /* The kernel checks every access against the modes we report, which
     * are those of /dev/shm: the mount never grants more than it does. */
    fuse_opt_add_arg(&args, "-odefault_permissions");
    fuse_opt_add_arg(&args, "-osubtype=zeroipcfs");

    zfs_node_init();
    zfs_fault_init();
    struct fuse_session *se = fuse_session_new(&args, &zfs_ops, sizeof zfs_ops, NULL);
    if (se == NULL)
        goto out_args;
    if (fuse_set_signal_handlers(se) != 0)
        goto out_session;
    if (fuse_session_mount(se, opts.mountpoint) != 0)
        goto out_signals;
    if (!opts.foreground)
        zfs_log_syslog = true;
    fuse_daemonize(opts.foreground);
    int rc = loop(se);
    if (rc < 0)
        zfs_log(ZFS_ERR, "request loop failed: %s", strerror(-rc));
    ret = rc < 0 ? 1 : 0;
    fuse_session_unmount(se);
out_signals:
    fuse_remove_signal_handlers(se);
out_session:
    fuse_session_destroy(se);
out_args:
    free(opts.mountpoint);
    fuse_opt_free_args(&args);
    return ret;
}
