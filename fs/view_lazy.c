/*
 * view_lazy.c - a lazy value as a file.
 *
 * A read returns the value, forcing it first where the computation is
 * held in the segment (a constant, an ADD/MULTIPLY/NEGATE of values, a
 * CHAIN of other lazy entries: computed at most once across every
 * process, by whoever forces first), and waiting, in every mount mode,
 * while another process computes it or, for an EXTERNAL one, until some
 * process supplies it.  An ERROR state fails the read with EIO; its
 * message is in user.zeroipc.error.  Writing one element supplies an
 * EXTERNAL value, once (EEXIST after; EPERM for other ops); `setfattr -n
 * user.zeroipc.error -v MSG` fails an EXTERNAL one instead.
 *
 * Arithmetic needs the element type, which the format does not store: a
 * lazy of undeclared type (bytes4, bytes8) shows a computed value as
 * bytes and refuses to force one (EOPNOTSUPP) until `setfattr -n
 * user.zeroipc.type` declares it.
 *
 * Creation: `lazy NAME TYPE const V`, `... add A B`, `... mul A B`,
 * `... neg A`, `... external`, `... chain add|mul|neg FIRST [SECOND]`
 * where FIRST and SECOND name lazy entries of the same type in the same
 * segment (or give table indices as #N).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"

static const char *const state_names[] = {"unevaluated", "computing", "ready", "error"};
static const char *const op_names[] = {"constant", "add", "multiply", "negate", "chain",
                                       "external"};

/* The numeric field kind of a type spec, or 0. */
static zeroipc_field_kind_t number_kind(const char *spec, size_t len)
{
    zeroipc_type_t t;
    if (zeroipc_type_parse(spec, len, &t) != ZEROIPC_OK || t.nfields != 1 ||
        zeroipc_lazy_size((zeroipc_field_kind_t)t.field[0].kind) == 0)
        return 0;
    return (zeroipc_field_kind_t)t.field[0].kind;
}

/* The field kind a lazy is opened as: its declared type, else an integer
 * of its size, which is enough to read a computed value's bytes. */
static zeroipc_field_kind_t open_kind(const zeroipc_info_t *info, bool *declared)
{
    zeroipc_field_kind_t k = number_kind(info->type, strlen(info->type));
    *declared = k != 0;
    if (k == 0)
        k = info->entry.size == ZEROIPC_LAZY_SIZE_8 ? ZEROIPC_FIELD_I64 : ZEROIPC_FIELD_I32;
    return k;
}

/* The table index of the lazy operand `word` (a name, or #N). */
static int operand(zeroipc_memory_t *mem, const char *word, zeroipc_field_kind_t kind,
                   uint32_t *index)
{
    if (word[0] == '#') {
        int64_t v;
        if (!zfs_parse_int(word + 1, 0, UINT32_MAX, &v))
            return EINVAL;
        *index = (uint32_t)v;
        return 0;
    }
    zeroipc_lazy_t *lz = zeroipc_lazy_open(mem, word, kind);
    int err = lz ? zeroipc_lazy_index(lz, index) : zeroipc_last_error();
    zeroipc_lazy_close(lz);
    return err == ZEROIPC_OK ? 0 : err == ZEROIPC_ERROR_NOT_FOUND ? ENOENT : EINVAL;
}

