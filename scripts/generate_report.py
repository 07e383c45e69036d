"""Markdown tables of scripts/device-generate.sh's round (issue 11): JAX's decode loop and `xla4j generate` on
the same weights, side by side with ratios.

Usage: python3 scripts/generate_report.py LOG [LOG...] > table.md
Reads the 'JSON {...}' lines of scripts/grok_jax_decode.py and, for xla4j, each 'XLA4J-RUN {...}' marker with the
timing summary line that follows it ('load X s | compile X s | time to first token X ms | prefill X tokens/s
(N tokens) | decode X tokens/s (N tokens, batch B) | ...'), its 'XLA4J-RC' exit code and 'XLA4J-OUT' tokens.
Ratios: decode xla4j / JAX tokens/s (>1: xla4j faster; issue 11 asks >= 1.2); time to first token JAX / xla4j
(>1: xla4j faster); the bandwidth bound is JAX's record's (bytes read per decode step over the copy bandwidth
measured in the same run), applied to both sides.
"""
import json
import re
import sys

jax, runs = [], []
cur = None
for path in sys.argv[1:]:
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            i = line.find("JSON {")
            if i >= 0:
                try:
                    jax.append(json.loads(line[i + 5:]))
                except json.JSONDecodeError:
                    pass
                continue
            if line.startswith("XLA4J-RUN "):
                cur = json.loads(line[len("XLA4J-RUN "):])
                runs.append(cur)
            elif line.startswith("XLA4J-RC ") and cur is not None:
                cur["rc"] = int(line.split()[2])
            elif line.startswith("XLA4J-OUT ") and cur is not None:
                try:
                    cur["tokens"] = json.loads(line.split(" ", 2)[2])["tokens"]
                except (json.JSONDecodeError, KeyError, IndexError):
                    pass
            elif cur is not None and "time to first token" in line and "| decode" in line:
                def num(pattern):
                    m = re.search(pattern, line)
                    return float(m.group(1)) if m else None
                cur.update(load_s=num(r"load ([\d.]+) s"), compile_s=num(r"compile ([\d.]+) s"),
                           ttft_ms=num(r"time to first token ([\d.]+) ms"),
                           prefill_tps=num(r"prefill ([\d.]+) tokens/s"),
                           decode_tps=num(r"decode ([\d.]+) tokens/s"), decode_tokens=num(r"decode [\d.]+ tokens/s \((\d+) tokens"))


def fmt(v, spec, suffix=""):
    return "" if v is None else format(v, spec) + suffix


def one(recs, **kw):
    for r in recs:
        if all(r.get(k) == v for k, v in kw.items()):
            return r
    return None


def flags_of(r):
    return r.get("flags", "").strip()


copy = one(jax, what="copy")
load = [r for r in jax if r.get("what") == "load"]
print("## Model and ceilings\n")
if load:
    print(f"- model: {load[0]['parameters']:,} parameters ({load[0]['dir']})")
if copy:
    print(f"- device-to-device copy (JAX, {copy['bytes'] / 2**30:.2f} GiB f32, -x): {copy['ms']:.3f} ms, "
          f"{copy['gbs_read_plus_write']:.0f} GB/s read + write")

checks = [r for r in jax if r.get("what") == "check"]
if checks:
    print("\n## JAX forward vs the numpy oracle (scripts/grok_reference.py's tiny model)\n")
    print("| weights | MoE | max abs diff, prefill | max abs diff, cached steps | max abs logit | argmax agreement |")
    print("|---|---|---|---|---|---|")
    for r in checks:
        if "error" in r:
            print(f"| {r['weights']} | {r['moe']} | failed: {r['error'][:160].replace('|', '/')} | | | |")
            continue
        print(f"| {r['weights']} | {r['moe']} | {r['max_abs_diff_prefill']:.4g} | {r['max_abs_diff_cached']:.4g} | "
              f"{r['max_abs_logit']:.3g} | {r['argmax_agreement']:.3f} |")
    s = one(jax, what="check-sampling")
    if s:
        print(f"\nsampling: top-p mass {s['top_p_mass_ok']}, top-k {s['top_k_ok']}, greedy {s['greedy_ok']}, "
              f"seeds reproduce {s['seed_repro']}")

print("\n## Decode tokens/s (greedy, 16-token prompts, 64 new tokens)\n")
print("| weights | batch | tokens per call | JAX tok/s | xla4j tok/s | xla4j / JAX | bound tok/s | JAX of bound "
      "| xla4j of bound | bytes per step (GB) |")
