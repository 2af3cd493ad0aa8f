#!/usr/bin/env bash
# Every element type through a file: text in, text out, and the bytes the
# write left in /dev/shm.  Integers decimal (0x accepted on input), floats
# in their shortest round-trip form, strings with escapes, bytes in hex,
# records with natural C alignment.
. "$(dirname "$0")/harness.sh"

fs_mount
fs_mkseg s; D=$SEG

# raw_is DESC FILE FMT PYLIST: the array's data in /dev/shm is
# struct.pack(FMT, v) for each v of PYLIST (a tuple for records).
raw_is() {
  local off got
  off=$(( $(xattr "$2" offset) + 8 ))
  got=$(python3 - "$(shm s)" "$off" "$3" "$4" <<'EOF'
import struct, sys
path, off, fmt, vals = sys.argv[1], int(sys.argv[2]), sys.argv[3], eval(sys.argv[4])
want = b"".join(struct.pack(fmt, *(v if isinstance(v, tuple) else (v,))) for v in vals)
have = open(path, "rb").read()[off:off + len(want)]
print("ok" if have == want else "bytes %s, expected %s" % (have.hex(), want.hex()))
EOF
)
  expect_eq "$1: bytes in /dev/shm" ok "$got"
}

# tcase NAME TYPE ELEMSIZE 'IN LINES' 'OUT LINES'
tcase() {
  local name=$1 type=$2 esize=$3 in=$4 out=$5 n
  n=$(printf '%s\n' "$in" | wc -l)
  fs_create "$D" "array $name $type $n"
  expect_xattr "$type" "$D/$name" type "$type"
  expect_xattr "$type ($esize-byte elements)" "$D/$name" size $((8 + n * esize))
  expect_ok "printf '%s\n' '$in' > '$D/$name'"
  expect_eq "$type round trip" "$out" "$(cat "$D/$name")"
}

tcase ai8 i8 1 "$(printf '%s\n' -128 127 0 0x7f -0x80 -1)" "$(printf '%s\n' -128 127 0 127 -128 -1)"
raw_is i8 "$D/ai8" '<b' '[-128, 127, 0, 127, -128, -1]'
tcase ai16 i16 2 "$(printf '%s\n' -32768 32767 1000)" "$(printf '%s\n' -32768 32767 1000)"
raw_is i16 "$D/ai16" '<h' '[-32768, 32767, 1000]'
tcase ai32 i32 4 "$(printf '%s\n' -2147483648 2147483647 -1 0x10)" "$(printf '%s\n' -2147483648 2147483647 -1 16)"
raw_is i32 "$D/ai32" '<i' '[-2147483648, 2147483647, -1, 16]'
tcase ai64 i64 8 "$(printf '%s\n' -9223372036854775808 9223372036854775807 0)" \
                 "$(printf '%s\n' -9223372036854775808 9223372036854775807 0)"
raw_is i64 "$D/ai64" '<q' '[-2**63, 2**63-1, 0]'
tcase au8 u8 1 "$(printf '%s\n' 0 255 0xff 007)" "$(printf '%s\n' 0 255 255 7)"
raw_is u8 "$D/au8" '<B' '[0, 255, 255, 7]'
tcase au16 u16 2 "$(printf '%s\n' 0 65535 0xFFFF)" "$(printf '%s\n' 0 65535 65535)"
raw_is u16 "$D/au16" '<H' '[0, 65535, 65535]'
tcase au32 u32 4 "$(printf '%s\n' 4294967295 1)" "$(printf '%s\n' 4294967295 1)"
raw_is u32 "$D/au32" '<I' '[2**32-1, 1]'
tcase au64 u64 8 "$(printf '%s\n' 18446744073709551615 0 0xffffffffffffffff)" \
                 "$(printf '%s\n' 18446744073709551615 0 18446744073709551615)"
raw_is u64 "$D/au64" '<Q' '[2**64-1, 0, 2**64-1]'

