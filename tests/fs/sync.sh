#!/usr/bin/env bash
# Synchronisation primitives through the mount: .create lines for
# semaphore, mutex, barrier, latch, once, event, rwlock, monitor and
# signal (EINVAL, EEXIST, companions hidden, .table's owner column);
# semaphores and mutexes (cat acquires and waits, in every mode; echo
# releases; EOVERFLOW past the maximum; Ctrl-C takes nothing; 8 takers of
# 3 units); barriers (the last arrival opens, Ctrl-C withdraws);
# latches; auto and manual events; signals (value, version, poll); the
# read-only state files; setfattr user.zeroipc.kind on 16-byte entries.
. "$(dirname "$0")/harness.sh"

# expect_errno asks python for strerror each time, in a subshell: the
# messages of the errnos used here are looked up once.
declare -A ERRMSG
for e in EINVAL EEXIST EPERM EOVERFLOW; do ERRMSG[$e]=$(errmsg $e); done
eval "harness_$(declare -f errmsg)"
errmsg() { if [ -n "${ERRMSG[$1]:-}" ]; then echo "${ERRMSG[$1]}"; else harness_errmsg "$1"; fi; }

fs_mount
fs_mkseg s; D=$SEG

# still_waiting DESC PID... : each PID is still running after a short
# pause (a read that should wait has had the time to come back).
still_waiting() {
  local desc=$1 p; shift
  sleep 0.3
  for p in "$@"; do check "$desc (pid $p)" kill -0 "$p"; done
}
# (bash's printf writes each line with a write() of its own: one write()
# of several numbers is made with fsio.py write.)
# nonempty FILES... : how many of FILES hold something (reads that returned).
nonempty() { local n=0 f; for f in "$@"; do [ -s "$f" ] && n=$((n + 1)); done; echo $n; }
# nb_read FILE : an O_NONBLOCK read: the text, or "ERR NAME" and the status.
nb_read() { local out rc; out=$("${FSIO[@]}" read --nonblock "$1" 4096 2>&1); rc=$?; echo "$out rc=$rc"; }

# ---- .create -----------------------------------------------------------------

for l in 'semaphore sem 2 5' 'mutex m' 'barrier b 3' 'latch l 3' 'once o' \
         'event ea auto' 'event em manual' 'rwlock rw' 'monitor mon' 'signal sg i32' \
         'semaphore unb 0' 'semaphore par 3' 'semaphore k 2 5' 'latch l0 0' 'signal sf f64' \
         'semaphore po 2' 'event pe auto'; do
  expect_ok "echo '$l' > '$D/.create'"
done
expect_eq "ls shows base names only, no companions" \
  "$(printf '%s\n' b ea em k l l0 m mon o par pe po rw sem sf sg unb)" "$(ls "$D")"
for c in ea_sem em_sem rw_state rw_rmtx rw_wmtx mon_mtx mon_cond mon_count sg_state sg_mtx; do
  check_not "companion $c is not a file" test -e "$D/$c"
done
table=$(fs_table "$D")
for c in ea_sem:ea em_sem:em rw_state:rw rw_rmtx:rw rw_wmtx:rw mon_mtx:mon mon_cond:mon \
         mon_count:mon sg_state:sg sg_mtx:sg; do
  expect_line ".table: companion ${c%:*} with its owner" "[0-9]+ ${c%:*} [0-9]+ [0-9]+ [a-z]+ ${c#*:}" "$table"
