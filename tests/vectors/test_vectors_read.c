/*
 * test_vectors_read.c - libzeroipc reads segments written by the public
 * C++ and Python implementations.
 *
 * Each test copies one image (cpp_all.seg, py_core.seg) into /dev/shm under
 * a fresh name, opens it with zeroipc_memory_open and checks, through the
 * library API only, what MANIFEST.md says is there: the table, every
 * array element, every queue and stack element in order (popping them),
 * which kinds each entry can be opened as, and the futures, lazy values,
 * stream and channels with their own API (states, values, messages,
 * labels, capacities).  Exit 77 (skip) when $ZEROIPC_VECTORS is missing.
 */
#include "vectors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rd {
    const struct zv_image *img;
    char name[ZT_NAME_MAX];
    zeroipc_memory_t *mem;
    uint8_t *file; /* the image as shipped */
    size_t len;
};

static int rd_setup(void **state)
{
    struct rd *r = calloc(1, sizeof *r);
    if (r == NULL)
        return -1;
    r->img = *state;
    *state = r;
    return 0;
}

static int rd_teardown(void **state)
{
    struct rd *r = *state;
    zeroipc_memory_close(r->mem);
    if (r->name[0] != '\0')
        zeroipc_memory_unlink(r->name);
    free(r->file);
    free(r);
    return 0;
}

/* Skips without vectors; else loads the file, copies it to /dev/shm and
 * opens the copy. */
static struct rd *rd_start(void **state)
{
    struct rd *r = *state;
    if (zv_dir() == NULL)
        skip();
    r->file = zv_load(r->img, &r->len);
    zv_copy(r->img, r->name);
    zv_assert_handle(r->mem, zeroipc_memory_open(r->name));
    return r;
}

static const void *elem(const struct zv_struct *st, size_t i)
{
    return (const uint8_t *)st->contents + i * st->elem_size;
}

static void assert_elem(const char *name, size_t i, const void *want,
                        const void *got, size_t size)
{
    if (memcmp(want, got, size) == 0)
        return;
    char w[64] = "", g[64] = "";
    for (size_t k = 0; k < size && k < 16; k++) {
        sprintf(w + 3 * k, "%02x ", ((const uint8_t *)want)[k]);
        sprintf(g + 3 * k, "%02x ", ((const uint8_t *)got)[k]);
    }
    fail_msg("%s element %zu: expected bytes %sgot %s", name, i, w, g);
}

static uint32_t rd_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* The mapping still holds the file's bytes (reading must not write). */
static void assert_unchanged(struct rd *r, const char *after)
{
    const uint8_t *base = zeroipc_memory_base(r->mem);
    assert_non_null(base);
    if (zv_diff(after, r->file, base, 0, r->len, NULL, 0))
        fail_msg("%s: %s changed the segment", r->img->file, after);
}

/* ---- table ----------------------------------------------------------- */

static void t_table(void **state)
{
    struct rd *r = rd_start(state);
    const struct zv_image *img = r->img;

    assert_int_equal(zeroipc_memory_size(r->mem), ZV_SEGMENT_SIZE);
    assert_int_equal(zeroipc_table_count(r->mem), img->entry_count);
    assert_int_equal(zeroipc_table_capacity(r->mem), ZV_MAX_ENTRIES);
    assert_int_equal(zeroipc_memory_used(r->mem), img->next_offset);
    assert_unchanged(r, "zeroipc_memory_open");

    zeroipc_entry_t all[ZV_MAX_ENTRIES + 1];
    size_t count = 12345;
    memset(all, 0xA5, sizeof all);
    zv_assert_ok(zeroipc_table_entries(r->mem, all, ZV_MAX_ENTRIES + 1, &count));
    assert_int_equal(count, img->entry_count);
    for (size_t i = 0; i < img->entry_count; i++) {
        const struct zv_entry *e = &img->entries[i];
        size_t off = 0, size = 0;

        assert_string_equal(all[i].name, e->name);
        assert_int_equal(all[i].offset, e->offset);
        assert_int_equal(all[i].size, e->size);

        zv_assert_ok(zeroipc_table_find(r->mem, e->name, &off, &size));
        assert_int_equal(off, e->offset);
        assert_int_equal(size, e->size);
        zv_assert_ok(zeroipc_table_find(r->mem, e->name, NULL, NULL));
    }

    /* A short buffer gets the first entries and still the full count. */
    zeroipc_entry_t few[4];
    memset(few, 0xA5, sizeof few);
    count = 0;
    zv_assert_ok(zeroipc_table_entries(r->mem, few, 3, &count));
    assert_int_equal(count, img->entry_count);
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(few[i].name, img->entries[i].name);
    const uint8_t *untouched = (const uint8_t *)&few[3];
    for (size_t k = 0; k < sizeof few[3]; k++)
        assert_int_equal(untouched[k], 0xA5);

    count = 0;
    zv_assert_ok(zeroipc_table_entries(r->mem, NULL, 0, &count));
    assert_int_equal(count, img->entry_count);

    assert_int_equal(zeroipc_table_find(r->mem, "not_there", NULL, NULL),
                     ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_table_find(r->mem,
                                        "0123456789012345678901234567890X",
                                        NULL, NULL),
                     ZEROIPC_ERROR_NAME_TOO_LONG);
    assert_unchanged(r, "table lookups");
}

