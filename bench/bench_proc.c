/* bench_proc.c - see bench_proc.h. */
#include "bench_proc.h"

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_S 1000000000LL

/* ---- names and cleanup --------------------------------------------------- */

char bench_shm_name[64];
pid_t bench_parent_pid;
volatile sig_atomic_t bench_timed_out;

static void (*unlink_more_fn)(void);
/* Children of the running run, for the signal handlers to kill. */
static volatile pid_t child_pids[BENCH_MAX_CHILDREN];
static volatile sig_atomic_t child_count;

void bench_kill_children(void)
{
    for (sig_atomic_t i = 0; i < child_count; i++)
        if (child_pids[i] > 0)
            kill(child_pids[i], SIGKILL);
}

/* Async-signal-safe: shm_unlink(2) is a plain unlink, and unlink_more is
 * promised to be.  Not zeroipc_memory_unlink, which is not. */
static void unlink_names(void)
{
    shm_unlink(bench_shm_name);
    if (unlink_more_fn)
        unlink_more_fn();
}

static void at_exit_cleanup(void)
{
    if (getpid() == bench_parent_pid)
        unlink_names();
}

static void on_fatal_signal(int sig)
{
    bench_kill_children();
    unlink_names();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Kills rather than flags: waitpid() then returns by itself, and no
 * window remains in which the alarm could be missed. */
static void on_alarm(int sig)
{
    (void)sig;
    bench_timed_out = 1;
    bench_kill_children();
}

void bench_proc_init(const char *prefix, void (*unlink_more)(void))
{
    bench_parent_pid = getpid();
    snprintf(bench_shm_name, sizeof bench_shm_name, "%s-%d", prefix,
             (int)bench_parent_pid);
    unlink_more_fn = unlink_more;
    atexit(at_exit_cleanup);

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

/* ---- a run's children ---------------------------------------------------- */

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

int bench_run_pipes(struct bench_run *r)
{
    bench_timed_out = 0;
    if (pipe(r->ready) != 0 || pipe(r->go) != 0) {
        perror("pipe");
        return -1;
    }
    return 0;
}

int bench_run_fork(struct bench_run *r, int n,
                   void (*child)(int i, int ready_fd, int go_fd, void *arg),
                   void *arg)
{
    r->wanted = n;
    fflush(NULL);
    for (int i = 0; i < n && i < BENCH_MAX_CHILDREN; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            break;
        }
        if (pid == 0) {
            close(r->ready[0]);
            close(r->go[1]);
            child(i, r->ready[1], r->go[0], arg);
            _exit(1);           /* child() must not return; in case */
        }
        child_pids[i] = pid;
        child_count = i + 1;
        r->started++;
    }
    close_fd(&r->ready[1]);
    close_fd(&r->go[0]);
    return r->started;
}

bool bench_run_start(struct bench_run *r, unsigned timeout_s)
{
    while (r->started == r->wanted && r->nready < r->wanted) {
        char buf[BENCH_MAX_CHILDREN];
        ssize_t n = read(r->ready[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        r->nready += (int)n;
    }
    close_fd(&r->ready[0]);
    r->go_ns = bench_now_ns();
    alarm(timeout_s);
    if (r->nready == r->wanted) {
        close_fd(&r->go[1]);
        return true;
    }
    bench_kill_children();
    return false;
}

int bench_run_reap(struct bench_run *r, const char *label)
{
    int failed = 0;
    for (sig_atomic_t i = 0; i < child_count; i++) {
        int status;
        pid_t pid;
        while ((pid = waitpid(child_pids[i], &status, 0)) < 0 && errno == EINTR)
            ;
        if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            if (label && !bench_timed_out && pid > 0 && WIFSIGNALED(status))
                fprintf(stderr, "  [%s] child killed by signal %d\n", label,
                        WTERMSIG(status));
            failed++;
        }
        child_pids[i] = 0;
    }
    child_count = 0;
    alarm(0);
    (void)r;
    return failed;
}

void bench_run_close(struct bench_run *r)
{
    for (int i = 0; i < 2; i++) {
        close_fd(&r->ready[i]);
        close_fd(&r->go[i]);
    }
}

/* A child's death signal: the parent is gone, perhaps by SIGKILL, which
 * unlinks nothing. */
static void on_parent_death(int sig)
{
    (void)sig;
    unlink_names();
    _exit(1);
}

void bench_child_init(void)
{
    /* Die with the parent; a parent that died before the prctl is seen
     * by its pid changing. */
    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGTERM, on_parent_death);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != bench_parent_pid)
        on_parent_death(SIGTERM);
}

void bench_child_ready(int ready_fd, int go_fd)
{
    if (bench_write_all(ready_fd, "r", 1) != 0)
        _exit(1);
    close(ready_fd);
    /* The parent starts everyone at once by closing the write end. */
    char c;
    while (read(go_fd, &c, 1) < 0 && errno == EINTR)
        ;
    close(go_fd);
}

