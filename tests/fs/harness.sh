# harness.sh - what every filesystem test sources.
#
#   . "$(dirname "$0")/harness.sh"
#   fs_mount [OPTS]            # e.g. fs_mount blocking,one_per_read
#   fs_mkseg s; D=$SEG         # mkdir $MNT/${PREFIX}s
#   fs_create "$D" 'queue q i64 16'
#   expect_eq 'pops' "$(printf '1\n2')" "$(cat "$D/q")"
#   fs_done                    # exit 0 if every check passed, 1 otherwise
#
# A test is a bash script that exits 0 (pass), 1 (fail) or 77 (skip: not
# root, no /dev/fuse, no fusermount3, no driver).  The driver is
# $ZEROIPCFS (meson sets it; by hand: ZEROIPCFS=build/fs/zeroipcfs bash
# tests/fs/tree.sh).
#
# Isolation and cleanup.  Every segment a test touches is named
# $PREFIX... (zt-fs-TEST-PID-), and the daemon is mounted with
# prefix=$PREFIX, so tests never see other segments and never meet a
# leftover.  An EXIT trap (also run on INT, TERM and HUP) kills the
# background processes the test registered (fs_track), lazily unmounts,
# kills the daemon, removes the mount point and removes every /dev/shm
# object whose name starts with $PREFIX.  There is no ERR trap that
# exits: checks run commands that are meant to fail, and failures are
# collected (fail, check, expect_*) so that one run reports all of them;
# the EXIT trap runs in every case, so nothing is left behind.
#
# Waits are bounded: wait_until and fs_wait_pid give up after a deadline,
# so a hung read shows as a failure, and the cleanup (which kills the
# daemon, aborting the FUSE connection) frees a process stuck in the
# kernel.

set -u
set -o pipefail
# Tools' messages (compared with strerror) and sort orders as in C.
export LC_ALL=C
unset LANGUAGE