/* ---- arrays ---------------------------------------------------------- */

static void t_arrays(void **state)
{
    struct rd *r = rd_start(state);
    int seen = 0;

    for (size_t i = 0; i < r->img->entry_count; i++) {
        const struct zv_entry *e = &r->img->entries[i];
        const struct zv_struct *st = e->st;
        if (st == NULL || st->kind != ZV_ARRAY)
            continue;
        seen++;

        zeroipc_array_t *a;
        zv_assert_handle(a, zeroipc_array_open(r->mem, e->name));
        assert_int_equal(zeroipc_array_capacity(a), st->capacity);
        assert_int_equal(zeroipc_array_elem_size(a), st->elem_size);
        assert_int_equal(zeroipc_array_footprint(st->elem_size, st->capacity),
                         e->size);

        /* The data starts 8 bytes into the structure. */
        const uint8_t *base = zeroipc_memory_base(r->mem);
        assert_ptr_equal(zeroipc_array_data(a), base + e->offset + 8);

        assert_int_equal(st->n_contents, st->capacity);
        for (size_t k = 0; k < st->n_contents; k++) {
            const void *got = zeroipc_array_get(a, k);
            assert_non_null(got);
            assert_ptr_equal(got, base + e->offset + 8 + k * st->elem_size);
            assert_elem(e->name, k, elem(st, k), got, st->elem_size);
        }
        assert_null(zeroipc_array_get(a, st->capacity));
        assert_null(zeroipc_array_get(a, (size_t)-1));
        zeroipc_array_close(a);
    }
    assert_true(seen > 0);
    assert_unchanged(r, "reading the arrays");
}

/* ---- queues ---------------------------------------------------------- */

