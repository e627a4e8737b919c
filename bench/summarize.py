#!/usr/bin/env python3
"""Reads the JSON lines of bench/compare.sh on stdin and prints one summary JSON line: the
median tokens/s, GFLOP/s, peak RSS and CPU seconds per step (user + system: on a busy machine
the one figure other jobs barely move) of ligo and of each PyTorch thread setting, which PyTorch
setting was faster, and ligo's speed-up over it."""
import json, statistics, sys

runs = {}
for line in sys.stdin:
    r = json.loads(line)
    key = "ligo" if r["bench"] == "step" else f"torch_{r['threads']}t"
    r["cpuSecondsPerStep"] = r["userSecondsPerStep"] + r["sysSecondsPerStep"]
    runs.setdefault(key, []).append(r)
fields = ("tokensPerSecond", "gflopsPerSecond", "peakRssMB", "cpuSecondsPerStep", "sysSecondsPerStep")
med = {k: {f: round(statistics.median(x[f] for x in rs), 3) for f in fields} for k, rs in runs.items()}
best = max((k for k in med if k.startswith("torch")), key=lambda k: med[k]["tokensPerSecond"])
print(json.dumps({"summary": med, "torchBest": best,
                  "ligoOverTorchBest": round(med["ligo"]["tokensPerSecond"] / med[best]["tokensPerSecond"], 2)}))
