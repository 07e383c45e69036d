"""Exports a few JAX programs as StableHLO text with inputs and JAX's own outputs, for xla4j's tests.

Run on the GPU machine (it has JAX): python3 scripts/jax_export_examples.py OUTDIR
Writes NAME.mlir (as_text, pretty form), NAME.generic.mlir (generic op form), NAME.in.safetensors,
NAME.expected.safetensors. Also compiles every *.mlir under tests/src/test/resources/jax/ that xla4j
printed through the JAX GPU plugin, to check that the plugin's parser accepts our text.
"""
import json, struct, sys, pathlib
import numpy as np
import jax, jax.numpy as jnp
from jax import lax

out = pathlib.Path(sys.argv[1]); out.mkdir(parents=True, exist_ok=True)

def save(path, tensors):
    header, blobs, off = {}, [], 0
    names = {np.dtype('float32'): 'F32', np.dtype('int32'): 'I32', np.dtype('bool'): 'BOOL',
             np.dtype('float16'): 'F16', np.dtype('int64'): 'I64'}
    for k, v in tensors.items():
        v = np.asarray(v)
        if v.dtype == jnp.bfloat16:
            dt, raw = 'BF16', v.view(np.uint16).tobytes()
        else:
            dt, raw = names[v.dtype], np.ascontiguousarray(v).tobytes()
        header[k] = {'dtype': dt, 'shape': list(v.shape), 'data_offsets': [off, off + len(raw)]}
        blobs.append(raw); off += len(raw)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h))); f.write(h)
        for b in blobs: f.write(b)

def export(name, f, *args):
    lowered = jax.jit(f).lower(*args)
    (out / f'{name}.mlir').write_text(lowered.as_text())
    ir = lowered.compiler_ir('stablehlo')
    (out / f'{name}.generic.mlir').write_text(ir.operation.get_asm(print_generic_op_form=True, enable_debug_info=False))
    res = f(*args)
    res = res if isinstance(res, (tuple, list)) else (res,)
    save(out / f'{name}.in.safetensors', {f'a{i}': a for i, a in enumerate(args)})
    save(out / f'{name}.expected.safetensors', {f'out{i}': r for i, r in enumerate(res)})
    print('exported', name)

rng = np.random.default_rng(0)
x = rng.standard_normal((4, 8), dtype=np.float32)
w = rng.standard_normal((8, 16), dtype=np.float32)
b = rng.standard_normal((16,), dtype=np.float32)
export('mlp_softmax', lambda x, w, b: jax.nn.softmax(jnp.tanh(x @ w + b), axis=-1), x, w, b)

def loop_topk(x, w):
    h = (x.astype(jnp.bfloat16) @ w.astype(jnp.bfloat16)).astype(jnp.float32)
    h = lax.fori_loop(0, 3, lambda i, c: c * 0.5 + jnp.sin(c), h)
    vals, idx = lax.top_k(h, 3)
    return vals, idx, jnp.argmax(h, axis=-1).astype(jnp.int32), h.astype(jnp.bfloat16)
export('loop_topk', loop_topk, x, w)

try:
    client = jax.devices()[0].client
    print('client methods:', [m for m in dir(client) if 'compile' in m])
    for p in sorted(pathlib.Path('tests/src/test/resources/jax').glob('xla4j_*.mlir')):
        text = p.read_text()
        ok = None
        for meth in ('compile_and_load', 'compile'):
            fn = getattr(client, meth, None)
            if fn is None: continue
            try:
                try:
                    fn(text, jax.devices()[:1], jax._src.lib.xla_client.CompileOptions())
                except TypeError:
                    fn(text)
                ok = meth; break
            except Exception as e:
                ok = f'{meth} failed: {str(e)[:2000]}'
        print('plugin compile', p.name, '->', ok)
except Exception as e:
    print('plugin compile check failed:', e)
