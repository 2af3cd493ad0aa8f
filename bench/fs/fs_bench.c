/*
 * fs_bench.c - what zeroipcfs costs, against a FUSE filesystem that does
 * nothing (nullfs.c), side by side in one run.
 *
 * Method.  One run mounts three daemons on temporary directories: the
 * driver in text format and in binary format (the same segment prefix,
 * so both show the same segment), and the null filesystem.  Each is a
 * child process started in the foreground and counted as mounted once its
 * mount point shows in /proc/self/mountinfo.  A segment is made through
 * the text mount (mkdir) with one u64 queue, large enough for every case;
 * the null filesystem's file d/f stands in for it.  Every case then does
 * the same system calls on both files:
 *
 *   open+write+close   open(O_WRONLY|O_TRUNC), write "42\n", close: what
 *                      `echo 42 > FILE` costs, one element per open;
 *   write 1            write "42\n" on a descriptor kept open;
 *   read 1             read 3 bytes on a descriptor kept open: one
 *                      element per read (3 bytes is "42\n");
 *   bulk push / pop    1,000,000 elements in 128 KiB writes, then popped
 *                      with 128 KiB reads, as text lines (`seq`-like, lines
 *                      split across writes) and as 8-byte records; the
 *                      null filesystem moves the same bytes with the same
 *                      buffers.
 *
 * The clock (CLOCK_MONOTONIC) runs around the system calls only: text is
 * made before, and what was read is checked after, the buffers touched
 * beforehand so that no page fault lands inside.  The per-operation cases
 * run both filesystems together, alternating every TURN operations; the
 * bulk cases run BULK_REPS times a round, alternating too; the table shows
 * each row's median.  Everything (this program and the daemons) is pinned
 * to one CPU unless -U: see pin_cpu() for why.
 *
 * Verification.  Everything pushed is popped and checked: the count, the
 * sum, and the FIFO order (the values are 1..N, so the k-th one read must
 * be k); the "42" cases check every value.  The null filesystem's replies
 * are checked too: every write taken whole, every read of the length
 * asked (and "42\n" for the 3-byte reads).  A failed check, a mount that
 * does not come up or a run past the timeout makes the run exit non-zero;
 * a target missed does not: it is reported as MISS.
 *
 * Cleanup.  At exit, on failure and on SIGINT/SIGTERM/SIGHUP/SIGALRM:
 * lazy unmount (fusermount3 -u -z), SIGTERM (then SIGKILL) to each daemon,
 * the temporary directories removed, and the /dev/shm objects of our
 * unique prefix unlinked.  The daemons also get SIGTERM should this
 * process die (PR_SET_PDEATHSIG).
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "machine.h"

#ifndef ZEROIPCFS_PATH
#define ZEROIPCFS_PATH "zeroipcfs"
#endif
#ifndef NULLFS_PATH
#define NULLFS_PATH "zeroipcfs-bench-nullfs"
#endif

#define MAX_ROUNDS 99
#define IO_BUF (128 * 1024)
#define MOUNT_DEADLINE_S 10
#define ELEM "42\n"
#define ELEM_LEN 3

/* ---- configuration ---------------------------------------------------- */

static struct {
    uint64_t open_ops;
    uint64_t small_ops;
    uint64_t bulk_elements;
    int rounds;
    unsigned timeout_s;
    const char *zeroipcfs;
    const char *nullfs;
    const char *fusermount;
    bool pin;                   /* everything on one CPU */
    int cpu;                    /* which: -1 for the first we may use */
} cfg = {
    /* Sized so that the whole run takes 30-60 s on a 2-CPU machine,
     * pinned; about a third of it unpinned on a quiet one. */
    .open_ops = 20000,
    .small_ops = 100000,
    .bulk_elements = 1000000,
    .rounds = 7,
    .timeout_s = 600,
    .zeroipcfs = ZEROIPCFS_PATH,
    .nullfs = NULLFS_PATH,
    .pin = true,
    .cpu = -1,
};

/* ---- mounts, names and cleanup ------------------------------------------ */

enum { M_TEXT, M_BINARY, M_NULL, N_MOUNTS };

struct mount {
    const char *label;
    char dir[256];
    char log[256];
    volatile pid_t pid;
};

static struct mount mounts[N_MOUNTS] = {
    {.label = "zeroipcfs (text)"},
    {.label = "zeroipcfs (binary)"},
    {.label = "nullfs"},
};
static char workdir[128];          /* "" until made */
static char prefix[64];            /* of every /dev/shm object we make */
static char seg_name[96];
static char shm_path[160];         /* /dev/shm/SEG */
static pid_t parent_pid;
static volatile sig_atomic_t cleaned;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Async-signal-safe: fork, execve, waitpid, umount2 only. */
static void lazy_unmount(const char *dir)
{
    pid_t pid = cfg.fusermount ? fork() : -1;
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
        }
        char *const argv[] = {(char *)cfg.fusermount, "-u", "-z", (char *)dir, NULL};
        char *const envp[] = {NULL};
        execve(cfg.fusermount, argv, envp);
        _exit(127);
    }
    int status = 1;
    if (pid > 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        umount2(dir, MNT_DETACH); /* root can; harmless when not mounted */
}

/* Ends a daemon: SIGTERM, up to 2 s to go, then SIGKILL.  Killing it
 * aborts its connection, which frees anyone stuck on a request. */
static void stop_daemon(struct mount *m)
{
    pid_t pid = m->pid;
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 200; i++) {
        if (waitpid(pid, NULL, WNOHANG) != 0)
            goto gone;
        sleep_ms(10);
    }
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
gone:
    m->pid = 0;
}

