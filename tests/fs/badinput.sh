#!/usr/bin/env bash
# Bad input changes nothing: malformed numbers, values out of range,
# over-long lines and strings, wrong field counts (EINVAL), and writes to
# a full queue or stack (ENOSPC).  A write with one bad line pushes none
# of its lines.
. "$(dirname "$0")/harness.sh"

fs_mount
fs_mkseg s; D=$SEG
fs_create "$D" 'queue q u8 4'
fs_create "$D" 'stack st i16 4'
fs_create "$D" 'queue f f32 8'
fs_create "$D" 'queue s str8 4'
fs_create "$D" 'queue b bytes2 4'
fs_create "$D" 'queue r f32,f32,u64 4'
fs_create "$D" 'array a i32 4'
Q=$D/q

seq 1 2 >"$Q"
for v in 300 256 -1 abc 1x 0x 0x100 '' ' ' '1 2' 1.5 '+-1' 99999999999999999999999; do
  expect_errno EINVAL "printf '%s\n' '$v' > '$Q'"
done
expect_xattr "u8 queue after bad values" "$Q" count 2
# One bad line fails the whole write; the good lines are not pushed.
expect_eq "good, bad in one write()" "EINVAL ok" "$("${FSIO[@]}" write "$Q" '3\n300\n')"
expect_eq "bad, good in one write()" "EINVAL ok" "$("${FSIO[@]}" write "$Q" 'zz\n3\n')"
expect_xattr "after mixed writes" "$Q" count 2
# A bad last line without newline: reported at close (or at the write).
res=$("${FSIO[@]}" write "$Q" '3\n' '4x')
expect_match "a bad unterminated last line is refused" "^2 (EINVAL ok|2 EINVAL)$" "$res"
expect_xattr "after a bad last line" "$Q" count 3
expect_eq "content after bad input" "$(printf '1\n2\n3')" "$(cat "$Q")"

# Full queue: ENOSPC and nothing pushed.
seq 1 3 >"$Q"
# (bash's printf writes line by line: a single write() needs cat or fsio)
printf '4\n5\n' >"$T/two"
expect_errno ENOSPC "cat '$T/two' > '$Q'"
expect_eq "one write() of two lines into room for one" "ENOSPC ok" "$("${FSIO[@]}" write "$Q" '4\n5\n')"
expect_xattr "after a write that does not fit" "$Q" count 3
expect_ok "echo 4 > '$Q'"
expect_errno ENOSPC "echo 5 > '$Q'"
expect_eq "full queue content" "$(lines 1 4)" "$(cat "$Q")"
# Full stack.
seq 1 4 >"$D/st"
expect_errno ENOSPC "echo 5 > '$D/st'"
expect_xattr "full stack" "$D/st" count 4
expect_errno EINVAL "echo 40000 > '$D/st'"
expect_eq "full stack content" "$(printf '4\n3\n2\n1')" "$(cat "$D/st")"

# Floats.
echo 1.5 >"$D/f"
for v in 1.5.5 1e 1e39 -1e39 '1,5' 0x10 e5 . '1.5 2'; do
  expect_errno EINVAL "printf '%s\n' '$v' > '$D/f'"
done
expect_xattr "f32 queue after bad values" "$D/f" count 1

# Strings: longer than N, bad escapes.
echo ok >"$D/s"
for v in 'ninechars' 'abcdefg\t\t' '\x41\x42\x43\x44\x45\x46\x47\x48\x49'; do
  expect_errno EINVAL "printf '%s\n' '$v' > '$D/s'"
done
expect_ok "printf '%s\n' 'eightchr' > '$D/s'"
expect_eq "str8 queue" "$(printf 'ok\neightchr')" "$(cat "$D/s")"

# Bytes: exactly 2N hex digits.
for v in 1 123 12345 zz00 '0x0102'; do
  expect_errno EINVAL "printf '%s\n' '$v' > '$D/b'"
done
expect_xattr "bytes queue after bad values" "$D/b" count 0

# Records: every field, nothing more.
for v in '1.5' '1.5 2' '1.5 2 3 4' '1.5 2 -1' 'a b 3'; do
  expect_errno EINVAL "printf '%s\n' '$v' > '$D/r'"
done
expect_xattr "record queue after bad values" "$D/r" count 0

# Arrays: a bad line assigns nothing.
printf '%s\n' 1 2 3 4 >"$D/a"
expect_eq "one write() with a bad third line" "EINVAL ok" "$("${FSIO[@]}" write "$D/a" '9\n8\nx\n')"
expect_errno EINVAL "echo 2147483648 > '$D/a'"
expect_eq "array after bad writes" "$(lines 1 4)" "$(cat "$D/a")"

# Over-long lines: far longer than any element's text, in one write or
# in many.  Refused; the daemon goes on.
seq 1 2 >"$Q"
line=$(head -c 100000 /dev/zero | tr '\0' '7')
expect_errno EINVAL "printf '%s\n' '$line' > '$Q'"
check_not "a 10 MB line through dd is refused" \
  sh -c "{ head -c 10000000 /dev/zero | tr '\\0' '1'; echo; } | dd of='$Q' bs=64k status=none"
check_not "a 10 MB unterminated line is refused" \
  sh -c "head -c 10000000 /dev/zero | tr '\\0' 'a' | dd of='$D/s' bs=64k status=none"
expect_xattr "u8 queue after over-long lines" "$Q" count 2
expect_xattr "str8 queue after an over-long line" "$D/s" count 0
expect_ok "echo 3 > '$Q'"
expect_eq "the daemon still serves" "$(lines 1 3)" "$(cat "$Q")"

fs_done
