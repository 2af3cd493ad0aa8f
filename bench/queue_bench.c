/*
 * queue_bench.c - cross-process queue throughput of libzeroipc against what
 * a user would pick instead (POSIX message queues, pipes), side by side in
 * one run, with 8-byte elements.
 *
 * Method.  Every case forks its producers and consumers as separate
 * processes.  They attach by name, as unrelated programs would (the
 * segment and the message queue are opened again in each child, not used
 * through inherited handles), report ready, and wait at a start line, so
 * that creation, fork and attach stay outside the timing.  The clock runs
 * from the start signal to the moment the last consumer has received its
 * end marker, on CLOCK_MONOTONIC, which every process shares.  Each case
 * runs once per round, the rounds interleave the cases, and the table
 * shows each case's median run with the range over the rounds.
 *
 * End of stream.  The last producer to finish pushes one end marker per
 * consumer.  Every element was pushed before that, so FIFO order puts all
 * markers behind all elements: no consumer stops early, none waits forever.
 *
 * Verification.  A benchmark that measures a broken queue is worse than
 * none.  The elements are the numbers 1..N, split among the producers;
 * every consumer counts and checksums what it receives (a sum of mixed
 * values, so a loss and a duplicate do not cancel), and a lone consumer
 * also checks each producer's FIFO order.  A mismatch, a failed child or a
 * case that exceeds its timeout makes the run exit non-zero.
 *
 * Cleanup.  Shared-memory and message-queue names carry our pid and are
 * unlinked after each case, at exit, and on SIGINT/SIGTERM/SIGHUP;
 * children die with the parent (PR_SET_PDEATHSIG), unlinking the names
 * first in case the parent could not, so a killed run leaves no process.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <mqueue.h>
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

#include "zeroipc_memory.h"
#include "zeroipc_queue.h"

#include "bench_proc.h"
#include "machine.h"

#define MAX_SIDE 64                   /* producers, and consumers, at most */
#define END_MARKER UINT64_MAX         /* never an element: those are 1..N */
#define QUEUE_NAME "bench"

_Static_assert(2 * MAX_SIDE <= BENCH_MAX_CHILDREN,
               "bench_proc.c tracks every process of a run");
#define MAX_ROUNDS BENCH_MAX_ROUNDS

/* ---- configuration ---------------------------------------------------- */

static struct {
    uint64_t spsc_elements;
    uint64_t mpmc_elements;
    int producers;
    int consumers;
    uint64_t queue_capacity;
    long mq_depth;              /* 0: take fs.mqueue.msg_max */
    int pipe_batch;             /* elements per write in the batched case */
    unsigned timeout_s;
    int rounds;
    const char *only;           /* run only cases whose name contains it */
} cfg = {
    /* Sized so that the whole run (all rounds) takes 30-60 s on a 2-CPU
     * machine, most of it in the message-queue cases. */
    .spsc_elements = 3000000,
    .mpmc_elements = 3000000,
    .producers = 4,
    .consumers = 4,
    .queue_capacity = 1024,
    .mq_depth = 0,
    .pipe_batch = PIPE_BUF / 8,
    .timeout_s = 120,
    .rounds = 5,
};

/* ---- names and cleanup ------------------------------------------------- */

/* The segment's name and its cleanup, the children and their deadline:
 * bench_proc.c; the message queue's name is ours. */
static char mq_name[64];

/* Async-signal-safe: a plain mq_unlink(2). */
static void unlink_mq(void)
{
    mq_unlink(mq_name);
}

/* ---- small helpers ------------------------------------------------------- */

/* splitmix64's finalizer: summing mixed values, unlike plain values, makes
 * it vanishingly unlikely that a lost and a duplicated element cancel. */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9u;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebu;
    x ^= x >> 31;
    return x;
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* The retry variant spins briefly (a peer on another core will be done in
 * nanoseconds), then yields, since with more processes than cores the peer
 * it waits for may need this very core to make progress. */
