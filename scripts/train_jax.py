"""JAX's side of issue 13's training comparison: a Grok-1-shaped model trained with jax.value_and_grad + optax
(clip_by_global_norm, then adamw) from a checkpoint directory, beside `xla4j train --model DIR` on the same weights
and batches.

Both sides do the same math (models/.../train/GrokTraining.java is the xla4j side):
  * parameters: an f32 master copy of every checkpoint tensor (bf16 matrices widened exactly), in xla4j's tree
    paths and layouts ([in, out] matrices, experts stacked [E, in, out], router [D, E]); AdamW state f32;
  * the loss casts the matrices to bf16 (embeddings, norms and router stay f32) and runs Grok-1's forward as
    xla4j's Grok1.forward does, op for op: embeddings looked up in f32, cast to bf16, times a bf16 multiplier;
    RMSNorm in f32; bias-free bf16 projections; NeoX RoPE in f32 (inverse frequencies exp(-2i/d ln theta));
    attention logits q.k rounded to bf16, then f32, times the scale, tanh soft-capped, causal + key-padding mask
    (-1e30), f32 softmax whose fully hidden rows give 0, weights cast to bf16, times v with f32 accumulation;
    MoE with Grok-1's router (f32 softmax, top-k, gates not renormalized, rounded to bf16), experts
    (gelu_tanh(x W) * (x V)) W1 with every matmul result bf16, DENSE (all experts, gated einsum in f32) or
    CAPACITY (xla4j's CapacityMoe: rank-major priority, copies past capacity dropped and counted); final RMSNorm;
    logits h E^T with the tied table cast to bf16, times a bf16 multiplier, as f32;
  * loss: mean next-token cross entropy over valid targets (target != 0): a row of S tokens gives the model its
    first S-1 and predicts tokens 1..S-1; the MoE aux loss is not added;
  * optimizer: optax.chain(optax.clip_by_global_norm(clip), optax.adamw(lr, b1=0.9, b2=0.999, eps=1e-8,
    weight_decay=wd)) (decay on every parameter); without optax, the same equations in jax.numpy
    (--optimizer plain selects them explicitly).
With --compute f32 every bf16 cast above is an f32 one (none), and the step is traced under
jax.default_matmul_precision("highest"): `xla4j train --compute f32` does the same math to f32 rounding.
The step is jax.jit(step, donate_argnums=(0, 1)) (parameters and optimizer state donated), compiled once with
.lower().compile() (timed as compile_s); each step's time is the call with its batch put on the device plus
reading the loss back (as xla4j's loop does); median over steps 2..N.

Commands:
  tokens OUT.safetensors --count N --vocab V [--seed 0]   1-D int32 'tokens', uniform in [1, V) (numpy only)
  train DIR --data FILE [--fixed-batch] [--batch 8] [--seq 513] [--steps 10] [--lr 1e-3] [--weight-decay 0.1]
        [--clip 1.0] [--moe dense[,capacity]] [--capacity-factor 2.0] [--compute bf16|f32] [--output OUT.json]
                                                           one JSON object per MoE mode (a list when several)
  check                                                    the forward against scripts/grok_reference.py's numpy
                                                           oracle on its tiny model (max |diff| of the logits), and
                                                           optax's AdamW against the plain one (rc 1 when off)
"""
import argparse
import json
import math
import os
import pathlib
import struct
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import grok_jax_decode as gjd  # noqa: E402  (the checkpoint writer and reader, the decode model)

EXPERT_MATS = ("linear", "linear_v", "linear_1")
POLICY = {"bf16": "f32 master weights and AdamW state, bf16 compute",
          "f32": "f32 master weights and AdamW state, f32 compute, HIGHEST dot precision"}
PRECISION = {"bf16": "default", "f32": "highest"}
ATT_MATS = ("query", "key", "value", "linear")
NORMS = ("rms_norm", "rms_norm_1", "rms_norm_2", "rms_norm_3")


# ------------------------------------------------------------------ data
def write_tokens(path, count, vocab, seed):
    ids = np.random.default_rng(seed).integers(1, vocab, size=count, dtype=np.int64).astype(np.int32)
    gjd.write_safetensors(path, {"tokens": ("I32", ids)})
    print(f"wrote {path}: {count} token ids in [1, {vocab}), seed {seed}", flush=True)


