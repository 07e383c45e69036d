#!/usr/bin/env bash
# Issue 11, one GPU-machine round (under 9 minutes on an H200: every step under `timeout`, each limit cut to
# what is left of BUDGET_S = 530 s): `xla4j generate --backend pjrt` beside JAX's decode loop on the same
# weights, a 1.59B-parameter Grok-1-shaped model (D 1536, 12 query / 2 kv heads of 128, F 8192, 8 experts
# top-2, 5 layers, vocab 32768; random weights, seed 0), bf16 and int8:
#   1. check: scripts/grok_jax_decode.py's forward (full prefill, and prefill + cached decode steps) against
#      scripts/grok_reference.py's numpy logits on its tiny model, bf16 and int8, and the sampler's properties;
#   2. ckpt: the bf16 checkpoint written here (numpy, Grok-1 HF layout) to $CKPT/bf16, then
#      `xla4j quantize` -> $CKPT/int8 (Grok-1's int8 layout);
#   3. jax-bf16 / jax-int8: the 4 GiB copy (bandwidth, once), the 64 greedy tokens of the fixed 16-token
#      prompts at batch 1 and 32, time to first token of a 2,048-token prompt (batch 1; MoE dense and
#      sorted + lax.ragged_dot), decode tokens/s at batch 1 and 32
#      (64 steps after a warm-up) and at batch 1 with a 16-token on-device loop;
#   4. xla4j-bf16 / xla4j-int8: `xla4j generate` at the same settings (greedy; the same prompt ids):
#      batch 1, batch 32, the 2,048-token prompt, and (extras) batch 1
#      with --tokens-per-call 16 and with --decode-moe few_tokens;
#   5. scripts/generate_report.py: a markdown table of both sides with ratios.
# Prepare here:  ./build install -DskipTests && scripts/device-stage.sh && scripts/device-jre.sh
# Run there:     run(command="scripts/device-generate-full.sh", carry=[".jre", ".devcarry"], timeout_s=600)
# Comes back in $OUT: device-generate-full.log (everything), generate-h200-DATE.md (tables),
#   generate-h200-DATE.log (the JSON and summary lines the tables come from).
# Steps to run: arguments (default: all): check ckpt jax-bf16 xla4j-bf16 jax-int8 xla4j-int8 extras
#   (and, not by default: cmdbuf, the on-device loop with XLA's command buffers around loops; scale-after, int8
#   generation with --quant scale-after at batch 1 and 32).
# Shorter rounds: JAX_TTFT=0 and XLA4J_TTFT=0 leave time to first token to the prefill step; PREFILL_INT8=0;
# PREFILL_GEN=0 (logits only); PREFILL_MOE=dense|dropless|... (xla4j's MoE for the logits; default auto);
# PREFILL_ATTENTIONS="blockwise" adds generate runs of the prompt with --prefill-attention blockwise.
# Or `prefill` alone (issue 10's third target, under 4 minutes, its own budget of 230 s; reuses $CKPT/bf16 and, when
# present, $CKPT/int8, else writes the bf16 one): per weights, JAX's time to first token of the 2,048-token prompt
# with its MoE as the dense einsum and as sorted lax.ragged_dot (both reported, the faster named), JAX's logits of
# every prompt position under the faster against `xla4j logits --backend pjrt --moe auto` on the same prompt and checkpoint
# (max |diff|, rms; PASS within 2^-5 of the largest |logit| and 2^-6 of the rms: bf16 tolerance; JAX's two modes
# against each other beside it; and both sides against JAX's f32 oracle of the same equations: PASS too when xla4j
# is as close to it as JAX's bf16 forward is), then `xla4j generate` with the prompt 5 times at batch 1 (time to first token of
# the first, prefill tokens/s over all 5). Usage: scripts/device-generate-full.sh prefill
set -uo pipefail
DEVICE_XMX=${DEVICE_XMX:-24g} . "$(dirname "$0")/device-env.sh" device-generate-full
if [ "${1:-}" = prefill ] && [ $# = 1 ]; then BUDGET_S=${BUDGET_S:-230}; else BUDGET_S=${BUDGET_S:-530}; fi
PY=${PYTHON:-python3}
CKPT=${CKPT:-/tmp/grok-1.6b}
# overridable for a CPU smoke test of the script (PRESET=tiny VOCAB=512 TTFT=128 BACKEND=cpu COPY_GIB=0.0625)
PRESET=${PRESET:-grok-1.6b} VOCAB=${VOCAB:-32768} PLEN=16 NEW=${NEW:-64} TTFT=${TTFT:-2048}
BACKEND=${BACKEND:-pjrt} COPY_GIB=${COPY_GIB:-4}
RUNS=/tmp/generate-runs
mkdir -p "$RUNS"
day=$(date -u +%F)
[ "${1:-}" = prefill ] && [ $# = 1 ] && day="$day-prefill"
export PYTHONUNBUFFERED=1
. scripts/device-budget.sh   # the working directory is the repository root here

# The one place `xla4j generate` is called (issue 11's CLI; --batch: rows decoded together, whose default is
# min(prompts, 8)). gen LIMIT TAG WEIGHTS ROWS PROMPT_LEN NEW_TOKENS [more flags]: ROWS prompts of PROMPT_LEN ids
# (the same ids as the JAX side: grok_jax_decode.py prompts; each GEN_REPEAT times, default 1), greedy, tokens to
# $RUNS/TAG.json. A marker line
# 'XLA4J-RUN {json}' before and 'XLA4J-RC TAG RC' after let generate_report.py find the timing summary.
gen() {
  local limit=$1 tag=$2 weights=$3 rows=$4 plen=$5 new=$6 line rc
  shift 6
  local args=()
  while read -r line; do for _ in $(seq "${GEN_REPEAT:-1}"); do args+=(--prompt-tokens "$line"); done; done \
    < <($PY scripts/grok_jax_decode.py prompts --rows "$rows" --tokens "$plen" --vocab "$VOCAB")
  echo "XLA4J-RUN {\"tag\": \"$tag\", \"weights\": \"$weights\", \"batch\": $rows, \"prompt_tokens\": $plen, \"new_tokens\": $new, \"flags\": \"$*\", \"output\": \"$RUNS/$tag.json\"}"
  limited "$limit" "xla4j generate $tag" java "${JOPTS[@]}" -cp "$CP" org.xla4j.cli.Main generate \
    --model "$CKPT/$weights" --backend "$BACKEND" --max-new-tokens "$new" --temperature 0 --batch "$rows" \
    --output "$RUNS/$tag.json" "${args[@]}" "$@" 2>&1 | quiet | cut -c1-2000
  rc=${PIPESTATUS[0]}
  echo "XLA4J-RC $tag $rc"
  [ -f "$RUNS/$tag.json" ] && echo "XLA4J-OUT $tag $(tr -d '\n' < "$RUNS/$tag.json")"
  return "$rc"
}

echo "== $(date -u +%FT%TZ) on $(hostname)"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv,noheader

check() {
  echo "== JAX forward vs the numpy oracle (tiny model; max |diff| of logits)"
  limited 120 check $PY scripts/grok_jax_decode.py check
}
ckpt() {
  echo "== checkpoints: bf16 (numpy writer), int8 (xla4j quantize)"
  rm -rf "$CKPT"
  limited 120 write $PY scripts/grok_jax_decode.py write "$CKPT/bf16" --preset "$PRESET" --seed 0 || return $?
  limited 150 quantize java "${JOPTS[@]}" -cp "$CP" org.xla4j.cli.Main quantize --model "$CKPT/bf16" \
    --out "$CKPT/int8" 2>&1 | quiet
  local rc=${PIPESTATUS[0]}
  [ "$rc" = 0 ] || rm -rf "$CKPT/int8"   # a partial directory would fail both sides' int8 steps less clearly
  return "$rc"
}
jax_side() {  # jax_side WEIGHTS [--copy]
  [ -d "$CKPT/$1" ] || { echo "!! no $CKPT/$1"; return 1; }
  echo "== JAX decode loop, $1"
  # JAX_TTFT=0 leaves time to first token to the prefill step
  limited "${JAX_LIMIT:-150}" "jax $1" $PY scripts/grok_jax_decode.py bench "$CKPT/$1" --label "$1" --batches 1,32 \
    --prompt $PLEN --new-tokens $NEW --greedy-tokens $NEW --ttft "${JAX_TTFT:-$TTFT}" --loop 16 "${@:2}"
}
xla4j_side() {  # xla4j_side WEIGHTS
  [ -d "$CKPT/$1" ] || { echo "!! no $CKPT/$1"; return 1; }
  local r=0
  echo "== xla4j generate, $1: batch 1 (greedy tokens compared with JAX's)"
  gen 120 "$1-b1" "$1" 1 $PLEN $NEW --tokens-per-call 1 || r=$?
  echo "== xla4j generate, $1: batch 32"
  gen 120 "$1-b32" "$1" 32 $PLEN $NEW --tokens-per-call 1 || r=$?
  if [ "${XLA4J_TTFT:-1}" = 1 ]; then
    echo "== xla4j generate, $1: time to first token, $TTFT-token prompt"
    gen 120 "$1-ttft" "$1" 1 $TTFT 4 || r=$?
  fi
  return "$r"
}
extras() {
  echo "== xla4j generate: 16 tokens per call (on-device loop), batch 1 and 32, bf16 and int8"
  local run w b
  # EXTRAS: which WEIGHTS-bBATCH runs (default all four)
  for run in ${EXTRAS:-bf16-b1 bf16-b32 int8-b1 int8-b32}; do
    w=${run%-b*} b=${run##*-b}
    [ -d "$CKPT/$w" ] || continue
    gen 90 "$w-b$b-loop16" "$w" "$b" $PLEN $NEW --tokens-per-call 16
  done
}

# int8 with the scales after each matmul (generate --quant scale-after): the int8 bytes read by the GEMMs rather than a
# dequantized bf16 copy (batch 32's dense expert GEMMs)
scale_after() {
  echo "== xla4j generate, int8 --quant scale-after: batch 1 and 32, 16 tokens per call"
  [ -d "$CKPT/int8" ] || { echo "!! no $CKPT/int8"; return 1; }
  local r=0
  gen 90 int8-b1-loop16-scale-after int8 1 $PLEN $NEW --tokens-per-call 16 --quant scale-after || r=$?
  gen 90 int8-b32-loop16-scale-after int8 32 $PLEN $NEW --tokens-per-call 16 --quant scale-after || r=$?
  return "$r"
}

# XLA's command buffers (CUDA graphs) also around while loops and conditionals: does the on-device loop's
# launch stop waiting on the host for each iteration's predicate?
CMDBUF=--xla_gpu_enable_command_buffer=FUSION,CUBLAS,CUBLASLT,CUSTOM_CALL,CUDNN,CONDITIONAL,WHILE
cmdbuf() {
  echo "== xla4j generate, bf16 batch 1 with XLA_FLAGS=$CMDBUF: one token per call, 16 per call"
  XLA_FLAGS=$CMDBUF gen 90 bf16-b1-cmdbuf bf16 1 $PLEN $NEW --tokens-per-call 1
  XLA_FLAGS=$CMDBUF gen 90 bf16-b1-loop16-cmdbuf bf16 1 $PLEN $NEW --tokens-per-call 16
}

# Issue 10's prefill target for one weights kind: JAX's TTFT per MoE mode and its logits under the faster, xla4j's
# logits of the same prompt compared with them, then xla4j generate's prefill of the same prompt, 5 times.
prefill_side() {  # prefill_side WEIGHTS
  local w=$1 ids r=0
  [ -d "$CKPT/$w" ] || { echo "!! no $CKPT/$w"; return 1; }
  ids=$($PY scripts/grok_jax_decode.py prompts --rows 1 --tokens "$TTFT" --vocab "$VOCAB")
  echo "== JAX prefill, $w: $TTFT tokens, MoE dense vs sorted ragged_dot; logits of the faster"
  limited 100 "jax prefill $w" $PY scripts/grok_jax_decode.py prefill "$CKPT/$w" --label "$w" --tokens "$TTFT" \
    --moe dense,ragged --logits-out "$RUNS/jax-$w-logits.npy" --oracle-out "$RUNS/oracle-$w-logits.npy" || r=$?
  echo "== xla4j logits, $w: the same $TTFT tokens (MoE auto: what generate's prefill of this prompt runs)"
  rm -f "$RUNS/xla4j-$w-logits.safetensors"
  limited 60 "xla4j logits $w" java "${JOPTS[@]}" -cp "$CP" org.xla4j.cli.Main logits --model "$CKPT/$w" \
    --backend "$BACKEND" --moe "${PREFILL_MOE:-auto}" --tokens "$ids" --output "$RUNS/xla4j-$w-logits.safetensors" 2>&1 | quiet \
    | cut -c1-2000
  echo "== logits, $w: xla4j vs JAX"
  if [ -f "$RUNS/jax-$w-logits.npy" ] && [ -f "$RUNS/xla4j-$w-logits.safetensors" ]; then
    limited 30 "compare $w" $PY scripts/grok_jax_decode.py compare-logits "$RUNS/jax-$w-logits.npy" \
      "$RUNS/xla4j-$w-logits.safetensors" --label "$w" --oracle "$RUNS/oracle-$w-logits.npy" || r=$?
  else
    echo "!! no logits to compare for $w"; r=1
  fi
  rm -f "$RUNS/jax-$w-logits.npy" "$RUNS/xla4j-$w-logits.safetensors" "$RUNS/oracle-$w-logits.npy"
  [ "${PREFILL_GEN:-1}" = 1 ] || return "$r"
  echo "== xla4j generate, $w: the $TTFT-token prompt 5 times at batch 1 (prefill tokens/s over the 5)"
  GEN_REPEAT=5 gen 60 "$w-prefill5" "$w" 1 "$TTFT" 2 || r=$?
  # PREFILL_ATTENTIONS="blockwise": the same prompt with generate --prefill-attention M (the xla4j runs table)
  local m
  for m in ${PREFILL_ATTENTIONS:-}; do
    echo "== xla4j generate, $w: the $TTFT-token prompt 5 times, --prefill-attention $m"
    GEN_REPEAT=5 gen 60 "$w-prefill5-$m" "$w" 1 "$TTFT" 2 --prefill-attention "$m" || r=$?
  done
  return "$r"
}
prefill() {
  if [ ! -d "$CKPT/bf16" ]; then
    echo "== checkpoint: bf16 (numpy writer; the int8 one is left out of this step)"
    limited 90 write $PY scripts/grok_jax_decode.py write "$CKPT/bf16" --preset "$PRESET" --seed 0 || return $?
  fi
  local r=0
  prefill_side bf16 || r=$?
  if [ "${PREFILL_INT8:-1}" = 0 ]; then echo "(PREFILL_INT8=0: int8 left out)"
  elif [ -d "$CKPT/int8" ]; then prefill_side int8 || r=$?; else echo "(no $CKPT/int8: int8 left out)"; fi
  return "$r"
}

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(check ckpt jax-bf16 xla4j-bf16 jax-int8 xla4j-int8 extras)
codes=""
for s in "${steps[@]}"; do
  if [ "$SECONDS" -gt $((BUDGET_S - 15)) ]; then echo "!! skipped $s: ${SECONDS} s used of ${BUDGET_S}"; codes="$codes $s=skipped"; continue; fi
  case $s in
    check) check ;;
    ckpt) ckpt ;;
    jax-bf16) jax_side bf16 --copy --copy-gib "$COPY_GIB" --ttft-moe auto,ragged ;;
    jax-int8) JAX_LIMIT=120 jax_side int8 --ttft-moe auto,ragged ;;
    xla4j-bf16) xla4j_side bf16 ;;
    xla4j-int8) xla4j_side int8 ;;
    extras) extras ;;
    cmdbuf) cmdbuf ;;
    scale-after) scale_after ;;
    prefill) prefill ;;
    *) echo "!! unknown step $s"; false ;;
  esac
  codes="$codes $s=$?"
  echo "-- ${SECONDS} s so far"
done
grep -a -E '^JSON \{|XLA4J-RUN |XLA4J-RC |XLA4J-OUT |time to first token .* \| decode ' "$out/device-generate-full.log" > "$out/generate-h200-$day.log"
$PY scripts/generate_report.py "$out/generate-h200-$day.log" > "$out/generate-h200-$day.md"
cat "$out/generate-h200-$day.md"
echo "== exit codes (124: timed out):$codes"
