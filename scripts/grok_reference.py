"""Independent numpy oracle for xla4j's Grok-1 forward pass, written from the equations of issue 9.

Makes a tiny random Grok-1 model from a seed and computes its logits in numpy, rounding to bfloat16
at every point where Grok-1 holds a bf16 value (matmul results, activations, the residual stream).
Matmuls accumulate in float64 before that rounding. Writes into OUTDIR (default: the tests' fixture
folder):
  grok_tiny_bf16.safetensors   parameters, named by their tree paths, bf16 matrices
  grok_tiny_int8.safetensors   the same model with int8 matrices + bf16 scales (QuantizedWeight8bit)
  grok_tiny_io.safetensors     tokens (i32 [B, T]), logits_bf16 and logits_int8 (f32 [B, T, vocab]);
                               __metadata__ "config" holds the config as JSON
  grok_tiny_f32.safetensors    logits_f32: the bf16 model's logits with every activation f32 (no bf16 rounding
                               anywhere: the oracle of f32 compute, `xla4j train --compute f32`)
Usage: python3 scripts/grok_reference.py [OUTDIR] [--seed N]
Needs only numpy (bf16 is emulated with round-to-nearest-even on the f32 bit pattern).
"""
import json, math, struct, sys, pathlib
import numpy as np

CONFIG = dict(vocab=128, emb=64, layers=2, q_heads=4, kv_heads=2, key_size=16, widening=2.0,
              experts=4, top_k=2, context=64, rms_eps=1e-5, rope_theta=1e4, max_attn_value=30.0)


def ffn_size(emb, widening):
    f = int(widening * emb) * 2 // 3
    return f + (8 - f) % 8


def bf16(x):
    """Rounds float32 values to the nearest bfloat16 (ties to even); returns float32."""
    a = np.ascontiguousarray(np.asarray(x, dtype=np.float32))
    u = a.view(np.uint32).astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16
    out = r.astype(np.uint32).view(np.float32)
    return np.where(np.isnan(a), a, out).astype(np.float32)


# The rounding applied where Grok-1 holds a bf16 value: bf16 (the model), or f32 (forward(..., f32=True): the
# same equations with every activation f32, the oracle of `xla4j train --compute f32`).
_F32 = [False]


def rnd(x):
    return np.asarray(x, np.float32) if _F32[0] else bf16(x)


def bf16_bits(x):
    return (bf16(x).view(np.uint32) >> 16).astype(np.uint16)


def mm(a, b):
    """bf16 x bf16 -> bf16 matmul over the last axis of a and the second-to-last of b (f64 accumulation)."""
    return rnd(np.matmul(a.astype(np.float64), b.astype(np.float64)))


def rms_norm(x, scale, eps):
    """In f32: x * rsqrt(mean(x^2) + eps) * scale, back to bf16."""
    xf = x.astype(np.float32)
    ms = np.mean(xf * xf, axis=-1, keepdims=True, dtype=np.float32)
    y = xf * (np.float32(1) / np.sqrt(ms + np.float32(eps)))
    return rnd(y * scale.astype(np.float32))


def rotate_half(x):
    h = x.shape[-1] // 2
    return np.concatenate([-x[..., h:], x[..., :h]], axis=-1)


def rope(x, theta):
    """NeoX rotate_half RoPE over the whole head dim, in f32; x [B, T, H, D] bf16, positions arange(T)."""
    d = x.shape[-1]
    inv = (1.0 / (theta ** (np.arange(0, d, 2, dtype=np.float32) / d))).astype(np.float32)
    pos = np.arange(x.shape[1], dtype=np.float32)
    phase = np.concatenate([np.outer(pos, inv)] * 2, axis=-1)[None, :, None, :]  # [1, T, 1, D]
    xf = x.astype(np.float32)
    return rnd(xf * np.cos(phase) + rotate_half(xf) * np.sin(phase))


def gelu_tanh(x):
    x = x.astype(np.float32)
    return np.float32(0.5) * x * (np.float32(1) + np.tanh(np.float32(math.sqrt(2 / math.pi)) * (x + np.float32(0.044715) * x * x * x)))


def softmax(x, axis=-1):
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - m)
    return (e / np.sum(e, axis=axis, keepdims=True)).astype(np.float32)


