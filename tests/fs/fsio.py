#!/usr/bin/env python3
"""fsio.py - syscall-level probes for the filesystem tests, where a shell
tool would hide what one system call did.

  fsio.py write [--nonblock] PATH DATA...
      opens PATH O_WRONLY, one write() per DATA (backslash escapes such as
      \\n and \\x00 decoded), then close(); prints one word per call:
      the byte count or the errno name, then "ok" or the close errno name.
  fsio.py read [--nonblock] PATH BUFSIZE [COUNT]
      opens PATH O_RDONLY and makes COUNT (default 1) read()s of BUFSIZE
      bytes, copying the data to stdout; stops at end of file.  An error
      prints "ERR NAME" on stderr and exits 3.
  fsio.py poll PATH r|w TIMEOUT_MS [READY_FILE]
      opens PATH (O_RDONLY for r, O_WRONLY for w) and polls it once for
      POLLIN or POLLOUT; prints the events seen ("IN", "OUT", "none", ...)
      and the milliseconds the poll took.  READY_FILE, if given, is
      created just before the poll.
  fsio.py lseek PATH
      lseek(fd, 0, SEEK_SET) on PATH opened O_RDONLY: "ok" or the errno name.
  fsio.py fullseg PATH
      writes a foreign ZeroIPC v2 segment (as another implementation would:
      no catalogue) whose table of one entry is full: a queue "q" of 4
      4-byte elements holding 5, 6.
  fsio.py oddseg PATH
      writes a foreign segment whose entries have awkward names: "a b",
      "x/y", "" (empty), "t\\ab" (a tab), "back\\slash", "ok", "nl\\nx"
      (a newline), "caf\\xe9" (not UTF-8), and 32 "L" with no NUL; each
      an array of two u8 (size 10).
  fsio.py floats f32|f64 EXPECTED ACTUAL...
      checks text written by the filesystem against EXPECTED values: each
      ACTUAL must read back to the same bits as the EXPECTED at the same
      place and use no more significant digits than the shortest form
      that does.  Prints "ok" or what differed.
  fsio.py raw PATH OFFSET LEN
      prints LEN bytes of PATH at OFFSET in hex.
"""
import codecs
import errno
import math
import os
import re
import select
import struct
import sys
import time


def ename(e):
    return errno.errorcode.get(e.errno, str(e.errno))


def cmd_write(args):
    flags = os.O_WRONLY
    if args and args[0] == "--nonblock":
        flags |= os.O_NONBLOCK
        args = args[1:]
    path, datas = args[0], args[1:]
    out = []
    try:
        fd = os.open(path, flags)
    except OSError as e:
        print("open:" + ename(e))
        return 0
    for d in datas:
        b = codecs.escape_decode(d.encode())[0]
        try:
            out.append(str(os.write(fd, b)))
        except OSError as e:
            out.append(ename(e))
    try:
        os.close(fd)
        out.append("ok")
    except OSError as e:
        out.append(ename(e))
    print(" ".join(out))
    return 0


def cmd_read(args):
    flags = os.O_RDONLY
    if args and args[0] == "--nonblock":
        flags |= os.O_NONBLOCK
        args = args[1:]
    path, bufsize = args[0], int(args[1])
    count = int(args[2]) if len(args) > 2 else 1
    try:
        fd = os.open(path, flags)
        for _ in range(count):
            b = os.read(fd, bufsize)
            if not b:
                break
            sys.stdout.buffer.write(b)
            sys.stdout.buffer.flush()
        os.close(fd)
    except OSError as e:
        sys.stdout.buffer.flush()
        print("ERR " + ename(e), file=sys.stderr)
        return 3
    return 0


def cmd_poll(args):
    path, mode, timeout = args[0], args[1], int(args[2])
    fd = os.open(path, (os.O_RDONLY if mode == "r" else os.O_WRONLY) | os.O_NONBLOCK)
    p = select.poll()
    p.register(fd, select.POLLIN if mode == "r" else select.POLLOUT)
    if len(args) > 3:
        open(args[3], "w").close()
    t0 = time.monotonic()
    ev = p.poll(timeout)
    ms = int((time.monotonic() - t0) * 1000)
    names = []
    for _, m in ev:
        for n in ("POLLIN", "POLLOUT", "POLLERR", "POLLHUP", "POLLNVAL"):
            if m & getattr(select, n):
                names.append(n[4:])
    print("%s %d" % (",".join(names) or "none", ms))
    os.close(fd)
    return 0