static void backoff(unsigned *tries)
{
    if (++*tries < 64)
        cpu_relax();
    else
        sched_yield();
}

/* ---- one case ------------------------------------------------------------ */

struct transport;

struct bench_case {
    const char *group;          /* "spsc" or "mpmc" */
    const struct transport *t;
    int producers;
    int consumers;
    uint64_t elements;
};

/* What one child process holds; each transport uses its own fields. */
struct worker {
    const struct bench_case *bc;
    bool producer;
    int index;                  /* among the producers, or the consumers */
    zeroipc_memory_t *mem;
    zeroipc_queue_t *q;
    mqd_t mq;
    int fd;
    unsigned char *buf;         /* batched pipe: pending bytes */
    size_t pos, len;
};

struct transport {
    const char *label;
    bool one_consumer;          /* cannot split a byte stream among readers */
    int (*setup)(void);                            /* parent, before fork */
    int (*attach)(struct worker *w);               /* child, before start */
    int (*send)(struct worker *w, uint64_t v);
    int (*recv)(struct worker *w, uint64_t *v);
    int (*flush)(struct worker *w);                /* NULL: nothing held */
    void (*teardown)(void);                        /* parent, after reaping */
};

/* What the parent keeps of a case's resources between setup and teardown. */
static struct {
    zeroipc_memory_t *mem;
    zeroipc_queue_t *q;
    mqd_t mq;
    int pipe[2];
    long mq_depth;
} fx = {.mq = (mqd_t)-1, .pipe = {-1, -1}};

/* Results, in an anonymous shared mapping inherited by every child. */
struct consumer_result {
    uint64_t count;
    uint64_t hash;
    int64_t end_ns;
    int done;
};

static struct shared_state {
    atomic_uint producers_left;
    struct consumer_result consumer[MAX_SIDE];
} *shared;

static void child_error(const struct worker *w, const char *what,
                        const char *detail)
{
    fprintf(stderr, "  [%s %s, %s %d] %s: %s\n", w->bc->group, w->bc->t->label,
            w->producer ? "producer" : "consumer", w->index, what, detail);
}

/* ---- zeroipc queue ------------------------------------------------------- */

static int zq_setup(void)
{
    size_t foot = zeroipc_queue_footprint(8, (size_t)cfg.queue_capacity);
    if (foot == 0) {
        fprintf(stderr, "queue capacity %" PRIu64 " is impossible\n",
                cfg.queue_capacity);
        return -1;
    }
    /* Room for the table, the queue, and whatever the library adds beside
     * it (its type catalogue), rounded to pages. */
    size_t max_entries = 16;
    size_t size = ZEROIPC_HEADER_SIZE + ZEROIPC_ENTRY_SIZE * max_entries +
                  foot + 65536;
    size = (size + 4095) & ~(size_t)4095;
    fx.mem = zeroipc_memory_create(bench_shm_name, size, max_entries);
    if (!fx.mem) {
        fprintf(stderr, "zeroipc_memory_create(%s): %s\n", bench_shm_name,
                zeroipc_error_string(zeroipc_last_error()));
        return -1;
    }
    fx.q = zeroipc_queue_create(fx.mem, QUEUE_NAME, 8,
                                (size_t)cfg.queue_capacity);
    if (!fx.q) {
        fprintf(stderr, "zeroipc_queue_create: %s\n",
                zeroipc_error_string(zeroipc_last_error()));
        return -1;
    }
    return 0;
}

static int zq_attach(struct worker *w)
{
    w->mem = zeroipc_memory_open(bench_shm_name);
    if (!w->mem) {
        child_error(w, "zeroipc_memory_open",
                    zeroipc_error_string(zeroipc_last_error()));
        return -1;
    }
    w->q = zeroipc_queue_open(w->mem, QUEUE_NAME);
    if (!w->q) {
        child_error(w, "zeroipc_queue_open",
                    zeroipc_error_string(zeroipc_last_error()));
        return -1;
    }
    return 0;
}

