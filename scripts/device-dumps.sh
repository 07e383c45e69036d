#!/usr/bin/env bash
# Issue 12 on the GPU plugin: a dump bundle with XLA's per-pass files (exec --dump --xla-dump-passes), the graph
# diff of two bundles, and attention compare --explain (compiled side from the plugin's optimized HLO).
# Prepare here:  ./build install -DskipTests && scripts/device-stage.sh && scripts/device-jre.sh
# Run there:     run(command="scripts/device-dumps.sh", carry=[".jre", ".devcarry"])
set -uo pipefail
. "$(dirname "$0")/device-env.sh" device-dumps
xla4j() { java "${JOPTS[@]}" -cp "$CP" org.xla4j.cli.Main "$@" 2>&1 | quiet; return "${PIPESTATUS[0]}"; }
python3 - <<'PY'
import json, struct, numpy as np
def write(path, t):
    hdr, off, blobs = {}, 0, []
    for k, a in t.items():
        b = a.tobytes(); hdr[k] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        off += len(b); blobs.append(b)
    h = json.dumps(hdr).encode(); h += b" " * ((8 - len(h) % 8) % 8)
    open(path, "wb").write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
write("/tmp/sm.safetensors", {"x": np.random.rand(4, 8).astype(np.float32), "w": np.random.rand(8, 16).astype(np.float32)})
PY
xla4j emit softmax --locations > /tmp/sm.mlir
echo "== exec --backend pjrt --dump --xla-dump-passes fusion"
xla4j exec /tmp/sm.mlir --backend pjrt --input x=/tmp/sm.safetensors#x --input w=/tmp/sm.safetensors#w \
  --dump "$out/bundle" --xla-dump-passes 'fusion' >/dev/null
ls "$out/bundle"; echo "xla files: $(ls "$out/bundle/xla" | wc -l)"; ls "$out/bundle/xla" | grep -i fusion | head -5
head -3 "$out/bundle/04-optimized-hlo.txt"; grep -c "fusion(" "$out/bundle/04-optimized-hlo.txt"
echo "== graph diff BUNDLE MODULE"
xla4j graph diff "$out/bundle" /tmp/sm.mlir | tail -12
echo "== attention compare --explain (pjrt)"
xla4j attention compare --backend pjrt --dtype bf16 --causal --seq 1024 --mechanisms vanilla,blockwise,cudnn \
  --runs 3 --iters 2 --explain | tail -45
