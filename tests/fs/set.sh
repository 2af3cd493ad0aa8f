#!/usr/bin/env bash
# Sets through the mount: one member per line, read without consuming,
# written lines add, !MEMBER removes; full sets and bad lines change
# nothing; cat written back recreates a set; the C++ set.
. "$(dirname "$0")/harness.sh"

fs_mount "size=4M"
fs_mkseg s; D=$SEG
fs_create "$D" 'set t u16 4'
S=$D/t

expect_xattr "a new set" "$S" kind set
expect_xattr "its type" "$S" type u16
expect_xattr "its capacity" "$S" capacity 4
expect_ok "printf '3\n1\n3\n' > '$S'"
expect_xattr "a member written twice is there once" "$S" count 2
expect_eq "cat lists the members" "$(printf '1\n3')" "$(sort -n <"$S")"
expect_eq "and consumes nothing" "$(printf '1\n3')" "$(sort -n <"$S")"
expect_ok "printf '!3\n!7\n' > '$S'"
expect_eq "!MEMBER removes it" "1" "$(cat "$S")"
expect_eq "a write of more new members than fit" "ENOSPC ok" \
  "$("${FSIO[@]}" write "$S" '2\n4\n5\n6\n')"
expect_xattr "after the refused write" "$S" count 1
expect_eq "one bad line fails the whole write" "EINVAL ok" "$("${FSIO[@]}" write "$S" '2\n70000\n')"
expect_errno EINVAL "printf '!x\n' > '$S'"
expect_xattr "a bad line changes nothing" "$S" count 1

# Strings, one that starts with !, and the round trip.
fs_create "$D" 'set w str8 8'
fs_create "$D" 'set w2 str8 8'
expect_ok "printf 'a b\n\\\\x21bang\n!nothing\nt\\\\tab\n' > '$D/w'"
expect_xattr "three members" "$D/w" count 3
expect_line "a member starting with ! is shown escaped" '\\x21bang' "$(cat "$D/w")"
cat "$D/w" >"$D/w2"
expect_eq "cat written back recreates the set" "$(sort <"$D/w")" "$(sort <"$D/w2")"
expect_ok "printf '!\\\\x21bang\n' > '$D/w2'"
expect_xattr "removed by its escaped text" "$D/w2" count 2

# The set the public C++ implementation wrote.
VEC=${ZEROIPC_VECTORS:-$FS_DIR/../../../shared/vectors}
cp "$VEC/cpp_all.seg" "$(shm cpp)"
C=$(seg cpp)
expect_xattr "the C++ set is inferred, not a stack" "$C/set_i32" kind set
expect_xattr "the C++ stack stays a stack" "$C/stk_i32" kind stack
expect_xattr "its type is unknown" "$C/set_i32" type bytes4
expect_errno EOPNOTSUPP "printf '05000000\n' > '$C/set_i32'"
expect_ok "setfattr -n user.zeroipc.type -v i32 '$C/set_i32'"
expect_eq "its members" "$(printf '3\n11\n42')" "$(sort -n <"$C/set_i32")"
expect_ok "printf '11\n5\n!42\n' > '$C/set_i32'"
expect_eq "found where the C++ hash puts them" "$(printf '3\n5\n11')" "$(sort -n <"$C/set_i32")"

fs_done
