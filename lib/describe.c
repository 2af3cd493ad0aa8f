/*
 * describe.c - what each table entry is: its kind, from the catalogue or
 * inferred from its bytes, and structures of several entries shown as
 * one.
 *
 * Structures made of several entries (FORMAT.md, "Companion entries")
 * are recognised by their names and checked by their bytes: an entry is
 * part of one only when every part exists with the right size and
 * contents.  The entry that carries the structure (its marker, its own
 * entry, or for streams and channels its header) is described under the
 * structure's name; the other parts are described as hidden.  A segment
 * in which a "_sem" entry sits beside an unrelated 12-byte entry of the
 * same base name will show an event: the format has no other way to say
 * what the entries are.
 *
 * Lock contract: every public function takes the table lock (shared);
 * bytes are read where they lie, each only after its entry's bounds were
 * checked by the table functions, and nothing is written.
 */
#include "zeroipc_catalog.h"
#include "zeroipc_codec.h"

#include <string.h>

#include "catalog_i.h"
#include "memory_i.h"
#include "zeroipc_array.h"
#include "zeroipc_barrier.h"
#include "zeroipc_event.h"
#include "zeroipc_future.h"
#include "zeroipc_lazy.h"
#include "zeroipc_latch.h"
#include "zeroipc_map.h"
#include "zeroipc_monitor.h"
#include "zeroipc_once.h"
#include "zeroipc_pool.h"
#include "zeroipc_queue.h"
#include "zeroipc_ring.h"
#include "zeroipc_rwlock.h"
#include "zeroipc_semaphore.h"
#include "zeroipc_signal.h"
#include "zeroipc_stack.h"

/* A u32 of the entry's bytes, which need not be aligned. */
static uint32_t u32_at(const uint8_t *s, size_t off)
{
    uint32_t v;
    memcpy(&v, s + off, sizeof v);
    return v;
}

/* The four i32 words of a 16-byte primitive. */
static void words16(const uint8_t *s, int32_t w[4])
{
    memcpy(w, s, 4 * sizeof w[0]);
}

/*
 * Whether the 16 bytes at s can be a `kind` that a catalogue records:
 * the invariants every correct sequence of operations keeps.
 */
static bool sixteen_validates(zeroipc_kind_t kind, const uint8_t *s, size_t size)
{
    if (size != 16)
        return false;
    int32_t w[4];
    words16(s, w);
    switch (kind) {
    case ZEROIPC_KIND_MUTEX:     /* count, waiting, max 1, pad */
        return zeroipc_mutex_validate(s, size) == ZEROIPC_OK && (w[0] == 0 || w[0] == 1);
    case ZEROIPC_KIND_SEMAPHORE: /* count, waiting, max (0: none), pad */
        return zeroipc_semaphore_validate(s, size) == ZEROIPC_OK && w[0] >= 0 &&
               (w[2] == 0 || w[0] <= w[2]);
    case ZEROIPC_KIND_BARRIER:   /* arrived, generation, participants, pad */
        return zeroipc_barrier_validate(s, size) == ZEROIPC_OK && w[0] >= 0 && w[0] < w[2];
    case ZEROIPC_KIND_LATCH:     /* count, initial, pad, pad */
        return zeroipc_latch_validate(s, size) == ZEROIPC_OK && w[0] >= 0 && w[0] <= w[1];
    default:
        return false;
    }
}

/*
 * The kind of a 16-byte entry nobody recorded.  Semaphores, mutexes,
 * barriers and latches are all four i32 words, and the invariants of
 * several can hold at once ({2, 0, 5, 0} is a semaphore with 2 of 5
 * permits and a barrier of 5 with 2 arrived), so this is a guess from the
 * states they are usually seen in, and the catalogue (setfattr
 * user.zeroipc.kind through the filesystem) settles it:
 *   - max_count 1 with a count of 0 or 1: a mutex;
 *   - padding zero in words 2 and 3, count <= initial, initial > 0: a
 *     latch (a semaphore would need sleepers and no maximum);
 *   - arrived < participants and a generation > 0: a barrier that opened
 *     at least once (a semaphore would need sleepers);
 *   - otherwise whatever holds of semaphore, then barrier.
 * A barrier that never opened therefore shows as a semaphore.
 */
