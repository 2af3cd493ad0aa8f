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
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "zeroipc_error.h"
#include "zeroipc_event.h"
#include "zeroipc_memory.h"
#include "zeroipc_semaphore.h"

#include "bench_proc.h"
#include "machine.h"

#define MAX_ROUNDS BENCH_MAX_ROUNDS
#define MAX_TRIPS 10000000u
#define RAW_NAME "raw"
#define RAW_STRIDE 16               /* bytes between the two raw words */
#define BACKOFF_FIRST_US 1          /* the public implementations' loop */
#define BACKOFF_MAX_US 1000

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

/* The segment's name and its cleanup, the children and their deadline:
 * bench_proc.c. */
static int usable_cpus;

/* ---- small helpers ------------------------------------------------------- */

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
    struct bench_idle_sample idle;
    int64_t signalled_ns;
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
    p->mem = zeroipc_memory_open(bench_shm_name);
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
        int64_t t0 = bench_now_ns();
        if (m->signal(p, 1) != 0 || m->wait(p, 0) != 0) {
            child_error(bc, 0, "ping-pong", "a wait or signal failed");
            return -1;
        }
        if (i >= warm)
            shared->trip_ns[i - warm] = bench_now_ns() - t0;
    }
    return 0;
}

static int run_idle(struct peer *p, const struct bench_case *bc)
{
    if (p->side == 1) {
        bench_sleep_ns((int64_t)cfg.wait_ms * 1000000);
        /* Stored before the signal, whose release makes it visible to
         * the waiter; the parent reads it only after reaping both. */
        shared->signalled_ns = bench_now_ns();
        if (bc->m->signal(p, 0) != 0) {
            child_error(bc, 1, "signal", "failed");
            return -1;
        }
        return 0;
    }
    struct bench_idle_mark mark;
    struct bench_idle_sample idle;
    bench_idle_begin(&mark);
    int rc = bc->m->wait(p, 0);
    bench_idle_end(&mark, &idle);
    if (rc != 0) {
        child_error(bc, 0, "wait", "failed");
        return -1;
    }
    shared->idle = idle;
    shared->idle_done = 1;
    return 0;
}

