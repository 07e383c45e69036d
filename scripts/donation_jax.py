"""JAX's side of the donation check (issue 7): how jax.jit(..., donate_argnums=...) marks a donated
argument in the lowered StableHLO, and what one cache-row update costs in device memory with and
without donation. Run on the GPU machine:  python3 scripts/donation_jax.py
Prints the @main signature lines of both lowerings, XLA's compiled memory analysis, and the peak
device bytes in use around one call."""
import re
import jax
import jax.numpy as jnp

SHAPE = (8, 8192, 8, 128)  # a bf16 KV cache of 128 MiB


def write_row(cache, row, pos):
    # one new token's keys for every batch row, written at position pos
    return jax.lax.dynamic_update_slice(cache, row, (0, pos, 0, 0))


def main_signature(text):
    m = re.search(r"func\.func public @main\((.*?)\) ->", text, re.S)
    return m.group(1) if m else text[:400]


def report(label, donate):
    f = jax.jit(write_row, donate_argnums=(0,) if donate else ())
    cache = jnp.zeros(SHAPE, jnp.bfloat16)
    row = jnp.ones((SHAPE[0], 1, SHAPE[2], SHAPE[3]), jnp.bfloat16)
    lowered = f.lower(cache, row, 5)
    print(f"== {label}: @main arguments\n{main_signature(lowered.as_text())}")
    compiled = lowered.compile()
    ma = compiled.memory_analysis()
    if ma is not None:
        print(f"{label}: compiled memory: argument {ma.argument_size_in_bytes} output {ma.output_size_in_bytes} "
              f"alias {ma.alias_size_in_bytes} temp {ma.temp_size_in_bytes}")
    dev = jax.devices()[0]
    jax.block_until_ready(cache)
    before = dev.memory_stats() or {}
    out = compiled(cache, row, 5)
    jax.block_until_ready(out)
    after = dev.memory_stats() or {}
    print(f"{label}: bytes_in_use before {before.get('bytes_in_use')} after {after.get('bytes_in_use')} "
          f"(cache is {cache.nbytes if not cache.is_deleted() else 2 * 8 * 8192 * 8 * 128} bytes; "
          f"input deleted: {cache.is_deleted()})")
    del out


if __name__ == "__main__":
    print("jax", jax.__version__, jax.devices())
    report("not donated", False)
    report("donated", True)