done
expect_line ".table: the semaphore, no 6th column" '[0-9]+ sem [0-9]+ 16 semaphore' "$table"
expect_line ".table: the mutex" '[0-9]+ m [0-9]+ 16 mutex' "$table"
expect_line ".table: the barrier" '[0-9]+ b [0-9]+ 16 barrier' "$table"
expect_line ".table: the latch" '[0-9]+ l [0-9]+ 16 latch' "$table"
expect_line ".table: an event's companion is its kind" '[0-9]+ ea_sem [0-9]+ 16 event ea' "$table"
expect_xattr "semaphore" "$D/sem" kind semaphore
expect_xattr "mutex" "$D/m" kind mutex
expect_xattr "barrier" "$D/b" kind barrier
expect_xattr "latch" "$D/l" kind latch
expect_xattr "once" "$D/o" kind once
expect_xattr "event" "$D/ea" kind event
expect_xattr "rwlock" "$D/rw" kind rwlock
expect_xattr "monitor" "$D/mon" kind monitor
expect_xattr "signal" "$D/sg" kind signal
expect_xattr "signal" "$D/sg" type i32
expect_xattr "signal" "$D/sf" type f64
expect_eq "modes: the read-only views" "-r--r--r-- -r--r--r-- -r--r--r-- -r--r--r--" \
  "$(stat -c %A "$D/b" "$D/o" "$D/rw" "$D/mon" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "modes: the writable ones" "-rw-r--r-- -rw-r--r-- -rw-r--r-- -rw-r--r-- -rw-r--r--" \
  "$(stat -c %A "$D/sem" "$D/m" "$D/l" "$D/ea" "$D/sg" | tr '\n' ' ' | sed 's/ $//')"

before_ls=$(ls -A "$D"); before_table=$table
for line in 'semaphore x' 'semaphore x 5 3' 'semaphore x -1' 'semaphore x 1 2 3' \
            'semaphore x a' 'semaphore x 2147483648' 'semaphore x 1 -1' \
            'mutex x 1' 'barrier x 0' 'barrier x' 'barrier x -3' 'barrier x 2 2' \
            'latch x' 'latch x -1' 'latch x 1 2' 'once x 1' 'event x sideways' 'event x' \
            'event x auto manual' 'event x Auto' 'rwlock x 1' 'monitor x 1' 'signal x' \
            'signal x i33' 'signal x i32 4' 'semaphore .x 1' 'semaphore x/y 1'; do
  expect_errno EINVAL "printf '%s\n' '$line' > '$D/.create'"
done
expect_errno EEXIST "echo 'semaphore sem 1' > '$D/.create'"
expect_errno EEXIST "echo 'barrier m 2' > '$D/.create'"
expect_errno EEXIST "echo 'event ea manual' > '$D/.create'"
expect_errno EEXIST "echo 'latch ea_sem 1' > '$D/.create'"          # a hidden companion's name
expect_errno EEXIST "echo 'queue rw_state i32 4' > '$D/.create'"
expect_eq "refused lines made nothing (ls)" "$before_ls" "$(ls -A "$D")"
expect_eq "refused lines made nothing (.table)" "$before_table" "$(fs_table "$D")"
# A base name whose companion's name is taken.
fs_create "$D" 'semaphore y_sem 1'
before_table=$(fs_table "$D")
expect_errno EEXIST "echo 'event y auto' > '$D/.create'"
expect_eq "an event whose _sem exists left nothing" "$before_table" "$(fs_table "$D")"
check_not "no half-made event y" test -e "$D/y"

# ---- semaphore ---------------------------------------------------------------

S=$D/sem
expect_xattr "initial" "$S" count 2
expect_xattr "initial" "$S" max 5
expect_xattr "initial" "$S" waiting 0
expect_xattr "initial" "$S" size 16
expect_match "offset is a number" '^[0-9]+$' "$(xattr "$S" offset)"
expect_eq "cat acquires one: 1 left" 1 "$(cat "$S")"
expect_eq "cat acquires the last: 0 left" 0 "$(cat "$S")"
expect_xattr "after two acquires" "$S" count 0
expect_eq "O_NONBLOCK read of an empty semaphore" "ERR EAGAIN rc=3" "$(nb_read "$S")"
python3 - "$S" >"$T/py" 2>&1 <<'EOF'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
try:
    print("read returned", os.read(fd, 100))
except BlockingIOError:
    print("BlockingIOError")
EOF
expect_eq "python os.read with O_NONBLOCK" BlockingIOError "$(cat "$T/py")"
expect_xattr "EAGAIN took nothing" "$S" count 0

