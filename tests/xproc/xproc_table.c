/*
 * xproc_table.c - the segment table changed by several processes at once.
 *
 * 1. Two processes, released together by a barrier on a shared atomic
 *    counter, create 500 arrays each (distinct names, varied shapes) in one
 *    segment and fill each with a pattern of their own.  Afterwards the
 *    parent checks that all 1000 entries (plus the control array) are
 *    there once, with the right sizes; that every structure lies inside
 *    the data area, 8-aligned and overlapping no other; that every array's
 *    header holds the capacity it was created with (and opens with the
 *    right element size); that every array still holds its own pattern
 *    (an overlap would have overwritten it); and that the header's
 *    entry_count and next_offset agree.
 * 2. Four processes race to create the same name, 100 times with a new
 *    name each round (even rounds through zeroipc_array_create, odd ones
 *    through zeroipc_table_add): exactly one succeeds each round and the
 *    others get ZEROIPC_ERROR_ALREADY_EXISTS; afterwards every name is in
 *    the table once.
 * 3. As 1, but the children use the segment handle they inherited over
 *    fork() instead of opening the segment again: the common "open, then
 *    fork workers" pattern, repeated ten times.  The table lock must still
 *    exclude them.  (An flock() belongs to the open file description, which
 *    fork() shares: a lock taken on the inherited descriptor excludes
 *    nobody who inherited the same one.)
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "xp.h"

#define NCREATORS 2
#define PER_CREATOR 500
#define NRACERS 4
#define ROUNDS 100
#define MAX_ENTRIES 1100

enum { C_ARRIVED, C_GEN, C_RES = 8, C_WORDS = C_RES + ROUNDS * NRACERS };

struct args {
    char seg[ZT_NAME_MAX];
    int id;
    zeroipc_memory_t *inherited; /* non-NULL: use it instead of opening */
};

static size_t shape_elem(int id, int i) { return 1 + (size_t)((i + id) % 8); }
static size_t shape_cap(int id, int i) { return 1 + (size_t)((i * 7 + id * 3) % 13); }
static unsigned char pattern(int id, int i, size_t k)
{
    return (unsigned char)((id * PER_CREATOR + i) * 131 + k * 7 + 1);
}
static void creator_name(char *buf, int id, int i)
{
    snprintf(buf, ZEROIPC_NAME_SIZE, "c%d-%03d", id, i);
}

static int creator(void *arg)
{
    const struct args *a = arg;
    zeroipc_memory_t *mem = a->inherited ? a->inherited
                                         : zeroipc_memory_open(a->seg);
    if (!mem) {
        XP_FAIL("memory_open: %d", zeroipc_last_error());
        return 2;
    }
    zeroipc_array_t *ctl_a = zeroipc_array_open(mem, "ctl");
    if (!ctl_a) {
        XP_FAIL("ctl open: %d", zeroipc_last_error());
        return 2;
    }
    _Atomic uint64_t *ctl = xp_words(ctl_a);
    int rc = 0;
    if (xp_barrier(&ctl[C_ARRIVED], &ctl[C_GEN], NCREATORS, 20000) != 0) {
        XP_FAIL("creator %d: barrier timed out", a->id);
        rc = 3;
        goto out;
    }
    for (int i = 0; i < PER_CREATOR; i++) {
        char name[ZEROIPC_NAME_SIZE];
        creator_name(name, a->id, i);
        size_t es = shape_elem(a->id, i), cap = shape_cap(a->id, i);
        zeroipc_array_t *arr = zeroipc_array_create(mem, name, es, cap);
        if (!arr) {
            XP_FAIL("creator %d: array_create(%s) failed: %d (%s)", a->id,
                    name, zeroipc_last_error(),
                    zeroipc_error_string(zeroipc_last_error()));
            rc = 4;
            goto out;
        }
        if (zeroipc_array_capacity(arr) != cap ||
            zeroipc_array_elem_size(arr) != es) {
            XP_FAIL("creator %d: %s has shape %zu x %zu, made %zu x %zu",
                    a->id, name, zeroipc_array_capacity(arr),
                    zeroipc_array_elem_size(arr), cap, es);
            rc = 5;
        }
        unsigned char *d = zeroipc_array_data(arr);
        for (size_t k = 0; k < es * cap; k++)
            d[k] = pattern(a->id, i, k);
        zeroipc_array_close(arr);
        /* Look up one of the other creator's names now and then, so that
         * readers run alongside the writers too. */
        if (i % 16 == 0) {
            char other[ZEROIPC_NAME_SIZE];
            creator_name(other, 1 - a->id, i / 2);
            int f = zeroipc_table_find(mem, other, NULL, NULL);
            if (f != ZEROIPC_OK && f != ZEROIPC_ERROR_NOT_FOUND) {
                XP_FAIL("creator %d: find(%s) = %d", a->id, other, f);
                rc = 6;
            }
        }
        if (rc)
            goto out;
    }
out:
    zeroipc_array_close(ctl_a);
    if (!a->inherited)
        zeroipc_memory_close(mem);
    return rc;
}

