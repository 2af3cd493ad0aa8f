/*
 * wake_bench.c - how fast a waiter in one process wakes when another
 * process signals it, and how much CPU a waiter burns while nothing
 * happens: libzeroipc's blocking calls against a raw futex (the floor),
 * the sleep-with-backoff loop of the public ZeroIPC implementations, and
 * a sched_yield spinner.
 *
 * Latency.  Two processes, A and B, play ping-pong: A signals B and waits
 * for B's signal, B waits for A's and answers at once.  A times each round
 * trip on CLOCK_MONOTONIC; one wake-up is half a round trip.  Each
 * mechanism has one signal slot per direction:
 *
 *   zeroipc semaphore   zeroipc_semaphore_release / _acquire
 *   zeroipc event       auto-reset zeroipc_event_set / _wait
 *   raw futex           a counter word: fetch_add + FUTEX_WAKE(1), and a
 *                       waiter that takes a unit or FUTEX_WAITs on 0 with
 *                       no timeout (shared futex, not FUTEX_PRIVATE)
 *   sleep with backoff  the public C++ Semaphore::acquire: take a unit or
 *                       sleep 1 us, doubling up to 1 ms; the signaller
 *                       only adds (nobody is woken)
 *
 * Placement.  Where the two processes run decides what is measured, and
 * left to the scheduler a pair that only ever has one runnable member
 * lands on one CPU in some runs and on two in others (on the project's
 * VM: about 2 us against about 22 us a wake, run to run).  So every
 * latency case runs twice, pinned: both on one CPU, where a wake is a
 * context switch and the figure is the software path (system calls,
 * timers, atomics) that the library controls; and on two CPUs, where the
 * wake also crosses CPUs (an IPI, and on a VM a halted vCPU to resume),
 * which is what two busy programs on a multi-core machine see.
 *
 * The raw words live in a table entry of the same segment as the zeroipc
 * primitives, 16 bytes apart as two semaphores are, so every case sees
 * the same kind of page (shmem, MAP_SHARED) and the same cache-line
 * sharing.  A warms up for a tenth of the trips (page faults, caches,
 * the CPUs' frequency) before it times anything.
 *
 * Idle cost.  A waiter waits for one signal that another process sends
 * after -w milliseconds; the waiter reads its own CLOCK_PROCESS_CPUTIME_ID
 * and getrusage(RUSAGE_SELF) around the wait.  The table shows the CPU as
 * a share of the wall time it waited, how often it went to sleep
 * (voluntary context switches) and how late it woke after the signal.
 *
 * Method.  Every run of a case creates a fresh segment; both children
 * attach to it by name with zeroipc_memory_open, as unrelated programs
 * would, report ready and start together, so creation, fork and attach
 * stay outside the timing.  Rounds interleave the cases, so a slow spell
 * of a shared machine spreads over all of them; the latency percentiles
 * are over the round trips of every round pooled, the idle figures the
 * median of the rounds.
 *
 * Verification.  Every wait must return success, and after a run every
 * signal slot must be back at zero (semaphore counts, event flags, raw
 * counters): a lost wake-up shows as a timeout, a duplicated one as a
 * count left over.  Either fails the case and the exit status.
 *
 * Cleanup.  The segment's name carries our pid and is unlinked after each
 * run, at exit and on SIGINT/SIGTERM/SIGHUP; children die with the parent
 * (PR_SET_PDEATHSIG), unlinking the name first in case the parent could
 * not, and are killed on a timeout.
 */

#include <errno.h>
#include <inttypes.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "zeroipc_error.h"
#include "zeroipc_event.h"
#include "zeroipc_memory.h"
#include "zeroipc_semaphore.h"

#include "machine.h"

#define MAX_ROUNDS 99
#define MAX_TRIPS 10000000u
#define RAW_NAME "raw"
#define RAW_STRIDE 16               /* bytes between the two raw words */
#define BACKOFF_FIRST_US 1          /* the public implementations' loop */
#define BACKOFF_MAX_US 1000
#define NS_PER_S 1000000000LL

/* ---- configuration ---------------------------------------------------- */

static struct {
    uint32_t trips;             /* timed round trips per case and round */
    int rounds;
    unsigned wait_ms;           /* how long the idle waiter waits */
    unsigned timeout_s;
    const char *only;
} cfg = {
    /* About 45 s in all on a 2-CPU machine, most of it in the backoff
     * ping-pong (35-70 us a wake) and the twelve idle waits. */
    .trips = 20000,
    .rounds = 3,
    .wait_ms = 1000,
    .timeout_s = 60,
};

