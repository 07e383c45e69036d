"""Side-by-side attention benchmark on the GPU machine: JAX's own paths and xla4j's emitted StableHLO,
compiled by the same XLA (the jax 0.11.2 CUDA plugin) in the same process, timed the same way.

Usage (on the device machine):  python3 scripts/attention_gpu_bench.py MLIR_DIR OUT_DIR
MLIR_DIR holds xla4j-emitted modules named MECH__B{b}_S{s}_H{hq}_K{hkv}_D{d}.mlir, each with
@main(q, k, v) in BTNH layout, bf16, causal. For every shape found there, JAX's
jax.nn.dot_product_attention (implementation='xla' and 'cudnn') runs on the same random inputs.
Prints a table (ms, TFLOP/s, ratio vs JAX, max |err| vs JAX xla in f32, temp memory) and writes it
to OUT_DIR/attention-table.md.
"""
import sys, re, time, pathlib, json
import numpy as np
import jax, jax.numpy as jnp
from jax._src.lib import xla_client as xc

mlir_dir, out_dir = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
out_dir.mkdir(parents=True, exist_ok=True)
dev = jax.devices()[0]
client = dev.client
PAT = re.compile(r"(?P<mech>[A-Z0-9_]+?)__B(?P<b>\d+)_S(?P<s>\d+)_H(?P<h>\d+)_K(?P<k>\d+)_D(?P<d>\d+)\.mlir")

REPS = int(__import__("os").environ.get("REPS", "20"))

def bench(fn, reps=None):
    reps = reps or REPS
    out = fn(); jax.block_until_ready(out)
    out = fn(); jax.block_until_ready(out)
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); out = fn(); jax.block_until_ready(out); ts.append(time.perf_counter() - t0)
    return float(np.median(ts)) * 1e3, out

def flops(b, s, h, d):  # causal: half of the S x S score matrix, two matmuls
    return 4.0 * b * h * s * s * d / 2

shapes = {}
for p in sorted(mlir_dir.glob("*.mlir")):
    m = PAT.fullmatch(p.name)
    if m:
        key = tuple(int(m[x]) for x in "bshkd")
        shapes.setdefault(key, []).append((m["mech"], p))

rows = []
for (b, s, h, k, d), mods in sorted(shapes.items()):
    rng = np.random.default_rng(0)
    q = jnp.asarray(rng.standard_normal((b, s, h, d), dtype=np.float32), dtype=jnp.bfloat16)
    kk = jnp.asarray(rng.standard_normal((b, s, k, d), dtype=np.float32), dtype=jnp.bfloat16)
    v = jnp.asarray(rng.standard_normal((b, s, k, d), dtype=np.float32), dtype=jnp.bfloat16)
    ref = None
    base = {}
    for impl in ("xla", "cudnn"):
        f = jax.jit(lambda q, k, v, impl=impl: jax.nn.dot_product_attention(q, k, v, is_causal=True, implementation=impl))
        try:
            ms, out = bench(lambda: f(q, kk, v))
            mem = f.lower(q, kk, v).compile().memory_analysis()
            tmp = getattr(mem, "temp_size_in_bytes", None)
            base[impl] = ms
            if impl == "xla":
                ref = np.asarray(out, dtype=np.float32)
                (out_dir / f"jax_cudnn_lowered_B{b}_S{s}.mlir").write_text("")
            else:
                (out_dir / f"jax_cudnn_lowered_B{b}_S{s}.mlir").write_text(f.lower(q, kk, v).as_text()[:200000])
            rows.append(dict(shape=f"B{b} S{s} Hq{h} Hkv{k} D{d}", who=f"JAX {impl}", ms=ms,
                             tflops=flops(b, s, h, d) / ms / 1e9, err=0.0 if impl == "xla" else float(np.max(np.abs(np.asarray(out, np.float32) - ref))),
                             temp=tmp))
        except Exception as e:
            rows.append(dict(shape=f"B{b} S{s}", who=f"JAX {impl}", ms=None, tflops=None, err=None, temp=None, note=str(e)[:300]))
    for mech, path in mods:
        text = path.read_text()
        try:
            opts = xc.CompileOptions()
            t0 = time.perf_counter()
            exe = client.compile_and_load(text, [dev], opts)
            ctime = time.perf_counter() - t0
            args = [q, kk, v]
            def call():
                return exe.execute(args)
            ms, out = bench(call)
            o = np.asarray(out[0], dtype=np.float32)
            err = float(np.max(np.abs(o - ref))) if ref is not None else None
            tmp = None
            try:
                tmp = exe.get_compiled_memory_stats().temp_size_in_bytes
            except Exception:
                pass
            rows.append(dict(shape=f"B{b} S{s} Hq{h} Hkv{k} D{d}", who=f"xla4j {mech}", ms=ms,
                             tflops=flops(b, s, h, d) / ms / 1e9, err=err, temp=tmp,
                             vs_xla=base.get("xla", float("nan")) / ms, vs_cudnn=base.get("cudnn", float("nan")) / ms,
                             compile_s=ctime))
        except Exception as e:
            rows.append(dict(shape=f"B{b} S{s}", who=f"xla4j {mech}", ms=None, tflops=None, err=None, temp=None, note=str(e)[:600]))

lines = ["| shape | who | ms | TFLOP/s | speed vs JAX xla | speed vs JAX cudnn | max abs err vs JAX xla | temp bytes | note |",
         "|---|---|---|---|---|---|---|---|---|"]
for r in rows:
    f = lambda x, fmt: ("" if x is None else fmt.format(x))
    lines.append(f"| {r['shape']} | {r['who']} | {f(r.get('ms'), '{:.3f}')} | {f(r.get('tflops'), '{:.1f}')} | "
                 f"{f(r.get('vs_xla'), '{:.2f}x')} | {f(r.get('vs_cudnn'), '{:.2f}x')} | {f(r.get('err'), '{:.3g}')} | "
                 f"{f(r.get('temp'), '{:,}')} | {r.get('note', '')} |")
table = "\n".join(lines)
print(table)
(out_dir / "attention-table.md").write_text(table + "\n")
(out_dir / "attention-rows.json").write_text(json.dumps(rows, indent=1))
