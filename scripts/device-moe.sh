#!/usr/bin/env bash
# Issue 10, one GPU-machine round (under 9 minutes on an H200: every step under `timeout`, each limit cut to
# what is left of BUDGET_S = 560 s): the MoE layer, bf16, 8 experts top-2, at
#   T8192 D2048 F5632, T4096 D6144 F32768 (Grok-1's layer), and decode T1 and T32 at Grok-1's layer:
#   1. scripts/moe_jax.py: JAX's dense einsum, sort + lax.ragged_dot (cuDNN fusion off and on), the bf16
#      8192^3 matmul and the 4 GiB copy (the ceilings);
#   2. `xla4j bench moe` at each shape, every implementation: dense; dropless (chlo.ragged_dot, cuDNN fusion
#      off/on); dropless tiled (prefill: tiles of auto/256/1024 rows; dynamic-slice fusion off/on); capacity at
#      factors 1.0-2.0 (dropped fraction); few-tokens at decode (gather / slice / slice-loop, dynamic-slice fusion
#      off/on); auto; int8 weights (dequantize vs scales after) at Grok-1's layer, T1 and T4096. The ceilings
#      JAX measured are the floor's for xla4j too.
#   3. scripts/moe_report.py: markdown tables of both sides per shape.
# Prepare here:  ./build install -DskipTests && scripts/device-stage.sh && scripts/device-jre.sh
# Run there:     run(command="scripts/device-moe.sh", carry=[".jre", ".devcarry"], timeout_s=600)
# Comes back in $OUT: device-moe.log (everything), moe-h200-DATE.md (tables), moe-h200-DATE.log (JSON lines).
# Steps to run: arguments (default: round 1's, jax prefill grok decode int8), or `round2` (about 5 minutes, its
# own budget of 300 s): jax2 (JAX at T1 and both prefill shapes) prefill2 grok2 (dense, dropless tiled at tiles
# 1024/2048/4096, capacity cf 1.0/1.25, auto) decode2 (T1 and T32: few-tokens reduce vs gather vs dense, bf16 and
# int8 with scales after, auto). Usage: scripts/device-moe.sh round2
# Or `round3` (under 5 minutes, its own budget of 290 s): jax3 (JAX dense and sorted ragged_dot at T2048 and T512 at
# the 1.59B generation model's layer D1536 F8192 and at Grok-1's, and dense at T1 Grok-1), int83 (T1 Grok-1: few-tokens
# reduce and gather, dense, auto; bf16, int8 dequantize, int8 scales after: an int8 REDUCE that reads its int8 bytes in
# place shows 0 weight-sized buffers and a temp far below the 1.61 GB of round 2), small3 and grok3 (T2048 and T512
# at each layer: dense, dropless tiled at tiles 128/256/512/1024, capacity cf 1.25, auto: the pick of MoeAutoTable's
# CUDA rule, whose tile follows the mean load N·K/E = T/4). What to read: per shape, the fastest tile against
# auto's (the rule's [128, 1024] bounds are right when auto is within a few percent of the best tile at each T).
# Usage: scripts/device-moe.sh round3 [STEP...]   (steps: jax3 jaxt1 int83 small3 grok3)
# Or `round4` (about 4 minutes, its own budget of 240 s; 3 timed runs per variant): jax4 (JAX dense and sorted
# ragged_dot at T8192 D2048 F5632, T4096 Grok-1, T2048 D1536 F8192 and T1 Grok-1), pre4 (T8192 D2048 F5632: dense,
# dropless tiled 1024, capacity and capacity-checked at cf 1.25, and at cf 0.5, where every step overflows so
# capacity-checked runs its dropless fallback (the fallback's cost on record; capacity's drops beside it), auto),
# grok4 (T4096 Grok-1: dense, dropless tiled 1024, capacity and capacity-checked cf 1.25, auto), small4 (T2048 D1536
# F8192, the 1.59B model's layer: the same, tile 512), t14 (T1 Grok-1: dense, few-tokens reduce, reduce-minor (weights
# stored contraction-minor), gather, gather-slice-fusion (xla_gpu_enable_dynamic_slice_fusion), auto). What to read:
# capacity-checked cf 1.25 against capacity cf 1.25 (the conditional's cost; JAX's best beside), its cf 0.5 row
# against dropless tiled (the fallback's), and the T1 rows against reduce's ~1.02 ms (target 0.71 ms).
# Usage: scripts/device-moe.sh round4 [STEP...]   (steps: jax4 pre4 grok4 small4 t14)
set -uo pipefail
. "$(dirname "$0")/device-env.sh" device-moe
round2=0
round3=0
[ "${1:-}" = round2 ] && round2=1
[ "${1:-}" = round3 ] && round3=1
round4=0
[ "${1:-}" = round4 ] && round4=1
if [ "$round2" = 1 ]; then BUDGET_S=${BUDGET_S:-300}; elif [ "$round3" = 1 ]; then BUDGET_S=${BUDGET_S:-290}
elif [ "$round4" = 1 ]; then BUDGET_S=${BUDGET_S:-240}; else BUDGET_S=${BUDGET_S:-560}; fi
day=$(date -u +%F)
[ "$round2" = 1 ] && day="$day-round2"
[ "$round3" = 1 ] && day="$day-round3"
[ "$round4" = 1 ] && day="$day-round4"
. scripts/device-budget.sh   # the working directory is the repository root here
xla4j() {
  local limit
  limit=$(cap "$1" "xla4j ${*:2}") || return 125
  shift
  timeout "$limit" java "${JOPTS[@]}" -cp "$CP" org.xla4j.cli.Main "$@" 2>&1 | quiet
  local rc=${PIPESTATUS[0]}
  [ "$rc" = 124 ] && echo "!! timed out after ${limit} s: xla4j $*"
  return "$rc"
}
echo "== $(date -u +%FT%TZ) on $(hostname)"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv,noheader
GROK=6144,32768
PEAK=() # --peak-tflops / --bandwidth-gbs from JAX's ceilings once measured
ceilings() {
  local tf gb
  tf=$(grep -o '"what": "matmul".*"tflops": [0-9.]*' "$out/device-moe.log" | grep -o '[0-9.]*$' | head -1)
  gb=$(grep -o '"gbs_read_plus_write": [0-9.]*' "$out/device-moe.log" | grep -o '[0-9.]*$' | head -1)
  if [ -n "$tf" ] && [ -n "$gb" ]; then PEAK=(--peak-tflops "$tf" --bandwidth-gbs "$gb"); else PEAK=(); fi
}
moe() { xla4j "$@"; }

