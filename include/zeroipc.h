/*
 * zeroipc.h - libzeroipc, the entry point.
 *
 * Shared-memory structures in the ZeroIPC format v2, shared without
 * serialization by C, C++, Python and Go programs.  Source-compatible with
 * the original ZeroIPC C API: a program written against it includes this
 * header unchanged and links with -lzeroipc (or `pkg-config --libs
 * zeroipc`).
 *
 * One header per structure family, all included here:
 *   zeroipc_error.h    error codes, zeroipc_error_string, zeroipc_last_error
 *   zeroipc_memory.h   segments and their table
 *   zeroipc_array.h    fixed arrays
 *   zeroipc_queue.h    bounded MPMC FIFO queue
 *   zeroipc_stack.h    bounded MPMC LIFO stack
 *   zeroipc_pool.h     fixed pool of nodes, allocated and freed by index
 *   zeroipc_ring.h     single-producer single-consumer ring
 *   zeroipc_barrier.h  reusable barrier
 *   zeroipc_latch.h    single-use countdown latch
 *   zeroipc_semaphore.h counting semaphores and mutexes
 *   zeroipc_event.h    auto- and manual-reset events
 *   zeroipc_once.h     run a function exactly once, across processes
 *   zeroipc_catalog.h  kinds, element types, and the catalogue
 *   zeroipc_codec.h    element types as text
 *   zeroipc_map.h      hash maps and sets (open addressing)
 *   zeroipc_monitor.h  monitors: a mutex with wait and notify
 *   zeroipc_signal.h   a value with a version: set, get, wait for change
 *   zeroipc_rwlock.h   readers/writer locks
 *   zeroipc_future.h   a value computed once: set, set_error, get
 *   zeroipc_stream.h   streams: emit, next, close; operators run by pump
 *   zeroipc_lazy.h     a value computed at most once, on first demand
 *   zeroipc_channel.h  CSP channels: buffered, or rendezvous
 *
 * Conventions.  Handles are opaque (zeroipc_X_t).  zeroipc_X_create(mem,
 * name, ...) makes a structure, zeroipc_X_open(mem, name) finds one,
 * zeroipc_X_close(h) frees the handle and never the structure.  Operations
 * return ZEROIPC_OK or a negative zeroipc_error_t; handle-returning calls
 * return NULL and set zeroipc_last_error().  A handle may be shared by the
 * threads of a process; the structure by any number of processes.
 */
#ifndef ZEROIPC_H
#define ZEROIPC_H

#include "zeroipc_error.h"
#include "zeroipc_memory.h"
#include "zeroipc_array.h"
#include "zeroipc_queue.h"
#include "zeroipc_stack.h"
#include "zeroipc_pool.h"
#include "zeroipc_ring.h"
#include "zeroipc_barrier.h"
#include "zeroipc_latch.h"
#include "zeroipc_semaphore.h"
#include "zeroipc_event.h"
#include "zeroipc_once.h"
#include "zeroipc_catalog.h"
#include "zeroipc_codec.h"
#include "zeroipc_map.h"
#include "zeroipc_monitor.h"
#include "zeroipc_signal.h"
#include "zeroipc_rwlock.h"
#include "zeroipc_future.h"
#include "zeroipc_stream.h"
#include "zeroipc_lazy.h"
#include "zeroipc_channel.h"

#define ZEROIPC_VERSION_STRING "0.1.0"

#endif /* ZEROIPC_H */
