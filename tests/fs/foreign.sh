#!/usr/bin/env bash
# Segments written by the public C++ and Python implementations (no
# catalogue): kinds inferred from the bytes, types shown as bytesN until
# declared with setfattr, then the values they wrote.
. "$(dirname "$0")/harness.sh"

VEC=${ZEROIPC_VECTORS:-$FS_DIR/../../../shared/vectors}
[ -f "$VEC/cpp_all.seg" ] && [ -f "$VEC/py_core.seg" ] || fs_skip "no vectors in $VEC"

cp "$VEC/cpp_all.seg" "$(shm cpp)"
cp "$VEC/py_core.seg" "$(shm py)"
fs_mount
C=$(seg cpp) P=$(seg py)

expect_eq "both segments shown" "$(printf '%s\n' "${PREFIX}cpp" "${PREFIX}py")" "$(ls "$MNT" | sort)"
lsc=$(ls -A "$C")
for f in arr_f32 q_i32 stk_i32 .create .table; do
  expect_line "ls of the C++ segment" "$f" "$lsc"
done
lsp=$(ls -A "$P")
for f in p_arr_f64 p_points p_bytes p_q_i64 p_stk_f32; do
  expect_line "ls of the Python segment" "$f" "$lsp"
done

# kind, type (bytesN), capacity, count, offset and size, from the bytes.
# name kind type capacity count offset size
while read -r f kind type cap count off size; do
  F=$C/$f; [[ $f == p_* ]] && F=$P/$f
  expect_xattr "foreign" "$F" kind "$kind"
  expect_xattr "foreign" "$F" type "$type"
  expect_xattr "foreign" "$F" capacity "$cap"
  [ "$count" = - ] || expect_xattr "foreign" "$F" count "$count"
  expect_xattr "foreign" "$F" offset "$off"
  expect_xattr "foreign" "$F" size "$size"
done <<'EOF'
arr_f32 array bytes4 6 - 3104 32
q_i32 queue bytes4 8 3 3136 80
stk_i32 stack bytes4 6 3 3216 64
p_arr_f64 array bytes8 4 - 3104 40
p_points array bytes16 3 - 3144 56
p_bytes array bytes1 5 - 3200 13
p_q_i64 queue bytes8 4 2 3216 64
p_stk_f32 stack bytes4 4 2 3280 48
EOF
expect_line ".table of the C++ segment" "0 arr_f32 3104 32 array" "$(fs_table "$C")"
expect_line ".table of the C++ segment" "35 chb_buffer 6152 48 channel chb" "$(fs_table "$C")"
# Companions are hidden, and listed in .table with the structure they
# belong to.
expect_line ".table of the C++ segment" "13 ev_sem 3896 16 event ev" "$(fs_table "$C")"
expect_line ".table of the C++ segment" "14 rw_state 3912 8 rwlock rw" "$(fs_table "$C")"
expect_line ".table of the C++ segment" "17 rw 3952 1 rwlock" "$(fs_table "$C")"
for f in ev_sem rw_state rw_rmtx rw_wmtx mon_mtx mon_cond mon_count sig_state sig_mtx \
         strm_header strm_buffer chb_header chb_buffer chu_header chu_slot; do
  check_not "companion $f hidden" test -e "$C/$f"
  case "$lsc" in *"$f"*) fail "ls shows companion $f" ;; esac
done
# The primitives, inferred (a barrier that never opened reads as a
# semaphore: the bytes cannot tell; see below for declaring it).
while read -r f kind; do
  F=$C/$f; [[ $f == p_* ]] && F=$P/$f
  expect_xattr "foreign primitive" "$F" kind "$kind"
