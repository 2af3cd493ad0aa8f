#!/usr/bin/env bash
# A C program linked with libzeroipc on one end of a queue, the shell on
# the other, in blocking mode, with a queue much smaller than what goes
# through it: counts, sums and order match.  Then two cats popping at once
# from one pusher: every element reaches exactly one of them.
. "$(dirname "$0")/harness.sh"

[ -n "${ZT_PUSHER:-}" ] && [ -x "$ZT_PUSHER" ] || fs_skip "ZT_PUSHER (pusher.c built) not set"

N=200000
SUM=$(( N * (N + 1) / 2 ))

fs_mount "blocking,size=4M"
fs_mkseg s; D=$SEG
fs_create "$D" 'queue q u64 1024'
Q=$D/q

# stop_cat PID: SIGINT, which must end its wait at once.
stop_cat() {
  kill -INT "$1"
  fs_wait_pid "$1" 5
  [ $? = 255 ] && fail "cat did not end within 5 s of SIGINT"
}

# 1. C pushes, cat pops.
"${DFLINT[@]}" cat "$Q" >"$T/popped" & cp=$!; fs_track $cp
"$ZT_PUSHER" push "${PREFIX}s" q $N >"$T/pushed" 2>&1 & pp=$!; fs_track $pp
fs_wait_pid $pp 60; rc=$?
expect_eq "pusher exit status" 0 $rc
expect_eq "pusher pushed" "$N $SUM 0" "$(cat "$T/pushed")"
wait_until 20 "[ \$(wc -l < '$T/popped') -ge $N ]"
stop_cat $cp
expect_eq "cat popped N lines" $N "$(wc -l <"$T/popped")"
expect_eq "cat popped the sum" $SUM "$(awk '{ s += $1 } END { printf "%.0f", s }' "$T/popped")"
check "cat popped 1..N in order" cmp -s <(seq 1 $N) "$T/popped"
expect_xattr "queue after" "$Q" count 0

# 2. The shell pushes (waiting for room), C pops.
"$ZT_PUSHER" pop "${PREFIX}s" q $N >"$T/popres" 2>&1 & pp=$!; fs_track $pp
fs_run 60 sh -c 'seq 1 "$1" > "$2"' _ $N "$Q"; rc=$?
expect_eq "seq > queue exit status" 0 $rc
fs_wait_pid $pp 30; rc=$?
expect_eq "popper exit status" 0 $rc
expect_eq "popper got 1..N in order" "$N $SUM 0" "$(cat "$T/popres")"
expect_xattr "queue after" "$Q" count 0

# 3. Two cats at once: each element reaches exactly one.
"${DFLINT[@]}" cat "$Q" >"$T/a" & ca=$!; fs_track $ca
"${DFLINT[@]}" cat "$Q" >"$T/b" & cb=$!; fs_track $cb
"$ZT_PUSHER" push "${PREFIX}s" q $N >"$T/pushed" 2>&1 & pp=$!; fs_track $pp
fs_wait_pid $pp 60; rc=$?
expect_eq "pusher exit status (two readers)" 0 $rc
wait_until 20 "[ \$(cat '$T/a' '$T/b' | wc -l) -ge $N ]"
stop_cat $ca
stop_cat $cb
check "two cats: every element exactly once" cmp -s <(seq 1 $N) <(sort -n "$T/a" "$T/b")
expect_eq "two cats: count" $N "$(cat "$T/a" "$T/b" | wc -l)"
check "each cat saw its elements in order" sh -c "sort -nc '$T/a' && sort -nc '$T/b'"
expect_xattr "queue after" "$Q" count 0

# 4. Four shells pushing at once (each waiting for room), C popping.
M=50000
"$ZT_PUSHER" pop "${PREFIX}s" q $((4 * M)) >"$T/popres" 2>&1 & pp=$!; fs_track $pp
ws=()
for k in 0 1 2 3; do
  "${DFLINT[@]}" sh -c 'seq "$1" "$2" > "$3"' _ $((k * M + 1)) $(((k + 1) * M)) "$Q" & ws+=($!); fs_track $!
done
for w in "${ws[@]}"; do
  fs_wait_pid $w 60; rc=$?
  expect_eq "a concurrent writer's exit status" 0 $rc
done
fs_wait_pid $pp 30; rc=$?
expect_eq "popper exit status (four writers)" 0 $rc
expect_eq "popper got every element of four writers" "$((4 * M)) $(( 4 * M * (4 * M + 1) / 2 ))" \
  "$(cut -d' ' -f1,2 "$T/popres")"
expect_xattr "queue after" "$Q" count 0

fs_done
