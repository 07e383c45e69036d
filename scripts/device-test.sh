#!/usr/bin/env bash
# Runs on the GPU machine (which has no Java): the PJRT test suite, a smoke test (add two tensors on
# the GPU and compare), and the dispatch / transfer micro-benchmarks side by side with JAX.
# Needs .jre (../shared/tools/device-jre.sh) and .devcarry (scripts/device-stage.sh) carried along.
# Writes its whole log to $OUT/pjrt-device.log when $OUT is set.
set -uo pipefail
cd "$(dirname "$0")/.."
log=${OUT:-/tmp}/pjrt-device.log
exec > >(tee "$log") 2>&1
export JAVA_HOME=$PWD/.jre PATH=$PWD/.jre/bin:$PATH
export NCCL_NVLS_ENABLE=0
c=.devcarry
CP=$c/jni-test-classes:$c/jni-classes:$c/graph-builder-classes:$(ls $c/lib/*.jar | grep -v console-standalone | tr '\n' :)
JAVA_OPTS=(-Xmx8g --enable-native-access=ALL-UNNAMED -Dorg.bytedeco.javacpp.cachedir=/tmp/javacpp-cache)
calls=${CALLS:-20000}

echo "== $(date -u +%FT%TZ) on $(hostname)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
java -version 2>&1 | head -1
python3 -c 'import jax, jaxlib; print("jax", jax.__version__, "jaxlib", jaxlib.__version__)' 2>/dev/null || true
echo "XLA4J_PJRT_PLUGIN=${XLA4J_PJRT_PLUGIN:-(unset: discovery)}"

echo "== PJRT test suite (JUnit)"
java "${JAVA_OPTS[@]}" -jar $c/lib/junit-platform-console-standalone-*.jar execute \
  --class-path "$CP" --select-package org.xla4j.runtime.pjrt --details=tree --disable-banner --disable-ansi-colors
suite=$?

echo "== smoke + micro-benchmarks: xla4j (Java, PJRT C API)"
java "${JAVA_OPTS[@]}" -cp "$CP" org.xla4j.runtime.pjrt.PjrtSmokeMain pjrt "$calls"
smoke=$?

echo "== micro-benchmarks: JAX"
XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1 python3 bench/pjrt/jax_dispatch.py "$calls"
jaxrc=$?

echo "== exit codes: suite=$suite smoke=$smoke jax=$jaxrc"
[ $suite -eq 0 ] && [ $smoke -eq 0 ]
