#!/usr/bin/env bash
# Runs on the GPU machine (which has no Java), in one go:
#   1. JAX: exports a small MLP as StableHLO text, times compiling it, dispatch and 256 MiB transfers;
#   2. the PJRT JUnit suites: jni's org.xla4j.runtime.pjrt and tests/ org.xla4j.backends (the
#      backend-parameterized suite, robustness, artifacts/cache/optimized HLO);
#   3. the Java smoke test and the same benchmarks (compiling the very module JAX exported);
#   4. the CLI: `xla4j compile` to a .x4j in one process, `xla4j exec prog.x4j` in another;
#   5. a table of ratios xla4j / JAX.
# Needs .jre (scripts/device-jre.sh) and .devcarry (scripts/device-stage.sh) carried along.
# Writes its whole log to $OUT/pjrt-device.log when $OUT is set.
# `scripts/device-test.sh suite` runs only the JUnit suites (e.g. on a 2-GPU machine for the
# multi-device case).
set -uo pipefail
mode=${1:-all}
cd "$(dirname "$0")/.."
out=${OUT:-/tmp}
log=$out/pjrt-device.log
exec > >(tee "$log") 2>&1
export JAVA_HOME=$PWD/.jre PATH=$PWD/.jre/bin:$PATH
export NCCL_NVLS_ENABLE=0 TF_CPP_MIN_LOG_LEVEL=1
export XLA4J_CACHE_DIR=/tmp/xla4j-cache
c=.devcarry
LIBS=$(ls $c/lib/*.jar | grep -v console-standalone | tr '\n' :)
CP=$c/tests-test-classes.jar:$c/jni-test-classes.jar:$c/models-classes.jar:$c/jni-classes.jar:$c/graph-builder-classes.jar:$LIBS
JAVA_OPTS=(-Xmx16g --enable-native-access=ALL-UNNAMED -Dorg.bytedeco.javacpp.cachedir=/tmp/javacpp-cache)
calls=${CALLS:-20000}
work=/tmp/xla4j-device; rm -rf $work; mkdir -p $work

echo "== $(date -u +%FT%TZ) on $(hostname)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
java -version 2>&1 | head -1
python3 -c 'import jax, jaxlib; print("jax", jax.__version__, "jaxlib", jaxlib.__version__)' 2>/dev/null || true
echo "XLA4J_PJRT_PLUGIN=${XLA4J_PJRT_PLUGIN:-(unset: discovery)}"

if [ "$mode" = suite ]; then
  nvidia-smi -L
  java "${JAVA_OPTS[@]}" -jar $c/lib/junit-platform-console-standalone-*.jar execute \
    --class-path "$CP" --select-package org.xla4j.runtime.pjrt --select-package org.xla4j.backends \
    --details=tree --disable-banner --disable-ansi-colors 2>&1 | grep -v -E '^(WARNING: |I1[0-9]{3} )'
  exit $?
fi

echo "== micro-benchmarks: JAX (first, so that Java compiles the module JAX exported)"
XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1 python3 bench/pjrt/jax_dispatch.py "$calls" $work/mlp.mlir \
  | tee $work/jax.txt
jaxrc=$?
cp $work/mlp.mlir "$out/" 2>/dev/null

echo "== PJRT test suites (JUnit): org.xla4j.runtime.pjrt + org.xla4j.backends"
java "${JAVA_OPTS[@]}" -jar $c/lib/junit-platform-console-standalone-*.jar execute \
  --class-path "$CP" --select-package org.xla4j.runtime.pjrt --select-package org.xla4j.backends \
  --details=tree --disable-banner --disable-ansi-colors 2>&1 | grep -v -E '^(WARNING: |I1[0-9]{3} )'
suite=$?

echo "== smoke + micro-benchmarks: xla4j (Java, PJRT C API)"
java "${JAVA_OPTS[@]}" -cp "$CP" org.xla4j.runtime.pjrt.PjrtSmokeMain pjrt "$calls" $work/mlp.mlir 2>&1 \
  | grep -v -E '^(WARNING: |I1[0-9]{3} )' | tee $work/java.txt
smoke=$?

echo "== CLI: compile to .x4j in one process, exec it in another"
cat > $work/axpy.mlir <<'EOF'
module @axpy {
  func.func public @main(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> tensor<4xf32> {
    %0 = "stablehlo.multiply"(%arg0, %arg1) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    %1 = "stablehlo.add"(%0, %arg1) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    "func.return"(%1) : (tensor<4xf32>) -> ()
  }
}
EOF
# inputs as safetensors: a = [1,2,3,4], b = [10,20,30,40] (f32 little-endian)
python3 - "$work" <<'EOF'
import json, struct, sys
def write(path, name, vals):
    data = struct.pack("<%df" % len(vals), *vals)
    hdr = json.dumps({name: {"dtype": "F32", "shape": [len(vals)], "data_offsets": [0, len(data)]}}).encode()
    hdr += b" " * (-len(hdr) % 8)
    open(path, "wb").write(struct.pack("<Q", len(hdr)) + hdr + data)
write(sys.argv[1] + "/a.safetensors", "a", [1, 2, 3, 4])
write(sys.argv[1] + "/b.safetensors", "b", [10, 20, 30, 40])
EOF
cli() { java "${JAVA_OPTS[@]}" -cp "$CP" org.xla4j.cli.Main "$@" 2>&1 | grep -v -E '^(WARNING: |I1[0-9]{3} )'; }
cli compile $work/axpy.mlir --target cuda -o $work/axpy.x4j --hlo-out $work/axpy.hlo.txt
clirc=$?
ls -l $work/axpy.x4j && head -3 $work/axpy.hlo.txt
cli exec $work/axpy.x4j --input a=$work/a.safetensors --input b=$work/b.safetensors --print
clirc=$((clirc + $?))
echo "(want [20.0, 60.0, 120.0, 200.0])"
cli exec --backend pjrt $work/axpy.mlir --input a=$work/a.safetensors --input b=$work/b.safetensors --print
clirc=$((clirc + $?))

echo "== ratios (xla4j / JAX; for us and ms lower is better, for GB/s higher is better)"
python3 - $work/java.txt $work/jax.txt <<'EOF'
import sys
def read(p):
    d = {}
    for line in open(p):
        if line.startswith("BENCH "):
            _, k, v, u = line.split()
            d[k] = (float(v), u)
    return d
j, x = read(sys.argv[1]), read(sys.argv[2])
print(f"{'metric':24s} {'xla4j':>10s} {'JAX':>10s} {'ratio':>7s}")
for k in j:
    if k in x:
        print(f"{k:24s} {j[k][0]:10.2f} {x[k][0]:10.2f} {j[k][0] / x[k][0]:7.2f}  {j[k][1]}")
    else:
        print(f"{k:24s} {j[k][0]:10.2f} {'-':>10s} {'-':>7s}  {j[k][1]}")
EOF

echo "== exit codes: suite=$suite smoke=$smoke cli=$clirc jax=$jaxrc"
[ $suite -eq 0 ] && [ $smoke -eq 0 ] && [ $clirc -eq 0 ]