done <<'EOF2'
sem semaphore
mtx mutex
bar barrier
lat latch
once once
ev event
rw rwlock
mon monitor
sig signal
strm stream
chb channel
chu channel
fut_ok future
fut_err future
fut_pend future
lz_a lazy
lz_b lazy
lz_sum lazy
lz_prod lazy
p_fut_ok future
p_fut_pend future
p_sem semaphore
p_mtx mutex
p_bar semaphore
p_lat latch
p_once once
p_ev event
p_rw rwlock
p_mon monitor
EOF2
expect_xattr "sem" "$C/sem" count 3
expect_xattr "sem" "$C/sem" max 5
expect_xattr "bar" "$C/bar" generation 1
expect_xattr "bar" "$C/bar" participants 2
expect_xattr "lat" "$C/lat" count 3
expect_xattr "lat" "$C/lat" initial 4
expect_xattr "once" "$C/once" state done
expect_xattr "ev" "$C/ev" signaled 1
expect_xattr "ev" "$C/ev" mode manual
expect_xattr "rw" "$C/rw" readers 2
expect_xattr "mon" "$C/mon" locked 1
expect_xattr "sig" "$C/sig" version 2
expect_xattr "sig" "$C/sig" type bytes8
expect_eq "rw state" "$(printf 'readers 2\nwriter 0')" "$(cat "$C/rw")"
expect_eq ".table lists all 38 entries" 38 "$(fs_table "$C" | grep -c .)"
expect_xattr "C++ segment" "$C" entries 38
expect_xattr "C++ segment" "$C" used 6240
expect_xattr "C++ segment" "$C" size 262144
expect_xattr "C++ segment" "$C" table_capacity 64

# Arrays read as hex without consuming; nothing so far wrote a byte.
expect_eq "arr_f32 as bytes4" "$(printf '%s\n' 0000c03f 000010c0 00004040 00000000 00108044 000000be)" "$(cat "$C/arr_f32")"
expect_eq "p_bytes as bytes1" "$(printf '%s\n' 01 02 03 fa ff)" "$(cat "$P/p_bytes")"
expect_eq "browsing changed no byte of the C++ segment" \
  "14c7f58d2979d01a149b181bd3452edbaeadbf33ddf326b5e6771f8ef0646b59" "$(sha256sum <"$(shm cpp)" | cut -d' ' -f1)"
expect_eq "browsing changed no byte of the Python segment" \
  "12fb99d3ae336d2d82ccc1c028bcd6dff278c83e1b55e35ef539dcc28753a3e4" "$(sha256sum <"$(shm py)" | cut -d' ' -f1)"

# Declared types.  A size that does not match is refused.
check_not "i64 on a 4-byte element refused" setfattr -n user.zeroipc.type -v i64 "$C/arr_f32"
expect_xattr "after the refusal" "$C/arr_f32" type bytes4
expect_ok "setfattr -n user.zeroipc.type -v f32 '$C/arr_f32'"
expect_xattr "declared" "$C/arr_f32" type f32
expect_eq "arr_f32 as f32" "$(printf '%s\n' 1.5 -2.25 3 0 1024.5 -0.125)" "$(cat "$C/arr_f32")"
expect_eq "arr_f32 again (arrays do not consume)" "$(printf '%s\n' 1.5 -2.25 3 0 1024.5 -0.125)" "$(cat "$C/arr_f32")"
expect_ok "setfattr -n user.zeroipc.type -v i32 '$C/q_i32'"
expect_eq "q_i32 pops" "$(printf '%s\n' 22 33 44)" "$(cat "$C/q_i32")"
expect_xattr "q_i32 after cat" "$C/q_i32" count 0
expect_ok "setfattr -n user.zeroipc.type -v i32 '$C/stk_i32'"
expect_eq "stk_i32 pops" "$(printf '%s\n' 7 6 5)" "$(cat "$C/stk_i32")"

expect_ok "setfattr -n user.zeroipc.type -v f64 '$P/p_arr_f64'"
expect_eq "p_arr_f64" "$(printf '%s\n' 6.5 -0.25 1024 0)" "$(cat "$P/p_arr_f64")"
expect_ok "setfattr -n user.zeroipc.type -v f32,f32,u64 '$P/p_points'"
expect_eq "p_points" "$(printf '%s\n' '1 2 1000' '-3.5 4.25 2000' '0 0 0')" "$(cat "$P/p_points")"
expect_ok "setfattr -n user.zeroipc.type -v u8 '$P/p_bytes'"
expect_eq "p_bytes" "$(printf '%s\n' 1 2 3 250 255)" "$(cat "$P/p_bytes")"
expect_ok "setfattr -n user.zeroipc.type -v i64 '$P/p_q_i64'"
expect_ok "setfattr -n user.zeroipc.type -v f32 '$P/p_stk_f32'"
expect_eq "p_stk_f32 pops" "$(printf '%s\n' 2.5 1.5)" "$(cat "$P/p_stk_f32")"

