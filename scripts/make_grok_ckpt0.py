"""Writes a tiny Grok-1 in the layout of xai-org/grok-1's original checkpoint, plus a numpy oracle of its logits.

The model is grok_reference.py's tiny config (Grok1Config.tiny()) with a seed of its own, int8 matrices with
bf16 scales (QuantizedWeight8bit) where Grok-1 has them, f32 embeddings, norms and routers. Written into OUTDIR
(default: the tests' fixture folder tests/src/test/resources/grok):
  ckpt0/ckpt-0/tensorNNNNN_000   one pickle (protocol 4, Grok-1's Python default) per leaf, NNNNN in the order
                                 of jax.tree_util.tree_flatten over Haiku's {module: {name: array}}: dict keys
                                 sorted (module paths as strings, so decoder_layer_10 before decoder_layer_2)
  ckpt0/config.json              the config in the keys of Grok-1's Hugging Face conversion
  grok_ckpt0_io.safetensors      tokens (i32 [B, T]) and logits (f32 [B, T, vocab]) from grok_reference.forward
                                 on the dequantized weights; __metadata__ "config", "seed", "leaves" (the
                                 tree path of each tensor file, in order) and "leaves_12_layers" (the same
                                 order for 12 layers, names only)
A matrix leaf is a QuantizedWeight8bit dataclass of this script's __main__ module (as Grok-1's run.py pickles it)
holding numpy arrays: weight int8, scales bfloat16. numpy pickles a bfloat16 array with the dtype
numpy.dtype(ml_dtypes.bfloat16, False, True). With ml_dtypes installed the script uses it; without it, a stand-in
reduces to the same pickle opcodes (the same globals, arguments and state); `--check-stand-in` (needs ml_dtypes)
asserts that both give identical bytes for every bf16 leaf.
Usage: python3 scripts/make_grok_ckpt0.py [OUTDIR] [--seed N] [--check-stand-in]
"""
import dataclasses, json, math, pickle, shutil, sys, types, pathlib
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import grok_reference as gr  # noqa: E402

try:
    import ml_dtypes
except ImportError:
    ml_dtypes = None


@dataclasses.dataclass
class QuantizedWeight8bit:
    """Grok-1's model.py dataclass: int8 weight and bf16 scales."""
    weight: object
    scales: object


# ---- bfloat16 without ml_dtypes: the pickle numpy writes for an ml_dtypes.bfloat16 array, from stand-ins

_RECONSTRUCT = np.zeros(1).__reduce__()[0]  # numpy's own _reconstruct (numpy.core or numpy._core.multiarray)


class _StandInBfloat16:
    """Stands for ml_dtypes.bfloat16: pickled as the global ml_dtypes.bfloat16."""


class _StandInBf16Dtype:
    def __reduce__(self):
        # numpy's arraydescr_reduce for a user-defined dtype: (np.dtype, (scalar type, False, True),
        # (3, byteorder, subarray, names, fields, elsize, alignment, flags))
        return np.dtype, (_StandInBfloat16, False, True), (3, '<', None, None, None, 2, 2, 64)


class _StandInBf16Array:
    def __init__(self, f32):
        self.shape = f32.shape
        self.raw = gr.bf16_bits(f32).tobytes()

    def __reduce__(self):
        # numpy's array_reduce (protocol < 5): _reconstruct(ndarray, (0,), b'b') then BUILD
        # (1, shape, dtype, is_fortran, raw bytes)
        return _RECONSTRUCT, (np.ndarray, (0,), b'b'), (1, self.shape, _StandInBf16Dtype(), False, self.raw)


def _install_stand_in():
    """Makes the stand-in pickle as ml_dtypes.bfloat16; returns the module it replaced (or None)."""
    before = sys.modules.get('ml_dtypes')
    mod = types.ModuleType('ml_dtypes')
    _StandInBfloat16.__module__, _StandInBfloat16.__qualname__ = 'ml_dtypes', 'bfloat16'
    mod.bfloat16 = _StandInBfloat16
    sys.modules['ml_dtypes'] = mod  # so pickle finds the global it writes
    return before


def bf16_array(f32, stand_in):
    """A bfloat16 numpy array (ml_dtypes) or its stand-in, from float32 values already rounded to bf16."""
    if stand_in:
        return _StandInBf16Array(f32)
    return np.asarray(f32, np.float32).astype(ml_dtypes.bfloat16)


# ---- the checkpoint

def haiku_params(q, stand_in):
    """{module: {name: leaf}} from grok_reference's flat dict of tree paths (weights + '/scales' siblings)."""
    params = {}
    for path, value in q.items():
        module, name = path.rsplit('/', 1)
        if name == 'scales':
            continue
        if (module + '/scales') in q:
            value = QuantizedWeight8bit(weight=value, scales=bf16_array(q[module + '/scales'], stand_in))
        params.setdefault(module, {})[name] = value
    return params


