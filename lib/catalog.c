/*
 * catalog.c - the catalogue of kinds and element types, and describing
 * entries by record or by inference.
 *
 * Lock contract: every public function takes the table lock; the
 * catalogue lives in the segment like any structure, so its records are
 * written only with the table lock held exclusively and read with it held
 * at least shared.  A catalogue written by a foreign or hostile process is
 * validated (magic, version, capacity within the entry, count within
 * capacity) before any record is read, and each record is copied out
 * before use.
 */
#include "zeroipc_catalog.h"

#include <string.h>

#include "memory_i.h"
#include "zeroipc_array.h"
#include "zeroipc_map.h"
#include "zeroipc_pool.h"
#include "zeroipc_queue.h"
#include "zeroipc_ring.h"
#include "zeroipc_stack.h"

#define CATALOG_HEADER_SIZE 16

struct catalog_header {
    uint32_t magic;
    uint32_t version;
    uint32_t capacity;
    _Atomic uint32_t count;
};

struct catalog_record {
    char name[ZEROIPC_NAME_SIZE];
    uint64_t offset;
    uint32_t kind;
    uint32_t reserved;
    char type[ZEROIPC_TYPE_SPEC_SIZE];
};

_Static_assert(sizeof(struct catalog_header) == CATALOG_HEADER_SIZE, "catalog header");
_Static_assert(sizeof(struct catalog_record) == 112, "catalog record");

static const char *const kind_names[] = {
    [ZEROIPC_KIND_UNKNOWN] = "unknown",
    [ZEROIPC_KIND_ARRAY] = "array",
    [ZEROIPC_KIND_QUEUE] = "queue",
    [ZEROIPC_KIND_STACK] = "stack",
    [ZEROIPC_KIND_CATALOG] = "catalog",
    [ZEROIPC_KIND_RING] = "ring",
    [ZEROIPC_KIND_MAP] = "map",
    [ZEROIPC_KIND_SET] = "set",
    [ZEROIPC_KIND_POOL] = "pool",
    [ZEROIPC_KIND_SEMAPHORE] = "semaphore",
    [ZEROIPC_KIND_MUTEX] = "mutex",
    [ZEROIPC_KIND_BARRIER] = "barrier",
    [ZEROIPC_KIND_LATCH] = "latch",
    [ZEROIPC_KIND_ONCE] = "once",
    [ZEROIPC_KIND_EVENT] = "event",
    [ZEROIPC_KIND_RWLOCK] = "rwlock",
    [ZEROIPC_KIND_MONITOR] = "monitor",
    [ZEROIPC_KIND_SIGNAL] = "signal",
    [ZEROIPC_KIND_FUTURE] = "future",
    [ZEROIPC_KIND_LAZY] = "lazy",
    [ZEROIPC_KIND_STREAM] = "stream",
    [ZEROIPC_KIND_CHANNEL] = "channel",
};

#define KIND_COUNT (sizeof kind_names / sizeof kind_names[0])

const char *zeroipc_kind_name(zeroipc_kind_t kind)
{
    if ((unsigned)kind >= KIND_COUNT || kind_names[kind] == NULL)
        return kind_names[ZEROIPC_KIND_UNKNOWN];
    return kind_names[kind];
}

zeroipc_kind_t zeroipc_kind_from_name(const char *name)
{
    for (unsigned k = 1; name != NULL && k < KIND_COUNT; k++) {
        if (kind_names[k] != NULL && strcmp(kind_names[k], name) == 0)
            return (zeroipc_kind_t)k;
    }
    return ZEROIPC_KIND_UNKNOWN;
}

/* Caller holds the table lock.  The catalogue's header, or NULL with
 * *err set (NOT_FOUND when there is none, CORRUPT when it is bad). */
