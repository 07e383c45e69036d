#!/usr/bin/env bash
# Issue 13, one GPU-machine round (under 9 minutes on an H200: every step under `timeout`, each limit cut to what
# is left of BUDGET_S = 530 s): a training step of a 1.59B-parameter Grok-1-shaped model (scripts/grok_jax_decode.py's
# grok-1.6b preset: D 1536, 12/2 heads of 128, F 8192, 8 experts top-2, 5 layers, vocab 32768; random weights, seed 0)
# with `xla4j train --backend pjrt` beside JAX (jax.jit(value_and_grad) + optax, scripts/train_jax.py) from the same
# checkpoint and the same batch:
#   1. check: train_jax.py's forward against scripts/grok_reference.py's numpy logits (tiny model), optax vs plain AdamW;
#   2. ckpt: the bf16 checkpoint ($CKPT/bf16, reused when present) and a tokens file (seed 0);
#   3. jax: MoE dense and capacity (factor $CF), $STEPS steps each on the first batch of the tokens (memorization);
#   4. xla4j-dense, xla4j-capacity: `xla4j train` at the same settings; then, as time allows, xla4j-auto (the MoE
#      the AUTO table picks for the shape: tiled dropless on CUDA, nothing dropped; its losses against JAX dense);
#   5. scripts/train_report.py: per-step losses side by side with |diff|, compile s, median step ms, tokens/s, ratio.
# Settings: batch 8 x 513 tokens (the model sees 512, 4,096 predicted tokens per step), lr 1e-3, weight decay 0.1,
# clip 1.0, f32 master weights and AdamW state (1.59B x 16 B = 25 GB), bf16 compute, attention VANILLA (T 512).
# Prepare here:  ./build install -DskipTests && scripts/device-stage.sh && scripts/device-jre.sh
# Run there:     run(command="scripts/device-train.sh", carry=[".jre", ".devcarry"], timeout_s=600)
# Comes back in $OUT: device-train.log (everything), train-h200-DATE.md (the tables), train-*.json (the runs).
# DUMP=1: also the optimized HLO of each side's step (xla4j --dump bundles, JAX's XLA dump) under $OUT/dump-*.
# CPU smoke test here (without .jre and .devcarry: the local ./xla4j and a python with jax):
#   PRESET=tiny VOCAB=512 BATCH=4 SEQ=33 BACKEND=cpu PYTHON=/path/to/python-with-jax OUT=/tmp/o scripts/device-train.sh
# Steps to run: arguments (default: all): check ckpt jax xla4j-dense xla4j-capacity xla4j-auto.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
if [ -d "$here/.jre" ] && [ -d "$here/.devcarry" ]; then
  mkdir -p "${OUT:-/tmp}"
  DEVICE_XMX=${DEVICE_XMX:-24g} . "$here/scripts/device-env.sh" device-train
  X4J=(java "${JOPTS[@]}" -cp "$CP" org.xla4j.cli.Main)
else                                   # the CPU smoke test: this checkout's launcher builds what it needs
  cd "$here"
  out=${OUT:-/tmp}
  mkdir -p "$out"
  exec > >(tee "$out/device-train.log") 2>&1
  quiet() { grep -v -E '^(WARNING: |I1[0-9]{3} |W1[0-9]{3} )'; }
  X4J=(./xla4j)
fi
BUDGET_S=${BUDGET_S:-530}
PY=${PYTHON:-python3}
CKPT=${CKPT:-/tmp/grok-1.6b}
PRESET=${PRESET:-grok-1.6b} VOCAB=${VOCAB:-32768} BATCH=${BATCH:-8} SEQ=${SEQ:-513} STEPS=${STEPS:-10}
LR=${LR:-1e-3} WD=${WD:-0.1} CLIP=${CLIP:-1.0} CF=${CF:-2.0} BACKEND=${BACKEND:-pjrt}
RUNS=/tmp/train-runs
mkdir -p "$RUNS"
rm -f "$RUNS"/train-*.json
day=$(date -u +%F)
export PYTHONUNBUFFERED=1
TOKENS=$RUNS/tokens.safetensors
. scripts/device-budget.sh   # the working directory is the repository root here
common=(--batch "$BATCH" --seq "$SEQ" --steps "$STEPS" --lr "$LR" --weight-decay "$WD" --clip "$CLIP" --fixed-batch)

