/*
 * xproc_map.c - one map shared by real processes.
 *
 * NI inserter processes insert disjoint key sets (inserter p: keys
 * (p + NI*i) * 8, i < PER, so that their chains interleave: with
 * capacity a power of two the homes are multiples of 8) and, all of
 * them, the same SHARED keys, starting at different points.  Keys with
 * i % 4 != 0 are inserted twice (value key, then key*3+1: an update);
 * keys with i % 4 == 0 once, and NE eraser processes erase those as
 * soon as they appear.  NL lookup processes find random keys meanwhile
 * and check every value they see is one that was inserted for that key.
 * Then the parent checks the map holds exactly the expected keys and
 * values, each once (iteration and size), and that the shared keys were
 * reported inserted exactly once in all.
 *
 * PER is 50,000 (ZT_XPROC_MAP_PER overrides it).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "xp.h"

#define NI 4
#define NE 2
#define NL 2
#define SHARED 2000
#define SHARED_BASE (UINT64_C(1) << 40)
#define DEFAULT_PER 50000

enum { C_ARRIVED, C_GEN, C_DONE, C_SHARED_INS, C_BAD, C_WORDS };

struct args {
    char seg[ZT_NAME_MAX];
    int id;
    uint64_t per;
};

struct ctx {
    zeroipc_memory_t *mem;
    zeroipc_map_t *m;
    zeroipc_array_t *ctl_a;
    _Atomic uint64_t *ctl;
};

static zeroipc_type_t u64t(void)
{
    zeroipc_type_t t;
    zeroipc_type_parse("u64", 3, &t);
    return t;
}

static uint64_t pkey(int p, uint64_t i)
{
    return ((uint64_t)p + NI * i) * 8;
}

static void ctx_close(struct ctx *c)
{
    zeroipc_map_close(c->m);
    zeroipc_array_close(c->ctl_a);
    zeroipc_memory_close(c->mem);
}

static int ctx_open(struct ctx *c, const char *seg)
{
    memset(c, 0, sizeof *c);
    zeroipc_type_t t = u64t();
    c->mem = zeroipc_memory_open(seg);
    if (!c->mem) {
        XP_FAIL("memory_open(%s): %d", seg, zeroipc_last_error());
        return -1;
    }
    c->m = zeroipc_map_open(c->mem, "m", &t, &t);
    c->ctl_a = zeroipc_array_open(c->mem, "ctl");
    if (!c->m || !c->ctl_a) {
        XP_FAIL("open m/ctl: last error %d", zeroipc_last_error());
        ctx_close(c);
        return -1;
    }
    c->ctl = xp_words(c->ctl_a);
    return 0;
}

static int start(struct ctx *c, const char *who, int id)
{
    if (xp_barrier(&c->ctl[C_ARRIVED], &c->ctl[C_GEN], NI + NE + NL, 20000) != 0) {
        XP_FAIL("%s %d: start barrier timed out", who, id);
        return -1;
    }
    return 0;
}

static int inserter(void *arg)
{
    const struct args *a = arg;
    struct ctx c;
    if (ctx_open(&c, a->seg) != 0)
        return 2;
    int rc = 0;
    if (start(&c, "inserter", a->id) != 0) {
        rc = 3;
        goto out;
    }
    uint64_t shared_ins = 0;
    for (uint64_t i = 0; i < a->per + SHARED; i++) {
        uint64_t k, v;
        int r;
        if (i % (a->per / SHARED + 1) == 0 && shared_ins < SHARED) {
            /* Interleave the shared keys with our own. */
            uint64_t j = (shared_ins++ + (uint64_t)a->id * SHARED / NI) % SHARED;
            k = SHARED_BASE + j * 8;
            v = k * 3 + 1;
            r = zeroipc_map_insert(c.m, &k, &v);
            if (r == 1)
                atomic_fetch_add(&c.ctl[C_SHARED_INS], 1);
            else if (r != 0) {
                XP_FAIL("inserter %d: shared insert %" PRIu64 ": %d", a->id, k, r);
                rc = 4;
                goto out;
            }
        }
        if (i >= a->per)
            continue;
        k = pkey(a->id, i);
        v = i % 4 == 0 ? k * 3 + 1 : k;
        if ((r = zeroipc_map_insert(c.m, &k, &v)) != 1) {
            XP_FAIL("inserter %d: insert %" PRIu64 " returned %d", a->id, k, r);
            rc = 5;
            goto out;
        }
        if (i % 4 != 0) {
            v = k * 3 + 1;
            if ((r = zeroipc_map_insert(c.m, &k, &v)) != 0) {
                XP_FAIL("inserter %d: update %" PRIu64 " returned %d", a->id, k, r);
                rc = 6;
                goto out;
            }
        }
    }
    atomic_fetch_add(&c.ctl[C_DONE], 1);