static int create_lazy(zeroipc_memory_t *mem, const char *name, char *const *args, int nargs,
                       char *spec)
{
    if (nargs < 2)
        return EINVAL;
    zeroipc_type_t t;
    zeroipc_field_kind_t kind = number_kind(args[0], strlen(args[0]));
    if (kind == 0 || zeroipc_type_parse(args[0], strlen(args[0]), &t) != ZEROIPC_OK ||
        zeroipc_type_format(&t, spec, ZEROIPC_TYPE_SPEC_MAX) < 0)
        return EINVAL;
    const char *op = args[1];
    uint64_t a = 0, b = 0; /* room for any number */
    int values = strcmp(op, "const") == 0 || strcmp(op, "neg") == 0 ? 1
                 : strcmp(op, "add") == 0 || strcmp(op, "mul") == 0 ? 2
                                                                      : 0;
    if (values > 0 && (nargs != 2 + values ||
                       zeroipc_codec_parse(&t, args[2], strlen(args[2]), &a) != ZEROIPC_OK ||
                       (values == 2 &&
                        zeroipc_codec_parse(&t, args[3], strlen(args[3]), &b) != ZEROIPC_OK)))
        return EINVAL;
    zeroipc_lazy_t *lz = NULL;
    if (strcmp(op, "const") == 0) {
        lz = zeroipc_lazy_create_constant(mem, name, kind, &a);
    } else if (strcmp(op, "add") == 0) {
        lz = zeroipc_lazy_create_add(mem, name, kind, &a, &b);
    } else if (strcmp(op, "mul") == 0) {
        lz = zeroipc_lazy_create_multiply(mem, name, kind, &a, &b);
    } else if (strcmp(op, "neg") == 0) {
        lz = zeroipc_lazy_create_negate(mem, name, kind, &a);
    } else if (strcmp(op, "external") == 0 && nargs == 2) {
        lz = zeroipc_lazy_create_external(mem, name, kind, 0);
    } else if (strcmp(op, "chain") == 0 && nargs >= 4 && nargs <= 5) {
        int comb = strcmp(args[2], "add") == 0   ? ZEROIPC_LAZY_ADD
                   : strcmp(args[2], "mul") == 0 ? ZEROIPC_LAZY_MULTIPLY
                   : strcmp(args[2], "neg") == 0 ? ZEROIPC_LAZY_NEGATE
                                                 : -1;
        uint32_t first, second = 0;
        if (comb < 0 || (comb == ZEROIPC_LAZY_NEGATE) != (nargs == 4))
            return EINVAL;
        int err = operand(mem, args[3], kind, &first);
        if (err == 0 && nargs == 5)
            err = operand(mem, args[4], kind, &second);
        if (err != 0)
            return err;
        lz = zeroipc_lazy_create_chain(mem, name, kind, comb, first, second);
    } else {
        return EINVAL;
    }
    zeroipc_lazy_close(lz);
    return lz ? 0 : zfs_errno(zeroipc_last_error());
}

/* A type fits when it is a number whose lazy has the entry's size. */
static int type_lazy(zeroipc_memory_t *mem, const zeroipc_info_t *info, const char *spec,
                     size_t len, char *canon)
{
    (void)mem;
    if (spec == NULL) {
        snprintf(canon, ZEROIPC_TYPE_SPEC_MAX, "bytes%zu", info->elem_size);
        return 0;
    }
    zeroipc_type_t t;
    zeroipc_field_kind_t k = number_kind(spec, len);
    if (k == 0 || zeroipc_type_parse(spec, len, &t) != ZEROIPC_OK ||
        zeroipc_type_format(&t, canon, ZEROIPC_TYPE_SPEC_MAX) < 0 ||
        (info != NULL && zeroipc_lazy_size(k) != info->entry.size))
        return EINVAL;
    return 0;
}

struct lazy_file {
    zeroipc_lazy_t *lz;
    bool declared;
};

static int open_lazy(struct zfs_file *f, zeroipc_memory_t *mem)
{
    struct lazy_file *lf = calloc(1, sizeof *lf);
    if ((f->view_state = lf) == NULL)
        return ENOMEM;
    lf->lz = zeroipc_lazy_open(mem, f->info.name, open_kind(&f->info, &lf->declared));
    return lf->lz ? 0 : zfs_errno(zeroipc_last_error());
}

static void close_lazy(struct zfs_file *f)
{
    struct lazy_file *lf = f->view_state;
    if (lf != NULL)
        zeroipc_lazy_close(lf->lz);
}

static ssize_t get_value(struct zfs_file *f, char *text)
{
    struct lazy_file *lf = f->view_state;
    int err = lf->declared ? zeroipc_lazy_force_timeout(lf->lz, f->elem, 0)
                           : zeroipc_lazy_peek(lf->lz, f->elem);
    if (err == ZEROIPC_ERROR_TIMEOUT)
        return -EAGAIN;
    if (err == ZEROIPC_ERROR_NOT_FOUND)
        return -EOPNOTSUPP; /* not computed, and no type to compute it in */
    if (err == ZEROIPC_ERROR_FAILED)
        return -EIO;
    if (err != ZEROIPC_OK)
        return -zfs_errno(err);
    return (ssize_t)zfs_elem_emit(f, f->elem, text);
}

static ssize_t read_lazy(struct zfs_file *f, char *buf, size_t size, off_t off)
{
    return zfs_text_read(f, buf, size, off, get_value);
}

