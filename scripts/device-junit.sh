#!/usr/bin/env bash
# Runs the named JUnit classes on the GPU machine with the carried JRE and classes (they skip without a
# PJRT plugin; with one they run), failing when none ran. Usage: scripts/device-junit.sh CLASS [CLASS...]
# e.g. scripts/device-junit.sh org.xla4j.backends.MoeGradPjrtTest
set -uo pipefail
[ $# -ge 1 ] || { echo "usage: scripts/device-junit.sh CLASS [CLASS...]" >&2; exit 2; }
. "$(dirname "$0")/device-env.sh" device-junit
sel=()
for c in "$@"; do sel+=(--select-class "$c"); done
java "${JOPTS[@]}" -jar .devcarry/lib/junit-platform-console-standalone-*.jar execute --class-path "$CP" "${sel[@]}" \
  --details=tree --disable-banner --disable-ansi-colors --fail-if-no-tests 2>&1 | quiet
