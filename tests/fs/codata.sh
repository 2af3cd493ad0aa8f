#!/usr/bin/env bash
# Futures, lazies, streams and channels through the mount, in the default
# (non-blocking) mode, where their reads still wait: futures (cat waits
# for a set by another process, several readers, not consumed, EEXIST,
# errors as EIO with user.zeroipc.error, Ctrl-C, O_NONBLOCK, poll);
# lazies (const/add/mul/neg, chains across entries computed once, an
# external supplied by a shell or a libzeroipc program, EEXIST, EPERM, a
# chain cycle as EIO); streams (cat waits, close ends it after draining,
# EPIPE, derived filter/map/take streams fed while read, a fold's future,
# 1000 elements from a libzeroipc emitter); channels (buffered in order,
# a full one waits, close, an unbuffered rendezvous that blocks its
# writer until a reader takes the value, Ctrl-C takes the value back).
. "$(dirname "$0")/harness.sh"

[ -n "${ZT_CODATA:-}" ] && [ -x "$ZT_CODATA" ] || fs_skip "ZT_CODATA (codata.c built) not set"

# The messages of the errnos used here, looked up once (as sync.sh).
declare -A ERRMSG
for e in EINVAL EEXIST EPERM EIO EPIPE; do ERRMSG[$e]=$(errmsg $e); done
eval "harness_$(declare -f errmsg)"
errmsg() { if [ -n "${ERRMSG[$1]:-}" ]; then echo "${ERRMSG[$1]}"; else harness_errmsg "$1"; fi; }

fs_mount
fs_mkseg s; D=$SEG; SEGNAME=${PREFIX}s

# still_waiting DESC PID... : each PID is still running after a short
# pause (a read that should wait has had the time to come back).
still_waiting() {
  local desc=$1 p; shift
  sleep 0.3
  for p in "$@"; do check "$desc (pid $p)" kill -0 "$p"; done
}
# nb_read FILE : an O_NONBLOCK read: the text, or "ERR NAME" and the status.
nb_read() { local out rc; out=$("${FSIO[@]}" read --nonblock "$1" 4096 2>&1); rc=$?; echo "$out rc=$rc"; }
# nlines FILE : its number of lines.
nlines() { wc -l <"$1" 2>/dev/null || echo 0; }
# elapsed_ok DESC T0 LIMIT_MS : now - T0 is under LIMIT_MS.
elapsed_ok() {
  local ms=$(( $(now_ms) - $2 ))
  expect_match "$1 (took $ms ms, limit $3)" '^1$' "$(( ms < $3 ))"
}
# table_index DIR NAME : NAME's index in DIR/.table.
table_index() { awk -v n="$2" '$2 == n { print $1 }' "$1/.table"; }

# =============================================================================
# future
# =============================================================================

for l in 'future f i64' 'future fe i64' 'future fl i64' 'future fi i64' 'future fp i64'; do
  fs_create "$D" "$l"
done
F=$D/f
expect_xattr "a future" "$F" kind future
expect_xattr "a new future" "$F" state pending
expect_eq "a future's mode" "-rw-r--r--" "$(stat -c %A "$F")"
getfattr -d "$F" >"$T/gd.out" 2>"$T/gd.err"
expect_line "getfattr -d of a pending future lists its state" 'user\.zeroipc\.state="pending"' "$(cat "$T/gd.out")"
expect_eq "getfattr -d of a pending future: no user.zeroipc.error" "" \
  "$(grep -h 'zeroipc\.error' "$T/gd.out" "$T/gd.err")"
expect_eq "getfattr -n user.zeroipc.error of a pending future" "No such attribute" \
  "$(getfattr --absolute-names -n user.zeroipc.error "$F" 2>&1 >/dev/null | sed 's/.*: //')"
expect_eq "O_NONBLOCK read of a pending future" "ERR EAGAIN rc=3" "$(nb_read "$F")"

