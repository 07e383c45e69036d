"""JAX's Grok-1 decode loop, the side `xla4j generate` is measured against on the GPU (issue 11).

Grok-1's forward (issue 9's equations; the same function structure as scripts/grok_reference.py's numpy
oracle: rms_norm, rope, attention, moe, forward) with a KV cache: keys cached after RoPE, a per-row `step`
(each row's next position), a slot attended only if written, not pad (token 0) and not after the query.
A jitted prefill and a jitted one-token decode step, both with the cache donated (donate_argnums), the next
token chosen on the device: greedy, or temperature / top-k / top-p with Grok-1's top_p_filter semantics
(sort ascending, softmax, cumulative sum, the first index where it reaches 1 - p gives the threshold, logits at
or above it kept), one threefry key per row from its seed folded with its step.

Commands:
  write DIR [--preset grok-1.6b|tiny] [--seed 0]   numpy only: random weights (fixed seed) as a Grok-1 Hugging
                                                   Face directory: config.json + model.safetensors (f32
                                                   embeddings, final norm, norms and router; bf16 matrices
                                                   [out, in], one tensor per expert). `xla4j quantize` makes
                                                   the int8 variant from it.
  check [--seed 11]                                the tiny model of grok_reference.py: JAX logits (prefill
                                                   over the whole prompt, and 3 tokens prefilled + one cached
                                                   decode step per token; MoE dense / gather / ragged) against
                                                   the numpy oracle, bf16 and int8, max |diff| per path, and
                                                   the sampler's properties (JSON 'check' lines; rc 1 when off).
  prefill DIR [--tokens 2048] [--moe dense,ragged] [--logits-out F.npy] [--label bf16]
                                                   issue 10's prefill target, JAX's side: time to first token of
                                                   the fixed --tokens prompt (batch 1) with each MoE mode (dense
                                                   einsum over all experts; tokens sorted by expert through
                                                   lax.ragged_dot), the fastest named ('ttft-best'), and the
                                                   logits of every prompt position under the fastest written to
                                                   F.npy (f32 [tokens, vocab]); the modes' logits compared with
                                                   each other ('logits-vs-jax': the spread within JAX).
  compare-logits F.npy X.safetensors [--label bf16]
                                                   JAX's logits against `xla4j logits --output X.safetensors` on
                                                   the same prompt and checkpoint: max |diff|, rms of the diff,
                                                   argmax agreement; rc 1 past the bf16 tolerance (MAX_REL_TOL,
                                                   RMS_REL_TOL below).
  prompts [--rows 1] [--tokens 16] [--vocab 32768] the bench's prompt ids, one comma-separated row per line
                                                   (device-generate.sh hands the same ids to xla4j generate).
  bench DIR [--label bf16] [--new-tokens 64] [--ttft 2048] [--ttft-moe auto,ragged] [--batches 1,32]
            [--prompt 16] [--copy [--copy-gib 4]] [--greedy-tokens 32] [--moe auto|dense|gather|ragged]
            [--loop 16] [--sampled]
                                                   loads DIR (bf16, or int8 NAME.weight + NAME.scales with
                                                   W = bf16(weight * scales[i // (in / nb), o]), dequantized
                                                   inside the program), then prints JSON lines: the copy
                                                   bandwidth, the greedy tokens of the fixed prompts at batch 1
                                                   and the largest batch, time to first token of a
                                                   --ttft-token prompt (batch 1), decode tokens/s per batch
                                                   size (and with an on-device loop of --loop tokens per call,
                                                   and sampled with --sampled).

Timing (METHOD.md): inputs on the device; a compile + warm-up call first; decode: --new-tokens steps queued
(each step's token feeds the next on the device, no host round trip), one block_until_ready, median of 3
runs; TTFT: prefill + the first token back on the host, median of 5 after a warm-up.

Bytes read per decode step (the bandwidth bound; weights as stored, bf16 = 2 B, int8 = 1 B + scales):
  embedding table once (the tied output projection; read as bf16, the table is cast once at load)
  + L * (attention q, k, v, o + router f32 + 4 norms)
  + L * min(E, B*K) * 3 * D * F * bytes/weight      (experts touched: 2 of 8 at batch 1, all 8 at batch 32)
  + L * 2 * B * ctx_avg * Hkv * dh * 2              (the K and V cache slots read, bf16)
bound tokens/s = B / (bytes per step / copy GB/s), where copy GB/s counts bytes read + written of a 4 GiB
device-to-device copy measured in the same run.
"""
import argparse
import json
import math
import os
import pathlib
import struct
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

PRESETS = {
    # Grok-1's structure at 1.59B parameters: D 1536 = 12 query heads x 128 (as Grok-1: Hq * dh = D), 2 kv
    # heads (6 query heads per kv head), widening 8 (F 8192, Grok-1's rule), 8 experts top-2, 5 layers.
    "grok-1.6b": dict(vocab_size=32768, hidden_size=1536, num_hidden_layers=5, num_attention_heads=12,
                      num_key_value_heads=2, head_dim=128, widening=8.0, num_experts=8, num_experts_per_tok=2,
                      max_position_embeddings=8192),
    # between the two: CPU-sized, for agreement runs at more than toy scale (26M parameters)
    "small": dict(vocab_size=4096, hidden_size=256, num_hidden_layers=4, num_attention_heads=4,
                  num_key_value_heads=2, head_dim=64, widening=4.0, num_experts=8, num_experts_per_tok=2,
                  max_position_embeddings=512),
    "tiny": dict(vocab_size=512, hidden_size=96, num_hidden_layers=2, num_attention_heads=6,
                 num_key_value_heads=1, head_dim=16, widening=2.0, num_experts=8, num_experts_per_tok=2,
                 max_position_embeddings=256),
}
EXPERT_MATS = ("linear", "linear_v", "linear_1")
ATT_MATS = ("query", "key", "value", "linear")
NORMS = ("rms_norm", "rms_norm_1", "rms_norm_2", "rms_norm_3")


def prompt_tokens(n, vocab, row=0):
    """The fixed prompt of n token ids in [1, vocab) for row `row` (no pad); xla4j gets the same ids."""
    return [int(1 + (7919 * (i + 1) + 104729 * row) % (vocab - 1)) for i in range(n)]


def ffn_size(d, widening):
    f = int(widening * d) * 2 // 3
    return f + (-f) % 8


def param_count(c):
    d, l, e = c["hidden_size"], c["num_hidden_layers"], c["num_experts"]
    qd, kvd = c["num_attention_heads"] * c["head_dim"], c["num_key_value_heads"] * c["head_dim"]
    f = c["intermediate_size"]
    per_layer = 2 * d * qd + 2 * d * kvd + d * e + e * 3 * d * f + 4 * d
    return c["vocab_size"] * d + d + l * per_layer


# ------------------------------------------------------------------ safetensors (numpy only)
def bf16_bits(x):
    """float32 -> bfloat16 bits, round to nearest even, as uint16."""
    u = np.ascontiguousarray(x, np.float32).view(np.uint32)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def write_safetensors(path, tensors):
    """tensors: name -> (dtype 'BF16'|'F32'|'I8', numpy array; BF16 given as uint16 bits)."""
    header, off = {}, 0
    for name, (dt, a) in tensors.items():
        header[name] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        off += a.nbytes
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for _, a in tensors.values():
            f.write(np.ascontiguousarray(a).tobytes())
    return off


