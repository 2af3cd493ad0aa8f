/*
 * fault.c - a segment truncated under the daemon.
 *
 * Another process may ftruncate a segment to a smaller size while the
 * daemon has it mapped; touching a page past the new end then raises
 * SIGBUS, which would kill the daemon and every mount with it.  The
 * mappings of segments are registered here, and the SIGBUS handler
 * replaces the pages from the faulting one to the end of that mapping
 * with private zero pages (MAP_FIXED), so the access that faulted
 * completes, on zeros, and the daemon goes on.  What it read there is
 * garbage (zeros) and what it wrote is lost: the fault count tells the
 * request that it must answer EIO instead (ops.c checks it around every
 * read and write of a structure), and the broken mapping is dropped at
 * the next look (seg.c, zfs_fault_hit).  Zero pages are no danger to
 * the library: every count and offset read from shared memory is
 * checked anyway.
 *
 * The handler runs on the thread that faulted, the daemon's only thread,
 * in the middle of one access to a registered mapping; the table is only
 * changed between requests, so the handler never sees it half-changed.
 * A SIGBUS outside every registered mapping is a real bug: the default
 * action is restored and the access retried, which kills the process
 * with the usual core.
 */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "zfs.h"

/* More mappings than this at once are served without the net. */
#define FAULT_RANGES 1024

static struct range {
    uintptr_t base;
    size_t len;
    volatile sig_atomic_t hit;
} ranges[FAULT_RANGES];

static volatile sig_atomic_t faults;
static uintptr_t page_mask;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    uintptr_t a = (uintptr_t)si->si_addr;
    for (size_t i = 0; i < FAULT_RANGES; i++) {
        struct range *r = &ranges[i];
        if (r->len == 0 || a < r->base || a - r->base >= r->len)
            continue;
        uintptr_t page = a & page_mask;
        size_t rest = r->base + r->len - page;
        /* mmap is a plain system call here (async-signal-safe in fact,
         * if not in POSIX's list), as Wayland compositors use it for the
         * same purpose. */
        if (mmap((void *)page, rest, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) {
            r->hit = 1;
            faults++;
            return;
        }
        break;
    }
    signal(sig, SIG_DFL);
}

void zfs_fault_init(void)
{
    page_mask = ~((uintptr_t)sysconf(_SC_PAGESIZE) - 1);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, NULL);
}

void zfs_fault_watch(const void *base, size_t len)
{
    for (size_t i = 0; i < FAULT_RANGES; i++) {
        if (ranges[i].len == 0) {
            ranges[i].hit = 0;
            ranges[i].base = (uintptr_t)base;
            ranges[i].len = len;
            return;
        }
    }
    zfs_log(ZFS_WARN, "more than %d segments mapped: a truncated one may stop the daemon",
            FAULT_RANGES);
}

void zfs_fault_unwatch(const void *base)
{
    for (size_t i = 0; i < FAULT_RANGES; i++) {
        if (ranges[i].len != 0 && ranges[i].base == (uintptr_t)base) {
            ranges[i].len = 0;
            return;
        }
    }
}

bool zfs_fault_hit(const void *base)
{
    for (size_t i = 0; i < FAULT_RANGES; i++) {
        if (ranges[i].len != 0 && ranges[i].base == (uintptr_t)base)
            return ranges[i].hit != 0;
    }
    return false;
}

unsigned long zfs_fault_count(void)
{
    return (unsigned long)faults;
}
