#!/usr/bin/env bash
# GPU-machine checks for issue 9's Grok-1 figures, in one run (under 8 minutes on an H200; every step is
# guarded by `timeout`, 470 s in all):
#   1. `xla4j model compile --preset grok-1` through PJRT at batch 1 seq 8 (the 314B parameters as
#      arguments, compile only): DENSE and DROPLESS (chlo.ragged_dot) MoE; emit and compile times,
#      parameter bytes, FLOPs per token, XLA's cost analysis and compiled memory stats;
#   2. the tiny-grok preset through PJRT with CAPACITY and FEW_TOKENS MoE;
#   3. every MoE implementation compiled and run at T 512, D 1024, F 2816, 8 experts top-2, against DENSE
#      (tests/ org.xla4j.backends.MoeBackendTest).
# Prepare here:  ./build install -DskipTests && scripts/device-stage.sh && scripts/device-jre.sh
# Run there:     run(command="scripts/device-grok.sh", carry=[".jre", ".devcarry"])
# The whole log goes to $OUT/device-grok.log.
set -uo pipefail
DEVICE_XMX=32g . "$(dirname "$0")/device-env.sh" device-grok
xla4j() {
  local limit=$1; shift
  timeout "$limit" java "${JOPTS[@]}" -cp "$CP" org.xla4j.cli.Main "$@" 2>&1 | quiet
  local rc=${PIPESTATUS[0]}
  [ "$rc" = 124 ] && echo "!! timed out after ${limit} s: xla4j $*"
  return "$rc"
}
echo "== $(date -u +%FT%TZ) on $(hostname)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

declare -A rc
echo "== 1. grok-1, batch 1 seq 8, compile only"
for moe in dense dropless; do
  echo "-- moe $moe"
  xla4j 150 model compile --preset grok-1 --backend pjrt --batch 1 --seq 8 --moe "$moe"; rc[grok1-$moe]=$?
done

echo "== 2. tiny-grok, the other MoE implementations"
for moe in capacity few-tokens; do
  echo "-- moe $moe"
  xla4j 40 model compile --preset tiny-grok --backend pjrt --batch 2 --seq 16 --moe "$moe"; rc[tiny-$moe]=$?
done

echo "== 3. MoE implementations against DENSE, T 512 D 1024 F 2816 E 8 top-2"
timeout 90 java "${JOPTS[@]}" -jar $c/lib/junit-platform-console-standalone-*.jar execute --class-path "$CP" \
  --select-method org.xla4j.backends.MoeBackendTest#everyImplementationMatchesDenseOnPjrt \
  --details=tree --disable-banner --disable-ansi-colors 2>&1 | quiet
rc[moe-vs-dense]=${PIPESTATUS[0]}

echo "== exit codes (124: timed out):"
for k in "${!rc[@]}"; do echo "   $k=${rc[$k]}"; done | sort