static int zq_send_wait(struct worker *w, uint64_t v)
{
    int rc = zeroipc_queue_push_wait(w->q, &v);
    if (rc != ZEROIPC_OK)
        child_error(w, "zeroipc_queue_push_wait", zeroipc_error_string(rc));
    return rc;
}

static int zq_recv_wait(struct worker *w, uint64_t *v)
{
    int rc = zeroipc_queue_pop_wait(w->q, v);
    if (rc != ZEROIPC_OK)
        child_error(w, "zeroipc_queue_pop_wait", zeroipc_error_string(rc));
    return rc;
}

static int zq_send_retry(struct worker *w, uint64_t v)
{
    unsigned tries = 0;
    int rc;
    while ((rc = zeroipc_queue_push(w->q, &v)) == ZEROIPC_ERROR_SIZE)
        backoff(&tries);
    if (rc != ZEROIPC_OK)
        child_error(w, "zeroipc_queue_push", zeroipc_error_string(rc));
    return rc;
}

static int zq_recv_retry(struct worker *w, uint64_t *v)
{
    unsigned tries = 0;
    int rc;
    while ((rc = zeroipc_queue_pop(w->q, v)) == ZEROIPC_ERROR_NOT_FOUND)
        backoff(&tries);
    if (rc != ZEROIPC_OK)
        child_error(w, "zeroipc_queue_pop", zeroipc_error_string(rc));
    return rc;
}

static void zq_teardown(void)
{
    zeroipc_queue_close(fx.q);
    zeroipc_memory_close(fx.mem);
    fx.q = NULL;
    fx.mem = NULL;
    zeroipc_memory_unlink(bench_shm_name);
}

/* ---- POSIX message queue ------------------------------------------------- */

