/*
 * seg.c - one mapping per segment, shared by everything that uses it.
 *
 * Mapping a segment costs an open, an flock and an mmap; the mapping is
 * therefore kept and reused while /dev/shm still holds the same object
 * (the same inode).  The cache holds one reference and every user one
 * more; a segment unlinked or recreated behind our back is dropped from
 * the cache at the next look, and its old mapping lives until the last
 * file open on it is closed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zfs.h"

struct zfs_seg {
    char name[NAME_MAX + 1];
    zeroipc_memory_t *mem;
    dev_t dev;
    ino_t ino;
    int refs;
    struct zfs_seg *next;   /* in the cache; NULL once dropped from it */
    bool cached;
};

static struct zfs_seg *cache;

bool zfs_seg_visible(const char *name)
{
    const char *prefix = zfs_opts.prefix;
    return prefix == NULL || strncmp(name, prefix, strlen(prefix)) == 0;
}

static void uncache(struct zfs_seg *s)
{
    for (struct zfs_seg **pp = &cache; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            s->cached = false;
            zfs_seg_put(s);
            return;
        }
    }
}

struct zfs_seg *zfs_seg_get(const char *name, struct stat *st, int *err)
{
    char path[sizeof "/dev/shm/" + NAME_MAX];
    snprintf(path, sizeof path, "/dev/shm/%s", name);
    struct zfs_seg *s;
    for (s = cache; s != NULL && strcmp(s->name, name) != 0; s = s->next)
        ;
    if (!zfs_seg_visible(name) || stat(path, st) != 0 || !S_ISREG(st->st_mode)) {
        if (s != NULL)
            uncache(s);
        *err = ENOENT;
        return NULL;
    }
    *err = 0;
    /* An object shorter than its mapping was truncated behind our back:
     * its pages past the end would raise SIGBUS.  Not served any more. */
    if (s != NULL && ((zfs_fault_count() != 0 && zfs_fault_hit(zeroipc_memory_base(s->mem))) ||
                      (s->dev == st->st_dev && s->ino == st->st_ino &&
                       (size_t)st->st_size < zeroipc_memory_size(s->mem)))) {
        uncache(s);
        *err = EIO;
        return NULL;
    }
    if (s != NULL && s->dev == st->st_dev && s->ino == st->st_ino) {
        s->refs++;
        return s;
    }
    if (s != NULL)
        uncache(s);

    zeroipc_memory_t *mem = zeroipc_memory_open(path + sizeof "/dev/shm" - 1);
    if (mem == NULL) {
        int e = zeroipc_last_error();
        /* A file that is not a segment does not exist, as far as the
         * mount goes; a segment that fails its checks is an I/O error. */
        *err = e == ZEROIPC_ERROR_INVALID_MAGIC || e == ZEROIPC_ERROR_OPEN ? ENOENT : zfs_errno(e);
        return NULL;
    }
    s = calloc(1, sizeof *s);
    if (s == NULL) {
        zeroipc_memory_close(mem);
        *err = ENOMEM;
        return NULL;
    }
    strcpy(s->name, name);
    s->mem = mem;
    zfs_fault_watch(zeroipc_memory_base(mem), zeroipc_memory_size(mem));
    s->dev = st->st_dev;
    s->ino = st->st_ino;
    s->refs = 2;
    s->cached = true;
    s->next = cache;
    cache = s;
    *err = 0;
    return s;
}

void zfs_seg_put(struct zfs_seg *s)
{
    if (s == NULL || --s->refs > 0)
        return;
    zfs_fault_unwatch(zeroipc_memory_base(s->mem));
    zeroipc_memory_close(s->mem);
    free(s);
}

zeroipc_memory_t *zfs_seg_mem(struct zfs_seg *s)
{
    return s->mem;
}

bool zfs_file_broken(const struct zfs_file *f)
{
    /* Every read and write asks: no fault yet is one load, not a scan. */
    return zfs_fault_count() != 0 && f->seg != NULL &&
           zfs_fault_hit(zeroipc_memory_base(f->seg->mem));
}