/* Everything we made, in an order that works from any point of the run.
 * Async-signal-safe, for the signal handlers; `sweep` (not safe, so not
 * from a handler) also removes any other /dev/shm object of our prefix. */
static void cleanup(bool sweep)
{
    if (cleaned || getpid() != parent_pid)
        return;
    cleaned = 1;
    for (int i = 0; i < N_MOUNTS; i++)
        if (mounts[i].dir[0] != '\0')
            lazy_unmount(mounts[i].dir);
    for (int i = 0; i < N_MOUNTS; i++)
        stop_daemon(&mounts[i]);
    for (int i = 0; i < N_MOUNTS; i++) {
        if (mounts[i].dir[0] != '\0')
            rmdir(mounts[i].dir);
        if (mounts[i].log[0] != '\0')
            unlink(mounts[i].log);
    }
    if (workdir[0] != '\0')
        rmdir(workdir);
    if (shm_path[0] != '\0')
        unlink(shm_path);
    if (!sweep || prefix[0] == '\0')
        return;
    DIR *d = opendir("/dev/shm");
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
            char path[PATH_MAX];
            snprintf(path, sizeof path, "/dev/shm/%s", e->d_name);
            unlink(path);
        }
    }
    closedir(d);
}

static void at_exit_cleanup(void)
{
    cleanup(true);
}

static void say(const char *s)
{
    ssize_t r = write(2, s, strlen(s));
    (void)r;
}

static void on_fatal_signal(int sig)
{
    if (sig == SIGALRM)
        say("\nzeroipcfs-bench: timed out; cleaning up\n");
    cleanup(false);
    if (sig == SIGALRM)
        _exit(1);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    /* One handler at a time: a second signal waits for the first. */
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaddset(&sa.sa_mask, SIGHUP);
    sigaddset(&sa.sa_mask, SIGALRM);
    sa.sa_handler = on_fatal_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGALRM, &sa, NULL);
}

static bool is_mounted(const char *dir)
{
    FILE *f = fopen("/proc/self/mountinfo", "r");
    if (f == NULL)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f) != NULL) {
        /* ID PARENT MAJ:MIN ROOT MOUNTPOINT ...: the fifth field.  Our
         * directories hold no character that mountinfo escapes. */
        char *save = NULL, *tok = strtok_r(line, " ", &save);
        for (int i = 1; tok != NULL && i < 5; i++)
            tok = strtok_r(NULL, " ", &save);
        found = tok != NULL && strcmp(tok, dir) == 0;
    }
    fclose(f);
    return found;
}

static void print_log(const struct mount *m)
{
    FILE *f = fopen(m->log, "r");
    if (f == NULL)
        return;
    char line[512];
    while (fgets(line, sizeof line, f) != NULL)
        fprintf(stderr, "  [%s] %s", m->label, line);
    fclose(f);
}

/* Starts `argv` (its last argument is the mount point) and waits for the
 * mount; false, with the daemon's output shown, when it does not come. */
static bool start_daemon(struct mount *m, char *const argv[])
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return false;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent_pid)
            _exit(1);
        int fd = open(m->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(argv[0], argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    m->pid = pid;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (is_mounted(m->dir))
            return true;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            m->pid = 0;
            fprintf(stderr, "%s: the daemon exited (status %d) before mounting\n", m->label,
                    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
            print_log(m);
            return false;
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - t0.tv_sec >= MOUNT_DEADLINE_S) {
            fprintf(stderr, "%s: not mounted on %s after %d s\n", m->label, m->dir,
                    MOUNT_DEADLINE_S);
            print_log(m);
            return false;
        }
        sleep_ms(5);
    }
}

/* ---- small helpers -------------------------------------------------------- */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const char *find_in_path(const char *name)
{
    static char found[PATH_MAX];
    const char *path = getenv("PATH");
    if (path == NULL || *path == '\0')
        path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    while (*path != '\0') {
        size_t len = strcspn(path, ":");
        snprintf(found, sizeof found, "%.*s/%s", (int)len, path, name);
        if (len > 0 && access(found, X_OK) == 0)
            return found;
        path += len + (path[len] == ':');
    }
    return NULL;
}

static bool write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "open %s: %s\n", path, strerror(errno));
        return false;
    }
    ssize_t n = write(fd, text, strlen(text));
    int err = n < 0 ? errno : 0;
    if (close(fd) != 0 && err == 0)
        err = errno;
    if (n != (ssize_t)strlen(text) || err != 0) {
        fprintf(stderr, "write %s: %s\n", path, err ? strerror(err) : "short write");
        return false;
    }
    return true;
}

static void fail(const char *what, const char *path)
{
    fprintf(stderr, "  FAILED %s on %s: %s\n", what, path, errno ? strerror(errno) : "unexpected result");
}

/* ---- the files and buffers the cases share -------------------------------- */

static char q_text[PATH_MAX];      /* the queue through the text mount */
static char q_binary[PATH_MAX];    /* the same queue through the binary mount */
static char null_file[PATH_MAX];   /* nullfs's stand-in */

static char *text_data;            /* "1\n2\n...N\n" */
static size_t text_len;
static uint64_t *bin_data;         /* 1..N */
static size_t bin_len;
static char *in_buf;               /* what bulk reads land in */
static size_t in_cap;

/* Touches every page, so that no first-touch fault is timed. */
static void prefault(void *p, size_t len)
{
    memset(p, 0, len);
}

/* Pops the queue empty through the text mount; counts the values and
 * checks each is `expect` (0: any). */
