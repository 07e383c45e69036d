#!/usr/bin/env bash
# Issues 10 and 11 on the GPU machine: where the time goes, per kernel, with Nsight Compute (ncu reads the H200's
# counters on this workplace's Firecracker machines; METHOD.md: clocks left alone, --clock-control none).
# Each profile times every kernel launch of one short run (gpu__time_duration) and its DRAM bytes, then
# scripts/ncu_summary.py prints the totals and a per-kernel-name table (time, share, mean per launch, DRAM rate
# against the copy rate measured in the same run). The runs first go once without ncu, which fills xla4j's
# executable cache (XLA4J_CACHE_DIR) and JAX's persistent cache, so the profiled run loads its executables and
# launches no autotuning kernels. Model: the 1.59B Grok-shaped checkpoint of scripts/grok_jax_decode.py (written
# to $CKPT/bf16 when absent).
# Steps (arguments; default: copy decode prefill moe-t1):
#   copy       the device-to-device copy rate (JAX, 4 GiB) for the tables' last column
#   decode     xla4j generate, bf16, batch 1, 16-token prompt, NEW (16) new tokens, one token per call
#   loop       the same with 16 tokens per call (the on-device decode loop)
#   decode32, decode32-int8   batch 32, 16 tokens per call, bf16 / int8 weights ($CKPT/int8 from device-generate-full.sh ckpt)
#   prefill    xla4j generate of a 2,048-token prompt, 1 new token (the prefill program alone)
#   jax-prefill  JAX's prefill (MoE dense) of the same prompt: warm-up + 4 timed calls
#   moe-t1     xla4j bench moe, Grok-1's layer at T1: few-tokens REDUCE (and the dense reference it checks against)
# Prepare here:  ./build install -DskipTests && scripts/device-stage.sh && scripts/device-jre.sh
# Run there:     run(command="scripts/device-profile.sh", carry=[".jre", ".devcarry"], timeout_s=600)
# Comes back in $OUT: device-profile.log (the summaries), ncu-*.csv (the raw reports).
set -uo pipefail
DEVICE_XMX=${DEVICE_XMX:-24g} . "$(dirname "$0")/device-env.sh" device-profile
BUDGET_S=${BUDGET_S:-540}
. scripts/device-budget.sh
PY=${PYTHON:-python3}
CKPT=${CKPT:-/tmp/grok-1.6b} PRESET=${PRESET:-grok-1.6b} VOCAB=${VOCAB:-32768} NEW=${NEW:-16}
out=${OUT:-/tmp}
export PYTHONUNBUFFERED=1 JAX_COMPILATION_CACHE_DIR=/tmp/jax-cache JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=0
NCU=${NCU:-$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu /usr/local/cuda/bin/ncu 2>/dev/null | head -1)}
METRICS=gpu__time_duration.sum,dram__bytes_read.sum,dram__bytes_write.sum
COPY_GBS=${COPY_GBS:-0}

echo "== $(date -u +%FT%TZ) on $(hostname); ncu: ${NCU:-none}"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader
[ -n "$NCU" ] && "$NCU" --version | tail -1

# prof SECONDS TAG LAUNCHES CMD...: CMD under ncu, at most LAUNCHES kernels profiled, the CSV to $out/ncu-TAG.csv
prof() {
  local limit=$1 tag=$2 count=$3
  shift 3
  echo "== ncu: $tag (at most $count launches)"
  limited "$limit" "ncu $tag" "$NCU" --clock-control none --target-processes all --metrics "$METRICS" \
    --launch-skip "${SKIP:-0}" --launch-count "$count" --csv --print-units base --log-file "$out/ncu-$tag.csv" "$@" 2>&1 | quiet | tail -5
}
summary() {  # summary TAG LABEL [ncu_summary.py options]
  local tag=$1 label=$2
  shift 2
  [ -s "$out/ncu-$tag.csv" ] || { echo "!! no report for $tag"; return 1; }
  $PY scripts/ncu_summary.py "$out/ncu-$tag.csv" --label "$label" --copy-gbs "$COPY_GBS" "$@"
}
gen() {  # gen TAG PROMPT_TOKENS NEW [flags]: the xla4j generate command line (ROWS prompts, default 1; weights W)
  local plen=$2 new=$3 rows=${ROWS:-1} line
  shift 3
  local args=()
  while read -r line; do args+=(--prompt-tokens "$line"); done \
    < <($PY scripts/grok_jax_decode.py prompts --rows "$rows" --tokens "$plen" --vocab "$VOCAB")
  echo java "${JOPTS[@]}" -cp "$CP" org.xla4j.cli.Main generate --model "$CKPT/${W:-bf16}" --backend pjrt \
    --max-new-tokens "$new" --temperature 0 --batch "$rows" "${args[@]}" "$@"
}