/* One value, once (EXTERNAL only: EPERM for the others). */
static int supply(struct zfs_file *f, const void *values, size_t n)
{
    struct lazy_file *lf = f->view_state;
    if (n > 1)
        return -EINVAL;
    int err = zeroipc_lazy_supply(lf->lz, values);
    return err == ZEROIPC_OK ? 0 : err == ZEROIPC_ERROR_WRONG_KIND ? -EPERM : -zfs_errno(err);
}

static ssize_t write_lazy(struct zfs_file *f, const char *buf, size_t size, off_t off)
{
    (void)off;
    return zfs_values_write(f, buf, size, false, supply);
}

static int flush_lazy(struct zfs_file *f)
{
    return zfs_values_flush(f, supply);
}

static unsigned ready_lazy(struct zfs_file *f)
{
    struct lazy_file *lf = f->view_state;
    int st = zeroipc_lazy_state(lf->lz), op = zeroipc_lazy_op(lf->lz);
    /* A read would not wait: the value is there, or this read would
     * compute it. */
    bool now = st == ZEROIPC_LAZY_COMPUTED || st == ZEROIPC_LAZY_ERROR ||
               (st == ZEROIPC_LAZY_NOT_COMPUTED && op != ZEROIPC_LAZY_EXTERNAL && lf->declared);
    return (now ? POLLIN : 0) |
           (op == ZEROIPC_LAZY_EXTERNAL && st == ZEROIPC_LAZY_NOT_COMPUTED ? POLLOUT : 0);
}

static const char *const lazy_xattrs[] = {"state", "error", "op", "compute_count", NULL};

static int xattr_lazy(zeroipc_memory_t *mem, const zeroipc_info_t *info, const char *attr,
                      char *out, size_t len)
{
    bool declared;
    zeroipc_lazy_t *h = zeroipc_lazy_open(mem, info->name, open_kind(info, &declared));
    if (h == NULL)
        return zfs_errno(zeroipc_last_error());
    int err = 0;
    if (strcmp(attr, "state") == 0) {
        int st = zeroipc_lazy_state(h);
        if (st >= 0 && st <= ZEROIPC_LAZY_ERROR)
            snprintf(out, len, "%s", state_names[st]);
        else
            err = EIO;
    } else if (strcmp(attr, "error") == 0) {
        err = zeroipc_lazy_error(h, out, len) == ZEROIPC_OK ? 0 : ENODATA;
    } else if (strcmp(attr, "op") == 0) {
        int op = zeroipc_lazy_op(h), comb;
        uint32_t first, second;
        if (op < 0 || op > ZEROIPC_LAZY_EXTERNAL)
            err = EIO;
        else if (op == ZEROIPC_LAZY_CHAIN && zeroipc_lazy_chain(h, &comb, &first, &second) == ZEROIPC_OK)
            snprintf(out, len, "chain %s #%u #%u",
                     comb == ZEROIPC_LAZY_MULTIPLY ? "mul" : comb == ZEROIPC_LAZY_NEGATE ? "neg" : "add",
                     first, second);
        else
            snprintf(out, len, "%s", op_names[op]);
    } else {
        snprintf(out, len, "%u", zeroipc_lazy_compute_count(h));
    }
    zeroipc_lazy_close(h);
    return err;
}

static int set_xattr_lazy(zeroipc_memory_t *mem, const zeroipc_info_t *info, const char *attr,
                          const char *value, size_t len)
{
    if (strcmp(attr, "error") != 0)
        return EPERM;
    char msg[ZEROIPC_LAZY_ERROR_SIZE];
    if (len >= sizeof msg || memchr(value, '\0', len) != NULL)
        return EINVAL;
    memcpy(msg, value, len);
    msg[len] = '\0';
    bool declared;
    zeroipc_lazy_t *h = zeroipc_lazy_open(mem, info->name, open_kind(info, &declared));
    if (h == NULL)
        return zfs_errno(zeroipc_last_error());
    int err = zeroipc_lazy_fail(h, msg);
    zeroipc_lazy_close(h);
    return err == ZEROIPC_ERROR_WRONG_KIND ? EPERM : zfs_errno(err);
}

const struct zfs_view zfs_view_lazy = {
    .kind = ZEROIPC_KIND_LAZY,
    .waits = true,
    .create_args = create_lazy,
    .type_spec = type_lazy,
    .open = open_lazy,
    .close = close_lazy,
    .read = read_lazy,
    .write = write_lazy,
    .flush = flush_lazy,
    .ready = ready_lazy,
    .xattrs = lazy_xattrs,
    .xattr_get = xattr_lazy,
    .xattr_set = set_xattr_lazy,
};