/* ---- names and cleanup ------------------------------------------------- */

static char shm_name[64];
static pid_t parent_pid;
static volatile pid_t child_pids[2];
static volatile sig_atomic_t timed_out;
static int usable_cpus;

static void kill_children(void)
{
    for (int i = 0; i < 2; i++)
        if (child_pids[i] > 0)
            kill(child_pids[i], SIGKILL);
}

static void at_exit_cleanup(void)
{
    if (getpid() == parent_pid)
        zeroipc_memory_unlink(shm_name);
}

/* shm_unlink(2) is async-signal-safe; zeroipc_memory_unlink is not
 * promised to be. */
static void on_fatal_signal(int sig)
{
    kill_children();
    shm_unlink(shm_name);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Kills rather than flags: waitpid() then returns by itself, and no
 * window remains in which the alarm could be missed. */
static void on_alarm(int sig)
{
    (void)sig;
    timed_out = 1;
    kill_children();
}

static void install_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_fatal_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
}

/* ---- small helpers ------------------------------------------------------- */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static int64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static long futex(_Atomic uint32_t *word, int op, uint32_t val)
{
    return syscall(SYS_futex, (uint32_t *)word, op, val, NULL, NULL, 0);
}

/* Takes one unit of a raw counter if there is one: the public
 * Semaphore::try_acquire.  Acquire pairs with the signaller's fetch_add. */
static bool take_unit(_Atomic uint32_t *word)
{
    uint32_t c = atomic_load_explicit(word, memory_order_acquire);
    while (c > 0)
        if (atomic_compare_exchange_weak_explicit(word, &c, c - 1,
                                                  memory_order_acquire,
                                                  memory_order_acquire))
            return true;
    return false;
}

/* ---- the mechanisms ------------------------------------------------------- */

/* What one child holds: its own handles, opened by name. */
struct peer {
    int side;                   /* 0: A (pinger, idle waiter), 1: B */
    zeroipc_memory_t *mem;
    zeroipc_semaphore_t *sem[2];
    zeroipc_event_t *ev[2];
    _Atomic uint32_t *word[2];
};

/* `to` and `me` name a signal slot: 0 is A's, 1 is B's.  0 or -1. */
struct mechanism {
    const char *label;
    int (*signal)(struct peer *p, int to);
    int (*wait)(struct peer *p, int me);
};

static int zsem_signal(struct peer *p, int to)
{
    return zeroipc_semaphore_release(p->sem[to]) == ZEROIPC_OK ? 0 : -1;
}

static int zsem_wait(struct peer *p, int me)
{
    return zeroipc_semaphore_acquire(p->sem[me]) == ZEROIPC_OK ? 0 : -1;
}

static int zevent_signal(struct peer *p, int to)
{
    return zeroipc_event_set(p->ev[to]) == ZEROIPC_OK ? 0 : -1;
}

static int zevent_wait(struct peer *p, int me)
{
    return zeroipc_event_wait(p->ev[me]) == ZEROIPC_OK ? 0 : -1;
}

/* The floor: one unconditional FUTEX_WAKE per signal and an untimed
 * FUTEX_WAIT, nothing registered and nothing sliced.  seq_cst on the add
 * is not needed for the futex (the kernel re-reads the word under its
 * lock) but matches what our semaphore pays. */
static int futex_signal(struct peer *p, int to)
{
    atomic_fetch_add_explicit(p->word[to], 1, memory_order_seq_cst);
    return futex(p->word[to], FUTEX_WAKE, 1) < 0 ? -1 : 0;
}

static int futex_wait(struct peer *p, int me)
{
    while (!take_unit(p->word[me]))
        /* EAGAIN (the word moved) and EINTR both mean: look again. */
        if (futex(p->word[me], FUTEX_WAIT, 0) < 0 && errno != EAGAIN &&
            errno != EINTR)
            return -1;
    return 0;
}

/* The public implementations neither wake nor are woken. */
static int plain_signal(struct peer *p, int to)
{
    atomic_fetch_add_explicit(p->word[to], 1, memory_order_release);
    return 0;
}

/* cpp/include/zeroipc/semaphore.h acquire(): the backoff starts again
 * at 1 us on every call. */
static int backoff_wait(struct peer *p, int me)
{
    long us = BACKOFF_FIRST_US;
    while (!take_unit(p->word[me])) {
        struct timespec pause = {0, us * 1000};
        nanosleep(&pause, NULL);
        if (us < BACKOFF_MAX_US)
            us *= 2;
    }
    return 0;
}

