#!/usr/bin/env bash
# GPU-machine checks for issues 7 and 8, in one run (about 6 minutes on an H200):
#   1. donation: a donated bf16 [8, 8192, 8, 128] cache written one row at a time holds one copy
#      (xla4j test alone, so the allocator's peak belongs to it), and JAX's lowering and memory for the same;
#   2. the allocation of twice the device memory, alone, with host memory watched (the H200 killed the JVM);
#   3. the whole PJRT suites (jni's org.xla4j.runtime.pjrt and tests/ org.xla4j.backends);
#   4. host-to-device upload GB/s: xla4j's paths (bench upload) and JAX's device_put, same machine.
# Prepare here:  ./build install -DskipTests && scripts/device-stage.sh && scripts/device-jre.sh
# Run there:     run(command="scripts/device-round2.sh", carry=[".jre", ".devcarry"])
# The whole log goes to $OUT/device-round2.log.
set -uo pipefail
. "$(dirname "$0")/device-env.sh" device-round2
junit() {
  java "${JOPTS[@]}" -jar $c/lib/junit-platform-console-standalone-*.jar execute --class-path "$CP" "$@" \
    --details=tree --disable-banner --disable-ansi-colors 2>&1 | quiet
  return "${PIPESTATUS[0]}"
}
echo "== $(date -u +%FT%TZ) on $(hostname)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
python3 -c 'import jax; print("jax", jax.__version__)'

echo "== 1a. donation, xla4j (test alone)"
junit --select-method org.xla4j.backends.ProgramBackendTest#donatedCacheUpdateHoldsOneCopyOnTheDevice
don=$?
echo "== 1b. donation, JAX"
XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1 python3 scripts/donation_jax.py

echo "== 2. twice the device memory, alone; host memory sampled every 2 s (the JVM is stopped above 100 GiB)"
( while sleep 2; do
    used=$(free -g | awk '/^Mem/{print $3}'); echo "[host] used ${used} GiB"
    if [ "${used:-0}" -gt 100 ]; then echo "[host] over 100 GiB: stopping the JVM"; pkill -f junit-platform; fi
  done ) & watcher=$!
junit --select-method org.xla4j.backends.PjrtRobustnessTest#anAllocationLargerThanTheDeviceFailsAndTheClientKeepsWorking
big=$?
kill $watcher 2>/dev/null

echo "== 3. PJRT suites"
junit --select-package org.xla4j.runtime.pjrt --select-package org.xla4j.backends
suite=$?

echo "== 4a. upload, xla4j"
for b in 268435456 1073741824; do
  java "${JOPTS[@]}" -cp "$CP" org.xla4j.cli.Main bench upload --backend pjrt --bytes $b 2>&1 | quiet
done
echo "== 4b. upload, JAX device_put (best of 5, pages touched)"
XLA_PYTHON_CLIENT_PREALLOCATE=false python3 - <<'PY'
import time, numpy as np, jax
dev = jax.devices()[0]
for n in (256 << 20, 1 << 30):
    host = np.ones(n // 4, np.float32)
    best = 1e9
    for _ in range(5):
        t = time.perf_counter(); d = jax.device_put(host, dev); d.block_until_ready(); best = min(best, time.perf_counter() - t); del d
    print(f"JAX device_put {n >> 20} MiB: {n / best / 1e9:.2f} GB/s")
PY
echo "== exit codes: donation=$don huge-allocation=$big suite=$suite"
