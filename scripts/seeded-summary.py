#!/usr/bin/env python3
"""The summary rows of RESULTS.md's seeded study, from the runs' results.json (written by
`ligo report RUN`). One markdown table per run: per method, savings (ELECTRA FLOPs, small model
paid and charged) and final validation loss as mean +/- sd [min, max] over the seeds, how far the
final loss is below the unigram (no-context) line, the operator's share of scratch's FLOPs, the head
start (the share of scratch's FLOPs at which scratch reaches the grown model's first loss); then,
per pair of methods, the paired verdict on savings and on final loss (the per-seed differences'
mean with its 95% paired-t interval and sign count; ahead when the interval excludes zero) when
the run's seeds scored one validation set, and the ranges' verdict (every seed of one better than
every seed of the other) beside it, or alone for older runs whose seeds were not paired.

    python3 scripts/seeded-summary.py runs/seeded-bert-width-depth [runs/seeded-...]
    python3 scripts/seeded-summary.py --lead RUN...   one summary-table row per run: LiGO (the
        method labelled `ligo`) against every other grown method
    python3 scripts/seeded-summary.py --sweep RUN      a sweep (experiments/sweep-*.json): each
        variant against the method it varies, paired: a label 'ligo-X' against 'ligo', 'aki-X'
        against 'bert2bert-aki', 'staged-X' against 'staged-net2net'
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
    out.append("| method | reached / seeds | saved (small paid) | saved (small charged) | final val loss | below the unigram line (mean) | operator's share | head start |")
    out.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for m in r["methods"]:
        s = m["spread"]
        below = f"{unigram - s['finalValLoss']['mean']:.3f}" if unigram and s.get("finalValLoss") else "–"
        share = s["growthShare"]["flopsElectra"]
        out.append(
            f"| {m['label']} | {s['reached']} / {s['seeds']} | {fmt(s['savingsWithoutSmall']['flopsElectra'], pct)} | "
            f"{fmt(s['savingsWithSmall']['flopsElectra'], pct)} | {fmt(s['finalValLoss'], loss)} | {below} | "
            f"{pct(share['mean']) if share and share['mean'] > 0 else '–'} | {fmt(s.get('headStart'), pct) if m['label'] != r['reference'] else '–'} |"
        )
    out.append("")
    def verdict(v, a, b):
        return {"ahead": f"{a} ahead", "behind": f"{b} ahead", "within": "within the seed spread", None: "not compared (neither reached the target)"}[v]

    paired = r.get("pairedSeeds", False)
    if paired:
        out.append("Pairs, seed by seed (a − b: mean [95% paired-t interval], seeds where a is better; ahead when the interval excludes zero), then the ranges' verdict; savings in ELECTRA FLOPs, small model paid:")
    else:
        out.append("Pairs (seeds NOT paired: each scored its own validation set; ahead: every seed of one better than every seed of the other, a seed that missed the target counting as worst; savings in ELECTRA FLOPs, small model paid):")
    out.append("")
    for c in r.get("comparisons", []):
        if r["reference"] in (c["a"], c["b"]):
            continue
        a, b = c["a"], c["b"]
        ranges = f"savings {verdict(c['savings'], a, b)}; final loss {verdict(c['finalValLoss'], a, b)}"
        if paired and c.get("paired"):
            p = c["paired"]
            out.append(f"- {a} − {b}: savings {paired_text(p['savings'], a, b, True)}; final loss {paired_text(p['finalValLoss'], a, b, False)}; ranges: {ranges}")
        else:
            out.append(f"- {a} vs {b}: {ranges}")
    return "\n".join(out) + "\n"


def paired_text(d, a, b, savings):
    f = (lambda v: f"{100 * v:+.1f}") if savings else (lambda v: f"{v:+.4f}")
    if d["mean"] is None:
        return "no seed where both reached the target"
    interval = f" [{f(d['low'])}, {f(d['high'])}]" if d["low"] is not None else ""
    v = {"ahead": f"{a} ahead", "behind": f"{b} ahead", "within": "within", None: "no verdict"}[d["verdict"]]
    return f"{f(d['mean'])}{' points' if savings else ' nats'}{interval}, {a} better in {d['aBetter']} of {d['compared']}: {v}"


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
        paired = r.get("pairedSeeds", False) and c.get("paired")
        raw = c["paired"]["savings"]["verdict"] if paired else c["savings"]
        v = raw if c["a"] == "ligo" else {"ahead": "behind", "behind": "ahead"}.get(raw, raw)
        verdicts.append(f"{other}: {LIGO_VERDICT[v]}{' (paired)' if paired else ' (ranges)'}")
    best_text = f"{best} {fmt(saved(best), pct)}" if best else "none reached scratch's loss"
    return f"| {r['experiment']} | {fmt(saved('ligo'), pct)} | {best_text} | {'; '.join(verdicts)} |"


SWEEP_BASES = {"ligo-": "ligo", "aki-": "bert2bert-aki", "staged-": "staged-net2net"}


def sweep(run_dir):
    r = json.loads((Path(run_dir) / "results.json").read_text())
    if not r.get("pairedSeeds"):
        sys.exit(f"{run_dir}: its seeds are not paired; a sweep compares variants seed by seed")
    spreads = {m["label"]: m["spread"] for m in r["methods"]}
    pairs = {(c["a"], c["b"]): c for c in r.get("comparisons", [])}

    def diff(a, b):
        c = pairs.get((a, b))
        if c and c.get("paired"):
            return c["paired"], 1
        c = pairs.get((b, a))
        return (c["paired"], -1) if c and c.get("paired") else (None, 1)

    def signed(d, sign, savings):
        if d is None or d["mean"] is None:
            return "–"
        f = (lambda v: f"{100 * sign * v:+.1f}") if savings else (lambda v: f"{sign * v:+.4f}")
        lo, hi = (d["low"], d["high"]) if sign > 0 else (d["high"], d["low"])
        interval = f" [{f(lo)}, {f(hi)}]" if lo is not None else ""
        better = d["aBetter"] if sign > 0 else d["compared"] - d["aBetter"]
        v = d["verdict"] if sign > 0 else {"ahead": "behind", "behind": "ahead"}.get(d["verdict"], d["verdict"])
        mark = {"ahead": " **better**", "behind": " **worse**"}.get(v, "")
        return f"{f(d['mean'])}{interval} ({better}/{d['compared']}){mark}"

    out = [f"### {r['experiment']} (seeds {', '.join(map(str, r['seeds']))}; unigram line {r['unigramLoss']:.3f})", ""]
    out.append("| method | reached | saved (small paid) | final val loss | head start | operator's share | against | Δ savings, points [95%] (better in) | Δ final loss, nats [95%] (lower in) |")
    out.append("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |")
    for label, s in spreads.items():
        base = next((b for p, b in SWEEP_BASES.items() if label.startswith(p) and b != label and b in spreads), None)
        share = s["growthShare"]["flopsElectra"]
        d, sign = diff(label, base) if base else (None, 1)
        out.append(
            f"| {label} | {s['reached']} / {s['seeds']} | {fmt(s['savingsWithoutSmall']['flopsElectra'], pct)} | {fmt(s['finalValLoss'], loss)} | "
            f"{fmt(s.get('headStart'), pct) if label != r['reference'] else '–'} | {pct(share['mean']) if share and share['mean'] > 0 else '–'} | {base or '–'} | "
            f"{signed(d['savings'], sign, True) if d else '–'} | {signed(d['finalValLoss'], sign, False) if d else '–'} |"
        )
    out.append("")
    out.append("Δ: the variant minus the method it varies, seed by seed (lower final loss is better; a savings difference counts only seeds where both reached scratch's final loss); **better**/**worse** when the paired 95% interval excludes zero.")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    if args[0] == "--lead":
        print("\n".join(lead(d) for d in args[1:]))
    elif args[0] == "--sweep":
        print("\n".join(sweep(d) for d in args[1:]))
    else:
        print("\n".join(summary(d) for d in args))