static bool drain(uint64_t *count, uint64_t expect)
{
    int fd = open(q_text, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fail("open to drain", q_text);
        return false;
    }
    static char buf[IO_BUF + 1];
    size_t keep = 0;
    bool ok = true;
    *count = 0;
    for (;;) {
        ssize_t n = read(fd, buf + keep, IO_BUF - keep);
        if (n < 0) {
            fail("read to drain", q_text);
            ok = false;
            break;
        }
        if (n == 0)
            break;
        size_t len = keep + (size_t)n, pos = 0;
        char *nl;
        while ((nl = memchr(buf + pos, '\n', len - pos)) != NULL) {
            *nl = '\0';
            uint64_t v = strtoull(buf + pos, NULL, 10);
            if (expect != 0 && v != expect)
                ok = false;
            (*count)++;
            pos = (size_t)(nl - buf) + 1;
        }
        keep = len - pos;
        memmove(buf, buf + pos, keep);
    }
    if (keep != 0)
        ok = false;
    close(fd);
    if (!ok)
        fprintf(stderr, "  FAILED drain: a value other than %" PRIu64 " or a broken line\n", expect);
    return ok;
}

/* The queue must be empty before a case, or its counts mean nothing. */
static bool expect_empty(void)
{
    uint64_t left;
    if (!drain(&left, 0))
        return false;
    if (left != 0) {
        fprintf(stderr, "  FAILED the queue held %" PRIu64 " elements before a case\n", left);
        return false;
    }
    return true;
}

/* ---- the per-operation cases -------------------------------------------------
 * These run both filesystems together, in alternating turns of TURN
 * operations (which goes first alternates too), and add up each one's
 * time: a slow spell of a shared machine then lands on both alike instead
 * of on whichever case happened to run during it. */

#define TURN 500

enum fs_kind { ZFS, NULLFS };

static uint64_t turn_size(uint64_t done, uint64_t total)
{
    return total - done < TURN ? total - done : TURN;
}

/* open(O_WRONLY|O_TRUNC) + write "42\n" + close, n times. */
static bool open_write_close(const char *path, uint64_t n)
{
    errno = 0;
    for (uint64_t i = 0; i < n; i++) {
        int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (fd < 0) {
            fail("open", path);
            return false;
        }
        if (write(fd, ELEM, ELEM_LEN) != ELEM_LEN) {
            fail("write", path);
            close(fd);
            return false;
        }
        if (close(fd) != 0) {
            fail("close", path);
            return false;
        }
    }
    return true;
}

/* Seconds of each filesystem in t[ZFS], t[NULLFS]; false on a failure. */
static bool case_open_write_close(double t[2])
{
    const char *path[2] = {q_text, null_file};
    uint64_t ns[2] = {0, 0};
    if (!expect_empty())
        return false;
    for (uint64_t done = 0, turn = 0; done < cfg.open_ops; turn++) {
        uint64_t n = turn_size(done, cfg.open_ops);
        for (int j = 0; j < 2; j++) {
            int k = (int)((turn + (uint64_t)j) % 2);
            uint64_t t0 = now_ns();
            if (!open_write_close(path[k], n))
                return false;
            ns[k] += now_ns() - t0;
        }
        done += n;
    }
    uint64_t popped;
    if (!drain(&popped, 42))
        return false;
    if (popped != cfg.open_ops) {
        fprintf(stderr, "  FAILED open+write+close: pushed %" PRIu64 ", popped %" PRIu64 "\n",
                cfg.open_ops, popped);
        return false;
    }
    t[0] = (double)ns[0] / 1e9;
    t[1] = (double)ns[1] / 1e9;
    return true;
}

/* n writes of "42\n", or n 3-byte reads that must each return "42\n". */
static bool small_io(int fd, const char *path, bool reading, uint64_t n)
{
    char buf[ELEM_LEN];
    errno = 0;
    for (uint64_t i = 0; i < n; i++) {
        ssize_t r = reading ? read(fd, buf, sizeof buf) : write(fd, ELEM, ELEM_LEN);
        if (r != ELEM_LEN || (reading && memcmp(buf, ELEM, ELEM_LEN) != 0)) {
            fprintf(stderr, "  FAILED %s of 3 bytes on %s: %zd bytes%s%s\n",
                    reading ? "read" : "write", path, r, r < 0 ? ", " : "",
                    r < 0 ? strerror(errno) : r == ELEM_LEN ? ", not \"42\\n\"" : "");
            return false;
        }
    }
    return true;
}

/* One-element writes on descriptors kept open, then as many 3-byte reads:
 * each read pops one element.  Then the queue must be empty. */