static int yield_wait(struct peer *p, int me)
{
    while (!take_unit(p->word[me]))
        sched_yield();
    return 0;
}

static const struct mechanism m_sem = {
    "zeroipc semaphore", zsem_signal, zsem_wait};
static const struct mechanism m_event = {
    "zeroipc event (auto-reset)", zevent_signal, zevent_wait};
static const struct mechanism m_futex = {
    "raw futex (floor)", futex_signal, futex_wait};
static const struct mechanism m_backoff = {
    "sleep 1 us..1 ms backoff (public)", plain_signal, backoff_wait};
static const struct mechanism m_yield = {
    "sched_yield spinner", plain_signal, yield_wait};

/* ---- shared results ------------------------------------------------------- */

/* In an anonymous shared mapping inherited by both children. */
static struct shared_state {
    /* idle case, written by the waiter (A) and the signaller (B) */
    int64_t wait_wall_ns, wait_cpu_ns, woke_ns, signalled_ns;
    long sleeps;                /* voluntary context switches while waiting */
    int idle_done;
    /* latency case: A's round trips, in ns */
    int64_t trip_ns[];
} *shared;

/* ---- the children ------------------------------------------------------- */

enum kind { LATENCY, IDLE };

/* Where A and B run: both on the first usable CPU, or A on the first and
 * B on the second (see the top of the file). */
enum placement { ONE_CPU, TWO_CPUS };

struct bench_case {
    enum kind kind;
    enum placement where;
    const struct mechanism *m;
};

static const char *placement_name(enum placement where)
{
    return where == ONE_CPU ? "1 CPU" : "2 CPUs";
}

static const char *case_name(const struct bench_case *bc, char *buf, size_t len)
{
    snprintf(buf, len, "%s, %s, %s", bc->kind == LATENCY ? "latency" : "idle",
             placement_name(bc->where), bc->m->label);
    return buf;
}

static void child_error(const struct bench_case *bc, int side, const char *what,
                        const char *detail)
{
    char name[96];
    fprintf(stderr, "  [%s; %c] %s: %s\n", case_name(bc, name, sizeof name),
            side == 0 ? 'A' : 'B', what, detail);
}

static int attach(struct peer *p, const struct bench_case *bc)
{
    static const char *const sems[2] = {"sem_a", "sem_b"};
    static const char *const evs[2] = {"ev_a", "ev_b"};
    p->mem = zeroipc_memory_open(shm_name);
    if (p->mem == NULL) {
        child_error(bc, p->side, "zeroipc_memory_open",
                    zeroipc_error_string(zeroipc_last_error()));
        return -1;
    }
    for (int i = 0; i < 2; i++) {
        p->sem[i] = zeroipc_semaphore_open(p->mem, sems[i]);
        p->ev[i] = p->sem[i] ? zeroipc_event_open(p->mem, evs[i]) : NULL;
        if (p->ev[i] == NULL) {
            child_error(bc, p->side, "open",
                        zeroipc_error_string(zeroipc_last_error()));
            return -1;
        }
    }
    size_t off, size;
    int rc = zeroipc_table_find(p->mem, RAW_NAME, &off, &size);
    if (rc != ZEROIPC_OK || size < RAW_STRIDE + 4) {
        child_error(bc, p->side, "zeroipc_table_find",
                    rc != ZEROIPC_OK ? zeroipc_error_string(rc) : "too small");
        return -1;
    }
    /* The table entry is 8-aligned, so both words are 4-aligned. */
    uint8_t *raw = (uint8_t *)zeroipc_memory_base(p->mem) + off;
    p->word[0] = (_Atomic uint32_t *)(void *)raw;
    p->word[1] = (_Atomic uint32_t *)(void *)(raw + RAW_STRIDE);
    return 0;
}

static void detach(struct peer *p)
{
    for (int i = 0; i < 2; i++) {
        zeroipc_event_close(p->ev[i]);
        zeroipc_semaphore_close(p->sem[i]);
    }
    zeroipc_memory_close(p->mem);
}

