/* wait.c - futex sleeps with sliced timeouts, and backoff. */
#include "wait_i.h"

#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NS_PER_MS 1000000L
#define NS_PER_S 1000000000L

static struct timespec now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts;
}

void zeroipc_deadline_init(struct zeroipc_deadline *dl, int32_t timeout_ms)
{
    dl->forever = timeout_ms < 0;
    if (dl->forever)
        return;
    dl->at = now();
    dl->at.tv_sec += timeout_ms / 1000;
    dl->at.tv_nsec += (long)(timeout_ms % 1000) * NS_PER_MS;
    if (dl->at.tv_nsec >= NS_PER_S) {
        dl->at.tv_sec++;
        dl->at.tv_nsec -= NS_PER_S;
    }
}

int zeroipc_wait_word(_Atomic uint32_t *word, uint32_t expected,
                      const struct zeroipc_deadline *dl)
{
    int64_t slice = ZEROIPC_WAIT_SLICE_MS * NS_PER_MS;
    if (!dl->forever) {
        struct timespec t = now();
        int64_t left = (int64_t)(dl->at.tv_sec - t.tv_sec) * NS_PER_S +
                       (dl->at.tv_nsec - t.tv_nsec);
        if (left <= 0)
            return ZEROIPC_ERROR_TIMEOUT;
        if (left < slice)
            slice = left;
    }
    struct timespec rel = {slice / NS_PER_S, slice % NS_PER_S};
    /* The kernel compares *word with `expected` after queueing us, so a
     * wake that follows a change of the word is never lost.  EAGAIN
     * (changed), EINTR and ETIMEDOUT all mean: look again. */
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT, expected, &rel, NULL, 0);
    return ZEROIPC_OK;
}

void zeroipc_wake_word(_Atomic uint32_t *word)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
}

void zeroipc_backoff(unsigned round)
{
    if (round < 16) {
        for (unsigned i = 0; i < (1u << round) && i < 256; i++)
            __asm__ __volatile__("" ::: "memory");
        return;
    }
    if (round < 32) {
        sched_yield();
        return;
    }
    unsigned shift = round - 32 < 10 ? round - 32 : 10;
    struct timespec pause = {0, 1000L << shift}; /* 1 us .. ~1 ms */
    nanosleep(&pause, NULL);
}