def read_safetensors(dir_):
    """name -> (dtype, numpy view of the file: BF16 as uint16), over every *.safetensors in dir_."""
    out = {}
    kinds = {"BF16": np.uint16, "F32": np.float32, "I8": np.int8, "I32": np.int32, "F16": np.float16}
    for p in sorted(pathlib.Path(dir_).glob("*.safetensors")):
        raw = np.memmap(p, np.uint8, mode="r")
        hl = int(np.frombuffer(raw[:8], np.uint64)[0])
        hdr = json.loads(bytes(raw[8:8 + hl]))
        for name, m in hdr.items():
            if name == "__metadata__":
                continue
            a, b = m["data_offsets"]
            out[name] = (m["dtype"], raw[8 + hl + a:8 + hl + b].view(kinds[m["dtype"]]).reshape(m["shape"]))
    return out


def config_json(p, f):
    d, dh = p["hidden_size"], p["head_dim"]
    c = {k: v for k, v in p.items() if k != "widening"}
    c.update(architectures=["Grok1ModelForCausalLM"], model_type="grok-1", intermediate_size=f,
             rope_theta=10000.0, max_attn_value=30.0, rms_norm_eps=1e-5, torch_dtype="bfloat16",
             embedding_multiplier_scale=math.sqrt(d), output_multiplier_scale=1 / math.sqrt(3),
             attn_output_multiplier=1 / math.sqrt(dh), pad_token_id=0, bos_token_id=1, eos_token_id=2)
    return c


def write(dir_, preset, seed):
    """Random weights as a Grok-1 HF directory. Uniform values with the variances of issue 9's test models
    (matrices 1/in, router 0.25, norms 1 + N(0, 0.01)) except the embeddings' (0.01/D); one generator per tensor, seeded by
    (seed, index), so tensors are made in parallel and the result does not depend on the thread count."""
    p = PRESETS[preset]
    d, l, hq, hkv, dh, e = (p["hidden_size"], p["num_hidden_layers"], p["num_attention_heads"],
                            p["num_key_value_heads"], p["head_dim"], p["num_experts"])
    f = ffn_size(d, p["widening"])
    jobs = []  # (name, dtype, shape, std, mean)
    # embeddings of std 0.1/sqrt(D): times the multiplier sqrt(D) they enter the residual stream at RMS 0.1,
    # below each layer's normed outputs (RMS ~1), so greedy decoding does not just repeat the last token: with
    # larger embeddings the token's own embedding dominates h and the tied output projection picks it again
    # (seen with std 1 and 1/sqrt(D))
    jobs.append(("transformer.in_out_embed.weight", "F32", (p["vocab_size"], d), 0.1 / math.sqrt(d), 0.0))
    jobs.append(("transformer.rms_norm.weight", "F32", (d,), 0.1, 1.0))
    for i in range(l):
        pre = f"transformer.decoder_layer.{i}."
        for n, shape in (("query", (hq * dh, d)), ("key", (hkv * dh, d)), ("value", (hkv * dh, d)),
                         ("linear", (d, hq * dh))):
            jobs.append((pre + f"multi_head_attention.{n}.weight", "BF16", shape, 1 / math.sqrt(shape[1]), 0.0))
        jobs.append((pre + "router.weight", "F32", (e, d), 0.5, 0.0))
        for x in range(e):
            jobs.append((pre + f"moe.{x}.linear.weight", "BF16", (f, d), 1 / math.sqrt(d), 0.0))
            jobs.append((pre + f"moe.{x}.linear_v.weight", "BF16", (f, d), 1 / math.sqrt(d), 0.0))
            jobs.append((pre + f"moe.{x}.linear_1.weight", "BF16", (d, f), 1 / math.sqrt(f), 0.0))
        for n in NORMS:
            jobs.append((pre + n + ".weight", "F32", (d,), 0.1, 1.0))

    def make(job, idx):
        name, dt, shape, std, mean = job
        rng = np.random.default_rng([seed, idx])
        a = rng.random(shape, dtype=np.float32)
        a -= np.float32(0.5)
        a *= np.float32(std * math.sqrt(12.0))          # uniform with variance std^2
        if mean:
            a += np.float32(mean)
        return (dt, bf16_bits(a) if dt == "BF16" else a)

    t0 = time.time()
    with ThreadPoolExecutor(max_workers=min(16, os.cpu_count() or 1)) as ex:
        made = list(ex.map(make, jobs, range(len(jobs))))
    tensors = {j[0]: m for j, m in zip(jobs, made)}
    os.makedirs(dir_, exist_ok=True)
    nbytes = write_safetensors(os.path.join(dir_, "model.safetensors"), tensors)
    cfg = config_json(p, f)
    with open(os.path.join(dir_, "config.json"), "w") as fh:
        json.dump(cfg, fh, indent=2)
    n = param_count(cfg)
    print(f"wrote {dir_}: {preset}, {n:,} parameters ({n / 1e9:.3f}B), {nbytes / 2**30:.2f} GiB, seed {seed}, "
          f"{time.time() - t0:.1f} s", flush=True)
    return cfg


# ------------------------------------------------------------------ the tiny check's checkpoints
def tree_to_hf(p, c, q=None):
    """grok_reference.py's tree params ([in, out], stacked experts) as HF tensors ([out, in], one per expert).
    q: its quantized tree (int8 weights + '/scales'); then matrices are written as NAME.weight I8 + NAME.scales."""
    src = q if q is not None else p
    out = {"transformer.in_out_embed.weight": ("F32", p["language_model/in_out_embed/embeddings"]),
           "transformer.rms_norm.weight": ("F32", p["language_model/rms_norm/scale"])}

    def mat(hf, tree, expert=None):
        w = src[tree + "/w"] if expert is None else src[tree + "/w"][expert]
        if q is None:
            out[hf + ".weight"] = ("BF16", bf16_bits(w.T))
        else:
            s = q[tree + "/scales"] if expert is None else q[tree + "/scales"][expert]
            out[hf + ".weight"] = ("I8", np.ascontiguousarray(w.T))
            out[hf + ".scales"] = ("BF16", bf16_bits(s))

    for i in range(c["layers"]):
        pre, tpre = f"transformer.decoder_layer.{i}.", f"transformer/decoder_layer_{i}/"
        for n in ATT_MATS:
            mat(pre + f"multi_head_attention.{n}", tpre + f"multi_head_attention/{n}")
        out[pre + "router.weight"] = ("F32", np.ascontiguousarray(p[tpre + "router/w"].T))
        for x in range(c["experts"]):
            for n in EXPERT_MATS:
                mat(pre + f"moe.{x}.{n}", tpre + f"moe/{n}", x)
        for n in NORMS:
            out[pre + n + ".weight"] = ("F32", p[tpre + n + "/scale"])
    return out


def tiny_hf_config(c):
    p = dict(vocab_size=c["vocab"], hidden_size=c["emb"], num_hidden_layers=c["layers"],
             num_attention_heads=c["q_heads"], num_key_value_heads=c["kv_heads"], head_dim=c["key_size"],
             widening=c["widening"], num_experts=c["experts"], num_experts_per_tok=c["top_k"],
             max_position_embeddings=c["context"])
    return config_json(p, ffn_size(c["emb"], c["widening"]))


