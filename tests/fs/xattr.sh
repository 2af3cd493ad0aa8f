#!/usr/bin/env bash
# Extended attributes: getfattr -d on structures (kind, type, offset, size,
# capacity, count) and segment directories (size, used, entries,
# table_capacity, version), checked against /dev/shm; setfattr of .type
# (same size only), EPERM for the others, ENOTSUP for unknown names,
# EINVAL for malformed types.
. "$(dirname "$0")/harness.sh"

fs_mount "size=256K,entries=16"
fs_mkseg s; D=$SEG
fs_create "$D" 'queue jobs i64 16'
fs_create "$D" 'stack st u32 6'
fs_create "$D" 'array temps f32 8'
seq 1 3 >"$D/jobs"
seq 1 5 >"$D/st"

# The table as it is in /dev/shm: name -> offset size, and the header.
declare -A OFF SIZE
while read -r name off size; do OFF[$name]=$off; SIZE[$name]=$size; done < <(python3 - "$(shm s)" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack_from("<I", b, 8)[0]
for i in range(n):
    name, off, size = struct.unpack_from("<32sQQ", b, 32 + 48 * i)
    print(name.split(b"\0")[0].decode(), off, size)
EOF
)
hdr_u32() { od -An -tu4 -j"$1" -N4 "$(shm s)" | tr -d ' '; }
hdr_u64() { od -An -tu8 -j"$1" -N8 "$(shm s)" | tr -d ' '; }

# getfattr -d shows them all, with the right values.
dump=$(getfattr -d --absolute-names "$D/jobs")
for kv in 'kind="queue"' 'type="i64"' "offset=\"${OFF[jobs]}\"" 'size="208"' \
          'capacity="16"' 'count="3"'; do
  expect_line "getfattr -d of a queue" "user\.zeroipc\.$kv" "$dump"
done
expect_eq "table size of jobs" 208 "${SIZE[jobs]}"
dump=$(getfattr -d --absolute-names "$D/st")
for kv in 'kind="stack"' 'type="u32"' "offset=\"${OFF[st]}\"" 'size="64"' \
          'capacity="6"' 'count="5"'; do
  expect_line "getfattr -d of a stack" "user\.zeroipc\.$kv" "$dump"
done
dump=$(getfattr -d --absolute-names "$D/temps")
for kv in 'kind="array"' 'type="f32"' "offset=\"${OFF[temps]}\"" 'size="40"' 'capacity="8"'; do
  expect_line "getfattr -d of an array" "user\.zeroipc\.$kv" "$dump"
done
expect_eq "getfattr -n count" 3 "$(getfattr --absolute-names --only-values -n user.zeroipc.count "$D/jobs")"
cat "$D/jobs" >/dev/null
expect_xattr "count follows pops" "$D/jobs" count 0
echo 1 >"$D/st"
expect_xattr "count follows pushes" "$D/st" count 6

# Reading attributes consumes nothing and changes no byte of the segment.
sum1=$(sha256sum <"$(shm s)")
getfattr -d --absolute-names "$D/st" >/dev/null; getfattr -d --absolute-names "$D" >/dev/null; ls -l "$D" >/dev/null
expect_eq "getfattr and ls change nothing" "$sum1" "$(sha256sum <"$(shm s)")"

# The segment directory.
dump=$(getfattr -d --absolute-names "$D")
for kv in "size=\"$(hdr_u64 16)\"" "used=\"$(hdr_u64 24)\"" "entries=\"$(hdr_u32 8)\"" \
          'table_capacity="16"' 'version="2"'; do
  expect_line "getfattr -d of a segment" "user\.zeroipc\.$kv" "$dump"
done
expect_eq "segment size" 262144 "$(xattr "$D" size)"
expect_eq "entries = lines of .table" "$(fs_table "$D" | grep -c .)" "$(xattr "$D" entries)"
used1=$(xattr "$D" used)
fs_create "$D" 'array more u8 100'
expect_eq "used grows by the new structure" "$(( (used1 + 7) / 8 * 8 + 108 ))" "$(xattr "$D" used)"

