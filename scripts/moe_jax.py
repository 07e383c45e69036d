"""JAX's MoE layer on the GPU machine, the side xla4j's `bench moe` is measured against (issue 10).

Grok-1's MoE layer, bf16, E experts top-K (Grok's router: f32 softmax over x·router, top-k, gates not
renormalized; expert (gelu_tanh(x·W) * (x·V))·W1; gated sum in f32), two ways:
  dense   every expert on every token (einsum over [E, T, D]), then the gated sum;
  ragged  the T·K token copies sorted by expert, three `lax.ragged_dot`s, unsorted, gated sum;
  ragged+cudnn  the same, compiled with xla_gpu_experimental_use_ragged_dot_fusion=true (if this XLA takes it).
Plus the two ceilings (METHOD.md): a bf16 8192^3 matmul (TFLOP/s) and a 4 GiB device-to-device copy
(GB/s counting bytes read plus bytes written).

Counting (the floor):
  useful FLOPs  = 2 * T * K * 3 * D * F          (three D x F matmuls per token copy; dense does E/K times more)
  fewest bytes  = min(E, T*K) * 3 * D * F * 2    (the touched experts' bf16 weights, read once)
                  + 2 * T * D * 2                (x read, y written) + D * E * 4 (router)
  floor         = max(useful FLOPs / matmul peak, fewest bytes / copy bandwidth), both measured here.

Timing: inputs on the device; warm-up (compile + 2 calls), then RUNS runs of ITERS calls queued and one
block_until_ready, the run's time / ITERS; the median over runs (ITERS sized so a run is >= ~50 ms).
Prints one JSON line per measurement (prefix 'JSON '), then a table.

Usage: python3 scripts/moe_jax.py [--quick]      (--quick: small shapes, for a CPU smoke test)
       TOKENS=1,8192,4096 python3 scripts/moe_jax.py   (only the shapes with these T)
       SHAPES="2048,1536,8192;1,6144,32768" VARIANTS=dense,ragged python3 scripts/moe_jax.py   (these shapes, variants)
"""
import json
import math
import os
import sys
import time

import numpy as np
import jax
import jax.numpy as jnp
from jax import lax

E, K = 8, 2
PREFILL = [(8192, 2048, 5632), (4096, 6144, 32768)]
DECODE = [(1, 6144, 32768), (32, 6144, 32768)]
QUICK = "--quick" in sys.argv
if QUICK:
    PREFILL, DECODE = [(256, 64, 96)], [(1, 64, 96), (32, 64, 96)]
if os.environ.get("SHAPES"):                            # "T,D,F;T,D,F": exactly these shapes (TOKENS still filters)
    PREFILL = [tuple(int(v) for v in sh.split(",")) for sh in os.environ["SHAPES"].split(";") if sh.strip()]
    DECODE = []
if os.environ.get("TOKENS"):
    _keep = {int(t) for t in os.environ["TOKENS"].split(",")}
    PREFILL = [s for s in PREFILL if s[0] in _keep]
    DECODE = [s for s in DECODE if s[0] in _keep]
RUNS = int(os.environ.get("RUNS", "7"))
# VARIANTS=dense,ragged: only these of dense, ragged, ragged+cudnn-fusion (default: all three)
VARIANTS = [v for v in os.environ.get("VARIANTS", "").split(",") if v]
rows = []


def emit(rec):
    rows.append(rec)
    print("JSON " + json.dumps(rec), flush=True)


def timed(fn, *args):
    """Median ms per call: warm-up, then RUNS runs of ITERS queued calls with one sync each."""
    jax.block_until_ready(fn(*args))
    t0 = time.perf_counter()
    out = fn(*args)
    jax.block_until_ready(out)
    est = time.perf_counter() - t0
    iters = max(1, min(200, int(0.05 / max(est, 1e-6))))
    ts = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        outs = [fn(*args) for _ in range(iters)]
        jax.block_until_ready(outs[-1])
        ts.append((time.perf_counter() - t0) / iters)
        del outs
    return float(np.median(ts)) * 1e3, float(np.min(ts)) * 1e3, iters, out


# ------------------------------------------------------------------ ceilings
def ceilings():
    n = 1024 if QUICK else 8192
    ka, kb = jax.random.split(jax.random.key(1))
    a = jax.random.normal(ka, (n, n), jnp.bfloat16)
    b = jax.random.normal(kb, (n, n), jnp.bfloat16)
    mm = jax.jit(lambda a, b: a @ b)
    ms, best, iters, _ = timed(mm, a, b)
    peak = 2.0 * n ** 3 / (ms * 1e-3) / 1e12
    emit(dict(who="jax", what="matmul", n=n, dtype="bf16", ms=ms, best_ms=best, iters=iters, tflops=peak))
    del a, b
    elems = (1 << 22) if QUICK else (1 << 30)          # 4 GiB of f32 on the GPU
    x = jax.random.normal(jax.random.key(2), (elems,), jnp.float32)
    cp = jax.jit(lambda x: -x)                          # one read, one write; XLA cannot elide it
    ms, best, iters, _ = timed(cp, x)
    gbs = 2.0 * elems * 4 / (ms * 1e-3) / 1e9
    emit(dict(who="jax", what="copy", bytes=elems * 4, ms=ms, best_ms=best, iters=iters, gbs_read_plus_write=gbs))
    del x
    return peak, gbs


# ------------------------------------------------------------------ the layer
def route(x, router):
    probs = jax.nn.softmax(x.astype(jnp.float32) @ router, axis=-1)
    gates, experts = lax.top_k(probs, K)                # [T, K] f32, i32, best first
    return gates, experts


