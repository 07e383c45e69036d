"""JAX's side of scripts/attention-gpu.sh: jax.nn.dot_product_attention (implementation 'xla' and
'cudnn') on bf16 causal GQA inputs in BTNH layout, timed like `xla4j attention compare` on PJRT (median
over runs of the mean of ITERS queued calls, one block_until_ready per run).

Usage: python3 scripts/attention-jax.py B S HQ HKV D [RUNS ITERS]
Prints one line per implementation: ms/call, TFLOP/s (causal: half the score matrix, two matmuls),
max |err| against the xla implementation computed in f32, and the compiled program's temp bytes.
"""
import sys, time
import numpy as np
import jax, jax.numpy as jnp

b, s, hq, hkv, d = (int(x) for x in sys.argv[1:6])
runs = int(sys.argv[6]) if len(sys.argv) > 6 else 5
iters = int(sys.argv[7]) if len(sys.argv) > 7 else 5
key = jax.random.PRNGKey(0)
kq, kk, kv = jax.random.split(key, 3)
q = jax.random.uniform(kq, (b, s, hq, d), jnp.float32, -1, 1).astype(jnp.bfloat16)
k = jax.random.uniform(kk, (b, s, hkv, d), jnp.float32, -1, 1).astype(jnp.bfloat16)
v = jax.random.uniform(kv, (b, s, hkv, d), jnp.float32, -1, 1).astype(jnp.bfloat16)
flops = 4.0 * b * hq * s * s * d / 2

ref = None
if b * s * s <= 4 * 2048 * 2048:  # f32 logits of larger shapes do not fit next to the rest
    f = jax.jit(lambda q, k, v: jax.nn.dot_product_attention(q, k, v, is_causal=True, implementation="xla"))
    ref = np.asarray(f(q.astype(jnp.float32), k.astype(jnp.float32), v.astype(jnp.float32)))

print(f"jax {jax.__version__} on {jax.devices()[0].device_kind}: B={b} S={s} H={hq} Hkv={hkv} D={d} bf16 causal")
print(f"{'mechanism':<12} {'max|err| vs f32 xla':>20} {'ms/call (median)':>16} {'TFLOP/s':>8} {'temp bytes':>16}")
for impl in ("xla", "cudnn"):
    fn = jax.jit(lambda q, k, v, impl=impl: jax.nn.dot_product_attention(q, k, v, is_causal=True, implementation=impl))
    try:
        compiled = fn.lower(q, k, v).compile()
    except Exception as e:  # noqa: BLE001 - report and go on
        print(f"JAX {impl:<8} failed: {type(e).__name__}: {str(e)[:200]}")
        continue
    try:
        temp = compiled.memory_analysis().temp_size_in_bytes
    except Exception:  # noqa: BLE001
        temp = -1
    out = compiled(q, k, v)
    out.block_until_ready()
    err = float(np.max(np.abs(np.asarray(out, np.float32) - ref))) if ref is not None else float("nan")
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(iters):
            out = compiled(q, k, v)
        out.block_until_ready()
        ts.append((time.perf_counter() - t0) / iters * 1e3)
    ms = float(np.median(ts))
    print(f"JAX {impl:<8} {err:>20.3e} {ms:>16.3f} {flops / ms / 1e9:>8.1f} {temp:>16,}")
