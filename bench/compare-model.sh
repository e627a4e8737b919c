#!/usr/bin/env bash
# A whole model's training step, ligo against PyTorch at its best on this machine: for each SIZE,
# ROUNDS alternated rounds of `npm run bench:model` and bench/torch_model_step.py at 1 and 2
# threads (the faster PyTorch kept per round), same config, batch, window and loss; prints every
# JSON line, then per SIZE the medians and the ratio, with the CPU. Run it alone (nothing else on
# the machine). SIZE (bench/model-sizes.ts): study (Llama 4L-192H), smollm, bert-seeded,
# gpt2-seeded, or several separated by spaces; SIZE=seeded is "bert-seeded gpt2-seeded", the
# seeded rows' large models (issue 23: run it beside bench/compare.sh's reference step).
# PyTorch at its best needs a real BLAS (bench/compare.sh): `apt-get install python3-torch
# libopenblas0-pthread`; without OpenBLAS, Debian's torch runs netlib's reference BLAS (a few
# GFLOP/s), and the ratio means nothing.
#   SIZE=study|smollm|bert-seeded|gpt2-seeded|seeded STEPS=10 bash bench/compare-model.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/malloc-env.sh
ROUNDS=${1:-3}
SIZES=${SIZE:-study}
[ "$SIZES" = seeded ] && SIZES="bert-seeded gpt2-seeded"
export STEPS=${STEPS:-10}
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'); avx512: $(grep -q avx512f /proc/cpuinfo && echo yes || echo no); load: $(cut -d' ' -f1-3 /proc/loadavg); torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__, torch.__config__.parallel_info().splitlines()[0])' 2>/dev/null)"
rate() { python3 -c 'import json,sys; print(json.load(sys.stdin)["tokensPerSecond"])'; }
summary=()
for SIZE in $SIZES; do
  export SIZE
  read -r CONFIG BATCH SEQ LOSS < <(node --import tsx bench/model-config.ts "$SIZE")
  export CONFIG BATCH SEQ LOSS
  ligo=(); torch=()
  for _ in $(seq "$ROUNDS"); do
    l=$(node --import tsx bench/model_step.ts); echo "$l"; ligo+=("$(echo "$l" | rate)")
    best=0
    for t in 1 2; do
      p=$(TORCH_THREADS=$t /usr/bin/python3 bench/torch_model_step.py); echo "$p"
      v=$(echo "$p" | rate); [ "$v" -gt "$best" ] && best=$v
    done
    torch+=("$best")
  done
  summary+=("$(python3 - "$SIZE" "${ligo[*]}" "${torch[*]}" <<'PY'
import statistics, sys
l = [int(x) for x in sys.argv[2].split()]; t = [int(x) for x in sys.argv[3].split()]
print(f"{sys.argv[1]}: ligo median {statistics.median(l)} tokens/s, PyTorch best median {statistics.median(t)} tokens/s, ratio {statistics.median(l) / statistics.median(t):.2f}x")
PY
)")
done
printf '%s\n' "${summary[@]}"
