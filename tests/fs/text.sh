#!/usr/bin/env bash
# Queues, stacks and arrays in the text format (the default), through the
# shell and the standard tools: pushes, pops, orders, O_TRUNC, >>, a last
# line without a newline, a large cp, array assignment across writes, and
# the operations that must fail with EPERM and lose nothing.
. "$(dirname "$0")/harness.sh"

fs_mount "size=8M"
fs_mkseg s; D=$SEG
fs_create "$D" 'queue q i64 16'
fs_create "$D" 'stack st i32 16'
fs_create "$D" 'array a i32 5'
Q=$D/q ST=$D/st A=$D/a

# Queue: FIFO, cat consumes, an empty queue reads as end of file.
expect_ok "seq 1 5 > '$Q'"
expect_xattr "after seq 1 5" "$Q" count 5
wait_until 3 "[ \"\$(stat -c %s '$Q')\" = 40 ]"
expect_eq "st_size is count x element size" 40 "$(stat -c %s "$Q")"
expect_eq "cat pops oldest first" "$(lines 1 5)" "$(cat "$Q")"
expect_xattr "after cat" "$Q" count 0
expect_eq "cat of an empty queue" "" "$(cat "$Q")"
wait_until 3 "[ \"\$(stat -c %s '$Q')\" = 0 ]"
expect_eq "st_size of an empty queue" 0 "$(stat -c %s "$Q")"

# echo and printf; > (O_TRUNC) pushes and destroys nothing, >> the same.
echo 42 >"$Q"
echo 43 >"$Q"
echo -7 >>"$Q"
printf '%s\n' 100 200 >>"$Q"
printf '9\n10\n' >"$Q"
expect_xattr "after echo/printf with > and >>" "$Q" count 7
expect_eq "> never empties a queue" "$(printf '42\n43\n-7\n100\n200\n9\n10')" "$(cat <"$Q")"

# A last line without a newline is taken on close.
printf '7' >"$Q"
expect_xattr "after printf '7'" "$Q" count 1
printf '8\n9' >"$Q"
expect_eq "last lines without newline" "$(printf '7\n8\n9')" "$(cat "$Q")"
# ... and a line split across writes is joined.
expect_eq "split line: write '12', write '34\\n5', close" "2 4 ok" \
  "$("${FSIO[@]}" write "$Q" '12' '34\n5')"
expect_eq "split lines joined, last taken on close" "$(printf '1234\n5')" "$(cat "$Q")"

# Stack: LIFO.
seq 1 5 >"$ST"
echo 6 >"$ST"
expect_xattr "stack after pushes" "$ST" count 6
expect_eq "cat pops newest first" "$(printf '6\n5\n4\n3\n2\n1')" "$(cat "$ST")"
expect_xattr "stack after cat" "$ST" count 0
expect_eq "cat of an empty stack" "" "$(cat "$ST")"

# Array: cat shows every element and consumes nothing.
expect_eq "a new array is zero" "$(printf '0\n0\n0\n0\n0')" "$(cat "$A")"
printf '1\n2\n3\n' >"$A"
expect_eq "writes assign from element 0" "$(printf '1\n2\n3\n0\n0')" "$(cat "$A")"
expect_eq "cat again: nothing consumed" "$(printf '1\n2\n3\n0\n0')" "$(cat "$A")"
echo 9 >"$A"
expect_eq "> does not zero an array; a new open starts at 0" "$(printf '9\n2\n3\n0\n0')" "$(cat "$A")"
expect_eq "writes of one open file continue" "2 4 ok" "$("${FSIO[@]}" write "$A" '5\n' '6\n7\n')"
expect_eq "after two writes on one open" "$(printf '5\n6\n7\n0\n0')" "$(cat "$A")"
expect_eq "array line split across writes" "1 6 ok" "$("${FSIO[@]}" write "$A" '1' '23\n-4\n')"
expect_eq "after a split line" "$(printf '123\n-4\n7\n0\n0')" "$(cat "$A")"
(echo 11; echo 12; echo 13) >"$A"
expect_eq "a subshell's echos on one open file" "$(printf '11\n12\n13\n0\n0')" "$(cat "$A")"
seq 21 25 >"$A"
expect_eq "filled" "$(lines 21 25)" "$(cat "$A")"
check_not "more elements than the array holds fail" sh -c "seq 1 6 > '$A'"
expect_eq "a failed overlong write changed nothing" "$(lines 21 25)" "$(cat "$A")"
expect_eq "head of an array" "$(lines 21 23)" "$(head -n 3 "$A")"
wait_until 3 "[ \"\$(stat -c %s '$A')\" = 20 ]"
expect_eq "st_size of an array" 20 "$(stat -c %s "$A")"

# Queues are not seekable (reading consumes).
expect_eq "lseek on a queue" "ESPIPE" "$("${FSIO[@]}" lseek "$Q")"

# A large file: 200,000 lines, so lines are split across cp's writes.
fs_create "$D" 'queue big u32 262144'
seq 1 200000 >"$T/in"
expect_ok "cp '$T/in' '$D/big'"
expect_xattr "after cp of 200000 lines" "$D/big" count 200000
cat "$D/big" >"$T/out"
check "cat gives back what cp put in" cmp "$T/in" "$T/out"
expect_xattr "after cat" "$D/big" count 0
# The same through dd with an odd block size and through a redirection.
dd if="$T/in" of="$D/big" bs=1000 status=none
expect_xattr "after dd bs=1000" "$D/big" count 200000
cp "$D/big" "$T/out2"
check "cp out of the queue gives it back" cmp "$T/in" "$T/out2"

# rm, mv, ln, chmod, chown, truncate of a structure: EPERM, nothing lost.
seq 1 3 >"$Q"
seq 1 3 >"$ST"
for f in "$Q" "$ST" "$A"; do
  expect_errno EPERM "rm '$f'"
  expect_errno EPERM "rm -f '$f'"
  expect_errno EPERM "mv '$f' '$D/renamed'"
  expect_errno EPERM "ln '$f' '$D/linked'"
  expect_errno EPERM "chmod 0600 '$f'"
  expect_errno EPERM "chown 65534 '$f'"
  expect_errno EPERM "truncate -s 0 '$f'"
  expect_errno EPERM "truncate -s 100 '$f'"
done
check_not "nothing renamed" test -e "$D/renamed"
check_not "nothing linked" test -e "$D/linked"
expect_xattr "queue after EPERMs" "$Q" count 3
expect_xattr "stack after EPERMs" "$ST" count 3
expect_eq "queue content after EPERMs" "$(lines 1 3)" "$(cat "$Q")"
expect_eq "stack content after EPERMs" "$(printf '3\n2\n1')" "$(cat "$ST")"
expect_eq "array content after EPERMs" "$(lines 21 25)" "$(cat "$A")"
# A new plain file in a segment is no way in either.
check_not "no plain files in a segment" sh -c "echo x > '$D/newfile'"
check_not "no plain file was made" test -e "$D/newfile"

fs_done