static void t_queues(void **state)
{
    struct rd *r = rd_start(state);
    uint8_t *base = zeroipc_memory_base(r->mem);
    int seen = 0;

    for (size_t i = 0; i < r->img->entry_count; i++) {
        const struct zv_entry *e = &r->img->entries[i];
        const struct zv_struct *st = e->st;
        if (st == NULL || st->kind != ZV_QUEUE)
            continue;
        seen++;

        const uint8_t *q = base + e->offset;
        uint32_t head0 = rd_u32(q), tail0 = rd_u32(q + 4);

        zeroipc_queue_t *h;
        zv_assert_handle(h, zeroipc_queue_open(r->mem, e->name));
        assert_int_equal(zeroipc_queue_capacity(h), st->capacity);
        assert_int_equal(zeroipc_queue_elem_size(h), st->elem_size);
        assert_int_equal(zeroipc_queue_size(h), st->n_contents);
        assert_int_equal(zeroipc_queue_empty(h), 0);
        assert_int_equal(zeroipc_queue_full(h), 0);
        assert_int_equal(zeroipc_queue_footprint(st->elem_size,
                                                 st->capacity_requested),
                         e->size);

        for (size_t k = 0; k < st->n_contents; k++) {
            uint8_t out[16] = {0};
            zv_assert_ok(zeroipc_queue_pop(h, out));
            assert_elem(e->name, k, elem(st, k), out, st->elem_size);
            assert_int_equal(zeroipc_queue_size(h), st->n_contents - k - 1);
        }
        uint8_t out[16];
        assert_int_equal(zeroipc_queue_empty(h), 1);
        assert_int_equal(zeroipc_queue_size(h), 0);
        assert_int_equal(zeroipc_queue_pop(h, out), ZEROIPC_ERROR_NOT_FOUND);

        /* Vyukov's pop as every implementation does it: head moved to
         * tail, each freed slot's sequence set to position + capacity,
         * nothing else touched (popped slots keep their bytes). */
        if (rd_u32(q) != tail0 || rd_u32(q + 4) != tail0)
            fail_msg("%s: after popping everything head %u tail %u, want "
                     "both %u", e->name, rd_u32(q), rd_u32(q + 4), tail0);
        size_t seq_at = 16 + ((st->capacity * st->elem_size + 7) & ~(size_t)7);
        for (uint32_t pos = head0; pos != tail0; pos++) {
            uint32_t slot = pos % (uint32_t)st->capacity;
            uint32_t seq = rd_u32(q + seq_at + 4 * slot);
            if (seq != pos + (uint32_t)st->capacity)
                fail_msg("%s: after popping position %u, seq[%u] = %u, "
                         "want %u", e->name, pos, slot, seq,
                         pos + (uint32_t)st->capacity);
        }
        uint8_t *want = malloc(e->size);
        assert_non_null(want);
        memcpy(want, r->file + e->offset, e->size);
        memcpy(want, &tail0, 4);
        for (uint32_t pos = head0; pos != tail0; pos++) {
            uint32_t slot = pos % (uint32_t)st->capacity;
            uint32_t seq = pos + (uint32_t)st->capacity;
            memcpy(want + seq_at + 4 * slot, &seq, 4);
        }
        int bad = zv_diff(e->name, want, q, e->offset, e->size, NULL, 0);
        free(want);
        if (bad)
            fail_msg("%s: popping changed more than head and seq[]", e->name);
        zeroipc_queue_close(h);
    }
    assert_true(seen > 0);
}

/* ---- stacks ---------------------------------------------------------- */

static void t_stacks(void **state)
{
    struct rd *r = rd_start(state);
    uint8_t *base = zeroipc_memory_base(r->mem);
    int seen = 0;

    for (size_t i = 0; i < r->img->entry_count; i++) {
        const struct zv_entry *e = &r->img->entries[i];
        const struct zv_struct *st = e->st;
        if (st == NULL || st->kind != ZV_STACK)
            continue;
        seen++;

        zeroipc_stack_t *s;
        zv_assert_handle(s, zeroipc_stack_open(r->mem, e->name));
        assert_int_equal(zeroipc_stack_capacity(s), st->capacity);
        assert_int_equal(zeroipc_stack_elem_size(s), st->elem_size);
        assert_int_equal(zeroipc_stack_size(s), st->n_contents);
        assert_int_equal(zeroipc_stack_empty(s), 0);
        assert_int_equal(zeroipc_stack_full(s), 0);
        assert_int_equal(zeroipc_stack_footprint(st->elem_size, st->capacity),
                         e->size);

        uint8_t out[16] = {0};
        zv_assert_ok(zeroipc_stack_top(s, out));
        assert_elem(e->name, 0, elem(st, 0), out, st->elem_size);
        assert_int_equal(zeroipc_stack_size(s), st->n_contents);

        for (size_t k = 0; k < st->n_contents; k++) {
            memset(out, 0, sizeof out);
            zv_assert_ok(zeroipc_stack_pop(s, out));
            assert_elem(e->name, k, elem(st, k), out, st->elem_size);
            assert_int_equal(zeroipc_stack_size(s), st->n_contents - k - 1);
        }
        assert_int_equal(zeroipc_stack_empty(s), 1);
        assert_int_equal(zeroipc_stack_pop(s, out), ZEROIPC_ERROR_NOT_FOUND);
        assert_int_equal(zeroipc_stack_top(s, out), ZEROIPC_ERROR_NOT_FOUND);

        /* top is -1 and every slot state EMPTY (0), as a public peer
         * expects before it pushes. */
        const uint8_t *p = base + e->offset;
        int32_t top;
        memcpy(&top, p, sizeof top);
        assert_int_equal(top, -1);
        size_t state_at = 16 + ((st->capacity * st->elem_size + 7) & ~(size_t)7);
        for (size_t k = 0; k < st->capacity; k++) {
            uint32_t slot_state = rd_u32(p + state_at + 4 * k);
            if (slot_state != 0)
                fail_msg("%s: after popping everything, state[%zu] = %u, "
                         "want 0 (EMPTY)", e->name, k, slot_state);
        }
        /* ... and nothing else changed: popped slots keep their bytes. */
        uint8_t *want = malloc(e->size);
        assert_non_null(want);
        memcpy(want, r->file + e->offset, e->size);
        memcpy(want, &top, 4);
        memset(want + state_at, 0, 4 * st->capacity);
        int bad = zv_diff(e->name, want, p, e->offset, e->size, NULL, 0);
        free(want);
        if (bad)
            fail_msg("%s: popping changed more than top and state[]", e->name);
        zeroipc_stack_close(s);
    }
    assert_true(seen > 0);
}