static bool case_small(double tw[2], double tr[2])
{
    const char *path[2] = {q_text, null_file};
    int fd[2] = {-1, -1};
    bool ok = false;
    if (!expect_empty())
        return false;
    for (int pass = 0; pass < 2; pass++) {
        bool reading = pass == 1;
        uint64_t ns[2] = {0, 0};
        for (int k = 0; k < 2; k++) {
            errno = 0;
            fd[k] = open(path[k], (reading ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
            if (fd[k] < 0) {
                fail("open", path[k]);
                goto out;
            }
        }
        for (uint64_t done = 0, turn = 0; done < cfg.small_ops; turn++) {
            uint64_t n = turn_size(done, cfg.small_ops);
            for (int j = 0; j < 2; j++) {
                int k = (int)((turn + (uint64_t)j) % 2);
                uint64_t t0 = now_ns();
                if (!small_io(fd[k], path[k], reading, n))
                    goto out;
                ns[k] += now_ns() - t0;
            }
            done += n;
        }
        if (reading) {
            char c;
            ssize_t r = read(fd[ZFS], &c, 1);
            if (r != 0) {
                fprintf(stderr, "  FAILED read 1: the queue was not empty after %" PRIu64
                        " reads (read returned %zd)\n", cfg.small_ops, r);
                goto out;
            }
        }
        for (int k = 0; k < 2; k++) {
            int rc = close(fd[k]);
            fd[k] = -1;
            if (rc != 0) {
                fail("close", path[k]);
                goto out;
            }
        }
        double *t = reading ? tr : tw;
        t[0] = (double)ns[0] / 1e9;
        t[1] = (double)ns[1] / 1e9;
    }
    ok = true;
out:
    for (int k = 0; k < 2; k++)
        if (fd[k] >= 0)
            close(fd[k]);
    return ok;
}

/* ---- the bulk cases ------------------------------------------------------------
 * Each of these runs for tens of milliseconds; every round runs each
 * BULK_REPS times, alternating the filesystems. */

#define BULK_REPS 3

/* Writes len bytes of data in IO_BUF writes, each of which must be taken
 * whole; the clock covers open to close. */
static double bulk_write(const char *path, const void *data, size_t len)
{
    errno = 0;
    uint64_t t0 = now_ns();
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        fail("open", path);
        return -1;
    }
    const char *p = data;
    for (size_t off = 0; off < len; off += IO_BUF) {
        size_t chunk = len - off < IO_BUF ? len - off : IO_BUF;
        ssize_t n = write(fd, p + off, chunk);
        if (n != (ssize_t)chunk) {
            fprintf(stderr, "  FAILED bulk write at byte %zu of %s: %zd of %zu (%s)\n", off, path,
                    n, chunk, n < 0 ? strerror(errno) : "short");
            close(fd);
            return -1;
        }
    }
    if (close(fd) != 0) {
        fail("close", path);
        return -1;
    }
    return (double)(now_ns() - t0) / 1e9;
}

/* Reads with IO_BUF reads into in_buf until end of file (zeroipcfs) or
 * `limit` bytes (nullfs, which never ends); *got is the bytes read. */
static double bulk_read(const char *path, size_t limit, bool to_eof, size_t *got)
{
    errno = 0;
    size_t pos = 0;
    uint64_t t0 = now_ns();
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fail("open", path);
        return -1;
    }
    for (;;) {
        size_t want = IO_BUF;
        if (!to_eof && limit - pos < want)
            want = limit - pos;
        if (want == 0)
            break;
        if (pos + want > in_cap) {
            fprintf(stderr, "  FAILED bulk read of %s: more than the %zu bytes pushed\n", path,
                    limit);
            close(fd);
            return -1;
        }
        ssize_t n = read(fd, in_buf + pos, want);
        if (n < 0) {
            fail("bulk read", path);
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        pos += (size_t)n;
    }
    close(fd);
    uint64_t t1 = now_ns();
    *got = pos;
    return (double)(t1 - t0) / 1e9;
}

/* Counts and sums the lines of in_buf[0..len), checking the order. */
static bool check_text(size_t len, const char *what)
{
    uint64_t count = 0, sum = 0, out_of_order = 0;
    size_t pos = 0;
    while (pos < len) {
        char *end;
        uint64_t v = strtoull(in_buf + pos, &end, 10);
        if (end == in_buf + pos || (size_t)(end - in_buf) >= len || *end != '\n') {
            fprintf(stderr, "  FAILED %s: a broken line at byte %zu\n", what, pos);
            return false;
        }
        count++;
        sum += v;
        out_of_order += v != count;
        pos = (size_t)(end - in_buf) + 1;
    }
    uint64_t n = cfg.bulk_elements;
    if (count != n || sum != n * (n + 1) / 2 || out_of_order != 0) {
        fprintf(stderr, "  FAILED %s: %" PRIu64 " elements (expected %" PRIu64 "), sum %" PRIu64
                " (expected %" PRIu64 "), %" PRIu64 " out of order\n", what, count, n, sum,
                n * (n + 1) / 2, out_of_order);
        return false;
    }
    return true;
}

static bool check_binary(size_t len, const char *what)
{
    uint64_t n = cfg.bulk_elements, sum = 0, out_of_order = 0;
    if (len != n * sizeof(uint64_t)) {
        fprintf(stderr, "  FAILED %s: %zu bytes, expected %" PRIu64 "\n", what, len,
                n * (uint64_t)sizeof(uint64_t));
        return false;
    }
    for (uint64_t i = 0; i < n; i++) {
        uint64_t v;
        memcpy(&v, in_buf + i * sizeof v, sizeof v);
        sum += v;
        out_of_order += v != i + 1;
    }
    if (sum != n * (n + 1) / 2 || out_of_order != 0) {
        fprintf(stderr, "  FAILED %s: sum %" PRIu64 " (expected %" PRIu64 "), %" PRIu64
                " out of order\n", what, sum, n * (n + 1) / 2, out_of_order);
        return false;
    }
    return true;
}

/* The pop cases need what the push cases left: a push and its pop run
 * together, and the pair reports two timings. */
static bool bulk_pair(enum fs_kind k, bool binary, double *push_s, double *pop_s)
{
    const char *path = k == NULLFS ? null_file : binary ? q_binary : q_text;
    const void *data = binary ? (const void *)bin_data : text_data;
    size_t len = binary ? bin_len : text_len;
    const char *what = binary ? "bulk binary pop" : "bulk text pop";
    if (k == ZFS && !expect_empty())
        return false;
    *push_s = bulk_write(path, data, len);
    if (*push_s < 0)
        return false;
    size_t got = 0;
    *pop_s = bulk_read(path, len, k == ZFS, &got);
    if (*pop_s < 0)
        return false;
    if (k == NULLFS) {
        /* Every byte nullfs returns is "42\n" repeated, from each read's
         * start: only the length says anything. */
        if (got != len) {
            fprintf(stderr, "  FAILED nullfs bulk read: %zu of %zu bytes\n", got, len);
            return false;
        }
        return true;
    }
    return binary ? check_binary(got, what) : check_text(got, what);
}

/* ---- rows, rounds and medians ------------------------------------------------ */

enum row_id {
    R_OWC_Z, R_OWC_N,
    R_W1_Z, R_W1_N,
    R_R1_Z, R_R1_N,
    R_TPUSH_Z, R_TPUSH_N,
    R_TPOP_Z, R_TPOP_N,
    R_BPUSH_Z, R_BPUSH_N,
    R_BPOP_Z, R_BPOP_N,
    N_ROWS
};

struct row {
    const char *group;
    const char *label;
    const char *fs;
    uint64_t ops;        /* operations, or elements for bulk rows */
    uint64_t bytes;      /* moved through the file, per run */
    bool bulk;
    bool ok;
    int runs;
    double seconds[MAX_ROUNDS * BULK_REPS];
    double median;
};

static struct row rows[N_ROWS];

static void record(enum row_id id, double s)
{
    struct row *r = &rows[id];
    if (s < 0) {
        r->ok = false;
        return;
    }
    /* A run too short for the clock still counts, as one nanosecond. */
    r->seconds[r->runs++] = s > 0 ? s : 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median rather than the mean or the best: one preempted run should
 * neither drag a row down nor flatter it. */
static void summarize(struct row *r)
{
    if (!r->ok || r->runs == 0) {
        r->ok = false;
        return;
    }
    double s[MAX_ROUNDS * BULK_REPS];
    memcpy(s, r->seconds, sizeof s);
    qsort(s, (size_t)r->runs, sizeof s[0], cmp_double);
    int n = r->runs;
    r->median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void define_rows(void)
{
    uint64_t o = cfg.open_ops, s = cfg.small_ops, b = cfg.bulk_elements;
    struct { enum row_id id; const char *group, *label; uint64_t ops, bytes; bool bulk; } d[] = {
        {R_OWC_Z, "per-op", "open+write \"42\\n\"+close", o, o * ELEM_LEN, false},
        {R_W1_Z, "per-op", "write \"42\\n\" (fd open)", s, s * ELEM_LEN, false},
        {R_R1_Z, "per-op", "read 3 bytes (fd open)", s, s * ELEM_LEN, false},
        {R_TPUSH_Z, "text", "bulk push, 128 KiB writes", b, text_len, true},
        {R_TPOP_Z, "text", "bulk pop, 128 KiB reads", b, text_len, true},
        {R_BPUSH_Z, "binary", "bulk push, 128 KiB writes", b, bin_len, true},
        {R_BPOP_Z, "binary", "bulk pop, 128 KiB reads", b, bin_len, true},
    };
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        for (int k = 0; k < 2; k++) {
            struct row *r = &rows[d[i].id + k];
            *r = (struct row){.group = d[i].group, .label = d[i].label,
                              .fs = k == 0 ? "zeroipcfs" : "nullfs", .ops = d[i].ops,
                              .bytes = d[i].bytes, .bulk = d[i].bulk, .ok = true};
        }
    }
}

static void record_pair(enum row_id zfs_row, bool ok, const double t[2])
{
    record(zfs_row, ok ? t[0] : -1);
    record(zfs_row + 1, ok ? t[1] : -1);
}

/* One round: every case, each filesystem in turn. */
static void run_round(int round)
{
    double t[2], t2[2];
    if (rows[R_OWC_Z].ok && rows[R_OWC_N].ok)
        record_pair(R_OWC_Z, case_open_write_close(t), t);
    if (rows[R_W1_Z].ok && rows[R_W1_N].ok && rows[R_R1_Z].ok && rows[R_R1_N].ok) {
        bool ok = case_small(t, t2);
        record_pair(R_W1_Z, ok, t);
        record_pair(R_R1_Z, ok, t2);
    }
    for (int rep = 0; rep < BULK_REPS; rep++) {
        for (int bin = 0; bin < 2; bin++) {
            enum row_id push = bin ? R_BPUSH_Z : R_TPUSH_Z, pop = bin ? R_BPOP_Z : R_TPOP_Z;
            for (int j = 0; j < 2; j++) {
                int k = (round + rep + j) % 2;
                if (!rows[push + k].ok || !rows[pop + k].ok)
                    continue;
                double ps = -1, pp = -1;
                bool ok = bulk_pair(k == 0 ? ZFS : NULLFS, bin, &ps, &pp);
                record(push + k, ps);
                record(pop + k, ok ? pp : -1);
            }
        }
    }
}

/* ---- command line ---------------------------------------------------------- */

static void usage(FILE *out, const char *prog)
{
    fprintf(out,
        "usage: %s [options]\n"
        "What zeroipcfs costs per request and in bulk, against a FUSE filesystem\n"
        "that does nothing; every element verified.  Needs root (it mounts).\n"
        "Exits non-zero if a check fails, not if a target is missed.\n"
        "  -a N     open+write+close operations (default %" PRIu64 ")\n"
        "  -s N     one-element writes, then reads, on an open file (default %" PRIu64 ")\n"
        "  -e N     bulk elements (default %" PRIu64 ")\n"
        "  -r N     rounds; each case runs once per round (default %d)\n"
        "  -t S     timeout of the whole run, in seconds (default %u)\n"
        "  -z PATH  the zeroipcfs driver (default %s)\n"
        "  -n PATH  the null filesystem (default %s)\n"
        "  -c CPU   the CPU that this program and the daemons share (default: the\n"
        "           first this process may use)\n"
        "  -U       no pinning: the scheduler places the daemons (figures then\n"
        "           depend on where it puts them; see the method line)\n"
        "  -h       this help\n",
        prog, cfg.open_ops, cfg.small_ops, cfg.bulk_elements, cfg.rounds, cfg.timeout_s,
        ZEROIPCFS_PATH, NULLFS_PATH);
}

static uint64_t parse_num(const char *s, char opt, uint64_t lo, uint64_t hi)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
        fprintf(stderr, "-%c: expected a number from %" PRIu64 " to %" PRIu64 ", got '%s'\n",
                opt, lo, hi, s);
        exit(2);
    }
    return (uint64_t)v;
}

