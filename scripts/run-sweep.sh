#!/usr/bin/env bash
# A sweep: an experiment spec with many methods (issue 26's operator sweep:
# experiments/sweep-bert-operator.json), run as PARTS parallel one-thread parts
# (scripts/sweep-parts.ts), then merged into one run directory and reported, paired by seed.
#   bash scripts/run-sweep.sh experiments/sweep-bert-operator.json [PARTS, default 2]
# Writes runs/NAME/part-K (each part's run and log) and runs/NAME/all (the merged run, its
# results.md and report.html). Rerunning resumes each part where it stopped. Run it in the
# background (nohup ... &) on an otherwise quiet machine: wall times are read from these runs.
# REUSE=DIR reuses a finished run's small models and legs (the row the sweep varies: same data,
# models and training, every seed of the sweep; scripts/sweep-parts.ts reuse checks this) on the
# first run, so only the new methods train:
#   REUSE=runs/recipe-bert-width-depth-small-lr1e-3 bash scripts/run-sweep.sh experiments/sweep-bert-operator-small-lr1e-3.json
set -euo pipefail
cd "$(dirname "$0")/.."
SPEC=$1
PARTS=${2:-2}
out="runs/$(basename "$SPEC" .json)"
node --import tsx scripts/sweep-parts.ts split "$SPEC" "$PARTS" "$out"
if [[ -n ${REUSE:-} ]]; then node --import tsx scripts/sweep-parts.ts reuse "$REUSE" "$PARTS" "$out"; fi
pids=()
for ((k = 0; k < PARTS; k++)); do
  OMP_NUM_THREADS=1 node bin/ligo.js experiment "$out/part-$k.json" --out "$out/part-$k" > "$out/part-$k.log" 2>&1 &
  pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
if ((failed)); then echo "a part failed: see $out/part-*.log; rerun to resume" >&2; exit 1; fi
node --import tsx scripts/sweep-parts.ts merge "$PARTS" "$out"
node bin/ligo.js experiment "$SPEC" --out "$out/all" > "$out/all.log" 2>&1
node bin/ligo.js report "$out/all" --html >> "$out/all.log" 2>&1
echo "$(date -u +%FT%TZ) $out: done ($out/all/results.md)" >&2
