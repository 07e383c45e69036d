#!/usr/bin/env bash
# Scripted check (issue 8 item 20): every module jar's manifest says Enable-Native-Access: ALL-UNNAMED
# (java -jar reads it), and ./xla4j runs without the JDK's restricted-method warning.
# Run after ./build package (or verify/install): scripts/check-native-access.sh
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/.ci/jdk.sh"
fail=0
for jar in "$here"/graph-builder/target/xla4j-*.jar "$here"/jni/target/xla4j-*.jar "$here"/models/target/xla4j-*.jar; do
  [ -f "$jar" ] || { echo "missing $jar: run ./build package first" >&2; fail=1; continue; }
  if unzip -p "$jar" META-INF/MANIFEST.MF | tr -d '\r' | grep -qx "Enable-Native-Access: ALL-UNNAMED"; then
    echo "ok: $(basename "$jar") has Enable-Native-Access: ALL-UNNAMED"
  else
    echo "FAIL: $(basename "$jar") lacks Enable-Native-Access: ALL-UNNAMED" >&2; fail=1
  fi
done
err=$("$here/xla4j" demo 2>&1 >/dev/null) || { echo "FAIL: ./xla4j demo failed: $err" >&2; exit 1; }
if grep -q "WARNING" <<<"$err"; then
  echo "FAIL: ./xla4j demo printed warnings:" >&2; grep "WARNING" <<<"$err" >&2; fail=1
else
  echo "ok: ./xla4j demo prints no WARNING on stderr"
fi
exit $fail
