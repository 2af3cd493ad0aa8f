#!/usr/bin/env bash
# Pools through the mount: the file shows the pool's state and takes no
# writes; the C++ pool.
. "$(dirname "$0")/harness.sh"

fs_mount "size=4M"
fs_mkseg s; D=$SEG
fs_create "$D" 'pool p f64 8'
P=$D/p

expect_xattr "a new pool" "$P" kind pool
expect_xattr "its type" "$P" type f64
expect_xattr "its capacity" "$P" capacity 8
expect_xattr "nothing allocated" "$P" count 0
expect_eq "cat shows its state" "$(printf 'capacity 8\nallocated 0\nfree 8')" "$(cat "$P")"
expect_eq "no write bits" "" "$(stat -c %A "$P" | tr -d 'r-')"
expect_errno EPERM "echo 1 > '$P'"
expect_eq "a write fails with EPERM" "EPERM ok" "$("${FSIO[@]}" write "$P" '1\n')"

VEC=${ZEROIPC_VECTORS:-$FS_DIR/../../../shared/vectors}
cp "$VEC/cpp_all.seg" "$(shm cpp)"
C=$(seg cpp)
expect_xattr "the C++ pool is inferred" "$C/pool_f64" kind pool
expect_xattr "its type is unknown" "$C/pool_f64" type bytes8
expect_xattr "its allocated nodes" "$C/pool_f64" count 2
expect_eq "its state" "$(printf 'capacity 4\nallocated 2\nfree 2')" "$(cat "$C/pool_f64")"

fs_done