static int cmp_entry_off(const void *x, const void *y)
{
    const zeroipc_entry_t *a = x, *b = y;
    return a->offset < b->offset ? -1 : a->offset > b->offset;
}

static void run_concurrent_create(bool inherited)
{
    char seg[ZT_NAME_MAX];
    zt_segname(seg, inherited ? "xt-inh" : "xt-create");
    const size_t msize = 1 << 20;
    zeroipc_memory_t *mem =
        xp_keep_mem(zeroipc_memory_create(seg, msize, MAX_ENTRIES));
    assert_non_null(mem);
    zeroipc_array_t *ctl_a =
        xp_keep_array(zeroipc_array_create(mem, "ctl", 8, C_WORDS));
    assert_non_null(ctl_a);

    struct args args[NCREATORS];
    int pids[NCREATORS], status[NCREATORS];
    for (int i = 0; i < NCREATORS; i++) {
        memset(&args[i], 0, sizeof args[i]);
        strcpy(args[i].seg, seg);
        args[i].id = i;
        args[i].inherited = inherited ? mem : NULL;
    }
    int64_t t0 = zt_now_ms();
    xp_spawn(pids, NCREATORS, creator, args, sizeof args[0]);
    int bad = xp_wait_all(pids, NCREATORS, 60000, status);
    fprintf(stderr, "%d x %d creates (%s handles): %" PRId64 " ms\n",
            NCREATORS, PER_CREATOR, inherited ? "inherited" : "own",
            zt_now_ms() - t0);
    assert_int_equal(bad, 0);

    /* The table as a whole. */
    const size_t want = NCREATORS * PER_CREATOR + 1;
    assert_int_equal(zeroipc_table_count(mem), want);
    zeroipc_entry_t *ents = xp_keep_malloc(calloc(MAX_ENTRIES, sizeof *ents));
    assert_non_null(ents);
    size_t count = 0;
    assert_int_equal(zeroipc_table_entries(mem, ents, MAX_ENTRIES, &count),
                     ZEROIPC_OK);
    assert_int_equal(count, want);

    const unsigned char *base = zeroipc_memory_base(mem);
    uint32_t hdr_count, hdr_max;
    uint64_t hdr_size, hdr_next;
    memcpy(&hdr_count, base + 8, 4);
    memcpy(&hdr_max, base + 12, 4);
    memcpy(&hdr_size, base + 16, 8);
    memcpy(&hdr_next, base + 24, 8);
    assert_int_equal(hdr_count, want);
    assert_int_equal(hdr_max, MAX_ENTRIES);
    assert_int_equal(hdr_size, msize);
    const uint64_t data_start = ZEROIPC_HEADER_SIZE +
                                (uint64_t)ZEROIPC_ENTRY_SIZE * MAX_ENTRIES;

    /* Every structure inside the data area, aligned, and no two overlap. */
    qsort(ents, count, sizeof *ents, cmp_entry_off);
    for (size_t i = 0; i < count; i++) {
        assert_true(ents[i].offset >= data_start);
        assert_int_equal(ents[i].offset % 8, 0);
        assert_true(ents[i].size > 0);
        assert_true(ents[i].offset + ents[i].size <= hdr_next);
        assert_true(hdr_next <= msize);
        if (i > 0 && ents[i - 1].offset + ents[i - 1].size > ents[i].offset)
            fail_msg("%s [%" PRIu64 ", +%" PRIu64 ") overlaps %s [%" PRIu64
                     ", +%" PRIu64 ")", ents[i - 1].name, ents[i - 1].offset,
                     ents[i - 1].size, ents[i].name, ents[i].offset,
                     ents[i].size);
        /* Names unique (the list is small enough to check pairwise). */
        for (size_t j = 0; j < i; j++)
            if (strcmp(ents[i].name, ents[j].name) == 0)
                fail_msg("name %s appears twice", ents[i].name);
    }

    /* Each array: present once, right size, header and contents intact. */
    for (int id = 0; id < NCREATORS; id++) {
        for (int i = 0; i < PER_CREATOR; i++) {
            char name[ZEROIPC_NAME_SIZE];
            creator_name(name, id, i);
            size_t es = shape_elem(id, i), cap = shape_cap(id, i);
            size_t off = 0, size = 0;
            int rc = zeroipc_table_find(mem, name, &off, &size);
            if (rc != ZEROIPC_OK)
                fail_msg("%s: find returned %d", name, rc);
            assert_int_equal(size, 8 + es * cap);
            uint64_t stored_cap;
            memcpy(&stored_cap, base + off, 8);
            if (stored_cap != cap)
                fail_msg("%s: header capacity %" PRIu64 ", created %zu", name,
                         stored_cap, cap);
            zeroipc_array_t *arr = zeroipc_array_open(mem, name);
            if (!arr)
                fail_msg("%s: array_open failed: %d", name,
                         zeroipc_last_error());
            size_t got_cap = zeroipc_array_capacity(arr);
            size_t got_es = zeroipc_array_elem_size(arr);
            const void *got_data = zeroipc_array_data(arr);
            zeroipc_array_close(arr);
            assert_int_equal(got_cap, cap);
            assert_int_equal(got_es, es);
            assert_ptr_equal(got_data, base + off + 8);
            const unsigned char *d = base + off + 8;
            for (size_t k = 0; k < es * cap; k++)
                if (d[k] != pattern(id, i, k))
                    fail_msg("%s: byte %zu is %u, wrote %u", name, k, d[k],
                             pattern(id, i, k));
        }
    }
    xp_teardown(NULL);
    zeroipc_memory_unlink(seg);
}