static int run_latency(struct peer *p, const struct bench_case *bc)
{
    const struct mechanism *m = bc->m;
    uint32_t warm = cfg.trips / 10 + 1;
    if (p->side == 1) {
        for (uint32_t i = 0; i < warm + cfg.trips; i++)
            if (m->wait(p, 1) != 0 || m->signal(p, 0) != 0) {
                child_error(bc, 1, "ping-pong", "a wait or signal failed");
                return -1;
            }
        return 0;
    }
    for (uint32_t i = 0; i < warm + cfg.trips; i++) {
        int64_t t0 = now_ns();
        if (m->signal(p, 1) != 0 || m->wait(p, 0) != 0) {
            child_error(bc, 0, "ping-pong", "a wait or signal failed");
            return -1;
        }
        if (i >= warm)
            shared->trip_ns[i - warm] = now_ns() - t0;
    }
    return 0;
}

static int run_idle(struct peer *p, const struct bench_case *bc)
{
    if (p->side == 1) {
        struct timespec d = {cfg.wait_ms / 1000, (long)(cfg.wait_ms % 1000) * 1000000L};
        while (clock_nanosleep(CLOCK_MONOTONIC, 0, &d, &d) == EINTR)
            ;
        /* Stored before the signal, whose release makes it visible to
         * the waiter; the parent reads it only after reaping both. */
        shared->signalled_ns = now_ns();
        if (bc->m->signal(p, 0) != 0) {
            child_error(bc, 1, "signal", "failed");
            return -1;
        }
        return 0;
    }
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    int64_t c0 = cpu_ns(), t0 = now_ns();
    int rc = bc->m->wait(p, 0);
    int64_t t1 = now_ns(), c1 = cpu_ns();
    getrusage(RUSAGE_SELF, &r1);
    if (rc != 0) {
        child_error(bc, 0, "wait", "failed");
        return -1;
    }
    shared->wait_wall_ns = t1 - t0;
    shared->wait_cpu_ns = c1 - c0;
    shared->woke_ns = t1;
    shared->sleeps = r1.ru_nvcsw - r0.ru_nvcsw;
    shared->idle_done = 1;
    return 0;
}

/* Pins the caller to the nth CPU it may use: 0 or -1.  A pin that does
 * not hold would measure something else, so it fails the run. */
static int pin_to(int nth)
{
    cpu_set_t set, one;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return -1;
    CPU_ZERO(&one);
    for (int cpu = 0, seen = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &set) && seen++ == nth) {
            CPU_SET(cpu, &one);
            return sched_setaffinity(0, sizeof one, &one);
        }
    return -1;
}

/* A child's death signal.  A parent killed by SIGKILL unlinks nothing,
 * so its children do, before they go. */
static void on_parent_death(int sig)
{
    (void)sig;
    shm_unlink(shm_name);
    _exit(1);
}

static _Noreturn void child_main(const struct bench_case *bc, int side,
                                 int ready_fd, int go_fd)
{
    /* Die with the parent; a parent that died before the prctl is seen
     * by its pid changing. */
    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGTERM, on_parent_death);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent_pid)
        on_parent_death(SIGTERM);
    if (pin_to(bc->where == TWO_CPUS ? side : 0) != 0) {
        child_error(bc, side, "sched_setaffinity", strerror(errno));
        _exit(1);
    }
    struct peer p = {.side = side};
    if (attach(&p, bc) != 0)
        _exit(1);
    char c = 'r';
    if (write(ready_fd, &c, 1) != 1)
        _exit(1);
    close(ready_fd);
    /* The parent starts both at once by closing the write end. */
    while (read(go_fd, &c, 1) < 0 && errno == EINTR)
        ;
    close(go_fd);
    int rc = bc->kind == LATENCY ? run_latency(&p, bc) : run_idle(&p, bc);
    detach(&p);
    /* _exit, not exit: the parent's atexit cleanup must not run here. */
    _exit(rc == 0 ? 0 : 1);
}

/* ---- the parent ---------------------------------------------------------- */

/* What the parent keeps of one run's segment, to check it afterwards. */
struct fixture {
    zeroipc_memory_t *mem;
    zeroipc_semaphore_t *sem[2];
    zeroipc_event_t *ev[2];
    _Atomic uint32_t *word[2];
};

