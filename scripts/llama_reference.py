#!/usr/bin/env python3
"""Independent numpy oracle for Hugging Face LlamaForCausalLM, written from the equations.

Writes, for a seed and a variant, a tiny random HF checkpoint directory plus the expected logits:
  DIR/config.json           HF keys (vocab_size, hidden_size, ..., rope_scaling, tie_word_embeddings, torch_dtype)
  DIR/model.safetensors     HF tensor names, torch Linear layout [out, in], F32 or BF16
  DIR/io.safetensors        tokens I32 [B, T], attention_mask I32 [B, T], logits F32 [B, T, vocab]
                            (and segment_ids I32 [B, T] for the variants that pack sequences)

Equations (computed in float64 from the stored, possibly bf16-rounded, weights):
  h = E[tokens]
  per layer: x = rms(h) * w_in;  h += o(attn(x));  y = rms(h) * w_post;  h += down(silu(gate(y)) * up(y))
  rms(x) = x / sqrt(mean(x^2) + eps)
  attn: q, k, v = x Wq^T (+bq), ...; RoPE rotate_half with inv_freq = 1/theta^(arange(0, d, 2)/d)
        (llama3 scaling when configured), positions 0..T-1; query head h uses kv head h // (H/Hkv);
        qk_norm: q, k = rms(q) * w_qnorm, rms(k) * w_knorm over the head dim, BEFORE RoPE (xlstm-jax);
        scores = q.k / sqrt(d); key j visible to query i iff (j <= i, unless causal is false) and
        attention_mask[j] != 0 and (with segment ids) segment_ids[i] == segment_ids[j];
        softmax over visible keys (a query with none gets 0); out Wo^T (+bo)
  logits = rms(h) * w_norm @ lm_head^T   (or @ E^T when tie_word_embeddings)

Usage: python3 scripts/llama_reference.py VARIANT OUTDIR [SEED]
       (VARIANT: base | tied | llama3 | qknorm | packed | bidir)
"""
import json, math, pathlib, struct, sys
import numpy as np

VARIANTS = {
    # f32 weights, untied, q/k/v/o biases, pad id 0 (right padding in row 1)
    "base": dict(dtype="float32", tie=False, attention_bias=True, mlp_bias=False, pad=0, theta=10000.0, scaling=None),
    # bf16 weights, tied embeddings, MLP biases, no pad id (an explicit attention_mask instead)
    "tied": dict(dtype="bfloat16", tie=True, attention_bias=False, mlp_bias=True, pad=None, theta=10000.0, scaling=None),
    # f32, rope_scaling llama3 with a small theta and original length so all three bands occur at d=8
    "llama3": dict(dtype="float32", tie=False, attention_bias=False, mlp_bias=False, pad=None, theta=100.0,
                   scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
                                original_max_position_embeddings=32)),
    # f32, qk_norm (xlstm-jax's q_norm / k_norm scales), causal, explicit attention_mask
    "qknorm": dict(dtype="float32", tie=False, attention_bias=False, mlp_bias=False, pad=None, theta=10000.0,
                   scaling=None, qk_norm=True),
    # f32, packed sequences: segment ids (0 is a segment like any other), causal, no padding
    "packed": dict(dtype="float32", tie=False, attention_bias=True, mlp_bias=False, pad=None, theta=10000.0,
                   scaling=None, segments=True, full_mask=True),
    # f32, bidirectional (causal false) with qk_norm, segment ids and an explicit attention_mask
    "bidir": dict(dtype="float32", tie=False, attention_bias=False, mlp_bias=False, pad=None, theta=10000.0,
                  scaling=None, qk_norm=True, causal=False, segments=True),
}
# packed rows: row 0 holds three documents, row 1 two (segment 0 included, as xlstm-jax's segment_mask treats it)
SEGMENTS = [[1, 1, 1, 2, 2, 3, 3], [0, 0, 0, 0, 4, 4, 4]]
VOCAB, D, F, LAYERS, H, HKV, HD = 64, 32, 48, 2, 4, 2, 8
EPS = 1e-5
B, T = 2, 7


def bf16_round(x):
    """Round float32 values to bfloat16 (nearest, ties to even); returns float32 holding them."""
    u = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) >> 16 << 16
    return u.astype(np.uint32).view(np.float32)