# Pushes through the mount land where a public implementation looks:
# the C++ queue's tail moves and the element is in slot 4.
echo 55 >"$C/q_i32"
expect_eq "q_i32 tail after a push" 5 "$(od -An -tu4 -j$((3136 + 4)) -N4 "$(shm cpp)" | tr -d ' ')"
expect_eq "q_i32 slot 4" 55 "$(od -An -td4 -j$((3136 + 16 + 16)) -N4 "$(shm cpp)" | tr -d ' ')"
expect_eq "p_q_i64 still pops" "$(printf '%s\n' 6 7)" "$(cat "$P/p_q_i64")"

# A kind the bytes cannot tell is declared; one they contradict is not.
expect_errno EINVAL "setfattr -n user.zeroipc.kind -v mutex '$P/p_bar'"
expect_xattr "after a refused kind" "$P/p_bar" kind semaphore
expect_ok "setfattr -n user.zeroipc.kind -v barrier '$P/p_bar'"
expect_xattr "declared" "$P/p_bar" kind barrier
expect_xattr "declared" "$P/p_bar" participants 5
# The signal's value, once typed: i32 -5 (its state has room for 8 bytes).
expect_ok "setfattr -n user.zeroipc.type -v i32 '$C/sig'"
expect_eq "sig as i32" -5 "$(cat "$C/sig")"
expect_errno EINVAL "setfattr -n user.zeroipc.type -v bytes9 '$C/sig'"

# Declared types survive a remount (a catalogue was added).
fs_remount
expect_xattr "after remount" "$C/arr_f32" type f32
expect_xattr "after remount" "$P/p_points" type f32,f32,u64
expect_xattr "after remount" "$P/p_stk_f32" type f32
expect_xattr "after remount" "$C/q_i32" type i32
expect_xattr "after remount" "$P/p_q_i64" type i64
expect_xattr "after remount" "$P/p_bar" kind barrier
expect_xattr "after remount" "$C/sig" type i32
if [ -e "$C/chb_buffer" ]; then
  expect_xattr "an undeclared one is still bytesN" "$C/chb_buffer" type bytes4
else
  note "chb_buffer (a channel's companion queue) is not shown"
fi

# No room for a catalogue: ENOSPC, and nothing changes.
"${FSIO[@]}" fullseg "$(shm full)"
F=$(seg full)
wait_until 3 "[ -e '$F/q' ]"
expect_xattr "full-table segment" "$F/q" kind queue
expect_xattr "full-table segment" "$F/q" type bytes4
sum1=$(sha256sum <"$(shm full)")
expect_errno ENOSPC "setfattr -n user.zeroipc.type -v i32 '$F/q'"
expect_xattr "after ENOSPC" "$F/q" type bytes4
expect_eq "ENOSPC changed no byte" "$sum1" "$(sha256sum <"$(shm full)")"
expect_eq "the queue still pops (as bytes)" "$(printf '%s\n' 05000000 06000000)" "$(cat "$F/q")"

# Names no file can have, or that would break a .table line.
"${FSIO[@]}" oddseg "$(shm odd)"
O=$(seg odd)
wait_until 3 "[ -d '$O' ]"
# Control bytes (a tab, a newline) are left to .table; a name that is
# not UTF-8 is bytes like any other; an entry whose name has no NUL is
# corrupt: shown in .table, never used.
expect_eq "ls -A shows the names a file can have" \
  "$(printf '%s\n' .create .table 'a b' 'back\slash' ok "$(printf 'caf\xe9')" | LC_ALL=C sort)" \
  "$(LC_ALL=C ls -A "$O" | LC_ALL=C sort)"
expect_eq "a name that is not UTF-8 reads" "$(printf '07\n6b')" "$(cat "$O/$(printf 'caf\xe9')" 2>&1)"
check_not "a name with a tab is not a file" test -e "$O/$(printf 't\tab')"
expect_eq "a name with a blank is a file" "$(printf '%s\n' 0 100)" "$(setfattr -n user.zeroipc.type -v u8 "$O/a b" && cat "$O/a b")"
otable=$(fs_table "$O")
for l in '0 a\\x20b 608 10 array' '1 x/y 624 10 array' '2 .* 640 10 array' \
         '3 t\\x09ab 656 10 array' '4 back\\x5cslash 672 10 array' '5 ok 688 10 array' \
         '6 nl\\x0ax 704 10 array' '7 caf\\xe9 720 10 array' '8 LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL 736 10 corrupt'; do
  expect_line ".table escapes and keeps every entry" "$l" "$otable"
done

fs_done
