"""JAX's side of scripts/device-generate.sh (issue 11): a Grok-1-shaped model with random weights, written
once as a Hugging Face Grok-1 directory (config.json + model.safetensors, the dtypes xla4j's Grok1Config
expects: f32 embeddings, norms and router, bf16 matrices) so that xla4j generates from the very same weights,
and a JAX decode loop over them: a jitted one-token step with the KV cache donated and the token chosen on
the device (greedy), per-row positions as Grok-1's `step`.

Usage:
  python3 scripts/generate_jax.py write DIR [--preset 1b|tiny] [--seed 0]      # numpy only; no JAX needed
  python3 scripts/generate_jax.py bench DIR [--batches 1,32] [--steps 128] [--prompt 16] [--ttft 2048]
bench prints, per batch size, decode tokens/s (steps x batch / seconds over `steps` queued step calls, one
block_until_ready at the end), the time to first token of a --ttft-token prompt (one jitted prefill, median
of 3), and the device memory bandwidth of a large device-to-device copy (bytes read + written per second),
with bytes read per decode step (every weight once + the cache) over that bandwidth as the bound.
"""
import argparse, json, os, struct, sys, time
import numpy as np

PRESETS = {
    # ~1.75B parameters: D 2048, 12 layers, 16 query / 4 kv heads of 128, 8 experts top-2, FFN 2736
    "1b": dict(vocab_size=32768, hidden_size=2048, num_hidden_layers=12, num_attention_heads=16,
               num_key_value_heads=4, head_dim=128, widening=2.0, num_experts=8, num_experts_per_tok=2,
               max_position_embeddings=4096),
    "tiny": dict(vocab_size=512, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, head_dim=16, widening=2.0, num_experts=4, num_experts_per_tok=2,
                 max_position_embeddings=256),
}


def ffn_size(d, widening):
    f = int(widening * d) * 2 // 3
    return f + (-f) % 8


def bf16_bits(x):
    """float32 -> bfloat16 bits (round to nearest even), as uint16."""
    u = np.ascontiguousarray(x, np.float32).view(np.uint32)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def write(dir_, preset, seed):
    p = dict(PRESETS[preset])
    d, l, hq, hkv, dh, e = (p["hidden_size"], p["num_hidden_layers"], p["num_attention_heads"],
                            p["num_key_value_heads"], p["head_dim"], p["num_experts"])
    f = ffn_size(d, p.pop("widening"))
    rng = np.random.default_rng(seed)
    tensors = {}  # name -> (dtype, shape, bytes)

    def mat(name, out, inp):  # torch [out, in], bf16, N(0, 1/in)
        w = rng.standard_normal((out, inp), dtype=np.float32) / np.sqrt(inp)
        tensors[name] = ("BF16", [out, inp], bf16_bits(w).tobytes())

    def f32(name, arr):
        tensors[name] = ("F32", list(arr.shape), np.ascontiguousarray(arr, np.float32).tobytes())

    f32("transformer.in_out_embed.weight", rng.standard_normal((p["vocab_size"], d), dtype=np.float32))
    f32("transformer.rms_norm.weight", 1 + 0.1 * rng.standard_normal(d, dtype=np.float32))
    for i in range(l):
        pre = f"transformer.decoder_layer.{i}."
        mat(pre + "multi_head_attention.query.weight", hq * dh, d)
        mat(pre + "multi_head_attention.key.weight", hkv * dh, d)
        mat(pre + "multi_head_attention.value.weight", hkv * dh, d)
        mat(pre + "multi_head_attention.linear.weight", d, hq * dh)
        f32(pre + "router.weight", 0.5 * rng.standard_normal((e, d), dtype=np.float32))
        for x in range(e):
            mat(pre + f"moe.{x}.linear.weight", f, d)
            mat(pre + f"moe.{x}.linear_v.weight", f, d)
            mat(pre + f"moe.{x}.linear_1.weight", d, f)
        for n in ("rms_norm", "rms_norm_1", "rms_norm_2", "rms_norm_3"):
            f32(pre + n + ".weight", 1 + 0.1 * rng.standard_normal(d, dtype=np.float32))
    os.makedirs(dir_, exist_ok=True)
    header, off = {}, 0
    for name, (dt, shape, b) in tensors.items():
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + len(b)]}
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(os.path.join(dir_, "model.safetensors"), "wb") as out:
        out.write(struct.pack("<Q", len(h)))
        out.write(h)
        for _, (_, _, b) in tensors.items():
            out.write(b)
    cfg = dict(p, architectures=["Grok1ModelForCausalLM"], model_type="grok-1", intermediate_size=f,
               rope_theta=10000.0, max_attn_value=30.0, rms_norm_eps=1e-5, torch_dtype="bfloat16",
               embedding_multiplier_scale=float(np.sqrt(d)), output_multiplier_scale=float(1 / np.sqrt(3)),
               attn_output_multiplier=float(1 / np.sqrt(dh)))
    with open(os.path.join(dir_, "config.json"), "w") as out:
        json.dump(cfg, out, indent=2)
    n = sum(int(np.prod(s)) for _, s, _ in tensors.values())
    print(f"wrote {dir_}: {n / 1e9:.2f}B parameters, {off / 2**30:.2f} GiB ({preset}, seed {seed})")