def cmd_lseek(args):
    fd = os.open(args[0], os.O_RDONLY)
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        print("ok")
    except OSError as e:
        print(ename(e))
    os.close(fd)
    return 0


def cmd_fullseg(args):
    size = 4096
    max_entries = 1
    first = 32 + 48 * max_entries
    cap, esz = 4, 4
    qsize = 16 + ((cap * esz + 7) & ~7) + 4 * cap
    b = bytearray(size)
    struct.pack_into("<IIIIQQ", b, 0, 0x5A49504D, 2, 1, max_entries, size, first + qsize)
    struct.pack_into("<32sQQ", b, 32, b"q", first, qsize)
    # head 0, tail 2, two elements 5 and 6; seq = [1, 2, 2, 3]
    struct.pack_into("<IIII", b, first, 0, 2, cap, esz)
    struct.pack_into("<ii", b, first + 16, 5, 6)
    struct.pack_into("<IIII", b, first + 16 + 16, 1, 2, 2, 3)
    with open(args[0], "wb") as f:
        f.write(b)
    return 0


def cmd_oddseg(args):
    size, max_entries = 4096, 12
    names = [b"a b", b"x/y", b"", b"t\tab", b"back\\slash", b"ok", b"nl\nx", b"caf\xe9",
             b"L" * 32]
    b = bytearray(size)
    off = 32 + 48 * max_entries
    for i, name in enumerate(names):
        # struct pads a name of 32 bytes with nothing: no NUL at all.
        struct.pack_into("<32sQQ", b, 32 + 48 * i, name, off, 10)
        struct.pack_into("<Q", b, off, 2)
        b[off + 8:off + 10] = bytes([i, 100 + i])
        off = (off + 10 + 7) & ~7
    struct.pack_into("<IIIIQQ", b, 0, 0x5A49504D, 2, len(names), max_entries, size, off)
    with open(args[0], "wb") as f:
        f.write(b)
    return 0


def sigdigits(s):
    """Significant digits of a decimal float text ("0.100" -> 3, "1e+30" -> 1)."""
    m = re.fullmatch(r"[+-]?(\d*)\.?(\d*)(?:[eE][+-]?\d+)?", s)
    if not m:
        return None
    digits = (m.group(1) + m.group(2)).lstrip("0")
    return max(len(digits), 1)


def shortest(kind, v):
    fmt = "<f" if kind == "f32" else "<d"
    want = struct.pack(fmt, v)
    for p in range(1, 18):
        s = "%.*g" % (p, v)
        try:
            if struct.pack(fmt, float(s)) == want:
                return p
        except OverflowError:
            pass
    return 17


def cmd_floats(args):
    kind, exp, act = args[0], args[1].split(), args[2:]
    if len(act) == 1 and "\n" in act[0]:
        act = act[0].split("\n")
    if len(act) != len(exp):
        print("expected %d values, got %d: %r" % (len(exp), len(act), act))
        return 0
    fmt = "<f" if kind == "f32" else "<d"
    bad = []
    for e, a in zip(exp, act):
        ev = float(e)
        try:
            av = float(a)
        except ValueError:
            bad.append("%r is not a number (expected %s)" % (a, e))
            continue
        if struct.pack(fmt, ev) != struct.pack(fmt, av):
            bad.append("%r reads back as other bits than %s" % (a, e))
            continue
        if math.isfinite(ev):
            n, want = sigdigits(a.strip()), shortest(kind, ev)
            if n is None or n > want:
                bad.append("%r is not the shortest form (%d digits suffice)" % (a, want))
        elif a.strip().lower() not in ("inf", "+inf", "-inf", "nan", "-nan", "+nan",
                                       "infinity", "-infinity"):
            bad.append("%r is not inf/nan" % a)
    print("; ".join(bad) or "ok")
    return 0


def cmd_raw(args):
    with open(args[0], "rb") as f:
        f.seek(int(args[1]))
        print(f.read(int(args[2])).hex())
    return 0


def main():
    cmds = {"write": cmd_write, "read": cmd_read, "poll": cmd_poll,
            "lseek": cmd_lseek, "fullseg": cmd_fullseg, "oddseg": cmd_oddseg, "floats": cmd_floats,
            "raw": cmd_raw}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    return cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