FS_TEST=$(basename "${BASH_SOURCE[1]:-$0}" .sh)
FS_DIR=${ZT_FS_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
FSIO=(python3 "$FS_DIR/fsio.py")

fs_skip() { echo "SKIP $FS_TEST: $*"; exit 77; }

[ "$(id -u)" = 0 ] || fs_skip "needs root"
[ -c /dev/fuse ] || fs_skip "no /dev/fuse"
command -v fusermount3 >/dev/null || fs_skip "no fusermount3"
command -v python3 >/dev/null || fs_skip "no python3"
[ -n "${ZEROIPCFS:-}" ] || fs_skip "ZEROIPCFS (the driver binary) not set"
[ -x "$ZEROIPCFS" ] || fs_skip "driver $ZEROIPCFS not built"

PREFIX="zt-fs-$FS_TEST-$$-"
FS_WORK= MNT= FS_LOG=/dev/null T=
FS_PID=
FS_BG=()
FS_FAILS=0
FS_CHECKS=0
FS_CLEANED=0

# ---- cleanup ---------------------------------------------------------------

fs_mounted() { awk -v m="$MNT" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo; }

# fs_kill_bg : kills the registered background processes and reaps them
# (3 s at most: one stuck in a FUSE request the daemon never answers only
# ends when the daemon does).
fs_kill_bg() {
  local p i
  for p in "${FS_BG[@]}"; do
    kill -KILL "$p" 2>/dev/null
  done
  local left=()
  for p in "${FS_BG[@]}"; do
    for ((i = 0; i < 60; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
    if kill -0 "$p" 2>/dev/null; then left+=("$p"); else wait "$p" 2>/dev/null; fi
  done
  FS_BG=("${left[@]}")
} 2>/dev/null

# fs_mnt_pids : processes with $MNT (this test's own temporary path) as
# one of their arguments: daemons a test started without -f.
fs_mnt_pids() {
  local d a
  for d in /proc/[0-9]*; do
    [ -r "$d/cmdline" ] || continue
    while IFS= read -r -d '' a; do
      if [ "$a" = "$MNT" ]; then echo "${d#/proc/}"; break; fi
    done <"$d/cmdline" 2>/dev/null
  done
}

fs_cleanup() {
  [ "$FS_CLEANED" = 1 ] && return 0
  FS_CLEANED=1
  local p
  fs_kill_bg
  if fs_mounted; then
    fusermount3 -u -z "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null
  fi
  for p in $(fs_mnt_pids); do
    [ "$p" = "$FS_PID" ] || kill -TERM "$p" 2>/dev/null
  done
  if [ -n "$FS_PID" ]; then
    # Killing the daemon aborts the connection: a reader stuck in the
    # kernel on a request the daemon never answered gets ENOTCONN.
    kill -TERM "$FS_PID" 2>/dev/null
    local i
    for i in $(seq 50); do kill -0 "$FS_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$FS_PID" 2>/dev/null
    wait "$FS_PID" 2>/dev/null
    FS_PID=
  fi
  for p in "${FS_BG[@]}"; do
    wait "$p" 2>/dev/null
  done
  find /dev/shm -maxdepth 1 -name "${PREFIX}*" -delete 2>/dev/null
  if [ -z "$FS_WORK" ]; then
    :
  elif fs_mounted; then
    echo "harness: $MNT is still mounted; leaving $FS_WORK" >&2
  else
    rm -rf "$T" "$FS_LOG"
    rmdir "$MNT" "$FS_WORK" 2>/dev/null
  fi
  return 0
}

fs_on_exit() {
  local rc=$?
  fs_cleanup
  exit "$rc"
}
trap fs_on_exit EXIT
trap 'echo "harness: interrupted" >&2; exit 130' INT
trap 'echo "harness: terminated" >&2; exit 143' TERM HUP

FS_WORK=$(mktemp -d "/tmp/zt-fs-$FS_TEST.XXXXXX") || exit 1
chmod 0755 "$FS_WORK"          # other users must reach the mount point
MNT="$FS_WORK/mnt"
mkdir -m 0755 "$MNT"
FS_LOG="$FS_WORK/daemon.log"
: >"$FS_LOG"
T="$FS_WORK/tmp"               # scratch files for the test
mkdir "$T"

# Registers a background process for the cleanup: cmd & fs_track $!
fs_track() { FS_BG+=("$1"); }

# ---- assertions ------------------------------------------------------------

# The line of the test that called the assertion (skipping helper frames).
fs_where() {
  local i
  for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
    if [ "${BASH_SOURCE[$i]}" != "${BASH_SOURCE[0]}" ]; then
      echo "$(basename "${BASH_SOURCE[$i]}"):${BASH_LINENO[$((i - 1))]}"
      return
    fi
  done
  echo "?"
}

# fs_failed MSG : records a failed check.  When the daemon has died,
# every later check would only repeat that: the test stops at once.
fs_failed() {
  FS_FAILS=$((FS_FAILS + 1))
  echo "FAIL [$(fs_where)] $*" >&2
  if [ -n "$FS_PID" ] && ! kill -0 "$FS_PID" 2>/dev/null; then
    local rc
    wait "$FS_PID" 2>/dev/null; rc=$?
    FS_PID=
    FS_FAILS=$((FS_FAILS + 1))
    echo "FAIL [$(fs_where)] the zeroipcfs daemon died (status $rc); stopping" >&2
    fs_done
  fi
}
fail() { fs_failed "$*"; }
note() { echo "NOTE [$(fs_where)] $*" >&2; }

# Shows a value in one line, escapes visible, long values cut.
fs_show() {
  local s
  s=$(printf '%s' "$1" | head -c 400 | od -An -c | tr -s ' \n' ' ')
  if [ "${#1}" -le 60 ] && [[ "$1" != *$'\n'* ]] && [[ "$1" != *[![:print:]]* ]]; then
    printf "'%s'" "$1"
  else
    printf "(%d bytes)%s" "${#1}" "$s"
  fi
}

# expect_eq DESC EXPECTED ACTUAL
expect_eq() {
  FS_CHECKS=$((FS_CHECKS + 1))
  if [ "$2" != "$3" ]; then
    if [[ "$2$3" == *$'\n'* ]] && [ "${#2}" -gt 200 -o "${#3}" -gt 200 ]; then
      fs_failed "$1: differs (- expected, + got):
$(diff -u <(printf '%s\n' "$2") <(printf '%s\n' "$3") | tail -n +3 | head -n 20 | sed 's/^/  | /')"
    else
      fs_failed "$1: expected $(fs_show "$2"), got $(fs_show "$3")"
    fi
    return 1
  fi
}

# expect_match DESC ERE ACTUAL
expect_match() {
  FS_CHECKS=$((FS_CHECKS + 1))
  if ! [[ "$3" =~ $2 ]]; then
    fs_failed "$1: $(fs_show "$3") does not match /$2/"
    return 1
  fi
}

# expect_line DESC ERE TEXT : some line of TEXT matches ERE whole.
expect_line() {
  FS_CHECKS=$((FS_CHECKS + 1))
  if ! printf '%s\n' "$3" | grep -Eqx -- "$2"; then
    fs_failed "$1: no line matches /$2/ in:"
    printf '%s\n' "$3" | head -n 20 | sed 's/^/  | /' >&2
    return 1
  fi
}

# check DESC CMD ARGS... : the command must succeed.
check() {
  local desc=$1; shift
  FS_CHECKS=$((FS_CHECKS + 1))
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ $rc != 0 ]; then
    fs_failed "$desc: '$*' exited $rc: $out"
    return 1
  fi
}

# check_not DESC CMD ARGS... : the command must fail (any error).
check_not() {
  local desc=$1; shift
  FS_CHECKS=$((FS_CHECKS + 1))
  if "$@" >/dev/null 2>&1; then
    fs_failed "$desc: '$*' succeeded"
    return 1
  fi
}

# The message strerror() gives for an errno name (EINVAL -> Invalid argument).
errmsg() {
  python3 -c 'import errno, os, sys; print(os.strerror(getattr(errno, sys.argv[1])))' "$1"
}

# expect_ok 'SHELL COMMAND' : evaluated in a subshell (redirections
# allowed); must exit 0 without complaint.
expect_ok() {
  FS_CHECKS=$((FS_CHECKS + 1))
  local err rc
  err=$( (eval "$1") 2>&1 >/dev/null ); rc=$?
  if [ $rc != 0 ]; then
    fs_failed "'$1' exited $rc: $err"
    return 1
  fi
}

# expect_msg MESSAGE 'SHELL COMMAND' : evaluated in a subshell
# (redirections allowed); must fail with MESSAGE in its error output.
expect_msg() {
  local msg=$1 cmd=$2 err rc
  FS_CHECKS=$((FS_CHECKS + 1))
  err=$( (eval "$cmd") 2>&1 >/dev/null ); rc=$?
  if [ $rc = 0 ]; then
    fs_failed "'$cmd' succeeded; expected: $msg"
    return 1
  fi
  if [[ "$err" != *"$msg"* ]]; then
    fs_failed "'$cmd' failed, but not with '$msg': $err"
    return 1
  fi
}

# expect_errno ERRNO_NAME 'SHELL COMMAND' : the command must fail, and the
# tool's message must be strerror(ERRNO_NAME) (e.g. "bash: echo: write
# error: Invalid argument", "rm: cannot remove 'q': Operation not
# permitted").
expect_errno() {
  local m
  m=$(errmsg "$1")
  expect_msg "$m" "$2"
}

# wait_until SECONDS 'SHELL CONDITION' : polls every 50 ms; 0 when it held.
wait_until() {
  local deadline=$(( $(date +%s%N) + ${1%.*} * 1000000000 ))
  while :; do
    (eval "$2") >/dev/null 2>&1 && return 0
    [ "$(date +%s%N)" -ge "$deadline" ] && return 1
    sleep 0.05
  done
}

# fs_wait_pid PID SECONDS : waits at most SECONDS for a child; returns its
# exit status, or 255 (and leaves it running) when it did not end.
fs_wait_pid() {
  local pid=$1 n=$(( $2 * 20 )) i
  for ((i = 0; i < n; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid"
      return $?
    fi
    sleep 0.05
  done
  return 255
}

# "${DFLINT[@]}" CMD ARGS... : runs CMD with SIGINT at its default action.
# A non-interactive bash starts background commands with SIGINT ignored,
# so a process that a test means to interrupt (kill -INT, timeout -s INT)
# must be started through this.  An array, not a function, so that
# "${DFLINT[@]}" cat F & leaves in $! the pid of cat itself.
DFLINT=(env --default-signal=INT)

# fs_run SECONDS CMD ARGS... : runs CMD in the background (SIGINT at its
# default), its output in $T/run.out, and waits at most SECONDS for it;
# returns its status, or 255 when it did not end (it is then left to the
# cleanup).  For anything that might hang in the kernel: a foreground
# command stuck on a FUSE request the daemon never answers would hang the
# test itself.
fs_run() {
  local secs=$1; shift
  "${DFLINT[@]}" "$@" >"$T/run.out" 2>&1 &
  local p=$!
  fs_track $p
  fs_wait_pid $p "$secs"
}

# Milliseconds since the epoch.
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# ---- the mount -------------------------------------------------------------

FS_OPTS=
FS_LOG_MARK=0

# fs_mount [OPTS] : mounts $ZEROIPCFS on $MNT with prefix=$PREFIX (unless
# OPTS has its own prefix=) plus OPTS, in the foreground (-f) in the
# background, and waits (10 s at most) until the kernel shows the mount.
fs_mount() {
  local opts=${1:-} o
  if [[ ",$opts," == *,prefix=* ]]; then o=$opts; else o="prefix=$PREFIX${opts:+,$opts}"; fi
  FS_OPTS=$o
  FS_LOG_MARK=$(wc -l <"$FS_LOG")
  echo "--- mount -o $o" >>"$FS_LOG"
  "$ZEROIPCFS" -f -o "$o" "$MNT" >>"$FS_LOG" 2>&1 &
  FS_PID=$!
  local i
  for ((i = 0; i < 200; i++)); do
    fs_mounted && return 0
    if ! kill -0 "$FS_PID" 2>/dev/null; then
      wait "$FS_PID"; local rc=$?
      FS_PID=
      echo "FAIL [$(fs_where)] zeroipcfs -o $o exited $rc before mounting:" >&2
      sed 's/^/  | /' "$FS_LOG" >&2
      FS_FAILS=$((FS_FAILS + 1))
      fs_done
    fi
    sleep 0.05
  done
  echo "FAIL [$(fs_where)] zeroipcfs -o $o did not mount within 10 s" >&2
  FS_FAILS=$((FS_FAILS + 1))
  fs_done
}

# fs_umount : unmounts and waits (5 s) for the daemon to exit; a daemon
# that does not exit, exits non-zero or reports a sanitizer error fails
# the test.
fs_umount() {
  [ -n "$FS_PID" ] || return 0
  if ! fusermount3 -u "$MNT" 2>>"$FS_LOG"; then
    fail "fusermount3 -u $MNT failed (busy?); unmounting lazily"
    fusermount3 -u -z "$MNT" 2>/dev/null
  fi
  local rc
  fs_wait_pid "$FS_PID" 5; rc=$?
  if [ $rc = 255 ]; then
    fail "zeroipcfs did not exit within 5 s of the unmount"
    kill -KILL "$FS_PID" 2>/dev/null; wait "$FS_PID" 2>/dev/null
  elif [ $rc != 0 ]; then
    fail "zeroipcfs exited $rc after the unmount"
  fi
  FS_PID=
  if tail -n "+$((FS_LOG_MARK + 1))" "$FS_LOG" | grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:'; then
    fail "sanitizer report in the daemon's log"
  fi
}

# fs_remount [OPTS] : unmount, then mount again with other options (same prefix).
fs_remount() { fs_umount; fs_mount "${1:-}"; }

# Prints the end of the daemon's log (shown by fs_done when a check failed).
fs_show_log() {
  [ -s "$FS_LOG" ] || return 0
  local n
  n=$(grep -nE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$FS_LOG" | head -n 1 | cut -d: -f1)
  if [ -n "$n" ]; then
    echo "--- the daemon's log, from its first sanitizer report:" >&2
    tail -n "+$n" "$FS_LOG" | head -n 60 | sed 's/^/  | /' >&2
  else
    echo "--- last lines of the daemon's log:" >&2
    tail -n 40 "$FS_LOG" | sed 's/^/  | /' >&2
  fi
}

# fs_done : unmount and exit 0 when every check passed, else 1.
fs_done() {
  trap - INT TERM HUP
  fs_kill_bg
  [ -n "$FS_PID" ] && fs_umount
  if [ "$FS_FAILS" != 0 ]; then
    fs_show_log
    echo "$FS_TEST: $FS_FAILS of $FS_CHECKS checks FAILED" >&2
    exit 1
  fi
  echo "$FS_TEST: all $FS_CHECKS checks passed"
  exit 0
}

# ---- conveniences ----------------------------------------------------------

# seg NAME : the directory of segment $PREFIX$NAME in the mount.
seg() { echo "$MNT/$PREFIX$1"; }

# fs_fatal MSG : a failure after which the test cannot go on.
fs_fatal() {
  fs_failed "$* (giving up)"
  fs_done
}

# fs_mkseg NAME : mkdir $MNT/$PREFIX$NAME and set SEG to it.  A failed
# mkdir ends the test (nothing after it could run).  Not for $(...).
fs_mkseg() {
  SEG="$MNT/$PREFIX$1"
  local err
  err=$(mkdir "$SEG" 2>&1) || fs_fatal "mkdir $SEG: $err"
}

# fs_create DIR 'KIND NAME TYPE CAPACITY' : one creation through .create;
# a failure ends the test.
fs_create() {
  local err
  err=$( (echo "$2" >"$1/.create") 2>&1 ) || fs_fatal "'$2' > $1/.create: $err"
}

# xattr FILE NAME : the value of user.zeroipc.NAME (empty when missing).
xattr() {
  getfattr --absolute-names --only-values -n "user.zeroipc.$2" "$1" 2>/dev/null
}

# expect_xattr DESC FILE NAME EXPECTED
expect_xattr() {
  local v
  v=$(xattr "$2" "$3")
  expect_eq "$1: user.zeroipc.$3 of $(basename "$2")" "$4" "$v"
}

# fs_table DIR : DIR/.table.
fs_table() { cat "$1/.table"; }

# shm NAME : the /dev/shm path of segment $PREFIX$NAME.
shm() { echo "/dev/shm/$PREFIX$1"; }

# lines N M : the numbers N..M, one per line, no final newline (as $(...) gives).
lines() { seq "$1" "$2"; }
