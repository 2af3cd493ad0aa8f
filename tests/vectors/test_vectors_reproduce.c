/*
 * test_vectors_reproduce.c - libzeroipc writes the same bytes as the
 * public C++ and Python implementations.
 *
 * For each image, a fresh segment is made with
 * zeroipc_memory_create(name, 262144, 64) and the image's entries are
 * replayed in table order through our API with the operations
 * MANIFEST.md lists, in the same order.  Every entry is rebuilt: none is
 * reserved and copied from the image, so every byte we compare is one
 * our library wrote.  Then the segment must equal the image byte for
 * byte: the table header, all 64 entries, each structure, the whole
 * object, and zeros from next_offset to the end.  Only the manifest's
 * nondeterministic ranges (the completion_time of the resolved futures)
 * are masked, and those must be non-zero in ours as in the image.  Each
 * difference is reported with its first differing offset.  Exit 77
 * (skip) when $ZEROIPC_VECTORS is missing.
 */
#include "vectors.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct rp {
    const struct zv_image *img;
    char name[ZT_NAME_MAX];
    zeroipc_memory_t *mem;
    uint8_t *want; /* the image */
    size_t len;
};

static int rp_setup(void **state)
{
    struct rp *r = calloc(1, sizeof *r);
    if (r == NULL)
        return -1;
    r->img = *state;
    *state = r;
    return 0;
}

static int rp_teardown(void **state)
{
    struct rp *r = *state;
    zeroipc_memory_close(r->mem);
    if (r->name[0] != '\0')
        zeroipc_memory_unlink(r->name);
    free(r->want);
    free(r);
    return 0;
}

static const void *elem(const struct zv_struct *st, size_t i)
{
    return (const uint8_t *)st->contents + i * st->elem_size;
}

static void replay_array(zeroipc_memory_t *mem, const struct zv_entry *e)
{
    const struct zv_struct *st = e->st;
    zeroipc_array_t *a;

    zv_assert_handle(a, zeroipc_array_create(mem, e->name, st->elem_size,
                                             st->capacity_requested));
    for (size_t k = 0; k < st->n_ops; k++) {
        assert_int_equal(st->ops[k].op, ZV_SET);
        zv_assert_ok(zeroipc_array_set(a, st->ops[k].index, st->ops[k].value));
    }
    zeroipc_array_close(a);
}

static void replay_queue(zeroipc_memory_t *mem, const struct zv_entry *e)
{
    const struct zv_struct *st = e->st;
    zeroipc_queue_t *q;

    zv_assert_handle(q, zeroipc_queue_create(mem, e->name, st->elem_size,
                                             st->capacity_requested));
    assert_int_equal(zeroipc_queue_capacity(q), st->capacity);
    for (size_t k = 0; k < st->n_ops; k++) {
        const struct zv_op *op = &st->ops[k];
        uint8_t out[16] = {0};
        if (op->op == ZV_PUSH) {
            zv_assert_ok(zeroipc_queue_push(q, op->value));
        } else {
            assert_int_equal(op->op, ZV_POP);
            zv_assert_ok(zeroipc_queue_pop(q, out));
            assert_memory_equal(out, op->value, st->elem_size);
        }
    }
    assert_int_equal(zeroipc_queue_size(q), st->n_contents);
    zeroipc_queue_close(q);
}

static void replay_stack(zeroipc_memory_t *mem, const struct zv_entry *e)
{
    const struct zv_struct *st = e->st;
    zeroipc_stack_t *s;

    zv_assert_handle(s, zeroipc_stack_create(mem, e->name, st->elem_size,
                                             st->capacity_requested));
    assert_int_equal(zeroipc_stack_capacity(s), st->capacity);
    for (size_t k = 0; k < st->n_ops; k++) {
        const struct zv_op *op = &st->ops[k];
        uint8_t out[16] = {0};
        if (op->op == ZV_PUSH) {
            zv_assert_ok(zeroipc_stack_push(s, op->value));
        } else {
            assert_int_equal(op->op, ZV_POP);
            zv_assert_ok(zeroipc_stack_pop(s, out));
            assert_memory_equal(out, op->value, st->elem_size);
        }
    }
    assert_int_equal(zeroipc_stack_size(s), st->n_contents);
    uint8_t top[16] = {0};
    zv_assert_ok(zeroipc_stack_top(s, top));
    assert_memory_equal(top, elem(st, 0), st->elem_size);
    zeroipc_stack_close(s);
}