# poll: not readable while pending, readable once set.
"${FSIO[@]}" poll "$F" r 5000 "$T/fpoll.ready" >"$T/fpoll" 2>&1 & pp=$!; fs_track $pp
# Three readers wait for the value.
ps=()
for i in 1 2 3; do cat "$F" >"$T/f.$i" 2>&1 & ps+=($!); fs_track $!; done
wait_until 5 "[ -e '$T/fpoll.ready' ]"
still_waiting "cat of a pending future waits" "${ps[@]}" $pp
expect_eq "nothing read while pending" "" "$(cat "$T/f.1" "$T/f.2" "$T/f.3")"
expect_xattr "still pending" "$F" state pending
t0=$(now_ms)
expect_ok "echo 42 > '$F'"
rcs=()
for p in "${ps[@]}"; do fs_wait_pid $p 5; rcs+=($?); done
elapsed_ok "the waiting readers woke" $t0 2000
expect_eq "the three readers' statuses" "0 0 0" "${rcs[*]}"
expect_eq "the three readers all got the value" "42 42 42" "$(cat "$T/f.1" "$T/f.2" "$T/f.3" | tr '\n' ' ' | sed 's/ $//')"
fs_wait_pid $pp 6
read -r pev pms <"$T/fpoll"
expect_eq "poll of the future woke readable" IN "${pev:-}"
expect_match "poll waited for the set (${pms:-?} ms)" '^1$' "$(( ${pms:-0} >= 250 ))"
expect_eq "reading again gives it again" 42 "$(cat "$F")"
expect_eq "and again (not consumed)" 42 "$(cat "$F")"
expect_xattr "set" "$F" state ready
expect_errno EEXIST "echo 43 > '$F'"
expect_eq "fsio: a second set" "EEXIST ok" "$("${FSIO[@]}" write "$F" '44\n')"
expect_eq "a second set changed nothing" 42 "$(cat "$F")"
expect_eq "O_NONBLOCK read of a set future" "42 rc=0" "$(nb_read "$F" | tr -d '\n')"
read -r pev pms < <("${FSIO[@]}" poll "$F" r 2000)
expect_eq "poll of a set future: readable at once" "IN" "${pev:-}"
getfattr -d "$F" >"$T/gd.out" 2>"$T/gd.err"
expect_eq "getfattr -d of a set future: still no user.zeroipc.error" "" \
  "$(grep -h 'zeroipc\.error' "$T/gd.out" "$T/gd.err")"

# Set by a libzeroipc program (a wake-up the daemon did not cause).
cat "$D/fl" >"$T/fl" 2>&1 & p=$!; fs_track $p
still_waiting "cat of a future another program will set" $p
t0=$(now_ms)
check "zt-fs-codata future-set" "$ZT_CODATA" future-set "$SEGNAME" fl -7
fs_wait_pid $p 5; rc=$?
elapsed_ok "a set by a library process woke the reader" $t0 2000
expect_eq "the reader of a library-set future" "0 -7" "$rc $(cat "$T/fl")"
expect_xattr "library-set" "$D/fl" state ready

# An error: readers fail with EIO, the message in user.zeroipc.error.
FE=$D/fe
cat "$FE" >"$T/fe.out" 2>"$T/fe.err" & p=$!; fs_track $p
still_waiting "cat of a future about to fail waits" $p
t0=$(now_ms)
expect_ok "setfattr -n user.zeroipc.error -v 'disk on fire' '$FE'"
fs_wait_pid $p 5; rc=$?
elapsed_ok "the error woke the reader" $t0 2000
expect_eq "the waiting reader failed" 1 $rc
expect_match "with EIO" "${ERRMSG[EIO]}" "$(cat "$T/fe.err")"
expect_eq "and printed nothing" "" "$(cat "$T/fe.out")"
expect_errno EIO "cat '$FE'"
expect_xattr "failed" "$FE" state error
expect_xattr "failed" "$FE" error "disk on fire"
expect_line "getfattr -d lists the error now" 'user\.zeroipc\.error="disk on fire"' "$(getfattr -d "$FE" 2>/dev/null)"
expect_errno EEXIST "echo 5 > '$FE'"
expect_errno EEXIST "setfattr -n user.zeroipc.error -v again '$FE'"
expect_xattr "a second error changed nothing" "$FE" error "disk on fire"
expect_eq "O_NONBLOCK read of a failed future" "ERR EIO rc=3" "$(nb_read "$FE")"

