#!/usr/bin/env bash
# One GPU-machine call: issue 10's MoE round 2 beside JAX (scripts/device-moe.sh round2), then logits through
# PJRT against the numpy fixtures (LogitsPjrtTest).
# Prepare here:  ./build install -DskipTests && scripts/device-stage.sh && scripts/device-jre.sh
# Run there:     run(command="scripts/device-round6.sh", carry=[".jre", ".devcarry"], timeout_s=600)
set -uo pipefail
cd "$(dirname "$0")/.."
timeout 420 scripts/device-moe.sh round2
. scripts/device-env.sh device-round6-logits
echo "== LogitsPjrtTest"
timeout 120 java "${JOPTS[@]}" -jar $c/lib/junit-platform-console-standalone-*.jar execute --class-path "$CP" \
  --select-class org.xla4j.backends.LogitsPjrtTest --fail-if-no-tests --details=tree --disable-banner \
  --disable-ansi-colors 2>&1 | quiet | tail -40
