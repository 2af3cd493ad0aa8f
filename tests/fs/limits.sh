#!/usr/bin/env bash
# Limits: writes far larger than any element list (64 MiB without a
# newline, 64 MiB of lines into a small queue, a thousand writes that
# never end a line) are refused without the daemon keeping them (its
# VmRSS is watched); xattr values of any length; capacities that
# overflow; names too long or with bytes no name can have.
. "$(dirname "$0")/harness.sh"

fs_mount
fs_mkseg s; D=$SEG
fs_create "$D" 'queue q i32 16'
fs_create "$D" 'queue small u8 4'
fs_create "$D" 'queue s str64 4'
Q=$D/q

# The daemon's resident memory, in KiB.
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$FS_PID/status"; }
# rss_ok DESC BEFORE_KIB : the daemon grew by 8 MiB at most since BEFORE.
rss_ok() {
  local now
  now=$(rss)
  expect_match "$1: the daemon's VmRSS grew by $(( now - $2 )) KiB (8 MiB at most)" '^1$' \
    "$(( now - $2 <= 8192 ))"
}

# big.py PATH MODE... : writes through one open file and prints what the
# system calls said.
#   one SIZE UNIT     one write() of SIZE bytes made of UNIT repeated
#   many N SIZE UNIT  N write()s of SIZE bytes; stops at the first error:
#                     "I ERRNAME" (I: the index of the failing write), or
#                     "N ok"
cat >"$T/big.py" <<'EOF'
import errno, os, sys
def en(e): return errno.errorcode.get(e.errno, str(e.errno))
path, mode = sys.argv[1], sys.argv[2]
fd = os.open(path, os.O_WRONLY)
if mode == "one":
    size, unit = int(sys.argv[3]), sys.argv[4].encode().decode("unicode_escape").encode()
    data = (unit * (size // len(unit) + 1))[:size]
    try:
        print("wrote", os.write(fd, data))
    except OSError as e:
        print(en(e))
    del data
else:
    n, size = int(sys.argv[3]), int(sys.argv[4])
    unit = sys.argv[5].encode()
    data = (unit * (size // len(unit) + 1))[:size]
    res = "%d ok" % n
    for i in range(n):
        try:
            os.write(fd, data)
        except OSError as e:
            res = "%d %s" % (i, en(e))
            break
    print(res)
try:
    os.close(fd)
except OSError as e:
    print("close", en(e))
EOF
big() { timeout -s KILL 60 python3 "$T/big.py" "$@" 2>&1; }

seq 1 2 >"$Q"
r0=$(rss)
expect_eq "one write() of 64 MiB of digits, no newline" "EINVAL" "$(big "$Q" one $((64 << 20)) 7 | head -n 1)"
rss_ok "64 MiB without a newline" "$r0"
expect_eq "one write() of 64 MiB of lines into a queue of 4" "ENOSPC" \
  "$(big "$D/small" one $((64 << 20)) '1\n' | head -n 1)"
rss_ok "64 MiB of lines" "$r0"
expect_match "one write() of 64 MiB of one long string line" '^(EINVAL|E2BIG)$' \
  "$(big "$D/s" one $((64 << 20)) 'abcdefgh' | head -n 1)"
rss_ok "a 64 MiB string" "$r0"
# Nothing accumulates across the writes of one open file.
res=$(big "$Q" many 1000 65536 7 | head -n 1)
expect_match "1000 writes of 64 KiB without a newline fail with EINVAL (got '$res')" '^[0-9]+ EINVAL$' "$res"
res=$(big "$Q" many 1000 16 7 | head -n 1)
expect_match "1000 writes of 16 bytes without a newline fail with EINVAL (got '$res')" '^[0-9]+ EINVAL$' "$res"
expect_match "... within the first 2 KiB (write ${res%% *})" '^1$' "$(( ${res%% *} * 16 <= 2048 ))"
res=$(big "$D/s" many 1000 16 x | head -n 1)
expect_match "the same into a str64 queue (got '$res')" '^[0-9]+ EINVAL$' "$res"
res=$(big "$D/.create" many 1000 65536 x | head -n 1)
expect_match "1000 writes of 64 KiB into .create, no newline (got '$res')" '^[0-9]+ EINVAL$' "$res"
res=$(big "$D/.create" many 1000 16 x | head -n 1)
expect_match "1000 writes of 16 bytes into .create, no newline (got '$res')" '^[0-9]+ EINVAL$' "$res"
expect_match "... within the first 4 KiB (write ${res%% *})" '^1$' "$(( ${res%% *} * 16 <= 4096 + 16 ))"
rss_ok "the many writes" "$r0"
expect_xattr "the queue after all that" "$Q" count 2
expect_xattr "the small queue after all that" "$D/small" count 0
expect_eq "the daemon still serves" "$(lines 1 2)" "$(cat "$Q")"

# ---- xattrs -----------------------------------------------------------------------

cat >"$T/xa.py" <<'EOF'
import ctypes, errno, os, sys
libc = ctypes.CDLL(None, use_errno=True)
def en(e): return errno.errorcode.get(e, str(e))
op, path = sys.argv[1], sys.argv[2]
if op == "set":                     # set PATH NAME LEN
    name, n = sys.argv[3], int(sys.argv[4])
    try:
        os.setxattr(path, name, b"i" * n)
        print("ok")
    except OSError as e:
        print(en(e.errno))
elif op == "get":                   # get PATH NAME SIZE (the C call)
    name, n = sys.argv[3].encode(), int(sys.argv[4])
    buf = ctypes.create_string_buffer(max(n, 1))
    r = libc.getxattr(path.encode(), name, buf, ctypes.c_size_t(n))
    print(r if r >= 0 else en(ctypes.get_errno()))
elif op == "list":                  # list PATH SIZE
    n = int(sys.argv[3])
    buf = ctypes.create_string_buffer(max(n, 1))
    r = libc.listxattr(path.encode(), buf, ctypes.c_size_t(n))
    print(r if r >= 0 else en(ctypes.get_errno()))
elif op == "pyget":                 # pyget PATH NAME
    print(os.getxattr(path, sys.argv[3]).decode())
EOF
xa() { python3 "$T/xa.py" "$@" 2>&1; }
for n in 65536 65537 1000000; do
  expect_match "setxattr user.zeroipc.type, $n bytes" '^(E2BIG|ERANGE|EINVAL)$' "$(xa set "$Q" user.zeroipc.type $n)"
  expect_match "setxattr user.zeroipc.kind, $n bytes" '^(E2BIG|ERANGE|EINVAL)$' "$(xa set "$Q" user.zeroipc.kind $n)"
done
expect_match "setxattr of user.zeroipc.type with 4096 bytes" '^(E2BIG|ERANGE|EINVAL)$' "$(xa set "$Q" user.zeroipc.type 4096)"
expect_match "setxattr of an unknown attribute, 64 KiB" '^(EOPNOTSUPP|ENOTSUP|E2BIG|ERANGE)$' \
  "$(xa set "$Q" user.other 65536)"
expect_errno EINVAL "setfattr -n user.zeroipc.type -v \"\$(head -c 65536 /dev/zero | tr '\\\\0' i)\" '$Q'"
expect_xattr "the type after the long values" "$Q" type i32
expect_xattr "the kind after the long values" "$Q" kind queue
expect_eq "os.getxattr" i32 "$(xa pyget "$Q" user.zeroipc.type)"
expect_eq "getxattr with size 0: the length" 3 "$(xa get "$Q" user.zeroipc.type 0)"
expect_eq "getxattr with a 1-byte buffer" ERANGE "$(xa get "$Q" user.zeroipc.type 1)"
expect_eq "getxattr of the kind with a 1-byte buffer" ERANGE "$(xa get "$Q" user.zeroipc.kind 1)"
expect_eq "getxattr of a segment's size with a 1-byte buffer" ERANGE "$(xa get "$D" user.zeroipc.size 1)"
expect_eq "listxattr with a 1-byte buffer" ERANGE "$(xa list "$Q" 1)"
expect_match "listxattr with size 0" '^[0-9]+$' "$(xa list "$Q" 0)"
expect_match "getxattr of a 300-byte name" '^(ERANGE|ENODATA|ENAMETOOLONG)$' \
  "$(xa get "$Q" "user.$(printf 'n%.0s' $(seq 300))" 100)"

# ---- capacities and names in .create ----------------------------------------------

used0=$(xattr "$D" used)
table0=$(fs_table "$D")
r0=$(rss)
for line in 'queue big i32 4294967296' 'queue big i32 99999999999999999999' \
            'queue big i64 2305843009213693952' 'queue big bytes4096 4503599627370496' \
            'queue big i32 18446744073709551615' 'stack big i32 4611686018427387904' \
            'array big u8 18446744073709551615' 'ring big i64 1152921504606846976' \
            'map big i64:i64 1152921504606846976' 'set big i64 4294967296' \
            'channel big i32 4294967296'; do
  res=$("${FSIO[@]}" write "$D/.create" "$line\\n")
  expect_match "'$line': refused" '^(ENOSPC|EINVAL|EOVERFLOW|E2BIG|ENOMEM) ok$' "$res"
done
rss_ok "huge capacities" "$r0"
expect_eq "huge capacities used nothing (user.zeroipc.used)" "$used0" "$(xattr "$D" used)"
expect_eq "huge capacities made nothing (.table)" "$table0" "$(fs_table "$D")"
n31=$(printf 'n%.0s' $(seq 31)) n32=$(printf 'n%.0s' $(seq 32)) n200=$(printf 'n%.0s' $(seq 200))
expect_ok "echo 'queue $n31 i32 2' > '$D/.create'"
expect_xattr "a 31-byte name" "$D/$n31" kind queue
expect_errno ENAMETOOLONG "echo 'queue $n32 i32 2' > '$D/.create'"
expect_errno ENAMETOOLONG "echo 'queue $n200 i32 2' > '$D/.create'"
expect_errno ENAMETOOLONG "stat '$D/$n32'"
expect_errno ENAMETOOLONG "stat '$D/$n200'"
expect_eq "a name with '/'" "EINVAL ok" "$("${FSIO[@]}" write "$D/.create" 'queue a/b i32 2\n')"
expect_eq "a name with a newline" "EINVAL ok" "$("${FSIO[@]}" write "$D/.create" 'queue a\nb i32 2\n')"
expect_eq "a name with a NUL" "EINVAL ok" "$("${FSIO[@]}" write "$D/.create" 'queue a\x00b i32 2\n')"
expect_eq "a name with a tab" "EINVAL ok" "$("${FSIO[@]}" write "$D/.create" 'queue a\tb i32 2\n')"
expect_eq "a name that is '..'" "EINVAL ok" "$("${FSIO[@]}" write "$D/.create" 'queue .. i32 2\n')"
expect_eq "a line of 10 000 words" "EINVAL ok" \
  "$("${FSIO[@]}" write "$D/.create" "$(printf 'w %.0s' $(seq 10000))\\n")"
expect_eq "names refused made nothing" "$(printf '%s\n' "$n31" q s small)" "$(ls "$D")"

# ---- mkdir --------------------------------------------------------------------------

fill() { local n=$(( $1 - ${#PREFIX} )); printf '%s%s' "$PREFIX" "$(head -c "$n" /dev/zero | tr '\0' m)"; }
n255=$(fill 255) n256=$(fill 256) n4000=$(fill 4000)
expect_ok "mkdir '$MNT/$n255'"
expect_ok "test -f '/dev/shm/$n255'"
expect_ok "echo 'queue q i32 2' > '$MNT/$n255/.create'"
expect_ok "rmdir '$MNT/$n255'"
check_not "the 255-byte segment is gone" test -e "/dev/shm/$n255"
expect_errno ENAMETOOLONG "mkdir '$MNT/$n256'"
expect_errno ENAMETOOLONG "mkdir '$MNT/$n4000'"
expect_errno ENAMETOOLONG "ls '$MNT/$n256'"
expect_eq "nothing left of the long names" "${PREFIX}s" "$(ls "$MNT")"

fs_done
