/*
 * view_map.c - a map as a file, and what a set's file shares with it.
 *
 * Reading consumes nothing.  In text format a map is one line per entry,
 * `KEY<TAB>VALUE`, and a set one line per member, in slot order; as for
 * an array the whole table is rendered when a read starts at offset 0 and
 * later reads of that open file are served from the snapshot.  In binary
 * format an entry is a record of the key's bytes and then the value's
 * (a set's: the member's).
 *
 * Writes, text:
 *   map  `KEY<TAB>VALUE` inserts the key or replaces its value;
 *        `KEY` alone (no TAB) erases the key.
 *   set  `MEMBER` adds the member; `!MEMBER` removes it.  A string member
 *        that really starts with `!` is written (and shown) as \x21...
 * Erasing what is not there is not an error.  A binary record always
 * inserts.  Every line of a write is parsed before anything changes: one
 * bad line fails the write with EINVAL and changes nothing.  The room is
 * checked first too: when the keys the write would add (in its order, its
 * erases counted) do not fit in the free slots, the write fails with
 * ENOSPC and changes nothing.  That check and the inserts are not one
 * atomic step: a process inserting into the same map at that moment can
 * take the room in between, and the write then stops at the first key
 * that finds no slot, with ENOSPC, having made the changes before it.
 *
 * The format stores neither type, and an integer key hashes differently
 * from the same bytes as bytesN: until a type is declared (by .create or
 * user.zeroipc.type, `KEY:VALUE` for a map) the file shows bytesK:bytesV
 * (bytesN for a set) and refuses writes with EOPNOTSUPP, so that it never
 * puts a key where its writer's hash would not find it.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"

#define PARTIAL_SLACK 256

struct htab_state {
    bool set;
    bool typed;                 /* a type was declared: writes allowed */
    zeroipc_type_t key, value;  /* value unused for a set */
    size_t ksz, vsz;            /* vsz 0 for a set */
    size_t key_max, value_max;  /* longest text of each */
};

static const uint32_t *header(zeroipc_memory_t *mem, const zeroipc_info_t *info)
{
    return (const uint32_t *)(const void *)((const char *)zeroipc_memory_base(mem) +
                                            info->entry.offset);
}

/* Splits "KEY:VALUE" and parses both halves. */
static bool parse_kv(const char *spec, size_t len, zeroipc_type_t *k, zeroipc_type_t *v)
{
    const char *colon = memchr(spec, ':', len);
    return colon != NULL &&
           zeroipc_type_parse(spec, (size_t)(colon - spec), k) == ZEROIPC_OK &&
           zeroipc_type_parse(colon + 1, len - (size_t)(colon - spec) - 1, v) == ZEROIPC_OK;
}

static int map_type_spec(zeroipc_memory_t *mem, const zeroipc_info_t *info,
                         const char *spec, size_t len, char *canon)
{
    if (spec == NULL) {
        const uint32_t *h = header(mem, info);
        snprintf(canon, ZEROIPC_TYPE_SPEC_MAX, "bytes%u:bytes%u", h[2], h[3]);
        return 0;
    }
    zeroipc_type_t k, v;
    char ks[ZEROIPC_TYPE_SPEC_MAX], vs[ZEROIPC_TYPE_SPEC_MAX];
    zeroipc_map_shape_t shape;
    if (!parse_kv(spec, len, &k, &v) || zeroipc_map_shape(&k, &v, &shape) != ZEROIPC_OK ||
        zeroipc_type_format(&k, ks, sizeof ks) < 0 || zeroipc_type_format(&v, vs, sizeof vs) < 0 ||
        strlen(ks) + 1 + strlen(vs) >= ZEROIPC_TYPE_SPEC_MAX)
        return EINVAL;
    if (info != NULL) {
        const uint32_t *h = header(mem, info);
        if (zeroipc_type_size(&k) != h[2] || zeroipc_type_size(&v) != h[3])
            return EINVAL; /* the bytes are what they are */
    }
    snprintf(canon, ZEROIPC_TYPE_SPEC_MAX, "%s:%s", ks, vs);
    return 0;
}

static int create_map(zeroipc_memory_t *mem, const char *name, const char *spec,
                      size_t capacity)
{
    zeroipc_type_t k, v;
    if (!parse_kv(spec, strlen(spec), &k, &v))
        return EINVAL;
    zeroipc_map_t *h = zeroipc_map_create(mem, name, &k, &v, capacity);
    zeroipc_map_close(h);
    return h ? 0 : zfs_errno(zeroipc_last_error());
}

