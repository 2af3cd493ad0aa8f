#!/usr/bin/env bash
# The tree: segments as directories (mkdir, rmdir, what the root lists,
# the prefix option, mkdir's size and entries options), modes and owners
# taken from /dev/shm, chmod/chown of a segment directory.
. "$(dirname "$0")/harness.sh"

fs_mount

expect_eq "an empty root" "" "$(ls -A "$MNT")"

# mkdir makes a valid segment of the default size and table capacity.
fs_mkseg a; A=$SEG
check "/dev/shm object made by mkdir" test -f "$(shm a)"
expect_eq "magic and version" "4d50495a02000000" "$("${FSIO[@]}" raw "$(shm a)" 0 8)"
expect_eq "max_entries default 64" "64" "$(od -An -tu4 -j12 -N4 "$(shm a)" | tr -d ' ')"
expect_eq "memory_size default 1M" "1048576" "$(od -An -tu8 -j16 -N8 "$(shm a)" | tr -d ' ')"
expect_eq "object size default 1M" "1048576" "$(stat -c %s "$(shm a)")"
check "segment is a directory" test -d "$A"
expect_eq "root lists the segment" "${PREFIX}a" "$(ls "$MNT")"
expect_eq "a new segment lists no structures" "" "$(ls "$A")"
expect_errno EEXIST "mkdir '$A'"

# Objects in /dev/shm that are not ZeroIPC segments are not shown,
# whatever their name; neither is a segment of another version.
head -c 4096 /dev/urandom >"$(shm junk)"
printf 'hello, not a segment\n' >"$(shm text)"
: >"$(shm empty)"
cp "$(shm a)" "$(shm v3)"
printf '\x03' | dd of="$(shm v3)" bs=1 seek=4 conv=notrunc status=none
# A valid one made behind the mount's back is shown, judged by content.
cp "$(shm a)" "$(shm copy)"
wait_until 3 "[ -d '$MNT/${PREFIX}copy' ]"
expect_eq "root lists only ZeroIPC segments" \
  "$(printf '%s\n' "${PREFIX}a" "${PREFIX}copy" | sort)" "$(ls "$MNT" | sort)"
check_not "junk object not reachable" test -e "$MNT/${PREFIX}junk"
check_not "version 3 object not reachable" test -e "$MNT/${PREFIX}v3"
check "junk object untouched" test -s "$(shm junk)"

# rmdir unlinks the object, whatever it holds.
fs_create "$A" 'queue q i32 8'
echo 5 >"$A/q"
expect_ok "rmdir '$A'"
check_not "object gone after rmdir" test -e "$(shm a)"
check_not "directory gone after rmdir" test -e "$A"
expect_eq "root after rmdir" "${PREFIX}copy" "$(ls "$MNT")"
expect_errno ENOENT "rmdir '$MNT/${PREFIX}a'"
rm -f "$(shm copy)"
wait_until 3 "[ ! -e '$MNT/${PREFIX}copy' ]"
check_not "a segment unlinked behind the mount's back disappears" test -e "$MNT/${PREFIX}copy"

# The size and entries options shape what mkdir makes.
fs_remount "size=64K,entries=8"
fs_mkseg small; S=$SEG
expect_eq "object size with size=64K" "65536" "$(stat -c %s "$(shm small)")"
expect_eq "memory_size with size=64K" "65536" "$(od -An -tu8 -j16 -N8 "$(shm small)" | tr -d ' ')"
expect_eq "max_entries with entries=8" "8" "$(od -An -tu4 -j12 -N4 "$(shm small)" | tr -d ' ')"
expect_xattr "segment dir" "$S" size 65536
expect_xattr "segment dir" "$S" table_capacity 8
expect_xattr "segment dir" "$S" version 2

# The prefix option: only names that start with it.
fs_mkseg xa
fs_mkseg xb
fs_mkseg yc
fs_remount "prefix=${PREFIX}x"
expect_eq "prefix=${PREFIX}x lists" "$(printf '%s\n' "${PREFIX}xa" "${PREFIX}xb")" "$(ls "$MNT" | sort)"
check_not "a segment outside the prefix is not reachable" test -e "$MNT/${PREFIX}yc"
fs_remount
expect_eq "prefix=$PREFIX lists" \
  "$(printf '%s\n' "${PREFIX}small" "${PREFIX}xa" "${PREFIX}xb" "${PREFIX}yc" | sort)" "$(ls "$MNT" | sort)"

# Owner, group and mode come from the object; directories add x where
# there is r.  Files carry the object's mode and owner too.
D="$MNT/${PREFIX}xa"
fs_create "$D" 'queue q u8 4'
chown 65534:65534 "$(shm xa)"
chmod 0640 "$(shm xa)"
wait_until 3 "[ \"\$(stat -c '%a %u %g' '$D')\" = '750 65534 65534' ]"
expect_eq "dir mode/owner from the object (0640 -> 0750)" "750 65534 65534" "$(stat -c '%a %u %g' "$D")"
expect_eq "file mode/owner from the object" "640 65534 65534" "$(stat -c '%a %u %g' "$D/q")"
expect_match "ls -l of the segment" "^drwxr-x--- [0-9]+ 65534 65534 " "$(ls -lnd "$D")"
expect_match "ls -l of a file" "^-rw-r----- [0-9]+ 65534 65534 " "$(ls -ln "$D" | grep ' q$')"
chmod 0604 "$(shm xa)"
wait_until 3 "[ \"\$(stat -c '%a' '$D')\" = '705' ]"
expect_eq "dir mode 0604 -> 0705" "705" "$(stat -c %a "$D")"

# chmod and chown of a segment directory change the object.
expect_ok "chmod 0600 '$D'"
expect_eq "chmod of the dir changed the object" "600" "$(stat -c %a "$(shm xa)")"
wait_until 3 "[ \"\$(stat -c '%a' '$D')\" = '700' ]"
expect_eq "dir mode after chmod 0600" "700" "$(stat -c %a "$D")"
expect_ok "chown 0:0 '$D'"
expect_eq "chown of the dir changed the object" "0 0" "$(stat -c '%u %g' "$(shm xa)")"
expect_ok "chown 65534 '$D'"
expect_eq "chown of the dir changed the object's owner" "65534" "$(stat -c '%u' "$(shm xa)")"

fs_done
