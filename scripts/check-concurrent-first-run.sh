#!/usr/bin/env bash
# Scripted check (issue 8 item 4): two first runs of ./xla4j at once on a fresh tree both succeed.
# Usage: scripts/check-concurrent-first-run.sh [REV]   (default HEAD; REV=main before the fix failed with
# "cc1plus: fatal error: .../jnijavacpp.cpp: No such file or directory" in one of the two).
# The tree is `git archive REV` (no target/), built offline (-o) and without installing into ~/.m2.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
rev=${1:-HEAD}
tmp=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT; echo "tree: $tmp" >&2
git -C "$repo" archive "$rev" | tar -x -C "$tmp"
export XLA4J_MVN_FLAGS="-o -Dmaven.install.skip=true"
(cd "$tmp" && ./xla4j emit softmax >"$tmp/out1" 2>"$tmp/err1"; echo $? >"$tmp/rc1") &
(cd "$tmp" && ./xla4j emit softmax >"$tmp/out2" 2>"$tmp/err2"; echo $? >"$tmp/rc2") &
wait
ok=true
for i in 1 2; do
  rc=$(cat "$tmp/rc$i")
  if [ "$rc" != 0 ] || ! grep -q "func.func public @main" "$tmp/out$i"; then
    ok=false
    echo "run $i: exit $rc" >&2
    tail -8 "$tmp/err$i" >&2
  fi
done
if $ok; then echo "check-concurrent-first-run ($rev): both runs succeeded"; exit 0; fi
echo "check-concurrent-first-run ($rev): FAILED" >&2
exit 1
