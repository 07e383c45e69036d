"""Independent numpy oracle for xla4j's ZetaBlock (kyegomez/zeta's TransformerBlock, PaLM's parallel block).

Written from the block's equations (see ZetaBlock's Javadoc), in float64 from float32 parameters:
  h = LayerNorm(x)*g (no bias, eps 1e-5); q|k|v|ff = h @ W_fused; one key/value head (multi-query);
  qk_rmsnorm: q, k l2-normalized per head times q_scale/k_scale, logits scaled by qk_scale (else dh^-0.5);
  rotary over the whole head dim with rotate_half, inv_freq 1/10000^(2i/dh), positions 0..S-1; xPos (causal
  only): q times zeta^((n - S//2)/base), k divided by it, zeta_i = (2i + 0.4 dh)/(1.4 dh);
  key padding mask and causal mask; softmax; out @ W_out + SwiGLU (silu(gate) * value half, gate second) @ W_ff.
LoRA is applied the way it is usually merged for inference: W + (alpha/r) * A @ B replaces each adapted
weight, so the oracle never computes (x @ A) @ B as the Java code does.

Writes OUTDIR (default tests/src/test/resources/zeta)/zeta_<case>.safetensors, each holding the block's
parameters under their tree paths (norm/g, fused_attn_ff_proj/w, ..., lora/q/A, ...), the inputs `io/x`
(f32 [B, S, dim]) and `io/mask` (i32 [B, S], 1 keeps), and the outputs `io/y` (with the adapters) and
`io/y_base` (the same block without them); __metadata__ "config" holds the config as JSON.
Usage: python3 scripts/zeta_reference.py [OUTDIR] [--seed N]
"""
import json, pathlib, sys
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from grok_reference import save  # noqa: E402  (the repo's safetensors writer)

CASES = {
    # causal + xPos (small base so the decay matters at S = 8), LoRA on all four projections, right padding
    'lora': dict(dim=32, heads=4, dim_head=8, ff_mult=2, causal=True, qk_rmsnorm=False, qk_scale=8.0,
                 use_xpos=True, xpos_scale_base=16.0, lora_rank=4, lora_alpha=8.0, lora_targets='qkvo',
                 batch=2, seq=8, pad=[2, 0]),
    # bidirectional, qk_rmsnorm with learned scales; use_xpos is on but zeta applies xPos only when causal
    'qknorm': dict(dim=24, heads=3, dim_head=8, ff_mult=3, causal=False, qk_rmsnorm=True, qk_scale=8.0,
                   use_xpos=True, xpos_scale_base=512.0, lora_rank=2, lora_alpha=3.0, lora_targets='qv',
                   batch=2, seq=6, pad=[0, 3]),
}


