/*
 * replay.c - runs a fuzz harness over files, without libFuzzer.
 *
 * `meson test` links this with a harness (fuzz_segment.c, fuzz_codec.c)
 * and passes the committed corpus directories, so every build (gcc,
 * clang with ASan and UBSan) replays every seed and every reproducer of
 * a bug found once: a regression fails the test even where libFuzzer is
 * not available.
 *
 * Usage: replay FILE|DIR...  Directories are read one level deep, in
 * name order, so that a failure always names the same file first.  Each
 * input is announced on stdout before it runs (a crash then names its
 * file in the test log) and has ZFUZZ_REPLAY_TIMEOUT seconds (default 20)
 * to return: the harness calls nothing that waits, so running longer is
 * a hang and fails the test instead of stalling it until meson's
 * timeout.  Exit 0 when every input returned, 1 otherwise.
 */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *current;

static void on_alarm(int sig)
{
    (void)sig;
    /* Only async-signal-safe calls here. */
    static const char msg[] = "replay: HANG (timed out) on ";
    if (write(2, msg, sizeof msg - 1) < 0 || write(2, current, strlen(current)) < 0 ||
        write(2, "\n", 1) < 0) {
        /* Nothing more can be reported. */
    }
    _exit(1);
}

static int run_file(const char *path, unsigned timeout)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return 1;
    }
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    for (size_t n; buf != NULL && (n = fread(buf + len, 1, cap - len, f)) > 0;) {
        len += n;
        if (len == cap) {
            uint8_t *bigger = realloc(buf, cap *= 2);
            if (bigger == NULL)
                free(buf);
            buf = bigger;
        }
    }
    fclose(f);
    if (buf == NULL) {
        fprintf(stderr, "replay: out of memory reading %s\n", path);
        return 1;
    }
    printf("replay: %s (%zu bytes)\n", path, len);
    fflush(stdout);
    current = path;
    alarm(timeout);
    /* An exact-size copy, as libFuzzer passes it: a harness that reads
     * past its input is caught by AddressSanitizer. */
    uint8_t *exact = malloc(len ? len : 1);
    if (exact == NULL) {
        fprintf(stderr, "replay: out of memory for %s\n", path);
        free(buf);
        return 1;
    }
    memcpy(exact, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    alarm(0);
    free(exact);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, unsigned timeout, unsigned *count)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        perror(dir);
        return 1;
    }
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        if (de->d_name[0] == '.')
            continue;
        char **more = realloc(names, (n + 1) * sizeof *names);
        if (more == NULL)
            break;
        names = more;
        size_t len = strlen(dir) + strlen(de->d_name) + 2;
        names[n] = malloc(len);
        snprintf(names[n++], len, "%s/%s", dir, de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            rc |= run_file(names[i], timeout);
            (*count)++;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    const char *t = getenv("ZFUZZ_REPLAY_TIMEOUT");
    unsigned timeout = t != NULL && atoi(t) > 0 ? (unsigned)atoi(t) : 20;
    signal(SIGALRM, on_alarm);
    int rc = 0;
    unsigned count = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            rc = 1;
        } else if (S_ISDIR(st.st_mode)) {
            rc |= run_dir(argv[i], timeout, &count);
        } else {
            rc |= run_file(argv[i], timeout);
            count++;
        }
    }
    if (count == 0) {
        fprintf(stderr, "replay: no inputs\n");
        return 1;
    }
    printf("replay: %u inputs, %s\n", count, rc ? "FAILED" : "all returned");
    return rc;
}
