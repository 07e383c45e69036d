#!/usr/bin/env bash
# Makes a small Java runtime (.jre/, ~45 MB) for a machine that has no Java, such as the GPU machine:
# jlink of the JDK that ./build uses, keeping only the modules xla4j's PJRT path needs.
# Usage (in the repository root): scripts/device-jre.sh [OUTPUT_DIR]   (default .jre)
# On the other machine: export JAVA_HOME=$PWD/.jre PATH=$PWD/.jre/bin:$PATH
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. .ci/jdk.sh
out=${1:-.jre}
[ -x "$JAVA_HOME/bin/jlink" ] || { echo "device-jre: $JAVA_HOME has no jlink (a JDK, not a JRE, is needed)" >&2; exit 1; }
# .jre is build output: keep it out of git without touching the tracked .gitignore
if [ "$out" = .jre ]; then
  ex=$(git rev-parse --git-path info/exclude 2>/dev/null || true)
  if [ -n "$ex" ]; then mkdir -p "$(dirname "$ex")"; grep -qx '/.jre/' "$ex" 2>/dev/null || echo '/.jre/' >> "$ex"; fi
fi
# java.management + jdk.management: memory checks (OperatingSystemMXBean); jdk.unsupported: protobuf,
# flatbuffers and JavaCPP use sun.misc.Unsafe; java.logging/naming/xml: JUnit's console launcher.
modules=java.base,java.logging,java.management,jdk.management,jdk.unsupported,java.naming,java.xml,jdk.zipfs
rm -rf "$out"
"$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
  --compress=zip-9 --output "$out"
echo "device-jre: $out from $JAVA_HOME ($(du -sh "$out" | cut -f1)); carry it with the run"
