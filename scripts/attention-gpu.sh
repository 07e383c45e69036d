#!/usr/bin/env bash
# Attention on the GPU machine, xla4j beside JAX in one device run: bf16, causal, GQA 32/8 heads,
# head dim 128, the shapes of ../shared/DESIGN.md's reference figures (B4 S2048, B4 S8192, B1 S16384).
# For each shape: `xla4j attention compare --backend pjrt` (CUDNN, BLOCKWISE, DECODE, VANILLA: error
# vs an f32 reference, median ms/call, allocator peak), then scripts/attention-jax.py (JAX's xla and
# cudnn paths, same inputs distribution, same timing method). Ratios are read off the two tables.
#
# Here (no GPU):   ./build install -DskipTests && scripts/device-stage.sh && scripts/device-jre.sh
# On the device:   run(command="scripts/attention-gpu.sh", carry=[".jre", ".devcarry"])
# The log goes to $OUT/attention-gpu.log; copy the tables into bench/results/attention-*.md with this
# command line. Chunk sizes per shape can be overridden: CHUNKS_2048=512 CHUNKS_8192=1024 ...
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp}
exec > >(tee "$out/attention-gpu.log") 2>&1
export JAVA_HOME=$PWD/.jre PATH=$PWD/.jre/bin:$PATH
export TF_CPP_MIN_LOG_LEVEL=1 XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1
c=.devcarry
LIBS=$(ls $c/lib/*.jar | grep -v console-standalone | tr '\n' :)
CP=$c/models-classes.jar:$c/jni-classes.jar:$c/graph-builder-classes.jar:$LIBS
JAVA=(java -Xmx48g --enable-native-access=ALL-UNNAMED -Dorg.bytedeco.javacpp.cachedir=/tmp/javacpp-cache
  -cp "$CP" org.xla4j.cli.Main)
runs=${RUNS:-5}
iters=${ITERS:-5}

echo "== $(date -u +%FT%TZ) on $(hostname)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
# B S chunk reference
while read -r b s chunk ref; do
  var=CHUNKS_$s
  chunk=${!var:-$chunk}
  echo
  echo "== B$b S$s Hq32 Hkv8 D128 bf16 causal, BLOCKWISE chunks ${chunk}x${chunk}"
  "${JAVA[@]}" attention compare --backend pjrt --dtype bf16 --causal --batch "$b" --seq "$s" --heads 32 \
    --kv-heads 8 --head-dim 128 --chunk-q "$chunk" --chunk-k "$chunk" --runs "$runs" --iters "$iters" \
    --reference "$ref" 2>&1 | grep -v -E '^(WARNING: |I1[0-9]{3} )'
  python3 scripts/attention-jax.py "$b" "$s" 32 8 128 "$runs" "$iters" 2>&1 | grep -v -E '^(WARNING|I1[0-9]{3} )'
done <<'SHAPES'
4 2048 0 VANILLA
4 8192 0 BLOCKWISE
1 16384 0 BLOCKWISE
SHAPES
