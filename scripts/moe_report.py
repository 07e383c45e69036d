"""Markdown tables from the 'JSON ' lines that scripts/moe_jax.py and `xla4j bench moe` print (issue 10).

Usage: python3 scripts/moe_report.py LOG [LOG...] > table.md
One table per shape (T, D, F): every JAX and xla4j variant with ms, useful TFLOP/s, fraction of the floor,
speed against JAX's best bf16 variant at that shape (>1: faster than JAX), dropped fraction, error against
its own side's dense, and (xla4j) the weight-sized buffers XLA writes and its temp bytes. Ceilings first.
"""
import json
import sys

recs = []
for path in sys.argv[1:]:
    with open(path, errors="replace") as f:
        for line in f:
            i = line.find("JSON {")
            if i >= 0:
                try:
                    recs.append(json.loads(line[i + 5:]))
                except json.JSONDecodeError:
                    pass


def fmt(v, spec):
    return "" if v is None else format(v, spec)


print("## Ceilings\n")
print("| who | what | ms | figure |")
print("|---|---|---|---|")
for r in recs:
    if r.get("what") == "matmul":
        print(f"| {r['who']} | bf16 {r['n']}^3 matmul | {r['ms']:.3f} | {r['tflops']:.0f} TFLOP/s |")
    elif r.get("what") == "copy":
        print(f"| {r['who']} | copy {r['bytes'] / 2**30:.2f} GiB | {r['ms']:.3f} | "
              f"{r['gbs_read_plus_write']:.0f} GB/s read + write |")

shapes = []
for r in recs:
    if r.get("what") == "moe" and (r["T"], r["D"], r["F"]) not in shapes:
        shapes.append((r["T"], r["D"], r["F"]))

for t, d, f in shapes:
    rows = [r for r in recs if r.get("what") == "moe" and (r["T"], r["D"], r["F"]) == (t, d, f)]
    jax_ms = [r["ms"] for r in rows if r["who"] == "jax" and "ms" in r]
    best = min(jax_ms) if jax_ms else None
    floor = next((r["floor_ms"] for r in rows if r.get("floor_ms")), None)
    print(f"\n## T {t}, D {d}, F {f} (E {rows[0]['E']}, top-{rows[0]['K']})\n")
    print(f"Floor (each side's own ceilings): {fmt(floor, '.3f')} ms; JAX's best: {fmt(best, '.3f')} ms.\n")
    print("| who | variant | ms | useful TFLOP/s | of floor | vs JAX best | dropped | rel L2 vs dense "
          "| weight-sized buffers | temp GB | compile s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        name = r.get("variant", r.get("impl"))
        if r.get("fallback") == 1:                      # capacity-checked ran its dropless branch
            name += " (dropless fallback ran)"
        if "ms" not in r:
            print(f"| {r['who']} | {name} | failed: {r.get('error', '')[:160].replace('|', '/')} | | | | | | | | |")
            continue
        vs = f"{best / r['ms']:.2f}x" if best else ""
        temp = r.get("temp_bytes")
        comp = r.get("compile_s", r.get("compile_and_first_s"))
        print(f"| {r['who']} | {name} | {r['ms']:.3f} | {r['useful_tflops']:.1f} | {r['fraction_of_floor']:.2f} | {vs} | "
              f"{100 * r.get('dropped_fraction', 0):.2f}% | {fmt(r.get('rel_l2_vs_dense'), '.2e')} | "
              f"{r.get('weight_sized_buffers', '')} | {fmt(None if temp is None else temp / 1e9, '.2f')} | "
              f"{fmt(comp, '.1f')} |")
    listed = [r for r in rows if r.get("weight_sized_buffer_list")]
    for r in listed:
        print(f"\n- {r['variant']}: {r['weight_sized_buffer_list']}")