/* ---- kinds ----------------------------------------------------------- */

/* Opens every entry as an array, a queue and a stack: it succeeds exactly
 * for the kinds the entry's bytes are accepted as, and fails with
 * ZEROIPC_ERROR_WRONG_KIND otherwise, without writing anything. */
static void t_open_kinds(void **state)
{
    struct rd *r = rd_start(state);

    for (size_t i = 0; i < r->img->entry_count; i++) {
        const struct zv_entry *e = &r->img->entries[i];

        zeroipc_array_t *a = zeroipc_array_open(r->mem, e->name);
        if (e->accepts & ZV_ACC_ARRAY) {
            if (a == NULL)
                fail_msg("array_open(%s) failed: %s", e->name,
                         zeroipc_error_string(zeroipc_last_error()));
            assert_int_equal(zeroipc_array_elem_size(a), e->array_elem_size);
            zeroipc_array_close(a);
        } else {
            if (a != NULL)
                fail_msg("array_open(%s) (%s) succeeded", e->name, e->what);
            assert_int_equal(zeroipc_last_error(), ZEROIPC_ERROR_WRONG_KIND);
        }

        zeroipc_queue_t *q = zeroipc_queue_open(r->mem, e->name);
        if (e->accepts & ZV_ACC_QUEUE) {
            if (q == NULL)
                fail_msg("queue_open(%s) failed: %s", e->name,
                         zeroipc_error_string(zeroipc_last_error()));
            zeroipc_queue_close(q);
        } else {
            if (q != NULL)
                fail_msg("queue_open(%s) (%s) succeeded", e->name, e->what);
            assert_int_equal(zeroipc_last_error(), ZEROIPC_ERROR_WRONG_KIND);
        }

        zeroipc_stack_t *s = zeroipc_stack_open(r->mem, e->name);
        if (e->accepts & ZV_ACC_STACK) {
            if (s == NULL)
                fail_msg("stack_open(%s) failed: %s", e->name,
                         zeroipc_error_string(zeroipc_last_error()));
            zeroipc_stack_close(s);
        } else {
            if (s != NULL)
                fail_msg("stack_open(%s) (%s) succeeded", e->name, e->what);
            assert_int_equal(zeroipc_last_error(), ZEROIPC_ERROR_WRONG_KIND);
        }
    }

    /* Names that are not there are NOT_FOUND, not WRONG_KIND. */
    assert_null(zeroipc_array_open(r->mem, "absent"));
    assert_int_equal(zeroipc_last_error(), ZEROIPC_ERROR_NOT_FOUND);
    assert_null(zeroipc_queue_open(r->mem, "absent"));
    assert_int_equal(zeroipc_last_error(), ZEROIPC_ERROR_NOT_FOUND);
    assert_null(zeroipc_stack_open(r->mem, "absent"));
    assert_int_equal(zeroipc_last_error(), ZEROIPC_ERROR_NOT_FOUND);

    assert_unchanged(r, "opening every entry as every kind");
}

