/*
 * fuzz_segment.c - a segment image, opened as a live segment and read
 * through every read-only (and every non-blocking) call of the library.
 *
 * DESIGN.md: "A corrupt segment gives an error, never a crash, an
 * out-of-bounds access or an endless loop."  This harness checks that
 * promise.  The input is a whole segment image.  It becomes a fresh POSIX
 * shared-memory object, so zeroipc_memory_open validates it exactly as it
 * would a segment another process left in /dev/shm (no shortcut around
 * the header checks).  Then, as the filesystem does when it lists a
 * segment and shows its files, it describes every entry and, for every
 * entry, opens it as EVERY kind, not only the kind it was described as (a
 * hostile writer chooses the bytes, and every open must cope with any of
 * them), calls every accessor and validate function, and formats
 * elements as text with the codec.
 *
 * What may run: anything that cannot wait.  Observers, validate
 * functions, peeks, and the try / timeout-0 variants (pops, try-locks:
 * the image is our private copy, so consuming from it harms nothing and
 * reaches the corrupt-counter paths a file read takes).  Excluded,
 * because they may legitimately wait even with timeout 0: stack pop and
 * push (a slot claim waits up to ZEROIPC_STACK_CLAIM_MS), map and set
 * inserts (ZEROIPC_MAP_CLAIM_MS), barrier arrivals, event pulses and every
 * blocking variant.
 *
 * Oracles besides crashes and sanitizer reports:
 *   - under AddressSanitizer the bytes of the mapping that belong to no
 *     table entry (alignment gaps, free space, the tail of the last page)
 *     are poisoned, and a guard page is placed after the mapping when the
 *     address is free, so a structure that reads outside its own table
 *     entry is reported even though the segment is not heap memory;
 *   - every element's text is printable ASCII without a newline, no longer
 *     than zeroipc_codec_max_text, and parsing it back and formatting
 *     again gives the same text (format(parse(format(x))) == format(x));
 *   - counts are within capacities.
 *
 * Built twice from this one source: with libFuzzer (tests/fuzz/meson.build,
 * clang only; scripts/fuzz runs it), and with replay.c as a plain program
 * that `meson test` runs over the committed corpus in every build.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "zeroipc.h"

/* Work bounds, so one input stays in the milliseconds: a segment can
 * describe thousands of entries and millions of elements. */
#define MAX_ENTRIES 64     /* entries examined per input */
#define MAX_ELEMS 8        /* elements formatted per structure and type */
#define MAX_ITER 64        /* map / set slots iterated */
#define MAX_ELEM_BYTES (1u << 20)

static int g_failed; /* set by check(); abort at once */
/* ZFUZZ_VERBOSE set: one line per entry on stderr, to see what a seed
 * reaches (replay ZFUZZ_VERBOSE=1 replay_segment FILE). */
static int g_verbose = -1;

/* ZFUZZ_SKIP="queue_pop,stack_top": operation groups left out, so that
 * fuzzing can go on past a bug that is found and reported but not yet
 * fixed (every input would otherwise rediscover it).  The names are the
 * arguments of the allowed() calls below.  Never set by `meson test`. */
static const char *g_skip;

static bool allowed(const char *op)
{
    if (g_skip == NULL || g_skip[0] == '\0')
        return true;
    size_t n = strlen(op);
    for (const char *p = g_skip; (p = strstr(p, op)) != NULL; p += n) {
        if ((p == g_skip || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
            return false;
    }
    return true;
}

static void check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_segment: invariant failed: %s\n", what);
        g_failed = 1;
        abort();
    }
}

/* ------------------------------------------------------------------ */
/* The image as a live segment. */

/* Creates a fresh shared-memory object holding the image and opens it
 * with the library.  The name is unlinked as soon as the library holds
 * its descriptor (or on any failure), so nothing stays in /dev/shm even
 * if a later call crashes. */
static zeroipc_memory_t *open_image(const uint8_t *data, size_t size)
{
    static unsigned counter;
    char name[64];
    snprintf(name, sizeof name, "/zfuzz-%ld-%u", (long)getpid(), counter++);
    int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
        /* Left over from a killed run of a process with our pid. */
        shm_unlink(name);
        fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0)
            return NULL;
    }
    bool ok = ftruncate(fd, (off_t)size) == 0;
    for (size_t done = 0; ok && done < size;) {
        ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        ok = n > 0;
        done += ok ? (size_t)n : 0;
    }
    close(fd);
    zeroipc_memory_t *mem = ok ? zeroipc_memory_open(name) : NULL;
    shm_unlink(name);
    return mem;
}

/* ------------------------------------------------------------------ */
/* The codec on elements found in the segment. */

