/* view.c - the list of views: the one place that knows every kind. */
#include "view.h"

const struct zfs_view *zfs_view_for(zeroipc_kind_t kind)
{
    static const struct zfs_view *const views[] = {
        &zfs_view_array,
        &zfs_view_queue,
        &zfs_view_stack,
        &zfs_view_ring,
        &zfs_view_map,
        &zfs_view_set,
        &zfs_view_pool,
        &zfs_view_semaphore,
        &zfs_view_mutex,
        &zfs_view_barrier,
        &zfs_view_latch,
        &zfs_view_once,
        &zfs_view_event,
        &zfs_view_rwlock,
        &zfs_view_monitor,
        &zfs_view_signal,
        &zfs_view_future,
        &zfs_view_lazy,
        &zfs_view_stream,
        &zfs_view_channel,
    };
    for (size_t i = 0; i < sizeof views / sizeof views[0]; i++) {
        if (views[i]->kind == kind)
            return views[i];
    }
    return NULL;
}
