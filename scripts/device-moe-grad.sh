#!/usr/bin/env bash
# Issue 13, the MoE backward on the GPU machine (about 5 minutes on an H200; every step under `timeout`, cut to
# what is left of BUDGET_S = 420 s):
#   1. JUnit: org.xla4j.backends.MoeGradPjrtTest (DROPLESS with real chlo.ragged_dot, forward and d rows,
#      against DENSE's gradient; DROPLESS tiled gradient's compiled temp memory, custom backward vs autodiff of
#      the forward, at T2048 D512 F1024 E8, tile 64) and org.xla4j.autodiff.ControlFlowVjpTest (sort/if/case/
#      ragged_dot VJPs on the CPU backend, as a sanity check of the carried classes);
#   2. `xla4j bench moe-grad` (every implementation's gradient, custom backward vs autodiff of the forward:
#      time per call, XLA temp bytes, max rel L2 of a gradient leaf vs DENSE) at T4096 D2048 F5632 (prefill-sized,
#      8 experts top-2) and T8 (few tokens).
# Prepare here:  ./build install -DskipTests && scripts/device-stage.sh && scripts/device-jre.sh
# Run there:     run(command="scripts/device-moe-grad.sh", carry=[".jre", ".devcarry"], timeout_s=600)
# Comes back in $OUT: device-moe-grad.log (everything; `JSON` lines are the rows).
# Smoke test on the CPU (no GPU, no .devcarry needed): BACKEND=cpu SHAPE=128,64,128 FEW=4,64,128 scripts/device-moe-grad.sh
set -uo pipefail
BACKEND=${BACKEND:-pjrt}
SHAPE=${SHAPE:-4096,2048,5632}
FEW=${FEW:-8,2048,5632}
BUDGET_S=${BUDGET_S:-420}
. "$(dirname "${BASH_SOURCE[0]}")/device-budget.sh"
if [ "$BACKEND" = cpu ]; then
  cd "$(dirname "$0")/.."
  bench() { local limit; limit=$(cap "$1" "bench") || return 125; shift; timeout "$limit" ./xla4j bench moe-grad "$@"; }
  echo "== (cpu smoke: the JUnit step runs with ./build, not here)"
else
  . "$(dirname "$0")/device-env.sh" device-moe-grad
  echo "== $(date -u +%FT%TZ) on $(hostname)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  limit=$(cap 150 junit) && timeout "$limit" java "${JOPTS[@]}" -jar $c/lib/junit-platform-console-standalone-*.jar execute \
    --class-path "$CP" --select-class org.xla4j.backends.MoeGradPjrtTest --select-class org.xla4j.autodiff.ControlFlowVjpTest \
    --details=tree --disable-banner --disable-ansi-colors 2>&1 | quiet
  bench() {
    local limit
    limit=$(cap "$1" "bench") || return 125
    shift
    timeout "$limit" java "${JOPTS[@]}" -cp "$CP" org.xla4j.cli.Main bench moe-grad "$@" 2>&1 | quiet
  }
fi
echo "== bench moe-grad at $SHAPE"
bench 200 --backend "$BACKEND" --shape "$SHAPE" --impl dense,dropless,dropless-tiles,capacity --tile-size 0,1024 \
  --capacity-factor 1.25 --ragged-dot-fusion off --dynamic-slice-fusion off --runs 3
echo "== bench moe-grad at $FEW (few tokens)"
bench 120 --backend "$BACKEND" --shape "$FEW" --impl dense,few-tokens,dropless --few-tokens gather,slice-loop \
  --dynamic-slice-fusion off --runs 3
echo "== done in ${SECONDS} s"