static void parse_args(int argc, char **argv)
{
    int opt;
    /* The queue holds every element of a case at once. */
    const uint64_t max_elements = UINT64_C(1) << 26;
    while ((opt = getopt(argc, argv, "a:s:e:r:t:z:n:c:Uh")) != -1) {
        switch (opt) {
        case 'a': cfg.open_ops = parse_num(optarg, 'a', 1, max_elements); break;
        case 's': cfg.small_ops = parse_num(optarg, 's', 1, max_elements); break;
        case 'e': cfg.bulk_elements = parse_num(optarg, 'e', 1, max_elements); break;
        case 'r': cfg.rounds = (int)parse_num(optarg, 'r', 1, MAX_ROUNDS); break;
        case 't': cfg.timeout_s = (unsigned)parse_num(optarg, 't', 1, 86400); break;
        case 'z': cfg.zeroipcfs = optarg; break;
        case 'n': cfg.nullfs = optarg; break;
        case 'c': cfg.cpu = (int)parse_num(optarg, 'c', 0, CPU_SETSIZE - 1); break;
        case 'U': cfg.pin = false; break;
        case 'h': usage(stdout, argv[0]); exit(0);
        default: usage(stderr, argv[0]); exit(2);
        }
    }
    if (optind != argc) {
        usage(stderr, argv[0]);
        exit(2);
    }
}