def attention(x, w, c, mask):
    b, t, _ = x.shape
    hq, hkv, dh = c['q_heads'], c['kv_heads'], c['key_size']
    q = rope(mm(x, w['query']).reshape(b, t, hq, dh), c['rope_theta'])
    k = rope(mm(x, w['key']).reshape(b, t, hkv, dh), c['rope_theta'])
    v = mm(x, w['value']).reshape(b, t, hkv, dh)
    g = hq // hkv
    out = np.zeros((b, t, hq, dh), np.float32)
    mult = np.float32(1 / math.sqrt(dh))
    cap = np.float32(c['max_attn_value'])
    for h in range(hq):
        kv = h // g  # query head h reads kv head h // (Hq / Hkv)
        s = rnd(np.einsum('btd,bsd->bts', q[:, :, h].astype(np.float64), k[:, :, kv].astype(np.float64)))
        s = s.astype(np.float32) * mult
        s = cap * np.tanh(s / cap)
        s = np.where(mask, s, np.float32(-1e30))
        p = rnd(softmax(s))
        out[:, :, h] = rnd(np.einsum('bts,bsd->btd', p.astype(np.float64), v[:, :, kv].astype(np.float64)))
    return mm(out.reshape(b, t, hq * dh), w['linear'])


def moe(x, w, c):
    b, t, d = x.shape
    xs = x.reshape(b * t, d)
    rl = np.matmul(xs.astype(np.float64), w['router'].astype(np.float64)).astype(np.float32)
    probs = softmax(rl)
    out = np.zeros((b * t, d), np.float32)
    margins = []
    for n in range(b * t):
        order = sorted(range(c['experts']), key=lambda e: (-probs[n, e], e))  # descending, ties: lower index
        top = order[:c['top_k']]
        margins.append(rl[n, top[-1]] - rl[n, order[c['top_k']]] if c['top_k'] < c['experts'] else 1.0)
        acc = np.zeros(d, np.float32)
        for e in top:
            a = mm(xs[n], w['linear'][e])
            v = mm(xs[n], w['linear_v'][e])
            hdn = rnd(rnd(gelu_tanh(a)) * v)
            y = mm(hdn, w['linear_1'][e])
            acc = acc + rnd(probs[n, e]) * y  # gates NOT renormalized, rounded to bf16, sum in f32
        out[n] = rnd(acc)
    return out.reshape(b, t, d), min(margins)


def forward(p, tokens, c, f32=False):
    _F32[0] = f32
    try:
        return _forward(p, tokens, c)
    finally:
        _F32[0] = False


def _forward(p, tokens, c):
    b, t = tokens.shape
    emb = p['language_model/in_out_embed/embeddings']
    h = rnd(rnd(emb[tokens]) * rnd(np.float32(math.sqrt(c['emb']))))  # weak-typed multiplier: bf16 constant
    causal = np.tril(np.ones((t, t), bool))
    mask = causal[None] & (tokens != 0)[:, None, :]  # [B, Tq, Tk]
    margin = 1.0
    for l in range(c['layers']):
        pre = f'transformer/decoder_layer_{l}/'
        att = {n: p[pre + f'multi_head_attention/{n}/w'] for n in ('query', 'key', 'value', 'linear')}
        x = rms_norm(h, p[pre + 'rms_norm/scale'], c['rms_eps'])
        a = attention(x, att, c, mask)
        h = rnd(h + rms_norm(a, p[pre + 'rms_norm_1/scale'], c['rms_eps']))
        x = rms_norm(h, p[pre + 'rms_norm_2/scale'], c['rms_eps'])
        mw = {n: p[pre + f'moe/{n}/w'] for n in ('linear', 'linear_v', 'linear_1')}
        mw['router'] = p[pre + 'router/w']
        m, mg = moe(x, mw, c)
        margin = min(margin, mg)
        h = rnd(h + rms_norm(m, p[pre + 'rms_norm_3/scale'], c['rms_eps']))
    h = rms_norm(h, p['language_model/rms_norm/scale'], c['rms_eps'])
    logits = mm(h, rnd(emb).T)
    return rnd(logits * rnd(np.float32(1 / math.sqrt(3)))), margin