echo "== $(date -u +%FT%TZ) on $(hostname)"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

check() {
  echo "== train_jax.py check: the JAX model against the numpy oracle (tiny), optax against the plain AdamW"
  limited 60 check $PY scripts/train_jax.py check
}
ckpt() {
  echo "== checkpoint ($PRESET, seed 0) and tokens"
  if [ -f "$CKPT/bf16/config.json" ] && [ -f "$CKPT/bf16/model.safetensors" ]; then
    echo "reusing $CKPT/bf16"
  else
    rm -rf "$CKPT/bf16"
    limited 150 write $PY scripts/grok_jax_decode.py write "$CKPT/bf16" --preset "$PRESET" --seed 0 || return $?
  fi
  $PY scripts/train_jax.py tokens "$TOKENS" --count $((BATCH * SEQ * STEPS)) --vocab "$VOCAB" --seed 0
}
jax_side() {
  echo "== JAX: value_and_grad + optax, MoE dense and capacity (factor $CF)"
  local flags=${XLA_FLAGS:-}
  [ -n "${DUMP:-}" ] && flags="$flags --xla_dump_to=$out/dump-jax --xla_dump_hlo_as_text --xla_dump_hlo_module_re=.*step.*"
  limited 220 jax env XLA_FLAGS="$flags" $PY scripts/train_jax.py train "$CKPT/bf16" --data "$TOKENS" "${common[@]}" --moe "${JAX_MOE:-dense,capacity}" \
    --capacity-factor "$CF" --output "$RUNS/train-jax.json"
}
xla4j_side() {  # xla4j_side MOE [flags]
  local moe=$1 rc
  shift
  [ -n "${DUMP:-}" ] && set -- "$@" --dump "$out/dump-xla4j-$moe"
  echo "== xla4j train --moe $moe"
  limited "${XLA4J_LIMIT:-150}" "xla4j $moe" "${X4J[@]}" train --model "$CKPT/bf16" --backend "$BACKEND" --data "$TOKENS" \
    "${common[@]}" --moe "$moe" "$@" --output "$RUNS/train-xla4j-$moe.json" --plot "$RUNS/train-xla4j-$moe.svg" 2>&1 \
    | quiet | cut -c1-2000
  rc=${PIPESTATUS[0]}
  return "$rc"
}

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(check ckpt jax xla4j-dense xla4j-capacity xla4j-auto)
codes=""
for s in "${steps[@]}"; do
  if [ "$SECONDS" -gt $((BUDGET_S - 15)) ]; then echo "!! skipped $s: ${SECONDS} s used of ${BUDGET_S}"; codes="$codes $s=skipped"; continue; fi
  case $s in
    check) check ;;
    ckpt) ckpt ;;
    jax) jax_side ;;
    xla4j-dense) xla4j_side dense ;;
    xla4j-capacity) XLA4J_LIMIT=130 xla4j_side capacity --capacity-factor "$CF" ;;
    xla4j-auto) XLA4J_LIMIT=120 xla4j_side auto ;;
    *) echo "!! unknown step $s"; false ;;
  esac
  codes="$codes $s=$?"
  echo "-- ${SECONDS} s so far"
done
cp "$RUNS"/train-*.json "$out/" 2>/dev/null
$PY scripts/train_report.py "$RUNS"/train-*.json > "$out/train-h200-$day.md"
echo "== report (rc $? : 0 when every mode's losses agree)"
cat "$out/train-h200-$day.md"
echo "== exit codes (124: timed out):$codes"