/* ---- setup ------------------------------------------------------------------- */

/*
 * Placement.  A request is a round trip: the caller sleeps, the daemon
 * wakes, answers, and wakes the caller.  On a virtual machine a wake-up
 * across CPUs costs tens of microseconds (an interrupt through the
 * hypervisor), far more than either filesystem's own work, and whether
 * the scheduler puts the daemon beside the caller or not changes from one
 * moment to the next: unpinned runs swing by 3-5x.  With everything on one
 * CPU (the daemons inherit our affinity) each round trip is two context
 * switches on that CPU, the same for both filesystems, and what differs is
 * the filesystems' own work.
 */
static bool pin_cpu(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) {
        perror("sched_getaffinity");
        return false;
    }
    if (cfg.cpu < 0) {
        for (int c = 0; c < CPU_SETSIZE && cfg.cpu < 0; c++)
            if (CPU_ISSET(c, &set))
                cfg.cpu = c;
    }
    if (cfg.cpu < 0 || !CPU_ISSET(cfg.cpu, &set)) {
        fprintf(stderr, "zeroipcfs-bench: CPU %d is not one this process may use\n", cfg.cpu);
        return false;
    }
    CPU_ZERO(&set);
    CPU_SET(cfg.cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) {
        perror("sched_setaffinity");
        return false;
    }
    return true;
}

static bool make_data(void)
{
    uint64_t n = cfg.bulk_elements;
    size_t cap = (size_t)n * 21;   /* a u64's decimal text and newline */
    text_data = malloc(cap);
    bin_data = malloc((size_t)n * sizeof *bin_data);
    if (text_data == NULL || bin_data == NULL)
        return false;
    text_len = 0;
    for (uint64_t i = 1; i <= n; i++) {
        text_len += (size_t)snprintf(text_data + text_len, cap - text_len, "%" PRIu64 "\n", i);
        bin_data[i - 1] = i;
    }
    bin_len = (size_t)n * sizeof *bin_data;
    /* Room for one more read than was pushed, to see a surplus. */
    in_cap = (text_len > bin_len ? text_len : bin_len) + IO_BUF;
    in_buf = malloc(in_cap);
    if (in_buf == NULL)
        return false;
    prefault(in_buf, in_cap);
    return true;
}