static int mq_setup(void)
{
    struct mq_attr attr = {.mq_maxmsg = fx.mq_depth, .mq_msgsize = 8};
    mq_unlink(mq_name);
    fx.mq = mq_open(mq_name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
    if (fx.mq == (mqd_t)-1) {
        fprintf(stderr, "mq_open(%s, maxmsg %ld): %s\n", mq_name, fx.mq_depth,
                strerror(errno));
        return -1;
    }
    return 0;
}

static int mq_attach(struct worker *w)
{
    w->mq = mq_open(mq_name, w->producer ? O_WRONLY : O_RDONLY);
    if (w->mq == (mqd_t)-1) {
        child_error(w, "mq_open", strerror(errno));
        return -1;
    }
    return 0;
}

static int mq_send_one(struct worker *w, uint64_t v)
{
    while (mq_send(w->mq, (const char *)&v, sizeof v, 0) != 0) {
        if (errno != EINTR) {
            child_error(w, "mq_send", strerror(errno));
            return -1;
        }
    }
    return 0;
}

static int mq_recv_one(struct worker *w, uint64_t *v)
{
    ssize_t n;
    while ((n = mq_receive(w->mq, (char *)v, sizeof *v, NULL)) < 0) {
        if (errno != EINTR) {
            child_error(w, "mq_receive", strerror(errno));
            return -1;
        }
    }
    if (n != (ssize_t)sizeof *v) {
        child_error(w, "mq_receive", "short message");
        return -1;
    }
    return 0;
}

static void mq_teardown(void)
{
    if (fx.mq != (mqd_t)-1)
        mq_close(fx.mq);
    fx.mq = (mqd_t)-1;
    mq_unlink(mq_name);
}

/* ---- pipe ---------------------------------------------------------------- */

static int pipe_setup(void)
{
    if (pipe(fx.pipe) != 0) {
        perror("pipe");
        return -1;
    }
    return 0;
}

/* Each side closes the end it does not use, as separate programs would
 * hold only one end. */
static int pipe_attach(struct worker *w)
{
    w->fd = w->producer ? fx.pipe[1] : fx.pipe[0];
    close(w->producer ? fx.pipe[0] : fx.pipe[1]);
    return 0;
}

/* 8 bytes is below PIPE_BUF, so each write is atomic even with several
 * writers, and a pipe only ever holds whole elements. */
static int pipe_send_one(struct worker *w, uint64_t v)
{
    if (bench_write_all(w->fd, &v, sizeof v) != 0) {
        child_error(w, "write", strerror(errno));
        return -1;
    }
    return 0;
}

/* With whole elements only in the pipe (above), a read of 8 bytes takes
 * one whole element under the pipe's lock, so several readers may share
 * it; a short read would mean that reasoning broke, and fails the case. */
static int pipe_recv_one(struct worker *w, uint64_t *v)
{
    ssize_t n;
    while ((n = read(w->fd, v, sizeof *v)) < 0 && errno == EINTR)
        ;
    if (n != (ssize_t)sizeof *v) {
        child_error(w, "read", n < 0 ? strerror(errno)
                                     : n == 0 ? "end of file" : "short read");
        return -1;
    }
    return 0;
}

static int pipe_batch_attach(struct worker *w)
{
    pipe_attach(w);
    /* The reader takes whatever is there, up to the default pipe size. */
    w->buf = malloc(w->producer ? (size_t)cfg.pipe_batch * 8 : 65536);
    w->pos = w->len = 0;
    if (!w->buf) {
        child_error(w, "malloc", strerror(errno));
        return -1;
    }
    return 0;
}

static int pipe_batch_flush(struct worker *w)
{
    if (w->len > 0 && bench_write_all(w->fd, w->buf, w->len) != 0) {
        child_error(w, "write", strerror(errno));
        return -1;
    }
    w->len = 0;
    return 0;
}

static int pipe_batch_send(struct worker *w, uint64_t v)
{
    memcpy(w->buf + w->len, &v, sizeof v);
    w->len += sizeof v;
    if (w->len == (size_t)cfg.pipe_batch * 8)
        return pipe_batch_flush(w);
    return 0;
}

/* A single reader, so a read may end inside an element: keep the partial
 * bytes and complete them with the next read. */
static int pipe_batch_recv(struct worker *w, uint64_t *v)
{
    while (w->len - w->pos < sizeof *v) {
        size_t rest = w->len - w->pos;
        memmove(w->buf, w->buf + w->pos, rest);
        w->pos = 0;
        w->len = rest;
        ssize_t n = read(w->fd, w->buf + rest, 65536 - rest);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            child_error(w, "read", n < 0 ? strerror(errno) : "end of file");
            return -1;
        }
        w->len += (size_t)n;
    }
    memcpy(v, w->buf + w->pos, sizeof *v);
    w->pos += sizeof *v;
    return 0;
}

static void pipe_teardown(void)
{
    for (int i = 0; i < 2; i++) {
        if (fx.pipe[i] >= 0)
            close(fx.pipe[i]);
        fx.pipe[i] = -1;
    }
}

/* ---- the transports ------------------------------------------------------ */

static const struct transport t_zq_wait = {
    "zeroipc queue, push/pop_wait", false, zq_setup, zq_attach,
    zq_send_wait, zq_recv_wait, NULL, zq_teardown};
static const struct transport t_zq_retry = {
    "zeroipc queue, retry push/pop", false, zq_setup, zq_attach,
    zq_send_retry, zq_recv_retry, NULL, zq_teardown};
static const struct transport t_mq = {
    "POSIX mq", false, mq_setup, mq_attach,
    mq_send_one, mq_recv_one, NULL, mq_teardown};
static const struct transport t_pipe = {
    "pipe, 8 B per write/read", false, pipe_setup, pipe_attach,
    pipe_send_one, pipe_recv_one, NULL, pipe_teardown};
static const struct transport t_pipe_batch = {
    "pipe, batched writes", true, pipe_setup, pipe_batch_attach,
    pipe_batch_send, pipe_batch_recv, pipe_batch_flush, pipe_teardown};