static zeroipc_kind_t sixteen_guess(const uint8_t *s, size_t size)
{
    if (size != 16)
        return ZEROIPC_KIND_UNKNOWN;
    int32_t w[4];
    words16(s, w);
    if (w[3] != 0)
        return ZEROIPC_KIND_UNKNOWN;
    if (sixteen_validates(ZEROIPC_KIND_MUTEX, s, size))
        return ZEROIPC_KIND_MUTEX;
    if (w[2] == 0 && w[1] > 0 && sixteen_validates(ZEROIPC_KIND_LATCH, s, size))
        return ZEROIPC_KIND_LATCH;
    if (w[1] > 0 && sixteen_validates(ZEROIPC_KIND_BARRIER, s, size))
        return ZEROIPC_KIND_BARRIER;
    if (sixteen_validates(ZEROIPC_KIND_SEMAPHORE, s, size))
        return ZEROIPC_KIND_SEMAPHORE;
    if (sixteen_validates(ZEROIPC_KIND_BARRIER, s, size))
        return ZEROIPC_KIND_BARRIER;
    return ZEROIPC_KIND_UNKNOWN;
}

/*
 * Futures and lazy values.  A lazy of a 1-, 2- or 4-byte type is 280
 * bytes, as is a future of any type up to 8 bytes, and both begin with a
 * state word 0..3; a lazy of an 8-byte type is 304, as is a future of
 * 25..32 bytes.  What tells them apart is the lazy's op word, where the
 * future keeps a waiter count (at 4) or its completion time (at 8): an
 * op of ADD..EXTERNAL (a future with that many sleepers at the instant
 * of the look would be misread), or a CONSTANT, which our library and
 * the public C++ create already computed with its value both in the
 * operand and in the cache.  Anything else that validates is a future,
 * the kind that every public implementation writes; a record settles it.
 */
static zeroipc_kind_t lazy_or_future(const uint8_t *s, size_t size)
{
    bool future = zeroipc_future_validate(s, size) == ZEROIPC_OK;
    if (zeroipc_lazy_validate(s, size) != ZEROIPC_OK)
        return future ? ZEROIPC_KIND_FUTURE : ZEROIPC_KIND_UNKNOWN;
    bool wide = size == ZEROIPC_LAZY_SIZE_8;
    size_t op_at = wide ? 8 : 4, a_at = wide ? 16 : 8, cached_at = wide ? 32 : 16;
    uint32_t state = u32_at(s, 0), op = u32_at(s, op_at) & 0xffffu;
    if (op >= ZEROIPC_LAZY_ADD && op <= ZEROIPC_LAZY_EXTERNAL && (!wide || u32_at(s, 4) == 0))
        return ZEROIPC_KIND_LAZY;
    if (op == ZEROIPC_LAZY_CONSTANT && state == ZEROIPC_LAZY_COMPUTED &&
        memcmp(s + a_at, s + cached_at, wide ? 8 : 4) == 0)
        return ZEROIPC_KIND_LAZY;
    return future ? ZEROIPC_KIND_FUTURE : ZEROIPC_KIND_LAZY;
}

/* ------------------------------------------------------------------ */
/* Structures of several entries. */

/* One entry of such a structure: `car` is the bytes of the carrying
 * entry, for parts whose shape depends on it. */
struct part {
    const char *suffix;
    bool (*check)(const uint8_t *car, const uint8_t *s, size_t size);
};

struct compound {
    zeroipc_kind_t kind;
    const char *suffix;  /* of the carrying entry: "" or "_header" */
    bool (*check)(const uint8_t *s, size_t size);
    struct part parts[3];
};

static bool is_marker(const uint8_t *s, size_t size)
{
    (void)s;
    return size == 1;
}

static bool is_event(const uint8_t *s, size_t size)
{
    return zeroipc_event_validate(s, size) == ZEROIPC_OK;
}

static bool part_mutex(const uint8_t *car, const uint8_t *s, size_t size)
{
    (void)car;
    return sixteen_validates(ZEROIPC_KIND_MUTEX, s, size);
}

static bool part_semaphore(const uint8_t *car, const uint8_t *s, size_t size)
{
    (void)car;
    return sixteen_validates(ZEROIPC_KIND_SEMAPHORE, s, size);
}

static bool part_rwlock_state(const uint8_t *car, const uint8_t *s, size_t size)
{
    (void)car;
    (void)s;
    return size == ZEROIPC_RWLOCK_STATE_SIZE;
}

static bool part_monitor_count(const uint8_t *car, const uint8_t *s, size_t size)
{
    (void)car;
    (void)s;
    return size == ZEROIPC_MONITOR_COUNT_SIZE;
}