def write_safetensors(path, tensors):
    """tensors: dict name -> (dtype string, np array). Data in insertion order, no padding."""
    header, blobs, at = {}, [], 0
    for name, (dt, a) in tensors.items():
        if dt == "BF16":
            raw = (np.asarray(a, np.float32).view(np.uint32) >> 16).astype("<u2").tobytes()
        elif dt == "F32":
            raw = np.asarray(a, "<f4").tobytes()
        elif dt == "I32":
            raw = np.asarray(a, "<i4").tobytes()
        else:
            raise ValueError(dt)
        header[name] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [at, at + len(raw)]}
        blobs.append(raw)
        at += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for r in blobs:
            f.write(r)


def inv_freq(d, theta, scaling):
    inv = 1.0 / theta ** (np.arange(0, d, 2, dtype=np.float64) / d)
    if scaling is None:
        return inv
    factor, lo, hi, orig = (scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"],
                            scaling["original_max_position_embeddings"])
    out = np.empty_like(inv)
    for i, f in enumerate(inv):
        wl = 2 * math.pi / f
        if wl < orig / hi:
            out[i] = f
        elif wl > orig / lo:
            out[i] = f / factor
        else:
            s = (orig / wl - lo) / (hi - lo)
            out[i] = (1 - s) * f / factor + s * f
    return out


def rotate_half(x):
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def rms(x, w):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + EPS) * w


def forward(p, cfg, tokens, mask, seg):
    h = p["model.embed_tokens.weight"][tokens]
    inv = inv_freq(HD, cfg["theta"], cfg["scaling"]).astype(np.float32).astype(np.float64)
    ang = np.arange(T, dtype=np.float64)[:, None] * inv[None, :]
    cos = np.cos(np.concatenate([ang, ang], -1))[None, :, None, :]
    sin = np.sin(np.concatenate([ang, ang], -1))[None, :, None, :]
    order = np.tril(np.ones((T, T), bool)) if cfg.get("causal", True) else np.ones((T, T), bool)
    visible = order[None, :, :] & (mask[:, None, :] != 0)  # [B, Tq, Tk]
    if seg is not None:
        visible = visible & (seg[:, :, None] == seg[:, None, :])

    def lin(x, name, bias):
        y = x @ p[name + ".weight"].T
        return y + p[name + ".bias"] if bias else y

    for l in range(LAYERS):
        pre = f"model.layers.{l}."
        x = rms(h, p[pre + "input_layernorm.weight"])
        ab = cfg["attention_bias"]
        q = lin(x, pre + "self_attn.q_proj", ab).reshape(B, T, H, HD)
        k = lin(x, pre + "self_attn.k_proj", ab).reshape(B, T, HKV, HD)
        v = lin(x, pre + "self_attn.v_proj", ab).reshape(B, T, HKV, HD)
        if cfg.get("qk_norm"):
            q = rms(q, p[pre + "self_attn.q_norm.weight"])
            k = rms(k, p[pre + "self_attn.k_norm.weight"])
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        out = np.zeros((B, T, H, HD))
        for hh in range(H):
            kv = hh // (H // HKV)
            s = np.einsum("bqd,bkd->bqk", q[:, :, hh], k[:, :, kv]) / math.sqrt(HD)
            s = np.where(visible, s, -np.inf)
            m = np.max(s, axis=-1, keepdims=True)
            e = np.where(visible, np.exp(s - np.where(np.isfinite(m), m, 0)), 0.0)
            z = e.sum(-1, keepdims=True)
            w = np.where(z > 0, e / np.where(z > 0, z, 1), 0.0)
            out[:, :, hh] = np.einsum("bqk,bkd->bqd", w, v[:, :, kv])
        h = h + lin(out.reshape(B, T, H * HD), pre + "self_attn.o_proj", ab)
        y = rms(h, p[pre + "post_attention_layernorm.weight"])
        mb = cfg["mlp_bias"]
        g = lin(y, pre + "mlp.gate_proj", mb)
        act = g / (1 + np.exp(-g))
        h = h + lin(act * lin(y, pre + "mlp.up_proj", mb), pre + "mlp.down_proj", mb)
    h = rms(h, p["model.norm.weight"])
    head = p["model.embed_tokens.weight"] if cfg["tie"] else p["lm_head.weight"]
    return h @ head.T


