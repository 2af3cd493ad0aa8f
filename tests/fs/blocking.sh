#!/usr/bin/env bash
# -o blocking: files behave as pipes.  A reader of an empty queue or stack
# waits and is woken by a push from another process; a writer of a full
# one waits for room; end of file never comes; Ctrl-C (SIGINT) ends a wait
# at once and the daemon goes on serving; O_NONBLOCK gives EAGAIN; poll
# reports readable and writable, and wakes up.
. "$(dirname "$0")/harness.sh"

fs_mount blocking
fs_mkseg s; D=$SEG
fs_create "$D" 'queue q i64 8'
fs_create "$D" 'stack st i32 8'
fs_create "$D" 'queue small u8 2'
Q=$D/q

# read_one FILE: bash's read builtin, one line.
read_one() { bash -c 'read -r x < "$1" && echo "$x"' _ "$1"; }

# A reader waits on an empty queue, and a push by another process wakes it.
for F in "$Q" "$D/st"; do
  read_one "$F" >"$T/got" 2>&1 & p=$!; fs_track $p
  sleep 0.5
  check "a reader of an empty $(basename "$F") waits" kill -0 $p
  t0=$(now_ms)
  echo 7 >"$F"
  fs_wait_pid $p 5; rc=$?
  t1=$(now_ms)
  expect_eq "the woken reader's exit status" 0 $rc
  expect_eq "the woken reader got the push" 7 "$(cat "$T/got")"
  expect_match "woken within 1 s (took $((t1 - t0)) ms)" '^1$' "$(( t1 - t0 < 1000 ))"
  expect_xattr "after the wake-up" "$F" count 0
done

# End of file never comes: cat prints what there is and goes on waiting.
seq 1 3 >"$Q"
fs_run 5 timeout 1 cat "$Q"; rc=$?
expect_eq "cat is still waiting after 1 s (timeout's status)" 124 $rc
expect_eq "cat printed what was there" "$(lines 1 3)" "$(cat "$T/run.out")"

# SIGINT ends a waiting read at once; nothing is lost; the daemon serves on.
t0=$(now_ms)
fs_run 5 timeout -s INT 1 cat "$Q"; rc=$?
t1=$(now_ms)
expect_eq "timeout -s INT 1 cat (124: cat ended by the signal)" 124 $rc
expect_match "the interrupted cat returned within 2.5 s (took $((t1 - t0)) ms)" '^1$' "$(( t1 - t0 < 2500 ))"
# Several interrupted readers at once.
ps=()
for i in 1 2 3; do "${DFLINT[@]}" timeout -s INT 1 cat "$Q" >/dev/null 2>&1 & ps+=($!); fs_track $!; done
for p in "${ps[@]}"; do
  fs_wait_pid $p 5; rc=$?
  expect_eq "one of three interrupted readers" 124 $rc
done
# A signal with a handler (not fatal): the waiting read() itself fails
# with EINTR, at once.
cat >"$T/eintr.py" <<'EOF'
import ctypes, errno, os, signal, sys, threading, time
libc = ctypes.CDLL(None, use_errno=True)
signal.signal(signal.SIGUSR1, lambda s, f: None)
fd = os.open(sys.argv[1], os.O_RDONLY)
main = threading.get_ident()
threading.Timer(0.5, signal.pthread_kill, (main, signal.SIGUSR1)).start()
buf = ctypes.create_string_buffer(100)
t0 = time.monotonic()
r = libc.read(fd, buf, 100)
e = ctypes.get_errno()
print(r, errno.errorcode.get(e, e) if r < 0 else buf.raw[:r], int((time.monotonic() - t0) * 1000))
EOF
fs_run 5 python3 "$T/eintr.py" "$Q"; rc=$?
read -r r e ms <"$T/run.out"
expect_eq "read() interrupted by a handled signal" "-1 EINTR" "$r $e"
expect_match "EINTR came at once (after ${ms:-?} ms of a 500 ms wait)" '^1$' "$(( ${ms:-0} >= 400 && ${ms:-0} < 1500 ))"

