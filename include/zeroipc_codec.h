/*
 * zeroipc_codec.h - element types, and elements as one line of text.
 *
 * The segment format stores no element types; the catalogue and the
 * filesystem's user.zeroipc.type attribute name them with a short spec,
 * and this codec turns one element into text and back.  It is the only
 * place that knows how a value looks, so every file of the mount shows
 * values alike.
 *
 * Type specs.  One field, or a record of up to ZEROIPC_TYPE_MAX_FIELDS
 * fields separated by commas:
 *
 *   i8 i16 i32 i64 u8 u16 u32 u64   integers, native byte order
 *   f32 f64                         IEEE 754 binary32 / binary64
 *   strN                            a fixed string of N bytes
 *   bytesN                          N raw bytes
 *
 * for example "f64", "str16", "bytes24", "f32,f32,u64".  Names are lower
 * case; N is decimal without leading zeros, 1 to ZEROIPC_TYPE_MAX_SIZE.
 * Spaces and tabs around names and commas are ignored.  The canonical
 * spelling (zeroipc_type_format) has none.
 *
 * Layout.  A number is aligned to its own size, strN and bytesN to 1; a
 * record lays its fields out in order at the next offset aligned for each,
 * and its size is rounded up to its largest alignment.  That is the C
 * struct of those members on x86-64 and aarch64 (and numpy's align=True
 * dtype), so "f32,f32,u64" is 16 bytes with fields at 0, 4 and 8.  It is
 * fixed here rather than taken from the compiler so that the layout is the
 * same on every machine (i386 would align a u64 member to 4).  Elements
 * need no alignment in memory: the codec copies fields with memcpy, so
 * slots of any size in shared memory can be read in place.
 *
 * Text.  One element is one line, written without its newline.  Fields of
 * a record are separated by one space on output; on input by any run of
 * spaces, tabs or carriage returns, which may also surround the line.
 *
 *   integers  decimal.  Input also takes 0x/0X hex after the optional
 *             sign ("-0x80" is an i8); "007" is seven, never octal.  A
 *             value outside the field's range is rejected, never wrapped.
 *   floats    the shortest decimal that reads back to the same bits, in
 *             Python's repr style without its ".0": positional when the
 *             decimal exponent is in [-4, 16) ("0.1", "1000000", "-0"),
 *             otherwise d.ddde+XX ("1e+16", "5e-324").  inf, -inf, nan and
 *             -nan (a NaN with its sign bit set).  A NaN's payload is not
 *             shown: it reads back as the default quiet NaN of that sign.
 *             Input: [sign] digits [. digits] [e [sign] digits], or inf,
 *             infinity, nan in any case; no hex floats.  It is rounded to
 *             nearest even, as strtod does; a finite value that overflows
 *             the field (1e39 for f32) is rejected, one that underflows
 *             becomes a subnormal or a zero of its sign.
 *   strN      the bytes before the first NUL (the rest is NUL padding; a
 *             string of exactly N bytes has none).  Backslash, newline and
 *             tab are shown as \\ \n \t, every other byte below 0x20 or
 *             from 0x7f as \xHH (lower-case hex), so the text is printable
 *             ASCII.  In a record, where a space separates fields, a space
 *             is shown as \x20 and an empty string as \x00.  Input takes
 *             those escapes (\xHH in either case) and any other byte as
 *             itself; the result must fit in N bytes and is NUL-padded.
 *             A one-field strN line is taken whole, blanks included (a
 *             trailing carriage return is dropped, since output never
 *             ends in one); \x00 in input stores a NUL, so what follows it
 *             is kept in memory but not shown.
 *   bytesN    2N hex digits, lower case on output, either case on input.
 *
 * So format then parse gives back the same element, except for NaN
 * payloads, bytes after a string's first NUL and record padding, which
 * parse sets to zero.
 *
 * Locale: none is consulted.  Numbers are read and written in the C
 * locale's syntax even when the process has called setlocale (the codec
 * hands libc only digit strings without a decimal point).
 *
 * Thread safety: every function is reentrant and leaves errno as it was;
 * types are plain values that any number of threads may use at once.
 *
 * Speed, for scale: an integer either way or a float parse takes under
 * 0.1 us; formatting a float asks printf for a few digit counts, 0.6 us
 * for a short value and 2 us for a random double.
 */
#ifndef ZEROIPC_CODEC_H
#define ZEROIPC_CODEC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Fields of a record, at most. */
#define ZEROIPC_TYPE_MAX_FIELDS 16
/* Largest element, in bytes, and so the largest N of strN and bytesN.
 * Bounds the text of one element to about four times that, which the
 * driver must be able to hold whole. */
#define ZEROIPC_TYPE_MAX_SIZE (1u << 20)
/* A buffer this large always holds a canonical spec and its NUL:
 * 16 times "bytes1048576" and 15 commas. */
#define ZEROIPC_TYPE_SPEC_MAX 208
/* The longest text of any element of any type: a field takes at most four
 * characters per byte, plus one for an f32 ("-1234567800000000"), plus
 * the separators. */