static void test_concurrent_create(void **st)
{
    (void)st;
    run_concurrent_create(false);
}

/* One run loses entries about half the time when the lock does not hold
 * across fork(); ten make the result certain either way. */
static void test_concurrent_create_inherited_handle(void **st)
{
    (void)st;
    for (int i = 0; i < 10; i++)
        run_concurrent_create(true);
}

static int racer(void *arg)
{
    const struct args *a = arg;
    zeroipc_memory_t *mem = zeroipc_memory_open(a->seg);
    if (!mem) {
        XP_FAIL("memory_open: %d", zeroipc_last_error());
        return 2;
    }
    zeroipc_array_t *ctl_a = zeroipc_array_open(mem, "ctl");
    if (!ctl_a) {
        XP_FAIL("ctl open: %d", zeroipc_last_error());
        return 2;
    }
    _Atomic uint64_t *ctl = xp_words(ctl_a);
    int rc = 0;
    for (int r = 0; r < ROUNDS; r++) {
        if (xp_barrier(&ctl[C_ARRIVED], &ctl[C_GEN], NRACERS, 20000) != 0) {
            XP_FAIL("racer %d: barrier timed out in round %d", a->id, r);
            rc = 3;
            break;
        }
        char name[ZEROIPC_NAME_SIZE];
        snprintf(name, sizeof name, "race-%03d", r);
        int res;
        if (r % 2 == 0) {
            zeroipc_array_t *arr = zeroipc_array_create(mem, name, 8, 4);
            res = arr ? ZEROIPC_OK : zeroipc_last_error();
            zeroipc_array_close(arr);
        } else {
            res = zeroipc_table_add(mem, name, 40, NULL);
        }
        atomic_store(&ctl[C_RES + r * NRACERS + a->id], (uint64_t)(res + 100));
    }
    zeroipc_array_close(ctl_a);
    zeroipc_memory_close(mem);
    return rc;
}