int zfs_htab_setup(struct zfs_file *f, zeroipc_memory_t *mem, bool set)
{
    struct htab_state *st = calloc(1, sizeof *st);
    if (st == NULL)
        return ENOMEM;
    f->view_state = st;
    const uint32_t *h = header(mem, &f->info);
    st->set = set;
    st->ksz = h[2];
    st->vsz = set ? 0 : h[3];
    if (st->ksz + st->vsz != f->info.elem_size)
        return EIO;
    const char *spec = f->info.type;
    if (set) {
        zeroipc_type_t t;
        st->key = f->type; /* bytesN unless a type of the right size was declared */
        st->typed = spec[0] != '\0' && zeroipc_type_parse(spec, strlen(spec), &t) == ZEROIPC_OK &&
                    zeroipc_type_size(&t) == st->ksz;
    } else if (spec[0] != '\0' && parse_kv(spec, strlen(spec), &st->key, &st->value) &&
               zeroipc_type_size(&st->key) == st->ksz && zeroipc_type_size(&st->value) == st->vsz) {
        st->typed = true;
    } else {
        char ks[32], vs[32];
        snprintf(ks, sizeof ks, "bytes%zu", st->ksz);
        snprintf(vs, sizeof vs, "bytes%zu", st->vsz);
        if (zeroipc_type_parse(ks, strlen(ks), &st->key) != ZEROIPC_OK ||
            zeroipc_type_parse(vs, strlen(vs), &st->value) != ZEROIPC_OK)
            return EIO;
    }
    st->key_max = zeroipc_codec_max_text(&st->key);
    st->value_max = set ? 0 : zeroipc_codec_max_text(&st->value);
    if (!zfs_opts.binary)
        f->text_max = set ? st->key_max + 4 : st->key_max + 1 + st->value_max + 1;
    return 0;
}

static int setup_map(struct zfs_file *f, zeroipc_memory_t *mem)
{
    return zfs_htab_setup(f, mem, false);
}

int zfs_htab_open(struct zfs_file *f, zeroipc_memory_t *mem)
{
    struct htab_state *st = f->view_state;
    const char *name = f->info.name;
    if (st->typed) {
        f->handle = st->set ? (void *)zeroipc_set_open(mem, name, &st->key)
                            : (void *)zeroipc_map_open(mem, name, &st->key, &st->value);
        return f->handle ? 0 : zfs_errno(zeroipc_last_error());
    }
    /* Untyped: whichever natural alignment the bytes were laid out with. */
    for (uint32_t ka = 1; ka <= 8 && f->handle == NULL; ka <<= 1) {
        for (uint32_t va = 1; va <= (st->set ? 1u : 8u) && f->handle == NULL; va <<= 1) {
            if (st->ksz % ka != 0 || (!st->set && st->vsz % va != 0))
                continue;
            zeroipc_map_shape_t shape = {(uint32_t)st->ksz, ka, (uint32_t)st->vsz, va,
                                         ZEROIPC_HASH_BYTES};
            f->handle = st->set ? (void *)zeroipc_set_open_shape(mem, name, &shape)
                                : (void *)zeroipc_map_open_shape(mem, name, &shape);
        }
    }
    return f->handle ? 0 : zfs_errno(zeroipc_last_error());
}

void zfs_htab_close(struct zfs_file *f)
{
    struct htab_state *st = f->view_state;
    if (st != NULL && st->set)
        zeroipc_set_close(f->handle);
    else
        zeroipc_map_close(f->handle);
}

static size_t htab_capacity(struct zfs_file *f)
{
    struct htab_state *st = f->view_state;
    return st->set ? zeroipc_set_capacity(f->handle) : zeroipc_map_capacity(f->handle);
}

static size_t htab_size(struct zfs_file *f)
{
    struct htab_state *st = f->view_state;
    return st->set ? zeroipc_set_size(f->handle) : zeroipc_map_size(f->handle);
}

/* Writes one entry (key, then value, at elem) at out: text_max bytes. */
static size_t emit(struct zfs_file *f, const char *elem, char *out)
{
    struct htab_state *st = f->view_state;
    if (zfs_opts.binary) {
        memcpy(out, elem, st->ksz + st->vsz);
        return st->ksz + st->vsz;
    }
    size_t n = 0, m = 0;
    zeroipc_codec_format(&st->key, elem, out, st->key_max, &n);
    if (st->set) {
        if (n > 0 && out[0] == '!') {
            /* Would read back as a removal: only strings can start so,
             * and the codec reads the escape. */
            memmove(out + 4, out + 1, n - 1);
            memcpy(out, "\\x21", 4);
            n += 3;
        }
    } else {
        out[n++] = '\t';
        zeroipc_codec_format(&st->value, elem + st->ksz, out + n, st->value_max, &m);
        n += m;
    }
    out[n] = '\n';
    return n + 1;
}

