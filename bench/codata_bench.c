/*
 * codata_bench.c - the coordination structures across real processes
 * (issue 6): how fast a future's waiter wakes when another process sets
 * it, what a waiter burns while nothing happens, and how many messages a
 * channel moves; against the waiting loops of the public ZeroIPC
 * implementations and against a pipe.
 *
 * Future set-to-wake latency.  Two processes, a waiter and a setter.  For
 * every round the waiter takes a fresh future (PENDING, never touched
 * before), says that it is about to wait, and waits; the setter lets a
 * delay pass, reads CLOCK_MONOTONIC just before zeroipc_future_set, and
 * the waiter reads it again just after its wait returns: the latency is
 * the difference.  The waiters:
 *
 *   zeroipc_future_get     sleeps on a futex; our set wakes it (the
 *                          setter makes the wake call only when `waiters`
 *                          says somebody sleeps)
 *   sched_yield poll       reads the state word with sched_yield()
 *                          between looks until READY, as the public
 *                          implementations' get does
 *   sleep backoff          reads the state word, sleeping 1 us doubling
 *                          to 1 ms between looks
 *
 * All three wait on the same layout: the state word of a future made by
 * zeroipc_future_create and resolved by zeroipc_future_set (which wakes
 * nobody when nobody is counted in `waiters`, as the public set wakes
 * nobody).  The delay before each set is drawn from 100 us to 1 ms, the
 * same sequence for every waiter: the backoff's sleeps follow a fixed
 * schedule, and a fixed delay would land at the same point of it every
 * time (lucky or unlucky, but always the same).  The setter sets only
 * once the waiter has said it waits, and for zeroipc_future_get only once
 * `waiters` counts it, so the fast path (already READY on entry) is never
 * what is timed.  Each latency case runs with both processes pinned to
 * one CPU (the wake is a context switch) and to two (the wake also
 * crosses CPUs), as in wake_bench.c, which explains why.
 *
 * Idle cost.  The waiter waits for one future that is set only after -w
 * milliseconds; it reads its own CLOCK_PROCESS_CPUTIME_ID and
 * getrusage(RUSAGE_SELF) around the wait: CPU as a share of a core,
 * voluntary context switches, and how late it woke.
 *
 * Channel throughput.  Senders and receivers in separate processes move
 * 8-byte messages through a buffered channel of capacity 1024 (1 sender
 * and 1 receiver, then 4 and 4) and through an unbuffered one (a
 * rendezvous: each send returns once a receiver has the value).  The
 * alternatives: the same buffered channel driven by try_send / try_recv
 * with sched_yield() between tries (the public implementations' way of
 * waiting), a pipe with one 8-byte write and read per message, and for
 * the rendezvous a pipe pair where the writer waits for a 1-byte
 * acknowledgement of every message.  As a reference, the channel's own
 * buffer is also driven directly as a queue (zeroipc_queue_push_wait /
 * pop_wait, with end markers since a queue cannot be closed): the same
 * slots, but sleeping on the slot's sequence word, woken only when a
 * sleeper can exist, where the channel sleeps on one doorbell per side.
 * Worker k runs on usable CPU
 * k mod nproc (senders first), so a 1x1 pair always has a CPU each
 * instead of sharing one in some runs and not in others; 4x4 puts four
 * processes on each of two CPUs and measures behaviour under preemption.
 * The clock runs from the first worker's start to the last receiver's
 * end of stream.  End of stream: the last sender to finish closes the
 * channel (zeroipc_channel_shutdown), and receivers take what is
 * buffered and then see ZEROIPC_ERROR_CLOSED; pipe writers close their
 * end and readers see end of file.
 *
 * Verification.  Future: every wait must succeed with the value set for
 * that round, and afterwards every future must be READY with no waiter
 * left counted.  Channel: a message is (sender + 1) << 40 | n for the
 * sender's nth message; each receiver checks that each sender's numbers
 * only grow (a lone receiver: that each is the previous plus one), counts
 * them and sums a mix of them; the parent checks the total count and sum
 * against what was sent (the mix makes a loss and a duplicate not cancel
 * out) and that the channel is closed, empty and has no waiter counted.
 * Any failure fails the case and the exit status.
 *
 * Method and cleanup as wake_bench.c: a fresh segment per run, which the
 * children open by name, as unrelated programs would; ready and go pipes
 * keep setup outside the timing; rounds interleave the cases; the name
 * carries our pid and is unlinked after each run, at exit and on
 * SIGINT/SIGTERM/SIGHUP; children die with the parent
 * (PR_SET_PDEATHSIG) and are killed on a timeout.
 */

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "zeroipc_channel.h"
#include "zeroipc_error.h"
#include "zeroipc_future.h"
#include "zeroipc_memory.h"
#include "zeroipc_queue.h"

#include "bench_proc.h"
#include "machine.h"

#define MAX_ROUNDS BENCH_MAX_ROUNDS
#define MAX_SIDE 8                  /* senders, and receivers, at most */
#define MAX_WORKERS (2 * MAX_SIDE)
#define MAX_FUTURES 100000u         /* per latency run: 28 MB of futures */
#define MAX_MESSAGES 1000000000ull
#define CHANNEL_NAME "ch"
#define CHANNEL_CAPACITY 1024
#define DELAY_MIN_US 100            /* before each set, see the top */
#define DELAY_SPAN_US 901
#define BACKOFF_FIRST_US 1          /* the public implementations' loop */
#define BACKOFF_MAX_US 1000
#define SENDER_SHIFT 40             /* message = (sender + 1) << 40 | n */
#define END_MARKER 0                /* never a message, see T_QUEUE */

/* ---- configuration ---------------------------------------------------- */