def read_tokens(path):
    """The 1-D integer tensor 'tokens' of one safetensors file."""
    raw = pathlib.Path(path).read_bytes()
    hl = struct.unpack("<Q", raw[:8])[0]
    hdr = json.loads(raw[8:8 + hl])
    m = hdr["tokens"]
    kinds = {"I32": np.int32, "I64": np.int64, "I16": np.int16, "U16": np.uint16, "U8": np.uint8, "I8": np.int8}
    a, b = m["data_offsets"]
    t = np.frombuffer(raw[8 + hl + a:8 + hl + b], kinds[m["dtype"]]).reshape(m["shape"])
    if t.ndim != 1:
        raise ValueError(f"{path}: 'tokens' must be 1-D, got {m['shape']}")
    return t.astype(np.int32)


def batch_of(ids, step, batch, seq):
    """xla4j's TokenStream.batch: window w = step*batch + b starts at (w*seq) mod (n - seq + 1)."""
    span = len(ids) - seq + 1
    if span < 1:
        raise ValueError(f"the data ({len(ids)} tokens) is shorter than one sequence of {seq}")
    rows = [ids[(w * seq) % span:(w * seq) % span + seq] for w in range(step * batch, step * batch + batch)]
    return np.stack(rows).astype(np.int32)


# ------------------------------------------------------------------ checkpoint -> f32 master tree (xla4j's paths)
def f32_of(dt, a):
    if dt == "BF16":
        return (np.asarray(a).astype(np.uint32) << 16).view(np.float32)
    if dt == "F32":
        return np.asarray(a, np.float32)
    raise ValueError(f"dtype {dt}: train takes bf16/f32 checkpoints (int8 is for inference)")


def config_of(dir_):
    """The constants xla4j's Grok1HfConfig reads, with Grok-1's defaults where a key is absent."""
    c = json.load(open(os.path.join(dir_, "config.json")))
    d, hq = c["hidden_size"], c["num_attention_heads"]
    dh = c.get("head_dim") or d // hq
    return dict(vocab=c["vocab_size"], d=d, layers=c["num_hidden_layers"], hq=hq,
                hkv=c.get("num_key_value_heads") or hq, dh=dh, f=c["intermediate_size"],
                e=c.get("num_experts") or 8, k=c.get("num_experts_per_tok") or 2,
                context=c.get("max_position_embeddings") or 8192, theta=c.get("rope_theta", 1e4),
                emb_mult=c.get("embedding_multiplier_scale", math.sqrt(d)),
                out_mult=c.get("output_multiplier_scale", 1 / math.sqrt(3)),
                att_mult=c.get("attn_output_multiplier", 1 / math.sqrt(dh)),
                cap=c.get("max_attn_value", 30.0), eps=c.get("rms_norm_eps", 1e-5))


def load_master(dir_, c):
    """(params: path -> f32 numpy, matrices: the set of paths the loss casts to bf16)."""
    t = gjd.read_safetensors(dir_)
    if any(n.endswith(".scales") for n in t):
        raise ValueError(f"{dir_}: an int8 checkpoint cannot be trained; give its bf16 original")
    p, mats = {}, set()

    def get(name):
        dt, a = t[name]
        return f32_of(dt, a)

    p["language_model/in_out_embed/embeddings"] = get("transformer.in_out_embed.weight")
    p["language_model/rms_norm/scale"] = get("transformer.rms_norm.weight")
    for i in range(c["layers"]):
        pre, to = f"transformer.decoder_layer.{i}.", f"transformer/decoder_layer_{i}/"
        for n in ATT_MATS:
            p[to + f"multi_head_attention/{n}/w"] = np.ascontiguousarray(get(pre + f"multi_head_attention.{n}.weight").T)
            mats.add(to + f"multi_head_attention/{n}/w")
        p[to + "router/w"] = np.ascontiguousarray(get(pre + "router.weight").T)
        for n in EXPERT_MATS:
            p[to + f"moe/{n}/w"] = np.stack([get(pre + f"moe.{x}.{n}.weight").T for x in range(c["e"])])
            mats.add(to + f"moe/{n}/w")
        for n in NORMS:
            p[to + n + "/scale"] = get(pre + n + ".weight")
    return p, mats