/* Allocated once and kept for the process: megabytes each, which a
 * per-input malloc would map and unmap every time. */
static char *g_text, *g_text2;  /* ZEROIPC_CODEC_MAX_TEXT */
static uint8_t *g_scratch;      /* 4 * MAX_ELEM_BYTES: up to 4 elements */

static void setup_buffers(void)
{
    if (g_text == NULL) {
        g_text = malloc(ZEROIPC_CODEC_MAX_TEXT);
        g_text2 = malloc(ZEROIPC_CODEC_MAX_TEXT);
        g_scratch = malloc(4 * (size_t)MAX_ELEM_BYTES);
        check(g_text != NULL && g_text2 != NULL && g_scratch != NULL, "buffers");
    }
}

/* Formats one element as the filesystem's read does, and checks the
 * text: bounded, printable, one line, and stable through parse+format. */
static void format_elem(const zeroipc_type_t *t, const void *elem)
{
    size_t max = zeroipc_codec_max_text(t), n = 0, m = 0;
    check(max > 0 && max <= ZEROIPC_CODEC_MAX_TEXT, "max_text bound");
    int rc = zeroipc_codec_format(t, elem, g_text, max, &n);
    check(rc == ZEROIPC_OK && n <= max, "format fits max_text");
    for (size_t i = 0; i < n; i++)
        check(g_text[i] >= 0x20 && g_text[i] < 0x7f, "text is printable ASCII");
    uint8_t *back = malloc(t->size);
    check(back != NULL, "malloc");
    rc = zeroipc_codec_parse(t, g_text, n, back);
    check(rc == ZEROIPC_OK, "formatted text parses back");
    rc = zeroipc_codec_format(t, back, g_text2, max, &m);
    check(rc == ZEROIPC_OK && m == n && memcmp(g_text, g_text2, n) == 0,
          "format(parse(format(x))) == format(x)");
    free(back);
}

/* A few types for an element of `size` bytes: the recorded one when it
 * fits, the raw bytesN the filesystem falls back to, strN, and the
 * numbers and records of that size.  Returns how many were stored. */
static size_t types_for(size_t size, const char *recorded, zeroipc_type_t *out, size_t max)
{
    static const char *const specs[] = {
        "i8", "u8", "i16", "u16", "i32", "u32", "f32", "i64", "u64", "f64",
        "f32,f32,u64", "u8,i16", "i32,f32", "str3,u8", "f64,str8", "i16,str2",
    };
    size_t n = 0;
    if (size == 0 || size > MAX_ELEM_BYTES)
        return 0;
    zeroipc_type_t t;
    if (recorded != NULL && recorded[0] != '\0' &&
        zeroipc_type_parse(recorded, strlen(recorded), &t) == ZEROIPC_OK &&
        zeroipc_type_size(&t) == size && n < max)
        out[n++] = t;
    char spec[32];
    snprintf(spec, sizeof spec, "bytes%zu", size);
    if (zeroipc_type_parse(spec, strlen(spec), &t) == ZEROIPC_OK && n < max)
        out[n++] = t;
    snprintf(spec, sizeof spec, "str%zu", size);
    if (zeroipc_type_parse(spec, strlen(spec), &t) == ZEROIPC_OK && n < max)
        out[n++] = t;
    for (size_t i = 0; i < sizeof specs / sizeof specs[0] && n < max; i++) {
        if (zeroipc_type_parse(specs[i], strlen(specs[i]), &t) == ZEROIPC_OK &&
            zeroipc_type_size(&t) == size)
            out[n++] = t;
    }
    return n;
}

static void format_as_all(size_t size, const char *recorded, const void *elem)
{
    zeroipc_type_t types[8];
    size_t n = types_for(size, recorded, types, 8);
    for (size_t i = 0; i < n; i++)
        format_elem(&types[i], elem);
}

/* A map's recorded "KEY:VALUE" spec split into its halves, as the
 * filesystem does; empty halves when there is none. */
static void split_kv(const char *spec, char *k, char *v, size_t len)
{
    const char *colon = strchr(spec, ':');
    k[0] = v[0] = '\0';
    if (colon != NULL && (size_t)(colon - spec) < len && strlen(colon + 1) < len) {
        memcpy(k, spec, (size_t)(colon - spec));
        k[colon - spec] = '\0';
        strcpy(v, colon + 1);
    }
}

/* ------------------------------------------------------------------ */
/* Every kind, on one entry. */

struct ctx {
    zeroipc_memory_t *mem;
    const zeroipc_info_t *info; /* how describe_all saw the entry */
    uint8_t *scratch;           /* MAX_ELEM_BYTES * 4 */
};