static int setup(struct fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    fx->mem = zeroipc_memory_create(shm_name, 1u << 16, 16);
    if (fx->mem == NULL)
        goto fail;
    static const char *const sems[2] = {"sem_a", "sem_b"};
    static const char *const evs[2] = {"ev_a", "ev_b"};
    for (int i = 0; i < 2; i++) {
        fx->sem[i] = zeroipc_semaphore_create(fx->mem, sems[i], 0, 0);
        if (fx->sem[i] == NULL)
            goto fail;
    }
    for (int i = 0; i < 2; i++) {
        fx->ev[i] = zeroipc_event_create(fx->mem, evs[i], ZEROIPC_EVENT_AUTO);
        if (fx->ev[i] == NULL)
            goto fail;
    }
    size_t off;
    if (zeroipc_table_add(fx->mem, RAW_NAME, 2 * RAW_STRIDE, &off) != ZEROIPC_OK)
        goto fail;
    /* A fresh segment is zero: both counters start at 0. */
    uint8_t *raw = (uint8_t *)zeroipc_memory_base(fx->mem) + off;
    fx->word[0] = (_Atomic uint32_t *)(void *)raw;
    fx->word[1] = (_Atomic uint32_t *)(void *)(raw + RAW_STRIDE);
    return 0;
fail:
    fprintf(stderr, "setup of %s: %s\n", shm_name,
            zeroipc_error_string(zeroipc_last_error()));
    return -1;
}

static void teardown(struct fixture *fx)
{
    for (int i = 0; i < 2; i++) {
        zeroipc_event_close(fx->ev[i]);
        zeroipc_semaphore_close(fx->sem[i]);
    }
    zeroipc_memory_close(fx->mem);
    zeroipc_memory_unlink(shm_name);
}

/* Every signal sent was taken exactly once: all slots are back at 0. */
static bool slots_clear(const struct fixture *fx)
{
    for (int i = 0; i < 2; i++)
        if (zeroipc_semaphore_count(fx->sem[i]) != 0 ||
            zeroipc_event_is_set(fx->ev[i]) ||
            atomic_load(fx->word[i]) != 0)
            return false;
    return true;
}

static bool run_case(const struct bench_case *bc)
{
    struct fixture fx;
    int ready[2] = {-1, -1}, go[2] = {-1, -1};
    bool ok = false;
    int nready = 0, failed = 0, started = 0;

    memset(shared, 0, sizeof *shared);
    timed_out = 0;
    if (setup(&fx) != 0)
        goto out;
    if (pipe(ready) != 0 || pipe(go) != 0) {
        perror("pipe");
        goto out;
    }
    /* Unflushed stdio would be written again by every child. */
    fflush(NULL);
    for (int side = 0; side < 2; side++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            break;
        }
        if (pid == 0) {
            close(ready[0]);
            close(go[1]);
            child_main(bc, side, ready[1], go[0]);
        }
        child_pids[side] = pid;
        started++;
    }
    close(ready[1]);
    ready[1] = -1;
    close(go[0]);
    go[0] = -1;

    /* End of file before both reported means one died; the other is
     * killed below. */
    while (started == 2 && nready < 2) {
        char buf[2];
        ssize_t n = read(ready[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        nready += (int)n;
    }
    alarm(cfg.timeout_s);
    if (nready == 2) {
        close(go[1]);
        go[1] = -1;
    } else {
        kill_children();
    }
    for (int i = 0; i < started; i++) {
        int status;
        pid_t pid;
        while ((pid = waitpid(child_pids[i], &status, 0)) < 0 && errno == EINTR)
            ;
        if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failed++;
        child_pids[i] = 0;
    }
    alarm(0);
    char name[96];
    case_name(bc, name, sizeof name);
    if (timed_out)
        fprintf(stderr, "  [%s] timed out after %u s\n", name, cfg.timeout_s);
    else if (failed == 0 && nready == 2 && !slots_clear(&fx))
        fprintf(stderr, "  [%s] a signal was left over: a wake-up was "
                "duplicated or a wait returned without taking one\n", name);
    else
        ok = failed == 0 && nready == 2 &&
             (bc->kind == LATENCY || shared->idle_done);
out:
    for (int i = 0; i < 2; i++) {
        if (ready[i] >= 0)
            close(ready[i]);
        if (go[i] >= 0)
            close(go[i]);
    }
    teardown(&fx);
    return ok;
}

/* ---- command line ---------------------------------------------------------- */

static void usage(FILE *out, const char *prog)
{
    fprintf(out,
        "usage: %s [options]\n"
        "Cross-process wake-up latency (ping-pong) and idle-waiter CPU of\n"
        "zeroipc semaphores and events, a raw futex, the public backoff loop\n"
        "and a sched_yield spinner; exits non-zero if any run fails.\n"
        "  -n N   timed round trips per latency case and round (default %" PRIu32 ")\n"
        "  -r N   rounds; each case runs once per round (default %d)\n"
        "  -w MS  how long the idle waiter waits for its signal (default %u)\n"
        "  -t S   timeout of one run, in seconds (default %u)\n"
        "  -o STR only the cases whose \"latency|idle, 1 CPU|2 CPUs, mechanism\"\n"
        "         contains STR (e.g. -o latency, -o \"2 CPUs\", -o futex)\n"
        "  -h     this help\n",
        prog, cfg.trips, cfg.rounds, cfg.wait_ms, cfg.timeout_s);
}

static unsigned long parse_num(const char *s, char opt, unsigned long lo,
                               unsigned long hi)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
        fprintf(stderr, "-%c: expected a number from %lu to %lu, got '%s'\n",
                opt, lo, hi, s);
        exit(2);
    }
    return v;
}

