#!/usr/bin/env bash
# GPU-machine checks, round 3 (issue 7 and later). Each step is a function; the lead adds steps below.
#   upload_checkpoint: a ~4 GiB synthetic sharded bf16 checkpoint loaded onto the device by
#     `xla4j bench upload --checkpoint`, open to all buffers ready, cold (page cache dropped, where the
#     VM lets us) and warm, by each route (AUTO, DMA, STAGED), to set CheckpointUpload.DMA_MIN_FILE_BYTES.
# Prepare here:  ./build install -DskipTests && scripts/device-stage.sh && scripts/device-jre.sh
# Run there:     run(command="scripts/device-round3.sh", carry=[".jre", ".devcarry"])
# The whole log goes to $OUT/device-round3.log. Steps to run: arguments (default: all).
set -uo pipefail
. "$(dirname "$0")/device-env.sh" device-round3
xla4j() { java "${JOPTS[@]}" -cp "$CP" org.xla4j.cli.Main "$@" 2>&1 | quiet; return "${PIPESTATUS[0]}"; }
echo "== $(date -u +%FT%TZ) on $(hostname)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

# ---------------------------------------------------------------- upload_checkpoint (issue 7, safetensors)
# Cold = first read after dropping the page cache; in a VM without root that fails and we say so (the
# first run is then "first read since the file was written", likely still cached).
drop_caches() {
  sync
  if echo 3 > /proc/sys/vm/drop_caches 2>/dev/null; then echo "   (page cache dropped)"; return 0; fi
  echo "   (could NOT drop the page cache: $(id -un), /proc/sys/vm/drop_caches not writable; 'cold' is not cold)"
  return 1
}
upload_checkpoint() {
  echo "== upload_checkpoint: ~4 GiB synthetic checkpoint, open to all buffers ready"
  local dir=/tmp/xla4j-ckpt-4g rc=0
  rm -rf "$dir"
  xla4j bench upload --make-checkpoint "$dir" --bytes 4294967296 --tensors 27 --shards 2 || return 1
  ls -l "$dir"
  for path in AUTO DMA STAGED; do
    echo "-- $path, cold"
    drop_caches
    xla4j bench upload --backend pjrt --checkpoint "$dir" --path $path || rc=1
    echo "-- $path, warm (3 loads in a row)"
    xla4j bench upload --backend pjrt --checkpoint "$dir" --path $path --repeat 3 || rc=1
  done
  rm -rf "$dir"
  echo "-- small files: 512 MiB in 2 shards (~256 MiB each), warm, DMA vs STAGED (is registration repaid?)"
  dir=/tmp/xla4j-ckpt-512m
  rm -rf "$dir"
  xla4j bench upload --make-checkpoint "$dir" --bytes 536870912 --tensors 27 --shards 2 || return 1
  for path in DMA STAGED; do xla4j bench upload --backend pjrt --checkpoint "$dir" --path $path --repeat 3 || rc=1; done
  rm -rf "$dir"
  return $rc
}
# ---------------------------------------------------------------- end upload_checkpoint

# ---------------------------------------------------------------- pjrt_suites
# The whole PJRT suites again, with this round's GPU tests (remat memory, output shardings, ...).
pjrt_suites() {
  echo "== pjrt_suites: org.xla4j.runtime.pjrt + org.xla4j.backends"
  java "${JOPTS[@]}" -jar $c/lib/junit-platform-console-standalone-*.jar execute --class-path "$CP" \
    --select-package org.xla4j.runtime.pjrt --select-package org.xla4j.backends \
    --fail-if-no-tests --details=tree --disable-banner --disable-ansi-colors 2>&1 | quiet | grep -v "backend 'cpu' did not open here"
  return "${PIPESTATUS[0]}"
}

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(pjrt_suites upload_checkpoint)
codes=""
for s in "${steps[@]}"; do
  "$s"
  codes="$codes $s=$?"
done
echo "== exit codes:$codes"
