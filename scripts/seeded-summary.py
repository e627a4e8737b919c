#!/usr/bin/env python3
"""The summary rows of RESULTS.md's seeded study, from the runs' results.json (written by
`ligo report RUN`). One markdown table per run: per method, savings (ELECTRA FLOPs, small model
paid and charged) and final validation loss as mean +/- sd [min, max] over the seeds, how far the
final loss is below the unigram (no-context) line, the operator's share of scratch's FLOPs; then,
per pair of methods, whether one is ahead of the other beyond the seed spread (every seed of one
better than every seed of the other) on savings and on final loss.

    python3 scripts/seeded-summary.py runs/seeded-bert-width-depth [runs/seeded-...]
"""
import json
import sys
from pathlib import Path


def fmt(s, f):
    if not s:
        return "–"
    return f"{f(s['mean'])} ± {f(s['sd'])} [{f(s['min'])}, {f(s['max'])}]"


def pct(x):
    return f"{100 * x:.1f}%"


def loss(x):
    return f"{x:.3f}"


def summary(run_dir):
    r = json.loads((Path(run_dir) / "results.json").read_text())
    unigram = r.get("unigramLoss")
    seeds = r["seeds"]
    out = [f"### {r['experiment']} (seeds {', '.join(map(str, seeds))}; unigram line {unigram:.3f})" if unigram else f"### {r['experiment']}", ""]
    out.append("| method | reached / seeds | saved (small paid) | saved (small charged) | final val loss | below the unigram line (mean) | operator's share |")
    out.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for m in r["methods"]:
        s = m["spread"]
        below = f"{unigram - s['finalValLoss']['mean']:.3f}" if unigram and s.get("finalValLoss") else "–"
        share = s["growthShare"]["flopsElectra"]
        out.append(
            f"| {m['label']} | {s['reached']} / {s['seeds']} | {fmt(s['savingsWithoutSmall']['flopsElectra'], pct)} | "
            f"{fmt(s['savingsWithSmall']['flopsElectra'], pct)} | {fmt(s['finalValLoss'], loss)} | {below} | "
            f"{pct(share['mean']) if share and share['mean'] > 0 else '–'} |"
        )
    out.append("")
    words = {"ahead": "ahead of", "behind": "behind", "within": "within the spread of", None: "not comparable with (a seed missed the target)"}
    for c in r.get("comparisons", []):
        if r["reference"] in (c["a"], c["b"]):
            continue
        out.append(f"- {c['a']} is {words[c['savings']]} {c['b']} on savings; on final loss: {words[c['finalValLoss']]}")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    print("\n".join(summary(d) for d in sys.argv[1:]))