/* A signal's state is the version and at least one byte of value. */
static bool part_signal_state(const uint8_t *car, const uint8_t *s, size_t size)
{
    (void)car;
    (void)s;
    return size >= ZEROIPC_SIGNAL_STATE_SIZE(1) && size % 8 == 0;
}

/* Stream header (56 B): buffer_capacity (u32 at 16) elements, closed (u8
 * at 12) 0 or 1. */
#define STREAM_HEADER_SIZE 56
#define CHANNEL_HEADER_SIZE 32


static bool is_stream_header(const uint8_t *s, size_t size)
{
    return size == STREAM_HEADER_SIZE && s[12] <= 1 && u32_at(s, 16) > 0;
}

/* The ring holds exactly buffer_capacity elements. */
static bool part_stream_buffer(const uint8_t *car, const uint8_t *s, size_t size)
{
    if (zeroipc_ring_validate(s, size) != ZEROIPC_OK)
        return false;
    uint32_t bytes = u32_at(s, 16), elem = u32_at(s, 20);
    return elem != 0 && bytes / elem == u32_at(car, 16) && bytes % elem == 0;
}

/* Channel header (32 B): capacity (u32 at 0) 0 or a power of two,
 * closed (u8 at 12) 0 or 1. */
static bool is_channel_header(const uint8_t *s, size_t size, bool buffered)
{
    /* The size first: no byte of a shorter entry is read. */
    if (size != CHANNEL_HEADER_SIZE)
        return false;
    uint32_t cap = u32_at(s, 0);
    return s[12] <= 1 && (cap & (cap - 1)) == 0 && (cap != 0) == buffered;
}

static bool is_buffered_channel(const uint8_t *s, size_t size)
{
    return is_channel_header(s, size, true);
}

static bool is_unbuffered_channel(const uint8_t *s, size_t size)
{
    return is_channel_header(s, size, false);
}

/* The queue has the channel's capacity. */
static bool part_channel_buffer(const uint8_t *car, const uint8_t *s, size_t size)
{
    return zeroipc_queue_validate(s, size) == ZEROIPC_OK && u32_at(s, 8) == u32_at(car, 0);
}

/* The slot {u8 ready; u8 consumed; T data}: flags 0 or 1, room for T. */
static bool part_channel_slot(const uint8_t *car, const uint8_t *s, size_t size)
{
    (void)car;
    return size >= 3 && s[0] <= 1 && s[1] <= 1;
}

/*
 * Tried in this order: a monitor and a signal both have "_mtx", so the
 * monitor (three parts) goes first; an rwlock's "_state" is 8 bytes and a
 * signal's at least 16, so those two never match the same entries.
 */
static const struct compound compounds[] = {
    {ZEROIPC_KIND_EVENT, "", is_event, {{ZEROIPC_EVENT_SEM_SUFFIX, part_semaphore}}},
    {ZEROIPC_KIND_RWLOCK, "", is_marker,
     {{ZEROIPC_RWLOCK_STATE_SUFFIX, part_rwlock_state},
      {ZEROIPC_RWLOCK_RMTX_SUFFIX, part_mutex},
      {ZEROIPC_RWLOCK_WMTX_SUFFIX, part_mutex}}},
    {ZEROIPC_KIND_MONITOR, "", is_marker,
     {{ZEROIPC_MONITOR_MTX_SUFFIX, part_mutex},
      {ZEROIPC_MONITOR_COND_SUFFIX, part_semaphore},
      {ZEROIPC_MONITOR_COUNT_SUFFIX, part_monitor_count}}},
    {ZEROIPC_KIND_SIGNAL, "", is_marker,
     {{ZEROIPC_SIGNAL_STATE_SUFFIX, part_signal_state},
      {ZEROIPC_SIGNAL_MTX_SUFFIX, part_mutex}}},
    {ZEROIPC_KIND_STREAM, "_header", is_stream_header, {{"_buffer", part_stream_buffer}}},
    {ZEROIPC_KIND_CHANNEL, "_header", is_buffered_channel, {{"_buffer", part_channel_buffer}}},
    {ZEROIPC_KIND_CHANNEL, "_header", is_unbuffered_channel, {{"_slot", part_channel_slot}}},
};

#define NCOMPOUNDS (sizeof compounds / sizeof compounds[0])

/* The base of `name` if it ends with `suffix` and something precedes it;
 * into base (ZEROIPC_NAME_SIZE bytes). */