static void try_array(struct ctx *c, const char *name)
{
    zeroipc_array_t *a = zeroipc_array_open(c->mem, name);
    if (a == NULL)
        return;
    size_t cap = zeroipc_array_capacity(a), esz = zeroipc_array_elem_size(a);
    check(cap > 0 && esz > 0 && zeroipc_array_data(a) != NULL, "array shape");
    check(zeroipc_array_get(a, cap) == NULL, "array get past the end");
    const char *rec = c->info->kind == ZEROIPC_KIND_ARRAY ? c->info->type : NULL;
    for (size_t i = 0; i < cap && i < MAX_ELEMS; i++) {
        const void *e = zeroipc_array_get(a, i);
        check(e != NULL, "array get in range");
        format_as_all(esz, rec, e);
    }
    const void *last = zeroipc_array_get(a, cap - 1);
    check(last != NULL, "array last");
    format_as_all(esz, rec, last);
    zeroipc_array_close(a);
}

static void try_queue(struct ctx *c, const char *name, size_t offset)
{
    zeroipc_queue_t *q = zeroipc_queue_open(c->mem, name);
    if (q == NULL)
        return;
    size_t cap = zeroipc_queue_capacity(q), esz = zeroipc_queue_elem_size(q);
    check(zeroipc_queue_size(q) <= cap, "queue size <= capacity");
    int e = zeroipc_queue_empty(q), f = zeroipc_queue_full(q);
    check((e == 0 || e == 1) && (f == 0 || f == 1), "queue empty/full are 0/1");
    void *base = zeroipc_memory_base(c->mem);
    (void)zeroipc_raw_queue_size(base, offset);
    (void)zeroipc_raw_queue_empty(base, offset);
    (void)zeroipc_raw_queue_full(base, offset);
    const char *rec = c->info->kind == ZEROIPC_KIND_QUEUE ? c->info->type : NULL;
    if (esz <= MAX_ELEM_BYTES) {
        if (allowed("queue_peek") && zeroipc_queue_peek(q, c->scratch) == ZEROIPC_OK)
            format_as_all(esz, rec, c->scratch);
        /* A file read pops: do what it does, without waiting. */
        if (allowed("queue_pop") && zeroipc_queue_pop_timeout(q, c->scratch, 0) == ZEROIPC_OK)
            format_as_all(esz, rec, c->scratch);
        size_t n = allowed("queue_pop") ? zeroipc_queue_pop_many(q, c->scratch, 4) : 0;
        check(n <= 4, "pop_many count");
        for (size_t i = 0; i < n; i++)
            format_as_all(esz, rec, c->scratch + i * esz);
    }
    check(zeroipc_queue_size(q) <= cap, "queue size <= capacity after pops");
    zeroipc_queue_close(q);
}

static void try_stack(struct ctx *c, const char *name, size_t offset)
{
    zeroipc_stack_t *s = zeroipc_stack_open(c->mem, name);
    if (s == NULL)
        return;
    size_t cap = zeroipc_stack_capacity(s), esz = zeroipc_stack_elem_size(s);
    check(zeroipc_stack_size(s) <= cap, "stack size <= capacity");
    (void)zeroipc_stack_empty(s);
    (void)zeroipc_stack_full(s);
    void *base = zeroipc_memory_base(c->mem);
    (void)zeroipc_raw_stack_size(base, offset);
    (void)zeroipc_raw_stack_empty(base, offset);
    (void)zeroipc_raw_stack_full(base, offset);
    /* top, not pop: a pop's slot claim may wait ZEROIPC_STACK_CLAIM_MS. */
    if (esz <= MAX_ELEM_BYTES && allowed("stack_top") &&
        zeroipc_stack_top(s, c->scratch) == ZEROIPC_OK)
        format_as_all(esz, c->info->kind == ZEROIPC_KIND_STACK ? c->info->type : NULL,
                      c->scratch);
    zeroipc_stack_close(s);
}

