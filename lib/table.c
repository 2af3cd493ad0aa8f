/*
 * table.c - the segment's table of named entries.
 *
 * Lock contract: every function here that reads or changes the table
 * takes the table lock (table_lock) itself; helpers whose first comment
 * says "caller holds the table lock" do not.  The lock is an flock() on
 * the object, which the kernel releases when a holder dies, plus the
 * handle's mutex for the threads of this process (flock does not exclude
 * threads sharing one open file description).  Lookups take it shared,
 * changes exclusive.
 *
 * Entries are copied out of shared memory before they are checked, so a
 * foreign writer changing them mid-check cannot make a checked value
 * differ from the used one.
 */
#include "memory_i.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>
#include <sys/file.h>

/*
 * Caller holds mem->lock.  flock() belongs to the open file description,
 * and fork() shares descriptions: a parent and a child using one
 * inherited handle would each "hold" the same lock at once.  So the first
 * table operation in a new process opens a description of its own, on
 * the same object (through /proc, so that a segment recreated under the
 * name meanwhile is not picked up by mistake).
 */
static _Atomic unsigned fork_count; /* bumped in every child */
static pthread_once_t fork_hook = PTHREAD_ONCE_INIT;

static void after_fork_in_child(void)
{
    atomic_fetch_add_explicit(&fork_count, 1, memory_order_relaxed);
}

static void install_fork_hook(void)
{
    pthread_atfork(NULL, NULL, after_fork_in_child);
}