static void test_race_same_name(void **st)
{
    (void)st;
    char seg[ZT_NAME_MAX];
    zt_segname(seg, "xt-race");
    zeroipc_memory_t *mem =
        xp_keep_mem(zeroipc_memory_create(seg, 1 << 16, ROUNDS + 8));
    assert_non_null(mem);
    zeroipc_array_t *ctl_a =
        xp_keep_array(zeroipc_array_create(mem, "ctl", 8, C_WORDS));
    assert_non_null(ctl_a);
    _Atomic uint64_t *ctl = xp_words(ctl_a);

    struct args args[NRACERS];
    int pids[NRACERS], status[NRACERS];
    for (int i = 0; i < NRACERS; i++) {
        memset(&args[i], 0, sizeof args[i]);
        strcpy(args[i].seg, seg);
        args[i].id = i;
    }
    int64_t t0 = zt_now_ms();
    xp_spawn(pids, NRACERS, racer, args, sizeof args[0]);
    int bad = xp_wait_all(pids, NRACERS, 60000, status);
    fprintf(stderr, "%d racers x %d rounds: %" PRId64 " ms\n", NRACERS,
            ROUNDS, zt_now_ms() - t0);
    assert_int_equal(bad, 0);

    int winners[NRACERS] = {0};
    for (int r = 0; r < ROUNDS; r++) {
        int ok = 0, exists = 0;
        for (int i = 0; i < NRACERS; i++) {
            int res = (int)atomic_load(&ctl[C_RES + r * NRACERS + i]) - 100;
            if (res == ZEROIPC_OK) {
                ok++;
                winners[i]++;
            } else if (res == ZEROIPC_ERROR_ALREADY_EXISTS) {
                exists++;
            } else {
                fail_msg("round %d racer %d: %d (%s)", r, i, res,
                         zeroipc_error_string(res));
            }
        }
        if (ok != 1 || exists != NRACERS - 1)
            fail_msg("round %d: %d creators succeeded, %d got ALREADY_EXISTS",
                     r, ok, exists);
        char name[ZEROIPC_NAME_SIZE];
        snprintf(name, sizeof name, "race-%03d", r);
        size_t size = 0;
        assert_int_equal(zeroipc_table_find(mem, name, NULL, &size),
                         ZEROIPC_OK);
        assert_int_equal(size, r % 2 == 0 ? 8 + 8 * 4 : 40);
    }
    fprintf(stderr, "wins per racer: %d %d %d %d\n", winners[0], winners[1],
            winners[2], winners[3]);
    assert_int_equal(zeroipc_table_count(mem), ROUNDS + 1);
    /* The losers took no space: exactly the winners' bytes were used. */
    size_t used = 0;
    zeroipc_entry_t ents[ROUNDS + 8];
    size_t count = 0;
    assert_int_equal(zeroipc_table_entries(mem, ents, ROUNDS + 8, &count),
                     ZEROIPC_OK);
    assert_int_equal(count, ROUNDS + 1);
    for (size_t i = 0; i < count; i++)
        if (ents[i].offset + ents[i].size > used)
            used = ents[i].offset + ents[i].size;
    assert_int_equal(zeroipc_memory_used(mem), used);

    xp_teardown(NULL);
    zeroipc_memory_unlink(seg);
}

int main(void)
{
    zt_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_concurrent_create, xp_teardown),
        cmocka_unit_test_teardown(test_race_same_name, xp_teardown),
        cmocka_unit_test_teardown(test_concurrent_create_inherited_handle, xp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, zt_group_teardown);
}
