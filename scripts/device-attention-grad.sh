#!/usr/bin/env bash
# Issue 13 on the GPU machine: attention forward+backward, xla4j's mechanisms (attention compare --grad: time,
# XLA temp bytes, gradient error vs the f32 BLOCKWISE reference) beside JAX's value_and_grad of
# jax.nn.dot_product_attention (xla and cudnn), bf16, causal, B1 H8 D128, S 8192 and 16384.
# Prepare here:  ./build install -DskipTests && scripts/device-stage.sh && scripts/device-jre.sh
# Run there:     run(command="scripts/device-attention-grad.sh", carry=[".jre", ".devcarry"])
set -uo pipefail
. "$(dirname "$0")/device-env.sh" device-attention-grad
echo "== $(date -u +%FT%TZ) on $(hostname)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
echo "== jax: scripts/attention_grad_jax.py"
timeout 200 env PYTHONUNBUFFERED=1 python3 scripts/attention_grad_jax.py --seq 8192,16384
for s in 8192 16384; do
  echo "== xla4j attention compare --grad S$s"
  timeout 150 java "${JOPTS[@]}" -cp "$CP" org.xla4j.cli.Main attention compare --backend pjrt --grad --dtype bf16 \
    --causal --batch 1 --seq $s --heads 8 --kv-heads 8 --head-dim 128 --mechanisms blockwise,cudnn,vanilla \
    --reference blockwise --runs 5 --iters 2 2>&1 | quiet
done