print("|---|---|---|---|---|---|---|---|---|---|")
shown = set()
for w in ("bf16", "int8"):
    for r in [r for r in jax if r.get("what") == "decode" and r.get("weights") == w]:
        b, n = r["batch"], r["tokens_per_call"]
        if "error" in r:
            print(f"| {w} | {b} | {n} | failed: {r['error'][:120].replace('|', '/')} | | | | | | |")
            continue
        tag = f"{w}-b{b}" + ("" if n == 1 else f"-loop{n}")
        x = one(runs, tag=tag)
        shown.add(tag)
        xt = x.get("decode_tps") if x else None
        bound = r.get("bound_tokens_per_s")
        if bound is None and copy:
            bound = b / (r["bytes_per_step"] / (copy["gbs_read_plus_write"] * 1e9))
        note = "" if x is None or x.get("rc", 0) == 0 else f" (rc {x['rc']})"
        print(f"| {w} | {b} | {n} | {r['tokens_per_s']:.0f} | {fmt(xt, '.0f')}{note} | "
              f"{fmt(xt / r['tokens_per_s'] if xt else None, '.2f', 'x')} | {fmt(bound, '.0f')} | "
              f"{fmt(r['tokens_per_s'] / bound if bound else None, '.2f')} | {fmt(xt / bound if xt and bound else None, '.2f')} | "
              f"{r['bytes_per_step'] / 1e9:.3f} |")
for x in runs:
    if x["tag"] in shown or x["tag"].endswith("-ttft") or x["tag"].endswith("-prefill5"):
        continue
    jb = one(jax, what="decode", weights=x["weights"], batch=x["batch"], tokens_per_call=1)
    xt = x.get("decode_tps")
    note = "" if x.get("rc", 0) == 0 else f" (rc {x['rc']})"
    print(f"| {x['weights']} | {x['batch']} | xla4j {flags_of(x)} | {fmt(jb and jb.get('tokens_per_s'), '.0f')} | "
          f"{fmt(xt, '.0f')}{note} | {fmt(xt / jb['tokens_per_s'] if xt and jb and 'tokens_per_s' in jb else None, '.2f', 'x')} "
          f"| {fmt(jb and jb.get('bound_tokens_per_s'), '.0f')} | | "
          f"{fmt(xt / jb['bound_tokens_per_s'] if xt and jb and jb.get('bound_tokens_per_s') else None, '.2f')} | |")

print("\n## Time to first token, batch 1\n")
print("| weights | prompt | JAX MoE | JAX warm ms (median of 5) | JAX first call ms | JAX compile s | xla4j ms "
      "| xla4j compile s | JAX warm / xla4j |")
print("|---|---|---|---|---|---|---|---|---|")
for w in ("bf16", "int8"):
    rs = [r for r in jax if r.get("what") == "ttft" and r.get("weights") == w]
    x = one(runs, tag=f"{w}-ttft")
    xt = x.get("ttft_ms") if x else None
    for r in rs or ([None] if x else []):
        if r is not None and "error" in r:
            print(f"| {w} | {r.get('prompt_tokens')} | {r.get('moe', '')} | failed: {r['error'][:160].replace('|', '/')} "
                  "| | | | | |")
            continue
        print(f"| {w} | {(r or x).get('prompt_tokens')} | {r.get('moe', '') if r else ''} | {fmt(r and r['ms'], '.1f')} | "
              f"{fmt(r and r.get('first_ms'), '.1f')} | {fmt(r and r.get('compile_s'), '.1f')} | {fmt(xt, '.1f')} | "
              f"{fmt(x and x.get('compile_s'), '.1f')} | {fmt(r['ms'] / xt if r and xt else None, '.2f', 'x')} |")