# A reader of an empty semaphore waits; a release wakes it.
cat "$S" >"$T/w1" 2>&1 & p=$!; fs_track $p
still_waiting "cat of an empty semaphore waits" $p
expect_eq "nothing printed while waiting" "" "$(cat "$T/w1")"
t0=$(now_ms)
expect_ok "echo 1 > '$S'"
fs_wait_pid $p 5; rc=$?
t1=$(now_ms)
expect_eq "the woken cat's status" 0 $rc
expect_eq "the woken cat prints the count left" 0 "$(cat "$T/w1")"
expect_match "woken within 1 s (took $((t1 - t0)) ms)" '^1$' "$(( t1 - t0 < 1000 ))"
expect_xattr "the woken cat took the unit" "$S" count 0

# Ctrl-C ends the wait and takes nothing, now or later.
t0=$(now_ms)
fs_run 5 timeout -s INT 0.5 cat "$S"; rc=$?
t1=$(now_ms)
expect_eq "timeout -s INT cat (124: ended by the signal)" 124 $rc
expect_match "interrupted within 2 s (took $((t1 - t0)) ms)" '^1$' "$(( t1 - t0 < 2000 ))"
"${DFLINT[@]}" cat "$S" >/dev/null 2>&1 & p=$!; fs_track $p
still_waiting "a second waiter" $p
kill -INT $p
fs_wait_pid $p 3; rc=$?
expect_eq "kill -INT of a waiting cat (130: killed by SIGINT)" 130 $rc
expect_xattr "the interrupted readers took nothing" "$S" count 0
expect_ok "echo 1 > '$S'"
sleep 0.1
expect_xattr "a later release is not taken by a gone reader" "$S" count 1
expect_eq "and the next cat gets it" 0 "$(cat "$S")"

# Releases: N at once; past the maximum EOVERFLOW and nothing released.
expect_ok "echo 3 > '$S'"
expect_xattr "echo 3" "$S" count 3
expect_errno EOVERFLOW "echo 3 > '$S'"
expect_xattr "a refused release" "$S" count 3
expect_eq "one write() of 1 and 2 past the maximum" "EOVERFLOW ok" "$("${FSIO[@]}" write "$S" '1\n2\n')"
expect_xattr "a refused write of two releases: none applied" "$S" count 3
expect_eq "one write() of 1 and 1" "4 ok" "$("${FSIO[@]}" write "$S" '1\n1\n')"
expect_xattr "two releases in one write" "$S" count 5
expect_errno EOVERFLOW "echo 1 > '$S'"
expect_xattr "at the maximum" "$S" count 5
expect_eq "fsio: a release past the maximum" "EOVERFLOW ok" "$("${FSIO[@]}" write "$S" '1\n')"
for v in 0 -1 abc 1.5 ''; do
  expect_errno EINVAL "echo '$v' > '$S'"
done
expect_eq "one write() of 1 and 0" "EINVAL ok" "$("${FSIO[@]}" write "$S" '1\n0\n')"
expect_xattr "after refused values" "$S" count 5
for i in 1 2 3 4 5; do cat "$S" >/dev/null; done
expect_xattr "drained" "$S" count 0
# Unbounded (max 0).
U=$D/unb
expect_xattr "unbounded" "$U" max 0
expect_ok "echo 2147483646 > '$U'"
expect_ok "echo 1 > '$U'"
expect_xattr "up to INT32_MAX" "$U" count 2147483647
expect_errno EOVERFLOW "echo 1 > '$U'"
expect_xattr "past INT32_MAX refused" "$U" count 2147483647
expect_eq "cat of a full unbounded semaphore" 2147483646 "$(cat "$U")"

# Eight takers of three units: three pass at once, five wait for releases.
P=$D/par
ps=(); outs=()
for i in 1 2 3 4 5 6 7 8; do
  cat "$P" >"$T/par.$i" 2>&1 & ps+=($!); fs_track $!; outs+=("$T/par.$i")
