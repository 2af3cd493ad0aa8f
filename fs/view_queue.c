/* view_queue.c - a queue as a file: reads pop the oldest, writes push. */
#include "view.h"

static int push(void *h, const void *e) { return zeroipc_queue_push(h, e); }
static int pop(void *h, void *e) { return zeroipc_queue_pop(h, e); }
static int peek(void *h, void *e) { return zeroipc_queue_peek(h, e); }
static size_t push_many(void *h, const void *e, size_t n) { return zeroipc_queue_push_many(h, e, n); }
static size_t pop_many(void *h, void *e, size_t n) { return zeroipc_queue_pop_many(h, e, n); }
static size_t count(void *h) { return zeroipc_queue_size(h); }
static size_t capacity(void *h) { return zeroipc_queue_capacity(h); }

static int create_queue(zeroipc_memory_t *mem, const char *name, size_t elem_size,
                        size_t capacity)
{
    zeroipc_queue_t *h = zeroipc_queue_create(mem, name, elem_size, capacity);
    zeroipc_queue_close(h);
    return h ? 0 : zfs_errno(zeroipc_last_error());
}

static int open_queue(struct zfs_file *f, zeroipc_memory_t *mem)
{
    f->handle = zeroipc_queue_open(mem, f->info.name);
    return f->handle ? 0 : zfs_errno(zeroipc_last_error());
}

static void close_queue(struct zfs_file *f) { zeroipc_queue_close(f->handle); }

static size_t held(zeroipc_memory_t *mem, const zeroipc_info_t *info)
{
    return zeroipc_raw_queue_size(zeroipc_memory_base(mem), (size_t)info->entry.offset);
}

const struct zfs_view zfs_view_queue = {
    .kind = ZEROIPC_KIND_QUEUE,
    .consumes = true,
    .create = create_queue,
    .open = open_queue,
    .close = close_queue,
    .read = zfs_container_read,
    .write = zfs_container_write,
    .flush = zfs_container_flush,
    .ready = zfs_container_ready,
    .count = held,
    .container = &(const struct zfs_container_ops){
        .push = push, .pop = pop, .peek = peek, .count = count, .capacity = capacity,
        .push_many = push_many, .pop_many = pop_many},
};
