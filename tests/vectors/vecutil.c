/*
 * vecutil.c - loading the vector images and comparing bytes.
 */
#include "vectors.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *zv_dir(void)
{
    static int reported;
    const char *dir = getenv("ZEROIPC_VECTORS");
    struct stat st;

    if (dir == NULL || dir[0] == '\0') {
        if (!reported++)
            fprintf(stderr, "ZEROIPC_VECTORS is not set: skipping the "
                            "vector tests\n");
        return NULL;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        if (!reported++)
            fprintf(stderr, "ZEROIPC_VECTORS=%s is not a directory: "
                            "skipping the vector tests\n", dir);
        return NULL;
    }
    return dir;
}

static void zv_path(const struct zv_image *img, char *buf, size_t len)
{
    const char *dir = zv_dir();
    assert_non_null(dir);
    int n = snprintf(buf, len, "%s/%s", dir, img->file);
    assert_true(n > 0 && (size_t)n < len);
}

uint8_t *zv_load(const struct zv_image *img, size_t *len)
{
    char path[4096];
    struct stat st;

    zv_path(img, path, sizeof path);
    if (stat(path, &st) != 0)
        fail_msg("%s: %s", path, strerror(errno));
    if ((uint64_t)st.st_size != ZV_SEGMENT_SIZE)
        fail_msg("%s is %lld bytes, the manifest says %u", path,
                 (long long)st.st_size, ZV_SEGMENT_SIZE);

    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("%s: %s", path, strerror(errno));
    uint8_t *buf = malloc(ZV_SEGMENT_SIZE);
    if (buf == NULL) {
        fclose(f);
        fail_msg("out of memory");
    }
    size_t got = fread(buf, 1, ZV_SEGMENT_SIZE, f);
    fclose(f);
    if (got != ZV_SEGMENT_SIZE) {
        free(buf);
        fail_msg("%s: short read (%zu bytes)", path, got);
    }
    *len = got;
    return buf;
}

void zv_copy(const struct zv_image *img, char *name)
{
    char path[4096];
    struct stat st;

    zv_path(img, path, sizeof path);
    if (stat(path, &st) != 0)
        fail_msg("%s: %s", path, strerror(errno));
    if ((uint64_t)st.st_size != ZV_SEGMENT_SIZE)
        fail_msg("%s is %lld bytes, the manifest says %u", path,
                 (long long)st.st_size, ZV_SEGMENT_SIZE);
    if (zt_copy_to_shm(path, name, img->tag) != 0)
        fail_msg("copying %s to /dev/shm: %s", path, strerror(errno));
}

static int masked(uint64_t at, const struct zv_range *masks, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (at >= masks[i].begin && at < masks[i].end)
            return 1;
    }
    return 0;
}

int zv_diff(const char *what, const uint8_t *want, const uint8_t *got,
            uint64_t base, size_t len, const struct zv_range *masks,
            size_t n_masks)
{
    for (size_t i = 0; i < len; i++) {
        if (want[i] == got[i] || masked(base + i, masks, n_masks))
            continue;
        size_t differing = 0;
        for (size_t j = i; j < len; j++) {
            if (want[j] != got[j] && !masked(base + j, masks, n_masks))
                differing++;
        }
        fprintf(stderr,
                "%s: first difference at absolute offset %llu (0x%llx, "
                "+%zu into the range): expected 0x%02x, got 0x%02x "
                "(%zu differing bytes in the range)\n",
                what, (unsigned long long)(base + i),
                (unsigned long long)(base + i), i, want[i], got[i],
                differing);
        return 1;
    }
    return 0;
}