done
wait_until 5 "[ \$(nonempty ${outs[*]}) -ge 3 ]"
sleep 0.3
expect_eq "8 cats of a semaphore of 3: 3 passed" 3 "$(nonempty "${outs[@]}")"
expect_xattr "all 3 units taken" "$P" count 0
expect_eq "the first three saw 2, 1, 0 left" "0 1 2" "$(cat "${outs[@]}" | sort -n | tr '\n' ' ' | sed 's/ $//')"
alive=0; for p in "${ps[@]}"; do kill -0 $p 2>/dev/null && alive=$((alive + 1)); done
expect_eq "5 cats still waiting" 5 $alive
expect_ok "echo 2 > '$P'"
wait_until 5 "[ \$(nonempty ${outs[*]}) -ge 5 ]"
sleep 0.3
expect_eq "2 released: 5 passed" 5 "$(nonempty "${outs[@]}")"
expect_xattr "after 2 released" "$P" count 0
expect_ok "echo 3 > '$P'"
wait_until 5 "[ \$(nonempty ${outs[*]}) -ge 8 ]"
expect_eq "3 more released: all 8 passed" 8 "$(nonempty "${outs[@]}")"
for p in "${ps[@]}"; do fs_wait_pid $p 3; done
expect_eq "every taker printed one count" 8 "$(cat "${outs[@]}" | grep -cx '[0-2]')"
expect_xattr "every unit taken" "$P" count 0

# A read at an offset other than 0 as the first read of an open file (pread,
# or dd skip= on these seekable files) must not take a unit it cannot
# return: it sees end of file and takes nothing (fs/text.c).
cat >"$T/pread.py" <<'EOF'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
try:
    print(repr(os.pread(fd, 100, int(sys.argv[2]))))
except OSError as e:
    print("ERR", e.errno)
EOF
python3 "$T/pread.py" "$D/po" 5 >/dev/null 2>&1
expect_xattr "a pread at offset 5 takes no unit" "$D/po" count 2
expect_ok "echo 1 > '$D/pe'"
python3 "$T/pread.py" "$D/pe" 3 >/dev/null 2>&1
expect_xattr "a pread at offset 3 does not take an auto event's signal" "$D/pe" signaled 1

# ---- mutex -------------------------------------------------------------------

M=$D/m
expect_xattr "a new mutex" "$M" count 1
expect_xattr "a new mutex" "$M" max 1
expect_errno EOVERFLOW "echo 1 > '$M'"
expect_xattr "unlocking an unlocked mutex" "$M" count 1
expect_eq "cat locks it" 0 "$(cat "$M")"
expect_xattr "locked" "$M" count 0
expect_errno EOVERFLOW "echo 2 > '$M'"
expect_eq "one write() of 1 and 1 to a mutex" "EOVERFLOW ok" "$("${FSIO[@]}" write "$M" '1\n1\n')"
expect_xattr "a mutex takes only 1" "$M" count 0
expect_eq "O_NONBLOCK read of a locked mutex" "ERR EAGAIN rc=3" "$(nb_read "$M")"
cat "$M" >"$T/mw" 2>&1 & p=$!; fs_track $p
still_waiting "cat of a locked mutex waits" $p
expect_ok "echo 1 > '$M'"
fs_wait_pid $p 5; rc=$?
expect_eq "the unlock passed it to the waiter" "0 0" "$rc $(cat "$T/mw")"
expect_xattr "locked by the waiter now" "$M" count 0
expect_ok "echo 1 > '$M'"
expect_xattr "unlocked" "$M" count 1
expect_errno EOVERFLOW "echo 1 > '$M'"
expect_xattr "a second unlock changes nothing" "$M" count 1

# ---- barrier -----------------------------------------------------------------

