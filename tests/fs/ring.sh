#!/usr/bin/env bash
# Rings through the mount: reads consume oldest first, writes append, a
# full ring fails a write with ENOSPC and takes nothing, binary records,
# and a ring written by the public C++ code read after declaring its type.
. "$(dirname "$0")/harness.sh"

fs_mount "size=4M"
fs_mkseg s; D=$SEG
fs_create "$D" 'ring r i16 8'
R=$D/r

expect_xattr "a new ring" "$R" kind ring
expect_xattr "its capacity, in elements" "$R" capacity 8
expect_xattr "its type" "$R" type i16
expect_ok "seq 1 5 > '$R'"
expect_xattr "after five writes" "$R" count 5
expect_eq "st_size is count x element size" 10 "$(stat -c %s "$R")"
expect_eq "cat consumes oldest first" "$(lines 1 5)" "$(cat "$R")"
expect_xattr "after cat" "$R" count 0
expect_eq "an empty ring reads as end of file" "" "$(cat "$R")"

# Wrap around the end of the buffer several times.
for round in 1 2 3; do
  seq 1 7 >"$R"
  expect_eq "round $round: seven in, seven out" "$(lines 1 7)" "$(cat "$R")"
done

# Full: one write that does not fit takes nothing.
seq 1 6 >"$R"
expect_eq "a write of three more than fit" "ENOSPC ok" "$("${FSIO[@]}" write "$R" '7\n8\n9\n')"
expect_xattr "after the refused write" "$R" count 6
expect_eq "a write that fits exactly" "4 ok" "$("${FSIO[@]}" write "$R" '7\n8\n')"
expect_errno EINVAL "echo 40000 > '$R'"
expect_xattr "after an out-of-range value" "$R" count 8
expect_eq "contents" "$(lines 1 8)" "$(cat "$R")"

# bash's read builtin takes one byte at a time: every element once.
seq 10 15 >"$R"
got=$(while read -r x; do printf '%s,' "$x"; done <"$R")
expect_eq "while read takes each element once" "10,11,12,13,14,15," "$got"

# A ring the public C++ implementation wrote.
VEC=${ZEROIPC_VECTORS:-$FS_DIR/../../../shared/vectors}
cp "$VEC/cpp_all.seg" "$(shm cpp)"
C=$(seg cpp)
expect_xattr "the C++ ring is inferred" "$C/ring_i32" kind ring
expect_xattr "its type is unknown" "$C/ring_i32" type bytes4
expect_ok "setfattr -n user.zeroipc.type -v i32 '$C/ring_i32'"
expect_eq "its unread elements" "$(printf '200\n300\n400\n500')" "$(cat "$C/ring_i32")"

# Binary records.
fs_remount "binary,size=4M"
printf '\x01\x00\x02\x00\x03\x00' >"$R"
expect_xattr "three records written" "$R" count 3
expect_eq "records read back" "010002000300" "$(od -An -tx1 "$R" | tr -d ' \n')"

fs_done
