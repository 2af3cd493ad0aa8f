/*
 * xproc_lazy.c - lazy values across real processes.
 *
 * 1. Eight processes force the same lazy at the same moment, ROUNDS times
 *    over fresh lazies (ADD, and an EXTERNAL supplied by one of them while
 *    the others wait): every one gets the value, compute_count is 1.
 * 2. A CHAIN tree built by the parent is forced from other processes
 *    (four of them, each starting at a different level): the value is
 *    right and every link was computed exactly once.
 * 3. A cycle of two CHAINs forced from both ends at once ends in ERROR
 *    with a message, within a deadline (no hang, no deadlock).
 * 4. A computer that "died" in COMPUTING (the state word set by hand):
 *    a timed force times out, a blocked one waits, and after
 *    zeroipc_lazy_recover the blocked one computes the value.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "xp.h"

#define NPROC 8
#define ROUNDS 20
#define DEADLINE_MS 15000
#define DEPTH 12

enum { C_ARRIVED, C_GEN, C_TIMEOUTS, C_WORDS = 8 };
enum act { RACE, CHAIN, CYCLE, DEAD_TIMED, DEAD_BLOCKED };

struct args {
    char seg[ZT_NAME_MAX];
    int id;
    int act;
};

static int child(void *arg)
{
    const struct args *a = arg;
    zeroipc_memory_t *m = zeroipc_memory_open(a->seg);
    zeroipc_array_t *ca = m ? zeroipc_array_open(m, "ctl") : NULL;
    if (ca == NULL) {
        XP_FAIL("open: %d", zeroipc_last_error());
        return 2;
    }
    _Atomic uint64_t *ctl = xp_words(ca);
    char name[16];
    int rc = 0;
    if (a->act == RACE) {
        for (int r = 0; r < ROUNDS && rc == 0; r++) {
            bool ext = r % 2 == 1;
            snprintf(name, sizeof name, "r%d", r);
            zeroipc_lazy_t *l = zeroipc_lazy_open(m, name, ZEROIPC_FIELD_I64);
            if (l == NULL || xp_barrier(&ctl[C_ARRIVED], &ctl[C_GEN], NPROC, 10000) != 0) {
                XP_FAIL("round %d: open or barrier", r);
                return 3;
            }
            int64_t v = 0, want = 1000 * r + r;
            if (ext && a->id == 0) {
                xp_sleep_ms(20); /* let the others wait first */
                if (zeroipc_lazy_supply(l, &want) != ZEROIPC_OK)
                    rc = 4;
            }
            int f = a->id % 2 ? zeroipc_lazy_force_timeout(l, &v, 10000)
                              : zeroipc_lazy_force(l, &v);
            if (rc == 0 && (f != ZEROIPC_OK || v != want)) {
                XP_FAIL("round %d: force %d value %lld", r, f, (long long)v);
                rc = 5;
            }
            zeroipc_lazy_close(l);
        }
    } else if (a->act == CHAIN) {
        /* Child i starts at level DEPTH - 1 - 3 * i (the top for i 0). */
        snprintf(name, sizeof name, "c%d", DEPTH - 1 - 3 * a->id);
        zeroipc_lazy_t *l = zeroipc_lazy_open(m, name, ZEROIPC_FIELD_U64);
        uint64_t v = 0;
        if (xp_barrier(&ctl[C_ARRIVED], &ctl[C_GEN], 4, 10000) != 0 || l == NULL)
            return 3;
        int f = zeroipc_lazy_force_timeout(l, &v, 10000);
        /* Level k is 2^(k+1) (each level doubles the one below, from 2). */
        if (f != ZEROIPC_OK || v != (uint64_t)1 << (DEPTH - 3 * a->id)) {
            XP_FAIL("chain from %s: %d %llu", name, f, (unsigned long long)v);
            rc = 5;
        }
        zeroipc_lazy_close(l);
    } else if (a->act == CYCLE) {
        zeroipc_lazy_t *l = zeroipc_lazy_open(m, a->id ? "y" : "x", ZEROIPC_FIELD_I32);
        int32_t v;
        if (xp_barrier(&ctl[C_ARRIVED], &ctl[C_GEN], 2, 10000) != 0 || l == NULL)
            return 3;
        int f = zeroipc_lazy_force(l, &v);
        if (f != ZEROIPC_ERROR_FAILED) {
            XP_FAIL("cycle force: %d", f);
            rc = 5;
        }
        zeroipc_lazy_close(l);
    } else {
        zeroipc_lazy_t *l = zeroipc_lazy_open(m, "dead", ZEROIPC_FIELD_I32);
        int32_t v = 0;
        if (l == NULL)
            return 3;
        if (a->act == DEAD_TIMED) {
            int f = zeroipc_lazy_force_timeout(l, &v, 100);
            if (f != ZEROIPC_ERROR_TIMEOUT) {
                XP_FAIL("timed force on a dead computer: %d", f);
                rc = 5;
            }
            atomic_fetch_add(&ctl[C_TIMEOUTS], 1);
        } else {
            int f = zeroipc_lazy_force(l, &v);
            if (f != ZEROIPC_OK || v != 99) {
                XP_FAIL("blocked force: %d %d", f, v);
                rc = 5;
            }
        }
        zeroipc_lazy_close(l);
    }
    zeroipc_array_close(ca);
    zeroipc_memory_close(m);
    return rc;
}