/* ---- child processes ----------------------------------------------------- */

static int run_producer(struct worker *w)
{
    const struct bench_case *bc = w->bc;
    const struct transport *t = bc->t;
    uint64_t p = (uint64_t)bc->producers;
    uint64_t share = bc->elements / p +
                     ((uint64_t)w->index < bc->elements % p ? 1 : 0);

    /* Producer i sends the numbers congruent to i+1 modulo p, so together
     * the producers send exactly 1..N, each once. */
    for (uint64_t s = 0; s < share; s++)
        if (t->send(w, s * p + (uint64_t)w->index + 1) != 0)
            return -1;
    if (t->flush && t->flush(w) != 0)
        return -1;

    /* acq_rel: the last producer's markers must follow every other
     * producer's elements, which their decrement published. */
    if (atomic_fetch_sub_explicit(&shared->producers_left, 1,
                                  memory_order_acq_rel) == 1) {
        for (int c = 0; c < bc->consumers; c++)
            if (t->send(w, END_MARKER) != 0)
                return -1;
        if (t->flush && t->flush(w) != 0)
            return -1;
    }
    return 0;
}

static int run_consumer(struct worker *w)
{
    const struct bench_case *bc = w->bc;
    uint64_t p = (uint64_t)bc->producers;
    uint64_t last[MAX_SIDE] = {0};
    uint64_t count = 0, hash = 0, v;

    for (;;) {
        if (bc->t->recv(w, &v) != 0)
            return -1;
        if (v == END_MARKER)
            break;
        if (v == 0 || v > bc->elements) {
            char msg[64];
            snprintf(msg, sizeof msg, "element %" PRIu64 " out of range", v);
            child_error(w, "verify", msg);
            return -1;
        }
        /* Alone, a consumer sees each producer's elements in the order they
         * were sent; with several, the interleaving is legitimately free. */
        if (bc->consumers == 1) {
            uint64_t from = (v - 1) % p;
            if (v <= last[from]) {
                char msg[96];
                snprintf(msg, sizeof msg, "element %" PRIu64 " after %" PRIu64
                         " from one producer", v, last[from]);
                child_error(w, "FIFO order", msg);
                return -1;
            }
            last[from] = v;
        }
        count++;
        hash += mix(v);
    }
    struct consumer_result *r = &shared->consumer[w->index];
    r->end_ns = bench_now_ns();
    r->count = count;
    r->hash = hash;
    r->done = 1;
    return 0;
}

/* Process i of the run: the consumers first, then the producers; arg is
 * its case.  Ends in _exit. */
static void child_main(int i, int ready_fd, int go_fd, void *arg)
{
    const struct bench_case *bc = arg;
    struct worker w = {
        .bc = bc,
        .producer = i >= bc->consumers,
        .index = i >= bc->consumers ? i - bc->consumers : i,
        .mq = (mqd_t)-1,
        .fd = -1,
    };
    /* Die with the parent, so an interrupted run leaves nothing running. */
    bench_child_init();
    if (bc->t->attach(&w) != 0)
        _exit(1);
    bench_child_ready(ready_fd, go_fd);
    int rc = w.producer ? run_producer(&w) : run_consumer(&w);
    /* _exit, not exit: the parent's atexit cleanup must not run here. */
    _exit(rc == 0 ? 0 : 1);
}

/* ---- the parent ---------------------------------------------------------- */

struct result {
    bool ok;
    double seconds;             /* start signal to the last end marker */
};

static struct result run_case(const struct bench_case *bc)
{
    struct result res = {false, 0};
    struct bench_run run = BENCH_RUN_INIT;
    int nprocs = bc->producers + bc->consumers;
    char label[64];
    snprintf(label, sizeof label, "%s %s", bc->group, bc->t->label);

    memset(shared, 0, sizeof *shared);
    atomic_store(&shared->producers_left, (unsigned)bc->producers);

