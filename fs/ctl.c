/*
 * ctl.c - the two control files of a segment directory.
 *
 * SEG/.create takes lines "KIND NAME TYPE CAPACITY" (or, for kinds with
 * other parameters, "KIND NAME ARGS...": see each view's create_args),
 * one structure each,
 * the way tracefs's kprobe_events takes probe definitions: a shell makes
 * a structure with one echo.  SEG/.table shows the raw table, companions
 * and catalogue included, for when the tree hides too much.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "view.h"

/* Splits `line` (NUL-terminated, modified) into at most max words. */
static int split(char *line, char **words, int max)
{
    int n = 0;
    for (char *p = line;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r')
            p++;
        if (*p == '\0')
            return n;
        if (n == max)
            return max + 1;
        words[n++] = p;
        while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r')
            p++;
        if (*p != '\0')
            *p++ = '\0';
    }
}

static bool parse_count(const char *s, size_t *out)
{
    if (!isdigit((unsigned char)s[0]))
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v == 0 || v > SIZE_MAX)
        return false;
    *out = (size_t)v;
    return true;
}

/* The most words a definition line has. */
#define MAX_WORDS 10

/* Runs one definition line; 0 or a positive errno. */
static int create_one(zeroipc_memory_t *mem, char *line)
{
    char *w[MAX_WORDS];
    int n = split(line, w, MAX_WORDS);
    if (n == 0 || w[0][0] == '#')
        return 0; /* blank lines and comments */
    if (n < 2 || n > MAX_WORDS)
        return EINVAL;
    const struct zfs_view *view = zfs_view_for(zeroipc_kind_from_name(w[0]));
    zeroipc_type_t type;
    size_t capacity = 0;
    char spec[ZEROIPC_TYPE_SPEC_MAX];
    if (view == NULL || (view->create == NULL && view->create_typed == NULL &&
                         view->create_args == NULL))
        return EINVAL;
    if (view->create_args == NULL) {
        if (n != 4)
            return EINVAL;
        if (view->type_spec != NULL ? view->type_spec(mem, NULL, w[2], strlen(w[2]), spec) != 0
                                    : zeroipc_type_parse(w[2], strlen(w[2]), &type) != ZEROIPC_OK ||
                                          zeroipc_type_format(&type, spec, sizeof spec) < 0)
            return EINVAL;
        if (strlen(spec) >= ZEROIPC_TYPE_SPEC_SIZE || !parse_count(w[3], &capacity))
            return EINVAL;
    }
    const char *name = w[1];
    if (strlen(name) >= ZEROIPC_NAME_SIZE)
        return ENAMETOOLONG;
    /* Dot names are the catalogue's and a file cannot be named with '/'. */
    if (name[0] == '.' || strchr(name, '/') != NULL)
        return EINVAL;
    if (zeroipc_table_find(mem, name, NULL, NULL) == ZEROIPC_OK)
        return EEXIST;
    /* The catalogue first: a structure whose type cannot be recorded is
     * not made at all. */
    int err = zeroipc_catalog_ensure(mem);
    if (err != ZEROIPC_OK)
        return zfs_errno(err);
    if (view->create_args != NULL)
        err = view->create_args(mem, name, w + 2, n - 2, spec);
    else if (view->create_typed != NULL)
        err = view->create_typed(mem, name, spec, capacity);
    else
        err = view->create(mem, name, zeroipc_type_size(&type), capacity);
    if (err != 0)
        return err;
    err = zeroipc_catalog_set(mem, name, view->kind, spec);
    if (err != ZEROIPC_OK)
        zfs_log(ZFS_WARN, "%s: created, but its type was not recorded: %s", name,
                zeroipc_error_string(err));
    return 0;
}

ssize_t zfs_ctl_create_write(struct zfs_file *f, zeroipc_memory_t *mem,
                             const char *buf, size_t size, bool final)
{
    size_t pos = 0;
    if (buf == NULL)
        buf = ""; /* close: only the partial is left */
    for (;;) {
        const char *nl = memchr(buf + pos, '\n', size - pos);
        if (nl == NULL && !(final && f->partial_len + (size - pos) > 0))
            break;
        size_t end = nl ? (size_t)(nl - buf) : size;
        size_t len = f->partial_len + (end - pos);
        char *line = malloc(len + 1);
        if (line == NULL)
            return -ENOMEM;
        if (f->partial_len > 0)
            memcpy(line, f->partial, f->partial_len);
        memcpy(line + f->partial_len, buf + pos, end - pos);
        line[len] = '\0';
        f->partial_len = 0;
        int err = memchr(line, '\0', len) ? EINVAL : create_one(mem, line);
        free(line);
        if (err != 0)
            return -err; /* the lines before it stay done */
        pos = nl ? end + 1 : size;
        if (nl == NULL)
            break;
    }
    /* Keep the unterminated rest for the next write or for close. */
    size_t rest = size - pos;
    if (rest > 0) {
        if (f->partial_len + rest > 4096)
            return -EINVAL;
        char *p = realloc(f->partial, f->partial_len + rest);
        if (p == NULL)
            return -ENOMEM;
        memcpy(p + f->partial_len, buf + pos, rest);
        f->partial = p;
        f->partial_len += rest;
    }
    return (ssize_t)size;
}

/* Appends `name` with every byte that could break a line apart (blanks,
 * controls, backslash, non-ASCII) as \xHH: table names are untrusted. */
static size_t put_name(char *out, const char *name)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p <= ' ' || *p >= 0x7f || *p == '\\')
            n += (size_t)sprintf(out + n, "\\x%02x", *p);
        else
            out[n++] = (char)*p;
    }
    return n;
}

int zfs_ctl_table_render(zeroipc_memory_t *mem, char **text, size_t *len)
{
    size_t n;
    int err = zeroipc_describe_all(mem, NULL, 0, &n);
    zeroipc_info_t *info = err == ZEROIPC_OK ? calloc(n ? n : 1, sizeof *info) : NULL;
    if (info == NULL)
        return err != ZEROIPC_OK ? zfs_errno(err) : ENOMEM;
    err = zeroipc_describe_all(mem, info, n, &n);
    /* index, name (31 bytes, 4 each escaped), offset, size, kind, and
     * the structure an entry belongs to when that has another name */
    size_t cap = (20 + 4 * ZEROIPC_NAME_SIZE + 20 + 20 + 16 + 4 * ZEROIPC_NAME_SIZE + 8) * n + 1;
    size_t used = 0;
    char *out = err == ZEROIPC_OK ? malloc(cap) : NULL;
    for (size_t i = 0; out != NULL && i < n; i++) {
        used += (size_t)sprintf(out + used, "%zu ", i);
        used += put_name(out + used, info[i].entry.name);
        used += (size_t)sprintf(out + used, " %llu %llu %s",
                                (unsigned long long)info[i].entry.offset,
                                (unsigned long long)info[i].entry.size,
                                info[i].corrupt ? "corrupt" : zeroipc_kind_name(info[i].kind));
        if (strcmp(info[i].name, info[i].entry.name) != 0) {
            out[used++] = ' ';
            used += put_name(out + used, info[i].name);
        }
        out[used++] = '\n';
    }
    free(info);
    if (out == NULL)
        return err != ZEROIPC_OK ? zfs_errno(err) : ENOMEM;
    *text = out;
    *len = used;
    return 0;
}