static struct {
    double scale;               /* -n: every count below times this */
    uint32_t futures;           /* fresh futures per latency run */
    uint64_t buffered;          /* messages per buffered run */
    uint64_t unbuffered;        /* messages per rendezvous run */
    int rounds;
    unsigned wait_ms;           /* the idle waiter's wait */
    unsigned timeout_s;
    const char *only;
} cfg = {
    /* About 35 s in all on a 2-CPU machine: 3 x 3 s of idle waits, 6 x
     * 2100 futures set 0.55 ms apart on average, the rest channels. */
    .scale = 1.0,
    .futures = 700,
    .buffered = 2000000,
    /* A rendezvous costs two cross-CPU wakes, 30-45 us on the project's
     * VM: 30000 take 1-1.5 s a case and round. */
    .unbuffered = 30000,
    .rounds = 3,
    .wait_ms = 1000,
    .timeout_s = 60,
};

/* ---- names and cleanup ------------------------------------------------- */

/* The segment's name and its cleanup, the children and their deadline:
 * bench_proc.c. */
static int usable_cpus;

/* ---- small helpers ------------------------------------------------------- */

/* splitmix64's finalizer: summing mixed values, unlike plain ones, makes
 * a lost message and a duplicated one unlikely to cancel out; also the
 * source of the delays. */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* What round i's future resolves to: differs per round, so a waiter that
 * read the wrong future or a stale value is caught. */
static int64_t future_value(uint32_t i)
{
    return (int64_t)(mix(i) >> 1);
}

/* ---- cases ---------------------------------------------------------------- */

enum kind { LATENCY, IDLE, THROUGHPUT };
enum placement { ONE_CPU, TWO_CPUS };
enum waiter { W_GET, W_YIELD, W_BACKOFF };
enum transport { T_CHAN, T_CHAN_YIELD, T_QUEUE, T_PIPE, T_PIPE_ACK };

static const char *const waiter_label[] = {
    [W_GET] = "zeroipc_future_get (futex)",
    [W_YIELD] = "sched_yield poll (public)",
    [W_BACKOFF] = "sleep 1 us..1 ms backoff",
};

static const char *const transport_label[] = {
    [T_CHAN] = "zeroipc channel send/recv",
    [T_CHAN_YIELD] = "same, try_* + sched_yield",
    [T_QUEUE] = "its queue, push/pop_wait",
    [T_PIPE] = "pipe, 8 B write/read",
    [T_PIPE_ACK] = "pipe + 1 B ack pipe",
};

struct bench_case {
    enum kind kind;
    enum placement where;       /* LATENCY and IDLE */
    enum waiter waiter;
    enum transport transport;   /* THROUGHPUT */
    int senders, receivers;
    uint32_t capacity;          /* 0: unbuffered */
};

static const char *placement_name(enum placement where)
{
    return where == ONE_CPU ? "1 CPU" : "2 CPUs";
}

/* The group a throughput case is printed in, and compared within. */
static const char *group_name(const struct bench_case *bc, char *buf, size_t len)
{
    if (bc->capacity == 0)
        snprintf(buf, len, "unbuffered %dx%d", bc->senders, bc->receivers);
    else
        snprintf(buf, len, "buffered %dx%d", bc->senders, bc->receivers);
    return buf;
}

/* The name that -o matches and errors print. */
static const char *case_name(const struct bench_case *bc, char *buf, size_t len)
{
    char g[32];
    if (bc->kind == THROUGHPUT)
        snprintf(buf, len, "channel, %s, %s", group_name(bc, g, sizeof g),
                 transport_label[bc->transport]);
    else
        snprintf(buf, len, "%s, %s, %s",
                 bc->kind == LATENCY ? "latency" : "idle",
                 placement_name(bc->where), waiter_label[bc->waiter]);
    return buf;
}

static int workers_of(const struct bench_case *bc)
{
    return bc->kind == THROUGHPUT ? bc->senders + bc->receivers : 2;
}

/* Futures in one run: one for the idle case. */
static uint32_t futures_of(const struct bench_case *bc)
{
    return bc->kind == IDLE ? 1 : cfg.futures;
}

static uint64_t messages_of(const struct bench_case *bc)
{
    return bc->capacity == 0 ? cfg.unbuffered : cfg.buffered;
}

/* ---- shared results ------------------------------------------------------- */

/* In an anonymous shared mapping inherited by every child; the parent
 * reads it only after reaping them all. */
static struct shared_state {
    /* future cases */
    _Atomic uint32_t armed;     /* rounds the waiter has started waiting */
    struct bench_idle_sample idle;
    int waiter_done;
    /* throughput cases */
    _Atomic int senders_done;
    int64_t start_ns[MAX_WORKERS];
    int64_t end_ns[MAX_SIDE];
    uint64_t count[MAX_SIDE], sum[MAX_SIDE];
    /* set_ns[i], then woke_ns[i] at [MAX_FUTURES + i] */
    int64_t times[];
} *shared;

#define SET_NS(i) shared->times[(i)]
#define WOKE_NS(i) shared->times[MAX_FUTURES + (i)]

/* ---- a child's view --------------------------------------------------------- */

struct worker {
    const struct bench_case *bc;
    int index;                  /* 0..workers-1: senders first */
    bool sender;                /* throughput: sender or receiver */
    int side_index;             /* among the senders, or the receivers */
    zeroipc_memory_t *mem;
    zeroipc_future_t **fut;     /* W_GET waiter and every setter */
    _Atomic uint32_t **state;   /* the futures' state words */
    zeroipc_channel_t *ch;
    zeroipc_queue_t *q;         /* T_QUEUE: the channel's own buffer */
    int fd, ack_fd;             /* pipes: the ends this worker uses */
};

static void child_error(const struct worker *w, const char *what,
                        const char *detail)
{
    char name[128];
    fprintf(stderr, "  [%s; worker %d] %s: %s\n",
            case_name(w->bc, name, sizeof name), w->index, what, detail);
}