    if (bc->t->setup() != 0 || bench_run_pipes(&run) != 0)
        goto out;
    bench_run_fork(&run, nprocs, child_main, (void *)bc);
    /* Every child reports once it has attached; the clock starts at the
     * release (run.go_ns). */
    bool started = bench_run_start(&run, cfg.timeout_s);
    int failed = bench_run_reap(&run, label);
    int64_t t0 = run.go_ns;

    if (bench_timed_out) {
        fprintf(stderr, "  [%s] timed out after %u s\n", label, cfg.timeout_s);
        goto out;
    }
    if (failed || !started)
        goto out;

    /* Verify the union of what the consumers received is exactly 1..N. */
    uint64_t count = 0, hash = 0, want_hash = 0;
    int64_t end = t0;
    for (int c = 0; c < bc->consumers; c++) {
        const struct consumer_result *r = &shared->consumer[c];
        if (!r->done)
            goto out;
        count += r->count;
        hash += r->hash;
        if (r->end_ns > end)
            end = r->end_ns;
    }
    for (uint64_t v = 1; v <= bc->elements; v++)
        want_hash += mix(v);
    if (count != bc->elements || hash != want_hash) {
        fprintf(stderr, "  [%s %s] received %" PRIu64 " of %" PRIu64
                " elements, checksum %s\n", bc->group, bc->t->label, count,
                bc->elements, hash == want_hash ? "ok" : "WRONG");
        goto out;
    }
    res.ok = true;
    /* A run too short for the clock still counts, as one nanosecond. */
    res.seconds = (double)(end > t0 ? end - t0 : 1) / 1e9;
out:
    bench_run_close(&run);
    bc->t->teardown();
    return res;
}

/* ---- command line ---------------------------------------------------------- */

static void usage(FILE *out, const char *prog)
{
    fprintf(out,
        "usage: %s [options]\n"
        "Cross-process throughput of the zeroipc queue, POSIX message queues\n"
        "and pipes, 8-byte elements, verified; exits non-zero if any case fails.\n"
        "  -n N   SPSC elements (default %" PRIu64 ")\n"
        "  -m N   MPMC elements in total (default %" PRIu64 ")\n"
        "  -p N   MPMC producer processes (default %d)\n"
        "  -c N   MPMC consumer processes (default %d)\n"
        "  -q N   zeroipc queue capacity, rounded up to a power of two (default %" PRIu64 ")\n"
        "  -d N   POSIX mq depth (default: /proc/sys/fs/mqueue/msg_max)\n"
        "  -b N   elements per write in the batched pipe case, 1..%d (default %d)\n"
        "  -r N   rounds; each case runs once per round (default %d)\n"
        "  -t S   timeout of one run of a case, in seconds (default %u)\n"
        "  -o STR only the cases whose \"mode transport\" contains STR\n"
        "  -h     this help\n",
        prog, cfg.spsc_elements, cfg.mpmc_elements, cfg.producers,
        cfg.consumers, cfg.queue_capacity, PIPE_BUF / 8, cfg.pipe_batch,
        cfg.rounds, cfg.timeout_s);
}