# No such attribute: ENODATA.
expect_msg "No such attribute" "getfattr -n user.zeroipc.bogus '$D/jobs'"
expect_msg "No such attribute" "getfattr -n user.zeroipc.state '$D/jobs'"

# .kind takes only a kind the bytes can be (a queue is no semaphore);
# .offset, .size, .capacity and .count are not settable.
before=$(xattr "$D/st" kind)
expect_errno EINVAL "setfattr -n user.zeroipc.kind -v 1 '$D/st'"
expect_errno EINVAL "setfattr -n user.zeroipc.kind -v semaphore '$D/st'"
expect_xattr "after a refused kind" "$D/st" kind "$before"
for a in offset size capacity count; do
  before=$(xattr "$D/st" $a)
  expect_errno EPERM "setfattr -n user.zeroipc.$a -v 1 '$D/st'"
  expect_xattr "after a refused set" "$D/st" $a "$before"
done
for a in size used entries table_capacity version; do
  expect_errno EPERM "setfattr -n user.zeroipc.$a -v 1 '$D'"
done
expect_errno ENOTSUP "setfattr -n user.zeroipc.bogus -v 1 '$D/st'"
expect_errno ENOTSUP "setfattr -n user.other -v 1 '$D/st'"
expect_errno EINVAL "setfattr -n user.zeroipc.type -v i33 '$D/st'"
expect_errno EINVAL "setfattr -n user.zeroipc.type -v 'f32,' '$D/st'"
expect_errno EINVAL "setfattr -n user.zeroipc.type -v '' '$D/st'"
# A type of another size is refused; the type stays.
A=$D/temps
printf '%s\n' 1.5 -2 >"$A"
check_not "f32 -> f64 refused" setfattr -n user.zeroipc.type -v f64 "$A"
check_not "f32 -> u16 refused" setfattr -n user.zeroipc.type -v u16 "$A"
check_not "f32 -> str5 refused" setfattr -n user.zeroipc.type -v str5 "$A"
expect_xattr "after refused types" "$A" type f32
expect_eq "content after refused types" "$(printf '%s\n' 1.5 -2 0 0 0 0 0 0)" "$(cat "$A")"
# One of the same size is taken, and changes how the elements read.
expect_ok "setfattr -n user.zeroipc.type -v u32 '$A'"
expect_xattr "after setfattr" "$A" type u32
expect_eq "f32 bits read as u32" "$(printf '%s\n' 1069547520 3221225472 0 0 0 0 0 0)" "$(cat "$A")"
expect_ok "setfattr -n user.zeroipc.type -v bytes4 '$A'"
expect_eq "as bytes4" "$(printf '%s\n' 0000c03f 000000c0)" "$(head -n 2 "$A")"
expect_ok "setfattr -n user.zeroipc.type -v 'i16,u16' '$A'"
expect_xattr "a record of the same size" "$A" type 'i16,u16'
expect_eq "as i16,u16" "$(printf '%s\n' '0 16320' '0 49152')" "$(head -n 2 "$A")"
expect_ok "setfattr -n user.zeroipc.type -v f32 '$A'"
expect_eq "back to f32" "$(printf '%s\n' 1.5 -2)" "$(head -n 2 "$A")"
expect_ok "setfattr -n user.zeroipc.type -v i32 '$D/st'"
expect_eq "a stack retyped u32 -> i32" "$(printf '%s\n' 1 5 4)" "$(cat "$D/st" | head -n 3)"
expect_ok "setfattr -n user.zeroipc.type -v str4 '$A'"
# The type survives a remount (it is in the segment's catalogue).
fs_remount "size=256K,entries=16"
expect_xattr "after remount" "$A" type str4
expect_xattr "after remount" "$D/st" type i32

# Setting attributes is not removing them.
check_not "setfattr -x of type" setfattr -x user.zeroipc.type "$A"
expect_xattr "type after a refused remove" "$A" type str4

fs_done