static bool strip_suffix(const char *name, const char *suffix, char *base)
{
    size_t n = strlen(name), k = strlen(suffix);
    if (n <= k || strcmp(name + n - k, suffix) != 0)
        return false;
    memcpy(base, name, n - k);
    base[n - k] = '\0';
    return true;
}

/* Caller holds the table lock.  The entry `base` + `suffix`. */
static bool find_part(zeroipc_memory_t *mem, const char *base, const char *suffix,
                      zeroipc_entry_t *out)
{
    char name[ZEROIPC_NAME_SIZE];
    size_t n = strlen(base), k = strlen(suffix);
    if (n + k >= sizeof name)
        return false;
    memcpy(name, base, n);
    memcpy(name + n, suffix, k + 1);
    return zeroipc_table_find_locked(mem, name, out) == ZEROIPC_OK;
}

/* Caller holds the table lock.  Whether `car`, the entry `base` +
 * c->suffix, carries a complete structure c; its parts' entries go to
 * parts[] (may be NULL). */
static bool compound_matches(zeroipc_memory_t *mem, const struct compound *c, const char *base,
                             const zeroipc_entry_t *car, zeroipc_entry_t *parts)
{
    const uint8_t *cs = mem->base + car->offset;
    if (!c->check(cs, (size_t)car->size))
        return false;
    for (size_t i = 0; i < 3 && c->parts[i].suffix != NULL; i++) {
        zeroipc_entry_t p;
        if (!find_part(mem, base, c->parts[i].suffix, &p) ||
            !c->parts[i].check(cs, mem->base + p.offset, (size_t)p.size))
            return false;
        if (parts != NULL)
            parts[i] = p;
    }
    return true;
}

/* Element size and capacity of a structure of several entries. */
static void compound_shape(zeroipc_memory_t *mem, const struct compound *c,
                           const zeroipc_entry_t *car, const zeroipc_entry_t *parts,
                           zeroipc_info_t *info)
{
    const uint8_t *cs = mem->base + car->offset;
    switch (c->kind) {
    case ZEROIPC_KIND_SIGNAL:
        /* The state is align8(8 + T): T's exact size is not stored, and
         * the value is shown as the whole space until a type says less. */
        info->elem_size = (size_t)parts[0].size - 8;
        break;
    case ZEROIPC_KIND_STREAM:
        info->capacity = u32_at(cs, 16);
        info->elem_size = u32_at(mem->base + parts[0].offset, 20);
        break;
    case ZEROIPC_KIND_CHANNEL:
        info->capacity = u32_at(cs, 0);
        if (info->capacity != 0) {
            info->elem_size = u32_at(mem->base + parts[0].offset, 12);
        } else {
            /* {u8, u8, T} pads T to its alignment, which the size only
             * suggests: 8 for slots of 16 bytes or more, 4 for 8..15, else 2. */
            size_t size = (size_t)parts[0].size;
            info->elem_size = size - (size >= 16 ? 8 : size >= 8 ? 4 : 2);
        }
        break;
    default:
        break;
    }
}

/*
 * Caller holds the table lock.  Whether the stream header `car` is a fold
 * (zeroipc_stream.h: derived, byte 14 set, an operator text beginning
 * "fold ") whose result future is the entry `base`: the future is what
 * the fold is for, so it shows under the name and the stream is one of
 * its parts.
 */
static bool is_fold(zeroipc_memory_t *mem, const char *base, const zeroipc_entry_t *car)
{
    const uint8_t *h = mem->base + car->offset;
    zeroipc_entry_t f;
    return h[14] == 1 && memcmp(h + 20, "fold ", 5) == 0 &&
           zeroipc_table_find_locked(mem, base, &f) == ZEROIPC_OK &&
           zeroipc_future_validate(mem->base + f.offset, (size_t)f.size) == ZEROIPC_OK;
}

/* Caller holds the table lock.  Describes e as (part of) a structure of
 * several entries; false when it is none. */
