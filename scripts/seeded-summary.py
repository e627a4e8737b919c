#!/usr/bin/env python3
"""The summary rows of RESULTS.md's seeded study, from the runs' results.json (written by
`ligo report RUN`). One markdown table per run: per method, savings (ELECTRA FLOPs, small model
paid and charged) and final validation loss as mean +/- sd [min, max] over the seeds, how far the
final loss is below the unigram (no-context) line, the operator's share of scratch's FLOPs; then,
per pair of methods, whether one is ahead of the other beyond the seed spread (every seed of one
better than every seed of the other) on savings and on final loss.

    python3 scripts/seeded-summary.py runs/seeded-bert-width-depth [runs/seeded-...]
    python3 scripts/seeded-summary.py --lead RUN...   one summary-table row per run: LiGO (the
        method labelled `ligo`) against every other grown method
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
    def verdict(v, a, b):
        return {"ahead": f"{a} ahead", "behind": f"{b} ahead", "within": "within the seed spread", None: "not compared (neither reached the target)"}[v]

    out.append("Pairs (ahead: every seed of one better than every seed of the other, a seed that missed the target counting as worst; savings in ELECTRA FLOPs, small model paid):")
    out.append("")
    for c in r.get("comparisons", []):
        if r["reference"] in (c["a"], c["b"]):
            continue
        a, b = c["a"], c["b"]
        out.append(f"- {a} vs {b}: savings {verdict(c['savings'], a, b)}; final loss {verdict(c['finalValLoss'], a, b)}")
    return "\n".join(out) + "\n"


LIGO_VERDICT = {"ahead": "ahead", "behind": "behind", "within": "within the spread", None: "not compared"}


def lead(run_dir):
    r = json.loads((Path(run_dir) / "results.json").read_text())
    spreads = {m["label"]: m["spread"] for m in r["methods"]}
    saved = lambda label: spreads[label]["savingsWithoutSmall"]["flopsElectra"]
    others = [l for l in spreads if l not in (r["reference"], "ligo")]
    reached = [l for l in others if saved(l)]
    best = max(reached, key=lambda l: saved(l)["mean"]) if reached else None
    verdicts = []
    for c in r.get("comparisons", []):
        if "ligo" not in (c["a"], c["b"]) or r["reference"] in (c["a"], c["b"]):
            continue
        other = c["b"] if c["a"] == "ligo" else c["a"]
        v = c["savings"] if c["a"] == "ligo" else {"ahead": "behind", "behind": "ahead"}.get(c["savings"], c["savings"])
        verdicts.append(f"{other}: {LIGO_VERDICT[v]}")
    best_text = f"{best} {fmt(saved(best), pct)}" if best else "none reached scratch's loss"
    return f"| {r['experiment']} | {fmt(saved('ligo'), pct)} | {best_text} | {'; '.join(verdicts)} |"


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    if args[0] == "--lead":
        print("\n".join(lead(d) for d in args[1:]))
    else:
        print("\n".join(summary(d) for d in args))
