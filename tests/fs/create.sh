#!/usr/bin/env bash
# The control files: .create (each line KIND NAME TYPE CAPACITY makes a
# structure; EINVAL, EEXIST, ENAMETOOLONG, ENOSPC) and .table (the raw
# table: index name offset size kind).
. "$(dirname "$0")/harness.sh"

fs_mount
fs_mkseg s; D=$SEG

expect_eq "ls -A of a new segment: the control files" "$(printf '.create\n.table')" "$(ls -A "$D")"

# One line per creation, with echo, printf and a here-document.
expect_ok "echo 'queue jobs i64 16' > '$D/.create'"
expect_ok "printf 'array temps f32 8\nstack st u16 5\n' > '$D/.create'"
expect_ok "cat > '$D/.create' <<'EOF'
queue  spaced   i32   4
EOF"
expect_eq "ls shows each structure, not the catalogue" \
  "$(printf '%s\n' .create .table jobs spaced st temps)" "$(ls -A "$D" | sort)"
check_not "the catalogue is not shown" test -e "$D/.catalog"
expect_eq "find -type f" "$(printf "$D/%s\n" .create .table jobs spaced st temps)" "$(find "$D" -type f | sort)"
expect_eq "find -type d" "$(printf '%s\n' "$MNT" "$D")" "$(find "$MNT" -type d | sort)"
check "a structure is a regular file" test -f "$D/jobs"
expect_xattr "queue" "$D/jobs" kind queue
expect_xattr "queue" "$D/jobs" type i64
expect_xattr "queue" "$D/jobs" capacity 16
expect_xattr "array" "$D/temps" kind array
expect_xattr "array" "$D/temps" type f32
expect_xattr "array" "$D/temps" capacity 8
expect_xattr "stack" "$D/st" kind stack
expect_xattr "stack" "$D/st" type u16
expect_xattr "stack" "$D/st" capacity 5
expect_xattr "queue" "$D/spaced" type i32

# Errors.  Each must leave the segment as it was.
before=$(ls -A "$D")
for line in 'queue' 'queue x' 'queue x i32' 'queue x i32 abc' 'queue x i32 4 extra' \
            'queue x i32 -4' 'x'; do
  expect_errno EINVAL "printf '%s\n' '$line' > '$D/.create'"
done
expect_errno EINVAL "echo 'heap x i32 4' > '$D/.create'"      # unknown kind
expect_errno EINVAL "echo 'Queue x i32 4' > '$D/.create'"     # kinds are lower case
expect_errno EINVAL "echo 'queue x i33 4' > '$D/.create'"     # bad type
expect_errno EINVAL "echo 'queue x f16 4' > '$D/.create'"
expect_errno EINVAL "echo 'queue x str0 4' > '$D/.create'"
expect_errno EINVAL "echo 'queue x f32,,u8 4' > '$D/.create'"
expect_errno EINVAL "echo 'queue x/y i32 4' > '$D/.create'"   # not a file name
expect_errno EEXIST "echo 'queue jobs i64 16' > '$D/.create'"
expect_errno EEXIST "echo 'array jobs u8 4' > '$D/.create'"   # any kind
n31=abcdefghijklmnopqrstuvwxyz01234
n32=${n31}5
expect_errno ENAMETOOLONG "echo 'queue $n32 i32 4' > '$D/.create'"
expect_eq "failed creations made nothing" "$before" "$(ls -A "$D")"
expect_ok "echo 'queue $n31 i32 4' > '$D/.create'"
check "a 31-byte name is fine" test -f "$D/$n31"

# Lines before a bad one in the same write() are kept.
expect_eq "one write: good line, bad line" "EINVAL ok" \
  "$("${FSIO[@]}" write "$D/.create" 'queue first u8 4\nbogus line\n')"
check "the line before the bad one was created" test -f "$D/first"
# A line split across two writes is one line.
expect_eq "a line split across writes" "6 11 ok" \
  "$("${FSIO[@]}" write "$D/.create" 'queue ' 'split u8 4\n')"
check "the split line was created" test -f "$D/split"
expect_xattr "split line" "$D/split" capacity 4

# .create is write-only, .table read-only.
check_not "reading .create fails" cat "$D/.create"
check_not "writing .table fails" sh -c "echo x > '$D/.table'"