/* Worker `side` of the run; arg is its case.  Ends in _exit. */
static void child_main(int side, int ready_fd, int go_fd, void *arg)
{
    const struct bench_case *bc = arg;
    bench_child_init();
    if (bench_pin_to(bc->where == TWO_CPUS ? side : 0) != 0) {
        child_error(bc, side, "sched_setaffinity", strerror(errno));
        _exit(1);
    }
    struct peer p = {.side = side};
    if (attach(&p, bc) != 0)
        _exit(1);
    bench_child_ready(ready_fd, go_fd);
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
    fx->mem = zeroipc_memory_create(bench_shm_name, 1u << 16, 16);
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
    fprintf(stderr, "setup of %s: %s\n", bench_shm_name,
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
    zeroipc_memory_unlink(bench_shm_name);
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
    struct bench_run run = BENCH_RUN_INIT;
    bool ok = false;
    int failed;

    memset(shared, 0, sizeof *shared);
    if (setup(&fx) != 0 || bench_run_pipes(&run) != 0)
        goto out;
    bench_run_fork(&run, 2, child_main, (void *)bc);
    bool started = bench_run_start(&run, cfg.timeout_s);
    failed = bench_run_reap(&run, NULL);
    char name[96];
    case_name(bc, name, sizeof name);
    if (bench_timed_out)
        fprintf(stderr, "  [%s] timed out after %u s\n", name, cfg.timeout_s);
    else if (failed == 0 && started && !slots_clear(&fx))
        fprintf(stderr, "  [%s] a signal was left over: a wake-up was "
                "duplicated or a wait returned without taking one\n", name);
    else
        ok = failed == 0 && started &&
             (bc->kind == LATENCY || shared->idle_done);
out:
    bench_run_close(&run);
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

static void parse_args(int argc, char **argv)
{
    int opt;
    while ((opt = getopt(argc, argv, "n:r:w:t:o:h")) != -1) {
        switch (opt) {
        case 'n': cfg.trips = (uint32_t)bench_parse_num(optarg, 'n', 1, MAX_TRIPS); break;
        case 'r': cfg.rounds = (int)bench_parse_num(optarg, 'r', 1, MAX_ROUNDS); break;
        case 'w': cfg.wait_ms = (unsigned)bench_parse_num(optarg, 'w', 1, 60000); break;
        case 't': cfg.timeout_s = (unsigned)bench_parse_num(optarg, 't', 1, 86400); break;
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
    struct bench_idle_rounds idle;
};

/* One latency run's round trips into the pool, and that round's median. */
static void collect_latency(struct summary *sm)
{
    int64_t *mine = sm->trips + sm->ntrips;
    memcpy(mine, shared->trip_ns, sizeof mine[0] * cfg.trips);
    sm->ntrips += cfg.trips;
    bench_sort_i64(mine, cfg.trips);
    sm->round_median_us[sm->runs] = (double)mine[bench_rank(cfg.trips, 0.5)] / 2e3;
}

static void collect_idle(struct summary *sm)
{
    bench_idle_record(&sm->idle, sm->runs, &shared->idle,
                      (double)(shared->idle.woke_ns - shared->signalled_ns) / 1e3);
}

static void summarize_latency(struct summary *sm)
{
    if (!sm->ok || sm->ntrips == 0)
        return;
    bench_latency_quantiles(sm->trips, sm->ntrips, 2e3, &sm->median_us,
                            &sm->p99_us);
}

/* ---- main ------------------------------------------------------------------ */

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
        double lo, hi;
        bench_range(s->round_median_us, s->runs, &lo, &hi);
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
    bench_print_idle_head(34);
    for (size_t i = 0; i < ncases; i++) {
        const struct summary *s = &sums[i];
        if (cases[i].kind != IDLE)
            continue;
        if (!s->ok) {
            printf("%-34s  FAILED\n", cases[i].m->label);
            failures++;
            continue;
        }
        bench_print_idle_row(34, cases[i].m->label, &s->idle, s->runs);
    }
    printf("(sleeps: voluntary context switches while waiting; late: from "
           "just before the signal to the waiter's return)\n");
    for (size_t i = 0; i < ncases; i++)
        if (cases[i].kind == IDLE && cases[i].m == &m_sem && sums[i].ok) {
            double m = bench_idle_share(&sums[i].idle, sums[i].runs);
            printf("target    %s idle CPU under 1%% of a core: %.2f%%, %s\n",
                   cases[i].m->label, m, m < 1.0 ? "met" : "MISSED");
        }
    return failures;
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);

    bench_proc_init("/zeroipc-wake-bench", NULL);
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

    printf("zeroipc wake benchmark: cross-process wake-up latency and idle "
           "waiter CPU\n");
    bench_print_machine(usable_cpus);
    /* The slack, not the 1 us asked for, is how long the backoff's first
     * sleeps really last; the slice is how often our sleepers look. */
    bench_print_timers(ZEROIPC_WAIT_SLICE_MS);
    if (usable_cpus < 2)
        printf("note      one usable CPU: the 2-CPU cases are skipped\n");
    bench_print_load("before");
    printf("method    %d round%s, cases interleaved; %" PRIu32 " timed round "
           "trips a case and round, pooled; A and B pinned\n",
           cfg.rounds, cfg.rounds == 1 ? "" : "s", cfg.trips);
    printf("ratio     this/futex = this row's figure / the raw futex row's "
           "of the same placement\n");
    fflush(stdout);

    int64_t start = bench_now_ns();
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
    printf("total %.1f s; %s\n", (double)(bench_now_ns() - start) / 1e9,
           failures ? "SOME CASES FAILED" : "every run verified (every wait "
           "succeeded, no signal lost or left over)");
    for (size_t i = 0; i < ncases; i++)
        free(sums[i].trips);
    return failures ? 1 : 0;
}