# Ctrl-C on a waiting reader ends it at once; the daemon keeps serving.
FI=$D/fi
"${DFLINT[@]}" cat "$FI" >/dev/null 2>&1 & p=$!; fs_track $p
still_waiting "a reader to interrupt" $p
t0=$(now_ms)
kill -INT $p
fs_wait_pid $p 3; rc=$?
expect_eq "kill -INT of a waiting cat (130: killed by SIGINT)" 130 $rc
elapsed_ok "interrupted promptly" $t0 1500
t0=$(now_ms)
fs_run 5 timeout -s INT 0.5 cat "$FI"; rc=$?
expect_eq "timeout -s INT cat of a pending future (124)" 124 $rc
elapsed_ok "timeout -s INT ended it" $t0 2000
expect_xattr "interrupted readers resolved nothing" "$FI" state pending
expect_ok "echo 9 > '$FI'"
fs_run 3 cat "$FI"; rc=$?
expect_eq "after the interrupts the daemon still serves" "0 9" "$rc $(cat "$T/run.out")"
expect_eq "the other futures are intact" "42 -7" "$(cat "$F" "$D/fl" | tr '\n' ' ' | sed 's/ $//')"
# Two values in one write set nothing.
expect_eq "one write() of two values" "EINVAL ok" "$("${FSIO[@]}" write "$D/fp" '1\n2\n')"
expect_xattr "two values set nothing" "$D/fp" state pending

# =============================================================================
# lazy
# =============================================================================

fs_mkseg lz; L=$SEG
for l in 'lazy lc i64 const 5' 'lazy la i64 add 2 3' 'lazy lm i64 mul 6 7' 'lazy ln i64 neg 9' \
         'lazy lx i64 external' 'lazy ly i64 external' 'lazy lf f64 add 0.5 0.25' \
         'lazy lch i64 chain mul la lm' 'lazy lch2 i64 chain add lch ln' 'lazy lcn i64 chain neg lch2'; do
  fs_create "$L" "$l"
done
expect_xattr "a lazy" "$L/la" kind lazy
expect_xattr "add" "$L/la" op add
expect_xattr "mul" "$L/lm" op multiply
expect_xattr "neg" "$L/ln" op negate
expect_xattr "const" "$L/lc" op constant
expect_xattr "external" "$L/lx" op external
ia=$(table_index "$L" la); im=$(table_index "$L" lm)
expect_match ".table has la and lm" '^[0-9]+ [0-9]+$' "$ia $im"
expect_xattr "chain mul la lm" "$L/lch" op "chain mul #$ia #$im"
expect_xattr "an unread add" "$L/la" state unevaluated
expect_xattr "an unread add" "$L/la" compute_count 0
expect_xattr "an unread chain" "$L/lch2" state unevaluated
expect_xattr "a constant is there from the start" "$L/lc" state ready
expect_eq "const 5" 5 "$(cat "$L/lc")"
expect_eq "add 2 3" 5 "$(cat "$L/la")"
expect_xattr "add, read" "$L/la" state ready
expect_eq "mul 6 7" 42 "$(cat "$L/lm")"
expect_eq "neg 9" -9 "$(cat "$L/ln")"
expect_eq "f64 add 0.5 0.25" 0.75 "$(cat "$L/lf")"
for i in 1 2 3; do cat "$L/la" "$L/lm" >/dev/null; done
expect_xattr "read four times, computed once" "$L/la" compute_count 1
expect_xattr "read four times, computed once" "$L/lm" compute_count 1
expect_xattr "a constant is never computed" "$L/lc" compute_count 0
expect_eq "chain neg (chain add (chain mul la lm) ln)" -201 "$(cat "$L/lcn")"
expect_xattr "the chain forced its operand chain" "$L/lch2" state ready
expect_eq "chain add (chain mul la lm) ln" 201 "$(cat "$L/lch2")"
expect_eq "chain mul la lm" 210 "$(cat "$L/lch")"
for i in 1 2 3; do cat "$L/lch" "$L/lch2" "$L/lcn" >/dev/null; done
expect_eq "compute_count of the chains after several reads" "1 1 1" \
  "$(xattr "$L/lch" compute_count) $(xattr "$L/lch2" compute_count) $(xattr "$L/lcn" compute_count)"
expect_xattr "operands still computed once" "$L/la" compute_count 1
expect_errno EPERM "echo 1 > '$L/la'"
expect_errno EPERM "echo 1 > '$L/lc'"
expect_errno EPERM "echo 1 > '$L/lch'"
expect_eq "writes refused: values unchanged" "5 5 210" "$(cat "$L/la" "$L/lc" "$L/lch" | tr '\n' ' ' | sed 's/ $//')"

