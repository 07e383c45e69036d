"""Issue 13's training comparison as markdown: per MoE mode, the per-step losses of JAX (scripts/train_jax.py) and
xla4j (`xla4j train --output`) side by side with |diff|, then compile seconds, median step ms, tokens/s and the
speed ratio JAX ms / xla4j ms (>= 1: xla4j as fast or faster).

Usage: python3 scripts/train_report.py RUN.json [RUN.json ...]   (each file one run object or a list of them)

Losses agree when |diff| <= 1e-3 |loss| at step 1 (same weights, same batch: only rounding differs) and
<= 5e-3 |loss| at every step (AdamW turns rounding-level gradient differences into lr-sized updates of the
parameters whose gradients are near zero, so the curves drift apart slowly). Where JAX ran two MoE modes that
compute the same function (dense and capacity without drops), their largest difference is printed as the
rounding floor of the comparison.
"""
import json
import sys

STEP1_REL, ALL_REL = 1e-3, 5e-3


def mode_of(rec):
    """'dense' from 'grok1 dense moe, vanilla attention'."""
    parts = rec.get("kind", "").split()
    return parts[1] if len(parts) > 1 and parts[0] == "grok1" else rec.get("kind", "?")


def load(paths):
    runs = {}
    for p in paths:
        with open(p) as fh:
            data = json.load(fh)
        for rec in data if isinstance(data, list) else [data]:
            runs[(rec.get("who", "?"), mode_of(rec))] = rec
    return runs


def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def gib(rec, key):
    """A compiled memory figure of a run in GiB, or '-' where the backend gave none."""
    v = ((rec or {}).get("memory") or {}).get(key)
    return "-" if v is None or v < 0 else f"{v / 2**30:.2f}"


def report(runs):
    out = []
    order = {"dense": 0, "capacity": 1, "dropless": 2, "auto": 3}
    modes = sorted({m for _, m in runs}, key=lambda m: (order.get(m, 9), m))
    summary = []
    verdicts = []
    for mode in modes:
        j, x = runs.get(("jax", mode)), runs.get(("xla4j", mode))
        oracle = ""
        if x and not j and mode not in ("capacity",) and runs.get(("jax", "dense")):
            j, oracle = runs[("jax", "dense")], " (against JAX dense: the same function, nothing dropped)"
        if not j or not x:
            missing = "jax" if not j else "xla4j"
            out.append(f"### MoE {mode}: no {missing} run\n")
            summary.append((mode, j, x, None, None))
            continue
        for who, r in (("jax", j), ("xla4j", x)):
            if "error" in r:
                out.append(f"- {who} {mode}: **error** {r['error']}")
        jl, xl = j.get("losses", []), x.get("losses", [])
        n = min(len(jl), len(xl))
        out.append(f"### MoE {mode}{oracle}: {x.get('parameters', 0):,} parameters, batch {x.get('batch')} x seq "
                   f"{x.get('seq')} ({x.get('tokens_per_step')} predicted tokens per step), lr {x.get('lr')}, "
                   f"weight decay {x.get('weight_decay')}, clip {x.get('clip')}; {x.get('dtype_policy', '')}\n")
        out.append("| step | JAX loss | xla4j loss | abs diff | rel diff | JAX ms | xla4j ms | dropped (JAX / xla4j) |")
        out.append("|---:|---:|---:|---:|---:|---:|---:|---:|")
        worst = 0.0
        ok = n > 0
        jd, xd = j.get("dropped") or [], x.get("dropped") or []
        for i in range(n):
            d = abs(jl[i] - xl[i])
            rel = d / max(abs(jl[i]), 1e-12)
            worst = max(worst, d)
            ok &= rel <= (STEP1_REL if i == 0 else ALL_REL)
            dr = f"{jd[i] if i < len(jd) else '-'} / {xd[i] if i < len(xd) else '-'}"
            out.append(f"| {i + 1} | {jl[i]:.6f} | {xl[i]:.6f} | {d:.2e} | {rel:.2e} | {j['step_ms'][i]:.1f} | "
                       f"{x['step_ms'][i]:.1f} | {dr} |")
        if any(jd) or any(xd):
            ok = False  # drops make the two sides' functions depend on the capacity: not a like-for-like run
            out.append("\nTokens were dropped: raise the capacity factor for a like-for-like comparison.")
        out.append("")
        verdicts.append((mode, ok, worst))
        summary.append((mode + (" vs JAX dense" if oracle else ""), j, x, worst, ok))
    out.append("### Summary (median over steps 2..N; ratio = JAX ms / xla4j ms, >= 1.0 means xla4j is as fast or "
               "faster)\n")
    out.append("| MoE | JAX compile s | xla4j compile s | JAX median ms | xla4j median ms | ratio | JAX tokens/s | "
               "xla4j tokens/s | temp GiB (JAX / xla4j) | donated GiB (JAX / xla4j) | max abs loss diff | losses agree |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for mode, j, x, worst, ok in summary:
        jm = j.get("median_step_ms") if j else None
        xm = x.get("median_step_ms") if x else None
        ratio = jm / xm if jm and xm else None
        out.append(f"| {mode} | {fmt(j and j.get('compile_s'), '.1f')} | {fmt(x and x.get('compile_s'), '.1f')} | "
                   f"{fmt(jm, '.1f')} | {fmt(xm, '.1f')} | {fmt(ratio, '.2f')} | "
                   f"{fmt(j and j.get('tokens_per_s'), ',.0f')} | {fmt(x and x.get('tokens_per_s'), ',.0f')} | "
                   f"{gib(j, 'temp')} / {gib(x, 'temp')} | {gib(j, 'aliased')} / {gib(x, 'aliased')} | "
                   f"{fmt(worst, '.2e')} | {'-' if ok is None else ('yes' if ok else 'NO')} |")
    jd, jc = runs.get(("jax", "dense")), runs.get(("jax", "capacity"))
    if jd and jc and jd.get("losses") and jc.get("losses") and not any(jc.get("dropped") or []):
        floor = max(abs(a - b) for a, b in zip(jd["losses"], jc["losses"]))
        out.append(f"\nRounding floor: JAX dense vs JAX capacity (the same function, no drops) differ by at most "
                   f"{floor:.2e} over the steps.")
    out.append(f"\nTolerance: |diff| <= {STEP1_REL:g} |loss| at step 1 and <= {ALL_REL:g} |loss| at every step.")
    for who in ("jax", "xla4j"):
        r = next((r for (w, _), r in runs.items() if w == who), None)
        if r:
            extra = f", jax {r['jax']}, {r.get('optimizer', '')}" if who == "jax" else ""
            out.append(f"- {who}: backend {r.get('backend')}, data {r.get('data')}{extra}")
    return "\n".join(out), all(ok for _, ok, _ in verdicts) and bool(verdicts)


def main(argv):
    if not argv:
        print(__doc__)
        return 2
    text, ok = report(load(argv))
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
