/* machine.c - what the benchmarks print about the machine they ran on. */
#include "machine.h"

#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

void bench_cpu_model(char *out, size_t len)
{
    snprintf(out, len, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        /* x86 says "model name"; some other architectures only "Hardware"
         * or "cpu model". */
        if (strncmp(line, "model name", 10) == 0 || strncmp(line, "cpu model", 9) == 0 ||
            strncmp(line, "Hardware", 8) == 0) {
            char *colon = strchr(line, ':');
            if (colon) {
                colon++;
                while (*colon == ' ' || *colon == '\t')
                    colon++;
                colon[strcspn(colon, "\n")] = '\0';
                snprintf(out, len, "%s", colon);
                break;
            }
        }
    }
    fclose(f);
}

long bench_read_proc_long(const char *path, long fallback)
{
    FILE *f = fopen(path, "r");
    long v;
    if (!f)
        return fallback;
    if (fscanf(f, "%ld", &v) != 1)
        v = fallback;
    fclose(f);
    return v;
}

void bench_print_load(const char *when)
{
    char buf[128] = "unknown";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fgets(buf, sizeof buf, f))
            buf[strcspn(buf, "\n")] = '\0';
        fclose(f);
    }
    printf("load      %s: %s (/proc/loadavg)\n", when, buf);
}

int bench_usable_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        return CPU_COUNT(&set);
    return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

void bench_print_machine(int nproc)
{
    char model[256];
    struct utsname un;
    bench_cpu_model(model, sizeof model);
    if (uname(&un) != 0)
        memset(&un, 0, sizeof un);
    printf("machine   nproc %d, %s, %s %s %s\n", nproc, model, un.sysname,
           un.release, un.machine);
    /* The compiler of this library, which the build uses for all. */
#if defined(__clang__)
    printf("compiler  clang %s\n", __clang_version__);
#elif defined(__GNUC__)
    printf("compiler  gcc %s\n", __VERSION__);
#endif
}

void bench_print_timers(int slice_ms)
{
    printf("timers    timer slack %ld ns; zeroipc sleeps in slices of %d ms\n",
           bench_read_proc_long("/proc/self/timerslack_ns", -1), slice_ms);
}