ckpt() {
  [ -d "$CKPT/bf16" ] && return 0
  echo "== checkpoint ($PRESET, seed 0)"
  limited 120 write $PY scripts/grok_jax_decode.py write "$CKPT/bf16" --preset "$PRESET" --seed 0
}
copy() {
  echo "== copy rate (JAX, 4 GiB device-to-device)"
  local line
  line=$(limited 60 copy $PY - <<'EOF'
import time, jax, jax.numpy as jnp
x = jnp.ones((4 << 30) // 4, jnp.float32)
f = jax.jit(lambda a: a + 0)   # one read and one write of 4 GiB; the add fuses into the copy
f(x).block_until_ready()
ts = []
for _ in range(10):
    t = time.perf_counter(); f(x).block_until_ready(); ts.append(time.perf_counter() - t)
print(f"{2 * (4 << 30) / sorted(ts)[5] / 1e9:.0f}")
EOF
)
  echo "copy GB/s (read + write): $line"
  [[ "$line" =~ ^[0-9]+$ ]] && COPY_GBS=$line
}
decode_run() {  # decode_run TAG STEPS [flags]: STEPS, the decode steps the profiled run makes (its warm-up call included)
  local tag=$1 per=$2 cmd
  shift 2
  ckpt || return 1
  cmd=$(gen "$tag" 16 "$NEW" "$@")
  echo "== xla4j generate $tag without ncu (fills the executable cache; its timing summary)"
  limited 120 "warm $tag" $cmd 2>&1 | quiet | grep -E "tokens/s|decode calls|compile|first token" | head -8
  prof 200 "$tag" 6000 $cmd
  summary "$tag" "xla4j generate $tag: ${W:-bf16} batch ${ROWS:-1}, 16-token prompt + $NEW new tokens (init, prefill, decode calls)" \
    --per "$per" --per-name "decode step (the compile step's warm-up call included)"
}
# one token per call: the warm-up call + NEW-1 calls; 16 per call: the warm-up loop + one loop of 16 (NEW <= 17)
decode() { decode_run decode-b1 "$NEW" --tokens-per-call 1; }
loop() { decode_run decode-b1-loop16 32 --tokens-per-call 16; }
# batch 32, 16 per call (generate's default on a GPU), bf16 and int8 weights (int8: $CKPT/int8 must exist)
decode32() { ROWS=32 decode_run decode-b32-loop16 32 --tokens-per-call 16; }
decode32_int8() { [ -d "$CKPT/int8" ] || { echo "!! no $CKPT/int8"; return 1; }; ROWS=32 W=int8 decode_run decode-b32-int8-loop16 32 --tokens-per-call 16; }
prefill() {
  local cmd
  ckpt || return 1
  cmd=$(gen prefill 2048 1)
  echo "== xla4j generate, 2,048-token prompt, 1 new token, without ncu"
  limited 120 "warm prefill" $cmd 2>&1 | quiet | grep -E "tokens/s|compile|first token" | head -6
  # the first ~3,300 launches are the upload's layout change and the compile step's warm-up calls (a decode loop
  # of 16 and a prefill of dummy tokens, whose degenerate routing takes the DROPLESS rung): skipped, so the profile
  # holds the end of the warm-up prefill and then the prompt's prefill
  SKIP=${PREFILL_SKIP:-3000} prof 150 prefill 1500 $cmd
  summary prefill "xla4j prefill, 2,048 tokens (launches after the first ${PREFILL_SKIP:-3000}: the warm-up prefill's end and the prompt's)" \
    --per 1 --per-name prefill
}
jax_prefill() {
  ckpt || return 1
  echo "== JAX prefill (MoE dense), 2,048 tokens, without ncu (fills JAX's cache)"
  limited 120 "jax prefill warm" $PY scripts/grok_jax_decode.py prefill "$CKPT/bf16" --tokens 2048 --moe dense \
    2>&1 | grep -E '"ttft|ttft-best' | cut -c1-300
  prof 200 jax-prefill 4000 $PY scripts/grok_jax_decode.py prefill "$CKPT/bf16" --tokens 2048 --moe dense
  summary jax-prefill "JAX prefill, MoE dense, 2,048 tokens (warm-up + 4 timed calls + the logits call: 6 prefills)" \
    --per 6 --per-name prefill
}
moe_t1() {
  local cmd=(java "${JOPTS[@]}" -cp "$CP" org.xla4j.cli.Main bench moe --backend pjrt --shape 1,6144,32768
    --impl dense,few-tokens --few-tokens reduce --runs 5)
  echo "== xla4j bench moe T1 Grok-1 layer, without ncu"
  limited 90 "warm moe" "${cmd[@]}" 2>&1 | quiet | grep -E "^\| xla4j|ms" | head -8
  # no executable cache here: autotuning off for the profiled run (the REDUCE form has no GEMM to tune)
  XLA_FLAGS="${XLA_FLAGS:-} --xla_gpu_autotune_level=0" prof 150 moe-t1 3000 "${cmd[@]}"
  summary moe-t1 "xla4j bench moe T1 D6144 F32768: dense and few-tokens REDUCE (each: warm-up + 5 runs)"
}

[ -n "$NCU" ] || { echo "!! ncu not found"; exit 1; }
steps=("$@")
[ ${#steps[@]} = 0 ] && steps=(copy decode prefill moe-t1)
declare -A rc
for s in "${steps[@]}"; do
  case $s in
    copy) copy; rc[$s]=$? ;;
    decode) decode; rc[$s]=$? ;;
    loop) loop; rc[$s]=$? ;;
    decode32) decode32; rc[$s]=$? ;;
    decode32-int8) decode32_int8; rc[$s]=$? ;;
    prefill) prefill; rc[$s]=$? ;;
    jax-prefill) jax_prefill; rc[$s]=$? ;;
    moe-t1) moe_t1; rc[$s]=$? ;;
    *) echo "!! unknown step $s"; rc[$s]=2 ;;
  esac
done
echo "== exit codes: $(for s in "${steps[@]}"; do printf '%s=%s ' "$s" "${rc[$s]}"; done); $SECONDS s"