out:
    ctx_close(&c);
    return rc;
}

static int eraser(void *arg)
{
    const struct args *a = arg;
    struct ctx c;
    if (ctx_open(&c, a->seg) != 0)
        return 2;
    int rc = 0;
    if (start(&c, "eraser", a->id) != 0) {
        rc = 3;
        goto out;
    }
    int64_t deadline = zt_now_ms() + 120000;
    /* Eraser e takes the i % 4 == 0 keys of inserters p with p % NE == e. */
    for (int p = a->id; p < NI; p += NE) {
        for (uint64_t i = 0; i < a->per; i += 4) {
            uint64_t k = pkey(p, i);
            unsigned tries = 0;
            int r;
            while ((r = zeroipc_map_erase(c.m, &k)) == ZEROIPC_ERROR_NOT_FOUND) {
                if (++tries % 64 == 0) {
                    if (zt_now_ms() > deadline) {
                        XP_FAIL("eraser %d: key %" PRIu64 " never appeared", a->id, k);
                        rc = 4;
                        goto out;
                    }
                    sched_yield();
                }
            }
            if (r != ZEROIPC_OK) {
                XP_FAIL("eraser %d: erase %" PRIu64 ": %d", a->id, k, r);
                rc = 5;
                goto out;
            }
        }
    }
out:
    ctx_close(&c);
    return rc;
}

static int looker(void *arg)
{
    const struct args *a = arg;
    struct ctx c;
    if (ctx_open(&c, a->seg) != 0)
        return 2;
    int rc = 0;
    if (start(&c, "looker", a->id) != 0) {
        rc = 3;
        goto out;
    }
    uint64_t x = 88172645463325252ull + (uint64_t)a->id, found = 0;
    while (atomic_load(&c.ctl[C_DONE]) < NI) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint64_t i = x % a->per, k, v = 0;
        int p = (int)((x >> 32) % NI);
        bool shared = (x >> 40) % 4 == 0;
        k = shared ? SHARED_BASE + (i % SHARED) * 8 : pkey(p, i);
        int r = zeroipc_map_find(c.m, &k, &v);
        if (r == ZEROIPC_ERROR_NOT_FOUND)
            continue;
        if (r != ZEROIPC_OK || (v != k * 3 + 1 && (shared || i % 4 == 0 || v != k))) {
            XP_FAIL("looker %d: key %" PRIu64 ": %d, value %" PRIu64, a->id, k, r, v);
            atomic_fetch_add(&c.ctl[C_BAD], 1);
            rc = 4;
            goto out;
        }
        found++;
    }
    fprintf(stderr, "looker %d: %" PRIu64 " keys found\n", a->id, found);
out:
    ctx_close(&c);
    return rc;
}

