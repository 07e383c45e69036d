"""JAX side of the PJRT micro-benchmarks (same programs and sizes as PjrtSmokeMain).

Usage: python3 bench/pjrt/jax_dispatch.py [calls] [export.mlir]
With export.mlir, first writes the StableHLO text of a small MLP (the compile benchmark's module) there,
times JAX compiling it, and Java then compiles the very same file. Lines starting with BENCH are read by
scripts/device-test.sh.
"""
import statistics
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

calls = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
export = sys.argv[2] if len(sys.argv) > 2 else None
dev = jax.devices()[0]
print(f"jax {jax.__version__} device {dev} ({dev.device_kind})")


def bench(name, value, unit):
    print(f"BENCH {name} {value:.4f} {unit}")


def mlp(x, w1, w2, g):
    h = jax.nn.gelu(x @ w1)
    y = h @ w2
    y = y * jax.lax.rsqrt(jnp.mean(y * y, axis=-1, keepdims=True) + 1e-6) * g
    return jax.nn.softmax(y, axis=-1)


if export:
    specs = (jax.ShapeDtypeStruct((256, 1024), jnp.float32), jax.ShapeDtypeStruct((1024, 4096), jnp.float32),
             jax.ShapeDtypeStruct((4096, 1024), jnp.float32), jax.ShapeDtypeStruct((1024,), jnp.float32))
    lowered = jax.jit(mlp).lower(*specs)
    text = lowered.as_text()
    with open(export, "w") as f:
        f.write(text)
    # first compile in this process (like the Java side's first), then warm compiles of the same text
    t = time.perf_counter()
    lowered.compile()
    cold = (time.perf_counter() - t) * 1e3
    warm = []
    how = "jax.jit(f).lower(...).compile() on fresh functions"
    for i in range(5):
        # a new function object each time so that JAX's in-memory caches cannot answer
        def f(x, w1, w2, g, _i=i):
            return mlp(x, w1, w2, g)
        lw = jax.jit(f).lower(*specs)
        t = time.perf_counter()
        lw.compile()
        warm.append((time.perf_counter() - t) * 1e3)
    print(f"compile {export} ({len(text)} chars): first {cold:.1f} ms, then median of 5 {statistics.median(warm):.1f} ms "
          f"{[round(w, 1) for w in warm]} ({how})")
    bench("compile_first_ms", cold, "ms")
    bench("compile_warm_ms", statistics.median(warm), "ms")

f = jax.jit(lambda a, b: a + b)
x = jax.device_put(jnp.float32(1), dev)
y = jax.device_put(jnp.float32(2), dev)
for _ in range(2000):
    f(x, y)
f(x, y).block_until_ready()

t = time.perf_counter()
for _ in range(calls):
    r = f(x, y)
v = float(np.asarray(r))
e = time.perf_counter()
us = (e - t) / calls * 1e6
print(f"dispatch (async, {calls} calls, then one read): {us:.2f} us/call (result {v})")
bench("dispatch_us", us, "us")

sync = max(1, calls // 4)
t = time.perf_counter()
for _ in range(sync):
    np.asarray(f(x, y))
e = time.perf_counter()
us = (e - t) / sync * 1e6
print(f"execute + read back (sync, {sync} calls): {us:.2f} us/call")
bench("sync_roundtrip_us", us, "us")

hx = np.float32(1)
hy = np.float32(2)
t = time.perf_counter()
for _ in range(sync):
    np.asarray(f(hx, hy))
e = time.perf_counter()
us = (e - t) / sync * 1e6
print(f"execute(host arrays) incl. 2 uploads + 1 read ({sync} calls): {us:.2f} us/call")
bench("host_execute_us", us, "us")

# 256 MiB of ones: pages touched (np.zeros would map the shared zero page and flatter the copy)
n = 256 << 20
big = np.ones(n // 4, np.float32)
best_up = best_down = 1e9
for _ in range(5):
    t = time.perf_counter()
    d = jax.device_put(big, dev)
    d.block_until_ready()
    m = time.perf_counter()
    np.asarray(d)
    e = time.perf_counter()
    del d
    best_up = min(best_up, m - t)
    best_down = min(best_down, e - m)
print(f"256 MiB host->device: {n / best_up / 1e9:.2f} GB/s, device->host: {n / best_down / 1e9:.2f} GB/s (best of 5)")
bench("h2d_GBps", n / best_up / 1e9, "GB/s")
bench("d2h_fresh_GBps", n / best_down / 1e9, "GB/s")