/*
 * Issue 4's kinds, replayed with the operations MANIFEST.md lists.
 * Returns false for an entry that is not one of them.
 */
static zeroipc_type_t type_of(const char *spec)
{
    zeroipc_type_t t;
    assert_int_equal(zeroipc_type_parse(spec, strlen(spec), &t), ZEROIPC_OK);
    return t;
}

static bool replay_issue4(zeroipc_memory_t *mem, const struct zv_entry *e)
{
    if (strcmp(e->name, "ring_i32") == 0 || strcmp(e->name, "p_ring_i16") == 0) {
        bool cpp = e->name[0] == 'r';
        /* C++ takes the capacity in bytes, Python in elements. */
        zeroipc_ring_t *r;
        zv_assert_handle(r, cpp ? zeroipc_ring_create_bytes(mem, e->name, 4, 64)
                                : zeroipc_ring_create(mem, e->name, 2, 10));
        int32_t v32[] = {100, 200, 300, 400, 500}, out32 = 0;
        int16_t v16[] = {1, 2, 3}, out16 = 0;
        for (size_t i = 0; i < (cpp ? 5u : 3u); i++)
            zv_assert_ok(zeroipc_ring_write_spsc(r, cpp ? (void *)&v32[i] : (void *)&v16[i]));
        zv_assert_ok(zeroipc_ring_read_spsc(r, cpp ? (void *)&out32 : (void *)&out16));
        assert_int_equal(cpp ? out32 : out16, cpp ? 100 : 1);
        zeroipc_ring_close(r);
        return true;
    }
    if (strcmp(e->name, "map_i32_f64") == 0) {
        zeroipc_type_t k = type_of("i32"), v = type_of("f64");
        zeroipc_map_t *m;
        zv_assert_handle(m, zeroipc_map_create(mem, e->name, &k, &v, 16));
        int32_t keys[] = {1, 2, 17, -3, 1};
        double vals[] = {1.5, 2.5, 17.25, -3.75, 9.5};
        for (size_t i = 0; i < 5; i++)
            assert_true(zeroipc_map_insert(m, &keys[i], &vals[i]) >= 0);
        int32_t two = 2;
        zv_assert_ok(zeroipc_map_erase(m, &two));
        zeroipc_map_close(m);
        return true;
    }
    if (strcmp(e->name, "set_i32") == 0) {
        zeroipc_type_t t = type_of("i32");
        zeroipc_set_t *s;
        zv_assert_handle(s, zeroipc_set_create(mem, e->name, &t, 8));
        int32_t members[] = {3, 11, 42, 3};
        int want[] = {1, 1, 1, 0};
        for (size_t i = 0; i < 4; i++)
            assert_int_equal(zeroipc_set_insert(s, &members[i]), want[i]);
        zeroipc_set_close(s);
        return true;
    }
    if (strcmp(e->name, "pool_f64") == 0) {
        zeroipc_pool_t *p;
        zv_assert_handle(p, zeroipc_pool_create(mem, e->name, 8, 8, 4));
        double vals[] = {10.5, 20.5, 30.5};
        for (uint32_t i = 0; i < 3; i++) {
            uint32_t index = 99;
            zv_assert_ok(zeroipc_pool_alloc(p, &index));
            assert_int_equal(index, i);
            memcpy(zeroipc_pool_get(p, index), &vals[i], sizeof vals[i]);
        }
        zv_assert_ok(zeroipc_pool_free(p, 1));
        zeroipc_pool_close(p);
        return true;
    }
    return false;
}