jax() {
  echo "== jax: scripts/moe_jax.py"
  local limit
  limit=$(cap 150 "moe_jax.py") || return 125
  timeout "$limit" env PYTHONUNBUFFERED=1 python3 scripts/moe_jax.py
}
prefill() {
  ceilings
  echo "== xla4j prefill T8192 D2048 F5632, every implementation"
  moe 100 bench moe --backend pjrt --shape 8192,2048,5632 --impl all --tile-size 0,256,1024 "${PEAK[@]}"
}
grok() {
  ceilings
  echo "== xla4j Grok-1 layer T4096 D6144 F32768, every implementation"
  moe 120 bench moe --backend pjrt --shape 4096,$GROK --impl all --tile-size 0,256,1024 "${PEAK[@]}"
}
decode() {
  ceilings
  for t in 1 32; do
    echo "== xla4j decode T$t at Grok-1's layer, every implementation"
    moe 70 bench moe --backend pjrt --shape $t,$GROK --impl all --capacity-factor 1.25 "${PEAK[@]}"
  done
}
int8() {
  ceilings
  echo "== xla4j int8 weights (dequantize vs scales after) at Grok-1's layer"
  moe 70 bench moe --backend pjrt --shape 1,$GROK --impl dense,few-tokens --few-tokens gather,slice \
    --dynamic-slice-fusion on --weights int8-dequantize,int8-scale-after "${PEAK[@]}"
  moe 70 bench moe --backend pjrt --shape 4096,$GROK --impl dense,dropless --ragged-dot-fusion off \
    --weights int8-dequantize,int8-scale-after "${PEAK[@]}"
}

