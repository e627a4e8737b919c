#!/usr/bin/env bash
# ligo against PyTorch at PyTorch's best on this machine. Each round runs, alternately,
# `npm run bench:step` (ligo, native), bench/torch_step.py with 1 intra-op thread and with 2
# (with 1, PyTorch's own OpenMP pool is idle but its BLAS may still use every core; which is
# faster depends on the machine, so both are measured). Prints every JSON line, then one summary
# line: medians per configuration and ligo's ratio to the faster PyTorch configuration.
# The load average is printed first, since other jobs on the machine skew every figure.
# PyTorch at its best needs a real BLAS: Debian's python3-torch calls the system's libblas.so.3,
# which without OpenBLAS is netlib's reference BLAS (about 5 GFLOP/s at 1024^3, measured
# 2026-12-02); `apt-get install python3-torch libopenblas0-pthread` gives it OpenBLAS. Each
# torch line reports its sgemm rate: check it before reading a ratio.
# Usage: bash bench/compare.sh [ROUNDS]   (env STEPS, WARMUP as for bench:step)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/malloc-env.sh
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
lines=$(mktemp)
trap 'rm -f "$lines"' EXIT
for _ in $(seq "${1:-3}"); do
  npm run -s bench:step | tee -a "$lines"
  for threads in 1 2; do TORCH_THREADS=$threads /usr/bin/python3 bench/torch_step.py | tee -a "$lines"; done
done
/usr/bin/python3 bench/summarize.py <"$lines"