# An external: cat waits until another shell supplies it.
X=$L/lx
expect_xattr "an unsupplied external" "$X" state unevaluated
expect_eq "O_NONBLOCK read of an unsupplied external" "ERR EAGAIN rc=3" "$(nb_read "$X")"
cat "$X" >"$T/lx.1" 2>&1 & p1=$!; fs_track $p1
cat "$X" >"$T/lx.2" 2>&1 & p2=$!; fs_track $p2
still_waiting "cat of an external waits" $p1 $p2
expect_eq "nothing read while unsupplied" "" "$(cat "$T/lx.1" "$T/lx.2")"
t0=$(now_ms)
bash -c "echo 11 > '$X'" 2>"$T/lx.w"; rc=$?
expect_eq "echo 11 > lx from another shell" "0 " "$rc $(cat "$T/lx.w")"
fs_wait_pid $p1 5; rc1=$?
fs_wait_pid $p2 5; rc2=$?
elapsed_ok "the supply woke the readers" $t0 2000
expect_eq "both readers got the supplied value" "0 0 11 11" "$rc1 $rc2 $(cat "$T/lx.1") $(cat "$T/lx.2")"
expect_xattr "supplied" "$X" state ready
expect_errno EEXIST "echo 12 > '$X'"
expect_eq "a second supply changed nothing" 11 "$(cat "$X")"
expect_xattr "supplied once" "$X" compute_count 1
# Supplied by a libzeroipc program.
cat "$L/ly" >"$T/ly" 2>&1 & p=$!; fs_track $p
still_waiting "cat of an external a program will supply" $p
check "zt-fs-codata supply" "$ZT_CODATA" supply "${PREFIX}lz" ly 123456789012
fs_wait_pid $p 5; rc=$?
expect_eq "the reader of a library-supplied external" "0 123456789012" "$rc $(cat "$T/ly")"

# A CHAIN cycle: two chains that name each other by table index.
n=$(wc -l <"$L/.table")
fs_create "$L" "lazy cy1 i64 chain add #$((n + 1)) #$((n + 1))"
fs_create "$L" "lazy cy2 i64 chain neg #$n"
expect_eq "the two chains got the indices they point at" "$n $((n + 1))" \
  "$(table_index "$L" cy1) $(table_index "$L" cy2)"
expect_xattr "cy1 points at cy2" "$L/cy1" op "chain add #$((n + 1)) #$((n + 1))"
expect_xattr "a cycle before it is read" "$L/cy1" state unevaluated
getfattr -d "$L/cy1" >"$T/gd.out" 2>"$T/gd.err"
expect_eq "getfattr -d of an unread chain: no user.zeroipc.error" "" \
  "$(grep -h 'zeroipc\.error' "$T/gd.out" "$T/gd.err")"
fs_run 5 cat "$L/cy1"; rc=$?
expect_eq "cat of a chain in a cycle fails (and does not hang)" 1 $rc
expect_match "with EIO" "${ERRMSG[EIO]}" "$(cat "$T/run.out")"
expect_xattr "a cycle" "$L/cy1" state error
expect_match "the cycle's message" 'cycle' "$(xattr "$L/cy1" error)"
expect_errno EIO "cat '$L/cy2'"
expect_eq "the daemon still serves lazies" 210 "$(cat "$L/lch")"

# =============================================================================
# stream
# =============================================================================

fs_mkseg st; S=$SEG; SEGST=${PREFIX}st
fs_create "$S" 'stream s i32 8'
expect_xattr "a stream" "$S/s" kind stream
expect_xattr "a new stream" "$S/s" sequence 0
expect_xattr "a new stream" "$S/s" closed 0
expect_ok "seq 1 5 > '$S/s'"
expect_xattr "five emitted" "$S/s" sequence 5
cat "$S/s" >"$T/s.out" 2>&1 & p=$!; fs_track $p
wait_until 5 "[ \$(nlines '$T/s.out') -ge 5 ]"
expect_eq "cat prints what was emitted" "$(lines 1 5)" "$(cat "$T/s.out")"
still_waiting "and waits for more" $p
expect_ok "echo 6 > '$S/s'"
wait_until 5 "[ \$(nlines '$T/s.out') -ge 6 ]"
expect_eq "an emit while it waits" "$(lines 1 6)" "$(cat "$T/s.out")"
still_waiting "it still waits" $p
t0=$(now_ms)
expect_ok "setfattr -n user.zeroipc.closed -v 1 '$S/s'"
fs_wait_pid $p 5; rc=$?
elapsed_ok "the close ended the waiting cat" $t0 2000
expect_eq "cat of a closed stream ends (EOF)" 0 $rc
expect_eq "having printed everything once" "$(lines 1 6)" "$(cat "$T/s.out")"
expect_xattr "closed" "$S/s" closed 1
expect_xattr "six emitted" "$S/s" sequence 6
expect_errno EPIPE "echo 7 > '$S/s'"
expect_eq "fsio: a write to a closed stream" "EPIPE ok" "$("${FSIO[@]}" write "$S/s" '7\n')"
expect_xattr "refused writes emitted nothing" "$S/s" sequence 6
fs_run 3 cat "$S/s"; rc=$?
expect_eq "a closed, drained stream reads empty at once" "0 " "$rc $(cat "$T/run.out")"
expect_errno EINVAL "setfattr -n user.zeroipc.closed -v 0 '$S/s'"
# Closed with elements left: a reader drains them first.
fs_create "$S" 'stream s2 i32 8'
expect_ok "seq 10 12 > '$S/s2'"
expect_ok "setfattr -n user.zeroipc.closed -v 1 '$S/s2'"
fs_run 3 cat "$S/s2"; rc=$?
expect_eq "a closed stream is drained, then EOF" "0 $(lines 10 12)" "$rc $(cat "$T/run.out")"
expect_eq "O_NONBLOCK read of a closed and drained stream: EOF" " rc=0" "$(nb_read "$S/s2")"
fs_create "$S" 'stream s3 i32 8'
expect_eq "O_NONBLOCK read of an empty open stream" "ERR EAGAIN rc=3" "$(nb_read "$S/s3")"

