#!/usr/bin/env bash
# The command line: -V, -h, options that are refused, the daemon started
# without -f (as "zeroipcfs /mnt/zeroipc" in the README), umount(8), the
# mount helper mount.zeroipcfs (as mount -t zeroipcfs runs it), and the
# size= suffixes.
. "$(dirname "$0")/harness.sh"

out=$("$ZEROIPCFS" -V 2>&1); rc=$?
expect_eq "zeroipcfs -V exit status" 0 $rc
expect_match "zeroipcfs -V names itself and a version" "zeroipcfs [0-9]+\.[0-9]+" "$out"
out=$("$ZEROIPCFS" -h 2>&1); rc=$?
expect_eq "zeroipcfs -h exit status" 0 $rc
for o in prefix= size= entries= binary blocking one_per_read; do
  expect_match "zeroipcfs -h mentions $o" "$o" "$out"
done

# Refused options: the daemon exits non-zero at once and mounts nothing.
for o in size=abc size=1X entries=abc nosuchoption; do
  "${DFLINT[@]}" "$ZEROIPCFS" -f -o "prefix=$PREFIX,$o" "$MNT" >>"$FS_LOG" 2>&1 & p=$!; fs_track $p
  fs_wait_pid $p 5; rc=$?
  expect_match "-o $o is refused (status $rc)" '^1$' "$(( rc != 0 && rc != 255 ))"
  check_not "-o $o mounted nothing" fs_mounted
  [ $rc = 255 ] && { fusermount3 -u -z "$MNT" 2>/dev/null; kill -KILL $p 2>/dev/null; }
done

# Without -f: returns once mounted; umount(8) ends it.
"$ZEROIPCFS" -o "prefix=$PREFIX,size=100K" "$MNT" >>"$FS_LOG" 2>&1; rc=$?
expect_eq "zeroipcfs without -f exit status" 0 $rc
check "mounted without -f" fs_mounted
expect_match "fsname and type in mountinfo" " - fuse\.zeroipcfs " "$(awk -v m="$MNT" '$5 == m' /proc/self/mountinfo)"
fs_mkseg k; D=$SEG
expect_eq "size=100K" 102400 "$(stat -c %s "$(shm k)")"
fs_create "$D" 'queue q u8 4'
echo 7 >"$D/q"
expect_eq "the daemonized mount serves" 7 "$(cat "$D/q")"
check "umount" umount "$MNT"
check_not "unmounted" fs_mounted
wait_until 5 "[ -z \"\$(fs_mnt_pids)\" ]"
expect_eq "the daemon exited after umount" "" "$(fs_mnt_pids)"

# size= suffixes.
fs_mount "size=2M"
fs_mkseg m
expect_eq "size=2M" 2097152 "$(stat -c %s "$(shm m)")"
fs_remount "size=65536"
fs_mkseg n
expect_eq "size=65536" 65536 "$(stat -c %s "$(shm n)")"
fs_remount "size=3M,entries=2"
fs_mkseg g
expect_eq "size=3M" 3145728 "$(stat -c %s "$(shm g)")"
expect_eq "entries=2" 2 "$(xattr "$(seg g)" table_capacity)"
# Explicit defaults are accepted.
fs_remount "text,nonblocking"
echo 8 >"$D/q"
expect_eq "text,nonblocking" 8 "$(cat "$D/q")"
fs_umount

# The mount helper, as mount(8) runs it: SOURCE MOUNTPOINT -o OPTIONS;
# fstab-only options are dropped, the source becomes the fsname.
HELPER_IN="$FS_DIR/../../scripts/mount.zeroipcfs.in"
if [ -f "$HELPER_IN" ]; then
  sed "s|@ZEROIPCFS@|$ZEROIPCFS|g" "$HELPER_IN" >"$T/mount.zeroipcfs"
  chmod +x "$T/mount.zeroipcfs"
  out=$("$T/mount.zeroipcfs" zeroipc "$MNT" -o "defaults,noauto,nofail,prefix=$PREFIX,blocking" 2>&1); rc=$?
  expect_eq "mount.zeroipcfs exit status ($out)" 0 $rc
  check "mounted by the helper" fs_mounted
  expect_match "fsname from the source" " - fuse\.zeroipcfs zeroipc " "$(awk -v m="$MNT" '$5 == m' /proc/self/mountinfo)"
  echo 9 >"$D/q"
  fs_run 2 cat "$D/q"; rc=$?
  expect_eq "the helper's mount serves, blocking (cat still waits)" "9 255" "$(cat "$T/run.out") $rc"
  fs_kill_bg
  check "umount of the helper's mount" umount "$MNT"
  wait_until 5 "[ -z \"\$(fs_mnt_pids)\" ]"
  expect_eq "the helper's daemon exited after umount" "" "$(fs_mnt_pids)"
else
  note "no scripts/mount.zeroipcfs.in beside the tests: helper not tested"
fi

fs_done