static void try_ring(struct ctx *c, const char *name)
{
    zeroipc_ring_t *r = zeroipc_ring_open(c->mem, name);
    if (r == NULL)
        return;
    size_t cap = zeroipc_ring_capacity(r), esz = zeroipc_ring_elem_size(r);
    check(cap > 0 && zeroipc_ring_capacity_bytes(r) == cap * esz, "ring shape");
    check(zeroipc_ring_size(r) <= cap, "ring size <= capacity");
    (void)zeroipc_ring_empty(r);
    (void)zeroipc_ring_full(r);
    const char *rec = c->info->kind == ZEROIPC_KIND_RING ? c->info->type : NULL;
    if (esz <= MAX_ELEM_BYTES && allowed("ring_read")) {
        if (zeroipc_ring_peek_spsc(r, c->scratch) == ZEROIPC_OK)
            format_as_all(esz, rec, c->scratch);
        if (zeroipc_ring_read_timeout_spsc(r, c->scratch, 0) == ZEROIPC_OK)
            format_as_all(esz, rec, c->scratch);
        size_t max = 4;
        size_t n = zeroipc_ring_read_many_spsc(r, c->scratch, max);
        check(n <= max, "ring read_many count");
        for (size_t i = 0; i < n; i++)
            format_as_all(esz, rec, c->scratch + i * esz);
        size_t moved = 99;
        int rc = zeroipc_ring_read_many_timeout_spsc(r, c->scratch, max, &moved, 0);
        check(moved <= max && (rc == ZEROIPC_OK || moved == 0), "ring read_many_timeout count");
    }
    zeroipc_ring_close(r);
}

/* Shapes a map or set of the stored sizes may have: every natural
 * alignment (the filesystem's untyped open) and the integer hashes. */
static size_t shapes_for(uint32_t ksz, uint32_t vsz, bool set, zeroipc_map_shape_t *out, size_t max)
{
    size_t n = 0;
    for (uint32_t ka = 1; ka <= 8; ka <<= 1) {
        for (uint32_t va = 1; va <= (set ? 1u : 8u); va <<= 1) {
            if (ksz % ka != 0 || (!set && vsz % va != 0) || n >= max)
                continue;
            out[n++] = (zeroipc_map_shape_t){ksz, ka, set ? 0 : vsz, va, ZEROIPC_HASH_BYTES};
            if ((ksz == 1 || ksz == 2 || ksz == 4 || ksz == 8) && ka == ksz && n + 2 <= max) {
                out[n] = out[n - 1];
                out[n++].key_hash = ZEROIPC_HASH_SIGNED;
                out[n] = out[n - 1];
                out[n++].key_hash = ZEROIPC_HASH_UNSIGNED;
            }
        }
    }
    return n;
}

static void walk_map(struct ctx *c, zeroipc_map_t *m, const char *krec, const char *vrec)
{
    size_t cap = zeroipc_map_capacity(m), ksz = zeroipc_map_key_size(m),
           vsz = zeroipc_map_value_size(m);
    check(zeroipc_map_size(m) <= cap, "map size <= capacity");
    zeroipc_map_shape_t shape;
    check(zeroipc_map_get_shape(m, &shape) == ZEROIPC_OK, "map shape");
    if (ksz > MAX_ELEM_BYTES || vsz > MAX_ELEM_BYTES)
        return;
    uint8_t *key = c->scratch, *val = c->scratch + MAX_ELEM_BYTES;
    size_t cursor = 0, prev = 0;
    for (int i = 0; i < MAX_ITER; i++) {
        int rc = zeroipc_map_next(m, &cursor, key, val);
        if (rc != ZEROIPC_OK)
            break;
        check(cursor > prev || i == 0, "map cursor advances");
        check(cursor <= cap, "map cursor within capacity");
        prev = cursor;
        if (i < MAX_ELEMS) {
            format_as_all(ksz, krec, key);
            format_as_all(vsz, vrec, val);
        }
        /* What iteration yields, find finds (or reports corrupt). */
        rc = zeroipc_map_find(m, key, val);
        check(rc == ZEROIPC_OK || rc == ZEROIPC_ERROR_CORRUPT || rc == ZEROIPC_ERROR_NOT_FOUND,
              "map find result");
        (void)zeroipc_map_contains(m, key);
    }
    memset(key, 0, ksz);
    (void)zeroipc_map_find(m, key, NULL);
}

static void try_map(struct ctx *c, const char *name, const zeroipc_entry_t *e)
{
    if (e->size < 16)
        return; /* no header to read the sizes from: every open refuses it */
    uint32_t hdr[4];
    memcpy(hdr, (uint8_t *)zeroipc_memory_base(c->mem) + e->offset, sizeof hdr);
    char krec[ZEROIPC_TYPE_SPEC_SIZE], vrec[ZEROIPC_TYPE_SPEC_SIZE];
    split_kv(c->info->kind == ZEROIPC_KIND_MAP ? c->info->type : "", krec, vrec, sizeof krec);

    /* Typed open, as the filesystem does when a type was recorded. */
    zeroipc_type_t kt, vt;
    if (krec[0] != '\0' && zeroipc_type_parse(krec, strlen(krec), &kt) == ZEROIPC_OK &&
        zeroipc_type_parse(vrec, strlen(vrec), &vt) == ZEROIPC_OK) {
        zeroipc_map_t *m = zeroipc_map_open(c->mem, name, &kt, &vt);
        if (m != NULL) {
            walk_map(c, m, krec, vrec);
            zeroipc_map_close(m);
        }
    }
    zeroipc_map_shape_t shapes[48];
    size_t n = shapes_for(hdr[2], hdr[3], false, shapes, 48);
    for (size_t i = 0; i < n; i++) {
        check(zeroipc_map_validate(zeroipc_memory_base(c->mem), 0, &shapes[i]) != ZEROIPC_OK,
              "map validate of 0 bytes");
        zeroipc_map_t *m = zeroipc_map_open_shape(c->mem, name, &shapes[i]);
        if (m == NULL)
            continue;
        walk_map(c, m, krec, vrec);
        zeroipc_map_close(m);
    }
}