static zeroipc_memory_t *setup(char *seg, zeroipc_array_t **ctl)
{
    zt_segname(seg, "xlazy");
    zeroipc_memory_t *m = xp_keep_mem(zeroipc_memory_create(seg, 1 << 20, 128));
    assert_non_null(m);
    *ctl = xp_keep_array(zeroipc_array_create(m, "ctl", 8, C_WORDS));
    assert_non_null(*ctl);
    return m;
}

static void keep_lazy_(void *p) { zeroipc_lazy_close(p); }
static zeroipc_lazy_t *kl(zeroipc_lazy_t *l)
{
    assert_non_null(l);
    return xp_keep(keep_lazy_, l);
}

static void run(struct args *args, int n)
{
    int pids[NPROC], status[NPROC];
    xp_spawn(pids, n, child, args, sizeof *args);
    assert_int_equal(xp_wait_all(pids, n, DEADLINE_MS, status), 0);
}

static void test_race(void **state)
{
    (void)state;
    char seg[ZT_NAME_MAX];
    zeroipc_array_t *ctl;
    zeroipc_memory_t *m = setup(seg, &ctl);
    zeroipc_lazy_t *l[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        char name[16];
        snprintf(name, sizeof name, "r%d", r);
        int64_t a = 1000 * r, b = r;
        l[r] = kl(r % 2 ? zeroipc_lazy_create_external(m, name, ZEROIPC_FIELD_I64, (uint32_t)r)
                        : zeroipc_lazy_create_add(m, name, ZEROIPC_FIELD_I64, &a, &b));
    }
    struct args args[NPROC];
    for (int i = 0; i < NPROC; i++)
        args[i] = (struct args){.id = i, .act = RACE};
    for (int i = 0; i < NPROC; i++)
        strcpy(args[i].seg, seg);
    run(args, NPROC);
    for (int r = 0; r < ROUNDS; r++) {
        assert_int_equal(zeroipc_lazy_state(l[r]), ZEROIPC_LAZY_COMPUTED);
        assert_int_equal(zeroipc_lazy_compute_count(l[r]), 1);
    }
}

static void test_chain(void **state)
{
    (void)state;
    char seg[ZT_NAME_MAX];
    zeroipc_array_t *ctl;
    zeroipc_memory_t *m = setup(seg, &ctl);
    /* c0 = 1 + 1 (an ADD); c(k) = c(k-1) + c(k-1) (a CHAIN): 2^(k+1). */
    uint64_t one = 1;
    zeroipc_lazy_t *c[DEPTH];
    c[0] = kl(zeroipc_lazy_create_add(m, "c0", ZEROIPC_FIELD_U64, &one, &one));
    for (int k = 1; k < DEPTH; k++) {
        char name[16];
        uint32_t i;
        snprintf(name, sizeof name, "c%d", k);
        assert_int_equal(zeroipc_lazy_index(c[k - 1], &i), ZEROIPC_OK);
        c[k] = kl(zeroipc_lazy_create_chain(m, name, ZEROIPC_FIELD_U64, ZEROIPC_LAZY_ADD, i, i));
    }
    struct args args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (struct args){.id = i, .act = CHAIN};
        strcpy(args[i].seg, seg);
    }
    run(args, 4);
    for (int k = 0; k < DEPTH; k++) {
        assert_int_equal(zeroipc_lazy_state(c[k]), ZEROIPC_LAZY_COMPUTED);
        assert_int_equal(zeroipc_lazy_compute_count(c[k]), 1);
    }
}

