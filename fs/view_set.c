/*
 * view_set.c - a set as a file: one member per line, read without
 * consuming; written lines add members, `!MEMBER` lines remove them.
 * Everything but creating is the map's (view_map.c), which says how the
 * lines read and how full sets and untyped sets behave.
 */
#include <errno.h>
#include <string.h>

#include "view.h"

static int create_set(zeroipc_memory_t *mem, const char *name, const char *spec,
                      size_t capacity)
{
    zeroipc_type_t t;
    if (zeroipc_type_parse(spec, strlen(spec), &t) != ZEROIPC_OK)
        return EINVAL;
    zeroipc_set_t *h = zeroipc_set_create(mem, name, &t, capacity);
    zeroipc_set_close(h);
    return h ? 0 : zfs_errno(zeroipc_last_error());
}

static int setup_set(struct zfs_file *f, zeroipc_memory_t *mem)
{
    return zfs_htab_setup(f, mem, true);
}

const struct zfs_view zfs_view_set = {
    .kind = ZEROIPC_KIND_SET,
    .consumes = false,
    .create_typed = create_set,
    .setup_type = setup_set,
    .open = zfs_htab_open,
    .close = zfs_htab_close,
    .read = zfs_htab_read,
    .write = zfs_htab_write,
    .flush = zfs_htab_flush,
    .ready = zfs_htab_ready,
    .count = zfs_htab_count,
};
