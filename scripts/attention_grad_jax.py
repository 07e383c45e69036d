"""JAX's side of issue 13's attention forward+backward comparison, on the GPU machine.

For each sequence length: value_and_grad of sum(out * ct) with respect to q, k, v for
jax.nn.dot_product_attention(implementation='xla') and (implementation='cudnn'), bf16, causal, BTNH layout;
median milliseconds per call (after two warm-up calls, device sync each call) and XLA's temp bytes of the
compiled program. One JSON line per measurement.

Usage: python3 scripts/attention_grad_jax.py [--seq 8192,16384] [--batch 1] [--heads 8] [--head-dim 128] [--reps 10]
"""
import argparse, json, time
import numpy as np
import jax, jax.numpy as jnp

ap = argparse.ArgumentParser()
ap.add_argument("--seq", default="8192,16384")
ap.add_argument("--batch", type=int, default=1)
ap.add_argument("--heads", type=int, default=8)
ap.add_argument("--head-dim", type=int, default=128)
ap.add_argument("--reps", type=int, default=10)
a = ap.parse_args()

def median_ms(fn, reps):
    jax.block_until_ready(fn()); jax.block_until_ready(fn())
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); jax.block_until_ready(fn()); ts.append(time.perf_counter() - t0)
    return float(np.median(ts)) * 1e3

for s in [int(x) for x in a.seq.split(",")]:
    rng = np.random.default_rng(0)
    shape = (a.batch, s, a.heads, a.head_dim)
    q, k, v = (jnp.asarray(rng.standard_normal(shape, dtype=np.float32), dtype=jnp.bfloat16) for _ in range(3))
    ct = jnp.asarray(rng.standard_normal(shape, dtype=np.float32))
    for impl in ("xla", "cudnn"):
        def loss(q, k, v, impl=impl):
            out = jax.nn.dot_product_attention(q, k, v, is_causal=True, implementation=impl)
            return jnp.sum(out.astype(jnp.float32) * ct)
        f = jax.jit(jax.value_and_grad(loss, argnums=(0, 1, 2)))
        row = {"who": "jax", "what": "attention_fwd_bwd", "impl": impl, "B": a.batch, "S": s, "H": a.heads,
               "D": a.head_dim, "dtype": "bf16", "causal": True}
        try:
            compiled = f.lower(q, k, v).compile()
            mem = compiled.memory_analysis()
            row["temp_bytes"] = int(getattr(mem, "temp_size_in_bytes", -1))
            row["ms"] = median_ms(lambda: f(q, k, v), a.reps)
            # causal fwd 2 matmuls + bwd 5, over half the score matrix
            row["tflops"] = 7 * 2.0 * a.batch * a.heads * s * s * a.head_dim / 2 / (row["ms"] * 1e-3) / 1e12
        except Exception as e:  # e.g. cuDNN refusing a shape: report, go on
            row["error"] = str(e).splitlines()[0][:300]
        print("JSON " + json.dumps(row), flush=True)
