/* ctl.h - SEG/.create and SEG/.table (ctl.c). */
#ifndef ZFS_CTL_H
#define ZFS_CTL_H

#include <sys/types.h>

#include "zfs.h"

/* Runs every complete definition line of f->partial + buf; at close
 * (`final`) the unterminated rest too.  size, or -errno of the first bad
 * line (the ones before it are done). */
ssize_t zfs_ctl_create_write(struct zfs_file *f, zeroipc_memory_t *mem,
                             const char *buf, size_t size, bool final);

/* Renders the table, one entry per line, into a malloc'd *text.
 * 0 or a positive errno. */
int zfs_ctl_table_render(zeroipc_memory_t *mem, char **text, size_t *len);

#endif