/* ---- clocks, CPUs, file descriptors -------------------------------------- */

int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

int64_t bench_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

void bench_sleep_ns(int64_t ns)
{
    struct timespec d = {(time_t)(ns / NS_PER_S), (long)(ns % NS_PER_S)};
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &d, &d) == EINTR)
        ;
}

int bench_pin_to(int nth)
{
    cpu_set_t set, one;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return -1;
    nth %= CPU_COUNT(&set);
    CPU_ZERO(&one);
    for (int cpu = 0, seen = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &set) && seen++ == nth) {
            CPU_SET(cpu, &one);
            return sched_setaffinity(0, sizeof one, &one);
        }
    return -1;
}

int bench_write_all(int fd, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    while (len > 0) {
        ssize_t k = write(fd, p, len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

/* ---- an idle waiter's cost ----------------------------------------------- */

void bench_idle_begin(struct bench_idle_mark *m)
{
    getrusage(RUSAGE_SELF, &m->ru);
    m->cpu_ns = bench_cpu_ns();
    m->wall_ns = bench_now_ns();
}

/* The reverse order of bench_idle_begin, so neither clock counts the
 * other's reading. */
void bench_idle_end(const struct bench_idle_mark *m, struct bench_idle_sample *s)
{
    int64_t t1 = bench_now_ns(), c1 = bench_cpu_ns();
    struct rusage r1;
    getrusage(RUSAGE_SELF, &r1);
    s->wall_ns = t1 - m->wall_ns;
    s->cpu_ns = c1 - m->cpu_ns;
    s->woke_ns = t1;
    s->sleeps = r1.ru_nvcsw - m->ru.ru_nvcsw;
}

void bench_idle_record(struct bench_idle_rounds *ir, int round,
                       const struct bench_idle_sample *s, double late_us)
{
    ir->wall_s[round] = (double)s->wall_ns / 1e9;
    ir->cpu_ms[round] = (double)s->cpu_ns / 1e6;
    ir->late_us[round] = late_us;
    ir->sleeps[round] = (double)s->sleeps;
}

double bench_idle_share(const struct bench_idle_rounds *ir, int runs)
{
    double share[BENCH_MAX_ROUNDS];
    for (int r = 0; r < runs; r++)
        share[r] = 100.0 * ir->cpu_ms[r] / (ir->wall_s[r] * 1e3);
    return bench_median(share, runs);
}

void bench_print_idle_head(int width)
{
    printf("%-*s %8s %8s %9s %8s %9s\n", width, "waiter", "waited s", "CPU ms",
           "% of core", "sleeps", "late us");
}

void bench_print_idle_row(int width, const char *label,
                          const struct bench_idle_rounds *ir, int runs)
{
    printf("%-*s %8.3f %8.2f %8.2f%% %8.0f %9.1f\n", width, label,
           bench_median(ir->wall_s, runs), bench_median(ir->cpu_ms, runs),
           bench_idle_share(ir, runs), bench_median(ir->sleeps, runs),
           bench_median(ir->late_us, runs));
}

/* ---- statistics ----------------------------------------------------------- */

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

void bench_sort_i64(int64_t *v, size_t n)
{
    qsort(v, n, sizeof v[0], cmp_i64);
}

size_t bench_rank(size_t n, double q)
{
    size_t k = (size_t)(q * (double)n + 0.999999);
    return k == 0 ? 0 : (k > n ? n - 1 : k - 1);
}

void bench_latency_quantiles(int64_t *v, size_t n, double div,
                             double *median, double *p99)
{
    bench_sort_i64(v, n);
    *median = (double)v[bench_rank(n, 0.5)] / div;
    *p99 = (double)v[bench_rank(n, 0.99)] / div;
}

/* The median rather than the mean or the best: one preempted run on a
 * small or shared machine should neither drag a row down nor flatter it. */
double bench_median(const double *v, int n)
{
    double s[BENCH_MAX_SAMPLES];
    memcpy(s, v, sizeof s[0] * (size_t)n);
    qsort(s, (size_t)n, sizeof s[0], cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

void bench_range(const double *v, int n, double *lo, double *hi)
{
    *lo = *hi = v[0];
    for (int i = 1; i < n; i++) {
        if (v[i] < *lo)
            *lo = v[i];
        if (v[i] > *hi)
            *hi = v[i];
    }
}

/* ---- options --------------------------------------------------------------- */

uint64_t bench_parse_num(const char *s, char opt, uint64_t lo, uint64_t hi)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
        fprintf(stderr, "-%c: expected a number from %" PRIu64 " to %" PRIu64
                ", got '%s'\n", opt, lo, hi, s);
        exit(2);
    }
    return (uint64_t)v;
}