# Round 2 (after round 1's figures): the same-run JAX ratios, the REDUCE few-tokens form, larger tiles.
jax2() {
  echo "== jax: scripts/moe_jax.py at T1, T8192 and T4096"
  local limit
  limit=$(cap 100 "moe_jax.py") || return 125
  timeout "$limit" env PYTHONUNBUFFERED=1 TOKENS=1,8192,4096 python3 scripts/moe_jax.py
}
prefill2() {
  ceilings
  echo "== xla4j prefill T8192 D2048 F5632: dense, dropless tiled 1024/2048/4096, capacity 1.0/1.25, auto"
  moe 60 bench moe --backend pjrt --shape 8192,2048,5632 --impl dense,dropless-tiles,capacity,auto \
    --tile-size 1024,2048,4096 --dynamic-slice-fusion on --capacity-factor 1.0,1.25 "${PEAK[@]}"
}
grok2() {
  ceilings
  echo "== xla4j Grok-1 layer T4096 D6144 F32768: dense, dropless tiled 1024/2048/4096, capacity 1.0/1.25, auto"
  moe 70 bench moe --backend pjrt --shape 4096,$GROK --impl dense,dropless-tiles,capacity,auto \
    --tile-size 1024,2048,4096 --dynamic-slice-fusion on --capacity-factor 1.0,1.25 "${PEAK[@]}"
}
decode2() {
  ceilings
  echo "== xla4j decode T1 at Grok-1's layer: few-tokens reduce vs gather vs dense, bf16 and int8 scales after"
  moe 60 bench moe --backend pjrt --shape 1,$GROK --impl dense,few-tokens,auto --few-tokens reduce,gather \
    --weights bf16,int8-scale-after "${PEAK[@]}"
  # no gather at T32: its copy of 64 experts' weights is 77 GB
  echo "== xla4j decode T32 at Grok-1's layer: few-tokens reduce vs dense, bf16 and int8 scales after"
  moe 60 bench moe --backend pjrt --shape 32,$GROK --impl dense,few-tokens,auto --few-tokens reduce \
    --weights bf16,int8-scale-after "${PEAK[@]}"
}

# Round 3 (after round 2): 8 < copies per expert < ~1000 (prefill of a 2,048-token prompt: 512), tiles 128-1024; int8
# decode in place. Each xla4j call is one shape; 3 timed runs per variant to fit the round's 290 s.
SMALL=1536,8192
jax3() {
  echo "== jax: scripts/moe_jax.py at T2048/T512 (D1536 F8192 and Grok-1's layer) and T1 Grok-1: dense, ragged"
  local limit
  limit=$(cap 95 "moe_jax.py") || return 125
  timeout "$limit" env PYTHONUNBUFFERED=1 RUNS=5 VARIANTS=dense,ragged \
    SHAPES="2048,$SMALL;512,$SMALL;2048,$GROK;512,$GROK;1,$GROK" python3 scripts/moe_jax.py
}
jaxt1() {  # JAX's dense and ragged at T1 Grok-1 only (int83's same-run yardstick when the T2048/T512 shapes are left out)
  echo "== jax: scripts/moe_jax.py at T1 Grok-1: dense, ragged"
  local limit
  limit=$(cap 60 "moe_jax.py T1") || return 125
  timeout "$limit" env PYTHONUNBUFFERED=1 RUNS=5 VARIANTS=dense,ragged SHAPES="1,$GROK" python3 scripts/moe_jax.py
}
int83() {
  ceilings
  echo "== xla4j decode T1 at Grok-1's layer: few-tokens reduce vs gather vs dense, bf16 / int8 dequantize / int8 scales after"
  moe 50 bench moe --backend pjrt --shape 1,$GROK --impl dense,few-tokens,auto --few-tokens reduce,gather \
    --weights bf16,int8-dequantize,int8-scale-after --runs 3 "${PEAK[@]}"
}
mid3() {  # mid3 D,F: T2048 and T512 at that layer
  ceilings
  for t in 2048 512; do
    echo "== xla4j T$t D,F $1: dense, dropless tiled 128/256/512/1024, capacity cf 1.25, auto"
    moe 40 bench moe --backend pjrt --shape $t,$1 --impl dense,dropless-tiles,capacity,auto \
      --tile-size 128,256,512,1024 --dynamic-slice-fusion on --capacity-factor 1.25 --runs 3 "${PEAK[@]}"
  done
}
small3() { mid3 $SMALL; }
grok3() { mid3 $GROK; }

