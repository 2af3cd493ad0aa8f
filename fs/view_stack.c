/* view_stack.c - a stack as a file: reads pop the newest, writes push. */
#include "view.h"

static int push(void *h, const void *e) { return zeroipc_stack_push(h, e); }
static int pop(void *h, void *e) { return zeroipc_stack_pop(h, e); }
static int peek(void *h, void *e) { return zeroipc_stack_top(h, e); }
static size_t count(void *h) { return zeroipc_stack_size(h); }
static size_t capacity(void *h) { return zeroipc_stack_capacity(h); }

static int create_stack(zeroipc_memory_t *mem, const char *name, size_t elem_size,
                        size_t capacity)
{
    zeroipc_stack_t *h = zeroipc_stack_create(mem, name, elem_size, capacity);
    zeroipc_stack_close(h);
    return h ? 0 : zfs_errno(zeroipc_last_error());
}

static int open_stack(struct zfs_file *f, zeroipc_memory_t *mem)
{
    f->handle = zeroipc_stack_open(mem, f->info.name);
    return f->handle ? 0 : zfs_errno(zeroipc_last_error());
}

static void close_stack(struct zfs_file *f) { zeroipc_stack_close(f->handle); }

static size_t held(zeroipc_memory_t *mem, const zeroipc_info_t *info)
{
    return zeroipc_raw_stack_size(zeroipc_memory_base(mem), (size_t)info->entry.offset);
}

const struct zfs_view zfs_view_stack = {
    .kind = ZEROIPC_KIND_STACK,
    .consumes = true,
    .create = create_stack,
    .open = open_stack,
    .close = close_stack,
    .read = zfs_container_read,
    .write = zfs_container_write,
    .flush = zfs_container_flush,
    .ready = zfs_container_ready,
    .count = held,
    .container = &(const struct zfs_container_ops){
        .push = push, .pop = pop, .peek = peek, .count = count, .capacity = capacity},
};