static struct catalog_header *catalog_find(zeroipc_memory_t *mem, int *err)
{
    zeroipc_entry_t e;
    *err = zeroipc_table_find_locked(mem, ZEROIPC_CATALOG_NAME, &e);
    if (*err != ZEROIPC_OK)
        return NULL;
    struct catalog_header *c = (void *)(mem->base + e.offset);
    uint32_t capacity = c->capacity;
    if (e.size < CATALOG_HEADER_SIZE || c->magic != ZEROIPC_CATALOG_MAGIC ||
        c->version != ZEROIPC_CATALOG_VERSION ||
        capacity > (e.size - CATALOG_HEADER_SIZE) / sizeof(struct catalog_record)) {
        *err = ZEROIPC_ERROR_CORRUPT;
        return NULL;
    }
    return c;
}

static struct catalog_record *records(struct catalog_header *c)
{
    return (struct catalog_record *)(void *)((uint8_t *)c + CATALOG_HEADER_SIZE);
}

/* Records in use, bounded by the capacity (a larger count is clamped: the
 * records past capacity do not exist). */
static uint32_t record_count(struct catalog_header *c)
{
    uint32_t n = atomic_load_explicit(&c->count, memory_order_acquire);
    return n > c->capacity ? c->capacity : n;
}

/* Caller holds the table lock.  Copies the valid record of `e` into *out. */
static bool record_for(struct catalog_header *c, const zeroipc_entry_t *e,
                       struct catalog_record *out)
{
    uint32_t n = record_count(c);
    for (uint32_t i = 0; i < n; i++) {
        memcpy(out, &records(c)[i], sizeof *out);
        if (strncmp(out->name, e->name, ZEROIPC_NAME_SIZE) == 0 && out->offset == e->offset) {
            out->type[ZEROIPC_TYPE_SPEC_SIZE - 1] = '\0';
            return true;
        }
    }
    return false;
}

static void init_catalog(void *p, const void *ctx)
{
    struct catalog_header *c = p;
    c->magic = ZEROIPC_CATALOG_MAGIC;
    c->version = ZEROIPC_CATALOG_VERSION;
    c->capacity = *(const uint32_t *)ctx;
}

/* Caller holds the table lock exclusively.  The catalogue, made if missing. */
static struct catalog_header *catalog_make(zeroipc_memory_t *mem, int *err)
{
    struct catalog_header *c = catalog_find(mem, err);
    if (c != NULL || *err != ZEROIPC_ERROR_NOT_FOUND)
        return c;
    uint32_t capacity = mem->max_entries;
    size_t offset;
    *err = zeroipc_table_add_locked(mem, ZEROIPC_CATALOG_NAME,
                                    CATALOG_HEADER_SIZE + (size_t)capacity * sizeof(struct catalog_record),
                                    init_catalog, &capacity, &offset);
    return *err == ZEROIPC_OK ? (void *)(mem->base + offset) : NULL;
}

int zeroipc_catalog_ensure(zeroipc_memory_t *mem)
{
    if (mem == NULL)
        return zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
    int err = zeroipc_table_lock(mem, true);
    if (err == ZEROIPC_OK) {
        catalog_make(mem, &err);
        zeroipc_table_unlock(mem);
    }
    if (err != ZEROIPC_OK)
        return zeroipc_mem_fail(mem, err);
    return zeroipc_set_error(ZEROIPC_OK);
}

