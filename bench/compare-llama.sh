#!/usr/bin/env bash
# The Llama training step, ligo against PyTorch at its best on this machine: ROUNDS alternated
# rounds of `npm run bench:llama` and bench/torch_llama_step.py at 1 and 2 threads (the faster
# PyTorch kept per round), same config, batch and random ids distribution; prints every JSON line,
# then the medians and the ratio, with the CPU. Run it alone (nothing else on the machine).
# PyTorch at its best needs a real BLAS (bench/compare.sh): `apt-get install python3-torch
# libopenblas0-pthread`; without OpenBLAS, Debian's torch runs netlib's reference BLAS (a few
# GFLOP/s), and the ratio means nothing.
#   SIZE=study|smollm STEPS=10 bash bench/compare-llama.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
SIZE=${SIZE:-study}
export SIZE STEPS=${STEPS:-10}
read -r CONFIG BATCH SEQ < <(node --import tsx bench/llama-config.ts "$SIZE")
export CONFIG BATCH SEQ
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'); avx512: $(grep -q avx512f /proc/cpuinfo && echo yes || echo no); torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__, torch.__config__.parallel_info().splitlines()[0])' 2>/dev/null)"
ligo=(); torch=()
for r in $(seq "$ROUNDS"); do
  l=$(node --import tsx bench/llama_step.ts); echo "$l"; ligo+=("$(echo "$l" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tokensPerSecond"])')")
  best=0
  for t in 1 2; do
    p=$(TORCH_THREADS=$t /usr/bin/python3 bench/torch_llama_step.py); echo "$p"
    v=$(echo "$p" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tokensPerSecond"])'); [ "$v" -gt "$best" ] && best=$v
  done
  torch+=("$best")
done
python3 - "${ligo[*]}" "${torch[*]}" <<'PY'
import statistics, sys
l = [int(x) for x in sys.argv[1].split()]; t = [int(x) for x in sys.argv[2].split()]
print(f"ligo median {statistics.median(l)} tokens/s, PyTorch best median {statistics.median(t)} tokens/s, ratio {statistics.median(l) / statistics.median(t):.2f}x")
PY
