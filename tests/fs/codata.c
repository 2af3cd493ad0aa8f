/*
 * codata.c - a libzeroipc program on the other end of mounted futures,
 * lazies, streams and channels (tests/fs/codata.sh).
 *
 *   zt-fs-codata future-set SEGMENT NAME V   sets the i64 future NAME to V
 *   zt-fs-codata supply SEGMENT NAME V       supplies the external i64 lazy
 *   zt-fs-codata emit SEGMENT STREAM FROM TO [close]
 *                                            emits the i32 values FROM..TO,
 *                                            waiting for room, then closes
 *                                            the stream if asked; prints
 *                                            the count and the sum
 *   zt-fs-codata recv SEGMENT CHANNEL N      receives N i32 values; prints
 *                                            them on one line
 *   zt-fs-codata close SEGMENT CHANNEL       closes the i32 channel
 *
 * SEGMENT is the /dev/shm name (without a slash).  Every wait is bounded
 * (10 s per element), so a lost wake-up shows as a failure, not a hang.
 * Exit 0 on success, 1 on any error (printed).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zeroipc.h"

#define WAIT_MS 10000

static int usage(void)
{
    fprintf(stderr, "usage: zt-fs-codata future-set|supply SEGMENT NAME V\n"
                    "       zt-fs-codata emit SEGMENT STREAM FROM TO [close]\n"
                    "       zt-fs-codata recv SEGMENT CHANNEL N\n"
                    "       zt-fs-codata close SEGMENT CHANNEL\n");
    return 1;
}

static int failed(const char *what, const char *name, int err)
{
    fprintf(stderr, "%s %s: %s\n", what, name, zeroipc_error_string((zeroipc_error_t)err));
    return 1;
}

static int64_t number(const char *s, int *bad)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*s == '\0' || *end != '\0')
        *bad = 1;
    return (int64_t)v;
}

static int run(zeroipc_memory_t *mem, int argc, char **argv)
{
    const char *mode = argv[1], *name = argv[3];
    int bad = 0;
    if (strcmp(mode, "future-set") == 0 && argc == 5) {
        int64_t v = number(argv[4], &bad);
        if (bad)
            return usage();
        zeroipc_future_t *f = zeroipc_future_open(mem, name, sizeof v);
        if (f == NULL)
            return failed("open future", name, zeroipc_last_error());
        int err = zeroipc_future_set(f, &v);
        zeroipc_future_close(f);
        return err == ZEROIPC_OK ? 0 : failed("set", name, err);
    }
    if (strcmp(mode, "supply") == 0 && argc == 5) {
        int64_t v = number(argv[4], &bad);
        if (bad)
            return usage();
        zeroipc_lazy_t *lz = zeroipc_lazy_open(mem, name, ZEROIPC_FIELD_I64);
        if (lz == NULL)
            return failed("open lazy", name, zeroipc_last_error());
        int err = zeroipc_lazy_supply(lz, &v);
        zeroipc_lazy_close(lz);
        return err == ZEROIPC_OK ? 0 : failed("supply", name, err);
    }
    if (strcmp(mode, "emit") == 0 && (argc == 6 || (argc == 7 && strcmp(argv[6], "close") == 0))) {
        int64_t from = number(argv[4], &bad), to = number(argv[5], &bad);
        if (bad)
            return usage();
        zeroipc_stream_t *s = zeroipc_stream_open(mem, name);
        if (s == NULL)
            return failed("open stream", name, zeroipc_last_error());
        if (zeroipc_stream_elem_size(s) != sizeof(int32_t)) {
            zeroipc_stream_close(s);
            fprintf(stderr, "stream %s: not 4-byte elements\n", name);
            return 1;
        }
        int rc = 0;
        int64_t count = 0, sum = 0;
        for (int64_t i = from; i <= to; i++) {
            int32_t v = (int32_t)i;
            int err = zeroipc_stream_emit_timeout(s, &v, WAIT_MS);
            if (err != ZEROIPC_OK) {
                rc = failed("emit", name, err);
                break;
            }
            count++;
            sum += v;
        }
        if (rc == 0 && argc == 7) {
            int err = zeroipc_stream_shutdown(s);
            if (err != ZEROIPC_OK)
                rc = failed("shutdown", name, err);
        }
        zeroipc_stream_close(s);
        printf("%" PRId64 " %" PRId64 "\n", count, sum);
        return rc;
    }
    if (strcmp(mode, "recv") == 0 && argc == 5) {
        int64_t n = number(argv[4], &bad);
        if (bad)
            return usage();
        zeroipc_channel_t *ch = zeroipc_channel_open_elem(mem, name, sizeof(int32_t));
        if (ch == NULL)
            return failed("open channel", name, zeroipc_last_error());
        int rc = 0;
        for (int64_t i = 0; i < n; i++) {
            int32_t v;
            int err = zeroipc_channel_recv_timeout(ch, &v, WAIT_MS);
            if (err != ZEROIPC_OK) {
                rc = failed("recv", name, err);
                break;
            }
            printf("%s%" PRId32, i ? " " : "", v);
        }
        printf("\n");
        zeroipc_channel_close(ch);
        return rc;
    }
    if (strcmp(mode, "close") == 0 && argc == 4) {
        zeroipc_channel_t *ch = zeroipc_channel_open_elem(mem, name, sizeof(int32_t));
        if (ch == NULL)
            return failed("open channel", name, zeroipc_last_error());
        int err = zeroipc_channel_shutdown(ch);
        zeroipc_channel_close(ch);
        return err == ZEROIPC_OK ? 0 : failed("shutdown", name, err);
    }
    return usage();
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return usage();
    char segname[300];
    snprintf(segname, sizeof segname, "/%s", argv[2]);
    zeroipc_memory_t *mem = zeroipc_memory_open(segname);
    if (mem == NULL)
        return failed("open", segname, zeroipc_last_error());
    int rc = run(mem, argc, argv);
    zeroipc_memory_close(mem);
    return rc;
}