echo 5 >"$Q"
fs_run 5 bash -c 'read -r x < "$1" && echo "$x"' _ "$Q"
expect_eq "the daemon still serves (read)" 5 "$(cat "$T/run.out")"
expect_xattr "the interrupted readers took nothing" "$Q" count 0
seq 1 3 >"$Q"
expect_eq "later pushes all arrive" "$(printf '1\n2\n3\n')" "$("${FSIO[@]}" read --nonblock "$Q" 4096)"

# O_NONBLOCK: EAGAIN where a read or a write would wait.
expect_eq "O_NONBLOCK read of an empty queue" "$(printf 'ERR EAGAIN\n3')" \
  "$("${FSIO[@]}" read --nonblock "$Q" 4096 2>&1; echo $?)"
expect_eq "O_NONBLOCK read of an empty stack" "$(printf 'ERR EAGAIN\n3')" \
  "$("${FSIO[@]}" read --nonblock "$D/st" 4096 2>&1; echo $?)"
python3 - "$Q" <<'EOF' >"$T/py" 2>&1
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
try:
    os.read(fd, 100)
    print("read returned")
except BlockingIOError:
    print("BlockingIOError")
EOF
expect_eq "python: os.read with O_NONBLOCK" BlockingIOError "$(cat "$T/py")"
seq 1 2 >"$D/small"
expect_eq "O_NONBLOCK write to a full queue" "EAGAIN ok" "$("${FSIO[@]}" write --nonblock "$D/small" '3\n')"

# A writer of a full queue waits for room, and a pop lets it in.
bash -c 'echo 3 > "$1"' _ "$D/small" & p=$!; fs_track $p
sleep 0.5
check "a writer of a full queue waits" kill -0 $p
expect_eq "one pop" "1" "$("${FSIO[@]}" read "$D/small" 2)"
fs_wait_pid $p 5; rc=$?
expect_eq "the waiting writer got in" 0 $rc
expect_eq "queue after the writer" "$(printf '2\n3\n')" "$("${FSIO[@]}" read --nonblock "$D/small" 4096)"
# ... and SIGINT ends a waiting write, pushing nothing.
seq 1 2 >"$D/small"
t0=$(now_ms)
fs_run 5 timeout -s INT 1 bash -c 'echo 3 > "$1"' _ "$D/small"; rc=$?
t1=$(now_ms)
expect_match "an interrupted writer returned (status $rc, $((t1 - t0)) ms)" '^1$' "$(( rc != 255 && t1 - t0 < 2500 ))"
expect_xattr "the interrupted writer pushed nothing" "$D/small" count 2
"${FSIO[@]}" read --nonblock "$D/small" 4096 >/dev/null

# poll: readable when a read would not wait, writable when a write would not.
expect_eq "poll of an empty queue for reading" "none" "$("${FSIO[@]}" poll "$Q" r 0 | cut -d' ' -f1)"
expect_eq "poll of an empty queue for writing" "OUT" "$("${FSIO[@]}" poll "$Q" w 0 | cut -d' ' -f1)"
echo 1 >"$Q"
expect_eq "poll after a push" "IN" "$("${FSIO[@]}" poll "$Q" r 0 | cut -d' ' -f1)"
"${FSIO[@]}" read "$Q" 4096 >/dev/null
seq 1 2 >"$D/small"
expect_eq "poll of a full queue for writing" "none" "$("${FSIO[@]}" poll "$D/small" w 0 | cut -d' ' -f1)"
"${FSIO[@]}" read "$D/small" 2 >/dev/null
expect_eq "poll after a pop" "OUT" "$("${FSIO[@]}" poll "$D/small" w 0 | cut -d' ' -f1)"
# A process waiting in poll is woken by a push from another.
for F in "$Q" "$D/st"; do
  rm -f "$T/ready"
  "${FSIO[@]}" poll "$F" r 5000 "$T/ready" >"$T/poll" & p=$!; fs_track $p
  wait_until 5 "[ -e '$T/ready' ]"
  sleep 0.3
  echo 9 >"$F"
  fs_wait_pid $p 6
  read -r ev ms <"$T/poll"
  expect_eq "poll of $(basename "$F") woken by a push" IN "$ev"
  expect_match "poll woke soon after the push, not before (after $ms ms)" '^1$' "$(( ms >= 250 && ms < 1500 ))"
  expect_eq "the pushed element" 9 "$("${FSIO[@]}" read "$F" 4096)"
done

fs_done