B=$D/b
expect_errno EPERM "echo 1 > '$B'"
expect_eq "fsio: write to a barrier" "EPERM ok" "$("${FSIO[@]}" write "$B" '1\n')"
expect_xattr "a new barrier" "$B" participants 3
expect_xattr "a new barrier" "$B" arrived 0
expect_xattr "a new barrier" "$B" generation 0
expect_eq "O_NONBLOCK read that would wait" "ERR EAGAIN rc=3" "$(nb_read "$B")"
expect_xattr "the O_NONBLOCK read did not arrive" "$B" arrived 0
cat "$B" >"$T/b1" 2>&1 & p1=$!; fs_track $p1
cat "$B" >"$T/b2" 2>&1 & p2=$!; fs_track $p2
wait_until 5 "[ \"\$(xattr '$B' arrived)\" = 2 ]"
expect_xattr "two waiting" "$B" arrived 2
still_waiting "two of three arrived: they wait" $p1 $p2
fs_run 5 cat "$B"; rc=$?
expect_eq "the third arrival passes at once" "0 1" "$rc $(cat "$T/run.out")"
fs_wait_pid $p1 5; rc1=$?
fs_wait_pid $p2 5; rc2=$?
expect_eq "the two waiters are released" "0 0" "$rc1 $rc2"
expect_eq "each printed generation 1" "1 1" "$(cat "$T/b1") $(cat "$T/b2")"
expect_xattr "opened once" "$B" generation 1
expect_xattr "opened once" "$B" arrived 0
# Ctrl-C withdraws an arrival; so does SIGKILL.
"${DFLINT[@]}" cat "$B" >/dev/null 2>&1 & p=$!; fs_track $p
wait_until 5 "[ \"\$(xattr '$B' arrived)\" = 1 ]"
expect_xattr "one waiting" "$B" arrived 1
kill -INT $p
fs_wait_pid $p 3; rc=$?
expect_eq "kill -INT of a barrier reader" 130 $rc
wait_until 3 "[ \"\$(xattr '$B' arrived)\" = 0 ]"
expect_xattr "Ctrl-C withdrew the arrival" "$B" arrived 0
cat "$B" >/dev/null 2>&1 & p=$!; fs_track $p
wait_until 5 "[ \"\$(xattr '$B' arrived)\" = 1 ]"
kill -KILL $p
fs_wait_pid $p 3 2>/dev/null
wait_until 3 "[ \"\$(xattr '$B' arrived)\" = 0 ]"
expect_xattr "SIGKILL withdrew the arrival" "$B" arrived 0
fs_run 5 timeout -s INT 0.5 cat "$B"; rc=$?
expect_eq "timeout -s INT cat of a barrier" 124 $rc
expect_xattr "and withdrew" "$B" arrived 0
# The withdrawn do not count: two more still wait, the third opens gen 2.
cat "$B" >"$T/b1" 2>&1 & p1=$!; fs_track $p1
cat "$B" >"$T/b2" 2>&1 & p2=$!; fs_track $p2
wait_until 5 "[ \"\$(xattr '$B' arrived)\" = 2 ]"
still_waiting "after withdrawals two arrivals still wait" $p1 $p2
expect_eq "an O_NONBLOCK read that completes the count passes: generation 2" "2 rc=0" "$(nb_read "$B")"
fs_wait_pid $p1 5; fs_wait_pid $p2 5
expect_eq "and the others see 2" "2 2" "$(cat "$T/b1") $(cat "$T/b2")"
expect_xattr "opened twice" "$B" generation 2

# ---- latch -------------------------------------------------------------------

