#!/usr/bin/env bash
# Reads that pop: whatever the reader's buffer size, every element comes
# out exactly once (bash's read takes one byte at a time, dd bs=1 too);
# -o one_per_read lets head -n N take exactly N.
. "$(dirname "$0")/harness.sh"

fs_mount
fs_mkseg s; D=$SEG
fs_create "$D" 'queue q i64 1024'
fs_create "$D" 'stack st i64 1024'
fs_create "$D" 'queue w str16 64'
Q=$D/q ST=$D/st

# while read: one byte per read(), so elements are handed out in pieces.
seq -1000 7 999 >"$Q"
n=0 sum=0 got=()
while read -r x; do
  n=$((n + 1)); sum=$((sum + x)); got+=("$x")
done <"$Q"
expect_eq "while read: elements" "$(seq -1000 7 999 | wc -l)" "$n"
expect_eq "while read: sum" "$(seq -1000 7 999 | paste -sd+ | bc)" "$sum"
expect_eq "while read: order" "$(seq -1000 7 999)" "$(printf '%s\n' "${got[@]}")"
expect_xattr "after while read" "$Q" count 0

# Several readers in turn on one open descriptor: read -r x < doesn't reopen.
seq 1 6 >"$Q"
{
  read -r a; read -r b; read -r c
  rest=$(cat)
} <"$Q"
expect_eq "three reads then cat on one descriptor" "1 2 3 | $(lines 4 6)" "$a $b $c | $rest"
expect_xattr "all taken" "$Q" count 0

# A stack the same way: newest first.
seq 1 300 >"$ST"
got=()
while read -r x; do got+=("$x"); done <"$ST"
expect_eq "while read on a stack" "$(seq 300 -1 1)" "$(printf '%s\n' "${got[@]}")"

# dd with one-byte and odd-sized reads.
seq 1 500 >"$Q"
dd if="$Q" of="$T/out1" bs=1 status=none
expect_eq "dd bs=1 takes every element once" "$(lines 1 500)" "$(cat "$T/out1")"
expect_xattr "after dd bs=1" "$Q" count 0
seq 1000 1500 >"$Q"
dd if="$Q" of="$T/out3" bs=3 status=none
expect_eq "dd bs=3" "$(lines 1000 1500)" "$(cat "$T/out3")"
# Strings with escapes: the text of one element is longer than its bytes.
printf '%s\n' 'a\tb' 'back\\slash' 'x\x01y' '0123456789abcdef' >"$D/w"
dd if="$D/w" of="$T/outw" bs=2 status=none
expect_eq "dd bs=2 on strings" "$(printf '%s\n' 'a\tb' 'back\\slash' 'x\x01y' '0123456789abcdef')" "$(cat "$T/outw")"

# A read whose buffer holds some elements but not all takes only those:
# 10 bytes hold three 3-byte lines, and the fourth is not begun (it would
# be lost with the open file).
seq 10 19 >"$Q"
expect_eq "one read of 10 bytes" "$(printf '10\n11\n12\n.')" "$("${FSIO[@]}" read "$Q" 10; echo .)"
expect_xattr "after a 10-byte read" "$Q" count 7
# ... and a buffer smaller than one element gets it in pieces, popping
# no other element meanwhile.
cat "$Q" >/dev/null
seq 13 19 >"$Q"
expect_eq "three reads of 1 byte" "$(printf '13\n.')" "$("${FSIO[@]}" read "$Q" 1 3; echo .)"
expect_xattr "after three 1-byte reads" "$Q" count 6
expect_eq "the rest" "$(lines 14 19)" "$(cat "$Q")"

# one_per_read: head -n 3 takes exactly three.
fs_remount one_per_read
seq 1 10 >"$Q"
expect_eq "head -n 3 with one_per_read" "$(lines 1 3)" "$(head -n 3 "$Q" 2>/dev/null)"
expect_xattr "after head -n 3" "$Q" count 7
expect_eq "one read() returns one element" "4" "$("${FSIO[@]}" read "$Q" 4096)"
expect_xattr "after one read" "$Q" count 6
n=0
while read -r x; do n=$((n + 1)); done <"$Q"
expect_eq "while read with one_per_read" 6 "$n"
seq 1 10 >"$ST"
expect_eq "head -n 2 of a stack with one_per_read" "$(printf '10\n9')" "$(head -n 2 "$ST" 2>/dev/null)"
expect_xattr "stack after head -n 2" "$ST" count 8

fs_done