def main():
    variant, out = sys.argv[1], pathlib.Path(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 7
    cfg = VARIANTS[variant]
    rng = np.random.default_rng(seed)
    params = {}

    def put(name, *shape, scale=None, center=0.0):
        s = scale if scale is not None else 1.0 / math.sqrt(shape[-1])
        a = (center + s * rng.standard_normal(shape)).astype(np.float32)
        params[name] = bf16_round(a) if cfg["dtype"] == "bfloat16" else a

    # tied: the table is also the output projection, so 1/sqrt(D) keeps logits O(1) as lm_head does
    put("model.embed_tokens.weight", VOCAB, D, scale=1.0 / math.sqrt(D) if cfg["tie"] else 1.0)
    for l in range(LAYERS):
        pre = f"model.layers.{l}."
        for n, o, i in (("q", H * HD, D), ("k", HKV * HD, D), ("v", HKV * HD, D), ("o", D, H * HD)):
            put(pre + f"self_attn.{n}_proj.weight", o, i)
            if cfg["attention_bias"]:
                put(pre + f"self_attn.{n}_proj.bias", o, scale=0.1)
        for n, o, i in (("gate", F, D), ("up", F, D), ("down", D, F)):
            put(pre + f"mlp.{n}_proj.weight", o, i)
            if cfg["mlp_bias"]:
                put(pre + f"mlp.{n}_proj.bias", o, scale=0.1)
        put(pre + "input_layernorm.weight", D, scale=0.1, center=1.0)
        put(pre + "post_attention_layernorm.weight", D, scale=0.1, center=1.0)
        if cfg.get("qk_norm"):
            # spread 0.3 so that a wrong placement of the scales shows in the logits
            put(pre + "self_attn.q_norm.weight", HD, scale=0.3, center=1.0)
            put(pre + "self_attn.k_norm.weight", HD, scale=0.3, center=1.0)
    put("model.norm.weight", D, scale=0.1, center=1.0)
    if not cfg["tie"]:
        put("lm_head.weight", VOCAB, D)

    tokens = rng.integers(1, VOCAB, size=(B, T)).astype(np.int32)
    mask = np.ones((B, T), np.int32)
    if cfg["pad"] is not None:
        tokens[1, T - 2:] = cfg["pad"]  # right padding: the pad keys are hidden, every query still sees key 0
        mask = (tokens != cfg["pad"]).astype(np.int32)
    elif not cfg.get("full_mask"):
        mask[1, T - 3:] = 0             # an explicit attention_mask (no pad id in the config)
    seg = np.array(SEGMENTS, np.int32) if cfg.get("segments") else None

    logits = forward({k: v.astype(np.float64) for k, v in params.items()}, cfg, tokens, mask, seg)

    out.mkdir(parents=True, exist_ok=True)
    config = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "vocab_size": VOCAB, "hidden_size": D, "intermediate_size": F, "num_hidden_layers": LAYERS,
        "num_attention_heads": H, "num_key_value_heads": HKV, "head_dim": HD, "rms_norm_eps": EPS,
        "rope_theta": cfg["theta"], "rope_scaling": cfg["scaling"], "max_position_embeddings": 128,
        "tie_word_embeddings": cfg["tie"], "attention_bias": cfg["attention_bias"], "mlp_bias": cfg["mlp_bias"],
        "bos_token_id": 1, "eos_token_id": [2, 3], "pad_token_id": cfg["pad"], "torch_dtype": cfg["dtype"],
    }
    # xlstm-jax's option names, only where a variant uses them (the older fixtures stay byte-identical)
    if cfg.get("qk_norm"):
        config["qk_norm"] = True
    if "causal" in cfg:
        config["causal"] = cfg["causal"]
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    st = "BF16" if cfg["dtype"] == "bfloat16" else "F32"
    write_safetensors(out / "model.safetensors", {k: (st, v) for k, v in params.items()})
    io = {"tokens": ("I32", tokens), "attention_mask": ("I32", mask)}
    if seg is not None:
        io["segment_ids"] = ("I32", seg)
    io["logits"] = ("F32", logits.astype(np.float32))
    write_safetensors(out / "io.safetensors", io)
    print(f"{variant}: {len(params)} tensors, logits |max| {np.abs(logits).max():.3f} -> {out}")


if __name__ == "__main__":
    main()
