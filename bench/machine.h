/* machine.h - what the benchmarks print about the machine they ran on. */
#ifndef ZEROIPC_BENCH_MACHINE_H
#define ZEROIPC_BENCH_MACHINE_H

#include <stddef.h>

/* The CPU's model name from /proc/cpuinfo, or "unknown CPU". */
void bench_cpu_model(char *out, size_t len);
/* The first number in a /proc file, or fallback. */
long bench_read_proc_long(const char *path, long fallback);
/* Prints "load WHEN: <loadavg>": other work skews every figure, and the
 * load beside them lets a reader judge a run. */
void bench_print_load(const char *when);
/* What nproc(1) prints: the CPUs this process may run on. */
int bench_usable_cpus(void);

#endif
