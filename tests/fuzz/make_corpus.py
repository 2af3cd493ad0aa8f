#!/usr/bin/env python3
"""make_corpus.py - writes the seed corpora of the fuzz harnesses.

    tests/fuzz/make_corpus.py [VECTORS_DIR]

Writes tests/fuzz/corpus/segment/seed-* and tests/fuzz/corpus/codec/seed-*
(its output is committed; rerun it after changing it).  Files named
otherwise (crash-*, hang-*: reproducers of bugs the fuzzers found, and
the vectors) are left alone.

Segment seeds are small images laid out by FORMAT.md and by the
catalogue layout of include/zeroipc_catalog.h: one valid segment with a
structure of every kind, with and without a catalogue, then the same
damaged in the ways a crash, another implementation or an attacker can
damage it.  Small, because libFuzzer mutates small inputs far faster than
the 256 KiB vectors; the vectors are copied in too, whole and cut down to
their used part.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SEG_DIR = os.path.join(HERE, "corpus", "segment")
CODEC_DIR = os.path.join(HERE, "corpus", "codec")

MAGIC = 0x5A49504D


def align(n, a):
    return (n + a - 1) // a * a


class Seg:
    """A segment under construction: entries bump-allocated as FORMAT.md says."""

    def __init__(self, max_entries=32):
        self.max_entries = max_entries
        self.next = 32 + 48 * max_entries
        self.entries = []  # [name bytes, offset, size]
        self.body = {}     # offset -> bytes

    def add(self, name, data, size=None):
        at = align(self.next, 8)
        size = len(data) if size is None else size
        self.entries.append([name.encode() if isinstance(name, str) else name, at, size])
        self.body[at] = bytes(data)
        self.next = at + max(size, len(data))
        return at

    def image(self, memory_size=None, entry_count=None, max_entries=None,
              next_offset=None, magic=MAGIC, version=2, file_size=None):
        used = align(self.next, 8)
        memory_size = used if memory_size is None else memory_size
        buf = bytearray(max(file_size or 0, memory_size, used))
        me = self.max_entries if max_entries is None else max_entries
        ec = len(self.entries) if entry_count is None else entry_count
        no = used if next_offset is None else next_offset
        struct.pack_into("<IIIIQQ", buf, 0, magic, version, ec, me, memory_size, no)
        for i, (name, off, size) in enumerate(self.entries):
            pos = 32 + 48 * i
            if pos + 48 > len(buf):
                break
            buf[pos:pos + 32] = name[:32].ljust(32, b"\0")
            struct.pack_into("<QQ", buf, pos + 32, off, size)
        for off, data in self.body.items():
            if off < len(buf):
                buf[off:off + len(data)] = data[:len(buf) - off]
        if file_size is not None:
            del buf[file_size:]
        return bytes(buf)


# ---- structures, by FORMAT.md -------------------------------------------

def array(cap, esz, data=b""):
    return struct.pack("<Q", cap) + data.ljust(cap * esz, b"\0")[:cap * esz]


def queue(cap, esz, head=0, tail=0, seq=None, data=b"", cap_field=None):
    seq = list(range(cap)) if seq is None else seq
    body = data.ljust(align(cap * esz, 8), b"\0")[:align(cap * esz, 8)]
    return (struct.pack("<IIII", head, tail, cap if cap_field is None else cap_field, esz) + body +
            b"".join(struct.pack("<I", s & 0xFFFFFFFF) for s in seq))


def queue_with(cap, esz, values):
    """A queue holding `values` (ints of esz bytes) pushed in order."""
    seq = list(range(cap))
    data = bytearray(cap * esz)
    for t, v in enumerate(values):
        data[(t % cap) * esz:(t % cap + 1) * esz] = v.to_bytes(esz, "little", signed=True)
        seq[t % cap] = t + 1
    return queue(cap, esz, 0, len(values), seq, bytes(data))


def stack(cap, esz, top=-1, states=None, data=b""):
    states = [0] * cap if states is None else states
    return (struct.pack("<iIII", top, cap, esz, 0) +
            data.ljust(align(cap * esz, 8), b"\0")[:align(cap * esz, 8)] +
            b"".join(struct.pack("<I", s) for s in states))


def ring(capbytes, esz, wpos=0, rpos=0, buf=b""):
    return struct.pack("<QQII", wpos, rpos, capbytes, esz) + buf.ljust(capbytes, b"\0")[:capbytes]


def entry_layout(ksz, ka, vsz, va):
    koff = align(4, ka)
    voff = align(koff + ksz, va)
    stride = align(voff + vsz, max(4, ka, va))
    return koff, voff, stride


def htab(cap, ksz, ka, vsz, va, slots, size=None, reserved=0, set_=False):
    """slots: {index: (state, key bytes, value bytes)}"""
    koff, voff, stride = entry_layout(ksz, ka, vsz, va)
    body = bytearray(cap * stride)
    for i, (st, k, v) in slots.items():
        struct.pack_into("<I", body, i * stride, st)
        body[i * stride + koff:i * stride + koff + ksz] = k.ljust(ksz, b"\0")[:ksz]
        if vsz:
            body[i * stride + voff:i * stride + voff + vsz] = v.ljust(vsz, b"\0")[:vsz]
    n = sum(1 for s in slots.values() if s[0] == 1) if size is None else size
    last = reserved if set_ else vsz
    return struct.pack("<IIII", n, cap, ksz, last) + bytes(body)


def int_home(key, cap):
    return ((key & 0xFFFFFFFFFFFFFFFF) * 2654435761 & 0xFFFFFFFFFFFFFFFF) % cap


def pool(cap, esz, ealign, free_head=0, allocated=0, nexts=None):
    nexts = [i + 1 for i in range(cap - 1)] + [0xFFFFFFFF] if nexts is None else nexts
    nxt = align(esz, 4)
    stride = align(nxt + 4, max(4, ealign))
    body = bytearray(cap * stride)
    for i, n in enumerate(nexts):
        struct.pack_into("<I", body, i * stride + nxt, n & 0xFFFFFFFF)
    return struct.pack("<QIIII", free_head, allocated, 0, cap, esz) + bytes(body)


def sem(count=0, waiting=0, maxc=0):
    return struct.pack("<iiii", count, waiting, maxc, 0)


def mutex(count=1):
    return sem(count, 0, 1)


def barrier(arrived=0, gen=0, participants=3):
    return struct.pack("<iiii", arrived, gen, participants, 0)


def latch(count=2, initial=2):
    return struct.pack("<iiii", count, initial, 0, 0)


def once(state=0):
    return struct.pack("<I", state)


def catalog(records, capacity=None, count=None, magic=0x4C544143, version=1):
    """records: (name, offset, kind, type spec)"""
    capacity = len(records) if capacity is None else capacity
    count = len(records) if count is None else count
    out = struct.pack("<IIII", magic, version, capacity, count)
    for name, off, kind, typ in records:
        n = name.encode() if isinstance(name, str) else name
        t = typ.encode() if isinstance(typ, str) else typ
        out += n[:32].ljust(32, b"\0") + struct.pack("<QII", off, kind, 0) + t[:64].ljust(64, b"\0")
    # Room for `capacity` records, as the library makes it.
    return out.ljust(16 + 112 * min(capacity, 64), b"\0")


KIND = dict(array=1, queue=2, stack=3, catalog=4, ring=5, map=6, set=7, pool=8,
            semaphore=9, mutex=10, barrier=11, latch=12, once=13, event=14,
            rwlock=15, monitor=16, signal=17)


def everything(with_catalog=True, extra=None, max_entries=40):
    """A valid segment with one structure of every kind.  Returns (Seg,
    offsets by name) so that variants can damage it."""
    s = Seg(max_entries)
    off = {}
    f32s = b"".join(struct.pack("<f", x) for x in (1.5, -0.0, float("nan"), 1e-45, 3.4e38, 0.1))
    off["temps"] = s.add("temps", array(6, 4, f32s))
    off["names"] = s.add("names", array(3, 8, b"ab\0\0\0\0\0\0tab\there\\\n\x7f\xff\x01"))
    off["jobs"] = s.add("jobs", queue_with(4, 8, [7, -1, 2 ** 40]))
    off["stk"] = s.add("stk", stack(5, 4, 1, [2, 2, 0, 0, 0], struct.pack("<ii", 10, -20)))
    off["rng"] = s.add("rng", ring(32, 8, 24, 8, bytes(range(32))))
    slots = {int_home(k, 8): (1, struct.pack("<i", k), struct.pack("<d", k / 3)) for k in (1, 2)}
    slots[int_home(5, 8)] = (2, struct.pack("<i", 5), struct.pack("<d", 0))
    off["prices"] = s.add("prices", htab(8, 4, 4, 8, 8, slots))
    off["members"] = s.add("members", htab(4, 8, 8, 0, 1, {1: (1, struct.pack("<q", 3), b"")}, set_=True))
    off["nodes"] = s.add("nodes", pool(4, 8, 8, free_head=(5 << 32) | 1, allocated=1))
    off["sem"] = s.add("sem", sem(2, 0, 4))
    off["mtx"] = s.add("mtx", mutex())
    off["bar"] = s.add("bar", barrier())
    off["lat"] = s.add("lat", latch())
    off["once"] = s.add("once", once(2))
    off["ev"] = s.add("ev", struct.pack("<III", 1, 1, 0))
    off["ev_sem"] = s.add("ev_sem", sem())
    off["rw_state"] = s.add("rw_state", struct.pack("<ii", 0, 0))
    off["rw_rmtx"] = s.add("rw_rmtx", mutex())
    off["rw_wmtx"] = s.add("rw_wmtx", mutex())
    off["rw"] = s.add("rw", b"\0")
    off["mon_mtx"] = s.add("mon_mtx", mutex())
    off["mon_cond"] = s.add("mon_cond", sem())
    off["mon_count"] = s.add("mon_count", struct.pack("<I", 0))
    off["mon"] = s.add("mon", b"\0")
    off["sig_state"] = s.add("sig_state", struct.pack("<Qd", 3, 2.5))
    off["sig_mtx"] = s.add("sig_mtx", mutex())
    off["sig"] = s.add("sig", b"\0")
    for name, data in (extra or []):
        off[name] = s.add(name, data)
    if with_catalog:
        recs = [("temps", off["temps"], KIND["array"], "f32"),
                ("names", off["names"], KIND["array"], "str8"),
                ("jobs", off["jobs"], KIND["queue"], "i64"),
                ("stk", off["stk"], KIND["stack"], "i32"),
                ("rng", off["rng"], KIND["ring"], "f32,f32"),
                ("prices", off["prices"], KIND["map"], "i32:f64"),
                ("members", off["members"], KIND["set"], "i64"),
                ("nodes", off["nodes"], KIND["pool"], "f64")]
        off[".catalog"] = s.add(".catalog", catalog(recs, capacity=max_entries))
    return s, off


def patch(img, at, fmt, *vals):
    b = bytearray(img)
    struct.pack_into(fmt, b, at, *vals)
    return bytes(b)


def entry_at(i):
    return 32 + 48 * i


def segment_seeds():
    out = {}
    s, off = everything()
    good = s.image()
    out["valid-catalog"] = good
    out["valid-plain"] = everything(with_catalog=False)[0].image()
    names = [e[0].decode() for e in s.entries]
    idx = {n: i for i, n in enumerate(names)}

    # The header.
    out["hdr-bad-magic"] = patch(good, 0, "<I", 0x5A49504E)
    out["hdr-version-1"] = patch(good, 4, "<I", 1)
    out["hdr-count-over-max"] = patch(good, 8, "<I", 41)
    out["hdr-count-huge"] = patch(good, 8, "<I", 0xFFFFFFFF)
    out["hdr-max-entries-0"] = patch(good, 12, "<I", 0)        # means 64: table past the data
    out["hdr-max-entries-huge"] = patch(good, 12, "<I", 0x7FFFFFFF)
    out["hdr-memsize-over-file"] = patch(good, 16, "<Q", len(good) + 8)
    out["hdr-memsize-small"] = patch(good, 16, "<Q", 64)
    out["hdr-memsize-huge"] = patch(good, 16, "<Q", 2 ** 63)
    out["hdr-next-below-table"] = patch(good, 24, "<Q", 32)
    out["hdr-next-past-end"] = patch(good, 24, "<Q", len(good) + 1)
    out["hdr-only"] = good[:32]
    out["hdr-short"] = good[:31]
    out["trunc-table"] = good[:32 + 48 * 5 + 17]
    out["trunc-data"] = good[:len(good) // 2]
    out["file-longer-than-memsize"] = good + b"\xff" * 4096
    out["empty-table"] = Seg(4).image()

    # Table entries.
    q = idx["jobs"]
    out["ent-offset-outside"] = patch(good, entry_at(q) + 32, "<Q", len(good) + 64)
    out["ent-offset-overflow"] = patch(good, entry_at(q) + 32, "<QQ", 2 ** 64 - 8, 64)
    out["ent-size-overflow"] = patch(good, entry_at(q) + 40, "<Q", 2 ** 64 - 1)
    out["ent-size-past-end"] = patch(good, entry_at(q) + 40, "<Q", len(good))
    out["ent-size-zero"] = patch(good, entry_at(q) + 40, "<Q", 0)
    out["ent-in-table"] = patch(good, entry_at(q) + 32, "<Q", 40)
    out["ent-odd-offset"] = patch(good, entry_at(q) + 32, "<Q", off["jobs"] + 1)
    out["ent-odd-offset-sem"] = patch(good, entry_at(idx["sem"]) + 32, "<Q", off["sem"] + 2)
    out["ent-odd-offset-ring"] = patch(good, entry_at(idx["rng"]) + 32, "<Q", off["rng"] + 4)
    out["ent-name-no-nul"] = patch(good, entry_at(q), "32s", b"j" * 32)
    out["ent-name-empty"] = patch(good, entry_at(q), "32s", b"")
    out["ent-name-slash"] = patch(good, entry_at(q), "32s", b"a/b")
    out["ent-name-ctl"] = patch(good, entry_at(q), "32s", b"\n\t\x7f\xff \\")
    out["ent-dup-names"] = patch(good, entry_at(idx["stk"]), "32s", b"jobs")
    # Overlaps: one entry's range covering another's, and two kinds at one offset.
    out["ent-overlap-all"] = patch(good, entry_at(idx["temps"]) + 32, "<QQ", off["temps"],
                                   len(good) - off["temps"])
    out["ent-same-offset"] = patch(good, entry_at(idx["stk"]) + 32, "<QQ", off["jobs"],
                                   s.entries[q][2])
    out["ent-shifted-into-next"] = patch(good, entry_at(q) + 32, "<Q", off["jobs"] + 8)
    out["ent-garbage-table"] = good[:32] + bytes((i * 37 + 11) & 0xFF for i in range(48 * 40)) + \
        good[32 + 48 * 40:]

    # Queues.
    base = off["jobs"]
    out["q-cap-not-pow2"] = patch(good, base + 8, "<I", 3)
    out["q-cap-1"] = patch(good, base + 8, "<I", 1)
    out["q-cap-huge"] = patch(good, base + 8, "<I", 2 ** 31)
    out["q-esz-0"] = patch(good, base + 12, "<I", 0)
    out["q-tail-far"] = patch(good, base, "<II", 0, 1000)
    out["q-head-past-tail"] = patch(good, base, "<II", 5, 2)
    out["q-head-wrap"] = patch(good, base, "<II", 0xFFFFFFFE, 1)
    out["q-seq-ahead"] = patch(good, base + 16 + 32, "<IIII", 9, 9, 9, 9)
    out["q-seq-garbage"] = patch(good, base + 16 + 32, "<IIII", 0xDEADBEEF, 7, 0x80000000, 1)
    # Stacks.
    base = off["stk"]
    out["stk-top-over"] = patch(good, base, "<i", 5)
    out["stk-top-neg"] = patch(good, base, "<i", -7)
    out["stk-states-garbage"] = patch(good, base + 16 + 24, "<IIIII", 9, 1, 3, 0xFFFFFFFF, 2)
    out["stk-cap-0"] = patch(good, base + 4, "<I", 0)
    out["stk-reserved"] = patch(good, base + 12, "<I", 1)
    # Rings.
    base = off["rng"]
    out["ring-read-ahead"] = patch(good, base, "<QQ", 8, 24)
    out["ring-too-full"] = patch(good, base, "<QQ", 1000, 0)
    out["ring-partial-elem"] = patch(good, base, "<QQ", 13, 0)
    out["ring-wrap"] = patch(good, base, "<QQ", 2 ** 64 - 8, 2 ** 64 - 24)
    out["ring-cap-not-multiple"] = patch(good, base + 16, "<II", 30, 8)
    out["ring-esz-over-cap"] = patch(good, base + 16, "<II", 32, 64)
    # Maps and sets.
    base = off["prices"]
    out["map-size-over-cap"] = patch(good, base, "<I", 99)
    out["map-state-bad"] = patch(good, base + 16, "<I", 7)
    out["map-all-tombstones"] = patch(good, base, "<I", 0)[:base + 16] + b"".join(
        struct.pack("<Iid", 2, i, 0) for i in range(8)) + good[base + 16 + 128:]
    out["map-all-inserting"] = good[:base + 16] + b"".join(
        struct.pack("<Iid", 3, i, 0) for i in range(8)) + good[base + 16 + 128:]
    out["map-ksz-0"] = patch(good, base + 8, "<I", 0)
    out["map-vsz-huge"] = patch(good, base + 12, "<I", 0xFFFFFFF0)
    out["set-reserved"] = patch(good, off["members"] + 12, "<I", 1)
    out["set-state-bad"] = patch(good, off["members"] + 16 + 16, "<I", 4)
    # Pools.
    base = off["nodes"]
    out["pool-head-out"] = patch(good, base, "<Q", 99)
    out["pool-next-out"] = patch(good, base + 24 + 8, "<I", 1234)
    out["pool-self-loop"] = patch(good, base + 24 + 16 + 8, "<I", 1)
    out["pool-alloc-over"] = patch(good, base + 8, "<I", 0xFFFFFFFF)
    out["pool-esz-0"] = patch(good, base + 20, "<I", 0)
    out["pool-cap-huge"] = patch(good, base + 16, "<I", 0x80000001)
    # Synchronization words.
    out["sem-count-neg"] = patch(good, off["sem"], "<i", -5)
    out["sem-max-neg"] = patch(good, off["sem"] + 8, "<i", -1)
    out["sem-over-max"] = patch(good, off["sem"], "<i", 100)
    out["mtx-count-2"] = patch(good, off["mtx"], "<i", 2)
    out["bar-participants-0"] = patch(good, off["bar"] + 8, "<i", 0)
    out["bar-arrived-over"] = patch(good, off["bar"], "<i", 50)
    out["lat-initial-neg"] = patch(good, off["lat"] + 4, "<i", -3)
    out["lat-count-neg"] = patch(good, off["lat"], "<i", -3)
    out["once-state-7"] = patch(good, off["once"], "<I", 7)
    out["once-executing"] = patch(good, off["once"], "<I", 1)
    out["ev-mode-5"] = patch(good, off["ev"] + 4, "<I", 5)
    out["ev-no-sem"] = patch(good, entry_at(idx["ev_sem"]), "32s", b"ev_xxx")
    out["ev-sem-wrong-size"] = patch(good, entry_at(idx["ev_sem"]) + 40, "<Q", 8)
    out["rw-readers-neg"] = patch(good, off["rw_state"], "<ii", -4, 0)
    out["rw-writer-stuck"] = patch(good, off["rw_state"], "<ii", 0, 1)
    out["rw-rmtx-held"] = patch(good, off["rw_rmtx"], "<i", 0)
    out["rw-no-wmtx"] = patch(good, entry_at(idx["rw_wmtx"]), "32s", b"zz")
    out["mon-mtx-neg"] = patch(good, off["mon_mtx"], "<i", -1)
    out["mon-count-huge"] = patch(good, off["mon_count"], "<I", 0xFFFFFFFF)
    out["sig-state-small"] = patch(good, entry_at(idx["sig_state"]) + 40, "<Q", 4)
    out["sig-mtx-held"] = patch(good, off["sig_mtx"], "<i", 0)
    out["sig-mtx-neg"] = patch(good, off["sig_mtx"], "<i", -2)
    out["sig-marker-big"] = patch(good, entry_at(idx["sig"]) + 40, "<Q", 16)
    # The catalogue.
    cat_i, cat = idx[".catalog"], off[".catalog"]
    out["cat-bad-magic"] = patch(good, cat, "<I", 0)
    out["cat-cap-huge"] = patch(good, cat + 8, "<I", 0xFFFFFFFF)
    out["cat-count-huge"] = patch(good, cat + 12, "<I", 0xFFFFFFFF)
    out["cat-tiny-entry"] = patch(good, entry_at(cat_i) + 40, "<Q", 4)
    out["cat-zero-entry"] = patch(good, entry_at(cat_i) + 40, "<Q", 0)
    rec0 = cat + 16
    out["cat-type-no-nul"] = patch(good, rec0 + 48, "64s", b"f" * 64)
    out["cat-type-wrong-size"] = patch(good, rec0 + 48, "64s", b"f64")
    out["cat-type-garbage"] = patch(good, rec0 + 48, "64s", b"f32,,\xff bytes0 str01")
    out["cat-type-huge"] = patch(good, rec0 + 48, "64s", b"bytes1048576")
    out["cat-kind-wrong"] = patch(good, rec0 + 40, "<I", KIND["queue"])
    out["cat-kind-huge"] = patch(good, rec0 + 40, "<I", 0xFFFFFFFF)
    out["cat-name-no-nul"] = patch(good, rec0, "32s", b"t" * 32)
    out["cat-stale-offset"] = patch(good, rec0 + 32, "<Q", 8)
    out["cat-map-type-bad"] = patch(good, rec0 + 5 * 112 + 48, "64s", b"i32:f64:u8")
    out["cat-map-type-nocolon"] = patch(good, rec0 + 5 * 112 + 48, "64s", b"bytes12")
    # A catalogue as the last entry of the segment, cut short: the reads of
    # its header must stay inside it.
    s2 = Seg(4)
    a = s2.add("a", array(2, 4))
    s2.add(".catalog", catalog([("a", a, 1, "f32")]), size=4)
    out["cat-at-end-short"] = s2.image(memory_size=align(s2.next, 8))
    # The smallest entry of every kind at the very end of the segment.
    for kind, data in (("array", array(1, 1)), ("queue", queue(2, 1)), ("stack", stack(1, 1)),
                       ("ring", ring(1, 1)), ("pool", pool(1, 1, 1)),
                       ("map", htab(1, 1, 1, 1, 1, {})), ("once", once()), ("sem", sem())):
        s3 = Seg(2)
        s3.add("x", data)
        img = s3.image()
        out["tail-" + kind] = img
        for cut in (4, 1):
            s4 = Seg(2)
            s4.add("x", data, size=max(len(data) - cut, 0))
            out["tail-%s-short%d" % (kind, cut)] = s4.image(memory_size=s4.next, file_size=s4.next)
    # Big shapes in small segments.
    s5 = Seg(2)
    s5.add("big", array(1, 4096, b"\x41" * 4096))
    out["array-4096-byte-elem"] = s5.image()
    s6 = Seg(2)
    s6.add("wide", queue(2, 1 << 14))
    out["queue-wide-elem"] = s6.image()
    return out


def vector_seeds(vectors):
    out = {}
    for fn in sorted(os.listdir(vectors)) if os.path.isdir(vectors) else []:
        if not fn.endswith(".seg"):
            continue
        with open(os.path.join(vectors, fn), "rb") as f:
            img = f.read()
        # Cut to the used part: memory_size = next_offset.
        nxt = struct.unpack_from("<Q", img, 24)[0]
        used = align(nxt, 8)
        out["vec-" + fn[:-4] + "-cut"] = patch(img[:used], 16, "<Q", used)
    return out


def codec_seeds():
    seeds = {
        "i8": "i8\n0\n-128\n127\n128\n-0x80\n0x7f\n007\n\n +5 \n",
        "u64": "u64\n18446744073709551615\n0xFFFFFFFFFFFFFFFF\n18446744073709551616\n-0\n-1\n",
        "i64": "i64\n-9223372036854775808\n9223372036854775807\n-0x8000000000000000\n",
        "f32": "f32\n0.1\n1e39\n-1e-46\n1.17549435e-38\n1e-45\n3.4028235e38\nnan\n-nan\ninf\n-Infinity\n0x1p3\n",
        "f64": "f64\n0.1\n5e-324\n1e308\n1.7976931348623157e308\n2.2250738585072014e-308\n"
               "-0\n1e16\n9999999999999998\n0.0001\n0.00001\n123456789012345680000\n.5\n5.\n1e\n",
        "str8": "str8\nhello\n\\x00abc\ntab\\there\n12345678\n123456789\n\\n\\\\\\t\\x7F\\xff\n  spaced  \r\n\\q\n",
        "bytes4": "bytes4\ndeadbeef\nDEADBEEF\ndeadbee\n0x12345678\n",
        "record": "f32,f32,u64\n1 2 3\n1\t2\r 3\n1 2\n1 2 3 4\nnan -nan 0\n",
        "record-str": "str3, u8 ,str2\n\\x00 7 \\x20\\x20\nab 1 c\nabcd 1 c\n",
        "record-many": ",".join(["u8"] * 16) + "\n" + " ".join(["255"] * 16) + "\n",
        "record-17": ",".join(["u8"] * 17) + "\n1\n",
        "spec-bad": "f32,\n1\n",
        "spec-zero": "str0\nx\n",
        "spec-lead0": "bytes01\n00\n",
        "spec-huge": "bytes1048577\n00\n",
        "spec-max": "str1048576\nx\n",
        "spec-space": " i16 , u16 \n-1 65535\n",
        "bytes-raw": "bytes16\n" + "00" * 16 + "\n\x00\xff\x80\x7f" * 4,
        "f64-raw": "f64\n\n" + "\x00\x00\x00\x00\x00\x00\xf8\x7f\x01\x00\x00\x00\x00\x00\xf0\xff",
        "str-raw": "str4\n\n\x00abc\x01\x7f\xff\\",
    }
    return {"seed-" + k: v.encode("latin-1") for k, v in seeds.items()}


def write(dirname, files):
    os.makedirs(dirname, exist_ok=True)
    for fn in os.listdir(dirname):
        if fn.startswith("seed-"):
            os.remove(os.path.join(dirname, fn))
    for name, data in files.items():
        with open(os.path.join(dirname, name if name.startswith("seed-") else "seed-" + name),
                  "wb") as f:
            f.write(data)


def main():
    vectors = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..",
                                                                 "shared", "vectors")
    seg = segment_seeds()
    seg.update(vector_seeds(vectors))
    write(SEG_DIR, seg)
    write(CODEC_DIR, codec_seeds())
    print("make_corpus.py: %d segment seeds, %d codec seeds" % (len(seg), len(codec_seeds())))


if __name__ == "__main__":
    main()
