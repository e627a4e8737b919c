#!/usr/bin/env bash
# Paper-size rows (BERT-Small 6L-512H -> BERT-Base 12L-768H, batch 32 x 128; minutes per row):
#  (a) the LiGO operator: `ligo grow --method ligo --option steps=3` from a BERT-Small checkpoint
#      (made first by one training step from a fresh init), timed by /usr/bin/time: wall, system
#      time, peak RSS; the command prints the operator's 6N FLOPs and its own wall time (the same
#      operator step by step, first step apart: `npm run bench:operator`);
#  (b) one BERT-Base training step (`SIZE=base` bench:step) beside PyTorch at 1 and 2 threads.
# Usage: bash bench/paper.sh [a|b|ab]   (default ab; prints the load average first)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/malloc-env.sh
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
which="${1:-ab}"
if [[ "$which" == *a* ]]; then
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' EXIT
  node --import tsx src/cli/main.ts train --config bert-6L-512H --data sotu --steps 1 --batch-size 2 --seq-len 128 \
    --eval-every 0 --eval-batches 1 --out "$dir/small" >/dev/null 2>&1
  /usr/bin/time -f '{"bench":"ligo_operator_step","wallSeconds":%e,"sysSeconds":%S,"userSeconds":%U,"peakRssKB":%M,"minorFaults":%R}' \
    node --import tsx src/cli/main.ts grow --from "$dir/small" --to bert-12L-768H --method ligo --data sotu \
    --batch-size 32 --seq-len 128 --option steps=3 --out "$dir/grown" 2>&1 | grep -E '^(operator cost|\{)'
fi
if [[ "$which" == *b* ]]; then
  SIZE=base STEPS=${STEPS:-2} WARMUP=${WARMUP:-1} npm run -s bench:step
  for threads in 1 2; do SIZE=base STEPS=${STEPS:-2} WARMUP=${WARMUP:-1} TORCH_THREADS=$threads /usr/bin/python3 bench/torch_step.py; done
fi