int zeroipc_catalog_set(zeroipc_memory_t *mem, const char *name,
                        zeroipc_kind_t kind, const char *type)
{
    if (mem == NULL || type == NULL ||
        strnlen(type, ZEROIPC_TYPE_SPEC_SIZE) >= ZEROIPC_TYPE_SPEC_SIZE)
        return zeroipc_mem_fail(mem, ZEROIPC_ERROR_INVALID_ARGUMENT);
    int err = zeroipc_table_lock(mem, true);
    if (err != ZEROIPC_OK)
        return zeroipc_mem_fail(mem, err);

    zeroipc_entry_t e;
    struct catalog_header *c = NULL;
    err = zeroipc_table_find_locked(mem, name, &e);
    if (err == ZEROIPC_OK)
        c = catalog_make(mem, &err);
    if (c != NULL) {
        /* Reuse this structure's record, else a stale one (its entry gone
         * or renamed), else append. */
        uint32_t n = record_count(c), slot = n;
        for (uint32_t i = 0; i < n && slot == n; i++) {
            if (strncmp(records(c)[i].name, name, ZEROIPC_NAME_SIZE) == 0)
                slot = i;
        }
        for (uint32_t i = 0; i < n && slot == n; i++) {
            char stale[ZEROIPC_NAME_SIZE];
            memcpy(stale, records(c)[i].name, sizeof stale);
            stale[ZEROIPC_NAME_SIZE - 1] = '\0';
            zeroipc_entry_t other;
            if (zeroipc_table_find_locked(mem, stale, &other) != ZEROIPC_OK ||
                other.offset != records(c)[i].offset)
                slot = i;
        }
        if (slot == n && n == c->capacity) {
            err = ZEROIPC_ERROR_TABLE_FULL;
        } else {
            struct catalog_record r = {.offset = e.offset, .kind = (uint32_t)kind};
            memcpy(r.name, e.name, sizeof r.name);
            memcpy(r.type, type, strlen(type));
            memcpy(&records(c)[slot], &r, sizeof r);
            if (slot == n)
                atomic_store_explicit(&c->count, n + 1, memory_order_release);
        }
    }
    zeroipc_table_unlock(mem);
    if (err != ZEROIPC_OK)
        return zeroipc_mem_fail(mem, err);
    return zeroipc_set_error(ZEROIPC_OK);
}

int zeroipc_catalog_get(zeroipc_memory_t *mem, const char *name,
                        zeroipc_kind_t *kind, char *type, size_t len)
{
    if (mem == NULL || (type == NULL && len > 0))
        return zeroipc_mem_fail(mem, ZEROIPC_ERROR_INVALID_ARGUMENT);
    int err = zeroipc_table_lock(mem, false);
    if (err != ZEROIPC_OK)
        return zeroipc_mem_fail(mem, err);
    zeroipc_entry_t e;
    struct catalog_record r;
    err = zeroipc_table_find_locked(mem, name, &e);
    if (err == ZEROIPC_OK) {
        struct catalog_header *c = catalog_find(mem, &err);
        if (c != NULL && !record_for(c, &e, &r))
            err = ZEROIPC_ERROR_NOT_FOUND;
    }
    zeroipc_table_unlock(mem);
    if (err == ZEROIPC_OK && len > 0 && strlen(r.type) >= len)
        err = ZEROIPC_ERROR_SIZE;
    if (err != ZEROIPC_OK)
        return zeroipc_mem_fail(mem, err);
    if (kind != NULL)
        *kind = (zeroipc_kind_t)r.kind;
    if (len > 0)
        strcpy(type, r.type);
    return zeroipc_set_error(ZEROIPC_OK);
}

/*
 * A hash table's slot states are EMPTY, OCCUPIED, DELETED or INSERTING
 * (0 to 3) whatever other processes do, and its size never exceeds its
 * capacity: what a set must show beyond its header, since a stack of
 * 4-byte elements with an even capacity has the same header words and
 * exact size as a set of 4-byte elements (see classify).  Reads the states
 * of the `capacity` slots of `stride` bytes after the 16-byte header.
 */
static bool htab_plausible(const uint8_t *s, size_t size)
{
    uint32_t hdr[4];
    memcpy(hdr, s, sizeof hdr);
    size_t capacity = hdr[1];
    if (capacity == 0 || hdr[0] > capacity)
        return false;
    size_t stride = (size - ZEROIPC_MAP_HEADER_SIZE) / capacity;
    for (size_t i = 0; i < capacity; i++) {
        uint32_t state;
        memcpy(&state, s + ZEROIPC_MAP_HEADER_SIZE + i * stride, sizeof state);
        if (state > ZEROIPC_MAP_INSERTING)
            return false;
    }
    return true;
}

