#!/usr/bin/env bash
# Permissions: the kernel enforces the mode and owner of the segment's
# object (default_permissions), so an unprivileged user who cannot open
# the object in /dev/shm cannot read or write it through the mount
# either; without allow_other other users cannot enter the mount at all.
. "$(dirname "$0")/harness.sh"

command -v setpriv >/dev/null || fs_skip "no setpriv"
AS_NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
$AS_NOBODY true 2>/dev/null || fs_skip "setpriv does not work here"

fs_mount allow_other
fs_mkseg s; D=$SEG
fs_create "$D" 'queue q u8 8'
seq 1 3 >"$D/q"

# 0600 root: nobody can neither list, read (pop), write nor create.
chmod 0600 "$(shm s)"
wait_until 3 "[ \"\$(stat -c %a '$D/q')\" = 600 ]"
check "what /dev/shm says for nobody" sh -c "! $AS_NOBODY cat '$(shm s)' >/dev/null 2>&1"
expect_errno EACCES "$AS_NOBODY cat '$D/q'"
expect_errno EACCES "$AS_NOBODY ls '$D'"
expect_errno EACCES "$AS_NOBODY sh -c 'echo 4 > \"$D/q\"'"
expect_errno EACCES "$AS_NOBODY sh -c 'echo queue x u8 4 > \"$D/.create\"'"
expect_xattr "nobody popped nothing" "$D/q" count 3
check_not "nobody created nothing" test -e "$D/x"

# 0644: nobody may look (and so pop: reading is popping) but not push.
chmod 0644 "$(shm s)"
wait_until 3 "[ \"\$(stat -c %a '$D/q')\" = 644 ]"
expect_eq "nobody reads a 0644 queue" "$(lines 1 3)" "$($AS_NOBODY cat "$D/q" 2>&1)"
expect_errno EACCES "$AS_NOBODY sh -c 'echo 4 > \"$D/q\"'"
expect_xattr "nobody pushed nothing" "$D/q" count 0
expect_eq "nobody lists a 0644 segment (dir 0755)" "q" "$($AS_NOBODY ls "$D" 2>&1)"
expect_eq "nobody reads attributes" queue "$($AS_NOBODY getfattr --absolute-names --only-values -n user.zeroipc.kind "$D/q" 2>&1)"
# Setting an attribute is writing: refused where the object is not writable.
expect_errno EACCES "$AS_NOBODY setfattr -n user.zeroipc.type -v i8 '$D/q'"
expect_xattr "nobody declared nothing" "$D/q" type u8

# 0666: nobody may push too.
chmod 0666 "$(shm s)"
wait_until 3 "[ \"\$(stat -c %a '$D/q')\" = 666 ]"
expect_ok "$AS_NOBODY sh -c 'echo 4 > \"$D/q\"'"
expect_eq "nobody's push arrived" 4 "$(cat "$D/q")"
# chmod of a segment directory by someone who does not own it: EPERM.
expect_errno EPERM "$AS_NOBODY chmod 0777 '$D'"
expect_eq "the object's mode is unchanged" 666 "$(stat -c %a "$(shm s)")"

# An object owned by nobody, mode 0600: nobody in, others out.
chown 65534:65534 "$(shm s)"
chmod 0600 "$(shm s)"
wait_until 3 "[ \"\$(stat -c '%a %u' '$D/q')\" = '600 65534' ]"
echo 5 >"$D/q"
expect_eq "the owner reads its 0600 queue" 5 "$($AS_NOBODY cat "$D/q" 2>&1)"
expect_ok "$AS_NOBODY chmod 0640 '$D'"
expect_eq "the owner's chmod changed the object" 640 "$(stat -c %a "$(shm s)")"

# Segments: nobody makes its own (owned by nobody, as in /dev/shm) and
# removes it, but not root's (/dev/shm is sticky, and so is the root).
expect_ok "$AS_NOBODY mkdir '$MNT/${PREFIX}mine'"
expect_eq "nobody's segment is nobody's" 65534 "$(stat -c %u "$(shm mine)")"
chown 0:0 "$(shm s)"
chmod 0666 "$(shm s)"
wait_until 3 "[ \"\$(stat -c '%u' '$D')\" = 0 ]"
expect_errno EPERM "$AS_NOBODY rmdir '$D'"
check "root's segment is still there" test -e "$(shm s)"
expect_ok "$AS_NOBODY rmdir '$MNT/${PREFIX}mine'"
check_not "nobody removed its own" test -e "$(shm mine)"

# Without allow_other, other users cannot enter the mount at all.
fs_remount
expect_errno EACCES "$AS_NOBODY ls '$MNT'"
expect_errno EACCES "$AS_NOBODY cat '$D/q'"

fs_done