# .table: index name offset size kind, single spaces, every entry, the
# catalogue too, and nothing else.
table=$(fs_table "$D")
expect_eq ".table lines are 'index name offset size kind'" "" \
  "$(printf '%s\n' "$table" | grep -Evx '[0-9]+ [!-~]+ [0-9]+ [0-9]+ [a-z]+')"
expect_line ".table has the catalogue" '[0-9]+ \.catalog [0-9]+ [0-9]+ [a-z]+' "$table"
n_entries=$(printf '%s\n' "$table" | grep -c .)
expect_xattr "segment" "$D" entries "$n_entries"
# queue jobs i64 16: 16 + 16*8 + 4*16 = 208 bytes
jobs_off=$(xattr "$D/jobs" offset)
expect_line ".table line of jobs" "[0-9]+ jobs $jobs_off 208 queue" "$table"
expect_xattr "queue i64 16" "$D/jobs" size 208
# array temps f32 8: 8 + 32 = 40
expect_line ".table line of temps" "[0-9]+ temps $(xattr "$D/temps" offset) 40 array" "$table"
# stack st u16 5: 16 + align8(10) + 20 = 52
expect_line ".table line of st" "[0-9]+ st $(xattr "$D/st" offset) 52 stack" "$table"
# Indexes are 0.. in order, offsets 8-aligned and increasing after the table.
expect_eq ".table indexes" "$(seq 0 $((n_entries - 1)))" "$(printf '%s\n' "$table" | cut -d' ' -f1)"
expect_eq ".table offsets are 8-aligned" "" "$(printf '%s\n' "$table" | awk '$3 % 8 != 0')"
expect_eq ".table offsets past the table" "" "$(printf '%s\n' "$table" | awk '$3 < 32 + 48 * 64')"
# The same table, byte for byte, as the library sees it in /dev/shm.
raw_names=$(python3 - "$(shm s)" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack_from("<I", b, 8)[0]
for i in range(n):
    name, off, size = struct.unpack_from("<32sQQ", b, 32 + 48 * i)
    print(i, name.split(b"\0")[0].decode(), off, size)
EOF
)
expect_eq ".table matches /dev/shm" "$raw_names" "$(printf '%s\n' "$table" | cut -d' ' -f1-4)"

# Many structures: readdir spans several replies.  Names of 8 bytes (a
# multiple of 8: no NUL after them in a packed dirent) and of 13.
fs_remount "entries=410,size=4M"
fs_mkseg many; D=$SEG
{ for i in $(seq 100 299); do echo "array n$(printf '%07d' $i) u8 1"; done
  for i in $(seq 100 299); do echo "array name_long$(printf '%03d' $i) u8 1"; done; } >"$T/many"
expect_ok "cat '$T/many' > '$D/.create'"
expected=$( { for i in $(seq 100 299); do echo "n$(printf '%07d' $i)"; echo "name_long$(printf '%03d' $i)"; done; } | sort)
expect_eq "ls of 400 structures" "$expected" "$(ls "$D" | sort)"
expect_eq "ls lists each once" 400 "$(ls "$D" | wc -l)"
expect_eq "find of 400 structures" 402 "$(find "$D" -type f | wc -l)"

# A full table: entries=4 leaves room for the catalogue and a few more.
fs_remount "entries=4"
fs_mkseg t; D=$SEG
made=0 err=
for i in 1 2 3 4 5 6; do
  if err=$( (echo "queue q$i u8 2" >"$D/.create") 2>&1 ); then
    made=$((made + 1))
  else
    break
  fi
done
expect_match "structures made before the table filled" "^[1-4]$" "$made"
expect_match "a full table gives ENOSPC" "$(errmsg ENOSPC)" "$err"
expect_eq "every entry in use" "4" "$(xattr "$D" entries)"
expect_eq "ls after a full table" "$made" "$(ls "$D" | wc -l)"

# A full segment: size=16K cannot hold 4096 u64.
fs_remount "size=16K"
fs_mkseg u; D=$SEG
expect_errno ENOSPC "echo 'queue big u64 4096' > '$D/.create'"
expect_errno ENOSPC "echo 'array big u8 20000' > '$D/.create'"
check_not "no file for a failed creation" test -e "$D/big"
expect_ok "echo 'array fits u8 1000' > '$D/.create'"

fs_done