static void test_map_mixed(void **state)
{
    (void)state;
    uint64_t per = (uint64_t)xp_env_long("ZT_XPROC_MAP_PER", DEFAULT_PER);
    per = (per + 3) / 4 * 4;
    uint64_t total = NI * per + SHARED;
    size_t cap = 1024;
    while (cap < total * 3 / 2)
        cap <<= 1;
    char seg[ZT_NAME_MAX];
    zt_segname(seg, "xm-mixed");
    zeroipc_type_t t = u64t();
    zeroipc_map_shape_t sh;
    assert_int_equal(zeroipc_map_shape(&t, &t, &sh), ZEROIPC_OK);
    size_t size = 4096 + zeroipc_map_footprint(&sh, cap) +
                  zeroipc_array_footprint(8, C_WORDS) + 4096;
    zeroipc_memory_t *mem = xp_keep_mem(zeroipc_memory_create(seg, size, 8));
    assert_non_null(mem);
    zeroipc_map_t *m = zeroipc_map_create(mem, "m", &t, &t, cap);
    assert_non_null(m);
    zeroipc_array_t *ctl_a = xp_keep_array(zeroipc_array_create(mem, "ctl", 8, C_WORDS));
    assert_non_null(ctl_a);
    _Atomic uint64_t *ctl = xp_words(ctl_a);

    enum { N = NI + NE + NL };
    struct args args[N];
    int pids[N], status[N];
    for (int i = 0; i < N; i++) {
        memset(&args[i], 0, sizeof args[i]);
        strcpy(args[i].seg, seg);
        args[i].id = i < NI ? i : i < NI + NE ? i - NI : i - NI - NE;
        args[i].per = per;
    }
    int64_t t0 = zt_now_ms();
    xp_spawn(pids, NI, inserter, args, sizeof args[0]);
    xp_spawn(pids + NI, NE, eraser, args + NI, sizeof args[0]);
    xp_spawn(pids + NI + NE, NL, looker, args + NI + NE, sizeof args[0]);
    int bad = xp_wait_all(pids, N, 150000, status);
    fprintf(stderr, "map: %d inserters x %" PRIu64 " keys + %d shared, %d erasers, "
            "%d lookers, capacity %zu: %" PRId64 " ms\n", NI, per, SHARED, NE, NL,
            cap, zt_now_ms() - t0);
    for (int i = 0; i < N; i++)
        if (status[i] != 0)
            fprintf(stderr, "child %d exited with %d\n", i, status[i]);
    assert_int_equal(bad, 0);
    assert_int_equal(atomic_load(&ctl[C_BAD]), 0);
    /* Each shared key was inserted once, however many tried at once. */
    assert_int_equal(atomic_load(&ctl[C_SHARED_INS]), SHARED);

    /* Exactly the expected keys, each once, with the final values. */
    uint64_t expect = NI * (per - per / 4) + SHARED;
    uint64_t n = 0, k, v;
    size_t cursor = 0;
    int r;
    while ((r = zeroipc_map_next(m, &cursor, &k, &v)) == ZEROIPC_OK) {
        assert_true(v == k * 3 + 1);
        if (k >= SHARED_BASE) {
            assert_true((k - SHARED_BASE) % 8 == 0 && (k - SHARED_BASE) / 8 < SHARED);
        } else {
            assert_true(k % 8 == 0);
            uint64_t i = k / 8 / NI;
            assert_true(i < per && i % 4 != 0);
        }
        n++;
    }
    assert_int_equal(r, ZEROIPC_ERROR_NOT_FOUND);
    assert_int_equal(n, expect);
    assert_int_equal(zeroipc_map_size(m), expect);
    for (int p = 0; p < NI; p++) {
        for (uint64_t i = 0; i < per; i++) {
            k = pkey(p, i);
            r = zeroipc_map_find(m, &k, &v);
            if (i % 4 == 0) {
                assert_int_equal(r, ZEROIPC_ERROR_NOT_FOUND);
            } else {
                assert_int_equal(r, ZEROIPC_OK);
                assert_true(v == k * 3 + 1);
            }
        }
    }
    zeroipc_map_close(m);
    xp_teardown(NULL);
    zeroipc_memory_unlink(seg);
}

int main(void)
{
    zt_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_map_mixed, xp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, zt_group_teardown);
}