# ------------------------------------------------------------------ JAX: loading
def load(dir_):
    """(config, params, int8?) with params on the device. Matrices stay in the checkpoint's [out, in] layout
    (no host transposes; the dots contract `in` on both sides), experts stacked on the device [E, out, in];
    int8 matrices as {'w': int8 [.., out, in], 's': bf16 [.., nb, out]}."""
    import jax.numpy as jnp
    import ml_dtypes
    c = json.load(open(os.path.join(dir_, "config.json")))
    t = read_safetensors(dir_)
    int8 = any(n.endswith(".scales") for n in t)

    def arr(name):
        dt, a = t[name]
        if dt == "BF16":
            return np.asarray(a).view(ml_dtypes.bfloat16)
        if dt == "F32":
            return np.asarray(a)
        if dt == "I8":
            return np.asarray(a)
        raise ValueError(f"{name}: dtype {dt} not handled")

    def mat(base, experts=None):
        names = [base] if experts is None else [base.format(x) for x in range(experts)]
        if int8:
            w = jnp.stack([jnp.asarray(arr(n + ".weight")) for n in names])    # [E, out, in] int8
            s = jnp.stack([jnp.asarray(arr(n + ".scales")) for n in names])    # [E, nb, out] bf16
            return {"w": w, "s": s} if experts is not None else {"w": w[0], "s": s[0]}
        w = jnp.stack([jnp.asarray(arr(n + ".weight")) for n in names])        # [E, out, in] bf16
        return w if experts is not None else w[0]

    emb = arr("transformer.in_out_embed.weight").astype(np.float32)
    params = {"embed": jnp.asarray(emb.astype(ml_dtypes.bfloat16)),   # Grok-1 casts it to bf16 at every use
              "norm": jnp.asarray(arr("transformer.rms_norm.weight").astype(np.float32)), "layers": []}
    for i in range(c["num_hidden_layers"]):
        pre = f"transformer.decoder_layer.{i}."
        lp = {n: mat(pre + f"multi_head_attention.{n}") for n in ATT_MATS}
        lp["router"] = jnp.asarray(arr(pre + "router.weight").astype(np.float32))     # [E, D]
        for n in EXPERT_MATS:
            lp["moe_" + n] = mat(pre + "moe.{}." + n, c["num_experts"])
        for n in NORMS:
            lp[n] = jnp.asarray(arr(pre + n + ".weight").astype(np.float32))
        params["layers"].append(lp)
    return c, params, int8