# Issue 10's prefill target (device-generate-full.sh prefill): JAX's best MoE against xla4j's prefill, and logits
best = [r for r in jax if r.get("what") == "ttft-best"]
if best:
    print("\n## Prefill, batch 1 (issue 10: xla4j >= 1.5x JAX's best, logits within bf16 tolerance)\n")
    print("JAX: warm median of 5 (prefill + first token on the host) per MoE mode; xla4j: `generate` with the prompt 5"
          " times, time to first token of the first (cold) and mean prefill time over the 5 (prompt tokens over"
          " prefill tokens/s).\n")
    print("| weights | prompt | JAX dense ms | JAX ragged ms | JAX best | xla4j first ms | xla4j mean ms "
          "| JAX best / xla4j mean |")
    print("|---|---|---|---|---|---|---|---|")
    for b in best:
        w, n = b["weights"], b["prompt_tokens"]
        x = one(runs, tag=f"{w}-prefill5")
        mean = n / x["prefill_tps"] * 1e3 if x and x.get("prefill_tps") else None
        modes = b.get("modes", {})
        note = "" if x is None or x.get("rc", 0) == 0 else f" (rc {x['rc']})"
        print(f"| {w} | {n} | {fmt(modes.get('dense'), '.1f')} | {fmt(modes.get('ragged'), '.1f')} | {b['moe']} "
              f"{b['ms']:.1f} | {fmt(x and x.get('ttft_ms'), '.1f')}{note} | {fmt(mean, '.1f')} | "
              f"{fmt(b['ms'] / mean if mean else None, '.2f', 'x')} |")
    cmp = [r for r in jax if r.get("what") in ("logits", "logits-vs-jax")]
    if cmp:
        print("\n| weights | logits compared | max abs diff | of max abs logit | rms diff | of rms | positions within "
              "2^-5 of max abs logit | rms over them, of rms | argmax agreement | PASS |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for r in cmp:
            what = "xla4j vs JAX" if r["what"] == "logits" else f"JAX {r['b']} vs JAX {r['a']}"
            if "error" in r:
                print(f"| {r['weights']} | {what} | failed: {r['error'][:160]} | | | | | | | |")
                continue
            tol = "" if "ok" not in r else (f"{'yes' if r['ok'] else 'NO'} (>= {r['min_fraction_within']:.0%} within,"
                                            f" rms <= {r['rms_rel_tol']:.4g})")
            print(f"| {r['weights']} | {what} | {r['max_abs_diff']:.4g} | {r['max_rel']:.4f} | {r['rms_diff']:.4g} | "
                  f"{r['rms_rel']:.4f} | {r['positions_within']} of {r['positions']} | {r['rms_rel_within']:.4f} | "
                  f"{r['argmax_agreement']:.4f} | {tol} |")
    # the f32 oracle (the same equations, every activation f32): how close each bf16 forward is to the exact function
    orc = [(f"JAX {r['mode']}", r) for r in jax if r.get("what") == "logits-vs-oracle" and "error" not in r]
    orc += [("xla4j", dict(r["xla4j_vs_oracle"], weights=r["weights"], ok=r.get("oracle_ok")))
            for r in cmp if r.get("what") == "logits" and "xla4j_vs_oracle" in r]
    if orc:
        print("\nAgainst JAX's f32 oracle (same equations, every activation f32, HIGHEST dots): xla4j passes when its rms "
              "is at most 1.1x JAX's and its positions within at most 1% fewer.\n")
        print("| weights | bf16 forward | rms diff, of rms | max diff, of max abs logit | positions within 2^-5 | argmax "
              "agreement | PASS |")
        print("|---|---|---|---|---|---|---|")
        for who, r in orc:
            ok = "" if r.get("ok") is None else ("yes" if r["ok"] else "NO")
            print(f"| {r['weights']} | {who} | {r['rms_rel']:.4f} | {r['max_rel']:.4f} | {r['positions_within']} | "
                  f"{r['argmax_agreement']:.4f} | {ok} |")

print("\n## Greedy tokens of the fixed 16-token prompts: xla4j vs JAX\n")
print("| weights | batch | tokens per row | rows equal | equal prefix, min / mean | first difference (row, step: JAX / xla4j) |")
print("|---|---|---|---|---|---|")
for w in ("bf16", "int8"):
    for b in sorted({r["batch"] for r in jax if r.get("what") == "greedy"}):
        r = one(jax, what="greedy", weights=w, batch=b)
        x = one(runs, tag=f"{w}-b{b}")
        if r is None or x is None or not x.get("tokens"):
            if r is not None or x is not None:
                print(f"| {w} | {b} | missing: {'JAX' if r is None else 'xla4j'} | | | |")
            continue
        prefixes, first = [], None
        for i, (a, c) in enumerate(zip(r["tokens"], x["tokens"])):
            n = min(len(a), len(c))
            k = next((j for j in range(n) if a[j] != c[j]), n)
            prefixes.append(k)
            if k < n and first is None:
                first = f"{i}, {k}: {a[k]} / {c[k]}"
        n = min(len(r["tokens"][0]), len(x["tokens"][0]))
        eq = sum(1 for k in prefixes if k == n)
        print(f"| {w} | {b} | {n} | {eq} of {len(prefixes)} | {min(prefixes)} / {sum(prefixes) / len(prefixes):.1f} | "
              f"{first or 'none'} |")

print("\n## xla4j runs\n")
print("| run | rc | load s | compile s | TTFT ms | prefill tok/s | decode tok/s | decode tokens |")
print("|---|---|---|---|---|---|---|---|")
for x in runs:
    print(f"| {x['tag']} {flags_of(x)} | {x.get('rc', '')} | {fmt(x.get('load_s'), '.1f')} | {fmt(x.get('compile_s'), '.1f')} | "
          f"{fmt(x.get('ttft_ms'), '.1f')} | {fmt(x.get('prefill_tps'), '.0f')} | {fmt(x.get('decode_tps'), '.0f')} | "
          f"{fmt(x.get('decode_tokens'), '.0f')} |")
