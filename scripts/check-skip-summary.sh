#!/usr/bin/env bash
# Scripted check (issue 8 item 21): ./build lists skipped tests with their reasons after a run that
# tests, and keeps Maven's exit code. Uses a synthetic surefire report (no test run needed).
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/.ci/jdk.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/mod/target/surefire-reports"
cat >"$tmp/mod/target/surefire-reports/TEST-org.x.GpuTest.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="org.x.GpuTest" tests="3" skipped="2">
  <testcase name="a" classname="org.x.GpuTest"><skipped type="org.opentest4j.TestAbortedException"><![CDATA[org.opentest4j.TestAbortedException: Assumption failed: no PJRT plugin here
	at org.junit...]]></skipped></testcase>
  <testcase name="b" classname="org.x.GpuTest"><skipped message="needs numpy"/></testcase>
  <testcase name="c" classname="org.x.GpuTest"/>
</testsuite>
XML
out=$(java "$here/scripts/SkippedTests.java" "$tmp" 0)
fail=0
for want in "Skipped tests: 2" "no PJRT plugin here" "needs numpy" "GpuTest.a" "GpuTest.b"; do
  grep -qF "$want" <<<"$out" || { echo "FAIL: summary lacks '$want':" >&2; echo "$out" >&2; fail=1; }
done
grep -q "GpuTest.c" <<<"$out" && { echo "FAIL: a test that ran is listed" >&2; fail=1; }
grep -q "TestAbortedException" <<<"$out" && { echo "FAIL: exception class in the reason" >&2; fail=1; }
grep -q "SkippedTests.java" "$here/build" || { echo "FAIL: ./build does not run the summary" >&2; fail=1; }
(cd "$here" && ./build -o -q no-such-phase >/dev/null 2>&1); rc=$?
[ $rc -ne 0 ] || { echo "FAIL: ./build lost Maven's failing exit code" >&2; fail=1; }
[ $fail -eq 0 ] && echo "ok: skipped tests listed with reasons; ./build keeps Maven's exit code ($rc on failure)"
exit $fail
