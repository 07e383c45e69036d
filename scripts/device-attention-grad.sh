#!/usr/bin/env bash
# Issue 13 on the GPU machine: attention forward+backward, xla4j's mechanisms (attention compare --grad: time,
# XLA temp bytes, gradient error vs an f32 reference) beside JAX's value_and_grad of
# jax.nn.dot_product_attention (xla and cudnn), bf16, causal, B1 H8 D128, S 8192 and 16384.
# BLOCKWISE is differentiated through its own blockwise backward (BlockwiseVjp); besides its automatic block
# (S/8 within [512, 1024]) the block sizes in CHUNKS (default "512 1024 2048") are tried, each run under its
# own timeout. Everything takes about 5-8 minutes; with BUDGET_S (seconds) the runs go in order of need (JAX,
# then each S with the automatic block, then the sweep) and stop when the budget is spent.
# Prepare here:  ./build install -DskipTests && scripts/device-stage.sh && scripts/device-jre.sh
# Run there:     run(command="scripts/device-attention-grad.sh", carry=[".jre", ".devcarry"])
# Env: SEQS (default "8192 16384"), CHUNKS, STEP_MIBS (step budgets to sweep, default none), JAX=0 skips the JAX side, TIMEOUT per xla4j run (s, default 150),
# BUDGET_S for the whole script (default: none).
set -uo pipefail
. "$(dirname "$0")/device-env.sh" device-attention-grad
backend=${BACKEND:-pjrt}
# a CPU smoke test here (BACKEND=cpu SEQS=512 CHUNKS=128 JAX=0) needs the built class path, TensorFlow included
[ "$backend" = cpu ] && [ -f models/target/xla4j-classpath.txt ] && CP=$(cat models/target/xla4j-classpath.txt)
seqs=${SEQS:-8192 16384}
chunks=${CHUNKS-512 1024 2048}  # CHUNKS= (empty): no sweep
step_mibs=${STEP_MIBS-}        # e.g. "64 256 4096": BLOCKWISE's backward step budget (--step-mib) at the automatic block
t0=$SECONDS
# seconds a run may take: TIMEOUT, cut to what is left of BUDGET_S; 0 when too little is left to start one
allow() {
  local t=${TIMEOUT:-150}
  if [ -n "${BUDGET_S:-}" ]; then
    local left=$((BUDGET_S - (SECONDS - t0)))
    [ "$left" -lt "${1:-30}" ] && { echo 0; return; }
    [ "$left" -lt "$t" ] && t=$left
  fi
  echo "$t"
}
echo "== $(date -u +%FT%TZ) on $(hostname)"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
if [ "${JAX:-1}" = 1 ]; then
  echo "== jax: scripts/attention_grad_jax.py"
  t=$(allow); [ "$t" -gt 200 ] && t=200
  [ "$t" -gt 0 ] && timeout "$t" env PYTHONUNBUFFERED=1 python3 scripts/attention_grad_jax.py --seq "$(echo $seqs | tr ' ' ,)"
fi
compare() {
  local t
  t=$(allow)
  if [ "$t" = 0 ]; then echo "(skipped: BUDGET_S=$BUDGET_S spent)"; return; fi
  timeout "$t" java "${JOPTS[@]}" -cp "$CP" org.xla4j.cli.Main attention compare --backend "$backend" --grad \
    --dtype bf16 --causal --batch 1 --heads 8 --kv-heads 8 --head-dim 128 --runs 5 --iters 2 "$@" 2>&1 | quiet
}
for s in $seqs; do
  # the f32 reference is VANILLA (independent of BLOCKWISE's backward) where its S x S logits fit
  ref=vanilla; [ "$s" -gt 8192 ] && ref=blockwise
  echo "== xla4j attention compare --grad S$s (reference $ref, automatic chunks)"
  compare --seq "$s" --mechanisms blockwise,cudnn,vanilla --reference "$ref"
done
for s in $seqs; do
  auto=$((s / 8)); [ $auto -lt 512 ] && auto=512; [ $auto -gt 1024 ] && auto=1024
  for c in $chunks; do
    [ "$c" = "$auto" ] && continue
    echo "== xla4j attention compare --grad S$s BLOCKWISE block $c"
    compare --seq "$s" --mechanisms blockwise --reference blockwise --chunk-q "$c" --chunk-k "$c"
  done
  # the step budget at the automatic block (no bound unless --step-mib says otherwise)
  for m in $step_mibs; do
    echo "== xla4j attention compare --grad S$s BLOCKWISE automatic block, step budget $m MiB"
    compare --seq "$s" --mechanisms blockwise --reference blockwise --step-mib "$m"
  done
done
echo "== device-attention-grad: $((SECONDS - t0)) s"