def bench(dir_, batches, steps, prompt, ttft_len):
    import jax, jax.numpy as jnp
    from functools import partial
    cfg = json.load(open(os.path.join(dir_, "config.json")))
    d, l, hq, hkv, dh, e, k_top = (cfg["hidden_size"], cfg["num_hidden_layers"], cfg["num_attention_heads"],
                                   cfg["num_key_value_heads"], cfg["head_dim"], cfg["num_experts"],
                                   cfg["num_experts_per_tok"])
    ctx = cfg["max_position_embeddings"]
    raw = open(os.path.join(dir_, "model.safetensors"), "rb").read()
    hl = struct.unpack("<Q", raw[:8])[0]
    hdr = json.loads(raw[8:8 + hl])

    def get(name):
        m = hdr[name]
        a, b = m["data_offsets"]
        buf = np.frombuffer(raw, np.uint8, b - a, 8 + hl + a)
        if m["dtype"] == "F32":
            return jnp.asarray(buf.view(np.float32).reshape(m["shape"]))
        return jax.lax.bitcast_convert_type(jnp.asarray(buf.view(np.uint16).reshape(m["shape"])), jnp.bfloat16)

    params = {"embed": get("transformer.in_out_embed.weight"), "norm": get("transformer.rms_norm.weight"), "layers": []}
    for i in range(l):
        pre = f"transformer.decoder_layer.{i}."
        lay = {n: get(pre + f"multi_head_attention.{n}.weight").T for n in ("query", "key", "value", "linear")}
        lay["router"] = get(pre + "router.weight").T
        for n in ("linear", "linear_v", "linear_1"):
            lay["moe_" + n] = jnp.stack([get(pre + f"moe.{x}.{n}.weight").T for x in range(e)])
        for n in ("rms_norm", "rms_norm_1", "rms_norm_2", "rms_norm_3"):
            lay[n] = get(pre + n + ".weight")
        params["layers"].append(lay)
    del raw
    wbytes = sum(x.nbytes for x in jax.tree_util.tree_leaves(params))

    def rms(x, s):
        xf = x.astype(jnp.float32)
        return (xf * jax.lax.rsqrt(jnp.mean(xf * xf, -1, keepdims=True) + cfg["rms_norm_eps"]) * s).astype(x.dtype)

    def rope(x, pos):  # x [B, T, H, D], pos [B, T]
        inv = jnp.exp(-jnp.arange(0, dh, 2, dtype=jnp.float32) * (np.log(cfg["rope_theta"]) / dh))
        ang = pos.astype(jnp.float32)[..., None] * inv
        cos = jnp.concatenate([jnp.cos(ang)] * 2, -1)[:, :, None, :]
        sin = jnp.concatenate([jnp.sin(ang)] * 2, -1)[:, :, None, :]
        xf = x.astype(jnp.float32)
        rot = jnp.concatenate([-xf[..., dh // 2:], xf[..., :dh // 2]], -1)
        return (xf * cos + rot * sin).astype(x.dtype)

    def forward(params, cache, tokens, step):
        """tokens [B, T] at positions step + arange(T); cache: list of (k, v) [B, S, Hkv, D]; valid [B, S]."""
        kvs, valid = cache
        b, t = tokens.shape
        pos = step[:, None] + jnp.arange(t)[None, :]
        h = params["embed"][tokens].astype(jnp.bfloat16) * jnp.bfloat16(cfg["embedding_multiplier_scale"])
        write = jax.vmap(lambda c, u, s: jax.lax.dynamic_update_slice(c, u, (s, 0, 0)))
        valid = jax.vmap(lambda c, u, s: jax.lax.dynamic_update_slice(c, u, (s,)))(valid, tokens != 0, step)
        slots = jnp.arange(valid.shape[1])
        visible = valid[:, None, None, :] & (slots[None, None, None, :] <= pos[:, None, :, None])
        new = []
        for lay, (kc, vc) in zip(params["layers"], kvs):
            x = rms(h, lay["rms_norm"])
            q = rope((x @ lay["query"]).reshape(b, t, hq, dh), pos)
            k = rope((x @ lay["key"]).reshape(b, t, hkv, dh), pos)
            v = (x @ lay["value"]).reshape(b, t, hkv, dh)
            kc, vc = write(kc, k, step), write(vc, v, step)
            new.append((kc, vc))
            qg = q.reshape(b, t, hkv, hq // hkv, dh)
            s = jnp.einsum("bthgd,bshd->bhgts", qg, kc).astype(jnp.float32) * cfg["attn_output_multiplier"]
            s = cfg["max_attn_value"] * jnp.tanh(s / cfg["max_attn_value"])
            s = jnp.where(visible[:, :, None], s, -1e30)
            w = jax.nn.softmax(s, -1).astype(jnp.bfloat16)
            a = jnp.einsum("bhgts,bshd->bthgd", w, vc).reshape(b, t, hq * dh)
            h = h + rms(a @ lay["linear"], lay["rms_norm_1"])
            y = rms(h, lay["rms_norm_2"])
            probs = jax.nn.softmax(y.astype(jnp.float32) @ lay["router"], -1)
            gates, experts = jax.lax.top_k(probs, k_top)
            g = jnp.sum(jax.nn.one_hot(experts, e, dtype=jnp.float32) * gates[..., None], -2)  # [B, T, E]
            hid = jax.nn.gelu(jnp.einsum("btd,edf->btef", y, lay["moe_linear"]), approximate=True) \
                * jnp.einsum("btd,edf->btef", y, lay["moe_linear_v"])
            out = jnp.einsum("btef,efd->bted", hid, lay["moe_linear_1"]).astype(jnp.float32)
            m = jnp.einsum("bte,bted->btd", g.astype(jnp.bfloat16).astype(jnp.float32), out).astype(jnp.bfloat16)
            h = h + rms(m, lay["rms_norm_3"])
        h = rms(h[:, -1:], params["norm"])
        logits = (h @ params["embed"].astype(jnp.bfloat16).T).astype(jnp.float32) * cfg["output_multiplier_scale"]
        return logits[:, 0], (new, valid)

    @partial(jax.jit, donate_argnums=(1,))
    def decode_step(params, cache, last, step):
        logits, cache = forward(params, cache, last[:, None], step)
        return cache, jnp.argmax(logits, -1).astype(jnp.int32), step + 1

    @partial(jax.jit, donate_argnums=(1,))
    def prefill(params, cache, tokens):
        b = tokens.shape[0]
        logits, cache = forward(params, cache, tokens, jnp.zeros((b,), jnp.int32))
        return cache, jnp.argmax(logits, -1).astype(jnp.int32)

    def empty(b, s):
        kv = [(jnp.zeros((b, s, hkv, dh), jnp.bfloat16), jnp.zeros((b, s, hkv, dh), jnp.bfloat16)) for _ in range(l)]
        return kv, jnp.zeros((b, s), bool)

    print(f"jax {jax.__version__} on {jax.devices()[0].device_kind}: {dir_}, weights {wbytes / 2**30:.2f} GiB")
    x = jnp.ones((1 << 30,), jnp.float32)  # 4 GiB
    cp = jax.jit(lambda a: a + 1)
    cp(x).block_until_ready()
    t0 = time.perf_counter()
    for _ in range(5):
        y = cp(x)
    y.block_until_ready()
    bw = 2 * x.nbytes * 5 / (time.perf_counter() - t0)
    del x, y
    print(f"device copy: {bw / 1e12:.2f} TB/s (read + write)")
    for b in batches:
        s = min(ctx, -(-(prompt + steps + 1) // 64) * 64)
        cache = empty(b, s)
        tokens = (jnp.arange(b * prompt, dtype=jnp.int32).reshape(b, prompt) % 1000) + 3
        cache, last = prefill(params, cache, tokens)
        step = jnp.full((b,), prompt, jnp.int32)
        cache, last, step = decode_step(params, cache, last, step)  # compile + warm
        last.block_until_ready()
        t0 = time.perf_counter()
        for _ in range(steps):
            cache, last, step = decode_step(params, cache, last, step)
        last.block_until_ready()
        dt = time.perf_counter() - t0
        kv_bytes = sum(a.nbytes for a in jax.tree_util.tree_leaves(cache))
        bound = (wbytes + kv_bytes) / (bw / 2)
        print(f"batch {b:3d} cache {s}: decode {steps * b / dt:10.1f} tokens/s ({dt / steps * 1e3:.3f} ms/step; "
              f"bound {bound * 1e3:.3f} ms/step reading weights + cache once at {bw / 2e12:.2f} TB/s)")
        del cache
    if ttft_len:
        s = min(ctx, ttft_len + 64)
        tokens = (jnp.arange(ttft_len, dtype=jnp.int32).reshape(1, ttft_len) % 1000) + 3
        times = []
        for _ in range(4):
            cache = empty(1, s)
            jax.block_until_ready(cache)
            t0 = time.perf_counter()
            cache, first = prefill(params, cache, tokens)
            first.block_until_ready()
            times.append(time.perf_counter() - t0)
        print(f"time to first token, {ttft_len}-token prompt: {sorted(times[1:])[1] * 1e3:.1f} ms (median of 3 after compile)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["write", "bench"])
    ap.add_argument("dir")
    ap.add_argument("--preset", default="1b", choices=sorted(PRESETS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batches", default="1,32")
    ap.add_argument("--steps", type=int, default=128)
    ap.add_argument("--prompt", type=int, default=16)
    ap.add_argument("--ttft", type=int, default=2048)
    a = ap.parse_args()
    if a.what == "write":
        write(a.dir, a.preset, a.seed)
    else:
        bench(a.dir, [int(x) for x in a.batches.split(",")], a.steps, a.prompt, a.ttft)
