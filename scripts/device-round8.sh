#!/usr/bin/env bash
# One GPU-machine round for issues 10, 11 and 13 (round 8), in calls that each fit the device tool's 10-minute
# limit, meant to follow each other while the machine is warm (the checkpoint part A writes is reused after):
#   part A (under 9.8 minutes): the training step beside JAX + optax: f32 loss agreement (HIGHEST dots, MoE dense,
#     10 steps) and bf16 speed (xla4j MoE auto and dense vs JAX's best) -> device-train.sh agree-speed; then
#     attention forward+backward beside JAX at S8192 and 16384 (BLOCKWISE with a step budget of 128 MiB, then the
#     automatic one, and 64 MiB beside it) -> device-attention-grad.sh
#   part B (under 9.8 minutes): MoE round 4 (CAPACITY_CHECKED at the prefill shapes, its fallback's cost, the
#     T1 layout experiments) -> device-moe.sh round4; prefill of a 2,048-token prompt beside JAX with the logits
#     compared (MoE auto = CAPACITY_CHECKED there) -> device-generate-full.sh prefill; then as much of part C's
#     profiles as time allows (prefill, decode)
#   part C (under 9.8 minutes): Nsight Compute profiles: xla4j decode (batch 1), prefill (2,048 tokens), the T1
#     MoE, and JAX's prefill -> device-profile.sh
# Prepare here:  ./build install -DskipTests && scripts/device-stage.sh && scripts/device-jre.sh
# Run there:     run(command="scripts/device-round8.sh A", carry=[".jre", ".devcarry"], timeout_s=600), then B, C.
# Each part's scripts write their own logs and tables to $OUT.
set -uo pipefail
cd "$(dirname "$0")/.."
part=${1:?usage: scripts/device-round8.sh A|B|C}
t0=$SECONDS
left() { echo $(( $1 - (SECONDS - t0) )); }
case $part in
  A)
    # JAX also in its capacity form (f32): its own spread per step sets the agreement bar after step 1
    BUDGET_S=${TRAIN_S:-400} AGREE_JAX_MOE=dense,capacity scripts/device-train.sh agree-speed
    b=$(left 585); [ "$b" -gt 60 ] && BUDGET_S=$b SEQS="8192 16384" CHUNKS= STEP_MIBS=64 scripts/device-attention-grad.sh
    ;;
  B)
    BUDGET_S=${MOE_S:-220} scripts/device-moe.sh round4
    b=$(left 400); [ "$b" -gt 60 ] && BUDGET_S=$b PREFILL_INT8=0 scripts/device-generate-full.sh prefill
    # what is left: the profiles of part C that matter most (prefill, then batch-1 decode)
    b=$(left 585); [ "$b" -gt 60 ] && BUDGET_S=$b scripts/device-profile.sh copy prefill decode
    ;;
  C)
    BUDGET_S=${PROFILE_S:-585} scripts/device-profile.sh copy decode prefill moe-t1 jax-prefill
    ;;
  *) echo "unknown part $part (A, B or C)"; exit 2 ;;
esac
echo "== round 8 part $part: $((SECONDS - t0)) s"