# Derived streams (each source feeds one derived stream), fed while read.
for l in 'stream src1 i32 16' 'stream big i32 16 src1 filter gt 10' \
         'stream src2 i32 16' 'stream dbl i32 16 src2 map mul 2' \
         'stream src3 i32 16' 'stream first3 i32 16 src3 take 3' \
         'stream src4 i32 16' 'stream dbl4 i32 16 src4 map mul 2' \
         'stream nums i32 16' 'stream total i32 1 nums fold sum' \
         'stream mins i32 4' 'stream mn i32 1 mins fold min'; do
  fs_create "$S" "$l"
done
expect_xattr "filter" "$S/big" op "filter gt 10"
expect_xattr "map" "$S/dbl" op "map mul 2"
expect_xattr "take" "$S/first3" op "take 3"
expect_eq "a plain stream has no op" "" "$(xattr "$S/src1" op)"
expect_eq "a fold shows as one file, its stream parts hidden" "nums total" \
  "$(ls "$S" | grep -E '^(nums|total)' | tr '\n' ' ' | sed 's/ $//')"
expect_xattr "a fold" "$S/total" kind future
expect_line ".table: the fold's stream parts" '[0-9]+ total_header [0-9]+ [0-9]+ stream total' "$(fs_table "$S")"
expect_errno EPERM "echo 1 > '$S/big'"
expect_eq "fsio: a write to a derived stream" "EPERM ok" "$("${FSIO[@]}" write "$S/dbl" '1\n')"
expect_xattr "refused writes emitted nothing" "$S/big" sequence 0

cat "$S/big" >"$T/big" 2>&1 & pb=$!; fs_track $pb
cat "$S/dbl" >"$T/dbl" 2>&1 & pd=$!; fs_track $pd
cat "$S/first3" >"$T/first3" 2>&1 & pf=$!; fs_track $pf
still_waiting "readers of derived streams with empty sources wait" $pb $pd $pf
# One writer per source, one line per write, a little apart.
( for i in $(seq 1 20); do echo $i; sleep 0.02; done ) >"$S/src1" 2>"$T/src1.err" & w1=$!; fs_track $w1
( for i in $(seq 1 5); do echo $i; sleep 0.02; done ) >"$S/src2" 2>"$T/src2.err" & w2=$!; fs_track $w2
( for i in $(seq 1 10); do echo $i; sleep 0.02; done ) >"$S/src3" 2>"$T/src3.err" & w3=$!; fs_track $w3
for w in $w1 $w2 $w3; do fs_wait_pid $w 10; check "a source's writer (pid $w) ended well" test $? = 0; done
wait_until 5 "[ \$(nlines '$T/big') -ge 10 ] && [ \$(nlines '$T/dbl') -ge 5 ]"
expect_eq "filter gt 10 of 1..20" "$(lines 11 20)" "$(cat "$T/big")"
expect_eq "map mul 2 of 1..5" "$(printf '%s\n' 2 4 6 8 10)" "$(cat "$T/dbl")"
fs_wait_pid $pf 5; rc=$?
expect_eq "take 3: the reader ends after 3, the source still open" "0 $(lines 1 3)" "$rc $(cat "$T/first3")"
expect_xattr "take 3 closed its stream" "$S/first3" closed 1
expect_xattr "its source is still open" "$S/src3" closed 0
still_waiting "readers of derived streams of open sources wait" $pb $pd
expect_xattr "sequence of the source" "$S/src1" sequence 20
expect_xattr "sequence of the filtered stream" "$S/big" sequence 10
expect_xattr "sequence of the mapped stream" "$S/dbl" sequence 5
t0=$(now_ms)
expect_ok "setfattr -n user.zeroipc.closed -v 1 '$S/src1'"
fs_wait_pid $pb 5; rc=$?
elapsed_ok "closing the source ended the derived reader" $t0 2000
expect_eq "the filter's reader ends with EOF" 0 $rc
expect_xattr "the close went through the operator" "$S/big" closed 1
expect_ok "setfattr -n user.zeroipc.closed -v 1 '$S/src2'"
fs_wait_pid $pd 5; rc=$?
expect_eq "the map's reader ends with EOF" 0 $rc