/* zeroipc_X_validate on each entry's bytes, copied into a buffer of
 * exactly the entry's size so that reading past it is caught by ASan. */
static void t_validate(void **state)
{
    struct rd *r = rd_start(state);

    for (size_t i = 0; i < r->img->entry_count; i++) {
        const struct zv_entry *e = &r->img->entries[i];
        uint8_t *copy = malloc(e->size);
        assert_non_null(copy);
        memcpy(copy, r->file + e->offset, e->size);

        size_t es = 9999;
        int rc = zeroipc_array_validate(copy, e->size, &es);
        int qrc = zeroipc_queue_validate(copy, e->size);
        int src = zeroipc_stack_validate(copy, e->size);
        int arc2 = zeroipc_array_validate(copy, e->size, NULL);
        int ok = memcmp(copy, r->file + e->offset, e->size) == 0;
        free(copy);

        int want_a = (e->accepts & ZV_ACC_ARRAY) ? ZEROIPC_OK
                                                 : ZEROIPC_ERROR_WRONG_KIND;
        int want_q = (e->accepts & ZV_ACC_QUEUE) ? ZEROIPC_OK
                                                 : ZEROIPC_ERROR_WRONG_KIND;
        int want_s = (e->accepts & ZV_ACC_STACK) ? ZEROIPC_OK
                                                 : ZEROIPC_ERROR_WRONG_KIND;
        if (rc != want_a || arc2 != want_a)
            fail_msg("array_validate(%s, %s, size %llu) = %d/%d, want %d",
                     e->name, e->what, (unsigned long long)e->size, rc, arc2,
                     want_a);
        if (rc == ZEROIPC_OK && es != e->array_elem_size)
            fail_msg("array_validate(%s): element size %zu, want %zu",
                     e->name, es, e->array_elem_size);
        if (qrc != want_q)
            fail_msg("queue_validate(%s, %s, size %llu) = %d, want %d",
                     e->name, e->what, (unsigned long long)e->size, qrc,
                     want_q);
        if (src != want_s)
            fail_msg("stack_validate(%s, %s, size %llu) = %d, want %d",
                     e->name, e->what, (unsigned long long)e->size, src,
                     want_s);
        assert_true(ok);

        /* One byte short or over is never the exact shape. */
        if (e->size > 1) {
            assert_int_equal(zeroipc_queue_validate(r->file + e->offset,
                                                    e->size - 1),
                             ZEROIPC_ERROR_WRONG_KIND);
            assert_int_equal(zeroipc_stack_validate(r->file + e->offset,
                                                    e->size - 1),
                             ZEROIPC_ERROR_WRONG_KIND);
        }
        assert_int_equal(zeroipc_queue_validate(r->file + e->offset,
                                                e->size + 1),
                         ZEROIPC_ERROR_WRONG_KIND);
        assert_int_equal(zeroipc_stack_validate(r->file + e->offset,
                                                e->size + 1),
                         ZEROIPC_ERROR_WRONG_KIND);
    }
}

/* ---- offset-based calls ---------------------------------------------- */

static void t_raw(void **state)
{
    struct rd *r = rd_start(state);
    uint8_t *base = zeroipc_memory_base(r->mem);

    for (size_t i = 0; i < r->img->entry_count; i++) {
        const struct zv_entry *e = &r->img->entries[i];
        const struct zv_struct *st = e->st;
        uint8_t out[16] = {0};
        uint32_t es = (uint32_t)(st ? st->elem_size : 0);

        /* The offset-based calls know no entry size, so they can only
         * check a header's fields, not the kind: only real queues and
         * stacks are given to them. */
        if (st == NULL || st->kind == ZV_ARRAY)
            continue;
        if (st->kind == ZV_QUEUE) {
            assert_int_equal(zeroipc_raw_queue_size(base, e->offset),
                             st->n_contents);
            assert_int_equal(zeroipc_raw_queue_empty(base, e->offset), 0);
            assert_int_equal(zeroipc_raw_queue_full(base, e->offset), 0);
            assert_int_equal(zeroipc_raw_queue_pop(base, e->offset, out, es + 1),
                             -2);
            assert_int_equal(zeroipc_raw_queue_pop(base, e->offset, out, es), 0);
            assert_elem(e->name, 0, elem(st, 0), out, st->elem_size);
            assert_int_equal(zeroipc_raw_queue_size(base, e->offset),
                             st->n_contents - 1);
        } else {
            assert_int_equal(zeroipc_raw_stack_size(base, e->offset),
                             st->n_contents);
            assert_int_equal(zeroipc_raw_stack_empty(base, e->offset), 0);
            assert_int_equal(zeroipc_raw_stack_full(base, e->offset), 0);
            assert_int_equal(zeroipc_raw_stack_top(base, e->offset, out, es + 1),
                             -2);
            assert_int_equal(zeroipc_raw_stack_top(base, e->offset, out, es), 0);
            assert_elem(e->name, 0, elem(st, 0), out, st->elem_size);
            memset(out, 0, sizeof out);
            assert_int_equal(zeroipc_raw_stack_pop(base, e->offset, out, es), 0);
            assert_elem(e->name, 0, elem(st, 0), out, st->elem_size);
            assert_int_equal(zeroipc_raw_stack_size(base, e->offset),
                             st->n_contents - 1);
        }
    }
}