L=$D/l
expect_xattr "a new latch" "$L" count 3
expect_xattr "a new latch" "$L" initial 3
expect_eq "O_NONBLOCK read of a closed latch" "ERR EAGAIN rc=3" "$(nb_read "$L")"
cat "$L" >"$T/l1" 2>&1 & p=$!; fs_track $p
still_waiting "cat of a latch at 3 waits" $p
expect_ok "echo 2 > '$L'"
expect_xattr "counted down by 2" "$L" count 1
still_waiting "at 1 it still waits" $p
expect_errno EINVAL "echo -1 > '$L'"
expect_xattr "a refused count-down" "$L" count 1
expect_ok "echo 1 > '$L'"
fs_wait_pid $p 5; rc=$?
expect_eq "at 0 the reader passes and prints 0" "0 0" "$rc $(cat "$T/l1")"
expect_xattr "open" "$L" count 0
expect_ok "echo 5 > '$L'"
expect_xattr "further count-downs are harmless" "$L" count 0
expect_xattr "initial unchanged" "$L" initial 3
fs_run 3 cat "$L"; rc=$?
expect_eq "an open latch reads 0 at once" "0 0" "$rc $(cat "$T/run.out")"
expect_eq "a latch of 0 is open (O_NONBLOCK read)" "0 rc=0" "$(nb_read "$D/l0")"

# ---- events ------------------------------------------------------------------

E=$D/ea
expect_xattr "auto" "$E" mode auto
expect_xattr "a new event" "$E" signaled 0
expect_xattr "a new event" "$E" waiting 0
expect_eq "O_NONBLOCK read of a reset event" "ERR EAGAIN rc=3" "$(nb_read "$E")"
cat "$E" >"$T/e1" 2>&1 & p1=$!; fs_track $p1
cat "$E" >"$T/e2" 2>&1 & p2=$!; fs_track $p2
still_waiting "readers of a reset auto event wait" $p1 $p2
expect_ok "echo 1 > '$E'"
wait_until 5 "[ \$(nonempty '$T/e1' '$T/e2') -ge 1 ]"
sleep 0.3
expect_eq "one set of an auto event releases exactly one" 1 "$(nonempty "$T/e1" "$T/e2")"
expect_xattr "the released reader took the signal" "$E" signaled 0
expect_ok "echo 1 > '$E'"
fs_wait_pid $p1 5; rc1=$?
fs_wait_pid $p2 5; rc2=$?
expect_eq "a second set releases the other" "0 0" "$rc1 $rc2"
expect_eq "both printed 1" "1 1" "$(cat "$T/e1") $(cat "$T/e2")"
expect_xattr "reset again" "$E" signaled 0
expect_ok "echo 1 > '$E'"
expect_xattr "set with nobody waiting" "$E" signaled 1
expect_eq "a reader takes it" 1 "$(cat "$E")"
expect_xattr "auto: reset by the read" "$E" signaled 0
expect_eq "one write() of 1 then 0" "4 ok" "$("${FSIO[@]}" write "$E" '1\n0\n')"
expect_xattr "set then reset in one write" "$E" signaled 0
expect_eq "nothing left to take" "ERR EAGAIN rc=3" "$(nb_read "$E")"

E=$D/em
expect_xattr "manual" "$E" mode manual
cat "$E" >"$T/e1" 2>&1 & p1=$!; fs_track $p1
cat "$E" >"$T/e2" 2>&1 & p2=$!; fs_track $p2
still_waiting "readers of a reset manual event wait" $p1 $p2
expect_ok "echo 1 > '$E'"
fs_wait_pid $p1 5; rc1=$?
fs_wait_pid $p2 5; rc2=$?
expect_eq "one set of a manual event releases both" "0 0 1 1" "$rc1 $rc2 $(cat "$T/e1") $(cat "$T/e2")"
expect_xattr "stays set" "$E" signaled 1
fs_run 3 cat "$E"; rc=$?
expect_eq "a read of a set manual event returns at once" "0 1" "$rc $(cat "$T/run.out")"
expect_xattr "still set" "$E" signaled 1
expect_errno EINVAL "echo 2 > '$E'"
expect_errno EINVAL "echo -1 > '$E'"
expect_xattr "refused values leave it set" "$E" signaled 1
expect_ok "echo 0 > '$E'"
expect_xattr "reset" "$E" signaled 0
expect_eq "O_NONBLOCK read after the reset" "ERR EAGAIN rc=3" "$(nb_read "$E")"
expect_eq "one write() of 1 and 2" "EINVAL ok" "$("${FSIO[@]}" write "$E" '1\n2\n')"
expect_xattr "a write with a bad value applies none" "$E" signaled 0