def ffn_dense(x, w, v, w1):
    xe = jnp.broadcast_to(x, (E,) + x.shape)            # [E, T, D]
    a = jnp.einsum("etd,edf->etf", xe, w)
    b = jnp.einsum("etd,edf->etf", xe, v)
    return jnp.einsum("etf,efd->etd", jax.nn.gelu(a, approximate=True) * b, w1)


def moe_dense(x, router, w, v, w1):
    gates, experts = route(x, router)
    y = ffn_dense(x, w, v, w1)                          # [E, T, D] bf16
    g = jnp.sum(jax.nn.one_hot(experts, E, dtype=jnp.float32)
                * gates.astype(jnp.bfloat16).astype(jnp.float32)[..., None], axis=1)   # [T, E]
    return jnp.einsum("te,etd->td", g, y.astype(jnp.float32)).astype(x.dtype)


def moe_ragged(x, router, w, v, w1):
    t = x.shape[0]
    gates, experts = route(x, router)
    ids = experts.reshape(-1)                           # copy j: token j // K, slot j % K
    perm = jnp.argsort(ids, stable=True)
    rows_ = jnp.take(x, perm // K, axis=0)              # [T*K, D] sorted by expert
    sizes = jnp.bincount(ids, length=E).astype(jnp.int32)
    a = lax.ragged_dot(rows_, w, sizes)
    b = lax.ragged_dot(rows_, v, sizes)
    y = lax.ragged_dot(jax.nn.gelu(a, approximate=True) * b, w1, sizes)
    back = jnp.take(y, jnp.argsort(perm), axis=0).reshape(t, K, -1)
    g = gates.astype(jnp.bfloat16).astype(jnp.float32)
    return jnp.sum(back.astype(jnp.float32) * g[..., None], axis=1).astype(x.dtype)


def inputs(t, d, f, seed):
    ks = jax.random.split(jax.random.key(seed), 5)
    x = jax.random.normal(ks[0], (t, d), jnp.bfloat16)
    router = jax.random.normal(ks[1], (d, E), jnp.float32) / math.sqrt(d)   # balanced, realistic routing
    w = (jax.random.normal(ks[2], (E, d, f), jnp.bfloat16) / math.sqrt(d)).astype(jnp.bfloat16)
    v = (jax.random.normal(ks[3], (E, d, f), jnp.bfloat16) / math.sqrt(d)).astype(jnp.bfloat16)
    w1 = (jax.random.normal(ks[4], (E, f, d), jnp.bfloat16) / math.sqrt(f)).astype(jnp.bfloat16)
    return x, router, w, v, w1


def counts(t, d, f):
    flops = 2.0 * t * K * 3 * d * f
    touched = min(E, t * K)
    nbytes = touched * 3 * d * f * 2 + 2 * t * d * 2 + d * E * 4
    return flops, nbytes


def compile_with(fn, args, options):
    """fn jitted and compiled with XLA debug-option overrides (None: plain jit)."""
    if options is None:
        return jax.jit(fn)
    return jax.jit(fn).lower(*args).compile(compiler_options=options)


def layer(t, d, f, peak, gbs):
    args = inputs(t, d, f, seed=t + d + f)
    flops, nbytes = counts(t, d, f)
    floor = max(flops / (peak * 1e12), nbytes / (gbs * 1e9)) * 1e3
    ref = None
    variants = [("dense", moe_dense, None), ("ragged", moe_ragged, None),
                ("ragged+cudnn-fusion", moe_ragged, {"xla_gpu_experimental_use_ragged_dot_fusion": True})]
    for name, fn, opts in variants:
        if QUICK and opts is not None:
            continue                                     # a GPU-only flag
        if VARIANTS and name not in VARIANTS:
            continue
        rec = dict(who="jax", what="moe", impl=name, T=t, D=d, F=f, E=E, K=K, dtype="bf16",
                   useful_flops=flops, min_bytes=nbytes, floor_ms=floor)
        try:
            t0 = time.perf_counter()
            exe = compile_with(fn, args, opts)
            jax.block_until_ready(exe(*args))
            rec["compile_and_first_s"] = time.perf_counter() - t0
            ms, best, iters, out = timed(exe, *args)
            o = np.asarray(out.astype(jnp.float32))
            if not np.all(np.isfinite(o)):
                raise RuntimeError("non-finite output")
            if ref is None:
                ref = o
            rec.update(ms=ms, best_ms=best, iters=iters, useful_tflops=flops / (ms * 1e-3) / 1e12,
                       fraction_of_floor=floor / ms, rel_l2_vs_dense=float(np.linalg.norm(o - ref) / np.linalg.norm(ref)))
        except Exception as e:                           # report and go on: one variant must not cost the round
            rec["error"] = (type(e).__name__ + ": " + str(e))[:400]
        emit(rec)
    del args


def main():
    print(f"jax {jax.__version__} on {jax.devices()[0].device_kind} ({jax.default_backend()})", flush=True)
    peak, gbs = ceilings()
    print(f"ceilings: bf16 matmul {peak:.0f} TFLOP/s, copy {gbs:.0f} GB/s (read + write)", flush=True)
    for t, d, f in PREFILL + DECODE:
        layer(t, d, f, peak, gbs)
    print()
    print("| T | D | F | impl | ms | useful TFLOP/s | floor ms | of floor | rel L2 vs dense |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if r.get("what") != "moe":
            continue
        if "ms" not in r:
            print(f"| {r['T']} | {r['D']} | {r['F']} | {r['impl']} | failed: {r.get('error', '')[:80]} | | | | |")
            continue
        print(f"| {r['T']} | {r['D']} | {r['F']} | {r['impl']} | {r['ms']:.3f} | {r['useful_tflops']:.1f} | "
              f"{r['floor_ms']:.3f} | {r['fraction_of_floor']:.2f} | {r['rel_l2_vs_dense']:.2e} |")


if __name__ == "__main__":
    main()
