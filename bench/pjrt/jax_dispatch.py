"""JAX side of the PJRT dispatch/transfer micro-benchmarks (same programs as PjrtSmokeMain).

Usage: python3 bench/pjrt/jax_dispatch.py [calls]
"""
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

calls = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
dev = jax.devices()[0]
print(f"jax {jax.__version__} device {dev} ({dev.device_kind})")

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
print(f"dispatch (async, {calls} calls, then one read): {(e - t) / calls * 1e6:.2f} us/call (result {v})")

sync = max(1, calls // 4)
t = time.perf_counter()
for _ in range(sync):
    np.asarray(f(x, y))
e = time.perf_counter()
print(f"execute + read back (sync, {sync} calls): {(e - t) / sync * 1e6:.2f} us/call")

hx = np.float32(1)
hy = np.float32(2)
t = time.perf_counter()
for _ in range(sync):
    np.asarray(f(hx, hy))
e = time.perf_counter()
print(f"execute(host arrays) incl. 2 uploads + 1 read ({sync} calls): {(e - t) / sync * 1e6:.2f} us/call")

n = 256 << 20
big = np.zeros(n // 4, np.float32)
best_up = best_down = 1e9
for _ in range(3):
    t = time.perf_counter()
    d = jax.device_put(big, dev)
    d.block_until_ready()
    m = time.perf_counter()
    np.asarray(d)
    e = time.perf_counter()
    del d
    best_up = min(best_up, m - t)
    best_down = min(best_down, e - m)
print(f"256 MiB host->device: {n / best_up / 1e9:.2f} GB/s, device->host: {n / best_down / 1e9:.2f} GB/s (best of 3)")