def flatten(params):
    """jax.tree_util.tree_flatten's order for a dict of dicts: sorted keys at each level."""
    return [(m + '/' + n, params[m][n]) for m in sorted(params) for n in sorted(params[m])]


def write_ckpt0(folder, leaves):
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for i, (_, leaf) in enumerate(leaves):
        with open(folder / f'tensor{i:05d}_000', 'wb') as f:
            pickle.dump(leaf, f, protocol=4)


def hf_config(c):
    return {'model_type': 'grok-1', 'vocab_size': c['vocab'], 'hidden_size': c['emb'], 'num_hidden_layers': c['layers'],
            'num_attention_heads': c['q_heads'], 'num_key_value_heads': c['kv_heads'], 'head_dim': c['key_size'],
            'intermediate_size': gr.ffn_size(c['emb'], c['widening']), 'num_experts': c['experts'],
            'num_experts_per_tok': c['top_k'], 'max_position_embeddings': c['context'], 'rope_theta': c['rope_theta'],
            'embedding_multiplier_scale': math.sqrt(c['emb']), 'output_multiplier_scale': 1 / math.sqrt(3),
            'attn_output_multiplier': 1 / math.sqrt(c['key_size']), 'max_attn_value': c['max_attn_value'],
            'rms_norm_eps': c['rms_eps']}


def check_stand_in(q):
    """Pickles every bf16 leaf with ml_dtypes and with the stand-in; the bytes must be identical."""
    real = [(path, pickle.dumps(leaf, protocol=4)) for path, leaf in flatten(haiku_params(q, False))]
    before = _install_stand_in()
    try:
        stand = [pickle.dumps(leaf, protocol=4) for _, leaf in flatten(haiku_params(q, True))]
    finally:
        sys.modules['ml_dtypes'] = before
    n = 0
    for (path, a), b in zip(real, stand):
        assert a == b, f'{path}: stand-in pickle differs from ml_dtypes\'\n{a[:200]}\n{b[:200]}'
        n += isinstance(dict(flatten(haiku_params(q, False)))[path], QuantizedWeight8bit)
    print(f'stand-in pickles identical to ml_dtypes {ml_dtypes.__version__} for all {len(real)} leaves ({n} with bf16 scales)')


def main(argv):
    args = [a for a in argv if not a.startswith('--')]
    seed = int(argv[argv.index('--seed') + 1]) if '--seed' in argv else 23
    if '--seed' in argv:
        args.remove(str(seed))
    out = pathlib.Path(args[0] if args else 'tests/src/test/resources/grok')
    c = gr.CONFIG
    rng = np.random.default_rng(seed)
    p = gr.random_model(rng, c)
    p = {k: (gr.bf16(w) if gr.is_matrix(k) else w) for k, w in p.items()}
    q, deq = gr.quantize(rng, p)
    if '--check-stand-in' in argv:
        if ml_dtypes is None:
            sys.exit('--check-stand-in needs ml_dtypes')
        check_stand_in(q)
    stand_in = ml_dtypes is None
    if stand_in:
        _install_stand_in()
    leaves = flatten(haiku_params(q, stand_in))
    write_ckpt0(out / 'ckpt0' / 'ckpt-0', leaves)
    (out / 'ckpt0' / 'config.json').write_text(json.dumps(hf_config(c), indent=1) + '\n')
    tokens = np.array([[3, 77, 12, 0, 0, 5, 9, 0], [0, 0, 41, 2, 126, 8, 64, 19]], dtype=np.int32)
    logits, margin = gr.forward(deq, tokens, c)
    # the flatten order of a 12-layer model too, where sorted keys put decoder_layer_10 and _11 before _2
    names12 = sorted(gr.random_model(np.random.default_rng(0), dict(c, layers=12)), key=lambda k: tuple(k.rsplit('/', 1)))
    meta = {'config': json.dumps(dict(c, ffn=gr.ffn_size(c['emb'], c['widening']))), 'seed': str(seed),
            'leaves': json.dumps([name for name, _ in leaves]), 'leaves_12_layers': json.dumps(names12)}
    gr.save(out / 'grok_ckpt0_io.safetensors', {'tokens': ('I32', tokens), 'logits': ('F32', logits)}, meta)
    print(f'wrote {out}: {len(leaves)} ckpt-0 leaves, seed {seed}, bf16 via '
          f'{"stand-in" if stand_in else "ml_dtypes " + ml_dtypes.__version__}, smallest top-k router logit margin '
          f'{margin:.4f}, max |logit| {np.abs(logits).max():.3f}')


if __name__ == '__main__':
    main(sys.argv[1:])