/* Issue 5's primitives, replayed the same way. */
static void run_once_fn(void *arg)
{
    ++*(int *)arg;
}

static void *barrier_thread(void *arg)
{
    return zeroipc_barrier_wait(arg) ? arg : NULL;
}

static bool name_is(const struct zv_entry *e, const char *cpp, const char *py)
{
    return strcmp(e->name, cpp) == 0 || strcmp(e->name, py) == 0;
}

/*
 * Companions and markers made by a create a few entries before (the
 * event's semaphore, the parts of a lock, a stream's ring, a channel's
 * queue or slot): there is nothing to replay, only to find them
 * (t_reproduce then checks each one's offset and size, and compare()
 * its bytes).  Python's image has the same ones under "p_".
 */
static const char *const issue5_made_before[] = {
    "ev_sem", "rw_rmtx", "rw_wmtx", "rw", "mon_cond", "mon_count", "mon",
    "sig_mtx", "sig",
};

static bool made_before(zeroipc_memory_t *mem, const struct zv_entry *e,
                        const char *const *names, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        char py[ZEROIPC_NAME_SIZE];
        snprintf(py, sizeof py, "p_%s", names[k]);
        if (name_is(e, names[k], py)) {
            zv_assert_ok(zeroipc_table_find(mem, e->name, NULL, NULL));
            return true;
        }
    }
    return false;
}

static bool replay_issue5(zeroipc_memory_t *mem, const struct zv_entry *e)
{
    bool cpp = strncmp(e->name, "p_", 2) != 0;
    if (name_is(e, "sem", "p_sem")) {
        zeroipc_semaphore_t *s;
        zv_assert_handle(s, zeroipc_semaphore_create(mem, e->name, cpp ? 2 : 0, cpp ? 5 : 3));
        if (cpp)
            zv_assert_ok(zeroipc_semaphore_acquire(s));
        zv_assert_ok(zeroipc_semaphore_release(s));
        zv_assert_ok(zeroipc_semaphore_release(s));
        zeroipc_semaphore_close(s);
        return true;
    }
    if (name_is(e, "mtx", "p_mtx")) {
        zeroipc_mutex_t *m;
        zv_assert_handle(m, zeroipc_mutex_create(mem, e->name));
        zv_assert_ok(zeroipc_mutex_lock(m)); /* left locked */
        zeroipc_mutex_close(m);
        return true;
    }
    if (name_is(e, "bar", "p_bar")) {
        zeroipc_barrier_t *b;
        zv_assert_handle(b, zeroipc_barrier_create(mem, e->name, cpp ? 2 : 5));
        if (cpp) { /* two threads each wait once: one full cycle */
            pthread_t t[2];
            void *r[2];
            for (int i = 0; i < 2; i++)
                assert_int_equal(pthread_create(&t[i], NULL, barrier_thread, b), 0);
            for (int i = 0; i < 2; i++) {
                assert_int_equal(pthread_join(t[i], &r[i]), 0);
                assert_non_null(r[i]);
            }
        }
        zeroipc_barrier_close(b);
        return true;
    }
    if (name_is(e, "lat", "p_lat")) {
        zeroipc_latch_t *l;
        zv_assert_handle(l, zeroipc_latch_create(mem, e->name, cpp ? 4 : 10));
        zeroipc_latch_count_down(l, cpp ? 1 : 3);
        zeroipc_latch_close(l);
        return true;
    }
    if (name_is(e, "once", "p_once")) {
        zeroipc_once_t *o;
        int runs = 0;
        zv_assert_handle(o, zeroipc_once_create(mem, e->name));
        zv_assert_ok(zeroipc_once_call(o, run_once_fn, &runs));
        zv_assert_ok(zeroipc_once_call(o, run_once_fn, &runs));
        assert_int_equal(runs, 1);
        zeroipc_once_close(o);
        return true;
    }
    if (name_is(e, "ev", "p_ev")) {
        zeroipc_event_t *ev; /* makes NAME and NAME_sem */
        zv_assert_handle(ev, zeroipc_event_create(mem, e->name,
                                                  cpp ? ZEROIPC_EVENT_MANUAL : ZEROIPC_EVENT_AUTO));
        zv_assert_ok(zeroipc_event_set(ev));
        zeroipc_event_close(ev);
        return true;
    }
    if (name_is(e, "rw_state", "p_rw_state")) {
        /* The first of the lock's four entries: its create makes them
         * all, in table order. */
        zeroipc_rwlock_t *rw;
        zv_assert_handle(rw, zeroipc_rwlock_create(mem, cpp ? "rw" : "p_rw"));
        for (int k = 0; k < (cpp ? 2 : 1); k++)
            zv_assert_ok(zeroipc_rwlock_read_lock(rw)); /* left held */
        assert_int_equal(zeroipc_rwlock_readers(rw), cpp ? 2 : 1);
        zeroipc_rwlock_close(rw);
        return true;
    }
    if (name_is(e, "mon_mtx", "p_mon_mtx")) {
        zeroipc_monitor_t *mon;
        zv_assert_handle(mon, zeroipc_monitor_create(mem, cpp ? "mon" : "p_mon"));
        if (cpp)
            zv_assert_ok(zeroipc_monitor_lock(mon)); /* left locked */
        zeroipc_monitor_close(mon);
        return true;
    }
    if (strcmp(e->name, "sig_state") == 0) {
        /* Signal<int32>: initial 7, set 42, set -5 (only the C++ image
         * has a signal: Python's layout differs, FORMAT.md "Signal"). */
        zeroipc_signal_t *sig;
        int32_t v = 7;
        uint64_t version = 0;
        zv_assert_handle(sig, zeroipc_signal_create(mem, "sig", sizeof v, &v));
        v = 42;
        zv_assert_ok(zeroipc_signal_set(sig, &v));
        v = -5;
        zv_assert_ok(zeroipc_signal_set(sig, &v));
        v = 0;
        zv_assert_ok(zeroipc_signal_get(sig, &v, &version));
        assert_int_equal(v, -5);
        assert_int_equal(version, 2);
        zeroipc_signal_close(sig);
        return true;
    }
    return made_before(mem, e, issue5_made_before,
                       sizeof issue5_made_before / sizeof issue5_made_before[0]);
}

