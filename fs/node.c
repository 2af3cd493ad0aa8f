/*
 * node.c - inode numbers and what they stand for.
 *
 * A node is made on the first lookup of a name and freed when the kernel
 * forgets the last reference, so the table holds only what the kernel
 * holds.  Inode numbers are not reused while the daemon runs (a 64-bit
 * counter), so a number from before a segment was recreated can never
 * name something else.
 */
#include <stdlib.h>
#include <string.h>

#include "zfs.h"

#define BUCKETS 4096

static struct zfs_node *by_key[BUCKETS];
static struct zfs_node **by_ino; /* open addressing on ino */
static size_t ino_cap, ino_used;
static fuse_ino_t next_ino = FUSE_ROOT_ID + 1;
static struct zfs_node root = {.ino = FUSE_ROOT_ID, .type = ZFS_ROOT};

static unsigned key_hash(enum zfs_node_type type, const char *seg, const char *name)
{
    unsigned h = 2166136261u ^ (unsigned)type;
    for (const char *p = seg; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    h = (h ^ '/') * 16777619u;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h % BUCKETS;
}

static size_t ino_slot(fuse_ino_t ino)
{
    return (size_t)(ino * 0x9E3779B97F4A7C15ull) & (ino_cap - 1);
}

/* Places n; the table has room (see ino_reserve). */
static void ino_insert(struct zfs_node *n)
{
    size_t i = ino_slot(n->ino);
    while (by_ino[i] != NULL)
        i = (i + 1) & (ino_cap - 1);
    by_ino[i] = n;
    ino_used++;
}

/* Makes room for one more node, keeping the table at most half full.
 * false when memory is short: the table is left as it was. */
static bool ino_reserve(void)
{
    if ((ino_used + 1) * 2 <= ino_cap)
        return true;
    size_t old_cap = ino_cap;
    struct zfs_node **old = by_ino;
    size_t cap = ino_cap ? ino_cap * 2 : 1024;
    struct zfs_node **table = calloc(cap, sizeof *table);
    if (table == NULL)
        return false;
    by_ino = table;
    ino_cap = cap;
    ino_used = 0;
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i] != NULL)
            ino_insert(old[i]);
    }
    free(old);
    return true;
}

static void ino_remove(struct zfs_node *n)
{
    size_t i = ino_slot(n->ino);
    while (by_ino[i] != n)
        i = (i + 1) & (ino_cap - 1);
    by_ino[i] = NULL;
    ino_used--;
    /* Re-seat the run after the hole (linear probing deletion). */
    for (size_t j = (i + 1) & (ino_cap - 1); by_ino[j] != NULL; j = (j + 1) & (ino_cap - 1)) {
        struct zfs_node *m = by_ino[j];
        by_ino[j] = NULL;
        ino_used--;
        ino_insert(m);
    }
}

void zfs_node_init(void)
{
    if (ino_reserve())
        ino_insert(&root);
}

struct zfs_node *zfs_node_get(fuse_ino_t ino)
{
    if (ino_cap == 0)
        return NULL;
    for (size_t i = ino_slot(ino); by_ino[i] != NULL; i = (i + 1) & (ino_cap - 1)) {
        if (by_ino[i]->ino == ino)
            return by_ino[i];
    }
    return NULL;
}

struct zfs_node *zfs_node_intern(enum zfs_node_type type, const char *seg, const char *name)
{
    unsigned h = key_hash(type, seg, name);
    for (struct zfs_node *n = by_key[h]; n != NULL; n = n->hash_next) {
        if (n->type == type && strcmp(n->seg, seg) == 0 && strcmp(n->name, name) == 0)
            return n;
    }
    struct zfs_node *n = calloc(1, sizeof *n);
    if (n == NULL || !ino_reserve()) {
        free(n);
        return NULL;
    }
    n->ino = next_ino++;
    n->type = type;
    strncpy(n->seg, seg, sizeof n->seg - 1);
    strncpy(n->name, name, sizeof n->name - 1);
    n->hash_next = by_key[h];
    by_key[h] = n;
    ino_insert(n);
    return n;
}

void zfs_node_forget(struct zfs_node *n, uint64_t count)
{
    if (n == &root)
        return;
    n->nlookup = count < n->nlookup ? n->nlookup - count : 0;
    if (n->nlookup > 0)
        return;
    struct zfs_node **pp = &by_key[key_hash(n->type, n->seg, n->name)];
    while (*pp != n)
        pp = &(*pp)->hash_next;
    *pp = n->hash_next;
    ino_remove(n);
    free(n);
}