static bool describe_compound(zeroipc_memory_t *mem, const zeroipc_entry_t *e,
                              zeroipc_info_t *info)
{
    char base[ZEROIPC_NAME_SIZE];
    zeroipc_entry_t car, parts[3];
    for (size_t i = 0; i < NCOMPOUNDS; i++) {
        const struct compound *c = &compounds[i];
        /* e carries it. */
        bool carries = c->suffix[0] == '\0' ? (strcpy(base, e->name), true)
                                            : strip_suffix(e->name, c->suffix, base);
        if (carries && compound_matches(mem, c, base, e, parts)) {
            info->kind = c->kind;
            strcpy(info->name, base);
            compound_shape(mem, c, e, parts, info);
            info->hidden = c->kind == ZEROIPC_KIND_STREAM && is_fold(mem, base, e);
            return true;
        }
        /* e is one of its other parts. */
        for (size_t k = 0; k < 3 && c->parts[k].suffix != NULL; k++) {
            if (strip_suffix(e->name, c->parts[k].suffix, base) &&
                find_part(mem, base, c->suffix, &car) &&
                compound_matches(mem, c, base, &car, NULL)) {
                info->kind = c->kind;
                info->hidden = true;
                strcpy(info->name, base);
                return true;
            }
        }
    }
    return false;
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
 *
 * The 16-byte primitives come before the array, which many 16-byte
 * entries would pass as (an unlocked mutex reads as one u64 element).
 */
static void classify(zeroipc_memory_t *mem, zeroipc_info_t *info, zeroipc_kind_t recorded)
{
    const zeroipc_entry_t *e = &info->entry;
    const uint8_t *s = mem->base + e->offset;
    size_t size = (size_t)e->size;
    size_t elem;
    zeroipc_kind_t order[] = {recorded, ZEROIPC_KIND_QUEUE, ZEROIPC_KIND_SET,
                              ZEROIPC_KIND_STACK, ZEROIPC_KIND_RING, ZEROIPC_KIND_MAP,
                              ZEROIPC_KIND_POOL, ZEROIPC_KIND_ONCE, ZEROIPC_KIND_UNKNOWN,
                              ZEROIPC_KIND_FUTURE, ZEROIPC_KIND_ARRAY};
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
        case ZEROIPC_KIND_SEMAPHORE:
        case ZEROIPC_KIND_MUTEX:
        case ZEROIPC_KIND_BARRIER:
        case ZEROIPC_KIND_LATCH:
            /* Recorded: believed when the bytes can be one. */
            if (sixteen_validates(order[i], s, size)) {
                info->kind = order[i];
                return;
            }
            break;
        case ZEROIPC_KIND_UNKNOWN:
            /* Not recorded: the guess of sixteen_guess, if any. */
            if (i > 0 && (info->kind = sixteen_guess(s, size)) != ZEROIPC_KIND_UNKNOWN)
                return;
            break;
        case ZEROIPC_KIND_FUTURE:
        case ZEROIPC_KIND_LAZY: {
            /* Recorded: believed when it validates as that kind. */
            zeroipc_kind_t k = lazy_or_future(s, size);
            if (i == 0 && k != ZEROIPC_KIND_UNKNOWN &&
                (order[i] == ZEROIPC_KIND_FUTURE ? zeroipc_future_validate(s, size)
                                                 : zeroipc_lazy_validate(s, size)) == ZEROIPC_OK)
                k = order[i];
            if (k != ZEROIPC_KIND_UNKNOWN) {
                info->kind = k;
                /* An upper bound, which a recorded type narrows. */
                info->elem_size = k == ZEROIPC_KIND_LAZY ? (size == ZEROIPC_LAZY_SIZE_8 ? 8 : 4)
                                                         : size - 272;
                return;
            }
            break;
        }
        case ZEROIPC_KIND_ONCE:
            if (zeroipc_once_validate(s, size) == ZEROIPC_OK) {
                info->kind = ZEROIPC_KIND_ONCE;
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

/*
 * A signal's state is align8(8 + sizeof T), a future align8(272 + sizeof
 * T), a lazy 280 or 304 bytes: the bytes give T's size only roughly, and
 * a recorded type that fits says exactly.
 */
static void narrow_elem(zeroipc_info_t *info)
{
    zeroipc_type_t t;
    if (zeroipc_type_parse(info->type, strlen(info->type), &t) != ZEROIPC_OK)
        return;
    size_t size = zeroipc_type_size(&t);
    bool fits;
    switch (info->kind) {
    case ZEROIPC_KIND_SIGNAL:
        fits = ZEROIPC_SIGNAL_STATE_SIZE(size) == ZEROIPC_SIGNAL_STATE_SIZE(info->elem_size);
        break;
    case ZEROIPC_KIND_FUTURE:
        fits = ZEROIPC_FUTURE_SIZE(size) == info->entry.size;
        break;
    case ZEROIPC_KIND_LAZY:
        fits = t.nfields == 1 && zeroipc_lazy_size((zeroipc_field_kind_t)t.field[0].kind) == info->entry.size;
        break;
    default:
        fits = false;
    }
    if (fits)
        info->elem_size = size;
}

/* Caller holds the table lock. */
static void describe_locked(zeroipc_memory_t *mem, const struct zeroipc_catalog_view *catalog,
                            const zeroipc_entry_t *e, zeroipc_info_t *out)
{
    memset(out, 0, sizeof *out);
    out->entry = *e;
    memcpy(out->name, e->name, sizeof out->name);
    out->name[ZEROIPC_NAME_SIZE - 1] = '\0';
    if (strcmp(out->name, ZEROIPC_CATALOG_NAME) == 0) {
        out->kind = ZEROIPC_KIND_CATALOG;
        out->hidden = true;
        return;
    }
    zeroipc_kind_t recorded = ZEROIPC_KIND_UNKNOWN;
    char type[ZEROIPC_TYPE_SPEC_SIZE];
    bool have = zeroipc_catalog_lookup(catalog, e, &recorded, type);
    if (!describe_compound(mem, e, out))
        classify(mem, out, recorded);
    /* A type recorded for another kind than the bytes show is not
     * believed either.  Hidden parts have no type of their own. */
    if (have && recorded == out->kind && !out->hidden) {
        memcpy(out->type, type, sizeof out->type);
        narrow_elem(out);
    }
}

int zeroipc_describe_all(zeroipc_memory_t *mem, zeroipc_info_t *out, size_t max,
                         size_t *count)
{
    if (mem == NULL || count == NULL || (out == NULL && max > 0))
        return zeroipc_mem_fail(mem, ZEROIPC_ERROR_INVALID_ARGUMENT);
    int err = zeroipc_table_lock(mem, false);
    if (err != ZEROIPC_OK)
        return zeroipc_mem_fail(mem, err);
    int64_t used = zeroipc_table_count_locked(mem);
    size_t n = used < 0 ? 0 : (size_t)used;
    err = used < 0 ? (int)used : ZEROIPC_OK;
    struct zeroipc_catalog_view view;
    const struct zeroipc_catalog_view *catalog = zeroipc_catalog_locked(mem, &view);
    for (size_t i = 0; err == ZEROIPC_OK && i < n && i < max; i++) {
        zeroipc_entry_t e;
        err = zeroipc_table_entry_locked(mem, (uint32_t)i, &e);
        if (err == ZEROIPC_OK) {
            describe_locked(mem, catalog, &e, &out[i]);
        } else if (err == ZEROIPC_ERROR_CORRUPT) {
            /* One bad entry costs only itself. */
            memset(&out[i], 0, sizeof out[i]);
            out[i].entry = e;
            memcpy(out[i].name, e.name, sizeof out[i].name);
            out[i].hidden = out[i].corrupt = true;
            err = ZEROIPC_OK;
        }
    }
    zeroipc_table_unlock(mem);
    if (err != ZEROIPC_OK)
        return zeroipc_mem_fail(mem, err);
    *count = n;
    return zeroipc_set_error(ZEROIPC_OK);
}

int zeroipc_describe(zeroipc_memory_t *mem, const char *name, zeroipc_info_t *out)
{
    if (mem == NULL || out == NULL || name == NULL)
        return zeroipc_mem_fail(mem, ZEROIPC_ERROR_INVALID_ARGUMENT);
    int err = zeroipc_table_lock(mem, false);
    if (err != ZEROIPC_OK)
        return zeroipc_mem_fail(mem, err);
    zeroipc_entry_t e;
    struct zeroipc_catalog_view view;
    err = zeroipc_table_find_locked(mem, name, &e);
    if (err == ZEROIPC_OK) {
        describe_locked(mem, zeroipc_catalog_locked(mem, &view), &e, out);
    } else if (err == ZEROIPC_ERROR_NOT_FOUND && find_part(mem, name, "_header", &e)) {
        /* Streams and channels have no entry of their own name. */
        describe_locked(mem, zeroipc_catalog_locked(mem, &view), &e, out);
        if (out->hidden || strcmp(out->name, name) != 0)
            err = ZEROIPC_ERROR_NOT_FOUND;
        else
            err = ZEROIPC_OK;
    }
    zeroipc_table_unlock(mem);
    if (err != ZEROIPC_OK)
        return zeroipc_mem_fail(mem, err);
    return zeroipc_set_error(ZEROIPC_OK);
}