# 1000 elements from a libzeroipc emitter through a derived stream of 16.
cat "$S/dbl4" >"$T/dbl4" 2>&1 & pd=$!; fs_track $pd
"$ZT_CODATA" emit "$SEGST" src4 1 1000 close >"$T/emit4" 2>&1 & pe=$!; fs_track $pe
fs_wait_pid $pe 15; rc=$?
expect_eq "the emitter of 1000 elements (count, sum)" "0 1000 500500" "$rc $(cat "$T/emit4")"
fs_wait_pid $pd 5; rc=$?
expect_eq "the reader of the mapped 1000 ends" 0 $rc
expect_eq "map mul 2 of 1..1000, in order" "$(seq 2 2 2000)" "$(cat "$T/dbl4")"
expect_xattr "1000 through the operator" "$S/dbl4" sequence 1000

# A fold: cat total waits until the source is closed, then prints the sum.
TOT=$S/total
expect_xattr "a fold's future" "$TOT" state pending
expect_errno EINVAL "echo 'stream t64 i64 1 nums fold sum' > '$S/.create'"   # the source's type
# The sum of i32 elements is an i64 (zeroipc_stream.h).
ty=$(xattr "$TOT" type)
expect_eq "the type of a fold sum's future" i64 "$ty"
expect_eq "O_NONBLOCK read of an unfinished fold" "ERR EAGAIN rc=3" "$(nb_read "$TOT")"
cat "$TOT" >"$T/total" 2>&1 & p=$!; fs_track $p
still_waiting "cat of a fold waits" $p
expect_ok "seq 1 10 > '$S/nums'"
still_waiting "the fold still waits while the source is open" $p
expect_xattr "pending while the source is open" "$TOT" state pending
expect_ok "echo 100 > '$S/nums'"
t0=$(now_ms)
expect_ok "setfattr -n user.zeroipc.closed -v 1 '$S/nums'"
fs_wait_pid $p 5; rc=$?
elapsed_ok "closing the source resolved the fold" $t0 2000
expect_eq "fold sum of 1..10 and 100" "0 155" "$rc $(cat "$T/total")"
expect_xattr "a finished fold" "$TOT" state ready
expect_xattr "all of the source" "$S/nums" sequence 11
# The result is the fold's: reads give it again, writes are refused.
expect_eq "the fold sum read again" 155 "$(cat "$TOT")"
expect_errno EPERM "echo 5 > '$TOT'"
expect_eq "a finished fold is not set again" 155 "$(cat "$TOT")"
# A fold min of an empty source fails.
cat "$S/mn" >"$T/mn.out" 2>"$T/mn.err" & p=$!; fs_track $p
still_waiting "cat of a fold min waits" $p
expect_ok "setfattr -n user.zeroipc.closed -v 1 '$S/mins'"
fs_wait_pid $p 5; rc=$?
expect_eq "a fold min of an empty stream fails" 1 $rc
expect_match "with EIO" "${ERRMSG[EIO]}" "$(cat "$T/mn.err")"
expect_xattr "an empty fold min" "$S/mn" state error
msg=$(xattr "$S/mn" error)
expect_eq "an empty fold min: user.zeroipc.error" "fold min: empty stream" "$msg"
expect_ok "setfattr -n user.zeroipc.type -v i32 '$S/mn'"
expect_xattr "declared i32, the message is read where it is" "$S/mn" error "fold min: empty stream"