# ------------------------------------------------------------------ the model (xla4j's Grok1.forward, op for op)
def make_loss(c, moe_mode, capacity_factor, mats, compute="bf16"):
    """compute: 'bf16' (Grok-1's mixed precision: the casts described at the top) or 'f32' (every bf16 cast of
    the forward becomes f32, i.e. none: the same math as `xla4j train --compute f32`; the caller traces under
    jax.default_matmul_precision('highest') so no dot uses TF32/bf16 passes)."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    f32 = jnp.float32
    bf = {"bf16": jnp.bfloat16, "f32": jnp.float32}[compute]   # the activations' type: every "bf" below
    d, hq, hkv, dh, e, k = c["d"], c["hq"], c["hkv"], c["dh"], c["e"], c["k"]
    g_per = hq // hkv

    def rms_norm(x, scale):
        f = x.astype(f32)
        y = f * lax.rsqrt(jnp.mean(jnp.square(f), axis=-1, keepdims=True) + c["eps"])
        return (y * scale.astype(f32)).astype(x.dtype)

    def gelu_tanh(x):
        f = x.astype(f32)
        inner = jnp.tanh((f + f * f * f * 0.044715) * math.sqrt(2 / math.pi))
        return (f * 0.5 * (inner + 1.0)).astype(x.dtype)

    def rotate_half(x):
        h = x.shape[-1] // 2
        return jnp.concatenate([-x[..., h:], x[..., :h]], axis=-1)

    def rope(x, cos, sin):
        rot = x.astype(f32)
        return (rot * cos + rotate_half(rot) * sin).astype(x.dtype)

    def softmax_hidden_zero(s):
        m = jnp.max(s, axis=-1, keepdims=True)
        m = jnp.where(m > -1e30 / 2, m, 0.0)
        ex = jnp.exp(s - m)
        return ex / jnp.maximum(jnp.sum(ex, axis=-1, keepdims=True), 1e-30)

    def attention(x, p, keymask):
        b, t, _ = x.shape
        q = (x @ p["query"]).reshape(b, t, hq, dh)
        kk = (x @ p["key"]).reshape(b, t, hkv, dh)
        v = (x @ p["value"]).reshape(b, t, hkv, dh)
        inv = jnp.exp(jnp.arange(0, dh, 2, dtype=f32) * (-math.log(c["theta"]) / dh))
        ang = jnp.arange(t, dtype=jnp.int32).astype(f32)[:, None] * inv
        cos = jnp.concatenate([jnp.cos(ang), jnp.cos(ang)], -1)[:, None, :]
        sin = jnp.concatenate([jnp.sin(ang), jnp.sin(ang)], -1)[:, None, :]
        q, kk = rope(q, cos, sin), rope(kk, cos, sin)
        q5 = q.reshape(b, t, hkv, g_per, dh).transpose(0, 2, 3, 1, 4)                   # [B, Hkv, G, T, dh]
        s = jnp.einsum("bkgtd,bskd->bkgts", q5, kk).astype(f32)
        s = s * c["att_mult"]
        s = jnp.tanh(s / c["cap"]) * c["cap"]
        pos = jnp.arange(t, dtype=jnp.int32)
        visible = keymask[:, None, None, None, :] & (pos[None, None, None, None, :] <= pos[None, None, None, :, None])
        s = jnp.where(visible, s, -1e30)
        w = softmax_hidden_zero(s)
        o = jnp.einsum("bkgts,bskd->bkgtd", w.astype(bf), v, preferred_element_type=f32).astype(f32)
        o = o.transpose(0, 3, 1, 2, 4).reshape(b, t, hq, dh).astype(bf)
        return o.reshape(b, t, hq * dh) @ p["linear"]

    def ffn(xe, p):
        """[G, M, D] through experts stacked [G, ...]; every matmul result bf16."""
        a = jnp.einsum("gmd,gdf->gmf", xe, p["moe/linear/w"])
        v = jnp.einsum("gmd,gdf->gmf", xe, p["moe/linear_v/w"])
        return jnp.einsum("gmf,gfd->gmd", gelu_tanh(a) * v, p["moe/linear_1/w"])

    def combine(y, gates, dtype):
        g = gates.astype(bf).astype(f32)
        return jnp.sum(y.astype(f32) * g[..., None], axis=1).astype(dtype)

    def moe(x, p):
        n = x.shape[0] * x.shape[1]
        xs = x.reshape(n, d)
        z = xs.astype(f32) @ p["router/w"].astype(f32)
        ez = jnp.exp(z - jnp.max(z, axis=-1, keepdims=True))
        probs = ez / jnp.sum(ez, axis=-1, keepdims=True)
        gates, experts = lax.top_k(probs, k)
        if moe_mode == "dense":
            y = ffn(jnp.broadcast_to(xs[None], (e, n, d)), p)                                # [E, N, D]
            slots = jax.nn.one_hot(experts, e, dtype=f32)                                    # [N, K, E]
            gm = jnp.sum(slots * gates.astype(bf).astype(f32)[..., None], axis=1)           # [N, E]
            out = jnp.einsum("ne,end->nd", gm, y.astype(f32), preferred_element_type=f32).astype(x.dtype)
            dropped = jnp.zeros((), jnp.int32)
        elif moe_mode == "capacity":
            cap = max(1, math.ceil(n * k / e * capacity_factor))
            ids = experts.T.reshape(k * n)                                                   # rank-major priority
            hot = jax.nn.one_hot(ids, e, dtype=jnp.int32)
            pos = jnp.sum((jnp.cumsum(hot, axis=0) - hot) * hot, axis=1)
            kept = pos < cap
            dropped = jnp.sum((~kept).astype(jnp.int32))
            slot = jnp.where(kept, ids * cap + pos, e * cap)
            rows = jnp.broadcast_to(xs[None], (k, n, d)).reshape(k * n, d)
            buf = jnp.zeros((e * cap, d), x.dtype).at[slot].add(rows, mode="drop").reshape(e, cap, d)
            y = ffn(buf, p).reshape(e * cap, d)
            back = y[jnp.minimum(slot, e * cap - 1)].reshape(k, n, d).transpose(1, 0, 2)       # [N, K, D]
            out = combine(back, jnp.where(kept.reshape(k, n).T, gates, 0.0), x.dtype)
        else:
            raise ValueError(f"moe mode {moe_mode}")
        return out.reshape(x.shape), dropped

    def forward(master, tokens):
        pp = {n: (w.astype(bf) if n in mats else w) for n, w in master.items()}
        table = pp["language_model/in_out_embed/embeddings"]
        h = jnp.take(table, tokens, axis=0).astype(bf) * jnp.asarray(c["emb_mult"], bf)
        keymask = tokens != 0
        dropped = jnp.zeros((), jnp.int32)
        for i in range(c["layers"]):
            pre = f"transformer/decoder_layer_{i}/"
            lp = {n[len(pre):]: w for n, w in pp.items() if n.startswith(pre)}
            att = {m: lp[f"multi_head_attention/{m}/w"] for m in ATT_MATS}
            x = rms_norm(h, lp["rms_norm/scale"])
            a = attention(x, att, keymask)
            h1 = h + rms_norm(a, lp["rms_norm_1/scale"])
            y = rms_norm(h1, lp["rms_norm_2/scale"])
            mo, dr = moe(y, lp)
            dropped = dropped + dr
            h = h1 + rms_norm(mo, lp["rms_norm_3/scale"])
        h = rms_norm(h, pp["language_model/rms_norm/scale"])
        logits = jnp.einsum("btd,vd->btv", h, table.astype(bf)) * jnp.asarray(c["out_mult"], bf)
        return logits.astype(f32), dropped

    def loss(master, tokens):
        logits, dropped = forward(master, tokens[:, :-1])
        tg = tokens[:, 1:]
        z = logits
        m = lax.stop_gradient(jnp.max(z, axis=2, keepdims=True))
        lse = jnp.log(jnp.sum(jnp.exp(z - m), axis=2)) + m[..., 0]
        target = jnp.sum(z * jax.nn.one_hot(tg, z.shape[2], dtype=f32), axis=2)
        valid = (tg != 0).astype(f32)
        return jnp.sum((lse - target) * valid) / jnp.maximum(jnp.sum(valid), 1.0), dropped

    return loss, forward


# ------------------------------------------------------------------ the optimizer
def plain_adamw(lr, b1, b2, eps, wd, clip):
    """optax.chain(clip_by_global_norm(clip), adamw(...)) from optax's documented equations, in jax.numpy:
    g <- g if |g| < clip else g / |g| * clip; m <- b1 m + (1-b1) g; v <- b2 v + (1-b2) g^2; t <- t + 1;
    u = (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps) + wd * p; p <- p - lr * u."""
    import jax
    import jax.numpy as jnp

    def init(params):
        z = jax.tree.map(jnp.zeros_like, params)
        return {"m": z, "v": jax.tree.map(jnp.zeros_like, params), "count": jnp.zeros((), jnp.int32)}

    def update(grads, state, params):
        if clip > 0:
            norm = jnp.sqrt(sum(jnp.sum(jnp.square(g)) for g in jax.tree.leaves(grads)))
            grads = jax.tree.map(lambda g: jnp.where(norm < clip, g, g / norm * clip), grads)
        count = state["count"] + 1
        m = jax.tree.map(lambda m, g: (1 - b1) * g + b1 * m, state["m"], grads)
        v = jax.tree.map(lambda v, g: (1 - b2) * g * g + b2 * v, state["v"], grads)
        c1 = 1 - b1 ** count.astype(jnp.float32)
        c2 = 1 - b2 ** count.astype(jnp.float32)
        new = jax.tree.map(lambda p, m, v: p - lr * ((m / c1) / (jnp.sqrt(v / c2) + eps) + wd * p), params, m, v)
        return new, {"m": m, "v": v, "count": count}

    return init, update


def optimizer(kind, lr, wd, clip):
    """(init, update(grads, state, params) -> (new params, new state), label)."""
    if kind == "optax":
        try:
            import optax
        except ImportError:
            kind = "plain"
        else:
            parts = ([optax.clip_by_global_norm(clip)] if clip > 0 else []) + [
                optax.adamw(lr, b1=0.9, b2=0.999, eps=1e-8, weight_decay=wd)]
            tx = optax.chain(*parts)

            def update(grads, state, params):
                u, state = tx.update(grads, state, params)
                return optax.apply_updates(params, u), state
            return tx.init, update, f"optax {optax.__version__}"
    init, update = plain_adamw(lr, 0.9, 0.999, 1e-8, wd, clip)
    return init, update, "plain jax.numpy (optax's equations)"


# ------------------------------------------------------------------ train
def train(a):
    import jax
    import jax.numpy as jnp
    c = config_of(a.dir)
    if a.seq - 1 > c["context"]:
        raise SystemExit(f"--seq {a.seq} gives the model {a.seq - 1} tokens per row, more than its context {c['context']}")
    ids = read_tokens(a.data)
    if ids.min() < 0 or ids.max() >= c["vocab"]:
        raise SystemExit(f"--data {a.data}: ids outside [0, {c['vocab']})")
    batches = [batch_of(ids, 0 if a.fixed_batch else i, a.batch, a.seq) for i in range(a.steps)]
    print(f"jax {jax.__version__} on {jax.devices()[0].device_kind} ({jax.default_backend()})", flush=True)
    t0 = time.perf_counter()
    host, mats = load_master(a.dir, c)
    load_s = time.perf_counter() - t0
    nparams = int(sum(v.size for v in host.values()))
    print(f"loaded {a.dir}: {nparams:,} parameters in {load_s:.1f} s", flush=True)
    records = []
    for mode in a.moe:
        rec = dict(who="jax", model=a.dir, kind=f"grok1 {mode} moe, vanilla attention", backend=jax.default_backend(),
                   parameters=nparams, batch=a.batch, seq=a.seq, tokens_per_step=a.batch * (a.seq - 1),
                   dtype_policy=POLICY[a.compute], lr=a.lr, b1=0.9, b2=0.999,
                   eps=1e-8, weight_decay=a.weight_decay, clip=a.clip,
                   data=f"{a.data}" + (" (first batch)" if a.fixed_batch else ""), load_s=load_s, jax=jax.__version__)
        try:
            loss_fn, _ = make_loss(c, mode, a.capacity_factor, mats, a.compute)
            init, update, label = optimizer(a.optimizer, a.lr, a.weight_decay, a.clip)
            rec["optimizer"] = label

            def step(params, state, tokens):
                (loss, dropped), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, tokens)
                params, state = update(grads, state, params)
                return params, state, loss, dropped

            params = jax.device_put(host)
            state = jax.jit(init)(params)
            jax.block_until_ready((params, state))
            t0 = time.perf_counter()
            with jax.default_matmul_precision(PRECISION[a.compute]):   # applies at tracing (lower), to every dot
                compiled = jax.jit(step, donate_argnums=(0, 1)).lower(params, state, jnp.asarray(batches[0])).compile()
            rec["compile_s"] = time.perf_counter() - t0
            try:                                     # what XLA sized: aliased = donated arguments reused in place
                m = compiled.memory_analysis()
                rec["memory"] = dict(arguments=m.argument_size_in_bytes, outputs=m.output_size_in_bytes,
                                     aliased=m.alias_size_in_bytes, temp=m.temp_size_in_bytes,
                                     peak=getattr(m, "peak_memory_in_bytes", -1))
            except Exception:                        # not every backend reports it
                pass
            print(f"{mode}: compiled in {rec['compile_s']:.1f} s ({label})", flush=True)
            losses, ms, dropped = [], [], []
            for i in range(a.steps):
                t0 = time.perf_counter()
                params, state, loss, dr = compiled(params, state, jnp.asarray(batches[i]))
                lv = float(loss)
                ms.append((time.perf_counter() - t0) * 1e3)
                losses.append(lv)
                dropped.append(int(dr))
                print(f"step {i + 1:4d}  loss {lv:.6f}  {ms[-1]:.1f} ms  dropped {dropped[-1]}", flush=True)
                if not math.isfinite(lv):
                    break
            warm = ms[1:] if len(ms) > 1 else ms
            med = float(np.median(warm))
            rec.update(first_step_ms=ms[0], median_step_ms=med, tokens_per_s=a.batch * (a.seq - 1) / (med * 1e-3),
                       losses=losses, step_ms=ms, dropped=dropped)
            del params, state, compiled
        except Exception as ex:                      # report and go on with the next mode
            rec["error"] = (type(ex).__name__ + ": " + str(ex))[:600]
            print(f"{mode}: {rec['error']}", flush=True)
        records.append(rec)
        print("JSON " + json.dumps({k: v for k, v in rec.items() if k not in ("losses", "step_ms", "dropped")}),
              flush=True)
        if a.output:                                 # after every mode: a later one may run out of time
            with open(a.output, "w") as fh:
                json.dump(records[0] if len(records) == 1 else records, fh, indent=2)
    if a.output:
        print(f"run: {a.output}", flush=True)
    return 0 if all("error" not in r for r in records) else 1


# ------------------------------------------------------------------ check (CPU is enough)
def check():
    """The forward against the numpy oracle (grok_reference.py's tiny model, the same one as the tests' fixture),
    and optax's AdamW against the plain one over 3 steps."""
    import jax
    import jax.numpy as jnp
    import grok_reference as ref
    ok = True
    rc = ref.CONFIG
    rng = np.random.default_rng(11)
    p = ref.random_model(rng, rc)
    p = {kk: (ref.bf16(w) if ref.is_matrix(kk) else w) for kk, w in p.items()}
    tokens = np.array([[5, 17, 3, 99, 42, 7, 0, 0], [0, 12, 64, 3, 8, 100, 127, 1]], dtype=np.int32)
    want, _ = ref.forward(p, tokens, rc)
    d = rc["emb"]
    c = dict(vocab=rc["vocab"], d=d, layers=rc["layers"], hq=rc["q_heads"], hkv=rc["kv_heads"], dh=rc["key_size"],
             f=ref.ffn_size(d, rc["widening"]), e=rc["experts"], k=rc["top_k"], context=rc["context"],
             theta=rc["rope_theta"], emb_mult=math.sqrt(d), out_mult=1 / math.sqrt(3),
             att_mult=1 / math.sqrt(rc["key_size"]), cap=rc["max_attn_value"], eps=rc["rms_eps"])
    mats = {kk for kk in p if ref.is_matrix(kk)}
    master = {kk: jnp.asarray(np.asarray(w, np.float32)) for kk, w in p.items()}
    keep = np.cumsum(tokens != 0, axis=1) > 0                  # a query that sees at least one real key
    scale = float(np.max(np.abs(want)))
    for mode in ("dense", "capacity"):
        _, forward = make_loss(c, mode, 4.0, mats)             # capacity factor E/K: nothing can drop
        got, dropped = jax.jit(forward)(master, jnp.asarray(tokens))
        diff = float(np.max(np.abs(np.asarray(got) - want)[keep]))
        good = diff / scale < 0.015 and int(dropped) == 0
        ok &= good
        print("JSON " + json.dumps(dict(who="jax", what="check-forward", moe=mode, max_abs_diff=diff,
                                        max_abs_logit=scale, dropped=int(dropped), ok=good)), flush=True)
    # optax (if installed) and the plain equations: 3 steps on a small tree, clipping active on steps 1 and 3
    r = np.random.default_rng(5)
    params = {"a": jnp.asarray(r.standard_normal((3, 4)), jnp.float32), "b": jnp.asarray(r.standard_normal(5), jnp.float32)}
    grads = [jax.tree.map(lambda x, s=s: jnp.asarray(r.standard_normal(x.shape) * s, jnp.float32), params)
             for s in (2.0, 0.01, 3.0)]
    outs = {}
    for kind in ("optax", "plain"):
        init, update, label = optimizer(kind, 0.05, 0.1, 0.5)
        pp, st = params, init(params)
        for g in grads:
            pp, st = update(g, st, pp)
        outs[label] = pp
    labels = list(outs)
    if len(labels) == 2:
        diff = max(float(jnp.max(jnp.abs(outs[labels[0]][kk] - outs[labels[1]][kk]))) for kk in params)
        good = diff < 1e-5
        ok &= good
        print("JSON " + json.dumps(dict(who="jax", what="check-adamw", compared=labels, max_abs_diff=diff, ok=good)))
    else:
        print("JSON " + json.dumps(dict(who="jax", what="check-adamw", note="optax not installed; plain only")))
    return 0 if ok else 1


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    tk = sub.add_parser("tokens")
    tk.add_argument("out")
    tk.add_argument("--count", type=int, required=True)
    tk.add_argument("--vocab", type=int, required=True)
    tk.add_argument("--seed", type=int, default=0)
    tr = sub.add_parser("train")
    tr.add_argument("dir")
    tr.add_argument("--data", required=True)
    tr.add_argument("--fixed-batch", action="store_true")
    tr.add_argument("--batch", type=int, default=8)
    tr.add_argument("--seq", type=int, default=513)
    tr.add_argument("--steps", type=int, default=10)
    tr.add_argument("--lr", type=float, default=1e-3)
    tr.add_argument("--weight-decay", type=float, default=0.1)
    tr.add_argument("--clip", type=float, default=1.0)
    tr.add_argument("--moe", type=lambda s: [x for x in s.split(",") if x], default=["dense"])
    tr.add_argument("--capacity-factor", type=float, default=2.0)
    tr.add_argument("--optimizer", choices=["optax", "plain"], default="optax")
    tr.add_argument("--compute", choices=["bf16", "f32"], default="bf16",
                    help="activations' type; f32 also traces every dot at precision HIGHEST")
    tr.add_argument("--output")
    sub.add_parser("check")
    a = ap.parse_args(argv)
    if a.cmd == "tokens":
        write_tokens(a.out, a.count, a.vocab, a.seed)
        return 0
    if a.cmd == "check":
        return check()
    return train(a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
