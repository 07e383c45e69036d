#!/usr/bin/env bash
# Stages what a GPU-machine run of the PJRT suite needs into .devcarry/ (git-ignored through
# .git/info/exclude): compiled classes of graph-builder, jni (with the PJRT JNI library inside) and
# models (the CLI), the test classes of jni and of tests/ (with their resources), and the few jars
# the PJRT path needs (no TensorFlow). Run it here, after a build:
#   ./build install -DskipTests && scripts/device-stage.sh && scripts/device-jre.sh
# then, through the device tool:  run(command="scripts/device-test.sh", carry=[".jre", ".devcarry"])
# Usage: scripts/device-stage.sh [BUILT_TREE]   (default: this repository; BUILT_TREE is a checkout
# whose graph-builder/target and jni/target hold the build). STAGE_JUNIT=0 leaves out JUnit's console launcher
# (3 MiB) for runs that start no test suite: the carried tree's 64 MiB limit is close.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
src=${1:-$root}
cd "$root"
# the exclude file through git (a worktree's .git is a file, not a folder)
ex=$(git rev-parse --git-path info/exclude)
grep -qx '/.devcarry/' "$ex" 2>/dev/null || { mkdir -p "$(dirname "$ex")"; echo '/.devcarry/' >> "$ex"; }
rm -rf .devcarry
mkdir -p .devcarry/lib
for d in graph-builder/target/classes jni/target/classes jni/target/test-classes models/target/classes tests/target/test-classes; do
  [ -d "$src/$d" ] || { echo "missing $src/$d: build first" >&2; exit 1; }
done
cp -r "$src/graph-builder/target/classes" .devcarry/graph-builder-classes
cp -r "$src/jni/target/classes" .devcarry/jni-classes
cp -r "$src/jni/target/test-classes" .devcarry/jni-test-classes
cp -r "$src/models/target/classes" .devcarry/models-classes
# all of tests/ (2.5 MB with its fixtures): PJRT tests reuse the CLI tests' fixtures and helpers
cp -r "$src/tests/target/test-classes" .devcarry/tests-test-classes
# the JavaCPP build's generated C++ is not needed at run time
find .devcarry -name '*.cpp' -delete
# each class folder as a zip (a jar without manifest): the carried tree has a 64 MiB limit, the JRE takes 48
for d in graph-builder-classes jni-classes jni-test-classes models-classes tests-test-classes; do
  (cd ".devcarry/$d" && zip -qr -9 "../$d.jar" .) && rm -rf ".devcarry/$d"
done
m2=${MAVEN_REPO:-$HOME/.m2/repository}
jars=(
  org/bytedeco/javacpp/1.5.11/javacpp-1.5.11.jar
  com/google/protobuf/protobuf-java/3.21.9/protobuf-java-3.21.9.jar
  com/google/code/gson/gson/2.13.2/gson-2.13.2.jar
  com/google/flatbuffers/flatbuffers-java/25.2.10/flatbuffers-java-25.2.10.jar
  info/picocli/picocli/4.7.7/picocli-4.7.7.jar
  me/tongfei/progressbar/0.10.1/progressbar-0.10.1.jar
  net/razorvine/pickle/1.5/pickle-1.5.jar
  org/jline/jline-terminal/3.24.1/jline-terminal-3.24.1.jar
  org/jline/jline-native/3.24.1/jline-native-3.24.1.jar
  org/junit/platform/junit-platform-console-standalone/1.14.1/junit-platform-console-standalone-1.14.1.jar
)
for j in "${jars[@]}"; do
  [ "${STAGE_JUNIT:-1}" = 0 ] && [[ $j == *console-standalone* ]] && continue
  if [ ! -f "$m2/$j" ]; then
    IFS=/ read -ra parts <<< "$j"; n=${#parts[@]}
    ver=${parts[n-2]}; art=${parts[n-3]}; grp=$(IFS=.; echo "${parts[*]:0:n-3}")
    "$root/build" -q dependency:get -Dartifact="$grp:$art:$ver" >/dev/null
  fi
  cp "$m2/$j" .devcarry/lib/
done
echo "staged .devcarry: $(du -sh .devcarry | cut -f1)"