/* ---- futures, lazy values, stream, channels ------------------------- */

/* The three futures of each image (MANIFEST.md fut_* and p_fut_*), all
 * of float64. */
struct fut_want {
    const char *name;
    int state;
    double value;    /* READY only */
    const char *msg; /* ERROR only */
};

static const struct fut_want cpp_futures[] = {
    {"fut_ok", ZEROIPC_FUTURE_READY, 3.25, NULL},
    {"fut_err", ZEROIPC_FUTURE_ERROR, 0, "sensor timeout"},
    {"fut_pend", ZEROIPC_FUTURE_PENDING, 0, NULL},
};

static const struct fut_want py_futures[] = {
    {"p_fut_ok", ZEROIPC_FUTURE_READY, -7.5, NULL},
    {"p_fut_err", ZEROIPC_FUTURE_ERROR, 0, "python says no"},
    {"p_fut_pend", ZEROIPC_FUTURE_PENDING, 0, NULL},
};

static void t_futures(void **state)
{
    struct rd *r = rd_start(state);
    const struct fut_want *want =
        r->img == &zv_cpp_all ? cpp_futures : py_futures;

    for (size_t i = 0; i < 3; i++) {
        const struct fut_want *w = &want[i];
        zeroipc_future_t *f;
        double v = 0;
        char msg[ZEROIPC_FUTURE_MSG_SIZE];

        zv_assert_handle(f, zeroipc_future_open(r->mem, w->name, sizeof v));
        assert_int_equal(zeroipc_future_value_size(f), sizeof v);
        assert_int_equal(zeroipc_future_state(f), w->state);
        assert_int_equal(zeroipc_future_waiters(f), 0);
        /* Only a resolved future has a time (its value is the writer's
         * clock, so only non-zero is checked). */
        if (w->state == ZEROIPC_FUTURE_PENDING)
            assert_int_equal(zeroipc_future_completion_time(f), 0);
        else
            assert_true(zeroipc_future_completion_time(f) != 0);

        if (w->state == ZEROIPC_FUTURE_READY) {
            zv_assert_ok(zeroipc_future_try_get(f, &v));
            assert_true(v == w->value);
            v = 0;
            zv_assert_ok(zeroipc_future_get(f, &v));
            assert_true(v == w->value);
            assert_int_equal(zeroipc_future_error(f, msg, sizeof msg),
                             ZEROIPC_ERROR_NOT_FOUND);
        } else if (w->state == ZEROIPC_FUTURE_ERROR) {
            v = 99;
            assert_int_equal(zeroipc_future_get(f, &v), ZEROIPC_ERROR_FAILED);
            assert_true(v == 99); /* untouched */
            zv_assert_ok(zeroipc_future_error(f, msg, sizeof msg));
            assert_string_equal(msg, w->msg);
        } else {
            /* try_get only: a timed get would count itself a waiter. */
            assert_int_equal(zeroipc_future_try_get(f, &v),
                             ZEROIPC_ERROR_NOT_FOUND);
            assert_int_equal(zeroipc_future_error(f, msg, sizeof msg),
                             ZEROIPC_ERROR_NOT_FOUND);
        }
        zeroipc_future_close(f);
    }
    assert_unchanged(r, "reading the futures");
}

