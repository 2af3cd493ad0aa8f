/*
 * bench_proc.h - what the cross-process benchmarks (queue_bench.c,
 * wake_bench.c, codata_bench.c) do alike around their measurements: the
 * segment's name and its cleanup, the children of a run (fork, a start
 * line, a deadline, reaping), clocks, CPU pinning, and the statistics and
 * option parsing they share.  What they measure stays in each program.
 *
 * One parent, many short-lived children: the state below is the parent's
 * (a child inherits a copy and uses only the name).  Not thread-safe; the
 * benchmarks are single-threaded processes.
 */
#ifndef ZEROIPC_BENCH_PROC_H
#define ZEROIPC_BENCH_PROC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#define BENCH_MAX_ROUNDS 99         /* -r at most, in every benchmark */
#define BENCH_MAX_CHILDREN 128      /* processes of one run at most */
#define BENCH_MAX_SAMPLES 1024      /* values bench_median() takes at most */

/* ---- names and cleanup --------------------------------------------------- */

/* "/<prefix>-<pid>": carries our pid, so parallel runs never collide. */
extern char bench_shm_name[64];
extern pid_t bench_parent_pid;
/* Set by the SIGALRM handler when a run passed its deadline. */
extern volatile sig_atomic_t bench_timed_out;

/*
 * Names the segment after prefix and our pid; unlinks it at exit (in the
 * parent only) and on SIGINT/SIGTERM/SIGHUP, killing the children first;
 * SIGALRM (the deadline of bench_run_start) kills the children and sets
 * bench_timed_out.  unlink_more, if not NULL, unlinks the program's other
 * names at the same moments: it runs in a signal handler, so it must be
 * async-signal-safe (shm_unlink(2) and mq_unlink(2) are).
 */
void bench_proc_init(const char *prefix, void (*unlink_more)(void));

/* SIGKILL to every child of the running run. */
void bench_kill_children(void);

/* ---- a run's children ---------------------------------------------------- */

/*
 * Children start together: each reports ready on one pipe once attached,
 * and the parent releases all of them at once by closing the write end of
 * another, so fork and attach stay outside the timing.
 */
struct bench_run {
    int ready[2], go[2];
    int wanted;                 /* children asked for */
    int started;                /* children forked */
    int nready;                 /* children that reported ready */
    int64_t go_ns;              /* CLOCK_MONOTONIC just before the release */
};
#define BENCH_RUN_INIT {{-1, -1}, {-1, -1}, 0, 0, 0, 0}

/* Makes both pipes and clears bench_timed_out: 0, or -1 after perror. */
int bench_run_pipes(struct bench_run *r);

/*
 * Forks n children (stdio flushed first, or every child would write it
 * again); child n runs child(i, ready_fd, go_fd, arg), which must end in
 * _exit (never exit: the parent's atexit cleanup must not run there).  A
 * failed fork is reported and stops the forking; bench_run_start then
 * kills the ones already started.  Returns the number started.
 */
int bench_run_fork(struct bench_run *r, int n,
                   void (*child)(int i, int ready_fd, int go_fd, void *arg),
                   void *arg);

/*
 * Waits until every child reported ready (end of file first means one
 * died), arms the deadline of timeout_s seconds and releases them all, or
 * kills them all if one is missing.  True if all were released.
 */
bool bench_run_start(struct bench_run *r, unsigned timeout_s);

/*
 * Waits for every child and disarms the deadline: the number that did not
 * exit with 0.  With label, a child killed by a signal other than our
 * deadline's is reported as "  [label] child killed by signal N".
 */
int bench_run_reap(struct bench_run *r, const char *label);

/* Closes what is left of the pipes. */
void bench_run_close(struct bench_run *r);

/* In a child, first: dies with the parent (PR_SET_PDEATHSIG), unlinking
 * the names first in case the parent, killed by SIGKILL, could not. */
void bench_child_init(void);

/* In a child, once attached: says ready and waits for the release;
 * _exit(1) if the parent cannot be told. */
void bench_child_ready(int ready_fd, int go_fd);

/* ---- clocks, CPUs, file descriptors -------------------------------------- */

int64_t bench_now_ns(void);     /* CLOCK_MONOTONIC, shared by all processes */
int64_t bench_cpu_ns(void);     /* this process's CPU time */
void bench_sleep_ns(int64_t ns);    /* the whole time, despite signals */

/* Pins the caller to the nth CPU it may use (modulo their number): 0 or
 * -1.  A pin that does not hold would measure something else, so callers
 * fail the run. */
int bench_pin_to(int nth);

/* All of buf, despite EINTR and short writes: 0 or -1. */
int bench_write_all(int fd, const void *buf, size_t len);

/* ---- an idle waiter's cost ----------------------------------------------- */

/* Taken around one wait: wall and CPU time, voluntary context switches. */
struct bench_idle_mark {
    struct rusage ru;
    int64_t cpu_ns, wall_ns;
};
struct bench_idle_sample {
    int64_t wall_ns, cpu_ns;
    int64_t woke_ns;            /* when the wait ended */
    long sleeps;                /* voluntary context switches */
};
void bench_idle_begin(struct bench_idle_mark *m);
void bench_idle_end(const struct bench_idle_mark *m, struct bench_idle_sample *s);

/* Every round's figures of one idle case, and the table they print in. */
struct bench_idle_rounds {
    double wall_s[BENCH_MAX_ROUNDS], cpu_ms[BENCH_MAX_ROUNDS];
    double late_us[BENCH_MAX_ROUNDS], sleeps[BENCH_MAX_ROUNDS];
};
void bench_idle_record(struct bench_idle_rounds *ir, int round,
                       const struct bench_idle_sample *s, double late_us);
/* The median of the rounds' CPU as a percentage of the wall time. */
double bench_idle_share(const struct bench_idle_rounds *ir, int runs);
/* The table's heading, its first column `width` wide. */
void bench_print_idle_head(int width);
/* One row: medians of the rounds. */
void bench_print_idle_row(int width, const char *label,
                          const struct bench_idle_rounds *ir, int runs);

/* ---- statistics ----------------------------------------------------------- */

void bench_sort_i64(int64_t *v, size_t n);
/* Nearest rank on n sorted values: the index of the smallest value with
 * at least a share q of them at or below it. */
size_t bench_rank(size_t n, double q);
/* Sorts n >= 1 latencies (ns) and gives their median and 99th
 * percentile (nearest rank) divided by div: 1e3 for us, 2e3 for half a
 * round trip in us. */
void bench_latency_quantiles(int64_t *v, size_t n, double div,
                             double *median, double *p99);
/* The median of n values (n <= BENCH_MAX_SAMPLES), v left unsorted. */
double bench_median(const double *v, int n);
/* The smallest and the largest of n >= 1 values. */
void bench_range(const double *v, int n, double *lo, double *hi);

/* ---- options --------------------------------------------------------------- */

/* A decimal number from lo to hi for option -opt; exits with 2 and a
 * message otherwise. */
uint64_t bench_parse_num(const char *s, char opt, uint64_t lo, uint64_t hi);

#endif
