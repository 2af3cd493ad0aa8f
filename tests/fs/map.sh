#!/usr/bin/env bash
# Maps through the mount: KEY<TAB>VALUE lines read without consuming,
# written to insert or replace, a key alone to erase; a full map or a bad
# line changes nothing; cat written back recreates a map; the C++ map.
. "$(dirname "$0")/harness.sh"

fs_mount "size=4M"
fs_mkseg s; D=$SEG
fs_create "$D" 'map m i32:f64 4'
M=$D/m

expect_xattr "a new map" "$M" kind map
expect_xattr "its type" "$M" type i32:f64
expect_xattr "its capacity, in slots" "$M" capacity 4
expect_xattr "empty" "$M" count 0
expect_ok "printf '1\t1.5\n2\t2.5\n' > '$M'"
expect_xattr "after two inserts" "$M" count 2
expect_eq "cat shows key TAB value" "$(printf '1\t1.5\n2\t2.5' | sort)" "$(cat "$M" | sort)"
expect_eq "cat consumes nothing" "$(printf '1\t1.5\n2\t2.5' | sort)" "$(cat "$M" | sort)"
expect_ok "printf '1\t9.25\n' > '$M'"
expect_eq "a key written again replaces its value" "$(printf '1\t9.25\n2\t2.5' | sort)" "$(cat "$M" | sort)"
expect_xattr "after the replace" "$M" count 2
expect_ok "printf '2\n' > '$M'"
expect_eq "a key alone erases it" "$(printf '1\t9.25')" "$(cat "$M")"
expect_ok "printf '5\n' > '$M'"
expect_xattr "erasing an absent key changes nothing" "$M" count 1

# Full: three new keys do not fit in three free slots... four do not.
expect_eq "a write of more new keys than free slots" "ENOSPC ok" \
  "$("${FSIO[@]}" write "$M" '10\t1\n11\t1\n12\t1\n13\t1\n')"
expect_xattr "after the refused write" "$M" count 1
expect_eq "replacing and erasing make room in order" "26 ok" \
  "$("${FSIO[@]}" write "$M" '1\t2\n1\n10\t1\n11\t1\n12\t1\n13\t1\n')"
expect_xattr "full" "$M" count 4
expect_ok "printf '13\n' > '$M'"
expect_eq "one bad line fails the whole write" "EINVAL ok" "$("${FSIO[@]}" write "$M" '20\t1\n21\tx\n')"
expect_errno EINVAL "printf '99999999999\t1\n' > '$M'"
expect_xattr "a bad line changes nothing" "$M" count 3

# cat, written back into an empty map, recreates it.
fs_create "$D" 'map s str8:i64,f32 8'
fs_create "$D" 'map s2 str8:i64,f32 8'
expect_ok "printf 'a b\t-1 0.5\n\t7 1e+20\nx!\\\\t\t3 -0\n' > '$D/s'"
expect_xattr "string keys, record values" "$D/s" count 3
cat "$D/s" >"$D/s2"
expect_eq "cat written back recreates the map" "$(sort <"$D/s")" "$(sort <"$D/s2")"
expect_eq "three entries" 3 "$(grep -c . <"$D/s2")"
fs_create "$D" 'map m2 i32:f64 4'
cat "$M" >"$D/m2"
expect_eq "and the numeric one" "$(sort <"$M")" "$(sort <"$D/m2")"

# .create refuses what a map cannot be.
expect_errno EINVAL "echo 'map bad i32 4' > '$D/.create'"
expect_errno EINVAL "echo 'map bad i32:nope 4' > '$D/.create'"

# The map the public C++ implementation wrote.
VEC=${ZEROIPC_VECTORS:-$FS_DIR/../../../shared/vectors}
cp "$VEC/cpp_all.seg" "$(shm cpp)"
C=$(seg cpp)
expect_xattr "the C++ map is inferred" "$C/map_i32_f64" kind map
expect_xattr "its type is unknown" "$C/map_i32_f64" type bytes4:bytes8
expect_xattr "its size" "$C/map_i32_f64" count 3
expect_errno EOPNOTSUPP "printf '00000000\t0000000000000000\n' > '$C/map_i32_f64'"
expect_errno EINVAL "setfattr -n user.zeroipc.type -v i64:f64 '$C/map_i32_f64'"
expect_errno EINVAL "setfattr -n user.zeroipc.type -v i32 '$C/map_i32_f64'"
expect_ok "setfattr -n user.zeroipc.type -v i32:f64 '$C/map_i32_f64'"
expect_xattr "declared" "$C/map_i32_f64" type i32:f64
expect_eq "its entries" "$(printf -- '-3\t-3.75\n1\t9.5\n17\t17.25')" "$(sort -n <"$C/map_i32_f64")"
expect_ok "printf '17\t1\n2\t4\n' > '$C/map_i32_f64'"
expect_eq "found where the C++ hash puts them" "$(printf -- '-3\t-3.75\n1\t9.5\n2\t4\n17\t1')" \
  "$(sort -n <"$C/map_i32_f64")"
expect_xattr "one inserted, one replaced" "$C/map_i32_f64" count 4

fs_done