static bool setup(uint64_t *capacity, size_t *seg_mb)
{
    if (geteuid() != 0) {
        fprintf(stderr, "zeroipcfs-bench: needs root (it mounts FUSE filesystems)\n");
        return false;
    }
    if (access("/dev/fuse", R_OK | W_OK) != 0) {
        fprintf(stderr, "zeroipcfs-bench: no /dev/fuse\n");
        return false;
    }
    cfg.fusermount = find_in_path("fusermount3");
    if (cfg.fusermount == NULL) {
        fprintf(stderr, "zeroipcfs-bench: no fusermount3 in PATH\n");
        return false;
    }
    cfg.fusermount = strdup(cfg.fusermount);
    const char *progs[] = {cfg.zeroipcfs, cfg.nullfs};
    for (int i = 0; i < 2; i++) {
        if (access(progs[i], X_OK) != 0) {
            fprintf(stderr, "zeroipcfs-bench: %s: %s (see -z and -n)\n", progs[i],
                    strerror(errno));
            return false;
        }
    }

    /* The queue holds all the elements of the largest case at once. */
    uint64_t need = cfg.bulk_elements;
    if (cfg.small_ops > need)
        need = cfg.small_ops;
    if (cfg.open_ops > need)
        need = cfg.open_ops;
    *capacity = 1;
    while (*capacity < need)
        *capacity <<= 1;
    *seg_mb = (size_t)(*capacity * 8 >> 20) + 16;
    if (*seg_mb < 64)
        *seg_mb = 64;

    snprintf(prefix, sizeof prefix, "zeroipcfs-bench-%d-", (int)parent_pid);
    snprintf(seg_name, sizeof seg_name, "%sseg", prefix);
    snprintf(workdir, sizeof workdir, "/tmp/zeroipcfs-bench.XXXXXX");
    if (mkdtemp(workdir) == NULL) {
        perror("mkdtemp");
        workdir[0] = '\0';
        return false;
    }
    const char *names[N_MOUNTS] = {"text", "binary", "null"};
    for (int i = 0; i < N_MOUNTS; i++) {
        snprintf(mounts[i].log, sizeof mounts[i].log, "%s/%s.log", workdir, names[i]);
        snprintf(mounts[i].dir, sizeof mounts[i].dir, "%s/%s", workdir, names[i]);
        if (mkdir(mounts[i].dir, 0755) != 0) {
            perror(mounts[i].dir);
            mounts[i].dir[0] = '\0';
            return false;
        }
    }

    char text_opts[256], bin_opts[256];
    snprintf(text_opts, sizeof text_opts, "prefix=%s,size=%zuM", prefix, *seg_mb);
    snprintf(bin_opts, sizeof bin_opts, "prefix=%s,size=%zuM,binary", prefix, *seg_mb);
    char *const text_argv[] = {(char *)cfg.zeroipcfs, "-f", "-o", text_opts,
                               mounts[M_TEXT].dir, NULL};
    char *const bin_argv[] = {(char *)cfg.zeroipcfs, "-f", "-o", bin_opts,
                              mounts[M_BINARY].dir, NULL};
    char *const null_argv[] = {(char *)cfg.nullfs, "-f", mounts[M_NULL].dir, NULL};
    if (!start_daemon(&mounts[M_TEXT], text_argv) ||
        !start_daemon(&mounts[M_BINARY], bin_argv) ||
        !start_daemon(&mounts[M_NULL], null_argv))
        return false;

    /* The segment and its queue, through the mount, as a user would. */
    char path[PATH_MAX + 128], line[128];
    snprintf(shm_path, sizeof shm_path, "/dev/shm/%s", seg_name);
    snprintf(path, sizeof path, "%s/%s", mounts[M_TEXT].dir, seg_name);
    if (mkdir(path, 0600) != 0) {
        fprintf(stderr, "mkdir %s: %s\n", path, strerror(errno));
        return false;
    }
    snprintf(path, sizeof path, "%s/%s/.create", mounts[M_TEXT].dir, seg_name);
    snprintf(line, sizeof line, "queue q u64 %" PRIu64 "\n", *capacity);
    if (!write_file(path, line))
        return false;
    snprintf(q_text, sizeof q_text, "%s/%s/q", mounts[M_TEXT].dir, seg_name);
    snprintf(q_binary, sizeof q_binary, "%s/%s/q", mounts[M_BINARY].dir, seg_name);
    snprintf(null_file, sizeof null_file, "%s/d/f", mounts[M_NULL].dir);
    struct stat st;
    const char *files[] = {q_text, q_binary, null_file};
    for (int i = 0; i < 3; i++) {
        if (stat(files[i], &st) != 0 || !S_ISREG(st.st_mode)) {
            fprintf(stderr, "%s: %s\n", files[i], errno ? strerror(errno) : "not a file");
            return false;
        }
    }
    return true;
}

/* ---- the report ------------------------------------------------------------- */

static void print_row(const struct row *r, const struct row *base)
{
    if (!r->ok) {
        printf("%-7s %-28s %-10s %9" PRIu64 "  FAILED\n", r->group, r->label, r->fs, r->ops);
        return;
    }
    double us = r->median * 1e6 / (double)r->ops;
    double mops = (double)r->ops / r->median / 1e6;
    double mbs = (double)r->bytes / r->median / 1e6;
    char ratio[16] = "-";
    if (base != NULL && base->ok)
        snprintf(ratio, sizeof ratio, "%.2fx", r->median / base->median);
    printf("%-7s %-28s %-10s %9" PRIu64 " %8.4f %8.3f %9.3f %8.1f %8s\n", r->group, r->label,
           r->fs, r->ops, r->median, us, mops, mbs, ratio);
}

static const char *verdict(bool ok, bool pass)
{
    return !ok ? "FAILED" : pass ? "PASS" : "MISS";
}