# A fold's future has one producer, the fold: a write to it must not set
# it, and a resolved future must never change.
fs_create "$S" 'stream n2 i32 4'
fs_create "$S" 'stream t2 i32 1 n2 fold sum'
expect_ok "setfattr -n user.zeroipc.type -v i64 '$S/t2'"
err=$( (echo 5 >"$S/t2") 2>&1 ); rc=$?
expect_match "a write to a pending fold's future is refused (EPERM)" "${ERRMSG[EPERM]}" "$err"
v1=$(nb_read "$S/t2")
expect_ok "echo 3 > '$S/n2'"
expect_ok "setfattr -n user.zeroipc.closed -v 1 '$S/n2'"
fs_run 3 cat "$S/t2"; rc=$?
v2=$(cat "$T/run.out")
if [ "$v1" = "5 rc=0" ]; then
  # Set by the write: it must stay 5.
  expect_eq "a resolved future never changes (fold pumped after a set)" "0 5" "$rc $v2"
else
  expect_eq "the fold's own result" "0 3" "$rc $v2"
fi

# =============================================================================
# channel
# =============================================================================

fs_mkseg ch; C=$SEG; SEGCH=${PREFIX}ch
for l in 'channel c i32 4' 'channel cf i32 2' 'channel cw i32 2' 'channel cu i32 0'; do
  fs_create "$C" "$l"
done
expect_xattr "a channel" "$C/c" kind channel
expect_xattr "a new channel" "$C/c" closed 0
expect_eq "O_NONBLOCK read of an empty channel" "ERR EAGAIN rc=3" "$(nb_read "$C/c")"

# Buffered: echo lines while a cat reads them.
cat "$C/c" >"$T/c" 2>&1 & p=$!; fs_track $p
still_waiting "cat of an empty channel waits" $p
for i in 1 2 3 4 5 6; do
  expect_ok "echo $i > '$C/c'"
  wait_until 5 "[ \$(nlines '$T/c') -ge $i ]"
done
expect_eq "received in order" "$(lines 1 6)" "$(cat "$T/c")"
still_waiting "the reader waits for more" $p
t0=$(now_ms)
expect_ok "setfattr -n user.zeroipc.closed -v 1 '$C/c'"
fs_wait_pid $p 5; rc=$?
elapsed_ok "the close ended the reader" $t0 2000
expect_eq "the reader ends with EOF" 0 $rc
expect_xattr "closed" "$C/c" closed 1
expect_errno EPIPE "echo 7 > '$C/c'"
expect_eq "a closed channel reads empty" "0 " "$(timeout 3 cat "$C/c"; echo "$? $(timeout 3 cat "$C/c")")"

# A full buffered channel: the writer waits until a reader makes room.
CF=$C/cf
fs_run 3 bash -c "seq 1 2 > '$CF'"; rc=$?
expect_eq "two into a channel of two" 0 $rc
echo 3 >"$CF" 2>"$T/cf.err" & pw=$!; fs_track $pw
still_waiting "a writer of a full channel waits" $pw
t0=$(now_ms)
expect_eq "a reader takes one" 1 "$("${FSIO[@]}" read "$CF" 2)"
fs_wait_pid $pw 5; rc=$?
elapsed_ok "the room woke the writer" $t0 2000
expect_eq "the writer's status" "0 " "$rc $(cat "$T/cf.err")"
fs_run 3 "${FSIO[@]}" read "$CF" 4096; rc=$?
expect_eq "the rest, in order" "0 $(lines 2 3)" "$rc $(cat "$T/run.out")"

# Close with a waiting writer and elements left: the writer gets EPIPE,
# the reader drains, then EOF.
CW=$C/cw
# (a capacity of 1 is rounded up to 2: zeroipc_channel.h)
expect_ok "seq 1 2 > '$CW'"
echo 3 >"$CW" 2>"$T/cw.err" & pw=$!; fs_track $pw
still_waiting "a writer of a full channel of two waits" $pw
t0=$(now_ms)
# The waiting write holds the file's lock in the kernel, so a setfattr on
# the file would wait behind it: the segment directory closes it instead.
setfattr -n user.zeroipc.close -v cw "$C" 2>"$T/cw.set" & psf=$!; fs_track $psf
fs_wait_pid $psf 2; rc=$?
expect_eq "the setfattr that closed it" "0 " "$rc $(cat "$T/cw.set")"
fs_wait_pid $pw 5; rc=$?
elapsed_ok "the close woke the writer" $t0 2000
expect_eq "the waiting writer failed" 1 $rc
expect_match "with EPIPE" "${ERRMSG[EPIPE]}" "$(cat "$T/cw.err")"
fs_run 3 cat "$CW"; rc=$?
expect_eq "the reader drains what was sent, then EOF" "0 $(lines 1 2)" "$rc $(cat "$T/run.out")"