static int render(struct zfs_file *f)
{
    struct htab_state *st = f->view_state;
    size_t cap = (htab_size(f) + 16) * f->text_max, len = 0, cursor = 0;
    char *text = malloc(cap);
    char *elem = f->elem;
    if (text == NULL)
        return -ENOMEM;
    for (;;) {
        int err = st->set ? zeroipc_set_next(f->handle, &cursor, elem)
                          : zeroipc_map_next(f->handle, &cursor, elem, elem + st->ksz);
        if (err == ZEROIPC_ERROR_NOT_FOUND)
            break;
        if (err != ZEROIPC_OK) {
            free(text);
            return -zfs_errno(err);
        }
        if (cap - len < f->text_max) {
            char *t = realloc(text, cap * 2);
            if (t == NULL) {
                free(text);
                return -ENOMEM;
            }
            text = t;
            cap *= 2;
        }
        len += emit(f, elem, text + len);
    }
    free(f->snapshot);
    f->snapshot = text;
    f->snapshot_len = len;
    return 0;
}

ssize_t zfs_htab_read(struct zfs_file *f, char *buf, size_t size, off_t off)
{
    if (off == 0 || f->snapshot == NULL) {
        int rc = render(f);
        if (rc != 0)
            return rc;
    }
    if ((size_t)off >= f->snapshot_len)
        return 0;
    size_t n = f->snapshot_len - (size_t)off < size ? f->snapshot_len - (size_t)off : size;
    memcpy(buf, f->snapshot + off, n);
    return (ssize_t)n;
}

/* Parses one text line into elem (key, then value); *erase says which. */
static int parse_line(struct zfs_file *f, const char *line, size_t len, char *elem, bool *erase)
{
    struct htab_state *st = f->view_state;
    if (st->set) {
        *erase = len > 0 && line[0] == '!';
        if (*erase)
            line++, len--;
        return zeroipc_codec_parse(&st->key, line, len, elem) == ZEROIPC_OK ? 0 : -EINVAL;
    }
    const char *tab = memchr(line, '\t', len);
    *erase = tab == NULL;
    size_t klen = tab ? (size_t)(tab - line) : len;
    if (zeroipc_codec_parse(&st->key, line, klen, elem) != ZEROIPC_OK)
        return -EINVAL;
    if (tab == NULL) {
        memset(elem + st->ksz, 0, st->vsz);
        return 0;
    }
    return zeroipc_codec_parse(&st->value, tab + 1, len - klen - 1, elem + st->ksz) == ZEROIPC_OK
               ? 0
               : -EINVAL;
}

/* Whether key is present now, as the ops before it in this write left it. */
struct overlay {
    size_t *slot; /* op index + 1, 0 empty */
    bool *present;
    size_t mask;
};

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

/* Checks that the n ops (inserts, and erases where erase[i]) fit, in
 * their order, in the room the table has now; 0, -ENOSPC or -errno. */
static int check_room(struct zfs_file *f, const char *elems, const bool *erase, size_t n)
{
    struct htab_state *st = f->view_state;
    size_t esz = st->ksz + st->vsz, cap = htab_capacity(f), used = htab_size(f);
    size_t slots = 16;
    while (slots < 2 * n)
        slots *= 2;
    struct overlay o = {calloc(slots, sizeof(size_t)), calloc(slots, sizeof(bool)), slots - 1};
    int rc = 0;
    if (o.slot == NULL || o.present == NULL)
        rc = -ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *key = elems + i * esz;
        size_t s = hash_bytes(key, st->ksz) & o.mask;
        while (o.slot[s] != 0 && memcmp(elems + (o.slot[s] - 1) * esz, key, st->ksz) != 0)
            s = (s + 1) & o.mask;
        bool present;
        if (o.slot[s] != 0) {
            present = o.present[s];
        } else {
            int c = st->set ? zeroipc_set_contains(f->handle, key)
                            : zeroipc_map_contains(f->handle, key);
            if (c < 0) {
                rc = -zfs_errno(c);
                break;
            }
            present = c == 1;
        }
        if (!erase[i] && !present && ++used > cap)
            rc = -ENOSPC;
        if (erase[i] && present)
            used--;
        o.slot[s] = i + 1;
        o.present[s] = !erase[i];
    }
    free(o.slot);
    free(o.present);
    return rc;
}