# ---- signal ------------------------------------------------------------------

G=$D/sg
expect_eq "a new signal reads 0" 0 "$(cat "$G")"
expect_xattr "a new signal" "$G" version 0
fs_run 3 cat "$G"; rc=$?
expect_eq "a read does not wait for a change" "0 0" "$rc $(cat "$T/run.out")"
expect_ok "echo 42 > '$G'"
expect_eq "after echo 42" 42 "$(cat "$G")"
expect_xattr "one set" "$G" version 1
expect_ok "printf '1\n2\n3\n' > '$G'"
expect_xattr "three elements: three sets" "$G" version 4
expect_eq "the last one stays" 3 "$(cat "$G")"
expect_eq "one write() of three" "6 ok" "$("${FSIO[@]}" write "$G" '4\n5\n6\n')"
expect_xattr "three elements in one write(): three sets" "$G" version 7
expect_eq "the last of them stays" 6 "$(cat "$G")"
expect_errno EINVAL "echo x > '$G'"
expect_errno EINVAL "echo 2147483648 > '$G'"
expect_xattr "refused values set nothing" "$G" version 7
expect_eq "value after refused values" 6 "$(cat "$G")"
expect_ok "echo 1.5 > '$D/sf'"
expect_eq "an f64 signal" 1.5 "$(cat "$D/sf")"
# poll: readable once the version moved since this open file last read.
cat >"$T/sigpoll.py" <<'EOF'
import os, select, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
p = select.poll()
p.register(fd, select.POLLIN)
def ev(t):
    r = p.poll(t)
    return "IN" if r and r[0][1] & select.POLLIN else "none"
out = [ev(0)]
open(sys.argv[2], "w").close()
t0 = time.monotonic()
out.append(ev(5000))
out.append(str(int((time.monotonic() - t0) * 1000)))
out.append(os.pread(fd, 100, 0).decode().strip())
out.append(ev(0))
print(" ".join(out))
EOF
python3 "$T/sigpoll.py" "$G" "$T/ready" >"$T/poll" 2>&1 & p=$!; fs_track $p
wait_until 5 "[ -e '$T/ready' ]"
sleep 0.3
expect_ok "echo 77 > '$G'"
fs_wait_pid $p 6
read -r ev0 ev1 ms val ev2 <"$T/poll"
expect_eq "poll before any change: not readable" none "${ev0:-}"
expect_eq "poll woken by a write" IN "${ev1:-}"
expect_match "poll waited for the write (${ms:-?} ms)" '^1$' "$(( ${ms:-0} >= 250 && ${ms:-0} < 2000 ))"
expect_eq "the value read after poll" 77 "${val:-}"
expect_eq "after reading: not readable again" none "${ev2:-}"
[ -s "$T/poll" ] && [ -z "${ev2:-}" ] && note "sigpoll output: $(cat "$T/poll")"

# ---- once, rwlock, monitor ---------------------------------------------------

expect_eq "once shows its state" pending "$(cat "$D/o")"
expect_xattr "once" "$D/o" state pending
expect_eq "rwlock shows its state" "$(printf 'readers 0\nwriter 0')" "$(cat "$D/rw")"
expect_xattr "rwlock" "$D/rw" readers 0
expect_xattr "rwlock" "$D/rw" writer 0
expect_eq "monitor shows its state" "$(printf 'locked 0\nwaiting 0')" "$(cat "$D/mon")"
expect_xattr "monitor" "$D/mon" locked 0
expect_xattr "monitor" "$D/mon" waiting 0
for f in o rw mon; do
  expect_errno EPERM "echo 1 > '$D/$f'"
  expect_eq "fsio: write to $f" "EPERM ok" "$("${FSIO[@]}" write "$D/$f" 'x\n')"