static void print_targets(void)
{
    const struct row *owc = &rows[R_OWC_Z], *owc0 = &rows[R_OWC_N];
    const struct row *w1 = &rows[R_W1_Z], *w10 = &rows[R_W1_N];
    const struct row *r1 = &rows[R_R1_Z], *r10 = &rows[R_R1_N];
    const struct row *tpush = &rows[R_TPUSH_Z], *tpop = &rows[R_TPOP_Z];
    const struct row *bpop = &rows[R_BPOP_Z], *bpop0 = &rows[R_BPOP_N];

    printf("targets (from the issue) and what this run measured:\n");
    bool ok = bpop->ok && bpop0->ok;
    double f = ok ? ((double)bpop->bytes / bpop->median) / ((double)bpop0->bytes / bpop0->median) : 0;
    printf("  %-6s bulk binary pop at least half the null filesystem's read rate:\n"
           "         %.0f vs %.0f MB/s = %.2f of it (target >= 0.50)\n",
           verdict(ok, f >= 0.5), ok ? (double)bpop->bytes / bpop->median / 1e6 : 0,
           ok ? (double)bpop0->bytes / bpop0->median / 1e6 : 0, f);
    const struct row *t[2] = {tpop, tpush};
    const char *tn[2] = {"pop", "push"};
    for (int i = 0; i < 2; i++) {
        double rate = t[i]->ok ? (double)t[i]->ops / t[i]->median / 1e6 : 0;
        printf("  %-6s text %-4s at least 5 million elements per second:\n"
               "         %.2f M elements/s (target >= 5.00)\n",
               verdict(t[i]->ok, rate >= 5.0), tn[i], rate);
    }
    const struct row *z[3] = {owc, w1, r1}, *n[3] = {owc0, w10, r10};
    for (int i = 0; i < 3; i++) {
        bool both = z[i]->ok && n[i]->ok;
        double ratio = both ? z[i]->median / n[i]->median : 0;
        printf("  %-6s per-operation cost within 1.2x of the null filesystem, %s:\n"
               "         %.2f vs %.2f us/op = %.2fx (target <= 1.20x)\n",
               verdict(both, ratio <= 1.2), z[i]->label,
               both ? z[i]->median * 1e6 / (double)z[i]->ops : 0,
               both ? n[i]->median * 1e6 / (double)n[i]->ops : 0, ratio);
    }
}

/* ---- main ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    parent_pid = getpid();
    atexit(at_exit_cleanup);
    install_handlers();
    alarm(cfg.timeout_s);
    /* Unbuffered progress on stderr, the report on stdout. */
    setvbuf(stdout, NULL, _IOLBF, 0);

    uint64_t capacity = 0;
    size_t seg_mb = 0;
    int cpus = bench_usable_cpus();
    if (cfg.pin && !pin_cpu())
        return 1;
    if (!make_data()) {
        fprintf(stderr, "zeroipcfs-bench: out of memory\n");
        return 1;
    }
    if (!setup(&capacity, &seg_mb))
        return 1;
    define_rows();

    char model[256];
    struct utsname un;
    bench_cpu_model(model, sizeof model);
    if (uname(&un) != 0)
        memset(&un, 0, sizeof un);
    printf("zeroipcfs benchmark: the driver against a FUSE filesystem that does nothing\n");
    printf("machine   nproc %d, %s, %s %s %s\n", cpus, model, un.sysname, un.release,
           un.machine);
#if defined(__clang__)
    printf("compiler  clang %s\n", __clang_version__);
#elif defined(__GNUC__)
    printf("compiler  gcc %s\n", __VERSION__);
#endif
    printf("driver    %s -f -o prefix=%s,size=%zuM[,binary]\n", cfg.zeroipcfs, prefix, seg_mb);
    printf("null      %s -f (one thread, fuse_session_loop; same timeouts, direct_io,\n"
           "          default_permissions)\n", cfg.nullfs);
    printf("queue     u64, capacity %" PRIu64 "; bulk: %" PRIu64 " elements, values 1..N,"
           " %zu bytes of text, %zu of records\n", capacity, cfg.bulk_elements, text_len,
           bin_len);
    bench_print_load("before");
    printf("method    %d round%s; per-op cases alternate the filesystems every %d operations,\n"
           "          bulk cases run %d times a round, alternating; median shown; bulk nullfs\n"
           "          rows move the same bytes with the same 128 KiB buffers\n",
           cfg.rounds, cfg.rounds == 1 ? "" : "s", TURN, BULK_REPS);
    if (cfg.pin)
        printf("placement this program and the three daemons pinned to CPU %d (-U: unpinned)\n",
               cfg.cpu);
    else
        printf("placement unpinned: the scheduler places the daemons\n");
    printf("ratio     zeroipcfs/nullfs = time of the zeroipcfs row / time of the nullfs row\n"
           "          for the same work (1.00x: no cost over FUSE itself)\n");
    fflush(stdout);

    uint64_t start = now_ns();
    for (int round = 0; round < cfg.rounds; round++) {
        fprintf(stderr, "round %d/%d ...\n", round + 1, cfg.rounds);
        run_round(round);
    }
    double total = (double)(now_ns() - start) / 1e9;

    int failures = 0;
    for (int i = 0; i < N_ROWS; i++) {
        summarize(&rows[i]);
        failures += !rows[i].ok;
    }
    printf("\n%-7s %-28s %-10s %9s %8s %8s %9s %8s %8s\n", "group", "case", "fs", "ops",
           "seconds", "us/op", "M ops/s", "MB/s", "zfs/null");
    for (int i = 0; i < N_ROWS; i++) {
        if (i > 0 && strcmp(rows[i].group, rows[i - 1].group) != 0)
            printf("\n");
        print_row(&rows[i], i % 2 == 0 ? &rows[i + 1] : NULL);
    }
    printf("(bulk rows: ops are elements, M ops/s is M elements/s)\n\n");
    print_targets();
    printf("\n");
    bench_print_load("after ");
    printf("total %.1f s; %s\n", total,
           failures ? "SOME CASES FAILED"
                    : "every run verified (count, sum and FIFO order of every element popped)");
    cleanup(true);
    return failures ? 1 : 0;
}