# Round 4 (issue 10): CAPACITY_CHECKED (capacity's matmul, dropless where an expert would overflow) against capacity,
# dropless and JAX at the prefill shapes, its fallback's cost, and two T1 experiments. 3 timed runs per variant.
jax4() {
  echo "== jax: scripts/moe_jax.py at T8192 D2048 F5632, T4096 Grok-1, T2048 D1536 F8192, T1 Grok-1: dense, ragged"
  local limit
  limit=$(cap 75 "moe_jax.py") || return 125
  timeout "$limit" env PYTHONUNBUFFERED=1 RUNS=3 VARIANTS=dense,ragged \
    SHAPES="8192,2048,5632;4096,$GROK;2048,$SMALL;1,$GROK" python3 scripts/moe_jax.py
}
checked4() {  # checked4 T,D,F TILE CFS: dense, dropless tiled, capacity and capacity-checked at CFS, auto
  ceilings
  echo "== xla4j $1: dense, dropless tiled $2, capacity and capacity-checked cf $3, auto"
  moe 50 bench moe --backend pjrt --shape "$1" --impl dense,dropless-tiles,capacity,capacity-checked,auto \
    --tile-size "$2" --dynamic-slice-fusion on --capacity-factor "$3" --runs 3 "${PEAK[@]}"
}
pre4() { checked4 8192,2048,5632 1024 1.25,0.5; }
grok4() { checked4 4096,$GROK 1024 1.25; }
small4() { checked4 2048,$SMALL 512 1.25; }
t14() {
  ceilings
  echo "== xla4j T1 at Grok-1's layer: few-tokens reduce, reduce-minor, gather, gather-slice-fusion; dense; auto"
  moe 45 bench moe --backend pjrt --shape 1,$GROK --impl dense,few-tokens,auto \
    --few-tokens reduce,reduce-minor,gather,gather-slice-fusion --runs 3 "${PEAK[@]}"
}

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(jax prefill grok decode int8)
[ "$round2" = 1 ] && steps=(jax2 prefill2 grok2 decode2)
if [ "$round3" = 1 ]; then  # round3 [STEP...]: a subset, e.g. round3 jaxt1 int83
  steps=("${@:2}")
  [ ${#steps[@]} -eq 0 ] && steps=(jax3 int83 small3 grok3)
fi
if [ "$round4" = 1 ]; then  # round4 [STEP...]
  steps=("${@:2}")
  [ ${#steps[@]} -eq 0 ] && steps=(jax4 pre4 grok4 small4 t14)
fi
codes=""
for s in "${steps[@]}"; do
  if [ "$SECONDS" -gt $((BUDGET_S - 15)) ]; then echo "!! skipped $s: ${SECONDS} s used of ${BUDGET_S}"; codes="$codes $s=skipped"; continue; fi
  "$s"
  codes="$codes $s=$?"
  echo "-- ${SECONDS} s so far"
done
grep -a 'JSON {' "$out/device-moe.log" > "$out/moe-h200-$day.log"
python3 scripts/moe_report.py "$out/moe-h200-$day.log" > "$out/moe-h200-$day.md"
cat "$out/moe-h200-$day.md"
echo "== exit codes:$codes"