/* lz_a, lz_b, lz_sum, lz_prod of cpp_all (Lazy<int32>). */
static void t_lazies(void **state)
{
    struct rd *r = rd_start(state);
    static const struct {
        const char *name;
        int state, op;
        int32_t value; /* when COMPUTED */
        uint32_t compute_count;
    } want[] = {
        {"lz_a", ZEROIPC_LAZY_COMPUTED, ZEROIPC_LAZY_CONSTANT, 5, 0},
        {"lz_b", ZEROIPC_LAZY_COMPUTED, ZEROIPC_LAZY_CONSTANT, 37, 0},
        {"lz_sum", ZEROIPC_LAZY_COMPUTED, ZEROIPC_LAZY_ADD, 42, 1},
        {"lz_prod", ZEROIPC_LAZY_NOT_COMPUTED, ZEROIPC_LAZY_MULTIPLY, 0, 0},
    };
    zeroipc_lazy_t *lz[4];

    for (size_t i = 0; i < 4; i++) {
        int32_t v = -1;
        char msg[ZEROIPC_LAZY_ERROR_SIZE];
        zv_assert_handle(lz[i], zeroipc_lazy_open(r->mem, want[i].name,
                                                  ZEROIPC_FIELD_I32));
        assert_int_equal(zeroipc_lazy_elem_size(lz[i]), 4);
        assert_int_equal(zeroipc_lazy_state(lz[i]), want[i].state);
        assert_int_equal(zeroipc_lazy_op(lz[i]), want[i].op);
        assert_int_equal(zeroipc_lazy_compute_count(lz[i]),
                         want[i].compute_count);
        assert_int_equal(zeroipc_lazy_error(lz[i], msg, sizeof msg),
                         ZEROIPC_ERROR_NOT_FOUND);
        if (want[i].state == ZEROIPC_LAZY_COMPUTED) {
            zv_assert_ok(zeroipc_lazy_peek(lz[i], &v));
            assert_int_equal(v, want[i].value);
        } else {
            assert_int_equal(zeroipc_lazy_peek(lz[i], &v),
                             ZEROIPC_ERROR_NOT_FOUND);
            assert_int_equal(v, -1);
        }
    }
    assert_unchanged(r, "reading the lazy values");

    /* Forcing what C++ computed computes nothing; forcing lz_prod, which
     * it never forced, multiplies the operand values it stored (5, 37),
     * once. */
    int32_t v = 0;
    zv_assert_ok(zeroipc_lazy_force(lz[2], &v));
    assert_int_equal(v, 42);
    assert_int_equal(zeroipc_lazy_compute_count(lz[2]), 1);
    zv_assert_ok(zeroipc_lazy_force(lz[3], &v));
    assert_int_equal(v, 5 * 37);
    assert_int_equal(zeroipc_lazy_state(lz[3]), ZEROIPC_LAZY_COMPUTED);
    assert_int_equal(zeroipc_lazy_compute_count(lz[3]), 1);
    zv_assert_ok(zeroipc_lazy_force(lz[3], &v));
    assert_int_equal(zeroipc_lazy_compute_count(lz[3]), 1);
    for (size_t i = 0; i < 4; i++)
        zeroipc_lazy_close(lz[i]);
}