def dequant(m):
    """int8 {'w' [.., out, in], 's' [.., nb, out]} -> bf16 [.., out, in] with W[o, i] = bf16(w[o, i] *
    s[i // (in / nb), o]); a bf16 matrix passes through. int8 values are exact in bf16, so the bf16 product
    rounds once, as the formula."""
    import jax.numpy as jnp
    if not isinstance(m, dict):
        return m
    w, s = m["w"], m["s"]
    n_in, nb = w.shape[-1], s.shape[-2]
    full = jnp.repeat(jnp.swapaxes(s, -1, -2), n_in // nb, axis=-1)             # [.., out, in]
    return w.astype(jnp.bfloat16) * full


# ------------------------------------------------------------------ JAX: Grok-1's forward with a cache
def make_model(c, moe_mode, compute="bf16"):
    """The forward pieces for config c; moe_mode 'dense' (every expert on every token, Grok-1's way),
    'gather' (each token's top-k experts' weights taken by index), 'ragged' (token copies sorted by expert,
    lax.ragged_dot) or 'auto' (gather when T*K < E, else dense). compute 'f32': the same equations with every
    activation, weight and cache in f32 (call under jax.default_matmul_precision('highest')): the oracle the bf16
    forwards of both frameworks are measured against (prefill --oracle-out)."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    d, hq, hkv, dh = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
    e, k_top, eps = c["num_experts"], c["num_experts_per_tok"], c["rms_norm_eps"]
    theta, cap = c["rope_theta"], c["max_attn_value"]
    emb_mult, out_mult, att_mult = c["embedding_multiplier_scale"], c["output_multiplier_scale"], c["attn_output_multiplier"]
    f32 = jnp.float32
    bf = f32 if compute == "f32" else jnp.bfloat16

    def wt(m):  # a weight in the compute dtype (a no-op for bf16 compute)
        return dequant(m).astype(bf)

    def mm(x, w):
        return jnp.einsum("...i,oi->...o", x, wt(w), preferred_element_type=f32).astype(bf)

    def rms_norm(x, scale):
        xf = x.astype(f32)
        y = xf * lax.rsqrt(jnp.mean(xf * xf, axis=-1, keepdims=True) + eps)
        return (y * scale).astype(bf)

    def rotate_half(x):
        h = x.shape[-1] // 2
        return jnp.concatenate([-x[..., h:], x[..., :h]], axis=-1)

    def rope(x, pos):
        """x [B, T, H, dh] bf16, pos [B, T] i32; NeoX rotate_half over the whole head, in f32."""
        inv = 1.0 / (theta ** (jnp.arange(0, dh, 2, dtype=f32) / dh))
        ph = pos.astype(f32)[..., None] * inv
        ph = jnp.concatenate([ph, ph], axis=-1)[:, :, None, :]
        xf = x.astype(f32)
        return (xf * jnp.cos(ph) + rotate_half(xf) * jnp.sin(ph)).astype(bf)

    def attention(x, w, kc, vc, valid, pos):
        """x [B, T, D]; kc, vc [B, S, Hkv, dh] (already holding this call's keys and values); valid [B, S]."""
        b, t, _ = x.shape
        g = hq // hkv
        q = rope(mm(x, w["query"]).reshape(b, t, hq, dh), pos).reshape(b, t, hkv, g, dh)
        s = jnp.einsum("btkgd,bskd->bkgts", q, kc, preferred_element_type=f32).astype(bf).astype(f32)
        s = s * att_mult
        s = cap * jnp.tanh(s / cap)
        slots = jnp.arange(kc.shape[1])
        mask = valid[:, None, None, None, :] & (slots[None, None, None, None, :] <= pos[:, None, None, :, None])
        s = jnp.where(mask, s, f32(-1e30))
        p = jax.nn.softmax(s, axis=-1).astype(bf)
        o = jnp.einsum("bkgts,bskd->btkgd", p, vc, preferred_element_type=f32).astype(bf)
        return mm(o.reshape(b, t, hq * dh), w["linear"])

    def gelu_tanh(x):
        return jax.nn.gelu(x.astype(f32), approximate=True).astype(bf)

    def moe(x, w):
        b, t, _ = x.shape
        xs = x.reshape(b * t, d)
        probs = jax.nn.softmax(jnp.einsum("td,ed->te", xs.astype(f32), w["router"], precision=lax.Precision.HIGHEST),
                               axis=-1)
        gates, experts = lax.top_k(probs, k_top)               # best first; ties: lower index
        g16 = gates.astype(bf).astype(f32)                      # gates NOT renormalized, rounded to bf16
        mode = moe_mode if moe_mode != "auto" else ("gather" if b * t * k_top < e else "dense")
        if mode == "dense":
            a = jnp.einsum("td,efd->etf", xs, wt(w["moe_linear"]), preferred_element_type=f32).astype(bf)
            v = jnp.einsum("td,efd->etf", xs, wt(w["moe_linear_v"]), preferred_element_type=f32).astype(bf)
            y = jnp.einsum("etf,edf->etd", gelu_tanh(a) * v, wt(w["moe_linear_1"]),
                           preferred_element_type=f32).astype(bf)
            gm = jnp.sum(jax.nn.one_hot(experts, e, dtype=f32) * g16[..., None], axis=1)    # [T, E]
            out = jnp.einsum("te,etd->td", gm, y.astype(f32), precision=lax.Precision.HIGHEST)
        elif mode == "gather":
            def take(m):
                if isinstance(m, dict):
                    return dequant({"w": jnp.take(m["w"], experts, axis=0), "s": jnp.take(m["s"], experts, axis=0)})
                return jnp.take(m, experts, axis=0)            # [T, K, out, in]
            a = jnp.einsum("td,tkfd->tkf", xs, take(w["moe_linear"]), preferred_element_type=f32).astype(bf)
            v = jnp.einsum("td,tkfd->tkf", xs, take(w["moe_linear_v"]), preferred_element_type=f32).astype(bf)
            y = jnp.einsum("tkf,tkdf->tkd", gelu_tanh(a) * v, take(w["moe_linear_1"]),
                           preferred_element_type=f32).astype(bf)
            out = jnp.sum(g16[..., None] * y.astype(f32), axis=1)
        elif mode == "ragged":
            # the T*K token copies sorted by expert, three lax.ragged_dot (rhs [E, in, out]), unsorted
            ids = experts.reshape(-1)
            perm = jnp.argsort(ids, stable=True)
            xr = jnp.take(xs, perm // k_top, axis=0)
            sizes = jnp.bincount(ids, length=e).astype(jnp.int32)

            def rd(lhs, m):
                return lax.ragged_dot(lhs, jnp.swapaxes(dequant(m), -1, -2), sizes,
                                      preferred_element_type=f32).astype(bf)
            a = rd(xr, w["moe_linear"])
            v = rd(xr, w["moe_linear_v"])
            y = rd(gelu_tanh(a) * v, w["moe_linear_1"])
            back = jnp.take(y, jnp.argsort(perm), axis=0).reshape(b * t, k_top, d)
            out = jnp.sum(g16[..., None] * back.astype(f32), axis=1)
        return out.astype(bf).reshape(b, t, d)

    def forward(params, cache, tokens):
        """tokens [B, T] written at each row's cache.step; returns (logits [B, T, V] bf16, new cache)."""
        b, t = tokens.shape
        step = cache["step"]
        pos = step[:, None] + jnp.arange(t, dtype=jnp.int32)[None, :]          # [B, T]
        rows = jnp.arange(b)[:, None]
        valid = cache["valid"].at[rows, pos].set(tokens != 0, mode="drop")       # a slot: written and not pad
        h = params["embed"][tokens].astype(bf) * jnp.asarray(emb_mult, bf)
        ks, vs = [], []
        for w, kc, vc in zip(params["layers"], cache["k"], cache["v"]):
            x = rms_norm(h, w["rms_norm"])
            kn = rope(mm(x, w["key"]).reshape(b, t, hkv, dh), pos)              # keys cached after RoPE
            vn = mm(x, w["value"]).reshape(b, t, hkv, dh)
            kc = kc.at[rows, pos].set(kn, mode="drop")
            vc = vc.at[rows, pos].set(vn, mode="drop")
            ks.append(kc)
            vs.append(vc)
            a = attention(x, w, kc, vc, valid, pos)
            h = h + rms_norm(a, w["rms_norm_1"])
            x = rms_norm(h, w["rms_norm_2"])
            h = h + rms_norm(moe(x, w), w["rms_norm_3"])
        h = rms_norm(h, params["norm"])
        logits = jnp.matmul(h, params["embed"].T.astype(bf), preferred_element_type=f32).astype(bf)
        logits = logits * jnp.asarray(out_mult, bf)
        return logits, {"k": ks, "v": vs, "valid": valid, "step": step + t}

    return forward


def new_cache(c, b, s, dtype=None):
    import jax.numpy as jnp
    shape = (b, s, c["num_key_value_heads"], c["head_dim"])
    n = c["num_hidden_layers"]
    dtype = dtype or jnp.bfloat16
    return {"k": [jnp.zeros(shape, dtype) for _ in range(n)],
            "v": [jnp.zeros(shape, dtype) for _ in range(n)],
            "valid": jnp.zeros((b, s), bool), "step": jnp.zeros((b,), jnp.int32)}


# ------------------------------------------------------------------ sampling on the device
def top_p_filter(logits, top_p):
    """Grok-1's nucleus filter: keep logits at or above the threshold where the ascending cumulative
    probability first reaches 1 - top_p. logits [B, V] f32, top_p [B]."""
    import jax
    import jax.numpy as jnp
    sl = jnp.sort(logits, axis=-1)
    cum = jnp.cumsum(jax.nn.softmax(sl, axis=-1), axis=-1)
    idx = jnp.argmax(cum >= (1 - top_p)[:, None], axis=-1)
    thr = jnp.take_along_axis(sl, idx[:, None], axis=-1)
    return jnp.where(logits >= thr, logits, -1e10)


def sample(logits, sp, step):
    """Next token per row: greedy where temperature is 0; else temperature, top-k (0: off), Grok-1's top-p,
    then a categorical draw with key fold_in(key(seed), step) per row (reproducible)."""
    import jax
    import jax.numpy as jnp
    lf = logits.astype(jnp.float32)
    greedy = jnp.argmax(lf, axis=-1).astype(jnp.int32)
    t = jnp.maximum(sp["temperature"], 1e-6)[:, None]
    x = lf / t
    kth = jnp.take_along_axis(jnp.sort(x, axis=-1)[:, ::-1],
                              jnp.clip(sp["top_k"] - 1, 0, x.shape[-1] - 1)[:, None], axis=-1)
    x = jnp.where((sp["top_k"][:, None] > 0) & (x < kth), -1e10, x)
    x = top_p_filter(x, sp["top_p"])
    keys = jax.vmap(lambda s, n: jax.random.fold_in(jax.random.key(s), n))(sp["seed"], step)
    drawn = jax.vmap(lambda k, l: jax.random.categorical(k, l))(keys, x).astype(jnp.int32)
    return jnp.where(sp["temperature"] > 0, drawn, greedy)


def programs(c, moe_mode, loop=0, greedy=True):
    """(prefill, step, loop_step): jitted, each donating the cache; loop_step runs `loop` decode steps in one
    call (lax.fori_loop), or is None. greedy: the token is the argmax, with no sampling code in the program
    (as xla4j's greedy programs); else sample() per row."""
    import jax
    import jax.numpy as jnp
    forward = make_model(c, moe_mode)

    def choose(logits, sp, step):
        return jnp.argmax(logits.astype(jnp.float32), axis=-1).astype(jnp.int32) if greedy else sample(logits, sp, step)

    def prefill(params, cache, tokens, lengths, sp):
        """tokens [B, T] right-padded with 0; each row's first generated token follows its last prompt token."""
        logits, cache = forward(params, cache, tokens)
        last = jnp.take_along_axis(logits, (lengths - 1)[:, None, None], axis=1)[:, 0]
        cache = dict(cache, step=lengths)                     # each row continues after its own prompt
        return choose(last, sp, lengths), cache

    def step(params, cache, tok, sp):
        logits, cache = forward(params, cache, tok[:, None])
        return choose(logits[:, 0], sp, cache["step"]), cache

    def many(params, cache, tok, sp):
        def body(i, st):
            cache, tok, out = st
            tok, cache = step(params, cache, tok, sp)
            return cache, tok, out.at[:, i].set(tok)
        out = jnp.zeros((tok.shape[0], loop), jnp.int32)
        cache, tok, out = jax.lax.fori_loop(0, loop, body, (cache, tok, out))
        return out, cache

    jp = jax.jit(prefill, donate_argnums=(1,))
    js = jax.jit(step, donate_argnums=(1,))
    jl = jax.jit(many, donate_argnums=(1,)) if loop > 0 else None
    return jp, js, jl


def sampling(b, temperature=0.0, top_p=1.0, top_k=0, seed=0):
    import jax.numpy as jnp
    return {"temperature": jnp.full((b,), temperature, jnp.float32), "top_p": jnp.full((b,), top_p, jnp.float32),
            "top_k": jnp.full((b,), top_k, jnp.int32), "seed": seed + jnp.arange(b, dtype=jnp.uint32)}


# ------------------------------------------------------------------ check: JAX vs the numpy oracle
def check(seed, tmp):
    import jax
    import jax.numpy as jnp
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
    import grok_reference as ref
    c = ref.CONFIG
    rng = np.random.default_rng(seed)
    p = ref.random_model(rng, c)
    p = {k: (ref.bf16(w) if ref.is_matrix(k) else w) for k, w in p.items()}
    q, deq = ref.quantize(rng, p)
    tokens = np.array([[5, 17, 3, 99, 42, 7, 0, 0], [0, 12, 64, 3, 8, 100, 127, 1]], dtype=np.int32)
    worst = 0.0
    for label, tree, qt in (("bf16", p, None), ("int8", deq, q)):
        d = os.path.join(tmp, "grok-tiny-" + label)
        os.makedirs(d, exist_ok=True)
        write_safetensors(os.path.join(d, "model.safetensors"), tree_to_hf(p, c, qt))
        json.dump(tiny_hf_config(c), open(os.path.join(d, "config.json"), "w"))
        want, _ = ref.forward(tree, tokens, c)
        cfg, params, int8 = load(d)
        assert int8 == (qt is not None), f"{d}: int8 detection"
        keep = tokens != 0                                  # a pad query's row is undefined (nothing visible)
        for mode in ("dense", "gather", "ragged") if qt is None else ("dense", "gather"):
            try:
                fwd = jax.jit(make_model(cfg, mode))
                got, _ = fwd(params, new_cache(cfg, 2, 16), jnp.asarray(tokens))
                got = np.asarray(got.astype(jnp.float32))
                diff = float(np.max(np.abs(got - want)[keep]))
                # the same logits through the cache: 3 tokens prefilled, then one decode step per token
                cache = new_cache(cfg, 2, 16)
                got3, cache = fwd(params, cache, jnp.asarray(tokens[:, :3]))
                rows = [np.asarray(got3.astype(jnp.float32))]
                for t in range(3, tokens.shape[1]):
                    g1, cache = fwd(params, cache, jnp.asarray(tokens[:, t:t + 1]))
                    rows.append(np.asarray(g1.astype(jnp.float32)))
                inc = np.concatenate(rows, axis=1)
                diff_inc = float(np.max(np.abs(inc - want)[keep]))
                argmax_eq = float(np.mean((np.argmax(inc, -1) == np.argmax(want, -1))[keep]))
                scale = float(np.max(np.abs(want)))
                rec = dict(who="jax", what="check", weights=label, moe=mode, max_abs_diff_prefill=diff,
                           max_abs_diff_cached=diff_inc, max_abs_logit=scale, argmax_agreement=argmax_eq)
                print("JSON " + json.dumps(rec), flush=True)
                worst = max(worst, diff / scale, diff_inc / scale)
            except Exception as e:                              # a mode this XLA refuses: say so, fail the check
                print("JSON " + json.dumps(dict(who="jax", what="check", weights=label, moe=mode,
                                                error=(type(e).__name__ + ": " + str(e))[:400])), flush=True)
                worst = float("inf")
    # sampling: greedy is the argmax; top-p keeps the stated mass on fixed logits; top-k keeps k
    lg = jnp.asarray(np.random.default_rng(1).standard_normal((4, 64)).astype(np.float32) * 3)
    kept = np.asarray(top_p_filter(lg, jnp.full((4,), 0.9, jnp.float32)) > -1e9)
    pr = np.asarray(jax.nn.softmax(lg, axis=-1))
    mass = (pr * kept).sum(-1)
    drop_smallest_kept = np.array([mass[r] - pr[r][kept[r]].min() for r in range(4)])
    ok_p = bool(np.all(mass >= 0.9 - 1e-6) and np.all(drop_smallest_kept < 0.9 + 1e-6))
    draws = np.stack([np.asarray(sample(lg, sampling(4, 1.0, 1.0, 5, seed=s), jnp.zeros(4, jnp.int32)))
                      for s in range(50)])
    top5 = np.argsort(-np.asarray(lg), axis=-1)[:, :5]
    ok_k = all(int(draws[i, r]) in top5[r] for i in range(50) for r in range(4))
    ok_g = bool(np.all(np.asarray(sample(lg, sampling(4), jnp.zeros(4, jnp.int32))) == np.argmax(np.asarray(lg), -1)))
    same = np.array_equal(np.asarray(sample(lg, sampling(4, 0.8, 0.95, 0, 3), jnp.arange(4, dtype=jnp.int32))),
                          np.asarray(sample(lg, sampling(4, 0.8, 0.95, 0, 3), jnp.arange(4, dtype=jnp.int32))))
    rec = dict(who="jax", what="check-sampling", top_p_mass_ok=ok_p, top_k_ok=ok_k, greedy_ok=ok_g, seed_repro=same,
               worst_rel_logit_diff=worst)
    print("JSON " + json.dumps(rec), flush=True)
    # bf16 logits of magnitude ~|max| (~41): within 2 bf16 ulps (0.5 at 32..64) of accumulated rounding differences
    return 0 if worst < 0.015 and ok_p and ok_k and ok_g and same else 1


# ------------------------------------------------------------------ bench
def emit(rec):
    print("JSON " + json.dumps(rec), flush=True)


def copy_bandwidth(gib):
    import jax
    import jax.numpy as jnp
    x = jax.random.normal(jax.random.key(2), (int(gib * (1 << 28)),), jnp.float32)     # gib GiB of f32
    cp = jax.jit(lambda x: -x)                                               # one read + one write
    jax.block_until_ready(cp(x))
    ts = []
    for _ in range(5):
        t0 = time.perf_counter()
        outs = [cp(x) for _ in range(10)]
        jax.block_until_ready(outs[-1])
        ts.append((time.perf_counter() - t0) / 10)
        del outs
    ms = float(np.median(ts)) * 1e3
    gbs = 2.0 * x.size * 4 / (ms * 1e-3) / 1e9
    emit(dict(who="jax", what="copy", bytes=x.size * 4, ms=ms, gbs_read_plus_write=gbs))
    del x
    return gbs


def bytes_per_step(c, int8, b, ctx_avg):
    """Bytes read per decode step (see the module docstring), and its parts."""
    d, l, e, k = c["hidden_size"], c["num_hidden_layers"], c["num_experts"], c["num_experts_per_tok"]
    qd, kvd, f = c["num_attention_heads"] * c["head_dim"], c["num_key_value_heads"] * c["head_dim"], c["intermediate_size"]
    wb = 1 if int8 else 2
    sc = 2 if int8 else 0                                  # bf16 scales [nb, out]: nb 1 (q, k, v, linear, linear_v), 8 (o, linear_1)
    emb = c["vocab_size"] * d * 2
    att = l * ((2 * d * qd + 2 * d * kvd) * wb + sc * (qd + 2 * kvd + 8 * d) + d * e * 4 + 4 * d * 4)
    touched = min(e, b * k)
    exp = l * touched * (3 * d * f * wb + sc * (2 * f + 8 * d))
    kv = l * 2 * b * ctx_avg * kvd * 2
    return emb + att + exp + kv, dict(embedding=emb, attention_router_norms=att, experts=exp, kv_cache=kv,
                                      experts_touched=touched)


def time_to_first_token(c, params, label, moe, n, n_new, pf=None):
    """A batch-1 prompt of n tokens: compile, one cold call, then the median of 5 warm calls of prefill + the first
    token on the host; emits a 'ttft' JSON line (or its error) and returns the warm ms (None on error)."""
    import jax
    import jax.numpy as jnp
    try:
        if pf is None:
            pf = programs(c, moe)[0]
        toks = jnp.asarray(np.array([prompt_tokens(n, c["vocab_size"])], np.int32))
        lens, sp = jnp.asarray([n], jnp.int32), sampling(1)
        s_ttft = min(c["max_position_embeddings"], (n + n_new + 63) // 64 * 64)
        cache = new_cache(c, 1, s_ttft)
        jax.block_until_ready(cache)
        t0 = time.perf_counter()
        exe = pf.lower(params, cache, toks, lens, sp).compile()
        compile_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        tok, cache = exe(params, cache, toks, lens, sp)         # the first call after compiling (cold)
        int(jax.device_get(tok)[0])
        first = time.perf_counter() - t0
        ts = []
        for _ in range(5):
            t0 = time.perf_counter()
            tok, cache = exe(params, cache, toks, lens, sp)     # the donated cache is overwritten from slot 0
            int(jax.device_get(tok)[0])
            ts.append(time.perf_counter() - t0)
        ms = float(np.median(ts)) * 1e3
        emit(dict(who="jax", what="ttft", weights=label, moe=moe, prompt_tokens=n, batch=1, cache_len=s_ttft, ms=ms,
                  best_ms=min(ts) * 1e3, first_ms=first * 1e3, compile_s=compile_s, prefill_tokens_per_s=n / (ms * 1e-3)))
        del cache
        return ms
    except Exception as e:                                      # report and go on: the other runs still count
        emit(dict(who="jax", what="ttft", weights=label, moe=moe, prompt_tokens=n, batch=1,
                  error=(type(e).__name__ + ": " + str(e))[:400]))
        return None


def prefill_logits(c, params, moe, n, compute="bf16"):
    """f32 numpy logits [n, V] of the batch-1 prompt of n tokens (the prefill's forward, every position); compute
    'f32': the f32 oracle (every activation f32, dots at HIGHEST)."""
    import contextlib
    import jax
    import jax.numpy as jnp
    fwd = jax.jit(make_model(c, moe, compute))
    toks = jnp.asarray(np.array([prompt_tokens(n, c["vocab_size"])], np.int32))
    s = min(c["max_position_embeddings"], (n + 63) // 64 * 64)
    ctx = jax.default_matmul_precision("highest") if compute == "f32" else contextlib.nullcontext()
    with ctx:
        logits, _ = fwd(params, new_cache(c, 1, s, jnp.float32 if compute == "f32" else None), toks)
    return np.asarray(logits[0].astype(jnp.float32))


def prefill(a):
    """Issue 10's prefill target, JAX's side: time to first token of an n-token prompt with each MoE mode (dense
    einsum, sorted ragged_dot), the best of them named, and the logits of every position of the prompt under the
    fastest mode written to --logits-out (f32 .npy) for compare-logits against xla4j's; the modes' logits are
    also compared with each other (the spread two correct MoE evaluations in one framework show)."""
    import jax
    print(f"jax {jax.__version__} on {jax.devices()[0].device_kind} ({jax.default_backend()})", flush=True)
    t0 = time.perf_counter()
    c, params, int8 = load(a.dir)
    jax.block_until_ready(params)
    label = a.label or ("int8" if int8 else "bf16")
    emit(dict(who="jax", what="load", weights=label, dir=a.dir, parameters=param_count(c), s=time.perf_counter() - t0))
    times = {m: time_to_first_token(c, params, label, m, a.tokens, 4) for m in a.moe}
    ok = {m: t for m, t in times.items() if t is not None}
    if not ok:
        return 1
    best = min(ok, key=ok.get)
    emit(dict(who="jax", what="ttft-best", weights=label, prompt_tokens=a.tokens, moe=best, ms=ok[best],
              modes={m: t for m, t in times.items()}))
    oracle = None
    if a.oracle_out:
        oracle = prefill_logits(c, params, "dense", a.tokens, "f32")
        np.save(a.oracle_out, oracle)
    ref = None
    for m in [best] + [x for x in ok if x != best]:
        lg = prefill_logits(c, params, m, a.tokens)
        if oracle is not None:
            emit(dict(logit_diff(oracle, lg), who="jax", what="logits-vs-oracle", weights=label, mode=m))
        if ref is None:
            ref = lg
            if a.logits_out:
                np.save(a.logits_out, lg)
            continue
        emit(dict(logit_diff(ref, lg), who="jax", what="logits-vs-jax", weights=label, a=best, b=m))
    return 0


def logit_diff(ref, got):
    """max |diff|, rms of the diff, both also relative to the reference's max |.| and rms; per position (row), whether
    its max |diff| is within MAX_REL_TOL of the reference's max |logit|, the fraction of such positions and the rms
    over them; argmax agreement."""
    ref = np.asarray(ref, np.float64)
    got = np.asarray(got, np.float64)
    d = got - ref
    ref_max = float(np.max(np.abs(ref)))
    ref_rms = float(np.sqrt(np.mean(ref * ref)))
    mx = float(np.max(np.abs(d)))
    rms = float(np.sqrt(np.mean(d * d)))
    per_pos = np.max(np.abs(d), axis=-1) / ref_max
    within = per_pos <= MAX_REL_TOL
    worst = np.argsort(-per_pos)[:5]
    rms_within = float(np.sqrt(np.mean(d[within] ** 2))) / ref_rms if within.any() else float("inf")
    return dict(positions=int(ref.shape[0]), vocab=int(ref.shape[-1]), max_abs_diff=mx, rms_diff=rms,
                ref_max_abs=ref_max, ref_rms=ref_rms, max_rel=mx / ref_max, rms_rel=rms / ref_rms,
                positions_within=int(within.sum()), fraction_within=float(within.mean()), rms_rel_within=rms_within,
                worst_positions=[[int(i), float(per_pos[i])] for i in worst],
                argmax_agreement=float(np.mean(np.argmax(got, -1) == np.argmax(ref, -1))))


# Logits "equal within bf16 tolerance": both sides round every matmul result and the logits themselves to bf16
# (relative 2^-9 each), and differ in the order of f32 sums and in which bf16 roundings meet (MoE, attention) over
# the layers. A position is within tolerance when its max |diff| <= 2^-5 of the largest |logit| (8 bf16 ulps there).
# A token whose two best router probabilities nearly tie can take another expert when its hidden state differs by
# an ulp, which changes that position's logits wholly (JAX's own two MoE modes show such positions too: compare the
# 'logits-vs-jax' line), so the test is: at least 95% of positions within, and the rms of the diff over them <= 2^-6
# of the logits' rms.
MAX_REL_TOL = 2.0 ** -5
RMS_REL_TOL = 2.0 ** -6
MIN_FRACTION_WITHIN = 0.95


def compare_logits(a):
    """JAX's logits (.npy, [T, V]) against xla4j's (`xla4j logits --output`, safetensors 'logits' [1, T, V] f32)."""
    ref = np.load(a.jax)
    t = read_safetensors_file(a.xla4j)
    dt, arr = t["logits"]
    got = np.asarray(arr, np.float32).reshape(-1, arr.shape[-1])
    if got.shape != ref.shape:
        emit(dict(who="compare", what="logits", weights=a.label, error=f"shapes differ: jax {ref.shape}, xla4j {got.shape}"))
        return 1
    r = logit_diff(ref, got)
    direct = bool(r["fraction_within"] >= MIN_FRACTION_WITHIN and r["rms_rel_within"] <= RMS_REL_TOL)
    r.update(who="compare", what="logits", weights=a.label, max_rel_tol=MAX_REL_TOL, rms_rel_tol=RMS_REL_TOL,
             min_fraction_within=MIN_FRACTION_WITHIN, ok=direct, direct_ok=direct)
    if a.oracle:
        r.update(oracle_verdict(np.load(a.oracle), ref, got))
        r["ok"] = bool(direct or r["oracle_ok"])
    emit(r)
    print(f"logits xla4j vs JAX ({a.label}, {r['positions']} positions x {r['vocab']}): max |diff| {r['max_abs_diff']:.4g}"
          f" ({r['max_rel']:.3g} of max |logit| {r['ref_max_abs']:.4g}), rms diff {r['rms_diff']:.4g} ({r['rms_rel']:.3g}"
          f" of rms {r['ref_rms']:.4g}); positions within {MAX_REL_TOL:.4g} of max |logit|: {r['positions_within']} of"
          f" {r['positions']} (need {MIN_FRACTION_WITHIN:.0%}), rms over them {r['rms_rel_within']:.3g} of rms (need <="
          f" {RMS_REL_TOL:.4g}); argmax agreement {r['argmax_agreement']:.4f}: {'PASS' if direct else 'FAIL'}", flush=True)
    if a.oracle:
        print(f"against the f32 oracle: xla4j rms {r['xla4j_vs_oracle']['rms_rel']:.4g} of rms, "
              f"{r['xla4j_vs_oracle']['positions_within']} positions within; JAX rms {r['jax_vs_oracle']['rms_rel']:.4g}, "
              f"{r['jax_vs_oracle']['positions_within']} within (xla4j passes when its rms <= {ORACLE_RMS_SLACK} x JAX's and"
              f" its positions within >= JAX's - {ORACLE_WITHIN_SLACK:.0%}): {'PASS' if r['oracle_ok'] else 'FAIL'}",
              flush=True)
    print(f"logits verdict ({a.label}): {'PASS' if r['ok'] else 'FAIL'}", flush=True)
    return 0 if r["ok"] else 1


# Two bf16 forwards of one model differ by where each rounds; the direct test above bounds that difference. The
# f32 oracle (the same equations with every activation f32, dots at HIGHEST) asks the question that matters to a
# user: is xla4j's bf16 forward as close to the exact function as JAX's is? Yes when its rms error is at most
# ORACLE_RMS_SLACK times JAX's and at most ORACLE_WITHIN_SLACK fewer of its positions lie within 2^-5 of max |logit|.
ORACLE_RMS_SLACK = 1.1
ORACLE_WITHIN_SLACK = 0.01


def oracle_verdict(oracle, jax_logits, xla4j_logits):
    ex = logit_diff(oracle, xla4j_logits)
    ej = logit_diff(oracle, jax_logits)
    ok = (ex["rms_rel"] <= ORACLE_RMS_SLACK * ej["rms_rel"]
          and ex["fraction_within"] >= ej["fraction_within"] - ORACLE_WITHIN_SLACK)
    keep = ("rms_rel", "max_rel", "positions_within", "fraction_within", "argmax_agreement")
    return dict(xla4j_vs_oracle={k: ex[k] for k in keep}, jax_vs_oracle={k: ej[k] for k in keep}, oracle_ok=bool(ok))


def read_safetensors_file(path):
    """name -> (dtype, numpy view) of one safetensors file (as read_safetensors, for a single file)."""
    d = pathlib.Path(path)
    kinds = {"BF16": np.uint16, "F32": np.float32, "I8": np.int8, "I32": np.int32, "F16": np.float16}
    raw = np.memmap(d, np.uint8, mode="r")
    hl = int(np.frombuffer(raw[:8], np.uint64)[0])
    hdr = json.loads(bytes(raw[8:8 + hl]))
    out = {}
    for name, m in hdr.items():
        if name == "__metadata__":
            continue
        lo, hi = m["data_offsets"]
        out[name] = (m["dtype"], raw[8 + hl + lo:8 + hl + hi].view(kinds[m["dtype"]]).reshape(m["shape"]))
    return out


def bench(a):
    import jax
    import jax.numpy as jnp
    print(f"jax {jax.__version__} on {jax.devices()[0].device_kind} ({jax.default_backend()})", flush=True)
    gbs = copy_bandwidth(a.copy_gib) if a.copy else None
    t0 = time.perf_counter()
    c, params, int8 = load(a.dir)
    jax.block_until_ready(params)
    label = a.label or ("int8" if int8 else "bf16")
    emit(dict(who="jax", what="load", weights=label, dir=a.dir, parameters=param_count(c), s=time.perf_counter() - t0))
    v = c["vocab_size"]
    n_new, plen = a.new_tokens, a.prompt
    # one cache length for every prompt-`plen` run (so the greedy run's programs are the decode run's):
    # warm-up + 3 timed runs of n_new steps, or of the loop's calls
    longest = plen + max(1, a.loop) + 3 * n_new + a.loop
    s_dec = min(c["max_position_embeddings"], (max(longest, plen + a.greedy_tokens) + 63) // 64 * 64)
    progs = {}

    def get(loop=0, greedy=True):
        if (loop, greedy) not in progs:
            progs[(loop, greedy)] = programs(c, a.moe, loop, greedy)
        return progs[(loop, greedy)]

    def rows(b, n):
        return jnp.asarray(np.array([prompt_tokens(n, v, r) for r in range(b)], np.int32))

    # greedy tokens of the fixed prompts at batch 1 and 32 (each row its own prompt), for comparing with
    # xla4j's on the same weights (random models tend to settle on one token; the 32 rows' first tokens differ)
    for b in sorted({1, max(a.batches)}) if a.greedy_tokens else []:
        pf, st, _ = get()
        sp = sampling(b)
        tok, cache = pf(params, new_cache(c, b, s_dec), rows(b, plen), jnp.full((b,), plen, jnp.int32), sp)
        out = [tok]
        for _ in range(a.greedy_tokens - 1):
            tok, cache = st(params, cache, tok, sp)
            out.append(tok)
        ids = np.stack(jax.device_get(out), axis=1).tolist()           # [B, tokens]
        emit(dict(who="jax", what="greedy", weights=label, batch=b, prompt_tokens=plen, tokens=ids))
        del cache

    # time to first token: a --ttft-token prompt at batch 1: prefill + the token on the host
    for ttft_moe in (a.ttft_moe if a.ttft else []):
        pf = (programs(c, ttft_moe) if ttft_moe != a.moe else get())[0]
        time_to_first_token(c, params, label, ttft_moe, a.ttft, n_new, pf)

    # decode tokens/s, steady state: n_new steps queued (tokens stay on the device), one sync; median of 3
    variants = [(b, 0, True) for b in a.batches]
    if a.loop:
        variants.append((a.batches[0], a.loop, True))
    if a.sampled:
        variants.append((a.batches[0], 0, False))
    for b, loop, greedy in variants:
        rec = dict(who="jax", what="decode", weights=label, batch=b, tokens_per_call=loop or 1, moe=a.moe,
                   sampling="greedy" if greedy else "temperature 0.7, top-p 0.95")
        try:
            pf, st, lp = get(loop, greedy)
            sp = sampling(b) if greedy else sampling(b, 0.7, 0.95, 0, seed=1)
            t0 = time.perf_counter()
            tok, cache = pf(params, new_cache(c, b, s_dec), rows(b, plen), jnp.full((b,), plen, jnp.int32), sp)
            if loop:
                out, cache = lp(params, cache, tok, sp)
                tok = out[:, -1]
            else:
                tok, cache = st(params, cache, tok, sp)
            jax.block_until_ready(tok)
            compile_s = time.perf_counter() - t0
            calls = n_new // loop if loop else n_new
            steps = calls * (loop or 1)
            ts = []
            for _ in range(3):
                t0 = time.perf_counter()
                for _ in range(calls):
                    if loop:
                        out, cache = lp(params, cache, tok, sp)
                        tok = out[:, -1]
                    else:
                        tok, cache = st(params, cache, tok, sp)
                jax.block_until_ready(tok)
                ts.append(time.perf_counter() - t0)
            sec = float(np.median(ts))
            ctx_avg = plen + (loop or 1) + 1.5 * steps            # the median run's mean attended length (about)
            nbytes, parts = bytes_per_step(c, int8, b, int(ctx_avg))
            rec.update(steps=steps, cache_len=s_dec, ms_per_step=sec / steps * 1e3, tokens_per_s=b * steps / sec,
                       compile_and_first_s=compile_s, bytes_per_step=nbytes, bytes_parts=parts)
            if gbs:
                bound = b / (nbytes / (gbs * 1e9))
                rec.update(copy_gbs=gbs, bound_tokens_per_s=bound, fraction_of_bound=(b * steps / sec) / bound)
            del cache
        except Exception as e:                                      # report and go on
            rec["error"] = (type(e).__name__ + ": " + str(e))[:400]
        emit(rec)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("write")
    w.add_argument("dir")
    w.add_argument("--preset", default="grok-1.6b", choices=sorted(PRESETS))
    w.add_argument("--seed", type=int, default=0)
    ck = sub.add_parser("check")
    ck.add_argument("--seed", type=int, default=11)
    ck.add_argument("--tmp", default="/tmp/grok-jax-check")
    b = sub.add_parser("bench")
    b.add_argument("dir")
    b.add_argument("--label")
    b.add_argument("--new-tokens", type=int, default=64)
    b.add_argument("--ttft", type=int, default=2048)
    b.add_argument("--batches", type=lambda s: [int(x) for x in s.split(",") if x], default=[1, 32])
    b.add_argument("--prompt", type=int, default=16)
    b.add_argument("--copy", action="store_true", help="measure the copy bandwidth (a -x over --copy-gib of f32)")
    b.add_argument("--copy-gib", type=float, default=4.0)
    b.add_argument("--greedy-tokens", type=int, default=32)
    b.add_argument("--moe", default="auto", choices=["auto", "dense", "gather", "ragged"])
    b.add_argument("--ttft-moe", type=lambda s: s.split(","), default=["auto"],
                   help="MoE modes to time the first token with, comma-separated (auto: dense for a prompt)")
    b.add_argument("--loop", type=int, default=0, help="also time an on-device loop of this many tokens per call")
    b.add_argument("--sampled", action="store_true", help="also time sampled decoding (temperature 0.7, top-p 0.95)")
    pf = sub.add_parser("prefill", help="TTFT per MoE mode and the prompt's logits under the fastest")
    pf.add_argument("dir")
    pf.add_argument("--label")
    pf.add_argument("--tokens", type=int, default=2048)
    pf.add_argument("--moe", type=lambda s: s.split(","), default=["dense", "ragged"])
    pf.add_argument("--logits-out", help="f32 .npy of the logits [tokens, vocab] under the fastest mode")
    pf.add_argument("--oracle-out", help="f32 .npy of the f32 oracle's logits (every activation f32, HIGHEST dots, "
                    "MoE dense); each mode's bf16 logits are compared with it")
    cl = sub.add_parser("compare-logits", help="JAX .npy logits vs xla4j's safetensors logits")
    cl.add_argument("jax")
    cl.add_argument("xla4j")
    cl.add_argument("--oracle", help="the f32 oracle's logits (.npy from prefill --oracle-out): both sides' distance to it")
    cl.add_argument("--label", default="bf16")
    pr = sub.add_parser("prompts", help="the bench's prompts, one line of comma-separated ids per row")
    pr.add_argument("--rows", type=int, default=1)
    pr.add_argument("--tokens", type=int, default=16)
    pr.add_argument("--vocab", type=int, default=32768)
    a = ap.parse_args(argv)
    if a.cmd == "prompts":
        for r in range(a.rows):
            print(",".join(map(str, prompt_tokens(a.tokens, a.vocab, r))))
        return 0
    if a.cmd == "write":
        write(a.dir, a.preset, a.seed)
        return 0
    if a.cmd == "check":
        return check(a.seed, a.tmp)
    if a.cmd == "prefill":
        return prefill(a)
    if a.cmd == "compare-logits":
        return compare_logits(a)
    bench(a)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