static void parse_args(int argc, char **argv)
{
    int opt;
    /* Any count below END_MARKER would be correct: the cap only keeps a
     * typo from running for a day. */
    const uint64_t max_elements = UINT64_C(1) << 40;
    while ((opt = getopt(argc, argv, "n:m:p:c:q:d:b:r:t:o:h")) != -1) {
        switch (opt) {
        case 'n': cfg.spsc_elements = bench_parse_num(optarg, 'n', 1, max_elements); break;
        case 'm': cfg.mpmc_elements = bench_parse_num(optarg, 'm', 1, max_elements); break;
        case 'p': cfg.producers = (int)bench_parse_num(optarg, 'p', 1, MAX_SIDE); break;
        case 'c': cfg.consumers = (int)bench_parse_num(optarg, 'c', 1, MAX_SIDE); break;
        case 'q': cfg.queue_capacity = bench_parse_num(optarg, 'q', 1, ZEROIPC_QUEUE_MAX_CAPACITY); break;
        case 'd': cfg.mq_depth = (long)bench_parse_num(optarg, 'd', 1, 1u << 20); break;
        case 'b': cfg.pipe_batch = (int)bench_parse_num(optarg, 'b', 1, PIPE_BUF / 8); break;
        case 'r': cfg.rounds = (int)bench_parse_num(optarg, 'r', 1, MAX_ROUNDS); break;
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

/* ---- main ------------------------------------------------------------------ */

/* Every run of one case, and its median. */
struct summary {
    bool ok;
    int runs;
    double seconds[MAX_ROUNDS];
    double median_s, min_rate, max_rate, rate;
};

/* The median run (see bench_median), and the range over the rounds. */
static void summarize(struct summary *sm, uint64_t elements)
{
    if (!sm->ok || sm->runs == 0)
        return;
    double fastest, slowest;
    sm->median_s = bench_median(sm->seconds, sm->runs);
    bench_range(sm->seconds, sm->runs, &fastest, &slowest);
    sm->rate = (double)elements / sm->median_s;
    sm->max_rate = (double)elements / fastest;
    sm->min_rate = (double)elements / slowest;
}

static void print_row(const struct bench_case *bc, const struct summary *r,
                      const struct summary *base)
{
    char procs[16], ratio[16], spread[32];
    snprintf(procs, sizeof procs, "%dP/%dC", bc->producers, bc->consumers);
    if (!r->ok) {
        printf("%-4s  %-30s %6s %10" PRIu64 "  FAILED\n", bc->group,
               bc->t->label, procs, bc->elements);
        return;
    }
    if (base && base->ok && r->rate > 0)
        snprintf(ratio, sizeof ratio, "%.2fx", base->rate / r->rate);
    else
        snprintf(ratio, sizeof ratio, "-");
    snprintf(spread, sizeof spread, "%.2f-%.2f", r->min_rate / 1e6,
             r->max_rate / 1e6);
    printf("%-4s  %-30s %6s %10" PRIu64 " %8.3f %9.2f %14s %8s\n", bc->group,
           bc->t->label, procs, bc->elements, r->median_s, r->rate / 1e6,
           spread, ratio);
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);

    snprintf(mq_name, sizeof mq_name, "/zeroipc-bench-mq-%d", (int)getpid());
    bench_proc_init("/zeroipc-bench", unlink_mq);

    shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) {
        perror("mmap");
        return 1;
    }

    long msg_max = bench_read_proc_long("/proc/sys/fs/mqueue/msg_max", 10);
    fx.mq_depth = cfg.mq_depth > 0 ? cfg.mq_depth : msg_max;
    int pipe_bytes = 65536;
    {
        int p[2];
        if (pipe(p) == 0) {
            pipe_bytes = fcntl(p[0], F_GETPIPE_SZ);
            close(p[0]);
            close(p[1]);
        }
    }

    int cpus = bench_usable_cpus();
    int mpmc_procs = cfg.producers + cfg.consumers;

    printf("zeroipc queue benchmark: cross-process throughput, 8-byte elements\n");
    bench_print_machine(cpus);
    /* The library rounds the capacity up to a power of two; show what
     * is really compared. */
    uint64_t qcap = 1;
    while (qcap < cfg.queue_capacity)
        qcap <<= 1;
    printf("capacity  zeroipc queue %" PRIu64 " elements; POSIX mq %ld messages"
           " (fs.mqueue.msg_max %ld); pipe %d bytes (%d elements)\n",
           qcap, fx.mq_depth, msg_max, pipe_bytes, pipe_bytes / 8);
    printf("batch     batched pipe: %d elements (%d bytes) per write\n",
           cfg.pipe_batch, cfg.pipe_batch * 8);
    if (mpmc_procs > cpus)
        printf("note      MPMC runs %d processes on %d CPUs: it measures "
               "behaviour under preemption, not parallel speed-up\n",
               mpmc_procs, cpus);
    bench_print_load("before");
    printf("method    %d round%s, cases interleaved; median run shown, with "
           "the range over the rounds\n", cfg.rounds, cfg.rounds == 1 ? "" : "s");
    printf("ratio     zeroipc/this = median rate of the group's zeroipc "
           "push/pop_wait row / median rate of this row\n");
    fflush(stdout);

    const struct bench_case all[] = {
        {"spsc", &t_zq_wait, 1, 1, cfg.spsc_elements},
        {"spsc", &t_zq_retry, 1, 1, cfg.spsc_elements},
        {"spsc", &t_mq, 1, 1, cfg.spsc_elements},
        {"spsc", &t_pipe, 1, 1, cfg.spsc_elements},
        {"spsc", &t_pipe_batch, 1, 1, cfg.spsc_elements},
        {"mpmc", &t_zq_wait, cfg.producers, cfg.consumers, cfg.mpmc_elements},
        {"mpmc", &t_zq_retry, cfg.producers, cfg.consumers, cfg.mpmc_elements},
        {"mpmc", &t_mq, cfg.producers, cfg.consumers, cfg.mpmc_elements},
        {"mpmc", &t_pipe, cfg.producers, cfg.consumers, cfg.mpmc_elements},
    };
    struct bench_case cases[sizeof all / sizeof all[0]];
    size_t ncases = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s %s", all[i].group, all[i].t->label);
        if (all[i].t->one_consumer && all[i].consumers > 1)
            continue;
        if (cfg.only && !strstr(name, cfg.only))
            continue;
        cases[ncases++] = all[i];
    }
    struct summary sums[sizeof all / sizeof all[0]];
    for (size_t i = 0; i < ncases; i++)
        sums[i] = (struct summary){.ok = true};

    /* Rounds run every case once, in turn, so that a slow spell of the
     * machine (another tenant, a frequency change) spreads over all cases
     * instead of landing on one. */
    int64_t start = bench_now_ns();
    for (int round = 0; round < cfg.rounds; round++) {
        fprintf(stderr, "round %d/%d ...\n", round + 1, cfg.rounds);
        for (size_t i = 0; i < ncases; i++) {
            if (!sums[i].ok)
                continue;
            struct result r = run_case(&cases[i]);
            if (!r.ok) {
                sums[i].ok = false;
                fprintf(stderr, "  [%s %s] FAILED\n", cases[i].group,
                        cases[i].t->label);
                continue;
            }
            sums[i].seconds[sums[i].runs++] = r.seconds;
        }
    }

    printf("\n%-4s  %-30s %6s %10s %8s %9s %14s %8s\n", "mode", "transport",
           "procs", "elements", "seconds", "M elem/s", "range M/s",
           "zeroipc/");
    printf("%-4s  %-30s %6s %10s %8s %9s %14s %8s\n", "", "", "", "", "", "",
           "", "this");
    int failures = 0;
    const struct summary *base = NULL;
    for (size_t i = 0; i < ncases; i++) {
        summarize(&sums[i], cases[i].elements);
        /* The zeroipc wait row leads its group; a group that -o left
         * without it gets no ratios. */
        if (i == 0 || strcmp(cases[i].group, cases[i - 1].group) != 0) {
            if (i > 0)
                printf("\n");
            base = cases[i].t == &t_zq_wait ? &sums[i] : NULL;
        }
        print_row(&cases[i], &sums[i], base);
        if (!sums[i].ok)
            failures++;
    }
    printf("\n");
    bench_print_load("after ");
    printf("total %.1f s; %s\n", (double)(bench_now_ns() - start) / 1e9,
           failures ? "SOME CASES FAILED" : "every run verified "
           "(count, checksum, per-producer order with one consumer)");
    return failures ? 1 : 0;
}