/*
 * Issue 6's kinds: future, lazy, stream, channel.  The resolved futures'
 * completion_time is the only thing that differs between two runs of a
 * writer (the manifest masks it); everything else must come out of
 * these calls exactly.
 */
static bool future_is(const struct zv_entry *e, const char *what)
{
    char cpp[ZEROIPC_NAME_SIZE], py[ZEROIPC_NAME_SIZE];
    snprintf(cpp, sizeof cpp, "fut_%s", what);
    snprintf(py, sizeof py, "p_fut_%s", what);
    return name_is(e, cpp, py);
}

/* lz_sum and lz_prod: C++'s add(lz_a, lz_b) and multiply(lz_a, lz_b)
 * force their operands and store the operand VALUES (not references), so
 * ours are made from what forcing our lz_a and lz_b gives.  Constants
 * are born COMPUTED, so forcing them computes nothing and leaves their
 * compute_count 0. */
static void lazy_operands(zeroipc_memory_t *mem, int32_t *a, int32_t *b)
{
    zeroipc_lazy_t *la, *lb;
    zv_assert_handle(la, zeroipc_lazy_open(mem, "lz_a", ZEROIPC_FIELD_I32));
    zv_assert_handle(lb, zeroipc_lazy_open(mem, "lz_b", ZEROIPC_FIELD_I32));
    zv_assert_ok(zeroipc_lazy_force(la, a));
    zv_assert_ok(zeroipc_lazy_force(lb, b));
    assert_int_equal(*a, 5);
    assert_int_equal(*b, 37);
    assert_int_equal(zeroipc_lazy_compute_count(la), 0);
    assert_int_equal(zeroipc_lazy_compute_count(lb), 0);
    zeroipc_lazy_close(la);
    zeroipc_lazy_close(lb);
}

