/*
 * memory.c - segments: create, open, close, unlink, list.
 *
 * The header of a segment is untrusted like everything else in shared
 * memory.  Open validates it once, under the table lock taken shared (so
 * a creator that holds it exclusively is never seen half-done), and keeps
 * the validated memory_size and max_entries in the handle: later
 * operations bound everything by those copies, never by a re-read field.
 */
#include "memory_i.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHM_DIR "/dev/shm"

/* Copies `name` into out ("/name", NUL-terminated), adding the slash. */
static int segment_name(const char *name, char out[NAME_MAX + 2])
{
    if (name == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    if (name[0] == '/')
        name++;
    size_t len = strlen(name);
    if (len == 0 || strchr(name, '/') != NULL || strcmp(name, ".") == 0 ||
        strcmp(name, "..") == 0)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    if (len > NAME_MAX)
        return ZEROIPC_ERROR_NAME_TOO_LONG;
    out[0] = '/';
    memcpy(out + 1, name, len + 1);
    return ZEROIPC_OK;
}

static int flock_retry(int fd, int op)
{
    while (flock(fd, op) != 0) {
        if (errno != EINTR)
            return -1;
    }
    return 0;
}

static zeroipc_memory_t *handle_new(const char *nm, int fd, void *base,
                                    size_t size, uint32_t max_entries)
{
    zeroipc_memory_t *mem = calloc(1, sizeof *mem);
    if (mem == NULL)
        return NULL;
    mem->base = base;
    mem->size = size;
    mem->max_entries = max_entries;
    mem->fd = fd;
    mem->pid = getpid();
    atomic_init(&mem->error, ZEROIPC_OK);
    pthread_mutex_init(&mem->lock, NULL);
    strcpy(mem->name, nm);
    return mem;
}

zeroipc_memory_t *zeroipc_memory_create(const char *name, size_t size,
                                        size_t max_entries)
{
    char nm[NAME_MAX + 2];
    int err = segment_name(name, nm);
    if (err != ZEROIPC_OK)
        goto fail;
    err = ZEROIPC_ERROR_SIZE;
    if (size == 0 || max_entries == 0 || max_entries > UINT32_MAX ||
        size > (size_t)INT64_MAX)
        goto fail;
    uint64_t table_end = ZEROIPC_HEADER_SIZE + (uint64_t)ZEROIPC_ENTRY_SIZE * max_entries;
    if (table_end > size)
        goto fail;

    /* Replace an existing object, as the public implementations do; a
     * second round covers a racing creator that recreated it meanwhile. */
    int fd = -1;
    for (int tries = 0; tries < 8 && fd < 0; tries++) {
        fd = shm_open(nm, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0666);
        if (fd < 0 && errno == EEXIST)
            shm_unlink(nm);
        else if (fd < 0)
            break;
    }
    err = ZEROIPC_ERROR_OPEN;
    if (fd < 0)
        goto fail;

    /* Held until the header is written: openers take it shared. */
    err = ZEROIPC_ERROR_SYSTEM;
    if (flock_retry(fd, LOCK_EX) != 0 || ftruncate(fd, (off_t)size) != 0)
        goto fail_unlink;
    void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    err = ZEROIPC_ERROR_MMAP;
    if (base == MAP_FAILED)
        goto fail_unlink;

    /* A new object reads as zeros, so there is nothing to clear: touching
     * every page of a large segment here would only cost time and memory. */
    struct zeroipc_table_header *h = base;
    h->magic = ZEROIPC_MAGIC;
    h->version = ZEROIPC_VERSION;
    atomic_store_explicit(&h->entry_count, 0, memory_order_relaxed);
    h->max_entries = (uint32_t)max_entries;
    h->memory_size = size;
    atomic_store_explicit(&h->next_offset, table_end, memory_order_release);

    zeroipc_memory_t *mem = handle_new(nm, fd, base, size, (uint32_t)max_entries);
    flock_retry(fd, LOCK_UN);
    if (mem == NULL) {
        munmap(base, size);
        err = ZEROIPC_ERROR_SYSTEM;
        goto fail_unlink;
    }
    zeroipc_set_error(ZEROIPC_OK);
    return mem;

fail_unlink: {
        int saved = errno;
        shm_unlink(nm);
        close(fd);
        errno = saved;
    }
fail:
    zeroipc_set_error(err);
    return NULL;
}

/*
 * Checks a header read from an object of object_size bytes.  On success
 * stores the effective max_entries.  Read-only.
 */
static int check_header(const struct zeroipc_table_header *h,
                        uint64_t object_size, uint32_t *max_entries)
{
    if (h->magic != ZEROIPC_MAGIC)
        return ZEROIPC_ERROR_INVALID_MAGIC;
    if (h->version != ZEROIPC_VERSION)
        return ZEROIPC_ERROR_VERSION_MISMATCH;
    uint32_t max = h->max_entries ? h->max_entries : ZEROIPC_DEFAULT_MAX_ENTRIES;
    uint64_t table_end = ZEROIPC_HEADER_SIZE + (uint64_t)ZEROIPC_ENTRY_SIZE * max;
    uint64_t next = atomic_load_explicit(&h->next_offset, memory_order_relaxed);
    uint32_t count = atomic_load_explicit(&h->entry_count, memory_order_relaxed);
    if (h->memory_size > object_size || h->memory_size > (uint64_t)SIZE_MAX ||
        table_end > h->memory_size || count > max || next < table_end ||
        next > h->memory_size)
        return ZEROIPC_ERROR_CORRUPT;
    *max_entries = max;
    return ZEROIPC_OK;
}

zeroipc_memory_t *zeroipc_memory_open(const char *name)
{
    char nm[NAME_MAX + 2];
    int err = segment_name(name, nm);
    if (err != ZEROIPC_OK)
        goto fail;

    int fd = shm_open(nm, O_RDWR | O_CLOEXEC, 0);
    err = ZEROIPC_ERROR_OPEN;
    if (fd < 0)
        goto fail;
    err = ZEROIPC_ERROR_SYSTEM;
    struct stat st;
    if (flock_retry(fd, LOCK_SH) != 0 || fstat(fd, &st) != 0)
        goto fail_close;

    struct zeroipc_table_header h;
    err = ZEROIPC_ERROR_INVALID_MAGIC;
    if (st.st_size < ZEROIPC_HEADER_SIZE ||
        pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
        goto fail_close;
    uint32_t max_entries;
    err = check_header(&h, (uint64_t)st.st_size, &max_entries);
    if (err != ZEROIPC_OK)
        goto fail_close;

    size_t size = (size_t)h.memory_size;
    void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    err = ZEROIPC_ERROR_MMAP;
    if (base == MAP_FAILED)
        goto fail_close;
    flock_retry(fd, LOCK_UN);

    zeroipc_memory_t *mem = handle_new(nm, fd, base, size, max_entries);
    if (mem == NULL) {
        munmap(base, size);
        close(fd);
        err = ZEROIPC_ERROR_SYSTEM;
        goto fail;
    }
    zeroipc_set_error(ZEROIPC_OK);
    return mem;

fail_close:
    close(fd);
fail:
    zeroipc_set_error(err);
    return NULL;
}

void zeroipc_memory_close(zeroipc_memory_t *mem)
{
    if (mem == NULL)
        return;
    munmap(mem->base, mem->size);
    close(mem->fd);
    pthread_mutex_destroy(&mem->lock);
    free(mem);
}

int zeroipc_memory_unlink_checked(const char *name)
{
    char nm[NAME_MAX + 2];
    int err = segment_name(name, nm);
    if (err != ZEROIPC_OK)
        return zeroipc_set_error(err);
    if (shm_unlink(nm) != 0)
        return zeroipc_set_error(errno == ENOENT ? ZEROIPC_ERROR_NOT_FOUND
                                                 : ZEROIPC_ERROR_OPEN);
    return zeroipc_set_error(ZEROIPC_OK);
}

void zeroipc_memory_unlink(const char *name)
{
    (void)zeroipc_memory_unlink_checked(name);
}

void *zeroipc_memory_base(zeroipc_memory_t *mem)
{
    return mem ? mem->base : NULL;
}

size_t zeroipc_memory_size(zeroipc_memory_t *mem)
{
    return mem ? mem->size : 0;
}

const char *zeroipc_memory_name(zeroipc_memory_t *mem)
{
    return mem ? mem->name : NULL;
}

int zeroipc_memory_error(zeroipc_memory_t *mem)
{
    if (mem == NULL)
        return ZEROIPC_ERROR_INVALID_ARGUMENT;
    return atomic_load_explicit(&mem->error, memory_order_relaxed);
}

int zeroipc_mem_fail(zeroipc_memory_t *mem, int err)
{
    if (mem != NULL)
        atomic_store_explicit(&mem->error, err, memory_order_relaxed);
    return zeroipc_set_error(err);
}

size_t zeroipc_memory_used(zeroipc_memory_t *mem)
{
    if (mem == NULL)
        return 0;
    const struct zeroipc_table_header *h = (const void *)mem->base;
    uint64_t next = atomic_load_explicit(&h->next_offset, memory_order_acquire);
    return next > mem->size ? mem->size : (size_t)next;
}

/* Whether the object `entry` in /dev/shm starts with a v2 header. */
static bool is_segment(int dirfd, const char *entry)
{
    int fd = openat(dirfd, entry, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st;
    uint32_t head[2];
    bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
              st.st_size >= ZEROIPC_HEADER_SIZE &&
              pread(fd, head, sizeof head, 0) == (ssize_t)sizeof head &&
              head[0] == ZEROIPC_MAGIC && head[1] == ZEROIPC_VERSION;
    close(fd);
    return ok;
}

int zeroipc_memory_list(zeroipc_memory_list_fn fn, void *ctx)
{
    if (fn == NULL)
        return zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
    DIR *dir = opendir(SHM_DIR);
    if (dir == NULL)
        return zeroipc_set_error(ZEROIPC_ERROR_SYSTEM);
    int rc = ZEROIPC_OK;
    struct dirent *d;
    while ((d = readdir(dir)) != NULL) {
        if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
            continue;
        if (d->d_type != DT_REG && d->d_type != DT_UNKNOWN)
            continue;
        if (!is_segment(dirfd(dir), d->d_name))
            continue;
        char nm[NAME_MAX + 2];
        nm[0] = '/';
        strcpy(nm + 1, d->d_name);
        rc = fn(nm, ctx);
        if (rc != 0)
            break;
    }
    closedir(dir);
    return rc;
}