/* The pipes of a pipe case, made by the parent before the fork. */
static int data_pipe[2] = {-1, -1}, ack_pipe[2] = {-1, -1};

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static int attach_futures(struct worker *w)
{
    uint32_t n = futures_of(w->bc);
    w->fut = calloc(n, sizeof w->fut[0]);
    w->state = calloc(n, sizeof w->state[0]);
    if (w->fut == NULL || w->state == NULL) {
        child_error(w, "calloc", strerror(errno));
        return -1;
    }
    uint8_t *base = zeroipc_memory_base(w->mem);
    /* Opened before the start line: the lookups (a table scan each) are
     * not what is measured. */
    for (uint32_t i = 0; i < n; i++) {
        char name[32];
        size_t off;
        snprintf(name, sizeof name, "f%" PRIu32, i);
        int rc = zeroipc_table_find(w->mem, name, &off, NULL);
        if (rc == ZEROIPC_OK)
            w->fut[i] = zeroipc_future_open(w->mem, name, sizeof(int64_t));
        if (rc != ZEROIPC_OK || w->fut[i] == NULL) {
            child_error(w, "zeroipc_future_open", zeroipc_error_string(
                rc != ZEROIPC_OK ? rc : zeroipc_last_error()));
            return -1;
        }
        w->state[i] = (_Atomic uint32_t *)(void *)(base + off);
    }
    return 0;
}

static int attach(struct worker *w)
{
    const struct bench_case *bc = w->bc;
    if (bc->kind == THROUGHPUT && (bc->transport == T_PIPE ||
                                   bc->transport == T_PIPE_ACK)) {
        /* Keep only our ends: a reader holding a write end would never
         * see end of file. */
        w->fd = w->sender ? data_pipe[1] : data_pipe[0];
        w->ack_fd = w->sender ? ack_pipe[0] : ack_pipe[1];
        close_fd(w->sender ? &data_pipe[0] : &data_pipe[1]);
        close_fd(w->sender ? &ack_pipe[1] : &ack_pipe[0]);
        return 0;
    }
    w->mem = zeroipc_memory_open(bench_shm_name);
    if (w->mem == NULL) {
        child_error(w, "zeroipc_memory_open",
                    zeroipc_error_string(zeroipc_last_error()));
        return -1;
    }
    if (bc->kind != THROUGHPUT)
        return attach_futures(w);
    w->ch = zeroipc_channel_open_elem(w->mem, CHANNEL_NAME, sizeof(int64_t));
    if (w->ch != NULL && bc->transport == T_QUEUE) {
        w->q = zeroipc_queue_open(w->mem, CHANNEL_NAME ZEROIPC_CHANNEL_BUFFER_SUFFIX);
        if (w->q == NULL) {
            child_error(w, "zeroipc_queue_open",
                        zeroipc_error_string(zeroipc_last_error()));
            return -1;
        }
    }
    if (w->ch == NULL) {
        child_error(w, "zeroipc_channel_open_elem",
                    zeroipc_error_string(zeroipc_last_error()));
        return -1;
    }
    return 0;
}

static void detach(struct worker *w)
{
    if (w->fut)
        for (uint32_t i = 0; i < futures_of(w->bc); i++)
            zeroipc_future_close(w->fut[i]);
    free(w->fut);
    free(w->state);
    zeroipc_queue_close(w->q);
    zeroipc_channel_close(w->ch);
    zeroipc_memory_close(w->mem);
    close_fd(&w->fd);
    close_fd(&w->ack_fd);
}

/* ---- futures ------------------------------------------------------------ */

/* Waits for round i's future the chosen way: 0, or -1 on a wrong value
 * or a failed get. */
static int wait_future(struct worker *w, uint32_t i, int64_t *v)
{
    _Atomic uint32_t *state = w->state[i];
    switch (w->bc->waiter) {
    case W_GET:
        return zeroipc_future_get(w->fut[i], v) == ZEROIPC_OK ? 0 : -1;
    case W_YIELD:
        while (atomic_load_explicit(state, memory_order_acquire) !=
               ZEROIPC_FUTURE_READY)
            sched_yield();
        break;
    case W_BACKOFF: {
        long us = BACKOFF_FIRST_US;
        while (atomic_load_explicit(state, memory_order_acquire) !=
               ZEROIPC_FUTURE_READY) {
            struct timespec pause = {0, us * 1000};
            nanosleep(&pause, NULL);
            if (us < BACKOFF_MAX_US)
                us *= 2;
        }
        break;
    }
    }
    /* READY was read with acquire: the value is complete. */
    memcpy(v, (uint8_t *)state + ZEROIPC_FUTURE_VALUE_OFFSET, sizeof *v);
    return 0;
}

static int run_waiter(struct worker *w)
{
    uint32_t n = futures_of(w->bc);
    struct bench_idle_mark mark;
    bench_idle_begin(&mark);
    for (uint32_t i = 0; i < n; i++) {
        int64_t v = 0;
        /* Release: nothing to publish, but the setter acts on it. */
        atomic_store_explicit(&shared->armed, i + 1, memory_order_release);
        int rc = wait_future(w, i, &v);
        WOKE_NS(i) = bench_now_ns();
        if (rc != 0 || v != future_value(i)) {
            char msg[96];
            snprintf(msg, sizeof msg, "round %" PRIu32 ": %s", i,
                     rc != 0 ? "get failed" : "wrong value");
            child_error(w, "wait", msg);
            return -1;
        }
    }
    bench_idle_end(&mark, &shared->idle);
    shared->waiter_done = 1;
    return 0;
}

/* True once the waiter is inside its wait for round i, as far as the
 * setter can tell: it said so, and a zeroipc waiter is also counted. */
