#!/usr/bin/env bash
# Builds bench/gemm_libs.cc once per library and runs each, alternating libraries ROUNDS times
# (default 1), one JSON line per shape. Needs libopenblas-dev, libblis-dev and libdnnl-dev (apt-get
# install libblis-dev libdnnl-dev: only this comparison uses them, so scripts/setup.sh does not).
# Usage: bash bench/gemm_libs.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")"
out=$(mktemp -d)
g++ -O2 -fopenmp -DUSE_OPENBLAS gemm_libs.cc -o "$out/openblas" -lopenblas
g++ -O2 -fopenmp -DUSE_BLIS -I/usr/include/x86_64-linux-gnu/blis-openmp gemm_libs.cc -o "$out/blis" -lblis
g++ -O2 -fopenmp -DUSE_DNNL gemm_libs.cc -o "$out/onednn" -ldnnl
for _ in $(seq "${1:-1}"); do
  for lib in openblas blis onednn; do OMP_WAIT_POLICY=passive "$out/$lib"; done
done
rm -rf "$out"