/* Stream<int32> 'strm' of cpp_all: emit 1..5, next -> 1. */
static void t_streams(void **state)
{
    struct rd *r = rd_start(state);
    zeroipc_stream_t *s;
    char label[ZEROIPC_STREAM_LABEL_SIZE + 8];
    int32_t v = 0;

    zv_assert_handle(s, zeroipc_stream_open(r->mem, "strm"));
    assert_int_equal(zeroipc_stream_elem_size(s), 4);
    assert_int_equal(zeroipc_stream_capacity(s), 8);
    assert_int_equal(zeroipc_stream_sequence(s), 5);
    assert_int_equal(zeroipc_stream_subscribers(s), 0);
    assert_int_equal(zeroipc_stream_closed(s), 0);
    assert_int_equal(zeroipc_stream_is_derived(s), 0);
    memset(label, 'x', sizeof label);
    zv_assert_ok(zeroipc_stream_label(s, label, sizeof label));
    assert_string_equal(label, "");
    assert_int_equal(zeroipc_stream_size(s), 4);
    assert_unchanged(r, "reading the stream");

    for (int32_t want = 2; want <= 5; want++) {
        zv_assert_ok(zeroipc_stream_try_next(s, &v));
        assert_int_equal(v, want);
    }
    assert_int_equal(zeroipc_stream_try_next(s, &v), ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(zeroipc_stream_size(s), 0);
    assert_int_equal(zeroipc_stream_sequence(s), 5);
    zeroipc_stream_close(s);
}

/* Channel<int32> 'chb' (buffered, 3 -> 4, send 7 8 9) and 'chu'
 * (unbuffered, untouched) of cpp_all. */
static void t_channels(void **state)
{
    struct rd *r = rd_start(state);
    zeroipc_channel_t *b, *u, *u4;
    int32_t v = 0;

    zv_assert_handle(b, zeroipc_channel_open(r->mem, "chb"));
    assert_int_equal(zeroipc_channel_capacity(b), 4);
    assert_int_equal(zeroipc_channel_elem_size(b), 4);
    assert_int_equal(zeroipc_channel_size(b), 3);
    assert_int_equal(zeroipc_channel_senders(b), 0);
    assert_int_equal(zeroipc_channel_receivers(b), 0);
    assert_false(zeroipc_channel_is_closed(b));

    /* The slot's element size is inferred (8 bytes: an i32 at 4), and
     * agrees with the size given. */
    zv_assert_handle(u, zeroipc_channel_open(r->mem, "chu"));
    zv_assert_handle(u4, zeroipc_channel_open_elem(r->mem, "chu", 4));
    assert_int_equal(zeroipc_channel_capacity(u), 0);
    assert_int_equal(zeroipc_channel_elem_size(u), 4);
    assert_int_equal(zeroipc_channel_size(u), 0);
    assert_int_equal(zeroipc_channel_senders(u), 0);
    assert_int_equal(zeroipc_channel_receivers(u), 0);
    assert_false(zeroipc_channel_is_closed(u));
    assert_unchanged(r, "reading the channels");

    for (int32_t want = 7; want <= 9; want++) {
        zv_assert_ok(zeroipc_channel_try_recv(b, &v));
        assert_int_equal(v, want);
    }
    assert_int_equal(zeroipc_channel_try_recv(b, &v), ZEROIPC_ERROR_TIMEOUT);
    assert_int_equal(zeroipc_channel_size(b), 0);
    /* Nobody offers on chu: nothing to receive. */
    assert_int_equal(zeroipc_channel_try_recv(u, &v), ZEROIPC_ERROR_TIMEOUT);
    zeroipc_channel_close(u4);
    zeroipc_channel_close(u);
    zeroipc_channel_close(b);
}

/* Each test once per image, named after both. */
#define PER_IMAGE(fn)                                                        \
    {"cpp_all." #fn, fn, rd_setup, rd_teardown, (void *)&zv_cpp_all},       \
        {"py_core." #fn, fn, rd_setup, rd_teardown, (void *)&zv_py_core}
#define CPP_ONLY(fn)                                                         \
    {"cpp_all." #fn, fn, rd_setup, rd_teardown, (void *)&zv_cpp_all}

int main(void)
{
    zt_init();
    const struct CMUnitTest tests[] = {
        PER_IMAGE(t_table),  PER_IMAGE(t_arrays),     PER_IMAGE(t_queues),
        PER_IMAGE(t_stacks), PER_IMAGE(t_open_kinds), PER_IMAGE(t_validate),
        PER_IMAGE(t_raw),    PER_IMAGE(t_futures),
        /* Only the C++ writer has lazy values, streams and channels. */
        CPP_ONLY(t_lazies),  CPP_ONLY(t_streams),    CPP_ONLY(t_channels),
    };
    int failed = cmocka_run_group_tests_name("vectors-read", tests, NULL,
                                             zt_group_teardown);
    if (zv_dir() == NULL)
        return 77;
    return failed;
}
