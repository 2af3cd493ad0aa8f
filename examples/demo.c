/*
 * demo.c - two processes share a queue and an array through libzeroipc.
 *
 * The parent creates a segment holding a queue of jobs and an array of
 * per-worker results, forks a worker, pushes jobs, and reads the array
 * back once the worker has drained the queue.  Nothing is serialized:
 * both processes read and write the same bytes.
 *
 *   demo [SEGMENT_NAME]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zeroipc.h"

#define JOBS 100000

static int die(const char *what)
{
    fprintf(stderr, "demo: %s: %s\n", what, zeroipc_error_string(zeroipc_last_error()));
    return 1;
}

/* The worker: pops job numbers until it sees 0, sums their squares. */
static int worker(const char *segment)
{
    zeroipc_memory_t *mem = zeroipc_memory_open(segment);
    if (mem == NULL)
        return die("worker: open segment");
    zeroipc_queue_t *jobs = zeroipc_queue_open(mem, "jobs");
    zeroipc_array_t *results = zeroipc_array_open(mem, "results");
    if (jobs == NULL || results == NULL)
        return die("worker: open structures");
    uint64_t job, count = 0, sum = 0;
    while (zeroipc_queue_pop_wait(jobs, &job) == ZEROIPC_OK && job != 0) {
        count++;
        sum += job * job;
    }
    zeroipc_array_set(results, 0, &count);
    zeroipc_array_set(results, 1, &sum);
    zeroipc_queue_close(jobs);
    zeroipc_array_close(results);
    zeroipc_memory_close(mem);
    return 0;
}

int main(int argc, char **argv)
{
    char name[64];
    if (argc > 1)
        snprintf(name, sizeof name, "%s", argv[1]);
    else
        snprintf(name, sizeof name, "/zeroipc-demo-%d", (int)getpid());

    zeroipc_memory_t *mem = zeroipc_memory_create(name, 1 << 20, 16);
    if (mem == NULL)
        return die("create segment");
    zeroipc_queue_t *jobs = zeroipc_queue_create(mem, "jobs", sizeof(uint64_t), 1024);
    zeroipc_array_t *results = zeroipc_array_create(mem, "results", sizeof(uint64_t), 2);
    if (jobs == NULL || results == NULL)
        return die("create structures");
    printf("segment %s: queue 'jobs' (capacity %zu), array 'results'\n", name,
           zeroipc_queue_capacity(jobs));

    pid_t pid = fork();
    if (pid == 0)
        _exit(worker(name));

    uint64_t expect = 0;
    for (uint64_t j = 1; j <= JOBS; j++) {
        zeroipc_queue_push_wait(jobs, &j);
        expect += j * j;
    }
    uint64_t stop = 0;
    zeroipc_queue_push_wait(jobs, &stop);

    int status;
    waitpid(pid, &status, 0);
    uint64_t *count = zeroipc_array_get(results, 0);
    uint64_t *sum = zeroipc_array_get(results, 1);
    printf("parent pushed %d jobs; worker (pid %d) popped %llu, sum of squares %llu (%s)\n",
           JOBS, (int)pid, (unsigned long long)*count, (unsigned long long)*sum,
           *count == JOBS && *sum == expect ? "correct" : "WRONG");
    int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && *count == JOBS && *sum == expect;

    zeroipc_queue_close(jobs);
    zeroipc_array_close(results);
    zeroipc_memory_close(mem);
    if (argc <= 1)
        zeroipc_memory_unlink(name);
    return ok ? 0 : 1;
}