#define ZEROIPC_CODEC_MAX_TEXT (4u * ZEROIPC_TYPE_MAX_SIZE + 31u)

typedef enum {
    ZEROIPC_FIELD_I8 = 1, /* 0 is no type, as in a zeroed zeroipc_type_t */
    ZEROIPC_FIELD_I16,
    ZEROIPC_FIELD_I32,
    ZEROIPC_FIELD_I64,
    ZEROIPC_FIELD_U8,
    ZEROIPC_FIELD_U16,
    ZEROIPC_FIELD_U32,
    ZEROIPC_FIELD_U64,
    ZEROIPC_FIELD_F32,
    ZEROIPC_FIELD_F64,
    ZEROIPC_FIELD_STR,
    ZEROIPC_FIELD_BYTES,
} zeroipc_field_kind_t;

typedef struct {
    uint8_t kind;    /* a zeroipc_field_kind_t */
    uint32_t size;   /* bytes: 1 to 8 for numbers, N for strN and bytesN */
    uint32_t offset; /* from the start of the element */
} zeroipc_field_t;

/*
 * A parsed type: a plain value, no allocation, freely copied.  Read its
 * fields, but make it with zeroipc_type_parse.  The other functions check
 * what memory safety rests on (known kinds, number sizes, every field
 * inside an element of at most ZEROIPC_TYPE_MAX_SIZE bytes) and reject
 * anything else as ZEROIPC_ERROR_INVALID_ARGUMENT, but not the alignment
 * or overlap of fields.
 */
typedef struct {
    uint32_t nfields; /* 1 to ZEROIPC_TYPE_MAX_FIELDS */
    uint32_t size;    /* bytes of one element, a multiple of align */
    uint32_t align;   /* the largest alignment of a field: 1, 2, 4 or 8 */
    zeroipc_field_t field[ZEROIPC_TYPE_MAX_FIELDS];
} zeroipc_type_t;

/*
 * Parses the `len` bytes at `spec` (no NUL needed: an attribute value or
 * a catalogue field can be passed as it is) into *out.  ZEROIPC_OK;
 * ZEROIPC_ERROR_INVALID_ARGUMENT for NULL pointers and for anything that
 * is not a spec (an unknown name, an empty field, a leading zero in N, a
 * NUL or other stray byte); ZEROIPC_ERROR_SIZE for N of 0 or over
 * ZEROIPC_TYPE_MAX_SIZE, an element over ZEROIPC_TYPE_MAX_SIZE bytes, or
 * more than ZEROIPC_TYPE_MAX_FIELDS fields.  *out is written only on
 * success.
 */
int zeroipc_type_parse(const char *spec, size_t len, zeroipc_type_t *out);

/*
 * Writes the canonical spec of *t ("f32,f32,u64") and a NUL into buf.
 * Returns its length without the NUL, or ZEROIPC_ERROR_SIZE when it and
 * its NUL do not fit in `len` bytes (ZEROIPC_TYPE_SPEC_MAX always do),
 * ZEROIPC_ERROR_INVALID_ARGUMENT for NULL or an invalid type.
 */
int zeroipc_type_format(const zeroipc_type_t *t, char *buf, size_t len);

/* Bytes of one element; 0 for NULL or an invalid type. */
size_t zeroipc_type_size(const zeroipc_type_t *t);

/*
 * The longest text zeroipc_codec_format can produce for an element of *t,
 * whatever its bytes: a buffer of this size never gets ZEROIPC_ERROR_SIZE.
 * At most ZEROIPC_CODEC_MAX_TEXT.  0 for NULL or an invalid type.
 */
size_t zeroipc_codec_max_text(const zeroipc_type_t *t);

/*
 * Writes the element of t->size bytes at `elem` as text into buf: no
 * newline and no NUL.  ZEROIPC_OK with its length in *written.
 * ZEROIPC_ERROR_SIZE when it is longer than `len`: *written then holds the
 * length needed, buf holds some prefix of the text and nothing past `len`
 * is written (as with snprintf, len 0 and a NULL buf just measure).  ZEROIPC_ERROR_INVALID_ARGUMENT for
 * a NULL t, elem or written, a NULL buf with len > 0, or a type with no
 * fields.  Every byte pattern is a valid element: this never fails on
 * content.
 */
int zeroipc_codec_format(const zeroipc_type_t *t, const void *elem,
                         char *buf, size_t len, size_t *written);

/*
 * Reads one line of text, the `len` bytes at `text` without the newline,
 * into the element at `elem` (t->size bytes, all written: unused string
 * bytes and record padding become zero).  ZEROIPC_OK, or
 * ZEROIPC_ERROR_INVALID_ARGUMENT for NULL pointers, a type with no
 * fields, a wrong number of fields, a malformed value, an integer or a
 * finite float out of its field's range, or a string longer than N.  On
 * error `elem` is untouched, so one bad line changes nothing.
 */
int zeroipc_codec_parse(const zeroipc_type_t *t, const char *text, size_t len,
                        void *elem);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_CODEC_H */
