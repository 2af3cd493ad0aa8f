/*
 * fuzz_common.h - what the segment harness uses to see out-of-bounds
 * reads of shared memory, which no sanitizer sees by itself.
 *
 * The segment is an mmap of a shared-memory object, not heap memory:
 * AddressSanitizer knows nothing of its bounds, and a read a few bytes
 * past a structure lands in valid memory (the next structure, the free
 * space, the rest of the page) or, past the last page, in whatever
 * mapping the kernel put there.  So, after a segment is opened:
 *
 *   - under AddressSanitizer, every byte of the mapping's pages that
 *     belongs to neither the table nor a table entry is poisoned
 *     (alignment gaps, the free space after next_offset, bytes past
 *     memory_size in the last page); a structure that reads outside its
 *     own entry is then reported like a heap overflow (to the 8-byte
 *     granule: an entry that ends inside a granule keeps the rest of it
 *     readable);
 *   - a PROT_NONE page lies right after the mapping, so a read past the
 *     end faults at once in every build.  The kernel places a new mapping
 *     just below the previous one, so the page after it is normally taken;
 *     fuzz_guard_reserve therefore maps the mapping's length plus one page
 *     PROT_NONE before the open and gives back all but that last page:
 *     the segment's mmap then lands in the hole, under the guard (when it
 *     lands elsewhere there is simply no guard for that input).
 *
 * Both are undone before the segment is closed, since the addresses are
 * reused by later mappings.
 */
#ifndef ZEROIPC_FUZZ_COMMON_H
#define ZEROIPC_FUZZ_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "zeroipc.h"

#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_ASAN 1
#endif
#endif

#ifdef FUZZ_ASAN
#include <sanitizer/asan_interface.h>
#endif

struct fuzz_guard {
    uint8_t *base;   /* the mapping */
    size_t len;      /* its length in whole pages */
    void *page;      /* the guard page, or NULL */
    size_t pagesize;
};

/* catalog_slack: leave the 16 bytes of a catalogue header readable even
 * where the ".catalog" entry is shorter, to fuzz on past that known bug
 * (ZFUZZ_SKIP=catalog_tail; see fuzz_segment.c). */
/* Before zeroipc_memory_open: makes the hole for a mapping of
 * memory_size bytes (from the image's header) with the guard page above. */
static inline void fuzz_guard_reserve(struct fuzz_guard *g, uint64_t memory_size)
{
    long ps = sysconf(_SC_PAGESIZE);
    g->pagesize = ps > 0 ? (size_t)ps : 4096;
    g->page = NULL;
    g->base = NULL;
    if (memory_size == 0 || memory_size > ((uint64_t)1 << 32))
        return;
    size_t len = (size_t)((memory_size + g->pagesize - 1) / g->pagesize * g->pagesize);
    uint8_t *r = mmap(NULL, len + g->pagesize, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED)
        return;
    munmap(r, len);
    g->page = r + len;
}

/* catalog_slack: leave the 16 bytes of a catalogue header readable even
 * where the ".catalog" entry is shorter, to fuzz on past that known bug
 * (ZFUZZ_SKIP=catalog_tail; see fuzz_segment.c). */
static inline void fuzz_guard_arm(struct fuzz_guard *g, zeroipc_memory_t *mem,
                                  bool catalog_slack)
{
    g->base = zeroipc_memory_base(mem);
    g->len = (zeroipc_memory_size(mem) + g->pagesize - 1) / g->pagesize * g->pagesize;
    /* The bug catalog_slack works around also reads past the last page. */
    if (g->page != NULL && (catalog_slack || g->base + g->len != (uint8_t *)g->page)) {
        munmap(g->page, g->pagesize); /* the mapping went elsewhere */
        g->page = NULL;
    }
    (void)catalog_slack;
#ifdef FUZZ_ASAN
    size_t n = 0;
    if (zeroipc_table_entries(mem, NULL, 0, &n) != ZEROIPC_OK)
        return; /* nothing will be read past the table check: no oracle */
    zeroipc_entry_t *e = calloc(n ? n : 1, sizeof *e);
    if (e == NULL || zeroipc_table_entries(mem, e, n, &n) != ZEROIPC_OK) {
        free(e);
        return;
    }
    size_t size = zeroipc_memory_size(mem);
    size_t table_end = ZEROIPC_HEADER_SIZE + ZEROIPC_ENTRY_SIZE * zeroipc_table_capacity(mem);
    if (table_end < g->len)
        ASAN_POISON_MEMORY_REGION(g->base + table_end, g->len - table_end);
    for (size_t i = 0; i < n; i++) {
        /* table_entries checked every range against memory_size. */
        if (e[i].offset < size && e[i].size <= size - e[i].offset) {
            size_t len = (size_t)e[i].size;
            if (catalog_slack && strcmp(e[i].name, ZEROIPC_CATALOG_NAME) == 0 && len < 16)
                len = 16;
            ASAN_UNPOISON_MEMORY_REGION(g->base + e[i].offset, len);
        }
    }
    free(e);
#endif
}

/* After the open failed: gives the reservation back. */
static inline void fuzz_guard_release(struct fuzz_guard *g)
{
    if (g->page != NULL)
        munmap(g->page, g->pagesize);
    g->page = NULL;
}

static inline void fuzz_guard_disarm(struct fuzz_guard *g)
{
#ifdef FUZZ_ASAN
    ASAN_UNPOISON_MEMORY_REGION(g->base, g->len);
#endif
    if (g->page != NULL)
        munmap(g->page, g->pagesize);
}

#endif
