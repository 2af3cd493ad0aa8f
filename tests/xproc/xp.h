/*
 * xp.h - helpers shared by the cross-process tests.
 *
 * Every test forks real processes that open the segment by name (a fresh
 * zeroipc_memory_open, as an unrelated program would) and talk through
 * shared memory only.  A child reports failure by its exit status; the
 * parent reaps all children with a deadline, kills the rest as soon as one
 * fails or the deadline passes, and only then asserts, so a failing test
 * never leaves a process behind (and zt_segname's cleanup removes the
 * segment).
 *
 * Control words live in a zeroipc array of u64 in the segment under test
 * and are accessed with C11 atomics (LP64: _Atomic uint64_t has the size and
 * alignment of uint64_t).
 */
#ifndef ZEROIPC_XP_H
#define ZEROIPC_XP_H

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

_Static_assert(sizeof(_Atomic uint64_t) == sizeof(uint64_t), "LP64 atomics");
_Static_assert(sizeof(_Atomic uint32_t) == sizeof(uint32_t), "u32 atomics");

/* A child's complaint: to stderr (meson keeps it in the log), with pid. */
#define XP_FAIL(...)                                                      \
    do {                                                                  \
        fprintf(stderr, "[child %d] %s:%d: ", (int)getpid(), __FILE__,    \
                __LINE__);                                                \
        fprintf(stderr, __VA_ARGS__);                                     \
        fputc('\n', stderr);                                              \
    } while (0)

/* An integer from the environment, or def. */
static inline long xp_env_long(const char *name, long def)
{
    const char *s = getenv(name);
    if (s == NULL || *s == '\0')
        return def;
    char *end;
    long v = strtol(s, &end, 10);
    return (*end == '\0' && v > 0) ? v : def;
}

static inline int64_t xp_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static inline void xp_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* The u64 words of a zeroipc array, as atomics. */
static inline _Atomic uint64_t *xp_words(zeroipc_array_t *a)
{
    return (_Atomic uint64_t *)zeroipc_array_data(a);
}

/*
 * A reusable barrier for n processes on two shared words (arrived,
 * generation).  Returns 0, or -1 if the others did not arrive within
 * timeout_ms (a peer died).
 */
static inline int xp_barrier(_Atomic uint64_t *arrived,
                             _Atomic uint64_t *generation, uint64_t n,
                             int64_t timeout_ms)
{
    uint64_t gen = atomic_load(generation);
    if (atomic_fetch_add(arrived, 1) + 1 == n) {
        atomic_store(arrived, 0);
        atomic_fetch_add(generation, 1);
        return 0;
    }
    int64_t deadline = zt_now_ms() + timeout_ms;
    unsigned spins = 0;
    while (atomic_load(generation) == gen) {
        if (++spins % 64 == 0) {
            if (zt_now_ms() > deadline)
                return -1;
            sched_yield();
        }
    }
    return 0;
}

/* Kills (SIGKILL) and reaps every child still listed (pid > 0). */
static inline void xp_kill_all(int *pids, int n, int *status)
{
    for (int i = 0; i < n; i++)
        if (pids[i] > 0)
            kill(pids[i], SIGKILL);
    for (int i = 0; i < n; i++) {
        if (pids[i] > 0) {
            int st = zt_wait(pids[i]);
            if (status)
                status[i] = st;
            pids[i] = 0;
        }
    }
}

/*
 * Reaps n children.  status[i] gets child i's exit status (128+signal
 * when killed).  When one child fails, or timeout_ms passes, the others
 * are killed at once (their status is then 128+SIGKILL unless they had
 * already exited).  Returns the number of children whose status is not 0.
 * pids[] entries are zeroed as they are reaped.
 */