static void test_cycle(void **state)
{
    (void)state;
    char seg[ZT_NAME_MAX];
    zeroipc_array_t *ctl;
    zeroipc_memory_t *m = setup(seg, &ctl);
    int32_t one = 1;
    zeroipc_lazy_t *k = kl(zeroipc_lazy_create_constant(m, "k", ZEROIPC_FIELD_I32, &one));
    uint32_t ki, p = (uint32_t)zeroipc_table_count(m);
    assert_int_equal(zeroipc_lazy_index(k, &ki), ZEROIPC_OK);
    zeroipc_lazy_t *x = kl(zeroipc_lazy_create_chain(m, "x", ZEROIPC_FIELD_I32, ZEROIPC_LAZY_ADD, ki, p + 1));
    zeroipc_lazy_t *y = kl(zeroipc_lazy_create_chain(m, "y", ZEROIPC_FIELD_I32, ZEROIPC_LAZY_ADD, p, ki));
    struct args args[2];
    for (int i = 0; i < 2; i++) {
        args[i] = (struct args){.id = i, .act = CYCLE};
        strcpy(args[i].seg, seg);
    }
    int64_t t0 = zt_now_ms();
    run(args, 2);
    assert_true(zt_now_ms() - t0 < 5000);
    char msg[ZEROIPC_LAZY_ERROR_SIZE];
    assert_int_equal(zeroipc_lazy_error(x, msg, sizeof msg), ZEROIPC_OK);
    assert_non_null(strstr(msg, "cycle"));
    assert_int_equal(zeroipc_lazy_error(y, msg, sizeof msg), ZEROIPC_OK);
    assert_non_null(strstr(msg, "cycle"));
}

static void test_dead_computer(void **state)
{
    (void)state;
    char seg[ZT_NAME_MAX];
    zeroipc_array_t *ctl;
    zeroipc_memory_t *m = setup(seg, &ctl);
    int32_t a = 90, b = 9;
    zeroipc_lazy_t *l = kl(zeroipc_lazy_create_add(m, "dead", ZEROIPC_FIELD_I32, &a, &b));
    size_t off;
    assert_int_equal(zeroipc_table_find(m, "dead", &off, NULL), ZEROIPC_OK);
    /* As a computer killed after its claim would leave it. */
    atomic_store((_Atomic uint32_t *)(void *)((uint8_t *)zeroipc_memory_base(m) + off),
                 ZEROIPC_LAZY_COMPUTING);
    struct args args[2] = {{.id = 0, .act = DEAD_TIMED}, {.id = 1, .act = DEAD_BLOCKED}};
    strcpy(args[0].seg, seg);
    strcpy(args[1].seg, seg);
    int pids[2], status[2];
    xp_spawn(pids, 2, child, args, sizeof *args);
    _Atomic uint64_t *w = xp_words(ctl);
    int64_t deadline = zt_now_ms() + 5000;
    while (atomic_load(&w[C_TIMEOUTS]) == 0 && zt_now_ms() < deadline)
        xp_sleep_ms(5);
    xp_sleep_ms(50);
    /* The blocked one still waits: nobody computed behind our back. */
    assert_int_equal(zeroipc_lazy_state(l), ZEROIPC_LAZY_COMPUTING);
    assert_int_equal(zeroipc_lazy_recover(l), ZEROIPC_OK);
    assert_int_equal(xp_wait_all(pids, 2, DEADLINE_MS, status), 0);
    assert_int_equal(zeroipc_lazy_compute_count(l), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_race, xp_teardown),
        cmocka_unit_test_teardown(test_chain, xp_teardown),
        cmocka_unit_test_teardown(test_cycle, xp_teardown),
        cmocka_unit_test_teardown(test_dead_computer, xp_teardown),
    };
    zt_init();
    return cmocka_run_group_tests(tests, NULL, zt_group_teardown);
}