static const char *const issue6_made_before[] = {
    "strm_buffer", "chb_buffer", "chu_slot",
};

static bool replay_issue6(zeroipc_memory_t *mem, const struct zv_entry *e)
{
    bool cpp = strncmp(e->name, "p_", 2) != 0;
    if (future_is(e, "ok") || future_is(e, "err") || future_is(e, "pend")) {
        /* Future<double>: 16 + 8 + 256 = 280 bytes in both writers. */
        zeroipc_future_t *f;
        zv_assert_handle(f, zeroipc_future_create(mem, e->name, sizeof(double)));
        if (future_is(e, "ok")) {
            double v = cpp ? 3.25 : -7.5;
            zv_assert_ok(zeroipc_future_set(f, &v));
            assert_int_equal(zeroipc_future_state(f), ZEROIPC_FUTURE_READY);
        } else if (future_is(e, "err")) {
            zv_assert_ok(zeroipc_future_set_error(f, cpp ? "sensor timeout"
                                                         : "python says no"));
            assert_int_equal(zeroipc_future_state(f), ZEROIPC_FUTURE_ERROR);
        } else { /* untouched: PENDING, completion_time 0 */
            assert_int_equal(zeroipc_future_state(f), ZEROIPC_FUTURE_PENDING);
            assert_int_equal(zeroipc_future_completion_time(f), 0);
        }
        zeroipc_future_close(f);
        return true;
    }
    if (strcmp(e->name, "lz_a") == 0 || strcmp(e->name, "lz_b") == 0) {
        int32_t v = e->name[3] == 'a' ? 5 : 37;
        zeroipc_lazy_t *lz;
        zv_assert_handle(lz, zeroipc_lazy_create_constant(mem, e->name,
                                                          ZEROIPC_FIELD_I32, &v));
        zeroipc_lazy_close(lz);
        return true;
    }
    if (strcmp(e->name, "lz_sum") == 0 || strcmp(e->name, "lz_prod") == 0) {
        bool sum = e->name[3] == 's';
        int32_t a = 0, b = 0, v = 0;
        zeroipc_lazy_t *lz;
        lazy_operands(mem, &a, &b);
        zv_assert_handle(lz, sum ? zeroipc_lazy_create_add(mem, e->name,
                                                           ZEROIPC_FIELD_I32, &a, &b)
                                 : zeroipc_lazy_create_multiply(mem, e->name,
                                                                ZEROIPC_FIELD_I32, &a, &b));
        if (sum) { /* force -> 42, computed once */
            zv_assert_ok(zeroipc_lazy_force(lz, &v));
            assert_int_equal(v, 42);
            assert_int_equal(zeroipc_lazy_compute_count(lz), 1);
        } else { /* never forced */
            assert_int_equal(zeroipc_lazy_state(lz), ZEROIPC_LAZY_NOT_COMPUTED);
        }
        zeroipc_lazy_close(lz);
        return true;
    }
    if (strcmp(e->name, "strm_header") == 0) {
        /* Stream<int32> 'strm' of 8 elements: makes strm_header and
         * strm_buffer (a 32-byte ring).  emit 1..5; next -> 1. */
        zeroipc_stream_t *s;
        int32_t v = 0;
        zv_assert_handle(s, zeroipc_stream_create(mem, "strm", sizeof v, 8));
        for (v = 1; v <= 5; v++)
            zv_assert_ok(zeroipc_stream_emit(s, &v));
        zv_assert_ok(zeroipc_stream_next(s, &v));
        assert_int_equal(v, 1);
        assert_int_equal(zeroipc_stream_sequence(s), 5);
        zeroipc_stream_close(s);
        return true;
    }
    if (strcmp(e->name, "chb_header") == 0) {
        /* Channel<int32> 'chb', capacity 3 stored as 4: makes chb_header
         * and chb_buffer (a queue).  send 7, 8, 9: nobody waits, so the
         * header's counters and doorbells stay 0, as C++ leaves them. */
        zeroipc_channel_t *ch;
        zv_assert_handle(ch, zeroipc_channel_create(mem, "chb", sizeof(int32_t), 3));
        assert_int_equal(zeroipc_channel_capacity(ch), 4);
        for (int32_t v = 7; v <= 9; v++)
            zv_assert_ok(zeroipc_channel_send(ch, &v));
        assert_int_equal(zeroipc_channel_size(ch), 3);
        zeroipc_channel_close(ch);
        return true;
    }
    if (strcmp(e->name, "chu_header") == 0) {
        /* Unbuffered Channel<int32> 'chu': chu_header and an 8-byte
         * chu_slot (data at 4), untouched. */
        zeroipc_channel_t *ch;
        zv_assert_handle(ch, zeroipc_channel_create(mem, "chu", sizeof(int32_t), 0));
        assert_int_equal(zeroipc_channel_capacity(ch), 0);
        zeroipc_channel_close(ch);
        return true;
    }
    return made_before(mem, e, issue6_made_before,
                       sizeof issue6_made_before / sizeof issue6_made_before[0]);
}

