/*
 * testutil.h - what every test program shares.
 *
 * Segment names are unique per process and per call, so tests may run in
 * parallel and never meet a leftover.  Every name handed out is recorded
 * and unlinked at exit, on a failed cmocka assertion (the group teardown
 * calls zt_cleanup) and on a fatal signal, so a failing test leaves
 * nothing in /dev/shm.
 */
#ifndef ZEROIPC_TESTUTIL_H
#define ZEROIPC_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "zeroipc.h"

#define ZT_NAME_MAX 64

/* Writes "/zt-<tag>-<pid>-<n>" into buf (ZT_NAME_MAX bytes) and records
 * it for cleanup; returns buf. */
char *zt_segname(char *buf, const char *tag);

/* Unlinks every recorded segment.  Safe to call repeatedly; installed with
 * atexit and for SIGSEGV/SIGABRT/SIGBUS/SIGTERM/SIGINT by zt_init. */
void zt_cleanup(void);

/* Installs the exit and signal cleanup.  Call first in main(). */
void zt_init(void);

/* A cmocka group teardown that calls zt_cleanup. */
int zt_group_teardown(void **state);

/* Monotonic milliseconds, for timing assertions. */
int64_t zt_now_ms(void);

/* Forks a child that runs fn(arg) and exits with its return value
 * (children never run cmocka).  Returns the pid. */
int zt_fork(int (*fn)(void *), void *arg);

/* Waits for pid; returns its exit status, or 128+signal when killed. */
int zt_wait(int pid);

/* Copies the file at path into /dev/shm under a fresh name (recorded for
 * cleanup) and returns that name in buf.  0 on success, -1 with errno. */
int zt_copy_to_shm(const char *path, char *buf, const char *tag);

#endif
