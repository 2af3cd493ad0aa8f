/*
 * struct_bench.c - the map's insert and find rates, and the ring's
 * cross-process throughput against the queue's, in one run.
 *
 * Map: a u64 -> u64 map of 2^20 slots is filled to 50 % with random keys
 * (a fixed xorshift sequence), then every key is found again and as many
 * absent keys are looked up; every found value is checked.  Ring and
 * queue: one producer and one consumer process move N 8-byte elements
 * (1..N) through a 1024-element structure with the batch calls and the
 * blocking calls when it is full or empty; the consumer checks order and
 * sum.  Each case runs `rounds` times and the median is shown.
 *
 *   struct_bench [-n ELEMENTS] [-r ROUNDS]
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "zeroipc.h"

#include "machine.h"

#define MAP_SLOTS (1u << 20)
#define XFER_CAP 1024
#define BATCH 64

static char seg_name[64];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

static void die(const char *what)
{
    fprintf(stderr, "struct_bench: %s: %s\n", what, zeroipc_error_string(zeroipc_last_error()));
    zeroipc_memory_unlink(seg_name);
    exit(1);
}

/* Inserts then finds: seconds per phase in t[0], t[1]. */
static void map_case(double t[2])
{
    zeroipc_memory_t *mem = zeroipc_memory_create(seg_name, 64u << 20, 8);
    zeroipc_type_t u64;
    zeroipc_type_parse("u64", 3, &u64);
    zeroipc_map_t *m = mem ? zeroipc_map_create(mem, "m", &u64, &u64, MAP_SLOTS) : NULL;
    if (m == NULL)
        die("map create");
    uint64_t seed = 88172645463325252ull;
    size_t n = MAP_SLOTS / 2;
    double t0 = now();
    for (size_t i = 0; i < n; i++) {
        uint64_t k = xorshift(&seed), v = k ^ 0x5555;
        if (zeroipc_map_insert(m, &k, &v) < 0)
            die("map insert");
    }
    double t1 = now();
    seed = 88172645463325252ull;
    for (size_t i = 0; i < n; i++) {
        uint64_t k = xorshift(&seed), v = 0, absent = k + 1;
        if (zeroipc_map_find(m, &k, &v) != ZEROIPC_OK || v != (k ^ 0x5555))
            die("map find");
        /* Random keys: k + 1 was inserted with odds of about 2^-44. */
        (void)zeroipc_map_find(m, &absent, NULL);
    }
    t[0] = t1 - t0;
    t[1] = now() - t1;
    zeroipc_map_close(m);
    zeroipc_memory_close(mem);
    zeroipc_memory_unlink(seg_name);
}

/* One producer process, one consumer (this one): seconds. */
static double xfer_case(bool ring, uint64_t n)
{
    zeroipc_memory_t *mem = zeroipc_memory_create(seg_name, 1u << 20, 8);
    void *h = NULL;
    if (mem != NULL)
        h = ring ? (void *)zeroipc_ring_create(mem, "x", 8, XFER_CAP)
                 : (void *)zeroipc_queue_create(mem, "x", 8, XFER_CAP);
    if (h == NULL)
        die("create");
    double t0 = now();
    pid_t pid = fork();
    if (pid == 0) {
        uint64_t buf[BATCH], next = 1;
        while (next <= n) {
            size_t k = 0, moved = 0;
            while (k < BATCH && next + k <= n) {
                buf[k] = next + k;
                k++;
            }
            if (ring)
                zeroipc_ring_write_many_wait_spsc(h, buf, k, &moved);
            else if ((moved = zeroipc_queue_push_many(h, buf, k)) == 0 &&
                     zeroipc_queue_push_wait(h, buf) == ZEROIPC_OK)
                moved = 1;
            next += moved;
        }
        _exit(0);
    }
    uint64_t buf[BATCH], expect = 1;
    while (expect <= n) {
        size_t got = 0;
        if (ring)
            zeroipc_ring_read_many_wait_spsc(h, buf, BATCH, &got);
        else if ((got = zeroipc_queue_pop_many(h, buf, BATCH)) == 0 &&
                 zeroipc_queue_pop_wait(h, buf) == ZEROIPC_OK)
            got = 1;
        for (size_t i = 0; i < got; i++) {
            if (buf[i] != expect++) {
                fprintf(stderr, "struct_bench: %s: element %" PRIu64 " out of order\n",
                        ring ? "ring" : "queue", expect - 1);
                kill(pid, SIGKILL);
                zeroipc_memory_unlink(seg_name);
                exit(1);
            }
        }
    }
    double t = now() - t0;
    int status;
    waitpid(pid, &status, 0);
    if (ring)
        zeroipc_ring_close(h);
    else
        zeroipc_queue_close(h);
    zeroipc_memory_close(mem);
    zeroipc_memory_unlink(seg_name);
    return t;
}

int main(int argc, char **argv)
{
    uint64_t n = 10000000;
    int rounds = 5, c;
    while ((c = getopt(argc, argv, "n:r:")) != -1) {
        if (c == 'n')
            n = strtoull(optarg, NULL, 10);
        else if (c == 'r')
            rounds = atoi(optarg);
        else {
            fprintf(stderr, "usage: %s [-n ELEMENTS] [-r ROUNDS]\n", argv[0]);
            return 2;
        }
    }
    if (rounds < 1 || rounds > 99 || n == 0) {
        fprintf(stderr, "struct_bench: bad -n or -r\n");
        return 2;
    }
    snprintf(seg_name, sizeof seg_name, "/zeroipc-struct-bench-%d", (int)getpid());
    char model[128];
    bench_cpu_model(model, sizeof model);
    printf("zeroipc structures benchmark\n");
    printf("machine   nproc %d, %s\n", bench_usable_cpus(), model);
    bench_print_load("before");

    double ins[99], find[99], rq[99], qq[99];
    for (int r = 0; r < rounds; r++) {
        double t[2];
        map_case(t);
        ins[r] = t[0];
        find[r] = t[1];
        rq[r] = xfer_case(true, n);
        qq[r] = xfer_case(false, n);
    }
    double half = MAP_SLOTS / 2;
    double ring_rate = n / median(rq, rounds) / 1e6, queue_rate = n / median(qq, rounds) / 1e6;
    printf("\ncase                                          M ops/s\n");
    printf("map u64->u64, insert random keys to 50%% load  %7.2f\n", half / median(ins, rounds) / 1e6);
    printf("map u64->u64, find (half present, half not)   %7.2f\n", 2 * half / median(find, rounds) / 1e6);
    printf("ring SPSC, 8 B, batches of %d, cross-process  %7.2f\n", BATCH, ring_rate);
    printf("queue SPSC, 8 B, batches of %d, cross-process %7.2f\n", BATCH, queue_rate);
    printf("ring / queue                                   %6.2fx\n", ring_rate / queue_rate);
    bench_print_load("after ");
    printf("%d rounds, median shown; every value and order checked\n", rounds);
    return 0;
}