/*
 * Rebuilds one entry: arrays, queues and stacks from their vecdata.c
 * history, the rest by the issue that gave the library its kind (the
 * `issue` column).  An entry that no replay knows fails the test: there
 * is no fallback to copying bytes.
 */
static void replay(zeroipc_memory_t *mem, const struct zv_entry *e)
{
    bool done = false;
    switch (e->issue) {
    case 0:
        assert_non_null(e->st);
        if (e->st->kind == ZV_ARRAY)
            replay_array(mem, e);
        else if (e->st->kind == ZV_QUEUE)
            replay_queue(mem, e);
        else
            replay_stack(mem, e);
        done = true;
        break;
    case 4:
        done = replay_issue4(mem, e);
        break;
    case 5:
        done = replay_issue5(mem, e);
        break;
    case 6:
        done = replay_issue6(mem, e);
        break;
    }
    if (!done)
        fail_msg("%s (%s, issue %d): no replay rebuilds it", e->name, e->what,
                 e->issue);
}

/* Compares got (a whole segment) with the image; returns the number of
 * regions that differ, each reported on stderr. */
static int compare(const struct zv_image *img, const uint8_t *want,
                   const uint8_t *got, const char *when)
{
    static const uint8_t zeros[ZV_SEGMENT_SIZE];
    char what[128];
    int bad = 0;

    snprintf(what, sizeof what, "%s %s: table header", img->file, when);
    bad += zv_diff(what, want, got, 0, ZEROIPC_HEADER_SIZE, NULL, 0);
    snprintf(what, sizeof what, "%s %s: table entries", img->file, when);
    bad += zv_diff(what, want + ZEROIPC_HEADER_SIZE, got + ZEROIPC_HEADER_SIZE,
                   ZEROIPC_HEADER_SIZE, ZEROIPC_ENTRY_SIZE * ZV_MAX_ENTRIES,
                   NULL, 0);
    /* Every structure, so that a difference is reported by entry name;
     * the masks only hide the futures' completion_time. */
    for (size_t i = 0; i < img->entry_count; i++) {
        const struct zv_entry *e = &img->entries[i];
        snprintf(what, sizeof what, "%s %s: structure %s (%s)", img->file,
                 when, e->name, e->what);
        bad += zv_diff(what, want + e->offset, got + e->offset, e->offset,
                       e->size, img->masks, img->n_masks);
    }
    snprintf(what, sizeof what, "%s %s: whole segment (masked)", img->file,
             when);
    bad += zv_diff(what, want, got, 0, ZV_SEGMENT_SIZE, img->masks,
                   img->n_masks);
    snprintf(what, sizeof what, "%s %s: free space from next_offset", img->file,
             when);
    bad += zv_diff(what, zeros, got + img->next_offset, img->next_offset,
                   ZV_SEGMENT_SIZE - img->next_offset, NULL, 0);
    /* Masked is not ignored: a resolved future of ours has a time too. */
    for (size_t m = 0; m < img->n_masks; m++) {
        int nonzero = 0;
        for (uint64_t k = img->masks[m].begin; k < img->masks[m].end; k++)
            nonzero |= got[k];
        if (!nonzero) {
            fprintf(stderr, "%s %s: %s [%llu, %llu) is zero, the image's is "
                            "not\n", img->file, when, img->masks[m].what,
                    (unsigned long long)img->masks[m].begin,
                    (unsigned long long)img->masks[m].end);
            bad++;
        }
    }
    return bad;
}