static int apply(struct zfs_file *f, const char *elems, const bool *erase, size_t n)
{
    struct htab_state *st = f->view_state;
    if (!st->typed)
        return -EOPNOTSUPP;
    int rc = check_room(f, elems, erase, n);
    size_t esz = st->ksz + st->vsz;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *e = elems + i * esz;
        int err;
        if (erase != NULL && erase[i]) {
            err = st->set ? zeroipc_set_erase(f->handle, e) : zeroipc_map_erase(f->handle, e);
            if (err == ZEROIPC_ERROR_NOT_FOUND)
                err = ZEROIPC_OK;
        } else {
            err = st->set ? zeroipc_set_insert(f->handle, e)
                          : zeroipc_map_insert(f->handle, e, e + st->ksz);
        }
        if (err == ZEROIPC_ERROR_SIZE)
            rc = -ENOSPC; /* another writer took the room: see above */
        else if (err < 0)
            rc = -zfs_errno(err);
    }
    return rc;
}

/* Text lines of f->partial + buf: every complete one (and at `final` the
 * rest) parsed, then applied, then the rest kept. */
static int write_text(struct zfs_file *f, const char *buf, size_t size, bool final)
{
    struct htab_state *st = f->view_state;
    size_t esz = st->ksz + st->vsz;
    size_t total = f->partial_len + size;
    char *data = malloc(total ? total : 1);
    if (data == NULL)
        return -ENOMEM;
    if (f->partial_len > 0)
        memcpy(data, f->partial, f->partial_len);
    if (size > 0)
        memcpy(data + f->partial_len, buf, size);
    size_t max = final ? 1 : 0;
    for (size_t i = 0; i < total; i++)
        max += data[i] == '\n';
    char *elems = calloc(max ? max : 1, esz);
    bool *erase = calloc(max ? max : 1, sizeof *erase);
    int rc = elems && erase ? 0 : -ENOMEM;
    size_t n = 0, pos = 0;
    while (rc == 0 && pos < total) {
        const char *nl = memchr(data + pos, '\n', total - pos);
        if (nl == NULL && !final)
            break;
        size_t end = nl ? (size_t)(nl - data) : total;
        rc = parse_line(f, data + pos, end - pos, elems + n * esz, &erase[n]);
        n++;
        pos = nl ? end + 1 : total;
    }
    if (rc == 0 && total - pos > f->text_max + PARTIAL_SLACK)
        rc = -EINVAL; /* a line longer than any entry can be */
    if (rc == 0)
        rc = apply(f, elems, erase, n);
    if (rc == 0 && !final) {
        /* pos is past the old partial when any line was complete. */
        rc = pos == 0 ? zfs_elem_keep_tail(f, buf, size, 0, NULL)
                      : zfs_elem_keep_tail_at(f, buf, size, pos - f->partial_len);
    }
    free(data);
    free(elems);
    free(erase);
    return rc;
}

ssize_t zfs_htab_write(struct zfs_file *f, const char *buf, size_t size, off_t off)
{
    (void)off;
    if (!zfs_opts.binary) {
        int rc = write_text(f, buf, size, false);
        return rc != 0 ? rc : (ssize_t)size;
    }
    void *elems;
    size_t *ends, n;
    int rc = zfs_elem_parse(f, buf, size, false, &elems, &ends, &n);
    if (rc != 0)
        return rc;
    bool *erase = calloc(n ? n : 1, sizeof *erase);
    rc = erase ? apply(f, elems, erase, n) : -ENOMEM;
    if (rc == 0)
        rc = zfs_elem_keep_tail(f, buf, size, n, ends);
    free(erase);
    free(elems);
    free(ends);
    return rc != 0 ? rc : (ssize_t)size;
}

int zfs_htab_flush(struct zfs_file *f)
{
    if (f->partial_len == 0)
        return 0;
    int rc;
    if (zfs_opts.binary) {
        rc = -EINVAL; /* a record cut short */
    } else {
        rc = write_text(f, NULL, 0, true);
    }
    zfs_elem_drop_partial(f);
    return rc;
}

unsigned zfs_htab_ready(struct zfs_file *f)
{
    (void)f;
    return POLLIN | POLLOUT;
}

size_t zfs_htab_count(zeroipc_memory_t *mem, const zeroipc_info_t *info)
{
    const uint32_t *h = header(mem, info);
    uint32_t n = __atomic_load_n(&h[0], __ATOMIC_RELAXED);
    return n < info->capacity ? n : info->capacity;
}

const struct zfs_view zfs_view_map = {
    .kind = ZEROIPC_KIND_MAP,
    .consumes = false,
    .create_typed = create_map,
    .type_spec = map_type_spec,
    .setup_type = setup_map,
    .open = zfs_htab_open,
    .close = zfs_htab_close,
    .read = zfs_htab_read,
    .write = zfs_htab_write,
    .flush = zfs_htab_flush,
    .ready = zfs_htab_ready,
    .count = zfs_htab_count,
};