def random_model(rng, c):
    d, v, dh, e = c['emb'], c['vocab'], c['key_size'], c['experts']
    f = ffn_size(d, c['widening'])
    qd, kvd = c['q_heads'] * dh, c['kv_heads'] * dh
    norm = lambda: (1 + 0.1 * rng.standard_normal(d)).astype(np.float32)
    mat = lambda *s: rng.standard_normal(s).astype(np.float32) / np.float32(math.sqrt(s[-2]))
    p = {'language_model/in_out_embed/embeddings': rng.standard_normal((v, d)).astype(np.float32),
         'language_model/rms_norm/scale': norm()}
    for l in range(c['layers']):
        pre = f'transformer/decoder_layer_{l}/'
        for n, shape in (('query', (d, qd)), ('key', (d, kvd)), ('value', (d, kvd)), ('linear', (qd, d))):
            p[pre + f'multi_head_attention/{n}/w'] = mat(*shape)
        p[pre + 'router/w'] = (0.5 * rng.standard_normal((d, e))).astype(np.float32)
        p[pre + 'moe/linear/w'] = mat(e, d, f)
        p[pre + 'moe/linear_v/w'] = mat(e, d, f)
        p[pre + 'moe/linear_1/w'] = mat(e, f, d)
        for s in ('rms_norm', 'rms_norm_1', 'rms_norm_2', 'rms_norm_3'):
            p[pre + s + '/scale'] = norm()
    return p


def is_matrix(name):
    return name.endswith('/w') and '/router/' not in name


def blocks(name):
    """Grok-1's scale blocks over input features: 8 for the attention output and expert linear_1, else 1."""
    return 8 if name.endswith('multi_head_attention/linear/w') or name.endswith('moe/linear_1/w') else 1


def quantize(rng, p):
    """int8 weights with bf16 scales of shape [..., nb, out]; W = bf16(weight * scales[i // (in / nb)])."""
    q, deq = {}, {}
    for name, w in p.items():
        if not is_matrix(name):
            q[name], deq[name] = w, w
            continue
        nb = blocks(name)
        fan_in = w.shape[-2]
        weight = rng.integers(-127, 128, size=w.shape).astype(np.int8)
        sshape = w.shape[:-2] + (nb, w.shape[-1])
        scales = bf16((0.5 + rng.random(sshape)) / (73.0 * math.sqrt(fan_in)))
        full = np.repeat(scales, fan_in // nb, axis=-2)  # [..., in, out]
        q[name] = weight
        q[name[:-len('/w')] + '/scales'] = scales
        deq[name] = bf16(weight.astype(np.float32) * full)
    return q, deq


def save(path, tensors, metadata=None):
    header, blobs, off = {}, [], 0
    if metadata:
        header['__metadata__'] = metadata
    for k, (dt, arr) in tensors.items():
        raw = bf16_bits(arr).tobytes() if dt == 'BF16' else np.ascontiguousarray(arr).tobytes()
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


def dtype_of(name, arr):
    if arr.dtype == np.int8:
        return 'I8'
    if name.endswith('/scales') or is_matrix(name):
        return 'BF16'
    return 'F32'


def main(argv):
    args = [a for a in argv if not a.startswith('--')]
    seed = int(argv[argv.index('--seed') + 1]) if '--seed' in argv else 11
    if '--seed' in argv:
        args.remove(str(seed))
    out = pathlib.Path(args[0] if args else 'tests/src/test/resources/grok')
    out.mkdir(parents=True, exist_ok=True)
    c = CONFIG
    rng = np.random.default_rng(seed)
    p = random_model(rng, c)
    p = {k: (bf16(w) if is_matrix(k) else w) for k, w in p.items()}
    q, deq = quantize(rng, p)
    # row 0 ends in padding, row 1 starts with it (its position 0 has no visible key)
    tokens = np.array([[5, 17, 3, 99, 42, 7, 0, 0], [0, 12, 64, 3, 8, 100, 127, 1]], dtype=np.int32)
    logits, m1 = forward(p, tokens, c)
    logits_q, m2 = forward(deq, tokens, c)
    meta = {'config': json.dumps(dict(c, ffn=ffn_size(c['emb'], c['widening']))), 'seed': str(seed)}
    save(out / 'grok_tiny_bf16.safetensors', {k: (dtype_of(k, w), w) for k, w in p.items()}, meta)
    save(out / 'grok_tiny_int8.safetensors', {k: (dtype_of(k, w), w) for k, w in q.items()}, meta)
    save(out / 'grok_tiny_io.safetensors', {'tokens': ('I32', tokens), 'logits_bf16': ('F32', logits),
                                            'logits_int8': ('F32', logits_q)}, meta)
    logits_f, m3 = forward(p, tokens, c, f32=True)
    m1 = min(m1, m3)
    save(out / 'grok_tiny_f32.safetensors', {'logits_f32': ('F32', logits_f)}, meta)
    print(f'wrote {out}: seed {seed}, smallest top-k router logit margin {min(m1, m2):.4f}, '
          f'max |logit| {np.abs(logits).max():.3f}')


if __name__ == '__main__':
    main(sys.argv[1:])