static bool waiter_waits(struct worker *w, uint32_t i)
{
    if (atomic_load_explicit(&shared->armed, memory_order_acquire) < i + 1)
        return false;
    return w->bc->waiter != W_GET || zeroipc_future_waiters(w->fut[i]) > 0;
}

static int run_setter(struct worker *w)
{
    uint32_t n = futures_of(w->bc);
    for (uint32_t i = 0; i < n; i++) {
        /* Sleeps rather than spins while the waiter gets ready: on one
         * CPU the waiter needs this CPU to get there.  Rarely taken, as
         * the waiter re-arms while we sleep the delay of the round. */
        while (!waiter_waits(w, i))
            bench_sleep_ns(20000);
        int64_t delay = w->bc->kind == IDLE
                            ? (int64_t)cfg.wait_ms * 1000000
                            : (DELAY_MIN_US + (int64_t)(mix(i) % DELAY_SPAN_US)) * 1000;
        bench_sleep_ns(delay);
        int64_t v = future_value(i);
        SET_NS(i) = bench_now_ns();
        int rc = zeroipc_future_set(w->fut[i], &v);
        if (rc != ZEROIPC_OK) {
            child_error(w, "zeroipc_future_set", zeroipc_error_string(rc));
            return -1;
        }
    }
    return 0;
}

/* ---- channels and pipes --------------------------------------------------- */

/* 1: got len bytes, 0: end of file before any, -1: error or torn. */
static int read_all(int fd, void *buf, size_t len)
{
    uint8_t *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t k = read(fd, p + got, len - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        if (k == 0)
            return got == 0 ? 0 : -1;
        got += (size_t)k;
    }
    return 1;
}

/* 0 sent, -1 failed. */
static int send_one(struct worker *w, int64_t v)
{
    int rc;
    switch (w->bc->transport) {
    case T_CHAN:
        return zeroipc_channel_send(w->ch, &v) == ZEROIPC_OK ? 0 : -1;
    case T_CHAN_YIELD:
        while ((rc = zeroipc_channel_try_send(w->ch, &v)) == ZEROIPC_ERROR_TIMEOUT)
            sched_yield();
        return rc == ZEROIPC_OK ? 0 : -1;
    case T_QUEUE:
        return zeroipc_queue_push_wait(w->q, &v) == ZEROIPC_OK ? 0 : -1;
    case T_PIPE:
        return bench_write_all(w->fd, &v, sizeof v);
    case T_PIPE_ACK: {
        char ack;
        if (bench_write_all(w->fd, &v, sizeof v) != 0)
            return -1;
        return read_all(w->ack_fd, &ack, 1) == 1 ? 0 : -1;
    }
    }
    return -1;
}

/* 1 received, 0 end of stream, -1 failed. */
static int recv_one(struct worker *w, int64_t *v)
{
    int rc;
    switch (w->bc->transport) {
    case T_CHAN:
        rc = zeroipc_channel_recv(w->ch, v);
        return rc == ZEROIPC_OK ? 1 : rc == ZEROIPC_ERROR_CLOSED ? 0 : -1;
    case T_CHAN_YIELD:
        while ((rc = zeroipc_channel_try_recv(w->ch, v)) == ZEROIPC_ERROR_TIMEOUT)
            sched_yield();
        return rc == ZEROIPC_OK ? 1 : rc == ZEROIPC_ERROR_CLOSED ? 0 : -1;
    case T_QUEUE:
        if (zeroipc_queue_pop_wait(w->q, v) != ZEROIPC_OK)
            return -1;
        return *v != END_MARKER;
    case T_PIPE:
        return read_all(w->fd, v, sizeof *v);
    case T_PIPE_ACK:
        rc = read_all(w->fd, v, sizeof *v);
        if (rc == 1 && bench_write_all(w->ack_fd, "a", 1) != 0)
            return -1;
        return rc;
    }
    return -1;
}

/* Sender s's share of the messages: an even split, the rest to the first. */
static uint64_t share_of(const struct bench_case *bc, int s)
{
    uint64_t m = messages_of(bc);
    return m / (uint64_t)bc->senders + (s == 0 ? m % (uint64_t)bc->senders : 0);
}

static int run_sender(struct worker *w)
{
    uint64_t n = share_of(w->bc, w->side_index);
    uint64_t tag = (uint64_t)(w->side_index + 1) << SENDER_SHIFT;
    for (uint64_t i = 1; i <= n; i++)
        if (send_one(w, (int64_t)(tag | i)) != 0) {
            char msg[64];
            snprintf(msg, sizeof msg, "message %" PRIu64 " of %" PRIu64, i, n);
            child_error(w, "send failed", msg);
            return -1;
        }
    /* End of stream.  The last sender closes the channel: every message
     * went in before, and receivers drain the buffer before they see
     * CLOSED.  A pipe writer closes its end. */
    if (w->q) {
        /* The queue cannot be closed: the last sender pushes one end
         * marker per receiver, behind every message (FIFO), so no
         * receiver stops early and none waits for ever. */
        int64_t end = END_MARKER;
        if (atomic_fetch_add(&shared->senders_done, 1) + 1 == w->bc->senders)
            for (int r = 0; r < w->bc->receivers; r++)
                if (zeroipc_queue_push_wait(w->q, &end) != ZEROIPC_OK) {
                    child_error(w, "zeroipc_queue_push_wait", "end marker");
                    return -1;
                }
    } else if (w->ch) {
        if (atomic_fetch_add(&shared->senders_done, 1) + 1 == w->bc->senders &&
            zeroipc_channel_shutdown(w->ch) != ZEROIPC_OK) {
            child_error(w, "zeroipc_channel_shutdown", "failed");
            return -1;
        }
    } else {
        close_fd(&w->fd);
    }
    return 0;
}