static void t_reproduce(void **state)
{
    struct rp *r = *state;
    const struct zv_image *img = r->img;

    if (zv_dir() == NULL)
        skip();
    r->want = zv_load(img, &r->len);

    /* The image itself: free space zero, the masked fields non-zero (so
     * the masks are where the manifest says). */
    for (size_t k = img->next_offset; k < ZV_SEGMENT_SIZE; k++)
        assert_int_equal(r->want[k], 0);
    for (size_t m = 0; m < img->n_masks; m++) {
        int nonzero = 0;
        for (uint64_t k = img->masks[m].begin; k < img->masks[m].end; k++)
            nonzero |= r->want[k];
        assert_true(nonzero);
    }

    char tag[32];
    snprintf(tag, sizeof tag, "%sr", img->tag);
    zt_segname(r->name, tag);
    zv_assert_handle(r->mem,
                     zeroipc_memory_create(r->name, ZV_SEGMENT_SIZE,
                                           ZV_MAX_ENTRIES));
    assert_int_equal(zeroipc_memory_size(r->mem), ZV_SEGMENT_SIZE);

    for (size_t i = 0; i < img->entry_count; i++) {
        const struct zv_entry *e = &img->entries[i];
        replay(r->mem, e);

        size_t off = 0, size = 0;
        zv_assert_ok(zeroipc_table_find(r->mem, e->name, &off, &size));
        if (off != e->offset || size != e->size)
            fail_msg("%s: %s placed at %zu size %zu, the image has %llu size "
                     "%llu", img->file, e->name, off, size,
                     (unsigned long long)e->offset,
                     (unsigned long long)e->size);
    }
    assert_int_equal(zeroipc_table_count(r->mem), img->entry_count);
    assert_int_equal(zeroipc_memory_used(r->mem), img->next_offset);

    int bad = compare(img, r->want, zeroipc_memory_base(r->mem), "live");

    /* Again from the object itself, through a fresh open. */
    zeroipc_memory_close(r->mem);
    r->mem = NULL;
    char path[ZT_NAME_MAX + 16];
    struct stat st;
    snprintf(path, sizeof path, "/dev/shm%s", r->name);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, ZV_SEGMENT_SIZE);
    zv_assert_handle(r->mem, zeroipc_memory_open(r->name));
    bad += compare(img, r->want, zeroipc_memory_base(r->mem), "reopened");

    if (bad != 0)
        fail_msg("%s: %d region(s) differ from the image (see above)",
                 img->file, bad);
}

int main(void)
{
    zt_init();
    const struct CMUnitTest tests[] = {
        {"cpp_all.t_reproduce", t_reproduce, rp_setup, rp_teardown,
         (void *)&zv_cpp_all},
        {"py_core.t_reproduce", t_reproduce, rp_setup, rp_teardown,
         (void *)&zv_py_core},
    };
    int failed = cmocka_run_group_tests_name("vectors-reproduce", tests, NULL,
                                             zt_group_teardown);
    if (zv_dir() == NULL)
        return 77;
    return failed;
}
