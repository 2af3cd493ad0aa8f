/*
 * catalog.c - the catalogue of kinds and element types (describing
 * entries by record or by inference is describe.c's).
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

#include "catalog_i.h"
#include "memory_i.h"

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

/* The suffix of the entry that carries a structure with no entry of its
 * own name (FORMAT.md: streams and channels). */
#define CARRIER_SUFFIX "_header"

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

/* Caller holds the table lock.  Finds and checks the catalogue into *c;
 * NULL with *err set (NOT_FOUND when there is none, CORRUPT when it is
 * bad), else c.  Every field is checked before it is used, and the
 * capacity is read once: a later change to it in shared memory cannot
 * make a reader go past the entry. */
static struct zeroipc_catalog_view *catalog_find(zeroipc_memory_t *mem,
                                                 struct zeroipc_catalog_view *c, int *err)
{
    zeroipc_entry_t e;
    *err = zeroipc_table_find_locked(mem, ZEROIPC_CATALOG_NAME, &e);
    if (*err != ZEROIPC_OK)
        return NULL;
    struct catalog_header *h = (void *)(mem->base + e.offset);
    if (e.size < CATALOG_HEADER_SIZE || e.offset % 8 != 0) {
        *err = ZEROIPC_ERROR_CORRUPT;
        return NULL;
    }
    uint32_t capacity = h->capacity;
    if (h->magic != ZEROIPC_CATALOG_MAGIC || h->version != ZEROIPC_CATALOG_VERSION ||
        capacity > (e.size - CATALOG_HEADER_SIZE) / sizeof(struct catalog_record)) {
        *err = ZEROIPC_ERROR_CORRUPT;
        return NULL;
    }
    c->header = h;
    c->capacity = capacity;
    return c;
}

static struct catalog_header *header(const struct zeroipc_catalog_view *c)
{
    return (struct catalog_header *)(uintptr_t)c->header;
}

static struct catalog_record *records(const struct zeroipc_catalog_view *c)
{
    return (struct catalog_record *)(void *)((uint8_t *)header(c) + CATALOG_HEADER_SIZE);
}

/* Records in use, bounded by the capacity (a larger count is clamped: the
 * records past capacity do not exist). */
static uint32_t record_count(const struct zeroipc_catalog_view *c)
{
    uint32_t n = atomic_load_explicit(&header(c)->count, memory_order_acquire);
    return n > c->capacity ? c->capacity : n;
}

/* Caller holds the table lock.  Copies the valid record of `e` into *out. */
static bool record_for(const struct zeroipc_catalog_view *c, const zeroipc_entry_t *e,
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

const struct zeroipc_catalog_view *zeroipc_catalog_locked(zeroipc_memory_t *mem,
                                                          struct zeroipc_catalog_view *c)
{
    int err;
    return catalog_find(mem, c, &err);
}

bool zeroipc_catalog_lookup(const struct zeroipc_catalog_view *c, const zeroipc_entry_t *e,
                            zeroipc_kind_t *kind, char *type)
{
    struct catalog_record r;
    if (c == NULL || !record_for(c, e, &r))
        return false;
    *kind = (zeroipc_kind_t)r.kind;
    memcpy(type, r.type, ZEROIPC_TYPE_SPEC_SIZE);
    return true;
}

/* Caller holds the table lock.  The entry that carries the structure
 * `name` of `kind`: its own, or for the kinds that have none, its
 * header's. */
static int carrier_locked(zeroipc_memory_t *mem, const char *name, zeroipc_kind_t kind,
                          zeroipc_entry_t *e)
{
    char header[ZEROIPC_NAME_SIZE];
    bool has_header = zeroipc_companion_name(name, ZEROIPC_NAME_SIZE - 1 - strlen(CARRIER_SUFFIX),
                                             CARRIER_SUFFIX, header) == ZEROIPC_OK;
    /* A stream or channel is carried by its header even where an entry
     * of its plain name exists (a fold's result future). */
    if (has_header && (kind == ZEROIPC_KIND_STREAM || kind == ZEROIPC_KIND_CHANNEL) &&
        zeroipc_table_find_locked(mem, header, e) == ZEROIPC_OK)
        return ZEROIPC_OK;
    int err = zeroipc_table_find_locked(mem, name, e);
    if (err == ZEROIPC_ERROR_NOT_FOUND && has_header && kind == ZEROIPC_KIND_UNKNOWN)
        err = zeroipc_table_find_locked(mem, header, e);
    return err;
}

static void init_catalog(void *p, const void *ctx)
{
    struct catalog_header *c = p;
    c->magic = ZEROIPC_CATALOG_MAGIC;
    c->version = ZEROIPC_CATALOG_VERSION;
    c->capacity = *(const uint32_t *)ctx;
}

/* Caller holds the table lock exclusively.  The catalogue, made if
 * missing, into *c. */
static struct zeroipc_catalog_view *catalog_make(zeroipc_memory_t *mem,
                                                 struct zeroipc_catalog_view *c, int *err)
{
    if (catalog_find(mem, c, err) != NULL || *err != ZEROIPC_ERROR_NOT_FOUND)
        return *err == ZEROIPC_OK ? c : NULL;
    uint32_t capacity = mem->max_entries;
    size_t offset;
    *err = zeroipc_table_add_locked(mem, ZEROIPC_CATALOG_NAME,
                                    CATALOG_HEADER_SIZE + (size_t)capacity * sizeof(struct catalog_record),
                                    init_catalog, &capacity, &offset);
    if (*err != ZEROIPC_OK)
        return NULL;
    c->header = mem->base + offset;
    c->capacity = capacity;
    return c;
}

int zeroipc_catalog_ensure(zeroipc_memory_t *mem)
{
    if (mem == NULL)
        return zeroipc_set_error(ZEROIPC_ERROR_INVALID_ARGUMENT);
    int err = zeroipc_table_lock(mem, true);
    if (err == ZEROIPC_OK) {
        struct zeroipc_catalog_view c;
        catalog_make(mem, &c, &err);
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
    struct zeroipc_catalog_view view, *c = NULL;
    err = carrier_locked(mem, name, kind, &e);
    if (err == ZEROIPC_OK)
        c = catalog_make(mem, &view, &err);
    if (c != NULL) {
        /* Reuse this structure's record, else a stale one (its entry gone
         * or renamed), else append. */
        uint32_t n = record_count(c), slot = n;
        for (uint32_t i = 0; i < n && slot == n; i++) {
            if (strncmp(records(c)[i].name, e.name, ZEROIPC_NAME_SIZE) == 0)
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
                atomic_store_explicit(&header(c)->count, n + 1, memory_order_release);
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
    err = carrier_locked(mem, name, ZEROIPC_KIND_UNKNOWN, &e);
    if (err == ZEROIPC_OK) {
        struct zeroipc_catalog_view view;
        struct zeroipc_catalog_view *c = catalog_find(mem, &view, &err);
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