static int run_receiver(struct worker *w)
{
    const struct bench_case *bc = w->bc;
    uint64_t last[MAX_SIDE] = {0}, count = 0, sum = 0;
    int64_t v;
    int rc;
    while ((rc = recv_one(w, &v)) == 1) {
        uint64_t u = (uint64_t)v, n = u & ((1ull << SENDER_SHIFT) - 1);
        uint64_t s = (u >> SENDER_SHIFT) - 1;
        /* Alone, a receiver sees every message of a sender, in order;
         * one of several sees an increasing subsequence. */
        if (s >= (uint64_t)bc->senders || n <= last[s] ||
            (bc->receivers == 1 && n != last[s] + 1)) {
            char msg[96];
            snprintf(msg, sizeof msg, "got %#" PRIx64 " after %" PRIu64
                     " messages (sender's last %" PRIu64 ")", u, count,
                     s < (uint64_t)bc->senders ? last[s] : 0);
            child_error(w, "out of order or unknown", msg);
            return -1;
        }
        last[s] = n;
        count++;
        sum += mix(u);
    }
    shared->end_ns[w->side_index] = bench_now_ns();
    if (rc != 0) {
        child_error(w, "receive failed", zeroipc_error_string(zeroipc_last_error()));
        return -1;
    }
    shared->count[w->side_index] = count;
    shared->sum[w->side_index] = sum;
    return 0;
}

/* ---- the children ------------------------------------------------------- */

/* Worker `index` of the run; arg is its case.  Ends in _exit. */
static void child_main(int index, int ready_fd, int go_fd, void *arg)
{
    const struct bench_case *bc = arg;
    bench_child_init();
    struct worker w = {.bc = bc, .index = index, .fd = -1, .ack_fd = -1};
    int cpu;
    if (bc->kind == THROUGHPUT) {
        w.sender = index < bc->senders;
        w.side_index = w.sender ? index : index - bc->senders;
        cpu = index;
    } else {
        /* Worker 0 waits, worker 1 sets. */
        cpu = bc->where == TWO_CPUS ? index : 0;
    }
    if (bench_pin_to(cpu) != 0) {
        child_error(&w, "sched_setaffinity", strerror(errno));
        _exit(1);
    }
    if (attach(&w) != 0)
        _exit(1);
    bench_child_ready(ready_fd, go_fd);
    int rc;
    if (bc->kind == THROUGHPUT) {
        shared->start_ns[index] = bench_now_ns();
        rc = w.sender ? run_sender(&w) : run_receiver(&w);
    } else {
        rc = index == 0 ? run_waiter(&w) : run_setter(&w);
    }
    detach(&w);
    /* _exit, not exit: the parent's atexit cleanup must not run here. */
    _exit(rc == 0 ? 0 : 1);
}

/* ---- the parent ---------------------------------------------------------- */

/* What the parent keeps of one run, to check it afterwards. */
struct fixture {
    zeroipc_memory_t *mem;
    zeroipc_future_t **fut;
    uint32_t nfut;
    zeroipc_channel_t *ch;
};

static int setup(struct fixture *fx, const struct bench_case *bc)
{
    memset(fx, 0, sizeof *fx);
    if (bc->kind == THROUGHPUT &&
        (bc->transport == T_PIPE || bc->transport == T_PIPE_ACK)) {
        if (pipe(data_pipe) != 0 || pipe(ack_pipe) != 0) {
            perror("pipe");
            return -1;
        }
        return 0;
    }
    uint32_t n = bc->kind == THROUGHPUT ? 0 : futures_of(bc);
    size_t size = 65536 + (size_t)n * (ZEROIPC_FUTURE_SIZE(sizeof(int64_t)) + 48);
    fx->mem = zeroipc_memory_create(bench_shm_name, size, n + 4);
    if (fx->mem == NULL)
        goto fail;
    if (bc->kind == THROUGHPUT) {
        fx->ch = zeroipc_channel_create(fx->mem, CHANNEL_NAME, sizeof(int64_t),
                                        bc->capacity);
        if (fx->ch == NULL)
            goto fail;
        return 0;
    }
    fx->fut = calloc(n, sizeof fx->fut[0]);
    if (fx->fut == NULL) {
        perror("calloc");
        return -1;
    }
    for (uint32_t i = 0; i < n; i++, fx->nfut++) {
        char name[32];
        snprintf(name, sizeof name, "f%" PRIu32, i);
        fx->fut[i] = zeroipc_future_create(fx->mem, name, sizeof(int64_t));
        if (fx->fut[i] == NULL)
            goto fail;
    }
    return 0;
fail:
    fprintf(stderr, "setup of %s: %s\n", bench_shm_name,
            zeroipc_error_string(zeroipc_last_error()));
    return -1;
}

static void teardown(struct fixture *fx)
{
    for (uint32_t i = 0; i < fx->nfut; i++)
        zeroipc_future_close(fx->fut[i]);
    free(fx->fut);
    zeroipc_channel_close(fx->ch);
    if (fx->mem) {
        zeroipc_memory_close(fx->mem);
        zeroipc_memory_unlink(bench_shm_name);
    }
    for (int i = 0; i < 2; i++) {
        close_fd(&data_pipe[i]);
        close_fd(&ack_pipe[i]);
    }
}

/* After a good run: what the structures and the receivers say agrees
 * with what was sent.  NULL, or what is wrong. */