# Unbuffered: a writer waits until a reader takes its value.
CU=$C/cu
echo 7 >"$CU" 2>"$T/cu.err" & pw=$!; fs_track $pw
sleep 0.3
check "an unbuffered writer has not returned after 300 ms without a reader" kill -0 $pw
t0=$(now_ms)
fs_run 3 head -c 2 "$CU"; rc=$?
expect_eq "head -c 2 receives it" "0 7" "$rc $(cat "$T/run.out")"
fs_wait_pid $pw 3; rc=$?
elapsed_ok "the writer returned once its value was taken" $t0 1000
expect_eq "the writer's status" "0 " "$rc $(cat "$T/cu.err")"
# A python reader.
echo 8 >"$CU" 2>"$T/cu.err" & pw=$!; fs_track $pw
still_waiting "a second unbuffered writer waits" $pw
expect_eq "python os.read receives it" "8" "$(python3 -c 'import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); sys.stdout.write(os.read(fd, 100).decode())' "$CU")"
fs_wait_pid $pw 3; rc=$?
expect_eq "and the writer returns" 0 $rc
# Several lines in one write, received in order by a library receiver.
"${FSIO[@]}" write "$CU" '1\n2\n3\n' >"$T/cu.w" 2>&1 & pw=$!; fs_track $pw
still_waiting "a write of three lines waits" $pw
fs_run 15 "$ZT_CODATA" recv "$SEGCH" cu 3; rc=$?
expect_eq "a library receiver gets them in order" "0 1 2 3" "$rc $(cat "$T/run.out")"
fs_wait_pid $pw 3; rc=$?
expect_eq "the write of three lines completed" "0 6 ok" "$rc $(cat "$T/cu.w")"
# ... and by a cat, from a shell writer of several lines.
seq 4 9 >"$CU" 2>"$T/cu.err" & pw=$!; fs_track $pw
cat "$CU" >"$T/cu.out" 2>&1 & pr=$!; fs_track $pr
wait_until 5 "[ \$(nlines '$T/cu.out') -ge 6 ]"
fs_wait_pid $pw 3; rc=$?
expect_eq "seq 4 9 into an unbuffered channel returned" "0 " "$rc $(cat "$T/cu.err")"
expect_eq "cat received them in order" "$(lines 4 9)" "$(cat "$T/cu.out")"
still_waiting "the cat waits for more" $pr
kill -KILL $pr; fs_wait_pid $pr 3 >/dev/null 2>&1
# Ctrl-C on a blocked writer: it returns, and nothing stays in the slot.
printf '99\n' >"$T/nine"
"${DFLINT[@]}" dd if="$T/nine" of="$CU" status=none 2>/dev/null & pw=$!; fs_track $pw
still_waiting "a writer to interrupt" $pw
t0=$(now_ms)
kill -INT $pw
fs_wait_pid $pw 3; rc=$?
expect_eq "kill -INT of a blocked unbuffered writer (130)" 130 $rc
elapsed_ok "interrupted promptly" $t0 1500
expect_eq "O_NONBLOCK read after the interrupted send: nothing there" "ERR EAGAIN rc=3" "$(nb_read "$CU")"
expect_eq "the slot is free: a new send goes through" "0 5 0 5" \
  "$( (echo 5 >"$CU") & w=$!; r=$(timeout 3 head -c 2 "$CU"); rr=$?; wait $w; echo "$rr $r $? $r" )"
expect_xattr "the channel stays open" "$CU" closed 0


# ---- the end: unmount, and what the daemon's sanitizers say ------------------

# (fs_done would do this too, but stop at a failure before the note.)
if fusermount3 -u "$MNT" 2>>"$FS_LOG"; then fs_wait_pid "$FS_PID" 5; rc=$?; else rc=umount-failed; fi
[ "$rc" != 255 ] && [ "$rc" != umount-failed ] && FS_PID=
dlog=$(tail -n "+$((FS_LOG_MARK + 1))" "$FS_LOG")
expect_eq "the daemon's status after the unmount" 0 "$rc"
expect_eq "sanitizer reports in the daemon's log" 0 \
  "$(grep -Ec 'ERROR: (Address|Leak)Sanitizer|runtime error:' <<<"$dlog")"

fs_done
