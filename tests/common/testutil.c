#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ZT_MAX_NAMES 1024

static char names[ZT_MAX_NAMES][ZT_NAME_MAX];
static volatile sig_atomic_t name_count;
static unsigned counter;
static pid_t owner;

char *zt_segname(char *buf, const char *tag)
{
    snprintf(buf, ZT_NAME_MAX, "/zt-%s-%d-%u", tag, (int)getpid(), counter++);
    if (name_count < ZT_MAX_NAMES) {
        memcpy(names[name_count], buf, ZT_NAME_MAX);
        name_count++;
    }
    return buf;
}

void zt_cleanup(void)
{
    /* Children forked by a test share the list but must not unlink what
     * the parent still uses. */
    if (getpid() != owner)
        return;
    for (sig_atomic_t i = 0; i < name_count; i++)
        shm_unlink(names[i]); /* async-signal-safe: a plain unlink */
}

static void on_signal(int sig)
{
    zt_cleanup();
    signal(sig, SIG_DFL);
    raise(sig);
}

/*
 * Unlinks the objects of earlier test processes that died without their
 * cleanup (a sanitizer that halts exits without atexit handlers): names
 * "zt-TAG-PID-N" whose PID no longer exists.
 */
static void reap_orphans(void)
{
    DIR *dir = opendir("/dev/shm");
    if (dir == NULL)
        return;
    struct dirent *d;
    while ((d = readdir(dir)) != NULL) {
        if (strncmp(d->d_name, "zt-", 3) != 0)
            continue;
        char *last = strrchr(d->d_name, '-');
        if (last == NULL || last == d->d_name || strspn(last + 1, "0123456789") != strlen(last + 1))
            continue;
        char *p = last - 1;
        while (p > d->d_name && *p != '-')
            p--;
        char *end;
        long pid = strtol(p + 1, &end, 10);
        if (end == last && pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH)
            unlinkat(dirfd(dir), d->d_name, 0);
    }
    closedir(dir);
}

void zt_init(void)
{
    owner = getpid();
    reap_orphans();
    atexit(zt_cleanup);
    int sigs[] = {SIGSEGV, SIGABRT, SIGBUS, SIGTERM, SIGINT, SIGFPE, SIGILL};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], on_signal);
}

int zt_group_teardown(void **state)
{
    (void)state;
    zt_cleanup();
    return 0;
}

int64_t zt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int zt_fork(int (*fn)(void *), void *arg)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        _exit(fn(arg));
    return (int)pid;
}

int zt_wait(int pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

int zt_copy_to_shm(const char *path, char *buf, const char *tag)
{
    int in = open(path, O_RDONLY);
    if (in < 0)
        return -1;
    zt_segname(buf, tag);
    int out = shm_open(buf, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (out < 0) {
        close(in);
        return -1;
    }
    char chunk[65536];
    ssize_t n;
    int rc = 0;
    while ((n = read(in, chunk, sizeof chunk)) > 0) {
        if (write(out, chunk, (size_t)n) != n) {
            rc = -1;
            break;
        }
    }
    if (n < 0)
        rc = -1;
    close(in);
    close(out);
    return rc;
}