static int own_descriptor(zeroipc_memory_t *mem)
{
    /* A counter bumped by an atfork hook tells a new process without a
     * getpid() system call on every table operation. */
    pthread_once(&fork_hook, install_fork_hook);
    unsigned forks = atomic_load_explicit(&fork_count, memory_order_relaxed);
    if (mem->forks == forks)
        return ZEROIPC_OK;
    pid_t pid = getpid();
    if (mem->pid == pid) {
        mem->forks = forks;
        return ZEROIPC_OK;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", mem->fd);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return ZEROIPC_ERROR_SYSTEM;
    close(mem->fd);
    mem->fd = fd;
    mem->pid = pid;
    mem->forks = forks;
    return ZEROIPC_OK;
}

int zeroipc_table_lock(zeroipc_memory_t *mem, bool exclusive)
{
    pthread_mutex_lock(&mem->lock);
    if (own_descriptor(mem) != ZEROIPC_OK) {
        pthread_mutex_unlock(&mem->lock);
        return ZEROIPC_ERROR_SYSTEM;
    }
    while (flock(mem->fd, exclusive ? LOCK_EX : LOCK_SH) != 0) {
        if (errno != EINTR) {
            pthread_mutex_unlock(&mem->lock);
            return ZEROIPC_ERROR_SYSTEM;
        }
    }
    return ZEROIPC_OK;
}

void zeroipc_table_unlock(zeroipc_memory_t *mem)
{
    flock(mem->fd, LOCK_UN);
    pthread_mutex_unlock(&mem->lock);
}

static struct zeroipc_table_header *header(zeroipc_memory_t *mem)
{
    return (struct zeroipc_table_header *)(void *)mem->base;
}

static struct zeroipc_table_entry *entry_at(zeroipc_memory_t *mem, uint32_t i)
{
    return (struct zeroipc_table_entry *)(void *)(mem->base + ZEROIPC_HEADER_SIZE) + i;
}

static uint64_t table_end(const zeroipc_memory_t *mem)
{
    return ZEROIPC_HEADER_SIZE + (uint64_t)ZEROIPC_ENTRY_SIZE * mem->max_entries;
}

int zeroipc_check_name(const char *name)
{
    if (name == NULL || name[0] == '\0')
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    if (strnlen(name, ZEROIPC_NAME_SIZE) >= ZEROIPC_NAME_SIZE)
        return ZEROIPC_ERROR_NAME_TOO_LONG;
    return ZEROIPC_OK;
}

/* Caller holds the table lock.  The entry count, or CORRUPT as negative. */
static int64_t entry_count(zeroipc_memory_t *mem)
{
    uint32_t n = atomic_load_explicit(&header(mem)->entry_count, memory_order_acquire);
    return n > mem->max_entries ? ZEROIPC_ERROR_CORRUPT : (int64_t)n;
}

/*
 * Caller holds the table lock.  Copies entry i into *out and checks it:
 * a NUL-terminated name and a range inside the data area.
 */
static int read_entry(zeroipc_memory_t *mem, uint32_t i, struct zeroipc_table_entry *out)
{
    memcpy(out, entry_at(mem, i), sizeof *out);
    if (memchr(out->name, '\0', sizeof out->name) == NULL)
        return ZEROIPC_ERROR_CORRUPT;
    if (out->offset < table_end(mem) || out->offset > mem->size ||
        out->size > mem->size - out->offset)
        return ZEROIPC_ERROR_CORRUPT;
    return ZEROIPC_OK;
}

/*
 * Caller holds the table lock.  Index of `name` (>= 0), or NOT_FOUND /
 * CORRUPT.  Each entry stands alone (its own name, offset and size), so a
 * corrupt one costs only itself: it is CORRUPT when it is the match, and
 * skipped otherwise (one damaged entry must not hide a whole segment).
 * The copy of the entry goes to *out.
 */
static int64_t lookup(zeroipc_memory_t *mem, const char *name,
                      struct zeroipc_table_entry *out)
{
    int64_t n = entry_count(mem);
    if (n < 0)
        return n;
    for (uint32_t i = 0; i < (uint32_t)n; i++) {
        struct zeroipc_table_entry e;
        int err = read_entry(mem, i, &e);
        /* A name without a NUL never equals one of at most 31 bytes. */
        if (strncmp(e.name, name, ZEROIPC_NAME_SIZE) == 0) {
            if (err != ZEROIPC_OK)
                return err;
            if (out != NULL)
                *out = e;
            return i;
        }
    }
    return ZEROIPC_ERROR_NOT_FOUND;
}

int zeroipc_table_add_locked(zeroipc_memory_t *mem, const char *name, size_t size,
                             zeroipc_init_fn init, const void *ctx, size_t *offset)
{
    /* Caller holds the table lock exclusively. */
    int err = zeroipc_check_name(name);
    if (err == ZEROIPC_OK && size == 0)
        err = ZEROIPC_ERROR_INVALID_ARGUMENT;
    if (err != ZEROIPC_OK)
        return err;

    struct zeroipc_table_header *h = header(mem);
    int64_t found = lookup(mem, name, NULL);
    int64_t n = entry_count(mem);
    uint64_t next = atomic_load_explicit(&h->next_offset, memory_order_relaxed);
    uint64_t at = zeroipc_align8(next);
    if (found >= 0)
        return ZEROIPC_ERROR_ALREADY_EXISTS;
    if (found != ZEROIPC_ERROR_NOT_FOUND)
        return (int)found;
    if (n < 0)
        return (int)n;
    if ((uint64_t)n == mem->max_entries)
        return ZEROIPC_ERROR_TABLE_FULL;
    if (next < table_end(mem) || next > mem->size)
        return ZEROIPC_ERROR_CORRUPT;
    if (at > mem->size || size > mem->size - at)
        return ZEROIPC_ERROR_SIZE;

    /* The structure is complete before its entry is visible: lookups take
     * the lock too, and entry_count is published last with release. */
    memset(mem->base + at, 0, size);
    if (init != NULL)
        init(mem->base + at, ctx);
    atomic_store_explicit(&h->next_offset, at + size, memory_order_relaxed);
    struct zeroipc_table_entry *e = entry_at(mem, (uint32_t)n);
    memset(e->name, 0, sizeof e->name);
    memcpy(e->name, name, strlen(name));
    e->offset = at;
    e->size = size;
    atomic_store_explicit(&h->entry_count, (uint32_t)n + 1, memory_order_release);
    if (offset != NULL)
        *offset = (size_t)at;
    return ZEROIPC_OK;
}

int zeroipc_table_add_init(zeroipc_memory_t *mem, const char *name, size_t size,
                           zeroipc_init_fn init, const void *ctx, size_t *offset)
{
    if (mem == NULL)
        return zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
    int err = zeroipc_table_lock(mem, true);
    if (err == ZEROIPC_OK) {
        err = zeroipc_table_add_locked(mem, name, size, init, ctx, offset);
        zeroipc_table_unlock(mem);
    }
    if (err != ZEROIPC_OK)
        return zeroipc_mem_fail(mem, err);
    return zeroipc_set_error(ZEROIPC_OK);
}

int zeroipc_table_find_locked(zeroipc_memory_t *mem, const char *name,
                              zeroipc_entry_t *out)
{
    /* Caller holds the table lock. */
    int err = zeroipc_check_name(name);
    if (err != ZEROIPC_OK)
        return err;
    struct zeroipc_table_entry e;
    int64_t i = lookup(mem, name, &e);
    if (i < 0)
        return (int)i;
    if (out != NULL) {
        memcpy(out->name, e.name, sizeof out->name);
        out->offset = e.offset;
        out->size = e.size;
    }
    return ZEROIPC_OK;
}

int zeroipc_table_entry_locked(zeroipc_memory_t *mem, uint32_t index,
                               zeroipc_entry_t *out)
{
    /* Caller holds the table lock. */
    int64_t n = entry_count(mem);
    if (n < 0)
        return (int)n;
    if (index >= (uint64_t)n)
        return ZEROIPC_ERROR_NOT_FOUND;
    struct zeroipc_table_entry e;
    int err = read_entry(mem, index, &e);
    /* A corrupt entry is still copied out (its name cut to 31 bytes), for
     * tools that show the raw table; its caller must not use it. */
    memcpy(out->name, e.name, sizeof e.name);
    out->name[ZEROIPC_NAME_SIZE - 1] = '\0';
    out->offset = e.offset;
    out->size = e.size;
    return err;
}

int64_t zeroipc_table_count_locked(zeroipc_memory_t *mem)
{
    return entry_count(mem);
}

int zeroipc_table_entries_locked(zeroipc_memory_t *mem, zeroipc_entry_t *out,
                                 size_t max, size_t *count)
{
    /* Caller holds the table lock. */
    int64_t n = entry_count(mem);
    if (n < 0)
        return (int)n;
    for (uint32_t i = 0; i < (uint64_t)n; i++) {
        struct zeroipc_table_entry e;
        int err = read_entry(mem, i, &e);
        if (err != ZEROIPC_OK)
            return err;
        if (i < max) {
            memcpy(out[i].name, e.name, sizeof e.name);
            out[i].offset = e.offset;
            out[i].size = e.size;
        }
    }
    *count = (size_t)n;
    return ZEROIPC_OK;
}

int zeroipc_table_add(zeroipc_memory_t *mem, const char *name, size_t size,
                      size_t *offset)
{
    return zeroipc_table_add_init(mem, name, size, NULL, NULL, offset);
}

int zeroipc_table_find(zeroipc_memory_t *mem, const char *name, size_t *offset,
                       size_t *size)
{
    if (mem == NULL)
        return zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
    int err = zeroipc_check_name(name);
    if (err != ZEROIPC_OK)
        return zeroipc_mem_fail(mem, err);
    err = zeroipc_table_lock(mem, false);
    if (err != ZEROIPC_OK)
        return zeroipc_mem_fail(mem, err);
    struct zeroipc_table_entry e;
    int64_t i = lookup(mem, name, &e);
    zeroipc_table_unlock(mem);
    if (i < 0)
        return zeroipc_mem_fail(mem, (int)i);
    if (offset != NULL)
        *offset = (size_t)e.offset;
    if (size != NULL)
        *size = (size_t)e.size;
    return zeroipc_set_error(ZEROIPC_OK);
}

int zeroipc_table_locate(zeroipc_memory_t *mem, const char *name, void **p,
                         size_t *size)
{
    size_t offset;
    int err = zeroipc_table_find(mem, name, &offset, size);
    if (err == ZEROIPC_OK)
        *p = mem->base + offset;
    return err;
}

int zeroipc_table_remove(zeroipc_memory_t *mem, const char *name)
{
    if (mem == NULL)
        return zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
    int err = zeroipc_check_name(name);
    if (err != ZEROIPC_OK)
        return zeroipc_mem_fail(mem, err);
    err = zeroipc_table_lock(mem, true);
    if (err != ZEROIPC_OK)
        return zeroipc_mem_fail(mem, err);
    int64_t i = lookup(mem, name, NULL);
    if (i >= 0) {
        struct zeroipc_table_header *h = header(mem);
        uint32_t n = atomic_load_explicit(&h->entry_count, memory_order_relaxed);
        memmove(entry_at(mem, (uint32_t)i), entry_at(mem, (uint32_t)i + 1),
                (size_t)(n - 1 - (uint32_t)i) * ZEROIPC_ENTRY_SIZE);
        memset(entry_at(mem, n - 1), 0, ZEROIPC_ENTRY_SIZE);
        atomic_store_explicit(&h->entry_count, n - 1, memory_order_release);
    }
    zeroipc_table_unlock(mem);
    if (i < 0)
        return zeroipc_mem_fail(mem, (int)i);
    return zeroipc_set_error(ZEROIPC_OK);
}

size_t zeroipc_table_count(zeroipc_memory_t *mem)
{
    if (mem == NULL)
        return 0;
    uint32_t n = atomic_load_explicit(&header(mem)->entry_count, memory_order_acquire);
    return n > mem->max_entries ? 0 : n;
}

size_t zeroipc_table_capacity(zeroipc_memory_t *mem)
{
    return mem ? mem->max_entries : 0;
}

int zeroipc_table_entries(zeroipc_memory_t *mem, zeroipc_entry_t *out,
                          size_t max, size_t *count)
{
    if (mem == NULL || count == NULL || (out == NULL && max > 0))
        return zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
    int err = zeroipc_table_lock(mem, false);
    if (err == ZEROIPC_OK) {
        err = zeroipc_table_entries_locked(mem, out, max, count);
        zeroipc_table_unlock(mem);
    }
    if (err != ZEROIPC_OK)
        return zeroipc_mem_fail(mem, err);
    return zeroipc_set_error(ZEROIPC_OK);
}

int zeroipc_companion_name(const char *base, size_t base_max, const char *suffix, char *buf)
{
    if (base == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    int err = zeroipc_check_name(base);
    if (err != ZEROIPC_OK)
        return err;
    size_t n = strlen(base);
    if (n > base_max || n + strlen(suffix) >= ZEROIPC_NAME_SIZE)
        return ZEROIPC_ERROR_NAME_TOO_LONG;
    memcpy(buf, base, n);
    memcpy(buf + n, suffix, strlen(suffix) + 1);
    return ZEROIPC_OK;
}

int zeroipc_table_add_group(zeroipc_memory_t *mem, struct zeroipc_table_part *p, size_t n)
{
    int err = zeroipc_table_lock(mem, true);
    if (err != ZEROIPC_OK)
        return err;
    /* Each part starts 8-aligned: all but the last take their padding. */
    uint64_t need = 0;
    for (size_t i = 0; i < n && err == ZEROIPC_OK; i++) {
        err = zeroipc_table_find_locked(mem, p[i].name, NULL);
        if (err == ZEROIPC_OK)
            err = ZEROIPC_ERROR_ALREADY_EXISTS;
        else if (err == ZEROIPC_ERROR_NOT_FOUND)
            err = ZEROIPC_OK;
        need += i + 1 < n ? zeroipc_align8(p[i].size) : p[i].size;
    }
    if (err == ZEROIPC_OK) {
        const struct zeroipc_table_header *h = header(mem);
        uint32_t cnt = atomic_load_explicit(&h->entry_count, memory_order_relaxed);
        uint64_t next = atomic_load_explicit(&h->next_offset, memory_order_relaxed);
        if (cnt < mem->max_entries && mem->max_entries - cnt < n)
            err = ZEROIPC_ERROR_TABLE_FULL;
        else if (next <= mem->size && zeroipc_align8(next) <= mem->size &&
                 mem->size - zeroipc_align8(next) < need)
            err = ZEROIPC_ERROR_SIZE;
    }
    /* Anything else wrong with the table (a corrupt count or bump
     * pointer), the first add reports, before anything is written. */
    for (size_t i = 0; i < n && err == ZEROIPC_OK; i++)
        err = zeroipc_table_add_locked(mem, p[i].name, p[i].size, p[i].init, p[i].ctx, &p[i].off);
    zeroipc_table_unlock(mem);
    return err;
}

int zeroipc_table_locate_part(zeroipc_memory_t *mem, const char *name, void **p, size_t *size)
{
    int err = zeroipc_table_locate(mem, name, p, size);
    return err == ZEROIPC_ERROR_NOT_FOUND ? ZEROIPC_ERROR_CORRUPT : err;
}