/*
 * Fills in kind, element size and capacity of info->entry from its bytes.
 * `recorded` is the catalogue's word, believed only if the bytes agree.
 * Inference tries the kinds with the strictest checks first: queue,
 * set, stack, ring, map and pool must match their size formulas exactly,
 * while nearly any entry whose first word divides the rest passes as an
 * array, so array comes last.
 *
 * Sets and stacks.  A set's header {size, capacity, elem_size, 0} and a
 * stack's {top, capacity, elem_size, 0} are alike, and for 4-byte
 * elements and an even capacity so are their sizes (16 + 8 * capacity), so
 * the header cannot tell them apart (the vectors' set_i32 validates as a
 * stack, their stk_i32 and p_stk_f32 as sets).  A set is therefore tried
 * before the stack and taken only when its reserved word is 0, the size
 * is exact, the size field is at most the capacity and every slot state is
 * 0 to 3 (htab_plausible); a stack whose slot words happen to all read as
 * such states (say an unused stack that once held 1, 2, 3...) would
 * still be taken for a set, and only a catalogue record (tried first)
 * keeps it a stack.  An empty stack's top is -1, never a set's size.
 * Maps have a non-zero value size where sets and stacks have the 0
 * word, so they cannot be confused with either; they get the same state
 * check all the same, being tried before the pool and the array.
 */
static void classify(zeroipc_memory_t *mem, zeroipc_info_t *info, zeroipc_kind_t recorded)
{
    const zeroipc_entry_t *e = &info->entry;
    const uint8_t *s = mem->base + e->offset;
    size_t size = (size_t)e->size;
    size_t elem;
    zeroipc_kind_t order[] = {recorded, ZEROIPC_KIND_QUEUE, ZEROIPC_KIND_SET,
                              ZEROIPC_KIND_STACK, ZEROIPC_KIND_RING, ZEROIPC_KIND_MAP,
                              ZEROIPC_KIND_POOL, ZEROIPC_KIND_ARRAY};
    info->kind = ZEROIPC_KIND_UNKNOWN;
    info->elem_size = 0;
    info->capacity = 0;
    info->hidden = strcmp(e->name, ZEROIPC_CATALOG_NAME) == 0;
    if (info->hidden) {
        info->kind = ZEROIPC_KIND_CATALOG;
        return;
    }
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        uint32_t hdr[4] = {0};
        if (size >= sizeof hdr)
            memcpy(hdr, s, sizeof hdr);
        switch (order[i]) {
        case ZEROIPC_KIND_QUEUE:
            if (zeroipc_queue_validate(s, size) == ZEROIPC_OK) {
                info->kind = ZEROIPC_KIND_QUEUE;
                info->capacity = hdr[2];
                info->elem_size = hdr[3];
                return;
            }
            break;
        case ZEROIPC_KIND_STACK:
            if (zeroipc_stack_validate(s, size) == ZEROIPC_OK) {
                info->kind = ZEROIPC_KIND_STACK;
                info->capacity = hdr[1];
                info->elem_size = hdr[2];
                return;
            }
            break;
        case ZEROIPC_KIND_RING:
            if (zeroipc_ring_validate(s, size) == ZEROIPC_OK) {
                uint32_t shape[2]; /* capacity in bytes, elem_size, at 16 */
                memcpy(shape, s + 16, sizeof shape);
                info->kind = ZEROIPC_KIND_RING;
                info->capacity = shape[0] / shape[1];
                info->elem_size = shape[1];
                return;
            }
            break;
        case ZEROIPC_KIND_MAP:
        case ZEROIPC_KIND_SET: {
            bool set = order[i] == ZEROIPC_KIND_SET;
            if ((set ? zeroipc_set_validate(s, size, NULL) : zeroipc_map_validate(s, size, NULL)) ==
                    ZEROIPC_OK &&
                htab_plausible(s, size)) {
                info->kind = order[i];
                info->capacity = hdr[1];
                /* A map's element is its key and value, one after the other. */
                info->elem_size = (size_t)hdr[2] + (set ? 0 : hdr[3]);
                return;
            }
            break;
        }
        case ZEROIPC_KIND_POOL:
            if (zeroipc_pool_validate(s, size, 0) == ZEROIPC_OK) {
                uint32_t shape[2]; /* capacity, elem_size, at 16 */
                memcpy(shape, s + 16, sizeof shape);
                info->kind = ZEROIPC_KIND_POOL;
                info->capacity = shape[0];
                info->elem_size = shape[1];
                return;
            }
            break;
        case ZEROIPC_KIND_ARRAY:
            if (zeroipc_array_validate(s, size, &elem) == ZEROIPC_OK) {
                info->kind = ZEROIPC_KIND_ARRAY;
                info->elem_size = elem;
                info->capacity = (size - ZEROIPC_ARRAY_HEADER_SIZE) / elem;
                return;
            }
            break;
        default:
            break;
        }
    }
}