static void try_set(struct ctx *c, const char *name, const zeroipc_entry_t *e)
{
    if (e->size < 16)
        return;
    uint32_t hdr[4];
    memcpy(hdr, (uint8_t *)zeroipc_memory_base(c->mem) + e->offset, sizeof hdr);
    const char *rec = c->info->kind == ZEROIPC_KIND_SET ? c->info->type : NULL;
    zeroipc_map_shape_t shapes[16];
    size_t n = shapes_for(hdr[2], 0, true, shapes, 16);
    zeroipc_type_t t;
    if (rec != NULL && rec[0] != '\0' && zeroipc_type_parse(rec, strlen(rec), &t) == ZEROIPC_OK) {
        zeroipc_set_t *s = zeroipc_set_open(c->mem, name, &t);
        zeroipc_set_close(s);
    }
    for (size_t i = 0; i < n; i++) {
        zeroipc_set_t *s = zeroipc_set_open_shape(c->mem, name, &shapes[i]);
        if (s == NULL)
            continue;
        size_t cap = zeroipc_set_capacity(s), esz = zeroipc_set_elem_size(s);
        check(zeroipc_set_size(s) <= cap, "set size <= capacity");
        if (esz <= MAX_ELEM_BYTES) {
            size_t cursor = 0;
            for (int k = 0; k < MAX_ITER; k++) {
                if (zeroipc_set_next(s, &cursor, c->scratch) != ZEROIPC_OK)
                    break;
                check(cursor <= cap, "set cursor within capacity");
                if (k < MAX_ELEMS)
                    format_as_all(esz, rec, c->scratch);
                (void)zeroipc_set_contains(s, c->scratch);
            }
        }
        zeroipc_set_close(s);
    }
}

static void try_pool(struct ctx *c, const char *name)
{
    static const size_t aligns[] = {0, 1, 2, 4, 8};
    for (size_t i = 0; i < sizeof aligns / sizeof aligns[0]; i++) {
        zeroipc_pool_t *p = zeroipc_pool_open(c->mem, name, aligns[i]);
        if (p == NULL)
            continue;
        size_t cap = zeroipc_pool_capacity(p), esz = zeroipc_pool_elem_size(p);
        check(zeroipc_pool_allocated(p) <= cap, "pool allocated <= capacity");
        check(zeroipc_pool_stride(p) >= esz, "pool stride");
        check(zeroipc_pool_get(p, (uint32_t)(cap > UINT32_MAX ? UINT32_MAX : cap)) == NULL ||
                  cap > UINT32_MAX,
              "pool get past the end");
        const char *rec = c->info->kind == ZEROIPC_KIND_POOL ? c->info->type : NULL;
        const void *first = zeroipc_pool_get(p, 0), *last = zeroipc_pool_get(p, (uint32_t)(cap - 1));
        check(first != NULL && last != NULL, "pool get in range");
        if (i == 0) {
            format_as_all(esz, rec, first);
            format_as_all(esz, rec, last);
            /* Allocation never waits: follow the (untrusted) free list. */
            uint32_t idx;
            if (allowed("pool_alloc") && zeroipc_pool_alloc(p, &idx) == ZEROIPC_OK) {
                check(idx < cap, "pool alloc index in range");
                (void)zeroipc_pool_free(p, idx);
            }
            (void)zeroipc_pool_free(p, (uint32_t)(cap - 1));
        }
        zeroipc_pool_close(p);
    }
}

