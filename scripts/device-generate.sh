#!/usr/bin/env bash
# GPU-machine run for issue 11's generation figures, JAX and xla4j side by side on the same weights:
#   1. scripts/generate_jax.py writes a ~1.75B-parameter Grok-shaped checkpoint (random weights, Hugging Face
#      Grok-1 layout) to /tmp/gen-grok-1b, then times JAX's decode loop (jitted step, cache donated, token
#      chosen on the device) at batch 1 and 32, the device copy bandwidth, and the time to first token of a
#      2,048-token prompt;
#   2. xla4j generate on the same directory through PJRT: batch 1 and 32, step by step and with a 16-token
#      device loop (--tokens-per-call 16), and batch 1 with the decode MoE reading only the chosen experts
#      (--decode-moe few_tokens), printing its timing summary (decode tokens/s, time to first token).
# Prepare here:  ./build install -DskipTests && scripts/device-stage.sh && scripts/device-jre.sh
# Run there:     run(command="scripts/device-generate.sh", carry=[".jre", ".devcarry"])
# The whole log goes to $OUT/device-generate.log.
set -uo pipefail
DEVICE_XMX=32g . "$(dirname "$0")/device-env.sh" device-generate
PY=${PYTHON:-/opt/torch/.venv/bin/python3}
DIR=/tmp/gen-grok-1b
xla4j() {
  local limit=$1; shift
  timeout "$limit" java "${JOPTS[@]}" -cp "$CP" org.xla4j.cli.Main "$@" 2>&1 | quiet
  local rc=${PIPESTATUS[0]}
  [ "$rc" = 124 ] && echo "!! timed out after ${limit} s: xla4j $*"
  return "$rc"
}
prompts() {  # N prompts of 16 token ids each, as repeated --prompt-tokens
  local n=$1 i
  for ((i = 0; i < n; i++)); do
    printf -- '--prompt-tokens %s ' "$(seq -s, $((3 + i)) $((18 + i)))"
  done
}
echo "== $(date -u +%FT%TZ) on $(hostname)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

declare -A rc
echo "== 1. JAX"
timeout 120 "$PY" scripts/generate_jax.py write "$DIR" --preset 1b; rc[write]=$?
timeout 240 "$PY" scripts/generate_jax.py bench "$DIR" --batches 1,32 --steps 128 --prompt 16 --ttft 2048; rc[jax]=$?

echo "== 2. xla4j generate (PJRT)"
for b in 1 32; do
  for n in 1 16; do
    moe=""
    echo "-- batch $b, tokens per call $n"
    # shellcheck disable=SC2046
    xla4j 150 generate --model "$DIR" --backend pjrt --max-new-tokens 128 --tokens-per-call "$n" --batch "$b" $moe \
      $(prompts "$b") --quiet | tail -n 3
    rc[xla4j-b$b-n$n]=${PIPESTATUS[0]}
  done
done
echo "-- batch 1, tokens per call 16, decode MoE reading only the chosen experts (few_tokens)"
moe="--decode-moe few_tokens"
# shellcheck disable=SC2046
xla4j 150 generate --model "$DIR" --backend pjrt --max-new-tokens 128 --tokens-per-call 16 --batch 1 $moe \
  $(prompts 1) --quiet | tail -n 3
rc[xla4j-b1-n16-few]=${PIPESTATUS[0]}
echo "-- time to first token, 2048-token prompt"
xla4j 150 generate --model "$DIR" --backend pjrt --max-new-tokens 4 --prompt-tokens "$(seq -s, 3 2050)" --quiet | tail -n 2
rc[xla4j-ttft]=${PIPESTATUS[0]}

echo "== exit codes (124: timed out):"
for k in "${!rc[@]}"; do echo "   $k=${rc[$k]}"; done | sort
