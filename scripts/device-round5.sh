#!/usr/bin/env bash
# One GPU-machine call: the PJRT test suites (optimized HLO from the plugin's program, logits and generate
# through PJRT against the CPU oracles, cuDNN attention gradients against BLOCKWISE), then issue 13's attention
# forward+backward beside JAX (scripts/device-attention-grad.sh).
# Prepare here:  ./build install -DskipTests && scripts/device-stage.sh && scripts/device-jre.sh
# Run there:     run(command="scripts/device-round5.sh", carry=[".jre", ".devcarry"], timeout_s=600)
set -uo pipefail
cd "$(dirname "$0")/.."
timeout 300 scripts/device-round3.sh pjrt_suites
timeout 270 scripts/device-attention-grad.sh