def layer_norm(x, g, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g


def rotate_half(x):
    h = x.shape[-1] // 2
    return np.concatenate([-x[..., h:], x[..., :h]], axis=-1)


def l2norm(x):
    return x / np.maximum(np.sqrt((x * x).sum(-1, keepdims=True)), 1e-12)


def lora_sizes(c):
    inner, dh, d = c['heads'] * c['dim_head'], c['dim_head'], c['dim']
    return {'q': (d, inner), 'k': (d, dh), 'v': (d, dh), 'o': (inner, d)}


def block(p, x, mask, c, with_lora):
    """y [B, S, dim] in float64."""
    d, hh, dh, f = c['dim'], c['heads'], c['dim_head'], c['dim'] * c['ff_mult']
    inner = hh * dh
    w = p['fused_attn_ff_proj/w'].astype(np.float64).copy()
    wo = p['attn_out/w'].astype(np.float64).copy()
    if with_lora:
        s = c['lora_alpha'] / c['lora_rank']
        cols = {'q': slice(0, inner), 'k': slice(inner, inner + dh), 'v': slice(inner + dh, inner + 2 * dh)}
        for t in c['lora_targets']:
            delta = s * (p[f'lora/{t}/A'].astype(np.float64) @ p[f'lora/{t}/B'].astype(np.float64))
            if t == 'o':
                wo += delta
            else:
                w[:, cols[t]] += delta
    b, n, _ = x.shape
    h = layer_norm(x.astype(np.float64), p['norm/g'].astype(np.float64))
    fused = h @ w
    q = fused[..., :inner].reshape(b, n, hh, dh)
    k = fused[..., inner:inner + dh]
    v = fused[..., inner + dh:inner + 2 * dh]
    ff = fused[..., inner + 2 * dh:]
    if c['qk_rmsnorm']:
        q = l2norm(q) * p['q_scale'].astype(np.float64)
        k = l2norm(k) * p['k_scale'].astype(np.float64)
    t = np.arange(n, dtype=np.float64)
    inv = 1.0 / (10000.0 ** (np.arange(0, dh, 2, dtype=np.float64) / dh))
    ang = np.outer(t, inv)
    ang = np.concatenate([ang, ang], -1)
    cos, sin = np.cos(ang), np.sin(ang)
    if c['use_xpos'] and c['causal']:
        zeta = (np.arange(0, dh, 2, dtype=np.float64) + 0.4 * dh) / (1.4 * dh)
        sc = zeta ** ((t - n // 2) / c['xpos_scale_base'])[:, None]
        sc = np.concatenate([sc, sc], -1)
    else:
        sc = np.ones_like(cos)
    q = q * (cos * sc)[None, :, None, :] + rotate_half(q) * (sin * sc)[None, :, None, :]
    k = k * (cos / sc)[None] + rotate_half(k) * (sin / sc)[None]
    scale = c['qk_scale'] if c['qk_rmsnorm'] else dh ** -0.5
    logits = np.einsum('bihd,bjd->bhij', q, k) * scale
    visible = np.broadcast_to(mask.astype(bool)[:, None, None, :], logits.shape)
    if c['causal']:
        visible = visible & np.tril(np.ones((n, n), dtype=bool))[None, None]
    logits = np.where(visible, logits, -np.inf)
    e = np.exp(logits - logits.max(-1, keepdims=True))
    wts = e / e.sum(-1, keepdims=True)
    out = np.einsum('bhij,bjd->bihd', wts, v).reshape(b, n, inner)
    val, gate = ff[..., :f], ff[..., f:]
    ffh = gate / (1 + np.exp(-gate)) * val
    return out @ wo + ffh @ p['ff_out/w'].astype(np.float64)


def random_params(rng, c):
    d, dh, f = c['dim'], c['dim_head'], c['dim'] * c['ff_mult']
    inner = c['heads'] * dh
    fused = inner + 2 * dh + 2 * f
    p = {'norm/g': 1 + 0.1 * rng.standard_normal(d),
         'fused_attn_ff_proj/w': rng.standard_normal((d, fused)) / np.sqrt(d),
         'attn_out/w': rng.standard_normal((inner, d)) / np.sqrt(inner),
         'ff_out/w': rng.standard_normal((f, d)) / np.sqrt(f)}
    if c['qk_rmsnorm']:
        p['q_scale'] = 1 + 0.2 * rng.standard_normal(dh)
        p['k_scale'] = 1 + 0.2 * rng.standard_normal(dh)
    sizes = lora_sizes(c)
    for t in c['lora_targets']:
        i, o = sizes[t]
        p[f'lora/{t}/A'] = rng.standard_normal((i, c['lora_rank'])) / np.sqrt(i)
        # B is non-zero here (a trained adapter); at init it is zero
        p[f'lora/{t}/B'] = 0.2 * rng.standard_normal((c['lora_rank'], o))
    return {k: v.astype(np.float32) for k, v in p.items()}


def main(argv):
    args = [a for a in argv if not a.startswith('--')]
    seed = int(argv[argv.index('--seed') + 1]) if '--seed' in argv else 5
    if '--seed' in argv:
        args.remove(str(seed))
    out = pathlib.Path(args[0] if args else 'tests/src/test/resources/zeta')
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for name, c in CASES.items():
        p = random_params(rng, c)
        x = rng.standard_normal((c['batch'], c['seq'], c['dim'])).astype(np.float32)
        mask = np.ones((c['batch'], c['seq']), dtype=np.int32)
        for row, pad in enumerate(c['pad']):
            if pad:
                mask[row, c['seq'] - pad:] = 0
        y = block(p, x, mask, c, True).astype(np.float32)
        y0 = block(p, x, mask, c, False).astype(np.float32)
        tensors = {k: ('F32', v) for k, v in p.items()}
        tensors.update({'io/x': ('F32', x), 'io/mask': ('I32', mask), 'io/y': ('F32', y), 'io/y_base': ('F32', y0)})
        save(out / f'zeta_{name}.safetensors', tensors, {'config': json.dumps(c), 'seed': str(seed)})
        print(f'{name}: |y| max {np.abs(y).max():.3f}, |y - y_base| max {np.abs(y - y0).max():.3f}')


if __name__ == '__main__':
    main(sys.argv[1:])