static void try_sync(struct ctx *c, const char *name)
{
    if (!allowed("sync"))
        return;
    zeroipc_semaphore_t *sem = zeroipc_semaphore_open(c->mem, name);
    if (sem != NULL) {
        (void)zeroipc_semaphore_count(sem);
        (void)zeroipc_semaphore_waiting(sem);
        (void)zeroipc_semaphore_max_count(sem);
        if (zeroipc_semaphore_try_acquire(sem) == ZEROIPC_OK)
            (void)zeroipc_semaphore_release(sem);
        (void)zeroipc_semaphore_acquire_timeout(sem, 0);
        zeroipc_semaphore_close(sem);
    }
    zeroipc_mutex_t *mtx = zeroipc_mutex_open(c->mem, name);
    if (mtx != NULL) {
        (void)zeroipc_mutex_is_locked(mtx);
        if (zeroipc_mutex_try_lock(mtx) == ZEROIPC_OK)
            (void)zeroipc_mutex_unlock(mtx);
        zeroipc_mutex_close(mtx);
    }
    zeroipc_barrier_t *bar = zeroipc_barrier_open(c->mem, name);
    if (bar != NULL) {
        (void)zeroipc_barrier_arrived(bar);
        (void)zeroipc_barrier_generation(bar);
        check(zeroipc_barrier_num_participants(bar) > 0, "barrier participants");
        zeroipc_barrier_close(bar);
    }
    zeroipc_latch_t *l = zeroipc_latch_open(c->mem, name);
    if (l != NULL) {
        (void)zeroipc_latch_count(l);
        (void)zeroipc_latch_initial_count(l);
        (void)zeroipc_latch_try_wait(l);
        (void)zeroipc_latch_await(l, 0);
        zeroipc_latch_close(l);
    }
    zeroipc_once_t *o = zeroipc_once_open(c->mem, name);
    if (o != NULL) {
        int s = zeroipc_once_state(o);
        check(s == ZEROIPC_ONCE_PENDING || s == ZEROIPC_ONCE_EXECUTING ||
                  s == ZEROIPC_ONCE_DONE || s == ZEROIPC_ERROR_CORRUPT,
              "once state");
        (void)zeroipc_once_done(o);
        (void)zeroipc_once_wait(o, 0);
        zeroipc_once_close(o);
    }
    zeroipc_event_t *ev = zeroipc_event_open(c->mem, name);
    if (ev != NULL) {
        (void)zeroipc_event_is_set(ev);
        int mode = zeroipc_event_mode(ev);
        check(mode == ZEROIPC_EVENT_AUTO || mode == ZEROIPC_EVENT_MANUAL, "event mode");
        (void)zeroipc_event_try_wait(ev);
        (void)zeroipc_event_wait_timeout(ev, 0);
        zeroipc_event_close(ev);
    }
    zeroipc_rwlock_t *rw = zeroipc_rwlock_open(c->mem, name);
    if (rw != NULL) {
        (void)zeroipc_rwlock_readers(rw);
        (void)zeroipc_rwlock_writer_active(rw);
        if (zeroipc_rwlock_try_read_lock(rw) == ZEROIPC_OK)
            (void)zeroipc_rwlock_read_unlock(rw);
        if (zeroipc_rwlock_try_write_lock(rw) == ZEROIPC_OK)
            (void)zeroipc_rwlock_write_unlock(rw);
        zeroipc_rwlock_close(rw);
    }
    zeroipc_monitor_t *mon = zeroipc_monitor_open(c->mem, name);
    if (mon != NULL) {
        (void)zeroipc_monitor_waiting(mon);
        (void)zeroipc_monitor_is_locked(mon);
        if (zeroipc_monitor_try_lock(mon) == ZEROIPC_OK)
            (void)zeroipc_monitor_unlock(mon);
        zeroipc_monitor_close(mon);
    }
    /* A signal's value size is not stored: derive the candidates from
     * its `_state` entry, align8(8 + n) bytes. */
    char state[ZEROIPC_NAME_SIZE + 8];
    size_t ssize = 0;
    snprintf(state, sizeof state, "%s%s", name, ZEROIPC_SIGNAL_STATE_SUFFIX);
    if (strlen(state) < ZEROIPC_NAME_SIZE &&
        zeroipc_table_find(c->mem, state, NULL, &ssize) == ZEROIPC_OK && ssize > 8) {
        size_t sizes[] = {ssize - 8, ssize > 15 ? ssize - 15 : 1};
        for (size_t i = 0; i < 2; i++) {
            zeroipc_signal_t *sig = zeroipc_signal_open(c->mem, name, sizes[i]);
            if (sig == NULL)
                continue;
            size_t vsz = zeroipc_signal_value_size(sig);
            uint64_t ver = zeroipc_signal_version(sig), got = 0;
            if (vsz <= MAX_ELEM_BYTES &&
                zeroipc_signal_get_timeout(sig, c->scratch, &got, 0) == ZEROIPC_OK)
                format_as_all(vsz, NULL, c->scratch);
            (void)zeroipc_signal_wait_change_timeout(sig, ver, NULL, &got, 0);
            zeroipc_signal_close(sig);
        }
    }
}

