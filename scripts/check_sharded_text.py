"""Compiles xla4j's sharded goldens (GSPMD and Shardy text) with the XLA inside JAX, on 8 host
devices, to check that the sharding text we print is what XLA reads. Run where JAX is installed:
  python3 scripts/check_sharded_text.py
It prints, per file, whether it compiled and the per-device (partitioned) parameter shapes from the
optimized HLO.
"""
import os, re, pathlib, sys
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np
import jax
from jax._src.lib import xla_client as xc

devs = jax.devices("cpu")
client = devs[0].client
root = pathlib.Path(__file__).resolve().parent.parent / "graph-builder/src/test/resources/golden"
ok = True
for name in ("sharded_gspmd.mlir", "sharded_shardy.mlir"):
    text = (root / name).read_text()
    n = int(re.search(r"mhlo.num_partitions = (\d+)", text).group(1))
    opts = xc.CompileOptions()
    opts.num_partitions = n
    opts.num_replicas = 1
    ebo = opts.executable_build_options
    ebo.num_partitions = n
    ebo.use_spmd_partitioning = True
    if "sdy." in text and hasattr(ebo, "use_shardy_partitioner"):
        ebo.use_shardy_partitioner = True
    opts.device_assignment = xc.DeviceAssignment.create(np.arange(n).reshape(1, n))
    try:
        exe = client.compile_and_load(text, devs[:n], opts)
        hlo = exe.hlo_modules()[0].to_string()
        params = re.findall(r"parameter\(\d+\).*", hlo)
        entry = [l.strip() for l in hlo.splitlines() if "ENTRY" in l]
        print(f"{name}: compiled for {n} partitions; ENTRY: {entry[:1]}")
    except Exception as e:
        ok = False
        print(f"{name}: FAILED: {str(e)[:1500]}")
sys.exit(0 if ok else 1)
