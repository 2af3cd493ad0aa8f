/*
 * view_ring.c - a ring as a file: reads consume from the read position,
 * writes append.
 *
 * A ring has one producer and one consumer (zeroipc_ring.h).  The daemon
 * serves every request of the mount from one thread, so all readers of
 * the file together are one consumer and all writers one producer; a
 * process that also reads (or writes) the ring directly, beside the
 * mount, breaks the contract as a second thread would.
 */
#include "view.h"

static int push(void *h, const void *e) { return zeroipc_ring_write_spsc(h, e); }
static int pop(void *h, void *e) { return zeroipc_ring_read_spsc(h, e); }
static int peek(void *h, void *e) { return zeroipc_ring_peek_spsc(h, e); }
static size_t push_many(void *h, const void *e, size_t n) { return zeroipc_ring_write_many_spsc(h, e, n); }
static size_t pop_many(void *h, void *e, size_t n) { return zeroipc_ring_read_many_spsc(h, e, n); }
static size_t count(void *h) { return zeroipc_ring_size(h); }
static size_t capacity(void *h) { return zeroipc_ring_capacity(h); }

static int create_ring(zeroipc_memory_t *mem, const char *name, size_t elem_size,
                       size_t capacity_elems)
{
    zeroipc_ring_t *h = zeroipc_ring_create(mem, name, elem_size, capacity_elems);
    zeroipc_ring_close(h);
    return h ? 0 : zfs_errno(zeroipc_last_error());
}

static int open_ring(struct zfs_file *f, zeroipc_memory_t *mem)
{
    f->handle = zeroipc_ring_open(mem, f->info.name);
    return f->handle ? 0 : zfs_errno(zeroipc_last_error());
}

static void close_ring(struct zfs_file *f) { zeroipc_ring_close(f->handle); }

/* The ring has no offset-based calls: a short-lived handle reads it. */
static size_t held(zeroipc_memory_t *mem, const zeroipc_info_t *info)
{
    zeroipc_ring_t *h = zeroipc_ring_open(mem, info->name);
    size_t n = zeroipc_ring_size(h);
    zeroipc_ring_close(h);
    return n;
}

const struct zfs_view zfs_view_ring = {
    .kind = ZEROIPC_KIND_RING,
    .consumes = true,
    .create = create_ring,
    .open = open_ring,
    .close = close_ring,
    .read = zfs_container_read,
    .write = zfs_container_write,
    .flush = zfs_container_flush,
    .ready = zfs_container_ready,
    .count = held,
    .container = &(const struct zfs_container_ops){
        .push = push, .pop = pop, .peek = peek, .count = count, .capacity = capacity,
        .push_many = push_many, .pop_many = pop_many},
};