/* Futures, lazy values, streams and channels, by the structure's name
 * (a stream's or channel's entry is its `_header`): every accessor and
 * every call that does not wait.  Forcing a lazy and pumping a stream
 * write to the segment, which is this run's own copy. */
static void try_codata(struct ctx *c, const char *name)
{
    if (!allowed("codata"))
        return;
    char msg[ZEROIPC_FUTURE_MSG_SIZE + 8], label[64];
    for (size_t vs = 1; vs <= 8; vs++) {
        zeroipc_future_t *f = zeroipc_future_open(c->mem, name, vs);
        if (f == NULL)
            continue;
        int st = zeroipc_future_state(f);
        check(st == ZEROIPC_ERROR_CORRUPT || (st >= 0 && st <= ZEROIPC_FUTURE_ERROR), "future state");
        (void)zeroipc_future_waiters(f);
        (void)zeroipc_future_completion_time(f);
        if (zeroipc_future_error(f, msg, sizeof msg) == ZEROIPC_OK)
            check(strlen(msg) < sizeof msg, "future message");
        if (zeroipc_future_try_get(f, c->scratch) == ZEROIPC_OK)
            format_as_all(vs, NULL, c->scratch);
        (void)zeroipc_future_get_timeout(f, c->scratch, 0);
        zeroipc_future_close(f);
    }
    for (int k = ZEROIPC_FIELD_I8; k <= ZEROIPC_FIELD_F64; k++) {
        zeroipc_lazy_t *lz = zeroipc_lazy_open(c->mem, name, (zeroipc_field_kind_t)k);
        if (lz == NULL)
            continue;
        int comb;
        uint32_t first, second, index;
        (void)zeroipc_lazy_state(lz);
        (void)zeroipc_lazy_op(lz);
        (void)zeroipc_lazy_compute_count(lz);
        (void)zeroipc_lazy_chain(lz, &comb, &first, &second);
        (void)zeroipc_lazy_index(lz, &index);
        if (zeroipc_lazy_error(lz, msg, sizeof msg) == ZEROIPC_OK)
            check(strlen(msg) < sizeof msg, "lazy message");
        (void)zeroipc_lazy_peek(lz, c->scratch);
        (void)zeroipc_lazy_force_timeout(lz, c->scratch, 0);
        zeroipc_lazy_close(lz);
    }
    zeroipc_stream_t *st = zeroipc_stream_open(c->mem, name);
    if (st != NULL) {
        size_t cap = zeroipc_stream_capacity(st), es = zeroipc_stream_elem_size(st);
        check(es > 0 && cap > 0, "stream shape");
        check(zeroipc_stream_size(st) <= cap, "stream size within capacity");
        (void)zeroipc_stream_closed(st);
        (void)zeroipc_stream_sequence(st);
        (void)zeroipc_stream_subscribers(st);
        if (zeroipc_stream_label(st, label, sizeof label) == ZEROIPC_OK)
            check(strlen(label) < sizeof label, "stream label");
        (void)zeroipc_stream_result_type(st, label, sizeof label);
        if (zeroipc_stream_is_derived(st) == 1)
            (void)zeroipc_stream_pump(st, NULL);
        if (es <= MAX_ELEM_BYTES && zeroipc_stream_try_next(st, c->scratch) == ZEROIPC_OK)
            format_as_all(es, NULL, c->scratch);
        zeroipc_stream_close(st);
    }
    zeroipc_channel_t *ch = zeroipc_channel_open(c->mem, name);
    if (ch != NULL) {
        size_t es = zeroipc_channel_elem_size(ch);
        check(es > 0, "channel element size");
        (void)zeroipc_channel_capacity(ch);
        (void)zeroipc_channel_size(ch);
        (void)zeroipc_channel_senders(ch);
        (void)zeroipc_channel_receivers(ch);
        (void)zeroipc_channel_is_closed(ch);
        if (es <= MAX_ELEM_BYTES && zeroipc_channel_try_recv(ch, c->scratch) == ZEROIPC_OK)
            format_as_all(es, NULL, c->scratch);
        zeroipc_channel_close(ch);
    }
}