static inline int xp_wait_all(int *pids, int n, int64_t timeout_ms,
                              int *status)
{
    int64_t deadline = zt_now_ms() + timeout_ms;
    int left = 0, bad = 0;
    for (int i = 0; i < n; i++) {
        status[i] = -1;
        if (pids[i] > 0)
            left++;
        else
            status[i] = 255, bad++; /* fork failed */
    }
    while (left > 0) {
        int st;
        pid_t p = waitpid(-1, &st, WNOHANG);
        if (p > 0) {
            for (int i = 0; i < n; i++) {
                if (pids[i] == p) {
                    status[i] = WIFEXITED(st) ? WEXITSTATUS(st)
                                              : 128 + WTERMSIG(st);
                    pids[i] = 0;
                    left--;
                    if (status[i] != 0) {
                        bad++;
                        fprintf(stderr, "child %d (pid %d) failed: status "
                                "%d; killing the others\n", i, (int)p,
                                status[i]);
                        xp_kill_all(pids, n, status);
                        return n; /* counted roughly: at least one */
                    }
                }
            }
            continue;
        }
        if (p < 0 && errno != EINTR && errno != ECHILD)
            break;
        if (zt_now_ms() > deadline) {
            fprintf(stderr, "children still running after %" PRId64
                    " ms: killing them\n", timeout_ms);
            xp_kill_all(pids, n, status);
            return n;
        }
        xp_sleep_ms(2);
    }
    return bad;
}

/* Forks n children running fn(&args[i]) (args an array of elem bytes). */
static inline void xp_spawn(int *pids, int n, int (*fn)(void *), void *args,
                            size_t elem)
{
    for (int i = 0; i < n; i++)
        pids[i] = zt_fork(fn, (char *)args + (size_t)i * elem);
}

/* The scheduler state letter of pid ('R', 'S', ...) from /proc, or '?'. */
static inline char xp_proc_state(int pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return '?';
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *rp = strrchr(buf, ')');
    if (!rp || rp[1] != ' ')
        return '?';
    return rp[2];
}

/* CPU time (user + system) pid has used, in ms, from /proc; -1 if unknown. */
static inline int64_t xp_proc_cpu_ms(int pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    p += 2; /* field 3, state */
    /* utime and stime are fields 14 and 15: skip fields 3..13. */
    for (int field = 3; field < 14; field++) {
        p = strchr(p, ' ');
        if (!p)
            return -1;
        p++;
    }
    unsigned long long ut, st;
    if (sscanf(p, "%llu %llu", &ut, &st) != 2)
        return -1;
    long hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0)
        hz = 100;
    return (int64_t)((ut + st) * 1000 / (unsigned long long)hz);
}

/*
 * Parent-side resources released by the per-test teardown (xp_teardown),
 * last kept first, so that a failed assertion, which leaves the test
 * function at once, leaks nothing (LeakSanitizer would otherwise add its
 * report to the failure).  Children never run it: they leave by _exit.
 */
#define XP_MAX_KEPT 256
static struct {
    void (*fn)(void *);
    void *p;
} xp_kept[XP_MAX_KEPT];
static int xp_nkept;

static inline void *xp_keep(void (*fn)(void *), void *p)
{
    if (p != NULL && xp_nkept < XP_MAX_KEPT) {
        xp_kept[xp_nkept].fn = fn;
        xp_kept[xp_nkept].p = p;
        xp_nkept++;
    }
    return p;
}

static inline void xp_close_mem_(void *p) { zeroipc_memory_close(p); }
static inline void xp_close_array_(void *p) { zeroipc_array_close(p); }
static inline void xp_close_queue_(void *p) { zeroipc_queue_close(p); }
static inline void xp_close_stack_(void *p) { zeroipc_stack_close(p); }

static inline zeroipc_memory_t *xp_keep_mem(zeroipc_memory_t *m)
{
    return xp_keep(xp_close_mem_, m);
}
static inline zeroipc_array_t *xp_keep_array(zeroipc_array_t *a)
{
    return xp_keep(xp_close_array_, a);
}
static inline zeroipc_queue_t *xp_keep_queue(zeroipc_queue_t *q)
{
    return xp_keep(xp_close_queue_, q);
}
static inline zeroipc_stack_t *xp_keep_stack(zeroipc_stack_t *s)
{
    return xp_keep(xp_close_stack_, s);
}
static inline void *xp_keep_malloc(void *p) { return xp_keep(free, p); }

/* cmocka per-test teardown: releases everything kept, newest first. */
static inline int xp_teardown(void **state)
{
    (void)state;
    while (xp_nkept > 0) {
        xp_nkept--;
        xp_kept[xp_nkept].fn(xp_kept[xp_nkept].p);
    }
    return 0;
}

#endif /* ZEROIPC_XP_H */
