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
/* Prints the "machine" line (nproc, CPU model, kernel) and the "compiler"
 * line that open every benchmark's report. */
void bench_print_machine(int nproc);
/* Prints the "timers" line: the timer slack, which is how long a sleep
 * of 1 us really lasts, and how often zeroipc's sleepers look (slice_ms,
 * ZEROIPC_WAIT_SLICE_MS; passed in, as this library does not include
 * zeroipc's headers). */
void bench_print_timers(int slice_ms);

#endif