/* The read-only validate functions, on the entry's bytes. */
static void validate_all(struct ctx *c, const zeroipc_entry_t *e)
{
    const uint8_t *s = (const uint8_t *)zeroipc_memory_base(c->mem) + e->offset;
    size_t size = (size_t)e->size, esz;
    if (zeroipc_array_validate(s, size, &esz) == ZEROIPC_OK)
        check(esz > 0 && esz <= size, "array validate elem size");
    (void)zeroipc_queue_validate(s, size);
    (void)zeroipc_stack_validate(s, size);
    (void)zeroipc_ring_validate(s, size);
    (void)zeroipc_map_validate(s, size, NULL);
    (void)zeroipc_set_validate(s, size, NULL);
    for (size_t a = 0; a <= 8; a = a ? a * 2 : 1)
        (void)zeroipc_pool_validate(s, size, a);
    (void)zeroipc_semaphore_validate(s, size);
    (void)zeroipc_mutex_validate(s, size);
    (void)zeroipc_barrier_validate(s, size);
    (void)zeroipc_latch_validate(s, size);
    (void)zeroipc_once_validate(s, size);
    (void)zeroipc_event_validate(s, size);
    (void)zeroipc_future_validate(s, size);
    (void)zeroipc_lazy_validate(s, size);
    (void)zeroipc_stream_validate(s, size);
    (void)zeroipc_channel_validate(s, size);
}

static void examine(struct ctx *c, const zeroipc_info_t *info)
{
    const zeroipc_entry_t *e = &info->entry;
    const char *name = e->name;
    c->info = info;
    if (g_verbose)
        fprintf(stderr, "  entry %-31s off %-8llu size %-8llu %-9s type '%s' elem %zu cap %zu\n",
                name, (unsigned long long)e->offset, (unsigned long long)e->size,
                zeroipc_kind_name(info->kind), info->type, info->elem_size, info->capacity);
    check(memchr(name, '\0', sizeof e->name) != NULL, "entry name NUL-terminated");

    /* How the filesystem sees it: its description again, and its record. */
    zeroipc_info_t again;
    if (zeroipc_describe(c->mem, name, &again) == ZEROIPC_OK)
        check(again.kind < 64, "describe kind");
    zeroipc_kind_t kind;
    char type[ZEROIPC_TYPE_SPEC_SIZE];
    if (zeroipc_catalog_get(c->mem, name, &kind, type, sizeof type) == ZEROIPC_OK)
        check(strlen(type) < sizeof type, "catalog type length");
    check(strlen(zeroipc_kind_name(info->kind)) > 0, "kind name");

    validate_all(c, e);
    try_array(c, name);
    try_queue(c, name, (size_t)e->offset);
    try_stack(c, name, (size_t)e->offset);
    try_ring(c, name);
    try_map(c, name, e);
    try_set(c, name, e);
    try_pool(c, name);
    try_sync(c, name);
    try_codata(c, info->name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup_buffers();
    if (g_verbose < 0)
        g_verbose = getenv("ZFUZZ_VERBOSE") != NULL;
    if (g_skip == NULL)
        g_skip = getenv("ZFUZZ_SKIP") ? getenv("ZFUZZ_SKIP") : "";
    struct fuzz_guard guard;
    uint64_t memory_size = 0;
    if (size >= ZEROIPC_HEADER_SIZE)
        memcpy(&memory_size, data + 16, sizeof memory_size);
    fuzz_guard_reserve(&guard, memory_size);
    zeroipc_memory_t *mem = open_image(data, size);
    if (g_verbose)
        fprintf(stderr, "open: %s\n", mem ? "ok" : zeroipc_error_string(zeroipc_last_error()));
    if (mem == NULL) {
        fuzz_guard_release(&guard);
        return 0;
    }
    fuzz_guard_arm(&guard, mem, !allowed("catalog_tail"));
    if (g_verbose)
        fprintf(stderr, "guard page: %s\n", guard.page ? "yes" : "no");

    (void)zeroipc_memory_used(mem);
    (void)zeroipc_memory_name(mem);
    size_t cap = zeroipc_table_capacity(mem), count = zeroipc_table_count(mem);
    check(count <= cap, "table count <= capacity");

    size_t n = 0;
    if (zeroipc_table_entries(mem, NULL, 0, &n) == ZEROIPC_OK) {
        check(n <= cap, "entries <= capacity");
        size_t want = n < MAX_ENTRIES ? n : MAX_ENTRIES;
        zeroipc_info_t *info = calloc(want ? want : 1, sizeof *info);
        check(info != NULL, "malloc");
        size_t got = 0;
        if (zeroipc_describe_all(mem, info, want, &got) == ZEROIPC_OK) {
            struct ctx c = {mem, NULL, g_scratch};
            for (size_t i = 0; i < want && i < got; i++)
                examine(&c, &info[i]);
        }
        free(info);
    }

    fuzz_guard_disarm(&guard);
    zeroipc_memory_close(mem);
    return 0;
}