static void parse_args(int argc, char **argv)
{
    int opt;
    while ((opt = getopt(argc, argv, "n:r:w:t:o:h")) != -1) {
        switch (opt) {
        case 'n': cfg.trips = (uint32_t)parse_num(optarg, 'n', 1, MAX_TRIPS); break;
        case 'r': cfg.rounds = (int)parse_num(optarg, 'r', 1, MAX_ROUNDS); break;
        case 'w': cfg.wait_ms = (unsigned)parse_num(optarg, 'w', 1, 60000); break;
        case 't': cfg.timeout_s = (unsigned)parse_num(optarg, 't', 1, 86400); break;
        case 'o': cfg.only = optarg; break;
        case 'h': usage(stdout, argv[0]); exit(0);
        default: usage(stderr, argv[0]); exit(2);
        }
    }
    if (optind != argc) {
        usage(stderr, argv[0]);
        exit(2);
    }
}

/* ---- summaries ------------------------------------------------------------- */

struct summary {
    bool ok;
    int runs;
    /* latency: every round trip of every round */
    int64_t *trips;
    size_t ntrips;
    double round_median_us[MAX_ROUNDS];
    double median_us, p99_us;   /* one wake-up: half a round trip */
    /* idle */
    double wall_s[MAX_ROUNDS], cpu_ms[MAX_ROUNDS], late_us[MAX_ROUNDS];
    double sleeps[MAX_ROUNDS];
};

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest rank on sorted values: the smallest value with at least a
 * share q of them at or below it. */
static size_t rank(size_t n, double q)
{
    size_t k = (size_t)(q * (double)n + 0.999999);
    return k == 0 ? 0 : (k > n ? n - 1 : k - 1);
}