# Floats: compared by bits, and no more digits than the shortest form.
F32='0.1 1.5 -2.25 3 1e30 3.4028235e38 1e-45 1024.5 -0 inf -inf nan'
fs_create "$D" "array af32 f32 12"
printf '%s\n' $F32 >"$D/af32"
out=$(cat "$D/af32")
expect_eq "f32 values shortest, same bits" ok "$("${FSIO[@]}" floats f32 "$F32" "$out")"
expect_eq "f32 0.1 prints as 0.1" "0.1" "$(printf '%s\n' "$out" | head -n 1)"
expect_eq "f32 3 prints without a fraction" "3" "$(printf '%s\n' "$out" | sed -n 4p)"
raw_is f32 "$D/af32" '<f' '[0.1, 1.5, -2.25, 3.0, 1e30, 3.4028235e38, 1e-45, 1024.5, -0.0, float("inf"), float("-inf"), float("nan")]'
F64='0.1 1e300 5e-324 -0 1024.5 123456789.125 2.5e-05 0.30000000000000004 -inf nan'
fs_create "$D" "array af64 f64 10"
printf '%s\n' $F64 >"$D/af64"
out=$(cat "$D/af64")
expect_eq "f64 values shortest, same bits" ok "$("${FSIO[@]}" floats f64 "$F64" "$out")"
expect_eq "f64 0.1 prints as 0.1" "0.1" "$(printf '%s\n' "$out" | head -n 1)"
raw_is f64 "$D/af64" '<d' '[0.1, 1e300, 5e-324, -0.0, 1024.5, 123456789.125, 2.5e-05, 0.30000000000000004, float("-inf"), float("nan")]'
expect_ok "echo 1.5e300 > '$D/af64'"
expect_eq "f64 1.5e300 shortest" ok "$("${FSIO[@]}" floats f64 1.5e300 "$(head -n 1 "$D/af64")")"

# Strings: escapes in and out, NUL padding in memory.
STR_IN=$(printf '%s\n' 'hello' 'a\tb' 'back\\slash' 'x\x01y' 'sixteen chars!!!' 'with space' 'nl\nx' 'é')
STR_OUT=$(printf '%s\n' 'hello' 'a\tb' 'back\\slash' 'x\x01y' 'sixteen chars!!!' 'with space' 'nl\nx' '\xc3\xa9')
tcase astr str16 16 "$STR_IN" "$STR_OUT"
raw_is str16 "$D/astr" '16s' "[b'hello', b'a\\tb', b'back\\\\slash', b'x\\x01y', b'sixteen chars!!!', b'with space', b'nl\\nx', 'é'.encode()]"

# Raw bytes in hex, either case on input.
tcase abytes bytes4 4 "$(printf '%s\n' deadbeef DEADBEEF 00000001)" "$(printf '%s\n' deadbeef deadbeef 00000001)"
raw_is bytes4 "$D/abytes" '4s' "[bytes.fromhex('deadbeef')] * 2 + [bytes.fromhex('00000001')]"

# Records: fields space-separated, natural alignment.
tcase arec 'f32,f32,u64' 16 "$(printf '%s\n' '1.5 -2 1000' '0.1  0	18446744073709551615')" \
                            "$(printf '%s\n' '1.5 -2 1000' '0.1 0 18446744073709551615')"
raw_is 'f32,f32,u64' "$D/arec" '<ffQ' '[(1.5, -2.0, 1000), (0.1, 0.0, 2**64-1)]'
tcase arec2 'u8,u32' 8 "$(printf '%s\n' '1 2' '255 4294967295')" "$(printf '%s\n' '1 2' '255 4294967295')"
raw_is 'u8,u32' "$D/arec2" '<BxxxI' '[(1, 2), (255, 2**32-1)]'
tcase arec3 'i16,f64' 16 "$(printf '%s\n' '-1 0.5')" "$(printf '%s\n' '-1 0.5')"
raw_is 'i16,f64' "$D/arec3" '<h6xd' '[(-1, 0.5)]'
tcase arec4 'u64,u8' 16 "$(printf '%s\n' '7 8')" "$(printf '%s\n' '7 8')"
tcase arec5 'str4,i8' 5 "$(printf '%s\n' 'ab -3')" "$(printf '%s\n' 'ab -3')"
raw_is 'str4,i8' "$D/arec5" '<4sb' "[(b'ab', -3)]"

# The same types through a queue and a stack.
fs_create "$D" 'queue qs str8 4'
printf '%s\n' 'one' 'two\ttab' >"$D/qs"
expect_eq "str8 queue" "$(printf '%s\n' 'one' 'two\ttab')" "$(cat "$D/qs")"
fs_create "$D" 'stack sr i8,f64 4'
printf '%s\n' '1 0.1' '-2 -0.5' >"$D/sr"
expect_eq "record stack" "$(printf '%s\n' '-2 -0.5' '1 0.1')" "$(cat "$D/sr")"

fs_done
