#!/usr/bin/env python3
"""Where a GPU program's time goes: a summary of an Nsight Compute CSV (issues 10 and 11's profiles).

Reads the per-kernel report that `ncu --csv --print-units base --metrics gpu__time_duration.sum,
dram__bytes_read.sum,dram__bytes_write.sum` writes (its 'details' page: one row per kernel and metric) and
prints markdown: the kernels' total time and DRAM bytes, and per kernel name (XLA names kernels after their
fusions) the launches, time, share of the total, mean time per launch and the DRAM rate achieved.

  ncu_summary.py REPORT.csv [--label TEXT] [--per N] [--per-name step] [--copy-gbs 4220] [--top 25]
    --per N        also give each total divided by N (e.g. the decode steps the profile covers)
    --copy-gbs R   the device-to-device copy rate measured in the same run (read + write): each kernel's DRAM
                   rate is also given as a fraction of it
Kernels shorter than a few microseconds are latency-bound whatever their bytes: the table's 'launches' and
'mean us' columns show how much of the total such kernels make up.
"""
import argparse
import csv
import sys
from collections import defaultdict

TIME = {"nsecond": 1e-9, "usecond": 1e-6, "msecond": 1e-3, "second": 1.0}
BYTES = {"byte": 1.0, "Kbyte": 1e3, "Mbyte": 1e6, "Gbyte": 1e9, "Tbyte": 1e12,
         "KB": 1e3, "MB": 1e6, "GB": 1e9}


def number(text):
    text = text.strip().replace(",", "")
    return float(text) if text not in ("", "n/a") else 0.0


def read(path):
    """{launch id: {name, seconds, read, write}} from ncu's CSV; lines that are not CSV rows are skipped."""
    with open(path, newline="", errors="replace") as f:
        lines = [ln for ln in f if ln.startswith('"')]
    rows = csv.DictReader(lines)
    kernels = {}
    for r in rows:
        if "Metric Name" not in r or r.get("ID") in (None, "ID"):
            continue
        k = kernels.setdefault((r.get("Process ID", ""), r["ID"]),
                               {"name": r.get("Kernel Name", "?"), "s": 0.0, "read": 0.0, "write": 0.0})
        metric, unit, value = r["Metric Name"], r.get("Metric Unit", ""), number(r.get("Metric Value", "0"))
        if metric.startswith("gpu__time_duration"):
            k["s"] = value * TIME.get(unit, 1e-9)
        elif metric.startswith("dram__bytes_read"):
            k["read"] = value * BYTES.get(unit, 1.0)
        elif metric.startswith("dram__bytes_write"):
            k["write"] = value * BYTES.get(unit, 1.0)
    return list(kernels.values())


def short(name, width=70):
    name = name.split("(")[0]
    return name if len(name) <= width else name[: width - 3] + "..."


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("report")
    ap.add_argument("--label", default="")
    ap.add_argument("--per", type=float, default=0)
    ap.add_argument("--per-name", default="step")
    ap.add_argument("--copy-gbs", type=float, default=0)
    ap.add_argument("--top", type=int, default=25)
    a = ap.parse_args()
    ks = read(a.report)
    if not ks:
        print(f"!! no kernel rows in {a.report}")
        return 1
    total_s = sum(k["s"] for k in ks)
    total_b = sum(k["read"] + k["write"] for k in ks)
    print(f"### {a.label or a.report}: {len(ks)} kernel launches, {total_s * 1e3:.3f} ms on the GPU, "
          f"{total_b / 1e9:.3f} GB DRAM traffic ({total_b / total_s / 1e9:.0f} GB/s over kernel time)")
    short_launch = [k for k in ks if k["s"] < 5e-6]
    print(f"- launches under 5 us: {len(short_launch)} ({sum(k['s'] for k in short_launch) * 1e3:.3f} ms); "
          f"mean launch {total_s / len(ks) * 1e6:.1f} us")
    if a.per > 0:
        print(f"- per {a.per_name} ({a.per:g} in the profile): {len(ks) / a.per:.1f} launches, "
              f"{total_s / a.per * 1e3:.4f} ms of kernels, {total_b / a.per / 1e9:.4f} GB")
    groups = defaultdict(lambda: {"n": 0, "s": 0.0, "b": 0.0})
    for k in ks:
        g = groups[short(k["name"])]
        g["n"] += 1
        g["s"] += k["s"]
        g["b"] += k["read"] + k["write"]
    print()
    frac = " | of copy rate" if a.copy_gbs else ""
    print(f"| kernel | launches | ms | share | mean us | GB | GB/s{frac} |")
    print("|---|---|---|---|---|---|---|" + ("---|" if a.copy_gbs else ""))
    for name, g in sorted(groups.items(), key=lambda kv: -kv[1]["s"])[: a.top]:
        rate = g["b"] / g["s"] / 1e9 if g["s"] > 0 else 0.0
        extra = f" | {rate / a.copy_gbs:.2f}" if a.copy_gbs else ""
        print(f"| `{name}` | {g['n']} | {g['s'] * 1e3:.3f} | {g['s'] / total_s:.1%} | {g['s'] / g['n'] * 1e6:.1f} | "
              f"{g['b'] / 1e9:.3f} | {rate:.0f}{extra} |")
    rest = sorted(groups.items(), key=lambda kv: -kv[1]["s"])[a.top:]
    if rest:
        print(f"| ({len(rest)} other names) | {sum(g['n'] for _, g in rest)} | "
              f"{sum(g['s'] for _, g in rest) * 1e3:.3f} | {sum(g['s'] for _, g in rest) / total_s:.1%} | | | |"
              + (" |" if a.copy_gbs else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
