#!/usr/bin/env bash
# One GPU-machine call for this stop's checks (issues 9, 11, 12, 13): the PJRT test suites (optimized HLO from
# the plugin's program, logits and generate through PJRT against the CPU oracles, cuDNN attention gradients),
# then the int8 half of the generation round beside JAX (scripts/device-generate-full.sh ckpt jax-int8 xla4j-int8)
# in what is left of 560 s.
# Prepare here:  ./build install -DskipTests && scripts/device-stage.sh && scripts/device-jre.sh
# Run there:     run(command="scripts/device-round4.sh", carry=[".jre", ".devcarry"], timeout_s=600)
set -uo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
timeout 240 scripts/device-round3.sh pjrt_suites
left=$((560 - (SECONDS - start)))
echo "== generation, int8, beside JAX: ${left} s left"
BUDGET_S=$left scripts/device-generate-full.sh ckpt jax-int8 xla4j-int8
