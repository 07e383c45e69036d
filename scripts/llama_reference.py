"""Independent numpy oracle for xla4j's Llama (Hugging Face LlamaForCausalLM) forward pass, from its equations.

Makes a tiny random Llama from a seed, in float32, and computes its logits in float64 numpy:
  h = E[tokens]; per layer: x = N(h); q, k, v = x Wq^T + bq, ...; rope (rotate_half, inv_freq = 1/theta^(arange(0,d,2)/d),
  positions 0..T-1); causal softmax(q k^T / sqrt(d)) v with query head h reading kv head h // (H / Hkv);
  h += o(...); x = N(h); h += down(silu(gate(x)) * up(x)); final N; logits = h lm_head^T.
  N(x) = weight * x / sqrt(mean(x^2) + eps).
Writes OUTDIR/llama_tiny_f32.safetensors (HF names, [out, in] matrices) and OUTDIR/llama_tiny_io.safetensors
(tokens i32 [B, T], logits f32 [B, T, vocab]; __metadata__ config).
Usage: python3 scripts/llama_reference.py [OUTDIR] [--seed N]
"""
import json, math, struct, sys, pathlib
import numpy as np

CONFIG = dict(vocab_size=96, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, head_dim=8, rope_theta=10000.0, rms_norm_eps=1e-6, tie_word_embeddings=False,
              attention_bias=True, mlp_bias=False)


def norm(x, w, eps):
    return w * (x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps))


def rope(x):  # x [B, T, H, D]
    d = x.shape[-1]
    inv = 1.0 / (CONFIG['rope_theta'] ** (np.arange(0, d, 2) / d))
    ang = np.outer(np.arange(x.shape[1]), inv)
    cos = np.cos(np.concatenate([ang, ang], -1))[None, :, None, :]
    sin = np.sin(np.concatenate([ang, ang], -1))[None, :, None, :]
    rot = np.concatenate([-x[..., d // 2:], x[..., :d // 2]], -1)
    return x * cos + rot * sin


def lin(x, p, name):
    y = x @ p[name + '.weight'].T
    return y + p[name + '.bias'] if name + '.bias' in p else y


def forward(p, tokens):
    c = CONFIG
    b, t = tokens.shape
    hq, hkv, dh = c['num_attention_heads'], c['num_key_value_heads'], c['head_dim']
    h = p['model.embed_tokens.weight'][tokens]
    causal = np.tril(np.ones((t, t), bool))
    for l in range(c['num_hidden_layers']):
        pre = f'model.layers.{l}.'
        x = norm(h, p[pre + 'input_layernorm.weight'], c['rms_norm_eps'])
        q = rope(lin(x, p, pre + 'self_attn.q_proj').reshape(b, t, hq, dh))
        k = rope(lin(x, p, pre + 'self_attn.k_proj').reshape(b, t, hkv, dh))
        v = lin(x, p, pre + 'self_attn.v_proj').reshape(b, t, hkv, dh)
        out = np.zeros((b, t, hq, dh))
        for head in range(hq):
            kv = head // (hq // hkv)
            s = np.einsum('btd,bsd->bts', q[:, :, head], k[:, :, kv]) / math.sqrt(dh)
            s = np.where(causal[None], s, -np.inf)
            w = np.exp(s - s.max(-1, keepdims=True))
            w /= w.sum(-1, keepdims=True)
            out[:, :, head] = np.einsum('bts,bsd->btd', w, v[:, :, kv])
        h = h + lin(out.reshape(b, t, hq * dh), p, pre + 'self_attn.o_proj')
        x = norm(h, p[pre + 'post_attention_layernorm.weight'], c['rms_norm_eps'])
        g = lin(x, p, pre + 'mlp.gate_proj')
        h = h + lin(g / (1 + np.exp(-g)) * lin(x, p, pre + 'mlp.up_proj'), p, pre + 'mlp.down_proj')
    h = norm(h, p['model.norm.weight'], c['rms_norm_eps'])
    head = p['model.embed_tokens.weight'] if c['tie_word_embeddings'] else p['lm_head.weight']
    return h @ head.T


def random_model(rng):
    c = CONFIG
    d, f, dh = c['hidden_size'], c['intermediate_size'], c['head_dim']
    q, kv = c['num_attention_heads'] * dh, c['num_key_value_heads'] * dh
    mat = lambda o, i: rng.standard_normal((o, i)) / math.sqrt(i)
    p = {'model.embed_tokens.weight': rng.standard_normal((c['vocab_size'], d)),
         'model.norm.weight': 1 + 0.1 * rng.standard_normal(d)}
    if not c['tie_word_embeddings']:
        p['lm_head.weight'] = mat(c['vocab_size'], d)
    for l in range(c['num_hidden_layers']):
        pre = f'model.layers.{l}.'
        for n, o, i in (('q_proj', q, d), ('k_proj', kv, d), ('v_proj', kv, d), ('o_proj', d, q)):
            p[pre + f'self_attn.{n}.weight'] = mat(o, i)
            if c['attention_bias']:
                p[pre + f'self_attn.{n}.bias'] = 0.1 * rng.standard_normal(o)
        for n, o, i in (('gate_proj', f, d), ('up_proj', f, d), ('down_proj', d, f)):
            p[pre + f'mlp.{n}.weight'] = mat(o, i)
        p[pre + 'input_layernorm.weight'] = 1 + 0.1 * rng.standard_normal(d)
        p[pre + 'post_attention_layernorm.weight'] = 1 + 0.1 * rng.standard_normal(d)
    return {k: v.astype(np.float32) for k, v in p.items()}


def save(path, tensors, metadata):
    header, blobs, off = {'__metadata__': metadata}, [], 0
    for k, (dt, arr) in tensors.items():
        raw = np.ascontiguousarray(arr).tobytes()
        header[k] = {'dtype': dt, 'shape': list(arr.shape), 'data_offsets': [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as fh:
        fh.write(struct.pack('<Q', len(h)))
        fh.write(h)
        for b in blobs:
            fh.write(b)


def main(argv):
    seed = int(argv[argv.index('--seed') + 1]) if '--seed' in argv else 5
    args = [a for i, a in enumerate(argv) if not a.startswith('--') and (i == 0 or argv[i - 1] != '--seed')]
    out = pathlib.Path(args[0] if args else 'tests/src/test/resources/llama')
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    p = random_model(rng)
    tokens = np.array([[1, 17, 33, 4, 90, 12, 7], [3, 3, 58, 0, 21, 95, 44]], dtype=np.int32)
    logits = forward({k: v.astype(np.float64) for k, v in p.items()}, tokens).astype(np.float32)
    meta = {'config': json.dumps(CONFIG), 'seed': str(seed)}
    save(out / 'llama_tiny_f32.safetensors', {k: ('F32', v) for k, v in p.items()}, meta)
    save(out / 'llama_tiny_io.safetensors', {'tokens': ('I32', tokens), 'logits': ('F32', logits)}, meta)
    print(f'wrote {out}: seed {seed}, max |logit| {np.abs(logits).max():.3f}')


if __name__ == '__main__':
    main(sys.argv[1:])
