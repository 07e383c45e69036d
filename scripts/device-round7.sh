#!/usr/bin/env bash
# One GPU-machine round for issues 10, 11 and 13 (this session's measurement round), in two calls so that
# each fits the device tool's 10-minute limit; the second is meant to follow the first while the machine is
# still warm:
#   part A (under 9.6 minutes): generation beside JAX, bf16 and int8 (decode at batch 1 and 32, one token per
#     call and 16 per call, greedy tokens compared), prefill beside JAX with logits compared (bf16), the
#     decode-sized MoE at Grok-1's layer (T1, bf16 and int8, beside JAX), attention forward+backward beside JAX
#     (BLOCKWISE's own backward, CUDNN) -> device-generate-full.sh, device-moe.sh, device-attention-grad.sh
#   part B (under 5 minutes): the 1.6B training step beside JAX + optax (dense MoE), and the MoE custom
#     backward's GPU test -> device-train.sh, device-junit.sh
#   part C (under 5 minutes): the training step again with JAX's dense and capacity-factor-4 MoE (the spread of
#     two JAX implementations of one function), and BLOCKWISE's backward block at S8192 (256, 1024 beside auto)
# Prepare here:  ./build install -DskipTests && scripts/device-stage.sh && scripts/device-jre.sh
# Run there:     run(command="scripts/device-round7.sh A", carry=[".jre", ".devcarry"], timeout_s=600), then B.
# Each part's scripts write their own logs and tables to $OUT.
set -uo pipefail
cd "$(dirname "$0")/.."
part=${1:?usage: scripts/device-round7.sh A|B|C}
t0=$SECONDS
left() { echo $(( $1 - (SECONDS - t0) )); }
case $part in
  A)
    BUDGET_S=380 JAX_TTFT=0 XLA4J_TTFT=0 PREFILL_INT8=0 EXTRAS="bf16-b1 bf16-b32 int8-b1" \
      scripts/device-generate-full.sh ckpt jax-bf16 jax-int8 xla4j-bf16 xla4j-int8 extras prefill
    b=$(left 510); [ "$b" -gt 60 ] && BUDGET_S=$b CHUNKS= scripts/device-attention-grad.sh
    b=$(left 580); [ "$b" -gt 40 ] && BUDGET_S=$b scripts/device-moe.sh round3 jaxt1 int83
    ;;
  B)
    # the checkpoint part A wrote is reused when the machine is still the same one
    BUDGET_S=${TRAIN_S:-230} JAX_MOE=dense scripts/device-train.sh ckpt jax xla4j-dense
    b=$(left 280); [ "$b" -gt 30 ] && timeout "$b" scripts/device-junit.sh org.xla4j.backends.MoeGradPjrtTest
    ;;
  C)
    # JAX against itself (dense vs capacity factor 4, which cannot drop with 8 experts top-2: the same function) gives
    # the loss spread two correct bf16 implementations show, beside xla4j's; BLOCKWISE's block at S8192
    BUDGET_S=${TRAIN_S:-170} JAX_MOE=dense,capacity CF=4 scripts/device-train.sh ckpt jax xla4j-dense
    b=$(left 290); [ "$b" -gt 60 ] && BUDGET_S=$b SEQS=8192 CHUNKS="256 1024" scripts/device-attention-grad.sh
    ;;
  *) echo "unknown part $part (A, B or C)"; exit 2 ;;
esac
echo "== round 7 part $part: $((SECONDS - t0)) s"
