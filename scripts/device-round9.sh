#!/usr/bin/env bash
# The closing GPU-machine call of round 9 (issues 10 and 13), under the device tool's 10-minute limit:
#   1. prefill of a 2,048-token prompt beside JAX (issue 10's third target) with the round's changes (contraction-minor
#      experts transposed inside CAPACITY_CHECKED's branches, the gather dispatch, bf16 GEMM results kept bf16), the
#      logits against JAX and against JAX's f32 oracle -> device-generate-full.sh prefill (bf16)
#   2. the training step's speed beside JAX's best with CAPACITY_CHECKED's ladders (TRAIN_LADDERS) and the rung each
#      layer ran per step -> device-train.sh speed-ladder
# Prepare here:  ./build install -DskipTests && STAGE_JUNIT=0 scripts/device-stage.sh && scripts/device-jre.sh
# Run there:     run(command="scripts/device-round9.sh", carry=[".jre", ".devcarry"], timeout_s=600)
# BUDGET_S (default 560) bounds the whole call; PREFILL_S (default 150) the prefill part.
set -uo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS
total=${BUDGET_S:-560}
BUDGET_S=${PREFILL_S:-150} PREFILL_INT8=0 scripts/device-generate-full.sh prefill
b=$(( total - (SECONDS - t0) ))
[ "$b" -gt 60 ] && BUDGET_S=$b TRAIN_LADDERS=${TRAIN_LADDERS:-1.25,2.5 1.25,1.5,2.0,3.0} scripts/device-train.sh speed-ladder
echo "== round 9: $((SECONDS - t0)) s"
