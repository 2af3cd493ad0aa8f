/*
 * pusher.c - a libzeroipc program on the other end of a mounted queue.
 *
 *   zt-fs-pusher push SEGMENT QUEUE N   pushes the u64 values 1..N, waiting
 *                                       for room; prints N and their sum
 *   zt-fs-pusher pop SEGMENT QUEUE N    pops N u64 values, waiting for
 *                                       them; prints how many, their sum
 *                                       and how many were out of order
 *
 * SEGMENT is the /dev/shm name (without a slash).  Every wait is bounded
 * (10 s per element), so a lost wake-up shows as a failure, not a hang.
 * Exit 0 on success, 1 on any error (printed).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zeroipc.h"

#define WAIT_MS 10000

static int usage(void)
{
    fprintf(stderr, "usage: zt-fs-pusher push|pop SEGMENT QUEUE N\n");
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 5)
        return usage();
    const char *mode = argv[1];
    char segname[300];
    snprintf(segname, sizeof segname, "/%s", argv[2]);
    char *end;
    uint64_t n = strtoull(argv[4], &end, 10);
    if (*end != '\0' || (strcmp(mode, "push") != 0 && strcmp(mode, "pop") != 0))
        return usage();

    zeroipc_memory_t *mem = zeroipc_memory_open(segname);
    if (mem == NULL) {
        fprintf(stderr, "open %s: %s\n", segname,
                zeroipc_error_string(zeroipc_last_error()));
        return 1;
    }
    zeroipc_queue_t *q = zeroipc_queue_open(mem, argv[3]);
    if (q == NULL) {
        fprintf(stderr, "open queue %s: %s\n", argv[3],
                zeroipc_error_string(zeroipc_last_error()));
        zeroipc_memory_close(mem);
        return 1;
    }
    if (zeroipc_queue_elem_size(q) != sizeof(uint64_t)) {
        fprintf(stderr, "queue %s has %zu-byte elements\n", argv[3],
                zeroipc_queue_elem_size(q));
        zeroipc_queue_close(q);
        zeroipc_memory_close(mem);
        return 1;
    }

    int rc = 0;
    uint64_t count = 0, sum = 0, disorder = 0, prev = 0;
    for (uint64_t i = 1; i <= n; i++) {
        uint64_t v = i;
        int r = strcmp(mode, "push") == 0
                    ? zeroipc_queue_push_timeout(q, &v, WAIT_MS)
                    : zeroipc_queue_pop_timeout(q, &v, WAIT_MS);
        if (r != ZEROIPC_OK) {
            fprintf(stderr, "%s %" PRIu64 ": %s\n", mode, i,
                    zeroipc_error_string((zeroipc_error_t)r));
            rc = 1;
            break;
        }
        count++;
        sum += v;
        if (v != prev + 1)
            disorder++;
        prev = v;
    }
    printf("%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", count, sum, disorder);
    zeroipc_queue_close(q);
    zeroipc_memory_close(mem);
    return rc;
}