done
expect_eq "state unchanged by refused writes" "pending readers 0 writer 0 locked 0 waiting 0" \
  "$(cat "$D/o" "$D/rw" "$D/mon" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "state files need no O_NONBLOCK care" "pending rc=0" "$(nb_read "$D/o" | tr -d '\n')"

# ---- setfattr user.zeroipc.kind on 16-byte entries ---------------------------

K=$D/k   # semaphore {count 2, waiting 0, max 5, 0}
expect_errno EINVAL "setfattr -n user.zeroipc.kind -v latch '$K'"    # count 2 > initial 0
expect_errno EINVAL "setfattr -n user.zeroipc.kind -v mutex '$K'"    # max is not 1
expect_errno EINVAL "setfattr -n user.zeroipc.kind -v queue '$K'"
expect_errno EINVAL "setfattr -n user.zeroipc.kind -v bogus '$K'"
expect_errno EINVAL "setfattr -n user.zeroipc.kind -v '' '$K'"
expect_xattr "refused kinds leave it" "$K" kind semaphore
expect_xattr "refused kinds leave it" "$K" count 2
expect_ok "setfattr -n user.zeroipc.kind -v barrier '$K'"   # arrived 2 < participants 5
expect_xattr "now a barrier" "$K" kind barrier
expect_xattr "the same bytes as a barrier" "$K" arrived 2
expect_xattr "the same bytes as a barrier" "$K" participants 5
expect_eq "a barrier's mode" "-r--r--r--" "$(stat -c %A "$K")"
expect_ok "setfattr -n user.zeroipc.kind -v semaphore '$K'"
expect_xattr "back to a semaphore" "$K" kind semaphore
expect_eq "and it works as one" 1 "$(cat "$K")"
expect_ok "setfattr -n user.zeroipc.kind -v semaphore '$M'"   # {1, 0, 1, 0}
expect_xattr "a mutex's bytes as a semaphore" "$M" kind semaphore
expect_xattr "a mutex's bytes as a semaphore" "$M" max 1
expect_ok "setfattr -n user.zeroipc.kind -v mutex '$M'"
expect_xattr "and back" "$M" kind mutex
expect_errno EINVAL "setfattr -n user.zeroipc.kind -v barrier '$L'"  # {0, 3, 0, 0}: 0 participants
expect_xattr "a latch stays" "$L" kind latch
expect_errno EINVAL "setfattr -n user.zeroipc.kind -v semaphore '$D/o'"  # 4 bytes

# ---- other mount modes: the waits are the same -------------------------------

fs_remount blocking,one_per_read
expect_xattr "after remount" "$S" count 0
cat "$S" >"$T/w1" 2>&1 & p=$!; fs_track $p
still_waiting "-o blocking: cat of an empty semaphore waits" $p
expect_ok "echo 1 > '$S'"
fs_wait_pid $p 5; rc=$?
expect_eq "-o blocking: woken, prints 0" "0 0" "$rc $(cat "$T/w1")"
expect_eq "-o blocking: O_NONBLOCK still EAGAIN" "ERR EAGAIN rc=3" "$(nb_read "$S")"
expect_eq "-o blocking: a signal read does not wait" "77" "$(timeout 3 cat "$G")"

fs_remount binary
expect_xattr "after remount" "$S" count 0
cat "$S" >"$T/w1" 2>&1 & p=$!; fs_track $p
still_waiting "-o binary: cat of an empty semaphore waits" $p
expect_ok "printf '\\002\\000\\000\\000' > '$S'"
fs_wait_pid $p 5; rc=$?
expect_eq "-o binary: a 4-byte release of 2 wakes it; it reads one 4-byte count" "0 1" \
  "$rc $(od -An -td4 "$T/w1" | tr -d ' ')"
expect_eq "-o binary: the file size read" 4 "$(stat -c %s "$T/w1")"
expect_xattr "-o binary" "$S" count 1
expect_eq "-o binary: a signal reads its 4 bytes" 77 "$(od -An -td4 "$G" | tr -d ' ')"

fs_done