static const char *verify(const struct fixture *fx, const struct bench_case *bc)
{
    if (bc->kind != THROUGHPUT) {
        if (!shared->waiter_done)
            return "the waiter did not finish";
        for (uint32_t i = 0; i < fx->nfut; i++) {
            int64_t v;
            if (zeroipc_future_state(fx->fut[i]) != ZEROIPC_FUTURE_READY ||
                zeroipc_future_try_get(fx->fut[i], &v) != ZEROIPC_OK ||
                v != future_value(i))
                return "a future is not READY with its value";
            if (zeroipc_future_waiters(fx->fut[i]) != 0)
                return "a future still counts a waiter";
        }
        return NULL;
    }
    uint64_t count = 0, sum = 0, want_sum = 0;
    for (int r = 0; r < bc->receivers; r++) {
        count += shared->count[r];
        sum += shared->sum[r];
    }
    for (int s = 0; s < bc->senders; s++) {
        uint64_t tag = (uint64_t)(s + 1) << SENDER_SHIFT;
        for (uint64_t i = 1; i <= share_of(bc, s); i++)
            want_sum += mix(tag | i);
    }
    if (count != messages_of(bc))
        return "messages lost or duplicated (count)";
    if (sum != want_sum)
        return "messages lost or duplicated (checksum)";
    if (fx->ch && ((bc->transport != T_QUEUE && !zeroipc_channel_is_closed(fx->ch)) ||
                   zeroipc_channel_size(fx->ch) != 0 ||
                   zeroipc_channel_senders(fx->ch) != 0 ||
                   zeroipc_channel_receivers(fx->ch) != 0))
        return "the channel is not closed, empty and without waiters";
    return NULL;
}

static bool run_case(const struct bench_case *bc)
{
    struct fixture fx;
    struct bench_run run = BENCH_RUN_INIT;
    bool ok = false;
    char name[128];
    case_name(bc, name, sizeof name);

    /* Only the header: the times are written round by round. */
    memset(shared, 0, sizeof *shared);
    if (setup(&fx, bc) != 0 || bench_run_pipes(&run) != 0)
        goto out;
    bench_run_fork(&run, workers_of(bc), child_main, (void *)bc);
    /* The children hold the pipe ends they need; ours would keep a
     * reader from ever seeing end of file. */
    for (int i = 0; i < 2; i++) {
        close_fd(&data_pipe[i]);
        close_fd(&ack_pipe[i]);
    }
    bool started = bench_run_start(&run, cfg.timeout_s);
    int failed = bench_run_reap(&run, NULL);
    if (bench_timed_out) {
        fprintf(stderr, "  [%s] timed out after %u s\n", name, cfg.timeout_s);
    } else if (failed == 0 && started) {
        const char *why = verify(&fx, bc);
        if (why)
            fprintf(stderr, "  [%s] %s\n", name, why);
        ok = why == NULL;
    }
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
        "Across processes: future set-to-wake latency and idle-waiter CPU\n"
        "(zeroipc_future_get against a sched_yield poll and a sleep backoff),\n"
        "and channel throughput (buffered 1x1 and 4x4, unbuffered 1x1) against\n"
        "a yield-spinning channel and pipes; exits non-zero if any run fails.\n"
        "  -n F   scale the counts by F, e.g. 0.1 for a quick run (default 1:\n"
        "         %" PRIu32 " futures per latency run, %" PRIu64 " buffered and\n"
        "         %" PRIu64 " unbuffered messages per run)\n"
        "  -r N   rounds; each case runs once per round (default %d)\n"
        "  -w MS  how long the idle waiter waits for its future (default %u)\n"
        "  -t S   timeout of one run, in seconds (default %u)\n"
        "  -o STR only the cases whose \"latency|idle, 1 CPU|2 CPUs, waiter\" or\n"
        "         \"channel, buffered|unbuffered SxR, transport\" contains STR\n"
        "         (e.g. -o latency, -o channel, -o pipe)\n"
        "  -h     this help\n",
        prog, cfg.futures, cfg.buffered, cfg.unbuffered, cfg.rounds,
        cfg.wait_ms, cfg.timeout_s);
}

static double parse_scale(const char *s)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= 0.0001 && v <= 1000)) {
        fprintf(stderr, "-n: expected a factor from 0.0001 to 1000, got '%s'\n", s);
        exit(2);
    }
    return v;
}

/* A count times the scale, at least `lo`, at most `hi`. */
static uint64_t scaled(uint64_t n, uint64_t lo, uint64_t hi)
{
    double v = (double)n * cfg.scale;
    return v < (double)lo ? lo : v > (double)hi ? hi : (uint64_t)v;
}

