#!/bin/sh
# futex_private.sh - fails when library or driver code uses a private
# futex operation.
#
# Every futex word of this project lies in a MAP_SHARED mapping that other
# processes wait on (FORMAT.md: "futex on the shared word, without the
# private flag").  A private operation (FUTEX_PRIVATE_FLAG, the
# FUTEX_*_PRIVATE shorthands, FUTEX2_PRIVATE, or the flag's value 128
# or'ed in by hand) keys the wait on this process's address space, so a
# waiter in another process is never woken by it: it sleeps its whole
# slice every time, or forever in a wait without one.  The bug compiles,
# and passes every single-process test, hence this check.
#
# Comments are stripped first, so that a comment may explain why the
# private flag is not used.  Before scanning the tree the script checks
# itself on planted files, one that must be reported and one that must
# not, so that a broken pattern fails the test instead of passing it.
#
# Usage: futex_private.sh SOURCE_ROOT.  Exit 0 clean, 1 otherwise.
set -eu

root=${1:?usage: futex_private.sh SOURCE_ROOT}

# scan FILE...: prints FILE:LINE: CODE for every private futex use.
scan() {
    awk '
    FNR == 1 { incomment = 0 }
    {
        line = $0; code = ""
        while (line != "") {
            if (incomment) {
                i = index(line, "*/")
                if (i == 0) { line = ""; break }
                line = substr(line, i + 2); incomment = 0
            } else {
                i = index(line, "/*"); j = index(line, "//")
                if (j > 0 && (i == 0 || j < i)) { code = code substr(line, 1, j - 1); break }
                if (i == 0) { code = code line; break }
                code = code substr(line, 1, i - 1) " "
                line = substr(line, i + 2); incomment = 1
            }
        }
        if (code ~ /FUTEX_PRIVATE_FLAG|FUTEX2_PRIVATE|FUTEX_[A-Z0-9_]*_PRIVATE|FUTEX_[A-Z0-9_]+[ \t]*[|][ \t]*(128|0x80)/)
            print FILENAME ":" FNR ": " code
    }' "$@"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The negative self-check: what must be found...
cat > "$tmp/bad.c" <<'C'
#include <linux/futex.h>
static void wake(unsigned *w) { syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0); }
static void wait1(unsigned *w) { syscall(SYS_futex, w, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, 0, 0, 0); }
static void wait2(unsigned *w) { syscall(SYS_futex, w, FUTEX_WAIT|128, 0, 0, 0, 0); }
C
# ...and what must not: a shared futex, and the flag named in comments.
cat > "$tmp/good.c" <<'C'
/* Never FUTEX_PRIVATE_FLAG here:
 * FUTEX_WAIT_PRIVATE would not wake other processes. */
static void wake(unsigned *w) { syscall(SYS_futex, w, FUTEX_WAKE, 1, 0, 0, 0); } // not FUTEX_WAKE_PRIVATE
C
found=$(scan "$tmp/bad.c" | wc -l)
if [ "$found" -ne 3 ]; then
    echo "futex_private.sh: self-check failed: found $found of the 3 planted private futex uses" >&2
    exit 1
fi
if [ -n "$(scan "$tmp/good.c")" ]; then
    echo "futex_private.sh: self-check failed: reported a shared futex or a comment:" >&2
    scan "$tmp/good.c" >&2
    exit 1
fi

files=$(find "$root/lib" "$root/fs" "$root/include" -type f \( -name '*.c' -o -name '*.h' \) | sort)
if [ -z "$files" ]; then
    echo "futex_private.sh: no sources under $root" >&2
    exit 1
fi
# shellcheck disable=SC2086 # one word per file: the tree has no blanks in names
hits=$(scan $files)
if [ -n "$hits" ]; then
    echo "futex_private.sh: private futex operations on shared words:" >&2
    echo "$hits" >&2
    exit 1
fi
echo "futex_private.sh: $(echo "$files" | wc -l) files clean (self-check passed)"