/* Caller holds the table lock. */
static void describe_locked(zeroipc_memory_t *mem, struct catalog_header *c,
                            const zeroipc_entry_t *e, zeroipc_info_t *out)
{
    struct catalog_record r;
    memset(out, 0, sizeof *out);
    out->entry = *e;
    bool have = c != NULL && record_for(c, e, &r);
    classify(mem, out, have ? (zeroipc_kind_t)r.kind : ZEROIPC_KIND_UNKNOWN);
    /* A type recorded for another kind than the bytes show is not
     * believed either. */
    if (have && (zeroipc_kind_t)r.kind == out->kind)
        memcpy(out->type, r.type, sizeof out->type);
}

int zeroipc_describe_all(zeroipc_memory_t *mem, zeroipc_info_t *out, size_t max,
                         size_t *count)
{
    if (mem == NULL || count == NULL || (out == NULL && max > 0))
        return zeroipc_mem_fail(mem, ZEROIPC_ERROR_INVALID_ARGUMENT);
    int err = zeroipc_table_lock(mem, false);
    if (err != ZEROIPC_OK)
        return zeroipc_mem_fail(mem, err);
    size_t n = 0;
    err = zeroipc_table_entries_locked(mem, NULL, 0, &n);
    /* A corrupt catalogue costs only the types: kinds are still inferred. */
    int cerr;
    struct catalog_header *c = catalog_find(mem, &cerr);
    for (size_t i = 0; err == ZEROIPC_OK && i < n && i < max; i++) {
        zeroipc_entry_t e;
        err = zeroipc_table_entry_locked(mem, (uint32_t)i, &e);
        if (err == ZEROIPC_OK)
            describe_locked(mem, c, &e, &out[i]);
    }
    zeroipc_table_unlock(mem);
    if (err != ZEROIPC_OK)
        return zeroipc_mem_fail(mem, err);
    *count = n;
    return zeroipc_set_error(ZEROIPC_OK);
}

int zeroipc_describe(zeroipc_memory_t *mem, const char *name, zeroipc_info_t *out)
{
    if (mem == NULL || out == NULL)
        return zeroipc_mem_fail(mem, ZEROIPC_ERROR_INVALID_ARGUMENT);
    int err = zeroipc_table_lock(mem, false);
    if (err != ZEROIPC_OK)
        return zeroipc_mem_fail(mem, err);
    zeroipc_entry_t e;
    err = zeroipc_table_find_locked(mem, name, &e);
    if (err == ZEROIPC_OK) {
        int cerr;
        describe_locked(mem, catalog_find(mem, &cerr), &e, out);
    }
    zeroipc_table_unlock(mem);
    if (err != ZEROIPC_OK)
        return zeroipc_mem_fail(mem, err);
    return zeroipc_set_error(ZEROIPC_OK);
}