static void parse_args(int argc, char **argv)
{
    int opt;
    while ((opt = getopt(argc, argv, "n:r:w:t:o:h")) != -1) {
        switch (opt) {
        case 'n': cfg.scale = parse_scale(optarg); break;
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
    cfg.futures = (uint32_t)scaled(cfg.futures, 10, MAX_FUTURES);
    cfg.buffered = scaled(cfg.buffered, 1000, MAX_MESSAGES);
    cfg.unbuffered = scaled(cfg.unbuffered, 100, MAX_MESSAGES);
}

/* ---- summaries ------------------------------------------------------------- */

struct summary {
    bool ok;
    int runs;
    /* latency: every wake of every round, in ns */
    int64_t *lat;
    size_t nlat;
    double round_median_us[MAX_ROUNDS];
    double median_us, p99_us;
    struct bench_idle_rounds idle;
    /* throughput, messages/s */
    double rate[MAX_ROUNDS];
};

static void collect(struct summary *sm, const struct bench_case *bc)
{
    int r = sm->runs;
    if (bc->kind == LATENCY) {
        uint32_t n = cfg.futures;
        int64_t *mine = sm->lat + sm->nlat;
        for (uint32_t i = 0; i < n; i++)
            mine[i] = WOKE_NS(i) - SET_NS(i);
        sm->nlat += n;
        bench_sort_i64(mine, n);
        sm->round_median_us[r] = (double)mine[bench_rank(n, 0.5)] / 1e3;
    } else if (bc->kind == IDLE) {
        bench_idle_record(&sm->idle, r, &shared->idle,
                          (double)(WOKE_NS(0) - SET_NS(0)) / 1e3);
    } else {
        int64_t start = shared->start_ns[0], end = shared->end_ns[0];
        for (int i = 1; i < workers_of(bc); i++)
            if (shared->start_ns[i] < start)
                start = shared->start_ns[i];
        for (int i = 1; i < bc->receivers; i++)
            if (shared->end_ns[i] > end)
                end = shared->end_ns[i];
        sm->rate[r] = (double)messages_of(bc) * 1e9 / (double)(end - start);
    }
}

static void summarize(struct summary *sm)
{
    if (!sm->ok || sm->nlat == 0)
        return;
    bench_latency_quantiles(sm->lat, sm->nlat, 1e3, &sm->median_us,
                            &sm->p99_us);
}

/* ---- printing --------------------------------------------------------------- */

static int print_latency(const struct bench_case *cases,
                         const struct summary *sums, size_t ncases,
                         enum placement where)
{
    const struct summary *base = NULL;
    bool any = false;
    int failures = 0;
    for (size_t i = 0; i < ncases; i++)
        if (cases[i].kind == LATENCY && cases[i].where == where) {
            any = true;
            if (cases[i].waiter == W_GET && sums[i].ok)
                base = &sums[i];
        }
    if (!any)
        return 0;
    printf("\nfuture set-to-wake latency, waiter and setter on %s; a fresh "
           "future a round, set %d-%d us after the wait began\n",
           placement_name(where), DELAY_MIN_US, DELAY_MIN_US + DELAY_SPAN_US - 1);
    printf("%-30s %9s %15s %9s %9s %9s\n", "waiter", "median us",
           "round medians", "p99 us", "zeroipc/", "zeroipc/");
    printf("%-30s %9s %15s %9s %9s %9s\n", "", "", "", "", "this p50",
           "this p99");
    for (size_t i = 0; i < ncases; i++) {
        const struct summary *s = &sums[i];
        if (cases[i].kind != LATENCY || cases[i].where != where)
            continue;
        if (!s->ok) {
            printf("%-30s  FAILED\n", waiter_label[cases[i].waiter]);
            failures++;
            continue;
        }
        char range[32], r50[16] = "-", r99[16] = "-";
        double lo, hi;
        bench_range(s->round_median_us, s->runs, &lo, &hi);
        snprintf(range, sizeof range, "%.1f-%.1f", lo, hi);
        if (base) {
            snprintf(r50, sizeof r50, "%.2fx", base->median_us / s->median_us);
            snprintf(r99, sizeof r99, "%.2fx", base->p99_us / s->p99_us);
        }
        printf("%-30s %9.2f %15s %9.2f %9s %9s\n", waiter_label[cases[i].waiter],
               s->median_us, range, s->p99_us, r50, r99);
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
    printf("\nidle waiter: waits for one future that another process sets "
           "after %u ms (median of rounds)\n", cfg.wait_ms);
    bench_print_idle_head(30);
    for (size_t i = 0; i < ncases; i++) {
        const struct summary *s = &sums[i];
        if (cases[i].kind != IDLE)
            continue;
        if (!s->ok) {
            printf("%-30s  FAILED\n", waiter_label[cases[i].waiter]);
            failures++;
            continue;
        }
        bench_print_idle_row(30, waiter_label[cases[i].waiter], &s->idle, s->runs);
    }
    printf("(sleeps: voluntary context switches while waiting; late: from "
           "just before the set to the waiter's return)\n");
    return failures;
}

static int print_throughput(const struct bench_case *cases,
                            const struct summary *sums, size_t ncases)
{
    bool any = false;
    int failures = 0;
    for (size_t i = 0; i < ncases; i++)
        any |= cases[i].kind == THROUGHPUT;
    if (!any)
        return 0;
    printf("\nchannel throughput across processes, 8-byte messages, every one "
           "verified; median of rounds\n");
    printf("%-16s %-27s %10s %9s %13s %9s\n", "channel", "transport",
           "messages", "M msg/s", "round range", "zeroipc/");
    printf("%-16s %-27s %10s %9s %13s %9s\n", "", "", "", "", "", "this");
    char prev[32] = "";
    const struct summary *base = NULL;
    for (size_t i = 0; i < ncases; i++) {
        const struct summary *s = &sums[i];
        char g[32];
        if (cases[i].kind != THROUGHPUT)
            continue;
        group_name(&cases[i], g, sizeof g);
        if (strcmp(g, prev) != 0) {
            /* The group's zeroipc channel row is its first. */
            snprintf(prev, sizeof prev, "%s", g);
            base = cases[i].transport == T_CHAN && s->ok ? s : NULL;
        }
        if (!s->ok) {
            printf("%-16s %-27s  FAILED\n", g, transport_label[cases[i].transport]);
            failures++;
            continue;
        }
        double lo, hi, m = bench_median(s->rate, s->runs);
        char range[32], ratio[16] = "-";
        bench_range(s->rate, s->runs, &lo, &hi);
        snprintf(range, sizeof range, "%.2f-%.2f", lo / 1e6, hi / 1e6);
        if (base)
            snprintf(ratio, sizeof ratio, "%.2fx", bench_median(base->rate, base->runs) / m);
        printf("%-16s %-27s %10" PRIu64 " %9.3f %13s %9s\n", g,
               transport_label[cases[i].transport], messages_of(&cases[i]),
               m / 1e6, range, ratio);
    }
    return failures;
}

/* ---- main ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    parse_args(argc, argv);

    bench_proc_init("/zeroipc-codata-bench", NULL);
    /* A reader that died must not kill a pipe writer silently: the
     * writer sees EPIPE and reports it. */
    signal(SIGPIPE, SIG_IGN);
    usable_cpus = bench_usable_cpus();

    size_t shared_size = sizeof *shared + sizeof shared->times[0] * 2 * MAX_FUTURES;
    shared = mmap(NULL, shared_size, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) {
        perror("mmap");
        return 1;
    }

    /* The idle setter sleeps, so placement hardly matters there; two
     * CPUs keep the yield poller from ever delaying the set. */
    enum placement idle_where = usable_cpus >= 2 ? TWO_CPUS : ONE_CPU;
    const struct bench_case all[] = {
        {.kind = LATENCY, .where = ONE_CPU, .waiter = W_GET},
        {.kind = LATENCY, .where = ONE_CPU, .waiter = W_YIELD},
        {.kind = LATENCY, .where = ONE_CPU, .waiter = W_BACKOFF},
        {.kind = LATENCY, .where = TWO_CPUS, .waiter = W_GET},
        {.kind = LATENCY, .where = TWO_CPUS, .waiter = W_YIELD},
        {.kind = LATENCY, .where = TWO_CPUS, .waiter = W_BACKOFF},
        {.kind = IDLE, .where = idle_where, .waiter = W_GET},
        {.kind = IDLE, .where = idle_where, .waiter = W_YIELD},
        {.kind = IDLE, .where = idle_where, .waiter = W_BACKOFF},
        {.kind = THROUGHPUT, .transport = T_CHAN, .senders = 1, .receivers = 1,
         .capacity = CHANNEL_CAPACITY},
        {.kind = THROUGHPUT, .transport = T_CHAN_YIELD, .senders = 1,
         .receivers = 1, .capacity = CHANNEL_CAPACITY},
        {.kind = THROUGHPUT, .transport = T_QUEUE, .senders = 1,
         .receivers = 1, .capacity = CHANNEL_CAPACITY},
        {.kind = THROUGHPUT, .transport = T_PIPE, .senders = 1, .receivers = 1,
         .capacity = CHANNEL_CAPACITY},
        {.kind = THROUGHPUT, .transport = T_CHAN, .senders = 4, .receivers = 4,
         .capacity = CHANNEL_CAPACITY},
        {.kind = THROUGHPUT, .transport = T_CHAN_YIELD, .senders = 4,
         .receivers = 4, .capacity = CHANNEL_CAPACITY},
        {.kind = THROUGHPUT, .transport = T_QUEUE, .senders = 4,
         .receivers = 4, .capacity = CHANNEL_CAPACITY},
        {.kind = THROUGHPUT, .transport = T_CHAN, .senders = 1, .receivers = 1,
         .capacity = 0},
        {.kind = THROUGHPUT, .transport = T_PIPE_ACK, .senders = 1,
         .receivers = 1, .capacity = 0},
    };
    enum { NALL = sizeof all / sizeof all[0] };
    struct bench_case cases[NALL];
    struct summary sums[NALL];
    size_t ncases = 0;
    for (size_t i = 0; i < NALL; i++) {
        char name[128];
        if (all[i].kind != THROUGHPUT && all[i].where == TWO_CPUS && usable_cpus < 2)
            continue;
        if (cfg.only && !strstr(case_name(&all[i], name, sizeof name), cfg.only))
            continue;
        cases[ncases] = all[i];
        sums[ncases] = (struct summary){.ok = true};
        if (all[i].kind == LATENCY) {
            sums[ncases].lat = malloc(sizeof(int64_t) * cfg.futures *
                                      (size_t)cfg.rounds);
            if (sums[ncases].lat == NULL) {
                perror("malloc");
                return 1;
            }
        }
        ncases++;
    }

    printf("zeroipc codata benchmark: future set-to-wake latency, idle waiter "
           "CPU, channel throughput\n");
    bench_print_machine(usable_cpus);
    bench_print_timers(ZEROIPC_WAIT_SLICE_MS);
    if (usable_cpus < 2)
        printf("note      one usable CPU: the 2-CPU latency cases are skipped\n");
    bench_print_load("before");
    printf("method    %d round%s, cases interleaved; %" PRIu32 " futures a "
           "latency run, pooled; %" PRIu64 " buffered, %" PRIu64
           " unbuffered messages a run\n",
           cfg.rounds, cfg.rounds == 1 ? "" : "s", cfg.futures, cfg.buffered,
           cfg.unbuffered);
    printf("ratio     zeroipc/this: latency, zeroipc's time / this one's "
           "(< 1: zeroipc faster); throughput, zeroipc's rate / this one's "
           "(> 1: zeroipc faster)\n");
    fflush(stdout);

    int64_t start = bench_now_ns();
    for (int round = 0; round < cfg.rounds; round++) {
        fprintf(stderr, "round %d/%d ...\n", round + 1, cfg.rounds);
        for (size_t i = 0; i < ncases; i++) {
            if (!sums[i].ok)
                continue;
            if (!run_case(&cases[i])) {
                char name[128];
                sums[i].ok = false;
                fprintf(stderr, "  [%s] FAILED\n",
                        case_name(&cases[i], name, sizeof name));
                continue;
            }
            collect(&sums[i], &cases[i]);
            sums[i].runs++;
        }
    }
    for (size_t i = 0; i < ncases; i++)
        summarize(&sums[i]);

    int failures = print_latency(cases, sums, ncases, ONE_CPU);
    failures += print_latency(cases, sums, ncases, TWO_CPUS);
    failures += print_idle(cases, sums, ncases);
    failures += print_throughput(cases, sums, ncases);
    printf("\n");
    bench_print_load("after ");
    printf("total %.1f s; %s\n", (double)(bench_now_ns() - start) / 1e9,
           failures ? "SOME CASES FAILED" : "every run verified (every future "
           "woke with its value, every message arrived once and in order)");
    for (size_t i = 0; i < ncases; i++)
        free(sums[i].lat);
    return failures ? 1 : 0;
}
