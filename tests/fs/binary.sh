#!/usr/bin/env bash
# -o binary: fixed-size records of the element's bytes.  dd of records in
# and out of queues and stacks (count=N takes exactly N); an array written
# at byte offset k*size assigns element k; what binary wrote, text reads.
. "$(dirname "$0")/harness.sh"

# Little-endian records with python's struct: pk FORMAT VALUES...
pk() { python3 -c 'import struct, sys
f = sys.argv[1]
conv = float if f[-1] in "fd" else (lambda s: int(s, 0))
sys.stdout.buffer.write(b"".join(struct.pack(f, conv(a)) for a in sys.argv[2:]))' "$@"; }
# hex of a file or stdin
hx() { od -An -v -tx1 "$@" | tr -d ' \n'; }

fs_mount binary
fs_mkseg s; D=$SEG
fs_create "$D" 'queue q u32 16'
fs_create "$D" 'stack st i16 8'
fs_create "$D" 'array a u16 8'
fs_create "$D" 'queue r f32,f32,u64 8'
Q=$D/q ST=$D/st A=$D/a R=$D/r

# Queue: records in, records out.
pk '<I' 1 2 3 4 5 >"$T/five"
expect_ok "dd if='$T/five' of='$Q' bs=4 status=none"
expect_xattr "after dd of 5 records" "$Q" count 5
wait_until 3 "[ \"\$(stat -c %s '$Q')\" = 20 ]"
expect_eq "st_size" 20 "$(stat -c %s "$Q")"
expect_eq "dd bs=4 count=2 takes exactly two" "$(pk '<I' 1 2 | hx)" "$(dd if="$Q" bs=4 count=2 status=none | hx)"
expect_xattr "after count=2" "$Q" count 3
expect_eq "cat takes the rest" "$(pk '<I' 3 4 5 | hx)" "$(cat "$Q" | hx)"
expect_xattr "after cat" "$Q" count 0
expect_eq "an empty queue reads as end of file" "" "$(cat "$Q" | hx)"
# cp of a file of records, several records per write.
pk '<I' $(seq 100 110) >"$T/recs"
expect_ok "cp '$T/recs' '$Q'"
expect_eq "cp in, cp out" "$(hx "$T/recs")" "$(cp "$Q" "$T/back" && hx "$T/back")"
# A record split across two writes is joined.
expect_eq "a record split across writes" "2 2 ok" "$("${FSIO[@]}" write "$Q" '\x07\x00' '\x00\x00')"
expect_eq "the split record" "07000000" "$(cat "$Q" | hx)"
# Reads smaller than a record hand it out in pieces; nothing is lost.
pk '<I' 0x11223344 0x55667788 >"$Q"
expect_eq "dd bs=1" "$(pk '<I' 0x11223344 0x55667788 | hx)" "$(dd if="$Q" bs=1 status=none | hx)"
expect_xattr "after dd bs=1" "$Q" count 0

# Stack: records come out newest first.
pk '<h' -1 2 -3 >"$ST"
expect_eq "stack, dd bs=2 count=1" "$(pk '<h' -3 | hx)" "$(dd if="$ST" bs=2 count=1 status=none | hx)"
expect_eq "stack, the rest" "$(pk '<h' 2 -1 | hx)" "$(cat "$ST" | hx)"

# Array: a write at offset k*size assigns element k; reads show all.
expect_eq "a new array" "$(pk '<H' 0 0 0 0 0 0 0 0 | hx)" "$(cat "$A" | hx)"
pk '<H' 10 11 >"$A"
expect_eq "a write at 0 assigns elements 0 and 1" "$(pk '<H' 10 11 0 0 0 0 0 0 | hx)" "$(cat "$A" | hx)"
pk '<H' 513 | dd of="$A" bs=2 seek=3 conv=notrunc status=none
expect_eq "dd seek=3 assigns element 3" "$(pk '<H' 10 11 0 513 0 0 0 0 | hx)" "$(cat "$A" | hx)"
pk '<H' 7 8 | dd of="$A" bs=2 seek=6 conv=notrunc status=none
expect_eq "dd seek=6 assigns 6 and 7" "$(pk '<H' 10 11 0 513 0 0 7 8 | hx)" "$(cat "$A" | hx)"
expect_eq "dd skip=3 count=1 reads element 3" "$(pk '<H' 513 | hx)" "$(dd if="$A" bs=2 skip=3 count=1 status=none | hx)"
pk '<H' 1 2 3 4 5 6 7 8 >"$T/arr"
expect_ok "cp '$T/arr' '$A'"
expect_eq "cp onto an array" "$(hx "$T/arr")" "$(cat "$A" | hx)"
expect_eq "the array in /dev/shm" "$(hx "$T/arr")" "$("${FSIO[@]}" raw "$(shm s)" $(( $(xattr "$A" offset) + 8 )) 16)"
check_not "a write past the end fails" sh -c "printf 'ab' | dd of='$A' bs=2 seek=8 conv=notrunc status=none"
expect_eq "and changes nothing" "$(hx "$T/arr")" "$(cat "$A" | hx)"
wait_until 3 "[ \"\$(stat -c %s '$A')\" = 16 ]"
expect_eq "st_size of the array" 16 "$(stat -c %s "$A")"

# Records: f32,f32,u64 is 16 bytes.
python3 -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("<ffQ", 1.5, -2.0, 1000) + struct.pack("<ffQ", 0.25, 3.0, 2**64-1))' >"$T/recs2"
expect_ok "dd if='$T/recs2' of='$R' bs=16 status=none"
expect_xattr "records" "$R" count 2
expect_eq "dd bs=16 count=1" "$(head -c 16 "$T/recs2" | hx)" "$(dd if="$R" bs=16 count=1 status=none | hx)"

# What binary wrote, the text format reads.
pk '<I' 4000000000 >"$Q"
pk '<H' 9 >"$A"
fs_remount
expect_eq "text view of binary pushes" "4000000000" "$(cat "$Q")"
expect_eq "text view of the array" "$(printf '9\n2\n3\n4\n5\n6\n7\n8')" "$(cat "$A")"
expect_eq "text view of a record" "0.25 3 18446744073709551615" "$(cat "$R")"

fs_done