static double median_of(const double *v, int n)
{
    double s[MAX_ROUNDS];
    memcpy(s, v, sizeof s[0] * (size_t)n);
    qsort(s, (size_t)n, sizeof s[0], cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* One latency run's round trips into the pool, and that round's median. */
static void collect_latency(struct summary *sm)
{
    int64_t *mine = sm->trips + sm->ntrips;
    memcpy(mine, shared->trip_ns, sizeof mine[0] * cfg.trips);
    sm->ntrips += cfg.trips;
    qsort(mine, cfg.trips, sizeof mine[0], cmp_i64);
    sm->round_median_us[sm->runs] = (double)mine[rank(cfg.trips, 0.5)] / 2e3;
}

static void collect_idle(struct summary *sm)
{
    int r = sm->runs;
    sm->wall_s[r] = (double)shared->wait_wall_ns / 1e9;
    sm->cpu_ms[r] = (double)shared->wait_cpu_ns / 1e6;
    sm->late_us[r] = (double)(shared->woke_ns - shared->signalled_ns) / 1e3;
    sm->sleeps[r] = (double)shared->sleeps;
}

static void summarize_latency(struct summary *sm)
{
    if (!sm->ok || sm->ntrips == 0)
        return;
    qsort(sm->trips, sm->ntrips, sizeof sm->trips[0], cmp_i64);
    sm->median_us = (double)sm->trips[rank(sm->ntrips, 0.5)] / 2e3;
    sm->p99_us = (double)sm->trips[rank(sm->ntrips, 0.99)] / 2e3;
}

/* ---- main ------------------------------------------------------------------ */

static double idle_share(const struct summary *s)
{
    double share[MAX_ROUNDS];
    for (int r = 0; r < s->runs; r++)
        share[r] = 100.0 * s->cpu_ms[r] / (s->wall_s[r] * 1e3);
    return median_of(share, s->runs);
}

/* One latency group (one placement): rows, ratios to its futex row, and
 * the target said in words beside the table. */
static int print_latency_group(const struct bench_case *cases,
                               const struct summary *sums, size_t ncases,
                               enum placement where)
{
    const struct summary *base = NULL;
    bool any = false;
    int failures = 0;
    for (size_t i = 0; i < ncases; i++)
        if (cases[i].kind == LATENCY && cases[i].where == where) {
            any = true;
            if (cases[i].m == &m_futex && sums[i].ok)
                base = &sums[i];
        }
    if (!any)
        return 0;
    printf("\nwake-up latency, A and B on %s; ping-pong, one wake = round "
           "trip / 2\n", placement_name(where));
    printf("%-34s %9s %15s %8s %8s %8s\n", "waiter", "median us",
           "round medians", "p99 us", "median", "p99");
    printf("%-34s %9s %15s %8s %8s %8s\n", "", "", "", "", "/futex", "/futex");
    for (size_t i = 0; i < ncases; i++) {
        const struct summary *s = &sums[i];
        if (cases[i].kind != LATENCY || cases[i].where != where)
            continue;
        if (!s->ok) {
            printf("%-34s  FAILED\n", cases[i].m->label);
            failures++;
            continue;
        }
        char range[32], r50[16] = "-", r99[16] = "-";
        double lo = s->round_median_us[0], hi = lo;
        for (int r = 1; r < s->runs; r++) {
            if (s->round_median_us[r] < lo)
                lo = s->round_median_us[r];
            if (s->round_median_us[r] > hi)
                hi = s->round_median_us[r];
        }
        snprintf(range, sizeof range, "%.2f-%.2f", lo, hi);
        if (base) {
            snprintf(r50, sizeof r50, "%.2fx", s->median_us / base->median_us);
            snprintf(r99, sizeof r99, "%.2fx", s->p99_us / base->p99_us);
        }
        printf("%-34s %9.2f %15s %8.2f %8s %8s\n", cases[i].m->label,
               s->median_us, range, s->p99_us, r50, r99);
    }
    for (size_t i = 0; base && i < ncases; i++) {
        const struct summary *s = &sums[i];
        if (cases[i].kind != LATENCY || cases[i].where != where || !s->ok ||
            (cases[i].m != &m_sem && cases[i].m != &m_event))
            continue;
        double r = s->median_us / base->median_us;
        printf("target    %s within 1.3x of raw futex (median): %.2fx, %s\n",
               cases[i].m->label, r, r <= 1.3 ? "met" : "MISSED");
    }
    return failures;
}

static int print_idle(const struct bench_case *cases,
                      const struct summary *sums, size_t ncases)
{
    bool any = false;
    int failures = 0;
    for (size_t i = 0; i < ncases; i++)
        any |= cases[i].kind == IDLE;
    if (!any)
        return 0;
    printf("\nidle waiter: waits for one signal that another process sends "
           "after %u ms (median of rounds)\n", cfg.wait_ms);
    printf("%-34s %8s %8s %9s %8s %9s\n", "waiter", "waited s", "CPU ms",
           "% of core", "sleeps", "late us");
    for (size_t i = 0; i < ncases; i++) {
        const struct summary *s = &sums[i];
        if (cases[i].kind != IDLE)
            continue;
        if (!s->ok) {
            printf("%-34s  FAILED\n", cases[i].m->label);
            failures++;
            continue;
        }
        printf("%-34s %8.3f %8.2f %8.2f%% %8.0f %9.1f\n", cases[i].m->label,
               median_of(s->wall_s, s->runs), median_of(s->cpu_ms, s->runs),
               idle_share(s), median_of(s->sleeps, s->runs),
               median_of(s->late_us, s->runs));
    }
    printf("(sleeps: voluntary context switches while waiting; late: from "
           "just before the signal to the waiter's return)\n");
    for (size_t i = 0; i < ncases; i++)
        if (cases[i].kind == IDLE && cases[i].m == &m_sem && sums[i].ok) {
            double m = idle_share(&sums[i]);
            printf("target    %s idle CPU under 1%% of a core: %.2f%%, %s\n",
                   cases[i].m->label, m, m < 1.0 ? "met" : "MISSED");
        }
    return failures;
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);

    parent_pid = getpid();
    snprintf(shm_name, sizeof shm_name, "/zeroipc-wake-bench-%d", (int)parent_pid);
    atexit(at_exit_cleanup);
    install_handlers();
    usable_cpus = bench_usable_cpus();

    size_t shared_size = sizeof *shared + sizeof shared->trip_ns[0] * cfg.trips;
    shared = mmap(NULL, shared_size, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) {
        perror("mmap");
        return 1;
    }

    /* The idle signaller sleeps, so placement hardly matters there; two
     * CPUs keep the yield spinner from ever delaying the signal. */
    enum placement idle_where = usable_cpus >= 2 ? TWO_CPUS : ONE_CPU;
    const struct bench_case all[] = {
        {LATENCY, ONE_CPU, &m_sem},
        {LATENCY, ONE_CPU, &m_event},
        {LATENCY, ONE_CPU, &m_futex},
        {LATENCY, ONE_CPU, &m_backoff},
        {LATENCY, TWO_CPUS, &m_sem},
        {LATENCY, TWO_CPUS, &m_event},
        {LATENCY, TWO_CPUS, &m_futex},
        {LATENCY, TWO_CPUS, &m_backoff},
        {IDLE, idle_where, &m_sem},
        {IDLE, idle_where, &m_futex},
        {IDLE, idle_where, &m_backoff},
        {IDLE, idle_where, &m_yield},
    };
    enum { NALL = sizeof all / sizeof all[0] };
    struct bench_case cases[NALL];
    struct summary sums[NALL];
    size_t ncases = 0;
    for (size_t i = 0; i < NALL; i++) {
        char name[96];
        if (all[i].where == TWO_CPUS && usable_cpus < 2)
            continue;
        if (cfg.only && !strstr(case_name(&all[i], name, sizeof name), cfg.only))
            continue;
        cases[ncases] = all[i];
        sums[ncases] = (struct summary){.ok = true};
        if (all[i].kind == LATENCY) {
            sums[ncases].trips = malloc(sizeof(int64_t) * cfg.trips *
                                        (size_t)cfg.rounds);
            if (sums[ncases].trips == NULL) {
                perror("malloc");
                return 1;
            }
        }
        ncases++;
    }

    char model[256];
    struct utsname un;
    bench_cpu_model(model, sizeof model);
    if (uname(&un) != 0)
        memset(&un, 0, sizeof un);
    printf("zeroipc wake benchmark: cross-process wake-up latency and idle "
           "waiter CPU\n");
    printf("machine   nproc %d, %s, %s %s %s\n", usable_cpus, model,
           un.sysname, un.release, un.machine);
#if defined(__clang__)
    printf("compiler  clang %s\n", __clang_version__);
#elif defined(__GNUC__)
    printf("compiler  gcc %s\n", __VERSION__);
#endif
    /* The slack, not the 1 us asked for, is how long the backoff's first
     * sleeps really last; the slice is how often our sleepers look. */
    printf("timers    timer slack %ld ns; zeroipc sleeps in slices of %d ms\n",
           bench_read_proc_long("/proc/self/timerslack_ns", -1),
           ZEROIPC_WAIT_SLICE_MS);
    if (usable_cpus < 2)
        printf("note      one usable CPU: the 2-CPU cases are skipped\n");
    bench_print_load("before");
    printf("method    %d round%s, cases interleaved; %" PRIu32 " timed round "
           "trips a case and round, pooled; A and B pinned\n",
           cfg.rounds, cfg.rounds == 1 ? "" : "s", cfg.trips);
    printf("ratio     this/futex = this row's figure / the raw futex row's "
           "of the same placement\n");
    fflush(stdout);

    int64_t start = now_ns();
    for (int round = 0; round < cfg.rounds; round++) {
        fprintf(stderr, "round %d/%d ...\n", round + 1, cfg.rounds);
        for (size_t i = 0; i < ncases; i++) {
            if (!sums[i].ok)
                continue;
            if (!run_case(&cases[i])) {
                char name[96];
                sums[i].ok = false;
                fprintf(stderr, "  [%s] FAILED\n",
                        case_name(&cases[i], name, sizeof name));
                continue;
            }
            if (cases[i].kind == LATENCY)
                collect_latency(&sums[i]);
            else
                collect_idle(&sums[i]);
            sums[i].runs++;
        }
    }
    for (size_t i = 0; i < ncases; i++)
        if (cases[i].kind == LATENCY)
            summarize_latency(&sums[i]);

    int failures = print_latency_group(cases, sums, ncases, ONE_CPU);
    failures += print_latency_group(cases, sums, ncases, TWO_CPUS);
    failures += print_idle(cases, sums, ncases);
    printf("\n");
    bench_print_load("after ");
    printf("total %.1f s; %s\n", (double)(now_ns() - start) / 1e9,
           failures ? "SOME CASES FAILED" : "every run verified (every wait "
           "succeeded, no signal lost or left over)");
    for (size_t i = 0; i < ncases; i++)
        free(sums[i].trips);
    return failures ? 1 : 0;
}
